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

/* A pipe entry (data 1) with these events, written s, reported once. */
static int reported(int p[2], uint32_t events, const char *s)
{
	int ep = ep_with_pipe(p, 0, events, 1);
	CHECK_EQ(write(p[1], s, strlen(s)), (long)strlen(s));
	EXPECT_ONE(ep, EPOLLIN, 1);
	return ep;
}

static void et_one_report_per_wakeup(void)
{
	int p[2];
	int ep = ep_with_pipe(p, 0, EPOLLIN | EPOLLET, 1);
	EXPECT_NONE(ep);
	CHECK_EQ(write(p[1], "ab", 2), 2);
	EXPECT_ONE(ep, EPOLLIN, 1);
	EXPECT_NONE(ep); /* still readable, but no new wakeup */
	EXPECT_NONE(ep);
	close_fds(p[0], p[1], ep);
}

static void et_partial_read_no_event(void)
{
	int p[2];
	char c;
	int ep = reported(p, EPOLLIN | EPOLLET, "abc");
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(read(p[0], &c, 1), 1);
		EXPECT_NONE(ep);
	}
	close_fds(p[0], p[1], ep);
}

static void et_new_data_new_event_old_unread(void)
{
	int p[2], sv[2];
	int ep = ep_with_pipe(p, 0, EPOLLIN | EPOLLET, 1);
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_EQ(add(ep, sv[0], EPOLLIN | EPOLLET, 2), 0);
	CHECK_EQ(write(p[1], "a", 1), 1);
	EXPECT_ONE(ep, EPOLLIN, 1);
	CHECK_EQ(write(p[1], "b", 1), 1); /* "a" is still unread */
	EXPECT_ONE(ep, EPOLLIN, 1);
	CHECK_EQ(write(sv[1], "a", 1), 1);
	EXPECT_ONE(ep, EPOLLIN, 2);
	CHECK_EQ(write(sv[1], "b", 1), 1);
	EXPECT_ONCE(ep, EPOLLIN, 2);
	close_fds(p[0], p[1], sv[0], sv[1], ep);
}

static void et_mod_still_ready_reports(void)
{
	int p[2];
	int ep = reported(p, EPOLLIN | EPOLLET, "a");
	EXPECT_NONE(ep);
	CHECK_EQ(mod(ep, p[0], EPOLLIN | EPOLLET, 2), 0);
	EXPECT_ONCE(ep, EPOLLIN, 2);
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
	EXPECT_ONCE(ep, EPOLLIN, 1);
	close_fds(p[0], p[1], ep);
}

/* Write s to the pipe and read it back before a harvest: the queued entry
 * is stale, nothing is reported. */
static void drained_before_harvest(int ep, int p[2], const char *s)
{
	char buf[8];
	CHECK_EQ(write(p[1], s, strlen(s)), (long)strlen(s));
	CHECK_EQ(read(p[0], buf, sizeof(buf)), (long)strlen(s));
	EXPECT_NONE(ep);
}

static void et_drained_before_wait_nothing(void)
{
	int p[2];
	int ep = ep_with_pipe(p, 0, EPOLLIN | EPOLLET, 1);
	drained_before_harvest(ep, p, "ab");
	/* and the dropped wakeup does not come back later */
	EXPECT_NONE(ep);
	close_fds(p[0], p[1], ep);
}

static void et_eventfd_every_write_is_edge(void)
{
	int efd;
	int ep = ep_with_eventfd(&efd, 0, EFD_NONBLOCK, EPOLLIN | EPOLLET, 1);
	EXPECT_NONE(ep);
	for (int i = 0; i < 3; i++) {
		efd_write(efd, 1); /* counter 1, 2, 3: never drained */
		EXPECT_ONCE(ep, EPOLLIN, 1);
	}
	CHECK_EQ(efd_read(efd), 3);
	close_fds(efd, ep);
}

/* An eventfd entry (data 1) with these events; its first report is OUT. */
static int reported_out(int *efd, unsigned init, int efd_flags, uint32_t events)
{
	int ep = ep_with_eventfd(efd, init, efd_flags, events, 1);
	EXPECT_ONCE(ep, EPOLLOUT, 1);
	return ep;
}

static void et_eventfd_in_out_reports_out_at_add(void)
{
	int efd;
	int ep =
	    reported_out(&efd, 0, EFD_NONBLOCK, EPOLLIN | EPOLLOUT | EPOLLET);
	efd_write(efd, 5);
	EXPECT_ONCE(ep, EPOLLIN | EPOLLOUT, 1);
	close_fds(efd, ep);
}

static void et_out_only_ignores_in_wakeup(void)
{
	int efd;
	int ep = reported_out(&efd, 0, EFD_NONBLOCK, EPOLLOUT | EPOLLET);
	efd_write(efd, 1); /* IN-keyed wakeup: does not match OUT */
	EXPECT_NONE(ep);
	efd_write(efd, 0);
	EXPECT_NONE(ep);
	close_fds(efd, ep);
}

static void et_eventfd_write_zero_gives_out_report(void)
{
	int efd;
	int ep =
	    reported_out(&efd, 0, EFD_NONBLOCK, EPOLLIN | EPOLLOUT | EPOLLET);
	efd_write(efd, 0); /* IN key, but the counter is still 0 */
	EXPECT_ONCE(ep, EPOLLOUT, 1);
	close_fds(efd, ep);
}

static void et_eventfd_read_wakes_out(void)
{
	int efd;
	uint64_t v;
	int ep = reported_out(&efd, 7, EFD_NONBLOCK, EPOLLOUT | EPOLLET);
	CHECK_EQ(read(efd, &v, 8), 8); /* OUT-keyed wakeup */
	EXPECT_ONCE(ep, EPOLLOUT, 1);
	/* a failed read (EAGAIN) wakes nobody */
	CHECK_ERR(read(efd, &v, 8), EAGAIN);
	EXPECT_NONE(ep);
	close_fds(efd, ep);
}

