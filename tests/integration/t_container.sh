# Containers on real namespaces: lifecycle, isolation, exit status, adoption
# by a restarted daemon, bad input, and nothing left behind by rm.

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

ctr_log() {
	cat "$T/state/containers/$1/log" 2>/dev/null
}

# wait_log NAME TEXT: until the container's output holds TEXT (5 s).
wait_log() {
	for i in $(seq 100); do
		case "$(ctr_log "$1")" in *"$2"*) return 0 ;; esac
		sleep 0.05
	done
	fail "container $1 never printed '$2'; its log: $(ctr_log "$1")"
}

# wait_state NAME STATE (5 s)
wait_state() {
	for i in $(seq 100); do
		[ "$(json_get "$(cli -j container inspect "$1")" 'd["state"]')" = "$2" ] && return 0
		sleep 0.05
	done
	fail "container $1 did not become $2: $(cli container inspect "$1")"
}

test_lifecycle() {
	start_daemon
	expect_rc 0 cli container create web --hostname websrv -e GREETING=hi -- /bin/sh -c 'echo "$GREETING from $(hostname)"; exec sleep 300'
	expect_eq "$OUT" "created container web"
	expect_rc 0 cli container create idle
	expect_rc 0 cli -j container ls
	expect_eq "$(json_get "$OUT" '[(c["name"], c["state"]) for c in d]')" "[('idle', 'created'), ('web', 'created')]"
	expect_rc 0 cli container start web
	expect_rc 0 cli container start idle
	wait_log web "hi from websrv"
	expect_rc 0 cli -j container inspect web
	expect_eq "$(json_get "$OUT" 'd["state"]')" running
	expect_eq "$(json_get "$OUT" 'd["hostname"]')" websrv
	expect_eq "$(json_get "$OUT" 'd["argv"][0]')" /bin/sh
	expect_eq "$(json_get "$OUT" 'd["env"]')" "['GREETING=hi']"
	pid=$(json_get "$OUT" 'd["pid"]')
	expect_eq "$(cat /proc/$pid/comm)" ctr-ipc-init "the container's init on the host"
	expect_rc 0 cli container ls --state running
	expect_contains "$OUT" "web   running  $pid"
	expect_rc 0 cli container ls
	expect_contains "$OUT" "NAME"
	expect_contains "$OUT" "/bin/sh -c echo"
	# stop: TERM reaches the command through init; the answer comes once it stopped.
	expect_rc 0 cli container stop web
	expect_rc 0 cli -j container inspect web
	expect_eq "$(json_get "$OUT" 'd["state"]')" stopped
	expect_eq "$(json_get "$OUT" 'd["exit_signal"]')" 15 "exit signal after stop"
	[ -d /proc/$pid ] && [ "$(awk '/^State/{print $2}' /proc/$pid/status)" != Z ] && fail "init $pid still runs"
	# A stopped container starts again.
	expect_rc 0 cli container start web
	wait_state web running
	expect_rc 0 cli container kill web --signal TERM
	wait_state web stopped
	expect_rc 0 cli container stop idle
	expect_rc 0 cli container rm web
	expect_rc 0 cli container rm idle
	expect_rc 0 cli -j container ls
	expect_eq "$OUT" "[]"
}

