/* epoll_wait_params.c: argument checking of epoll_wait / epoll_pwait /
 * epoll_pwait2 (linux-semantics.md 1.2, 1.3, 1.4, 5.1, 5.2, 4.2).
 *
 * Check order (5.1):
 *   pwait2: timespec copy (EFAULT) + validation (EINVAL), then the mask,
 *   pwait:  mask (sigsetsize != 8 -> EINVAL, unreadable -> EFAULT),
 *   wait:   epfd not open (EBADF), maxevents (EINVAL), range of the
 *           buffer vs. the user limit (EFAULT), epfd not epoll (EINVAL).
 * Everything uses raw syscall() so that bad pointers and sizes reach the
 * kernel unchanged.
 */
#include "testlib.h"
#include "testutil.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define EP_MAX_EVENTS 178956970
#define USER_LIMIT 0x7ffffffff000UL
#define KPTR ((void *)0xffff888000000000UL)

static long sys_wait(int ep, void *ev, int max, int ms)
{
	return syscall(SYS_epoll_wait, ep, ev, max, ms);
}

static const struct kts ts_zero = {0, 0};

/* A closed fd number (well above anything we use). */
static int closed_fd(void)
{
	int fd = eventfd(0, 0);
	close(fd);
	return fd;
}

static int ready_efd(void)
{
	int e = eventfd(1, EFD_NONBLOCK);
	return e;
}

/* One event, EPOLLIN with this data, from a raw epoll_wait. */
static void expect_in(int ep, uint64_t data)
{
	struct epoll_event ev[2];

	memset(ev, 0, sizeof(ev));
	CHECK_EQ(sys_wait(ep, ev, 2, 0), 1);
	CHECK_EQ(ev[0].events, EPOLLIN);
	CHECK_EQ(ev[0].data.u64, data);
}

/* Nothing to report, and so nothing copied even to a bad buffer. */
static void expect_drained(int ep)
{
	struct epoll_event ev[2];

	CHECK_EQ(sys_wait(ep, ev, 2, 0), 0);
	CHECK_EQ(sys_wait(ep, NULL, 1, 0), 0);
}

static void case_ebadf_before_maxevents(void)
{
	struct epoll_event ev[2];
	int cf = closed_fd();
	uint64_t mask = 0;

	CHECK_ERR(sys_wait(-1, ev, 0, 0), EBADF);
	CHECK_ERR(sys_wait(-1, ev, -5, 0), EBADF);
	CHECK_ERR(sys_wait(cf, ev, INT_MAX, 0), EBADF);
	CHECK_ERR(sys_wait(INT_MAX, ev, 0, 0), EBADF);
	CHECK_ERR(sys_pwait(-1, ev, 0, 0, NULL, 8), EBADF);
	CHECK_ERR(sys_pwait(cf, ev, -1, 0, &mask, 8), EBADF);
	CHECK_ERR(sys_pwait2(-1, ev, 0, NULL, NULL, 8), EBADF);
	CHECK_ERR(sys_pwait2(cf, ev, 0, &ts_zero, &mask, 8), EBADF);
	/* EBADF also beats the buffer range check. */
	CHECK_ERR(sys_wait(-1, KPTR, 1, 0), EBADF);
	CHECK_ERR(sys_pwait2(cf, KPTR, 1, &ts_zero, NULL, 0), EBADF);
}

static void case_opath_epfd_is_ebadf(void)
{
	struct epoll_event ev[1];
	int ep = epoll_create1(0);
	int p;

	/* An O_PATH fd counts as "not open" (1.1). */
	p = open("/", O_PATH);
	CHECK(p >= 0);
	CHECK_ERR(sys_wait(p, ev, 1, 0), EBADF);
	CHECK_ERR(sys_wait(p, ev, 0, 0), EBADF);
	CHECK_ERR(sys_pwait2(p, ev, 1, &ts_zero, NULL, 0), EBADF);
	close_fds(p, ep);
}

