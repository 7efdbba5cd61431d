/* poll_rules.c: per-entry and argument rules of poll(2) (fs/select.c:
 * do_sys_poll, do_poll, do_pollfd). Raw syscalls are used where the glibc
 * wrapper would hide what the kernel does.
 *
 * See docs: linux-semantics.md sections 1.1, 1.2, 6.4 and 7.
 */
#include "testlib.h"
#include "testutil.h"

#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#define ALLEV                                                                  \
	(POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLRDBAND | POLLWRNORM |   \
	 POLLWRBAND | POLLMSG | POLLRDHUP)

/* Poll one fd with a zero timeout; returns revents, or -1000 - errno on
 * failure, and stores the return value in *ret when ret != NULL. */
static int poll1(int fd, short events, int timeout, int *ret)
{
	struct pollfd p = {.fd = fd, .events = events, .revents = 0x7fff};
	int r = poll(&p, 1, timeout);

	if (ret)
		*ret = r;
	if (r < 0)
		return -1000 - errno;
	return (unsigned short)p.revents;
}

/* A descriptor number that is not open and will not be reused by the
 * lowest-free allocation of later open/pipe/socket calls. */
static int closed_fd(void)
{
	int tmp = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int fd = fcntl(tmp, F_DUPFD_CLOEXEC, 900);

	if (fd < 0) {
		close(tmp);
		return 1 << 20; /* above any fd table this test creates */
	}
	close_fds(tmp, fd);
	return fd;
}

static void nfds_over_rlimit_einval(void)
{
	struct rlimit rl;

	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_cur >= 0xffffffffUL)
		return; /* cannot exceed an unlimited soft limit */
	/* NULL pointer: the nfds check comes before memory is touched. */
	CHECK_ERR(raw_poll(NULL, rl.rlim_cur + 1, 0), EINVAL);
	CHECK_ERR(raw_poll(NULL, 0xffffffffUL, 0), EINVAL);
	CHECK_ERR(raw_poll((void *)8, rl.rlim_cur + 1, 0), EINVAL);
	/* Also before the timeout is looked at: no sleep. */
	double t0 = tl_now_ms();
	CHECK_ERR(raw_poll(NULL, rl.rlim_cur + 1, 5000), EINVAL);
	CHECK(tl_now_ms() - t0 < 1000);
}

static void nfds_equal_rlimit_ok(void)
{
	struct rlimit rl;

	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_cur > 1000000)
		return;
	size_t n = rl.rlim_cur;
	struct pollfd *a = calloc(n, sizeof(*a));
	CHECK(a != NULL);
	if (!a)
		return;
	for (size_t i = 0; i < n; i++) {
		a[i].fd = -1;
		a[i].events = POLLIN;
		a[i].revents = 0x55;
	}
	CHECK_EQ(raw_poll(a, n, 0), 0);
	CHECK_EQ(a[0].revents, 0);
	CHECK_EQ(a[n - 1].revents, 0);
	/* nfds == limit passes the limit check, so memory is read: EFAULT. */
	CHECK_ERR(raw_poll(NULL, n, 0), EFAULT);
	free(a);
}

static void nfds_vs_lowered_soft_limit(void)
{
	struct rlimit rl, low;
	struct pollfd a[64];

	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_cur < 64)
		return;
	low = rl;
	low.rlim_cur = 64;
	CHECK_OK(setrlimit(RLIMIT_NOFILE, &low));
	for (int i = 0; i < 64; i++) {
		a[i].fd = -1;
		a[i].events = POLLIN;
		a[i].revents = 0;
	}
	CHECK_EQ(raw_poll(a, 64, 0), 0);
	CHECK_ERR(raw_poll(a, 65, 0), EINVAL);
	CHECK_ERR(raw_poll(NULL, 65, 0), EINVAL);
	CHECK_ERR(raw_poll(NULL, 64, 0), EFAULT);
	CHECK_OK(setrlimit(RLIMIT_NOFILE, &rl));
	/* The limit is read at call time: 65 is fine again. */
	struct pollfd b[65];
	for (int i = 0; i < 65; i++) {
		b[i].fd = -1;
		b[i].events = 0;
		b[i].revents = 0;
	}
	CHECK_EQ(raw_poll(b, 65, 0), 0);
}

