/* loops.c: per-thread loop profile and timeline events (loops.h). */
#include "loops.h"

#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "interpoll/engine.h"
#include "reservoir.h"
#include "timeline.h"
#include "u64map.h"

#define RESERVOIR 4096 /* samples kept per thread and measure */
#define TOP_FDS 5

struct fd_count {
	int fd;
	uint64_t events;
	char type[40];
};

struct thread {
	int tid, pid;
	char comm[32];
	int64_t first_ns;   /* start of its first wait */
	int64_t wait_start; /* the wait in progress; 0: none */
	int wait_nr;
	int64_t last_end; /* end of its last wait seen; 0: unknown */
	int64_t waited_ns;
	uint64_t waits, kernel_waits, events;
	struct reservoir callback, latency; /* microseconds */
	struct fd_count *fds;
	size_t nfds, capfds;
};

struct loops {
	struct u64map threads; /* tid -> struct thread */
	struct timeline *tl;
	int64_t batch_ns; /* when the current batch of wake-ups came */
	uint64_t call_id; /* the notification being handled; 0: none */
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct loops *loops_new(const char *timeline_path, int64_t t0_ns)
{
	struct loops *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	u64map_init(&l->threads);
	if (timeline_path && !(l->tl = timeline_open(timeline_path, t0_ns))) {
		u64map_free(&l->threads);
		free(l);
		return NULL;
	}
	return l;
}

void loops_free(struct loops *l)
{
	if (!l)
		return;
	size_t i = 0;
	uint64_t k;
	void *v;
	while (u64map_next(&l->threads, &i, &k, &v)) {
		struct thread *t = v;
		reservoir_free(&t->callback);
		reservoir_free(&t->latency);
		free(t->fds);
		free(t);
	}
	u64map_free(&l->threads);
	timeline_close(l->tl);
	free(l);
}

static int is_epoll_wait(int nr)
{
	return nr == SYS_epoll_wait || nr == SYS_epoll_pwait ||
	       nr == SYS_epoll_pwait2;
}

static int is_wait(int nr)
{
	return is_epoll_wait(nr) || nr == SYS_poll || nr == SYS_ppoll ||
	       nr == SYS_select || nr == SYS_pselect6;
}

/* Read a short /proc file's first line; "" when it cannot be read. */
static void proc_line(int tid, const char *what, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", tid, what);
	FILE *f = fopen(path, "re");
	buf[0] = 0;
	if (f) {
		if (!fgets(buf, (int)len, f))
			buf[0] = 0;
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
}

/* Text that goes into JSON strings unescaped: no quote, backslash or
 * control character. */
static void json_safe(char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
			*s = '_';
}

static int tgid_of(int tid)
{
	char path[64], line[128];
	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	FILE *f = fopen(path, "re");
	int tgid = tid;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "Tgid:", 5)) {
			tgid = atoi(line + 5);
			break;
		}
	if (f)
		fclose(f);
	return tgid;
}

static struct thread *thread_of(struct loops *l, int tid)
{
	struct thread *t = u64map_get(&l->threads, (uint32_t)tid);
	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->tid = tid;
	t->pid = tgid_of(tid);
	t->callback.cap = t->latency.cap = RESERVOIR;
	proc_line(tid, "comm", t->comm, sizeof(t->comm));
	json_safe(t->comm);
	if (u64map_put(&l->threads, (uint32_t)tid, t)) {
		free(t);
		return NULL;
	}
	if (l->tl) {
		char name[64];
		snprintf(name, sizeof(name), "%s %d", t->comm, tid);
		timeline_thread(l->tl, t->pid, tid, name);
	}
	return t;
}

static void sample(struct reservoir *r, int64_t ns)
{
	uint64_t us = ns < 0 ? 0 : (uint64_t)ns / 1000;
	reservoir_add(r, us > UINT32_MAX ? UINT32_MAX : (uint32_t)us);
}

