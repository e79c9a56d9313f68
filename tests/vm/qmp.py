#!/usr/bin/env python3
"""Boot the ctr_vdev test VM under QEMU (TCG) and drive it.

The VM's /init prints "@@HOST <action>[; <action>...]" when it wants the host to act (type on
the emulated PS/2 keyboard through QMP input-send-event) and "@@RESULT PASS|FAIL" at the end.
Exit status 0 only on PASS with no kernel Oops/BUG/WARNING on the console; on failure the
whole console is printed.
"""
import argparse
import json
import os
import re
import socket
import subprocess
import sys
import time

BAD_KERNEL = re.compile(r"Oops|BUG:|WARNING:|Call Trace|general protection fault|Kernel panic")


class QMP:
    def __init__(self, path, deadline):
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.buf = b""
        self._reply()  # greeting
        self.execute("qmp_capabilities")

    def _reply(self):
        while True:
            while b"\n" not in self.buf:
                data = self.sock.recv(65536)
                if not data:
                    raise EOFError("QMP socket closed")
                self.buf += data
            line, self.buf = self.buf.split(b"\n", 1)
            msg = json.loads(line)
            if "event" in msg:
                continue
            return msg

    def execute(self, cmd, **args):
        req = {"execute": cmd}
        if args:
            req["arguments"] = args
        self.sock.sendall(json.dumps(req).encode() + b"\n")
        msg = self._reply()
        if "error" in msg:
            raise RuntimeError(f"QMP {cmd}: {msg['error']}")
        return msg.get("return")

    def key(self, qcode, down):
        self.execute("input-send-event",
                     events=[{"type": "key",
                              "data": {"down": down, "key": {"type": "qcode", "data": qcode}}}])


def host_action(qmp, action):
    words = action.split()
    if not words:
        return
    verb, args = words[0], words[1:]
    if verb == "type":
        for text in args:
            for ch in text:
                qmp.key(ch, True)
                time.sleep(0.05)
                qmp.key(ch, False)
                time.sleep(0.05)
    elif verb == "press":
        for k in args:
            qmp.key(k, True)
    elif verb == "release":
        for k in args:
            qmp.key(k, False)
    elif verb == "sleep":
        time.sleep(float(args[0]))
    else:
        raise ValueError(f"unknown host action {action!r}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--append", default="")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--timeout", type=float, default=240)
    ap.add_argument("--show", default=r"^(PASS|FAIL|RESULT|BENCH)",
                    help="console lines to echo on success")
    opts = ap.parse_args()

    qmp_path = os.path.join(opts.workdir, "qmp.sock")
    console = os.path.join(opts.workdir, "console.log")
    for p in (qmp_path, console):
        if os.path.exists(p):
            os.unlink(p)
    open(console, "w").close()
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-m", "512", "-smp", "2", "-nographic",
           "-no-reboot", "-monitor", "none", "-serial", f"file:{console}", "-nic", "none",
           "-qmp", f"unix:{qmp_path},server=on,wait=off",
           "-kernel", opts.kernel, "-initrd", opts.initrd,
           "-append", f"console=ttyS0 rdinit=/init panic=-1 loglevel=5 no_timer_check {opts.append}"]
    start = time.monotonic()
    deadline = start + opts.timeout
    qemu_log = open(os.path.join(opts.workdir, "qemu.log"), "w")
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=qemu_log, stderr=qemu_log)

    result, why = None, ""
    qmp = None
    try:
        qmp = QMP(qmp_path, deadline)
        pos = 0
        pending = ""
        while result is None:
            with open(console, "r", errors="replace") as f:
                f.seek(pos)
                chunk = f.read()
                pos = f.tell()
            pending += chunk
            *lines, pending = pending.split("\n")
            for line in lines:
                line = line.rstrip("\r")
                if "@@HOST " in line:
                    for action in line.split("@@HOST ", 1)[1].split(";"):
                        host_action(qmp, action.strip())
                elif "@@RESULT " in line:
                    result = line.split("@@RESULT ", 1)[1].strip()
                    break
            if result is None:
                if proc.poll() is not None:
                    why = f"QEMU exited ({proc.returncode}) before a result"
                    break
                if time.monotonic() > deadline:
                    why = f"timed out after {opts.timeout:.0f}s"
                    break
                time.sleep(0.05)
    except Exception as e:  # any driver error fails the run, with the console shown
        why = f"driver error: {e}"
    finally:
        if qmp is not None and proc.poll() is None:
            try:
                qmp.execute("quit")
            except Exception:
                pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    elapsed = time.monotonic() - start
    with open(console, errors="replace") as f:
        text = f.read()
    bad = [l for l in text.splitlines() if BAD_KERNEL.search(l)]
    ok = result == "PASS" and not bad
    if not ok:
        print(text)
        print(f"--- VM test FAILED after {elapsed:.1f}s: "
              f"{why or 'result ' + str(result)}{'; kernel trouble on console' if bad else ''}")
        for l in bad:
            print(f"    {l}")
        return 1
    show = re.compile(opts.show)
    for l in text.splitlines():
        l = l.rstrip("\r")
        if show.search(l):
            print(l)
    print(f"--- VM run passed in {elapsed:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
