/* eventfd.c: eventfd and eventfd2 go back to the kernel.
 *
 * An eventfd is a kernel file whose readiness the kernel knows: read,
 * write, fcntl, dup, fork, SCM_RIGHTS, EFD_SEMAPHORE and overflow are its
 * own, and an interest-list entry on one watches it as it watches any
 * other file. So the kernel creates it too (FLAG_CONTINUE): every flag
 * check and error, including the guest's own EMFILE, is the kernel's, and
 * the call costs one notification round trip. Creating it in the
 * supervisor and installing it with ADDFD cost a second round trip in
 * which the guest must run to take the fd, on another CPU more often than
 * not (docs/PERFORMANCE.md). */
#include "eventfd.h"

void sys_eventfd(struct emu *e, const struct plat_call *c)
{
	plat_continue(e->plat, c);
}

void sys_eventfd2(struct emu *e, const struct plat_call *c)
{
	plat_continue(e->plat, c);
}
