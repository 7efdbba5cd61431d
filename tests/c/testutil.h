/* testutil.h: small helpers shared by the tests/c programs.
 *
 * testlib.h is the harness (cases, checks, divergences); this file holds the
 * plumbing that several programs need: sleeping, eventfd counters, epoll_ctl
 * wrappers, raw system calls, and looking at a task through /proc. Every
 * function is static inline, so a program that includes this header pays
 * nothing (and gets no warning) for what it does not use. Helpers that check
 * something use testlib.h's CHECK macros, which report this file's line;
 * the EXPECT_* macros expand at the caller's line.
 */
#ifndef INTERPOLL_TESTUTIL_H
#define INTERPOLL_TESTUTIL_H

#include "testlib.h"

/* Kernel constants newer than the build machine's headers (SYS_pidfd_open,
 * SYS_pidfd_getfd, SYS_epoll_pwait2, ...), defined only where missing. */
#include "../../platform/compat.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* ---- time ---- */

/* Sleep ms milliseconds, going on after a signal handler ran. */
static inline void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Sleep until tl_now_ms() reaches t (if it has not yet). */
static inline void sleep_until(double t)
{
	double now = tl_now_ms();
	if (t > now)
		sleep_ms((int)(t - now) + 1);
}

/* The kernel's struct timespec and struct timeval, as raw system calls read
 * and write them on x86-64. */
struct kts {
	long long tv_sec;
	long long tv_nsec;
};

struct ktv {
	long long tv_sec;
	long long tv_usec;
};

static inline double kts_ms(const struct kts *t)
{
	return t->tv_sec * 1e3 + t->tv_nsec / 1e6;
}

static inline double ktv_ms(const struct ktv *t)
{
	return t->tv_sec * 1e3 + t->tv_usec / 1e3;
}

/* ---- file descriptors ---- */

/* close() each of the fds, in order: close_fds(e, p[0], p[1], ep). */
#define close_fds(...)                                                         \
	close_list((const int[]){__VA_ARGS__},                                 \
		   sizeof((const int[]){__VA_ARGS__}) / sizeof(int))

static inline void close_list(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

/* What /proc/self/fd/<fd> links to, in buf (NUL-terminated): its length,
 * or -1. */
static inline ssize_t fd_link(int fd, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, buf, len - 1);
	if (n > 0)
		buf[n] = 0;
	return n;
}

/* Check that /proc/self/fd/<fd> links to want. */
static inline void expect_fd_link(int fd, const char *want)
{
	char buf[128];
	ssize_t n = fd_link(fd, buf, sizeof(buf));

	CHECK(n > 0);
	if (n > 0)
		CHECK(strcmp(buf, want) == 0);
}

/* A TCP socket (O_CLOEXEC) listening on an ephemeral loopback port with
 * this backlog; its address in *a, *al. Checked. */
static inline int tcp_listener(struct sockaddr_in *a, socklen_t *al,
			       int backlog)
{
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	*a = (struct sockaddr_in){.sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	*al = sizeof(*a);
	CHECK(l >= 0);
	CHECK_OK(bind(l, (struct sockaddr *)a, *al));
	CHECK_OK(listen(l, backlog));
	CHECK_OK(getsockname(l, (struct sockaddr *)a, al));
	return l;
}

/* A page of read-write memory (checked); NULL if mmap failed. */
static inline void *map_page(void)
{
	void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(m != MAP_FAILED);
	return m == MAP_FAILED ? NULL : m;
}

/* A read-only page (checked) that starts with a copy of len bytes of data;
 * NULL if mmap failed. munmap(p, 4096) it. */
static inline void *ro_copy(const void *data, size_t len)
{
	void *m = map_page();

	if (!m)
		return NULL;
	memcpy(m, data, len);
	CHECK_OK(mprotect(m, 4096, PROT_READ));
	return m;
}

/* The size of the fd table (FDSize in /proc/self/status), or -1. */
static inline int fdtable_size(void)
{
	char buf[256];
	int n = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "FDSize: %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* ---- passing fds over a unix socket ---- */

/* A message of one data byte with room for one SCM_RIGHTS fd. */
struct fd_msg {
	char data;
	struct iovec iov;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg;
};

static inline struct msghdr *fd_msg_init(struct fd_msg *m, char data)
{
	memset(m, 0, sizeof(*m));
	m->data = data;
	m->iov.iov_base = &m->data;
	m->iov.iov_len = 1;
	m->msg.msg_iov = &m->iov;
	m->msg.msg_iovlen = 1;
	m->msg.msg_control = m->u.buf;
	m->msg.msg_controllen = sizeof(m->u.buf);
	return &m->msg;
}

/* Send fd (SCM_RIGHTS) with one data byte: 0, or -1. */
static inline int send_fd(int sock, int fd)
{
	struct fd_msg m;
	struct msghdr *msg = fd_msg_init(&m, 'F');
	struct cmsghdr *cm = CMSG_FIRSTHDR(msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, msg, 0) == 1 ? 0 : -1;
}

/* Receive one fd sent by send_fd (recvmsg flags, e.g. MSG_CMSG_CLOEXEC):
 * the new fd, or -1. */
static inline int recv_fd(int sock, int flags)
{
	struct fd_msg m;
	struct msghdr *msg = fd_msg_init(&m, 0);
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, msg, flags) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(msg);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* ---- memory ---- */

/* Memory that stops: a read-write page whose next page is unmapped (or,
 * with prot_none, mapped PROT_NONE). Returns the end of the page, where the
 * memory stops; NULL, after a failed check, if mmap failed. Free with
 * mem_edge_free(). */
static inline char *mem_edge(int prot_none)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED);
	if (m == MAP_FAILED)
		return NULL;
	if (prot_none)
		CHECK_EQ(mprotect(m + pg, pg, PROT_NONE), 0);
	else
		CHECK_EQ(munmap(m + pg, pg), 0);
	return m + pg;
}

