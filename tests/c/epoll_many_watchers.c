/* epoll_many_watchers.c: one open file watched by many live instances.
 *
 * Linux puts no limit on how many epoll instances watch one file directly
 * (reverse_path_check allows any number of paths of length 1), and an
 * EPOLLEXCLUSIVE wake-up walks the file's wait queue in ADD order until
 * the first instance with a sleeping waiter: one waiter wakes per event,
 * however many instances there are. These cases use more instances than
 * the 500 paths of length 2 the kernel allows through nested epolls, so
 * that an implementation which nests its own epolls shows it.
 *
 * See docs: linux-semantics.md sections 3.3, 4.4 and 5.
 */
#include "testutil.h"

#define MANY 2000
#define EXCL_MANY 700
#define HUGE_MANY 10000

static int eps[HUGE_MANY];

/* n new instances, each watching fd with events (data: its index). */
static int make_watchers(int n, int fd, uint32_t events)
{
	for (int i = 0; i < n; i++) {
		eps[i] = epoll_create1(EPOLL_CLOEXEC);
		if (eps[i] < 0) {
			tl_fail(__FILE__, __LINE__, "epoll_create1 #%d: %s", i,
				strerror(errno));
			return i;
		}
		if (add(eps[i], fd, events, (uint64_t)i) != 0) {
			tl_fail(__FILE__, __LINE__, "ADD #%d: %s", i,
				strerror(errno));
			return i + 1;
		}
	}
	return n;
}

static void close_watchers(int n)
{
	for (int i = 0; i < n; i++)
		close(eps[i]);
}

/* How many of the first n instances report exactly their own entry now. */
static int count_reporting(int n, uint32_t events)
{
	int c = 0;
	for (int i = 0; i < n; i++) {
		struct epoll_event out[2];
		if (epoll_wait(eps[i], out, 2, 0) == 1 &&
		    out[0].data.u64 == (uint64_t)i && out[0].events == events)
			c++;
	}
	return c;
}

/* 2,000 level-triggered watchers of one socket: all see it readable, and
 * none once it is drained. */
static void many_level_watchers(void)
{
	int sv[2];
	char buf[8];
	raise_nofile(MANY + 256);
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	int n = make_watchers(MANY, sv[0], EPOLLIN);
	CHECK_EQ(n, MANY);
	CHECK_EQ(count_reporting(n, EPOLLIN), 0);
	CHECK_EQ(write(sv[1], "x", 1), 1);
	CHECK_EQ(count_reporting(n, EPOLLIN), MANY);
	CHECK_EQ(count_reporting(n, EPOLLIN), MANY); /* level: again */
	CHECK_EQ(read(sv[0], buf, sizeof(buf)), 1);
	CHECK_EQ(count_reporting(n, EPOLLIN), 0);
	close_watchers(n);
	close_fds(sv[0], sv[1]);
}

/* 10,000 live instances on one socket, as the issue that asked for no
 * per-file limit puts it. */
static void ten_thousand_watchers(void)
{
	int sv[2];
	if (!nofile_allows(HUGE_MANY + 256, HUGE_MANY + 64))
		return;
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	int n = make_watchers(HUGE_MANY, sv[0], EPOLLIN);
	CHECK_EQ(n, HUGE_MANY);
	CHECK_EQ(write(sv[1], "x", 1), 1);
	CHECK_EQ(count_reporting(n, EPOLLIN), HUGE_MANY);
	close_watchers(n);
	close_fds(sv[0], sv[1]);
}

/* 1,000 edge-triggered watchers of a pipe: each wake-up reaches every one
 * of them exactly once, round after round. */
static void many_edge_watchers_each_wakeup(void)
{
	int p[2];
	enum { N = 1000 };
	raise_nofile(N + 256);
	CHECK_OK(pipe2(p, O_CLOEXEC | O_NONBLOCK));
	int n = make_watchers(N, p[0], EPOLLIN | EPOLLET);
	CHECK_EQ(n, N);
	for (int round = 0; round < 3; round++) {
		CHECK_EQ(write(p[1], "x", 1), 1);
		CHECK_EQ(count_reporting(n, EPOLLIN), N);
		CHECK_EQ(count_reporting(n, EPOLLIN), 0); /* edge: once */
	}
	close_watchers(n);
	close_fds(p[0], p[1]);
}

/* Many exclusive entries and nobody waiting: the walk finds no sleeper,
 * so every instance gets the entry queued. */
static void exclusive_without_sleepers_reaches_all(void)
{
	raise_nofile(EXCL_MANY + 256);
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	CHECK(efd >= 0);
	int n = make_watchers(EXCL_MANY, efd, EPOLLIN | EPOLLEXCLUSIVE);
	CHECK_EQ(n, EXCL_MANY);
	CHECK_EQ(eventfd_write(efd, 1), 0);
	CHECK_EQ(count_reporting(n, EPOLLIN), EXCL_MANY);
	close_watchers(n);
	close(efd);
}

