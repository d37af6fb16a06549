/* bench_probe.c — what racelab's probes cost (issue: simulation).
 *
 *   arc-clone-drop-no-probe  Arc clone+drop with the fast path built without the
 *                            rl__probe_active test (RL_NO_PROBES, this translation
 *                            unit only): the probe-free baseline of
 *                            arc-clone-drop, measured beside it (pair), so the
 *                            ratio is the cost of the branch when no probe is on
 *                            (target: within 5 %).
 *   sched-point-random/-pct  racelab's deterministic scheduler: two threads
 *                            hand the baton to each other at every probed
 *                            operation (random: a switch about every other
 *                            point; PCT: almost never). ns/op is ns per
 *                            scheduling point (target: >= 200,000 points/s).
 *
 * The detector's slowdown on whole workloads, beside ThreadSanitizer's, is
 * measured by bench/sim_slowdown.sh (two builds).
 */
#define RL_NO_PROBES 1 /* before arc.h: clone and drop inline without the probe test */

#include <stdatomic.h>
#include <stdlib.h>

#include <racelab/arc.h>
#include <racelab/probe.h>
#include <racelab/status.h>
#include <racelab/thread.h>

#include "bench_defs.h"
#include "harness.h"

/* ---- Arc clone+drop without the probe branch ------------------------------ */

static int arc_init(void *shared, unsigned idx, void **local)
{
	(void)shared;
	(void)idx;
	rl_arc *a = rl_arc_new(sizeof(uint64_t), NULL);
	if (!a)
		return RL_ENOMEM;
	*local = a;
	return RL_OK;
}

static void arc_fini(void *shared, void *local, unsigned idx)
{
	(void)shared;
	(void)idx;
	rl_arc_drop(local);
}

/* The loop of arc-clone-drop (bench_sync.c), compiled without the probe test. */
static int run_arc(void *shared, void *local, unsigned idx, uint64_t iters)
{
	(void)shared;
	(void)idx;
	rl_arc *a = local;
	for (uint64_t i = 0; i < iters; i++) {
		rl_arc *c = rl_arc_clone(a);
		rl_bench_escape(c);
		rl_arc_drop(c);
	}
	return RL_OK;
}

const struct rl_bench rl_bench_arc_clone_drop_no_probe = {
	.name = "arc-clone-drop-no-probe",
	.series = "Arc clone+drop, no probe test",
	.what = "arc-clone-drop built without the rl__probe_active branch (the probe-free baseline)",
	.thread_init = arc_init, .run = run_arc, .thread_fini = arc_fini,
	.pair = "arc-clone-drop",
};

/* ---- scheduler throughput --------------------------------------------------- */

struct spin {
	_Atomic uint64_t word;
	uint64_t n;
};

/* @n probed relaxed loads of one word: each enter is a scheduling point. */
static void loads(struct spin *s, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		rl_probe_ev ev = {.op = RL_PROBE_LOAD, .order = memory_order_relaxed, .addr = &s->word,
				  .kind = "AtomicU64", .name = "load"};
		rl__probe_enter(&ev);
		ev.rval = atomic_load_explicit(&s->word, memory_order_relaxed);
		rl__probe_exit(&ev);
	}
}

static void *partner(void *arg)
{
	struct spin *s = arg;
	loads(s, s->n);
	return NULL;
}

/* One session: this thread and one rl thread make @iters points between them. */
static int run_sched(uint64_t iters, rl_probe_schedule kind)
{
	struct spin s = {.n = iters / 2};
	rl_probe_config cfg = {.schedule = kind, .seed = 42, .pct_steps = iters, .main_name = "bench"};
	int rc = rl_probe_attach(&cfg);
	if (rc)
		return rc;
	rl_thread *t;
	rl_thread_opts o = {.name = "partner", .stack_size = 64 << 10};
	rc = rl_thread_spawn(&t, partner, &s, &o);
	if (rc == RL_OK) {
		loads(&s, iters - s.n);
		rl_thread_join(t, NULL);
	}
	int drc = rl_probe_detach();
	rl_probe_reset();
	return rc ? rc : drc;
}

static int run_sched_random(void *shared, void *local, unsigned idx, uint64_t iters)
{
	(void)shared;
	(void)local;
	(void)idx;
	return run_sched(iters, RL_SCHEDULE_RANDOM);
}

static int run_sched_pct(void *shared, void *local, unsigned idx, uint64_t iters)
{
	(void)shared;
	(void)local;
	(void)idx;
	return run_sched(iters, RL_SCHEDULE_PCT);
}

const struct rl_bench rl_bench_sched_point_random = {
	.name = "sched-point-random",
	.series = "scheduling point, random",
	.what = "racelab's scheduler, random strategy, 2 threads: ns per scheduling point",
	.run = run_sched_random,
};

const struct rl_bench rl_bench_sched_point_pct = {
	.name = "sched-point-pct",
	.series = "scheduling point, PCT",
	.what = "racelab's scheduler, PCT (depth 3), 2 threads: ns per scheduling point",
	.run = run_sched_pct,
};
