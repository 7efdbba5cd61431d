/* eventfd.h: eventfd and eventfd2. */
#ifndef INTERPOLL_EVENTFD_H
#define INTERPOLL_EVENTFD_H

#include "emu.h"
#include "list.h"

/* What the supervisor knows of one eventfd it created for a guest. The
 * guest holds a real kernel eventfd, so read, write, fcntl, dup, fork and
 * SCM_RIGHTS are the kernel's own; the record identifies the object
 * (weakly: it never keeps the file open) for tracing and statistics. */
struct efd_record {
	struct list link; /* emu->eventfds */
	struct plat_handle *h;
	unsigned int initval;
	int flags;
};

void sys_eventfd(struct emu *e, const struct plat_call *c);
void sys_eventfd2(struct emu *e, const struct plat_call *c);

#endif
