/* linux_plat.h: the Linux supervisor's platform state (struct plat).
 * Private to platform/ and shim/; syscalls/ sees struct plat as opaque. */
#ifndef INTERPOLL_LINUX_PLAT_H
#define INTERPOLL_LINUX_PLAT_H

#include <stdint.h>
#include <sys/epoll.h>
#include <sys/types.h>

#include "list.h"
#include "platform.h"
#include "u64map.h"

/* What the supervisor's main epoll reports: each registered object starts
 * with one of these tags. */
enum plat_tag {
	TAG_LISTENER = 1,
	TAG_TIMER,
	TAG_SIGNAL,
	TAG_HANDLE,
	TAG_TASK,
};

struct plat_handle {
	int tag;	/* TAG_HANDLE */
	int ep;		/* private epoll holding exactly the target */
	int tfd;	/* fd number the target was added under */
	uint32_t mask;
	void *cookie;	/* watches: what emu_wakeup is told; else NULL */
	uint64_t serial; /* our epoll instances: identity; else 0 */
	void *object;	/* our epoll instances: the emulation's object */
	int closed;
	struct list zlink; /* plat->zombies, once closed */
};

/* One guest thread we have heard from. */
struct task {
	int tag; /* TAG_TASK */
	int tid;
	int pidfd; /* refers to this thread; readable when it exits */
	/* fd -> serial of the instance this thread created or used at that
	 * number; verified before use, so a stale hint costs one failed
	 * kcmp. Never evicted: a hint is replaced when its fd is reused. */
	struct u64map hints;
};

struct plat_features {
	int sync_wakeup;  /* SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP set */
	int pidfd_thread; /* PIDFD_THREAD accepted */
	int pm_sleep;	  /* EPOLLWAKEUP can survive */
};

struct plat_stats; /* shim/stats.h */
struct trace;

struct plat {
	struct emu *emu;
	int listener;
	int mainep;
	int timerfd;
	int64_t timer_armed;
	int anchor; /* empty epoll every instance's file holds, with its serial
		       as data: how /proc/<tid>/fdinfo names an instance */
	int probe;  /* scratch epoll for pollability checks */
	dev_t anon_dev; /* the anonymous inode every epoll file shares */
	ino_t anon_ino;
	size_t nhandles;  /* open handles: each holds one supervisor fd */
	size_t fd_budget; /* how many handles the fd limit leaves room for */
	int slot;   /* reserved fd number every handle registers its target
		       under (handles.c: ctl_at_slot); holds a placeholder */
	pid_t self;
	struct u64map tasks;   /* tid -> struct task */
	struct u64map serials; /* serial -> struct plat_handle of instances */
	struct list zombies;   /* closed handles, freed after the batch */
	int in_batch;
	int sync_needed; /* the last batch was full: wake-ups may be queued */
	uint64_t serial_next;
	struct plat_features feat;
	struct plat_stats *stats; /* NULL unless --stats */
	struct trace *trace;	  /* NULL unless --trace */
};

int plat_init(struct plat *p, int listener);
void plat_fini(struct plat *p);

/* Main-loop helpers. */
void plat_batch_end(struct plat *p);
struct task *plat_task_get(struct plat *p, const struct plat_call *c);
void plat_task_exit(struct plat *p, struct task *t);
void plat_timer_fired(struct plat *p);
/* Receive one notification; 0, or -errno (-ENOENT: withdrawn, retry). */
int plat_recv(struct plat *p, struct plat_call *c);

/* kcmp of guest fd against a handle's target (handles.c). */
int handle_same(struct plat *p, int tid, int fd, struct plat_handle *h);

#endif
