/* test_nesting.c: epoll instances inside epoll instances, loops and the
 * depth limit, and EPOLLEXCLUSIVE wake-ups across instances
 * (linux-semantics.md sections 3.4, 4.2 "Nested epoll", 4.4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "fake_platform.h"

/* An outer instance watching a new inner one (outer_events, data 2) that
 * watches a new host file (ready; inner_events, data 1). */
static int nested(int *inner, int *fd, uint32_t ready, uint32_t inner_events,
		  uint32_t outer_events)
{
	*inner = fk_epoll_create();
	int outer = fk_epoll_create();
	*fd = fk_open(ready);
	assert_int_equal(fk_ctl(*inner, CTL_ADD, *fd, inner_events, 1), 0);
	assert_int_equal(fk_ctl(outer, CTL_ADD, *inner, outer_events, 2), 0);
	return outer;
}

/* ---- nesting ---- */

FK_CASE(nested_reports_in_only)
{
	struct fk_event ev[2];
	int inner, fd;
	int outer = nested(&inner, &fd, F_IN | F_OUT, F_IN | F_OUT,
			   F_IN | F_OUT | F_RDNORM);
	/* an instance's poll mask is IN|RDNORM, never OUT */
	assert_int_equal(fk_wait(outer, 2, 0, ev), 1);
	assert_int_equal(ev[0].events, F_IN | F_RDNORM);
	assert_int_equal(ev[0].data, 2);
	/* the inner one still has its event: polling does not consume */
	assert_int_equal(fk_wait(inner, 2, 0, ev), 1);
	assert_int_equal(ev[0].events, F_IN | F_OUT);
	/* OUT only: never */
	assert_int_equal(fk_ctl(outer, CTL_MOD, inner, F_OUT, 3), 0);
	assert_int_equal(fk_wait(outer, 2, 0, ev), 0);
}

FK_CASE(nested_wakeup_propagates)
{
	uint64_t buf;
	int inner, fd;
	int outer = nested(&inner, &fd, 0, F_IN, F_IN);
	uint64_t w = fk_wait_start(outer, 2, -1, &buf);
	fk_raise_answers(w, buf, fd, 2);
}

FK_CASE(nested_out_only_parent_not_woken)
{
	int inner, fd;
	int outer = nested(&inner, &fd, 0, F_IN, F_OUT);
	uint64_t w = fk_wait_start(outer, 2, 10, NULL);
	fk_raise(fd, F_IN);
	assert_false(fk_answered(w));
	fake_advance(10 * MS);
	assert_int_equal(fk_result(w), 0);
}

FK_CASE(nested_consumed_inner_is_stale)
{
	struct fk_event ev[2];
	int inner, fd;
	int outer = nested(&inner, &fd, 0, F_IN | F_ET, F_IN);
	fk_raise(fd, F_IN);
	/* harvest the inner one directly: the outer entry is stale */
	assert_int_equal(fk_wait(inner, 2, 0, ev), 1);
	assert_int_equal(fk_wait(outer, 2, 0, ev), 0);
	/* each new inner wake-up is a new outer event, also for ET */
	assert_int_equal(fk_ctl(outer, CTL_MOD, inner, F_IN | F_ET, 3), 0);
	fk_wake(fd, F_IN);
	assert_int_equal(fk_wait(outer, 2, 0, ev), 1);
	assert_int_equal(fk_wait(outer, 2, 0, ev), 0);
	fk_wake(fd, F_IN);
	assert_int_equal(fk_wait(outer, 2, 0, ev), 1);
}

FK_CASE(nested_poll_drops_stale_inner_entries)
{
	struct fk_event ev[2];
	int inner, fd;
	int outer = nested(&inner, &fd, 0, F_IN, F_IN);
	/* a wake-up that finds the file not ready: queued, stale */
	fk_wake(fd, F_IN);
	/* polling the inner instance (from the outer harvest) drops it */
	assert_int_equal(fk_wait(outer, 2, 0, ev), 0);
	/* so readiness without a wake-up is not seen afterwards */
	fk_set_ready(fd, F_IN);
	assert_int_equal(fk_wait(inner, 2, 0, ev), 0);
}

