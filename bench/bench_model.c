/* bench_model.c — what the model checker costs (issue 14).
 *
 *   model-native-90      the body of the 90-schedule model (three rl threads,
 *                        two relaxed fetch_adds each, spawned and joined by a
 *                        "main" rl thread with an 8 MiB stack) run natively:
 *                        ns per run, the reference.
 *   model-dfs-90         the same body under rl_model() DFS: ns per schedule
 *                        (one whole exploration is 90 schedules), measured
 *                        beside model-native-90 (pair): the ratio is the
 *                        schedule/native ratio (target <= 1.0).
 *   model-iriw-sc        the IRIW litmus test (two writers, two readers, relaxed)
 *                        explored completely by rl_model() DFS under
 *                        sequential consistency: ns per whole exploration.
 *   model-iriw-rc11      the same under the RC11 memory model (issue 16: the
 *                        reads-from choices on top), beside model-iriw-sc.
 *   model-atomic-fetch-add  rl_atomic_u64_fetch_add outside a model, one
 *                        thread: the plain atomic behind the probe branch,
 *                        beside atomic-fetch-add-raw, the raw atomic_fetch_add.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include <racelab/model.h>
#include <racelab/status.h>
#include <racelab/thread.h>

#include "bench_defs.h"
#include "harness.h"

static void *adder(void *p)
{
	rl_atomic_u64 *a = p;
	rl_atomic_u64_fetch_add(a, 1, memory_order_relaxed);
	rl_atomic_u64_fetch_add(a, 1, memory_order_relaxed);
	return NULL;
}

/* The model's body: three threads, two fetch_adds each. */
static void body90(void *arg)
{
	(void)arg;
	rl_atomic_u64 a;
	rl_atomic_u64_init(&a, 0);
	rl_thread *t[3];
	rl_thread_opts o = { .name = "adder" };
	for (int i = 0; i < 3; i++)
		if (rl_thread_spawn(&t[i], adder, &a, &o) != RL_OK)
			abort();
	for (int i = 0; i < 3; i++)
		rl_thread_join(t[i], NULL);
}

static void *body90_main(void *arg)
{
	body90(arg);
	return NULL;
}

/* Natively, as the model runs it: on a "main" rl thread with 8 MiB. */
static int run_native(void *shared, void *local, unsigned idx, uint64_t iters)
{
	(void)shared;
	(void)local;
	(void)idx;
	for (uint64_t i = 0; i < iters; i++) {
		rl_thread *m;
		rl_thread_opts o = { .name = "main", .stack_size = RL_MAIN_STACK_SIZE };
		int rc = rl_thread_spawn(&m, body90_main, NULL, &o);
		if (rc)
			return rc;
		rl_thread_join(m, NULL);
	}
	return RL_OK;
}

static int run_dfs(void *shared, void *local, unsigned idx, uint64_t iters)
{
	(void)shared;
	(void)local;
	(void)idx;
	while (iters) {
		rl_model_config c = { .max_schedules = iters < 90 ? iters : 90, .quiet = true };
		rl_model_result r;
		int rc = rl_model(body90, NULL, &c, &r);
		if (rc)
			return rc;
		if (r.failure != RL_MODEL_PASSED || !r.schedules)
			return RL_EINVAL;
		iters -= r.schedules < iters ? r.schedules : iters;
	}
	return RL_OK;
}

const struct rl_bench rl_bench_model_native_90 = {
	.name = "model-native-90",
	.series = "model body, native run",
	.what = "the 90-schedule model's body (3 threads x 2 fetch_adds) run natively: ns per run",
	.run = run_native,
};

const struct rl_bench rl_bench_model_dfs_90 = {
	.name = "model-dfs-90",
	.series = "model body, one DFS schedule",
	.what = "the same body under rl_model() DFS (90 schedules per exploration): ns per schedule",
	.run = run_dfs,
	.pair = "model-native-90",
};

/* ---- a litmus test under the two memory models ---- */

static rl_atomic_u64 ix, iy;

