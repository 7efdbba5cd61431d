/* spin: two threads that spin on each other through an epoll instance.
 *
 *   spin [ROUNDS=20000]
 *
 * Thread A re-arms an edge-triggered entry on a readable eventfd with
 * EPOLL_CTL_MOD (which queues it and wakes a waiter), then spins until
 * thread B, blocked in epoll_wait, has returned with it. On a machine
 * with as many CPUs as runnable threads, where the woken thread lands
 * decides the cost: behind the spinning A it waits for a scheduler tick.
 *
 * Output: spin_round_us (one MOD, one wake-up, one return) */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "bench.h"

static int ep;
static long rounds;
static atomic_int turn; /* 1: B is to see the entry; 0: A may re-arm */

static void *waiter(void *arg)
{
	struct epoll_event ev;
	(void)arg;
	for (long i = 0; i < rounds; i++) {
		if (epoll_wait(ep, &ev, 1, 10000) != 1)
			die("epoll_wait");
		atomic_store(&turn, 0);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	rounds = arg_long(argc, argv, 1, 20000);
	ep = epoll_create1(EPOLL_CLOEXEC);
	int efd = eventfd(1, EFD_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET}, out;
	if (ep < 0 || efd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) < 0)
		die("set-up");
	if (epoll_wait(ep, &out, 1, 0) != 1) /* the edge of the ADD */
		die("first edge");
	pthread_t th;
	if (pthread_create(&th, NULL, waiter, NULL) != 0)
		die("pthread_create");
	uint64_t t0 = now_ns();
	for (long i = 0; i < rounds; i++) {
		atomic_store(&turn, 1);
		if (epoll_ctl(ep, EPOLL_CTL_MOD, efd, &ev) < 0)
			die("epoll_ctl MOD");
		while (atomic_load(&turn) == 1)
			;
	}
	uint64_t t1 = now_ns();
	pthread_join(th, NULL);
	emit("spin_round_us", (double)(t1 - t0) / 1e3 / (double)rounds, "us");
	return 0;
}
