/* two_threads.h — what the classic and the weak-memory model tests share:
 * a body's two threads 't1' and 't2', and the check that an exploration
 * was complete without a failure. Include after cmocka.h. */
#ifndef RACELAB_TESTS_MODEL_TWO_THREADS_H
#define RACELAB_TESTS_MODEL_TWO_THREADS_H

#include <stdio.h>
#include <stdlib.h>
#include <racelab/racelab.h>

static void expect_complete(const rl_model_result *r)
{
	if (r->failure != RL_MODEL_PASSED)
		fprintf(stderr, "unexpected failure: %s\n", r->message);
	assert_int_equal(r->failure, RL_MODEL_PASSED);
	assert_true(r->complete);
	assert_true(r->schedules >= 1);
}

/* Run @a and @b on @arg as threads 't1' and 't2' and join them. */
static void spawn2(rl_thread_fn *a, rl_thread_fn *b, void *arg)
{
	rl_thread *t[2];
	if (rl_thread_spawn(&t[0], a, arg, &(rl_thread_opts){ .name = "t1" }) != RL_OK ||
	    rl_thread_spawn(&t[1], b, arg, &(rl_thread_opts){ .name = "t2" }) != RL_OK)
		abort();
	rl_thread_join(t[0], NULL);
	rl_thread_join(t[1], NULL);
}

#endif
