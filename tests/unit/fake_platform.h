/* fake_platform.h: a simulated platform for unit tests of syscalls/.
 *
 * Implements every function of platform.h over:
 * - a fake guest memory: one byte array at FAKE_MEM_BASE; anything outside
 *   it faults (-EFAULT), and an optional read-only window faults on write;
 * - a fake fd table (one guest process): fd -> fake file, files shared by
 *   dup'ed fds; a file dies when its last fd is closed;
 * - watches (struct plat_handle with a cookie) hung on their file in the
 *   kernel's wait-queue order: normal watches at the head (most recently
 *   created is woken first), exclusive ones (mask has EPOLLEXCLUSIVE) at
 *   the tail;
 * - a reply log, a fake clock with the armed timer, per-call signal and
 *   liveness state.
 *
 * Tests use the fk_* helpers, which drive the real syscalls/ code through
 * emu_call. One global instance, reset by fake_setup/fake_teardown (the
 * cmocka fixture).
 */
#ifndef FAKE_PLATFORM_H
#define FAKE_PLATFORM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "emu.h"
#include "list.h"
#include "interpoll/platform.h"

#define FAKE_MEM_BASE 0x10000000ull
#define FAKE_MEM_SIZE (1u << 20)
#define FAKE_MAX_FDS 1024
#define FAKE_MAX_CALLS 16384
#define FAKE_MAX_PENDING 256
#define FAKE_TID 4242
#define FAKE_T0 1000000000000LL /* the clock starts at 1000 s */

#define MS 1000000LL /* ns per ms */

/* Event bits (same numbers for poll and epoll on x86-64). */
#define F_IN 0x001u
#define F_PRI 0x002u
#define F_OUT 0x004u
#define F_ERR 0x008u
#define F_HUP 0x010u
#define F_NVAL 0x020u
#define F_RDNORM 0x040u
#define F_WRNORM 0x100u
#define F_RDHUP 0x2000u
#define F_EXCLUSIVE (1u << 28)
#define F_WAKEUP (1u << 29)
#define F_ONESHOT (1u << 30)
#define F_ET (1u << 31)

#define CTL_ADD 1
#define CTL_DEL 2
#define CTL_MOD 3

struct fake_file {
	int id;
	uint32_t ready; /* current poll mask of the file */
	int pollable;
	int is_epoll; /* one of the emulation's instances */
	void *object; /* what plat_epoll_adopt was given; NULL before */
	int is_eventfd;
	int shown;	     /* is_epoll: plat_epoll_readable's last word */
	int refs;	     /* fds that refer to it */
	int alive;	     /* 0 once the last fd is closed */
	struct list watches; /* struct plat_handle.link, wake-up order */
	struct list all;     /* fake.files */
};

struct plat_handle {
	struct fake_file *file;
	uint32_t mask;
	void *cookie; /* watches only; NULL for identity handles */
	int closed;
	struct list link; /* file->watches, watches only */
	struct list all;  /* fake.handles (freed at teardown) */
};

struct fake_fd {
	struct fake_file *file; /* NULL: not open */
	int opath;
	int cloexec;
};

struct fake_reply {
	uint64_t id;
	int64_t val;
	int err;
	int cont;   /* answered with CONTINUE */
	int kernel; /* ... and val/err are what the fake kernel did */
};

struct fake_callstate {
	int dead;    /* the calling thread is gone */
	int sig;     /* PLAT_SIG_* pending for the call */
	int signo;   /* its number, for the temporary mask */
	int replies; /* answers sent */
};

struct fake_pending {
	struct fake_file *file;
	uint32_t key;
};

struct plat {
	uint8_t *mem;
	uint64_t mem_base;
	size_t mem_len;
	size_t mem_brk;
	uint64_t ro_lo, ro_hi; /* [ro_lo, ro_hi): read-only guest memory */
	struct fake_fd fds[FAKE_MAX_FDS];
	struct list files;
	struct list handles;
	int next_file_id;
	size_t open_handles;
	size_t open_groups;
	struct fake_reply log[FAKE_MAX_CALLS];
	size_t n_log;
	size_t readable_calls; /* plat_epoll_readable calls */
	int thread_where;      /* what plat_thread_where answers */
	int64_t cpu_ns;	       /* what plat_thread_cpu_ns answers */
	int kicks, last_kick;  /* plat_thread_signal calls, last signal */
	struct fake_callstate calls[FAKE_MAX_CALLS];
	uint64_t next_call_id;
	int64_t now;
	int64_t timer; /* armed deadline, 0 = none */
	size_t timer_arms;
	int64_t nofile;
	int adopt_fails; /* plat_epoll_adopt fails with it when set */
	size_t syncs;
	struct fake_pending pending[FAKE_MAX_PENDING];
	size_t n_pending;
	int last_mask_set;
	uint64_t last_mask;
	int tracing;	  /* plat_tracing's answer */
	char trace[4096]; /* plat_trace_note text, since the last clear */
	size_t trace_len;
	size_t double_replies;
	size_t gone_replies; /* answers refused: the call was gone */
	size_t alive_checks; /* plat_handle_alive calls on open handles */
	struct emu emu;
};

extern struct plat fake;
#define E (&fake.emu)

/* cmocka fixture: fresh fake and emu; teardown checks for leaks. */
int fake_setup(void **state);
int fake_teardown(void **state);
/* Free every fake file and handle (teardown does it). */
void fake_free_all(void);
#define FK_TEST(f) cmocka_unit_test_setup_teardown(f, fake_setup, fake_teardown)
/* A test case, FK_CASE(name) { ... }: cmocka passes it a state it does not
 * use. */
