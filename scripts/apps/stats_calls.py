#!/usr/bin/env python3
"""stats_calls.py FILE: the number of system calls interpoll serviced, from
the last `--stats=json` report in FILE (interpoll prints it on stderr at
exit, possibly after the program's own output). Prints -1 when there is no
report (interpoll did not run, or died before its exit)."""
import json
import sys

try:
    text = open(sys.argv[1], errors="replace").read()
except OSError:
    text = ""
at = text.rfind('{"syscalls":')
total = -1
if at >= 0:
    try:
        report, _ = json.JSONDecoder().raw_decode(text[at:])
        total = sum(v.get("calls", 0) for v in report["syscalls"].values())
    except (ValueError, KeyError, AttributeError):
        total = -1
print(total)