static void nfds_is_unsigned_int(void)
{
	/* The kernel takes nfds as an unsigned int: upper register bits are
	 * dropped, so 0x100000001 polls exactly one entry. */
	int efd = eventfd(0, EFD_CLOEXEC);
	struct pollfd p[1] = {{.fd = efd, .events = POLLOUT, .revents = 0}};

	CHECK(efd >= 0);
	CHECK_EQ(raw_poll(p, 0x100000001UL, 0), 1);
	CHECK_EQ(p[0].revents, POLLOUT);
	/* 0x100000000 is nfds 0: a plain zero-timeout call on a bad pointer. */
	CHECK_EQ(raw_poll((void *)8, 0x100000000UL, 0), 0);
	close(efd);
}

static void null_zero_nfds_sleeps(void)
{
	double t0 = tl_now_ms();
	CHECK_EQ(poll(NULL, 0, 120), 0);
	double el = tl_now_ms() - t0;
	CHECK(el >= 119);
	CHECK(el < 2000);
	/* nfds 0 never reads the array: any pointer is fine. */
	CHECK_EQ(raw_poll((void *)8, 0, 0), 0);
	CHECK_EQ(raw_poll((void *)0x7ffffffff000UL, 0, 0), 0);
}

static void nfds0_pointer_above_user_limit(void)
{
	/* With nfds 0 nothing is read, but the revents write-back still
	 * runs access_ok(ptr, 0): a pointer above the user address-space
	 * limit (0x7ffffffff000 on x86-64, 4-level paging) gives EFAULT,
	 * and only after the full wait. */
	CHECK_EQ(raw_poll((void *)0x7ffffffff000UL, 0, 0), 0);
	CHECK_ERR(raw_poll((void *)0x7ffffffff001UL, 0, 0), EFAULT);
	CHECK_ERR(raw_poll((void *)-1L, 0, 0), EFAULT);
	CHECK_ERR(raw_poll((void *)0x800000000000UL, 0, 0), EFAULT);
	double t0 = tl_now_ms();
	CHECK_ERR(raw_poll((void *)-1L, 0, 100), EFAULT);
	double el = tl_now_ms() - t0;
	CHECK(el >= 99);
	CHECK(el < 2000);
	/* With nfds > 0 the copy-in fails first: no wait. */
	t0 = tl_now_ms();
	CHECK_ERR(raw_poll((void *)-1L, 1, 3000), EFAULT);
	CHECK(tl_now_ms() - t0 < 1000);
}

static void negative_fd_ignored(void)
{
	int p[2];
	CHECK_OK(pipe(p));
	struct pollfd a[4] = {
	    {.fd = -1, .events = (short)0xffff, .revents = 0x7fff},
	    {.fd = -5, .events = POLLIN, .revents = 0x1234},
	    {.fd = INT_MIN, .events = 0, .revents = -1},
	    {.fd = p[1], .events = POLLOUT, .revents = 0},
	};
	CHECK_EQ(poll(a, 3, 0), 0);
	CHECK_EQ(a[0].revents, 0);
	CHECK_EQ(a[1].revents, 0);
	CHECK_EQ(a[2].revents, 0);
	/* Not counted next to a ready entry either. */
	a[0].revents = 0x7fff;
	CHECK_EQ(poll(a, 4, 0), 1);
	CHECK_EQ(a[0].revents, 0);
	CHECK_EQ(a[3].revents, POLLOUT);
	close_fds(p[0], p[1]);
}