static inline void mem_edge_free(char *end, int prot_none)
{
	long pg = sysconf(_SC_PAGESIZE);
	munmap(end - pg, prot_none ? 2 * pg : pg);
}

/* ---- eventfd counters ---- */

/* A new eventfd, checked. */
static inline int new_eventfd(unsigned init, int flags)
{
	int fd = eventfd(init, flags);
	CHECK(fd >= 0);
	return fd;
}

/* Read or write one 8-byte counter value: 0 on success, -1 otherwise. */
static inline int rd(int fd, uint64_t *v)
{
	return read(fd, v, sizeof(*v)) == 8 ? 0 : -1;
}

static inline int wr(int fd, uint64_t v)
{
	return write(fd, &v, sizeof(v)) == 8 ? 0 : -1;
}

/* Read fd's counter (checked): it must be want. */
/* Read a non-blocking fd until nothing is left in it. */
static inline void drain_fd(int fd)
{
	char buf[64];
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static inline void expect_read(int fd, uint64_t want)
{
	uint64_t v = 0;

	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, want);
}

/* The same, checked. */
static inline void efd_write(int efd, uint64_t v)
{
	CHECK_EQ(write(efd, &v, 8), 8);
}

static inline uint64_t efd_read(int efd)
{
	uint64_t v = 0;
	CHECK_EQ(read(efd, &v, 8), 8);
	return v;
}

/* ---- epoll ---- */

static inline int ep_ctl(int ep, int op, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = data;
	return epoll_ctl(ep, op, fd, &ev);
}

static inline int add(int ep, int fd, uint32_t events, uint64_t data)
{
	return ep_ctl(ep, EPOLL_CTL_ADD, fd, events, data);
}

static inline int mod(int ep, int fd, uint32_t events, uint64_t data)
{
	return ep_ctl(ep, EPOLL_CTL_MOD, fd, events, data);
}

static inline int del(int ep, int fd)
{
	return epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
}

/* Expect exactly one event with the given mask and data (timeout 0). */
#define EXPECT_ONE(ep, want_mask, want_data)                                   \
	do {                                                                   \
		struct epoll_event o_[4];                                      \
		memset(o_, 0, sizeof(o_));                                     \
		int n_ = epoll_wait((ep), o_, 4, 0);                           \
		CHECK_EQ(n_, 1);                                               \
		if (n_ == 1) {                                                 \
			CHECK_EQ(o_[0].events, (want_mask));                   \
			CHECK_EQ(o_[0].data.u64, (want_data));                 \
		}                                                              \
	} while (0)

/* Expect no event (timeout 0). */
#define EXPECT_NONE(ep)                                                        \
	do {                                                                   \
		struct epoll_event o_[4];                                      \
		CHECK_EQ(epoll_wait((ep), o_, 4, 0), 0);                       \
	} while (0)

/* EXPECT_ONE, then EXPECT_NONE: reported once, and not again. */
#define EXPECT_ONCE(ep, want_mask, want_data)                                  \
	do {                                                                   \
		EXPECT_ONE((ep), (want_mask), (want_data));                    \
		EXPECT_NONE(ep);                                               \
	} while (0)

