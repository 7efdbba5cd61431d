/* epoll_ctl_errors.c: the epoll_ctl check order and the interest-list key
 * (linux-semantics.md sections 1.1, 1.2, 3.1, 3.2, 3.3 EXCLUSIVE, 3.5 keys).
 *
 * Every bad-pointer call goes through the raw syscall so that neither libc
 * nor the compiler gets in the way. */
#include "testlib.h"
#include "testutil.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#define BADPTR ((void *)8)
#define KPTR ((void *)0xffff800000000000ULL)

static long ctl(int epfd, int op, int fd, const void *ev)
{
	return syscall(SYS_epoll_ctl, epfd, op, fd, ev);
}

static long ctl_ev(int epfd, int op, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = data;
	return syscall(SYS_epoll_ctl, epfd, op, fd, &ev);
}

static int regfile(void)
{
	char name[] = "/tmp/epoll_ctl_errors.XXXXXX";
	int fd = mkstemp(name);
	if (fd >= 0)
		unlink(name);
	return fd;
}

/* An fd number that is certainly closed. */
static int closed_fd(void)
{
	int fd = dup(0);
	if (fd < 0)
		fd = open("/dev/null", O_RDONLY);
	close(fd);
	return fd;
}

/* A new instance and a new pipe p; nothing added. */
static int ep_and_pipe(int p[2])
{
	int ep = epoll_create1(0);
	CHECK_OK(pipe(p));
	return ep;
}

/* Once written to, the pipe's read-end entry reports EPOLLIN with data. */
static void still_reports(int ep, int p[2], uint64_t data)
{
	struct epoll_event out[2];
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(epoll_wait(ep, out, 2, 0), 1);
	CHECK_EQ(out[0].events, EPOLLIN);
	CHECK_EQ(out[0].data.u64, data);
}

/* ---- step 1: EFAULT first, for every op except DEL ---- */

static void efault_before_ebadf(void)
{
	CHECK_ERR(ctl(-1, EPOLL_CTL_ADD, -1, BADPTR), EFAULT);
	CHECK_ERR(ctl(-1, EPOLL_CTL_MOD, -1, BADPTR), EFAULT);
	CHECK_ERR(ctl(-1, EPOLL_CTL_ADD, -1, NULL), EFAULT);
	CHECK_ERR(ctl(-1, EPOLL_CTL_MOD, -1, KPTR), EFAULT);
	CHECK_ERR(ctl(INT_MAX, EPOLL_CTL_ADD, INT_MAX, BADPTR), EFAULT);
}

static void efault_invalid_op(void)
{
	CHECK_ERR(ctl(-1, 99, -1, BADPTR), EFAULT);
	CHECK_ERR(ctl(-1, 0, -1, BADPTR), EFAULT);
	CHECK_ERR(ctl(-1, 4, -1, BADPTR), EFAULT);
	CHECK_ERR(ctl(-1, -1, -1, NULL), EFAULT);
	int p[2];
	int ep = ep_and_pipe(p);
	CHECK_ERR(ctl(ep, 99, p[0], NULL), EFAULT);
	close_fds(p[0], p[1], ep);
}

static void efault_before_eperm_and_einval(void)
{
	int ep = epoll_create1(0);
	int rf = regfile();
	int p[2];
	CHECK(rf >= 0);
	CHECK_OK(pipe(p));
	/* unpollable target */
	CHECK_ERR(ctl(ep, EPOLL_CTL_ADD, rf, BADPTR), EFAULT);
	CHECK_ERR(ctl(rf, EPOLL_CTL_ADD, rf, BADPTR), EFAULT);
	/* epfd == fd */
	CHECK_ERR(ctl(ep, EPOLL_CTL_ADD, ep, NULL), EFAULT);
	/* epfd not an epoll */
	CHECK_ERR(ctl(p[0], EPOLL_CTL_ADD, p[1], NULL), EFAULT);
	/* MOD of an absent key */
	CHECK_ERR(ctl(ep, EPOLL_CTL_MOD, p[0], BADPTR), EFAULT);
	/* ADD of a present key */
	CHECK_EQ(ctl_ev(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 1), 0);
	CHECK_ERR(ctl(ep, EPOLL_CTL_ADD, p[0], BADPTR), EFAULT);
	CHECK_ERR(ctl(ep, EPOLL_CTL_MOD, p[0], NULL), EFAULT);
	close_fds(rf, p[0], p[1], ep);
}

