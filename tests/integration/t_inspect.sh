# Inspection and replay: msg ls with filters, show, replay, purge, watch, capture.
# Senders and receivers are host endpoints on the host's bus socket.

# inspect_setup [POLICY-LINES...]
inspect_setup() {
	printf '%s\n' "${@:-allow from=host to=host category=t.*}" >"$T/policy.conf"
	write_config "policy_file = $T/policy.conf"
	start_daemon
	for i in $(seq 50); do
		[ -n "$(buffer_pid)" ] && grep -q 'journal recovered' "$T/daemon.log" && break
		sleep 0.1
	done
	export CTRIPC_BUS=$T/run/bus.sock
}

# send DEST CATEGORY DATA: as host/admin; the ID in OUT.
send() {
	expect_rc 0 cli msg send --as host/admin "$1" "$2" --data "$3"
}

# take ENDPOINT N: receive (and ACK) N messages as host/ENDPOINT; one line each in OUT.
take() {
	"$BIN/ctripc" listen --count "$2" --timeout 5 "$1" >"$T/out" 2>"$T/err" || fail "listen $1: $(cat "$T/err")"
	OUT=$(cat "$T/out")
}

test_inspect_ls_filters_stream_and_json() {
	inspect_setup
	local t0
	t0=$(date +%s)
	send host/a t.one "first"
	send host/a t.two "second"
	send host/b t.one "third"
	expect_rc 1 cli msg send --as host/admin host/a x.no --data refused
	sleep 1.1
	local t1
	t1=$(date +%s)
	send host/b t.two "fourth"
	expect_rc 0 cli -j msg ls
	expect_eq "$(json_get "$OUT" '[m.get("id", 0) for m in d]')" "[1, 2, 3, 4, 0]" "held by ID, then the refused one"
	expect_rc 0 cli -j msg ls --to host/a
	expect_eq "$(json_get "$OUT" '[m.get("id", 0) for m in d]')" "[1, 2, 0]"
	expect_rc 0 cli -j msg ls --from host/admin --category 't.one'
	expect_eq "$(json_get "$OUT" '[m["id"] for m in d]')" "[1, 3]"
	expect_rc 0 cli -j msg ls --state rejected
	expect_eq "$(json_get "$OUT" '[m["category"] for m in d]')" "['x.no']"
	expect_rc 0 cli -j msg ls --state queued --id 2-3
	expect_eq "$(json_get "$OUT" '[m["id"] for m in d]')" "[2, 3]"
	expect_rc 0 cli -j msg ls --id 3-
	expect_eq "$(json_get "$OUT" '[m["id"] for m in d]')" "[3, 4]"
	expect_rc 0 cli -j msg ls --since "@$t1"
	expect_eq "$(json_get "$OUT" '[m["id"] for m in d]')" "[4]" "--since"
	expect_rc 0 cli -j msg ls --until "@$t1" --state queued
	expect_eq "$(json_get "$OUT" '[m["id"] for m in d]')" "[1, 2, 3]" "--until"
	expect_rc 0 cli -j msg ls --since "@$t0" --until now --limit 2
	expect_eq "$(json_get "$OUT" 'len(d)')" 2
	expect_rc 0 cli msg ls --to host/b
	expect_eq "$(echo "$OUT" | awk 'NR > 1 {print $1}' | tr '\n' ' ')" "3 4 "
	expect_rc 2 cli msg ls --since yesterday-ish
	expect_contains "$ERR" "--since takes a time"
	expect_rc 2 cli msg ls --id 5-2
	expect_contains "$ERR" "--id takes N, N-M, N- or -M"
	# Delivered ones stay listed, with their state.
	take a 2
	expect_rc 0 cli -j msg ls --state delivered
	expect_eq "$(json_get "$OUT" '[m["id"] for m in d]')" "[1, 2]"
}

test_inspect_show_hex_and_raw() {
	inspect_setup
	head -c 40000 /dev/urandom >"$T/blob"
	expect_rc 0 cli msg send --as host/admin host/a t.bin --file "$T/blob"
	send host/a t.text "hello there"
	expect_rc 0 cli msg show 2
	expect_contains "$OUT" "hello there"
	expect_rc 0 cli msg show --hex 2
	expect_contains "$OUT" "68 65 6c 6c 6f 20 74 68 65 72 65"
	expect_contains "$OUT" "|hello there|"
	cli msg show --raw 1 >"$T/back" 2>"$T/err" || fail "show --raw: $(cat "$T/err")"
	cmp "$T/blob" "$T/back" || fail "show --raw is not the payload byte for byte"
	# Delivered, its payload comes back from the journal.
	take a 2
	cli msg show --raw 1 >"$T/back2" 2>"$T/err" || fail "show --raw after delivery: $(cat "$T/err")"
	cmp "$T/blob" "$T/back2" || fail "after delivery, show --raw is not the payload"
	expect_rc 2 cli msg show --hex --raw 1
	expect_contains "$ERR" "exclude each other"
}

