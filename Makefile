# ctr-ipc top-level Makefile (non-recursive).
#
#   make                 build the user-space programs into $(O)/bin
#   make check           install missing packages, run every test (plain and sanitizer builds,
#                        and the kernel module in a QEMU VM: make vmcheck)
#   make kmod            build kmod/ctr_vdev.ko against Debian's linux-headers-amd64
#   make demo            install missing packages, run the demo on the embedded defaults
#   make install         PREFIX=/usr/local DESTDIR= ...
#   make deps            install missing Debian packages (root) or print the command
#   make SANITIZE=1 ...  ASan+UBSan build in build/san
#   make V=1             show full command lines

VERSION   := 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
SBINDIR   ?= $(PREFIX)/sbin
INCDIR    ?= $(PREFIX)/include
LIBDIR    ?= $(PREFIX)/lib
LIBEXECDIR ?= $(PREFIX)/libexec
MANDIR    ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DATADIR   ?= $(PREFIX)/share
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR  ?= $(DATADIR)/zsh/vendor-completions

ifeq ($(SANITIZE),1)
O         ?= build/san
SANFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
O         ?= build
SANFLAGS  :=
endif

CC        ?= gcc
PKG_CONFIG ?= pkg-config
CFLAGS    ?= -O2 -g
NL_CFLAGS := $(shell $(PKG_CONFIG) --cflags libnl-3.0 libnl-genl-3.0 2>/dev/null)
NL_LIBS   := $(shell $(PKG_CONFIG) --libs libnl-3.0 libnl-genl-3.0 2>/dev/null)
IMG_CFLAGS := $(shell $(PKG_CONFIG) --cflags libcurl libarchive libcrypto 2>/dev/null)
IMG_LIBS  := $(shell $(PKG_CONFIG) --libs libcurl libarchive libcrypto 2>/dev/null)
RL_LIBS   := $(shell $(PKG_CONFIG) --libs readline 2>/dev/null || echo -lreadline)
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)

ALL_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter -Wno-missing-field-initializers \
	-D_GNU_SOURCE -DCTRIPC_VERSION='"$(VERSION)"' -DCTRIPC_SYSCONFDIR='"$(SYSCONFDIR)"' \
	-DCTRIPC_LIBEXECDIR='"$(LIBEXECDIR)"' \
	-Iinclude -Iinclude/uapi $(NL_CFLAGS) $(IMG_CFLAGS) $(CFLAGS) $(SANFLAGS) -MMD -MP
ALL_LDFLAGS := $(LDFLAGS) $(SANFLAGS)

ifeq ($(V),1)
Q :=
quiet = @true
else
Q := @
quiet = @printf '  %-7s %s\n'
endif

# --- sources -----------------------------------------------------------------
COMMON_SRC := lib/proto.c lib/exec_msg.c lib/util.c lib/bus.c lib/policy.c lib/crc32c.c
DAEMON_SRC := daemon/config.c daemon/log.c daemon/pidfile.c daemon/control.c \
	daemon/cmd_daemon.c daemon/daemon.c daemon/handlers.c daemon/container.c \
	daemon/container_run.c daemon/container_exec.c daemon/cmd_container.c daemon/cgroup.c \
	daemon/vdev.c daemon/vdev_evdev.c daemon/vdev_kmod.c daemon/cmd_vdev.c daemon/place.c daemon/bus.c \
	daemon/cmd_policy.c daemon/cmd_msg.c

FETCH_SRC  := daemon/image.c daemon/fetch_main.c
BUFFER_SRC := daemon/buffer.c daemon/store.c daemon/journal.c daemon/buffer_main.c
LIBCTRIPC_SRC := lib/ctripc.c lib/bus.c lib/proto.c
CLI_SRC    := cli/cmdtab.c cli/ipc.c cli/output.c cli/tokenize.c cli/commands.c \
	cli/daemon.c cli/container.c cli/exec.c cli/shell.c cli/complete.c cli/vdev.c cli/policy.c cli/msg.c \
	cli/pcapng.c
UNIT_TESTS := test_proto test_config test_cmdtab test_bus test_policy test_buffer test_journal test_store \
	test_ctripc

