#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Drive a program on a pseudo-terminal, for tests (python3 standard library only).

As a module:

    from pty_drive import PtyDriver
    p = PtyDriver(["ctr-ipc", "--run-dir", "/tmp/x/run"], env={"HOME": "/tmp/x"})
    p.expect(r"ctr-ipc> ")
    p.send("dae\\t")          # str is UTF-8 encoded; bytes go as they are
    p.expect(r"ctr-ipc> daemon $")
    p.send(b"\\x04")
    assert p.wait(timeout=10) == 0

As a command, a small script on stdin (or -f FILE), one step per line:

    python3 tests/pty_drive.py [-t SECONDS] [-e NAME=VALUE]... [-u NAME]... [-l LOG]
                               [-p PIDFILE] [-C DIR] -- CMD [ARG...] <<'EOF'
    expect ctr-ipc> $
    send dae\\t
    expect ^ctr-ipc> daemon $
    send status\\r
    expect Version:
    send \\x04
    exit 0
    EOF

Steps:
    send TEXT         send TEXT; backslash escapes are decoded (\\t \\r \\n \\x03 \\\\ ...)
    expect REGEX      wait until REGEX matches the screen text after the previous match
                      (Python re, MULTILINE); the position moves past the match.  A match
                      may begin at the start of the line where the previous one ended
                      (as long as it ends past it), so that after "expect ^prompt> $",
                      "expect ^prompt> typed text$" checks the whole line
    expect_raw REGEX  the same on the raw bytes (escape sequences kept)
    reject REGEX      fail if REGEX matches the screen text the last expect went through
                      (from the match before it to the end of its own match)
    timeout SECONDS   the time limit of the following waits (default -t, else 10)
    mark FILE         create FILE (to tell a test that the steps before are done)
    wait_for FILE     wait until FILE exists (a test did what the next steps need)
    exit [CODE]       wait for the program to end; check its exit status when CODE is given
                      (a death by signal N counts as 128+N)
    # ...             a comment; empty lines are ignored

