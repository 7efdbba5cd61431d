/* fake_platform.c: see fake_platform.h. */
#include "fake_platform.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

struct plat fake;
static uint8_t fake_mem[FAKE_MEM_SIZE];

/* ---------------------------------------------------------------------------
 * Fixture */

int fake_setup(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof(fake));
	memset(fake_mem, 0xee, sizeof(fake_mem));
	fake.mem = fake_mem;
	fake.mem_base = FAKE_MEM_BASE;
	fake.mem_len = FAKE_MEM_SIZE;
	list_init(&fake.files);
	list_init(&fake.handles);
	fake.next_call_id = 1;
	fake.now = FAKE_T0;
	fake.nofile = 1024;
	fake.thread_where = PLAT_THREAD_ELSEWHERE;
	fake.cpu_ns = -1;
	emu_init(&fake.emu, &fake);
	/* The tables answer zero timeouts too (test_zero_timeout.c turns the
	 * hand-over back on). */
	fake.emu.zero_timeout_native = 0;
	return 0;
}

void fake_free_all(void)
{
	while (!list_empty(&fake.handles)) {
		struct plat_handle *h =
		    container_of(fake.handles.next, struct plat_handle, all);
		list_del(&h->all);
		free(h);
	}
	while (!list_empty(&fake.files)) {
		struct fake_file *f =
		    container_of(fake.files.next, struct fake_file, all);
		list_del(&f->all);
		free(f);
	}
}

int fake_teardown(void **state)
{
	(void)state;
	emu_fini(&fake.emu);
	/* Every ready-list change went through the counting helpers. */
	assert_int_equal(fake.emu.n_queued, 0);
	size_t leaked = fake.open_handles + fake.open_groups;
	size_t doubles = fake.double_replies;
	fake_free_all();
	/* Every handle syscalls/ opened was closed by emu_fini, and no call
	 * was answered twice. */
	assert_int_equal(leaked, 0);
	assert_int_equal(doubles, 0);
	return 0;
}

/* ---------------------------------------------------------------------------
 * Files and fds */

struct fake_file *fake_file_new(uint32_t ready, int pollable)
{
	struct fake_file *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->id = ++fake.next_file_id;
	f->ready = ready;
	f->pollable = pollable;
	f->alive = 1;
	list_init(&f->watches);
	list_add_tail(&f->all, &fake.files);
	return f;
}

static void fd_release(int fd)
{
	struct fake_file *f = fake.fds[fd].file;
	if (!f)
		return;
	memset(&fake.fds[fd], 0, sizeof(fake.fds[fd]));
	if (--f->refs == 0)
		f->alive = 0; /* the last reference: the file is released */
}

int fake_fd_install_at(struct fake_file *f, int fd)
{
	assert_true(fd >= 0 && fd < FAKE_MAX_FDS);
	f->refs++; /* first, in case fd already refers to f */
	fd_release(fd);
	fake.fds[fd].file = f;
	return fd;
}

static int lowest_free(void)
{
	for (int fd = 0; fd < FAKE_MAX_FDS; fd++)
		if (!fake.fds[fd].file)
			return fd;
	return -1;
}

int fake_fd_install(struct fake_file *f)
{
	int fd = lowest_free();
	assert_true(fd >= 0);
	return fake_fd_install_at(f, fd);
}

int fk_open(uint32_t ready)
{
	return fake_fd_install(fake_file_new(ready, 1));
}

int fk_open_regular(void)
{
	return fake_fd_install(fake_file_new(0, 0));
}

struct fake_file *fk_file(int fd)
{
	assert_true(fd >= 0 && fd < FAKE_MAX_FDS);
	assert_non_null(fake.fds[fd].file);
	return fake.fds[fd].file;
}

int fk_dup(int fd)
{
	return fake_fd_install(fk_file(fd));
}

int fk_dup2(int oldfd, int newfd)
{
	return fake_fd_install_at(fk_file(oldfd), newfd);
}

void fk_close(int fd)
{
	assert_non_null(fake.fds[fd].file);
	fd_release(fd);
}

void fk_set_opath(int fd)
{
	fk_file(fd);
	fake.fds[fd].opath = 1;
}

