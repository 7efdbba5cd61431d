/* eventfd_signals.c: signals hitting a blocking eventfd read or write
 * (linux-semantics.md §6.2 step 2, §6.3 step 4, §1.5, §8).
 *
 * A blocked eventfd read/write returns -ERESTARTSYS on a signal:
 *   handler with SA_RESTART    -> restarted
 *   handler without SA_RESTART -> EINTR
 *   SIGSTOP + SIGCONT          -> restarted
 *   ignored or blocked signal  -> no interruption at all
 */
#include "testlib.h"
#include "testutil.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define MAX_COUNT 0xfffffffffffffffeULL

static volatile sig_atomic_t g_hits;
static volatile sig_atomic_t g_handler_fd = -1;
static volatile uint64_t g_handler_val;

static void handler(int sig)
{
	int saved = errno;

	(void)sig;
	g_hits++;
	if (g_handler_fd >= 0) {
		uint64_t v = g_handler_val;
		if (write(g_handler_fd, &v, 8) != 8)
			g_hits += 1000;
	}
	errno = saved;
}

static void set_handler(int sig, int restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	g_hits = 0;
	g_handler_fd = -1;
}

static void set_default(int sig)
{
	signal(sig, SIG_DFL);
}

/* A helper thread that runs a little script against a target thread:
 * at time t (ms after start), send a signal, write a value, or read. */
enum act { A_END, A_TGKILL, A_KILL, A_WRITE, A_READ };

struct step {
	int at_ms;
	enum act act;
	uint64_t arg; /* signal number or value to write */
};

struct script {
	pthread_t th;
	pid_t tid; /* target thread for A_TGKILL */
	int fd;
	double start;
	struct step steps[8];
	int errors;
	uint64_t last_read;
	int unmask_sig; /* if non-zero, unblock this signal in the helper */
	long wait_nr;	/* if >= 0: first wait until tid sleeps in this syscall,
			   then start the clock */
	double t_end;	/* set by the main thread when its call returned */
};

static void *script_thread(void *p)
{
	struct script *s = p;
	int i;

	if (s->unmask_sig) {
		sigset_t ss;
		sigemptyset(&ss);
		sigaddset(&ss, s->unmask_sig);
		pthread_sigmask(SIG_UNBLOCK, &ss, NULL);
	}
	if (s->wait_nr >= 0) {
		if (!wait_in_syscall(getpid(), s->tid, s->wait_nr, 3000))
			s->errors++;
		s->start = tl_now_ms();
	}
	for (i = 0; s->steps[i].act != A_END; i++) {
		struct step *st = &s->steps[i];
		sleep_until(s->start + st->at_ms);
		switch (st->act) {
		case A_TGKILL:
			if (syscall(SYS_tgkill, getpid(), s->tid, (int)st->arg))
				s->errors++;
			break;
		case A_KILL:
			if (kill(getpid(), (int)st->arg))
				s->errors++;
			break;
		case A_WRITE:
			if (wr(s->fd, st->arg))
				s->errors++;
			break;
		case A_READ:
			if (rd(s->fd, &s->last_read))
				s->errors++;
			break;
		case A_END:
			break;
		}
	}
	return NULL;
}

/* Start the script against the calling thread, which is about to enter
 * syscall nr (or -1 for no wait). */
static void start_script(struct script *s, long nr)
{
	s->wait_nr = nr;
	s->tid = gettid();
	s->start = tl_now_ms();
	s->errors = 0;
	if (pthread_create(&s->th, NULL, script_thread, s) != 0)
		s->errors = 1000;
}

/* Right after the calling thread's call returned: note the time (the call
 * took s->t_end - s->start from the clock's start), join the helper, check
 * that every step worked. */
static void script_done(struct script *s)
{
	s->t_end = tl_now_ms();
	pthread_join(s->th, NULL);
	CHECK_EQ(s->errors, 0);
}

/* Make the blocking call `call` (a statement, usually a check of it) in
 * this thread while script s runs against it; nr is the call's number. */
#define WHILE_SCRIPT(s, nr, call)                                              \
	do {                                                                   \
		start_script(&(s), (nr));                                      \
		call;                                                          \
		script_done(&(s));                                             \
	} while (0)

/* A blocking read in this thread while script s runs: it must return
 * want. Returns how long it took from the script clock's start. */
