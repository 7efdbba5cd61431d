/* test_poll.c: poll, ppoll and select over emulated epoll instances
 * (linux-semantics.md section 7), and their hand-back to the kernel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "fake_platform.h"

#define ERESTARTNOHAND_ 514

static uint64_t put_ts(int64_t sec, int64_t nsec)
{
	int64_t ts[2] = {sec, nsec};
	uint64_t a = fake_alloc(16);
	memcpy(fake_ptr(a), ts, 16);
	return a;
}

/* An instance with one LT entry on a host file; returns the epfd. */
static int instance_on(int *fd_out, uint32_t ready)
{
	int fd;
	int ep = fk_instance(&fd, ready, F_IN, 0);
	*fd_out = fd;
	return ep;
}

static uint64_t poll_start(uint64_t pfds, int n, int timeout)
{
	return fk_start(SYS_poll, pfds, (uint64_t)n, (uint64_t)(int64_t)timeout,
			0, 0, 0);
}

FK_CASE(no_instance_is_continued)
{
	int a = fk_open(F_IN), reg = fk_open_regular();
	struct pfd p[] = {{a, F_IN, 0}, {reg, F_IN, 0}, {-1, F_IN, 0}};
	uint64_t pa = put_pfds(p, 3);
	assert_true(fk_continued(poll_start(pa, 3, 0)));
	assert_true(fk_continued(poll_start(pa, 3, -1)));
	/* nfds == 0: a plain sleep, the kernel's */
	assert_true(fk_continued(poll_start(0, 0, 100)));
	/* an unreadable array: the kernel gives EFAULT */
	assert_true(fk_continued(poll_start(FAKE_BAD_ADDR, 1, 0)));
	/* select and pselect6 likewise */
	uint64_t set = fake_alloc(8);
	uint64_t bits = 1ull << a;
	memcpy(fake_ptr(set), &bits, 8);
	assert_true(fk_continued(
	    fk_start(SYS_select, (uint64_t)a + 1, set, 0, 0, 0, 0)));
	assert_int_equal(E->n_blocked, 0);
}

FK_CASE(nfds_over_limit_is_continued)
{
	int a;
	int ep = instance_on(&a, F_IN);
	struct pfd p[5] = {
	    {ep, F_IN, 0}, {-1, 0, 0}, {-1, 0, 0}, {-1, 0, 0}, {-1, 0, 0}};
	uint64_t pa = put_pfds(p, 5);
	fake.nofile = 4; /* the kernel answers EINVAL itself (and ppoll
			  * writes its remaining time back) */
	assert_true(fk_continued(poll_start(pa, 5, 0)));
	fake.nofile = 5; /* nfds == limit is fine */
	assert_int_equal(fk_result(poll_start(pa, 5, 0)), 1);
}

FK_CASE(serviced_poll_writes_revents_only)
{
	int a;
	int ep = instance_on(&a, F_IN);
	int b = fk_open(F_IN | F_OUT);
	int reg = fk_open_regular();
	struct pfd p[] = {
	    {ep, F_IN, 0x7fff},
	    {b, F_IN | F_OUT, 0x7fff},
	    {-1, (int16_t)0xffff, 0x7fff},
	    {900, F_IN, 0x7fff},
	    {reg, F_IN | F_OUT | F_PRI, 0x7fff},
	    {ep, F_OUT, 0x7fff},
	    {b, 0, 0x7fff},
	};
	uint64_t pa = put_pfds(p, 7);
	assert_int_equal(fk_result(poll_start(pa, 7, 0)), 4);
	struct pfd r[7];
	get_pfds(pa, r, 7);
	const int16_t want[] = {F_IN, F_IN | F_OUT, 0, F_NVAL, F_IN | F_OUT, 0,
				0};
	for (int i = 0; i < 7; i++) {
		assert_int_equal(r[i].fd, p[i].fd);
		assert_int_equal(r[i].events, p[i].events);
		assert_int_equal(r[i].revents, want[i]);
	}
	/* the instance's event was not consumed */
	assert_int_equal(fk_wait(ep, 1, 0, NULL), 1);
	assert_int_equal(E->n_blocked, 0);
}

