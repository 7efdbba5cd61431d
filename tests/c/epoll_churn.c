/* epoll_churn.c: event loops made and dropped in a tight loop, closed
 * without EPOLL_CTL_DEL, as asyncio.run() in a loop, a test suite that
 * makes a loop per test, or tokio's runtime builder do. Linux frees an
 * instance and its entries at its last close, so no call ever fails and
 * no limit is reached: neither the 500 wake-up paths per file (each entry
 * of a closed instance is gone at once) nor anything else.
 *
 * See docs: linux-semantics.md sections 3.5 and 5.
 */
#include "testutil.h"

#define CHURN_ALONE 20000
#define CHURN_SHARED 3000
#define LIVE_BESIDE 6000
#define CHURN_BESIDE 5000

/* epoll_create1, eventfd, ADD, close both. */
static void churn_alone(void)
{
	for (int i = 0; i < CHURN_ALONE; i++) {
		int ep = epoll_create1(EPOLL_CLOEXEC);
		int efd = eventfd(0, EFD_CLOEXEC);
		if (ep < 0 || efd < 0) {
			tl_fail(__FILE__, __LINE__,
				"iteration %d: epoll %d eventfd %d: %s", i, ep,
				efd, strerror(errno));
			return;
		}
		if (add(ep, efd, EPOLLIN, 1) < 0) {
			tl_fail(__FILE__, __LINE__, "iteration %d: ADD: %s", i,
				strerror(errno));
			return;
		}
		close(efd);
		close(ep);
	}
}

/* epoll_create1, ADD an F_DUPFD copy of one shared socket (and an eventfd
 * of its own), close them without DEL. */
static void churn_shared_file(void)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	for (int i = 0; i < CHURN_SHARED; i++) {
		int ep = epoll_create1(EPOLL_CLOEXEC);
		int d = fcntl(sv[0], F_DUPFD_CLOEXEC, 3);
		int efd = eventfd(0, EFD_CLOEXEC);
		if (ep < 0 || d < 0 || efd < 0) {
			tl_fail(__FILE__, __LINE__, "iteration %d: %s", i,
				strerror(errno));
			return;
		}
		if (add(ep, d, EPOLLIN, 1) < 0 ||
		    add(ep, efd, EPOLLIN, 2) < 0) {
			tl_fail(__FILE__, __LINE__, "iteration %d: ADD: %s", i,
				strerror(errno));
			return;
		}
		/* Used once, as a loop would. */
		struct epoll_event ev;
		CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 0);
		close(efd);
		close(d);
		close(ep);
	}
	/* The socket still works in a fresh loop. */
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev;
	CHECK_OK(add(ep, sv[0], EPOLLIN, 7));
	CHECK_EQ(write(sv[1], "x", 1), 1);
	CHECK_EQ(epoll_wait(ep, &ev, 1, 1000), 1);
	CHECK_EQ(ev.data.u64, 7);
	close(ep);
	close(sv[0]);
	close(sv[1]);
}

static int live[LIVE_BESIDE];

/* How many of the live instances report the socket readable. */
static int live_reporting(void)
{
	int c = 0;
	for (int i = 0; i < LIVE_BESIDE; i++) {
		struct epoll_event ev;
		c += epoll_wait(live[i], &ev, 1, 0) == 1 && ev.data.u64 == 3;
	}
	return c;
}

/* Thousands of live instances watching one socket, then churn beside
 * them on the same socket: the live ones keep hearing it, and the churn
 * never fails, however the supervisor packs so many. */
static void churn_beside_many_live(void)
{
	int sv[2];
	char buf[8];
	if (!nofile_allows(LIVE_BESIDE + 512, LIVE_BESIDE + 256))
		return;
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	for (int i = 0; i < LIVE_BESIDE; i++) {
		live[i] = epoll_create1(EPOLL_CLOEXEC);
		if (live[i] < 0 || add(live[i], sv[0], EPOLLIN, 3) < 0) {
			tl_fail(__FILE__, __LINE__, "live %d: %s", i,
				strerror(errno));
			for (int k = 0; k <= i; k++)
				close(live[k]);
			close_fds(sv[0], sv[1]);
			return;
		}
	}
	for (int i = 0; i < CHURN_BESIDE; i++) {
		int ep = epoll_create1(EPOLL_CLOEXEC);
		int d = fcntl(sv[0], F_DUPFD_CLOEXEC, 3);
		int efd = eventfd(0, EFD_CLOEXEC);
		if (ep < 0 || d < 0 || efd < 0 || add(ep, d, EPOLLIN, 1) < 0 ||
		    add(ep, efd, EPOLLIN, 2) < 0) {
			tl_fail(__FILE__, __LINE__, "iteration %d: %s", i,
				strerror(errno));
			break;
		}
		close(efd);
		close(d);
		close(ep);
		if (i % 1000 == 999) { /* the live ones still hear it */
			CHECK_EQ(write(sv[1], "x", 1), 1);
			CHECK_EQ(live_reporting(), LIVE_BESIDE);
			CHECK_EQ(read(sv[0], buf, sizeof(buf)), 1);
			CHECK_EQ(live_reporting(), 0);
		}
	}
	for (int i = 0; i < LIVE_BESIDE; i++)
		close(live[i]);
	close_fds(sv[0], sv[1]);
}

int main(void)
{
	RUN(churn_alone);
	RUN(churn_shared_file);
	RUN(churn_beside_many_live);
	return tl_done();
}
