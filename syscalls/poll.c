/* poll.c: poll, ppoll, select and pselect6.
 *
 * Only interpoll knows the readiness of its epoll instances; every other
 * file's readiness is the kernel's. So a call whose sets hold none of our
 * instances is handed back to the kernel (SECCOMP_USER_NOTIF_FLAG_CONTINUE),
 * which gives Linux's exact blocking, timeout and restart behaviour at the
 * cost of one round trip. A call that holds one of our instances is
 * serviced here: instances are polled from our tables, other files through
 * platform watches, and a blocked call waits in the tables like an
 * epoll_wait.
 *
 * The sets are read once; the kernel re-reads them after CONTINUE, so a
 * guest that rewrites them concurrently can slip an instance past us: the
 * kernel then sees an epoll with nothing ready (docs/DIVERGENCES.md). */
#include "poll_calls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "epoll.h"
#include "epoll_wait.h"
#include "waiter.h"

#define POLLIN_ 0x001
#define POLLPRI_ 0x002
#define POLLOUT_ 0x004
#define POLLERR_ 0x008
#define POLLHUP_ 0x010
#define POLLNVAL_ 0x020
#define POLLRDNORM_ 0x040
#define POLLRDBAND_ 0x080
#define POLLWRNORM_ 0x100
#define POLLWRBAND_ 0x200
#define DEFAULT_POLLMASK (POLLIN_ | POLLOUT_ | POLLRDNORM_ | POLLWRNORM_)
#define MAX_PFDS_COPY (1 << 20)

struct pollfd_ {
	int32_t fd;
	int16_t events;
	int16_t revents;
};

/* One watched fd of a serviced poll. */
struct poll_slot {
	int fd;
	uint16_t events;
	uint8_t sets; /* select: SET_R | SET_W | SET_X it was asked in */
	struct ep_instance *ep; /* one of ours, or NULL */
	struct plat_handle *h;	/* watch of a host file, or NULL */
	int err;		/* -EBADF: POLLNVAL; -EPERM: not pollable */
	struct list plink;	/* in ep->pollers */
	struct poll_wait *pw;
};

struct poll_wait {
	int wake_tag; /* WAKE_POLL: see emu_wakeup */
	struct waiter *w;
	int n;
	int is_ppoll;
	uint64_t pfds_addr;
	uint64_t tsp_addr; /* ppoll: where the remaining time goes */
	/* select and pselect6: slots come from the three fd sets. */
	int is_select;
	int ts_kind; /* select: struct timeval; pselect6: timespec */
	int nfds;
	uint64_t set_addr[3];
	struct plat_group *watches; /* of the slots' host files */
	struct poll_slot slots[];
};

/* fs/select.c: POLLIN_SET, POLLOUT_SET, POLLEX_SET. An fd that is open but
 * cannot be polled (O_PATH) is EPOLLNVAL, which is in all three. */
#define SEL_IN                                                                 \
	(POLLRDNORM_ | POLLRDBAND_ | POLLIN_ | POLLHUP_ | POLLERR_ | POLLNVAL_)
#define SEL_OUT (POLLWRBAND_ | POLLWRNORM_ | POLLOUT_ | POLLERR_ | POLLNVAL_)
#define SEL_EX (POLLPRI_ | POLLNVAL_)
#define SET_R 1
#define SET_W 2
#define SET_X 4
#define TS_TIMEVAL 1
#define TS_TIMESPEC 2

static int64_t poll_nofile_check(struct emu *e, const struct plat_call *c,
				 uint64_t nfds)
{
	int64_t lim = plat_nofile_limit(e->plat, c);
	return nfds > (uint64_t)lim ? -EINVAL : 0;
}

static void poll_wait_free(struct emu *e, struct poll_wait *pw)
{
	for (int i = 0; i < pw->n; i++) {
		list_del(&pw->slots[i].plink);
		if (pw->slots[i].h)
			plat_handle_close(e->plat, pw->slots[i].h);
	}
	plat_group_free(e->plat, pw->watches);
	free(pw);
}

