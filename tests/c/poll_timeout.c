/* poll_timeout.c: timeouts of poll(2) and ppoll(2): the millisecond and
 * timespec forms, ppoll's argument checks and their order, and ppoll's
 * write-back of the remaining time (poll_select_finish). Blocking calls
 * woken from another thread, also with a large mixed fd set.
 *
 * See docs: linux-semantics.md sections 1.2, 1.3, 1.4 and 7.
 */
#include "testlib.h"
#include "testutil.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

static void zero_timeout_immediate(void)
{
	int p[2];
	CHECK_OK(pipe2(p, O_CLOEXEC));
	struct pollfd a = {.fd = p[0], .events = POLLIN};
	double t0 = tl_now_ms();
	for (int i = 0; i < 20; i++)
		CHECK_EQ(poll(&a, 1, 0), 0);
	CHECK(tl_now_ms() - t0 < 1000);
	close_fds(p[0], p[1]);
}

static void timeouts_never_early(void)
{
	int p[2];
	const int ms[] = {1, 50, 200};

	CHECK_OK(pipe2(p, O_CLOEXEC));
	for (int i = 0; i < 3; i++) {
		struct pollfd a = {
		    .fd = p[0], .events = POLLIN, .revents = 0x7fff};
		double t0 = tl_now_ms();
		CHECK_EQ(poll(&a, 1, ms[i]), 0);
		double el = tl_now_ms() - t0;
		CHECK(el >= ms[i] - 0.5);
		CHECK(el < ms[i] + 1500);
		CHECK_EQ(a.revents, 0);
	}
	/* Same for a call with no fds at all, and for ppoll. */
	double t0 = tl_now_ms();
	CHECK_EQ(poll(NULL, 0, 50), 0);
	CHECK(tl_now_ms() - t0 >= 49.5);
	struct kts ts = {0, 50 * 1000000LL};
	struct pollfd a = {.fd = p[0], .events = POLLIN};
	t0 = tl_now_ms();
	CHECK_EQ(raw_ppoll(&a, 1, &ts, NULL, 0), 0);
	double el = tl_now_ms() - t0;
	CHECK(el >= 49.5);
	CHECK(el < 1550);
	close_fds(p[0], p[1]);
}

static void negative_timeout_waits_forever(void)
{
	const int tmo[] = {-1, -1000, INT_MIN};

	for (int i = 0; i < 3; i++) {
		int p[2];
		struct guard w;

		guarded_pipe(p, &w, 150);
		struct pollfd a = {.fd = p[0], .events = POLLIN};
		double t0 = tl_now_ms();
		CHECK_EQ(poll(&a, 1, tmo[i]), 1);
		double el = tl_now_ms() - t0;
		CHECK_EQ(a.revents, POLLIN);
		CHECK(el >= 100);
		CHECK(el < 3000);
		guard_stop(&w);
		close_fds(p[0], p[1]);
	}
}

static void timeout_is_an_int(void)
{
	/* The kernel takes the timeout as an int: the upper half of the
	 * register is ignored. 0x100000000 is 0 ms, 0xffffffff00000032 is
	 * 50 ms. A guard thread ends a wrong, endless wait after 3 s. */
	int p[2];
	struct guard w;

	guarded_pipe(p, &w, 3000);
	struct pollfd a = {.fd = p[0], .events = POLLIN};
	double t0 = tl_now_ms();
	CHECK_EQ(raw_poll(&a, 1, 0x100000000L), 0);
	CHECK(tl_now_ms() - t0 < 1000);
	t0 = tl_now_ms();
	CHECK_EQ(raw_poll(&a, 1, (long)0xffffffff00000032UL), 0);
	double el = tl_now_ms() - t0;
	CHECK(el >= 49.5);
	CHECK(el < 2000);
	guard_stop(&w);
	close_fds(p[0], p[1]);
}

static void large_timeout_ready_at_once(void)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	struct pollfd a = {.fd = efd, .events = POLLOUT};
	double t0 = tl_now_ms();

	CHECK_EQ(poll(&a, 1, INT_MAX), 1);
	struct kts ts = {LLONG_MAX, 999999999};
	CHECK_EQ(raw_ppoll(&a, 1, &ts, NULL, 0), 1);
	CHECK(tl_now_ms() - t0 < 1000);
	/* The deadline saturates; the remaining time written back is
	 * still enormous and a valid timespec. */
	CHECK(ts.tv_sec > LLONG_MAX / 2);
	CHECK(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);
	close(efd);
}

