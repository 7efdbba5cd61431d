/* sighold.c: an epoll wait handed to the kernel to take its signal.
 *
 * A supervisor cannot change another thread's signal mask, so the
 * temporary mask of epoll_pwait and epoll_pwait2 cannot be installed while
 * the call waits in our tables. When a signal that would interrupt the
 * call is pending, the call is instead handed back to the kernel
 * (FLAG_CONTINUE): the kernel installs the mask, finds the signal, returns
 * EINTR and runs the handler under that mask, then restores the thread's
 * own mask, exactly as in Linux.
 *
 * The kernel runs its own epoll wait on the instance's file, which must
 * then report nothing: its only registration is the instance's anchor
 * (docs/DESIGN.md), so the anchor is kept unreadable ("held") until the
 * call is over, and any events the instance has are delivered from the
 * tables instead (as ep_poll returns events before it looks at signals).
 *
 * The hold ends when the thread makes its next intercepted call, exits, or
 * is seen asleep somewhere else than in the epoll wait. One race is left
 * to close: another thread can take a process-directed signal between our
 * look and the kernel's. The call then sleeps in the kernel, where our
 * events cannot wake it; when the instance has events while the thread is
 * asleep there, it is sent the signal it was waiting for
 * (docs/DIVERGENCES.md, "pwait-signal-race").
 *
 * A zero-timeout epoll_wait or epoll_pwait made while nothing is queued
 * anywhere goes to the kernel too (sighold_zero_timeout): its answer is
 * ours whichever file the fd names, so the fd is not even looked up. Its
 * hold starts blind (ep NULL: any instance may be the one); the first
 * time an instance is about to show readable, blind holds are resolved
 * into holds of the instance each call names (sighold_resolve), and end
 * as the others do. */
#include "sighold.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "epoll.h"
#include "epoll_wait.h"
#include "waiter.h"

#define HOLD_CHECK_FIRST 1000000LL /* 1 ms */
#define HOLD_CHECK_MAX 100000000LL /* 100 ms */
/* A thread seen running this long after the hand-over has left the call:
 * the kernel's path from the hand-over to the sleep does not sleep. */
#define HOLD_RUNNING_MAX 50000000LL /* 50 ms */
/* A thread that has run this much CPU time since a moment its hold was
 * already in place has finished a zero-timeout epoll wait, which takes
 * microseconds and never sleeps in ep_poll: whether it was preempted
 * inside the call does not matter then. */
#define HOLD_ZERO_CPU 1000000LL /* 1 ms */

struct sighold {
	struct list link;	/* emu->holds */
	struct ep_instance *ep; /* NULL: not known yet (a blind hold) */
	struct plat_call call;	/* the call handed over (a blind hold is
				   resolved by looking up its fd) */
	int signo;
	int kicked;
	int64_t since;
	int zero;     /* a zero-timeout wait: it never sleeps in ep_poll */
	int64_t cpu0; /* its thread's CPU time when first seen running */
};

static void hold_end(struct emu *e, struct sighold *h)
{
	list_del(&h->link);
	if (!h->zero)
		e->n_sleep_holds--;
	if (!h->ep)
		e->n_blind_holds--;
	else if (--h->ep->n_holds == 0)
		ep_mark_unpublished(h->ep); /* show what it has at last */
	if (!e->spare_hold)
		e->spare_hold = h;
	else
		free(h);
}

/* A polling loop hands over a zero-timeout wait per turn, and its hold
 * ends at the next: one spare saves an allocation and a free each time. */
static struct sighold *hold_new(struct emu *e)
{
	struct sighold *h = e->spare_hold;
	e->spare_hold = NULL;
	if (!h)
		return calloc(1, sizeof(*h));
	memset(h, 0, sizeof(*h));
	return h;
}

static void check_soon(struct emu *e, int64_t since)
{
	e->hold_interval = HOLD_CHECK_FIRST;
	if (!e->next_hold_check ||
	    e->next_hold_check > since + HOLD_CHECK_FIRST)
		e->next_hold_check = since + HOLD_CHECK_FIRST;
	emu_rearm(e);
}

void sighold_hand_over(struct emu *e, struct waiter *w, int signo)
{
	struct ep_instance *ep = w->ep;
	struct sighold *h = NULL;

	/* ep_poll returns events before it looks at signals. */
	if (!ep_deliver(ep, &w->call, w->events_addr, w->maxevents,
			w->inj_key)) {
		h = hold_new(e);
		if (!h) /* cannot hold the anchor: EINTR, unmasked */
			plat_reply(e->plat, &w->call, 0, -EINTR);
	}
	if (!h) {
		list_del(&w->link);
		waiter_free(e, w);
		return;
	}
	h->ep = ep;
	h->call = w->call;
	h->signo = signo;
	h->since = plat_now_ns(e->plat);
	list_add_tail(&h->link, &e->holds);
	e->n_sleep_holds++;
	ep->n_holds++;
	emu_hide(e, ep);
	int ran = plat_continue(e->plat, &w->call);
	list_del(&w->link);
	waiter_free(e, w);
	if (ran != 0) { /* it ran in place, or it is gone */
		hold_end(e, h);
		return;
	}
	check_soon(e, h->since);
}

