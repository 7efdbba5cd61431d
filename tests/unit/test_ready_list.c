/* test_ready_list.c: the readiness engine and the harvest
 * (linux-semantics.md sections 3.3, 4.1, 4.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "fake_platform.h"

static void expect_data(const struct fk_event *ev, int n, const int *want)
{
	for (int i = 0; i < n; i++)
		if (ev[i].data != (uint64_t)want[i])
			fail_msg("event %d: data %llu, want %d", i,
				 (unsigned long long)ev[i].data, want[i]);
}

/* Four LT entries made ready in the order 12, 10, 13, 11 (section 4.2):
 * maxevents=1 gives 12, 10, 13, 11, 12; then maxevents=3 gives
 * [10,13,11], [12,10,13], [11,12,10]. */
FK_CASE(lt_rotation_maxevents_1_then_3)
{
	struct fk_event ev[4];
	int ep = fk_epoll_create();
	int fd[14];
	for (int d = 10; d <= 13; d++) {
		fd[d] = fk_open(0);
		assert_int_equal(fk_ctl(ep, CTL_ADD, fd[d], F_IN, d), 0);
	}
	fk_raise(fd[12], F_IN);
	fk_raise(fd[10], F_IN);
	fk_raise(fd[13], F_IN);
	fk_raise(fd[11], F_IN);
	const int one[] = {12, 10, 13, 11, 12};
	for (int i = 0; i < 5; i++) {
		assert_int_equal(fk_wait(ep, 1, 0, ev), 1);
		assert_int_equal(ev[0].data, one[i]);
		assert_int_equal(ev[0].events, F_IN);
	}
	const int three[3][3] = {{10, 13, 11}, {12, 10, 13}, {11, 12, 10}};
	for (int i = 0; i < 3; i++) {
		assert_int_equal(fk_wait(ep, 3, 0, ev), 3);
		expect_data(ev, 3, three[i]);
	}
}

FK_CASE(lt_rotation_maxevents_3_fresh)
{
	struct fk_event ev[4];
	int ep = fk_epoll_create();
	int fd[14];
	for (int d = 10; d <= 13; d++) {
		fd[d] = fk_open(0);
		assert_int_equal(fk_ctl(ep, CTL_ADD, fd[d], F_IN, d), 0);
	}
	const int order[] = {12, 10, 13, 11};
	for (int i = 0; i < 4; i++)
		fk_raise(fd[order[i]], F_IN);
	/* leftovers first, then the re-queued ones in delivery order */
	const int three[3][3] = {{12, 10, 13}, {11, 12, 10}, {13, 11, 12}};
	for (int i = 0; i < 3; i++) {
		assert_int_equal(fk_wait(ep, 3, 0, ev), 3);
		expect_data(ev, 3, three[i]);
	}
}

FK_CASE(lt_requeued_until_drained)
{
	struct fk_event ev[2];
	int fd;
	int ep = fk_instance(&fd, 0, F_IN, 1);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 0);
	fk_raise(fd, F_IN);
	for (int i = 0; i < 3; i++)
		assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
	/* drained: the harvest drops the entry */
	fk_set_ready(fd, 0);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 0);
	/* ready again without a wake-up: not on the list any more */
	fk_set_ready(fd, F_IN);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 0);
	fk_wake(fd, F_IN);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
}

FK_CASE(et_once_per_wakeup)
{
	struct fk_event ev[2];
	int fd;
	int ep = fk_instance(&fd, 0, F_IN | F_ET, 5);
	fk_raise(fd, F_IN);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
	assert_int_equal(ev[0].events, F_IN);
	/* not again after the harvest, though still readable */
	assert_int_equal(fk_wait(ep, 2, 0, ev), 0);
	/* a new wake-up is a new event even with old data unread */
	fk_wake(fd, F_IN);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 0);
	/* two wake-ups before a harvest: one event */
	fk_wake(fd, F_IN);
	fk_wake(fd, F_IN);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 0);
	/* a wake-up whose data was drained before the harvest: dropped */
	fk_wake(fd, F_IN);
	fk_set_ready(fd, 0);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 0);
	fk_set_ready(fd, F_IN);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 0);
}

FK_CASE(et_mod_of_ready_file_reports)
{
	struct fk_event ev[2];
	int ep = fk_epoll_create();
	int fd = fk_open(F_IN | F_OUT);
	/* ADD of a ready file queues it: ET|IN|OUT reports at once */
	assert_int_equal(fk_ctl(ep, CTL_ADD, fd, F_IN | F_OUT | F_ET, 1), 0);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
	assert_int_equal(ev[0].events, F_IN | F_OUT);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 0);
	assert_int_equal(fk_ctl(ep, CTL_MOD, fd, F_IN | F_ET, 2), 0);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
	assert_int_equal(ev[0].events, F_IN);
	assert_int_equal(ev[0].data, 2);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 0);
}

