/* eventfd_rw.c: eventfd read, write and readiness
 * (linux-semantics.md §6.2, §6.3, §6.4, §1.2).
 */
#include "testlib.h"
#include "testutil.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#define MAX_COUNT 0xfffffffffffffffeULL
#define ALL_ONES 0xffffffffffffffffULL

/* A user address below the user address-space limit, but not mapped:
 * the fault happens on the copy, after eventfd's own checks. */
static void *unmapped_page(void)
{
	void *p =
	    mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* Raw read/write for deliberately bad buffers, so that neither glibc nor
 * the compiler's access attributes get in the way. */
static long raw_read(int fd, const void *buf, size_t n)
{
	return syscall(SYS_read, fd, buf, n);
}

static long raw_write(int fd, const void *buf, size_t n)
{
	return syscall(SYS_write, fd, buf, n);
}

/* A blocking read or write done by another thread. */
static void read_small_buffer_einval(void)
{
	int fd = eventfd(3, EFD_NONBLOCK);
	int zfd = eventfd(0, EFD_NONBLOCK);
	char buf[16];
	uint64_t v = 0;
	void *bad = unmapped_page();

	CHECK(fd >= 0 && zfd >= 0 && bad != NULL);
	CHECK_ERR(read(fd, buf, 7), EINVAL);
	CHECK_ERR(read(fd, buf, 0), EINVAL);
	CHECK_ERR(read(fd, buf, 1), EINVAL);
	/* The size check comes before the EAGAIN check ... */
	CHECK_ERR(read(zfd, buf, 4), EINVAL);
	/* ... and before the copy, so a bad pointer does not matter. */
	CHECK_ERR(raw_read(fd, bad, 4), EINVAL);
	/* Nothing was consumed. */
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, 3);
	munmap(bad, 4096);
	close_fds(fd, zfd);
}

static void read_large_buffer_returns_8(void)
{
	int fd = new_eventfd(0x55, EFD_NONBLOCK);
	unsigned char buf[64];
	uint64_t v;
	int i, untouched = 1;

	memset(buf, 0xa5, sizeof(buf));
	CHECK_EQ(read(fd, buf, 16), 8);
	memcpy(&v, buf, 8);
	CHECK_EQ(v, 0x55);
	for (i = 8; i < 64; i++)
		if (buf[i] != 0xa5)
			untouched = 0;
	CHECK(untouched);
	CHECK_OK(wr(fd, 9));
	CHECK_EQ(read(fd, buf, 64), 8);
	memcpy(&v, buf, 8);
	CHECK_EQ(v, 9);
	close(fd);
}

static void semaphore_mode(void)
{
	int fd = new_eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
	uint64_t v;

	v = 0;
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, 1);
	v = 0;
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, 1);
	CHECK_ERR(read(fd, &v, 8), EAGAIN);
	/* Writes add to the counter; reads still take one at a time. */
	CHECK_OK(wr(fd, 3));
	CHECK_OK(wr(fd, 0));
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, 1);
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, 1);
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, 1);
	CHECK_ERR(read(fd, &v, 8), EAGAIN);
	/* Semaphore mode at the maximum still takes one. */
	CHECK_OK(wr(fd, MAX_COUNT));
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, 1);
	CHECK_OK(wr(fd, 1)); /* back at max */
	CHECK_ERR(write(fd, &(uint64_t){1}, 8), EAGAIN);
	close(fd);
}

static void whole_counter_read(void)
{
	int fd = new_eventfd(10, EFD_NONBLOCK);
	uint64_t v;

	CHECK_OK(wr(fd, 5));
	CHECK_OK(wr(fd, 0x100000000ULL));
	v = 0;
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, 0x10000000fULL);
	CHECK_ERR(read(fd, &v, 8), EAGAIN);
	close(fd);
}

