/* waiter.c: the timer heap of blocked calls, and how a deadline or a
 * pending signal ends them.
 *
 * Signals: the guest's filter uses SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
 * so a non-fatal signal does not abandon a received notification; the
 * supervisor decides how the call ends, which lets it answer EINTR where
 * Linux does even when the handler has SA_RESTART. Nothing tells the
 * supervisor that a signal arrived, so each blocked call is checked at
 * growing intervals (1 ms, 2 ms, ... up to SIG_CHECK_MAX). See
 * docs/DESIGN.md, "Signals", and docs/DIVERGENCES.md for the latency this
 * costs. */
#include "waiter.h"

#include <errno.h>
#include <stdlib.h>

#include "epoll.h"
#include "epoll_wait.h"
#include "compat.h"
#include "sighold.h"
#include "signalfd.h"

/* After a guest sent a signal: the kernel runs the sender's call as soon as
 * it is handed back, so the first look comes at once and the next ones
 * double from there (20 us, 40 us, ... 1 ms, ...). */
#define SIG_CHECK_SOON 20000LL /* 20 us */
/* Between two slices of a sweep (EMU_GC_SLICE objects, about 1 ms of
 * system calls): a tenth of the supervisor's time while a round lasts. */
#define GC_SLICE_GAP_NS 10000000LL /* 10 ms */
/* Past this many blocked calls, a sent signal does not move them all. */
#define SIG_SOON_MAX_BLOCKED 4096

static int64_t key_of(const struct waiter *w)
{
	int64_t k =
	    w->deadline < w->next_sigcheck ? w->deadline : w->next_sigcheck;
	return w->wake_at < k ? w->wake_at : k;
}

static void heap_swap(struct emu *e, size_t a, size_t b)
{
	struct waiter *t = e->heap[a];
	e->heap[a] = e->heap[b];
	e->heap[b] = t;
	e->heap[a]->heap_idx = a;
	e->heap[b]->heap_idx = b;
}

static void heap_up(struct emu *e, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (key_of(e->heap[parent]) <= key_of(e->heap[i]))
			break;
		heap_swap(e, i, parent);
		i = parent;
	}
}

static void heap_down(struct emu *e, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < e->heap_len && key_of(e->heap[l]) < key_of(e->heap[m]))
			m = l;
		if (r < e->heap_len && key_of(e->heap[r]) < key_of(e->heap[m]))
			m = r;
		if (m == i)
			return;
		heap_swap(e, i, m);
		i = m;
	}
}

void emu_rearm(struct emu *e)
{
	int64_t t = e->heap_len ? key_of(e->heap[0]) : 0;
	if (e->timer_at[0] && (t == 0 || e->timer_at[0] < t))
		t = e->timer_at[0];
	if (e->next_hold_check && (t == 0 || e->next_hold_check < t))
		t = e->next_hold_check;
	if (e->next_sigfd_check && (t == 0 || e->next_sigfd_check < t))
		t = e->next_sigfd_check;
	if (e->next_gc_ns == 0)
		e->next_gc_ns = plat_now_ns(e->plat) + 1000000000LL;
	if (e->n_entries + e->n_instances && (t == 0 || e->next_gc_ns < t))
		t = e->next_gc_ns;
	plat_timer_arm(e->plat, t);
}

void waiter_start(struct emu *e, struct waiter *w)
{
	int64_t now = plat_now_ns(e->plat);
	w->sig_interval = SIG_CHECK_FIRST;
	w->next_sigcheck = now + w->sig_interval;
	if (e->heap_len == e->heap_cap) {
		size_t ncap = e->heap_cap ? e->heap_cap * 2 : 64;
		struct waiter **nh = realloc(e->heap, ncap * sizeof(*nh));
		if (!nh) {
			/* Cannot track it: answer as the kernel does when it
			 * cannot allocate. */
			plat_reply(e->plat, &w->call, 0, -ENOMEM);
			list_del(&w->link);
			free(w);
			return;
		}
		e->heap = nh;
		e->heap_cap = ncap;
	}
	w->heap_idx = e->heap_len++;
	e->heap[w->heap_idx] = w;
	heap_up(e, w->heap_idx);
	e->n_blocked++;
	if (e->n_blocked > e->peak_blocked)
		e->peak_blocked = e->n_blocked;
	if (e->heap[0] == w)
		emu_rearm(e);
}

void waiter_retime(struct emu *e, struct waiter *w)
{
	heap_up(e, w->heap_idx);
	heap_down(e, w->heap_idx);
	emu_rearm(e);
}

void waiter_free(struct emu *e, struct waiter *w)
{
	size_t i = w->heap_idx;
	e->heap_len--;
	if (i != e->heap_len) {
		e->heap[i] = e->heap[e->heap_len];
		e->heap[i]->heap_idx = i;
		heap_up(e, i);
		heap_down(e, i);
	}
	e->n_blocked--;
	free(w);
	emu_rearm(e);
}

/* The check interval grows with the number of blocked calls so that the
 * total cost of checking stays bounded (about 10 us per check). */
