/* loop_doorbell_ipc.c: shared-memory IPC woken by eventfd doorbells.
 *
 * A forked server listens on a unix socket. For each connection it creates
 * a one-page memfd and two eventfds (client->server and server->client
 * doorbells) and hands all three to the client with SCM_RIGHTS. The server
 * runs one epoll loop over the listener, the connections and every
 * client->server doorbell. A client writes a request into the shared page,
 * rings the server, and blocks (in poll, or in epoll_wait on its own
 * instance) on its doorbell until the server has written the reply and
 * rung back.
 *
 * 200 concurrent client threads do 250 round trips each; a wait that times
 * out is a lost wake-up. A connected pair blocked for 1 s must cost next
 * to no CPU (client process, server process and, under interpoll, the
 * supervisor).
 */
#include "testlib.h"
#include "testutil.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#define N_CLIENTS 200
#define ROUNDS 250
#define WAIT_MS 30000 /* a doorbell that takes this long was lost */
#define PAGE 4096

struct page {
	volatile uint64_t req;
	volatile uint64_t resp;
};

struct srv_stats {
	long accepted;
	long rounds;
	long bad;
	long closed;
};

static struct srv_stats *sst;
static char dir[32], sock_path[100];
static pid_t srv_pid = -1;

/* ---- server ---- */

struct sconn {
	int sock, c2s, s2c;
	struct page *pg;
	uint64_t expected;
};

#define TAG_LISTEN 0ull
#define TAG_SOCK 1ull
#define TAG_BELL 2ull

static int send_fds(int sock, int *fds, int n)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 3)];
	char b = 'D';
	struct iovec iov = {.iov_base = &b, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = cbuf,
			   .msg_controllen = CMSG_SPACE(sizeof(int) * n)};
	struct cmsghdr *c;

	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	return sendmsg(sock, &m, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

static void server(int lfd)
{
	static struct sconn c[N_CLIENTS * 2 + 16];
	int nc = 0, ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev, evs[128];

	ev.events = EPOLLIN;
	ev.data.u64 = TAG_LISTEN << 32;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
		_exit(2);
	for (;;) {
		int n = epoll_wait(ep, evs, 128, -1);
		if (n < 0) {
			if (errno != EINTR)
				sst->bad++;
			continue;
		}
		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64 >> 32;
			int k = (int)(evs[i].data.u64 & 0xffffffffu);

			if (tag == TAG_LISTEN) {
				int s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
				if (s < 0)
					continue;
				if (nc >= (int)(sizeof(c) / sizeof(c[0]))) {
					close(s);
					sst->bad++;
					continue;
				}
				struct sconn *x = &c[nc];
				int mfd =
				    memfd_create("doorbell-page", MFD_CLOEXEC);
				x->c2s = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
				x->s2c = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
				x->sock = s;
				x->expected = 0;
				if (mfd < 0 || x->c2s < 0 || x->s2c < 0 ||
				    ftruncate(mfd, PAGE) < 0) {
					sst->bad++;
					_exit(4);
				}
				x->pg = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
					     MAP_SHARED, mfd, 0);
				if (x->pg == MAP_FAILED)
					_exit(4);
				int fds[3] = {mfd, x->c2s, x->s2c};
				if (send_fds(s, fds, 3) < 0)
					sst->bad++;
				close(mfd);
				ev.events = EPOLLIN;
				ev.data.u64 = TAG_BELL << 32 | (uint64_t)nc;
				if (epoll_ctl(ep, EPOLL_CTL_ADD, x->c2s, &ev))
					sst->bad++;
				ev.events = EPOLLIN;
				ev.data.u64 = TAG_SOCK << 32 | (uint64_t)nc;
				if (epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev))
					sst->bad++;
				nc++;
				__atomic_add_fetch(&sst->accepted, 1,
						   __ATOMIC_SEQ_CST);
			} else if (tag == TAG_BELL) {
				struct sconn *x = &c[k];
				uint64_t v;
				if (x->c2s < 0)
					continue;
				if (read(x->c2s, &v, 8) != 8) {
					if (errno != EAGAIN)
						sst->bad++;
					continue;
				}
				uint64_t req = x->pg->req;
				if (v != 1 || req != x->expected + 1) {
					sst->bad++;
					continue;
				}
				x->expected = req;
				x->pg->resp = req * 2 + 1;
				/* count before ringing: the client may
				 * finish as soon as it is rung */
				__atomic_add_fetch(&sst->rounds, 1,
						   __ATOMIC_SEQ_CST);
				v = 1;
				if (write(x->s2c, &v, 8) != 8)
					sst->bad++;
			} else {
				struct sconn *x = &c[k];
				char b;
				if (x->sock < 0)
					continue;
				if (read(x->sock, &b, 1) > 0)
					continue;
				epoll_ctl(ep, EPOLL_CTL_DEL, x->c2s, NULL);
				epoll_ctl(ep, EPOLL_CTL_DEL, x->sock, NULL);
				close_fds(x->c2s, x->s2c, x->sock);
				munmap(x->pg, PAGE);
				x->c2s = x->s2c = x->sock = -1;
				__atomic_add_fetch(&sst->closed, 1,
						   __ATOMIC_SEQ_CST);
			}
		}
	}
}