/* Poll every slot; fills revents. Returns the number of ready slots. */
static int poll_eval(struct emu *e, struct poll_wait *pw, int16_t *revents)
{
	int count = 0;
	for (int i = 0; i < pw->n; i++) {
		struct poll_slot *s = &pw->slots[i];
		uint32_t want = s->events | POLLERR_ | POLLHUP_, rev = 0;
		if (s->fd < 0)
			rev = 0;
		else if (s->err == -EBADF)
			rev = POLLNVAL_;
		else if (s->err == -EPERM)
			rev = DEFAULT_POLLMASK & want;
		else if (s->ep)
			rev = ep_instance_poll(s->ep, 0) & want;
		else if (s->h)
			rev = plat_watch_poll(e->plat, s->h) & want;
		revents[i] = (int16_t)rev;
		if (rev)
			count++;
	}
	return count;
}

/* Write back only the revents fields, as the kernel does. */
static int poll_writeback(struct emu *e, const struct plat_call *c,
			  uint64_t addr, const int16_t *revents, int n)
{
	for (int i = 0; i < n; i++) {
		if (plat_write(e->plat, c, addr + (uint64_t)i * 8 + 6,
			       &revents[i], 2))
			return -EFAULT;
	}
	return 0;
}

/* poll_select_finish: the remaining time goes back to the caller's
 * timespec (ppoll, pselect6) or timeval (select); a fault is ignored. */
static void write_remaining(struct emu *e, const struct plat_call *c,
			    uint64_t tsp, int64_t deadline, int kind)
{
	if (!tsp || deadline == NEVER)
		return;
	int64_t left = deadline - plat_now_ns(e->plat);
	if (left < 0)
		left = 0;
	int64_t ts[2] = {left / 1000000000, left % 1000000000};
	if (kind == TS_TIMEVAL)
		ts[1] /= 1000;
	(void)plat_write(e->plat, c, tsp, ts, sizeof(ts));
}

/* Turn revents into the three result sets and write them back. Returns
 * the number of bits set, or -EFAULT. */
static int select_writeback(struct emu *e, const struct plat_call *c,
			    struct poll_wait *pw, const int16_t *revents)
{
	size_t words = ((size_t)pw->nfds + 63) / 64;
	uint64_t *sets = calloc(3 * words + 1, sizeof(uint64_t));
	int count = 0;
	if (!sets)
		return -ENOMEM;
	for (int i = 0; i < pw->n; i++) {
		struct poll_slot *s = &pw->slots[i];
		uint16_t r = (uint16_t)revents[i];
		uint64_t bit = 1ull << (s->fd % 64);
		size_t w = (size_t)s->fd / 64;
		if ((s->sets & SET_R) && (r & SEL_IN)) {
			sets[w] |= bit;
			count++;
		}
		if ((s->sets & SET_W) && (r & SEL_OUT)) {
			sets[words + w] |= bit;
			count++;
		}
		if ((s->sets & SET_X) && (r & SEL_EX)) {
			sets[2 * words + w] |= bit;
			count++;
		}
	}
	/* The kernel writes back whole longs of each set it was given
	 * (FDS_BYTES): bits from nfds to the end of the last long are
	 * cleared. */
	int r = 0;
	for (int k = 0; k < 3 && !r; k++)
		if (pw->set_addr[k] && plat_write(e->plat, c, pw->set_addr[k],
						  sets + k * words, words * 8))
			r = -EFAULT;
	free(sets);
	return r ? r : count;
}

