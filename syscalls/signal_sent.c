/* signal_sent.c: learning promptly of the signals guests send.
 *
 * Nothing tells a supervisor that a signal became pending for a thread
 * blocked in one of its calls; blocked calls look at /proc at growing
 * intervals (waiter.c). A signal one guest sends to another (or to
 * itself, from another thread) need not wait for that: the filter notifies
 * the sending calls, which go back to the kernel at once, and every
 * blocked call looks again shortly after, once the kernel has run the
 * sender's call. The same happens when a guest thread exits (its parent's
 * SIGCHLD: emu_signal_soon from the platform). */
#include "signal_sent.h"

#include "compat.h"

void sys_signal_sent(struct emu *e, const struct plat_call *c)
{
	plat_continue(e->plat, c);
	emu_signal_soon(e);
}