static void efault_partial_event(void)
{
	/* The 12-byte read must be fully readable: 12 bytes ending exactly at
	 * an unmapped page are fine, 8 bytes before it are not. */
	long pg = sysconf(_SC_PAGESIZE);
	char *end = mem_edge(0);
	if (!end)
		return;
	int p[2];
	int ep = ep_and_pipe(p);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 77};
	memcpy(end - 8, &ev, 8);
	CHECK_ERR(ctl(ep, EPOLL_CTL_ADD, p[0], end - 8), EFAULT);
	memcpy(end - 12, &ev, 12);
	CHECK_EQ(ctl(ep, EPOLL_CTL_ADD, p[0], end - 12), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	struct epoll_event out[2];
	CHECK_EQ(epoll_wait(ep, out, 2, 0), 1);
	CHECK_EQ(out[0].data.u64, 77);
	/* A read-only page is readable, which is all ADD needs. */
	CHECK_EQ(mprotect(end - pg, pg, PROT_READ), 0);
	CHECK_EQ(ctl(ep, EPOLL_CTL_MOD, p[0], end - 12), 0);
	mem_edge_free(end, 0);
	close_fds(p[0], p[1], ep);
}

/* ---- DEL never reads the event ---- */

static void del_never_reads_event(void)
{
	int p[2];
	int ep = ep_and_pipe(p);
	CHECK_EQ(ctl_ev(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 1), 0);
	CHECK_EQ(ctl(ep, EPOLL_CTL_DEL, p[0], NULL), 0);
	CHECK_EQ(ctl_ev(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 1), 0);
	CHECK_EQ(ctl(ep, EPOLL_CTL_DEL, p[0], BADPTR), 0);
	CHECK_EQ(ctl_ev(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 1), 0);
	CHECK_EQ(ctl(ep, EPOLL_CTL_DEL, p[0], KPTR), 0);
	CHECK_ERR(ctl(ep, EPOLL_CTL_DEL, p[0], NULL), ENOENT);
	close_fds(p[0], p[1], ep);
}

static void del_bad_pointer_later_errors(void)
{
	/* With DEL the bad pointer is never the error: the later checks are. */
	int ep = epoll_create1(0);
	int rf = regfile();
	int p[2];
	CHECK_OK(pipe(p));
	CHECK_ERR(ctl(-1, EPOLL_CTL_DEL, -1, NULL), EBADF);
	CHECK_ERR(ctl(ep, EPOLL_CTL_DEL, -1, BADPTR), EBADF);
	CHECK_ERR(ctl(ep, EPOLL_CTL_DEL, rf, NULL), EPERM);
	CHECK_ERR(ctl(ep, EPOLL_CTL_DEL, ep, NULL), EINVAL);
	CHECK_ERR(ctl(p[0], EPOLL_CTL_DEL, p[1], BADPTR), EINVAL);
	CHECK_ERR(ctl(ep, EPOLL_CTL_DEL, p[0], BADPTR), ENOENT);
	close_fds(rf, p[0], p[1], ep);
}

/* ---- steps 2 and 3: EBADF ---- */

static void ebadf_epfd(void)
{
	int p[2];
	CHECK_OK(pipe(p));
	int c = closed_fd();
	CHECK_ERR(ctl_ev(-1, EPOLL_CTL_ADD, p[0], EPOLLIN, 0), EBADF);
	CHECK_ERR(ctl_ev(c, EPOLL_CTL_ADD, p[0], EPOLLIN, 0), EBADF);
	CHECK_ERR(ctl_ev(1 << 20, EPOLL_CTL_ADD, p[0], EPOLLIN, 0), EBADF);
	CHECK_ERR(ctl_ev(INT_MAX, EPOLL_CTL_MOD, p[0], EPOLLIN, 0), EBADF);
	CHECK_ERR(ctl_ev(INT_MIN, EPOLL_CTL_ADD, p[0], EPOLLIN, 0), EBADF);
	CHECK_ERR(ctl(c, EPOLL_CTL_DEL, p[0], NULL), EBADF);
	close_fds(p[0], p[1]);
}

