/* inproc_platform.h: a second implementation of interpoll's platform
 * contract, in process, with no seccomp.
 *
 * The "guest" is the program itself: instead of making epoll, eventfd
 * and poll system calls, it hands them to the engine as struct plat_call
 * records (inproc_call) and collects the answers (inproc_answer). Guest
 * memory is this process's memory; guest fds are its own fds, real pipes,
 * sockets and eventfds. Blocked calls are answered when inproc_pump
 * delivers the kernel's wake-ups and the engine's timers.
 *
 * One thread: every function here, and the engine it drives, runs on the
 * thread that called inproc_new.
 */
#ifndef INPROC_PLATFORM_H
#define INPROC_PLATFORM_H

#include <stdint.h>

#include <interpoll/interpoll.h>

/* A platform and the engine it drives. NULL: no memory or fds. */
struct plat *inproc_new(void);
/* Free the engine, then the platform: every fd they opened is closed. */
void inproc_free(struct plat *p);

/* Hand system call nr (x86-64 number) with its six arguments to the
 * engine, as if the program had made it. Returns the call's id. */
uint64_t inproc_call(struct plat *p, long nr, uint64_t a0, uint64_t a1,
		     uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);

/* Has call `id` been answered? 1 with *ret its result (a value >= 0, or
 * -errno as the kernel would return it); 0 while it is blocked. */
int inproc_answer(struct plat *p, uint64_t id, int64_t *ret);

/* Wait up to timeout_ms (-1: until something happens; 0: just look) for
 * wake-ups of watched files and for the engine's timers, and deliver them
 * to the engine, which answers the calls they end. Returns the number of
 * wake-ups delivered. */
int inproc_pump(struct plat *p, int timeout_ms);

/* Call, then pump until it is answered or timeout_ms passes. 1 with
 * *ret when answered, 0 when still blocked. */
int inproc_call_wait(struct plat *p, uint64_t id, int timeout_ms, int64_t *ret);

#endif
