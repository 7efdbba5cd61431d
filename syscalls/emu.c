/* emu.c: the emulation's context, dispatch of intercepted calls, wake-ups
 * and garbage collection of objects whose files the guest closed. */
#include "emu.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "compat.h"
#include "epoll.h"
#include "epoll_ctl.h"
#include "epoll_wait.h"
#include "poll_calls.h"
#include "sighold.h"
#include "signal_sent.h"
#include "waiter.h"

void emu_init(struct emu *e, struct plat *p)
{
	e->plat = p;
	list_init(&e->instances);
	list_init(&e->exclusive);
	list_init(&e->unpublished);
	list_init(&e->shown);
	list_init(&e->quiet_next);
	list_init(&e->hidden);
	list_init(&e->holds);
	e->n_blind_holds = 0;
	e->n_sleep_holds = 0;
	e->spare_hold = NULL;
	e->zero_timeout_native = 1;
	e->n_quiet = 0;
	e->n_queued = 0;
	list_init(&e->sigfds);
	e->next_sigfd_check = 0;
	e->sigfd_interval = 0;
	e->poll_tid = 0;
	for (int i = 0; i < EMU_TIMER_SLOTS; i++)
		e->timer_at[i] = e->timer_period[i] = 0;
	e->next_hold_check = 0;
	e->hold_interval = 0;
	e->n_instances = e->n_entries = 0;
	e->heap = NULL;
	e->heap_len = e->heap_cap = 0;
	e->n_blocked = 0;
	e->next_gc_ns = 0;
	e->gc_serial = 0;
	e->gc_idx = 0;
	e->next_serial = 0;
	e->batch = 1; /* excl_walk.batch 0 means "never walked" */
	e->wake_depth = 0;
	e->n_calls = e->last_sweep_call = 0;
	e->native_pollers = 0;
	e->wakeup_allowed = 0;
	e->peak_entries = e->peak_blocked = 0;
	inject_init(&e->inj);
}

void emu_fini(struct emu *e)
{
	while (e->heap_len) {
		struct waiter *w = e->heap[0];
		list_del(&w->link);
		waiter_free(e, w);
	}
	while (!list_empty(&e->instances))
		ep_instance_free(
		    container_of(e->instances.next, struct ep_instance, link));
	sighold_fini(e);
	free(e->heap);
	e->heap = NULL;
	inject_fini(&e->inj);
}

struct emu *emu_new(struct plat *p)
{
	struct emu *e = malloc(sizeof(*e));
	if (e)
		emu_init(e, p);
	return e;
}

void emu_free(struct emu *e)
{
	if (!e)
		return;
	emu_fini(e);
	free(e);
}

void emu_set_native_pollers(struct emu *e, int on)
{
	e->native_pollers = on != 0;
}

void emu_set_wakeup_allowed(struct emu *e, int on)
{
	e->wakeup_allowed = on != 0;
}

void emu_get_counts(const struct emu *e, struct emu_counts *out)
{
	out->instances = e->n_instances;
	out->entries = e->n_entries;
	out->blocked = e->n_blocked;
	out->peak_entries = e->peak_entries;
	out->peak_blocked = e->peak_blocked;
	out->calls = e->n_calls;
	for (int k = 0; k < EMU_INJ_KINDS; k++)
		out->injected[k] = e->inj.counts[k];
}

void emu_batch_begin(struct emu *e)
{
	e->batch++;
}

void emu_wakeup(struct emu *e, void *cookie)
{
	struct ep_entry *en = cookie; /* every watch's cookie is its entry */
	(void)e;
	/* A child instance's wake-ups come from our own tables
	 * (ep_notify_up); the kernel's, from its file showing readable,
	 * come later and would be a second edge. */
	if (!en->child)
		ep_entry_wakeup(en, 0);
}

int emu_needs_watch(const struct emu *e)
{
	/* A zero-timeout wait handed to the kernel never sleeps there: its
	 * hold only keeps an anchor dark, and only native pollers look. */
	return e->n_blocked || e->native_pollers || e->n_sleep_holds ||
	       !list_empty(&e->sigfds);
}

