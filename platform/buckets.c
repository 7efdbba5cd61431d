/* buckets.c: many weak registrations of guest files in few kernel epolls.
 *
 * A handle names a guest file without keeping it open: it is a registration
 * of the file in a kernel epoll of ours. The kernel drops a registration
 * when the file's last reference goes (eventpoll_release_file), and
 * kcmp(KCMP_EPOLL_TFD), given the epoll and the fd number the file was
 * registered under, compares it with a guest fd (identity) or fails with
 * ENOENT once it is gone (liveness).
 *
 * Registrations are packed into buckets: registration i of a bucket is
 * keyed by the reserved fd number p->slot_base + i, which therefore names
 * it for kcmp and for EPOLL_CTL_MOD/DEL. The reserved numbers hold
 * placeholders; a file is moved onto its number only for the epoll_ctl.
 * So the supervisor spends fds per bucket, not per registration.
 *
 * kcmp finds a registration by walking the epoll's whole tree
 * (ep_find_tfd), so buckets used for identity are small (kind_size).
 *
 * A watch is registered twice, with the entry's mask:
 * - in an edge bucket (BK_EDGE), edge-triggered. The bucket sits
 *   edge-triggered in the main epoll, so every wake-up of the file that
 *   ep_poll_callback accepts makes the main epoll report the bucket, and
 *   reading the bucket says which registrations fired, in the order they
 *   fired. Edge buckets are large and belong to one instance, so that one
 *   instance's wake-ups come back in the kernel's order.
 * - in a level bucket (BK_LEVEL), level-triggered: reading it gives every
 *   registration whose file is ready now, re-polled by the kernel. Level
 *   buckets are small: reading one re-polls all its ready files, and the
 *   result is kept for as long as p->poll_gen does not change (within one
 *   notification or one batch of wake-ups). The level copy is the watch's
 *   identity.
 * Identity handles (eventfds, instances' files) are one disabled
 * registration (events 0: no wake-ups) in an identity bucket. An
 * instance's file once had a bucket of its own, to make the per-call check
 * of an epfd a walk of one registration instead of up to 16; that saved
 * well under the noise of a call and cost every instance an fd, which
 * capped live instances at half the fd limit.
 *
 * A registration can be removed only by naming its file. When the file is
 * at hand (EPOLL_CTL_DEL names it) bucket_handle_detach removes it. A
 * handle closed while its file lives on otherwise becomes a zombie: its
 * slots stay taken until the file goes (kcmp says ENOENT) or the group
 * closes its buckets.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "compat.h"
#include "interpoll/engine.h"
#include "linux_plat.h"

#define NO_SLOT UINT32_MAX
#define LEVEL_MAX 64 /* largest level bucket, for the read buffer */
/* Edge and ring buckets of the shared group are small: a zombie's
 * registration of a live file fires with it until its bucket is closed,
 * and a bucket is closed only once every used slot is a zombie. */
#define SHARED_EDGE_SIZE 64
/* A group shares buckets when it is made with a quarter of the fd budget
 * spent: the first thousands of instances get buckets of their own (their
 * wake-ups in one bucket, in order, and quiet when unheard), those beyond
 * cost the anchor alone, about one fd each. */
#define SHARE_FROM_DIV 4

void bucket_sizes(struct plat *p, uint32_t nslots)
{
	p->kind_size[BK_EDGE] = nslots;
	p->kind_size[BK_LEVEL] = nslots < 16 ? nslots : 16;
	p->kind_size[BK_IDENT] = nslots < 16 ? nslots : 16;
	p->kind_size[BK_RING] = nslots;
}

void group_init(struct plat_group *g)
{
	for (int k = 0; k < BK_KINDS; k++)
		list_init(&g->kinds[k]);
	list_init(&g->zombies);
	g->quiet = 0;
	g->decided = g->shares = 0;
	g->pump = NULL;
}

void bucket_free(struct plat *p, struct bucket *b)
{
	(void)p;
	free(b->slots);
	free(b);
}

static void bucket_retire_if_dead(struct plat *p, struct bucket *b);

