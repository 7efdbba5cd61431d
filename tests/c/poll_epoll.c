/* poll_epoll.c: poll(2)/ppoll(2) on epoll file descriptors. An epoll fd is
 * readable (POLLIN|POLLRDNORM, never OUT) when at least one queued entry is
 * really ready now; stale entries do not count, harvested edge-triggered
 * and fired one-shot entries are off the ready list, and polling never
 * consumes an event.
 *
 * See docs: linux-semantics.md sections 4.1, 4.2 (nested epoll), 6.4 and 7.
 */
#include "testlib.h"
#include "testutil.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>

#define ALLEV                                                                  \
	(POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLRDBAND | POLLWRNORM |   \
	 POLLWRBAND | POLLMSG | POLLRDHUP)

static int poll1(int fd, short events, int timeout)
{
	struct pollfd p = {.fd = fd, .events = events, .revents = 0x7fff};
	int r = poll(&p, 1, timeout);

	if (r < 0)
		return -1000 - errno;
	if (r != (p.revents != 0))
		return -2000; /* count and revents disagree */
	return (unsigned short)p.revents;
}

static int ppoll1(int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events, .revents = 0x7fff};
	struct kts z = {0, 0};
	long r = syscall(SYS_ppoll, &p, 1, &z, NULL, 0);

	if (r < 0)
		return -1000 - errno;
	return (unsigned short)p.revents;
}

/* Writes a sequence of eventfd values at given delays. */
struct script {
	pthread_t th;
	int fd;
	int n;
	int delay_ms[4];
	uint64_t value[4];
};

static void *script_main(void *arg)
{
	struct script *s = arg;
	double t0 = tl_now_ms();

	for (int i = 0; i < s->n; i++) {
		while (tl_now_ms() < t0 + s->delay_ms[i])
			sleep_ms(2);
		if (write(s->fd, &s->value[i], 8) != 8)
			perror("script write");
	}
	return NULL;
}

static void script_start(struct script *s)
{
	start_thread(&s->th, script_main, s);
}

/* An EPOLL_CLOEXEC instance watching a new EFD_CLOEXEC eventfd *efd
 * (counter init) with events and data. */
static int ep_efd(int *efd, unsigned init, uint32_t events, uint64_t data)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);

	*efd = eventfd(init, EFD_CLOEXEC);
	CHECK_OK(add(ep, *efd, events, data));
	return ep;
}

static void ready_entry_reports_in_rdnorm(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int efd = eventfd(1, EFD_CLOEXEC);

	CHECK(ep >= 0 && efd >= 0);
	CHECK_EQ(poll1(ep, ALLEV, 0), 0); /* empty instance */
	CHECK_OK(add(ep, efd, EPOLLIN, 1));
	CHECK_EQ(poll1(ep, ALLEV, 0), POLLIN | POLLRDNORM);
	CHECK_EQ(poll1(ep, (short)0xffff, 0), POLLIN | POLLRDNORM);
	CHECK_EQ(poll1(ep, POLLIN, 0), POLLIN);
	CHECK_EQ(poll1(ep, POLLRDNORM, 0), POLLRDNORM);
	CHECK_EQ(poll1(ep, POLLOUT | POLLWRNORM | POLLPRI, 0), 0);
	CHECK_EQ(poll1(ep, 0, 0), 0);
	CHECK_EQ(ppoll1(ep, ALLEV), POLLIN | POLLRDNORM);
	close_fds(efd, ep);
}

static void never_out(void)
{
	/* An entry watching and reporting OUT makes the epoll fd readable,
	 * never writable. */
	int efd;
	int ep = ep_efd(&efd, 0, EPOLLIN | EPOLLOUT, 1);
	int p[2];

	CHECK_OK(pipe2(p, O_CLOEXEC));
	CHECK_EQ(poll1(ep, ALLEV, 0), POLLIN | POLLRDNORM);
	CHECK_OK(add(ep, p[1], EPOLLOUT, 2));
	CHECK_EQ(poll1(ep, POLLOUT | POLLWRNORM, 0), 0);
	CHECK_EQ(ppoll1(ep, ALLEV), POLLIN | POLLRDNORM);
	close_fds(p[0], p[1], efd, ep);
}