FK_CASE(nested_wakeup_key_is_in)
{
	struct fk_event ev[2];
	int inner = fk_epoll_create(), outer = fk_epoll_create();
	int fd = fk_open(0);
	assert_int_equal(fk_ctl(inner, CTL_ADD, fd, F_IN, 1), 0);
	/* RDNORM only: the instance's poll mask has it, but its wake-ups
	 * carry the key EPOLLIN, which this entry ignores */
	assert_int_equal(fk_ctl(outer, CTL_ADD, inner, F_RDNORM, 2), 0);
	fk_raise(fd, F_IN);
	assert_int_equal(fk_wait(outer, 2, 0, ev), 0);
	/* MOD polls: queued then, and reported as RDNORM */
	assert_int_equal(fk_ctl(outer, CTL_MOD, inner, F_RDNORM, 3), 0);
	assert_int_equal(fk_wait(outer, 2, 0, ev), 1);
	assert_int_equal(ev[0].events, F_RDNORM);
}

FK_CASE(nested_ready_inner_queued_at_add)
{
	struct fk_event ev[2];
	int inner = fk_epoll_create(), outer = fk_epoll_create();
	int fd = fk_open(F_IN);
	assert_int_equal(fk_ctl(inner, CTL_ADD, fd, F_IN, 1), 0);
	uint64_t w = fk_wait_start(outer, 2, -1, NULL);
	assert_int_equal(fk_ctl(outer, CTL_ADD, inner, F_IN, 2), 0);
	assert_int_equal(fk_result(w), 1);
	/* and an inner ADD of a ready file wakes the outer sleeper */
	int inner2 = fk_epoll_create();
	assert_int_equal(fk_ctl(outer, CTL_ADD, inner2, F_IN, 3), 0);
	assert_int_equal(fk_ctl(outer, CTL_DEL, inner, 0, 0), 0);
	w = fk_wait_start(outer, 2, -1, NULL);
	assert_false(fk_answered(w));
	assert_int_equal(fk_ctl(inner2, CTL_ADD, fd, F_IN, 4), 0);
	assert_int_equal(fk_result(w), 1);
	assert_int_equal(fk_wait(outer, 2, 0, ev), 1);
	assert_int_equal(ev[0].data, 3);
}

FK_CASE(nested_three_levels)
{
	struct fk_event ev[2];
	int e0 = fk_epoll_create(), e1 = fk_epoll_create(),
	    e2 = fk_epoll_create();
	int fd = fk_open(0);
	assert_int_equal(fk_ctl(e2, CTL_ADD, fd, F_IN, 2), 0);
	assert_int_equal(fk_ctl(e1, CTL_ADD, e2, F_IN, 1), 0);
	assert_int_equal(fk_ctl(e0, CTL_ADD, e1, F_IN, 0), 0);
	uint64_t w = fk_wait_start(e0, 2, -1, NULL);
	fk_raise(fd, F_IN);
	assert_int_equal(fk_result(w), 1);
	fk_set_ready(fd, 0);
	assert_int_equal(fk_wait(e0, 2, 0, ev), 0);
}

FK_CASE(loops_are_eloop)
{
	int a = fk_epoll_create(), b = fk_epoll_create(), c = fk_epoll_create();
	assert_int_equal(fk_ctl(a, CTL_ADD, b, F_IN, 0), 0);
	assert_int_equal(fk_ctl(b, CTL_ADD, a, F_IN, 0), -ELOOP);
	assert_int_equal(fk_ctl(b, CTL_ADD, c, F_IN, 0), 0);
	assert_int_equal(fk_ctl(c, CTL_ADD, a, F_IN, 0), -ELOOP);
	int adup = fk_dup(a);
	assert_int_equal(fk_ctl(c, CTL_ADD, adup, F_IN, 0), -ELOOP);
	/* a diamond is not a loop */
	assert_int_equal(fk_ctl(a, CTL_ADD, c, F_IN, 0), 0);
	assert_int_equal(E->n_entries, 3);
	/* ELOOP comes before EEXIST */
	assert_int_equal(fk_ctl(b, CTL_ADD, c, F_IN, 0), -EEXIST);
	assert_int_equal(fk_ctl(c, CTL_ADD, b, F_IN, 0), -ELOOP);
}

