#!/bin/sh
# Build an initramfs (busybox, ctr_vdev.ko, evdev/uinput from the image, the test programs,
# ctr-ipcd and ctr-ipc with --prog, and their shared libraries) and boot it under QEMU/TCG,
# driven by qmp.py.  Every file given with --script lands in / next to /init.
#
#   run.sh --kver VER --module ctr_vdev.ko --bin DIR [--prog FILE]... [--script FILE]...
#          --init SCRIPT --workdir DIR [--timeout S]
set -eu

here=$(cd "$(dirname "$0")" && pwd)
kver= module= bin= init= workdir= timeout=240 progs= scripts=
while [ $# -gt 0 ]; do
	case $1 in
	--kver) kver=$2 ;;
	--module) module=$2 ;;
	--bin) bin=$2 ;;
	--prog) progs="$progs $2" ;;
	--script) scripts="$scripts $2" ;;
	--init) init=$2 ;;
	--workdir) workdir=$2 ;;
	--timeout) timeout=$2 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift 2
done
for v in kver module bin init workdir; do
	eval "[ -n \"\$$v\" ]" || { echo "run.sh: --$v is required" >&2; exit 2; }
done
kernel=/boot/vmlinuz-$kver
[ -r "$kernel" ] || { echo "run.sh: $kernel not readable (install linux-image-amd64)" >&2; exit 1; }
[ -x /bin/busybox ] || { echo "run.sh: /bin/busybox missing (install busybox-static)" >&2; exit 1; }

root=$workdir/root
rm -rf "$root"
mkdir -p "$root/bin" "$root/lib/modules" "$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/etc" \
	"$root/run" "$root/var"
cp /bin/busybox "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
echo 'root:x:0:0:root:/:/bin/sh' > "$root/etc/passwd"
echo 'nobody:x:65534:65534:nobody:/:/bin/false' >> "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"

# A module from the image, uncompressed so busybox insmod can load it.
add_module() {
	src=$(find "/lib/modules/$kver/kernel" -name "$1.ko*" | head -n 1)
	[ -n "$src" ] || { echo "run.sh: module $1 not found for $kver" >&2; exit 1; }
	case $src in
	*.xz) xz -dc "$src" > "$root/lib/modules/$1.ko" ;;
	*.zst) zstd -qdc "$src" > "$root/lib/modules/$1.ko" ;;
	*.gz) gzip -dc "$src" > "$root/lib/modules/$1.ko" ;;
	*) cp "$src" "$root/lib/modules/$1.ko" ;;
	esac
}
add_module evdev
add_module uinput
cp "$module" "$root/lib/modules/ctr_vdev.ko"

# Programs and every shared library they load, at the same paths.
for prog in "$bin"/* $progs; do
	[ -x "$prog" ] && [ -f "$prog" ] || continue
	cp "$prog" "$root/bin/"
	ldd "$prog" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		[ -e "$root$lib" ] || cp -L "$lib" "$root$lib"
	done
done

cp "$here/lib.sh" "$root/lib.sh"
for s in $scripts; do cp "$s" "$root/"; done
cp "$init" "$root/init"
chmod +x "$root/init"

(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$workdir/initrd.gz"
exec python3 "$here/qmp.py" --kernel "$kernel" --initrd "$workdir/initrd.gz" \
	--workdir "$workdir" --timeout "$timeout"
