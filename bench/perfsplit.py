#!/usr/bin/env python3
"""perfsplit.py: where a system-wide profile's time went, per process, per
operation.

    perf record -a -g -e cpu-clock -o A.data -- sleep 3   (while a bench runs)
    bench/perfsplit.py A.data RATE [COMM] [--top N] [--incl SYM,SYM...]
    bench/perfsplit.py --diff A.data RATE_A B.data RATE_B COMM [--top N]

RATE is the bench's operations per second during the recording (1e6 divided
by its microseconds per operation). Each sample stands for the sampling
period (cpu-clock: 1/4000 s by default), so a process's samples divided by
the operations in the recorded span give its CPU time per operation, and
the same for each function on top of its stacks (the leaf). --incl gives
the share of the process's samples whose stack holds each symbol anywhere
(a system call's entry point, say). --diff prints the functions whose time
per operation differs most between two recordings (interpoll against
--mechanism-only, say).

`perf report --comm` was not used for this: with call graphs it kept
other processes' samples in its percentages.
"""
import argparse
import collections
import os
import subprocess


def load(path):
    """Per-process sample counts, leaf counts and inclusive counts."""
    out = subprocess.run(
        ["perf", "script", "-i", path, "-F", "comm,time,ip,sym"],
        capture_output=True, text=True, check=True).stdout
    total = collections.Counter()
    leaf = collections.Counter()
    incl = collections.Counter()
    times = []
    for block in out.split("\n\n"):
        lines = [l for l in block.split("\n") if l.strip()]
        if len(lines) < 2:
            continue
        head = lines[0].split()
        comm = head[0]
        try:
            times.append(float(head[-1].rstrip(":")))
        except ValueError:
            pass
        frames = [l.split()[1] if len(l.split()) > 1 else "?" for l in lines[1:]]
        total[comm] += 1
        leaf[(comm, frames[0])] += 1
        for f in set(frames):
            incl[(comm, f)] += 1
    span = max(times) - min(times) if len(times) > 1 else 0.0
    return total, leaf, incl, span


def period(total, span):
    """Seconds per sample: the span covers every CPU."""
    n = sum(total.values())
    return span * (os.cpu_count() or 1) / n if n else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("args", nargs="+")
    ap.add_argument("--diff", action="store_true")
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--incl", default="")
    o = ap.parse_args()
    if o.diff:
        a, ra, b, rb, comm = o.args
        ta, la, _, sa = load(a)
        tb, lb, _, sb = load(b)
        pa, pb = period(ta, sa), period(tb, sb)
        us_a = lambda f: la[(comm, f)] * pa * 1e6 / (sa * float(ra))
        us_b = lambda f: lb[(comm, f)] * pb * 1e6 / (sb * float(rb))
        print(f"{comm}: {ta[comm] * pa * 1e6 / (sa * float(ra)):.3f} µs per "
              f"operation in A, {tb[comm] * pb * 1e6 / (sb * float(rb)):.3f} in B")
        fs = {f for (c, f) in la if c == comm} | {f for (c, f) in lb if c == comm}
        for f in sorted(fs, key=lambda f: -abs(us_a(f) - us_b(f)))[:o.top]:
            print(f"{us_a(f) - us_b(f):+8.3f}  A {us_a(f):7.3f}  B {us_b(f):7.3f}  {f}")
        return
    path, rate = o.args[0], float(o.args[1])
    comm = o.args[2] if len(o.args) > 2 else "interpoll"
    total, leaf, incl, span = load(path)
    per = period(total, span)
    n = sum(total.values())
    print(f"{n} samples over {span:.2f} s")
    for c, k in total.most_common(6):
        print(f"  {c:16s} {100 * k / n:6.2f}%  {k * per * 1e6 / (span * rate):8.3f} µs per operation")
    print(f"-- {comm}: functions on top of its stacks")
    tops = [(f, k) for (c, f), k in leaf.items() if c == comm]
    for f, k in sorted(tops, key=lambda x: -x[1])[:o.top]:
        print(f"  {100 * k / total[comm]:6.2f}%  {f}")
    if o.incl:
        print(f"-- {comm}: samples with the symbol anywhere on the stack")
        for f in o.incl.split(","):
            print(f"  {100 * incl[(comm, f)] / max(total[comm], 1):6.2f}%  {f}")


if __name__ == "__main__":
    main()
