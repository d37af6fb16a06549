/* dpor.c — source-set DPOR with sleep sets over racelab's baton scheduler.
 *
 * Owns the exploration tree of rl_model()'s DFS (see dpor.h). Invariant: the
 * nodes hold exactly the choices of the schedule being run, nodes[0 ..
 * replay) being the prefix that the next run follows.
 *
 * The algorithm (Abdulla, Aronis, Jonsson, Sagonas, "Optimal dynamic partial
 * order reduction", POPL 2014, Algorithm 1, stateless form as in Nidhugg):
 *   - Two steps are dependent when their footprints overlap and one writes
 *     (dpor.h). Happens-before over a run: program order, spawn -> the child's
 *     first step, the child's last step -> its join, and every dependent pair
 *     in run order; kept as one vector clock per step.
 *   - A race e < f: dependent steps of different threads, e happens before
 *     f, and no step between them is ordered after e and before f. For each
 *     race, v = the steps after e not ordered after e, then f; the initials
 *     of v are the threads whose first step in v has no predecessor in v. If
 *     none of them is in backtrack(e's node), one is added: running it there
 *     reverses the race. Races are found once a run ends, for the steps past
 *     the replayed prefix (those before it were found by earlier runs).
 *   - Sleep sets: after a thread's subtree at a node is explored, it sleeps
 *     in its siblings' subtrees until a step dependent with its next step
 *     runs. A run whose every enabled thread sleeps is redundant: it finishes
 *     with default choices, is not counted and adds no backtrack points.
 *   - Locks: a lock cannot be moved before the unlock it waits for, so a
 *     race unlock(m) by A < lock(m) by B is taken as the race between A's
 *     acquisition of m and B's lock, which is reversible.
 *   - A backtrack thread that is not enabled at the node (blocked, or held
 *     back after a yield) is replaced by every enabled thread (Flanagan and
 *     Godefroid, POPL 2005): more schedules, never fewer.
 *   - Value choices (a weak CAS failing spuriously) are nodes whose every
 *     value is explored.
 *   - Preemption bounding (Musuvathi and Qadeer, PLDI 2007): a backtrack
 *     choice that would preempt more than the bound allows is dropped and the
 *     exploration is marked cut (incomplete).
 */
#include "dpor.h"

#include <stdlib.h>
#include <string.h>
#include <racelab/hooks.h>
#include <racelab/probe.h>

#define FATAL(...) RL_FATAL(__VA_ARGS__)

enum { NODE_THREAD = 1, NODE_VALUE };

struct node {
	uint8_t kind;
	uint8_t chosen;
	uint8_t nvals;    /* NODE_VALUE */
	int8_t cur;       /* NODE_THREAD: the thread at the point, -1 if none */
	int32_t step;     /* NODE_THREAD: its step, -1 until recorded */
	uint32_t preempt; /* preemptions before this choice */
	rl__tmask en, sleep, bt, done;
};

struct step {
	uint8_t tid;
	struct rl__fp fp;
	uint32_t lidx;    /* 1-based index among its thread's steps */
	int32_t node;     /* its NODE_THREAD */
};

struct rl__dpor {
	struct node *nodes;
	size_t nn, capn, k, replay;
	struct step *steps;
	uint32_t *vcs;    /* RL__DPOR_MAXT clocks per step */
	size_t ns, caps, fresh;
	uint32_t lidx[RL__DPOR_MAXT];
	int32_t last[RL__DPOR_MAXT], parent[RL__DPOR_MAXT];
	rl__tmask next_sleep;
	uint32_t preempt;
	int32_t pending_node;
	bool redundant, cut, bound, broken;
	unsigned maxpre;
};

struct rl__dpor *rl__dpor_new(bool bound, unsigned maxpre)
{
	struct rl__dpor *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->bound = bound;
	d->maxpre = maxpre;
	return d;
}

void rl__dpor_free(struct rl__dpor *d)
{
	if (!d)
		return;
	free(d->nodes);
	free(d->steps);
	free(d->vcs);
	free(d);
}

void rl__dpor_begin(struct rl__dpor *d)
{
	d->k = 0;
	d->ns = 0;
	d->next_sleep = 0;
	d->preempt = 0;
	d->pending_node = -1;
	d->redundant = false;
	d->broken = false;
	memset(d->lidx, 0, sizeof(d->lidx));
	for (unsigned i = 0; i < RL__DPOR_MAXT; i++)
		d->last[i] = d->parent[i] = -1;
}

bool rl__dpor_redundant(const struct rl__dpor *d) { return d->redundant; }
bool rl__dpor_cut(const struct rl__dpor *d) { return d->cut; }
size_t rl__dpor_depth(const struct rl__dpor *d) { return d->k; }

static bool dependent(const struct rl__fp *a, const struct rl__fp *b)
{
	if (a->sc && b->sc && (a->sc == RL__FP_WRITE || b->sc == RL__FP_WRITE))
		return true;
	if (!a->kind || !b->kind || (a->kind == RL__FP_READ && b->kind == RL__FP_READ))
		return false;
	return a->lo < b->hi && b->lo < a->hi;
}