static void ebadf_fd(void)
{
	int ep = epoll_create1(0);
	int c = closed_fd();
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_ADD, -1, EPOLLIN, 0), EBADF);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_ADD, c, EPOLLIN, 0), EBADF);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_MOD, 1 << 20, EPOLLIN, 0), EBADF);
	CHECK_ERR(ctl(ep, EPOLL_CTL_DEL, INT_MAX, NULL), EBADF);
	close(ep);
}

static void ebadf_epfd_before_target_checks(void)
{
	/* epfd is checked before anything about the target. */
	int rf = regfile();
	int p[2];
	CHECK_OK(pipe(p));
	int c = closed_fd();
	CHECK_ERR(ctl_ev(-1, EPOLL_CTL_ADD, rf, EPOLLIN, 0), EBADF);
	CHECK_ERR(ctl_ev(c, EPOLL_CTL_ADD, -1, EPOLLIN, 0), EBADF);
	CHECK_ERR(ctl(c, EPOLL_CTL_DEL, rf, NULL), EBADF);
	CHECK_ERR(ctl_ev(c, 99, p[0], EPOLLIN, 0), EBADF);
	close_fds(rf, p[0], p[1]);
}

static void ebadf_fd_before_epfd_kind_and_op(void)
{
	/* A bad target beats "epfd is not an epoll", an invalid op and the
	 * EXCLUSIVE rules. */
	int ep = epoll_create1(0);
	int rf = regfile();
	int p[2];
	CHECK_OK(pipe(p));
	CHECK_ERR(ctl_ev(p[0], EPOLL_CTL_ADD, -1, EPOLLIN, 0), EBADF);
	CHECK_ERR(ctl_ev(rf, EPOLL_CTL_ADD, -1, EPOLLIN, 0), EBADF);
	CHECK_ERR(ctl_ev(ep, 99, -1, EPOLLIN, 0), EBADF);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_MOD, -1, EPOLLIN | EPOLLEXCLUSIVE, 0),
		  EBADF);
	close_fds(rf, p[0], p[1], ep);
}

static void opath_fds_ebadf(void)
{
	int p[2];
	char path[64];
	int ep = ep_and_pipe(p);
	int odir = open("/", O_PATH | O_DIRECTORY);
	int ofile = open("/proc/self/exe", O_PATH);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
	int opipe = open(path, O_PATH);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", ep);
	int oep = open(path, O_PATH);
	CHECK(odir >= 0 && ofile >= 0 && opipe >= 0 && oep >= 0);
	/* As the target: EBADF, not EPERM for the unpollable kinds. */
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_ADD, odir, EPOLLIN, 0), EBADF);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_ADD, ofile, EPOLLIN, 0), EBADF);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_ADD, opipe, EPOLLIN, 0), EBADF);
	CHECK_ERR(ctl(ep, EPOLL_CTL_DEL, opipe, NULL), EBADF);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_ADD, oep, EPOLLIN, 0), EBADF);
	/* As the epoll fd, even though it names an epoll instance. */
	CHECK_ERR(ctl_ev(oep, EPOLL_CTL_ADD, p[0], EPOLLIN, 0), EBADF);
	CHECK_ERR(ctl(oep, EPOLL_CTL_DEL, p[0], NULL), EBADF);
	/* epoll_wait agrees. */
	struct epoll_event out[1];
	CHECK_ERR(epoll_wait(oep, out, 1, 0), EBADF);
	close_fds(odir, ofile, opipe, oep, p[0], p[1], ep);
}

/* ---- step 4: EPERM for unpollable targets, before any epfd/op check ---- */

static void eperm_unpollable_targets(void)
{
	int ep = epoll_create1(0);
	int rf = regfile();
	int dir = open("/", O_RDONLY | O_DIRECTORY);
	int dn = open("/dev/null", O_RDWR);
	CHECK(rf >= 0 && dir >= 0 && dn >= 0);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_ADD, rf, EPOLLIN, 0), EPERM);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_ADD, dir, EPOLLIN, 0), EPERM);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_ADD, dn, EPOLLIN | EPOLLOUT, 0), EPERM);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_ADD, rf, 0, 0), EPERM);
	close_fds(rf, dir, dn, ep);
}