static void bucket_close(struct plat *p, struct bucket *b)
{
	if (b->tag == TAG_PUMP)
		epoll_ctl(p->mainep, EPOLL_CTL_DEL, b->ep, NULL);
	else if (b->kind == BK_EDGE)
		epoll_ctl(b->g->pump ? b->g->pump->ep : p->mainep,
			  EPOLL_CTL_DEL, b->ep, NULL);
	if (b->ring_live)
		ring_disarm(p, b);
	if (b->polled)
		polled_remove(p, b);
	close(b->ep);
	b->ep = -1;
	b->closed = 1;
	p->nfds--;
	list_del(&b->link);
	if (b->ring_live) /* freed by its poll's last completion */
		list_add_tail(&b->link, &p->ring_dying);
	else if (p->in_batch) /* the main epoll may have reported it */
		list_add_tail(&b->link, &p->dead_buckets);
	else
		bucket_free(p, b);
}

void group_close(struct plat *p, struct plat_group *g)
{
	while (!list_empty(&g->zombies)) {
		struct plat_handle *h =
		    container_of(g->zombies.next, struct plat_handle, zlink);
		list_del(&h->zlink);
		free(h);
	}
	for (int k = 0; k < BK_KINDS; k++)
		while (!list_empty(&g->kinds[k]))
			bucket_close(p, container_of(g->kinds[k].next,
						     struct bucket, link));
	if (g->pump) {
		bucket_close(p, g->pump);
		g->pump = NULL;
	}
}

struct plat_group *plat_group_new(struct plat *p)
{
	struct plat_group *g = malloc(sizeof(*g));
	if (g) {
		group_init(g);
		list_add_tail(&g->link, &p->groups);
	}
	return g;
}

void plat_group_free(struct plat *p, struct plat_group *g)
{
	if (!g)
		return;
	group_close(p, g);
	list_del(&g->link);
	free(g);
}

int plat_group_quiet(struct plat *p, struct plat_group *g, int quiet)
{
	struct list *pos;
	if (!g || g->quiet == quiet)
		return g ? g->quiet : 0;
	/* Shared buckets carry other groups' wake-ups too. */
	if (quiet && g->shares)
		return 0;
	/* A drain reads the edge buckets one after another, so wake-ups of
	 * one instance in two buckets come back grouped by bucket rather
	 * than interleaved as they happened: beyond one bucket (1,024
	 * entries) the order is per bucket while quiet, as it is when files
	 * in two buckets wake between two reads (DIVERGENCES.md
	 * bucket-order). Ring buckets are read by their own completions,
	 * which quiet does not hold back. */
	if (quiet && !list_empty(&g->kinds[BK_RING]))
		return 0;
	g->quiet = quiet;
	/* Events 0: the registration stays (a later MOD needs no file), but
	 * the bucket's wake-ups no longer reach the main epoll's list; a MOD
	 * back to EPOLLIN queues the bucket at once if it holds any. With a
	 * pump, the pump's registration is the one. */
	if (g->pump) {
		struct epoll_event ev = {.events =
					     quiet ? 0 : EPOLLIN | EPOLLET,
					 .data.ptr = g->pump};
		epoll_ctl(p->mainep, EPOLL_CTL_MOD, g->pump->ep, &ev);
		return quiet;
	}
	for (pos = g->kinds[BK_EDGE].next; pos != &g->kinds[BK_EDGE];
	     pos = pos->next) {
		struct bucket *b = container_of(pos, struct bucket, link);
		struct epoll_event ev = {
		    .events = quiet ? 0 : EPOLLIN | EPOLLET, .data.ptr = b};
		epoll_ctl(p->mainep, EPOLL_CTL_MOD, b->ep, &ev);
	}
	return quiet;
}

void group_harvest(struct plat *p, struct plat_group *g,
		   struct plat_handle *skip)
{
	struct list *pos, *tmp;
	int opened = plat_batch_hold(p);
	emu_batch_begin(p->emu);
	if (g->pump)
		pump_harvest(p, g->pump, skip);
	else
		list_for_each_safe(pos, tmp, &g->kinds[BK_EDGE])
		{
			bucket_harvest(
			    p, container_of(pos, struct bucket, link), skip);
		}
	plat_batch_release(p, opened);
}

void plat_group_drain(struct plat *p, struct plat_group *g)
{
	if (g)
		group_harvest(p, g, NULL);
}

int plat_batch_hold(struct plat *p)
{
	int opened = !p->in_batch;
	if (opened)
		plat_batch_begin(p);
	return opened;
}

void plat_batch_begin(struct plat *p)
{
	p->in_batch = 1;
	p->poll_gen++;
}

void plat_batch_release(struct plat *p, int opened)
{
	if (opened)
		plat_batch_end(p);
}

