#!/usr/bin/env bash
# make demo: a ctr-ipcd in a temporary directory, its status through ctr-ipc
# in human and JSON form, two isolated containers on the default root file
# system (no download), a simulated keyboard routed to them as virtual devices
# (the user-space backend: focus, key release, bar and redirect, counters),
# a message on the bus (an allowed one held until its receiver comes, a
# refused one with its reason), a replay captured to pcapng and opened by
# tshark, then everything removed and the daemon stopped by PID.
#   BIN=build/bin examples/demo.sh
set -eu
: "${BIN:?BIN must point at the built binaries}"
dir=$(mktemp -d /tmp/ctr-ipc-demo.XXXXXX)
port=$(( 0x43500000 + ($$ & 0xffff) ))
pid=

cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		for c in work personal; do
			"$BIN/ctr-ipc" --run-dir "$dir/run" container rm --force "$c" >/dev/null 2>&1 || true
		done
		kill -TERM "$pid"
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$dir"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "Start ctr-ipcd in $dir (port ID $port)"
echo "policy_file = $dir/policy.conf" >"$dir/ctr-ipcd.conf"
"$BIN/ctr-ipcd" --foreground --config "$dir/ctr-ipcd.conf" --run-dir "$dir/run" \
	--state-dir "$dir/state" --port-id "$port" 2>"$dir/daemon.log" &
pid=$!
for _ in $(seq 100); do
	[ -s "$dir/run/ctr-ipcd.pid" ] && break
	kill -0 "$pid" 2>/dev/null || { cat "$dir/daemon.log"; exit 1; }
	sleep 0.05
done
export CTR_IPC_RUN_DIR=$dir/run
echo "ctr-ipcd running as pid $pid"

step "Daemon status, for people"
run "$BIN/ctr-ipc" daemon status

step "Daemon status, for scripts (-j -p)"
run "$BIN/ctr-ipc" -j -p daemon status

step "Any unique prefix works; an ambiguous one lists the candidates"
run "$BIN/ctr-ipc" d ver
run "$BIN/ctr-ipc" d st || echo "(exit status $?: usage error)"

step "Per-command counters (a netlink dump)"
run "$BIN/ctr-ipc" daemon stats

step "Two containers on the default root file system (nothing downloaded)"
run "$BIN/ctr-ipc" container create work --hostname work-space
run "$BIN/ctr-ipc" container create personal --hostname personal-space
run "$BIN/ctr-ipc" container start work
run "$BIN/ctr-ipc" container start personal
run "$BIN/ctr-ipc" container ls

step "Inside each: its own hostname, its own PID 1, only its own processes"
for c in work personal; do
	run "$BIN/ctr-ipc" container exec "$c" -- /bin/sh -c \
		'echo "hostname: $(hostname)   PID 1: $(cat /proc/1/comm)   processes: $(ls /proc | grep -c "^[0-9]")"'
done

step "A file written in 'work' does not exist in 'personal'; /usr is read-only"
run "$BIN/ctr-ipc" container exec work -- /bin/sh -c 'echo secret > /tmp/note; ls -l /tmp/note'
run "$BIN/ctr-ipc" container exec personal -- /bin/ls /tmp/note || echo "(exit status $?: not there)"
run "$BIN/ctr-ipc" container exec work -- /bin/touch /usr/bin/intruder || echo "(exit status $?: refused)"

# What a container reads from /dev/vdev/NAME: the records queued now, without
# waiting (O_NONBLOCK), 16 bytes each: u64 time_ns, u16 type, u16 code, s32 value.
READ_RECORDS='
import os, struct, sys
types = {0: "syn", 1: "key", 2: "rel", 3: "abs", 4: "msc"}
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
try:
    data = os.read(fd, 4096)
except BlockingIOError:
    data = b""
for i in range(0, len(data), 16):
    t, ty, code, value = struct.unpack("=QHHi", data[i:i + 16])
    print("  %-3s %3d %2d" % (types.get(ty, ty), code, value))
