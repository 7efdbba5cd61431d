/* loop_et_server.c: an edge-triggered epoll echo server under load.
 *
 * A forked server process runs one epoll loop: the listening TCP socket is
 * registered level-triggered, every accepted client EPOLLIN|EPOLLET and
 * nonblocking. When a write would block the server adds EPOLLOUT with
 * EPOLL_CTL_MOD and drops it again once the pending output is drained;
 * EPOLLERR/EPOLLHUP close the client. The server's send buffers are small
 * so that 64 KiB echoes really hit EAGAIN and the EPOLLOUT path.
 *
 * The parent runs 500 client threads with blocking sockets, each
 * exchanging 100 messages of varying size (some 64 KiB) and checking the
 * echo byte for byte, plus a few clients that reset their connection
 * (SO_LINGER 0) so the server sees EPOLLERR|EPOLLHUP.
 */
#include "testlib.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define N_CLIENTS 500
#define N_MSGS 100
#define N_ABORT 20
#define BIG 65536
#define SERVER_SNDBUF 8192

struct stats {
	long accepted;
	long eof_closes;
	long errhup_closes;
	long other_closes;
	long eagain_writes;
	long mod_add_out;
	long mod_drop_out;
	long epollout_events;
	long bytes_echoed;
	long wait_calls;
	long bad; /* unexpected errors inside the server */
	int finished;
};

static struct stats *st; /* MAP_SHARED, written by the server */
static uint16_t port;

struct conn {
	int open;
	int out_armed;
	char *buf;
	size_t cap, off, len; /* pending output is buf[off..len) */
};

static struct conn *conns;
static int nconns_max;

static void srv_close(int ep, int fd)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	free(conns[fd].buf);
	memset(&conns[fd], 0, sizeof(conns[fd]));
}

/* Arm (on) or disarm EPOLLOUT in fd's edge-triggered entry, unless it
 * already is; counted in st. */
static void arm_out(int ep, int fd, int on)
{
	struct conn *c = &conns[fd];
	struct epoll_event ev;

	if (c->out_armed == on)
		return;
	ev.events = on ? EPOLLIN | EPOLLOUT | EPOLLET : EPOLLIN | EPOLLET;
	ev.data.fd = fd;
	if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) < 0)
		st->bad++;
	c->out_armed = on;
	if (on)
		st->mod_add_out++;
	else
		st->mod_drop_out++;
}

/* Write pending output; arm or disarm EPOLLOUT. Returns -1 on error. */
static int srv_flush(int ep, int fd)
{
	struct conn *c = &conns[fd];

	while (c->off < c->len) {
		ssize_t n =
		    send(fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
		if (n > 0) {
			c->off += n;
			st->bytes_echoed += n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			st->eagain_writes++;
			arm_out(ep, fd, 1);
			return 0;
		}
		return -1;
	}
	c->off = c->len = 0;
	arm_out(ep, fd, 0);
	return 0;
}

/* Read everything available (edge-triggered). 1 = EOF, -1 = error. */
static int srv_read(int fd)
{
	struct conn *c = &conns[fd];

	for (;;) {
		if (c->off > 0 && c->off == c->len)
			c->off = c->len = 0;
		if (c->cap - c->len < 16384) {
			if (c->off > 0) {
				memmove(c->buf, c->buf + c->off,
					c->len - c->off);
				c->len -= c->off;
				c->off = 0;
			}
			if (c->cap - c->len < 16384) {
				c->cap = c->cap ? c->cap * 2 : 65536;
				c->buf = realloc(c->buf, c->cap);
				if (!c->buf)
					abort();
			}
		}
		ssize_t n = read(fd, c->buf + c->len, c->cap - c->len);
		if (n > 0) {
			c->len += n;
			continue;
		}
		if (n == 0)
			return 1;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return 0;
		return -1;
	}
}

static void server(int lfd)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev, evs[256];
	long total = N_CLIENTS + N_ABORT, closed = 0;
	double deadline = tl_now_ms() + 120000;

	ev.events = EPOLLIN; /* level-triggered listener */
	ev.data.fd = lfd;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
		_exit(2);
	while (closed < total && tl_now_ms() < deadline) {
		int n = epoll_wait(ep, evs, 256, 1000);
		st->wait_calls++;
		if (n < 0) {
			if (errno != EINTR)
				st->bad++;
			continue;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			uint32_t e = evs[i].events;

			if (fd == lfd) {
				/* one accept per event: level-triggered
				 * reports the rest again */
				int cfd = accept4(lfd, NULL, NULL,
						  SOCK_NONBLOCK | SOCK_CLOEXEC);
				if (cfd < 0) {
					if (errno != EAGAIN &&
					    errno != ECONNABORTED)
						st->bad++;
					continue;
				}
				if (cfd >= nconns_max) {
					st->bad++;
					close(cfd);
					continue;
				}
				int sb = SERVER_SNDBUF;
				setsockopt(cfd, SOL_SOCKET, SO_SNDBUF, &sb,
					   sizeof(sb));
				conns[cfd].open = 1;
				ev.events = EPOLLIN | EPOLLET;
				ev.data.fd = cfd;
				if (epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev) < 0)
					st->bad++;
				st->accepted++;
				continue;
			}
			if (!conns[fd].open) {
				st->bad++;
				continue;
			}
			if (e & (EPOLLERR | EPOLLHUP)) {
				st->errhup_closes++;
				srv_close(ep, fd);
				closed++;
				continue;
			}
			if (e & EPOLLOUT)
				st->epollout_events++;
			int r = 0;
			if (e & EPOLLIN)
				r = srv_read(fd);
			if (r == 0 && srv_flush(ep, fd) < 0)
				r = -1;
			if (r == 1) {
				st->eof_closes++;
				srv_close(ep, fd);
				closed++;
			} else if (r < 0) {
				st->other_closes++;
				srv_close(ep, fd);
				closed++;
			}
		}
	}
	st->finished = closed == total;
	_exit(0);
}

