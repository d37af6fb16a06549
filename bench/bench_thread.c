/* bench_thread.c — rl_thread_spawn + rl_thread_join with 2 MiB and 8 MiB
 * stacks, against bare pthread_create + pthread_join with the same stack size
 * (bench_base.c). The thread body returns at once: what is timed is the
 * runtime's work (stack setup, guard, sigaltstack, name, join) plus the
 * kernel's clone and exit.
 */
#include <stdint.h>

#include <racelab/status.h>
#include <racelab/thread.h>

#include "bench_defs.h"
#include "harness.h"

static void *empty_thread(void *arg)
{
	return arg;
}

static int run_rl_spawn(size_t stack, uint64_t iters)
{
	const rl_thread_opts opts = {.name = "bench", .stack_size = stack};
	for (uint64_t i = 0; i < iters; i++) {
		rl_thread *t;
		void *ret;
		int rc = rl_thread_spawn(&t, empty_thread, NULL, &opts);
		if (rc != RL_OK)
			return rc;
		rc = rl_thread_join(t, &ret);
		if (rc != RL_OK)
			return rc;
		RL_BENCH_KEEP(ret);
	}
	return RL_OK;
}

static int run_rl_spawn_2m(void *shared, void *local, unsigned idx, uint64_t iters)
{
	return run_rl_spawn((size_t)2 << 20, iters);
}

static int run_rl_spawn_8m(void *shared, void *local, unsigned idx, uint64_t iters)
{
	return run_rl_spawn((size_t)8 << 20, iters);
}

const struct rl_bench rl_bench_rl_spawn_2m = {
	.name = "rl-spawn-join-2m",
	.series = "rl thread spawn+join 2 MiB",
	.what = "rl_thread_spawn + rl_thread_join, 2 MiB stack (Rust's default)",
	.run = run_rl_spawn_2m,
	.pair = "pthread-spawn-join-2m",
};

const struct rl_bench rl_bench_rl_spawn_8m = {
	.name = "rl-spawn-join-8m",
	.series = "rl thread spawn+join 8 MiB",
	.what = "rl_thread_spawn + rl_thread_join, 8 MiB stack",
	.run = run_rl_spawn_8m,
	.pair = "pthread-spawn-join-8m",
};
