/* test_epoll_wait.c: epoll_wait, epoll_pwait, epoll_pwait2: checks,
 * blocking, deadlines, signals, several waiters, and the sweep
 * (linux-semantics.md sections 1.3, 1.4, 4.3, 5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "fake_platform.h"

#define EP_MAX_EVENTS_ 178956970
#define SIGUSR1_ 10

static uint64_t put_bytes(const void *p, size_t n)
{
	uint64_t a = fake_alloc(n);
	memcpy(fake_ptr(a), p, n);
	return a;
}

static uint64_t put_ts(int64_t sec, int64_t nsec)
{
	int64_t ts[2] = {sec, nsec};
	return put_bytes(ts, sizeof(ts));
}

static uint64_t put_mask(uint64_t m)
{
	return put_bytes(&m, 8);
}

/* ---- checks (section 5.1) ---- */

FK_CASE(wait_check_order)
{
	int ep = fk_epoll_create();
	int other = fk_open(F_IN);
	uint64_t buf = fake_alloc(120);
	/* EBADF before maxevents */
	assert_int_equal(fk_sys(SYS_epoll_wait, 77, buf, 0, 0, 0, 0), -EBADF);
	assert_int_equal(fk_sys(SYS_epoll_wait, (uint64_t)-1, buf, 1, 0, 0, 0),
			 -EBADF);
	int po = fk_dup(ep);
	fk_set_opath(po);
	assert_int_equal(fk_sys(SYS_epoll_wait, po, buf, 1, 0, 0, 0), -EBADF);
	/* maxevents */
	assert_int_equal(fk_sys(SYS_epoll_wait, ep, buf, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(fk_sys(SYS_epoll_wait, ep, buf, (uint64_t)-1, 0, 0, 0),
			 -EINVAL);
	assert_int_equal(
	    fk_sys(SYS_epoll_wait, ep, buf, EP_MAX_EVENTS_ + 1, 0, 0, 0),
	    -EINVAL);
	/* a non-epoll fd: maxevents first, then the range, then EINVAL */
	assert_int_equal(fk_sys(SYS_epoll_wait, other, buf, 0, 0, 0, 0),
			 -EINVAL);
	assert_int_equal(
	    fk_sys(SYS_epoll_wait, other, 0xffff800000000000ull, 1, 0, 0, 0),
	    -EFAULT);
	assert_int_equal(fk_sys(SYS_epoll_wait, other, buf, 1, 0, 0, 0),
			 -EINVAL);
	/* the range check is against the user limit only */
	assert_int_equal(
	    fk_sys(SYS_epoll_wait, ep, 0x7fffffffeff5ull, 1, 0, 0, 0), -EFAULT);
	assert_int_equal(
	    fk_sys(SYS_epoll_wait, ep, 0x7fffffffeff4ull, 1, 0, 0, 0), 0);
	assert_int_equal(fk_sys(SYS_epoll_wait, ep, 0, EP_MAX_EVENTS_, 0, 0, 0),
			 0);
	assert_int_equal(E->n_blocked, 0);
}

FK_CASE(timeout_zero_returns_at_once)
{
	int fd;
	int ep = fk_instance(&fd, 0, F_IN, 0);
	assert_int_equal(fk_wait(ep, 4, 0, NULL), 0);
	assert_int_equal(E->n_blocked, 0);
	/* timeout 0 never looks at signals */
	fake_set_signal(fake.next_call_id, PLAT_SIG_HANDLER, SIGUSR1_);
	assert_int_equal(fk_wait(ep, 4, 0, NULL), 0);
}

/* epoll_wait(0) is always answered from the tables, never by the kernel:
 * the kernel's epoll_wait on an instance's file would report its anchor
 * (plat_epoll_readable), not its events. */
FK_CASE(timeout_zero_always_answered_here)
{
	int ep = fk_epoll_create();
	int ep2 = fk_epoll_create();
	int fd = fk_open(0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, fd, F_IN, 7), 0);
	uint64_t buf;
	uint64_t id = fk_wait_start(ep, 4, 0, &buf);
	assert_false(fk_continued(id));
	assert_int_equal(fk_result(id), 0);
	id = fk_wait_start(-1, 4, 0, &buf);
	assert_false(fk_continued(id));
	assert_int_equal(fk_result(id), -EBADF);
	fk_raise(fd, F_IN);
	assert_int_equal(E->n_queued, 1);
	assert_int_equal(fk_wait(ep2, 4, 0, NULL), 0);
	struct fk_event ev[4];
	assert_int_equal(fk_wait(ep, 4, 0, ev), 1);
	assert_int_equal(ev[0].data, 7);
	fk_set_ready(fd, 0);
	/* The level-triggered entry was queued again; the next harvest
	 * drops it as stale. */
	assert_int_equal(fk_wait(ep, 4, 0, NULL), 0);
	assert_int_equal(E->n_queued, 0);
}

/* ---- blocking ---- */

FK_CASE(blocked_wait_answered_by_wakeup)
{
	uint64_t buf;
	int fd;
	int ep = fk_instance(&fd, 0, F_IN, 0x55);
	uint64_t id = fk_wait_start(ep, 4, -1, &buf);
	assert_false(fk_answered(id));
	assert_int_equal(E->n_blocked, 1);
	assert_true(fake.timer != 0); /* the signal check */
	fake_advance(50 * MS);
	fk_raise_answers(id, buf, fd, 0x55);
	assert_int_equal(E->n_blocked, 0);
}

FK_CASE(blocked_wait_answered_by_ctl)
{
	int ep = fk_epoll_create();
	int fd = fk_open(F_IN);
	uint64_t id = fk_wait_start(ep, 4, -1, NULL);
	assert_false(fk_answered(id));
	/* ADD of a ready file wakes the sleeper */
	assert_int_equal(fk_ctl(ep, CTL_ADD, fd, F_OUT, 1), 0);
	assert_false(fk_answered(id));
	assert_int_equal(fk_ctl(ep, CTL_MOD, fd, F_IN, 2), 0);
	assert_int_equal(fk_result(id), 1);
}

FK_CASE(blocked_wait_times_out)
{
	int fd;
	int ep = fk_instance(&fd, 0, F_IN, 0);
	uint64_t id = fk_wait_start(ep, 4, 10, NULL);
	int64_t start = fake.now;
	fake_advance(10 * MS - 1);
	assert_false(fk_answered(id));
	fake_advance(1);
	assert_int_equal(fk_result(id), 0);
	assert_int_equal(fake.now - start, 10 * MS);
	assert_int_equal(E->n_blocked, 0);
}

FK_CASE(deadline_harvests_ready_events)
{
	struct fk_event ev[2];
	uint64_t buf;
	int fd;
	int ep = fk_instance(&fd, 0, F_IN, 3);
	uint64_t id = fk_wait_start(ep, 2, 5, &buf);
	/* a stale wake-up: the waiter keeps sleeping, same deadline */
	fk_wake(fd, F_IN);
	assert_false(fk_answered(id));
	fake_advance(5 * MS);
	assert_int_equal(fk_result(id), 0);
	/* ready with no wake-up (not queued): 0 at the deadline */
	id = fk_wait_start(ep, 2, 5, &buf);
	fk_set_ready(fd, F_IN);
	fake_advance(5 * MS);
	assert_int_equal(fk_result(id), 0);
	fk_wake(fd, F_IN);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
}

FK_CASE(negative_timeout_waits_forever)
{
	int ep = fk_epoll_create();
	uint64_t id = fk_wait_start(ep, 1, -5, NULL);
	fake_advance(3600LL * 1000 * MS);
	assert_false(fk_answered(id));
	assert_int_equal(E->n_blocked, 1);
	/* a huge timeout saturates */
	uint64_t id2 = fk_wait_start(ep, 1, 0x7fffffff, NULL);
	fake_advance(1000 * MS);
	assert_false(fk_answered(id2));
}

/* ---- signals ---- */

FK_CASE(blocked_wait_eintr_on_signal)
{
	int ep = fk_epoll_create();
	uint64_t id = fk_wait_start(ep, 1, -1, NULL);
	uint64_t id2 = fk_wait_start(ep, 1, 1000, NULL);
	fake_set_signal(id, PLAT_SIG_HANDLER, SIGUSR1_);
	fake_set_signal(id2, PLAT_SIG_STOP, 19);
	fake_advance(1 * MS); /* the first signal check */
	assert_int_equal(fk_result(id), -EINTR);
	/* a stop without a handler: EINTR as well for epoll */
	assert_int_equal(fk_result(id2), -EINTR);
	assert_false(fake.last_mask_set);
	assert_int_equal(E->n_blocked, 0);
}

FK_CASE(signal_noticed_after_backoff)
{
	int ep = fk_epoll_create();
	uint64_t id = fk_wait_start(ep, 1, -1, NULL);
	fake_advance(10000 * MS);
	assert_false(fk_answered(id));
	fake_set_signal(id, PLAT_SIG_HANDLER, SIGUSR1_);
	int64_t t0 = fake.now;
	for (int i = 0; i < 1000 && !fk_answered(id); i++)
		fake_advance(1 * MS);
	assert_int_equal(fk_result(id), -EINTR);
	assert_true(fake.now - t0 <= 100 * MS); /* SIG_CHECK_MAX */
}

FK_CASE(deadline_wins_over_signal)
{
	int ep = fk_epoll_create();
	uint64_t id = fk_wait_start(ep, 1, 1, NULL); /* 1 ms: = first check */
	fake_set_signal(id, PLAT_SIG_HANDLER, SIGUSR1_);
	fake_advance(1 * MS);
	assert_int_equal(fk_result(id), 0);
}

FK_CASE(events_win_over_signal)
{
	int fd;
	int ep = fk_instance(&fd, 0, F_IN, 0);
	uint64_t id = fk_wait_start(ep, 1, -1, NULL);
	fake_set_signal(id, PLAT_SIG_HANDLER, SIGUSR1_);
	fk_raise(fd, F_IN); /* before the signal check */
	assert_int_equal(fk_result(id), 1);
	fake_set_signal(fake.next_call_id, PLAT_SIG_HANDLER, SIGUSR1_);
	assert_int_equal(fk_wait(ep, 1, 100, NULL), 1);
}

FK_CASE(pwait_mask_checks)
{
	int ep = fk_epoll_create();
	uint64_t buf = fake_alloc(12), m = put_mask(0);
	/* mask size and copy come before EBADF */
	assert_int_equal(fk_sys(SYS_epoll_pwait, (uint64_t)-1, buf, 1, 0, m, 4),
			 -EINVAL);
	assert_int_equal(
	    fk_sys(SYS_epoll_pwait, (uint64_t)-1, buf, 0, 0, FAKE_BAD_ADDR, 8),
	    -EFAULT);
	/* NULL mask: size not checked */
	assert_int_equal(
	    fk_sys(SYS_epoll_pwait, (uint64_t)-1, buf, 1, 0, 0, 12345), -EBADF);
	assert_int_equal(fk_sys(SYS_epoll_pwait, ep, buf, 1, 0, 0, 4), 0);
	assert_int_equal(fk_sys(SYS_epoll_pwait, ep, buf, 1, 0, m, 8), 0);
}

FK_CASE(pwait_mask_blocks_signal)
{
	int ep = fk_epoll_create();
	uint64_t buf = fake_alloc(12);
	/* blocks SIGUSR1, and tries to block SIGKILL and SIGSTOP */
	uint64_t m =
	    put_mask((1ull << (SIGUSR1_ - 1)) | (1ull << 8) | (1ull << 18));
	uint64_t id = fk_start(SYS_epoll_pwait, ep, buf, 1, 50, m, 8);
	fake_set_signal(id, PLAT_SIG_HANDLER, SIGUSR1_);
	fake_advance(10 * MS);
	assert_false(fk_answered(id));
	assert_true(fake.last_mask_set);
	assert_int_equal(fake.last_mask, 1ull << (SIGUSR1_ - 1));
	fake_advance(40 * MS);
	assert_int_equal(fk_result(id), 0);
	/* A signal the mask does not block interrupts: the call goes to the
	 * kernel, which installs the mask, runs the handler and says EINTR
	 * (sighold.c). */
	id = fk_start(SYS_epoll_pwait, ep, buf, 1, -1, m, 8);
	fake_set_signal(id, PLAT_SIG_HANDLER, 2);
	fake_advance(1 * MS);
	assert_true(fk_continued(id));
	assert_false(list_empty(&E->holds));
	/* The thread was seen elsewhere at the next check: over. */
	fake_advance(1 * MS);
	assert_true(list_empty(&E->holds));
}

/* While the kernel's own wait may run on the instance's file, the file
 * shows nothing; events that come meanwhile show when the call is over,
 * and one that finds the thread asleep in the kernel's wait (its signal
 * taken by another thread) sends it the signal it waited for. */
FK_CASE(pwait_handed_to_kernel_holds_the_file)
{
	int ep = fk_epoll_create();
	int fd = fk_open(0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, fd, F_IN, 3), 0);
	uint64_t buf = fake_alloc(12);
	uint64_t m = put_mask(0);
	uint64_t id = fk_start(SYS_epoll_pwait, ep, buf, 1, -1, m, 8);
	fake_set_signal(id, PLAT_SIG_HANDLER, SIGUSR1_);
	fake.thread_where = PLAT_THREAD_IN_EPOLL_WAIT;
	fake_advance(1 * MS);
	assert_true(fk_continued(id));
	fk_raise(fd, F_IN);
	emu_publish(E);
	assert_false(fk_file(ep)->shown);
	assert_int_equal(fake.kicks, 0);
	fake_advance(2 * MS); /* the next check */
	assert_int_equal(fake.kicks, 1);
	assert_int_equal(fake.last_kick, SIGUSR1_);
	fake.thread_where = PLAT_THREAD_ELSEWHERE;
	fake_advance(4 * MS);
	assert_true(list_empty(&E->holds));
	emu_publish(E);
	assert_true(fk_file(ep)->shown);
	/* Events already there: delivered, not handed over. */
	id = fk_start(SYS_epoll_pwait, ep, buf, 1, 0, m, 8);
	assert_int_equal(fk_result(id), 1);
}

