/* timeline.h: --timeline=FILE, a Chrome trace-event file (JSON array
 * format) that Perfetto and chrome://tracing open: one track per guest
 * thread, spans for its waits and for the time it runs between them,
 * instants for the events it is given and for its wake-ups.
 *
 * Written as it happens (a stdio buffer is all it keeps), so a long run
 * does not grow the supervisor. */
#ifndef INTERPOLL_TIMELINE_H
#define INTERPOLL_TIMELINE_H

#include <stdint.h>

struct timeline;

/* NULL on failure (errno set). t0_ns: the time that shows as 0. */
struct timeline *timeline_open(const char *path, int64_t t0_ns);
void timeline_close(struct timeline *t);

/* A thread's track: its name, once, before its first span. */
void timeline_thread(struct timeline *t, int pid, int tid, const char *name);
/* A span [start, end) on a thread's track; args_json: "" or the inside
 * of a JSON object ("\"events\":2"). */
void timeline_span(struct timeline *t, int pid, int tid, const char *name,
		   const char *cat, int64_t start_ns, int64_t end_ns,
		   const char *args_json);
/* An instant on a thread's track. */
void timeline_instant(struct timeline *t, int pid, int tid, const char *name,
		      int64_t at_ns, const char *args_json);

#endif
