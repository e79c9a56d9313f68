# Virtual devices with the user-space backend: a simulated keyboard, two
# containers reading /dev/vdev, focus switches, bar and redirect.

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# The records waiting in a container's device, one "type code value" per line.
READ_RECORDS='
import os, struct, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
try:
    data = os.read(fd, 65536)
except BlockingIOError:
    data = b""
assert len(data) % 16 == 0, "a partial record: %d bytes" % len(data)
for i in range(0, len(data), 16):
    t, ty, code, value = struct.unpack("=QHHi", data[i:i + 16])
    print(ty, code, value)
print("end")'

# records CONTAINER DEVICE: what the container reads from /dev/vdev/DEVICE now, on one line.
records() {
	expect_rc 0 cli container exec "$1" -- python3 -c "$READ_RECORDS" "/dev/vdev/$2"
	OUT=$(printf '%s\n' "$OUT" | tr '\n' ',')
}

# key RESOURCE CODE VALUE...: key events, each followed by a SYN_REPORT.
key() {
	local res=$1 code=$2
	shift 2
	for v in "$@"; do
		expect_rc 0 cli vdev inject "$res" key "$code" "$v"
		expect_rc 0 cli vdev inject "$res" syn 0 0
	done
}

vdev_setup() {
	start_daemon
	expect_rc 0 cli vdev sim add kbd
	for c in a b; do
		expect_rc 0 cli container create "$c"
		expect_rc 0 cli container start "$c"
		expect_rc 0 cli vdev attach "$c" kbd
	done
}

test_vdev_focus_routes_events() {
	vdev_setup
	expect_rc 0 cli vdev focus a kbd
	key kbd 30 1 0
	records a kbd
	expect_eq "$OUT" "1 30 1,0 0 0,1 30 0,0 0 0,end," "a, in the foreground"
	records b kbd
	expect_eq "$OUT" "end," "b, in the background"
	expect_rc 0 cli vdev focus b kbd
	key kbd 48 1 0
	records b kbd
	expect_eq "$OUT" "1 48 1,0 0 0,1 48 0,0 0 0,end," "b, now in the foreground"
	records a kbd
	expect_eq "$OUT" "end," "a, now in the background"
	expect_rc 0 cli -j vdev resources
	expect_eq "$(json_get "$OUT" 'd[0]["focus"]')" b
	expect_eq "$(json_get "$OUT" 'd[0]["simulated"]')" True
}

test_vdev_focus_switch_releases_keys() {
	vdev_setup
	expect_rc 0 cli vdev focus a kbd
	key kbd 42 1 # shift held down...
	key kbd 30 1
	records a kbd
	expect_rc 0 cli vdev focus b kbd # ...across the switch
	records a kbd
	expect_eq "$OUT" "1 30 0,1 42 0,0 0 0,end," "a gets key-up for what it held"
	key kbd 42 0 # the release of a key b never had down: stale, its packet dropped whole
	records b kbd
	expect_eq "$OUT" "end," "b gets nothing stale"
	key kbd 48 1
	records b kbd
	expect_eq "$OUT" "1 48 1,0 0 0,end," "b gets what comes after"
}

test_vdev_block_and_redirect() {
	vdev_setup
	expect_rc 0 cli container create c
	expect_rc 0 cli container start c
	expect_rc 0 cli vdev attach c kbd --name keys
	expect_rc 0 cli vdev focus c kbd
	expect_rc 0 cli vdev focus a kbd
	expect_rc 0 cli vdev block a kbd --redirect b
	key kbd 17 1
	records a kbd
	expect_eq "$OUT" "end," "a barred"
	records b kbd
	expect_eq "$OUT" "1 17 1,0 0 0,end," "b takes a's events"
	expect_rc 0 cli vdev ls a
	expect_contains "$OUT" "barred, to b"
	# Without a redirect: the most recently focused container not barred (c).
	expect_rc 0 cli vdev block a kbd
	key kbd 18 1
	records b kbd
	expect_contains "$OUT" "1 17 0" "b releases what it held when the events move on"
	records c keys
	expect_eq "$OUT" "1 18 1,0 0 0,end," "c, the previous foreground"
	expect_rc 0 cli vdev unblock a kbd
	key kbd 19 1
	records a kbd
	expect_eq "$OUT" "1 19 1,0 0 0,end," "a again after unblock"
	expect_rc 0 cli -j vdev stats kbd
	expect_eq "$(json_get "$OUT" 'd[0]["events_in"]')" 6
	expect_eq "$(json_get "$OUT" 'd[0]["redirected"]')" 4
	# Bad redirects are refused with the reason.
	expect_rc 1 cli vdev block a kbd --redirect a
	expect_contains "$ERR" "names the barred container itself"
	expect_rc 0 cli container create d
	expect_rc 1 cli vdev block a kbd --redirect d
	expect_contains "$ERR" "container 'd' has no device on resource 1 (kbd); attach one first"
}