FK_CASE(pwait2_timespec)
{
	int ep = fk_epoll_create();
	uint64_t buf = fake_alloc(12);
	/* timespec checks come first, then the mask, then EBADF */
	assert_int_equal(fk_sys(SYS_epoll_pwait2, (uint64_t)-1, buf, 1,
				put_ts(0, 1000000000), 0, 0),
			 -EINVAL);
	assert_int_equal(
	    fk_sys(SYS_epoll_pwait2, (uint64_t)-1, buf, 1, put_ts(-1, 0), 0, 0),
	    -EINVAL);
	assert_int_equal(
	    fk_sys(SYS_epoll_pwait2, (uint64_t)-1, buf, 1, put_ts(0, -1), 0, 0),
	    -EINVAL);
	assert_int_equal(fk_sys(SYS_epoll_pwait2, (uint64_t)-1, buf, 1,
				FAKE_BAD_ADDR, put_mask(0), 4),
			 -EFAULT);
	assert_int_equal(fk_sys(SYS_epoll_pwait2, (uint64_t)-1, buf, 1,
				put_ts(0, 0), put_mask(0), 4),
			 -EINVAL);
	assert_int_equal(
	    fk_sys(SYS_epoll_pwait2, (uint64_t)-1, buf, 1, put_ts(0, 0), 0, 0),
	    -EBADF);
	/* {0,0}: no blocking */
	assert_int_equal(
	    fk_sys(SYS_epoll_pwait2, ep, buf, 1, put_ts(0, 0), 0, 0), 0);
	/* a 5 ms timespec */
	uint64_t ts = put_ts(0, 5 * MS);
	uint64_t id = fk_start(SYS_epoll_pwait2, ep, buf, 1, ts, 0, 0);
	fake_advance(5 * MS - 1);
	assert_false(fk_answered(id));
	fake_advance(1);
	assert_int_equal(fk_result(id), 0);
	/* pwait2 never writes the remaining time back */
	int64_t back[2];
	memcpy(back, fake_ptr(ts), 16);
	assert_int_equal(back[0], 0);
	assert_int_equal(back[1], 5 * MS);
	/* NULL: forever; huge: saturates */
	id = fk_start(SYS_epoll_pwait2, ep, buf, 1, 0, 0, 0);
	uint64_t id2 = fk_start(SYS_epoll_pwait2, ep, buf, 1,
				put_ts(INT64_MAX, 999999999), 0, 0);
	fake_advance(3600LL * 1000 * MS);
	assert_false(fk_answered(id));
	assert_false(fk_answered(id2));
}

