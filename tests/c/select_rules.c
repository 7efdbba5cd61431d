/* select_rules.c: select(2) (raw SYS_select and glibc, which uses pselect6
 * on x86-64) and pselect6(2) (fs/select.c: kern_select, do_pselect,
 * core_sys_select, max_select_fd, do_select, poll_select_finish).
 *
 * Rules checked here (all verified natively on Linux 6.18):
 * - nfds < 0 -> EINVAL; nfds is an int; nfds is capped to the fd table
 *   size (FDSize in /proc/self/status): bits above it are never read,
 *   checked or written.
 * - Every set bit below nfds must be an open fd (O_PATH counts as open),
 *   in any of the three sets, else EBADF; the three sets are copied in
 *   (EFAULT) before that check.
 * - POLLIN_SET = IN|RDNORM|RDBAND|HUP|ERR|NVAL, POLLOUT_SET =
 *   OUT|WRNORM|WRBAND|ERR|NVAL, POLLEX_SET = PRI|NVAL. The return value
 *   counts bits over the three sets. Output sets are written as whole
 *   longs for nfds bits; not written on EINTR or on an error.
 * - select's timeval: usec is folded into sec before validation
 *   ({-1, 2000000} is 1 s; {0, -1} is EINVAL); pselect6's timespec must
 *   be valid as given. Both write the remaining time back (not for a zero
 *   timeout), also when the call then fails with EBADF or EFAULT.
 * - pselect6's 6th argument points to {const sigset_t *ss; size_t len}.
 * - A handler interrupts with EINTR even with SA_RESTART; SIGSTOP/SIGCONT
 *   restarts with the remaining time.
 */
#include "testlib.h"
#include "testutil.h"
#include "testsig.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

struct sigarg {
	const void *ss;
	size_t len;
};

#define BIGBITS 65536
#define BIGLONGS (BIGBITS / 64)

static long long raw_select(long n, void *r, void *w, void *e, void *tv)
{
	return syscall(SYS_select, n, r, w, e, tv);
}

static long long raw_pselect6(long n, void *r, void *w, void *e, void *ts,
			      void *sig)
{
	return syscall(SYS_pselect6, n, r, w, e, ts, sig);
}

static void bset(unsigned long *s, int fd)
{
	s[fd / 64] |= 1UL << (fd % 64);
}

static int bisset(const unsigned long *s, int fd)
{
	return (s[fd / 64] >> (fd % 64)) & 1;
}

static int fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

/* A closed descriptor number well above the ones the tests allocate. */
static int closed_fd(void)
{
	for (int fd = 200; fd < 1000; fd++)
		if (!fd_is_open(fd))
			return fd;
	return -1;
}

/* Three zeroed big bitmaps. */
static unsigned long big_r[BIGLONGS], big_w[BIGLONGS], big_e[BIGLONGS];

static void big_zero(void)
{
	memset(big_r, 0, sizeof(big_r));
	memset(big_w, 0, sizeof(big_w));
	memset(big_e, 0, sizeof(big_e));
}

static const struct ktv tv_zero = {0, 0};

/* select with a zero timeout, through a copy of the timeval. */
static long long sel0(int n, void *r, void *w, void *e)
{
	struct ktv tv = tv_zero;
	return raw_select(n, r, w, e, &tv);
}

static void nfds_negative_einval(void)
{
	int p[2];
	fd_set r;

	CHECK_OK(pipe2(p, O_CLOEXEC));
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	struct ktv tv = {0, 0};
	struct kts ts = {0, 0};
	CHECK_ERR(raw_select(-1, NULL, NULL, NULL, NULL), EINVAL);
	CHECK_ERR(raw_select(-1, &r, NULL, NULL, &tv), EINVAL);
	CHECK_ERR(raw_select(INT_MIN, &r, NULL, NULL, &tv), EINVAL);
	/* Before the sets are read. */
	CHECK_ERR(raw_select(-1, (void *)8, (void *)8, (void *)8, &tv), EINVAL);
	CHECK_ERR(raw_pselect6(-1, (void *)8, NULL, NULL, &ts, NULL), EINVAL);
	/* nfds is an int: 0xffffffff is -1. */
	CHECK_ERR(raw_select(0xffffffffL, &r, NULL, NULL, &tv), EINVAL);
	/* After the timeout is read. */
	CHECK_ERR(raw_select(-1, NULL, NULL, NULL, (void *)8), EFAULT);
	struct timeval gtv = {0, 0};
	CHECK_ERR(select(-1, &r, NULL, NULL, &gtv), EINVAL);
	close_fds(p[0], p[1]);
}

static void nfds_is_an_int(void)
{
	int p[2];
	fd_set w;

	CHECK_OK(pipe2(p, O_CLOEXEC));
	FD_ZERO(&w);
	FD_SET(p[1], &w);
	CHECK_EQ(sel0((int)0, NULL, NULL, NULL), 0);
	struct ktv tv = {0, 0};
	CHECK_EQ(raw_select(0x100000000L | (p[1] + 1), NULL, &w, NULL, &tv), 1);
	CHECK(FD_ISSET(p[1], &w));
	/* nfds 0 after truncation: bad set pointers are never touched. */
	CHECK_EQ(raw_select((long)0xffffffff00000000UL, (void *)8, (void *)8,
			    (void *)8, &tv),
		 0);
	close_fds(p[0], p[1]);
}

