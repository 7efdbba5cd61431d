/* stats.h: --stats, per-syscall counts, errors and added latency. */
#ifndef INTERPOLL_STATS_H
#define INTERPOLL_STATS_H

#include <stdio.h>

#include "interpoll/engine.h"

struct plat_stats;

struct plat_stats *stats_new(void);
void stats_free(struct plat_stats *s);
void stats_call_begin(struct plat_stats *s, const struct plat_call *c);
void stats_call_end(struct plat_stats *s, const struct plat_call *c);
void stats_reply(struct plat_stats *s, const struct plat_call *c, int err);
/* extra (may be NULL) adds to the report before it closes: in JSON, the
 * members of the top-level object it prints (",\"name\":..."). */
void stats_report(struct plat_stats *s, const struct emu_counts *e, int json,
		  FILE *out, void (*extra)(void *ctx, int json, FILE *out),
		  void *ctx);

#endif