print("  (%d records)" % (len(data) // 16))'

# records CONTAINER DEVICE: what the container reads from /dev/vdev/DEVICE now.
records() {
	printf '$ %s container exec %s -- python3 -c "$READ_RECORDS" /dev/vdev/%s\n' "$BIN/ctr-ipc" "$1" "$2"
	"$BIN/ctr-ipc" container exec "$1" -- python3 -c "$READ_RECORDS" "/dev/vdev/$2"
}

# key RESOURCE CODE VALUE WHAT: a key event and its SYN_REPORT, as a keyboard sends them.
key() {
	printf '$ %s vdev inject %s key %s %s; %s vdev inject %s syn 0 0   # %s\n' \
		"$BIN/ctr-ipc" "$1" "$2" "$3" "$BIN/ctr-ipc" "$1" "$4"
	"$BIN/ctr-ipc" vdev inject "$1" key "$2" "$3"
	"$BIN/ctr-ipc" vdev inject "$1" syn 0 0
}

step "Virtual devices: a simulated keyboard, a device on it in each container"
run "$BIN/ctr-ipc" vdev sim add kbd
run "$BIN/ctr-ipc" vdev attach work kbd
run "$BIN/ctr-ipc" vdev attach personal kbd --name keys
run "$BIN/ctr-ipc" vdev resources
run "$BIN/ctr-ipc" container exec personal -- ls -l /dev/vdev

step "Only the container in the foreground gets the keys (KEY_H is 35, KEY_I 23)"
echo '($READ_RECORDS, run below by python3 in a container, reads the records queued on the'
echo ' device, with O_NONBLOCK, 16 bytes each, and prints their type, code and value)'
run "$BIN/ctr-ipc" vdev focus work kbd
key kbd 35 1 "h down"
key kbd 35 0 "h up"
key kbd 23 1 "i down"
key kbd 23 0 "i up"
records work kbd
records personal keys

step "Focus moves while 'work' holds Shift (42): 'work' gets its key-up, 'personal' only what follows"
key kbd 42 1 "Shift down, to work"
run "$BIN/ctr-ipc" vdev focus personal kbd
key kbd 42 0 "Shift up, to personal"
key kbd 30 1 "a down"
key kbd 30 0 "a up"
records work kbd
records personal keys

step "Bar 'personal' from the keyboard, its events redirected to 'work'"
run "$BIN/ctr-ipc" vdev block personal kbd --redirect work
key kbd 48 1 "b down"
key kbd 48 0 "b up"
records personal keys
records work kbd
run "$BIN/ctr-ipc" vdev ls
run "$BIN/ctr-ipc" vdev stats

step "Lift the bar, detach, remove the keyboard"
run "$BIN/ctr-ipc" vdev unblock personal kbd
run "$BIN/ctr-ipc" -j vdev resources
run "$BIN/ctr-ipc" vdev detach personal keys
run "$BIN/ctr-ipc" vdev sim rm kbd
run "$BIN/ctr-ipc" vdev ls

step "The bus: every container reaches the buffer at /run/ctr-ipc/bus.sock; default deny"
run "$BIN/ctr-ipc" policy add allow --from work --to personal/inbox --category 'note.*'
run "$BIN/ctr-ipc" policy ls
run "$BIN/ctr-ipc" container exec work -- /run/ctr-ipc/bin/ctripc send --as desk personal/inbox note.hello "hi from work"
run "$BIN/ctr-ipc" container exec work -- /run/ctr-ipc/bin/ctripc send --as desk personal/inbox chat.gossip "psst" ||
	echo "(exit status $?: refused, and the reason names the rule)"

step "Nobody listens on personal/inbox yet: the buffer holds the message"
run "$BIN/ctr-ipc" msg ls

step "The receiver starts: it gets the held message, and ACKs it"
run "$BIN/ctr-ipc" container exec personal -- /run/ctr-ipc/bin/ctripc listen --count 1 --timeout 5 inbox
run "$BIN/ctr-ipc" msg stats

step "Replay message 1: a new message (new ID) that records what it replays, checked by the policy again"
echo "(msg capture runs meanwhile, writing pcapng)"
"$BIN/ctr-ipc" msg capture -w "$dir/live.pcapng" --count 1 &
cap=$!
sleep 0.5
run "$BIN/ctr-ipc" msg replay 1
wait "$cap"
run "$BIN/ctr-ipc" container exec personal -- /run/ctr-ipc/bin/ctripc listen --count 1 --timeout 5 inbox
run "$BIN/ctr-ipc" msg show 2
run "$BIN/ctr-ipc" msg replay 1 --to personal/other ||
	echo "(exit status $?: no rule allows that destination)"

step "The capture, opened by tshark (link type USER0; the record layout is in ctr-ipc(8))"
run tshark -r "$dir/live.pcapng"
run tshark -r "$dir/live.pcapng" -x

step "What the buffer held and finished, exported from the journal as pcapng"
run "$BIN/ctr-ipc" msg capture -w "$dir/journal.pcapng" --from-journal
run tshark -r "$dir/journal.pcapng"

step "Remove both containers: no process, mount or file is left"
run "$BIN/ctr-ipc" container rm --force work
run "$BIN/ctr-ipc" container rm --force personal
run "$BIN/ctr-ipc" container ls

step "Stop the daemon by its PID ($pid)"
kill -TERM "$pid"
wait "$pid"
pid=
echo "stopped; files left in the run dir: $(find "$dir/run" ! -type d | wc -l) (pidfile, port file and device files removed)"
run "$BIN/ctr-ipc" daemon status || echo "(exit status $?: daemon unreachable)"
