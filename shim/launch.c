/* launch.c: fork, filter, listener handover, exec.
 *
 * The guest-to-be loads the filter itself (a filter applies to the task
 * that loads it and its descendants) and sends the listener to the
 * supervisor over a socketpair with SCM_RIGHTS, then closes every trace of
 * it: the socket and the listener are close-on-exec, so no fd of
 * interpoll's reaches the program. */
#include "launch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel_features.h"
#include "seccomp_filter.h"

struct hello {
	int err; /* 0, or -errno of filter_load */
};

static int send_fd(int sock, const struct hello *h, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {(void *)h, sizeof(*h)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		memset(cbuf, 0, sizeof(cbuf));
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(sock, &m, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

static int recv_fd(int sock, struct hello *h)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {h, sizeof(*h)};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = cbuf,
			   .msg_controllen = sizeof(cbuf)};
	ssize_t n;
	do
		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n != sizeof(*h))
		return -1;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	int fd = -1;
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static void __attribute__((noreturn))
guest_main(int sock, char *const argv[], const sigset_t *orig_mask,
	   const struct sock_fprog *prog)
{
	struct hello h = {0};
	int listener = filter_load(prog);
	if (listener < 0) {
		h.err = listener;
		send_fd(sock, &h, -1);
		_exit(125);
	}
	if (send_fd(sock, &h, listener) < 0)
		_exit(125);
	close(listener);
	/* Wait until the supervisor holds the listener: our first notified
	 * call must find someone to answer it. */
	char ack;
	if (read(sock, &ack, 1) != 1)
		_exit(125);
	close(sock);
	sigprocmask(SIG_SETMASK, orig_mask, NULL);
	execvp(argv[0], argv);
	int e = errno;
	fprintf(stderr, "interpoll: %s: %s\n", argv[0], strerror(e));
	_exit(e == ENOENT || e == ENOTDIR ? 127 : 126);
}

pid_t launch_guest(char *const argv[], const sigset_t *orig_mask,
		   unsigned filter_flags, int *listener, int *status)
{
	struct sock_fprog prog;
	int sv[2];
	int r = filter_build(&prog, filter_flags);
	if (r < 0) {
		fprintf(stderr,
			"interpoll: cannot build the seccomp filter: %s\n",
			strerror(-r));
		*status = 125;
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("interpoll: socketpair");
		*status = 125;
		return -1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		perror("interpoll: fork");
		*status = 125;
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		guest_main(sv[1], argv, orig_mask, &prog);
	}
	free(prog.filter);
	close(sv[1]);
	struct hello h = {0};
	int fd = recv_fd(sv[0], &h);
	if (fd < 0) {
		const char *why = features_load_error(h.err);
		if (why)
			fprintf(stderr, "interpoll: %s\n", why);
		else
			fprintf(stderr,
				"interpoll: cannot install the seccomp filter: "
				"%s\n",
				strerror(h.err ? -h.err : EIO));
		close(sv[0]);
		waitpid(pid, NULL, 0);
		*status = 125;
		return -1;
	}
	*listener = fd;
	if (write(sv[0], "", 1) != 1) {
		/* The child died before exec; its status tells why. */
	}
	close(sv[0]);
	return pid;
}
