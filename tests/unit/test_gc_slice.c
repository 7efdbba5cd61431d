/* test_gc_slice.c: the timer's sweep for closed files, a slice at a time.
 *
 * A sweep checks each object with a system call; all of a large table at
 * once would hold every guest's calls for as long. The timer's sweep
 * (emu_gc_slice) checks at most EMU_GC_SLICE objects per slice, resumes
 * where the last one stopped, and over a round finds every closed file,
 * as a whole sweep (emu_gc) does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fake_platform.h"

#define N_FILES 900 /* more than one slice, within the fake's fd table */

static size_t entries(void)
{
	struct emu_counts c;
	emu_get_counts(E, &c);
	return c.entries;
}

static size_t instances(void)
{
	struct emu_counts c;
	emu_get_counts(E, &c);
	return c.instances;
}

/* An instance watching n new files: their fds in fds[]. */
static int watching(int *fds, int n)
{
	int ep = fk_epoll_create();
	for (int i = 0; i < n; i++) {
		fds[i] = fk_open(0);
		assert_int_equal(fk_ctl(ep, CTL_ADD, fds[i], F_IN, i), 0);
	}
	return ep;
}

/* Slices until a round ends: how many it took. Each checks at most a
 * slice's worth of objects. */
static int round_of_slices(void)
{
	for (int n = 1; n < 100; n++) {
		size_t before = fake.alive_checks;
		int done = emu_gc_slice(E);
		assert_true(fake.alive_checks - before <= EMU_GC_SLICE);
		if (done)
			return n;
	}
	fail_msg("a round never ended");
	return 0;
}

FK_CASE(a_round_finds_every_closed_file)
{
	static int fds[N_FILES];
	int ep = watching(fds, N_FILES);
	for (int i = 0; i < N_FILES; i += 2)
		fk_close(fds[i]);
	assert_int_equal(entries(), N_FILES);
	int slices = round_of_slices();
	assert_true(slices >= 2);
	assert_int_equal(entries(), N_FILES / 2);
	/* The next round starts over and finds nothing more. */
	round_of_slices();
	assert_int_equal(entries(), N_FILES / 2);
	for (int i = 1; i < N_FILES; i += 2)
		fk_close(fds[i]);
	fk_close(ep);
}

FK_CASE(instances_closed_between_slices)
{
	static int fds[N_FILES];
	int ep = watching(fds, N_FILES);
	int a[4], other = watching(a, 4);
	/* The first slice stops inside the big instance; the small one is
	 * closed meanwhile, and one of the big one's files too. The round
	 * frees the small one, not yet visited; the file is found in this
	 * round or, if the round had looked at it already, the next. */
	assert_int_equal(emu_gc_slice(E), 0);
	fk_close(other);
	fk_close(fds[N_FILES - 1]);
	round_of_slices();
	assert_int_equal(instances(), 1);
	assert_true(entries() >= N_FILES - 1);
	round_of_slices();
	assert_int_equal(entries(), N_FILES - 1);
	for (int i = 0; i < 4; i++)
		fk_close(a[i]);
	for (int i = 0; i < N_FILES - 1; i++)
		fk_close(fds[i]);
	fk_close(ep);
}

/* The timer runs the slices 10 ms apart, then waits for the next round. */
FK_CASE(the_timer_spreads_a_round)
{
	static int fds[N_FILES];
	int ep = watching(fds, N_FILES);
	for (int i = 0; i < N_FILES; i++)
		fk_close(fds[i]);
	fake_advance(1000 * MS); /* the first slice is due */
	assert_true(entries() > 0);
	size_t checks = fake.alive_checks;
	assert_true(checks <= EMU_GC_SLICE);
	fake_advance(10 * MS);
	assert_true(fake.alive_checks > checks);
	fake_advance(10 * MS);
	assert_int_equal(entries(), 0);
	/* Round over: nothing is checked until the next one. */
	checks = fake.alive_checks;
	fake_advance(500 * MS);
	assert_int_equal(fake.alive_checks, checks);
	fk_close(ep);
}

FK_MAIN("gc_slice", FK_TEST(a_round_finds_every_closed_file),
	FK_TEST(instances_closed_between_slices),
	FK_TEST(the_timer_spreads_a_round))