static void case_maxevents_invalid(void)
{
	struct epoll_event ev[2];
	int ep = epoll_create1(0);
	int bad[] = {0, -1, INT_MIN, EP_MAX_EVENTS + 1, INT_MAX};
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_ERR(sys_wait(ep, ev, bad[i], 0), EINVAL);
		CHECK_ERR(sys_pwait(ep, ev, bad[i], 0, NULL, 8), EINVAL);
		CHECK_ERR(sys_pwait2(ep, ev, bad[i], &ts_zero, NULL, 8),
			  EINVAL);
		/* maxevents is checked before the buffer range. */
		CHECK_ERR(sys_wait(ep, KPTR, bad[i], 0), EINVAL);
		CHECK_ERR(sys_wait(ep, NULL, bad[i], 0), EINVAL);
	}
	/* Even with a timeout: the error comes at once. */
	double t0 = tl_now_ms();
	CHECK_ERR(sys_wait(ep, ev, 0, 5000), EINVAL);
	CHECK_ERR(sys_wait(ep, ev, -1, -1), EINVAL);
	CHECK(tl_now_ms() - t0 < 1000);
	close(ep);
}

static struct epoll_event bigbuf[4];

static void case_maxevents_max_accepted(void)
{
	int ep = epoll_create1(0);

	/* Empty instance, timeout 0: nothing is copied. The range
	 * [bigbuf, bigbuf + 12 * max) lies below the user limit. */
	CHECK_EQ(sys_wait(ep, bigbuf, EP_MAX_EVENTS, 0), 0);
	CHECK_EQ(sys_pwait(ep, bigbuf, EP_MAX_EVENTS, 0, NULL, 8), 0);
	CHECK_EQ(sys_pwait2(ep, bigbuf, EP_MAX_EVENTS, &ts_zero, NULL, 8), 0);
	CHECK_EQ(sys_wait(ep, NULL, EP_MAX_EVENTS, 0), 0);
	/* With something ready only one record is written. */
	int e = ready_efd();
	CHECK_OK(add(ep, e, EPOLLIN, 77));
	memset(bigbuf, 0, sizeof(bigbuf));
	CHECK_EQ(sys_wait(ep, bigbuf, EP_MAX_EVENTS, 0), 1);
	CHECK_EQ(bigbuf[0].events, EPOLLIN);
	CHECK_EQ(bigbuf[0].data.u64, 77);
	close_fds(e, ep);
}

static void case_buffer_range_limit(void)
{
	int ep = epoll_create1(0);
	int e;

	/* Nothing ready, so only access_ok matters. */
	CHECK_EQ(sys_wait(ep, (void *)0x7fffffffeff4UL, 1, 0), 0);
	CHECK_ERR(sys_wait(ep, (void *)0x7fffffffeff5UL, 1, 0), EFAULT);
	CHECK_ERR(sys_wait(ep, (void *)0x7fffffffeff4UL, 2, 0), EFAULT);
	CHECK_ERR(sys_wait(ep, (void *)0x7fffffffeffcUL, 1, 0), EFAULT);
	CHECK_ERR(sys_wait(ep, (void *)USER_LIMIT, 1, 0), EFAULT);
	CHECK_ERR(sys_wait(ep, KPTR, 1, 0), EFAULT);
	CHECK_ERR(sys_wait(ep, (void *)-12L, 1, 0), EFAULT);
	CHECK_EQ(sys_pwait(ep, (void *)0x7fffffffeff4UL, 1, 0, NULL, 8), 0);
	CHECK_ERR(sys_pwait(ep, (void *)0x7fffffffeff5UL, 1, 0, NULL, 8),
		  EFAULT);
	CHECK_EQ(sys_pwait2(ep, (void *)0x7fffffffeff4UL, 1, &ts_zero, NULL, 8),
		 0);
	CHECK_ERR(
	    sys_pwait2(ep, (void *)0x7fffffffeff5UL, 1, &ts_zero, NULL, 8),
	    EFAULT);
	/* The range is events + 12 * maxevents. */
	CHECK_EQ(sys_wait(ep, (void *)0x7fff00000000UL, EP_MAX_EVENTS, 0), 0);
	CHECK_ERR(sys_wait(ep, (void *)0x7fff80000000UL, EP_MAX_EVENTS, 0),
		  EFAULT);
	/* The range check happens before anything is harvested: with an
	 * entry ready, EFAULT leaves it queued. */
	e = ready_efd();
	CHECK_OK(add(ep, e, EPOLLIN | EPOLLET, 5));
	CHECK_ERR(sys_wait(ep, KPTR, 1, 0), EFAULT);
	CHECK_ERR(sys_wait(ep, (void *)0x7fffffffeff5UL, 1, 0), EFAULT);
	struct epoll_event ev[2];
	CHECK_EQ(sys_wait(ep, ev, 2, 0), 1);
	CHECK_EQ(ev[0].data.u64, 5);
	close_fds(e, ep);
}

