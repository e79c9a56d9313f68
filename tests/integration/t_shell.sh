# The interactive shell (ctr-ipc without arguments on a terminal), driven on a
# pseudo-terminal by tests/pty_drive.py against a real daemon: completion,
# errors, Ctrl-C, Ctrl-D, history, a daemon that goes away.

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PTY_DRIVE=$SRCDIR/tests/pty_drive.py
PROMPT='^ctr-ipc> $' # a fresh prompt, nothing typed yet (pty_drive: MULTILINE)

# drive_shell [NAME=VALUE | !NAME]...: run "ctr-ipc --run-dir $T/run" on a
# terminal (its pid in $T/shell.pid) and follow the pty_drive script on stdin
# (send/expect/reject/mark/wait_for/exit), with HOME=$T and the history file
# $T/hist unless the arguments set or (!NAME) unset them.  Fails the test,
# with the screen, when a step fails.  The screen text is left in $T/screen.
drive_shell() {
	local envs=(-e "HOME=$T" -e "CTR_IPC_HISTFILE=$T/hist") kv
	for kv in "$@"; do
		case $kv in
		!*) envs+=(-u "${kv#!}") ;;
		*) envs+=(-e "$kv") ;;
		esac
	done
	python3 "$PTY_DRIVE" -t "${DRIVE_TIMEOUT:-10}" -l "$T/screen" -p "$T/shell.pid" \
		"${envs[@]}" -- "$CTRIPC" --run-dir "$T/run" >"$T/drive.log" 2>&1
	[ $? = 0 ] || fail "shell session: $(cat "$T/drive.log")"
}

# (a) Tab completes, Enter runs.
test_shell_tab_completes_and_runs() {
	start_daemon
	drive_shell <<-EOF
	expect $PROMPT
	send dae\t
	expect ^ctr-ipc> daemon $
	send status\r
	expect ^ctr-ipc> daemon status$
	expect ^Version: +0\.
	expect ^PID: +$DPID$
	expect $PROMPT
	send \x04
	exit 0
	EOF
}

# The commands of an object, their arguments and live names from the daemon.
test_shell_tab_lists_candidates() {
	start_daemon
	drive_shell <<-EOF
	expect $PROMPT
	send daemon \t\t
	expect ^help +log-level +reload +stats +status +version *$
	expect ^ctr-ipc> daemon $
	send log-level w\t
	expect ^ctr-ipc> daemon log-level warning $
	send \r
	expect ^log level set to warning$
	expect $PROMPT
	send daemon stats daemon.stat\t\t
	expect ^daemon\.stats +daemon\.status *$
	expect ^ctr-ipc> daemon stats daemon\.stat$
	send us\r
	expect ^daemon\.status +[0-9]+
	expect $PROMPT
	send \x04
	exit 0
	EOF
}

# (b) A failing command prints its error; the shell goes on.
test_shell_failing_command_goes_on() {
	start_daemon
	drive_shell <<-EOF
	expect $PROMPT
	send daemon log-level bogus\r
	expect ^ctr-ipc: unknown log level 'bogus'
	expect $PROMPT
	send nosuchobject\r
	expect ^ctr-ipc: no object 'nosuchobject'
	expect $PROMPT
	send daemon "unterminated\r
	expect ^ctr-ipc: unterminated double quote
	expect $PROMPT
	send daemon version\r
	expect ^ctr-ipcd 0\.
	expect $PROMPT
	send \x04
	exit 0
	EOF
}

# (c) Ctrl-C drops the line being edited and gives a fresh prompt.
test_shell_ctrl_c_drops_line() {
	start_daemon
	drive_shell <<-EOF
	expect $PROMPT
	send daemon sta\x03
	expect $PROMPT
	send daemon version\r
	expect ^ctr-ipcd 0\.
	reject Version:
	expect $PROMPT
	send \x03
	expect $PROMPT
	send daemon version\r
	expect ^ctr-ipcd 0\.
	expect $PROMPT
	send \x04
	exit 0
	EOF
	# The dropped line neither ran nor went into the history.
	expect_eq "$(cat "$T/hist")" "$(printf '%s\n' 'daemon version' 'daemon version')" "history"
}

# Ctrl-C while a command waits for the daemon (stopped with SIGSTOP) abandons
# that command; the shell goes on, and a late reply does not confuse it.
test_shell_ctrl_c_interrupts_request() {
	start_daemon
	kill -STOP "$DPID"
	drive_shell <<-EOF &
	expect $PROMPT
	send daemon status\r
	expect ^ctr-ipc> daemon status$
	wait_for $T/in-request
	send \x03
	expect ^(\^C)?ctr-ipc: daemon status: interrupted$
	expect $PROMPT
	mark $T/part1
	wait_for $T/continued
	send daemon version\r
	expect ^ctr-ipcd 0\.
	reject Version:
	expect $PROMPT
	send \x04
	exit 0
	EOF
	local shell_job=$!
	EXTRA_PIDS="${EXTRA_PIDS:-} $shell_job"
	wait_file "$T/shell.pid"
	wait_in_request "$(cat "$T/shell.pid")"
	: >"$T/in-request"
	wait_file "$T/part1"
	kill -CONT "$DPID"
	: >"$T/continued"
	wait "$shell_job" || fail "the shell session failed"
}

