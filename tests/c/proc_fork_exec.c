/* proc_fork_exec.c: process trees built with fork, vfork,
 * clone(CLONE_VM|CLONE_VFORK), posix_spawn and execve, with eventfds used
 * at every level; signals ending children; an orphaned grandchild.
 *
 * The program re-executes itself through /proc/self/exe with a marker as
 * argv[1]:
 *   --chain MODES SHAREDFD LEVEL GONEFD   one level of a chain (below)
 *   --block FD                            block in read(FD) forever
 *   --raise SIG                           kill itself with SIG
 *   --exit CODE                           use an eventfd, exit CODE
 *   --report PIPEFD                       write getpid() to PIPEFD
 *   --orphan EFD PIPEFD                   the grandchild of orphan_grandchild
 */
#include "testlib.h"
#include "testutil.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

extern char **environ;

static int is_eventfd(int fd)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return 0;
	link[n] = 0;
	return strcmp(link, "anon_inode:[eventfd]") == 0;
}

/* Create an eventfd, write v, read it back. 0 on success. */
static int eventfd_roundtrip(uint64_t v, int flags)
{
	int fd = eventfd(0, flags);
	uint64_t got = 0;
	int ok;

	if (fd < 0)
		return -1;
	ok = wr(fd, v) == 0 && rd(fd, &got) == 0 &&
	     got == ((flags & EFD_SEMAPHORE) ? 1 : v);
	close(fd);
	return ok ? 0 : -1;
}

/* ---- spawning in various ways --------------------------------------- */

/* fork() (or vfork()) and exec this program with argv. */
static pid_t spawn_fork(char **argv, int use_vfork)
{
	pid_t pid;

	fflush(stdout);
	pid = use_vfork ? vfork() : fork();
	if (pid == 0) {
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	return pid;
}

static char clone_stack[256 * 1024] __attribute__((aligned(16)));

static int clone_fn(void *arg)
{
	execv("/proc/self/exe", (char **)arg);
	_exit(127);
	return 127;
}

static pid_t spawn_clone(char **argv)
{
	fflush(stdout);
	return clone(clone_fn, clone_stack + sizeof(clone_stack),
		     CLONE_VM | CLONE_VFORK | SIGCHLD, argv);
}

static pid_t spawn_posix(char **argv)
{
	pid_t pid;

	fflush(stdout);
	if (posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, environ))
		return -1;
	return pid;
}

static pid_t spawn_mode(char mode, char **argv)
{
	switch (mode) {
	case 'f':
		return spawn_fork(argv, 0);
	case 'v':
		return spawn_fork(argv, 1);
	case 'c':
		return spawn_clone(argv);
	case 's':
		return spawn_posix(argv);
	}
	return -1;
}

/* ---- the chain ------------------------------------------------------- */

/* One level. MODES: how to start each following level ("fvcs"...), one
 * char per level. SHAREDFD: an eventfd inherited from the top, to which
 * each level adds 1 << LEVEL. GONEFD: the parent level's own eventfd,
 * which was close-on-exec and so must not exist here (-1: none). */
static int chain_main(const char *modes, int shared, int level, int gone)
{
	int own;
	uint64_t v = 0;
	char nshared[16], nlevel[16], ngone[16];
	char *argv[8];
	pid_t pid;
	int code;

	if (!is_eventfd(shared))
		return 20;
	if (fcntl(shared, F_GETFD) != 0)
		return 21;
	if (gone >= 0 && fcntl(gone, F_GETFD) != -1)
		return 22;
	own = eventfd(0, EFD_CLOEXEC | ((level & 1) ? EFD_SEMAPHORE : 0));
	if (own < 0)
		return 23;
	if (wr(own, (uint64_t)level + 2) || rd(own, &v))
		return 24;
	if (v != ((level & 1) ? 1 : (uint64_t)level + 2))
		return 25;
	if (wr(shared, 1ULL << level))
		return 26;
	if (!*modes)
		return 0;

	snprintf(nshared, sizeof(nshared), "%d", shared);
	snprintf(nlevel, sizeof(nlevel), "%d", level + 1);
	snprintf(ngone, sizeof(ngone), "%d", own);
	argv[0] = (char *)"proc_fork_exec";
	argv[1] = (char *)"--chain";
	argv[2] = (char *)(modes + 1);
	argv[3] = nshared;
	argv[4] = nlevel;
	argv[5] = ngone;
	argv[6] = NULL;
	pid = spawn_mode(modes[0], argv);
	if (pid < 0)
		return 27;
	code = wait_exit(pid);
	if (code != 0)
		return code < 0 ? 28 : code;
	/* Our own eventfd is untouched by the child's exec. */
	if (level & 1) {
		if (rd(own, &v) || v != 1)
			return 29;
	} else {
		if (wr(own, 3) || rd(own, &v) || v != 3)
			return 30;
	}
	close(own);
	return 0;
}

