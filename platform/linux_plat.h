/* linux_plat.h: the Linux supervisor's platform state (struct plat).
 * Private to platform/ and shim/; syscalls/ sees struct plat as opaque. */
#ifndef INTERPOLL_LINUX_PLAT_H
#define INTERPOLL_LINUX_PLAT_H

#include <stdint.h>
#include <sys/stat.h>
#include <sys/epoll.h>
#include <sys/types.h>
#include <time.h>

#include "batch_proof.h"
#include "list.h"
#include "interpoll/platform.h"
#include "u64map.h"

/* What the supervisor's main epoll reports: each registered object starts
 * with one of these tags. */
enum plat_tag {
	TAG_LISTENER = 1,
	TAG_TIMER,
	TAG_SIGNAL,
	TAG_BUCKET,
	TAG_TASK,
	TAG_RING,
	TAG_PUMP,	   /* a group's pump (struct plat_group.pump) */
	TAG_LISTENER_EDGE, /* the listener again, edge-triggered */
};

/* buckets.c: registrations of guest files packed into few kernel epolls. */
enum bucket_kind {
	BK_EDGE,  /* edge-triggered copies of watches; in the main epoll */
	BK_LEVEL, /* level-triggered copies of watches: current readiness */
	BK_IDENT, /* disabled registrations (events 0): identity only */
	BK_RING,  /* edge copies the kernel's path limits keep out of
		     BK_EDGE; polled through io_uring (ring.c) */
	BK_KINDS
};

struct bslot {
	struct plat_handle *h; /* NULL when free */
	uint32_t gen;	       /* bumped at each use: stale events are told
				  apart by the data they carry */
	uint32_t level;	       /* BK_LEVEL: readiness as of level_gen */
	uint32_t next_free;    /* free list, UINT32_MAX ends it */
	/* Its registration is keyed by reserved number slot_base + key:
	 * unique among the bucket's used slots. Edge, ring and identity
	 * slots use their index; a level slot takes its watch's edge key
	 * when free, so that one dup3 serves both registrations. */
	uint32_t key;
	uint8_t inuse; /* taken (its registration may outlive its handle) */
};

/* One kernel epoll holding up to `size` registrations, registration i
 * under reserved fd number plat.slot_base + i. */
struct bucket {
	int tag; /* TAG_BUCKET, or TAG_PUMP for a group's pump */
	enum bucket_kind kind;
	struct plat_group *g;
	int ep;
	uint32_t size, cap, nused, free_head;
	struct bslot *slots; /* cap of them; grown up to size */
	uint64_t level_gen;  /* BK_LEVEL: slots' levels are current when
				it equals plat.poll_gen */
	/* Slots whose registration outlives its handle: zombies (closed
	 * handles whose file lives on) and dead slots (s->h NULL: the
	 * zombie's other copy went with its bucket). A bucket of the shared
	 * group whose used slots are all of these is closed (bucket_retire). */
	uint32_t nzombie;
	int closed;
	int ring_live; /* BK_RING: its multishot poll may still complete */
	int polled;    /* BK_RING without io_uring: in plat.polled */
	size_t polled_at;
	/* Its list in the group, buckets with a free slot first; or
	 * plat.dead_buckets, or plat.ring_dying. */
	struct list link;
};

/* Buckets that die together: an instance's watches, one poll call's, or
 * the identity handles of instances and eventfds. */
struct plat_group {
	struct list kinds[BK_KINDS]; /* struct bucket */
	struct list zombies;	     /* struct plat_handle.zlink */
	struct list link;	     /* plat.groups */
	int quiet; /* its edge buckets (or its pump) are in the main epoll
		      with no events */
	/* A group of more than one edge bucket: an epoll holding them
	 * (edge-triggered), in the main epoll in their place, so that a read
	 * of it says which buckets have wake-ups; else NULL. A struct bucket
	 * tagged TAG_PUMP, with no slots, so that it is closed and freed as
	 * buckets are (not while a batch may still name it). */
	struct bucket *pump;
	/* Decided at its first watch: its watches live in plat.shared's
	 * buckets (1) or in its own (0). */
	int decided, shares;
};

