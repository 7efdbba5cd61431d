/* trace.c: --trace. Like strace, but from interpoll's side: for each
 * intercepted call, the thread, the call with its arguments, what
 * interpoll noted while servicing it (decoded masks, the events returned),
 * the answer (value, errno, or "continued" when the kernel ran it), and
 * the time from receiving the notification to answering it. Lines are
 * written when the call is answered, so a blocked call appears when it
 * returns, with the time it blocked. */
#include "trace.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interpoll/engine.h"
#include "linux_plat.h"

struct trace {
	FILE *f;
	int json;
	char note[1024];
	size_t note_len;
};

struct trace *trace_open(const char *path, int json)
{
	struct trace *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->json = json;
	t->f = path ? fopen(path, "we") : stderr;
	if (!t->f) {
		int e = errno;
		free(t);
		errno = e;
		return NULL;
	}
	setvbuf(t->f, NULL, _IOLBF, 0);
	return t;
}

void trace_close(struct trace *t)
{
	if (t->f != stderr)
		fclose(t->f);
	free(t);
}

void trace_comment(struct trace *t, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (t->json)
		fprintf(t->f, "{\"comment\":\"%s\"}\n", line);
	else
		fprintf(t->f, "# %s\n", line);
}

int plat_tracing(struct plat *p)
{
	return (p->trace ? PLAT_TRACE_NOTES : 0) |
	       (p->obs.event ? PLAT_TRACE_EVENTS : 0);
}

void plat_event_note(struct plat *p, const struct plat_call *c, int fd,
		     uint32_t events)
{
	if (p->obs.event)
		p->obs.event(p->obs.ctx, c, fd, events);
}

void plat_trace_note(struct plat *p, const char *fmt, ...)
{
	struct trace *t = p->trace;
	va_list ap;
	if (!t || t->note_len >= sizeof(t->note) - 1)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(t->note + t->note_len, sizeof(t->note) - t->note_len,
			  fmt, ap);
	va_end(ap);
	if (n > 0)
		t->note_len += (size_t)n;
	if (t->note_len >= sizeof(t->note))
		t->note_len = sizeof(t->note) - 1;
}

/* Quote for JSON (the note holds only printable ASCII we wrote). */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void trace_answer(struct plat *p, const struct plat_call *c, int64_t val,
		  int err, int how, int sent)
{
	struct trace *t = p->trace;
	const char *name = emu_sys_name(emu_sys_index(c->nr));
	double us = (double)(plat_now_ns(p) - c->recv_ns) / 1000.0;
	char args[160];
	snprintf(args, sizeof(args), "%#llx, %#llx, %#llx, %#llx, %#llx, %#llx",
		 (unsigned long long)c->args[0], (unsigned long long)c->args[1],
		 (unsigned long long)c->args[2], (unsigned long long)c->args[3],
		 (unsigned long long)c->args[4], (unsigned long long)c->args[5]);
	t->note[t->note_len] = 0;
	if (t->json) {
		fprintf(t->f, "{\"tid\":%d,\"call\":\"%s\",\"args\":[%llu,%llu,"
			      "%llu,%llu,%llu,%llu],",
			c->tid, name, (unsigned long long)c->args[0],
			(unsigned long long)c->args[1],
			(unsigned long long)c->args[2],
			(unsigned long long)c->args[3],
			(unsigned long long)c->args[4],
			(unsigned long long)c->args[5]);
		fprintf(t->f, "\"detail\":");
		json_str(t->f, t->note);
		if (how == TRACE_CONTINUE)
			fprintf(t->f, ",\"result\":\"continued\"");
		else if (err)
			fprintf(t->f, ",\"errno\":\"%s\"", strerrorname_np(-err)
								   ? strerrorname_np(-err)
								   : "?");
		else
			fprintf(t->f, ",\"result\":%lld", (long long)val);
		fprintf(t->f, ",\"guest_gone\":%s,\"us\":%.1f}\n",
			sent ? "true" : "false", us);
	} else {
		fprintf(t->f, "[%d] %s(%s)%s%s = ", c->tid, name, args,
			t->note_len ? " " : "", t->note);
		if (how == TRACE_CONTINUE)
			fprintf(t->f, "(continued in the kernel)");
		else if (err)
			fprintf(t->f, "-1 %s (%s)",
				strerrorname_np(-err) ? strerrorname_np(-err)
						      : "?",
				strerror(-err));
		else
			fprintf(t->f, "%lld", (long long)val);
		fprintf(t->f, "%s <%.1f us>\n", sent ? " (guest gone)" : "",
			us);
	}
	t->note_len = 0;
}
