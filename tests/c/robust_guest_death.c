/* robust_guest_death.c: guests that die in the middle of intercepted calls.
 *
 * Each case forks children that block in (or hammer) epoll_wait, epoll_ctl
 * or poll and are killed with SIGKILL, exit while their threads wait, call
 * exit_group from one thread while others wait, or execve from a thread.
 * The parent then checks that it is still served: an epoll round trip
 * works and a blocked wait still times out on time. Under interpoll this
 * shows that the supervisor cleaned up and carried on serving the rest of
 * the guest tree. */
#include "testlib.h"
#include "testutil.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

/* The parent is still served: ready event reported, empty wait times out. */
static void parent_still_served(void)
{
	int ep = epoll_create1(0), efd = eventfd(0, EFD_NONBLOCK);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 42}, out[2];
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev));
	CHECK_EQ(epoll_wait(ep, out, 2, 0), 0);
	uint64_t one = 1;
	CHECK_EQ(write(efd, &one, 8), 8);
	CHECK_EQ(epoll_wait(ep, out, 2, 1000), 1);
	CHECK_EQ(out[0].data.u64, 42);
	CHECK_EQ(read(efd, &one, 8), 8);
	double t0 = tl_now_ms();
	CHECK_EQ(epoll_wait(ep, out, 2, 50), 0);
	double dt = tl_now_ms() - t0;
	CHECK(dt >= 50 && dt < 1050);
	close_fds(ep, efd);
}

static void *block_forever(void *arg)
{
	int ep = *(int *)arg;
	struct epoll_event out;
	epoll_wait(ep, &out, 1, -1);
	return NULL;
}

static void *poll_forever(void *arg)
{
	(void)arg;
	int p[2];
	if (pipe(p) == 0) {
		struct pollfd pfd = {p[0], POLLIN, 0};
		poll(&pfd, 1, -1);
	}
	return NULL;
}

static void *ctl_loop(void *arg)
{
	int ep = *(int *)arg, efd = eventfd(0, 0);
	struct epoll_event ev = {.events = EPOLLIN};
	for (;;) {
		epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
		epoll_ctl(ep, EPOLL_CTL_MOD, efd, &ev);
		epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL);
	}
	return NULL;
}

/* Fork a child that starts `nthreads` threads running fn, lets them get
 * going, then ends as `how` says; returns its wait status. */
enum how { KILLED, EXITS, EXIT_FROM_THREAD, EXEC_FROM_THREAD };

static void *exit_group_thread(void *arg)
{
	(void)arg;
	sleep_ms(100);
	_exit(7);
}

static void *exec_thread(void *arg)
{
	(void)arg;
	sleep_ms(100);
	execl("/bin/sh", "sh", "-c", "exit 9", (char *)NULL);
	_exit(99);
}

static int run_child(void *(*fn)(void *), int nthreads, enum how how)
{
	pid_t pid = fork();
	if (pid == 0) {
		int ep = epoll_create1(0);
		pthread_t t;
		for (int i = 0; i < nthreads; i++)
			pthread_create(&t, NULL, fn, &ep);
		if (how == EXIT_FROM_THREAD)
			pthread_create(&t, NULL, exit_group_thread, NULL);
		if (how == EXEC_FROM_THREAD)
			pthread_create(&t, NULL, exec_thread, NULL);
		/* Only EXITS ends here; the others end by the kill, the
		 * exiting thread or the exec, however slow the machine. */
		sleep_ms(how == EXITS ? 150 : 10000);
		_exit(3);
	}
	if (how == KILLED) {
		sleep_ms(150);
		kill(pid, SIGKILL);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return st;
}

/* The child is killed by SIGKILL; the parent is still served. */
static void expect_killed(void *(*fn)(void *), int nthreads)
{
	int st = run_child(fn, nthreads, KILLED);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	parent_still_served();
}

/* The child (8 threads running fn) exits with code as `how` says; the
 * parent is still served. */
static void expect_exit(void *(*fn)(void *), enum how how, int code)
{
	int st = run_child(fn, 8, how);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == code);
	parent_still_served();
}

static void killed_in_epoll_wait(void)
{
	expect_killed(block_forever, 4);
}

static void killed_in_epoll_ctl(void)
{
	expect_killed(ctl_loop, 2);
}

static void killed_in_poll(void)
{
	expect_killed(poll_forever, 4);
}

static void exits_while_threads_wait(void)
{
	expect_exit(block_forever, EXITS, 3);
}

static void exit_group_from_thread_while_others_wait(void)
{
	expect_exit(block_forever, EXIT_FROM_THREAD, 7);
}

static void execve_from_thread_while_others_wait(void)
{
	expect_exit(block_forever, EXEC_FROM_THREAD, 9);
}

static void many_deaths_in_a_row(void)
{
	for (int i = 0; i < 20; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			int ep = epoll_create1(0);
			pthread_t t;
			pthread_create(&t, NULL, block_forever, &ep);
			pthread_create(&t, NULL, ctl_loop, &ep);
			sleep_ms(1000);
			_exit(0);
		}
		sleep_ms(20);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	parent_still_served();
}

int main(void)
{
	RUN(killed_in_epoll_wait);
	RUN(killed_in_epoll_ctl);
	RUN(killed_in_poll);
	RUN(exits_while_threads_wait);
	RUN(exit_group_from_thread_while_others_wait);
	RUN(execve_from_thread_while_others_wait);
	RUN(many_deaths_in_a_row);
	return tl_done();
}
