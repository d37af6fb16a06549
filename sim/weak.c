/* weak.c — RC11 for rl_model()'s modelled atomics: which store a load may read.
 *
 * Owns the locations' modification orders and the seq_cst clock (weak.h).
 * The model (Lahav, Vafeiadis, Kang, Hur, Dreyer, "Repairing sequential
 * consistency in C/C++11", PLDI 2017), run operationally over the
 * interleaving the scheduler picks, with the happens-before clocks of the
 * detector (detect.h) as the threads' views:
 *
 *   - Each location keeps its stores in modification order (mo), from an
 *     initial message holding the memory's content at the first modelled
 *     access. A store is a message: value, writer and its epoch, the release
 *     clock it carries, and when each thread first read it.
 *   - A thread's view of a location is the mo-latest store it must see: one
 *     that happens before it (the writer's epoch is in its clock), or one that
 *     a read happening before it has read (its epoch of first reading is in the
 *     clock). Coherence (CoRR, CoWR, CoRW, CoWW) is exactly: a load reads that
 *     store or any mo-later one; a store goes anywhere after it.
 *   - An RMW reads a store no other RMW has read and is placed right after it
 *     (RC11's atomicity), so a plain store never goes between the two.
 *   - Which store a load or RMW reads, and where in mo a store goes, are
 *     choices (rl__model_value): choice 0 is the mo-latest store / the end of
 *     mo, so a schedule that takes no choice is the sequentially consistent one.
 *     DFS explores every choice of every interleaving it runs.
 *   - Release sequences (RC11's rs = [W_rel]; sb|loc?; [W]; (rf; rmw)*): a
 *     store carries the clock of its thread's earlier release stores to the
 *     location and of its last release fence; an RMW also the clock of the
 *     store it read. An acquire load joins the clock of the store it read; a
 *     relaxed one keeps it for the next acquire fence (detect.c's facq).
 *   - seq_cst: one clock S along the total order of seq_cst operations, which
 *     is the scheduler's order of them (they are mutually dependent for DPOR,
 *     model.c's footprints). A seq_cst fence joins S and publishes into it
 *     (PS 2.0's SC fences); a seq_cst load or RMW must see what S has (the
 *     view, not the clock: no happens-before edge comes of it), a seq_cst
 *     store goes after it in mo, and a seq_cst store or RMW publishes into S. With only
 *     seq_cst accesses or with seq_cst fences this gives RC11's verdicts;
 *     where seq_cst accesses mix with weaker ones on the same thread it is
 *     stronger than RC11 (rl__weak_mixed reports it; model.h says so).
 *   - No out-of-thin-air values: a load reads a store already executed, so
 *     po ∪ rf is acyclic by construction (load buffering's 1/1 is excluded).
 *   - Fairness: after the thread's rl_yield(), a read of a location whose
 *     view is still the store the thread last read there reads a newer one if
 *     any exists (read_view()), so a spin loop ends once the store it waits
 *     for exists.
 *   - History bound: a choice among more than 255 stores keeps the newest
 *     255 and makes the exploration incomplete (rl__model_cut).
 *
 * Memory ordering of this file itself: none; it runs on the baton holder
 * inside an rl__probe_enter/exit pair (the baton's release/acquire hand-off,
 * sim/sched.c, orders successive holders).
 */
#include "weak.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <racelab/hooks.h>

#include "amap.h"
#include "detect.h"
#include "model_internal.h"
#include "probe_internal.h"
#include "results.h"
#include "vclock.h"

#define FATAL(...) RL_FATAL(__VA_ARGS__)
#define MAX_CHOICES 255 /* a DPOR value node holds at most this many values */

enum { M_INIT = 1, M_RMW = 2 };

struct msg {
	uint64_t val;
	uint32_t epoch;      /* the writer's clock entry when it stored */
	uint16_t tid;        /* the writer */
	uint32_t po;         /* its place among the writer's modelled atomics (execution identity) */
	uint16_t flags;
	const char *site;    /* where it was stored (or NULL: pc) */
	const void *pc;
	uint64_t step;       /* scheduling point of the store */
	struct rl__vc rel;   /* the release clock it carries (empty: none) */
	struct rl__vc seen;  /* per thread: its epoch when it first read this store (0: never) */
};

