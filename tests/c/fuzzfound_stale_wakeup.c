/* fuzzfound_stale_wakeup.c: found by scripts/fuzz (seeds 137 and 132).
 *
 * In Linux a wake-up is an "edge" whatever the file's state: a key-less
 * wake-up (a socket's state change, e.g. the peer's shutdown) queues an
 * entry even when the file is not ready for its mask; the stale entry keeps
 * its place on the ready list and its queuing is an edge for an outer epoll.
 * interpoll does not see wake-ups that find nothing ready: see
 * docs/DIVERGENCES.md "stale-wakeups". */
#include "testlib.h"
#include "testutil.h"

#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

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
	DIVERGENCE("stale-wakeups");
	CHECK_EQ(n, 2);
	CHECK_EQ(out[0].data.u64, 1);
	CHECK_EQ(out[1].data.u64, 2);
	close_fds(ep, efd, sv[0], sv[1]);
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
	CHECK_EQ(n, 1);
	CHECK_EQ(out[0].data.u64, 3);
	n = epoll_wait(outer, out, 4, 0);
	CHECK_EQ(n, 0);
	shutdown(sv[1],
		 SHUT_WR); /* stale wake-up in inner: an edge for outer */
	n = epoll_wait(outer, out, 4, 0);
	DIVERGENCE("stale-wakeups");
	CHECK_EQ(n, 1);
	close_fds(outer, inner, efd, sv[0], sv[1]);
}

int main(void)
{
	RUN(case_position);
	RUN(case_nested_edge);
	return tl_done();
}