static void closed_fd_nval_counted(void)
{
	int fd = closed_fd();
	int r;

	CHECK_EQ(poll1(fd, 0, 0, &r), POLLNVAL);
	CHECK_EQ(r, 1);
	CHECK_EQ(poll1(fd, POLLIN | POLLOUT, 0, &r), POLLNVAL);
	CHECK_EQ(r, 1);
	CHECK_EQ(poll1(fd, (short)0xffff, 0, &r), POLLNVAL);
	/* Far above the fd table. */
	CHECK_EQ(poll1(INT_MAX, POLLIN, 0, &r), POLLNVAL);
	CHECK_EQ(r, 1);
	CHECK_EQ(poll1(1 << 20, 0, 0, &r), POLLNVAL);
	/* NVAL does not wait: a long timeout returns at once. */
	double t0 = tl_now_ms();
	CHECK_EQ(poll1(fd, POLLIN, 5000, &r), POLLNVAL);
	CHECK(tl_now_ms() - t0 < 1000);
}

static void opath_fd_nval(void)
{
	int d = open("/", O_PATH | O_CLOEXEC);
	int f = open("/proc/self/exe", O_PATH | O_CLOEXEC);
	int r;

	CHECK(d >= 0 && f >= 0);
	CHECK_EQ(poll1(d, POLLIN, 0, &r), POLLNVAL);
	CHECK_EQ(r, 1);
	CHECK_EQ(poll1(f, POLLIN | POLLOUT, 0, &r), POLLNVAL);
	CHECK_EQ(poll1(f, 0, 0, &r), POLLNVAL);
	CHECK_EQ(r, 1);
	close_fds(d, f);
}

static void err_hup_reported_unrequested(void)
{
	int p[2];

	/* Read end after the writer closed: HUP, even with events 0 or only
	 * RDNORM asked for. */
	CHECK_OK(pipe(p));
	close(p[1]);
	CHECK_EQ(poll1(p[0], POLLRDNORM, 0, NULL), POLLHUP);
	CHECK_EQ(poll1(p[0], 0, 0, NULL), POLLHUP);
	CHECK_EQ(poll1(p[0], POLLOUT, 0, NULL), POLLHUP);
	close(p[0]);

	/* Read end with data and the writer gone: IN|RDNORM|HUP. */
	CHECK_OK(pipe(p));
	CHECK_EQ(write(p[1], "x", 1), 1);
	close(p[1]);
	CHECK_EQ(poll1(p[0], (short)0xffff, 0, NULL),
		 POLLIN | POLLRDNORM | POLLHUP);
	CHECK_EQ(poll1(p[0], 0, 0, NULL), POLLHUP);
	close(p[0]);

	/* Write end after the reader closed: ERR. */
	CHECK_OK(pipe(p));
	close(p[0]);
	CHECK_EQ(poll1(p[1], 0, 0, NULL), POLLERR);
	CHECK_EQ(poll1(p[1], POLLIN, 0, NULL), POLLERR);
	CHECK_EQ(poll1(p[1], POLLOUT, 0, NULL), POLLOUT | POLLERR);
	CHECK_EQ(poll1(p[1], (short)0xffff, 0, NULL),
		 POLLOUT | POLLWRNORM | POLLERR);
	close(p[1]);
}

static void revents_masked_by_events(void)
{
	int p[2];

	CHECK_OK(pipe(p));
	CHECK_EQ(poll1(p[1], POLLOUT | POLLWRNORM | POLLWRBAND, 0, NULL),
		 0x104);
	CHECK_EQ(poll1(p[1], POLLWRNORM, 0, NULL), POLLWRNORM);
	CHECK_EQ(poll1(p[1], POLLIN | POLLPRI | POLLRDNORM, 0, NULL), 0);
	CHECK_EQ(poll1(p[1], 0, 0, NULL), 0);
	/* Asking for NVAL/ERR/HUP changes nothing for a valid fd. */
	CHECK_EQ(poll1(p[1], POLLNVAL | POLLERR | POLLHUP, 0, NULL), 0);
	CHECK_EQ(poll1(p[0], (short)0xffff, 0, NULL), 0);
	CHECK_EQ(write(p[1], "ab", 2), 2);
	CHECK_EQ(poll1(p[0], (short)0xffff, 0, NULL), POLLIN | POLLRDNORM);
	CHECK_EQ(poll1(p[0], POLLRDNORM, 0, NULL), POLLRDNORM);
	CHECK_EQ(poll1(p[0], POLLIN | POLLOUT | POLLPRI, 0, NULL), POLLIN);
	CHECK_EQ(poll1(p[0], POLLOUT, 0, NULL), 0);
	close_fds(p[0], p[1]);
}

