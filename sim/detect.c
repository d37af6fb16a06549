/* detect.c — racelab's happens-before race detector.
 *
 * Owns: vector clocks per thread and per sync object, the FastTrack state of
 * every plain (non-atomic) location the primitives touch, per-thread access
 * histories, race reports. Invariant: every function runs under the probe
 * layer's detector lock, and each event is processed atomically with the
 * memory operation it describes (sim/probe.c brackets both).
 *
 * The algorithm
 * -------------
 * Happens-before is tracked with vector clocks (Lamport; Mattern): thread t
 * keeps C_t, where C_t[u] is the last step of thread u that t has
 * synchronised with; C_t[t] is t's own epoch, bumped after every release it
 * performs. Sync objects keep the clock their last release published:
 *   - a mutex: unlock copies C_t into it, lock joins it into C_t;
 *   - an atomic location L keeps the clock of its release sequence, L.rel: a
 *     release store replaces it with C_t; a relaxed store replaces it with the
 *     clock of t's last release fence (or empties it); an RMW *joins* into it
 *     (an RMW continues the release sequence it reads from, C++20 [intro.races]);
 *     an acquire load joins L.rel into C_t; a relaxed load joins it into t's
 *     pending-acquire clock, which an acquire fence later joins into C_t. That
 *     is exactly how Arc's drop synchronises: fetch_sub(Release) on every
 *     owner, then fence(Acquire) on the last one ([atomics.fences]). A
 *     fence-blind detector (TSan) flags it; this one does not;
 *   - RCU: a publish is a release store to the cell, a dereference an acquire
 *     load of it; a reader's unlock joins C_t into the domain's clock and the
 *     end of a grace period joins the domain's clock into the writer's C_t
 *     (coarse, like liburcu's own TSan annotations: every reader section that
 *     ended before the grace period ended is ordered before what follows);
 *   - threads: the child starts with a copy of the parent's clock; join joins
 *     the child's final clock into the joiner's.
 * Atomics the probes report here execute under the detector lock, in one
 * total order, and read the latest store; SeqCst counts as AcqRel. In an
 * rl_model() schedule under RC11 the modelled atomics (model.h) are not
 * handled here: sim/weak.c decides which store each one reads and
 * synchronises with that store's release clock (RL_PROBE_F_WEAK).
 *
 * Plain locations use FastTrack (Flanagan & Freund, PLDI 2009): the last write
 * is an epoch c@t (thread t at its step c); the reads are an epoch as long as
 * they are totally ordered, and a read vector clock only once two unordered
 * reads exist ("read-shared"); the next write collapses it again. A write
 * races with an earlier access whose epoch c@u is not covered by the writer's
 * clock (c > C_t[u]); a read races only with the last write. Most checks are
 * O(1) epoch comparisons. The state of a location is 16 bytes, its address
 * included:
 *	word a: address >> 2 (46 bits) | W.tid (8) | R.tid (8) | R-shared (1) | 0
 *	word b: W.clock (32) | R.clock (32), or the read-VC pool index when shared
 * so locations are tracked at 4-byte granularity, threads are 8-bit ids (at
 * most RL_PROBE_MAX_THREADS per session) and clocks 32 bits.
 *
 * Reports name both accesses. The earlier one is found in its thread's history
 * ring (the last `history` plain accesses, with operation, site and object
 * kind), the way TSan restores the previous stack from its trace. A report is
 * made once per (location, unordered pair of call sites); later racy accesses
 * only bump its count.
 */
#include "detect.h"
#include "results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <racelab/hooks.h>
#include <racelab/status.h>


/* ---- FastTrack location table: 16 bytes per location ---- */

struct loc {
	uint64_t a; /* key << 18 | wtid << 10 | rtid << 2 | shared << 1 */
	uint64_t b; /* wclk << 32 | rclk-or-pool-index */
};
_Static_assert(sizeof(struct loc) == 16, "detector state per location must stay 16 bytes");

