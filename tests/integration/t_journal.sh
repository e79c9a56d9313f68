# The journal: held messages survive the buffer's and the daemon's crashes.
# A sender and a receiver on the host's bus socket (tests/integration/crashclient.c)
# go on through kill -9 of the buffer, of ctr-ipcd, and of both.

CRASHCLIENT=${TESTBIN:-$BIN/../tests}/crashclient

# journal_setup [CONFIG-LINES...]: a daemon that allows everything on the bus.
journal_setup() {
	echo "allow from=* to=* category=*" >"$T/policy.conf"
	write_config "policy_file = $T/policy.conf" "$@"
	start_daemon
	wait_buffer ""
	export CTRIPC_BUS=$T/run/bus.sock
}

# wait_buffer OLD: until a buffer other than OLD runs and has recovered its journal.
wait_buffer() {
	local i
	for i in $(seq 100); do
		if [ -n "$(buffer_pid)" ] && [ "$(buffer_pid)" != "$1" ] && { [ -n "${NO_JOURNAL:-}" ] ||
			[ "$(grep -c 'journal recovered' "$T/daemon.log")" -gt "${RECOVERIES:-0}" ]; }; then
			RECOVERIES=$(grep -c 'journal recovered' "$T/daemon.log")
			return 0
		fi
		sleep 0.05
	done
	fail "no buffer after $1: $(tail -n 5 "$T/daemon.log")"
}

test_journal_held_messages_survive_a_buffer_crash() {
	journal_setup
	local pid
	for i in 1 2 3; do
		expect_rc 0 "$BIN/ctripc" send --as snd host/late t.x "held $i"
		expect_eq "$OUT" "$i" "the ID of message $i"
	done
	pid=$(buffer_pid)
	kill -KILL "$pid"
	wait_buffer "$pid"
	expect_rc 0 cli daemon status
	expect_contains "$OUT" "Durability:     sync"
	expect_contains "$OUT" "3 messages held again, 0 bytes dropped"
	expect_rc 0 "$BIN/ctripc" listen --count 3 --timeout 5 late
	expect_eq "$OUT" "$(printf '1 host/snd t.x held 1\n2 host/snd t.x held 2\n3 host/snd t.x held 3')" \
		"the held messages, with their IDs"
	# IDs go on after the highest the journal holds.
	expect_rc 0 "$BIN/ctripc" send --as snd host/late t.x "after"
	expect_eq "$OUT" 4 "the next ID"
	# Taken ones are not delivered again after the next crash.
	pid=$(buffer_pid)
	kill -KILL "$pid"
	wait_buffer "$pid"
	expect_rc 0 "$BIN/ctripc" listen --count 1 --timeout 5 late
	expect_eq "$OUT" "4 host/snd t.x after" "only the one not taken"
	expect_rc 0 cli msg ls --state delivered
	expect_contains "$OUT" "host/late"
}

test_journal_memory_keeps_nothing() {
	NO_JOURNAL=1 journal_setup "durability = memory"
	expect_rc 0 "$BIN/ctripc" send --as snd host/late t.x "lost"
	[ ! -e "$T/state/journal" ] || fail "a journal directory with durability memory"
	expect_rc 0 cli daemon status
	expect_contains "$OUT" "Durability:     memory"
	expect_not_contains "$OUT" "Recovery"
}