static void nfds_above_fd_table(void)
{
	int p[2];

	CHECK_OK(pipe2(p, O_CLOEXEC));
	CHECK_EQ(write(p[1], "x", 1), 1);
	/* No sets: any nfds. */
	CHECK_EQ(sel0(INT_MAX, NULL, NULL, NULL), 0);
	struct kts ts = {0, 0};
	CHECK_EQ(raw_pselect6(INT_MAX, NULL, NULL, NULL, &ts, NULL), 0);
	/* With large sets. */
	big_zero();
	bset(big_r, p[0]);
	bset(big_w, p[1]);
	CHECK_EQ(sel0(INT_MAX, big_r, big_w, big_e), 2);
	CHECK(bisset(big_r, p[0]));
	CHECK(bisset(big_w, p[1]));
	/* An fd above FD_SETSIZE works with a big enough bitmap. */
	int hi = fcntl(p[0], F_DUPFD_CLOEXEC, 1500);
	CHECK(hi >= 1500);
	if (hi >= 1500 && hi < BIGBITS) {
		big_zero();
		bset(big_r, hi);
		CHECK_EQ(sel0(hi + 1, big_r, big_w, big_e), 1);
		CHECK(bisset(big_r, hi));
		close(hi);
	}
	close_fds(p[0], p[1]);
}

static void nfds_capped_to_fd_table(void)
{
	/* Bits at or above the fd table size are not read: a closed fd
	 * there is no EBADF and its bit is left as it was. */
	int p[2];

	CHECK_OK(pipe2(p, O_CLOEXEC));
	CHECK_EQ(write(p[1], "x", 1), 1);
	int size = fdtable_size();
	CHECK(size >= 64 && size < BIGBITS - 200);
	if (size < 64 || size >= BIGBITS - 200)
		return;
	int above = size + 100; /* beyond the table: cannot be open */
	big_zero();
	bset(big_r, p[0]);
	bset(big_r, above);
	bset(big_e, above + 1);
	CHECK_EQ(sel0(INT_MAX, big_r, big_w, big_e), 1);
	CHECK(bisset(big_r, p[0]));
	CHECK(bisset(big_r, above));
	CHECK(bisset(big_e, above + 1));
	/* The same bit passed explicitly as part of nfds is no different:
	 * still capped. */
	CHECK_EQ(sel0(above + 2, big_r, big_w, big_e), 1);
	CHECK(bisset(big_r, above));
	/* A closed fd below the table size is EBADF. */
	int low = -1;
	for (int fd = size - 1; fd >= 0; fd--)
		if (!fd_is_open(fd)) {
			low = fd;
			break;
		}
	CHECK(low >= 0);
	big_zero();
	bset(big_r, p[0]);
	bset(big_w, low);
	CHECK_ERR(sel0(INT_MAX, big_r, big_w, big_e), EBADF);
	close_fds(p[0], p[1]);
}

static void ebadf_closed_fd_any_set(void)
{
	int p[2];
	int bad = closed_fd();
	unsigned long *sets[3] = {big_r, big_w, big_e};

	CHECK_OK(pipe2(p, O_CLOEXEC));
	CHECK(bad > 0);
	for (int i = 0; i < 3; i++) {
		big_zero();
		bset(big_r, p[0]);
		bset(big_w, p[1]);
		bset(sets[i], bad);
		struct ktv tv = {0, 0};
		CHECK_ERR(raw_select(bad + 1, big_r, big_w, big_e, &tv), EBADF);
		struct kts ts = {0, 0};
		CHECK_ERR(raw_pselect6(bad + 1, big_r, big_w, big_e, &ts, NULL),
			  EBADF);
		/* The sets are not rewritten on error. */
		CHECK(bisset(big_r, p[0]));
		CHECK(bisset(big_w, p[1]));
		CHECK(bisset(sets[i], bad));
	}
	/* glibc's select too. */
	fd_set r;
	FD_ZERO(&r);
	FD_SET(bad, &r);
	struct timeval gtv = {0, 0};
	CHECK_ERR(select(bad + 1, &r, NULL, NULL, &gtv), EBADF);
	/* EBADF comes before any wait. */
	double t0 = tl_now_ms();
	struct ktv tv = {3, 0};
	CHECK_ERR(raw_select(bad + 1, &r, NULL, NULL, &tv), EBADF);
	CHECK(tl_now_ms() - t0 < 1000);
	close_fds(p[0], p[1]);
}

static void closed_fd_at_or_above_nfds_ignored(void)
{
	/* Bits at or above nfds are not checked. The output is written as
	 * whole longs covering nfds bits: higher bits in the same long come
	 * back cleared, bits in later longs are untouched. */
	int p[2];
	int bad = closed_fd();

	CHECK_OK(pipe2(p, O_CLOEXEC));
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK(p[0] < 60);
	big_zero();
	bset(big_r, p[0]);
	bset(big_r, 62);  /* same long as p[0], above nfds */
	bset(big_r, bad); /* a later long */
	bset(big_e, 63);
	CHECK_EQ(sel0(p[0] + 1, big_r, big_w, big_e), 1);
	CHECK(bisset(big_r, p[0]));
	CHECK(!bisset(big_r, 62));
	CHECK(!bisset(big_e, 63));
	CHECK(bisset(big_r, bad));
	/* nfds == bad: the closed fd is just outside. */
	big_zero();
	bset(big_r, p[0]);
	bset(big_r, bad);
	CHECK_EQ(sel0(bad, big_r, big_w, big_e), 1);
	/* Cleared when the long holding it is covered by nfds bits. */
	CHECK_EQ(bisset(big_r, bad), bad % 64 == 0);
	close_fds(p[0], p[1]);
}

static void efault_before_ebadf(void)
{
	int bad = closed_fd();
	fd_set r, e;

	FD_ZERO(&r);
	FD_ZERO(&e);
	FD_SET(bad, &e);
	CHECK_ERR(sel0(bad + 1, (void *)8, NULL, &e), EFAULT);
	FD_SET(bad, &r);
	CHECK_ERR(sel0(bad + 1, &r, NULL, (void *)8), EFAULT);
	CHECK_ERR(sel0(bad + 1, &r, (void *)8, NULL), EFAULT);
}