obj = $(patsubst %.c,$(O)/obj/%.o,$(1))
COMMON_OBJ := $(call obj,$(COMMON_SRC))
DAEMON_OBJ := $(call obj,$(DAEMON_SRC))
CLI_OBJ    := $(call obj,$(CLI_SRC))

PROGRAMS := $(O)/bin/ctr-ipc $(O)/bin/ctr-ipcd $(O)/bin/ctr-ipc-fetch $(O)/bin/ctr-ipc-buffer \
	$(O)/bin/ctripc $(O)/bin/ctripc-static
LIBCTRIPC := $(O)/lib/libctripc.so.0 $(O)/lib/libctripc.a
LIBCTRIPC_OBJ := $(patsubst %.c,$(O)/pic/%.o,$(LIBCTRIPC_SRC))
PROTO_LIB := $(O)/lib/libctripc-proto.a
UNIT_BINS := $(addprefix $(O)/tests/,$(UNIT_TESTS))

.PHONY: bench-bus
.PHONY: all check check-run check-unit check-integration check-san check-man check-format check-install \
	fuzz check-fuzz \
	demo demo-run install uninstall deps clean format bench-containers

all: $(PROGRAMS) $(PROTO_LIB) $(LIBCTRIPC)

# The protocol tables and codec, installed for third-party clients of ctr-ipcd.
$(PROTO_LIB): $(call obj,lib/proto.c lib/exec_msg.c)
	$(quiet) AR $@
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

# libctripc: position-independent objects, a shared and a static library.
$(O)/pic/%.o: %.c
	$(quiet) CC $<
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=default -c -o $@ $<

$(O)/lib/libctripc.so.0: $(LIBCTRIPC_OBJ)
	$(quiet) LD $@
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_LDFLAGS) -shared -Wl,-soname,libctripc.so.0 -o $@ $^ $(NL_LIBS)
	$(Q)ln -sf libctripc.so.0 $(O)/lib/libctripc.so

$(O)/lib/libctripc.a: $(LIBCTRIPC_OBJ)
	$(quiet) AR $@
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

$(O)/bin/ctripc: $(O)/obj/cli/ctripc_main.o $(O)/lib/libctripc.a
	$(quiet) LD $@
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(NL_LIBS)

# The one placed in every container: it must run on any root file system.
# (Never sanitized: the sanitizers do not link statically.)
# A static link (never sanitized: the sanitizers do not link statically),
# quiet about libnl's NSS functions, which nothing here calls.
define link-static
$(quiet) LD $@
	@mkdir -p $(@D)
	$(Q)$(CC) $(filter-out $(SANFLAGS),$(ALL_LDFLAGS)) -static -o $@ $^ \
		$(shell $(PKG_CONFIG) --static --libs libnl-genl-3.0 libnl-3.0 2>/dev/null) \
		>$@.log 2>&1; s=$$?; \
		grep -v "requires at runtime the shared libraries\|in function .nl_" $@.log >&2; \
		rm -f $@.log; exit $$s
endef

STATIC_OBJ := $(patsubst %.c,$(O)/static/%.o,cli/ctripc_main.c $(LIBCTRIPC_SRC))
$(O)/static/%.o: %.c
	$(quiet) CC $<
	@mkdir -p $(@D)
	$(Q)$(CC) $(filter-out $(SANFLAGS),$(ALL_CFLAGS)) -c -o $@ $<

$(O)/bin/ctripc-static: $(STATIC_OBJ)
	$(link-static)

$(O)/obj/%.o: %.c
	$(quiet) CC $<
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(O)/bin/ctr-ipcd: $(O)/obj/daemon/main.o $(DAEMON_OBJ) $(COMMON_OBJ)
	$(quiet) LD $@
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(NL_LIBS)

$(O)/bin/ctr-ipc-buffer: $(call obj,$(BUFFER_SRC)) $(COMMON_OBJ)
	$(quiet) LD $@
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(NL_LIBS)

$(O)/bin/ctr-ipc-fetch: $(call obj,$(FETCH_SRC)) $(COMMON_OBJ)
	$(quiet) LD $@
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(NL_LIBS) $(IMG_LIBS)

$(O)/bin/ctr-ipc: $(O)/obj/cli/main.o $(CLI_OBJ) $(COMMON_OBJ) $(O)/obj/lib/ctripc.o
	$(quiet) LD $@
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(NL_LIBS) $(RL_LIBS)

