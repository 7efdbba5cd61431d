/* test_epoll_ctl.c: epoll_create, epoll_ctl's interest list and its check
 * order (linux-semantics.md sections 2, 3.1, 3.2, 3.5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "fake_platform.h"

#define EPOLL_CLOEXEC_ 02000000

/* ---- epoll_create / epoll_create1 ---- */

/* Creation is the kernel's (flags, errors, the fd); the emulation spends
 * nothing until a call names the file (test_eventfd.c for adoption). */
FK_CASE(create_goes_to_the_kernel)
{
	int a = fk_open(0);
	uint64_t id =
	    fk_start(SYS_epoll_create1, EPOLL_CLOEXEC_, 0, 0, 0, 0, 0);
	assert_true(fk_continued(id));
	assert_int_equal(fk_result(id), 1);
	assert_true(fake.fds[1].cloexec);
	id = fk_start(SYS_epoll_create, 1, 0, 0, 0, 0, 0);
	assert_true(fk_continued(id));
	assert_int_equal(fk_result(id), 2);
	assert_int_equal(E->n_instances, 0);
	fk_close(a);
}

FK_CASE(create_caller_gone)
{
	fk_call_gone(SYS_epoll_create1);
	assert_int_equal(E->n_instances, 0);
	assert_null(fake.fds[0].file);
}

/* ---- ADD / MOD / DEL ---- */

FK_CASE(add_mod_del_basic)
{
	int fd;
	int ep = fk_instance(&fd, 0, F_IN, 1);
	assert_int_equal(E->n_entries, 1);
	assert_int_equal(fk_ctl(ep, CTL_ADD, fd, F_IN, 1), -EEXIST);
	assert_int_equal(fk_ctl(ep, CTL_MOD, fd, F_OUT, 2), 0);
	assert_int_equal(fk_ctl(ep, CTL_DEL, fd, 0, 0), 0);
	assert_int_equal(E->n_entries, 0);
	assert_int_equal(fk_ctl(ep, CTL_DEL, fd, 0, 0), -ENOENT);
	assert_int_equal(fk_ctl(ep, CTL_MOD, fd, F_IN, 0), -ENOENT);
	assert_int_equal(fk_ctl(ep, CTL_ADD, fd, F_IN, 3), 0);
	assert_int_equal(E->n_entries, 1);
}

FK_CASE(mod_replaces_mask_and_data)
{
	struct fk_event ev[4];
	int fd;
	int ep = fk_instance(&fd, F_IN | F_OUT, F_IN, 7);
	assert_int_equal(fk_wait(ep, 4, 0, ev), 1);
	assert_int_equal(ev[0].events, F_IN);
	assert_int_equal(ev[0].data, 7);
	assert_int_equal(fk_ctl(ep, CTL_MOD, fd, F_OUT, 8), 0);
	assert_int_equal(fk_wait(ep, 4, 0, ev), 1);
	assert_int_equal(ev[0].events, F_OUT);
	assert_int_equal(ev[0].data, 8);
	/* events = 0 stores ERR|HUP only: nothing while the file is IN|OUT */
	assert_int_equal(fk_ctl(ep, CTL_MOD, fd, 0, 9), 0);
	assert_int_equal(fk_wait(ep, 4, 0, ev), 0);
	fk_raise(fd, F_HUP);
	assert_int_equal(fk_wait(ep, 4, 0, ev), 1);
	assert_int_equal(ev[0].events, F_HUP);
	assert_int_equal(ev[0].data, 9);
}

FK_CASE(del_never_reads_event)
{
	int fd;
	int ep = fk_instance(&fd, 0, F_IN, 0);
	assert_int_equal(fk_ctl_addr(ep, CTL_DEL, fd, 0), 0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, fd, F_IN, 0), 0);
	assert_int_equal(fk_ctl_addr(ep, CTL_DEL, fd, FAKE_BAD_ADDR), 0);
}

FK_CASE(unknown_bits_and_wakeup_accepted)
{
	struct fk_event ev[2];
	int ep = fk_epoll_create();
	int fd = fk_open(F_IN);
	assert_int_equal(
	    fk_ctl(ep, CTL_ADD, fd,
		   F_IN | 0x4000 | 0x100000 | (1u << 27) | F_WAKEUP, 5),
	    0);
	assert_int_equal(fk_wait(ep, 2, 0, ev), 1);
	assert_int_equal(ev[0].events, F_IN);
}