static void bad_set_pointer_efault(void)
{
	int p[2];
	fd_set r;

	CHECK_OK(pipe2(p, O_CLOEXEC));
	FD_ZERO(&r);
	FD_SET(p[1], &r);
	CHECK_ERR(sel0(p[1] + 1, (void *)8, NULL, NULL), EFAULT);
	CHECK_ERR(sel0(p[1] + 1, NULL, (void *)8, NULL), EFAULT);
	CHECK_ERR(sel0(p[1] + 1, NULL, NULL, (void *)-64L), EFAULT);
	struct kts ts = {0, 0};
	CHECK_ERR(raw_pselect6(p[1] + 1, NULL, (void *)8, NULL, &ts, NULL),
		  EFAULT);
	/* nfds 0: the sets are neither read nor written. */
	CHECK_EQ(sel0(0, (void *)8, (void *)8, (void *)8), 0);
	/* A set straddling into an unmapped page: only FDS_BYTES(nfds)
	 * (whole longs) are read. */
	char *end = mem_edge(0);
	if (!end)
		return;
	unsigned long *tail = (unsigned long *)(end - 8);
	*tail = 1UL << p[1];
	CHECK_EQ(sel0(64, NULL, tail, NULL), 1);
	CHECK_EQ(*tail, 1UL << p[1]);
	CHECK_ERR(sel0(65, NULL, tail, NULL), EFAULT);
	mem_edge_free(end, 0);
	close_fds(p[0], p[1]);
}

static void readonly_set_efault_after_wait(void)
{
	int p[2];

	CHECK_OK(pipe2(p, O_CLOEXEC));
	/* the read end: not readable */
	unsigned long *ro =
	    ro_copy((unsigned long[2]){1UL << p[0], 0}, 2 * sizeof(*ro));
	if (!ro)
		return;
	/* Timed out: the zeroed set is written back: EFAULT, after the wait. */
	double t0 = tl_now_ms();
	struct ktv tv = {0, 100000};
	CHECK_ERR(raw_select(p[0] + 1, ro, NULL, NULL, &tv), EFAULT);
	CHECK(tl_now_ms() - t0 >= 99.5);
	/* Ready elsewhere: EFAULT writing the read-only set. */
	unsigned long w = 1UL << p[1];
	CHECK_ERR(sel0(p[1] + 1, ro, &w, NULL), EFAULT);
	/* Zero timeout, nothing ready: still written, EFAULT. */
	CHECK_ERR(sel0(p[0] + 1, ro, NULL, NULL), EFAULT);
	CHECK_EQ(ro[0], 1UL << p[0]);
	munmap(ro, 4096);
	close_fds(p[0], p[1]);
}

static void pipe_mapping(void)
{
	int p[2];
	fd_set r, w, e;

	CHECK_OK(pipe2(p, O_CLOEXEC));
	int n = (p[0] > p[1] ? p[0] : p[1]) + 1;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&e);
	FD_SET(p[0], &r);
	FD_SET(p[1], &r);
	FD_SET(p[0], &w);
	FD_SET(p[1], &w);
	FD_SET(p[0], &e);
	FD_SET(p[1], &e);
	CHECK_EQ(sel0(n, &r, &w, &e), 1);
	CHECK(!FD_ISSET(p[0], &r) && !FD_ISSET(p[1], &r));
	CHECK(!FD_ISSET(p[0], &w) && FD_ISSET(p[1], &w));
	CHECK(!FD_ISSET(p[0], &e) && !FD_ISSET(p[1], &e));
	CHECK_EQ(write(p[1], "x", 1), 1);
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	CHECK_EQ(sel0(n, &r, &w, NULL), 2);
	CHECK(FD_ISSET(p[0], &r) && FD_ISSET(p[1], &w));
	close_fds(p[0], p[1]);

	/* Read end after the writer closed: HUP -> readable only. */
	CHECK_OK(pipe2(p, O_CLOEXEC));
	close(p[1]);
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&e);
	FD_SET(p[0], &r);
	FD_SET(p[0], &w);
	FD_SET(p[0], &e);
	CHECK_EQ(sel0(p[0] + 1, &r, &w, &e), 1);
	CHECK(FD_ISSET(p[0], &r) && !FD_ISSET(p[0], &w) && !FD_ISSET(p[0], &e));
	close(p[0]);

	/* Write end after the reader closed: ERR -> readable and writable,
	 * not exceptional. */
	CHECK_OK(pipe2(p, O_CLOEXEC));
	close(p[0]);
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&e);
	FD_SET(p[1], &r);
	FD_SET(p[1], &w);
	FD_SET(p[1], &e);
	CHECK_EQ(sel0(p[1] + 1, &r, &w, &e), 2);
	CHECK(FD_ISSET(p[1], &r) && FD_ISSET(p[1], &w) && !FD_ISSET(p[1], &e));
	close(p[1]);
}

static void file_and_opath_mapping(void)
{
	fd_set r, w, e;
	int f = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int dn = open("/dev/null", O_WRONLY | O_CLOEXEC);
	int op = open("/", O_PATH | O_CLOEXEC);

	CHECK(f >= 0 && dn >= 0 && op >= 0);
	/* Not pollable: DEFAULT_POLLMASK -> readable and writable. */
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&e);
	FD_SET(f, &r);
	FD_SET(f, &w);
	FD_SET(f, &e);
	FD_SET(dn, &r);
	FD_SET(dn, &e);
	int n = (f > dn ? f : dn) + 1;
	CHECK_EQ(sel0(n, &r, &w, &e), 3);
	CHECK(FD_ISSET(f, &r) && FD_ISSET(f, &w) && !FD_ISSET(f, &e));
	CHECK(FD_ISSET(dn, &r) && !FD_ISSET(dn, &e));
	/* O_PATH: open in the table (no EBADF), polls as NVAL, which is in
	 * all three sets. */
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&e);
	FD_SET(op, &r);
	FD_SET(op, &w);
	FD_SET(op, &e);
	CHECK_EQ(sel0(op + 1, &r, &w, &e), 3);
	CHECK(FD_ISSET(op, &r) && FD_ISSET(op, &w) && FD_ISSET(op, &e));
	FD_ZERO(&r);
	FD_SET(op, &r);
	double t0 = tl_now_ms();
	struct ktv tv = {3, 0};
	CHECK_EQ(raw_select(op + 1, &r, NULL, NULL, &tv), 1);
	CHECK(tl_now_ms() - t0 < 1000);
	close_fds(f, dn, op);
}