/* ---- several waiters (section 4.3) ---- */

FK_CASE(lt_wakes_all_waiters)
{
	int fd;
	int ep = fk_instance(&fd, 0, F_IN, 0);
	uint64_t id[3];
	for (int i = 0; i < 3; i++)
		id[i] = fk_wait_start(ep, 4, -1, NULL);
	assert_int_equal(E->n_blocked, 3);
	fk_raise(fd, F_IN);
	for (int i = 0; i < 3; i++)
		assert_int_equal(fk_result(id[i]), 1);
	assert_int_equal(E->n_blocked, 0);
}

FK_CASE(et_wakes_exactly_one)
{
	int fd;
	int ep = fk_instance(&fd, 0, F_IN | F_ET, 0);
	uint64_t id[3];
	for (int i = 0; i < 3; i++)
		id[i] = fk_wait_start(ep, 4, -1, NULL);
	fk_raise(fd, F_IN);
	/* the first sleeper, and only it */
	assert_int_equal(fk_result(id[0]), 1);
	assert_false(fk_answered(id[1]));
	assert_false(fk_answered(id[2]));
	fk_wake(fd, F_IN);
	assert_int_equal(fk_result(id[1]), 1);
	assert_false(fk_answered(id[2]));
	assert_int_equal(E->n_blocked, 1);
}

