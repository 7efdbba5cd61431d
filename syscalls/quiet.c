/* quiet.c: instances whose wake-ups wait for their next call.
 *
 * Every wake-up of a watched file reaches the supervisor through its
 * instance's edge bucket in the main epoll. While a server is busy and no
 * thread waits on its instance, those wake-ups only queue entries that
 * the server's next epoll_wait would find anyway, and each costs a
 * supervisor wake-up and a context switch: nginx keep-alive made 150,000
 * of them in 8 s, against 10,000 notifications (docs/PERFORMANCE.md).
 *
 * So an instance that a wake-up finds with nobody to tell becomes quiet
 * at the end of the batch: its edge buckets leave the main epoll's
 * reporting (plat_group_quiet), and the kernel keeps its wake-ups queued
 * in them, in order. Every call that names a quiet instance reads them
 * first (ep_lookup: plat_group_drain), so what the call sees is what it
 * would have seen. An instance is made prompt again (read, then reported
 * again) before anything needs to hear it at once: a waiter blocks on it,
 * a parent instance watches it, it holds an exclusive or a signalfd
 * entry, or any guest makes a poll-family call (the kernel may then poll
 * its file, whose anchor must be current).
 *
 * Invariant: ep->quiet implies ep_may_be_quiet(ep) held when it was set,
 * and every change that breaks that condition calls ep_prompt first. */
#include "epoll.h"

static int ep_may_be_quiet(const struct ep_instance *ep)
{
	return ep->watches && !ep->dead && list_empty(&ep->waiters) &&
	       ep->n_holds == 0 && list_empty(&ep->parents) &&
	       ep->n_excl == 0 && ep->n_sigfd == 0 && !ep->emu->native_pollers;
}

/* Wake-ups that find nobody waiting, between two calls on an instance,
 * before it goes quiet: a loop that sleeps on each round (a ping-pong)
 * sees about one, and going quiet and prompt again would cost it two
 * epoll_ctl per round; a busy server sees many. */
#define QUIET_AFTER 8

void ep_quiet_consider(struct ep_instance *ep)
{
	if (ep->quiet || !list_empty(&ep->quietlink) ||
	    ++ep->unheard < QUIET_AFTER)
		return;
	if (ep_may_be_quiet(ep))
		list_add_tail(&ep->quietlink, &ep->emu->quiet_next);
}

void emu_quiet_apply(struct emu *e)
{
	while (!list_empty(&e->quiet_next)) {
		struct ep_instance *ep = container_of(
		    e->quiet_next.next, struct ep_instance, quietlink);
		list_del(&ep->quietlink);
		if (!ep->quiet && ep_may_be_quiet(ep)) {
			ep->quiet = plat_group_quiet(e->plat, ep->watches, 1);
			e->n_quiet += ep->quiet != 0;
		}
	}
}

void ep_quiet_drain(struct ep_instance *ep)
{
	ep->unheard = 0;
	if (ep->quiet)
		plat_group_drain(ep->emu->plat, ep->watches);
}

void ep_prompt(struct ep_instance *ep)
{
	if (!ep->quiet)
		return;
	/* Reported again first: a wake-up between the read and the change
	 * is then both queued in the bucket and reported. */
	plat_group_quiet(ep->emu->plat, ep->watches, 0);
	ep->quiet = 0;
	ep->emu->n_quiet--;
	plat_group_drain(ep->emu->plat, ep->watches);
}

void emu_native_pollers(struct emu *e)
{
	struct list *pos;
	if (e->native_pollers)
		return;
	e->native_pollers = 1;
	for (pos = e->instances.next; pos != &e->instances; pos = pos->next)
		ep_prompt(container_of(pos, struct ep_instance, link));
}