FK_CASE(oneshot_disarms_and_mod_rearms)
{
	struct fk_event ev[2];
	int fd;
	int ep = fk_instance(&fd, 0, F_IN | F_ONESHOT, 1);
	fk_raise(fd, F_IN);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
	/* disarmed: no re-queue, no new wake-up, not even HUP */
	assert_int_equal(fk_wait(ep, 2, 0, ev), 0);
	fk_wake(fd, F_IN);
	fk_raise(fd, F_HUP);
	fk_raise(fd, F_ERR);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 0);
	/* still in the interest list */
	assert_int_equal(fk_ctl(ep, CTL_ADD, fd, F_IN, 0), -EEXIST);
	/* MOD re-arms and queues a ready file at once */
	assert_int_equal(fk_ctl(ep, CTL_MOD, fd, F_IN | F_ONESHOT, 2), 0);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
	assert_int_equal(ev[0].events, F_IN | F_HUP | F_ERR);
	assert_int_equal(ev[0].data, 2);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 0);
	/* MOD without ONESHOT: level-triggered from now on */
	assert_int_equal(fk_ctl(ep, CTL_MOD, fd, F_IN, 3), 0);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
}

FK_CASE(oneshot_et_combination)
{
	struct fk_event ev[2];
	int fd;
	int ep = fk_instance(&fd, 0, F_IN | F_ONESHOT | F_ET, 1);
	fk_raise(fd, F_IN);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
	fk_wake(fd, F_IN);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 0);
	assert_int_equal(fk_ctl(ep, CTL_MOD, fd, F_IN | F_ONESHOT | F_ET, 2),
			 0);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
	assert_int_equal(ev[0].data, 2);
}

FK_CASE(mod_of_queued_entry_keeps_position)
{
	struct fk_event ev[4];
	int ep = fk_epoll_create();
	int a = fk_open(0), b = fk_open(0), c = fk_open(0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, a, F_IN, 1), 0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, b, F_IN, 2), 0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, c, F_IN, 3), 0);
	fk_raise(a, F_IN);
	fk_raise(b, F_IN);
	fk_raise(c, F_IN);
	fk_set_ready(b, F_IN | F_OUT);
	assert_int_equal(fk_ctl(ep, CTL_MOD, b, F_IN | F_OUT, 22), 0);
	assert_int_equal(fk_wait(ep, 4, 0, ev), 3);
	const int want[] = {1, 22, 3};
	expect_data(ev, 3, want);
	assert_int_equal(ev[1].events, F_IN | F_OUT);
	/* MOD of a queued entry to a mask the file does not meet: it stays
	 * queued but is stale at the harvest */
	assert_int_equal(fk_ctl(ep, CTL_MOD, a, F_PRI, 11), 0);
	assert_int_equal(fk_wait(ep, 4, 0, ev), 2);
	const int want2[] = {22, 3};
	expect_data(ev, 2, want2);
}

FK_CASE(stale_entries_dropped)
{
	struct fk_event ev[4];
	int ep = fk_epoll_create();
	int a = fk_open(0), b = fk_open(0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, a, F_IN, 1), 0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, b, F_IN, 2), 0);
	/* a wake-up whose matching key finds the file not ready (the
	 * callback does not look at the state) */
	fk_wake(a, F_IN);
	fk_raise(b, F_IN);
	fk_expect_data(ep, 2);
	/* a was dropped: becoming ready without a wake-up shows nothing */
	fk_set_ready(b, 0);
	fk_set_ready(a, F_IN);
	assert_int_equal(fk_wait(ep, 4, 0, ev), 0);
}

FK_CASE(key_must_intersect_mask)
{
	struct fk_event ev[2];
	int fd;
	int ep = fk_instance(&fd, 0, F_OUT, 1);
	/* a write: IN-keyed wake-up; the OUT entry ignores it although
	 * the file is also writable */
	fk_set_ready(fd, F_IN | F_OUT);
	fk_wake(fd, F_IN);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 0);
	fk_wake(fd, F_OUT);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
	assert_int_equal(ev[0].events, F_OUT);
	/* no key: matches everything */
	assert_int_equal(fk_ctl(ep, CTL_MOD, fd, F_OUT | F_ET, 2), 0);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
	fk_wake(fd, 0);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
	assert_int_equal(ev[0].data, 2);
}