#define LOC_KEY(addr) ((uint64_t)(uintptr_t)(addr) >> 2)
#define LOC_KEY_MAX (UINT64_C(1) << 46)

static inline uint64_t loc_key(const struct loc *l) { return l->a >> 18; }
static inline unsigned loc_wtid(const struct loc *l) { return (unsigned)(l->a >> 10) & 0xff; }
static inline unsigned loc_rtid(const struct loc *l) { return (unsigned)(l->a >> 2) & 0xff; }
static inline bool loc_shared(const struct loc *l) { return (l->a >> 1) & 1; }
static inline uint32_t loc_wclk(const struct loc *l) { return (uint32_t)(l->b >> 32); }
static inline uint32_t loc_rclk(const struct loc *l) { return (uint32_t)l->b; }

static inline void loc_set_w(struct loc *l, unsigned tid, uint32_t clk)
{
	l->a = (l->a & ~(UINT64_C(0xff) << 10)) | ((uint64_t)tid << 10);
	l->b = (l->b & UINT64_C(0xffffffff)) | ((uint64_t)clk << 32);
}

static inline void loc_set_r(struct loc *l, unsigned tid, uint32_t clk_or_idx, bool shared)
{
	l->a = (l->a & ~(UINT64_C(0x1ff) << 1)) | ((uint64_t)tid << 2) | ((uint64_t)shared << 1);
	l->b = (l->b & ~UINT64_C(0xffffffff)) | clk_or_idx;
}

struct ltab {
	struct loc *e; /* a == 0: empty */
	uint32_t cap, n;
};

