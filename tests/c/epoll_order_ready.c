/* epoll_order_ready.c: order of the ready list and harvest rules
 * (linux-semantics.md sections 3.2, 4.1, 4.2). Entries are told apart by
 * their data values. */
#include "testlib.h"
#include "testutil.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#define MAXP 16

/* Harvest with maxevents=max and format the data values as "a,b,c". */
static const char *harvest(int ep, int max)
{
	static char s[256];
	struct epoll_event out[MAXP];
	int n = epoll_wait(ep, out, max, 0);
	if (n < 0) {
		snprintf(s, sizeof(s), "error %d", errno);
		return s;
	}
	s[0] = 0;
	for (int i = 0; i < n; i++) {
		size_t l = strlen(s);
		snprintf(s + l, sizeof(s) - l, "%s%llu", i ? "," : "",
			 (unsigned long long)out[i].data.u64);
	}
	return s;
}

#define EXPECT_SEQ(ep, max, want)                                              \
	do {                                                                   \
		const char *got_ = harvest((ep), (max));                       \
		if (strcmp(got_, (want)) != 0)                                 \
			tl_fail(__FILE__, __LINE__,                            \
				"maxevents=%d got [%s] want [%s]", (max),      \
				got_, (want));                                 \
	} while (0)

struct pipes {
	int n;
	int r[MAXP], w[MAXP];
};

static void pipes_open(struct pipes *ps, int n)
{
	ps->n = n;
	for (int i = 0; i < n; i++) {
		int p[2];
		CHECK_OK(pipe(p));
		ps->r[i] = p[0];
		ps->w[i] = p[1];
	}
}

static void pipes_close(struct pipes *ps)
{
	for (int i = 0; i < ps->n; i++) {
		close_fds(ps->r[i], ps->w[i]);
	}
}

/* A new instance with n LT pipes (EPOLLIN), data data0, data0 + 1, ... */
static int ep_pipes(struct pipes *ps, int n, uint64_t data0)
{
	int ep = epoll_create1(0);
	pipes_open(ps, n);
	for (int i = 0; i < n; i++)
		CHECK_EQ(add(ep, ps->r[i], EPOLLIN, data0 + i), 0);
	return ep;
}

static void ep_pipes_close(struct pipes *ps, int ep)
{
	pipes_close(ps);
	close(ep);
}

static void put(struct pipes *ps, int i)
{
	CHECK_EQ(write(ps->w[i], "x", 1), 1);
}

/* put() the pipes in this order: "2031" is 2, 0, 3, then 1. */
static void put_in(struct pipes *ps, const char *order)
{
	for (; *order; order++)
		put(ps, *order - '0');
}

static void put_all(struct pipes *ps)
{
	for (int i = 0; i < ps->n; i++)
		put(ps, i);
}

/* n LT pipes, data 1..n, made ready in this order after the ADDs. */
static int ready_after_add(struct pipes *ps, int n, const char *order)
{
	int ep = ep_pipes(ps, n, 1);
	put_in(ps, order);
	return ep;
}

/* A new instance and n pipes, all ready before anything is added. */
static int ready_before_add(struct pipes *ps, int n)
{
	int ep = epoll_create1(0);
	pipes_open(ps, n);
	put_all(ps);
	return ep;
}

static void drain(struct pipes *ps, int i)
{
	char buf[64];
	CHECK(read(ps->r[i], buf, sizeof(buf)) > 0);
}

/* EXPECT_SEQ for each "max:want" in turn, one harvest each. */
#define EXPECT_SEQS(ep, ...)                                                   \
	expect_seqs(__LINE__, (ep), (const char *[]){__VA_ARGS__, NULL})

static void expect_seqs(int line, int ep, const char *const *steps)
{
	for (int i = 0; steps[i]; i++) {
		int max = atoi(steps[i]);
		const char *want = strchr(steps[i], ':') + 1;
		const char *got = harvest(ep, max);
		if (strcmp(got, want) != 0)
			tl_fail(__FILE__, line,
				"harvest %d: maxevents=%d got [%s] want [%s]",
				i + 1, max, got, want);
	}
}

/* Four LT pipes with data 10..13, made ready in the order 12, 10, 13, 11. */
static int doc_example_setup(struct pipes *ps)
{
	int ep = ep_pipes(ps, 4, 10);
	EXPECT_SEQ(ep, 4, "");
	put_in(ps, "2031");
	return ep;
}

