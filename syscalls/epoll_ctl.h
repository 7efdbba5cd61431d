/* epoll_ctl.h: epoll_ctl (epoll_create goes to the kernel: emu.c). */
#ifndef INTERPOLL_EPOLL_CTL_H
#define INTERPOLL_EPOLL_CTL_H

#include "emu.h"

void sys_epoll_ctl(struct emu *e, const struct plat_call *c);

#endif
