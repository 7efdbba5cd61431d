/* epoll_harvest_in_order.c: a harvest polls its entries in list order.
 *
 * ep_send_events takes the whole ready list and polls each entry in turn.
 * With entry Y queued before entry X, a thread that drains X and then
 * makes Y readable while another thread harvests can make the harvest
 * report X (polled before the drain), nothing, or Y (polled after the
 * write, hence X after the drain), but never both: Y ready means it was
 * polled after the write, and X, polled after Y, after the drain.
 *
 * Under interpoll the readiness of an entry woken just before the call may
 * be the one the supervisor read with the wake-up, while the entry before
 * it is polled during the harvest (docs/DIVERGENCES.md, harvest-moments),
 * so the race can end with both. The case runs it many times, the racer
 * starting 0 to 20 µs after the call; natively it must never see both.
 * SHOW=1 prints how often each outcome came.
 *
 * See docs: linux-semantics.md section 3 (epoll_wait, ep_send_events).
 */
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>

#define ATTEMPTS 4000

static int xr, xw, yr, yw;
static atomic_int go, done, quit;

static atomic_int delay_ns; /* how long the racer waits first */

static void spin_ns(int ns)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) <
	       ns);
}

/* On each go: after a delay, drain X, then make Y readable. */
static void *racer(void *arg)
{
	(void)arg;
	for (;;) {
		while (!atomic_load(&go))
			if (atomic_load(&quit))
				return NULL;
		atomic_store(&go, 0);
		spin_ns(atomic_load(&delay_ns));
		drain_fd(xr);
		if (write(yw, "y", 1) != 1)
			return NULL;
		atomic_store(&done, 1);
	}
}

static int pipe_pair(int *r, int *w)
{
	int p[2];
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	*r = p[0];
	*w = p[1];
	return 0;
}

static void never_both(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event evs[4];
	pthread_t t;
	int both = 0, bad = 0, seen[4] = {0};

	CHECK(ep >= 0);
	CHECK_OK(pipe_pair(&xr, &xw));
	CHECK_OK(pipe_pair(&yr, &yw));
	CHECK_OK(add(ep, yr, EPOLLIN, 'Y'));
	CHECK_OK(add(ep, xr, EPOLLIN, 'X'));
	CHECK(pthread_create(&t, NULL, racer, NULL) == 0);
	for (int i = 0; i < ATTEMPTS; i++) {
		/* Y harvested (and queued again, level-triggered), then
		 * drained: stale; then X queued after it. */
		if (write(yw, "y", 1) != 1)
			bad++;
		if (epoll_wait(ep, evs, 4, 0) != 1)
			bad++;
		drain_fd(yr);
		if (write(xw, "x", 1) != 1)
			bad++;
		/* Delays of 0 to 20 µs sweep the racer across the call. */
		atomic_store(&delay_ns, (i % 41) * 500);
		atomic_store(&done, 0);
		atomic_store(&go, 1);
		int n = epoll_wait(ep, evs, 4, 0);
		while (!atomic_load(&done))
			;
		int sx = 0, sy = 0;
		for (int k = 0; k < n; k++) {
			sx |= evs[k].data.u64 == 'X';
			sy |= evs[k].data.u64 == 'Y';
		}
		both += sx && sy;
		seen[sx * 2 + sy]++;
		drain_fd(xr);
		drain_fd(yr);
		if (epoll_wait(ep, evs, 4, 0) != 0)
			bad++; /* both dropped as stale */
	}
	atomic_store(&quit, 1);
	pthread_join(t, NULL);
	if (getenv("SHOW"))
		fprintf(stderr, "none %d, Y %d, X %d, both %d\n", seen[0],
			seen[1], seen[2], seen[3]);
	CHECK_EQ(bad, 0);
	DIVERGENCE("harvest-moments");
	CHECK_EQ(both, 0);
	close(ep);
	close(xr);
	close(xw);
	close(yr);
	close(yw);
}

int main(void)
{
	RUN(never_both);
	return tl_done();
}
