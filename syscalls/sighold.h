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

/* epoll_wait or epoll_pwait c has a zero timeout: when nothing is queued
 * anywhere, let the kernel answer it (returns 1) without finding out which
 * instance it names; the anchors stay dark until the call is over
 * (sighold_resolve). Returns 0 to leave the call to the tables. */
int sighold_zero_timeout(struct emu *e, const struct plat_call *c);

/* Something is about to show readable: find the instance each
 * zero-timeout hand-over named, and hold that one only. */
void sighold_resolve(struct emu *e);

/* The emulation ends: every hold goes. */
void sighold_fini(struct emu *e);

/* Thread tid made a new call: whatever it was handed back for is over. */
void sighold_seen(struct emu *e, int tid);

/* The hold check is due (emu_timers). */
void sighold_check(struct emu *e, int64_t now);

/* An instance is freed: its holds go. */
void sighold_forget(struct emu *e, struct ep_instance *ep);

#endif
