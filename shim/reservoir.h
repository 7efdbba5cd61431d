/* reservoir.h: a bounded, uniform sample of a stream of measures (for
 * percentiles in --stats and the loop profile), with its maximum. */
#ifndef INTERPOLL_RESERVOIR_H
#define INTERPOLL_RESERVOIR_H

#include <stddef.h>
#include <stdint.h>

struct reservoir {
	uint32_t *v; /* up to cap samples; allocated at the first */
	size_t n, cap;
	uint64_t seen; /* measures offered */
	uint32_t max;
	uint64_t rng; /* xorshift state; 0 picks a fixed seed */
};

/* Offer one measure: kept while there is room, then in place of a
 * random earlier one with probability cap/seen (Algorithm R). */
void reservoir_add(struct reservoir *r, uint32_t v);
/* The p-quantile (0..1) of the sample; sorts it. 0 when empty. */
uint32_t reservoir_quantile(struct reservoir *r, double p);
void reservoir_free(struct reservoir *r);

#endif
