#!/usr/bin/env python3
"""report.py OUTDIR: aggregate OUTDIR/raw.tsv into OUTDIR/results.md and the
data files that bench/plots.gp draws.

raw.tsv lines: MODE REP NAME VALUE UNIT (tab-separated), MODE being
"native" or "interpoll". Every figure is the median over the repetitions,
with the spread (min-max); ratios are interpoll / native.
OUTDIR/strace/<label>.txt (strace -c of the supervisor) with
OUTDIR/strace/<label>.calls (guest calls made while it was attached) give
the supervisor's system calls per guest call.
OUTDIR/machine.txt holds lines "key: value" about the machine and the run.
"""
import os
import re
import statistics
import sys

# (name, description); order of the table. "@" rows are derived.
ROWS = [
    ("## Bare call and the seccomp floor", None),
    ("floor_epoll_wait_empty", "epoll_wait(ep, ev, 1, 0), empty instance, 100k calls"),
    ("floor_sup_getppid", "seccomp floor: minimal supervisor, SYNC_WAKE_UP, RECV+SEND (run natively)"),
    ("floor_sup_getppid_epoll", "same floor + epoll_wait on the listener before each RECV"),
    ("floor_sup_getppid_kcmp", "same + one kcmp(KCMP_EPOLL_TFD) per call, as interpoll confirms an instance"),
    ("floor_sup_getppid_nosync", "same floor without SYNC_WAKE_UP (20k calls)"),
    ("floor_sup_getppid_addfd", "same floor answered with ADDFD|SEND of an fd (+ close), as eventfd() was before it was handed back"),
    ("@floor_ratio", "bare call: interpoll / seccomp floor (target <= 1.3)"),
    ("syscall_getppid", "raw getppid, never intercepted (seccomp filter cost)"),
    ("## Supervisor building blocks: each system call it makes, timed natively", None),
    ("sc_getppid", "getppid (a trivial system call, for scale)"),
    ("sc_kcmp_epoll_tfd", "kcmp(KCMP_EPOLL_TFD) against another process"),
    ("sc_epoll_wait_empty", "epoll_wait(0) on an empty epoll"),
    ("sc_epoll_wait_handle_ready", "epoll_wait(0) on a handle: re-poll one ready file"),
    ("sc_process_vm_readv_12", "process_vm_readv, 12 bytes"),
    ("sc_process_vm_writev_12", "process_vm_writev, 12 bytes"),
    ("sc_proc_mem_pread_12", "pread of /proc/<pid>/mem opened once, 12 bytes (not used: it reads through PROT_NONE)"),
    ("sc_proc_mem_pwrite_12", "pwrite of /proc/<pid>/mem opened once, 12 bytes (not used: it writes through read-only pages)"),
    ("sc_pidfd_getfd_close", "pidfd_getfd + close"),
    ("sc_fstat", "fstat"),
    ("sc_prlimit64", "prlimit64 of another process"),
    ("sc_eventfd_close", "eventfd + close"),
    ("sc_epoll_create1_close", "epoll_create1 + close"),
    ("sc_watch_create_close", "a watch: epoll_create1, 2 epoll_ctl ADD, close"),
    ("sc_epoll_ctl_add_del", "epoll_ctl ADD + DEL"),
    ("sc_proc_status_read", "open + read + close /proc/<pid>/status"),
    ("## Per call", None),
    ("epoll_ctl_add", "epoll_ctl ADD (1000 pipe read ends)"),
    ("epoll_ctl_mod", "epoll_ctl MOD, mask EPOLLIN <-> EPOLLIN|EPOLLOUT"),
    ("epoll_ctl_mod_data", "epoll_ctl MOD, same mask, new data"),
    ("epoll_ctl_del", "epoll_ctl DEL"),
    ("epoll_wait_ready_1", "epoll_wait returning 1 event (LT eventfds)"),
    ("epoll_wait_ready_16", "epoll_wait returning 16 events"),
    ("epoll_wait_ready_256", "epoll_wait returning 256 events"),
    ("poll_1", "poll(timeout 0) over 1 pipe fd"),
    ("poll_100", "poll(timeout 0) over 100 pipe fds"),
    ("poll_10000", "poll(timeout 0) over 10,000 pipe fds"),
    ("eventfd_create_close", "eventfd() + close()"),
    ("## Wake-up latency (one way)", None),
    ("lat_threads_median", "2 threads, eventfds + epoll_wait: median"),
    ("lat_threads_p99", "2 threads, eventfds + epoll_wait: p99"),
    ("lat_procs_median", "2 processes, pipes + epoll_wait: median"),
    ("lat_procs_p99", "2 processes, pipes + epoll_wait: p99"),
    ("spin_round_us", "2 spinning threads: MOD in one wakes epoll_wait in the other, per round"),
    ("## Signal latency: from sending to the handler of a blocked epoll_wait", None),
    ("siglat_thread_p50", "a sibling thread's pthread_kill: median"),
    ("siglat_thread_p99", "a sibling thread's pthread_kill: p99"),
    ("siglat_process_p50", "another guest process's kill: median"),
    ("siglat_process_p99", "another guest process's kill: p99"),
    ("siglat_child_p50", "a child's exit (SIGCHLD): median"),
    ("siglat_child_p99", "a child's exit (SIGCHLD): p99"),
    ("siglat_itimer_p50", "setitimer expiry (SIGALRM): median"),
    ("siglat_itimer_p99", "setitimer expiry (SIGALRM): p99"),
    ("siglat_outside_p50", "kill from outside the sandbox: median"),
    ("siglat_outside_p99", "kill from outside the sandbox: p99"),
    ("## Churn: 100,000 instances made and closed without DEL", None),
    ("churn_instances_per_s", "instances per second (each: epoll_create1, eventfd, dup, 2 ADD, 3 close)"),
    ("churn_sup_peak_fds", "supervisor's peak fd count (under interpoll; natively: the parent shell's)"),
    ("churn_sup_hwm_kb", "supervisor's peak RSS (VmHWM; natively: the parent's)"),
    ("## An idle-heavy loop: 100 busy connections among 10,000 idle ones", None),
    ("idle_loop_rps", "answers per second (one byte each way, level-triggered)"),
    ("idle_loop_events_per_wait", "events per epoll_wait"),
    ("## The same loop, its busy connections registered among the idle ones", None),
    ("idle_spread_rps", "answers per second (one byte each way, level-triggered)"),
    ("idle_spread_events_per_wait", "events per epoll_wait"),
    ("## The longest call: back-to-back epoll_wait(0) while 10,000 idle entries are held", None),
    ("stall_median_us", "median call"),
    ("stall_p999_us", "p99.9 call"),
    ("stall_max_us", "longest call (3 s)"),
    ("## Scaling: 1 ready fd among N registered", None),
    ("scale_wait_N10", "epoll_wait, N = 10"),
    ("scale_wait_N1000", "epoll_wait, N = 1,000"),
    ("scale_wait_N10000", "epoll_wait, N = 10,000"),
    ("scale_wait_N100000", "epoll_wait, N = 100,000 (helper processes hold most fds)"),
    ("@wait_ratio", "epoll_wait N = 100,000 / N = 10 (target <= 1.2)"),
    ("scale_wait_Nmax", "epoll_wait, N = one process's fd limit"),
    ("scale_n_N100000", "N measured at (below 100,000 only if an ADD failed)"),
    ("scale_n_Nmax", "largest N measured at in one process"),
    ("scale_peak_Nmax", "most registrations held at once"),
    ("scale_add_failed_N100000", "errno of the ADD that failed on the way (24 = EMFILE)"),
    ("scale_add_failed_Nmax", "errno of the ADD that failed on the way (24 = EMFILE)"),
    ("scale_add_N10", "epoll_ctl ADD at N = 10"),
    ("scale_add_N1000", "epoll_ctl ADD at N = 1,000"),
    ("scale_add_N10000", "epoll_ctl ADD at N = 10,000"),
    ("scale_add_N100000", "epoll_ctl ADD at N = 100,000"),
    ("scale_add_Nmax", "epoll_ctl ADD at N = one process's fd limit"),
    ("scale_del_N10", "epoll_ctl DEL at N = 10"),
    ("scale_del_N1000", "epoll_ctl DEL at N = 1,000"),
    ("scale_del_N10000", "epoll_ctl DEL at N = 10,000"),
    ("scale_del_N100000", "epoll_ctl DEL at N = 100,000"),
    ("scale_del_Nmax", "epoll_ctl DEL at N = one process's fd limit"),
    ("scale_fill_add_N10", "mean ADD while filling 1..10"),
    ("scale_fill_add_N1000", "mean ADD while filling 1..1,000"),
    ("scale_fill_add_N10000", "mean ADD while filling 1..10,000"),
    ("scale_fill_add_N100000", "mean ADD while filling 1..100,000"),
    ("scale_fill_add_Nmax", "mean ADD while filling 1..one process's fd limit"),
    ("sup_rss_per_reg_N1000", "supervisor VmRSS per registration, N = 1,000"),
    ("sup_rss_per_reg_N10000", "supervisor VmRSS per registration, N = 10,000"),
    ("sup_rss_per_reg_N100000", "supervisor VmRSS per registration, N = 100,000"),
    ("sup_rss_per_reg_Nmax", "supervisor VmRSS per registration, N = one process's fd limit"),
    ("sup_fds_per_reg_N10000", "supervisor fds per registration, N = 10,000"),
    ("sup_fds_per_reg_N100000", "supervisor fds per registration, N = 100,000"),
    ("sup_fds_per_reg_Nmax", "supervisor fds per registration, N = one process's fd limit"),
    ("## 1,000 threads blocked in epoll_wait on one instance", None),
    ("threads_1000_create_ms", "create 1,000 threads, all blocked"),
    ("threads_1000_wake_ms", "one LT eventfd write until all 1,000 returned"),
    ("threads_1000_sup_cpu_create_ms", "supervisor CPU while they were created"),
    ("threads_1000_sup_cpu_hold1_ms_per_s", "supervisor CPU while all 1,000 stay blocked: 1st second"),
    ("threads_1000_sup_cpu_hold2_ms_per_s", "supervisor CPU while all 1,000 stay blocked: 2nd second"),
    ("threads_1000_sup_cpu_wake_ms", "supervisor CPU for the wake-up"),
    ("## Real servers (client native, 127.0.0.1)", None),
    ("redis_set_rps", "redis-benchmark SET, 50 clients, 100k requests"),
    ("redis_get_rps", "redis-benchmark GET, 50 clients, 100k requests"),
    ("nginx_rps", "nginx static 1 KiB file, wrk -t2 -c50 -d10s"),
    ("nginx_errors", "wrk socket errors + non-2xx responses"),
    ("nginx_close_rps", "nginx, the same with Connection: close (a connection per request)"),
    ("nginx_close_errors", "wrk socket errors + non-2xx responses (Connection: close)"),
    ("memcached_tps", "memcached, memcaslap -T2 -c50, 10 s (90% get, 10% set)"),
    ("## Intercepted calls per request (one more run under interpoll --stats)", None),
    ("redis_calls_per_req", "redis-benchmark SET + GET"),
    ("nginx_calls_per_req", "nginx keep-alive"),
    ("nginx_close_calls_per_req", "nginx Connection: close"),
    ("memcached_calls_per_req", "memcached"),
    ("idle_calls_per_req", "the idle-heavy loop"),
]