void emu_publish(struct emu *e)
{
	struct list held;
	list_init(&held);
	emu_quiet_apply(e);
	if (e->n_blind_holds && !list_empty(&e->unpublished))
		sighold_resolve(e);
	while (!list_empty(&e->unpublished)) {
		struct ep_instance *ep = container_of(
		    e->unpublished.next, struct ep_instance, publink);
		list_del(&ep->publink);
		int want = !list_empty(&ep->ready);
		if (want && ep->n_holds) {
			/* The kernel's own wait may be running on the file:
			 * it must find nothing. Shown when the hold ends. */
			list_add_tail(&ep->publink, &held);
			continue;
		}
		if (want == ep->shown) {
			if (!want) /* a hidden list that went empty */
				list_del(&ep->shownlink);
			continue;
		}
		/* A file is made readable at once, to wake whatever sleeps
		 * on it; it is made unreadable only when something could
		 * look (emu_publish_exact, emu_hide): a busy loop whose list
		 * fills and drains costs nothing here. */
		if (!want)
			continue;
		ep->shown = 1;
		list_del(&ep->shownlink);
		list_add_tail(&ep->shownlink, &e->shown);
		plat_epoll_readable(e->plat, ep->h, 1);
	}
	list_splice_head(&held, &e->unpublished);
}

void emu_hide(struct emu *e, struct ep_instance *ep)
{
	if (!ep->shown)
		return;
	ep->shown = 0;
	list_del(&ep->shownlink);
	if (!list_empty(&ep->ready)) /* stale entries, kept */
		list_add_tail(&ep->shownlink, &e->hidden);
	list_del(&ep->publink);
	plat_epoll_readable(e->plat, ep->h, 0);
}

void emu_publish_exact(struct emu *e,
		       int (*names)(void *ctx, struct ep_instance *ep),
		       void *ctx)
{
	struct list *pos, *tmp;
	/* Dropping stale entries changes only the lists of the instance
	 * polled and of its children; the shown and hidden lists change
	 * only here (hide) and in emu_publish. */
	list_for_each_safe(pos, tmp, &e->shown)
	{
		struct ep_instance *ep =
		    container_of(pos, struct ep_instance, shownlink);
		if (ep->dead)
			continue;
		int r = ep_instance_scan(ep, 0, 0);
		if (r == EP_READY)
			continue;
		if (names && names(ctx, ep))
			ep_instance_scan(ep, 0, 1);
		if (r == EP_NOT_READY || list_empty(&ep->ready))
			emu_hide(e, ep);
	}
	/* A hidden list is all stale (anything that became ready since has
	 * made it show again): a poll of its file drops it. */
	list_for_each_safe(pos, tmp, &e->hidden)
	{
		struct ep_instance *ep =
		    container_of(pos, struct ep_instance, shownlink);
		if (!ep->dead && names && names(ctx, ep))
			ep_instance_scan(ep, 0, 1);
	}
	emu_publish(e);
}

typedef void (*sys_handler)(struct emu *, const struct plat_call *);

/* The flag checks that come before the fd is allocated, in the kernel:
 * an injected EMFILE comes only where the kernel would reach
 * get_unused_fd_flags. */
static int create_flags_valid(const struct plat_call *c)
{
	uint64_t a = c->args[0];
	switch (c->nr) {
	case SYS_epoll_create:
		return (int)a > 0;
	case SYS_epoll_create1:
		return (a & ~(uint64_t)02000000) == 0; /* EPOLL_CLOEXEC */
	case SYS_eventfd2:
		/* EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK */
		return (a & ~(uint64_t)(1 | 02000000 | 04000)) == 0;
	default:
		return 1;
	}
}

/* eventfd, eventfd2, epoll_create and epoll_create1 go back to the kernel
 * (FLAG_CONTINUE): every flag check and error (the guest's own EMFILE
 * included) and the fd are its own, and the call costs one notification
 * round trip. An eventfd is a kernel file like any other to the entries
 * that watch it; an epoll file is an empty kernel epoll, which is what an
 * unused instance is, until a call names it (ep_adopt). Creating them in
 * the supervisor and installing them with ADDFD cost a second round trip
 * in which the guest must run to take the fd, on the other CPU more often
 * than not (docs/PERFORMANCE.md, item 8). */
static void sys_creates_file(struct emu *e, const struct plat_call *c)
{
	if (e->inj.on && create_flags_valid(c) &&
	    inject_hit(e, e->inj.key, EMU_INJ_EMFILE, 0)) {
		plat_reply(e->plat, c, 0, -EMFILE);
		return;
	}
	plat_continue(e->plat, c);
}

