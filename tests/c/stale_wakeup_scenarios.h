/* stale_wakeup_scenarios.h: the scenarios of the stale wake-up that
 * scripts/fuzz found (seeds 137, 132 and 2750), shared by the regression
 * test tests/c/fuzzfound_stale_wakeup.c and the standalone reproduction
 * tests/fuzz/repro/stale_wakeup.c, which explains them and adds the keyed
 * case. Each function runs the calls; the caller checks the results.
 *
 * A key-less wake-up (a socket's state change, e.g. the peer's shutdown)
 * queues an entry even when the file is not ready for its mask; so does a
 * keyed one whose key matches the mask but not the file's state. */
#ifndef INTERPOLL_STALE_WAKEUP_SCENARIOS_H
#define INTERPOLL_STALE_WAKEUP_SCENARIOS_H

#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

/* Seed 137: an entry with events=0 (stored ERR|HUP) on a unix stream
 * socket (data 1) gets the key-less wake-up of the peer's shutdown(SHUT_WR);
 * an eventfd entry (data 2) is queued after it; MOD of the socket's entry
 * to EPOLLIN makes it ready where it is. Returns the harvest's count, the
 * events in out. */
static inline int stale_keeps_its_place(struct epoll_event out[4])
{
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	int efd = eventfd(0, EFD_NONBLOCK);
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = 0, .data.u64 = 1};
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
	close(ep);
	close(efd);
	close(sv[0]);
	close(sv[1]);
	return n;
}

/* Seeds 132 and 2750: an inner epoll with a readable eventfd (data 1) and
 * a unix stream socket sv[0] watched for sock_events (data 2), watched by
 * an outer epoll edge-triggered (data 3). */
struct stale_nest {
	int sv[2];
	int efd, inner, outer;
};

static inline void stale_nest_open(struct stale_nest *s, uint32_t sock_events)
{
	socketpair(AF_UNIX, SOCK_STREAM, 0, s->sv);
	s->efd = eventfd(1, EFD_NONBLOCK); /* readable */
	s->inner = epoll_create1(0);
	s->outer = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};

	epoll_ctl(s->inner, EPOLL_CTL_ADD, s->efd, &ev);
	ev.events = sock_events;
	ev.data.u64 = 2;
	epoll_ctl(s->inner, EPOLL_CTL_ADD, s->sv[0], &ev);
	ev.events = EPOLLIN | EPOLLET;
	ev.data.u64 = 3;
	epoll_ctl(s->outer, EPOLL_CTL_ADD, s->inner, &ev);
}

/* Harvest the outer instance (timeout 0). */
static inline int stale_nest_outer(struct stale_nest *s,
				   struct epoll_event out[4])
{
	return epoll_wait(s->outer, out, 4, 0);
}

static inline void stale_nest_close(struct stale_nest *s)
{
	close(s->outer);
	close(s->inner);
	close(s->efd);
	close(s->sv[0]);
	close(s->sv[1]);
}

#endif
