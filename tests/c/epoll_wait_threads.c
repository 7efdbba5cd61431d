/* epoll_wait_threads.c: several threads and one epoll instance
 * (linux-semantics.md 3.2, 3.3, 3.5, 4.1, 4.3).
 *
 * - A level-triggered event wakes every waiter (the LT re-queue wakes the
 *   next sleeper); an edge-triggered one wakes exactly one.
 * - ADD of a ready fd, and MOD to a matching mask, wake a blocked waiter.
 * - A wakeup climbs a chain of 5 nested instances.
 * - Closing the epoll fd does not wake a thread sleeping on it.
 * - EPOLLONESHOT re-armed from racing threads never loses or duplicates a
 *   report.
 */
#include "testlib.h"
#include "testutil.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#define NW 8

static void case_lt_event_wakes_all_waiters(void)
{
	int e;
	int ep = ep_with_eventfd(&e, 0, EFD_NONBLOCK, EPOLLIN, 0x1717);
	struct waiter w[NW];
	uint64_t one = 1;
	double t_write;
	int i;

	for (i = 0; i < NW; i++)
		waiter_start(&w[i], ep, 1, 6000);
	for (i = 0; i < NW; i++)
		CHECK(waiter_blocked(&w[i]));
	CHECK_EQ(count_returned(w, NW), 0);
	t_write = tl_now_ms();
	CHECK_EQ(write(e, &one, 8), 8);
	CHECK_EQ(wait_returned(w, NW, NW, 3000), NW);
	for (i = 0; i < NW; i++) {
		pthread_join(w[i].th, NULL);
		CHECK_EQ(w[i].ret, 1);
		CHECK_EQ(w[i].ev[0].events, EPOLLIN);
		CHECK_EQ(w[i].ev[0].data.u64, 0x1717);
		CHECK(w[i].t_ret - t_write < 3000);
	}
	close_fds(e, ep);
}

static void case_et_event_wakes_exactly_one(void)
{
	int e;
	int ep = ep_with_eventfd(&e, 0, EFD_NONBLOCK, EPOLLIN | EPOLLET, 0xe);
	int stop = eventfd(0, EFD_NONBLOCK);
	struct waiter w[NW];
	uint64_t one = 1;
	int i, got_e = 0, got_stop = 0;

	CHECK_OK(add(ep, stop, EPOLLIN, 0x5));
	for (i = 0; i < NW; i++)
		waiter_start(&w[i], ep, 2, 8000);
	for (i = 0; i < NW; i++)
		CHECK(waiter_blocked(&w[i]));
	CHECK_EQ(write(e, &one, 8), 8);
	CHECK_EQ(wait_returned(w, NW, 1, 3000), 1);
	sleep_ms(300); /* settle: nobody else may wake */
	CHECK_EQ(count_returned(w, NW), 1);
	/* Release the others through a level-triggered entry. */
	CHECK_EQ(write(stop, &one, 8), 8);
	CHECK_EQ(wait_returned(w, NW, NW, 3000), NW);
	for (i = 0; i < NW; i++) {
		int k;
		pthread_join(w[i].th, NULL);
		CHECK(w[i].ret >= 1);
		for (k = 0; k < w[i].ret && k < 2; k++) {
			got_e += w[i].ev[k].data.u64 == 0xe;
			got_stop += w[i].ev[k].data.u64 == 0x5;
		}
	}
	CHECK_EQ(got_e, 1);
	CHECK(got_stop >= NW - 1);
	close_fds(e, stop, ep);
}

static void case_add_ready_fd_wakes_waiter(void)
{
	int ep = epoll_create1(0);
	int e = eventfd(3, EFD_NONBLOCK);
	struct waiter w;
	double t_add;

	waiter_start(&w, ep, 4, 8000);
	CHECK(waiter_blocked(&w));
	t_add = tl_now_ms();
	CHECK_OK(add(ep, e, EPOLLIN | EPOLLOUT, 0xadd));
	waiter_got_one(&w, EPOLLIN | EPOLLOUT, 0xadd);
	CHECK(w.t_ret - t_add < 3000);
	close_fds(e, ep);
}

static void case_add_not_ready_fd_does_not_wake(void)
{
	int ep = epoll_create1(0);
	int e = eventfd(0, EFD_NONBLOCK);
	struct waiter w;
	uint64_t one = 1;

	waiter_start(&w, ep, 4, 8000);
	CHECK(waiter_blocked(&w));
	CHECK_OK(add(ep, e, EPOLLIN, 0x11));
	sleep_ms(300);
	CHECK_EQ(count_returned(&w, 1), 0);
	/* The new entry's later readiness does wake it. */
	CHECK_EQ(write(e, &one, 8), 8);
	waiter_got_one(&w, 0, 0x11);
	close_fds(e, ep);
}