static const struct {
	int nr;
	sys_handler fn;
	const char *name;
} table[SYS_I_COUNT] = {
    [SYS_I_EPOLL_CREATE] = {SYS_epoll_create, sys_creates_file, "epoll_create"},
    [SYS_I_EPOLL_CREATE1] = {SYS_epoll_create1, sys_creates_file,
			     "epoll_create1"},
    [SYS_I_EPOLL_CTL] = {SYS_epoll_ctl, sys_epoll_ctl, "epoll_ctl"},
    [SYS_I_EPOLL_WAIT] = {SYS_epoll_wait, sys_epoll_wait, "epoll_wait"},
    [SYS_I_EPOLL_PWAIT] = {SYS_epoll_pwait, sys_epoll_pwait, "epoll_pwait"},
    [SYS_I_EPOLL_PWAIT2] = {SYS_epoll_pwait2, sys_epoll_pwait2, "epoll_pwait2"},
    [SYS_I_EVENTFD] = {SYS_eventfd, sys_creates_file, "eventfd"},
    [SYS_I_EVENTFD2] = {SYS_eventfd2, sys_creates_file, "eventfd2"},
    [SYS_I_POLL] = {SYS_poll, sys_poll, "poll"},
    [SYS_I_PPOLL] = {SYS_ppoll, sys_ppoll, "ppoll"},
    [SYS_I_SELECT] = {SYS_select, sys_select, "select"},
    [SYS_I_PSELECT6] = {SYS_pselect6, sys_pselect6, "pselect6"},
    [SYS_I_KILL] = {SYS_kill, sys_signal_sent, "kill"},
    [SYS_I_TKILL] = {SYS_tkill, sys_signal_sent, "tkill"},
    [SYS_I_TGKILL] = {SYS_tgkill, sys_signal_sent, "tgkill"},
    [SYS_I_RT_SIGQUEUEINFO] = {SYS_rt_sigqueueinfo, sys_signal_sent,
			       "rt_sigqueueinfo"},
    [SYS_I_RT_TGSIGQUEUEINFO] = {SYS_rt_tgsigqueueinfo, sys_signal_sent,
				 "rt_tgsigqueueinfo"},
    [SYS_I_EXIT] = {SYS_exit, sys_signal_sent, "exit"},
    [SYS_I_EXIT_GROUP] = {SYS_exit_group, sys_signal_sent, "exit_group"},
    [SYS_I_ALARM] = {SYS_alarm, sys_timer_set, "alarm"},
    [SYS_I_SETITIMER] = {SYS_setitimer, sys_timer_set, "setitimer"},
    [SYS_I_TIMER_SETTIME] = {SYS_timer_settime, sys_timer_set, "timer_settime"},
    [SYS_I_PIDFD_SEND_SIGNAL] = {SYS_pidfd_send_signal, sys_signal_sent,
				 "pidfd_send_signal"},
};

int emu_sys_index(int nr)
{
	for (int i = 0; i < SYS_I_COUNT; i++)
		if (table[i].nr == nr)
			return i;
	return -1;
}

const char *emu_sys_name(int idx)
{
	return idx >= 0 && idx < SYS_I_COUNT ? table[idx].name : "?";
}

/* Calls between two sweeps outside the timer's: a supervisor really full
 * of live objects, or a file with hundreds of live watchers, must not make
 * every call sweep. */
#define SWEEP_GAP_CALLS 256

static int sweep_recent(const struct emu *e)
{
	return e->n_calls - e->last_sweep_call < SWEEP_GAP_CALLS;
}

/* A sweep outside the timer's. */
static size_t sweep_now(struct emu *e)
{
	e->last_sweep_call = e->n_calls;
	e->wake_depth = 0;
	return emu_gc(e);
}

void emu_call(struct emu *e, const struct plat_call *c)
{
	int i = emu_sys_index(c->nr);
	e->n_calls++;
	if (i < 0) {
		/* Not ours (the filter should not send it): let it run. */
		plat_continue(e->plat, c);
		return;
	}
	/* Objects of closed files hold supervisor resources until a sweep
	 * finds them: sweep early when they run short. */
	if (plat_short_of_handles(e->plat) && !sweep_recent(e))
		sweep_now(e);
	if (!list_empty(&e->holds))
		sighold_seen(e, c->tid);
	if (e->inj.on)
		inject_begin(e, c);
	table[i].fn(e, c);
	if (e->inj.on && c->nr == SYS_exit)
		inject_thread_gone(e, c->tid);
	/* New objects need the sweep timer that finds them closed. */
	emu_rearm(e);
}