/* Answer a serviced poll: count, or err when it did not complete. */
static void poll_finish(struct emu *e, struct poll_wait *pw,
			const struct plat_call *c, int64_t deadline, int err)
{
	int16_t *rev = calloc((size_t)pw->n + 1, sizeof(*rev));
	int count = 0;
	if (!rev) {
		plat_reply(e->plat, c, 0, -ENOMEM);
		return;
	}
	if (!err)
		count = poll_eval(e, pw, rev);
	if (pw->is_ppoll || pw->is_select)
		write_remaining(e, c, pw->tsp_addr, deadline, pw->ts_kind);
	int r;
	if (pw->is_select) {
		r = err ? 0 : select_writeback(e, c, pw, rev);
		if (r >= 0) {
			count = r;
			r = 0;
		}
	} else {
		r = poll_writeback(e, c, pw->pfds_addr, rev, pw->n);
	}
	free(rev);
	if (err)
		plat_reply(e->plat, c, 0, err);
	else
		plat_reply(e->plat, c, r ? 0 : count, r);
}

void poll_waiter_expire(struct emu *e, struct waiter *w, int err)
{
	struct poll_wait *pw = w->pw;
	poll_finish(e, pw, &w->call, w->deadline, err);
	poll_wait_free(e, pw);
	waiter_free(e, w);
}

/* Something a blocked poll watches may be ready: re-evaluate it. */
static void poll_recheck(struct emu *e, struct poll_wait *pw)
{
	int16_t stackrev[64], *rev = stackrev;
	if (pw->n > 64 && !(rev = malloc(pw->n * sizeof(*rev))))
		return;
	int count = poll_eval(e, pw, rev);
	if (rev != stackrev)
		free(rev);
	if (count)
		poll_waiter_expire(e, pw->w, 0);
}

void poll_waiters_kick(struct emu *e, struct list *pollers)
{
	/* Every poll sleeping on the instance is woken, as every waiter on
	 * an epoll file's poll queue is. A recheck may answer and free its
	 * poll, and with it that poll's other links in this list: collect
	 * the distinct polls first. */
	struct poll_wait *stackpw[16], **pws = stackpw;
	size_t n = 0, cap = 16;
	struct list *pos;
	for (pos = pollers->next; pos != pollers; pos = pos->next) {
		struct poll_wait *pw =
		    container_of(pos, struct poll_slot, plink)->pw;
		size_t i;
		for (i = 0; i < n && pws[i] != pw; i++)
			;
		if (i < n)
			continue;
		if (n == cap) {
			struct poll_wait **np = malloc(2 * cap * sizeof(*np));
			if (!np)
				break;
			memcpy(np, pws, n * sizeof(*np));
			if (pws != stackpw)
				free(pws);
			pws = np;
			cap *= 2;
		}
		pws[n++] = pw;
	}
	for (size_t i = 0; i < n; i++)
		poll_recheck(e, pws[i]);
	if (pws != stackpw)
		free(pws);
}

void poll_watch_fired(struct emu *e, struct poll_wait *pw)
{
	poll_recheck(e, pw);
}

/* Serviced path: the sets hold at least one of our instances. */
struct select_args {
	int nfds;
	int ts_kind;
	uint64_t set_addr[3];
	const uint8_t *slot_sets; /* per slot: which sets named it */
};

