/* epoll_ctl_create.c: epoll_create / epoll_create1 and the file-level
 * behaviour of an epoll fd (linux-semantics.md sections 0.2, 1.1, 2). */
#include "testlib.h"
#include "testutil.h"

#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

/* Close every fd from lo upwards that is open, so the "lowest free fd" case
 * starts from a known table (only fds this program opened are >= 3). */
static int lowest_free_from(int lo)
{
	for (int fd = lo;; fd++)
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF)
			return fd;
}

static void create_size_zero_einval(void)
{
	CHECK_ERR(epoll_create(0), EINVAL);
	CHECK_ERR(syscall(SYS_epoll_create, 0), EINVAL);
}

static void create_size_negative_einval(void)
{
	CHECK_ERR(epoll_create(-5), EINVAL);
	CHECK_ERR(syscall(SYS_epoll_create, -1), EINVAL);
	CHECK_ERR(syscall(SYS_epoll_create, INT_MIN), EINVAL);
}

static void create_size_ignored(void)
{
	/* size is only a hint: 1 still holds more than one entry, and a huge
	 * size needs no memory. */
	int ep = epoll_create(1);
	int big = epoll_create(INT_MAX);
	int p1[2], p2[2], p3[2];
	struct epoll_event ev = {.events = EPOLLIN};

	CHECK(ep >= 0);
	CHECK(big >= 0);
	CHECK_OK(pipe(p1));
	CHECK_OK(pipe(p2));
	CHECK_OK(pipe(p3));
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p1[0], &ev), 0);
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p2[0], &ev), 0);
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p3[0], &ev), 0);
	CHECK_EQ(epoll_ctl(big, EPOLL_CTL_ADD, p1[0], &ev), 0);
	CHECK_EQ(write(p1[1], "a", 1), 1);
	CHECK_EQ(write(p2[1], "a", 1), 1);
	CHECK_EQ(write(p3[1], "a", 1), 1);
	struct epoll_event out[4];
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 3);
	CHECK_EQ(epoll_wait(big, out, 4, 0), 1);
	close_fds(p1[0], p1[1], p2[0], p2[1], p3[0], p3[1], ep, big);
}

static void create1_flag_one_einval(void)
{
	CHECK_ERR(epoll_create1(1), EINVAL);
	CHECK_ERR(epoll_create1(EPOLL_CLOEXEC | 1), EINVAL);
	CHECK_ERR(syscall(SYS_epoll_create1, 0x80000000u), EINVAL);
}

static void create1_nonblock_einval(void)
{
	CHECK_ERR(epoll_create1(O_NONBLOCK), EINVAL);
	CHECK_ERR(epoll_create1(O_NONBLOCK | EPOLL_CLOEXEC), EINVAL);
}

static void create1_cloexec_sets_fd_cloexec(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0);
	CHECK_EQ(fcntl(ep, F_GETFD), FD_CLOEXEC);
	close(ep);
}

static void create1_zero_no_cloexec(void)
{
	int ep = epoll_create1(0);
	int ep2 = epoll_create(10);
	CHECK(ep >= 0);
	CHECK(ep2 >= 0);
	CHECK_EQ(fcntl(ep, F_GETFD), 0);
	CHECK_EQ(fcntl(ep2, F_GETFD), 0);
	close_fds(ep, ep2);
}

static void getfl_rdwr(void)
{
	int ep = epoll_create1(0);
	int ep2 = epoll_create1(EPOLL_CLOEXEC);
	CHECK_EQ(fcntl(ep, F_GETFL), O_RDWR);
	CHECK_EQ(fcntl(ep2, F_GETFL), O_RDWR);
	close_fds(ep, ep2);
}

static void readlink_anon_inode(void)
{
	int ep = epoll_create1(0);
	char path[64], buf[128];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", ep);
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	CHECK(n > 0);
	if (n > 0) {
		buf[n] = 0;
		if (strcmp(buf, "anon_inode:[eventpoll]") != 0)
			tl_fail(__FILE__, __LINE__, "readlink gave '%s'", buf);
	}
	close(ep);
}

static void stat_mode_0600(void)
{
	int ep = epoll_create1(0);
	struct stat st;
	CHECK_EQ(fstat(ep, &st), 0);
	CHECK_EQ(st.st_mode, 0600); /* no file-type bits at all */
	close(ep);
}

static void read_write_einval(void)
{
	int ep = epoll_create1(0);
	char buf[16] = {0};
	CHECK_ERR(read(ep, buf, sizeof(buf)), EINVAL);
	CHECK_ERR(write(ep, buf, sizeof(buf)), EINVAL);
	CHECK_ERR(read(ep, buf, 8), EINVAL);
	close(ep);
}

static void lseek_returns_zero(void)
{
	int ep = epoll_create1(0);
	CHECK_EQ(lseek(ep, 0, SEEK_SET), 0);
	CHECK_EQ(lseek(ep, 100, SEEK_SET), 0);
	CHECK_EQ(lseek(ep, 5, SEEK_CUR), 0);
	close(ep);
}

