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
 * (docs/DIVERGENCES.md, "pwait-signal-race"). */
#include "sighold.h"

#include <errno.h>
#include <stdlib.h>

#include "epoll.h"
#include "epoll_wait.h"
#include "waiter.h"

#define HOLD_CHECK_FIRST 1000000LL /* 1 ms */
#define HOLD_CHECK_MAX 100000000LL /* 100 ms */
/* A thread seen running this long after the hand-over has left the call:
 * the kernel's path from the hand-over to the sleep does not sleep. */
#define HOLD_RUNNING_MAX 50000000LL /* 50 ms */

struct sighold {
	struct list link; /* emu->holds */
	struct ep_instance *ep;
	int tid;
	int signo;
	int kicked;
	int64_t since;
};

static void hold_end(struct sighold *h)
{
	list_del(&h->link);
	if (--h->ep->n_holds == 0)
		ep_mark_unpublished(h->ep); /* show what it has at last */
	free(h);
}

void sighold_hand_over(struct emu *e, struct waiter *w, int signo)
{
	struct ep_instance *ep = w->ep;
	struct sighold *h = NULL;

	/* ep_poll returns events before it looks at signals. */
	if (!ep_deliver(ep, &w->call, w->events_addr, w->maxevents,
			w->inj_key)) {
		h = calloc(1, sizeof(*h));
		if (!h) /* cannot hold the anchor: EINTR, unmasked */
			plat_reply(e->plat, &w->call, 0, -EINTR);
	}
	if (!h) {
		list_del(&w->link);
		waiter_free(e, w);
		return;
	}
	h->ep = ep;
	h->tid = w->call.tid;
	h->signo = signo;
	h->since = plat_now_ns(e->plat);
	list_add_tail(&h->link, &e->holds);
	ep->n_holds++;
	emu_hide(e, ep);
	plat_continue(e->plat, &w->call);
	list_del(&w->link);
	waiter_free(e, w);
	e->hold_interval = HOLD_CHECK_FIRST;
	if (!e->next_hold_check ||
	    e->next_hold_check > h->since + HOLD_CHECK_FIRST)
		e->next_hold_check = h->since + HOLD_CHECK_FIRST;
	emu_rearm(e);
}

void sighold_seen(struct emu *e, int tid)
{
	struct list *pos, *tmp;
	list_for_each_safe(pos, tmp, &e->holds)
	{
		struct sighold *h = container_of(pos, struct sighold, link);
		if (h->tid == tid)
			hold_end(h);
	}
}

void sighold_forget(struct emu *e, struct ep_instance *ep)
{
	struct list *pos, *tmp;
	list_for_each_safe(pos, tmp, &e->holds)
	{
		struct sighold *h = container_of(pos, struct sighold, link);
		if (h->ep == ep)
			hold_end(h);
	}
}

void sighold_check(struct emu *e, int64_t now)
{
	struct list *pos, *tmp;
	list_for_each_safe(pos, tmp, &e->holds)
	{
		struct sighold *h = container_of(pos, struct sighold, link);
		int where = plat_thread_where(e->plat, h->tid);
		if (where == PLAT_THREAD_GONE ||
		    where == PLAT_THREAD_ELSEWHERE ||
		    (where == PLAT_THREAD_RUNNING &&
		     now - h->since >= HOLD_RUNNING_MAX)) {
			hold_end(h);
			continue;
		}
		/* Asleep in the kernel's wait although a signal was pending:
		 * another thread took it. Our events cannot wake the call;
		 * the signal it waited for does. */
		if (where == PLAT_THREAD_IN_EPOLL_WAIT && !h->kicked &&
		    h->signo > 0 &&
		    ep_instance_scan(h->ep, 0, 0) != EP_NOT_READY) {
			plat_thread_signal(e->plat, h->tid, h->signo);
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
