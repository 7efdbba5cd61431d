/* eventfd_create.c: creating eventfds and the generic file operations on
 * them (linux-semantics.md §6.1, §6.5 and the eventfd row of §1.1).
 */
#include "testlib.h"
#include "testutil.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define VALID_FLAGS (EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC)
#define MAX_COUNT 0xfffffffffffffffeULL

static long sys_eventfd2(unsigned long count, unsigned long flags)
{
	return syscall(SYS_eventfd2, count, flags);
}

static long sys_eventfd(unsigned long count, unsigned long junk)
{
	/* The old syscall takes only a count; the second register is junk. */
	return syscall(SYS_eventfd, count, junk);
}

static void flags_invalid(void)
{
	static const unsigned long bad[] = {2,
					    O_RDWR,
					    O_APPEND,
					    0x80000000UL,
					    O_RDWR | EFD_CLOEXEC,
					    EFD_NONBLOCK | O_APPEND,
					    O_TRUNC,
					    O_DIRECT,
					    O_PATH};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_ERR(sys_eventfd2(0, bad[i]), EINVAL);
	/* Every single bit outside the three valid ones is refused. */
	for (i = 0; i < 32; i++) {
		unsigned long bit = 1UL << i;
		if (bit & VALID_FLAGS)
			continue;
		CHECK_ERR(sys_eventfd2(0, bit), EINVAL);
		CHECK_ERR(sys_eventfd2(0, bit | VALID_FLAGS), EINVAL);
	}
	/* glibc wrapper agrees. */
	CHECK_ERR(eventfd(0, 2), EINVAL);
}

static void flags_valid_combinations(void)
{
	unsigned long f;

	for (f = 0; f <= VALID_FLAGS; f++) {
		long fd;
		if (f & ~(unsigned long)VALID_FLAGS)
			continue;
		fd = sys_eventfd2(1, f);
		CHECK(fd >= 0);
		if (fd < 0)
			continue;
		CHECK_EQ(fcntl(fd, F_GETFL),
			 O_RDWR | ((f & EFD_NONBLOCK) ? O_NONBLOCK : 0));
		CHECK_EQ(fcntl(fd, F_GETFD),
			 (f & EFD_CLOEXEC) ? FD_CLOEXEC : 0);
		CHECK_EQ(fdinfo_num(fd, "eventfd-semaphore:", 10),
			 (f & EFD_SEMAPHORE) ? 1 : 0);
		close(fd);
	}
}

static void flags_upper_bits_ignored(void)
{
	/* flags is an int in the kernel: bits 32..63 of the register are
	 * dropped, so 0x100000000 is flags 0 and must be accepted. */
	long fd = sys_eventfd2(0, 0x100000000UL | EFD_NONBLOCK);
	uint64_t v;

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_EQ(fcntl(fd, F_GETFL), O_RDWR | O_NONBLOCK);
	CHECK_ERR(read(fd, &v, 8), EAGAIN);
	close(fd);
}

static void old_eventfd_is_eventfd2_zero(void)
{
	/* SYS_eventfd has no flags; whatever sits in the second register is
	 * ignored, so even EFD_NONBLOCK|EFD_CLOEXEC|EFD_SEMAPHORE there has no
	 * effect. */
	long fd = sys_eventfd(7, VALID_FLAGS);
	long fd2;
	uint64_t v = 0;

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_EQ(fcntl(fd, F_GETFL), O_RDWR);
	CHECK_EQ(fcntl(fd, F_GETFD), 0);
	CHECK_EQ(fdinfo_num(fd, "eventfd-semaphore:", 10), 0);
	CHECK_EQ(fdinfo_num(fd, "eventfd-count:", 16), 7);
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, 7); /* not semaphore: whole counter */

	/* It also takes an unsigned int count: 0xffffffff is the maximum and
	 * upper register bits are dropped. */
	fd2 = sys_eventfd(0x1fffffff0UL, 0);
	CHECK(fd2 >= 0);
	if (fd2 >= 0) {
		CHECK_OK(rd(fd2, &v));
		CHECK_EQ(v, 0xfffffff0ULL);
		close(fd2);
	}
	close(fd);
}

