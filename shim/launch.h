/* launch.h: starting the guest under the filter. */
#ifndef INTERPOLL_LAUNCH_H
#define INTERPOLL_LAUNCH_H

#include <signal.h>
#include <sys/types.h>

/* Fork the guest: it loads the filter (built with `filter_flags`, see
 * seccomp_filter.h), hands the listener over and execs argv[0] with execvp
 * semantics. `orig_mask` is restored in the guest. Returns the guest's pid
 * and sets *listener; on failure prints one line and returns -1 with
 * *status set to interpoll's exit status. */
pid_t launch_guest(char *const argv[], const sigset_t *orig_mask,
		   unsigned filter_flags, int *listener, int *status);

#endif