test_isolation() {
	start_daemon
	cat >"$T/probe.sh" <<'P'
echo "hostname=$(hostname)"
echo "pid1=$(cat /proc/1/comm)"
echo "mypid=$$"
echo "maxpid=$(ls /proc | grep '^[0-9]' | sort -n | tail -n 1)"
touch /usr/probe 2>/dev/null && echo usr=writable || echo usr=readonly
touch /etc/probe 2>/dev/null && echo etc=writable || echo etc=readonly
touch /tmp/probe && echo tmp=writable
echo "shadow=$(wc -c < /etc/shadow)"
echo "dev=$(ls /dev | tr '\n' ' ')"
d=; for f in /dev/* /dev/pts/*; do [ -c "$f" ] || [ -b "$f" ] && d="$d ${f#/dev/}"; done; echo "devices=$d"
grep -E '^(CapBnd|CapEff|NoNewPrivs)' /proc/self/status
echo "netdevs=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\n' ' ')"
mknod /dev/sda b 8 0 && { head -c 1 /dev/sda >/dev/null 2>&1 && echo disk=readable || echo disk=unreachable; }
echo probe-done
P
	expect_rc 0 cli container create probe --hostname inside -- /bin/sh -c "$(cat "$T/probe.sh")"
	expect_rc 0 cli container start probe
	wait_log probe probe-done
	log=$(ctr_log probe)
	expect_contains "$log" "hostname=inside"
	expect_contains "$log" "pid1=ctr-ipc-init"
	expect_contains "$log" "mypid=2"
	# Only the container's own processes, numbered from 1 in its pid namespace.
	maxpid=$(printf '%s\n' "$log" | sed -n 's/^maxpid=//p')
	[ "$maxpid" -le 10 ] || fail "the container sees host processes (pid $maxpid): $log"
	expect_contains "$log" "usr=readonly"
	expect_contains "$log" "etc=readonly"
	expect_contains "$log" "tmp=writable"
	# The host's /etc is shared, its password hashes are not.
	expect_contains "$log" "shadow=0"
	expect_contains "$log" "dev=fd full null ptmx pts random shm stderr stdin stdout tty urandom zero"
	# Only its own nodes (stdin is a link to /dev/null, ptmx to pts/ptmx).
	expect_contains "$log" "devices= full null ptmx random stdin tty urandom zero pts/ptmx"
	# The documented default set: chown dac_override fowner fsetid kill setgid setuid
	# setpcap net_bind_service net_raw sys_chroot mknod audit_write setfcap.
	expect_contains "$log" "CapBnd:	00000000a80425fb"
	expect_contains "$log" "CapEff:	00000000a80425fb"
	expect_contains "$log" "NoNewPrivs:	1"
	expect_contains "$log" "netdevs=lo "
	# mknod is in the default set, but /dev is nodev: a node made there reaches nothing.
	expect_contains "$log" "disk=unreachable"
	expect_rc 0 cli container rm probe
}

test_exit_status_recorded() {
	start_daemon
	expect_rc 0 cli container create seven -- /bin/sh -c 'exit 7'
	expect_rc 0 cli container start seven
	wait_state seven stopped
	expect_rc 0 cli -j container inspect seven
	expect_eq "$(json_get "$OUT" 'd["exit_code"]')" 7
	expect_eq "$(json_get "$OUT" 'd["exit_signal"]')" 0
	expect_rc 0 cli container inspect seven
	expect_contains "$OUT" "Exit:           status 7"
	expect_rc 0 cli container create killed -- /bin/sh -c 'kill -9 $$'
	expect_rc 0 cli container start killed
	wait_state killed stopped
	expect_rc 0 cli container inspect killed
	expect_contains "$OUT" "killed by signal 9"
}

test_bad_input() {
	start_daemon
	expect_rc 1 cli container create .bad
	expect_contains "$ERR" "starting with a letter or digit"
	expect_rc 1 cli container create "$(printf 'a%.0s' $(seq 64))"
	expect_contains "$ERR" "1 to 63 letters"
	expect_rc 1 cli container create 'we/b'
	expect_contains "$ERR" "invalid container name 'we/b'"
	expect_rc 0 cli container create dup
	expect_rc 1 cli container create dup
	expect_contains "$ERR" "container 'dup' already exists (use 'ctr-ipc container rm dup' first)"
	expect_rc 1 cli container stop nosuch
	expect_contains "$ERR" "no container 'nosuch'"
	expect_rc 1 cli container rm nosuch
	expect_contains "$ERR" "no container 'nosuch'"
	expect_rc 1 cli container stop dup
	expect_contains "$ERR" "container 'dup' is not running (it is created)"
	expect_rc 2 cli container create x --hostname a --hostname b
	expect_contains "$ERR" "option --hostname given twice"
	expect_rc 2 cli container create x --net bogus
	expect_contains "$ERR" "--net takes none or host"
	expect_rc 2 cli container stop dup --timeout 99999
	expect_contains "$ERR" "--timeout takes 0 to 3600 seconds"
	expect_rc 2 cli container kill dup --signal NOPE
	expect_contains "$ERR" "unknown signal 'NOPE'"
	expect_rc 2 cli container ls --state sleeping
	expect_rc 1 cli container create envbad -e NOEQUALS
	expect_contains "$ERR" "environment entry 'NOEQUALS' is not KEY=VALUE"
	# A command that does not exist: start says so, nothing keeps running.
	expect_rc 0 cli container create nocmd -- /no/such/program
	expect_rc 1 cli container start nocmd
	expect_contains "$ERR" "cannot start container 'nocmd': cannot run '/no/such/program': No such file or directory"
	expect_rc 0 cli -j container inspect nocmd
	expect_eq "$(json_get "$OUT" 'd["state"]')" created "a container whose command could not run"
	# Running: start again and rm without --force are refused.
	expect_rc 0 cli container start dup
	expect_rc 1 cli container start dup
	expect_contains "$ERR" "container 'dup' is already running"
	expect_rc 1 cli container rm dup
	expect_contains "$ERR" "container 'dup' is running; stop it first or use --force"
	# Nothing was left by the refused creations.
	expect_eq "$(ls "$T/state/containers" | tr '\n' ' ')" "dup nocmd " "container dirs"
	# Non-root may not create.
	chmod 755 "$T/run"
	expect_rc 3 setpriv --reuid=65534 --regid=65534 --clear-groups "$CTRIPC" --run-dir "$T/run" container create nobodys
}

test_rm_leaves_nothing() {
	start_daemon
	expect_rc 0 cli container create gone -- /bin/sh -c 'sleep 300 & sleep 300'
	expect_rc 0 cli container start gone
	expect_rc 0 cli -j container inspect gone
	pid=$(json_get "$OUT" 'd["pid"]')
	shim=$(awk '/^PPid/{print $2}' /proc/$pid/status)
	children=$(cat /proc/$pid/task/*/children)
	grep -q "$T/state/containers/gone" /proc/self/mountinfo && fail "a container mount leaked into the host"
	expect_rc 0 cli container rm --force gone
	for p in $pid $shim $children; do
		state=$(awk '/^State/{print $2}' /proc/$p/status 2>/dev/null)
		[ -z "$state" ] || [ "$state" = Z ] || fail "process $p still runs after rm"
	done
	[ ! -e "$T/state/containers/gone" ] || fail "state files left: $(ls -R "$T/state/containers/gone")"
	grep -q "containers/gone" /proc/self/mountinfo && fail "mounts left after rm"
	expect_rc 1 cli container inspect gone
	expect_contains "$ERR" "no container 'gone'"
}