/* fd, a new non-blocking eventfd (checked), starts at want: a read
 * gives it, or EAGAIN for 0. Closes fd. */
static void expect_initial(long fd, uint64_t want)
{
	uint64_t v = 0;

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	if (want == 0) {
		CHECK_ERR(read(fd, &v, 8), EAGAIN);
	} else {
		CHECK_OK(rd(fd, &v));
		CHECK_EQ(v, want);
	}
	close(fd);
}

static void initial_count_range(void)
{
	static const uint64_t counts[] = {
	    0, 1, 2, 0x7fffffff, 0x80000000ULL, 0xfffffffeULL, 0xffffffffULL};
	size_t i;
	long fd;

	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		fd = sys_eventfd2(counts[i], EFD_NONBLOCK);
		if (fd >= 0)
			CHECK_EQ(fdinfo_num(fd, "eventfd-count:", 16),
				 (long)counts[i]);
		expect_initial(fd, counts[i]);
	}
	/* count is unsigned int: bits above 31 of the register are dropped. */
	expect_initial(sys_eventfd2(0x100000005ULL, EFD_NONBLOCK), 5);
	expect_initial(sys_eventfd2(0xffffffff00000000ULL, EFD_NONBLOCK), 0);
	/* The glibc wrapper, for completeness. */
	expect_initial(eventfd(0xffffffffU, EFD_NONBLOCK), 0xffffffffULL);
}

static void getfl_values(void)
{
	int a = eventfd(0, 0);
	int b = eventfd(0, EFD_NONBLOCK);
	int c = eventfd(0, EFD_SEMAPHORE | EFD_CLOEXEC);
	int d = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC | EFD_SEMAPHORE);

	CHECK(a >= 0 && b >= 0 && c >= 0 && d >= 0);
	CHECK_EQ(fcntl(a, F_GETFL), O_RDWR);
	CHECK_EQ(fcntl(b, F_GETFL), 04002);
	CHECK_EQ(fcntl(b, F_GETFL), O_RDWR | O_NONBLOCK);
	/* Neither EFD_SEMAPHORE nor EFD_CLOEXEC appears in the status flags. */
	CHECK_EQ(fcntl(c, F_GETFL), O_RDWR);
	CHECK_EQ(fcntl(d, F_GETFL), O_RDWR | O_NONBLOCK);
	/* F_SETFL can change O_NONBLOCK later, and F_GETFL shows it. */
	CHECK_OK(fcntl(a, F_SETFL, O_NONBLOCK));
	CHECK_EQ(fcntl(a, F_GETFL), O_RDWR | O_NONBLOCK);
	CHECK_OK(fcntl(a, F_SETFL, 0));
	CHECK_EQ(fcntl(a, F_GETFL), O_RDWR);
	/* The access mode cannot be changed through F_SETFL. */
	CHECK_OK(fcntl(a, F_SETFL, O_RDONLY));
	CHECK_EQ(fcntl(a, F_GETFL) & O_ACCMODE, O_RDWR);
	close_fds(a, b, c, d);
}

