/* Found while modelling a since-removed divergence for scripts/fuzz: poll()
 * once recognised an instance only through a per-thread ring of 16 hints,
 * so after a thread had created (or used) 16 other epoll fds, a poll()
 * naming the first one went to the kernel, which saw an empty epoll.
 * Instances' files now carry their readiness themselves (docs/DESIGN.md,
 * "poll, ppoll, select, pselect6"), whatever the number.
 * Linux: poll = 1, revents 0x1. */
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

int main(void)
{
	int efd = eventfd(1, 0); /* readable */
	int eps[20];
	struct epoll_event ev = {.events = EPOLLIN};
	int fails = 0;
	for (int i = 0; i < 20; i++) {
		eps[i] = epoll_create1(0);
		epoll_ctl(eps[i], EPOLL_CTL_ADD, efd, &ev);
	}
	for (int i = 0; i < 20; i += 19) {
		struct pollfd p = {eps[i], POLLIN, 0};
		int r = poll(&p, 1, 0);
		int ok = r == 1 && p.revents == POLLIN;
		fails += !ok;
		printf("%s: poll(epoll #%d of 20) = %d revents=%#x (linux: 1 "
		       "0x1)\n",
		       ok ? "ok" : "MISMATCH", i + 1, r, p.revents);
	}
	return fails != 0;
}