/* ---- check order (section 3.1) ---- */

FK_CASE(efault_before_ebadf)
{
	/* epoll_ctl(-1, ADD, -1, bad) -> EFAULT; invalid ops read too */
	assert_int_equal(fk_ctl_addr(-1, CTL_ADD, -1, FAKE_BAD_ADDR), -EFAULT);
	assert_int_equal(fk_ctl_addr(-1, CTL_MOD, -1, FAKE_BAD_ADDR), -EFAULT);
	assert_int_equal(fk_ctl_addr(-1, 99, -1, 8), -EFAULT);
	/* a record that straddles the end of memory faults as a whole */
	assert_int_equal(fk_ctl_addr(-1, CTL_ADD, -1, fake_alloc_tail(11)),
			 -EFAULT);
	/* DEL does not read: EBADF */
	assert_int_equal(fk_ctl_addr(-1, CTL_DEL, -1, FAKE_BAD_ADDR), -EBADF);
}

FK_CASE(ebadf_epfd_then_fd)
{
	int ep = fk_epoll_create();
	int fd = fk_open(0);
	int reg = fk_open_regular();
	assert_int_equal(fk_ctl(100, CTL_ADD, fd, F_IN, 0), -EBADF);
	/* epfd's EBADF comes before the target's EPERM */
	assert_int_equal(fk_ctl(100, CTL_ADD, reg, F_IN, 0), -EBADF);
	assert_int_equal(fk_ctl(ep, CTL_ADD, 100, F_IN, 0), -EBADF);
	assert_int_equal(fk_ctl(ep, CTL_DEL, 100, 0, 0), -EBADF);
	assert_int_equal(fk_ctl(ep, CTL_MOD, -1, F_IN, 0), -EBADF);
	/* O_PATH counts as not open, for both epfd and fd */
	int epo = fk_dup(ep);
	fk_set_opath(epo);
	assert_int_equal(fk_ctl(epo, CTL_ADD, fd, F_IN, 0), -EBADF);
	int fdo = fk_dup(fd);
	fk_set_opath(fdo);
	assert_int_equal(fk_ctl(ep, CTL_ADD, fdo, F_IN, 0), -EBADF);
	assert_int_equal(E->n_entries, 0);
}

FK_CASE(eperm_non_pollable)
{
	int ep = fk_epoll_create();
	int reg = fk_open_regular();
	int other = fk_open(0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, reg, F_IN, 0), -EPERM);
	/* even DEL and MOD: EPERM, not ENOENT */
	assert_int_equal(fk_ctl(ep, CTL_DEL, reg, 0, 0), -EPERM);
	assert_int_equal(fk_ctl(ep, CTL_MOD, reg, F_IN, 0), -EPERM);
	/* even with an invalid op */
	assert_int_equal(fk_ctl(ep, 99, reg, F_IN, 0), -EPERM);
	/* even when epfd is not an epoll: before its EINVAL */
	assert_int_equal(fk_ctl(reg, CTL_ADD, reg, F_IN, 0), -EPERM);
	assert_int_equal(fk_ctl(other, CTL_ADD, reg, F_IN, 0), -EPERM);
	/* EXCLUSIVE with bad bits: EPERM still first */
	assert_int_equal(fk_ctl(ep, CTL_ADD, reg, F_EXCLUSIVE | F_ONESHOT, 0),
			 -EPERM);
}

FK_CASE(einval_not_an_epoll)
{
	int a = fk_open(0), b = fk_open(0);
	assert_int_equal(fk_ctl(a, CTL_ADD, b, F_IN, 0), -EINVAL);
	assert_int_equal(fk_ctl(a, CTL_DEL, b, 0, 0), -EINVAL);
	/* the target's EBADF comes first */
	assert_int_equal(fk_ctl(a, CTL_ADD, 200, F_IN, 0), -EBADF);
}

FK_CASE(einval_instance_into_itself)
{
	int ep = fk_epoll_create();
	int dup = fk_dup(ep);
	assert_int_equal(fk_ctl(ep, CTL_ADD, ep, F_IN, 0), -EINVAL);
	assert_int_equal(fk_ctl(ep, CTL_ADD, dup, F_IN, 0), -EINVAL);
	assert_int_equal(fk_ctl(dup, CTL_ADD, ep, F_IN, 0), -EINVAL);
	assert_int_equal(fk_ctl(ep, CTL_DEL, ep, 0, 0), -EINVAL);
	assert_int_equal(fk_ctl(ep, CTL_MOD, dup, F_IN, 0), -EINVAL);
	assert_int_equal(fk_ctl(ep, CTL_ADD, ep, F_IN | F_EXCLUSIVE, 0),
			 -EINVAL);
	assert_int_equal(E->n_entries, 0);
}

