/* supervisor.h: the supervisor's main loop. */
#ifndef INTERPOLL_SUPERVISOR_H
#define INTERPOLL_SUPERVISOR_H

#include <signal.h>
#include <sys/types.h>

struct options;

/* Serve the guest tree rooted at `guest` until its last process exits.
 * Returns interpoll's exit status (the guest's, shell-style). */
int supervise(const struct options *o, pid_t guest, int listener);

#endif
