/* signal_sent.c: learning promptly of the signals guests send.
 *
 * Nothing tells a supervisor that a signal became pending for a thread
 * blocked in one of its calls; blocked calls look at /proc at growing
 * intervals (waiter.c). A signal one guest sends to another (or to
 * itself, from another thread) need not wait for that: the filter notifies
 * the sending calls, which go back to the kernel at once, and every
 * blocked call looks again shortly after, once the kernel has run the
 * sender's call. The same happens when a guest thread exits (its parent's
 * SIGCHLD: emu_signal_soon from the platform), and when a process calls
 * exit or exit_group; alarm, setitimer(ITIMER_REAL) and timer_settime
 * make blocked calls look when the timer expires. */
#include "signal_sent.h"

#include "compat.h"

void sys_signal_sent(struct emu *e, const struct plat_call *c)
{
	plat_continue(e->plat, c);
	emu_signal_soon(e);
}

void sys_timer_set(struct emu *e, const struct plat_call *c)
{
	int64_t now = plat_now_ns(e->plat), value = 0, period = 0;
	if (c->nr == SYS_alarm) {
		value = (int64_t)(uint32_t)c->args[0] * 1000000000LL;
	} else if (c->nr == SYS_timer_settime) {
		/* struct itimerspec: interval, then value, each {sec, nsec}.
		 * An absolute time is taken on the monotonic clock; on
		 * another clock the look comes at a wrong time, which only
		 * costs a look (the periodic one still finds the signal). */
		int64_t it[4];
		if (c->abi != PLAT_ABI_I386 && c->args[2] &&
		    plat_read(e->plat, c, c->args[2], it, sizeof(it)) == 0 &&
		    it[0] >= 0 && it[1] >= 0 && it[2] >= 0 && it[3] >= 0 &&
		    it[0] < (1LL << 32) && it[2] < (1LL << 32)) {
			period = it[0] * 1000000000LL + it[1];
			value = it[2] * 1000000000LL + it[3];
			if (c->args[1] & 1 /* TIMER_ABSTIME */)
				value = value > now ? value - now : 0;
		}
	} else if (c->args[0] == 0 /* ITIMER_REAL */ &&
		   c->abi != PLAT_ABI_I386 && c->args[1]) {
		/* struct itimerval: interval, then value, each {sec, usec};
		 * the kernel reads it again, and answers bad ones itself. */
		int64_t it[4];
		if (plat_read(e->plat, c, c->args[1], it, sizeof(it)) == 0 &&
		    it[0] >= 0 && it[1] >= 0 && it[2] >= 0 && it[3] >= 0 &&
		    it[0] < 1000000000LL && it[2] < 1000000000LL) {
			period = it[0] * 1000000000LL + it[1] * 1000;
			value = it[2] * 1000000000LL + it[3] * 1000;
		}
	}
	plat_continue(e->plat, c);
	if (value > 0)
		emu_signal_at(e, now + value, period);
}