static void case_non_epoll_fd(void)
{
	struct epoll_event ev[2];
	int e = eventfd(0, 0);
	int p[2];
	int dn = open("/dev/null", O_RDONLY);
	uint64_t mask = 0;

	CHECK_OK(pipe(p));
	CHECK_ERR(sys_wait(e, ev, 1, 0), EINVAL);
	CHECK_ERR(sys_wait(e, ev, 0, 0), EINVAL);
	CHECK_ERR(sys_wait(e, NULL, 1, 0), EINVAL);
	CHECK_ERR(sys_wait(e, (void *)8, 1, 0), EINVAL);
	CHECK_ERR(sys_wait(p[0], ev, 1, 0), EINVAL);
	CHECK_ERR(sys_wait(dn, ev, 1, 0), EINVAL);
	CHECK_ERR(sys_pwait(e, ev, 1, 0, &mask, 8), EINVAL);
	CHECK_ERR(sys_pwait2(e, ev, 1, &ts_zero, &mask, 8), EINVAL);
	/* The range check comes before the type check. */
	CHECK_ERR(sys_wait(e, KPTR, 1, 0), EFAULT);
	CHECK_ERR(sys_wait(dn, (void *)0x7fffffffeff5UL, 1, 0), EFAULT);
	CHECK_ERR(sys_pwait(p[1], KPTR, 1, 0, NULL, 8), EFAULT);
	CHECK_ERR(sys_pwait2(e, KPTR, 1, &ts_zero, NULL, 8), EFAULT);
	/* And maxevents before both. */
	CHECK_ERR(sys_wait(e, KPTR, 0, 0), EINVAL);
	/* A blocking timeout does not matter: EINVAL at once. */
	double t0 = tl_now_ms();
	CHECK_ERR(sys_wait(e, ev, 1, -1), EINVAL);
	CHECK(tl_now_ms() - t0 < 1000);
	close_fds(e, p[0], p[1], dn);
}

static void case_null_events_nothing_ready(void)
{
	int ep = epoll_create1(0);
	int e = eventfd(0, EFD_NONBLOCK);
	struct kts ts20 = {0, 20 * 1000 * 1000};

	/* An entry that is not ready does not matter either. */
	CHECK_OK(add(ep, e, EPOLLIN, 1));
	CHECK_EQ(sys_wait(ep, NULL, 1, 0), 0);
	CHECK_EQ(sys_wait(ep, NULL, 64, 0), 0);
	CHECK_EQ(sys_wait(ep, (void *)8, 1, 0), 0);
	CHECK_EQ(sys_pwait(ep, NULL, 1, 0, NULL, 8), 0);
	CHECK_EQ(sys_pwait(ep, (void *)8, 1, 0, NULL, 8), 0);
	CHECK_EQ(sys_pwait2(ep, NULL, 1, &ts_zero, NULL, 8), 0);
	CHECK_EQ(sys_pwait2(ep, (void *)8, 1, &ts_zero, NULL, 8), 0);
	/* Also when it sleeps until the timeout. */
	CHECK_EQ(sys_wait(ep, NULL, 1, 20), 0);
	CHECK_EQ(sys_pwait2(ep, (void *)8, 1, &ts20, NULL, 8), 0);
	close_fds(e, ep);
}

