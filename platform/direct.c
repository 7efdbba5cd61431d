/* direct.c: waiting for the next call alone.
 *
 * The main loop waits in epoll_wait on the main epoll, where the listener
 * is one source among many. Per call that costs a wake-up through the
 * epoll (the callbacks of the listener's two registrations, then the
 * supervisor's wake-up, on whichever CPU it slept), an epoll_wait the
 * mechanism itself does not need, and polls of both registrations as the
 * batch is collected and again as the next wait begins.
 *
 * While nothing must reach the engine before the next call does
 * (emu_needs_watch: no call waits in the tables, nothing polls an
 * instance's file natively, ...), the loop instead blocks in
 * SECCOMP_IOCTL_NOTIF_RECV, which the guest's notification wakes directly
 * (on the guest's own CPU, with SYNC_WAKE_UP), and the listener's two
 * registrations leave the main epoll so that nothing polls them. Each call
 * received is followed by a collection of the main epoll with a zero
 * timeout (plat_collected_direct): it begins after the notification was
 * queued, so it holds every wake-up the guest caused before the call
 * (causality.c), and task exits, timers and SIGCHLD are handled in it,
 * before the call, as in a batch of the main loop. (A call that comes
 * while main_watch.c shows the main epoll still empty needs none.)
 *
 * A notification wakes the receive; RECV returns ENOENT once no task uses
 * the filter, and the supervisor's own io_uring task work restarts it. The
 * engine's timers (the sweep for closed files, above all) must not wait
 * for the guest's next call, which may never come: a POSIX timer set to
 * the same deadline as the main epoll's timerfd sends this thread a signal
 * whose handler does nothing, so that RECV returns EINTR and the main
 * epoll is collected (plat_direct_due, then the timerfd's event). The
 * signal repeats every WAKE_AGAIN_NS until then, in case it came just
 * before RECV began. Nothing else this thread does in the meantime sleeps
 * interruptibly without retrying (SEND and io_uring_enter retry on EINTR),
 * and the timer is disarmed when the loop goes back to the main epoll.
 * Signals sent to interpoll are forwarded by a thread of their own
 * (shim/forward.c), not by this one.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "batch_proof.h"
#include "linux_plat.h"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

#define WAKE_AGAIN_NS 10000000LL /* 10 ms */

static void wake_handler(int sig)
{
	(void)sig; /* its only work: RECV returns EINTR */
}

/* The wake-up timer, on first need: 0, or -errno (no waiting for calls
 * alone then). */
static int wake_init(struct plat *p)
{
	if (p->wake_state)
		return p->wake_state > 0 ? 0 : -ENOSYS;
	p->wake_state = -1;
	int sig = SIGRTMIN + 1;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = wake_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = sig;
	sev.sigev_notify_thread_id = gettid();
	if (sigaction(sig, &sa, NULL) < 0 ||
	    pthread_sigmask(SIG_UNBLOCK, &set, NULL) != 0 ||
	    timer_create(CLOCK_MONOTONIC, &sev, &p->wake_timer) < 0)
		return -errno;
	p->wake_state = 1;
	return 0;
}

/* Signal this thread at the deadline (absolute, CLOCK_MONOTONIC ns), and
 * every WAKE_AGAIN_NS after; 0: never. */
static void wake_at(struct plat *p, int64_t deadline)
{
	struct itimerspec its = plat_deadline_spec(deadline, WAKE_AGAIN_NS);
	timer_settime(p->wake_timer, TIMER_ABSTIME, &its, NULL);
}

void plat_direct_timer(struct plat *p, int64_t deadline)
{
	if (p->direct)
		wake_at(p, deadline);
}

int plat_direct_due(struct plat *p)
{
	return p->timer_armed < 0 ||
	       (p->timer_armed > 0 && plat_now_ns(p) >= p->timer_armed);
}

static int tag_listener = TAG_LISTENER;
static int tag_listener_edge = TAG_LISTENER_EDGE;

int plat_listener_watch(struct plat *p)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &tag_listener};
	if (epoll_ctl(p->mainep, EPOLL_CTL_ADD, p->listener, &ev) < 0)
		return -errno;
	ev = (struct epoll_event){.events = EPOLLIN | EPOLLET,
				  .data.ptr = &tag_listener_edge};
	/* Optional: without it every epoll call reads the main epoll again
	 * (causality.c). */
	if (p->listener_edge >= 0 &&
	    epoll_ctl(p->mainep, EPOLL_CTL_ADD, p->listener_edge, &ev) < 0)
		plat_listener_edge_drop(p);
	return 0;
}

int plat_direct_begin(struct plat *p)
{
	int r = wake_init(p);
	if (r < 0)
		return r;
	if (epoll_ctl(p->mainep, EPOLL_CTL_DEL, p->listener, NULL) < 0)
		return -errno;
	if (p->listener_edge >= 0)
		epoll_ctl(p->mainep, EPOLL_CTL_DEL, p->listener_edge, NULL);
	p->direct = 1;
	wake_at(p, p->timer_armed);
	return 0;
}

int plat_direct_end(struct plat *p)
{
	int r = plat_listener_watch(p);
	if (r < 0)
		return r; /* calls still come: tried again after the next */
	p->direct = 0;
	wake_at(p, 0);
	return 0;
}

void plat_collected_direct(struct plat *p, int n)
{
	plat_collected(p, n);
	/* Begun after the call's notification was received. */
	p->call_synced = n >= 0 && n < BATCH_MAX;
}
