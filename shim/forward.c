/* forward.c: signals sent to interpoll reach its guest.
 *
 * They are forwarded by a thread of their own, asleep on a signalfd of
 * them, so that they never wait for the main loop: that one may be blocked in
 * SECCOMP_IOCTL_NOTIF_RECV, which only a call wakes (platform/direct.c),
 * while the guest runs without making any. The thread touches nothing of
 * the main loop's: it needs only the guest's pid and pidfd, and reads
 * whether the guest has exited from the kernel (waitid with WNOWAIT, which
 * leaves reaping to the main loop's SIGCHLD). */
#include "forward.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compat.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

struct forwarder {
	pthread_t thread;
	pid_t guest;
	int pidfd;  /* the guest's; -1 if pidfd_open failed (then its pid) */
	int sigfd;  /* the signals to forward */
	int stopfd; /* an eventfd: readable when the thread must end */
};

static void forward_close(struct forwarder *f)
{
	if (f->pidfd >= 0)
		close(f->pidfd);
	if (f->sigfd >= 0)
		close(f->sigfd);
	if (f->stopfd >= 0)
		close(f->stopfd);
	free(f);
}

/* Exited (a zombie, or reaped already)? */
static int guest_exited(const struct forwarder *f)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	int r = f->pidfd >= 0 ? waitid((idtype_t)P_PIDFD, (id_t)f->pidfd, &si,
				       WEXITED | WNOHANG | WNOWAIT)
			      : waitid(P_PID, (id_t)f->guest, &si,
				       WEXITED | WNOHANG | WNOWAIT);
	if (r < 0)
		return errno == ECHILD;
	return si.si_pid != 0;
}

static int send_guest(const struct forwarder *f, int sig)
{
	if (f->pidfd >= 0)
		return (int)syscall(SYS_pidfd_send_signal, f->pidfd, sig, NULL,
				    0);
	return kill(f->guest, sig);
}

/* Once the first guest has exited, the processes left are our children
 * (orphans come to us as subreaper): a signal for interpoll goes to each. */
static void forward_to_children(int sig)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/self/task/%d/children", getpid());
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	char *save = NULL;
	for (char *tok = strtok_r(buf, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save))
		kill((pid_t)atoi(tok), sig);
}

static void *forward_main(void *arg)
{
	struct forwarder *f = arg;
	struct pollfd pfd[2] = {{.fd = f->sigfd, .events = POLLIN},
				{.fd = f->stopfd, .events = POLLIN}};
	for (;;) {
		if (poll(pfd, 2, -1) < 0)
			continue;
		if (pfd[1].revents)
			return NULL; /* forward_stop */
		struct signalfd_siginfo si;
		while (read(f->sigfd, &si, sizeof(si)) == sizeof(si)) {
			/* A signal the terminal sent to the whole foreground
			 * group reached the guest already; forward only what
			 * was sent to interpoll itself. */
			if (si.ssi_code == SI_KERNEL)
				continue;
			int sig = (int)si.ssi_signo;
			if (guest_exited(f) || send_guest(f, sig) < 0)
				forward_to_children(sig);
		}
	}
}

struct forwarder *forward_start(pid_t guest, const sigset_t *set)
{
	struct forwarder *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->guest = guest;
	f->pidfd = (int)syscall(SYS_pidfd_open, guest, 0);
	f->sigfd = signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK);
	f->stopfd = eventfd(0, EFD_CLOEXEC);
	int r = f->sigfd < 0 || f->stopfd < 0 ? errno : 0;
	if (!r)
		r = pthread_create(&f->thread, NULL, forward_main, f);
	if (r != 0) {
		forward_close(f);
		errno = r;
		return NULL;
	}
	return f;
}

void forward_stop(struct forwarder *f)
{
	if (!f)
		return;
	uint64_t one = 1;
	if (write(f->stopfd, &one, sizeof(one)) == sizeof(one))
		pthread_join(f->thread, NULL);
	forward_close(f);
}
