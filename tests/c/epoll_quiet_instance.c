/* epoll_quiet_instance.c: an instance that gets many wake-ups while no
 * thread waits on it, as a busy server's does, and is then used every way
 * an instance can be: a harvest, a change, a sleep, a parent, poll().
 *
 * Under interpoll such an instance stops waking the supervisor, and its
 * wake-ups wait for its next call (syscalls/quiet.c). Linux has no such
 * state; every case here asserts what Linux does.
 *
 * See docs: linux-semantics.md sections 3.1 and 3.5.
 */
#include "testutil.h"

#include <poll.h>

#define NP 12 /* pipes: more wake-ups than the quiet threshold */

struct busy {
	int ep;
	int p[NP][2];
};

/* An instance watching NP pipes (data: index), level-triggered, each
 * written once in turn while nobody waits: NP wake-ups unheard. */
static void busy_open(struct busy *b, uint32_t events)
{
	b->ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(b->ep >= 0);
	for (int i = 0; i < NP; i++) {
		CHECK_OK(pipe2(b->p[i], O_CLOEXEC | O_NONBLOCK));
		CHECK_OK(add(b->ep, b->p[i][0], events, (uint64_t)i));
	}
	for (int i = 0; i < NP; i++) {
		CHECK_EQ(write(b->p[i][1], "x", 1), 1);
		sleep_ms(2); /* separate batches, as a server's traffic */
	}
	sleep_ms(20);
}

static void busy_drain(struct busy *b)
{
	char buf[16];
	for (int i = 0; i < NP; i++)
		while (read(b->p[i][0], buf, sizeof(buf)) > 0)
			;
}

static void busy_close(struct busy *b)
{
	for (int i = 0; i < NP; i++)
		close_fds(b->p[i][0], b->p[i][1]);
	close(b->ep);
}

/* busy_open, edge-triggered, then every wake-up harvested and the pipes
 * drained: a quiet instance with nothing left to report. */
static void busy_open_harvested(struct busy *b)
{
	struct epoll_event out[NP + 1];
	busy_open(b, EPOLLIN | EPOLLET);
	CHECK_EQ(epoll_wait(b->ep, out, NP + 1, 0), NP);
	busy_drain(b);
}

/* The next harvest sees every wake-up, in the order they came. */
static void harvest_in_order(void)
{
	struct busy b;
	struct epoll_event out[NP + 1];
	busy_open(&b, EPOLLIN);
	CHECK_EQ(epoll_wait(b.ep, out, NP + 1, 0), NP);
	for (int i = 0; i < NP; i++)
		CHECK_EQ(out[i].data.u64, (uint64_t)i);
	busy_drain(&b);
	CHECK_EQ(epoll_wait(b.ep, out, NP + 1, 0), 0);
	busy_close(&b);
}

/* A change made after the wake-ups queues behind them. */
static void change_after_wakeups(void)
{
	struct busy b;
	struct epoll_event out[NP + 2];
	int late[2];
	busy_open(&b, EPOLLIN | EPOLLET);
	CHECK_OK(pipe2(late, O_CLOEXEC | O_NONBLOCK));
	CHECK_EQ(write(late[1], "x", 1), 1);
	CHECK_OK(add(b.ep, late[0], EPOLLIN, 100));
	CHECK_EQ(epoll_wait(b.ep, out, NP + 2, 0), NP + 1);
	for (int i = 0; i < NP; i++)
		CHECK_EQ(out[i].data.u64, (uint64_t)i);
	CHECK_EQ(out[NP].data.u64, 100);
	/* edge-triggered: reported once */
	CHECK_EQ(epoll_wait(b.ep, out, NP + 2, 0), 1);
	CHECK_EQ(out[0].data.u64, 100);
	close_fds(late[0], late[1]);
	busy_close(&b);
}

/* A file added while not ready, after the wake-ups, and ready later:
 * it queues behind them; and one whose data was read after its wake-up
 * is not reported (the harvest polls it afresh). */
static void add_not_ready_then_ready(void)
{
	struct busy b;
	struct epoll_event out[NP + 2];
	int late[2];
	busy_open(&b, EPOLLIN);
	CHECK_OK(pipe2(late, O_CLOEXEC | O_NONBLOCK));
	CHECK_OK(add(b.ep, late[0], EPOLLIN, 100));
	char c;
	CHECK_EQ(read(b.p[3][0], &c, 1), 1); /* its wake-up is stale now */
	CHECK_EQ(write(late[1], "x", 1), 1);
	CHECK_EQ(epoll_wait(b.ep, out, NP + 2, 0), NP);
	for (int i = 0, k = 0; i < NP; i++) {
		if (i == 3)
			continue;
		CHECK_EQ(out[k++].data.u64, (uint64_t)i);
	}
	CHECK_EQ(out[NP - 1].data.u64, 100);
	close_fds(late[0], late[1]);
	busy_close(&b);
}

