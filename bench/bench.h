/* bench.h: helpers shared by the benchmark programs.
 *
 * Every program prints one result per line, "name value unit", on stdout
 * (diagnostics go to stderr). scripts/bench runs each program natively and
 * under interpoll and aggregates the lines by name. */
#ifndef BENCH_H
#define BENCH_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;
	int e = errno;
	va_start(ap, fmt);
	fprintf(stderr, "bench: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(e));
	exit(1);
}

/* fork(), stdout flushed first (die if it fails); the child is killed
 * when its parent dies. */
static inline pid_t fork_child(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	return pid;
}

static inline void emit(const char *name, double value, const char *unit)
{
	printf("%s %.4f %s\n", name, value, unit);
	fflush(stdout);
}

static inline void emitf(double value, const char *unit, const char *fmt, ...)
{
	char name[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	emit(name, value, unit);
}

/* Raise the soft RLIMIT_NOFILE to the hard limit; returns the limit. */
static inline long raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("getrlimit");
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("setrlimit");
	return rl.rlim_cur == RLIM_INFINITY ? 1L << 20 : (long)rl.rlim_cur;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* p-th percentile (0..100) of a[0..n), which this sorts. */
static inline double percentile(uint64_t *a, size_t n, double p)
{
	qsort(a, n, sizeof(*a), cmp_u64);
	size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return (double)a[i < n ? i : n - 1];
}

/* The interpoll supervisor is the guest's parent: its pid when we run
 * under interpoll, 0 otherwise. */
static inline pid_t supervisor_pid(void)
{
	char path[64], comm[64] = "";
	pid_t pp = getppid();
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pp);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = 0;
	fclose(f);
	return strncmp(comm, "interpoll", 9) == 0 ? pp : 0;
}

/* A "Name:   N kB" field of /proc/<pid>/status, in bytes (-1 if absent). */
static inline long long proc_status_bytes(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t fl = strlen(field);
	long long v = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, fl) == 0 && line[fl] == ':') {
			v = atoll(line + fl + 1) * 1024;
			break;
		}
	fclose(f);
	return v;
}

/* utime + stime of a process, in ms (from /proc/<pid>/stat). */
static inline double proc_cpu_ms(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	unsigned long long ut = 0, st = 0;
	/* after ")": state(3) ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime(14) stime(15) */
	if (sscanf(p + 2,
		   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
		   &st) != 2)
		return -1;
	return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

/* Number of open fds of a process. */
static inline long count_fds(pid_t pid)
{
	char path[64];
	long n = 0;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* BENCH_DELAY_MS: sleep before measuring (lets strace attach to the
 * supervisor first). */
static inline void bench_delay(void)
{
	const char *s = getenv("BENCH_DELAY_MS");
	if (s && atoi(s) > 0)
		usleep((useconds_t)atoi(s) * 1000);
}

static inline long arg_long(int argc, char **argv, int i, long dflt)
{
	return argc > i ? strtol(argv[i], NULL, 0) : dflt;
}

#endif
