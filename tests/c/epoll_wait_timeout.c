/* epoll_wait_timeout.c: timeout handling of epoll_wait / epoll_pwait /
 * epoll_pwait2 (linux-semantics.md 1.3, 5.2).
 *
 * - 0 never blocks; positive values never return early; any negative
 *   value (and a NULL timespec) waits forever; huge values saturate.
 * - A harvest that finds only stale entries returns nothing and the
 *   wait goes on with the same deadline.
 */
#include "testlib.h"
#include "testutil.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>

/* Never-early check, with a little room for double rounding. */
#define NOT_EARLY(el, ms) CHECK((el) >= (ms)-0.01)
/* Generous upper bound for a loaded 2-core machine. */
#define NOT_LATE(el, ms) CHECK((el) < (ms) + 1000)

static void drain(int e)
{
	uint64_t v;
	while (read(e, &v, 8) == 8)
		;
}

static void case_timeout_zero_immediate(void)
{
	int e;
	int ep = ep_with_eventfd(&e, 0, EFD_NONBLOCK, EPOLLIN, 1);
	struct epoll_event ev[2];
	struct kts z = {0, 0};
	uint64_t mask = 0;
	double t0;
	int i;

	t0 = tl_now_ms();
	for (i = 0; i < 20; i++) {
		CHECK_EQ(epoll_wait(ep, ev, 2, 0), 0);
		CHECK_EQ(epoll_pwait(ep, ev, 2, 0, NULL), 0);
		CHECK_EQ(syscall(SYS_epoll_pwait, ep, ev, 2, 0, &mask, 8), 0);
		CHECK_EQ(sys_pwait2(ep, ev, 2, &z, NULL, 8), 0);
	}
	CHECK(tl_now_ms() - t0 < 500);
	close_fds(e, ep);
}

static void case_timeout_1ms(void)
{
	int ep = epoll_create1(0);
	struct epoll_event ev[1];
	struct kts ts = {0, 1};
	double t0, el;

	t0 = tl_now_ms();
	CHECK_EQ(epoll_wait(ep, ev, 1, 1), 0);
	el = tl_now_ms() - t0;
	NOT_EARLY(el, 1);
	NOT_LATE(el, 1);
	/* 1 ns is not "no timeout": it still returns 0, and promptly. */
	t0 = tl_now_ms();
	CHECK_EQ(sys_pwait2(ep, ev, 1, &ts, NULL, 8), 0);
	el = tl_now_ms() - t0;
	NOT_LATE(el, 0);
	close(ep);
}

static void case_timeout_50ms_not_early(void)
{
	int ep = epoll_create1(0);
	struct epoll_event ev[1];
	double t0, el;
	int i;

	for (i = 0; i < 3; i++) {
		t0 = tl_now_ms();
		CHECK_EQ(epoll_wait(ep, ev, 1, 50), 0);
		el = tl_now_ms() - t0;
		NOT_EARLY(el, 50);
		NOT_LATE(el, 50);
	}
	close(ep);
}

static void case_timeout_200ms_pwait(void)
{
	int ep = epoll_create1(0);
	struct epoll_event ev[1];
	sigset_t none;
	double t0, el;

	sigemptyset(&none);
	t0 = tl_now_ms();
	CHECK_EQ(epoll_pwait(ep, ev, 1, 200, &none), 0);
	el = tl_now_ms() - t0;
	NOT_EARLY(el, 200);
	NOT_LATE(el, 200);
	t0 = tl_now_ms();
	CHECK_EQ(epoll_pwait(ep, ev, 1, 200, NULL), 0);
	el = tl_now_ms() - t0;
	NOT_EARLY(el, 200);
	NOT_LATE(el, 200);
	close(ep);
}

static void case_timeout_200ms_pwait2(void)
{
	int ep = epoll_create1(0);
	struct epoll_event ev[1];
	struct kts ts = {0, 200 * 1000 * 1000};
	uint64_t mask = 0;
	double t0, el;

	t0 = tl_now_ms();
	CHECK_EQ(sys_pwait2(ep, ev, 1, &ts, &mask, 8), 0);
	el = tl_now_ms() - t0;
	NOT_EARLY(el, 200);
	NOT_LATE(el, 200);
	close(ep);
}