static void not_ready_entries(void)
{
	int efd;
	int ep = ep_efd(&efd, 0, EPOLLIN, 1); /* counter 0 */
	int p[2];

	CHECK_OK(pipe2(p, O_CLOEXEC));
	CHECK_OK(add(ep, p[0], EPOLLIN | EPOLLET, 2)); /* empty pipe */
	CHECK_OK(add(ep, p[1], EPOLLIN, 3));	       /* write end: never IN */
	CHECK_EQ(poll1(ep, ALLEV, 0), 0);
	CHECK_EQ(ppoll1(ep, ALLEV), 0);
	double t0 = tl_now_ms();
	CHECK_EQ(poll1(ep, POLLIN, 50), 0);
	CHECK(tl_now_ms() - t0 >= 49.5);
	/* Any one entry becoming ready is enough. */
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(poll1(ep, ALLEV, 0), POLLIN | POLLRDNORM);
	close_fds(p[0], p[1], efd, ep);
}

static void implicit_err_entry_makes_ready(void)
{
	/* An entry with events 0 still watches ERR|HUP: a pipe write end
	 * whose reader closed makes the epoll fd readable. */
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int p[2];

	CHECK_OK(pipe2(p, O_CLOEXEC));
	CHECK_OK(add(ep, p[1], 0, 1));
	CHECK_EQ(poll1(ep, ALLEV, 0), 0);
	close(p[0]);
	CHECK_EQ(poll1(ep, ALLEV, 0), POLLIN | POLLRDNORM);
	struct epoll_event ev;
	CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	CHECK_EQ(ev.events, EPOLLERR);
	close_fds(p[1], ep);
}

static void stale_entries_not_ready(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int efd = eventfd(0, EFD_CLOEXEC);
	int p[2];

	CHECK_OK(pipe2(p, O_CLOEXEC));
	CHECK_OK(add(ep, p[0], EPOLLIN, 1));
	CHECK_OK(add(ep, efd, EPOLLIN | EPOLLET, 2));
	/* Queued by the wakeups ... */
	CHECK_EQ(write(p[1], "ab", 2), 2);
	efd_write(efd, 5);
	/* ... and drained before anyone looked. */
	char buf[4];
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 2);
	CHECK_EQ(efd_read(efd), 5);
	CHECK_EQ(poll1(ep, ALLEV, 0), 0);
	CHECK_EQ(ppoll1(ep, ALLEV), 0);
	struct epoll_event ev[2];
	CHECK_EQ(epoll_wait(ep, ev, 2, 0), 0);
	/* A write of 0 queues the eventfd entry with nothing to read. */
	efd_write(efd, 0);
	CHECK_EQ(poll1(ep, ALLEV, 0), 0);
	close_fds(p[0], p[1], efd, ep);
}

static void et_harvested_not_ready(void)
{
	int efd;
	int ep = ep_efd(&efd, 0, EPOLLIN | EPOLLET, 9);
	struct epoll_event ev;

	efd_write(efd, 1);
	CHECK_EQ(poll1(ep, ALLEV, 0), POLLIN | POLLRDNORM);
	/* Polling did not consume the edge. */
	CHECK_EQ(poll1(ep, ALLEV, 0), POLLIN | POLLRDNORM);
	CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	CHECK_EQ(ev.data.u64, 9);
	/* Harvested: off the ready list, although the eventfd is still
	 * readable. */
	CHECK_EQ(poll1(efd, POLLIN, 0), POLLIN);
	CHECK_EQ(poll1(ep, ALLEV, 0), 0);
	/* A new write is a new edge. */
	efd_write(efd, 1);
	CHECK_EQ(poll1(ep, ALLEV, 0), POLLIN | POLLRDNORM);
	close_fds(efd, ep);
}

static void lt_harvested_still_ready(void)
{
	int efd;
	int ep = ep_efd(&efd, 2, EPOLLIN, 4);
	struct epoll_event ev;

	CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	CHECK_EQ(poll1(ep, ALLEV, 0), POLLIN | POLLRDNORM);
	CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	efd_read(efd);
	CHECK_EQ(poll1(ep, ALLEV, 0), 0);
	close_fds(efd, ep);
}

static void oneshot_fired_not_ready(void)
{
	int efd;
	int ep = ep_efd(&efd, 1, EPOLLIN | EPOLLONESHOT, 5);
	struct epoll_event ev;

	CHECK_EQ(poll1(ep, ALLEV, 0), POLLIN | POLLRDNORM);
	CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	CHECK_EQ(poll1(ep, ALLEV, 0), 0);
	efd_write(efd, 1);
	CHECK_EQ(poll1(ep, ALLEV, 0), 0);
	/* Re-armed with MOD: ready again. */
	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.u64 = 5;
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_MOD, efd, &ev));
	CHECK_EQ(poll1(ep, ALLEV, 0), POLLIN | POLLRDNORM);
	close_fds(efd, ep);
}