static void ppoll_timespec_einval(void)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	struct pollfd a = {.fd = efd, .events = POLLOUT};
	const struct kts bad[] = {
	    {0, 1000000000}, {-1, 0},	      {0, -1},	       {LLONG_MIN, 0},
	    {0, LLONG_MAX},  {-1, 999999999}, {1, 1000000000},
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kts ts = bad[i];
		CHECK_ERR(raw_ppoll(&a, 1, &ts, NULL, 0), EINVAL);
		/* Not written back on this error. */
		CHECK_EQ(ts.tv_sec, bad[i].tv_sec);
		CHECK_EQ(ts.tv_nsec, bad[i].tv_nsec);
	}
	/* The largest valid nanoseconds value is fine. */
	struct kts ok = {0, 999999999};
	CHECK_EQ(raw_ppoll(&a, 1, &ok, NULL, 0), 1);
	close(efd);
}

static void ppoll_timespec_efault(void)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	struct pollfd a = {.fd = efd, .events = POLLOUT};

	CHECK_ERR(raw_ppoll(&a, 1, (void *)8, NULL, 0), EFAULT);
	CHECK_ERR(raw_ppoll(&a, 1, (void *)-16L, NULL, 0), EFAULT);
	/* Straddling into an unmapped page. */
	char *end = mem_edge(0);
	if (end) {
		CHECK_ERR(raw_ppoll(&a, 1, end - 8, NULL, 0), EFAULT);
		mem_edge_free(end, 0);
	}
	close(efd);
}

static void ppoll_sigmask_size(void)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	struct pollfd a = {.fd = efd, .events = POLLOUT};
	uint64_t mask = 0;
	struct kts z = {0, 0};

	/* NULL mask: the size is not looked at. */
	CHECK_EQ(raw_ppoll(&a, 1, &z, NULL, 4), 1);
	CHECK_EQ(raw_ppoll(&a, 1, &z, NULL, 12345), 1);
	CHECK_EQ(raw_ppoll(&a, 1, NULL, NULL, (unsigned long)-1), 1);
	/* Non-NULL mask: exactly 8 bytes. */
	CHECK_EQ(raw_ppoll(&a, 1, &z, &mask, 8), 1);
	CHECK_ERR(raw_ppoll(&a, 1, &z, &mask, 4), EINVAL);
	CHECK_ERR(raw_ppoll(&a, 1, &z, &mask, 16), EINVAL);
	CHECK_ERR(raw_ppoll(&a, 1, &z, &mask, 0), EINVAL);
	CHECK_ERR(raw_ppoll(&a, 1, &z, (void *)8, 8), EFAULT);
	/* The size is checked before the mask is read. */
	CHECK_ERR(raw_ppoll(&a, 1, &z, (void *)8, 4), EINVAL);
	close(efd);
}

static void ppoll_check_order(void)
{
	struct rlimit rl;
	uint64_t mask = 0;
	struct kts neg = {-1, 0};
	struct kts z = {0, 0};

	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	unsigned long toomany = rl.rlim_cur + 1;
	if (rl.rlim_cur >= 0xffffffffUL)
		toomany = 1; /* cannot exceed: use a bad array instead */

	/* timespec copy beats the nfds check and the mask size check. */
	CHECK_ERR(raw_ppoll(NULL, toomany, (void *)8, NULL, 0), EFAULT);
	CHECK_ERR(raw_ppoll(NULL, 1, (void *)8, &mask, 4), EFAULT);
	/* timespec value beats the mask read and the fds copy. */
	CHECK_ERR(raw_ppoll(NULL, 1, &neg, (void *)8, 8), EINVAL);
	CHECK_ERR(raw_ppoll((void *)8, 1, &neg, NULL, 0), EINVAL);
	/* The mask beats the nfds check and the fds copy. */
	CHECK_ERR(raw_ppoll(NULL, toomany, &z, (void *)8, 8), EFAULT);
	CHECK_ERR(raw_ppoll((void *)8, 1, &z, &mask, 4), EINVAL);
	CHECK_ERR(raw_ppoll((void *)8, 1, NULL, &mask, 7), EINVAL);
	/* nfds beats the fds copy. */
	if (rl.rlim_cur < 0xffffffffUL)
		CHECK_ERR(raw_ppoll((void *)8, toomany, &z, &mask, 8), EINVAL);
	CHECK_ERR(raw_ppoll((void *)8, 1, &z, &mask, 8), EFAULT);
	/* Both EINVAL, told apart by the write-back: the mask size check
	 * returns before the timeout is written, the nfds check after. */
	if (rl.rlim_cur < 0xffffffffUL) {
		struct kts ts = {5, 0};
		CHECK_ERR(raw_ppoll(NULL, toomany, &ts, &mask, 4), EINVAL);
		CHECK_EQ(ts.tv_sec, 5);
		CHECK_EQ(ts.tv_nsec, 0);
		CHECK_ERR(raw_ppoll(NULL, toomany, &ts, &mask, 8), EINVAL);
		CHECK(ts.tv_sec == 4 && ts.tv_nsec > 0);
	}
}

