/* supervisor.c: the main loop.
 *
 * One thread, one kernel epoll (the "main epoll") that waits on:
 * - the seccomp listener: a notification to receive;
 * - a timerfd: the earliest deadline or signal check of a blocked call, or
 *   the next sweep for closed files;
 * - a signalfd: SIGCHLD (reap guests);
 * - every edge bucket (wake-ups of the files some entries watch);
 * - the io_uring that polls the edge buckets it cannot hold, once one is
 *   needed (platform/ring.c);
 * - every guest thread's pidfd (forget the thread when it exits).
 * Blocked guest calls hold no thread: they wait in the emulation's tables.
 * While none does and nothing else must be heard before the next call,
 * the loop waits for calls alone (platform/direct.c), and the main epoll
 * is collected after each. Signals sent to interpoll are forwarded by a
 * thread of their own (forward.c).
 */
#include "supervisor.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "forward.h"
#include "interpoll/engine.h"
#include "linux_plat.h"
#include "options.h"
#include "loops.h"
#include "stats.h"
#include "trace.h"

static int tag_signal = TAG_SIGNAL;

struct sup {
	struct plat plat;
	struct emu *emu;
	struct plat_stats *stats; /* NULL unless --stats */
	struct loops *loops;	  /* NULL unless --stats or --timeline */
	pid_t guest;
	int guest_status; /* -1 until the first guest is reaped */
	int sigfd;
	int listener_open;
	int calm; /* batches in a row after which nothing needed watching */
	struct forwarder *fwd;
	const struct options *opt;
};

static void reap(struct sup *s)
{
	for (;;) {
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG | __WALL);
		if (pid <= 0)
			return;
		if (pid == s->guest)
			s->guest_status = st;
	}
}

static int children_left(void)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	/* WNOWAIT: look without reaping; ECHILD when nobody is left. */
	return waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) == 0;
}

static void on_signal(struct sup *s)
{
	struct signalfd_siginfo si;
	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si))
		reap(s); /* SIGCHLD, the only signal it takes */
}

static void serve(struct sup *s, const struct plat_call *c)
{
	if (s->opt->mechanism_only) {
		/* The benchmarks' baseline: the notification round trip and
		 * this loop, and the kernel does the work. */
		plat_continue(&s->plat, c);
		return;
	}
	if (s->stats)
		stats_call_begin(s->stats, c);
	if (s->loops)
		loops_call(s->loops, c);
	emu_call(s->emu, c);
	if (s->loops)
		loops_call_done(s->loops);
	if (s->stats)
		stats_call_end(s->stats, c);
}

static void on_listener(struct sup *s, uint32_t events)
{
	struct plat_call c;
	if (!(events & EPOLLIN)) {
		if (events & (EPOLLHUP | EPOLLERR)) {
			/* No task uses the filter any more. */
			epoll_ctl(s->plat.mainep, EPOLL_CTL_DEL,
				  s->plat.listener, NULL);
			plat_listener_edge_drop(&s->plat);
			s->listener_open = 0;
		}
		return;
	}
	if (plat_recv(&s->plat, &c) == 0)
		serve(s, &c);
	/* else withdrawn before we got it, or nobody left */
}

static void dispatch(struct sup *s, struct epoll_event *ev)
{
	int tag = *(int *)ev->data.ptr;
	switch (tag) {
	case TAG_LISTENER:
		on_listener(s, ev->events);
		break;
	case TAG_TIMER:
		plat_timer_fired(&s->plat);
		break;
	case TAG_SIGNAL:
		on_signal(s);
		break;
	case TAG_BUCKET:
		bucket_harvest(&s->plat, ev->data.ptr, NULL);
		break;
	case TAG_PUMP:
		pump_harvest(&s->plat, ev->data.ptr, NULL);
		break;
	case TAG_TASK:
		plat_task_exit(&s->plat, ev->data.ptr);
		break;
	case TAG_RING: /* drained after every wait */
		break;
	case TAG_LISTENER_EDGE:
		batch_edge_seen(&s->plat.proof);
		break;
	}
}

/* A batch: wake-ups first, the call last. Every wake-up a guest caused
 * before making a call was queued before its notification (one that raced
 * the collection of a batch comes in the next: calls that depend on it
 * read the main epoll again unless the batch shows it useless, plat_sync
 * and platform/causality.c). The call is the listener's event among evs,
 * or `call`, received before evs were collected (platform/direct.c). */
