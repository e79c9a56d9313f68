#!/usr/bin/env python3
# session_keyring.py NAME CMD [ARG...]: run CMD in a new session keyring
# called NAME holding a key "secret", as a login session would give it.
import ctypes, os, sys

libc = ctypes.CDLL(None, use_errno=True)
SYS_keyctl, SYS_add_key = 250, 248
KEYCTL_JOIN_SESSION_KEYRING, KEY_SPEC_SESSION_KEYRING = 1, -3
if libc.syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, sys.argv[1].encode()) < 0:
    sys.exit("cannot join a session keyring: %s" % os.strerror(ctypes.get_errno()))
if libc.syscall(SYS_add_key, b"user", b"secret", b"hunter2", 7, KEY_SPEC_SESSION_KEYRING) < 0:
    sys.exit("cannot add a key: %s" % os.strerror(ctypes.get_errno()))
os.execvp(sys.argv[2], sys.argv[2:])