def load(outdir):
    data, units = {}, {}
    with open(os.path.join(outdir, "raw.tsv")) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 5:
                continue
            mode, rep, name, value, unit = parts
            # The --stats runs are slower (every call is timed): only
            # their call counts are reported, in the interpoll column.
            if mode == "stats":
                if not name.endswith("_calls_per_req"):
                    continue
                mode = "interpoll"
            try:
                v = float(value)
            except ValueError:
                continue
            data.setdefault((name, mode), []).append((int(rep), v))
            units[name] = unit
    return data, units


def stats(vals):
    if not vals:
        return None
    xs = [v for _, v in vals]
    return statistics.median(xs), min(xs), max(xs)


def fmt(x):
    if x is None:
        return "—"
    ax = abs(x)
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 100:
        return f"{x:.1f}"
    if ax >= 10:
        return f"{x:.2f}"
    return f"{x:.3f}"


def spread(s):
    return "—" if s is None else f"{fmt(s[1])}–{fmt(s[2])}"


def ratio_stats(data, num, den):
    """Per-repetition ratio num/den where both exist; (median, min, max)."""
    a = dict(data.get(num, []))
    b = dict(data.get(den, []))
    rs = [a[r] / b[r] for r in a if r in b and b[r]]
    if not rs:
        return None
    return statistics.median(rs), min(rs), max(rs)


