#!/usr/bin/env bash
# bench/bus: between two containers through the buffer, against two
# baselines measured in the same run: a direct socket pair (one hop) and a
# relay process (two hops through one process that only passes datagrams on,
# the floor for any broker), and the same relay waiting in epoll_wait on both
# sockets, as a broker serving many connections must.
#   ping-pong, 64 B and 4 KiB: p50, p99, p99.9 (microseconds)
#   one-way stream, 64 B and 4 KiB: messages and megabytes per second
# Each figure is the median of RUNS runs (default 3), unpinned and with
# everything on one CPU (taskset -c 0); MODES="pinned" runs one of them.
# Then the stream with each durability (sync, async, memory) and HELD_N
# messages held: memory per message, recovery time, "msg ls --limit 50".
# Then HISTORY_N messages taken, which the journal keeps: memory per message,
# listing and recovery.
# Then compaction: COMPACT_N held messages copied out of old segments while
# a ping-pong runs, against the same ping-pong with nothing to compact.
# SECTIONS="routing durability held history compaction" picks which run.
#   BIN=build/bin BUSBENCH=build/bench/busbench bench/bus/run.sh
set -eu
: "${BIN:?}" "${BUSBENCH:?}"
RUNS=${RUNS:-3} PING_N=${PING_N:-5000} STREAM_N=${STREAM_N:-100000}
dir=$(mktemp -d /tmp/ctr-ipc-busbench.XXXXXX)
dpid=
cleanup() {
	if [ -n "$dpid" ]; then
		"$BIN/ctr-ipc" --run-dir "$dir/run" container rm -f a >/dev/null 2>&1 || true
		"$BIN/ctr-ipc" --run-dir "$dir/run" container rm -f b >/dev/null 2>&1 || true
		kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
mkdir -m 700 "$dir/run" "$dir/state"
mkdir "$dir/bin"
cp "$BUSBENCH" "$dir/bin/busbench"
echo "allow from=* to=* category=bench.*" >"$dir/policy.conf"
# The routing figures are the router's: durability memory (no journal), as the
# baselines keep nothing either.  The durability section compares the three.
DURABILITY=memory
write_conf() {
	cat >"$dir/ctr-ipcd.conf" <<CONF
policy_file = $dir/policy.conf
bus_queue_messages = 1000000
bus_queue_bytes = 16G
bus_container_quota = 10000000
bus_default_ttl = 0
durability = $DURABILITY
${EXTRA_CONF:-}
CONF
}
C="$BIN/ctr-ipc --run-dir $dir/run"

start_daemon() { # [taskset prefix...]
	write_conf
	"$@" "$BIN/ctr-ipcd" --foreground --config "$dir/ctr-ipcd.conf" --run-dir "$dir/run" \
		--state-dir "$dir/state" --port-id $((0x43700000 + ($$ & 0xffff))) 2>>"$dir/daemon.log" &
	dpid=$!
	for _ in $(seq 100); do $C daemon version >/dev/null 2>&1 && break; sleep 0.05; done
	sleep 0.3
	for c in a b; do
		$C container create "$c" --bind "$dir/bin:/bench:ro" >/dev/null
		$C container start "$c" >/dev/null
	done
}

stop_daemon() {
	$C container rm -f a >/dev/null; $C container rm -f b >/dev/null
	kill "$dpid"; wait "$dpid" 2>/dev/null || true
	dpid=
}

# field LINE KEY: the value of KEY=... in LINE
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

bus_pingpong() { # SIZE
	$C container exec b -- /bench/busbench echo pong "$PING_N" >"$dir/echo.out" &
	local e=$!
	for _ in $(seq 100); do grep -q ready "$dir/echo.out" 2>/dev/null && break; sleep 0.02; done
	$C container exec a -- /bench/busbench ping b/pong "$1" "$PING_N"
	wait "$e"
}

bus_stream() { # SIZE
	$C container exec b -- /bench/busbench sink sink "$STREAM_N" >"$dir/sink.out" &
	local s=$! t0 t1
	for _ in $(seq 100); do grep -q ready "$dir/sink.out" 2>/dev/null && break; sleep 0.02; done
	t0=$($C container exec a -- /bench/busbench send b/sink "$1" "$STREAM_N" 2>"$dir/send.err" |
		sed -n 's/^start_ns=//p')
	if [ -z "$t0" ]; then
		echo "bench/bus: the sender failed: $(cat "$dir/send.err")" >&2
		kill "$s" 2>/dev/null
		wait "$s" 2>/dev/null
		exit 1
	fi
	wait "$s"
	t1=$(sed -n 's/^end_ns=//p' "$dir/sink.out")
	# From the sender's first message until the receiver took the last one.
	awk -v n="$STREAM_N" -v size="$1" -v ns=$((t1 - t0)) \
		'BEGIN { s = ns / 1e9; printf "bus msgs_per_s=%.0f mb_per_s=%.2f\n", n / s, n * size / s / 1e6 }'
}

measure() { # LABEL PREFIX...: every workload, RUNS times, medians
	local label=$1
	shift
	start_daemon "$@"
	for size in 64 4096; do
		for who in direct relay epoll bus; do
			local p50= p99= p999= rate= mbs=
			for _ in $(seq "$RUNS"); do
				if [ "$who" = bus ]; then line=$(bus_pingpong "$size"); else
					line=$("$@" "$BUSBENCH" "$who" pingpong "$size" "$PING_N"); fi
				p50="$p50 $(field "$line" p50_us)"
				p99="$p99 $(field "$line" p99_us)"
				p999="$p999 $(field "$line" p999_us)"
				if [ "$who" = bus ]; then line=$(bus_stream "$size"); else
					line=$("$@" "$BUSBENCH" "$who" stream "$size" "$STREAM_N"); fi
				rate="$rate $(field "$line" msgs_per_s)"
				mbs="$mbs $(field "$line" mb_per_s)"
			done
			printf '%-9s %-6s %5s  %9s %9s %9s  %10s %9s\n' "$label" "$who" "$size" \
				"$(echo $p50 | tr ' ' '\n' | median)" "$(echo $p99 | tr ' ' '\n' | median)" \
				"$(echo $p999 | tr ' ' '\n' | median)" "$(echo $rate | tr ' ' '\n' | median)" \
				"$(echo $mbs | tr ' ' '\n' | median)" | tee -a "$dir/results"
		done
	done
	stop_daemon
}

routing() {
	printf '%-9s %-6s %5s  %9s %9s %9s  %10s %9s\n' "" "" "bytes" "p50 us" "p99 us" "p99.9 us" "msgs/s" "MB/s"
	for mode in ${MODES:-unpinned pinned}; do
		case $mode in
		unpinned) measure unpinned ;;
		pinned) measure pinned taskset -c 0 ;;
		*) echo "bench/bus: unknown mode '$mode' in MODES (unpinned, pinned)" >&2; exit 2 ;;
		esac
	done
	echo
	echo "ratios (bus / baseline, medians; ping-pong p50: lower is better; stream msgs/s: higher is better)"
	awk '{ key = $1 " " $3; v[key " " $2 " p50"] = $4; v[key " " $2 " rate"] = $7 }
	END {
		for (k in v) { split(k, f, " "); seen[f[1] " " f[2]] = 1 }
		n = asorti(seen, keys)
		for (i = 1; i <= n; i++) {
			k = keys[i]
			printf "%-9s %5s B  ping-pong p50: %.2fx relay, %.2fx epoll relay, %.2fx direct   stream: %.2fx relay, %.2fx epoll relay, %.2fx direct\n", \
				substr(k, 1, index(k, " ") - 1), substr(k, index(k, " ") + 1), \
				v[k " bus p50"] / v[k " relay p50"], v[k " bus p50"] / v[k " epoll p50"], \
				v[k " bus p50"] / v[k " direct p50"], \
				v[k " bus rate"] / v[k " relay rate"], v[k " bus rate"] / v[k " epoll rate"], \
				v[k " bus rate"] / v[k " direct rate"]
		}
	}' "$dir/results"
}