void fk_set_ready(int fd, uint32_t ready)
{
	fk_file(fd)->ready = ready;
}

/* The file behind a guest fd as the kernel's fdget sees it: NULL when the
 * fd is not open or is O_PATH. */
static struct fake_file *fd_file(const struct plat_call *c, int fd)
{
	(void)c;
	if (fd < 0 || fd >= FAKE_MAX_FDS || !fake.fds[fd].file ||
	    fake.fds[fd].opath)
		return NULL;
	return fake.fds[fd].file;
}

/* ---------------------------------------------------------------------------
 * Wake-ups */

void fake_wake(struct fake_file *f, uint32_t key)
{
	/* Snapshot first: a callback may close watches (a poll that
	 * completes, an entry removed); closed ones are skipped. Handles are
	 * only freed at teardown, so the pointers stay valid. */
	struct plat_handle *snap[1024];
	int n = 0;
	struct list *pos;
	for (pos = f->watches.next; pos != &f->watches; pos = pos->next) {
		struct plat_handle *h =
		    container_of(pos, struct plat_handle, link);
		if (key && !(key & h->mask))
			continue;
		assert_true(n < 1024);
		snap[n++] = h;
	}
	for (int i = 0; i < n; i++) {
		if (!snap[i]->closed && snap[i]->file->alive)
			emu_wakeup(&fake.emu, snap[i]->cookie);
	}
}

void fk_wake(int fd, uint32_t key)
{
	emu_batch_begin(&fake.emu);
	fake_wake(fk_file(fd), key);
}

void fk_raise(int fd, uint32_t bits)
{
	fk_file(fd)->ready |= bits;
	fk_wake(fd, bits);
}

void fake_wake_later(struct fake_file *f, uint32_t key)
{
	assert_true(fake.n_pending < FAKE_MAX_PENDING);
	fake.pending[fake.n_pending].file = f;
	fake.pending[fake.n_pending].key = key;
	fake.n_pending++;
}

/* ---------------------------------------------------------------------------
 * Guest memory */

uint64_t fake_alloc(size_t n)
{
	size_t off = (fake.mem_brk + 15) & ~(size_t)15;
	assert_true(off + n <= fake.mem_len / 2); /* upper half: tails */
	fake.mem_brk = off + n;
	memset(fake.mem + off, 0xee, n);
	return fake.mem_base + off;
}

uint64_t fake_alloc_tail(size_t room)
{
	assert_true(room <= fake.mem_len / 2);
	return fake.mem_base + fake.mem_len - room;
}

void *fake_ptr(uint64_t addr)
{
	assert_true(addr >= fake.mem_base &&
		    addr < fake.mem_base + fake.mem_len);
	return fake.mem + (addr - fake.mem_base);
}

static int in_mem(uint64_t addr, size_t len)
{
	if (addr < fake.mem_base)
		return 0;
	uint64_t off = addr - fake.mem_base;
	return off <= fake.mem_len && len <= fake.mem_len - off;
}

static int writable(uint64_t addr)
{
	return in_mem(addr, 1) && !(addr >= fake.ro_lo && addr < fake.ro_hi);
}

static void check_call(const struct plat_call *c)
{
	assert_non_null(c);
	assert_true(c->id > 0 && c->id < FAKE_MAX_CALLS);
}

int plat_read(struct plat *p, const struct plat_call *c, uint64_t addr,
	      void *buf, size_t len)
{
	assert_ptr_equal(p, &fake);
	check_call(c);
	if (!in_mem(addr, len))
		return -EFAULT;
	memcpy(buf, fake.mem + (addr - fake.mem_base), len);
	return 0;
}

size_t plat_write_prefix(struct plat *p, const struct plat_call *c,
			 uint64_t addr, const void *buf, size_t len)
{
	assert_ptr_equal(p, &fake);
	check_call(c);
	size_t n = 0;
	while (n < len && writable(addr + n)) {
		fake.mem[addr + n - fake.mem_base] = ((const uint8_t *)buf)[n];
		n++;
	}
	return n;
}

