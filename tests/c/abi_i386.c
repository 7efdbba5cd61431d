/* abi_i386.c: the i386 system call ABI (int 0x80) reaches the same epoll
 * and eventfd objects as the x86-64 one. A 64-bit program may make i386
 * calls, and a 32-bit program makes nothing else: either way an instance
 * created by one ABI is used by the other, coherently, with the same
 * events, errors and wake-ups.
 *
 * i386 calls take 32-bit pointers, so every buffer lives below 4 GiB
 * (MAP_32BIT). Where the kernel has no i386 emulation (ia32_emulation=0)
 * the cases are skipped. */
#include "testlib.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>

/* i386 numbers (arch/x86/entry/syscalls/syscall_32.tbl). */
#define NR32_getpid 20
#define NR32_poll 168
#define NR32_epoll_create 254
#define NR32_epoll_ctl 255
#define NR32_epoll_wait 256
#define NR32_epoll_pwait 319
#define NR32_eventfd2 328
#define NR32_epoll_create1 329

/* One i386 system call: -errno on failure, as the kernel returns it. The
 * red zone is stepped over and %rbp (the sixth argument) saved by hand. */
static long sys32(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;
	__asm__ volatile("sub $128, %%rsp\n\t"
			 "push %%rbp\n\t"
			 "mov %[f], %%rbp\n\t"
			 "int $0x80\n\t"
			 "pop %%rbp\n\t"
			 "add $128, %%rsp"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d),
			   "D"(e), [f] "r"(f)
			 : "r8", "r9", "r10", "r11", "memory", "cc");
	return (int)ret;
}

/* Memory the i386 calls can address. */
static unsigned char *low;

struct ev32 {
	uint32_t events;
	uint64_t data;
} __attribute__((packed));

static int have_i386(void)
{
	return sys32(NR32_getpid, 0, 0, 0, 0, 0, 0) == getpid();
}

static long ctl32(int ep, int op, int fd, uint32_t events, uint64_t data)
{
	struct ev32 *ev = (struct ev32 *)low;
	ev->events = events;
	ev->data = data;
	return sys32(NR32_epoll_ctl, ep, op, fd, (long)(uintptr_t)ev, 0, 0);
}

/* Wait with the i386 call; the first event lands in *out. */
static long wait32(int ep, int timeout, struct ev32 *out)
{
	struct ev32 *evs = (struct ev32 *)(low + 64);
	memset(evs, 0, 4 * sizeof(*evs));
	long n =
	    sys32(NR32_epoll_wait, ep, (long)(uintptr_t)evs, 4, timeout, 0, 0);
	if (n > 0)
		*out = evs[0];
	return n;
}

static void created_by_i386_used_by_x86_64(void)
{
	int p[2];
	CHECK_OK(pipe2(p, O_CLOEXEC));
	int ep = (int)sys32(NR32_epoll_create1, EPOLL_CLOEXEC, 0, 0, 0, 0, 0);
	CHECK(ep >= 0);
	struct epoll_event ev = {.events = EPOLLIN,
				 .data.u64 = 0x1122334455ull};
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	struct ev32 got;
	CHECK_EQ(wait32(ep, 0, &got), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(wait32(ep, 0, &got), 1);
	CHECK_EQ(got.events, EPOLLIN);
	CHECK_EQ(got.data, 0x1122334455ull);
	CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	CHECK_EQ(ev.data.u64, 0x1122334455ull);
	/* An i386 epoll_create's size rule is the same. */
	CHECK_EQ(sys32(NR32_epoll_create, 0, 0, 0, 0, 0, 0), -EINVAL);
	close(ep);
	close(p[0]);
	close(p[1]);
}

static void created_by_x86_64_filled_by_i386(void)
{
	int p[2];
	CHECK_OK(pipe2(p, O_CLOEXEC));
	int ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK_EQ(ctl32(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLET, 77), 0);
	CHECK_EQ(ctl32(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 78), -EEXIST);
	CHECK_EQ(ctl32(ep, EPOLL_CTL_ADD, 9999, EPOLLIN, 78), -EBADF);
	/* A bad pointer is EFAULT in both ABIs. */
	CHECK_EQ(sys32(NR32_epoll_ctl, ep, EPOLL_CTL_MOD, p[0], 8, 0, 0),
		 -EFAULT);
	CHECK_EQ(write(p[1], "x", 1), 1);
	struct epoll_event ev;
	CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	CHECK_EQ(ev.data.u64, 77);
	CHECK_EQ(ev.events, EPOLLIN);
	CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 0); /* edge-triggered */
	CHECK_EQ(ctl32(ep, EPOLL_CTL_DEL, p[0], 0, 0), 0);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), ENOENT);
	close(ep);
	close(p[0]);
	close(p[1]);
}