FK_CASE(err_hup_always_watched)
{
	struct fk_event ev[2];
	int ep = fk_epoll_create();
	int fd = fk_open(0), fd2 = fk_open(0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, fd, 0, 1), 0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, fd2, F_IN, 2), 0);
	fk_raise(fd, F_IN);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 0);
	fk_raise(fd, F_HUP);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
	assert_int_equal(ev[0].events, F_HUP);
	assert_int_equal(ev[0].data, 1);
	fk_set_ready(fd, 0);
	fk_raise(fd2, F_ERR);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
	assert_int_equal(ev[0].events, F_ERR);
	/* RDHUP only when asked for */
	fk_set_ready(fd2, 0);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 0); /* drops both */
	assert_int_equal(fk_ctl(ep, CTL_MOD, fd, F_IN | F_RDHUP, 3), 0);
	assert_int_equal(fk_ctl(ep, CTL_MOD, fd2, F_IN, 4), 0);
	fk_raise(fd, F_IN | F_RDHUP);
	fk_raise(fd2, F_IN | F_RDHUP);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 2);
	assert_int_equal(ev[0].events, F_IN | F_RDHUP);
	assert_int_equal(ev[1].events, F_IN);
}

FK_CASE(reported_mask_is_current)
{
	struct fk_event ev[2];
	int fd;
	int ep = fk_instance(&fd, 0, F_IN | F_OUT, 1);
	fk_set_ready(fd, F_IN | F_OUT);
	fk_wake(fd, F_IN);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
	assert_int_equal(ev[0].events, F_IN | F_OUT);
	fk_set_ready(fd, F_OUT);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
	assert_int_equal(ev[0].events, F_OUT);
}

FK_CASE(wakeup_order_most_recent_first)
{
	struct fk_event ev[4];
	int ep = fk_epoll_create();
	int fd = fk_open(0);
	int d1 = fk_dup(fd), d2 = fk_dup(fd);
	assert_int_equal(fk_ctl(ep, CTL_ADD, fd, F_IN, 1), 0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, d1, F_IN, 2), 0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, d2, F_IN, 3), 0);
	fk_raise(fd, F_IN);
	assert_int_equal(fk_wait(ep, 4, 0, ev), 3);
	const int want[] = {3, 2, 1};
	expect_data(ev, 3, want);
	/* ready at ADD: queued in ADD order */
	int ep2 = fk_epoll_create();
	assert_int_equal(fk_ctl(ep2, CTL_ADD, fd, F_IN, 1), 0);
	assert_int_equal(fk_ctl(ep2, CTL_ADD, d1, F_IN, 2), 0);
	assert_int_equal(fk_ctl(ep2, CTL_ADD, d2, F_IN, 3), 0);
	assert_int_equal(fk_wait(ep2, 4, 0, ev), 3);
	const int want2[] = {1, 2, 3};
	expect_data(ev, 3, want2);
}

FK_CASE(del_removes_from_ready_list)
{
	struct fk_event ev[4];
	int ep = fk_epoll_create();
	int a = fk_open(F_IN), b = fk_open(F_IN);
	assert_int_equal(fk_ctl(ep, CTL_ADD, a, F_IN, 1), 0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, b, F_IN, 2), 0);
	assert_int_equal(fk_ctl(ep, CTL_DEL, a, 0, 0), 0);
	assert_int_equal(fk_wait(ep, 4, 0, ev), 1);
	assert_int_equal(ev[0].data, 2);
	/* a queued entry whose file is closed reports nothing */
	fk_close(b);
	assert_int_equal(fk_wait(ep, 4, 0, ev), 0);
}

FK_CASE(efault_at_harvest_keeps_events)
{
	struct fk_event ev[4];
	int ep = fk_epoll_create();
	int a = fk_open(0), b = fk_open(0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, a, F_IN | F_ET, 1), 0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, b, F_IN | F_ONESHOT, 2), 0);
	fk_raise(a, F_IN);
	fk_raise(b, F_IN);
	/* the buffer is not mapped: EFAULT, nothing consumed */
	assert_int_equal(fk_sys(SYS_epoll_wait, ep, FAKE_BAD_ADDR, 4, 0, 0, 0),
			 -EFAULT);
	assert_int_equal(
	    fk_sys(SYS_epoll_wait, ep, fake_alloc_tail(11), 4, 0, 0, 0),
	    -EFAULT);
	assert_int_equal(fk_wait(ep, 4, 0, ev), 2);
	assert_int_equal(ev[0].data, 1);
	assert_int_equal(ev[1].data, 2);
	assert_int_equal(fk_wait(ep, 4, 0, ev), 0);
	/* nothing ready: an unmapped buffer is fine */
	assert_int_equal(fk_sys(SYS_epoll_wait, ep, FAKE_BAD_ADDR, 4, 0, 0, 0),
			 0);
}

