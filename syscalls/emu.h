/* emu.h: the emulation's state, and the entry points private to the
 * engine and its tests (the public ones: include/interpoll/engine.h).
 *
 * One struct emu holds everything the emulation knows: every epoll
 * instance, every blocked call and the timer heap. There is no global
 * state; the supervisor passes this context down.
 */
#ifndef INTERPOLL_EMU_H
#define INTERPOLL_EMU_H

#include <stdint.h>

#include "interpoll/engine.h"
#include "inject.h"
#include "interpoll/platform.h"
#include "list.h"
#include "u64map.h"

struct waiter;

struct emu {
	struct plat *plat;
	struct list instances; /* every live struct ep_instance */
	size_t n_instances;
	size_t n_entries;
	size_t n_queued;       /* entries on some instance's ready list */
	struct list exclusive; /* every EPOLLEXCLUSIVE entry (excl_link) */
	/* Instances whose ready list went empty or non-empty since their
	 * file last showed it (ep_instance.publink), and those whose file
	 * shows readable (ep_instance.shownlink): see emu_publish. */
	struct list unpublished;
	struct list shown;
	struct list hidden; /* lists of stale entries showing not readable */
	struct list holds;  /* struct sighold: waits handed to the kernel */
	int n_blind_holds;  /* holds whose instance is not known yet */
	int n_sleep_holds;  /* holds of waits that may sleep in the kernel */
	struct sighold *spare_hold; /* one ended hold, kept for the next */
	/* epoll_wait(0) with nothing queued goes to the kernel
	 * (sighold_zero_timeout); unit tests turn it off to drive the
	 * tables. */
	int zero_timeout_native;
	size_t n_quiet;		/* instances that are quiet (quiet.c) */
	struct list quiet_next; /* instances a wake-up found unwatched */
	int native_pollers;	/* a poll-family call or io_uring: no quiet */
	struct list sigfds;	/* entries on signalfds (ep_entry.sigfdlink) */
	int64_t next_sigfd_check, sigfd_interval;
	int poll_tid; /* the thread a harvest polls for (signalfd readiness) */
	/* Expiries of guest timers (alarm, setitimer), earliest first, 0 =
	 * free; period > 0 for a repeating one: blocked calls look for the
	 * signal when one comes (signal_sent.c). */
#define EMU_TIMER_SLOTS 16
	int64_t timer_at[EMU_TIMER_SLOTS];
	int64_t timer_period[EMU_TIMER_SLOTS];
	int64_t next_hold_check, hold_interval;
	/* Blocked calls ordered by their next timer (deadline or signal
	 * check): a binary min-heap of waiters. */
	struct waiter **heap;
	size_t heap_len, heap_cap;
	size_t n_blocked;
	int64_t next_gc_ns;
	/* The timer's sweep goes a slice at a time (emu_gc_slice): where the
	 * next slice resumes, the instance by serial (0: a new round) and the
	 * position in its interest list. */
	uint64_t gc_serial;
	size_t gc_idx;
	uint64_t next_serial;
	uint64_t n_calls;	  /* notifications handled */
	uint64_t last_sweep_call; /* n_calls at the last sweep */
	int wake_depth; /* nesting of wake-up propagation (ep_notify_up) */
	uint64_t batch; /* wake-ups delivered together share a batch number */
	int wakeup_allowed; /* EPOLLWAKEUP survives (PM_SLEEP + capability) */
	struct inject inj;  /* --inject */
	/* statistics */
	size_t peak_entries;
	size_t peak_blocked;
};

void emu_init(struct emu *e, struct plat *p);
void emu_fini(struct emu *e);

/* As emu_publish, but exact: an instance whose file shows readable while
 * its ready list holds only stale entries (files no longer ready for them)
 * stops showing it. Before a poll-family call goes to the kernel.
 *
 * Linux's poll of the file also drops those stale entries from the ready
 * list, which decides where they queue when they become ready again; only
 * a poll that names the file does that. So an instance whose list starts
 * with stale entries asks names(ctx, instance) whether the call will poll
 * it: yes drops them, no only hides them. names may be NULL (no). */
struct ep_instance;
void emu_publish_exact(struct emu *e,
		       int (*names)(void *ctx, struct ep_instance *ep),
		       void *ctx);

/* The instance's file stops showing readable now (its list keeps what it
 * holds). */
void emu_hide(struct emu *e, struct ep_instance *ep);

/* The platform refused a resource (-EMFILE, -ENFILE, -ENOSPC, -ENOMEM, or
 * the kernel's -EINVAL for too many wake-up paths to one file) that the
 * objects of files the guest closed may be holding: sweep them now. Linux
 * frees them at the last close, so a guest must never see the refusal
 * while they live on here. Returns whether a retry can help. */
int emu_reclaim(struct emu *e, int err);

/* The timer's sweep: what emu_gc does, checking at most EMU_GC_SLICE
 * objects and resuming where the last slice stopped. Returns 1 when this
 * slice ended a round (a new one starts at the next). */
#define EMU_GC_SLICE 512
int emu_gc_slice(struct emu *e);

#endif
