/* epoll_life_close.c: lifetime of interest-list entries and instances
 * (linux-semantics.md 3.2, 3.5).
 *
 * - An entry is keyed by (file, fd number) and removed only when the file
 *   is released: closing one fd while a dup, a fork child, an SCM_RIGHTS
 *   copy or a pidfd_getfd copy holds the file keeps it reporting with the
 *   old data; DEL with the closed number is EBADF, with another number
 *   ENOENT; dup2 back onto the number makes DEL work again.
 * - The epoll fd shared by dup() and fork() is one instance.
 * - Registering a socket does not hold it open: closing it without DEL
 *   lets the peer see EOF.
 * - exec closes an EPOLL_CLOEXEC instance and keeps the others.
 *
 * The exec case re-executes this program with "--exec-child".
 */
#include "testlib.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

/* Wait with timeout 0; return the count and fill ev. */
static int wait0(int ep, struct epoll_event *ev, int max)
{
	memset(ev, 0, sizeof(*ev) * max);
	return epoll_wait(ep, ev, max, 0);
}

/* Make `fd` refer to a fresh eventfd with the given counter, at exactly
 * that number. */
static void new_eventfd_at(int fd, uint64_t count)
{
	int n = eventfd((unsigned)count, EFD_NONBLOCK);
	if (n != fd) {
		if (dup2(n, fd) != fd)
			abort();
		close(n);
	}
}

static void case_close_only_fd_entry_vanishes(void)
{
	int e;
	int ep = ep_with_eventfd(&e, 1, EFD_NONBLOCK, EPOLLIN, 0x1111);
	struct epoll_event ev[4];

	CHECK_EQ(wait0(ep, ev, 4), 1); /* queued (and LT re-queued) */
	CHECK_OK(close(e));
	CHECK_EQ(wait0(ep, ev, 4), 0);
	CHECK_ERR(del(ep, e), EBADF);
	/* A new file at the same number is a new key: not registered yet,
	 * and ADD works (no EEXIST). */
	new_eventfd_at(e, 1);
	CHECK_ERR(mod(ep, e, EPOLLIN, 1), ENOENT);
	CHECK_ERR(del(ep, e), ENOENT);
	CHECK_EQ(wait0(ep, ev, 4), 0);
	CHECK_OK(add(ep, e, EPOLLIN, 0x2222));
	CHECK_EQ(wait0(ep, ev, 4), 1);
	CHECK_EQ(ev[0].data.u64, 0x2222);
	CHECK_ERR(add(ep, e, EPOLLIN, 0x3333), EEXIST);
	close_fds(e, ep);
}

static void case_close_drops_pending_et_and_oneshot(void)
{
	int a;
	int ep = ep_with_eventfd(&a, 0, EFD_NONBLOCK, EPOLLIN | EPOLLET, 0xa);
	int b = eventfd(0, EFD_NONBLOCK);
	int c = eventfd(0, EFD_NONBLOCK);
	struct epoll_event ev[4];

	CHECK_OK(add(ep, b, EPOLLIN | EPOLLONESHOT, 0xb));
	CHECK_OK(add(ep, c, EPOLLIN, 0xc));
	CHECK_OK(wr(a, 1));
	CHECK_OK(wr(b, 1));
	CHECK_OK(wr(c, 1));
	/* Edges pending for a and b; close them before harvesting. */
	CHECK_OK(close(a));
	CHECK_OK(close(b));
	CHECK_EQ(wait0(ep, ev, 4), 1);
	CHECK_EQ(ev[0].data.u64, 0xc);
	close(c);
	CHECK_EQ(wait0(ep, ev, 4), 0);
	close(ep);
}

/* An EPOLLIN entry (data) on a new eventfd *e whose number is then
 * closed while a dup *d keeps the file open. */
static int entry_kept_by_dup(int *e, int *d, uint64_t data)
{
	int ep = ep_with_eventfd(e, 0, EFD_NONBLOCK, EPOLLIN, data);

	*d = dup(*e);
	CHECK_OK(close(*e));
	return ep;
}