static void eagain_nonblock_empty(void)
{
	int fd = new_eventfd(0, EFD_NONBLOCK);
	uint64_t v = 77;

	CHECK_ERR(read(fd, &v, 8), EAGAIN);
	CHECK_EQ(v, 77); /* buffer untouched */
	CHECK_ERR(read(fd, &v, 8), EAGAIN);
	close(fd);
}

/* The op is still blocked ms from now. */
static int still_blocked(struct op *o, int ms)
{
	sleep_ms(ms);
	return !op_done(o);
}

static void setfl_nonblock_toggle(void)
{
	int fd = new_eventfd(0, 0);
	uint64_t v;
	struct op o;

	CHECK_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	CHECK_ERR(read(fd, &v, 8), EAGAIN);
	/* Writing at the maximum also takes the nonblocking path. */
	CHECK_OK(wr(fd, MAX_COUNT));
	CHECK_ERR(write(fd, &(uint64_t){1}, 8), EAGAIN);
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, MAX_COUNT);

	/* Clear it again: the read must now block until a write comes. */
	CHECK_OK(fcntl(fd, F_SETFL, 0));
	op_start(&o, fd, OP_READ, 0, 0);
	CHECK(still_blocked(&o, 200));
	CHECK_OK(wr(fd, 31));
	op_join(&o);
	CHECK_EQ(o.ret, 8);
	CHECK_EQ(o.val, 31);
	CHECK(o.t_end - o.t_start >= 150);
	close(fd);
}

static void write_count_einval(void)
{
	int fd = new_eventfd(0, EFD_NONBLOCK);
	unsigned char buf[32];
	uint64_t v;

	memset(buf, 0, sizeof(buf));
	buf[0] = 1;
	CHECK_ERR(write(fd, buf, 7), EINVAL);
	CHECK_ERR(write(fd, buf, 9), EINVAL);
	CHECK_ERR(write(fd, buf, 16), EINVAL);
	CHECK_ERR(write(fd, buf, 0), EINVAL);
	CHECK_ERR(write(fd, buf, 1), EINVAL);
	CHECK_ERR(write(fd, buf, 32), EINVAL);
	/* None of them changed the counter. */
	CHECK_ERR(read(fd, &v, 8), EAGAIN);
	close(fd);
}

static void write_efault_before_value(void)
{
	int fd = eventfd(4, EFD_NONBLOCK);
	void *bad = unmapped_page();
	uint64_t v;

	CHECK(fd >= 0 && bad != NULL);
	CHECK_ERR(raw_write(fd, bad, 8), EFAULT);
	CHECK_ERR(raw_write(fd, NULL, 8), EFAULT);
	/* Eight bytes straddling into an unmapped page, starting with 0xff
	 * bytes: the copy fails as a whole, EFAULT and not EINVAL. */
	{
		unsigned char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHECK(two != MAP_FAILED);
		if (two != MAP_FAILED) {
			memset(two, 0xff, 8192);
			CHECK_OK(mprotect(two + 4096, 4096, PROT_NONE));
			CHECK_ERR(raw_write(fd, two + 4092, 8), EFAULT);
			CHECK_ERR(raw_write(fd, two + 4088, 8), EINVAL);
			munmap(two, 8192);
		}
	}
	/* The count check comes before the copy. */
	CHECK_ERR(raw_write(fd, bad, 7), EINVAL);
	CHECK_ERR(raw_write(fd, bad, 16), EINVAL);
	v = 0;
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, 4);
	/* At the maximum, nonblocking: the copy (EFAULT) still comes before
	 * the would-block check (EAGAIN). */
	CHECK_OK(wr(fd, MAX_COUNT));
	CHECK_ERR(raw_write(fd, bad, 8), EFAULT);
	CHECK_ERR(write(fd, &(uint64_t){1}, 8), EAGAIN);
	CHECK_ERR(write(fd, &(uint64_t){ALL_ONES}, 8), EINVAL);
	munmap(bad, 4096);
	close(fd);
}

