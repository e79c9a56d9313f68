#!/bin/sh
# consumer.sh: take the messages for one endpoint of the ctr-ipc bus with
# ctripc listen, the shell's side of consumer.c.  See README.md.
#
#   consumer.sh [ENDPOINT [COUNT [SECONDS]]]
#
# Registers ENDPOINT (default inbox) in its container and handles each
# message for CONTAINER/ENDPOINT, those that waited for it first: here, it
# prints "SOURCE says PAYLOAD (category CATEGORY, ID ID)".  Stops after COUNT
# messages (default 10) or when none came for SECONDS (default 10), with
# ctripc listen's status: 0 once COUNT came, 1 when they did not.
#
# ctripc listen acknowledges a message once it has written its line: from
# then on the buffer forgets it, whatever the loop below does with it.
set -eu
CTRIPC=${CTRIPC:-/run/ctr-ipc/bin/ctripc}	# placed in every container by ctr-ipcd

[ $# -le 3 ] || { echo "usage: consumer.sh [ENDPOINT [COUNT [SECONDS]]]" >&2; exit 2; }
endpoint=${1:-inbox}
count=${2:-10}
timeout=${3:-10}

# Right after the container starts, its bus socket may not be placed yet.
tries=0
until [ -S /run/ctr-ipc/bus.sock ] || [ -n "${CTRIPC_BUS:-}" ]; do
	tries=$((tries + 1))
	[ "$tries" -le 50 ] || { echo "consumer.sh: no bus socket at /run/ctr-ipc/bus.sock" >&2; exit 1; }
	sleep 0.1
done

# One line per message: ID SOURCE CATEGORY PAYLOAD, or "(N bytes, binary)" for
# a payload that is not text.  The last line, "status N", carries listen's exit
# status through the pipe (an ID is a number, so no message line looks like it).
{
	rc=0
	"$CTRIPC" listen --count "$count" --timeout "$timeout" "$endpoint" || rc=$?
	echo "status $rc"
} | while read -r id source category payload; do
	if [ "$id" = status ]; then
		exit "$source"
	fi
	echo "$source says $payload (category $category, ID $id)"
done
