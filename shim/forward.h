/* forward.h: signals sent to interpoll reach its guest. */
#ifndef INTERPOLL_FORWARD_H
#define INTERPOLL_FORWARD_H

#include <signal.h>
#include <sys/types.h>

struct forwarder;

/* Forward every signal of `set` (blocked in every thread) sent to
 * interpoll to `guest`, or once it has exited to each of our children, from
 * a thread of its own. NULL on failure (errno set). */
struct forwarder *forward_start(pid_t guest, const sigset_t *set);
/* Stop that thread and free it. */
void forward_stop(struct forwarder *f);

#endif