static void oob_data_in_exceptfds(void)
{
	struct sockaddr_in a;
	socklen_t al;
	int l = tcp_listener(&a, &al, 1);
	int t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	fd_set r, w, e;

	CHECK(t >= 0);
	/* Listening socket: readable once a connection is pending. */
	FD_ZERO(&r);
	FD_SET(l, &r);
	CHECK_EQ(sel0(l + 1, &r, NULL, NULL), 0);
	CHECK_OK(connect(t, (struct sockaddr *)&a, al));
	FD_SET(l, &r);
	struct ktv tv = {2, 0};
	CHECK_EQ(raw_select(l + 1, &r, NULL, NULL, &tv), 1);
	int c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	CHECK(c >= 0);
	FD_ZERO(&e);
	FD_SET(c, &e);
	CHECK_EQ(sel0(c + 1, NULL, NULL, &e), 0);
	CHECK_EQ(send(t, "!", 1, MSG_OOB), 1);
	FD_SET(c, &e);
	tv.tv_sec = 2;
	tv.tv_usec = 0;
	CHECK_EQ(raw_select(c + 1, NULL, NULL, &e, &tv), 1);
	CHECK(FD_ISSET(c, &e));
	/* The urgent byte alone is not normal data: not readable. */
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&e);
	FD_SET(c, &r);
	FD_SET(c, &w);
	FD_SET(c, &e);
	CHECK_EQ(sel0(c + 1, &r, &w, &e), 2);
	CHECK(!FD_ISSET(c, &r) && FD_ISSET(c, &w) && FD_ISSET(c, &e));
	char ch = 0;
	CHECK_EQ(recv(c, &ch, 1, MSG_OOB), 1);
	CHECK_EQ(ch, '!');
	FD_ZERO(&e);
	FD_SET(c, &e);
	CHECK_EQ(sel0(c + 1, NULL, NULL, &e), 0);
	close_fds(c, t, l);
}

static void return_counts_bits(void)
{
	int efd = eventfd(1, EFD_CLOEXEC);
	int p[2];
	fd_set r, w, e;

	CHECK_OK(pipe2(p, O_CLOEXEC));
	int n = efd > p[1] ? efd : p[1];
	n = (n > p[0] ? n : p[0]) + 1;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&e);
	FD_SET(efd, &r);
	FD_SET(efd, &w);
	FD_SET(efd, &e);
	FD_SET(p[1], &r);
	FD_SET(p[1], &w);
	FD_SET(p[0], &r);
	/* efd: r+w; p[1]: w; p[0]: nothing. */
	CHECK_EQ(sel0(n, &r, &w, &e), 3);
	CHECK(FD_ISSET(efd, &r) && FD_ISSET(efd, &w) && !FD_ISSET(efd, &e));
	CHECK(!FD_ISSET(p[1], &r) && FD_ISSET(p[1], &w));
	CHECK(!FD_ISSET(p[0], &r));
	/* The same through pselect6 and glibc. */
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(efd, &r);
	FD_SET(efd, &w);
	FD_SET(p[1], &w);
	struct kts ts = {0, 0};
	CHECK_EQ(raw_pselect6(n, &r, &w, NULL, &ts, NULL), 3);
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(efd, &r);
	FD_SET(efd, &w);
	struct timeval gtv = {0, 0};
	CHECK_EQ(select(n, &r, &w, NULL, &gtv), 2);
	close_fds(efd, p[0], p[1]);
}

static void sets_rewritten_on_timeout(void)
{
	int p[2];
	fd_set r, w, e;

	CHECK_OK(pipe2(p, O_CLOEXEC));
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&e);
	FD_SET(p[0], &r);
	FD_SET(p[0], &e);
	FD_SET(p[1], &e);
	struct ktv tv = {0, 50000};
	double t0 = tl_now_ms();
	CHECK_EQ(raw_select(p[1] + 1, &r, &w, &e, &tv), 0);
	CHECK(tl_now_ms() - t0 >= 49.5);
	CHECK(!FD_ISSET(p[0], &r));
	CHECK(!FD_ISSET(p[0], &e) && !FD_ISSET(p[1], &e));
	CHECK_EQ(tv.tv_sec, 0);
	CHECK_EQ(tv.tv_usec, 0);
	close_fds(p[0], p[1]);
}

static void null_sets_sleep(void)
{
	struct ktv tv = {0, 100000};
	double t0 = tl_now_ms();
	CHECK_EQ(raw_select(0, NULL, NULL, NULL, &tv), 0);
	double el = tl_now_ms() - t0;
	CHECK(el >= 99.5 && el < 2000);
	CHECK_EQ(tv.tv_sec, 0);
	CHECK_EQ(tv.tv_usec, 0);
	struct kts ts = {0, 100000000};
	t0 = tl_now_ms();
	CHECK_EQ(raw_pselect6(10, NULL, NULL, NULL, &ts, NULL), 0);
	el = tl_now_ms() - t0;
	CHECK(el >= 99.5 && el < 2000);
	CHECK_EQ(ts.tv_sec, 0);
	CHECK_EQ(ts.tv_nsec, 0);
}

