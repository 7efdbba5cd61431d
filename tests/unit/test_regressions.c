/* test_regressions.c: bugs once found in syscalls/, kept as tests.
 *
 * Every test here asserts what Linux does (linux-semantics.md, section
 * given in each test); each failed before its fix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "fake_platform.h"

/* ---- closed instances in the loop and depth checks (section 3.4, 3.5) --
 * When the last fd of an instance is closed, Linux releases it and its
 * links at once (eventpoll_release_file). ep_loop_check still walks the
 * dead instance's links until the sweep frees it, so a legal ADD fails
 * with ELOOP for up to a second or more. */

FK_CASE(closed_instance_still_counts_for_depth)
{
	int e[6];
	fk_epoll_chain(e, 6, 4);
	/* close e1: e0 > e1 and e1 > e2 are gone; e2 > e3 > e4 remain */
	fk_close(e[1]);
	assert_int_equal(fk_ctl(e[4], CTL_ADD, e[5], F_IN, 0), 0); /* ELOOP */
}

FK_CASE(closed_instance_still_counts_for_cycles)
{
	int a = fk_epoll_create(), b = fk_epoll_create(), c = fk_epoll_create();
	assert_int_equal(fk_ctl(a, CTL_ADD, b, F_IN, 0), 0);
	assert_int_equal(fk_ctl(b, CTL_ADD, c, F_IN, 0), 0);
	fk_close(b); /* a > b > c is gone with b */
	assert_int_equal(fk_ctl(c, CTL_ADD, a, F_IN, 0), 0); /* ELOOP */
}

/* ---- EPOLLEXCLUSIVE (section 4.4) ---- */

/* Two distinct kernel wake-ups of the file walk its wait queue twice: the
 * second wakes the next instance with a sleeper. ep_entry_wakeup drops
 * every wake-up of a sibling ring after the first one in a batch, and
 * plat_sync (run inside emu_call) delivers the wake-ups a guest caused
 * since the batch started under the same batch number. */
FK_CASE(excl_second_wakeup_in_same_batch)
{
	int fd = fk_open(0);
	int ep[3];
	uint64_t w[3];
	for (int i = 0; i < 3; i++) {
		ep[i] = fk_epoll_create();
		assert_int_equal(
		    fk_ctl(ep[i], CTL_ADD, fd, F_IN | F_EXCLUSIVE, i), 0);
	}
	for (int i = 0; i < 3; i++)
		w[i] = fk_wait_start(ep[i], 1, -1, NULL);
	int other = fk_epoll_create();
	fk_file(fd)->ready = F_IN;
	emu_batch_begin(E);	      /* the supervisor's epoll_wait returned */
	fake_wake(fk_file(fd), F_IN); /* wake-up 1, from a watch event */
	assert_int_equal(fk_result(w[0]), 1);
	/* In the same batch, a notification: a guest thread wrote the file
	 * again (wake-up 2), then called epoll_wait elsewhere. */
	fake_wake_later(fk_file(fd), F_IN);
	assert_int_equal(fk_wait(other, 1, 0, NULL), 0);
	assert_int_equal(fake.n_pending, 0);  /* plat_sync delivered it */
	assert_int_equal(fk_result(w[1]), 1); /* fails: lost */
	assert_false(fk_answered(w[2]));
}

/* Exclusive entries on one file registered under different fd numbers
 * (dup) are siblings in Linux; excl_link finds siblings by fd number
 * only (epoll_ctl.c, a known shortcut not in docs/DIVERGENCES.md). */
FK_CASE(excl_siblings_under_other_fd_numbers)
{
	int fd = fk_open(0);
	int nums[3] = {fd, fk_dup(fd), fk_dup(fd)};
	int ep[3];
	uint64_t w[3];
	for (int i = 0; i < 3; i++) {
		ep[i] = fk_epoll_create();
		assert_int_equal(
		    fk_ctl(ep[i], CTL_ADD, nums[i], F_IN | F_EXCLUSIVE, i), 0);
	}
	for (int i = 0; i < 3; i++)
		w[i] = fk_wait_start(ep[i], 1, -1, NULL);
	fk_raise(fd, F_IN);
	int woken = 0;
	for (int i = 0; i < 3; i++)
		woken += fk_answered(w[i]);
	assert_int_equal(woken, 1); /* fails: 3 */
}

FK_MAIN("regressions", FK_TEST(closed_instance_still_counts_for_depth),
	FK_TEST(closed_instance_still_counts_for_cycles),
	FK_TEST(excl_second_wakeup_in_same_batch),
	FK_TEST(excl_siblings_under_other_fd_numbers))
