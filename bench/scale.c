/* scale: how costs grow with the interest list and with blocked threads.
 *
 *   scale wait N|max [ITERS=20000] [CTL_ITERS=2000]
 *       One ready fd (a level-triggered eventfd kept readable) among N
 *       registered; the N-1 others are idle timerfds (one guest fd each, and
 *       not created through interpoll, so each costs the supervisor exactly
 *       the registration's watch). "max": as many as the guest's
 *       RLIMIT_NOFILE (raised to the hard limit) allows, the limit less 8.
 *       If an ADD fails on the way (under interpoll: the supervisor's own
 *       fd limit, docs/DIVERGENCES.md supervisor-fds), the fill stops, 64
 *       entries are removed again to leave the supervisor room, and the
 *       measurements go on at the reduced N.
 *       -> scale_wait_N<L>     epoll_wait(ep, ev, 16, 0) returning 1 (us)
 *          scale_add_N<L>      one more ADD at that size (us)
 *          scale_del_N<L>      and its DEL (us)
 *          scale_fill_add_N<L> mean ADD while filling 1..N (us)
 *          scale_n_N<L>        N measured at
 *          scale_peak_N<L>     most registrations held (before the 64
 *                              removals when an ADD failed)
 *          scale_add_failed_N<L> errno of the failed ADD, if one failed
 *          under interpoll, from /proc/<supervisor>/status and fd/:
 *          sup_rss_per_reg_N<L> bytes of supervisor VmRSS per registration
 *          sup_fds_per_reg_N<L> supervisor fds per registration
 *   scale threads T [HOLD_MS=2000]
 *       T threads blocked at once in epoll_wait(-1) on one instance that
 *       watches one eventfd; one write (never read: level-triggered) wakes
 *       them all, each harvest re-queueing the entry for the next waiter.
 *       -> threads_T_create_ms   create all and see them all blocked
 *          threads_T_wake_ms     write to the last return
 *          threads_T_sup_cpu_create_ms, threads_T_sup_cpu_wake_ms,
 *          threads_T_sup_cpu_hold1_ms_per_s and ..._hold2_ms_per_s (the
 *          first and second half of the HOLD_MS all T stay blocked)
 *          (under interpoll: the supervisor's utime+stime from
 *          /proc/<supervisor>/stat, 10 ms ticks) */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>

#include "bench.h"

static double us_per(uint64_t ns, long n)
{
	return (double)ns / 1e3 / (double)(n ? n : 1);
}

static int bench_wait(const char *narg, long iters, long ctl_iters)
{
	long lim = raise_nofile();
	int is_max = !strcmp(narg, "max");
	long target = is_max ? lim - 8 : atol(narg);
	char label[32];
	snprintf(label, sizeof(label), "%s", is_max ? "max" : narg);
	if (target < 2 || target + 8 > lim) {
		errno = EINVAL;
		die("N=%ld does not fit RLIMIT_NOFILE %ld", target, lim);
	}
	pid_t sup = supervisor_pid();
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int ready = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
	int extra = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (ep < 0 || ready < 0 || extra < 0)
		die("setup");
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, ready, &ev) < 0)
		die("ADD ready");
	int *fds = malloc(sizeof(int) * (size_t)target);
	if (!fds)
		die("malloc");
	long nt = 0;
	for (; nt < target - 1; nt++) {
		fds[nt] = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
		if (fds[nt] < 0)
			die("timerfd_create #%ld", nt);
	}
	long long rss0 = sup ? proc_status_bytes(sup, "VmRSS") : 0;
	long fds0 = sup ? count_fds(sup) : 0;
	long added = 0;
	int fail_errno = 0;
	uint64_t t0 = now_ns();
	for (; added < nt; added++) {
		ev.data.u64 = (uint64_t)added + 1;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[added], &ev) < 0) {
			fail_errno = errno;
			break;
		}
	}
	uint64_t t1 = now_ns();
	long long rss1 = sup ? proc_status_bytes(sup, "VmRSS") : 0;
	long fds1 = sup ? count_fds(sup) : 0;
	long peak = added + 1;
	if (fail_errno) {
		fprintf(stderr,
			"scale: ADD #%ld of %ld failed: %s; continuing with "
			"%ld\n",
			added + 2, target, strerror(fail_errno),
			added + 1 - 64);
		for (long k = 0; k < 64 && added > 0; k++) {
			added--;
			if (epoll_ctl(ep, EPOLL_CTL_DEL, fds[added], NULL) < 0)
				die("DEL");
		}
	}
	long n = added + 1;

	struct epoll_event evs[16];
	for (int i = 0; i < 100; i++)
		if (epoll_wait(ep, evs, 16, 0) != 1)
			die("epoll_wait != 1");
	uint64_t tw0 = now_ns();
	for (long i = 0; i < iters; i++)
		if (epoll_wait(ep, evs, 16, 0) != 1)
			die("epoll_wait != 1");
	uint64_t tw1 = now_ns();

	uint64_t tadd = 0, tdel = 0;
	ev.data.u64 = 1u << 30;
	for (long i = 0; i < ctl_iters; i++) {
		uint64_t a = now_ns();
		if (epoll_ctl(ep, EPOLL_CTL_ADD, extra, &ev) < 0)
			die("ADD extra at N=%ld", n);
		uint64_t b = now_ns();
		if (epoll_ctl(ep, EPOLL_CTL_DEL, extra, NULL) < 0)
			die("DEL extra");
		uint64_t c = now_ns();
		tadd += b - a;
		tdel += c - b;
	}
	emitf(us_per(tw1 - tw0, iters), "us", "scale_wait_N%s", label);
	emitf(us_per(tadd, ctl_iters), "us", "scale_add_N%s", label);
	emitf(us_per(tdel, ctl_iters), "us", "scale_del_N%s", label);
	emitf(us_per(t1 - t0, added), "us", "scale_fill_add_N%s", label);
	emitf((double)n, "fds", "scale_n_N%s", label);
	emitf((double)peak, "fds", "scale_peak_N%s", label);
	if (sup && added > 0) {
		emitf((double)(rss1 - rss0) / (double)added, "bytes",
		      "sup_rss_per_reg_N%s", label);
		emitf((double)(fds1 - fds0) / (double)added, "fds",
		      "sup_fds_per_reg_N%s", label);
	}
	if (fail_errno)
		emitf((double)fail_errno, "errno", "scale_add_failed_N%s",
		      label);
	return 0;
}

