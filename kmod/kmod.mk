# kmod/kmod.mk: the ctr_vdev kernel module, its test programs, VM test and benchmark.
# Included by the top-level Makefile, which provides O, CC, CFLAGS, NL_CFLAGS, NL_LIBS, Q,
# quiet and the deps target.
#
#   make kmod         build kmod/ctr_vdev.ko (W=1, warnings are errors) against KDIR
#   make vmcheck      install KMOD_PKGS, build, boot the test VM (QEMU/TCG) and run the scenarios
#   make bench-vdev   install KMOD_PKGS, build, boot the benchmark VM
#   make kmod-clean   remove the module's and the VM's build outputs

KMOD_PKGS := linux-image-amd64 linux-headers-amd64 qemu-system-x86 busybox-static \
	libnl-3-dev libnl-genl-3-dev pkg-config gcc make libc6-dev cpio gzip xz-utils zstd \
	python3 kmod mandoc

# Target kernel: the newest /boot/vmlinuz-VER with headers installed (the running kernel may
# have none, and cannot load modules anyway: the module is tested in QEMU).
ifeq ($(origin KVER),undefined)
KVER := $(shell for k in $$(ls /boot/vmlinuz-* 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -rV); do \
	if [ -f /lib/modules/$$k/build/Makefile ] || [ -f /usr/src/linux-headers-$$k/Makefile ]; then \
		echo $$k; break; fi; done)
endif
ifeq ($(origin KDIR),undefined)
KDIR := $(patsubst %/Makefile,%,$(firstword $(wildcard \
	/lib/modules/$(KVER)/build/Makefile /usr/src/linux-headers-$(KVER)/Makefile)))
endif

KMOD_KO    := kmod/ctr_vdev.ko
# Recursive makes re-read the makefile that included this one (the top-level one).
KMOD_MAKE  = $(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST))
VDEV_BIN   := $(O)/vdev/bin
VDEV_TOOLS := $(VDEV_BIN)/vdevctl $(VDEV_BIN)/vdevio $(VDEV_BIN)/vdevbench
VDEV_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter \
	-Wno-missing-field-initializers -D_GNU_SOURCE -Iinclude -Iinclude/uapi $(NL_CFLAGS) $(CFLAGS)
VDEV_HDR   := include/uapi/linux/ctr_vdev.h
VM_TIMEOUT ?= 240

.PHONY: kmod kmod-clean vdev-tools vmcheck vmcheck-run bench-vdev bench-vdev-run

kmod:
	@if [ -z "$(KDIR)" ]; then \
		echo "kmod: no kernel headers for any /boot/vmlinuz-* (install: $(KMOD_PKGS))" >&2; \
		exit 1; \
	fi
	$(quiet) KMOD "$(KMOD_KO) for $(KVER)"
	$(Q)$(MAKE) --no-print-directory -C $(KDIR) M=$(abspath kmod) W=1 $(if $(Q),,V=1) modules

vdev-tools: $(VDEV_TOOLS)

$(VDEV_BIN)/vdevctl: tests/vm/vdevctl.c $(VDEV_HDR)
	$(quiet) CC $@
	@mkdir -p $(@D)
	$(Q)$(CC) $(VDEV_CFLAGS) -o $@ $< $(NL_LIBS)

$(VDEV_BIN)/vdevio: tests/vm/vdevio.c $(VDEV_HDR)
	$(quiet) CC $@
	@mkdir -p $(@D)
	$(Q)$(CC) $(VDEV_CFLAGS) -o $@ $<

$(VDEV_BIN)/vdevbench: bench/vdev/vdevbench.c $(VDEV_HDR)
	$(quiet) CC $@
	@mkdir -p $(@D)
	$(Q)$(CC) $(VDEV_CFLAGS) -o $@ $< -lpthread

# Packages first, then a fresh make so KVER/KDIR and pkg-config see them.
vmcheck:
	$(Q)$(KMOD_MAKE) DEB_PKGS="$(KMOD_PKGS)" deps
	$(Q)$(KMOD_MAKE) vmcheck-run

# The module's scenarios (init.sh, with vdevctl), then the same through ctr-ipcd and ctr-ipc
# with real containers (daemon.sh), and the user-space backend on the same keyboard
# (daemon_user.sh).
vmcheck-run: kmod $(VDEV_TOOLS) $(O)/bin/ctr-ipcd $(O)/bin/ctr-ipc
	$(quiet) VM "tests/vm/init.sh on $(KVER)"
	@mkdir -p $(O)/vm/test
	$(Q)tests/vm/run.sh --kver $(KVER) --module $(KMOD_KO) --bin $(VDEV_BIN) \
		--prog $(O)/bin/ctr-ipcd --prog $(O)/bin/ctr-ipc --script tests/vm/daemon.sh \
		--script tests/vm/daemon_user.sh \
		--init tests/vm/init.sh --workdir $(O)/vm/test --timeout $(VM_TIMEOUT)

bench-vdev:
	$(Q)$(KMOD_MAKE) DEB_PKGS="$(KMOD_PKGS)" deps
	$(Q)$(KMOD_MAKE) bench-vdev-run

bench-vdev-run: kmod $(VDEV_TOOLS)
	$(quiet) VM "bench/vdev/init.sh on $(KVER)"
	@mkdir -p $(O)/vm/bench
	$(Q)tests/vm/run.sh --kver $(KVER) --module $(KMOD_KO) --bin $(VDEV_BIN) \
		--init bench/vdev/init.sh --workdir $(O)/vm/bench --timeout $(VM_TIMEOUT)

kmod-clean:
	$(Q)if [ -n "$(KDIR)" ]; then $(MAKE) --no-print-directory -C $(KDIR) M=$(abspath kmod) clean; fi
	rm -rf $(O)/vdev $(O)/vm
