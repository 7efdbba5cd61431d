/* sighold.h: an epoll wait handed to the kernel to take a signal that only
 * its temporary mask unblocks. */
#ifndef INTERPOLL_SIGHOLD_H
#define INTERPOLL_SIGHOLD_H

#include "emu.h"

struct waiter;
struct ep_instance;

/* A signal interrupts blocked epoll_pwait/epoll_pwait2 w, whose call has
 * a temporary mask: let the kernel run the call, so that it installs the
 * mask, runs the handler and returns EINTR, exactly as Linux. */
void sighold_hand_over(struct emu *e, struct waiter *w, int signo);

/* Thread tid made a new call: whatever it was handed back for is over. */
void sighold_seen(struct emu *e, int tid);

/* The hold check is due (emu_timers). */
void sighold_check(struct emu *e, int64_t now);

/* An instance is freed: its holds go. */
void sighold_forget(struct emu *e, struct ep_instance *ep);

#endif