test_inspect_replay() {
	inspect_setup "allow from=host/admin to=host/a category=t.*" "allow from=host/admin to=host/other category=t.*"
	send host/a t.x "payload one"
	send host/a t.x "payload two"
	take a 2
	# To the same destination: a new ID that records the one it replays.
	expect_rc 0 cli msg replay 1
	expect_contains "$OUT" "1 replayed as 3 to host/a"
	"$BIN/ctripc" listen --json --count 1 --timeout 5 a >"$T/out" 2>"$T/err" || fail "listen a: $(cat "$T/err")"
	# The receiver is told which message this one replays.
	expect_eq "$(json_get "$(cat "$T/out")" '(d["id"], d["replays"], d["payload"])')" "(3, 1, 'payload one')"
	expect_rc 0 cli -j msg show 3
	expect_eq "$(json_get "$OUT" 'd["replays"]')" 1
	# To another destination.
	expect_rc 0 cli -j msg replay 2 --to host/other
	expect_eq "$(json_get "$OUT" '[(r["replays"], r["id"], r["dest"]) for r in d]')" "[(2, 4, 'host/other')]"
	take other 1
	expect_contains "$OUT" "payload two"
	# Several IDs at once.
	expect_rc 0 cli -j msg replay 1 2 --to host/other
	expect_eq "$(json_get "$OUT" '[(r["replays"], r["id"]) for r in d]')" "[(1, 5), (2, 6)]"
	take other 2
	# The policy decides again: a destination it refuses is refused, with its reason.
	expect_rc 1 cli msg replay 1 --to host/c
	expect_contains "$OUT" "1 not replayed: denied by the default rule"
	# Once the rule is gone, the original destination is refused too.
	printf '%s\n' "allow from=host/admin to=host/other category=t.*" >"$T/policy.conf"
	kill -HUP "$DPID"
	for i in $(seq 50); do
		grep -q "policy reloaded" "$T/daemon.log" && break
		sleep 0.1
	done
	sleep 0.2
	expect_rc 1 cli msg replay 1
	expect_contains "$OUT" "denied by the default rule"
	expect_rc 0 cli msg replay --dry-run --filter "to=host/a" --to host/other
	expect_contains "$OUT" "would be replayed to host/other"
	expect_rc 1 cli msg replay 99
	expect_contains "$OUT" "no message 99"
	expect_rc 2 cli msg replay
	expect_contains "$ERR" "say what to replay"
	expect_rc 2 cli msg replay 1 --filter "to=host/a"
	expect_rc 2 cli msg replay --filter "bogus"
	expect_contains "$ERR" "KEY=VALUE"
	expect_rc 1 cli msg replay 1 --to nonsense
	expect_contains "$ERR" "--to takes CONTAINER/ENDPOINT"
}

test_inspect_replay_many_pages() {
	inspect_setup
	write_config "policy_file = $T/policy.conf" "bus_queue_messages = 5000"
	kill -HUP "$DPID"
	sleep 0.5
	local i
	for i in $(seq 1200); do
		printf 'm%s' "$i" | cli msg send --as host/admin host/a t.many >/dev/null || fail "send $i"
	done
	# Pages of 512: a limit past one page goes on from the cursor.
	expect_rc 0 cli -j msg ls --to host/a --limit 600
	expect_eq "$(json_get "$OUT" '[m["id"] for m in d] == list(range(1, 601))')" True "--limit 600"
	expect_rc 0 cli msg replay --filter "to=host/a category=t.many" --to host/b
	expect_contains "$OUT" "1200 replayed, 0 refused"
	expect_rc 0 cli -j msg ls --to host/b
	expect_eq "$(json_get "$OUT" 'len(d)')" 1200 "each replayed once, none replayed again"
	expect_eq "$(json_get "$OUT" 'sorted(m["replays"] for m in d) == list(range(1, 1201))')" True
}