static void eperm_del_and_mod(void)
{
	int ep = epoll_create1(0);
	int rf = regfile();
	int dn = open("/dev/null", O_RDWR);
	CHECK_ERR(ctl(ep, EPOLL_CTL_DEL, rf, NULL), EPERM);
	CHECK_ERR(ctl(ep, EPOLL_CTL_DEL, dn, NULL), EPERM);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_MOD, rf, EPOLLIN, 0), EPERM);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_MOD, dn, EPOLLIN | EPOLLEXCLUSIVE, 0),
		  EPERM);
	close_fds(rf, dn, ep);
}

static void eperm_invalid_op(void)
{
	int ep = epoll_create1(0);
	int rf = regfile();
	int dir = open("/", O_RDONLY | O_DIRECTORY);
	CHECK_ERR(ctl_ev(ep, 99, rf, EPOLLIN, 0), EPERM);
	CHECK_ERR(ctl_ev(ep, 0, dir, EPOLLIN, 0), EPERM);
	CHECK_ERR(ctl_ev(ep, 4, rf, EPOLLIN, 0), EPERM);
	close_fds(rf, dir, ep);
}

static void eperm_non_epoll_epfd(void)
{
	int rf = regfile();
	int dn = open("/dev/null", O_RDWR);
	int p[2];
	CHECK_OK(pipe(p));
	/* Same unpollable file on both sides: EPERM beats "same file" and
	 * "not an epoll". */
	CHECK_ERR(ctl_ev(rf, EPOLL_CTL_ADD, rf, EPOLLIN, 0), EPERM);
	CHECK_ERR(ctl_ev(p[0], EPOLL_CTL_ADD, dn, EPOLLIN, 0), EPERM);
	CHECK_ERR(ctl_ev(dn, EPOLL_CTL_MOD, rf, EPOLLIN, 0), EPERM);
	CHECK_ERR(ctl(rf, EPOLL_CTL_DEL, dn, NULL), EPERM);
	CHECK_ERR(ctl_ev(rf, 99, rf, EPOLLIN, 0), EPERM);
	close_fds(rf, dn, p[0], p[1]);
}

/* ---- step 6: EINVAL for self and non-epoll epfd ---- */

static void einval_self(void)
{
	int ep = epoll_create1(0);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_ADD, ep, EPOLLIN, 0), EINVAL);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_MOD, ep, EPOLLIN, 0), EINVAL);
	CHECK_ERR(ctl(ep, EPOLL_CTL_DEL, ep, NULL), EINVAL);
	CHECK_ERR(ctl_ev(ep, 99, ep, EPOLLIN, 0), EINVAL);
	close(ep);
}

static void einval_dup_of_epfd(void)
{
	int ep = epoll_create1(0);
	int d = dup(ep);
	int d2 = fcntl(ep, F_DUPFD_CLOEXEC, 100);
	CHECK(d >= 0 && d2 >= 100);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_ADD, d, EPOLLIN, 0), EINVAL);
	CHECK_ERR(ctl_ev(d, EPOLL_CTL_ADD, ep, EPOLLIN, 0), EINVAL);
	CHECK_ERR(ctl_ev(d2, EPOLL_CTL_ADD, d, EPOLLIN, 0), EINVAL);
	CHECK_ERR(ctl(ep, EPOLL_CTL_DEL, d2, NULL), EINVAL);
	/* It is the same file, not an ELOOP cycle. */
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_MOD, d, EPOLLIN, 0), EINVAL);
	close_fds(d, d2, ep);
}

static void einval_epfd_not_epoll(void)
{
	int p[2], sv[2];
	int efd = eventfd(0, 0);
	int ep = epoll_create1(0);
	CHECK_OK(pipe(p));
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_ERR(ctl_ev(p[0], EPOLL_CTL_ADD, p[1], EPOLLIN, 0), EINVAL);
	CHECK_ERR(ctl_ev(efd, EPOLL_CTL_ADD, p[0], EPOLLIN, 0), EINVAL);
	CHECK_ERR(ctl_ev(sv[0], EPOLL_CTL_ADD, sv[1], EPOLLIN, 0), EINVAL);
	/* an epoll fd as target does not make a non-epoll epfd valid */
	CHECK_ERR(ctl_ev(efd, EPOLL_CTL_ADD, ep, EPOLLIN, 0), EINVAL);
	/* not ENOENT for DEL/MOD */
	CHECK_ERR(ctl(p[0], EPOLL_CTL_DEL, p[1], NULL), EINVAL);
	CHECK_ERR(ctl_ev(efd, EPOLL_CTL_MOD, p[0], EPOLLIN, 0), EINVAL);
	/* a pipe end "adding itself" */
	CHECK_ERR(ctl_ev(p[0], EPOLL_CTL_ADD, p[0], EPOLLIN, 0), EINVAL);
	close_fds(p[0], p[1], sv[0], sv[1], efd, ep);
}

