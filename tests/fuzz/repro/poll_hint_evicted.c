/* Found while modelling the unknown-epoll-fd-in-poll divergence for
 * scripts/fuzz (platform/handles.c: TASK_HINTS = 16).
 *
 * docs/DIVERGENCES.md (unknown-epoll-fd-in-poll) says poll() recognises
 * every fd an instance was created at or used through by the thread. The
 * per-thread hints are a ring of 16 entries, though: after a thread has
 * created (or used) 16 other epoll fds, the first one is forgotten, and a
 * poll() naming it goes to the kernel, which sees an empty epoll.
 * Linux: poll = 1, revents 0x1; interpoll: 0, revents 0. */
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
