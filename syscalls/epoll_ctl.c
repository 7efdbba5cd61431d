/* epoll_ctl.c: epoll_create, epoll_create1 and epoll_ctl, with every check
 * in the kernel's order (fs/eventpoll.c: do_epoll_create, do_epoll_ctl). */
#include "epoll_ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "epoll.h"
#include "flags.h"
#include "signalfd.h"

#define CTL_ADD 1
#define CTL_DEL 2
#define CTL_MOD 3

/* Bits allowed beside EPOLLEXCLUSIVE (EPOLLEXCLUSIVE_OK_BITS). */
#define EXCLUSIVE_OK                                                           \
	(IP_EPOLLIN | IP_EPOLLOUT | IP_EPOLLERR | IP_EPOLLHUP |                \
	 IP_EPOLLWAKEUP | IP_EPOLLET | IP_EPOLLEXCLUSIVE)

/* The stored mask: what the user asked for, plus ERR and HUP, less
 * EPOLLWAKEUP when it is not allowed (ep_take_care_of_epollwakeup). */
static uint32_t stored_mask(const struct emu *e, uint32_t events)
{
	if (!e->wakeup_allowed)
		events &= ~IP_EPOLLWAKEUP;
	return events | IP_EPOLLERR | IP_EPOLLHUP;
}

/* Exclusive entries on one file form a ring of siblings: a wake-up of the
 * file is taken by the first one whose instance has a waiter. Siblings are
 * found among all exclusive entries (few: typically one per worker), each
 * confirmed with the platform's file identity, whatever fd number it was
 * added under. */
static int excl_link(struct emu *e, const struct plat_call *c,
		     struct ep_entry *en)
{
	struct list *pos;

	for (pos = e->exclusive.next; pos != &e->exclusive; pos = pos->next) {
		struct ep_entry *o =
		    container_of(pos, struct ep_entry, excl_link);
		if (o->xw && plat_same_file(e->plat, c, o->h, en->fd) == 0) {
			list_add_tail(&en->excl_sibs, &o->excl_sibs);
			en->xw = o->xw;
			break;
		}
	}
	if (!en->xw && !(en->xw = calloc(1, sizeof(*en->xw))))
		return -ENOMEM;
	en->xw->refs++;
	en->ep->n_excl++;
	ep_prompt(en->ep); /* a walk is replayed as it happens */
	list_add_tail(&en->excl_link, &e->exclusive);
	return 0;
}

