/* epoll.c: interest lists, ready lists and the wake-up path of emulated
 * epoll instances. The syscalls themselves are in epoll_ctl.c and
 * epoll_wait.c. */
#include "epoll.h"

#include <errno.h>
#include <stdlib.h>

#include "compat.h"
#include "sighold.h"
#include "signalfd.h"
#include "waiter.h"

struct ep_instance *ep_instance_new(struct emu *e)
{
	struct ep_instance *ep = calloc(1, sizeof(*ep));
	if (!ep)
		return NULL;
	ep->emu = e;
	ep->serial = ++e->next_serial;
	u64map_init(&ep->fds);
	list_init(&ep->ready);
	list_init(&ep->waiters);
	list_init(&ep->parents);
	list_init(&ep->publink);
	list_init(&ep->shownlink);
	list_init(&ep->quietlink);
	list_add_tail(&ep->link, &e->instances);
	e->n_instances++;
	return ep;
}

static void entry_unlink_fd(struct ep_entry *en)
{
	struct ep_instance *ep = en->ep;
	struct ep_entry *head = u64map_get(&ep->fds, (uint32_t)en->fd);
	if (head == en) {
		if (en->next_same_fd)
			u64map_put(&ep->fds, (uint32_t)en->fd,
				   en->next_same_fd);
		else
			u64map_del(&ep->fds, (uint32_t)en->fd);
		return;
	}
	for (struct ep_entry *p = head; p; p = p->next_same_fd) {
		if (p->next_same_fd == en) {
			p->next_same_fd = en->next_same_fd;
			return;
		}
	}
}

void ep_entry_remove(struct ep_entry *en)
{
	struct ep_instance *ep = en->ep;
	entry_unlink_fd(en);
	ep_unqueue(en);
	list_del(&en->childlink);
	list_del(&en->excl_sibs);
	list_del(&en->excl_link);
	if (en->xw) {
		ep->n_excl--;
		if (en->xw->winner == en)
			en->xw->winner = NULL;
		if (--en->xw->refs == 0)
			free(en->xw);
	}
	sigfd_untrack(en);
	plat_handle_close(ep->emu->plat, en->h);
	ep->n_entries--;
	ep->emu->n_entries--;
	free(en);
}

void ep_instance_free(struct ep_instance *ep)
{
	struct emu *e = ep->emu;
	struct list *pos, *tmp;

	/* Entries of other instances that watch this one go with it, as
	 * eventpoll_release_file removes them when our file goes. */
	list_for_each_safe(pos, tmp, &ep->parents)
	{
		ep_entry_remove(container_of(pos, struct ep_entry, childlink));
	}
	uint64_t key;
	void *val;
	for (;;) {
		size_t i = 0;
		if (!u64map_next(&ep->fds, &i, &key, &val))
			break;
		ep_entry_remove(val);
	}
	u64map_free(&ep->fds);
	sighold_forget(e, ep);
	if (ep->quiet)
		e->n_quiet--;
	list_del(&ep->publink);
	list_del(&ep->shownlink);
	list_del(&ep->quietlink);
	plat_group_free(e->plat, ep->watches);
	plat_handle_close(e->plat, ep->h);
	list_del(&ep->link);
	e->n_instances--;
	free(ep);
}

struct ep_instance *ep_adopt(struct emu *e, const struct plat_call *c, int fd,
			     int *err)
{
	struct ep_instance *ep = ep_instance_new(e);
	if (!ep) {
		*err = -ENOMEM;
		return NULL;
	}
	/* Not adopted yet: the sweep must not take it for closed. */
	ep->busy = 1;
	int r = plat_epoll_adopt(e->plat, c, fd, ep, &ep->h);
	if (r < 0 && emu_reclaim(e, r))
		r = plat_epoll_adopt(e->plat, c, fd, ep, &ep->h);
	ep->busy = 0;
	if (r < 0) {
		ep_instance_free(ep);
		/* The supervisor short of fds is the kernel out of memory. */
		*err = r == -EMFILE || r == -ENFILE ? -ENOMEM : r;
		return NULL;
	}
	return ep;
}

static struct ep_instance *lookup(struct emu *e, const struct plat_call *c,
				  int fd, int *err, int drain)
{
	struct ep_instance *ep = plat_lookup_epoll(e->plat, c, fd, err);
	if (ep) {
		if (drain)
			ep_quiet_drain(ep); /* the call sees every wake-up
					       before it */
		else
			ep->unheard = 0;
		return ep;
	}
	if (*err == PLAT_UNADOPTED)
		return ep_adopt(e, c, fd, err);
	if (!ep && *err == -EMFILE) {
		if (emu_reclaim(e, *err))
			ep = plat_lookup_epoll(e->plat, c, fd, err);
		if (!ep && *err == -EMFILE)
			*err = -ENOMEM; /* as the kernel out of memory */
	}
	return ep;
}

struct ep_instance *ep_lookup(struct emu *e, const struct plat_call *c, int fd,
			      int *err)
{
	return lookup(e, c, fd, err, 1);
}

