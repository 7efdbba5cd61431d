/* testsig.h: signal helpers shared by the tests/c programs that interrupt
 * blocking calls (see testutil.h for the general ones).
 *
 * on_signal() counts its runs in handler_runs and notes the time of the
 * last one in handler_time; install() makes it the handler of a signal and
 * resets both. A sender is a thread that signals the calling thread once
 * /proc shows it asleep inside a given system call.
 */
#ifndef INTERPOLL_TESTSIG_H
#define INTERPOLL_TESTSIG_H

#include "testlib.h"
#include "testutil.h"

#include <pthread.h>
#include <signal.h>

/* ---- dispositions and masks ---- */

/* sigaction(sig) with handler h (or SIG_DFL, SIG_IGN), these flags and an
 * empty sa_mask. */
static inline int set_handler(int sig, void (*h)(int), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

static inline void set_disposition(int sig, void (*h)(int))
{
	if (set_handler(sig, h, 0) != 0)
		abort();
}

/* Change the calling thread's mask for one signal (SIG_BLOCK,
 * SIG_UNBLOCK). */
static inline void mask_signal(int how, int sig)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, sig);
	pthread_sigmask(how, &s, NULL);
}

static inline void block(int sig)
{
	mask_signal(SIG_BLOCK, sig);
}

static inline void unblock(int sig)
{
	mask_signal(SIG_UNBLOCK, sig);
}

static inline int is_blocked(int sig)
{
	sigset_t s;

	pthread_sigmask(SIG_BLOCK, NULL, &s);
	return sigismember(&s, sig);
}

static inline int is_pending(int sig)
{
	sigset_t s;

	sigpending(&s);
	return sigismember(&s, sig);
}

/* Throw away a pending, blocked signal. */
static inline void drain_signal(int sig)
{
	sigset_t s;
	struct timespec z = {0, 0};

	sigemptyset(&s);
	sigaddset(&s, sig);
	while (sigtimedwait(&s, NULL, &z) == sig)
		;
}

/* ---- a counting handler ---- */

static volatile sig_atomic_t handler_runs;
static volatile double handler_time; /* tl_now_ms() of the last run */

static inline void on_signal(int sig)
{
	(void)sig;
	handler_runs++;
	handler_time = tl_now_ms();
}

/* on_signal() handles sig, with these sa_flags; the counts start over. */
static inline void install(int sig, int flags)
{
	if (set_handler(sig, on_signal, flags) != 0)
		abort();
	handler_runs = 0;
	handler_time = 0;
}

/* ---- a thread that signals the caller inside a system call ---- */

struct sender {
	pthread_t th;
	pthread_t target;
	pid_t tid;
	long nr;
	int sig;
	int extra_ms; /* sleep between seeing the call and the signal */
	int max_ms;   /* how long to look for the call */
	int found;    /* the call was seen */
	double sent_at;
};

static inline void *sender_main(void *arg)
{
	struct sender *s = arg;

	s->found = wait_in_syscall_every(getpid(), s->tid, s->nr, s->max_ms, 2);
	sleep_ms(s->extra_ms);
	s->sent_at = tl_now_ms();
	pthread_kill(s->target, s->sig);
	return NULL;
}

/* Send sig to the calling thread extra_ms after it is seen in syscall nr
 * (or after max_ms without seeing it). Join s->th afterwards. */
static inline void sender_start(struct sender *s, long nr, int sig,
				int extra_ms, int max_ms)
{
	*s = (struct sender){.target = pthread_self(),
			     .tid = gettid(),
			     .nr = nr,
			     .sig = sig,
			     .extra_ms = extra_ms,
			     .max_ms = max_ms};
	start_thread(&s->th, sender_main, s);
}

/* The calling thread's call, interrupted, returned at t1 (tl_now_ms()):
 * join the sender, which must have seen the call; the handler ran once,
 * soon after the signal was sent. */
static inline void sender_handled(struct sender *s, double t1)
{
	pthread_join(s->th, NULL);
	CHECK(s->found);
	CHECK_EQ(handler_runs, 1);
	CHECK(t1 - s->sent_at < 1500);
}

#endif