static void lt_rotation_doc_example(void)
{
	struct pipes ps;
	int ep = doc_example_setup(&ps);
	EXPECT_SEQS(ep, "1:12", "1:10", "1:13", "1:11", "1:12", "3:10,13,11",
		    "3:12,10,13", "3:11,12,10");
	ep_pipes_close(&ps, ep);
}

static void lt_rotation_max3_from_fresh(void)
{
	struct pipes ps;
	int ep = doc_example_setup(&ps);
	EXPECT_SEQS(ep, "3:12,10,13", "3:11,12,10", "3:13,11,12",
		    "4:10,13,11,12", "8:10,13,11,12");
	ep_pipes_close(&ps, ep);
}

static void ready_at_add_queued_in_add_order(void)
{
	struct pipes ps;
	int ep = ready_before_add(&ps, 4);
	CHECK_EQ(add(ep, ps.r[3], EPOLLIN, 13), 0);
	CHECK_EQ(add(ep, ps.r[0], EPOLLIN, 10), 0);
	CHECK_EQ(add(ep, ps.r[2], EPOLLIN, 12), 0);
	CHECK_EQ(add(ep, ps.r[1], EPOLLIN, 11), 0);
	EXPECT_SEQ(ep, 8, "13,10,12,11");
	ep_pipes_close(&ps, ep);
}

/* Three keys on one file, data 1, 2, 3 (the file itself and two dups). */
static void add_three_keys(int ep, int fd, int *d1, int *d2)
{
	*d1 = dup(fd);
	*d2 = dup(fd);
	CHECK_EQ(add(ep, fd, EPOLLIN, 1), 0);
	CHECK_EQ(add(ep, *d1, EPOLLIN, 2), 0);
	CHECK_EQ(add(ep, *d2, EPOLLIN, 3), 0);
}

static void one_wakeup_most_recent_add_first(void)
{
	int ep = epoll_create1(0);
	int p[2], d1, d2;
	CHECK_OK(pipe(p));
	add_three_keys(ep, p[0], &d1, &d2);
	EXPECT_SEQ(ep, 8, "");
	CHECK_EQ(write(p[1], "x", 1), 1);
	EXPECT_SEQ(ep, 8, "3,2,1");
	/* then LT re-queue keeps delivery order */
	EXPECT_SEQ(ep, 8, "3,2,1");
	close_fds(d1, d2, p[0], p[1], ep);
}

static void one_wakeup_eventfd_and_readd(void)
{
	int ep = epoll_create1(0);
	int efd = eventfd(0, EFD_NONBLOCK);
	int d1, d2;
	add_three_keys(ep, efd, &d1, &d2);
	/* re-adding key 1 hooks it at the head of the wait queue again */
	CHECK_EQ(del(ep, efd), 0);
	CHECK_EQ(add(ep, efd, EPOLLIN, 1), 0);
	uint64_t one = 1;
	CHECK_EQ(write(efd, &one, 8), 8);
	EXPECT_SEQ(ep, 8, "1,3,2");
	close_fds(d1, d2, efd, ep);
}

static void mod_queued_keeps_position_new_data(void)
{
	struct pipes ps;
	int ep = ready_after_add(&ps, 3, "012");
	CHECK_EQ(mod(ep, ps.r[0], EPOLLIN, 7), 0);
	CHECK_EQ(mod(ep, ps.r[1], EPOLLIN, 8), 0);
	EXPECT_SEQ(ep, 8, "7,8,3");
	ep_pipes_close(&ps, ep);
}

static void mod_unqueued_ready_goes_to_tail(void)
{
	struct pipes ps;
	int ep = epoll_create1(0);
	pipes_open(&ps, 3);
	CHECK_EQ(add(ep, ps.r[2], EPOLLIN | EPOLLET, 3), 0);
	put(&ps, 2);
	EXPECT_SEQ(ep, 8, "3"); /* ET: now off the list, still readable */
	CHECK_EQ(add(ep, ps.r[0], EPOLLIN, 1), 0);
	CHECK_EQ(add(ep, ps.r[1], EPOLLIN, 2), 0);
	put_in(&ps, "01");
	CHECK_EQ(mod(ep, ps.r[2], EPOLLIN | EPOLLET, 9), 0);
	EXPECT_SEQ(ep, 8, "1,2,9");
	ep_pipes_close(&ps, ep);
}

