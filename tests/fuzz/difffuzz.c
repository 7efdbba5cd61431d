/* difffuzz: a deterministic random program of readiness-related system
 * calls, for differential testing of interpoll against the kernel.
 *
 *   difffuzz SEED [NOPS] [--skip LIST] [--exclude KINDS]
 *
 * --exclude select,fork,...: ops of these kinds do nothing (they print
 * "excluded"); the rest of the program is unchanged. Kinds: see op_names.
 * SEED (decimal or 0x hex) and the op index alone decide what op i is and
 * all of its random choices (a private splitmix64 per op: op i is the same
 * whatever NOPS is and whichever other ops are skipped), so a prefix of the
 * program or the program with some ops left out (--skip 3,7,10-12) can be
 * run to minimise a mismatch. Fd choices are made relative to the current
 * state (live fds, scanning from a random number), so removing an op may
 * change what later ops touch.
 *
 * Every op prints one line: its index ("c" in front for an op run by a
 * forked child), what it did and its result (return value and errno name;
 * for waits the events in order; for poll the revents; for select the
 * sets). Nothing printed depends on addresses, pids, times or kernel ids,
 * so the output natively and under interpoll must be identical, except for
 * lines tagged with a known divergence id in square brackets (see
 * tests/fuzz/known-divergences.txt):
 *   [stale-wakeups]            a wait on an instance (or a poll/select
 *                              naming one) that may hold an entry a stale
 *                              wake-up queued, or that watches such an
 *                              instance (see "The stale-wakeups model")
 *
 * Ops: epoll_create/epoll_create1 (sizes <= 0, invalid flags), eventfd/
 * eventfd2 (any count, invalid flags), pipes, unix socketpairs (stream,
 * dgram, seqpacket), TCP pairs over 127.0.0.1, /dev/null, O_PATH, memfd
 * and directory fds; epoll_ctl ADD/MOD/DEL/invalid ops with random masks
 * and data on live, closed, huge and -1 fds, the epoll fd itself and
 * nested epolls, with bad event pointers (NULL, 8, PROT_NONE, a read-only
 * page, at the user-space limit, kernel addresses); epoll_wait/pwait/pwait2
 * with any maxevents, sigmasks and timespecs, into buffers that end at a
 * guard page (partial copies) or bad pointers; poll/ppoll and
 * select/pselect6 on random sets (read-only and straddling arrays, nfds
 * over RLIMIT_NOFILE); reads and writes of eventfds, pipes and sockets
 * (made non-blocking for the call); shutdown; close, dup, dup2, dup3,
 * F_DUPFD; SCM_RIGHTS passing; setrlimit(NOFILE); eventfd fdinfo; fork
 * (the child runs the next few ops and exits while the parent waits; its
 * lines start with "c").
 *
 * Sources of nondeterminism avoided: no timing (timeouts 0, or 1 ms where
 * the outcome cannot depend on the wait), no threads, TCP traffic waited
 * for ("settled", from a model of each connection) before the next op, no
 * fd ever sent over SCM_RIGHTS that could form a unix GC cycle.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXFD 128    /* fd numbers tracked */
#define FDCAP 40     /* creation ops are skipped beyond this many live fds */
#define MAXOBJ 8192
#define FIFO_MAX 32
#define MAXREG 24
#define MAXENT 48
#define EP_MAX_EVENTS 178956970
#define USER_LIMIT 0x7ffffffff000ull

/* ------------------------------------------------------------------ */
/* PRNG: splitmix64 */

static uint64_t sm_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t opst; /* the current op's private PRNG state */
static uint64_t R(void) { return sm_next(&opst); }
static unsigned RN(unsigned n) { return n ? (unsigned)(R() % n) : 0; }
static int P(unsigned pct) { return RN(100) < pct; }

/* ------------------------------------------------------------------ */
/* Model */

enum kind {
	K_NONE,
	K_EPOLL,
	K_EVENTFD,
	K_PIPE_R,
	K_PIPE_W,
	K_USTREAM,
	K_UDGRAM,
	K_USEQ,
	K_TCP,
	K_DEVNULL,
	K_OPATH,
	K_MEMFD,
	K_DIR,
	K_NKINDS
};
static const char *kind_name[] = {"none", "epoll", "eventfd", "pipe_r",
				  "pipe_w", "ustream", "udgram", "useq",
				  "tcp", "devnull", "opath", "memfd", "dir"};
#define KB(k) (1u << (k))
#define KM_ANY 0xffffffffu
#define KM_UNIX (KB(K_USTREAM) | KB(K_UDGRAM) | KB(K_USEQ))
#define KM_SOCK (KM_UNIX | KB(K_TCP))
#define KM_POLLABLE                                                           \
	(KB(K_EPOLL) | KB(K_EVENTFD) | KB(K_PIPE_R) | KB(K_PIPE_W) | KM_SOCK)

/* Kernel objects, in shared memory so that a forked child's effects on
 * shared files are seen by the parent's model. */
struct obj {
	int kind;
	int peer;	/* sockets, pipes: the other end */
	int born_child; /* created by a forked child (dies with it) */
	int closed_all; /* the last reference went: orphaned */
	/* TCP */
	int64_t expect_inq;
	int fin_in, rst_in, sent_fin, shut_rd;
	/* unix: objects in flight towards this socket, in order */
	int fifo[FIFO_MAX];
	int fifo_n;
	/* epoll: fds ADDed (for picking MOD/DEL targets) */
	int regs[MAXREG];
	int nregs;
	/* epoll: the interest list as far as the model knows it, and whether
	 * a stale wake-up may have queued something (stale-wakeups) */
	struct ent {
		int fd, file;
		uint32_t mask;
	} ents[MAXENT];
	int nents;
	int stale;
};
struct shared {
	int nobj;
	struct obj objs[MAXOBJ];
};
static struct shared *sh;

static int fdobj[MAXFD]; /* fd -> object, -1 closed */
static int in_child;
static int cur_op;
static struct rlimit orig_nofile;

static struct obj *O(int id) { return &sh->objs[id]; }
static int fdkind(int fd)
{
	if (fd < 0 || fd >= MAXFD || fdobj[fd] < 0)
		return K_NONE;
	return O(fdobj[fd])->kind;
}
static int is_live(int fd) { return fd >= 0 && fd < MAXFD && fdobj[fd] >= 0; }

static int nlive(void)
{
	int n = 0;
	for (int i = 3; i < MAXFD; i++)
		n += fdobj[i] >= 0;
	return n;
}
static int maxlive(void)
{
	int m = 2;
	for (int i = 3; i < MAXFD; i++)
		if (fdobj[i] >= 0)
			m = i;
	return m;
}

static int obj_new(int kind)
{
	if (sh->nobj >= MAXOBJ)
		return -1;
	int id = sh->nobj++;
	memset(O(id), 0, sizeof(struct obj));
	O(id)->kind = kind;
	O(id)->peer = -1;
	O(id)->born_child = in_child;
	return id;
}

/* ------------------------------------------------------------------ */
/* Output: one line per op, written with write(2) (the child shares fd 1;
 * the parent waits for it, so order is deterministic). */

static char line[65536];
static size_t linelen;

static void outf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void outf(const char *fmt, ...)
{
	va_list ap;
	if (linelen >= sizeof(line) - 2)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(line + linelen, sizeof(line) - 2 - linelen, fmt, ap);
	va_end(ap);
	if (n > 0)
		linelen += (size_t)n;
	if (linelen > sizeof(line) - 2)
		linelen = sizeof(line) - 2;
}

static void endline(void)
{
	line[linelen++] = '\n';
	size_t off = 0;
	while (off < linelen) {
		ssize_t w = write(1, line + off, linelen - off);
		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			_exit(3);
		}
		off += (size_t)w;
	}
	linelen = 0;
}

