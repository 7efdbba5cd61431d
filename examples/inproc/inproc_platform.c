/* inproc_platform.c: interpoll's platform contract (interpoll/platform.h)
 * for a guest that is this very process (inproc_platform.h).
 *
 * It keeps the guarantees docs/EMBEDDING.md asks of a platform, with
 * plain Linux calls and about twice the fds of the seccomp supervisor's
 * packed buckets:
 * - Weak handles. A handle never holds its file open: it is the file's
 *   registration in a private kernel epoll (`level`), made under the fd
 *   number the guest named. kcmp(KCMP_EPOLL_TFD) against that
 *   registration says whether a guest fd is the same file (identity) and
 *   whether the file still exists (the kernel drops the registration at
 *   the file's last close: liveness).
 * - Current readiness: `level` is level-triggered with the entry's mask,
 *   so a zero-timeout epoll_wait on it re-polls the file.
 * - Key-filtered wake-ups: a watch also registers the file, edge-
 *   triggered, in a second private epoll (`edge`), itself nested in the
 *   pump epoll. The kernel calls `edge`'s callback only for wake-ups
 *   whose key matches the mask, exactly as for a real entry; the pump
 *   then reports the handle, and the engine hears emu_wakeup(cookie).
 * - Instances: an epoll file the engine adopts gets an anchor eventfd
 *   registered in it, readable exactly when the engine says the instance
 *   is (plat_epoll_readable), so a native poll of the file sees the
 *   instance's readiness; the anchor's data tells instances apart.
 *
 * What it leaves out, as an example may: signals (no call is ever
 * interrupted), signalfd readiness, statistics and tracing, and threads
 * (one thread is the guest and the supervisor both).
 */
#define _GNU_SOURCE
#include "inproc_platform.h"

#include <errno.h>
#include <linux/kcmp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* Flags that belong to the entry, not to the file's readiness. */
#define ENTRY_FLAGS (EPOLLET | EPOLLONESHOT | EPOLLWAKEUP | EPOLLEXCLUSIVE)

struct answer {
	int done;
	int64_t ret;
};

struct plat {
	struct emu *emu;
	int pump;	      /* epoll: every watch's `edge`, edge-triggered */
	int64_t deadline_ns;  /* the engine's next timer; 0: none */
	struct answer *calls; /* by call id - 1 */
	uint64_t ncalls, cap;
	struct plat_handle *instances; /* adopted epoll files */
	uint64_t next_serial;
};

struct plat_group {
	int watches; /* open in this group: must be 0 when it is freed */
};