static void *map_pages(int n)
{
	void *p = mmap(NULL, 4096 * n, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void case_bad_buffer_ready_lt(void)
{
	int ep = epoll_create1(0);
	int e = ready_efd();
	struct epoll_event ev[2];
	char *ro = map_pages(1);
	char *gone = map_pages(1);

	CHECK(ro != NULL && gone != NULL);
	CHECK_OK(mprotect(ro, 4096, PROT_READ));
	CHECK_OK(munmap(gone, 4096));
	CHECK_OK(add(ep, e, EPOLLIN, 0x1234));
	CHECK_ERR(sys_wait(ep, NULL, 1, 0), EFAULT);
	CHECK_ERR(sys_wait(ep, (void *)8, 1, 0), EFAULT);
	CHECK_ERR(sys_wait(ep, ro, 1, 0), EFAULT);
	CHECK_ERR(sys_wait(ep, gone, 1, 0), EFAULT);
	CHECK_ERR(sys_pwait(ep, NULL, 1, 0, NULL, 8), EFAULT);
	CHECK_ERR(sys_pwait2(ep, ro, 1, &ts_zero, NULL, 8), EFAULT);
	/* With a timeout too: the fault is returned, not slept on. */
	double t0 = tl_now_ms();
	CHECK_ERR(sys_wait(ep, NULL, 1, 3000), EFAULT);
	CHECK_ERR(sys_pwait2(ep, NULL, 1, NULL, NULL, 8), EFAULT);
	CHECK(tl_now_ms() - t0 < 1000);
	/* The read-only page was not modified. */
	CHECK_EQ(ro[0], 0);
	/* Still queued. */
	expect_in(ep, 0x1234);
	CHECK_EQ(sys_wait(ep, ev, 2, 0), 1); /* LT: again */
	munmap(ro, 4096);
	close_fds(e, ep);
}

static void case_bad_buffer_ready_et(void)
{
	int e;
	int ep = ep_with_eventfd(&e, 0, EFD_NONBLOCK, EPOLLIN | EPOLLET, 0xe7);
	struct epoll_event ev[2];
	uint64_t one = 1;

	CHECK_EQ(sys_wait(ep, ev, 2, 0), 0);
	CHECK_EQ(write(e, &one, 8), 8);
	CHECK_ERR(sys_wait(ep, NULL, 1, 0), EFAULT);
	CHECK_ERR(sys_wait(ep, (void *)8, 2, 0), EFAULT);
	CHECK_ERR(sys_pwait2(ep, (void *)8, 1, &ts_zero, NULL, 8), EFAULT);
	/* The edge was not consumed by the faults. */
	expect_in(ep, 0xe7);
	/* Now it is; with the edge consumed, a bad buffer is harmless
	 * again. */
	expect_drained(ep);
	close_fds(e, ep);
}

static void case_bad_buffer_ready_oneshot(void)
{
	int ep = epoll_create1(0);
	int e = ready_efd();

	CHECK_OK(add(ep, e, EPOLLIN | EPOLLONESHOT, 0x05));
	CHECK_ERR(sys_wait(ep, NULL, 1, 0), EFAULT);
	CHECK_ERR(sys_pwait(ep, (void *)8, 1, 0, NULL, 8), EFAULT);
	/* The entry is still armed and queued. */
	expect_in(ep, 0x05);
	/* Fired: nothing more, and a bad buffer finds nothing to copy. */
	expect_drained(ep);
	close_fds(e, ep);
}

/* The second record faults: the first is returned, the second stays. */
static void case_partial_fault(void)
{
	int ep = epoll_create1(0);
	int a = ready_efd(), b = ready_efd();
	char *pg = map_pages(2);
	struct epoll_event ev[4];
	struct epoll_event *buf;

	CHECK(pg != NULL);
	CHECK_OK(mprotect(pg + 4096, 4096, PROT_NONE));
	CHECK_OK(add(ep, a, EPOLLIN, 0xa));
	CHECK_OK(add(ep, b, EPOLLIN | EPOLLET, 0xb));
	buf = (struct epoll_event *)(pg + 4096 - sizeof(struct epoll_event));
	CHECK_EQ(sys_wait(ep, buf, 2, 0), 1);
	CHECK_EQ(buf->events, EPOLLIN);
	CHECK_EQ(buf->data.u64, 0xa);
	/* The ET entry b was not reported, so its edge is still there; it
	 * stays at the head, before the re-queued LT entry a. */
	memset(ev, 0, sizeof(ev));
	CHECK_EQ(sys_wait(ep, ev, 4, 0), 2);
	CHECK_EQ(ev[0].data.u64, 0xb);
	CHECK_EQ(ev[1].data.u64, 0xa);
	CHECK_EQ(sys_wait(ep, ev, 4, 0), 1);
	CHECK_EQ(ev[0].data.u64, 0xa);
	/* The first record straddles the boundary: EFAULT, nothing
	 * consumed. */
	int c = eventfd(0, EFD_NONBLOCK);
	uint64_t one = 1;
	CHECK_OK(add(ep, c, EPOLLIN | EPOLLONESHOT, 0xc));
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, a, NULL));
	CHECK_EQ(write(c, &one, 8), 8);
	CHECK_ERR(sys_wait(ep, pg + 4096 - 6, 2, 0), EFAULT);
	CHECK_EQ(sys_wait(ep, ev, 4, 0), 1);
	CHECK_EQ(ev[0].data.u64, 0xc);
	CHECK_EQ(sys_wait(ep, ev, 4, 0), 0);
	munmap(pg, 8192);
	close_fds(a, b, c, ep);
}

