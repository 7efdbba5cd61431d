/* main_watch.c: has the main epoll had a wake-up since a collection last
 * found it empty?
 *
 * While the loop waits for calls alone (direct.c), each call received is
 * followed by a collection of the main epoll, a zero-timeout epoll_wait:
 * it holds every wake-up the guest caused before the call. Most find
 * nothing when the guest's calls come back to back with nothing between
 * them (epoll_ctl after epoll_ctl, a zero-timeout wait spinning on a quiet
 * instance), and the collection is then the only system call the
 * supervisor makes beyond the mechanism's RECV and SEND.
 *
 * After WATCH_AFTER empty collections in a row, an io_uring one-shot
 * IORING_OP_POLL_ADD of the main epoll is armed (one io_uring_enter).
 * Until it completes, the main epoll has had no wake-up, so it is still
 * empty, and the call received is served without a collection.
 * - "Empty" holds when the poll is armed: the collection before it found
 *   nothing, and a wake-up between the two makes the poll complete at
 *   once, as it is submitted (it polls the file first).
 * - Every wake-up of a registration queues it on the main epoll's ready
 *   list and wakes the epoll's pollers (ep_poll_callback), the ring's poll
 *   among them. The ring's poll queues task work on this thread, the
 *   submitter, before the guest's system call returns; the kernel runs it,
 *   posting the completion, before this thread's next system call returns
 *   to user space. The guest makes its call after the wake-up, so the RECV
 *   that returns it returns after the task work was queued, and the
 *   completion is in the queue when RECV returns (ring.c's argument).
 * - A level-triggered registration still ready after a collection makes
 *   no new wake-up: only a collection that found nothing lets the watch
 *   arm, and any that found something resets the count.
 * The completion ends the watch: the call collects, and so does every
 * call until WATCH_AFTER empty collections again. Its task work also ends
 * a blocked RECV or epoll_wait with EINTR, once per arming: the loop reads
 * the completion then and collects.
 *
 * Without io_uring (disabled by sysctl or a container's filter) every
 * call collects, as before. */
#include <sys/epoll.h>

#include "linux_plat.h"
#include "uring.h"

/* Empty collections in a row before the watch is armed: arming costs a
 * system call, as a collection does, so a guest whose calls alternate
 * with wake-ups must not arm on every quiet one. */
#define WATCH_AFTER 4

/* user_data of the poll: the only request this ring carries. */
#define WATCH_DATA 1

void plat_watch_init(struct plat *p)
{
	/* Made with the supervisor's other fixed files, so that its fd
	 * count does not change as the guest runs. */
	p->watch.ring = uring_new(2, 4);
}

static void watch_arm(struct plat *p)
{
	struct main_watch *w = &p->watch;
	if (w->ring && uring_submit(w->ring, IORING_OP_POLL_ADD, p->mainep, 0,
				    0, EPOLLIN, WATCH_DATA) == 0)
		w->armed = 1;
}

void plat_watch_collected(struct plat *p, int n)
{
	struct main_watch *w = &p->watch;
	if (n != 0) {
		w->quiet = 0;
		return;
	}
	if (++w->quiet >= WATCH_AFTER && !w->armed)
		watch_arm(p);
}

int plat_main_unchanged(struct plat *p)
{
	struct main_watch *w = &p->watch;
	if (!w->armed)
		return 0;
	if (!uring_pending(w->ring))
		return 1;
	/* The poll completed (the main epoll readable, or an error): the
	 * one request armed, so one completion, which the queue of 4 has
	 * room for. */
	__atomic_store_n(w->ring->cq_head,
			 __atomic_load_n(w->ring->cq_tail, __ATOMIC_ACQUIRE),
			 __ATOMIC_RELEASE);
	w->armed = 0;
	w->quiet = 0;
	return 0;
}

void plat_watch_fini(struct plat *p)
{
	if (p->watch.ring) {
		uring_free(p->watch.ring); /* cancels the poll */
		p->watch.ring = NULL;
	}
	p->watch.armed = 0;
}
