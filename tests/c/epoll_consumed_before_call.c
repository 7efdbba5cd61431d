/* epoll_consumed_before_call.c: what a harvest reports is the files'
 * readiness during the call, not before it.
 *
 * Linux polls every queued entry inside the epoll_wait that harvests it,
 * so data read before the call is not reported, however recently its
 * wake-up came. Under interpoll a wake-up is often read (with the file's
 * readiness) by the supervisor before the call that harvests it, while
 * the guest may still read the data natively, unseen. These cases make
 * that happen on purpose: a thread blocked in another instance keeps the
 * supervisor reading wake-ups as they come; each round writes to some
 * files, gives the supervisor time to read the wake-ups, reads the data
 * of some of them (in this thread or another), and checks that one
 * zero-timeout wait reports exactly the files still holding data. The
 * instance holds enough files (3,000) to span several of the supervisor's
 * edge buckets, whose wake-ups come back in separate reads (and in an
 * order of their own: docs/DIVERGENCES.md, bucket-order; the order is
 * not checked here).
 *
 * See docs: linux-semantics.md section 3 (epoll_wait: ep_send_events
 * polls each entry; stale ones are dropped).
 */
#include "testutil.h"

#include <pthread.h>
#include <sys/wait.h>

#define NFILES 3000
#define ROUNDS 60
#define PER_ROUND 24

static int rfd[NFILES], wfd[NFILES];
static int ep;

/* Another instance, waited on forever by a helper thread, so that the
 * supervisor has a blocked waiter and reads wake-ups as they come. */
static int idle_ep, idle_efd;

static void *idle_waiter(void *arg)
{
	(void)arg;
	struct epoll_event ev;
	epoll_wait(idle_ep, &ev, 1, -1);
	return NULL;
}

static int open_files(void)
{
	raise_nofile(2 * NFILES + 64);
	for (int i = 0; i < NFILES; i++) {
		int p[2];
		if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
			return -1;
		rfd[i] = p[0];
		wfd[i] = p[1];
		if (add(ep, rfd[i], EPOLLIN, (uint64_t)i) < 0)
			return -1;
	}
	return 0;
}

/* The files of a round: spread over the whole instance, so that their
 * watches sit in different edge and level buckets. */
static int pick(int round, int k)
{
	return (round * 7919 + k * 127) % NFILES;
}

struct consumer {
	int round, from, step; /* drain files k = from, from + step, ... */
};

static void *consume(void *arg)
{
	struct consumer *c = arg;
	for (int k = c->from; k < PER_ROUND; k += c->step)
		drain_fd(rfd[pick(c->round, k)]);
	return NULL;
}

