/* epoll.h: an emulated epoll instance, its interest list and ready list.
 *
 * Model (after fs/eventpoll.c):
 * - struct ep_instance is one eventpoll: an interest list keyed as the
 *   kernel keys it, by (open file description, fd number); a ready list in
 *   the kernel's order; its blocked waiters in FIFO order.
 * - struct ep_entry is one epitem. Its handle is a platform watch on the
 *   target file; the platform reports each matching wake-up of the file
 *   through emu_wakeup(entry), which queues the entry like ep_poll_callback.
 * - An entry whose target is itself one of our instances (nesting) keeps a
 *   pointer to the child; a child's "parents" list lets a wake-up of the
 *   child propagate upwards, and its readiness ("has a really ready
 *   entry") is computed from our own tables.
 *
 * Invariants:
 * - e->rdlink is linked iff the entry is on its instance's ready list.
 * - A disabled entry (fired ONESHOT) has no bits outside EP_PRIVATE_BITS in
 *   e->events and is never on the ready list.
 * - The interest list maps fd -> chain of entries (several files can have
 *   been added under one number: an old one kept alive by a dup).
 */
#ifndef INTERPOLL_EPOLL_H
#define INTERPOLL_EPOLL_H

#include <stdint.h>

#include "emu.h"
#include "list.h"
#include "u64map.h"

#define EP_MAX_EVENTS 178956970 /* INT_MAX / sizeof(struct epoll_event) */
#define EP_MAX_NESTS 4

struct ep_instance {
	struct list link; /* emu->instances */
	struct emu *emu;
	struct plat_handle *h;	    /* the guest-visible file (weak) */
	struct plat_group *watches; /* of its entries; made at the first ADD */
	uint64_t serial;
	struct u64map fds; /* fd -> first struct ep_entry of its chain */
	size_t n_entries;
	struct list ready;   /* struct ep_entry.rdlink, kernel order */
	struct list waiters; /* struct waiter.link, FIFO: wake the first */
	struct list
	    parents; /* struct ep_entry.childlink: entries watching us */
	/* What the guest-visible file shows to native pollers (poll, select,
	 * another process's epoll): readable iff the ready list is not
	 * empty, as of the last emu_publish; or not readable while the list
	 * holds only stale entries that no poll has dropped (hidden by
	 * emu_publish_exact). */
	int shown;
	struct list publink;   /* emu->unpublished: shown may be stale */
	struct list shownlink; /* emu->shown while shown; emu->hidden */
	int n_holds; /* calls in the kernel's own wait on the file (sighold.c):
			while any, the file must not show readable */
	int busy;    /* a call is working on it: a sweep must not judge it */
	int n_sigfd; /* entries on signalfds */
	int n_excl;  /* EPOLLEXCLUSIVE entries */
	/* Its edge buckets are out of the main epoll's reporting; its
	 * wake-ups wait in them for its next call (quiet.c). */
	int quiet;
	struct list quietlink; /* emu->quiet_next: may become quiet */
	unsigned unheard;      /* wake-ups since the last call (quiet.c) */
	int dead;	       /* guest file closed; freed when unreferenced */
};

/* The kernel's wake-up of a file walks its exclusive entries in ADD
 * order (their hooks are at the tail of its wait queue) and stops after
 * the first whose instance has a sleeping waiter. Each sibling's watch
 * reports the walk separately, and a long walk can reach us split across
 * batches and out of order (nested buckets and the ring are read apart).
 * So a walk is not a batch: it lasts until every sibling with its mask
 * has been reached once, or one is reached twice. */
struct excl_walk {
	int refs;		 /* siblings sharing it */
	uint64_t id;		 /* the current walk; ep_entry.excl_walk */
	uint64_t batch;		 /* the batch that last brought part of it */
	uint32_t mask;		 /* events of the sibling that began it */
	uint32_t seen;		 /* siblings with that mask reached so far */
	uint32_t same;		 /* siblings with that mask in all */
	int won;		 /* a sibling with a waiter took the wake-up */
	struct ep_entry *winner; /* that sibling, while it exists */
};

