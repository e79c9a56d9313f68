# The ctr_vdev scenarios through ctr-ipcd and ctr-ipc (sourced by /init after the module's own
# scenarios): the daemon uses the module (vdev_backend = auto), containers A and B are real
# ctr-ipc containers (default root: this VM's /bin, /lib*, /etc read-only), attached to the PS/2
# keyboard with "ctr-ipc vdev attach"; they read /dev/vdev/kbd through "ctr-ipc container exec".

section "ctr-ipcd: setup"
insmod /lib/modules/ctr_vdev.ko 2>/dev/null
grep -q '^ctr_vdev ' /proc/modules || fail "ctr_vdev loaded for the daemon"
mount -t tmpfs run /run
mount -t tmpfs var /var
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
start_ctripcd /tmp/ctr-ipcd.log
check "ctr-ipcd answers" ctr-ipc daemon version
check "ctr-ipcd uses the module" sh -c "ctr-ipc daemon status | grep -q 'Vdev backend.*kmod'"
check "vdev resources shows the kmod backend" \
	sh -c "ctr-ipc -j vdev resources | grep -q '\"backend\":\"kmod\"'"
K=$(ctr-ipc vdev resources | awk '/AT Translated Set 2 keyboard/ { print $1 }')
check "the PS/2 keyboard is a resource (id '$K')" [ -n "$K" ]

for c in A B; do
	check "container create $c" ctr-ipc -q container create "$c"
	check "container start $c" ctr-ipc -q container start "$c"
	check "vdev attach $c" ctr-ipc -q vdev attach "$c" "$K" --name kbd
done
ctr-ipc vdev ls
check "A has /dev/vdev/kbd" ctr-ipc container exec A -- test -c /dev/vdev/kbd
check "the module has A/kbd and B/kbd" [ -c /dev/ctr_vdev/A/kbd -a -c /dev/ctr_vdev/B/kbd ]
# pid PID-OF-CONTAINER: its init, as seen here.
ctr_pid() { ctr-ipc -j container inspect "$1" | grep -o '"pid":[0-9]*' | head -n 1 | cut -d: -f2; }
PA=$(ctr_pid A)
PB=$(ctr_pid B)
check "container inits (A=$PA B=$PB)" [ -n "$PA" -a -n "$PB" ]


route_scenarios d A B ctr-ipcd

section "ctr-ipcd: open from the wrong container"
nsenter --mount=/proc/$PA/ns/mnt --pid=/proc/$PB/ns/pid vdevio read -t 100 /dev/vdev/kbd \
	> /tmp/d-perm.log 2>&1
check "a process of B opening A's node gets EPERM" grep -q 'Operation not permitted' /tmp/d-perm.log
vdevio read -t 100 /dev/ctr_vdev/A/kbd > /tmp/d-perm2.log 2>&1
check "root outside the containers gets EPERM" grep -q 'Operation not permitted' /tmp/d-perm2.log

section "ctr-ipcd: LED writes"
ctr-ipc -q vdev focus B "$K"
ctr-ipc container exec A -- vdevio write /dev/vdev/kbd 17 1 1 > /tmp/d-led1.log 2>&1
check "caps lock from unfocused A refused (EPERM)" grep -q 'Operation not permitted' /tmp/d-led1.log
capslock() { cat /sys/class/leds/input*::capslock/brightness 2>/dev/null | sort -u | tail -n 1; }
check "caps lock LED off (sysfs)" [ "$(capslock)" = 0 ]
ctr-ipc -q vdev focus A "$K"
ctr-ipc container exec A -- vdevio write /dev/vdev/kbd 17 1 1 > /tmp/d-led2.log 2>&1
check "caps lock from focused A accepted" grep -q 'write: OK' /tmp/d-led2.log
usleep 200000
check "caps lock LED on (sysfs)" [ "$(capslock)" = 1 ]
ctr-ipc container exec A -- vdevio write /dev/vdev/kbd 17 1 0 > /dev/null 2>&1
check "refused write counted" sh -c "ctr-ipc -j vdev stats $K | grep '\"container\":\"A\"' | grep -q '\"refused_writes\":[1-9]'"

section "ctr-ipcd: privileges and backend-only commands"
su -s /bin/sh nobody -c "ctr-ipc vdev focus B $K" > /tmp/d-priv.log 2>&1
check "vdev focus from a non-admin refused by ctr-ipcd" \
	grep -q "permission denied: 'vdev.focus' needs an administrator.*uid 65534" /tmp/d-priv.log
vdevctl -U focus "$K" B > /tmp/d-priv2.log 2>&1
check "the module refuses a non-admin directly" grep -q 'Operation not permitted' /tmp/d-priv2.log
ctr-ipc vdev sim add pad > /tmp/d-sim.log 2>&1
check "vdev sim add refused with the kmod backend" grep -q 'only the user-space backend' /tmp/d-sim.log
ctr-ipc vdev inject "$K" key 30 1 > /tmp/d-inj.log 2>&1
check "vdev inject refused with the kmod backend" grep -q 'only the user-space backend' /tmp/d-inj.log

section "ctr-ipcd: watch, stop, start, rm"
ctr-ipc -j vdev watch --count 3 > /tmp/d-watch.log 2>&1 &
WATCH=$!
usleep 500000
ctr-ipc -q vdev focus B "$K"
ctr-ipc -q vdev focus A "$K"
wait "$WATCH"
check "vdev watch hears the module's target changes" grep -q '"event":"target".*"target":"B"' /tmp/d-watch.log
check "stop B" ctr-ipc -q container stop B
check "B's device goes from the module with its run" [ ! -e /dev/ctr_vdev/B/kbd ]
check "B stays attached" sh -c "ctr-ipc vdev ls B | grep -q kbd"
check "start B" ctr-ipc -q container start B
check "B's device is back" ctr-ipc container exec B -- test -c /dev/vdev/kbd
ctr-ipc -q vdev focus B "$K"
check "rm -f B (holding the focus)" ctr-ipc -q container rm -f B
check "B's devices are gone" sh -c "! ctr-ipc vdev ls | grep -q '^B '"
check "the focus falls back to A" \
	sh -c "ctr-ipc vdev resources | grep 'AT Translated' | grep -q 'A  *A *$'"
creader d-a6 A 2
RA=$READER
host type e
wait "$RA"
check_keys "A reads e after B went" d-a6 "$KE"

section "ctr-ipcd: unload"
creader d-a7 A
RA=$READER
rmmod ctr_vdev > /tmp/d-rmmod.log 2>&1 && fail "rmmod with A's device open should be refused"
check "rmmod refused while A reads its device" grep -q '^ctr_vdev ' /proc/modules
stop "$RA"
kill "$DPID"
wait "$DPID"
check "ctr-ipcd leaves the module clean on exit" [ -z "$(vdevctl stats)" ]
check "rmmod once the daemon is gone" rmmod ctr_vdev