static inline uint32_t loc_home(uint64_t key, uint32_t cap)
{
	return (uint32_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & (cap - 1);
}

static void ltab_grow(struct ltab *t)
{
	uint32_t ncap = t->cap ? t->cap * 2 : 1024;
	struct loc *e = calloc(ncap, sizeof(*e));
	if (!e)
		RL_FATAL("out of memory in the race detector");
	for (uint32_t i = 0; i < t->cap; i++) {
		if (!t->e[i].a)
			continue;
		uint32_t j = loc_home(loc_key(&t->e[i]), ncap);
		while (e[j].a)
			j = (j + 1) & (ncap - 1);
		e[j] = t->e[i];
	}
	free(t->e);
	t->e = e;
	t->cap = ncap;
}

static struct loc *ltab_find(struct ltab *t, uint64_t key, bool insert)
{
	if (t->cap) {
		for (uint32_t i = loc_home(key, t->cap); t->e[i].a; i = (i + 1) & (t->cap - 1))
			if (loc_key(&t->e[i]) == key)
				return &t->e[i];
	}
	if (!insert)
		return NULL;
	if ((t->n + 1) * 2 > t->cap)
		ltab_grow(t);
	uint32_t i = loc_home(key, t->cap);
	while (t->e[i].a)
		i = (i + 1) & (t->cap - 1);
	t->e[i].a = key << 18;
	t->e[i].b = 0;
	t->n++;
	return &t->e[i];
}

static void ltab_del(struct ltab *t, struct loc *l)
{
	uint32_t mask = t->cap - 1, i = (uint32_t)(l - t->e);
	for (uint32_t j = i;;) {
		j = (j + 1) & mask;
		if (!t->e[j].a)
			break;
		uint32_t h = loc_home(loc_key(&t->e[j]), t->cap);
		bool stays = (i <= j) ? (i < h && h <= j) : (i < h || h <= j);
		if (!stays) {
			t->e[i] = t->e[j];
			i = j;
		}
	}
	t->e[i].a = t->e[i].b = 0;
	t->n--;
}

/* ---- per-thread history of plain accesses ---- */

struct rl__hist {
	uint64_t key;     /* LOC_KEY */
	uint32_t clk;     /* the thread's epoch at the access */
	uint32_t write;
	const char *name; /* operation */
	const char *site;
	const char *kind;
	const void *pc;
};

/* ---- the detector ---- */

#define DD_FIRST_MAX (1u << 20) /* then new fast keys take the slow path */

struct rl__det {
	struct ltab locs;
	struct rl__vc *rpool; /* read vector clocks of read-shared locations */
	uint32_t rpool_n, rpool_cap;
	uint32_t *rfree;      /* free pool indices */
	uint32_t rfree_n, rfree_cap;
	struct rl__amap sync; /* address -> struct rl__vc * (release clocks) */
	struct rl__amap dedup; /* hash(location, site pair) -> report index + 1 */
	struct rl__amap dd_first; /* fast key -> the report its first occurrence joined, index + 1 */
	struct rl__det_thr *thr[RL_PROBE_MAX_THREADS];
	unsigned history;
	uint64_t race_events;
	/* Clocks of freed sync objects, for the next new ones; never returned
	 * to malloc before rl__det_free(): the probe layer's lock-free mutex
	 * path may still hold a pointer to one (see rl__det_sync_clock()). */
	struct rl__vc **grave;
	size_t ngrave, capgrave;
	/* Bumped (under the detector lock) whenever a sync object is forgotten. */
	_Atomic uint64_t sync_gen;
};

struct rl__det *rl__det_new(unsigned history)
{
	struct rl__det *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	/* A power of two: the ring index is a mask, not a division. */
	unsigned h = 16;
	while (h < (history ? history : 4096) && h < (1u << 24))
		h *= 2;
	d->history = h;
	return d;
}

static void rpool_release(struct rl__det *d, uint32_t idx)
{
	if (d->rfree_n == d->rfree_cap) {
		uint32_t ncap = d->rfree_cap ? d->rfree_cap * 2 : 16;
		uint32_t *f = realloc(d->rfree, ncap * sizeof(*f));
		if (!f)
			RL_FATAL("out of memory in the race detector");
		d->rfree = f;
		d->rfree_cap = ncap;
	}
	rl__vc_clear(&d->rpool[idx]);
	d->rfree[d->rfree_n++] = idx;
}

static uint32_t rpool_take(struct rl__det *d)
{
	if (d->rfree_n)
		return d->rfree[--d->rfree_n];
	if (d->rpool_n == d->rpool_cap) {
		uint32_t ncap = d->rpool_cap ? d->rpool_cap * 2 : 16;
		struct rl__vc *p = realloc(d->rpool, ncap * sizeof(*p));
		if (!p)
			RL_FATAL("out of memory in the race detector");
		memset(p + d->rpool_cap, 0, (ncap - d->rpool_cap) * sizeof(*p));
		d->rpool = p;
		d->rpool_cap = ncap;
	}
	return d->rpool_n++;
}

void rl__det_free(struct rl__det *d)
{
	if (!d)
		return;
	free(d->locs.e);
	for (uint32_t i = 0; i < d->rpool_n; i++)
		rl__vc_free(&d->rpool[i]);
	free(d->rpool);
	free(d->rfree);
	for (uint32_t i = 0; i < d->sync.cap; i++) {
		if (d->sync.keys[i]) {
			struct rl__vc *v = (struct rl__vc *)(uintptr_t)d->sync.vals[i];
			rl__vc_free(v);
			free(v);
		}
	}
	rl__amap_free(&d->sync);
	rl__amap_free(&d->dedup);
	rl__amap_free(&d->dd_first);
	for (size_t i = 0; i < d->ngrave; i++) {
		rl__vc_free(d->grave[i]);
		free(d->grave[i]);
	}
	free(d->grave);
	free(d);
}

uint64_t rl__det_locations(const struct rl__det *d) { return d->locs.n; }
uint64_t rl__det_race_events(const struct rl__det *d) { return d->race_events; }

static inline void tick(struct rl__det_thr *t)
{
	uint32_t c = t->C.c[t->tid] + 1;
	if (c == 0)
		RL_FATAL("race detector clock overflow on thread '%s'", t->name);
	t->C.c[t->tid] = c;
}

int rl__det_thread_init(struct rl__det *d, struct rl__det_thr *t, unsigned tid, const char *name,
			struct rl__det_thr *parent)
{
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->name = name;
	if (parent) {
		rl__vc_copy(&t->C, &parent->C);
		tick(parent);
	}
	rl__vc_set(&t->C, tid, 1);
	d->thr[tid] = t;
	return RL_OK;
}

void rl__det_thread_fini(struct rl__det_thr *t)
{
	rl__vc_free(&t->C);
	rl__vc_free(&t->frel);
	rl__vc_free(&t->facq);
	free(t->hist);
	t->hist = NULL;
}

void rl__det_join(struct rl__det *d, struct rl__det_thr *joiner, struct rl__det_thr *child)
{
	(void)d;
	rl__vc_join(&joiner->C, &child->C);
}

/* ---- history ---- */

static void hist_add(struct rl__det *d, struct rl__det_thr *t, uint64_t key, uint32_t clk, bool write,
		     const rl_probe_ev *ev, const char *site)
{
	if (!t->hist) {
		t->hist = malloc(d->history * sizeof(*t->hist));
		if (!t->hist)
			RL_FATAL("out of memory in the race detector");
	}
	struct rl__hist *h = &t->hist[t->hist_head];
	h->key = key;
	h->clk = clk;
	h->write = write;
	h->name = ev->name;
	h->site = site;
	h->kind = ev->kind;
	h->pc = ev->pc;
	t->hist_head = (t->hist_head + 1) & (d->history - 1);
	if (t->hist_n < d->history)
		t->hist_n++;
}

static const struct rl__hist *hist_find(const struct rl__det *d, const struct rl__det_thr *t, uint64_t key,
					uint32_t clk, bool write)
{
	for (uint32_t k = 1; k <= t->hist_n; k++) {
		const struct rl__hist *h = &t->hist[(t->hist_head - k) & (d->history - 1)];
		if (h->key == key && h->clk == clk && (bool)h->write == write)
			return h;
	}
	return NULL;
}

/* ---- reports ---- */

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

static uintptr_t site_id(const char *site, const void *pc, const char *name)
{
	return site ? (uintptr_t)site : pc ? (uintptr_t)pc : (uintptr_t)name;
}

/*
 * A race between @t's current access (@ev, @cur_write) and thread @ptid's
 * earlier access at clock @pclk (@prev_write).
 */
static void race(struct rl__det *d, struct rl__det_thr *t, const rl_probe_ev *ev, const char *site,
		 bool cur_write, unsigned ptid, uint32_t pclk, bool prev_write)
{
	uint64_t key = LOC_KEY(ev->addr);
	uintptr_t csid = site_id(site, ev->pc, ev->name);
	d->race_events++;

	/* Fast path for the same race repeating in a loop. */
	uint64_t fk = mix64(key ^ mix64(csid ^ mix64(((uint64_t)ptid << 34) ^ ((uint64_t)pclk << 2) ^
						   ((uint64_t)prev_write << 1) ^ cur_write)));
	fk |= 1;
	/* A repeat joins the report its first occurrence joined, whatever else
	 * happened since (a direct-mapped cache here made that depend on addresses). */
	uint64_t *first = rl__amap_get(&d->dd_first, fk, d->dd_first.n < DD_FIRST_MAX);
	if (first && *first) {
		rl__report_bump(*first - 1);
		return;
	}

	const struct rl__det_thr *pt = ptid < RL_PROBE_MAX_THREADS ? d->thr[ptid] : NULL;
	const struct rl__hist *h = pt && pt->hist ? hist_find(d, pt, key, pclk, prev_write) : NULL;
	uintptr_t psid = h ? site_id(h->site, h->pc, h->name) : 0;
	uintptr_t lo = csid < psid ? csid : psid, hi = csid < psid ? psid : csid;
	uint64_t dk = mix64(key ^ mix64(lo ^ mix64(hi))) | 1;
	uint64_t *dv = rl__amap_get(&d->dedup, dk, true);
	if (!dv)
		RL_FATAL("out of memory in the race detector");
	if (*dv) {
		rl__report_bump(*dv - 1);
		if (first)
			*first = *dv;
		return;
	}

	rl_probe_report r;
	rl__det_word_race(&r, &(struct rl__race){ .ev = ev,
						  .site = site,
						  .cur = t,
						  .cur_write = cur_write,
						  .prev = pt,
						  .ptid = ptid,
						  .pclk = pclk,
						  .prev_write = prev_write,
						  .prev_name = h ? h->name : NULL,
						  .prev_site = h ? h->site : NULL,
						  .prev_pc = h ? h->pc : NULL,
						  .prev_kind = h ? h->kind : NULL,
						  .prev_known = h != NULL,
						  .history = d->history });
	size_t idx = rl__report_add(&r);
	*dv = idx + 1;
	if (first)
		*first = idx + 1;
}

/* ---- plain accesses: FastTrack ---- */

static struct loc *loc_for(struct rl__det *d, const void *addr)
{
	uint64_t key = LOC_KEY(addr);
	if (!key || key >= LOC_KEY_MAX)
		RL_FATAL("address %p outside the detector's 48-bit range", addr);
	return ltab_find(&d->locs, key, true);
}

static void ft_read(struct rl__det *d, struct rl__det_thr *t, const rl_probe_ev *ev, const char *site)
{
	struct loc *l = loc_for(d, ev->addr);
	uint32_t now = t->C.c[t->tid];
	uint64_t key = LOC_KEY(ev->addr);
	hist_add(d, t, key, now, false, ev, site);

	bool shared = loc_shared(l);
	if (!shared && loc_rtid(l) == t->tid && loc_rclk(l) == now)
		return; /* same epoch */
	if (shared && rl__vc_get(&d->rpool[loc_rclk(l)], t->tid) == now)
		return;

	unsigned wt = loc_wtid(l);
	uint32_t wc = loc_wclk(l);
	if (wc > rl__vc_get(&t->C, wt)) {
		race(d, t, ev, site, false, wt, wc, true); /* leaves the table alone: l stays valid */
	}
	if (shared) {
		rl__vc_set(&d->rpool[loc_rclk(l)], t->tid, now);
		return;
	}
	unsigned rt = loc_rtid(l);
	uint32_t rc = loc_rclk(l);
	if (rc == 0 || rt == t->tid || rc <= rl__vc_get(&t->C, rt)) {
		loc_set_r(l, t->tid, now, false); /* read exclusive */
		return;
	}
	/* Two unordered reads: switch to a read vector clock. */
	uint32_t idx = rpool_take(d);
	rl__vc_set(&d->rpool[idx], rt, rc);
	rl__vc_set(&d->rpool[idx], t->tid, now);
	loc_set_r(l, 0, idx, true);
}

/* Check a write (or free) against the location's state; @update: record it as the last write. */
static void ft_write_check(struct rl__det *d, struct rl__det_thr *t, const rl_probe_ev *ev, const char *site,
			   struct loc *l, bool update)
{
	uint32_t now = t->C.c[t->tid];
	unsigned wt = loc_wtid(l);
	uint32_t wc = loc_wclk(l);
	if (update && wt == t->tid && wc == now)
		return; /* same epoch */
	if (wc > rl__vc_get(&t->C, wt))
		race(d, t, ev, site, true, wt, wc, true);
	if (loc_shared(l)) {
		struct rl__vc *rv = &d->rpool[loc_rclk(l)];
		for (uint32_t u = 0; u < rv->n; u++)
			if (rv->c[u] > rl__vc_get(&t->C, u))
				race(d, t, ev, site, true, u, rv->c[u], false);
		if (update) {
			rpool_release(d, loc_rclk(l));
			loc_set_r(l, 0, 0, false);
		}
	} else {
		unsigned rt = loc_rtid(l);
		uint32_t rc = loc_rclk(l);
		if (rc > rl__vc_get(&t->C, rt))
			race(d, t, ev, site, true, rt, rc, false);
	}
	if (update)
		loc_set_w(l, t->tid, now);
}

static void ft_write(struct rl__det *d, struct rl__det_thr *t, const rl_probe_ev *ev, const char *site)
{
	struct loc *l = loc_for(d, ev->addr);
	hist_add(d, t, LOC_KEY(ev->addr), t->C.c[t->tid], true, ev, site);
	ft_write_check(d, t, ev, site, l, true);
}

/* Append @a to @found (which starts as the caller's @small array), growing it
 * on the heap by doubling. Return: the array, possibly moved. */
static uintptr_t *push_addr(uintptr_t *found, uintptr_t *small, size_t *n, size_t *cap, uintptr_t a)
{
	if (*n == *cap) {
		uintptr_t *grown = malloc(2 * *cap * sizeof(*grown));
		if (!grown)
			RL_FATAL("out of memory in the race detector");
		memcpy(grown, found, *n * sizeof(*grown));
		if (found != small)
			free(found);
		found = grown;
		*cap *= 2;
	}
	found[(*n)++] = a;
	return found;
}

static int cmp_uptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return (x > y) - (x < y);
}

