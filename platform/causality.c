/* causality.c: a call sees every wake-up its guest caused before making it.
 *
 * A file's wake-up callbacks run inside the call that changed the file, so
 * a bucket's wake-up of the main epoll is queued before the notification of
 * any call the guest makes afterwards. The main loop hands a batch's
 * wake-ups to the emulation before its notification. That alone is not
 * enough: while epoll_wait collects a batch (ep_send_events), a wake-up goes
 * to the main epoll's overflow list and reaches its ready list only after
 * the batch is taken, whereas the listener, level-triggered, is polled
 * during the collection and may show a notification queued after that
 * wake-up. Reading the main epoll again after receiving (plat_sync) closes
 * the hole, at one system call per epoll call.
 *
 * The read is skipped when the batch proves it useless. The listener is
 * registered a second time, edge-triggered, under a copy of its fd
 * (listener_edge): an edge registration is reported only if it was woken
 * before the collection began. Notifications are queued in the order of
 * their ids (consecutive, under the filter's lock) and received oldest
 * first. Suppose a batch is not full, reports listener_edge, the
 * notification received has the id after the last one received, and a
 * complete read of the main epoll (one that was not cut short at 256
 * events) began after that last one was queued, before this batch's
 * collection. That read left listener_edge unlinked or linked by a
 * notification queued after the last one received; either way what linked
 * it for this batch is a notification with a later id, queued before the
 * collection began. The one received is the next id, so it was queued no
 * later: every wake-up its guest caused before it was on the ready list
 * when the collection began, and is in this batch. A gap in the ids (a
 * notification withdrawn by a signal before it was received) or any other
 * doubt reads the main epoll as before.
 */
#include <sys/epoll.h>
#include <unistd.h>

#include "interpoll/engine.h"
#include "batch_proof.h"
#include "linux_plat.h"

void plat_collected(struct plat *p, int n)
{
	plat_batch_begin(p);
	p->sync_needed = n == BATCH_MAX;
	p->call_synced = 0;
	batch_collected(&p->proof, n);
}

void plat_received(struct plat *p, uint64_t id)
{
	p->call_synced = batch_received(&p->proof, id);
}

void plat_listener_edge_drop(struct plat *p)
{
	if (p->listener_edge < 0)
		return;
	epoll_ctl(p->mainep, EPOLL_CTL_DEL, p->listener_edge, NULL);
	close(p->listener_edge);
	p->listener_edge = -1;
}

/* Harvest every edge bucket the main epoll reports now. */
void plat_drain_main(struct plat *p, struct plat_handle *skip)
{
	struct epoll_event evs[BATCH_MAX];
	int n;
	do {
		n = epoll_wait(p->mainep, evs, BATCH_MAX, 0);
		if (n > 0)
			emu_batch_begin(p->emu);
		for (int i = 0; i < n; i++) {
			/* Only buckets are edge-triggered in the main epoll,
			 * with listener_edge, which only the main loop's
			 * batches consult; everything else is level-triggered
			 * and will be reported again to the main loop. */
			struct bucket *b = evs[i].data.ptr;
			if (b->tag == TAG_BUCKET)
				bucket_harvest(p, b, skip);
			else if (b->tag == TAG_PUMP)
				pump_harvest(p, b, skip);
		}
	} while (n == BATCH_MAX);
	if (n >= 0)
		batch_read(&p->proof);
}

void plat_drain_all(struct plat *p, struct plat_handle *skip)
{
	int opened = plat_batch_hold(p); /* closed buckets stay readable */
	plat_drain_main(p, skip);
	ring_drain(p, skip);
	plat_batch_release(p, opened);
}

void plat_sync(struct plat *p)
{
	/* The ring's completions are posted before the call returns to us
	 * (task work), and ring_drain reads the main epoll first to keep a
	 * file's watches in order: it is needed whenever some are waiting.
	 * Polled ring buckets (ring_polled.c) need nothing more: the batch
	 * read them after the call was received. */
	if (!p->call_synced || ring_pending(p))
		plat_drain_all(p, NULL);
	p->call_synced = 1; /* once per call */
	p->sync_needed = 0;
}