static void poll_service(struct emu *e, const struct plat_call *c,
			 const struct pollfd_ *pfds, int n, int64_t timeout,
			 int is_ppoll, uint64_t tsp, int has_mask,
			 uint64_t mask, const struct select_args *sel)
{
	plat_sync(e->plat);
	struct poll_wait *pw =
	    calloc(1, sizeof(*pw) + n * sizeof(pw->slots[0]));
	if (pw && !(pw->watches = plat_group_new(e->plat))) {
		free(pw);
		pw = NULL;
	}
	if (!pw) {
		plat_reply(e->plat, c, 0, -ENOMEM);
		return;
	}
	pw->wake_tag = WAKE_POLL;
	pw->n = n;
	for (int i = 0; i < n; i++)
		list_init(&pw->slots[i].plink);
	pw->is_ppoll = is_ppoll;
	pw->ts_kind = TS_TIMESPEC;
	pw->pfds_addr = c->args[0];
	pw->tsp_addr = tsp;
	if (sel) {
		pw->is_select = 1;
		pw->ts_kind = sel->ts_kind;
		pw->nfds = sel->nfds;
		memcpy(pw->set_addr, sel->set_addr, sizeof(pw->set_addr));
	}
	for (int i = 0; i < n; i++) {
		struct poll_slot *s = &pw->slots[i];
		s->fd = pfds[i].fd;
		s->events = (uint16_t)pfds[i].events;
		s->pw = pw;
		if (sel)
			s->sets = sel->slot_sets[i];
		if (s->fd < 0)
			continue;
		s->ep = plat_hint_epoll(e->plat, c, s->fd);
		if (s->ep) {
			list_add_tail(&s->plink, &s->ep->pollers);
			continue;
		}
		enum plat_kind kind;
		void *obj = NULL;
		int r = plat_watch_open(e->plat, c, pw->watches, s->fd,
					s->events | POLLERR_ | POLLHUP_, pw,
					&kind, &obj, &s->h);
		if (r < 0) {
			s->err = r == -EPERM ? -EPERM : -EBADF;
			s->h = NULL;
			if (sel && s->err == -EBADF &&
			    plat_fd_is_open(e->plat, c, s->fd)) {
				/* O_PATH: open for select (max_select_fd),
				 * but fdget refuses it: EPOLLNVAL
				 * (select_poll_one). */
			} else if (sel && s->err == -EBADF) {
				/* The kernel writes the remaining time back
				 * even then. */
				int64_t now = plat_now_ns(e->plat);
				write_remaining(e, c, tsp,
						timeout < 0 ||
							timeout > NEVER - now
						    ? NEVER
						    : now + timeout,
						sel->ts_kind);
				poll_wait_free(e, pw);
				plat_reply(e->plat, c, 0, -EBADF);
				return;
			}
		} else if (kind == PLAT_EPOLL) {
			plat_watch_release(e->plat, c, s->fd, s->h);
			plat_handle_close(e->plat, s->h);
			s->h = NULL;
			s->ep = obj;
			list_add_tail(&s->plink, &s->ep->pollers);
		}
	}
	int64_t now = plat_now_ns(e->plat);
	int64_t deadline =
	    timeout < 0 || timeout > NEVER - now ? NEVER : now + timeout;
	int16_t *rev = calloc((size_t)n + 1, sizeof(*rev));
	int count = rev ? poll_eval(e, pw, rev) : 0;
	free(rev);
	if (count || timeout == 0) {
		/* Unlike epoll, poll reports a pending signal even with a
		 * zero timeout when nothing is ready (do_poll's loop). */
		int sig = count ? PLAT_SIG_NONE
				: plat_signal_pending(e->plat, c,
						      has_mask ? &mask : NULL);
		if (sig == PLAT_SIG_HANDLER || sig == PLAT_SIG_STOP)
			poll_finish(e, pw, c, deadline,
				    sig == PLAT_SIG_HANDLER
					? -EINTR
					: -IP_ERESTARTNOHAND);
		else
			poll_finish(e, pw, c, deadline, 0);
		poll_wait_free(e, pw);
		return;
	}
	struct waiter *w = calloc(1, sizeof(*w));
	if (!w) {
		poll_wait_free(e, pw);
		plat_reply(e->plat, c, 0, -ENOMEM);
		return;
	}
	w->call = *c;
	w->kind = W_POLL;
	w->pw = pw;
	w->deadline = deadline;
	w->has_mask = has_mask;
	w->mask = mask;
	list_init(&w->link);
	pw->w = w;
	waiter_start(e, w);
}

