/* test_poll.c: poll, ppoll, select and pselect6 go to the kernel, and an
 * instance's guest-visible file shows its readiness to them
 * (linux-semantics.md section 7: an epoll file is readable while an entry
 * on its ready list is really ready). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "fake_platform.h"

/* An instance with one entry on a host file; returns the epfd. */
static int instance_on(int *fd_out, uint32_t ready, uint32_t events)
{
	int ep = fk_epoll_create();
	int fd = fk_open(ready);
	assert_int_equal(fk_ctl(ep, CTL_ADD, fd, events, 0), 0);
	*fd_out = fd;
	return ep;
}

/* A pollfd array naming fd for POLLIN. */
static uint64_t poll_set(int fd)
{
	int32_t p[2] = {fd, F_IN};
	uint64_t a = fake_alloc(sizeof(p));
	memcpy(fake_ptr(a), p, sizeof(p));
	return a;
}

static int shown(int epfd)
{
	return fk_file(epfd)->shown;
}

static void every_poll_call_goes_to_the_kernel(void **s)
{
	(void)s;
	int fd;
	int ep = instance_on(&fd, F_IN, F_IN);
	static const int nrs[] = {SYS_poll, SYS_ppoll, SYS_select,
				  SYS_pselect6};
	for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++) {
		/* Whatever the arguments: the kernel checks them. */
		uint64_t id = fk_start(nrs[i], FAKE_BAD_ADDR, 1, 0, 0, 0, 0);
		assert_true(fk_continued(id));
	}
	/* The instance was ready: its file showed it before the kernel
	 * looked. */
	assert_true(shown(ep));
}

static void file_shows_readiness_after_the_batch(void **s)
{
	(void)s;
	int fd;
	int ep = instance_on(&fd, 0, F_IN);
	assert_false(shown(ep));
	fk_raise(fd, F_IN);
	/* Told at the end of the batch, not at each change. */
	assert_false(shown(ep));
	emu_publish(E);
	assert_true(shown(ep));
	/* The level-triggered entry is queued again after a harvest. */
	assert_int_equal(fk_wait(ep, 4, 0, NULL), 1);
	emu_publish(E);
	assert_true(shown(ep));
	/* Its data was read: the next poll sees the instance not ready. A
	 * poll that does not name the instance leaves its stale entry
	 * queued, as Linux leaves it until something polls the file... */
	fk_set_ready(fd, 0);
	assert_true(fk_continued(fk_start(SYS_poll, 0, 0, 0, 0, 0, 0)));
	assert_false(shown(ep));
	assert_int_equal(E->n_queued, 1);
	/* ...and it shows again when its file is ready again. */
	fk_raise(fd, F_IN);
	emu_publish(E);
	assert_true(shown(ep));
	fk_set_ready(fd, 0);
	/* A poll that names it drops the stale entry (ep_eventpoll_poll). */
	assert_true(
	    fk_continued(fk_start(SYS_poll, poll_set(ep), 1, 0, 0, 0, 0)));
	assert_false(shown(ep));
	assert_int_equal(E->n_queued, 0);
}

static void drained_within_the_batch_tells_nothing(void **s)
{
	(void)s;
	int fd;
	int ep = instance_on(&fd, 0, F_IN | F_ET);
	uint64_t buf;
	uint64_t id = fk_wait_start(ep, 4, -1, &buf);
	assert_false(fk_answered(id));
	fk_raise(fd, F_IN); /* the sleeper takes the edge at once */
	assert_int_equal(fk_result(id), 1);
	emu_publish(E);
	assert_false(shown(ep));
	assert_int_equal(fake.readable_calls, 0);
}

static void edge_entry_not_consumed_by_poll(void **s)
{
	(void)s;
	int fd;
	int ep = instance_on(&fd, 0, F_IN | F_ET);
	fk_raise(fd, F_IN);
	assert_true(fk_continued(fk_start(SYS_poll, 0, 0, 0, 0, 0, 0)));
	assert_true(shown(ep));
	struct fk_event ev[4];
	assert_int_equal(fk_wait(ep, 4, 0, ev), 1);
	/* Edge-triggered: not queued again. The file is made unreadable
	 * only when something is about to look: the next poll. */
	emu_publish(E);
	assert_int_equal(fake.readable_calls, 1);
	assert_true(fk_continued(fk_start(SYS_poll, 0, 0, 0, 0, 0, 0)));
	assert_false(shown(ep));
}

/* A busy loop's list that fills and drains between batches costs one
 * write of the anchor, not one per round. */
static void busy_loop_costs_one_anchor_write(void **s)
{
	(void)s;
	int fd;
	int ep = instance_on(&fd, 0, F_IN | F_ET);
	struct fk_event ev[4];
	for (int i = 0; i < 10; i++) {
		fk_raise(fd, F_IN);
		emu_publish(E);
		assert_int_equal(fk_wait(ep, 4, 0, ev), 1);
		emu_publish(E);
	}
	assert_int_equal(fake.readable_calls, 1);
}

static void nested_instance_readiness_reaches_parent_file(void **s)
{
	(void)s;
	int fd;
	int child = instance_on(&fd, 0, F_IN);
	int parent = fk_epoll_create();
	assert_int_equal(fk_ctl(parent, CTL_ADD, child, F_IN, 1), 0);
	fk_raise(fd, F_IN);
	emu_publish(E);
	assert_true(shown(child));
	assert_true(shown(parent));
	/* The child's entry went stale: both files stop showing it. */
	fk_set_ready(fd, 0);
	assert_true(fk_continued(fk_start(SYS_poll, 0, 0, 0, 0, 0, 0)));
	assert_false(shown(parent));
	assert_false(shown(child));
	/* Polling the parent drops its entry and, through it, the child's
	 * (ep_item_poll of a nested instance). */
	assert_true(
	    fk_continued(fk_start(SYS_poll, poll_set(parent), 1, 0, 0, 0, 0)));
	assert_int_equal(E->n_queued, 0);
}

static void closed_instance_leaves_shown_list(void **s)
{
	(void)s;
	int fd;
	int ep = instance_on(&fd, 0, F_IN);
	fk_raise(fd, F_IN);
	emu_publish(E);
	assert_true(shown(ep));
	fk_close(ep);
	assert_true(emu_gc(E) >= 1);
	/* Nothing of it is left to publish or poll. */
	assert_true(fk_continued(fk_start(SYS_poll, 0, 0, 0, 0, 0, 0)));
	assert_true(list_empty(&E->shown));
	fk_close(fd);
}

FK_MAIN("poll", FK_TEST(every_poll_call_goes_to_the_kernel),
	FK_TEST(file_shows_readiness_after_the_batch),
	FK_TEST(drained_within_the_batch_tells_nothing),
	FK_TEST(edge_entry_not_consumed_by_poll),
	FK_TEST(busy_loop_costs_one_anchor_write),
	FK_TEST(nested_instance_readiness_reaches_parent_file),
	FK_TEST(closed_instance_leaves_shown_list))
