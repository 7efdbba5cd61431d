/* eventfd.c: eventfd and eventfd2 (fs/eventfd.c: do_eventfd). */
#include "eventfd.h"

#include <errno.h>
#include <stdlib.h>

#define EFD_SEMAPHORE_ 1
#define EFD_NONBLOCK_ 04000
#define EFD_CLOEXEC_ 02000000

static void create(struct emu *e, const struct plat_call *c, unsigned int count,
		   int flags)
{
	if (flags & ~(EFD_SEMAPHORE_ | EFD_NONBLOCK_ | EFD_CLOEXEC_)) {
		plat_reply(e->plat, c, 0, -EINVAL);
		return;
	}
	struct efd_record *rec = calloc(1, sizeof(*rec));
	if (!rec) {
		plat_reply(e->plat, c, 0, -ENOMEM);
		return;
	}
	int r = plat_eventfd_install(e->plat, c, count, flags, &rec->h);
	if (r < 0 && emu_reclaim(e, r))
		r = plat_eventfd_install(e->plat, c, count, flags, &rec->h);
	if (r < 0)
		plat_reply(e->plat, c, 0, r);
	if (r < 0 || !rec->h) {
		free(rec);
		return;
	}
	rec->initval = count;
	rec->flags = flags;
	list_add_tail(&rec->link, &e->eventfds);
	e->n_eventfds++;
}

void sys_eventfd(struct emu *e, const struct plat_call *c)
{
	create(e, c, (unsigned int)c->args[0], 0);
}

void sys_eventfd2(struct emu *e, const struct plat_call *c)
{
	create(e, c, (unsigned int)c->args[0], (int)c->args[1]);
}
