/* poll.h: poll, ppoll, select and pselect6. */
#ifndef INTERPOLL_POLL_CALLS_H
#define INTERPOLL_POLL_CALLS_H

#include "emu.h"

void sys_poll(struct emu *e, const struct plat_call *c);
void sys_ppoll(struct emu *e, const struct plat_call *c);
void sys_select(struct emu *e, const struct plat_call *c);
void sys_pselect6(struct emu *e, const struct plat_call *c);

/* An instance that poll() waiters watch may have become readable. */
void poll_waiters_kick(struct emu *e, struct list *pollers);
struct waiter;
struct poll_wait;
void poll_watch_fired(struct emu *e, struct poll_wait *pw);
void poll_waiter_expire(struct emu *e, struct waiter *w, int err);

#endif
