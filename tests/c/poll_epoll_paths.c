/* poll_epoll_paths.c: poll, ppoll, select and pselect6 on an epoll fd see
 * the instance's readiness, and are woken when it comes, whichever way the
 * caller reached the instance: a thread that never used it, a dup'ed
 * number (dup, dup2, dup3, F_DUPFD), a forked child, a process that
 * received it over SCM_RIGHTS or took it with pidfd_getfd, and an epoll of
 * another process that watches it. Each case asserts the wake-up: the
 * waiter is still blocked before the instance becomes ready, and returns
 * readable after it.
 *
 * Also the pattern of an event loop embedded in another (libuv's
 * uv_backend_fd): one thread polls the epoll fd, the loop's own thread
 * harvests it; the poller must then sleep again, not spin on stale
 * readiness.
 *
 * See docs: linux-semantics.md sections 4.2 and 7.
 */
#include "testutil.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define BLOCK_MS 100	 /* how long the waker lets the waiter sleep */
#define PATIENCE_MS 5000 /* the waiter's timeout */

enum how { VIA_POLL, VIA_PPOLL, VIA_SELECT, VIA_PSELECT, VIA_COUNT };
static const char *how_name[] = {"poll", "ppoll", "select", "pselect6"};

/* Wait until fd is readable with the given call. 1: readable; 0: timed
 * out; -errno on failure; -1000 when the call reported something else. */
static int wait_readable(int fd, enum how how, int timeout_ms)
{
	struct timespec ts = {timeout_ms / 1000,
			      (timeout_ms % 1000) * 1000000L};
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000L};
	struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT};
	fd_set r, w;
	int n;

	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(fd, &r);
	FD_SET(fd, &w);
	switch (how) {
	case VIA_POLL:
		n = poll(&p, 1, timeout_ms);
		break;
	case VIA_PPOLL:
		n = ppoll(&p, 1, &ts, NULL);
		break;
	case VIA_SELECT:
		n = select(fd + 1, &r, &w, NULL, &tv);
		break;
	default:
		n = pselect(fd + 1, &r, &w, NULL, &ts, NULL);
		break;
	}
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	/* An epoll file is readable, never writable. */
	if (how == VIA_POLL || how == VIA_PPOLL)
		return p.revents == POLLIN ? 1 : -1000;
	return n == 1 && FD_ISSET(fd, &r) && !FD_ISSET(fd, &w) ? 1 : -1000;
}

/* An instance watching the read end of a pipe, level-triggered. */
struct inst {
	int ep;
	int pfd[2];
};

static void inst_open(struct inst *in)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 42};
	in->ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(in->ep >= 0);
	CHECK_OK(pipe2(in->pfd, O_CLOEXEC | O_NONBLOCK));
	CHECK_OK(epoll_ctl(in->ep, EPOLL_CTL_ADD, in->pfd[0], &ev));
}

static void inst_close(struct inst *in)
{
	close(in->ep);
	close(in->pfd[0]);
	close(in->pfd[1]);
}

static void inst_ring(struct inst *in)
{
	CHECK_EQ(write(in->pfd[1], "x", 1), 1);
}

static void inst_drain(struct inst *in)
{
	char buf[64];
	while (read(in->pfd[0], buf, sizeof(buf)) > 0)
		;
}

/* ---- a thread that never used the instance ---- */

struct waiter_arg {
	int fd;
	enum how how;
	volatile int result;
	volatile int done;
	double elapsed_ms;
};

