# The bus: the buffer process, policy, endpoints, delivery, in real
# containers through /run/ctr-ipc/bus.sock and the static ctripc.

CTRIPC_IN=/run/ctr-ipc/bin/ctripc

# bus_setup POLICY-LINES...: a daemon whose policy file holds these rules.
bus_setup() {
	printf '%s\n' "$@" >"$T/policy.conf"
	write_config "policy_file = $T/policy.conf"
	start_daemon
	for i in $(seq 50); do
		[ -n "$(buffer_pid)" ] && return 0
		sleep 0.1
	done
	fail "no buffer process: $(cat "$T/daemon.log")"
}

# box NAME: a running container.
box() {
	expect_rc 0 cli container create "$1"
	expect_rc 0 cli container start "$1"
}

# in NAME CMD...: run CMD in container NAME (stdout/stderr in OUT/ERR); returns its status.
in_box() {
	local name=$1
	shift
	cli container exec "$name" -- "$@" >"$T/out" 2>"$T/err"
	local rc=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
	return $rc
}

test_bus_buffer_is_shut_in_and_supervised() {
	bus_setup
	local pid
	pid=$(buffer_pid)
	expect_eq "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" 65534 "the buffer's uid"
	expect_eq "$(awk '/^CapEff:/ {print $2}' "/proc/$pid/status")" 0000000000000000 "its capabilities"
	for ns in mnt pid net ipc uts; do
		[ "$(readlink "/proc/$pid/ns/$ns")" != "$(readlink /proc/self/ns/$ns)" ] ||
			fail "the buffer shares the host's $ns namespace"
	done
	expect_eq "$(ls -A "/proc/$pid/root/")" "proc" "its root file system: its own /proc only"
	# Killed: started again, and the bus works again.
	box a
	kill -KILL "$pid"
	for i in $(seq 50); do
		[ "$(buffer_pid)" != "$pid" ] && [ -n "$(buffer_pid)" ] && break
		sleep 0.1
	done
	[ "$(buffer_pid)" != "$pid" ] || fail "the buffer was not restarted: $(cat "$T/daemon.log")"
	expect_contains "$(cat "$T/daemon.log")" "buffer process (pid $pid) ended"
	expect_rc 0 cli -j daemon status
	expect_eq "$(json_get "$OUT" 'd["counters"]["buffer_crashes"]')" 1 "crashes in daemon status"
	expect_eq "$(json_get "$OUT" 'd["buffer_pid"]')" "$(buffer_pid)" "buffer pid in daemon status"
	expect_rc 0 cli daemon status
	expect_contains "$OUT" "pid $(buffer_pid), started 2 times, 1 crashes"
	sleep 0.3
	printf 'allow from=a to=a/inbox category=*\n' >"$T/policy.conf"
	expect_rc 0 cli policy add allow --from a --to a/inbox
	in_box a sh -c "$CTRIPC_IN send a/inbox t.x hi && $CTRIPC_IN listen --count 1 --timeout 5 inbox" ||
		fail "after the restart: $OUT $ERR"
	expect_contains "$OUT" "a/anon-"
}

test_bus_default_deny_and_rules() {
	bus_setup "allow from=a to=b/inbox category=sensor.*" "deny from=a to=b/* category=*"
	box a
	box b
	in_box a $CTRIPC_IN send c/inbox sensor.t 1
	expect_eq $? 1 "send to a destination no rule allows"
	expect_eq "$ERR" "ctripc: send: denied by the default rule (no rule allows from=a/anon-1 to=c/inbox category=sensor.t)"
	in_box a $CTRIPC_IN send b/other sensor.t 1
	expect_eq "$ERR" "ctripc: send: denied by rule 2 (deny from=a/* to=b/* category=*)"
	in_box a $CTRIPC_IN send b/inbox log.x 1
	expect_contains "$ERR" "denied by rule 2"
	in_box a $CTRIPC_IN send --as probe b/inbox sensor.temperature 21.5 || fail "allowed send: $ERR"
	expect_eq "$OUT" 1 "the first message's ID"
	in_box b $CTRIPC_IN listen --count 1 --timeout 5 inbox || fail "listen: $ERR"
	expect_eq "$OUT" "1 a/probe sensor.temperature 21.5"
}

