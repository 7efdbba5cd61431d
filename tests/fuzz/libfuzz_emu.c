/* libfuzz_emu.c: a libFuzzer harness for the portable emulation
 * (syscalls/: epoll tables, eventfd, poll/select), driven through the
 * fake platform of the unit tests (tests/unit/fake_platform.c).
 *
 * Each input is a sequence of operations on a fresh emu: create epoll
 * instances, eventfds and fake files; epoll_ctl, epoll_wait/pwait/pwait2,
 * poll/ppoll/select/pselect6 and raw calls with random (and bad) fds,
 * masks, sizes and guest addresses; kernel wake-ups of files (now or at the
 * next plat_sync), readiness changes without wake-up, closes and dups,
 * O_PATH fds, the fake clock (emu_timers), pending signals and vanished
 * callers, GC sweeps, tracing, and (half the inputs) --inject's faults. At the
 * end emu_fini must have closed every handle syscalls/ opened; no call may be
 * answered twice; answers must be a value or an errno in [-4095, -1], and an
 * epoll_wait/poll/select count must fit what the call asked for.
 *
 * Failures: sanitizers (ASan, UBSan, LSan), a failed cmocka assertion in
 * the fake platform (CMOCKA_TEST_ABORT=1: it aborts, which libFuzzer
 * reports with a stack trace; the harness itself only calls fake helpers
 * whose preconditions it has checked), or an invariant checked here
 * (message "libfuzz_emu: INVARIANT ...", then abort()).
 *
 * Decoding an input: LIBFUZZ_TRACE=1 ./libfuzz_emu CRASHFILE prints every
 * operation as it runs, with the call's answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include <cmocka.h>

#include "fake_platform.h"

/* ---------------------------------------------------------------------------
 * Input reader: past the end every read returns 0. */

static const uint8_t *in_p;
static size_t in_n;

static uint8_t u8(void)
{
	if (!in_n)
		return 0;
	in_n--;
	return *in_p++;
}

static uint16_t u16(void)
{
	uint16_t a = u8();
	return (uint16_t)(a | (uint16_t)u8() << 8);
}

static uint32_t u32(void)
{
	uint32_t a = u16();
	return a | (uint32_t)u16() << 16;
}

static uint64_t u64(void)
{
	uint64_t a = u32();
	return a | (uint64_t)u32() << 32;
}

/* ---------------------------------------------------------------------------
 * Tracing of operations (LIBFUZZ_TRACE=1) */

static int tracing;

