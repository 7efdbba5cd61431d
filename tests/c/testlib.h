/* testlib.h: the tiny harness every tests/c program uses.
 *
 * Each test program runs twice under ctest: natively (native/<name>) and
 * under interpoll (interpoll/<name>, with INTERPOLL_ACTIVE=1 in the
 * environment). A program prints one line per case:
 *
 *   ok - <case>
 *   FAIL - <case>: <detail>
 *   divergence - <case>: <id>   (known, documented difference; see below)
 *
 * and exits non-zero when any case failed.
 *
 * Known divergences: a case whose result under interpoll is known to differ
 * from Linux for a reason rooted in the mechanism is written normally (it
 * asserts Linux's behaviour) and wrapped in DIVERGENCE_BEGIN("id") /
 * DIVERGENCE_END(). Natively it must pass. Under interpoll a failure inside
 * it is reported as "divergence" and does not fail the program; every id
 * must be listed in docs/DIVERGENCES.md.
 */
#ifndef INTERPOLL_TESTLIB_H
#define INTERPOLL_TESTLIB_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int tl_failures;
static int tl_passes;
static const char *tl_divergence; /* non-NULL inside a DIVERGENCE block */
static int tl_case_failed;
static const char *tl_case_name;

static inline int tl_under_interpoll(void)
{
	const char *v = getenv("INTERPOLL_ACTIVE");
	return v != NULL && strcmp(v, "1") == 0;
}

static inline void tl_fail(const char *file, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (tl_case_failed)
		return; /* report the first failure of a case only */
	tl_case_failed = 1;
	if (tl_divergence && tl_under_interpoll()) {
		printf("divergence - %s: %s (%s:%d: %s)\n", tl_case_name,
		       tl_divergence, file, line, msg);
	} else {
		printf("FAIL - %s: %s:%d: %s\n", tl_case_name, file, line,
		       msg);
		tl_failures++;
	}
	fflush(stdout);
}

/* Run one case: a function taking no arguments. */
#define RUN(fn)                                                                \
	do {                                                                   \
		tl_case_failed = 0;                                            \
		tl_case_name = #fn;                                            \
		tl_divergence = NULL;                                          \
		fn();                                                          \
		if (!tl_case_failed) {                                         \
			printf("ok - %s\n", #fn);                              \
			tl_passes++;                                           \
		}                                                              \
		fflush(stdout);                                                \
	} while (0)

/* Mark the rest of the current case as a known divergence. */
#define DIVERGENCE(id) (tl_divergence = (id))

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			tl_fail(__FILE__, __LINE__, "check failed: %s",        \
				#cond);                                        \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		long long tl_a = (long long)(a), tl_b = (long long)(b);        \
		if (tl_a != tl_b)                                              \
			tl_fail(__FILE__, __LINE__, "%s == %lld, want %s == %lld", \
				#a, tl_a, #b, tl_b);                           \
	} while (0)

/* Check that expr returns -1 with errno e. */
#define CHECK_ERR(expr, e)                                                     \
	do {                                                                   \
		errno = 0;                                                     \
		long long tl_r = (long long)(expr);                            \
		int tl_e = errno;                                              \
		if (tl_r != -1 || tl_e != (e))                                 \
			tl_fail(__FILE__, __LINE__,                            \
				"%s returned %lld errno %d (%s), want -1 %s",   \
				#expr, tl_r, tl_e, strerror(tl_e), #e);        \
	} while (0)

/* Check that expr does not return -1. */
#define CHECK_OK(expr)                                                         \
	do {                                                                   \
		errno = 0;                                                     \
		long long tl_r = (long long)(expr);                            \
		if (tl_r == -1)                                                \
			tl_fail(__FILE__, __LINE__, "%s failed: %s", #expr,    \
				strerror(errno));                              \
	} while (0)

static inline double tl_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Call at the end of main: prints a summary line and returns the status. */
static inline int tl_done(void)
{
	printf("%d passed, %d failed\n", tl_passes, tl_failures);
	return tl_failures ? 1 : 0;
}

#endif