FK_CASE(exclusive_rules)
{
	int ep = fk_epoll_create();
	int fd = fk_open(0);
	int other = fk_open(0);
	int child = fk_epoll_create();
	/* MOD with EXCLUSIVE: EINVAL, even for an unregistered fd (before
	 * the ENOENT lookup) */
	assert_int_equal(fk_ctl(ep, CTL_MOD, fd, F_IN | F_EXCLUSIVE, 0),
			 -EINVAL);
	/* only IN, OUT, ERR, HUP, WAKEUP, ET beside it */
	assert_int_equal(
	    fk_ctl(ep, CTL_ADD, fd, F_IN | F_EXCLUSIVE | F_ONESHOT, 0),
	    -EINVAL);
	assert_int_equal(
	    fk_ctl(ep, CTL_ADD, fd, F_IN | F_EXCLUSIVE | F_RDHUP, 0), -EINVAL);
	assert_int_equal(fk_ctl(ep, CTL_ADD, fd, F_PRI | F_EXCLUSIVE, 0),
			 -EINVAL);
	assert_int_equal(fk_ctl(ep, CTL_ADD, fd, F_RDNORM | F_EXCLUSIVE, 0),
			 -EINVAL);
	/* on an epoll target */
	assert_int_equal(fk_ctl(ep, CTL_ADD, child, F_IN | F_EXCLUSIVE, 0),
			 -EINVAL);
	assert_int_equal(E->n_entries, 0);
	/* accepted forms */
	assert_int_equal(
	    fk_ctl(ep, CTL_ADD, fd,
		   F_IN | F_OUT | F_ERR | F_HUP | F_WAKEUP | F_ET | F_EXCLUSIVE,
		   0),
	    0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, other, F_EXCLUSIVE, 0), 0);
	/* a registered exclusive entry cannot be modified at all */
	assert_int_equal(fk_ctl(ep, CTL_MOD, fd, F_IN, 0), -EINVAL);
	assert_int_equal(fk_ctl(ep, CTL_MOD, fd, F_IN | F_EXCLUSIVE, 0),
			 -EINVAL);
	/* an existing exclusive entry gives EEXIST to a second ADD */
	assert_int_equal(fk_ctl(ep, CTL_ADD, fd, F_IN | F_EXCLUSIVE, 0),
			 -EEXIST);
	/* DEL works */
	assert_int_equal(fk_ctl(ep, CTL_DEL, fd, 0, 0), 0);
	assert_int_equal(fk_ctl(ep, CTL_DEL, other, 0, 0), 0);
	assert_int_equal(E->n_entries, 0);
}

FK_CASE(exclusive_einval_before_eloop)
{
	int a = fk_epoll_create(), b = fk_epoll_create();
	assert_int_equal(fk_ctl(a, CTL_ADD, b, F_IN, 0), 0);
	/* b -> a would be a cycle, but EXCLUSIVE on an epoll target is
	 * checked first */
	assert_int_equal(fk_ctl(b, CTL_ADD, a, F_IN | F_EXCLUSIVE, 0), -EINVAL);
	assert_int_equal(fk_ctl(b, CTL_ADD, a, F_IN, 0), -ELOOP);
}

FK_CASE(invalid_op_einval)
{
	int ep = fk_epoll_create();
	int fd = fk_open(0);
	assert_int_equal(fk_ctl(ep, 0, fd, F_IN, 0), -EINVAL);
	assert_int_equal(fk_ctl(ep, 4, fd, F_IN, 0), -EINVAL);
	assert_int_equal(fk_ctl(ep, 99, fd, F_IN | F_EXCLUSIVE, 0), -EINVAL);
	assert_int_equal(fk_ctl(ep, CTL_ADD, fd, F_IN, 0), 0);
	assert_int_equal(fk_ctl(ep, 99, fd, F_IN, 0), -EINVAL);
	assert_int_equal(fk_ctl(ep, -1, fd, F_IN, 0), -EINVAL);
	assert_int_equal(E->n_entries, 1);
	/* the target is still checked first */
	assert_int_equal(fk_ctl(ep, 99, 300, F_IN, 0), -EBADF);
}

