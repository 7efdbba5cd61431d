/* epoll_flags_et_oneshot.c: EPOLLET and EPOLLONESHOT (linux-semantics.md
 * sections 3.3, 4.1, 4.2). An ET "edge" is any wakeup whose key matches the
 * entry's mask; the file's state is only looked at when harvesting. */
#include "testlib.h"
#include "testutil.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

/* ---------------- EPOLLET ---------------- */

static void et_one_report_per_wakeup(void)
{
	int ep = epoll_create1(0);
	int p[2];
	CHECK_OK(pipe(p));
	CHECK_EQ(add(ep, p[0], EPOLLIN | EPOLLET, 1), 0);
	EXPECT_NONE(ep);
	CHECK_EQ(write(p[1], "ab", 2), 2);
	EXPECT_ONE(ep, EPOLLIN, 1);
	EXPECT_NONE(ep); /* still readable, but no new wakeup */
	EXPECT_NONE(ep);
	close_fds(p[0], p[1], ep);
}

static void et_partial_read_no_event(void)
{
	int ep = epoll_create1(0);
	int p[2];
	char c;
	CHECK_OK(pipe(p));
	CHECK_EQ(add(ep, p[0], EPOLLIN | EPOLLET, 1), 0);
	CHECK_EQ(write(p[1], "abc", 3), 3);
	EXPECT_ONE(ep, EPOLLIN, 1);
	CHECK_EQ(read(p[0], &c, 1), 1);
	EXPECT_NONE(ep);
	CHECK_EQ(read(p[0], &c, 1), 1);
	EXPECT_NONE(ep);
	close_fds(p[0], p[1], ep);
}

static void et_new_data_new_event_old_unread(void)
{
	int ep = epoll_create1(0);
	int p[2], sv[2];
	CHECK_OK(pipe(p));
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_EQ(add(ep, p[0], EPOLLIN | EPOLLET, 1), 0);
	CHECK_EQ(add(ep, sv[0], EPOLLIN | EPOLLET, 2), 0);
	CHECK_EQ(write(p[1], "a", 1), 1);
	EXPECT_ONE(ep, EPOLLIN, 1);
	CHECK_EQ(write(p[1], "b", 1), 1); /* "a" is still unread */
	EXPECT_ONE(ep, EPOLLIN, 1);
	CHECK_EQ(write(sv[1], "a", 1), 1);
	EXPECT_ONE(ep, EPOLLIN, 2);
	CHECK_EQ(write(sv[1], "b", 1), 1);
	EXPECT_ONE(ep, EPOLLIN, 2);
	EXPECT_NONE(ep);
	close_fds(p[0], p[1], sv[0], sv[1], ep);
}

static void et_mod_still_ready_reports(void)
{
	int ep = epoll_create1(0);
	int p[2];
	CHECK_OK(pipe(p));
	CHECK_EQ(add(ep, p[0], EPOLLIN | EPOLLET, 1), 0);
	CHECK_EQ(write(p[1], "a", 1), 1);
	EXPECT_ONE(ep, EPOLLIN, 1);
	EXPECT_NONE(ep);
	CHECK_EQ(mod(ep, p[0], EPOLLIN | EPOLLET, 2), 0);
	EXPECT_ONE(ep, EPOLLIN, 2);
	EXPECT_NONE(ep);
	/* MOD to a mask that does not match the current state: nothing */
	CHECK_EQ(mod(ep, p[0], EPOLLOUT | EPOLLET, 3), 0);
	EXPECT_NONE(ep);
	close_fds(p[0], p[1], ep);
}

static void et_ready_at_add_reports_once(void)
{
	int ep = epoll_create1(0);
	int p[2];
	CHECK_OK(pipe(p));
	CHECK_EQ(write(p[1], "a", 1), 1);
	CHECK_EQ(add(ep, p[0], EPOLLIN | EPOLLET, 1), 0);
	EXPECT_ONE(ep, EPOLLIN, 1);
	EXPECT_NONE(ep);
	close_fds(p[0], p[1], ep);
}

static void et_drained_before_wait_nothing(void)
{
	int ep = epoll_create1(0);
	int p[2];
	char buf[8];
	CHECK_OK(pipe(p));
	CHECK_EQ(add(ep, p[0], EPOLLIN | EPOLLET, 1), 0);
	CHECK_EQ(write(p[1], "ab", 2), 2);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 2);
	EXPECT_NONE(ep);
	/* and the dropped wakeup does not come back later */
	EXPECT_NONE(ep);
	close_fds(p[0], p[1], ep);
}