static void default_pollmask_files(void)
{
	const char *paths[] = {"/proc/self/exe", "/", "/dev/null", "/dev/zero"};
	int flags[] = {O_RDONLY, O_RDONLY | O_DIRECTORY, O_RDWR, O_RDONLY};

	for (int i = 0; i < 4; i++) {
		int fd = open(paths[i], flags[i] | O_CLOEXEC);
		int r;

		CHECK(fd >= 0);
		CHECK_EQ(
		    poll1(fd, POLLIN | POLLOUT | POLLPRI | POLLRDHUP, 0, &r),
		    0x5);
		CHECK_EQ(r, 1);
		CHECK_EQ(poll1(fd, POLLRDNORM | POLLWRNORM | POLLPRI, 0, &r),
			 0x140);
		CHECK_EQ(poll1(fd, 0, 0, &r), 0);
		CHECK_EQ(r, 0);
		CHECK_EQ(poll1(fd, (short)0xffff, 0, &r), 0x145);
		CHECK_EQ(poll1(fd, POLLOUT, 0, &r), POLLOUT);
		close(fd);
	}
	/* A regular file opened write-only is still "always readable". */
	char tmpl[] = "/tmp/poll_rules_XXXXXX";
	int fd = mkstemp(tmpl);
	CHECK(fd >= 0);
	unlink(tmpl);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int wo = open(path, O_WRONLY | O_CLOEXEC);
	CHECK(wo >= 0);
	CHECK_EQ(poll1(wo, POLLIN, 0, NULL), POLLIN);
	close_fds(wo, fd);
}

static void duplicates_count_separately(void)
{
	int efd = eventfd(1, EFD_CLOEXEC);
	struct pollfd a[4] = {
	    {.fd = efd, .events = POLLIN},
	    {.fd = efd, .events = POLLIN},
	    {.fd = efd, .events = POLLOUT},
	    {.fd = efd, .events = POLLRDNORM},
	};

	CHECK(efd >= 0);
	CHECK_EQ(poll(a, 4, 0), 3);
	CHECK_EQ(a[0].revents, POLLIN);
	CHECK_EQ(a[1].revents, POLLIN);
	CHECK_EQ(a[2].revents, POLLOUT);
	CHECK_EQ(a[3].revents, 0);
	close(efd);
}

static void return_counts_entries_not_bits(void)
{
	int p[2];
	int bad = closed_fd();

	CHECK_OK(pipe(p));
	CHECK_EQ(write(p[1], "x", 1), 1);
	struct pollfd a[6] = {
	    {.fd = p[0], .events = (short)0xffff}, /* IN|RDNORM */
	    {.fd = bad, .events = 0},		   /* NVAL */
	    {.fd = -1, .events = POLLIN},	   /* ignored */
	    {.fd = p[1], .events = POLLIN},	   /* nothing */
	    {.fd = p[1], .events = (short)0xffff}, /* OUT|WRNORM */
	    {.fd = p[0], .events = POLLOUT},	   /* nothing */
	};
	CHECK_EQ(poll(a, 6, 0), 3);
	CHECK_EQ(a[0].revents, POLLIN | POLLRDNORM);
	CHECK_EQ(a[1].revents, POLLNVAL);
	CHECK_EQ(a[2].revents, 0);
	CHECK_EQ(a[3].revents, 0);
	CHECK_EQ(a[4].revents, POLLOUT | POLLWRNORM);
	CHECK_EQ(a[5].revents, 0);
	close_fds(p[0], p[1]);
}