FK_CASE(waiters_take_one_event_each)
{
	struct fk_event ev[4];
	int ep = fk_epoll_create();
	int a = fk_open(0), b = fk_open(0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, a, F_IN | F_ET, 1), 0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, b, F_IN | F_ET, 2), 0);
	uint64_t buf1, buf2;
	uint64_t w1 = fk_wait_start(ep, 1, -1, &buf1);
	uint64_t w2 = fk_wait_start(ep, 1, -1, &buf2);
	fk_file(a)->ready = F_IN;
	fk_file(b)->ready = F_IN;
	/* one batch, two files: each sleeper takes one event */
	emu_batch_begin(E);
	fake_wake(fk_file(a), F_IN);
	fake_wake(fk_file(b), F_IN);
	assert_int_equal(fk_result(w1), 1);
	assert_int_equal(fk_result(w2), 1);
	fk_read_events(buf1, 1, &ev[0]);
	fk_read_events(buf2, 1, &ev[1]);
	assert_int_equal(ev[0].data, 1);
	assert_int_equal(ev[1].data, 2);
}

FK_CASE(gone_waiter_does_not_consume)
{
	struct fk_event ev[1];
	uint64_t buf2;
	int fd;
	int ep = fk_instance(&fd, 0, F_IN | F_ONESHOT, 7);
	uint64_t w1 = fk_wait_start(ep, 1, -1, NULL);
	uint64_t w2 = fk_wait_start(ep, 1, -1, &buf2);
	fake_kill_call(w1);
	fk_raise(fd, F_IN);
	/* the answer to w1 could not be sent: w2 gets the event */
	assert_false(fk_answered(w1));
	assert_int_equal(fake.gone_replies, 1);
	assert_int_equal(fk_result(w2), 1);
	fk_read_events(buf2, 1, ev);
	assert_int_equal(ev[0].data, 7);
	assert_int_equal(E->n_blocked, 0);
	assert_int_equal(fk_wait(ep, 1, 0, NULL), 0);
}