static void ppoll_null_timeout_forever(void)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	struct guard w;
	struct pollfd a = {.fd = efd, .events = POLLIN};

	guard_start(&w, efd, 200, 1);
	double t0 = tl_now_ms();
	CHECK_EQ(raw_ppoll(&a, 1, NULL, NULL, 0), 1);
	double el = tl_now_ms() - t0;
	CHECK_EQ(a.revents, POLLIN);
	CHECK(el >= 150);
	CHECK(el < 3000);
	guard_stop(&w);
	/* Through glibc as well. */
	uint64_t v;
	CHECK_EQ(read(efd, &v, 8), 8);
	guard_start(&w, efd, 100, 1);
	CHECK_EQ(ppoll(&a, 1, NULL, NULL), 1);
	guard_stop(&w);
	close(efd);
}

static void ppoll_writeback_ready_at_once(void)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	struct pollfd a = {.fd = efd, .events = POLLOUT};
	struct kts ts = {5, 0};

	CHECK_EQ(raw_ppoll(&a, 1, &ts, NULL, 0), 1);
	CHECK(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);
	CHECK(kts_ms(&ts) < 5000.0);
	CHECK(kts_ms(&ts) > 4500.0);
	CHECK(!(ts.tv_sec == 5 && ts.tv_nsec == 0));
	close(efd);
}

static void ppoll_writeback_partial_wait(void)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	struct pollfd a = {.fd = efd, .events = POLLIN};
	struct kts ts = {2, 0};
	struct guard w;

	guard_start(&w, efd, 200, 1);
	double t0 = tl_now_ms();
	CHECK_EQ(raw_ppoll(&a, 1, &ts, NULL, 0), 1);
	double el = tl_now_ms() - t0;
	guard_stop(&w);
	CHECK(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);
	double rem = kts_ms(&ts);
	CHECK(rem < 1900.0);
	CHECK(rem > 0.0);
	/* remaining + elapsed is the original timeout. */
	CHECK(rem + el > 1950.0 && rem + el < 2300.0);
	close(efd);
}

static void ppoll_writeback_expired(void)
{
	int p[2];
	CHECK_OK(pipe2(p, O_CLOEXEC));
	struct pollfd a = {.fd = p[0], .events = POLLIN};
	struct kts ts = {0, 50 * 1000000LL};
	double t0 = tl_now_ms();

	CHECK_EQ(raw_ppoll(&a, 1, &ts, NULL, 0), 0);
	CHECK(tl_now_ms() - t0 >= 49.5);
	CHECK_EQ(ts.tv_sec, 0);
	CHECK_EQ(ts.tv_nsec, 0);
	/* nfds 0: still a timed sleep with write-back. */
	ts.tv_sec = 0;
	ts.tv_nsec = 30 * 1000000LL;
	CHECK_EQ(raw_ppoll(NULL, 0, &ts, NULL, 0), 0);
	CHECK_EQ(ts.tv_sec, 0);
	CHECK_EQ(ts.tv_nsec, 0);
	close_fds(p[0], p[1]);
}

static void ppoll_zero_timeout_not_blocking(void)
{
	int p[2];
	CHECK_OK(pipe2(p, O_CLOEXEC));
	struct pollfd a = {.fd = p[0], .events = POLLIN};
	struct kts ts = {0, 0};
	double t0 = tl_now_ms();

	CHECK_EQ(raw_ppoll(&a, 1, &ts, NULL, 0), 0);
	CHECK(tl_now_ms() - t0 < 1000);
	CHECK_EQ(ts.tv_sec, 0);
	CHECK_EQ(ts.tv_nsec, 0);
	/* A zero timeout in read-only memory: nothing is written, and the
	 * call returns normally. */
	struct kts *ro = ro_copy(&(struct kts){0, 0}, sizeof(*ro));
	if (ro) {
		CHECK_EQ(raw_ppoll(&a, 1, ro, NULL, 0), 0);
		a.fd = p[1];
		a.events = POLLOUT;
		CHECK_EQ(raw_ppoll(&a, 1, ro, NULL, 0), 1);
		munmap(ro, 4096);
	}
	close_fds(p[0], p[1]);
}

