/* epoll_scale_100k.c: 100,000 eventfds registered in one epoll instance.
 * Exactly the ready ones are reported, with the right data. Also prints
 * (does not assert) the cost of a write/epoll_wait/read round with 10 and
 * with 100,000 registered entries.
 *
 * RLIMIT_NOFILE: the soft limit is raised to the hard one, and the hard
 * one to 210,000 if the process may (CAP_SYS_RESOURCE). If one process
 * still cannot hold 100,000 fds, the rest are registered by helper
 * children that share the instance (fork shares it, linux-semantics.md
 * 3.5) and keep their eventfds open; the parent asks them over a
 * SEQPACKET socket to write/read one of them. The children exit when told
 * to or when the parent's end of their socket goes away.
 */
#include "testlib.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define NFD 100000
#define WANT_FILES 210000
#define ITERS 2000
#define MARGIN 64
#define MAXKIDS 64

static int *pfds; /* the parent's own eventfds */
static int np;	  /* how many the parent holds */
static int ep = -1;
static long limit_cur;
static int skipped;

struct kid {
	pid_t pid;
	int sock;
	int base; /* global index of its first eventfd */
	int n;	  /* how many it registered */
};
static struct kid kids[MAXKIDS];
static int nkids;

static uint64_t tag(int i)
{
	return 0x5ca1e00000000000ULL | (uint64_t)i;
}

/* ---- helper child ---- */

struct cmd {
	char op; /* 'W' write 1, 'R' read, 'Q' quit */
	int idx; /* local index */
};

static void kid_main(int sock, int base, int n)
{
	int *fds = calloc(n, sizeof(int));
	int i, got = 0;
	struct epoll_event ev;
	struct cmd c;
	uint64_t one = 1, v;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (!fds)
		_exit(1);
	for (i = 0; i < n; i++) {
		fds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (fds[i] < 0)
			break;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u64 = tag(base + i);
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) != 0) {
			close(fds[i]);
			break;
		}
		got++;
	}
	if (write(sock, &got, sizeof(got)) != sizeof(got))
		_exit(2);
	for (;;) {
		ssize_t r = read(sock, &c, sizeof(c));
		char ok = 'k';
		if (r != sizeof(c) || c.op == 'Q')
			break;
		if (c.idx < 0 || c.idx >= got)
			ok = 'e';
		else if (c.op == 'W' && write(fds[c.idx], &one, 8) != 8)
			ok = 'e';
		else if (c.op == 'R' && read(fds[c.idx], &v, 8) != 8)
			ok = 'e';
		if (write(sock, &ok, 1) != 1)
			break;
	}
	_exit(0);
}

static int kid_cmd(struct kid *k, char op, int idx)
{
	struct cmd c;
	char ok = 0;

	memset(&c, 0, sizeof(c));
	c.op = op;
	c.idx = idx;
	if (write(k->sock, &c, sizeof(c)) != sizeof(c))
		return -1;
	if (op == 'Q')
		return 0;
	if (read(k->sock, &ok, 1) != 1 || ok != 'k')
		return -1;
	return 0;
}

/* Global index -> write/read it, wherever it lives. */
static int do_op(char op, int gi)
{
	uint64_t one = 1, v;
	int i;

	if (gi < np) {
		if (op == 'W')
			return write(pfds[gi], &one, 8) == 8 ? 0 : -1;
		return read(pfds[gi], &v, 8) == 8 ? 0 : -1;
	}
	for (i = 0; i < nkids; i++)
		if (gi >= kids[i].base && gi < kids[i].base + kids[i].n)
			return kid_cmd(&kids[i], op, gi - kids[i].base);
	return -1;
}

static void case_raise_fd_limit(void)
{
	struct rlimit rl;

	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < WANT_FILES) {
		struct rlimit want = {WANT_FILES, WANT_FILES};
		if (setrlimit(RLIMIT_NOFILE, &want) != 0)
			printf("# cannot raise the RLIMIT_NOFILE hard limit "
			       "%lu (%s): using helper processes\n",
			       (unsigned long)rl.rlim_max, strerror(errno));
		CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	}
	rl.rlim_cur = rl.rlim_max;
	CHECK_OK(setrlimit(RLIMIT_NOFILE, &rl));
	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	limit_cur =
	    rl.rlim_cur == RLIM_INFINITY ? WANT_FILES : (long)rl.rlim_cur;
	if (limit_cur > WANT_FILES)
		limit_cur = WANT_FILES;
	if (limit_cur < 1000 ||
	    (NFD + limit_cur - 1) / (limit_cur - MARGIN) > MAXKIDS) {
		printf("# RLIMIT_NOFILE %ld is too small: 100k cases "
		       "skipped\n",
		       limit_cur);
		skipped = 1;
	}
}