static void cloexec_flag(void)
{
	int a = eventfd(0, 0);
	int b = eventfd(0, EFD_CLOEXEC);
	int c = eventfd(0, EFD_NONBLOCK | EFD_SEMAPHORE);

	CHECK(a >= 0 && b >= 0 && c >= 0);
	CHECK_EQ(fcntl(a, F_GETFD), 0);
	CHECK_EQ(fcntl(b, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(c, F_GETFD), 0);
	CHECK_OK(fcntl(a, F_SETFD, FD_CLOEXEC));
	CHECK_EQ(fcntl(a, F_GETFD), FD_CLOEXEC);
	CHECK_OK(fcntl(b, F_SETFD, 0));
	CHECK_EQ(fcntl(b, F_GETFD), 0);
	/* FIOCLEX / FIONCLEX work on eventfds too (generic ioctls). */
	CHECK_OK(ioctl(c, FIOCLEX));
	CHECK_EQ(fcntl(c, F_GETFD), FD_CLOEXEC);
	CHECK_OK(ioctl(c, FIONCLEX));
	CHECK_EQ(fcntl(c, F_GETFD), 0);
	close_fds(a, b, c);
}

static void lowest_free_fd(void)
{
	int fds[6], i, n;
	int hole1, hole2;

	for (i = 0; i < 6; i++) {
		fds[i] = eventfd(0, 0);
		CHECK(fds[i] >= 0);
		if (i > 0)
			CHECK(fds[i] > fds[i - 1]);
	}
	/* Open a gap at fds[1] and fds[4]; the lowest one must be reused
	 * first, whatever the creating flags. */
	hole1 = fds[1];
	hole2 = fds[4];
	close_fds(hole1, hole2);
	n = eventfd(0, EFD_CLOEXEC);
	CHECK_EQ(n, hole1);
	fds[1] = n;
	n = (int)sys_eventfd(0, 0);
	CHECK_EQ(n, hole2);
	fds[4] = n;
	for (i = 0; i < 6; i++)
		close(fds[i]);
	/* And a fresh one lands on the first of them again. */
	n = eventfd(0, 0);
	CHECK_EQ(n, fds[0]);
	close(n);
}

static void proc_fd_readlink(void)
{
	int fd = eventfd(0, EFD_SEMAPHORE | EFD_NONBLOCK);
	int fd2 = (int)sys_eventfd(3, 0);

	CHECK(fd >= 0 && fd2 >= 0);
	expect_fd_link(fd, "anon_inode:[eventfd]");
	expect_fd_link(fd2, "anon_inode:[eventfd]");
	close_fds(fd, fd2);
}

static void fstat_mode(void)
{
	int fd = eventfd(0, 0);
	int fd2 = eventfd(5, EFD_CLOEXEC | EFD_NONBLOCK);
	struct stat st;

	CHECK(fd >= 0 && fd2 >= 0);
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_mode & 0777, 0600);
	CHECK_EQ(st.st_size, 0);
	CHECK_OK(fstat(fd2, &st));
	CHECK_EQ(st.st_mode & 0777, 0600);
	close_fds(fd, fd2);
}

static void fdinfo_format(void)
{
	int fd = eventfd(0, 0);
	int sfd = eventfd(0x1234, EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK);
	char line[256];
	uint64_t v;

	CHECK(fd >= 0 && sfd >= 0);

	/* Counter: %16llx, space padded, no 0x. */
	expect_fdinfo(fd, "eventfd-count:", "eventfd-count:                0");
	expect_fdinfo(sfd, "eventfd-count:", "eventfd-count:             1234");

	expect_fdinfo(fd, "eventfd-semaphore:", "eventfd-semaphore: 0");
	expect_fdinfo(sfd, "eventfd-semaphore:", "eventfd-semaphore: 1");

	/* flags: octal, O_CLOEXEC added when close-on-exec is set. */
	expect_fdinfo(fd, "flags:", "flags:\t02");
	expect_fdinfo(sfd, "flags:", "flags:\t02004002");
	CHECK_OK(fcntl(fd, F_SETFD, FD_CLOEXEC));
	expect_fdinfo(fd, "flags:", "flags:\t02000002");
	CHECK_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	expect_fdinfo(fd, "flags:", "flags:\t02004002");
	CHECK_OK(fcntl(fd, F_SETFD, 0));
	CHECK_OK(fcntl(fd, F_SETFL, 0));
	expect_fdinfo(fd, "flags:", "flags:\t02");

	expect_fdinfo(fd, "pos:", "pos:\t0");
	CHECK_OK(fdinfo_line(fd, "eventfd-id:", line, sizeof(line)));
	CHECK(fdinfo_num(fd, "eventfd-id:", 10) >= 0);

	/* The count line follows writes and reads, up to the maximum. */
	CHECK_OK(wr(fd, 0xabcdef));
	expect_fdinfo(fd, "eventfd-count:", "eventfd-count:           abcdef");
	CHECK_OK(rd(fd, &v));
	CHECK_OK(wr(fd, MAX_COUNT));
	expect_fdinfo(fd, "eventfd-count:", "eventfd-count: fffffffffffffffe");
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, MAX_COUNT);
	expect_fdinfo(fd, "eventfd-count:", "eventfd-count:                0");

	/* A semaphore read takes one. */
	CHECK_OK(rd(sfd, &v));
	CHECK_EQ(v, 1);
	expect_fdinfo(sfd, "eventfd-count:", "eventfd-count:             1233");

	close_fds(fd, sfd);
}