static void case_mod_to_matching_mask_wakes_waiter(void)
{
	int ep = epoll_create1(0);
	int p[2];
	struct waiter w;

	CHECK_OK(pipe2(p, O_NONBLOCK));
	CHECK_EQ(write(p[1], "x", 1), 1);
	/* A pipe's read end is never writable: OUT does not match. */
	CHECK_OK(add(ep, p[0], EPOLLOUT, 1));
	waiter_start(&w, ep, 4, 8000);
	CHECK(waiter_blocked(&w));
	/* Still not matching: the waiter stays asleep. */
	CHECK_OK(mod(ep, p[0], EPOLLOUT | EPOLLRDHUP, 2));
	CHECK_OK(mod(ep, p[0], 0, 3));
	sleep_ms(300);
	CHECK_EQ(count_returned(&w, 1), 0);
	CHECK_OK(mod(ep, p[0], EPOLLIN | EPOLLOUT, 4));
	waiter_got_one(&w, EPOLLIN, 4);
	close_fds(p[0], p[1], ep);
}

static void case_deep_tree_wakes_top_waiter(void)
{
	int e[5], i;
	int efd = eventfd(0, EFD_NONBLOCK);
	struct waiter w;
	uint64_t one = 1;
	struct epoll_event ev[2];

	for (i = 0; i < 5; i++)
		e[i] = epoll_create1(0);
	/* Chain e0 > e1 > e2 > e3 > e4 > eventfd: 4 epoll->epoll links,
	 * the maximum. Built bottom-up. */
	CHECK_OK(add(e[4], efd, EPOLLIN, 0x44));
	for (i = 3; i >= 0; i--)
		CHECK_OK(add(e[i], e[i + 1], EPOLLIN, 0x10 + i + 1));
	waiter_start(&w, e[0], 2, 8000);
	CHECK(waiter_blocked(&w));
	CHECK_EQ(write(efd, &one, 8), 8);
	waiter_got_one(&w, EPOLLIN, 0x11);
	/* Every level sees it, and the innermost reports the eventfd. */
	for (i = 1; i < 4; i++) {
		CHECK_EQ(epoll_wait(e[i], ev, 2, 0), 1);
		CHECK_EQ(ev[0].data.u64, 0x10 + i + 1);
	}
	CHECK_EQ(epoll_wait(e[4], ev, 2, 0), 1);
	CHECK_EQ(ev[0].data.u64, 0x44);
	/* Drained: the top-level waiter would sleep again. */
	CHECK_EQ(read(efd, &one, 8), 8);
	CHECK_EQ(epoll_wait(e[0], ev, 2, 0), 0);
	for (i = 0; i < 5; i++)
		close(e[i]);
	close(efd);
}

static void case_close_epfd_does_not_wake_waiter(void)
{
	int e;
	int ep = ep_with_eventfd(&e, 0, EFD_NONBLOCK, EPOLLIN, 1);
	struct waiter w;
	double t0;

	t0 = tl_now_ms();
	waiter_start(&w, ep, 2, 700);
	CHECK(waiter_blocked(&w));
	CHECK_OK(close(ep));
	sleep_ms(100);
	CHECK_EQ(count_returned(&w, 1), 0);
	pthread_join(w.th, NULL);
	CHECK_EQ(w.ret, 0);
	CHECK(w.t_ret - t0 >= 700 - 0.01);
	CHECK(w.t_ret - t0 < 700 + 1500);
	/* The number is closed now. */
	CHECK_ERR(epoll_wait(ep, w.ev, 1, 0), EBADF);
	close(e);
}

static void case_et_new_write_new_edge_for_waiter(void)
{
	int e;
	int ep = ep_with_eventfd(&e, 0, EFD_NONBLOCK, EPOLLIN | EPOLLET, 0xed);
	struct waiter w;
	struct epoll_event ev[2];
	uint64_t one = 1, v;

	CHECK_EQ(write(e, &one, 8), 8);
	CHECK_EQ(epoll_wait(ep, ev, 2, 0), 1);
	CHECK_EQ(epoll_wait(ep, ev, 2, 0), 0);
	/* Counter is 1 and stays unread. A blocked waiter sees the edge of
	 * every further write. */
	for (int round = 0; round < 3; round++) {
		waiter_start(&w, ep, 2, 8000);
		CHECK(waiter_blocked(&w));
		CHECK_EQ(write(e, &one, 8), 8);
		waiter_got_one(&w, EPOLLIN, 0xed);
		CHECK_EQ(epoll_wait(ep, ev, 2, 0), 0);
	}
	CHECK_EQ(read(e, &v, 8), 8);
	CHECK_EQ(v, 4);
	close_fds(e, ep);
}