static struct node *push_node(struct rl__dpor *d)
{
	if (d->nn == d->capn) {
		size_t ncap = d->capn ? d->capn * 2 : 256;
		struct node *n = realloc(d->nodes, ncap * sizeof(*n));
		if (!n)
			FATAL("out of memory in the model checker");
		d->nodes = n;
		d->capn = ncap;
	}
	struct node *n = &d->nodes[d->nn++];
	memset(n, 0, sizeof(*n));
	n->step = -1;
	return n;
}

/* Whether choosing @p at a point where @cur runs is a preemption. */
static bool preempts(rl__tmask en, int cur, int p)
{
	return cur >= 0 && ((en >> cur) & 1) && p != cur;
}

static bool over_bound(const struct rl__dpor *d, const struct node *n, int p)
{
	return d->bound && preempts(n->en, n->cur, p) && n->preempt + 1 > d->maxpre;
}

void rl__dpor_thread_new(struct rl__dpor *d, unsigned tid)
{
	if (tid < RL__DPOR_MAXT && d->last[tid] < 0)
		d->parent[tid] = d->ns ? (int32_t)d->ns - 1 : -1;
}

int rl__dpor_choose(struct rl__dpor *d, rl__tmask en, int cur, const struct rl__fp *pend)
{
	int def = rl__dpor_default(en, cur);
	d->pending_node = -1;
	if (d->redundant || d->broken)
		return def;
	struct node *n;
	int p;
	if (d->k < d->replay) {
		n = &d->nodes[d->k];
		p = n->chosen;
		if (n->kind != NODE_THREAD || !((en >> p) & 1)) {
			d->broken = true;
			return -1;
		}
		/* The enabled set may differ in threads that sleep or are held
		 * back after a yield; the prefix only needs its choice enabled. */
	} else {
		rl__tmask avail = en & ~d->next_sleep;
		if (d->bound && cur >= 0 && ((en >> cur) & 1) && d->preempt >= d->maxpre)
			avail &= (rl__tmask)1 << cur;
		if (!avail) {
			d->redundant = true;
			return def;
		}
		n = push_node(d);
		n->kind = NODE_THREAD;
		n->cur = (int8_t)cur;
		n->en = en;
		n->sleep = d->next_sleep;
		n->preempt = d->preempt;
		p = (avail >> def) & 1 ? def : __builtin_ctzll(avail);
		n->chosen = (uint8_t)p;
		n->bt = n->done = (rl__tmask)1 << p;
	}
	/* The sleep set below this choice: what slept here or was explored here
	 * before, minus what the step of @p wakes. */
	rl__tmask s = (n->sleep | n->done) & ~((rl__tmask)1 << p), ns = 0;
	while (s) {
		int q = __builtin_ctzll(s);
		s &= s - 1;
		if (!dependent(&pend[q], &pend[p]))
			ns |= (rl__tmask)1 << q;
	}
	d->next_sleep = ns;
	if (preempts(n->en, n->cur, p))
		d->preempt++;
	d->pending_node = (int32_t)d->k;
	d->k++;
	return p;
}

static uint32_t *vc_of(const struct rl__dpor *d, size_t i)
{
	return d->vcs + i * RL__DPOR_MAXT;
}

static void vc_join(uint32_t *dst, const uint32_t *src)
{
	for (unsigned i = 0; i < RL__DPOR_MAXT; i++)
		if (src[i] > dst[i])
			dst[i] = src[i];
}

void rl__dpor_step(struct rl__dpor *d, unsigned tid, const struct rl__fp *fp, int edge_tid)
{
	int32_t node = d->pending_node;
	d->pending_node = -1;
	if (d->redundant || d->broken || node < 0 || tid >= RL__DPOR_MAXT)
		return;
	if (d->ns == d->caps) {
		size_t ncap = d->caps ? d->caps * 2 : 256;
		struct step *s = realloc(d->steps, ncap * sizeof(*s));
		if (!s)
			FATAL("out of memory in the model checker");
		d->steps = s;
		uint32_t *v = realloc(d->vcs, ncap * RL__DPOR_MAXT * sizeof(*v));
		if (!v)
			FATAL("out of memory in the model checker");
		d->vcs = v;
		d->caps = ncap;
	}
	size_t i = d->ns++;
	uint32_t *vc = vc_of(d, i);
	int32_t from = d->last[tid] >= 0 ? d->last[tid] : d->parent[tid];
	if (from >= 0)
		memcpy(vc, vc_of(d, (size_t)from), RL__DPOR_MAXT * sizeof(*vc));
	else
		memset(vc, 0, RL__DPOR_MAXT * sizeof(*vc));
	for (size_t k = 0; k < i; k++)
		if (dependent(&d->steps[k].fp, fp))
			vc_join(vc, vc_of(d, k));
	if (edge_tid >= 0 && edge_tid < RL__DPOR_MAXT && d->last[edge_tid] >= 0)
		vc_join(vc, vc_of(d, (size_t)d->last[edge_tid]));
	vc[tid] = ++d->lidx[tid];
	d->last[tid] = (int32_t)i;
	d->steps[i] = (struct step){ .tid = (uint8_t)tid, .fp = *fp, .lidx = vc[tid], .node = node };
	d->nodes[node].step = (int32_t)i;
}