void plat_batch_end(struct plat *p)
{
	while (!list_empty(&p->dead_buckets)) {
		struct bucket *b =
		    container_of(p->dead_buckets.next, struct bucket, link);
		list_del(&b->link);
		free(b->slots);
		free(b);
	}
	p->in_batch = 0;
}

/* A group's second edge bucket gets it a pump: reading every bucket of a
 * quiet instance of 10,000 connections for the few that had wake-ups cost
 * ten system calls per call. Its buckets move into the pump, and the pump
 * into the main epoll in their place (whether the group is quiet is then
 * the pump's registration). Best effort: without a pump the buckets stay
 * in the main epoll. The shared group's buckets stay there: one more
 * level of nesting would lower the kernel's limit on the wake-up paths to
 * a file (reverse_path_check: 500 paths of length 2, 100 of length 3),
 * which the thousands of instances sharing it rely on. */
static void pump_new(struct plat *p, struct plat_group *g)
{
	struct list *pos;
	if (p->nfds >= p->fd_budget)
		return;
	struct bucket *pb = calloc(1, sizeof(*pb));
	if (!pb)
		return;
	pb->tag = TAG_PUMP;
	pb->kind = BK_EDGE;
	pb->g = g;
	pb->free_head = NO_SLOT;
	list_init(&pb->link);
	pb->ep = epoll_create1(EPOLL_CLOEXEC);
	int ok = pb->ep >= 0;
	/* In the pump first: a bucket in both for a moment is harmless. */
	for (pos = g->kinds[BK_EDGE].next; ok && pos != &g->kinds[BK_EDGE];
	     pos = pos->next) {
		struct bucket *b = container_of(pos, struct bucket, link);
		struct epoll_event ev = {.events = EPOLLIN | EPOLLET,
					 .data.ptr = b};
		ok = epoll_ctl(pb->ep, EPOLL_CTL_ADD, b->ep, &ev) == 0;
	}
	struct epoll_event mev = {.events = g->quiet ? 0 : EPOLLIN | EPOLLET,
				  .data.ptr = pb};
	if (!ok || epoll_ctl(p->mainep, EPOLL_CTL_ADD, pb->ep, &mev) < 0) {
		if (pb->ep >= 0)
			close(pb->ep);
		free(pb);
		return;
	}
	for (pos = g->kinds[BK_EDGE].next; pos != &g->kinds[BK_EDGE];
	     pos = pos->next)
		epoll_ctl(p->mainep, EPOLL_CTL_DEL,
			  container_of(pos, struct bucket, link)->ep, NULL);
	p->nfds++;
	g->pump = pb;
}

/* A new edge bucket into its group's pump, or the main epoll. */
static int edge_register(struct plat *p, struct plat_group *g, struct bucket *b)
{
	if (!g->pump && g != &p->shared && !list_empty(&g->kinds[BK_EDGE]))
		pump_new(p, g);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.ptr = b};
	if (g->pump)
		return epoll_ctl(g->pump->ep, EPOLL_CTL_ADD, b->ep, &ev) < 0
			   ? -errno
			   : 0;
	if (g->quiet)
		ev.events = 0;
	return epoll_ctl(p->mainep, EPOLL_CTL_ADD, b->ep, &ev) < 0 ? -errno : 0;
}

static struct bucket *bucket_new(struct plat *p, struct plat_group *g,
				 enum bucket_kind kind, int *err)
{
	if (p->nfds >= p->fd_budget) {
		*err = -EMFILE;
		return NULL;
	}
	struct bucket *b = calloc(1, sizeof(*b));
	if (!b) {
		*err = -ENOMEM;
		return NULL;
	}
	b->tag = TAG_BUCKET;
	b->kind = kind;
	b->g = g;
	b->size = p->kind_size[kind];
	if (g == &p->shared && (kind == BK_EDGE || kind == BK_RING) &&
	    b->size > SHARED_EDGE_SIZE)
		b->size = SHARED_EDGE_SIZE;
	b->free_head = NO_SLOT;
	b->ep = epoll_create1(EPOLL_CLOEXEC);
	if (b->ep < 0) {
		*err = -errno;
		free(b);
		return NULL;
	}
	int r = 0;
	/* A ring bucket's wake-ups are not held back: the group is read
	 * through the main epoll again (plat_group_quiet). */
	if (kind == BK_RING && g->quiet)
		plat_group_quiet(p, g, 0);
	if (kind == BK_EDGE) {
		r = edge_register(p, g, b);
	} else if (kind == BK_RING) {
		r = ring_arm(p, b);
	}
	if (r < 0) {
		*err = r;
		close(b->ep);
		free(b);
		return NULL;
	}
	p->nfds++;
	list_add_head(&b->link, &g->kinds[kind]);
	return b;
}

