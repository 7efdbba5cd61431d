/* handles.c: which guest fd is which, and watches of guest files.
 *
 * Handles are weak registrations of guest files in bucket epolls
 * (buckets.c): they identify a file and read its readiness but never keep
 * it open, so the guest's fd lifetime is the kernel's own.
 *
 * The guest's epoll files are the kernel's own: epoll_create and
 * epoll_create1 go back to the kernel (FLAG_CONTINUE), so fcntl, fstat,
 * dup, fork, SCM_RIGHTS, close-on-exec and every error of the call are
 * exact. A file is adopted as an emulated instance when a call first
 * names it (plat_epoll_adopt): from then on it holds exactly one
 * registration, the instance's "anchor", an eventfd of ours registered
 * for EPOLLIN with the instance's serial number as data. Until then it is
 * an empty kernel epoll, which is what an unused instance is.
 * - /proc/<tid>/fdinfo/<fd> names the instance behind any guest fd, and a
 *   kcmp against the instance's handle confirms it (a guest cannot forge
 *   it).
 * - The anchor is readable exactly while the instance has events
 *   (plat_epoll_readable), so the kernel's own poll, select and epoll of
 *   the file, from any thread or process and under any fd number, see the
 *   instance's readiness and are woken by the kernel when it comes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compat.h"
#include "interpoll/engine.h"
#include "linux_plat.h"

int kcmp_epoll(pid_t pid1, pid_t pid2, int fd, int ep, int tfd)
{
	struct kcmp_epoll_slot slot = {(uint32_t)ep, (uint32_t)tfd, 0};
	long r = syscall(SYS_kcmp, pid1, pid2, KCMP_EPOLL_TFD, fd, &slot);
	return r < 0 ? -errno : (int)r;
}

int handle_same(struct plat *p, int tid, int fd, struct plat_handle *h)
{
	int r = kcmp_epoll(tid, p->self, fd, h->ep, h->tfd);
	if (r > 0)
		return 1;
	return r;
}

int handle_gone(struct plat *p, const struct plat_handle *h)
{
	/* Any file of ours will do as the left side: only ENOENT matters. */
	return kcmp_epoll(p->self, p->self, h->ep, h->ep, h->tfd) == -ENOENT;
}

/* A registration found gone went with its file (we remove one only with
 * its handle's): the other copy has gone too, so closing the handle can
 * free its slots at once instead of keeping a zombie to look at again. */
static void mark_gone(struct plat_handle *h)
{
	h->detached = 1;
}

int plat_handle_alive(struct plat *p, struct plat_handle *h)
{
	if (!h || h->closed)
		return 0;
	if (!handle_gone(p, h))
		return 1;
	mark_gone(h);
	return 0;
}

uint32_t plat_watch_poll(struct plat *p, struct plat_handle *h)
{
	if (!h || h->closed)
		return 0;
	return bucket_handle_level(p, h, 0);
}

static void hint_add(struct task *t, int fd, uint64_t serial)
{
	/* u64map values must not be NULL: a serial is never 0. */
	u64map_put(&t->hints, (uint32_t)fd, (void *)(uintptr_t)serial);
}

static struct plat_handle *instance_of_serial(struct plat *p, uint64_t s)
{
	return s ? u64map_get(&p->serials, s) : NULL;
}

static int grab(struct plat *p, const struct plat_call *c, int fd);

int plat_epoll_adopt(struct plat *p, const struct plat_call *c, int fd,
		     void *object, struct plat_handle **out)
{
	int err;
	*out = NULL;
	if (p->nfds >= p->fd_budget)
		return -EMFILE;
	int g = grab(p, c, fd);
	if (g < 0)
		return g == -ESRCH ? -EBADF : g;
	int anchor = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (anchor < 0) {
		err = -errno;
		close(g);
		return err;
	}
	uint64_t serial = ++p->serial_next;
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = serial};
	struct plat_handle *h = NULL;
	err = epoll_ctl(g, EPOLL_CTL_ADD, anchor, &ev) < 0 ? -errno : 0;
	if (err == 0)
		err = bucket_ident_new(p, g, &h);
	close(g);
	if (err < 0) {
		close(anchor);
		return err;
	}
	h->anchor = anchor;
	p->nfds++;
	h->serial = serial;
	h->object = object;
	if (u64map_put(&p->serials, serial, h)) {
		h->serial = 0;
		plat_handle_close(p, h);
		return -ENOMEM;
	}
	struct task *t = plat_task_get(p, c);
	if (t)
		hint_add(t, fd, serial);
	*out = h;
	return 0;
}

/* What /proc/.../fd/<fd> says an anonymous-inode file is. */
enum anon_kind { ANON_OTHER, ANON_EPOLL, ANON_SIGNALFD };

