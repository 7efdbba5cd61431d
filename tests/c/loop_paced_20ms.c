/* loop_paced_20ms.c: two threads, each an event loop that spends a known
 * 20 ms in its "callback" (a sleep) between waits, each wait returning
 * its one ready event. The loop profile of `interpoll --stats` must show
 * a callback time of 20 ms, and `--timeline` one track per thread
 * (tests/runner/profile.sh). Natively and under interpoll it checks that
 * every wait returns its event.
 */
#include "testutil.h"

#include <pthread.h>

#define ROUNDS 30

static void *loop(void *arg)
{
	int *bad = arg;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int efd = eventfd(1, EFD_CLOEXEC);
	if (ep < 0 || efd < 0 || add(ep, efd, EPOLLIN, 5) < 0) {
		*bad = 1;
		return NULL;
	}
	for (int i = 0; i < ROUNDS; i++) {
		struct epoll_event ev;
		if (epoll_wait(ep, &ev, 1, 1000) != 1 || ev.data.u64 != 5)
			(*bad)++;
		sleep_ms(20); /* the callback */
	}
	close(efd);
	close(ep);
	return NULL;
}

static void two_paced_loops(void)
{
	int bad_main = 0, bad_other = 0;
	pthread_t t;
	CHECK_OK(pthread_create(&t, NULL, loop, &bad_other));
	loop(&bad_main);
	pthread_join(t, NULL);
	CHECK_EQ(bad_main, 0);
	CHECK_EQ(bad_other, 0);
}

int main(void)
{
	RUN(two_paced_loops);
	return tl_done();
}
