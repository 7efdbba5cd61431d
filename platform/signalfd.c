/* signalfd.c: the readiness of a guest's signalfd.
 *
 * A signalfd is readable when a signal in its mask is pending for the task
 * that polls it (signalfd_poll looks at current's pending sets), and it is
 * woken through the polling task's own signal hand. A watch registered by
 * the supervisor therefore reports the supervisor's signals, never the
 * guest's. So for a signalfd the emulation asks here instead: which
 * signals of its mask are pending for the guest thread that harvests (its
 * own and its process's, from /proc/<tid>/status)? The mask is read from
 * fdinfo ("sigmask:"), again at each look while the fd still names the
 * file, since a second signalfd() call on the same fd changes it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linux_plat.h"

static int hex_field(const char *buf, const char *name, uint64_t *out)
{
	const char *f = strstr(buf, name);
	if (!f)
		return -1;
	*out = strtoull(f + strlen(name), NULL, 16);
	return 0;
}

void signalfd_read_mask(int d, uint64_t *mask)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", d);
	if (proc_read(path, buf, sizeof(buf)) < 0 ||
	    hex_field(buf, "sigmask:", mask) < 0)
		*mask = 0;
}

uint64_t plat_signalfd_pending(struct plat *p, int tid, int owner, int fd,
			       struct plat_handle *h)
{
	char path[64], buf[2048];
	uint64_t thread = 0, shared = 0, mask;

	if (!h || h->closed)
		return 0;
	/* The mask as it is now, if the owner's fd still names the file. */
	if (handle_same(p, owner, fd, h) == 0) {
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", owner, fd);
		if (proc_read(path, buf, sizeof(buf)) == 0 &&
		    hex_field(buf, "sigmask:", &mask) == 0)
			h->sigmask = mask;
	}
	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	if (proc_read(path, buf, sizeof(buf)) < 0) {
		snprintf(path, sizeof(path), "/proc/%d/status", owner);
		if (proc_read(path, buf, sizeof(buf)) < 0)
			return 0;
	}
	hex_field(buf, "\nSigPnd:", &thread);
	hex_field(buf, "\nShdPnd:", &shared);
	return (thread | shared) & h->sigmask;
}
