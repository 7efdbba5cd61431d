/* siglat: how late a signal interrupts a blocked epoll_wait.
 *
 *   siglat thread|process|child|itimer [ROUNDS=30]
 *   siglat outside FILE [ROUNDS=30]   (the receiver)
 *   siglat send FILE [ROUNDS=30]      (the sender, run natively)
 *
 * The main thread blocks in epoll_wait on an empty instance (5 s timeout);
 * a signal with a handler interrupts it. One sample is the time from the
 * signal's sending to its handler's run, in microseconds:
 *   thread   a sibling thread's pthread_kill (SIGUSR1);
 *   process  a helper process's kill (SIGUSR1);
 *   child    a child's exit (SIGCHLD), timed from just before its _exit;
 *   itimer   setitimer(ITIMER_REAL) (SIGALRM), timed from its expiry;
 *   outside  kill from a process outside the sandbox: `siglat send FILE`
 *            run natively reads the receiver's pid from FILE and, each
 *            round, writes its clock to FILE and sends SIGUSR1.
 * Output: siglat_SOURCE_p50 and siglat_SOURCE_p99, in us. */
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "bench.h"

#define DELAY_MS 20 /* the waiter is asleep well before the signal */

static volatile uint64_t handled_ns;
static volatile uint64_t *sent_ns; /* shared with helper processes */

static void on_signal(int sig)
{
	(void)sig;
	handled_ns = now_ns();
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Block until a signal interrupts the wait; returns its latency in us. */
static double wait_for_signal(int ep)
{
	struct epoll_event ev;
	handled_ns = 0;
	int r = epoll_wait(ep, &ev, 1, 5000);
	if (r != -1 || errno != EINTR || !handled_ns)
		die("epoll_wait was not interrupted (%d)", r);
	return (double)(handled_ns - *sent_ns) / 1e3;
}

static pthread_t waiter;

static void *sibling(void *arg)
{
	long rounds = (long)arg;
	for (long i = 0; i < rounds; i++) {
		sleep_ms(DELAY_MS);
		*sent_ns = now_ns();
		pthread_kill(waiter, SIGUSR1);
		sleep_ms(DELAY_MS); /* the waiter blocks again */
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *src, double *lat, long n)
{
	qsort(lat, (size_t)n, sizeof(*lat), cmp);
	emitf(lat[n / 2], "us", "siglat_%s_p50", src);
	emitf(lat[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1], "us",
	      "siglat_%s_p99", src);
}

static void sender(const char *file, long rounds)
{
	pid_t pid = 0;
	for (int i = 0; i < 500 && pid <= 0; i++) {
		FILE *f = fopen(file, "r");
		if (f) {
			if (fscanf(f, "%d", &pid) != 1)
				pid = 0;
			fclose(f);
		}
		if (pid <= 0)
			sleep_ms(10);
	}
	if (pid <= 0)
		die("no receiver pid in %s", file);
	int fd = open(file, O_RDWR);
	if (fd < 0)
		die("open %s", file);
	for (long i = 0; i < rounds; i++) {
		sleep_ms(2 * DELAY_MS);
		uint64_t t = now_ns();
		if (pwrite(fd, &t, sizeof(t), 64) != sizeof(t))
			die("pwrite");
		if (kill(pid, SIGUSR1) < 0)
			die("kill");
	}
	close(fd);
}

int main(int argc, char **argv)
{
	const char *src = argc > 1 ? argv[1] : "";
	int outside = !strcmp(src, "outside"), send = !strcmp(src, "send");
	long rounds = arg_long(argc, argv, outside || send ? 3 : 2, 30);
	if (send) {
		sender(argv[2], rounds);
		return 0;
	}
	sent_ns = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sent_ns == MAP_FAILED)
		die("mmap");
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	double *lat = calloc((size_t)rounds, sizeof(*lat));
	pthread_t t;
	int fd = -1;
	waiter = pthread_self();
	if (!strcmp(src, "thread")) {
		pthread_create(&t, NULL, sibling, (void *)rounds);
	} else if (!strcmp(src, "process")) {
		pid_t me = getpid();
		if (fork_child() == 0) {
			for (long i = 0; i < rounds; i++) {
				sleep_ms(DELAY_MS);
				*sent_ns = now_ns();
				kill(me, SIGUSR1);
				sleep_ms(DELAY_MS);
			}
			_exit(0);
		}
	} else if (outside) {
		if (argc < 3)
			die("siglat outside FILE");
		fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dprintf(fd, "%d\n", getpid()) < 0)
			die("%s", argv[2]);
	} else if (strcmp(src, "child") && strcmp(src, "itimer")) {
		fprintf(stderr, "usage: siglat thread|process|child|itimer|"
				"outside FILE|send FILE [ROUNDS]\n");
		return 2;
	}
	for (long i = 0; i < rounds; i++) {
		pid_t c = -1;
		if (!strcmp(src, "child")) {
			c = fork_child();
			if (c == 0) {
				sleep_ms(DELAY_MS);
				*sent_ns = now_ns();
				_exit(0);
			}
		} else if (!strcmp(src, "itimer")) {
			struct itimerval it = {{0, 0}, {0, DELAY_MS * 1000}};
			*sent_ns = now_ns() + DELAY_MS * 1000000ull;
			setitimer(ITIMER_REAL, &it, NULL);
		}
		lat[i] = wait_for_signal(ep);
		if (outside && pread(fd, (void *)sent_ns, 8, 64) == 8)
			lat[i] = (double)(handled_ns - *sent_ns) / 1e3;
		if (c > 0)
			waitpid(c, NULL, 0);
	}
	if (!strcmp(src, "thread"))
		pthread_join(t, NULL);
	report(src, lat, rounds);
	return 0;
}
