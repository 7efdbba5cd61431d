/* test_needs_watch.c: when must wake-ups and timers reach the engine
 * before the next call does (emu_needs_watch)?
 *
 * The supervisor blocks for calls alone while the answer is no
 * (platform/direct.c): whatever it then misses until the next call must
 * matter to no one. So: yes while a call waits in the tables, while the
 * kernel may poll an instance's file for someone (a poll-family call went
 * to the kernel: from then on for good), and while a wait handed to the
 * kernel with a signal pending may sleep there; no for a zero-timeout
 * wait handed to the kernel, which never sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "fake_platform.h"

#define SIGUSR1_ 10

static uint64_t put_mask(uint64_t m)
{
	uint64_t a = fake_alloc(8);
	memcpy(fake_ptr(a), &m, 8);
	return a;
}

FK_CASE(a_waiting_call_needs_watching_until_answered)
{
	int ep = fk_epoll_create();
	int fd = fk_open(0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, fd, F_IN, 5), 0);
	assert_false(emu_needs_watch(E));
	uint64_t buf;
	uint64_t id = fk_wait_start(ep, 4, -1, &buf);
	assert_false(fk_answered(id));
	assert_true(emu_needs_watch(E));
	fk_raise(fd, F_IN); /* a wake-up answers it */
	assert_int_equal(fk_result(id), 1);
	assert_false(emu_needs_watch(E));
	/* A timeout too. */
	fk_set_ready(fd, 0);
	assert_int_equal(fk_wait(ep, 4, 0, NULL), 0);
	id = fk_wait_start(ep, 4, 10, &buf);
	assert_true(emu_needs_watch(E));
	fake_advance(10 * MS);
	assert_int_equal(fk_result(id), 0);
	assert_false(emu_needs_watch(E));
}

FK_CASE(a_zero_timeout_hand_over_does_not)
{
	E->zero_timeout_native = 1;
	int ep = fk_epoll_create();
	uint64_t id =
	    fk_start(SYS_epoll_wait, (uint64_t)ep, fake_alloc(48), 4, 0, 0, 0);
	assert_true(fk_continued(id));
	assert_false(list_empty(&E->holds));
	assert_false(emu_needs_watch(E));
}

FK_CASE(a_wait_that_may_sleep_in_the_kernel_does)
{
	int ep = fk_epoll_create();
	uint64_t buf = fake_alloc(12);
	uint64_t id = fk_start(SYS_epoll_pwait, ep, buf, 1, -1, put_mask(0), 8);
	fake_set_signal(id, PLAT_SIG_HANDLER, SIGUSR1_);
	fake.thread_where = PLAT_THREAD_IN_EPOLL_WAIT;
	fake_advance(1 * MS); /* the signal check hands it over */
	assert_true(fk_continued(id));
	assert_int_equal(E->n_blocked, 0);
	assert_true(emu_needs_watch(E));
	/* Seen elsewhere at a later check: over. */
	fake.thread_where = PLAT_THREAD_ELSEWHERE;
	fake_advance(4 * MS);
	assert_true(list_empty(&E->holds));
	assert_false(emu_needs_watch(E));
}

/* A guest's alarm matters only to calls that wait: it interrupts them. */
FK_CASE(a_guest_timer_alone_does_not)
{
	assert_true(fk_continued(fk_start(SYS_alarm, 5, 0, 0, 0, 0, 0)));
	assert_true(E->timer_at[0] != 0);
	assert_false(emu_needs_watch(E));
	int ep = fk_epoll_create();
	uint64_t buf;
	uint64_t id = fk_wait_start(ep, 4, -1, &buf);
	assert_true(emu_needs_watch(E));
	fake_advance(5000 * MS);       /* the alarm's expiry: a look for it */
	assert_false(fk_answered(id)); /* no signal came in the fake */
	assert_true(emu_needs_watch(E));
}

FK_CASE(a_poll_family_call_does_for_good)
{
	int ep = fk_epoll_create();
	struct pfd p = {.fd = ep, .events = 1};
	assert_true(
	    fk_continued(fk_start(SYS_poll, put_pfds(&p, 1), 1, 0, 0, 0, 0)));
	assert_true(emu_needs_watch(E));
	assert_int_equal(fk_wait(ep, 4, 0, NULL), 0);
	assert_true(emu_needs_watch(E));
}

FK_MAIN("needs_watch", FK_TEST(a_waiting_call_needs_watching_until_answered),
	FK_TEST(a_zero_timeout_hand_over_does_not),
	FK_TEST(a_wait_that_may_sleep_in_the_kernel_does),
	FK_TEST(a_guest_timer_alone_does_not),
	FK_TEST(a_poll_family_call_does_for_good))