static void run_batch(struct sup *s, struct epoll_event *evs, int n,
		      const struct plat_call *call)
{
	if (s->loops)
		loops_batch(s->loops, plat_now_ns(&s->plat));
	emu_batch_begin(s->emu);
	int listener_at = -1;
	for (int i = 0; i < n; i++) {
		if (*(int *)evs[i].data.ptr == TAG_LISTENER)
			listener_at = i;
		else
			dispatch(s, &evs[i]);
	}
	/* The rest of a full batch, then the ring buckets' wake-ups (posted
	 * before epoll_wait returned): all before the notification, and a
	 * walk of a file's many watchers in the kernel's order (nested
	 * buckets hold its first 500). */
	if (s->plat.sync_needed)
		plat_sync(&s->plat);
	ring_drain(&s->plat, NULL);
	if (call)
		serve(s, call);
	else if (listener_at >= 0)
		dispatch(s, &evs[listener_at]);
	/* Native pollers of our instances' files learn of this batch's
	 * changes now, before the next one is waited for. */
	emu_publish(s->emu);
	plat_batch_end(&s->plat);
}

/* Batches in a row after which nothing needed watching, before the loop
 * waits for calls alone: one that blocks on most turns (a ping-pong) would
 * pay the switch both ways (two epoll_ctl each) every time. */
#define DIRECT_AFTER 16

static void consider_direct(struct sup *s)
{
	if (!s->listener_open || emu_needs_watch(s->emu)) {
		s->calm = 0;
		return;
	}
	if (++s->calm >= DIRECT_AFTER && plat_direct_begin(&s->plat) == 0)
		s->calm = 0;
}

/* One turn while the loop waits for calls alone: the call, then the main
 * epoll collected after it and dispatched before it. */
static void serve_direct(struct sup *s, struct epoll_event *evs)
{
	struct plat_call c;
	int err = -EAGAIN;
	if (plat_direct_due(&s->plat))
		plat_timer_fired(&s->plat); /* a deadline is met first */
	else
		err = plat_recv(&s->plat, &c);
	if (err == 0 && s->opt->mechanism_only) {
		/* The baseline needs nothing the main epoll holds before a
		 * call: RECV and SEND, as the mechanism alone. */
		plat_continue(&s->plat, &c);
		return;
	}
	/* A call that comes while the main epoll is known to be empty needs
	 * no collection (platform/main_watch.c). */
	int n = 0;
	if (!plat_main_unchanged(&s->plat) || err != 0) {
		n = epoll_wait(s->plat.mainep, evs, BATCH_MAX, 0);
		plat_watch_collected(&s->plat, n);
	}
	plat_collected_direct(&s->plat, n);
	run_batch(s, evs, n < 0 ? 0 : n, err == 0 ? &c : NULL);
	/* ENOENT: withdrawn, or no task left (the main epoll will report the
	 * listener's hang-up); EINTR: the wake-up timer (platform/direct.c). */
	if (err == -ENOENT || emu_needs_watch(s->emu))
		plat_direct_end(&s->plat);
}

static int exit_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 1;
}

/* A seed for --inject without one: printed, so that the run replays. */
static uint64_t fresh_seed(void)
{
	uint64_t v = 0;
	if (getrandom(&v, sizeof(v), 0) != sizeof(v))
		v = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	return v % 1000000000000ull; /* short enough to type */
}

/* The platform's observer: answers and events reach the statistics and
 * the loop profile. */
static void observe_reply(void *ctx, const struct plat_call *c, int64_t val,
			  int err, int continued)
{
	struct sup *s = ctx;
	if (s->stats)
		stats_reply(s->stats, c, err);
	if (s->loops)
		loops_reply(s->loops, c, val, err, continued);
}

static void observe_event(void *ctx, const struct plat_call *c, int fd,
			  uint32_t events)
{
	struct sup *s = ctx;
	loops_event(s->loops, c, fd, events);
}

static void report_loops(void *ctx, int json, FILE *out)
{
	loops_report(ctx, json, out);
}