/* An ADD reads a quiet instance's wake-ups when its watch is registered
 * (plat_watch_open): one read then also says whether the new file is
 * ready, and queues what came before it first. */
struct ep_instance *ep_lookup_add(struct emu *e, const struct plat_call *c,
				  int fd, int *err)
{
	return lookup(e, c, fd, err, 0);
}

struct ep_entry *ep_find(struct ep_instance *ep, const struct plat_call *c,
			 int fd, int *err)
{
	struct ep_entry *en = u64map_get(&ep->fds, (uint32_t)fd), *next;
	*err = 0;
	for (; en; en = next) {
		next = en->next_same_fd;
		int r = plat_same_file(ep->emu->plat, c, en->h, fd);
		if (r == 0)
			return en;
		if (r == -ENOENT) {
			/* The file this entry watched is gone: Linux would
			 * have removed the entry when it was released. */
			ep_entry_remove(en);
			continue;
		}
		if (r < 0) {
			*err = r;
			return NULL;
		}
	}
	return NULL;
}

/* The ready list went empty or non-empty: what the instance's file shows
 * is to be brought up to date at the next emu_publish. */
void ep_mark_unpublished(struct ep_instance *ep)
{
	if (list_empty(&ep->publink))
		list_add_tail(&ep->publink, &ep->emu->unpublished);
}

/* An entry is queued: the file must show readable, unless it does already.
 * (A list of stale entries can be hidden: emu_publish_exact.) Even when it
 * is queued already: a hidden list's entry that became ready again must
 * show. */
static void queue(struct ep_entry *en, int at_head)
{
	struct ep_instance *ep = en->ep;
	if (!ep->shown || (list_empty(&en->rdlink) && list_empty(&ep->ready)))
		ep_mark_unpublished(ep);
	if (!list_empty(&en->rdlink))
		return;
	if (at_head)
		list_add_head(&en->rdlink, &ep->ready);
	else
		list_add_tail(&en->rdlink, &ep->ready);
	ep->emu->n_queued++;
}

void ep_queue(struct ep_entry *en)
{
	queue(en, 0);
}

void ep_queue_head(struct ep_entry *en)
{
	queue(en, 1);
}

void ep_unqueue(struct ep_entry *en)
{
	if (!list_empty(&en->rdlink)) {
		list_del(&en->rdlink);
		en->ep->emu->n_queued--;
		if (list_empty(&en->ep->ready))
			ep_mark_unpublished(en->ep);
	}
}

static int entry_enabled(const struct ep_entry *en)
{
	return (en->events & ~IP_EP_PRIVATE_BITS) != 0;
}

/* How many of en's siblings (en included) have this mask. */
static uint32_t excl_same(struct ep_entry *en, uint32_t mask)
{
	uint32_t n = en->events == mask;
	struct list *pos;
	for (pos = en->excl_sibs.next; pos != &en->excl_sibs; pos = pos->next)
		n += container_of(pos, struct ep_entry, excl_sibs)->events ==
		     mask;
	return n;
}

/* Has a sibling of en taken the kernel walk that now reaches en (struct
 * excl_walk)? */
static int excl_taken(struct ep_entry *en)
{
	struct excl_walk *w = en->xw;
	uint64_t b = en->ep->emu->batch;
	if (w->batch != b) {
		/* The parts of a walk arrive in any order (nested buckets
		 * and the ring are read apart); a new walk shows as a sibling
		 * reached twice, or comes after a complete one. */
		/* Going on with a walk that a sibling took skips en: safe
		 * only while the taker still has the entry queued, so that
		 * whatever en's wake-up brought is seen there (a level-
		 * triggered taker keeps it queued while the file is ready).
		 * Otherwise en's wake-up counts as a walk of its own: at
		 * worst a waiter more is woken than in Linux, never none. */
		int taker_has_it =
		    !w->won || (w->winner && !list_empty(&w->winner->rdlink));
		if (w->seen >= w->same || en->events != w->mask ||
		    en->excl_walk == w->id || !taker_has_it) {
			w->id++;
			w->mask = en->events;
			w->same = excl_same(en, w->mask);
			w->seen = 0;
			w->won = 0;
			w->winner = NULL;
		}
		w->batch = b;
	}
	if (en->events == w->mask && en->excl_walk != w->id) {
		en->excl_walk = w->id;
		w->seen++;
	}
	if (w->won || !entry_enabled(en))
		return w->won;
	/* The walk stops after the first instance with a sleeper. */
	if (!list_empty(&en->ep->waiters)) {
		w->won = 1;
		w->winner = en;
	}
	return 0;
}

void ep_entry_wakeup(struct ep_entry *en, uint32_t key)
{
	if (key && !(key & en->events))
		return;
	if ((en->events & IP_EPOLLEXCLUSIVE) && en->xw && excl_taken(en))
		return;
	if (!entry_enabled(en))
		return;
	ep_queue(en);
	ep_wake_waiters(en->ep);
	ep_notify_up(en->ep);
	if (list_empty(&en->ep->waiters))
		ep_quiet_consider(en->ep);
}

