# ctr-ipcd over real netlink: status, permissions, single instance, config, signals.

test_status_text_and_json() {
	start_daemon
	expect_rc 0 cli daemon status
	expect_contains "$OUT" "Version:"
	expect_contains "$OUT" "PID:            $DPID"
	expect_contains "$OUT" "Port ID:        $PORT"
	expect_contains "$OUT" "Run dir:        $T/run"

	expect_rc 0 cli -j daemon status
	expect_eq "$(json_get "$OUT" 'd["pid"]')" "$DPID" "JSON pid"
	expect_eq "$(json_get "$OUT" 'd["protocol_version"]')" 1 "JSON protocol_version"
	expect_eq "$(json_get "$OUT" 'd["port_id"]')" "$PORT" "JSON port_id"
	expect_eq "$(json_get "$OUT" 'd["state_dir"]')" "$T/state" "JSON state_dir"
	expect_eq "$(json_get "$OUT" 'sorted(d["counters"])')" \
		"['buffer_crashes', 'buffer_starts', 'denied', 'errors', 'reloads', 'requests']" "JSON counter keys"
	# Requests so far: readiness probes and the two status calls.
	[ "$(json_get "$OUT" 'd["counters"]["requests"]')" -ge 2 ] || fail "requests not counted"
	# The JSON parses with the reference parser, pretty or not.
	expect_rc 0 cli -j -p daemon status
	printf '%s' "$OUT" | python3 -m json.tool >/dev/null || fail "pretty JSON does not parse"
	expect_contains "$OUT" '
  "version": '
}

test_version_and_stats_dump() {
	start_daemon
	expect_rc 0 cli daemon version
	expect_contains "$OUT" "ctr-ipcd 0."
	expect_rc 0 cli -j daemon version
	expect_eq "$(json_get "$OUT" 'd["client"]["version"] == d["daemon"]["version"]')" True

	cli daemon status >/dev/null
	cli daemon status >/dev/null
	expect_rc 0 cli -j daemon stats
	expect_eq "$(json_get "$OUT" '[e["command"] for e in d][:2]')" \
		"['daemon.status', 'daemon.version']" "stats order"
	expect_eq "$(json_get "$OUT" '[e for e in d if e["command"]=="daemon.status"][0]["requests"]')" 2
	expect_rc 0 cli -j daemon stats daemon.status
	expect_eq "$(json_get "$OUT" 'len(d)')" 1 "filtered stats"
	expect_rc 0 cli daemon stats
	expect_contains "$OUT" "COMMAND"
	expect_contains "$OUT" "daemon.status"
	expect_rc 1 cli daemon stats no.such
	expect_contains "$ERR" "no command 'no.such'"
	# A failed list prints nothing a script could mistake for a result.
	expect_rc 1 cli -j daemon stats no.such
	expect_eq "$OUT" "" "stdout of a failed JSON list"
}

# A mutating request from an unprivileged uid is refused with a clear reason.
test_nonroot_refused() {
	write_config "read_access = all"
	start_daemon
	chmod 755 "$T/run"
	expect_rc 0 setpriv --reuid=65534 --regid=65534 --clear-groups "$CTRIPC" --run-dir "$T/run" daemon status
	expect_contains "$OUT" "PID:"
	expect_rc 3 setpriv --reuid=65534 --regid=65534 --clear-groups "$CTRIPC" --run-dir "$T/run" daemon reload
	expect_contains "$ERR" "permission denied"
	expect_contains "$ERR" "daemon.reload"
	expect_contains "$ERR" "needs an administrator, root or the daemon's user"
	expect_contains "$ERR" "uid 65534"
	expect_rc 3 setpriv --reuid=65534 --regid=65534 --clear-groups "$CTRIPC" --run-dir "$T/run" daemon log-level debug
	expect_rc 0 cli -j daemon status
	expect_eq "$(json_get "$OUT" 'd["counters"]["denied"]')" 2 "denied counter"
	expect_eq "$(json_get "$OUT" 'd["log_level"]')" info "log level untouched"
	# Root may.
	expect_rc 0 cli daemon reload
}

# By default read-only commands are closed to other users too.
test_read_access_default_admin() {
	start_daemon
	chmod 755 "$T/run"
	expect_rc 3 setpriv --reuid=65534 --regid=65534 --clear-groups "$CTRIPC" --run-dir "$T/run" daemon status
	expect_contains "$ERR" "read_access = all"
}

