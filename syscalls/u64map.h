/* u64map.h: a hash map from 64-bit keys to pointers.
 * Open addressing with linear probing and backward-shift deletion, so there
 * are no tombstones and lookups stay short after many deletions. O(1)
 * expected for every operation; memory is 16 bytes per slot at <= 50% load
 * after growth. */
#ifndef INTERPOLL_U64MAP_H
#define INTERPOLL_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct u64map_slot {
	uint64_t key;
	void *val; /* NULL marks an empty slot: values are never NULL */
};

struct u64map {
	struct u64map_slot *slots;
	size_t cap; /* power of two, or 0 */
	size_t len;
};

void u64map_init(struct u64map *m);
void u64map_free(struct u64map *m);
void *u64map_get(const struct u64map *m, uint64_t key);
/* Insert or replace. Returns 0, or -ENOMEM. val must not be NULL. */
int u64map_put(struct u64map *m, uint64_t key, void *val);
/* Remove; returns the old value or NULL. */
void *u64map_del(struct u64map *m, uint64_t key);

/* Iterate: for (size_t i = 0; u64map_next(m, &i, &k, &v);) */
int u64map_next(const struct u64map *m, size_t *pos, uint64_t *key,
		void **val);

#endif
