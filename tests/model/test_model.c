/* test_model.c — rl_model(): DPOR's counts, completeness and its bounds,
 * replay tokens, the environment, bad input.
 *
 * Bodies never call cmocka (it is not thread-safe): they record what they
 * saw in globals, which the test reads after rl_model() returned.
 */
#include <racelab/racelab.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lost_update.h"

/* ---- bodies: N threads, each M operations ---- */

static unsigned n_threads, n_ops;
static enum { OP_ADD, OP_LOAD, OP_OWN_ATOMIC, OP_OWN_PLAIN } op_kind;
static uint64_t wrong_total; /* schedules whose final value was not n_threads * n_ops */

struct shared {
	rl_atomic_u64 one;
	rl_atomic_u64 own[8];
	int plain[8];
};

struct worker {
	struct shared *s;
	unsigned i;
};

static void *worker(void *p)
{
	struct worker *w = p;
	for (unsigned k = 0; k < n_ops; k++) {
		switch (op_kind) {
		case OP_ADD:
			rl_atomic_u64_fetch_add(&w->s->one, 1, memory_order_relaxed);
			break;
		case OP_LOAD:
			(void)rl_atomic_u64_load(&w->s->one, memory_order_acquire);
			break;
		case OP_OWN_ATOMIC:
			rl_atomic_u64_store(&w->s->own[w->i], k + 1, memory_order_release);
			break;
		case OP_OWN_PLAIN:
			rl_track_write(&w->s->plain[w->i], sizeof(int), "plain int");
			w->s->plain[w->i] = (int)k + 1;
			break;
		}
	}
	return NULL;
}

static void body_n(void *arg)
{
	(void)arg;
	struct shared s;
	memset(&s, 0, sizeof(s));
	rl_atomic_u64_init(&s.one, 0);
	struct worker w[8];
	rl_thread *t[8];
	for (unsigned i = 0; i < n_threads; i++) {
		w[i] = (struct worker){ &s, i };
		if (rl_thread_spawn(&t[i], worker, &w[i], NULL) != RL_OK)
			abort();
	}
	for (unsigned i = 0; i < n_threads; i++)
		rl_thread_join(t[i], NULL);
	if (op_kind == OP_ADD && rl_atomic_u64_load(&s.one, memory_order_relaxed) != n_threads * n_ops)
		wrong_total++;
}

static rl_model_result run_n(unsigned threads, unsigned ops, int kind, const rl_model_config *cfg)
{
	n_threads = threads;
	n_ops = ops;
	op_kind = kind;
	wrong_total = 0;
	rl_model_result r;
	rl_model_config c = cfg ? *cfg : (rl_model_config){ 0 };
	c.quiet = true;
	assert_int_equal(rl_model(body_n, NULL, &c, &r), RL_OK);
	assert_int_equal(wrong_total, 0);
	return r;
}

static void test_model_three_threads_disjoint_atomics_is_one_schedule(void **state)
{
	(void)state;
	rl_model_result r = run_n(3, 1, OP_OWN_ATOMIC, NULL);
	assert_int_equal(r.failure, RL_MODEL_PASSED);
	assert_int_equal(r.schedules, 1);
	assert_true(r.complete);
}

static void test_model_three_threads_disjoint_tracked_writes_is_one_schedule(void **state)
{
	(void)state;
	rl_model_result r = run_n(3, 2, OP_OWN_PLAIN, NULL);
	assert_int_equal(r.failure, RL_MODEL_PASSED);
	assert_int_equal(r.schedules, 1);
	assert_true(r.complete);
}

static void test_model_loads_of_one_atomic_commute(void **state)
{
	(void)state;
	rl_model_result r = run_n(3, 2, OP_LOAD, NULL);
	assert_int_equal(r.schedules, 1);
	assert_true(r.complete);
}

static void test_model_three_fetch_adds_are_six_schedules(void **state)
{
	(void)state;
	rl_model_result r = run_n(3, 1, OP_ADD, NULL);
	assert_int_equal(r.failure, RL_MODEL_PASSED);
	assert_int_equal(r.schedules, 6);
	assert_int_equal(r.redundant, 0);
	assert_true(r.complete);
}

