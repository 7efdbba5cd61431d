/* compat.h: kernel interface constants newer than Debian 12's headers.
 *
 * The build machine's uapi headers are from Linux 6.1 while the kernel we
 * run on is newer; everything here is defined only when the headers lack
 * it, and every feature is probed at run time (platform/features.c).
 */
#ifndef INTERPOLL_COMPAT_H
#define INTERPOLL_COMPAT_H

#include <linux/kcmp.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif
#ifndef SECCOMP_USER_NOTIF_FLAG_CONTINUE
#define SECCOMP_USER_NOTIF_FLAG_CONTINUE (1UL << 0)
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif
#ifndef PIDFD_THREAD
#define PIDFD_THREAD 0200 /* O_EXCL; Linux 6.9 */
#endif

/* Kernel-internal restart codes a supervisor may return while a signal is
 * pending (see docs/DESIGN.md, "Signals"). */
#define IP_ERESTARTSYS 512
#define IP_ERESTARTNOHAND 514

/* epoll readiness bits the emulation names (the same for poll). */
#define IP_EPOLLIN 0x001u
#define IP_EPOLLOUT 0x004u
#define IP_EPOLLERR 0x008u
#define IP_EPOLLHUP 0x010u
#define IP_EPOLLRDNORM 0x040u

/* epoll bits the private-flag rules need by name. */
#define IP_EPOLLEXCLUSIVE (1u << 28)
#define IP_EPOLLWAKEUP (1u << 29)
#define IP_EPOLLONESHOT (1u << 30)
#define IP_EPOLLET (1u << 31)
#define IP_EP_PRIVATE_BITS                                                     \
	(IP_EPOLLWAKEUP | IP_EPOLLONESHOT | IP_EPOLLET | IP_EPOLLEXCLUSIVE)

#endif
