/* timeline.c: the trace-event writer behind --timeline (timeline.h). */
#include "timeline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

struct timeline {
	FILE *f;
	int64_t t0_ns;
	int first; /* no event written yet: no comma before the next */
};

struct timeline *timeline_open(const char *path, int64_t t0_ns)
{
	struct timeline *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->f = fopen(path, "we");
	if (!t->f) {
		int e = errno;
		free(t);
		errno = e;
		return NULL;
	}
	t->t0_ns = t0_ns;
	t->first = 1;
	/* The JSON array format: the viewers also take a file whose
	 * closing bracket is missing (a supervisor that was killed). */
	fputs("[\n", t->f);
	return t;
}

void timeline_close(struct timeline *t)
{
	if (!t)
		return;
	fputs("\n]\n", t->f);
	fclose(t->f);
	free(t);
}

static void sep(struct timeline *t)
{
	if (!t->first)
		fputs(",\n", t->f);
	t->first = 0;
}

/* Microseconds since t0, as the format wants, to the nanosecond. */
static double us(const struct timeline *t, int64_t ns)
{
	return (double)(ns - t->t0_ns) / 1000.0;
}

void timeline_thread(struct timeline *t, int pid, int tid, const char *name)
{
	sep(t);
	/* name comes from /proc/<tid>/comm: no quote or backslash in it
	 * survives (timeline users: loops.c). */
	fprintf(t->f,
		"{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":%d,"
		"\"args\":{\"name\":\"%s\"}}",
		pid, tid, name);
}

void timeline_span(struct timeline *t, int pid, int tid, const char *name,
		   const char *cat, int64_t start_ns, int64_t end_ns,
		   const char *args_json)
{
	sep(t);
	fprintf(t->f,
		"{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"X\",\"pid\":%d,"
		"\"tid\":%d,\"ts\":%.3f,\"dur\":%.3f,\"args\":{%s}}",
		name, cat, pid, tid, us(t, start_ns),
		(double)(end_ns - start_ns) / 1000.0, args_json);
}

void timeline_instant(struct timeline *t, int pid, int tid, const char *name,
		      int64_t at_ns, const char *args_json)
{
	sep(t);
	fprintf(t->f,
		"{\"name\":\"%s\",\"ph\":\"i\",\"s\":\"t\",\"pid\":%d,"
		"\"tid\":%d,\"ts\":%.3f,\"args\":{%s}}",
		name, pid, tid, us(t, at_ns), args_json);
}
