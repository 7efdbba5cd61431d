/* signal_sent.h: a guest sends a signal; blocked calls look for it soon. */
#ifndef INTERPOLL_SIGNAL_SENT_H
#define INTERPOLL_SIGNAL_SENT_H

#include "emu.h"

/* kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo and
 * pidfd_send_signal: handed back to the kernel at once; blocked calls
 * check for signals right after. */
void sys_signal_sent(struct emu *e, const struct plat_call *c);

/* alarm, setitimer(ITIMER_REAL) and timer_settime: handed back at once;
 * blocked calls look for the signal when the timer expires. */
void sys_timer_set(struct emu *e, const struct plat_call *c);

#endif
