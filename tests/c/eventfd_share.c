/* eventfd_share.c: one eventfd seen through several descriptors and
 * processes: dup, fork, SCM_RIGHTS, exec with and without close-on-exec,
 * pidfd_getfd (linux-semantics.md §1.1: the identity is the open file
 * description; §6.1 FD_CLOEXEC).
 *
 * The program re-executes itself (/proc/self/exe) with
 *   --exec-child FD absent
 *   --exec-child FD present VALUE GETFL SEMAPHORE
 * to look at an fd after execve.
 */
#include "testlib.h"
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

static void dup_shares_counter(void)
{
	int fd = eventfd(0, EFD_NONBLOCK);
	int d1, d2, d3, d4;
	uint64_t v;

	CHECK(fd >= 0);
	d1 = dup(fd);
	d2 = dup2(fd, 100);
	d3 = dup3(fd, 101, O_CLOEXEC);
	d4 = fcntl(fd, F_DUPFD_CLOEXEC, 200);
	CHECK(d1 >= 0);
	CHECK_EQ(d2, 100);
	CHECK_EQ(d3, 101);
	CHECK(d4 >= 200);

	CHECK_OK(wr(d1, 1));
	CHECK_OK(wr(d2, 2));
	CHECK_OK(wr(d3, 4));
	CHECK_OK(wr(d4, 8));
	CHECK_OK(wr(fd, 16));
	expect_read(d2, 31);
	CHECK_ERR(read(fd, &v, 8), EAGAIN);
	CHECK_ERR(read(d4, &v, 8), EAGAIN);

	/* Same eventfd everywhere. */
	CHECK_EQ(fdinfo_num(d3, "eventfd-id:", 10),
		 fdinfo_num(fd, "eventfd-id:", 10));

	/* Status flags are shared (one open file description) ... */
	CHECK_OK(fcntl(d1, F_SETFL, 0));
	CHECK_EQ(fcntl(fd, F_GETFL), O_RDWR);
	CHECK_EQ(fcntl(d4, F_GETFL), O_RDWR);
	CHECK_OK(fcntl(d4, F_SETFL, O_NONBLOCK));
	CHECK_EQ(fcntl(d2, F_GETFL), O_RDWR | O_NONBLOCK);
	/* ... the fd flags are not. */
	CHECK_EQ(fcntl(fd, F_GETFD), 0);
	CHECK_EQ(fcntl(d1, F_GETFD), 0);
	CHECK_EQ(fcntl(d3, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(d4, F_GETFD), FD_CLOEXEC);

	/* Closing the original leaves the others working. */
	close(fd);
	CHECK_OK(wr(d3, 5));
	CHECK_OK(rd(d1, &v));
	CHECK_EQ(v, 5);
	close_fds(d1, d2, d3, d4);
}

static void dup2_over_eventfd(void)
{
	/* dup2 onto an fd that is another eventfd replaces it atomically. */
	int a = eventfd(1, EFD_NONBLOCK);
	int b = eventfd(2, EFD_NONBLOCK);
	uint64_t v;

	CHECK(a >= 0 && b >= 0);
	CHECK_EQ(dup2(a, b), b);
	CHECK_OK(rd(b, &v));
	CHECK_EQ(v, 1);
	CHECK_ERR(read(a, &v, 8), EAGAIN);
	close_fds(a, b);
}

static void fork_inherit(void)
{
	int fd = eventfd(0, 0);
	pid_t pid;
	uint64_t v = 0;
	double t0;

	CHECK(fd >= 0);
	t0 = tl_now_ms();
	pid = fork_child();
	if (pid == 0) {
		sleep_ms(100);
		_exit(wr(fd, 11) == 0 ? 0 : 1);
	}
	/* The parent's blocking read is woken by the child's write. */
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, 11);
	CHECK(tl_now_ms() - t0 >= 90);
	CHECK_EQ(wait_exit(pid), 0);
	close(fd);
}

