/* loop_reader_queue.c: a single-writer queue with eventfd doorbells taken
 * from the readers with pidfd_getfd.
 *
 * Reader processes each create an eventfd, publish readers/<name> (pid and
 * eventfd number) in a mkdtemp directory, and block in epoll_wait on their
 * eventfd. The writer watches readers/ with inotify (the inotify fd in its
 * epoll set); for each new file it takes the reader's eventfd with
 * pidfd_open + pidfd_getfd and from then on rings every known reader after
 * each append to a shared log file. Readers read the appended records and
 * count them; every reader must see every record from the moment it
 * published itself to the end marker.
 *
 * Also: reopening /proc/<pid>/fd/<n> of an eventfd fails with ENXIO.
 */
#include "testlib.h"
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define N_READERS 4
#define MIN_APPENDS 300
#define TAIL_APPENDS 50 /* appends after the last reader registered */
#define END_TAG 0xe4dull
#define READER_WAIT_MS 15000

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_getfd(int pidfd, int fd)
{
	return (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
}

struct rec {
	uint64_t seq;
	uint64_t tag; /* seq * K, or END_TAG on the end marker */
};
#define K 0x9e3779b97f4a7c15ull

struct rstat {
	uint64_t start; /* records committed when it published itself */
	uint64_t count; /* records read */
	uint64_t next;	/* next index expected */
	uint64_t wakes; /* doorbell rings seen */
	int done;	/* saw the end marker */
	char err[160];
};

struct shared {
	volatile uint64_t committed; /* records fully written */
	struct rstat r[N_READERS];
};

static struct shared *sh;
static char dir[64];

static int slurp_int_pair(const char *path, int *a, int *b)
{
	FILE *f = fopen(path, "r");
	int n;
	if (!f)
		return -1;
	n = fscanf(f, "%d %d", a, b);
	fclose(f);
	return n == 2 ? 0 : -1;
}

/* ---- reader process ---- */

static void reader(int idx, const char *logpath)
{
	struct rstat *me = &sh->r[idx];
	char tmp[128], fin[128];
	struct epoll_event ev = {.events = EPOLLIN};
	int logfd, efd, ep;
	FILE *f;

	usleep(idx * 150000);
	logfd = open(logpath, O_RDONLY | O_CLOEXEC);
	efd = eventfd(0, EFD_CLOEXEC);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = efd;
	if (logfd < 0 || efd < 0 || ep < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) < 0) {
		snprintf(me->err, sizeof(me->err), "setup: %s",
			 strerror(errno));
		_exit(10);
	}
	me->start = me->next =
	    __atomic_load_n(&sh->committed, __ATOMIC_SEQ_CST);
	/* publish atomically: write elsewhere, rename into readers/ */
	snprintf(tmp, sizeof(tmp), "%s/tmp.r%d", dir, idx);
	snprintf(fin, sizeof(fin), "%s/readers/r%d", dir, idx);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d %d\n", (int)getpid(), efd) < 0 ||
	    fclose(f) != 0 || rename(tmp, fin) < 0) {
		snprintf(me->err, sizeof(me->err), "publish: %s",
			 strerror(errno));
		_exit(11);
	}
	while (!me->done) {
		uint64_t v;
		int n = epoll_wait(ep, &ev, 1, READER_WAIT_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != 1 || ev.events != EPOLLIN) {
			snprintf(me->err, sizeof(me->err),
				 "epoll_wait returned %d (events %#x) at "
				 "record %llu: lost wake-up?",
				 n, n == 1 ? ev.events : 0,
				 (unsigned long long)me->next);
			_exit(12);
		}
		if (read(efd, &v, 8) != 8 || v == 0) {
			snprintf(me->err, sizeof(me->err), "eventfd read");
			_exit(13);
		}
		me->wakes++;
		uint64_t upto =
		    __atomic_load_n(&sh->committed, __ATOMIC_SEQ_CST);
		while (me->next < upto && !me->done) {
			struct rec r;
			if (pread(logfd, &r, sizeof(r),
				  (off_t)(me->next * sizeof(r))) !=
			    (ssize_t)sizeof(r)) {
				snprintf(me->err, sizeof(me->err),
					 "short read at %llu",
					 (unsigned long long)me->next);
				_exit(14);
			}
			if (r.seq != me->next ||
			    (r.tag != r.seq * K && r.tag != END_TAG)) {
				snprintf(me->err, sizeof(me->err),
					 "bad record at %llu",
					 (unsigned long long)me->next);
				_exit(15);
			}
			me->count++;
			me->next++;
			if (r.tag == END_TAG)
				me->done = 1;
		}
	}
	_exit(0);
}

/* ---- cases ---- */