/* A free slot of b, growing its table if need be; NO_SLOT if full. */
static uint32_t slot_take(struct bucket *b)
{
	if (b->free_head == NO_SLOT) {
		if (b->cap >= b->size)
			return NO_SLOT;
		uint32_t ncap = b->cap ? b->cap * 2 : 4;
		if (ncap > b->size)
			ncap = b->size;
		struct bslot *s = realloc(b->slots, ncap * sizeof(*s));
		if (!s)
			return NO_SLOT;
		memset(s + b->cap, 0, (ncap - b->cap) * sizeof(*s));
		for (uint32_t i = ncap; i-- > b->cap;) {
			s[i].next_free = b->free_head;
			b->free_head = i;
		}
		b->slots = s;
		b->cap = ncap;
	}
	uint32_t i = b->free_head;
	b->free_head = b->slots[i].next_free;
	b->slots[i].inuse = 1;
	if (++b->nused == b->size) { /* full: behind those with room */
		list_del(&b->link);
		list_add_tail(&b->link, &b->g->kinds[b->kind]);
	}
	return i;
}

/* Close a bucket of the shared group whose used slots are all zombies or
 * dead: nothing but closing it can remove those registrations (their
 * files live on, unnamed), and closing it does. A zombie with its other
 * copy in another bucket leaves a dead slot there (used, counted in
 * nzombie, no handle), which goes when that bucket is closed in turn. */
static void bucket_retire(struct plat *p, struct bucket *b)
{
	struct bucket *others[SHARED_EDGE_SIZE];
	int nothers = 0;
	for (uint32_t i = 0; i < b->cap; i++) {
		struct plat_handle *h = b->slots[i].h;
		if (!h)
			continue;
		struct bucket *ob = h->b == b ? h->lb : h->b;
		uint32_t oi = h->b == b ? h->lidx : h->idx;
		if (ob) {
			ob->slots[oi].h = NULL;
			if (nothers < SHARED_EDGE_SIZE)
				others[nothers++] = ob;
		}
		b->slots[i].h = NULL;
		list_del(&h->zlink);
		free(h);
	}
	bucket_close(p, b);
	for (int k = 0; k < nothers; k++)
		bucket_retire_if_dead(p, others[k]);
}

static int bucket_dead(struct plat *p, struct bucket *b)
{
	return !b->closed && b->g == &p->shared && b->nused &&
	       b->nused == b->nzombie;
}

static void bucket_retire_if_dead(struct plat *p, struct bucket *b)
{
	/* While zombies are being walked (group_reclaim), retiring would
	 * free the walk's next one: it waits for shared_retire_all. */
	if (p->retire_hold || !bucket_dead(p, b))
		return;
	/* Buckets closed meanwhile must stay readable until this ends. */
	int opened = plat_batch_hold(p);
	bucket_retire(p, b);
	plat_batch_release(p, opened);
}

/* Give slot i back; close b once it is empty, unless it is the last of its
 * kind in the group (an instance that adds and deletes one fd in a loop
 * would otherwise make and close a kernel epoll every time). */
static void slot_put(struct plat *p, struct bucket *b, uint32_t i)
{
	if (!b)
		return;
	struct bslot *s = &b->slots[i];
	s->h = NULL;
	s->inuse = 0;
	s->next_free = b->free_head;
	b->free_head = i;
	struct list *l = &b->g->kinds[b->kind];
	if (b->nused-- == b->size) { /* room again: in front */
		list_del(&b->link);
		list_add_head(&b->link, l);
	}
	if (b->nused == 0 && !(l->next == &b->link && l->prev == &b->link))
		bucket_close(p, b);
	else
		bucket_retire_if_dead(p, b);
}

static void handle_free(struct plat *p, struct plat_handle *h)
{
	if (h->closed && !h->detached && h->b && h->b->g == &p->shared) {
		h->b->nzombie--; /* a zombie whose file is gone */
		if (h->lb)
			h->lb->nzombie--;
	}
	slot_put(p, h->b, h->idx);
	slot_put(p, h->lb, h->lidx);
	free(h);
}