FK_CASE(poll_does_not_consume_et)
{
	int fd;
	int ep = fk_instance(&fd, 0, F_IN | F_ET, 0);
	fk_raise(fd, F_IN);
	struct pfd p[] = {{ep, F_IN, 0}, {ep, F_IN | F_RDNORM, 0}};
	uint64_t pa = put_pfds(p, 2);
	assert_int_equal(fk_result(poll_start(pa, 2, 0)), 2);
	struct pfd r[2];
	get_pfds(pa, r, 2);
	assert_int_equal(r[1].revents, F_IN | F_RDNORM);
	assert_int_equal(fk_wait(ep, 1, 0, NULL), 1);
	assert_int_equal(fk_result(poll_start(pa, 2, 0)), 0);
}

FK_CASE(timeout_zero_not_ready)
{
	int a;
	int ep = instance_on(&a, 0);
	struct pfd p[] = {{ep, F_IN, 0x7fff}};
	uint64_t pa = put_pfds(p, 1);
	assert_int_equal(fk_result(poll_start(pa, 1, 0)), 0);
	get_pfds(pa, p, 1);
	assert_int_equal(p[0].revents, 0);
}

FK_CASE(blocked_poll_woken_by_instance)
{
	int a;
	int ep = instance_on(&a, 0);
	struct pfd p[] = {{ep, F_IN, 0}};
	uint64_t pa = put_pfds(p, 1);
	uint64_t id = poll_start(pa, 1, -1);
	assert_false(fk_answered(id));
	assert_int_equal(E->n_blocked, 1);
	fake_advance(20 * MS);
	assert_false(fk_answered(id));
	fk_raise(a, F_IN);
	assert_int_equal(fk_result(id), 1);
	get_pfds(pa, p, 1);
	assert_int_equal(p[0].revents, F_IN);
	assert_int_equal(E->n_blocked, 0);
}

FK_CASE(blocked_poll_woken_by_host_file)
{
	int a;
	int ep = instance_on(&a, 0);
	int b = fk_open(0);
	struct pfd p[] = {{ep, F_IN, 0}, {b, F_IN, 0}};
	uint64_t pa = put_pfds(p, 2);
	uint64_t id = poll_start(pa, 2, -1);
	/* a wake-up the slot's mask does not cover */
	fk_raise(b, F_OUT);
	assert_false(fk_answered(id));
	fk_raise(b, F_IN);
	assert_int_equal(fk_result(id), 1);
	get_pfds(pa, p, 2);
	assert_int_equal(p[0].revents, 0);
	assert_int_equal(p[1].revents, F_IN);
}

FK_CASE(blocked_poll_woken_by_nested_instance)
{
	int a;
	int inner = instance_on(&a, 0);
	int outer = fk_epoll_create();
	assert_int_equal(fk_ctl(outer, CTL_ADD, inner, F_IN, 0), 0);
	struct pfd p[] = {{outer, F_IN, 0}};
	uint64_t pa = put_pfds(p, 1);
	uint64_t id = poll_start(pa, 1, -1);
	fk_raise(a, F_IN);
	assert_int_equal(fk_result(id), 1);
}

FK_CASE(blocked_poll_times_out)
{
	int a;
	int ep = instance_on(&a, 0);
	struct pfd p[] = {{ep, F_IN, 0x7fff}};
	uint64_t pa = put_pfds(p, 1);
	uint64_t id = poll_start(pa, 1, 10);
	fake_advance(10 * MS - 1);
	assert_false(fk_answered(id));
	/* a stale wake-up does not end it */
	fk_wake(a, F_IN);
	assert_false(fk_answered(id));
	fake_advance(1);
	assert_int_equal(fk_result(id), 0);
	get_pfds(pa, p, 1);
	assert_int_equal(p[0].revents, 0);
}