static double read_during(struct script *s, uint64_t want)
{
	uint64_t v = 0;

	WHILE_SCRIPT(*s, SYS_read, CHECK_OK(rd(s->fd, &v)));
	CHECK_EQ(v, want);
	return s->t_end - s->start;
}

/* The end of a case: sig back to SIG_DFL, fd closed. */
static void case_end(int sig, int fd)
{
	set_default(sig);
	close(fd);
}

/* Block sig in the calling thread; the old mask in *old. */
static void block_signal(int sig, sigset_t *old)
{
	sigset_t ss;

	sigemptyset(&ss);
	sigaddset(&ss, sig);
	pthread_sigmask(SIG_BLOCK, &ss, old);
}

static void read_eintr_without_restart(void)
{
	int fd = new_eventfd(0, 0);
	struct script s = {.fd = fd,
			   .steps = {{100, A_TGKILL, SIGUSR1}, {0, A_END, 0}}};
	uint64_t v = 0x5a5a;

	set_handler(SIGUSR1, 0);
	WHILE_SCRIPT(s, SYS_read, CHECK_ERR(read(fd, &v, 8), EINTR));
	double t = s.t_end - s.start;
	CHECK_EQ(g_hits, 1);
	CHECK(t >= 90);
	CHECK(t < 100 + 2000);
	CHECK_EQ(v, 0x5a5a);
	/* Nothing was consumed or added. */
	CHECK_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	CHECK_ERR(read(fd, &v, 8), EAGAIN);
	case_end(SIGUSR1, fd);
}

static void read_restarted_with_sa_restart(void)
{
	int fd = new_eventfd(0, 0);
	struct script s = {.fd = fd,
			   .steps = {{100, A_TGKILL, SIGUSR1},
				     {180, A_TGKILL, SIGUSR1},
				     {300, A_WRITE, 77},
				     {0, A_END, 0}}};

	set_handler(SIGUSR1, 1);
	double t = read_during(&s, 77);
	CHECK_EQ(g_hits, 2); /* both handlers ran, the read went on */
	CHECK(t >= 290);
	CHECK(t < 300 + 2000);
	case_end(SIGUSR1, fd);
}

static void semaphore_read_restarted(void)
{
	int fd = new_eventfd(0, EFD_SEMAPHORE);
	struct script s = {.fd = fd,
			   .steps = {{100, A_TGKILL, SIGUSR2},
				     {250, A_WRITE, 3},
				     {0, A_END, 0}}};
	uint64_t v = 0;

	set_handler(SIGUSR2, 1);
	read_during(&s, 1);
	CHECK_EQ(g_hits, 1);
	CHECK_EQ(s.errors, 0);
	CHECK_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	CHECK_OK(rd(fd, &v));
	CHECK_OK(rd(fd, &v));
	CHECK_ERR(read(fd, &v, 8), EAGAIN);
	case_end(SIGUSR2, fd);
}

/* A new eventfd whose counter is at its maximum: a write blocks. */
static int full_eventfd(void)
{
	int fd = new_eventfd(0, 0);
	CHECK_OK(wr(fd, MAX_COUNT));
	return fd;
}

static void write_eintr_without_restart(void)
{
	int fd = full_eventfd();
	struct script s = {.fd = fd,
			   .steps = {{100, A_TGKILL, SIGUSR1}, {0, A_END, 0}}};

	set_handler(SIGUSR1, 0);
	WHILE_SCRIPT(s, SYS_write,
		     CHECK_ERR(write(fd, &(uint64_t){1}, 8), EINTR));
	double t = s.t_end - s.start;
	CHECK_EQ(g_hits, 1);
	CHECK(t >= 90);
	/* The counter is unchanged. */
	expect_read(fd, MAX_COUNT);
	case_end(SIGUSR1, fd);
}

static void write_restarted_with_sa_restart(void)
{
	int fd = full_eventfd();
	struct script s = {.fd = fd,
			   .steps = {{100, A_TGKILL, SIGUSR1},
				     {300, A_READ, 0},
				     {0, A_END, 0}}};

	set_handler(SIGUSR1, 1);
	WHILE_SCRIPT(s, SYS_write, CHECK_OK(wr(fd, 12)));
	double t = s.t_end - s.start;
	CHECK_EQ(g_hits, 1);
	CHECK(t >= 290);
	CHECK_EQ(s.last_read, MAX_COUNT);
	expect_read(fd, 12);
	case_end(SIGUSR1, fd);
}

