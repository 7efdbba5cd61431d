/* Found by scripts/fuzz (seed 917, minimised to 23 ops; reduced by hand).
 *
 * An epoll file's poll waiters (the entries of outer epolls watching it)
 * hook at the head of its poll_wait queue (ep_ptable_queue_proc,
 * add_wait_queue), so when the inner instance becomes ready the most
 * recently added outer entry is queued first.
 *
 * interpoll's ep_notify_up() walks child->parents in ADD order
 * (ctl_add: list_add_tail(&en->childlink, &child->parents)), so the outer
 * entries come out oldest first.
 * Two entries in one outer epoll for one inner epoll (its fd and a dup),
 * then an eventfd made ready in the inner one: Linux [2 1], interpoll
 * [1 2]. */
#define _GNU_SOURCE
#include "fuzzfound.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

int main(void)
{
	int efd = eventfd(0, EFD_NONBLOCK);
	int inner = epoll_create1(0);
	int inner2 = dup(inner);
	int outer = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 9};
	struct epoll_event out[4];
	uint64_t one = 1;

	epoll_ctl(inner, EPOLL_CTL_ADD, efd, &ev);
	ev.data.u64 = 1;
	epoll_ctl(outer, EPOLL_CTL_ADD, inner, &ev);
	ev.data.u64 = 2;
	epoll_ctl(outer, EPOLL_CTL_ADD, inner2, &ev);
	write(efd, &one, 8);
	int n = epoll_wait(outer, out, 4, 0);
	expect_data2("epoll_wait(outer)", n, out, "2 [2 1]");
	return fails != 0;
}
