# ctr-ipc as scripts use it: batch mode, stdin, exit codes, help, output options.

test_batch_file_stops_at_failure() {
	start_daemon
	cat >"$T/batch" <<'B'
# provisioning script
daemon version
daemon log-level debug   # a comment after a command
daemon nosuch
daemon status
B
	expect_rc 2 cli -b "$T/batch"
	expect_contains "$OUT" "ctr-ipcd 0."
	expect_contains "$OUT" "log level set to debug"
	expect_not_contains "$OUT" "Version:" "output after the failing line"
	expect_contains "$ERR" "no command 'nosuch'"
	expect_contains "$ERR" "$T/batch:4: stopped after a failing command"
}

test_batch_force_goes_on() {
	start_daemon
	printf '%s\n' "daemon nosuch" "daemon status" "daemon log-level warning" >"$T/batch"
	expect_rc 2 cli -b "$T/batch" --force
	expect_contains "$OUT" "Version:"
	expect_contains "$OUT" "log level set to warning"
	expect_rc 2 cli --force daemon status
	expect_contains "$ERR" "--force goes with -b FILE"
	expect_rc 2 cli -b "$T/batch" daemon status
	expect_contains "$ERR" "-b runs the commands of a file"
	expect_rc 2 cli --force
	expect_contains "$ERR" "--force only makes sense with -b FILE"
}

test_batch_from_stdin() {
	start_daemon
	expect_rc 0 sh -c "printf 'daemon version\n-j daemon status\n' | '$CTRIPC' --run-dir '$T/run' -b -"
	expect_contains "$OUT" "ctr-ipcd 0."
	expect_contains "$OUT" "\"pid\":$DPID"
	# No arguments and stdin not a terminal: the same.
	expect_rc 0 sh -c "printf 'daemon version\n' | '$CTRIPC' --run-dir '$T/run'"
	expect_contains "$OUT" "ctr-ipcd 0."
	# A quoting error names the line.
	expect_rc 2 sh -c "printf 'daemon version\ndaemon \"open\n' | '$CTRIPC' --run-dir '$T/run'"
	expect_contains "$ERR" "stdin:2: unterminated double quote"
	expect_rc 1 cli -b "$T/no-such-file"
	expect_contains "$ERR" "cannot open batch file $T/no-such-file"
}

# Each batch line connects afresh: a daemon restarted between two lines is
# found again (and one that went away is reported as not running).
test_batch_survives_daemon_restart() {
	start_daemon
	mkfifo "$T/fifo"
	"$CTRIPC" --run-dir "$T/run" -b - --force <"$T/fifo" >"$T/batch.out" 2>"$T/batch.err" &
	bpid=$!
	EXTRA_PIDS=$bpid
	exec 3>"$T/fifo"
	echo "daemon status" >&3
	for i in $(seq 100); do grep -q "PID:            $DPID" "$T/batch.out" && break; sleep 0.05; done
	first=$DPID
	stop_daemon
	echo "daemon version" >&3
	for i in $(seq 100); do grep -q "not running" "$T/batch.err" && break; sleep 0.05; done
	start_daemon 3>&- # the daemon must not hold the fifo open
	echo "daemon status" >&3
	exec 3>&-
	wait $bpid
	expect_eq "$?" 3 "batch exit status (first failure: unreachable)"
	expect_contains "$(cat "$T/batch.err")" "ctr-ipcd is not running"
	expect_not_contains "$(cat "$T/batch.err")" "did not answer"
	expect_contains "$(cat "$T/batch.out")" "PID:            $first"
	expect_contains "$(cat "$T/batch.out")" "PID:            $DPID"
}

test_exit_codes_and_usage() {
	start_daemon
	expect_rc 0 cli daemon status
	expect_rc 2 cli nosuch
	expect_contains "$ERR" "no object 'nosuch'"
	expect_contains "$ERR" "Try 'ctr-ipc help'"
	expect_rc 2 cli daemon st
	expect_contains "$ERR" "'st' is ambiguous: it could be status stats"
	expect_rc 2 cli daemon status --frobnicate
	expect_contains "$ERR" "unknown option '--frobnicate' for 'ctr-ipc daemon status'"
	expect_contains "$ERR" "Try 'ctr-ipc daemon status -h'"
	expect_rc 2 cli daemon log-level
	expect_contains "$ERR" "needs LEVEL"
	expect_rc 2 cli --color=purple daemon status
	expect_rc 1 cli daemon stats no.such
	# Prefixes all the way down, global options after the command.
	expect_rc 0 cli d statu -j
	expect_eq "$(json_get "$OUT" 'd["pid"]')" "$DPID"
	expect_rc 0 cli da ver
	expect_contains "$OUT" "ctr-ipc  0."
}

test_help_everywhere() {
	expect_rc 0 cli help
	expect_contains "$OUT" "Objects:"
	expect_contains "$OUT" "daemon"
	expect_not_contains "$OUT" "__complete"
	expect_rc 0 cli -h
	expect_contains "$OUT" "--json"
	expect_rc 0 cli daemon help
	expect_contains "$OUT" "log-level"
	expect_rc 0 cli help daemon stats
	expect_contains "$OUT" "Usage: ctr-ipc daemon stats [COMMAND]"
	expect_rc 0 cli daemon log-level -h
	expect_contains "$OUT" "debug, info, notice, warning or error"
	expect_rc 0 cli d h
	expect_contains "$OUT" "Commands:"
	expect_rc 2 cli daemon
	expect_contains "$ERR" "Commands:"
	expect_rc 0 "$CTRIPC" -V
	expect_contains "$OUT" "ctr-ipc 0."
	expect_rc 0 "$CTRIPCD" -V
	expect_contains "$OUT" "ctr-ipcd 0."
	expect_rc 0 "$CTRIPCD" --help
	expect_contains "$OUT" "--port-id N"
}

test_quiet_and_color() {
	start_daemon
	expect_rc 0 cli -q daemon reload
	expect_eq "$OUT" "" "quiet output"
	expect_rc 0 cli daemon reload
	expect_contains "$OUT" "configuration reloaded"
	expect_rc 0 cli --color=always daemon status
	expect_contains "$OUT" $'\033[1mVersion:'
	expect_rc 0 cli --color=auto daemon status
	expect_not_contains "$OUT" $'\033[' "colour into a pipe"
	expect_rc 0 cli daemon stats --color=always
	expect_contains "$OUT" $'\033[1mCOMMAND'
}