static void begin(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void begin(const char *fmt, ...)
{
	va_list ap;
	linelen = 0;
	outf("%s%d ", in_child ? "c" : "", cur_op);
	va_start(ap, fmt);
	int n = vsnprintf(line + linelen, sizeof(line) - 2 - linelen, fmt, ap);
	va_end(ap);
	if (n > 0)
		linelen += (size_t)n;
}

static const char *ename(int e)
{
	static char buf[32];
	const char *s = strerrorname_np(e);
	if (s)
		return s;
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

static void res(long r, int err)
{
	if (r == -1)
		outf(" = -1 %s", ename(err));
	else
		outf(" = %ld", r);
}

/* ------------------------------------------------------------------ */
/* Memory for bad and tight pointers */

static long pagesz;
static char *ev_region;	 /* [RW page][NONE page]: buffers end at the guard */
static char *ro_page;	 /* read-only page, refilled on demand */
static char *none_page;	 /* PROT_NONE */
static char *rw_page;	 /* scratch */
static char *guard;	 /* == ev_region + pagesz */

static void *ro_with(const void *data, size_t len)
{
	mprotect(ro_page, pagesz, PROT_READ | PROT_WRITE);
	memcpy(ro_page, data, len);
	mprotect(ro_page, pagesz, PROT_READ);
	return ro_page;
}

static void mem_init(void)
{
	pagesz = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, 5 * pagesz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	ev_region = m;
	guard = m + pagesz;
	mprotect(guard, pagesz, PROT_NONE);
	ro_page = m + 2 * pagesz;
	mprotect(ro_page, pagesz, PROT_READ);
	none_page = m + 3 * pagesz;
	mprotect(none_page, pagesz, PROT_NONE);
	rw_page = m + 4 * pagesz;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
}

/* A bad pointer for an input or output argument, and its name. */
static void *bad_ptr(unsigned v, const char **name)
{
	switch (v % 7) {
	case 0: *name = "NULL"; return NULL;
	case 1: *name = "(void*)8"; return (void *)8;
	case 2: *name = "PROT_NONE"; return none_page;
	case 3: *name = "limit-12"; return (void *)(USER_LIMIT - 12);
	case 4: *name = "limit-11"; return (void *)(USER_LIMIT - 11);
	case 5: *name = "kernel"; return (void *)0xffff888000000000ull;
	default: *name = "(void*)-1"; return (void *)-1l;
	}
}

/* ------------------------------------------------------------------ */
/* fd picking */

/* A live fd of one of the kinds in mask, scanning up from a random number;
 * -1 if none. */
static int pick_live(unsigned mask)
{
	int hi = maxlive();
	if (hi < 3)
		return -1;
	int span = hi - 2;
	int start = 3 + (int)RN((unsigned)span);
	for (int k = 0; k < span; k++) {
		int fd = 3 + (start - 3 + k) % span;
		if (fdobj[fd] >= 0 && (mask & KB(fdkind(fd))))
			return fd;
	}
	return -1;
}

static int lowest_closed(void)
{
	for (int fd = 3; fd < MAXFD; fd++)
		if (fdobj[fd] < 0)
			return fd;
	return MAXFD - 1;
}

/* An fd argument: mostly a live fd of the wanted kinds, sometimes any live
 * fd, a closed number, -1, or a huge number. */
static int pick_fd(unsigned mask, unsigned bad_pct)
{
	unsigned u = RN(100);
	int fd;
	if (u < bad_pct) {
		switch (RN(6)) {
		case 0: return lowest_closed();
		case 1: return -1;
		case 2: return INT_MAX;
		case 3: return 1 << 20;
		case 4: return 0x7ff;
		default: return lowest_closed() + (int)RN(4);
		}
	}
	if (u < bad_pct + 5)
		mask = KM_ANY;
	fd = pick_live(mask);
	if (fd < 0)
		fd = pick_live(KM_ANY);
	if (fd < 0)
		fd = lowest_closed();
	return fd;
}

/* ------------------------------------------------------------------ */
/* fd table bookkeeping */

static int obj_refs(int obj)
{
	int n = 0;
	for (int i = 0; i < MAXFD; i++)
		n += fdobj[i] == obj;
	return n;
}

/* Whether this process dropping its last fd of obj releases the file:
 * objects from before a fork are still held by the parent. */
static int releases(int obj)
{
	return !in_child || O(obj)->born_child;
}

static void tcp_on_close(int obj);
static void stale_note(int file, uint32_t key);

/* fd is closed (close, dup2 over it). */
static void fd_release(int fd)
{
	if (!is_live(fd))
		return;
	int obj = fdobj[fd];
	fdobj[fd] = -1;
	if (obj_refs(obj) > 0 || !releases(obj))
		return;
	struct obj *o = O(obj);
	o->closed_all = 1;
	o->fifo_n = 0;
	if (o->kind == K_TCP)
		tcp_on_close(obj);
	if (KB(o->kind) & KM_SOCK)
		stale_note(o->peer, 0); /* the peer's state changes */
}

/* A new fd returned by the kernel: record it, or give it back when it is
 * out of the tracked range. Returns 0 when recorded. */
static int fd_new(int fd, int obj)
{
	if (fd < 0)
		return -1;
	if (fd >= MAXFD) {
		outf(" (fd out of range, closed)");
		close(fd);
		return -1;
	}
	if (fdobj[fd] >= 0) /* cannot happen: the kernel gave a used fd */
		outf(" (MODEL: fd %d was live)", fd);
	fdobj[fd] = obj;
	return 0;
}

static void fdflags(int fd)
{
	int fdf = fcntl(fd, F_GETFD);
	int fl = fcntl(fd, F_GETFL);
	outf(" {cloexec=%d fl=%#o}", fdf < 0 ? -1 : (fdf & FD_CLOEXEC), fl);
}

/* ------------------------------------------------------------------ */
/* TCP model and settling */

static void tcp_on_close(int obj)
{
	struct obj *o = O(obj);
	int pe = o->peer;
	if (pe < 0)
		return;
	struct obj *p = O(pe);
	int in_close = o->rst_in || (o->sent_fin && o->fin_in);
	if (in_close)
		return;
	if (o->expect_inq > 0) {
		p->rst_in = 1; /* close with unread data: RST */
	} else if (!o->sent_fin) {
		o->sent_fin = 1;
		p->fin_in = 1;
	}
}

static int tcp_in_close(const struct obj *o)
{
	return o->rst_in || (o->sent_fin && o->fin_in);
}

/* E wrote n > 0 bytes. */
static void tcp_on_write(int obj, long n)
{
	struct obj *o = O(obj);
	if (o->peer < 0 || n <= 0)
		return;
	struct obj *p = O(o->peer);
	if (p->closed_all ||
	    (p->shut_rd && p->sent_fin && !tcp_in_close(p))) {
		/* data after the peer closed its receive side: RST */
		o->rst_in = 1;
		if (!p->closed_all)
			p->rst_in = 1;
		return;
	}
	p->expect_inq += n;
}

static void tcp_on_shut(int obj, int how)
{
	struct obj *o = O(obj);
	if (how == SHUT_RD || how == SHUT_RDWR)
		o->shut_rd = 1;
	if ((how == SHUT_WR || how == SHUT_RDWR) && !o->sent_fin &&
	    !o->rst_in) {
		o->sent_fin = 1;
		if (o->peer >= 0)
			O(o->peer)->fin_in = 1;
	}
}

static int tcp_check(int fd, int verbose)
{
	struct obj *o = O(fdobj[fd]);
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);
	int inq = -1, outq = -1;
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) < 0)
		return 1;
	ioctl(fd, SIOCINQ, &inq);
	ioctl(fd, SIOCOUTQ, &outq);
	int st = ti.tcpi_state;
	int ok;
	if (o->rst_in) {
		ok = st == TCP_CLOSE;
	} else {
		ok = st == TCP_ESTABLISHED || st == TCP_FIN_WAIT2 ||
		     st == TCP_CLOSE_WAIT || st == TCP_CLOSE;
		ok = ok && inq == o->expect_inq;
		if (o->fin_in)
			ok = ok && (st == TCP_CLOSE_WAIT || st == TCP_CLOSE);
		if (o->sent_fin)
			ok = ok && (st == TCP_FIN_WAIT2 || st == TCP_CLOSE);
		if (!o->fin_in && !o->sent_fin)
			ok = ok && st == TCP_ESTABLISHED;
		ok = ok && (st == TCP_CLOSE || outq == 0);
	}
	if (!ok && verbose)
		outf(" [settle-timeout fd=%d st=%d inq=%d/%lld outq=%d fin=%d "
		     "sent=%d rst=%d]",
		     fd, st, inq, (long long)o->expect_inq, outq, o->fin_in,
		     o->sent_fin, o->rst_in);
	return ok;
}

/* Wait until every live TCP socket reached the state the model expects. */
static void tcp_settle(void)
{
	int any = 0;
	for (int fd = 3; fd < MAXFD && !any; fd++)
		any = fdkind(fd) == K_TCP;
	if (!any)
		return;
	for (int iter = 0; iter < 30000; iter++) {
		int ok = 1;
		for (int fd = 3; fd < MAXFD && ok; fd++)
			if (fdkind(fd) == K_TCP)
				ok = tcp_check(fd, 0);
		if (ok)
			return;
		struct timespec ts = {0, iter < 100 ? 20000 : 200000};
		nanosleep(&ts, NULL);
	}
	for (int fd = 3; fd < MAXFD; fd++)
		if (fdkind(fd) == K_TCP)
			tcp_check(fd, 1);
}