static void pread_pwrite_espipe(void)
{
	int ep = epoll_create1(0);
	char buf[16] = {0};
	CHECK_ERR(pread(ep, buf, sizeof(buf), 0), ESPIPE);
	CHECK_ERR(pwrite(ep, buf, sizeof(buf), 0), ESPIPE);
	close(ep);
}

static void ioctl_fionread_einval(void)
{
	int ep = epoll_create1(0);
	int n = 0;
	CHECK_ERR(ioctl(ep, FIONREAD, &n), EINVAL);
	close(ep);
}

static void ioctl_fionbio_ok(void)
{
	int ep = epoll_create1(0);
	int on = 1, off = 0;
	CHECK_EQ(ioctl(ep, FIONBIO, &on), 0);
	CHECK_EQ(fcntl(ep, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	CHECK_EQ(ioctl(ep, FIONBIO, &off), 0);
	CHECK_EQ(fcntl(ep, F_GETFL), O_RDWR);
	close(ep);
}

static void reopen_proc_fd_enxio(void)
{
	int ep = epoll_create1(0);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", ep);
	CHECK_ERR(open(path, O_RDWR), ENXIO);
	CHECK_ERR(open(path, O_RDONLY), ENXIO);
	close(ep);
}

static void lowest_free_fd(void)
{
	int lo = lowest_free_from(3);
	int a = epoll_create1(0);
	int b = epoll_create(1);
	int c = epoll_create1(EPOLL_CLOEXEC);
	CHECK_EQ(a, lo);
	CHECK(b > a);
	CHECK(c > b);
	/* Free a hole below: the next epoll takes it. */
	close(a);
	int d = epoll_create1(0);
	CHECK_EQ(d, a);
	close(b);
	int e = epoll_create(5);
	CHECK_EQ(e, b);
	close_fds(c, d, e);
}

static void each_create_new_instance(void)
{
	/* Two instances have independent interest and ready lists. */
	int ep1 = epoll_create1(0), ep2 = epoll_create1(0);
	int p[2];
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7}, out[2];
	CHECK_OK(pipe(p));
	CHECK_EQ(epoll_ctl(ep1, EPOLL_CTL_ADD, p[0], &ev), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(epoll_wait(ep1, out, 2, 0), 1);
	CHECK_EQ(epoll_wait(ep2, out, 2, 0), 0);
	CHECK_ERR(epoll_ctl(ep2, EPOLL_CTL_DEL, p[0], NULL), ENOENT);
	CHECK_EQ(epoll_ctl(ep2, EPOLL_CTL_ADD, p[0], &ev), 0);
	close_fds(p[0], p[1], ep1, ep2);
}

static void create_emfile(void)
{
	/* With no free descriptor below RLIMIT_NOFILE the create fails EMFILE.
	 */
	struct rlimit old, lim;
	int lo = lowest_free_from(3);
	CHECK_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
	lim = old;
	lim.rlim_cur = lo;
	CHECK_EQ(setrlimit(RLIMIT_NOFILE, &lim), 0);
	CHECK_ERR(epoll_create1(0), EMFILE);
	CHECK_ERR(epoll_create(1), EMFILE);
	CHECK_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);
	int ep = epoll_create1(0);
	CHECK_EQ(ep, lo);
	close(ep);
}

static void constants_and_layout(void)
{
	CHECK_EQ(EPOLL_CLOEXEC, 02000000);
	CHECK_EQ(EPOLL_CLOEXEC, O_CLOEXEC);
	CHECK_EQ(EPOLL_CTL_ADD, 1);
	CHECK_EQ(EPOLL_CTL_DEL, 2);
	CHECK_EQ(EPOLL_CTL_MOD, 3);
	CHECK_EQ(EPOLLIN, 0x1);
	CHECK_EQ(EPOLLPRI, 0x2);
	CHECK_EQ(EPOLLOUT, 0x4);
	CHECK_EQ(EPOLLERR, 0x8);
	CHECK_EQ(EPOLLHUP, 0x10);
	CHECK_EQ(EPOLLRDNORM, 0x40);
	CHECK_EQ(EPOLLRDBAND, 0x80);
	CHECK_EQ(EPOLLWRNORM, 0x100);
	CHECK_EQ(EPOLLWRBAND, 0x200);
	CHECK_EQ(EPOLLMSG, 0x400);
	CHECK_EQ(EPOLLRDHUP, 0x2000);
	CHECK_EQ(EPOLLEXCLUSIVE, 1u << 28);
	CHECK_EQ(EPOLLWAKEUP, 1u << 29);
	CHECK_EQ(EPOLLONESHOT, 1u << 30);
	CHECK_EQ((uint32_t)EPOLLET, 1u << 31);
	CHECK_EQ(sizeof(struct epoll_event), 12);
	CHECK_EQ(offsetof(struct epoll_event, data), 4);
}

static void wait_writes_12_byte_records(void)
{
	/* The kernel writes packed 12-byte records: {u32 events, u64 data}. */
	int ep = epoll_create1(0);
	int p1[2], p2[2];
	unsigned char buf[40];
	struct epoll_event ev;
	CHECK_OK(pipe(p1));
	CHECK_OK(pipe(p2));
	ev.events = EPOLLIN;
	ev.data.u64 = 0x1122334455667788ULL;
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p1[0], &ev), 0);
	ev.data.u64 = 0x99aabbccddeeff00ULL;
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p2[0], &ev), 0);
	CHECK_EQ(write(p1[1], "a", 1), 1);
	CHECK_EQ(write(p2[1], "a", 1), 1);
	memset(buf, 0xa5, sizeof(buf));
	CHECK_EQ(epoll_wait(ep, (struct epoll_event *)buf, 3, 0), 2);
	uint32_t e0, e1;
	uint64_t d0, d1;
	memcpy(&e0, buf + 0, 4);
	memcpy(&d0, buf + 4, 8);
	memcpy(&e1, buf + 12, 4);
	memcpy(&d1, buf + 16, 8);
	CHECK_EQ(e0, EPOLLIN);
	CHECK_EQ(d0, 0x1122334455667788ULL);
	CHECK_EQ(e1, EPOLLIN);
	CHECK_EQ(d1, 0x99aabbccddeeff00ULL);
	for (size_t i = 24; i < sizeof(buf); i++)
		CHECK_EQ(buf[i], 0xa5);
	close_fds(p1[0], p1[1], p2[0], p2[1], ep);
}

