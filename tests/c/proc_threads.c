/* proc_threads.c: eventfds in multi-threaded programs: many threads
 * creating, writing and blocking at once; threads blocked in an eventfd
 * read while the process exits, the main thread exits, another thread
 * execs, or the fd is closed under them.
 *
 * Re-executes itself as `proc_threads --after-exec FD` for the exec case.
 */
#include "testlib.h"
#include "testutil.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define NTHREADS 8

static int atomic_get(int *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

/* --- 1. each thread with its own eventfds --------------------------- */

struct own_arg {
	int idx;
	int errors;
	int fd; /* last fd, published for the uniqueness check */
	pthread_barrier_t *bar;
};

static void *own_thread(void *p)
{
	struct own_arg *a = p;
	int i;

	for (i = 0; i < 300; i++) {
		int sem = (i + a->idx) & 1;
		int fd = eventfd((unsigned)i,
				 EFD_NONBLOCK | (sem ? EFD_SEMAPHORE : 0));
		uint64_t v = 0, want = (uint64_t)a->idx * 1000 + i + 1;
		if (fd < 0) {
			a->errors++;
			continue;
		}
		if (wr(fd, want))
			a->errors++;
		if (rd(fd, &v))
			a->errors++;
		if (v != (sem ? 1 : want + i))
			a->errors++;
		close(fd);
	}
	/* Keep one open while everybody else does too. */
	a->fd = eventfd((unsigned)a->idx, 0);
	if (a->fd < 0)
		a->errors++;
	pthread_barrier_wait(a->bar);
	/* Let the main thread check the fds, then read our own back. */
	pthread_barrier_wait(a->bar);
	{
		uint64_t v = 0;
		if (rd(a->fd, &v) || v != (uint64_t)a->idx + 100)
			a->errors++;
	}
	close(a->fd);
	return NULL;
}

static void threads_own_eventfds(void)
{
	pthread_t th[NTHREADS];
	struct own_arg a[NTHREADS];
	pthread_barrier_t bar;
	int i, j;

	pthread_barrier_init(&bar, NULL, NTHREADS + 1);
	for (i = 0; i < NTHREADS; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].idx = i;
		a[i].bar = &bar;
		CHECK_EQ(pthread_create(&th[i], NULL, own_thread, &a[i]), 0);
	}
	pthread_barrier_wait(&bar);
	/* All fds are distinct, and any thread's fd works from here: the
	 * fd table is shared. Add 100 to each (thread i had i). */
	for (i = 0; i < NTHREADS; i++) {
		for (j = i + 1; j < NTHREADS; j++)
			CHECK(a[i].fd != a[j].fd);
		CHECK_OK(wr(a[i].fd, 100));
	}
	pthread_barrier_wait(&bar);
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ(a[i].errors, 0);
	}
	pthread_barrier_destroy(&bar);
}

/* --- 2. a token ring of blocking reads ------------------------------ */

#define RING_ROUNDS 100

struct ring_arg {
	int idx;
	int *fds;
	int errors;
};

static void *ring_thread(void *p)
{
	struct ring_arg *a = p;
	int r;

	for (r = 0; r < RING_ROUNDS; r++) {
		uint64_t v = 0, want = (uint64_t)r * NTHREADS + a->idx + 1;
		if (rd(a->fds[a->idx], &v)) {
			a->errors++;
			break;
		}
		if (v != want)
			a->errors++;
		if (wr(a->fds[(a->idx + 1) % (NTHREADS + 1)], v + 1)) {
			a->errors++;
			break;
		}
	}
	return NULL;
}

