/* poll.c: poll, ppoll, select and pselect6.
 *
 * Each of our instances is a real kernel epoll file whose only registration
 * is the instance's anchor, which the supervisor makes readable exactly
 * while the instance has something on its ready list (emu_publish). So the
 * kernel itself can poll every fd of the call, ours included, and these
 * calls go back to it (SECCOMP_USER_NOTIF_FLAG_CONTINUE) with Linux's own
 * argument checks, blocking, timeouts, temporary signal masks, restart
 * rules and write-back. A poll that sleeps in the kernel on one of our
 * instances is woken by the kernel when its anchor becomes readable.
 *
 * What is left to do here is to make what the files show exact at the
 * moment of the call: the wake-ups the caller caused before it are
 * delivered (plat_sync), and instances whose ready lists went stale since
 * (a level-triggered entry whose data was read) stop showing readable
 * (emu_publish_exact). Whatever fds the sets name, and however the caller
 * got them (dup, fork, SCM_RIGHTS, another thread), the kernel sees the
 * same files.
 *
 * The sets are read only in the rare case where an instance's ready list
 * starts with stale entries: Linux's poll of that instance drops them,
 * which decides where they queue next, so it matters whether this call
 * polls it (names_instance). */
#include "poll_calls.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/syscall.h>

#include "epoll.h"
#include "epoll_wait.h"
#include "signalfd.h"

#define MAX_SET_FDS 65536 /* larger sets are not looked into */

/* The fds a call will poll, read on first need. */
struct call_set {
	struct emu *e;
	const struct plat_call *c;
	int loaded;
	int n;	  /* -1: the call fails before polling, or not read */
	int *fds; /* n of them */
};

static int load_poll(struct call_set *s, uint64_t addr, uint64_t nfds)
{
	if (nfds > MAX_SET_FDS)
		return -1;
	int32_t *raw = calloc(nfds * 2 + 1, sizeof(int32_t));
	if (!raw || plat_read(s->e->plat, s->c, addr, raw, nfds * 8)) {
		free(raw);
		return -1;
	}
	/* struct pollfd: fd, then events and revents in the next word. */
	for (uint64_t i = 0; i < nfds; i++)
		raw[i] = raw[2 * i];
	s->fds = raw;
	return (int)nfds;
}

static int load_select(struct call_set *s, int nfds)
{
	if (nfds < 0 || nfds > MAX_SET_FDS)
		return -1;
	size_t words = ((size_t)nfds + 63) / 64;
	uint64_t *sets = calloc(3 * words + 1, sizeof(uint64_t));
	s->fds = calloc((size_t)nfds + 1, sizeof(int));
	int n = 0;
	if (!sets || !s->fds)
		goto fail;
	for (int k = 0; k < 3; k++)
		if (s->c->args[k + 1] &&
		    plat_read(s->e->plat, s->c, s->c->args[k + 1],
			      sets + k * words, words * 8))
			goto fail;
	for (int fd = 0; fd < nfds; fd++) {
		size_t w = (size_t)fd / 64;
		uint64_t bit = 1ull << (fd % 64);
		if ((sets[w] | sets[words + w] | sets[2 * words + w]) & bit)
			s->fds[n++] = fd;
	}
	free(sets);
	return n;
fail:
	free(sets);
	return -1;
}

/* Does the call get as far as polling (the kernel's checks of the
 * timeout and mask come first)? Then read its fds. */
static int load(struct call_set *s)
{
	struct emu *e = s->e;
	const struct plat_call *c = s->c;
	const uint64_t *a = c->args;
	int has;
	uint64_t mask, pack[2];

	switch (c->nr) {
	case SYS_poll:
		return load_poll(s, a[0], (uint32_t)a[1]);
	case SYS_ppoll:
		if ((a[2] && read_timespec_ns(e, c, a[2]) < 0) ||
		    read_sigmask(e, c, a[3], a[4], &has, &mask))
			return -1;
		return load_poll(s, a[0], (uint32_t)a[1]);
	case SYS_select:
		if (a[4]) {
			int64_t tv[2];
			if (plat_read(e->plat, c, a[4], tv, sizeof(tv)) ||
			    tv[0] < 0 || tv[1] < 0)
				return -1;
		}
		return load_select(s, (int)a[0]);
	default: /* pselect6 */
		if (a[5] && plat_read(e->plat, c, a[5], pack, sizeof(pack)))
			return -1;
		if ((a[4] && read_timespec_ns(e, c, a[4]) < 0) ||
		    (a[5] && read_sigmask(e, c, pack[0], pack[1], &has, &mask)))
			return -1;
		return load_select(s, (int)a[0]);
	}
}

