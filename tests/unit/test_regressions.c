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

/* ---- poll() sleepers on one instance (section 4.1 step 4, 7.3) ----
 * ep_poll_callback wakes every poll() sleeping on the epoll file
 * (ep->poll_wait); poll_waiters_kick rechecks only the first one. */

FK_CASE(poll_two_pollers_on_one_instance_both_woken)
{
	int fd;
	int ep = fk_instance(&fd, 0, F_IN, 0);
	struct pfd p[] = {{ep, F_IN, 0}};
	uint64_t p1 = put_pfds(p, 1), p2 = put_pfds(p, 1);
	uint64_t a = fk_start(SYS_poll, p1, 1, (uint64_t)-1, 0, 0, 0);
	uint64_t b = fk_start(SYS_poll, p2, 1, (uint64_t)-1, 0, 0, 0);
	assert_int_equal(E->n_blocked, 2);
	fk_raise(fd, F_IN); /* the instance becomes readable */
	assert_int_equal(fk_result(a), 1);
	assert_int_equal(fk_result(b), 1); /* fails: b keeps sleeping */
}

FK_CASE(poll_first_poller_not_interested)
{
	int fd;
	int ep = fk_instance(&fd, 0, F_IN, 0);
	/* the first sleeper asks for OUT, which an instance never has */
	struct pfd out[] = {{ep, F_OUT, 0}}, in[] = {{ep, F_IN, 0}};
	uint64_t a = fk_start(SYS_poll, put_pfds(out, 1), 1, 1000, 0, 0, 0);
	uint64_t b = fk_start(SYS_poll, put_pfds(in, 1), 1, 1000, 0, 0, 0);
	fk_raise(fd, F_IN);
	assert_false(fk_answered(a));
	assert_int_equal(fk_result(b), 1); /* fails: answered 0 at 1 s */
}

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

/* ---- poll with a zero timeout and a pending signal (sections 1.3, 7.3,
 * 8): do_poll's loop checks signals even when it will not sleep; an
 * emulated poll with timeout 0 answers 0 without asking. */
FK_CASE(poll_timeout_zero_with_pending_signal)
{
	int ep = fk_epoll_create();
	struct pfd p[] = {{ep, F_IN, 0}};
	uint64_t pa = put_pfds(p, 1);
	fake_set_signal(fake.next_call_id, PLAT_SIG_HANDLER, 10);
	uint64_t id = fk_start(SYS_poll, pa, 1, 0, 0, 0, 0);
	assert_int_equal(fk_result(id), -EINTR); /* fails: 0 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    FK_TEST(poll_two_pollers_on_one_instance_both_woken),
	    FK_TEST(poll_first_poller_not_interested),
	    FK_TEST(closed_instance_still_counts_for_depth),
	    FK_TEST(closed_instance_still_counts_for_cycles),
	    FK_TEST(excl_second_wakeup_in_same_batch),
	    FK_TEST(excl_siblings_under_other_fd_numbers),
	    FK_TEST(poll_timeout_zero_with_pending_signal),
	};
	return cmocka_run_group_tests_name("regressions", tests, NULL, NULL);
}
