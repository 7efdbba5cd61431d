/* guest_mem.c: copies to and from guest memory.
 *
 * process_vm_readv/writev: one system call per copy whatever its size, and
 * writes respect page protection, so a read-only buffer gives the guest
 * EFAULT exactly as the kernel would (unlike /proc/<pid>/mem, which forces
 * writes through). */
#include <errno.h>
#include <sys/uio.h>

#include "linux_plat.h"

int plat_read(struct plat *p, const struct plat_call *c, uint64_t addr,
	      void *buf, size_t len)
{
	(void)p;
	if (len == 0)
		return 0;
	struct iovec l = {buf, len}, r = {(void *)(uintptr_t)addr, len};
	ssize_t n = process_vm_readv(c->tid, &l, 1, &r, 1, 0);
	return n == (ssize_t)len ? 0 : -EFAULT;
}

size_t plat_write_prefix(struct plat *p, const struct plat_call *c,
			 uint64_t addr, const void *buf, size_t len)
{
	(void)p;
	if (len == 0)
		return 0;
	struct iovec l = {(void *)buf, len},
		     r = {(void *)(uintptr_t)addr, len};
	ssize_t n = process_vm_writev(c->tid, &l, 1, &r, 1, 0);
	if (n == (ssize_t)len || n <= 0)
		return n < 0 ? 0 : (size_t)n;
	/* A partial copy stops at a page boundary; what follows in the same
	 * page may be writable, but the kernel's own copy would have stopped
	 * at the first fault too. */
	return (size_t)n;
}

int plat_write(struct plat *p, const struct plat_call *c, uint64_t addr,
	       const void *buf, size_t len)
{
	return plat_write_prefix(p, c, addr, buf, len) == len ? 0 : -EFAULT;
}