static void select_timeout_validation(void)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	fd_set w;
	const struct ktv bad[] = {
	    {-1, 0}, {0, -1}, {1, -1}, {LLONG_MIN, 0}, {-2, 999999},
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ktv tv = bad[i];
		FD_ZERO(&w);
		FD_SET(efd, &w);
		CHECK_ERR(raw_select(efd + 1, NULL, &w, NULL, &tv), EINVAL);
		CHECK_EQ(tv.tv_sec, bad[i].tv_sec);
		CHECK_EQ(tv.tv_usec, bad[i].tv_usec);
	}
	CHECK_ERR(raw_select(efd + 1, NULL, &w, NULL, (void *)8), EFAULT);
	/* usec is folded into sec first: {-1, 2000000} is one second,
	 * {0, 1500000} is 1.5 s, {1, -1000000} is zero. */
	struct ktv tv = {-1, 2000000};
	FD_ZERO(&w);
	FD_SET(efd, &w);
	CHECK_EQ(raw_select(efd + 1, NULL, &w, NULL, &tv), 1);
	CHECK_EQ(tv.tv_sec, 0);
	CHECK(tv.tv_usec > 900000 && tv.tv_usec < 1000000);
	tv.tv_sec = 0;
	tv.tv_usec = 1500000;
	CHECK_EQ(raw_select(efd + 1, NULL, &w, NULL, &tv), 1);
	CHECK_EQ(tv.tv_sec, 1);
	CHECK(tv.tv_usec > 400000 && tv.tv_usec < 500000);
	/* Zero timeout: not blocking, not written back. */
	tv.tv_sec = 1;
	tv.tv_usec = -1000000;
	FD_ZERO(&w);
	double t0 = tl_now_ms();
	CHECK_EQ(raw_select(efd + 1, NULL, &w, NULL, &tv), 0);
	CHECK(tl_now_ms() - t0 < 500);
	CHECK_EQ(tv.tv_sec, 1);
	CHECK_EQ(tv.tv_usec, -1000000);
	/* glibc rejects negative fields itself. */
	struct timeval gtv = {0, -1};
	CHECK_ERR(select(0, NULL, NULL, NULL, &gtv), EINVAL);
	close(efd);
}

static void select_timeout_writeback(void)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	fd_set w;

	/* Ready at once on 5 s: ~4.999999 s left. */
	struct ktv tv = {5, 0};
	FD_ZERO(&w);
	FD_SET(efd, &w);
	CHECK_EQ(raw_select(efd + 1, NULL, &w, NULL, &tv), 1);
	CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	CHECK(ktv_ms(&tv) < 5000.0 && ktv_ms(&tv) > 4500.0);
	/* glibc's select writes it back too (it goes through pselect6). */
	struct timeval gtv = {5, 0};
	FD_SET(efd, &w);
	CHECK_EQ(select(efd + 1, NULL, &w, NULL, &gtv), 1);
	CHECK(gtv.tv_sec == 4 && gtv.tv_usec > 500000);
	/* Even on EBADF, after the timeout was set up. */
	int bad = closed_fd();
	fd_set r;
	FD_ZERO(&r);
	FD_SET(bad, &r);
	tv.tv_sec = 5;
	tv.tv_usec = 0;
	CHECK_ERR(raw_select(bad + 1, &r, NULL, NULL, &tv), EBADF);
	CHECK(ktv_ms(&tv) < 5000.0 && ktv_ms(&tv) > 4500.0);
	/* And on EINVAL for nfds < 0 and EFAULT for a set. */
	tv.tv_sec = 5;
	tv.tv_usec = 0;
	CHECK_ERR(raw_select(-1, NULL, NULL, NULL, &tv), EINVAL);
	CHECK(ktv_ms(&tv) < 5000.0 && ktv_ms(&tv) > 4500.0);
	tv.tv_sec = 5;
	tv.tv_usec = 0;
	CHECK_ERR(raw_select(10, (void *)8, NULL, NULL, &tv), EFAULT);
	CHECK(ktv_ms(&tv) < 5000.0 && ktv_ms(&tv) > 4500.0);
	/* A read-only timeval: the write-back fault is ignored. */
	struct ktv *ro = ro_copy(&(struct ktv){0, 50000}, sizeof(*ro));
	if (ro) {
		FD_SET(efd, &w);
		CHECK_EQ(raw_select(efd + 1, NULL, &w, NULL, ro), 1);
		FD_ZERO(&r);
		FD_SET(efd, &r);
		double t0 = tl_now_ms();
		CHECK_EQ(raw_select(efd + 1, &r, NULL, NULL, ro), 0);
		CHECK(tl_now_ms() - t0 >= 49.5);
		CHECK_EQ(ro->tv_usec, 50000);
		munmap(ro, 4096);
	}
	close(efd);
}

static void pselect6_timespec(void)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	fd_set w;
	const struct kts bad[] = {
	    {0, 1000000000},
	    {-1, 0},
	    {0, -1},
	    {-1, 2000000000},
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kts ts = bad[i];
		FD_ZERO(&w);
		FD_SET(efd, &w);
		CHECK_ERR(raw_pselect6(efd + 1, NULL, &w, NULL, &ts, NULL),
			  EINVAL);
		CHECK_EQ(ts.tv_sec, bad[i].tv_sec);
		CHECK_EQ(ts.tv_nsec, bad[i].tv_nsec);
	}
	CHECK_ERR(raw_pselect6(efd + 1, NULL, &w, NULL, (void *)8, NULL),
		  EFAULT);
	/* The kernel writes the remaining time back (glibc's pselect hides
	 * this by passing a copy). */
	struct kts ts = {5, 0};
	FD_ZERO(&w);
	FD_SET(efd, &w);
	CHECK_EQ(raw_pselect6(efd + 1, NULL, &w, NULL, &ts, NULL), 1);
	CHECK(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);
	CHECK(kts_ms(&ts) < 5000.0 && kts_ms(&ts) > 4500.0);
	ts.tv_sec = 0;
	ts.tv_nsec = 40000000;
	FD_ZERO(&w);
	CHECK_EQ(raw_pselect6(efd + 1, NULL, &w, NULL, &ts, NULL), 0);
	CHECK_EQ(ts.tv_sec, 0);
	CHECK_EQ(ts.tv_nsec, 0);
	struct timespec gts = {5, 0};
	FD_SET(efd, &w);
	CHECK_EQ(pselect(efd + 1, NULL, &w, NULL, &gts, NULL), 1);
	CHECK_EQ(gts.tv_sec, 5);
	CHECK_EQ(gts.tv_nsec, 0);
	close(efd);
}