/* ---- clients ---- */

static long client_fail;
static long client_ok;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char client_err[256];

static void cfail(const char *fmt, int id, int msg, long v)
{
	pthread_mutex_lock(&mu);
	if (client_fail++ == 0)
		snprintf(client_err, sizeof(client_err), fmt, id, msg, v);
	pthread_mutex_unlock(&mu);
}

static int connect_client(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct timeval tv = {.tv_sec = 60};
	int rcvbuf = 8192;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* a small receive window: the server cannot push a whole 64 KiB
	 * echo at once and must wait for EPOLLOUT */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	for (int tries = 0; tries < 50; tries++) {
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			return fd;
		if (errno != EAGAIN && errno != ECONNREFUSED && errno != EINTR)
			break;
		usleep(20000);
	}
	close(fd);
	return -1;
}

static size_t msg_size(int id, int m)
{
	if (m % 25 == 7)
		return BIG;
	return 1 + ((unsigned)(id * 7919 + m * 104729) % 3000);
}

static void fill(unsigned char *p, size_t n, int id, int m)
{
	uint32_t x = (uint32_t)id * 2654435761u ^ (uint32_t)m * 40503u;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (unsigned char)(x >> 16);
	}
}

static void *client_thread(void *arg)
{
	int id = (int)(intptr_t)arg;
	unsigned char *out = malloc(BIG), *in = malloc(BIG);
	int fd = connect_client();

	if (!out || !in || fd < 0) {
		cfail("client %d: connect failed (%d) errno %ld", id, 0, errno);
		goto out;
	}
	for (int m = 0; m < N_MSGS; m++) {
		size_t n = msg_size(id, m), got = 0, put = 0;
		fill(out, n, id, m);
		while (put < n) {
			ssize_t w = write(fd, out + put, n - put);
			if (w <= 0) {
				cfail("client %d msg %d: write errno %ld", id,
				      m, errno);
				goto out;
			}
			put += w;
		}
		while (got < n) {
			ssize_t r = read(fd, in + got, n - got);
			if (r <= 0) {
				cfail("client %d msg %d: read ret/errno %ld",
				      id, m, r == 0 ? 0 : errno);
				goto out;
			}
			got += r;
		}
		if (memcmp(in, out, n) != 0) {
			cfail("client %d msg %d: echo differs (size %ld)", id,
			      m, (long)n);
			goto out;
		}
	}
	pthread_mutex_lock(&mu);
	client_ok++;
	pthread_mutex_unlock(&mu);
out:
	if (fd >= 0)
		close(fd);
	free(out);
	free(in);
	return NULL;
}

static void *abort_thread(void *arg)
{
	int id = (int)(intptr_t)arg;
	int fd = connect_client();
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	if (fd < 0) {
		cfail("abort client %d: connect failed %d errno %ld", id, 0,
		      errno);
		return NULL;
	}
	usleep(50000 + (id % 5) * 20000);
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd); /* RST: the server sees EPOLLERR|EPOLLHUP */
	return NULL;
}

