/* flags.h: event-bit names for tracing. */
#ifndef INTERPOLL_FLAGS_H
#define INTERPOLL_FLAGS_H

#include <stddef.h>
#include <stdint.h>

/* "EPOLLIN|EPOLLET", unknown bits in hex; returns buf. */
const char *event_names(uint32_t mask, const char *prefix, char *buf,
			size_t len);

#endif
