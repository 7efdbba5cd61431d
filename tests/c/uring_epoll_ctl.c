/* uring_epoll_ctl.c: registering fds the way libuv 1.45+ does.
 *
 * libuv opens a small io_uring of its own and submits its epoll_ctl calls
 * as IORING_OP_EPOLL_CTL requests; when io_uring_setup fails it falls back
 * to epoll_ctl(2). This program does the same with raw system calls (no
 * liburing), then checks that the epoll instance reports what was
 * registered.
 *
 * Natively, where io_uring works, the ring path runs. Under interpoll
 * io_uring_setup is refused with ENOSYS by default (the ring's requests
 * would bypass interpoll's tables, see docs/DIVERGENCES.md io-uring-allow),
 * so the fallback runs and must behave like Linux. Which path ran is
 * printed as a "# path:" comment line.
 */
#include "testlib.h"

#include <linux/io_uring.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif
#ifndef SYS_io_uring_enter
#define SYS_io_uring_enter 426
#endif
#ifndef IORING_FEAT_SINGLE_MMAP
#define IORING_FEAT_SINGLE_MMAP (1U << 0)
#endif

/* The mapped rings of one io_uring; only what one submitter needs. */
struct ring {
	int fd;
	void *sq_map, *cq_map;
	size_t sq_len, cq_len;
	struct io_uring_sqe *sqes;
	size_t sqes_len;
	unsigned *sq_tail, *sq_mask, *sq_array;
	unsigned *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
};

static struct ring ring = {.fd = -1};
static int setup_errno; /* errno of io_uring_setup, 0 when it worked */

static void *map_ring(int fd, size_t len, off_t what)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, fd, what);
}

/* Map the SQ and CQ rings and the SQE array of ring.fd. 0 or -errno. */
static int ring_map(const struct io_uring_params *p)
{
	ring.sq_len = p->sq_off.array + p->sq_entries * sizeof(unsigned);
	ring.cq_len =
	    p->cq_off.cqes + p->cq_entries * sizeof(struct io_uring_cqe);
	/* With SINGLE_MMAP (Linux 5.4+) both rings share one mapping. */
	if (p->features & IORING_FEAT_SINGLE_MMAP) {
		if (ring.cq_len > ring.sq_len)
			ring.sq_len = ring.cq_len;
		ring.cq_len = ring.sq_len;
	}
	ring.sq_map = map_ring(ring.fd, ring.sq_len, IORING_OFF_SQ_RING);
	if (ring.sq_map == MAP_FAILED)
		return -errno;
	ring.cq_map = ring.sq_map;
	if (!(p->features & IORING_FEAT_SINGLE_MMAP)) {
		ring.cq_map =
		    map_ring(ring.fd, ring.cq_len, IORING_OFF_CQ_RING);
		if (ring.cq_map == MAP_FAILED)
			return -errno;
	}
	ring.sqes_len = p->sq_entries * sizeof(struct io_uring_sqe);
	ring.sqes = map_ring(ring.fd, ring.sqes_len, IORING_OFF_SQES);
	if (ring.sqes == MAP_FAILED)
		return -errno;
	char *sq = ring.sq_map, *cq = ring.cq_map;
	ring.sq_tail = (unsigned *)(sq + p->sq_off.tail);
	ring.sq_mask = (unsigned *)(sq + p->sq_off.ring_mask);
	ring.sq_array = (unsigned *)(sq + p->sq_off.array);
	ring.cq_head = (unsigned *)(cq + p->cq_off.head);
	ring.cq_tail = (unsigned *)(cq + p->cq_off.tail);
	ring.cq_mask = (unsigned *)(cq + p->cq_off.ring_mask);
	ring.cqes = (struct io_uring_cqe *)(cq + p->cq_off.cqes);
	return 0;
}

/* The value of /proc/sys/kernel/io_uring_disabled, -1 when absent. */
static int io_uring_disabled_sysctl(void)
{
	FILE *f = fopen("/proc/sys/kernel/io_uring_disabled", "r");
	int v = -1;
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* Try for a ring as libuv does; on failure ring.fd stays -1 and
 * setup_errno says why. */
static void ring_open(void)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	long fd = syscall(SYS_io_uring_setup, 4, &p);
	if (fd < 0) {
		setup_errno = errno;
		return;
	}
	ring.fd = (int)fd;
	int r = ring_map(&p);
	if (r < 0) {
		printf("# mapping the ring failed: %s\n", strerror(-r));
		setup_errno = -r;
		close(ring.fd);
		ring.fd = -1;
	}
}

/* Submit one EPOLL_CTL request and wait for its completion. Returns the
 * completion's res: 0 or -errno, as epoll_ctl would fail. */
