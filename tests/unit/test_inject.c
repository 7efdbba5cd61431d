/* test_inject.c: --inject's faults come only where Linux could produce
 * them (include/interpoll/engine.h, struct emu_inject), and lose nothing:
 * - eintr: only a wait that would sleep (nothing ready, timeout not 0);
 * - split: only a wait that slept; at least one event; the rest stay
 *   queued, in order;
 * - stale: only level-triggered entries, and only once per harvest;
 * - enospc/enomem: only an ADD that would succeed (EEXIST first);
 * - emfile: only after the flag checks;
 * - delay: a woken waiter is answered late, with what came meanwhile;
 * - the same seed gives the same faults to the same calls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "fake_platform.h"

static void inject(double eintr, double split, double stale, double enospc,
		   double emfile, int64_t delay_ns)
{
	struct emu_inject in = {.seed = 7,
				.eintr = eintr,
				.split = split,
				.stale = stale,
				.enospc = enospc,
				.emfile = emfile,
				.delay_ns = delay_ns};
	assert_int_equal(emu_set_inject(E, &in), 0);
}

FK_CASE(bad_spec_refused)
{
	struct emu_inject in = {.eintr = 1.5};
	assert_int_equal(emu_set_inject(E, &in), -1);
	in.eintr = 0;
	in.delay_ns = -1;
	assert_int_equal(emu_set_inject(E, &in), -1);
}

FK_CASE(eintr_only_when_it_would_sleep)
{
	inject(1, 0, 0, 0, 0, 0);
	int fd;
	int ep = fk_instance(&fd, F_IN, F_IN, 5);
	/* Ready: the events, never EINTR, even at probability 1. */
	struct fk_event ev[4];
	assert_int_equal(fk_wait(ep, 4, 100, ev), 1);
	assert_int_equal(ev[0].data, 5);
	fk_set_ready(fd, 0);
	fk_wait(ep, 4, 0, NULL); /* drops the stale entry */
	/* A zero timeout never sleeps: 0, not EINTR. */
	assert_int_equal(fk_wait(ep, 4, 0, NULL), 0);
	/* Would sleep: EINTR, and counted. */
	assert_int_equal(fk_wait(ep, 4, 100, NULL), -EINTR);
	struct emu_counts c;
	emu_get_counts(E, &c);
	assert_true(c.injected[EMU_INJ_EINTR] >= 1);
	assert_int_equal(E->n_blocked, 0);
}

FK_CASE(split_only_after_a_sleep)
{
	inject(0, 1, 0, 0, 0, 0);
	int ep = fk_epoll_create();
	int fds[6];
	for (int i = 0; i < 6; i++) {
		fds[i] = fk_open(F_IN);
		assert_int_equal(fk_ctl(ep, CTL_ADD, fds[i], F_IN, 10 + i), 0);
	}
	/* Ready as the call begins: all six. */
	struct fk_event ev[8];
	assert_int_equal(fk_wait(ep, 8, 0, ev), 6);
	/* Woken from a sleep: some (at least one), the rest next time, in
	 * order, none lost. */
	int ep2 = fk_epoll_create();
	int gfd[6];
	for (int i = 0; i < 6; i++) {
		gfd[i] = fk_open(0);
		assert_int_equal(fk_ctl(ep2, CTL_ADD, gfd[i], F_IN | F_ET, i),
				 0);
	}
	uint64_t buf;
	uint64_t id = fk_wait_start(ep2, 8, -1, &buf);
	assert_false(fk_answered(id));
	emu_batch_begin(E);
	for (int i = 0; i < 6; i++) {
		fk_set_ready(gfd[i], F_IN);
		fake_wake(fk_file(gfd[i]), F_IN);
	}
	int n = (int)fk_result(id);
	assert_true(n >= 1 && n < 6);
	fk_read_events(buf, n, ev);
	for (int i = 0; i < n; i++)
		assert_int_equal(ev[i].data, i);
	assert_int_equal(fk_wait(ep2, 8, 0, ev), 6 - n);
	for (int i = 0; i < 6 - n; i++)
		assert_int_equal(ev[i].data, n + i);
}

FK_CASE(stale_only_level_triggered)
{
	inject(0, 0, 1, 0, 0, 0);
	int ep = fk_epoll_create();
	int lt = fk_open(0), et = fk_open(0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, lt, F_IN, 1), 0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, et, F_IN | F_ET, 2), 0);
	fk_raise(lt, F_IN);
	fk_raise(et, F_IN);
	fk_set_ready(lt, 0);
	fk_set_ready(et, 0);
	/* Both stale now: the level-triggered one is reported once more,
	 * the edge-triggered one is dropped. */
	struct fk_event ev[4];
	assert_int_equal(fk_wait(ep, 4, 0, ev), 1);
	assert_int_equal(ev[0].data, 1);
	assert_int_equal(ev[0].events, F_IN);
}