int emu_reclaim(struct emu *e, int err)
{
	if (err != -EMFILE && err != -ENFILE && err != -ENOSPC &&
	    err != -ENOMEM && err != -EINVAL)
		return 0;
	/* EINVAL also comes, for every ADD, from a file that really has
	 * hundreds of live watchers. */
	if (err == -EINVAL && sweep_recent(e))
		return 0;
	return sweep_now(e) > 0;
}

/* Remove the entries of ep whose file is gone: found in one pass over the
 * interest list, then removed (removal reshapes the map being walked). */
static size_t sweep_instance(struct ep_instance *ep, size_t *pos,
			     size_t *budget)
{
	struct ep_entry *stack[64], **dead = stack;
	size_t nd = 0, cap = 64;
	uint64_t key;
	void *val;

	while (*budget && u64map_next(&ep->fds, pos, &key, &val)) {
		for (struct ep_entry *en = val; en; en = en->next_same_fd) {
			if (*budget)
				(*budget)--;
			if (en->child ||
			    plat_handle_alive(ep->emu->plat, en->h))
				continue;
			if (nd == cap) {
				struct ep_entry **n =
				    malloc(2 * cap * sizeof(*n));
				if (!n)
					goto out; /* the rest next time */
				memcpy(n, dead, nd * sizeof(*n));
				if (dead != stack)
					free(dead);
				dead = n;
				cap *= 2;
			}
			dead[nd++] = en;
		}
	}
out:
	for (size_t k = 0; k < nd; k++)
		ep_entry_remove(dead[k]);
	if (dead != stack)
		free(dead);
	return nd;
}

/* Is the instance's file closed? One liveness check. */
static void instance_check(struct emu *e, struct ep_instance *ep)
{
	if (!ep->dead && !ep->busy && !plat_handle_alive(e->plat, ep->h))
		ep->dead = 1;
}

/* Free a dead instance, unless blocked waiters hold it (as a sleeping
 * epoll_wait holds the file in Linux) or a walk is inside it. */
static int instance_reap(struct ep_instance *ep)
{
	if (!ep->dead || !list_empty(&ep->waiters) || ep->busy)
		return 0;
	ep_instance_free(ep);
	return 1;
}

size_t emu_gc(struct emu *e)
{
	size_t freed = 0;
	struct list *pos, *tmp;

	/* Instances first: a dead instance takes the entries that watch it
	 * along. */
	list_for_each_safe(pos, tmp, &e->instances)
	{
		instance_check(e, container_of(pos, struct ep_instance, link));
	}
	list_for_each_safe(pos, tmp, &e->instances)
	{
		freed += (size_t)instance_reap(
		    container_of(pos, struct ep_instance, link));
	}
	list_for_each_safe(pos, tmp, &e->instances)
	{
		struct ep_instance *ep =
		    container_of(pos, struct ep_instance, link);
		size_t i = 0, unlimited = SIZE_MAX;
		freed += sweep_instance(ep, &i, &unlimited);
	}
	/* Buckets kept for handles to come go back too: an idle
	 * supervisor holds what its objects need and no more. */
	plat_trim(e->plat);
	return freed;
}

/* A sweep is a system call per object: 100,000 entries in one go would
 * hold every guest's calls for a fifth of a second. The timer's sweep
 * checks a slice of them at a time instead. Instances are visited in
 * serial order (their list's), each one's liveness first, then its
 * entries from the position the last slice reached; entries that a
 * removal or resize moved behind that position wait for the next round,
 * which a liveness check does not mind. */
int emu_gc_slice(struct emu *e)
{
	size_t budget = EMU_GC_SLICE;
	struct list *pos, *tmp;

	list_for_each_safe(pos, tmp, &e->instances)
	{
		struct ep_instance *ep =
		    container_of(pos, struct ep_instance, link);
		if (ep->serial < e->gc_serial)
			continue;
		if (ep->serial > e->gc_serial) {
			/* First visit this round: the instance itself. */
			e->gc_serial = ep->serial;
			e->gc_idx = 0;
			budget--;
			instance_check(e, ep);
			if (instance_reap(ep))
				continue;
		}
		sweep_instance(ep, &e->gc_idx, &budget);
		if (!budget)
			return 0;
	}
	e->gc_serial = 0;
	e->gc_idx = 0;
	plat_trim(e->plat);
	return 1;
}