/* A sleeper afterwards is woken by the next write, however quiet the
 * instance was before it slept. */
static void sleeper_afterwards(void)
{
	struct busy b;
	struct waiter w;
	busy_open_harvested(&b);
	for (int round = 0; round < 3; round++) {
		waiter_start(&w, b.ep, 4, 5000);
		CHECK(waiter_blocked(&w));
		CHECK_EQ(write(b.p[round][1], "y", 1), 1);
		waiter_got_one(&w, EPOLLIN, (uint64_t)round);
	}
	busy_close(&b);
}

/* A parent added afterwards hears the child's next wake-up. */
static void parent_afterwards(void)
{
	struct busy b;
	struct waiter w;
	busy_open_harvested(&b);
	int outer = epoll_create1(EPOLL_CLOEXEC);
	CHECK_OK(add(outer, b.ep, EPOLLIN, 77));
	waiter_start(&w, outer, 4, 5000);
	CHECK(waiter_blocked(&w));
	CHECK_EQ(write(b.p[5][1], "z", 1), 1);
	waiter_got_one(&w, EPOLLIN, 77);
	close(outer);
	busy_close(&b);
}

static void *poller(void *arg)
{
	struct pollfd *pfd = arg;
	if (poll(pfd, 1, 5000) != 1)
		pfd->revents = -1;
	return NULL;
}

/* poll() on the instance's fd from another thread, after it went quiet:
 * sleeps while nothing is ready, woken by the next write. */
static void poll_afterwards(void)
{
	struct busy b;
	struct epoll_event out[NP + 1];
	busy_open_harvested(&b);
	struct pollfd pfd = {.fd = b.ep, .events = POLLIN};
	pthread_t t;
	CHECK_EQ(pthread_create(&t, NULL, poller, &pfd), 0);
	sleep_ms(100);
	CHECK_EQ(write(b.p[7][1], "w", 1), 1);
	pthread_join(t, NULL);
	CHECK_EQ(pfd.revents, POLLIN);
	CHECK_EQ(epoll_wait(b.ep, out, NP + 1, 0), 1);
	CHECK_EQ(out[0].data.u64, 7);
	busy_close(&b);
}

/* An instance of 1,100 entries, beyond one bucket of the supervisor's:
 * wake-ups on its first and last entries, in turn, while nobody waits;
 * the next harvest returns every one of them (their order across the
 * supervisor's buckets is docs/DIVERGENCES.md bucket-order), and a
 * sleeper then still wakes. */
static void many_entries_afterwards(void)
{
	enum { N = 1100, K = 12 };
	static int efd[N];
	raise_nofile(N + 256);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0);
	for (int i = 0; i < N; i++) {
		efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		CHECK(efd[i] >= 0);
		CHECK_OK(add(ep, efd[i], EPOLLIN | EPOLLET, (uint64_t)i));
	}
	for (int k = 0; k < K; k++) {
		efd_write(efd[k], 1);
		sleep_ms(2);
		efd_write(efd[N - 1 - k], 1);
		sleep_ms(2);
	}
	sleep_ms(20);
	struct epoll_event ev[4 * K];
	int seen[N] = {0};
	CHECK_EQ(epoll_wait(ep, ev, 4 * K, 0), 2 * K);
	for (int i = 0; i < 2 * K; i++)
		seen[ev[i].data.u64]++;
	for (int k = 0; k < K; k++)
		CHECK(seen[k] == 1 && seen[N - 1 - k] == 1);
	CHECK_EQ(epoll_wait(ep, ev, 4 * K, 0), 0); /* edge: once */
	struct waiter w;
	waiter_start(&w, ep, 4, 5000);
	CHECK(waiter_blocked(&w));
	efd_write(efd[N / 2], 1);
	waiter_got_one(&w, EPOLLIN, (uint64_t)(N / 2));
	for (int i = 0; i < N; i++)
		close(efd[i]);
	close(ep);
}

int main(void)
{
	RUN(harvest_in_order);
	RUN(change_after_wakeups);
	RUN(add_not_ready_then_ready);
	RUN(sleeper_afterwards);
	RUN(parent_afterwards);
	RUN(poll_afterwards);
	RUN(many_entries_afterwards);
	return tl_done();
}