static void *waiter_main(void *p)
{
	struct waiter_arg *a = p;
	double t0 = tl_now_ms();
	a->result = wait_readable(a->fd, a->how, PATIENCE_MS);
	a->elapsed_ms = tl_now_ms() - t0;
	__atomic_store_n(&a->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* A thread waits on fd with `how`; the instance becomes ready after
 * BLOCK_MS; the thread must have slept until then and woken after. */
static void thread_woken(struct inst *in, int fd, enum how how)
{
	struct waiter_arg a = {.fd = fd, .how = how};
	pthread_t t;
	CHECK_EQ(pthread_create(&t, NULL, waiter_main, &a), 0);
	sleep_ms(BLOCK_MS);
	if (__atomic_load_n(&a.done, __ATOMIC_SEQ_CST))
		tl_fail(__FILE__, __LINE__, "%s returned %d before the write",
			how_name[how], a.result);
	inst_ring(in);
	pthread_join(t, NULL);
	if (a.result != 1)
		tl_fail(__FILE__, __LINE__, "%s returned %d, want 1",
			how_name[how], a.result);
	CHECK(a.elapsed_ms >= BLOCK_MS * 0.8);
	CHECK(a.elapsed_ms < PATIENCE_MS * 0.8);
	inst_drain(in);
}

static void other_thread_each_call(void)
{
	for (int how = 0; how < VIA_COUNT; how++) {
		struct inst in;
		inst_open(&in);
		thread_woken(&in, in.ep, (enum how)how);
		inst_close(&in);
	}
}

/* ---- the same instance under other numbers ---- */

static void dup_numbers(void)
{
	struct inst in;
	inst_open(&in);
	int d1 = dup(in.ep);
	int d2 = dup2(in.ep, 200);
	int d3 = dup3(in.ep, 201, O_CLOEXEC);
	int d4 = fcntl(in.ep, F_DUPFD_CLOEXEC, 300);
	int nums[] = {d1, d2, d3, d4};
	for (int i = 0; i < 4; i++) {
		CHECK(nums[i] >= 0);
		/* Not ready: every number says so at once... */
		CHECK_EQ(wait_readable(nums[i], VIA_POLL, 0), 0);
	}
	/* ...and a sleeper on each number is woken. */
	for (int i = 0; i < 4; i++)
		thread_woken(&in, nums[i], (enum how)(i % VIA_COUNT));
	inst_ring(&in);
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(wait_readable(nums[i], VIA_SELECT, 0), 1);
		close(nums[i]);
	}
	inst_close(&in);
}

/* ---- other processes ---- */

/* Child side: wait on fd with `how`, exit 0 when it slept and woke
 * readable, 1 readable too early, 2 timed out, 3 any other result. */
static void child_wait_and_exit(int fd, enum how how)
{
	double t0 = tl_now_ms();
	int r = wait_readable(fd, how, PATIENCE_MS);
	double el = tl_now_ms() - t0;
	if (r == 1)
		_exit(el >= BLOCK_MS * 0.8 ? 0 : 1);
	_exit(r == 0 ? 2 : 3);
}

static void reap_ok(pid_t pid, const char *what)
{
	int st = 0;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		tl_fail(__FILE__, __LINE__, "%s: child status %#x", what, st);
}

static void forked_child(void)
{
	for (int how = 0; how < VIA_COUNT; how++) {
		struct inst in;
		inst_open(&in);
		pid_t pid = fork();
		if (pid == 0)
			child_wait_and_exit(in.ep, (enum how)how);
		sleep_ms(BLOCK_MS);
		inst_ring(&in);
		reap_ok(pid, how_name[how]);
		inst_close(&in);
	}
}

/* The receiver gets the instance after it was created and filled: it has
 * never seen it by any other way. */
static void scm_rights_receiver(void)
{
	struct inst in;
	int sv[2];
	inst_open(&in);
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid_t pid = fork();
	if (pid == 0) {
		close(in.ep);
		int fd = recv_fd(sv[1], 0);
		if (fd < 0)
			_exit(4);
		child_wait_and_exit(fd, VIA_PPOLL);
	}
	CHECK_OK(send_fd(sv[0], in.ep));
	sleep_ms(BLOCK_MS);
	inst_ring(&in);
	reap_ok(pid, "scm_rights");
	close(sv[0]);
	close(sv[1]);
	inst_close(&in);
}

/* The child owns the instance; the parent takes it with pidfd_getfd (a
 * parent may take its child's fds) and sleeps on it. */
static void pidfd_getfd_taker(void)
{
	int go[2], num[2];
	CHECK_OK(pipe2(go, O_CLOEXEC));
	CHECK_OK(pipe2(num, O_CLOEXEC));
	pid_t pid = fork();
	if (pid == 0) {
		struct inst in;
		char c;
		close(go[1]); /* so that the parent's close is seen */
		inst_open(&in);
		if (write(num[1], &in.ep, sizeof(int)) != sizeof(int) ||
		    read(go[0], &c, 1) != 1)
			_exit(4);
		sleep_ms(BLOCK_MS);
		inst_ring(&in);
		/* Stay until the parent has seen it. */
		if (read(go[0], &c, 1) < 0)
			_exit(5);
		_exit(0);
	}
	int childfd = -1;
	CHECK_EQ(read(num[0], &childfd, sizeof(int)), sizeof(int));
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	CHECK(pidfd >= 0);
	int fd = (int)syscall(SYS_pidfd_getfd, pidfd, childfd, 0);
	if (fd < 0) {
		printf("# pidfd_getfd: %s\n", strerror(errno));
		CHECK(fd >= 0);
	} else {
		CHECK_EQ(wait_readable(fd, VIA_POLL, 0), 0);
		CHECK_EQ(write(go[1], "g", 1), 1);
		double t0 = tl_now_ms();
		CHECK_EQ(wait_readable(fd, VIA_POLL, PATIENCE_MS), 1);
		CHECK(tl_now_ms() - t0 >= BLOCK_MS * 0.8);
		close(fd);
	}
	close(go[1]); /* releases the child */
	reap_ok(pid, "pidfd_getfd");
	close(pidfd);
	close(go[0]);
	close(num[0]);
	close(num[1]);
}

/* An epoll of another process watches the instance and sleeps. */
static void outer_epoll_in_other_process(void)
{
	struct inst in;
	inst_open(&in);
	pid_t pid = fork();
	if (pid == 0) {
		int outer = epoll_create1(0);
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7};
		if (outer < 0 || epoll_ctl(outer, EPOLL_CTL_ADD, in.ep, &ev))
			_exit(4);
		double t0 = tl_now_ms();
		int n = epoll_wait(outer, &ev, 1, PATIENCE_MS);
		double el = tl_now_ms() - t0;
		if (n != 1 || ev.data.u64 != 7 || ev.events != EPOLLIN)
			_exit(n == 0 ? 2 : 3);
		_exit(el >= BLOCK_MS * 0.8 ? 0 : 1);
	}
	sleep_ms(BLOCK_MS);
	inst_ring(&in);
	reap_ok(pid, "outer epoll");
	inst_close(&in);
}