static void del_removes_from_ready_list(void)
{
	struct pipes ps;
	int ep = ready_after_add(&ps, 3, "012");
	CHECK_EQ(del(ep, ps.r[1]), 0);
	EXPECT_SEQ(ep, 8, "1,3");
	/* re-added while ready: queued at the tail */
	CHECK_EQ(add(ep, ps.r[1], EPOLLIN, 2), 0);
	EXPECT_SEQ(ep, 8, "1,3,2");
	/* DEL of an entry in the middle of the LT rotation */
	CHECK_EQ(del(ep, ps.r[2]), 0);
	EXPECT_SEQ(ep, 8, "1,2");
	ep_pipes_close(&ps, ep);
}

static void stale_lt_entry_dropped(void)
{
	struct pipes ps;
	int ep = ready_after_add(&ps, 3, "012");
	drain(&ps, 1);
	EXPECT_SEQS(ep, "8:1,3", "8:1,3");
	/* dropped, so a new wakeup queues it at the tail */
	put(&ps, 1);
	EXPECT_SEQ(ep, 8, "1,3,2");
	/* drained after being re-queued by the last harvest */
	drain(&ps, 0);
	EXPECT_SEQ(ep, 8, "3,2");
	drain(&ps, 2);
	drain(&ps, 1);
	EXPECT_SEQ(ep, 8, "");
	ep_pipes_close(&ps, ep);
}

static void wakeup_of_queued_entry_does_not_move_it(void)
{
	struct pipes ps;
	int ep = ready_after_add(&ps, 3, "01020");
	EXPECT_SEQ(ep, 8, "1,2,3");
	ep_pipes_close(&ps, ep);
}

static void leftovers_then_new_then_requeued(void)
{
	struct pipes ps;
	int ep = ready_after_add(&ps, 4, "012");
	EXPECT_SEQ(ep, 2, "1,2");
	/* list: 3 (leftover), 1, 2 (re-queued); then 4 arrives at the tail */
	put(&ps, 3);
	EXPECT_SEQ(ep, 8, "3,1,2,4");
	ep_pipes_close(&ps, ep);
}

static void et_and_oneshot_not_requeued(void)
{
	struct pipes ps;
	int ep = ready_before_add(&ps, 4);
	CHECK_EQ(add(ep, ps.r[0], EPOLLIN, 1), 0);
	CHECK_EQ(add(ep, ps.r[1], EPOLLIN | EPOLLET, 2), 0);
	CHECK_EQ(add(ep, ps.r[2], EPOLLIN | EPOLLONESHOT, 3), 0);
	CHECK_EQ(add(ep, ps.r[3], EPOLLIN, 4), 0);
	EXPECT_SEQS(ep, "8:1,2,3,4", "8:1,4");
	/* ET re-enters at the tail on its next wakeup */
	put(&ps, 1);
	EXPECT_SEQS(ep, "8:1,4,2", "8:1,4");
	ep_pipes_close(&ps, ep);
}

static void reported_mask_is_harvest_time_mask(void)
{
	int ep = epoll_create1(0);
	int sv[2], p[2];
	struct epoll_event out[4];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(pipe(p));
	/* ET so that only the IN-keyed wakeup can queue it */
	CHECK_EQ(add(ep, sv[0], EPOLLIN | EPOLLOUT | EPOLLET, 1), 0);
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 1);
	CHECK_EQ(out[0].events, EPOLLOUT);
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
	CHECK_EQ(write(sv[1], "x", 1), 1);
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 1);
	CHECK_EQ(out[0].events, EPOLLIN | EPOLLOUT);
	/* state that changed after queueing shows up in the report */
	CHECK_EQ(add(ep, p[0], EPOLLIN, 2), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	close(p[1]);
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 1);
	CHECK_EQ(out[0].data.u64, 2);
	CHECK_EQ(out[0].events, EPOLLIN | EPOLLHUP);
	close_fds(sv[0], sv[1], p[0], ep);
}

