/* forward.c: signals sent to interpoll reach its guest.
 *
 * They are forwarded by a thread of their own, asleep in sigwaitinfo, so
 * that they never wait for the main loop: that one may be blocked in
 * SECCOMP_IOCTL_NOTIF_RECV, which only a call wakes (platform/direct.c),
 * while the guest runs without making any. The thread touches nothing of
 * the main loop's: it needs only the guest's pid and pidfd, and reads
 * whether the guest has exited from the kernel (waitid with WNOWAIT, which
 * leaves reaping to the main loop's SIGCHLD). */
#include "forward.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	int pidfd; /* the guest's; -1 if pidfd_open failed (then its pid) */
	sigset_t set;
};

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
	/* forward_stop cancels the thread only where it waits: never with a
	 * /proc file open. */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	for (;;) {
		siginfo_t si;
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
		int sig = sigwaitinfo(&f->set, &si);
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
		if (sig < 0)
			continue;
		/* A signal the terminal sent to the whole foreground group
		 * reached the guest already; forward only what was sent to
		 * interpoll itself. */
		if (si.si_code == SI_KERNEL)
			continue;
		if (guest_exited(f) || send_guest(f, sig) < 0)
			forward_to_children(sig);
	}
	return NULL;
}

struct forwarder *forward_start(pid_t guest, const sigset_t *set)
{
	struct forwarder *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->guest = guest;
	f->pidfd = (int)syscall(SYS_pidfd_open, guest, 0);
	f->set = *set;
	int r = pthread_create(&f->thread, NULL, forward_main, f);
	if (r != 0) {
		if (f->pidfd >= 0)
			close(f->pidfd);
		free(f);
		errno = r;
		return NULL;
	}
	return f;
}

void forward_stop(struct forwarder *f)
{
	if (!f)
		return;
	pthread_cancel(f->thread); /* sigwaitinfo is a cancellation point */
	pthread_join(f->thread, NULL);
	if (f->pidfd >= 0)
		close(f->pidfd);
	free(f);
}
