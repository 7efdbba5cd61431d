/* epoll_scale_conns.c: 1000 TCP connections over 127.0.0.1, each accepted
 * socket registered in one epoll instance and then closed WITHOUT
 * EPOLL_CTL_DEL (linux-semantics.md 3.5): registration must not keep a
 * socket open, so every client sees EOF, and the entries vanish.
 *
 * Under interpoll, when INTERPOLL_SUPERVISOR_PID is set, the supervisor's
 * own fd count must come back to where it started (it must not leak
 * per-entry resources for fds the guest closed).
 */
#include "testlib.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#define NCONN 1000

static int lst = -1;
static int clients[NCONN];
static int servers[NCONN];
static int ep = -1;
static int nconn; /* connections actually made */
static int sup_fds_start = -1;
static pid_t sup_pid;

static int count_fds(pid_t pid)
{
	char path[64];
	DIR *d;
	struct dirent *de;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void case_raise_fd_limit(void)
{
	struct rlimit rl;

	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 2 * NCONN + 64) {
		rl.rlim_max = 2 * NCONN + 64;
		/* Needs CAP_SYS_RESOURCE; the check below reports it. */
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	rl.rlim_cur = rl.rlim_max;
	CHECK_OK(setrlimit(RLIMIT_NOFILE, &rl));
	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	CHECK(rl.rlim_cur >= 2 * NCONN + 64);
}

/* Create the instance and the listener, and warm the supervisor up (an
 * ADD and a DEL on the instance) so that per-process and per-instance
 * state it creates lazily is part of the baseline. Then, before the first
 * connection, count the supervisor's fds. */
static void case_setup_and_baseline(void)
{
	struct sockaddr_in a;
	struct epoll_event ev, out[4];
	int sv[2];
	const char *s = getenv("INTERPOLL_SUPERVISOR_PID");

	ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0);
	lst = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK_OK(bind(lst, (struct sockaddr *)&a, sizeof(a)));
	CHECK_OK(listen(lst, 128));
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
	CHECK_EQ(write(sv[1], "w", 1), 1);
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 1);
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], NULL));
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
	close_fds(sv[0], sv[1]);

	if (!s || !*s) {
		printf("# INTERPOLL_SUPERVISOR_PID unset: supervisor fd "
		       "accounting skipped\n");
		return;
	}
	sup_pid = (pid_t)atoi(s);
	CHECK(sup_pid > 0);
	/* interpoll keeps empty buckets for handles to come until its next
	 * sweep (at most about a second apart): count after one. */
	usleep(1500 * 1000);
	sup_fds_start = count_fds(sup_pid);
	CHECK(sup_fds_start >= 0);
	printf("# supervisor %d has %d fds before the first connection\n",
	       (int)sup_pid, sup_fds_start);
}

static void case_accept_and_register_1000(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	struct epoll_event ev;
	int i;

	CHECK_OK(getsockname(lst, (struct sockaddr *)&a, &len));
	for (i = 0; i < NCONN; i++) {
		clients[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (clients[i] < 0) {
			CHECK_OK(clients[i]);
			break;
		}
		if (connect(clients[i], (struct sockaddr *)&a, sizeof(a))) {
			CHECK_OK(-1);
			close(clients[i]);
			break;
		}
		servers[i] = accept4(lst, NULL, NULL, SOCK_CLOEXEC);
		if (servers[i] < 0) {
			CHECK_OK(servers[i]);
			close(clients[i]);
			break;
		}
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLRDHUP;
		ev.data.u64 = 0xC0000000ULL + i;
		CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, servers[i], &ev));
		nconn = i + 1;
	}
	CHECK_EQ(nconn, NCONN);
	/* Nothing is readable yet. */
	struct epoll_event out[16];
	CHECK_EQ(epoll_wait(ep, out, 16, 0), 0);
}