/* ---- the (file, fd) key (section 3.2, 3.5) ---- */

FK_CASE(dup_is_an_independent_entry)
{
	struct fk_event ev[4];
	int fd;
	int ep = fk_instance(&fd, 0, F_IN, 1);
	int dup = fk_dup(fd);
	assert_int_equal(fk_ctl(ep, CTL_ADD, dup, F_IN, 2), 0);
	assert_int_equal(E->n_entries, 2);
	fk_raise(fd, F_IN);
	/* one wake-up: the most recently added entry is queued first */
	assert_int_equal(fk_wait(ep, 4, 0, ev), 2);
	assert_int_equal(ev[0].data, 2);
	assert_int_equal(ev[1].data, 1);
	assert_int_equal(fk_ctl(ep, CTL_DEL, dup, 0, 0), 0);
	assert_int_equal(fk_ctl(ep, CTL_DEL, dup, 0, 0), -ENOENT);
	assert_int_equal(fk_ctl(ep, CTL_MOD, fd, F_IN, 3), 0);
}

FK_CASE(close_with_dup_keeps_entry)
{
	struct fk_event ev[4];
	int fd;
	int ep = fk_instance(&fd, 0, F_IN, 11);
	int dup = fk_dup(fd);
	fk_close(fd);
	/* the file lives on through the dup: the entry keeps reporting,
	 * with the old data */
	fk_raise(dup, F_IN);
	assert_int_equal(fk_wait(ep, 4, 0, ev), 1);
	assert_int_equal(ev[0].data, 11);
	/* DEL by the closed number: EBADF; by the dup's: ENOENT */
	assert_int_equal(fk_ctl(ep, CTL_DEL, fd, 0, 0), -EBADF);
	assert_int_equal(fk_ctl(ep, CTL_DEL, dup, 0, 0), -ENOENT);
	/* dup2 the file back onto the number: DEL works */
	assert_int_equal(fk_dup2(dup, fd), fd);
	assert_int_equal(fk_ctl(ep, CTL_DEL, fd, 0, 0), 0);
	assert_int_equal(E->n_entries, 0);
}

FK_CASE(dead_file_entry_dropped_on_lookup)
{
	struct fk_event ev[4];
	int fd;
	int ep = fk_instance(&fd, 0, F_IN, 1);
	struct fake_file *old = fk_file(fd);
	fk_close(fd);
	assert_false(old->alive);
	/* a closed number: EBADF */
	assert_int_equal(fk_ctl(ep, CTL_MOD, fd, F_IN, 0), -EBADF);
	/* a new file at the same number: the old entry is gone */
	int nfd = fk_open(0);
	assert_int_equal(nfd, fd);
	assert_int_equal(fk_ctl(ep, CTL_MOD, nfd, F_IN, 0), -ENOENT);
	assert_int_equal(E->n_entries, 0); /* dropped on that lookup */
	assert_int_equal(fk_ctl(ep, CTL_ADD, nfd, F_IN, 2), 0);
	assert_int_equal(E->n_entries, 1);
	fk_raise(nfd, F_IN);
	assert_int_equal(fk_wait(ep, 4, 0, ev), 1);
	assert_int_equal(ev[0].data, 2);
}

FK_CASE(dead_file_number_readded_directly)
{
	int fd;
	int ep = fk_instance(&fd, 0, F_IN, 1);
	fk_close(fd);
	assert_int_equal(fk_open(0), fd);
	/* ADD finds the dead entry on its lookup, drops it: no EEXIST */
	assert_int_equal(fk_ctl(ep, CTL_ADD, fd, F_IN, 2), 0);
	assert_int_equal(E->n_entries, 1);
}