test_inspect_purge() {
	inspect_setup
	send host/a t.x one
	send host/a t.y two
	send host/b t.x three
	expect_rc 2 cli msg purge
	expect_contains "$ERR" "--all"
	expect_rc 0 cli msg purge --to host/a --category t.x
	expect_eq "$OUT" "1 message removed"
	expect_rc 0 cli -j msg ls --state queued
	expect_eq "$(json_get "$OUT" '[m["id"] for m in d]')" "[2, 3]"
	expect_rc 0 cli -j msg ls --state purged
	expect_eq "$(json_get "$OUT" '[m["id"] for m in d]')" "[1]"
	# A purge is in the journal: after a crash of the buffer, it stays gone.
	local old
	old=$(buffer_pid)
	kill -9 "$old"
	for i in $(seq 100); do
		[ -n "$(buffer_pid)" ] && [ "$(buffer_pid)" != "$old" ] && [ "$(grep -c 'journal recovered' "$T/daemon.log")" -ge 2 ] && break
		sleep 0.05
	done
	expect_rc 0 cli -j msg ls --state queued
	expect_eq "$(json_get "$OUT" '[m["id"] for m in d]')" "[2, 3]" "after recovery"
	expect_rc 0 cli msg purge --all --yes
	expect_eq "$OUT" "2 messages removed"
}

test_inspect_watch_sees_a_live_send() {
	inspect_setup
	cli -j msg watch --count 3 >"$T/watch" 2>"$T/watch.err" &
	local w=$!
	sleep 0.5
	send host/a t.live "watched"
	expect_rc 1 cli msg send --as host/admin host/a x.no --data refused
	take a 1
	wait "$w" || fail "msg watch: $(cat "$T/watch.err")"
	OUT=$(cat "$T/watch")
	expect_eq "$(python3 -c 'import json,sys; print([(e["event"], e.get("id", 0)) for e in map(json.loads, sys.stdin)])' <"$T/watch")" \
		"[('accepted', 1), ('refused', 0), ('delivered', 1)]"
	# Filtered: only what goes to host/b.
	cli msg watch --count 1 --to host/b >"$T/watch" 2>&1 &
	w=$!
	sleep 0.5
	send host/a t.live "not this"
	send host/b t.live "this"
	wait "$w" || fail "msg watch --to: $(cat "$T/watch")"
	expect_contains "$(cat "$T/watch")" "accepted  3      host/admin -> host/b t.live 4 bytes"
	# A time window on when messages were sent: --until a past time sees none of
	# the live ones, --since then sees them.
	local t0 old
	t0=$(date +%s)
	cli msg watch --count 1 --until "@$t0" >"$T/watch.old" 2>&1 &
	old=$!
	cli msg watch --count 1 --since "@$t0" >"$T/watch" 2>&1 &
	w=$!
	sleep 0.5
	send host/b t.live "late"
	wait "$w" || fail "msg watch --since: $(cat "$T/watch")"
	expect_contains "$(cat "$T/watch")" "host/admin -> host/b t.live 4 bytes"
	sleep 0.3
	kill "$old" && wait "$old" 2>/dev/null
	expect_eq "$(cat "$T/watch.old")" "" "what a watch --until a past time saw"
}

test_inspect_capture_opens_in_tshark() {
	command -v tshark >/dev/null || fail "tshark is not installed (make deps installs it)"
	inspect_setup
	cli msg capture -w "$T/live.pcapng" --count 25 >"$T/cap.out" 2>"$T/cap.err" &
	local c=$!
	sleep 0.5
	local i
	for i in $(seq 25); do
		send host/a t.cap "message $i"
	done
	wait "$c" || fail "msg capture: $(cat "$T/cap.err")"
	expect_contains "$(cat "$T/cap.err")" "25 messages captured to $T/live.pcapng"
	expect_eq "$(tshark -r "$T/live.pcapng" 2>"$T/tshark.err" | wc -l)" 25 "tshark's count: $(cat "$T/tshark.err")"
	# The record layout: magic, ID, payload at the header's length.
	expect_eq "$(tshark -r "$T/live.pcapng" -T fields -e frame.len 2>/dev/null | head -n 1)" "$((48 + 10 + 6 + 5 + 9))"
	tshark -r "$T/live.pcapng" -x 2>/dev/null | grep -q "CTRB" || fail "no CTRB magic in the capture"
	# From the journal: what is held and finished.
	take a 5
	expect_rc 0 cli msg capture -w "$T/journal.pcapng" --from-journal --to host/a
	expect_eq "$(tshark -r "$T/journal.pcapng" 2>/dev/null | wc -l)" 25
	expect_rc 2 cli msg capture
	expect_contains "$ERR" "-w FILE is required"
}