static enum anon_kind anon_kind(int pid, int fd)
{
	char path[64], buf[64];
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return ANON_OTHER;
	buf[n] = 0;
	if (strcmp(buf, "anon_inode:[eventpoll]") == 0)
		return ANON_EPOLL;
	if (strcmp(buf, "anon_inode:[signalfd]") == 0)
		return ANON_SIGNALFD;
	return ANON_OTHER;
}

int own_fd_is_epoll(const struct plat *p, int d)
{
	return anon_kind(p->self, d) == ANON_EPOLL;
}

/* Read the serial in an epoll fdinfo file, or 0. Sets *opath. */
static uint64_t fdinfo_serial(const char *path, int *opath, int *missing)
{
	char buf[4096];
	*opath = 0;
	*missing = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		/* Gone, or the supervisor out of fds (-EMFILE): the caller
		 * must not take our shortage for the guest's EBADF. */
		*missing = errno == EMFILE || errno == ENFILE ? -EMFILE : 1;
		return 0;
	}
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	const char *f = strstr(buf, "flags:");
	if (f) {
		unsigned long flags = strtoul(f + 6, NULL, 8);
		if (flags & O_PATH)
			*opath = 1;
	}
	const char *d = strstr(buf, "tfd:");
	if (!d || !(d = strstr(d, "data:")))
		return 0;
	return strtoull(d + 5, NULL, 16);
}

void plat_epoll_readable(struct plat *p, struct plat_handle *h, int readable)
{
	uint64_t v = 1;
	(void)p;
	if (!h || h->anchor < 0)
		return;
	/* Readable: a count of 1; not: read back to 0. The emulation tells
	 * only changes, so the count stays 0 or 1 and neither blocks (the
	 * anchor is non-blocking too). */
	if (readable)
		(void)!write(h->anchor, &v, sizeof(v));
	else
		(void)!read(h->anchor, &v, sizeof(v));
}

/* The instance the caller used at this fd number before, verified. */
static void *hint_epoll(struct plat *p, const struct plat_call *c, int fd)
{
	struct task *t = plat_task_get(p, c);
	if (!t || fd < 0)
		return NULL;
	uint64_t serial = (uintptr_t)u64map_get(&t->hints, (uint32_t)fd);
	struct plat_handle *h = instance_of_serial(p, serial);
	if (h && handle_same(p, c->tid, fd, h) == 0)
		return h->object;
	return NULL;
}

void *plat_lookup_epoll(struct plat *p, const struct plat_call *c, int fd,
			int *err)
{
	void *obj = hint_epoll(p, c, fd);
	if (obj)
		return obj;
	if (fd < 0) {
		*err = -EBADF;
		return NULL;
	}
	char path[64];
	int opath, missing;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", c->tid, fd);
	uint64_t serial = fdinfo_serial(path, &opath, &missing);
	if (missing < 0) {
		*err = missing;
		return NULL;
	}
	if (missing || opath) {
		*err = -EBADF;
		return NULL;
	}
	struct plat_handle *h = instance_of_serial(p, serial);
	if (h && handle_same(p, c->tid, fd, h) == 0) {
		struct task *t = plat_task_get(p, c);
		if (t)
			hint_add(t, fd, serial);
		return h->object;
	}
	/* No anchor: a kernel epoll that no call has named before. */
	*err = !serial && anon_kind(c->tid, fd) == ANON_EPOLL ? PLAT_UNADOPTED
							      : -EINVAL;
	return NULL;
}

/* Copy guest fd into the supervisor (the copy shares the open file
 * description; it is closed again before the call is answered). */
static int grab(struct plat *p, const struct plat_call *c, int fd)
{
	struct task *t = plat_task_get(p, c);
	if (!t)
		return -ESRCH;
	if (fd < 0)
		return -EBADF;
	int d = (int)syscall(SYS_pidfd_getfd, t->pidfd, fd, 0);
	return d < 0 ? -errno : d;
}

/* Is supervisor fd d (a copy of a guest file with an anonymous inode) one
 * of our instances? */
static struct plat_handle *own_instance(struct plat *p, int d)
{
	char path[64];
	int opath, missing;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", d);
	struct plat_handle *h =
	    instance_of_serial(p, fdinfo_serial(path, &opath, &missing));
	if (h && kcmp_epoll(p->self, p->self, d, h->ep, h->tfd) == 0)
		return h;
	return NULL;
}

/* A watch that was just registered or modified while its file is ready
 * was queued by the kernel at once: that is not a wake-up of the file (the
 * emulation applies ep_insert/ep_modify's own "ready now" rule), so it is
 * drained and dropped here, and whatever else was queued is delivered.
 * Whether the file is ready is read from the watch's level copy, which
 * the registration (ep_insert) or the change (ep_modify) has just polled:
 * the read also serves the emulation's own "ready now" check. */
