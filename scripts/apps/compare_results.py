#!/usr/bin/env python3
"""compare_results.py FORMAT NATIVE INTERPOLL

Compares per-test-case results of one test run natively and one under
interpoll. FORMAT is `junit` (CPython's `python -m test --junit-xml`) or
`tap` (GLib's test binaries: `ok N /path`, `not ok N /path`, `# SKIP`).

Prints one line per group of cases (junit: per test module, the case name
less its class and method; tap: the whole file), tab-separated:
  group  native-summary  interpoll-summary  REGRESSED-ids  IMPROVED-ids
where a summary is "P passed, F failed, S skipped" and the id lists are
space-separated (REGRESSED: passed natively, not under interpoll — failed,
errored, skipped or missing; IMPROVED: the reverse). A file that is missing
or unreadable counts as no results. Exit status 0."""
import re
import sys
import xml.etree.ElementTree as ET


RANK = {"skipped": 0, "passed": 1, "failed": 2}


def junit(path):
    res = {}
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return res
    for tc in root.iter("testcase"):
        name = tc.get("name")
        tags = {k.tag for k in tc}
        if "failure" in tags:
            st = "failed"
        elif "error" in tags:
            st = "failed"
        elif "skipped" in tags:
            st = "skipped"
        else:
            st = "passed"
        # a case reported twice keeps its worst result
        if RANK[st] >= RANK.get(res.get(name), -1):
            res[name] = st
    return res


TAP = re.compile(r"^(not ok|ok) \d+ (\S+)?(.*)$")


def tap(path):
    res = {}
    try:
        lines = open(path, errors="replace").read().splitlines()
    except OSError:
        return res
    for ln in lines:
        m = TAP.match(ln)
        if not m:
            continue
        name = m.group(2) or "#" + ln
        name = re.sub(r"seed:\d+", "seed:*", name)  # randomised cases (-seed)
        rest = m.group(3)
        if "# SKIP" in rest or "# skip" in rest:
            st = "skipped"
        elif m.group(1) == "ok" or "# TODO" in rest:
            st = "passed"
        else:
            st = "failed"
        res[name] = st
    return res


def group_of(fmt, name):
    if fmt == "tap":
        return ""
    parts = name.split(".")
    return ".".join(parts[:-2]) if len(parts) > 2 else name


def summary(res, names):
    c = {"passed": 0, "failed": 0, "skipped": 0}
    for n in names:
        if n in res:
            c[res[n]] += 1
    return "%d passed, %d failed, %d skipped" % (c["passed"], c["failed"], c["skipped"])


def main():
    fmt, npath, ipath = sys.argv[1:4]
    load = junit if fmt == "junit" else tap
    nat, ipl = load(npath), load(ipath)
    groups = {}
    for n in list(nat) + list(ipl):
        groups.setdefault(group_of(fmt, n), set()).add(n)
    for g in sorted(groups):
        names = sorted(groups[g])
        regressed = [n for n in names if nat.get(n) == "passed" and ipl.get(n) != "passed"]
        improved = [n for n in names if ipl.get(n) == "passed" and nat.get(n) != "passed"]
        print("\t".join([g or "-", summary(nat, [n for n in names if n in nat]),
                         summary(ipl, [n for n in names if n in ipl]),
                         " ".join(regressed), " ".join(improved)]))


if __name__ == "__main__":
    main()