struct sleeper {
	pthread_t th;
	int ep;
	atomic_int state; /* 0 starting, 1 about to wait, 2 returned */
	atomic_int tid;
	int ret;
	struct epoll_event ev[2];
};

static struct sleeper sl[EXCL_MANY];

static void *sleeper_fn(void *arg)
{
	struct sleeper *s = arg;
	atomic_store(&s->tid, (int)syscall(SYS_gettid));
	atomic_store(&s->state, 1);
	s->ret = epoll_wait(s->ep, s->ev, 2, 20000);
	atomic_store(&s->state, 2);
	return NULL;
}

static int sleepers_returned(int n)
{
	int c = 0;
	for (int i = 0; i < n; i++)
		c += atomic_load(&sl[i].state) == 2;
	return c;
}

/* Every sleeper is asleep in its call (state S after announcing it). */
static int sleepers_asleep(int n)
{
	double t0 = tl_now_ms();
	int i = 0;
	while (i < n && tl_now_ms() - t0 < 20000) {
		if (atomic_load(&sl[i].state) == 1 &&
		    task_state(getpid(), atomic_load(&sl[i].tid)) == 'S')
			i++;
		else
			sleep_ms(1);
	}
	sleep_ms(100);
	return i == n && sleepers_returned(n) == 0;
}

/* Sleepers on eps[at[0..n)] (at NULL: eps[0..n)), each asleep in its
 * epoll_wait when this returns; how many started. */
static int start_sleepers(const int *at, int n)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	int started = 0;
	for (int i = 0; i < n; i++) {
		sl[i].ep = eps[at ? at[i] : i];
		sl[i].ret = -2;
		atomic_store(&sl[i].state, 0);
		atomic_store(&sl[i].tid, 0);
		if (pthread_create(&sl[i].th, &attr, sleeper_fn, &sl[i]) != 0)
			break;
		started++;
	}
	pthread_attr_destroy(&attr);
	CHECK_EQ(started, n);
	CHECK(sleepers_asleep(started));
	return started;
}

/* One event on efd: exactly one sleeper returns, sleeper 0, with the
 * entry of its instance (data). */
static void one_sleeper_wakes(int efd, int started, uint64_t data)
{
	CHECK_EQ(eventfd_write(efd, 1), 0);
	double t0 = tl_now_ms();
	while (sleepers_returned(started) < 1 && tl_now_ms() - t0 < 5000)
		sleep_ms(2);
	sleep_ms(300);
	CHECK_EQ(sleepers_returned(started), 1);
	for (int i = 1; i < started; i++)
		if (atomic_load(&sl[i].state) == 2)
			tl_fail(__FILE__, __LINE__, "sleeper %d woke", i);
	CHECK_EQ(atomic_load(&sl[0].state), 2);
	CHECK_EQ(sl[0].ret, 1);
	CHECK_EQ(sl[0].ev[0].data.u64, data);
}

/* The other sleepers return through their non-exclusive entry on stop
 * (data 0x5709). */
static void release_sleepers(int stop, int started)
{
	CHECK_EQ(eventfd_write(stop, 1), 0);
	for (int i = 0; i < started; i++)
		pthread_join(sl[i].th, NULL);
	for (int i = 1; i < started; i++)
		CHECK(sl[i].ret >= 1 && sl[i].ev[0].data.u64 == 0x5709);
}

/* Many exclusive entries, each instance with a sleeping waiter: one
 * event wakes one waiter, the first instance in ADD order. */
static void exclusive_wakes_one_of_many(void)
{
	raise_nofile(EXCL_MANY + 256);
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	CHECK(efd >= 0 && stop >= 0);
	int n = make_watchers(EXCL_MANY, efd, EPOLLIN | EPOLLEXCLUSIVE);
	CHECK_EQ(n, EXCL_MANY);
	for (int i = 0; i < n; i++)
		CHECK_OK(add(eps[i], stop, EPOLLIN, 0x5709));

	int started = start_sleepers(NULL, n);
	one_sleeper_wakes(efd, started, 0);

	release_sleepers(stop, started);
	close_watchers(n);
	close_fds(efd, stop);
}

/* 10,000 instances with an exclusive entry for one eventfd, and sleeping
 * waiters in three of them (ADD order 4,000, 7,000 and 9,999): one event
 * walks the wait queue in ADD order, queues the entry in instances 0 to
 * 4,000 and stops at the first sleeper, which alone wakes. The instances
 * after it hear nothing: a zero-timeout wait does not poll an entry that
 * is not queued. */