static void removed_entry_not_ready(void)
{
	int efd;
	int ep = ep_efd(&efd, 1, EPOLLIN, 1);
	int efd2 = eventfd(1, EFD_CLOEXEC);

	CHECK_OK(add(ep, efd2, EPOLLIN, 2));
	CHECK_EQ(poll1(ep, ALLEV, 0), POLLIN | POLLRDNORM);
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL));
	CHECK_EQ(poll1(ep, ALLEV, 0), POLLIN | POLLRDNORM);
	/* Closing the last reference removes the registration. */
	close(efd2);
	CHECK_EQ(poll1(ep, ALLEV, 0), 0);
	close_fds(efd, ep);
}

static void nested_epoll(void)
{
	int e1 = epoll_create1(EPOLL_CLOEXEC);
	int e2 = epoll_create1(EPOLL_CLOEXEC);
	int e3 = epoll_create1(EPOLL_CLOEXEC);
	int efd = eventfd(0, EFD_CLOEXEC);
	struct epoll_event ev;

	CHECK_OK(add(e1, efd, EPOLLIN, 1));
	CHECK_OK(add(e2, e1, EPOLLIN | EPOLLOUT, 2));
	CHECK_OK(add(e3, e2, EPOLLIN, 3));
	CHECK_EQ(poll1(e3, ALLEV, 0), 0);
	CHECK_EQ(poll1(e2, ALLEV, 0), 0);
	efd_write(efd, 1);
	CHECK_EQ(poll1(e3, ALLEV, 0), POLLIN | POLLRDNORM);
	CHECK_EQ(poll1(e2, ALLEV, 0), POLLIN | POLLRDNORM);
	CHECK_EQ(ppoll1(e1, ALLEV), POLLIN | POLLRDNORM);
	/* The middle instance reports only IN for the inner epoll. */
	CHECK_EQ(epoll_wait(e2, &ev, 1, 0), 1);
	CHECK_EQ(ev.events, EPOLLIN);
	CHECK_EQ(ev.data.u64, 2);
	efd_read(efd);
	CHECK_EQ(poll1(e3, ALLEV, 0), 0);
	CHECK_EQ(poll1(e2, ALLEV, 0), 0);
	close_fds(efd, e3, e2, e1);
}

static void blocking_poll_woken_through_epoll(void)
{
	int efd;
	int ep = ep_efd(&efd, 0, EPOLLIN, 1);
	struct script s = {.fd = efd, .n = 1, .delay_ms = {150}, .value = {1}};

	script_start(&s);
	double t0 = tl_now_ms();
	CHECK_EQ(poll1(ep, POLLIN | POLLOUT | POLLRDNORM, -1),
		 POLLIN | POLLRDNORM);
	double el = tl_now_ms() - t0;
	CHECK(el >= 100);
	CHECK(el < 3000);
	pthread_join(s.th, NULL);
	/* The event is still there for epoll_wait. */
	struct epoll_event ev;
	CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	CHECK_EQ(ev.data.u64, 1);
	close_fds(efd, ep);
}

static void blocking_ppoll_woken_through_nested_epoll(void)
{
	int e1 = epoll_create1(EPOLL_CLOEXEC);
	int e2 = epoll_create1(EPOLL_CLOEXEC);
	int efd = eventfd(0, EFD_CLOEXEC);
	struct script s = {.fd = efd, .n = 1, .delay_ms = {150}, .value = {3}};

	CHECK_OK(add(e1, efd, EPOLLIN | EPOLLET, 1));
	CHECK_OK(add(e2, e1, EPOLLIN, 2));
	script_start(&s);
	struct pollfd p = {.fd = e2, .events = POLLIN};
	struct kts ts = {10, 0};
	double t0 = tl_now_ms();
	CHECK_EQ(syscall(SYS_ppoll, &p, 1, &ts, NULL, 0), 1);
	double el = tl_now_ms() - t0;
	CHECK_EQ(p.revents, POLLIN);
	CHECK(el >= 100);
	CHECK(el < 3000);
	pthread_join(s.th, NULL);
	close_fds(efd, e2, e1);
}

