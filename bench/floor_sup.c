/* floor_sup: the seccomp user-notification round-trip floor.
 *
 *   floor_sup [ITERS] [sync|nosync|epoll|kcmp|addfd]   (default 100000 sync)
 *
 * A minimal supervisor: fork a child that installs a filter notifying only
 * getppid (SECCOMP_FILTER_FLAG_NEW_LISTENER) and hands the listener back
 * over SCM_RIGHTS. The parent sets SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP on
 * the listener (unless "nosync") and answers each RECV at once with SEND
 * val=0; "epoll" also waits in epoll_wait on the listener before each RECV,
 * as interpoll's main loop does; "kcmp" also makes one
 * kcmp(KCMP_EPOLL_TFD) of a guest fd per call, as interpoll does to
 * confirm which instance a guest epoll fd is: together the system calls
 * interpoll makes for a bare epoll_wait(ep, ev, 1, 0) (see the strace
 * profile in results.md); "addfd" answers each call as interpoll answers
 * eventfd() and epoll_create(): SECCOMP_IOCTL_NOTIF_ADDFD with
 * SECCOMP_ADDFD_FLAG_SEND installs an fd in the caller (the child closes
 * it). The child times ITERS getppid calls (+ close for "addfd").
 *
 * Output: floor_sup_getppid[_nosync|_epoll|_kcmp|_addfd] US us
 *
 * Run it natively: a process that is already under a listener's filter
 * cannot install another (EBUSY). */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <linux/kcmp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "bench.h"

/* SECCOMP_IOCTL_NOTIF_SET_FLAGS and SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
 * (Linux 6.6), which Debian 12's headers lack. */
#include "../platform/compat.h"

#define WARMUP 1000

static int load_filter(void)
{
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		     offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		     offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getppid, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof(f) / sizeof(f[0]), f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die("no_new_privs");
	int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			      SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (fd < 0)
		die("seccomp(NEW_LISTENER)");
	return fd;
}

static void send_fd(int sock, int fd)
{
	char c = 0, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&c, 1};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = cbuf,
			   .msg_controllen = sizeof(cbuf)};
	memset(cbuf, 0, sizeof(cbuf));
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(sock, &m, 0) != 1)
		die("sendmsg");
}

static int recv_fd(int sock)
{
	char c, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&c, 1};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = cbuf,
			   .msg_controllen = sizeof(cbuf)};
	int fd = -1;
	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1)
		die("recvmsg");
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		die("no listener received");
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

int main(int argc, char **argv)
{
	long iters = arg_long(argc, argv, 1, 100000);
	const char *mode = argc > 2 ? argv[2] : "sync";
	int sync = strcmp(mode, "nosync") != 0;
	int with_kcmp = strcmp(mode, "kcmp") == 0;
	int addfd = strcmp(mode, "addfd") == 0;
	int use_epoll = with_kcmp || strcmp(mode, "epoll") == 0;
	int sv[2];

	/* kcmp: an epoll file g that the child inherits, registered in a
	 * private epoll h of ours, as interpoll's instance handles are. */
	int g = -1, h = -1;
	if (with_kcmp) {
		g = epoll_create1(0);
		h = epoll_create1(EPOLL_CLOEXEC);
		struct epoll_event ev = {.events = 0};
		if (g < 0 || h < 0 || epoll_ctl(h, EPOLL_CTL_ADD, g, &ev) < 0)
			die("kcmp set-up");
	}

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair");
	pid_t pid = fork_child();
	if (pid == 0) {
		close(sv[0]);
		int l = load_filter();
		send_fd(sv[1], l);
		close(l);
		char ack;
		if (read(sv[1], &ack, 1) != 1)
			_exit(1);
		for (int i = 0; i < WARMUP; i++) {
			long r = syscall(SYS_getppid);
			if (addfd)
				close((int)r);
		}
		uint64_t t0 = now_ns();
		for (long i = 0; i < iters; i++) {
			long r = syscall(SYS_getppid);
			if (addfd && close((int)r) < 0)
				die("close of the added fd");
		}
		uint64_t t1 = now_ns();
		emitf((double)(t1 - t0) / 1e3 / (double)iters, "us",
		      "floor_sup_getppid%s",
		      addfd	  ? "_addfd"
		      : with_kcmp ? "_kcmp"
		      : use_epoll ? "_epoll"
		      : sync	  ? ""
				  : "_nosync");
		_exit(0);
	}
	close(sv[1]);
	alarm(120); /* never hang */
	int l = recv_fd(sv[0]);
	if (sync && ioctl(l, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
			  SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, 0) < 0)
		die("SECCOMP_IOCTL_NOTIF_SET_FLAGS");
	int ep = -1;
	if (use_epoll) {
		ep = epoll_create1(EPOLL_CLOEXEC);
		struct epoll_event ev = {.events = EPOLLIN};
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev) < 0)
			die("epoll");
	}
	int efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0)
		die("eventfd");
	if (write(sv[0], "", 1) != 1)
		die("ack");
	pid_t self = getpid();
	long total = iters + WARMUP;
	for (long i = 0; i < total; i++) {
		struct seccomp_notif n;
		struct seccomp_notif_resp r;
		if (use_epoll) {
			struct epoll_event ev;
			if (epoll_wait(ep, &ev, 1, -1) < 0 && errno != EINTR)
				die("epoll_wait");
		}
		memset(&n, 0, sizeof(n));
		if (ioctl(l, SECCOMP_IOCTL_NOTIF_RECV, &n) < 0) {
			if (errno == EINTR) {
				i--;
				continue;
			}
			die("NOTIF_RECV");
		}
		if (with_kcmp) {
			struct kcmp_epoll_slot slot = {(__u32)h, (__u32)g, 0};
			if (syscall(SYS_kcmp, n.pid, self, KCMP_EPOLL_TFD, g,
				    &slot) != 0)
				die("kcmp");
		}
		if (addfd) {
			struct seccomp_notif_addfd a = {
			    .id = n.id,
			    .flags = SECCOMP_ADDFD_FLAG_SEND,
			    .srcfd = (__u32)efd,
			    .newfd = 0,
			    .newfd_flags = O_CLOEXEC,
			};
			if (ioctl(l, SECCOMP_IOCTL_NOTIF_ADDFD, &a) < 0 &&
			    errno != ENOENT)
				die("NOTIF_ADDFD");
			continue;
		}
		memset(&r, 0, sizeof(r));
		r.id = n.id;
		r.val = 0;
		if (ioctl(l, SECCOMP_IOCTL_NOTIF_SEND, &r) < 0 &&
		    errno != ENOENT)
			die("NOTIF_SEND");
	}
	int st;
	if (waitpid(pid, &st, 0) < 0)
		die("waitpid");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