static void write_all_ones_einval(void)
{
	int fd = eventfd(0, EFD_NONBLOCK);
	int bfd = eventfd(0, 0);
	uint64_t v = ALL_ONES;

	CHECK(fd >= 0 && bfd >= 0);
	CHECK_ERR(write(fd, &v, 8), EINVAL);
	/* Also on a blocking fd: EINVAL, never a sleep. */
	CHECK_ERR(write(bfd, &v, 8), EINVAL);
	/* Also when the counter is not zero. */
	CHECK_OK(wr(fd, 1));
	CHECK_ERR(write(fd, &v, 8), EINVAL);
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, 1);
	close_fds(fd, bfd);
}

static void overflow_limits(void)
{
	int fd = new_eventfd(0, EFD_NONBLOCK);
	uint64_t v;

	CHECK_OK(wr(fd, MAX_COUNT)); /* max-1 reachable */
	CHECK_ERR(write(fd, &(uint64_t){1}, 8), EAGAIN);
	CHECK_ERR(write(fd, &(uint64_t){MAX_COUNT}, 8), EAGAIN);
	CHECK_OK(wr(fd, 0)); /* writing 0 always succeeds */
	v = 0;
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, MAX_COUNT);

	/* Exactly reaching the maximum in two steps works, one more does
	 * not, and the failed write leaves the counter alone. */
	CHECK_OK(wr(fd, 10));
	CHECK_ERR(write(fd, &(uint64_t){MAX_COUNT - 9}, 8), EAGAIN);
	CHECK_OK(wr(fd, MAX_COUNT - 10));
	CHECK_ERR(write(fd, &(uint64_t){1}, 8), EAGAIN);
	CHECK_OK(wr(fd, 0));
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, MAX_COUNT);
	CHECK_ERR(read(fd, &v, 8), EAGAIN);
	close(fd);
}

static void readv_split(void)
{
	int fd = new_eventfd(0, EFD_NONBLOCK);
	uint32_t lo, hi;
	uint16_t a, b;
	uint64_t big[2];
	unsigned char c3[3], d3[3];
	struct iovec iov[3];

	CHECK_OK(wr(fd, 0x1122334455667788ULL));
	iov[0].iov_base = &lo;
	iov[0].iov_len = 4;
	iov[1].iov_base = &hi;
	iov[1].iov_len = 4;
	CHECK_EQ(readv(fd, iov, 2), 8);
	CHECK_EQ(lo, 0x55667788U);
	CHECK_EQ(hi, 0x11223344U);

	/* 2 + 2 + 4 */
	CHECK_OK(wr(fd, 0x0102030405060708ULL));
	iov[0].iov_base = &a;
	iov[0].iov_len = 2;
	iov[1].iov_base = &b;
	iov[1].iov_len = 2;
	iov[2].iov_base = &hi;
	iov[2].iov_len = 4;
	CHECK_EQ(readv(fd, iov, 3), 8);
	CHECK_EQ(a, 0x0708);
	CHECK_EQ(b, 0x0506);
	CHECK_EQ(hi, 0x01020304U);

	/* A 16-byte total still returns 8. */
	CHECK_OK(wr(fd, 42));
	big[0] = big[1] = ALL_ONES;
	iov[0].iov_base = &big[0];
	iov[0].iov_len = 8;
	iov[1].iov_base = &big[1];
	iov[1].iov_len = 8;
	CHECK_EQ(readv(fd, iov, 2), 8);
	CHECK_EQ(big[0], 42);
	CHECK_EQ(big[1], ALL_ONES);

	/* A total below 8 is EINVAL even though split. */
	CHECK_OK(wr(fd, 1));
	iov[0].iov_base = c3;
	iov[0].iov_len = 3;
	iov[1].iov_base = d3;
	iov[1].iov_len = 3;
	CHECK_ERR(readv(fd, iov, 2), EINVAL);
	/* A total of 0 is not EINVAL: the VFS returns 0 before eventfd is
	 * called (unlike read(fd, buf, 0)). */
	CHECK_EQ(readv(fd, iov, 0), 0);
	iov[0].iov_len = 0;
	CHECK_EQ(readv(fd, iov, 1), 0);
	/* The counter is still 1. */
	CHECK_OK(rd(fd, &big[0]));
	CHECK_EQ(big[0], 1);
	close(fd);
}