static void test_model_three_threads_two_fetch_adds_are_ninety_schedules(void **state)
{
	(void)state;
	/* (3 * 2)! / (2!)^3 = 90 Mazurkiewicz traces. */
	rl_model_result r = run_n(3, 2, OP_ADD, NULL);
	assert_int_equal(r.failure, RL_MODEL_PASSED);
	assert_int_equal(r.schedules, 90);
	assert_true(r.complete);
}

static void test_model_two_threads_two_fetch_adds_are_six_schedules(void **state)
{
	(void)state;
	rl_model_result r = run_n(2, 2, OP_ADD, NULL);
	assert_int_equal(r.schedules, 6);
	assert_true(r.complete);
}

static void test_model_max_schedules_cut_is_not_complete(void **state)
{
	(void)state;
	rl_model_config c = { .max_schedules = 10 };
	rl_model_result r = run_n(3, 2, OP_ADD, &c);
	assert_int_equal(r.schedules, 10);
	assert_false(r.complete);
}

static void test_model_preemption_bound_cuts_and_says_incomplete(void **state)
{
	(void)state;
	rl_model_config c = { .bound_preemptions = true, .max_preemptions = 0 };
	rl_model_result r0 = run_n(3, 2, OP_ADD, &c);
	assert_int_equal(r0.failure, RL_MODEL_PASSED);
	assert_false(r0.complete);
	assert_true(r0.schedules >= 1 && r0.schedules < 90);
	c.max_preemptions = 1;
	rl_model_result r1 = run_n(3, 2, OP_ADD, &c);
	assert_true(r1.schedules > r0.schedules && r1.schedules <= 90);
	/* A bound that nothing reaches cuts nothing. */
	c.max_preemptions = 100;
	rl_model_result r2 = run_n(3, 2, OP_ADD, &c);
	assert_int_equal(r2.schedules, 90);
	assert_true(r2.complete);
}

static void test_model_random_and_pct_are_never_complete(void **state)
{
	(void)state;
	rl_model_config c = { .strategy = RL_MODEL_RANDOM, .max_schedules = 20, .seed = 7 };
	rl_model_result r = run_n(3, 1, OP_ADD, &c);
	assert_int_equal(r.schedules, 20);
	assert_false(r.complete);
	c.strategy = RL_MODEL_PCT;
	r = run_n(3, 1, OP_ADD, &c);
	assert_int_equal(r.schedules, 20);
	assert_false(r.complete);
}

/* ---- failures and replay ---- */

static void expect_replay(const rl_model_result *found)
{
	rl_model_config c = { .replay = found->replay, .quiet = true };
	rl_model_result r;
	assert_int_equal(rl_model(body_lost_update, NULL, &c, &r), RL_OK);
	assert_int_equal(r.schedules, 1);
	assert_false(r.complete);
	assert_int_equal(r.failure, found->failure);
	assert_string_equal(r.message, found->message);
	assert_string_equal(r.replay, found->replay);
}

static void test_model_dfs_failure_gives_a_token_that_replays(void **state)
{
	(void)state;
	rl_model_config c = { .quiet = true };
	rl_model_result r;
	assert_int_equal(rl_model(body_lost_update, NULL, &c, &r), RL_OK);
	assert_int_equal(r.failure, RL_MODEL_ASSERT);
	assert_false(r.complete);
	assert_non_null(strstr(r.message, "assertion failed"));
	assert_non_null(strstr(r.message, "thread 'main'"));
	assert_non_null(strstr(r.message, "lost_update.h:"));
	assert_true(strncmp(r.replay, "dfs.", 4) == 0);
	assert_true(strlen(r.replay) < 32);
	expect_replay(&r);
	/* The environment wins over the config. */
	setenv("RACELAB_REPLAY", r.replay, 1);
	rl_model_config other = { .strategy = RL_MODEL_PCT, .quiet = true };
	rl_model_result e;
	assert_int_equal(rl_model(body_lost_update, NULL, &other, &e), RL_OK);
	unsetenv("RACELAB_REPLAY");
	assert_int_equal(e.schedules, 1);
	assert_string_equal(e.message, r.message);
}