FK_CASE(blocked_poll_signals)
{
	int a;
	int ep = instance_on(&a, 0);
	struct pfd p[] = {{ep, F_IN, 0x7fff}};
	uint64_t pa = put_pfds(p, 1);
	uint64_t h = poll_start(pa, 1, -1);
	uint64_t st = poll_start(pa, 1, 5000);
	fake_set_signal(h, PLAT_SIG_HANDLER, 10);
	fake_set_signal(st, PLAT_SIG_STOP, 19);
	fake_advance(1 * MS);
	/* a handler: EINTR; a stop: restart (ERESTARTNOHAND) */
	assert_int_equal(fk_result(h), -EINTR);
	assert_int_equal(fk_result(st), -ERESTARTNOHAND_);
	get_pfds(pa, p, 1);
	assert_int_equal(p[0].revents, 0);
	assert_int_equal(E->n_blocked, 0);
}

FK_CASE(blocked_poll_caller_gone)
{
	int a;
	int ep = instance_on(&a, 0);
	int b = fk_open(0);
	struct pfd p[] = {{ep, F_IN, 0}, {b, F_IN, 0}};
	uint64_t pa = put_pfds(p, 2);
	uint64_t id = poll_start(pa, 2, -1);
	fake_kill_call(id);
	fake_advance(1 * MS);
	assert_int_equal(E->n_blocked, 0);
	assert_false(fk_answered(id));
	/* its watch is closed: a wake-up reaches nothing */
	fk_raise(b, F_IN);
	fk_raise(a, F_IN);
}

FK_CASE(writeback_fault_is_efault)
{
	int a;
	int ep = instance_on(&a, F_IN);
	struct pfd p[] = {{ep, F_IN, 0}, {a, F_IN, 0}};
	uint64_t pa = put_pfds(p, 2);
	fake.ro_lo = pa;
	fake.ro_hi = pa + 16;
	assert_int_equal(fk_result(poll_start(pa, 2, 0)), -EFAULT);
	fake.ro_lo = fake.ro_hi = 0;
}

FK_CASE(ppoll_checks_and_remaining_time)
{
	int a;
	int ep = instance_on(&a, 0);
	struct pfd p[] = {{ep, F_IN, 0}};
	uint64_t pa = put_pfds(p, 1);
	/* timespec and mask checks come first, even for the kernel's calls */
	assert_int_equal(
	    fk_sys(SYS_ppoll, pa, 1, put_ts(0, 1000000000), 0, 0, 0), -EINVAL);
	assert_int_equal(fk_sys(SYS_ppoll, pa, 1, FAKE_BAD_ADDR, 0, 0, 0),
			 -EFAULT);
	uint64_t m = fake_alloc(8);
	memset(fake_ptr(m), 0, 8);
	assert_int_equal(fk_sys(SYS_ppoll, pa, 1, 0, m, 4, 0), -EINVAL);
	/* 1 s, ready after 200 ms: {0, 800 ms} written back */
	uint64_t ts = put_ts(1, 0);
	uint64_t id = fk_start(SYS_ppoll, pa, 1, ts, 0, 0, 0);
	fake_advance(200 * MS);
	fk_raise(a, F_IN);
	assert_int_equal(fk_result(id), 1);
	int64_t back[2];
	memcpy(back, fake_ptr(ts), 16);
	assert_int_equal(back[0], 0);
	assert_int_equal(back[1], 800 * MS);
	/* to expiry: {0, 0} */
	fk_set_ready(a, 0);
	assert_int_equal(fk_wait(ep, 1, 0, NULL), 0); /* drop it */
	ts = put_ts(0, 30 * MS);
	id = fk_start(SYS_ppoll, pa, 1, ts, 0, 0, 0);
	fake_advance(30 * MS);
	assert_int_equal(fk_result(id), 0);
	memcpy(back, fake_ptr(ts), 16);
	assert_int_equal(back[0], 0);
	assert_int_equal(back[1], 0);
	/* {0, 0}: not written */
	ts = put_ts(0, 0);
	assert_int_equal(fk_sys(SYS_ppoll, pa, 1, ts, 0, 0, 0), 0);
	memcpy(back, fake_ptr(ts), 16);
	assert_int_equal(back[1], 0);
	/* a read-only timespec: the fault is ignored */
	fk_raise(a, F_IN);
	ts = put_ts(5, 0);
	fake.ro_lo = ts;
	fake.ro_hi = ts + 16;
	assert_int_equal(fk_sys(SYS_ppoll, pa, 1, ts, 0, 0, 0), 1);
	fake.ro_lo = fake.ro_hi = 0;
	memcpy(back, fake_ptr(ts), 16);
	assert_int_equal(back[0], 5);
}