unsigned rl__dpor_value(struct rl__dpor *d, unsigned n)
{
	if (d->redundant || d->broken || n < 2)
		return 0;
	if (d->k < d->replay) {
		struct node *nd = &d->nodes[d->k++];
		if (nd->kind != NODE_VALUE || nd->nvals != n) {
			d->broken = true;
			return 0;
		}
		return nd->chosen;
	}
	struct node *nd = push_node(d);
	nd->kind = NODE_VALUE;
	nd->nvals = (uint8_t)n;
	d->k++;
	return 0;
}

/* Step @a happens before step @b (a < b). */
static inline bool hb(const struct rl__dpor *d, size_t a, size_t b)
{
	return vc_of(d, b)[d->steps[a].tid] >= d->steps[a].lidx;
}

/* @e's latest acquisition of the mutex it unlocks, or -1. */
static int32_t acquisition(const struct rl__dpor *d, size_t e)
{
	const struct step *u = &d->steps[e];
	for (size_t k = e; k-- > 0;) {
		const struct step *s = &d->steps[k];
		if (s->tid == u->tid && s->fp.lo == u->fp.lo &&
		    (s->fp.op == RL_PROBE_LOCK || s->fp.op == RL_PROBE_TRYLOCK))
			return (int32_t)k;
	}
	return -1;
}

static void reverse(struct rl__dpor *d, size_t e, size_t f)
{
	struct node *n = &d->nodes[d->steps[e].node];
	rl__tmask seen = 0, init = 0;
	/* v = the steps after e not ordered after it, then f. */
	for (size_t u = e + 1; u <= f; u++) {
		if (u < f && hb(d, e, u))
			continue;
		rl__tmask bit = (rl__tmask)1 << d->steps[u].tid;
		if (seen & bit)
			continue;
		seen |= bit;
		bool first = true;
		for (size_t w = e + 1; w < u && first; w++)
			if (!hb(d, e, w) && hb(d, w, u))
				first = false;
		if (first)
			init |= bit;
	}
	if (init & n->bt)
		return;
	rl__tmask cand = init & n->en;
	rl__tmask fbit = (rl__tmask)1 << d->steps[f].tid;
	if (cand)
		n->bt |= (cand & fbit) ? fbit : (cand & -cand);
	else
		n->bt |= n->en;
}

static void find_races(struct rl__dpor *d)
{
	for (size_t f = d->fresh; f < d->ns; f++) {
		const struct step *sf = &d->steps[f];
		if (!sf->fp.kind && !sf->fp.sc)
			continue;
		for (size_t e = f; e-- > 0;) {
			const struct step *se = &d->steps[e];
			if (se->tid == sf->tid || !dependent(&se->fp, &sf->fp))
				continue;
			if (sf->fp.op == RL_PROBE_LOCK && se->fp.op == RL_PROBE_UNLOCK) {
				int32_t a = acquisition(d, e);
				if (a >= 0)
					reverse(d, (size_t)a, f);
				continue;
			}
			if (sf->fp.op == RL_PROBE_LOCK && se->fp.op == RL_PROBE_LOCK)
				continue; /* ordered through an unlock: handled above */
			bool immediate = true;
			for (size_t k = e + 1; k < f && immediate; k++)
				if (hb(d, e, k) && hb(d, k, f))
					immediate = false;
			if (immediate)
				reverse(d, e, f);
		}
	}
}

bool rl__dpor_next(struct rl__dpor *d)
{
	if (!d->broken)
		find_races(d);
	for (size_t k = d->nn; k-- > 0;) {
		struct node *n = &d->nodes[k];
		if (n->kind == NODE_VALUE) {
			if (n->chosen + 1u < n->nvals) {
				n->chosen++;
				goto found;
			}
			continue;
		}
		rl__tmask cand = n->bt & ~n->done & ~n->sleep & n->en;
		while (cand) {
			int q = __builtin_ctzll(cand);
			cand &= cand - 1;
			if (over_bound(d, n, q)) {
				n->done |= (rl__tmask)1 << q;
				d->cut = true;
				continue;
			}
			n->done |= (rl__tmask)1 << q;
			n->chosen = (uint8_t)q;
			goto found;
		}
		continue;
found:
		d->nn = k + 1;
		d->replay = k + 1;
		/* The steps before this choice were replayed: their races are known. */
		d->fresh = 0;
		for (size_t j = k + 1; j-- > 0;)
			if (d->nodes[j].kind == NODE_THREAD && d->nodes[j].step >= 0) {
				d->fresh = (size_t)d->nodes[j].step;
				break;
			}
		return true;
	}
	d->nn = 0;
	d->replay = 0;
	return false;
}
