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
#include <stdio.h>
#include <string.h>

/* The scenarios, shared with tests/c/fuzzfound_stale_wakeup.c. */
#include "../../c/stale_wakeup_scenarios.h"

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
	struct epoll_event out[4];
	int n = stale_keeps_its_place(out);
	check("stale entry keeps its place", n, out, "2 [0x1:1 0x1:2]");
}

static void case_nested_edge(void)
{
	struct stale_nest s;
	struct epoll_event out[4];

	stale_nest_open(&s, 0); /* sv[0] stored ERR|HUP */
	int n = stale_nest_outer(&s, out);
	check("outer, first", n, out, "1 [0x1:3]");
	n = stale_nest_outer(&s, out);
	check("outer, no new edge", n, out, "0 []");
	shutdown(s.sv[1], SHUT_WR); /* stale wake-up in inner: an edge */
	n = stale_nest_outer(&s, out);
	check("outer after the stale wake-up", n, out, "1 [0x1:3]");
	stale_nest_close(&s);
}

static void case_keyed(void)
{
	struct stale_nest s;
	struct epoll_event out[4];

	stale_nest_open(&s, EPOLLPRI);
	int n = stale_nest_outer(&s, out);
	check("keyed: outer, first", n, out, "1 [0x1:3]");
	write(s.sv[1], "x", 1); /* PRI-keyed wake-up of sv[0]: stale */
	n = stale_nest_outer(&s, out);
	check("keyed: outer after the stale wake-up", n, out, "1 [0x1:3]");
	stale_nest_close(&s);
}

int main(void)
{
	case_position();
	case_nested_edge();
	case_keyed();
	return fails != 0;
}