/* ---- EPOLLONESHOT, one socket in two instances, racing re-arms ---- */

#define ROUNDS 5000

struct os2 {
	int sock[2];
	int ep[2];
	pthread_mutex_t m;
	pthread_cond_t c;
	int reported[2];
	int consumed;
	int fail;
	char why[160];
	long reports[2];
	long dups[2];
};

static void os2_fail(struct os2 *s, const char *fmt, int a, int b)
{
	pthread_mutex_lock(&s->m);
	if (!s->fail) {
		s->fail = 1;
		snprintf(s->why, sizeof(s->why), fmt, a, b);
	}
	pthread_cond_broadcast(&s->c);
	pthread_mutex_unlock(&s->m);
}

/* Wait on the condition for at most 50 ms (callers loop). */
static int timed_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 50 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return pthread_cond_timedwait(c, m, &ts);
}

/* The argument of a consumer thread: the shared state and its index. */
struct idx_arg {
	void *s;
	int i;
};

static void *os2_consumer(void *arg)
{
	struct idx_arg *a = arg;
	struct os2 *s = a->s;
	int i = a->i, r;
	struct epoll_event ev[2];

	for (r = 1; r <= ROUNDS; r++) {
		int n = epoll_wait(s->ep[i], ev, 2, 5000);
		if (n != 1 || ev[0].data.u64 != (uint64_t)(0xA + i) ||
		    ev[0].events != EPOLLIN) {
			os2_fail(s, "consumer %d: bad report in round %d", i,
				 r);
			return NULL;
		}
		s->reports[i]++;
		if (epoll_wait(s->ep[i], ev, 2, 0) != 0)
			s->dups[i]++;
		pthread_mutex_lock(&s->m);
		s->reported[i] = r;
		if (s->reported[0] == r && s->reported[1] == r) {
			unsigned char b = 0;
			ssize_t got = read(s->sock[1], &b, 1);
			if (got != 1 || b != (unsigned char)r) {
				pthread_mutex_unlock(&s->m);
				os2_fail(s, "round %d: read got %d", r,
					 (int)got);
				return NULL;
			}
			s->consumed = r;
			pthread_cond_broadcast(&s->c);
		} else {
			double t0 = tl_now_ms();
			while (s->consumed < r && !s->fail &&
			       tl_now_ms() - t0 < 5000)
				timed_wait(&s->c, &s->m);
			if (s->consumed < r) {
				pthread_mutex_unlock(&s->m);
				os2_fail(s,
					 "consumer %d: round %d not consumed",
					 i, r);
				return NULL;
			}
		}
		pthread_mutex_unlock(&s->m);
		/* Re-arm: races with the other consumer's re-arm and with the
		 * producer's next write. */
		if (mod(s->ep[i], s->sock[1], EPOLLIN | EPOLLONESHOT,
			0xA + i) != 0) {
			os2_fail(s, "consumer %d: MOD failed round %d", i, r);
			return NULL;
		}
		if (s->fail)
			return NULL;
	}
	return NULL;
}

static void case_oneshot_two_instances_racing_rearm(void)
{
	static struct os2 s;
	struct idx_arg args[2];
	pthread_t th[2];
	struct epoll_event ev[2];
	int i, r;

	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.m, NULL);
	pthread_cond_init(&s.c, NULL);
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, s.sock));
	for (i = 0; i < 2; i++) {
		s.ep[i] = epoll_create1(0);
		CHECK_OK(
		    add(s.ep[i], s.sock[1], EPOLLIN | EPOLLONESHOT, 0xA + i));
		args[i].s = &s;
		args[i].i = i;
	}
	for (i = 0; i < 2; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, os2_consumer, &args[i]),
			 0);
	for (r = 1; r <= ROUNDS; r++) {
		unsigned char b = (unsigned char)r;
		double t0 = tl_now_ms();

		pthread_mutex_lock(&s.m);
		while (s.consumed < r - 1 && !s.fail && tl_now_ms() - t0 < 5000)
			timed_wait(&s.c, &s.m);
		int ok = s.consumed == r - 1 && !s.fail;
		pthread_mutex_unlock(&s.m);
		if (!ok) {
			os2_fail(&s, "producer: round %d not consumed (%d)",
				 r - 1, 0);
			break;
		}
		if (write(s.sock[0], &b, 1) != 1) {
			os2_fail(&s, "producer: write failed round %d", r, 0);
			break;
		}
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	if (s.fail)
		tl_fail(__FILE__, __LINE__, "%s", s.why);
	CHECK_EQ(s.reports[0], ROUNDS);
	CHECK_EQ(s.reports[1], ROUNDS);
	CHECK_EQ(s.dups[0], 0);
	CHECK_EQ(s.dups[1], 0);
	CHECK_EQ(s.consumed, ROUNDS);
	/* Both re-armed, socket empty: nothing pending anywhere. */
	for (i = 0; i < 2; i++)
		CHECK_EQ(epoll_wait(s.ep[i], ev, 2, 0), 0);
	CHECK_EQ(write(s.sock[0], "z", 1), 1);
	for (i = 0; i < 2; i++) {
		CHECK_EQ(epoll_wait(s.ep[i], ev, 2, 0), 1);
		CHECK_EQ(epoll_wait(s.ep[i], ev, 2, 0), 0);
	}
	for (i = 0; i < 2; i++)
		close(s.ep[i]);
	close_fds(s.sock[0], s.sock[1]);
	pthread_mutex_destroy(&s.m);
	pthread_cond_destroy(&s.c);
}