static void ctl_add(struct emu *e, const struct plat_call *c,
		    struct ep_instance *ep, int fd, uint32_t uevents,
		    uint64_t data)
{
	uint32_t events = stored_mask(e, uevents);
	struct ep_entry *en = calloc(1, sizeof(*en));
	enum plat_kind kind;
	void *object = NULL;
	int r;

	if (!en || (!ep->watches && !(ep->watches = plat_group_new(e->plat)))) {
		free(en);
		plat_reply(e->plat, c, 0, -ENOMEM);
		return;
	}
	list_init(&en->rdlink);
	list_init(&en->childlink);
	list_init(&en->excl_sibs);
	list_init(&en->excl_link);
	list_init(&en->sigfdlink);
	uint32_t wmask = events & ~(IP_EP_PRIVATE_BITS & ~IP_EPOLLEXCLUSIVE);
	/* A mask do_epoll_ctl refuses beside EPOLLEXCLUSIVE fails below,
	 * after the file's own checks (EBADF, EPERM): the watch that makes
	 * them must not be refused for it first. */
	if ((uevents & IP_EPOLLEXCLUSIVE) && (uevents & ~EXCLUSIVE_OK))
		wmask &= ~IP_EPOLLEXCLUSIVE;
	r = plat_watch_open(e->plat, c, ep->watches, fd, wmask, 0, en, &kind,
			    &object, &en->h);
	if (r < 0) {
		/* The sweep must not free the instance this call works on,
		 * even if another thread has just closed it. */
		ep->busy++;
		if (emu_reclaim(e, r))
			r = plat_watch_open(e->plat, c, ep->watches, fd, wmask,
					    0, en, &kind, &object, &en->h);
		/* Still refused: the watchers that fill the platform's limit
		 * are live, and Linux has no such limit. */
		if (r == -EINVAL)
			r = plat_watch_open(e->plat, c, ep->watches, fd, wmask,
					    PLAT_WATCH_ANY_COUNT, en, &kind,
					    &object, &en->h);
		ep->busy--;
	}
	/* The supervisor out of watches is Linux's max_user_watches. */
	if (r == -EMFILE || r == -ENFILE)
		r = -ENOSPC;
	if (r < 0) {
		free(en);
		plat_reply(e->plat, c, 0, r);
		return;
	}
	struct ep_instance *child = kind == PLAT_EPOLL ? object : NULL;
	if (kind == PLAT_EPOLL_NEW && !(child = ep_adopt(e, c, fd, &r)))
		;
	else if (child == ep)
		r = -EINVAL; /* the epoll fd itself, or a dup of it */
	else if ((uevents & IP_EPOLLEXCLUSIVE) &&
		 (child || (uevents & ~EXCLUSIVE_OK)))
		r = -EINVAL;
	else if (child)
		r = ep_loop_check(ep, child);
	if (r == 0) {
		int err;
		if (ep_find(ep, c, fd, &err))
			r = -EEXIST;
		else if (err)
			r = err;
		/* ep_insert's first refusals: max_user_watches, then
		 * memory. */
		else if (e->inj.on &&
			 inject_hit(e, e->inj.key, EMU_INJ_ENOSPC, 0))
			r = -ENOSPC;
		else if (e->inj.on &&
			 inject_hit(e, e->inj.key, EMU_INJ_ENOMEM, 0))
			r = -ENOMEM;
	}
	if (r < 0) {
		plat_watch_release(e->plat, c, fd, en->h);
		plat_handle_close(e->plat, en->h);
		free(en);
		plat_reply(e->plat, c, 0, r);
		return;
	}

	en->ep = ep;
	en->fd = fd;
	en->events = events;
	en->data = data;
	en->child = child;
	en->next_same_fd = u64map_get(&ep->fds, (uint32_t)fd);
	if (u64map_put(&ep->fds, (uint32_t)fd, en)) {
		plat_watch_release(e->plat, c, fd, en->h);
		plat_handle_close(e->plat, en->h);
		free(en);
		plat_reply(e->plat, c, 0, -ENOMEM);
		return;
	}
	/* Watchers of an epoll file hook at the head of its poll queue
	 * (ep_ptable_queue_proc): the newest parent is woken first. */
	if (child) {
		ep_prompt(child); /* its wake-ups now reach a parent */
		list_add_head(&en->childlink, &child->parents);
	}
	ep->n_entries++;
	e->n_entries++;
	if ((events & IP_EPOLLEXCLUSIVE) && excl_link(e, c, en) < 0) {
		plat_watch_release(e->plat, c, fd, en->h);
		ep_entry_remove(en);
		plat_reply(e->plat, c, 0, -ENOMEM);
		return;
	}
	if (e->n_entries > e->peak_entries)
		e->peak_entries = e->n_entries;

	/* ep_insert counts the wake-up paths with the new item in. */
	if (ep_path_check(e, c, ep, en, fd) < 0) {
		plat_watch_release(e->plat, c, fd, en->h);
		ep_entry_remove(en);
		plat_reply(e->plat, c, 0, -EINVAL);
		return;
	}
	if (kind == PLAT_SIGNALFD)
		sigfd_track(e, en, c->tid);
	/* ep_insert polls the file once and queues a ready entry. */
	if (ep_entry_poll(en, 0)) {
		ep_queue(en);
		ep_wake_waiters(ep);
		ep_notify_up(ep);
	}
	plat_reply(e->plat, c, 0, 0);
}

