# The daemon under valgrind over status round trips: no leak, no error.

test_daemon_valgrind_clean() {
	if [ "${SANITIZE:-}" = 1 ]; then
		echo "sanitizer build: valgrind runs in the plain build (ASan and valgrind exclude each other)"
		exit 77
	fi
	command -v valgrind >/dev/null || fail "valgrind is not installed (make deps installs it)"
	READY_TRIES=400 DAEMON_WRAPPER="valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 --log-file=$T/valgrind.log" start_daemon
	expect_rc 0 cli daemon status
	expect_rc 0 cli -j daemon stats
	expect_rc 0 cli daemon reload
	expect_rc 3 setpriv --reuid=65534 --regid=65534 --clear-groups "$CTRIPC" --run-dir "$T/run" daemon reload
	cli daemon log-level loud >/dev/null 2>&1
	stop_daemon
	expect_eq "$DAEMON_RC" 0 "valgrind exit status (99 means errors or leaks; see $T/valgrind.log)"
	expect_contains "$(cat "$T/valgrind.log")" "ERROR SUMMARY: 0 errors"
	expect_contains "$(cat "$T/valgrind.log")" "All heap blocks were freed"
}

test_cli_valgrind_clean() {
	if [ "${SANITIZE:-}" = 1 ]; then
		echo "sanitizer build: valgrind runs in the plain build (ASan and valgrind exclude each other)"
		exit 77
	fi
	start_daemon
	expect_rc 0 valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		--log-file="$T/vg-cli.log" "$CTRIPC" --run-dir "$T/run" -j daemon stats
	expect_contains "$(cat "$T/vg-cli.log")" "ERROR SUMMARY: 0 errors"
	expect_rc 3 valgrind --error-exitcode=99 --log-file="$T/vg-cli2.log" "$CTRIPC" --run-dir "$T/nowhere" daemon status
	expect_contains "$(cat "$T/vg-cli2.log")" "ERROR SUMMARY: 0 errors"
}