static void writev_segments(void)
{
	int fd = new_eventfd(0, EFD_NONBLOCK);
	uint64_t v, w[2];
	uint32_t half[2];
	struct iovec iov[2];

	/* 4 + 4: each segment is a separate ->write of 4 bytes: EINVAL. */
	v = 5;
	memcpy(half, &v, 8);
	iov[0].iov_base = &half[0];
	iov[0].iov_len = 4;
	iov[1].iov_base = &half[1];
	iov[1].iov_len = 4;
	CHECK_ERR(writev(fd, iov, 2), EINVAL);
	CHECK_ERR(read(fd, &v, 8), EAGAIN);

	/* A single 8-byte iovec works. */
	v = 6;
	iov[0].iov_base = &v;
	iov[0].iov_len = 8;
	CHECK_EQ(writev(fd, iov, 1), 8);
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, 6);

	/* 8 + 8: two separate writes, both added, 16 returned. */
	w[0] = 3;
	w[1] = 4;
	iov[0].iov_base = &w[0];
	iov[0].iov_len = 8;
	iov[1].iov_base = &w[1];
	iov[1].iov_len = 8;
	CHECK_EQ(writev(fd, iov, 2), 16);
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, 7);

	/* 8 + 4: the first write happens, the second fails, and the partial
	 * result (8) is what writev returns. */
	iov[1].iov_len = 4;
	CHECK_EQ(writev(fd, iov, 2), 8);
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, 3);

	/* Zero total length: 0, not EINVAL. */
	CHECK_EQ(writev(fd, iov, 0), 0);
	CHECK_ERR(read(fd, &v, 8), EAGAIN);
	close(fd);
}

static void rwf_flags(void)
{
	int fd = eventfd(0, 0); /* blocking */
	uint64_t v = 0;
	struct iovec iov = {&v, 8};

	CHECK(fd >= 0);
	/* IOCB_NOWAIT from RWF_NOWAIT: EAGAIN on an empty, blocking fd. */
	CHECK_ERR(preadv2(fd, &iov, 1, -1, RWF_NOWAIT), EAGAIN);
	CHECK_OK(wr(fd, 12));
	CHECK_EQ(preadv2(fd, &iov, 1, -1, RWF_NOWAIT), 8);
	CHECK_EQ(v, 12);
	/* eventfd has only ->write: vectored writes with any flag but HIPRI
	 * are EOPNOTSUPP. */
	v = 2;
	CHECK_ERR(pwritev2(fd, &iov, 1, -1, RWF_NOWAIT), EOPNOTSUPP);
	CHECK_ERR(pwritev2(fd, &iov, 1, -1, RWF_APPEND), EOPNOTSUPP);
	CHECK_EQ(pwritev2(fd, &iov, 1, -1, 0), 8);
	/* preadv2/pwritev2 with an explicit offset are ESPIPE. */
	CHECK_ERR(preadv2(fd, &iov, 1, 0, 0), ESPIPE);
	CHECK_ERR(pwritev2(fd, &iov, 1, 0, 0), ESPIPE);
	v = 0;
	CHECK_EQ(preadv2(fd, &iov, 1, -1, 0), 8);
	CHECK_EQ(v, 2);
	close(fd);
}