static void case_pwait2_timespec_invalid(void)
{
	int ep = epoll_create1(0);
	struct epoll_event ev[1];
	struct kts bad[] = {
	    {0, 1000000000LL}, {-1, 0},	       {0, -1},
	    {LLONG_MIN, 0},    {0, LLONG_MAX}, {5, 1000000000LL},
	    {-1, 999999999},
	};
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		double t0 = tl_now_ms();
		CHECK_ERR(sys_pwait2(ep, ev, 1, &bad[i], NULL, 8), EINVAL);
		CHECK(tl_now_ms() - t0 < 1000);
	}
	/* Valid edges. */
	struct kts ok1 = {0, 999999999};
	struct kts ok0 = {0, 0};
	int e = ready_efd();
	CHECK_EQ(sys_pwait2(ep, ev, 1, &ok0, NULL, 8), 0);
	CHECK_OK(add(ep, e, EPOLLIN, 9));
	CHECK_EQ(sys_pwait2(ep, ev, 1, &ok1, NULL, 8), 1);
	struct kts huge = {LLONG_MAX, 999999999};
	CHECK_EQ(sys_pwait2(ep, ev, 1, &huge, NULL, 8), 1);
	CHECK_EQ(ev[0].data.u64, 9);
	close_fds(e, ep);
}