def med(data, name, mode):
    s = stats(data.get((name, mode), []))
    return None if s is None else s[0]


def table(data, units):
    out = []
    head = ("| benchmark | native median | interpoll median | ratio (interpoll/native) "
            "| native spread (min–max) | interpoll spread (min–max) | unit |")
    sep = "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
    seen = set()
    names = {n for n, _ in data}

    def row(name, desc):
        seen.add(name)
        n = stats(data.get((name, "native"), []))
        i = stats(data.get((name, "interpoll"), []))
        if n is None and i is None:
            return None
        r = "—"
        if n and i and n[0]:
            rr = i[0] / n[0]
            r = f"{rr:.2f}"
        return (f"| {desc} (`{name}`) | {fmt(n and n[0])} | {fmt(i and i[0])} | {r} "
                f"| {spread(n)} | {spread(i)} | {units.get(name, '')} |")

    sections = []  # (title, [rows])
    for name, desc in ROWS:
        if desc is None:
            sections.append((name.replace("## ", ""), []))
            continue
        if name == "@wait_ratio":
            n = ratio_stats(data, ("scale_wait_N100000", "native"),
                            ("scale_wait_N10", "native"))
            i = ratio_stats(data, ("scale_wait_N100000", "interpoll"),
                            ("scale_wait_N10", "interpoll"))
            if n or i:
                sections[-1][1].append(
                    f"| {desc} (per repetition) | {fmt(n and n[0])} | {fmt(i and i[0])} | — "
                    f"| {spread(n)} | {spread(i)} | x |")
            continue
        if name == "@floor_ratio":
            rs = ratio_stats(data, ("floor_epoll_wait_empty", "interpoll"),
                             ("floor_sup_getppid", "native"))
            if rs:
                sections[-1][1].append(
                    f"| {desc} | — | — | {rs[0]:.2f} | — | {fmt(rs[1])}–{fmt(rs[2])} "
                    f"(per repetition) | x |")
            continue
        line = row(name, desc)
        if line:
            sections[-1][1].append(line)
    # N itself for the fixed sizes, and per-registration figures where N is
    # too small for page-granular VmRSS, say nothing
    quiet = re.compile(r"^(scale_(n|peak)_N\d+|sup_(rss|fds)_per_reg_N(10|1000|10000)"
                       r"|sup_fds_per_reg_N\d+)$")
    rest = sorted(n for n in names - seen if not quiet.match(n))
    if rest:
        sections.append(("Other lines", [r for r in (row(n, n) for n in rest) if r]))
    for title, rows in sections:
        if rows:
            out += ["", f"**{title}**", "", head, sep] + rows
    return "\n".join(out)