/* ------------------------------------------------------------------ */
/* The stale-wakeups model (docs/DIVERGENCES.md: stale-wakeups)
 *
 * In Linux a wake-up whose key matches an entry (or that has no key, like
 * a socket's state change) queues it even when its file is not ready for
 * its mask; interpoll never sees such a wake-up. The model notes the
 * wake-ups some ops cause (a socket's shutdown or last close: key-less, on
 * itself and its peer; data sent on a socket: DATA_READY_KEY on the peer;
 * an eventfd write of 0: EPOLLIN), polls the file
 * natively for each entry on it, and when the entry is not ready marks its
 * instance, and every instance watching that one, as possibly holding a
 * stale entry. Their waits, and polls and selects naming them, are tagged
 * [stale-wakeups] until a wait on the instance returns 0 (its ready list is
 * then empty in both). */

static void ent_add(int ep, int fd, uint32_t mask)
{
	struct obj *o = O(ep);
	if (o->nents < MAXENT)
		o->ents[o->nents++] =
			(struct ent){fd, fdobj[fd], mask | EPOLLERR | EPOLLHUP};
}
static struct ent *ent_find(int ep, int fd)
{
	struct obj *o = O(ep);
	for (int i = 0; i < o->nents; i++)
		if (o->ents[i].fd == fd && o->ents[i].file == fdobj[fd])
			return &o->ents[i];
	return NULL;
}
static void ent_del(int ep, int fd)
{
	struct obj *o = O(ep);
	struct ent *e = ent_find(ep, fd);
	if (e)
		*e = o->ents[--o->nents];
}

static void stale_taint(int ep, int depth)
{
	if (depth > 8)
		return;
	O(ep)->stale = 1;
	/* a queued entry wakes the instances watching this one */
	for (int p = 0; p < sh->nobj; p++) {
		struct obj *o = O(p);
		if (o->kind != K_EPOLL || o->closed_all)
			continue;
		for (int i = 0; i < o->nents; i++)
			if (o->ents[i].file == ep) {
				stale_taint(p, depth + 1);
				break;
			}
	}
}

/* sock_def_readable's key: unix_poll and tcp_poll never report PRI or
 * RDBAND for plain data, so an entry watching only those is woken stale. */
#define DATA_READY_KEY (EPOLLIN | EPOLLPRI | EPOLLRDNORM | EPOLLRDBAND)

static int pend_file[16];
static uint32_t pend_key[16];
static int npend;

/* op causes a wake-up of file with key (0: no key). */
static void stale_note(int file, uint32_t key)
{
	if (file >= 0 && npend < 16) {
		pend_file[npend] = file;
		pend_key[npend++] = key;
	}
}

static void stale_flush(void)
{
	for (int k = 0; k < npend; k++) {
		int file = pend_file[k];
		int fd = -1;
		for (int f = 3; f < MAXFD && fd < 0; f++)
			if (fdobj[f] == file)
				fd = f;
		if (fd < 0 || O(file)->kind == K_EPOLL)
			continue;
		for (int e = 0; e < sh->nobj; e++) {
			struct obj *o = O(e);
			if (o->kind != K_EPOLL || o->closed_all)
				continue;
			for (int i = 0; i < o->nents; i++) {
				if (o->ents[i].file != file)
					continue;
				if (pend_key[k] && !(o->ents[i].mask & pend_key[k]))
					continue;
				struct pollfd pf = {fd, (short)(o->ents[i].mask &
								0xffff), 0};
				if (poll(&pf, 1, 0) == 0)
					stale_taint(e, 0);
			}
		}
	}
	npend = 0;
}

/* ------------------------------------------------------------------ */
/* Creation ops */

static int fd_cap(void)
{
	if (nlive() >= FDCAP) {
		outf(" skipped: fd cap");
		return 1;
	}
	return 0;
}

static void op_epoll_create(void)
{
	static const int sizes[] = {1, 1, 1, 0, -1, INT_MIN, 2, 1000, 7};
	int size = P(10) ? (int)R() : sizes[RN(9)];
	begin("epoll_create(%d)", size);
	if (fd_cap())
		return;
	long r = syscall(SYS_epoll_create, size);
	res(r, errno);
	if (r >= 0) {
		int obj = obj_new(K_EPOLL);
		if (fd_new((int)r, obj) == 0)
			fdflags((int)r);
	}
}

static void op_epoll_create1(void)
{
	static const int flags[] = {0, 0, 0, EPOLL_CLOEXEC, EPOLL_CLOEXEC, 1,
				    O_NONBLOCK, EPOLL_CLOEXEC | 1};
	int fl = P(8) ? (int)R() : flags[RN(8)];
	begin("epoll_create1(%#x)", fl);
	if (fd_cap())
		return;
	long r = syscall(SYS_epoll_create1, fl);
	res(r, errno);
	if (r >= 0) {
		int obj = obj_new(K_EPOLL);
		if (fd_new((int)r, obj) == 0)
			fdflags((int)r);
	}
}

static void op_eventfd(int two)
{
	static const uint64_t counts[] = {0, 0, 0, 1, 1, 2, 7, 0xffffffff,
					  0xfffffffe, 0x100000005ull};
	static const int flags[] = {0,
				    EFD_NONBLOCK,
				    EFD_NONBLOCK,
				    EFD_SEMAPHORE | EFD_NONBLOCK,
				    EFD_CLOEXEC,
				    EFD_SEMAPHORE,
				    EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC,
				    2,
				    O_RDWR,
				    O_APPEND,
				    (int)0x80000000};
	uint64_t cnt = P(15) ? (R() & 0xffffffffu) : counts[RN(10)];
	int fl = P(5) ? (int)R() : flags[RN(11)];
	long r;
	if (two) {
		begin("eventfd2(%#llx, %#x)", (unsigned long long)cnt, fl);
		if (fd_cap())
			return;
		r = syscall(SYS_eventfd2, cnt, fl);
	} else {
		begin("eventfd(%#llx)", (unsigned long long)cnt);
		if (fd_cap())
			return;
		r = syscall(SYS_eventfd, cnt);
	}
	res(r, errno);
	if (r >= 0 && fd_new((int)r, obj_new(K_EVENTFD)) == 0)
		fdflags((int)r);
}

static void op_pipe(void)
{
	static const int flags[] = {0, 0, O_NONBLOCK, O_CLOEXEC, O_DIRECT};
	int fl = flags[RN(5)];
	int p[2];
	begin("pipe2(%#o)", fl);
	if (fd_cap())
		return;
	long r = pipe2(p, fl);
	res(r, errno);
	if (r == 0) {
		int a = obj_new(K_PIPE_R), b = obj_new(K_PIPE_W);
		if (a >= 0 && b >= 0) {
			O(a)->peer = b;
			O(b)->peer = a;
		}
		outf(" [%d %d]", p[0], p[1]);
		fd_new(p[0], a);
		fd_new(p[1], b);
	}
}

static void op_socketpair(void)
{
	static const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
	static const int kinds[] = {K_USTREAM, K_UDGRAM, K_USEQ};
	unsigned t = RN(3);
	int extra = P(20) ? SOCK_NONBLOCK : 0;
	if (P(10))
		extra |= SOCK_CLOEXEC;
	int sv[2];
	begin("socketpair(%s%s)", kind_name[kinds[t]],
	      extra & SOCK_NONBLOCK ? "|NONBLOCK" : "");
	if (fd_cap())
		return;
	long r = socketpair(AF_UNIX, types[t] | extra, 0, sv);
	res(r, errno);
	if (r == 0) {
		int a = obj_new(kinds[t]), b = obj_new(kinds[t]);
		if (a >= 0 && b >= 0) {
			O(a)->peer = b;
			O(b)->peer = a;
		}
		outf(" [%d %d]", sv[0], sv[1]);
		fd_new(sv[0], a);
		fd_new(sv[1], b);
	}
}

static void op_tcp(void)
{
	begin("tcp()");
	if (fd_cap())
		return;
	int l = socket(AF_INET, SOCK_STREAM, 0), c = -1, a = -1;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&sa, &sl) < 0 ||
	    (c = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(c, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (a = accept(l, NULL, NULL)) < 0) {
		outf(" = -1 %s", ename(errno));
		if (l >= 0)
			close(l);
		if (c >= 0)
			close(c);
		return;
	}
	close(l);
	int one = 1;
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	outf(" = [%d %d]", c, a);
	int oc = obj_new(K_TCP), oa = obj_new(K_TCP);
	if (oc < 0 || oa < 0) {
		close(c);
		close(a);
		return;
	}
	O(oc)->peer = oa;
	O(oa)->peer = oc;
	fd_new(c, oc);
	fd_new(a, oa);
	tcp_settle();
}

