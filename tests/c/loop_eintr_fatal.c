/* loop_eintr_fatal.c: a small event loop with a bug that Linux rarely
 * shows: it treats EINTR from epoll_wait as fatal. Without signals it
 * runs to its end, natively and under interpoll; under
 * `interpoll --inject=eintr=P,seed=N` it fails, and at the same
 * iteration in every run with the same seed (tests/runner/inject.sh).
 *
 * On the fatal EINTR it prints "fatal EINTR at iteration I" and exits 3.
 */
#include "testutil.h"

#define ROUNDS 2000

static void runs_to_its_end(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	CHECK(ep >= 0 && efd >= 0);
	CHECK_OK(add(ep, efd, EPOLLIN, 1));
	for (int i = 0; i < ROUNDS; i++) {
		struct epoll_event ev;
		if (i % 2)
			efd_write(efd, 1);
		/* Every other round nothing is ready: the call would sleep
		 * for its 1 ms, and a signal could end it. */
		int n = epoll_wait(ep, &ev, 1, 1);
		if (n < 0) { /* the bug: EINTR is no reason to stop */
			printf("fatal %s at iteration %d\n",
			       errno == EINTR ? "EINTR" : strerror(errno), i);
			fflush(stdout);
			_exit(3);
		}
		if (n == 1)
			efd_read(efd);
	}
	close_fds(efd, ep);
}

int main(void)
{
	RUN(runs_to_its_end);
	return tl_done();
}