void ep_notify_up(struct ep_instance *ep)
{
	struct emu *e = ep->emu;
	struct list *pos, *tmp;

	/* A chain is at most EP_MAX_NESTS links long while every link is
	 * alive; links to instances whose files were closed linger until the
	 * sweep and can close a cycle, so the walk is bounded as well as
	 * skipping them (ep_poll_safewake nests at most EP_MAX_NESTS). */
	if (e->wake_depth > EP_MAX_NESTS + 1)
		return;
	e->wake_depth++;
	/* ep_poll_safewake: anything polling this instance hears EPOLLIN. */
	list_for_each_safe(pos, tmp, &ep->parents)
	{
		struct ep_entry *p =
		    container_of(pos, struct ep_entry, childlink);
		if (!plat_handle_alive(e->plat, p->h) ||
		    !plat_handle_alive(e->plat, p->ep->h))
			continue;
		ep_entry_wakeup(p, IP_EPOLLIN);
	}
	e->wake_depth--;
}

uint32_t ep_entry_poll(struct ep_entry *en, int depth)
{
	uint32_t mask = en->events & ~IP_EP_PRIVATE_BITS;
	if (en->child) {
		/* The child's file may be closed already (our sweep has not
		 * seen it yet): Linux has removed the entry then. */
		if (depth > EP_MAX_NESTS ||
		    !plat_handle_alive(en->ep->emu->plat, en->h))
			return 0;
		return ep_instance_poll(en->child, depth + 1) & mask;
	}
	if (en->sigfd)
		return sigfd_poll(en) & mask;
	return plat_watch_poll(en->ep->emu->plat, en->h) & mask;
}

int ep_instance_scan(struct ep_instance *ep, int depth, int drop)
{
	struct list *pos, *tmp;
	int stale = 0;

	list_for_each_safe(pos, tmp, &ep->ready)
	{
		struct ep_entry *en =
		    container_of(pos, struct ep_entry, rdlink);
		if (ep_entry_poll(en, depth))
			return stale ? EP_READY_AFTER_STALE : EP_READY;
		/* Stale: the kernel drops it from the ready list here. */
		stale = 1;
		if (drop)
			ep_unqueue(en);
	}
	return EP_NOT_READY;
}

uint32_t ep_instance_poll(struct ep_instance *ep, int depth)
{
	return ep_instance_scan(ep, depth, 1) != EP_NOT_READY
		   ? IP_EPOLLIN | IP_EPOLLRDNORM
		   : 0;
}

/* Is this link to a child instance still there? A closed child's file is
 * gone at once in Linux, with its links; our sweep may not have run yet. */
static int link_alive(struct ep_entry *en)
{
	return plat_handle_alive(en->ep->emu->plat, en->h);
}

/* Longest chain of instance links below ep (0 for a leaf). */
static int depth_below(struct ep_instance *ep, int limit)
{
	int best = 0;
	uint64_t key;
	void *val;

	if (limit <= 0)
		return 0;
	for (size_t i = 0; u64map_next(&ep->fds, &i, &key, &val);) {
		for (struct ep_entry *en = val; en; en = en->next_same_fd) {
			if (!en->child || !link_alive(en))
				continue;
			int d = 1 + depth_below(en->child, limit - 1);
			if (d > best)
				best = d;
		}
	}
	return best;
}

/* Longest chain of instance links above ep. */
static int depth_above(struct ep_instance *ep, int limit)
{
	int best = 0;
	struct list *pos;

	if (limit <= 0)
		return 0;
	for (pos = ep->parents.next; pos != &ep->parents; pos = pos->next) {
		struct ep_entry *p =
		    container_of(pos, struct ep_entry, childlink);
		if (p->ep->dead || !link_alive(p) ||
		    !plat_handle_alive(p->ep->emu->plat, p->ep->h))
			continue;
		int d = 1 + depth_above(p->ep, limit - 1);
		if (d > best)
			best = d;
	}
	return best;
}

static int reaches(struct ep_instance *from, struct ep_instance *to, int limit)
{
	uint64_t key;
	void *val;

	if (from == to)
		return 1;
	if (limit <= 0)
		return 0;
	for (size_t i = 0; u64map_next(&from->fds, &i, &key, &val);) {
		for (struct ep_entry *en = val; en; en = en->next_same_fd) {
			if (en->child && link_alive(en) &&
			    reaches(en->child, to, limit - 1))
				return 1;
		}
	}
	return 0;
}

int ep_loop_check(struct ep_instance *parent, struct ep_instance *child)
{
	/* A cycle: parent can already be reached from child. Chains are at
	 * most EP_MAX_NESTS links deep, so a deeper search is not needed
	 * beyond what the depth rule rejects anyway. */
	if (reaches(child, parent, EP_MAX_NESTS + 1))
		return -ELOOP;
	int below = depth_below(child, EP_MAX_NESTS + 1);
	int above = depth_above(parent, EP_MAX_NESTS + 1);
	if (below + 1 + above > EP_MAX_NESTS)
		return -ELOOP;
	return 0;
}