static void op_special(void)
{
	unsigned v = RN(4);
	long r;
	int kind;
	switch (v) {
	case 0:
		begin("open(/dev/null)");
		if (fd_cap())
			return;
		r = open("/dev/null", O_RDWR);
		kind = K_DEVNULL;
		break;
	case 1:
		begin("open(/, O_PATH)");
		if (fd_cap())
			return;
		r = open("/", O_PATH);
		kind = K_OPATH;
		break;
	case 2:
		begin("memfd_create()");
		if (fd_cap())
			return;
		r = memfd_create("difffuzz", 0);
		kind = K_MEMFD;
		break;
	default:
		begin("open(/, O_RDONLY|O_DIRECTORY)");
		if (fd_cap())
			return;
		r = open("/", O_RDONLY | O_DIRECTORY);
		kind = K_DIR;
		break;
	}
	res(r, errno);
	if (r >= 0)
		fd_new((int)r, obj_new(kind));
}

/* ------------------------------------------------------------------ */
/* epoll_ctl */

static uint32_t gen_mask(void)
{
	static const struct {
		uint32_t bit;
		unsigned pct;
	} t[] = {{EPOLLIN, 60},	     {EPOLLOUT, 40},	 {EPOLLPRI, 8},
		 {EPOLLERR, 8},	     {EPOLLHUP, 8},	 {EPOLLRDHUP, 20},
		 {EPOLLRDNORM, 12},  {EPOLLRDBAND, 4},	 {EPOLLWRNORM, 12},
		 {EPOLLWRBAND, 4},   {EPOLLMSG, 3},	 {EPOLLET, 30},
		 {EPOLLONESHOT, 18}, {EPOLLEXCLUSIVE, 8}, {EPOLLWAKEUP, 6},
		 {1u << 27, 2},	     {0x4000, 2},	 {0x100000, 2}};
	if (P(4))
		return 0;
	if (P(3))
		return (uint32_t)R();
	uint32_t m = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].pct && P(t[i].pct))
			m |= t[i].bit;
	if ((m & EPOLLEXCLUSIVE) && P(60))
		m &= EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP |
		     EPOLLET | EPOLLEXCLUSIVE;
	return m;
}

static void reg_add(int epobj, int fd)
{
	struct obj *o = O(epobj);
	if (o->nregs < MAXREG)
		o->regs[o->nregs++] = fd;
	else
		o->regs[RN(MAXREG)] = fd;
}
static void reg_del(int epobj, int fd)
{
	struct obj *o = O(epobj);
	for (int i = 0; i < o->nregs; i++)
		if (o->regs[i] == fd) {
			o->regs[i] = o->regs[--o->nregs];
			return;
		}
}

static const char *ctl_name(int op)
{
	static char buf[16];
	switch (op) {
	case EPOLL_CTL_ADD: return "ADD";
	case EPOLL_CTL_DEL: return "DEL";
	case EPOLL_CTL_MOD: return "MOD";
	}
	snprintf(buf, sizeof(buf), "op%d", op);
	return buf;
}

static void op_ctl(void)
{
	int epfd = pick_fd(KB(K_EPOLL), 3);
	unsigned u = RN(100);
	int op = u < 42 ? EPOLL_CTL_ADD
		 : u < 68 ? EPOLL_CTL_MOD
		 : u < 88 ? EPOLL_CTL_DEL
			  : (int[]){0, 4, 99, -1}[RN(4)];
	int fd;
	unsigned v = RN(100);
	int epobj = fdkind(epfd) == K_EPOLL ? fdobj[epfd] : -1;
	if (v < 3) {
		fd = epfd;
	} else if (v < 13) {
		fd = pick_fd(KB(K_EPOLL), 0);
		for (int t = 0; t < 3 && fd == epfd; t++)
			fd = pick_fd(KB(K_EPOLL), 0);
	} else if (op != EPOLL_CTL_ADD && epobj >= 0 && O(epobj)->nregs &&
		   v < 80) {
		fd = O(epobj)->regs[RN((unsigned)O(epobj)->nregs)];
	} else {
		fd = pick_fd(KM_POLLABLE, 8);
	}
	uint32_t mask = gen_mask();
	uint64_t data = P(60) ? ((uint64_t)cur_op << 32 | (uint32_t)fd) : R();
	struct epoll_event ev = {.events = mask, .data.u64 = data};
	void *evp;
	const char *pname = NULL;
	unsigned w = RN(100);
	if (w < 90)
		evp = &ev;
	else if (w < 94)
		evp = ro_with(&ev, sizeof(ev));
	else
		evp = bad_ptr(RN(7), &pname);
	if (pname)
		begin("epoll_ctl(%d, %s, %d, %s)", epfd, ctl_name(op), fd,
		      pname);
	else
		begin("epoll_ctl(%d, %s, %d, {%#x, %#llx}%s)", epfd,
		      ctl_name(op), fd, mask, (unsigned long long)data,
		      evp == ro_page ? " ro" : "");
	long r = syscall(SYS_epoll_ctl, epfd, op, fd, evp);
	int err = errno;
	res(r, err);
	if (r == 0 && epobj >= 0) {
		if (op == EPOLL_CTL_ADD) {
			reg_add(epobj, fd);
			ent_add(epobj, fd, mask);
		} else if (op == EPOLL_CTL_DEL) {
			reg_del(epobj, fd);
			ent_del(epobj, fd);
		} else if (op == EPOLL_CTL_MOD) {
			struct ent *en = ent_find(epobj, fd);
			if (en)
				en->mask = mask | EPOLLERR | EPOLLHUP;
		}
	}
}

/* ------------------------------------------------------------------ */
/* epoll_wait, epoll_pwait, epoll_pwait2 */

#define CANARY 0xa5

static void print_events(const struct epoll_event *ev, long n)
{
	outf(" [");
	for (long i = 0; i < n; i++)
		outf("%s%#x:%#llx", i ? " " : "", ev[i].events,
		     (unsigned long long)ev[i].data.u64);
	outf("]");
}

struct sigarg {
	void *p;
	size_t size;
	const char *desc;
	int bad; /* the kernel fails on it before the fd lookup */
};

static sigset_t sigmask_storage;

static struct sigarg gen_sigmask(void)
{
	struct sigarg s = {NULL, 8, "NULL", 0};
	unsigned u = RN(100);
	static const size_t sizes[] = {8, 0, 4, 12345};
	if (u < 55) {
		s.size = sizes[RN(4)];
		return s;
	}
	sigemptyset(&sigmask_storage);
	if (P(50))
		sigaddset(&sigmask_storage, SIGUSR1);
	if (P(30))
		sigaddset(&sigmask_storage, SIGINT);
	s.p = &sigmask_storage;
	s.desc = "&mask";
	if (u < 92)
		return s;
	if (u < 96) {
		s.size = P(50) ? 4 : 16;
		s.bad = 1;
		return s;
	}
	s.p = bad_ptr(1 + RN(6), &s.desc);
	s.bad = 1;
	return s;
}