# Stream throughput (64 B) with each durability, in one run; ratios to memory.
# The running buffer's PID, and its resident memory in KiB.
buffer_pid() { sed -n 's/.*buffer process started (pid \([0-9]*\)).*/\1/p' "$dir/daemon.log" | tail -n 1; }
buffer_rss() { awk '/^VmRSS:/ {print $2}' "/proc/$(buffer_pid)/status"; }

# timed LABEL WHAT CMD...: how long CMD took.
timed() {
	local label=$1 what=$2 t0 t1
	shift 2
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1 || echo "$label: $what failed"
	t1=$(date +%s%N)
	echo "$label: $what: $(( (t1 - t0) / 1000000 )) ms"
}

# kill_buffer LABEL: kill -9 of the buffer; what the next one's recovery found.
kill_buffer() {
	local seen
	seen=$(grep -c 'journal recovered' "$dir/daemon.log")
	kill -KILL "$(buffer_pid)"
	for _ in $(seq 600); do
		[ "$(grep -c 'journal recovered' "$dir/daemon.log")" -gt "$seen" ] && break
		sleep 0.1
	done
	echo "$1: after kill -9 of the buffer: $(grep 'journal recovered' "$dir/daemon.log" | tail -n 1 | sed 's/.*journal recovered: //')"
}