static void maxevents_rotation_fairness(void)
{
	static const int maxes[] = {1, 2, 3, 4, 5, 7};
	for (size_t m = 0; m < sizeof(maxes) / sizeof(maxes[0]); m++) {
		int N = 10, max = maxes[m];
		struct pipes ps;
		int ep = ep_pipes(&ps, N, 0);
		put_all(&ps);
		int calls = (N + max - 1) / max;
		int seen[MAXP] = {0};
		int next = 0;
		for (int c = 0; c < calls; c++) {
			struct epoll_event out[MAXP];
			int n = epoll_wait(ep, out, max, 0);
			CHECK_EQ(n, max);
			for (int i = 0; i < n; i++) {
				uint64_t d = out[i].data.u64;
				/* strict round-robin over the 10 entries */
				if (d != (uint64_t)next)
					tl_fail(__FILE__, __LINE__,
						"max=%d call %d slot %d: got "
						"%llu want %d",
						max, c, i,
						(unsigned long long)d, next);
				if (d < (uint64_t)N)
					seen[d]++;
				next = (next + 1) % N;
			}
		}
		for (int i = 0; i < N; i++)
			if (!seen[i])
				tl_fail(
				    __FILE__, __LINE__,
				    "max=%d: fd %d never reported in %d calls",
				    max, i, calls);
		ep_pipes_close(&ps, ep);
	}
}

static void efault_first_copy_keeps_entries_queued(void)
{
	struct pipes ps;
	int ep = ready_after_add(&ps, 3, "012");
	CHECK_ERR(syscall(SYS_epoll_wait, ep, (void *)8, 3, 0), EFAULT);
	EXPECT_SEQ(ep, 8, "1,2,3");
	ep_pipes_close(&ps, ep);
}

static void efault_later_copy_returns_count(void)
{
	char *end = mem_edge(1);
	if (!end)
		return;
	struct pipes ps;
	int ep = ready_after_add(&ps, 3, "012");
	/* room for exactly one record before the PROT_NONE page */
	char *buf = end - 12;
	CHECK_EQ(syscall(SYS_epoll_wait, ep, buf, 3, 0), 1);
	struct epoll_event first;
	memcpy(&first, buf, 12);
	CHECK_EQ(first.data.u64, 1);
	CHECK_EQ(first.events, EPOLLIN);
	/* the failing entry (2) went back in front, 1 was re-queued */
	EXPECT_SEQ(ep, 8, "2,3,1");
	ep_pipes_close(&ps, ep);
	mem_edge_free(end, 1);
}

/* n eventfds in one instance, data = index; made ready in `order`. */
static void eventfd_order(int n, const int *order, int k, const char *want)
{
	struct rlimit rl;
	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	int *fds = calloc((size_t)n, sizeof(int));
	int ep = epoll_create1(0), made = 0;
	uint64_t one = 1;
	CHECK(fds != NULL && ep >= 0);
	for (; fds && made < n; made++) {
		fds[made] = eventfd(0, EFD_NONBLOCK);
		if (fds[made] < 0 || add(ep, fds[made], EPOLLIN, made) != 0)
			break;
	}
	CHECK_EQ(made, n);
	if (made == n) {
		for (int i = 0; i < k; i++)
			CHECK_EQ(write(fds[order[i]], &one, 8), 8);
		EXPECT_SEQ(ep, MAXP, want);
	}
	for (int i = 0; i < made; i++)
		close(fds[i]);
	free(fds);
	close(ep);
}

/* Wake-up order is kept among an instance's first 1,024 entries. */
static void order_within_1000_entries(void)
{
	int order[] = {999, 5, 500, 0, 998};
	eventfd_order(1000, order, 5, "999,5,500,0,998");
}

/* Beyond 1,024 entries interpoll may group wake-ups by bucket: see
 * docs/DIVERGENCES.md "bucket-order". */
static void order_across_1024_entries(void)
{
	DIVERGENCE("bucket-order");
	int order[] = {0, 1050, 1, 2000, 2};
	eventfd_order(2100, order, 5, "0,1050,1,2000,2");
}

int main(void)
{
	RUN(lt_rotation_doc_example);
	RUN(lt_rotation_max3_from_fresh);
	RUN(ready_at_add_queued_in_add_order);
	RUN(one_wakeup_most_recent_add_first);
	RUN(one_wakeup_eventfd_and_readd);
	RUN(mod_queued_keeps_position_new_data);
	RUN(mod_unqueued_ready_goes_to_tail);
	RUN(del_removes_from_ready_list);
	RUN(stale_lt_entry_dropped);
	RUN(wakeup_of_queued_entry_does_not_move_it);
	RUN(leftovers_then_new_then_requeued);
	RUN(et_and_oneshot_not_requeued);
	RUN(reported_mask_is_harvest_time_mask);
	RUN(maxevents_rotation_fairness);
	RUN(efault_first_copy_keeps_entries_queued);
	RUN(efault_later_copy_returns_count);
	RUN(order_within_1000_entries);
	RUN(order_across_1024_entries);
	return tl_done();
}