/* The same, by a child process through duplicates of the fds. */
static void consume_in_child(const struct consumer *c)
{
	pid_t pid = fork();
	if (pid == 0) {
		for (int k = c->from; k < PER_ROUND; k += c->step) {
			int d = dup(rfd[pick(c->round, k)]);
			drain_fd(d);
			close(d);
		}
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

enum reader { HERE, OTHER_THREAD, CHILD };

/* Is file i among the n events? */
static int reported(const struct epoll_event *evs, int n, int i)
{
	for (int j = 0; j < n; j++)
		if (evs[j].data.u64 == (uint64_t)i)
			return 1;
	return 0;
}

/* One round: write to PER_ROUND files, let the wake-ups be read, drain
 * every `step`-th from `from` (here, in another thread or in a child),
 * then one wait must report the others and only them. */
static int round_ok(int round, int from, int step, enum reader who)
{
	struct epoll_event evs[PER_ROUND + 4];
	for (int k = 0; k < PER_ROUND; k++)
		if (write(wfd[pick(round, k)], "x", 1) != 1)
			return 0;
	sleep_ms(2); /* the supervisor reads the wake-ups meanwhile */
	struct consumer c = {round, from, step};
	if (who == CHILD) {
		consume_in_child(&c);
	} else if (who == OTHER_THREAD) {
		pthread_t t;
		if (pthread_create(&t, NULL, consume, &c) != 0)
			return 0;
		pthread_join(t, NULL);
	} else {
		consume(&c);
	}
	int n = epoll_wait(ep, evs, PER_ROUND + 4, 0);
	int want = 0, ok = 1;
	for (int k = 0; k < PER_ROUND; k++) {
		int drained = k >= from && (k - from) % step == 0;
		if (drained)
			continue;
		if (!reported(evs, n, pick(round, k)))
			ok = 0;
		want++;
	}
	if (n != want)
		ok = 0;
	if (!ok)
		fprintf(stderr, "  round %d: %d events, want %d\n", round, n,
			want);
	for (int k = 0; k < PER_ROUND; k++)
		drain_fd(rfd[pick(round, k)]);
	/* Level-triggered entries whose data is gone are dropped here. */
	if (epoll_wait(ep, evs, PER_ROUND + 4, 0) != 0)
		ok = 0;
	return ok;
}

static void run_rounds(int from, int step, enum reader who)
{
	int bad = 0;
	for (int r = 0; r < ROUNDS; r++)
		bad += !round_ok(r, from, step, who);
	CHECK_EQ(bad, 0);
}

/* Nothing read: every file written is reported. */
static void none_consumed(void)
{
	run_rounds(PER_ROUND, 1, HERE);
}

/* This thread reads every other file before the call. */
static void half_consumed_here(void)
{
	run_rounds(0, 2, HERE);
}

/* Another thread reads every third file before the call. */
static void third_consumed_elsewhere(void)
{
	run_rounds(1, 3, OTHER_THREAD);
}

/* A child reads every fourth file, through dup'ed fds, before the call. */
static void quarter_consumed_by_child(void)
{
	run_rounds(2, 4, CHILD);
}

/* All read before the call: nothing is reported. */
static void all_consumed(void)
{
	run_rounds(0, 1, HERE);
}

/* A file harvested, read, and written again before the next call: it is
 * reported once more (its new data), the others not. */
static void refilled_after_harvest(void)
{
	struct epoll_event evs[8];
	int bad = 0;
	for (int r = 0; r < ROUNDS; r++) {
		int a = pick(r, 0), b = pick(r, 1);
		if (write(wfd[a], "x", 1) != 1 || write(wfd[b], "x", 1) != 1)
			bad++;
		int n = epoll_wait(ep, evs, 8, 0);
		if (n != 2)
			bad++;
		drain_fd(rfd[a]);
		drain_fd(rfd[b]);
		if (write(wfd[b], "y", 1) != 1)
			bad++;
		sleep_ms(1);
		n = epoll_wait(ep, evs, 8, 0);
		if (n != 1 || evs[0].data.u64 != (uint64_t)b)
			bad++;
		drain_fd(rfd[b]);
		if (epoll_wait(ep, evs, 8, 0) != 0)
			bad++;
	}
	CHECK_EQ(bad, 0);
}

int main(void)
{
	pthread_t waiter;
	ep = epoll_create1(EPOLL_CLOEXEC);
	idle_ep = epoll_create1(EPOLL_CLOEXEC);
	idle_efd = new_eventfd(0, EFD_CLOEXEC);
	if (ep < 0 || idle_ep < 0 || idle_efd < 0 ||
	    add(idle_ep, idle_efd, EPOLLIN, 1) < 0 || open_files() < 0) {
		printf("FAIL - setup: %s\n", strerror(errno));
		return 1;
	}
	if (pthread_create(&waiter, NULL, idle_waiter, NULL) != 0)
		return 1;
	sleep_ms(20); /* the helper is asleep in its wait */
	RUN(none_consumed);
	RUN(half_consumed_here);
	RUN(third_consumed_elsewhere);
	RUN(quarter_consumed_by_child);
	RUN(all_consumed);
	RUN(refilled_after_harvest);
	efd_write(idle_efd, 1);
	pthread_join(waiter, NULL);
	return tl_done();
}