# crash_run WHAT KILLS N RATE: the stream of N messages at RATE per second, while
# WHAT (buffer, daemon, both) is killed KILLS times at random moments; then the check.
crash_run() {
	local what=$1 kills=$2 n=$3 rate=$4 sender receiver done_kills=0 pid
	journal_setup "durability = sync" "bus_default_ttl = 0" "bus_queue_messages = 1000000" \
		"bus_container_quota = 10000000"
	"$CRASHCLIENT" recv crash "$n" "$T/recv.log" 2>"$T/recv.err" &
	receiver=$!
	"$CRASHCLIENT" send host/crash "$n" "$rate" "$T/send.log" 2>"$T/send.err" &
	sender=$!
	on_cleanup "kill $sender $receiver"
	while [ "$done_kills" -lt "$kills" ] && kill -0 "$sender" 2>/dev/null; do
		# A random moment 1 to 1.5 s into this buffer's life: one that ran a second is
		# restarted without a backoff.
		sleep "$(printf '1.%03d' $((RANDOM % 500)))"
		kill -0 "$sender" 2>/dev/null || break
		pid=$(buffer_pid)
		case $what in
		buffer) kill -KILL "$pid" ;;
		daemon | both)
			[ "$what" = both ] && kill -KILL "$pid"
			kill -KILL "$DPID"
			wait "$DPID" 2>/dev/null
			start_daemon
			;;
		esac
		done_kills=$((done_kills + 1))
		wait_buffer "$pid"
	done
	wait "$sender" || fail "the sender did not finish: $(cat "$T/send.err")"
	[ "$done_kills" -ge "$kills" ] ||
		fail "the stream ended after $done_kills kills of $kills; slow it down"
	touch "$T/recv.log.done"
	wait "$receiver" || fail "the receiver did not finish: $(cat "$T/recv.err")"
	# Every message whose sender heard ACCEPTED was delivered, under that ID; an ID
	# delivered twice is the same message (same K) delivered again (attempt > 1).
	awk -v n="$n" '
		$1 == "A" { acc[$3] = $2; na++ }
		$1 == "R" {
			if (($3 in got) && got[$3] != $2) { print "ID " $3 " carried " got[$3] " and " $2; bad++ }
			if ($3 in got) { dup++; if ($4 < 2) { print "ID " $3 " again with attempt " $4; bad++ } }
			got[$3] = $2; nr++
		}
		END {
			for (id in acc) if (!(id in got)) { print "accepted ID " id " (K " acc[id] ") never delivered"; bad++ }
			printf "accepted %d, deliveries %d, delivered again %d, IDs sent twice by the sender %d\n", na, nr, dup, nr - dup - na
			exit bad > 0
		}' "$T/send.log" "$T/recv.log" >"$T/check.out" || fail "$(head -n 20 "$T/check.out")"
	echo "note: $what killed $done_kills times: $(tail -n 1 "$T/check.out")"
	expect_eq "$(grep -c '^A ' "$T/send.log")" "$n" "messages accepted"
}

test_journal_kill_the_buffer() {
	crash_run buffer 20 10000 300
}

test_journal_kill_the_daemon() {
	crash_run daemon 20 10000 300
}

test_journal_kill_both() {
	crash_run both 20 10000 300
}

# A full disk: the state directory on a tmpfs of 1 MiB.  New messages are refused
# with the reason; none accepted is lost, neither by the refusals nor by a kill -9
# of the buffer while the disk is full; once the receiver has taken them and their
# segments go, messages are accepted again.
test_journal_full_disk_refuses_and_loses_nothing() {
	mkdir -p "$T/state"
	mount -t tmpfs -o size=1m,mode=0700 ctr-ipc-test "$T/state" || fail "cannot mount a tmpfs on $T/state"
	on_cleanup umount -l "$T/state"
	journal_setup "journal_segment_size = 64k" "journal_retain_size = 0" \
		"bus_queue_messages = 100000" "bus_container_quota = 100000"
	local pad accepted=0 i pid
	pad=$(head -c 6000 /dev/zero | tr '\0' x)
	for i in $(seq 1 400); do
		if "$BIN/ctripc" send --as snd host/late t.x "$i $pad" >"$T/out" 2>"$T/err"; then
			accepted=$((accepted + 1))
			expect_eq "$(cat "$T/out")" "$i" "the ID of message $i"
		else
			break
		fi
	done
	[ "$accepted" -gt 50 ] && [ "$accepted" -lt 400 ] ||
		fail "$accepted of 400 accepted on a 1 MiB state directory: $(cat "$T/err")"
	expect_contains "$(cat "$T/err")" "the disk of ctr-ipcd's state directory is full"
	expect_contains "$(cat "$T/err")" "messages held are kept"
	# Refused again: still full.
	expect_rc 1 "$BIN/ctripc" send --as snd host/late t.x "refused $pad"
	expect_contains "$ERR" "is full"
	# A crash of the buffer while the disk is full loses none of them.
	pid=$(buffer_pid)
	kill -KILL "$pid"
	wait_buffer "$pid"
	expect_rc 0 cli daemon status
	expect_contains "$OUT" "$accepted messages held again"
	"$BIN/ctripc" listen --count "$accepted" --timeout 10 late >"$T/got" 2>"$T/err" ||
		fail "listen: $(cat "$T/err")"
	expect_eq "$(awk '{ print $1 }' "$T/got" | tr '\n' ' ')" "$(seq -s ' ' 1 "$accepted") " \
		"the IDs delivered"
	expect_eq "$(awk '$4 != $1 || length($5) != 6000' "$T/got")" "" "payloads that are not what was sent"
	# Taken, their segments go (journal_retain_size = 0): there is room again.
	for i in $(seq 50); do
		"$BIN/ctripc" send --as snd host/late t.x "after" >"$T/out" 2>"$T/err" && break
		sleep 0.1
	done
	expect_eq "$(cat "$T/out")" "$((accepted + 1))" "the ID of the first message after the disk had room"
	echo "note: full disk: $accepted accepted, then refused; all $accepted delivered after a kill -9"
}

