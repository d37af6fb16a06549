/* test_model_sync.c — racelab's own primitives under rl_model() DFS at small
 * sizes: Arc (with Weak), Arc<Mutex<T>>, Rc on one thread, an RCU cell. Each
 * is explored completely and no schedule fails.
 */
#include <racelab/racelab.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

static rl_model_result explore(rl_model_fn *body)
{
	rl_model_config c = { .quiet = true };
	rl_model_result r;
	assert_int_equal(rl_model(body, NULL, &c, &r), RL_OK);
	if (r.failure != RL_MODEL_PASSED)
		fprintf(stderr, "unexpected failure: %s\n", r.message);
	assert_int_equal(r.failure, RL_MODEL_PASSED);
	assert_true(r.complete);
	return r;
}

static void spawn2(rl_thread_fn *fn, void *a, void *b)
{
	rl_thread *t[2];
	if (rl_thread_spawn(&t[0], fn, a, NULL) != RL_OK || rl_thread_spawn(&t[1], fn, b, NULL) != RL_OK)
		abort();
	rl_thread_join(t[0], NULL);
	rl_thread_join(t[1], NULL);
}

/* Arc: each thread owns a clone and drops it; the last drop frees the box. */
static void *arc_owner(void *p)
{
	rl_arc *a = p;
	RL_ASSERT(*(int *)rl_arc_get(a) == 5);
	rl_arc_drop(a);
	return NULL;
}

static void body_arc(void *arg)
{
	(void)arg;
	rl_arc *a = rl_arc_new(sizeof(int), NULL);
	*(int *)rl_arc_get(a) = 5;
	rl_arc *b = rl_arc_clone(a);
	rl_arc_weak *w = rl_arc_downgrade(a);
	spawn2(arc_owner, a, b);
	RL_ASSERT(rl_arc_weak_upgrade(w) == NULL);
	rl_arc_weak_drop(w);
}

static void test_arc_clone_drop_on_two_threads_is_complete(void **state)
{
	(void)state;
	rl_model_result r = explore(body_arc);
	assert_true(r.schedules >= 2);
}

/* Arc<Mutex<int>>: two increments under the lock. */
static void *mutex_incr(void *p)
{
	rl_mutex_guard g;
	rl_mutex_lock(rl_arc_get(p), &g);
	(*(int *)rl_mutex_guard_get(&g))++;
	rl_mutex_guard_drop(&g);
	rl_arc_drop(p);
	return NULL;
}

static void body_mutex(void *arg)
{
	(void)arg;
	rl_arc *m = rl_arc_mutex_new(sizeof(int), NULL);
	spawn2(mutex_incr, rl_arc_clone(m), rl_arc_clone(m));
	rl_mutex_guard g;
	rl_mutex_lock(rl_arc_get(m), &g);
	RL_ASSERT(*(int *)rl_mutex_guard_get(&g) == 2);
	rl_mutex_guard_drop(&g);
	rl_arc_drop(m);
}

static void test_arc_mutex_counter_is_complete(void **state)
{
	(void)state;
	rl_model_result r = explore(body_mutex);
	assert_true(r.schedules >= 2);
}

/* Rc stays on its thread: one schedule. */
static void body_rc(void *arg)
{
	(void)arg;
	rl_rc *rc = rl_rc_new(sizeof(int), NULL);
	rl_rc *c = rl_rc_clone(rc);
	RL_ASSERT(rl_rc_strong_count(rc) == 2);
	rl_rc_drop(c);
	rl_rc_drop(rc);
}

static void test_rc_on_one_thread_is_one_schedule(void **state)
{
	(void)state;
	rl_model_result r = explore(body_rc);
	assert_int_equal(r.schedules, 1);
}

/* RCU: a reader loads while a writer swaps and frees the old value after a grace period. */
struct rcu_case {
	rl_rcu_cell cell;
	int v1, v2;
};

static void *rcu_reader(void *p)
{
	struct rcu_case *c = p;
	rl_rcu_guard g;
	rl_rcu_pin(&g);
	int *v = rl_rcu_cell_load(&c->cell, &g);
	RL_ASSERT(*v == 1 || *v == 2);
	rl_rcu_guard_drop(&g);
	return NULL;
}

static void *rcu_writer(void *p)
{
	struct rcu_case *c = p;
	(void)rl_rcu_cell_swap(&c->cell, &c->v2);
	rl_rcu_synchronize();
	return NULL;
}

static void body_rcu(void *arg)
{
	(void)arg;
	struct rcu_case c = { .v1 = 1, .v2 = 2 };
	rl_rcu_cell_init(&c.cell, &c.v1, NULL);
	rl_thread *t[2];
	if (rl_thread_spawn(&t[0], rcu_reader, &c, NULL) != RL_OK ||
	    rl_thread_spawn(&t[1], rcu_writer, &c, NULL) != RL_OK)
		abort();
	rl_thread_join(t[0], NULL);
	rl_thread_join(t[1], NULL);
	rl_rcu_cell_destroy(&c.cell);
}

static void test_rcu_reader_and_writer_are_complete(void **state)
{
	(void)state;
	rl_model_result r = explore(body_rcu);
	assert_true(r.schedules >= 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arc_clone_drop_on_two_threads_is_complete),
		cmocka_unit_test(test_arc_mutex_counter_is_complete),
		cmocka_unit_test(test_rc_on_one_thread_is_one_schedule),
		cmocka_unit_test(test_rcu_reader_and_writer_are_complete),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
