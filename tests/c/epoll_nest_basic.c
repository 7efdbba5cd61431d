/* epoll_nest_basic.c: epoll fds inside epoll fds: readiness of an epoll
 * fd, poll() on it, loops, the depth limit and the wakeup-path limits
 * (linux-semantics.md sections 3.1 steps 6-8, 3.4, 4.1, 4.2 "Nested"). */
#include "testlib.h"
#include "testutil.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>

static short poll1(int fd, short events)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	int r = poll(&pfd, 1, 0);
	if (r < 0)
		return -1;
	return pfd.revents;
}

/* An outer instance watching a new inner one (outer_events, data 2) that
 * watches end `end` of a new pipe p (inner_events, data 1). */
static int nested(int p[2], int *inner, int end, uint32_t inner_events,
		  uint32_t outer_events)
{
	int outer = epoll_create1(0);
	*inner = epoll_create1(0);
	CHECK_OK(pipe(p));
	CHECK_EQ(add(*inner, p[end], inner_events, 1), 0);
	CHECK_EQ(add(outer, *inner, outer_events, 2), 0);
	return outer;
}

/* nested() with IN entries, then data in the pipe: the outer reports it. */
static int nested_ready(int p[2], int *inner, uint32_t inner_events)
{
	int outer = nested(p, inner, 0, inner_events, EPOLLIN);
	CHECK_EQ(write(p[1], "x", 1), 1);
	EXPECT_ONE(outer, EPOLLIN, 2);
	return outer;
}

static void nested_reports_in_only(void)
{
	int outer = epoll_create1(0), inner = epoll_create1(0);
	int outer2 = epoll_create1(0);
	int p[2];
	CHECK_OK(pipe(p));
	CHECK_EQ(add(inner, p[0], EPOLLIN, 1), 0);
	CHECK_EQ(add(outer, inner, EPOLLIN | EPOLLOUT, 2), 0);
	CHECK_EQ(add(outer2, inner,
		     EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLWRNORM | EPOLLPRI |
			 EPOLLRDHUP,
		     3),
		 0);
	EXPECT_NONE(outer); /* never OUT, even though nothing is ready */
	EXPECT_NONE(outer2);
	CHECK_EQ(write(p[1], "x", 1), 1);
	EXPECT_ONE(outer, EPOLLIN, 2);
	EXPECT_ONE(outer, EPOLLIN, 2); /* level-triggered */
	EXPECT_ONE(outer2, EPOLLIN | EPOLLRDNORM, 3);
	/* the inner still has its event */
	EXPECT_ONE(inner, EPOLLIN, 1);
	close_fds(p[0], p[1], outer, outer2, inner);
}

static void nested_out_only_never_reported(void)
{
	int p[2], inner;
	int outer = nested(p, &inner, 1, EPOLLOUT, EPOLLOUT);
	EXPECT_ONE(inner, EPOLLOUT, 1);
	EXPECT_NONE(outer); /* the inner is ready, but only as IN */
	CHECK_EQ(epoll_ctl(outer, EPOLL_CTL_DEL, inner, NULL), 0);
	CHECK_EQ(add(outer, inner, EPOLLIN, 3), 0);
	EXPECT_ONE(outer, EPOLLIN, 3);
	close_fds(p[0], p[1], outer, inner);
}

static void poll_on_epoll_fd(void)
{
	int ep = epoll_create1(0);
	int p[2];
	CHECK_OK(pipe(p));
	CHECK_EQ(add(ep, p[0], EPOLLIN, 1), 0);
	short all = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM | POLLPRI |
		    POLLRDBAND | POLLWRBAND;
	CHECK_EQ(poll1(ep, all), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(poll1(ep, all), 0x41);
	CHECK_EQ(poll1(ep, POLLIN), POLLIN);
	CHECK_EQ(poll1(ep, POLLOUT | POLLWRNORM | POLLPRI), 0);
	/* an empty instance is not ready */
	int empty = epoll_create1(0);
	CHECK_EQ(poll1(empty, all), 0);
	close_fds(empty, p[0], p[1], ep);
}

static void stale_inner_entries_make_inner_not_ready(void)
{
	int p[2], inner;
	char buf[8];
	int outer = nested(p, &inner, 0, EPOLLIN, EPOLLIN);
	CHECK_EQ(write(p[1], "x", 1), 1);
	/* both the inner entry and the outer entry are now queued */
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 1);
	EXPECT_NONE(outer);
	CHECK_EQ(poll1(inner, POLLIN), 0);
	EXPECT_NONE(inner);
	/* new data: ready again */
	CHECK_EQ(write(p[1], "y", 1), 1);
	CHECK_EQ(poll1(inner, POLLIN), POLLIN);
	EXPECT_ONE(outer, EPOLLIN, 2);
	close_fds(p[0], p[1], outer, inner);
}