/* Common to poll and ppoll once the timeout and mask are known. */
static void do_poll(struct emu *e, const struct plat_call *c, int64_t timeout,
		    int is_ppoll, uint64_t tsp, int has_mask, uint64_t mask)
{
	uint64_t nfds = (uint32_t)c->args[1];
	if (nfds == 0 || nfds > MAX_PFDS_COPY) {
		/* A plain sleep, or more entries than any fd table holds: the
		 * kernel's own answer is Linux's. */
		plat_continue(e->plat, c);
		return;
	}
	struct pollfd_ *pfds = malloc(nfds * sizeof(*pfds));
	if (!pfds) {
		plat_continue(e->plat, c);
		return;
	}
	if (plat_read(e->plat, c, c->args[0], pfds, nfds * sizeof(*pfds))) {
		free(pfds);
		plat_continue(e->plat, c); /* the kernel gives EFAULT */
		return;
	}
	int ours = 0;
	for (uint64_t i = 0; i < nfds && !ours; i++)
		ours = pfds[i].fd >= 0 &&
		       plat_hint_epoll(e->plat, c, pfds[i].fd) != NULL;
	/* The kernel checks nfds against RLIMIT_NOFILE itself, and its
	 * EINVAL comes with ppoll's time write-back: a call over the limit
	 * is handed back too. Only a call we would service pays for the
	 * look at the limit. */
	if (!ours || poll_nofile_check(e, c, nfds))
		plat_continue(e->plat, c);
	else
		poll_service(e, c, pfds, (int)nfds, timeout, is_ppoll, tsp,
			     has_mask, mask, NULL);
	free(pfds);
}

void sys_poll(struct emu *e, const struct plat_call *c)
{
	do_poll(e, c, ms_to_timeout_ns((int)c->args[2]), 0, 0, 0, 0);
}

void sys_ppoll(struct emu *e, const struct plat_call *c)
{
	int64_t timeout = -1;
	if (c->args[2]) {
		timeout = read_timespec_ns(e, c, c->args[2]);
		if (timeout < 0) {
			plat_reply(e->plat, c, 0, (int)timeout);
			return;
		}
	}
	int has;
	uint64_t mask = 0;
	int r = read_sigmask(e, c, c->args[3], c->args[4], &has, &mask);
	if (r) {
		plat_reply(e->plat, c, 0, r);
		return;
	}
	do_poll(e, c, timeout, 1, timeout == 0 ? 0 : c->args[2], has, mask);
}

/* select and pselect6: the kernel's answer is Linux's unless a set names
 * one of our instances; then the sets become poll slots and the call is
 * serviced like a poll (fs/select.c: core_sys_select, do_select). */
