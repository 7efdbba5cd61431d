/* Found by scripts/fuzz (seed 3711 with --ops 300, minimised to 51 ops;
 * reduced by hand).
 *
 * Closing the last fd of an epoll instance Z releases it: its entries go,
 * including its watch on X, and the entry of Y watching Z
 * (eventpoll_release). A later ADD of Y into X therefore forms no loop in
 * Linux and succeeds.
 *
 * interpoll's supervisor dies (SIGSEGV: unbounded recursion
 * ep_notify_up -> ep_entry_wakeup -> ep_notify_up ... in syscalls/epoll.c)
 * on that ADD: the ADD passes its loop check, but the closed instance Z is
 * still linked in its tables as a parent of X and a child of Y, so queuing
 * the new (ready) entry walks X -> Z -> Y -> X -> ... forever. Every later
 * intercepted call of the guest fails with ENOSYS. Without the ready
 * entry the ADD succeeds, and the first wake-up that reaches X or Y later
 * (e.g. adding a writable pipe to Y) crashes the same way.
 * Linux: ADD = 0, then epoll_wait(X) = 1. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

int main(void)
{
	int fails = 0;
	int x = epoll_create1(0), y = epoll_create1(0), z = epoll_create1(0);
	int p[2];
	pipe(p);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};
	struct epoll_event out[4];

	epoll_ctl(z, EPOLL_CTL_ADD, x, &ev); /* z watches x */
	epoll_ctl(y, EPOLL_CTL_ADD, z, &ev); /* y watches z */
	ev.events = EPOLLOUT;
	epoll_ctl(y, EPOLL_CTL_ADD, p[1], &ev); /* y is ready */
	close(z); /* z is released: x <- z <- y is gone */
	ev.events = EPOLLIN;
	ev.data.u64 = 2;
	int r = epoll_ctl(x, EPOLL_CTL_ADD, y, &ev);
	printf("%s: epoll_ctl(x, ADD, y) = %d %s (linux: 0)\n",
	       r == 0 ? "ok" : "MISMATCH", r, r ? strerrorname_np(errno) : "");
	fails += r != 0;
	int n = epoll_wait(x, out, 4, 0);
	printf("%s: epoll_wait(x) = %d (linux: 1)\n", n == 1 ? "ok" : "MISMATCH",
	       n);
	fails += n != 1;
	return fails != 0;
}