/* ---- readiness is current, never stale ---- */

static void stale_after_harvest_and_read(void)
{
	struct inst in;
	struct epoll_event ev;
	inst_open(&in);
	inst_ring(&in);
	CHECK_EQ(wait_readable(in.ep, VIA_POLL, 0), 1);
	/* Level-triggered: harvested, the entry is queued again... */
	CHECK_EQ(epoll_wait(in.ep, &ev, 1, 0), 1);
	CHECK_EQ(wait_readable(in.ep, VIA_PPOLL, 0), 1);
	/* ...but once the data is read, the instance is not ready. */
	inst_drain(&in);
	CHECK_EQ(wait_readable(in.ep, VIA_POLL, 0), 0);
	CHECK_EQ(wait_readable(in.ep, VIA_SELECT, 0), 0);
	inst_close(&in);

	/* Edge-triggered: once harvested, nothing is left to report. */
	int ep = epoll_create1(0), p[2];
	CHECK_OK(pipe(p));
	ev.events = EPOLLIN | EPOLLET;
	ev.data.u64 = 1;
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(wait_readable(ep, VIA_PSELECT, 0), 1);
	CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	CHECK_EQ(wait_readable(ep, VIA_POLL, 0), 0);
	close(ep);
	close(p[0]);
	close(p[1]);
}

/* ---- an event loop embedded in another (uv_backend_fd) ---- */

struct embed {
	int ep;
	int wake[2]; /* the backend thread tells the loop thread */
	int ack[2];  /* the loop thread says it has run the loop */
	int rounds;
	int spurious; /* wake-ups with nothing to harvest */
};

static void *backend_main(void *p)
{
	struct embed *m = p;
	char c;
	for (int i = 0; i < m->rounds; i++) {
		int r = wait_readable(m->ep, VIA_POLL, PATIENCE_MS);
		if (write(m->wake[1], r == 1 ? "r" : "t", 1) != 1 ||
		    read(m->ack[0], &c, 1) != 1)
			break;
	}
	return NULL;
}

static void embedded_backend_fd(void)
{
	struct embed m = {.rounds = 20};
	int data[2];
	m.ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK_OK(pipe2(m.wake, O_CLOEXEC));
	CHECK_OK(pipe2(m.ack, O_CLOEXEC));
	CHECK_OK(pipe2(data, O_CLOEXEC | O_NONBLOCK));
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 5};
	CHECK_OK(epoll_ctl(m.ep, EPOLL_CTL_ADD, data[0], &ev));
	pthread_t t;
	CHECK_EQ(pthread_create(&t, NULL, backend_main, &m), 0);
	for (int i = 0; i < m.rounds; i++) {
		char c, buf[16];
		if (i % 2 == 0)
			sleep_ms(2); /* sometimes the poller sleeps first */
		CHECK_EQ(write(data[1], "d", 1), 1);
		CHECK_EQ(read(m.wake[0], &c, 1), 1);
		CHECK_EQ(c, 'r');
		/* The loop runs: harvests and consumes. */
		int n = epoll_wait(m.ep, &ev, 1, 0);
		if (n == 0)
			m.spurious++;
		CHECK_EQ(n, 1);
		CHECK(read(data[0], buf, sizeof(buf)) >= 1);
		/* Nothing left: a poll now must not report readiness. */
		CHECK_EQ(wait_readable(m.ep, VIA_POLL, 0), 0);
		CHECK_EQ(write(m.ack[1], "a", 1), 1);
	}
	pthread_join(t, NULL);
	CHECK_EQ(m.spurious, 0);
	close(m.ep);
	close(m.wake[0]);
	close(m.wake[1]);
	close(m.ack[0]);
	close(m.ack[1]);
	close(data[0]);
	close(data[1]);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	RUN(other_thread_each_call);
	RUN(dup_numbers);
	RUN(forked_child);
	RUN(scm_rights_receiver);
	RUN(pidfd_getfd_taker);
	RUN(outer_epoll_in_other_process);
	RUN(stale_after_harvest_and_read);
	RUN(embedded_backend_fd);
	return tl_done();
}
