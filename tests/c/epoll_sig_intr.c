/* epoll_sig_intr.c: signals and epoll_wait / epoll_pwait / epoll_pwait2
 * (linux-semantics.md 1.4, 1.5, 5.2, 5.3, 8).
 *
 * - A handled signal gives EINTR, with or without SA_RESTART (never
 *   restarted); so does SIGSTOP + SIGCONT with no handler.
 * - Ignored signals (SIG_IGN, or default-ignore) never interrupt.
 * - Timeout 0 never gives EINTR; ready events win over a pending signal.
 * - The temporary mask of epoll_pwait*: a signal it blocks stays pending;
 *   a signal it unblocks interrupts the call and its handler runs before
 *   the old mask comes back; when the call fails for another reason the
 *   old mask comes back at once and nothing is delivered.
 *
 * Under interpoll a pending signal may be noticed up to ~250 ms late, so
 * the EINTR deadlines are generous (about 1 s and more).
 */
#include "testlib.h"
#include "testutil.h"
#include "testsig.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* The empty signal mask of the epoll_pwait* calls. */
static const uint64_t none = 0;

static uint64_t kmask(int sig)
{
	return 1ULL << (sig - 1);
}

/* ---- handler bookkeeping: testsig.h's on_signal() ---- */

static void reset_sig(int sig)
{
	drain_signal(sig);
	set_disposition(sig, SIG_DFL);
	unblock(sig);
}

/* ---- a helper thread that signals the waiting main thread ---- */

struct killer {
	pthread_t th;
	pthread_t target;
	pid_t target_tid;
	int sig;
	int delay_ms;
	int to_self;	    /* signal the killer thread itself instead */
	int to_process;	    /* kill(getpid()) instead of pthread_kill */
	int rescue_fd;	    /* eventfd written if the target is stuck */
	atomic_int waiting; /* set by the target just before its call */
	atomic_int done;    /* set by the target after its call */
	double t_sent;
};

static void *killer_fn(void *arg)
{
	struct killer *k = arg;
	double t0 = tl_now_ms();
	uint64_t one = 1;

	if (k->to_process)
		block(k->sig);
	while (tl_now_ms() - t0 < 3000) {
		if (atomic_load(&k->waiting) &&
		    task_state(getpid(), k->target_tid) == 'S')
			break;
		sleep_ms(2);
	}
	sleep_ms(k->delay_ms);
	k->t_sent = tl_now_ms();
	if (k->to_self)
		pthread_kill(pthread_self(), k->sig);
	else if (k->to_process)
		kill(getpid(), k->sig);
	else
		pthread_kill(k->target, k->sig);
	t0 = tl_now_ms();
	while (!atomic_load(&k->done) && tl_now_ms() - t0 < 4000)
		sleep_ms(5);
	if (!atomic_load(&k->done) && k->rescue_fd >= 0)
		if (write(k->rescue_fd, &one, 8) != 8)
			abort();
	return NULL;
}

enum { TO_WAITER, TO_SELF, TO_PROCESS };

static void killer_start(struct killer *k, int sig, int delay_ms, int rescue_fd,
			 int mode)
{
	memset(k, 0, sizeof(*k));
	k->to_self = mode == TO_SELF;
	k->to_process = mode == TO_PROCESS;
	k->target = pthread_self();
	k->target_tid = (pid_t)syscall(SYS_gettid);
	k->sig = sig;
	k->delay_ms = delay_ms;
	k->rescue_fd = rescue_fd;
	atomic_store(&k->waiting, 0);
	atomic_store(&k->done, 0);
	if (pthread_create(&k->th, NULL, killer_fn, k) != 0)
		abort();
}

static void killer_finish(struct killer *k)
{
	atomic_store(&k->done, 1);
	pthread_join(k->th, NULL);
}

/* Make the call (a statement) while killer k, just started, waits for it:
 * t0 is set right before it, el to how long it took; then the killer is
 * finished. */
#define KILLED_CALL(k, t0, el, call)                                           \
	do {                                                                   \
		(t0) = tl_now_ms();                                            \
		atomic_store(&(k).waiting, 1);                                 \
		call;                                                          \
		(el) = tl_now_ms() - (t0);                                     \
		killer_finish(&(k));                                           \
	} while (0)