# Unit tests link the modules they test (never a main.o).
$(O)/tests/test_proto: $(O)/obj/tests/unit/test_proto.o $(COMMON_OBJ)
$(O)/tests/test_config: $(O)/obj/tests/unit/test_config.o $(O)/obj/daemon/config.o $(COMMON_OBJ)
$(O)/tests/test_cmdtab: $(O)/obj/tests/unit/test_cmdtab.o $(CLI_OBJ) $(COMMON_OBJ) \
	$(O)/obj/lib/ctripc.o
$(O)/tests/test_bus: $(O)/obj/tests/unit/test_bus.o $(COMMON_OBJ)
$(O)/tests/test_ctripc: $(O)/obj/tests/unit/test_ctripc.o $(O)/obj/lib/ctripc.o $(COMMON_OBJ)
$(O)/tests/test_policy: $(O)/obj/tests/unit/test_policy.o $(COMMON_OBJ)
$(O)/tests/test_journal: $(O)/obj/tests/unit/test_journal.o $(O)/obj/daemon/journal.o $(COMMON_OBJ)
$(O)/tests/test_store: $(O)/obj/tests/unit/test_store.o $(O)/obj/daemon/store.o \
	$(O)/obj/daemon/journal.o $(COMMON_OBJ)
$(O)/tests/test_buffer: $(O)/obj/tests/unit/test_buffer.o $(O)/obj/daemon/buffer.o $(O)/obj/daemon/store.o \
	$(O)/obj/daemon/journal.o $(COMMON_OBJ) \
	$(O)/obj/lib/ctripc.o
# The journal's crash tests' client (tests/integration/t_journal.sh).
$(O)/tests/crashclient: $(O)/obj/tests/integration/crashclient.o $(O)/obj/lib/ctripc.o $(COMMON_OBJ)
	$(quiet) LD $@
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(NL_LIBS)
$(UNIT_BINS):
	$(quiet) LD $@
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(NL_LIBS) $(RL_LIBS) $(CMOCKA_LIBS)

-include $(shell find $(O)/obj $(O)/pic $(O)/static -name '*.d' 2>/dev/null)

# --- packages ------------------------------------------------------------------
DEB_PKGS := gcc make pkg-config libc6-dev libnl-3-dev libnl-genl-3-dev libreadline-dev \
	libcurl4-openssl-dev libarchive-dev libssl-dev xz-utils zstd \
	libcmocka-dev mandoc python3 zsh bash bash-completion valgrind util-linux procps \
	clang-format clang libclang-rt-14-dev tshark

deps:
	@missing=; for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' \
			|| missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "installing missing packages:$$missing"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	else \
		echo "missing packages:$$missing" >&2; \
		echo "install them as root: apt-get update && apt-get install -y$$missing" >&2; \
		exit 1; \
	fi

# --- tests ---------------------------------------------------------------------
# check: packages first, then a fresh make so pkg-config sees them.
check: deps
	$(Q)$(MAKE) --no-print-directory check-run
	$(Q)$(MAKE) --no-print-directory check-fuzz
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 check-san
	$(Q)$(MAKE) --no-print-directory vmcheck

check-run: all check-format check-unit check-man check-integration check-install

check-san: all check-unit check-integration

check-unit: $(UNIT_BINS)
	$(Q)set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

check-integration: $(PROGRAMS) $(O)/tests/crashclient
	$(Q)BIN=$(abspath $(O)/bin) TESTBIN=$(abspath $(O)/tests) SANITIZE=$(SANITIZE) \
		tests/integration/run.sh

check-install: all
	$(Q)tests/check-install.sh

