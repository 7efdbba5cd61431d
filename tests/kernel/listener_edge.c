/* listener_edge.c: the kernel behaviour platform/causality.c relies on, in
 * a model of interpoll's main loop that runs without interpoll.
 *
 * The "listener" is an eventfd in semaphore mode holding one count per
 * pending notification; notifications get consecutive ids under a mutex
 * and are received oldest first, as seccomp's are. It is registered in the
 * main epoll twice: level-triggered, and edge-triggered under a copy of
 * its fd. Each guest thread writes its own file, watched through a bucket
 * (an epoll nested edge-triggered in the main epoll), then notifies, then
 * waits for the reply. The supervisor collects a batch, harvests its
 * buckets, receives one notification, and checks that the write made
 * before it has been harvested:
 *   - when the rule (platform/batch_proof.h, the supervisor's own code)
 *     trusts the batch, it must have been;
 *   - otherwise the main epoll is read again, after which it must have.
 * With "never" the main epoll is not read again: the count of writes then
 * missing is how often the race the rule guards against happened.
 *
 * Usage: listener_edge [rounds per thread] [rule|never]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../../platform/batch_proof.h"

#define GUESTS 3
#define QUEUE 64 /* > GUESTS: each guest has one notification pending */

enum kind { LISTENER = 1, LISTENER_EDGE, BUCKET };
struct tag {
	enum kind kind;
	int guest;
};

struct notification {
	uint64_t id, round;
	int guest;
};

struct model {
	int listener, listener_edge, mainep;
	int file[GUESTS], bucket[GUESTS];
	pthread_mutex_t lock; /* seccomp's notify_lock */
	uint64_t next_id;
	struct notification queue[QUEUE];
	unsigned head, tail;
	atomic_ulong replied[GUESTS];
	uint64_t harvested[GUESTS]; /* writes seen through the buckets */
	long rounds;
};

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static void notify(struct model *m, int guest, uint64_t round)
{
	uint64_t one = 1;
	pthread_mutex_lock(&m->lock);
	m->queue[m->tail++ % QUEUE] =
	    (struct notification){m->next_id++, round, guest};
	if (write(m->listener, &one, 8) != 8)
		die("notify");
	pthread_mutex_unlock(&m->lock);
}

static int receive(struct model *m, struct notification *n)
{
	uint64_t v;
	pthread_mutex_lock(&m->lock);
	int any = m->head != m->tail;
	if (any) {
		*n = m->queue[m->head++ % QUEUE];
		if (read(m->listener, &v, 8) != 8)
			die("receive");
	}
	pthread_mutex_unlock(&m->lock);
	return any;
}

struct guest_arg {
	struct model *m;
	int guest;
};

static void *guest(void *arg)
{
	struct guest_arg *a = arg;
	struct model *m = a->m;
	uint64_t one = 1;
	for (uint64_t r = 1; r <= (uint64_t)m->rounds; r++) {
		/* A varying pause, so that writes fall anywhere in the
		 * supervisor's collection. */
		for (volatile unsigned k = 0; k < r * 7 % 300; k++)
			;
		if (write(m->file[a->guest], &one, 8) != 8)
			die("write");
		notify(m, a->guest, r);
		while (atomic_load(&m->replied[a->guest]) != r)
			;
	}
	return NULL;
}

static void harvest(struct model *m, int g)
{
	struct epoll_event ev[4];
	uint64_t v;
	if (epoll_wait(m->bucket[g], ev, 4, 0) > 0 &&
	    read(m->file[g], &v, 8) == 8)
		m->harvested[g] += v;
}

/* One batch's events: buckets harvested, the rest noted. */
static void take(struct model *m, struct epoll_event *evs, int n, int *listener,
		 int *edge)
{
	for (int k = 0; k < n; k++) {
		struct tag *t = evs[k].data.ptr;
		if (t->kind == BUCKET)
			harvest(m, t->guest);
		else if (t->kind == LISTENER_EDGE)
			*edge = 1;
		else
			*listener = 1;
	}
}

static void add(int ep, int fd, uint32_t events, void *ptr)
{
	struct epoll_event ev = {.events = events, .data.ptr = ptr};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll_ctl");
}

static void setup(struct model *m, struct tag *tags)
{
	static struct tag l = {LISTENER, 0}, le = {LISTENER_EDGE, 0};
	m->mainep = epoll_create1(0);
	m->listener = eventfd(0, EFD_SEMAPHORE | EFD_NONBLOCK);
	m->listener_edge = dup(m->listener);
	if (m->mainep < 0 || m->listener < 0 || m->listener_edge < 0)
		die("setup");
	add(m->mainep, m->listener, EPOLLIN, &l);
	add(m->mainep, m->listener_edge, EPOLLIN | EPOLLET, &le);
	for (int g = 0; g < GUESTS; g++) {
		m->file[g] = eventfd(0, EFD_NONBLOCK);
		m->bucket[g] = epoll_create1(0);
		if (m->file[g] < 0 || m->bucket[g] < 0)
			die("setup");
		add(m->bucket[g], m->file[g], EPOLLIN | EPOLLET, NULL);
		tags[g] = (struct tag){BUCKET, g};
		add(m->mainep, m->bucket[g], EPOLLIN | EPOLLET, &tags[g]);
	}
}

int main(int argc, char **argv)
{
	static struct model m = {.lock = PTHREAD_MUTEX_INITIALIZER,
				 .next_id = 1000};
	struct tag tags[GUESTS];
	struct guest_arg args[GUESTS];
	pthread_t t[GUESTS];
	m.rounds = argc > 1 ? atol(argv[1]) : 3000;
	int rule = !(argc > 2 && !strcmp(argv[2], "never"));
	setup(&m, tags);
	for (int g = 0; g < GUESTS; g++) {
		args[g] = (struct guest_arg){&m, g};
		if (pthread_create(&t[g], NULL, guest, &args[g]))
			die("pthread_create");
	}

	long calls = 0, trusted = 0, missed_trusted = 0, missed_batch = 0;
	long missed_after_read = 0;
	struct batch_proof proof = {0};
	while (calls < GUESTS * m.rounds) {
		struct epoll_event evs[BATCH_MAX];
		int listener = 0, edge = 0;
		int n = epoll_wait(m.mainep, evs, BATCH_MAX, -1);
		batch_collected(&proof, n);
		take(&m, evs, n, &listener, &edge);
		if (edge)
			batch_edge_seen(&proof);
		struct notification c;
		if (!listener || !receive(&m, &c))
			continue;
		int ok = batch_received(&proof, c.id);
		int missing = m.harvested[c.guest] < c.round;
		if (ok) {
			trusted++;
			missed_trusted += missing;
		} else {
			missed_batch += missing;
			if (rule) {
				int l2 = 0, e2 = 0;
				n = epoll_wait(m.mainep, evs, BATCH_MAX, 0);
				take(&m, evs, n, &l2, &e2);
				if (n >= 0 && n < BATCH_MAX)
					batch_read(&proof);
				missed_after_read +=
				    m.harvested[c.guest] < c.round;
			}
		}
		atomic_store(&m.replied[c.guest], c.round);
		calls++;
	}
	for (int g = 0; g < GUESTS; g++)
		pthread_join(t[g], NULL);
	printf("%ld calls, %ld trusted to their batch: writes missing from a "
	       "trusted batch %ld, from an untrusted one %ld, after reading "
	       "again %ld\n",
	       calls, trusted, missed_trusted, missed_batch, missed_after_read);
	return missed_trusted || missed_after_read ? 1 : 0;
}
