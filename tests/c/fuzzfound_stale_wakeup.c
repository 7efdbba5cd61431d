/* fuzzfound_stale_wakeup.c: found by scripts/fuzz (seeds 137 and 132).
 *
 * In Linux a wake-up is an "edge" whatever the file's state: a key-less
 * wake-up (a socket's state change, e.g. the peer's shutdown) queues an
 * entry even when the file is not ready for its mask; the stale entry keeps
 * its place on the ready list and its queuing is an edge for an outer epoll.
 * interpoll does not see wake-ups that find nothing ready: see
 * docs/DIVERGENCES.md "stale-wakeups". The scenarios are shared with
 * tests/fuzz/repro/stale_wakeup.c (stale_wakeup_scenarios.h). */
#include "testlib.h"

#include "stale_wakeup_scenarios.h"

static void case_position(void)
{
	struct epoll_event out[4];
	int n = stale_keeps_its_place(out);
	DIVERGENCE("stale-wakeups");
	CHECK_EQ(n, 2);
	CHECK_EQ(out[0].data.u64, 1);
	CHECK_EQ(out[1].data.u64, 2);
}

static void case_nested_edge(void)
{
	struct stale_nest s;
	struct epoll_event out[4];

	stale_nest_open(&s, 0); /* sv[0] stored ERR|HUP */
	int n = stale_nest_outer(&s, out);
	CHECK_EQ(n, 1);
	CHECK_EQ(out[0].data.u64, 3);
	n = stale_nest_outer(&s, out);
	CHECK_EQ(n, 0);
	shutdown(s.sv[1], SHUT_WR); /* stale wake-up in inner: an edge */
	n = stale_nest_outer(&s, out);
	DIVERGENCE("stale-wakeups");
	CHECK_EQ(n, 1);
	stale_nest_close(&s);
}

int main(void)
{
	RUN(case_position);
	RUN(case_nested_edge);
	return tl_done();
}