# The admin group may change things: the request's (kernel-checked) primary
# group, or membership in the group database.  A process that merely carries
# the group (setgroups, or a forged pid from another pid namespace) is not a
# member.
test_admin_group() {
	local grp=ctripct$$ usr=ctripcu$$ gid
	groupadd "$grp" || fail "groupadd failed"
	on_cleanup groupdel "$grp"
	on_cleanup userdel "$usr"
	useradd --system --no-create-home --shell /usr/sbin/nologin -G "$grp" "$usr" || fail "useradd failed"
	gid=$(getent group "$grp" | cut -d: -f3)
	write_config "admin_group = $grp"
	start_daemon
	chmod 755 "$T/run"
	# A member according to the group database, with no supplementary groups in the process.
	expect_rc 0 setpriv --reuid="$usr" --regid=65534 --clear-groups "$CTRIPC" --run-dir "$T/run" daemon reload
	# The group as primary group.
	expect_rc 0 setpriv --reuid=65534 --regid="$gid" --clear-groups "$CTRIPC" --run-dir "$T/run" daemon log-level debug
	# Carrying the group as a supplementary group does not make nobody a member.
	expect_rc 3 setpriv --reuid=65534 --regid=65534 --groups="$gid" "$CTRIPC" --run-dir "$T/run" daemon reload
	expect_contains "$ERR" "member of group '$grp'"
	expect_rc 3 setpriv --reuid=65534 --regid=65534 --clear-groups "$CTRIPC" --run-dir "$T/run" daemon reload
}

test_daemon_down_exit_3() {
	expect_rc 3 cli daemon status
	expect_contains "$ERR" "ctr-ipcd is not running"
	expect_contains "$ERR" "start it with 'ctr-ipcd'"
	# A stale pidfile (a dead pid) says so too.
	mkdir -p "$T/run"
	sh -c 'exit 0' &
	dead=$!
	wait $dead
	echo $dead >"$T/run/ctr-ipcd.pid"
	expect_rc 3 cli daemon status
	expect_contains "$ERR" "which is gone"
	# A live pid that is not listening on the port.
	echo $$ >"$T/run/ctr-ipcd.pid"
	echo 1234599 >"$T/run/ctr-ipcd.port"
	expect_rc 3 cli daemon status
	expect_contains "$ERR" "not listening on netlink port ID 1234599"
	# CTR_IPC_RUN_DIR is honoured.
	rm -f "$T/run/ctr-ipcd.pid"
	CTR_IPC_RUN_DIR=$T/run expect_rc 3 "$CTRIPC" daemon status
	expect_contains "$ERR" "no pidfile $T/run/ctr-ipcd.pid"
}

test_second_daemon_refused() {
	start_daemon
	expect_rc 1 "$CTRIPCD" --foreground --config "$T/ctr-ipcd.conf" --run-dir "$T/run" \
		--state-dir "$T/state" --port-id "$(next_port)"
	expect_contains "$ERR" "another ctr-ipcd (pid $DPID) is already running with run dir $T/run"
	# The first one is untouched.
	expect_rc 0 cli daemon status
	expect_eq "$(cat "$T/run/ctr-ipcd.pid")" "$DPID" "pidfile"
}

test_port_taken_refused() {
	start_daemon
	mkdir -p "$T/other"
	expect_rc 1 "$CTRIPCD" --foreground --config "$T/ctr-ipcd.conf" --run-dir "$T/other" \
		--state-dir "$T/state2" --port-id "$PORT"
	expect_contains "$ERR" "netlink port ID $PORT (NETLINK_USERSOCK) is taken"
	expect_contains "$ERR" "--port-id"
	[ ! -e "$T/other/ctr-ipcd.pid" ] || fail "refused daemon left a pidfile"
	expect_rc 0 cli daemon status
}