The screen text is the output with terminal escape sequences (CSI, OSC, charset
selection, keypad modes) and carriage returns removed, and backspaces applied.
On a failed step the driver prints what it waited for and the output so far,
kills the program and exits 1; a usage error exits 2.  The program runs with
TERM=xterm, on a 50x200 terminal, as the session leader with the pty as its
controlling terminal (so ^C sends SIGINT, as on a real terminal).
"""

import codecs
import errno
import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time

DEFAULT_TIMEOUT = 10.0

# ESC [ ... final, ESC ] ... BEL|ST, ESC ( X / ESC ) X, other two-byte ESC sequences.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[()*+][0-~]"
    r"|\x1b[=>78cDEHMNOZ]"
)


def screen_text(raw):
    """The output as text: escape sequences and \\r removed, backspaces applied."""
    text = _ESCAPES.sub("", raw.decode("utf-8", "replace"))
    text = text.replace("\r", "").replace("\x07", "")
    out = []
    for ch in text:
        if ch == "\b":
            if out and out[-1] != "\n":
                out.pop()
        else:
            out.append(ch)
    return "".join(out)


class PtyError(AssertionError):
    pass


class PtyDriver:
    def __init__(self, argv, env=None, cwd=None, rows=50, cols=200, timeout=DEFAULT_TIMEOUT):
        self.timeout = timeout
        self.raw = b""
        self.pos = 0        # screen-text position after the last expect
        self.prev_pos = 0   # ... and before it: what that expect waited through
        self.raw_pos = 0    # raw position after the last expect_raw
        self.status = None  # exit status once reaped
        full_env = dict(os.environ if env is None else env)
        full_env["TERM"] = "xterm"
        pid, fd = pty.fork()
        if pid == 0:  # child: the pty is already its controlling terminal
            try:
                # The size first, before the program can ask for it.
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                if cwd:
                    os.chdir(cwd)
                os.execvpe(argv[0], argv, full_env)
            except OSError as e:
                os.write(2, ("pty_drive: cannot run %s: %s\n" % (argv[0], e)).encode())
            os._exit(127)
        self.pid, self.fd = pid, fd

    # --- output ---------------------------------------------------------------

    def _read(self, timeout):
        """Read what is there (waiting up to timeout); False at end of output."""
        if self.fd is None:
            return False
        r, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not r:
            return True
        try:
            data = os.read(self.fd, 65536)
        except OSError as e:
            if e.errno != errno.EIO:  # EIO: the program closed the terminal
                raise
            data = b""
        if not data:
            os.close(self.fd)
            self.fd = None
            return False
        self.raw += data
        return True

    @property
    def text(self):
        return screen_text(self.raw)

    def _fail(self, what):
        text = self.text
        msg = ("pty_drive: %s\n--- screen text so far (%d chars; after the last match: %d) ---\n%s\n"
               "--- raw tail ---\n%r\n--- end ---" % (
                   what, len(text), len(text) - self.pos, text, self.raw[-600:]))
        self.kill()
        raise PtyError(msg)

    def _search_text(self, rx):
        """The first match that ends after self.pos, starting no earlier than the
        beginning of the line self.pos is in (or at self.pos, when empty)."""
        text = self.text
        for m in rx.finditer(text, text.rfind("\n", 0, self.pos) + 1):
            if m.end() > self.pos or m.start() >= self.pos:
                return m
        return None

    def expect(self, pattern, timeout=None, raw=False):
        """Wait until pattern matches after the previous match; returns the match."""
        rx = re.compile(pattern.encode() if raw and isinstance(pattern, str) else pattern,
                        re.MULTILINE)
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            m = rx.search(self.raw, self.raw_pos) if raw else self._search_text(rx)
            if m:
                if raw:
                    self.raw_pos = m.end()
                else:
                    self.prev_pos, self.pos = self.pos, m.end()
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                self._fail("timed out after %gs waiting for %r" % (
                    self.timeout if timeout is None else timeout, pattern))
            if not self._read(min(left, 0.5)):
                # End of output: one last look, then give up.
                m = rx.search(self.raw, self.raw_pos) if raw else self._search_text(rx)
                if m:
                    continue
                self._reap(0.5)
                self._fail("the program ended (status %s) before %r appeared" % (
                    self.status, pattern))

    def wait_for_file(self, path, timeout=None):
        """Wait until path exists, reading the program's output meanwhile."""
        t = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + t
        while not os.path.exists(path):
            left = deadline - time.monotonic()
            if left <= 0:
                self._fail("timed out after %gs waiting for the file %s" % (t, path))
            if not self._read(min(left, 0.05)):
                time.sleep(min(left, 0.05))

    def reject(self, pattern):
        """Fail if pattern matches the screen text the last expect waited through
        (from the match before it up to the end of its own match)."""
        m = re.compile(pattern, re.MULTILINE).search(self.text[:self.pos], self.prev_pos)
        if m:
            self._fail("unexpected %r in the output: %r" % (pattern, m.group(0)))

    # --- input ----------------------------------------------------------------

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        if self.fd is None:
            self._fail("cannot send %r: the program has closed the terminal" % data)
        while data:
            try:
                n = os.write(self.fd, data)
            except OSError as e:
                if e.errno == errno.EIO:
                    self._fail("cannot send %r: the program has closed the terminal" % data)
                raise
            data = data[n:]
            self._read(0)  # keep the output flowing

    # --- the process ----------------------------------------------------------

    def _reap(self, timeout):
        deadline = time.monotonic() + timeout
        while self.status is None:
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.status = (os.WEXITSTATUS(st) if os.WIFEXITED(st)
                               else 128 + os.WTERMSIG(st))
                break
            if time.monotonic() >= deadline:
                break
            # Drain the output meanwhile, so a program writing at exit never blocks.
            if not self._read(0.05):
                time.sleep(0.02)
        return self.status

    def wait(self, timeout=None):
        """Wait for the program to end; returns its status (128+N for signal N)."""
        t = self.timeout if timeout is None else timeout
        if self._reap(t) is None:
            self._fail("the program did not end within %gs" % t)
        while self._read(0.2):  # whatever is still buffered
            pass
        return self.status

    def kill(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._reap(5)
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def decode_escapes(s):
    """'dae\\t' -> b'dae\\t': Python string escapes, the rest as UTF-8."""
    return codecs.escape_decode(s.encode())[0]


def run_script(driver, lines, log=None):
    for lineno, line in enumerate(lines, 1):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        step, _, arg = line.partition(" ")
        if log:
            log.write("## %s\n" % line)
        if step == "send":
            driver.send(decode_escapes(arg))
        elif step == "expect":
            driver.expect(arg)
        elif step == "expect_raw":
            driver.expect(arg, raw=True)
        elif step == "reject":
            driver.reject(arg)
        elif step == "mark":
            with open(arg, "a"):
                pass
        elif step == "wait_for":
            driver.wait_for_file(arg)
        elif step == "timeout":
            driver.timeout = float(arg)
        elif step == "exit":
            st = driver.wait()
            if arg.strip() and st != int(arg):
                driver._fail("exit status %s, expected %s" % (st, arg.strip()))
        else:
            raise ValueError("line %d: unknown step %r" % (lineno, step))


def main(args):
    import argparse

    ap = argparse.ArgumentParser(
        description="Run CMD on a pseudo-terminal and follow a send/expect script "
                    "(see the top of this file).")
    ap.add_argument("-t", "--timeout", type=float, default=DEFAULT_TIMEOUT,
                    help="seconds each wait may take (default %(default)s)")
    ap.add_argument("-e", "--env", action="append", default=[], metavar="NAME=VALUE",
                    help="set an environment variable for CMD")
    ap.add_argument("-u", "--unset", action="append", default=[], metavar="NAME",
                    help="remove an environment variable for CMD")
    ap.add_argument("-p", "--pidfile", help="write the pid of CMD here once it runs")
    ap.add_argument("-f", "--file", help="the script (default: standard input)")
    ap.add_argument("-l", "--log", help="write the screen text here at the end")
    ap.add_argument("-C", "--cwd", help="run CMD in this directory")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    o = ap.parse_args(args)
    cmd = o.cmd[1:] if o.cmd[:1] == ["--"] else o.cmd
    if not cmd:
        ap.error("no command to run")
    env = dict(os.environ)
    for kv in o.env:
        name, eq, value = kv.partition("=")
        if not eq:
            ap.error("-e wants NAME=VALUE, not %r" % kv)
        env[name] = value
    for name in o.unset:
        env.pop(name, None)
    script = open(o.file).readlines() if o.file else sys.stdin.readlines()

    driver = PtyDriver(cmd, env=env, cwd=o.cwd, timeout=o.timeout)
    if o.pidfile:
        with open(o.pidfile + ".tmp", "w") as f:
            f.write("%d\n" % driver.pid)
        os.rename(o.pidfile + ".tmp", o.pidfile)
    rc = 0
    try:
        run_script(driver, script)
    except PtyError as e:
        print(e, file=sys.stderr)
        rc = 1
    except ValueError as e:
        print("pty_drive: %s" % e, file=sys.stderr)
        rc = 2
    finally:
        driver.kill()
        if o.log:
            with open(o.log, "w") as f:
                f.write(driver.text)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