static void case_pwait2_30ms(void)
{
	int ep = epoll_create1(0);
	struct epoll_event ev[1];
	struct kts ts = {0, 30 * 1000 * 1000};
	double t0, el;
	int i;

	for (i = 0; i < 3; i++) {
		t0 = tl_now_ms();
		CHECK_EQ(sys_pwait2(ep, ev, 1, &ts, NULL, 0), 0);
		el = tl_now_ms() - t0;
		NOT_EARLY(el, 30);
		NOT_LATE(el, 30);
	}
	close(ep);
}

static void case_pwait2_sec_and_nsec(void)
{
	int ep = epoll_create1(0);
	struct epoll_event ev[1];
	struct kts ts = {1, 50 * 1000 * 1000};
	double t0, el;

	t0 = tl_now_ms();
	CHECK_EQ(sys_pwait2(ep, ev, 1, &ts, NULL, 8), 0);
	el = tl_now_ms() - t0;
	NOT_EARLY(el, 1050);
	NOT_LATE(el, 1050);
	close(ep);
}

static void wait_forever_ms(int timeout)
{
	int e;
	int ep = ep_with_eventfd(&e, 0, EFD_NONBLOCK, EPOLLIN, 0xf0f0);
	struct epoll_event ev[2];
	struct op w;
	double t0, el;

	t0 = tl_now_ms();
	op_start(&w, e, OP_WRITE | OP_MUST, 1, 200);
	memset(ev, 0, sizeof(ev));
	CHECK_EQ(epoll_wait(ep, ev, 2, timeout), 1);
	el = tl_now_ms() - t0;
	CHECK_EQ(ev[0].events, EPOLLIN);
	CHECK_EQ(ev[0].data.u64, 0xf0f0);
	NOT_EARLY(el, 200);
	NOT_LATE(el, 200);
	op_join(&w);
	close_fds(e, ep);
}

static void case_negative_timeouts_wait_forever(void)
{
	wait_forever_ms(-1);
	wait_forever_ms(-2);
	wait_forever_ms(-1000);
	wait_forever_ms(INT_MIN);
}

static void case_pwait_negative_forever(void)
{
	int ep = epoll_create1(0);
	int e = eventfd(0, EFD_NONBLOCK);
	struct epoll_event ev[2];
	struct op w;
	sigset_t none;
	double t0, el;

	sigemptyset(&none);
	CHECK_OK(add(ep, e, EPOLLIN, 7));
	t0 = tl_now_ms();
	op_start(&w, e, OP_WRITE | OP_MUST, 1, 200);
	CHECK_EQ(epoll_pwait(ep, ev, 2, -7, &none), 1);
	el = tl_now_ms() - t0;
	CHECK_EQ(ev[0].data.u64, 7);
	NOT_EARLY(el, 200);
	NOT_LATE(el, 200);
	op_join(&w);
	close_fds(e, ep);
}

static void case_pwait2_null_forever(void)
{
	int e;
	int ep = ep_with_eventfd(&e, 0, EFD_NONBLOCK, EPOLLIN, 8);
	struct epoll_event ev[2];
	struct op w;
	uint64_t mask = 0;
	double t0, el;

	t0 = tl_now_ms();
	op_start(&w, e, OP_WRITE | OP_MUST, 1, 200);
	CHECK_EQ(sys_pwait2(ep, ev, 2, NULL, NULL, 0), 1);
	el = tl_now_ms() - t0;
	CHECK_EQ(ev[0].data.u64, 8);
	NOT_EARLY(el, 200);
	NOT_LATE(el, 200);
	op_join(&w);
	drain(e);

	t0 = tl_now_ms();
	op_start(&w, e, OP_WRITE | OP_MUST, 1, 200);
	CHECK_EQ(sys_pwait2(ep, ev, 2, NULL, &mask, 8), 1);
	el = tl_now_ms() - t0;
	NOT_EARLY(el, 200);
	NOT_LATE(el, 200);
	op_join(&w);
	close_fds(e, ep);
}

