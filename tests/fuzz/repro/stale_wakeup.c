/* Found by scripts/fuzz (seeds 137 and 132; reduced by hand).
 *
 * In Linux a wake-up is an "edge" whatever the file's state:
 * ep_poll_callback does not poll, so a key-less wake-up (sk_state_change,
 * e.g. the peer's shutdown) queues an entry even when the file is not
 * ready for the entry's mask. The stale entry sits on the ready list until
 * a harvest drops it, and queuing it wakes the instance's poll waiters
 * (nested epolls).
 *
 * interpoll never sees such a wake-up: each entry's watch is a kernel epoll
 * registered with the entry's mask, and the supervisor's main epoll, which
 * watches the watch, re-polls it, finds nothing ready and drops it.
 *
 * Case 1 (seed 137): the stale entry keeps its place. An entry with
 * events=0 (stored ERR|HUP) on a unix stream socket gets the key-less
 * wake-up of the peer's shutdown(SHUT_WR) (readable, no HUP). An eventfd
 * entry is queued after it. MOD of the socket's entry to EPOLLIN makes it
 * ready where it is (ep_modify does not move a queued entry): Linux reports
 * the socket first, interpoll the eventfd first.
 *
 * Case 2 (seed 132): the stale wake-up of an inner epoll is an edge for an
 * outer epoll watching it edge-triggered. The inner instance has another,
 * really ready entry, so the outer harvest finds the inner one readable:
 * Linux reports it, interpoll reports nothing.
 *
 * Case 3 (seed 2750 with --ops 300): the same with a keyed wake-up. Data
 * arriving on a socket wakes it with sock_def_readable's key
 * IN|PRI|RDNORM|RDBAND; an entry watching EPOLLPRI only matches the key
 * although unix_poll never reports PRI: a stale wake-up. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

static int fails;

static void check(const char *name, int n, const struct epoll_event *out,
		  const char *want)
{
	char got[128];
	int k = snprintf(got, sizeof(got), "%d [", n);
	for (int i = 0; i < n; i++)
		k += snprintf(got + k, sizeof(got) - k, "%s%#x:%llu",
			      i ? " " : "", out[i].events,
			      (unsigned long long)out[i].data.u64);
	snprintf(got + k, sizeof(got) - k, "]");
	int ok = !strcmp(got, want);
	fails += !ok;
	printf("%s: %s: %s (linux: %s)\n", ok ? "ok" : "MISMATCH", name, got,
	       want);
}

static void case_position(void)
{
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	int efd = eventfd(0, EFD_NONBLOCK);
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = 0, .data.u64 = 1};
	struct epoll_event out[4];
	uint64_t one = 1;

	epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev); /* stored ERR|HUP */
	ev.events = EPOLLIN;
	ev.data.u64 = 2;
	epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
	shutdown(sv[1], SHUT_WR); /* key-less wake-up of sv[0]: queued, stale */
	write(efd, &one, 8);	  /* efd queued behind it */
	ev.events = EPOLLIN;
	ev.data.u64 = 1;
	epoll_ctl(ep, EPOLL_CTL_MOD, sv[0], &ev); /* ready, keeps its place */
	int n = epoll_wait(ep, out, 4, 0);
	check("stale entry keeps its place", n, out, "2 [0x1:1 0x1:2]");
	close(ep);
	close(efd);
	close(sv[0]);
	close(sv[1]);
}

static void case_nested_edge(void)
{
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	int efd = eventfd(1, EFD_NONBLOCK); /* readable */
	int inner = epoll_create1(0);
	int outer = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};
	struct epoll_event out[4];

	epoll_ctl(inner, EPOLL_CTL_ADD, efd, &ev);
	ev.events = 0;
	ev.data.u64 = 2;
	epoll_ctl(inner, EPOLL_CTL_ADD, sv[0], &ev); /* stored ERR|HUP */
	ev.events = EPOLLIN | EPOLLET;
	ev.data.u64 = 3;
	epoll_ctl(outer, EPOLL_CTL_ADD, inner, &ev);
	int n = epoll_wait(outer, out, 4, 0);
	check("outer, first", n, out, "1 [0x1:3]");
	n = epoll_wait(outer, out, 4, 0);
	check("outer, no new edge", n, out, "0 []");
	shutdown(sv[1], SHUT_WR); /* stale wake-up in inner: an edge for outer */
	n = epoll_wait(outer, out, 4, 0);
	check("outer after the stale wake-up", n, out, "1 [0x1:3]");
}

static void case_keyed(void)
{
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	int efd = eventfd(1, EFD_NONBLOCK); /* readable */
	int inner = epoll_create1(0);
	int outer = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};
	struct epoll_event out[4];

	epoll_ctl(inner, EPOLL_CTL_ADD, efd, &ev);
	ev.events = EPOLLPRI;
	ev.data.u64 = 2;
	epoll_ctl(inner, EPOLL_CTL_ADD, sv[0], &ev);
	ev.events = EPOLLIN | EPOLLET;
	ev.data.u64 = 3;
	epoll_ctl(outer, EPOLL_CTL_ADD, inner, &ev);
	int n = epoll_wait(outer, out, 4, 0);
	check("keyed: outer, first", n, out, "1 [0x1:3]");
	write(sv[1], "x", 1); /* PRI-keyed wake-up of sv[0]: stale */
	n = epoll_wait(outer, out, 4, 0);
	check("keyed: outer after the stale wake-up", n, out, "1 [0x1:3]");
}

int main(void)
{
	case_position();
	case_nested_edge();
	case_keyed();
	return fails != 0;
}
