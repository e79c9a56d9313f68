#!/usr/bin/env bash
# bench/containers: the cycle create -> start -> exec true -> stop -> rm,
# timed per cycle (median of N), for
#   ctr-ipc      one ctr-ipc process per step (as a person types it)
#   ctr-ipc -b   the same steps from one batch process (as a script runs them)
#   crun         crun create/start/exec/kill/delete on the same root file system
#   unshare      unshare with the same namespaces running true: the lower bound
# all in the same run, on the same minimal root (dash, true, sleep and their
# libraries).  crun 1.8 refuses this host's hybrid cgroup layout, so it runs in
# a private mount namespace with /sys/fs/cgroup remounted as cgroup2 and a
# config without linux.resources and process.rlimits.
#   BIN=build/bin N=50 bench/containers/run.sh
set -eu
: "${BIN:?BIN must point at the built binaries}"
N=${N:-50}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/ctr-ipc-bench.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

# The root file system every contender uses.
root=$dir/rootfs
mkdir -p "$root/bin" "$root/proc" "$root/dev" "$root/sys" "$root/tmp"
for prog in /bin/dash /bin/true /bin/sleep; do
	cp "$prog" "$root/bin/$(basename "$prog")"
	for lib in $(ldd "$prog" | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
done
ln -s dash "$root/bin/sh"

port=$(( 0x43600000 + ($$ & 0xffff) ))
"$BIN/ctr-ipcd" --foreground --config /dev/null --run-dir "$dir/run" --state-dir "$dir/state" \
	--port-id "$port" 2>"$dir/daemon.log" &
pid=$!
for _ in $(seq 100); do [ -s "$dir/run/ctr-ipcd.pid" ] && break; sleep 0.05; done

# crun's bundle: its default spec, our root, no resources or rlimits.
mkdir -p "$dir/bundle"
(cd "$dir/bundle" && crun spec >/dev/null)
python3 - "$dir/bundle/config.json" "$root" <<'PY'
import json, sys
path, root = sys.argv[1], sys.argv[2]
c = json.load(open(path))
c["root"] = {"path": root, "readonly": True}
c["process"]["args"] = ["/bin/sleep", "1000"]
c["process"]["terminal"] = False
c["process"].pop("rlimits", None)
c["linux"].pop("resources", None)
json.dump(c, open(path, "w"))
PY

python3 "$here/cycle.py" "$N" "$BIN/ctr-ipc" "$dir" "$root"
