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
#include <stdint.h>
#include <stdio.h>
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
	uint64_t one = 1;

	epoll_ctl(inner, EPOLL_CTL_ADD, efd, &ev); /* queued in inner */
	ev.events = EPOLLIN | EPOLLET;
	ev.data.u64 = 2;
	epoll_ctl(outer, EPOLL_CTL_ADD, inner, &ev);
	int n = epoll_wait(outer, out, 4, 0);
	printf("%s: epoll_wait(outer) = %d (linux: 1)\n",
	       n == 1 ? "ok" : "MISMATCH", n);
	fails += n != 1;
	n = epoll_wait(outer, out, 4, 0);
	printf("%s: again, no new edge = %d (linux: 0)\n",
	       n == 0 ? "ok" : "MISMATCH", n);
	fails += n != 0;

	write(efd, &one, 8); /* wakes efd's entry, which is still queued */
	n = epoll_wait(outer, out, 4, 0);
	printf("%s: epoll_wait(outer) after a wake-up of the queued entry = %d "
	       "(linux: 1)\n",
	       n == 1 ? "ok" : "MISMATCH", n);
	fails += n != 1;
	return fails != 0;
}