static void handler_write_then_restart(void)
{
	/* The handler itself writes to the eventfd. With SA_RESTART the
	 * restarted read finds the value at once; without SA_RESTART the
	 * read fails with EINTR and the value stays in the counter. */
	int fd = new_eventfd(0, 0);
	struct script s = {.fd = fd,
			   .steps = {{100, A_TGKILL, SIGUSR1}, {0, A_END, 0}}};
	uint64_t v = 0;

	set_handler(SIGUSR1, 1);
	g_handler_val = 5;
	g_handler_fd = fd;
	double t = read_during(&s, 5);
	CHECK_EQ(g_hits, 1);
	CHECK(t >= 90 && t < 100 + 2000);

	set_handler(SIGUSR1, 0);
	g_handler_val = 6;
	g_handler_fd = fd;
	WHILE_SCRIPT(s, SYS_read, CHECK_ERR(read(fd, &v, 8), EINTR));
	CHECK_EQ(g_hits, 1);
	g_handler_fd = -1;
	expect_read(fd, 6);
	case_end(SIGUSR1, fd);
}

static void ignored_signal_does_not_interrupt(void)
{
	int fd = new_eventfd(0, 0);
	struct script s = {.fd = fd,
			   .steps = {{100, A_TGKILL, SIGUSR2},
				     {150, A_TGKILL, SIGCHLD},
				     {250, A_WRITE, 19},
				     {0, A_END, 0}}};

	signal(SIGUSR2, SIG_IGN);
	/* SIGCHLD's default action is to ignore it. */
	double t = read_during(&s, 19);
	CHECK(t >= 240);
	case_end(SIGUSR2, fd);
}

static void blocked_signal_does_not_interrupt(void)
{
	/* The reader blocks SIGUSR1 in its mask: a signal aimed at it stays
	 * pending, the read goes on, and the handler runs once the mask is
	 * restored. */
	int fd = new_eventfd(0, 0);
	struct script s = {.fd = fd,
			   .steps = {{100, A_TGKILL, SIGUSR1},
				     {250, A_WRITE, 23},
				     {0, A_END, 0}}};
	sigset_t old, pend;

	set_handler(SIGUSR1, 0);
	block_signal(SIGUSR1, &old);
	read_during(&s, 23);
	CHECK_EQ(g_hits, 0);
	sigemptyset(&pend);
	CHECK_OK(sigpending(&pend));
	CHECK(sigismember(&pend, SIGUSR1));
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	CHECK_EQ(g_hits, 1);
	case_end(SIGUSR1, fd);
}

static void process_signal_goes_to_other_thread(void)
{
	/* The reading thread blocks SIGUSR1; a process-directed SIGUSR1 is
	 * delivered to the helper thread, which has it unblocked, and the
	 * read is not disturbed. */
	int fd = new_eventfd(0, 0);
	struct script s = {.fd = fd,
			   .steps = {{100, A_KILL, SIGUSR1},
				     {300, A_WRITE, 29},
				     {0, A_END, 0}}};
	sigset_t old;

	set_handler(SIGUSR1, 0);
	block_signal(SIGUSR1, &old);
	/* The helper inherits the blocked mask; it unblocks for itself. */
	s.unmask_sig = SIGUSR1;
	double t = read_during(&s, 29);
	CHECK(t >= 290);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	/* Either the helper took it (it was unblocked there), so the handler
	 * has already run once; never twice. */
	CHECK_EQ(g_hits, 1);
	case_end(SIGUSR1, fd);
}

static int child_read_value(int fd, uint64_t want)
{
	uint64_t x = 0;
	ssize_t r;

	errno = 0;
	r = read(fd, &x, 8);
	if (r != 8)
		return errno == EINTR ? 3 : 4;
	return x == want ? 0 : 5;
}

static void stop_cont_restarts(void)
{
	/* No handler at all: SIGSTOP then SIGCONT restart the read. */
	int fd = new_eventfd(0, 0);
	int st = 0;
	pid_t pid = fork_child();

	if (pid == 0)
		_exit(child_read_value(fd, 99));
	CHECK(wait_in_syscall(pid, pid, SYS_read, 3000));
	CHECK_OK(kill(pid, SIGSTOP));
	CHECK_EQ(waitpid(pid, &st, WUNTRACED), pid);
	CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
	sleep_ms(50);
	CHECK_OK(kill(pid, SIGCONT));
	CHECK_EQ(waitpid(pid, &st, WCONTINUED), pid);
	CHECK(WIFCONTINUED(st));
	CHECK(wait_in_syscall(pid, pid, SYS_read, 3000));
	/* Still blocked in read. */
	CHECK_EQ(waitpid(pid, &st, WNOHANG), 0);
	CHECK_OK(wr(fd, 99));
	expect_exit_0(pid);
	close(fd);
}

