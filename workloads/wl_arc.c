/* wl_arc.c — the Arc workloads: arc-clone, arc-cell, arc-atomic.
 *
 * Each worker owns an Arc handle moved into it (cloned on the main thread,
 * as `let a = arc.clone(); thread::spawn(move || ...)` does) and drops it at
 * the end. arc-cell is racy on purpose: the Cell inside the Arc is !Sync, its
 * increments are plain loads and stores, and increments are lost.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include <racelab/arc.h>
#include <racelab/cell.h>
#include <racelab/status.h>
#include <racelab/workload.h>

#include "wl.h"

struct arc_ctx {
	rl_arc **mine;
	uint64_t iters;
	uint64_t *done;
};

static int arc_ctx_init(struct arc_ctx *c, rl_arc *a, unsigned n, uint64_t iters, struct rl_workload_result *r)
{
	*c = (struct arc_ctx){.iters = iters};
	return rl__wl_arc_team_new(a, n, &c->mine, (uint64_t **[]){&c->done}, 1, r);
}

static void arc_ctx_fini(struct arc_ctx *c, unsigned n, bool workers_ran)
{
	rl__wl_arc_team_free(c->mine, n, workers_ran, (uint64_t **[]){&c->done}, 1);
}

static uint64_t total(const struct arc_ctx *c, unsigned n)
{
	uint64_t t = 0;
	for (unsigned i = 0; i < n; i++)
		t += c->done[i];
	return t;
}

/* ---- arc-clone ----------------------------------------------------------- */

static void counted_drop(void *value)
{
	atomic_llong *drops = *(atomic_llong **)value;
	/* Relaxed: read after the joins. */
	atomic_fetch_add_explicit(drops, 1, memory_order_relaxed);
}

static void clone_body(void *arg, unsigned i)
{
	struct arc_ctx *c = arg;
	rl_arc *mine = c->mine[i];
	uint64_t n = 0;
	rl_probe_site_set(RL_WL_SITE("worker: drop(mine.clone())"));
	for (; n < c->iters && !rl_workload_stopping(); n++)
		rl_arc_drop(rl_arc_clone(mine));
	c->done[i] = n;
	rl_probe_site_set(RL_WL_SITE("worker: drop(mine)"));
	rl_arc_drop(mine);
	rl_probe_site_set(NULL);
}

int rl__wl_arc_clone(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	unsigned n = (unsigned)p->threads;
	atomic_llong drops = 0;
	rl_arc *a = rl_arc_new(sizeof(atomic_llong *), counted_drop);
	if (a)
		*(atomic_llong **)rl_arc_get(a) = &drops;
	struct arc_ctx c;
	int err = arc_ctx_init(&c, a, n, p->iters, r);
	if (err)
		return err;
	err = rl__wl_team_run(n, p->stack, clone_body, &c, r);
	uint64_t ops = total(&c, n);
	arc_ctx_fini(&c, n, err == RL_OK);
	size_t strong = rl_arc_strong_count(a);
	/* Relaxed: the joins ordered the workers' drops before this load. */
	long long early = atomic_load_explicit(&drops, memory_order_relaxed);
	rl__wl_counts(r, "references", 1, early ? 0 : (int64_t)strong);
	rl_arc_drop(a);
	long long d = atomic_load_explicit(&drops, memory_order_relaxed);
	r->invariant_held = r->invariant_held && d == 1;
	rl__wl_measure(r, "updates", "count updates by workers", (double)(2 * ops + n), "");
	rl__wl_measure(r, "strong_after_join", "strong count after join", (double)strong, "");
	rl__wl_measure(r, "drops", "value drops", (double)d, "");
	rl__wl_note(r, "%llu atomic count updates on %u threads; the count came back to %zu", (unsigned long long)(2 * ops + n),
		    n, strong);
	rl__wl_note(r, "the value was dropped %lld time%s, when main dropped the last reference", d, d == 1 ? "" : "s");
	return err;
}

/* ---- arc-cell ------------------------------------------------------------ */

