#!/usr/bin/env bash
# make demo: a ctr-ipcd in a temporary directory, its status through ctr-ipc
# in human and JSON form, two isolated containers on the default root file
# system (no download), then everything removed and the daemon stopped by PID.
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
: >"$dir/ctr-ipcd.conf"
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

step "Remove both: no process, mount or file is left"
run "$BIN/ctr-ipc" container rm --force work
run "$BIN/ctr-ipc" container rm --force personal
run "$BIN/ctr-ipc" container ls

step "Stop the daemon by its PID ($pid)"
kill -TERM "$pid"
wait "$pid"
pid=
echo "stopped; run dir now holds: $(ls -A "$dir/run" | tr '\n' ' ')(nothing left behind)"
run "$BIN/ctr-ipc" daemon status || echo "(exit status $?: daemon unreachable)"
