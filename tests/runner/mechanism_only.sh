#!/bin/sh
# mechanism_only.sh: interpoll --mechanism-only, the benchmarks' baseline.
# Every notified call goes back to the kernel, so a program behaves as
# natively (its epoll is the kernel's), and the exit status passes through.
#
# Run: INTERPOLL=/path/to/interpoll TESTBIN=build/tests/c \
#      sh tests/runner/mechanism_only.sh

. "$(dirname "$0")/lib/runner.sh"
runner_setup mech
bound 60

# The exit status is the program's.
$T "$INTERPOLL" --mechanism-only -- sh -c 'exit 7' </dev/null
rc=$?
if [ "$rc" -eq 7 ]; then ok "exit status"; else nok "exit status" "$rc, want 7"; fi

# tests/c programs pass as natively; their output is native's.
for t in poll_epoll_paths signal_wait_idiom epoll_wait_threads; do
	bin=${TESTBIN:-}/$t
	if [ ! -x "$bin" ]; then
		nok "$t" "no test program at $bin (set TESTBIN)"
		continue
	fi
	$T "$bin" >"$tmp/native" 2>&1
	rn=$?
	$T "$INTERPOLL" --mechanism-only -- "$bin" >"$tmp/mech" 2>&1
	rm=$?
	if [ "$rn" -eq 0 ] && [ "$rm" -eq 0 ] &&
		[ "$(grep -c '^ok' "$tmp/native")" = "$(grep -c '^ok' "$tmp/mech")" ]; then
		ok "$t passes as natively"
	else
		nok "$t" "native $rn, mechanism-only $rm: $(flat "$tmp/mech")"
	fi
done
finish
