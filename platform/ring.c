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
 * container's filter) the 501st watch fails as before.
 */
#include <errno.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "emu.h"
#include "linux_plat.h"

#define RING_SQ 64
#define RING_CQ 8192
/* user_data of a POLL_REMOVE: never a bucket's address. */
#define REMOVE_DATA 1

struct ring {
	int fd;
	unsigned *sq_tail, sq_mask, *sq_array, *sq_flags;
	struct io_uring_sqe *sqes;
	unsigned *cq_head, *cq_tail, cq_mask;
	struct io_uring_cqe *cqes;
	void *sq_map, *cq_map;
	size_t sq_len, cq_len, sqe_len;
	int cq_map_shared; /* IORING_FEAT_SINGLE_MMAP: one map for both */
};

static int tag_ring = TAG_RING;

static void ring_unmap(struct ring *r)
{
	if (r->sqes && r->sqes != MAP_FAILED)
		munmap(r->sqes, r->sqe_len);
	if (r->cq_map && r->cq_map != MAP_FAILED && !r->cq_map_shared)
		munmap(r->cq_map, r->cq_len);
	if (r->sq_map && r->sq_map != MAP_FAILED)
		munmap(r->sq_map, r->sq_len);
	close(r->fd);
	free(r);
}

static struct ring *ring_new(void)
{
	struct io_uring_params pr;
	memset(&pr, 0, sizeof(pr));
	pr.flags = IORING_SETUP_CQSIZE;
	pr.cq_entries = RING_CQ;
	int fd = (int)syscall(__NR_io_uring_setup, RING_SQ, &pr);
	if (fd < 0)
		return NULL;
	struct ring *r = calloc(1, sizeof(*r));
	if (!r) {
		close(fd);
		return NULL;
	}
	r->fd = fd;
	/* Without NODROP a full completion queue would lose the end of a
	 * multishot poll, and with it the bucket's wake-ups. */
	if (!(pr.features & IORING_FEAT_NODROP)) {
		ring_unmap(r);
		return NULL;
	}
	r->sq_len = pr.sq_off.array + pr.sq_entries * sizeof(unsigned);
	r->cq_len =
	    pr.cq_off.cqes + pr.cq_entries * sizeof(struct io_uring_cqe);
	r->cq_map_shared = (pr.features & IORING_FEAT_SINGLE_MMAP) != 0;
	if (r->cq_map_shared && r->cq_len > r->sq_len)
		r->sq_len = r->cq_len;
	r->sq_map = mmap(NULL, r->sq_len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
	r->cq_map =
	    r->cq_map_shared
		? r->sq_map
		: mmap(NULL, r->cq_len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
	r->sqe_len = pr.sq_entries * sizeof(struct io_uring_sqe);
	r->sqes = mmap(NULL, r->sqe_len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
	if (r->sq_map == MAP_FAILED || r->cq_map == MAP_FAILED ||
	    r->sqes == MAP_FAILED) {
		ring_unmap(r);
		return NULL;
	}
	char *sq = r->sq_map, *cq = r->cq_map;
	r->sq_tail = (unsigned *)(sq + pr.sq_off.tail);
	r->sq_mask = *(unsigned *)(sq + pr.sq_off.ring_mask);
	r->sq_array = (unsigned *)(sq + pr.sq_off.array);
	r->sq_flags = (unsigned *)(sq + pr.sq_off.flags);
	r->cq_head = (unsigned *)(cq + pr.cq_off.head);
	r->cq_tail = (unsigned *)(cq + pr.cq_off.tail);
	r->cq_mask = *(unsigned *)(cq + pr.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + pr.cq_off.cqes);
	return r;
}

static int ring_enter(struct ring *r, unsigned submit, unsigned flags)
{
	int n;
	do
		n = (int)syscall(__NR_io_uring_enter, r->fd, submit, 0, flags,
				 NULL, 0);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* Submit one request at once: requests are rare (a bucket's birth and
 * death, a re-arm), so there is nothing to batch. */
static int ring_submit(struct ring *r, uint8_t op, int fd, uint64_t addr,
		       uint32_t len, uint32_t events, uint64_t data)
{
	unsigned tail = *r->sq_tail;
	unsigned i = tail & r->sq_mask;
	struct io_uring_sqe *sqe = &r->sqes[i];
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = op;
	sqe->fd = fd;
	sqe->addr = addr;
	sqe->len = len;
	sqe->poll32_events = events;
	sqe->user_data = data;
	r->sq_array[i] = i;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	int n = ring_enter(r, 1, 0);
	if (n == -EBUSY) { /* completions overflowed: flush, then retry */
		ring_enter(r, 0, IORING_ENTER_GETEVENTS);
		n = ring_enter(r, 1, 0);
	}
	if (n == 1)
		return 0;
	/* Not consumed: take it back so the next submission is not it. */
	__atomic_store_n(r->sq_tail, tail, __ATOMIC_RELEASE);
	return n < 0 ? n : -EAGAIN;
}

int ring_arm(struct plat *p, struct bucket *b)
{
	if (!p->ring) {
		if (p->ring_failed)
			return -EINVAL;
		p->ring = ring_new();
		struct epoll_event ev = {.events = EPOLLIN,
					 .data.ptr = &tag_ring};
		if (p->ring &&
		    epoll_ctl(p->mainep, EPOLL_CTL_ADD, p->ring->fd, &ev) < 0) {
			ring_unmap(p->ring);
			p->ring = NULL;
		}
		if (!p->ring) {
			p->ring_failed = 1;
			fprintf(stderr,
				"interpoll: no io_uring for the watches "
				"beyond 500 per file; they fail with "
				"EINVAL\n");
			return -EINVAL;
		}
		p->nfds++;
	}
	int r = ring_submit(p->ring, IORING_OP_POLL_ADD, b->ep, 0,
			    IORING_POLL_ADD_MULTI, EPOLLIN, (uintptr_t)b);
	if (r == 0)
		b->ring_live = 1;
	return r;
}

void ring_disarm(struct plat *p, struct bucket *b)
{
	/* The multishot's last completion (-ECANCELED, no F_MORE) frees b:
	 * until then the kernel may still name it. */
	if (ring_submit(p->ring, IORING_OP_POLL_REMOVE, -1, (uintptr_t)b, 0, 0,
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

static int ring_overflowed(const struct ring *r)
{
	return (__atomic_load_n(r->sq_flags, __ATOMIC_RELAXED) &
		IORING_SQ_CQ_OVERFLOW) != 0;
}

int ring_pending(const struct plat *p)
{
	struct ring *r = p->ring;
	return r &&
	       (*r->cq_head != __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE) ||
		ring_overflowed(r));
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
		if (ring_overflowed(r))
			ring_enter(r, 0, IORING_ENTER_GETEVENTS);
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
		if (ring_overflowed(r) &&
		    tail == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
			break;
	}
}

void ring_fini(struct plat *p)
{
	if (p->ring) {
		ring_unmap(p->ring); /* cancels every poll */
		p->ring = NULL;
	}
	while (!list_empty(&p->ring_dying)) {
		struct bucket *b =
		    container_of(p->ring_dying.next, struct bucket, link);
		list_del(&b->link);
		bucket_free(p, b);
	}
}