def verdict(ok):
    return "**met**" if ok else "**not met**"


def beyond(data, name, i, floor_s):
    """A handed-back call's figure beside the kernel's own call and beside
    a supervisor that only answers CONTINUE (--mechanism-only)."""
    out = []
    n, m = med(data, name, "native"), med(data, name, "mechanism")
    if n:
        out.append(f"beyond the native call: ({i:.2f} − {n:.2f}) / {floor_s:.2f} "
                   f"= {(i - n) / floor_s:.2f}x")
    if m:
        out.append(f"against the same call under --mechanism-only: "
                   f"{i:.2f} / {m:.2f} = {i / m:.2f}x")
    return "; " + "; ".join(out) if out else ""


def per_call_targets(data, floor_s):
    """Issue #13's per-call targets, each against the seccomp round-trip
    floor (floor_sup_getppid) of the same run."""
    rows = []
    if not floor_s:
        return rows
    for name, desc, limit, handed_back in (
            ("floor_epoll_wait_empty",
             "a call handed back to the kernel (epoll_wait(0), empty instance)", 1.1, 1),
            ("epoll_wait_ready_1", "epoll_wait returning 1 event", 1.3, 0),
            ("epoll_wait_ready_16", "epoll_wait returning 16 events", 1.3, 0),
            ("epoll_ctl_add", "epoll_ctl ADD", 1.5, 0),
            ("epoll_ctl_mod", "epoll_ctl MOD, new mask", 1.5, 0),
            ("epoll_ctl_mod_data", "epoll_ctl MOD, same mask", 1.5, 0),
            ("epoll_ctl_del", "epoll_ctl DEL", 1.5, 0),
            ("eventfd_create_close", "eventfd() + close() (handed back)", 1.5, 1)):
        i = med(data, name, "interpoll")
        if not i:
            continue
        r = i / floor_s
        extra = beyond(data, name, i, floor_s) if handed_back else ""
        rows.append((f"{desc} <= {limit}x the floor",
                     f"{i:.2f} µs / {floor_s:.2f} µs = {r:.2f}x{extra}", r <= limit))
    return rows