/* Retire every dead bucket of the shared group. A retirement may close
 * others, so the walk starts again, from the lists' heads, after each. */
static void shared_retire_all(struct plat *p)
{
	for (int again = 1; again;) {
		again = 0;
		for (int k = 0; k < BK_KINDS && !again; k++) {
			struct list *l = &p->shared.kinds[k];
			for (struct list *pos = l->next; pos != l;
			     pos = pos->next) {
				struct bucket *b =
				    container_of(pos, struct bucket, link);
				if (bucket_dead(p, b)) {
					bucket_retire_if_dead(p, b);
					again = 1;
					break;
				}
			}
		}
	}
}

/* Free the group's zombies whose file is gone; how many were freed. */
static int group_reclaim(struct plat *p, struct plat_group *g)
{
	int n = 0;
	struct list *pos, *tmp;
	p->retire_hold++;
	list_for_each_safe(pos, tmp, &g->zombies)
	{
		struct plat_handle *h =
		    container_of(pos, struct plat_handle, zlink);
		if (handle_gone(p, h)) {
			list_del(&h->zlink);
			handle_free(p, h);
			n++;
		}
	}
	p->retire_hold--;
	if (g == &p->shared)
		shared_retire_all(p);
	return n;
}

void plat_trim(struct plat *p)
{
	p->refused_valid = 0; /* the sweep may have freed paths */
	struct list *gp, *bp, *tmp;
	for (gp = p->groups.next; gp != &p->groups; gp = gp->next) {
		struct plat_group *g =
		    container_of(gp, struct plat_group, link);
		if (!list_empty(&g->zombies))
			group_reclaim(p, g);
		for (int k = 0; k < BK_KINDS; k++)
			list_for_each_safe(bp, tmp, &g->kinds[k])
			{
				struct bucket *b =
				    container_of(bp, struct bucket, link);
				if (b->nused == 0)
					bucket_close(p, b);
			}
	}
}

static struct bucket *slot_find(struct plat *p, struct plat_group *g,
				enum bucket_kind kind, uint32_t *idx, int *err)
{
	struct list *l = &g->kinds[kind];
	/* Buckets with room come first: only the first needs a look. */
	for (int tries = 0; tries < 2; tries++) {
		if (!list_empty(l)) {
			struct bucket *b =
			    container_of(l->next, struct bucket, link);
			if (b->nused < b->size &&
			    (*idx = slot_take(b)) != NO_SLOT)
				return b;
		}
		if (tries || list_empty(&g->zombies) || !group_reclaim(p, g))
			break;
	}
	struct bucket *b = bucket_new(p, g, kind, err);
	if (!b)
		return NULL;
	if ((*idx = slot_take(b)) == NO_SLOT) {
		*err = -ENOMEM;
		return NULL;
	}
	return b;
}

/* Registrations are made and changed under their reserved numbers, onto
 * which the guest's file (supervisor fd d) is dup3'd for the epoll_ctl:
 * "staging". One staging serves consecutive epoll_ctls under the same
 * number (a watch's edge and level copies share their key when they can);
 * unstage puts the placeholder back, and must come before the caller
 * returns, or the number would keep the guest's file open. */
static int stage(struct plat *p, int *staged, int d, int num)
{
	if (*staged == num)
		return 0;
	if (*staged >= 0)
		dup3(p->anchor, *staged, O_CLOEXEC);
	*staged = -1;
	if (dup3(d, num, O_CLOEXEC) < 0)
		return -errno;
	*staged = num;
	return 0;
}

static void unstage(struct plat *p, int *staged)
{
	if (*staged >= 0)
		dup3(p->anchor, *staged, O_CLOEXEC); /* the placeholder back */
	*staged = -1;
}

static int slot_num(const struct plat *p, const struct bucket *b, uint32_t i)
{
	return p->slot_base + (int)b->slots[i].key;
}

/* epoll_ctl(b, op) for slot i, its file staged under its number. */
static int slot_ctl(struct plat *p, struct bucket *b, uint32_t i, int op, int d,
		    uint32_t mask, int *staged)
{
	int num = slot_num(p, b, i);
	int r = stage(p, staged, d, num);
	if (r < 0)
		return r;
	struct epoll_event ev = {
	    .events = mask,
	    .data.u64 = (uint64_t)b->slots[i].gen << 32 | i,
	};
	return epoll_ctl(b->ep, op, num, &ev) < 0 ? -errno : 0;
}