struct loc {
	uintptr_t addr;
	unsigned width;
	const char *kind;
	struct msg *mo;
	uint32_t n, cap;
	struct rl__vc *rs;   /* per thread: the clock of its latest release store here */
	uint32_t nrs;
	struct rl__vc yld;   /* per thread: its yield count at its last load here */
};

/* One stale read, for the failure report. */
#define EXPLAIN_MAX 8
struct stale {
	uint16_t reader, writer, newest_writer; /* newest_*: the first store after the one read */
	bool init, relaxed;
	uint64_t val, newest_val, step, newest_step;
	const char *kind, *site, *newest_site, *rsite;
	const void *pc, *newest_pc, *rpc;
};

static struct {
	bool on;
	struct rl__amap idx;  /* addr -> index + 1 into locs */
	struct loc *locs;
	size_t nl, capl;
	struct rl__vc S;      /* the seq_cst clock */
	struct rl__vc yields; /* per thread: rl_yield() calls */
	struct rl__vc sc_by, weak_by; /* per thread: did a seq_cst / a weaker access */
	bool mixed;
	uint64_t stale_reads;
	struct stale ex[EXPLAIN_MAX];
	unsigned nex;
	struct rl__vc po;     /* per thread: modelled atomics so far (each op's identity) */
	uint64_t rf;          /* the reads-from relation so far, hashed order-independently */
} W;

/* splitmix64's finaliser: the execution hash's mixer. */
static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* The next op of thread @tid: its identity within the schedule. */
static uint32_t next_po(unsigned tid)
{
	uint32_t n = rl__vc_get(&W.po, tid) + 1;
	rl__vc_set(&W.po, tid, n);
	return n;
}

static void msg_free(struct msg *m)
{
	rl__vc_free(&m->rel);
	rl__vc_free(&m->seen);
}

static void loc_clear(struct loc *l)
{
	for (uint32_t i = 0; i < l->n; i++)
		msg_free(&l->mo[i]);
	free(l->mo);
	for (uint32_t i = 0; i < l->nrs; i++)
		rl__vc_free(&l->rs[i]);
	free(l->rs);
	rl__vc_free(&l->yld);
	memset(l, 0, sizeof(*l));
}

static void forget_all(void)
{
	for (size_t i = 0; i < W.nl; i++)
		loc_clear(&W.locs[i]);
	W.nl = 0;
	rl__amap_free(&W.idx);
	rl__vc_clear(&W.S);
	rl__vc_clear(&W.yields);
	rl__vc_clear(&W.sc_by);
	rl__vc_clear(&W.weak_by);
	rl__vc_clear(&W.po);
	W.rf = 0;
	W.mixed = false;
	W.stale_reads = 0;
	W.nex = 0;
}

void rl__weak_begin(bool on)
{
	forget_all();
	W.on = on;
}

bool rl__weak_on(void) { return W.on && rl__model_running(); }

void rl__weak_free(void)
{
	forget_all();
	free(W.locs);
	W.locs = NULL;
	W.capl = 0;
	rl__vc_free(&W.S);
	rl__vc_free(&W.yields);
	rl__vc_free(&W.sc_by);
	rl__vc_free(&W.weak_by);
	rl__vc_free(&W.po);
	W.on = false;
}

uint64_t rl__weak_stale_reads(void) { return W.stale_reads; }

uint64_t rl__weak_execution(void)
{
	/* Each location's modification order as a sequence of store identities;
	 * locations summed (their addresses may differ between schedules). */
	uint64_t mo = 0;
	for (size_t i = 0; i < W.nl; i++) {
		const struct loc *l = &W.locs[i];
		uint64_t h = 0x9E3779B97F4A7C15u;
		for (uint32_t k = 1; k < l->n; k++)
			h = mix(h ^ ((uint64_t)l->mo[k].tid << 32 | l->mo[k].po));
		mo += mix(h + l->n);
	}
	return mix(W.rf ^ mix(mo));
}
bool rl__weak_mixed(void) { return W.mixed; }

/* A thread whose seq_cst accesses sit beside weaker ones: modelled stronger than RC11. */
static void note_order(const struct rl__det_thr *t, unsigned mo)
{
	rl__vc_set(mo == memory_order_seq_cst ? &W.sc_by : &W.weak_by, t->tid, 1);
	if (rl__vc_get(&W.sc_by, t->tid) && rl__vc_get(&W.weak_by, t->tid))
		W.mixed = true;
}