static void case_pwait2_timespec_efault(void)
{
	int ep = epoll_create1(0);
	struct epoll_event ev[1];
	char *pg = map_pages(2);

	CHECK(pg != NULL);
	CHECK_OK(mprotect(pg + 4096, 4096, PROT_NONE));
	CHECK_ERR(sys_pwait2(ep, ev, 1, (void *)8, NULL, 8), EFAULT);
	CHECK_ERR(sys_pwait2(ep, ev, 1, KPTR, NULL, 8), EFAULT);
	CHECK_ERR(sys_pwait2(ep, ev, 1, (void *)0x7ffffffffff8UL, NULL, 8),
		  EFAULT);
	/* 16 bytes are read: a timespec straddling into PROT_NONE faults. */
	CHECK_ERR(sys_pwait2(ep, ev, 1, pg + 4096 - 8, NULL, 8), EFAULT);
	/* A read-only timespec is fine (it is never written). */
	struct kts *ts = (struct kts *)(pg + 4096 - 16);
	ts->tv_sec = 0;
	ts->tv_nsec = 0;
	CHECK_OK(mprotect(pg, 4096, PROT_READ));
	CHECK_EQ(sys_pwait2(ep, ev, 1, ts, NULL, 8), 0);
	/* Also when something is ready. */
	int e = ready_efd();
	CHECK_OK(add(ep, e, EPOLLIN, 1));
	CHECK_ERR(sys_pwait2(ep, ev, 1, (void *)8, NULL, 8), EFAULT);
	CHECK_EQ(sys_pwait2(ep, ev, 1, ts, NULL, 8), 1);
	munmap(pg, 8192);
	close_fds(e, ep);
}

static void case_pwait2_timespec_first(void)
{
	struct epoll_event ev[1];
	struct kts inval = {0, -1};
	uint64_t mask = 0;
	int e = eventfd(0, 0);

	/* Timespec errors beat EBADF ... */
	CHECK_ERR(sys_pwait2(-1, ev, 1, (void *)8, NULL, 8), EFAULT);
	CHECK_ERR(sys_pwait2(-1, ev, 1, &inval, NULL, 8), EINVAL);
	/* ... the maxevents and buffer checks ... */
	CHECK_ERR(sys_pwait2(-1, ev, 0, (void *)8, NULL, 8), EFAULT);
	CHECK_ERR(sys_pwait2(e, KPTR, 1, (void *)8, NULL, 8), EFAULT);
	CHECK_ERR(sys_pwait2(e, ev, 1, (void *)8, NULL, 8), EFAULT);
	CHECK_ERR(sys_pwait2(-1, KPTR, -1, KPTR, NULL, 8), EFAULT);
	/* ... and the sigmask checks. */
	CHECK_ERR(sys_pwait2(-1, ev, 1, (void *)8, &mask, 4), EFAULT);
	CHECK_ERR(sys_pwait2(-1, ev, 1, (void *)8, (void *)8, 8), EFAULT);
	CHECK_ERR(sys_pwait2(-1, ev, 1, &inval, (void *)8, 8), EINVAL);
	/* With a valid timespec the mask is next. */
	CHECK_ERR(sys_pwait2(-1, ev, 1, &ts_zero, &mask, 4), EINVAL);
	CHECK_ERR(sys_pwait2(-1, ev, 1, &ts_zero, (void *)8, 8), EFAULT);
	CHECK_ERR(sys_pwait2(-1, ev, 1, NULL, (void *)8, 8), EFAULT);
	close(e);
}

static void case_sigmask_null_ignores_size(void)
{
	int ep = epoll_create1(0);
	struct epoll_event ev[1];
	size_t sizes[] = {0, 4, 7, 9, 16, 128, 12345, (size_t)-1};
	unsigned i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		CHECK_EQ(sys_pwait(ep, ev, 1, 0, NULL, sizes[i]), 0);
		CHECK_EQ(sys_pwait2(ep, ev, 1, &ts_zero, NULL, sizes[i]), 0);
	}
	/* NULL mask with a bad size still fails on the fd check. */
	CHECK_ERR(sys_pwait(-1, ev, 1, 0, NULL, 4), EBADF);
	CHECK_ERR(sys_pwait2(-1, ev, 1, NULL, NULL, 12345), EBADF);
	close(ep);
}