static int64_t sig_cap(const struct emu *e)
{
	int64_t scaled = (int64_t)e->n_blocked * 500000; /* 0.5 ms each */
	return scaled > SIG_CHECK_MAX ? scaled : SIG_CHECK_MAX;
}

static void expire(struct emu *e, struct waiter *w, int err)
{
	ep_waiter_expire(e, w, err);
}

static void check_signal(struct emu *e, struct waiter *w, int64_t now)
{
	if (!plat_call_alive(e->plat, &w->call)) {
		expire(e, w, -ECANCELED); /* thread gone: nothing to answer */
		return;
	}
	int signo = 0;
	int s = plat_signal_pending(e->plat, &w->call,
				    w->has_mask ? &w->mask : NULL, &signo);
	if (s < 0) {
		expire(e, w, -ECANCELED);
		return;
	}
	if (s != PLAT_SIG_NONE && w->has_mask) {
		/* Only the kernel can install the call's mask. */
		sighold_hand_over(e, w, signo);
		return;
	}
	if (s != PLAT_SIG_NONE) {
		expire(e, w, waiter_intr_code(w, s));
		return;
	}
	w->sig_interval *= 2;
	if (w->sig_interval > sig_cap(e))
		w->sig_interval = sig_cap(e);
	w->next_sigcheck = now + w->sig_interval;
	waiter_retime(e, w);
}

static void guest_timers(struct emu *e, int64_t now);

void emu_timers(struct emu *e, int64_t now)
{
	if (e->timer_at[0] && now >= e->timer_at[0])
		guest_timers(e, now);
	if (e->next_hold_check && now >= e->next_hold_check)
		sighold_check(e, now);
	if (e->next_sigfd_check && now >= e->next_sigfd_check)
		sigfd_check(e, now);
	while (e->heap_len && key_of(e->heap[0]) <= now) {
		struct waiter *w = e->heap[0];
		if (w->deadline <= now)
			expire(e, w, 0);
		else if (w->wake_at <= now)
			ep_waiter_woken(e, w);
		else
			check_signal(e, w, now);
	}
	if (now >= e->next_gc_ns) {
		/* Sweeping costs one system call per object: space rounds so
		 * that they take a small, bounded share of the time, and the
		 * slices of a round so that none holds the calls for long. */
		if (emu_gc_slice(e)) {
			int64_t n = (int64_t)(e->n_entries + e->n_instances);
			e->next_gc_ns = now + 1000000000LL + n * 20000;
		} else {
			e->next_gc_ns = now + GC_SLICE_GAP_NS;
		}
	}
	emu_rearm(e);
}

void emu_signal_at(struct emu *e, int64_t when, int64_t period)
{
	/* A few pending expiries are kept; past that the periodic look
	 * finds the signal. A replaced timer only costs a look. */
	for (int i = 0; i < EMU_TIMER_SLOTS; i++) {
		if (!e->timer_at[i] || e->timer_at[i] > when) {
			if (!e->timer_at[i] || i == EMU_TIMER_SLOTS - 1 ||
			    !e->timer_at[EMU_TIMER_SLOTS - 1]) {
				for (int k = EMU_TIMER_SLOTS - 1; k > i; k--) {
					e->timer_at[k] = e->timer_at[k - 1];
					e->timer_period[k] =
					    e->timer_period[k - 1];
				}
			}
			e->timer_at[i] = when;
			e->timer_period[i] = period;
			break;
		}
	}
	emu_rearm(e);
}

/* Guest timers whose expiry has come: blocked calls look soon. */
static void guest_timers(struct emu *e, int64_t now)
{
	int fired = 0;
	while (e->timer_at[0] && e->timer_at[0] <= now) {
		int64_t period = e->timer_period[0];
		for (int k = 0; k < EMU_TIMER_SLOTS - 1; k++) {
			e->timer_at[k] = e->timer_at[k + 1];
			e->timer_period[k] = e->timer_period[k + 1];
		}
		e->timer_at[EMU_TIMER_SLOTS - 1] = 0;
		fired = 1;
		if (period > 0)
			emu_signal_at(e, now + period, period);
	}
	if (fired)
		emu_signal_soon(e);
}

void emu_signal_soon(struct emu *e)
{
	int64_t now = plat_now_ns(e->plat);
	sigfd_soon(e, now);
	if (!e->heap_len || e->heap_len > SIG_SOON_MAX_BLOCKED) {
		emu_rearm(e);
		return;
	}
	int64_t soon = now + SIG_CHECK_SOON;
	for (size_t i = 0; i < e->heap_len; i++) {
		struct waiter *w = e->heap[i];
		w->sig_interval = SIG_CHECK_SOON; /* doubled at each look */
		if (w->next_sigcheck > soon)
			w->next_sigcheck = soon;
	}
	/* Keys only went down: sift each up, parents first. */
	for (size_t i = 0; i < e->heap_len; i++)
		heap_up(e, i);
	emu_rearm(e);
}

int waiter_intr_code(const struct waiter *w, int sig)
{
	/* epoll_wait and friends always fail with EINTR, even after a stop
	 * (signal(7)). */
	(void)w;
	(void)sig;
	return -EINTR;
}
