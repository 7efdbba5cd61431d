#!/bin/sh
# proctree.sh: process trees, exec chains, threads and real programs under
# interpoll.
#
# Run: INTERPOLL=/path/to/interpoll sh tests/runner/proctree.sh
# Prints "ok - NAME" or "FAIL - NAME: DETAIL" per case, then
# "N passed, M failed"; exits non-zero when a case failed. Cases that need
# python3 (3.10+, for os.eventfd) are skipped without it.

. "$(dirname "$0")/lib/runner.sh"
runner_setup tree
# Bound every run; timeout returns as soon as interpoll itself exits.
bound 15

if python3 -c 'import os; os.eventfd' 2>/dev/null; then
	have_py=1
else
	have_py=
fi

# expect NAME WANT_STATUS WANT_STDOUT CMD...: runs CMD with stdout to a
# file, which is read right after CMD returns. (A command substitution
# would also wait for any process still holding the pipe, hiding an
# interpoll that returned before its guest tree was done.) Each case has
# its own files, so a stray process of a failed case cannot write into the
# next one's.
n=0
expect() {
	name=$1 want_rc=$2 want_out=$3
	shift 3
	n=$((n + 1))
	"$@" >"$tmp/out.$n" 2>"$tmp/err.$n" </dev/null
	rc=$?
	out=$(cat "$tmp/out.$n")
	if [ "$rc" -ne "$want_rc" ] || [ "$out" != "$want_out" ]; then
		nok "$name" "status $rc (want $want_rc), stdout '$(flat "$tmp/out.$n" 300)', stderr '$(flat "$tmp/err.$n" 300)'"
	else
		ok "$name"
	fi
}

# py_expect NAME WANT_STDOUT PYTHON_CODE
py_expect() {
	if [ -z "$have_py" ]; then
		ok "$1 # skip: no python3 with os.eventfd"
		return
	fi
	expect "$1" 0 "$2" $T "$INTERPOLL" -- python3 -c "$3"
}

nl='
'

# --- the whole tree is waited for ------------------------------------------

expect "orphaned grandchild waited for" 0 "parent${nl}grandchild" \
	$T "$INTERPOLL" -- sh -c '(sleep 0.3; echo grandchild) & echo parent'

# The status is the direct child's, not the last process's.
expect "status is PROGRAM's, not a grandchild's" 4 "" \
	$T "$INTERPOLL" -- sh -c '(sleep 0.3; exit 9) & exit 4'

expect "grandchild in a new session waited for" 0 "parent${nl}grandchild" \
	$T "$INTERPOLL" -- sh -c 'setsid sh -c "sleep 0.3; echo grandchild" & echo parent'

expect "two levels of orphans waited for" 0 "a${nl}b${nl}c" \
	$T "$INTERPOLL" -- sh -c '(sh -c "(sleep 0.4; echo c) & sleep 0.2; echo b" &) ; echo a'

# --- fork + exec chain ----------------------------------------------------

if [ -n "$have_py" ]; then
	expect "fork+exec chain sh > sh > sh > python3 eventfd" 0 True \
		$T "$INTERPOLL" -- sh -c 'sh -c "sh -c \"python3 -c \\\"import os; print(os.eventfd(0) >= 0)\\\"\""'
else
	ok "fork+exec chain sh > sh > sh > python3 eventfd # skip: no python3"
fi

# --- threads --------------------------------------------------------------

# 8 threads, each with its own epoll and eventfd: write, wait, read, 200
# times; every round must see exactly its eventfd ready with the value
# written, and nothing ready after the read.
py_expect "8 threads: epoll + eventfd round trips" "1600" '
import os, select, threading
N, R = 8, 200
done = [0] * N
def work(i):
    ep = select.epoll()
    fd = os.eventfd(0)
    ep.register(fd, select.EPOLLIN)
    for k in range(1, R + 1):
        os.eventfd_write(fd, k)
        if ep.poll(5) != [(fd, select.EPOLLIN)]:
            return
        if os.eventfd_read(fd) != k or ep.poll(0) != []:
            return
        done[i] += 1
    ep.close()
    os.close(fd)
ts = [threading.Thread(target=work, args=(i,)) for i in range(N)]
for t in ts: t.start()
for t in ts: t.join()
print(sum(done))
'

# 8 threads in a ring: each blocks in epoll_wait on its own eventfd and
# passes the token (value + 1) to the next thread's eventfd, 50 times
# round. Every wake-up crosses threads.
py_expect "8 threads: token ring through blocking epoll waits" "400" '
import os, select, threading
N, R = 8, 50
fds = [os.eventfd(0) for _ in range(N)]
last = [None]
def work(i):
    ep = select.epoll()
    ep.register(fds[i], select.EPOLLIN)
    for r in range(R):
        if ep.poll(10) != [(fds[i], select.EPOLLIN)]:
            return
        v = os.eventfd_read(fds[i])
        if i == N - 1 and r == R - 1:
            last[0] = v
        else:
            os.eventfd_write(fds[(i + 1) % N], v + 1)
    ep.close()
ts = [threading.Thread(target=work, args=(i,)) for i in range(N)]
for t in ts: t.start()
os.eventfd_write(fds[0], 1)
for t in ts: t.join()
print(last[0])
'

# --- real programs --------------------------------------------------------

py_expect "python3 eventfd write 3, read 3" "3" \
	'import os; fd = os.eventfd(0); os.eventfd_write(fd, 3); print(os.eventfd_read(fd))'

py_expect "python3 poll and select on a pipe" "[] [] True True" '
import os, select
r, w = os.pipe()
p = select.poll(); p.register(r, select.POLLIN)
print(p.poll(0), select.select([r], [], [], 0)[0], end=" ")
os.write(w, b"x")
print(p.poll(1000) == [(r, select.POLLIN)], select.select([r], [], [], 1)[0] == [r])
'

py_expect "python3 asyncio echo over a socketpair" "b'ping'" '
import asyncio, socket
async def main():
    a, b = socket.socketpair()
    r1, w1 = await asyncio.open_connection(sock=a)
    r2, w2 = await asyncio.open_connection(sock=b)
    w1.write(b"ping"); await w1.drain()
    data = await asyncio.wait_for(r2.readexactly(4), 5)
    w2.write(data); await w2.drain()
    print(await asyncio.wait_for(r1.readexactly(4), 5))
    w1.close(); w2.close()
asyncio.run(main())
'

finish
