/* uring.h: the few io_uring operations the supervisor makes on rings of
 * its own (ring.c's ring buckets, main_watch.c's watch of the main epoll).
 * No liburing: a ring, one request submitted at a time, completions read
 * from the shared queue. */
#ifndef INTERPOLL_URING_H
#define INTERPOLL_URING_H

#include <linux/io_uring.h>
#include <stdint.h>
#include <stddef.h>

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

/* A ring of sq_entries submission and cq_entries completion slots, or NULL (no
 * io_uring, or one that may drop completions: IORING_FEAT_NODROP is required).
 */
struct ring *uring_new(unsigned sq_entries, unsigned cq_entries);
/* Closing the ring cancels its requests. */
void uring_free(struct ring *r);
/* io_uring_enter, retried on EINTR: what it returns, or -errno. */
int uring_enter(struct ring *r, unsigned submit, unsigned flags);
/* Submit one request at once: 0, or -errno. */
int uring_submit(struct ring *r, uint8_t op, int fd, uint64_t addr,
		 uint32_t len, uint32_t events, uint64_t data);
/* Completions queued, or kept by the kernel for want of room. */
int uring_pending(const struct ring *r);
int uring_overflowed(const struct ring *r);

#endif
