/* signalfd_epoll.c: a signalfd in an epoll instance, the way sd-event and
 * many daemons hear their signals: the signals are blocked, and the
 * signalfd is readable while one of its mask is pending for the thread
 * that polls it (signalfd(2)). Level-triggered and edge-triggered entries,
 * a zero timeout with the signal already pending, signals from another
 * process and from a sibling thread, a mask changed by a second signalfd()
 * call, and poll() on the epoll fd.
 *
 * See docs: linux-semantics.md section 8.
 */
#include "testutil.h"

#include <poll.h>
#include <sys/signalfd.h>

static sigset_t sigs; /* SIGUSR1, SIGUSR2, SIGTERM: blocked throughout */

static int sfd_of(int sig1, int sig2)
{
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, sig1);
	if (sig2)
		sigaddset(&m, sig2);
	return signalfd(-1, &m, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Read one siginfo: its signal number, or -errno. */
static int sfd_read(int sfd)
{
	struct signalfd_siginfo si;
	ssize_t n = read(sfd, &si, sizeof(si));
	return n == sizeof(si) ? (int)si.ssi_signo : -errno;
}

/* Wait up to ms for one event: its data, 0 for none, -1 on error. */
static long wait_data(int ep, int ms)
{
	struct epoll_event ev;
	int n = epoll_wait(ep, &ev, 1, ms);
	if (n == 1 && ev.events == EPOLLIN)
		return (long)ev.data.u64;
	return n == 0 ? 0 : -1;
}

/* Another process sends sig to us after ms. */
static pid_t kill_later(int sig, int ms)
{
	pid_t me = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		sleep_ms(ms);
		kill(me, sig);
		_exit(0);
	}
	return pid;
}

static void level_triggered_woken_by_other_process(void)
{
	int sfd = sfd_of(SIGUSR1, 0);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK_OK(add(ep, sfd, EPOLLIN, 11));
	CHECK_EQ(wait_data(ep, 0), 0);
	pid_t pid = kill_later(SIGUSR1, 50);
	double t0 = tl_now_ms();
	CHECK_EQ(wait_data(ep, 5000), 11);
	CHECK(tl_now_ms() - t0 >= 40);
	/* Level-triggered: still there until read. */
	CHECK_EQ(wait_data(ep, 0), 11);
	CHECK_EQ(sfd_read(sfd), SIGUSR1);
	CHECK_EQ(wait_data(ep, 0), 0);
	expect_exit_0(pid);
	close(ep);
	close(sfd);
}

static void pending_before_zero_timeout(void)
{
	int sfd = sfd_of(SIGUSR2, 0);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK_OK(add(ep, sfd, EPOLLIN, 12));
	kill(getpid(), SIGUSR2);
	CHECK_EQ(wait_data(ep, 0), 12);
	/* Already pending at ADD: ready at once too. */
	int ep2 = epoll_create1(EPOLL_CLOEXEC);
	CHECK_OK(add(ep2, sfd, EPOLLIN, 13));
	CHECK_EQ(wait_data(ep2, 0), 13);
	CHECK_EQ(sfd_read(sfd), SIGUSR2);
	CHECK_EQ(wait_data(ep, 0), 0);
	CHECK_EQ(wait_data(ep2, 0), 0);
	close(ep2);
	close(ep);
	close(sfd);
}

static void edge_triggered_one_edge_per_signal(void)
{
	int sfd = sfd_of(SIGUSR1, SIGUSR2);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK_OK(add(ep, sfd, EPOLLIN | EPOLLET, 14));
	kill(getpid(), SIGUSR1);
	CHECK_EQ(wait_data(ep, 0), 14);
	CHECK_EQ(wait_data(ep, 0), 0); /* no new edge */
	pid_t pid = kill_later(SIGUSR2, 50);
	CHECK_EQ(wait_data(ep, 5000), 14); /* a new signal: a new edge */
	CHECK_EQ(sfd_read(sfd), SIGUSR1);
	CHECK_EQ(sfd_read(sfd), SIGUSR2);
	CHECK_EQ(sfd_read(sfd), -EAGAIN);
	expect_exit_0(pid);
	close(ep);
	close(sfd);
}

struct tkill_arg {
	pthread_t target;
	int ep;
	long got;
};