/* A wait of ms that ran to its timeout: never early, not much late. */
static void lasted(double el, int ms)
{
	CHECK(el >= ms - 0.01);
	CHECK(el < ms + 1500);
}

/* epoll_wait(ep) is interrupted by one SIGUSR1 that the killer sends
 * (mode), whose handler runs once; then SIGUSR1 is reset and ep and the
 * rescue eventfd are closed. */
static void interrupted_once(int ep, int rescue, int mode)
{
	struct epoll_event ev[2];
	struct killer k;

	killer_start(&k, SIGUSR1, 100, rescue, mode);
	atomic_store(&k.waiting, 1);
	CHECK_ERR(epoll_wait(ep, ev, 2, 6000), EINTR);
	killer_finish(&k);
	CHECK_EQ(handler_runs, 1);
	reset_sig(SIGUSR1);
	close_fds(rescue, ep);
}

/* ---- interrupted waits ---- */

enum kind {
	K_WAIT,
	K_WAIT_FOREVER,
	K_PWAIT_NULL,
	K_PWAIT_MASK,
	K_PWAIT2_TS,
	K_PWAIT2_NULL
};

static long do_wait(enum kind kind, int ep, struct epoll_event *ev)
{
	struct kts ts = {6, 0};

	switch (kind) {
	case K_WAIT:
		return epoll_wait(ep, ev, 2, 6000);
	case K_WAIT_FOREVER:
		return epoll_wait(ep, ev, 2, -1);
	case K_PWAIT_NULL:
		return sys_pwait(ep, ev, 2, 6000, NULL, 8);
	case K_PWAIT_MASK:
		return sys_pwait(ep, ev, 2, -1, &none, 8);
	case K_PWAIT2_TS:
		return sys_pwait2(ep, ev, 2, &ts, NULL, 8);
	case K_PWAIT2_NULL:
		return sys_pwait2(ep, ev, 2, NULL, &none, 8);
	}
	return -2;
}

static void expect_eintr(enum kind kind, int flags)
{
	int rescue;
	int ep = ep_with_eventfd(&rescue, 0, EFD_NONBLOCK, EPOLLIN, 0xdead);
	struct epoll_event ev[2];
	struct killer k;
	double t0, el;
	long r;
	int e;

	install(SIGUSR1, flags);
	killer_start(&k, SIGUSR1, 100, rescue, TO_WAITER);
	t0 = tl_now_ms();
	atomic_store(&k.waiting, 1);
	errno = 0;
	r = do_wait(kind, ep, ev);
	e = errno;
	el = tl_now_ms() - t0;
	killer_finish(&k);
	CHECK_EQ(r, -1);
	CHECK_EQ(e, EINTR);
	CHECK_EQ(handler_runs, 1);
	CHECK(el >= 100);
	CHECK(k.t_sent > 0 && tl_now_ms() - k.t_sent < 4000);
	CHECK(handler_time >= k.t_sent - 0.01);
	reset_sig(SIGUSR1);
	close_fds(rescue, ep);
}

static void case_sa_restart_epoll_wait_eintr(void)
{
	expect_eintr(K_WAIT, SA_RESTART);
	expect_eintr(K_WAIT_FOREVER, SA_RESTART);
}

static void case_sa_restart_epoll_pwait_eintr(void)
{
	expect_eintr(K_PWAIT_NULL, SA_RESTART);
	expect_eintr(K_PWAIT_MASK, SA_RESTART);
}

static void case_sa_restart_epoll_pwait2_eintr(void)
{
	expect_eintr(K_PWAIT2_TS, SA_RESTART);
	expect_eintr(K_PWAIT2_NULL, SA_RESTART);
}

static void case_no_restart_eintr(void)
{
	expect_eintr(K_WAIT, 0);
	expect_eintr(K_PWAIT_MASK, 0);
	expect_eintr(K_PWAIT2_TS, 0);
}