static void case_register_100k(void)
{
	struct epoll_event ev;
	int per, rest, i, bad = 0, total;

	if (skipped) {
		printf("# skipped\n");
		return;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0);
	/* The parent keeps room for the timing case and the sockets. */
	np = limit_cur - MARGIN - MAXKIDS;
	if (np > NFD)
		np = NFD;
	per = limit_cur - MARGIN - MAXKIDS;
	rest = NFD - np;
	/* Children first, so they inherit few fds. */
	fflush(stdout);
	for (i = 0; rest > 0 && i < MAXKIDS; i++) {
		int sv[2], n = rest < per ? rest : per, got = 0;
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
			CHECK_OK(-1);
			break;
		}
		kids[i].base = NFD - rest;
		kids[i].pid = fork();
		if (kids[i].pid == 0) {
			int j;
			close(sv[0]);
			for (j = 0; j < i; j++)
				close(kids[j].sock);
			kid_main(sv[1], kids[i].base, n);
		}
		close(sv[1]);
		kids[i].sock = sv[0];
		if (kids[i].pid < 0) {
			close(sv[0]);
			CHECK(0);
			break;
		}
		nkids = i + 1;
		if (read(sv[0], &got, sizeof(got)) != sizeof(got))
			got = 0;
		kids[i].n = got;
		CHECK_EQ(got, n);
		rest -= n;
	}
	if (nkids)
		printf("# %d helper processes hold %d of the eventfds\n", nkids,
		       NFD - np);
	pfds = calloc(np, sizeof(int));
	CHECK(pfds != NULL);
	for (i = 0; pfds && i < np; i++) {
		pfds[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (pfds[i] < 0) {
			printf("# eventfd #%d: %s\n", i, strerror(errno));
			np = i;
			break;
		}
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u64 = tag(i);
		if (epoll_ctl(ep, EPOLL_CTL_ADD, pfds[i], &ev) != 0) {
			if (!bad)
				printf("# epoll_ctl #%d: %s\n", i,
				       strerror(errno));
			bad++;
		}
	}
	CHECK_EQ(bad, 0);
	total = np;
	for (i = 0; i < nkids; i++)
		total += kids[i].n;
	CHECK_EQ(total, NFD);
	if (total != NFD)
		skipped = 1;
}

static void case_one_ready_among_100k(void)
{
	static struct epoll_event out[64];
	int picks[] = {0, 73421, NFD - 1, 50000, 12, 19000, 99000};
	unsigned k;

	if (skipped) {
		printf("# skipped\n");
		return;
	}
	CHECK_EQ(epoll_wait(ep, out, 64, 0), 0);
	for (k = 0; k < sizeof(picks) / sizeof(picks[0]); k++) {
		int i = picks[k];
		CHECK_OK(do_op('W', i));
		memset(out, 0, sizeof(out));
		CHECK_EQ(epoll_wait(ep, out, 64, 0), 1);
		CHECK_EQ(out[0].events, EPOLLIN);
		CHECK_EQ(out[0].data.u64, tag(i));
		/* Level-triggered: again, with a timeout too. */
		CHECK_EQ(epoll_wait(ep, out, 64, 1000), 1);
		CHECK_EQ(out[0].data.u64, tag(i));
		CHECK_OK(do_op('R', i));
		CHECK_EQ(epoll_wait(ep, out, 64, 0), 0);
	}
}

static void case_several_ready_among_100k(void)
{
	static struct epoll_event out[64];
	int picks[] = {99998, 3, 65536, 12345, 77777};
	int n = sizeof(picks) / sizeof(picks[0]);
	int k, r;

	if (skipped) {
		printf("# skipped\n");
		return;
	}
	for (k = 0; k < n; k++)
		CHECK_OK(do_op('W', picks[k]));
	memset(out, 0, sizeof(out));
	r = epoll_wait(ep, out, 64, 0);
	CHECK_EQ(r, n);
	/* Reported in the order they became ready. */
	for (k = 0; k < n && k < r; k++)
		CHECK_EQ(out[k].data.u64, tag(picks[k]));
	/* maxevents 2 walks them round-robin. */
	r = epoll_wait(ep, out, 2, 0);
	CHECK_EQ(r, 2);
	CHECK_EQ(out[0].data.u64, tag(picks[0]));
	CHECK_EQ(out[1].data.u64, tag(picks[1]));
	r = epoll_wait(ep, out, 2, 0);
	CHECK_EQ(r, 2);
	CHECK_EQ(out[0].data.u64, tag(picks[2]));
	CHECK_EQ(out[1].data.u64, tag(picks[3]));
	for (k = 0; k < n; k++)
		CHECK_OK(do_op('R', picks[k]));
	CHECK_EQ(epoll_wait(ep, out, 64, 0), 0);
}