struct plat_handle {
	int level;     /* private LT epoll: identity, liveness, readiness */
	int edge;      /* private ET epoll in the pump: wake-ups; -1: none */
	int tfd;       /* the fd number both registrations are keyed by */
	uint32_t mask; /* the entry's mask, as given */
	void *cookie;  /* what emu_wakeup is told */
	void *object;  /* an instance: the engine's object */
	int anchor;    /* an instance: its anchor eventfd; -1: none */
	struct plat_group *g;
	struct plat_handle *next_instance;
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --- The harness's side ---------------------------------------------- */

struct plat *inproc_new(void)
{
	struct plat *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pump = epoll_create1(EPOLL_CLOEXEC);
	p->emu = p->pump >= 0 ? emu_new(p) : NULL;
	if (!p->emu) {
		if (p->pump >= 0)
			close(p->pump);
		free(p);
		return NULL;
	}
	return p;
}

void inproc_free(struct plat *p)
{
	emu_free(p->emu); /* closes every handle and group it opened */
	close(p->pump);
	free(p->calls);
	free(p);
}

static void record(struct plat *p, const struct plat_call *c, int64_t ret)
{
	struct answer *a = &p->calls[c->id - 1];
	a->done = 1;
	a->ret = ret;
}

uint64_t inproc_call(struct plat *p, long nr, uint64_t a0, uint64_t a1,
		     uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	if (p->ncalls == p->cap) {
		uint64_t cap = p->cap ? 2 * p->cap : 64;
		struct answer *n = realloc(p->calls, cap * sizeof(*n));
		if (!n)
			abort();
		p->calls = n;
		p->cap = cap;
	}
	p->calls[p->ncalls] = (struct answer){0, 0};
	struct plat_call c = {
	    .id = ++p->ncalls,
	    .tid = (int32_t)gettid(),
	    .nr = (int32_t)nr,
	    .abi = PLAT_ABI_X86_64,
	    .args = {a0, a1, a2, a3, a4, a5},
	    .recv_ns = now_ns(),
	};
	emu_call(p->emu, &c);
	emu_publish(p->emu);
	return c.id;
}

int inproc_answer(struct plat *p, uint64_t id, int64_t *ret)
{
	if (id == 0 || id > p->ncalls || !p->calls[id - 1].done)
		return 0;
	*ret = p->calls[id - 1].ret;
	return 1;
}

static int deliver(struct plat *p, int timeout_ms)
{
	struct epoll_event evs[64];
	int n = epoll_wait(p->pump, evs, 64, timeout_ms);
	if (n <= 0)
		return 0;
	/* One kernel harvest is one batch: the engine orders wake-ups of
	 * one batch as the kernel reported them. */
	emu_batch_begin(p->emu);
	for (int i = 0; i < n; i++) {
		struct plat_handle *h = evs[i].data.ptr;
		emu_wakeup(p->emu, h->cookie);
	}
	return n;
}

int inproc_pump(struct plat *p, int timeout_ms)
{
	if (p->deadline_ns) {
		int64_t left = (p->deadline_ns - now_ns() + 999999) / 1000000;
		if (left < 0)
			left = 0;
		if (timeout_ms < 0 || left < timeout_ms)
			timeout_ms = (int)left;
	}
	int n = deliver(p, timeout_ms);
	if (p->deadline_ns && now_ns() >= p->deadline_ns) {
		p->deadline_ns = 0;
		emu_timers(p->emu, now_ns());
	}
	emu_publish(p->emu);
	return n;
}

int inproc_call_wait(struct plat *p, uint64_t id, int timeout_ms, int64_t *ret)
{
	int64_t end = now_ns() + (int64_t)timeout_ms * 1000000;
	while (!inproc_answer(p, id, ret)) {
		int64_t left = (end - now_ns()) / 1000000;
		if (left <= 0)
			return 0;
		inproc_pump(p, (int)left);
	}
	return 1;
}

/* --- Guest memory: this process's, through process_vm_*v, so that a bad
 * pointer is an EFAULT for the guest and never a crash. */

int plat_read(struct plat *p, const struct plat_call *c, uint64_t addr,
	      void *buf, size_t len)
{
	(void)p;
	(void)c;
	if (!len)
		return 0;
	struct iovec local = {buf, len};
	struct iovec remote = {(void *)(uintptr_t)addr, len};
	ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	return n == (ssize_t)len ? 0 : -EFAULT;
}

size_t plat_write_prefix(struct plat *p, const struct plat_call *c,
			 uint64_t addr, const void *buf, size_t len)
{
	(void)p;
	(void)c;
	if (!len)
		return 0;
	struct iovec local = {(void *)buf, len};
	struct iovec remote = {(void *)(uintptr_t)addr, len};
	ssize_t n = process_vm_writev(getpid(), &local, 1, &remote, 1, 0);
	return n < 0 ? 0 : (size_t)n;
}

int plat_write(struct plat *p, const struct plat_call *c, uint64_t addr,
	       const void *buf, size_t len)
{
	return plat_write_prefix(p, c, addr, buf, len) == len ? 0 : -EFAULT;
}

/* --- Answers --------------------------------------------------------- */

int plat_reply(struct plat *p, const struct plat_call *c, int64_t val, int err)
{
	record(p, c, err ? (int64_t)err : val);
	return 0;
}

/* The kernel's turn: make the call for real, here. */
int plat_continue(struct plat *p, const struct plat_call *c)
{
	const uint64_t *a = c->args;
	long r = syscall(c->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	record(p, c, r < 0 ? -(int64_t)errno : r);
	return 1; /* it has run: nothing of ours can race with it */
}

int plat_call_alive(struct plat *p, const struct plat_call *c)
{
	return !p->calls[c->id - 1].done;
}

/* --- Handles --------------------------------------------------------- */

/* kcmp(KCMP_EPOLL_TFD): is guest fd `fd` the file h registered? */
static int same_file(struct plat_handle *h, int fd)
{
	struct kcmp_epoll_slot slot = {
	    .efd = (uint32_t)h->level, .tfd = (uint32_t)h->tfd, .toff = 0};
	pid_t pid = getpid();
	long r = syscall(SYS_kcmp, pid, pid, KCMP_EPOLL_TFD, fd, &slot);
	if (r < 0)
		return -errno; /* EBADF: fd not open; ENOENT: file gone */
	return r == 0 ? 0 : 1;
}

static int is_epoll_file(int fd)
{
	char path[64], link[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -EBADF;
	link[n] = 0;
	return strcmp(link, "anon_inode:[eventpoll]") == 0;
}

static struct plat_handle *handle_new(int fd, uint32_t mask, void *cookie)
{
	struct plat_handle *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->edge = h->anchor = -1;
	h->tfd = fd;
	h->mask = mask;
	h->cookie = cookie;
	h->level = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = mask & ~ENTRY_FLAGS};
	if (h->level < 0 || epoll_ctl(h->level, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = errno;
		if (h->level >= 0)
			close(h->level);
		free(h);
		errno = err;
		return NULL;
	}
	return h;
}

/* The wake-up source: `edge` holds the file edge-triggered with the
 * entry's mask (EPOLLEXCLUSIVE too, so that wake-one is the kernel's).
 * Registering a ready file queues it at once, which is no wake-up of the
 * file: drained before `edge` joins the pump. */
static int watch_edge(struct plat *p, struct plat_handle *h, int fd)
{
	h->edge = epoll_create1(EPOLL_CLOEXEC);
	if (h->edge < 0)
		return -errno;
	struct epoll_event ev = {.events = (h->mask & ~ENTRY_FLAGS) | EPOLLET |
					   (h->mask & EPOLLEXCLUSIVE)};
	if (epoll_ctl(h->edge, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	struct epoll_event drop;
	while (epoll_wait(h->edge, &drop, 1, 0) > 0)
		;
	struct epoll_event nest = {.events = EPOLLIN | EPOLLET, .data.ptr = h};
	if (epoll_ctl(p->pump, EPOLL_CTL_ADD, h->edge, &nest) < 0)
		return -errno;
	return 0;
}

void plat_handle_close(struct plat *p, struct plat_handle *h)
{
	if (h->object) {
		struct plat_handle **pp = &p->instances;
		while (*pp != h)
			pp = &(*pp)->next_instance;
		*pp = h->next_instance;
	}
	if (h->g)
		h->g->watches--;
	/* Closing the private epolls drops the registrations: the guest's
	 * files are not touched. */
	if (h->edge >= 0)
		close(h->edge);
	if (h->anchor >= 0)
		close(h->anchor);
	close(h->level);
	free(h);
}

struct plat_group *plat_group_new(struct plat *p)
{
	(void)p;
	return calloc(1, sizeof(struct plat_group));
}

void plat_group_free(struct plat *p, struct plat_group *g)
{
	(void)p;
	if (g && g->watches)
		abort(); /* the contract: its watches are closed first */
	free(g);
}

/* Quiet groups are an optimisation the contract lets a platform refuse. */
int plat_group_quiet(struct plat *p, struct plat_group *g, int quiet)
{
	(void)p;
	(void)g;
	(void)quiet;
	return 0;
}

void plat_group_drain(struct plat *p, struct plat_group *g)
{
	(void)p;
	(void)g;
}

int plat_epoll_adopt(struct plat *p, const struct plat_call *c, int fd,
		     void *object, struct plat_handle **out)
{
	(void)c;
	struct plat_handle *h = handle_new(fd, 0, NULL);
	if (!h)
		return errno == EMFILE || errno == ENFILE ? -EMFILE : -EBADF;
	h->anchor = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct epoll_event ev = {.events = EPOLLIN,
				 .data.u64 = ++p->next_serial};
	if (h->anchor < 0 || epoll_ctl(fd, EPOLL_CTL_ADD, h->anchor, &ev) < 0) {
		int err = errno;
		plat_handle_close(p, h);
		return err == EBADF ? -EBADF : -EMFILE;
	}
	h->object = object;
	h->next_instance = p->instances;
	p->instances = h;
	*out = h;
	return 0;
}

void *plat_lookup_epoll(struct plat *p, const struct plat_call *c, int fd,
			int *err)
{
	(void)c;
	for (struct plat_handle *h = p->instances; h; h = h->next_instance)
		if (same_file(h, fd) == 0)
			return h->object;
	int r = is_epoll_file(fd);
	*err = r < 0 ? r : r ? PLAT_UNADOPTED : -EINVAL;
	return NULL;
}

void plat_epoll_readable(struct plat *p, struct plat_handle *h, int readable)
{
	(void)p;
	uint64_t v = 1;
	ssize_t r = readable ? write(h->anchor, &v, sizeof(v))
			     : read(h->anchor, &v, sizeof(v));
	(void)r; /* a count of 1 or 0: neither can fail */
}

int plat_watch_open(struct plat *p, const struct plat_call *c,
		    struct plat_group *g, int fd, uint32_t mask, int flags,
		    void *cookie, enum plat_kind *kind, void **object,
		    struct plat_handle **out)
{
	(void)c;
	(void)flags; /* private epolls nest once: no per-file limit here */
	int ep = is_epoll_file(fd);
	if (ep < 0)
		return -EBADF;
	struct plat_handle *h =
	    handle_new(fd, ep ? mask & ~EPOLLEXCLUSIVE : mask, cookie);
	if (!h)
		return errno == EPERM	? -EPERM
		       : errno == EBADF ? -EBADF
					: -ENOMEM;
	int r = watch_edge(p, h, fd);
	if (r < 0) {
		plat_handle_close(p, h);
		return r == -EMFILE || r == -ENFILE ? -EMFILE : -ENOMEM;
	}
	h->g = g;
	g->watches++;
	*kind = PLAT_HOST;
	*object = NULL;
	if (ep) {
		*kind = PLAT_EPOLL_NEW;
		for (struct plat_handle *i = p->instances; i;
		     i = i->next_instance)
			if (same_file(i, fd) == 0) {
				*kind = PLAT_EPOLL;
				*object = i->object;
			}
	}
	*out = h;
	return 0;
}

/* Modify in place where the fd is the one registered, as ep_modify does
 * (the watch keeps its place in the file's wait queue); another number
 * for the same file gets a new watch. */
int plat_watch_modify(struct plat *p, const struct plat_call *c, int fd,
		      struct plat_handle **hp, uint32_t mask)
{
	struct plat_handle *h = *hp;
	if (fd == h->tfd) {
		struct epoll_event lv = {.events = mask & ~ENTRY_FLAGS};
		struct epoll_event ev = {.events = lv.events | EPOLLET};
		if (epoll_ctl(h->level, EPOLL_CTL_MOD, fd, &lv) == 0 &&
		    epoll_ctl(h->edge, EPOLL_CTL_MOD, fd, &ev) == 0) {
			struct epoll_event drop;
			while (epoll_wait(h->edge, &drop, 1, 0) > 0)
				;
			h->mask = mask;
			return 0;
		}
	}
	enum plat_kind kind;
	void *object;
	struct plat_handle *n;
	int r = plat_watch_open(p, c, h->g, fd, mask, 0, h->cookie, &kind,
				&object, &n);
	if (r < 0)
		return r;
	plat_handle_close(p, h);
	*hp = n;
	return 0;
}

int plat_same_file(struct plat *p, const struct plat_call *c,
		   struct plat_handle *h, int fd)
{
	(void)p;
	(void)c;
	return same_file(h, fd);
}

int plat_fd_pollable(struct plat *p, const struct plat_call *c, int fd)
{
	(void)p;
	(void)c;
	/* As epoll_ctl ADD decides it: a file without poll is EPERM. */
	int probe = epoll_create1(EPOLL_CLOEXEC);
	if (probe < 0)
		return -EBADF;
	struct epoll_event ev = {.events = 0};
	int r = epoll_ctl(probe, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
	close(probe);
	return r;
}

int plat_fd_poll(struct plat *p, const struct plat_call *c, int fd)
{
	(void)p;
	(void)c;
	struct pollfd pfd = {.fd = fd,
			     .events = POLLIN | POLLOUT | POLLPRI | POLLRDHUP};
	if (poll(&pfd, 1, 0) < 0)
		return -errno;
	return pfd.revents & POLLNVAL ? -EBADF : pfd.revents;
}

uint32_t plat_watch_poll(struct plat *p, struct plat_handle *h)
{
	(void)p;
	struct epoll_event ev;
	return epoll_wait(h->level, &ev, 1, 0) == 1 ? ev.events : 0;
}

int plat_handle_alive(struct plat *p, struct plat_handle *h)
{
	(void)p;
	/* Any open fd will do for the comparison: only ENOENT matters. */
	return same_file(h, h->level) != -ENOENT;
}

void plat_watch_release(struct plat *p, const struct plat_call *c, int fd,
			struct plat_handle *h)
{
	/* The registrations are private and go with the handle. */
	(void)p;
	(void)c;
	(void)fd;
	(void)h;
}

void plat_sync(struct plat *p)
{
	deliver(p, 0);
}

uint64_t plat_signalfd_pending(struct plat *p, int tid, int owner, int fd,
			       struct plat_handle *h)
{
	(void)p;
	(void)tid;
	(void)owner;
	(void)fd;
	(void)h;
	return 0;
}

int plat_tgid(struct plat *p, int tid)
{
	(void)p;
	(void)tid;
	return getpid();
}

/* --- Tracing, resources, time, signals ------------------------------- */

int plat_tracing(struct plat *p)
{
	(void)p;
	return 0;
}

void plat_event_note(struct plat *p, const struct plat_call *c, int fd,
		     uint32_t events)
{
	(void)p;
	(void)c;
	(void)fd;
	(void)events;
}

void plat_trace_note(struct plat *p, const char *fmt, ...)
{
	(void)p;
	(void)fmt;
}

int plat_short_of_handles(struct plat *p)
{
	(void)p;
	return 0;
}

void plat_trim(struct plat *p)
{
	(void)p;
}

int64_t plat_now_ns(struct plat *p)
{
	(void)p;
	return now_ns();
}

void plat_timer_arm(struct plat *p, int64_t deadline_ns)
{
	p->deadline_ns = deadline_ns;
}

int plat_signal_pending(struct plat *p, const struct plat_call *c,
			const uint64_t *mask, int *signo)
{
	(void)p;
	(void)c;
	(void)mask;
	if (signo)
		*signo = 0;
	return PLAT_SIG_NONE;
}

int plat_thread_where(struct plat *p, int tid)
{
	(void)p;
	(void)tid;
	return PLAT_THREAD_RUNNING;
}

int64_t plat_thread_cpu_ns(struct plat *p, int tid)
{
	(void)p;
	(void)tid;
	return -1;
}

void plat_thread_signal(struct plat *p, int tid, int signo)
{
	(void)p;
	(void)tid;
	(void)signo;
}
