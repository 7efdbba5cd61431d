#!/usr/bin/env python3
"""epoll_exclusive.py [CONNECTIONS] [THREADS]: several server threads, each
with its own select.epoll, register one shared non-blocking listening socket
(127.0.0.1, ephemeral port) with EPOLLIN|EPOLLEXCLUSIVE and accept from it;
client threads in the same process open CONNECTIONS connections in total
(default 300; 8 at a time), each sending "ping N" and expecting
"pong N". Checks that every connection is served exactly once. Prints a
deterministic summary on stdout and, on stderr, how the accepts spread over
the server threads and how many wake-ups found nothing to accept (EAGAIN:
the herd that EPOLLEXCLUSIVE is meant to reduce). Exits 1 on a failure;
every wait is bounded (60 s in all)."""
import select
import socket
import sys
import threading
import time

total = int(sys.argv[1]) if len(sys.argv) > 1 else 300
nthreads = int(sys.argv[2]) if len(sys.argv) > 2 else 4
deadline = time.monotonic() + 60

lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind(("127.0.0.1", 0))
lsock.listen(128)
lsock.setblocking(False)
port = lsock.getsockname()[1]

lock = threading.Lock()
served = {}          # connection number -> server thread
accepted = [0] * nthreads
empty_wakeups = [0] * nthreads
wakeups = [0] * nthreads
errors = []
stop = threading.Event()


def server(k):
    ep = select.epoll()
    ep.register(lsock.fileno(), select.EPOLLIN | select.EPOLLEXCLUSIVE)
    try:
        while not stop.is_set() and time.monotonic() < deadline:
            events = ep.poll(0.2)
            if not events:
                continue
            wakeups[k] += 1
            if events != [(lsock.fileno(), select.EPOLLIN)]:
                errors.append("thread %d: unexpected events %r" % (k, events))
            got = False
            while True:
                try:
                    conn, _ = lsock.accept()
                except BlockingIOError:
                    break
                got = True
                accepted[k] += 1
                with conn:
                    conn.settimeout(10)
                    data = b""
                    while not data.endswith(b"\n"):
                        d = conn.recv(100)
                        if not d:
                            break
                        data += d
                    parts = data.split()
                    if len(parts) != 2 or parts[0] != b"ping":
                        errors.append("thread %d: bad request %r" % (k, data))
                        continue
                    n = int(parts[1])
                    with lock:
                        if n in served:
                            errors.append("connection %d served twice" % n)
                        served[n] = k
                    conn.sendall(b"pong %d\n" % n)
            if not got:
                empty_wakeups[k] += 1
    except Exception as e:  # noqa: BLE001
        errors.append("server thread %d: %r" % (k, e))
    finally:
        ep.close()


answered = [0]


def client(first, step):
    for n in range(first, total, step):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
                c.sendall(b"ping %d\n" % n)
                data = b""
                while not data.endswith(b"\n"):
                    d = c.recv(100)
                    if not d:
                        break
                    data += d
                if data != b"pong %d\n" % n:
                    errors.append("connection %d: answer %r" % (n, data))
                else:
                    with lock:
                        answered[0] += 1
        except Exception as e:  # noqa: BLE001
            errors.append("client connection %d: %r" % (n, e))


servers = [threading.Thread(target=server, args=(k,)) for k in range(nthreads)]
for t in servers:
    t.start()
t0 = time.monotonic()
clients = [threading.Thread(target=client, args=(i, 8)) for i in range(8)]
for t in clients:
    t.start()
for t in clients:
    t.join(max(0.1, deadline - time.monotonic()))
dt = time.monotonic() - t0
stop.set()
for t in servers:
    t.join(5)
lsock.close()

ok = answered[0] == total and len(served) == total and not errors
print("epoll-exclusive connections %d answered %d served-once %d errors %d" %
      (total, answered[0], len(served), len(errors)))
print("epoll_exclusive: %.0f conn/s; accepts per thread %s; wake-ups %d, of which empty %d"
      % (total / dt, accepted, sum(wakeups), sum(empty_wakeups)), file=sys.stderr)
for e in errors[:10]:
    print("epoll_exclusive: " + e, file=sys.stderr)
sys.exit(0 if ok else 1)