test_bad_config_refused() {
	write_config "# ok" "log_level = info" "port_id = twelve"
	expect_rc 1 "$CTRIPCD" --foreground --config "$T/ctr-ipcd.conf" --run-dir "$T/run" --state-dir "$T/state"
	expect_contains "$ERR" "$T/ctr-ipcd.conf:3: port_id must be a number"
	write_config "colour = blue"
	expect_rc 1 "$CTRIPCD" --foreground --config "$T/ctr-ipcd.conf" --run-dir "$T/run" --state-dir "$T/state"
	expect_contains "$ERR" "$T/ctr-ipcd.conf:1: unknown key 'colour'"
	expect_rc 1 "$CTRIPCD" --foreground --config "$T/missing.conf" --run-dir "$T/run" --state-dir "$T/state"
	expect_contains "$ERR" "$T/missing.conf: cannot open"
	# Bad options are usage errors.
	expect_rc 2 "$CTRIPCD" --port-id 0
	expect_contains "$ERR" "--port-id: port_id must be a number"
	expect_rc 2 "$CTRIPCD" --no-such-option
	expect_rc 2 "$CTRIPCD" stray
}

test_sighup_reload() {
	write_config "log_level = info"
	start_daemon
	write_config "log_level = debug" "read_access = all"
	kill -HUP "$DPID"
	for i in $(seq 50); do
		[ "$(json_get "$(cli -j daemon status)" 'd["counters"]["reloads"]')" = 1 ] && break
		sleep 0.05
	done
	expect_rc 0 cli -j daemon status
	expect_eq "$(json_get "$OUT" 'd["counters"]["reloads"]')" 1 "reloads"
	expect_eq "$(json_get "$OUT" 'd["log_level"]')" debug "log level after reload"

	# A broken file is refused with file:line; the running config stays.
	write_config "log_level = warning" "port_id = nope"
	expect_rc 1 cli daemon reload
	expect_contains "$ERR" "$T/ctr-ipcd.conf:2: port_id must be a number"
	expect_rc 0 cli -j daemon status
	expect_eq "$(json_get "$OUT" 'd["log_level"]')" debug "log level kept"
	kill -HUP "$DPID"
	sleep 0.2
	expect_contains "$(cat "$T/daemon.log")" "reload failed, keeping the running configuration: $T/ctr-ipcd.conf:2"
	kill -0 "$DPID" || fail "daemon died on a bad reload"

	# A key bound at start is reported, not half-applied (the command line's
	# --port-id and --state-dir win over the file, so they do not count).
	write_config "log_target = syslog" "port_id = 777"
	expect_rc 0 cli daemon reload
	expect_contains "$(cat "$T/daemon.log")" "'log_target' changed"
	expect_not_contains "$(cat "$T/daemon.log")" "'port_id' changed"
	expect_eq "$(json_get "$(cli -j daemon status)" 'd["port_id"]')" "$PORT" "port kept"
}

test_sigterm_cleans_up() {
	start_daemon
	[ -s "$T/run/ctr-ipcd.pid" ] || fail "no pidfile while running"
	[ -s "$T/run/ctr-ipcd.port" ] || fail "no port file while running"
	stop_daemon
	expect_eq "$DAEMON_RC" 0 "exit status after SIGTERM"
	[ ! -e "$T/run/ctr-ipcd.pid" ] || fail "pidfile left behind"
	[ ! -e "$T/run/ctr-ipcd.port" ] || fail "port file left behind"
	# The port is free again: a new daemon binds it.
	start_daemon
	expect_rc 0 cli daemon status
}

# Without --foreground the daemon detaches once it is ready.
test_detached_start() {
	: >"$T/ctr-ipcd.conf"
	port=$(next_port)
	expect_rc 0 "$CTRIPCD" --config "$T/ctr-ipcd.conf" --run-dir "$T/run" --state-dir "$T/state" --port-id "$port"
	DPID=$(cat "$T/run/ctr-ipcd.pid")
	expect_rc 0 cli -j daemon status
	expect_eq "$(json_get "$OUT" 'd["pid"]')" "$DPID" "detached pid"
	expect_eq "$(ps -o sid= -p "$DPID" | tr -d ' ')" "$DPID" "session leader"
	kill -TERM "$DPID"
	# Its parent is init, which reaps it when it likes: gone or a zombie both mean stopped.
	for i in $(seq 100); do
		state=$(awk '/^State:/ {print $2}' "/proc/$DPID/status" 2>/dev/null)
		[ -z "$state" ] || [ "$state" = Z ] && break
		sleep 0.05
	done
	[ -z "$state" ] || [ "$state" = Z ] || fail "detached daemon did not stop (state $state)"
	DPID=
	[ ! -e "$T/run/ctr-ipcd.pid" ] || fail "pidfile left behind"
}

