/* Found by scripts/fuzz (seeds 10815 and 10802 with --ops 800; reduced by
 * hand).
 *
 * ep_send_events() walks the ready list one entry at a time: poll it, copy
 * it out, re-queue it. When a copy faults it puts that entry back and
 * stops (EFAULT if it was the first); the entries after it are never
 * polled, so a stale one among them is not dropped and keeps its place.
 *
 * interpoll's harvest polls further than the faulting record: a stale entry
 * behind it is dropped, and when its file becomes ready again it is queued
 * at the tail instead of where it was.
 * Ready list [A, B (stale: its eventfd was read after the wake-up), C]:
 * epoll_wait into a read-only buffer -> EFAULT; then B's eventfd is
 * written again. Linux reports [A B C]; interpoll [A C B]. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
	int fails = 0;
	int a = eventfd(1, EFD_NONBLOCK), b = eventfd(0, EFD_NONBLOCK),
	    c = eventfd(1, EFD_NONBLOCK);
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN}, out[4];
	uint64_t v = 1;
	void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);

	ev.data.u64 = 'A';
	epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev); /* queued */
	ev.data.u64 = 'B';
	epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev);
	write(b, &v, 8);		      /* B queued */
	ev.data.u64 = 'C';
	epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev); /* C queued */
	read(b, &v, 8);			      /* B stale, still queued */

	int n = epoll_wait(ep, ro, 4, 0);
	int e = errno;
	printf("%s: epoll_wait(read-only buffer) = %d %s (linux: -1 EFAULT)\n",
	       n == -1 && e == EFAULT ? "ok" : "MISMATCH", n,
	       n < 0 ? strerrorname_np(e) : "");
	fails += !(n == -1 && e == EFAULT);

	v = 1;
	write(b, &v, 8); /* B ready again: already queued in Linux */
	n = epoll_wait(ep, out, 4, 0);
	char got[64];
	snprintf(got, sizeof(got), "%d [%c %c %c]", n,
		 n > 0 ? (char)out[0].data.u64 : '-',
		 n > 1 ? (char)out[1].data.u64 : '-',
		 n > 2 ? (char)out[2].data.u64 : '-');
	int ok = !strcmp(got, "3 [A B C]");
	printf("%s: epoll_wait = %s (linux: 3 [A B C])\n",
	       ok ? "ok" : "MISMATCH", got);
	fails += !ok;
	return fails != 0;
}