static void inner_harvest_of_et_entry_clears_outer(void)
{
	int p[2], inner;
	int outer = nested_ready(p, &inner, EPOLLIN | EPOLLET);
	EXPECT_ONE(outer, EPOLLIN, 2); /* checking the inner consumed nothing */
	EXPECT_ONE(inner, EPOLLIN, 1); /* ET entry leaves the inner list */
	EXPECT_NONE(outer);
	CHECK_EQ(poll1(inner, POLLIN), 0);
	close_fds(p[0], p[1], outer, inner);
}

static void inner_fired_oneshot_not_ready(void)
{
	int p[2], inner;
	int outer = nested_ready(p, &inner, EPOLLIN | EPOLLONESHOT);
	EXPECT_ONE(inner, EPOLLIN, 1);
	EXPECT_NONE(outer); /* pipe still readable, entry disarmed */
	close(p[1]);
	EXPECT_NONE(outer);
	close_fds(p[0], outer, inner);
}

static void outer_et_edge_per_inner_wakeup(void)
{
	/* A wakeup inside the inner wakes whatever polls the inner, with no
	 * key, so an ET outer entry gets a new edge each time, even when the
	 * inner entry was already queued. */
	int p[2], inner;
	int outer = nested(p, &inner, 0, EPOLLIN, EPOLLIN | EPOLLET);
	EXPECT_NONE(outer);
	CHECK_EQ(write(p[1], "a", 1), 1);
	EXPECT_ONE(outer, EPOLLIN, 2);
	EXPECT_NONE(outer);
	CHECK_EQ(write(p[1], "b", 1), 1);
	EXPECT_ONE(outer, EPOLLIN, 2);
	EXPECT_NONE(outer);
	close_fds(p[0], p[1], outer, inner);
}

struct delayed_write {
	int fd;
	int ms;
};

