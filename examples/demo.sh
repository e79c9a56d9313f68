#!/usr/bin/env bash
# make demo: a ctr-ipcd in a temporary directory, its status through ctr-ipc
# in human and JSON form, then the daemon stopped by its PID.
#   BIN=build/bin examples/demo.sh
set -eu
: "${BIN:?BIN must point at the built binaries}"
dir=$(mktemp -d /tmp/ctr-ipc-demo.XXXXXX)
port=$(( 0x43500000 + ($$ & 0xffff) ))
pid=

cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
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

step "Stop the daemon by its PID ($pid)"
kill -TERM "$pid"
wait "$pid"
pid=
echo "stopped; run dir now holds: $(ls -A "$dir/run" | tr '\n' ' ')(nothing left behind)"
run "$BIN/ctr-ipc" daemon status || echo "(exit status $?: daemon unreachable)"
