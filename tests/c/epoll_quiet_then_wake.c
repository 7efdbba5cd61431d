/* epoll_quiet_then_wake.c: a wake-up that comes after a run of calls with
 * nothing to report is in the very next answer, whatever road it took.
 *
 * In Linux a file's wake-up reaches the epoll inside the call (or the
 * interrupt) that changed the file, so an epoll_wait(0) made afterwards
 * reports it. Under interpoll, while a guest's calls come back to back
 * with nothing between them, the supervisor serves them without reading
 * its main epoll, for as long as an io_uring poll of that epoll has not
 * completed (platform/main_watch.c). Each case here makes runs of quiet
 * calls of varying length (0 to QUIET_MAX, so that the poll is armed in
 * most rounds and just armed in some), then one wake-up by its own road
 * (this thread, another thread, another process, a timer, a peer's
 * hang-up), then one zero-timeout wait that must report it, and one
 * more that must not.
 *
 * See docs: linux-semantics.md section 3 (epoll_wait).
 */
#include "testutil.h"

#include <sys/timerfd.h>

#define ROUNDS 300
#define QUIET_MAX 40

static int failures;

static void note(int ok, const char *what, int round)
{
	if (!ok && failures++ < 5)
		fprintf(stderr, "  %s: wrong answer in round %d\n", what,
			round);
}

/* Exactly one event, with this data and these bits among its events. */
static int one(int ep, uint64_t data, uint32_t bits)
{
	struct epoll_event ev[4];
	int n = epoll_wait(ep, ev, 4, 0);
	return n == 1 && ev[0].data.u64 == data &&
	       (ev[0].events & bits) == bits;
}

static int none(int ep)
{
	struct epoll_event ev[4];
	return epoll_wait(ep, ev, 4, 0) == 0;
}

/* Calls that report nothing and wake nothing: zero-timeout waits of the
 * instance, and MODs of an idle pipe's entry to the mask it has. */
static void quiet_calls(int ep, int idle, int round)
{
	for (int i = 0; i < round % (QUIET_MAX + 1); i++) {
		if (i % 3 == 2)
			note(mod(ep, idle, EPOLLIN, 7) == 0, "quiet MOD",
			     round);
		else
			note(none(ep), "quiet wait", round);
	}
}

struct rig {
	int ep, idle[2];
};

static void rig_open(struct rig *r)
{
	r->ep = epoll_create1(0);
	CHECK_OK(pipe2(r->idle, O_NONBLOCK));
	CHECK_OK(add(r->ep, r->idle[0], EPOLLIN, 7));
	failures = 0;
}

static void rig_close(struct rig *r)
{
	close_fds(r->ep, r->idle[0], r->idle[1]);
	CHECK_EQ(failures, 0);
}

/* This thread writes an eventfd, level- or edge-triggered. */
static void own_write(void)
{
	struct rig r;
	rig_open(&r);
	int efd = new_eventfd(0, EFD_NONBLOCK);
	CHECK_OK(add(r.ep, efd, EPOLLIN, 1));
	for (int i = 0; i < ROUNDS && failures < 5; i++) {
		uint32_t et = i % 2 ? EPOLLET : 0;
		note(mod(r.ep, efd, EPOLLIN | et, 1) == 0, "MOD", i);
		quiet_calls(r.ep, r.idle[0], i);
		efd_write(efd, 1);
		note(one(r.ep, 1, EPOLLIN), "written, then epoll_wait(0)", i);
		efd_read(efd);
		note(none(r.ep), "read, then epoll_wait(0)", i);
	}
	close(efd);
	rig_close(&r);
}

/* Another thread writes a pipe when told to, and says so in memory. */
static struct {
	int fd;
	atomic_int asked, done, stop;
} helper;

static void *helper_loop(void *arg)
{
	(void)arg;
	int seen = 0;
	while (!atomic_load(&helper.stop)) {
		int a = atomic_load(&helper.asked);
		if (a == seen) {
			sched_yield();
			continue;
		}
		CHECK_EQ(write(helper.fd, "x", 1), 1);
		seen = a;
		atomic_store(&helper.done, a);
	}
	return NULL;
}