FK_CASE(unhinted_instance_found_through_watch)
{
	int a, b;
	int ep1 = instance_on(&a, F_IN);
	int ep2 = instance_on(&b, 0);
	fake.fds[ep1].nohint = 1;
	struct pfd p[] = {{ep1, F_IN, 0}, {ep2, F_IN, 0}};
	uint64_t pa = put_pfds(p, 2);
	/* ep2 makes the call ours; ep1 is then recognised by its watch */
	assert_int_equal(fk_result(poll_start(pa, 2, 0)), 1);
	get_pfds(pa, p, 2);
	assert_int_equal(p[0].revents, F_IN);
	/* alone, an unknown instance is the kernel's (a documented
	 * divergence: unknown-epoll-fd-in-poll) */
	assert_true(fk_continued(poll_start(pa, 1, 0)));
}

FK_CASE(select_serviced_with_instance)
{
	int a;
	int ep = instance_on(&a, F_IN);
	int b = fk_open(F_IN);
	uint64_t rd = fake_alloc(8), wr = fake_alloc(8), tv = fake_alloc(16);
	uint64_t rbits = (1ull << ep) | (1ull << b), wbits = 1ull << b;
	memcpy(fake_ptr(rd), &rbits, 8);
	memcpy(fake_ptr(wr), &wbits, 8);
	memset(fake_ptr(tv), 0, 16);
	int nfds = (ep > b ? ep : b) + 1;
	assert_int_equal(fk_sys(SYS_select, (uint64_t)nfds, rd, wr, 0, tv, 0),
			 2);
	uint8_t got[8];
	memcpy(got, fake_ptr(rd), 8);
	uint64_t r = 0;
	memcpy(&r, got, (size_t)(nfds + 7) / 8);
	assert_int_equal(r, rbits);
	memcpy(&r, fake_ptr(wr), 8);
	assert_int_equal(r & ((1ull << nfds) - 1), 0);
	/* a closed fd in a set: EBADF */
	uint64_t bad = (1ull << ep) | (1ull << 40);
	memcpy(fake_ptr(rd), &bad, 8);
	assert_int_equal(fk_sys(SYS_select, 41, rd, 0, 0, tv, 0), -EBADF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    FK_TEST(no_instance_is_continued),
	    FK_TEST(nfds_over_limit_is_continued),
	    FK_TEST(serviced_poll_writes_revents_only),
	    FK_TEST(poll_does_not_consume_et),
	    FK_TEST(timeout_zero_not_ready),
	    FK_TEST(blocked_poll_woken_by_instance),
	    FK_TEST(blocked_poll_woken_by_host_file),
	    FK_TEST(blocked_poll_woken_by_nested_instance),
	    FK_TEST(blocked_poll_times_out),
	    FK_TEST(blocked_poll_signals),
	    FK_TEST(blocked_poll_caller_gone),
	    FK_TEST(writeback_fault_is_efault),
	    FK_TEST(ppoll_checks_and_remaining_time),
	    FK_TEST(unhinted_instance_found_through_watch),
	    FK_TEST(select_serviced_with_instance),
	};
	return cmocka_run_group_tests_name("poll", tests, NULL, NULL);
}
