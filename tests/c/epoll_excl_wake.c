/* epoll_excl_wake.c: EPOLLEXCLUSIVE wakeups (linux-semantics.md 3.1 step 7,
 * 3.3, 4.4).
 *
 * Exclusive entries of several instances on one file: a wakeup stops at
 * the first instance (in ADD order) that has a sleeping waiter and whose
 * mask matches; instances after it do not even get the entry queued.
 * Without any waiter every instance gets it.
 */
#include "testlib.h"
#include "testutil.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>

/* Did waiter w report the entry with this data? */
static int got(struct waiter *w, uint64_t data)
{
	int k;
	for (k = 0; k < w->ret && k < 4; k++)
		if (w->ev[k].data.u64 == data)
			return 1;
	return 0;
}

/* One waiter (maxevents 4, 8 s) on each of the n instances ep[], all
 * asleep; then a write of 1 to efd. Allow the want wake-ups that must
 * come 3 s, and any that must not 300 ms more. */
static void wake_waiters(struct waiter *w, const int *ep, int n, int efd,
			 int want)
{
	uint64_t one = 1;
	int i;

	for (i = 0; i < n; i++)
		waiter_start(&w[i], ep[i], 4, 8000);
	for (i = 0; i < n; i++)
		CHECK(waiter_blocked(&w[i]));
	CHECK_EQ(write(efd, &one, 8), 8);
	CHECK(wait_returned(w, n, want, 3000) >= want);
	sleep_ms(300);
}

#define NI 3
#define STOP_DATA 0x5709

struct setup {
	int efd;
	int stop;
	int ep[NI];
};

/* NI instances, each with efd as EXCLUSIVE (data 0x100 + i) and a
 * level-triggered, non-exclusive stop eventfd used to release waiters. */
static void setup_make(struct setup *s, uint32_t extra)
{
	int i;

	s->efd = eventfd(0, EFD_NONBLOCK);
	s->stop = eventfd(0, EFD_NONBLOCK);
	for (i = 0; i < NI; i++) {
		s->ep[i] = epoll_create1(0);
		CHECK_OK(add(s->ep[i], s->efd, EPOLLIN | EPOLLEXCLUSIVE | extra,
			     0x100 + i));
		CHECK_OK(add(s->ep[i], s->stop, EPOLLIN, STOP_DATA));
	}
}

static void setup_free(struct setup *s)
{
	int i;
	for (i = 0; i < NI; i++)
		close(s->ep[i]);
	close_fds(s->efd, s->stop);
}

static void release_and_join(struct setup *s, struct waiter *w, int n)
{
	uint64_t one = 1;
	int i;

	CHECK_EQ(write(s->stop, &one, 8), 8);
	CHECK_EQ(wait_returned(w, n, n, 3000), n);
	for (i = 0; i < n; i++)
		pthread_join(w[i].th, NULL);
}

static void case_excl_three_waiters_fewer_wake(void)
{
	struct setup s;
	struct waiter w[NI];
	int i, woken, with_efd = 0;

	setup_make(&s, 0);
	wake_waiters(w, s.ep, NI, s.efd, 1);
	woken = count_returned(w, NI);
	CHECK(woken >= 1);
	CHECK(woken < NI);
	for (i = 0; i < NI; i++)
		if (atomic_load(&w[i].state) == 2) {
			CHECK_EQ(w[i].ret, 1);
			CHECK_EQ(w[i].ev[0].events, EPOLLIN);
			CHECK_EQ(w[i].ev[0].data.u64, 0x100 + i);
		}
	release_and_join(&s, w, NI);
	for (i = 0; i < NI; i++)
		with_efd += got(&w[i], 0x100 + i);
	CHECK_EQ(with_efd, woken);
	setup_free(&s);
}

static void case_excl_only_first_has_waiter(void)
{
	struct setup s;
	struct waiter w;
	struct epoll_event ev[4];
	uint64_t one = 1, v;
	int i;

	setup_make(&s, 0);
	waiter_start(&w, s.ep[0], 4, 8000);
	CHECK(waiter_blocked(&w));
	CHECK_EQ(write(s.efd, &one, 8), 8);
	waiter_got_one(&w, 0, 0x100);
	/* The later instances never had the entry queued, although the
	 * eventfd is readable. */
	for (i = 1; i < NI; i++)
		CHECK_EQ(epoll_wait(s.ep[i], ev, 4, 0), 0);
	/* The first instance's LT entry is still queued. */
	CHECK_EQ(epoll_wait(s.ep[0], ev, 4, 0), 1);
	CHECK_EQ(ev[0].data.u64, 0x100);
	/* A further write with nobody waiting reaches every instance. */
	CHECK_EQ(write(s.efd, &one, 8), 8);
	for (i = 0; i < NI; i++) {
		CHECK_EQ(epoll_wait(s.ep[i], ev, 4, 0), 1);
		CHECK_EQ(ev[0].data.u64, 0x100 + i);
	}
	CHECK_EQ(read(s.efd, &v, 8), 8);
	CHECK_EQ(v, 2);
	setup_free(&s);
}