static void et_eventfd_every_write_is_edge(void)
{
	int ep = epoll_create1(0);
	int efd = eventfd(0, EFD_NONBLOCK);
	CHECK_EQ(add(ep, efd, EPOLLIN | EPOLLET, 1), 0);
	EXPECT_NONE(ep);
	for (int i = 0; i < 3; i++) {
		efd_write(efd, 1); /* counter 1, 2, 3: never drained */
		EXPECT_ONE(ep, EPOLLIN, 1);
		EXPECT_NONE(ep);
	}
	uint64_t v = 0;
	CHECK_EQ(read(efd, &v, 8), 8);
	CHECK_EQ(v, 3);
	close_fds(efd, ep);
}

static void et_eventfd_in_out_reports_out_at_add(void)
{
	int ep = epoll_create1(0);
	int efd = eventfd(0, EFD_NONBLOCK);
	CHECK_EQ(add(ep, efd, EPOLLIN | EPOLLOUT | EPOLLET, 1), 0);
	EXPECT_ONE(ep, EPOLLOUT, 1);
	EXPECT_NONE(ep);
	efd_write(efd, 5);
	EXPECT_ONE(ep, EPOLLIN | EPOLLOUT, 1);
	EXPECT_NONE(ep);
	close_fds(efd, ep);
}

static void et_out_only_ignores_in_wakeup(void)
{
	int ep = epoll_create1(0);
	int efd = eventfd(0, EFD_NONBLOCK);
	CHECK_EQ(add(ep, efd, EPOLLOUT | EPOLLET, 1), 0);
	EXPECT_ONE(ep, EPOLLOUT, 1);
	EXPECT_NONE(ep);
	efd_write(efd, 1); /* IN-keyed wakeup: does not match OUT */
	EXPECT_NONE(ep);
	efd_write(efd, 0);
	EXPECT_NONE(ep);
	close_fds(efd, ep);
}

static void et_eventfd_write_zero_gives_out_report(void)
{
	int ep = epoll_create1(0);
	int efd = eventfd(0, EFD_NONBLOCK);
	CHECK_EQ(add(ep, efd, EPOLLIN | EPOLLOUT | EPOLLET, 1), 0);
	EXPECT_ONE(ep, EPOLLOUT, 1);
	EXPECT_NONE(ep);
	efd_write(efd, 0); /* IN key, but the counter is still 0 */
	EXPECT_ONE(ep, EPOLLOUT, 1);
	EXPECT_NONE(ep);
	close_fds(efd, ep);
}

static void et_eventfd_read_wakes_out(void)
{
	int ep = epoll_create1(0);
	int efd = eventfd(7, EFD_NONBLOCK);
	uint64_t v;
	CHECK_EQ(add(ep, efd, EPOLLOUT | EPOLLET, 1), 0);
	EXPECT_ONE(ep, EPOLLOUT, 1);
	EXPECT_NONE(ep);
	CHECK_EQ(read(efd, &v, 8), 8); /* OUT-keyed wakeup */
	EXPECT_ONE(ep, EPOLLOUT, 1);
	EXPECT_NONE(ep);
	/* a failed read (EAGAIN) wakes nobody */
	CHECK_ERR(read(efd, &v, 8), EAGAIN);
	EXPECT_NONE(ep);
	close_fds(efd, ep);
}

static void et_in_only_ignores_out_wakeup(void)
{
	int ep = epoll_create1(0);
	int efd = eventfd(0, EFD_NONBLOCK | EFD_SEMAPHORE);
	uint64_t v;
	CHECK_EQ(add(ep, efd, EPOLLIN | EPOLLET, 1), 0);
	efd_write(efd, 3);
	EXPECT_ONE(ep, EPOLLIN, 1);
	CHECK_EQ(read(efd, &v, 8), 8); /* OUT-keyed wakeup, counter still 2 */
	CHECK_EQ(v, 1);
	EXPECT_NONE(ep);
	close_fds(efd, ep);
}

static void et_hup_is_an_edge(void)
{
	int ep = epoll_create1(0);
	int p[2];
	CHECK_OK(pipe(p));
	CHECK_EQ(add(ep, p[0], EPOLLIN | EPOLLET, 1), 0);
	CHECK_EQ(write(p[1], "a", 1), 1);
	EXPECT_ONE(ep, EPOLLIN, 1);
	close(p[1]);
	EXPECT_ONE(ep, EPOLLIN | EPOLLHUP, 1);
	EXPECT_NONE(ep);
	close_fds(p[0], ep);
}