durability() {
	local d line rate
	echo
	printf '%-10s %10s %9s\n' durability "msgs/s" "x memory"
	for d in sync async memory; do
		DURABILITY=$d start_daemon
		rate=
		for _ in $(seq "$RUNS"); do
			line=$(bus_stream 64)
			rate="$rate $(field "$line" msgs_per_s)"
		done
		echo "$d $(echo $rate | tr ' ' '\n' | median)" >>"$dir/durability"
		stop_daemon
	done
	awk '{ r[$1] = $2 } END {
		split("sync async memory", o, " ")
		for (i = 1; i <= 3; i++) printf "%-10s %10d %8.2fx\n", o[i], r[o[i]], r[o[i]] / r["memory"] }' \
		"$dir/durability"
}

# HELD messages (64 B) waiting for an endpoint nobody registers, journaled
# (sync): the buffer's memory per held message, its recovery time after a
# kill -9, and "msg ls --limit 50" over them.
held() {
	local n=${HELD_N:-1000000} rss0 rss1
	echo
	rm -rf "$dir/state/journal" # the sections before leave theirs
	DURABILITY=sync start_daemon
	rss0=$(buffer_rss)
	$C container exec a -- /bench/busbench send b/nobody 64 "$n" >/dev/null
	rss1=$(buffer_rss)
	echo "held: $n messages of 64 B; buffer memory $(( (rss1 - rss0) * 1024 / n )) bytes per held message (RSS $rss0 -> $rss1 KiB)"
	timed held "msg ls --limit 50 over them" $C msg ls --limit 50
	kill_buffer held
	echo "held: the recovered buffer's memory: $(( ($(buffer_rss) - rss0) * 1024 / n )) bytes per held message"
	stop_daemon
}

