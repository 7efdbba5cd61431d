/* signals.c: is a signal pending that would interrupt a sleeping call?
 *
 * Read from /proc/<tid>/status: SigPnd (thread) and ShdPnd (process)
 * pending sets, SigBlk, SigIgn, SigCgt. A pending signal interrupts a sleep
 * when it is not blocked by the mask in force; it runs a handler when it is
 * caught, and otherwise takes its default action (stop, or death, which
 * the kernel carries out itself). Ignored signals are discarded when they
 * are sent, so they never show up as pending unless blocked. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux_plat.h"

int proc_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return 0;
}

/* Read /proc/<tid>/status into buf (NUL-terminated); 0 or -1. */
static int read_status(int tid, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	return proc_read(path, buf, len);
}

static uint64_t field(const char *buf, const char *name)
{
	const char *f = strstr(buf, name);
	return f ? strtoull(f + strlen(name), NULL, 16) : 0;
}

#define BIT(sig) (1ull << ((sig)-1))
/* Signals whose default action is to do nothing. */
#define DEFAULT_IGNORED (BIT(17) | BIT(23) | BIT(28) | BIT(18))

/* The lowest signal in set, or 0. */
static int lowest(uint64_t set)
{
	return set ? __builtin_ctzll(set) + 1 : 0;
}

int plat_signal_pending(struct plat *p, const struct plat_call *c,
			const uint64_t *mask, int *signo)
{
	char buf[2048];
	(void)p;
	if (read_status(c->tid, buf, sizeof(buf)) < 0)
		return -ESRCH;
	uint64_t pending = field(buf, "\nSigPnd:") | field(buf, "\nShdPnd:");
	uint64_t blocked = mask ? *mask : field(buf, "\nSigBlk:");
	uint64_t caught = field(buf, "\nSigCgt:");
	uint64_t ignored = field(buf, "\nSigIgn:");
	uint64_t live = pending & ~blocked & ~ignored;
	int r = PLAT_SIG_NONE;
	uint64_t decided = 0;
	if (live & caught) {
		r = PLAT_SIG_HANDLER;
		decided = live & caught;
	} else if (live & ~DEFAULT_IGNORED) {
		r = PLAT_SIG_STOP;
		decided = live & ~DEFAULT_IGNORED;
	}
	if (signo)
		*signo = lowest(decided);
	return r;
}

/* Read /proc/<tid>/<name> into buf (NUL-terminated): its length, or -1
 * when the thread is gone. */
static ssize_t read_task_file(int tid, const char *name, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", tid, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

int plat_thread_where(struct plat *p, int tid)
{
	char buf[128];
	(void)p;
	/* wchan names the kernel function a sleeping task waits in: the
	 * epoll wait's own, or anything else (a seccomp notification of
	 * its next call, a read...); "0" while it runs. */
	ssize_t n = read_task_file(tid, "wchan", buf, sizeof(buf));
	if (n < 0)
		return PLAT_THREAD_GONE;
	if (n == 0 || strcmp(buf, "0") == 0)
		return PLAT_THREAD_RUNNING;
	if (strstr(buf, "epoll") || strstr(buf, "ep_poll"))
		return PLAT_THREAD_IN_EPOLL_WAIT;
	return PLAT_THREAD_ELSEWHERE;
}

int64_t plat_thread_cpu_ns(struct plat *p, int tid)
{
	char buf[96];
	(void)p;
	/* schedstat: time on the CPU (ns), time waiting for it, slices. */
	if (read_task_file(tid, "schedstat", buf, sizeof(buf)) <= 0)
		return -1;
	char *end;
	long long ns = strtoll(buf, &end, 10);
	return end == buf || ns < 0 ? -1 : (int64_t)ns;
}

void plat_thread_signal(struct plat *p, int tid, int signo)
{
	(void)p;
	syscall(SYS_tkill, tid, signo);
}