static void other_thread(void)
{
	struct rig r;
	int p[2];
	pthread_t th;
	rig_open(&r);
	CHECK_OK(pipe2(p, O_NONBLOCK));
	CHECK_OK(add(r.ep, p[0], EPOLLIN, 2));
	helper.fd = p[1];
	atomic_store(&helper.asked, 0);
	atomic_store(&helper.done, 0);
	atomic_store(&helper.stop, 0);
	start_thread(&th, helper_loop, NULL);
	for (int i = 1; i <= ROUNDS && failures < 5; i++) {
		char c;
		quiet_calls(r.ep, r.idle[0], i);
		atomic_store(&helper.asked, i);
		while (atomic_load(&helper.done) != i)
			sched_yield();
		note(one(r.ep, 2, EPOLLIN), "written by a thread, then wait",
		     i);
		CHECK_EQ(read(p[0], &c, 1), 1);
		note(none(r.ep), "read, then epoll_wait(0)", i);
	}
	atomic_store(&helper.stop, 1);
	pthread_join(th, NULL);
	close_fds(p[0], p[1]);
	rig_close(&r);
}

/* A child process writes a pipe when told to through shared memory. */
static void other_process(void)
{
	struct rig r;
	int p[2];
	rig_open(&r);
	CHECK_OK(pipe2(p, O_NONBLOCK));
	CHECK_OK(add(r.ep, p[0], EPOLLIN, 3));
	atomic_int *shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(shm != MAP_FAILED); /* [0] asked, [1] done */
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int seen = 0;
		while (seen < ROUNDS) {
			int a = atomic_load(&shm[0]);
			if (a == seen) {
				sched_yield();
				continue;
			}
			if (a < 0 || write(p[1], "x", 1) != 1)
				_exit(0);
			seen = a;
			atomic_store(&shm[1], a);
		}
		_exit(0);
	}
	for (int i = 1; i <= ROUNDS && failures < 5; i++) {
		char c;
		quiet_calls(r.ep, r.idle[0], i);
		atomic_store(&shm[0], i);
		while (atomic_load(&shm[1]) != i)
			sched_yield();
		note(one(r.ep, 3, EPOLLIN), "written by a process, then wait",
		     i);
		CHECK_EQ(read(p[0], &c, 1), 1);
		note(none(r.ep), "read, then epoll_wait(0)", i);
	}
	atomic_store(&shm[0], -1);
	CHECK_EQ(waitpid(pid, NULL, 0), pid);
	close_fds(p[0], p[1]);
	munmap(shm, 4096);
	rig_close(&r);
}

/* Nobody in the guest makes the wake-up: a timer expires while the
 * thread sleeps natively. */
static void timer_expiry(void)
{
	struct rig r;
	rig_open(&r);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	CHECK(tfd >= 0);
	CHECK_OK(add(r.ep, tfd, EPOLLIN, 4));
	for (int i = 0; i < ROUNDS / 3 && failures < 5; i++) {
		struct itimerspec its = {.it_value.tv_nsec = 1000000};
		uint64_t n;
		quiet_calls(r.ep, r.idle[0], i * 3);
		CHECK_OK(timerfd_settime(tfd, 0, &its, NULL));
		sleep_ms(3);
		note(one(r.ep, 4, EPOLLIN), "timer expired, then wait", i);
		CHECK_EQ(read(tfd, &n, 8), 8);
		note(none(r.ep), "read, then epoll_wait(0)", i);
	}
	close(tfd);
	rig_close(&r);
}

/* The peer of a socket closes: a hang-up, not data. */
static void peer_hangup(void)
{
	struct rig r;
	rig_open(&r);
	for (int i = 0; i < ROUNDS && failures < 5; i++) {
		int sv[2];
		CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
		CHECK_OK(add(r.ep, sv[0], EPOLLIN | EPOLLRDHUP, 5));
		quiet_calls(r.ep, r.idle[0], i);
		close(sv[1]);
		note(one(r.ep, 5, EPOLLIN | EPOLLRDHUP | EPOLLHUP),
		     "peer closed, then wait", i);
		close(sv[0]);
		note(none(r.ep), "closed, then epoll_wait(0)", i);
	}
	rig_close(&r);
}

int main(void)
{
	RUN(own_write);
	RUN(other_thread);
	RUN(other_process);
	RUN(timer_expiry);
	RUN(peer_hangup);
	return tl_done();
}