static int key_used(const struct bucket *b, uint32_t i, uint32_t k)
{
	for (uint32_t j = 0; j < b->cap; j++)
		if (j != i && b->slots[j].inuse && b->slots[j].key == k)
			return 1;
	return 0;
}

/* A key for new slot i of b: `want` if no other used slot has it, else
 * the smallest one free (a level bucket has at most LEVEL_MAX slots, so
 * one is found among the first LEVEL_MAX + 1). */
static uint32_t slot_key(const struct plat *p, const struct bucket *b,
			 uint32_t i, int64_t want)
{
	if (b->kind != BK_LEVEL || want < 0)
		return i;
	if (!key_used(b, i, (uint32_t)want))
		return (uint32_t)want;
	for (uint32_t k = 0; k < p->nslots; k++)
		if (!key_used(b, i, k))
			return k;
	return i;
}

/* Register d in a slot of the group's `kind` buckets, keyed by `want`
 * if it can be (-1: its index). The file stays staged (*staged). */
static int slot_register(struct plat *p, struct plat_group *g,
			 enum bucket_kind kind, int d, uint32_t mask,
			 struct plat_handle *h, struct bucket **bp,
			 uint32_t *ip, int64_t want, int *staged)
{
	int err = 0;
	uint32_t i;
	struct bucket *b = slot_find(p, g, kind, &i, &err);
	if (!b)
		return err;
	struct bslot *s = &b->slots[i];
	s->gen++;
	s->level = 0;
	s->key = slot_key(p, b, i, want);
	err = slot_ctl(p, b, i, EPOLL_CTL_ADD, d, mask, staged);
	if (err < 0) {
		slot_put(p, b, i);
		/* Not kept for later, as slot_put keeps the last of a kind:
		 * an edge bucket the kernel's path limit refused would stay
		 * empty beside the ring bucket that takes the watch. */
		if (b->nused == 0 && !b->closed)
			bucket_close(p, b);
		return err;
	}
	s->h = h;
	*bp = b;
	*ip = i;
	return 0;
}

/* The level copy is never exclusive: it must not change how far a wake-up
 * walks the file's wait queue. */
static uint32_t level_mask(uint32_t mask)
{
	return mask & ~EPOLLEXCLUSIVE;
}

/* Where a watch of group g goes: its own buckets, or the shared ones. */
static struct plat_group *watch_group(struct plat *p, struct plat_group *g)
{
	if (!g->decided) {
		g->decided = 1;
		g->shares = p->nfds >= p->fd_budget / SHARE_FROM_DIV;
	}
	return g->shares ? &p->shared : g;
}

int anon_inode(const struct plat *p, const struct stat *st)
{
	return st->st_dev == p->anon_dev && st->st_ino == p->anon_ino;
}

/* Is d the last file whose nested watch the kernel refused for its paths?
 * Only a hint: either answer gives a correct watch (a nested ADD that is
 * refused again, or a ring watch a nested one could have been). */
static int nest_refused(const struct plat *p, const struct stat *st, int d)
{
	if (!st || !p->refused_valid || anon_inode(p, st) != p->refused_anon)
		return 0;
	if (p->refused_anon)
		return kcmp_epoll(p->self, p->self, d, p->refused_ep,
				  p->refused_tfd) == 0;
	return p->refused_dev == st->st_dev && p->refused_ino == st->st_ino;
}

/* Bits the kernel allows beside EPOLLEXCLUSIVE (EPOLLEXCLUSIVE_OK_BITS). */
#define EXCLUSIVE_OK_BITS                                                      \
	(EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET |    \
	 EPOLLEXCLUSIVE)

/* Was an EINVAL for the watch's mask rather than for the file's paths?
 * do_epoll_ctl refuses EPOLLEXCLUSIVE with other bits, or on an epoll
 * file, before ep_insert counts any path. */
static int mask_refused(const struct plat *p, int d, uint32_t mask)
{
	if (!(mask & EPOLLEXCLUSIVE))
		return 0;
	return (mask & ~EXCLUSIVE_OK_BITS) || own_fd_is_epoll(p, d);
}

/* Remember a file whose nested watch the kernel refused for its paths,
 * and which took the ring watch h: by its inode, or, for an anonymous
 * inode (which every eventfd, timerfd, signalfd and epoll file shares),
 * by that watch's registration. */