int plat_write(struct plat *p, const struct plat_call *c, uint64_t addr,
	       const void *buf, size_t len)
{
	assert_ptr_equal(p, &fake);
	check_call(c);
	for (size_t i = 0; i < len; i++)
		if (!writable(addr + i))
			return -EFAULT;
	memcpy(fake.mem + (addr - fake.mem_base), buf, len);
	return 0;
}

/* ---------------------------------------------------------------------------
 * Answers */

static int record(const struct plat_call *c, int64_t val, int err, int cont)
{
	check_call(c);
	struct fake_callstate *cs = &fake.calls[c->id];
	if (cs->dead) {
		fake.gone_replies++;
		return -ENOENT;
	}
	if (cs->replies++)
		fake.double_replies++;
	assert_true(fake.n_log < FAKE_MAX_CALLS);
	struct fake_reply *r = &fake.log[fake.n_log++];
	r->id = c->id;
	r->val = val;
	r->err = err;
	r->cont = cont;
	return 0;
}

int plat_reply(struct plat *p, const struct plat_call *c, int64_t val, int err)
{
	assert_ptr_equal(p, &fake);
	assert_true(err <= 0);
	return record(c, val, err, 0);
}

/* The kernel's side of a creating call the emulation hands back: the new
 * file at the lowest free fd, or the kernel's error. */
static int64_t kernel_create(const struct plat_call *c)
{
	struct fake_file *f;
	int flags = 0, bad = 0;
	switch (c->nr) {
	case SYS_epoll_create:
		bad = (int)c->args[0] <= 0;
		break;
	case SYS_epoll_create1:
		flags = (int)c->args[0];
		bad = (flags & ~02000000) != 0;
		break;
	case SYS_eventfd2:
		flags = (int)c->args[1];
		bad = (flags & ~(02000000 | 04000 | 1)) != 0;
		break;
	case SYS_eventfd:
		break;
	default:
		return INT64_MIN; /* nothing to create */
	}
	if (bad)
		return -EINVAL;
	int fd = lowest_free();
	if (fd < 0 || fd >= fake.nofile)
		return -EMFILE;
	if (c->nr == SYS_eventfd || c->nr == SYS_eventfd2) {
		f = fake_file_new(
		    (unsigned int)c->args[0] ? F_IN | F_OUT : F_OUT, 1);
		f->is_eventfd = 1;
	} else {
		f = fake_file_new(0, 1);
		f->is_epoll = 1; /* object NULL: not adopted yet */
	}
	fake_fd_install_at(f, fd);
	fake.fds[fd].cloexec = (flags & 02000000) != 0;
	return fd;
}

int plat_continue(struct plat *p, const struct plat_call *c)
{
	assert_ptr_equal(p, &fake);
	check_call(c);
	int64_t r = fake.calls[c->id].dead ? INT64_MIN : kernel_create(c);
	if (r == INT64_MIN)
		return record(c, 0, 0, 1);
	int err = record(c, r < 0 ? 0 : r, r < 0 ? (int)r : 0, 1);
	fake.log[fake.n_log - 1].kernel = 1;
	return err;
}

int plat_call_alive(struct plat *p, const struct plat_call *c)
{
	assert_ptr_equal(p, &fake);
	check_call(c);
	return !fake.calls[c->id].dead;
}

/* ---------------------------------------------------------------------------
 * Handles */

static struct plat_handle *handle_new(struct fake_file *f, uint32_t mask,
				      void *cookie)
{
	struct plat_handle *h = calloc(1, sizeof(*h));
	assert_non_null(h);
	h->file = f;
	h->mask = mask;
	h->cookie = cookie;
	list_init(&h->link);
	list_add_tail(&h->all, &fake.handles);
	fake.open_handles++;
	if (cookie) {
		/* The kernel hooks normal waiters at the head of the file's
		 * wait queue, exclusive ones at the tail. */
		if (mask & F_EXCLUSIVE)
			list_add_tail(&h->link, &f->watches);
		else
			list_add_head(&h->link, &f->watches);
	}
	return h;
}

/* The fake delivers every wake-up as it happens: a quiet group has
 * nothing to hold back. */
int plat_group_quiet(struct plat *p, struct plat_group *g, int quiet)
{
	assert_ptr_equal(p, &fake);
	(void)g;
	return quiet;
}