static void read_efault_consumes(void)
{
	int fd = eventfd(0, EFD_NONBLOCK);
	int sfd = eventfd(0, EFD_NONBLOCK | EFD_SEMAPHORE);
	void *bad = unmapped_page();
	void *ro =
	    mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t v;

	CHECK(fd >= 0 && sfd >= 0 && bad != NULL && ro != MAP_FAILED);
	CHECK_OK(wr(fd, 1234));
	CHECK_ERR(raw_read(fd, bad, 8), EFAULT);
	/* The value was lost. */
	CHECK_ERR(read(fd, &v, 8), EAGAIN);

	/* Same with a read-only page: the kernel's copy-out respects page
	 * protection. */
	CHECK_OK(wr(fd, 99));
	CHECK_ERR(raw_read(fd, ro, 8), EFAULT);
	CHECK_ERR(read(fd, &v, 8), EAGAIN);

	/* Semaphore mode loses exactly one. */
	CHECK_OK(wr(sfd, 3));
	CHECK_ERR(raw_read(sfd, bad, 8), EFAULT);
	CHECK_OK(rd(sfd, &v));
	CHECK_OK(rd(sfd, &v));
	CHECK_ERR(read(sfd, &v, 8), EAGAIN);

	/* On an empty nonblocking fd the EAGAIN comes first. */
	CHECK_ERR(raw_read(fd, bad, 8), EAGAIN);

	/* A pointer above the user address-space limit fails access_ok in
	 * the VFS, before eventfd runs, so nothing is consumed. */
	CHECK_OK(wr(fd, 5));
	CHECK_ERR(raw_read(fd, (void *)0xffff800000000000UL, 8), EFAULT);
	v = 0;
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, 5);

	munmap(bad, 4096);
	munmap(ro, 4096);
	close_fds(fd, sfd);
}

static void blocking_read_woken_by_write(void)
{
	int fd = new_eventfd(0, 0);
	struct op o;

	op_start(&o, fd, OP_READ, 0, 0);
	CHECK(still_blocked(&o, 150));
	CHECK_OK(wr(fd, 42));
	op_finished(&o);
	CHECK_EQ(o.val, 42);
	CHECK(o.t_end - o.t_start >= 140);
	/* The read consumed everything. */
	CHECK_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	CHECK_ERR(read(fd, &o.val, 8), EAGAIN);
	close(fd);
}

static void blocking_read_not_woken_by_zero(void)
{
	/* Writing 0 wakes the reader, but the counter is still 0, so it
	 * goes back to sleep until a real value arrives. */
	int fd = new_eventfd(0, 0);
	struct op o;

	op_start(&o, fd, OP_READ, 0, 0);
	sleep_ms(100);
	CHECK_OK(wr(fd, 0));
	CHECK(still_blocked(&o, 150));
	CHECK_OK(wr(fd, 8));
	op_finished(&o);
	CHECK_EQ(o.val, 8);
	close(fd);
}

static void blocking_write_woken_by_read(void)
{
	int fd = new_eventfd(0, 0);
	struct op o;
	uint64_t v;

	CHECK_OK(wr(fd, MAX_COUNT));
	op_start(&o, fd, OP_WRITE, 5, 0);
	CHECK(still_blocked(&o, 150));
	v = 0;
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, MAX_COUNT);
	op_finished(&o);
	CHECK(o.t_end - o.t_start >= 140);
	v = 0;
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, 5);
	close(fd);
}