/* A new instance watching end (0 read, 1 write) of a new pipe p. */
static inline int ep_with_pipe(int p[2], int end, uint32_t events,
			       uint64_t data)
{
	int ep = epoll_create1(0);
	CHECK_OK(pipe(p));
	CHECK_EQ(add(ep, p[end], events, data), 0);
	return ep;
}

/* A new instance watching sv[0] of a new AF_UNIX stream socketpair sv. */
static inline int ep_with_socketpair(int sv[2], uint32_t events, uint64_t data)
{
	int ep = epoll_create1(0);
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_EQ(add(ep, sv[0], events, data), 0);
	return ep;
}

/* A new instance watching a new eventfd *efd (counter init, eventfd
 * flags efd_flags) with events and data. */
static inline int ep_with_eventfd(int *efd, unsigned init, int efd_flags,
				  uint32_t events, uint64_t data)
{
	int ep = epoll_create1(0);
	*efd = eventfd(init, efd_flags);
	CHECK_EQ(add(ep, *efd, events, data), 0);
	return ep;
}

/* ---- raw system calls (no glibc argument handling) ---- */

static inline long sys_pwait(int ep, void *ev, int max, int ms,
			     const void *mask, size_t sz)
{
	return syscall(SYS_epoll_pwait, ep, ev, max, ms, mask, sz);
}

static inline long sys_pwait2(int ep, void *ev, int max, const void *ts,
			      const void *mask, size_t sz)
{
	return syscall(SYS_epoll_pwait2, ep, ev, max, ts, mask, sz);
}

static inline long raw_poll(void *fds, unsigned long nfds, long timeout)
{
	return syscall(SYS_poll, fds, nfds, timeout);
}

static inline long raw_ppoll(void *fds, unsigned long nfds, void *tsp,
			     void *mask, unsigned long masksize)
{
	return syscall(SYS_ppoll, fds, nfds, tsp, mask, masksize);
}

/* ---- tasks, seen through /proc ---- */

/* The state letter (R, S, T, ...) of thread tid of process pid, from
 * /proc/<pid>/task/<tid>/stat; tid 0 reads /proc/<pid>/stat instead. '?' if
 * it cannot be read. */
static inline char task_state(pid_t pid, pid_t tid)
{
	char path[80], buf[512];
	int fd, n;
	char *p;

	if (tid)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid,
			 (int)tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/* Wait until thread tid of process pid sleeps inside syscall nr (the first
 * field of /proc/<pid>/task/<tid>/syscall), looking every poll_ms for at
 * most max_ms. Returns 1 if seen. */
static inline int wait_in_syscall_every(pid_t pid, pid_t tid, long nr,
					int max_ms, int poll_ms)
{
	char path[96], buf[256];
	double end = tl_now_ms() + max_ms;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)pid,
		 (int)tid);
	while (tl_now_ms() < end) {
		FILE *f = fopen(path, "r");
		if (f) {
			size_t n = fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
			buf[n] = 0;
			if (n > 0 && buf[0] >= '0' && buf[0] <= '9' &&
			    strtol(buf, NULL, 10) == nr)
				return 1;
		}
		sleep_ms(poll_ms);
	}
	return 0;
}

/* The same, looking every 5 ms. */
static inline int wait_in_syscall(pid_t pid, pid_t tid, long nr, int max_ms)
{
	return wait_in_syscall_every(pid, tid, nr, max_ms, 5);
}

/* ---- threads ---- */

/* pthread_create, or exit(2) if there can be no thread. */
static inline void start_thread(pthread_t *th, void *(*fn)(void *), void *arg)
{
	if (pthread_create(th, NULL, fn, arg) != 0) {
		perror("pthread_create");
		exit(2);
	}
}

/* Run n threads with 128 KiB stacks, thread i calling
 * fn((void *)(intptr_t)i), and join them all. If one cannot be created the
 * case fails and no more are started. Returns how many ran. */
static inline int run_threads(int n, void *(*fn)(void *))
{
	pthread_t th[n];
	pthread_attr_t at;
	int started = 0;

	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, 128 * 1024);
	for (int i = 0; i < n; i++) {
		int r = pthread_create(&th[i], &at, fn, (void *)(intptr_t)i);
		CHECK_EQ(r, 0);
		if (r != 0)
			break;
		started++;
	}
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_attr_destroy(&at);
	return started;
}

/* ---- a thread that writes after a delay ---- */

/* A guard writes to fd after ms (8 bytes of 1 for an eventfd, one byte
 * otherwise), unless guard_stop() cancelled it first: it ends a wait that
 * would otherwise last forever, or is the event a case waits for. */
