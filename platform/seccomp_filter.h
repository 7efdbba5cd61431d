/* seccomp_filter.h: building and loading the guest's filter. */
#ifndef INTERPOLL_SECCOMP_FILTER_H
#define INTERPOLL_SECCOMP_FILTER_H

#include <linux/filter.h>

/* filter_build flags. Without FILTER_ALLOW_IO_URING, io_uring_setup fails
 * with ENOSYS in the filter itself (see seccomp_filter.c for why). */
#define FILTER_ALLOW_IO_URING 1u

/* Build the BPF program; out->filter is malloc'ed. 0 or -errno. */
int filter_build(struct sock_fprog *out, unsigned flags);
/* In the guest-to-be: set no_new_privs and load the filter with a
 * listener. Returns the listener fd or -errno. */
int filter_load(const struct sock_fprog *prog);

#endif
