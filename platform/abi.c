/* abi.c: calls made with the 32-bit ABIs, given their x86-64 numbers.
 *
 * The filter also notifies the i386 (int 0x80, sysenter) and x32 forms of
 * the intercepted calls, so that a 32-bit program, or a 64-bit one that
 * makes an i386 call, reaches the same emulated objects as everything
 * else: a call left to the kernel would act on the bare kernel file behind
 * an instance and mix incoherently with our tables.
 *
 * epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait,
 * epoll_pwait2, eventfd and eventfd2 have the same memory layouts in every
 * ABI (struct epoll_event is 12 bytes with its u64 at offset 4, sigsets are
 * 8 bytes, epoll_pwait2 takes a 64-bit timespec), so they are serviced as
 * they are. The poll family's layouts differ (32-bit longs in fd_set,
 * 32-bit timespecs, i386's one-argument select), and they need none: they
 * are handed back to the kernel, which knows them. */
#include <linux/audit.h>

#include "compat.h"
#include "linux_plat.h"

#ifndef AUDIT_ARCH_I386
#define AUDIT_ARCH_I386 0x40000003
#endif
#define X32_SYSCALL_BIT 0x40000000

/* i386 number -> x86-64 number. */
static const struct {
	int i386, x86_64;
} i386_calls[] = {
    {254, SYS_epoll_create},
    {329, SYS_epoll_create1},
    {255, SYS_epoll_ctl},
    {256, SYS_epoll_wait},
    {319, SYS_epoll_pwait},
    {441, SYS_epoll_pwait2},
    {323, SYS_eventfd},
    {328, SYS_eventfd2},
    {168, SYS_poll},
    {309, SYS_ppoll},  /* old 32-bit timespec */
    {414, SYS_ppoll},  /* ppoll_time64 */
    {82, SYS_select},  /* old select: one struct */
    {142, SYS_select}, /* _newselect */
    {308, SYS_pselect6},
    {413, SYS_pselect6}, /* pselect6_time64 */
    {37, SYS_kill},
    {238, SYS_tkill},
    {270, SYS_tgkill},
    {178, SYS_rt_sigqueueinfo},
    {335, SYS_rt_tgsigqueueinfo},
    {424, SYS_pidfd_send_signal},
    {1, SYS_exit},
    {252, SYS_exit_group},
    {27, SYS_alarm},
    {104, SYS_setitimer},
    {260, SYS_timer_settime},
    {408, SYS_timer_settime}, /* timer_settime64 */
};

void abi_translate(struct plat_call *c, uint32_t arch)
{
	c->abi = PLAT_ABI_X86_64;
	if (arch == AUDIT_ARCH_I386) {
		c->abi = PLAT_ABI_I386;
		for (size_t i = 0;
		     i < sizeof(i386_calls) / sizeof(i386_calls[0]); i++) {
			if (i386_calls[i].i386 == c->nr) {
				c->nr = i386_calls[i].x86_64;
				return;
			}
		}
		c->nr = -1; /* not one of ours: let it run */
	} else if (c->nr & X32_SYSCALL_BIT) {
		c->abi = PLAT_ABI_X32;
		c->nr &= ~X32_SYSCALL_BIT;
	}
}