static void op_wait(void)
{
	int epfd = pick_fd(KB(K_EPOLL), 3);
	unsigned which = RN(3);
	static const int maxes[] = {1, 1, 2, 2, 3, 4, 4, 8, 16, 64};
	int maxev;
	unsigned u = RN(100);
	if (u < 90)
		maxev = maxes[RN(10)];
	else
		maxev = (int[]){0,	       -1,	    INT_MIN,
				EP_MAX_EVENTS, EP_MAX_EVENTS + 1, INT_MAX,
				1000}[RN(7)];
	/* the output buffer: normally 64 records ending at a guard page */
	int cap = 64;
	struct epoll_event *buf;
	const char *bname = NULL;
	unsigned b = RN(100);
	if (b < 88) {
		buf = (struct epoll_event *)(guard - cap * sizeof(*buf));
	} else if (b < 94) {
		cap = (int)RN(3); /* room for 0, 1 or 2 records only */
		bname = (const char *[]){"tight0", "tight1", "tight2"}[cap];
		buf = (struct epoll_event *)(guard - cap * sizeof(*buf));
	} else if (b < 96) {
		bname = "ro";
		buf = (struct epoll_event *)ro_page;
	} else {
		unsigned k = RN(7);
		buf = bad_ptr(k, &bname);
		if (k == 3 && P(50))
			maxev = 1; /* ends exactly at the user limit */
	}
	int inbuf = (char *)buf >= ev_region && (char *)buf <= guard &&
		    buf != NULL;
	if (inbuf)
		memset(buf, CANARY, (size_t)(guard - (char *)buf));
	int timeout = P(4) ? 1 : 0;
	long r;
	int err;
	int stale = fdkind(epfd) == K_EPOLL && O(fdobj[epfd])->stale;
	if (which == 0) {
		begin("epoll_wait(%d, %s, %d, %d)", epfd, bname ? bname : "buf",
		      maxev, timeout);
		r = syscall(SYS_epoll_wait, epfd, buf, maxev, timeout);
		err = errno;
	} else if (which == 1) {
		struct sigarg s = gen_sigmask();
		begin("epoll_pwait(%d, %s, %d, %d, %s, %zu)", epfd,
		      bname ? bname : "buf", maxev, timeout, s.desc, s.size);
		r = syscall(SYS_epoll_pwait, epfd, buf, maxev, timeout, s.p,
			    s.size);
		err = errno;
	} else {
		struct sigarg s = gen_sigmask();
		struct timespec ts = {0, timeout ? 1000000 : 0};
		void *tsp = &ts;
		const char *tdesc = timeout ? "{0,1ms}" : "{0,0}";
		unsigned t = RN(200);
		if (t < 4) {
			ts.tv_nsec = 1000000000;
			tdesc = "{0,1e9}";
		} else if (t < 7) {
			ts.tv_sec = -1;
			tdesc = "{-1,0}";
		} else if (t < 9) {
			ts.tv_nsec = -1;
			tdesc = "{0,-1}";
		} else if (t < 12) {
			tsp = bad_ptr(1 + RN(2), &tdesc);
		} else if (t < 15) {
			tsp = ro_with(&ts, sizeof(ts));
			tdesc = timeout ? "ro{0,1ms}" : "ro{0,0}";
		}
		begin("epoll_pwait2(%d, %s, %d, %s, %s, %zu)", epfd,
		      bname ? bname : "buf", maxev, tdesc, s.desc, s.size);
		r = syscall(SYS_epoll_pwait2, epfd, buf, maxev, tsp, s.p,
			    s.size);
		err = errno;
	}
	res(r, err);
	if (r == 0 && fdkind(epfd) == K_EPOLL)
		O(fdobj[epfd])->stale = 0; /* the ready list is empty */
	if (r > 0 && inbuf) {
		long n = r;
		if (n > cap) {
			outf(" (MORE THAN THE BUFFER)");
			n = cap;
		}
		print_events(buf, n);
		/* nothing written past the n records */
		unsigned char *p = (unsigned char *)(buf + n);
		for (; (char *)p < guard; p++)
			if (*p != CANARY) {
				outf(" (WRITTEN PAST RECORD %ld)", n);
				break;
			}
	} else if (inbuf) {
		unsigned char *p = (unsigned char *)buf;
		for (; (char *)p < guard; p++)
			if (*p != CANARY) {
				outf(" (BUFFER WRITTEN)");
				break;
			}
	}
	if (stale)
		outf(" [stale-wakeups]");
}

/* ------------------------------------------------------------------ */
/* poll, ppoll */

static void op_poll(void)
{
	int nfds = (int)RN(7);
	struct pollfd pf[8];
	int tag_stale = 0;
	for (int i = 0; i < nfds; i++) {
		unsigned u = RN(100);
		int fd;
		if (u < 30)
			fd = pick_fd(KB(K_EPOLL), 0);
		else if (u < 90)
			fd = pick_fd(KM_ANY, 8);
		else
			fd = (int[]){-1, -5, INT_MIN}[RN(3)];
		short ev;
		unsigned e = RN(100);
		if (e < 10)
			ev = (short)R();
		else if (e < 15)
			ev = 0;
		else {
			ev = 0;
			if (P(60))
				ev |= POLLIN;
			if (P(40))
				ev |= POLLOUT;
			if (P(10))
				ev |= POLLPRI;
			if (P(15))
				ev |= POLLRDNORM;
			if (P(15))
				ev |= POLLWRNORM;
			if (P(15))
				ev |= POLLRDHUP;
			if (P(5))
				ev |= POLLRDBAND | POLLWRBAND;
			if (P(5))
				ev |= POLLERR | POLLHUP | POLLNVAL;
		}
		pf[i].fd = fd;
		pf[i].events = ev;
		pf[i].revents = (short)(P(50) ? 0x7fff : 0);
		if (fdkind(fd) == K_EPOLL && O(fdobj[fd])->stale)
			tag_stale = 1;
	}
	int is_ppoll = P(40);
	int timeout = P(4) ? 1 : 0;
	void *arr = pf;
	const char *aname = "arr";
	unsigned long nfarg = (unsigned long)nfds;
	unsigned a = RN(100);
	if (a < 5 && nfds) {
		arr = ro_with(pf, sizeof(pf[0]) * nfds);
		aname = "ro";
	} else if (a < 8 && nfds) {
		/* the last entry crosses into the guard page */
		arr = guard - nfds * sizeof(struct pollfd) + 4;
		memcpy(arr, pf, sizeof(pf[0]) * nfds - 4);
		aname = "straddle";
	} else if (a < 11) {
		arr = bad_ptr(RN(3), &aname);
	} else if (a < 13) {
		nfarg = (unsigned long)orig_nofile.rlim_cur + 1;
		struct rlimit rl;
		getrlimit(RLIMIT_NOFILE, &rl);
		nfarg = rl.rlim_cur + 1;
		aname = "nfds=rlimit+1";
	}
	/* poll writes back into arr; keep a copy for printing */
	long r;
	int err;
	char tsdesc[64] = "";
	if (!is_ppoll) {
		begin("poll(%s, %lu, %d", aname, nfarg, timeout);
		for (int i = 0; i < nfds; i++)
			outf(", {%d %#hx}", pf[i].fd, (unsigned short)pf[i].events);
		outf(")");
		r = syscall(SYS_poll, arr, nfarg, timeout);
		err = errno;
	} else {
		struct timespec ts = {0, timeout ? 1000000 : 0}, ots;
		void *tsp = &ts;
		const char *tdesc = timeout ? "{0,1ms}" : "{0,0}";
		unsigned t = RN(100);
		if (t < 4) {
			ts.tv_nsec = 1000000000;
			tdesc = "{0,1e9}";
		} else if (t < 6) {
			ts.tv_sec = -1;
			tdesc = "{-1,0}";
		} else if (t < 9) {
			tsp = bad_ptr(1 + RN(2), &tdesc);
		} else if (t < 14) {
			tsp = ro_with(&ts, sizeof(ts));
			tdesc = timeout ? "ro{0,1ms}" : "ro{0,0}";
		}
		ots = ts;
		struct sigarg s = gen_sigmask();
		begin("ppoll(%s, %lu, %s, %s, %zu", aname, nfarg, tdesc, s.desc,
		      s.size);
		for (int i = 0; i < nfds; i++)
			outf(", {%d %#hx}", pf[i].fd, (unsigned short)pf[i].events);
		outf(")");
		r = syscall(SYS_ppoll, arr, nfarg, tsp, s.p, s.size);
		err = errno;
		if (tsp == &ts)
			snprintf(tsdesc, sizeof(tsdesc), " ts=%s",
				 memcmp(&ts, &ots, sizeof(ts)) ? "written"
							       : "same");
	}
	res(r, err);
	outf("%s", tsdesc);
	if (arr == pf || arr == ro_page || !strcmp(aname, "straddle")) {
		struct pollfd *q = arr;
		outf(" revents=[");
		for (int i = 0; i < nfds; i++) {
			short rv;
			if (!strcmp(aname, "straddle") && i == nfds - 1)
				rv = -1; /* in the guard page */
			else
				rv = q[i].revents;
			outf("%s%#hx", i ? " " : "", (unsigned short)rv);
		}
		outf("]");
	}
	if (tag_stale)
		outf(" [stale-wakeups]");
}

/* ------------------------------------------------------------------ */
/* select, pselect6 */

#define SETBITS 8192
static uint64_t selsets[3][SETBITS / 64];

