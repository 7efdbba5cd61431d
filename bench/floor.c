/* floor: the cost of a bare intercepted call answered at once.
 *
 *   floor [ITERS]   (default 100000)
 *
 * epoll_wait(ep, ev, 1, 0) on an empty instance, ITERS times: natively the
 * kernel's cheapest epoll_wait; under interpoll one notification round trip
 * plus the supervisor's work. Also prints a raw native syscall (getppid,
 * never intercepted) for scale.
 *
 * Output: floor_epoll_wait_empty US us; syscall_getppid US us */
#include <sys/epoll.h>
#include <sys/syscall.h>

#include "bench.h"

int main(int argc, char **argv)
{
	long iters = arg_long(argc, argv, 1, 100000);
	struct epoll_event ev;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	for (int i = 0; i < 1000; i++)
		if (epoll_wait(ep, &ev, 1, 0) != 0)
			die("epoll_wait");
	bench_delay();

	uint64_t t0 = now_ns();
	for (long i = 0; i < iters; i++)
		if (epoll_wait(ep, &ev, 1, 0) != 0)
			die("epoll_wait");
	uint64_t t1 = now_ns();
	emit("floor_epoll_wait_empty", (double)(t1 - t0) / 1e3 / (double)iters,
	     "us");

	t0 = now_ns();
	for (long i = 0; i < iters; i++)
		syscall(SYS_getppid);
	t1 = now_ns();
	emit("syscall_getppid", (double)(t1 - t0) / 1e3 / (double)iters, "us");
	close(ep);
	return 0;
}
