#!/usr/bin/env python3
"""kv_client.py PROTO PORT [KEYS] [CONNECTIONS]: set and get KEYS keys
(default 1000) on a memcached (PROTO=memcached, text protocol) or redis
(PROTO=redis, RESP) server at 127.0.0.1:PORT, over CONNECTIONS sockets in
as many threads (default 1), each key on one connection, one request at a
time. Every answer is checked. Prints a deterministic summary on stdout and
the rate on stderr; exits 1 on any wrong answer. Every socket operation has
a 10 s timeout."""
import socket
import sys
import threading
import time

proto, port = sys.argv[1], int(sys.argv[2])
keys = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
conns = int(sys.argv[4]) if len(sys.argv) > 4 else 1


def value(i):
    return (b"v%d-" % i) * (1 + i % 50)


class Conn:
    def __init__(self):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("server closed the connection")
            self.buf += d
        ln, self.buf = self.buf.split(b"\r\n", 1)
        return ln

    def exact(self, n):
        while len(self.buf) < n:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("server closed the connection")
            self.buf += d
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def set(self, k, v):
        if proto == "memcached":
            self.s.sendall(b"set %s 0 0 %d\r\n%s\r\n" % (k, len(v), v))
            return self.line() == b"STORED"
        self.s.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
        return self.line() == b"+OK"

    def get(self, k):
        if proto == "memcached":
            self.s.sendall(b"get %s\r\n" % k)
            hdr = self.line()
            if hdr == b"END":
                return None
            parts = hdr.split()
            data = self.exact(int(parts[3]) + 2)[:-2]
            if self.line() != b"END":
                return b"<bad trailer>"
            return data
        self.s.sendall(b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(k), k))
        hdr = self.line()
        if hdr == b"$-1":
            return None
        return self.exact(int(hdr[1:]) + 2)[:-2]


errors = []
stats = {"set": 0, "get": 0}
lock = threading.Lock()


def worker(t):
    try:
        c = Conn()
        mine = range(t, keys, conns)
        ok_set = ok_get = 0
        for i in mine:
            if c.set(b"interpoll:%d" % i, value(i)):
                ok_set += 1
            else:
                errors.append("set %d refused" % i)
        for i in mine:
            got = c.get(b"interpoll:%d" % i)
            if got == value(i):
                ok_get += 1
            else:
                errors.append("get %d: %r" % (i, got[:40] if got else got))
        miss = c.get(b"interpoll:missing")
        if miss is not None:
            errors.append("missing key returned %r" % miss[:40])
        c.s.close()
        with lock:
            stats["set"] += ok_set
            stats["get"] += ok_get
    except Exception as e:  # noqa: BLE001 - report any failure as a wrong answer
        errors.append("connection %d: %r" % (t, e))


t0 = time.monotonic()
threads = [threading.Thread(target=worker, args=(t,)) for t in range(conns)]
for th in threads:
    th.start()
for th in threads:
    th.join()
dt = time.monotonic() - t0
print("%s keys %d set-ok %d get-ok %d errors %d" % (proto, keys, stats["set"], stats["get"], len(errors)))
print("%.0f ops/s" % ((stats["set"] + stats["get"]) / dt), file=sys.stderr)
for e in errors[:10]:
    print("kv_client: " + e, file=sys.stderr)
sys.exit(1 if errors else 0)