# Detached: the cwd is /, a relative --config still reloads, and
# log_target = stderr keeps logging to the stderr it was started with.
test_detached_relative_config_and_stderr_log() {
	write_config "log_target = stderr" "log_level = debug"
	port=$(next_port)
	(cd "$T" && "$CTRIPCD" --config ctr-ipcd.conf --run-dir "$T/run" --state-dir "$T/state" \
		--port-id "$port" 2>"$T/stderr.log")
	DPID=$(cat "$T/run/ctr-ipcd.pid")
	expect_eq "$(readlink "/proc/$DPID/cwd")" / "cwd of the detached daemon"
	expect_rc 0 cli daemon reload
	expect_rc 0 cli -j daemon status
	expect_eq "$(json_get "$OUT" 'd["config_path"]')" "$T/ctr-ipcd.conf" "absolute config path"
	expect_contains "$(cat "$T/stderr.log")" "configuration reloaded from $T/ctr-ipcd.conf"
	kill -TERM "$DPID"
	DPID=
}

# A daemon run by an ordinary user serves that user.
test_unprivileged_daemon() {
	mkdir -p "$T/run" "$T/state"
	chown 65534:65534 "$T/run" "$T/state"
	: >"$T/ctr-ipcd.conf"
	DAEMON_WRAPPER="setpriv --reuid=65534 --regid=65534 --clear-groups" start_daemon
	expect_eq "$(stat -c %u "$T/run/ctr-ipcd.pid")" 65534 "pidfile owner"
	expect_rc 0 setpriv --reuid=65534 --regid=65534 --clear-groups "$CTRIPC" --run-dir "$T/run" daemon reload
	expect_rc 3 setpriv --reuid=65533 --regid=65533 --clear-groups "$CTRIPC" --run-dir "$T/run" daemon reload
	expect_contains "$ERR" "root or the daemon's user"
	# Root is always an administrator.
	expect_rc 0 cli daemon reload
	# The buffer cannot have its namespaces: the bus is off, said once, not restarted.
	sleep 0.5
	expect_contains "$(cat "$T/daemon.log")" "the bus is off; run ctr-ipcd as root"
	expect_eq "$(grep -c 'restarting in' "$T/daemon.log")" 0 "buffer restarts"
}

# A stale pidfile owned by another user: root takes it over (clients trust
# its owner as the daemon's uid); an ordinary user is told what is wrong.
test_stale_pidfile_of_another_user() {
	mkdir -p "$T/run"
	echo 999999 >"$T/run/ctr-ipcd.pid"
	chown 12345 "$T/run/ctr-ipcd.pid"
	start_daemon
	expect_eq "$(stat -c %u "$T/run/ctr-ipcd.pid")" 0 "pidfile owner"
	expect_rc 0 cli daemon status
	stop_daemon

	mkdir -p "$T/run2" "$T/state2"
	chown 65534 "$T/run2" "$T/state2"
	echo 999999 >"$T/run2/ctr-ipcd.pid"
	chown 12345 "$T/run2/ctr-ipcd.pid"
	expect_rc 1 setpriv --reuid=65534 --regid=65534 --clear-groups "$CTRIPCD" --foreground \
		--config "$T/ctr-ipcd.conf" --run-dir "$T/run2" --state-dir "$T/state2" --port-id "$(next_port)"
	expect_contains "$ERR" "cannot lock $T/run2/ctr-ipcd.pid: Permission denied"
	expect_contains "$ERR" "remove it"
	# A directory it may not create is named.
	expect_rc 1 setpriv --reuid=65534 --regid=65534 --clear-groups "$CTRIPCD" --foreground \
		--config "$T/ctr-ipcd.conf" --run-dir "$T/run2" --state-dir "$T/nope/state" --port-id "$(next_port)"
	expect_contains "$ERR" "cannot create the state dir $T/nope/state: Permission denied"
}