static void fdinfo_order(void)
{
	/* After the generic pos/flags/mnt_id/ino lines come count, id,
	 * semaphore, in that order. */
	int fd = eventfd(3, 0);
	char path[64], line[256];
	const char *want[] = {
	    "pos:",	      "flags:",	     "mnt_id:",		  "ino:",
	    "eventfd-count:", "eventfd-id:", "eventfd-semaphore:"};
	size_t next = 0;
	FILE *f;

	CHECK(fd >= 0);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	CHECK(f != NULL);
	if (f) {
		while (fgets(line, sizeof(line), f) &&
		       next < sizeof(want) / sizeof(want[0])) {
			if (strncmp(line, want[next], strlen(want[next])) == 0)
				next++;
		}
		fclose(f);
	}
	CHECK_EQ(next, sizeof(want) / sizeof(want[0]));
	close(fd);
}

static void unique_ids(void)
{
	enum { N = 32 };
	int fds[N], i, j;
	long ids[N];

	for (i = 0; i < N; i++) {
		fds[i] = (i & 1) ? eventfd(0, EFD_SEMAPHORE)
				 : (int)sys_eventfd(0, 0);
		CHECK(fds[i] >= 0);
		ids[i] = fdinfo_num(fds[i], "eventfd-id:", 10);
		CHECK(ids[i] >= 0);
	}
	for (i = 0; i < N; i++)
		for (j = i + 1; j < N; j++)
			CHECK(ids[i] != ids[j]);
	/* A dup is the same eventfd: same id. */
	j = dup(fds[3]);
	CHECK(j >= 0);
	CHECK_EQ(fdinfo_num(j, "eventfd-id:", 10), ids[3]);
	close(j);
	/* A new one, while all others are open, differs from all of them. */
	j = eventfd(0, 0);
	CHECK(j >= 0);
	{
		long id = fdinfo_num(j, "eventfd-id:", 10);
		for (i = 0; i < N; i++)
			CHECK(id != ids[i]);
	}
	close(j);
	for (i = 0; i < N; i++)
		close(fds[i]);
}

static void lseek_returns_zero(void)
{
	int fd = eventfd(4, 0);
	uint64_t v = 0;

	CHECK(fd >= 0);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(lseek(fd, 100, SEEK_SET), 0);
	CHECK_EQ(lseek(fd, -100, SEEK_CUR), 0);
	CHECK_EQ(lseek(fd, 12345, SEEK_END), 0);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 0);
	/* An unknown whence is refused by the VFS before noop_llseek. */
	CHECK_ERR(lseek(fd, 0, 99), EINVAL);
	/* Reading/writing does not move the position either. */
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, 4);
	CHECK_OK(wr(fd, 1));
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 0);
	close(fd);
}

static void positional_io_espipe(void)
{
	int fd = eventfd(9, EFD_NONBLOCK);
	uint64_t v = 1;
	struct iovec iov = {&v, 8};

	CHECK(fd >= 0);
	CHECK_ERR(pread(fd, &v, 8, 0), ESPIPE);
	CHECK_ERR(pwrite(fd, &v, 8, 0), ESPIPE);
	CHECK_ERR(pread(fd, &v, 8, 16), ESPIPE);
	CHECK_ERR(preadv(fd, &iov, 1, 0), ESPIPE);
	CHECK_ERR(pwritev(fd, &iov, 1, 0), ESPIPE);
	/* The counter was not touched by any of them. */
	v = 0;
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, 9);
	close(fd);
}