static int ring_epoll_ctl(int ep, int op, int fd, struct epoll_event *ev)
{
	unsigned tail = *ring.sq_tail; /* we are the only submitter */
	unsigned idx = tail & *ring.sq_mask;
	struct io_uring_sqe *sqe = &ring.sqes[idx];

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_EPOLL_CTL;
	sqe->fd = ep;
	sqe->off = (unsigned)fd;
	sqe->len = (unsigned)op;
	sqe->addr = (uintptr_t)ev;
	sqe->user_data = 0x5eed;
	ring.sq_array[idx] = idx;
	__atomic_store_n(ring.sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(SYS_io_uring_enter, ring.fd, 1, 1, IORING_ENTER_GETEVENTS,
		    NULL, 0) < 0)
		return -errno;

	unsigned head = *ring.cq_head;
	if (head == __atomic_load_n(ring.cq_tail, __ATOMIC_ACQUIRE))
		return -EIO; /* GETEVENTS with min_complete 1 left none */
	struct io_uring_cqe *cqe = &ring.cqes[head & *ring.cq_mask];
	int res = cqe->user_data == 0x5eed ? cqe->res : -EIO;
	__atomic_store_n(ring.cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

/* epoll_ctl through whichever path this run took. 0 or -errno. */
static int ctl(int ep, int op, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = data;
	if (ring.fd >= 0)
		return ring_epoll_ctl(ep, op, fd, &ev);
	return epoll_ctl(ep, op, fd, &ev) == 0 ? 0 : -errno;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* The ring is refused with ENOSYS under interpoll's default
 * --io-uring=deny; natively it works or is refused as libuv expects. */
static void setup_answer(void)
{
	if (tl_under_interpoll()) {
		CHECK_EQ(ring.fd, -1);
		CHECK_EQ(setup_errno, ENOSYS);
		return;
	}
	CHECK(ring.fd >= 0 || setup_errno == ENOSYS || setup_errno == EPERM);
}

static void registered_pipe_reports_event(void)
{
	const uint64_t data = 0x1122334455667788ULL;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int p[2];
	struct epoll_event out[4];

	CHECK(ep >= 0);
	CHECK_OK(pipe(p));
	CHECK_EQ(ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, data), 0);
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	memset(out, 0, sizeof(out));
	CHECK_EQ(epoll_wait(ep, out, 4, 1000), 1);
	CHECK_EQ(out[0].events, EPOLLIN);
	CHECK_EQ(out[0].data.u64, data);
	close(p[0]);
	close(p[1]);
	close(ep);
}

struct writer {
	int fd;
	int delay_ms;
};

static void *write_later(void *arg)
{
	struct writer *w = arg;
	sleep_ms(w->delay_ms);
	if (write(w->fd, "y", 1) != 1)
		perror("write");
	return NULL;
}

static void blocked_wait_woken_by_write(void)
{
	const uint64_t data = 0xfeedface0badf00dULL;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int p[2];
	struct epoll_event out[4];
	pthread_t t;

	CHECK(ep >= 0);
	CHECK_OK(pipe(p));
	CHECK_EQ(ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, data), 0);
	/* Nothing is ready before the writer starts: the wait below blocks. */
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
	struct writer w = {p[1], 50};
	double t0 = tl_now_ms();
	CHECK_EQ(pthread_create(&t, NULL, write_later, &w), 0);
	memset(out, 0, sizeof(out));
	int n = epoll_wait(ep, out, 4, 5000);
	double waited = tl_now_ms() - t0;
	CHECK_EQ(n, 1);
	CHECK_EQ(out[0].events, EPOLLIN);
	CHECK_EQ(out[0].data.u64, data);
	/* Woken by the write (at least 50 ms after t0), not by the 5 s
	 * timeout. */
	CHECK(waited >= 45);
	CHECK(waited < 4000);
	pthread_join(t, NULL);
	close(p[0]);
	close(p[1]);
	close(ep);
}

/* DEL through the same path: the fd is no longer reported. */
static void deleted_pipe_is_silent(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int p[2];
	struct epoll_event out[4];

	CHECK(ep >= 0);
	CHECK_OK(pipe(p));
	CHECK_EQ(ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 1), 0);
	CHECK_EQ(ctl(ep, EPOLL_CTL_DEL, p[0], 0, 0), 0);
	CHECK_EQ(write(p[1], "z", 1), 1);
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
	/* And a second DEL fails as epoll_ctl would. */
	CHECK_EQ(ctl(ep, EPOLL_CTL_DEL, p[0], 0, 0), -ENOENT);
	close(p[0]);
	close(p[1]);
	close(ep);
}

int main(void)
{
	ring_open();
	if (ring.fd >= 0)
		printf("# path: io_uring\n");
	else
		printf("# path: epoll_ctl fallback (io_uring_setup: %s; "
		       "io_uring_disabled %d)\n",
		       strerror(setup_errno), io_uring_disabled_sysctl());
	RUN(setup_answer);
	RUN(registered_pipe_reports_event);
	RUN(blocked_wait_woken_by_write);
	RUN(deleted_pipe_is_silent);
	return tl_done();
}
