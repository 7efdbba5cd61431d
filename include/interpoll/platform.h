/* platform.h: everything syscalls/ may ask of the operating system.
 *
 * syscalls/ is portable C: it keeps interest lists, ready lists and
 * waiters, and reaches the guest and the kernel only through these calls.
 * platform/linux_*.c implements them for a seccomp supervisor;
 * tests/unit/fake_platform.c implements them over simulated files so that
 * the tables can be unit tested. Link-time substitution, no vtable: the
 * hot path pays nothing for the seam.
 *
 * Errors are negative errno values, as the kernel returns them.
 */
#ifndef INTERPOLL_PLATFORM_H
#define INTERPOLL_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

struct plat;

/* One intercepted system call, as received. Copied by value into waiters;
 * it holds no pointers into platform state. */
/* The system call ABI a call was made with. The platform gives every call
 * its x86-64 number; for the epoll and eventfd calls the other ABIs'
 * memory layouts are the same (epoll_event is 12 bytes and the sigset 8
 * everywhere), for the poll family they are not: those are only ever handed
 * back to the kernel, which knows them. */
enum plat_abi {
	PLAT_ABI_X86_64 = 0,
	PLAT_ABI_I386, /* int 0x80, sysenter: a 32-bit program */
	PLAT_ABI_X32,  /* x86-64 with 32-bit pointers */
};

struct plat_call {
	uint64_t id; /* notification id */
	int32_t tid; /* calling thread, in the supervisor's pid namespace */
	int32_t nr;  /* x86-64 syscall number */
	int32_t abi; /* enum plat_abi */
	uint64_t args[6];
	int64_t recv_ns; /* when the supervisor received it */
};

/* --- Guest memory --------------------------------------------------------
 * Whole-range copies: 0, or -EFAULT when any byte could not be copied
 * (the guest sees EFAULT exactly where the kernel would fault). */
int plat_read(struct plat *p, const struct plat_call *c, uint64_t addr,
	      void *buf, size_t len);
int plat_write(struct plat *p, const struct plat_call *c, uint64_t addr,
	       const void *buf, size_t len);
/* Write as much of [addr, addr+len) as can be written, front to back.
 * Returns the number of bytes written before the first fault (0..len). */
size_t plat_write_prefix(struct plat *p, const struct plat_call *c,
			 uint64_t addr, const void *buf, size_t len);

/* --- Answers ---------------------------------------------------------------
 * Each returns 0, or -ENOENT when the call is gone (the thread was killed):
 * a normal event, not an error. err is a negative errno or 0.
 * plat_continue may also return 1: the call has run already (a platform
 * that runs it in place, not later in the guest thread). */
int plat_reply(struct plat *p, const struct plat_call *c, int64_t val, int err);
int plat_continue(struct plat *p, const struct plat_call *c);
/* Is the call still waiting for its answer? */
int plat_call_alive(struct plat *p, const struct plat_call *c);

/* --- Handles ----------------------------------------------------------------
 * A handle is a weak reference to one guest open file description: it
 * identifies the file and reads its readiness but never keeps it open, so
 * that closing the guest's last reference behaves exactly as in Linux. */
struct plat_handle;

/* Watches that die together (an instance's interest list, one poll call's
 * fds): the platform shares kernel resources among them, freed with the
 * group. Every watch of a group is closed before the group is freed. */
struct plat_group;
struct plat_group *plat_group_new(struct plat *p); /* NULL: no memory */
void plat_group_free(struct plat *p, struct plat_group *g);
/* Quiet: the group's wake-ups stay queued by the platform, in order,
 * instead of reaching emu_wakeup as they come; plat_group_drain delivers
 * them (as one batch). Not quiet: they come as they happen, and whatever
 * queued meanwhile comes too. Returns whether the group is quiet now: the
 * platform may refuse, or end it by itself (then a drain finds nothing
 * and costs only its look). plat_watch_open in a quiet group delivers
 * what the group has queued before it returns, as plat_group_drain would
 * (an EPOLL_CTL_ADD does not drain first: the platform may read the
 * queued wake-ups and the new file's readiness at once). */
int plat_group_quiet(struct plat *p, struct plat_group *g, int quiet);
void plat_group_drain(struct plat *p, struct plat_group *g);

/* What a guest fd refers to. */
enum plat_kind {
	PLAT_HOST = 0,	/* a kernel file: readiness comes from the kernel */
	PLAT_EPOLL,	/* one of our emulated epoll instances */
	PLAT_EPOLL_NEW, /* an epoll file not adopted yet (plat_epoll_adopt) */
	PLAT_SIGNALFD,	/* a signalfd: readiness from plat_signalfd_pending */
};