static void case_signal_fn_handler_eintr(void)
{
	int rescue;
	int ep = ep_with_eventfd(&rescue, 0, EFD_NONBLOCK, EPOLLIN, 0xdead);
	struct sigaction cur;

	handler_runs = 0;
	handler_time = 0;
	CHECK(signal(SIGUSR1, on_signal) != SIG_ERR);
	/* glibc's signal() has BSD semantics: SA_RESTART. */
	sigaction(SIGUSR1, NULL, &cur);
	CHECK(cur.sa_flags & SA_RESTART);
	interrupted_once(ep, rescue, TO_WAITER);
}

static void case_process_directed_signal_eintr(void)
{
	int rescue;
	int ep = ep_with_eventfd(&rescue, 0, EFD_NONBLOCK, EPOLLIN, 0xdead);

	install(SIGUSR1, SA_RESTART);
	/* The killer blocks it, so the waiter is the one to get it. */
	interrupted_once(ep, rescue, TO_PROCESS);
}

/* A signal for another thread does not disturb the waiter. */
static void case_other_thread_signal_no_interrupt(void)
{
	int ep = epoll_create1(0);
	struct epoll_event ev[2];
	struct killer k;
	double t0, el;

	install(SIGUSR1, 0);
	killer_start(&k, SIGUSR1, 50, -1, TO_SELF);
	KILLED_CALL(k, t0, el, CHECK_EQ(epoll_wait(ep, ev, 2, 500), 0));
	lasted(el, 500);
	CHECK_EQ(handler_runs, 1);
	reset_sig(SIGUSR1);
	close(ep);
}

/* ---- SIGSTOP + SIGCONT on a child blocked in epoll_wait ---- */

struct child_result {
	long ret;
	int err;
	double el;
};

static void stop_cont_child(enum kind kind)
{
	int pfd[2];
	pid_t pid;
	struct child_result res;
	int status;

	CHECK_OK(pipe(pfd));
	pid = fork();
	if (pid < 0) {
		CHECK(0);
		return;
	}
	if (pid == 0) {
		int ep = epoll_create1(0);
		int e = eventfd(0, 0);
		struct epoll_event ev[2];
		double t0;

		close(pfd[0]);
		add(ep, e, EPOLLIN, 1);
		t0 = tl_now_ms();
		errno = 0;
		res.ret = do_wait(kind, ep, ev);
		res.err = errno;
		res.el = tl_now_ms() - t0;
		if (write(pfd[1], &res, sizeof(res)) != sizeof(res))
			_exit(2);
		_exit(0);
	}
	close(pfd[1]);
	/* Wait for the child to sleep. */
	double t0 = tl_now_ms();
	while (tl_now_ms() - t0 < 3000 && task_state(pid, pid) != 'S')
		sleep_ms(2);
	sleep_ms(100);
	CHECK_EQ(task_state(pid, pid), 'S');
	CHECK_OK(kill(pid, SIGSTOP));
	CHECK_EQ(waitpid(pid, &status, WUNTRACED), pid);
	CHECK(WIFSTOPPED(status));
	sleep_ms(50);
	CHECK_OK(kill(pid, SIGCONT));
	struct pollfd p = {pfd[0], POLLIN, 0};
	int pr;
	do
		pr = poll(&p, 1, 3000);
	while (pr < 0 && errno == EINTR);
	CHECK_EQ(pr, 1);
	if (pr == 1) {
		CHECK_EQ(read(pfd[0], &res, sizeof(res)), sizeof(res));
		CHECK_EQ(res.ret, -1);
		CHECK_EQ(res.err, EINTR);
		CHECK(res.el < 5000);
	} else {
		kill(pid, SIGKILL);
	}
	/* Reap (the child may report CLD_CONTINUED first). */
	while (waitpid(pid, &status, 0) == pid && !WIFEXITED(status) &&
	       !WIFSIGNALED(status))
		;
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(pfd[0]);
}

static void case_stop_cont_child_epoll_wait_eintr(void)
{
	stop_cont_child(K_WAIT);
}

static void case_stop_cont_child_pwait_pwait2_eintr(void)
{
	stop_cont_child(K_PWAIT_NULL);
	stop_cont_child(K_PWAIT2_TS);
}

/* ---- signals that do not interrupt ---- */

