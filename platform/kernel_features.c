/* features.c: kernel features interpoll needs, probed at start. A missing
 * required one is reported in one line naming it and the minimum kernel. */
#include "kernel_features.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "compat.h"

int features_check_host(void)
{
	/* kcmp(KCMP_EPOLL_TFD) identifies guest files (CONFIG_KCMP). */
	struct kcmp_epoll_slot slot = {0, 0, 0};
	if (syscall(SYS_kcmp, getpid(), getpid(), KCMP_EPOLL_TFD, 0, &slot) <
		0 &&
	    errno == ENOSYS) {
		fprintf(stderr,
			"interpoll: the kernel lacks kcmp "
			"(CONFIG_KCMP, Linux 3.5+; KCMP_EPOLL_TFD 4.13+)\n");
		return -1;
	}
	if (syscall(SYS_pidfd_getfd, -1, 0, 0) < 0 && errno == ENOSYS) {
		fprintf(stderr, "interpoll: the kernel lacks pidfd_getfd "
				"(Linux 5.6 or later is required)\n");
		return -1;
	}
	return 0;
}

const char *features_load_error(int err)
{
	if (err == -EINVAL)
		return "the kernel lacks "
		       "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV "
		       "(Linux 5.19 or later is required)";
	if (err == -ENOSYS)
		return "the kernel lacks seccomp filters "
		       "(CONFIG_SECCOMP_FILTER)";
	if (err == -EBUSY)
		return "a seccomp filter with a listener is already attached "
		       "to "
		       "this process (interpoll cannot be nested)";
	return NULL;
}