static int ctl_mod(struct emu *e, const struct plat_call *c,
		   struct ep_entry *en, int fd, uint32_t uevents, uint64_t data)
{
	uint32_t events = stored_mask(e, uevents);
	uint32_t watch_old = en->events & ~IP_EP_PRIVATE_BITS;
	uint32_t watch_new = events & ~IP_EP_PRIVATE_BITS;

	if (en->events & IP_EPOLLEXCLUSIVE)
		return -EINVAL;
	if (watch_old != watch_new) {
		int r = plat_watch_modify(e->plat, c, fd, &en->h, watch_new);
		if (r < 0)
			return r;
	}
	en->events = events;
	en->data = data;
	/* ep_modify: a ready file is queued unless it already is, and only
	 * then are waiters woken; a queued entry keeps its place, reports
	 * the new data, and wakes nobody. */
	if (list_empty(&en->rdlink) && ep_entry_poll(en, 0)) {
		ep_queue(en);
		ep_wake_waiters(en->ep);
		ep_notify_up(en->ep);
	} else if (!en->ep->shown && ep_entry_poll(en, 0)) {
		/* Queued, but stale until now, in a list whose file was
		 * hidden (emu_publish_exact): the file shows it again. */
		ep_queue(en);
	}
	return 0;
}

void sys_epoll_ctl(struct emu *e, const struct plat_call *c)
{
	int epfd = (int)c->args[0], op = (int)c->args[1], fd = (int)c->args[2];
	unsigned char raw[12];
	uint32_t uevents = 0;
	uint64_t data = 0;
	int err;

	if (op != CTL_DEL) {
		if (plat_read(e->plat, c, c->args[3], raw, sizeof(raw))) {
			plat_reply(e->plat, c, 0, -EFAULT);
			return;
		}
		memcpy(&uevents, raw, 4);
		memcpy(&data, raw + 4, 8);
		if (plat_tracing(e->plat) & PLAT_TRACE_NOTES) {
			char names[160];
			plat_trace_note(
			    e->plat, "{%s, data=%#llx}",
			    event_names(uevents, "EPOLL", names, sizeof(names)),
			    (unsigned long long)data);
		}
	}
	struct ep_instance *ep = op == CTL_ADD ? ep_lookup_add(e, c, epfd, &err)
					       : ep_lookup(e, c, epfd, &err);
	if (!ep && err == -EBADF) {
		plat_reply(e->plat, c, 0, -EBADF);
		return;
	}
	plat_sync(e->plat);
	if (!ep && err != -EINVAL) {
		plat_reply(e->plat, c, 0, err); /* ENOMEM */
		return;
	}
	if (!ep) {
		/* epfd is open but not an epoll: the target's checks come
		 * first (EBADF, EPERM), then EINVAL. */
		int r = plat_fd_pollable(e->plat, c, fd);
		plat_reply(e->plat, c, 0, r ? r : -EINVAL);
		return;
	}
	if (op == CTL_ADD) {
		ctl_add(e, c, ep, fd, uevents, data);
		return;
	}

	struct ep_entry *en = ep_find(ep, c, fd, &err);
	int r = err;
	if (!en && !r)
		r = plat_fd_pollable(e->plat, c, fd);
	if (!en && !r && plat_same_file(e->plat, c, ep->h, fd) == 0)
		r = -EINVAL; /* the epoll fd itself */
	if (!r && op == CTL_MOD && (uevents & IP_EPOLLEXCLUSIVE))
		r = -EINVAL;
	if (!r) {
		if (op == CTL_DEL)
			r = en ? 0 : -ENOENT;
		else if (op == CTL_MOD)
			r = en ? ctl_mod(e, c, en, fd, uevents, data) : -ENOENT;
		else
			r = -EINVAL;
	}
	if (r == 0 && op == CTL_DEL) {
		plat_watch_release(e->plat, c, fd, en->h);
		ep_entry_remove(en);
	}
	plat_reply(e->plat, c, 0, r);
}
