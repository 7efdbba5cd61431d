/* seccomp_filter.c: the guest's filter, built with libseccomp.
 *
 * Exactly the readiness syscalls become user notifications; io_uring_setup
 * fails with ENOSYS unless the caller allows io_uring; everything else is
 * allowed. The program is built in the supervisor before fork
 * (libseccomp allocates) and loaded by the child with the raw seccomp(2)
 * call, because libseccomp 2.5 cannot ask for
 * SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV. */
#include "seccomp_filter.h"

#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "compat.h"

/* By name: libseccomp gives each its number in every ABI of the filter
 * (x86-64, i386, x32) and leaves out an ABI that lacks it (the _time64 and
 * _newselect forms exist on i386 only). platform/abi.c maps them back. */
static const char *const notified[] = {
    "epoll_create", "epoll_create1",   "epoll_ctl",	   "epoll_wait",
    "epoll_pwait",  "epoll_pwait2",    "eventfd",	   "eventfd2",
    "poll",	    "ppoll",	       "ppoll_time64",	   "select",
    "_newselect",   "pselect6",	       "pselect6_time64",
    /* Only to learn that a signal is on its way (syscalls/signal_sent.c);
     * handed back at once. */
    "kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
    "pidfd_send_signal", "exit", "exit_group", "alarm", "setitimer",
    "timer_settime", "timer_settime64",
};

/* io_uring executes IORING_OP_EPOLL_CTL, IORING_OP_EPOLL_WAIT and
 * IORING_OP_POLL_ADD inside the kernel, where no seccomp filter sees them:
 * on an interpoll epoll fd they would reach the empty kernel epoll and
 * bypass our tables (libuv 1.45+ then hangs at its first wait). Refusing
 * the ring in BPF costs nothing and never notifies: ENOSYS is what a kernel
 * built without io_uring answers, so libuv, liburing users and Node fall
 * back to plain system calls (gVisor answers ENOSYS too; Docker refuses all
 * three io_uring calls with EPERM since 25.0).
 *
 * io_uring_enter and io_uring_register stay allowed. Without a ring they
 * fail natively (EBADF, or EOPNOTSUPP on another fd), and refusing them
 * would not close the bypass anyway: an SQPOLL ring's kernel thread takes
 * submissions without any system call. A guest can then hold a ring only
 * if one reached it from outside interpoll, and refusing to drive that one
 * would leave its owner no fallback. */
static int refuse_io_uring(scmp_filter_ctx ctx)
{
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
				SCMP_SYS(io_uring_setup), 0);
}

int filter_build(struct sock_fprog *out, unsigned flags)
{
	int r = -ENOMEM;
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	/* The 32-bit ABIs reach the same objects (platform/abi.c). */
	seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	r = seccomp_arch_add(ctx, SCMP_ARCH_X86);
	if (r == 0)
		r = seccomp_arch_add(ctx, SCMP_ARCH_X32);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < sizeof(notified) / sizeof(notified[0]); i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY,
				     seccomp_syscall_resolve_name(notified[i]),
				     0);
		if (r < 0)
			goto out;
	}
	if (!(flags & FILTER_ALLOW_IO_URING)) {
		r = refuse_io_uring(ctx);
		if (r < 0)
			goto out;
	}
	int mfd = memfd_create("interpoll-bpf", MFD_CLOEXEC);
	if (mfd < 0) {
		r = -errno;
		goto out;
	}
	r = seccomp_export_bpf(ctx, mfd);
	if (r == 0) {
		off_t size = lseek(mfd, 0, SEEK_END);
		struct sock_filter *prog = malloc(size > 0 ? size : 1);
		if (!prog || pread(mfd, prog, size, 0) != size) {
			free(prog);
			r = -EIO;
		} else {
			out->len = (unsigned short)(size / sizeof(*prog));
			out->filter = prog;
		}
	}
	close(mfd);
out:
	seccomp_release(ctx);
	return r;
}

int filter_load(const struct sock_fprog *prog)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			  SECCOMP_FILTER_FLAG_NEW_LISTENER |
			      SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
			  prog);
	return fd < 0 ? -errno : (int)fd;
}