static void case_huge_timeouts(void)
{
	int ep = epoll_create1(0);
	int e = eventfd(0, EFD_NONBLOCK);
	struct epoll_event ev[2];
	struct op w;
	struct kts huge[] = {
	    {LLONG_MAX, 999999999},
	    {LLONG_MAX / 1000, 0},
	    {1LL << 40, 5},
	    {INT_MAX, 0},
	};
	double t0, el;
	unsigned i;

	CHECK_OK(add(ep, e, EPOLLIN, 9));
	t0 = tl_now_ms();
	op_start(&w, e, OP_WRITE | OP_MUST, 1, 100);
	CHECK_EQ(epoll_wait(ep, ev, 2, INT_MAX), 1);
	el = tl_now_ms() - t0;
	NOT_EARLY(el, 100);
	NOT_LATE(el, 100);
	op_join(&w);
	drain(e);

	t0 = tl_now_ms();
	op_start(&w, e, OP_WRITE | OP_MUST, 1, 100);
	CHECK_EQ(epoll_pwait(ep, ev, 2, INT_MAX - 1, NULL), 1);
	el = tl_now_ms() - t0;
	NOT_EARLY(el, 100);
	NOT_LATE(el, 100);
	op_join(&w);
	drain(e);

	for (i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		t0 = tl_now_ms();
		op_start(&w, e, OP_WRITE | OP_MUST, 1, 100);
		CHECK_EQ(sys_pwait2(ep, ev, 2, &huge[i], NULL, 8), 1);
		el = tl_now_ms() - t0;
		CHECK_EQ(ev[0].data.u64, 9);
		NOT_EARLY(el, 100);
		NOT_LATE(el, 100);
		op_join(&w);
		drain(e);
	}
	close_fds(e, ep);
}

static void case_event_ends_wait_early(void)
{
	int e;
	int ep = ep_with_eventfd(&e, 0, EFD_NONBLOCK, EPOLLIN, 10);
	struct epoll_event ev[2];
	struct op w;
	struct kts ts = {8, 0};
	double t0, el;

	t0 = tl_now_ms();
	op_start(&w, e, OP_WRITE | OP_MUST, 1, 100);
	CHECK_EQ(epoll_wait(ep, ev, 2, 8000), 1);
	el = tl_now_ms() - t0;
	NOT_EARLY(el, 100);
	NOT_LATE(el, 100);
	op_join(&w);
	drain(e);

	t0 = tl_now_ms();
	op_start(&w, e, OP_WRITE | OP_MUST, 1, 100);
	CHECK_EQ(sys_pwait2(ep, ev, 2, &ts, NULL, 8), 1);
	el = tl_now_ms() - t0;
	NOT_EARLY(el, 100);
	NOT_LATE(el, 100);
	op_join(&w);
	close_fds(e, ep);
}

static void case_empty_instance_sleeps_whole_timeout(void)
{
	int ep = epoll_create1(0);
	int p[2];
	int e = eventfd(0, EFD_NONBLOCK);
	struct epoll_event ev[4];
	double t0, el;

	t0 = tl_now_ms();
	CHECK_EQ(epoll_wait(ep, ev, 4, 150), 0);
	el = tl_now_ms() - t0;
	NOT_EARLY(el, 150);
	NOT_LATE(el, 150);

	/* Entries that are not ready (or watch nothing that happens) do not
	 * shorten it either. */
	CHECK_OK(pipe(p));
	CHECK_OK(add(ep, p[0], EPOLLIN, 1));
	CHECK_OK(add(ep, p[1], EPOLLIN, 2)); /* a write end never reads */
	CHECK_OK(add(ep, e, 0, 3));	     /* ERR|HUP only */
	t0 = tl_now_ms();
	CHECK_EQ(epoll_wait(ep, ev, 4, 150), 0);
	el = tl_now_ms() - t0;
	NOT_EARLY(el, 150);
	NOT_LATE(el, 150);
	close_fds(p[0], p[1], e, ep);
}

/* An entry is queued by an IN wakeup and then drained before epoll_wait
 * runs: the entry is still on the ready list (the read's OUT wakeup does
 * not match), the harvest finds it stale, and the wait continues until the
 * deadline. */
