/* Found by scripts/fuzz (seed 288, minimised to 32 ops; reduced by hand).
 *
 * EPOLL_CTL_MOD of an entry that is already on its instance's ready list
 * leaves it where it is and wakes nobody: ep_modify() only calls
 * wake_up(&ep->wq) and ep_poll_safewake(&ep->poll_wait) when it links the
 * entry (`if (!ep_is_linked(epi))`). So an outer epoll watching the inner
 * one edge-triggered gets no new event.
 *
 * interpoll's ctl_mod() calls ep_wake_waiters() and ep_notify_up() whenever
 * the file is ready, queued before or not, so the outer instance reports
 * the inner one again. Linux: 0 events; interpoll: 1. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

int main(void)
{
	int fails = 0;
	int efd = eventfd(1, EFD_NONBLOCK); /* readable */
	int inner = epoll_create1(0);
	int outer = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};
	struct epoll_event out[4];

	epoll_ctl(inner, EPOLL_CTL_ADD, efd, &ev); /* queued in inner */
	ev.events = EPOLLIN | EPOLLET;
	ev.data.u64 = 2;
	epoll_ctl(outer, EPOLL_CTL_ADD, inner, &ev); /* queued in outer */
	int n = epoll_wait(outer, out, 4, 0);
	printf("%s: first epoll_wait(outer) = %d (linux: 1)\n",
	       n == 1 ? "ok" : "MISMATCH", n);
	fails += n != 1;

	/* efd's entry in inner is still queued: nobody harvested inner */
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.u64 = 3;
	int r = epoll_ctl(inner, EPOLL_CTL_MOD, efd, &ev);
	printf("%s: MOD = %d\n", r == 0 ? "ok" : "MISMATCH", r);
	fails += r != 0;

	n = epoll_wait(outer, out, 4, 0);
	printf("%s: epoll_wait(outer) after MOD of a queued entry = %d "
	       "(linux: 0)\n",
	       n == 0 ? "ok" : "MISMATCH", n);
	fails += n != 0;

	/* the inner instance reports the new mask and data */
	n = epoll_wait(inner, out, 4, 0);
	printf("%s: epoll_wait(inner) = %d [%#x:%llu] (linux: 1 [0x5:3])\n",
	       n == 1 && out[0].events == 5 && out[0].data.u64 == 3
		   ? "ok"
		   : "MISMATCH",
	       n, n > 0 ? out[0].events : 0,
	       n > 0 ? (unsigned long long)out[0].data.u64 : 0ull);
	fails += !(n == 1 && out[0].events == 5 && out[0].data.u64 == 3);
	return fails != 0;
}
