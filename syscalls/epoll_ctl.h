/* epoll_ctl.h: epoll_create, epoll_create1, epoll_ctl. */
#ifndef INTERPOLL_EPOLL_CTL_H
#define INTERPOLL_EPOLL_CTL_H

#include "emu.h"

void sys_epoll_create(struct emu *e, const struct plat_call *c);
void sys_epoll_create1(struct emu *e, const struct plat_call *c);
void sys_epoll_ctl(struct emu *e, const struct plat_call *c);

#endif
