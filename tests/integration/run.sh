#!/usr/bin/env bash
# Runs every test_* function of tests/integration/t_*.sh, each in a subshell
# with a fresh temporary directory.  Prints PASS/FAIL/SKIP per test and the
# closing line "N passed, N failed, N skipped"; exits non-zero on a failure.
# A test skips by exiting 77 after printing why; skips are never counted as passes.
# A passing test's lines that begin with "note: " (figures it measured) are shown.
#   BIN=build/bin tests/integration/run.sh [FILTER]
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${BIN:?BIN must point at the built binaries}"
export BIN
filter=${1:-}
passed=0 failed=0 skipped=0
failures=

if [ "${SANITIZE:-}" = 1 ]; then
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi

for file in "$here"/t_*.sh; do
	for t in $(bash -c "source '$here/lib.sh'; source '$file'; declare -F" | awk '{print $3}' | grep '^test_'); do
		name="$(basename "$file" .sh):$t"
		case "$name" in *"$filter"*) ;; *) continue ;; esac
		tmp=$(mktemp -d /tmp/ctr-ipc-test.XXXXXX)
		chmod 755 "$tmp"
		start=$(date +%s%N)
		# Each test in its own bash under a time limit, so a hang fails the test
		# instead of the run.
		timeout -k 5 "${TEST_TIMEOUT:-120}" bash -c '
			T=$1
			source "$2/lib.sh"
			source "$3"
			trap cleanup_test EXIT
			set +e
			"$4"
		' _ "$tmp" "$here" "$file" "$t" >"$tmp/test.log" 2>&1
		rc=$?
		[ $rc = 124 ] && echo "    timed out after ${TEST_TIMEOUT:-120} s" >>"$tmp/test.log"
		ms=$(( ($(date +%s%N) - start) / 1000000 ))
		if [ $rc = 0 ]; then
			passed=$((passed + 1))
			echo "PASS $name (${ms} ms)"
			# What a test measured, for the record: its lines "note: ...".
			sed -n 's/^note: /    /p' "$tmp/test.log"
			rm -rf "$tmp"
		elif [ $rc = 77 ]; then
			skipped=$((skipped + 1))
			echo "SKIP $name: $(tail -n 1 "$tmp/test.log")"
			rm -rf "$tmp"
		else
			failed=$((failed + 1))
			failures="$failures $name"
			echo "FAIL $name (exit $rc), log in $tmp:"
			sed 's/^/    /' "$tmp/test.log" | tail -n 40
			[ -f "$tmp/daemon.log" ] && sed 's/^/    daemon: /' "$tmp/daemon.log" | tail -n 20
		fi
	done
done

echo "integration:${failures:+ failed:$failures}"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