static void case_close_with_dup_keeps_reporting(void)
{
	int e, d;
	int ep = entry_kept_by_dup(&e, &d, 0xaaa);
	struct epoll_event ev[4];
	uint64_t v;

	CHECK_EQ(wait0(ep, ev, 4), 0);
	CHECK_OK(wr(d, 1));
	CHECK_EQ(wait0(ep, ev, 4), 1);
	CHECK_EQ(ev[0].events, EPOLLIN);
	CHECK_EQ(ev[0].data.u64, 0xaaa);
	CHECK_EQ(wait0(ep, ev, 4), 1); /* still level-triggered */
	/* The key is (file, closed number). */
	CHECK_ERR(del(ep, e), EBADF);
	CHECK_ERR(mod(ep, e, EPOLLIN, 1), EBADF);
	CHECK_ERR(del(ep, d), ENOENT);
	CHECK_ERR(mod(ep, d, EPOLLIN, 1), ENOENT);
	/* MOD through the dup's number did not touch the entry. */
	CHECK_EQ(wait0(ep, ev, 4), 1);
	CHECK_EQ(ev[0].data.u64, 0xaaa);
	/* The dup can have its own entry. */
	CHECK_OK(add(ep, d, EPOLLIN, 0xddd));
	CHECK_EQ(wait0(ep, ev, 4), 2);
	CHECK_OK(del(ep, d));
	/* dup2 the same file back: DEL works again. */
	CHECK_EQ(dup2(d, e), e);
	CHECK_ERR(add(ep, e, EPOLLIN, 0xbbb), EEXIST);
	CHECK_OK(mod(ep, e, EPOLLIN, 0xccc));
	CHECK_EQ(wait0(ep, ev, 4), 1);
	CHECK_EQ(ev[0].data.u64, 0xccc);
	CHECK_OK(del(ep, e));
	CHECK_EQ(wait0(ep, ev, 4), 0);
	CHECK_EQ(read(d, &v, 8), 8);
	close_fds(e, d, ep);
}

static void case_both_keys_survive_close_of_one(void)
{
	int e;
	int ep = ep_with_eventfd(&e, 1, EFD_NONBLOCK, EPOLLIN, 1);
	int d = dup(e);
	struct epoll_event ev[4];
	uint64_t seen = 0;
	int i, n;

	CHECK_OK(add(ep, d, EPOLLIN, 2));
	CHECK_OK(close(e));
	/* The file is alive, so both entries are. */
	n = wait0(ep, ev, 4);
	CHECK_EQ(n, 2);
	for (i = 0; i < n && i < 4; i++)
		seen |= ev[i].data.u64;
	CHECK_EQ(seen, 3);
	/* Last reference gone: both vanish. */
	CHECK_OK(close(d));
	CHECK_EQ(wait0(ep, ev, 4), 0);
	close(ep);
}

static void case_number_reuse_while_old_file_alive(void)
{
	int e, d;
	int ep = entry_kept_by_dup(&e, &d, 0xA);
	struct epoll_event ev[4];
	uint64_t v;

	new_eventfd_at(e, 0);
	/* Same number, different file: a new key. */
	CHECK_OK(add(ep, e, EPOLLIN, 0xB));
	CHECK_ERR(add(ep, e, EPOLLIN, 0xB), EEXIST);
	CHECK_EQ(wait0(ep, ev, 4), 0);
	CHECK_OK(wr(d, 1));
	CHECK_EQ(wait0(ep, ev, 4), 1);
	CHECK_EQ(ev[0].data.u64, 0xA);
	CHECK_EQ(read(d, &v, 8), 8);
	CHECK_OK(wr(e, 1));
	CHECK_EQ(wait0(ep, ev, 4), 1);
	CHECK_EQ(ev[0].data.u64, 0xB);
	CHECK_EQ(read(e, &v, 8), 8);
	/* DEL by number finds the entry of the file now at that number. */
	CHECK_OK(del(ep, e));
	CHECK_ERR(del(ep, e), ENOENT);
	CHECK_OK(wr(e, 1));
	CHECK_OK(wr(d, 1));
	CHECK_EQ(wait0(ep, ev, 4), 1);
	CHECK_EQ(ev[0].data.u64, 0xA);
	/* Release the old file: its entry goes too. */
	CHECK_OK(close(d));
	CHECK_EQ(wait0(ep, ev, 4), 0);
	close_fds(e, ep);
}