struct ep_entry {
	struct ep_instance *ep; /* owner */
	struct ep_entry *next_same_fd;
	int fd;
	uint32_t events; /* stored mask: user mask | ERR | HUP */
	uint64_t data;
	struct plat_handle *h;
	struct ep_instance *child; /* target is one of our instances */
	struct list childlink;	   /* in child->parents */
	struct list rdlink;	   /* in ep->ready */
	struct list excl_sibs;	   /* EPOLLEXCLUSIVE entries on the same file */
	struct list excl_link;	   /* emu->exclusive */
	struct excl_walk *xw;	   /* shared by the siblings; NULL if none */
	uint64_t excl_walk;	   /* the last walk that reached it */
	/* A signalfd: its readiness is the harvesting thread's pending
	 * signals (signalfd.c); nothing wakes it but our own looks. */
	int sigfd;
	int owner_tid;	       /* the thread that added it, with fd */
	int owner_tgid;	       /* its process: whose signals wake the entry */
	uint64_t sig_seen;     /* what the last look found pending */
	struct list sigfdlink; /* emu->sigfds */
};

/* quiet.c */
void ep_quiet_consider(struct ep_instance *ep); /* a wake-up came */
void emu_quiet_apply(struct emu *e);		/* at the end of a batch */
void ep_quiet_drain(struct ep_instance *ep);	/* before a call on it */
void ep_prompt(struct ep_instance *ep); /* before something must hear it */
void emu_native_pollers(struct emu *e); /* a poll-family call was seen */

struct ep_instance *ep_instance_new(struct emu *e);
/* Destroy: every entry is removed, nested parents forget it. */
void ep_instance_free(struct ep_instance *ep);

/* Make the caller's epoll file at fd, which no call named before, an
 * instance (plat_epoll_adopt). NULL with *err on failure. */
struct ep_instance *ep_adopt(struct emu *e, const struct plat_call *c, int fd,
			     int *err);
/* The instance behind the caller's fd (plat_lookup_epoll), adopted if no
 * call named it before, after a sweep if the platform was short of fds to
 * look. NULL with *err: -EBADF, -EINVAL, or -ENOMEM. */
struct ep_instance *ep_lookup(struct emu *e, const struct plat_call *c, int fd,
			      int *err);
/* The same for EPOLL_CTL_ADD, without the drain of a quiet instance: the
 * platform delivers its wake-ups when it registers the watch
 * (plat_watch_open), with the new file's readiness in the same read. */
struct ep_instance *ep_lookup_add(struct emu *e, const struct plat_call *c,
				  int fd, int *err);

/* Look up the entry for (file of guest fd, fd). Entries found dead on the
 * way are removed. Returns NULL and sets *err to 0 (absent) or an error of
 * the platform (-EBADF...). */
struct ep_entry *ep_find(struct ep_instance *ep, const struct plat_call *c,
			 int fd, int *err);
void ep_entry_remove(struct ep_entry *en);

/* The wake-up callback (ep_poll_callback): queue if enabled and the key
 * matches, then wake a waiter and propagate to parents. key 0 = no key. */
void ep_entry_wakeup(struct ep_entry *en, uint32_t key);
/* Poll an entry's file now, filtered by its mask (ep_item_poll). */
uint32_t ep_entry_poll(struct ep_entry *en, int depth);
/* Readiness of an instance seen as a file: IN|RDNORM if an entry on its
 * ready list is really ready now; stale entries are dropped on the way,
 * up to the first ready one (__ep_eventpoll_poll). */
uint32_t ep_instance_poll(struct ep_instance *ep, int depth);
/* The same walk, dropping stale entries only if `drop`. */
enum { EP_NOT_READY, EP_READY, EP_READY_AFTER_STALE };
int ep_instance_scan(struct ep_instance *ep, int depth, int drop);

/* What the instance's file shows may be out of date: emu_publish looks. */
void ep_mark_unpublished(struct ep_instance *ep);

/* Put an entry at the tail of its ready list if it is not queued. */
void ep_queue(struct ep_entry *en);
/* ... at the head; take it off. Every change to a ready list goes through
 * these three, which keep emu.n_queued. */
void ep_queue_head(struct ep_entry *en);
void ep_unqueue(struct ep_entry *en);

/* The wake-up path limits (reverse_path_check), after entry `added` on
 * the caller's fd went into ep: 0, or -EINVAL when a file now has more
 * paths of some length than Linux allows (epoll_paths.c). */
int ep_path_check(struct emu *e, const struct plat_call *c,
		  struct ep_instance *ep, struct ep_entry *added, int fd);

/* Loop and depth checks for adding child into parent (ELOOP). */
int ep_loop_check(struct ep_instance *parent, struct ep_instance *child);

/* Offer ready events to the instance's blocked waiters, first first, as
 * long as events remain (the kernel's chain of exclusive wake-ups). */
void ep_wake_waiters(struct ep_instance *ep);

/* Let the entries that watch the instance (parents) know it may be
 * readable. Native pollers of its file learn it at the next emu_publish. */
void ep_notify_up(struct ep_instance *ep);

#endif
