/* scenario.c: drive interpoll's engine through the in-process platform
 * with real pipes, sockets and eventfds, and check that every answer is
 * what Linux gives for the same calls.
 *
 * Build against an installed libinterpoll:
 *   cc -o scenario scenario.c inproc_platform.c \
 *      $(pkg-config --cflags --libs interpoll)
 * Exit status 0 when every check holds; each failure prints one line.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "inproc_platform.h"

static int failures;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "scenario.c:%d: %s\n", __LINE__,       \
				#cond);                                        \
			failures++;                                            \
		}                                                              \
	} while (0)

#define U(x) ((uint64_t)(uintptr_t)(x))

static struct plat *P;

/* A call that must be answered at once. */
static int64_t now(long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	int64_t r = -1000;
	uint64_t id = inproc_call(P, nr, a0, a1, a2, a3, 0, 0);
	if (!inproc_answer(P, id, &r)) {
		fprintf(stderr, "call %ld blocked\n", nr);
		failures++;
	}
	return r;
}

static int64_t ctl(int epfd, int op, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};
	return now(SYS_epoll_ctl, epfd, op, fd, U(&ev));
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

static int64_t ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

int main(void)
{
	int fds_before = count_fds();
	P = inproc_new();
	if (!P) {
		perror("inproc_new");
		return 1;
	}
	struct epoll_event evs[8];

	/* epoll_create1 goes back to the kernel: a real epoll file. */
	int epfd = (int)now(SYS_epoll_create1, EPOLL_CLOEXEC, 0, 0, 0);
	CHECK(epfd >= 0);

	/* A blocked epoll_wait is woken by a write to a registered pipe. */
	int pipefd[2];
	CHECK(pipe2(pipefd, O_NONBLOCK | O_CLOEXEC) == 0);
	CHECK(ctl(epfd, EPOLL_CTL_ADD, pipefd[0], EPOLLIN, 7) == 0);
	CHECK(ctl(epfd, EPOLL_CTL_ADD, pipefd[0], EPOLLIN, 7) == -EEXIST);
	CHECK(now(SYS_epoll_wait, epfd, U(evs), 8, 0) == 0);
	uint64_t w = inproc_call(P, SYS_epoll_wait, epfd, U(evs), 8, -1, 0, 0);
	int64_t r;
	CHECK(!inproc_answer(P, w, &r)); /* blocked: nothing is ready */
	CHECK(write(pipefd[1], "x", 1) == 1);
	CHECK(inproc_call_wait(P, w, 1000, &r) && r == 1);
	CHECK(evs[0].events == EPOLLIN && evs[0].data.u64 == 7);

	/* The instance's file shows its readiness to the kernel's own
	 * poll: the level-triggered entry is still ready. */
	struct pollfd pfd = {.fd = epfd, .events = POLLIN};
	CHECK(poll(&pfd, 1, 0) == 1 && pfd.revents == POLLIN);
	char b;
	CHECK(read(pipefd[0], &b, 1) == 1);
	CHECK(now(SYS_epoll_wait, epfd, U(evs), 8, 0) == 0);

	/* An eventfd from eventfd2, edge-triggered and one-shot, re-armed
	 * by EPOLL_CTL_MOD. */
	int efd = (int)now(SYS_eventfd2, 0, EFD_NONBLOCK, 0, 0);
	CHECK(efd >= 0);
	CHECK(ctl(epfd, EPOLL_CTL_ADD, efd, EPOLLIN | EPOLLET | EPOLLONESHOT,
		  9) == 0);
	w = inproc_call(P, SYS_epoll_wait, epfd, U(evs), 8, 1000, 0, 0);
	uint64_t one = 1;
	CHECK(write(efd, &one, 8) == 8);
	CHECK(inproc_call_wait(P, w, 1000, &r) && r == 1);
	CHECK(evs[0].events == EPOLLIN && evs[0].data.u64 == 9);
	CHECK(write(efd, &one, 8) == 8);
	inproc_pump(P, 0);
	CHECK(now(SYS_epoll_wait, epfd, U(evs), 8, 0) == 0); /* disarmed */
	CHECK(ctl(epfd, EPOLL_CTL_MOD, efd, EPOLLIN | EPOLLET, 10) == 0);
	CHECK(now(SYS_epoll_wait, epfd, U(evs), 8, 0) == 1);
	CHECK(evs[0].data.u64 == 10);
	CHECK(now(SYS_epoll_wait, epfd, U(evs), 8, 0) == 0); /* an edge */

	/* A socket's EPOLLOUT; then a timeout that runs out. */
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK(ctl(epfd, EPOLL_CTL_ADD, sv[0], EPOLLOUT, 11) == 0);
	CHECK(now(SYS_epoll_wait, epfd, U(evs), 8, 0) == 1);
	CHECK(evs[0].events == EPOLLOUT && evs[0].data.u64 == 11);
	CHECK(ctl(epfd, EPOLL_CTL_DEL, sv[0], 0, 0) == 0);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	w = inproc_call(P, SYS_epoll_wait, epfd, U(evs), 8, 100, 0, 0);
	CHECK(inproc_call_wait(P, w, 2000, &r) && r == 0);
	CHECK(ms_since(&t0) >= 100);

	/* Errors as the kernel gives them: a bad pointer, a bad fd, a file
	 * without poll, the instance itself. */
	CHECK(ctl(epfd, EPOLL_CTL_ADD, sv[1], EPOLLIN, 0) == 0);
	CHECK(write(sv[0], "y", 1) == 1);
	inproc_pump(P, 0);
	CHECK(now(SYS_epoll_wait, epfd, 1, 8, 0) == -EFAULT);
	CHECK(now(SYS_epoll_ctl, epfd, EPOLL_CTL_MOD, sv[1], 1) == -EFAULT);
	CHECK(ctl(epfd, EPOLL_CTL_ADD, 999, EPOLLIN, 0) == -EBADF);
	CHECK(ctl(epfd, EPOLL_CTL_ADD, epfd, EPOLLIN, 0) == -EINVAL);
	CHECK(ctl(pipefd[0], EPOLL_CTL_ADD, sv[1], EPOLLIN, 0) == -EINVAL);
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK(ctl(epfd, EPOLL_CTL_ADD, devnull, EPOLLIN, 0) == -EPERM);
	close(devnull);

	/* A file closed without EPOLL_CTL_DEL leaves its entry with it, as
	 * in Linux: the ready socket is no longer reported. */
	CHECK(now(SYS_epoll_wait, epfd, U(evs), 8, 0) == 1);
	close(sv[1]);
	CHECK(now(SYS_epoll_wait, epfd, U(evs), 8, 0) == 0);

	/* A nested instance: the outer one hears of the inner one's event. */
	int outer = (int)now(SYS_epoll_create1, 0, 0, 0, 0);
	CHECK(ctl(outer, EPOLL_CTL_ADD, epfd, EPOLLIN, 12) == 0);
	CHECK(now(SYS_epoll_wait, outer, U(evs), 8, 0) == 0);
	w = inproc_call(P, SYS_epoll_wait, outer, U(evs), 8, 1000, 0, 0);
	CHECK(write(pipefd[1], "z", 1) == 1);
	CHECK(inproc_call_wait(P, w, 1000, &r) && r == 1);
	CHECK(evs[0].events == EPOLLIN && evs[0].data.u64 == 12);

	close(outer);
	close(epfd);
	close(efd);
	close(pipefd[0]);
	close(pipefd[1]);
	close(sv[0]);
	inproc_free(P);
	/* The platform and the engine closed whatever they opened. */
	CHECK(count_fds() == fds_before);
	if (failures)
		fprintf(stderr, "scenario: %d checks failed\n", failures);
	else
		printf("scenario: every check holds\n");
	return failures != 0;
}