static void eventfd_and_pwait(void)
{
	int efd = (int)sys32(NR32_eventfd2, 3, 02000000, 0, 0, 0, 0);
	CHECK(efd >= 0);
	uint64_t v = 0;
	CHECK_EQ(read(efd, &v, 8), 8);
	CHECK_EQ(v, 3);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK_EQ(ctl32(ep, EPOLL_CTL_ADD, efd, EPOLLIN, 5), 0);
	uint64_t *mask = (uint64_t *)(low + 256);
	struct ev32 *evs = (struct ev32 *)(low + 64);
	*mask = 0;
	/* Nothing ready, a 20 ms timeout: 0. */
	CHECK_EQ(sys32(NR32_epoll_pwait, ep, (long)(uintptr_t)evs, 4, 20,
		       (long)(uintptr_t)mask, 8),
		 0);
	/* A sigset size other than 8 is EINVAL in the i386 ABI too. */
	CHECK_EQ(sys32(NR32_epoll_pwait, ep, (long)(uintptr_t)evs, 4, 0,
		       (long)(uintptr_t)mask, 4),
		 -EINVAL);
	v = 1;
	CHECK_EQ(write(efd, &v, 8), 8);
	CHECK_EQ(sys32(NR32_epoll_pwait, ep, (long)(uintptr_t)evs, 4, 0,
		       (long)(uintptr_t)mask, 8),
		 1);
	CHECK_EQ(evs[0].data, 5);
	close(ep);
	close(efd);
}

struct poller {
	int ep;
	long result;
	int revents;
	double elapsed_ms;
};

static void *poll32_main(void *arg)
{
	struct poller *pl = arg;
	struct pollfd *pf = (struct pollfd *)(low + 512);
	pf->fd = pl->ep;
	pf->events = POLLIN;
	pf->revents = 0;
	double t0 = tl_now_ms();
	pl->result = sys32(NR32_poll, (long)(uintptr_t)pf, 1, 5000, 0, 0, 0);
	pl->elapsed_ms = tl_now_ms() - t0;
	pl->revents = pf->revents;
	return NULL;
}

/* An i386 poll sleeping on an instance is woken when it becomes ready. */
static void i386_poll_woken(void)
{
	int p[2];
	CHECK_OK(pipe2(p, O_CLOEXEC));
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	struct poller pl = {.ep = ep};
	pthread_t t;
	CHECK_EQ(pthread_create(&t, NULL, poll32_main, &pl), 0);
	struct timespec ts = {0, 100 * 1000000L};
	nanosleep(&ts, NULL);
	CHECK_EQ(write(p[1], "x", 1), 1);
	pthread_join(t, NULL);
	CHECK_EQ(pl.result, 1);
	CHECK_EQ(pl.revents, POLLIN);
	CHECK(pl.elapsed_ms >= 80);
	CHECK(pl.elapsed_ms < 4000);
	close(ep);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	low = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (low == MAP_FAILED) {
		printf("FAIL - setup: mmap MAP_32BIT: %s\n", strerror(errno));
		return 1;
	}
	if (!have_i386()) {
		printf("# no i386 system calls in this kernel: skipped\n");
		return tl_done();
	}
	RUN(created_by_i386_used_by_x86_64);
	RUN(created_by_x86_64_filled_by_i386);
	RUN(eventfd_and_pwait);
	RUN(i386_poll_woken);
	return tl_done();
}
