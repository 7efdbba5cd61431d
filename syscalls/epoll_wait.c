/* epoll_wait.c: epoll_wait, epoll_pwait, epoll_pwait2 and the harvest
 * (ep_send_events) that fills the guest's event array. */
#include "epoll_wait.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "epoll.h"
#include "flags.h"
#include "sighold.h"
#include "signalfd.h"
#include "waiter.h"

#define EPOLL_EVENT_SIZE 12 /* packed on x86-64 */
#define USER_LIMIT 0x7ffffffff000ull

/* An entry taken off the ready list by a harvest: revents 0 = stale. */
struct taken {
	struct ep_entry *en;
	uint32_t revents;
};

/* Put taken[from..n) back at the head of the ready list, in order. */
static void put_back(struct taken *t, int from, int n)
{
	for (int i = n - 1; i >= from; i--)
		ep_queue_head(t[i].en);
}

static void put_event(unsigned char *out, uint32_t events, uint64_t data)
{
	memcpy(out, &events, 4);
	memcpy(out + 4, &data, 8);
}

static void trace_events(struct emu *e, const struct taken *t, int ntaken,
			 int done)
{
	char names[160];
	plat_trace_note(e->plat, "[");
	for (int i = 0, k = 0; i < ntaken && k < done; i++) {
		if (!t[i].revents)
			continue;
		plat_trace_note(
		    e->plat, "%s{%s, %#llx}", k++ ? ", " : "",
		    event_names(t[i].revents, "EPOLL", names, sizeof(names)),
		    (unsigned long long)t[i].en->data);
	}
	plat_trace_note(e->plat, "]");
}

/* --inject=split: as if the entries after the first k became ready just
 * after the harvest (they stay queued, in order). Only for a waiter that
 * slept: everything on its list became ready while it did, so any of it
 * may have come just after the harvest. A call that finds entries ready
 * as it begins gets them all (up to maxevents), as from Linux: they were
 * ready before it. */
static int inject_split(struct ep_instance *ep, uint64_t ikey, int maxevents)
{
	int queued = 0;
	struct list *pos;
	for (pos = ep->ready.next; pos != &ep->ready && queued < maxevents;
	     pos = pos->next)
		queued++;
	if (queued < 2 || !inject_hit(ep->emu, ikey, EMU_INJ_SPLIT, 0))
		return maxevents;
	return 1 +
	       (int)(inject_frac(ep->emu, ikey, EMU_INJ_SPLIT) * (queued - 1));
}

/* --inject=stale: a level-triggered entry whose file is no longer ready
 * is reported as readable (or writable, for an entry that asks only
 * that), as when another thread took the data between the poll and the
 * copy; the program's read then gets EAGAIN. Edge-triggered and one-shot
 * entries never are: they would not be queued again, and the event would be one
 * too many. */
static uint32_t inject_stale(struct ep_entry *en, uint64_t ikey, uint64_t sub)
{
	uint32_t basic =
	    (en->events & IP_EPOLLIN) ? IP_EPOLLIN : en->events & IP_EPOLLOUT;
	if (!basic || (en->events & (IP_EPOLLET | IP_EPOLLONESHOT)) ||
	    en->child || !inject_hit(en->ep->emu, ikey, EMU_INJ_STALE, sub))
		return 0;
	return basic;
}

/* Harvest ready events into the guest buffer and answer the call.
 * Returns 1 when the call was answered (events, EFAULT, or the caller is
 * gone), 0 when nothing was really ready (no answer was sent; stale entries
 * were dropped as the kernel drops them).
 *
 * ep_send_events polls an entry, copies its event, and goes on; a copy
 * that faults stops it there, so entries after the faulting one, stale or
 * not, keep their places. Here the events are copied in one write after
 * polling: whatever lies at or after the first record that did not fit
 * goes back to the head of the list, in order.
 *
 * Linux takes an event off the ready list only when the copy to user space
 * succeeded; here also only when the answer reached the guest: ONESHOT
 * disarming and the level-triggered re-queue are committed after the
 * reply, and undone if the guest vanished. */
