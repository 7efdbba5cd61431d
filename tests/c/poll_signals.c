/* poll_signals.c: poll(2) and ppoll(2) and signals: handlers (never
 * restarted, SA_RESTART or not), ppoll's temporary signal mask, ignored
 * signals, and SIGSTOP/SIGCONT (no handler: poll restarts with its original
 * absolute deadline, ppoll with the remaining time it wrote back).
 *
 * Signals are sent only once the target thread is seen inside the syscall
 * (/proc/<pid>/task/<tid>/syscall), so the cases do not depend on sleeps.
 *
 * See docs: linux-semantics.md sections 1.4, 1.5, 7.3, 7.4 and 8.
 */
#include "testlib.h"
#include "testutil.h"
#include "testsig.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static void poll_handler_eintr(int flags, int timeout)
{
	int p[2];
	struct sender s;
	struct guard g;

	guarded_pipe(p, &g, 10000);
	install(SIGUSR1, flags);
	sender_start(&s, SYS_poll, SIGUSR1, 20, 8000);
	struct pollfd a[2] = {
	    {.fd = p[0], .events = POLLIN, .revents = 0x7fff},
	    {.fd = -1, .events = POLLIN, .revents = 0x7fff},
	};
	double t0 = tl_now_ms();
	CHECK_ERR(syscall(SYS_poll, a, 2, timeout), EINTR);
	double t1 = tl_now_ms();
	sender_handled(&s, t1);
	guard_stop(&g);
	CHECK(t1 - t0 < 3000);
	/* revents are written (as 0) on interruption too. */
	CHECK_EQ(a[0].revents, 0);
	CHECK_EQ(a[1].revents, 0);
	set_disposition(SIGUSR1, SIG_DFL);
	close_fds(p[0], p[1]);
}

static void poll_sa_restart_handler_eintr(void)
{
	poll_handler_eintr(SA_RESTART, 3000);
}

static void poll_plain_handler_eintr(void)
{
	poll_handler_eintr(0, 3000);
}

static void poll_infinite_sa_restart_handler_eintr(void)
{
	poll_handler_eintr(SA_RESTART, -1);
}

static void ppoll_handler_eintr(int flags)
{
	int p[2];
	struct sender s;

	CHECK_OK(pipe2(p, O_CLOEXEC));
	install(SIGUSR1, flags);
	sender_start(&s, SYS_ppoll, SIGUSR1, 150, 8000);
	struct pollfd a = {.fd = p[0], .events = POLLIN, .revents = 0x7fff};
	struct kts ts = {4, 0};
	double t0 = tl_now_ms();
	CHECK_ERR(raw_ppoll(&a, 1, &ts, NULL, 0), EINTR);
	double t1 = tl_now_ms();
	sender_handled(&s, t1);
	CHECK_EQ(a.revents, 0);
	/* The remaining time was written back. */
	double rem = ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
	CHECK(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);
	CHECK(rem < 3900.0);
	CHECK(rem > 500.0);
	CHECK(rem + (t1 - t0) > 3950.0 && rem + (t1 - t0) < 4300.0);
	set_disposition(SIGUSR1, SIG_DFL);
	close_fds(p[0], p[1]);
}

static void ppoll_sa_restart_handler_eintr(void)
{
	ppoll_handler_eintr(SA_RESTART);
}

static void ppoll_plain_handler_eintr(void)
{
	ppoll_handler_eintr(0);
}

static void ppoll_null_timeout_handler_eintr(void)
{
	int p[2];
	struct sender s;
	struct guard g;

	guarded_pipe(p, &g, 10000);
	install(SIGUSR1, SA_RESTART);
	sender_start(&s, SYS_ppoll, SIGUSR1, 20, 8000);
	struct pollfd a = {.fd = p[0], .events = POLLIN};
	CHECK_ERR(raw_ppoll(&a, 1, NULL, NULL, 0), EINTR);
	double t1 = tl_now_ms();
	sender_handled(&s, t1);
	guard_stop(&g);
	set_disposition(SIGUSR1, SIG_DFL);
	close_fds(p[0], p[1]);
}