# Containers outlive the daemon; a restarted daemon adopts the running ones
# and reports those that ended meanwhile with their exit status.
test_daemon_sigkill_adoption() {
	start_daemon
	expect_rc 0 cli container create keep -- /bin/sleep 300
	expect_rc 0 cli container create ends -- /bin/sh -c 'read x < /tmp/never 2>/dev/null; sleep 1; exit 5'
	expect_rc 0 cli container start keep
	expect_rc 0 cli container start ends
	keep_pid=$(json_get "$(cli -j container inspect keep)" 'd["pid"]')
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	DPID=
	kill -0 "$keep_pid" || fail "the container died with the daemon"
	sleep 1.5 # 'ends' finishes while no daemon runs
	start_daemon
	expect_rc 0 cli -j container inspect keep
	expect_eq "$(json_get "$OUT" 'd["state"]')" running
	expect_eq "$(json_get "$OUT" 'd["pid"]')" "$keep_pid" "adopted pid"
	expect_rc 0 cli -j container inspect ends
	expect_eq "$(json_get "$OUT" 'd["state"]')" stopped
	expect_eq "$(json_get "$OUT" 'd["exit_code"]')" 5 "exit status recorded while the daemon was down"
	expect_contains "$(cat "$T/daemon.log")" "adopted running container 'keep'"
	# The adopted one is fully managed: stop answers once it stopped.
	expect_rc 0 cli container stop keep --timeout 5
	expect_eq "$(json_get "$(cli -j container inspect keep)" 'd["exit_signal"]')" 15
	# SIGTERM of the daemon leaves containers running too.
	expect_rc 0 cli container start keep
	keep_pid=$(json_get "$(cli -j container inspect keep)" 'd["pid"]')
	stop_daemon
	kill -0 "$keep_pid" || fail "the container died with a SIGTERMed daemon"
	start_daemon
	expect_eq "$(json_get "$(cli -j container inspect keep)" 'd["pid"]')" "$keep_pid" "adopted after SIGTERM"
	expect_rc 0 cli container rm -f keep
	expect_rc 0 cli container rm ends
}

test_completion_of_names() {
	start_daemon
	cli container create alpha >/dev/null
	cli container create alpine >/dev/null
	expect_rc 0 "$CTRIPC" __complete --run-dir "$T/run" container start al
	expect_eq "$OUT" "$(printf 'alpha\nalpine')"
	expect_rc 0 "$CTRIPC" __complete --run-dir "$T/run" container kill alpha --signal T
	expect_eq "$OUT" "TERM"
}

test_exec_status_and_stdio() {
	start_daemon
	expect_rc 0 cli container create box -e FROM=create
	expect_rc 0 cli container start box
	# stdin, stdout and stderr are the caller's own; the status is exec's.
	printf 'line one\nline two\n' >"$T/in"
	cli container exec box -- /bin/sh -c 'cat; echo "to stderr" >&2; exit 42' <"$T/in" >"$T/out" 2>"$T/err"
	expect_eq "$?" 42 "exec exit status"
	expect_eq "$(cat "$T/out")" "$(printf 'line one\nline two')" "stdout"
	expect_eq "$(cat "$T/err")" "to stderr" "stderr"
	# Inside the container's namespaces, with its environment plus exec's own.
	expect_rc 0 cli container exec -e FROM=exec -e MORE=yes box -- /bin/sh -c 'echo "$(hostname) $FROM $MORE $(cat /proc/1/comm)"; grep CapBnd /proc/self/status'
	expect_contains "$OUT" "box exec yes ctr-ipc-init"
	expect_contains "$OUT" "CapBnd:	00000000a80425fb"
	expect_rc 0 cli container exec box -- /bin/sh -c 'echo $FROM'
	expect_eq "$OUT" create
	# A large stream passes through untouched (the fds are handed over, not copied).
	head -c 5000000 /dev/urandom >"$T/big"
	cli container exec box -- /bin/cat <"$T/big" >"$T/big.out"
	expect_eq "$?" 0
	cmp "$T/big" "$T/big.out" || fail "5 MB through exec came back different"
	# Status conventions: 127 not found, 128+N for signal N.
	expect_rc 127 cli container exec box -- /no/such/cmd
	expect_contains "$ERR" "cannot run '/no/such/cmd': No such file or directory"
	expect_rc 137 cli container exec box -- /bin/sh -c 'kill -9 $$'
	# Bad uses.
	expect_rc 2 cli container exec box
	expect_contains "$ERR" "needs a command after '--'"
	expect_rc 1 cli container exec nosuch -- true
	expect_contains "$ERR" "no container 'nosuch'"
	expect_rc 0 cli container stop box
	expect_rc 1 cli container exec box -- true
	expect_contains "$ERR" "container 'box' is not running (it is stopped); start it first"
	expect_rc 2 sh -c "'$CTRIPC' --run-dir '$T/run' container exec -t box -- true </dev/null"
	expect_contains "$ERR" "-t needs a terminal on standard input"
	chmod 755 "$T/run"
	expect_rc 0 cli container start box
	expect_rc 3 setpriv --reuid=65534 --regid=65534 --clear-groups "$CTRIPC" --run-dir "$T/run" container exec box -- true
	# Nothing is left in the run dir's exec area, and the area goes with the daemon.
	expect_eq "$(ls -A "$T/run/exec")" "" "exec sockets left behind"
	cli container rm -f box >/dev/null
	stop_daemon
	expect_eq "$(ls -A "$T/run")" "" "run dir after the daemon stopped"
}

