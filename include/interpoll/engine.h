/* engine.h: the epoll engine's entry points, for whoever drives it.
 *
 * The engine (libinterpoll, built from syscalls/) services epoll_create,
 * epoll_create1, epoll_ctl, epoll_wait, epoll_pwait, epoll_pwait2,
 * eventfd, eventfd2, poll, ppoll, select and pselect6 for a guest whose
 * calls the embedder intercepts: interest lists, ready lists, waiters and
 * timeouts live here; everything it needs from the operating system it
 * asks of the embedder through the platform contract
 * (interpoll/platform.h), which the embedder implements.
 *
 * Threading: none. One thread drives one engine; every entry point and
 * every upcall (emu_wakeup, emu_timers, ...) runs on it. docs/EMBEDDING.md
 * says what the embedder must guarantee for the engine to be exact.
 *
 * Errors inside the engine are negative errno values, as the kernel
 * returns them; the guest sees them through plat_reply.
 */
#ifndef INTERPOLL_ENGINE_H
#define INTERPOLL_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "platform.h"

#ifdef __cplusplus
extern "C" {
#endif

struct emu; /* one engine: every instance, waiter and timer of its guests */

/* A new engine that reaches the operating system through p, which must
 * outlive it. NULL when out of memory. */
struct emu *emu_new(struct plat *p);
/* Free the engine: every waiter is dropped unanswered and every handle
 * and group it opened is closed (plat_handle_close, plat_group_free). */
void emu_free(struct emu *e);

/* Options, set before the first call. */
/* Guests may reach instances by paths the embedder does not intercept
 * (an io_uring it lets through, say): instances must then always show
 * their readiness on their files, never be left quiet. Default 0. */
void emu_set_native_pollers(struct emu *e, int on);
/* EPOLLWAKEUP survives in the guest's masks (Linux keeps it only with
 * CONFIG_PM_SLEEP and CAP_BLOCK_SUSPEND). Default 0: it is dropped. */
void emu_set_wakeup_allowed(struct emu *e, int on);

/* Fault injection (interpoll --inject): faults that Linux can produce
 * legitimately, so that a correct program survives each, made on demand
 * and reproducibly. Whether call k of a thread gets a fault is a hash of
 * (seed, the thread's process and thread ordinals, k, the fault): the
 * same program on the same input gets the same faults, thread by thread,
 * in call order. No fault breaks a documented guarantee: no event is
 * lost, ONESHOT, EXCLUSIVE and edge rules hold. */
enum emu_inject_kind {
	EMU_INJ_EINTR,	/* a wait that would block returns EINTR */
	EMU_INJ_DELAY,	/* a wake-up reaches its waiter up to delay_ns late */
	EMU_INJ_SPLIT,	/* a wait that slept gets only some of the events that
			   came meanwhile; the rest stay queued */
	EMU_INJ_STALE,	/* a level-triggered entry whose file is no longer
			   ready is reported once more */
	EMU_INJ_ENOSPC, /* epoll_ctl ADD: max_user_watches reached */
	EMU_INJ_ENOMEM, /* epoll_ctl ADD: no memory */
	EMU_INJ_EMFILE, /* eventfd, epoll_create: the fd limit reached */
	EMU_INJ_KINDS,
};
struct emu_inject {
	uint64_t seed;
	/* Probabilities, 0 to 1, per call that could get the fault. */
	double eintr, split, stale, enospc, enomem, emfile;
	int64_t delay_ns; /* 0: no delay; else up to this, uniformly */
};
/* 0, or -1 when a probability is outside [0, 1] or the delay < 0. */
int emu_set_inject(struct emu *e, const struct emu_inject *cfg);
const char *emu_inject_name(int kind);

/* Handle one intercepted call: answer it now (plat_reply or
 * plat_continue), or keep it as a waiter that a later wake-up, timer or
 * signal check answers. */
void emu_call(struct emu *e, const struct plat_call *c);

/* The platform is about to deliver a batch of wake-ups that the kernel
 * produced together (one epoll_wait of the supervisor). */
void emu_batch_begin(struct emu *e);

/* Make each instance's guest-visible file readable when its ready list
 * holds something (plat_epoll_readable), so that whatever polls the file
 * natively (poll, select, an epoll of a process the embedder does not
 * intercept) sees it and is woken by the kernel. Call it at the end of
 * every batch of calls and wake-ups, before the embedder sleeps: within a
 * batch a list may fill and drain again without anyone having to be told.
 * A file is made unreadable again only when something is about to look
 * (before a poll-family call goes to the kernel): until then a drained
 * list's file may still show readable, which nobody sees. */
void emu_publish(struct emu *e);

/* Whether something must reach the engine before the next call does: a
 * call waits in the tables (for a wake-up, a timeout or a signal check),
 * the kernel may poll an instance's file for someone (a poll-family call
 * was made, or native pollers are on), a wait handed to the kernel may
 * sleep there, or a signalfd entry is watched. When it returns 0, wake-ups
 * and timers may wait until the next call (delivered before it, as ever):
 * the embedder may then block for calls alone. */
int emu_needs_watch(const struct emu *e);

/* Drop objects whose files the guest has closed, all at once (one
 * plat_handle_alive per object). Returns how many. The engine's own timer
 * (emu_timers) sweeps too, a slice of 512 objects at a time. */
size_t emu_gc(struct emu *e);

/* What the engine holds, for statistics. */
struct emu_counts {
	size_t instances;    /* live epoll instances */
	size_t entries;	     /* interest-list entries, all instances */
	size_t blocked;	     /* calls waiting for an answer */
	size_t peak_entries; /* most entries at once */
	size_t peak_blocked; /* most blocked calls at once */
	uint64_t calls;	     /* calls handled */
	uint64_t injected[EMU_INJ_KINDS]; /* faults injected, by kind */
};
void emu_get_counts(const struct emu *e, struct emu_counts *out);

/* The calls the engine counts, for per-call statistics: emu_sys_index
 * maps an x86-64 system call number to one of them (-1: none), and
 * emu_sys_name names it. */
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
	/* Notified only to learn that a signal is on its way. */
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
int emu_sys_index(int nr);
const char *emu_sys_name(int idx);

#ifdef __cplusplus
}
#endif

#endif