static void fork_child_reads(void)
{
	/* The parent writes, a blocked child reads; the child's semaphore
	 * reads consume the shared counter. */
	int fd = eventfd(0, EFD_SEMAPHORE);
	pid_t pid;
	uint64_t v;

	CHECK(fd >= 0);
	pid = fork_child();
	if (pid == 0) {
		uint64_t x = 0;
		if (rd(fd, &x) != 0 || x != 1)
			_exit(1);
		if (rd(fd, &x) != 0 || x != 1)
			_exit(2);
		_exit(0);
	}
	sleep_ms(100);
	CHECK_OK(wr(fd, 3));
	CHECK_EQ(wait_exit(pid), 0);
	/* One left. */
	CHECK_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, 1);
	CHECK_ERR(read(fd, &v, 8), EAGAIN);
	close(fd);
}

static void fork_status_flags_shared(void)
{
	/* F_SETFL in the child changes the parent's view: the open file
	 * description is shared across fork. FD_CLOEXEC is not. */
	int fd = eventfd(0, 0);
	pid_t pid;

	CHECK(fd >= 0);
	pid = fork_child();
	if (pid == 0) {
		if (fcntl(fd, F_SETFL, O_NONBLOCK) != 0)
			_exit(1);
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
			_exit(2);
		_exit(0);
	}
	CHECK_EQ(wait_exit(pid), 0);
	CHECK_EQ(fcntl(fd, F_GETFL), O_RDWR | O_NONBLOCK);
	CHECK_EQ(fcntl(fd, F_GETFD), 0);
	close(fd);
}

static void fork_parent_closes(void)
{
	/* The eventfd lives on in the child after the parent closed it. */
	int fd = eventfd(0, 0);
	int p[2];
	pid_t pid;
	char c = 0;

	CHECK(fd >= 0);
	CHECK_OK(pipe(p));
	pid = fork_child();
	if (pid == 0) {
		uint64_t x = 0;
		close(p[1]);
		if (read(p[0], &c, 1) != 1) /* parent has closed fd */
			_exit(1);
		if (wr(fd, 9) != 0 || rd(fd, &x) != 0 || x != 9)
			_exit(2);
		_exit(0);
	}
	close_fds(p[0], fd);
	CHECK_EQ(write(p[1], "x", 1), 1);
	close(p[1]);
	CHECK_EQ(wait_exit(pid), 0);
}

static void scm_rights_transfer(void)
{
	/* The sender's eventfd is created after fork, so the receiving child
	 * can only reach it through the socket. */
	int sv[2];
	pid_t pid;
	int fd;
	uint64_t v = 0;
	long id;

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork_child();
	if (pid == 0) {
		int rfd;
		uint64_t x = 0;
		long rid;
		close(sv[0]);
		rfd = recv_fd(sv[1], 0);
		if (rfd < 0)
			_exit(1);
		if (fcntl(rfd, F_GETFD) != 0) /* no MSG_CMSG_CLOEXEC */
			_exit(2);
		if (fcntl(rfd, F_GETFL) != (O_RDWR | O_NONBLOCK))
			_exit(3);
		/* It sees the value the sender wrote before sending, and it
		 * is still a semaphore eventfd. */
		if (fdinfo_num(rfd, "eventfd-count:", 16) != 7)
			_exit(4);
		if (rd(rfd, &x) != 0 || x != 1)
			_exit(7);
		/* Tell the sender our eventfd-id, then write for it. */
		rid = fdinfo_num(rfd, "eventfd-id:", 10);
		if (write(sv[1], &rid, sizeof(rid)) != sizeof(rid))
			_exit(5);
		if (wr(rfd, 21) != 0)
			_exit(6);
		close_fds(rfd, sv[1]);
		_exit(0);
	}
	close(sv[1]);
	fd = eventfd(0, EFD_NONBLOCK | EFD_SEMAPHORE);
	CHECK(fd >= 0);
	id = fdinfo_num(fd, "eventfd-id:", 10);
	CHECK_OK(wr(fd, 7));
	CHECK_OK(send_fd(sv[0], fd));
	{
		long rid = -2;
		CHECK_EQ(read(sv[0], &rid, sizeof(rid)), (long)sizeof(rid));
		CHECK_EQ(rid, id);
	}
	CHECK_EQ(wait_exit(pid), 0);
	/* The child's semaphore read took one of the 7, then it added 21. */
	CHECK_OK(fcntl(fd, F_SETFL, O_NONBLOCK)); /* already, harmless */
	{
		int n = 0;
		while (rd(fd, &v) == 0)
			n++;
		CHECK_EQ(n, 6 + 21);
	}
	close_fds(fd, sv[0]);
}