struct plat_handle {
	int ep;		  /* an epoll holding a registration of the file; */
	int tfd;	  /* the reserved fd number it is keyed by there */
	struct bucket *b; /* identity or edge registration */
	uint32_t idx;
	struct bucket *lb; /* watches: the level-triggered copy */
	uint32_t lidx;
	uint32_t mask;
	void *cookie;	  /* watches: what emu_wakeup is told; else NULL */
	uint64_t serial;  /* our epoll instances: identity; else 0 */
	void *object;	  /* our epoll instances: the emulation's object */
	int anchor;	  /* our epoll instances: the eventfd their guest file
			     holds, readable while the instance is; else -1 */
	uint64_t sigmask; /* signalfd watches: the file's mask, last read */
	/* What the file's edge copy reported when its bucket was last read:
	 * the kernel polled the file for that read, so while plat.poll_gen
	 * is still fresh_gen it is as current as a read of the level copy
	 * (bucket_handle_level). */
	uint32_t fresh;
	uint64_t fresh_gen;
	int closed;
	int detached;	   /* its registrations are gone already */
	struct list zlink; /* group's zombies: closed, registrations kept */
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

struct trace;

struct plat {
	struct emu *emu;
	int listener;
	int mainep;
	int timerfd;
	int64_t timer_armed;
	int anchor;	/* an empty epoll: the placeholder at reserved slot
			   numbers, and the anonymous inode of every epoll */
	int probe;	/* scratch epoll for pollability checks */
	dev_t anon_dev; /* the anonymous inode every epoll file shares */
	ino_t anon_ino;
	size_t nfds;	  /* fds held by buckets */
	size_t fd_budget; /* how many the fd limit leaves room for */
	int slot_base;	  /* reserved fd numbers [slot_base, +nslots): a
			     registration's key; each holds a placeholder */
	uint32_t nslots;
	uint64_t poll_gen; /* bumped whenever readiness may have changed */
	struct plat_group ident; /* identity handles */
	/* Watches of groups made while fds run short (plat_group.shares):
	 * their buckets are shared, not closed with an instance. */
	struct plat_group shared;
	int retire_hold; /* no bucket_retire while > 0 */
	/* The last file whose nested edge copy the kernel refused (its 500
	 * wake-up paths of length 2 are taken): its next watches go to the
	 * ring without the refused ADD, whose path walk costs O(watchers),
	 * until a sweep (plat_trim) may have freed some. */
	int refused_valid;
	dev_t refused_dev;
	ino_t refused_ino;
	/* An anonymous-inode file (eventfd, timerfd, signalfd, epoll: one
	 * inode for all) is told by its ring watch instead: a kcmp against
	 * registration (refused_ep, refused_tfd). */
	int refused_anon;
	int refused_ep, refused_tfd;
	struct list groups;	      /* every plat_group, ident included */
	uint32_t kind_size[BK_KINDS]; /* registrations per bucket */
	pid_t self;
	struct u64map tasks;   /* tid -> struct task */
	struct u64map serials; /* serial -> struct plat_handle of instances */
	struct list dead_buckets; /* closed, freed after the batch */
	struct ring *ring;	  /* ring.c; NULL until first needed */
	int ring_failed;	  /* io_uring was tried and is not there */
	struct list ring_dying;	  /* closed ring buckets whose poll has
				     not ended yet */
	/* ring_polled.c: the ring buckets, when there is no ring. */
	struct polled_set {
		struct bucket **b, **ready;
		struct pollfd *fds; /* cap + 1: the main epoll first */
		size_t n, cap;
	} polled;
	int in_batch;
	int sync_needed; /* the last batch was full: wake-ups may be queued */
	/* causality.c: may a call skip reading the main epoll again? */
	int listener_edge; /* copy of the listener, edge-triggered */
	struct batch_proof proof;
	int call_synced; /* the call served has every wake-up queued before
			    it */
	int direct;	 /* direct.c: the loop waits for calls alone */
	int wake_state;	 /* its wake-up timer: 0 not made yet, 1 made, -1 failed
			  */
	timer_t wake_timer;
	/* main_watch.c: an io_uring poll that says the main epoll is still
	 * empty, so that a call need not collect it. */
	struct main_watch {
		struct ring *ring; /* NULL without io_uring: every call
				      collects */
		int armed;	   /* its one-shot poll has not completed */
		unsigned quiet;	   /* empty collections in a row */
	} watch;
	uint64_t serial_next;
	struct plat_features feat;
	/* What the runner observes (--stats, --timeline), when set: how it
	 * learns of answers and events without platform/ calling into it.
	 * reply: every answer (continued: handed back to the kernel, val and
	 * err then 0); event: each event a harvest delivered. */
	struct plat_observer {
		void (*reply)(void *ctx, const struct plat_call *c, int64_t val,
			      int err, int continued);
		void (*event)(void *ctx, const struct plat_call *c, int fd,
			      uint32_t events);
		void *ctx;
	} obs;
	struct trace *trace; /* NULL unless --trace */
};

int plat_init(struct plat *p, int listener);
void plat_fini(struct plat *p);

/* Main-loop helpers. A batch begins as its wake-ups have been collected
 * (plat_collected) or when a harvest must hold one (plat_batch_hold):
 * readiness read before then is out of date (poll_gen moves), and what
 * the batch reads stays current until it ends, or until it receives a
 * call it does not prove was queued before its collection (plat_recv). */
void plat_batch_begin(struct plat *p);
void plat_batch_end(struct plat *p);
/* Buckets closed from here on stay readable (and allocated) until the
 * matching plat_batch_release, which ends the batch if this opened it.
 * Returns what plat_batch_release wants. */
int plat_batch_hold(struct plat *p);
void plat_batch_release(struct plat *p, int opened);
struct task *plat_task_get(struct plat *p, const struct plat_call *c);
void plat_task_exit(struct plat *p, struct task *t);
void plat_timer_fired(struct plat *p);
/* Read a /proc file into buf, NUL-terminated: 0, or -1 (signals.c). */
int proc_read(const char *path, char *buf, size_t len);
/* The mask of signalfd d, a supervisor fd (signalfd.c). */
void signalfd_read_mask(int d, uint64_t *mask);
/* Give a call of another ABI its x86-64 number (abi.c). */
void abi_translate(struct plat_call *c, uint32_t arch);
/* Receive one notification; 0, or -errno (-ENOENT: withdrawn, retry). */
int plat_recv(struct plat *p, struct plat_call *c);

/* kcmp of guest fd against a handle's target (handles.c). */
int handle_same(struct plat *p, int tid, int fd, struct plat_handle *h);
int kcmp_epoll(pid_t pid1, pid_t pid2, int fd, int ep, int tfd);
/* Is the file behind h gone (its registration with it)? One kcmp. */
int handle_gone(struct plat *p, const struct plat_handle *h);

/* buckets.c */
void group_init(struct plat_group *g);
void group_close(struct plat *p, struct plat_group *g);
void bucket_sizes(struct plat *p, uint32_t nslots);
/* Register supervisor fd d (a copy of the guest's file): as a watch in g
 * (edge and level copies with `mask`), or as an identity handle. */
int bucket_watch_new(struct plat *p, struct plat_group *g, int d,
		     const struct stat *st, uint32_t mask, int unnested,
		     void *cookie, struct plat_handle **out);
int bucket_ident_new(struct plat *p, int d, struct plat_handle **out);
int bucket_handle_modify(struct plat *p, struct plat_handle *h, int d,
			 uint32_t mask);
void bucket_handle_detach(struct plat *p, struct plat_handle *h, int d);
/* A watch's readiness as its level copy shows it: as last read in this
 * poll generation, or read afresh (after the registration changed). */
uint32_t bucket_handle_level(struct plat *p, struct plat_handle *h, int afresh);
/* Deliver the wake-ups a group's edge buckets have queued, except skip's
 * (whose readiness the read leaves in skip->fresh). */
void group_harvest(struct plat *p, struct plat_group *g,
		   struct plat_handle *skip);
/* Deliver the wake-ups an edge bucket has queued, except skip's. */
void bucket_harvest(struct plat *p, struct bucket *b, struct plat_handle *skip);
/* Deliver the wake-ups of the buckets a group's pump reports. */
void pump_harvest(struct plat *p, struct bucket *pump,
		  struct plat_handle *skip);
void bucket_free(struct plat *p, struct bucket *b);
/* causality.c. The main loop's epoll_wait returned n (-1: error). */
void plat_collected(struct plat *p, int n);
/* A notification with this id was received. */
void plat_received(struct plat *p, uint64_t id);
/* Without the listener's edge copy (the listener is gone, or a baseline
 * wants none): every epoll call reads the main epoll again. */
void plat_listener_edge_drop(struct plat *p);
/* direct.c. Register the listener (and its edge copy) in the main epoll:
 * 0 or -errno. */
int plat_listener_watch(struct plat *p);
/* The loop waits for calls alone (plat_recv blocks) from here on: the
 * listener leaves the main epoll. 0 or -errno (then nothing changed). */
int plat_direct_begin(struct plat *p);
/* Back to waiting in the main epoll. 0 or -errno. */
int plat_direct_end(struct plat *p);
/* An absolute CLOCK_MONOTONIC deadline in ns (0: none, disarmed), repeating
 * every interval_ns once it has passed (0: once), for timerfd_settime and
 * timer_settime with their ABSTIME flags. */
static inline struct itimerspec plat_deadline_spec(int64_t deadline,
						   int64_t interval_ns)
{
	struct itimerspec its = {{0, 0}, {0, 0}};
	if (deadline > 0) {
		its.it_value.tv_sec = deadline / 1000000000;
		its.it_value.tv_nsec = deadline % 1000000000;
		its.it_interval.tv_sec = interval_ns / 1000000000;
		its.it_interval.tv_nsec = interval_ns % 1000000000;
	}
	return its;
}
/* The timer's deadline changed (plat_timer_arm). */
void plat_direct_timer(struct plat *p, int64_t deadline);
/* A deadline has passed: collect the main epoll before receiving. */
int plat_direct_due(struct plat *p);
/* The main epoll was collected (n events, -1: error) after a call was
 * received while waiting for calls alone. */
void plat_collected_direct(struct plat *p, int n);
/* Harvest every edge bucket the main epoll reports now. */
void plat_drain_main(struct plat *p, struct plat_handle *skip);
/* buckets.c: does st name the anonymous inode that every eventfd,
 * timerfd, signalfd and epoll file shares? */
int anon_inode(const struct plat *p, const struct stat *st);
/* handles.c: is supervisor fd d an epoll file? */
int own_fd_is_epoll(const struct plat *p, int d);

/* main_watch.c. A collection of the main epoll found n events (n < 0:
 * failed). */
void plat_watch_collected(struct plat *p, int n);
/* 1: the main epoll has had no wake-up since a collection found it empty,
 * so the call just received needs no collection. 0: collect. */
int plat_main_unchanged(struct plat *p);
void plat_watch_init(struct plat *p);
void plat_watch_fini(struct plat *p);

/* The main epoll, then the ring's completions: every wake-up queued now. */
void plat_drain_all(struct plat *p, struct plat_handle *skip);

/* ring.c: io_uring polls of BK_RING buckets. */
int ring_arm(struct plat *p, struct bucket *b);
void ring_disarm(struct plat *p, struct bucket *b);
/* Are completions waiting? Harvest the buckets they name (except skip's
 * registrations), re-arm ended polls, free cancelled buckets. */
int ring_pending(const struct plat *p);
void ring_drain(struct plat *p, struct plat_handle *skip);
void ring_fini(struct plat *p);

/* ring_polled.c: ring buckets polled by the main loop itself. */
int polled_add(struct plat *p, struct bucket *b);
void polled_remove(struct plat *p, struct bucket *b);
/* The main epoll, then the polled buckets ready now. */
void polled_drain(struct plat *p, struct plat_handle *skip);
void polled_fini(struct plat *p);
/* The main loop's sleep: epoll_wait(main, -1), or, while buckets are
 * polled, ppoll on the main epoll and them, then epoll_wait(main, 0). */
int plat_main_wait(struct plat *p, struct epoll_event *evs, int max);

#endif