struct guard {
	pthread_t th;
	int fd;
	int ms;
	int is_eventfd;
	volatile int cancel;
	volatile int wrote;
};

static inline void *guard_main(void *arg)
{
	struct guard *g = arg;
	double end = tl_now_ms() + g->ms;

	while (tl_now_ms() < end) {
		if (g->cancel)
			return NULL;
		sleep_ms(5);
	}
	if (g->cancel)
		return NULL;
	if (g->is_eventfd) {
		uint64_t one = 1;
		if (write(g->fd, &one, 8) == 8)
			g->wrote = 1;
	} else {
		if (write(g->fd, "g", 1) == 1)
			g->wrote = 1;
	}
	if (!g->wrote)
		perror("guard write");
	return NULL;
}

static inline void guard_start(struct guard *g, int fd, int ms, int is_eventfd)
{
	*g = (struct guard){.fd = fd, .ms = ms, .is_eventfd = is_eventfd};
	start_thread(&g->th, guard_main, g);
}

static inline void guard_stop(struct guard *g)
{
	g->cancel = 1;
	pthread_join(g->th, NULL);
}

/* ---- a thread doing one eventfd read or write ---- */

enum {
	OP_READ = 0,
	OP_WRITE = 1, /* write val, else read into val */
	OP_MUST = 2,  /* abort() if it fails: a wait it should end would hang */
};

struct op {
	pthread_t th;
	int fd;
	int flags;    /* OP_* */
	int delay_ms; /* sleep this long before the operation */
	uint64_t val;
	ssize_t ret;
	int err;
	int done;	/* accessed with __atomic */
	double t_start; /* tl_now_ms() just before the thread was created */
	double t_end;	/* when the operation returned */
};

