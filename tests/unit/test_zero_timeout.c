/* test_zero_timeout.c: epoll_wait(0) handed to the kernel (sighold.c).
 *
 * With nothing queued on any instance, the kernel's own epoll_wait on the
 * guest's file answers exactly: 0 events for one of ours (its anchor is
 * dark), its own errors for anything else. Until the caller is seen again
 * no anchor the call may be looking at is lit: the first time something
 * is to show readable, the instance the call named is found and held
 * dark; every other one shows at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "fake_platform.h"

static void on(void)
{
	E->zero_timeout_native = 1;
}

static uint64_t zero_wait(int nr, int epfd)
{
	return fk_start(nr, (uint64_t)epfd, fake_alloc(48), 4, 0, 0, 0);
}

static int shown(int epfd)
{
	return fk_file(epfd)->shown;
}

FK_CASE(handed_over_when_nothing_is_queued)
{
	on();
	int ep = fk_epoll_create();
	assert_true(fk_continued(zero_wait(SYS_epoll_wait, ep)));
	assert_true(fk_continued(zero_wait(SYS_epoll_pwait, ep)));
	/* Whatever the fd is: the kernel's errors are the kernel's. */
	assert_true(fk_continued(zero_wait(SYS_epoll_wait, 999)));
	/* epoll_pwait2's timeout is in guest memory: the kernel would read
	 * it again, so it stays in the tables. */
	uint64_t ts = fake_alloc(16);
	memset(fake_ptr(ts), 0, 16);
	assert_int_equal(
	    fk_sys(SYS_epoll_pwait2, (uint64_t)ep, fake_alloc(48), 4, ts, 0, 0),
	    0);
	/* A wait that may sleep stays in the tables. */
	uint64_t buf;
	uint64_t id = fk_wait_start(ep, 4, 10, &buf);
	assert_false(fk_answered(id));
	fake_advance(10 * MS);
	assert_int_equal(fk_result(id), 0);
}

FK_CASE(tables_answer_while_anything_is_queued)
{
	on();
	int fd;
	int busy = fk_instance(&fd, F_IN, F_IN, 7);
	int idle = fk_epoll_create();
	assert_int_equal(E->n_queued, 1);
	uint64_t id = zero_wait(SYS_epoll_wait, idle);
	assert_false(fk_continued(id));
	assert_int_equal(fk_result(id), 0);
	fk_expect_data(busy, 7);
	/* Injection decides in the tables too. */
	fk_set_ready(fd, 0);
	assert_int_equal(fk_wait(busy, 4, 0, NULL), 0); /* drops it */
	assert_int_equal(E->n_queued, 0);
	E->inj.on = 1;
	id = zero_wait(SYS_epoll_wait, idle);
	E->inj.on = 0;
	assert_false(fk_continued(id));
}

FK_CASE(a_file_left_readable_goes_dark_first)
{
	on();
	int fd;
	int ep = fk_instance(&fd, 0, F_IN, 1);
	fk_raise(fd, F_IN);
	emu_publish(E);
	assert_true(shown(ep));
	fk_set_ready(fd, 0);
	assert_int_equal(fk_wait(ep, 4, 0, NULL), 0); /* stale: dropped */
	emu_publish(E);
	assert_true(shown(ep)); /* made dark only when something looks */
	assert_true(fk_continued(zero_wait(SYS_epoll_wait, ep)));
	assert_false(shown(ep));
}

FK_CASE(named_instance_held_until_caller_seen)
{
	on();
	int fa, fb;
	int a = fk_instance(&fa, 0, F_IN, 1);
	int b = fk_instance(&fb, 0, F_IN, 2);
	assert_true(fk_continued(zero_wait(SYS_epoll_wait, a)));
	/* The continued call may not have run yet: a stays dark, b (which
	 * it does not name) shows at once. */
	fk_raise(fa, F_IN);
	fk_raise(fb, F_IN);
	emu_publish(E);
	assert_false(shown(a));
	assert_true(shown(b));
	/* The same thread's next call: the kernel's wait is over. */
	fk_expect_data(b, 2);
	emu_publish(E);
	assert_true(shown(a));
	fk_expect_data(a, 1);
}

FK_CASE(hold_of_a_non_instance_ends_at_once)
{
	on();
	int fa;
	int a = fk_instance(&fa, 0, F_IN, 1);
	int plain = fk_open(0);
	assert_true(fk_continued(zero_wait(SYS_epoll_wait, plain)));
	fk_raise(fa, F_IN);
	emu_publish(E);
	assert_true(shown(a));
}

/* An instance named by a zero-timeout call handed over, then made ready:
 * it stays dark. */
static int held_instance(int nr)
{
	on();
	int fa;
	int a = fk_instance(&fa, 0, F_IN, 1);
	assert_true(fk_continued(zero_wait(nr, a)));
	fk_raise(fa, F_IN);
	emu_publish(E);
	assert_false(shown(a));
	return a;
}

FK_CASE(hold_ends_when_the_thread_is_elsewhere)
{
	int a = held_instance(SYS_epoll_pwait);
	/* The thread never calls again: it is seen asleep in something
	 * else, so the kernel's wait is over. */
	fake.thread_where = PLAT_THREAD_ELSEWHERE;
	fake_advance(2 * MS);
	emu_publish(E);
	assert_true(shown(a));
}

FK_CASE(running_thread_held_for_a_while_only)
{
	int a = held_instance(SYS_epoll_wait);
	fake.thread_where = PLAT_THREAD_RUNNING;
	fake_advance(2 * MS);
	emu_publish(E);
	assert_false(shown(a));
	fake_advance(100 * MS);
	emu_publish(E);
	assert_true(shown(a));
}

FK_CASE(running_thread_released_by_its_cpu_time)
{
	int a = held_instance(SYS_epoll_wait);
	fake.thread_where = PLAT_THREAD_RUNNING;
	fake.cpu_ns = 5 * MS;
	fake_advance(2 * MS); /* first look: the thread's clock noted */
	emu_publish(E);
	assert_false(shown(a));
	fake.cpu_ns += MS / 2; /* preempted inside the call, perhaps */
	fake_advance(4 * MS);
	emu_publish(E);
	assert_false(shown(a));
	fake.cpu_ns += MS; /* ran 1.5 ms since: the call is long over */
	fake_advance(8 * MS);
	emu_publish(E);
	assert_true(shown(a));
}

FK_MAIN("zero_timeout", FK_TEST(handed_over_when_nothing_is_queued),
	FK_TEST(tables_answer_while_anything_is_queued),
	FK_TEST(a_file_left_readable_goes_dark_first),
	FK_TEST(named_instance_held_until_caller_seen),
	FK_TEST(hold_of_a_non_instance_ends_at_once),
	FK_TEST(hold_ends_when_the_thread_is_elsewhere),
	FK_TEST(running_thread_held_for_a_while_only),
	FK_TEST(running_thread_released_by_its_cpu_time))