int ep_deliver(struct ep_instance *ep, const struct plat_call *c, uint64_t addr,
	       int maxevents, uint64_t ikey)
{
	struct emu *e = ep->emu;
	struct taken stackt[64], *t = stackt;
	unsigned char stackbuf[64 * EPOLL_EVENT_SIZE], *buf = stackbuf;
	int cap = 64, ntaken = 0, n = 0, nstale = 0;
	int poll_tid = e->poll_tid;

	e->poll_tid = c->tid; /* signalfds are polled for the caller */

	while (n < maxevents && !list_empty(&ep->ready)) {
		if (ntaken == cap) {
			int ncap = cap * 4;
			struct taken *nt = malloc(ncap * sizeof(*nt));
			unsigned char *nb =
			    malloc((size_t)ncap * EPOLL_EVENT_SIZE);
			if (!nt || !nb) {
				free(nt);
				free(nb);
				break;
			}
			memcpy(nt, t, ntaken * sizeof(*nt));
			memcpy(nb, buf, (size_t)n * EPOLL_EVENT_SIZE);
			if (t != stackt) {
				free(t);
				free(buf);
			}
			t = nt;
			buf = nb;
			cap = ncap;
		}
		struct ep_entry *en =
		    container_of(ep->ready.next, struct ep_entry, rdlink);
		ep_unqueue(en);
		uint32_t rev = ep_entry_poll(en, 0);
		if (!rev && e->inj.on)
			rev = inject_stale(en, ikey, nstale++);
		t[ntaken].en = en;
		t[ntaken].revents = rev;
		ntaken++;
		if (!rev)
			continue; /* stale: dropped, like the kernel */
		put_event(buf + (size_t)n * EPOLL_EVENT_SIZE, rev, en->data);
		n++;
	}
	if (n == 0)
		goto out;

	/* One write for the whole array; on a fault, the records before the
	 * faulting one count, as in the kernel's per-event copy loop. */
	int done = plat_write_prefix(e->plat, c, addr, buf,
				     (size_t)n * EPOLL_EVENT_SIZE) /
		   EPOLL_EVENT_SIZE;
	int stop = ntaken; /* index in t of the record that did not fit */
	if (done < n) {
		for (int i = 0, k = 0; i < ntaken; i++) {
			if (t[i].revents && k++ == done) {
				stop = i;
				break;
			}
		}
		put_back(t, stop, ntaken);
	}
	int tracing = plat_tracing(e->plat);
	if (tracing & PLAT_TRACE_NOTES)
		trace_events(e, t, stop, done);
	int r = done ? plat_reply(e->plat, c, done, 0)
		     : plat_reply(e->plat, c, 0, -EFAULT);
	if (r == 0) {
		for (int i = 0; i < stop; i++) {
			struct ep_entry *en = t[i].en;
			if (!t[i].revents)
				continue;
			if (tracing & PLAT_TRACE_EVENTS)
				plat_event_note(e->plat, c, en->fd,
						t[i].revents);
			if (en->events & IP_EPOLLONESHOT)
				en->events &= IP_EP_PRIVATE_BITS;
			else if (!(en->events & IP_EPOLLET))
				ep_queue(en);
		}
	} else {
		/* The guest is gone: the events it did not get stay queued
		 * (stale entries stay dropped, as a harvest drops them). */
		for (int i = stop - 1; i >= 0; i--)
			if (t[i].revents)
				ep_queue_head(t[i].en);
	}
out:
	if (t != stackt) {
		free(t);
		free(buf);
	}
	e->poll_tid = poll_tid;
	/* ep_done_scan: what is left goes to the next sleeper. */
	return n != 0;
}

/* How many events a waiter that slept may be given now. */
static int woken_max(struct ep_instance *ep, const struct waiter *w)
{
	return ep->emu->inj.on ? inject_split(ep, w->inj_key, w->maxevents)
			       : w->maxevents;
}

static void waiter_unlink_and_free(struct emu *e, struct waiter *w)
{
	list_del(&w->link);
	waiter_free(e, w);
}

/* --inject=delay: the waiter is woken, but runs up to delay_ns later, as
 * when the wake-up comes from another CPU. Events that come meanwhile
 * join the harvest. Returns whether it was delayed. */