static void case_sigsetsize_before_ebadf(void)
{
	struct epoll_event ev[1];
	uint64_t mask[4] = {0, 0, 0, 0};
	size_t sizes[] = {0, 4, 7, 9, 16, 128};
	int ep = epoll_create1(0);
	unsigned i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		CHECK_ERR(sys_pwait(-1, ev, 1, 0, mask, sizes[i]), EINVAL);
		CHECK_ERR(sys_pwait2(-1, ev, 1, &ts_zero, mask, sizes[i]),
			  EINVAL);
		/* ... and before maxevents and buffer checks. */
		CHECK_ERR(sys_pwait(ep, ev, 0, 0, mask, sizes[i]), EINVAL);
		CHECK_ERR(sys_pwait(ep, KPTR, 1, 0, mask, sizes[i]), EINVAL);
		/* The size is checked before the pointer is read. */
		CHECK_ERR(sys_pwait(-1, ev, 1, 0, (void *)8, sizes[i]), EINVAL);
		CHECK_ERR(sys_pwait2(ep, ev, 1, NULL, KPTR, sizes[i]), EINVAL);
	}
	/* Size 8 is accepted. */
	CHECK_EQ(sys_pwait(ep, ev, 1, 0, mask, 8), 0);
	CHECK_EQ(sys_pwait2(ep, ev, 1, &ts_zero, mask, 8), 0);
	close(ep);
}

static void case_sigmask_unreadable(void)
{
	struct epoll_event ev[1];
	int ep = epoll_create1(0);
	char *pg = map_pages(2);

	CHECK(pg != NULL);
	CHECK_OK(mprotect(pg + 4096, 4096, PROT_NONE));
	CHECK_ERR(sys_pwait(ep, ev, 1, 0, (void *)8, 8), EFAULT);
	CHECK_ERR(sys_pwait(ep, ev, 1, 0, KPTR, 8), EFAULT);
	CHECK_ERR(sys_pwait(ep, ev, 1, 0, pg + 4096 - 4, 8), EFAULT);
	CHECK_ERR(sys_pwait2(ep, ev, 1, &ts_zero, (void *)8, 8), EFAULT);
	/* Before EBADF and the other epoll_wait checks. */
	CHECK_ERR(sys_pwait(-1, ev, 1, 0, (void *)8, 8), EFAULT);
	CHECK_ERR(sys_pwait(ep, ev, 0, 0, (void *)8, 8), EFAULT);
	CHECK_ERR(sys_pwait2(-1, KPTR, 0, NULL, (void *)8, 8), EFAULT);
	/* A read-only mask is fine, and it is not written. */
	uint64_t *m = (uint64_t *)(pg + 4096 - 8);
	*m = 1ULL << (SIGUSR1 - 1);
	CHECK_OK(mprotect(pg, 4096, PROT_READ));
	CHECK_EQ(sys_pwait(ep, ev, 1, 0, m, 8), 0);
	CHECK_EQ(sys_pwait2(ep, ev, 1, &ts_zero, m, 8), 0);
	CHECK_EQ(*m, 1ULL << (SIGUSR1 - 1));
	munmap(pg, 8192);
	close(ep);
}

static void case_pwait2_no_writeback(void)
{
	int e;
	int ep = ep_with_eventfd(&e, 0, EFD_NONBLOCK, EPOLLIN, 3);
	struct epoll_event ev[1];
	struct kts ts = {0, 30 * 1000 * 1000};
	uint64_t one = 1;

	/* Timed out. */
	CHECK_EQ(sys_pwait2(ep, ev, 1, &ts, NULL, 8), 0);
	CHECK_EQ(ts.tv_sec, 0);
	CHECK_EQ(ts.tv_nsec, 30 * 1000 * 1000);
	/* Returned early with an event. */
	CHECK_EQ(write(e, &one, 8), 8);
	ts.tv_sec = 100;
	ts.tv_nsec = 123456789;
	CHECK_EQ(sys_pwait2(ep, ev, 1, &ts, NULL, 8), 1);
	CHECK_EQ(ts.tv_sec, 100);
	CHECK_EQ(ts.tv_nsec, 123456789);
	/* Failed with an error. */
	CHECK_ERR(sys_pwait2(e, ev, 1, &ts, NULL, 8), EINVAL);
	CHECK_EQ(ts.tv_sec, 100);
	CHECK_EQ(ts.tv_nsec, 123456789);
	close_fds(e, ep);
}

