/* percall: the cost of one call of each kind.
 *
 *   percall ctl [NFDS=1000] [ROUNDS=5] [add|mod|moddata|del]
 *       epoll_ctl ADD, MOD (mask change EPOLLIN <-> EPOLLIN|EPOLLOUT, the
 *       usual server toggle), MOD (data only) and DEL over NFDS pipe read
 *       ends, ROUNDS times. With an operation named, one round, and only
 *       that operation after BENCH_DELAY_MS (the set-up it needs comes
 *       before): for counting the supervisor's syscalls per operation.
 *       -> epoll_ctl_add, epoll_ctl_mod, epoll_ctl_mod_data, epoll_ctl_del
 *   percall wait K [ITERS]
 *       epoll_wait(ep, ev, K, 0) returning K events: K level-triggered
 *       eventfds kept readable (written once, never read).
 *       -> epoll_wait_ready_K
 *   percall poll N [ITERS]
 *       poll(fds, N, 0) over N pipe fds, none ready (both ends of N/2
 *       pipes, events POLLIN: a write end never reports POLLIN).
 *       RLIMIT_NOFILE is raised to the hard limit.
 *       -> poll_N
 *   percall eventfd [ITERS]
 *       eventfd(0, EFD_CLOEXEC) then close.
 *       -> eventfd_create_close
 * Every value is microseconds per call. */
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "bench.h"

static double us_per(uint64_t t0, uint64_t t1, long n)
{
	return (double)(t1 - t0) / 1e3 / (double)n;
}

static void ctl_all(int ep, int op, const int *fds, long nfds, uint32_t events,
		    uint64_t base)
{
	struct epoll_event ev = {.events = events};
	for (long i = 0; i < nfds; i++) {
		ev.data.u64 = base + (uint64_t)i;
		if (epoll_ctl(ep, op, fds[2 * i], &ev) < 0)
			die("epoll_ctl op %d", op);
	}
}

static int bench_ctl(long nfds, long rounds, const char *only)
{
	int *fds = malloc(sizeof(int) * (size_t)nfds * 2);
	if (!fds)
		die("malloc");
	raise_nofile();
	for (long i = 0; i < nfds; i++)
		if (pipe2(fds + 2 * i, O_CLOEXEC) < 0)
			die("pipe2");
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	if (only) {
		static const struct {
			const char *name, *out;
			int op;
			uint32_t events;
		} ops[] = {
		    {"add", "epoll_ctl_add", EPOLL_CTL_ADD, EPOLLIN},
		    {"mod", "epoll_ctl_mod", EPOLL_CTL_MOD, EPOLLIN | EPOLLOUT},
		    {"moddata", "epoll_ctl_mod_data", EPOLL_CTL_MOD, EPOLLIN},
		    {"del", "epoll_ctl_del", EPOLL_CTL_DEL, 0},
		};
		for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
			if (strcmp(only, ops[k].name))
				continue;
			if (ops[k].op != EPOLL_CTL_ADD)
				ctl_all(ep, EPOLL_CTL_ADD, fds, nfds, EPOLLIN,
					0);
			bench_delay();
			uint64_t t0 = now_ns();
			ctl_all(ep, ops[k].op, fds, nfds, ops[k].events, 1);
			uint64_t t1 = now_ns();
			emit(ops[k].out, us_per(t0, t1, nfds), "us");
			return 0;
		}
		errno = EINVAL;
		die("unknown operation %s", only);
	}
	bench_delay();
	uint64_t tadd = 0, tmod = 0, tmodd = 0, tdel = 0;
	for (long r = 0; r < rounds; r++) {
		uint64_t t0 = now_ns();
		ctl_all(ep, EPOLL_CTL_ADD, fds, nfds, EPOLLIN, 0);
		uint64_t t1 = now_ns();
		ctl_all(ep, EPOLL_CTL_MOD, fds, nfds, EPOLLIN | EPOLLOUT, 0);
		uint64_t t2 = now_ns();
		ctl_all(ep, EPOLL_CTL_MOD, fds, nfds, EPOLLIN | EPOLLOUT, 1);
		uint64_t t3 = now_ns();
		ctl_all(ep, EPOLL_CTL_DEL, fds, nfds, 0, 0);
		uint64_t t4 = now_ns();
		tadd += t1 - t0;
		tmod += t2 - t1;
		tmodd += t3 - t2;
		tdel += t4 - t3;
	}
	long n = nfds * rounds;
	emit("epoll_ctl_add", us_per(0, tadd, n), "us");
	emit("epoll_ctl_mod", us_per(0, tmod, n), "us");
	emit("epoll_ctl_mod_data", us_per(0, tmodd, n), "us");
	emit("epoll_ctl_del", us_per(0, tdel, n), "us");
	return 0;
}