FK_CASE(enospc_only_for_an_add_that_would_succeed)
{
	inject(0, 0, 0, 1, 0, 0);
	int ep = fk_epoll_create();
	int fd = fk_open(F_IN);
	assert_int_equal(fk_ctl(ep, CTL_ADD, fd, F_IN, 1), -ENOSPC);
	assert_int_equal(fk_ctl(ep, CTL_ADD, 999, F_IN, 1), -EBADF);
	assert_int_equal(fk_ctl(ep, CTL_ADD, fk_open_regular(), F_IN, 1),
			 -EPERM);
	inject(0, 0, 0, 0, 0, 0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, fd, F_IN, 1), 0);
	inject(0, 0, 0, 1, 0, 0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, fd, F_IN, 1), -EEXIST);
	assert_int_equal(E->n_entries, 1);
}

FK_CASE(emfile_after_the_flag_checks)
{
	inject(0, 0, 0, 0, 1, 0);
	uint64_t id = fk_start(SYS_epoll_create1, 0x1234, 0, 0, 0, 0, 0);
	assert_true(fk_continued(id)); /* EINVAL is the kernel's to give */
	assert_int_equal(fk_sys(SYS_epoll_create1, 0, 0, 0, 0, 0, 0), -EMFILE);
	assert_int_equal(fk_sys(SYS_eventfd2, 0, 0, 0, 0, 0, 0), -EMFILE);
	id = fk_start(SYS_epoll_create, 0, 0, 0, 0, 0, 0);
	assert_true(fk_continued(id)); /* size 0: EINVAL first */
}

FK_CASE(delay_answers_late_with_all_that_came)
{
	inject(0, 0, 0, 0, 0, 10 * MS);
	int ep = fk_epoll_create();
	int a = fk_open(0), b = fk_open(0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, a, F_IN, 1), 0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, b, F_IN, 2), 0);
	uint64_t buf;
	uint64_t id = fk_wait_start(ep, 4, 1000, &buf);
	fk_raise(a, F_IN);
	/* Woken, but not answered yet: a delay in (0, 10 ms]. */
	assert_false(fk_answered(id));
	fk_raise(b, F_IN);
	fake_advance(11 * MS);
	/* Answered by now, with b's event that came meanwhile. */
	assert_int_equal(fk_result(id), 2);
	struct emu_counts c;
	emu_get_counts(E, &c);
	assert_int_equal(c.injected[EMU_INJ_DELAY], 1);
}

/* The same seed, the same program: the same calls get the faults. */
static int eintr_pattern(uint64_t seed, char *out, int n)
{
	struct emu_inject in = {.seed = seed, .eintr = 0.5};
	assert_int_equal(emu_set_inject(E, &in), 0);
	int fd;
	int ep = fk_instance(&fd, 0, F_IN, 1);
	int hits = 0;
	for (int i = 0; i < n; i++) {
		uint64_t buf;
		uint64_t id = fk_wait_start(ep, 4, 1, &buf);
		if (!fk_answered(id))
			fake_advance(2 * MS);
		out[i] = fk_result(id) == -EINTR ? 'x' : '.';
		hits += out[i] == 'x';
	}
	out[n] = 0;
	fk_close(ep);
	fk_close(fd);
	return hits;
}

FK_CASE(same_seed_same_faults)
{
	char a[41], b[41], c[41];
	int ha = eintr_pattern(7, a, 40);
	/* A fresh engine: ordinals and call counts start over. */
	fake_teardown(NULL);
	fake_setup(NULL);
	eintr_pattern(7, b, 40);
	fake_teardown(NULL);
	fake_setup(NULL);
	eintr_pattern(8, c, 40);
	assert_string_equal(a, b);
	assert_true(ha > 5 && ha < 35); /* about half */
	assert_string_not_equal(a, c);
}

FK_MAIN("inject", FK_TEST(bad_spec_refused),
	FK_TEST(eintr_only_when_it_would_sleep),
	FK_TEST(split_only_after_a_sleep), FK_TEST(stale_only_level_triggered),
	FK_TEST(enospc_only_for_an_add_that_would_succeed),
	FK_TEST(emfile_after_the_flag_checks),
	FK_TEST(delay_answers_late_with_all_that_came),
	FK_TEST(same_seed_same_faults))
