#!/bin/sh
# no_io_uring.sh: interpoll where it cannot make io_uring rings of its own,
# as under Docker's default seccomp profile (io_uring_setup refused with
# EPERM since Docker 25) or with kernel.io_uring_disabled set.
#
# Run: INTERPOLL=/path/to/interpoll TESTBIN=build/tests/c \
#      sh tests/runner/no_io_uring.sh
#
# A python3 wrapper installs a seccomp filter that answers io_uring_setup
# with EPERM, then execs interpoll, which inherits it. The supervisor uses
# io_uring for two things (docs/DESIGN.md): the watch of its main epoll
# (platform/main_watch.c; without it every call collects) and ring buckets
# for a file's watches beyond the 500 the kernel allows through nested
# epolls (without a ring the main loop polls them: platform/ring_polled.c).
# Neither may change what a program sees: the programs below pass as
# natively, 501 watches of one file are taken, and a refused
# EPOLLEXCLUSIVE mask leaves every other file alone.

. "$(dirname "$0")/lib/runner.sh"
runner_setup nouring
bound 120

if ! command -v python3 >/dev/null 2>&1 ||
	[ "$(uname -m)" != x86_64 ]; then
	echo "ok - no-io_uring cases # skip: needs python3 on x86_64"
	echo "1 passed, 0 failed"
	exit 0
fi

cat >"$tmp/nouring.py" <<'EOF'
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
ul = ctypes.c_ulong
AUDIT_ARCH_X86_64, NR_IO_URING_SETUP = 0xC000003E, 425
ALLOW, ERRNO_EPERM = 0x7FFF0000, 0x00050000 | 1
LD_ABS_W, JEQ_K, RET_K = 0x20, 0x15, 0x06
def insn(code, k, jt=0, jf=0):
    return struct.pack("HBBI", code, jt, jf, k)
prog = b"".join([
    insn(LD_ABS_W, 4), insn(JEQ_K, AUDIT_ARCH_X86_64, 1, 0), insn(RET_K, ALLOW),
    insn(LD_ABS_W, 0), insn(JEQ_K, NR_IO_URING_SETUP, 0, 1),
    insn(RET_K, ERRNO_EPERM), insn(RET_K, ALLOW)])
buf = ctypes.create_string_buffer(prog)
class Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
fp = Fprog(len(prog) // 8, ctypes.cast(buf, ctypes.c_void_p))
if libc.prctl(38, ul(1), ul(0), ul(0), ul(0)) or \
   libc.prctl(22, ul(2), ctypes.byref(fp), ul(0), ul(0)):
    sys.exit("nouring: prctl: " + os.strerror(ctypes.get_errno()))
os.execv(sys.argv[1], sys.argv[1:])
EOF
NOURING="python3 $tmp/nouring.py" # then the command to run

# The wrapper does what it says: io_uring_setup fails with EPERM.
probe='import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
params = ctypes.create_string_buffer(120)
fd = libc.syscall(ctypes.c_long(425), ctypes.c_long(4), params)
print("ok" if fd >= 0 else errno.errorcode[ctypes.get_errno()])'
got=$($T $NOURING "$(command -v python3)" -c "$probe" 2>&1)
if [ "$got" = EPERM ]; then
	ok "the wrapper refuses io_uring_setup"
else
	nok "the wrapper refuses io_uring_setup" "got '$(oneline "$got")'"
fi

# Programs that pass natively pass under interpoll without io_uring.
# hostile_args: an ADD refused for its EPOLLEXCLUSIVE mask once made every
# later eventfd's watch fail (its refusal was taken for a path limit, and
# remembered by the inode all eventfds share).
# (epoll_many_watchers and epoll_churn pass this way too, in 20-26 s
# each: polling some 500 buckets per batch is the fallback's cost.)
for t in hostile_args epoll_quiet_then_wake epoll_causality epoll_excl_wake \
	epoll_nest_basic; do
	bin=${TESTBIN:-}/$t
	if [ ! -x "$bin" ]; then
		nok "$t" "no test program at $bin (set TESTBIN)"
		continue
	fi
	$T $NOURING "$INTERPOLL" -- "$bin" >"$tmp/out" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ] && ! grep -q '^FAIL' "$tmp/out"; then
		ok "$t passes"
	else
		nok "$t passes" "exit $rc: $(grep -m3 -e '^FAIL' -e 'interpoll:' "$tmp/out" | tr '\n' '|')"
	fi
done

# 501 watches of one eventfd (beyond the 500 nested paths the kernel
# allows one file), and then a watch of another eventfd: all taken; a
# write is seen by all 501 instances, a wait blocked in the 501st is woken
# by a write from another process, and the other file's event comes, as
# natively.
cat >"$tmp/many.py" <<'EOF'
import os, select, time
r = os.eventfd(0)  # an anonymous-inode file, as the other one
eps = [select.epoll() for _ in range(501)]
n = 0
for ep in eps:
    try:
        ep.register(r, select.EPOLLIN)
        n += 1
    except OSError as e:
        print("watch", n + 1, "refused:", os.strerror(e.errno))
        break
else:
    print("all", n, "watches taken")
# Wake-ups that find nobody waiting make an instance quiet (its
# wake-ups are read at its next call, docs/DESIGN.md): then only the
# 501st watch, in a bucket nested in nothing, can wake the supervisor.
for i in range(12):
    os.eventfd_write(r, 1)
    eps[n - 1].poll(0)
print("ready:", sum(len(ep.poll(0)) for ep in eps[:n]), "instances")
os.eventfd_read(r)
pid = os.fork()
if pid == 0:  # writes while the parent sleeps in the 501st instance,
    time.sleep(0.3)  # then lives on: its exit must not be the wake-up
    os.eventfd_write(r, 1)
    time.sleep(30)
    os._exit(0)
t0 = time.monotonic()
got = len(eps[n - 1].poll(10))
late = time.monotonic() - t0 > 2
os.kill(pid, 9)
os.waitpid(pid, 0)
print("woken:", got, "event", "late" if late else "in time")
r2 = os.eventfd(0)
ep = select.epoll()
ep.register(r2, select.EPOLLIN)
os.eventfd_write(r2, 1)
print("another file:", len(ep.poll(1)), "event")
EOF
want="all 501 watches taken|ready: 501 instances|woken: 1 event in time|another file: 1 event|"
got=$($T python3 "$tmp/many.py" 2>&1 | tr '\n' '|')
equal "501 watches of one file, natively" "$got" "$want" got want
$T $NOURING "$INTERPOLL" -- python3 "$tmp/many.py" >"$tmp/out" 2>"$tmp/err"
got=$(tr '\n' '|' <"$tmp/out")
equal "501 watches of one file, without io_uring" "$got" "$want" got want
equal "nothing on stderr" "$(cat "$tmp/err")" "" got want

finish