FK_CASE(depth_limit_top_down)
{
	int e[7];
	/* e0 > e1 > e2 > e3 > e4: five instances, four links */
	fk_epoll_chain(e, 7, 4);
	/* a fifth link below or above: ELOOP */
	assert_int_equal(fk_ctl(e[4], CTL_ADD, e[5], F_IN, 0), -ELOOP);
	assert_int_equal(fk_ctl(e[5], CTL_ADD, e[0], F_IN, 0), -ELOOP);
	/* a second chain hanging off the middle is fine while short */
	assert_int_equal(fk_ctl(e[2], CTL_ADD, e[5], F_IN, 0), 0);
	assert_int_equal(fk_ctl(e[5], CTL_ADD, e[6], F_IN, 0), 0);
	int f = fk_epoll_create();
	assert_int_equal(fk_ctl(e[6], CTL_ADD, f, F_IN, 0), -ELOOP);
	/* a plain file below the deepest instance is not a link */
	int fd = fk_open(F_IN);
	assert_int_equal(fk_ctl(e[4], CTL_ADD, fd, F_IN, 0), 0);
	struct fk_event ev[1];
	assert_int_equal(fk_wait(e[0], 1, 0, ev), 1);
}

FK_CASE(depth_limit_bottom_up)
{
	int e[6];
	for (int i = 0; i < 6; i++)
		e[i] = fk_epoll_create();
	for (int i = 3; i >= 0; i--)
		assert_int_equal(fk_ctl(e[i], CTL_ADD, e[i + 1], F_IN, 0), 0);
	assert_int_equal(fk_ctl(e[5], CTL_ADD, e[0], F_IN, 0), -ELOOP);
	assert_int_equal(fk_ctl(e[4], CTL_ADD, e[5], F_IN, 0), -ELOOP);
	/* remove a link: the chain may grow at the other end */
	assert_int_equal(fk_ctl(e[0], CTL_DEL, e[1], 0, 0), 0);
	assert_int_equal(fk_ctl(e[4], CTL_ADD, e[5], F_IN, 0), 0);
}

FK_CASE(closing_inner_removes_outer_entry)
{
	struct fk_event ev[2];
	int outer = fk_epoll_create(), inner = fk_epoll_create();
	int fd = fk_open(F_IN);
	assert_int_equal(fk_ctl(inner, CTL_ADD, fd, F_IN, 1), 0);
	assert_int_equal(fk_ctl(outer, CTL_ADD, inner, F_IN, 2), 0);
	assert_int_equal(E->n_entries, 2);
	fk_close(inner);
	/* gone as soon as the file is: nothing reported */
	assert_int_equal(fk_wait(outer, 2, 0, ev), 0);
	/* the number can be reused for a new instance */
	int inner2 = fk_epoll_create();
	assert_int_equal(inner2, inner);
	assert_int_equal(fk_ctl(outer, CTL_ADD, inner2, F_IN, 3), 0);
	/* the sweep frees the old instance and its entries */
	fake_advance(1500 * MS);
	assert_int_equal(E->n_instances, 2);
	assert_int_equal(E->n_entries, 1);
}

/* ---- EPOLLEXCLUSIVE (section 4.4) ---- */

struct excl3 {
	int ep[3];
	int fd;
	uint64_t w[3];
};

static void excl_setup(struct excl3 *x, int waiters)
{
	x->fd = fk_open(0);
	for (int i = 0; i < 3; i++) {
		x->ep[i] = fk_epoll_create();
		assert_int_equal(
		    fk_ctl(x->ep[i], CTL_ADD, x->fd, F_IN | F_EXCLUSIVE, i), 0);
	}
	for (int i = 0; i < 3; i++)
		x->w[i] = (waiters >> i) & 1
			      ? fk_wait_start(x->ep[i], 1, -1, NULL)
			      : 0;
}