/* Adopt the caller's epoll file at `fd` as an emulated instance.
 * epoll_create and epoll_create1 go back to the kernel, so an instance's
 * guest-visible file is the kernel's own; the first call that names it
 * adopts it. `object` is what plat_lookup_epoll later returns for it.
 * 0, with *out the instance's handle (identity and liveness), or a
 * negative errno: -EBADF (gone), -EMFILE (the platform short of fds),
 * -ENOMEM. */
int plat_epoll_adopt(struct plat *p, const struct plat_call *c, int fd,
		     void *object, struct plat_handle **out);

/* Which emulated epoll instance does guest fd `fd` of the caller refer to?
 * Returns the object given to plat_epoll_adopt, or NULL with *err:
 * PLAT_UNADOPTED (an epoll file no call has named before: adopt it),
 * -EBADF (not open, or O_PATH), -EINVAL (open, but not an epoll), or
 * -EMFILE (the platform is short of fds to look: see emu_reclaim). */
#define PLAT_UNADOPTED 1
void *plat_lookup_epoll(struct plat *p, const struct plat_call *c, int fd,
			int *err);

/* Make an instance's guest-visible file (handle from plat_epoll_adopt)
 * readable or not for whatever polls it natively: the kernel's poll,
 * select and epoll on that file then see the instance's readiness and are
 * woken when it becomes readable. The kernel's epoll_wait on the file must
 * never run (it would report the mechanism, not the instance's events):
 * every epoll_wait is answered from the tables. Only changes are told:
 * readable, then not, then readable again. */
void plat_epoll_readable(struct plat *p, struct plat_handle *h, int readable);

/* Open a watch on guest fd `fd`: a handle whose readiness is filtered by
 * `mask` exactly as a kernel epoll entry with that mask would be, and which
 * reports each matching wake-up of the file through emu_wakeup(cookie).
 * On success fills *kind and, for PLAT_EPOLL, *object; PLAT_EPOLL_NEW
 * asks the caller to adopt the file (plat_epoll_adopt on the same fd).
 * Errors: -EBADF (not open, O_PATH), -EPERM (not pollable), -ENOMEM,
 * -EMFILE, -EINVAL (a limit of the platform's own on watchers of one
 * file, which stale watches can explain; with PLAT_WATCH_ANY_COUNT the
 * platform lifts it, at a cost). */
#define PLAT_WATCH_ANY_COUNT 1
int plat_watch_open(struct plat *p, const struct plat_call *c,
		    struct plat_group *g, int fd, uint32_t mask, int flags,
		    void *cookie, enum plat_kind *kind, void **object,
		    struct plat_handle **out);

/* A signalfd's readiness is its polling task's: the signals of its mask
 * pending for thread tid (its own and its process's). owner and fd are a
 * thread and fd number that named the file (the ADD's), from which its
 * current mask is read while they still do. 0 when none. */
uint64_t plat_signalfd_pending(struct plat *p, int tid, int owner, int fd,
			       struct plat_handle *h);

/* The process (thread-group id) of thread tid, or -1 if it is gone. */
int plat_tgid(struct plat *p, int tid);

/* Change a watch's mask; fd is the caller's fd for the same file. */
int plat_watch_modify(struct plat *p, const struct plat_call *c, int fd,
		      struct plat_handle **h, uint32_t mask);

/* Is guest fd `fd` the file behind handle h?
 * 0: yes; 1: fd is another file; -ENOENT: h's file is gone; -EBADF: fd is
 * not open. */
int plat_same_file(struct plat *p, const struct plat_call *c,
		   struct plat_handle *h, int fd);

/* Does guest fd `fd` refer to a pollable open file? 0, -EBADF or -EPERM. */
int plat_fd_pollable(struct plat *p, const struct plat_call *c, int fd);

/* What a poll of guest fd `fd` of the caller would report now, for every
 * event (POLLIN | POLLOUT | POLLPRI | ...): the poll mask, or a negative
 * errno (-EBADF: not open). Used only to decide whether an injected fault
 * is legal (interpoll --inject): a platform without injection may return
 * -ENOSYS. */
int plat_fd_poll(struct plat *p, const struct plat_call *c, int fd);

/* Current readiness of a host watch, filtered by its mask. 0 also when the
 * file is gone. */
uint32_t plat_watch_poll(struct plat *p, struct plat_handle *h);

/* Is the file behind h still open anywhere? 1 or 0. */
int plat_handle_alive(struct plat *p, struct plat_handle *h);

void plat_handle_close(struct plat *p, struct plat_handle *h);

