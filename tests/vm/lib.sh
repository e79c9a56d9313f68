# Shell helpers for the ctr_vdev VM scripts (sourced by /init).
/bin/busybox --install -s /bin
export PATH=/bin
# The initramfs is rootfs, where pivot_root(2) is refused (ctr-ipc containers use it): move
# everything to a tmpfs and make that the root, once, before anything else.
if [ "$$" = 1 ] && [ ! -e /.tmpfs-root ]; then
	mkdir -p /newroot
	mount -t tmpfs -o mode=0755 root /newroot
	for f in /*; do
		case $f in /newroot | /proc | /sys | /dev) ;; *) cp -a "$f" /newroot/ ;; esac
	done
	mkdir -p /newroot/proc /newroot/sys /newroot/dev
	touch /newroot/.tmpfs-root
	exec switch_root /newroot /init
fi
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp

FAILS=0
FAIL_LOGS= # files shown on the console when something failed (the daemon's log)
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
check() { # DESCRIPTION COMMAND...: PASS if the command succeeds
	d=$1
	shift
	if "$@"; then pass "$d"; else fail "$d"; fi
}
host() { echo "@@HOST $*"; }

finish() {
	if dmesg | grep -E 'Oops|BUG:|WARNING:|Call Trace' >/dev/null; then
		fail "kernel log is clean"
		dmesg | tail -n 60
	fi
	if [ "$FAILS" != 0 ]; then
		for f in $FAIL_LOGS; do
			echo "--- $f"
			sed 's/^/    | /' "$f" 2>/dev/null
		done
	fi
	if [ "$FAILS" = 0 ]; then echo "@@RESULT PASS"; else echo "@@RESULT FAIL ($FAILS failed)"; fi
	sync
	poweroff -f
}

# wait_for FILE PATTERN [SECONDS]: until a line of FILE matches.
wait_for() {
	n=$((${3:-60} * 10))
	while ! grep -q -e "$2" "$1" 2>/dev/null; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		usleep 100000
	done
}

# start_ctr: a "container" = a sleeping init in its own pid and mount namespaces.
# Sets CPID to that init's pid as seen from here.
start_ctr() {
	unshare -p -f -m sleep 100000 >/dev/null 2>&1 &
	u=$!
	CPID=
	n=100
	while [ -z "$CPID" ] && [ $n -gt 0 ]; do
		CPID=$(cat /proc/$u/task/$u/children 2>/dev/null | tr -d ' ')
		n=$((n - 1))
		usleep 50000
	done
}

# in_ctr PID CMD...: run a command inside that container's namespaces.
in_ctr() {
	p=$1
	shift
	nsenter -t "$p" -p -m "$@"
}

# stop PID: stop a background job and everything under it (nsenter, the program it runs).
stop() {
	for c in $(cat /proc/$1/task/*/children 2>/dev/null); do stop "$c"; done
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# keys LOG: the key presses/releases a reader printed, as one line ("type code value" each).
keys() { grep '^1 ' "$1" | grep -v ' 2$' | tr '\n' ' '; }

# check_keys DESCRIPTION LOG EXPECTED: compare a reader's key records, show them on failure.
check_keys() {
	got=$(keys "/tmp/$2.log")
	if [ "$got" = "$3" ]; then
		pass "$1"
	else
		fail "$1: expected '$3', got '$got'"
		sed 's/^/    | /' "/tmp/$2.log"
	fi
}

# section TITLE: a heading with the VM's uptime, to see where the time goes.
section() { echo "== $* ($(cut -d' ' -f1 /proc/uptime)s)"; }
