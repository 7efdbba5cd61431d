/* waiter.h: a blocked call kept in tables until readiness, a timeout or a
 * signal ends it. No supervisor thread sleeps for it. */
#ifndef INTERPOLL_WAITER_H
#define INTERPOLL_WAITER_H

#include <stdint.h>

#include "emu.h"
#include "list.h"

#define NEVER INT64_MAX

/* Looks for signals (blocked calls' and signalfds'): the first after
 * SIG_CHECK_FIRST, then at doubling intervals up to SIG_CHECK_MAX, the
 * bound for a signal from outside (docs/DIVERGENCES.md signal-latency). */
#define SIG_CHECK_FIRST 1000000LL /* 1 ms */
#define SIG_CHECK_MAX 20000000LL  /* 20 ms */

enum waiter_kind { W_EPOLL };

struct waiter {
	struct plat_call call;
	enum waiter_kind kind;
	int64_t deadline; /* NEVER: no timeout */
	int64_t next_sigcheck;
	int64_t sig_interval;
	int has_mask;
	uint64_t mask; /* temporary signal mask of the call */
	size_t heap_idx;
	/* W_EPOLL */
	struct ep_instance *ep;
	struct list link; /* ep->waiters */
	uint64_t events_addr;
	int maxevents;
	/* --inject: the call's key, and when a late wake-up lets it run
	 * (NEVER: not woken); delayed: this sleep's wake-up was late. */
	uint64_t inj_key;
	int64_t wake_at;
	int delayed;
};

/* Start tracking w (already filled) in the timer heap. */
void waiter_start(struct emu *e, struct waiter *w);
/* Stop tracking and free w; it must already be unlinked from any list. */
void waiter_free(struct emu *e, struct waiter *w);
/* Re-sort w after its times changed. */
void waiter_retime(struct emu *e, struct waiter *w);

/* Program the platform timer for the earliest waiter timer or sweep. */
void emu_rearm(struct emu *e);

/* The signal code a call returns when a signal interrupts it. */
int waiter_intr_code(const struct waiter *w, int sig);

#endif
