# The user-space backend with a real source (sourced by /init after daemon.sh): ctr-ipcd
# without the module (vdev_backend = user) reads the PS/2 keyboard's /dev/input/eventN through
# evdev, grabs it while containers have devices on it, and routes its events into their
# /dev/vdev/kbd FIFOs with the same rules as the module.

section "ctr-ipcd, user backend: setup"
grep -q '^ctr_vdev ' /proc/modules && rmmod ctr_vdev
echo "vdev_backend = user" > /tmp/user.conf
ULOG=/tmp/ctr-ipcd-user.log
start_ctripcd "$ULOG" --config /tmp/user.conf
check "ctr-ipcd (user backend) answers" ctr-ipc daemon version
check "ctr-ipcd uses the user-space backend" sh -c "ctr-ipc daemon status | grep -q 'Vdev backend.*user'"
K=$(ctr-ipc vdev resources | awk '/AT Translated Set 2 keyboard/ { print $1 }')
check "the PS/2 keyboard is a resource of the user backend (id '$K')" [ -n "$K" ]
EV=$(for e in /sys/class/input/event*; do
	grep -q 'AT Translated Set 2 keyboard' "$e/device/name" && basename "$e"; done | head -n 1)
check "its evdev node (/dev/input/$EV)" [ -c "/dev/input/$EV" ]
check "vdev resources names the node's phys" \
	sh -c "ctr-ipc -j vdev resources | grep 'AT Translated' | grep -q 'isa0060/serio0'"

for c in C D; do
	check "container create $c" ctr-ipc -q container create "$c"
	check "container start $c" ctr-ipc -q container start "$c"
	check "vdev attach $c" ctr-ipc -q vdev attach "$c" "$K" --name kbd
done
check "C has /dev/vdev/kbd (a FIFO)" ctr-ipc container exec C -- test -p /dev/vdev/kbd
check "the daemon grabbed /dev/input/$EV" grep -q "grabbed /dev/input/$EV" "$ULOG"


# The routing rules, as with the module; meanwhile a reader of the evdev node on the host gets
# nothing: the keyboard is grabbed.
vdevio read -t 120000 "/dev/input/$EV" > /tmp/u-host1.log 2>&1 &
RH=$!
wait_for /tmp/u-host1.log opened 30
route_scenarios u C D "ctr-ipcd, user backend"
stop "$RH"
check "the host's evdev reader got nothing while the keyboard was grabbed" none u-host1

section "ctr-ipcd, user backend: released when no container has the keyboard"
check "vdev detach C" ctr-ipc -q vdev detach C kbd
check "vdev detach D" ctr-ipc -q vdev detach D kbd
check "the daemon released /dev/input/$EV" grep -q "released /dev/input/$EV" "$ULOG"
vdevio read -n 2 -t 60000 "/dev/input/$EV" > /tmp/u-host2.log 2>&1 &
RH=$!
wait_for /tmp/u-host2.log opened 30
host type e
wait "$RH"
check_keys "the host's evdev reader gets e again" u-host2 "$KE"
section "ctr-ipcd, user backend: hot-plug"
ctr-ipc -j vdev watch --count 2 > /tmp/u-watch.log 2>&1 &
WATCH=$!
usleep 300000
vdevio uinput hotplug-kbd 2000 > /tmp/u-uinput.log 2>&1 &
UIN=$!
wait_for /tmp/u-uinput.log created 30
usleep 500000
check "a keyboard plugged in becomes a resource" \
	sh -c "ctr-ipc vdev resources | grep -q hotplug-kbd"
wait "$UIN"
usleep 500000
check "and goes when it is unplugged" sh -c "! ctr-ipc vdev resources | grep -q hotplug-kbd"
wait "$WATCH"
check "vdev watch hears it added" grep -q '"event":"added".*hotplug-kbd' /tmp/u-watch.log
check "vdev watch hears it removed" grep -q '"event":"removed".*hotplug-kbd' /tmp/u-watch.log
kill "$DPID"
wait "$DPID"
check "ctr-ipcd (user backend) stopped" [ $? = 0 ]
