#!/usr/bin/env bash
# make install into a temporary DESTDIR: every promised file is there, the
# installed programs run, and a client builds against the installed
# pkg-config file.  Prints "N passed, N failed".
set -u
dest=$(mktemp -d /tmp/ctr-ipc-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
passed=0 failed=0
check() {
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL install: $what"
	fi
}

make --no-print-directory install DESTDIR="$dest" PREFIX=/usr >"$dest.log" 2>&1 \
	|| { cat "$dest.log"; rm -f "$dest.log"; echo "0 passed, 1 failed"; exit 1; }
rm -f "$dest.log"
for f in usr/bin/ctr-ipc usr/sbin/ctr-ipcd usr/bin/ctripc usr/libexec/ctr-ipc/ctr-ipc-fetch \
	usr/libexec/ctr-ipc/ctr-ipc-buffer usr/libexec/ctr-ipc/ctripc-static; do
	check "$f is executable" test -x "$dest/$f"
done
for f in usr/share/man/man8/ctr-ipc.8 usr/share/man/man8/ctr-ipcd.8 usr/share/man/man5/ctr-ipc.conf.5 \
	usr/share/bash-completion/completions/ctr-ipc usr/share/zsh/vendor-completions/_ctr-ipc \
	usr/include/ctr-ipc/proto.h usr/lib/libctripc-proto.a usr/lib/pkgconfig/ctripc-proto.pc \
	etc/ctr-ipc/ctr-ipcd.conf; do
	check "$f installed" test -s "$dest/$f"
done
check "installed ctr-ipc runs" "$dest/usr/bin/ctr-ipc" -V
check "installed ctr-ipcd runs" "$dest/usr/sbin/ctr-ipcd" -V
check "installed image worker refuses to run by hand" sh -c \
	"'$dest/usr/libexec/ctr-ipc/ctr-ipc-fetch' 2>&1 3>&-; [ \$? = 2 ]"
check "installed example config parses" "$dest/usr/sbin/ctr-ipcd" --config "$dest/etc/ctr-ipc/ctr-ipcd.conf" --help

# A third-party client: build a request with the installed header and library.
cat >"$dest/client.c" <<'C'
#include <ctr-ipc/proto.h>
int main(void)
{
	struct nlattr *tb[CTRIPC_A_MAX + 1];
	char err[256];
	struct nl_msg *m = ctripc_msg_new(CTRIPC_CMD_DAEMON_STATUS, NLM_F_REQUEST, 1, 0);
	return ctripc_msg_parse(nlmsg_hdr(m), true, tb, NULL, err, sizeof(err)) == 0 ? 0 : 1;
}
C
# A second install under a PREFIX (no DESTDIR), so the .pc file's paths are real.
make --no-print-directory install PREFIX="$dest/prefix" SYSCONFDIR="$dest/prefix/etc" \
	>"$dest/prefix.log" 2>&1 || cat "$dest/prefix.log"
check "PREFIX install puts ctr-ipc in PREFIX/bin" test -x "$dest/prefix/bin/ctr-ipc"
check "client builds with pkg-config ctripc-proto" sh -c \
	"cc -o '$dest/client' '$dest/client.c' \$(PKG_CONFIG_PATH='$dest/prefix/lib/pkgconfig' pkg-config --cflags --libs ctripc-proto)"
check "client runs" "$dest/client"
# A bus client against the installed libctripc, shared and static.
cat >"$dest/bus.c" <<'C'
#include <ctripc.h>
#include <errno.h>
int main(void)
{
	int err = 0;
	struct ctripc *h = ctripc_open("/nonexistent/bus.sock", &err);
	return h == NULL && err == -ENOENT ? 0 : 1;
}
C
check "libctripc client builds with pkg-config ctripc" sh -c \
	"cc -o '$dest/bus' '$dest/bus.c' \$(PKG_CONFIG_PATH='$dest/prefix/lib/pkgconfig' pkg-config --cflags --libs ctripc)"
check "libctripc client runs" env LD_LIBRARY_PATH="$dest/prefix/lib" "$dest/bus"
check "libctripc client links statically" sh -c \
	"cc -I'$dest/prefix/include' -o '$dest/bus-static' '$dest/bus.c' '$dest/prefix/lib/libctripc.a' \$(pkg-config --static --libs libnl-genl-3.0 libnl-3.0) && '$dest/bus-static'"
echo "install: $passed passed, $failed failed"
[ "$failed" = 0 ]
