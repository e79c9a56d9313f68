#!/bin/sh
# /init of the ctr_vdev test VM: containers A and B share the emulated PS/2 keyboard.
. /lib.sh

KA="1 30 1 1 30 0 " KB="1 48 1 1 48 0 " KC="1 46 1 1 46 0 " KD="1 32 1 1 32 0 " KE="1 18 1 1 18 0 "

section "setup"
insmod /lib/modules/evdev.ko
insmod /lib/modules/uinput.ko
check "module loads" insmod /lib/modules/ctr_vdev.ko
vdevctl resources
KBD=$(vdevctl resources | awk '/name=AT Translated Set 2 keyboard/ { print $2 }')
check "PS/2 keyboard is a resource (id '$KBD')" [ -n "$KBD" ]
EVKBD=
for d in /sys/class/input/event*; do
	grep -q 'AT Translated' "$d/device/name" && EVKBD=/dev/input/${d##*/}
done
vdevctl listen 0 0 > /tmp/listen.log 2>&1 &
LISTEN=$!
wait_for /tmp/listen.log listening 30

start_ctr
PA=$CPID
start_ctr
PB=$CPID
check "containers started (A=$PA B=$PB)" [ -n "$PA" -a -n "$PB" ]
check "register A" vdevctl register A "$PA"
check "register B" vdevctl register B "$PB"
vdevctl register C 1 > /tmp/reg.log 2>&1
check "a process sharing our pid namespace is refused" grep -q "shares the caller's pid namespace" /tmp/reg.log
check "create A/kbd" vdevctl create A "$KBD" kbd
check "create B/kbd" vdevctl create B "$KBD" kbd
check "device nodes in /dev/ctr_vdev" [ -c /dev/ctr_vdev/A/kbd -a -c /dev/ctr_vdev/B/kbd ]
vdevctl create A "$KBD" again > /tmp/dup.log 2>&1
check "second device of A on the same resource refused" grep -q 'File exists' /tmp/dup.log

# reader NAME CTR_PID DEV [KEYS]: background reader in the container, once it has the device
# open; nsenter is started directly (not through a function) so that $! is nsenter itself.
reader() {
	log=/tmp/$1.log
	if [ -n "${4:-}" ]; then
		nsenter -t "$2" -p -m vdevio read -n "$4" -t 60000 "$3" > "$log" 2>&1 &
	else
		nsenter -t "$2" -p -m vdevio read -t 90000 "$3" > "$log" 2>&1 &
	fi
	READER=$!
	wait_for "$log" opened 30
}

section "focus A"
vdevctl focus "$KBD" A
reader a1 "$PA" /dev/ctr_vdev/A/kbd 6
RA=$READER
reader b1 "$PB" /dev/ctr_vdev/B/kbd
RB=$READER
host type abc
wait "$RA"
usleep 300000
stop "$RB"
check_keys "A reads exactly a b c" a1 "$KA$KB$KC"
check "B reads nothing" [ "$(grep -vc opened /tmp/b1.log)" = 0 ]

section "focus B"
vdevctl focus "$KBD" B
reader a2 "$PA" /dev/ctr_vdev/A/kbd
RA=$READER
reader b2 "$PB" /dev/ctr_vdev/B/kbd 4
RB=$READER
host type de
wait "$RB"
usleep 300000
stop "$RA"
check_keys "B reads exactly d e" b2 "$KD$KE"
check "A reads nothing" [ "$(grep -vc opened /tmp/a2.log)" = 0 ]

section "key held across a focus switch"
vdevctl focus "$KBD" A
reader a3 "$PA" /dev/ctr_vdev/A/kbd
RA=$READER
reader b3 "$PB" /dev/ctr_vdev/B/kbd 2
RB=$READER
host press a
wait_for /tmp/a3.log '^1 30 1$' 30
vdevctl focus "$KBD" B
wait_for /tmp/a3.log '^1 30 0$' 30
host "release a; type b"
wait "$RB"
usleep 300000
stop "$RA"
check_keys "A gets the key-up of its held key on the switch" a3 "$KA"
check_keys "B gets b and nothing stale" b3 "$KB"
check "B sees exactly two packets" [ "$(grep -c '^0 0 0$' /tmp/b3.log)" = 2 ]

section "bar and redirect"
vdevctl focus "$KBD" A
check "block A, redirect to B" vdevctl block "$KBD" A B
vdevctl resources | grep "^res $KBD " > /tmp/res.log
check "focus A, target B" grep -q 'focus=A target=B' /tmp/res.log
reader a4 "$PA" /dev/ctr_vdev/A/kbd
RA=$READER
reader b4 "$PB" /dev/ctr_vdev/B/kbd 2
RB=$READER
host type c
wait "$RB"
usleep 300000
stop "$RA"
check_keys "redirected: B reads c" b4 "$KC"
check "barred A reads nothing" [ "$(grep -vc opened /tmp/a4.log)" = 0 ]
vdevctl stats | grep '^vdev B/kbd' > /tmp/stats.log
check "B counts redirected events" grep -q 'redirected=[1-9]' /tmp/stats.log
check "unblock A" vdevctl unblock "$KBD" A
reader a5 "$PA" /dev/ctr_vdev/A/kbd 2
RA=$READER
host type d
wait "$RA"
check_keys "after unblock A reads d" a5 "$KD"
vdevctl block "$KBD" A
check "bar without redirect: most recently focused unbarred (B) receives" \
	sh -c "vdevctl resources | grep '^res $KBD ' | grep -q 'focus=A target=B'"
vdevctl block "$KBD" B
check "both barred: nobody receives" \
	sh -c "vdevctl resources | grep '^res $KBD ' | grep 'focus=A' | grep -q 'target=-'"
vdevctl unblock "$KBD" A
vdevctl unblock "$KBD" B

section "open from another namespace"
in_ctr "$PB" vdevio read -t 100 /dev/ctr_vdev/A/kbd > /tmp/perm.log 2>&1
check "B opening A's device gets EPERM" grep -q 'Operation not permitted' /tmp/perm.log
vdevio read -t 100 /dev/ctr_vdev/A/kbd > /tmp/perm2.log 2>&1
check "root outside the container gets EPERM" grep -q 'Operation not permitted' /tmp/perm2.log
in_ctr "$PA" vdevio nonblock /dev/ctr_vdev/A/kbd > /tmp/nb.log 2>&1
check "O_NONBLOCK read of an empty device: EAGAIN" grep -q 'Resource temporarily unavailable' /tmp/nb.log

section "LED writes"
vdevctl focus "$KBD" B
in_ctr "$PA" vdevio write /dev/ctr_vdev/A/kbd 17 1 1 > /tmp/led1.log 2>&1
check "caps lock from unfocused A refused (EPERM)" grep -q 'Operation not permitted' /tmp/led1.log
check "refused write counted" sh -c "vdevctl stats | grep '^vdev A/kbd' | grep -q 'refused=[1-9]'"
vdevio leds "$EVKBD" > /tmp/leds0.log
check "caps lock LED still off" grep -q 'leds 0x[0-9a-f]*[014589cd]$' /tmp/leds0.log
vdevctl focus "$KBD" A
in_ctr "$PA" vdevio write /dev/ctr_vdev/A/kbd 17 1 1 > /tmp/led2.log 2>&1
check "caps lock from focused A accepted" grep -q 'write: OK' /tmp/led2.log
usleep 200000
vdevio leds "$EVKBD" > /tmp/leds1.log
check "caps lock LED is on in the input core" grep -q 'leds 0x2' /tmp/leds1.log
for l in /sys/class/leds/input*::capslock; do echo "info: $l brightness $(cat "$l/brightness")"; done
in_ctr "$PA" vdevio write /dev/ctr_vdev/A/kbd 17 1 0 > /dev/null 2>&1

section "privileges"
vdevctl -U focus "$KBD" B > /tmp/priv1.log 2>&1
check "focus from a non-admin refused" grep -q 'Operation not permitted' /tmp/priv1.log
vdevctl -U register X "$PA" > /tmp/priv2.log 2>&1
check "register from a non-admin refused" grep -q 'Operation not permitted' /tmp/priv2.log
vdevctl -U listen 1 100 > /tmp/priv3.log 2>&1
check "event group closed to non-admins" grep -q 'join group.*ermission\|join group.*not permitted' /tmp/priv3.log
check "resource list open to non-admins" sh -c "vdevctl -U resources | grep -q '^res $KBD '"

section "ring overflow"
mkfifo /tmp/fctl
vdevbench flood 100 < /tmp/fctl > /tmp/flood.log 2>&1 &
FLOOD=$!
exec 4> /tmp/fctl
wait_for /tmp/flood.log 'device ready' 30
FRES=$(vdevctl resources | awk '/name=ctr-vdev-bench/ { print $2 }')
vdevctl create A "$FRES" flood
vdevctl focus "$FRES" A
nsenter -t "$PA" -p -m vdevio read -d 1500 -t 1500 /dev/ctr_vdev/A/flood > /tmp/flood-r.log 2>&1 &
RF=$!
wait_for /tmp/flood-r.log opened 30
echo go >&4
wait "$RF"
check "overflow counted" sh -c "vdevctl stats | grep '^vdev A/flood' | grep -q 'dropped=256'"
echo quit >&4
exec 4>&-
wait "$FLOOD"
check "400 events into a 256-record ring: one dropped marker for 256" \
	[ "$(grep -c '^0 3 ' /tmp/flood-r.log)" = 1 -a "$(grep '^0 3 ' /tmp/flood-r.log)" = "0 3 256" ]
check "marker first, then the 144 newest records" \
	[ "$(sed -n 2p /tmp/flood-r.log)" = "0 3 256" -a "$(grep -c '^[01] ' /tmp/flood-r.log)" = 145 ]
wait_for /tmp/listen.log 'resource-removed.*ctr-vdev-bench' 30
check "A/flood gone with its resource" [ ! -e /dev/ctr_vdev/A/flood ]

section "hot-plug events"
vdevbench plug 500 > /tmp/plug.log 2>&1
wait_for /tmp/plug.log plugged 30
usleep 1000000
check "resource-added reported" grep -q 'event resource-added .*name=ctr-vdev-bench' /tmp/listen.log
check "resource-removed reported" grep -q 'event resource-removed .*name=ctr-vdev-bench' /tmp/listen.log
check "focus changes reported" grep -q "event focus res=$KBD focus=A target=B" /tmp/listen.log

section "unload"
reader a6 "$PA" /dev/ctr_vdev/A/kbd
RA=$READER
rmmod ctr_vdev > /tmp/rmmod1.log 2>&1 && fail "rmmod with an open device should be refused"
check "rmmod refused while A's device is open" grep -q '^ctr_vdev ' /proc/modules
check "destroy A/kbd while open" vdevctl destroy A "$KBD"
wait "$RA"
check "the open reader gets ENODEV" grep -q 'read: No such device' /tmp/a6.log
check "node gone" [ ! -e /dev/ctr_vdev/A/kbd ]
check "unregister B removes its device" vdevctl unregister B
check "B's node gone" [ ! -e /dev/ctr_vdev/B/kbd ]
stop "$LISTEN"
check "rmmod once nothing is open" rmmod ctr_vdev
check "reload" insmod /lib/modules/ctr_vdev.ko
vdevctl register A "$PA"
vdevctl create A "$KBD" kbd > /dev/null 2>&1 || vdevctl create A "$(vdevctl resources | awk '/AT Translated/ { print $2 }')" kbd
check "rmmod with registered containers and devices" rmmod ctr_vdev
cat /tmp/listen.log

# The same through ctr-ipcd and ctr-ipc, with ctr-ipc containers.
. /daemon.sh
# The user-space backend, with the same keyboard read through evdev.
. /daemon_user.sh
finish
