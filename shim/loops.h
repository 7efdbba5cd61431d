/* loops.h: what each guest thread's event loop does, for the loop profile
 * of --stats and for --timeline.
 *
 * A thread's loop is its waits (epoll_wait, epoll_pwait, epoll_pwait2,
 * answered here, so their start and end are known) and the time between
 * them (its callbacks). The poll family goes back to the kernel, which
 * answers it unseen: those waits are counted, but their time is not, and
 * the callback time after one is not measured. */
#ifndef INTERPOLL_LOOPS_H
#define INTERPOLL_LOOPS_H

#include <stdint.h>
#include <stdio.h>

#include "interpoll/platform.h"

struct loops;

/* timeline_path: NULL, or the --timeline file. NULL: no memory, or the
 * file cannot be opened (errno set). */
struct loops *loops_new(const char *timeline_path, int64_t t0_ns);
void loops_free(struct loops *l);

/* A notification is about to be handled (the call `c`, received at
 * c->recv_ns). */
void loops_call(struct loops *l, const struct plat_call *c);
/* ... and has been: answers from now on come from wake-ups or timers. */
void loops_call_done(struct loops *l);
/* The supervisor learned of a batch of wake-ups at now_ns. */
void loops_batch(struct loops *l, int64_t now_ns);
/* A call was answered (continued: handed back to the kernel). */
void loops_reply(struct loops *l, const struct plat_call *c, int64_t val,
		 int err, int continued);
/* A harvest delivered an event of the entry for fd. */
void loops_event(struct loops *l, const struct plat_call *c, int fd,
		 uint32_t events);

/* The profile: text, or the members of a JSON object (",\"loops\":[..]"). */
void loops_report(struct loops *l, int json, FILE *out);

#endif