static void *delayed_writer(void *arg)
{
	struct delayed_write *dw = arg;
	struct timespec ts = {dw->ms / 1000, (dw->ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
	if (write(dw->fd, "x", 1) != 1)
		abort();
	return NULL;
}

static void inner_ready_wakes_blocked_outer_waiter(void)
{
	int p[2], inner;
	pthread_t t;
	int outer = nested(p, &inner, 0, EPOLLIN, EPOLLIN);
	struct delayed_write dw = {p[1], 150};
	double t0 = tl_now_ms(); /* before the thread starts its sleep */
	CHECK_EQ(pthread_create(&t, NULL, delayed_writer, &dw), 0);
	struct epoll_event out[4];
	int n = epoll_wait(outer, out, 4, 5000);
	double dt = tl_now_ms() - t0;
	pthread_join(t, NULL);
	CHECK_EQ(n, 1);
	if (n == 1) {
		CHECK_EQ(out[0].events, EPOLLIN);
		CHECK_EQ(out[0].data.u64, 2);
	}
	CHECK(dt >= 100);
	CHECK(dt < 4000);
	close_fds(p[0], p[1], outer, inner);
}

static void inner_ready_wakes_blocked_poll(void)
{
	int inner = epoll_create1(0);
	int p[2];
	pthread_t t;
	CHECK_OK(pipe(p));
	CHECK_EQ(add(inner, p[0], EPOLLIN, 1), 0);
	struct delayed_write dw = {p[1], 150};
	double t0 = tl_now_ms(); /* before the thread starts its sleep */
	CHECK_EQ(pthread_create(&t, NULL, delayed_writer, &dw), 0);
	struct pollfd pfd = {.fd = inner, .events = POLLIN | POLLOUT};
	int n = poll(&pfd, 1, 5000);
	double dt = tl_now_ms() - t0;
	pthread_join(t, NULL);
	CHECK_EQ(n, 1);
	CHECK_EQ(pfd.revents, POLLIN);
	CHECK(dt >= 100);
	CHECK(dt < 4000);
	close_fds(p[0], p[1], inner);
}

static void readiness_through_max_chain(void)
{
	/* 5 instances, 4 links: e[0] is the top, e[4] watches the pipe. */
	int e[5], p[2];
	CHECK_OK(pipe(p));
	for (int i = 0; i < 5; i++)
		e[i] = epoll_create1(0);
	CHECK_EQ(add(e[4], p[0], EPOLLIN, 100), 0);
	for (int i = 3; i >= 0; i--)
		CHECK_EQ(add(e[i], e[i + 1], EPOLLIN, i), 0);
	EXPECT_NONE(e[0]);
	CHECK_EQ(write(p[1], "x", 1), 1);
	EXPECT_ONE(e[0], EPOLLIN, 0);
	EXPECT_ONE(e[2], EPOLLIN, 2);
	EXPECT_ONE(e[4], EPOLLIN, 100);
	char c;
	CHECK_EQ(read(p[0], &c, 1), 1);
	EXPECT_NONE(e[0]);
	for (int i = 0; i < 5; i++)
		close(e[i]);
	close_fds(p[0], p[1]);
}

static void cycle_eloop(void)
{
	int a = epoll_create1(0), b = epoll_create1(0), c = epoll_create1(0);
	CHECK_EQ(add(b, a, EPOLLIN, 0), 0);	 /* a inside b */
	CHECK_ERR(add(a, b, EPOLLIN, 0), ELOOP); /* b inside a */
	/* three-instance cycle: a in b, b in c, then c in a */
	CHECK_EQ(add(c, b, EPOLLIN, 0), 0);
	CHECK_ERR(add(a, c, EPOLLIN, 0), ELOOP);
	/* the failed adds left nothing behind */
	CHECK_ERR(epoll_ctl(a, EPOLL_CTL_DEL, b, NULL), ENOENT);
	CHECK_ERR(epoll_ctl(a, EPOLL_CTL_DEL, c, NULL), ENOENT);
	/* a dup of b is the same file: still a cycle */
	int bd = dup(b);
	CHECK_ERR(add(a, bd, EPOLLIN, 0), ELOOP);
	close_fds(bd, a, b, c);
}

static void del_link_allows_reverse(void)
{
	int a = epoll_create1(0), b = epoll_create1(0);
	CHECK_EQ(add(b, a, EPOLLIN, 0), 0);
	CHECK_ERR(add(a, b, EPOLLIN, 0), ELOOP);
	CHECK_EQ(epoll_ctl(b, EPOLL_CTL_DEL, a, NULL), 0);
	CHECK_EQ(add(a, b, EPOLLIN, 0), 0);
	CHECK_ERR(add(b, a, EPOLLIN, 0), ELOOP);
	close_fds(a, b);
}

static void close_inner_breaks_link(void)
{
	int p[2], a;
	int b = nested_ready(p, &a, EPOLLIN);
	close(a); /* only reference: the entry in b goes away */
	EXPECT_NONE(b);
	int a2 = epoll_create1(0);
	CHECK_EQ(a2, a);
	CHECK_EQ(add(a2, b, EPOLLIN, 3), 0); /* no stale link: no ELOOP */
	close_fds(a2, b, p[0], p[1]);
}

static void self_add_einval(void)
{
	int ep = epoll_create1(0);
	int d = dup(ep);
	CHECK_ERR(add(ep, ep, EPOLLIN, 0), EINVAL);
	CHECK_ERR(add(ep, d, EPOLLIN, 0), EINVAL);
	CHECK_ERR(add(d, ep, EPOLLIN, 0), EINVAL);
	close_fds(d, ep);
}

static void depth_limit_top_down(void)
{
	int e[6];
	for (int i = 0; i < 6; i++)
		e[i] = epoll_create1(0);
	/* e[0] top; each new instance goes inside the previous one */
	for (int i = 1; i < 5; i++)
		CHECK_EQ(add(e[i - 1], e[i], EPOLLIN, i), 0);
	CHECK_ERR(add(e[4], e[5], EPOLLIN, 5), ELOOP);
	/* and the other end: a new top above e[0] */
	CHECK_ERR(add(e[5], e[0], EPOLLIN, 0), ELOOP);
	/* a fresh epoll may still watch the top of a shorter chain */
	CHECK_EQ(epoll_ctl(e[3], EPOLL_CTL_DEL, e[4], NULL), 0);
	CHECK_EQ(add(e[5], e[0], EPOLLIN, 0), 0);
	CHECK_ERR(add(e[3], e[4], EPOLLIN, 4), ELOOP);
	for (int i = 0; i < 6; i++)
		close(e[i]);
}

static void depth_limit_bottom_up(void)
{
	int e[6];
	for (int i = 0; i < 6; i++)
		e[i] = epoll_create1(0);
	/* e[5] bottom; each new instance watches the previous top */
	for (int i = 4; i >= 1; i--)
		CHECK_EQ(add(e[i], e[i + 1], EPOLLIN, i), 0);
	CHECK_ERR(add(e[0], e[1], EPOLLIN, 0), ELOOP);
	for (int i = 0; i < 6; i++)
		close(e[i]);
}

static void depth_limit_joining_chains(void)
{
	/* x1 in x2 in x3 (2 links below x3); y1 in y2 (1 link above y1).
	 * Linking x3 into y1 gives 2 + 1 + 1 = 4 links: allowed. Anything
	 * more on either end gives 5: ELOOP. */
	int x1 = epoll_create1(0), x2 = epoll_create1(0), x3 = epoll_create1(0);
	int y1 = epoll_create1(0), y2 = epoll_create1(0);
	int z = epoll_create1(0), z2 = epoll_create1(0);
	CHECK_EQ(add(x2, x1, EPOLLIN, 0), 0);
	CHECK_EQ(add(x3, x2, EPOLLIN, 0), 0);
	CHECK_EQ(add(y2, y1, EPOLLIN, 0), 0);
	CHECK_EQ(add(y1, x3, EPOLLIN, 0), 0);
	CHECK_ERR(add(x1, z, EPOLLIN, 0), ELOOP);
	CHECK_ERR(add(z, y2, EPOLLIN, 0), ELOOP);
	/* a side branch of the same depth is fine */
	CHECK_EQ(add(x2, z, EPOLLIN, 0), 0);
	CHECK_ERR(add(z, z2, EPOLLIN, 0), ELOOP);
	close_fds(x1, x2, x3, y1, y2, z, z2);
}

static void exclusive_add_of_epoll_einval(void)
{
	int a = epoll_create1(0), b = epoll_create1(0);
	CHECK_ERR(add(a, b, EPOLLIN | EPOLLEXCLUSIVE, 0), EINVAL);
	CHECK_EQ(add(b, a, EPOLLIN, 0), 0);
	/* would also be a cycle: EINVAL still wins */
	CHECK_ERR(add(a, b, EPOLLIN | EPOLLEXCLUSIVE, 0), EINVAL);
	CHECK_ERR(add(a, b, EPOLLIN, 0), ELOOP);
	close_fds(a, b);
}

/* One pipe, a chain of (levels-1) epolls below a top, and leaves: fresh
 * epolls that each watch the pipe and sit inside the lowest chain member.
 * Every leaf adds one wakeup path of length `levels` from the pipe. */
static void path_limit_case(int levels, int cap)
{
	int p[2];
	int chain[4];
	int nchain = levels - 1;
	int *leaf = calloc(cap + 1, sizeof(int));
	int nleaf = 0;
	CHECK_OK(pipe(p));
	for (int i = 0; i < nchain; i++) {
		chain[i] = epoll_create1(0);
		if (i > 0)
			CHECK_EQ(add(chain[i - 1], chain[i], EPOLLIN, 0), 0);
	}
	int parent = chain[nchain - 1];
	for (int i = 0; i < cap; i++) {
		int e = epoll_create1(0);
		CHECK(e >= 0);
		leaf[nleaf++] = e;
		/* alternate the order: both kinds of add run the full check */
		if (i % 2 == 0) {
			CHECK_EQ(add(e, p[0], EPOLLIN, i), 0);
			CHECK_EQ(add(parent, e, EPOLLIN, i), 0);
		} else {
			CHECK_EQ(add(parent, e, EPOLLIN, i), 0);
			CHECK_EQ(add(e, p[0], EPOLLIN, i), 0);
		}
		if (tl_case_failed)
			break;
	}
	/* one path too many, both ways round */
	int e = epoll_create1(0);
	leaf[nleaf++] = e;
	CHECK_EQ(add(e, p[0], EPOLLIN, 0), 0);
	CHECK_ERR(add(parent, e, EPOLLIN, 0), EINVAL);
	CHECK_ERR(epoll_ctl(parent, EPOLL_CTL_DEL, e, NULL), ENOENT);
	CHECK_EQ(epoll_ctl(e, EPOLL_CTL_DEL, p[0], NULL), 0);
	CHECK_EQ(add(parent, e, EPOLLIN, 0), 0);
	CHECK_ERR(add(e, p[0], EPOLLIN, 0), EINVAL);
	CHECK_ERR(epoll_ctl(e, EPOLL_CTL_DEL, p[0], NULL), ENOENT);
	/* a leaf watching another pipe is unaffected */
	int q[2];
	CHECK_OK(pipe(q));
	CHECK_EQ(add(e, q[0], EPOLLIN, 0), 0);
	/* free one path and the add succeeds */
	CHECK_EQ(epoll_ctl(leaf[0], EPOLL_CTL_DEL, p[0], NULL), 0);
	CHECK_EQ(add(e, p[0], EPOLLIN, 0), 0);
	/* the whole tree still delivers */
	CHECK_EQ(write(p[1], "x", 1), 1);
	struct epoll_event out[1];
	CHECK_EQ(epoll_wait(chain[0], out, 1, 0), 1);
	CHECK_EQ(out[0].events, EPOLLIN);
	for (int i = 0; i < nleaf; i++)
		close(leaf[i]);
	for (int i = 0; i < nchain; i++)
		close(chain[i]);
	close_fds(p[0], p[1], q[0], q[1]);
	free(leaf);
}

static void wakeup_path_limit_len2_500(void)
{
	raise_nofile(4096);
	path_limit_case(2, 500);
}

static void wakeup_path_limit_len3_100(void)
{
	path_limit_case(3, 100);
}

static void wakeup_path_limit_len4_50(void)
{
	path_limit_case(4, 50);
}

static void wakeup_path_limit_len5_10(void)
{
	path_limit_case(5, 10);
}

static void direct_watchers_unlimited(void)
{
	enum { N = 2000 };
	static int eps[N];
	int p[2];
	raise_nofile(N + 200);
	CHECK_OK(pipe(p));
	int made = 0;
	for (int i = 0; i < N; i++) {
		eps[i] = epoll_create1(0);
		if (eps[i] < 0) {
			tl_fail(__FILE__, __LINE__, "epoll_create1 #%d: %s", i,
				strerror(errno));
			break;
		}
		made++;
		if (add(eps[i], p[0], EPOLLIN, i) != 0) {
			tl_fail(__FILE__, __LINE__, "ADD #%d: %s", i,
				strerror(errno));
			break;
		}
	}
	CHECK_EQ(write(p[1], "x", 1), 1);
	int reported = 0;
	for (int i = 0; i < made; i++) {
		struct epoll_event out[2];
		if (epoll_wait(eps[i], out, 2, 0) == 1 &&
		    out[0].data.u64 == (uint64_t)i)
			reported++;
	}
	CHECK_EQ(reported, N);
	for (int i = 0; i < made; i++)
		close(eps[i]);
	close_fds(p[0], p[1]);
}

int main(void)
{
	RUN(nested_reports_in_only);
	RUN(nested_out_only_never_reported);
	RUN(poll_on_epoll_fd);
	RUN(stale_inner_entries_make_inner_not_ready);
	RUN(inner_harvest_of_et_entry_clears_outer);
	RUN(inner_fired_oneshot_not_ready);
	RUN(outer_et_edge_per_inner_wakeup);
	RUN(inner_ready_wakes_blocked_outer_waiter);
	RUN(inner_ready_wakes_blocked_poll);
	RUN(readiness_through_max_chain);
	RUN(cycle_eloop);
	RUN(del_link_allows_reverse);
	RUN(close_inner_breaks_link);
	RUN(self_add_einval);
	RUN(depth_limit_top_down);
	RUN(depth_limit_bottom_up);
	RUN(depth_limit_joining_chains);
	RUN(exclusive_add_of_epoll_einval);
	RUN(wakeup_path_limit_len2_500);
	RUN(wakeup_path_limit_len3_100);
	RUN(wakeup_path_limit_len4_50);
	RUN(wakeup_path_limit_len5_10);
	RUN(direct_watchers_unlimited);
	return tl_done();
}
