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

# The daemon under valgrind through a container's whole life: create, start,
# exec, logs, limits, an image pull, stop, rm.  The children it forks (shims,
# helpers, workers) are not traced: they end in exec or _exit.
test_daemon_valgrind_containers() {
	if [ "${SANITIZE:-}" = 1 ]; then
		echo "sanitizer build: valgrind runs in the plain build (ASan and valgrind exclude each other)"
		exit 77
	fi
	mkdir -p "$T/img/bin" "$T/www"
	cp /bin/dash "$T/img/bin/sh"
	for lib in $(ldd /bin/dash | grep -o '/[^ ]*'); do mkdir -p "$T/img$(dirname "$lib")"; cp -L "$lib" "$T/img$lib"; done
	tar -C "$T/img" -czf "$T/www/root.tar.gz" .
	READY_TRIES=400 DAEMON_WRAPPER="valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 --child-silent-after-fork=yes --log-file=$T/valgrind.log" start_daemon
	expect_rc 0 cli container create v1 --memory 64M --pids 50 -e A=b -- /bin/sh -c 'echo hello; exec sleep 300'
	expect_rc 0 cli container start v1
	expect_rc 3 cli container exec v1 -- /bin/sh -c 'exit 3'
	expect_rc 0 cli container logs v1
	expect_rc 0 cli -j container ls
	expect_rc 0 cli container inspect v1
	expect_rc 0 cli container create v2 --image "file://$T/www/root.tar.gz" -- /bin/sh -c 'exit 0'
	expect_rc 1 cli container create v3 --image "file://$T/www/missing.tar.gz"
	expect_rc 0 cli container stop v1 --timeout 5
	expect_rc 0 cli container rm v1
	expect_rc 0 cli container rm v2
	stop_daemon
	expect_eq "$DAEMON_RC" 0 "valgrind exit status (99 means errors or leaks; see $T/valgrind.log)"
	expect_contains "$(cat "$T/valgrind.log")" "ERROR SUMMARY: 0 errors"
}

# The daemon under valgrind through the virtual devices: a simulated
# resource, devices, focus, bar and redirect, events, removal.  The devices
# are read on the host side: placing a node in a container needs
# open_tree(2), which valgrind 3.19 does not know (the child that does it is
# forked, so it is traced too).
test_daemon_valgrind_vdev() {
	if [ "${SANITIZE:-}" = 1 ]; then
		echo "sanitizer build: valgrind runs in the plain build (ASan and valgrind exclude each other)"
		exit 77
	fi
	READY_TRIES=400 DAEMON_WRAPPER="valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 --child-silent-after-fork=yes --log-file=$T/valgrind.log" start_daemon
	expect_rc 0 cli vdev sim add kbd
	# Attached before start: the node's placement (which valgrind cannot run) fails
	# at start with a warning only; the devices take events all the same.
	for c in a b; do
		expect_rc 0 cli container create "$c" -- sleep 300
		expect_rc 0 cli vdev attach "$c" kbd
		expect_rc 0 cli container start "$c"
	done
	expect_rc 0 cli vdev focus a kbd
	expect_rc 0 cli vdev inject kbd key 30 1
	expect_rc 0 cli vdev inject kbd syn 0 0
	expect_rc 0 cli vdev focus b kbd
	expect_rc 0 cli vdev block b kbd --redirect a
	expect_rc 0 cli vdev inject kbd key 31 1
	expect_rc 0 cli vdev inject kbd syn 0 0
	expect_eq "$(python3 -c 'import os; print(len(os.read(os.open("'"$T"'/run/vdev/a/kbd", os.O_RDONLY | os.O_NONBLOCK), 4096)))')" 96 \
		"records for a: key down and SYN, key up and SYN at the switch, b's redirected key and SYN"
	expect_rc 0 cli -j vdev stats
	expect_rc 0 cli -j vdev ls
	expect_rc 0 cli container rm -f a
	expect_rc 0 cli vdev detach b kbd
	expect_rc 0 cli vdev sim rm kbd
	expect_rc 0 cli container rm -f b
	stop_daemon
	expect_eq "$DAEMON_RC" 0 "valgrind exit status (99 means errors or leaks; see $T/valgrind.log)"
	expect_contains "$(cat "$T/valgrind.log")" "ERROR SUMMARY: 0 errors"
}

# The buffer's router (daemon/buffer.c) and libctripc under valgrind: the
# cmocka program that runs the router in a thread on real sockets and drives
# it through libctripc (queues, quota, TTL, redelivery, pipelined sends),
# then frees it all.
test_buffer_valgrind_clean() {
	if [ "${SANITIZE:-}" = 1 ]; then
		echo "sanitizer build: valgrind runs in the plain build (ASan and valgrind exclude each other)"
		exit 77
	fi
	local prog="$BIN/../tests/test_buffer"
	[ -x "$prog" ] || fail "$prog is not built (make check-unit builds it)"
	expect_rc 0 valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible \
		--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
		--log-file="$T/vg-buffer.log" "$prog"
	expect_contains "$(cat "$T/vg-buffer.log")" "ERROR SUMMARY: 0 errors"
	expect_contains "$(cat "$T/vg-buffer.log")" "All heap blocks were freed"
}