/* ---- step 7: EPOLLEXCLUSIVE ---- */

static void excl_mod_unregistered_einval(void)
{
	int p[2];
	int ep = ep_and_pipe(p);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLEXCLUSIVE, 0),
		  EINVAL);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_MOD, p[0], EPOLLEXCLUSIVE, 0), EINVAL);
	/* without EXCLUSIVE the same call is ENOENT */
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_MOD, p[0], EPOLLIN, 0), ENOENT);
	close_fds(p[0], p[1], ep);
}

static void excl_mod_registered_plain_einval(void)
{
	int p[2];
	int ep = ep_and_pipe(p);
	CHECK_EQ(ctl_ev(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 5), 0);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLEXCLUSIVE, 6),
		  EINVAL);
	/* the entry is unchanged */
	still_reports(ep, p, 5);
	close_fds(p[0], p[1], ep);
}

static void excl_add_epoll_einval(void)
{
	int ep = epoll_create1(0), inner = epoll_create1(0);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_ADD, inner, EPOLLIN | EPOLLEXCLUSIVE, 0),
		  EINVAL);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_ADD, inner, EPOLLEXCLUSIVE, 0), EINVAL);
	/* nothing was added */
	CHECK_EQ(ctl_ev(ep, EPOLL_CTL_ADD, inner, EPOLLIN, 0), 0);
	close_fds(inner, ep);
}

static void excl_add_epoll_beats_eloop(void)
{
	int a = epoll_create1(0), b = epoll_create1(0);
	CHECK_EQ(ctl_ev(b, EPOLL_CTL_ADD, a, EPOLLIN, 0), 0);
	CHECK_ERR(ctl_ev(a, EPOLL_CTL_ADD, b, EPOLLIN | EPOLLEXCLUSIVE, 0),
		  EINVAL);
	CHECK_ERR(ctl_ev(a, EPOLL_CTL_ADD, b, EPOLLIN, 0), ELOOP);
	close_fds(a, b);
}

static void excl_forbidden_companions_einval(void)
{
	static const uint32_t bad[] = {
	    EPOLLONESHOT, EPOLLRDHUP, EPOLLPRI, EPOLLRDNORM, EPOLLRDBAND,
	    EPOLLWRNORM,  EPOLLMSG,   1u << 27, 0x4000,
	};
	int p[2];
	int ep = ep_and_pipe(p);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		long r = ctl_ev(ep, EPOLL_CTL_ADD, p[0],
				EPOLLIN | EPOLLEXCLUSIVE | bad[i], 0);
		if (r != -1 || errno != EINVAL)
			tl_fail(__FILE__, __LINE__,
				"EXCLUSIVE|IN|%#x gave %ld errno %d", bad[i], r,
				errno);
	}
	/* none of them was added */
	CHECK_EQ(ctl_ev(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 0), 0);
	close_fds(p[0], p[1], ep);
}

static void excl_forbidden_beats_eexist(void)
{
	int p[2];
	int ep = ep_and_pipe(p);
	CHECK_EQ(ctl_ev(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 0), 0);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_ADD, p[0],
			 EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 0),
		  EINVAL);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLEXCLUSIVE, 0),
		  EEXIST);
	close_fds(p[0], p[1], ep);
}