static inline void *op_thread(void *p)
{
	struct op *o = p;

	if (o->delay_ms)
		sleep_ms(o->delay_ms);
	errno = 0;
	if (o->flags & OP_WRITE)
		o->ret = write(o->fd, &o->val, 8);
	else
		o->ret = read(o->fd, &o->val, 8);
	o->err = errno;
	o->t_end = tl_now_ms();
	if (o->ret != 8 && (o->flags & OP_MUST))
		abort();
	__atomic_store_n(&o->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Start a thread that, delay_ms from now, reads fd's counter into o->val
 * or (OP_WRITE) writes val to it. */
static inline void op_start(struct op *o, int fd, int flags, uint64_t val,
			    int delay_ms)
{
	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->flags = flags;
	o->val = val;
	o->delay_ms = delay_ms;
	o->t_start = tl_now_ms();
	CHECK_EQ(pthread_create(&o->th, NULL, op_thread, o), 0);
}

static inline int op_done(struct op *o)
{
	return __atomic_load_n(&o->done, __ATOMIC_SEQ_CST);
}

/* Wait up to ms for the op to finish. */
static inline int op_wait(struct op *o, int ms)
{
	double end = tl_now_ms() + ms;

	while (!op_done(o)) {
		if (tl_now_ms() > end)
			return 0;
		sleep_ms(5);
	}
	return 1;
}

static inline void op_join(struct op *o)
{
	pthread_join(o->th, NULL);
}

/* The op finishes within 5 s, having moved its 8 bytes; joined. */
static inline void op_finished(struct op *o)
{
	CHECK(op_wait(o, 5000));
	op_join(o);
	CHECK_EQ(o->ret, 8);
}

/* A new pipe p (O_CLOEXEC) whose write end a guard writes to after ms. */
static inline void guarded_pipe(int p[2], struct guard *g, int ms)
{
	CHECK_OK(pipe2(p, O_CLOEXEC));
	guard_start(g, p[1], ms, 0);
}

/* Raise the soft fd limit to want (and the hard one, as root), or as far
 * as the hard limit allows. */
static inline void raise_nofile(rlim_t want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	if (rl.rlim_max < want)
		rl.rlim_max = want; /* works as root */
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* raise_nofile(want); then whether the limit allows `need` fds. When it
 * does not, the case says it is skipped (a machine with a low hard
 * limit). */
static inline int nofile_allows(rlim_t want, rlim_t need)
{
	struct rlimit rl;
	raise_nofile(want);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= need)
		return 1;
	printf("# fd limit %lu: case skipped\n", (unsigned long)rl.rlim_cur);
	return 0;
}

/* ---- threads blocked in epoll_wait ---- */

struct waiter {
	pthread_t th;
	int ep;
	int maxev;
	int timeout;
	atomic_int state; /* 0 starting, 1 about to wait, 2 returned */
	atomic_int tid;
	int ret;
	int err;
	double t_ret;
	struct epoll_event ev[4];
};

static inline void *waiter_fn(void *arg)
{
	struct waiter *w = arg;

	atomic_store(&w->tid, (int)syscall(SYS_gettid));
	atomic_store(&w->state, 1);
	w->ret = epoll_wait(w->ep, w->ev, w->maxev, w->timeout);
	w->err = errno;
	w->t_ret = tl_now_ms();
	atomic_store(&w->state, 2);
	return NULL;
}

/* Start a thread that calls epoll_wait(ep, w->ev, maxev, timeout) once. */
static inline void waiter_start(struct waiter *w, int ep, int maxev,
				int timeout)
{
	memset(w->ev, 0, sizeof(w->ev));
	w->ep = ep;
	w->maxev = maxev;
	w->timeout = timeout;
	w->ret = -2;
	w->err = 0;
	atomic_store(&w->state, 0);
	atomic_store(&w->tid, 0);
	if (pthread_create(&w->th, NULL, waiter_fn, w) != 0)
		abort();
}

/* Wait until the thread is asleep inside its call (best effort: its state
 * is S after it announced the call), plus a margin. */
static inline int waiter_blocked(struct waiter *w)
{
	double t0 = tl_now_ms();

	while (tl_now_ms() - t0 < 3000) {
		if (atomic_load(&w->state) == 2)
			return 0;
		if (atomic_load(&w->state) == 1 &&
		    task_state(getpid(), atomic_load(&w->tid)) == 'S') {
			sleep_ms(50);
			return atomic_load(&w->state) == 1;
		}
		sleep_ms(2);
	}
	return 0;
}

/* How many of the n waiters w[] have returned. */
static inline int count_returned(struct waiter *w, int n)
{
	int i, c = 0;
	for (i = 0; i < n; i++)
		c += atomic_load(&w[i].state) == 2;
	return c;
}

/* Wait up to ms for want of them to have returned; the count. */
static inline int wait_returned(struct waiter *w, int n, int want, int ms)
{
	double t0 = tl_now_ms();
	while (count_returned(w, n) < want && tl_now_ms() - t0 < ms)
		sleep_ms(2);
	return count_returned(w, n);
}

/* The one waiter w returns within 3 s with one event: join it and check
 * the event's data and, unless events is 0, its events. */
static inline void waiter_got_one(struct waiter *w, uint32_t events,
				  uint64_t data)
{
	CHECK_EQ(wait_returned(w, 1, 1, 3000), 1);
	pthread_join(w->th, NULL);
	CHECK_EQ(w->ret, 1);
	if (events)
		CHECK_EQ(w->ev[0].events, events);
	CHECK_EQ(w->ev[0].data.u64, data);
}

/* The line of /proc/self/fdinfo/<fd> that starts with key (without its
 * newline), in out: 0, or -1 if there is none. */
static inline int fdinfo_line(int fd, const char *key, char *out, size_t outsz)
{
	char path[64], line[256];
	FILE *f;
	int found = -1;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, strlen(key)) == 0) {
			line[strcspn(line, "\n")] = 0;
			snprintf(out, outsz, "%s", line);
			found = 0;
			break;
		}
	}
	fclose(f);
	return found;
}

/* The number after key in /proc/self/fdinfo/<fd>, in base; -1 if absent. */
static inline long fdinfo_num(int fd, const char *key, int base)
{
	char line[256];
	const char *p;

	if (fdinfo_line(fd, key, line, sizeof(line)) != 0)
		return -1;
	p = line + strlen(key);
	return strtol(p, NULL, base);
}

/* Check that /proc/self/fdinfo/<fd> has the line want, starting with key. */
static inline void expect_fdinfo(int fd, const char *key, const char *want)
{
	char line[256];

	CHECK_OK(fdinfo_line(fd, key, line, sizeof(line)));
	CHECK(strcmp(line, want) == 0);
}

/* fork(), checked, with stdout flushed first. */
static inline pid_t fork_child(void)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	return pid;
}

/* fork() a server process (checked, stdout flushed first) that dies with
 * its parent: in the child, returns 0 once PR_SET_PDEATHSIG is set (and
 * _exit(3)s if the parent is already gone). */
static inline pid_t fork_server(void)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	CHECK_OK(pid);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(3);
	}
	return pid;
}

/* Reap pid, which must exit with status 0. */
static inline void expect_exit_0(pid_t pid)
{
	int st = 0;

	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

/* Reap pid: its exit status, -1000 - the signal that killed it, or -1. */
static inline int wait_exit(pid_t pid)
{
	int st = 0;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return -1000 - WTERMSIG(st);
	return -1;
}

#endif