static void nest_refusal_seen(struct plat *p, const struct stat *st,
			      const struct plat_handle *h)
{
	if (!st)
		return;
	p->refused_valid = 1;
	p->refused_anon = anon_inode(p, st);
	p->refused_dev = st->st_dev;
	p->refused_ino = st->st_ino;
	p->refused_ep = h->b->ep;
	p->refused_tfd = slot_num(p, h->b, h->idx);
}

int bucket_watch_new(struct plat *p, struct plat_group *g, int d,
		     const struct stat *st, uint32_t mask, int unnested,
		     void *cookie, struct plat_handle **out)
{
	struct plat_handle *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	g = watch_group(p, g);
	/* Edge copy first: a file's wake-up calls the wait-queue entries of
	 * normal watchers newest first (add_wait_queue puts them at the
	 * head; exclusive ones go to the tail), so the level copy is queued
	 * in its bucket before the edge copy's callback can make us read
	 * that bucket. The other way round, a read racing the waker could
	 * miss the very readiness it was woken for. */
	int refused = nest_refused(p, st, d), staged = -1;
	int r = refused ? -EINVAL
			: slot_register(p, g, BK_EDGE, d, mask | EPOLLET, h,
					&h->b, &h->idx, -1, &staged);
	if (r == -EINVAL && mask_refused(p, d, mask | EPOLLET)) {
		unstage(p, &staged);
		free(h); /* the kernel's own answer to the call */
		return r;
	}
	/* EINVAL: the file has its 500 paths of length 2 through nested
	 * epolls (reverse_path_check), which Linux does not count against
	 * direct watchers. Watches of closed instances are such paths until
	 * the sweep: the caller sweeps first, then asks for a bucket nested
	 * in nothing (unnested), which takes the watch. */
	if (r == -EINVAL && unnested) {
		r = slot_register(p, g, BK_RING, d, mask | EPOLLET, h, &h->b,
				  &h->idx, -1, &staged);
		if (r == 0 && !refused)
			nest_refusal_seen(p, st, h);
	}
	if (r == 0) {
		r = slot_register(p, g, BK_LEVEL, d, level_mask(mask), h,
				  &h->lb, &h->lidx, h->b->slots[h->idx].key,
				  &staged);
		if (r < 0) {
			slot_ctl(p, h->b, h->idx, EPOLL_CTL_DEL, d, 0, &staged);
			slot_put(p, h->b, h->idx);
		}
	}
	unstage(p, &staged);
	if (r < 0) {
		free(h);
		return r;
	}
	h->ep = h->lb->ep;
	h->tfd = slot_num(p, h->lb, h->lidx);
	h->mask = mask;
	h->cookie = cookie;
	h->anchor = -1;
	list_init(&h->zlink);
	*out = h;
	return 0;
}

int bucket_ident_new(struct plat *p, int d, struct plat_handle **out)
{
	struct plat_handle *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	int staged = -1;
	int r = slot_register(p, &p->ident, BK_IDENT, d, 0, h, &h->b, &h->idx,
			      -1, &staged);
	unstage(p, &staged);
	if (r < 0) {
		free(h);
		return r;
	}
	h->ep = h->b->ep;
	h->tfd = slot_num(p, h->b, h->idx);
	h->anchor = -1;
	list_init(&h->zlink);
	*out = h;
	return 0;
}

int bucket_handle_modify(struct plat *p, struct plat_handle *h, int d,
			 uint32_t mask)
{
	/* In place, as ep_modify: the registrations keep their places in
	 * the file's wait queue. */
	int staged = -1;
	int r = slot_ctl(p, h->b, h->idx, EPOLL_CTL_MOD, d, mask | EPOLLET,
			 &staged);
	if (r == 0) {
		r = slot_ctl(p, h->lb, h->lidx, EPOLL_CTL_MOD, d,
			     level_mask(mask), &staged);
		if (r < 0)
			slot_ctl(p, h->b, h->idx, EPOLL_CTL_MOD, d,
				 h->mask | EPOLLET, &staged);
	}
	unstage(p, &staged);
	if (r == 0)
		h->mask = mask;
	h->fresh_gen = 0; /* polled with the mask it had */
	return r;
}

void bucket_handle_detach(struct plat *p, struct plat_handle *h, int d)
{
	if (h->detached || h->closed)
		return;
	/* ENOENT: d is no longer the file (a racing close and reuse), so
	 * the registrations stay, a zombie once the handle is closed. */
	int staged = -1;
	int r = slot_ctl(p, h->b, h->idx, EPOLL_CTL_DEL, d, 0, &staged);
	if (r == 0 && h->lb)
		slot_ctl(p, h->lb, h->lidx, EPOLL_CTL_DEL, d, 0, &staged);
	unstage(p, &staged);
	if (r == 0)
		h->detached = 1;
}

