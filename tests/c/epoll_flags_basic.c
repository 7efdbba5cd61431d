/* epoll_flags_basic.c: what an entry reports: ERR/HUP always, RDHUP only on
 * request, requested bits only, unknown bits kept harmlessly, opaque data,
 * EPOLLWAKEUP accepted (linux-semantics.md sections 3.1 step 5, 3.2, 3.3,
 * 4.2). */
#include "testlib.h"
#include "testutil.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

static void err_reported_with_events_zero(void)
{
	int p[2];
	int ep = ep_with_pipe(p, 1, 0, 1);
	EXPECT_NONE(ep); /* writable, but OUT was not asked for */
	close(p[0]);
	EXPECT_ONE(ep, EPOLLERR, 1);
	EXPECT_ONE(ep, EPOLLERR, 1); /* level-triggered: again */
	close_fds(p[1], ep);
}

/* Data in fds[0], not watched for; closing fds[1] then reports HUP. */
static void expect_hup_at_close(int ep, int fds[2], uint64_t data)
{
	CHECK_EQ(write(fds[1], "x", 1), 1);
	EXPECT_NONE(ep);
	close(fds[1]);
	EXPECT_ONE(ep, EPOLLHUP, data);
	close_fds(fds[0], ep);
}

static void hup_reported_with_events_zero(void)
{
	int p[2];
	int ep = ep_with_pipe(p, 0, 0, 2);
	/* readable, but IN was not asked for */
	expect_hup_at_close(ep, p, 2);
}

static void explicit_err_hup_mask_same_as_zero(void)
{
	int p[2];
	int ep = ep_with_pipe(p, 0, EPOLLERR | EPOLLHUP, 3);
	CHECK_EQ(add(ep, p[1], EPOLLERR | EPOLLHUP, 4), 0);
	expect_hup_at_close(ep, p, 3);
}