static void tr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void tr(const char *fmt, ...)
{
	if (!tracing)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static void inv_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static void inv_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "libfuzz_emu: INVARIANT: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

/* ---------------------------------------------------------------------------
 * Guest memory: a scratch area the harness fills from the input, a
 * read-only window, the faulting tail of memory and unmapped addresses. */

#define SCRATCH_SIZE (256u * 1024u)
#define RO_OFF 0x80000u
#define RO_SIZE 0x1000u

static size_t scratch_brk;

/* Room for n bytes in the scratch area (wraps: a later op may overwrite a
 * blocked call's buffer, as a guest may). */
static uint64_t scratch(size_t n)
{
	size_t off = (scratch_brk + 15) & ~(size_t)15;
	if (n > SCRATCH_SIZE)
		n = SCRATCH_SIZE;
	if (off + n > SCRATCH_SIZE)
		off = 0;
	scratch_brk = off + n;
	return fake.mem_base + off;
}

static uint64_t put(const void *buf, size_t n)
{
	uint64_t a = scratch(n);
	memcpy(fake.mem + (a - fake.mem_base), buf, n);
	return a;
}

/* An address for a buffer of n bytes: mostly valid. */
static uint64_t pick_addr(size_t n)
{
	uint8_t m = u8();
	switch (m % 16) {
	case 0:
		return 0; /* NULL */
	case 1:
		return FAKE_BAD_ADDR;
	case 2: /* the end of memory: room for only part of it */
		return fake.mem_base + fake.mem_len - (u8() % (n + 1));
	case 3: /* read-only window */
		return fake.ro_lo + u8() % 64;
	case 4:
		return fake.mem_base - 1 - u8() % 16;
	case 5:
		return u64();
	case 6: /* misaligned */
		return scratch(n + 8) + 1 + m / 16 % 7;
	default:
		return scratch(n ? n : 1);
	}
}

/* ---------------------------------------------------------------------------
 * Values */

static int pick_fd(void)
{
	uint8_t b = u8();
	if (b < 224)
		return b % 40;
	switch (b % 8) {
	case 0:
		return -1;
	case 1:
		return FAKE_MAX_FDS - 1;
	case 2:
		return FAKE_MAX_FDS;
	case 3:
		return 0x7fffffff;
	case 4:
		return (int)0x80000000u;
	case 5:
		return -9;
	default:
		return (int)u32();
	}
}

/* fd as a 64-bit argument: sometimes with junk in the upper half, which
 * the kernel ignores for int arguments. */
static uint64_t fd_arg(int fd)
{
	uint64_t v = (uint64_t)(int64_t)fd;
	if (u8() % 16 == 0)
		v = (uint32_t)fd | 0xdead00000000ull;
	return v;
}

static const uint32_t bits[] = {
    F_IN,     F_PRI,   F_OUT,	    F_ERR,    F_HUP,	 F_RDNORM,
    F_WRNORM, F_RDHUP, F_EXCLUSIVE, F_WAKEUP, F_ONESHOT, F_ET,
    F_NVAL,   0x080u,  0x200u,	    0x400u,
};

static uint32_t pick_mask(void)
{
	uint8_t m = u8();
	if (m % 8 == 0)
		return u32();
	uint16_t sel = u16();
	uint32_t v = 0;
	for (int i = 0; i < 16; i++)
		if (sel & (1u << i))
			v |= bits[i];
	return v;
}

static int pick_int_small(void)
{
	uint8_t b = u8();
	if (b < 200)
		return b % 20;
	switch (b % 6) {
	case 0:
		return -1;
	case 1:
		return 0x7fffffff;
	case 2:
		return (int)0x80000000u;
	case 3:
		return 4096;
	default:
		return (int)u32();
	}
}

static int pick_timeout_ms(void)
{
	uint8_t b = u8();
	switch (b % 8) {
	case 0:
	case 1:
		return 0;
	case 2:
	case 3:
		return -1;
	case 4:
		return 1 + u8() % 10;
	case 5:
		return 100 * (1 + u8() % 20);
	case 6:
		return (int)u32();
	default:
		return -(int)(u8() % 4) - 1;
	}
}

/* A timespec (or timeval) somewhere in memory, or NULL / a bad address. */
static uint64_t pick_timespec(void)
{
	uint8_t b = u8();
	int64_t ts[2];
	switch (b % 8) {
	case 0:
		return 0;
	case 1:
		return FAKE_BAD_ADDR;
	case 2:
		ts[0] = 0;
		ts[1] = 0;
		break;
	case 3:
		ts[0] = 0;
		ts[1] = (int64_t)(u8() % 20) * 1000000;
		break;
	case 4:
		ts[0] = u8() % 4;
		ts[1] = u32() % 1000000000u;
		break;
	default:
		ts[0] = (int64_t)u64();
		ts[1] = (int64_t)u64();
		break;
	}
	if (b & 0x80) { /* at the end of memory: partly readable */
		uint64_t a = fake.mem_base + fake.mem_len - u8() % 17;
		tr("  (time struct at end of memory %#llx)\n",
		   (unsigned long long)a);
		return a;
	}
	tr("  (time struct {%lld, %lld})\n", (long long)ts[0],
	   (long long)ts[1]);
	return put(ts, sizeof(ts));
}

/* sigmask pointer and size for epoll_pwait/ppoll. */
static void pick_sigmask(uint64_t *addr, uint64_t *size)
{
	uint8_t b = u8();
	uint64_t mask = u64();
	*addr = (b % 4 == 0) ? 0 : (b % 4 == 1) ? pick_addr(8) : put(&mask, 8);
	*size = (b & 0x30) ? 8 : u64();
}

/* ---------------------------------------------------------------------------
 * Calls and their answers */

#define MAX_CALLS 1024 /* < FAKE_MAX_CALLS */
#define RECENT 16

enum { LIM_NONE, LIM_EPOLL, LIM_POLL, LIM_SELECT };

struct callinfo {
	int nr;
	int lim_kind;
	int64_t limit;
};

static struct callinfo cinfo[FAKE_MAX_CALLS];
static uint64_t recent[RECENT];
static unsigned n_recent;
static size_t log_seen;
static unsigned n_calls;

/* Check answers logged since the last look. */
static void check_log(void)
{
	if (fake.double_replies)
		inv_fail("a call was answered twice");
	for (; log_seen < fake.n_log; log_seen++) {
		const struct fake_reply *r = &fake.log[log_seen];
		struct callinfo *ci = &cinfo[r->id];
		tr("    answer call %llu (%s): %s val=%lld err=%d\n",
		   (unsigned long long)r->id,
		   emu_sys_name(emu_sys_index(ci->nr)),
		   r->cont ? "CONTINUE" : "reply", (long long)r->val, r->err);
		if (r->err > 0 || r->err < -4095)
			inv_fail("call %llu: errno %d out of range",
				 (unsigned long long)r->id, r->err);
		if (r->err || r->cont)
			continue;
		if (r->val < 0)
			inv_fail("call %llu: negative value %lld without errno",
				 (unsigned long long)r->id, (long long)r->val);
		if (ci->lim_kind != LIM_NONE && r->val > ci->limit)
			inv_fail("call %llu (%s): returned %lld > limit %lld",
				 (unsigned long long)r->id,
				 emu_sys_name(emu_sys_index(ci->nr)),
				 (long long)r->val, (long long)ci->limit);
	}
}

static void call(int nr, int lim_kind, int64_t limit, uint64_t a0, uint64_t a1,
		 uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	if (n_calls >= MAX_CALLS)
		return;
	n_calls++;
	struct plat_call c = fk_mkcall(nr, a0, a1, a2, a3, a4, a5);
	cinfo[c.id].nr = nr;
	cinfo[c.id].lim_kind = lim_kind;
	cinfo[c.id].limit = limit;
	tr("  call %llu %s(%#llx, %#llx, %#llx, %#llx, %#llx, %#llx)\n",
	   (unsigned long long)c.id, emu_sys_name(emu_sys_index(nr)),
	   (unsigned long long)a0, (unsigned long long)a1,
	   (unsigned long long)a2, (unsigned long long)a3,
	   (unsigned long long)a4, (unsigned long long)a5);
	/* Sometimes the caller is already gone when the call is handled. */
	if (u8() % 32 == 0) {
		tr("    (caller killed before handling)\n");
		fake_kill_call(c.id);
	}
	size_t before = fake.n_log;
	emu_call(&fake.emu, &c);
	if (fake.n_log == before)
		recent[n_recent++ % RECENT] = c.id; /* blocked (or gone) */
	check_log();
}

static uint64_t pick_recent(void)
{
	uint8_t b = u8();
	if (!n_recent)
		return 0;
	unsigned n = n_recent < RECENT ? n_recent : RECENT;
	return recent[(n_recent - 1 - b % n) % RECENT];
}

/* ---------------------------------------------------------------------------
 * Files */

static int fd_open(int fd)
{
	return fd >= 0 && fd < FAKE_MAX_FDS && fake.fds[fd].file;
}

static int free_fd_below(int lim)
{
	for (int fd = 0; fd < lim; fd++)
		if (!fake.fds[fd].file)
			return 1;
	return 0;
}

static size_t n_watches(struct fake_file *f)
{
	size_t n = 0;
	for (struct list *p = f->watches.next; p != &f->watches; p = p->next)
		n++;
	return n;
}

/* ---------------------------------------------------------------------------
 * Operations */

static void op_open(void)
{
	uint8_t k = u8();
	uint32_t ready = pick_mask();
	if (!free_fd_below(40))
		return;
	int fd = (k % 4 == 0) ? fk_open_regular() : fk_open(ready);
	tr("open %s ready=%#x -> fd %d\n", k % 4 == 0 ? "regular" : "pollable",
	   ready, fd);
}

static void op_epoll_create(void)
{
	uint8_t k = u8();
	tr("epoll_create\n");
	if (k % 4 == 0)
		call(SYS_epoll_create, LIM_NONE, 0,
		     (k & 0x10) ? (uint64_t)(int64_t)pick_int_small() : 1, 0, 0,
		     0, 0, 0);
	else
		call(SYS_epoll_create1, LIM_NONE, 0,
		     (k & 0x10)	  ? u32()
		     : (k & 0x20) ? 02000000
				  : 0,
		     0, 0, 0, 0, 0);
}

static void op_eventfd(void)
{
	uint8_t k = u8();
	uint32_t count = (k & 1) ? u32() : 0;
	tr("eventfd\n");
	if (k & 2)
		call(SYS_eventfd, LIM_NONE, 0, count, 0, 0, 0, 0, 0);
	else
		call(SYS_eventfd2, LIM_NONE, 0, count,
		     (k & 4)   ? u32()
		     : (k & 8) ? 02000000 | 04000
			       : 0,
		     0, 0, 0, 0);
}

static void op_ctl(void)
{
	int epfd = pick_fd();
	uint8_t o = u8();
	int op = (o < 240) ? 1 + o % 3 : (int)(o % 8) - 2;
	int fd = pick_fd();
	uint8_t ev[12];
	uint32_t events = pick_mask();
	uint64_t data = u64();
	memcpy(ev, &events, 4);
	memcpy(ev + 4, &data, 8);
	uint64_t a = (u8() % 8 == 0) ? pick_addr(12) : put(ev, 12);
	tr("epoll_ctl ep=%d op=%d fd=%d events=%#x data=%#llx\n", epfd, op, fd,
	   events, (unsigned long long)data);
	call(SYS_epoll_ctl, LIM_NONE, 0, fd_arg(epfd), (uint64_t)(int64_t)op,
	     fd_arg(fd), a, 0, 0);
}

static void op_wait(void)
{
	uint8_t v = u8();
	int epfd = pick_fd();
	int maxevents = pick_int_small();
	size_t room = maxevents > 0 && maxevents < 4096 ? 12u * maxevents : 12;
	uint64_t buf = pick_addr(room);
	int tmo = pick_timeout_ms();
	uint64_t sa, ss;
	tr("epoll_wait v=%d ep=%d maxevents=%d timeout=%d\n", v % 3, epfd,
	   maxevents, tmo);
	switch (v % 3) {
	case 0:
		call(SYS_epoll_wait, LIM_EPOLL, maxevents, fd_arg(epfd), buf,
		     (uint64_t)(int64_t)maxevents, (uint64_t)(int64_t)tmo, 0,
		     0);
		break;
	case 1:
		pick_sigmask(&sa, &ss);
		call(SYS_epoll_pwait, LIM_EPOLL, maxevents, fd_arg(epfd), buf,
		     (uint64_t)(int64_t)maxevents, (uint64_t)(int64_t)tmo, sa,
		     ss);
		break;
	default: {
		uint64_t ts = pick_timespec();
		pick_sigmask(&sa, &ss);
		call(SYS_epoll_pwait2, LIM_EPOLL, maxevents, fd_arg(epfd), buf,
		     (uint64_t)(int64_t)maxevents, ts, sa, ss);
	}
	}
}

static void op_poll(void)
{
	uint8_t v = u8();
	unsigned n = u8() % 9;
	uint8_t arr[8 * 8];
	for (unsigned i = 0; i < n; i++) {
		int32_t fd = pick_fd();
		int16_t events = (int16_t)(u8() % 4 ? pick_mask() : u16());
		int16_t revents = (int16_t)u16();
		memcpy(arr + 8 * i, &fd, 4);
		memcpy(arr + 8 * i + 4, &events, 2);
		memcpy(arr + 8 * i + 6, &revents, 2);
	}
	uint64_t a = (u8() % 8 == 0) ? pick_addr(8 * n) : put(arr, 8 * n);
	uint64_t nfds = (u8() % 16 == 0) ? u64() : n;
	tr("poll v=%d n=%u nfds=%#llx\n", v % 2, n, (unsigned long long)nfds);
	if (v % 2 == 0) {
		int tmo = pick_timeout_ms();
		call(SYS_poll, LIM_POLL, (uint32_t)nfds, a, nfds,
		     (uint64_t)(int64_t)tmo, 0, 0, 0);
	} else {
		uint64_t ts = pick_timespec();
		uint64_t sa, ss;
		pick_sigmask(&sa, &ss);
		call(SYS_ppoll, LIM_POLL, (uint32_t)nfds, a, nfds, ts, sa, ss,
		     0);
	}
}

static void op_select(void)
{
	uint8_t v = u8();
	uint8_t nb = u8();
	int nfds = nb < 240 ? nb % 48 : pick_int_small();
	uint64_t set[3];
	for (int k = 0; k < 3; k++) {
		uint8_t s = u8();
		if (s % 4 == 0) {
			set[k] = 0;
		} else if (s % 4 == 1) {
			set[k] = pick_addr(8);
		} else {
			uint64_t w[2] = {u64(), u64()};
			set[k] = put(w, sizeof(w));
		}
	}
	int64_t lim = nfds > 0 ? 3LL * nfds : 0;
	tr("select v=%d nfds=%d\n", v % 2, nfds);
	if (v % 2 == 0) {
		uint64_t tv = pick_timespec(); /* same layout as a timeval */
		call(SYS_select, LIM_SELECT, lim, (uint64_t)(int64_t)nfds,
		     set[0], set[1], set[2], tv, 0);
	} else {
		uint64_t ts = pick_timespec();
		uint64_t sa, ss, pack[2];
		pick_sigmask(&sa, &ss);
		pack[0] = sa;
		pack[1] = ss;
		uint64_t pa = (u8() % 4 == 0) ? 0 : put(pack, sizeof(pack));
		call(SYS_pselect6, LIM_SELECT, lim, (uint64_t)(int64_t)nfds,
		     set[0], set[1], set[2], ts, pa);
	}
}

static void op_raw(void)
{
	static const int nrs[] = {
	    SYS_epoll_create, SYS_epoll_create1, SYS_epoll_ctl, SYS_epoll_wait,
	    SYS_epoll_pwait,  SYS_epoll_pwait2,	 SYS_eventfd,	SYS_eventfd2,
	    SYS_poll,	      SYS_ppoll,	 SYS_select,	SYS_pselect6,
	    SYS_read,
	};
	int nr = nrs[u8() % (sizeof(nrs) / sizeof(nrs[0]))];
	uint64_t a[6];
	for (int i = 0; i < 6; i++) {
		uint8_t k = u8();
		a[i] = (k % 4 == 0)   ? (uint64_t)(int64_t)pick_fd()
		       : (k % 4 == 1) ? pick_addr(64)
		       : (k % 4 == 2) ? (uint64_t)(int64_t)pick_int_small()
				      : u64();
	}
	tr("raw syscall %d\n", nr);
	call(nr, LIM_NONE, 0, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static void op_wake(void)
{
	uint8_t k = u8();
	int fd = pick_fd();
	uint32_t key = (k & 1) ? 0 : pick_mask();
	uint32_t raise = (k & 2) ? pick_mask() : 0;
	if (!fd_open(fd))
		return;
	struct fake_file *f = fake.fds[fd].file;
	f->ready |= raise;
	if (k & 4)
		f->ready &= ~pick_mask();
	if (n_watches(f) >= 1000)
		return; /* fake_wake's snapshot limit */
	if (k & 8) {
		if (fake.n_pending >= FAKE_MAX_PENDING)
			return;
		tr("wake later fd=%d key=%#x ready=%#x\n", fd, key, f->ready);
		fake_wake_later(f, key);
	} else {
		tr("wake fd=%d key=%#x ready=%#x\n", fd, key, f->ready);
		emu_batch_begin(&fake.emu);
		fake_wake(f, key);
	}
	check_log();
}

static void op_set_ready(void)
{
	int fd = pick_fd();
	uint32_t m = pick_mask();
	if (!fd_open(fd))
		return;
	tr("set ready fd=%d %#x (no wake-up)\n", fd, m);
	fake.fds[fd].file->ready = m;
}

static void op_close(void)
{
	int fd = pick_fd();
	if (!fd_open(fd))
		return;
	tr("close fd=%d\n", fd);
	fk_close(fd);
}

static void op_dup(void)
{
	uint8_t k = u8();
	int fd = pick_fd();
	int nfd = u8() % 40;
	if (!fd_open(fd))
		return;
	if (k & 1) {
		tr("dup2 %d -> %d\n", fd, nfd);
		fk_dup2(fd, nfd);
	} else {
		if (!free_fd_below(40))
			return;
		int r = fk_dup(fd);
		tr("dup %d -> %d\n", fd, r);
	}
}

static void op_fdflags(void)
{
	uint8_t k = u8();
	int fd = pick_fd();
	if (!fd_open(fd))
		return;
	tr("fd %d opath=%d\n", fd, k & 1);
	fake.fds[fd].opath = k & 1;
}

static void op_advance(void)
{
	uint8_t k = u8();
	int64_t ns;
	switch (k % 8) {
	case 0:
		ns = 0;
		break;
	case 1:
		ns = 1;
		break;
	case 2:
		ns = MS * (1 + u8() % 4);
		break;
	case 3:
		ns = 10 * MS * (1 + u8() % 16);
		break;
	case 4:
		ns = 1000 * MS * (1 + u8() % 4);
		break;
	case 5:
		ns = (int64_t)u32();
		break;
	case 6: /* to the armed timer exactly */
		ns = fake.timer > fake.now ? fake.timer - fake.now : 0;
		break;
	default:
		ns = 100000 * MS;
		break;
	}
	tr("advance %lld ns (timer at %+lld)\n", (long long)ns,
	   (long long)(fake.timer ? fake.timer - fake.now : -1));
	fake_advance(ns);
	check_log();
}

static void op_timers_now(void)
{
	tr("emu_timers(now) early\n");
	emu_timers(&fake.emu, fake.now);
	check_log();
}

static void op_signal(void)
{
	uint8_t k = u8();
	uint64_t id = pick_recent();
	if (!id)
		return;
	int sig = k % 3;
	int signo = 1 + u8() % 64;
	tr("signal call %llu sig=%d signo=%d\n", (unsigned long long)id, sig,
	   signo);
	fake_set_signal(id, sig, signo);
}

static void op_kill(void)
{
	uint64_t id = pick_recent();
	if (!id)
		return;
	tr("kill call %llu (thread gone)\n", (unsigned long long)id);
	fake_kill_call(id);
}

static void op_sync(void)
{
	tr("plat_sync (%zu pending)\n", fake.n_pending);
	plat_sync(&fake);
	check_log();
}

static void op_gc(void)
{
	size_t n = emu_gc(&fake.emu);
	tr("emu_gc -> %zu\n", n);
	check_log();
}

static void op_misc(void)
{
	uint8_t k = u8();
	switch (k % 4) {
	case 0:
		fake.tracing = !fake.tracing;
		fake.trace_len = 0;
		tr("tracing %d\n", fake.tracing);
		break;
	case 1: {
		static const int64_t lims[] = {1024, 4, 0, 65536};
		fake.nofile = lims[(k >> 2) % 4];
		tr("nofile %lld\n", (long long)fake.nofile);
		break;
	}
	case 2:
		fake.emu.wakeup_allowed = (k >> 2) & 1;
		tr("wakeup_allowed %d\n", fake.emu.wakeup_allowed);
		break;
	default: { /* write random bytes over part of the scratch area */
		uint16_t off = u16();
		uint8_t len = u8() % 32;
		tr("scribble %u bytes at +%#x\n", len, off);
		for (unsigned i = 0; i < len; i++)
			fake.mem[(off + i) % SCRATCH_SIZE] = u8();
	}
	}
	fake.trace_len = 0;
}

typedef void (*op_fn)(void);
static const op_fn ops[] = {
    op_open,   op_epoll_create, op_eventfd, op_ctl,	  op_ctl,
    op_ctl,    op_wait,		op_wait,    op_poll,	  op_select,
    op_raw,    op_wake,		op_wake,    op_set_ready, op_close,
    op_dup,    op_fdflags,	op_advance, op_advance,	  op_timers_now,
    op_signal, op_kill,		op_sync,    op_gc,	  op_misc,
};
#define N_OPS (sizeof(ops) / sizeof(ops[0]))

/* ---------------------------------------------------------------------------
 * Setup, run, teardown */

static void setup(void)
{
	fake_setup(NULL);
	fake.ro_lo = fake.mem_base + RO_OFF;
	fake.ro_hi = fake.ro_lo + RO_SIZE;
	scratch_brk = 0;
	n_recent = 0;
	log_seen = 0;
	n_calls = 0;
	memset(cinfo, 0, sizeof(cinfo));
}

static void teardown(void)
{
	tr("emu_fini\n");
	emu_fini(&fake.emu);
	check_log();
	if (fake.open_handles)
		inv_fail("%zu handle(s) leaked after emu_fini",
			 fake.open_handles);
	if (fake.emu.heap_len || fake.emu.n_blocked)
		tr("  (note: heap_len %zu n_blocked %zu after fini)\n",
		   fake.emu.heap_len, fake.emu.n_blocked);
	fake_free_all();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* A failed cmocka assertion outside a cmocka test would exit(-1):
	 * make it abort, which libFuzzer reports as a crash. */
	setenv("CMOCKA_TEST_ABORT", "1", 1);
	const char *t = getenv("LIBFUZZ_TRACE");
	tracing = t && *t && *t != '0';
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	in_p = data;
	in_n = size;
	setup();
	/* Half the inputs run with --inject's faults, at up to one half
	 * each: the faults' paths must keep every invariant too. */
	if (u8() & 1) {
		struct emu_inject inj = {.seed = u32()};
		inj.eintr = u8() / 510.0;
		inj.split = u8() / 510.0;
		inj.stale = u8() / 510.0;
		inj.enospc = u8() / 510.0;
		inj.enomem = u8() / 510.0;
		inj.emfile = u8() / 510.0;
		inj.delay_ns = (int64_t)u8() * 100000; /* up to 25.5 ms */
		if (emu_set_inject(&fake.emu, &inj))
			inv_fail("emu_set_inject refused a valid spec");
		tr("inject seed=%u\n", (unsigned)inj.seed);
	}
	/* Half hand zero-timeout waits to the kernel, as the supervisor
	 * does, and keep the anchors those calls may look at dark. */
	fake.emu.zero_timeout_native = u8() & 1;
	unsigned steps = 0;
	while (in_n && steps++ < 2000 && n_calls < MAX_CALLS) {
		uint8_t o = u8();
		ops[o % N_OPS]();
		/* The end of a batch of the supervisor's main loop. */
		emu_publish(&fake.emu);
	}
	teardown();
	return 0;
}