# Raw netlink from another process: malformed requests get NLMSG_ERROR with a
# sentence, and a reply sent by an impostor is ignored by the CLI.
test_malformed_requests_over_netlink() {
	start_daemon
	python3 - "$PORT" <<'PY' || fail "raw netlink checks failed"
import socket, struct, sys
port = int(sys.argv[1])
NLMSG_ERROR, TYPE = 2, 0x20
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 2)  # NETLINK_USERSOCK
s.bind((0, 0))
s.settimeout(5)
def ask(cmd, version, attrs=b"", seq=1, flags=0x5):
    body = struct.pack("BBH", cmd, version, 0) + attrs
    msg = struct.pack("=IHHII", 16 + len(body), TYPE, flags, seq, 0) + body
    s.sendto(msg, (port, 0))
    data, addr = s.recvfrom(65536)
    ln, typ, flags, rseq, pid = struct.unpack_from("=IHHII", data)
    assert typ == NLMSG_ERROR, typ
    err = struct.unpack_from("=i", data, 16)[0]
    text = data[16 + 4 + 16 + 4:].split(b"\0")[0].decode()
    return err, text, rseq
err, text, seq = ask(99, 1, seq=41)
assert err == -95 and "unknown ctr-ipc command 99" in text and seq == 41, (err, text)
err, text, _ = ask(1, 7)
assert err == -71 and "protocol version 7" in text, (err, text)
# log-level without its attribute, then with an over-long one
err, text, _ = ask(5, 1)
assert err == -22 and "needs attribute 'log_level'" in text, (err, text)
val = b"x" * 40 + b"\0"
attr = struct.pack("HH", 4 + len(val), 10) + val + b"\0" * ((4 - len(val) % 4) % 4)
err, text, _ = ask(5, 1, attr)
assert err == -36 and "limit is 16" in text, (err, text)
# a u32 attribute of the wrong size
attr = struct.pack("HHH", 6, 3, 1) + b"\0\0"
err, text, _ = ask(1, 1, attr)
assert err == -22, (err, text)
# a command that is not a list, asked for as a dump (NLM_F_DUMP): refused, not half answered
err, text, _ = ask(2, 1, flags=0x305)
assert err == -22 and "'daemon.version' is not a list" in text, (err, text)
print("ok")
PY
	# The daemon is still fine and counted the errors.
	expect_rc 0 cli -j daemon status
	[ "$(json_get "$OUT" 'd["counters"]["errors"]')" -ge 5 ] || fail "errors not counted: $OUT"
}

# The CLI trusts only the daemon's pid, uid and port: a reply from another
# socket with the right sequence number is ignored (the CLI then times out
# on the real daemon's silence instead of printing the impostor's answer).
test_impostor_reply_ignored() {
	mkdir -p "$T/run"
	python3 - "$T/run" <<'PY' &
import os, socket, struct, sys, time
run = sys.argv[1]
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 2)
s.bind((0x5eed0001, 0))
# Claim to be the daemon in the port file, but the pidfile names another process.
open(run + "/ctr-ipcd.port", "w").write("%d\n" % 0x5eed0001)
open(run + "/ctr-ipcd.pid.tmp", "w").write("1\n")
os.rename(run + "/ctr-ipcd.pid.tmp", run + "/ctr-ipcd.pid")
s.settimeout(10)
data, (pid, _) = s.recvfrom(65536)
seq = struct.unpack_from("=I", data, 8)[0]
# A forged ACK: error 0 with the right sequence number.
err = struct.pack("=IHHII", 36, 2, 0, seq, 0) + struct.pack("=i", 0) + data[:16]
s.sendto(err, (pid, 0))
time.sleep(3)
PY
	EXTRA_PIDS=$!
	for i in $(seq 50); do [ -s "$T/run/ctr-ipcd.pid" ] && break; sleep 0.05; done
	# pid 1 is alive but is not the sender: the forged answer must not be accepted.
	start=$(date +%s)
	"$CTRIPC" --run-dir "$T/run" daemon reload >"$T/out" 2>"$T/err"
	rc=$?
	expect_eq "$rc" 3 "exit status with a forged reply"
	expect_contains "$(cat "$T/err")" "did not answer"
}

