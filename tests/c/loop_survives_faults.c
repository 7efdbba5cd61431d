/* loop_survives_faults.c: an event loop written to survive every fault
 * Linux may produce, which must lose nothing under any of them.
 *
 * Two producer threads write numbered messages to a pipe (level-
 * triggered entry) and a socket (edge-triggered, drained to EAGAIN), and
 * bump an eventfd whose entry is one-shot, re-armed with EPOLL_CTL_MOD
 * after each event. The loop retries EINTR, takes whatever number of
 * events a harvest gives, treats EAGAIN from a read as "nothing after
 * all", and retries an ADD refused with ENOSPC or ENOMEM. At the end
 * every message has arrived exactly once, in order per producer, and the
 * eventfd's counts add up. It passes natively and under interpoll (ctest),
 * and under `interpoll --inject=eintr=..,split=..,stale=..,delay=..,
 * enospc=..,enomem=..` (tests/runner/inject.sh).
 */
#include "testutil.h"

#include <pthread.h>

#define MSGS 3000

struct producer {
	int fd, efd;
	uint32_t tag;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	for (uint32_t i = 0; i < MSGS; i++) {
		uint32_t m = p->tag | i;
		while (write(p->fd, &m, sizeof(m)) != sizeof(m))
			sleep_ms(1); /* full: the loop is behind */
		if (i % 7 == 0)
			efd_write(p->efd, 1);
		if (i % 100 == 0)
			sleep_ms(1);
	}
	return NULL;
}

/* ADD, retried while the kernel is short of watches or memory. */
static int add_retry(int ep, int fd, uint32_t ev, uint64_t data)
{
	for (int i = 0; i < 1000; i++) {
		if (add(ep, fd, ev, data) == 0)
			return 0;
		if (errno != ENOSPC && errno != ENOMEM)
			return -1;
	}
	return -1;
}

/* Read whole messages; returns how many, 0 on EAGAIN. */
static int take(int fd, uint32_t *next, uint32_t tag, int *bad)
{
	uint32_t buf[64];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		if (errno != EAGAIN)
			*bad = 1;
		return 0;
	}
	if (n % 4) {
		*bad = 2; /* messages are written whole, 4 bytes < PIPE_BUF */
		return 0;
	}
	for (ssize_t i = 0; i < n / 4; i++) {
		if (buf[i] != (tag | *next))
			*bad = 3;
		(*next)++;
	}
	return (int)(n / 4);
}

static void every_message_once(void)
{
	int p[2], sv[2];
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	CHECK(ep >= 0 && efd >= 0);
	CHECK_OK(pipe2(p, O_CLOEXEC | O_NONBLOCK));
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    0, sv));
	CHECK_OK(add_retry(ep, p[0], EPOLLIN, 1));
	CHECK_OK(add_retry(ep, sv[0], EPOLLIN | EPOLLET, 2));
	CHECK_OK(add_retry(ep, efd, EPOLLIN | EPOLLONESHOT, 3));

	struct producer a = {p[1], efd, 0x10000000u};
	struct producer b = {sv[1], efd, 0x20000000u};
	pthread_t ta, tb;
	CHECK_OK(pthread_create(&ta, NULL, produce, &a));
	CHECK_OK(pthread_create(&tb, NULL, produce, &b));

	uint32_t next_a = 0, next_b = 0;
	uint64_t counted = 0;
	int bad = 0, eintr = 0;
	double t0 = tl_now_ms();
	while ((next_a < MSGS || next_b < MSGS) && !bad &&
	       tl_now_ms() - t0 < 60000) {
		struct epoll_event evs[4];
		int n = epoll_wait(ep, evs, 4, 100);
		if (n < 0) {
			if (errno == EINTR) {
				eintr++;
				continue;
			}
			bad = 10;
			break;
		}
		for (int i = 0; i < n; i++) {
			switch (evs[i].data.u64) {
			case 1: /* level: one read, the rest next time */
				take(p[0], &next_a, a.tag, &bad);
				break;
			case 2: /* edge: drain */
				while (take(sv[0], &next_b, b.tag, &bad) > 0)
					;
				break;
			case 3: { /* one-shot: read, then re-arm */
				uint64_t v;
				if (read(efd, &v, 8) == 8)
					counted += v;
				else if (errno != EAGAIN)
					bad = 11;
				if (mod(ep, efd, EPOLLIN | EPOLLONESHOT, 3))
					bad = 12;
				break;
			}
			default:
				bad = 13;
			}
		}
	}
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	/* What the last re-arm may not have reported yet. */
	uint64_t v;
	if (read(efd, &v, 8) == 8)
		counted += v;
	CHECK_EQ(bad, 0);
	CHECK_EQ(next_a, MSGS);
	CHECK_EQ(next_b, MSGS);
	CHECK_EQ(counted, 2 * ((MSGS + 6) / 7));
	printf("# %d EINTR\n", eintr);
	close_fds(p[0], p[1], sv[0], sv[1], efd, ep);
}

int main(void)
{
	RUN(every_message_once);
	return tl_done();
}
