/* signalfd.c: signalfd entries of emulated instances.
 *
 * Linux computes a signalfd's readiness from the pending signals of the
 * task that polls it, and wakes its waiters from the signal code of the
 * process the signal is sent to (signalfd_notify). The supervisor is
 * neither, so its watch of a signalfd never fires and polls its own
 * signals. Instead:
 * - readiness: the signals of the signalfd's mask pending for the thread
 *   that harvests (its own and its process's), from the platform
 *   (plat_signalfd_pending), with e->poll_tid set by the harvest;
 * - wake-ups: looks at those signals, which wake entries that have a new
 *   one (a new edge for edge-triggered ones): before every epoll_wait on an
 *   instance that has signalfd entries (so "kill, then epoll_wait(0)" sees
 *   it), before every poll-family call, soon after a guest sends a signal,
 *   and periodically (1 ms doubling to 20 ms) for signals from outside.
 * docs/DESIGN.md, "signalfd", says where each part is learnt. */
#include "signalfd.h"

#include "compat.h"
#include "epoll.h"
#include "waiter.h"

#define SIGFD_CHECK_SOON 100000LL /* 0.1 ms */

void sigfd_track(struct emu *e, struct ep_entry *en, int tid)
{
	en->sigfd = 1;
	en->owner_tid = tid;
	en->owner_tgid = plat_tgid(e->plat, tid);
	list_add_tail(&en->sigfdlink, &e->sigfds);
	en->ep->n_sigfd++;
	ep_prompt(en->ep);
	en->sig_seen = plat_signalfd_pending(e->plat, tid, tid, en->fd, en->h);
	if (!e->next_sigfd_check) {
		e->sigfd_interval = SIG_CHECK_FIRST;
		e->next_sigfd_check = plat_now_ns(e->plat) + SIG_CHECK_FIRST;
	}
}

void sigfd_untrack(struct ep_entry *en)
{
	if (!en->sigfd)
		return;
	list_del(&en->sigfdlink);
	en->ep->n_sigfd--;
	en->sigfd = 0;
}

uint32_t sigfd_poll(struct ep_entry *en)
{
	struct emu *e = en->ep->emu;
	int tid = e->poll_tid ? e->poll_tid : en->owner_tid;
	return plat_signalfd_pending(e->plat, tid, en->owner_tid, en->fd, en->h)
		   ? IP_EPOLLIN
		   : 0;
}

/* Whose signals a look reads when no call asks: the thread that would
 * harvest, the instance's first sleeper, or else the one that added it. */
static int looker(const struct ep_entry *en)
{
	const struct list *w = &en->ep->waiters;
	if (!list_empty(w))
		return container_of(w->next, struct waiter, link)->call.tid;
	return en->owner_tid;
}

/* Only signals sent to the process that added the entry wake it: its
 * wait-queue hook is on that process's signal hand (signalfd(2), the fork
 * caveat). A thread of another process looks with the adder's eyes. */
static int waker(const struct ep_entry *en, int tid)
{
	if (!tid)
		tid = looker(en);
	if (tid != en->owner_tid &&
	    plat_tgid(en->ep->emu->plat, tid) != en->owner_tgid)
		tid = en->owner_tid;
	return tid;
}

static void scan_entry(struct ep_entry *en, int tid)
{
	struct emu *e = en->ep->emu;
	uint64_t now = plat_signalfd_pending(e->plat, waker(en, tid),
					     en->owner_tid, en->fd, en->h);
	uint64_t fresh = now & ~en->sig_seen;
	en->sig_seen = now;
	if (fresh)
		ep_entry_wakeup(en, IP_EPOLLIN);
}

void sigfd_scan(struct emu *e, struct ep_instance *ep, int tid)
{
	struct list *pos, *tmp;
	list_for_each_safe(pos, tmp, &e->sigfds)
	{
		struct ep_entry *en =
		    container_of(pos, struct ep_entry, sigfdlink);
		if (!ep || en->ep == ep)
			scan_entry(en, tid);
	}
}

void sigfd_check(struct emu *e, int64_t now)
{
	if (list_empty(&e->sigfds)) {
		e->next_sigfd_check = 0;
		return;
	}
	sigfd_scan(e, NULL, 0);
	e->sigfd_interval *= 2;
	if (e->sigfd_interval > SIG_CHECK_MAX)
		e->sigfd_interval = SIG_CHECK_MAX;
	e->next_sigfd_check = now + e->sigfd_interval;
}

void sigfd_soon(struct emu *e, int64_t now)
{
	if (list_empty(&e->sigfds))
		return;
	e->sigfd_interval = SIG_CHECK_FIRST / 2; /* doubled at the look */
	if (!e->next_sigfd_check ||
	    e->next_sigfd_check > now + SIGFD_CHECK_SOON)
		e->next_sigfd_check = now + SIGFD_CHECK_SOON;
}