static void cell_body(void *arg, unsigned i)
{
	struct arc_ctx *c = arg;
	rl_arc *mine = c->mine[i];
	rl_cell *cell = rl_arc_get(mine);
	uint64_t n = 0;
	rl_probe_site_set(RL_WL_SITE("worker: cell.set(cell.get() + 1)"));
	for (; n < c->iters && !rl_workload_stopping(); n++)
		rl_cell_add(cell, 1); /* the Sync violation: a shared, non-atomic update */
	c->done[i] = n;
	rl_probe_site_set(RL_WL_SITE("worker: drop(mine)"));
	rl_arc_drop(mine);
	rl_probe_site_set(NULL);
}

int rl__wl_arc_cell(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	unsigned n = (unsigned)p->threads;
	rl_arc *a = rl_arc_new(sizeof(rl_cell), NULL);
	if (a)
		rl_cell_init(rl_arc_get(a), 0); /* owned by main, like Arc::new(Cell::new(0)) */
	struct arc_ctx c;
	int err = arc_ctx_init(&c, a, n, p->iters, r);
	if (err)
		return err;
	err = rl__wl_team_run(n, p->stack, cell_body, &c, r);
	uint64_t ops = total(&c, n);
	arc_ctx_fini(&c, n, err == RL_OK);
	rl_probe_site_set(RL_WL_SITE("main: cell.get() after the joins"));
	int64_t value = rl_cell_get(rl_arc_get(a));
	rl_probe_site_set(NULL);
	rl_arc_drop(a);
	rl__wl_counts(r, "increments", (int64_t)ops, value);
	double pct = ops ? 100.0 * (double)r->lost / (double)ops : 0;
	rl__wl_measure(r, "lost_percent", "increments lost", pct, "%");
	if (r->lost > 0)
		rl__wl_note(r, "%lld of %llu increments were lost (%.1f%%): threads overwrote each other's stores",
			    (long long)r->lost, (unsigned long long)ops, pct);
	else if (r->lost < 0)
		rl__wl_note(r, "the cell ended %lld above the increments made: a torn or stale store", (long long)-r->lost);
	else
		rl__wl_note(r, "no increment was lost this time; the race is still there (the owner check and TSan see it)");
	return err;
}

/* ---- arc-atomic ---------------------------------------------------------- */

static void atomic_body(void *arg, unsigned i)
{
	struct arc_ctx *c = arg;
	rl_arc *mine = c->mine[i];
	_Atomic int64_t *v = rl_arc_get(mine);
	uint64_t n = 0;
	for (; n < c->iters && !rl_workload_stopping(); n++)
		/* Relaxed: only the count matters; the joins publish it to main. */
		rl__wl_fetch_add(v, 1, memory_order_relaxed, "AtomicI64", "atomic_body",
				 RL_WL_SITE("counter.fetch_add(1, Relaxed)"));
	c->done[i] = n;
	rl_arc_drop(mine);
}

int rl__wl_arc_atomic(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	unsigned n = (unsigned)p->threads;
	rl_arc *a = rl_arc_new(sizeof(_Atomic int64_t), NULL);
	if (a)
		atomic_init((_Atomic int64_t *)rl_arc_get(a), 0);
	struct arc_ctx c;
	int err = arc_ctx_init(&c, a, n, p->iters, r);
	if (err)
		return err;
	double t0 = rl__wl_now();
	err = rl__wl_team_run(n, p->stack, atomic_body, &c, r);
	double secs = rl__wl_now() - t0;
	uint64_t ops = total(&c, n);
	arc_ctx_fini(&c, n, err == RL_OK);
	/* Relaxed: the joins ordered every increment before this load. */
	long long value = atomic_load_explicit((_Atomic int64_t *)rl_arc_get(a), memory_order_relaxed);
	rl_arc_drop(a);
	rl__wl_counts(r, "increments", (int64_t)ops, value);
	rl__wl_measure(r, "ns_per_op", "time per increment (all threads)", ops ? secs * 1e9 / (double)ops : 0, "ns/op");
	rl__wl_note(r, "%llu fetch_add on %u threads, none lost (%.1f ns per increment, spawn included)",
		    (unsigned long long)ops, n, ops ? secs * 1e9 / (double)ops : 0);
	return err;
}
