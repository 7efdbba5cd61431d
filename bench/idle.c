/* idle: an event loop with a small active set among many idle connections.
 *
 *   idle [IDLE=10000] [BUSY=100] [MS=3000] [spread]
 *
 * The loop (this process) holds IDLE + BUSY connected stream sockets in one
 * epoll instance, level-triggered, as a server holds its keep-alive
 * clients. A child process holds the other ends: it keeps the idle ones
 * open and silent, and on the busy ones sends one byte to each, reads the
 * one-byte answers, and starts over, for MS milliseconds. The loop answers
 * each byte it reads (epoll_wait with 64 events, then read and write per
 * ready connection). Only the loop's epoll calls are intercepted; the
 * client's reads and writes run natively either way.
 *
 * The idle connections are registered first, as if older, and the busy
 * ones after them; with "spread", the busy ones are registered evenly
 * among the idle ones instead, as the active clients of a server that
 * connected at different times.
 *
 * Output: idle_loop_rps (answers per second); idle_loop_events_per_wait;
 * idle_loop_requests (answers in all); idle_spread_... with "spread" */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "bench.h"

static void client(const int *peer, long busy, long ms)
{
	char c = 'x';
	uint64_t end = now_ns() + (uint64_t)ms * 1000000ull;
	while (now_ns() < end) {
		for (long i = 0; i < busy; i++)
			if (write(peer[i], &c, 1) != 1)
				die("client write");
		for (long i = 0; i < busy; i++)
			if (read(peer[i], &c, 1) != 1)
				die("client read");
	}
	_exit(0); /* closing the busy ends tells the loop to stop */
}

#define BATCH 200 /* fds per SCM_RIGHTS message (at most 253) */

static void send_fds(int sock, const int *fds, int k)
{
	char buf[CMSG_SPACE(BATCH * sizeof(int))];
	char c = 0;
	struct iovec iov = {&c, 1};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = buf,
			   .msg_controllen = CMSG_SPACE(k * sizeof(int))};
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(k * sizeof(int));
	memcpy(CMSG_DATA(h), fds, k * sizeof(int));
	if (sendmsg(sock, &m, 0) != 1)
		die("sendmsg");
}

static void recv_fds(int sock, int *fds, int k)
{
	char buf[CMSG_SPACE(BATCH * sizeof(int))];
	char c;
	struct iovec iov = {&c, 1};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = buf,
			   .msg_controllen = sizeof(buf)};
	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1)
		die("recvmsg");
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	if (!h || h->cmsg_type != SCM_RIGHTS ||
	    h->cmsg_len != CMSG_LEN(k * sizeof(int)))
		die("SCM_RIGHTS");
	memcpy(fds, CMSG_DATA(h), k * sizeof(int));
}

/* The k-th connection registered when the busy ones are spread evenly
 * among the idle ones, as in a server whose active clients connected at
 * different times: busy connection j (0..busy-1) is registered at place
 * j * (idle + busy) / busy, the idle ones (busy..) fill the rest in order. */
static long order_spread(long k, long idle, long busy)
{
	long n = idle + busy;
	long before = (k * busy + n - 1) / n; /* busy places below k */
	if (before < busy && before * n / busy == k)
		return before;
	return busy + (k - before);
}

int main(int argc, char **argv)
{
	long idle = arg_long(argc, argv, 1, 10000);
	long busy = arg_long(argc, argv, 2, 100);
	long ms = arg_long(argc, argv, 3, 3000);
	int spread = argc > 4 && strcmp(argv[4], "spread") == 0;
	long n = idle + busy;
	if (raise_nofile() < n + 64)
		die("fd limit below %ld", n + 64);
	int *mine = calloc((size_t)n, sizeof(int));
	int *peer = calloc((size_t)n, sizeof(int));
	int ctl[2];
	if (!mine || !peer)
		die("calloc");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) < 0)
		die("socketpair");
	/* The child makes the connections and passes the loop's ends over:
	 * both ends of all of them would not fit one process's fd limit.
	 * Busy connections first: they are 0..busy-1 on both sides. */
	pid_t pid = fork_child();
	if (pid == 0) {
		close(ctl[0]);
		for (long i = 0; i < n; i += BATCH) {
			int k = n - i < BATCH ? (int)(n - i) : BATCH;
			for (int j = 0; j < k; j++) {
				int sv[2];
				if (socketpair(AF_UNIX,
					       SOCK_STREAM | SOCK_CLOEXEC, 0,
					       sv) < 0)
					die("socketpair %ld", i + j);
				mine[i + j] = sv[0];
				peer[i + j] = sv[1];
			}
			send_fds(ctl[1], mine + i, k);
			for (int j = 0; j < k; j++)
				close(mine[i + j]);
		}
		client(peer, busy, ms);
	}
	close(ctl[1]);
	for (long i = 0; i < n; i += BATCH)
		recv_fds(ctl[0], mine + i,
			 n - i < BATCH ? (int)(n - i) : BATCH);
	close(ctl[0]);

	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	for (long k = 0; k < n; k++) {
		long i = spread ? order_spread(k, idle, busy) : n - 1 - k;
		struct epoll_event ev = {.events = EPOLLIN,
					 .data.u64 = (uint64_t)i};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, mine[i], &ev) < 0)
			die("epoll_ctl ADD %ld", i);
	}
	long answers = 0, waits = 0, done = 0;
	uint64_t t0 = 0, t1 = 0;
	struct epoll_event evs[64];
	while (!done) {
		int k = epoll_wait(ep, evs, 64, 10000);
		if (k < 0)
			die("epoll_wait");
		if (k == 0)
			die("epoll_wait timed out");
		waits++;
		for (int j = 0; j < k; j++) {
			int fd = mine[evs[j].data.u64];
			char c;
			ssize_t r = read(fd, &c, 1);
			if (r <= 0) {
				done = 1; /* the client is gone */
				break;
			}
			if (!t0)
				t0 = now_ns();
			if (write(fd, &c, 1) != 1)
				die("loop write");
			answers++;
			t1 = now_ns();
		}
	}
	waitpid(pid, NULL, 0);
	const char *pre = spread ? "idle_spread" : "idle_loop";
	char name[64];
	snprintf(name, sizeof(name), "%s_rps", pre);
	emit(name, (double)answers / ((double)(t1 - t0) / 1e9), "req/s");
	snprintf(name, sizeof(name), "%s_events_per_wait", pre);
	emit(name, (double)answers / (double)waits, "events");
	snprintf(name, sizeof(name), "%s_requests", pre);
	emit(name, (double)answers, "requests");
	return 0;
}