static void test_model_random_and_pct_failures_replay_from_a_seed(void **state)
{
	(void)state;
	for (int s = RL_MODEL_RANDOM; s <= RL_MODEL_PCT; s++) {
		rl_model_config c = { .strategy = (rl_model_strategy)s, .seed = 3, .quiet = true };
		rl_model_result r;
		assert_int_equal(rl_model(body_lost_update, NULL, &c, &r), RL_OK);
		assert_int_equal(r.failure, RL_MODEL_ASSERT);
		assert_true(strncmp(r.replay, s == RL_MODEL_RANDOM ? "rnd." : "pct.", 4) == 0);
		expect_replay(&r);
	}
}

static void body_spin_forever(void *arg)
{
	(void)arg;
	rl_atomic_bool flag;
	rl_atomic_bool_init(&flag, false);
	while (!rl_atomic_bool_load(&flag, memory_order_acquire))
		rl_yield();
}

static void test_model_step_limit_is_a_failure_that_replays(void **state)
{
	(void)state;
	rl_model_config c = { .max_steps = 50, .quiet = true };
	rl_model_result r;
	assert_int_equal(rl_model(body_spin_forever, NULL, &c, &r), RL_OK);
	assert_int_equal(r.failure, RL_MODEL_STEP_LIMIT);
	assert_false(r.complete);
	assert_non_null(strstr(r.message, "50"));
	rl_model_config p = { .replay = r.replay, .quiet = true };
	rl_model_result q;
	assert_int_equal(rl_model(body_spin_forever, NULL, &p, &q), RL_OK);
	assert_int_equal(q.failure, RL_MODEL_STEP_LIMIT);
	assert_int_equal(q.schedules, 1);
}

static void test_model_report_has_message_interleaving_and_replay_line(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	rl_model_config c = { .report_file = f };
	rl_model_result r;
	assert_int_equal(rl_model(body_lost_update, NULL, &c, &r), RL_OK);
	fclose(f);
	assert_non_null(strstr(buf, "racelab model: assertion: assertion failed"));
	assert_non_null(strstr(buf, "interleaving:"));
	assert_non_null(strstr(buf, "rl_atomic_store"));
	char line[RL_MODEL_REPLAY_MAX + 32];
	snprintf(line, sizeof(line), "RACELAB_REPLAY=%s ", r.replay);
	assert_non_null(strstr(buf, line));
	free(buf);
}

/* ---- bad input ---- */

static int nested_rc;

static void body_nested(void *arg)
{
	(void)arg;
	rl_model_result r;
	nested_rc = rl_model(body_spin_forever, NULL, NULL, &r);
}

static void test_model_nested_is_ebusy(void **state)
{
	(void)state;
	rl_model_config c = { .quiet = true };
	rl_model_result r;
	nested_rc = 0;
	assert_int_equal(rl_model(body_nested, NULL, &c, &r), RL_OK);
	assert_int_equal(nested_rc, RL_EBUSY);
	assert_true(r.complete);
}

static void test_model_bad_token_and_config_are_einval(void **state)
{
	(void)state;
	rl_model_result r;
	const char *bad[] = { "", "dfs", "dfs.0.", "dfs.10.*", "rnd.10.", "pct.10.1.0.5", "xyz.1.1", "dfs.10.A" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rl_model_config c = { .replay = bad[i] };
		assert_int_equal(rl_model(body_lost_update, NULL, &c, &r), RL_EINVAL);
	}
	rl_model_config c = { .strategy = (rl_model_strategy)9 };
	assert_int_equal(rl_model(body_lost_update, NULL, &c, &r), RL_EINVAL);
	assert_int_equal(rl_model(NULL, NULL, NULL, &r), RL_EINVAL);
	assert_int_equal(rl_model(body_lost_update, NULL, NULL, NULL), RL_EINVAL);
	const char *env[][2] = { { "RACELAB_STRATEGY", "bfs" }, { "RACELAB_SCHEDULES", "0" },
				 { "RACELAB_SEED", "x" },        { "RACELAB_PREEMPTIONS", "-1" },
				 { "RACELAB_MAX_STEPS", "0" } };
	for (size_t i = 0; i < sizeof(env) / sizeof(env[0]); i++) {
		setenv(env[i][0], env[i][1], 1);
		assert_int_equal(rl_model(body_lost_update, NULL, NULL, &r), RL_EINVAL);
		unsetenv(env[i][0]);
	}
}