/* Run a chain of 1 + strlen(modes) exec'd levels from here. */
static void run_chain(const char *modes)
{
	int shared = eventfd(0, 0);
	char nshared[16];
	char *argv[] = {(char *)"proc_fork_exec",
			(char *)"--chain",
			(char *)modes,
			nshared,
			(char *)"0",
			(char *)"-1",
			NULL};
	pid_t pid;
	uint64_t v = 0;
	size_t levels = strlen(modes) + 1;

	CHECK(shared >= 0);
	snprintf(nshared, sizeof(nshared), "%d", shared);
	pid = spawn_fork(argv, 0);
	CHECK(pid > 0);
	if (pid <= 0)
		return;
	CHECK_EQ(wait_exit(pid), 0);
	CHECK_OK(fcntl(shared, F_SETFL, O_NONBLOCK));
	CHECK_OK(rd(shared, &v));
	CHECK_EQ(v, (1ULL << levels) - 1);
	close(shared);
}

static void chain_fork_exec(void)
{
	run_chain("fff");
}

static void chain_vfork_exec(void)
{
	run_chain("vvv");
}

static void chain_clone_vm_vfork(void)
{
	run_chain("ccc");
}

static void chain_posix_spawn(void)
{
	run_chain("ss");
}

static void chain_mixed(void)
{
	run_chain("fvcsfv");
}

/* ---- single-level helpers --------------------------------------------- */

static void exit_codes(void)
{
	static const int codes[] = {0, 1, 42, 127, 200, 255};
	size_t i;
	char n[16];
	char *argv[] = {(char *)"proc_fork_exec", (char *)"--exit", n, NULL};

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		pid_t pid;
		snprintf(n, sizeof(n), "%d", codes[i]);
		pid = spawn_mode("fvcs"[i % 4], argv);
		CHECK(pid > 0);
		if (pid > 0)
			CHECK_EQ(wait_exit(pid), codes[i]);
	}
}

static void exec_keeps_pid(void)
{
	int p[2];
	char n[16];
	char *argv[] = {(char *)"proc_fork_exec", (char *)"--report", n, NULL};
	const char modes[] = "fvcs";
	int i;

	for (i = 0; i < 4; i++) {
		pid_t pid, got = 0;
		CHECK_OK(pipe(p));
		snprintf(n, sizeof(n), "%d", p[1]);
		pid = spawn_mode(modes[i], argv);
		CHECK(pid > 0);
		close(p[1]);
		CHECK_EQ(read(p[0], &got, sizeof(got)), (long)sizeof(got));
		CHECK_EQ(got, pid);
		close(p[0]);
		if (pid > 0)
			CHECK_EQ(wait_exit(pid), 0);
	}
}

static void exec_enoent(void)
{
	pid_t pid;
	int efd = eventfd(0, EFD_NONBLOCK);

	CHECK(efd >= 0);
	pid = fork_child();
	if (pid == 0) {
		char *argv[] = {(char *)"nope", NULL};
		execv("/nonexistent/interpoll-test", argv);
		/* The failed exec left us intact, eventfd included. */
		{
			int e = errno;
			if (wr(efd, 1))
				_exit(99);
			_exit(e);
		}
	}
	CHECK_EQ(wait_exit(pid), ENOENT);
	{
		uint64_t v = 0;
		CHECK_OK(rd(efd, &v));
		CHECK_EQ(v, 1);
	}
	close(efd);
}

