/* latency: wake-up latency through epoll_wait.
 *
 *   latency threads [ROUNDS=20000]
 *       Two threads, each blocked in epoll_wait(-1) on its own instance
 *       that watches its own eventfd; each wakes the other by writing the
 *       other's eventfd, then reads its own.
 *   latency procs [ROUNDS=20000]
 *       The same between two processes through two pipes (1 byte).
 *
 * One-way latency = round trip / 2, measured per round trip.
 * Output: lat_<mode>_median US us, lat_<mode>_p99 US us */
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "bench.h"

#define WARMUP 1000

static long rounds;

static int watch(int fd)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll setup");
	return ep;
}

static void wait_in(int ep, int fd, size_t len)
{
	struct epoll_event ev;
	uint64_t v;
	int n;
	do
		n = epoll_wait(ep, &ev, 1, -1);
	while (n < 0 && errno == EINTR);
	if (n != 1 || ev.data.fd != fd)
		die("epoll_wait returned %d", n);
	if (read(fd, &v, len) != (ssize_t)len)
		die("read");
}

static void poke(int fd, size_t len)
{
	uint64_t one = 1;
	if (write(fd, &one, len) != (ssize_t)len)
		die("write");
}

/* The side that measures: rounds + WARMUP round trips. */
static void pinger(int ep, int in, int out, size_t len, const char *mode)
{
	uint64_t *rtt = malloc(sizeof(uint64_t) * (size_t)rounds);
	if (!rtt)
		die("malloc");
	for (long i = 0; i < rounds + WARMUP; i++) {
		uint64_t t0 = now_ns();
		poke(out, len);
		wait_in(ep, in, len);
		uint64_t t1 = now_ns();
		if (i >= WARMUP)
			rtt[i - WARMUP] = t1 - t0;
	}
	double med = percentile(rtt, (size_t)rounds, 50) / 2e3;
	double p99 = percentile(rtt, (size_t)rounds, 99) / 2e3;
	emitf(med, "us", "lat_%s_median", mode);
	emitf(p99, "us", "lat_%s_p99", mode);
	free(rtt);
}

static void ponger(int ep, int in, int out, size_t len)
{
	for (long i = 0; i < rounds + WARMUP; i++) {
		wait_in(ep, in, len);
		poke(out, len);
	}
}

static int efd_a, efd_b;

static void *thread_b(void *arg)
{
	(void)arg;
	int ep = watch(efd_b);
	ponger(ep, efd_b, efd_a, 8);
	close(ep);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	rounds = arg_long(argc, argv, 2, 20000);
	if (rounds < 1)
		rounds = 1;
	bench_delay();
	if (!strcmp(m, "threads")) {
		efd_a = eventfd(0, EFD_CLOEXEC);
		efd_b = eventfd(0, EFD_CLOEXEC);
		if (efd_a < 0 || efd_b < 0)
			die("eventfd");
		int ep = watch(efd_a);
		pthread_t t;
		if (pthread_create(&t, NULL, thread_b, NULL))
			die("pthread_create");
		pinger(ep, efd_a, efd_b, 8, "threads");
		pthread_join(t, NULL);
		return 0;
	}
	if (!strcmp(m, "procs")) {
		int ab[2], ba[2];
		if (pipe2(ab, O_CLOEXEC) < 0 || pipe2(ba, O_CLOEXEC) < 0)
			die("pipe2");
		pid_t pid = fork_child();
		if (pid == 0) {
			close(ab[1]);
			close(ba[0]);
			int ep = watch(ab[0]);
			ponger(ep, ab[0], ba[1], 1);
			_exit(0);
		}
		close(ab[0]);
		close(ba[1]);
		int ep = watch(ba[0]);
		pinger(ep, ba[0], ab[1], 1, "procs");
		int st;
		waitpid(pid, &st, 0);
		return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
	}
	fprintf(stderr, "usage: latency threads|procs [ROUNDS]\n");
	return 2;
}
