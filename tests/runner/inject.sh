#!/bin/sh
# inject.sh: --inject makes faults Linux can produce, reproducibly.
#
# Run: INTERPOLL=/path/to/interpoll TESTBIN=build/tests/c sh tests/runner/inject.sh
# Prints "ok - NAME" or "FAIL - NAME: DETAIL" per case, then
# "N passed, M failed"; exits non-zero when a case failed.

. "$(dirname "$0")/lib/runner.sh"
runner_setup inject
bound 120

fatal="$TESTBIN/loop_eintr_fatal"
robust="$TESTBIN/loop_survives_faults"

# 1. A loop that treats EINTR as fatal fails under eintr, at the same
#    iteration with the same seed, run after run.
$T "$INTERPOLL" --inject=eintr=0.02,seed=7 -- "$fatal" >"$tmp/a" 2>&1
rc1=$?
$T "$INTERPOLL" --inject=eintr=0.02,seed=7 -- "$fatal" >"$tmp/b" 2>&1
rc2=$?
if [ "$rc1" -eq 3 ] && [ "$rc2" -eq 3 ] && grep -q "fatal EINTR at iteration" "$tmp/a"; then
	ok eintr_breaks_fragile_loop
else
	nok eintr_breaks_fragile_loop "rc $rc1/$rc2: $(flat "$tmp/a")"
fi
equal eintr_same_seed_same_call "$(cat "$tmp/a")" "$(cat "$tmp/b")" run1 run2
$T "$INTERPOLL" -- "$fatal" >"$tmp/c" 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok no_injection_no_fault || nok no_injection_no_fault "rc $rc: $(flat "$tmp/c")"

# 2. A loop written for every legal fault loses nothing under all of them,
#    and the faults are counted.
$T "$INTERPOLL" --stats=json --inject=eintr=0.3,split=0.3,stale=0.3,delay=2ms,enospc=0.2,enomem=0.2,seed=11 \
	-- "$robust" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] && ok robust_loop_survives || nok robust_loop_survives "rc $rc: $(flat "$tmp/out") $(flat "$tmp/err")"
stats=$(grep '^{"syscalls"' "$tmp/err")
if python3 -c '
import json, sys
inj = json.loads(sys.argv[1])["injected"]
sys.exit(0 if inj["eintr"] > 0 and inj["delay"] > 0 and inj["split"] > 0 else 1)' "$stats"; then
	ok faults_counted_in_stats
else
	nok faults_counted_in_stats "$(oneline "$stats")"
fi

# 3. The trace marks each injected fault and names the seed.
$T "$INTERPOLL" --trace="$tmp/trace" --inject=eintr=0.02,seed=7 -- "$fatal" >/dev/null 2>&1
if grep -q '^# interpoll --inject seed=7' "$tmp/trace" &&
	grep -q 'EINTR.*\[injected eintr\]\|\[injected eintr\].*EINTR' "$tmp/trace"; then
	ok trace_marks_faults
else
	nok trace_marks_faults "$(grep -m3 -n 'inject' "$tmp/trace" | tr '\n' '|')"
fi
$T "$INTERPOLL" -v --inject=eintr=0.5 -- true 2>"$tmp/v" >/dev/null
grep -q 'interpoll: --inject seed=[0-9]' "$tmp/v" && ok seed_printed_under_v || nok seed_printed_under_v "$(flat "$tmp/v")"

# 4. emfile on eventfd, as at the fd limit; and eintr in the poll family
#    (only when nothing is ready: Python retries, as PEP 475 says).
out=$($T "$INTERPOLL" --inject=emfile=1 -- python3 -c '
import os, errno
try:
    os.eventfd(0)
    print("created")
except OSError as e:
    print(errno.errorcode[e.errno])' 2>&1)
equal emfile_on_eventfd "$out" EMFILE want got
$T "$INTERPOLL" --stats=json --inject=eintr=1,seed=3 -- python3 -c '
import os, select
r, w = os.pipe()
p = select.poll()
p.register(r, select.POLLIN)
assert p.poll(30) == []
os.write(w, b"x")
assert p.poll(1000) == [(r, select.POLLIN)]
print("poll ok")' >"$tmp/out" 2>"$tmp/err"
rc=$?
stats=$(grep '^{"syscalls"' "$tmp/err")
if [ "$rc" -eq 0 ] && python3 -c '
import json, sys
sys.exit(0 if json.loads(sys.argv[1])["injected"]["eintr"] > 0 else 1)' "$stats"; then
	ok poll_eintr_only_when_nothing_ready
else
	nok poll_eintr_only_when_nothing_ready "rc $rc $(flat "$tmp/out") $(oneline "$stats")"
fi

# 5. A bad spec is a usage error.
$T "$INTERPOLL" --inject=eintr=2 -- true >/dev/null 2>&1
[ $? -eq 2 ] && ok bad_probability_rejected || nok bad_probability_rejected "not exit 2"
$T "$INTERPOLL" --inject=bogus=1 -- true >/dev/null 2>&1
[ $? -eq 2 ] && ok unknown_fault_rejected || nok unknown_fault_rejected "not exit 2"

finish