static void case_eventfd_proc_reopen_enxio(void)
{
	char p[64];
	int e = eventfd(3, EFD_CLOEXEC);
	int sync[2], hold[2];

	CHECK_OK(e);
	snprintf(p, sizeof(p), "/proc/self/fd/%d", e);
	CHECK_ERR(open(p, O_RDWR), ENXIO);
	CHECK_ERR(open(p, O_RDONLY), ENXIO);
	snprintf(p, sizeof(p), "/proc/%d/fd/%d", (int)getpid(), e);
	CHECK_ERR(open(p, O_WRONLY), ENXIO);
	close(e);

	/* the same through another process's fd table */
	CHECK_OK(pipe2(sync, O_CLOEXEC));
	CHECK_OK(pipe2(hold, O_CLOEXEC));
	fflush(stdout);
	pid_t c = fork();
	CHECK_OK(c);
	if (c == 0) {
		char b;
		int ce = eventfd(0, EFD_CLOEXEC);
		close_fds(sync[0], hold[1]);
		if (write(sync[1], &ce, sizeof(ce)) != sizeof(ce))
			_exit(1);
		close(sync[1]);
		/* stay until the parent closes its end of hold */
		while (read(hold[0], &b, 1) > 0)
			;
		_exit(0);
	}
	close_fds(hold[0], sync[1]);
	int cfd = -1;
	CHECK_EQ(read(sync[0], &cfd, sizeof(cfd)), sizeof(cfd));
	snprintf(p, sizeof(p), "/proc/%d/fd/%d", (int)c, cfd);
	CHECK_ERR(open(p, O_RDWR), ENXIO);
	char l[64] = "";
	CHECK(readlink(p, l, sizeof(l) - 1) > 0);
	CHECK(strstr(l, "[eventfd]") != NULL);
	close_fds(hold[1], sync[0]);
	int st = -1;
	CHECK_EQ(waitpid(c, &st, 0), c);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void case_pidfd_getfd_rings_blocked_child(void)
{
	int sync[2];

	CHECK_OK(pipe2(sync, O_CLOEXEC));
	fflush(stdout);
	pid_t c = fork();
	CHECK_OK(c);
	if (c == 0) {
		int ce = eventfd(0, EFD_CLOEXEC);
		int ep = epoll_create1(EPOLL_CLOEXEC);
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = ce};
		uint64_t v = 0;
		if (ce < 0 || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, ce, &ev))
			_exit(1);
		if (write(sync[1], &ce, sizeof(ce)) != sizeof(ce))
			_exit(2);
		if (epoll_wait(ep, &ev, 1, 10000) != 1)
			_exit(3); /* never rung */
		if (read(ce, &v, 8) != 8 || v != 5)
			_exit(4);
		_exit(0);
	}
	close(sync[1]);
	int cfd = -1;
	CHECK_EQ(read(sync[0], &cfd, sizeof(cfd)), sizeof(cfd));
	close(sync[0]);
	int pfd = pidfd_open(c);
	CHECK_OK(pfd);
	int e = pfd >= 0 ? pidfd_getfd(pfd, cfd) : -1;
	CHECK_OK(e);
	if (e >= 0) {
		char p[64], l[64] = "";
		snprintf(p, sizeof(p), "/proc/self/fd/%d", e);
		CHECK(readlink(p, l, sizeof(l) - 1) > 0);
		CHECK(strstr(l, "[eventfd]") != NULL);
		/* the taken fd is close-on-exec */
		CHECK_EQ(fcntl(e, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
		usleep(100000); /* let the child block first */
		uint64_t v = 5;
		CHECK_EQ(write(e, &v, 8), 8);
		close(e);
	} else {
		kill(c, SIGKILL);
	}
	expect_exit_0(c);
	if (pfd >= 0)
		close(pfd);
}

static int wfd = -1;

static void append(uint64_t seq, int end)
{
	struct rec r = {.seq = seq, .tag = end ? END_TAG : seq * K};
	if (write(wfd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		tl_fail(__FILE__, __LINE__, "append: %s", strerror(errno));
	__atomic_store_n(&sh->committed, seq + 1, __ATOMIC_SEQ_CST);
}

static void case_reader_queue(void)
{
	char rdir[128], logpath[128];
	pid_t pids[N_READERS];
	int bell[N_READERS], pidfds[N_READERS];
	uint64_t reg_at[N_READERS];
	int nreg = 0, nbell_fail = 0;
	uint64_t seq = 0, last_reg_seq = 0;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(sh != MAP_FAILED);
	strcpy(dir, "/tmp/rqueue.XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	if (tl_case_failed)
		return;
	memset(sh, 0, sizeof(*sh));
	snprintf(rdir, sizeof(rdir), "%s/readers", dir);
	snprintf(logpath, sizeof(logpath), "%s/log", dir);
	CHECK_OK(mkdir(rdir, 0700));
	wfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	CHECK_OK(wfd);

	int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	CHECK_OK(in);
	CHECK_OK(inotify_add_watch(in, rdir, IN_MOVED_TO | IN_CLOSE_WRITE));
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = in};
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, in, &ev));
	if (tl_case_failed)
		return;

	for (int i = 0; i < N_READERS; i++) {
		bell[i] = pidfds[i] = -1;
		fflush(stdout);
		pids[i] = fork();
		if (pids[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			reader(i, logpath);
		}
		CHECK_OK(pids[i]);
	}

	double deadline = tl_now_ms() + 20000;
	while (tl_now_ms() < deadline &&
	       (seq < MIN_APPENDS || nreg < N_READERS ||
		seq < last_reg_seq + TAIL_APPENDS)) {
		append(seq++, 0);
		for (int i = 0; i < N_READERS; i++) {
			uint64_t one = 1;
			if (bell[i] >= 0 && write(bell[i], &one, 8) != 8)
				nbell_fail++;
		}
		/* new readers? (also paces the appends) */
		int n = epoll_wait(ep, &ev, 1, 2);
		if (n != 1)
			continue;
		char buf[4096]
		    __attribute__((aligned(__alignof__(struct inotify_event))));
		ssize_t len = read(in, buf, sizeof(buf));
		for (char *p = buf; len > 0 && p < buf + len;) {
			struct inotify_event *ie = (struct inotify_event *)p;
			p += sizeof(*ie) + ie->len;
			int idx, rpid, rfd;
			char path[300];
			if (ie->len == 0 ||
			    sscanf(ie->name, "r%d", &idx) != 1 || idx < 0 ||
			    idx >= N_READERS || bell[idx] >= 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", rdir, ie->name);
			if (slurp_int_pair(path, &rpid, &rfd) < 0) {
				tl_fail(__FILE__, __LINE__, "read %s", path);
				continue;
			}
			CHECK_EQ(rpid, pids[idx]);
			pidfds[idx] = pidfd_open(rpid);
			CHECK_OK(pidfds[idx]);
			if (pidfds[idx] < 0)
				continue;
			bell[idx] = pidfd_getfd(pidfds[idx], rfd);
			CHECK_OK(bell[idx]);
			if (bell[idx] < 0)
				continue;
			reg_at[idx] = seq;
			last_reg_seq = seq;
			nreg++;
			/* records may have landed between its publishing
			 * and now: ring it at once */
			uint64_t one = 1;
			if (write(bell[idx], &one, 8) != 8)
				nbell_fail++;
		}
	}
	CHECK_EQ(nreg, N_READERS);
	uint64_t total = seq + 1;
	append(seq++, 1);
	for (int i = 0; i < N_READERS; i++) {
		uint64_t one = 1;
		if (bell[i] >= 0 && write(bell[i], &one, 8) != 8)
			nbell_fail++;
	}
	CHECK_EQ(nbell_fail, 0);

	for (int i = 0; i < N_READERS; i++) {
		int st = -1;
		pid_t w = 0;
		double dl = tl_now_ms() + READER_WAIT_MS + 5000;
		while (pids[i] > 0 && tl_now_ms() < dl &&
		       (w = waitpid(pids[i], &st, WNOHANG)) == 0)
			usleep(5000);
		if (pids[i] > 0 && w == 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], &st, 0);
		}
		struct rstat *r = &sh->r[i];
		if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
			tl_fail(__FILE__, __LINE__, "reader %d status %#x: %s",
				i, st, r->err);
		CHECK_EQ(r->done, 1);
		/* it read everything from its publishing to the end */
		CHECK(r->start <= reg_at[i]);
		CHECK_EQ(r->next, total);
		CHECK_EQ(r->count, total - r->start);
		CHECK(r->wakes >= 1);
		printf("# reader %d: published at %llu, registered at %llu, "
		       "read %llu records, %llu wakes\n",
		       i, (unsigned long long)r->start,
		       (unsigned long long)reg_at[i],
		       (unsigned long long)r->count,
		       (unsigned long long)r->wakes);
		if (bell[i] >= 0)
			close(bell[i]);
		if (pidfds[i] >= 0)
			close(pidfds[i]);
	}
	close_fds(ep, in, wfd);
	for (int i = 0; i < N_READERS; i++) {
		char p[300];
		snprintf(p, sizeof(p), "%s/r%d", rdir, i);
		unlink(p);
	}
	unlink(logpath);
	rmdir(rdir);
	rmdir(dir);
}

int main(void)
{
	RUN(case_eventfd_proc_reopen_enxio);
	RUN(case_pidfd_getfd_rings_blocked_child);
	RUN(case_reader_queue);
	return tl_done();
}