FK_CASE(gone_waiter_dropped_at_check)
{
	int ep = fk_epoll_create();
	uint64_t w = fk_wait_start(ep, 1, -1, NULL);
	fake_kill_call(w);
	fake_advance(1 * MS);
	assert_int_equal(E->n_blocked, 0);
	assert_false(fk_answered(w));
}

FK_CASE(waiter_efault_keeps_event)
{
	int fd;
	int ep = fk_instance(&fd, 0, F_IN | F_ONESHOT, 7);
	/* an unmapped buffer passes the checks: it faults at the copy */
	uint64_t w =
	    fk_start(SYS_epoll_wait, ep, FAKE_BAD_ADDR, 1, (uint64_t)-1, 0, 0);
	assert_false(fk_answered(w));
	fk_raise(fd, F_IN);
	assert_int_equal(fk_result(w), -EFAULT);
	assert_int_equal(fk_wait(ep, 1, 0, NULL), 1);
}

FK_CASE(waiter_maxevents_respected)
{
	struct fk_event ev[4];
	int ep = fk_epoll_create();
	int fd[3];
	for (int i = 0; i < 3; i++) {
		fd[i] = fk_open(0);
		assert_int_equal(fk_ctl(ep, CTL_ADD, fd[i], F_IN | F_ET, i), 0);
	}
	uint64_t buf;
	uint64_t w = fk_wait_start(ep, 2, -1, &buf);
	for (int i = 0; i < 3; i++)
		fk_file(fd[i])->ready = F_IN;
	/* the first wake-up answers the sleeper with what is ready then */
	fk_wake(fd[0], F_IN);
	assert_int_equal(fk_result(w), 1);
	fk_wake(fd[1], F_IN);
	fk_wake(fd[2], F_IN);
	w = fk_wait_start(ep, 2, -1, &buf);
	assert_int_equal(fk_result(w), 2);
	fk_read_events(buf, 2, ev);
	assert_int_equal(ev[0].data, 1);
	assert_int_equal(ev[1].data, 2);
}