static void blocking_write_needs_room(void)
{
	/* A semaphore read frees only 1, which is not enough room for a
	 * pending write of 5: the writer keeps sleeping. */
	int fd = new_eventfd(0, EFD_SEMAPHORE);
	struct op o;
	uint64_t v;
	int i;

	CHECK_OK(wr(fd, MAX_COUNT));
	op_start(&o, fd, OP_WRITE, 5, 0);
	sleep_ms(100);
	CHECK_OK(rd(fd, &v)); /* counter max-1 -> max-2 */
	CHECK(still_blocked(&o, 150));
	for (i = 0; i < 4; i++)
		CHECK_OK(rd(fd, &v)); /* counter max-6: now 5 fits */
	op_finished(&o);
	CHECK_EQ(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	CHECK_ERR(write(fd, &(uint64_t){1}, 8), EAGAIN);
	close(fd);
}

static void two_readers_semaphore(void)
{
	int fd = new_eventfd(0, EFD_SEMAPHORE);
	struct op o[2];
	int i;

	for (i = 0; i < 2; i++)
		op_start(&o[i], fd, OP_READ, 0, 0);
	sleep_ms(150);
	CHECK(!op_done(&o[0]) && !op_done(&o[1]));
	CHECK_OK(wr(fd, 2));
	for (i = 0; i < 2; i++) {
		op_finished(&o[i]);
		CHECK_EQ(o[i].val, 1);
	}
	close(fd);
}

static void two_readers_whole(void)
{
	/* Non-semaphore: one write satisfies exactly one reader. */
	int fd = new_eventfd(0, 0);
	struct op o[2];
	int i, first, second;

	for (i = 0; i < 2; i++)
		op_start(&o[i], fd, OP_READ, 0, 0);
	sleep_ms(150);
	CHECK_OK(wr(fd, 5));
	{
		double end = tl_now_ms() + 5000;
		while (!op_done(&o[0]) && !op_done(&o[1]) && tl_now_ms() < end)
			sleep_ms(5);
	}
	sleep_ms(100);
	CHECK(op_done(&o[0]) != op_done(&o[1]));
	first = op_done(&o[0]) ? 0 : 1;
	second = 1 - first;
	CHECK_EQ(o[first].ret, 8);
	CHECK_EQ(o[first].val, 5);
	CHECK_OK(wr(fd, 6));
	CHECK(op_wait(&o[second], 5000));
	CHECK_EQ(o[second].ret, 8);
	CHECK_EQ(o[second].val, 6);
	for (i = 0; i < 2; i++)
		op_join(&o[i]);
	close(fd);
}

#define POLL_ALL                                                               \
	(POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLRDBAND | POLLWRNORM |   \
	 POLLWRBAND | POLLMSG | POLLRDHUP)

static int revents(int fd, short events)
{
	struct pollfd p = {fd, events, 0};
	int n = poll(&p, 1, 0);

	if (n < 0)
		return -1;
	return p.revents;
}

static void poll_readiness_values(void)
{
	int fd = new_eventfd(0, EFD_NONBLOCK);
	uint64_t v;

	CHECK_EQ(revents(fd, POLLIN | POLLOUT), 0x4);
	CHECK_EQ(revents(fd, POLL_ALL), 0x4);
	CHECK_OK(wr(fd, 1));
	CHECK_EQ(revents(fd, POLL_ALL), 0x5);
	CHECK_OK(rd(fd, &v));
	CHECK_OK(wr(fd, MAX_COUNT - 1)); /* max-2 */
	CHECK_EQ(revents(fd, POLL_ALL), 0x5);
	CHECK_EQ(revents(fd, POLLIN | POLLOUT), 0x5);
	CHECK_OK(wr(fd, 1)); /* max-1 */
	CHECK_EQ(revents(fd, POLL_ALL), 0x1);
	CHECK_EQ(revents(fd, POLLOUT), 0);
	CHECK_EQ(revents(fd, POLLIN), 0x1);
	CHECK_EQ(revents(fd, 0), 0);
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(revents(fd, POLL_ALL), 0x4);
	close(fd);
}

static void poll_semaphore_readiness(void)
{
	int fd = new_eventfd(2, EFD_NONBLOCK | EFD_SEMAPHORE);
	uint64_t v;

	CHECK_EQ(revents(fd, POLLIN | POLLOUT), 0x5);
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(revents(fd, POLLIN | POLLOUT), 0x5);
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(revents(fd, POLLIN | POLLOUT), 0x4);
	close(fd);
}

static void poll_rdnorm_never_ready(void)
{
	int fd = new_eventfd(7, EFD_NONBLOCK);
	struct pollfd p;
	double t0;

	CHECK_EQ(revents(fd, POLLRDNORM), 0);
	CHECK_EQ(revents(fd, POLLWRNORM), 0);
	CHECK_EQ(revents(fd, POLLRDNORM | POLLWRNORM), 0);
	/* A waiting poll is not satisfied by it either. */
	p.fd = fd;
	p.events = POLLRDNORM | POLLWRNORM;
	p.revents = 0x7fff;
	t0 = tl_now_ms();
	CHECK_EQ(poll(&p, 1, 100), 0);
	CHECK(tl_now_ms() - t0 >= 99);
	CHECK_EQ(p.revents, 0);
	close(fd);
}

static void poll_wakes_on_write(void)
{
	/* A poll() sleeping on an empty eventfd wakes when another thread
	 * writes. */
	int fd = eventfd(0, 0);
	struct op o;
	struct pollfd p = {fd, POLLIN, 0};

	CHECK(fd >= 0);
	op_start(&o, fd, OP_WRITE, 3, 150);
	CHECK_EQ(poll(&p, 1, 5000), 1);
	CHECK_EQ(p.revents, POLLIN);
	CHECK(tl_now_ms() - o.t_start >= 140);
	CHECK(tl_now_ms() - o.t_start < 5000);
	op_join(&o);
	CHECK_EQ(o.ret, 8);
	close(fd);
}

static void epoll_wake_keys(void)
{
	/* A write wakes with an IN key even when the value is 0, and a read
	 * wakes with an OUT key. With EPOLLET, each wakeup whose key matches
	 * re-arms the edge; a key that does not match the interest mask is
	 * ignored. */
	int fd = eventfd(3, EFD_NONBLOCK | EFD_SEMAPHORE);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev, out[4];
	uint64_t v;

	CHECK(fd >= 0 && ep >= 0);
	ev.events = EPOLLIN | EPOLLET;
	ev.data.u64 = 1;
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 1);
	CHECK_EQ(out[0].events, EPOLLIN);
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0); /* edge consumed */
	/* A read has an OUT key: it does not re-arm an IN-only entry. */
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
	/* Writing 0 is a wakeup with an IN key: the edge fires again. */
	CHECK_OK(wr(fd, 0));
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 1);
	CHECK_EQ(out[0].events, EPOLLIN);
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);

	/* Now an OUT-only ET entry. */
	ev.events = EPOLLOUT | EPOLLET;
	ev.data.u64 = 2;
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev));
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 1);
	CHECK_EQ(out[0].events, EPOLLOUT);
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
	/* A write (IN key) does not re-arm it. */
	CHECK_OK(wr(fd, 1));
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
	/* A read (OUT key) does. */
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 1);
	CHECK_EQ(out[0].events, EPOLLOUT);
	close_fds(ep, fd);
}

int main(void)
{
	RUN(read_small_buffer_einval);
	RUN(read_large_buffer_returns_8);
	RUN(semaphore_mode);
	RUN(whole_counter_read);
	RUN(eagain_nonblock_empty);
	RUN(setfl_nonblock_toggle);
	RUN(write_count_einval);
	RUN(write_efault_before_value);
	RUN(write_all_ones_einval);
	RUN(overflow_limits);
	RUN(readv_split);
	RUN(writev_segments);
	RUN(rwf_flags);
	RUN(read_efault_consumes);
	RUN(blocking_read_woken_by_write);
	RUN(blocking_read_not_woken_by_zero);
	RUN(blocking_write_woken_by_read);
	RUN(blocking_write_needs_room);
	RUN(two_readers_semaphore);
	RUN(two_readers_whole);
	RUN(poll_readiness_values);
	RUN(poll_semaphore_readiness);
	RUN(poll_rdnorm_never_ready);
	RUN(poll_wakes_on_write);
	RUN(epoll_wake_keys);
	return tl_done();
}