static void ppoll_writeback_fault_ignored(void)
{
	int p[2];
	CHECK_OK(pipe2(p, O_CLOEXEC));
	struct kts *ro = ro_copy(&(struct kts){0, 60 * 1000000LL}, sizeof(*ro));
	if (!ro)
		return;

	/* Timed out: 0, although writing {0,0} back faults. */
	struct pollfd a = {.fd = p[0], .events = POLLIN};
	double t0 = tl_now_ms();
	CHECK_EQ(raw_ppoll(&a, 1, ro, NULL, 0), 0);
	double el = tl_now_ms() - t0;
	CHECK(el >= 59.5);
	CHECK(el < 2000);
	/* Ready at once: 1. */
	a.fd = p[1];
	a.events = POLLOUT;
	CHECK_EQ(raw_ppoll(&a, 1, ro, NULL, 0), 1);
	CHECK_EQ(a.revents, POLLOUT);
	CHECK_EQ(ro->tv_sec, 0);
	CHECK_EQ(ro->tv_nsec, 60 * 1000000LL);
	munmap(ro, 4096);
	close_fds(p[0], p[1]);
}

static void ppoll_writeback_after_late_errors(void)
{
	/* The remaining time is written back on every return after the
	 * timeout was set up, errors from the nfds check and the fds copy
	 * included; not for errors found before (bad timespec, bad mask). */
	struct rlimit rl;
	struct kts ts;
	uint64_t mask = 0;

	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_cur < 0xffffffffUL) {
		ts.tv_sec = 5;
		ts.tv_nsec = 0;
		CHECK_ERR(raw_ppoll(NULL, rl.rlim_cur + 1, &ts, NULL, 0),
			  EINVAL);
		CHECK(kts_ms(&ts) < 5000.0 && kts_ms(&ts) > 4500.0);
		CHECK(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);
	}
	ts.tv_sec = 5;
	ts.tv_nsec = 0;
	CHECK_ERR(raw_ppoll((void *)8, 1, &ts, NULL, 0), EFAULT);
	CHECK(kts_ms(&ts) < 5000.0 && kts_ms(&ts) > 4500.0);
	ts.tv_sec = 5;
	ts.tv_nsec = 0;
	CHECK_ERR(raw_ppoll(NULL, 0, &ts, &mask, 4), EINVAL);
	CHECK_EQ(ts.tv_sec, 5);
	CHECK_EQ(ts.tv_nsec, 0);
	CHECK_ERR(raw_ppoll(NULL, 0, &ts, (void *)8, 8), EFAULT);
	CHECK_EQ(ts.tv_sec, 5);
	CHECK_EQ(ts.tv_nsec, 0);
}

static void glibc_ppoll_keeps_timespec(void)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	struct pollfd a = {.fd = efd, .events = POLLOUT};
	struct timespec ts = {5, 0};

	CHECK_EQ(ppoll(&a, 1, &ts, NULL), 1);
	CHECK_EQ(ts.tv_sec, 5);
	CHECK_EQ(ts.tv_nsec, 0);
	close(efd);
}

static void poll_woken_by_thread_write(void)
{
	int p[2];
	struct guard w;

	CHECK_OK(pipe2(p, O_CLOEXEC));
	struct pollfd a[2] = {
	    {.fd = p[0], .events = POLLIN | POLLRDNORM, .revents = 0x7fff},
	    {.fd = p[1], .events = POLLIN, .revents = 0x7fff},
	};
	guard_start(&w, p[1], 150, 0);
	double t0 = tl_now_ms();
	CHECK_EQ(poll(a, 2, 10000), 1);
	double el = tl_now_ms() - t0;
	CHECK(el >= 100);
	CHECK(el < 3000);
	CHECK_EQ(a[0].revents, POLLIN | POLLRDNORM);
	CHECK_EQ(a[1].revents, 0);
	guard_stop(&w);
	close_fds(p[0], p[1]);
}

#define NPIPES 300
#define NEFDS 20

struct bigset {
	int pipes[NPIPES][2];
	int efds[NEFDS];
	int ep, inner;
	struct pollfd pfd[NPIPES * 2 + NEFDS + 1];
	int n;
};