static void case_del_among_100k(void)
{
	static struct epoll_event out[64];
	int picks[] = {1, 500, 4321};
	int n = sizeof(picks) / sizeof(picks[0]);
	uint64_t one = 1, v;
	int k, r, j;

	if (skipped || np < 5000) {
		printf("# skipped\n");
		return;
	}
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, pfds[picks[1]], NULL));
	for (k = 0; k < n; k++)
		CHECK_EQ(write(pfds[picks[k]], &one, 8), 8);
	r = epoll_wait(ep, out, 64, 0);
	CHECK_EQ(r, n - 1);
	for (j = 0; j < r && j < 64; j++)
		CHECK(out[j].data.u64 != tag(picks[1]));
	for (k = 0; k < n; k++)
		CHECK_EQ(read(pfds[picks[k]], &v, 8), 8);
	struct epoll_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = tag(picks[1]);
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, pfds[picks[1]], &ev));
	CHECK_EQ(epoll_wait(ep, out, 64, 0), 0);
}

/* Average microseconds per write + epoll_wait + read round. */
static double round_cost(int epfd, const int *fdv, int nf)
{
	struct epoll_event out[8];
	uint64_t one = 1, v;
	double t0 = tl_now_ms();
	int i, bad = 0;

	for (i = 0; i < ITERS; i++) {
		int fd = fdv[(int)(((long)i * 7919) % nf)];
		if (write(fd, &one, 8) != 8)
			bad++;
		if (epoll_wait(epfd, out, 8, 1000) != 1)
			bad++;
		if (read(fd, &v, 8) != 8)
			bad++;
	}
	CHECK_EQ(bad, 0);
	return (tl_now_ms() - t0) * 1000.0 / ITERS;
}

static void case_round_cost_10_vs_100k(void)
{
	int small = epoll_create1(EPOLL_CLOEXEC);
	int sfd[10], i;
	struct epoll_event ev;
	double c10, cbig;

	for (i = 0; i < 10; i++) {
		sfd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u64 = i;
		CHECK_OK(epoll_ctl(small, EPOLL_CTL_ADD, sfd[i], &ev));
	}
	c10 = round_cost(small, sfd, 10);
	if (skipped || np == 0) {
		printf("# per-call us: N=10 %.2f, N=100000 skipped\n", c10);
	} else {
		cbig = round_cost(ep, pfds, np);
		printf("# per-call us: N=10 %.2f, N=100000 %.2f\n", c10, cbig);
	}
	for (i = 0; i < 10; i++)
		close(sfd[i]);
	close(small);
}

/* When a helper exits its eventfds are released and their entries go:
 * one left readable is not reported any more. */
static void case_helper_exit_removes_entries(void)
{
	struct epoll_event out[8];
	int i, status;

	if (skipped || nkids == 0) {
		printf("# no helper processes\n");
		return;
	}
	CHECK_OK(kid_cmd(&kids[0], 'W', 0));
	CHECK_EQ(epoll_wait(ep, out, 8, 0), 1);
	CHECK_EQ(out[0].data.u64, tag(kids[0].base));
	for (i = 0; i < nkids; i++) {
		kid_cmd(&kids[i], 'Q', 0);
		CHECK_EQ(waitpid(kids[i].pid, &status, 0), kids[i].pid);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		close(kids[i].sock);
	}
	nkids = 0;
	CHECK_EQ(epoll_wait(ep, out, 8, 0), 0);
}

static void case_close_all(void)
{
	int i, status;

	for (i = 0; i < nkids; i++) {
		kid_cmd(&kids[i], 'Q', 0);
		close(kids[i].sock);
		waitpid(kids[i].pid, &status, 0);
	}
	nkids = 0;
	if (ep >= 0)
		CHECK_OK(close(ep));
	for (i = 0; i < np; i++)
		close(pfds[i]);
	free(pfds);
	np = 0;
}

int main(void)
{
	RUN(case_raise_fd_limit);
	RUN(case_register_100k);
	RUN(case_one_ready_among_100k);
	RUN(case_several_ready_among_100k);
	RUN(case_del_among_100k);
	RUN(case_round_cost_10_vs_100k);
	RUN(case_helper_exit_removes_entries);
	RUN(case_close_all);
	return tl_done();
}