static int all_canary(const unsigned char *p, size_t from, size_t to)
{
	size_t i;
	for (i = from; i < to; i++)
		if (p[i] != 0xA5)
			return 0;
	return 1;
}

static void case_only_n_records_written(void)
{
	int ep = epoll_create1(0);
	int a = ready_efd(), b = ready_efd(), c = eventfd(0, EFD_NONBLOCK);
	unsigned char buf[12 * 8 + 32];
	struct epoll_event *ev = (struct epoll_event *)buf;
	uint64_t mask = 0;

	CHECK_EQ(sizeof(struct epoll_event), 12);
	CHECK_OK(add(ep, a, EPOLLIN, 0x1111111111111111ULL));
	CHECK_OK(add(ep, b, EPOLLIN | EPOLLOUT, 0x2222222222222222ULL));
	CHECK_OK(add(ep, c, EPOLLIN, 0x3333));

	memset(buf, 0xA5, sizeof(buf));
	CHECK_EQ(sys_wait(ep, buf, 8, 0), 2);
	CHECK(all_canary(buf, 24, sizeof(buf)));
	CHECK_EQ(ev[0].events, EPOLLIN);
	CHECK_EQ(ev[0].data.u64, 0x1111111111111111ULL);
	CHECK_EQ(ev[1].events, EPOLLIN | EPOLLOUT);
	CHECK_EQ(ev[1].data.u64, 0x2222222222222222ULL);

	memset(buf, 0xA5, sizeof(buf));
	CHECK_EQ(sys_pwait(ep, buf, 1, 0, &mask, 8), 1);
	CHECK(all_canary(buf, 12, sizeof(buf)));

	memset(buf, 0xA5, sizeof(buf));
	CHECK_EQ(sys_pwait2(ep, buf, 8, &ts_zero, &mask, 8), 2);
	CHECK(all_canary(buf, 24, sizeof(buf)));

	/* Nothing ready: nothing written at all. */
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, a, NULL));
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, b, NULL));
	memset(buf, 0xA5, sizeof(buf));
	CHECK_EQ(sys_wait(ep, buf, 8, 0), 0);
	CHECK_EQ(sys_wait(ep, buf, 8, 10), 0);
	CHECK(all_canary(buf, 0, sizeof(buf)));
	/* Errors write nothing. */
	CHECK_ERR(sys_wait(a, buf, 8, 0), EINVAL);
	CHECK_ERR(sys_wait(ep, buf, 0, 0), EINVAL);
	CHECK(all_canary(buf, 0, sizeof(buf)));
	close_fds(a, b, c, ep);
}

int main(void)
{
	RUN(case_ebadf_before_maxevents);
	RUN(case_opath_epfd_is_ebadf);
	RUN(case_maxevents_invalid);
	RUN(case_maxevents_max_accepted);
	RUN(case_buffer_range_limit);
	RUN(case_non_epoll_fd);
	RUN(case_null_events_nothing_ready);
	RUN(case_bad_buffer_ready_lt);
	RUN(case_bad_buffer_ready_et);
	RUN(case_bad_buffer_ready_oneshot);
	RUN(case_partial_fault);
	RUN(case_pwait2_timespec_invalid);
	RUN(case_pwait2_timespec_efault);
	RUN(case_pwait2_timespec_first);
	RUN(case_sigmask_null_ignores_size);
	RUN(case_sigsetsize_before_ebadf);
	RUN(case_sigmask_unreadable);
	RUN(case_pwait2_no_writeback);
	RUN(case_only_n_records_written);
	return tl_done();
}