void loops_call(struct loops *l, const struct plat_call *c)
{
	l->call_id = c->id;
	if (!is_wait(c->nr))
		return;
	struct thread *t = thread_of(l, c->tid);
	if (!t)
		return;
	if (!t->first_ns)
		t->first_ns = c->recv_ns;
	if (t->last_end) {
		sample(&t->callback, c->recv_ns - t->last_end);
		if (l->tl)
			timeline_span(l->tl, t->pid, t->tid, "run", "run",
				      t->last_end, c->recv_ns, "");
	}
	t->wait_start = c->recv_ns;
	t->wait_nr = c->nr;
}

void loops_call_done(struct loops *l)
{
	l->call_id = 0;
}

void loops_batch(struct loops *l, int64_t now)
{
	l->batch_ns = now;
}

void loops_reply(struct loops *l, const struct plat_call *c, int64_t val,
		 int err, int continued)
{
	if (!is_wait(c->nr))
		return;
	struct thread *t = u64map_get(&l->threads, (uint32_t)c->tid);
	if (!t || !t->wait_start)
		return;
	int64_t now = now_ns();
	const char *name = emu_sys_name(emu_sys_index(c->nr));
	if (continued) {
		/* The kernel answers it, unseen: neither its end nor the
		 * callback time after it is known. */
		t->kernel_waits++;
		t->wait_start = 0;
		t->last_end = 0;
		if (l->tl)
			timeline_instant(l->tl, t->pid, t->tid, name, now,
					 "\"to\":\"kernel\"");
		return;
	}
	t->waits++;
	t->waited_ns += now - t->wait_start;
	if (val > 0)
		t->events += (uint64_t)val;
	int woken = c->id != l->call_id && val > 0;
	if (woken)
		sample(&t->latency, now - l->batch_ns);
	if (l->tl) {
		char args[96];
		if (err)
			snprintf(args, sizeof(args), "\"errno\":%d", -err);
		else
			snprintf(args, sizeof(args), "\"events\":%lld",
				 (long long)val);
		timeline_span(l->tl, t->pid, t->tid, name, "wait",
			      t->wait_start, now, args);
		if (woken) {
			snprintf(args, sizeof(args), "\"latency_us\":%.1f",
				 (double)(now - l->batch_ns) / 1000.0);
			timeline_instant(l->tl, t->pid, t->tid, "wake-up", now,
					 args);
		}
	}
	t->wait_start = 0;
	t->last_end = now;
}

/* What kind of file fd is, from its /proc link. */
static void fd_type(int pid, int fd, char *out, size_t len)
{
	char path[64], link[128];
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		snprintf(out, len, "?");
		return;
	}
	link[n] = 0;
	char *br = strchr(link, '[');
	if (!strncmp(link, "anon_inode:", 11)) {
		const char *x = link + 11 + (link[11] == '[');
		snprintf(out, len, "%.*s", (int)strcspn(x, "]"), x);
	} else if (br && br > link && br[-1] == ':')
		snprintf(out, len, "%.*s", (int)(br - link - 1), link);
	else
		snprintf(out, len, "%.*s", (int)len - 1, link);
	json_safe(out);
}

void loops_event(struct loops *l, const struct plat_call *c, int fd,
		 uint32_t events)
{
	struct thread *t = thread_of(l, c->tid);
	if (!t)
		return;
	struct fd_count *f = NULL;
	for (size_t i = 0; i < t->nfds; i++)
		if (t->fds[i].fd == fd) {
			f = &t->fds[i];
			break;
		}
	if (!f) {
		if (t->nfds == t->capfds) {
			size_t cap = t->capfds ? 2 * t->capfds : 16;
			struct fd_count *n = realloc(t->fds, cap * sizeof(*n));
			if (!n)
				return;
			t->fds = n;
			t->capfds = cap;
		}
		f = &t->fds[t->nfds++];
		f->fd = fd;
		f->events = 0;
		fd_type(t->pid, fd, f->type, sizeof(f->type));
	}
	f->events++;
	if (l->tl) {
		char args[64];
		snprintf(args, sizeof(args), "\"fd\":%d,\"events\":\"%#x\"", fd,
			 events);
		/* Ready when the supervisor learned of it: the batch's time
		 * for a call a wake-up answered. */
		int64_t at = c->id != l->call_id ? l->batch_ns : now_ns();
		timeline_instant(l->tl, t->pid, t->tid, "ready", at, args);
	}
}