static void op_select(void)
{
	int nch = (int)RN(6);
	int fds[6];
	int maxfd = -1;
	int tag_stale = 0;
	for (int i = 0; i < nch; i++) {
		unsigned u = RN(100);
		fds[i] = u < 10 ? pick_fd(KB(K_EPOLL), 0) : pick_fd(KM_ANY, 6);
		if (fds[i] < 0 || fds[i] >= 64)
			fds[i] = lowest_closed();
		if (fds[i] > maxfd)
			maxfd = fds[i];
	}
	int nfds = maxfd + 1 + (P(30) ? (int)RN(3) : 0);
	unsigned n = RN(100);
	if (n < 4)
		nfds = 0;
	else if (n < 7)
		nfds = -1;
	else if (n < 9)
		nfds = 5000;
	else if (n < 12 && nfds > 0)
		nfds = (int)RN((unsigned)nfds);
	void *sp[3];
	const char *sname[3];
	memset(selsets, 0, sizeof(selsets));
	for (int k = 0; k < 3; k++) {
		unsigned u = RN(100);
		if (u < 20) {
			sp[k] = NULL;
			sname[k] = "NULL";
		} else if (u < 23) {
			sp[k] = (void *)8;
			sname[k] = "(void*)8";
		} else {
			sp[k] = selsets[k];
			sname[k] = "set";
			for (int i = 0; i < nch; i++)
				if (P(60)) {
					selsets[k][fds[i] / 64] |=
						1ull << (fds[i] % 64);
					if (fds[i] < nfds &&
					    fdkind(fds[i]) == K_EPOLL &&
					    O(fdobj[fds[i]])->stale)
						tag_stale = 1;
				}
		}
	}
	int is_p = P(40);
	long r;
	int err;
	begin("%s(%d", is_p ? "pselect6" : "select", nfds);
	for (int k = 0; k < 3; k++) {
		outf(", %s", sname[k]);
		if (sp[k] == selsets[k]) {
			outf("{");
			int first = 1;
			for (int fd = 0; fd < 64; fd++)
				if (selsets[k][0] & (1ull << fd)) {
					outf("%s%d", first ? "" : " ", fd);
					first = 0;
				}
			outf("}");
		}
	}
	char tsdesc[64] = "";
	if (!is_p) {
		struct timeval tv = {0, 0}, otv;
		void *tvp = &tv;
		const char *td = "{0,0}";
		unsigned t = RN(100);
		if (t < 3) {
			tv.tv_usec = -1;
			td = "{0,-1}";
		} else if (t < 5) {
			tv.tv_sec = -1;
			td = "{-1,0}";
		} else if (t < 7) {
			tvp = (void *)8;
			td = "(void*)8";
		} else if (t < 10) {
			tv.tv_usec = 1000;
			td = "{0,1ms}";
		}
		otv = tv;
		outf(", %s)", td);
		r = syscall(SYS_select, nfds, sp[0], sp[1], sp[2], tvp);
		err = errno;
		if (tvp == &tv)
			snprintf(tsdesc, sizeof(tsdesc), " tv=%s",
				 memcmp(&tv, &otv, sizeof(tv)) ? "written"
							       : "same");
	} else {
		struct timespec ts = {0, 0}, ots;
		void *tsp = &ts;
		const char *td = "{0,0}";
		unsigned t = RN(100);
		if (t < 3) {
			ts.tv_nsec = 1000000000;
			td = "{0,1e9}";
		} else if (t < 5) {
			tsp = (void *)8;
			td = "(void*)8";
		} else if (t < 8) {
			ts.tv_nsec = 1000000;
			td = "{0,1ms}";
		}
		ots = ts;
		struct {
			void *ss;
			size_t len;
		} sig6 = {NULL, 8};
		void *s6 = NULL;
		const char *sd = "NULL";
		unsigned s = RN(100);
		if (s < 30) {
			sigemptyset(&sigmask_storage);
			sig6.ss = &sigmask_storage;
			s6 = &sig6;
			sd = "{&mask,8}";
		} else if (s < 35) {
			sigemptyset(&sigmask_storage);
			sig6.ss = &sigmask_storage;
			sig6.len = 4;
			s6 = &sig6;
			sd = "{&mask,4}";
		} else if (s < 40) {
			s6 = &sig6;
			sd = "{NULL,8}";
		} else if (s < 43) {
			s6 = (void *)8;
			sd = "(void*)8";
		}
		ots = ts;
		outf(", %s, %s)", td, sd);
		r = syscall(SYS_pselect6, nfds, sp[0], sp[1], sp[2], tsp, s6);
		err = errno;
		if (tsp == &ts)
			snprintf(tsdesc, sizeof(tsdesc), " ts=%s",
				 memcmp(&ts, &ots, sizeof(ts)) ? "written"
							       : "same");
	}
	res(r, err);
	outf("%s", tsdesc);
	for (int k = 0; k < 3; k++) {
		if (sp[k] != selsets[k])
			continue;
		outf(" %c{", "rwe"[k]);
		int first = 1;
		for (int fd = 0; fd < SETBITS; fd++)
			if (selsets[k][fd / 64] & (1ull << (fd % 64))) {
				outf("%s%d", first ? "" : " ", fd);
				first = 0;
			}
		outf("}");
	}
	if (tag_stale)
		outf(" [stale-wakeups]");
}

/* ------------------------------------------------------------------ */
/* read, write, shutdown */

static unsigned char iobuf[1 << 17];

static uint32_t fnv(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Run fn with O_NONBLOCK set on fd's file, restoring its flags after. */
static int nb_begin(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	return fl;
}
static void nb_end(int fd, int fl)
{
	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl);
}

static size_t gen_size(void)
{
	static const size_t sz[] = {1, 1, 7, 100, 512, 4096, 4097, 65536,
				    70000, 131072};
	return P(30) ? 1 + RN(300) : sz[RN(10)];
}

static void recv_fds(struct msghdr *mh, int recv_obj)
{
	struct cmsghdr *c;
	int first = 1;
	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		int *fds = (int *)CMSG_DATA(c);
		for (int i = 0; i < n; i++) {
			int obj = -1;
			struct obj *ro = O(recv_obj);
			if (ro->fifo_n > 0) {
				obj = ro->fifo[0];
				memmove(ro->fifo, ro->fifo + 1,
					sizeof(int) * (size_t)--ro->fifo_n);
			}
			outf("%s%d", first ? " fds=[" : " ", fds[i]);
			first = 0;
			if (obj < 0) {
				outf("(MODEL: unexpected fd)");
				obj = obj_new(K_DEVNULL);
			}
			fd_new(fds[i], obj);
		}
	}
	if (!first)
		outf("]");
}

