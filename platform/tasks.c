/* tasks.c: the guest threads we have heard from, each with a pidfd.
 *
 * Notifications name a thread by tid, and tids are recycled. A pidfd pins
 * the identity: opened right after the notification was received and
 * confirmed with NOTIF_ID_VALID, it refers to the calling thread for good,
 * so pidfd_getfd can never reach into another process that reused the
 * number. The pidfd is also in the main epoll: it becomes readable when the
 * thread exits, and the record is dropped then. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "compat.h"
#include "linux_plat.h"

static int tgid_of(int tid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	FILE *f = fopen(path, "re");
	int tgid = -1;
	if (!f)
		return -1;
	while (fgets(buf, sizeof(buf), f)) {
		if (sscanf(buf, "Tgid: %d", &tgid) == 1)
			break;
	}
	fclose(f);
	return tgid;
}

int plat_tgid(struct plat *p, int tid)
{
	(void)p;
	return tgid_of(tid);
}

static int open_pidfd(struct plat *p, int tid)
{
	if (p->feat.pidfd_thread) {
		int fd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
		if (fd >= 0 || errno != EINVAL)
			return fd;
		p->feat.pidfd_thread = 0;
	}
	/* Without PIDFD_THREAD only a thread-group leader can be named; a
	 * thread shares its leader's fd table in every case that matters. */
	int fd = (int)syscall(SYS_pidfd_open, tid, 0);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	int tgid = tgid_of(tid);
	return tgid > 0 ? (int)syscall(SYS_pidfd_open, tgid, 0) : -1;
}

struct task *plat_task_get(struct plat *p, const struct plat_call *c)
{
	struct task *t = u64map_get(&p->tasks, (uint32_t)c->tid);
	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->tag = TAG_TASK;
	t->tid = c->tid;
	u64map_init(&t->hints);
	t->pidfd = open_pidfd(p, c->tid);
	if (t->pidfd < 0 || !plat_call_alive(p, c)) {
		/* The thread left (and its tid may be reused already). */
		if (t->pidfd >= 0)
			close(t->pidfd);
		free(t);
		return NULL;
	}
	if (u64map_put(&p->tasks, (uint32_t)c->tid, t)) {
		close(t->pidfd);
		free(t);
		return NULL;
	}
	if (p->feat.pidfd_thread) {
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = t};
		epoll_ctl(p->mainep, EPOLL_CTL_ADD, t->pidfd, &ev);
	}
	return t;
}

void plat_task_exit(struct plat *p, struct task *t)
{
	if (u64map_get(&p->tasks, (uint32_t)t->tid) == t)
		u64map_del(&p->tasks, (uint32_t)t->tid);
	close(t->pidfd); /* also leaves the main epoll */
	u64map_free(&t->hints);
	free(t);
	emu_signal_soon(p->emu);
}
