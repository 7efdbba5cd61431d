/* batch_proof.h: does a batch prove that the call it brings was queued
 * before its collection began? The rule and its argument are in
 * causality.c; this is its state, apart from the supervisor, so that
 * tests/kernel/listener_edge.c runs the same code against the kernel.
 *
 * The main loop reports each collection (batch_collected) and whether it
 * held the listener's edge-triggered copy (batch_edge_seen); each
 * notification received is reported with its id (batch_received, which
 * says whether the batch proves it); every other complete read of the
 * main epoll is reported too (batch_read). */
#ifndef INTERPOLL_BATCH_PROOF_H
#define INTERPOLL_BATCH_PROOF_H

#include <stdint.h>

#define BATCH_MAX 256 /* events a collection takes at most */

struct batch_proof {
	uint64_t last_id; /* of the last notification received */
	int have_last_id;
	/* A complete read of the main epoll (not cut short at BATCH_MAX)
	 * began after that notification was queued: its value now, and as
	 * the batch's collection began. */
	int read_since_recv;
	int read_before_batch;
	int edge_in_batch; /* the batch held the listener's edge copy */
	int batch_full;
};

/* The main loop's epoll_wait returned n (-1: an error, nothing known). */
static inline void batch_collected(struct batch_proof *b, int n)
{
	b->batch_full = n == BATCH_MAX;
	b->read_before_batch = b->read_since_recv;
	if (n >= 0 && n < BATCH_MAX)
		b->read_since_recv = 1;
	b->edge_in_batch = 0;
}

static inline void batch_edge_seen(struct batch_proof *b)
{
	b->edge_in_batch = 1;
}

/* A read of the main epoll that went on until it took fewer than
 * BATCH_MAX events. */
static inline void batch_read(struct batch_proof *b)
{
	b->read_since_recv = 1;
}

/* The batch's notification, with this id: 1 if the batch holds every
 * wake-up queued before it. */
static inline int batch_received(struct batch_proof *b, uint64_t id)
{
	int next = b->have_last_id && id == b->last_id + 1;
	int proven =
	    next && b->read_before_batch && b->edge_in_batch && !b->batch_full;
	/* Its collection began after this one was queued. */
	b->read_since_recv = proven;
	b->last_id = id;
	b->have_last_id = 1;
	return proven;
}

#endif
