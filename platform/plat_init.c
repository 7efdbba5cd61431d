/* plat_init.c: the supervisor's kernel objects, clocks and timers. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "interpoll/engine.h"
#include "linux_plat.h"

static int tag_timer = TAG_TIMER;

int plat_init(struct plat *p, int listener)
{
	memset(p, 0, sizeof(*p));
	p->poll_gen = 1; /* a handle's fresh_gen 0 is never current */
	p->listener = listener;
	p->listener_edge = -1;
	p->self = getpid();
	u64map_init(&p->tasks);
	u64map_init(&p->serials);
	list_init(&p->dead_buckets);
	list_init(&p->ring_dying);
	list_init(&p->groups);
	group_init(&p->ident);
	list_add_tail(&p->ident.link, &p->groups);
	group_init(&p->shared);
	list_add_tail(&p->shared.link, &p->groups);
	p->feat.pidfd_thread = 1;
	p->mainep = epoll_create1(EPOLL_CLOEXEC);
	p->timerfd =
	    timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	p->anchor = epoll_create1(EPOLL_CLOEXEC);
	p->probe = epoll_create1(EPOLL_CLOEXEC);
	if (p->mainep < 0 || p->timerfd < 0 || p->anchor < 0 || p->probe < 0)
		return -errno;
	struct stat st;
	if (fstat(p->anchor, &st) < 0)
		return -errno;
	p->anon_dev = st.st_dev;
	p->anon_ino = st.st_ino;
	/* Bucket registrations are keyed by reserved fd numbers at the top
	 * of what the fd limit allows: ordinary allocations take the lowest
	 * free number and reach them only when no other is left. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < 64)
		return -EMFILE;
	int top = (int)(rl.rlim_cur > 1048576 ? 1048576 : rl.rlim_cur);
	p->nslots = top >= 16384 ? 1024 : (uint32_t)top / 16;
	p->slot_base = top - (int)p->nslots;
	bucket_sizes(p, p->nslots);
	/* Leave room for tasks' pidfds and transient copies of guest fds. */
	p->fd_budget = p->slot_base > 1024 ? (size_t)p->slot_base - 512
					   : (size_t)p->slot_base / 2;
	for (uint32_t i = 0; i < p->nslots; i++)
		if (dup3(p->anchor, p->slot_base + (int)i, O_CLOEXEC) < 0)
			return -errno;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &tag_timer};
	if (epoll_ctl(p->mainep, EPOLL_CTL_ADD, p->timerfd, &ev) < 0)
		return -errno;
	plat_watch_init(p);
	p->listener_edge = fcntl(listener, F_DUPFD_CLOEXEC, 3);
	int r = plat_listener_watch(p);
	if (r < 0)
		return r;
	/* Synchronous wake-ups make a notification round trip ~9x cheaper
	 * on this class of machine (Linux 6.6+); optional. */
	p->feat.sync_wakeup = ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
				    SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, 0) == 0;
	/* EPOLLWAKEUP survives only with CONFIG_PM_SLEEP. */
	p->feat.pm_sleep = access("/sys/power/wakeup_count", F_OK) == 0;
	return 0;
}

void plat_fini(struct plat *p)
{
	size_t i = 0;
	uint64_t k;
	void *v;
	while (u64map_next(&p->tasks, &i, &k, &v)) {
		struct task *t = v;
		close(t->pidfd);
		u64map_free(&t->hints);
		free(t);
	}
	u64map_free(&p->tasks);
	u64map_free(&p->serials);
	group_close(p, &p->shared);
	group_close(p, &p->ident);
	plat_batch_end(p);
	ring_fini(p);
	plat_watch_fini(p);
	close(p->mainep);
	close(p->timerfd);
	close(p->anchor);
	close(p->probe);
	if (p->listener_edge >= 0)
		close(p->listener_edge);
	if (p->wake_state > 0)
		timer_delete(p->wake_timer);
	for (uint32_t i = 0; i < p->nslots; i++)
		close(p->slot_base + (int)i);
}

int64_t plat_now_ns(struct plat *p)
{
	struct timespec ts;
	(void)p;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void plat_timer_arm(struct plat *p, int64_t deadline)
{
	if (deadline == p->timer_armed)
		return;
	p->timer_armed = deadline;
	plat_direct_timer(p, deadline);
	struct itimerspec its = plat_deadline_spec(deadline, 0);
	timerfd_settime(p->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
}

void plat_timer_fired(struct plat *p)
{
	uint64_t n;
	if (read(p->timerfd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	p->timer_armed = -1; /* expired: the next arm must reprogram */
	p->poll_gen++;
	emu_timers(p->emu, plat_now_ns(p));
}