# Compaction: messages held in the oldest segment, a third of it, are copied
# forward, so that it can go; they survive a kill -9 after it went, and are
# delivered byte for byte.
# compaction_run [ID]: 10 held messages of 2 KB in the first 64 KiB segment
# (a third of it; ID's record damaged on disk first, if given), then 300
# others sent and taken, which fill segments past it: once compacted, the
# first segment goes.  PAD is the held ones' padding.
compaction_run() {
	journal_setup "journal_segment_size = 64k" "journal_retain_size = 0"
	local i segs first at moved=10
	[ -n "${1:-}" ] && moved=9
	PAD=$(head -c 2000 /dev/zero | tr '\0' y)
	for i in $(seq 1 10); do
		expect_rc 0 "$BIN/ctripc" send --as snd host/late t.x "$i $PAD"
	done
	first=$(ls "$T/state/journal" | head -n 1)
	if [ -n "${1:-}" ]; then
		# A byte of its payload flipped: its record's CRC no longer checks.
		at=$(grep -obUa "$1 yyyy" "$T/state/journal/$first" | head -n 1 | cut -d: -f1)
		[ -n "$at" ] || fail "message $1's record not found in $first"
		printf 'Z' | dd of="$T/state/journal/$first" bs=1 seek=$((at + 10)) conv=notrunc status=none
	fi
	"$BIN/ctripc" listen --count 300 --timeout 20 fast >"$T/fast" 2>"$T/err" &
	local lis=$!
	sleep 0.3
	for i in $(seq 1 300); do
		"$BIN/ctripc" send --as snd host/fast t.x "$i $PAD" >/dev/null || fail "send $i to fast"
	done
	wait "$lis" || fail "listen fast: $(cat "$T/err")"
	for i in $(seq 50); do
		grep -q "journal segment ${first%.jnl} compacted" "$T/daemon.log" && break
		sleep 0.1
	done
	expect_contains "$(cat "$T/daemon.log")" \
		"journal segment ${first%.jnl} compacted: $moved held messages moved"
	for i in $(seq 20); do [ -e "$T/state/journal/$first" ] || break; sleep 0.1; done
	[ ! -e "$T/state/journal/$first" ] || fail "segment $first is still there after its compaction"
	# One tick empties one segment: soon the held ones are in the newest two.
	for i in $(seq 50); do
		segs=$(ls "$T/state/journal" | wc -l)
		[ "$segs" -le 2 ] && break
		sleep 0.1
	done
	[ "$segs" -le 2 ] || fail "$segs segments kept with journal_retain_size = 0: $(ls "$T/state/journal")"
}

# compaction_recovered "ID ...": after a kill -9 of the buffer, the held ones
# come back and are delivered with these IDs and their payloads.
compaction_recovered() {
	local pid n
	n=$(echo $1 | wc -w)
	pid=$(buffer_pid)
	kill -KILL "$pid"
	wait_buffer "$pid"
	expect_rc 0 cli daemon status
	expect_contains "$OUT" "$n messages held again"
	"$BIN/ctripc" listen --count "$n" --timeout 10 late >"$T/got" 2>"$T/err" || fail "listen late: $(cat "$T/err")"
	expect_eq "$(awk '{ print $1 }' "$T/got" | tr '\n' ' ')" "$1 " "the IDs delivered"
	expect_eq "$(awk '$4 != $1 || $5 != p' p="$PAD" "$T/got")" "" "payloads that are not what was sent"
}

test_journal_compaction_moves_held_messages() {
	compaction_run
	compaction_recovered "$(seq -s ' ' 1 10)"
	echo "note: compaction: $(grep -o 'compacted: .*' "$T/daemon.log" | head -n 1)"
}

# A held message whose record was damaged on disk cannot be copied: it leaves
# as expired, with the reason, and the segment goes all the same.
test_journal_compaction_expires_a_damaged_record() {
	compaction_run 4
	expect_contains "$(cat "$T/daemon.log")" "message 4: its payload cannot be read back from journal segment"
	expect_rc 0 cli -j msg ls --id 4
	expect_eq "$(json_get "$OUT" '[(m["state"], __import__("re").sub("[0-9]+", "N", m["reason"])) for m in d]')" \
		"[('expired', 'its payload cannot be read back from journal segment N at offset N: Bad message')]"
	compaction_recovered "1 2 3 5 6 7 8 9 10"
}