void plat_handle_close(struct plat *p, struct plat_handle *h)
{
	if (!h || h->closed)
		return;
	if (h->serial)
		u64map_del(&p->serials, h->serial);
	if (h->anchor >= 0) {
		/* Closing it also takes it out of the guest's file, if that
		 * still lives. */
		close(h->anchor);
		h->anchor = -1;
		p->nfds--;
	}
	h->closed = 1;
	h->cookie = NULL;
	if (h->detached) {
		handle_free(p, h);
		return;
	}
	/* Its registrations go with its file, or with its group: which
	 * comes first is looked up only when slots or fds are wanted back
	 * (slot_find, plat_trim), not on every close. */
	list_add_tail(&h->zlink, &h->b->g->zombies);
	if (h->b->g == &p->shared) {
		/* Shared buckets do not die with the instance: count the
		 * zombie, and close a bucket left with nothing else. */
		struct bucket *b = h->b, *lb = h->lb;
		b->nzombie++;
		if (lb)
			lb->nzombie++;
		/* Retiring b may retire lb too: both stay readable until
		 * the batch ends. */
		int opened = plat_batch_hold(p);
		bucket_retire_if_dead(p, b);
		if (lb)
			bucket_retire_if_dead(p, lb);
		plat_batch_release(p, opened);
	}
}

int plat_short_of_handles(struct plat *p)
{
	return p->nfds + 16 >= p->fd_budget;
}

/* Read a level bucket: every registration whose file is ready now. */
static void level_refresh(struct plat *p, struct bucket *b)
{
	struct epoll_event evs[LEVEL_MAX];
	for (uint32_t i = 0; i < b->cap; i++)
		b->slots[i].level = 0;
	int n = epoll_wait(b->ep, evs, LEVEL_MAX, 0);
	for (int k = 0; k < n; k++) {
		uint32_t i = (uint32_t)evs[k].data.u64;
		uint32_t gen = (uint32_t)(evs[k].data.u64 >> 32);
		if (i < b->cap && b->slots[i].gen == gen)
			b->slots[i].level = evs[k].events;
	}
	b->level_gen = p->poll_gen;
}

uint32_t bucket_handle_level(struct plat *p, struct plat_handle *h, int afresh)
{
	struct bucket *b = h->lb;
	if (!b || h->detached)
		return 0;
	/* Woken since the readiness was last current: its edge copy's read
	 * polled it then, with the same mask. */
	if (!afresh && h->fresh_gen == p->poll_gen)
		return h->fresh;
	if (afresh || b->level_gen != p->poll_gen)
		level_refresh(p, b);
	return b->slots[h->lidx].level;
}

void pump_harvest(struct plat *p, struct bucket *pump, struct plat_handle *skip)
{
	struct epoll_event evs[64];
	int n;
	do {
		if (pump->closed)
			return;
		n = epoll_wait(pump->ep, evs, 64, 0);
		for (int k = 0; k < n && !pump->closed; k++)
			bucket_harvest(p, evs[k].data.ptr, skip);
	} while (n == 64);
}

void bucket_harvest(struct plat *p, struct bucket *b, struct plat_handle *skip)
{
	struct epoll_event evs[256];
	int n;

	do {
		if (b->closed)
			return;
		n = epoll_wait(b->ep, evs, 256, 0);
		/* Readiness read before these wake-ups is out of date; in a
		 * batch, the batch's start made it so (plat_batch_hold). */
		if (!p->in_batch)
			p->poll_gen++;
		for (int k = 0; k < n && !b->closed; k++) {
			uint32_t i = (uint32_t)evs[k].data.u64;
			uint32_t gen = (uint32_t)(evs[k].data.u64 >> 32);
			if (i >= b->cap)
				continue;
			struct bslot *s = &b->slots[i];
			/* A closed handle keeps its slot as a zombie
			 * (cookie NULL) until its file goes. */
			if (!s->h || s->gen != gen || !s->h->cookie)
				continue;
			s->h->fresh = evs[k].events;
			s->h->fresh_gen = p->poll_gen;
			if (s->h != skip)
				emu_wakeup(p->emu, s->h->cookie);
		}
	} while (n == 256);
}