int supervise(const struct options *o, pid_t guest, int listener)
{
	struct sup *s = calloc(1, sizeof(*s));
	struct epoll_event evs[BATCH_MAX];
	sigset_t set;
	int status = 1;

	if (!s)
		return 125;
	s->guest = guest;
	s->guest_status = -1;
	s->opt = o;
	s->listener_open = 1;
	if (plat_init(&s->plat, listener) < 0) {
		perror("interpoll: supervisor set-up");
		return 125;
	}
	if (o->mechanism_only) /* the baseline does only what it must */
		plat_listener_edge_drop(&s->plat);
	s->emu = emu_new(&s->plat);
	if (!s->emu) {
		perror("interpoll: supervisor set-up");
		return 125;
	}
	/* A guest's io_uring may poll any instance's file, unseen. */
	emu_set_native_pollers(s->emu, o->io_uring_allow);
	s->plat.emu = s->emu;
	emu_set_wakeup_allowed(s->emu, s->plat.feat.pm_sleep);
	if (o->stats)
		s->stats = stats_new();
	if (o->stats || o->timeline) {
		s->loops = loops_new(o->timeline, plat_now_ns(&s->plat));
		if (!s->loops && o->timeline)
			fprintf(stderr,
				"interpoll: cannot open timeline file %s: %m\n",
				o->timeline);
	}
	if (s->stats || s->loops) {
		s->plat.obs.reply = observe_reply;
		s->plat.obs.event = s->loops ? observe_event : NULL;
		s->plat.obs.ctx = s;
	}
	if (o->trace) {
		s->plat.trace = trace_open(o->trace_file, o->trace_json);
		if (!s->plat.trace)
			fprintf(stderr,
				"interpoll: cannot open trace file %s: %m\n",
				o->trace_file);
	}
	if (o->inject) {
		struct emu_inject inj = o->inj;
		if (!o->inject_seeded)
			inj.seed = fresh_seed();
		emu_set_inject(s->emu, &inj);
		if (o->log_level >= 1)
			fprintf(stderr, "interpoll: --inject seed=%llu\n",
				(unsigned long long)inj.seed);
		if (s->plat.trace)
			trace_comment(s->plat.trace,
				      "interpoll --inject seed=%llu (replay: "
				      "the same --inject with this seed)",
				      (unsigned long long)inj.seed);
	}
	if (o->log_level >= 1)
		fprintf(stderr,
			"interpoll: supervising pid %d; sync wake-ups %s, "
			"PIDFD_THREAD %s, EPOLLWAKEUP %s\n",
			(int)guest, s->plat.feat.sync_wakeup ? "on" : "off",
			s->plat.feat.pidfd_thread ? "on" : "off",
			s->plat.feat.pm_sleep ? "kept" : "dropped");

	/* SIGCHLD here; every other signal blocked (main.c) goes to the
	 * forwarding thread. */
	sigprocmask(SIG_SETMASK, NULL, &set);
	sigdelset(&set, SIGCHLD);
	s->fwd = forward_start(guest, &set);
	if (!s->fwd) {
		perror("interpoll: signal forwarding");
		return 125;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	s->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &tag_signal};
	epoll_ctl(s->plat.mainep, EPOLL_CTL_ADD, s->sigfd, &ev);
	reap(s);

	for (;;) {
		if (s->guest_status != -1 && !children_left())
			break;
		if (s->plat.direct) {
			serve_direct(s, evs);
			continue;
		}
		int n = plat_main_wait(&s->plat, evs, BATCH_MAX);
		plat_collected(&s->plat, n);
		if (n < 0) {
			/* The ring's task work ends the wait with EINTR, its
			 * completions posted (platform/ring.c). */
			if (errno != EINTR) {
				perror("interpoll: epoll_wait");
				break;
			}
			n = 0;
		}
		run_batch(s, evs, n, NULL);
		consider_direct(s);
	}
	if (s->guest_status != -1)
		status = exit_status(s->guest_status);
	struct emu_counts counts;
	emu_get_counts(s->emu, &counts);
	if (o->log_level >= 1)
		fprintf(stderr,
			"interpoll: guest tree done, status %d; %zu instances "
			"and %zu entries still tracked\n",
			status, counts.instances, counts.entries);
	if (s->stats) {
		stats_report(s->stats, &counts, o->stats_json, stderr,
			     s->loops ? report_loops : NULL, s->loops);
		stats_free(s->stats);
	}
	forward_stop(s->fwd);
	loops_free(s->loops);
	emu_free(s->emu);
	if (s->plat.trace)
		trace_close(s->plat.trace);
	plat_fini(&s->plat);
	close(s->sigfd);
	close(listener);
	free(s);
	return status;
}