/* Read one byte from fd with a timeout; returns the read() result or -2
 * on timeout. */
static int read_byte_timeout(int fd, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	char c;
	int r;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	r = read(fd, &c, 1);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return -2;
	return r == 1 ? c : r;
}

static void case_forked_child_keeps_entry(void)
{
	int ep = epoll_create1(0);
	int e = eventfd(0, EFD_NONBLOCK);
	int go[2], done[2];
	struct epoll_event ev[4];
	pid_t pid;
	int status;
	char c;

	CHECK_OK(add(ep, e, EPOLLIN, 0xf0));
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, go));
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, done));
	pid = fork();
	if (pid == 0) {
		/* Child: holds e; writes to it when asked, exits when asked. */
		close_fds(go[0], done[0]);
		if (read(go[1], &c, 1) != 1)
			_exit(1);
		if (wr(e, 1) != 0)
			_exit(2);
		if (write(done[1], "w", 1) != 1)
			_exit(3);
		if (read(go[1], &c, 1) != 1)
			_exit(4);
		_exit(0);
	}
	CHECK(pid > 0);
	close_fds(go[1], done[1]);
	CHECK_OK(close(e));
	CHECK_EQ(wait0(ep, ev, 4), 0);
	CHECK_ERR(del(ep, e), EBADF);
	CHECK_EQ(write(go[0], "1", 1), 1);
	CHECK_EQ(read_byte_timeout(done[0], 3000), 'w');
	CHECK_EQ(epoll_wait(ep, ev, 4, 2000), 1);
	CHECK_EQ(ev[0].events, EPOLLIN);
	CHECK_EQ(ev[0].data.u64, 0xf0);
	/* Let the child exit: the last reference goes with it. */
	CHECK_EQ(write(go[0], "2", 1), 1);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(wait0(ep, ev, 4), 0);
	close_fds(go[0], done[0], ep);
}

/* Replace fd's file with /dev/null, so the number stays taken. */
static void occupy(int fd)
{
	int n = open("/dev/null", O_RDONLY);
	if (dup2(n, fd) != fd)
		abort();
	close(n);
}

static void case_scm_rights_copy_keeps_entry(void)
{
	int ep = epoll_create1(0);
	int e = eventfd(0, EFD_NONBLOCK);
	int sv[2], r;
	struct epoll_event ev[4];
	uint64_t v;

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(add(ep, e, EPOLLIN, 0x5c));
	CHECK_OK(send_fd(sv[0], e));
	occupy(e); /* the original file is now only in flight */
	CHECK_EQ(wait0(ep, ev, 4), 0);
	r = recv_fd(sv[1], 0);
	CHECK(r >= 0 && r != e);
	CHECK_OK(wr(r, 1));
	CHECK_EQ(wait0(ep, ev, 4), 1);
	CHECK_EQ(ev[0].data.u64, 0x5c);
	CHECK_ERR(del(ep, r), ENOENT);
	CHECK_EQ(read(r, &v, 8), 8);
	CHECK_EQ(wait0(ep, ev, 4), 0);
	CHECK_OK(wr(r, 1));
	CHECK_OK(close(r));
	CHECK_EQ(wait0(ep, ev, 4), 0);
	close_fds(e, sv[0], sv[1], ep);
}

static void case_scm_rights_in_flight_keeps_entry(void)
{
	int ep = epoll_create1(0);
	int e = eventfd(1, EFD_NONBLOCK);
	int sv[2];
	struct epoll_event ev[4];

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(add(ep, e, EPOLLIN, 0x5d));
	CHECK_OK(send_fd(sv[0], e));
	occupy(e);
	/* Held only by the message in flight: still reported. */
	CHECK_EQ(wait0(ep, ev, 4), 1);
	CHECK_EQ(ev[0].data.u64, 0x5d);
	/* Closing the sockets drops the message and the file. */
	close_fds(sv[0], sv[1]);
	CHECK_EQ(wait0(ep, ev, 4), 0);
	close_fds(e, ep);
}