static void stop_cont_restarts_write(void)
{
	int fd = full_eventfd();
	int st = 0;
	pid_t pid = fork_child();

	if (pid == 0)
		_exit(wr(fd, 4) == 0 ? 0 : (errno == EINTR ? 3 : 4));
	CHECK(wait_in_syscall(pid, pid, SYS_write, 3000));
	CHECK_OK(kill(pid, SIGSTOP));
	CHECK_EQ(waitpid(pid, &st, WUNTRACED), pid);
	CHECK(WIFSTOPPED(st));
	CHECK_OK(kill(pid, SIGCONT));
	CHECK(wait_in_syscall(pid, pid, SYS_write, 3000));
	CHECK_EQ(waitpid(pid, &st, WNOHANG), 0);
	expect_read(fd, MAX_COUNT);
	expect_exit_0(pid);
	expect_read(fd, 4);
	close(fd);
}

static void fatal_signals_kill_blocked_reader(void)
{
	static const int sigs[] = {SIGKILL, SIGTERM, SIGUSR1};
	size_t i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		int fd = new_eventfd(0, 0);
		int st = 0;
		double t0;
		pid_t pid = fork_child();

		if (pid == 0) {
			/* Default dispositions in the child. */
			signal(SIGUSR1, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			_exit(child_read_value(fd, 1));
		}
		CHECK(wait_in_syscall(pid, pid, SYS_read, 3000));
		t0 = tl_now_ms();
		CHECK_OK(kill(pid, sigs[i]));
		CHECK_EQ(waitpid(pid, &st, 0), pid);
		CHECK(tl_now_ms() - t0 < 2000);
		CHECK(WIFSIGNALED(st));
		CHECK_EQ(WTERMSIG(st), sigs[i]);
		close(fd);
	}
}

static void child_handler_eintr(void)
{
	/* The same EINTR rule for a whole process that is signalled from
	 * outside with kill(). */
	int fd = new_eventfd(0, 0);
	int st = 0;
	pid_t pid = fork_child();

	if (pid == 0) {
		uint64_t x;
		set_handler(SIGUSR2, 0);
		errno = 0;
		if (read(fd, &x, 8) != -1 || errno != EINTR)
			_exit(3);
		if (g_hits != 1)
			_exit(4);
		/* Now with SA_RESTART: the second signal does not end it. */
		set_handler(SIGUSR2, 1);
		x = 0;
		if (rd(fd, &x) != 0 || x != 55)
			_exit(5);
		if (g_hits != 1)
			_exit(6);
		_exit(0);
	}
	CHECK(wait_in_syscall(pid, pid, SYS_read, 3000));
	CHECK_OK(kill(pid, SIGUSR2));
	sleep_ms(50);
	CHECK(wait_in_syscall(pid, pid, SYS_read, 3000));
	CHECK_OK(kill(pid, SIGUSR2));
	sleep_ms(100);
	CHECK(wait_in_syscall(pid, pid, SYS_read, 3000));
	CHECK_EQ(waitpid(pid, &st, WNOHANG), 0);
	CHECK_OK(wr(fd, 55));
	expect_exit_0(pid);
	close(fd);
}

int main(void)
{
	/* The mask is inherited across exec; start from an empty one. */
	{
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
	}
	RUN(read_eintr_without_restart);
	RUN(read_restarted_with_sa_restart);
	RUN(semaphore_read_restarted);
	RUN(write_eintr_without_restart);
	RUN(write_restarted_with_sa_restart);
	RUN(handler_write_then_restart);
	RUN(ignored_signal_does_not_interrupt);
	RUN(blocked_signal_does_not_interrupt);
	RUN(process_signal_goes_to_other_thread);
	RUN(stop_cont_restarts);
	RUN(stop_cont_restarts_write);
	RUN(fatal_signals_kill_blocked_reader);
	RUN(child_handler_eintr);
	return tl_done();
}
