/* epoll_causality.c: a wait sees every wake-up that happened before it,
 * while other threads keep making calls at the same time.
 *
 * In Linux a file's wake-up reaches the epoll inside the call that changed
 * the file: once write() has returned, any epoll_wait made afterwards (by
 * this thread, or by another that learnt of the write through memory)
 * reports the event. Under interpoll the wake-up and the later call reach
 * the supervisor by two roads (a bucket's wake-up of its main epoll, a
 * seccomp notification) that may cross while it collects a batch; these
 * cases keep several threads' calls in flight so that batches and
 * wake-ups overlap, and check each wait against what must be there.
 *
 * See docs: linux-semantics.md section 3 (epoll_wait).
 */
#include "testutil.h"

#include <sched.h>

#define THREADS 4
#define ROUNDS 2500

/* Exactly the events named, in the order given (at most two). */
static int got(int ep, int timeout, int n, const uint64_t *want)
{
	struct epoll_event ev[4];
	int r = epoll_wait(ep, ev, 4, timeout);
	if (r != n)
		return 0;
	for (int i = 0; i < n; i++)
		if (ev[i].data.u64 != want[i] || !(ev[i].events & EPOLLIN))
			return 0;
	return 1;
}

static atomic_int failures;

static void note(int ok, const char *what, int round)
{
	if (!ok && atomic_fetch_add(&failures, 1) < 5)
		fprintf(stderr, "  %s: wrong answer in round %d\n", what,
			round);
}

/* Threads check and reset the count of wrong answers between cases. */
static void run_all(void *(*fn)(void *))
{
	atomic_store(&failures, 0);
	CHECK_EQ(run_threads(THREADS, fn), THREADS);
	CHECK_EQ(atomic_load(&failures), 0);
}

/* Each thread writes its own eventfd and polls its own instance, watched
 * level-triggered by even threads and edge-triggered by odd ones. */
static void *own_loop(void *arg)
{
	int et = (int)(intptr_t)arg % 2;
	int ep = epoll_create1(0);
	int efd = eventfd(0, EFD_NONBLOCK);
	uint64_t cookie = 0xca05a1;
	CHECK_OK(add(ep, efd, EPOLLIN | (et ? EPOLLET : 0), cookie));
	for (int i = 0; i < ROUNDS && !atomic_load(&failures); i++) {
		efd_write(efd, 1);
		note(got(ep, 0, 1, &cookie), "write, then epoll_wait(0)", i);
		efd_read(efd);
		note(got(ep, 0, 0, NULL), "read, then epoll_wait(0)", i);
	}
	close(efd);
	close(ep);
	return NULL;
}

static void own_writes(void)
{
	run_all(own_loop);
}

/* An entry already ready keeps the wait from sleeping: the one just
 * written must be in the same answer, after it. */
static void *beside_ready_loop(void *arg)
{
	(void)arg;
	int ep = epoll_create1(0);
	int always = eventfd(1, EFD_NONBLOCK);
	int efd = eventfd(0, EFD_NONBLOCK);
	uint64_t both[2] = {1, 2};
	CHECK_OK(add(ep, always, EPOLLIN, 1));
	CHECK_OK(add(ep, efd, EPOLLIN, 2));
	for (int i = 0; i < ROUNDS && !atomic_load(&failures); i++) {
		note(got(ep, -1, 1, both), "one ready", i);
		efd_write(efd, 1);
		note(got(ep, -1, 2, both), "write beside a ready entry", i);
		efd_read(efd);
	}
	close(always);
	close(efd);
	close(ep);
	return NULL;
}

static void beside_a_ready_entry(void)
{
	run_all(beside_ready_loop);
}

/* Pairs of threads: the even one sends on a socket and publishes a count
 * in memory; the odd one sees the count and must see the data's event. */
#define COOKIE 0x50c
static struct pair {
	int ep, sock[2];
	atomic_int sent, seen;
} pairs[THREADS / 2];

static void sender(struct pair *p)
{
	for (int i = 1; i <= ROUNDS && !atomic_load(&failures); i++) {
		while (atomic_load(&p->seen) != i - 1 &&
		       !atomic_load(&failures))
			sched_yield();
		CHECK_EQ(send(p->sock[0], "x", 1, 0), 1);
		atomic_store(&p->sent, i);
	}
}

static void receiver(struct pair *p)
{
	uint64_t cookie = COOKIE;
	char c;
	for (int i = 1; i <= ROUNDS && !atomic_load(&failures); i++) {
		while (atomic_load(&p->sent) != i && !atomic_load(&failures))
			sched_yield();
		note(got(p->ep, 0, 1, &cookie), "sent elsewhere, then wait", i);
		CHECK_EQ(recv(p->sock[1], &c, 1, 0), 1);
		atomic_store(&p->seen, i);
	}
}

static void *pair_loop(void *arg)
{
	int i = (int)(intptr_t)arg;
	if (i % 2)
		receiver(&pairs[i / 2]);
	else
		sender(&pairs[i / 2]);
	return NULL;
}

static void written_by_another_thread(void)
{
	for (int i = 0; i < THREADS / 2; i++) {
		struct pair *p = &pairs[i];
		p->ep = epoll_create1(0);
		CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
				    p->sock));
		CHECK_OK(add(p->ep, p->sock[1], EPOLLIN, COOKIE));
		atomic_store(&p->sent, 0);
		atomic_store(&p->seen, 0);
	}
	run_all(pair_loop);
	for (int i = 0; i < THREADS / 2; i++)
		close_fds(pairs[i].sock[0], pairs[i].sock[1], pairs[i].ep);
}

int main(void)
{
	RUN(own_writes);
	RUN(beside_a_ready_entry);
	RUN(written_by_another_thread);
	return tl_done();
}
