/* test_eventfd.c: the creating calls (eventfd, eventfd2, epoll_create,
 * epoll_create1) go back to the kernel; instances are adopted when a call
 * first names them; the sweep of closed instances. */
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

/* Creation goes to the kernel: its flag checks, its errors, its fd. */
FK_CASE(eventfd_creation_continued)
{
	uint64_t id =
	    fk_start(SYS_eventfd2, 3,
		     EFD_SEMAPHORE_ | EFD_NONBLOCK_ | EFD_CLOEXEC_, 0, 0, 0, 0);
	assert_true(fk_continued(id));
	assert_int_equal(fk_result(id), 0);
	assert_true(fk_file(0)->is_eventfd);
	id = fk_start(SYS_eventfd, 0, 0, 0, 0, 0, 0);
	assert_true(fk_continued(id));
	id = fk_start(SYS_eventfd2, 0, 0100 /* O_CREAT */, 0, 0, 0, 0);
	assert_true(fk_continued(id));
	assert_int_equal(fk_result(id), -EINVAL);
}

FK_CASE(epoll_creation_continued_and_adopted_at_first_use)
{
	uint64_t id = fk_start(SYS_epoll_create1, EFD_CLOEXEC_, 0, 0, 0, 0, 0);
	assert_true(fk_continued(id));
	int ep = (int)fk_result(id);
	id = fk_start(SYS_epoll_create, 0, 0, 0, 0, 0, 0);
	assert_true(fk_continued(id));
	assert_int_equal(fk_result(id), -EINVAL);
	/* nothing is spent on an instance no call names */
	assert_int_equal(E->n_instances, 0);
	assert_null(fk_file(ep)->object);
	assert_int_equal(fk_wait(ep, 1, 0, NULL), 0);
	assert_int_equal(E->n_instances, 1);
	assert_non_null(fk_file(ep)->object);
	/* adopted once: a dup names the same instance */
	int d = fk_dup(ep);
	int fd = fk_open(F_IN);
	assert_int_equal(fk_ctl(d, CTL_ADD, fd, F_IN, 7), 0);
	struct fk_event ev[1];
	assert_int_equal(fk_wait(ep, 1, 0, ev), 1);
	assert_int_equal(ev[0].data, 7);
	assert_int_equal(E->n_instances, 1);
}

/* An instance first named as the target of an ADD is adopted as a child:
 * the nesting rules see it. */
FK_CASE(epoll_adopted_as_child)
{
	int outer = fk_epoll_create();
	int inner = (int)fk_sys(SYS_epoll_create1, 0, 0, 0, 0, 0, 0);
	assert_int_equal(fk_ctl(outer, CTL_ADD, inner, F_IN, 1), 0);
	assert_int_equal(E->n_instances, 2);
	/* a loop back is refused, which needs inner known as ours */
	assert_int_equal(fk_ctl(inner, CTL_ADD, outer, F_IN, 2), -ELOOP);
	int fd = fk_open(0);
	assert_int_equal(fk_ctl(inner, CTL_ADD, fd, F_IN, 3), 0);
	fk_raise(fd, F_IN);
	struct fk_event ev[1];
	assert_int_equal(fk_wait(outer, 1, 0, ev), 1);
	assert_int_equal(ev[0].data, 1);
}

/* The supervisor short of fds to adopt with: the kernel out of memory. */
FK_CASE(epoll_adoption_failure_is_enomem)
{
	int ep = (int)fk_sys(SYS_epoll_create1, 0, 0, 0, 0, 0, 0);
	int fd = fk_open(0);
	fake.adopt_fails = -EMFILE;
	assert_int_equal(fk_ctl(ep, CTL_ADD, fd, F_IN, 0), -ENOMEM);
	assert_int_equal(fk_wait(ep, 1, 0, NULL), -ENOMEM);
	fake.adopt_fails = 0;
	assert_int_equal(fk_ctl(ep, CTL_ADD, fd, F_IN, 0), 0);
	assert_int_equal(E->n_instances, 1);
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

FK_MAIN("eventfd", FK_TEST(eventfd_creation_continued),
	FK_TEST(epoll_creation_continued_and_adopted_at_first_use),
	FK_TEST(epoll_adopted_as_child),
	FK_TEST(epoll_adoption_failure_is_enomem), FK_TEST(eventfd_in_epoll),
	FK_TEST(instances_swept_without_sleepers),
	FK_TEST(sweep_many_dead_entries))