/* ---------------- EPOLLONESHOT ---------------- */

static void oneshot_silent_after_report(void)
{
	int ep = epoll_create1(0);
	int p[2];
	CHECK_OK(pipe(p));
	CHECK_EQ(add(ep, p[0], EPOLLIN | EPOLLONESHOT, 1), 0);
	CHECK_EQ(write(p[1], "a", 1), 1);
	EXPECT_ONE(ep, EPOLLIN, 1);
	EXPECT_NONE(ep); /* still readable */
	CHECK_EQ(write(p[1], "b", 1), 1);
	EXPECT_NONE(ep); /* new wakeups are ignored too */
	close_fds(p[0], p[1], ep);
}

static void oneshot_several_wakeups_one_report(void)
{
	int ep = epoll_create1(0);
	int efd = eventfd(0, EFD_NONBLOCK);
	CHECK_EQ(add(ep, efd, EPOLLIN | EPOLLONESHOT, 1), 0);
	efd_write(efd, 1);
	efd_write(efd, 1);
	efd_write(efd, 1);
	EXPECT_ONE(ep, EPOLLIN, 1);
	EXPECT_NONE(ep);
	close_fds(efd, ep);
}

static void oneshot_ignores_hup_after_firing(void)
{
	int ep = epoll_create1(0);
	int p[2], q[2];
	CHECK_OK(pipe(p));
	CHECK_OK(pipe(q));
	CHECK_EQ(add(ep, p[0], EPOLLIN | EPOLLONESHOT, 1), 0);
	CHECK_EQ(write(p[1], "a", 1), 1);
	EXPECT_ONE(ep, EPOLLIN, 1);
	close(p[1]);
	EXPECT_NONE(ep);
	/* and the write side: fired entry ignores ERR too */
	CHECK_EQ(add(ep, q[1], EPOLLOUT | EPOLLONESHOT, 2), 0);
	EXPECT_ONE(ep, EPOLLOUT, 2);
	close(q[0]);
	EXPECT_NONE(ep);
	close_fds(p[0], q[1], ep);
}

static void oneshot_add_again_eexist(void)
{
	int ep = epoll_create1(0);
	int p[2];
	CHECK_OK(pipe(p));
	CHECK_EQ(add(ep, p[0], EPOLLIN | EPOLLONESHOT, 1), 0);
	CHECK_EQ(write(p[1], "a", 1), 1);
	EXPECT_ONE(ep, EPOLLIN, 1);
	CHECK_ERR(add(ep, p[0], EPOLLIN | EPOLLONESHOT, 1), EEXIST);
	CHECK_ERR(add(ep, p[0], EPOLLIN, 1), EEXIST);
	close_fds(p[0], p[1], ep);
}

static void oneshot_mod_rearms_identical_events(void)
{
	int ep = epoll_create1(0);
	int p[2];
	CHECK_OK(pipe(p));
	CHECK_EQ(add(ep, p[0], EPOLLIN | EPOLLONESHOT, 1), 0);
	CHECK_EQ(write(p[1], "a", 1), 1);
	EXPECT_ONE(ep, EPOLLIN, 1);
	EXPECT_NONE(ep);
	CHECK_EQ(mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 1), 0);
	EXPECT_ONE(ep, EPOLLIN, 1); /* still ready: queued at once */
	EXPECT_NONE(ep);
	CHECK_EQ(mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 2), 0);
	EXPECT_ONE(ep, EPOLLIN, 2);
	close_fds(p[0], p[1], ep);
}

static void oneshot_mod_rearm_reports_hup_0x11(void)
{
	int ep = epoll_create1(0);
	int p[2];
	CHECK_OK(pipe(p));
	CHECK_EQ(add(ep, p[0], EPOLLIN | EPOLLONESHOT, 1), 0);
	CHECK_EQ(write(p[1], "a", 1), 1);
	EXPECT_ONE(ep, EPOLLIN, 1);
	close(p[1]);
	EXPECT_NONE(ep);
	CHECK_EQ(mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 2), 0);
	EXPECT_ONE(ep, 0x11, 2);
	EXPECT_NONE(ep);
	close_fds(p[0], ep);
}

