/* inject.c: the decisions behind --inject (inject.h). The faults
 * themselves are made where Linux would make them: epoll_wait.c (eintr,
 * split, stale, delay), epoll_ctl.c (enospc, enomem) and emu.c (emfile). */
#include "inject.h"

#include <stdlib.h>
#include <string.h>

#include "emu.h"

struct inj_thread {
	uint64_t base;	/* hash of (seed, process and thread ordinals) */
	uint64_t calls; /* intercepted calls made so far */
};

struct inj_proc {
	uint32_t ord, nthreads;
};

static const char *const names[EMU_INJ_KINDS] = {
    [EMU_INJ_EINTR] = "eintr",	 [EMU_INJ_DELAY] = "delay",
    [EMU_INJ_SPLIT] = "split",	 [EMU_INJ_STALE] = "stale",
    [EMU_INJ_ENOSPC] = "enospc", [EMU_INJ_ENOMEM] = "enomem",
    [EMU_INJ_EMFILE] = "emfile",
};

const char *emu_inject_name(int kind)
{
	return kind >= 0 && kind < EMU_INJ_KINDS ? names[kind] : "?";
}

/* splitmix64's finaliser: every input bit moves every output bit. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void inject_init(struct inject *in)
{
	memset(in, 0, sizeof(*in));
	u64map_init(&in->threads);
	u64map_init(&in->procs);
}

void inject_fini(struct inject *in)
{
	size_t i = 0;
	uint64_t k;
	void *v;
	while (u64map_next(&in->threads, &i, &k, &v))
		free(v);
	i = 0;
	while (u64map_next(&in->procs, &i, &k, &v))
		free(v);
	u64map_free(&in->threads);
	u64map_free(&in->procs);
}

int emu_set_inject(struct emu *e, const struct emu_inject *cfg)
{
	const double *p[] = {&cfg->eintr,  &cfg->split,	 &cfg->stale,
			     &cfg->enospc, &cfg->enomem, &cfg->emfile};
	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		if (!(*p[i] >= 0 && *p[i] <= 1))
			return -1;
	if (cfg->delay_ns < 0)
		return -1;
	e->inj.cfg = *cfg;
	e->inj.on = cfg->eintr > 0 || cfg->split > 0 || cfg->stale > 0 ||
		    cfg->enospc > 0 || cfg->enomem > 0 || cfg->emfile > 0 ||
		    cfg->delay_ns > 0;
	return 0;
}

static struct inj_thread *thread_of(struct emu *e, int tid)
{
	struct inject *in = &e->inj;
	struct inj_thread *t = u64map_get(&in->threads, (uint32_t)tid);
	if (t)
		return t;
	int tgid = plat_tgid(e->plat, tid);
	struct inj_proc *pr =
	    tgid > 0 ? u64map_get(&in->procs, (uint32_t)tgid) : NULL;
	if (!pr && tgid > 0 && (pr = calloc(1, sizeof(*pr)))) {
		pr->ord = in->nprocs++;
		if (u64map_put(&in->procs, (uint32_t)tgid, pr)) {
			free(pr);
			pr = NULL;
		}
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	uint32_t pord = pr ? pr->ord : UINT32_MAX;
	uint32_t tord = pr ? pr->nthreads++ : 0;
	t->base = mix(mix(in->cfg.seed) ^ ((uint64_t)pord << 32 | tord));
	if (u64map_put(&in->threads, (uint32_t)tid, t)) {
		free(t);
		return NULL;
	}
	return t;
}

void inject_begin(struct emu *e, const struct plat_call *c)
{
	struct inj_thread *t = thread_of(e, c->tid);
	e->inj.key = t ? mix(t->base ^ t->calls++) : 0;
}

void inject_thread_gone(struct emu *e, int tid)
{
	free(u64map_del(&e->inj.threads, (uint32_t)tid));
}

static double frac(uint64_t key, int kind, uint64_t sub)
{
	uint64_t h = mix(key ^ mix((uint64_t)kind << 40 ^ sub));
	return (double)(h >> 11) / 9007199254740992.0; /* 2^53 */
}

double inject_frac(const struct emu *e, uint64_t key, int kind)
{
	(void)e;
	return frac(key, kind, 0);
}

int inject_hit(struct emu *e, uint64_t key, int kind, uint64_t sub)
{
	if (!inject_wants(e, key, kind, sub))
		return 0;
	inject_count(e, kind);
	return 1;
}

void inject_count(struct emu *e, int kind)
{
	e->inj.counts[kind]++;
	if (plat_tracing(e->plat) & PLAT_TRACE_NOTES)
		plat_trace_note(e->plat, " [injected %s]", names[kind]);
}

int inject_wants(const struct emu *e, uint64_t key, int kind, uint64_t sub)
{
	const struct emu_inject *cfg = &e->inj.cfg;
	double p = kind == EMU_INJ_EINTR    ? cfg->eintr
		   : kind == EMU_INJ_SPLIT  ? cfg->split
		   : kind == EMU_INJ_STALE  ? cfg->stale
		   : kind == EMU_INJ_ENOSPC ? cfg->enospc
		   : kind == EMU_INJ_ENOMEM ? cfg->enomem
		   : kind == EMU_INJ_EMFILE ? cfg->emfile
					    : 0;
	return e->inj.on && p > 0 && frac(key, kind, sub) < p;
}