static void op_read(void)
{
	int fd = pick_fd(KM_POLLABLE & ~KB(K_EPOLL), 5);
	int k = fdkind(fd);
	long r;
	int err;
	if (k == K_EVENTFD) {
		static const size_t lens[] = {8, 8, 8, 8, 16, 7, 0};
		size_t len = lens[RN(7)];
		uint64_t v = 0;
		void *p = &v;
		const char *pn = NULL;
		if (P(4))
			p = bad_ptr(1 + RN(2), &pn);
		begin("read(%d eventfd, %s, %zu)", fd, pn ? pn : "buf", len);
		unsigned char big[16] = {0};
		if (len == 16 && !pn)
			p = big;
		int fl = nb_begin(fd);
		r = read(fd, p, len);
		err = errno;
		nb_end(fd, fl);
		res(r, err);
		if (r == 8)
			outf(" val=%#llx", p == big ? (unsigned long long)
							       *(uint64_t *)big
						    : (unsigned long long)v);
		return;
	}
	size_t n = gen_size();
	if (k == K_PIPE_R || k == K_NONE || k == K_PIPE_W) {
		begin("read(%d %s, %zu)", fd, kind_name[k], n);
		int fl = is_live(fd) ? nb_begin(fd) : -1;
		r = read(fd, iobuf, n);
		err = errno;
		if (is_live(fd))
			nb_end(fd, fl);
		res(r, err);
		if (r > 0)
			outf(" h=%08x", fnv(iobuf, (size_t)r));
		return;
	}
	if (k == K_TCP) {
		begin("recv(%d tcp, %zu)", fd, n);
		r = recv(fd, iobuf, n, MSG_DONTWAIT);
		err = errno;
		res(r, err);
		if (r > 0) {
			outf(" h=%08x", fnv(iobuf, (size_t)r));
			O(fdobj[fd])->expect_inq -= r;
		}
		tcp_settle();
		return;
	}
	/* unix sockets: recvmsg, adopting the fds that come with it */
	union {
		char buf[CMSG_SPACE(8 * sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov = {iobuf, n};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cm.buf,
			    .msg_controllen = sizeof(cm.buf)};
	int cloexec = P(20);
	begin("recvmsg(%d %s, %zu%s)", fd, kind_name[k], n,
	      cloexec ? ", CMSG_CLOEXEC" : "");
	r = recvmsg(fd, &mh, MSG_DONTWAIT | (cloexec ? MSG_CMSG_CLOEXEC : 0));
	err = errno;
	res(r, err);
	if (r > 0)
		outf(" h=%08x", fnv(iobuf, (size_t)r));
	if (r >= 0) {
		if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
			outf(" flags=%#x", mh.msg_flags);
		recv_fds(&mh, fdobj[fd]);
	}
}

static void fill_pattern(size_t n)
{
	for (size_t i = 0; i < n; i++)
		iobuf[i] = (unsigned char)(i * 7 + (unsigned)cur_op);
}

static void op_write(void)
{
	int fd = pick_fd(KM_POLLABLE & ~KB(K_EPOLL), 5);
	int k = fdkind(fd);
	long r;
	int err;
	if (k == K_EVENTFD) {
		static const uint64_t vals[] = {1, 1, 1, 2, 3, 0, 100,
						0xfffffffffffffffeull,
						0xffffffffffffffffull,
						0x8000000000000000ull,
						0xfffffffffffffffdull};
		static const size_t lens[] = {8, 8, 8, 8, 8, 8, 7, 9, 16};
		uint64_t v = P(10) ? R() : vals[RN(11)];
		size_t len = lens[RN(9)];
		uint64_t vv[2] = {v, 0};
		void *p = vv;
		const char *pn = NULL;
		if (P(4))
			p = bad_ptr(1 + RN(2), &pn);
		begin("write(%d eventfd, %s%#llx, %zu)", fd, pn ? pn : "",
		      pn ? 0ull : (unsigned long long)v, len);
		int fl = nb_begin(fd);
		r = write(fd, p, len);
		err = errno;
		nb_end(fd, fl);
		res(r, err);
		if (r == 8 && v == 0)
			stale_note(fdobj[fd], EPOLLIN);
		return;
	}
	size_t n = gen_size();
	fill_pattern(n);
	if (k == K_TCP) {
		struct obj *o = O(fdobj[fd]);
		int64_t room = 32768;
		if (o->peer >= 0)
			room -= O(o->peer)->expect_inq;
		if (room < 0)
			room = 0;
		if ((int64_t)n > room)
			n = (size_t)room;
		begin("send(%d tcp, %zu)", fd, n);
		r = send(fd, iobuf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		err = errno;
		res(r, err);
		if (r > 0) {
			stale_note(O(fdobj[fd])->peer, DATA_READY_KEY);
			int was = O(fdobj[fd])->rst_in;
			tcp_on_write(fdobj[fd], r);
			if (!was && O(fdobj[fd])->rst_in) {
				stale_note(fdobj[fd], 0);
				stale_note(O(fdobj[fd])->peer, 0);
			}
		}
		tcp_settle();
		return;
	}
	if (k == K_USTREAM || k == K_UDGRAM || k == K_USEQ) {
		begin("send(%d %s, %zu)", fd, kind_name[k], n);
		r = send(fd, iobuf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		err = errno;
		res(r, err);
		if (r > 0)
			stale_note(O(fdobj[fd])->peer, DATA_READY_KEY);
		return;
	}
	begin("write(%d %s, %zu)", fd, kind_name[k], n);
	int fl = is_live(fd) ? nb_begin(fd) : -1;
	r = write(fd, iobuf, n);
	err = errno;
	if (is_live(fd))
		nb_end(fd, fl);
	res(r, err);
}

static void op_shutdown(void)
{
	int fd = pick_fd(KM_SOCK, 8);
	int how = (int[]){SHUT_RD, SHUT_WR, SHUT_WR, SHUT_RDWR, 3, -1}[RN(6)];
	begin("shutdown(%d %s, %d)", fd, kind_name[fdkind(fd)], how);
	long r = shutdown(fd, how);
	int err = errno;
	res(r, err);
	if ((KB(fdkind(fd)) & KM_SOCK) && (r == 0 || err == ENOTCONN)) {
		stale_note(fdobj[fd], 0);
		stale_note(O(fdobj[fd])->peer, 0);
	}
	if (fdkind(fd) == K_TCP && how >= 0 && how <= 2) {
		/* the flags are set even when the call fails with ENOTCONN */
		tcp_on_shut(fdobj[fd], how);
		tcp_settle();
	}
}

static void op_scm(void)
{
	int s = pick_fd(KM_UNIX, 0);
	int x = pick_fd(KB(K_EPOLL) | KB(K_EVENTFD) | KB(K_PIPE_R) |
				KB(K_PIPE_W) | KB(K_DEVNULL) | KB(K_MEMFD),
			0);
	int sk = fdkind(s), xk = fdkind(x);
	begin("sendmsg(%d %s, SCM_RIGHTS %d %s)", s, kind_name[sk], x,
	      kind_name[xk]);
	if (!(KM_UNIX & KB(sk)) ||
	    (KB(xk) & (KM_SOCK | KB(K_NONE) | KB(K_OPATH) | KB(K_DIR)))) {
		outf(" skipped");
		return;
	}
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	memset(&cm, 0, sizeof(cm));
	unsigned char byte = (unsigned char)cur_op;
	struct iovec iov = {&byte, 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cm.buf,
			    .msg_controllen = sizeof(cm.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &x, sizeof(int));
	long r = sendmsg(s, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	res(r, errno);
	int pe = O(fdobj[s])->peer;
	if (r > 0)
		stale_note(pe, DATA_READY_KEY);
	if (r > 0 && pe >= 0) {
		struct obj *p = O(pe);
		if (p->fifo_n < FIFO_MAX)
			p->fifo[p->fifo_n++] = fdobj[x];
		else
			outf(" (MODEL: fifo full)");
	}
}

/* ------------------------------------------------------------------ */
/* close, dup */

static void op_close(void)
{
	int fd = pick_fd(KM_ANY, 6);
	int k = fdkind(fd);
	begin("close(%d %s)", fd, kind_name[k]);
	if (fd >= 0 && fd < 3) {
		outf(" skipped");
		return;
	}
	long r = close(fd);
	res(r, errno);
	if (r == 0) {
		fd_release(fd);
		if (k == K_TCP)
			tcp_settle();
	}
}

static void op_dup(void)
{
	int fd = pick_fd(KM_ANY, 5);
	unsigned v = RN(100);
	long r;
	int err;
	int target = -1;
	if (v < 30) {
		begin("dup(%d %s)", fd, kind_name[fdkind(fd)]);
		if (fd_cap())
			return;
		r = dup(fd);
		err = errno;
	} else if (v < 75) {
		unsigned t = RN(100);
		if (t < 40)
			target = pick_live(KM_ANY);
		else if (t < 50)
			target = fd;
		else
			target = 3 + (int)RN(40);
		if (target < 3)
			target = lowest_closed();
		int three = P(25);
		int fl = three ? (P(80) ? O_CLOEXEC : O_NONBLOCK) : 0;
		if (three)
			begin("dup3(%d %s, %d %s, %#o)", fd,
			      kind_name[fdkind(fd)], target,
			      kind_name[fdkind(target)], fl);
		else
			begin("dup2(%d %s, %d %s)", fd, kind_name[fdkind(fd)],
			      target, kind_name[fdkind(target)]);
		if (!is_live(target) && fd_cap())
			return;
		r = three ? dup3(fd, target, fl) : dup2(fd, target);
		err = errno;
	} else {
		int min = 3 + (int)RN(30);
		int cl = P(30);
		begin("fcntl(%d %s, %s, %d)", fd, kind_name[fdkind(fd)],
		      cl ? "F_DUPFD_CLOEXEC" : "F_DUPFD", min);
		if (fd_cap())
			return;
		r = fcntl(fd, cl ? F_DUPFD_CLOEXEC : F_DUPFD, min);
		err = errno;
	}
	res(r, err);
	if (r >= 0 && r != fd) {
		int obj = fdobj[fd];
		int was_tcp = fdkind((int)r) == K_TCP;
		fd_release((int)r);
		fd_new((int)r, obj);
		if (was_tcp)
			tcp_settle();
	}
}

/* ------------------------------------------------------------------ */
/* misc */

static void op_rlimit(void)
{
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (P(50)) {
		rl.rlim_cur = (rlim_t)(maxlive() + 1 + (int)RN(3));
		begin("setrlimit(NOFILE, %lu)", (unsigned long)rl.rlim_cur);
	} else {
		rl.rlim_cur = orig_nofile.rlim_cur;
		begin("setrlimit(NOFILE, orig)");
	}
	long r = setrlimit(RLIMIT_NOFILE, &rl);
	res(r, errno);
}

static void op_fdinfo(void)
{
	int fd = pick_fd(KB(K_EVENTFD), 0);
	begin("fdinfo(%d %s)", fd, kind_name[fdkind(fd)]);
	if (fdkind(fd) != K_EVENTFD) {
		outf(" skipped");
		return;
	}
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	int f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0) {
		outf(" = -1 %s", ename(errno));
		return;
	}
	ssize_t n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n < 0)
		n = 0;
	buf[n] = 0;
	char *s;
	if ((s = strstr(buf, "flags:")))
		outf(" flags=%lo", strtoul(s + 6, NULL, 8));
	if ((s = strstr(buf, "eventfd-count:")))
		outf(" count=%llx", strtoull(s + 14, NULL, 16));
	if ((s = strstr(buf, "eventfd-semaphore:")))
		outf(" sem=%ld", strtol(s + 18, NULL, 10));
}

/* ------------------------------------------------------------------ */
/* The program */

enum opkind {
	OP_EPOLL_CREATE,
	OP_EPOLL_CREATE1,
	OP_EVENTFD,
	OP_EVENTFD2,
	OP_PIPE,
	OP_SOCKETPAIR,
	OP_TCP,
	OP_SPECIAL,
	OP_CTL,
	OP_WAIT,
	OP_POLL,
	OP_SELECT,
	OP_READ,
	OP_WRITE,
	OP_SHUTDOWN,
	OP_CLOSE,
	OP_DUP,
	OP_FORK,
	OP_SCM,
	OP_RLIMIT,
	OP_FDINFO,
	OP_N
};
static const unsigned weights[OP_N] = {
	[OP_EPOLL_CREATE] = 3, [OP_EPOLL_CREATE1] = 4, [OP_EVENTFD] = 2,
	[OP_EVENTFD2] = 5,     [OP_PIPE] = 4,	       [OP_SOCKETPAIR] = 4,
	[OP_TCP] = 2,	       [OP_SPECIAL] = 1,       [OP_CTL] = 24,
	[OP_WAIT] = 17,	       [OP_POLL] = 6,	       [OP_SELECT] = 3,
	[OP_READ] = 9,	       [OP_WRITE] = 11,	       [OP_SHUTDOWN] = 2,
	[OP_CLOSE] = 8,	       [OP_DUP] = 4,	       [OP_FORK] = 2,
	[OP_SCM] = 2,	       [OP_RLIMIT] = 1,	       [OP_FDINFO] = 1,
};

static uint64_t seed;
static const char *const op_names[OP_N] = {
	[OP_EPOLL_CREATE] = "epoll_create", [OP_EPOLL_CREATE1] = "epoll_create1",
	[OP_EVENTFD] = "eventfd",	    [OP_EVENTFD2] = "eventfd2",
	[OP_PIPE] = "pipe",		    [OP_SOCKETPAIR] = "socketpair",
	[OP_TCP] = "tcp",		    [OP_SPECIAL] = "special",
	[OP_CTL] = "ctl",		    [OP_WAIT] = "wait",
	[OP_POLL] = "poll",		    [OP_SELECT] = "select",
	[OP_READ] = "read",		    [OP_WRITE] = "write",
	[OP_SHUTDOWN] = "shutdown",	    [OP_CLOSE] = "close",
	[OP_DUP] = "dup",		    [OP_FORK] = "fork",
	[OP_SCM] = "scm",		    [OP_RLIMIT] = "rlimit",
	[OP_FDINFO] = "fdinfo",
};
static unsigned char excluded[OP_N];

static void parse_exclude(const char *s)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
		int found = 0;
		for (int k = 0; k < OP_N; k++)
			if (!strcmp(t, op_names[k])) {
				excluded[k] = 1;
				found = 1;
			}
		if (!found) {
			fprintf(stderr, "difffuzz: unknown op kind %s\n", t);
			exit(2);
		}
	}
}

/* Op i's kind, leaving opst ready for its parameters. */
static int op_start(int i)
{
	opst = seed ^ ((uint64_t)(i + 1) * 0xd1b54a32d192ed03ull);
	sm_next(&opst);
	opst ^= seed * 0x9e3779b97f4a7c15ull;
	unsigned total = 0;
	for (int k = 0; k < OP_N; k++)
		total += weights[k];
	/* the first ops build something to work on */
	if (i < 8) {
		static const int first[] = {
			OP_EPOLL_CREATE1, OP_EPOLL_CREATE1, OP_EVENTFD2,
			OP_PIPE,	  OP_SOCKETPAIR,    OP_EPOLL_CREATE,
			OP_EVENTFD2,	  OP_TCP,	    OP_CTL,
			OP_CTL};
		int k = first[RN(10)];
		return excluded[k] ? OP_N : k;
	}
	unsigned w = RN(total);
	for (int k = 0; k < OP_N; k++) {
		if (w < weights[k])
			return excluded[k] ? OP_N : k;
		w -= weights[k];
	}
	return OP_CTL;
}

static void run_op(int kind)
{
	switch (kind) {
	case OP_EPOLL_CREATE: op_epoll_create(); break;
	case OP_EPOLL_CREATE1: op_epoll_create1(); break;
	case OP_EVENTFD: op_eventfd(0); break;
	case OP_EVENTFD2: op_eventfd(1); break;
	case OP_PIPE: op_pipe(); break;
	case OP_SOCKETPAIR: op_socketpair(); break;
	case OP_TCP: op_tcp(); break;
	case OP_SPECIAL: op_special(); break;
	case OP_CTL: op_ctl(); break;
	case OP_WAIT: op_wait(); break;
	case OP_POLL: op_poll(); break;
	case OP_SELECT: op_select(); break;
	case OP_READ: op_read(); break;
	case OP_WRITE: op_write(); break;
	case OP_SHUTDOWN: op_shutdown(); break;
	case OP_CLOSE: op_close(); break;
	case OP_DUP: op_dup(); break;
	case OP_SCM: op_scm(); break;
	case OP_RLIMIT: op_rlimit(); break;
	case OP_FDINFO: op_fdinfo(); break;
	default: begin("excluded"); break;
	}
	stale_flush();
	endline();
}

static unsigned char *skip;
static int nops;

static void parse_skip(const char *s)
{
	while (*s) {
		char *end;
		long a = strtol(s, &end, 10), b = a;
		if (end == s)
			break;
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
		}
		for (long i = a; i <= b; i++)
			if (i >= 0 && i < nops)
				skip[i] = 1;
		s = end;
		if (*s == ',')
			s++;
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr,
			"usage: %s SEED [NOPS] [--skip LIST] [--exclude KINDS]\n",
			argv[0]);
		return 2;
	}
	seed = strtoull(argv[1], NULL, 0);
	nops = 200;
	int ai = 2;
	if (argc > 2 && argv[2][0] != '-') {
		nops = atoi(argv[2]);
		ai = 3;
	}
	if (nops < 0)
		nops = 0;
	skip = calloc((size_t)nops + 1, 1);
	for (; ai < argc; ai++) {
		if (!strcmp(argv[ai], "--skip") && ai + 1 < argc)
			parse_skip(argv[++ai]);
		else if (!strcmp(argv[ai], "--exclude") && ai + 1 < argc)
			parse_exclude(argv[++ai]);
		else {
			fprintf(stderr, "difffuzz: bad argument %s\n",
				argv[ai]);
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	alarm(120);
	mem_init();
	getrlimit(RLIMIT_NOFILE, &orig_nofile);
	for (int i = 0; i < MAXFD; i++)
		fdobj[i] = -1;
	/* fds open at start: 0-2 are not touched; others are not expected */
	cur_op = -1;
	begin("start seed=%llu nops=%d nofile=%lu/%lu open=",
	      (unsigned long long)seed, nops, (unsigned long)orig_nofile.rlim_cur,
	      (unsigned long)orig_nofile.rlim_max);
	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0) {
			outf("%d,", fd);
			if (fd >= 3)
				close(fd); /* inherited: not ours */
		}
	endline();

	for (int i = 0; i < nops; i++) {
		if (skip[i])
			continue;
		cur_op = i;
		int kind = op_start(i);
		if (kind != OP_FORK) {
			run_op(kind);
			continue;
		}
		int n = 1 + (int)RN(5);
		int status = 0;
		/* the child runs the next n ops, the parent skips them */
		int last = i;
		for (int j = i + 1, c = 0; j < nops && c < n; j++)
			if (!skip[j]) {
				last = j;
				c++;
			}
		pid_t pid = fork();
		if (pid < 0) {
			begin("fork() = -1 %s", ename(errno));
			endline();
			continue;
		}
		if (pid == 0) {
			in_child = 1;
			for (int j = i + 1; j <= last; j++) {
				if (skip[j])
					continue;
				cur_op = j;
				int k2 = op_start(j);
				if (k2 == OP_FORK) {
					begin("fork() skipped: in a child");
					endline();
				} else {
					run_op(k2);
				}
			}
			_exit(0);
		}
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		cur_op = i;
		begin("fork() child ran %d..%d: ", i + 1, last);
		if (WIFEXITED(status))
			outf("exit %d", WEXITSTATUS(status));
		else
			outf("signal %d", WIFSIGNALED(status) ? WTERMSIG(status)
							      : -1);
		endline();
		i = last;
	}
	cur_op = nops;
	begin("end");
	endline();
	return 0;
}