static void child_killed_while_blocked(void)
{
	static const int sigs[] = {SIGTERM, SIGKILL, SIGINT, SIGHUP};
	size_t i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		int fd = eventfd(0, 0);
		char n[16];
		char *argv[] = {(char *)"proc_fork_exec", (char *)"--block", n,
				NULL};
		pid_t pid;
		int st = 0;

		CHECK(fd >= 0);
		snprintf(n, sizeof(n), "%d", fd);
		pid = spawn_mode("fvcs"[i % 4], argv);
		CHECK(pid > 0);
		if (pid <= 0)
			continue;
		CHECK(wait_in_syscall(pid, pid, SYS_read, 3000));
		CHECK_OK(kill(pid, sigs[i]));
		CHECK_EQ(waitpid(pid, &st, 0), pid);
		CHECK(WIFSIGNALED(st));
		CHECK_EQ(WTERMSIG(st), sigs[i]);
		CHECK(!WIFEXITED(st));
		close(fd);
	}
}

static void child_raises_signal(void)
{
	static const int sigs[] = {SIGUSR1, SIGUSR2, SIGALRM, SIGKILL};
	size_t i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		char n[16];
		char *argv[] = {(char *)"proc_fork_exec", (char *)"--raise", n,
				NULL};
		pid_t pid;
		int st = 0;

		snprintf(n, sizeof(n), "%d", sigs[i]);
		pid = spawn_fork(argv, 0);
		CHECK(pid > 0);
		if (pid <= 0)
			continue;
		CHECK_EQ(waitpid(pid, &st, 0), pid);
		CHECK(WIFSIGNALED(st));
		CHECK_EQ(WTERMSIG(st), sigs[i]);
	}
}

static void orphan_grandchild(void)
{
	/* top (subreaper) -> child C -> grandchild G. C exits at once; G is
	 * reparented to top, execs itself, and blocks in an eventfd read
	 * until top writes; then it reports through a pipe. */
	int efd = eventfd(0, 0);
	int p[2];
	pid_t c, g = 0;
	char buf[64];
	ssize_t n;
	pid_t top = getpid();

	CHECK(efd >= 0);
	CHECK_OK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	CHECK_OK(pipe(p));
	c = fork_child();
	if (c == 0) {
		pid_t gp, cpid = getpid();
		close(p[0]);
		gp = fork();
		if (gp < 0)
			_exit(1);
		if (gp == 0) {
			double end = tl_now_ms() + 3000;
			char nefd[16], np[16];
			char *argv[] = {(char *)"proc_fork_exec",
					(char *)"--orphan", nefd, np, NULL};
			/* Wait for C to die and for the reparenting. */
			while (getppid() == cpid && tl_now_ms() < end)
				sleep_ms(5);
			if (getppid() != top)
				_exit(2);
			if (eventfd_roundtrip(5, 0))
				_exit(3);
			snprintf(nefd, sizeof(nefd), "%d", efd);
			snprintf(np, sizeof(np), "%d", p[1]);
			execv("/proc/self/exe", argv);
			_exit(4);
		}
		if (write(p[1], &gp, sizeof(gp)) != sizeof(gp))
			_exit(5);
		_exit(0);
	}
	close(p[1]);
	CHECK_EQ(read(p[0], &g, sizeof(g)), (long)sizeof(g));
	CHECK_EQ(wait_exit(c), 0);
	CHECK(g > 0);
	if (g > 0) {
		/* G now blocks in read(efd) in its new image. */
		CHECK(wait_in_syscall(g, g, SYS_read, 3000));
		CHECK_OK(wr(efd, 123));
		n = read(p[0], buf, sizeof(buf) - 1);
		CHECK(n > 0);
		if (n > 0) {
			buf[n] = 0;
			CHECK(strcmp(buf, "orphan-ok") == 0);
		}
		/* We are G's parent now, so we reap it. */
		expect_exit_0(g);
	}
	close(p[0]);
	CHECK_OK(prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0));
	/* G consumed the 123 and added 1. */
	{
		uint64_t v = 0;
		CHECK_OK(fcntl(efd, F_SETFL, O_NONBLOCK));
		CHECK_OK(rd(efd, &v));
		CHECK_EQ(v, 1);
	}
	close(efd);
}