void plat_group_drain(struct plat *p, struct plat_group *g)
{
	assert_ptr_equal(p, &fake);
	(void)g;
}

int plat_epoll_adopt(struct plat *p, const struct plat_call *c, int fd,
		     void *object, struct plat_handle **out)
{
	assert_ptr_equal(p, &fake);
	assert_non_null(object);
	*out = NULL;
	struct fake_file *f = fd_file(c, fd);
	if (!f)
		return -EBADF;
	assert_true(f->is_epoll && !f->object);
	if (fake.adopt_fails)
		return fake.adopt_fails;
	f->object = object;
	*out = handle_new(f, 0, NULL);
	return 0;
}

void *plat_lookup_epoll(struct plat *p, const struct plat_call *c, int fd,
			int *err)
{
	assert_ptr_equal(p, &fake);
	check_call(c);
	struct fake_file *f = fd_file(c, fd);
	if (!f) {
		*err = -EBADF;
		return NULL;
	}
	if (!f->is_epoll) {
		*err = -EINVAL;
		return NULL;
	}
	if (!f->object)
		*err = PLAT_UNADOPTED;
	return f->object;
}

void plat_epoll_readable(struct plat *p, struct plat_handle *h, int readable)
{
	assert_ptr_equal(p, &fake);
	assert_non_null(h);
	assert_true(h->file->is_epoll);
	/* Only changes are told. */
	assert_int_not_equal(h->file->shown, readable);
	h->file->shown = readable;
	fake.readable_calls++;
}

struct plat_group {
	int magic;
};

struct plat_group *plat_group_new(struct plat *p)
{
	assert_ptr_equal(p, &fake);
	struct plat_group *g = calloc(1, sizeof(*g));
	assert_non_null(g);
	g->magic = 0x6702;
	fake.open_groups++;
	return g;
}

void plat_group_free(struct plat *p, struct plat_group *g)
{
	assert_ptr_equal(p, &fake);
	if (!g)
		return;
	assert_int_equal(g->magic, 0x6702);
	g->magic = 0;
	fake.open_groups--;
	free(g);
}

void plat_watch_release(struct plat *p, const struct plat_call *c, int fd,
			struct plat_handle *h)
{
	assert_ptr_equal(p, &fake);
	check_call(c);
	assert_non_null(h);
	assert_false(h->closed);
	/* As EPOLL_CTL_DEL, the fd is the handle's file when it is open. */
	struct fake_file *f = fd_file(c, fd);
	if (f && f->alive)
		assert_ptr_equal(f, h->file);
}

int plat_watch_open(struct plat *p, const struct plat_call *c,
		    struct plat_group *g, int fd, uint32_t mask, int flags,
		    void *cookie, enum plat_kind *kind, void **object,
		    struct plat_handle **out)
{
	(void)flags; /* the fake has no limit on watchers of a file */
	assert_ptr_equal(p, &fake);
	check_call(c);
	assert_non_null(cookie);
	assert_non_null(g);
	assert_int_equal(g->magic, 0x6702);
	struct fake_file *f = fd_file(c, fd);
	if (!f)
		return -EBADF;
	if (!f->pollable)
		return -EPERM;
	*out = handle_new(f, mask, cookie);
	*kind = !f->is_epoll ? PLAT_HOST
		: f->object  ? PLAT_EPOLL
			     : PLAT_EPOLL_NEW;
	*object = f->is_epoll ? f->object : NULL;
	return 0;
}

int plat_watch_modify(struct plat *p, const struct plat_call *c, int fd,
		      struct plat_handle **hp, uint32_t mask)
{
	assert_ptr_equal(p, &fake);
	check_call(c);
	struct plat_handle *h = *hp;
	assert_non_null(h);
	assert_false(h->closed);
	struct fake_file *f = fd_file(c, fd);
	if (!f)
		return -EBADF;
	if (f == h->file) {
		/* The kernel's ep_modify keeps the wait-queue position. */
		h->mask = mask;
		return 0;
	}
	struct plat_handle *n = handle_new(f, mask, h->cookie);
	plat_handle_close(p, h);
	*hp = n;
	return 0;
}