static int bigset_open(struct bigset *b)
{
	b->n = 0;
	for (int i = 0; i < NPIPES; i++) {
		if (pipe2(b->pipes[i], O_CLOEXEC) != 0)
			return -1;
		/* read ends for IN, write ends for nothing that can fire */
		b->pfd[b->n++] = (struct pollfd){b->pipes[i][0], POLLIN, 0};
		b->pfd[b->n++] = (struct pollfd){b->pipes[i][1], POLLPRI, 0};
	}
	for (int i = 0; i < NEFDS; i++) {
		b->efds[i] = eventfd(0, EFD_CLOEXEC);
		if (b->efds[i] < 0)
			return -1;
		b->pfd[b->n++] = (struct pollfd){b->efds[i], POLLIN, 0};
	}
	b->ep = epoll_create1(EPOLL_CLOEXEC);
	b->inner = eventfd(0, EFD_CLOEXEC);
	if (b->ep < 0 || b->inner < 0)
		return -1;
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7};
	if (epoll_ctl(b->ep, EPOLL_CTL_ADD, b->inner, &ev) != 0)
		return -1;
	b->pfd[b->n++] = (struct pollfd){b->ep, POLLIN | POLLOUT, 0};
	return 0;
}

static void bigset_close(struct bigset *b)
{
	for (int i = 0; i < NPIPES; i++) {
		close_fds(b->pipes[i][0], b->pipes[i][1]);
	}
	for (int i = 0; i < NEFDS; i++)
		close(b->efds[i]);
	close_fds(b->ep, b->inner);
}

static void big_mixed_set_times_out(void)
{
	static struct bigset b;

	CHECK_OK(bigset_open(&b));
	for (int i = 0; i < b.n; i++)
		b.pfd[i].revents = 0x7fff;
	double t0 = tl_now_ms();
	CHECK_EQ(poll(b.pfd, b.n, 100), 0);
	double el = tl_now_ms() - t0;
	CHECK(el >= 99.5);
	CHECK(el < 2000);
	int nz = 0;
	for (int i = 0; i < b.n; i++)
		nz += b.pfd[i].revents != 0;
	CHECK_EQ(nz, 0);
	bigset_close(&b);
}

static void big_mixed_set_woken_through_epoll(void)
{
	static struct bigset b;
	struct guard w;

	CHECK_OK(bigset_open(&b));
	guard_start(&w, b.inner, 200, 1);
	double t0 = tl_now_ms();
	CHECK_EQ(poll(b.pfd, b.n, -1), 1);
	double el = tl_now_ms() - t0;
	CHECK(el >= 150);
	CHECK(el < 3000);
	CHECK_EQ(b.pfd[b.n - 1].revents, POLLIN);
	int nz = 0;
	for (int i = 0; i < b.n; i++)
		nz += b.pfd[i].revents != 0;
	CHECK_EQ(nz, 1);
	guard_stop(&w);

	/* Then a plain pipe near the end of the set, through ppoll. */
	uint64_t v;
	CHECK_EQ(read(b.inner, &v, 8), 8);
	guard_start(&w, b.pipes[NPIPES - 1][1], 150, 0);
	t0 = tl_now_ms();
	struct kts ts = {10, 0};
	CHECK_EQ(raw_ppoll(b.pfd, b.n, &ts, NULL, 0), 1);
	el = tl_now_ms() - t0;
	CHECK(el >= 100);
	CHECK(el < 3000);
	CHECK_EQ(b.pfd[(NPIPES - 1) * 2].revents, POLLIN);
	CHECK(kts_ms(&ts) < 9900.0 && kts_ms(&ts) > 7000.0);
	guard_stop(&w);

	/* And an eventfd. */
	char c;
	CHECK_EQ(read(b.pipes[NPIPES - 1][0], &c, 1), 1);
	guard_start(&w, b.efds[NEFDS / 2], 100, 1);
	CHECK_EQ(poll(b.pfd, b.n, 10000), 1);
	CHECK_EQ(b.pfd[NPIPES * 2 + NEFDS / 2].revents, POLLIN);
	guard_stop(&w);
	bigset_close(&b);
}

int main(void)
{
	RUN(zero_timeout_immediate);
	RUN(timeouts_never_early);
	RUN(negative_timeout_waits_forever);
	RUN(timeout_is_an_int);
	RUN(large_timeout_ready_at_once);
	RUN(ppoll_timespec_einval);
	RUN(ppoll_timespec_efault);
	RUN(ppoll_sigmask_size);
	RUN(ppoll_check_order);
	RUN(ppoll_null_timeout_forever);
	RUN(ppoll_writeback_ready_at_once);
	RUN(ppoll_writeback_partial_wait);
	RUN(ppoll_writeback_expired);
	RUN(ppoll_zero_timeout_not_blocking);
	RUN(ppoll_writeback_fault_ignored);
	RUN(ppoll_writeback_after_late_errors);
	RUN(glibc_ppoll_keeps_timespec);
	RUN(poll_woken_by_thread_write);
	RUN(big_mixed_set_times_out);
	RUN(big_mixed_set_woken_through_epoll);
	return tl_done();
}