def targets(data):
    rows = []
    floor_i = med(data, "floor_epoll_wait_empty", "interpoll")
    floor_s = med(data, "floor_sup_getppid", "native")
    if floor_i and floor_s:
        r = floor_i / floor_s
        rows.append(("bare intercepted call <= 1.3x the seccomp floor",
                     f"{floor_i:.2f} µs / {floor_s:.2f} µs = {r:.2f}x", r <= 1.3))
    rows += per_call_targets(data, floor_s)
    # N = 100,000 (helper processes); older runs only reached one
    # process's fd limit ("max").
    big = "N100000" if med(data, "scale_wait_N100000", "interpoll") else "Nmax"
    nbig = med(data, f"scale_n_{big}", "interpoll")
    at = (f"measured at N = {nbig:,.0f}" if big == "N100000" else
          f"measured at the largest N reached, {nbig or 0:,.0f}: the fd limit")
    w10 = med(data, "scale_wait_N10", "interpoll")
    wbig = med(data, f"scale_wait_{big}", "interpoll")
    if w10 and wbig and nbig:
        r = wbig / w10
        rows.append((f"1 ready among 100,000 <= 1.2x among 10 ({at})",
                     f"{wbig:.2f} µs / {w10:.2f} µs = {r:.2f}x", r <= 1.2))
    for op in ("add", "del"):
        a10 = med(data, f"scale_{op}_N10", "interpoll")
        abig = med(data, f"scale_{op}_{big}", "interpoll")
        if a10 and abig and nbig:
            r = abig / a10
            rows.append((f"epoll_ctl {op.upper()} flat to 100,000 (<= 1.2x of N = 10; {at})",
                         f"{abig:.2f} µs / {a10:.2f} µs = {r:.2f}x", r <= 1.2))
    mem = med(data, f"sup_rss_per_reg_{big}", "interpoll") or \
        med(data, "sup_rss_per_reg_N10000", "interpoll")
    fds = med(data, f"sup_fds_per_reg_{big}", "interpoll")
    if mem is not None:
        extra = "" if fds is None else f"; {fds:.3f} supervisor fds per registration"
        rows.append(("<= 512 bytes of supervisor memory per registered fd",
                     f"{mem:.0f} bytes (VmRSS, {at}{extra})", mem <= 512))
    for name, desc in (("redis_set_rps", "redis SET"), ("redis_get_rps", "redis GET"),
                       ("nginx_rps", "nginx"), ("nginx_close_rps", "nginx Connection: close"),
                       ("memcached_tps", "memcached")):
        n, i = med(data, name, "native"), med(data, name, "interpoll")
        mo = med(data, name, "mechanism")
        if n and i:
            r = i / n
            rows.append((f"{desc} >= 80% of native",
                         f"{i:,.0f} / {n:,.0f} req/s = {100 * r:.0f}%", r >= 0.8))
        if mo and i:
            r = i / mo
            rows.append((f"{desc} >= 90% of the mechanism alone (--mechanism-only)",
                         f"{i:,.0f} / {mo:,.0f} req/s = {100 * r:.0f}% "
                         f"(mechanism alone: {100 * mo / n:.0f}% of native)" if n else
                         f"{i:,.0f} / {mo:,.0f} req/s = {100 * r:.0f}%", r >= 0.9))
    for name, desc in (("idle_loop_rps", "idle-heavy loop"),
                       ("idle_spread_rps", "idle-heavy loop, busy connections spread")):
        n, i = med(data, name, "native"), med(data, name, "interpoll")
        mo = med(data, name, "mechanism")
        if n and i:
            r = i / n
            also = f" (the mechanism alone: {100 * mo / n:.0f}%)" if mo else ""
            rows.append((f"{desc} >= 90% of native",
                         f"{i:,.0f} / {n:,.0f} answers/s = {100 * r:.0f}%{also}", r >= 0.9))
    # Latencies against twice native plus one round trip of the floor.
    lat = [(f"lat_{m}_median", f"wake-up latency ({m})", ".2f")
           for m in ("threads", "procs")]
    lat += [(f"siglat_{s}_p50", f"signal latency ({s})", ".1f")
            for s in ("thread", "process", "child", "itimer")]
    for name, desc, f in lat:
        n, i = med(data, name, "native"), med(data, name, "interpoll")
        if n and i and floor_s:
            bound = 2 * n + floor_s
            rows.append((f"{desc} <= 2x native + one round trip",
                         f"{i:{f}} µs vs 2 x {n:{f}} + {floor_s:.2f} = {bound:{f}} µs",
                         i <= bound))
    i = med(data, "siglat_outside_p99", "interpoll")
    if i:
        # The documented bound: one 20 ms interval between looks, plus the
        # look and the wake-ups themselves (well under 1 ms).
        rows.append(("signal latency (outside) p99 <= the documented bound "
                     "(20 ms between looks + 1 ms)",
                     f"{i / 1000:.1f} ms", i <= 21000))
    out = ["| target | measured (medians) | verdict |", "| --- | --- | --- |"]
    for t, m, ok in rows:
        out.append(f"| {t} | {m} | {verdict(ok)} |")
    return "\n".join(out), rows