# -t: a pseudo-terminal inside the container, our window size, our status.
test_exec_tty() {
	start_daemon
	expect_rc 0 cli container create tbox
	expect_rc 0 cli container start tbox
	python3 "$SRCDIR/tests/pty_drive.py" -t 10 -l "$T/screen" -- "$CTRIPC" --run-dir "$T/run" \
		container exec -t tbox -- /bin/sh >"$T/drive.log" 2>&1 <<'SCRIPT'
expect [#$] $
send tty; stty size; hostname\r
expect ^/dev/pts/0$
expect ^50 200$
expect ^tbox$
send exit 3\r
exit 3
SCRIPT
	[ $? = 0 ] || fail "tty session: $(cat "$T/drive.log")"
	expect_rc 0 cli container rm -f tbox
}

# Mounts under the host directories a container shares are read-only too.
test_submounts_readonly() {
	local sub=/etc/ctripc-sub.$$
	mkdir "$sub" || fail "cannot create $sub"
	on_cleanup rmdir "$sub"
	mount -t tmpfs tmpfs "$sub" || fail "cannot mount a tmpfs on $sub"
	on_cleanup umount "$sub"
	start_daemon
	expect_rc 0 cli container create ro
	expect_rc 0 cli container start ro
	expect_rc 1 cli container exec ro -- /bin/sh -c "touch $sub/x"
	expect_contains "$ERR" "Read-only file system"
	[ ! -e "$sub/x" ] || fail "the container wrote into the host's $sub"
	expect_rc 0 cli container rm -f ro
}

# --pids: a fork loop stops at the limit.  --memory: a hog is killed at the
# limit and inspect says so.  The groups go with the container.
test_limits_enforced() {
	start_daemon
	expect_rc 0 cli container create forky --pids 8
	expect_rc 0 cli container start forky
	# The loop's shell dies when fork fails; the sleeps it started stay, under init.
	expect_rc 2 cli container exec forky -- /bin/sh -c 'for i in $(seq 30); do sleep 300 & done'
	expect_contains "$ERR" "Cannot fork"
	pid=$(json_get "$(cli -j container inspect forky)" 'd["pid"]')
	cg=$(sed -n 's/^[0-9]*:pids:\(.*\)$/\/sys\/fs\/cgroup\/pids\1/p' "/proc/$pid/cgroup")
	[ -n "$cg" ] || cg=/sys/fs/cgroup/unified$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
	[ -f "$cg/pids.current" ] || fail "no pids cgroup for the container (at $cg)"
	expect_contains "$cg" "ctr-ipc/" "the container's pids cgroup"
	current=$(cat "$cg/pids.current")
	[ "$current" -le 8 ] || fail "$current processes in a container limited to 8"
	[ "$current" -ge 6 ] || fail "only $current processes: the loop did not reach the limit"
	# After a daemon restart, exec'd processes still count against the adopted container's limit.
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	DPID=
	start_daemon
	# Where the limit strikes depends on the slots the first loop left: at the
	# exec's own fork (status 1), or at the shell's (status 2).
	cli container exec forky -- /bin/sh -c 'for i in $(seq 30); do sleep 300 & done' >"$T/out" 2>"$T/err"
	case "$?:$(cat "$T/err")" in
	"1:ctr-ipc: cannot start the command in 'forky': Resource temporarily unavailable (the container is at its --pids limit)") ;;
	2:*"Cannot fork"*) ;;
	*) fail "exec after a restart: $(cat "$T/err")" ;;
	esac
	[ "$(cat "$cg/pids.current")" -le 8 ] || fail "the limit no longer holds after a restart"
	expect_rc 0 cli -j container inspect forky
	expect_eq "$(json_get "$OUT" 'd["pids_max"]')" 8

	# 64 MiB: the hog must be the biggest process by far (init, a fork of a
	# sanitizer-built daemon, holds a few MiB of its own).
	expect_rc 0 cli container create hog --memory 64M -- /bin/sh -c \
		'head -c 300000000 /dev/zero | tail >/dev/null; echo "hog status $?"'
	expect_rc 0 cli container start hog
	wait_state hog stopped
	# tail holds the whole "line" of zeros: killed (SIGKILL, 137) at 64 MiB.
	expect_contains "$(ctr_log hog)" "hog status 137"
	expect_rc 0 cli -j container inspect hog
	expect_eq "$(json_get "$OUT" 'd["oom_killed"]')" True "oom_killed"
	expect_eq "$(json_get "$OUT" 'd["memory"]')" 67108864
	expect_rc 0 cli container inspect hog
	expect_contains "$OUT" "exceeding its --memory limit"

	expect_rc 0 cli container rm -f forky
	expect_rc 0 cli container rm hog
	for d in /sys/fs/cgroup/memory/ctr-ipc /sys/fs/cgroup/pids/ctr-ipc /sys/fs/cgroup/unified/ctr-ipc; do
		[ -d "$d" ] || continue
		ls -d "$d"/*-forky "$d"/*-hog 2>/dev/null && fail "cgroups left behind in $d"
	done
	# Bad limits are refused with the rule.
	expect_rc 1 cli container create tiny --memory 1K
	expect_contains "$ERR" "--memory must be at least 4 MiB"
	expect_rc 2 cli container create tiny --memory lots
	expect_contains "$ERR" "--memory takes bytes"
	expect_rc 2 cli container create tiny --memory 0
	expect_contains "$ERR" "--memory takes bytes"
	expect_rc 2 cli container create tiny --pids 0
	expect_contains "$ERR" "--pids takes a number from 1"
	expect_rc 1 cli container create tiny --pids 99999999
	expect_contains "$ERR" "--pids must be from 1 to"
}

test_logs_and_follow() {
	start_daemon
	# 200 KB of output (many 16 KiB chunks) comes back byte for byte.
	expect_rc 0 cli container create talk -- /bin/sh -c 'seq 1 40000; echo to-stderr >&2'
	expect_rc 0 cli container start talk
	wait_state talk stopped
	cli container logs talk >"$T/logs.out" || fail "logs failed"
	{ seq 1 40000; echo to-stderr; } >"$T/logs.want"
	cmp "$T/logs.want" "$T/logs.out" || fail "logs differ from what the command wrote"
	# --follow prints what comes later and ends when the container stops.
	expect_rc 0 cli container create slow -- /bin/sh -c 'echo first; sleep 1; echo second; sleep 1; echo third'
	expect_rc 0 cli container start slow
	start=$(date +%s%N)
	expect_rc 0 cli container logs --follow slow
	expect_eq "$OUT" "$(printf 'first\nsecond\nthird')" "followed output"
	[ $(( ($(date +%s%N) - start) / 1000000 )) -ge 1000 ] || fail "--follow returned before the container ended"
	expect_rc 1 cli container logs nosuch
	expect_contains "$ERR" "no container 'nosuch'"
}

# A minimal root file system: dash and the libraries it needs, nothing else.
make_rootfs() {
	local dir=$1 lib
	mkdir -p "$dir/bin"
	cp /bin/dash "$dir/bin/sh"
	for lib in $(ldd /bin/dash | grep -o '/[^ ]*'); do
		mkdir -p "$dir$(dirname "$lib")"
		cp -L "$lib" "$dir$lib"
	done
}

test_rootfs_overlay() {
	make_rootfs "$T/rootfs"
	start_daemon
	expect_rc 0 cli container create own --rootfs "$T/rootfs" -- /bin/sh -c \
		'echo written > /note; [ -d /usr/share ] && echo has-host-usr || echo own-root; echo done'
	expect_rc 0 cli container start own
	wait_state own stopped
	expect_contains "$(ctr_log own)" "own-root"
	[ ! -e "$T/rootfs/note" ] || fail "the container wrote into its --rootfs directory"
	expect_eq "$(cat "$T/state/containers/own/upper/note")" written "the writable layer"
	expect_rc 0 cli -j container inspect own
	expect_eq "$(json_get "$OUT" 'd["rootfs"]')" "$T/rootfs"
	# The layer outlives a restart...
	expect_rc 0 cli container start own
	wait_state own stopped
	expect_rc 0 cli container create reader --rootfs "$T/rootfs" -- /bin/sh -c \
		'[ -e /note ] && echo note-present || echo note-absent'
	# ...and belongs to its container alone.
	expect_rc 0 cli container start reader
	wait_state reader stopped
	expect_contains "$(ctr_log reader)" "note-absent"
	expect_rc 0 cli container rm own
	[ ! -e "$T/state/containers/own" ] || fail "rm left the writable layer"
	# A missing or unusable rootfs is refused, and nothing is left.
	expect_rc 1 cli container create bad --rootfs "$T/nope"
	expect_contains "$ERR" "--rootfs $T/nope: No such file or directory"
	expect_rc 1 cli container create bad --rootfs "$T/rootfs/bin/sh"
	expect_contains "$ERR" "is not a directory"
	expect_rc 1 cli container create bad --rootfs relative/dir
	expect_contains "$ERR" "--rootfs must be an absolute path"
	[ ! -e "$T/state/containers/bad" ] || fail "a refused create left files"
}

test_bind_mounts() {
	mkdir -p "$T/shared" "$T/ro"
	echo host-file >"$T/ro/file"
	start_daemon
	expect_rc 0 cli container create binder --bind "$T/shared:/data" -v "$T/ro:/srv/ro:ro"
	expect_rc 0 cli container start binder
	expect_rc 0 cli container exec binder -- /bin/sh -c 'echo from-container > /data/out; cat /srv/ro/file'
	expect_eq "$OUT" host-file
	expect_eq "$(cat "$T/shared/out")" from-container "written through the bind"
	expect_rc 2 cli container exec binder -- /bin/sh -c 'echo x > /srv/ro/file'
	expect_contains "$ERR" "Read-only file system"
	expect_eq "$(cat "$T/ro/file")" host-file
	expect_rc 1 cli container create b2 --bind "$T/missing:/x"
	expect_contains "$ERR" "--bind $T/missing: No such file or directory"
	expect_rc 1 cli container create b2 --bind "$T/shared"
	expect_contains "$ERR" "is not SRC:DST[:ro]"
	expect_rc 1 cli container create b2 --bind "$T/shared:/x:rx"
	expect_contains "$ERR" "the mode is ro or rw"
	expect_rc 1 cli container create b2 --bind "$T/shared:/../etc"
	expect_contains "$ERR" "the target must be a path below /"
	expect_rc 0 cli container rm -f binder
}

# Signals the CLI receives reach the command, even from a daemon that was
# started with SIGINT ignored (as by '&' in a script).
test_exec_signals_forwarded() {
	DAEMON_WRAPPER="env --ignore-signal=INT" start_daemon
	expect_rc 0 cli container create sig
	expect_rc 0 cli container start sig
	"$CTRIPC" --run-dir "$T/run" container exec sig -- /bin/sleep 30 &
	cpid=$!
	EXTRA_PIDS=$cpid
	# The helper removes the socket once it has taken the CLI's fds.
	for i in $(seq 100); do
		[ -d "$T/run/exec" ] && [ -z "$(ls -A "$T/run/exec")" ] && break
		sleep 0.05
	done
	sleep 0.3
	kill -INT "$cpid"
	wait "$cpid"
	expect_eq "$?" 130 "exit status after SIGINT"
	expect_rc 0 cli container rm -f sig
}

# start_http DIR: python's HTTP server for DIR on 127.0.0.1; its URL in $HTTP.
start_http() {
	local port=$(( 20000 + RANDOM % 20000 ))
	python3 -m http.server --bind 127.0.0.1 --directory "$1" "$port" >"$T/http.log" 2>&1 &
	HTTP_PID=$!
	EXTRA_PIDS="${EXTRA_PIDS:-} $!"
	HTTP=http://127.0.0.1:$port
	for i in $(seq 100); do
		python3 -c "import urllib.request as u; u.urlopen('$HTTP/')" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "the HTTP server did not start"
}

stop_http() {
	kill "$HTTP_PID" && wait "$HTTP_PID" 2>/dev/null
}

test_image_http_and_file() {
	make_rootfs "$T/img"
	echo image-marker >"$T/img/marker"
	mkdir -p "$T/www"
	tar -C "$T/img" -czf "$T/www/root.tar.gz" .
	tar -C "$T/img" --zstd -cf "$T/www/root.tar.zst" .
	tar -C "$T/img" -cJf "$T/www/root.tar.xz" .
	sum=$(sha256sum "$T/www/root.tar.gz" | cut -d' ' -f1)
	start_http "$T/www"
	start_daemon
	expect_rc 0 cli container create web --image "$HTTP/root.tar.gz" --sha256 "$sum" -- /bin/sh -c 'read x < /marker; echo "got $x"'
	expect_rc 0 cli container start web
	wait_state web stopped
	expect_contains "$(ctr_log web)" "got image-marker"
	expect_rc 0 cli -j container inspect web
	expect_eq "$(json_get "$OUT" 'd["image"]')" "$HTTP/root.tar.gz"
	expect_eq "$(json_get "$OUT" 'd["rootfs"]')" "$T/state/images/$sum/rootfs"
	# The same image again: unpacked once, shared.
	expect_rc 0 cli container create web2 --image "file://$T/www/root.tar.gz"
	expect_eq "$(ls "$T/state/images" | grep -c .)" 1 "image directories"
	# Other compressions.
	expect_rc 0 cli container create zst --image "file://$T/www/root.tar.zst" -- /bin/sh -c 'read x < /marker; echo "got $x"'
	expect_rc 0 cli container start zst
	wait_state zst stopped
	expect_contains "$(ctr_log zst)" "got image-marker"
	expect_rc 0 cli container create xz --image "file://$T/www/root.tar.xz"
	# A stored digest needs no download: the server may be gone.
	stop_http
	expect_rc 0 cli container create cached --image "$HTTP/root.tar.gz" --sha256 "${sum^^}"
	expect_eq "$(json_get "$(cli -j container inspect cached)" 'd["rootfs"]')" \
		"$T/state/images/$sum/rootfs" "rootfs of a cached image"
	# What an interrupted pull left is removed when the daemon starts.
	: >"$T/state/images/.download.AbC123"
	mkdir -p "$T/state/images/.unpack.$sum.999999/bin"
	stop_daemon
	start_daemon
	[ ! -e "$T/state/images/.download.AbC123" ] && [ ! -e "$T/state/images/.unpack.$sum.999999" ] ||
		fail "partial pulls left: $(ls -a "$T/state/images")"
	expect_contains "$(cat "$T/daemon.log")" "left by an interrupted image pull"
}

test_image_bad_inputs() {
	make_rootfs "$T/img"
	mkdir -p "$T/www" "$T/evil/sub"
	tar -C "$T/img" -czf "$T/www/root.tar.gz" .
	echo pwned >"$T/evil/escape"
	# A tarball whose entry climbs out of its root.
	tar -C "$T/evil/sub" -cf "$T/www/evil.tar" --absolute-names ../escape 2>/dev/null ||
		python3 -c "
import tarfile; t = tarfile.open('$T/www/evil.tar', 'w'); t.add('$T/evil/escape', arcname='../escape'); t.close()"
	start_http "$T/www"
	start_daemon
	expect_rc 1 cli container create c1 --image "$HTTP/root.tar.gz" --sha256 "$(printf '0%.0s' $(seq 64))"
	expect_contains "$ERR" "sha256 mismatch"
	expect_contains "$ERR" "nothing was kept"
	expect_rc 1 cli container create c2 --image "$HTTP/missing.tar.gz"
	expect_contains "$ERR" "HTTP 404"
	expect_rc 1 cli container create c3 --image "http://127.0.0.1:1/root.tar.gz"
	expect_contains "$ERR" "cannot fetch http://127.0.0.1:1/root.tar.gz"
	expect_rc 1 cli container create c4 --image "$HTTP/evil.tar"
	expect_contains "$ERR" "escapes its root"
	expect_rc 1 cli container create c5 --image "ftp://127.0.0.1/x.tar"
	expect_contains "$ERR" "http://, https:// or file:// URL"
	expect_rc 2 cli container create c6 --image "$HTTP/root.tar.gz" --sha256 abc
	expect_contains "$ERR" "--sha256 takes 64 hexadecimal digits"
	expect_rc 1 cli container create c7 --image "$HTTP/root.tar.gz" --rootfs "$T/img"
	expect_contains "$ERR" "exclude each other"
	# Nothing was kept: no container, no image, no partial download.
	expect_eq "$(ls -A "$T/state/containers")" "" "containers after refused creates"
	expect_eq "$(ls -A "$T/state/images" 2>/dev/null)" "" "images after refused creates"
	[ ! -e "$T/state/escape" ] && [ ! -e "$T/state/images/escape" ] || fail "an entry escaped"
}

# The download shows a progress bar on a terminal, and nothing in a script.
test_image_progress() {
	make_rootfs "$T/img"
	head -c 3000000 /dev/urandom >"$T/img/filler"
	tar -C "$T/img" -czf "$T/slow.tar.gz" .
	port=$(( 20000 + RANDOM % 20000 ))
	# A server that sends the image slowly (about 2 s), on 127.0.0.1.
	python3 - "$port" "$T/slow.tar.gz" <<'PY' &
import http.server, sys, time
data = open(sys.argv[2], "rb").read()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        step = len(data) // 20 + 1
        for i in range(0, len(data), step):
            self.wfile.write(data[i:i + step]); self.wfile.flush(); time.sleep(0.1)
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
	EXTRA_PIDS=$!
	for i in $(seq 100); do
		python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
		sleep 0.05
	done
	start_daemon
	python3 "$SRCDIR/tests/pty_drive.py" -t 30 -l "$T/screen" -- "$CTRIPC" --run-dir "$T/run" \
		container create slow1 --image "http://127.0.0.1:$port/slow.tar.gz" >"$T/drive.log" 2>&1 <<'SCRIPT'
expect fetching image \[=*
expect created container slow1
exit 0
SCRIPT
	[ $? = 0 ] || fail "no progress bar on a terminal: $(cat "$T/drive.log")"
	expect_rc 0 cli container create slow2 --image "http://127.0.0.1:$port/slow.tar.gz"
	expect_eq "$ERR" "" "stderr of a download in a script"
	# A daemon that dies during a pull: the CLI says so at once, not after its long wait.
	"$CTRIPC" --run-dir "$T/run" container create slow3 --image "http://127.0.0.1:$port/slow.tar.gz" \
		>"$T/slow3.out" 2>&1 &
	local cpid=$! t0
	sleep 0.5
	kill -KILL "$DPID"
	t0=$(date +%s%N)
	wait "$cpid"
	expect_eq "$?" 3 "exit status when the daemon died"
	[ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 3000 ] || fail "the CLI noticed only after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
	expect_contains "$(cat "$T/slow3.out")" "ended before it answered"
	wait "$DPID" 2>/dev/null
	DPID=
	start_daemon
	expect_rc 1 cli container inspect slow3
	[ -z "$(ls -A "$T/state/images" | grep '^\.')" ] || fail "partial pull left: $(ls -a "$T/state/images")"
}

# Binds never open a way out: a writable bind is nodev and nosuid, and a
# symlink in a --rootfs cannot send a bind target onto the host.
test_bind_hardening() {
	mkdir -p "$T/shared" "$T/hostside" "$T/src"
	make_rootfs "$T/evilroot"
	ln -s "$T/hostside" "$T/evilroot/evil"
	start_daemon
	expect_rc 0 cli container create rw --bind "$T/shared:/data"
	expect_rc 0 cli container start rw
	expect_rc 0 cli container exec rw -- /bin/sh -c \
		'mknod /data/zero c 1 5 && { head -c 1 /data/zero >/dev/null 2>&1 && echo device-readable || echo device-blocked; }'
	expect_eq "$OUT" device-blocked "a device node made in a writable bind"
	expect_rc 0 cli container create esc --rootfs "$T/evilroot" --bind "$T/src:/evil/x" -- /bin/sh -c 'echo inside'
	cli container start esc >/dev/null 2>&1
	[ ! -e "$T/hostside/x" ] || fail "a bind target was created on the host through a rootfs symlink"
	expect_rc 0 cli container rm -f rw
	cli container rm -f esc >/dev/null 2>&1
}

# kill --signal reaches the command for any asynchronous signal (init forwards them).
test_kill_forwards_signals() {
	start_daemon
	expect_rc 0 cli container create sigs -- /bin/sh -c 'trap "echo got-ALRM" ALRM; trap "echo got-USR1" USR1; echo ready; while :; do sleep 0.1; done'
	expect_rc 0 cli container start sigs
	wait_log sigs ready
	expect_rc 0 cli container kill sigs --signal ALRM
	wait_log sigs got-ALRM
	expect_rc 0 cli container kill sigs -s SIGUSR1
	wait_log sigs got-USR1
	expect_rc 0 cli container kill sigs -s 9
	wait_state sigs stopped
	expect_eq "$(json_get "$(cli -j container inspect sigs)" 'd["exit_signal"]')" 9
}

# The kernel's knobs in /proc are out of reach, a --net host container cannot
# talk to the daemon, and a read-only bind of /dev gives no device.
test_host_kernel_unreachable() {
	start_daemon
	expect_rc 0 cli container create knobs --net host --bind /dev:/hostdev:ro
	expect_rc 0 cli container start knobs
	expect_rc 2 cli container exec knobs -- /bin/sh -c 'echo "|/tmp/x" > /proc/sys/kernel/core_pattern'
	expect_contains "$ERR" "Read-only file system"
	expect_rc 2 cli container exec knobs -- /bin/sh -c 'echo b > /proc/sysrq-trigger'
	expect_rc 0 cli container exec knobs -- /bin/sh -c \
		'for f in /proc/kcore /proc/keys /proc/timer_list; do [ -e $f ] && printf "%s=%s " $f $(wc -c < $f); done'
	expect_contains "$OUT" "/proc/keys=0 "
	expect_not_contains "$OUT" "/proc/kcore=1" "kcore"
	expect_rc 0 cli container exec knobs -- /bin/sh -c 'head -c 1 /hostdev/zero >/dev/null 2>&1 && echo reachable || echo blocked'
	expect_eq "$OUT" blocked "a host device through a read-only bind"
	# The control socket is in the host's network namespace, shared here: refused all the same.
	expect_rc 0 cli container exec knobs -- python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 2)
s.bind((0, 0)); s.settimeout(5)
body = struct.pack("BBH", 1, 1, 0)
s.sendto(struct.pack("=IHHII", 16 + len(body), 0x20, 0x5, 1, 0) + body, ('"$PORT"', 0))
data = s.recv(65536)
err = struct.unpack_from("=i", data, 16)[0]
print(err, data[40:].split(b"\0")[0].decode(errors="replace"))'
	expect_contains "$OUT" "-1 "
	expect_contains "$OUT" "requests from inside a container"
	expect_rc 0 cli container rm -f knobs
}

# exec gives the command pipes, not the caller's own files: it cannot reopen
# them through /proc/self/fd.
test_exec_keeps_caller_files() {
	start_daemon
	expect_rc 0 cli container create fdc
	expect_rc 0 cli container start fdc
	echo original >"$T/hostfile"
	chmod 0444 "$T/hostfile"
	cli container exec fdc -- /bin/sh -c 'cat; echo pwned > /proc/self/fd/0' <"$T/hostfile" >"$T/out" 2>&1
	expect_eq "$(cat "$T/hostfile")" original "the caller's file after exec"
	expect_eq "$(head -n 1 "$T/out")" original "stdin still reached the command"
	expect_rc 0 cli container rm -f fdc
}

# --userns: root inside is an unprivileged host uid, on the default root and
# on a --rootfs (whose files stay its root's, through an idmapped lower layer).
test_userns() {
	make_rootfs "$T/rootfs"
	mkdir -p "$T/rootfs/etc" "$T/hostdir" "$T/owned"
	echo orig >"$T/rootfs/etc/conf"
	start_daemon
	expect_rc 0 cli container create un --userns --hostname inside --bind "$T/hostdir:/hostdir" \
		--bind "$T/owned:/owned"
	expect_rc 0 cli -j container inspect un
	expect_eq "$(json_get "$OUT" 'd["userns"]')" True "inspect: userns"
	local base
	base=$(json_get "$OUT" 'd["uid_base"]')
	[ "$base" -ge 1000000 ] || fail "uid_base $base is below the default userns_base"
	chown "$base:$base" "$T/owned"
	expect_rc 0 cli container start un
	expect_rc 0 cli container exec un -- /bin/sh -c 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map | tr -s " "'
	expect_eq "$(echo "$OUT" | head -n 2 | tr '\n' ' ')" "0 0 " "uid and gid inside"
	expect_contains "$OUT" "0 $base 65536"
	# Seen from the host, init runs as the block's first uid.
	local pid
	pid=$(json_get "$(cli -j container inspect un)" 'd["pid"]')
	expect_eq "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" "$base" "init's host uid"
	# Isolation holds as without --userns, and its root owns its own root directory.
	expect_rc 0 cli container exec un -- /bin/sh -c 'hostname; cat /proc/1/comm; ps -e | wc -l; touch /new && stat -c %u /new; grep CapBnd /proc/self/status'
	expect_eq "$(echo "$OUT" | sed -n 1,2p | tr '\n' ' ')" "inside ctr-ipc-init " "hostname and PID 1"
	[ "$(echo "$OUT" | sed -n 3p)" -le 5 ] || fail "host processes visible: $OUT"
	expect_eq "$(echo "$OUT" | sed -n 4p)" 0 "owner of a file made in /"
	expect_contains "$OUT" "CapBnd:	00000000a80425fb"
	# Root inside is nobody special on the host: a root-owned host directory stays closed...
	expect_rc 2 cli container exec un -- /bin/sh -c 'echo x > /hostdir/f'
	expect_contains "$ERR" "Permission denied"
	[ ! -e "$T/hostdir/f" ] || fail "the container wrote into a host root directory"
	expect_rc 2 cli container exec un -- /bin/sh -c 'echo x > /usr/ctr-ipc-test'
	# ...one given to its ids is writable, and what it writes is its root's.
	expect_rc 0 cli container exec un -- /bin/sh -c 'echo mine > /owned/f'
	expect_eq "$(stat -c %u "$T/owned/f")" "$base" "host owner of a file the container wrote"
	# exec -t works in the user namespace too.
	python3 "$SRCDIR/tests/pty_drive.py" -t 10 -l "$T/screen" -- "$CTRIPC" --run-dir "$T/run" \
		container exec -t un -- /bin/sh >"$T/drive.log" 2>&1 <<'SCRIPT'
expect [#$] $
send tty; id -u\r
expect ^/dev/pts/0$
expect ^0$
send exit 4\r
exit 4
SCRIPT
	[ $? = 0 ] || fail "tty session: $(cat "$T/drive.log")"

	# A second container gets its own block.
	expect_rc 0 cli container create un2 --userns --rootfs "$T/rootfs" -- /bin/sh -c \
		'echo more >> /etc/conf; while read -r l; do echo $l; done </etc/conf
		 [ -O /bin/sh ] && echo lower-owned; [ -O /etc/conf ] && echo copy-owned'
	local base2
	base2=$(json_get "$(cli -j container inspect un2)" 'd["uid_base"]')
	[ "$base2" -ge $((base + 65536)) ] || [ "$base2" -le $((base - 65536)) ] ||
		fail "overlapping id blocks: $base and $base2"
	expect_rc 0 cli container start un2
	wait_state un2 stopped
	expect_contains "$(ctr_log un2)" "orig
more"
	expect_contains "$(ctr_log un2)" "lower-owned
copy-owned" "the rootfs's files are its root's"
	expect_eq "$(cat "$T/rootfs/etc/conf")" orig "the --rootfs itself"
	expect_eq "$(stat -c %u "$T/state/containers/un2/upper/etc/conf")" "$base2" "the layer's owner"

	# An image is shared read-only by every container using it; --userns maps its ids too.
	tar -C "$T/rootfs" -czf "$T/img.tar.gz" .
	expect_rc 0 cli container create un3 --userns --image "file://$T/img.tar.gz" -- /bin/sh -c \
		'[ -O /bin/sh ] && echo image-owned; echo x > /bin/new && echo image-writable'
	expect_rc 0 cli container start un3
	wait_state un3 stopped
	expect_contains "$(ctr_log un3)" "image-owned
image-writable"
	expect_rc 0 cli container rm un3

	# Adopted by a restarted daemon, still in its user namespace.
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	DPID=
	start_daemon
	expect_rc 0 cli container exec un -- /bin/sh -c 'id -u; tr -s " " < /proc/self/uid_map'
	expect_contains "$OUT" "0 $base 65536"
	expect_rc 0 cli container rm -f un
	expect_rc 0 cli container rm un2
	grep -q "$T/state" /proc/self/mountinfo && fail "mounts left: $(grep "$T/state" /proc/self/mountinfo)"
	[ ! -e "$T/state/containers/un2" ] || fail "rm left files"
}

# Keys are not namespaced: a container must not reach the daemon's session keyring.
test_keyring_not_shared() {
	DAEMON_WRAPPER="python3 $SRCDIR/tests/session_keyring.py ctr-ipc-test-session" start_daemon
	expect_rc 0 cli container create keys
	expect_rc 0 cli container start keys
	expect_rc 0 cli container exec keys -- python3 -c '
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
buf = ctypes.create_string_buffer(256)
# KEYCTL_DESCRIBE of the session keyring, and a search for the key by name.
libc.syscall(250, 6, -3, buf, 256)
print("session:", buf.value.decode())
print("found:", libc.syscall(250, 10, -3, b"user", b"secret", 0))'
	expect_not_contains "$OUT" "ctr-ipc-test-session" "the daemon's session keyring"
	expect_contains "$OUT" "found: -1"
	expect_rc 0 cli container rm -f keys
}