/* Can the kernel's epoll_wait on whatever file the call names give our
 * answer? Only with nothing queued on any instance: then one of ours is a
 * kernel epoll whose only registration, the anchor, is not ready (0
 * events), and anything else gets the kernel's own EBADF, EINVAL or
 * EFAULT in its own order, with epoll_pwait's mask installed by the
 * kernel. Quiet instances may hold wake-ups not read yet, and a
 * signalfd's readiness depends on the caller's pending signals: either
 * keeps the call in the tables. */
static int nothing_to_report(struct emu *e)
{
	return e->n_queued == 0 && e->n_quiet == 0 && list_empty(&e->sigfds);
}

int sighold_zero_timeout(struct emu *e, const struct plat_call *c)
{
	if (!e->zero_timeout_native || e->inj.on)
		return 0;
	/* Wake-ups the guest caused before the call come first. */
	plat_sync(e->plat);
	if (!nothing_to_report(e))
		return 0;
	struct sighold *h = hold_new(e);
	if (!h)
		return 0;
	/* Files left showing readable with an empty list show it no more
	 * (their lists are empty: nothing is queued anywhere). */
	while (!list_empty(&e->shown))
		emu_hide(e, container_of(e->shown.next, struct ep_instance,
					 shownlink));
	h->call = *c;
	h->since = plat_now_ns(e->plat);
	h->zero = 1;
	h->cpu0 = -1;
	list_add_tail(&h->link, &e->holds);
	e->n_blind_holds++;
	if (plat_continue(e->plat, c) != 0)
		hold_end(e, h); /* it ran in place, or it is gone */
	return 1;
}

void sighold_resolve(struct emu *e)
{
	struct list *pos, *tmp;
	list_for_each_safe(pos, tmp, &e->holds)
	{
		struct sighold *h = container_of(pos, struct sighold, link);
		if (h->ep)
			continue;
		int err;
		struct ep_instance *ep = plat_lookup_epoll(
		    e->plat, &h->call, (int)h->call.args[0], &err);
		if (!ep) {
			/* Not one of our instances (or an unadopted epoll,
			 * which has no anchor): nothing to keep dark. */
			hold_end(e, h);
			continue;
		}
		e->n_blind_holds--;
		h->ep = ep;
		ep->n_holds++;
		if (ep->shown)
			emu_hide(e, ep);
		check_soon(e, plat_now_ns(e->plat));
	}
}

void sighold_fini(struct emu *e)
{
	while (!list_empty(&e->holds))
		hold_end(e, container_of(e->holds.next, struct sighold, link));
	free(e->spare_hold);
	e->spare_hold = NULL;
}

void sighold_seen(struct emu *e, int tid)
{
	struct list *pos, *tmp;
	list_for_each_safe(pos, tmp, &e->holds)
	{
		struct sighold *h = container_of(pos, struct sighold, link);
		if (h->call.tid == tid)
			hold_end(e, h);
	}
}

void sighold_forget(struct emu *e, struct ep_instance *ep)
{
	struct list *pos, *tmp;
	list_for_each_safe(pos, tmp, &e->holds)
	{
		struct sighold *h = container_of(pos, struct sighold, link);
		if (h->ep == ep)
			hold_end(e, h);
	}
}

/* Has a thread seen running left the call it was handed back for? */
static int running_past(struct emu *e, struct sighold *h, int64_t now)
{
	if (h->zero) {
		int64_t cpu = plat_thread_cpu_ns(e->plat, h->call.tid);
		if (cpu >= 0) {
			if (h->cpu0 < 0)
				h->cpu0 = cpu;
			return cpu - h->cpu0 >= HOLD_ZERO_CPU;
		}
	}
	return now - h->since >= HOLD_RUNNING_MAX;
}

void sighold_check(struct emu *e, int64_t now)
{
	struct list *pos, *tmp;
	list_for_each_safe(pos, tmp, &e->holds)
	{
		struct sighold *h = container_of(pos, struct sighold, link);
		int where = plat_thread_where(e->plat, h->call.tid);
		if (where == PLAT_THREAD_GONE ||
		    where == PLAT_THREAD_ELSEWHERE ||
		    (where == PLAT_THREAD_RUNNING && running_past(e, h, now))) {
			hold_end(e, h);
			continue;
		}
		/* Asleep in the kernel's wait although a signal was pending:
		 * another thread took it. Our events cannot wake the call;
		 * the signal it waited for does. */
		if (where == PLAT_THREAD_IN_EPOLL_WAIT && !h->kicked &&
		    h->signo > 0 &&
		    ep_instance_scan(h->ep, 0, 0) != EP_NOT_READY) {
			plat_thread_signal(e->plat, h->call.tid, h->signo);
			h->kicked = 1;
		}
	}
	if (list_empty(&e->holds)) {
		e->next_hold_check = 0;
		return;
	}
	e->hold_interval *= 2;
	if (e->hold_interval > HOLD_CHECK_MAX)
		e->hold_interval = HOLD_CHECK_MAX;
	e->next_hold_check = now + e->hold_interval;
}