static void stale_then_wait(uint32_t flags, int use_pwait2)
{
	int e;
	int ep = ep_with_eventfd(&e, 0, EFD_NONBLOCK, EPOLLIN | flags, 11);
	struct epoll_event ev[2];
	struct kts ts = {0, 150 * 1000 * 1000};
	uint64_t one = 1, v;
	double t0, el;

	CHECK_EQ(write(e, &one, 8), 8);
	CHECK_EQ(read(e, &v, 8), 8);
	t0 = tl_now_ms();
	if (use_pwait2)
		CHECK_EQ(sys_pwait2(ep, ev, 2, &ts, NULL, 8), 0);
	else
		CHECK_EQ(epoll_wait(ep, ev, 2, 150), 0);
	el = tl_now_ms() - t0;
	NOT_EARLY(el, 150);
	NOT_LATE(el, 150);
	/* And the entry works normally afterwards. */
	CHECK_EQ(write(e, &one, 8), 8);
	CHECK_EQ(epoll_wait(ep, ev, 2, 0), 1);
	CHECK_EQ(ev[0].data.u64, 11);
	close_fds(e, ep);
}

static void case_stale_entry_keeps_waiting(void)
{
	stale_then_wait(0, 0);
	stale_then_wait(EPOLLET, 0);
	stale_then_wait(0, 1);
	stale_then_wait(EPOLLONESHOT, 1);
}

static void case_stale_entry_then_real_event(void)
{
	int e;
	int ep = ep_with_eventfd(&e, 0, EFD_NONBLOCK, EPOLLIN, 12);
	struct epoll_event ev[2];
	struct op w;
	uint64_t one = 1, v;
	double t0, el;

	CHECK_EQ(write(e, &one, 8), 8);
	CHECK_EQ(read(e, &v, 8), 8);
	t0 = tl_now_ms();
	op_start(&w, e, OP_WRITE | OP_MUST, 1, 200);
	CHECK_EQ(epoll_wait(ep, ev, 2, 8000), 1);
	el = tl_now_ms() - t0;
	CHECK_EQ(ev[0].events, EPOLLIN);
	CHECK_EQ(ev[0].data.u64, 12);
	NOT_EARLY(el, 200);
	NOT_LATE(el, 200);
	op_join(&w);
	close_fds(e, ep);
}

/* Writing 0 to an eventfd wakes its waiters with an IN key although it
 * does not become readable: each such wakeup queues the entry, the
 * harvest finds it stale, and the wait goes on with the SAME deadline
 * (it is not restarted by the spurious wakeups). */
static atomic_int spurious_stop;

static void *spurious_fn(void *arg)
{
	int e = *(int *)arg;
	uint64_t zero = 0;
	double t0 = tl_now_ms();

	while (!atomic_load(&spurious_stop) && tl_now_ms() - t0 < 4000) {
		if (write(e, &zero, 8) != 8)
			abort();
		sleep_ms(10);
	}
	return NULL;
}

static void case_spurious_wakeups_keep_deadline(void)
{
	int e;
	int ep = ep_with_eventfd(&e, 0, EFD_NONBLOCK, EPOLLIN, 13);
	struct epoll_event ev[2];
	struct kts ts = {0, 300 * 1000 * 1000};
	pthread_t th;
	double t0, el;

	atomic_store(&spurious_stop, 0);
	CHECK_EQ(pthread_create(&th, NULL, spurious_fn, &e), 0);
	sleep_ms(30);
	t0 = tl_now_ms();
	CHECK_EQ(epoll_wait(ep, ev, 2, 300), 0);
	el = tl_now_ms() - t0;
	NOT_EARLY(el, 300);
	CHECK(el < 2000);
	t0 = tl_now_ms();
	CHECK_EQ(sys_pwait2(ep, ev, 2, &ts, NULL, 8), 0);
	el = tl_now_ms() - t0;
	NOT_EARLY(el, 300);
	CHECK(el < 2000);
	atomic_store(&spurious_stop, 1);
	pthread_join(th, NULL);
	close_fds(e, ep);
}

int main(void)
{
	RUN(case_timeout_zero_immediate);
	RUN(case_timeout_1ms);
	RUN(case_timeout_50ms_not_early);
	RUN(case_timeout_200ms_pwait);
	RUN(case_timeout_200ms_pwait2);
	RUN(case_pwait2_30ms);
	RUN(case_pwait2_sec_and_nsec);
	RUN(case_negative_timeouts_wait_forever);
	RUN(case_pwait_negative_forever);
	RUN(case_pwait2_null_forever);
	RUN(case_huge_timeouts);
	RUN(case_event_ends_wait_early);
	RUN(case_empty_instance_sleeps_whole_timeout);
	RUN(case_stale_entry_keeps_waiting);
	RUN(case_stale_entry_then_real_event);
	RUN(case_spurious_wakeups_keep_deadline);
	return tl_done();
}