static void do_select(struct emu *e, const struct plat_call *c, int64_t timeout,
		      int ts_kind, uint64_t tsp, int has_mask, uint64_t mask)
{
	int nfds = (int)c->args[0];
	if (nfds <= 0) {
		plat_continue(e->plat, c);
		return;
	}
	/* The kernel clamps nfds to the size of the fd table
	 * (core_sys_select): it reads, checks and writes no bit past it.
	 * The table has at least 64 slots, so only a larger nfds needs the
	 * size. */
	if (nfds > 64) {
		int lim = plat_fd_table_size(e->plat, c);
		if (lim < nfds)
			nfds = lim;
	}
	/* Sets are read in whole longs (FDS_BYTES), as the kernel reads them.
	 */
	size_t words = ((size_t)nfds + 63) / 64, bytes = words * 8;
	uint64_t *sets = calloc(3 * words, sizeof(uint64_t));
	struct pollfd_ *pfds = NULL;
	int n = 0, ours = 0;
	if (!sets) {
		plat_continue(e->plat, c);
		return;
	}
	for (int k = 0; k < 3; k++) {
		if (c->args[k + 1] && plat_read(e->plat, c, c->args[k + 1],
						sets + k * words, bytes)) {
			free(sets);
			plat_continue(e->plat, c); /* the kernel gives EFAULT */
			return;
		}
	}
	/* Bits past nfds in the last long are not the caller's to ask. */
	if (nfds % 64)
		for (int k = 0; k < 3; k++)
			sets[k * words + words - 1] &=
			    (1ull << (nfds % 64)) - 1;
	for (int fd = 0; fd < nfds; fd++) {
		uint64_t bit = 1ull << (fd % 64);
		size_t w = (size_t)fd / 64;
		if (!((sets[w] | sets[words + w] | sets[2 * words + w]) & bit))
			continue;
		if (!ours && plat_hint_epoll(e->plat, c, fd))
			ours = 1;
		n++;
	}
	uint8_t *slot_sets = NULL;
	if (!ours || !(pfds = calloc((size_t)n + 1, sizeof(*pfds))) ||
	    !(slot_sets = calloc((size_t)n + 1, 1))) {
		free(pfds);
		free(sets);
		plat_continue(e->plat, c);
		return;
	}
	n = 0;
	for (int fd = 0; fd < nfds; fd++) {
		uint64_t bit = 1ull << (fd % 64);
		size_t w = (size_t)fd / 64;
		int16_t ev = 0;
		uint8_t in = 0;
		if (sets[w] & bit) {
			ev |= SEL_IN;
			in |= SET_R;
		}
		if (sets[words + w] & bit) {
			ev |= SEL_OUT;
			in |= SET_W;
		}
		if (sets[2 * words + w] & bit) {
			ev |= SEL_EX;
			in |= SET_X;
		}
		if (!ev)
			continue;
		pfds[n].fd = fd;
		pfds[n].events = ev;
		slot_sets[n] = in;
		n++;
	}
	struct select_args sel = {
	    .nfds = nfds,
	    .ts_kind = ts_kind,
	    .set_addr = {c->args[1], c->args[2], c->args[3]},
	    .slot_sets = slot_sets,
	};
	poll_service(e, c, pfds, n, timeout, 0, timeout == 0 ? 0 : tsp,
		     has_mask, mask, &sel);
	free(slot_sets);
	free(pfds);
	free(sets);
}

void sys_select(struct emu *e, const struct plat_call *c)
{
	int64_t timeout = -1;
	if (c->args[4]) {
		int64_t tv[2];
		if (plat_read(e->plat, c, c->args[4], tv, sizeof(tv))) {
			plat_reply(e->plat, c, 0, -EFAULT);
			return;
		}
		/* kern_select folds whole seconds out of tv_usec before
		 * poll_select_set_timeout validates the result. */
		/* The kernel's sum wraps (it is built with wrapping signed
		 * arithmetic): compute it the same way, without undefined
		 * behaviour. */
		int64_t sec =
		    (int64_t)((uint64_t)tv[0] + (uint64_t)(tv[1] / 1000000));
		int64_t nsec = (tv[1] % 1000000) * 1000;
		if (sec < 0 || nsec < 0) {
			plat_reply(e->plat, c, 0, -EINVAL);
			return;
		}
		timeout = sec > INT64_MAX / 1000000000 - 1
			      ? INT64_MAX
			      : sec * 1000000000 + nsec;
	}
	do_select(e, c, timeout, TS_TIMEVAL, c->args[4], 0, 0);
}

void sys_pselect6(struct emu *e, const struct plat_call *c)
{
	/* The {const sigset_t *ss; size_t ss_len} pack is read first, then
	 * the timespec, then the mask itself (SYSCALL_DEFINE6(pselect6)). */
	uint64_t sig[2] = {0, 0};
	if (c->args[5] && plat_read(e->plat, c, c->args[5], sig, sizeof(sig))) {
		plat_reply(e->plat, c, 0, -EFAULT);
		return;
	}
	int64_t timeout = -1;
	if (c->args[4]) {
		timeout = read_timespec_ns(e, c, c->args[4]);
		if (timeout < 0) {
			plat_reply(e->plat, c, 0, (int)timeout);
			return;
		}
	}
	int has = 0;
	uint64_t mask = 0;
	int r = read_sigmask(e, c, sig[0], sig[1], &has, &mask);
	if (r) {
		plat_reply(e->plat, c, 0, r);
		return;
	}
	do_select(e, c, timeout, TS_TIMESPEC, c->args[4], has, mask);
}