#define FK_CASE(f) static void f(void **state __attribute__((unused)))
/* A test file's main: FK_MAIN("group", FK_TEST(a), FK_TEST(b), ...). */
#define FK_MAIN(group, ...)                                                    \
	int main(void)                                                         \
	{                                                                      \
		const struct CMUnitTest tests[] = {__VA_ARGS__};               \
		return cmocka_run_group_tests_name(group, tests, NULL, NULL);  \
	}

/* --- files and fds ------------------------------------------------------ */
struct fake_file *fake_file_new(uint32_t ready, int pollable);
int fake_fd_install(struct fake_file *f);	     /* lowest free fd */
int fake_fd_install_at(struct fake_file *f, int fd); /* dup2-like */
int fk_open(uint32_t ready);			     /* a pollable host file */
int fk_open_regular(void);			     /* a non-pollable file */
int fk_dup(int fd);
int fk_dup2(int oldfd, int newfd);
void fk_close(int fd);
void fk_set_opath(int fd);
struct fake_file *fk_file(int fd);
void fk_set_ready(int fd, uint32_t ready); /* no wake-up */

/* Deliver one kernel wake-up of f with key (0 = no key) to every open
 * watch whose mask intersects it, in wait-queue order. No batch begins. */
void fake_wake(struct fake_file *f, uint32_t key);
/* As the supervisor does: begin a batch, then deliver. */
void fk_wake(int fd, uint32_t key);
/* ready |= bits, then fk_wake(fd, bits). */
void fk_raise(int fd, uint32_t bits);
/* Queue a wake-up that plat_sync will deliver (it happened in a guest
 * call, before the next notification). */
void fake_wake_later(struct fake_file *f, uint32_t key);

/* --- guest memory --------------------------------------------------------- */
uint64_t fake_alloc(size_t n);
/* An address where exactly `room` bytes of memory remain. */
uint64_t fake_alloc_tail(size_t room);
void *fake_ptr(uint64_t addr);
#define FAKE_BAD_ADDR 0x1000ull /* never mapped */

/* --- calls ------------------------------------------------------------------
 */
struct plat_call fk_mkcall(int nr, uint64_t a0, uint64_t a1, uint64_t a2,
			   uint64_t a3, uint64_t a4, uint64_t a5);
/* Start a call (emu_call); returns its id. */
uint64_t fk_start(int nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		  uint64_t a4, uint64_t a5);
/* The answer to call id, or NULL if it is not answered (yet). */
const struct fake_reply *fk_reply(uint64_t id);
int fk_answered(uint64_t id);
/* Answer of an answered call: err if set, else val. Fails the test if the
 * call is unanswered or was CONTINUEd. */
int64_t fk_result(uint64_t id);
/* Run a call that must be answered at once; returns fk_result. */
int64_t fk_sys(int nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
	       uint64_t a4, uint64_t a5);
int fk_continued(uint64_t id);

void fake_kill_call(uint64_t id); /* the thread is gone */
/* A call nr (all arguments 0) whose thread is gone before it is handled:
 * asserts that it is never answered. */
void fk_call_gone(int nr);
/* A call nr (all arguments 0) whose thread is gone before it is handled:
 * asserts that it is never answered. */
void fk_call_gone(int nr);
void fake_set_signal(uint64_t id, int sig, int signo);

/* --- epoll helpers ------------------------------------------------------- */
struct fk_event {
	uint32_t events;
	uint64_t data;
};
int fk_epoll_create(void); /* epoll_create1(0); asserts success */
/* A new instance with one entry (events, data) on a new host file whose
 * poll mask is ready; its fd in *fd. Asserts that the ADD succeeds. */
int fk_instance(int *fd, uint32_t ready, uint32_t events, uint64_t data);
/* n new instances e[0..n-1]; e[i + 1] is ADDed to e[i] (F_IN, data 0) for
 * i < links: a chain e0 > e1 > ... (each ADD asserted). */
void fk_epoll_chain(int *e, int n, int links);
int fk_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
int fk_ctl_addr(int epfd, int op, int fd, uint64_t addr);
/* Synchronous epoll_wait: must be answered at once. Returns the result
 * and copies up to its value of events to out (may be NULL). */
int fk_wait(int epfd, int maxevents, int timeout_ms, struct fk_event *out);
/* Start an epoll_wait that may block; *buf receives the events address. */
uint64_t fk_wait_start(int epfd, int maxevents, int timeout_ms, uint64_t *buf);
void fk_read_events(uint64_t addr, int n, struct fk_event *out);
/* The blocked epoll_wait id (events at buf) is not answered until fd
 * becomes readable; then it returns one event, F_IN with data. */
void fk_raise_answers(uint64_t id, uint64_t buf, int fd, uint64_t data);
/* fk_wait(epfd, 4, 0): exactly one event, with data. */
void fk_expect_data(int epfd, uint64_t data);
void fk_write_event(uint64_t addr, uint32_t events, uint64_t data);

/* --- poll helpers ----------------------------------------------------------
 */
struct pfd { /* struct pollfd */
	int32_t fd;
	int16_t events;
	int16_t revents;
};
/* Copy n pollfds into guest memory: their address. */
uint64_t put_pfds(const struct pfd *p, int n);
void get_pfds(uint64_t a, struct pfd *p, int n);

/* --- time ------------------------------------------------------------------
 */
/* Advance the clock; run emu_timers whenever the armed timer is due. */
void fake_advance(int64_t ns);

#endif