test_vdev_device_lifecycle() {
	vdev_setup
	# Attached while stopped: the node appears when it starts.
	expect_rc 0 cli container create late
	expect_rc 0 cli vdev attach late kbd --name k2
	expect_rc 0 cli container start late
	expect_rc 0 cli vdev focus late kbd
	key kbd 2 1
	records late k2
	expect_eq "$OUT" "1 2 1,0 0 0,end," "a device attached before start"
	# Only the owner has the node; other containers see no such file.
	expect_rc 1 cli container exec b -- python3 -c "$READ_RECORDS" /dev/vdev/k2
	expect_contains "$ERR" "No such file or directory"
	# Nobody in the foreground: events are counted as dropped.
	expect_rc 0 cli vdev detach late k2
	expect_rc 1 cli container exec late -- test -e /dev/vdev/k2 # its node went with it
	expect_rc 0 cli -j vdev resources
	expect_eq "$(json_get "$OUT" '"target" in d[0]')" False "a target after its device went"
	key kbd 3 1
	expect_rc 0 cli -j vdev stats kbd
	expect_eq "$(json_get "$OUT" 'd[0]["dropped"]')" 2
	# rm takes a container's devices away, and its device files.
	expect_rc 0 cli container rm -f a
	expect_rc 0 cli -j vdev ls
	expect_not_contains "$OUT" '"container":"a"'
	[ ! -e "$T/run/vdev/a" ] || fail "rm left $T/run/vdev/a"
	# Bad input.
	expect_rc 1 cli vdev attach b nosuch
	expect_contains "$ERR" "no resource 'nosuch' (see 'ctr-ipc vdev resources')"
	expect_rc 1 cli vdev attach nosuch kbd
	expect_contains "$ERR" "no container 'nosuch'"
	expect_rc 1 cli vdev attach b kbd
	expect_contains "$ERR" "has a device on resource 1 (kbd) already"
	expect_rc 1 cli vdev sim add kbd
	expect_contains "$ERR" "exists already"
	expect_rc 1 cli vdev sim add ../x
	expect_contains "$ERR" "invalid resource name '../x'"
	expect_rc 2 cli vdev inject kbd key x 1
	expect_contains "$ERR" "CODE is a number"
	expect_rc 1 cli vdev inject kbd 99 1 1
	expect_contains "$ERR" "the event type must be 0 to 31"
	expect_rc 1 cli vdev detach b nosuch
	expect_contains "$ERR" "container 'b' has no device 'nosuch'"
	expect_rc 0 cli vdev sim rm kbd
	expect_rc 0 cli -j vdev ls
	expect_eq "$OUT" "[]" "devices after their resource went"
}

# A --userns container reads its device too: the FIFO belongs to its root.
test_vdev_userns_container() {
	start_daemon
	expect_rc 0 cli vdev sim add pad
	expect_rc 0 cli container create u --userns
	expect_rc 0 cli container start u
	expect_rc 0 cli vdev attach u pad
	expect_rc 0 cli vdev focus u pad
	expect_rc 0 cli vdev inject pad rel 0 -5
	records u pad
	expect_eq "$OUT" "end," "nothing before the packet's SYN_REPORT"
	expect_rc 0 cli vdev inject pad syn 0 0
	records u pad
	expect_eq "$OUT" "2 0 -5,0 0 0,end," "a relative axis event in a user namespace"
}

test_vdev_completion() {
	vdev_setup
	export CTR_IPC_RUN_DIR=$T/run
	expect_rc 0 "$CTRIPC" __complete vdev focus a ""
	expect_eq "$OUT" "kbd" "resources completed"
	expect_rc 0 "$CTRIPC" __complete vdev attach ""
	expect_eq "$(echo $OUT)" "a b" "containers completed"
}

