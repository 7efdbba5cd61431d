/* scale: how costs grow with the interest list and with blocked threads.
 *
 *   scale wait N|max [ITERS=20000] [CTL_ITERS=2000]
 *       One ready fd (a level-triggered eventfd kept readable) among N
 *       registered; the N-1 others are idle timerfds (one guest fd each, and
 *       not created through interpoll, so each costs the supervisor exactly
 *       the registration's watch). RLIMIT_NOFILE is raised to the hard
 *       limit F. Up to N = F-8 this process holds them all. Beyond, it
 *       holds F-128 and helper processes the rest, F-64 each (at most 64
 *       helpers): forked after epoll_create1, so they share the instance,
 *       each creates its timerfds, registers them when told to and stays
 *       alive holding them until the measurements are done. The ready
 *       eventfd, the ADD/DEL of one more fd and every epoll_wait are this
 *       process's. "max": N = F-8, in this process alone.
 *       If an ADD fails on the way (under interpoll: the supervisor's own
 *       fd limit, docs/DIVERGENCES.md supervisor-fds), the fill stops, 64
 *       of this process's entries are removed again to leave the
 *       supervisor room, and the measurements go on at the reduced N.
 *       -> scale_wait_N<L>     epoll_wait(ep, ev, 16, 0) returning 1 (us)
 *          scale_add_N<L>      one more ADD at that size (us)
 *          scale_del_N<L>      and its DEL (us)
 *          scale_fill_add_N<L> mean ADD while filling 1..N (us; the
 *                              helpers' ADDs timed by themselves)
 *          scale_n_N<L>        N measured at
 *          scale_peak_N<L>     most registrations held (before the 64
 *                              removals when an ADD failed)
 *          scale_add_failed_N<L> errno of the failed ADD, if one failed
 *          under interpoll, from /proc/<supervisor>/status and fd/:
 *          sup_rss_per_reg_N<L> bytes of supervisor VmRSS per registration
 *          sup_fds_per_reg_N<L> supervisor fds per registration
 *          (both read before and after the whole fill, the helpers'
 *          registrations included)
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
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include "bench.h"

static double us_per(uint64_t ns, long n)
{
	return (double)ns / 1e3 / (double)(n ? n : 1);
}

/* ---- helper processes: registrations beyond the parent's fd limit ---- */

#define MARGIN 64  /* fds a helper keeps free; the parent keeps twice that */
#define MAXKIDS 64 /* helpers at most */

struct helper {
	pid_t pid;
	int sock; /* the parent's end of a SOCK_SEQPACKET pair */
	long n;	  /* timerfds it holds */
};

struct fill_reply {
	long added;  /* ADDs that succeeded */
	int err;     /* errno of the one that failed, or 0 */
	uint64_t ns; /* time spent in the ADDs */
};

/* A helper: create n idle timerfds, report how many; on the parent's word
 * (the data of the first one) register them all in ep, report; then hold
 * them (and so the registrations) until the parent closes its end. */
static void __attribute__((noreturn)) helper_main(int sock, int ep, long n)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	int *fds = malloc(sizeof(int) * (size_t)(n ? n : 1));
	long made = 0;
	for (; fds && made < n; made++) {
		fds[made] = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
		if (fds[made] < 0)
			break;
	}
	if (write(sock, &made, sizeof(made)) != sizeof(made))
		_exit(1);
	uint64_t base;
	if (read(sock, &base, sizeof(base)) != sizeof(base))
		_exit(0);
	struct fill_reply rp = {0};
	struct epoll_event ev = {.events = EPOLLIN};
	uint64_t t0 = now_ns();
	for (; rp.added < made; rp.added++) {
		ev.data.u64 = base + (uint64_t)rp.added;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[rp.added], &ev) < 0) {
			rp.err = errno;
			break;
		}
	}
	rp.ns = now_ns() - t0;
	if (write(sock, &rp, sizeof(rp)) != sizeof(rp))
		_exit(1);
	char c;
	while (read(sock, &c, 1) > 0)
		;
	_exit(0);
}

/* Fork nkids helpers sharing ep (fork shares the instance), the first
 * nkids-1 holding per timerfds each, the last the rest of total. */
static void start_helpers(struct helper *kids, int nkids, int ep, long per,
			  long total)
{
	fflush(stdout);
	fflush(stderr);
	for (int i = 0; i < nkids; i++) {
		int sv[2];
		long n = i < nkids - 1 ? per : total - per * (nkids - 1);
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
			die("socketpair");
		pid_t pid = fork();
		if (pid < 0)
			die("fork helper #%d", i);
		if (pid == 0) {
			close(sv[0]);
			for (int j = 0; j < i; j++)
				close(kids[j].sock);
			helper_main(sv[1], ep, n);
		}
		close(sv[1]);
		kids[i] = (struct helper){.pid = pid, .sock = sv[0], .n = n};
	}
	for (int i = 0; i < nkids; i++) {
		long made = -1;
		if (read(kids[i].sock, &made, sizeof(made)) != sizeof(made) ||
		    made != kids[i].n) {
			errno = EMFILE;
			die("helper #%d made %ld of %ld timerfds", i, made,
			    kids[i].n);
		}
	}
}