/* About to close watch h, whose file the caller's fd `fd` refers to (as
 * EPOLL_CTL_DEL has checked): its kernel resources can go at once. Without
 * this, plat_handle_close may have to keep them until the file goes or the
 * group is freed. */
void plat_watch_release(struct plat *p, const struct plat_call *c, int fd,
			struct plat_handle *h);

/* Deliver, through emu_wakeup, every wake-up of a watched file that has
 * already happened. The kernel runs a file's wake-up callbacks inside the
 * call that changed it (a write, a close...), so when the guest makes its
 * next call, every wake-up it caused is already queued for the supervisor:
 * draining them first keeps "write, then epoll_wait" causal. (The Linux
 * main loop delivers a batch's wake-ups before its notification, but a
 * wake-up that lands while the kernel is collecting that batch is held
 * back to the next one while the notification, polled afresh, comes in
 * this one: so the main epoll is read once more here, unless the batch
 * proves that useless, platform/causality.c.) Cheap to call again within
 * one call. The wake-ups it delivers are a batch of their own
 * (emu_batch_begin). */
void plat_sync(struct plat *p);

/* --- Tracing (--trace) and observation (--stats, --timeline) ---------------
 * plat_tracing says what is wanted: PLAT_TRACE_NOTES, text for the trace
 * line of the next answer (plat_trace_note: decoded masks, the events
 * returned, injected faults); PLAT_TRACE_EVENTS, each event a harvest
 * delivers, with the fd of its entry (plat_event_note, after the answer
 * reached the caller). 0: neither, and the engine spends nothing on them. */
#define PLAT_TRACE_NOTES 1
#define PLAT_TRACE_EVENTS 2
int plat_tracing(struct plat *p);
void plat_event_note(struct plat *p, const struct plat_call *c, int fd,
		     uint32_t events);
void plat_trace_note(struct plat *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Is the supervisor short of the resources its handles use (fds)? The
 * emulation then sweeps closed files' objects before the next call. */
int plat_short_of_handles(struct plat *p);

/* Give back what the platform keeps in reserve for handles to come (empty
 * buckets kept so that add/delete loops do not churn): after a sweep, so
 * that an idle supervisor holds no more than its objects need. */
void plat_trim(struct plat *p);

/* --- Time ------------------------------------------------------------------
 */
int64_t plat_now_ns(struct plat *p); /* CLOCK_MONOTONIC */
/* Ask for emu_timers(now) to run at `deadline_ns` or earlier; 0 = never. */
void plat_timer_arm(struct plat *p, int64_t deadline_ns);

/* --- Signals ----------------------------------------------------------------
 * Is a signal pending for the calling thread that would interrupt a sleep
 * in the kernel? `mask` is the signal mask in force for the call (NULL: the
 * thread's own). Returns PLAT_SIG_NONE, PLAT_SIG_HANDLER (a handler will
 * run), PLAT_SIG_STOP (a stop or other action without a handler), or a
 * negative errno if the thread is gone. */
enum { PLAT_SIG_NONE = 0, PLAT_SIG_HANDLER = 1, PLAT_SIG_STOP = 2 };
/* *signo (may be NULL) receives the number of the signal that decided. */
int plat_signal_pending(struct plat *p, const struct plat_call *c,
			const uint64_t *mask, int *signo);

/* Where is thread tid, which was handed back to the kernel inside an
 * epoll wait? Asleep in the kernel's epoll wait, asleep somewhere else
 * (so it left that call), running (it cannot be told), or gone. */
enum {
	PLAT_THREAD_GONE = -1,
	PLAT_THREAD_RUNNING = 0,
	PLAT_THREAD_IN_EPOLL_WAIT = 1,
	PLAT_THREAD_ELSEWHERE = 2,
};
int plat_thread_where(struct plat *p, int tid);
/* CPU time thread tid has run so far, in ns (any origin: only
 * differences count), or -1 when it cannot be told. */
int64_t plat_thread_cpu_ns(struct plat *p, int tid);
/* Send signal signo to thread tid (tkill). */
void plat_thread_signal(struct plat *p, int tid, int signo);

/* --- Upcalls into syscalls/ (implemented there) ----------------------------
 */
struct emu;
void emu_wakeup(struct emu *e, void *cookie);
void emu_timers(struct emu *e, int64_t now_ns);
/* A signal may have become pending for some guest thread (a guest thread
 * exited: its parent's SIGCHLD): blocked calls look soon. */
void emu_signal_soon(struct emu *e);
/* A guest timer will send a signal at `when` (and every `period` after, if
 * > 0): blocked calls look then. */
void emu_signal_at(struct emu *e, int64_t when, int64_t period);

#endif