static void case_pidfd_getfd_copy_keeps_entry(void)
{
	int e;
	int ep = ep_with_eventfd(&e, 0, EFD_NONBLOCK, EPOLLIN, 0x9d);
	struct epoll_event ev[4];
	int pfd, c;

	pfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (pfd < 0) {
		printf("# pidfd_open unavailable (%s): skipped\n",
		       strerror(errno));
		close_fds(e, ep);
		return;
	}
	c = (int)syscall(SYS_pidfd_getfd, pfd, e, 0);
	if (c < 0) {
		printf("# pidfd_getfd unavailable (%s): skipped\n",
		       strerror(errno));
		close_fds(pfd, e, ep);
		return;
	}
	CHECK_OK(close(e));
	CHECK_OK(wr(c, 1));
	CHECK_EQ(wait0(ep, ev, 4), 1);
	CHECK_EQ(ev[0].data.u64, 0x9d);
	CHECK_ERR(del(ep, c), ENOENT);
	CHECK_OK(close(c));
	CHECK_EQ(wait0(ep, ev, 4), 0);
	close_fds(pfd, ep);
}

static void case_epfd_shared_by_dup(void)
{
	int ep = epoll_create1(0);
	int ep2 = dup(ep);
	int e = eventfd(1, EFD_NONBLOCK);
	struct epoll_event ev[4];

	CHECK_OK(add(ep2, e, EPOLLIN | EPOLLET, 0xd0));
	CHECK_ERR(add(ep, e, EPOLLIN, 0xd1), EEXIST);
	CHECK_EQ(wait0(ep, ev, 4), 1);
	CHECK_EQ(ev[0].data.u64, 0xd0);
	/* One ready list: the edge consumed through ep is gone for ep2. */
	CHECK_EQ(wait0(ep2, ev, 4), 0);
	CHECK_OK(mod(ep, e, EPOLLIN | EPOLLET, 0xd2));
	CHECK_OK(close(ep));
	CHECK_EQ(wait0(ep2, ev, 4), 1);
	CHECK_EQ(ev[0].data.u64, 0xd2);
	CHECK_OK(del(ep2, e));
	/* epfd and fd may not be the same file even through a dup. */
	ep = dup(ep2);
	CHECK_ERR(add(ep, ep2, EPOLLIN, 0), EINVAL);
	close_fds(ep, ep2, e);
}

static void case_epfd_shared_by_fork(void)
{
	int ep = epoll_create1(0);
	int e2 = eventfd(1, EFD_NONBLOCK); /* held by both */
	int e3 = eventfd(1, EFD_NONBLOCK);
	int e4 = eventfd(1, EFD_NONBLOCK);
	struct epoll_event ev[4];
	pid_t pid;

	CHECK_OK(add(ep, e3, EPOLLIN, 0xe3));
	CHECK_OK(add(ep, e4, EPOLLIN | EPOLLET, 0xe4));
	CHECK_EQ(wait0(ep, ev, 4), 2); /* e4's edge consumed, e3 LT */
	CHECK_OK(mod(ep, e4, EPOLLIN | EPOLLET, 0xe4)); /* new edge */
	pid = fork();
	if (pid == 0) {
		struct epoll_event cev[4];
		int bad = 0, n, i, saw_e4 = 0;
		if (add(ep, e2, EPOLLIN, 0xc41d) != 0)
			bad |= 1;
		if (del(ep, e3) != 0)
			bad |= 2;
		/* Harvest in the child consumes the shared ET edge. */
		n = epoll_wait(ep, cev, 4, 0);
		for (i = 0; i < n && i < 4; i++)
			saw_e4 |= cev[i].data.u64 == 0xe4;
		if (!saw_e4)
			bad |= 4;
		_exit(bad);
	}
	CHECK(pid > 0);
	expect_exit_0(pid);
	/* Child's ADD is seen, its DEL too, and the e4 edge is gone. */
	CHECK_EQ(wait0(ep, ev, 4), 1);
	CHECK_EQ(ev[0].data.u64, 0xc41d);
	CHECK_ERR(del(ep, e3), ENOENT);
	CHECK_ERR(add(ep, e2, EPOLLIN, 1), EEXIST);
	CHECK_OK(del(ep, e2));
	CHECK_EQ(wait0(ep, ev, 4), 0);
	close_fds(e2, e3, e4, ep);
}

