/* soak.c: the guest side of scripts/soak (not part of ctest).
 *
 *   soak threads N   N threads blocked in epoll_wait on one instance at
 *                    once, then all woken by one eventfd write
 *   soak procs N     N forked processes, each with its own epoll instances
 *                    and eventfds doing round trips, then exiting
 *   soak ctl N       N epoll_ctl operations (ADD/MOD/DEL cycles)
 *
 * Before the handshake it makes one intercepted call that creates
 * nothing (epoll_wait on fd -1 with a 1 ms timeout: EBADF), so that the
 * supervisor's record of the main thread (one pidfd) is part of the baseline.
 *
 * Handshake with the script on stdin/stdout, so that it can measure the
 * supervisor before and after the phase while this guest (and so the
 * supervisor) is still alive:
 *   -> "READY <supervisor pid>"   <- one line
 *   (phase)
 *   -> "DONE <detail>"            <- one line
 *   exit 0 (1 on any failure, with "ERROR ..." on stderr). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "ERROR %s: %s\n", what, strerror(errno));
	exit(1);
}

static void handshake(const char *msg)
{
	char line[64];
	printf("%s\n", msg);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		die("handshake read");
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- threads ---- */

static int t_ep, t_efd;
static atomic_int t_entered, t_woken, t_errors;

static void *t_main(void *arg)
{
	(void)arg;
	struct epoll_event ev;
	atomic_fetch_add(&t_entered, 1);
	int r = epoll_wait(t_ep, &ev, 1, 60000);
	if (r == 1 && ev.data.u64 == 7)
		atomic_fetch_add(&t_woken, 1);
	else
		atomic_fetch_add(&t_errors, 1);
	return NULL;
}

static int run_threads(int n)
{
	t_ep = epoll_create1(EPOLL_CLOEXEC);
	t_efd = eventfd(0, EFD_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7};
	if (t_ep < 0 || t_efd < 0 || epoll_ctl(t_ep, EPOLL_CTL_ADD, t_efd, &ev))
		die("threads setup");
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 64 * 1024);
	pthread_t *th = calloc((size_t)n, sizeof(*th));
	for (int i = 0; i < n; i++)
		if ((errno = pthread_create(&th[i], &a, t_main, NULL)))
			die("pthread_create");
	while (atomic_load(&t_entered) < n)
		usleep(1000);
	/* give the last ones time to reach the supervisor and block */
	usleep(500 * 1000);
	double t0 = now_s();
	uint64_t one = 1;
	if (write(t_efd, &one, 8) != 8) /* level-triggered: wakes them all */
		die("write");
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	double dt = now_s() - t0;
	free(th);
	close(t_ep);
	close(t_efd);
	char msg[128];
	snprintf(msg, sizeof(msg),
		 "DONE %d woken, %d errors, %.3f s to wake all",
		 atomic_load(&t_woken), atomic_load(&t_errors), dt);
	handshake(msg);
	return atomic_load(&t_woken) == n && atomic_load(&t_errors) == 0 ? 0
									 : 1;
}

/* ---- procs ---- */

static int child_work(int rounds)
{
	int ep[2], efd[4];
	for (int i = 0; i < 2; i++)
		if ((ep[i] = epoll_create1(EPOLL_CLOEXEC)) < 0)
			return 1;
	for (int i = 0; i < 4; i++) {
		if ((efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
			return 1;
		struct epoll_event ev = {.events = EPOLLIN,
					 .data.u32 = (uint32_t)i};
		if (epoll_ctl(ep[i % 2], EPOLL_CTL_ADD, efd[i], &ev))
			return 1;
	}
	for (int r = 0; r < rounds; r++) {
		int i = r % 4;
		uint64_t v = 1;
		struct epoll_event out[4];
		if (write(efd[i], &v, 8) != 8)
			return 1;
		int n = epoll_wait(ep[i % 2], out, 4, 5000);
		if (n != 1 || out[0].data.u32 != (uint32_t)i)
			return 1;
		if (read(efd[i], &v, 8) != 8)
			return 1;
		if (epoll_wait(ep[i % 2], out, 4, 0) != 0)
			return 1;
	}
	/* exit without closing: the kernel closes; the supervisor must notice
	 */
	return 0;
}

static int run_procs(int n)
{
	pid_t *pids = calloc((size_t)n, sizeof(*pids));
	double t0 = now_s();
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork");
		if (pids[i] == 0)
			_exit(child_work(100));
	}
	int failed = 0;
	for (int i = 0; i < n; i++) {
		int st;
		if (waitpid(pids[i], &st, 0) < 0)
			die("waitpid");
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed++;
	}
	free(pids);
	char msg[128];
	snprintf(msg, sizeof(msg), "DONE %d processes, %d failed, %.3f s", n,
		 failed, now_s() - t0);
	handshake(msg);
	return failed ? 1 : 0;
}

/* ---- ctl ---- */

static int run_ctl(long n)
{
	enum { NFD = 64 };
	int ep = epoll_create1(EPOLL_CLOEXEC), fds[NFD];
	if (ep < 0)
		die("epoll_create1");
	for (int i = 0; i < NFD; i++)
		if ((fds[i] = eventfd(i & 1, EFD_CLOEXEC)) < 0)
			die("eventfd");
	long ops = 0, errors = 0;
	/* half the set stays registered throughout; the other half cycles */
	for (int i = NFD / 2; i < NFD; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev))
			die("epoll_ctl");
	}
	double t0 = now_s();
	for (long k = 0; ops < n; k++) {
		int fd = fds[k % (NFD / 2)];
		struct epoll_event ev = {.events = EPOLLIN,
					 .data.u64 = (uint64_t)k};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
			errors++;
		ev.events = EPOLLIN | EPOLLOUT | (k & 2 ? EPOLLET : 0);
		if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev))
			errors++;
		if (epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL))
			errors++;
		ops += 3;
		if (k % 4096 == 0) {
			struct epoll_event out[NFD];
			if (epoll_wait(ep, out, NFD, 0) != NFD / 4)
				errors++;
		}
	}
	double dt = now_s() - t0;
	for (int i = 0; i < NFD; i++)
		close(fds[i]);
	close(ep);
	char msg[160];
	snprintf(msg, sizeof(msg),
		 "DONE %ld epoll_ctl ops, %ld unexpected errors, %.3f s (%.1f "
		 "us/op)",
		 ops, errors, dt, dt * 1e6 / (double)ops);
	handshake(msg);
	return errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: soak threads|procs|ctl N\n");
		return 2;
	}
	long n = atol(argv[2]);
	/* One intercepted call that creates nothing, so that the supervisor
	 * knows this thread (its pidfd) before the baseline is taken. Not a
	 * zero timeout: interpoll may hand that to the kernel unseen. */
	struct epoll_event ev;
	if (epoll_wait(-1, &ev, 1, 1) != -1 || errno != EBADF)
		die("warm-up epoll_wait(-1)");
	char msg[64];
	snprintf(msg, sizeof(msg), "READY %d", (int)getppid());
	handshake(msg);
	if (!strcmp(argv[1], "threads"))
		return run_threads((int)n);
	if (!strcmp(argv[1], "procs"))
		return run_procs((int)n);
	if (!strcmp(argv[1], "ctl"))
		return run_ctl(n);
	fprintf(stderr, "soak: unknown mode %s\n", argv[1]);
	return 2;
}
