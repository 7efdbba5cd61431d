/* options.c: command-line parsing, GNU style. */
#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interpoll/version.h"
#define VERSION INTERPOLL_VERSION_STRING

/* The help text is laid out as it prints. */
/* clang-format off */
static const char usage[] =
	"Usage: interpoll [OPTION]... [--] PROGRAM [ARG]...\n"
	"Run PROGRAM with its epoll, eventfd, poll and select calls serviced by\n"
	"interpoll's user-space emulation (seccomp user notification).\n"
	"\n"
	"  -v, --verbose        print the supervisor's own diagnostics\n"
	"      --log-level=N    0 quiet (default), 1 info, 2 debug\n"
	"      --trace[=FILE]   one line per intercepted call (thread, call, decoded\n"
	"                       arguments, events returned, result or errno, time\n"
	"                       from receipt to answer) to FILE or stderr\n"
	"      --trace-format=FMT  text (default) or json (JSON lines)\n"
	"      --stats[=json]   at exit, print per-syscall counts, errors and the\n"
	"                       latency interpoll added (median, p99), injected\n"
	"                       faults, and each waiting thread's loop profile\n"
	"                       (utilisation, callback time, events per wait,\n"
	"                       wake-up latency, busiest fds) to stderr\n"
	"      --timeline=FILE  write a Chrome trace-event file (Perfetto,\n"
	"                       chrome://tracing): one track per thread, its waits,\n"
	"                       the time between them, events and wake-ups\n"
	"      --io-uring=MODE  deny (default): io_uring_setup fails with ENOSYS, so\n"
	"                       programs use plain system calls; allow: io_uring\n"
	"                       works, but its epoll and poll requests on\n"
	"                       interpoll's epoll fds bypass interpoll (the program\n"
	"                       can hang)\n"
	"      --inject=SPEC    make faults Linux can legitimately produce, on demand\n"
	"                       and reproducibly; SPEC is a comma list of eintr=P,\n"
	"                       split=P, stale=P, enospc=P, enomem=P, emfile=P\n"
	"                       (probabilities 0..1), delay=D (10ms, 500us...) and\n"
	"                       seed=N; see interpoll(1)\n"
	"      --mechanism-only  benchmarking baseline: the same calls are\n"
	"                       notified, but every one goes back to the kernel\n"
	"                       (PROGRAM then uses the kernel's epoll)\n"
	"  -h, --help           display this help and exit\n"
	"  -V, --version        output version information and exit\n"
	"\n"
	"The exit status is PROGRAM's: its exit code, or 128+N when it was\n"
	"killed by signal N. 127: PROGRAM not found; 126: not executable;\n"
	"125: interpoll itself failed; 2: bad usage.\n"
	"\n"
	"PROGRAM runs with no_new_privs set, so set-user-ID programs run\n"
	"without their privilege. Requires Linux 5.19 or later.\n";
/* clang-format on */

static int bad(const char *fmt, const char *arg);

/* A probability: a number from 0 to 1. */
static int parse_prob(const char *v, double *out)
{
	char *end;
	double d = strtod(v, &end);
	if (end == v || *end || !(d >= 0 && d <= 1))
		return -1;
	*out = d;
	return 0;
}

/* A duration: a number and ns, us, ms or s (ms when none). */
static int parse_duration(const char *v, int64_t *ns)
{
	char *end;
	double d = strtod(v, &end);
	double unit = 1e6;
	if (end == v || !(d >= 0))
		return -1;
	if (!strcmp(end, "ns"))
		unit = 1;
	else if (!strcmp(end, "us"))
		unit = 1e3;
	else if (!strcmp(end, "ms") || !*end)
		unit = 1e6;
	else if (!strcmp(end, "s"))
		unit = 1e9;
	else
		return -1;
	if (d * unit > 3600e9)
		return -1;
	*ns = (int64_t)(d * unit);
	return 0;
}

