/* bench_base.c — benchmarks that need no racelab primitive: counters (plain,
 * relaxed, seq-cst, CAS loop), false sharing, bare pthread spawn+join.
 *
 * They are the reference points for the ratios: what an atomic costs over a
 * plain increment, what a shared cache line costs over a private one, and
 * what the kernel charges for a thread.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <racelab/status.h>

#include "bench_defs.h"
#include "harness.h"

/* ------------------------------------------------------------------------
 * One counter shared by all threads, alone on its cache lines.
 * ---------------------------------------------------------------------- */

struct counter {
	_Alignas(128) uint64_t plain;
	_Alignas(128) _Atomic uint64_t atomic;
	char pad[120];
};

static int counter_setup(void **shared, unsigned nthreads)
{
	struct counter *c = aligned_alloc(128, sizeof *c);
	if (!c)
		return RL_ENOMEM;
	memset(c, 0, sizeof *c);
	atomic_init(&c->atomic, 0);
	*shared = c;
	return RL_OK;
}

static void counter_teardown(void *shared, unsigned nthreads)
{
	free(shared);
}

/* A non-atomic read-modify-write from every thread: a data race by design
 * (racelab's lost-update demonstration); the clobber forces a load, an add
 * and a store per iteration instead of one add of iters. */
static int run_plain(void *shared, void *local, unsigned idx, uint64_t iters)
{
	struct counter *c = shared;
	for (uint64_t i = 0; i < iters; i++) {
		c->plain++;
		rl_bench_clobber();
	}
	return RL_OK;
}

/* Ordering: relaxed; nothing is published through the counter. */
static int run_relaxed(void *shared, void *local, unsigned idx, uint64_t iters)
{
	struct counter *c = shared;
	for (uint64_t i = 0; i < iters; i++)
		atomic_fetch_add_explicit(&c->atomic, 1, memory_order_relaxed);
	return RL_OK;
}

/* Ordering: seq_cst (on x86-64 the same lock add as relaxed). */
static int run_seqcst(void *shared, void *local, unsigned idx, uint64_t iters)
{
	struct counter *c = shared;
	for (uint64_t i = 0; i < iters; i++)
		atomic_fetch_add(&c->atomic, 1);
	return RL_OK;
}

/* A compare-exchange loop, the shape of Weak::upgrade; relaxed, as above. */
static int run_cas(void *shared, void *local, unsigned idx, uint64_t iters)
{
	struct counter *c = shared;
	uint64_t old = atomic_load_explicit(&c->atomic, memory_order_relaxed);
	for (uint64_t i = 0; i < iters; i++)
		while (!atomic_compare_exchange_weak_explicit(&c->atomic, &old, old + 1,
							      memory_order_relaxed,
							      memory_order_relaxed))
			;
	return RL_OK;
}

const struct rl_bench rl_bench_counter_plain = {
	.name = "counter-plain",
	.series = "plain counter (racy)",
	.what = "non-atomic ++ on one shared counter (races by design; skipped under TSan)",
	.flags = RL_BENCH_THREADS | RL_BENCH_RACY,
	.setup = counter_setup, .run = run_plain, .teardown = counter_teardown,
};

const struct rl_bench rl_bench_counter_relaxed = {
	.name = "counter-relaxed",
	.series = "relaxed atomic counter",
	.what = "atomic_fetch_add relaxed on one shared counter",
	.flags = RL_BENCH_THREADS,
	.setup = counter_setup, .run = run_relaxed, .teardown = counter_teardown,
};

const struct rl_bench rl_bench_counter_seqcst = {
	.name = "counter-seqcst",
	.series = "seq-cst atomic counter",
	.what = "atomic_fetch_add seq_cst on one shared counter",
	.flags = RL_BENCH_THREADS,
	.setup = counter_setup, .run = run_seqcst, .teardown = counter_teardown,
};

const struct rl_bench rl_bench_counter_cas = {
	.name = "counter-cas",
	.series = "CAS-loop counter",
	.what = "compare_exchange_weak loop on one shared counter",
	.flags = RL_BENCH_THREADS,
	.setup = counter_setup, .run = run_cas, .teardown = counter_teardown,
};

/* ------------------------------------------------------------------------
 * False sharing: each thread increments its own counter; packed counters
 * share cache lines, padded ones own a 64-byte line each.
 * ---------------------------------------------------------------------- */

struct padded {
	_Alignas(64) uint64_t v;
};