FK_CASE(number_reused_while_old_file_alive)
{
	int ep = fk_epoll_create();
	int fd = fk_open(0);   /* file A */
	int keep = fk_dup(fd); /* keeps A alive */
	assert_int_equal(fk_ctl(ep, CTL_ADD, fd, F_IN, 0xa), 0);
	fk_close(fd);
	int nfd = fk_open(0); /* file B, same number */
	assert_int_equal(nfd, fd);
	/* key (B, fd) is new */
	assert_int_equal(fk_ctl(ep, CTL_ADD, fd, F_IN, 0xb), 0);
	assert_int_equal(fk_ctl(ep, CTL_ADD, fd, F_IN, 0xb), -EEXIST);
	assert_int_equal(E->n_entries, 2);
	/* both entries report their own file */
	fk_raise(keep, F_IN);
	fk_expect_data(ep, 0xa);
	fk_set_ready(keep, 0);
	fk_raise(nfd, F_IN);
	fk_expect_data(ep, 0xb);
	/* DEL by number acts on B's entry only */
	assert_int_equal(fk_ctl(ep, CTL_DEL, fd, 0, 0), 0);
	assert_int_equal(fk_ctl(ep, CTL_DEL, fd, 0, 0), -ENOENT);
	assert_int_equal(E->n_entries, 1);
	/* put A back at the number: its entry is reachable again */
	fk_dup2(keep, fd);
	assert_int_equal(fk_ctl(ep, CTL_MOD, fd, F_IN, 0xc), 0);
	assert_int_equal(fk_ctl(ep, CTL_DEL, fd, 0, 0), 0);
	assert_int_equal(E->n_entries, 0);
}

FK_CASE(many_entries)
{
	enum { N = 300 };
	struct fk_event ev[N];
	int ep = fk_epoll_create();
	int fds[N];
	for (int i = 0; i < N; i++) {
		fds[i] = fk_open(F_IN);
		assert_int_equal(fk_ctl(ep, CTL_ADD, fds[i], F_IN, i), 0);
	}
	assert_int_equal(E->n_entries, N);
	for (int i = 0; i < N; i += 2)
		assert_int_equal(fk_ctl(ep, CTL_DEL, fds[i], 0, 0), 0);
	for (int i = 0; i < N; i++) {
		if (i % 2)
			assert_int_equal(
			    fk_ctl(ep, CTL_MOD, fds[i], F_IN, 1000 + i), 0);
		else
			assert_int_equal(fk_ctl(ep, CTL_MOD, fds[i], F_IN, 0),
					 -ENOENT);
	}
	assert_int_equal(E->n_entries, N / 2);
	/* every remaining entry was queued at ADD, in ADD order */
	assert_int_equal(fk_wait(ep, N, 0, ev), N / 2);
	for (int k = 0; k < N / 2; k++)
		assert_int_equal(ev[k].data, 1000 + 2 * k + 1);
}

FK_CASE(trace_notes)
{
	int fd;
	int ep = fk_instance(&fd, F_IN, F_IN | F_ET, 0x2a);
	/* no notes unless tracing (the fake asserts that too) */
	assert_int_equal(fake.trace_len, 0);
	fake.tracing = 1;
	assert_int_equal(fk_ctl(ep, CTL_MOD, fd, F_IN | F_ET | 0x100000, 0x2b),
			 0);
	assert_non_null(strstr(fake.trace, "EPOLLIN|EPOLLET|0x100000"));
	assert_non_null(strstr(fake.trace, "data=0x2b"));
	fake.trace_len = 0;
	fake.trace[0] = 0;
	assert_int_equal(fk_wait(ep, 4, 0, NULL), 1);
	assert_string_equal(fake.trace, "[{EPOLLIN, 0x2b}]");
}

FK_CASE(unknown_syscall_continued)
{
	uint64_t id = fk_start(SYS_getpid, 0, 0, 0, 0, 0, 0);
	assert_true(fk_continued(id));
}

FK_MAIN("epoll_ctl", FK_TEST(create_goes_to_the_kernel),
	FK_TEST(create_caller_gone), FK_TEST(add_mod_del_basic),
	FK_TEST(mod_replaces_mask_and_data), FK_TEST(del_never_reads_event),
	FK_TEST(unknown_bits_and_wakeup_accepted), FK_TEST(efault_before_ebadf),
	FK_TEST(ebadf_epfd_then_fd), FK_TEST(eperm_non_pollable),
	FK_TEST(einval_not_an_epoll), FK_TEST(einval_instance_into_itself),
	FK_TEST(exclusive_rules), FK_TEST(exclusive_einval_before_eloop),
	FK_TEST(invalid_op_einval), FK_TEST(dup_is_an_independent_entry),
	FK_TEST(close_with_dup_keeps_entry),
	FK_TEST(dead_file_entry_dropped_on_lookup),
	FK_TEST(dead_file_number_readded_directly),
	FK_TEST(number_reused_while_old_file_alive), FK_TEST(many_entries),
	FK_TEST(trace_notes), FK_TEST(unknown_syscall_continued))
