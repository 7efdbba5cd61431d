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
#include "fuzzfound.h"

int main(void)
{
	int efd, inner;
	int outer = outer_et_on_ready_inner(&efd, &inner);
	struct epoll_event ev;
	struct epoll_event out[4];

	expect_count("first epoll_wait(outer)", epoll_wait(outer, out, 4, 0),
		     1);

	/* efd's entry in inner is still queued: nobody harvested inner */
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.u64 = 3;
	int r = epoll_ctl(inner, EPOLL_CTL_MOD, efd, &ev);
	printf("%s: MOD = %d\n", r == 0 ? "ok" : "MISMATCH", r);
	fails += r != 0;

	expect_count("epoll_wait(outer) after MOD of a queued entry",
		     epoll_wait(outer, out, 4, 0), 0);

	/* the inner instance reports the new mask and data */
	int n = epoll_wait(inner, out, 4, 0);
	printf("%s: epoll_wait(inner) = %d [%#x:%llu] (linux: 1 [0x5:3])\n",
	       n == 1 && out[0].events == 5 && out[0].data.u64 == 3
		   ? "ok"
		   : "MISMATCH",
	       n, n > 0 ? out[0].events : 0,
	       n > 0 ? (unsigned long long)out[0].data.u64 : 0ull);
	fails += !(n == 1 && out[0].events == 5 && out[0].data.u64 == 3);
	return fails != 0;
}