static void stale_revents_cleared(void)
{
	int p[2];

	CHECK_OK(pipe(p));
	struct pollfd a[3] = {
	    {.fd = p[0], .events = POLLIN, .revents = 0x7fff},
	    {.fd = -1, .events = POLLIN, .revents = 0x7fff},
	    {.fd = p[1], .events = POLLIN, .revents = 0x7fff},
	};
	/* Zero timeout, nothing ready. */
	CHECK_EQ(poll(a, 3, 0), 0);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(a[i].revents, 0);
	/* Timed out after a real wait. */
	for (int i = 0; i < 3; i++)
		a[i].revents = 0x7fff;
	CHECK_EQ(poll(a, 3, 30), 0);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(a[i].revents, 0);
	/* One ready: all others are written 0. */
	for (int i = 0; i < 3; i++)
		a[i].revents = 0x7fff;
	a[2].events = POLLOUT;
	CHECK_EQ(poll(a, 3, 0), 1);
	CHECK_EQ(a[0].revents, 0);
	CHECK_EQ(a[1].revents, 0);
	CHECK_EQ(a[2].revents, POLLOUT);
	close_fds(p[0], p[1]);
}

static void fd_and_events_never_written(void)
{
	int p[2];
	int bad = closed_fd();

	CHECK_OK(pipe(p));
	struct pollfd a[5] = {
	    {.fd = p[1], .events = (short)0xffff, .revents = 0},
	    {.fd = bad, .events = 0, .revents = 0},
	    {.fd = -7, .events = (short)0xabcd, .revents = 0},
	    {.fd = p[0], .events = POLLIN | POLLNVAL, .revents = 0},
	    /* Beyond nfds: must stay untouched. */
	    {.fd = 12345, .events = 0x5a5a, .revents = 0x7fff},
	};
	CHECK_EQ(poll(a, 4, 0), 2);
	CHECK_EQ(a[0].fd, p[1]);
	CHECK_EQ((unsigned short)a[0].events, 0xffff);
	CHECK_EQ(a[1].fd, bad);
	CHECK_EQ(a[1].events, 0);
	CHECK_EQ(a[2].fd, -7);
	CHECK_EQ((unsigned short)a[2].events, 0xabcd);
	CHECK_EQ(a[3].fd, p[0]);
	CHECK_EQ(a[3].events, POLLIN | POLLNVAL);
	CHECK_EQ(a[4].fd, 12345);
	CHECK_EQ(a[4].events, 0x5a5a);
	CHECK_EQ(a[4].revents, 0x7fff);
	CHECK_EQ(a[0].revents, POLLOUT | POLLWRNORM);
	CHECK_EQ(a[1].revents, POLLNVAL);
	CHECK_EQ(a[3].revents, 0);
	close_fds(p[0], p[1]);
}

static void readonly_array_efault(void)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	struct pollfd *a = map_page();

	if (!a)
		return;
	a[0].fd = efd;
	a[0].events = POLLOUT;
	a[0].revents = 0;
	a[1].fd = -1;
	a[1].events = POLLIN;
	a[1].revents = 0;
	CHECK_OK(mprotect(a, 4096, PROT_READ));
	/* Ready entry: the wait succeeds, the revents write faults. */
	CHECK_ERR(raw_poll(a, 2, 0), EFAULT);
	/* Nothing ready and only a negative fd: revents (0) is still
	 * written, so EFAULT too. */
	CHECK_ERR(raw_poll(&a[1], 1, 0), EFAULT);
	/* The wait happens first: a timed-out wait ends in EFAULT. */
	double t0 = tl_now_ms();
	CHECK_ERR(raw_poll(&a[1], 1, 100), EFAULT);
	CHECK(tl_now_ms() - t0 >= 99);
	CHECK_EQ(a[0].revents, 0);
	munmap(a, 4096);
	close(efd);
}