static void zero_timeout_blocked_pending_signal(void)
{
	/* A pending signal that stays blocked does not interrupt poll or
	 * ppoll (without a mask), not even with a zero timeout. */
	int p[2];

	CHECK_OK(pipe2(p, O_CLOEXEC));
	install(SIGUSR1, 0);
	block(SIGUSR1);
	raise(SIGUSR1);
	CHECK(is_pending(SIGUSR1));
	struct pollfd a = {.fd = p[0], .events = POLLIN};
	CHECK_EQ(poll(&a, 1, 0), 0);
	CHECK_EQ(poll(&a, 1, 30), 0);
	struct kts z = {0, 0};
	CHECK_EQ(raw_ppoll(&a, 1, &z, NULL, 0), 0);
	/* A ppoll mask that blocks it too. */
	uint64_t m = 1ULL << (SIGUSR1 - 1);
	CHECK_EQ(raw_ppoll(&a, 1, &z, &m, 8), 0);
	CHECK_EQ(handler_runs, 0);
	CHECK(is_pending(SIGUSR1));
	drain_signal(SIGUSR1);
	unblock(SIGUSR1);
	set_disposition(SIGUSR1, SIG_DFL);
	close_fds(p[0], p[1]);
}

static void ppoll_mask_blocks_pending_signal(void)
{
	/* Blocked in the thread mask and in ppoll's mask: not interrupted
	 * by a blocking ppoll either; the signal stays pending. */
	int p[2];

	CHECK_OK(pipe2(p, O_CLOEXEC));
	install(SIGUSR1, 0);
	block(SIGUSR1);
	raise(SIGUSR1);
	struct pollfd a = {.fd = p[0], .events = POLLIN};
	struct kts ts = {0, 80 * 1000000LL};
	uint64_t m = (1ULL << (SIGUSR1 - 1)) | (1ULL << (SIGUSR2 - 1));
	double t0 = tl_now_ms();
	CHECK_EQ(raw_ppoll(&a, 1, &ts, &m, 8), 0);
	CHECK(tl_now_ms() - t0 >= 79.5);
	CHECK_EQ(handler_runs, 0);
	CHECK(is_pending(SIGUSR1));
	CHECK(is_blocked(SIGUSR1));
	drain_signal(SIGUSR1);
	unblock(SIGUSR1);
	set_disposition(SIGUSR1, SIG_DFL);
	close_fds(p[0], p[1]);
}

static void ppoll_mask_blocks_arriving_signal(void)
{
	/* The thread does not block SIGUSR1, ppoll's mask does: a signal
	 * sent during the wait does not interrupt it. It is delivered when
	 * the old mask comes back, after ppoll returned. */
	int p[2];
	struct sender s;

	CHECK_OK(pipe2(p, O_CLOEXEC));
	install(SIGUSR1, 0);
	sender_start(&s, SYS_ppoll, SIGUSR1, 30, 8000);
	struct pollfd a = {.fd = p[0], .events = POLLIN};
	struct kts ts = {0, 500 * 1000000LL};
	uint64_t m = 1ULL << (SIGUSR1 - 1);
	double t0 = tl_now_ms();
	long long r = raw_ppoll(&a, 1, &ts, &m, 8);
	double t1 = tl_now_ms();
	pthread_join(s.th, NULL);
	CHECK(s.found);
	CHECK_EQ(r, 0);
	CHECK(t1 - t0 >= 499.5);
	CHECK_EQ(ts.tv_sec, 0);
	CHECK_EQ(ts.tv_nsec, 0);
	CHECK(s.sent_at < t0 + 450);
	CHECK_EQ(handler_runs, 1);
	CHECK(handler_time >= t0 + 499.5);
	CHECK(!is_blocked(SIGUSR1));
	set_disposition(SIGUSR1, SIG_DFL);
	close_fds(p[0], p[1]);
}

static void ppoll_mask_unblocks_pending_zero_timeout(void)
{
	/* Blocked in the thread, pending, and unblocked only by ppoll's
	 * temporary mask: a zero-timeout ppoll with nothing ready returns
	 * EINTR, the handler runs, and the old mask is back afterwards. */
	int p[2];

	CHECK_OK(pipe2(p, O_CLOEXEC));
	install(SIGUSR1, SA_RESTART);
	block(SIGUSR1);
	raise(SIGUSR1);
	struct pollfd a = {.fd = p[0], .events = POLLIN, .revents = 0x7fff};
	struct kts z = {0, 0};
	uint64_t m = 0;
	long long r = raw_ppoll(&a, 1, &z, &m, 8);
	int e = errno;
	CHECK_EQ(r, -1);
	CHECK_EQ(e, EINTR);
	CHECK_EQ(handler_runs, 1);
	CHECK(is_blocked(SIGUSR1));
	CHECK(!is_pending(SIGUSR1));
	CHECK_EQ(a.revents, 0);
	drain_signal(SIGUSR1);
	unblock(SIGUSR1);
	set_disposition(SIGUSR1, SIG_DFL);
	close_fds(p[0], p[1]);
}