static void case_ignored_signals_do_not_interrupt(void)
{
	int ep = epoll_create1(0);
	struct epoll_event ev[2];
	double t0, el;
	struct killer k[5];
	/* SIG_IGN'd, and four whose default action is to ignore (SIGCONT
	 * to a process that is not stopped only "continues" it). */
	int sigs[5] = {SIGUSR2, SIGCHLD, SIGWINCH, SIGURG, SIGCONT};
	int i;

	set_disposition(SIGUSR2, SIG_IGN);
	for (i = 1; i < 5; i++)
		set_disposition(sigs[i], SIG_DFL);
	for (i = 0; i < 5; i++)
		killer_start(&k[i], sigs[i], 50 + 20 * i, -1, TO_WAITER);
	t0 = tl_now_ms();
	for (i = 0; i < 5; i++)
		atomic_store(&k[i].waiting, 1);
	CHECK_EQ(epoll_wait(ep, ev, 2, 500), 0);
	el = tl_now_ms() - t0;
	for (i = 0; i < 5; i++)
		killer_finish(&k[i]);
	lasted(el, 500);
	/* Discarded at generation: nothing pending. */
	CHECK(!is_pending(SIGUSR2));
	set_disposition(SIGUSR2, SIG_DFL);
	close(ep);
}

static void case_blocked_signal_does_not_interrupt(void)
{
	int ep = epoll_create1(0);
	struct epoll_event ev[2];
	struct killer k;
	double t0, el;

	install(SIGUSR1, 0);
	block(SIGUSR1);
	killer_start(&k, SIGUSR1, 50, -1, TO_WAITER);
	KILLED_CALL(k, t0, el, CHECK_EQ(epoll_wait(ep, ev, 2, 400), 0));
	lasted(el, 400);
	CHECK_EQ(handler_runs, 0);
	CHECK(is_pending(SIGUSR1));
	reset_sig(SIGUSR1);
	CHECK_EQ(handler_runs, 0);
	close(ep);
}

/* ---- pending signals and the temporary mask ---- */

static void case_timeout0_pending_signal_returns_0(void)
{
	int e;
	int ep = ep_with_eventfd(&e, 0, EFD_NONBLOCK, EPOLLIN, 1);
	struct epoll_event ev[2];
	struct kts z = {0, 0};

	install(SIGUSR1, 0);
	block(SIGUSR1);
	raise(SIGUSR1);
	CHECK(is_pending(SIGUSR1));
	/* The temporary mask unblocks it, but timeout 0 never gives
	 * EINTR, and with a result other than EINTR the old mask comes
	 * back at once: the signal stays pending, undelivered. */
	CHECK_EQ(sys_pwait(ep, ev, 2, 0, &none, 8), 0);
	CHECK_EQ(handler_runs, 0);
	CHECK(is_pending(SIGUSR1));
	CHECK_EQ(sys_pwait2(ep, ev, 2, &z, &none, 8), 0);
	CHECK_EQ(handler_runs, 0);
	CHECK(is_pending(SIGUSR1));
	CHECK(is_blocked(SIGUSR1));
	/* Same with an event ready. */
	uint64_t one = 1;
	CHECK_EQ(write(e, &one, 8), 8);
	CHECK_EQ(sys_pwait(ep, ev, 2, 0, &none, 8), 1);
	CHECK_EQ(handler_runs, 0);
	CHECK(is_pending(SIGUSR1));
	reset_sig(SIGUSR1);
	close_fds(e, ep);
}

static void case_events_win_over_pending_signal(void)
{
	int e;
	int ep = ep_with_eventfd(&e, 1, EFD_NONBLOCK, EPOLLIN, 0x77);
	struct epoll_event ev[2];
	struct kts ts = {5, 0};
	double t0;

	install(SIGUSR1, 0);
	block(SIGUSR1);
	raise(SIGUSR1);
	t0 = tl_now_ms();
	memset(ev, 0, sizeof(ev));
	CHECK_EQ(sys_pwait(ep, ev, 2, 5000, &none, 8), 1);
	CHECK_EQ(ev[0].data.u64, 0x77);
	CHECK_EQ(handler_runs, 0);
	CHECK(is_pending(SIGUSR1));
	CHECK_EQ(sys_pwait(ep, ev, 2, -1, &none, 8), 1);
	CHECK_EQ(sys_pwait2(ep, ev, 2, &ts, &none, 8), 1);
	CHECK_EQ(sys_pwait2(ep, ev, 2, NULL, &none, 8), 1);
	CHECK(tl_now_ms() - t0 < 1000);
	CHECK_EQ(handler_runs, 0);
	CHECK(is_pending(SIGUSR1));
	CHECK(is_blocked(SIGUSR1));
	/* Unblocking now delivers it. */
	unblock(SIGUSR1);
	CHECK_EQ(handler_runs, 1);
	reset_sig(SIGUSR1);
	close_fds(e, ep);
}