int plat_same_file(struct plat *p, const struct plat_call *c,
		   struct plat_handle *h, int fd)
{
	assert_ptr_equal(p, &fake);
	check_call(c);
	assert_non_null(h);
	assert_false(h->closed);
	/* As kcmp(KCMP_EPOLL_TFD): the fd is looked up first. */
	struct fake_file *f = fd_file(c, fd);
	if (!f)
		return -EBADF;
	if (!h->file->alive)
		return -ENOENT;
	return f == h->file ? 0 : 1;
}

int plat_fd_pollable(struct plat *p, const struct plat_call *c, int fd)
{
	assert_ptr_equal(p, &fake);
	check_call(c);
	struct fake_file *f = fd_file(c, fd);
	if (!f)
		return -EBADF;
	return f->pollable ? 0 : -EPERM;
}

void plat_trim(struct plat *p)
{
	assert_ptr_equal(p, &fake);
}

int plat_short_of_handles(struct plat *p)
{
	assert_ptr_equal(p, &fake);
	return 0;
}

int plat_fd_poll(struct plat *p, const struct plat_call *c, int fd)
{
	assert_ptr_equal(p, &fake);
	check_call(c);
	struct fake_file *f = fd_file(c, fd);
	if (!f)
		return -EBADF;
	return (int)(f->is_epoll ? (f->shown ? F_IN : 0u) : f->ready);
}

uint32_t plat_watch_poll(struct plat *p, struct plat_handle *h)
{
	assert_ptr_equal(p, &fake);
	assert_non_null(h);
	if (h->closed || !h->file->alive)
		return 0;
	/* The guest-visible file of an instance is an empty kernel epoll:
	 * its readiness is known only to the emulation. */
	if (h->file->is_epoll)
		return 0;
	return h->file->ready & h->mask;
}

int plat_handle_alive(struct plat *p, struct plat_handle *h)
{
	assert_ptr_equal(p, &fake);
	if (!h || h->closed)
		return 0;
	p->alive_checks++;
	return h->file->alive;
}

void plat_handle_close(struct plat *p, struct plat_handle *h)
{
	assert_ptr_equal(p, &fake);
	if (!h)
		return;
	assert_false(h->closed); /* closed twice */
	h->closed = 1;
	list_del(&h->link);
	fake.open_handles--;
}

void plat_sync(struct plat *p)
{
	assert_ptr_equal(p, &fake);
	fake.syncs++;
	size_t n = fake.n_pending;
	fake.n_pending = 0;
	if (n) /* drained wake-ups are a batch of their own */
		emu_batch_begin(&fake.emu);
	for (size_t i = 0; i < n; i++)
		fake_wake(fake.pending[i].file, fake.pending[i].key);
}

/* ---------------------------------------------------------------------------
 * Tracing */

int plat_tracing(struct plat *p)
{
	assert_ptr_equal(p, &fake);
	return fake.tracing;
}

void plat_event_note(struct plat *p, const struct plat_call *c, int fd,
		     uint32_t events)
{
	assert_ptr_equal(p, &fake);
	check_call(c);
	(void)fd;
	(void)events;
	assert_true(fake.tracing & PLAT_TRACE_EVENTS);
}