static void ten_thousand_exclusive_wake_one(void)
{
	static const int at[] = {4000, 7000, HUGE_MANY - 1};
	enum { NS = 3 };
	if (!nofile_allows(HUGE_MANY + 256, HUGE_MANY + 64))
		return;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	CHECK(efd >= 0 && stop >= 0);
	int n = make_watchers(HUGE_MANY, efd, EPOLLIN | EPOLLEXCLUSIVE);
	CHECK_EQ(n, HUGE_MANY);
	if (n != HUGE_MANY) {
		close_watchers(n);
		close_fds(efd, stop);
		return;
	}
	for (int k = 0; k < NS; k++)
		CHECK_OK(add(eps[at[k]], stop, EPOLLIN, 0x5709));
	int started = start_sleepers(at, NS);
	one_sleeper_wakes(efd, started, (uint64_t)at[0]);
	/* Instances 0..3,999 have it queued; none after the sleeper's. */
	CHECK_EQ(count_reporting(at[0], EPOLLIN), at[0]);
	int late = 0;
	for (int i = at[0] + 1; i < n; i++) {
		if (i == at[1] || i == at[2])
			continue;
		struct epoll_event out[2];
		late += epoll_wait(eps[i], out, 2, 0) != 0;
	}
	CHECK_EQ(late, 0);

	release_sleepers(stop, started);
	close_watchers(n);
	close_fds(efd, stop);
}

/* A child that waits on inst (its own copy, fork's or SCM_RIGHTS') for
 * the entry with data 42; exits 0 when it came. */
static pid_t child_waiting(int inst, int sock)
{
	pid_t pid = fork();
	if (pid == 0) {
		int ep = sock >= 0 ? recv_fd(sock, 0) : inst;
		struct epoll_event ev;
		int r = ep >= 0 ? epoll_wait(ep, &ev, 1, 5000) : -1;
		_exit(r == 1 && ev.data.u64 == 42 ? 0 : 1);
	}
	return pid;
}

/* An instance made after thousands of others (a supervisor packs such
 * late ones differently) is the same instance under a dup'ed number, in
 * a forked child and in a process it was sent to over SCM_RIGHTS: both
 * children, asleep on it, wake at one write. */
static void late_instance_in_other_processes(void)
{
	enum { N = 6000 };
	if (!nofile_allows(N + 256, N + 64))
		return;
	int sv[2], p[2], ch[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	int n = make_watchers(N, sv[0], EPOLLIN);
	CHECK_EQ(n, N);
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ch));
	pid_t receiver = child_waiting(-1, ch[1]);
	CHECK_OK(pipe2(p, O_CLOEXEC | O_NONBLOCK));
	int ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0);
	CHECK_OK(add(ep, p[0], EPOLLIN, 42));
	int d = dup(ep);
	CHECK(d >= 0);
	pid_t forked = child_waiting(d, -1);
	CHECK_OK(send_fd(ch[0], ep));
	sleep_ms(200); /* both asleep in their epoll_wait */
	CHECK_EQ(write(p[1], "x", 1), 1);
	int st1 = -1, st2 = -1;
	CHECK_EQ(waitpid(forked, &st1, 0), forked);
	CHECK_EQ(waitpid(receiver, &st2, 0), receiver);
	CHECK(WIFEXITED(st1) && WEXITSTATUS(st1) == 0);
	CHECK(WIFEXITED(st2) && WEXITSTATUS(st2) == 0);
	struct epoll_event ev; /* level-triggered: here too, by the dup */
	CHECK_EQ(epoll_wait(d, &ev, 1, 0), 1);
	CHECK_EQ(ev.data.u64, 42);
	close_watchers(n);
	close_fds(ep, d, p[0], p[1], ch[0], ch[1], sv[0], sv[1]);
}

/* Rounds of 800 watchers of one pipe made and closed without DEL: every
 * live round sees the wake-up, and closed rounds leave nothing behind
 * that a later one could run into. */
static void many_watchers_churned(void)
{
	int p[2];
	char buf[8];
	enum { N = 800 };
	raise_nofile(N + 256);
	CHECK_OK(pipe2(p, O_CLOEXEC | O_NONBLOCK));
	for (int round = 0; round < 4; round++) {
		int n = make_watchers(N, p[0], EPOLLIN);
		CHECK_EQ(n, N);
		CHECK_EQ(write(p[1], "x", 1), 1);
		CHECK_EQ(count_reporting(n, EPOLLIN), N);
		CHECK_EQ(read(p[0], buf, sizeof(buf)), 1);
		close_watchers(n);
	}
	close_fds(p[0], p[1]);
}

int main(void)
{
	RUN(many_level_watchers);
	RUN(many_edge_watchers_each_wakeup);
	RUN(exclusive_without_sleepers_reaches_all);
	RUN(exclusive_wakes_one_of_many);
	RUN(many_watchers_churned);
	RUN(ten_thousand_watchers);
	RUN(ten_thousand_exclusive_wake_one);
	RUN(late_instance_in_other_processes);
	return tl_done();
}