static int tep, tefd;
static pid_t *tids;
static atomic_long entered, returned, failed;

static void *blocked_thread(void *arg)
{
	long i = (long)arg;
	struct epoll_event ev;
	int n;
	tids[i] = (pid_t)syscall(SYS_gettid);
	atomic_fetch_add(&entered, 1);
	do
		n = epoll_wait(tep, &ev, 1, -1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		atomic_fetch_add(&failed, 1);
	atomic_fetch_add(&returned, 1);
	return NULL;
}

/* Is thread tid of this process blocked in epoll_wait? */
static int in_epoll_wait(pid_t tid)
{
	char path[64], buf[128];
	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	long nr = strtol(buf, NULL, 10);
	return (buf[0] >= '0' && buf[0] <= '9') &&
	       (nr == SYS_epoll_wait || nr == SYS_epoll_pwait);
}

static void wait_until(atomic_long *v, long want, uint64_t deadline,
		       const char *what)
{
	while (atomic_load(v) < want) {
		if (now_ns() > deadline) {
			errno = ETIMEDOUT;
			die("%s: %ld of %ld", what, atomic_load(v), want);
		}
		usleep(200);
	}
}

static int bench_threads(long t, long hold_ms)
{
	pid_t sup = supervisor_pid();
	pthread_t *th = calloc((size_t)t, sizeof(*th));
	char *seen = calloc((size_t)t, 1);
	tids = calloc((size_t)t, sizeof(*tids));
	if (!th || !seen || !tids)
		die("calloc");
	raise_nofile();
	tep = epoll_create1(EPOLL_CLOEXEC);
	tefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int sync_ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN};
	if (tep < 0 || tefd < 0 || sync_ep < 0 ||
	    epoll_ctl(tep, EPOLL_CTL_ADD, tefd, &ev) < 0)
		die("setup");
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);

	double c0 = sup ? proc_cpu_ms(sup) : 0;
	uint64_t t0 = now_ns(), deadline = t0 + 60ull * 1000000000ull;
	for (long i = 0; i < t; i++)
		if (pthread_create(&th[i], &attr, blocked_thread, (void *)i)) {
			errno = EAGAIN;
			die("pthread_create #%ld", i);
		}
	wait_until(&entered, t, deadline, "threads started");
	for (long left = t; left > 0;) {
		for (long i = 0; i < t; i++)
			if (!seen[i] && in_epoll_wait(tids[i])) {
				seen[i] = 1;
				left--;
			}
		if (left && now_ns() > deadline) {
			errno = ETIMEDOUT;
			die("%ld threads not blocked", left);
		}
		if (left)
			usleep(500);
	}
	/* Notifications are received in order: once this one is answered,
	 * the supervisor holds every blocked call. */
	if (epoll_wait(sync_ep, &ev, 1, 0) != 0)
		die("sync epoll_wait");
	uint64_t t1 = now_ns();
	double c1 = sup ? proc_cpu_ms(sup) : 0;
	usleep((useconds_t)hold_ms * 500);
	double c15 = sup ? proc_cpu_ms(sup) : 0;
	usleep((useconds_t)hold_ms * 500);
	double c2 = sup ? proc_cpu_ms(sup) : 0;
	if (atomic_load(&returned))
		die("a thread returned before the write");

	uint64_t one = 1;
	uint64_t t2 = now_ns();
	if (write(tefd, &one, 8) != 8)
		die("write");
	wait_until(&returned, t, now_ns() + 60ull * 1000000000ull,
		   "threads woken");
	uint64_t t3 = now_ns();
	double c3 = sup ? proc_cpu_ms(sup) : 0;
	for (long i = 0; i < t; i++)
		pthread_join(th[i], NULL);
	if (atomic_load(&failed))
		die("%ld epoll_wait calls failed", atomic_load(&failed));

	emitf((double)(t1 - t0) / 1e6, "ms", "threads_%ld_create_ms", t);
	emitf((double)(t3 - t2) / 1e6, "ms", "threads_%ld_wake_ms", t);
	if (sup) {
		emitf(c1 - c0, "ms", "threads_%ld_sup_cpu_create_ms", t);
		emitf((c15 - c1) * 2000.0 / (double)hold_ms, "ms/s",
		      "threads_%ld_sup_cpu_hold1_ms_per_s", t);
		emitf((c2 - c15) * 2000.0 / (double)hold_ms, "ms/s",
		      "threads_%ld_sup_cpu_hold2_ms_per_s", t);
		emitf(c3 - c2, "ms", "threads_%ld_sup_cpu_wake_ms", t);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	if (!strcmp(m, "wait") && argc > 2)
		return bench_wait(argv[2], arg_long(argc, argv, 3, 20000),
				  arg_long(argc, argv, 4, 2000));
	if (!strcmp(m, "threads"))
		return bench_threads(arg_long(argc, argv, 2, 1000),
				     arg_long(argc, argv, 3, 2000));
	fprintf(stderr, "usage: scale wait N|max [ITERS [CTL_ITERS]] | "
			"scale threads T [HOLD_MS]\n");
	return 2;
}
