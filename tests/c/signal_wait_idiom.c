/* signal_wait_idiom.c: the race-free way an event loop waits for signals.
 * The thread blocks SIGCHLD with sigprocmask, then waits with
 * epoll_pwait, epoll_pwait2, ppoll or pselect6 and an empty temporary
 * mask. The temporary mask unblocks SIGCHLD only during the call, so the
 * handler runs inside it, sets a flag, and the call returns EINTR: the
 * loop sees the flag after exactly one EINTR, and the thread's own mask is
 * back afterwards.
 *
 * The signal comes from a child's exit (a process-directed SIGCHLD) and
 * from a sibling thread's pthread_kill (thread-directed).
 *
 * See docs: linux-semantics.md section 8.
 */
#include "testutil.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>

enum how { VIA_PWAIT, VIA_PWAIT2, VIA_PPOLL, VIA_PSELECT6, VIA_COUNT };
static const char *how_name[] = {"epoll_pwait", "epoll_pwait2", "ppoll",
				 "pselect6"};

static volatile sig_atomic_t got;
static volatile sig_atomic_t blocked_in_handler;

static void on_signal(int sig)
{
	sigset_t now;
	(void)sig;
	got = 1;
	/* The handler runs under the call's temporary mask (empty) plus
	 * the signal itself. */
	sigprocmask(SIG_BLOCK, NULL, &now);
	blocked_in_handler =
	    sigismember(&now, SIGCHLD) && !sigismember(&now, SIGUSR2);
}

/* One wait with an empty temporary mask; -errno or the count. */
static long wait_once(int ep, enum how how, int timeout_ms)
{
	uint64_t none = 0;
	struct epoll_event ev;
	struct kts ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000LL};
	struct pollfd p = {.fd = ep, .events = POLLIN};
	fd_set r;
	struct {
		const void *ss;
		size_t len;
	} pack = {&none, 8};
	long n;

	FD_ZERO(&r);
	FD_SET(ep, &r);
	switch (how) {
	case VIA_PWAIT:
		n = syscall(SYS_epoll_pwait, ep, &ev, 1, timeout_ms, &none, 8);
		break;
	case VIA_PWAIT2:
		n = syscall(SYS_epoll_pwait2, ep, &ev, 1, &ts, &none, 8);
		break;
	case VIA_PPOLL:
		n = syscall(SYS_ppoll, &p, 1, &ts, &none, 8);
		break;
	default:
		n = syscall(SYS_pselect6, ep + 1, &r, NULL, NULL, &ts, &pack);
		break;
	}
	return n < 0 ? -errno : n;
}

/* The loop: wait until the flag is set; returns how many EINTRs it took,
 * or -1 when the wait returned anything else, -2 on timeout. */
static int loop_until_flag(int ep, enum how how)
{
	int eintrs = 0;
	double t0 = tl_now_ms();
	while (!got) {
		long n = wait_once(ep, how, 5000);
		if (n == -EINTR)
			eintrs++;
		else
			return n == 0 ? -2 : -1;
		if (eintrs > 100 || tl_now_ms() - t0 > 8000)
			return -3; /* spinning: the handler never ran */
	}
	return eintrs;
}

static void setup(struct sigaction *old, sigset_t *oldmask)
{
	struct sigaction sa;
	sigset_t set;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART; /* epoll and ppoll still say EINTR */
	sigaction(SIGCHLD, &sa, old);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, oldmask);
	got = 0;
	blocked_in_handler = 0;
}

static void teardown(const struct sigaction *old, const sigset_t *oldmask)
{
	sigset_t now;
	/* The thread's own mask is back after the call. */
	sigprocmask(SIG_BLOCK, NULL, &now);
	CHECK(sigismember(&now, SIGCHLD));
	CHECK(sigismember(&now, SIGUSR2));
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	sigaction(SIGCHLD, old, NULL);
}

/* Where the signal comes from: started before the loop, finished after. */
enum source { FROM_CHILD_EXIT, FROM_RAISE, FROM_SIBLING };

static void *sibling_main(void *arg)
{
	sleep_ms(50);
	pthread_kill(*(pthread_t *)arg, SIGCHLD);
	return NULL;
}

/* The idiom with each of the four calls: one EINTR, the handler run under
 * the temporary mask, the thread's mask back. */
static void idiom_each_call(enum source src)
{
	for (int how = 0; how < VIA_COUNT; how++) {
		struct sigaction old;
		sigset_t oldmask;
		pthread_t self = pthread_self(), t;
		pid_t pid = -1;
		int ep = epoll_create1(EPOLL_CLOEXEC);
		setup(&old, &oldmask);
		if (src == FROM_CHILD_EXIT) {
			pid = fork();
			if (pid == 0) {
				sleep_ms(50);
				_exit(0);
			}
		} else if (src == FROM_RAISE) {
			raise(SIGCHLD); /* pending before the call */
		} else {
			start_thread(&t, sibling_main, &self);
		}
		double t0 = tl_now_ms();
		int r = loop_until_flag(ep, (enum how)how);
		if (r != 1)
			tl_fail(__FILE__, __LINE__, "%s: %d EINTRs, want 1",
				how_name[how], r);
		CHECK(blocked_in_handler);
		CHECK(tl_now_ms() - t0 < 2000);
		if (src == FROM_CHILD_EXIT)
			CHECK_EQ(waitpid(pid, NULL, 0), pid);
		else if (src == FROM_SIBLING)
			pthread_join(t, NULL);
		teardown(&old, &oldmask);
		close(ep);
	}
}

static void child_exit_each_call(void)
{
	idiom_each_call(FROM_CHILD_EXIT);
}

static void pending_before_call_each_call(void)
{
	idiom_each_call(FROM_RAISE);
}

static void sibling_thread_kill_each_call(void)
{
	idiom_each_call(FROM_SIBLING);
}

/* Events come first: with an event ready and the signal pending, the
 * call returns the event and the signal stays pending and blocked. */
static void events_before_signal(void)
{
	struct sigaction old;
	sigset_t oldmask, pend;
	int ep = epoll_create1(EPOLL_CLOEXEC), p[2];
	CHECK_OK(pipe(p));
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 9};
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	CHECK_EQ(write(p[1], "x", 1), 1);
	setup(&old, &oldmask);
	raise(SIGCHLD);
	CHECK_EQ(wait_once(ep, VIA_PWAIT, 1000), 1);
	CHECK_EQ(got, 0);
	sigpending(&pend);
	CHECK(sigismember(&pend, SIGCHLD));
	/* The next wait, with the event consumed, takes the signal. */
	char c;
	CHECK_EQ(read(p[0], &c, 1), 1);
	CHECK_EQ(loop_until_flag(ep, VIA_PWAIT2), 1);
	teardown(&old, &oldmask);
	close(ep);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	RUN(child_exit_each_call);
	RUN(pending_before_call_each_call);
	RUN(sibling_thread_kill_each_call);
	RUN(events_before_signal);
	return tl_done();
}