/* pselect6 on an always-writable eventfd, zero timeout, given 6th arg. */
static long long ps_sig(int efd, void *sigp)
{
	fd_set w;
	struct kts z = {0, 0};

	FD_ZERO(&w);
	FD_SET(efd, &w);
	return raw_pselect6(efd + 1, NULL, &w, NULL, &z, sigp);
}

static void pselect6_sigmask_argument(void)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	uint64_t m = 0;
	struct sigarg a;

	CHECK_EQ(ps_sig(efd, NULL), 1);
	a = (struct sigarg){NULL, 4};
	CHECK_EQ(ps_sig(efd, &a), 1);
	a = (struct sigarg){NULL, 12345};
	CHECK_EQ(ps_sig(efd, &a), 1);
	a = (struct sigarg){&m, 8};
	CHECK_EQ(ps_sig(efd, &a), 1);
	a = (struct sigarg){&m, 4};
	CHECK_ERR(ps_sig(efd, &a), EINVAL);
	a = (struct sigarg){&m, 16};
	CHECK_ERR(ps_sig(efd, &a), EINVAL);
	a = (struct sigarg){&m, 0};
	CHECK_ERR(ps_sig(efd, &a), EINVAL);
	a = (struct sigarg){(void *)8, 8};
	CHECK_ERR(ps_sig(efd, &a), EFAULT);
	a = (struct sigarg){(void *)8, 4};
	CHECK_ERR(ps_sig(efd, &a), EINVAL);
	CHECK_ERR(ps_sig(efd, (void *)8), EFAULT);
	/* The pair straddling into an unmapped page. */
	char *end = mem_edge(0);
	if (end) {
		struct sigarg *edge = (struct sigarg *)(end - 8);
		edge->ss = NULL;
		CHECK_ERR(ps_sig(efd, edge), EFAULT);
		mem_edge_free(end, 0);
	}
	close(efd);
}

static void pselect6_check_order(void)
{
	uint64_t m = 0;
	struct kts neg = {-1, 0};
	struct kts z = {0, 0};
	struct sigarg small = {&m, 4};
	struct sigarg badp = {(void *)8, 8};
	int bad = closed_fd();
	fd_set r;

	FD_ZERO(&r);
	FD_SET(bad, &r);
	/* The {mask, size} pair is read first of all. */
	CHECK_ERR(raw_pselect6(-1, NULL, NULL, NULL, &neg, (void *)8), EFAULT);
	/* Then the timespec (copy, then value). */
	CHECK_ERR(raw_pselect6(0, NULL, NULL, NULL, (void *)8, &small), EFAULT);
	CHECK_ERR(raw_pselect6(0, NULL, NULL, NULL, &neg, &badp), EINVAL);
	/* Then the mask; the mask read beats nfds < 0. */
	CHECK_ERR(raw_pselect6(-1, NULL, NULL, NULL, &z, &badp), EFAULT);
	/* nfds < 0 beats the sets. */
	CHECK_ERR(raw_pselect6(-1, (void *)8, NULL, NULL, &z, NULL), EINVAL);
	/* The sets beat EBADF. */
	CHECK_ERR(raw_pselect6(bad + 1, &r, (void *)8, NULL, &z, NULL), EFAULT);
	CHECK_ERR(raw_pselect6(bad + 1, &r, NULL, NULL, &z, NULL), EBADF);
	/* The mask size EINVAL and the nfds EINVAL, told apart by the
	 * write-back of the timeout (only the later one writes it). */
	struct kts ts = {5, 0};
	CHECK_ERR(raw_pselect6(-1, NULL, NULL, NULL, &ts, &small), EINVAL);
	CHECK_EQ(ts.tv_sec, 5);
	CHECK_EQ(ts.tv_nsec, 0);
	struct sigarg good = {&m, 8};
	CHECK_ERR(raw_pselect6(-1, NULL, NULL, NULL, &ts, &good), EINVAL);
	CHECK(ts.tv_sec == 4 && ts.tv_nsec > 0);
}

static void epoll_fd_in_select(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int efd = eventfd(0, EFD_CLOEXEC);
	fd_set r, w, e;
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};

	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev));
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&e);
	FD_SET(ep, &r);
	FD_SET(ep, &w);
	FD_SET(ep, &e);
	CHECK_EQ(sel0(ep + 1, &r, &w, &e), 0);
	uint64_t one = 1;
	CHECK_EQ(write(efd, &one, 8), 8);
	FD_SET(ep, &r);
	FD_SET(ep, &w);
	FD_SET(ep, &e);
	CHECK_EQ(sel0(ep + 1, &r, &w, &e), 1);
	CHECK(FD_ISSET(ep, &r) && !FD_ISSET(ep, &w) && !FD_ISSET(ep, &e));
	/* Drained: the stale entry does not make it readable. */
	CHECK_EQ(read(efd, &one, 8), 8);
	FD_SET(ep, &r);
	CHECK_EQ(sel0(ep + 1, &r, NULL, NULL), 0);
	close_fds(efd, ep);
}

static void eventfd_in_select(void)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	fd_set r, w, e;
	uint64_t v;