static void ppoll_mask_unblocks_pending_fd_ready(void)
{
	/* Same, but an fd is ready: the count wins, the mask is restored at
	 * once, and the signal is not delivered: it stays pending. */
	int efd = eventfd(0, EFD_CLOEXEC);

	install(SIGUSR1, 0);
	block(SIGUSR1);
	raise(SIGUSR1);
	struct pollfd a = {.fd = efd, .events = POLLOUT};
	struct kts z = {0, 0};
	uint64_t m = 0;
	long long r = raw_ppoll(&a, 1, &z, &m, 8);
	CHECK_EQ(r, 1);
	CHECK_EQ(a.revents, POLLOUT);
	CHECK_EQ(handler_runs, 0);
	CHECK(is_pending(SIGUSR1));
	CHECK(is_blocked(SIGUSR1));
	drain_signal(SIGUSR1);
	unblock(SIGUSR1);
	set_disposition(SIGUSR1, SIG_DFL);
	close(efd);
}

static void ppoll_mask_unblocks_arriving_signal(void)
{
	/* Blocked in the thread, sent while ppoll (whose mask unblocks it)
	 * waits: EINTR, the handler ran, the old mask is back. */
	int p[2];
	struct sender s;

	CHECK_OK(pipe2(p, O_CLOEXEC));
	install(SIGUSR1, SA_RESTART);
	block(SIGUSR1);
	sender_start(&s, SYS_ppoll, SIGUSR1, 30, 8000);
	struct pollfd a = {.fd = p[0], .events = POLLIN};
	struct kts ts = {3, 0};
	uint64_t m = 0;
	long long r = raw_ppoll(&a, 1, &ts, &m, 8);
	int e = errno;
	double t1 = tl_now_ms();
	pthread_join(s.th, NULL);
	CHECK(s.found);
	CHECK_EQ(r, -1);
	CHECK_EQ(e, EINTR);
	CHECK_EQ(handler_runs, 1);
	CHECK(t1 - s.sent_at < 1500);
	CHECK(is_blocked(SIGUSR1));
	drain_signal(SIGUSR1);
	unblock(SIGUSR1);
	set_disposition(SIGUSR1, SIG_DFL);
	close_fds(p[0], p[1]);
}

static void ignored_signals_do_not_interrupt(void)
{
	/* SIG_IGN, and SIG_DFL of a signal whose default is to ignore: the
	 * signal is discarded, the wait goes on to its timeout. */
	int p[2];
	struct sender s;

	CHECK_OK(pipe2(p, O_CLOEXEC));
	set_disposition(SIGUSR2, SIG_IGN);
	set_disposition(SIGWINCH, SIG_DFL);
	struct pollfd a = {.fd = p[0], .events = POLLIN};

	sender_start(&s, SYS_poll, SIGUSR2, 20, 8000);
	double t0 = tl_now_ms();
	CHECK_EQ(poll(&a, 1, 300), 0);
	CHECK(tl_now_ms() - t0 >= 299.5);
	pthread_join(s.th, NULL);
	CHECK(s.found);

	sender_start(&s, SYS_ppoll, SIGWINCH, 20, 8000);
	struct kts ts = {0, 300 * 1000000LL};
	t0 = tl_now_ms();
	CHECK_EQ(raw_ppoll(&a, 1, &ts, NULL, 0), 0);
	CHECK(tl_now_ms() - t0 >= 299.5);
	pthread_join(s.th, NULL);
	CHECK(s.found);
	set_disposition(SIGUSR2, SIG_DFL);
	close_fds(p[0], p[1]);
}

/* SIGSTOP + SIGCONT (no handler) on a child blocked in poll or ppoll with a
 * 600 ms timeout. */
struct stop_result {
	long long ret;
	int err;
	double t0, t1;
	struct kts ts;
};

