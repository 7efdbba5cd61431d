/* main.c: interpoll [OPTIONS] [--] PROGRAM [ARGS...] */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "kernel_features.h"
#include "launch.h"
#include "options.h"
#include "seccomp_filter.h"
#include "supervisor.h"

/* Signals interpoll forwards to the guest. The rest keep their default
 * action (SIGTSTP stops interpoll with its guest, as a shell expects). */
static const int forwarded[] = {SIGHUP,	 SIGINT,  SIGQUIT, SIGTERM,
				SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH};

/* Each watched file costs the supervisor one kernel epoll: give it all the
 * fds the system allows it. */
static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	struct options o;
	int r = options_parse(&o, argc, argv);
	if (r)
		return r < 0 ? 2 : 0;
	if (features_check_host() < 0)
		return 125;

	sigset_t block, orig;
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&block, forwarded[i]);
	sigprocmask(SIG_BLOCK, &block, &orig);
	/* Orphaned guest processes come to us, so we can wait for the whole
	 * tree. */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

	int listener, status;
	unsigned filter_flags = o.io_uring_allow ? FILTER_ALLOW_IO_URING : 0;
	pid_t guest =
	    launch_guest(o.argv, &orig, filter_flags, &listener, &status);
	if (guest < 0)
		return status;
	raise_nofile(); /* after fork: the guest keeps its own limit */
	return supervise(&o, guest, listener);
}