# wait_in_request PID: until ctr-ipc PID waits for the daemon's answer, that
# is, sleeps in poll() with its netlink socket open (the shell has one only
# while a command runs).
wait_in_request() {
	local i fd
	for i in $(seq 1 200); do
		for fd in /proc/"$1"/fd/*; do
			[[ $(readlink "$fd" 2>/dev/null) == socket:* ]] || continue
			grep -q poll "/proc/$1/wchan" 2>/dev/null && return 0
		done
		sleep 0.05
	done
	fail "ctr-ipc $1 never waited for the daemon: $(cat "/proc/$1/wchan" 2>&1); $(ls -l "/proc/$1/fd" 2>&1)"
}

# (d) Ctrl-D on an empty line (and "exit") leave with status 0.
test_shell_ctrl_d_exits() {
	drive_shell <<-EOF
	expect $PROMPT
	send \x04
	exit 0
	EOF
	expect_not_contains "$(cat "$T/screen")" "cannot save the history"
	# Leaving draws no prompt after the last one.
	expect_eq "$(grep -c '^ctr-ipc> ' "$T/screen")" 1 "prompts on the screen"
	drive_shell <<-EOF
	expect $PROMPT
	send exit\r
	exit 0
	EOF
	expect_eq "$(grep -c '^ctr-ipc> ' "$T/screen")" 1 "prompts on the screen"
	drive_shell <<-EOF
	expect $PROMPT
	send quit\r
	exit 0
	EOF
}

# (e) The history is kept across sessions: in CTR_IPC_HISTFILE, else ~/.ctr_ipc_history.
test_shell_history_persists() {
	start_daemon
	drive_shell <<-EOF
	expect $PROMPT
	send daemon version\r
	expect ^ctr-ipcd 0\.
	expect $PROMPT
	send \x04
	exit 0
	EOF
	grep -qx 'daemon version' "$T/hist" || fail "history file: $(cat "$T/hist" 2>&1)"
	# A new session finds it: Up brings the line back.
	drive_shell <<-EOF
	expect $PROMPT
	send \x1b[A
	expect ^ctr-ipc> daemon version$
	send \r
	expect ^ctr-ipcd 0\.
	expect $PROMPT
	send \x04
	exit 0
	EOF
	expect_eq "$(cat "$T/hist")" "$(printf '%s\n' 'daemon version' 'daemon version')" "history"
}

test_shell_history_in_home() {
	start_daemon
	drive_shell '!CTR_IPC_HISTFILE' <<-EOF
	expect $PROMPT
	send daemon status\r
	expect ^Version:
	expect $PROMPT
	send \x04
	exit 0
	EOF
	grep -qx 'daemon status' "$T/.ctr_ipc_history" ||
		fail "~/.ctr_ipc_history: $(cat "$T/.ctr_ipc_history" 2>&1)"
	[ ! -e "$T/hist" ] || fail "$T/hist written without CTR_IPC_HISTFILE"
}

# An empty CTR_IPC_HISTFILE, or no HOME, means no history file (ctr-ipc(8)).
test_shell_history_disabled() {
	start_daemon
	drive_shell CTR_IPC_HISTFILE= <<-EOF
	expect $PROMPT
	send daemon version\r
	expect ^ctr-ipcd 0\.
	expect $PROMPT
	send \x04
	exit 0
	EOF
	drive_shell '!CTR_IPC_HISTFILE' HOME= <<-EOF
	expect $PROMPT
	send daemon version\r
	expect ^ctr-ipcd 0\.
	expect $PROMPT
	send \x04
	exit 0
	EOF
	expect_not_contains "$(cat "$T/screen")" "history" "the screen"
	[ ! -e "$T/hist" ] && [ ! -e "$T/.ctr_ipc_history" ] || fail "a history file was written"
}

# (f) No daemon: the shell says so and goes on.
test_shell_daemon_not_running() {
	drive_shell <<-EOF
	expect $PROMPT
	send daemon status\r
	expect ^ctr-ipc: ctr-ipcd is not running
	expect $PROMPT
	send daemon stat\t\t
	expect ^stats +status *$
	expect ^ctr-ipc> daemon stat$
	send us\r
	expect ^ctr-ipc: ctr-ipcd is not running
	expect $PROMPT
	send \x04
	exit 0
	EOF
}

# The daemon stops, then comes back, while the shell waits for the next line:
# each line reaches the daemon running now (same port ID, new pid), at once.
test_shell_daemon_stops_and_restarts() {
	start_daemon
	drive_shell <<-EOF &
	expect $PROMPT
	send daemon version\r
	expect ^ctr-ipcd 0\.
	expect $PROMPT
	mark $T/part1
	wait_for $T/stopped
	send daemon status\r
	expect ^ctr-ipc: ctr-ipcd is not running
	expect $PROMPT
	mark $T/part2
	wait_for $T/restarted
	timeout 5
	send daemon version\r
	expect ^ctr-ipcd 0\.
	expect $PROMPT
	send \x04
	exit 0
	EOF
	local shell_job=$!
	EXTRA_PIDS="${EXTRA_PIDS:-} $shell_job"
	wait_file "$T/part1"
	stop_daemon
	: >"$T/stopped"
	wait_file "$T/part2"
	start_daemon # the same port ID ($PORT), a new pid
	: >"$T/restarted"
	wait "$shell_job" || fail "the shell session failed"
}

# wait_file FILE: until the shell session has got that far (or it ended).
wait_file() {
	local i
	for i in $(seq 1 400); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	fail "timed out waiting for $1: $(cat "$T/drive.log" 2>&1)"
}

# A command that takes over the signals (exec forwards them to the
# container) gives them back: Ctrl-C at the next prompt only drops the line.
test_shell_ctrl_c_after_exec() {
	start_daemon
	expect_rc 0 cli container create sh1
	expect_rc 0 cli container start sh1
	drive_shell <<-EOF
	expect $PROMPT
	send container exec sh1 -- echo inside\r
	expect ^inside$
	expect $PROMPT
	send daemon sta\x03
	expect $PROMPT
	send daemon version\r
	expect ^ctr-ipcd 0\.
	expect $PROMPT
	send \x04
	exit 0
	EOF
	expect_rc 0 cli container rm -f sh1
}