# HISTORY_N messages (64 B, sync) sent to a receiver that takes them: the
# buffer's memory per finished message the journal keeps (its history entry),
# "msg ls --limit 50" and a whole listing over them, "msg show" of the oldest,
# and the recovery after a kill -9, which rebuilds the history.
history() {
	local n=${HISTORY_N:-1000000} rss0 rss1 t0 t1 count
	echo
	rm -rf "$dir/state/journal"
	DURABILITY=sync start_daemon
	rss0=$(buffer_rss)
	$C container exec b -- /bench/busbench sink sink "$n" >"$dir/sink.out" &
	local s=$!
	for _ in $(seq 100); do grep -q ready "$dir/sink.out" 2>/dev/null && break; sleep 0.02; done
	$C container exec a -- /bench/busbench send b/sink 64 "$n" >/dev/null
	wait "$s"
	sleep 0.5 # the last ACKs
	rss1=$(buffer_rss)
	echo "history: $n messages of 64 B taken; buffer memory $(( (rss1 - rss0) * 1024 / n )) bytes per finished message kept (RSS $rss0 -> $rss1 KiB)"
	timed history "msg ls --limit 50 over them" $C msg ls --limit 50
	timed history "msg show 1 (the oldest)" $C msg show 1
	t0=$(date +%s%N)
	count=$($C msg ls --state delivered --to b/sink 2>/dev/null | tail -n +2 | wc -l)
	t1=$(date +%s%N)
	echo "history: msg ls --state delivered --to b/sink: $count listed in $(( (t1 - t0) / 1000000 )) ms"
	kill_buffer history
	echo "history: the recovered buffer's memory: $(( ($(buffer_rss) - rss0) * 1024 / n )) bytes per finished message"
	echo "history: listed after the recovery: $($C msg ls --state delivered --to b/sink 2>/dev/null | tail -n +2 | wc -l)"
	stop_daemon
}

# COMPACT_N messages (64 B) held in 4 MiB segments (sync), sent in rounds with three
# times as many that go to a receiver that takes them (so that the held ones are
# about a quarter of each segment: compaction copies a segment only if that
# frees half of it at least), then a 64 B ping-pong of COMPACT_PINGS: first
# with the segments kept (nothing to compact), then with
# journal_retain_size = 0, while the held messages are copied out of them a
# step each tick.  Each step stops the buffer: its longest, from the log, and
# the ping-pong's tail latencies say how long.
compaction() {
	local n=${COMPACT_N:-200000} label line steps
	echo
	printf '%-22s %9s %9s %9s\n' "64 B ping-pong" "p50 us" "p99 us" "p99.9 us"
	for label in kept compacting; do
		if [ "$label" = kept ]; then EXTRA_CONF="journal_segment_size = 4m"; else
			EXTRA_CONF="journal_segment_size = 4m
journal_retain_size = 0"; fi
		rm -rf "$dir/state/journal"
		EXTRA_CONF=$EXTRA_CONF DURABILITY=sync start_daemon
		$C container exec b -- /bench/busbench sink sink $((3 * n / 40 * 40)) >"$dir/sink.out" &
		local s=$!
		for _ in $(seq 100); do grep -q ready "$dir/sink.out" 2>/dev/null && break; sleep 0.02; done
		# In 40 rounds, each a fortieth of the held ones then three times as many taken: every
		# segment gets about a quarter of held ones, however fast each sender goes.
		for _ in $(seq 40); do
			$C container exec a -- /bench/busbench send b/nobody 64 $((n / 40)) >/dev/null
			$C container exec a -- /bench/busbench send b/sink 64 $((3 * n / 40)) >/dev/null
		done
		wait "$s"
		line=$(PING_N=${COMPACT_PINGS:-50000} bus_pingpong 64)
		printf '%-22s %9s %9s %9s\n' "$label" "$(field "$line" p50_us)" "$(field "$line" p99_us)" \
			"$(field "$line" p999_us)"
		if [ "$label" = compacting ]; then
			steps=$(grep -o 'compacted: [0-9]* held messages moved in [0-9]* steps\?, the longest [0-9.]* ms' \
				"$dir/daemon.log" || true)
			echo "compaction of $n held messages: $(echo "$steps" | grep -c .) segments emptied so far," \
				"$(echo "$steps" | awk '{ m += $2 } END { print m + 0 }') messages moved," \
				"longest step $(echo "$steps" | awk '{ if ($NF == "ms") v = $(NF - 1); if (v > x) x = v } END { print x + 0 }') ms"
		fi
		kill_buffer "$label" # its recovery reads the copies, which come after newer IDs
		stop_daemon
	done
}

for section in ${SECTIONS:-routing durability held history compaction}; do
	case $section in
	routing | durability | held | history | compaction) "$section" ;;
	*) echo "bench/bus: unknown section '$section' in SECTIONS (routing, durability, held, history, compaction)" >&2; exit 2 ;;
	esac
done