/* ---- EPOLLONESHOT, one instance, two waiters ---- */

struct os1 {
	int sock[2];
	int ep;
	int stop;
	atomic_int consumed;
	atomic_int reports;
	atomic_int fail;
	int per_thread[2];
};

static void *os1_consumer(void *arg)
{
	struct idx_arg *a = arg;
	struct os1 *s = a->s;
	struct epoll_event ev[1];

	for (;;) {
		int n = epoll_wait(s->ep, ev, 1, 5000);
		if (n != 1) {
			atomic_store(&s->fail, 1);
			return NULL;
		}
		if (ev[0].data.u64 == 0x57)
			return NULL;
		if (ev[0].data.u64 != 0x51 || ev[0].events != EPOLLIN) {
			atomic_store(&s->fail, 2);
			return NULL;
		}
		atomic_fetch_add(&s->reports, 1);
		s->per_thread[a->i]++;
		unsigned char b;
		int want = atomic_load(&s->consumed) + 1;
		if (read(s->sock[1], &b, 1) != 1 || b != (unsigned char)want) {
			atomic_store(&s->fail, 3);
			return NULL;
		}
		atomic_store(&s->consumed, want);
		if (mod(s->ep, s->sock[1], EPOLLIN | EPOLLONESHOT, 0x51)) {
			atomic_store(&s->fail, 4);
			return NULL;
		}
	}
}

static void case_oneshot_one_instance_two_waiters(void)
{
	static struct os1 s;
	struct idx_arg args[2];
	pthread_t th[2];
	uint64_t one = 1;
	struct epoll_event ev[2];
	int i, r;

	memset(&s, 0, sizeof(s));
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, s.sock));
	s.ep = epoll_create1(0);
	s.stop = eventfd(0, EFD_NONBLOCK);
	CHECK_OK(add(s.ep, s.sock[1], EPOLLIN | EPOLLONESHOT, 0x51));
	CHECK_OK(add(s.ep, s.stop, EPOLLIN, 0x57));
	for (i = 0; i < 2; i++) {
		args[i].s = &s;
		args[i].i = i;
		CHECK_EQ(pthread_create(&th[i], NULL, os1_consumer, &args[i]),
			 0);
	}
	for (r = 1; r <= ROUNDS && !atomic_load(&s.fail); r++) {
		unsigned char b = (unsigned char)r;
		double t0 = tl_now_ms();
		if (write(s.sock[0], &b, 1) != 1)
			break;
		while (atomic_load(&s.consumed) < r && !atomic_load(&s.fail) &&
		       tl_now_ms() - t0 < 5000)
			sched_yield();
		if (atomic_load(&s.consumed) < r)
			break;
	}
	CHECK_EQ(write(s.stop, &one, 8), 8);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(atomic_load(&s.fail), 0);
	CHECK_EQ(atomic_load(&s.consumed), ROUNDS);
	CHECK_EQ(atomic_load(&s.reports), ROUNDS);
	CHECK_EQ(s.per_thread[0] + s.per_thread[1], ROUNDS);
	/* Only the stop entry is pending. */
	CHECK_EQ(epoll_wait(s.ep, ev, 2, 0), 1);
	CHECK_EQ(ev[0].data.u64, 0x57);
	close_fds(s.ep, s.stop, s.sock[0], s.sock[1]);
}

int main(void)
{
	RUN(case_lt_event_wakes_all_waiters);
	RUN(case_et_event_wakes_exactly_one);
	RUN(case_add_ready_fd_wakes_waiter);
	RUN(case_add_not_ready_fd_does_not_wake);
	RUN(case_mod_to_matching_mask_wakes_waiter);
	RUN(case_deep_tree_wakes_top_waiter);
	RUN(case_close_epfd_does_not_wake_waiter);
	RUN(case_et_new_write_new_edge_for_waiter);
	RUN(case_oneshot_two_instances_racing_rearm);
	RUN(case_oneshot_one_instance_two_waiters);
	return tl_done();
}