static void case_every_registered_socket_reports(void)
{
	static struct epoll_event out[NCONN];
	static unsigned char seen[NCONN];
	int i, total = 0, bad = 0;
	double t0;

	for (i = 0; i < nconn; i++)
		if (write(clients[i], "x", 1) != 1)
			bad++;
	CHECK_EQ(bad, 0);
	memset(seen, 0, sizeof(seen));
	t0 = tl_now_ms();
	while (total < nconn && tl_now_ms() - t0 < 5000) {
		int n = epoll_wait(ep, out, NCONN, 1000);
		if (n < 0) {
			CHECK_OK(n);
			break;
		}
		for (i = 0; i < n; i++) {
			uint64_t id = out[i].data.u64 - 0xC0000000ULL;
			char c;
			if (id >= (uint64_t)nconn || seen[id] ||
			    out[i].events != EPOLLIN) {
				bad++;
				continue;
			}
			seen[id] = 1;
			total++;
			/* Drain so the LT entry leaves the ready list. */
			if (read(servers[id], &c, 1) != 1 || c != 'x')
				bad++;
		}
	}
	CHECK_EQ(total, nconn);
	CHECK_EQ(bad, 0);
	struct epoll_event o[4];
	CHECK_EQ(epoll_wait(ep, o, 4, 0), 0);
}

static void case_close_without_del_clients_see_eof(void)
{
	int i, eof = 0, other = 0;
	struct timeval tv = {3, 0};
	double t0;

	for (i = 0; i < nconn; i++)
		setsockopt(clients[i], SOL_SOCKET, SO_RCVTIMEO, &tv,
			   sizeof(tv));
	for (i = 0; i < nconn; i++) {
		CHECK_OK(close(servers[i]));
		servers[i] = -1;
	}
	t0 = tl_now_ms();
	for (i = 0; i < nconn; i++) {
		char c;
		ssize_t r = read(clients[i], &c, 1);
		if (r == 0)
			eof++;
		else
			other++;
		if (tl_now_ms() - t0 > 10000)
			break;
	}
	CHECK_EQ(eof, nconn);
	CHECK_EQ(other, 0);
	/* The instance is empty: nothing reports, even with a timeout. */
	struct epoll_event o[4];
	CHECK_EQ(epoll_wait(ep, o, 4, 0), 0);
	CHECK_EQ(epoll_wait(ep, o, 4, 50), 0);
}

static void case_numbers_reusable_after_close(void)
{
	struct epoll_event ev;
	int sv[2], i, fails = 0;

	/* New files landing on the old numbers are new keys: ADD works
	 * (no EEXIST from stale entries). */
	for (i = 0; i < 50; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
			fails++;
			break;
		}
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev) ||
		    epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev))
			fails++;
		close_fds(sv[0], sv[1]);
	}
	CHECK_EQ(fails, 0);
}

static void case_close_clients(void)
{
	int i;

	for (i = 0; i < nconn; i++)
		CHECK_OK(close(clients[i]));
	nconn = 0;
}

/* Poll the supervisor's fd count for up to 3 s until cmp(now) holds. */
static int sup_fds_settle(int want, int at_most)
{
	int now = -1;
	double t0 = tl_now_ms();

	while (tl_now_ms() - t0 < 3000) {
		now = count_fds(sup_pid);
		if (at_most ? now <= want : now == want)
			break;
		usleep(20000);
	}
	return now;
}

/* All connections are gone (the instance is still open): the supervisor
 * holds exactly what it held before the first connection. */
static void case_supervisor_fds_return(void)
{
	int now;

	if (sup_fds_start < 0) {
		printf("# supervisor fd accounting skipped\n");
		return;
	}
	now = sup_fds_settle(sup_fds_start, 0);
	printf("# supervisor %d has %d fds after all closes\n", (int)sup_pid,
	       now);
	CHECK_EQ(now, sup_fds_start);
}

static void case_close_instance(void)
{
	int now;

	CHECK_OK(close(ep));
	CHECK_OK(close(lst));
	if (sup_fds_start < 0)
		return;
	now = sup_fds_settle(sup_fds_start, 1);
	printf("# supervisor %d has %d fds after closing the instance\n",
	       (int)sup_pid, now);
	CHECK(now <= sup_fds_start);
}

int main(void)
{
	RUN(case_raise_fd_limit);
	RUN(case_setup_and_baseline);
	RUN(case_accept_and_register_1000);
	RUN(case_every_registered_socket_reports);
	RUN(case_close_without_del_clients_see_eof);
	RUN(case_numbers_reusable_after_close);
	RUN(case_close_clients);
	RUN(case_supervisor_fds_return);
	RUN(case_close_instance);
	return tl_done();
}
