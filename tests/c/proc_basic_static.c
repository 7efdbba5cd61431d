/* proc_basic_static.c: the basic eventfd + poll + epoll path in a
 * statically linked program (the build links every tests/c/ *_static.c
 * with -static), so no dynamic loader or libc.so is involved.
 */
#include "testlib.h"
#include "testutil.h"

#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

static void eventfd_roundtrip(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	uint64_t v = 0;

	CHECK(fd >= 0);
	CHECK_ERR(read(fd, &v, 8), EAGAIN);
	CHECK_OK(wr(fd, 40));
	CHECK_OK(wr(fd, 2));
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, 42);
	close(fd);
}

static void eventfd_poll(void)
{
	int fd = eventfd(0, EFD_NONBLOCK);
	struct pollfd p = {fd, POLLIN | POLLOUT, 0};
	uint64_t v = 0;

	CHECK(fd >= 0);
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLOUT);
	p.events = POLLIN;
	p.revents = 0;
	CHECK_EQ(poll(&p, 1, 0), 0);
	CHECK_EQ(p.revents, 0);
	CHECK_OK(wr(fd, 5));
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLIN);
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, 5);
	CHECK_EQ(poll(&p, 1, 0), 0);
	close(fd);
}

static void epoll_basic(void)
{
	int fd = eventfd(0, EFD_NONBLOCK);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev, out[4];
	uint64_t v = 0;

	CHECK(fd >= 0 && ep >= 0);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = 0x1122334455667788ULL;
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
	CHECK_OK(wr(fd, 7));
	memset(out, 0, sizeof(out));
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 1);
	CHECK_EQ(out[0].events, EPOLLIN);
	CHECK_EQ(out[0].data.u64, 0x1122334455667788ULL);
	/* Level-triggered: still ready until read. */
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 1);
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, 7);
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL));
	CHECK_OK(wr(fd, 1));
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
	close_fds(ep, fd);
}

static void epoll_wait_blocks_until_write(void)
{
	int fd = eventfd(0, 0);
	int ep = epoll_create1(0);
	struct epoll_event ev, out[2];
	struct op d;
	double t0, t;
	uint64_t v = 0;

	CHECK(fd >= 0 && ep >= 0);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = fd;
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	op_start(&d, fd, OP_WRITE, 99, 150);
	t0 = d.t_start;
	CHECK_EQ(epoll_wait(ep, out, 2, 5000), 1);
	t = tl_now_ms() - t0;
	CHECK_EQ(out[0].data.fd, fd);
	CHECK_EQ(out[0].events, EPOLLIN);
	CHECK(t >= 140);
	CHECK(t < 5000);
	op_join(&d);
	CHECK_EQ(d.ret, 8); /* the write worked */
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, 99);
	/* And a plain timeout with nothing ready. */
	t0 = tl_now_ms();
	CHECK_EQ(epoll_wait(ep, out, 2, 100), 0);
	t = tl_now_ms() - t0;
	CHECK(t >= 99);
	CHECK(t < 100 + 1000);
	close_fds(ep, fd);
}

static void fork_child_writes(void)
{
	int fd = eventfd(0, 0);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev, out[2];
	pid_t pid;
	int st = 0;
	uint64_t v = 0;

	CHECK(fd >= 0 && ep >= 0);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = 5;
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		sleep_ms(100);
		_exit(wr(fd, 12) == 0 ? 0 : 1);
	}
	CHECK_EQ(epoll_wait(ep, out, 2, 5000), 1);
	CHECK_EQ(out[0].data.u32, 5);
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, 12);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close_fds(ep, fd);
}

int main(void)
{
	RUN(eventfd_roundtrip);
	RUN(eventfd_poll);
	RUN(epoll_basic);
	RUN(epoll_wait_blocks_until_write);
	RUN(fork_child_writes);
	return tl_done();
}
