/* lost_update.h — the load-then-store counter both model test files run: two
 * threads each load the counter and store it plus one; the body asserts 2. */
#ifndef RACELAB_TESTS_MODEL_LOST_UPDATE_H
#define RACELAB_TESTS_MODEL_LOST_UPDATE_H

#include <racelab/racelab.h>

static void *lost_update(void *p)
{
	rl_atomic_u64 *a = p;
	uint64_t v = rl_atomic_u64_load(a, memory_order_relaxed);
	rl_atomic_u64_store(a, v + 1, memory_order_relaxed);
	return NULL;
}

static void body_lost_update(void *arg)
{
	(void)arg;
	rl_atomic_u64 a;
	rl_atomic_u64_init(&a, 0);
	rl_thread *t[2];
	for (int i = 0; i < 2; i++)
		rl_thread_spawn(&t[i], lost_update, &a, &(rl_thread_opts){ .name = i ? "t2" : "t1" });
	for (int i = 0; i < 2; i++)
		rl_thread_join(t[i], NULL);
	RL_ASSERT(rl_atomic_u64_load(&a, memory_order_relaxed) == 2);
}

#endif
