/* test_eventfd.c: eventfd and eventfd2 creation (linux-semantics.md 6.1),
 * and the sweep of their records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "fake_platform.h"

#define EFD_SEMAPHORE_ 1
#define EFD_NONBLOCK_ 04000
#define EFD_CLOEXEC_ 02000000

FK_CASE(eventfd2_flag_validation)
{
	const uint64_t bad[] = {
	    2,		 02 /* O_RDWR */, 02000 /* O_APPEND */,
	    0x80000000u, 1 | 8,		  0100 /* O_CREAT */};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(fk_sys(SYS_eventfd2, 0, bad[i], 0, 0, 0, 0),
				 -EINVAL);
	assert_int_equal(E->n_eventfds, 0);
	assert_null(fake.fds[0].file);
}

FK_CASE(eventfd2_success)
{
	int a = fk_open(0);
	assert_int_equal(a, 0);
	int64_t fd =
	    fk_sys(SYS_eventfd2, 3,
		   EFD_SEMAPHORE_ | EFD_NONBLOCK_ | EFD_CLOEXEC_, 0, 0, 0, 0);
	assert_int_equal(fd, 1);
	assert_true(fake.fds[1].cloexec);
	assert_true(fk_file(1)->is_eventfd);
	assert_int_equal(E->n_eventfds, 1);
	fd = fk_sys(SYS_eventfd2, 0, 0, 0, 0, 0, 0);
	assert_int_equal(fd, 2);
	assert_false(fake.fds[2].cloexec);
	/* the lowest free number */
	fk_close(a);
	assert_int_equal(fk_sys(SYS_eventfd2, 0, EFD_NONBLOCK_, 0, 0, 0, 0), 0);
	assert_int_equal(E->n_eventfds, 3);
}

FK_CASE(eventfd_has_no_flags)
{
	/* eventfd(count) is eventfd2(count, 0): a second argument is not
	 * looked at */
	int64_t fd = fk_sys(SYS_eventfd, 0xffffffffu, 0xdead, 0, 0, 0, 0);
	assert_int_equal(fd, 0);
	assert_false(fake.fds[0].cloexec);
	/* count is an unsigned int: the high half is dropped */
	fd = fk_sys(SYS_eventfd, 0x100000000ull, 0, 0, 0, 0, 0);
	assert_int_equal(fd, 1);
	assert_int_equal(fk_file(1)->ready, F_OUT);
	assert_int_equal(fk_file(0)->ready, F_IN | F_OUT);
}

FK_CASE(eventfd_in_epoll)
{
	struct fk_event ev[2];
	int ep = fk_epoll_create();
	int efd = (int)fk_sys(SYS_eventfd2, 0, 0, 0, 0, 0, 0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, efd, F_IN | F_OUT | F_ET, 1), 0);
	/* ET|IN|OUT on a fresh eventfd reports OUT at once */
	assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
	assert_int_equal(ev[0].events, F_OUT);
	/* a write of 0 wakes with IN: an OUT report */
	fk_wake(efd, F_IN);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
	assert_int_equal(ev[0].events, F_OUT);
	fk_raise(efd, F_IN);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
	assert_int_equal(ev[0].events, F_IN | F_OUT);
}

FK_CASE(eventfd_caller_gone)
{
	fk_call_gone(SYS_eventfd2);
	assert_int_equal(E->n_eventfds, 0);
}

FK_CASE(eventfd_records_swept)
{
	int a = (int)fk_sys(SYS_eventfd2, 0, 0, 0, 0, 0, 0);
	int b = (int)fk_sys(SYS_eventfd2, 0, 0, 0, 0, 0, 0);
	int bd = fk_dup(b);
	fk_close(a);
	fk_close(b);
	assert_int_equal(E->n_eventfds, 2);
	/* no call ever blocks: the sweep still runs */
	assert_true(fake.timer != 0);
	fake_advance(1500 * MS);
	assert_int_equal(E->n_eventfds, 1);
	fk_close(bd);
	fake_advance(1500 * MS);
	assert_int_equal(E->n_eventfds, 0);
	/* nothing left to sweep: the timer is off */
	assert_int_equal(fake.timer, 0);
}

FK_CASE(instances_swept_without_sleepers)
{
	for (int i = 0; i < 50; i++) {
		int ep = fk_epoll_create();
		int fd = fk_open(F_IN);
		assert_int_equal(fk_ctl(ep, CTL_ADD, fd, F_IN, 0), 0);
		assert_int_equal(fk_wait(ep, 1, 0, NULL), 1);
		fk_close(ep);
		fk_close(fd);
	}
	assert_int_equal(E->n_instances, 50);
	fake_advance(1500 * MS);
	assert_int_equal(E->n_instances, 0);
	assert_int_equal(E->n_entries, 0);
}

FK_CASE(sweep_many_dead_entries)
{
	enum { N = 150 };
	int ep = fk_epoll_create();
	int fds[N];
	for (int i = 0; i < N; i++) {
		fds[i] = fk_open(0);
		assert_int_equal(fk_ctl(ep, CTL_ADD, fds[i], F_IN, i), 0);
	}
	int keep = fk_dup(fds[N / 2]);
	for (int i = 0; i < N; i++)
		fk_close(fds[i]);
	fake_advance(1500 * MS);
	assert_int_equal(E->n_entries, 1);
	assert_int_equal(E->n_instances, 1);
	/* the survivor still works */
	fk_raise(keep, F_IN);
	struct fk_event ev[2];
	assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
	assert_int_equal(ev[0].data, N / 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    FK_TEST(eventfd2_flag_validation),
	    FK_TEST(eventfd2_success),
	    FK_TEST(eventfd_has_no_flags),
	    FK_TEST(eventfd_in_epoll),
	    FK_TEST(eventfd_caller_gone),
	    FK_TEST(eventfd_records_swept),
	    FK_TEST(instances_swept_without_sleepers),
	    FK_TEST(sweep_many_dead_entries),
	};
	return cmocka_run_group_tests_name("eventfd", tests, NULL, NULL);
}