static void excl_allowed_combinations(void)
{
	static const uint32_t ok[] = {
	    EPOLLEXCLUSIVE,
	    EPOLLEXCLUSIVE | EPOLLET,
	    EPOLLEXCLUSIVE | EPOLLWAKEUP,
	    EPOLLEXCLUSIVE | EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP,
	    EPOLLEXCLUSIVE | EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP |
		EPOLLET | EPOLLWAKEUP,
	};
	enum { N = sizeof(ok) / sizeof(ok[0]) };
	int ep = epoll_create1(0);
	int p[2], d[N];
	CHECK_OK(pipe(p));
	for (size_t i = 0; i < N; i++) {
		d[i] = dup(p[0]); /* one key per mask */
		long r = ctl_ev(ep, EPOLL_CTL_ADD, d[i], ok[i], i);
		if (r != 0)
			tl_fail(__FILE__, __LINE__, "EXCLUSIVE mask %#x: %s",
				ok[i], strerror(errno));
	}
	close_list(d, N);
	close_fds(p[0], p[1], ep);
}

static void excl_entry_mod_einval_any_mask(void)
{
	int p[2];
	int ep = ep_and_pipe(p);
	CHECK_EQ(ctl_ev(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLEXCLUSIVE, 9),
		 0);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_MOD, p[0], EPOLLIN, 1), EINVAL);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_MOD, p[0], 0, 1), EINVAL);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_MOD, p[0], EPOLLOUT | EPOLLONESHOT, 1),
		  EINVAL);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLEXCLUSIVE, 1),
		  EINVAL);
	/* still registered with the original data */
	still_reports(ep, p, 9);
	close_fds(p[0], p[1], ep);
}

static void excl_del_works(void)
{
	int p[2];
	struct epoll_event out[2];
	int ep = ep_and_pipe(p);
	CHECK_EQ(ctl_ev(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLEXCLUSIVE, 1),
		 0);
	CHECK_EQ(ctl(ep, EPOLL_CTL_DEL, p[0], NULL), 0);
	CHECK_ERR(ctl(ep, EPOLL_CTL_DEL, p[0], NULL), ENOENT);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(epoll_wait(ep, out, 2, 0), 0);
	CHECK_EQ(ctl_ev(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 2), 0);
	CHECK_EQ(ctl_ev(ep, EPOLL_CTL_MOD, p[0], EPOLLIN, 3), 0);
	CHECK_EQ(epoll_wait(ep, out, 2, 0), 1);
	CHECK_EQ(out[0].data.u64, 3);
	close_fds(p[0], p[1], ep);
}

/* ---- step 8 vs others ---- */

static void invalid_op_skips_loop_check(void)
{
	/* Only ADD runs the loop check: an invalid op that would "form a
	 * cycle" is plain EINVAL. */
	int a = epoll_create1(0), b = epoll_create1(0);
	CHECK_EQ(ctl_ev(b, EPOLL_CTL_ADD, a, EPOLLIN, 0), 0);
	CHECK_ERR(ctl_ev(a, 99, b, EPOLLIN, 0), EINVAL);
	CHECK_ERR(ctl_ev(a, EPOLL_CTL_MOD, b, EPOLLIN, 0), ENOENT);
	CHECK_ERR(ctl(a, EPOLL_CTL_DEL, b, NULL), ENOENT);
	CHECK_ERR(ctl_ev(a, EPOLL_CTL_ADD, b, EPOLLIN, 0), ELOOP);
	close_fds(a, b);
}

/* ---- step 9: the lookup ---- */

static void eexist_add_twice(void)
{
	int ep = epoll_create1(0), inner = epoll_create1(0);
	int p[2];
	CHECK_OK(pipe(p));
	CHECK_EQ(ctl_ev(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 0), 0);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 0), EEXIST);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_ADD, p[0], EPOLLOUT | EPOLLET, 1),
		  EEXIST);
	/* a nested epoll re-added: EEXIST, not ELOOP */
	CHECK_EQ(ctl_ev(ep, EPOLL_CTL_ADD, inner, EPOLLIN, 0), 0);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_ADD, inner, EPOLLIN, 0), EEXIST);
	close_fds(p[0], p[1], inner, ep);
}