/* --inject=SPEC: kind=value,... */
static int parse_inject(struct options *o, const char *spec)
{
	char buf[512];
	if (strlen(spec) >= sizeof(buf) || !*spec)
		return bad("invalid --inject spec '%s'", spec);
	strcpy(buf, spec);
	o->inject = 1;
	for (char *save, *item = strtok_r(buf, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		if (!eq)
			return bad("--inject: '%s' wants KIND=VALUE", item);
		*eq = 0;
		const char *k = item, *v = eq + 1;
		struct emu_inject *in = &o->inj;
		double *prob = !strcmp(k, "eintr")    ? &in->eintr
			       : !strcmp(k, "split")  ? &in->split
			       : !strcmp(k, "stale")  ? &in->stale
			       : !strcmp(k, "enospc") ? &in->enospc
			       : !strcmp(k, "enomem") ? &in->enomem
			       : !strcmp(k, "emfile") ? &in->emfile
						      : NULL;
		if (prob) {
			if (parse_prob(v, prob))
				return bad("--inject: probability '%s' is "
					   "not a number from 0 to 1",
					   v);
		} else if (!strcmp(k, "delay")) {
			if (parse_duration(v, &in->delay_ns))
				return bad("--inject: bad delay '%s' (say "
					   "2ms, 500us)",
					   v);
		} else if (!strcmp(k, "seed")) {
			char *end;
			in->seed = strtoull(v, &end, 0);
			if (end == v || *end)
				return bad("--inject: bad seed '%s'", v);
			o->inject_seeded = 1;
		} else {
			return bad("--inject: unknown fault '%s'", k);
		}
	}
	return 0;
}

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "interpoll: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (try 'interpoll --help')\n");
	return -1;
}

int options_parse(struct options *o, int argc, char **argv)
{
	int i;
	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == 0)
			break;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return 1;
		}
		if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			printf("interpoll %s\n", VERSION);
			return 1;
		}
		if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			o->log_level++;
		} else if (!strcmp(a, "-vv")) {
			o->log_level += 2;
		} else if (!strncmp(a, "--log-level=", 12)) {
			const char *v = a + 12;
			if (strlen(v) != 1 || v[0] < '0' || v[0] > '2')
				return bad("invalid log level '%s'", v);
			o->log_level = v[0] - '0';
		} else if (!strcmp(a, "--trace")) {
			o->trace = 1;
		} else if (!strncmp(a, "--trace=", 8)) {
			o->trace = 1;
			o->trace_file = a + 8;
		} else if (!strcmp(a, "--trace-format=json")) {
			o->trace_json = 1;
		} else if (!strcmp(a, "--trace-format=text")) {
			o->trace_json = 0;
		} else if (!strncmp(a, "--trace-format=", 15)) {
			return bad("invalid trace format '%s'", a + 15);
		} else if (!strcmp(a, "--stats")) {
			o->stats = 1;
		} else if (!strcmp(a, "--stats=json")) {
			o->stats = o->stats_json = 1;
		} else if (!strncmp(a, "--stats=", 8)) {
			return bad("invalid stats format '%s'", a + 8);
		} else if (!strncmp(a, "--timeline=", 11) && a[11]) {
			o->timeline = a + 11;
		} else if (!strncmp(a, "--inject=", 9)) {
			if (parse_inject(o, a + 9))
				return -1;
		} else if (!strcmp(a, "--mechanism-only")) {
			o->mechanism_only = 1;
		} else if (!strcmp(a, "--io-uring=deny")) {
			o->io_uring_allow = 0;
		} else if (!strcmp(a, "--io-uring=allow")) {
			o->io_uring_allow = 1;
		} else if (!strncmp(a, "--io-uring=", 11)) {
			return bad(
			    "invalid --io-uring mode '%s', want deny or allow",
			    a + 11);
		} else if (a[1] == '-') {
			return bad("unrecognized option '%s'", a);
		} else {
			return bad("invalid option '%s'", a);
		}
	}
	if (i >= argc)
		return bad("%s", "missing PROGRAM");
	o->argv = argv + i;
	return 0;
}