/* ---- client side ---- */

struct cli {
	int sock, c2s, s2c, ep;
	struct page *pg;
};

static int cli_connect(struct cli *c, char *err, size_t errlen)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	char cbuf[CMSG_SPACE(sizeof(int) * 3)];
	char b;
	struct iovec iov = {.iov_base = &b, .iov_len = 1};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = cbuf,
			   .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;
	int fds[3];

	c->ep = -1;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock_path);
	c->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->sock < 0 ||
	    connect(c->sock, (struct sockaddr *)&a, sizeof(a)) < 0) {
		snprintf(err, errlen, "connect: %s", strerror(errno));
		return -1;
	}
	if (recvmsg(c->sock, &m, MSG_CMSG_CLOEXEC) != 1 || b != 'D') {
		snprintf(err, errlen, "handshake recvmsg: %s", strerror(errno));
		return -1;
	}
	cm = CMSG_FIRSTHDR(&m);
	if (!cm || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof(int) * 3)) {
		snprintf(err, errlen, "handshake: no 3 fds");
		return -1;
	}
	memcpy(fds, CMSG_DATA(cm), sizeof(fds));
	c->c2s = fds[1];
	c->s2c = fds[2];
	c->pg = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	close(fds[0]);
	if (c->pg == MAP_FAILED) {
		snprintf(err, errlen, "mmap: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void cli_close(struct cli *c)
{
	if (c->pg && c->pg != MAP_FAILED)
		munmap(c->pg, PAGE);
	if (c->ep >= 0)
		close(c->ep);
	close_fds(c->c2s, c->s2c, c->sock);
}

/* Block on the server->client doorbell; 1 = rung, 0 = timeout, -1 error */
static int cli_wait(struct cli *c, int use_epoll, int ms)
{
	if (use_epoll) {
		struct epoll_event ev;
		int n;
		do
			n = epoll_wait(c->ep, &ev, 1, ms);
		while (n < 0 && errno == EINTR);
		if (n == 1 && !(ev.events & EPOLLIN))
			return -1;
		return n;
	}
	struct pollfd p = {.fd = c->s2c, .events = POLLIN};
	int n;
	do
		n = poll(&p, 1, ms);
	while (n < 0 && errno == EINTR);
	if (n == 1 && p.revents != POLLIN)
		return -1;
	return n;
}

/* One round trip: 0 ok, else an error text in err. */
static int cli_round(struct cli *c, int use_epoll, uint64_t r, char *err,
		     size_t errlen)
{
	uint64_t v = 1;
	c->pg->req = r;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (write(c->c2s, &v, 8) != 8) {
		snprintf(err, errlen, "ring: %s", strerror(errno));
		return -1;
	}
	int w = cli_wait(c, use_epoll, WAIT_MS);
	if (w != 1) {
		snprintf(err, errlen, "round %llu: %s wait returned %d (%s)",
			 (unsigned long long)r, use_epoll ? "epoll" : "poll", w,
			 w == 0 ? "lost wake-up" : strerror(errno));
		return -1;
	}
	if (read(c->s2c, &v, 8) != 8 || v != 1) {
		snprintf(err, errlen, "round %llu: doorbell read %llu",
			 (unsigned long long)r, (unsigned long long)v);
		return -1;
	}
	if (c->pg->resp != r * 2 + 1) {
		snprintf(err, errlen, "round %llu: resp %llu",
			 (unsigned long long)r,
			 (unsigned long long)c->pg->resp);
		return -1;
	}
	return 0;
}

static int cli_arm_epoll(struct cli *c)
{
	struct epoll_event ev = {.events = EPOLLIN};
	c->ep = epoll_create1(EPOLL_CLOEXEC);
	if (c->ep < 0)
		return -1;
	ev.data.fd = c->s2c;
	return epoll_ctl(c->ep, EPOLL_CTL_ADD, c->s2c, &ev);
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long n_fail, n_ok;
static char first_err[256];

static void *client_thread(void *arg)
{
	int id = (int)(intptr_t)arg;
	int use_epoll = id & 1;
	struct cli c = {0};
	char err[200] = "";
	int ok = 0;

	if (cli_connect(&c, err, sizeof(err)) == 0) {
		if (use_epoll && cli_arm_epoll(&c) < 0) {
			snprintf(err, sizeof(err), "epoll: %s",
				 strerror(errno));
		} else {
			ok = 1;
			for (uint64_t r = 1; r <= ROUNDS && ok; r++)
				if (cli_round(&c, use_epoll, r, err,
					      sizeof(err)))
					ok = 0;
		}
		cli_close(&c);
	}
	pthread_mutex_lock(&mu);
	if (ok) {
		n_ok++;
	} else if (n_fail++ == 0) {
		snprintf(first_err, sizeof(first_err), "client %d: %s", id,
			 err);
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void case_setup_server(void)
{
	struct rlimit rl;
	struct sockaddr_un a = {.sun_family = AF_UNIX};

	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	rl.rlim_cur = rl.rlim_max;
	CHECK_OK(setrlimit(RLIMIT_NOFILE, &rl));
	sst = mmap(NULL, sizeof(*sst), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(sst != MAP_FAILED);
	strcpy(dir, "/tmp/doorbell.XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(sock_path, sizeof(sock_path), "%s/sock", dir);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock_path);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK_OK(lfd);
	CHECK_OK(bind(lfd, (struct sockaddr *)&a, sizeof(a)));
	CHECK_OK(listen(lfd, 512));
	if (tl_case_failed)
		return;
	srv_pid = fork_server();
	if (srv_pid == 0) {
		server(lfd);
		_exit(0);
	}
	close(lfd);
}

static int is_kind(int fd, const char *want)
{
	char p[64], l[128];
	ssize_t n;
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	n = readlink(p, l, sizeof(l) - 1);
	if (n < 0)
		return 0;
	l[n] = 0;
	return strstr(l, want) != NULL;
}

static void case_handshake_passes_doorbells(void)
{
	struct cli c = {0};
	char err[200];

	if (srv_pid <= 0) {
		CHECK(!"no server");
		return;
	}
	if (cli_connect(&c, err, sizeof(err)) < 0) {
		tl_fail(__FILE__, __LINE__, "%s", err);
		return;
	}
	CHECK(is_kind(c.c2s, "[eventfd]"));
	CHECK(is_kind(c.s2c, "[eventfd]"));
	/* nothing rung yet: not readable, and a nonblocking read says so */
	struct pollfd p[2] = {{.fd = c.c2s, .events = POLLIN | POLLOUT},
			      {.fd = c.s2c, .events = POLLIN | POLLOUT}};
	CHECK_EQ(poll(p, 2, 0), 2);
	CHECK_EQ(p[0].revents, POLLOUT);
	CHECK_EQ(p[1].revents, POLLOUT);
	uint64_t v;
	CHECK_ERR(read(c.s2c, &v, 8), EAGAIN);
	/* a few round trips through each kind of wait */
	for (uint64_t r = 1; r <= 10; r++)
		if (cli_round(&c, 0, r, err, sizeof(err))) {
			tl_fail(__FILE__, __LINE__, "poll: %s", err);
			break;
		}
	CHECK_OK(cli_arm_epoll(&c));
	for (uint64_t r = 11; r <= 20; r++)
		if (cli_round(&c, 1, r, err, sizeof(err))) {
			tl_fail(__FILE__, __LINE__, "epoll: %s", err);
			break;
		}
	cli_close(&c);
}

static void case_pingpong_200_clients(void)
{
	long before = sst->rounds;
	double t0 = tl_now_ms();

	if (srv_pid <= 0) {
		CHECK(!"no server");
		return;
	}
	run_threads(N_CLIENTS, client_thread);
	if (n_fail)
		tl_fail(__FILE__, __LINE__, "%ld clients failed; first: %s",
			n_fail, first_err);
	CHECK_EQ(n_ok, N_CLIENTS);
	CHECK_EQ(sst->rounds - before, (long)N_CLIENTS * ROUNDS);
	CHECK_EQ(sst->bad, 0);
	printf("# %d clients x %d round trips in %.0f ms\n", N_CLIENTS, ROUNDS,
	       tl_now_ms() - t0);
}

/* CPU time (ms) of a process from /proc/<pid>/stat, -1 if unreadable. */
static double proc_cpu_ms(pid_t pid, char *comm, size_t commlen)
{
	char p[64], buf[1024];
	unsigned long ut, stt;
	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(p, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	char *o = strchr(buf, '('), *e = strrchr(buf, ')');
	if (!o || !e)
		return -1;
	if (comm) {
		snprintf(comm, commlen, "%.*s", (int)(e - o - 1), o + 1);
	}
	/* after ") ": state(3) ppid ... utime is field 14, stime 15 */
	if (sscanf(e + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		   &ut, &stt) != 2)
		return -1;
	return (ut + stt) * 1000.0 / sysconf(_SC_CLK_TCK);
}

static double self_cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct idle_arg {
	struct cli c;
	int use_epoll;
	volatile int ready;
	int result;
	char err[200];
};

static void *idle_thread(void *arg)
{
	struct idle_arg *a = arg;
	uint64_t v;

	a->result = -1;
	if (a->use_epoll && cli_arm_epoll(&a->c) < 0)
		return NULL;
	__atomic_store_n(&a->ready, 1, __ATOMIC_SEQ_CST);
	/* the main thread rings the server on our behalf after 1 s idle */
	int w = cli_wait(&a->c, a->use_epoll, WAIT_MS);
	if (w != 1) {
		snprintf(a->err, sizeof(a->err), "wait returned %d", w);
		return NULL;
	}
	if (read(a->c.s2c, &v, 8) != 8 || a->c.pg->resp != 2 * 2 + 1) {
		snprintf(a->err, sizeof(a->err), "bad reply");
		return NULL;
	}
	a->result = 0;
	return NULL;
}

static void idle_pair(int use_epoll)
{
	struct idle_arg a = {.use_epoll = use_epoll};
	pthread_t t;
	char sc[64] = "", pc[64] = "";
	int count_parent;

	if (srv_pid <= 0) {
		CHECK(!"no server");
		return;
	}
	if (cli_connect(&a.c, a.err, sizeof(a.err)) < 0) {
		tl_fail(__FILE__, __LINE__, "%s", a.err);
		return;
	}
	/* sync the server's expectation: one real round first */
	if (cli_round(&a.c, 0, 1, a.err, sizeof(a.err))) {
		tl_fail(__FILE__, __LINE__, "%s", a.err);
		cli_close(&a.c);
		return;
	}
	CHECK_EQ(pthread_create(&t, NULL, idle_thread, &a), 0);
	while (!__atomic_load_n(&a.ready, __ATOMIC_SEQ_CST))
		usleep(1000);
	usleep(200000); /* let both sides settle into their waits */

	/* under interpoll, count the supervisor (our parent) too */
	count_parent = proc_cpu_ms(getppid(), pc, sizeof(pc)) >= 0 &&
		       strstr(pc, "interpoll") != NULL;
	double s0 = self_cpu_ms(), v0 = proc_cpu_ms(srv_pid, sc, sizeof(sc));
	double p0 = count_parent ? proc_cpu_ms(getppid(), NULL, 0) : 0;
	usleep(1000000);
	double s1 = self_cpu_ms(), v1 = proc_cpu_ms(srv_pid, NULL, 0);
	double p1 = count_parent ? proc_cpu_ms(getppid(), NULL, 0) : 0;
	CHECK(v0 >= 0 && v1 >= 0);
	double used = (s1 - s0) + (v1 - v0) + (p1 - p0);
	printf("# idle 1 s (%s): client %.1f ms, server %.1f ms, "
	       "supervisor %s%.1f ms\n",
	       use_epoll ? "epoll_wait" : "poll", s1 - s0, v1 - v0,
	       count_parent ? "" : "(not counted) ", p1 - p0);
	CHECK(used < 50);

	/* end the idle period: request 2 rung from this thread; the
	 * blocked thread must be woken by the server's reply */
	uint64_t one = 1;
	a.c.pg->req = 2;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	CHECK_EQ(write(a.c.c2s, &one, 8), 8);
	pthread_join(t, NULL);
	CHECK_EQ(a.result, 0);
	if (a.result)
		printf("# idle thread: %s\n", a.err);
	cli_close(&a.c);
}

static void case_idle_pair_poll_no_busy_wait(void)
{
	idle_pair(0);
}

static void case_idle_pair_epoll_no_busy_wait(void)
{
	idle_pair(1);
}

static void case_server_saw_disconnects(void)
{
	double deadline = tl_now_ms() + 10000;
	long want = sst->accepted;
	while (sst->closed < want && tl_now_ms() < deadline)
		usleep(10000);
	CHECK_EQ(sst->closed, want);
	CHECK_EQ(sst->accepted, N_CLIENTS + 3);
	CHECK_EQ(sst->bad, 0);
}

int main(void)
{
	RUN(case_setup_server);
	RUN(case_handshake_passes_doorbells);
	RUN(case_pingpong_200_clients);
	RUN(case_idle_pair_poll_no_busy_wait);
	RUN(case_idle_pair_epoll_no_busy_wait);
	RUN(case_server_saw_disconnects);
	if (srv_pid > 0) {
		kill(srv_pid, SIGKILL);
		waitpid(srv_pid, NULL, 0);
	}
	unlink(sock_path);
	rmdir(dir);
	return tl_done();
}