/* Signal dispositions set to SIG_IGN (e.g. SIGINT for a background job)
 * and the signal mask survive exec; reset them where a test relies on
 * default actions. */
static void reset_signals(void)
{
	sigset_t none;
	int sig;

	for (sig = 1; sig < 32; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static int orphan_main(int efd, int pfd)
{
	uint64_t v = 0;
	char msg[64];

	if (!is_eventfd(efd))
		return 10;
	if (rd(efd, &v) || v != 123) /* blocks until the top writes */
		return 11;
	if (eventfd_roundtrip(77, EFD_SEMAPHORE))
		return 12;
	if (wr(efd, 1))
		return 13;
	snprintf(msg, sizeof(msg), "orphan-ok");
	if (write(pfd, msg, strlen(msg)) != (ssize_t)strlen(msg))
		return 14;
	return 0;
}

static void fork_tree_wait_any(void)
{
	/* Several children at once, each blocked on its own eventfd, woken
	 * in turn; waitpid(-1) collects them all with the right codes. */
	enum { N = 6 };
	int fds[N];
	pid_t pids[N];
	int i, seen = 0;

	for (i = 0; i < N; i++) {
		fds[i] = eventfd(0, 0);
		CHECK(fds[i] >= 0);
		pids[i] = fork_child();
		if (pids[i] == 0) {
			uint64_t v = 0;
			if (rd(fds[i], &v))
				_exit(99);
			_exit((int)v);
		}
	}
	for (i = 0; i < N; i++)
		CHECK(wait_in_syscall(pids[i], pids[i], SYS_read, 3000));
	for (i = N - 1; i >= 0; i--)
		CHECK_OK(wr(fds[i], (uint64_t)(i + 10)));
	for (;;) {
		int st = 0, j;
		pid_t w = waitpid(-1, &st, 0);
		if (w < 0)
			break;
		for (j = 0; j < N; j++)
			if (pids[j] == w) {
				CHECK(WIFEXITED(st));
				CHECK_EQ(WEXITSTATUS(st), j + 10);
				seen++;
			}
	}
	CHECK_EQ(errno, ECHILD);
	CHECK_EQ(seen, N);
	for (i = 0; i < N; i++)
		close(fds[i]);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strncmp(argv[1], "--", 2) == 0) {
		if (strcmp(argv[1], "--chain") == 0 && argc == 6)
			return chain_main(argv[2], atoi(argv[3]), atoi(argv[4]),
					  atoi(argv[5]));
		if (strcmp(argv[1], "--block") == 0 && argc == 3) {
			uint64_t v;
			reset_signals();
			rd(atoi(argv[2]), &v);
			return 90; /* not reached: nobody writes */
		}
		if (strcmp(argv[1], "--raise") == 0 && argc == 3) {
			reset_signals();
			if (eventfd_roundtrip(3, 0))
				return 91;
			raise(atoi(argv[2]));
			return 92;
		}
		if (strcmp(argv[1], "--exit") == 0 && argc == 3) {
			if (eventfd_roundtrip(4, EFD_NONBLOCK))
				return 93;
			return atoi(argv[2]);
		}
		if (strcmp(argv[1], "--report") == 0 && argc == 3) {
			pid_t me = getpid();
			int fd = atoi(argv[2]);
			if (write(fd, &me, sizeof(me)) != sizeof(me))
				return 94;
			return 0;
		}
		if (strcmp(argv[1], "--orphan") == 0 && argc == 4)
			return orphan_main(atoi(argv[2]), atoi(argv[3]));
		return 95;
	}

	reset_signals();
	RUN(chain_fork_exec);
	RUN(chain_vfork_exec);
	RUN(chain_clone_vm_vfork);
	RUN(chain_posix_spawn);
	RUN(chain_mixed);
	RUN(exit_codes);
	RUN(exec_keeps_pid);
	RUN(exec_enoent);
	RUN(child_killed_while_blocked);
	RUN(child_raises_signal);
	RUN(orphan_grandchild);
	RUN(fork_tree_wait_any);
	return tl_done();
}