static int cmp_fd(const void *a, const void *b)
{
	const struct fd_count *x = a, *y = b;
	return x->events > y->events ? -1 : x->events < y->events;
}

static double pct(struct reservoir *r, double p)
{
	return reservoir_quantile(r, p);
}

static void report_thread(struct thread *t, int json, int first, FILE *out)
{
	double span =
	    t->last_end > t->first_ns ? (double)(t->last_end - t->first_ns) : 0;
	double util = span > 0 ? 1.0 - (double)t->waited_ns / span : 0;
	if (util < 0)
		util = 0;
	double epw = t->waits ? (double)t->events / (double)t->waits : 0;
	if (t->nfds)
		qsort(t->fds, t->nfds, sizeof(*t->fds), cmp_fd);
	size_t top = t->nfds < TOP_FDS ? t->nfds : TOP_FDS;
	if (json) {
		fprintf(
		    out,
		    "%s{\"tid\":%d,\"pid\":%d,\"comm\":\"%s\",\"waits\":%llu,"
		    "\"kernel_waits\":%llu,\"utilisation\":%.4f,"
		    "\"callback_us\":{\"p50\":%.0f,\"p99\":%.0f,\"max\":%u},"
		    "\"events_per_wait\":%.3f,"
		    "\"wakeup_latency_us\":{\"p50\":%.0f,\"p99\":%.0f,"
		    "\"max\":%u},\"top_fds\":[",
		    first ? "" : ",", t->tid, t->pid, t->comm,
		    (unsigned long long)t->waits,
		    (unsigned long long)t->kernel_waits, util,
		    pct(&t->callback, 0.5), pct(&t->callback, 0.99),
		    t->callback.max, epw, pct(&t->latency, 0.5),
		    pct(&t->latency, 0.99), t->latency.max);
		for (size_t i = 0; i < top; i++)
			fprintf(out,
				"%s{\"fd\":%d,\"type\":\"%s\",\"events\":%llu}",
				i ? "," : "", t->fds[i].fd, t->fds[i].type,
				(unsigned long long)t->fds[i].events);
		fprintf(out, "]}");
		return;
	}
	fprintf(
	    out,
	    "  thread %d (%s, pid %d): %llu waits, loop utilisation %.1f%%\n"
	    "    callback time p50 %.0f us, p99 %.0f us, max %u us; "
	    "%.2f events per wait\n",
	    t->tid, t->comm, t->pid, (unsigned long long)t->waits, 100 * util,
	    pct(&t->callback, 0.5), pct(&t->callback, 0.99), t->callback.max,
	    epw);
	if (t->latency.n)
		fprintf(out,
			"    wake-up latency p50 %.0f us, p99 %.0f us, max %u "
			"us (%llu wake-ups)\n",
			pct(&t->latency, 0.5), pct(&t->latency, 0.99),
			t->latency.max, (unsigned long long)t->latency.seen);
	else
		fprintf(out, "    no wait was woken by an event (each found "
			     "its events ready, or timed out)\n");
	if (t->kernel_waits)
		fprintf(out,
			"    %llu poll-family waits (answered by the kernel, "
			"not timed)\n",
			(unsigned long long)t->kernel_waits);
	if (top) {
		fprintf(out, "    busiest fds:");
		for (size_t i = 0; i < top; i++)
			fprintf(out, "%s fd %d (%s) %llu events", i ? "," : "",
				t->fds[i].fd, t->fds[i].type,
				(unsigned long long)t->fds[i].events);
		fprintf(out, "\n");
	}
}

void loops_report(struct loops *l, int json, FILE *out)
{
	size_t i = 0;
	uint64_t k;
	void *v;
	int first = 1;
	if (json)
		fprintf(out, ",\"loops\":[");
	else
		fprintf(out, "event loops (threads that waited):\n");
	while (u64map_next(&l->threads, &i, &k, &v)) {
		struct thread *t = v;
		if (!t->waits && !t->kernel_waits)
			continue;
		report_thread(t, json, first, out);
		first = 0;
	}
	if (json)
		fprintf(out, "]");
	else if (first)
		fprintf(out, "  none\n");
}
