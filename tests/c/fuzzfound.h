/* fuzzfound.h: for the fuzzfound_* programs kept as plain reductions of
 * what scripts/fuzz found (no testlib.h): each check prints one line, "ok"
 * or "MISMATCH", with Linux's answer, and counts the mismatches in fails;
 * main returns fails != 0. */
#ifndef INTERPOLL_FUZZFOUND_H
#define INTERPOLL_FUZZFOUND_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

static int fails;

/* what (a call) returned n; Linux returns want. */
static inline void expect_count(const char *what, int n, int want)
{
	printf("%s: %s = %d (linux: %d)\n", n == want ? "ok" : "MISMATCH", what,
	       n, want);
	fails += n != want;
}

/* what returned n events; "n [data0 data1]" must be want, Linux's. */
static inline void expect_data2(const char *what, int n,
				const struct epoll_event *out, const char *want)
{
	char got[64];
	snprintf(got, sizeof(got), "%d [%llu %llu]", n,
		 n > 0 ? (unsigned long long)out[0].data.u64 : 0ull,
		 n > 1 ? (unsigned long long)out[1].data.u64 : 0ull);
	int ok = !strcmp(got, want);
	printf("%s: %s = %s (linux: %s)\n", ok ? "ok" : "MISMATCH", what, got,
	       want);
	fails += !ok;
}

/* An inner epoll with a readable eventfd *efd (data 1, queued in it),
 * watched edge-triggered by the returned outer epoll (data 2, queued). */
static inline int outer_et_on_ready_inner(int *efd, int *inner)
{
	*efd = eventfd(1, EFD_NONBLOCK); /* readable */
	*inner = epoll_create1(0);
	int outer = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};

	epoll_ctl(*inner, EPOLL_CTL_ADD, *efd, &ev); /* queued in inner */
	ev.events = EPOLLIN | EPOLLET;
	ev.data.u64 = 2;
	epoll_ctl(outer, EPOLL_CTL_ADD, *inner, &ev); /* queued in outer */
	return outer;
}

#endif