static void settle_watch(struct plat *p, struct plat_handle *h, int added)
{
	struct plat_group *g = h->b->g;
	if (!g->quiet) {
		if (bucket_handle_level(p, h, 1))
			plat_drain_all(p, h);
		return;
	}
	/* A quiet group's wake-ups wait in its edge buckets, where the main
	 * epoll cannot see them; the file's own queued wake-up is read by
	 * the next drain as one of an entry queued already. A MOD's lookup
	 * has drained them; an ADD's has not (ep_lookup_add): one read of
	 * the buckets now gives the wake-ups from before the registration,
	 * in order, and the new file's readiness, which ep_insert queued in
	 * the same bucket if ready and the read polled. */
	if (!added || h->b->kind != BK_EDGE) {
		if (added)
			group_harvest(p, g, h);
		bucket_handle_level(p, h, 1);
		return;
	}
	h->fresh_gen = 0;
	group_harvest(p, g, h);
	if (!h->fresh_gen)
		h->fresh = 0; /* not reported: not ready */
	h->fresh_gen = p->poll_gen;
}

int plat_watch_open(struct plat *p, const struct plat_call *c,
		    struct plat_group *g, int fd, uint32_t mask, int flags,
		    void *cookie, enum plat_kind *kind, void **object,
		    struct plat_handle **out)
{
	int d = grab(p, c, fd);
	if (d < 0)
		return d == -ESRCH ? -EBADF : d;
	/* Files whose readiness is not the kernel's to us are all
	 * anonymous-inode ones: one fstat tells most files apart, and the
	 * fd's link names the rest. The buckets also know a file by it. */
	struct stat st;
	int have_st = fstat(d, &st) == 0;
	int r =
	    bucket_watch_new(p, g, d, have_st ? &st : NULL, mask,
			     (flags & PLAT_WATCH_ANY_COUNT) != 0, cookie, out);
	if (r == 0) {
		settle_watch(p, *out, 1);
		int anon = have_st && anon_inode(p, &st);
		enum anon_kind ak = anon ? anon_kind(p->self, d) : ANON_OTHER;
		struct plat_handle *inst =
		    ak == ANON_EPOLL ? own_instance(p, d) : NULL;
		*kind = PLAT_HOST;
		*object = NULL;
		if (inst) {
			*kind = PLAT_EPOLL;
			*object = inst->object;
		} else if (ak == ANON_EPOLL) {
			*kind = PLAT_EPOLL_NEW;
		} else if (ak == ANON_SIGNALFD) {
			*kind = PLAT_SIGNALFD;
			signalfd_read_mask(d, &(*out)->sigmask);
		}
	}
	close(d);
	return r;
}

int plat_watch_modify(struct plat *p, const struct plat_call *c, int fd,
		      struct plat_handle **hp, uint32_t mask)
{
	struct plat_handle *h = *hp;
	int d = grab(p, c, fd);
	if (d < 0)
		return d == -ESRCH ? -EBADF : d;
	/* Modify in place, as ep_modify does: the watch keeps its place in
	 * the file's wait queue, so the order in which one wake-up reaches
	 * several entries stays the kernel's. */
	int r = bucket_handle_modify(p, h, d, mask);
	if (r == 0)
		settle_watch(p, h, 0);
	close(d);
	return r;
}

void plat_watch_release(struct plat *p, const struct plat_call *c, int fd,
			struct plat_handle *h)
{
	if (!h || h->closed || h->detached)
		return;
	int d = grab(p, c, fd);
	if (d < 0)
		return;
	bucket_handle_detach(p, h, d);
	close(d);
}

int plat_same_file(struct plat *p, const struct plat_call *c,
		   struct plat_handle *h, int fd)
{
	int r = handle_same(p, c->tid, fd, h);
	if (r == -ENOENT)
		mark_gone(h);
	return r;
}

int plat_fd_pollable(struct plat *p, const struct plat_call *c, int fd)
{
	int d = grab(p, c, fd);
	if (d < 0)
		return d == -ESRCH ? -EBADF : d;
	struct epoll_event ev = {0};
	int r = 0;
	if (epoll_ctl(p->probe, EPOLL_CTL_ADD, d, &ev) < 0)
		r = errno == EPERM ? -EPERM : errno == EBADF ? -EBADF : 0;
	else
		epoll_ctl(p->probe, EPOLL_CTL_DEL, d, NULL);
	close(d);
	return r;
}

int plat_fd_poll(struct plat *p, const struct plat_call *c, int fd)
{
	int d = grab(p, c, fd);
	if (d < 0)
		return d == -ESRCH ? -EBADF : d;
	struct pollfd pfd = {.fd = d,
			     .events = POLLIN | POLLOUT | POLLPRI | POLLRDHUP};
	int r = poll(&pfd, 1, 0) < 0 ? -errno : pfd.revents;
	close(d);
	return r;
}