static void stop_helpers(struct helper *kids, int nkids)
{
	for (int i = 0; i < nkids; i++)
		close(kids[i].sock);
	for (int i = 0; i < nkids; i++)
		waitpid(kids[i].pid, NULL, 0);
}

static int bench_wait(const char *narg, long iters, long ctl_iters)
{
	long lim = raise_nofile();
	int is_max = !strcmp(narg, "max");
	long target = is_max ? lim - 8 : atol(narg);
	char label[32];
	snprintf(label, sizeof(label), "%s", is_max ? "max" : narg);
	/* N up to the limit less 8 in this process alone; beyond, this
	 * process holds lim - 2*MARGIN and helpers lim - MARGIN each. */
	long own = target - 1, per = lim - MARGIN;
	int nkids = 0;
	if (target + 8 > lim && lim > 4 * MARGIN) {
		own = lim - 2 * MARGIN;
		nkids = (int)((target - 1 - own + per - 1) / per);
	}
	if (target < 2 || nkids > MAXKIDS || (!nkids && target + 8 > lim)) {
		errno = EINVAL;
		die("N=%ld does not fit %d processes of RLIMIT_NOFILE %ld",
		    target, MAXKIDS + 1, lim);
	}
	pid_t sup = supervisor_pid();
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	struct helper kids[MAXKIDS];
	if (nkids) {
		start_helpers(kids, nkids, ep, per, target - 1 - own);
		fprintf(stderr, "scale: N=%ld: %d helper processes hold %ld\n",
			target, nkids, target - 1 - own);
	}
	int ready = eventfd(1, EFD_CLOEXEC | EFD_NONBLOCK);
	int extra = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (ready < 0 || extra < 0)
		die("setup");
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, ready, &ev) < 0)
		die("ADD ready");
	int *fds = malloc(sizeof(int) * (size_t)own);
	if (!fds)
		die("malloc");
	for (long k = 0; k < own; k++) {
		fds[k] = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
		if (fds[k] < 0)
			die("timerfd_create #%ld", k);
	}
	long long rss0 = sup ? proc_status_bytes(sup, "VmRSS") : 0;
	long fds0 = sup ? count_fds(sup) : 0;
	/* The fill: this process's timerfds, then each helper's in turn. */
	long own_added = 0, added = 0;
	int fail_errno = 0;
	uint64_t t0 = now_ns();
	for (; own_added < own; own_added++) {
		ev.data.u64 = (uint64_t)own_added + 1;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[own_added], &ev) < 0) {
			fail_errno = errno;
			break;
		}
	}
	uint64_t fill_ns = now_ns() - t0;
	added = own_added;
	for (int i = 0; i < nkids && !fail_errno; i++) {
		uint64_t base = (uint64_t)added + 1;
		struct fill_reply rp;
		if (write(kids[i].sock, &base, sizeof(base)) != sizeof(base) ||
		    read(kids[i].sock, &rp, sizeof(rp)) != sizeof(rp))
			die("helper #%d", i);
		added += rp.added;
		fill_ns += rp.ns;
		fail_errno = rp.err;
	}
	long long rss1 = sup ? proc_status_bytes(sup, "VmRSS") : 0;
	long fds1 = sup ? count_fds(sup) : 0;
	long peak = added + 1, filled = added;
	if (fail_errno) {
		fprintf(stderr,
			"scale: ADD #%ld of %ld failed: %s; continuing with "
			"%ld\n",
			added + 2, target, strerror(fail_errno),
			added + 1 - 64);
		for (long k = 0; k < 64 && own_added > 0; k++) {
			own_added--;
			added--;
			if (epoll_ctl(ep, EPOLL_CTL_DEL, fds[own_added], NULL) <
			    0)
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
	emitf(us_per(fill_ns, filled), "us", "scale_fill_add_N%s", label);
	emitf((double)n, "fds", "scale_n_N%s", label);
	emitf((double)peak, "fds", "scale_peak_N%s", label);
	if (sup && filled > 0) {
		emitf((double)(rss1 - rss0) / (double)filled, "bytes",
		      "sup_rss_per_reg_N%s", label);
		emitf((double)(fds1 - fds0) / (double)filled, "fds",
		      "sup_fds_per_reg_N%s", label);
	}
	if (fail_errno)
		emitf((double)fail_errno, "errno", "scale_add_failed_N%s",
		      label);
	stop_helpers(kids, nkids);
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
