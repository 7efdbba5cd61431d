#!/bin/sh
# profile.sh: the loop profile of --stats and the --timeline file.
#
# Run: INTERPOLL=/path/to/interpoll TESTBIN=build/tests/c sh tests/runner/profile.sh
# Prints "ok - NAME" or "FAIL - NAME: DETAIL" per case, then
# "N passed, M failed"; exits non-zero when a case failed.

. "$(dirname "$0")/lib/runner.sh"
runner_setup profile
bound 60

prog="$TESTBIN/loop_paced_20ms"
$T "$INTERPOLL" --stats=json --timeline="$tmp/tl.json" -- "$prog" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] && ok program_passes || nok program_passes "rc $rc: $(flat "$tmp/out")"

# 1. A loop that sleeps 20 ms between waits: callback time p50 within 10%
#    of 20 ms, for both threads; one event per wait; the eventfd busiest.
stats=$(grep '^{"syscalls"' "$tmp/err")
if python3 - "$stats" <<'PY'; then
import json, sys
loops = json.loads(sys.argv[1])["loops"]
assert len(loops) == 2, loops
for l in loops:
    assert l["waits"] == 30, l
    assert abs(l["callback_us"]["p50"] - 20000) <= 2000, l
    assert l["events_per_wait"] == 1, l
    assert l["utilisation"] > 0.9, l
    assert l["top_fds"][0]["type"] == "eventfd" and l["top_fds"][0]["events"] == 30, l
PY
	ok callback_time_20ms
else
	nok callback_time_20ms "$(oneline "$stats")"
fi

# 2. The timeline is trace-event JSON with one track per thread: a name
#    for each, and its waits and runs on it.
if python3 - "$tmp/tl.json" <<'PY'; then
import json, sys
ev = json.load(open(sys.argv[1]))
assert isinstance(ev, list)
names = {(e["pid"], e["tid"]) for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
tracks = {(e["pid"], e["tid"]) for e in ev if e["ph"] in ("X", "i")}
assert len(names) == 2 and tracks == names, (names, tracks)
for tr in tracks:
    waits = [e for e in ev if (e["pid"], e["tid"]) == tr and e.get("cat") == "wait"]
    runs = [e for e in ev if (e["pid"], e["tid"]) == tr and e.get("cat") == "run"]
    assert len(waits) == 30 and len(runs) == 29, (len(waits), len(runs))
    for e in waits + runs:
        assert e["ts"] >= 0 and e["dur"] >= 0
    assert all(18000 <= r["dur"] <= 30000 for r in runs), [r["dur"] for r in runs]
    ready = [e for e in ev if (e["pid"], e["tid"]) == tr and e["name"] == "ready"]
    assert len(ready) == 30 and all("fd" in e["args"] for e in ready)
PY
	ok timeline_one_track_per_thread
else
	nok timeline_one_track_per_thread "$(head -c 300 "$tmp/tl.json" | tr '\n' ' ')"
fi

# 3. Text form, and an unwritable timeline is reported, not fatal.
$T "$INTERPOLL" --stats -- "$prog" >/dev/null 2>"$tmp/err"
grep -q 'callback time p50' "$tmp/err" && grep -q 'busiest fds:' "$tmp/err" &&
	ok text_profile || nok text_profile "$(flat "$tmp/err" 400)"
$T "$INTERPOLL" --timeline=/nonexistent/dir/tl.json -- "$prog" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] && grep -q 'cannot open timeline' "$tmp/err" &&
	ok bad_timeline_path_reported || nok bad_timeline_path_reported "rc $rc $(flat "$tmp/err")"

finish