/* The thread does not block SIGUSR1; the temporary mask does. The signal
 * arrives during the wait, does not interrupt it, and is delivered only
 * when the call returns at its timeout. */
static void case_pwait_mask_blocks_signal(void)
{
	int ep = epoll_create1(0);
	struct epoll_event ev[2];
	uint64_t m = kmask(SIGUSR1);
	struct killer k;
	double t0, el;

	install(SIGUSR1, 0);
	killer_start(&k, SIGUSR1, 100, -1, TO_WAITER);
	KILLED_CALL(k, t0, el, CHECK_EQ(sys_pwait(ep, ev, 2, 500, &m, 8), 0));
	lasted(el, 500);
	CHECK_EQ(handler_runs, 1);
	CHECK(handler_time >= t0 + 500 - 0.01);
	CHECK(!is_blocked(SIGUSR1));
	reset_sig(SIGUSR1);
	close(ep);
}

/* Both the thread's mask and the temporary one block it: the call times
 * out and the signal is left pending. */
static void case_pwait2_mask_blocks_signal_stays_pending(void)
{
	int ep = epoll_create1(0);
	struct epoll_event ev[2];
	uint64_t m = kmask(SIGUSR1) | kmask(SIGUSR2);
	struct kts ts = {0, 400 * 1000 * 1000};
	struct killer k;
	double t0, el;

	install(SIGUSR1, 0);
	block(SIGUSR1);
	killer_start(&k, SIGUSR1, 100, -1, TO_WAITER);
	KILLED_CALL(k, t0, el, CHECK_EQ(sys_pwait2(ep, ev, 2, &ts, &m, 8), 0));
	lasted(el, 400);
	CHECK_EQ(handler_runs, 0);
	CHECK(is_pending(SIGUSR1));
	CHECK(is_blocked(SIGUSR1));
	CHECK(!is_blocked(SIGUSR2));
	unblock(SIGUSR1);
	CHECK_EQ(handler_runs, 1);
	reset_sig(SIGUSR1);
	close(ep);
}

/* The thread blocks SIGUSR1; the temporary mask unblocks it. */
static void pwait_unblocks(int use_pwait2)
{
	int rescue;
	int ep = ep_with_eventfd(&rescue, 0, EFD_NONBLOCK, EPOLLIN, 0xdead);
	struct epoll_event ev[2];
	struct kts ts = {6, 0};
	struct killer k;
	double t0, el;
	long r;
	int e;

	install(SIGUSR1, SA_RESTART);
	block(SIGUSR1);
	killer_start(&k, SIGUSR1, 100, rescue, TO_WAITER);
	t0 = tl_now_ms();
	atomic_store(&k.waiting, 1);
	errno = 0;
	if (use_pwait2)
		r = sys_pwait2(ep, ev, 2, &ts, &none, 8);
	else
		r = sys_pwait(ep, ev, 2, 6000, &none, 8);
	e = errno;
	el = tl_now_ms() - t0;
	killer_finish(&k);
	CHECK_EQ(r, -1);
	CHECK_EQ(e, EINTR);
	CHECK(el < 100 + 4000);
	CHECK_EQ(handler_runs, 1);
	CHECK(is_blocked(SIGUSR1));
	CHECK(!is_pending(SIGUSR1));
	reset_sig(SIGUSR1);
	close_fds(rescue, ep);
}

static void case_pwait_unblocks_blocked_signal(void)
{
	pwait_unblocks(0);
}

static void case_pwait2_unblocks_blocked_signal(void)
{
	pwait_unblocks(1);
}

/* Already pending before the call, unblocked by the temporary mask: EINTR
 * at once (no sleep), handler run, mask restored. */