static int packed_setup(void **shared, unsigned nthreads)
{
	size_t bytes = ((nthreads * sizeof(uint64_t) + 63) / 64) * 64;
	uint64_t *a = aligned_alloc(64, bytes);
	if (!a)
		return RL_ENOMEM;
	memset(a, 0, bytes);
	*shared = a;
	return RL_OK;
}

static int padded_setup(void **shared, unsigned nthreads)
{
	struct padded *a = aligned_alloc(64, nthreads * sizeof *a);
	if (!a)
		return RL_ENOMEM;
	memset(a, 0, nthreads * sizeof *a);
	*shared = a;
	return RL_OK;
}

static int run_packed(void *shared, void *local, unsigned idx, uint64_t iters)
{
	uint64_t *mine = (uint64_t *)shared + idx; /* private to this thread: no race */
	for (uint64_t i = 0; i < iters; i++) {
		++*mine;
		rl_bench_clobber();
	}
	return RL_OK;
}

static int run_padded(void *shared, void *local, unsigned idx, uint64_t iters)
{
	uint64_t *mine = &((struct padded *)shared)[idx].v;
	for (uint64_t i = 0; i < iters; i++) {
		++*mine;
		rl_bench_clobber();
	}
	return RL_OK;
}

const struct rl_bench rl_bench_false_sharing_packed = {
	.name = "false-sharing-packed",
	.series = "per-thread counters, packed",
	.what = "each thread ++ its own counter; counters 8 bytes apart (shared lines)",
	.flags = RL_BENCH_THREADS,
	.setup = packed_setup, .run = run_packed, .teardown = counter_teardown,
};

const struct rl_bench rl_bench_false_sharing_padded = {
	.name = "false-sharing-padded",
	.series = "per-thread counters, padded",
	.what = "each thread ++ its own counter; each counter on its own 64-byte line",
	.flags = RL_BENCH_THREADS,
	.setup = padded_setup, .run = run_padded, .teardown = counter_teardown,
};

/* ------------------------------------------------------------------------
 * Bare pthread_create + pthread_join with an explicit stack size: the
 * reference for rl_thread_spawn (bench_thread.c).
 * ---------------------------------------------------------------------- */

static void *empty_thread(void *arg)
{
	return arg;
}

struct pthread_spawn {
	pthread_attr_t attr;
};

static int pthread_spawn_setup(void **shared, size_t stack)
{
	struct pthread_spawn *p = malloc(sizeof *p);
	if (!p)
		return RL_ENOMEM;
	pthread_attr_init(&p->attr);
	if (pthread_attr_setstacksize(&p->attr, stack) != 0) {
		pthread_attr_destroy(&p->attr);
		free(p);
		return RL_EINVAL;
	}
	*shared = p;
	return RL_OK;
}

static int pthread_spawn_setup_2m(void **shared, unsigned nthreads)
{
	return pthread_spawn_setup(shared, (size_t)2 << 20);
}

static int pthread_spawn_setup_8m(void **shared, unsigned nthreads)
{
	return pthread_spawn_setup(shared, (size_t)8 << 20);
}

static void pthread_spawn_teardown(void *shared, unsigned nthreads)
{
	struct pthread_spawn *p = shared;
	pthread_attr_destroy(&p->attr);
	free(p);
}

static int run_pthread_spawn(void *shared, void *local, unsigned idx, uint64_t iters)
{
	struct pthread_spawn *p = shared;
	for (uint64_t i = 0; i < iters; i++) {
		pthread_t t;
		void *ret;
		if (pthread_create(&t, &p->attr, empty_thread, NULL) != 0)
			return RL_EAGAIN;
		pthread_join(t, &ret);
		RL_BENCH_KEEP(ret);
	}
	return RL_OK;
}

const struct rl_bench rl_bench_pthread_spawn_2m = {
	.name = "pthread-spawn-join-2m",
	.series = "pthread spawn+join 2 MiB",
	.what = "bare pthread_create + pthread_join, 2 MiB stack",
	.setup = pthread_spawn_setup_2m, .run = run_pthread_spawn,
	.teardown = pthread_spawn_teardown,
};

const struct rl_bench rl_bench_pthread_spawn_8m = {
	.name = "pthread-spawn-join-8m",
	.series = "pthread spawn+join 8 MiB",
	.what = "bare pthread_create + pthread_join, 8 MiB stack",
	.setup = pthread_spawn_setup_8m, .run = run_pthread_spawn,
	.teardown = pthread_spawn_teardown,
};