static void bad_pointer_efault(void)
{
	int efd = eventfd(0, EFD_CLOEXEC);

	CHECK_ERR(raw_poll((void *)8, 1, 0), EFAULT);
	CHECK_ERR(raw_poll((void *)-4096L, 1, 0), EFAULT);
	CHECK_ERR(raw_poll((void *)0x7ffffffff000UL, 1, 0), EFAULT);
	/* Read before any wait: no sleep. */
	double t0 = tl_now_ms();
	CHECK_ERR(raw_poll((void *)8, 1, 3000), EFAULT);
	CHECK(tl_now_ms() - t0 < 1000);

	/* Array straddling into an unmapped page: EFAULT, and the mapped
	 * entry's revents are not written. */
	char *end = mem_edge(0);
	if (!end)
		return;
	struct pollfd *e = (struct pollfd *)(end - sizeof(*e));
	e->fd = efd;
	e->events = POLLOUT;
	e->revents = 0x7fff;
	CHECK_ERR(raw_poll(e, 2, 0), EFAULT);
	CHECK_EQ(e->revents, 0x7fff);
	/* The single entry that fits works. */
	CHECK_EQ(raw_poll(e, 1, 0), 1);
	CHECK_EQ(e->revents, POLLOUT);
	mem_edge_free(end, 0);
	close(efd);
}

static void eventfd_readiness(void)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	const short ask = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM | POLLPRI |
			  POLLRDBAND | POLLWRBAND | POLLRDHUP;
	uint64_t v;
	int r;

	CHECK(efd >= 0);
	CHECK_EQ(poll1(efd, ask, 0, &r), 0x4);
	CHECK_EQ(r, 1);
	CHECK_EQ(poll1(efd, POLLIN, 0, &r), 0);
	CHECK_EQ(r, 0);
	v = 1;
	CHECK_EQ(write(efd, &v, 8), 8);
	CHECK_EQ(poll1(efd, ask, 0, NULL), 0x5);
	CHECK_EQ(poll1(efd, (short)0xffff, 0, NULL), 0x5);
	/* RDNORM/WRNORM are never reported by an eventfd. */
	CHECK_EQ(poll1(efd, POLLRDNORM | POLLWRNORM, 0, &r), 0);
	CHECK_EQ(r, 0);
	double t0 = tl_now_ms();
	CHECK_EQ(poll1(efd, POLLRDNORM, 60, &r), 0);
	CHECK(tl_now_ms() - t0 >= 59);
	/* counter max-2: IN|OUT; max-1: IN only. */
	v = 0xfffffffffffffffcULL;
	CHECK_EQ(write(efd, &v, 8), 8);
	CHECK_EQ(poll1(efd, ask, 0, NULL), 0x5);
	v = 1;
	CHECK_EQ(write(efd, &v, 8), 8);
	CHECK_EQ(poll1(efd, ask, 0, NULL), 0x1);
	CHECK_EQ(poll1(efd, POLLOUT, 0, &r), 0);
	CHECK_EQ(r, 0);
	CHECK_EQ(read(efd, &v, 8), 8);
	CHECK_EQ(poll1(efd, ask, 0, NULL), 0x4);
	close(efd);
}