check-man:
	$(Q)for m in man/*.[0-9]; do mandoc -T lint -W warning $$m || exit 1; done; echo "man pages: lint clean"

# --- fuzzing -------------------------------------------------------------------
# libFuzzer targets (clang) for the control protocol's parser, the bus's frame
# parser and the journal's reader.  "make fuzz" runs each FUZZ_SECONDS and
# keeps what it finds new in tests/fuzz/corpus/TARGET (commit it);
# "make check" runs each FUZZ_CHECK_SECONDS on a copy of that corpus.
FUZZ_TARGETS := fuzz_proto fuzz_bus fuzz_journal
FUZZ_SECONDS ?= 120
FUZZ_CHECK_SECONDS ?= 10
FUZZ_SAN := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS := -std=gnu11 -g -O1 -Wall -D_GNU_SOURCE -DCTRIPC_VERSION='"$(VERSION)"' \
	-DCTRIPC_SYSCONFDIR='"$(SYSCONFDIR)"' -Iinclude -Iinclude/uapi $(NL_CFLAGS) \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
FUZZ_BINS := $(addprefix $(O)/fuzz/,$(FUZZ_TARGETS))
fuzzobj = $(patsubst %.c,$(O)/fuzz/obj/%.o,$(1))

$(O)/fuzz/obj/%.o: %.c
	$(quiet) FUZZCC $<
	@mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -c -o $@ $<

$(O)/fuzz/fuzz_proto: $(call fuzzobj,tests/fuzz/fuzz_proto.c $(COMMON_SRC))
$(O)/fuzz/fuzz_bus: $(call fuzzobj,tests/fuzz/fuzz_bus.c $(COMMON_SRC))
$(O)/fuzz/fuzz_journal: $(call fuzzobj,tests/fuzz/fuzz_journal.c daemon/journal.c lib/crc32c.c)
$(FUZZ_BINS):
	$(quiet) LD $@
	$(Q)clang $(FUZZ_SAN) -o $@ $^ $(NL_LIBS)

fuzz: deps $(FUZZ_BINS)
	$(Q)set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p tests/fuzz/corpus/$$t; \
		echo "== $$t, $(FUZZ_SECONDS) s"; \
		$(O)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 tests/fuzz/corpus/$$t; \
	done

check-fuzz: $(FUZZ_BINS)
	$(Q)set -e; for t in $(FUZZ_TARGETS); do \
		work=$$(mktemp -d /tmp/ctr-ipc-fuzz.XXXXXX); \
		echo "== $$t, $(FUZZ_CHECK_SECONDS) s"; \
		$(O)/fuzz/$$t -max_total_time=$(FUZZ_CHECK_SECONDS) -artifact_prefix=$$work/ \
			$$work tests/fuzz/corpus/$$t 2>$$work/log || { tail -n 30 $$work/log; \
			echo "$$t found a crash: the input is in $$work"; exit 1; }; \
		grep -E '^#[0-9]+.*DONE' $$work/log | tail -n 1; rm -rf $$work; \
	done

# --- benchmarks ----------------------------------------------------------------
BENCH_PKGS := crun util-linux python3

bench-containers: deps
	$(Q)$(MAKE) --no-print-directory DEB_PKGS="$(BENCH_PKGS)" deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BIN=$(abspath $(O)/bin) N=$${N:-50} bench/containers/run.sh

bench-bus: deps
	$(Q)$(MAKE) --no-print-directory DEB_PKGS="util-linux gawk" deps
	$(Q)$(MAKE) --no-print-directory all $(O)/bench/busbench
	$(Q)BIN=$(abspath $(O)/bin) BUSBENCH=$(abspath $(O)/bench/busbench) bench/bus/run.sh

# Static: it runs inside containers of any root file system.
$(O)/bench/busbench: $(O)/static/bench/bus/busbench.o $(filter-out $(O)/static/cli/%,$(STATIC_OBJ))
	$(link-static)

# --- demo ----------------------------------------------------------------------
demo: deps
	$(Q)$(MAKE) --no-print-directory demo-run

demo-run: all
	$(Q)BIN=$(abspath $(O)/bin) examples/demo.sh

# --- install -------------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(INCDIR)/ctr-ipc \
		$(DESTDIR)$(MANDIR)/man4 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(SYSCONFDIR)/ctr-ipc $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 0755 $(O)/bin/ctr-ipc $(DESTDIR)$(BINDIR)/ctr-ipc
	install -m 0755 $(O)/bin/ctr-ipcd $(DESTDIR)$(SBINDIR)/ctr-ipcd
	install -d $(DESTDIR)$(LIBEXECDIR)/ctr-ipc
	install -m 0755 $(O)/bin/ctr-ipc-fetch $(DESTDIR)$(LIBEXECDIR)/ctr-ipc/ctr-ipc-fetch
	install -m 0755 $(O)/bin/ctr-ipc-buffer $(DESTDIR)$(LIBEXECDIR)/ctr-ipc/ctr-ipc-buffer
	install -m 0755 $(O)/bin/ctripc-static $(DESTDIR)$(LIBEXECDIR)/ctr-ipc/ctripc-static
	install -m 0755 $(O)/bin/ctripc $(DESTDIR)$(BINDIR)/ctripc
	install -m 0644 include/ctr-ipc/proto.h $(DESTDIR)$(INCDIR)/ctr-ipc/
	install -m 0644 include/ctripc.h $(DESTDIR)$(INCDIR)/
	install -m 0644 $(PROTO_LIB) $(O)/lib/libctripc.a $(DESTDIR)$(LIBDIR)/
	install -m 0755 $(O)/lib/libctripc.so.0 $(DESTDIR)$(LIBDIR)/
	ln -sf libctripc.so.0 $(DESTDIR)$(LIBDIR)/libctripc.so
	for s in 1 3; do ls man/*.$$s >/dev/null 2>&1 || continue; \
		install -d $(DESTDIR)$(MANDIR)/man$$s; install -m 0644 man/*.$$s $(DESTDIR)$(MANDIR)/man$$s/; done
	install -m 0644 man/*.4 $(DESTDIR)$(MANDIR)/man4/
	install -m 0644 man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 completions/ctr-ipc.bash $(DESTDIR)$(BASHCOMPDIR)/ctr-ipc
	install -m 0644 completions/_ctr-ipc $(DESTDIR)$(ZSHCOMPDIR)/_ctr-ipc
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@INCDIR@|$(INCDIR)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@VERSION@|$(VERSION)|' ctripc-proto.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/ctripc-proto.pc
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@INCDIR@|$(INCDIR)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@VERSION@|$(VERSION)|' ctripc.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/ctripc.pc
	test -e $(DESTDIR)$(SYSCONFDIR)/ctr-ipc/ctr-ipcd.conf || \
		install -m 0644 examples/ctr-ipcd.conf $(DESTDIR)$(SYSCONFDIR)/ctr-ipc/ctr-ipcd.conf

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ctripc $(DESTDIR)$(INCDIR)/ctripc.h \
		$(DESTDIR)$(LIBDIR)/libctripc.so.0 $(DESTDIR)$(LIBDIR)/libctripc.so \
		$(DESTDIR)$(LIBDIR)/libctripc.a $(DESTDIR)$(LIBDIR)/pkgconfig/ctripc.pc \
		$(DESTDIR)$(MANDIR)/man1/ctripc.1 $(DESTDIR)$(MANDIR)/man3/libctripc.3 \
		$(DESTDIR)$(MANDIR)/man8/ctr-ipc-buffer.8
	rm -f $(DESTDIR)$(BINDIR)/ctr-ipc $(DESTDIR)$(SBINDIR)/ctr-ipcd \
		$(DESTDIR)$(MANDIR)/man4/ctr_vdev.4 \
		$(DESTDIR)$(MANDIR)/man5/ctr-ipc.conf.5 $(DESTDIR)$(MANDIR)/man8/ctr-ipc.8 \
		$(DESTDIR)$(MANDIR)/man8/ctr-ipcd.8 $(DESTDIR)$(BASHCOMPDIR)/ctr-ipc \
		$(DESTDIR)$(ZSHCOMPDIR)/_ctr-ipc $(DESTDIR)$(LIBDIR)/pkgconfig/ctripc-proto.pc \
		$(DESTDIR)$(LIBDIR)/libctripc-proto.a
	rm -rf $(DESTDIR)$(INCDIR)/ctr-ipc $(DESTDIR)$(LIBEXECDIR)/ctr-ipc

format:
	clang-format -i $$(git ls-files '*.c' '*.h' | grep -v '^kmod/')

check-format:
	$(Q)clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h' | grep -v '^kmod/') \
		&& echo "format: clean (make format fixes it)"

clean: kmod-clean
	rm -rf build

# --- kernel module -------------------------------------------------------------
include kmod/kmod.mk
