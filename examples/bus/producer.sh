#!/bin/sh
# producer.sh: send N readings to an endpoint of the ctr-ipc bus with ctripc,
# the shell's side of producer.c.  See README.md.
#
#   producer.sh DEST [N [CATEGORY]]
#
# Sends N messages (default 10) to DEST (CONTAINER/ENDPOINT, such as
# consumer/inbox) under CATEGORY (default sensor.temperature) and prints each
# message's ID.  Each ctripc send is a connection of its own, sent as
# CONTAINER/anon-K.  A refusal (the policy, a full queue) is printed by ctripc
# with the buffer's reason, and ends the script with status 1.
set -eu
CTRIPC=${CTRIPC:-/run/ctr-ipc/bin/ctripc}	# placed in every container by ctr-ipcd

if [ $# -lt 1 ] || [ $# -gt 3 ]; then
	echo "usage: producer.sh DEST [N [CATEGORY]]" >&2
	exit 2
fi
dest=$1
n=${2:-10}
category=${3:-sensor.temperature}

# Right after the container starts, its bus socket may not be placed yet.
tries=0
until [ -S /run/ctr-ipc/bus.sock ] || [ -n "${CTRIPC_BUS:-}" ]; do
	tries=$((tries + 1))
	[ "$tries" -le 50 ] || { echo "producer.sh: no bus socket at /run/ctr-ipc/bus.sock" >&2; exit 1; }
	sleep 0.1
done

i=1
while [ "$i" -le "$n" ]; do
	# DATA is sent as given, without a newline; ctripc prints the message's ID.
	"$CTRIPC" send "$dest" "$category" "reading $i of $n: $((20 + i % 10)).0 C" || exit 1
	i=$((i + 1))
done