def parse_strace(path):
    counts = {}
    with open(path) as f:
        for line in f:
            t = line.split()
            if len(t) < 5 or not t[0][0].isdigit() or t[-1] == "total":
                continue
            try:
                counts[t[-1]] = int(t[3])
            except ValueError:
                pass
    return counts


def syscall_profile(outdir, data):
    d = os.path.join(outdir, "strace")
    if not os.path.isdir(d):
        return ""

    def sc(name):
        return med(data, name, "native")

    floor = sc("floor_sup_getppid")
    floor_ep = sc("floor_sup_getppid_epoll")
    first_wait = floor_ep - floor if floor and floor_ep else None
    unit = {
        "kcmp": sc("sc_kcmp_epoll_tfd"),
        "process_vm_readv": sc("sc_process_vm_readv_12"),
        "process_vm_writev": sc("sc_process_vm_writev_12"),
        "pidfd_getfd": sc("sc_pidfd_getfd_close"),
        "newfstatat": sc("sc_fstat"),
        "fstat": sc("sc_fstat"),
        "prlimit64": sc("sc_prlimit64"),
        "eventfd2": sc("sc_eventfd_close"),
        "epoll_create1": sc("sc_epoll_create1_close"),
        "epoll_ctl": (sc("sc_epoll_ctl_add_del") or 0) / 2 or None,
        "openat": sc("sc_proc_status_read"),
        "close": 0.0,  # in the pairs above
        "read": 0.0,
        "timerfd_settime": 0.0,
    }
    out = []
    for fn in sorted(os.listdir(d)):
        if not fn.endswith(".txt"):
            continue
        label = fn[:-4]
        try:
            with open(os.path.join(d, label + ".calls")) as f:
                desc, calls, bench = f.read().strip().split("\t")
                calls = int(calls)
        except (OSError, ValueError):
            continue
        c = parse_strace(os.path.join(d, fn))
        # the guest's exit, not its calls
        for k in ("wait4", "waitid", "exit_group"):
            c.pop(k, None)
        if not c or not calls:
            continue
        per = {k: v / calls for k, v in c.items()}
        total = sum(per.values())
        parts = [f"{k} {v:.2f}" for k, v in
                 sorted(per.items(), key=lambda kv: -kv[1]) if v >= 0.005]
        # Estimate: each syscall beyond RECV+SEND at its native cost.
        est, unknown = 0.0, []
        for k, v in per.items():
            if k == "ioctl":
                continue
            if k == "epoll_wait":
                if first_wait is None or sc("sc_epoll_wait_handle_ready") is None:
                    unknown.append(k)
                    continue
                est += min(v, 1) * first_wait + \
                    max(v - 1, 0) * sc("sc_epoll_wait_handle_ready")
                continue
            u = unit.get(k)
            if u is None:
                if v >= 0.005:
                    unknown.append(k)
                continue
            est += v * u
        est_s = f"{est:.2f}" + (f" (+ {', '.join(unknown)})" if unknown else "")
        meas = "—"
        ib, nb = med(data, bench, "interpoll"), med(data, bench, "native")
        if ib and nb is not None and floor:
            meas = f"{ib - nb - floor:.2f}"
        out.append(f"| {desc} | {calls:,} | {total:.2f} | {', '.join(parts)} | {est_s} | {meas} |")
    if not out:
        return ""
    return "\n".join(["| guest workload | guest calls | supervisor syscalls per call | "
                      "per call, by syscall | est. µs: syscalls beyond RECV+SEND "
                      "at native cost | measured µs: interpoll − native − seccomp floor |",
                      "| --- | ---: | ---: | --- | ---: | ---: |"] + out)