static uint64_t mem_load(const void *a, unsigned width)
{
	if (width == 1)
		return __atomic_load_n((const bool *)a, __ATOMIC_RELAXED);
	return __atomic_load_n((const uint64_t *)a, __ATOMIC_RELAXED);
}

static void mem_store(void *a, unsigned width, uint64_t v)
{
	if (width == 1)
		__atomic_store_n((bool *)a, v != 0, __ATOMIC_RELAXED);
	else
		__atomic_store_n((uint64_t *)a, v, __ATOMIC_RELAXED);
}

static struct msg *msg_insert(struct loc *l, uint32_t at)
{
	if (l->n == l->cap) {
		uint32_t ncap = l->cap ? l->cap * 2 : 8;
		struct msg *p = realloc(l->mo, ncap * sizeof(*p));
		if (!p)
			FATAL("out of memory in the model checker's memory model");
		l->mo = p;
		l->cap = ncap;
	}
	memmove(&l->mo[at + 1], &l->mo[at], (l->n - at) * sizeof(*l->mo));
	l->n++;
	memset(&l->mo[at], 0, sizeof(l->mo[at]));
	return &l->mo[at];
}

/* The location at @a, with its initial message on first use. Memory holds
 * the mo-latest store's value; if it does not, something wrote it outside
 * the model (an init, a reuse), and the location starts afresh. */
static struct loc *loc_get(const void *a, unsigned width, const char *kind)
{
	uint64_t *slot = rl__amap_get(&W.idx, (uintptr_t)a, true);
	if (!slot)
		FATAL("out of memory in the model checker's memory model");
	struct loc *l;
	uint64_t cur = mem_load(a, width);
	if (*slot) {
		l = &W.locs[*slot - 1];
		if (l->width == width && l->n && l->mo[l->n - 1].val == cur)
			return l;
		loc_clear(l);
	} else {
		if (W.nl == W.capl) {
			size_t ncap = W.capl ? W.capl * 2 : 16;
			struct loc *p = realloc(W.locs, ncap * sizeof(*p));
			if (!p)
				FATAL("out of memory in the model checker's memory model");
			W.locs = p;
			W.capl = ncap;
		}
		l = &W.locs[W.nl];
		memset(l, 0, sizeof(*l));
		*slot = ++W.nl;
	}
	l->addr = (uintptr_t)a;
	l->width = width;
	l->kind = kind;
	struct msg *m = msg_insert(l, 0);
	m->val = cur;
	m->flags = M_INIT; /* epoch 0: every thread's clock has it */
	return l;
}

void rl__weak_forget(uintptr_t lo, uintptr_t hi)
{
	/* Emptied in place: loc_get() starts it afresh on its next use. */
	for (size_t i = 0; i < W.nl; i++)
		if (W.locs[i].n && W.locs[i].addr >= lo && W.locs[i].addr < hi)
			loc_clear(&W.locs[i]);
}

/* Store @m happens before (or was read by a read that happens before) the
 * thread whose clock is @C: the thread must see it or a later store. */
static bool must_see(const struct msg *m, const struct rl__vc *C)
{
	if (rl__vc_get(C, m->tid) >= m->epoch)
		return true;
	for (uint32_t i = 0; i < m->seen.n; i++)
		if (m->seen.c[i] && rl__vc_get(C, i) >= m->seen.c[i])
			return true;
	return false;
}

/* The index of the mo-latest store @C (or, if non-NULL, @S) must see. */
static uint32_t view_of2(const struct loc *l, const struct rl__vc *C, const struct rl__vc *S)
{
	for (uint32_t i = l->n; i-- > 1;)
		if (must_see(&l->mo[i], C) || (S && must_see(&l->mo[i], S)))
			return i;
	return 0;
}


/* Store @i was read by an RMW (the next store is that RMW). */
static bool taken(const struct loc *l, uint32_t i)
{
	return i + 1 < l->n && (l->mo[i + 1].flags & M_RMW);
}

static struct rl__vc *rs_of(struct loc *l, unsigned tid)
{
	if (tid >= l->nrs) {
		struct rl__vc *p = realloc(l->rs, (tid + 1) * sizeof(*p));
		if (!p)
			FATAL("out of memory in the model checker's memory model");
		memset(p + l->nrs, 0, (tid + 1 - l->nrs) * sizeof(*p));
		l->rs = p;
		l->nrs = tid + 1;
	}
	return &l->rs[tid];
}

