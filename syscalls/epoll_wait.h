/* epoll_wait.h: the epoll_wait family and helpers shared with poll. */
#ifndef INTERPOLL_EPOLL_WAIT_H
#define INTERPOLL_EPOLL_WAIT_H

#include "emu.h"

struct ep_instance;
struct waiter;

void sys_epoll_wait(struct emu *e, const struct plat_call *c);
void sys_epoll_pwait(struct emu *e, const struct plat_call *c);
void sys_epoll_pwait2(struct emu *e, const struct plat_call *c);

int ep_deliver(struct ep_instance *ep, const struct plat_call *c,
	       uint64_t addr, int maxevents, uint64_t ikey);
struct waiter;
/* A waiter woken late (--inject=delay) runs now. */
void ep_waiter_woken(struct emu *e, struct waiter *w);
void ep_waiter_expire(struct emu *e, struct waiter *w, int err);

int64_t ms_to_timeout_ns(int ms);
int read_sigmask(struct emu *e, const struct plat_call *c, uint64_t addr,
		 uint64_t size, int *has, uint64_t *mask);
int64_t read_timespec_ns(struct emu *e, const struct plat_call *c,
			 uint64_t addr);

#endif
