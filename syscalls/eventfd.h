/* eventfd.h: eventfd and eventfd2. */
#ifndef INTERPOLL_EVENTFD_H
#define INTERPOLL_EVENTFD_H

#include "emu.h"

void sys_eventfd(struct emu *e, const struct plat_call *c);
void sys_eventfd2(struct emu *e, const struct plat_call *c);

#endif
