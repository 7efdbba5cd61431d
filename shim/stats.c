/* stats.c: --stats. For each intercepted syscall: how many calls, how many
 * answered with an error, and the time the supervisor spent on each
 * notification (from receiving it to finishing with it: the latency
 * interpoll adds on top of the notification round trip), as median and
 * 99th percentile over a bounded reservoir of samples. */
#include "stats.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "interpoll/engine.h"
#include "reservoir.h"

#define RESERVOIR 65536

struct sys_stats {
	uint64_t calls, errors;
	struct reservoir ns; /* time per notification */
};

struct plat_stats {
	struct sys_stats sys[SYS_I_COUNT];
	int64_t begin_ns;
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct plat_stats *stats_new(void)
{
	struct plat_stats *s = calloc(1, sizeof(*s));
	if (s)
		for (int i = 0; i < SYS_I_COUNT; i++)
			s->sys[i].ns.cap = RESERVOIR;
	return s;
}

void stats_free(struct plat_stats *s)
{
	for (int i = 0; i < SYS_I_COUNT; i++)
		reservoir_free(&s->sys[i].ns);
	free(s);
}

void stats_call_begin(struct plat_stats *s, const struct plat_call *c)
{
	int i = emu_sys_index(c->nr);
	if (i >= 0)
		s->sys[i].calls++;
	s->begin_ns = now_ns();
}

void stats_call_end(struct plat_stats *s, const struct plat_call *c)
{
	int i = emu_sys_index(c->nr);
	if (i < 0)
		return;
	uint64_t d = (uint64_t)(now_ns() - s->begin_ns);
	reservoir_add(&s->sys[i].ns, d > UINT32_MAX ? UINT32_MAX : (uint32_t)d);
}

void stats_reply(struct plat_stats *s, const struct plat_call *c, int err)
{
	int i = emu_sys_index(c->nr);
	if (i >= 0 && err)
		s->sys[i].errors++;
}

void stats_report(struct plat_stats *s, const struct emu_counts *e, int json,
		  FILE *out, void (*extra)(void *ctx, int json, FILE *out),
		  void *ctx)
{
	if (!json)
		fprintf(out, "%-14s %10s %8s %12s %12s\n", "syscall", "calls",
			"errors", "median_us", "p99_us");
	else
		fprintf(out, "{\"syscalls\":{");
	int first = 1;
	for (int i = 0; i < SYS_I_COUNT; i++) {
		struct sys_stats *st = &s->sys[i];
		if (!st->calls)
			continue;
		double med = reservoir_quantile(&st->ns, 0.5) / 1000.0;
		double p99 = reservoir_quantile(&st->ns, 0.99) / 1000.0;
		if (json)
			fprintf(out,
				"%s\"%s\":{\"calls\":%llu,\"errors\":%llu,"
				"\"median_us\":%.2f,\"p99_us\":%.2f}",
				first ? "" : ",", emu_sys_name(i),
				(unsigned long long)st->calls,
				(unsigned long long)st->errors, med, p99);
		else
			fprintf(out, "%-14s %10llu %8llu %12.2f %12.2f\n",
				emu_sys_name(i), (unsigned long long)st->calls,
				(unsigned long long)st->errors, med, p99);
		first = 0;
	}
	uint64_t injected = 0;
	for (int k = 0; k < EMU_INJ_KINDS; k++)
		injected += e->injected[k];
	if (json) {
		fprintf(
		    out,
		    "},\"peak_interest_list\":%zu,\"peak_blocked_waiters\":%zu",
		    e->peak_entries, e->peak_blocked);
		fprintf(out, ",\"injected\":{");
		for (int k = 0; k < EMU_INJ_KINDS; k++)
			fprintf(out, "%s\"%s\":%llu", k ? "," : "",
				emu_inject_name(k),
				(unsigned long long)e->injected[k]);
		fprintf(out, "}");
	} else {
		fprintf(out,
			"peak interest-list entries: %zu\n"
			"peak blocked waiters: %zu\n",
			e->peak_entries, e->peak_blocked);
		if (injected) {
			fprintf(out, "injected faults:");
			for (int k = 0; k < EMU_INJ_KINDS; k++)
				if (e->injected[k])
					fprintf(
					    out, " %s %llu", emu_inject_name(k),
					    (unsigned long long)e->injected[k]);
			fprintf(out, "\n");
		}
	}
	if (extra)
		extra(ctx, json, out);
	if (json)
		fprintf(out, "}\n");
}