test_bus_secret() {
	bus_setup
	box a
	expect_rc 0 cli policy add allow --from a --to a/vault --secret token
	printf 'right' | cli policy secret set token >/dev/null || fail "secret set"
	expect_rc 0 cli policy secret ls
	expect_eq "$OUT" "$(printf 'NAME\ntoken')"
	in_box a sh -c "printf wrong > /tmp/w; $CTRIPC_IN send --auth-file /tmp/w a/vault x.y 1"
	expect_contains "$ERR" "denied by rule 1 (allow from=a/* to=a/vault category=* secret=token): the authorization data does not match"
	in_box a $CTRIPC_IN send a/vault x.y 1
	expect_contains "$ERR" "the message carries no authorization data"
	in_box a sh -c "printf right > /tmp/r; $CTRIPC_IN send --auth-file /tmp/r a/vault x.y 1" ||
		fail "the right secret: $ERR"
	# Never on the command line; the value is never shown.
	expect_rc 2 cli policy secret set token right
	expect_rc 0 cli -j policy secret ls
	expect_not_contains "$OUT" right
	[ "$(stat -c %a "$T/state/secrets/token")" = 600 ] || fail "the secret's file mode"
}

# Three containers, three endpoints; every message goes through the buffer.
test_bus_star_and_late_receiver() {
	bus_setup "allow from=* to=* category=chat.*"
	box a
	box b
	box c
	in_box a $CTRIPC_IN send --as alice b/bob chat.hi "to bob" || fail "$ERR"
	in_box b $CTRIPC_IN send --as bob c/carol chat.hi "to carol" || fail "$ERR"
	in_box c $CTRIPC_IN send --as carol a/alice chat.hi "to alice" || fail "$ERR"
	# The receivers start after the sends: the buffer held the messages.
	in_box b $CTRIPC_IN listen --count 1 --timeout 5 bob
	expect_eq "$OUT" "1 a/alice chat.hi to bob"
	in_box c $CTRIPC_IN listen --count 1 --timeout 5 carol
	expect_eq "$OUT" "2 b/bob chat.hi to carol"
	in_box a $CTRIPC_IN listen --count 1 --timeout 5 alice
	expect_eq "$OUT" "3 c/carol chat.hi to alice"
	# ACKed: nothing comes again.
	in_box b $CTRIPC_IN listen --count 1 --timeout 1 bob
	expect_contains "$ERR" "0 of 1 messages within 1 s"
}

test_bus_ttl_expires() {
	bus_setup "allow from=* to=* category=*"
	box a
	in_box a $CTRIPC_IN send --ttl 1 a/late x.y "too late" || fail "$ERR"
	in_box a $CTRIPC_IN send --ttl 60 a/late x.y "in time" || fail "$ERR"
	sleep 1.5
	in_box a $CTRIPC_IN listen --count 1 --timeout 3 late
	expect_eq "$OUT" "2 a/anon-2 x.y in time" "only the message whose time to live had not run out"
}

test_bus_endpoints_and_isolation() {
	bus_setup "allow from=* to=* category=*"
	box a
	box b
	cli container exec a -- $CTRIPC_IN listen --timeout 5 inbox >"$T/l.out" 2>&1 &
	local lpid=$!
	sleep 0.5
	in_box a $CTRIPC_IN listen --count 1 --timeout 1 inbox
	expect_contains "$ERR" "endpoint a/inbox is taken by a live connection"
	# b's endpoint of the same name is another address.
	cli container exec b -- $CTRIPC_IN listen --count 1 --timeout 5 inbox >"$T/b.out" 2>&1 &
	local bpid=$!
	sleep 0.5
	in_box a $CTRIPC_IN send b/inbox x.y "for b" || fail "$ERR"
	wait "$bpid"
	expect_contains "$(cat "$T/b.out")" "1 a/anon-"
	expect_contains "$(cat "$T/b.out")" " x.y for b"
	kill "$lpid" 2>/dev/null
	wait "$lpid" 2>/dev/null
	# Only its own socket is in a container: no other container's, no host's.
	in_box a sh -c 'ls /run/ctr-ipc; ls '"$T"'/run 2>&1'
	expect_eq "$(echo "$OUT" | head -n 2 | tr '\n' ' ')" "bin bus.sock " "a's /run/ctr-ipc"
	expect_contains "$OUT" "No such file or directory"
	# A frame claiming a source is refused: the socket names the container.
	in_box a python3 -c '
import socket, struct
def attr(t, v): return struct.pack("=HH", 4 + len(v), t) + v + b"\0" * (-len(v) % 4)
body = struct.pack("BBH", 2, 1, 0) + attr(3, b"b/x\0") + attr(4, b"x.y\0") + attr(2, b"b/spoof\0") + attr(6, b"hi")
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.connect("/run/ctr-ipc/bus.sock")
s.send(struct.pack("=IHHII", 16 + len(body), 0x21, 1, 9, 0) + body)
print(s.recv(65536)[40:].split(b"\0")[0].decode())'
	expect_contains "$OUT" "'source' is not valid for 'send'"
}