static void enoent_absent_key(void)
{
	int p[2];
	int ep = ep_and_pipe(p);
	CHECK_ERR(ctl(ep, EPOLL_CTL_DEL, p[0], NULL), ENOENT);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_MOD, p[0], EPOLLIN, 0), ENOENT);
	CHECK_EQ(ctl_ev(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 0), 0);
	CHECK_ERR(ctl(ep, EPOLL_CTL_DEL, p[1], NULL), ENOENT);
	CHECK_EQ(ctl(ep, EPOLL_CTL_DEL, p[0], NULL), 0);
	CHECK_ERR(ctl(ep, EPOLL_CTL_DEL, p[0], NULL), ENOENT);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_MOD, p[0], EPOLLIN, 0), ENOENT);
	close_fds(p[0], p[1], ep);
}

static void invalid_op_einval(void)
{
	static const int ops[] = {0, 4, 99, -1, 0x80000001};
	int p[2];
	int ep = ep_and_pipe(p);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		/* unregistered key: EINVAL, not ENOENT */
		CHECK_ERR(ctl_ev(ep, ops[i], p[0], EPOLLIN, 0), EINVAL);
	}
	CHECK_EQ(ctl_ev(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 0), 0);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		/* registered key: EINVAL, not EEXIST; EXCLUSIVE rules skipped
		 */
		CHECK_ERR(ctl_ev(ep, ops[i], p[0], EPOLLIN, 0), EINVAL);
		CHECK_ERR(ctl_ev(ep, ops[i], p[0],
				 EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 0),
			  EINVAL);
	}
	/* the entry survived all that */
	CHECK_EQ(ctl(ep, EPOLL_CTL_DEL, p[0], NULL), 0);
	close_fds(p[0], p[1], ep);
}

/* ---- the (file, fd) key ---- */

static void key_dup_independent_entry(void)
{
	int p[2];
	struct epoll_event out[4];
	int ep = ep_and_pipe(p);
	int d = dup(p[0]);
	CHECK_EQ(ctl_ev(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 1), 0);
	CHECK_EQ(ctl_ev(ep, EPOLL_CTL_ADD, d, EPOLLIN, 2), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	int n = epoll_wait(ep, out, 4, 0);
	CHECK_EQ(n, 2);
	if (n == 2)
		CHECK_EQ(out[0].data.u64 + out[1].data.u64, 3);
	CHECK_EQ(ctl(ep, EPOLL_CTL_DEL, p[0], NULL), 0);
	n = epoll_wait(ep, out, 4, 0);
	CHECK_EQ(n, 1);
	CHECK_EQ(out[0].data.u64, 2);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_ADD, d, EPOLLIN, 2), EEXIST);
	close_fds(d, p[0], p[1], ep);
}

static void key_del_via_dup_enoent(void)
{
	int p[2];
	int ep = ep_and_pipe(p);
	int d = dup(p[0]);
	CHECK_EQ(ctl_ev(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 1), 0);
	CHECK_ERR(ctl(ep, EPOLL_CTL_DEL, d, NULL), ENOENT);
	CHECK_ERR(ctl_ev(ep, EPOLL_CTL_MOD, d, EPOLLIN, 0), ENOENT);
	CHECK_EQ(ctl(ep, EPOLL_CTL_DEL, p[0], NULL), 0);
	close_fds(d, p[0], p[1], ep);
}

static void key_closed_number_with_dup_alive(void)
{
	int p[2];
	struct epoll_event out[2];
	int ep = ep_and_pipe(p);
	int orig = p[0];
	int d = dup(orig);
	CHECK_EQ(ctl_ev(ep, EPOLL_CTL_ADD, orig, EPOLLIN, 42), 0);
	CHECK_EQ(close(orig), 0);
	/* the entry survives and still reports its old data */
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(epoll_wait(ep, out, 2, 0), 1);
	CHECK_EQ(out[0].data.u64, 42);
	CHECK_ERR(ctl(ep, EPOLL_CTL_DEL, orig, NULL), EBADF);
	CHECK_ERR(ctl(ep, EPOLL_CTL_DEL, d, NULL), ENOENT);
	/* put the same file back on the old number: the key matches again */
	CHECK_EQ(dup2(d, orig), orig);
	CHECK_EQ(ctl(ep, EPOLL_CTL_DEL, orig, NULL), 0);
	CHECK_EQ(epoll_wait(ep, out, 2, 0), 0);
	close_fds(orig, d, p[1], ep);
}

