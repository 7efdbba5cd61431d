/* epoll_wake_pingpong.c: every wake-up of a blocked epoll_wait is seen at
 * once, however close the supervisor's reading runs to the waker.
 *
 * Two processes bounce a byte over a socketpair 20,000 times, each
 * blocked in epoll_wait(-1) on its end between turns (level-triggered,
 * and edge-triggered in a second round). A wake-up that is missed, or
 * seen but judged stale, leaves both sides waiting forever: the alarm
 * ends the test then. (Regression: interpoll read a watch's current
 * readiness from a second registration that the waker had not reached
 * yet, dropped the wake-up as stale, and answered only at a timeout.) */
#include "testlib.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define ROUNDS 20000

/* Wait for the byte, read it, send it back; n times. 0 or a failure
 * code. */
static int bounce(int fd, uint32_t mode, int n, int first)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN | mode, .data.fd = fd};
	char c = 'x';

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
		return 1;
	if (first && write(fd, &c, 1) != 1)
		return 2;
	for (int i = 0; i < n; i++) {
		struct epoll_event out;
		int r = epoll_wait(ep, &out, 1, -1);
		if (r != 1 || out.data.fd != fd || !(out.events & EPOLLIN))
			return 3;
		if (read(fd, &c, 1) != 1)
			return 4;
		if ((!first || i + 1 < n) && write(fd, &c, 1) != 1)
			return 5;
	}
	close(ep);
	return 0;
}

static void pingpong(uint32_t mode)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	double t0 = tl_now_ms();
	pid_t pid = fork();
	if (pid == 0) {
		alarm(120);
		close(sv[0]);
		_exit(bounce(sv[1], mode, ROUNDS, 0));
	}
	close(sv[1]);
	alarm(120);
	int r = bounce(sv[0], mode, ROUNDS, 1);
	alarm(0);
	int st = 0;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK_EQ(r, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	printf("# %d round trips in %.0f ms\n", ROUNDS, tl_now_ms() - t0);
	close(sv[0]);
}

/* A server in one epoll_wait(-1) loop over NCLI connections, each client
 * a process bouncing a byte CLI_ROUNDS times: the supervisor is busy with
 * one wake-up while the next ones arrive, as with a real server. */
#define NCLI 24
#define CLI_ROUNDS 1500

static int serve(int *fds, int n)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), left = n;
	if (ep < 0)
		return 1;
	for (int i = 0; i < n; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[i]};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) != 0)
			return 2;
	}
	while (left > 0) {
		struct epoll_event out[NCLI];
		int r = epoll_wait(ep, out, NCLI, -1);
		if (r <= 0)
			return 3;
		for (int k = 0; k < r; k++) {
			char c;
			int fd = out[k].data.fd;
			ssize_t got = read(fd, &c, 1);
			if (got == 0) {
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				close(fd);
				left--;
			} else if (got != 1 || write(fd, &c, 1) != 1) {
				return 4;
			}
		}
	}
	close(ep);
	return 0;
}

static void many_clients_one_server(void)
{
	int srv[NCLI];
	pid_t kids[NCLI];
	double t0 = tl_now_ms();

	for (int i = 0; i < NCLI; i++) {
		int sv[2];
		CHECK_OK(
		    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
		kids[i] = fork();
		if (kids[i] == 0) {
			alarm(120);
			for (int j = 0; j < i; j++)
				close(srv[j]);
			close(sv[0]);
			int r = bounce(sv[1], 0, CLI_ROUNDS, 1);
			_exit(r);
		}
		close(sv[1]);
		srv[i] = sv[0];
	}
	alarm(120);
	CHECK_EQ(serve(srv, NCLI), 0);
	alarm(0);
	for (int i = 0; i < NCLI; i++) {
		int st = 0;
		CHECK_EQ(waitpid(kids[i], &st, 0), kids[i]);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	printf("# %d x %d round trips in %.0f ms\n", NCLI, CLI_ROUNDS,
	       tl_now_ms() - t0);
}

static void level_triggered_pingpong(void)
{
	pingpong(0);
}

static void edge_triggered_pingpong(void)
{
	pingpong(EPOLLET);
}

int main(void)
{
	RUN(level_triggered_pingpong);
	RUN(edge_triggered_pingpong);
	RUN(many_clients_one_server);
	return tl_done();
}
