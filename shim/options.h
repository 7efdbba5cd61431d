/* options.h: interpoll's command line. */
#ifndef INTERPOLL_OPTIONS_H
#define INTERPOLL_OPTIONS_H

#include "interpoll/engine.h"

struct options {
	int stats;	/* --stats */
	int stats_json; /* --stats=json */
	int log_level;	/* 0 quiet (default), 1 info (-v), 2 debug (-vv) */
	int trace;	/* --trace[=FILE] */
	const char *trace_file; /* NULL: stderr */
	int trace_json;		/* --trace-format=json */
	int io_uring_allow;	/* --io-uring=allow; default deny (ENOSYS) */
	int mechanism_only;	/* --mechanism-only: every call handed back */
	const char *timeline;	/* --timeline=FILE; NULL: none */
	int inject;		/* --inject=SPEC given */
	int inject_seeded;	/* SPEC has seed=N */
	struct emu_inject inj;	/* its faults */
	char **argv;		/* the guest's argv */
};

/* Parse; returns -1 after printing a usage error (exit 2), 1 when --help
 * or --version was handled (exit 0), 0 to run. */
int options_parse(struct options *o, int argc, char **argv);

#endif