/* A forgotten sync object's clock: kept for reuse (sync_vc()), and sync_gen
 * bumped so that the probe layer's cached pointers to it are dropped. */
static void bury(struct rl__det *d, struct rl__vc *v)
{
	if (d->ngrave == d->capgrave) {
		size_t ncap = d->capgrave ? d->capgrave * 2 : 16;
		struct rl__vc **g = realloc(d->grave, ncap * sizeof(*g));
		if (!g)
			RL_FATAL("out of memory in the race detector");
		d->grave = g;
		d->capgrave = ncap;
	}
	d->grave[d->ngrave++] = v;
	/* Relaxed: whoever may legitimately use a new object at this address
	 * learns of it through an edge that follows this free; coherence then
	 * shows it this value. */
	atomic_store_explicit(&d->sync_gen, atomic_load_explicit(&d->sync_gen, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

/* Forget every location and sync object in [addr, addr + size); @check: first
 * check each plain location as a write by @t (a free). Keys in the range are
 * collected first, then removed, so deletion's entry shifting cannot hide one. */
static void forget_range(struct rl__det *d, struct rl__det_thr *t, const rl_probe_ev *ev, const char *site,
			 bool check)
{
	uintptr_t lo = (uintptr_t)ev->addr & ~(uintptr_t)3, hi = (uintptr_t)ev->addr + (uintptr_t)ev->wval;
	if (hi <= lo)
		hi = lo + 4;
	uint64_t words = (hi - lo + 3) / 4;
	uintptr_t small[64], *found = small;
	size_t nfound = 0, capfound = 64;

	/* Plain locations. */
	if (d->locs.n && words > d->locs.cap) {
		for (uint32_t i = 0; i < d->locs.cap; i++) {
			uintptr_t a = (uintptr_t)(loc_key(&d->locs.e[i]) << 2);
			if (!d->locs.e[i].a || a < lo || a >= hi)
				continue;
			found = push_addr(found, small, &nfound, &capfound, a);
		}
	}
	/* In address order, so reports come out in the same order on every run. */
	qsort(found, nfound, sizeof(*found), cmp_uptr);
	if (d->locs.n) {
		size_t n = words > d->locs.cap ? nfound : words;
		for (size_t k = 0; k < n; k++) {
			uintptr_t a = words > d->locs.cap ? found[k] : lo + 4 * k;
			struct loc *l = ltab_find(&d->locs, LOC_KEY(a), false);
			if (!l)
				continue;
			if (check) {
				rl_probe_ev fe = *ev;
				fe.addr = (const void *)a;
				ft_write_check(d, t, &fe, site, l, false);
			}
			if (loc_shared(l))
				rpool_release(d, loc_rclk(l));
			ltab_del(&d->locs, l);
		}
	}

	/* Sync objects. */
	nfound = 0;
	if (d->sync.n && words > d->sync.cap) {
		for (uint32_t i = 0; i < d->sync.cap; i++) {
			uintptr_t a = d->sync.keys[i];
			if (!a || a < lo || a >= hi)
				continue;
			found = push_addr(found, small, &nfound, &capfound, a);
		}
	}
	if (d->sync.n) {
		size_t n = words > d->sync.cap ? nfound : words;
		for (size_t k = 0; k < n; k++) {
			uintptr_t a = words > d->sync.cap ? found[k] : lo + 4 * k;
			uint64_t val;
			if (rl__amap_del(&d->sync, a, &val))
				bury(d, (struct rl__vc *)(uintptr_t)val);
		}
	}
	if (found != small)
		free(found);
}

/* ---- sync objects ---- */

static struct rl__vc *sync_vc(struct rl__det *d, const void *addr, bool create)
{
	uint64_t *v = rl__amap_get(&d->sync, (uintptr_t)addr, create);
	if (!v) {
		if (create)
			RL_FATAL("out of memory in the race detector");
		return NULL;
	}
	if (!*v) {
		struct rl__vc *vc;
		if (d->ngrave) {
			/* No cached pointer to it is valid any more: sync_gen
			 * moved when it was buried. */
			vc = d->grave[--d->ngrave];
			rl__vc_clear(vc);
		} else if (!(vc = calloc(1, sizeof(*vc)))) {
			RL_FATAL("out of memory in the race detector");
		}
		*v = (uint64_t)(uintptr_t)vc;
	}
	return (struct rl__vc *)(uintptr_t)*v;
}

static inline bool is_acq(unsigned mo)
{
	return mo == memory_order_consume || mo == memory_order_acquire || mo == memory_order_acq_rel ||
	       mo == memory_order_seq_cst;
}

static void at_load(struct rl__det *d, struct rl__det_thr *t, const void *addr, unsigned mo)
{
	struct rl__vc *rel = sync_vc(d, addr, false);
	if (!rel)
		return;
	rl__vc_join(is_acq(mo) ? &t->C : &t->facq, rel);
}

static void at_store(struct rl__det *d, struct rl__det_thr *t, const void *addr, unsigned mo)
{
	if (rl__probe_releases(mo)) {
		rl__vc_copy(sync_vc(d, addr, true), &t->C);
		tick(t);
		return;
	}
	/* A relaxed store ends the location's release sequence: only a preceding
	 * release fence of this thread is published with it. */
	struct rl__vc *rel = sync_vc(d, addr, t->has_frel);
	if (!rel)
		return;
	if (t->has_frel)
		rl__vc_copy(rel, &t->frel);
	else
		rl__vc_clear(rel);
}

static void at_rmw(struct rl__det *d, struct rl__det_thr *t, const void *addr, unsigned mo)
{
	/* The read side first (it may read the release sequence this RMW then
	 * continues); one lookup serves both sides. */
	bool writes_clock = rl__probe_releases(mo) || t->has_frel;
	struct rl__vc *rel = sync_vc(d, addr, writes_clock);
	if (rel)
		rl__vc_join(is_acq(mo) ? &t->C : &t->facq, rel);
	if (rl__probe_releases(mo)) {
		rl__vc_join(rel, &t->C);
		tick(t);
	} else if (t->has_frel) {
		rl__vc_join(rel, &t->frel);
	}
}

static void at_fence(struct rl__det_thr *t, unsigned mo)
{
	if (is_acq(mo))
		rl__vc_join(&t->C, &t->facq);
	if (rl__probe_releases(mo)) {
		rl__vc_copy(&t->frel, &t->C);
		t->has_frel = true;
		tick(t);
	}
}

static void release_replace(struct rl__det *d, struct rl__det_thr *t, const void *addr)
{
	rl__vc_copy(sync_vc(d, addr, true), &t->C);
	tick(t);
}

static void release_join(struct rl__det *d, struct rl__det_thr *t, const void *addr)
{
	rl__vc_join(sync_vc(d, addr, true), &t->C);
	tick(t);
}

static void acquire(struct rl__det *d, struct rl__det_thr *t, const void *addr)
{
	struct rl__vc *v = sync_vc(d, addr, false);
	if (v)
		rl__vc_join(&t->C, v);
}

void rl__det_tick(struct rl__det_thr *t) { tick(t); }

void rl__det_event(struct rl__det *d, struct rl__det_thr *t, const rl_probe_ev *ev, const char *site)
{
	/* rl_model()'s memory model synchronised this atomic (sim/weak.c). */
	if (ev->flags & RL_PROBE_F_WEAK)
		return;
	switch (ev->op) {
	case RL_PROBE_READ:
		ft_read(d, t, ev, site);
		break;
	case RL_PROBE_WRITE:
		ft_write(d, t, ev, site);
		break;
	case RL_PROBE_LOAD:
		at_load(d, t, ev->addr, ev->order);
		break;
	case RL_PROBE_STORE:
		at_store(d, t, ev->addr, ev->order);
		break;
	case RL_PROBE_RMW:
		if (ev->flags & RL_PROBE_F_FAILED)
			at_load(d, t, ev->addr, ev->order);
		else
			at_rmw(d, t, ev->addr, ev->order);
		break;
	case RL_PROBE_FENCE:
		at_fence(t, ev->order);
		break;
	case RL_PROBE_LOCK:
		acquire(d, t, ev->addr);
		break;
	case RL_PROBE_TRYLOCK:
		if (!(ev->flags & RL_PROBE_F_FAILED))
			acquire(d, t, ev->addr);
		break;
	case RL_PROBE_UNLOCK:
		release_replace(d, t, ev->addr);
		break;
	case RL_PROBE_RCU_PUBLISH:
		if (ev->flags & RL_PROBE_F_RMW)
			at_rmw(d, t, ev->addr, memory_order_acq_rel);
		else
			at_store(d, t, ev->addr, memory_order_release);
		break;
	case RL_PROBE_RCU_DEREF:
		at_load(d, t, ev->addr, memory_order_acquire);
		break;
	case RL_PROBE_RCU_READ_UNLOCK:
		release_join(d, t, ev->addr);
		break;
	case RL_PROBE_RCU_SYNC:
	case RL_PROBE_WAIT:
		acquire(d, t, ev->addr);
		break;
	case RL_PROBE_NOTIFY:
		release_join(d, t, ev->addr);
		break;
	case RL_PROBE_ALLOC:
		forget_range(d, t, ev, site, false);
		break;
	case RL_PROBE_FREE:
		forget_range(d, t, ev, site, true);
		break;
	default:
		break;
	}
}

/* ---- the probe layer's lock-free paths ---- */

struct rl__vc *rl__det_sync_clock(struct rl__det *d, const void *addr, bool create)
{
	return sync_vc(d, addr, create);
}

const _Atomic uint64_t *rl__det_sync_gen(const struct rl__det *d)
{
	return &d->sync_gen;
}

void rl__det_acquire_clock(struct rl__det_thr *t, const struct rl__vc *v)
{
	rl__vc_join(&t->C, v);
}

void rl__det_release_clock(struct rl__det_thr *t, struct rl__vc *v)
{
	rl__vc_copy(v, &t->C);
	tick(t);
}