test_bus_payloads_byte_for_byte() {
	bus_setup "allow from=* to=* category=*"
	box a
	for size in 0 1 65536 1048576; do
		head -c "$size" /dev/urandom >"$T/p$size"
		cli container exec a -- $CTRIPC_IN send a/sink d.x - <"$T/p$size" >"$T/id" 2>"$T/err" ||
			fail "send of $size bytes: $(cat "$T/err")"
		cli container exec a -- $CTRIPC_IN listen --json --count 1 --timeout 10 sink >"$T/got" ||
			fail "listen for $size bytes"
		python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
sys.exit(0 if m["payload"].encode("latin-1") == open(sys.argv[2], "rb").read() and m["size"] == int(sys.argv[3]) else 1)' \
			"$T/got" "$T/p$size" "$size" || fail "the $size-byte payload changed on its way"
	done
	head -c 1048577 /dev/zero >"$T/over"
	cli container exec a -- $CTRIPC_IN send a/sink d.x - <"$T/over" >"$T/id" 2>"$T/err"
	expect_eq $? 1 "send over the maximum"
	expect_contains "$(cat "$T/err")" "the payload is 1048577 bytes, over the maximum of 1048576"
	# Refused before it was whole, and still kept for inspection.
	cli -j msg ls --state rejected >"$T/rejected" || fail "msg ls: $ERR"
	expect_contains "$(cat "$T/rejected")" "over the maximum of 1048576"
}

# Limits from ctr-ipcd.conf: a full queue refuses with its reason; SIGHUP
# applies new limits and reloads the rules.
test_bus_limits_and_reload() {
	printf 'allow from=* to=* category=*\n' >"$T/policy.conf"
	write_config "policy_file = $T/policy.conf" "bus_queue_messages = 2" "bus_payload_max = 1K"
	start_daemon
	sleep 0.3
	box a
	in_box a sh -c "$CTRIPC_IN send a/q x.y 1 && $CTRIPC_IN send a/q x.y 2" || fail "$ERR"
	in_box a $CTRIPC_IN send a/q x.y 3
	expect_contains "$ERR" "the queue of a/q is full (2 messages"
	in_box a sh -c "head -c 1025 /dev/zero | $CTRIPC_IN send a/r x.y -"
	expect_contains "$ERR" "the payload is 1025 bytes, over the maximum of 1024"
	write_config "policy_file = $T/policy.conf" "bus_queue_messages = 3" "bus_payload_max = 1K"
	printf 'deny from=* to=a/q category=*\nallow from=* to=* category=*\n' >"$T/policy.conf"
	kill -HUP "$DPID"
	sleep 0.5
	in_box a $CTRIPC_IN send a/q x.y 3
	expect_contains "$ERR" "denied by rule 1 (deny from=* to=a/q category=*)"
	in_box a $CTRIPC_IN send a/other x.y 1 || fail "after the reload: $ERR"
	expect_contains "$(cat "$T/daemon.log")" "policy reloaded from $T/policy.conf: 2 rules"
	# A broken file on SIGHUP: the rules in force stay, the error names the line.
	printf 'allow frm=x\n' >"$T/policy.conf"
	kill -HUP "$DPID"
	sleep 0.5
	expect_contains "$(cat "$T/daemon.log")" "$T/policy.conf:1:"
	in_box a $CTRIPC_IN send a/q x.y 3
	expect_contains "$ERR" "denied by rule 1"
	# Bad limits are refused at start with the rule.
	write_config "bus_queue_messages = 0"
	expect_rc 1 "$CTRIPCD" --foreground --config "$T/ctr-ipcd.conf" --run-dir "$T/run2" \
		--state-dir "$T/state2" --port-id "$(next_port)"
	expect_contains "$ERR" "bus_queue_messages must be from 1 to 1000000"
}