static void et_in_only_ignores_out_wakeup(void)
{
	int efd;
	int ep = ep_with_eventfd(&efd, 0, EFD_NONBLOCK | EFD_SEMAPHORE,
				 EPOLLIN | EPOLLET, 1);
	efd_write(efd, 3);
	EXPECT_ONE(ep, EPOLLIN, 1);
	/* OUT-keyed wakeup, counter still 2 */
	CHECK_EQ(efd_read(efd), 1);
	EXPECT_NONE(ep);
	close_fds(efd, ep);
}

static void et_hup_is_an_edge(void)
{
	int p[2];
	int ep = reported(p, EPOLLIN | EPOLLET, "a");
	close(p[1]);
	EXPECT_ONCE(ep, EPOLLIN | EPOLLHUP, 1);
	close_fds(p[0], ep);
}

/* ---------------- EPOLLONESHOT ---------------- */

/* A one-shot pipe entry (data 1) that has fired: written "a", reported. */
static int fired(int p[2])
{
	return reported(p, EPOLLIN | EPOLLONESHOT, "a");
}

static void oneshot_silent_after_report(void)
{
	int p[2];
	int ep = fired(p);
	EXPECT_NONE(ep); /* still readable */
	CHECK_EQ(write(p[1], "b", 1), 1);
	EXPECT_NONE(ep); /* new wakeups are ignored too */
	close_fds(p[0], p[1], ep);
}

static void oneshot_several_wakeups_one_report(void)
{
	int efd;
	int ep =
	    ep_with_eventfd(&efd, 0, EFD_NONBLOCK, EPOLLIN | EPOLLONESHOT, 1);
	for (int i = 0; i < 3; i++)
		efd_write(efd, 1);
	EXPECT_ONCE(ep, EPOLLIN, 1);
	close_fds(efd, ep);
}

static void oneshot_ignores_hup_after_firing(void)
{
	int p[2], q[2];
	int ep = fired(p);
	CHECK_OK(pipe(q));
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
	int p[2];
	int ep = fired(p);
	CHECK_ERR(add(ep, p[0], EPOLLIN | EPOLLONESHOT, 1), EEXIST);
	CHECK_ERR(add(ep, p[0], EPOLLIN, 1), EEXIST);
	close_fds(p[0], p[1], ep);
}

static void oneshot_mod_rearms_identical_events(void)
{
	int p[2];
	int ep = fired(p);
	EXPECT_NONE(ep);
	CHECK_EQ(mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 1), 0);
	EXPECT_ONCE(ep, EPOLLIN, 1); /* still ready: queued at once */
	CHECK_EQ(mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 2), 0);
	EXPECT_ONE(ep, EPOLLIN, 2);
	close_fds(p[0], p[1], ep);
}

static void oneshot_mod_rearm_reports_hup_0x11(void)
{
	int p[2];
	int ep = fired(p);
	close(p[1]);
	EXPECT_NONE(ep);
	CHECK_EQ(mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 2), 0);
	EXPECT_ONCE(ep, 0x11, 2);
	close_fds(p[0], ep);
}

static void oneshot_mod_not_ready_fires_later(void)
{
	int p[2];
	char buf[4];
	int ep = fired(p);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 1);
	CHECK_EQ(mod(ep, p[0], EPOLLIN | EPOLLONESHOT, 2), 0);
	EXPECT_NONE(ep);
	CHECK_EQ(write(p[1], "b", 1), 1);
	EXPECT_ONCE(ep, EPOLLIN, 2);
	/* MOD without ONESHOT turns it into a plain LT entry */
	CHECK_EQ(mod(ep, p[0], EPOLLIN, 3), 0);
	EXPECT_ONE(ep, EPOLLIN, 3);
	EXPECT_ONE(ep, EPOLLIN, 3);
	close_fds(p[0], p[1], ep);
}

static void oneshot_del_fired_entry(void)
{
	int p[2];
	int ep = fired(p);
	CHECK_EQ(del(ep, p[0]), 0);
	CHECK_ERR(del(ep, p[0]), ENOENT);
	CHECK_EQ(add(ep, p[0], EPOLLIN | EPOLLONESHOT, 2), 0);
	EXPECT_ONE(ep, EPOLLIN, 2);
	close_fds(p[0], p[1], ep);
}

static void oneshot_with_et(void)
{
	int efd;
	int ep = ep_with_eventfd(&efd, 0, EFD_NONBLOCK,
				 EPOLLIN | EPOLLET | EPOLLONESHOT, 1);
	EXPECT_NONE(ep);
	efd_write(efd, 1);
	EXPECT_ONE(ep, EPOLLIN, 1);
	efd_write(efd, 1);
	EXPECT_NONE(ep);
	CHECK_EQ(mod(ep, efd, EPOLLIN | EPOLLET | EPOLLONESHOT, 2), 0);
	EXPECT_ONCE(ep, EPOLLIN, 2);
	close_fds(efd, ep);
}

static void oneshot_unfired_entry_not_disarmed_by_stale_drop(void)
{
	/* An entry that was queued but found not ready at harvest was never
	 * reported, so it is not disarmed. */
	int p[2];
	int ep = ep_with_pipe(p, 0, EPOLLIN | EPOLLONESHOT, 1);
	drained_before_harvest(ep, p, "a");
	CHECK_EQ(write(p[1], "b", 1), 1);
	EXPECT_ONCE(ep, EPOLLIN, 1);
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