/* A registered target inside a nested instance: closing the inner epoll
 * fd (last reference) destroys that instance and removes its entry from
 * the outer one. */
static void case_nested_inner_closed_vanishes(void)
{
	int outer = epoll_create1(0);
	int inner = epoll_create1(0);
	int e = eventfd(1, EFD_NONBLOCK);
	struct epoll_event ev[4];

	CHECK_OK(add(inner, e, EPOLLIN, 1));
	CHECK_OK(add(outer, inner, EPOLLIN, 0x1e));
	CHECK_EQ(wait0(outer, ev, 4), 1);
	CHECK_EQ(ev[0].data.u64, 0x1e);
	CHECK_OK(close(inner));
	CHECK_EQ(wait0(outer, ev, 4), 0);
	/* e is unaffected and can be added elsewhere. */
	CHECK_OK(add(outer, e, EPOLLIN, 2));
	CHECK_EQ(wait0(outer, ev, 4), 1);
	close_fds(e, outer);
}

static int tcp_pair(int *client, int *server)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int lst = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lst < 0 || bind(lst, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(lst, 8) || getsockname(lst, (struct sockaddr *)&a, &len))
		return -1;
	*client = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(*client, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	*server = accept(lst, NULL, NULL);
	close(lst);
	return *server >= 0 ? 0 : -1;
}

static void case_tcp_close_without_del_peer_eof(void)
{
	int ep = epoll_create1(0);
	int ep2 = epoll_create1(0);
	int c, s;
	double t0;

	CHECK_OK(tcp_pair(&c, &s));
	CHECK_OK(add(ep, s, EPOLLIN | EPOLLRDHUP, 1));
	CHECK_OK(add(ep2, s, EPOLLIN | EPOLLOUT | EPOLLET, 2));
	/* Registered and open: no EOF. */
	CHECK_EQ(read_byte_timeout(c, 100), -2);
	t0 = tl_now_ms();
	CHECK_OK(close(s));
	CHECK_EQ(read_byte_timeout(c, 2000), 0);
	CHECK(tl_now_ms() - t0 < 1000);
	close_fds(c, ep, ep2);
}

static void case_unix_close_without_del_peer_eof(void)
{
	int ep = epoll_create1(0);
	int sv[2];
	double t0;
	struct epoll_event ev[4];

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(add(ep, sv[0], EPOLLIN, 1));
	CHECK_OK(add(ep, sv[1], EPOLLIN | EPOLLRDHUP, 2));
	CHECK_EQ(read_byte_timeout(sv[1], 100), -2);
	t0 = tl_now_ms();
	CHECK_OK(close(sv[0]));
	CHECK_EQ(read_byte_timeout(sv[1], 2000), 0);
	CHECK(tl_now_ms() - t0 < 1000);
	/* The remaining entry reports the hangup; the closed one nothing. */
	CHECK_EQ(wait0(ep, ev, 4), 1);
	CHECK_EQ(ev[0].data.u64, 2);
	CHECK_EQ(ev[0].events, EPOLLIN | EPOLLRDHUP | EPOLLHUP);
	close_fds(sv[1], ep);
}

static void case_instance_closed_first_then_socket(void)
{
	int ep = epoll_create1(0);
	int c, s;
	double t0;

	CHECK_OK(tcp_pair(&c, &s));
	CHECK_OK(add(ep, s, EPOLLIN, 1));
	CHECK_OK(close(ep));
	CHECK_EQ(read_byte_timeout(c, 100), -2);
	t0 = tl_now_ms();
	CHECK_OK(close(s));
	CHECK_EQ(read_byte_timeout(c, 2000), 0);
	CHECK(tl_now_ms() - t0 < 1000);
	close(c);
}

/* ---- exec ---- */