static void stale_wakeup_does_not_end_wait(void)
{
	/* A write of 0 wakes the epoll entry (IN key) but nothing is
	 * readable: poll on the epoll fd keeps waiting until the real
	 * write. */
	int efd;
	int ep = ep_efd(&efd, 0, EPOLLIN, 1);
	struct script s = {
	    .fd = efd, .n = 2, .delay_ms = {100, 350}, .value = {0, 1}};

	script_start(&s);
	double t0 = tl_now_ms();
	CHECK_EQ(poll1(ep, POLLIN, 5000), POLLIN);
	double el = tl_now_ms() - t0;
	CHECK(el >= 300);
	CHECK(el < 3000);
	pthread_join(s.th, NULL);
	close_fds(efd, ep);
}

static void eventfd_and_epoll_together(void)
{
	int efd;
	int ep = ep_efd(&efd, 0, EPOLLIN, 1);
	int other = eventfd(0, EFD_CLOEXEC);

	struct pollfd a[3] = {
	    {.fd = efd, .events = POLLIN | POLLOUT},
	    {.fd = ep, .events = POLLIN | POLLOUT},
	    {.fd = other, .events = POLLIN},
	};
	/* Counter 0: the eventfd is writable only; the epoll is idle. */
	CHECK_EQ(poll(a, 3, 0), 1);
	CHECK_EQ(a[0].revents, POLLOUT);
	CHECK_EQ(a[1].revents, 0);
	CHECK_EQ(a[2].revents, 0);
	efd_write(efd, 1);
	CHECK_EQ(poll(a, 3, 0), 2);
	CHECK_EQ(a[0].revents, POLLIN | POLLOUT);
	CHECK_EQ(a[1].revents, POLLIN);
	CHECK_EQ(a[2].revents, 0);
	efd_read(efd);

	/* Blocking on both: the other eventfd wakes it, the epoll stays
	 * idle. */
	a[0].events = POLLIN;
	struct script s = {
	    .fd = other, .n = 1, .delay_ms = {120}, .value = {1}};
	script_start(&s);
	CHECK_EQ(poll(a, 3, 5000), 1);
	CHECK_EQ(a[0].revents, 0);
	CHECK_EQ(a[1].revents, 0);
	CHECK_EQ(a[2].revents, POLLIN);
	pthread_join(s.th, NULL);
	efd_read(other);

	/* Now the shared eventfd: both its own entry and the epoll fire. */
	struct script s2 = {.fd = efd, .n = 1, .delay_ms = {120}, .value = {1}};
	script_start(&s2);
	CHECK_EQ(poll(a, 3, 5000) >= 1, 1);
	pthread_join(s2.th, NULL);
	CHECK_EQ(poll(a, 3, 0), 2);
	CHECK_EQ(a[0].revents, POLLIN);
	CHECK_EQ(a[1].revents, POLLIN);
	close_fds(other, efd, ep);
}

static void epoll_with_many_entries(void)
{
	/* 200 idle pipes and one ready eventfd deep inside the list. */
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int p[200][2];
	int efd = eventfd(0, EFD_CLOEXEC);

	for (int i = 0; i < 200; i++) {
		CHECK_OK(pipe2(p[i], O_CLOEXEC));
		CHECK_OK(add(ep, p[i][0], EPOLLIN, 100 + i));
	}
	CHECK_OK(add(ep, efd, EPOLLIN, 1));
	CHECK_EQ(poll1(ep, ALLEV, 0), 0);
	CHECK_EQ(write(p[150][1], "x", 1), 1);
	CHECK_EQ(poll1(ep, ALLEV, 0), POLLIN | POLLRDNORM);
	char c;
	CHECK_EQ(read(p[150][0], &c, 1), 1);
	CHECK_EQ(poll1(ep, ALLEV, 0), 0);
	for (int i = 0; i < 200; i++) {
		close_fds(p[i][0], p[i][1]);
	}
	close_fds(efd, ep);
}

int main(void)
{
	RUN(ready_entry_reports_in_rdnorm);
	RUN(never_out);
	RUN(not_ready_entries);
	RUN(implicit_err_entry_makes_ready);
	RUN(stale_entries_not_ready);
	RUN(et_harvested_not_ready);
	RUN(lt_harvested_still_ready);
	RUN(oneshot_fired_not_ready);
	RUN(removed_entry_not_ready);
	RUN(nested_epoll);
	RUN(blocking_poll_woken_through_epoll);
	RUN(blocking_ppoll_woken_through_nested_epoll);
	RUN(stale_wakeup_does_not_end_wait);
	RUN(eventfd_and_epoll_together);
	RUN(epoll_with_many_entries);
	return tl_done();
}
