/* emu.h: the emulation's state and entry points.
 *
 * One struct emu holds everything the emulation knows: every epoll
 * instance, every eventfd record, every blocked call and the timer heap.
 * There is no global state; the supervisor passes this context down.
 */
#ifndef INTERPOLL_EMU_H
#define INTERPOLL_EMU_H

#include <stdint.h>

#include "list.h"
#include "platform.h"
#include "u64map.h"

struct waiter;

/* Counters for --stats, per intercepted syscall. */
enum emu_sys {
	SYS_I_EPOLL_CREATE,
	SYS_I_EPOLL_CREATE1,
	SYS_I_EPOLL_CTL,
	SYS_I_EPOLL_WAIT,
	SYS_I_EPOLL_PWAIT,
	SYS_I_EPOLL_PWAIT2,
	SYS_I_EVENTFD,
	SYS_I_EVENTFD2,
	SYS_I_POLL,
	SYS_I_PPOLL,
	SYS_I_SELECT,
	SYS_I_PSELECT6,
	/* Notified only to learn that a signal is on its way (signal.c). */
	SYS_I_KILL,
	SYS_I_TKILL,
	SYS_I_TGKILL,
	SYS_I_RT_SIGQUEUEINFO,
	SYS_I_RT_TGSIGQUEUEINFO,
	SYS_I_PIDFD_SEND_SIGNAL,
	SYS_I_EXIT,
	SYS_I_EXIT_GROUP,
	SYS_I_ALARM,
	SYS_I_SETITIMER,
	SYS_I_TIMER_SETTIME,
	SYS_I_COUNT,
};

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
	struct list quiet_next; /* instances a wake-up found unwatched */
	int native_pollers; /* a poll-family call or io_uring: no quiet */
	struct list sigfds; /* entries on signalfds (ep_entry.sigfdlink) */
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
	uint64_t next_serial;
	uint64_t n_calls;	  /* notifications handled */
	uint64_t last_sweep_call; /* n_calls at the last sweep */
	int wake_depth; /* nesting of wake-up propagation (ep_notify_up) */
	uint64_t batch; /* wake-ups delivered together share a batch number */
	int wakeup_allowed; /* EPOLLWAKEUP survives (PM_SLEEP + capability) */
	/* statistics */
	size_t peak_entries;
	size_t peak_blocked;
};

void emu_init(struct emu *e, struct plat *p);
void emu_fini(struct emu *e);

/* Handle one intercepted call: answer it now, or keep it as a waiter. */
void emu_call(struct emu *e, const struct plat_call *c);

/* The platform is about to deliver a batch of wake-ups that the kernel
 * produced together (one epoll_wait of the supervisor). */
void emu_batch_begin(struct emu *e);

/* Make each instance's guest-visible file readable when its ready list
 * holds something (plat_epoll_readable), so that whatever polls the file
 * natively (poll, select, an epoll of a process we do not supervise) sees
 * it and is woken by the kernel. Called at the end of every batch: within a
 * batch a list may fill and drain again without anyone having to be told.
 * A file is made unreadable again only when something is about to look
 * (emu_publish_exact before a poll-family call, emu_hide): until then a
 * drained list's file may still show readable, which nobody sees. */
void emu_publish(struct emu *e);

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

/* Drop objects whose files the guest has closed. Returns how many. */
size_t emu_gc(struct emu *e);

/* The platform refused a resource (-EMFILE, -ENFILE, -ENOSPC, -ENOMEM, or
 * the kernel's -EINVAL for too many wake-up paths to one file) that the
 * objects of files the guest closed may be holding: sweep them now. Linux
 * frees them at the last close, so a guest must never see the refusal
 * while they live on here. Returns whether a retry can help. */
int emu_reclaim(struct emu *e, int err);

/* Map a syscall number to its stats index, or -1. */
int emu_sys_index(int nr);
const char *emu_sys_name(int idx);

#endif