# Clients that do not read fill their receive buffers: the daemon parks
# their dumps and completes every started one once they read, without
# stalling other clients; one client gets one parked list at a time.
test_dump_backpressure() {
	start_daemon --log-level debug
	python3 - "$PORT" "$CTRIPC" "$T/run" <<'PY' || fail "dump back-pressure check failed"
import json, socket, struct, subprocess, sys, time
port, ctripc, run = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ncmds = len(json.loads(subprocess.run([ctripc, "--run-dir", run, "-j", "daemon", "stats"],
                                      capture_output=True, check=True).stdout))
socks = []
for k in range(8):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 2)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 0)  # the kernel's minimum
    s.bind((0, 0))
    for seq in range(1, 21):
        body = struct.pack("BBH", 3, 1, 0)  # daemon.stats, version 1
        s.sendto(struct.pack("=IHHII", 16 + len(body), 0x20, 0x1 | 0x4 | 0x300, seq, 0) + body, (port, 0))
    socks.append(s)
time.sleep(0.3)
# Meanwhile another client is served at once.
t0 = time.time()
out = subprocess.run([ctripc, "--run-dir", run, "daemon", "version"], capture_output=True, timeout=5)
assert out.returncode == 0, out
assert time.time() - t0 < 2, "daemon stalled by slow readers"
for s in socks:
    entries, done, busy = {}, set(), 0
    s.settimeout(1)
    try:
        while True:
            data = s.recv(65536)
            off = 0
            while off + 16 <= len(data):
                ln, typ, flags, seq, pid = struct.unpack_from("=IHHII", data, off)
                if typ == 3:
                    done.add(seq)
                elif typ == 2:
                    err = struct.unpack_from("=i", data, off + 16)[0]
                    assert err == -16, err  # EBUSY: one list at a time
                    busy += 1
                elif typ == 0x20:
                    assert flags & 0x2, "dump entry without NLM_F_MULTI"
                    entries[seq] = entries.get(seq, 0) + 1
                off += (ln + 3) & ~3
    except socket.timeout:
        pass
    # Every dump that started was finished, whole.
    assert done, "no dump completed"
    assert set(entries) == done, (sorted(entries), sorted(done))
    assert set(entries.values()) == {ncmds}, entries
print("ok")
PY
	# The path under test was taken: some dumps had to wait for their reader.
	expect_contains "$(cat "$T/daemon.log")" "parked: the client's receive buffer is full"
}

# Many clients that never read cannot make the daemon grow: parked lists are
# capped, the rest refused.
test_dump_flood_bounded() {
	write_config "read_access = all"
	start_daemon
	chmod 755 "$T/run"
	setpriv --reuid=65534 --regid=65534 --clear-groups python3 - "$PORT" <<'PY' &
import socket, struct, sys, time
port = int(sys.argv[1])
socks = []
for k in range(300):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 2)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 0)
    s.bind((0, 0))
    body = struct.pack("BBH", 3, 1, 0)
    for seq in range(1, 11):
        try:
            s.sendto(struct.pack("=IHHII", 16 + len(body), 0x20, 0x1 | 0x300, seq, 0) + body, (port, 0))
        except BlockingIOError:
            pass
    socks.append(s)
time.sleep(4)
PY
	EXTRA_PIDS=$!
	sleep 2
	rss=$(awk '/^VmRSS/{print $2}' "/proc/$DPID/status")
	[ "$rss" -lt 65536 ] || fail "the daemon grew to $rss kB under a dump flood"
	expect_rc 0 cli daemon status
}

# Files in a directory others may write could be forged: neither side trusts it.
test_untrusted_run_dir() {
	mkdir -p "$T/run"
	chmod 1777 "$T/run"
	expect_rc 1 "$CTRIPCD" --foreground --config /dev/null --run-dir "$T/run" --state-dir "$T/state" \
		--port-id "$(next_port)"
	expect_contains "$ERR" "the run dir $T/run is owned by uid 0 with mode 1777; it must belong to uid 0 and not be writable by group or others"
	chmod 755 "$T/run"
	start_daemon
	chmod 777 "$T/run"
	expect_rc 3 cli daemon status
	expect_contains "$ERR" "could be written by others than the daemon's user"
	chmod 755 "$T/run"
	chown 65534 "$T/run/ctr-ipcd.port"
	expect_rc 3 cli daemon status
	expect_contains "$ERR" "ctr-ipcd.port belongs to uid 65534, not to the daemon's uid 0"
	chown 0 "$T/run/ctr-ipcd.port"
	expect_rc 0 cli daemon status
}
