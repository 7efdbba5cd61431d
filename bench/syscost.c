/* syscost: what the supervisor's building blocks cost on this machine.
 *
 *   syscost [ITERS=20000]
 *
 * Each system call interpoll's supervisor makes per guest call (see the
 * strace profile in results.md), timed natively in a loop, against a
 * forked child that stands for the guest (paused, holding an epoll file
 * and an eventfd). Run natively only. Every value is microseconds per
 * call (for pairs such as create+close, per pair).
 * Output: sc_<name> US us */
#include <linux/kcmp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "bench.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

static long iters;

#define TIME(name, body)                                                       \
	do {                                                                   \
		for (long i_ = 0; i_ < 100; i_++) {                            \
			body;                                                  \
		}                                                              \
		uint64_t t0_ = now_ns();                                       \
		for (long i_ = 0; i_ < iters; i_++) {                          \
			body;                                                  \
		}                                                              \
		uint64_t t1_ = now_ns();                                       \
		emit("sc_" name, (double)(t1_ - t0_) / 1e3 / (double)iters,    \
		     "us");                                                    \
	} while (0)

int main(int argc, char **argv)
{
	iters = arg_long(argc, argv, 1, 20000);
	/* g: an epoll file the child holds too (an instance); h: a private
	 * epoll holding one registration of g (a weak handle); e: an eventfd
	 * kept readable, watched by w (a watch handle). */
	int g = epoll_create1(0);
	int h = epoll_create1(EPOLL_CLOEXEC);
	int e = eventfd(1, EFD_CLOEXEC);
	int w = epoll_create1(EPOLL_CLOEXEC);
	int empty = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN};
	if (g < 0 || h < 0 || e < 0 || w < 0 || empty < 0 ||
	    epoll_ctl(h, EPOLL_CTL_ADD, g, &ev) < 0 ||
	    epoll_ctl(w, EPOLL_CTL_ADD, e, &ev) < 0)
		die("set-up");
	static char buf[64];
	pid_t child = fork_child();
	if (child == 0) {
		for (;;)
			pause();
	}
	int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	if (pidfd < 0)
		die("pidfd_open");
	pid_t self = getpid();
	struct kcmp_epoll_slot slot = {(__u32)h, (__u32)g, 0};
	struct epoll_event out[4];
	struct stat st;
	struct rlimit rl;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)child);

	TIME("getppid", syscall(SYS_getppid));
	TIME("kcmp_epoll_tfd",
	     syscall(SYS_kcmp, child, self, KCMP_EPOLL_TFD, g, &slot));
	TIME("epoll_wait_empty", epoll_wait(empty, out, 4, 0));
	TIME("epoll_wait_handle_ready", epoll_wait(w, out, 1, 0));
	{
		struct iovec l = {buf, 12}, r = {buf, 12};
		TIME("process_vm_readv_12",
		     process_vm_readv(child, &l, 1, &r, 1, 0));
		TIME("process_vm_writev_12",
		     process_vm_writev(child, &l, 1, &r, 1, 0));
		/* The same through /proc/<pid>/mem, opened once: the access
		 * check is made at open, not per call. */
		char mpath[64];
		snprintf(mpath, sizeof(mpath), "/proc/%d/mem", (int)child);
		int mem = open(mpath, O_RDWR | O_CLOEXEC);
		if (mem < 0)
			die("open /proc/<pid>/mem");
		TIME("proc_mem_pread_12",
		     pread(mem, buf, 12, (off_t)(uintptr_t)buf));
		TIME("proc_mem_pwrite_12",
		     pwrite(mem, buf, 12, (off_t)(uintptr_t)buf));
		close(mem);
	}
	TIME("pidfd_getfd_close",
	     close((int)syscall(SYS_pidfd_getfd, pidfd, e, 0)));
	TIME("fstat", fstat(e, &st));
	TIME("prlimit64", prlimit(child, RLIMIT_NOFILE, NULL, &rl));
	TIME("eventfd_close", close(eventfd(0, EFD_CLOEXEC)));
	TIME("epoll_create1_close", close(epoll_create1(EPOLL_CLOEXEC)));
	/* a watch: a private epoll holding the file, in a main epoll */
	TIME("watch_create_close", {
		int x = epoll_create1(EPOLL_CLOEXEC);
		epoll_ctl(x, EPOLL_CTL_ADD, e, &ev);
		struct epoll_event mev = {.events = EPOLLIN | EPOLLET};
		epoll_ctl(empty, EPOLL_CTL_ADD, x, &mev);
		close(x);
	});
	TIME("epoll_ctl_add_del", {
		epoll_ctl(w, EPOLL_CTL_ADD, g, &ev);
		epoll_ctl(w, EPOLL_CTL_DEL, g, NULL);
	});
	TIME("proc_status_read", {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (read(fd, buf, sizeof(buf)) < 0)
			die("read");
		close(fd);
	});
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return 0;
}
