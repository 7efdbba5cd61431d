/* Found by scripts/fuzz (seed 964, minimised to 26 ops; reduced by hand).
 *
 * When one wake-up hits several entries on the same file, Linux queues
 * them in wait-queue order: each entry hooks at the head of the file's wait
 * queue when it is ADDed (ep_ptable_queue_proc, add_wait_queue), so the
 * most recently added entry comes first. EPOLL_CTL_MOD does not re-hook
 * (ep_modify only polls), so it does not change that order.
 *
 * interpoll's ctl_mod() replaces the entry's watch when the mask changes
 * (plat_watch_modify -> watch_create): the new watch hooks at the head of
 * the file's wait queue, and the modified entry now comes first.
 * Two entries on one pipe (the read end and a dup of it), the first one
 * modified, then a write: Linux [2 1], interpoll [1 2]. */
#define _GNU_SOURCE
#include "fuzzfound.h"

#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

int main(void)
{
	int p[2];
	pipe(p);
	int r2 = dup(p[0]);
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};
	struct epoll_event out[4];

	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
	ev.data.u64 = 2;
	epoll_ctl(ep, EPOLL_CTL_ADD, r2, &ev);
	ev.events = EPOLLIN | EPOLLRDNORM; /* another mask: a new watch */
	ev.data.u64 = 1;
	epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev);
	write(p[1], "x", 1);
	int n = epoll_wait(ep, out, 4, 0);
	expect_data2("epoll_wait after the write", n, out, "2 [2 1]");
	return fails != 0;
}