#define SET3()                                                                 \
	do {                                                                   \
		FD_ZERO(&r);                                                   \
		FD_ZERO(&w);                                                   \
		FD_ZERO(&e);                                                   \
		FD_SET(efd, &r);                                               \
		FD_SET(efd, &w);                                               \
		FD_SET(efd, &e);                                               \
	} while (0)
	SET3();
	CHECK_EQ(sel0(efd + 1, &r, &w, &e), 1);
	CHECK(!FD_ISSET(efd, &r) && FD_ISSET(efd, &w) && !FD_ISSET(efd, &e));
	v = 1;
	CHECK_EQ(write(efd, &v, 8), 8);
	SET3();
	CHECK_EQ(sel0(efd + 1, &r, &w, &e), 2);
	CHECK(FD_ISSET(efd, &r) && FD_ISSET(efd, &w) && !FD_ISSET(efd, &e));
	v = 0xfffffffffffffffdULL; /* counter max-1 */
	CHECK_EQ(write(efd, &v, 8), 8);
	SET3();
	CHECK_EQ(sel0(efd + 1, &r, &w, &e), 1);
	CHECK(FD_ISSET(efd, &r) && !FD_ISSET(efd, &w) && !FD_ISSET(efd, &e));
#undef SET3
	close(efd);
}

/* ---- blocking and signals ---- */

struct script {
	pthread_t th;
	int fd;
	int delay_ms;
};

static void *script_main(void *arg)
{
	struct script *s = arg;
	uint64_t one = 1;

	sleep_ms(s->delay_ms);
	if (write(s->fd, &one, 8) != 8)
		perror("script write");
	return NULL;
}

static void select_woken_by_thread(void)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	int p[2];
	fd_set r;
	struct script s = {.fd = efd, .delay_ms = 150};

	CHECK_OK(pipe2(p, O_CLOEXEC));
	FD_ZERO(&r);
	FD_SET(efd, &r);
	FD_SET(p[0], &r);
	int n = (efd > p[0] ? efd : p[0]) + 1;
	pthread_create(&s.th, NULL, script_main, &s);
	double t0 = tl_now_ms();
	CHECK_EQ(raw_select(n, &r, NULL, NULL, NULL), 1);
	double el = tl_now_ms() - t0;
	CHECK(el >= 100 && el < 3000);
	CHECK(FD_ISSET(efd, &r) && !FD_ISSET(p[0], &r));
	pthread_join(s.th, NULL);
	uint64_t v;
	CHECK_EQ(read(efd, &v, 8), 8);
	/* pselect6 with a timeout: the remaining time is written back. */
	FD_ZERO(&r);
	FD_SET(efd, &r);
	s.delay_ms = 200;
	pthread_create(&s.th, NULL, script_main, &s);
	struct kts ts = {3, 0};
	t0 = tl_now_ms();
	CHECK_EQ(raw_pselect6(efd + 1, &r, NULL, NULL, &ts, NULL), 1);
	el = tl_now_ms() - t0;
	pthread_join(s.th, NULL);
	CHECK(kts_ms(&ts) < 2850.0 && kts_ms(&ts) > 1000.0);
	CHECK(kts_ms(&ts) + el > 2950.0 && kts_ms(&ts) + el < 3300.0);
	close_fds(efd, p[0], p[1]);
}

static void select_sa_restart_handler_eintr(void)
{
	int p[2];
	fd_set r, e;
	struct sender s;

	CHECK_OK(pipe2(p, O_CLOEXEC));
	install(SIGUSR1, SA_RESTART);
	FD_ZERO(&r);
	FD_ZERO(&e);
	FD_SET(p[0], &r);
	FD_SET(p[1], &r);
	FD_SET(p[0], &e);
	sender_start(&s, SYS_select, SIGUSR1, 30, 5000);
	struct ktv tv = {3, 0};
	double t0 = tl_now_ms();
	CHECK_ERR(raw_select(p[1] + 1, &r, NULL, &e, &tv), EINTR);
	double t1 = tl_now_ms();
	sender_handled(&s, t1);
	/* Sets untouched, remaining time written back. */
	CHECK(FD_ISSET(p[0], &r) && FD_ISSET(p[1], &r) && FD_ISSET(p[0], &e));
	CHECK(ktv_ms(&tv) < 2995.0 && ktv_ms(&tv) > 500.0);
	CHECK(ktv_ms(&tv) + (t1 - t0) > 2950.0 &&
	      ktv_ms(&tv) + (t1 - t0) < 3300.0);
	set_disposition(SIGUSR1, SIG_DFL);
	close_fds(p[0], p[1]);
}

static void pselect6_and_glibc_select_eintr(void)
{
	int p[2];
	fd_set r;
	struct sender s;

	CHECK_OK(pipe2(p, O_CLOEXEC));
	install(SIGUSR1, SA_RESTART);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	sender_start(&s, SYS_pselect6, SIGUSR1, 30, 5000);
	struct kts ts = {3, 0};
	CHECK_ERR(raw_pselect6(p[0] + 1, &r, NULL, NULL, &ts, NULL), EINTR);
	double t1 = tl_now_ms();
	sender_handled(&s, t1);
	CHECK(FD_ISSET(p[0], &r));
	CHECK(kts_ms(&ts) < 2995.0 && kts_ms(&ts) > 500.0);

	/* glibc select, infinite timeout (handler installed without
	 * SA_RESTART this time). */
	install(SIGUSR1, 0);
	sender_start(&s, SYS_pselect6, SIGUSR1, 30, 5000);
	CHECK_ERR(select(p[0] + 1, &r, NULL, NULL, NULL), EINTR);
	t1 = tl_now_ms();
	sender_handled(&s, t1);
	set_disposition(SIGUSR1, SIG_DFL);
	close_fds(p[0], p[1]);
}