static void *sibling_kills(void *p)
{
	struct tkill_arg *a = p;
	sleep_ms(50);
	pthread_kill(a->target, SIGTERM);
	return NULL;
}

static void *thread_waits(void *p)
{
	struct tkill_arg *a = p;
	a->got = wait_data(a->ep, 5000);
	return NULL;
}

/* A thread-directed signal: the thread it is pending for sees it. */
static void sibling_thread_pthread_kill(void)
{
	int sfd = sfd_of(SIGTERM, 0);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK_OK(add(ep, sfd, EPOLLIN, 15));
	struct tkill_arg a = {.ep = ep};
	pthread_t waiter, killer;
	a.target = pthread_self();
	start_thread(&killer, sibling_kills, &a);
	CHECK_EQ(wait_data(ep, 5000), 15);
	pthread_join(killer, NULL);
	CHECK_EQ(sfd_read(sfd), SIGTERM);
	/* The same, waiting in another thread that is the target. */
	start_thread(&waiter, thread_waits, &a);
	a.target = waiter;
	start_thread(&killer, sibling_kills, &a);
	pthread_join(killer, NULL);
	pthread_join(waiter, NULL);
	CHECK_EQ(a.got, 15);
	close(ep);
	close(sfd);
}

/* A second signalfd() call on the same fd changes its mask. */
static void mask_changed_later(void)
{
	int sfd = sfd_of(SIGUSR1, 0);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK_OK(add(ep, sfd, EPOLLIN, 16));
	kill(getpid(), SIGUSR2);
	CHECK_EQ(wait_data(ep, 0), 0); /* not in the mask */
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR2);
	CHECK_EQ(signalfd(sfd, &m, 0), sfd);
	kill(getpid(), SIGUSR2); /* coalesces with the pending one */
	CHECK_EQ(wait_data(ep, 0), 16);
	CHECK_EQ(sfd_read(sfd), SIGUSR2);
	close(ep);
	close(sfd);
}

/* poll() on the epoll fd sees the signalfd's readiness too. */
static void poll_on_the_instance(void)
{
	int sfd = sfd_of(SIGUSR1, 0);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK_OK(add(ep, sfd, EPOLLIN, 17));
	struct pollfd p = {.fd = ep, .events = POLLIN};
	CHECK_EQ(poll(&p, 1, 0), 0);
	pid_t pid = kill_later(SIGUSR1, 50);
	CHECK_EQ(poll(&p, 1, 5000), 1);
	CHECK_EQ(p.revents, POLLIN);
	CHECK_EQ(sfd_read(sfd), SIGUSR1);
	expect_exit_0(pid);
	close(ep);
	close(sfd);
}

/* signalfd(2)'s fork caveat: readiness is the polling process's, but
 * wake-ups come only from signals sent to the process that added the
 * signalfd (the entry hooks that process's signal hand). A child that
 * shares the instance does not see its parent's pending signal, and its
 * own signal does not wake the entry. */
static void fork_caveat(void)
{
	int sfd = sfd_of(SIGUSR2, 0);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK_OK(add(ep, sfd, EPOLLIN, 18));
	kill(getpid(), SIGUSR2); /* pending in the parent only */
	pid_t pid = fork();
	if (pid == 0) {
		if (wait_data(ep, 0) != 0)
			_exit(1);
		kill(getpid(), SIGUSR2);
		if (wait_data(ep, 0) != 0)
			_exit(2);
		if (sfd_read(sfd) != SIGUSR2) /* yet it is the child's */
			_exit(3);
		_exit(0);
	}
	expect_exit_0(pid);
	/* The child's look dropped the entry; no new wake-up came. */
	CHECK_EQ(wait_data(ep, 0), 0);
	CHECK_EQ(sfd_read(sfd), SIGUSR2);
	close(ep);
	close(sfd);
}

int main(void)
{
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGUSR2);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	RUN(level_triggered_woken_by_other_process);
	RUN(pending_before_zero_timeout);
	RUN(edge_triggered_one_edge_per_signal);
	RUN(sibling_thread_pthread_kill);
	RUN(mask_changed_later);
	RUN(poll_on_the_instance);
	RUN(fork_caveat);
	return tl_done();
}