static int inject_delay(struct emu *e, struct waiter *w)
{
	int64_t d = (int64_t)(inject_frac(e, w->inj_key, EMU_INJ_DELAY) *
			      (double)e->inj.cfg.delay_ns);
	if (d <= 0)
		return 0;
	/* Counted now, noted on the answer it delays (ep_waiter_woken). */
	e->inj.counts[EMU_INJ_DELAY]++;
	w->delayed = 1;
	w->wake_at = plat_now_ns(e->plat) + d;
	waiter_retime(e, w);
	return 1;
}

/* A delayed waiter's time has come. */
void ep_waiter_woken(struct emu *e, struct waiter *w)
{
	struct ep_instance *ep = w->ep;
	w->wake_at = NEVER;
	if ((plat_tracing(e->plat) & PLAT_TRACE_NOTES) &&
	    !list_empty(&ep->ready))
		plat_trace_note(e->plat, " [injected delay]");
	if (ep_deliver(ep, &w->call, w->events_addr, woken_max(ep, w),
		       w->inj_key)) {
		waiter_unlink_and_free(e, w);
		ep_wake_waiters(ep);
		return;
	}
	w->delayed = 0; /* asleep again: the next wake-up may be late too */
	waiter_retime(e, w);
}

void ep_wake_waiters(struct ep_instance *ep)
{
	struct emu *e = ep->emu;

	while (!list_empty(&ep->ready) && !list_empty(&ep->waiters)) {
		struct waiter *w =
		    container_of(ep->waiters.next, struct waiter, link);
		if (w->wake_at != NEVER)
			return; /* woken, on its way (--inject=delay) */
		if (e->inj.on && e->inj.cfg.delay_ns > 0 && !w->delayed &&
		    inject_delay(e, w))
			return;
		if (!ep_deliver(ep, &w->call, w->events_addr, woken_max(ep, w),
				w->inj_key))
			return; /* only stale entries: keep sleeping */
		waiter_unlink_and_free(e, w);
	}
}

/* The deadline or a signal ended a blocked epoll_wait. */
void ep_waiter_expire(struct emu *e, struct waiter *w, int err)
{
	if (err == 0 && ep_deliver(w->ep, &w->call, w->events_addr,
				   woken_max(w->ep, w), w->inj_key)) {
		waiter_unlink_and_free(e, w);
		return;
	}
	plat_reply(e->plat, &w->call, 0, err);
	waiter_unlink_and_free(e, w);
}

/* The common part of the three calls, after the mask and timeout checks
 * (do_epoll_wait). timeout_ns < 0: forever. */
static void do_epoll_wait(struct emu *e, const struct plat_call *c, int epfd,
			  uint64_t events, int64_t maxevents,
			  int64_t timeout_ns, int has_mask, uint64_t mask)
{
	int err;
	struct ep_instance *ep = ep_lookup(e, c, epfd, &err);

	plat_sync(e->plat);
	if (!ep && err == -EBADF) {
		plat_reply(e->plat, c, 0, -EBADF);
		return;
	}
	if (maxevents <= 0 || maxevents > EP_MAX_EVENTS) {
		plat_reply(e->plat, c, 0, -EINVAL);
		return;
	}
	uint64_t len = (uint64_t)maxevents * EPOLL_EVENT_SIZE;
	if (events > USER_LIMIT || len > USER_LIMIT - events) {
		plat_reply(e->plat, c, 0, -EFAULT);
		return;
	}
	if (!ep) {
		plat_reply(e->plat, c, 0, err);
		return;
	}
	if (ep->n_sigfd)
		sigfd_scan(e, ep, c->tid); /* signals sent before the call */
	if (ep_deliver(ep, c, events, (int)maxevents, e->inj.key))
		return;
	if (timeout_ns == 0) {
		plat_reply(e->plat, c, 0, 0);
		return;
	}
	/* --inject=eintr: a signal came as the call was about to sleep
	 * (ep_poll's signal_pending check, after the events check). */
	if (e->inj.on && inject_hit(e, e->inj.key, EMU_INJ_EINTR, 0)) {
		plat_reply(e->plat, c, 0, -EINTR);
		return;
	}
	/* About to sleep: the instance's wake-ups must reach us at once
	 * (quiet.c). Making it prompt reads what came meanwhile: look
	 * again. */
	if (ep->quiet) {
		ep_prompt(ep);
		if (ep_deliver(ep, c, events, (int)maxevents, e->inj.key))
			return;
	}

	struct waiter *w = calloc(1, sizeof(*w));
	if (!w) {
		plat_reply(e->plat, c, 0, -ENOMEM);
		return;
	}
	w->call = *c;
	w->kind = W_EPOLL;
	w->ep = ep;
	w->events_addr = events;
	w->maxevents = (int)maxevents;
	w->has_mask = has_mask;
	w->mask = mask;
	w->inj_key = e->inj.key;
	w->wake_at = NEVER;
	int64_t now = plat_now_ns(e->plat);
	if (timeout_ns < 0 || timeout_ns > NEVER - now)
		w->deadline = NEVER;
	else
		w->deadline = now + timeout_ns;
	list_add_tail(&w->link, &ep->waiters);
	waiter_start(e, w);
}