static void stop_cont_child(int use_ppoll, int stop_at_ms, int cont_at_ms,
			    struct stop_result *res, double *stop_ms,
			    double *cont_at, int *in_call)
{
	int rp[2], never[2];

	memset(res, 0, sizeof(*res));
	*in_call = 0;
	if (pipe2(rp, O_CLOEXEC) != 0 || pipe2(never, O_CLOEXEC) != 0) {
		CHECK(0);
		return;
	}
	pid_t pid = fork();
	if (pid < 0) {
		CHECK(0);
		return;
	}
	if (pid == 0) {
		struct stop_result r;
		struct pollfd a = {.fd = never[0], .events = POLLIN};

		memset(&r, 0, sizeof(r));
		r.t0 = tl_now_ms();
		if (write(rp[1], &r.t0, sizeof(r.t0)) != sizeof(r.t0))
			_exit(3);
		if (use_ppoll) {
			r.ts.tv_sec = 0;
			r.ts.tv_nsec = 600 * 1000000LL;
			r.ret = raw_ppoll(&a, 1, &r.ts, NULL, 0);
		} else {
			r.ret = syscall(SYS_poll, &a, 1, 600);
		}
		r.err = r.ret < 0 ? errno : 0;
		r.t1 = tl_now_ms();
		if (write(rp[1], &r, sizeof(r)) != sizeof(r))
			_exit(4);
		_exit(0);
	}
	close(rp[1]);
	double t0;
	CHECK_EQ(read(rp[0], &t0, sizeof(t0)), sizeof(t0));
	*in_call = wait_in_syscall_every(
	    pid, pid, use_ppoll ? SYS_ppoll : SYS_poll, 3000, 2);
	while (tl_now_ms() < t0 + stop_at_ms)
		sleep_ms(1);
	double ts = tl_now_ms();
	kill(pid, SIGSTOP);
	/* Wait until it is really stopped. */
	for (int i = 0; i < 2000 && task_state(pid, 0) != 'T'; i++)
		sleep_ms(1);
	CHECK_EQ(task_state(pid, 0), 'T');
	while (tl_now_ms() < t0 + cont_at_ms)
		sleep_ms(1);
	double tc = tl_now_ms();
	kill(pid, SIGCONT);
	*stop_ms = tc - ts;
	*cont_at = tc - t0;
	CHECK_EQ(read(rp[0], res, sizeof(*res)), sizeof(*res));
	int status = 0;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close_fds(rp[0], never[0], never[1]);
}

static void poll_stop_cont_keeps_absolute_deadline(void)
{
	/* Stopped from ~100 ms to ~1000 ms: poll is restarted through
	 * restart_syscall with the original deadline (600 ms), which has
	 * passed by then, so it returns 0 right after SIGCONT. */
	struct stop_result r;
	double stop_ms, cont_at;
	int in_call;

	stop_cont_child(0, 100, 1000, &r, &stop_ms, &cont_at, &in_call);
	CHECK(in_call);
	CHECK_EQ(r.ret, 0);
	double el = r.t1 - r.t0;
	CHECK(el >= 600);
	CHECK(el < 1500);
	CHECK(el >= cont_at - 50);
	/* Not restarted with the remaining time (≈ 600 + stop) nor with
	 * the full timeout. */
	CHECK(el < cont_at + 300);
}

static void poll_stop_cont_short_stop(void)
{
	/* Stopped from ~100 to ~300 ms: still ends at ~600 ms. */
	struct stop_result r;
	double stop_ms, cont_at;
	int in_call;

	stop_cont_child(0, 100, 300, &r, &stop_ms, &cont_at, &in_call);
	CHECK(in_call);
	CHECK_EQ(r.ret, 0);
	double el = r.t1 - r.t0;
	CHECK(el >= 600);
	CHECK(el < 1500);
	(void)stop_ms;
}

static void ppoll_stop_cont_uses_remaining_time(void)
{
	/* ppoll is restarted with the same arguments; *tsp holds the
	 * remaining time by then, so the stopped time is not counted. */
	struct stop_result r;
	double stop_ms, cont_at;
	int in_call;

	stop_cont_child(1, 100, 500, &r, &stop_ms, &cont_at, &in_call);
	CHECK(in_call);
	CHECK_EQ(r.ret, 0);
	double el = r.t1 - r.t0;
	CHECK(stop_ms >= 350);
	CHECK(el >= 600 + stop_ms - 50);
	CHECK(el < 2000);
	CHECK_EQ(r.ts.tv_sec, 0);
	CHECK_EQ(r.ts.tv_nsec, 0);
}

int main(void)
{
	RUN(poll_sa_restart_handler_eintr);
	RUN(poll_plain_handler_eintr);
	RUN(poll_infinite_sa_restart_handler_eintr);
	RUN(ppoll_sa_restart_handler_eintr);
	RUN(ppoll_plain_handler_eintr);
	RUN(ppoll_null_timeout_handler_eintr);
	RUN(zero_timeout_blocked_pending_signal);
	RUN(ppoll_mask_blocks_pending_signal);
	RUN(ppoll_mask_blocks_arriving_signal);
	RUN(ppoll_mask_unblocks_pending_zero_timeout);
	RUN(ppoll_mask_unblocks_pending_fd_ready);
	RUN(ppoll_mask_unblocks_arriving_signal);
	RUN(ignored_signals_do_not_interrupt);
	RUN(poll_stop_cont_keeps_absolute_deadline);
	RUN(poll_stop_cont_short_stop);
	RUN(ppoll_stop_cont_uses_remaining_time);
	return tl_done();
}
