/* ring.c: io_uring multishot polls of the edge buckets the main epoll may
 * not hold.
 *
 * Every edge bucket nested in the main epoll makes each of its watches a
 * wake-up path of length 2, and the kernel allows 500 of those per file
 * (reverse_path_check): the 501st watch of one file, in any instance,
 * would fail with EINVAL where Linux allows any number of direct
 * watchers. An io_uring poll is not an epoll: a bucket it polls is nested
 * in nothing, and its watches cost no path. So a watch the nested bucket
 * refuses goes to a "ring bucket" of its instance (BK_RING), which this
 * ring polls with one multishot IORING_OP_POLL_ADD.
 *
 * Wake-ups stay causal. A poll wake-up queues task work on the supervisor
 * (the ring's submitter), and the kernel runs it, posting the completion,
 * before any system call of ours returns. So once epoll_wait hands over a
 * notification, the completions of every wake-up before it are posted;
 * the main loop reads them before the notification, as it does the
 * nested buckets' events (ring_drain). The task work also ends a blocking
 * epoll_wait with EINTR, which is how an idle supervisor hears of them.
 *
 * The ring is made on first need: a supervisor whose files never have 500
 * watchers never has one. Without io_uring (disabled by sysctl or a
 * container's filter) the main loop polls ring buckets itself
 * (ring_polled.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "emu.h"
#include "linux_plat.h"
#include "uring.h"

#define RING_SQ 64
#define RING_CQ 8192
/* user_data of a POLL_REMOVE: never a bucket's address. */
#define REMOVE_DATA 1

static int tag_ring = TAG_RING;

int ring_arm(struct plat *p, struct bucket *b)
{
	if (!p->ring && !p->ring_failed) {
		p->ring = uring_new(RING_SQ, RING_CQ);
		struct epoll_event ev = {.events = EPOLLIN,
					 .data.ptr = &tag_ring};
		if (p->ring &&
		    epoll_ctl(p->mainep, EPOLL_CTL_ADD, p->ring->fd, &ev) < 0) {
			uring_free(p->ring);
			p->ring = NULL;
		}
		if (p->ring)
			p->nfds++;
		else
			p->ring_failed = 1;
	}
	if (!p->ring) /* no io_uring here: the main loop polls it */
		return polled_add(p, b);
	int r = uring_submit(p->ring, IORING_OP_POLL_ADD, b->ep, 0,
			     IORING_POLL_ADD_MULTI, EPOLLIN, (uintptr_t)b);
	if (r == 0)
		b->ring_live = 1;
	return r;
}

void ring_disarm(struct plat *p, struct bucket *b)
{
	/* The multishot's last completion (-ECANCELED, no F_MORE) frees b:
	 * until then the kernel may still name it. */
	if (uring_submit(p->ring, IORING_OP_POLL_REMOVE, -1, (uintptr_t)b, 0, 0,
			 REMOVE_DATA) < 0)
		fprintf(stderr, "interpoll: cannot cancel a ring poll\n");
}

/* One completion: a ring bucket to read, or the end of its poll. */
static void ring_complete(struct plat *p, uint64_t data, int res,
			  unsigned flags, struct plat_handle *skip)
{
	if (data == REMOVE_DATA)
		return;
	struct bucket *b = (struct bucket *)(uintptr_t)data;
	if (res > 0 && !b->closed)
		bucket_harvest(p, b, skip);
	if (flags & IORING_CQE_F_MORE)
		return;
	b->ring_live = 0;
	if (b->closed) {
		list_del(&b->link);
		bucket_free(p, b);
	} else if (ring_arm(p, b) < 0) {
		/* Its wake-ups would be lost: say so rather than hang. */
		fprintf(stderr, "interpoll: cannot re-arm a ring poll\n");
	}
}

int ring_pending(const struct plat *p)
{
	return p->ring && uring_pending(p->ring);
}

/* A file's wake-up reaches its nested watches before its ring ones (the
 * nested buckets hold a file's first 500), so the ring's completions are
 * read only after the main epoll has been drained of everything that came
 * before them: those present before the drain. */
void ring_drain(struct plat *p, struct plat_handle *skip)
{
	struct ring *r = p->ring;
	while (ring_pending(p)) {
		/* Completions the queue had no room for wait in the kernel
		 * until asked for. */
		if (uring_overflowed(r))
			uring_enter(r, 0, IORING_ENTER_GETEVENTS);
		unsigned tail = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);
		plat_drain_main(p, skip);
		emu_batch_begin(p->emu);
		for (unsigned head = *r->cq_head; head != tail; head++) {
			struct io_uring_cqe c = r->cqes[head & r->cq_mask];
			/* Consumed before it is acted on: a re-arm must find
			 * the slot free. */
			__atomic_store_n(r->cq_head, head + 1,
					 __ATOMIC_RELEASE);
			ring_complete(p, c.user_data, c.res, c.flags, skip);
		}
		/* The overflow mark stays set while the flush found no room:
		 * nothing new then, and no reason to spin. */
		if (uring_overflowed(r) &&
		    tail == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
			break;
	}
	polled_drain(p, skip); /* without a ring (ring_polled.c) */
}

void ring_fini(struct plat *p)
{
	if (p->ring) {
		uring_free(p->ring); /* cancels every poll */
		p->ring = NULL;
	}
	while (!list_empty(&p->ring_dying)) {
		struct bucket *b =
		    container_of(p->ring_dying.next, struct bucket, link);
		list_del(&b->link);
		bucket_free(p, b);
	}
	polled_fini(p);
}