def write_dat(outdir, data):
    def line(label, name, modes=("native", "interpoll")):
        cols = [label]
        for m in modes:
            s = stats(data.get((name, m), []))
            cols += ["NaN"] * 3 if s is None else [f"{v:.6g}" for v in s]
        return " ".join(cols)

    for metric in ("wait", "add", "del"):
        for mode in ("native", "interpoll"):
            with open(os.path.join(outdir, f"scale_{metric}_{mode}.dat"), "w") as f:
                f.write("# N median min max\n")
                pts = []
                for lab in ("10", "1000", "10000", "100000", "max"):
                    s = stats(data.get((f"scale_{metric}_N{lab}", mode), []))
                    n = med(data, f"scale_n_N{lab}", mode) or \
                        (None if lab == "max" else float(lab))
                    if s and n:
                        pts.append((n, s))
                for n, s in sorted(pts, key=lambda p: p[0]):
                    f.write(f"{n:.0f} {s[0]:.6g} {s[1]:.6g} {s[2]:.6g}\n")
    with open(os.path.join(outdir, "latency.dat"), "w") as f:
        f.write("# label native(med min max) interpoll(med min max)\n")
        for mode in ("threads", "procs"):
            for q in ("median", "p99"):
                f.write(line(f'"{mode}\\n{q}"', f"lat_{mode}_{q}") + "\n")
    with open(os.path.join(outdir, "percall.dat"), "w") as f:
        f.write("# label native(med min max) interpoll(med min max)\n")
        for lab, name in (("empty\\nwait", "floor_epoll_wait_empty"),
                          ("ctl\\nADD", "epoll_ctl_add"), ("ctl\\nMOD", "epoll_ctl_mod"),
                          ("ctl\\nDEL", "epoll_ctl_del"), ("wait\\n1 ev", "epoll_wait_ready_1"),
                          ("wait\\n16 ev", "epoll_wait_ready_16"),
                          ("wait\\n256 ev", "epoll_wait_ready_256"), ("poll\\n1", "poll_1"),
                          ("poll\\n100", "poll_100"), ("poll\\n10k", "poll_10000"),
                          ("eventfd", "eventfd_create_close")):
            f.write(line(f'"{lab}"', name) + "\n")
    with open(os.path.join(outdir, "servers.dat"), "w") as f:
        f.write("# label native(med min max) interpoll(med min max), kreq/s\n")
        for lab, name in (("redis SET", "redis_set_rps"), ("redis GET", "redis_get_rps"),
                          ("nginx", "nginx_rps")):
            if not any((name, m) in data for m in ("native", "interpoll")):
                continue
            cols = [f'"{lab}"']
            for m in ("native", "interpoll"):
                s = stats(data.get((name, m), []))
                cols += ["NaN"] * 3 if s is None else [f"{v / 1000:.6g}" for v in s]
            f.write(" ".join(cols) + "\n")