static int exec_child(int argc, char **argv)
{
	int epc, ep2, e1, e2;
	struct epoll_event ev[4];
	char link[64], path[64];
	ssize_t n;
	int r, i;
	uint64_t seen = 0;

	if (argc != 6)
		return 10;
	epc = atoi(argv[2]);
	ep2 = atoi(argv[3]);
	e1 = atoi(argv[4]);
	e2 = atoi(argv[5]);
	if (fcntl(epc, F_GETFD) != -1 || errno != EBADF)
		return 11;
	if (fcntl(e2, F_GETFD) != -1 || errno != EBADF)
		return 12;
	r = fcntl(ep2, F_GETFD);
	if (r < 0 || (r & FD_CLOEXEC))
		return 13;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", ep2);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return 14;
	link[n] = 0;
	if (strcmp(link, "anon_inode:[eventpoll]") != 0)
		return 15;
	/* Both entries report: e2's number was closed by exec but the
	 * parent still holds the file. */
	memset(ev, 0, sizeof(ev));
	r = epoll_wait(ep2, ev, 4, 0);
	if (r != 2)
		return 16;
	for (i = 0; i < 2; i++)
		seen |= ev[i].data.u64;
	if (seen != 0x3e)
		return 17;
	if (ev[0].events != EPOLLIN || ev[1].events != EPOLLIN)
		return 18;
	/* The inherited number still names the inherited file. */
	if (epoll_ctl(ep2, EPOLL_CTL_DEL, e1, NULL) != 0)
		return 19;
	if (epoll_ctl(ep2, EPOLL_CTL_DEL, e2, NULL) != -1 || errno != EBADF)
		return 20;
	if (epoll_wait(ep2, ev, 4, 0) != 1 || ev[0].data.u64 != 0x20)
		return 21;
	return 0;
}

static void case_exec_cloexec_and_inherit(void)
{
	int epc = epoll_create1(EPOLL_CLOEXEC);
	int ep2 = epoll_create1(0);
	int e1 = eventfd(1, EFD_NONBLOCK);
	int e2 = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
	char a[4][16];
	struct epoll_event ev[4];
	pid_t pid;

	CHECK_OK(add(epc, e1, EPOLLIN, 0x1));
	CHECK_OK(add(ep2, e1, EPOLLIN, 0x1e));
	CHECK_OK(add(ep2, e2, EPOLLIN, 0x20));
	snprintf(a[0], 16, "%d", epc);
	snprintf(a[1], 16, "%d", ep2);
	snprintf(a[2], 16, "%d", e1);
	snprintf(a[3], 16, "%d", e2);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char *argv[] = {"epoll_life_close",
				"--exec-child",
				a[0],
				a[1],
				a[2],
				a[3],
				NULL};
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	CHECK(pid > 0);
	expect_exit_0(pid);
	/* The exec'd child's DEL happened in the shared instance. */
	CHECK_EQ(wait0(ep2, ev, 4), 1);
	CHECK_EQ(ev[0].data.u64, 0x20);
	CHECK_EQ(wait0(epc, ev, 4), 1);
	CHECK_EQ(ev[0].data.u64, 0x1);
	close_fds(epc, ep2, e1, e2);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--exec-child") == 0)
		return exec_child(argc, argv);
	RUN(case_close_only_fd_entry_vanishes);
	RUN(case_close_drops_pending_et_and_oneshot);
	RUN(case_close_with_dup_keeps_reporting);
	RUN(case_both_keys_survive_close_of_one);
	RUN(case_number_reuse_while_old_file_alive);
	RUN(case_forked_child_keeps_entry);
	RUN(case_scm_rights_copy_keeps_entry);
	RUN(case_scm_rights_in_flight_keeps_entry);
	RUN(case_pidfd_getfd_copy_keeps_entry);
	RUN(case_epfd_shared_by_dup);
	RUN(case_epfd_shared_by_fork);
	RUN(case_nested_inner_closed_vanishes);
	RUN(case_tcp_close_without_del_peer_eof);
	RUN(case_unix_close_without_del_peer_eof);
	RUN(case_instance_closed_first_then_socket);
	RUN(case_exec_cloexec_and_inherit);
	return tl_done();
}