void plat_trace_note(struct plat *p, const char *fmt, ...)
{
	assert_ptr_equal(p, &fake);
	assert_true(fake.tracing); /* notes only when asked for */
	size_t room = sizeof(fake.trace) - fake.trace_len;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(fake.trace + fake.trace_len, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		fake.trace_len += (size_t)n < room ? (size_t)n : room - 1;
}

/* ---------------------------------------------------------------------------
 * Time, signals, limits */

int64_t plat_now_ns(struct plat *p)
{
	assert_ptr_equal(p, &fake);
	return fake.now;
}

void plat_timer_arm(struct plat *p, int64_t deadline_ns)
{
	assert_ptr_equal(p, &fake);
	assert_true(deadline_ns >= 0);
	fake.timer = deadline_ns;
	fake.timer_arms++;
}

void fake_advance(int64_t ns)
{
	int64_t target = fake.now + ns;
	int guard = 0;
	while (fake.timer && fake.timer <= target) {
		assert_true(++guard < 1000000);
		if (fake.timer > fake.now)
			fake.now = fake.timer;
		int64_t was = fake.timer;
		fake.timer = 0; /* fired; emu_timers re-arms */
		emu_timers(&fake.emu, fake.now);
		if (fake.timer == was)
			break; /* re-armed for a time already handled */
	}
	fake.now = target;
}

int plat_signal_pending(struct plat *p, const struct plat_call *c,
			const uint64_t *mask, int *signo)
{
	assert_ptr_equal(p, &fake);
	check_call(c);
	struct fake_callstate *cs = &fake.calls[c->id];
	if (signo)
		*signo = cs->signo;
	fake.last_mask_set = mask != NULL;
	fake.last_mask = mask ? *mask : 0;
	if (cs->dead)
		return -ESRCH;
	if (cs->sig == PLAT_SIG_NONE)
		return PLAT_SIG_NONE;
	if (mask && cs->signo > 0 && (*mask & (1ull << (cs->signo - 1))))
		return PLAT_SIG_NONE; /* blocked by the call's mask */
	return cs->sig;
}

uint64_t plat_signalfd_pending(struct plat *p, int tid, int owner, int fd,
			       struct plat_handle *h)
{
	/* The fake has no signalfds: plat_watch_open never says so. */
	assert_ptr_equal(p, &fake);
	(void)tid;
	(void)owner;
	(void)fd;
	(void)h;
	return 0;
}

int plat_tgid(struct plat *p, int tid)
{
	assert_ptr_equal(p, &fake);
	return tid; /* one process per thread in the fake */
}

int plat_thread_where(struct plat *p, int tid)
{
	assert_ptr_equal(p, &fake);
	(void)tid;
	return fake.thread_where;
}

int64_t plat_thread_cpu_ns(struct plat *p, int tid)
{
	assert_ptr_equal(p, &fake);
	(void)tid;
	return fake.cpu_ns;
}

void plat_thread_signal(struct plat *p, int tid, int signo)
{
	assert_ptr_equal(p, &fake);
	(void)tid;
	fake.kicks++;
	fake.last_kick = signo;
}

void fake_kill_call(uint64_t id)
{
	assert_true(id > 0 && id < FAKE_MAX_CALLS);
	fake.calls[id].dead = 1;
}

void fake_set_signal(uint64_t id, int sig, int signo)
{
	assert_true(id > 0 && id < FAKE_MAX_CALLS);
	fake.calls[id].sig = sig;
	fake.calls[id].signo = signo;
}

/* ---------------------------------------------------------------------------
 * Calls */

struct plat_call fk_mkcall(int nr, uint64_t a0, uint64_t a1, uint64_t a2,
			   uint64_t a3, uint64_t a4, uint64_t a5)
{
	struct plat_call c;
	memset(&c, 0, sizeof(c));
	assert_true(fake.next_call_id < FAKE_MAX_CALLS);
	c.id = fake.next_call_id++;
	c.tid = FAKE_TID;
	c.nr = nr;
	c.args[0] = a0;
	c.args[1] = a1;
	c.args[2] = a2;
	c.args[3] = a3;
	c.args[4] = a4;
	c.args[5] = a5;
	return c;
}

uint64_t fk_start(int nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		  uint64_t a4, uint64_t a5)
{
	struct plat_call c = fk_mkcall(nr, a0, a1, a2, a3, a4, a5);
	emu_call(&fake.emu, &c);
	return c.id;
}

const struct fake_reply *fk_reply(uint64_t id)
{
	for (size_t i = fake.n_log; i-- > 0;)
		if (fake.log[i].id == id)
			return &fake.log[i];
	return NULL;
}

int fk_answered(uint64_t id)
{
	return fk_reply(id) != NULL;
}

int fk_continued(uint64_t id)
{
	const struct fake_reply *r = fk_reply(id);
	return r && r->cont;
}

int64_t fk_result(uint64_t id)
{
	const struct fake_reply *r = fk_reply(id);
	if (!r)
		fail_msg("call %llu was not answered", (unsigned long long)id);
	if (r->cont && !r->kernel)
		fail_msg("call %llu was CONTINUEd", (unsigned long long)id);
	return r->err ? r->err : r->val;
}

int64_t fk_sys(int nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
	       uint64_t a4, uint64_t a5)
{
	return fk_result(fk_start(nr, a0, a1, a2, a3, a4, a5));
}

/* ---------------------------------------------------------------------------
 * epoll helpers */

int fk_epoll_create(void)
{
	int64_t fd = fk_sys(SYS_epoll_create1, 0, 0, 0, 0, 0, 0);
	assert_true(fd >= 0);
	return (int)fd;
}

int fk_instance(int *fd, uint32_t ready, uint32_t events, uint64_t data)
{
	int ep = fk_epoll_create();
	*fd = fk_open(ready);
	assert_int_equal(fk_ctl(ep, CTL_ADD, *fd, events, data), 0);
	return ep;
}

void fk_epoll_chain(int *e, int n, int links)
{
	for (int i = 0; i < n; i++)
		e[i] = fk_epoll_create();
	for (int i = 0; i < links; i++)
		assert_int_equal(fk_ctl(e[i], CTL_ADD, e[i + 1], F_IN, 0), 0);
}

void fk_raise_answers(uint64_t id, uint64_t buf, int fd, uint64_t data)
{
	struct fk_event ev[1];

	assert_false(fk_answered(id));
	fk_raise(fd, F_IN);
	assert_int_equal(fk_result(id), 1);
	fk_read_events(buf, 1, ev);
	assert_int_equal(ev[0].events, F_IN);
	assert_int_equal(ev[0].data, data);
}

void fk_expect_data(int epfd, uint64_t data)
{
	struct fk_event ev[4];

	assert_int_equal(fk_wait(epfd, 4, 0, ev), 1);
	assert_int_equal(ev[0].data, data);
}

void fk_call_gone(int nr)
{
	struct plat_call c = fk_mkcall(nr, 0, 0, 0, 0, 0, 0);
	fake_kill_call(c.id);
	emu_call(E, &c);
	assert_false(fk_answered(c.id));
}

uint64_t put_pfds(const struct pfd *p, int n)
{
	uint64_t a = fake_alloc((size_t)n * 8);
	memcpy(fake_ptr(a), p, (size_t)n * 8);
	return a;
}

void get_pfds(uint64_t a, struct pfd *p, int n)
{
	memcpy(p, fake_ptr(a), (size_t)n * 8);
}

void fk_write_event(uint64_t addr, uint32_t events, uint64_t data)
{
	uint8_t *p = fake_ptr(addr);
	memcpy(p, &events, 4);
	memcpy(p + 4, &data, 8);
}

int fk_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data)
{
	uint64_t a = fake_alloc(12);
	fk_write_event(a, events, data);
	return fk_ctl_addr(epfd, op, fd, a);
}