static void max_events_limit(void)
{
	/* EP_MAX_EVENTS = INT_MAX / 12 = 178956970. access_ok only checks the
	 * range against the address-space limit, so a small static buffer with
	 * an empty instance returns 0. */
	static struct epoll_event out[1];
	int ep = epoll_create1(0);
	CHECK_EQ(syscall(SYS_epoll_wait, ep, out, 178956970, 0), 0);
	CHECK_ERR(syscall(SYS_epoll_wait, ep, out, 178956971, 0), EINVAL);
	CHECK_ERR(syscall(SYS_epoll_wait, ep, out, INT_MAX, 0), EINVAL);
	close(ep);
}

/* An epoll file first named by another process than its creator: a
 * forked child that fills it, or a process that received it over
 * SCM_RIGHTS and waits on it. The instance is the file, wherever used. */
static void first_named_elsewhere(void)
{
	int p[2], sv[2];
	struct epoll_event out[2];
	int ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0);
	CHECK_OK(pipe2(p, O_CLOEXEC | O_NONBLOCK));
	pid_t pid = fork();
	if (pid == 0)
		_exit(add(ep, p[0], EPOLLIN, 5) == 0 ? 0 : 1);
	int st = 0;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK_EQ(epoll_wait(ep, out, 2, 0), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(epoll_wait(ep, out, 2, 0), 1);
	CHECK_EQ(out[0].data.u64, 5);
	close(ep);

	/* A fresh one, passed before anyone names it; the receiver adds
	 * the pipe and sleeps until the sender writes. */
	ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	char buf[8];
	while (read(p[0], buf, sizeof(buf)) > 0)
		;
	pid = fork();
	if (pid == 0) {
		close(ep);
		int got = recv_fd(sv[1], MSG_CMSG_CLOEXEC);
		if (got < 0 || add(got, p[0], EPOLLIN, 6) != 0 ||
		    write(sv[1], "r", 1) != 1)
			_exit(1);
		int n = epoll_wait(got, out, 2, 5000);
		_exit(n == 1 && out[0].data.u64 == 6 ? 0 : 2);
	}
	CHECK_OK(send_fd(sv[0], ep));
	CHECK_EQ(read(sv[0], buf, 1), 1); /* the receiver has added */
	close(ep);
	sleep_ms(100);
	CHECK_EQ(write(p[1], "y", 1), 1);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close_fds(sv[0], sv[1]);
	close_fds(p[0], p[1]);
}

int main(void)
{
	RUN(create_size_zero_einval);
	RUN(create_size_negative_einval);
	RUN(create_size_ignored);
	RUN(create1_flag_one_einval);
	RUN(create1_nonblock_einval);
	RUN(create1_cloexec_sets_fd_cloexec);
	RUN(create1_zero_no_cloexec);
	RUN(getfl_rdwr);
	RUN(readlink_anon_inode);
	RUN(stat_mode_0600);
	RUN(read_write_einval);
	RUN(lseek_returns_zero);
	RUN(pread_pwrite_espipe);
	RUN(ioctl_fionread_einval);
	RUN(ioctl_fionbio_ok);
	RUN(reopen_proc_fd_enxio);
	RUN(lowest_free_fd);
	RUN(each_create_new_instance);
	RUN(create_emfile);
	RUN(constants_and_layout);
	RUN(wait_writes_12_byte_records);
	RUN(max_events_limit);
	RUN(first_named_elsewhere);
	return tl_done();
}