# Administration: send as a host endpoint; list, show, endpoints, counters.
test_bus_msg_admin() {
	bus_setup "allow from=host to=* category=t.*" "allow from=a to=host category=*"
	box a
	expect_rc 0 cli msg send --as host/admin a/inbox t.hello --data "hello a"
	expect_eq "$OUT" 1 "the ID"
	expect_rc 1 cli msg send --as host/admin a/inbox x.no --data nope
	expect_contains "$ERR" "denied by the default rule (no rule allows from=host/admin to=a/inbox category=x.no)"
	printf 'from stdin' | cli msg send --as host/admin a/inbox t.stdin >"$T/id" || fail "send from stdin"
	expect_rc 2 cli msg send --as a/x a/inbox t.x --data y
	expect_contains "$ERR" "--as takes host/NAME"
	expect_rc 0 cli -j msg ls
	expect_eq "$(json_get "$OUT" '[m.get("id", 0) for m in d]')" "[1, 2, 0]" "held, then refused"
	expect_eq "$(json_get "$OUT" 'd[2]["state"]')" rejected
	expect_contains "$(json_get "$OUT" 'd[2]["reason"]')" "denied by the default rule"
	expect_rc 0 cli msg show 2
	expect_contains "$OUT" "from stdin"
	expect_contains "$OUT" "Category:       t.stdin"
	# Delivered inside the container; then it shows as delivered.
	in_box a $CTRIPC_IN listen --count 2 --timeout 5 inbox || fail "listen: $ERR"
	expect_rc 0 cli -j msg ls --state delivered
	expect_eq "$(json_get "$OUT" '[m["id"] for m in d]')" "[1, 2]"
	expect_rc 0 cli -j msg ls --category 't.*' --limit 1
	expect_eq "$(json_get "$OUT" 'len(d)')" 1
	expect_rc 0 cli -j msg endpoints
	expect_eq "$(json_get "$OUT" '{e["address"]: (e["delivered"], e["refused"]) for e in d}["a/inbox"]')" "(2, 0)"
	expect_eq "$(json_get "$OUT" '{e["address"]: (e["delivered"], e["refused"]) for e in d}["host/admin"]')" "(0, 1)"
	expect_rc 0 cli -j msg stats
	expect_eq "$(json_get "$OUT" '[r["hits"] for r in d if "rule" in r]')" "[2, 0, 1]" "hits per rule, then the default"
	expect_rc 0 cli -j policy ls
	expect_eq "$(json_get "$OUT" '[r["hits"] for r in d]')" "[2, 0]" "hits in policy ls"
	expect_rc 0 cli policy ls
	expect_contains "$OUT" "HITS"
	expect_rc 1 cli msg show 99
	expect_contains "$ERR" "no message 99"
	expect_rc 1 cli msg ls --state weird
	expect_contains "$ERR" "--state takes queued, delivered, rejected, expired or purged"
	expect_rc 2 cli msg send a/inbox t.x --data y
	expect_contains "$ERR" "--as host/NAME is required"
	# The longest pattern the daemon takes is one the buffer takes too: no restart.
	expect_rc 0 cli msg ls --from "$(printf 'x%.0s' $(seq 128))"
	expect_not_contains "$(cat "$T/daemon.log")" "ended (" "a buffer restart"
	# Completion knows endpoints and IDs.
	CTR_IPC_RUN_DIR=$T/run expect_rc 0 "$CTRIPC" __complete msg show ""
	expect_contains "$OUT" "1"
	CTR_IPC_RUN_DIR=$T/run expect_rc 0 "$CTRIPC" __complete msg send --as host/x ""
	expect_contains "$OUT" "a/inbox"
}

# Names the bus keeps for itself; a policy larger than one frame.
test_bus_reserved_names_and_big_policy() {
	bus_setup
	expect_rc 1 cli container create host
	expect_contains "$ERR" "the container name 'host' is reserved"
	box a
	in_box a $CTRIPC_IN listen --count 1 --timeout 1 anon-1
	expect_contains "$ERR" "not anon-*"
	printf 'x' | cli policy secret set .hidden >/dev/null 2>"$T/err"
	expect_contains "$(cat "$T/err")" "invalid secret name '.hidden'"
	# 500 rules (some 40 KiB of text): the last one is in force.
	for i in $(seq 500); do
		echo "deny from=nobody$i to=* category=*"
	done >"$T/policy.conf"
	echo "allow from=a to=a/inbox category=big.*" >>"$T/policy.conf"
	kill -HUP "$DPID"
	for i in $(seq 50); do
		grep -q "policy reloaded from $T/policy.conf: 501 rules" "$T/daemon.log" && break
		sleep 0.1
	done
	sleep 0.3
	in_box a $CTRIPC_IN send a/inbox big.x 1 || fail "the 501st rule: $ERR"
	expect_rc 0 cli -j msg stats
	expect_eq "$(json_get "$OUT" '[r["hits"] for r in d if r.get("position") == 501]')" "[1]"
	expect_not_contains "$(cat "$T/daemon.log")" "buffer process (pid"
}