static void case_pwait_pending_before_call(void)
{
	int ep = epoll_create1(0);
	struct epoll_event ev[2];
	double t0, el;

	install(SIGUSR1, 0);
	block(SIGUSR1);
	raise(SIGUSR1);
	t0 = tl_now_ms();
	CHECK_ERR(sys_pwait(ep, ev, 2, 5000, &none, 8), EINTR);
	el = tl_now_ms() - t0;
	CHECK(el < 1500);
	CHECK_EQ(handler_runs, 1);
	CHECK(is_blocked(SIGUSR1));
	CHECK(!is_pending(SIGUSR1));
	reset_sig(SIGUSR1);
	close(ep);
}

/* The mask is installed before the fd and count checks; when they fail
 * the old mask is restored at once and nothing is delivered. */
static void case_pwait_error_restores_mask_undelivered(void)
{
	int ep = epoll_create1(0);
	int e = eventfd(0, 0);
	struct epoll_event ev[2];
	struct kts ts = {1, 0};
	struct kts bad = {0, -1};

	install(SIGUSR1, 0);
	block(SIGUSR1);
	raise(SIGUSR1);
	CHECK_ERR(sys_pwait(-1, ev, 2, 5000, &none, 8), EBADF);
	CHECK_ERR(sys_pwait(ep, ev, 0, 5000, &none, 8), EINVAL);
	CHECK_ERR(sys_pwait(e, ev, 2, 5000, &none, 8), EINVAL);
	CHECK_ERR(
	    sys_pwait(ep, (void *)0xffff888000000000UL, 2, 5000, &none, 8),
	    EFAULT);
	CHECK_ERR(sys_pwait2(-1, ev, 2, &ts, &none, 8), EBADF);
	CHECK_ERR(sys_pwait2(ep, ev, 2, &bad, &none, 8), EINVAL);
	CHECK_ERR(sys_pwait2(ep, ev, 2, &ts, &none, 4), EINVAL);
	CHECK_EQ(handler_runs, 0);
	CHECK(is_pending(SIGUSR1));
	CHECK(is_blocked(SIGUSR1));
	reset_sig(SIGUSR1);
	close_fds(e, ep);
}

/* SIGKILL and SIGSTOP in the temporary mask are ignored silently; the
 * call still succeeds. */
static void case_pwait_mask_with_kill_stop(void)
{
	int ep = epoll_create1(0);
	struct epoll_event ev[2];
	uint64_t m = kmask(SIGKILL) | kmask(SIGSTOP) | kmask(SIGUSR2);
	struct kts z = {0, 0};

	CHECK_EQ(sys_pwait(ep, ev, 2, 0, &m, 8), 0);
	CHECK_EQ(sys_pwait(ep, ev, 2, 20, &m, 8), 0);
	CHECK_EQ(sys_pwait2(ep, ev, 2, &z, &m, 8), 0);
	m = ~0ULL;
	CHECK_EQ(sys_pwait(ep, ev, 2, 20, &m, 8), 0);
	CHECK(!is_blocked(SIGUSR2));
	close(ep);
}

int main(void)
{
	RUN(case_sa_restart_epoll_wait_eintr);
	RUN(case_sa_restart_epoll_pwait_eintr);
	RUN(case_sa_restart_epoll_pwait2_eintr);
	RUN(case_no_restart_eintr);
	RUN(case_signal_fn_handler_eintr);
	RUN(case_process_directed_signal_eintr);
	RUN(case_other_thread_signal_no_interrupt);
	RUN(case_stop_cont_child_epoll_wait_eintr);
	RUN(case_stop_cont_child_pwait_pwait2_eintr);
	RUN(case_ignored_signals_do_not_interrupt);
	RUN(case_blocked_signal_does_not_interrupt);
	RUN(case_timeout0_pending_signal_returns_0);
	RUN(case_events_win_over_pending_signal);
	RUN(case_pwait_mask_blocks_signal);
	RUN(case_pwait2_mask_blocks_signal_stays_pending);
	RUN(case_pwait_unblocks_blocked_signal);
	RUN(case_pwait2_unblocks_blocked_signal);
	RUN(case_pwait_pending_before_call);
	RUN(case_pwait_error_restores_mask_undelivered);
	RUN(case_pwait_mask_with_kill_stop);
	return tl_done();
}