FK_CASE(efault_partial_write_returns_count)
{
	struct fk_event ev[4];
	int ep = fk_epoll_create();
	int fd[3];
	for (int i = 0; i < 3; i++) {
		fd[i] = fk_open(0);
		assert_int_equal(fk_ctl(ep, CTL_ADD, fd[i], F_IN, i + 1), 0);
	}
	for (int i = 0; i < 3; i++)
		fk_raise(fd[i], F_IN);
	/* room for two records and a half */
	uint64_t buf = fake_alloc_tail(2 * 12 + 6);
	assert_int_equal(fk_sys(SYS_epoll_wait, ep, buf, 3, 0, 0, 0), 2);
	fk_read_events(buf, 2, ev);
	assert_int_equal(ev[0].data, 1);
	assert_int_equal(ev[1].data, 2);
	/* the one that did not fit is first, then the re-queued ones */
	assert_int_equal(fk_wait(ep, 4, 0, ev), 3);
	const int want[] = {3, 1, 2};
	expect_data(ev, 3, want);
}

FK_CASE(efault_partial_write_et)
{
	struct fk_event ev[4];
	int ep = fk_epoll_create();
	int fd[3];
	for (int i = 0; i < 3; i++) {
		fd[i] = fk_open(0);
		assert_int_equal(fk_ctl(ep, CTL_ADD, fd[i], F_IN | F_ET, i + 1),
				 0);
	}
	for (int i = 0; i < 3; i++)
		fk_raise(fd[i], F_IN);
	uint64_t buf = fake_alloc_tail(12);
	assert_int_equal(fk_sys(SYS_epoll_wait, ep, buf, 3, 0, 0, 0), 1);
	assert_int_equal(fk_wait(ep, 4, 0, ev), 2);
	assert_int_equal(ev[0].data, 2);
	assert_int_equal(ev[1].data, 3);
	assert_int_equal(fk_wait(ep, 4, 0, ev), 0);
}

FK_CASE(read_only_buffer_efault)
{
	struct fk_event ev[2];
	int fd;
	int ep = fk_instance(&fd, F_IN, F_IN | F_ONESHOT, 1);
	uint64_t buf = fake_alloc(24);
	fake.ro_lo = buf;
	fake.ro_hi = buf + 24;
	assert_int_equal(fk_sys(SYS_epoll_wait, ep, buf, 2, 0, 0, 0), -EFAULT);
	fake.ro_lo = fake.ro_hi = 0;
	assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
}

FK_CASE(large_harvest)
{
	enum { N = 300 };
	static struct fk_event ev[N];
	int ep = fk_epoll_create();
	for (int i = 0; i < N; i++) {
		int fd = fk_open(F_IN);
		assert_int_equal(fk_ctl(ep, CTL_ADD, fd, F_IN, i), 0);
	}
	assert_int_equal(fk_wait(ep, N, 0, ev), N);
	for (int i = 0; i < N; i++)
		assert_int_equal(ev[i].data, i);
	assert_int_equal(fk_wait(ep, 200, 0, ev), 200);
	for (int i = 0; i < 200; i++)
		assert_int_equal(ev[i].data, i);
	assert_int_equal(fk_wait(ep, N, 0, ev), N);
	for (int i = 0; i < 100; i++)
		assert_int_equal(ev[i].data, 200 + i);
	for (int i = 0; i < 200; i++)
		assert_int_equal(ev[100 + i].data, i);
}

FK_MAIN("ready_list", FK_TEST(lt_rotation_maxevents_1_then_3),
	FK_TEST(lt_rotation_maxevents_3_fresh),
	FK_TEST(lt_requeued_until_drained), FK_TEST(et_once_per_wakeup),
	FK_TEST(et_mod_of_ready_file_reports),
	FK_TEST(oneshot_disarms_and_mod_rearms),
	FK_TEST(oneshot_et_combination),
	FK_TEST(mod_of_queued_entry_keeps_position),
	FK_TEST(stale_entries_dropped), FK_TEST(key_must_intersect_mask),
	FK_TEST(err_hup_always_watched), FK_TEST(reported_mask_is_current),
	FK_TEST(wakeup_order_most_recent_first),
	FK_TEST(del_removes_from_ready_list),
	FK_TEST(efault_at_harvest_keeps_events),
	FK_TEST(efault_partial_write_returns_count),
	FK_TEST(efault_partial_write_et), FK_TEST(read_only_buffer_efault),
	FK_TEST(large_harvest))
