#!/bin/sh
# /init of the ctr_vdev benchmark VM: one uinput keyboard read through a ctr_vdev device and
# through its evdev node, alternating phases in the same run.
. /lib.sh

ROUNDS=${ROUNDS:-5} SAMPLES=${SAMPLES:-400} EVENTS=${EVENTS:-40000}

section "setup"
insmod /lib/modules/evdev.ko
insmod /lib/modules/uinput.ko
insmod /lib/modules/ctr_vdev.ko
start_ctr
PA=$CPID
vdevctl register A "$PA"
mkfifo /tmp/ctl
nsenter -t "$PA" -p -m vdevbench run /dev/ctr_vdev/A/bench "$SAMPLES" "$EVENTS" \
	< /tmp/ctl > /tmp/bench.log 2>&1 &
BENCH=$!
exec 3> /tmp/ctl
wait_for /tmp/bench.log 'device ready' 60 || fail "bench keyboard created"
RES=$(vdevctl resources | awk '/name=ctr-vdev-bench/ { print $2 }')
vdevctl create A "$RES" bench

# vdev phases: A holds focus, evdev is closed.  evdev phases: nobody holds focus, so the
# module only counts the events; the evdev client is the only reader.
phase=0
for r in $(seq "$ROUNDS"); do
	for path in vdev evdev; do
		if [ $path = vdev ]; then vdevctl focus "$RES" A; else vdevctl focus "$RES"; fi
		echo $path >&3
		phase=$((phase + 1))
		wait_for /tmp/bench.log "phase done $phase " 120 || fail "phase $phase ($path)"
	done
	section "round $r done"
done
echo quit >&3
exec 3>&-
wait "$BENCH"
cat /tmp/bench.log
vdevctl resources | grep "^res $RES "
grep -q '^BENCH ratio' /tmp/bench.log && pass "benchmark ran" || fail "benchmark ran"
finish