/* Pick one of @n candidates (@cand, newest first: choice 0 is the newest);
 * @more: older candidates did not fit (the history bound). */
static uint32_t choose(const uint32_t *cand, uint32_t n, bool more)
{
	if (more)
		rl__model_cut();
	return cand[n > 1 ? rl__model_value(n) : 0];
}

enum { READ_ANY, READ_RMW, READ_CAS, WRITE_AT };

/* The choices from the view @lo on, newest first, at most MAX_CHOICES
 * (*@more: some did not fit). READ_ANY: stores a load may read (index >= lo);
 * READ_RMW: those no RMW has read; READ_CAS: those a CAS expecting @want may
 * read (it would fail on them, or succeed on an untaken one); WRITE_AT: the
 * places a store may go (index > lo, not right before an RMW). */
static uint32_t collect(const struct loc *l, uint32_t lo, int what, uint64_t want, uint32_t *cand, bool *more)
{
	uint32_t n = 0;
	*more = false;
	uint32_t hi = what == WRITE_AT ? l->n : l->n - 1, first = what == WRITE_AT ? lo + 1 : lo;
	for (uint32_t i = hi + 1; i-- > first;) {
		bool ok;
		switch (what) {
		case READ_ANY: ok = true; break;
		case READ_RMW: ok = !taken(l, i); break;
		case READ_CAS: ok = l->mo[i].val != want || !taken(l, i); break;
		default: ok = i == l->n || !(l->mo[i].flags & M_RMW); break;
		}
		if (!ok)
			continue;
		if (n == MAX_CHOICES) {
			*more = true;
			break;
		}
		cand[n++] = i;
	}
	return n;
}

static void note_stale(const struct loc *l, uint32_t got, const struct rl__det_thr *t, const rl_probe_ev *ev,
		       unsigned mo)
{
	W.stale_reads++;
	if (W.nex == EXPLAIN_MAX)
		return;
	const struct msg *m = &l->mo[got], *nw = &l->mo[got + 1]; /* the first store it missed */
	W.ex[W.nex++] = (struct stale){
		.reader = (uint16_t)t->tid, .writer = m->tid, .newest_writer = nw->tid,
		.init = m->flags & M_INIT, .relaxed = mo == memory_order_relaxed,
		.val = m->val, .newest_val = nw->val, .step = rl__probe_step_now(), .newest_step = nw->step,
		.kind = l->kind, .site = m->site, .pc = m->pc, .newest_site = nw->site, .newest_pc = nw->pc,
		.rsite = ev->site, .rpc = ev->pc,
	};
}

/* @t reads store @i of @l: its first-read epoch, the acquire side. */
static const struct msg *read_msg(struct loc *l, uint32_t i, struct rl__det_thr *t, rl_probe_ev *ev, unsigned mo,
				  bool acq)
{
	struct msg *m = &l->mo[i];
	/* The reads-from edge (this read's identity -> the store's); summed, so
	 * the interleaving that produced it does not matter. */
	uint64_t reader = (uint64_t)t->tid << 32 | next_po(t->tid);
	uint64_t writer = m->flags & M_INIT ? UINT64_MAX : (uint64_t)m->tid << 32 | m->po;
	W.rf += mix(mix(reader) ^ writer);
	if (!rl__vc_get(&m->seen, t->tid))
		rl__vc_set(&m->seen, t->tid, rl__vc_get(&t->C, t->tid));
	/* Acquire: pairs with the release clock the store's writer put in m->rel. */
	rl__vc_join(acq ? &t->C : &t->facq, &m->rel);
	if (i + 1 < l->n) {
		ev->flags |= RL_PROBE_F_STALE;
		note_stale(l, i, t, ev, mo);
	}
	return m;
}

static bool acquires(unsigned mo)
{
	return mo == memory_order_consume || mo == memory_order_acquire || mo == memory_order_acq_rel ||
	       mo == memory_order_seq_cst;
}