static void threads_token_ring(void)
{
	/* fds[0..7] belong to the threads, fds[8] to main. Main writes 1
	 * into fds[0]; each thread reads, checks, passes value+1 on. */
	int fds[NTHREADS + 1];
	pthread_t th[NTHREADS];
	struct ring_arg a[NTHREADS];
	int i, r;

	for (i = 0; i <= NTHREADS; i++) {
		fds[i] = eventfd(0, 0);
		CHECK(fds[i] >= 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		a[i].idx = i;
		a[i].fds = fds;
		a[i].errors = 0;
		CHECK_EQ(pthread_create(&th[i], NULL, ring_thread, &a[i]), 0);
	}
	for (r = 0; r < RING_ROUNDS; r++) {
		uint64_t v = 0;
		CHECK_OK(wr(fds[0], (uint64_t)r * NTHREADS + 1));
		CHECK_OK(rd(fds[NTHREADS], &v));
		CHECK_EQ(v, (uint64_t)(r + 1) * NTHREADS + 1);
		if (v != (uint64_t)(r + 1) * NTHREADS + 1)
			break;
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ(a[i].errors, 0);
	}
	for (i = 0; i <= NTHREADS; i++)
		close(fds[i]);
}

/* --- 3. many blocked readers on one semaphore eventfd --------------- */

struct blk_arg {
	int fd;
	pid_t tid;
	int ready;
	uint64_t val;
	int ret;
	int done;
	int order; /* completion order, from a shared counter */
	int *seq;
};

static void *blk_thread(void *p)
{
	struct blk_arg *a = p;

	__atomic_store_n(&a->tid, gettid(), __ATOMIC_SEQ_CST);
	__atomic_store_n(&a->ready, 1, __ATOMIC_SEQ_CST);
	a->ret = rd(a->fd, &a->val);
	if (a->seq)
		a->order = __atomic_fetch_add(a->seq, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&a->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* In a forked child: start a blk_thread on fd and wait until it is about
 * to read (_exit(60) if there is no thread). */
static void child_start_reader(struct blk_arg *a, pthread_t *th, int fd)
{
	a->fd = fd;
	if (pthread_create(th, NULL, blk_thread, a))
		_exit(60);
	while (!atomic_get(&a->ready))
		sleep_ms(1);
}

static int wait_ready(struct blk_arg *a)
{
	double end = tl_now_ms() + 3000;

	while (!atomic_get(&a->ready) && tl_now_ms() < end)
		sleep_ms(2);
	return wait_in_syscall(getpid(), a->tid, SYS_read, 3000);
}

static void threads_shared_semaphore(void)
{
	int fd = eventfd(0, EFD_SEMAPHORE);
	pthread_t th[NTHREADS];
	struct blk_arg a[NTHREADS];
	int i, n;

	CHECK(fd >= 0);
	for (i = 0; i < NTHREADS; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].fd = fd;
		CHECK_EQ(pthread_create(&th[i], NULL, blk_thread, &a[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++)
		CHECK(wait_ready(&a[i]));
	/* Release 3: exactly 3 readers finish. */
	CHECK_OK(wr(fd, 3));
	{
		double end = tl_now_ms() + 3000;
		do {
			sleep_ms(10);
			for (n = 0, i = 0; i < NTHREADS; i++)
				n += atomic_get(&a[i].done);
		} while (n < 3 && tl_now_ms() < end);
	}
	sleep_ms(100);
	for (n = 0, i = 0; i < NTHREADS; i++)
		n += atomic_get(&a[i].done);
	CHECK_EQ(n, 3);
	/* Release the rest. */
	CHECK_OK(wr(fd, NTHREADS - 3));
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ(a[i].ret, 0);
		CHECK_EQ(a[i].val, 1);
	}
	CHECK_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	CHECK_ERR(read(fd, &a[0].val, 8), EAGAIN);
	close(fd);
}

/* --- 4. concurrent writers, one reader ------------------------------ */

#define WRITES_PER_THREAD 2000

static void *writer_thread(void *p)
{
	int fd = *(int *)p;
	int i;
	long errors = 0;

	for (i = 0; i < WRITES_PER_THREAD; i++)
		if (wr(fd, 1))
			errors++;
	return (void *)errors;
}

static void threads_concurrent_writers(void)
{
	int fd = eventfd(0, 0);
	pthread_t th[NTHREADS];
	uint64_t sum = 0, v;
	int i, reads = 0;

	CHECK(fd >= 0);
	for (i = 0; i < NTHREADS; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, writer_thread, &fd), 0);
	while (sum < (uint64_t)NTHREADS * WRITES_PER_THREAD) {
		v = 0;
		if (rd(fd, &v)) {
			CHECK(0);
			break;
		}
		CHECK(v > 0);
		sum += v;
		reads++;
	}
	for (i = 0; i < NTHREADS; i++) {
		void *ret;
		pthread_join(th[i], &ret);
		CHECK_EQ((long)ret, 0);
	}
	CHECK_EQ(sum, (uint64_t)NTHREADS * WRITES_PER_THREAD);
	CHECK(reads >= 1);
	CHECK_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	CHECK_ERR(read(fd, &v, 8), EAGAIN);
	close(fd);
}

/* --- 5. ping-pong pairs ---------------------------------------------- */

#define PINGS 300

struct pp_arg {
	int in, out;
	int first; /* writes first */
	int errors;
};

static void *pp_thread(void *p)
{
	struct pp_arg *a = p;
	int i;

	for (i = 0; i < PINGS; i++) {
		uint64_t v = 0;
		if (a->first) {
			if (wr(a->out, (uint64_t)i + 1) || rd(a->in, &v) ||
			    v != (uint64_t)i + 1000)
				a->errors++;
		} else {
			if (rd(a->in, &v) || v != (uint64_t)i + 1 ||
			    wr(a->out, (uint64_t)i + 1000))
				a->errors++;
		}
	}
	return NULL;
}

static void threads_ping_pong(void)
{
	enum { PAIRS = NTHREADS / 2 };
	pthread_t th[NTHREADS];
	struct pp_arg a[NTHREADS];
	int fds[NTHREADS];
	int i;

	for (i = 0; i < NTHREADS; i++) {
		fds[i] = eventfd(0, 0);
		CHECK(fds[i] >= 0);
	}
	for (i = 0; i < PAIRS; i++) {
		a[2 * i].in = fds[2 * i];
		a[2 * i].out = fds[2 * i + 1];
		a[2 * i].first = 1;
		a[2 * i + 1].in = fds[2 * i + 1];
		a[2 * i + 1].out = fds[2 * i];
		a[2 * i + 1].first = 0;
	}
	for (i = 0; i < NTHREADS; i++) {
		a[i].errors = 0;
		CHECK_EQ(pthread_create(&th[i], NULL, pp_thread, &a[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ(a[i].errors, 0);
	}
	for (i = 0; i < NTHREADS; i++)
		close(fds[i]);
}

/* --- 6. wake blocked threads one by one, in reverse order ----------- */

static void threads_wake_in_order(void)
{
	pthread_t th[NTHREADS];
	struct blk_arg a[NTHREADS];
	int fds[NTHREADS];
	int seq = 0;
	int i, j;

	for (i = 0; i < NTHREADS; i++) {
		fds[i] = eventfd(0, 0);
		CHECK(fds[i] >= 0);
		memset(&a[i], 0, sizeof(a[i]));
		a[i].fd = fds[i];
		a[i].seq = &seq;
		CHECK_EQ(pthread_create(&th[i], NULL, blk_thread, &a[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++)
		CHECK(wait_ready(&a[i]));
	for (i = NTHREADS - 1; i >= 0; i--) {
		double end = tl_now_ms() + 3000;
		CHECK_OK(wr(fds[i], (uint64_t)i + 10));
		while (!atomic_get(&a[i].done) && tl_now_ms() < end)
			sleep_ms(2);
		CHECK(atomic_get(&a[i].done));
		/* Nobody with a lower index finished. */
		for (j = 0; j < i; j++)
			CHECK(!atomic_get(&a[j].done));
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ(a[i].ret, 0);
		CHECK_EQ(a[i].val, (uint64_t)i + 10);
		CHECK_EQ(a[i].order, NTHREADS - 1 - i);
		close(fds[i]);
	}
}

/* --- 7. close the fd under a blocked reader -------------------------- */

static void close_while_blocked(void)
{
	/* The blocked read holds its own reference to the file. Closing
	 * the fd does not wake it, and a new eventfd that reuses the number
	 * is a different file: writing to it does not wake the reader
	 * either. A write through a dup of the old file does. */
	int fd = eventfd(0, 0);
	int keep, fresh;
	pthread_t th;
	struct blk_arg a;
	uint64_t v;

	CHECK(fd >= 0);
	keep = fcntl(fd, F_DUPFD, 500);
	CHECK(keep >= 500);
	memset(&a, 0, sizeof(a));
	a.fd = fd;
	CHECK_EQ(pthread_create(&th, NULL, blk_thread, &a), 0);
	CHECK(wait_ready(&a));
	CHECK_OK(close(fd));
	fresh = eventfd(0, EFD_NONBLOCK);
	CHECK_EQ(fresh, fd); /* same number, different eventfd */
	CHECK_OK(wr(fresh, 3));
	sleep_ms(150);
	CHECK(!atomic_get(&a.done));
	CHECK(wait_in_syscall(getpid(), a.tid, SYS_read, 3000));
	CHECK_OK(wr(keep, 4));
	pthread_join(th, NULL);
	CHECK_EQ(a.ret, 0);
	CHECK_EQ(a.val, 4);
	v = 0;
	CHECK_OK(rd(fresh, &v));
	CHECK_EQ(v, 3);
	close_fds(fresh, keep);
}

/* --- 8. the process exits while a thread is blocked ----------------- */

static void exit_group_with_blocked_thread(void)
{
	/* Three threads are blocked in read (nobody ever writes) when the
	 * main thread calls exit(): the whole process ends with that
	 * status. */
	pid_t pid;

	pid = fork_child();
	if (pid == 0) {
		static struct blk_arg a[3];
		pthread_t th[3];
		int fd = eventfd(0, 0), i;
		for (i = 0; i < 3; i++) {
			a[i].fd = fd;
			if (pthread_create(&th[i], NULL, blk_thread, &a[i]))
				_exit(60);
		}
		for (i = 0; i < 3; i++)
			if (!wait_ready(&a[i]))
				_exit(61);
		exit(7); /* exit_group with three threads in read */
	}
	{
		double t0 = tl_now_ms();
		CHECK_EQ(wait_exit(pid), 7);
		CHECK(tl_now_ms() - t0 < 5000);
	}
}

struct exiter {
	int fd;
	int code;
};

static void *exit_from_thread(void *p)
{
	struct exiter *e = p;

	/* Wait until the main thread (tid == pid) sleeps in read. */
	if (!wait_in_syscall(getpid(), getpid(), SYS_read, 3000))
		_exit(62);
	_exit(e->code); /* exit_group from a non-main thread */
	return NULL;
}

static void exit_group_from_other_thread(void)
{
	/* The main thread blocks in read; a second thread calls _exit(9). */
	pid_t pid;

	pid = fork_child();
	if (pid == 0) {
		static struct exiter e;
		pthread_t th;
		uint64_t v;
		e.fd = eventfd(0, 0);
		e.code = 9;
		if (pthread_create(&th, NULL, exit_from_thread, &e))
			_exit(60);
		if (rd(e.fd, &v) == 0)
			_exit(50);
		_exit(51);
	}
	CHECK_EQ(wait_exit(pid), 9);
}

static void main_thread_exits_worker_continues(void)
{
	/* The main thread calls pthread_exit (a plain exit, not
	 * exit_group); the worker blocked in read stays alive, is woken by
	 * the parent's write through the fd inherited by fork, and ends the
	 * process with the value it read. */
	int fd = eventfd(0, 0);
	int tp[2];
	pid_t pid, wtid = 0;
	int st = 0;

	CHECK(fd >= 0);
	CHECK_OK(pipe(tp));
	pid = fork_child();
	if (pid == 0) {
		static struct blk_arg a;
		pthread_t th;
		close(tp[0]);
		child_start_reader(&a, &th, fd);
		if (write(tp[1], &a.tid, sizeof(a.tid)) != sizeof(a.tid))
			_exit(61);
		close(tp[1]);
		/* Exit only this thread; the worker finishes the job. */
		pthread_exit(NULL);
	}
	close(tp[1]);
	CHECK_EQ(read(tp[0], &wtid, sizeof(wtid)), (long)sizeof(wtid));
	close(tp[0]);
	CHECK(wait_in_syscall(pid, wtid, SYS_read, 3000));
	/* Wait until the main thread is gone (zombie leader). */
	{
		char path[64], buf[512];
		double end = tl_now_ms() + 3000;
		int zombie = 0;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		while (!zombie && tl_now_ms() < end) {
			FILE *f = fopen(path, "r");
			if (f) {
				size_t n = fread(buf, 1, sizeof(buf) - 1, f);
				char *p;
				fclose(f);
				buf[n] = 0;
				p = strrchr(buf, ')');
				if (p && p[1] == ' ' && p[2] == 'Z')
					zombie = 1;
			}
			if (!zombie)
				sleep_ms(5);
		}
		CHECK(zombie);
	}
	/* The process is not reaped yet. */
	CHECK_EQ(waitpid(pid, &st, WNOHANG), 0);
	CHECK_OK(wr(fd, 42));
	/* The worker returns from blk_thread; the last thread's exit ends
	 * the process with status 0. */
	{
		double t0 = tl_now_ms();
		CHECK_EQ(waitpid(pid, &st, 0), pid);
		CHECK(tl_now_ms() - t0 < 3000);
	}
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	/* The worker consumed the 42. */
	CHECK_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	{
		uint64_t v;
		CHECK_ERR(read(fd, &v, 8), EAGAIN);
	}
	close(fd);
}

/* --- 9. exec from a thread while another is blocked ----------------- */

struct exec_arg {
	int fd;
	pid_t reader_tid;
};

static void *exec_thread(void *p)
{
	struct exec_arg *e = p;
	char nfd[16];
	char *argv[] = {(char *)"proc_threads", (char *)"--after-exec", nfd,
			NULL};

	if (!wait_in_syscall(getpid(), e->reader_tid, SYS_read, 3000))
		_exit(70);
	snprintf(nfd, sizeof(nfd), "%d", e->fd);
	execv("/proc/self/exe", argv);
	_exit(71);
	return NULL;
}

static int after_exec_main(int fd)
{
	char buf[4096];
	FILE *f;
	int threads = -1;
	uint64_t v;

	/* execve from a non-leader thread kills all other threads, including
	 * the one blocked in read, and leaves a single thread. */
	f = fopen("/proc/self/status", "r");
	if (!f)
		return 80;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "Threads: %d", &threads) == 1)
			break;
	fclose(f);
	if (threads != 1)
		return 81;
	if (fcntl(fd, F_GETFD) != 0)
		return 82;
	/* The killed reader consumed nothing: the parent's 5 is here. */
	if (rd(fd, &v) != 0 || v != 5)
		return 83;
	if (wr(fd, 17) != 0)
		return 84;
	return 0;
}

static void exec_from_thread_with_blocked_reader(void)
{
	int fd = eventfd(0, 0);
	int rfd = eventfd(0, 0);
	int tp[2];
	pid_t pid;
	uint64_t v;

	CHECK(fd >= 0 && rfd >= 0);
	CHECK_OK(pipe(tp));
	pid = fork_child();
	if (pid == 0) {
		static struct blk_arg a;
		static struct exec_arg e;
		pthread_t r, x;
		close(tp[0]);
		/* The reader blocks on rfd; nobody ever writes to it. */
		child_start_reader(&a, &r, rfd);
		e.fd = fd;
		e.reader_tid = a.tid;
		/* Tell the parent to write 5 into fd (read by the new image).
		 */
		if (write(tp[1], "g", 1) != 1)
			_exit(61);
		close(tp[1]);
		if (pthread_create(&x, NULL, exec_thread, &e))
			_exit(62);
		/* The main thread also blocks in read; exec kills it too. */
		{
			uint64_t y;
			if (rd(rfd, &y) == 0)
				_exit(63);
		}
		_exit(64);
	}
	close(tp[1]);
	{
		char c;
		CHECK_EQ(read(tp[0], &c, 1), 1);
	}
	close(tp[0]);
	CHECK_OK(wr(fd, 5));
	CHECK_EQ(wait_exit(pid), 0);
	v = 0;
	CHECK_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	CHECK_OK(rd(fd, &v));
	CHECK_EQ(v, 17);
	close_fds(fd, rfd);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--after-exec") == 0)
		return after_exec_main(atoi(argv[2]));

	RUN(threads_own_eventfds);
	RUN(threads_token_ring);
	RUN(threads_shared_semaphore);
	RUN(threads_concurrent_writers);
	RUN(threads_ping_pong);
	RUN(threads_wake_in_order);
	RUN(close_while_blocked);
	RUN(exit_group_with_blocked_thread);
	RUN(exit_group_from_other_thread);
	RUN(main_thread_exits_worker_continues);
	RUN(exec_from_thread_with_blocked_reader);
	return tl_done();
}
