/* ring_polled.c: ring buckets without io_uring.
 *
 * A ring bucket holds the watches of a file beyond the 500 wake-up paths
 * the kernel allows it through nested epolls (ring.c): it is nested in
 * nothing, so something other than the main epoll must hear it. Where the
 * supervisor cannot make an io_uring ring (a container's seccomp profile,
 * kernel.io_uring_disabled), the main loop polls such buckets itself:
 * poll(2) is not an epoll, and its waits cost no path.
 * - Heard: while the loop sleeps, it sleeps in ppoll on the main epoll and
 *   every polled bucket (plat_main_wait), then collects the main epoll.
 * - Causal: every batch polls them (polled_drain, from ring_drain) with
 *   one zero-timeout poll that begins after the call's notification was
 *   received, so it holds every wake-up the guest caused before the call,
 *   then drains the main epoll, nested copies first as with the ring.
 * The cost, a poll of every such bucket per batch, is paid only while
 * some file has more than 500 watchers. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "emu.h"
#include "linux_plat.h"

int polled_add(struct plat *p, struct bucket *b)
{
	struct polled_set *s = &p->polled;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		struct bucket **v = realloc(s->b, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->b = v;
		struct pollfd *f = realloc(s->fds, (cap + 1) * sizeof(*f));
		if (!f)
			return -ENOMEM;
		s->fds = f;
		v = realloc(s->ready, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->ready = v;
		s->cap = cap;
	}
	b->polled_at = s->n;
	s->b[s->n++] = b;
	b->polled = 1;
	return 0;
}

void polled_remove(struct plat *p, struct bucket *b)
{
	struct polled_set *s = &p->polled;
	struct bucket *last = s->b[--s->n];
	s->b[b->polled_at] = last;
	last->polled_at = b->polled_at;
	b->polled = 0;
}

/* fds[0] the main epoll when with_main, then every polled bucket. */
static nfds_t fill(struct plat *p, int with_main)
{
	struct polled_set *s = &p->polled;
	nfds_t n = 0;
	if (with_main)
		s->fds[n++] =
		    (struct pollfd){.fd = p->mainep, .events = POLLIN};
	for (size_t i = 0; i < s->n; i++)
		s->fds[n++] =
		    (struct pollfd){.fd = s->b[i]->ep, .events = POLLIN};
	return n;
}

/* As ring_drain reads the completion queue's tail before draining the
 * main epoll: a file's wake-up reaches its nested watches first, so every
 * wake-up this poll saw in a polled bucket has its nested copies in the
 * main epoll already, and the drain that follows reads them first. (A
 * drain before the poll would miss those of wake-ups that came between
 * the two.) */
void polled_drain(struct plat *p, struct plat_handle *skip)
{
	struct polled_set *s = &p->polled;
	if (!s->n)
		return;
	size_t n = fill(p, 0);
	if (poll(s->fds, n, 0) <= 0) {
		plat_drain_main(p, skip);
		return;
	}
	/* A harvest may close buckets (and reorder the set): the batch holds
	 * closed ones until its end, so keep the ones this poll named. */
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (s->fds[i].revents)
			s->ready[k++] = s->b[i];
	int opened = plat_batch_hold(p);
	plat_drain_main(p, skip); /* the nested copies come first */
	emu_batch_begin(p->emu);
	for (size_t i = 0; i < k; i++)
		if (!s->ready[i]->closed)
			bucket_harvest(p, s->ready[i], skip);
	plat_batch_release(p, opened);
}

int plat_main_wait(struct plat *p, struct epoll_event *evs, int max)
{
	if (!p->polled.n)
		return epoll_wait(p->mainep, evs, max, -1);
	nfds_t n = fill(p, 1);
	if (ppoll(p->polled.fds, n, NULL, NULL) < 0)
		return -1; /* EINTR: as epoll_wait's */
	return epoll_wait(p->mainep, evs, max, 0);
}

void polled_fini(struct plat *p)
{
	free(p->polled.b);
	free(p->polled.fds);
	free(p->polled.ready);
	p->polled = (struct polled_set){0};
}