/* A new store by @t right before mo index @at; the release side. */
static void write_msg(struct loc *l, uint32_t at, struct rl__det_thr *t, rl_probe_ev *ev, uint64_t v, unsigned mo,
		      const struct rl__vc *read_rel, bool rmw)
{
	struct msg *m = msg_insert(l, at);
	m->val = l->width == 1 ? (v != 0) : v;
	m->tid = (uint16_t)t->tid;
	m->po = next_po(t->tid);
	m->epoch = rl__vc_get(&t->C, t->tid);
	m->flags = rmw ? M_RMW : 0;
	m->site = ev->site;
	m->pc = ev->pc;
	m->step = rl__probe_step_now();
	/* The release sequence: the thread's earlier release stores here, its
	 * last release fence, and (an RMW) the store it read. */
	struct rl__vc *rs = rs_of(l, t->tid);
	rl__vc_copy(&m->rel, rs);
	if (t->has_frel)
		rl__vc_join(&m->rel, &t->frel);
	if (read_rel)
		rl__vc_join(&m->rel, read_rel);
	if (rl__probe_releases(mo)) {
		/* Release: pairs with the acquire in read_msg() of whoever reads it. */
		rl__vc_join(&m->rel, &t->C);
		rl__vc_copy(rs, &t->C);
	}
	if (at + 1 == l->n)
		mem_store((void *)l->addr, l->width, m->val);
	else
		ev->flags |= RL_PROBE_F_STALE; /* placed before a store already made */
	if (mo == memory_order_seq_cst)
		rl__vc_join(&W.S, &t->C);
	if (rl__probe_releases(mo))
		rl__det_tick(t);
}

/* The view a read by @t starts from. Fairness: if the thread yielded since
 * it last read @l and the store it then read is still its view, it reads a
 * newer one if there is any, so a spin loop cannot re-read one stale value
 * forever. (The runs where it re-reads it once more differ only by a loop
 * turn that did nothing.) */
static uint32_t read_view(struct loc *l, const struct rl__det_thr *t, unsigned mo)
{
	/* seq_cst: every seq_cst store before it in S is in its view. */
	uint32_t lo = view_of2(l, &t->C, mo == memory_order_seq_cst ? &W.S : NULL);
	uint32_t y = rl__vc_get(&W.yields, t->tid);
	if (y && rl__vc_get(&l->yld, t->tid) != y) {
		rl__vc_set(&l->yld, t->tid, y);
		if (rl__vc_get(&l->mo[lo].seen, t->tid) && lo + 1 < l->n)
			lo++;
	}
	return lo;
}

static uint32_t load_choice(struct loc *l, struct rl__det_thr *t, unsigned mo)
{
	uint32_t cand[MAX_CHOICES];
	bool more;
	uint32_t n = collect(l, read_view(l, t, mo), READ_ANY, 0, cand, &more);
	return choose(cand, n, more);
}

uint64_t rl__weak_load(struct rl__det_thr *t, rl_probe_ev *ev, const void *a, unsigned width, unsigned mo)
{
	ev->flags |= RL_PROBE_F_WEAK;
	note_order(t, mo);
	struct loc *l = loc_get(a, width, ev->kind);
	uint32_t i = load_choice(l, t, mo);
	const struct msg *m = read_msg(l, i, t, ev, mo, acquires(mo));
	if (ev->flags & RL_PROBE_F_STALE)
		ev->wval = l->n - 1 - i; /* the trace: newer stores not read */
	return m->val;
}

/* Where a store by @t may go: after its view, not between a store and the
 * RMW that read it. Newest first (choice 0 is the end). */
static uint32_t store_choice(struct loc *l, struct rl__det_thr *t, unsigned mo)
{
	/* seq_cst: after every seq_cst store before it in S (mo agrees with S). */
	uint32_t lo = view_of2(l, &t->C, mo == memory_order_seq_cst ? &W.S : NULL);
	uint32_t cand[MAX_CHOICES];
	bool more;
	uint32_t n = collect(l, lo, WRITE_AT, 0, cand, &more);
	return choose(cand, n, more);
}

void rl__weak_store(struct rl__det_thr *t, rl_probe_ev *ev, void *a, unsigned width, uint64_t v, unsigned mo)
{
	ev->flags |= RL_PROBE_F_WEAK;
	note_order(t, mo);
	struct loc *l = loc_get(a, width, ev->kind);
	write_msg(l, store_choice(l, t, mo), t, ev, v, mo, NULL, false);
}

