/* Not a mismatch: a guard written while triaging scripts/fuzz seed 2750
 * (--ops 300), whose mismatch turned out to be a stale wake-up (see
 * stale_wakeup.c, case 3). interpoll gives Linux's answer here; it guards
 * the fix of mod_queued_wakes_parent.c, which must not reach this path.
 *
 * ep_poll_callback wakes the instance's poll waiters (ep->poll_wait: the
 * entries of outer epolls watching it) on every wake-up it accepts, also
 * when the entry is already on the ready list and is not queued again.
 * An outer epoll watching the instance edge-triggered therefore gets a new
 * edge each time. (EPOLL_CTL_MOD is different: ep_modify wakes only when it
 * links the entry; see mod_queued_wakes_parent.c.)
 *
 * Linux: 1 event. */
#define _GNU_SOURCE
#include "fuzzfound.h"

int main(void)
{
	int efd, inner;
	int outer = outer_et_on_ready_inner(&efd, &inner);
	struct epoll_event out[4];
	uint64_t one = 1;

	expect_count("epoll_wait(outer)", epoll_wait(outer, out, 4, 0), 1);
	expect_count("again, no new edge", epoll_wait(outer, out, 4, 0), 0);

	write(efd, &one, 8); /* wakes efd's entry, which is still queued */
	expect_count("epoll_wait(outer) after a wake-up of the queued entry",
		     epoll_wait(outer, out, 4, 0), 1);
	return fails != 0;
}