/* Integer milliseconds as epoll_wait and poll take them. */
int64_t ms_to_timeout_ns(int ms)
{
	if (ms < 0)
		return -1;
	return (int64_t)ms * 1000000;
}

/* Read and check a temporary signal mask (set_user_sigmask). Returns 0
 * with *has = 0 when there is none, 0 with the mask, or -EINVAL/-EFAULT. */
int read_sigmask(struct emu *e, const struct plat_call *c, uint64_t addr,
		 uint64_t size, int *has, uint64_t *mask)
{
	*has = 0;
	if (!addr)
		return 0;
	if (size != 8)
		return -EINVAL;
	if (plat_read(e->plat, c, addr, mask, 8))
		return -EFAULT;
	*has = 1;
	/* SIGKILL and SIGSTOP cannot be blocked. */
	*mask &= ~((1ull << (9 - 1)) | (1ull << (19 - 1)));
	return 0;
}

/* Read and validate a struct __kernel_timespec. Returns the timeout in ns
 * (saturated), or -EFAULT/-EINVAL. */
int64_t read_timespec_ns(struct emu *e, const struct plat_call *c,
			 uint64_t addr)
{
	int64_t ts[2];
	if (plat_read(e->plat, c, addr, ts, sizeof(ts)))
		return -EFAULT;
	if (ts[0] < 0 || ts[1] < 0 || ts[1] > 999999999)
		return -EINVAL;
	if (ts[0] > (INT64_MAX - ts[1]) / 1000000000)
		return INT64_MAX;
	return ts[0] * 1000000000 + ts[1];
}

void sys_epoll_wait(struct emu *e, const struct plat_call *c)
{
	if ((int)c->args[3] == 0 && sighold_zero_timeout(e, c))
		return;
	do_epoll_wait(e, c, (int)c->args[0], c->args[1], (int)c->args[2],
		      ms_to_timeout_ns((int)c->args[3]), 0, 0);
}

/* epoll_pwait and epoll_pwait2 once the timeout is known: the mask
 * (set_user_sigmask) comes before the epoll_wait checks. */
static void epoll_pwait_common(struct emu *e, const struct plat_call *c,
			       int64_t timeout_ns)
{
	int has;
	uint64_t mask = 0;
	int r = read_sigmask(e, c, c->args[4], c->args[5], &has, &mask);
	if (r) {
		plat_reply(e->plat, c, 0, r);
		return;
	}
	do_epoll_wait(e, c, (int)c->args[0], c->args[1], (int)c->args[2],
		      timeout_ns, has, mask);
}

void sys_epoll_pwait(struct emu *e, const struct plat_call *c)
{
	if ((int)c->args[3] == 0 && sighold_zero_timeout(e, c))
		return;
	epoll_pwait_common(e, c, ms_to_timeout_ns((int)c->args[3]));
}

void sys_epoll_pwait2(struct emu *e, const struct plat_call *c)
{
	int64_t timeout = -1;
	if (c->args[3]) {
		timeout = read_timespec_ns(e, c, c->args[3]);
		if (timeout < 0) {
			plat_reply(e->plat, c, 0, (int)timeout);
			return;
		}
	}
	epoll_pwait_common(e, c, timeout);
}