static void pselect6_mask_blocks_arriving_signal(void)
{
	int p[2];
	fd_set r;
	struct sender s;
	uint64_t m = 1ULL << (SIGUSR1 - 1);
	struct sigarg a = {&m, 8};

	CHECK_OK(pipe2(p, O_CLOEXEC));
	install(SIGUSR1, 0);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	sender_start(&s, SYS_pselect6, SIGUSR1, 30, 5000);
	struct kts ts = {0, 400000000};
	double t0 = tl_now_ms();
	CHECK_EQ(raw_pselect6(p[0] + 1, &r, NULL, NULL, &ts, &a), 0);
	double t1 = tl_now_ms();
	pthread_join(s.th, NULL);
	CHECK(s.found);
	CHECK(t1 - t0 >= 399.5);
	CHECK(s.sent_at < t0 + 350);
	/* Delivered only once the old mask was back. */
	CHECK_EQ(handler_runs, 1);
	CHECK(handler_time >= t0 + 399.5);
	set_disposition(SIGUSR1, SIG_DFL);
	close_fds(p[0], p[1]);
}

static void pselect6_mask_unblocks_pending(void)
{
	int p[2];
	fd_set r;
	uint64_t m = 0;
	struct sigarg a = {&m, 8};
	sigset_t s1, old;

	CHECK_OK(pipe2(p, O_CLOEXEC));
	install(SIGUSR1, SA_RESTART);
	sigemptyset(&s1);
	sigaddset(&s1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &s1, &old);
	raise(SIGUSR1);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	struct kts z = {0, 0};
	long long ret = raw_pselect6(p[0] + 1, &r, NULL, NULL, &z, &a);
	int e = errno;
	CHECK_EQ(ret, -1);
	CHECK_EQ(e, EINTR);
	CHECK_EQ(handler_runs, 1);
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	CHECK(sigismember(&now, SIGUSR1));
	/* drain, restore */
	struct timespec zz = {0, 0};
	while (sigtimedwait(&s1, NULL, &zz) == SIGUSR1)
		;
	sigprocmask(SIG_SETMASK, &old, NULL);
	set_disposition(SIGUSR1, SIG_DFL);
	close_fds(p[0], p[1]);
}

static void select_stop_cont_uses_remaining_time(void)
{
	/* Like ppoll: select and pselect6 return -ERESTARTNOHAND after
	 * writing the remaining time back, so a stop (no handler) is not
	 * counted: a 600 ms wait stopped for ~400 ms ends at ~1000 ms. */
	for (int k = 0; k < 2; k++) {
		int rp[2], never[2];
		CHECK_OK(pipe2(rp, O_CLOEXEC));
		CHECK_OK(pipe2(never, O_CLOEXEC));
		pid_t pid = fork();
		if (pid == 0) {
			double res[3];
			fd_set r;
			long long x;
			FD_ZERO(&r);
			FD_SET(never[0], &r);
			res[0] = tl_now_ms();
			if (write(rp[1], res, sizeof(double)) != sizeof(double))
				_exit(3);
			if (k == 0) {
				struct ktv tv = {0, 600000};
				x = raw_select(never[0] + 1, &r, NULL, NULL,
					       &tv);
			} else {
				struct kts ts = {0, 600000000};
				x = raw_pselect6(never[0] + 1, &r, NULL, NULL,
						 &ts, NULL);
			}
			res[1] = tl_now_ms();
			res[2] = (double)x;
			if (write(rp[1], res, sizeof(res)) != sizeof(res))
				_exit(4);
			_exit(0);
		}
		CHECK(pid > 0);
		if (pid <= 0)
			return;
		close(rp[1]);
		double t0, res[3];
		CHECK_EQ(read(rp[0], &t0, sizeof(t0)), sizeof(t0));
		CHECK(wait_in_syscall_every(
		    pid, pid, k == 0 ? SYS_select : SYS_pselect6, 3000, 2));
		while (tl_now_ms() < t0 + 100)
			sleep_ms(1);
		double ts = tl_now_ms();
		kill(pid, SIGSTOP);
		while (tl_now_ms() < t0 + 500)
			sleep_ms(1);
		double tc = tl_now_ms();
		kill(pid, SIGCONT);
		CHECK_EQ(read(rp[0], res, sizeof(res)), sizeof(res));
		int status = 0;
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		double el = res[1] - res[0];
		CHECK_EQ(res[2], 0);
		CHECK(el >= 600 + (tc - ts) - 50);
		CHECK(el < 2000);
		close_fds(rp[0], never[0], never[1]);
	}
}

int main(void)
{
	RUN(nfds_negative_einval);
	RUN(nfds_is_an_int);
	RUN(nfds_above_fd_table);
	RUN(nfds_capped_to_fd_table);
	RUN(ebadf_closed_fd_any_set);
	RUN(closed_fd_at_or_above_nfds_ignored);
	RUN(efault_before_ebadf);
	RUN(bad_set_pointer_efault);
	RUN(readonly_set_efault_after_wait);
	RUN(pipe_mapping);
	RUN(file_and_opath_mapping);
	RUN(oob_data_in_exceptfds);
	RUN(return_counts_bits);
	RUN(sets_rewritten_on_timeout);
	RUN(null_sets_sleep);
	RUN(select_timeout_validation);
	RUN(select_timeout_writeback);
	RUN(pselect6_timespec);
	RUN(pselect6_sigmask_argument);
	RUN(pselect6_check_order);
	RUN(epoll_fd_in_select);
	RUN(eventfd_in_select);
	RUN(select_woken_by_thread);
	RUN(select_sa_restart_handler_eintr);
	RUN(pselect6_and_glibc_select_eintr);
	RUN(pselect6_mask_blocks_arriving_signal);
	RUN(pselect6_mask_unblocks_pending);
	RUN(select_stop_cont_uses_remaining_time);
	return tl_done();
}
