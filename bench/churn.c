/* churn: event loops made and dropped in a tight loop.
 *
 *   churn [N=100000]
 *
 * N times: epoll_create1, an eventfd, an F_DUPFD copy of one shared
 * socket, both added, and all three closed without EPOLL_CTL_DEL (as
 * asyncio.run() in a loop or a runtime per test does). Every call must
 * succeed. Prints the rate, and, run under interpoll (the supervisor is
 * the parent), the supervisor's peak fd count (sampled every 10,000
 * instances) and peak RSS.
 *
 * Output: churn_instances_per_s; churn_sup_peak_fds; churn_sup_hwm_kb */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include "bench.h"

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 100000);
	int sv[2], sup = getppid();
	long peak = 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair");
	uint64_t t0 = now_ns();
	for (long i = 0; i < n; i++) {
		struct epoll_event ev = {.events = EPOLLIN};
		int ep = epoll_create1(EPOLL_CLOEXEC);
		int efd = eventfd(0, EFD_CLOEXEC);
		int d = fcntl(sv[0], F_DUPFD_CLOEXEC, 3);
		if (ep < 0 || efd < 0 || d < 0 ||
		    epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) ||
		    epoll_ctl(ep, EPOLL_CTL_ADD, d, &ev))
			die("instance %ld", i);
		close(efd);
		close(d);
		close(ep);
		if (i % 10000 == 0) {
			long k = count_fds(sup);
			if (k > peak)
				peak = k;
		}
	}
	uint64_t t1 = now_ns();
	emit("churn_instances_per_s", (double)n * 1e9 / (double)(t1 - t0),
	     "per_s");
	emit("churn_sup_peak_fds", (double)peak, "fds");
	emit("churn_sup_hwm_kb", (double)proc_status_bytes(sup, "VmHWM") / 1024,
	     "kB");
	return 0;
}