FK_CASE(excl_one_wakeup_wakes_one)
{
	struct excl3 x;
	excl_setup(&x, 7);
	fk_file(x.fd)->ready = F_IN;
	emu_batch_begin(E);
	fake_wake(fk_file(x.fd), F_IN);
	int woken = 0;
	for (int i = 0; i < 3; i++)
		woken += fk_answered(x.w[i]);
	assert_int_equal(woken, 1);
	assert_int_equal(fk_result(x.w[0]), 1);
	/* the next wake-up goes to the next instance with a sleeper */
	emu_batch_begin(E);
	fake_wake(fk_file(x.fd), F_IN);
	assert_int_equal(fk_result(x.w[1]), 1);
	assert_false(fk_answered(x.w[2]));
	emu_batch_begin(E);
	fake_wake(fk_file(x.fd), F_IN);
	assert_int_equal(fk_result(x.w[2]), 1);
}

FK_CASE(excl_no_sleepers_all_queued)
{
	struct excl3 x;
	excl_setup(&x, 0);
	fk_raise(x.fd, F_IN);
	for (int i = 0; i < 3; i++)
		assert_int_equal(fk_wait(x.ep[i], 1, 0, NULL), 1);
}

FK_CASE(excl_walk_stops_at_first_sleeper)
{
	struct excl3 x;
	excl_setup(&x, 2); /* only the second instance has a sleeper */
	fk_raise(x.fd, F_IN);
	assert_int_equal(fk_result(x.w[1]), 1);
	/* before it in the walk: queued; after it: nothing */
	assert_int_equal(fk_wait(x.ep[0], 1, 0, NULL), 1);
	assert_int_equal(fk_wait(x.ep[2], 1, 0, NULL), 0);
}

FK_CASE(excl_and_normal_entries)
{
	/* normal entries sit before exclusive ones in the wait queue and
	 * are always woken */
	struct excl3 x;
	excl_setup(&x, 7);
	int normal = fk_epoll_create();
	assert_int_equal(fk_ctl(normal, CTL_ADD, x.fd, F_IN, 9), 0);
	uint64_t wn = fk_wait_start(normal, 1, -1, NULL);
	fk_raise(x.fd, F_IN);
	assert_int_equal(fk_result(wn), 1);
	assert_int_equal(
	    fk_answered(x.w[0]) + fk_answered(x.w[1]) + fk_answered(x.w[2]), 1);
}

FK_CASE(excl_del_leaves_ring)
{
	struct excl3 x;
	excl_setup(&x, 6); /* sleepers on the 2nd and 3rd */
	assert_int_equal(fk_ctl(x.ep[1], CTL_DEL, x.fd, 0, 0), 0);
	fk_raise(x.fd, F_IN);
	assert_false(fk_answered(x.w[1]));
	assert_int_equal(fk_result(x.w[2]), 1);
	assert_int_equal(fk_wait(x.ep[0], 1, 0, NULL), 1);
}

FK_MAIN("nesting", FK_TEST(nested_reports_in_only),
	FK_TEST(nested_wakeup_propagates),
	FK_TEST(nested_out_only_parent_not_woken),
	FK_TEST(nested_consumed_inner_is_stale),
	FK_TEST(nested_poll_drops_stale_inner_entries),
	FK_TEST(nested_wakeup_key_is_in),
	FK_TEST(nested_ready_inner_queued_at_add), FK_TEST(nested_three_levels),
	FK_TEST(loops_are_eloop), FK_TEST(depth_limit_top_down),
	FK_TEST(depth_limit_bottom_up),
	FK_TEST(closing_inner_removes_outer_entry),
	FK_TEST(excl_one_wakeup_wakes_one),
	FK_TEST(excl_no_sleepers_all_queued),
	FK_TEST(excl_walk_stops_at_first_sleeper),
	FK_TEST(excl_and_normal_entries), FK_TEST(excl_del_leaves_ring))
