#!/usr/bin/env python3
"""Time the container cycle for each contender; print medians and ratios."""
import os, statistics, subprocess, sys, time

n, ctripc, d, root = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
run_dir = os.path.join(d, "run")
cli = [ctripc, "--run-dir", run_dir, "-q"]
null = subprocess.DEVNULL

def run(args, **kw):
    subprocess.run(args, check=True, stdout=null, **kw)

def ours(i):
    name = "b%d" % i
    run(cli + ["container", "create", name, "--rootfs", root, "--", "/bin/sleep", "1000"])
    run(cli + ["container", "start", name])
    run(cli + ["container", "exec", name, "--", "/bin/true"])
    run(cli + ["container", "stop", name])
    run(cli + ["container", "rm", name])

def ours_batch(i):
    name = "c%d" % i
    script = os.path.join(d, "batch")
    with open(script, "w") as f:
        f.write("container create %s --rootfs %s -- /bin/sleep 1000\n" % (name, root))
        f.write("container start %s\n" % name)
        f.write("container exec %s -- /bin/true\n" % name)
        f.write("container stop %s\n" % name)
        f.write("container rm %s\n" % name)
    run(cli + ["-b", script], stdin=null)

def lower_bound(i):
    run(["unshare", "--mount", "--pid", "--uts", "--ipc", "--net", "--cgroup", "--fork",
         "chroot", root, "/bin/true"])

# crun: the whole loop runs in one private mount namespace with cgroup2 at /sys/fs/cgroup.
CRUN = r'''
import statistics, subprocess, sys, time
n, bundle = int(sys.argv[1]), sys.argv[2]
subprocess.run(["mount", "-t", "cgroup2", "none", "/sys/fs/cgroup"], check=True)
times = []
for i in range(n + 3):
    name = "bench-crun-%d" % i
    t0 = time.perf_counter()
    subprocess.run(["crun", "create", "--bundle", bundle, name], check=True)
    subprocess.run(["crun", "start", name], check=True)
    subprocess.run(["crun", "exec", name, "/bin/true"], check=True)
    subprocess.run(["crun", "kill", name, "KILL"], check=True)
    while subprocess.run(["crun", "delete", name], stderr=subprocess.DEVNULL).returncode:
        time.sleep(0.0005)
    times.append(time.perf_counter() - t0)
print(" ".join("%.6f" % t for t in times[3:]))
'''

def timed(fn):
    times = []
    for i in range(n + 3):  # three warm-up cycles
        t0 = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t0)
    return times[3:]

results = {}
results["ctr-ipc (a process per step)"] = timed(ours)
results["ctr-ipc -b (one batch process)"] = timed(ours_batch)
results["unshare + true (lower bound)"] = timed(lower_bound)
crun = subprocess.run(["unshare", "--mount", "--propagation", "private", "python3", "-c", CRUN,
                       str(n), os.path.join(d, "bundle")], capture_output=True, text=True)
if crun.returncode == 0:
    results["crun 1.8 (cgroup2 remounted)"] = [float(x) for x in crun.stdout.split()]
else:
    print("crun could not run: %s" % crun.stderr.strip().splitlines()[-1:], file=sys.stderr)

med = {k: statistics.median(v) * 1000 for k, v in results.items()}
low = med["unshare + true (lower bound)"]
crun_med = med.get("crun 1.8 (cgroup2 remounted)")
print("cycle: create -> start -> exec true -> stop -> rm, median of %d runs (ms)" % n)
print("%-34s %9s %9s %12s %10s" % ("", "median", "p90", "x unshare", "x crun"))
for k, v in results.items():
    p90 = sorted(v)[int(len(v) * 0.9) - 1] * 1000
    print("%-34s %9.2f %9.2f %12.2f %10s" % (k, med[k], p90, med[k] / low,
          "%.2f" % (med[k] / crun_med) if crun_med else "-"))