static void test_model_env_overrides_strategy_and_schedules(void **state)
{
	(void)state;
	setenv("RACELAB_STRATEGY", "random", 1);
	setenv("RACELAB_SCHEDULES", "5", 1);
	rl_model_result r = run_n(3, 1, OP_ADD, NULL);
	unsetenv("RACELAB_STRATEGY");
	unsetenv("RACELAB_SCHEDULES");
	assert_int_equal(r.schedules, 5);
	assert_false(r.complete);
}

static void test_model_atomics_outside_a_model_are_plain(void **state)
{
	(void)state;
	rl_atomic_u64 a;
	rl_atomic_u64_init(&a, 5);
	assert_int_equal(rl_atomic_u64_fetch_add(&a, 2, memory_order_relaxed), 5);
	assert_int_equal(rl_atomic_u64_fetch_sub(&a, 1, memory_order_relaxed), 7);
	assert_int_equal(rl_atomic_u64_fetch_or(&a, 8, memory_order_relaxed), 6);
	assert_int_equal(rl_atomic_u64_fetch_and(&a, 12, memory_order_relaxed), 14);
	assert_int_equal(rl_atomic_u64_fetch_xor(&a, 1, memory_order_relaxed), 12);
	assert_int_equal(rl_atomic_u64_swap(&a, 3, memory_order_relaxed), 13);
	uint64_t e = 4;
	assert_false(rl_atomic_u64_compare_exchange(&a, &e, 9, memory_order_acq_rel, memory_order_acquire));
	assert_int_equal(e, 3);
	assert_true(rl_atomic_u64_compare_exchange(&a, &e, 9, memory_order_acq_rel, memory_order_acquire));
	assert_int_equal(rl_atomic_u64_load(&a, memory_order_acquire), 9);
	rl_atomic_bool b;
	rl_atomic_bool_init(&b, false);
	bool be = false;
	assert_true(rl_atomic_bool_compare_exchange(&b, &be, true, memory_order_acq_rel, memory_order_relaxed));
	assert_true(rl_atomic_bool_swap(&b, false, memory_order_acq_rel));
	int x;
	rl_atomic_ptr p;
	rl_atomic_ptr_init(&p, NULL);
	void *pe = NULL;
	assert_true(rl_atomic_ptr_compare_exchange(&p, &pe, &x, memory_order_acq_rel, memory_order_relaxed));
	assert_ptr_equal(rl_atomic_ptr_load(&p, memory_order_acquire), &x);
	assert_int_equal(sizeof(rl_atomic_u64), 8);
	assert_int_equal(sizeof(rl_atomic_ptr), sizeof(void *));
	assert_false(rl_model_active());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_three_threads_disjoint_atomics_is_one_schedule),
		cmocka_unit_test(test_model_three_threads_disjoint_tracked_writes_is_one_schedule),
		cmocka_unit_test(test_model_loads_of_one_atomic_commute),
		cmocka_unit_test(test_model_three_fetch_adds_are_six_schedules),
		cmocka_unit_test(test_model_three_threads_two_fetch_adds_are_ninety_schedules),
		cmocka_unit_test(test_model_two_threads_two_fetch_adds_are_six_schedules),
		cmocka_unit_test(test_model_max_schedules_cut_is_not_complete),
		cmocka_unit_test(test_model_preemption_bound_cuts_and_says_incomplete),
		cmocka_unit_test(test_model_random_and_pct_are_never_complete),
		cmocka_unit_test(test_model_dfs_failure_gives_a_token_that_replays),
		cmocka_unit_test(test_model_random_and_pct_failures_replay_from_a_seed),
		cmocka_unit_test(test_model_step_limit_is_a_failure_that_replays),
		cmocka_unit_test(test_model_report_has_message_interleaving_and_replay_line),
		cmocka_unit_test(test_model_nested_is_ebusy),
		cmocka_unit_test(test_model_bad_token_and_config_are_einval),
		cmocka_unit_test(test_model_env_overrides_strategy_and_schedules),
		cmocka_unit_test(test_model_atomics_outside_a_model_are_plain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