static void key_is_file_and_number(void)
{
	/* Same number, different file: a different key. */
	int ep = epoll_create1(0);
	int a[2], b[2];
	struct epoll_event out[4];
	CHECK_OK(pipe(a));
	CHECK_OK(pipe(b));
	int n = a[0];
	int keep = dup(a[0]); /* keeps file A alive after n is reused */
	CHECK_EQ(ctl_ev(ep, EPOLL_CTL_ADD, n, EPOLLIN, 0xA), 0);
	CHECK_EQ(dup2(b[0], n), n); /* n now names pipe B's read end */
	CHECK_EQ(ctl_ev(ep, EPOLL_CTL_ADD, n, EPOLLIN, 0xB), 0);
	CHECK_EQ(write(a[1], "x", 1), 1);
	CHECK_EQ(write(b[1], "x", 1), 1);
	int r = epoll_wait(ep, out, 4, 0);
	CHECK_EQ(r, 2);
	if (r == 2)
		CHECK_EQ(out[0].data.u64 + out[1].data.u64, 0xA + 0xB);
	/* DEL by number n removes only the (B, n) entry */
	CHECK_EQ(ctl(ep, EPOLL_CTL_DEL, n, NULL), 0);
	r = epoll_wait(ep, out, 4, 0);
	CHECK_EQ(r, 1);
	CHECK_EQ(out[0].data.u64, 0xA);
	CHECK_ERR(ctl(ep, EPOLL_CTL_DEL, n, NULL), ENOENT);
	close_fds(n, keep, a[1], b[0], b[1], ep);
}

static void key_readd_after_last_close(void)
{
	int ep = epoll_create1(0);
	int p[2], q[2];
	struct epoll_event out[2];
	CHECK_OK(pipe(p));
	int n = p[0];
	CHECK_EQ(ctl_ev(ep, EPOLL_CTL_ADD, n, EPOLLIN, 1), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	close_fds(p[0], p[1]); /* last reference: the entry goes */
	CHECK_EQ(epoll_wait(ep, out, 2, 0), 0);
	CHECK_OK(pipe(q));
	CHECK_EQ(q[0], n); /* lowest free number is reused */
	CHECK_ERR(ctl(ep, EPOLL_CTL_DEL, q[0], NULL), ENOENT);
	CHECK_EQ(ctl_ev(ep, EPOLL_CTL_ADD, q[0], EPOLLIN, 2), 0);
	CHECK_EQ(write(q[1], "y", 1), 1);
	CHECK_EQ(epoll_wait(ep, out, 2, 0), 1);
	CHECK_EQ(out[0].data.u64, 2);
	close_fds(q[0], q[1], ep);
}

int main(void)
{
	RUN(efault_before_ebadf);
	RUN(efault_invalid_op);
	RUN(efault_before_eperm_and_einval);
	RUN(efault_partial_event);
	RUN(del_never_reads_event);
	RUN(del_bad_pointer_later_errors);
	RUN(ebadf_epfd);
	RUN(ebadf_fd);
	RUN(ebadf_epfd_before_target_checks);
	RUN(ebadf_fd_before_epfd_kind_and_op);
	RUN(opath_fds_ebadf);
	RUN(eperm_unpollable_targets);
	RUN(eperm_del_and_mod);
	RUN(eperm_invalid_op);
	RUN(eperm_non_epoll_epfd);
	RUN(einval_self);
	RUN(einval_dup_of_epfd);
	RUN(einval_epfd_not_epoll);
	RUN(excl_mod_unregistered_einval);
	RUN(excl_mod_registered_plain_einval);
	RUN(excl_add_epoll_einval);
	RUN(excl_add_epoll_beats_eloop);
	RUN(excl_forbidden_companions_einval);
	RUN(excl_forbidden_beats_eexist);
	RUN(excl_allowed_combinations);
	RUN(excl_entry_mod_einval_any_mask);
	RUN(excl_del_works);
	RUN(invalid_op_skips_loop_check);
	RUN(eexist_add_twice);
	RUN(enoent_absent_key);
	RUN(invalid_op_einval);
	RUN(key_dup_independent_entry);
	RUN(key_del_via_dup_enoent);
	RUN(key_closed_number_with_dup_alive);
	RUN(key_is_file_and_number);
	RUN(key_readd_after_last_close);
	return tl_done();
}