static pid_t srv_pid = -1;
static int srv_status = -1;
static double run_ms;

static void case_setup_server(void)
{
	struct rlimit rl;
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	int one = 1;

	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	rl.rlim_cur = rl.rlim_max;
	CHECK_OK(setrlimit(RLIMIT_NOFILE, &rl));
	CHECK(rl.rlim_cur >= 2 * (N_CLIENTS + N_ABORT) + 64);
	nconns_max = rl.rlim_cur > 65536 ? 65536 : (int)rl.rlim_cur;

	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(st != MAP_FAILED);
	if (st == MAP_FAILED)
		return;
	memset(st, 0, sizeof(*st));

	int lfd =
	    socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	CHECK_OK(lfd);
	CHECK_OK(setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	CHECK_OK(bind(lfd, (struct sockaddr *)&a, sizeof(a)));
	CHECK_OK(listen(lfd, 1024));
	CHECK_OK(getsockname(lfd, (struct sockaddr *)&a, &al));
	port = ntohs(a.sin_port);

	srv_pid = fork_server();
	if (srv_pid == 0) {
		conns = calloc(nconns_max, sizeof(*conns));
		if (!conns)
			_exit(2);
		server(lfd);
	}
	close(lfd);
}

/* Threads 0 .. N_CLIENTS - 1 are clients, the N_ABORT others abort. */
static void *client_or_abort_thread(void *arg)
{
	if ((intptr_t)arg < N_CLIENTS)
		return client_thread(arg);
	return abort_thread(arg);
}

static void case_echo_500_clients(void)
{
	double t0 = tl_now_ms();

	if (srv_pid <= 0) {
		CHECK(!"no server");
		return;
	}
	run_threads(N_CLIENTS + N_ABORT, client_or_abort_thread);

	/* the server exits once every connection is closed */
	double deadline = tl_now_ms() + 30000;
	int status = 0;
	pid_t w = 0;
	while (tl_now_ms() < deadline &&
	       (w = waitpid(srv_pid, &status, WNOHANG)) == 0)
		usleep(10000);
	if (w == 0) {
		kill(srv_pid, SIGKILL);
		waitpid(srv_pid, &status, 0);
		CHECK(!"server did not finish within 30 s");
	}
	srv_status = status;
	srv_pid = -1;
	run_ms = tl_now_ms() - t0;

	if (client_fail)
		tl_fail(__FILE__, __LINE__, "%ld client failures; first: %s",
			client_fail, client_err);
	CHECK_EQ(client_ok, N_CLIENTS);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(st->finished, 1);
	CHECK_EQ(st->accepted, N_CLIENTS + N_ABORT);
	CHECK_EQ(st->bad, 0);
	CHECK_EQ(st->other_closes, 0);
	CHECK_EQ(st->eof_closes, N_CLIENTS);
	long want = 0;
	for (int i = 0; i < N_CLIENTS; i++)
		for (int m = 0; m < N_MSGS; m++)
			want += msg_size(i, m);
	CHECK_EQ(st->bytes_echoed, want);
}

static void case_epollout_path_exercised(void)
{
	CHECK(st->eagain_writes > 0);
	CHECK(st->mod_add_out > 0);
	CHECK(st->epollout_events > 0);
	/* every connection drained before EOF: each arm was dropped */
	CHECK_EQ(st->mod_drop_out, st->mod_add_out);
	/* the 64 KiB echoes (4 per client) cannot fit the small buffers */
	CHECK(st->mod_add_out >= N_CLIENTS);
}

static void case_errhup_closes_clients(void)
{
	CHECK_EQ(st->errhup_closes, N_ABORT);
}

int main(void)
{
	RUN(case_setup_server);
	RUN(case_echo_500_clients);
	RUN(case_epollout_path_exercised);
	RUN(case_errhup_closes_clients);
	printf("# %.0f ms, %ld epoll_wait, %ld EAGAIN, %ld EPOLLOUT arms, "
	       "%ld EPOLLOUT events\n",
	       run_ms, st->wait_calls, st->eagain_writes, st->mod_add_out,
	       st->epollout_events);
	if (srv_pid > 0) {
		kill(srv_pid, SIGKILL);
		waitpid(srv_pid, NULL, 0);
	}
	return tl_done();
}
