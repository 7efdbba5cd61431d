/* poll_calls.h: poll, ppoll, select and pselect6. */
#ifndef INTERPOLL_POLL_CALLS_H
#define INTERPOLL_POLL_CALLS_H

#include "emu.h"

void sys_poll(struct emu *e, const struct plat_call *c);
void sys_ppoll(struct emu *e, const struct plat_call *c);
void sys_select(struct emu *e, const struct plat_call *c);
void sys_pselect6(struct emu *e, const struct plat_call *c);

#endif
