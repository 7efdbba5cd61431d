/* stall: the longest a guest call waits while the supervisor is busy with
 * something else, such as its periodic sweep for closed files.
 *
 *   stall [N=10000] [MS=5000]
 *
 * One instance watches N eventfds (none ready); the program then calls
 * epoll_wait(ep, ev, 1, 0) on another instance, which has one ready
 * entry, back to back for MS milliseconds and reports the median and the
 * longest call. Natively every call takes about a microsecond; under
 * interpoll each is a round trip, and the longest shows what holds the
 * supervisor between two notifications.
 *
 * Output: stall_median_us, stall_p999_us, stall_max_us, stall_calls */
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "bench.h"

int main(int argc, char **argv)
{
	long n = arg_long(argc, argv, 1, 10000);
	long ms = arg_long(argc, argv, 2, 5000);
	if (raise_nofile() < n + 64)
		die("fd limit below %ld", n + 64);
	int big = epoll_create1(EPOLL_CLOEXEC), small = epoll_create1(0);
	if (big < 0 || small < 0)
		die("epoll_create1");
	for (long i = 0; i < n; i++) {
		struct epoll_event ev = {.events = EPOLLIN};
		int fd = eventfd(0, EFD_CLOEXEC);
		if (fd < 0 || epoll_ctl(big, EPOLL_CTL_ADD, fd, &ev) < 0)
			die("eventfd/ADD %ld", i);
	}
	struct epoll_event ev = {.events = EPOLLIN};
	int one = eventfd(1, EFD_CLOEXEC);
	if (one < 0 || epoll_ctl(small, EPOLL_CTL_ADD, one, &ev) < 0)
		die("eventfd/ADD");
	size_t cap = 1 << 22, k = 0;
	uint64_t *t = malloc(cap * sizeof(*t));
	if (!t)
		die("malloc");
	uint64_t end = now_ns() + (uint64_t)ms * 1000000ull;
	for (uint64_t a = now_ns(); a < end && k < cap;) {
		if (epoll_wait(small, &ev, 1, 0) != 1)
			die("epoll_wait");
		uint64_t b = now_ns();
		t[k++] = b - a;
		a = b;
	}
	uint64_t max = 0;
	for (size_t i = 0; i < k; i++)
		if (t[i] > max)
			max = t[i];
	emit("stall_median_us", percentile(t, k, 50) / 1e3, "us");
	emit("stall_p999_us", percentile(t, k, 99.9) / 1e3, "us");
	emit("stall_max_us", (double)max / 1e3, "us");
	emit("stall_calls", (double)k, "calls");
	return 0;
}
