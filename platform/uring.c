/* uring.c: a ring of the supervisor's own, without liburing (uring.h). */
#include "uring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

void uring_free(struct ring *r)
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

struct ring *uring_new(unsigned sq_entries, unsigned cq_entries)
{
	struct io_uring_params pr;
	memset(&pr, 0, sizeof(pr));
	pr.flags = IORING_SETUP_CQSIZE;
	pr.cq_entries = cq_entries;
	int fd = (int)syscall(__NR_io_uring_setup, sq_entries, &pr);
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
		uring_free(r);
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
		uring_free(r);
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

int uring_enter(struct ring *r, unsigned submit, unsigned flags)
{
	int n;
	do
		n = (int)syscall(__NR_io_uring_enter, r->fd, submit, 0, flags,
				 NULL, 0);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* One request at once: requests are rare (a bucket's birth and death, a
 * re-arm), so there is nothing to batch. */
int uring_submit(struct ring *r, uint8_t op, int fd, uint64_t addr,
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
	int n = uring_enter(r, 1, 0);
	if (n == -EBUSY) { /* completions overflowed: flush, then retry */
		uring_enter(r, 0, IORING_ENTER_GETEVENTS);
		n = uring_enter(r, 1, 0);
	}
	if (n == 1)
		return 0;
	/* Not consumed: take it back so the next submission is not it. */
	__atomic_store_n(r->sq_tail, tail, __ATOMIC_RELEASE);
	return n < 0 ? n : -EAGAIN;
}

int uring_overflowed(const struct ring *r)
{
	return (__atomic_load_n(r->sq_flags, __ATOMIC_RELAXED) &
		IORING_SQ_CQ_OVERFLOW) != 0;
}

int uring_pending(const struct ring *r)
{
	return *r->cq_head != __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE) ||
	       uring_overflowed(r);
}