static void case_excl_only_last_has_waiter(void)
{
	struct setup s;
	struct waiter w;
	struct epoll_event ev[4];
	uint64_t one = 1;
	int i;

	setup_make(&s, 0);
	waiter_start(&w, s.ep[NI - 1], 4, 8000);
	CHECK(waiter_blocked(&w));
	CHECK_EQ(write(s.efd, &one, 8), 8);
	waiter_got_one(&w, 0, 0x100 + NI - 1);
	/* The walk passed the waiter-less instances before it, queueing
	 * the entry in each of them. */
	for (i = 0; i < NI - 1; i++) {
		CHECK_EQ(epoll_wait(s.ep[i], ev, 4, 0), 1);
		CHECK_EQ(ev[0].data.u64, 0x100 + i);
	}
	setup_free(&s);
}

static void case_excl_no_waiters_every_instance(void)
{
	struct setup s;
	struct epoll_event ev[4];
	uint64_t one = 1;
	int i;

	setup_make(&s, 0);
	for (i = 0; i < NI; i++)
		CHECK_EQ(epoll_wait(s.ep[i], ev, 4, 0), 0);
	CHECK_EQ(write(s.efd, &one, 8), 8);
	for (i = 0; i < NI; i++) {
		CHECK_EQ(epoll_wait(s.ep[i], ev, 4, 0), 1);
		CHECK_EQ(ev[0].events, EPOLLIN);
		CHECK_EQ(ev[0].data.u64, 0x100 + i);
	}
	setup_free(&s);
}

static void case_excl_each_write_wakes_another(void)
{
	struct setup s;
	struct waiter w[NI];
	uint64_t one = 1;
	int i, n;

	setup_make(&s, 0);
	for (i = 0; i < NI; i++)
		waiter_start(&w[i], s.ep[i], 4, 8000);
	for (i = 0; i < NI; i++)
		CHECK(waiter_blocked(&w[i]));
	/* Every write wakes at least one of the remaining waiters, so after
	 * NI writes everybody has returned. */
	for (n = 1; n <= NI; n++) {
		CHECK_EQ(write(s.efd, &one, 8), 8);
		CHECK(wait_returned(w, NI, n, 3000) >= n);
		sleep_ms(100);
	}
	CHECK_EQ(count_returned(w, NI), NI);
	for (i = 0; i < NI; i++) {
		pthread_join(w[i].th, NULL);
		CHECK_EQ(w[i].ret, 1);
		CHECK_EQ(w[i].ev[0].data.u64, 0x100 + i);
	}
	setup_free(&s);
}

static void case_excl_with_et(void)
{
	struct setup s;
	struct waiter w[NI];
	int woken;

	setup_make(&s, EPOLLET);
	wake_waiters(w, s.ep, NI, s.efd, 1);
	woken = count_returned(w, NI);
	CHECK(woken >= 1);
	CHECK(woken < NI);
	release_and_join(&s, w, NI);
	setup_free(&s);
}

/* Non-exclusive entries sit at the head of the file's wait queue and are
 * always woken; the walk then stops at the first exclusive one with a
 * waiter. */
static void case_excl_mixed_with_nonexclusive(void)
{
	int efd = eventfd(0, EFD_NONBLOCK);
	int stop = eventfd(0, EFD_NONBLOCK);
	int ep[3];
	struct waiter w[3];
	uint64_t one = 1;
	int i, excl_woken;

	for (i = 0; i < 3; i++)
		ep[i] = epoll_create1(0);
	CHECK_OK(add(ep[0], efd, EPOLLIN | EPOLLEXCLUSIVE, 0x100));
	CHECK_OK(add(ep[1], efd, EPOLLIN | EPOLLEXCLUSIVE, 0x101));
	CHECK_OK(add(ep[2], efd, EPOLLIN, 0x102)); /* non-exclusive */
	for (i = 0; i < 3; i++)
		CHECK_OK(add(ep[i], stop, EPOLLIN, STOP_DATA));
	wake_waiters(w, ep, 3, efd, 2);
	CHECK_EQ(atomic_load(&w[2].state), 2);
	excl_woken =
	    (atomic_load(&w[0].state) == 2) + (atomic_load(&w[1].state) == 2);
	CHECK(excl_woken >= 1);
	CHECK(excl_woken < 2);
	CHECK_EQ(write(stop, &one, 8), 8);
	CHECK_EQ(wait_returned(w, 3, 3, 3000), 3);
	for (i = 0; i < 3; i++)
		pthread_join(w[i].th, NULL);
	CHECK(got(&w[2], 0x102));
	for (i = 0; i < 3; i++)
		close(ep[i]);
	close_fds(efd, stop);
}