int fk_ctl_addr(int epfd, int op, int fd, uint64_t addr)
{
	return (int)fk_sys(SYS_epoll_ctl, (uint64_t)(int64_t)epfd,
			   (uint64_t)(int64_t)op, (uint64_t)(int64_t)fd, addr,
			   0, 0);
}

void fk_read_events(uint64_t addr, int n, struct fk_event *out)
{
	for (int i = 0; i < n; i++) {
		const uint8_t *p = fake_ptr(addr + (uint64_t)i * 12);
		memcpy(&out[i].events, p, 4);
		memcpy(&out[i].data, p + 4, 8);
	}
}

uint64_t fk_wait_start(int epfd, int maxevents, int timeout_ms, uint64_t *buf)
{
	uint64_t a = fake_alloc(maxevents > 0 ? (size_t)maxevents * 12 : 12);
	if (buf)
		*buf = a;
	return fk_start(SYS_epoll_wait, (uint64_t)(int64_t)epfd, a,
			(uint64_t)(int64_t)maxevents,
			(uint64_t)(int64_t)timeout_ms, 0, 0);
}

int fk_wait(int epfd, int maxevents, int timeout_ms, struct fk_event *out)
{
	uint64_t buf;
	uint64_t id = fk_wait_start(epfd, maxevents, timeout_ms, &buf);
	int64_t r = fk_result(id);
	if (r > 0 && out)
		fk_read_events(buf, (int)r, out);
	return (int)r;
}