static void oneshot_mod_not_ready_fires_later(void)
{
	int ep = epoll_create1(0);
	int p[2];
	char buf[4];
	CHECK_OK(pipe(p));
	CHECK_EQ(add(ep, p[0], EPOLLIN | EPOLLONESHOT, 1), 0);
	CHECK_EQ(write(p[1], "a", 1), 1);
	EXPECT_ONE(ep, EPOLLIN, 1);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 1);
	CHECK_EQ(mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 2), 0);
	EXPECT_NONE(ep);
	CHECK_EQ(write(p[1], "b", 1), 1);
	EXPECT_ONE(ep, EPOLLIN, 2);
	EXPECT_NONE(ep);
	/* MOD without ONESHOT turns it into a plain LT entry */
	CHECK_EQ(mod(ep, p[0], EPOLLIN, 3), 0);
	EXPECT_ONE(ep, EPOLLIN, 3);
	EXPECT_ONE(ep, EPOLLIN, 3);
	close_fds(p[0], p[1], ep);
}

static void oneshot_del_fired_entry(void)
{
	int ep = epoll_create1(0);
	int p[2];
	CHECK_OK(pipe(p));
	CHECK_EQ(add(ep, p[0], EPOLLIN | EPOLLONESHOT, 1), 0);
	CHECK_EQ(write(p[1], "a", 1), 1);
	EXPECT_ONE(ep, EPOLLIN, 1);
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), 0);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), ENOENT);
	CHECK_EQ(add(ep, p[0], EPOLLIN | EPOLLONESHOT, 2), 0);
	EXPECT_ONE(ep, EPOLLIN, 2);
	close_fds(p[0], p[1], ep);
}

static void oneshot_with_et(void)
{
	int ep = epoll_create1(0);
	int efd = eventfd(0, EFD_NONBLOCK);
	CHECK_EQ(add(ep, efd, EPOLLIN | EPOLLET | EPOLLONESHOT, 1), 0);
	EXPECT_NONE(ep);
	efd_write(efd, 1);
	EXPECT_ONE(ep, EPOLLIN, 1);
	efd_write(efd, 1);
	EXPECT_NONE(ep);
	CHECK_EQ(mod(ep, efd, EPOLLIN | EPOLLET | EPOLLONESHOT, 2), 0);
	EXPECT_ONE(ep, EPOLLIN, 2);
	EXPECT_NONE(ep);
	close_fds(efd, ep);
}

static void oneshot_unfired_entry_not_disarmed_by_stale_drop(void)
{
	/* An entry that was queued but found not ready at harvest was never
	 * reported, so it is not disarmed. */
	int ep = epoll_create1(0);
	int p[2];
	char buf[4];
	CHECK_OK(pipe(p));
	CHECK_EQ(add(ep, p[0], EPOLLIN | EPOLLONESHOT, 1), 0);
	CHECK_EQ(write(p[1], "a", 1), 1);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 1);
	EXPECT_NONE(ep);
	CHECK_EQ(write(p[1], "b", 1), 1);
	EXPECT_ONE(ep, EPOLLIN, 1);
	EXPECT_NONE(ep);
	close_fds(p[0], p[1], ep);
}

int main(void)
{
	RUN(et_one_report_per_wakeup);
	RUN(et_partial_read_no_event);
	RUN(et_new_data_new_event_old_unread);
	RUN(et_mod_still_ready_reports);
	RUN(et_ready_at_add_reports_once);
	RUN(et_drained_before_wait_nothing);
	RUN(et_eventfd_every_write_is_edge);
	RUN(et_eventfd_in_out_reports_out_at_add);
	RUN(et_out_only_ignores_in_wakeup);
	RUN(et_eventfd_write_zero_gives_out_report);
	RUN(et_eventfd_read_wakes_out);
	RUN(et_in_only_ignores_out_wakeup);
	RUN(et_hup_is_an_edge);
	RUN(oneshot_silent_after_report);
	RUN(oneshot_several_wakeups_one_report);
	RUN(oneshot_ignores_hup_after_firing);
	RUN(oneshot_add_again_eexist);
	RUN(oneshot_mod_rearms_identical_events);
	RUN(oneshot_mod_rearm_reports_hup_0x11);
	RUN(oneshot_mod_not_ready_fires_later);
	RUN(oneshot_del_fired_entry);
	RUN(oneshot_with_et);
	RUN(oneshot_unfired_entry_not_disarmed_by_stale_drop);
	return tl_done();
}