static void ioctl_and_misc(void)
{
	int fd = eventfd(0, 0);
	int n = 0, on = 1;

	CHECK(fd >= 0);
	CHECK_ERR(ioctl(fd, FIONREAD, &n), ENOTTY);
	CHECK_ERR(ioctl(fd, 0x12345678, &n), ENOTTY);
	/* FIONBIO is generic and toggles O_NONBLOCK. */
	CHECK_OK(ioctl(fd, FIONBIO, &on));
	CHECK_EQ(fcntl(fd, F_GETFL), O_RDWR | O_NONBLOCK);
	on = 0;
	CHECK_OK(ioctl(fd, FIONBIO, &on));
	CHECK_EQ(fcntl(fd, F_GETFL), O_RDWR);
	CHECK_ERR(ftruncate(fd, 0), EINVAL);
	CHECK_ERR(ftruncate(fd, 8), EINVAL);
	CHECK_ERR(fsync(fd), EINVAL);
	close(fd);
}

static void reopen_enxio(void)
{
	int fd = eventfd(0, 0);
	char path[64];
	int o;

	CHECK(fd >= 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	CHECK_ERR(open(path, O_RDWR), ENXIO);
	CHECK_ERR(open(path, O_RDONLY), ENXIO);
	CHECK_ERR(open(path, O_WRONLY), ENXIO);
	CHECK_ERR(open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC), ENXIO);
	/* O_PATH does not open the file, so it works, and it is not an
	 * eventfd you can read. */
	o = open(path, O_PATH);
	CHECK(o >= 0);
	if (o >= 0) {
		uint64_t v;
		CHECK_ERR(read(o, &v, 8), EBADF);
		close(o);
	}
	close(fd);
}

static void emfile(void)
{
	/* In a child: with RLIMIT_NOFILE at the current fd count, creation
	 * fails with EMFILE and nothing else changes. */
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		struct rlimit rl;
		int fd, last = -1, i;
		long r;

		for (i = 0; i < 64; i++) {
			fd = eventfd(0, 0);
			if (fd < 0)
				_exit(10);
			last = fd;
		}
		rl.rlim_cur = rl.rlim_max = (rlim_t)last + 1;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			_exit(11);
		errno = 0;
		r = eventfd(0, 0);
		if (r != -1 || errno != EMFILE)
			_exit(12);
		errno = 0;
		r = sys_eventfd(0, 0);
		if (r != -1 || errno != EMFILE)
			_exit(13);
		/* Free one: creation works again, in that slot. */
		close(last - 5);
		r = eventfd(0, EFD_CLOEXEC);
		if (r != last - 5)
			_exit(14);
		/* EINVAL comes before EMFILE. */
		errno = 0;
		r = sys_eventfd2(0, 2);
		if (r != -1 || errno != EINVAL)
			_exit(15);
		_exit(0);
	}
	expect_exit_0(pid);
}

int main(void)
{
	RUN(flags_invalid);
	RUN(flags_valid_combinations);
	RUN(flags_upper_bits_ignored);
	RUN(old_eventfd_is_eventfd2_zero);
	RUN(initial_count_range);
	RUN(getfl_values);
	RUN(cloexec_flag);
	RUN(lowest_free_fd);
	RUN(proc_fd_readlink);
	RUN(fstat_mode);
	RUN(fdinfo_format);
	RUN(fdinfo_order);
	RUN(unique_ids);
	RUN(lseek_returns_zero);
	RUN(positional_io_espipe);
	RUN(ioctl_and_misc);
	RUN(reopen_enxio);
	RUN(emfile);
	return tl_done();
}
