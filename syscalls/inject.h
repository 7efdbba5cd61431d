/* inject.h: --inject, faults Linux can legitimately produce, made to
 * happen on demand and reproducibly (include/interpoll/engine.h,
 * struct emu_inject).
 *
 * Whether call k of a thread gets fault F is a hash of (seed, the
 * thread's process's ordinal, the thread's ordinal in its process, k, F):
 * the same program on the same input gets the same faults, thread by
 * thread, in call order, whatever the timing. Ordinals count in the order
 * processes and their threads first make an intercepted call.
 */
#ifndef INTERPOLL_INJECT_H
#define INTERPOLL_INJECT_H

#include <stdint.h>

#include "interpoll/engine.h"
#include "interpoll/platform.h"
#include "u64map.h"

struct emu;

struct inject {
	int on;
	struct emu_inject cfg;
	struct u64map threads; /* tid -> struct inj_thread */
	struct u64map procs;   /* tgid -> struct inj_proc */
	uint32_t nprocs;
	uint64_t key; /* the key of the call being handled (inject_begin) */
	uint64_t counts[EMU_INJ_KINDS];
};

void inject_init(struct inject *in);
void inject_fini(struct inject *in);

/* A call is about to be handled: its key becomes inject.key. */
void inject_begin(struct emu *e, const struct plat_call *c);
/* Thread tid is gone (exit): forget it. */
void inject_thread_gone(struct emu *e, int tid);

/* Does the call with key `key` get fault `kind`? `sub` tells apart
 * several decisions of one kind for one call (0 for the first). Counts,
 * and notes it in the trace, when it does. */
int inject_hit(struct emu *e, uint64_t key, int kind, uint64_t sub);
/* The decision alone, and the count (and trace note) alone: for faults
 * that must also pass a check of their own to be legal. */
int inject_wants(const struct emu *e, uint64_t key, int kind, uint64_t sub);
void inject_count(struct emu *e, int kind);
/* A fraction in [0, 1) for the call with key `key` (the delay's size). */
double inject_frac(const struct emu *e, uint64_t key, int kind);

#endif