static void unix_socket_readiness(void)
{
	int sv[2];

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	CHECK_EQ(poll1(sv[0], ALLEV, 0, NULL), 0x304);
	CHECK_EQ(write(sv[1], "x", 1), 1);
	CHECK_EQ(poll1(sv[0], ALLEV, 0, NULL), 0x345);
	CHECK_OK(shutdown(sv[1], SHUT_WR));
	CHECK_EQ(poll1(sv[0], ALLEV, 0, NULL), 0x2345);
	/* RDHUP is only reported when asked for. */
	CHECK_EQ(poll1(sv[0], POLLIN, 0, NULL), POLLIN);
	close(sv[1]);
	CHECK_EQ(poll1(sv[0], ALLEV, 0, NULL), 0x2355);
	CHECK_EQ(poll1(sv[0], 0, 0, NULL), POLLHUP);
	close(sv[0]);

	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv));
	CHECK_EQ(poll1(sv[0], ALLEV, 0, NULL), 0x304);
	CHECK_EQ(send(sv[1], "d", 1, 0), 1);
	CHECK_EQ(poll1(sv[0], POLLIN | POLLRDNORM, 0, NULL),
		 POLLIN | POLLRDNORM);
	close_fds(sv[0], sv[1]);
}

static void tcp_socket_readiness(void)
{
	int t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a;
	socklen_t al;
	int r;

	CHECK(t >= 0);
	/* A fresh, unconnected TCP socket: OUT|WRNORM|HUP. */
	CHECK_EQ(poll1(t, ALLEV, 0, NULL), 0x114);
	CHECK_EQ(poll1(t, 0, 0, NULL), POLLHUP);
	int l = tcp_listener(&a, &al, 4);
	CHECK_EQ(poll1(l, ALLEV, 0, &r), 0);
	CHECK_EQ(r, 0);
	CHECK_OK(connect(t, (struct sockaddr *)&a, al));
	CHECK_EQ(poll1(l, ALLEV, 2000, &r), POLLIN | POLLRDNORM);
	int c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	CHECK(c >= 0);
	CHECK_EQ(poll1(l, ALLEV, 0, NULL), 0);
	CHECK_EQ(poll1(t, ALLEV, 0, NULL), POLLOUT | POLLWRNORM);
	CHECK_EQ(poll1(c, ALLEV, 0, NULL), POLLOUT | POLLWRNORM);
	CHECK_EQ(send(t, "ab", 2, 0), 2);
	CHECK_EQ(poll1(c, POLLIN, 2000, NULL), POLLIN);
	CHECK_EQ(poll1(c, ALLEV, 0, NULL),
		 POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM);
	CHECK_OK(shutdown(t, SHUT_WR));
	CHECK_EQ(poll1(c, POLLRDHUP, 2000, NULL), POLLRDHUP);
	CHECK_EQ(poll1(c, ALLEV, 0, NULL),
		 POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLRDHUP);
	close_fds(c, t, l);
}