static void *iriw_wx(void *p) { rl_atomic_u64_store(&ix, 1, memory_order_relaxed); return p; }
static void *iriw_wy(void *p) { rl_atomic_u64_store(&iy, 1, memory_order_relaxed); return p; }
static void *iriw_rxy(void *p)
{
	uint64_t a = rl_atomic_u64_load(&ix, memory_order_relaxed);
	uint64_t b = rl_atomic_u64_load(&iy, memory_order_relaxed);
	rl_bench_escape((void *)(uintptr_t)(a + b));
	return p;
}
static void *iriw_ryx(void *p)
{
	uint64_t a = rl_atomic_u64_load(&iy, memory_order_relaxed);
	uint64_t b = rl_atomic_u64_load(&ix, memory_order_relaxed);
	rl_bench_escape((void *)(uintptr_t)(a + b));
	return p;
}

static void iriw_body(void *arg)
{
	(void)arg;
	rl_atomic_u64_init(&ix, 0);
	rl_atomic_u64_init(&iy, 0);
	rl_thread_fn *fns[4] = { iriw_wx, iriw_wy, iriw_rxy, iriw_ryx };
	rl_thread *t[4];
	for (int i = 0; i < 4; i++)
		if (rl_thread_spawn(&t[i], fns[i], NULL, NULL) != RL_OK)
			abort();
	for (int i = 0; i < 4; i++)
		rl_thread_join(t[i], NULL);
}

static int run_iriw(rl_model_memory mem, uint64_t iters)
{
	for (uint64_t i = 0; i < iters; i++) {
		rl_model_config c = { .quiet = true, .memory = mem };
		rl_model_result r;
		int rc = rl_model(iriw_body, NULL, &c, &r);
		if (rc)
			return rc;
		if (r.failure != RL_MODEL_PASSED || !r.complete)
			return RL_EINVAL;
	}
	return RL_OK;
}

static int run_iriw_sc(void *shared, void *local, unsigned idx, uint64_t iters)
{
	(void)shared;
	(void)local;
	(void)idx;
	return run_iriw(RL_MEMORY_SC, iters);
}

static int run_iriw_rc11(void *shared, void *local, unsigned idx, uint64_t iters)
{
	(void)shared;
	(void)local;
	(void)idx;
	return run_iriw(RL_MEMORY_RC11, iters);
}

const struct rl_bench rl_bench_model_iriw_sc = {
	.name = "model-iriw-sc",
	.series = "IRIW, complete DFS, SC",
	.what = "the IRIW litmus test (relaxed) explored completely under sequential consistency: ns per exploration",
	.run = run_iriw_sc,
};

const struct rl_bench rl_bench_model_iriw_rc11 = {
	.name = "model-iriw-rc11",
	.series = "IRIW, complete DFS, RC11",
	.what = "the same explored completely under the RC11 memory model: ns per exploration",
	.run = run_iriw_rc11,
	.pair = "model-iriw-sc",
};

/* ---- the atomics outside a model ---- */

static int run_raw(void *shared, void *local, unsigned idx, uint64_t iters)
{
	(void)shared;
	(void)local;
	(void)idx;
	_Atomic uint64_t a = 0;
	for (uint64_t i = 0; i < iters; i++)
		atomic_fetch_add_explicit(&a, 1, memory_order_relaxed);
	rl_bench_escape((void *)(uintptr_t)atomic_load_explicit(&a, memory_order_relaxed));
	return RL_OK;
}

static int run_modelled(void *shared, void *local, unsigned idx, uint64_t iters)
{
	(void)shared;
	(void)local;
	(void)idx;
	rl_atomic_u64 a;
	rl_atomic_u64_init(&a, 0);
	for (uint64_t i = 0; i < iters; i++)
		rl_atomic_u64_fetch_add(&a, 1, memory_order_relaxed);
	rl_bench_escape((void *)(uintptr_t)rl_atomic_u64_load(&a, memory_order_relaxed));
	return RL_OK;
}

const struct rl_bench rl_bench_atomic_fetch_add_raw = {
	.name = "atomic-fetch-add-raw",
	.series = "raw atomic_fetch_add",
	.what = "atomic_fetch_add relaxed on a local counter, one thread (the reference)",
	.run = run_raw,
};

const struct rl_bench rl_bench_model_atomic_fetch_add = {
	.name = "model-atomic-fetch-add",
	.series = "rl_atomic_u64_fetch_add",
	.what = "rl_atomic_u64_fetch_add relaxed outside a model: the atomic behind the probe branch",
	.run = run_modelled,
	.pair = "atomic-fetch-add-raw",
};