static void err_hup_added_to_requested_bits(void)
{
	int p[2];
	int ep1 = ep_with_pipe(p, 1, EPOLLOUT, 5), ep2 = epoll_create1(0);
	CHECK_EQ(add(ep2, p[0], EPOLLIN, 6), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	EXPECT_ONE(ep1, EPOLLOUT, 5);
	EXPECT_ONE(ep2, EPOLLIN, 6);
	/* writer goes: data plus hangup */
	int w = dup(p[1]);
	close(p[1]);
	EXPECT_ONE(ep2, EPOLLIN, 6); /* w still holds the write end */
	close(w);
	EXPECT_ONE(ep2, EPOLLIN | EPOLLHUP, 6);
	char c;
	CHECK_EQ(read(p[0], &c, 1), 1);
	EXPECT_ONE(ep2, EPOLLHUP, 6);
	close_fds(p[0], ep1, ep2);
}

static void err_with_out_after_reader_closes(void)
{
	int p[2];
	int ep = ep_with_pipe(p, 1, EPOLLOUT, 7);
	EXPECT_ONE(ep, EPOLLOUT, 7);
	close(p[0]);
	EXPECT_ONE(ep, EPOLLOUT | EPOLLERR, 7);
	close_fds(p[1], ep);
}

static void hup_on_socket_peer_close_events_zero(void)
{
	int sv[2];
	int ep = ep_with_socketpair(sv, 0, 8);
	expect_hup_at_close(ep, sv, 8);
}

static void rdhup_only_when_requested(void)
{
	int ep = epoll_create1(0);
	int sv[2];
	struct epoll_event out[4];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	int d = dup(sv[0]);
	CHECK_EQ(add(ep, sv[0], EPOLLIN | EPOLLRDHUP, 1), 0);
	CHECK_EQ(add(ep, d, EPOLLIN, 2), 0);
	EXPECT_NONE(ep);
	CHECK_EQ(shutdown(sv[1], SHUT_WR), 0);
	int n = epoll_wait(ep, out, 4, 0);
	CHECK_EQ(n, 2);
	for (int i = 0; i < n; i++) {
		if (out[i].data.u64 == 1)
			CHECK_EQ(out[i].events, EPOLLIN | EPOLLRDHUP);
		else if (out[i].data.u64 == 2)
			CHECK_EQ(out[i].events, EPOLLIN);
		else
			CHECK(!"unexpected data");
	}
	close_fds(d, sv[0], sv[1], ep);
}

static void rdhup_alone(void)
{
	int sv[2];
	int ep = ep_with_socketpair(sv, EPOLLRDHUP, 3);
	CHECK_EQ(write(sv[1], "x", 1), 1);
	EXPECT_NONE(ep); /* readable, but only RDHUP was asked for */
	CHECK_EQ(shutdown(sv[1], SHUT_WR), 0);
	EXPECT_ONE(ep, EPOLLRDHUP, 3);
	close_fds(sv[0], sv[1], ep);
}

static void only_requested_bits_reported(void)
{
	int ep = epoll_create1(0);
	int p[2];
	struct epoll_event out[4];
	CHECK_OK(pipe(p));
	int d1 = dup(p[0]), d2 = dup(p[0]), d3 = dup(p[0]);
	CHECK_EQ(add(ep, p[0], EPOLLIN, 1), 0);
	CHECK_EQ(add(ep, d1, EPOLLIN | EPOLLRDNORM, 2), 0);
	CHECK_EQ(add(ep, d2, EPOLLRDNORM, 3), 0);
	CHECK_EQ(add(ep, d3, EPOLLPRI | EPOLLOUT, 4), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	int n = epoll_wait(ep, out, 4, 0);
	CHECK_EQ(n, 3);
	for (int i = 0; i < n; i++) {
		switch (out[i].data.u64) {
		case 1:
			CHECK_EQ(out[i].events, EPOLLIN);
			break;
		case 2:
			CHECK_EQ(out[i].events, EPOLLIN | EPOLLRDNORM);
			break;
		case 3:
			CHECK_EQ(out[i].events, EPOLLRDNORM);
			break;
		default:
			CHECK(!"unexpected entry reported");
		}
	}
	close_fds(d1, d2, d3, p[0], p[1], ep);
}

static void out_wrnorm_on_write_end(void)
{
	int p[2];
	int ep = ep_with_pipe(p, 1, EPOLLOUT | EPOLLWRNORM, 1);
	int d = dup(p[1]);
	EXPECT_ONE(ep, EPOLLOUT | EPOLLWRNORM, 1);
	CHECK_EQ(del(ep, p[1]), 0);
	CHECK_EQ(add(ep, d, EPOLLWRNORM | EPOLLIN, 2), 0);
	EXPECT_ONE(ep, EPOLLWRNORM, 2);
	close_fds(d, p[0], p[1], ep);
}

static void eventfd_reports_no_rdnorm_wrnorm(void)
{
	int efd;
	int ep =
	    ep_with_eventfd(&efd, 0, EFD_NONBLOCK,
			    EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLWRNORM, 1);
	EXPECT_ONE(ep, EPOLLOUT, 1);
	efd_write(efd, 1);
	EXPECT_ONE(ep, EPOLLIN | EPOLLOUT, 1);
	CHECK_EQ(mod(ep, efd, EPOLLRDNORM | EPOLLWRNORM, 2), 0);
	EXPECT_NONE(ep);
	close_fds(efd, ep);
}

static void unknown_bits_stored_harmlessly(void)
{
	int p[2];
	int ep =
	    ep_with_pipe(p, 0, EPOLLIN | 0x4000 | 0x100000 | (1u << 27), 1);
	EXPECT_NONE(ep);
	CHECK_EQ(write(p[1], "x", 1), 1);
	EXPECT_ONE(ep, EPOLLIN, 1);
	/* every non-private bit: the result is the poll mask itself */
	CHECK_EQ(mod(ep, p[0], 0x0fffffff, 2), 0);
	EXPECT_ONE(ep, EPOLLIN | EPOLLRDNORM, 2);
	close(p[1]);
	EXPECT_ONE(ep, EPOLLIN | EPOLLRDNORM | EPOLLHUP, 2);
	close_fds(p[0], ep);
}

static void mod_events_zero_still_reports_hup(void)
{
	int p[2];
	int ep = ep_with_pipe(p, 0, EPOLLIN, 1);
	CHECK_EQ(write(p[1], "x", 1), 1);
	EXPECT_ONE(ep, EPOLLIN, 1);
	CHECK_EQ(mod(ep, p[0], 0, 2), 0);
	/* still readable, IN no longer watched */
	expect_hup_at_close(ep, p, 2);
}

static void mod_events_zero_still_reports_err(void)
{
	int p[2];
	int ep = ep_with_pipe(p, 1, EPOLLOUT, 1);
	EXPECT_ONE(ep, EPOLLOUT, 1);
	CHECK_EQ(mod(ep, p[1], 0, 2), 0);
	EXPECT_NONE(ep);
	close(p[0]);
	EXPECT_ONE(ep, EPOLLERR, 2);
	close_fds(p[1], ep);
}

static void data_is_opaque_64_bits(void)
{
	static const uint64_t vals[] = {
	    0xdeadbeefcafebabeULL, 0, ~0ULL, 1ULL << 63, 0xffffffffULL,
	    0x100000000ULL,
	};
	int ep = epoll_create1(0);
	int p[2];
	CHECK_OK(pipe(p));
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(add(ep, p[0], EPOLLIN, vals[0]), 0);
	EXPECT_ONE(ep, EPOLLIN, 0xdeadbeefcafebabeULL);
	for (size_t i = 1; i < sizeof(vals) / sizeof(vals[0]); i++) {
		CHECK_EQ(mod(ep, p[0], EPOLLIN, vals[i]), 0);
		EXPECT_ONE(ep, EPOLLIN, vals[i]);
	}
	/* the fd member of the union is just the low 32 bits */
	struct epoll_event ev, out[2];
	memset(&ev, 0xee, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = p[0];
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev), 0);
	CHECK_EQ(epoll_wait(ep, out, 2, 0), 1);
	CHECK_EQ(out[0].data.fd, p[0]);
	CHECK_EQ(out[0].data.u64 >> 32, 0xeeeeeeeeULL);
	close_fds(p[0], p[1], ep);
}

static void wakeup_flag_accepted_silently(void)
{
	int p[2];
	int ep = ep_with_pipe(p, 0, EPOLLIN | EPOLLWAKEUP, 1);
	int d = dup(p[0]);
	CHECK_EQ(add(ep, d, EPOLLIN | EPOLLWAKEUP | EPOLLET | EPOLLONESHOT, 2),
		 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	struct epoll_event out[4];
	int n = epoll_wait(ep, out, 4, 0);
	CHECK_EQ(n, 2);
	for (int i = 0; i < n; i++)
		CHECK_EQ(out[i].events, EPOLLIN); /* WAKEUP never reported */
	CHECK_EQ(mod(ep, p[0], EPOLLIN | EPOLLOUT | EPOLLWAKEUP, 3), 0);
	EXPECT_ONE(ep, EPOLLIN, 3); /* d fired ONESHOT: silent */
	CHECK_EQ(mod(ep, p[0], EPOLLWAKEUP, 4), 0);
	EXPECT_NONE(ep);
	close_fds(d, p[0], p[1], ep);
}

int main(void)
{
	RUN(err_reported_with_events_zero);
	RUN(hup_reported_with_events_zero);
	RUN(explicit_err_hup_mask_same_as_zero);
	RUN(err_hup_added_to_requested_bits);
	RUN(err_with_out_after_reader_closes);
	RUN(hup_on_socket_peer_close_events_zero);
	RUN(rdhup_only_when_requested);
	RUN(rdhup_alone);
	RUN(only_requested_bits_reported);
	RUN(out_wrnorm_on_write_end);
	RUN(eventfd_reports_no_rdnorm_wrnorm);
	RUN(unknown_bits_stored_harmlessly);
	RUN(mod_events_zero_still_reports_hup);
	RUN(mod_events_zero_still_reports_err);
	RUN(data_is_opaque_64_bits);
	RUN(wakeup_flag_accepted_silently);
	return tl_done();
}