def main():
    outdir = sys.argv[1]
    data, units = load(outdir)
    write_dat(outdir, data)
    machine = ""
    mpath = os.path.join(outdir, "machine.txt")
    if os.path.exists(mpath):
        with open(mpath) as f:
            machine = "\n".join(f"- {l.rstrip()}" for l in f if l.strip())
    tgt, _ = targets(data)
    prof = syscall_profile(outdir, data)
    reps = max((r for v in data.values() for r, _ in v), default=0)
    md = [f"# interpoll benchmarks: {os.path.basename(os.path.abspath(outdir))}", "",
          machine, "",
          f"Medians of {reps} repetitions; native and interpoll runs interleaved "
          "(each benchmark runs natively and under interpoll back to back, the order "
          "alternating between repetitions). Time units are per call unless named.", "",
          "## Targets", "", tgt, "", "## Results", table(data, units), ""]
    cpath = os.path.join(outdir, "compare.txt")
    if os.path.exists(cpath):
        with open(cpath) as f:
            md += ["## Hot path against an older build", "",
                   "`scripts/bench-compare` in this run (BENCH_BASE): each program "
                   "natively, under the older build and under this one, in turn, the "
                   "order rotating between repetitions.", "", "```", f.read().rstrip(),
                   "```", ""]
    if prof:
        md += ["## Supervisor system calls per guest call", "",
               "`strace -c -p <supervisor>` attached to `interpoll` while the guest ran the "
               "named workload (counts only; strace's own times are meaningless here). "
               "The estimate prices each system call beyond RECV and SEND at its native "
               "cost from the building-blocks table (the first epoll_wait per call, the "
               "main loop's wait, at floor_sup_getppid_epoll − floor_sup_getppid; close "
               "is inside the create+close pairs; eventfd() is handed back with a "
               "CONTINUE answer, so the kernel's own work is in the native figure); "
               "the last column is what the run "
               "measured beyond the native call and one bare round trip. Counts include "
               "the idle supervisor's periodic sweep (kcmp, close) during the 1.5 s pause "
               "before each loop.",
               "", prof, ""]
    pngs = sorted(p for p in os.listdir(outdir) if p.endswith(".png"))
    if pngs:
        md += ["## Plots", ""] + [f"![{p}]({p})" for p in pngs] + [""]
    with open(os.path.join(outdir, "results.md"), "w") as f:
        f.write("\n".join(md))


if __name__ == "__main__":
    main()
