/* trace.h: --trace, one line per intercepted call. */
#ifndef INTERPOLL_TRACE_H
#define INTERPOLL_TRACE_H

#include <stdint.h>

#include "interpoll/platform.h"

struct trace;
enum { TRACE_VALUE, TRACE_CONTINUE };

/* Open the trace (path NULL: stderr). NULL on failure (errno set). */
struct trace *trace_open(const char *path, int json);
void trace_close(struct trace *t);
/* A line that is no call: "# text", or {"comment":"text"} in JSON. The
 * text must need no JSON escaping. */
void trace_comment(struct trace *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The call was answered (sent: 0, or -ENOENT when the guest was gone). */
void trace_answer(struct plat *p, const struct plat_call *c, int64_t val,
		  int err, int how, int sent);

#endif