# vdev watch: hot-plug, attachment, focus and bar changes, live, by unicast.
test_vdev_watch() {
	start_daemon
	"$CTRIPC" --run-dir "$T/run" -j vdev watch >"$T/watch.out" 2>"$T/watch.err" &
	local wpid=$! n
	# The watch is registered once a change reaches it; wait until it has one.
	for i in $(seq 50); do
		cli vdev sim add "pad$i" >/dev/null
		[ -s "$T/watch.out" ] && break
		sleep 0.1
	done
	expect_rc 0 cli container create a
	expect_rc 0 cli container start a
	expect_rc 0 cli vdev attach a "pad$i" --name p
	expect_rc 0 cli vdev focus a "pad$i"
	expect_rc 0 cli vdev block a "pad$i"
	# Five changes after the additions; then the watcher is stopped by its PID.
	for n in $(seq 50); do
		[ "$(grep -vc '"added"' "$T/watch.out")" -ge 5 ] && break
		sleep 0.1
	done
	kill "$wpid"
	wait "$wpid" 2>/dev/null
	expect_eq "$(grep -v '"added"' "$T/watch.out" | python3 -c '
import json, sys
print(" ".join(json.loads(l)["event"] + ":" + json.loads(l).get("target", "-") for l in sys.stdin))')" \
		"attached:- focus:- target:a blocked:a target:-" "the changes, in order"
	expect_eq "$(json_get "$(head -n 1 "$T/watch.out")" 'd["event"]')" added
	# --count ends a watch by itself.
	"$CTRIPC" --run-dir "$T/run" vdev watch --count 1 >"$T/w1.out" 2>&1 &
	wpid=$!
	for n in $(seq 50); do
		cli vdev sim add "more$n" >/dev/null
		kill -0 "$wpid" 2>/dev/null || break
		sleep 0.1
	done
	wait "$wpid"
	expect_eq "$?" 0 "watch exit status after --count"
	expect_contains "$(cat "$T/w1.out")" "added"
}

# A stopped container is no target: what comes meanwhile is not kept for its
# next run.  Attaching again under a name still mounted inside never blocks.
test_vdev_stopped_and_reattached() {
	vdev_setup
	expect_rc 0 cli vdev focus b kbd
	expect_rc 0 cli vdev focus a kbd
	expect_rc 0 cli container stop a --timeout 1
	key kbd 5 1
	records b kbd
	expect_eq "$OUT" "1 5 1,0 0 0,end," "b, while the focus holder is stopped"
	expect_rc 0 cli container start a
	records a kbd
	expect_eq "$OUT" "end," "a after its restart: nothing stale"
	key kbd 5 0 # its press went to b (which got its release when a took over): stale for a
	records a kbd
	expect_eq "$OUT" "end," "a gets no release of a key it never had down"
	key kbd 6 1
	records a kbd
	expect_eq "$OUT" "1 6 1,0 0 0,end," "a again, in the foreground"
	expect_rc 0 cli vdev detach a kbd
	expect_rc 0 timeout 10 "$CTRIPC" --run-dir "$T/run" vdev attach a kbd
	key kbd 6 1
	records a kbd
	expect_eq "$OUT" "end," "a re-attached, but not focused"
	# A watcher while a resource with devices goes.
	"$CTRIPC" --run-dir "$T/run" vdev watch --count 3 >"$T/w.out" 2>&1 &
	sleep 0.3
	expect_rc 0 cli vdev sim rm kbd
	expect_rc 0 cli -j vdev resources
	expect_eq "$OUT" "[]"
}

# vdev_backend: user is what runs without the ctr_vdev module; kmod without it refuses to start.
test_vdev_backend_choice() {
	if grep -q '^ctr_vdev ' /proc/modules 2>/dev/null; then
		echo "the ctr_vdev module is loaded here"
		exit 77
	fi
	write_config "vdev_backend = kmod"
	expect_rc 1 "$CTRIPCD" --foreground --config "$T/ctr-ipcd.conf" --run-dir "$T/run" \
		--state-dir "$T/state" --port-id "$(next_port)"
	expect_contains "$ERR" "the ctr_vdev kernel module is not loaded"
	write_config "vdev_backend = user"
	start_daemon
	expect_rc 0 cli vdev sim add kbd
	expect_rc 0 cli -j vdev resources
	expect_eq "$(json_get "$OUT" 'd[0]["backend"]')" user
	expect_rc 0 cli -j daemon status
	expect_eq "$(json_get "$OUT" 'd["backend"]')" user
	expect_rc 0 cli daemon status
	expect_contains "$OUT" "user (user-space routing)"
}