static void scm_rights_self_and_cloexec(void)
{
	/* Send to ourselves: the received fd is a new number for the same
	 * file; MSG_CMSG_CLOEXEC decides its FD_CLOEXEC. The sender may
	 * close its copy while the fd is in flight. */
	int sv[2], fd, r1, r2;
	uint64_t v;

	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	fd = eventfd(0, EFD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_OK(wr(fd, 40));
	CHECK_OK(send_fd(sv[0], fd));
	CHECK_OK(send_fd(sv[0], fd));
	close(fd); /* only the in-flight references remain */
	r1 = recv_fd(sv[1], 0);
	r2 = recv_fd(sv[1], MSG_CMSG_CLOEXEC);
	CHECK(r1 >= 0 && r2 >= 0 && r1 != r2);
	CHECK_EQ(fcntl(r1, F_GETFD), 0);
	CHECK_EQ(fcntl(r2, F_GETFD), FD_CLOEXEC);
	CHECK_OK(wr(r1, 2));
	expect_read(r2, 42);
	CHECK_OK(fcntl(r2, F_SETFL, O_NONBLOCK));
	CHECK_ERR(read(r1, &v, 8), EAGAIN);
	close_fds(r1, r2, sv[0], sv[1]);
}

/* Fork and exec ourselves with the given extra arguments. */
static int run_self(char *const extra[])
{
	char *argv[16];
	pid_t pid;
	int i;

	argv[0] = (char *)"eventfd_share";
	for (i = 0; extra[i] && i < 14; i++)
		argv[i + 1] = extra[i];
	argv[i + 1] = NULL;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	return wait_exit(pid);
}

/* Re-execute this program as "--exec-child FD absent" or, with count,
 * "--exec-child FD present COUNT GETFL SEM": its exit status. */
static int exec_child(const char *fd, const char *count, const char *getfl,
		      const char *sem)
{
	char *absent[] = {(char *)"--exec-child", (char *)fd, (char *)"absent",
			  NULL};
	char *present[] = {(char *)"--exec-child",
			   (char *)fd,
			   (char *)"present",
			   (char *)count,
			   (char *)getfl,
			   (char *)sem,
			   NULL};

	return run_self(count ? present : absent);
}

static int exec_child_main(int argc, char **argv)
{
	int fd = atoi(argv[2]);
	uint64_t v = 0;
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (strcmp(argv[3], "absent") == 0) {
		errno = 0;
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			return 10;
		if (lstat(path, &st) == 0 || errno != ENOENT)
			return 11;
		return 0;
	}
	if (argc < 7 || strcmp(argv[3], "present") != 0)
		return 20;
	if (access(path, F_OK) != 0)
		return 21;
	{
		char link[64];
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			return 22;
		link[n] = 0;
		if (strcmp(link, "anon_inode:[eventfd]") != 0)
			return 23;
	}
	if (fcntl(fd, F_GETFD) != 0)
		return 24;
	if (fcntl(fd, F_GETFL) != atoi(argv[5]))
		return 25;
	if (fdinfo_num(fd, "eventfd-semaphore:", 10) != atoi(argv[6]))
		return 26;
	if (rd(fd, &v) != 0)
		return 27;
	if (v != strtoull(argv[4], NULL, 0))
		return 28;
	/* Answer through the same eventfd. */
	if (wr(fd, v * 2) != 0)
		return 29;
	return 0;
}

static void cloexec_exec(void)
{
	int a = eventfd(0, EFD_CLOEXEC);
	int b = eventfd(0, 0);
	int c = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int d;
	char na[16], nb[16], nc[16], nd[16], getfl[16];

	CHECK(a >= 0 && b >= 0 && c >= 0);
	snprintf(na, sizeof(na), "%d", a);
	snprintf(nb, sizeof(nb), "%d", b);
	snprintf(nc, sizeof(nc), "%d", c);

	/* EFD_CLOEXEC: gone after exec. */
	CHECK_EQ(exec_child(na, NULL, NULL, NULL), 0);
	/* No EFD_CLOEXEC: still there, same counter. */
	CHECK_OK(wr(b, 5));
	snprintf(getfl, sizeof(getfl), "%d", O_RDWR);
	CHECK_EQ(exec_child(nb, "5", getfl, "0"), 0);
	expect_read(b, 10);

	/* Clearing FD_CLOEXEC with F_SETFD makes it survive, with its status
	 * flags. */
	CHECK_OK(fcntl(c, F_SETFD, 0));
	CHECK_OK(wr(c, 0x123456789ULL));
	snprintf(getfl, sizeof(getfl), "%d", O_RDWR | O_NONBLOCK);
	CHECK_EQ(exec_child(nc, "0x123456789", getfl, "0"), 0);
	expect_read(c, 0x2468acf12ULL);

	/* dup() of a close-on-exec eventfd is not close-on-exec; a semaphore
	 * eventfd stays one. */
	close(c);
	c = eventfd(0, EFD_CLOEXEC | EFD_SEMAPHORE);
	CHECK(c >= 0);
	d = dup(c);
	CHECK(d >= 0);
	snprintf(nc, sizeof(nc), "%d", c);
	snprintf(nd, sizeof(nd), "%d", d);
	CHECK_OK(wr(c, 3));
	snprintf(getfl, sizeof(getfl), "%d", O_RDWR);
	CHECK_EQ(exec_child(nc, NULL, NULL, NULL), 0);
	CHECK_EQ(exec_child(nd, "1", getfl, "1"), 0);
	/* 3 - 1 read by the child + 2 written back. */
	CHECK_EQ(fdinfo_num(c, "eventfd-count:", 16), 4);

	close_fds(a, b, c, d);
}

static void cloexec_shell(void)
{
	/* The same through /bin/sh: `test -e /proc/self/fd/N` in the shell
	 * after exec. */
	int a = eventfd(0, EFD_CLOEXEC);
	int b = eventfd(0, 0);
	char cmd[128];
	pid_t pid;

	CHECK(a >= 0 && b >= 0);
	snprintf(cmd, sizeof(cmd),
		 "test -e /proc/self/fd/%d && exit 1; test -e /proc/self/fd/%d "
		 "|| exit 2; exit 0",
		 a, b);
	pid = fork_child();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	CHECK_EQ(wait_exit(pid), 0);
	close_fds(a, b);
}

static long sys_pidfd_open(pid_t pid, unsigned flags)
{
	return syscall(SYS_pidfd_open, pid, flags);
}

static long sys_pidfd_getfd(int pidfd, int fd, unsigned flags)
{
	return syscall(SYS_pidfd_getfd, pidfd, fd, flags);
}

static void pidfd_getfd_shares(void)
{
	int tochild[2], toparent[2];
	pid_t pid;
	int target = -1, pfd, copy;
	uint64_t v;

	CHECK_OK(pipe(tochild));
	CHECK_OK(pipe(toparent));
	pid = fork_child();
	if (pid == 0) {
		int fd;
		uint64_t x = 0;
		char c;
		close_fds(tochild[1], toparent[0]);
		fd = eventfd(0, 0); /* exists only in the child */
		if (fd < 0)
			_exit(1);
		if (write(toparent[1], &fd, sizeof(fd)) != sizeof(fd))
			_exit(2);
		/* Blocks until the parent writes through its copy. */
		if (rd(fd, &x) != 0 || x != 33)
			_exit(3);
		if (wr(fd, 44) != 0)
			_exit(4);
		if (write(toparent[1], "w", 1) != 1)
			_exit(6);
		/* Wait for the parent to read it back. */
		if (read(tochild[0], &c, 1) != 1)
			_exit(5);
		_exit(0);
	}
	close_fds(tochild[0], toparent[1]);
	CHECK_EQ(read(toparent[0], &target, sizeof(target)),
		 (long)sizeof(target));
	pfd = (int)sys_pidfd_open(pid, 0);
	CHECK(pfd >= 0);
	CHECK_ERR(sys_pidfd_getfd(pfd, target, 1), EINVAL);
	CHECK_ERR(sys_pidfd_getfd(pfd, 999, 0), EBADF);
	copy = (int)sys_pidfd_getfd(pfd, target, 0);
	CHECK(copy >= 0);
	if (copy >= 0) {
		/* Always close-on-exec, status flags as in the child. */
		CHECK_EQ(fcntl(copy, F_GETFD), FD_CLOEXEC);
		CHECK_EQ(fcntl(copy, F_GETFL), O_RDWR);
		expect_fd_link(copy, "anon_inode:[eventfd]");
		sleep_ms(50);
		CHECK_OK(wr(copy, 33));
		v = 0;
		/* The child has consumed the 33 and written 44 when it says
		 * so through the pipe. */
		{
			char c = 0;
			CHECK_EQ(read(toparent[0], &c, 1), 1);
		}
		CHECK_EQ(fdinfo_num(copy, "eventfd-count:", 16), 44);
		CHECK_OK(rd(copy, &v));
		CHECK_EQ(v, 44);
		/* Status flags are shared with the child's fd. */
		CHECK_OK(fcntl(copy, F_SETFL, O_NONBLOCK));
		CHECK_EQ(write(tochild[1], "g", 1), 1);
		CHECK_EQ(wait_exit(pid), 0);
		/* The child is gone; our copy still works. */
		CHECK_OK(wr(copy, 1));
		CHECK_OK(rd(copy, &v));
		CHECK_EQ(v, 1);
		CHECK_ERR(read(copy, &v, 8), EAGAIN);
		close(copy);
	} else {
		kill(pid, SIGKILL);
		wait_exit(pid);
	}
	/* After the child has been reaped: ESRCH. */
	CHECK_ERR(sys_pidfd_getfd(pfd, target, 0), ESRCH);
	close_fds(pfd, tochild[1], toparent[0]);
}

static void pidfd_getfd_self(void)
{
	int fd = eventfd(0, EFD_NONBLOCK);
	int pfd = (int)sys_pidfd_open(getpid(), 0);
	int copy;

	CHECK(fd >= 0 && pfd >= 0);
	copy = (int)sys_pidfd_getfd(pfd, fd, 0);
	CHECK(copy >= 0 && copy != fd);
	CHECK_EQ(fcntl(copy, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(copy, F_GETFL), O_RDWR | O_NONBLOCK);
	CHECK_OK(wr(copy, 6));
	expect_read(fd, 6);
	CHECK_EQ(fdinfo_num(copy, "eventfd-id:", 10),
		 fdinfo_num(fd, "eventfd-id:", 10));
	close_fds(copy, pfd, fd);
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "--exec-child") == 0)
		return exec_child_main(argc, argv);

	RUN(dup_shares_counter);
	RUN(dup2_over_eventfd);
	RUN(fork_inherit);
	RUN(fork_child_reads);
	RUN(fork_status_flags_shared);
	RUN(fork_parent_closes);
	RUN(scm_rights_transfer);
	RUN(scm_rights_self_and_cloexec);
	RUN(cloexec_exec);
	RUN(cloexec_shell);
	RUN(pidfd_getfd_shares);
	RUN(pidfd_getfd_self);
	return tl_done();
}
