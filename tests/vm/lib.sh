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

# creader LOG CONTAINER [KEYS]: background reader of /dev/vdev/kbd in a ctr-ipc container,
# printing to /tmp/LOG.log (KEYS: until that many key presses and releases); returns once the
# device is open, with the reader's pid in READER.
creader() {
	if [ -n "${3:-}" ]; then
		ctr-ipc container exec "$2" -- vdevio read -n "$3" -t 60000 /dev/vdev/kbd > "/tmp/$1.log" 2>&1 &
	else
		ctr-ipc container exec "$2" -- vdevio read -t 90000 /dev/vdev/kbd > "/tmp/$1.log" 2>&1 &
	fi
	READER=$!
	wait_for "/tmp/$1.log" opened 30
}

# none LOG: /tmp/LOG.log holds no record.
none() { [ "$(grep -c '^[0-9]* [0-9]* -*[0-9]*$' "/tmp/$1.log")" = 0 ]; }

# route_scenarios LOG X Y TITLE: with containers X and Y attached to the keyboard $K as kbd, the
# routing rules through ctr-ipc, whichever backend the daemon runs: focus X, focus Y, a key
# held across a switch, bar X with a redirect to Y, unblock.  Readers log to /tmp/LOG-*.log.
route_scenarios() {
	section "$4: focus $2"
	check "vdev focus $2" ctr-ipc -q vdev focus $2 "$K"
	creader $1-a1 $2 6
	RA=$READER
	creader $1-b1 $3
	RB=$READER
	host type abc
	wait "$RA"
	usleep 300000
	stop "$RB"
	check_keys "$2 reads exactly a b c" $1-a1 "$KA$KB$KC"
	check "$3 reads nothing" none $1-b1

	section "$4: focus $3"
	check "vdev focus $3" ctr-ipc -q vdev focus $3 "$K"
	creader $1-a2 $2
	RA=$READER
	creader $1-b2 $3 4
	RB=$READER
	host type de
	wait "$RB"
	usleep 300000
	stop "$RA"
	check_keys "$3 reads exactly d e" $1-b2 "$KD$KE"
	check "$2 reads nothing" none $1-a2

	section "$4: key held across a focus switch"
	ctr-ipc -q vdev focus $2 "$K"
	creader $1-a3 $2
	RA=$READER
	creader $1-b3 $3 2
	RB=$READER
	host press a
	wait_for /tmp/$1-a3.log '^1 30 1$' 30
	ctr-ipc -q vdev focus $3 "$K"
	wait_for /tmp/$1-a3.log '^1 30 0$' 30
	host "release a; type b"
	wait "$RB"
	usleep 300000
	stop "$RA"
	check_keys "$2 gets the key-up of its held key on the switch" $1-a3 "$KA"
	check_keys "$3 gets b and nothing stale" $1-b3 "$KB"

	section "$4: bar and redirect"
	ctr-ipc -q vdev focus $2 "$K"
	check "vdev block $2 --redirect $3" ctr-ipc -q vdev block $2 "$K" --redirect $3
	check "vdev ls: $2 barred, to $3" sh -c "ctr-ipc vdev ls $2 | grep -q 'barred, to $3'"
	check "vdev resources: focus $2, events to $3" \
		sh -c "ctr-ipc vdev resources | grep 'AT Translated' | grep -q '$2  *$3 *$'"
	creader $1-a4 $2
	RA=$READER
	creader $1-b4 $3 2
	RB=$READER
	host type c
	wait "$RB"
	usleep 300000
	stop "$RA"
	check_keys "redirected: $3 reads c" $1-b4 "$KC"
	check "barred $2 reads nothing" none $1-a4
	check "vdev stats counts the redirect" \
		sh -c "ctr-ipc -j vdev stats $K | grep -q '\"redirected\":[1-9]'"
	check "vdev unblock $2" ctr-ipc -q vdev unblock $2 "$K"
	creader $1-a5 $2 2
	RA=$READER
	host type d
	wait "$RA"
	check_keys "after unblock $2 reads d" $1-a5 "$KD"
}

# start_ctripcd LOG [ARGS...]: ctr-ipcd in the background (DPID), its log shown on failure;
# returns once it answers, or after 10 seconds.
start_ctripcd() {
	log=$1
	shift
	FAIL_LOGS="$FAIL_LOGS $log"
	ctr-ipcd --foreground --log-level debug "$@" > "$log" 2>&1 &
	DPID=$!
	n=100
	until ctr-ipc daemon version > /dev/null 2>&1 || [ $n = 0 ]; do
		n=$((n - 1))
		usleep 100000
	done
}
