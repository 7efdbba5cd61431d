/* Found by scripts/fuzz: select()/pselect6() calls that interpoll services
 * itself because a set names an emulated epoll fd (fs/select.c semantics).
 * Each case prints ok/MISMATCH with Linux's answer; the crash cases come
 * last because the supervisor dies in them.
 *
 * 1 unrequested (seed 73): do_select reports an fd in a result set only if
 *   the caller put it in that set. interpoll reports a socket with POLLHUP
 *   that was asked for in the write set only in the read set too.
 * 2 count (seed 136): the return value is the number of bits set in the
 *   three result sets. A pipe write end whose reader is gone (POLLERR), in
 *   the write and except sets: Linux 1 (w{wfd}); interpoll returns 2 with
 *   the same sets.
 * 3 width (seed 118): the kernel writes back FDS_BYTES(nfds) =
 *   DIV_ROUND_UP(nfds, 64) * 8 bytes of each set, so bits in [nfds, 64) are
 *   cleared. interpoll leaves them (it writes fewer bytes).
 * 4 O_PATH (seeds 65, 108): an O_PATH fd counts as open for select
 *   (max_select_fd uses the open-fd bitmap), but fdget refuses it, so
 *   do_select gets EPOLLNVAL for it, which Linux 6.18 counts in all three
 *   sets (POLLIN_SET, POLLOUT_SET and POLLEX_SET include EPOLLNVAL):
 *   verified r, w and e. (A regular file such as /dev/null gets
 *   DEFAULT_POLLMASK instead: r and w, not e.) interpoll answered EBADF;
 *   after 84ed9a5 it reports r and w but not e.
 * 5 crash, closed fd first (seed 22): Linux EBADF. interpoll's supervisor
 *   dies with SIGSEGV: poll_service's early EBADF return calls
 *   poll_wait_free, which list_del()s the plink of slots after the bad one
 *   that were never list_init'ed. Every later intercepted call of the guest
 *   fails with ENOSYS.
 * 6 crash, O_PATH fd first (seed 65): the same crash (Linux: 2). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int fails;

static void fmt_set(char *buf, size_t len, const char *name, fd_set *s)
{
	size_t n = strlen(buf);
	n += snprintf(buf + n, len - n, " %s{", name);
	for (int fd = 0; fd < 64; fd++)
		if (s && FD_ISSET(fd, s))
			n += snprintf(buf + n, len - n, " %d", fd);
	snprintf(buf + n, len - n, " }");
}

static void report(const char *name, long r, int err, fd_set *rs, fd_set *ws,
		   fd_set *es, const char *want)
{
	char got[256];
	if (r < 0)
		snprintf(got, sizeof(got), "-1 %s", strerrorname_np(err));
	else
		snprintf(got, sizeof(got), "%ld", r);
	fmt_set(got, sizeof(got), "r", rs);
	fmt_set(got, sizeof(got), "w", ws);
	fmt_set(got, sizeof(got), "e", es);
	int ok = !strcmp(got, want);
	fails += !ok;
	printf("%s: %s: %s (linux: %s)\n", ok ? "ok" : "MISMATCH", name, got,
	       want);
	fflush(stdout);
}

static long sel(int nfds, fd_set *r, fd_set *w, fd_set *e)
{
	struct timeval tv = {0, 0};
	return syscall(SYS_select, nfds, r, w, e, &tv);
}

int main(void)
{
	int ep = epoll_create1(0); /* 3: makes interpoll service the calls */
	fd_set rs, ws, es;
	char want[256];
	long r;

	/* 1 */
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	close(sv[1]);
	FD_ZERO(&rs);
	FD_ZERO(&ws);
	FD_ZERO(&es);
	FD_SET(ep, &rs);
	FD_SET(sv[0], &ws);
	FD_SET(sv[0], &es);
	r = sel(sv[0] + 1, &rs, &ws, &es);
	snprintf(want, sizeof(want), "1 r{ } w{ %d } e{ }", sv[0]);
	report("1 unrequested", r, errno, &rs, &ws, &es, want);
	close(sv[0]);

	/* 2 */
	int p[2];
	pipe(p);
	close(p[0]);
	FD_ZERO(&ws);
	FD_ZERO(&es);
	FD_SET(p[1], &ws);
	FD_SET(ep, &es);
	FD_SET(p[1], &es);
	r = sel(p[1] + 1, NULL, &ws, &es);
	snprintf(want, sizeof(want), "1 r{ } w{ %d } e{ }", p[1]);
	report("2 count", r, errno, NULL, &ws, &es, want);
	close(p[1]);

	/* 3 */
	FD_ZERO(&rs);
	FD_SET(ep, &rs);
	FD_SET(40, &rs); /* beyond nfds: ignored, and cleared on write-back */
	r = sel(ep + 1, &rs, NULL, NULL);
	report("3 width", r, errno, &rs, NULL, NULL, "0 r{ } w{ } e{ }");

	/* 4 */
	int op = open("/", O_PATH);
	FD_ZERO(&rs);
	FD_ZERO(&ws);
	FD_ZERO(&es);
	FD_SET(ep, &rs);
	FD_SET(op, &rs);
	FD_SET(op, &ws);
	FD_SET(op, &es);
	r = sel(op + 1, &rs, &ws, &es);
	snprintf(want, sizeof(want), "3 r{ %d } w{ %d } e{ %d }", op, op, op);
	report("4 O_PATH", r, errno, &rs, &ws, &es, want);

	/* 5 */
	int closed = dup(ep);
	int ep2 = epoll_create1(0);
	close(closed);
	FD_ZERO(&rs);
	FD_SET(closed, &rs);
	FD_SET(ep2, &rs);
	r = sel(ep2 + 1, &rs, NULL, NULL);
	snprintf(want, sizeof(want), "-1 EBADF r{ %d %d } w{ } e{ }",
		 closed < ep2 ? closed : ep2, closed < ep2 ? ep2 : closed);
	report("5 closed fd first (crash)", r, errno, &rs, NULL, NULL, want);

	/* 6 */
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	FD_ZERO(&rs);
	FD_ZERO(&ws);
	FD_SET(ep, &rs);
	FD_SET(op, &rs);
	FD_SET(sv[0], &ws);
	FD_SET(sv[1], &ws);
	int nfds = (sv[0] > sv[1] ? sv[0] : sv[1]) + 1;
	r = sel(nfds, &rs, &ws, NULL);
	snprintf(want, sizeof(want), "3 r{ %d } w{ %d %d } e{ }", op,
		 sv[0] < sv[1] ? sv[0] : sv[1], sv[0] < sv[1] ? sv[1] : sv[0]);
	report("6 O_PATH first (crash)", r, errno, &rs, &ws, NULL, want);

	r = syscall(SYS_epoll_create1, 0);
	printf("%s: epoll_create1 afterwards: %s\n",
	       r >= 0 ? "ok" : "MISMATCH", r >= 0 ? "ok" : strerrorname_np(errno));
	fails += r < 0;
	return fails != 0;
}
