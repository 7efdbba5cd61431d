/* reservoir.c: the sample behind reservoir.h. */
#include "reservoir.h"

#include <stdlib.h>

void reservoir_add(struct reservoir *r, uint32_t v)
{
	if (v > r->max)
		r->max = v;
	if (!r->v && !(r->v = malloc(r->cap * sizeof(*r->v))))
		return;
	r->seen++;
	if (r->n < r->cap) {
		r->v[r->n++] = v;
		return;
	}
	if (!r->rng)
		r->rng = 0x9E3779B97F4A7C15ull;
	r->rng ^= r->rng << 13;
	r->rng ^= r->rng >> 7;
	r->rng ^= r->rng << 17;
	uint64_t j = r->rng % r->seen;
	if (j < r->cap)
		r->v[j] = v;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

uint32_t reservoir_quantile(struct reservoir *r, double p)
{
	if (!r->n)
		return 0;
	qsort(r->v, r->n, sizeof(*r->v), cmp_u32);
	return r->v[(size_t)(p * (double)(r->n - 1) + 0.5)];
}

void reservoir_free(struct reservoir *r)
{
	free(r->v);
	r->v = NULL;
	r->n = 0;
}