/* A wakeup whose key does not match an exclusive entry's mask does not
 * count: an OUT-only exclusive entry is skipped for a write (IN key). */
static void case_excl_key_must_match(void)
{
	int efd = eventfd(0, EFD_NONBLOCK);
	int stop = eventfd(0, EFD_NONBLOCK);
	int ep[2];
	struct waiter w[2];
	uint64_t v;
	int i;

	for (i = 0; i < 2; i++)
		ep[i] = epoll_create1(0);
	/* An eventfd is writable at once: OUT is reported by the ADD poll,
	 * so drain that report first via ET. */
	CHECK_OK(add(ep[0], efd, EPOLLOUT | EPOLLEXCLUSIVE | EPOLLET, 0x200));
	CHECK_OK(add(ep[1], efd, EPOLLIN | EPOLLEXCLUSIVE, 0x201));
	for (i = 0; i < 2; i++)
		CHECK_OK(add(ep[i], stop, EPOLLIN, STOP_DATA));
	struct epoll_event ev[4];
	CHECK_EQ(epoll_wait(ep[0], ev, 4, 0), 1);
	CHECK_EQ(ev[0].events, EPOLLOUT);
	CHECK_EQ(epoll_wait(ep[0], ev, 4, 0), 0);
	wake_waiters(w, ep, 2, efd, 1);
	/* The IN waiter woke; the OUT-only one ignored the IN key. */
	CHECK_EQ(atomic_load(&w[1].state), 2);
	CHECK_EQ(atomic_load(&w[0].state), 1);
	CHECK_EQ(w[1].ret, 1);
	CHECK_EQ(w[1].ev[0].data.u64, 0x201);
	/* A read wakes with an OUT key: now the OUT waiter wakes. */
	CHECK_EQ(read(efd, &v, 8), 8);
	CHECK_EQ(wait_returned(w, 2, 2, 3000), 2);
	pthread_join(w[0].th, NULL);
	pthread_join(w[1].th, NULL);
	CHECK_EQ(w[0].ret, 1);
	CHECK_EQ(w[0].ev[0].events, EPOLLOUT);
	CHECK_EQ(w[0].ev[0].data.u64, 0x200);
	for (i = 0; i < 2; i++)
		close(ep[i]);
	close_fds(efd, stop);
}

static void case_excl_ctl_rules(void)
{
	int ep = epoll_create1(0);
	int ep2 = epoll_create1(0);
	int efd = eventfd(0, EFD_NONBLOCK);
	int other = eventfd(0, EFD_NONBLOCK);
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	/* MOD with EXCLUSIVE: EINVAL even when not registered. */
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_MOD, other, &ev), EINVAL);
	/* Disallowed companions. */
	ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev), EINVAL);
	ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLRDHUP;
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev), EINVAL);
	ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLPRI;
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev), EINVAL);
	/* An epoll target cannot be exclusive. */
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, ep2, &ev), EINVAL);
	/* Accepted forms. */
	ev.events = EPOLLEXCLUSIVE;
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev));
	ev.events =
	    EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLET | EPOLLEXCLUSIVE;
	CHECK_OK(epoll_ctl(ep2, EPOLL_CTL_ADD, efd, &ev));
	/* MOD of an exclusive entry: EINVAL whatever the mask. */
	ev.events = EPOLLIN;
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_MOD, efd, &ev), EINVAL);
	ev.events = 0;
	CHECK_ERR(epoll_ctl(ep2, EPOLL_CTL_MOD, efd, &ev), EINVAL);
	/* DEL works, and then ADD again. */
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL));
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL), ENOENT);
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev));
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev), EEXIST);
	close_fds(ep, ep2, efd, other);
}

int main(void)
{
	RUN(case_excl_three_waiters_fewer_wake);
	RUN(case_excl_only_first_has_waiter);
	RUN(case_excl_only_last_has_waiter);
	RUN(case_excl_no_waiters_every_instance);
	RUN(case_excl_each_write_wakes_another);
	RUN(case_excl_with_et);
	RUN(case_excl_mixed_with_nonexclusive);
	RUN(case_excl_key_must_match);
	RUN(case_excl_ctl_rules);
	return tl_done();
}