static int bench_wait(long k, long iters)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event *evs = calloc((size_t)k, sizeof(*evs));
	if (ep < 0 || !evs)
		die("setup");
	raise_nofile();
	for (long i = 0; i < k; i++) {
		int e = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
		struct epoll_event ev = {.events = EPOLLIN,
					 .data.u64 = (uint64_t)i};
		if (e < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev) < 0)
			die("eventfd/ADD");
	}
	for (int i = 0; i < 100; i++)
		if (epoll_wait(ep, evs, (int)k, 0) != k)
			die("epoll_wait != %ld", k);
	bench_delay();
	uint64_t t0 = now_ns();
	for (long i = 0; i < iters; i++)
		if (epoll_wait(ep, evs, (int)k, 0) != k)
			die("epoll_wait != %ld", k);
	uint64_t t1 = now_ns();
	emitf(us_per(t0, t1, iters), "us", "epoll_wait_ready_%ld", k);
	return 0;
}

static int bench_poll(long n, long iters)
{
	long lim = raise_nofile();
	if (n + 16 > lim) {
		errno = EMFILE;
		die("poll over %ld fds needs more than RLIMIT_NOFILE %ld", n,
		    lim);
	}
	struct pollfd *p = calloc((size_t)n, sizeof(*p));
	if (!p)
		die("calloc");
	for (long i = 0; i < n; i += 2) {
		int fd[2];
		if (pipe2(fd, O_CLOEXEC) < 0)
			die("pipe2");
		p[i].fd = fd[0];
		p[i].events = POLLIN;
		if (i + 1 < n) {
			p[i + 1].fd = fd[1];
			p[i + 1].events = POLLIN;
		}
	}
	for (int i = 0; i < 10; i++)
		if (poll(p, (nfds_t)n, 0) != 0)
			die("poll: something ready");
	bench_delay();
	uint64_t t0 = now_ns();
	for (long i = 0; i < iters; i++)
		if (poll(p, (nfds_t)n, 0) != 0)
			die("poll: something ready");
	uint64_t t1 = now_ns();
	emitf(us_per(t0, t1, iters), "us", "poll_%ld", n);
	return 0;
}

static int bench_eventfd(long iters)
{
	for (int i = 0; i < 100; i++) {
		int e = eventfd(0, EFD_CLOEXEC);
		if (e < 0)
			die("eventfd");
		close(e);
	}
	bench_delay();
	uint64_t t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		int e = eventfd(0, EFD_CLOEXEC);
		if (e < 0)
			die("eventfd (iteration %ld)", i);
		close(e);
	}
	uint64_t t1 = now_ns();
	emit("eventfd_create_close", us_per(t0, t1, iters), "us");
	return 0;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	if (!strcmp(m, "ctl"))
		return bench_ctl(arg_long(argc, argv, 2, 1000),
				 arg_long(argc, argv, 3, 5),
				 argc > 4 ? argv[4] : NULL);
	if (!strcmp(m, "wait"))
		return bench_wait(arg_long(argc, argv, 2, 1),
				  arg_long(argc, argv, 3, 20000));
	if (!strcmp(m, "poll"))
		return bench_poll(arg_long(argc, argv, 2, 1),
				  arg_long(argc, argv, 3, 10000));
	if (!strcmp(m, "eventfd"))
		return bench_eventfd(arg_long(argc, argv, 2, 10000));
	fprintf(stderr, "usage: percall ctl|wait|poll|eventfd [ARGS]\n");
	return 2;
}
