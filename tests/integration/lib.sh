# Helpers for the integration tests: a real ctr-ipcd in a temporary
# directory, the real ctr-ipc, and assertions that say what they expected.
# Sourced by run.sh; every test_* function runs in its own subshell with its
# own temporary directory $T, and the daemon it started is stopped by PID.

: "${BIN:?BIN must point at the built binaries}"
CTRIPC=$BIN/ctr-ipc
CTRIPCD=$BIN/ctr-ipcd

# A port ID no other test (or a default daemon) uses.
next_port() {
	PORT_SEQ=$(( ${PORT_SEQ:-0} + 1 ))
	echo $(( 0x50000000 + (($$ & 0xffff) << 8) + PORT_SEQ ))
}

fail() {
	echo "    assertion failed: $*" >&2
	exit 1
}

# expect_rc CODE CMD...: run CMD, keep its output in $OUT/$ERR, check its exit code.
expect_rc() {
	local want=$1 got
	shift
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
	[ "$got" = "$want" ] || fail "'$*' exited $got, expected $want; stdout: $OUT; stderr: $ERR"
}

# expect_contains TEXT NEEDLE [WHAT]
expect_contains() {
	case "$1" in
	*"$2"*) ;;
	*) fail "${3:-output} does not contain '$2': $1" ;;
	esac
}

expect_not_contains() {
	case "$1" in
	*"$2"*) fail "${3:-output} contains '$2': $1" ;;
	esac
}

expect_eq() {
	[ "$1" = "$2" ] || fail "${3:-value} is '$1', expected '$2'"
}

# json_get JSON PYTHON-EXPR: parse with a real JSON parser and evaluate EXPR on it as 'd'.
json_get() {
	printf '%s' "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$2" \
		|| fail "not valid JSON: $1"
}

cli() {
	"$CTRIPC" --run-dir "$T/run" "$@"
}

# write_config LINES...: the daemon's config file, one line per argument.
write_config() {
	printf '%s\n' "$@" >"$T/ctr-ipcd.conf"
}

# buffer_pid: the newest buffer process the daemon started, from its log.
buffer_pid() {
	sed -n 's/.*buffer process started (pid \([0-9]*\)).*/\1/p' "$T/daemon.log" | tail -n 1
}

# start_daemon [ARGS...]: a foreground daemon on $T; waits until it answers.
start_daemon() {
	[ -e "$T/ctr-ipcd.conf" ] || : >"$T/ctr-ipcd.conf"
	PORT=${PORT:-$(next_port)}
	${DAEMON_WRAPPER:-} "$CTRIPCD" --foreground --config "$T/ctr-ipcd.conf" \
		--run-dir "$T/run" --state-dir "$T/state" --port-id "$PORT" "$@" \
		>>"$T/daemon.log" 2>&1 &
	DPID=$!
	wait_daemon_ready || fail "daemon did not come up; log: $(cat "$T/daemon.log")"
}

wait_daemon_ready() {
	local i
	for i in $(seq 1 ${READY_TRIES:-100}); do
		if [ -s "$T/run/ctr-ipcd.pid" ] && cli daemon version >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$DPID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# stop_daemon: SIGTERM by PID, wait for it; its exit status in $DAEMON_RC.
stop_daemon() {
	[ -n "${DPID:-}" ] || return 0
	kill -TERM "$DPID" 2>/dev/null
	wait "$DPID"
	DAEMON_RC=$?
	DPID=
}

# on_cleanup CMD...: run CMD when the test ends, pass or fail; the last registered first.
on_cleanup() {
	CLEANUPS+=("$*")
}
CLEANUPS=()

cleanup_test() {
	local f p i
	for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${CLEANUPS[i]}" >/dev/null 2>&1
	done
	# Containers outlive their daemon: stop this test's by the pids in its state files.
	for f in "$T"/state/containers/*/state; do
		[ -f "$f" ] || continue
		for p in $(sed -n 's/^\(shim\|init\)_pid=\([0-9][0-9]*\)$/\2/p' "$f"); do
			[ "$p" -gt 1 ] && grep -qs "$T" "/proc/$p/cmdline" && kill -KILL "$p" 2>/dev/null
		done
	done
	# Their cgroups, once the killed processes have left them (the state file names them).
	for f in "$T"/state/containers/*/state; do
		[ -f "$f" ] || continue
		sed -n 's/^cgroup=\(\/sys\/fs\/cgroup\/.*\)$/\1/p' "$f" | while read -r cgdir; do
			for i in $(seq 20); do
				rmdir "$cgdir" 2>/dev/null || [ ! -d "$cgdir" ] && break
				sleep 0.05
			done
		done
	done
	if [ -n "${DPID:-}" ]; then
		kill -KILL "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
	fi
	for p in ${EXTRA_PIDS:-}; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
}