static void pty_readiness(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (m < 0 && (errno == ENOENT || errno == ENODEV || errno == ENXIO))
		return; /* no pseudo-terminals here: nothing to test */
	CHECK(m >= 0);
	if (m < 0)
		return;
	CHECK_OK(grantpt(m));
	CHECK_OK(unlockpt(m));
	const char *name = ptsname(m);
	CHECK(name != NULL);
	if (!name) {
		close(m);
		return;
	}
	int s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	CHECK(s >= 0);
	CHECK_EQ(poll1(m, ALLEV, 0, NULL), POLLOUT | POLLWRNORM);
	CHECK_EQ(poll1(s, ALLEV, 0, NULL), POLLOUT | POLLWRNORM);
	CHECK_EQ(poll1(s, POLLIN, 0, NULL), 0);
	/* A complete line written to the master makes the slave readable
	 * (the tty layer hands it over asynchronously: wait for it). */
	CHECK_EQ(write(m, "hi\n", 3), 3);
	CHECK_EQ(poll1(s, POLLIN | POLLRDNORM, 2000, NULL),
		 POLLIN | POLLRDNORM);
	/* Closing the slave hangs up the master (reported unrequested). */
	close(s);
	CHECK_EQ(poll1(m, 0, 2000, NULL), POLLHUP);
	close(m);

	/* Closing the master: the slave sees ERR|HUP with events 0. */
	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	CHECK(m >= 0);
	if (m < 0)
		return;
	CHECK_OK(grantpt(m));
	CHECK_OK(unlockpt(m));
	name = ptsname(m);
	s = name ? open(name, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
	CHECK(s >= 0);
	close(m);
	CHECK_EQ(poll1(s, 0, 2000, NULL), POLLERR | POLLHUP);
	close(s);
}

static void full_pipe_not_writable(void)
{
	int p[2];
	char buf[4096];
	int r;

	CHECK_OK(pipe2(p, O_NONBLOCK | O_CLOEXEC));
	memset(buf, 'z', sizeof(buf));
	long total = 0;
	for (;;) {
		ssize_t n = write(p[1], buf, sizeof(buf));
		if (n < 0)
			break;
		total += n;
	}
	CHECK(total > 0);
	CHECK_EQ(poll1(p[1], POLLOUT | POLLWRNORM, 0, &r), 0);
	CHECK_EQ(r, 0);
	CHECK_EQ(poll1(p[0], POLLIN | POLLOUT, 0, NULL), POLLIN);
	/* Drain it all: writable again. */
	while (read(p[0], buf, sizeof(buf)) > 0)
		;
	CHECK_EQ(poll1(p[1], POLLOUT | POLLWRNORM, 0, &r),
		 POLLOUT | POLLWRNORM);
	CHECK_EQ(r, 1);
	close_fds(p[0], p[1]);
}

static void mixed_entries_one_call(void)
{
	int p[2], sv[2];
	int efd = eventfd(3, EFD_CLOEXEC);
	int bad = closed_fd();
	int dn = open("/dev/null", O_RDONLY | O_CLOEXEC);

	CHECK_OK(pipe2(p, O_CLOEXEC));
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	struct pollfd a[8] = {
	    {.fd = p[0], .events = POLLIN},
	    {.fd = efd, .events = POLLIN | POLLRDNORM},
	    {.fd = bad, .events = POLLIN},
	    {.fd = dn, .events = POLLIN | POLLPRI},
	    {.fd = sv[0], .events = POLLIN | POLLOUT},
	    {.fd = -1, .events = POLLIN},
	    {.fd = p[1], .events = POLLOUT},
	    {.fd = sv[1], .events = POLLIN},
	};
	CHECK_EQ(poll(a, 8, 0), 5);
	CHECK_EQ(a[0].revents, 0);
	CHECK_EQ(a[1].revents, POLLIN);
	CHECK_EQ(a[2].revents, POLLNVAL);
	CHECK_EQ(a[3].revents, POLLIN);
	CHECK_EQ(a[4].revents, POLLOUT);
	CHECK_EQ(a[5].revents, 0);
	CHECK_EQ(a[6].revents, POLLOUT);
	CHECK_EQ(a[7].revents, 0);
	close_fds(p[0], p[1], sv[0], sv[1], efd, dn);
}

int main(void)
{
	RUN(nfds_over_rlimit_einval);
	RUN(nfds_equal_rlimit_ok);
	RUN(nfds_vs_lowered_soft_limit);
	RUN(nfds_is_unsigned_int);
	RUN(null_zero_nfds_sleeps);
	RUN(nfds0_pointer_above_user_limit);
	RUN(negative_fd_ignored);
	RUN(closed_fd_nval_counted);
	RUN(opath_fd_nval);
	RUN(err_hup_reported_unrequested);
	RUN(revents_masked_by_events);
	RUN(default_pollmask_files);
	RUN(duplicates_count_separately);
	RUN(return_counts_entries_not_bits);
	RUN(stale_revents_cleared);
	RUN(fd_and_events_never_written);
	RUN(readonly_array_efault);
	RUN(bad_pointer_efault);
	RUN(eventfd_readiness);
	RUN(unix_socket_readiness);
	RUN(tcp_socket_readiness);
	RUN(pty_readiness);
	RUN(full_pipe_not_writable);
	RUN(mixed_entries_one_call);
	return tl_done();
}