uint64_t rl__weak_rmw(struct rl__det_thr *t, rl_probe_ev *ev, void *a, unsigned width, unsigned mo,
		      uint64_t (*f)(uint64_t old, const void *ctx), const void *ctx)
{
	ev->flags |= RL_PROBE_F_WEAK;
	note_order(t, mo);
	struct loc *l = loc_get(a, width, ev->kind);
	uint32_t cand[MAX_CHOICES];
	bool more;
	uint32_t n = collect(l, read_view(l, t, mo), READ_RMW, 0, cand, &more); /* n > 0: the latest is untaken */
	uint32_t i = choose(cand, n, more);
	const struct msg *m = read_msg(l, i, t, ev, mo, acquires(mo));
	uint64_t old = m->val;
	struct rl__vc rel = { 0 };
	rl__vc_copy(&rel, &m->rel); /* m moves when the new store goes in */
	write_msg(l, i + 1, t, ev, f(old, ctx), mo, &rel, true);
	rl__vc_free(&rel);
	return old;
}

bool rl__weak_cas(struct rl__det_thr *t, rl_probe_ev *ev, void *a, unsigned width, uint64_t *expected,
		  uint64_t desired, bool weak, unsigned success, unsigned failure)
{
	ev->flags |= RL_PROBE_F_WEAK;
	note_order(t, success);
	struct loc *l = loc_get(a, width, ev->kind);
	uint64_t want = width == 1 ? (*expected != 0) : *expected;
	/* Candidates: a store it can succeed on (in view, untaken, the expected
	 * value), or one it fails on (in view, another value). A store with the
	 * expected value that an RMW already read is no candidate: reading it,
	 * a strong CAS would succeed, which atomicity forbids. */
	uint32_t cand[MAX_CHOICES];
	bool more;
	uint32_t n = collect(l, read_view(l, t, success == memory_order_seq_cst ? success : failure), READ_CAS, want, cand, &more);
	uint32_t i = choose(cand, n, more);
	bool ok = l->mo[i].val == want && !(weak && rl__model_spurious());
	if (!ok) {
		ev->flags |= RL_PROBE_F_FAILED;
		*expected = read_msg(l, i, t, ev, failure, acquires(failure))->val;
		if (ev->flags & RL_PROBE_F_STALE)
			ev->wval = l->n - 1 - i;
		return false;
	}
	const struct msg *m = read_msg(l, i, t, ev, success, acquires(success));
	struct rl__vc rel = { 0 };
	rl__vc_copy(&rel, &m->rel);
	*expected = m->val;
	write_msg(l, i + 1, t, ev, desired, success, &rel, true);
	rl__vc_free(&rel);
	return true;
}

void rl__weak_fence(struct rl__det_thr *t, unsigned mo)
{
	if (mo != memory_order_seq_cst)
		return;
	/* The acquire part first (detect.c repeats it: a no-op then), so S gets
	 * what the fence acquires; then S's order: join it, publish into it. */
	rl__vc_join(&t->C, &t->facq);
	rl__vc_join(&t->C, &W.S);
	rl__vc_join(&W.S, &t->C);
}

void rl__weak_yield(struct rl__det_thr *t)
{
	rl__vc_set(&W.yields, t->tid, rl__vc_get(&W.yields, t->tid) + 1);
}

/* ---- reports ---- */

void rl__weak_explain(FILE *f)
{
	if (!W.nex)
		return;
	fprintf(f, "weak-memory reads (RC11: each load below read a store older than the latest):\n");
	for (unsigned k = 0; k < W.nex; k++) {
		const struct stale *s = &W.ex[k];
		char rs[96], ns[96], what[160];
		rl__site_text(s->rsite, s->rpc, rs, sizeof(rs));
		rl__site_text(s->newest_site, s->newest_pc, ns, sizeof(ns));
		if (s->init) {
			snprintf(what, sizeof(what), "the initial value %" PRIu64, s->val);
		} else {
			char at[96];
			rl__site_text(s->site, s->pc, at, sizeof(at));
			snprintf(what, sizeof(what), "%" PRIu64 " (thread '%s' stored it at %s)", s->val,
				 rl_probe_thread_name(s->writer), at);
		}
		fprintf(f, "  step %" PRIu64 ": thread '%s' loaded %s at %s and read %s, although thread '%s' had "
			   "stored %" PRIu64 " at step %" PRIu64 " (%s): nothing orders that store before the load%s\n",
			s->step, rl_probe_thread_name(s->reader), s->kind ? s->kind : "an atomic", rs, what,
			rl_probe_thread_name(s->newest_writer), s->newest_val, s->newest_step, ns,
			s->relaxed ? " (relaxed)" : "");
	}
	if (W.stale_reads > W.nex)
		fprintf(f, "  (%" PRIu64 " more)\n", W.stale_reads - W.nex);
}