FK_CASE(timer_heap_order)
{
	enum { N = 40 };
	int ep = fk_epoll_create();
	uint64_t id[N];
	int timeout[N];
	for (int i = 0; i < N; i++) {
		timeout[i] = (i * 17) % 53 + 1;
		id[i] = fk_wait_start(ep, 1, timeout[i], NULL);
	}
	for (int t = 1; t <= 53; t++) {
		fake_advance(1 * MS);
		for (int i = 0; i < N; i++) {
			if (timeout[i] <= t)
				assert_int_equal(fk_result(id[i]), 0);
			else
				assert_false(fk_answered(id[i]));
		}
	}
	assert_int_equal(E->n_blocked, 0);
}

FK_CASE(sync_before_wait_and_ctl)
{
	struct fk_event ev[2];
	int fd;
	int ep = fk_instance(&fd, 0, F_IN | F_ET, 1);
	/* the guest wrote, then called epoll_wait: the wake-up it caused is
	 * delivered before the harvest */
	fk_file(fd)->ready = F_IN;
	fake_wake_later(fk_file(fd), F_IN);
	size_t syncs = fake.syncs;
	assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
	assert_true(fake.syncs > syncs);
	fake_wake_later(fk_file(fd), F_IN);
	assert_int_equal(fk_ctl(ep, CTL_MOD, fd, F_OUT | F_ET, 2), 0);
	assert_int_equal(fake.n_pending, 0);
}

/* ---- lifetime and the sweep ---- */

FK_CASE(closed_epfd_does_not_wake_sleeper)
{
	int fd;
	int ep = fk_instance(&fd, 0, F_IN, 0);
	uint64_t w = fk_wait_start(ep, 1, 3000, NULL);
	fk_close(ep);
	fake_advance(2000 * MS); /* a sweep has run */
	assert_false(fk_answered(w));
	assert_int_equal(E->n_instances, 1); /* the sleeper holds it */
	/* it still reports events */
	fk_raise(fd, F_IN);
	assert_int_equal(fk_result(w), 1);
	fake_advance(3000 * MS);
	assert_int_equal(E->n_instances, 0);
	assert_int_equal(E->n_entries, 0);
}

FK_CASE(sweep_drops_dead_entries)
{
	int ep = fk_epoll_create();
	int ep2 = fk_epoll_create();
	int fds[5];
	for (int i = 0; i < 5; i++) {
		fds[i] = fk_open(0);
		assert_int_equal(fk_ctl(ep, CTL_ADD, fds[i], F_IN, i), 0);
	}
	int keep = fk_dup(fds[4]);
	for (int i = 0; i < 5; i++)
		fk_close(fds[i]);
	assert_int_equal(E->n_entries, 5);
	/* a sleeper elsewhere keeps the timer running */
	uint64_t w = fk_wait_start(ep2, 1, 5000, NULL);
	fake_advance(1500 * MS);
	assert_false(fk_answered(w));
	assert_int_equal(E->n_entries, 1); /* the one kept alive by a dup */
	fk_close(keep);
	fk_close(ep);
	fake_advance(2000 * MS);
	assert_int_equal(E->n_entries, 0);
	assert_int_equal(E->n_instances, 1);
}

FK_MAIN("epoll_wait", FK_TEST(wait_check_order),
	FK_TEST(timeout_zero_always_answered_here),
	FK_TEST(timeout_zero_returns_at_once),
	FK_TEST(blocked_wait_answered_by_wakeup),
	FK_TEST(blocked_wait_answered_by_ctl), FK_TEST(blocked_wait_times_out),
	FK_TEST(deadline_harvests_ready_events),
	FK_TEST(negative_timeout_waits_forever),
	FK_TEST(blocked_wait_eintr_on_signal),
	FK_TEST(signal_noticed_after_backoff),
	FK_TEST(deadline_wins_over_signal), FK_TEST(events_win_over_signal),
	FK_TEST(pwait_mask_checks), FK_TEST(pwait_mask_blocks_signal),
	FK_TEST(pwait_handed_to_kernel_holds_the_file),
	FK_TEST(pwait2_timespec), FK_TEST(lt_wakes_all_waiters),
	FK_TEST(et_wakes_exactly_one), FK_TEST(waiters_take_one_event_each),
	FK_TEST(gone_waiter_does_not_consume),
	FK_TEST(gone_waiter_dropped_at_check),
	FK_TEST(waiter_efault_keeps_event), FK_TEST(waiter_maxevents_respected),
	FK_TEST(timer_heap_order), FK_TEST(sync_before_wait_and_ctl),
	FK_TEST(closed_epfd_does_not_wake_sleeper),
	FK_TEST(sweep_drops_dead_entries))