# Finished messages beyond the last 4096 stay listed, shown, replayed and
# captured while the journal keeps their segments, also after a crash; once
# retention lets a segment go, its messages are no longer kept.
test_journal_history_beyond_the_ring() {
	journal_setup "durability = async" "journal_segment_size = 256k" "bus_default_ttl = 0" \
		"bus_queue_messages = 100000" "bus_container_quota = 100000"
	local n=6000 pid
	"$CRASHCLIENT" recv hist "$n" "$T/recv.log" 2>"$T/recv.err" &
	local receiver=$!
	on_cleanup "kill $receiver"
	"$CRASHCLIENT" send host/hist "$n" 100000 "$T/send.log" 2>"$T/send.err" ||
		fail "the sender did not finish: $(cat "$T/send.err")"
	touch "$T/recv.log.done"
	wait "$receiver" || fail "the receiver did not finish: $(cat "$T/recv.err")"
	expect_rc 0 cli -j msg ls --id 1-3
	expect_eq "$(json_get "$OUT" '[(m["id"], m["state"], m["to"]) for m in d]')" \
		"[(1, 'delivered', 'host/hist'), (2, 'delivered', 'host/hist'), (3, 'delivered', 'host/hist')]" \
		"the first ones, finished long before the last 4096"
	expect_rc 0 cli -j msg ls --state delivered
	expect_eq "$(json_get "$OUT" 'len(d)')" "$n" "every delivered message listed"
	expect_eq "$(json_get "$OUT" 'len(set(m["id"] for m in d))')" "$n" "each once"
	expect_rc 0 cli -j msg ls --to host/hist --since "@$(($(date +%s) - 600))" --limit 10
	expect_eq "$(json_get "$OUT" '[m["id"] for m in d]')" "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]" \
		"filters read from the records"
	cli msg show --raw 8 >"$T/back" 2>"$T/err" || fail "show --raw 8: $(cat "$T/err")"
	expect_eq "$(cat "$T/back")" "$(awk '$1 == "A" && $3 == 8 { print $2 }' "$T/send.log")" \
		"message 8's payload read back"
	expect_rc 0 cli msg capture -w "$T/old.pcapng" --from-journal --id 1-100
	expect_eq "$(tshark -r "$T/old.pcapng" 2>/dev/null | wc -l)" 100 "tshark's count of the old ones"
	expect_rc 0 cli msg replay 5 --to host/again
	expect_rc 0 "$BIN/ctripc" listen --json --count 1 --timeout 5 again
	expect_eq "$(json_get "$OUT" '[d["replays"], d["payload"]]')" \
		"[5, '$(awk '$1 == "A" && $3 == 5 { print $2 }' "$T/send.log")']" "the replay of message 5"
	# A crash: the history is rebuilt from the segments.
	pid=$(buffer_pid)
	kill -KILL "$pid"
	wait_buffer "$pid"
	expect_rc 0 cli -j msg ls --state delivered --to host/hist
	expect_eq "$(json_get "$OUT" 'len(d)')" "$n" "every delivered message listed after the crash"
	expect_rc 0 cli -j msg ls --id 1-2
	expect_eq "$(json_get "$OUT" '[m["id"] for m in d]')" "[1, 2]"
	# Retention: with nothing retained, the old segments go, and their messages.
	write_config "policy_file = $T/policy.conf" "durability = async" "journal_segment_size = 256k" \
		"journal_retain_size = 0"
	expect_rc 0 cli daemon reload
	pid=$(buffer_pid)
	kill -KILL "$pid"
	wait_buffer "$pid"
	local i
	for i in $(seq 50); do
		[ "$(ls "$T/state/journal" | wc -l)" -le 1 ] && break
		sleep 0.1
	done
	expect_rc 1 cli msg show 8
	expect_contains "$ERR" "no message 8: neither held nor kept by the journal"
	expect_rc 0 cli -j msg ls --id 1-100
	expect_eq "$(json_get "$OUT" 'len(d)')" 0 "messages of removed segments listed"
}

# The journal's keys changed on reload: said, and taken by the next buffer.
test_journal_keys_on_reload() {
	journal_setup "durability = sync"
	write_config "policy_file = $T/policy.conf" "durability = async" "journal_segment_size = 1m"
	expect_rc 0 cli daemon reload
	expect_contains "$(cat "$T/daemon.log")" "'durability' changed in $T/ctr-ipcd.conf; the buffer process takes it when it next starts"
	expect_contains "$(cat "$T/daemon.log")" "'journal_segment_size' changed"
	expect_not_contains "$(cat "$T/daemon.log")" "'journal_retain_size' changed"
	expect_rc 0 cli daemon status
	expect_contains "$OUT" "Durability:     sync"
	local pid
	pid=$(buffer_pid)
	kill -KILL "$pid"
	wait_buffer "$pid"
	expect_rc 0 cli daemon status
	expect_contains "$OUT" "Durability:     async"
}