/* The call's fds, read on first need: how many (-1: the call fails
 * before polling, or they are not read). */
static int call_fds(struct call_set *s)
{
	if (!s->loaded) {
		s->loaded = 1;
		s->n = load(s);
	}
	return s->n;
}

static int names_instance(void *ctx, struct ep_instance *ep)
{
	struct call_set *s = ctx;
	int n = call_fds(s);
	for (int i = 0; i < n; i++)
		if (s->fds[i] >= 0 &&
		    plat_same_file(s->e->plat, s->c, ep->h, s->fds[i]) == 0)
			return 1;
	return 0;
}

/* Would the call sleep: a timeout that is not zero? */
static int may_sleep(struct call_set *s)
{
	const uint64_t *a = s->c->args;
	int64_t t[2];
	switch (s->c->nr) {
	case SYS_poll:
		return (int)a[2] != 0;
	case SYS_ppoll:
	case SYS_select:
	case SYS_pselect6: {
		uint64_t addr = s->c->nr == SYS_ppoll ? a[2] : a[4];
		if (!addr)
			return 1;
		return plat_read(s->e->plat, s->c, addr, t, sizeof(t)) == 0 &&
		       (t[0] || t[1]);
	}
	default:
		return 0;
	}
}

/* --inject=eintr for the poll family: a signal as the call was about to
 * sleep, which Linux reports only when none of the call's fds is ready
 * (do_poll and do_select look for a signal only then). So only calls
 * that would sleep, and whose every fd shows nothing at all, get it. */
static int inject_poll_eintr(struct call_set *s)
{
	struct emu *e = s->e;
	if (s->c->abi != PLAT_ABI_X86_64 ||
	    !inject_wants(e, e->inj.key, EMU_INJ_EINTR, 0) || !may_sleep(s))
		return 0;
	int n = call_fds(s);
	if (n < 0)
		return 0; /* the call fails before it polls */
	for (int i = 0; i < n; i++)
		if (s->fds[i] >= 0 && plat_fd_poll(e->plat, s->c, s->fds[i]))
			return 0;
	inject_count(e, EMU_INJ_EINTR);
	return 1;
}

static void hand_over(struct emu *e, const struct plat_call *c)
{
	struct call_set s = {.e = e, .c = c, .n = -1};
	/* The kernel may now poll any instance's file: from here on every
	 * anchor must follow its wake-ups at once. */
	emu_native_pollers(e);
	plat_sync(e->plat);
	if (!list_empty(&e->sigfds)) {
		/* Signalfds in instances are polled for the caller. */
		sigfd_scan(e, NULL, c->tid);
		e->poll_tid = c->tid;
	}
	/* Other ABIs' sets have other layouts: not read (a stale entry of an
	 * instance they poll keeps its place, docs/DIVERGENCES.md). */
	emu_publish_exact(e, c->abi == PLAT_ABI_X86_64 ? names_instance : NULL,
			  &s);
	e->poll_tid = 0;
	int intr = e->inj.on && inject_poll_eintr(&s);
	free(s.fds);
	if (intr)
		plat_reply(e->plat, c, 0, -EINTR);
	else
		plat_continue(e->plat, c);
}

void sys_poll(struct emu *e, const struct plat_call *c)
{
	hand_over(e, c);
}

void sys_ppoll(struct emu *e, const struct plat_call *c)
{
	hand_over(e, c);
}

void sys_select(struct emu *e, const struct plat_call *c)
{
	hand_over(e, c);
}

void sys_pselect6(struct emu *e, const struct plat_call *c)
{
	hand_over(e, c);
}
