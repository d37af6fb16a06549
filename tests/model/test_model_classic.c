/* test_model_classic.c — the classic cases of loom's, CDSChecker's and
 * GenMC's suites under rl_model(), each buggy and fixed: the buggy twin's
 * failure is found (with its kind), the fixed twin is explored completely
 * without one.
 *
 * Bodies never call cmocka: they build their state, run, and RL_ASSERT.
 */
#include <racelab/racelab.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "two_threads.h"

#include "lost_update.h"

static rl_model_result check(rl_model_fn *body, void *arg)
{
	rl_model_config c = { .quiet = true };
	rl_model_result r;
	assert_int_equal(rl_model(body, arg, &c, &r), RL_OK);
	return r;
}

static void expect_failure(const rl_model_result *r, rl_model_failure f)
{
	assert_int_equal(r->failure, f);
	assert_false(r->complete);
	assert_true(r->replay[0] != 0);
	assert_true(r->message[0] != 0);
}

/* ---- message passing: data, then a flag ---- */

struct mp {
	int data;
	rl_atomic_bool flag;
	bool relaxed;
};

static void *mp_writer(void *p)
{
	struct mp *m = p;
	rl_track_write(&m->data, sizeof(m->data), "message");
	m->data = 42;
	rl_atomic_bool_store(&m->flag, true, m->relaxed ? memory_order_relaxed : memory_order_release);
	return NULL;
}

static void *mp_reader(void *p)
{
	struct mp *m = p;
	while (!rl_atomic_bool_load(&m->flag, m->relaxed ? memory_order_relaxed : memory_order_acquire))
		rl_yield();
	rl_track_read(&m->data, sizeof(m->data), "message");
	RL_ASSERT(m->data == 42); /* holds under SC: the bug is the race */
	return NULL;
}

static void body_mp(void *arg)
{
	struct mp m = { .relaxed = arg != NULL };
	rl_atomic_bool_init(&m.flag, false);
	spawn2(mp_writer, mp_reader, &m);
}

static void test_message_passing_relaxed_is_a_race_on_the_data(void **state)
{
	(void)state;
	rl_model_result r = check(body_mp, (void *)1);
	expect_failure(&r, RL_MODEL_RACE);
	assert_non_null(strstr(r.message, "message"));
}

static void test_message_passing_release_acquire_is_complete(void **state)
{
	(void)state;
	rl_model_result r = check(body_mp, NULL);
	expect_complete(&r);
}

/* ---- a refcount: the last owner frees ---- */

struct obj {
	rl_atomic_u64 refs;
	int value;
};

static bool rc_fence;

static void obj_drop(struct obj *o)
{
	if (rl_atomic_u64_fetch_sub(&o->refs, 1, memory_order_release) != 1)
		return;
	if (rc_fence)
		rl_fence(memory_order_acquire); /* pairs with the other owner's release decrement */
	rl_track_free(o, sizeof(*o));
	free(o);
}

static void *rc_owner(void *p)
{
	struct obj *o = p;
	rl_track_read(&o->value, sizeof(o->value), "refcounted value");
	RL_ASSERT(o->value == 7);
	obj_drop(o);
	return NULL;
}

static void body_refcount(void *arg)
{
	(void)arg;
	struct obj *o = malloc(sizeof(*o));
	if (!o)
		abort();
	rl_track_alloc(o, sizeof(*o), "refcounted object");
	rl_atomic_u64_init(&o->refs, 2);
	rl_track_write(&o->value, sizeof(o->value), "refcounted value");
	o->value = 7;
	spawn2(rc_owner, rc_owner, o);
}

static void test_refcount_without_acquire_fence_frees_racing_with_a_use(void **state)
{
	(void)state;
	rc_fence = false;
	rl_model_result r = check(body_refcount, NULL);
	expect_failure(&r, RL_MODEL_USE_AFTER_FREE);
	assert_non_null(strstr(r.message, "rl_track_free"));
}

static void test_refcount_with_acquire_fence_is_complete(void **state)
{
	(void)state;
	rc_fence = true;
	rl_model_result r = check(body_refcount, NULL);
	expect_complete(&r);
}

/* ---- lock order ---- */

struct locks {
	rl_mutex *a, *b;
	bool inverted;
};

static void lock2(rl_mutex *x, rl_mutex *y)
{
	rl_mutex_guard gx, gy;
	rl_mutex_lock(x, &gx);
	rl_mutex_lock(y, &gy);
	(*(int *)rl_mutex_guard_get(&gy))++;
	rl_mutex_guard_drop(&gy);
	rl_mutex_guard_drop(&gx);
}

static void *lk_first(void *p)
{
	struct locks *l = p;
	lock2(l->a, l->b);
	return NULL;
}

static void *lk_second(void *p)
{
	struct locks *l = p;
	if (l->inverted)
		lock2(l->b, l->a);
	else
		lock2(l->a, l->b);
	return NULL;
}

static void body_locks(void *arg)
{
	rl_arc *a = rl_arc_mutex_new(sizeof(int), NULL), *b = rl_arc_mutex_new(sizeof(int), NULL);
	if (!a || !b)
		abort();
	struct locks l = { rl_arc_get(a), rl_arc_get(b), arg != NULL };
	spawn2(lk_first, lk_second, &l);
	rl_arc_drop(a);
	rl_arc_drop(b);
}

static void test_lock_order_inversion_is_a_deadlock_naming_holders_and_waiters(void **state)
{
	(void)state;
	rl_model_result r = check(body_locks, (void *)1);
	expect_failure(&r, RL_MODEL_DEADLOCK);
	assert_non_null(strstr(r.message, "holds Mutex"));
	assert_non_null(strstr(r.message, "waits to lock Mutex"));
	assert_non_null(strstr(r.message, "'t1'"));
	assert_non_null(strstr(r.message, "'t2'"));
}

static void test_lock_order_respected_is_complete(void **state)
{
	(void)state;
	rl_model_result r = check(body_locks, NULL);
	expect_complete(&r);
	assert_true(r.schedules >= 2); /* either thread may take the locks first */
}

/* ---- a counter: load then store (lost_update.h), or fetch_add ---- */

static void *incr(void *p)
{
	rl_atomic_u64_fetch_add(p, 1, memory_order_relaxed);
	return NULL;
}

static void body_counter(void *arg)
{
	(void)arg;
	rl_atomic_u64 a;
	rl_atomic_u64_init(&a, 0);
	spawn2(incr, incr, &a);
	RL_ASSERT(rl_atomic_u64_load(&a, memory_order_relaxed) == 2);
}

static void test_load_then_store_loses_an_update(void **state)
{
	(void)state;
	rl_model_result r = check(body_lost_update, NULL);
	expect_failure(&r, RL_MODEL_ASSERT);
	assert_non_null(strstr(r.message, "== 2"));
}

static void test_fetch_add_loses_nothing_in_two_schedules(void **state)
{
	(void)state;
	rl_model_result r = check(body_counter, NULL);
	expect_complete(&r);
	assert_int_equal(r.schedules, 2);
}

/* ---- a CAS spin lock ---- */

struct spin {
	rl_atomic_bool locked;
	int counter;
};

static void *spin_worker(void *p)
{
	struct spin *s = p;
	bool expected = false;
	/* Acquire: pairs with the release store of the unlock below. */
	while (!rl_atomic_bool_compare_exchange_weak(&s->locked, &expected, true, memory_order_acquire,
						     memory_order_relaxed)) {
		expected = false;
		rl_yield();
	}
	rl_track_write(&s->counter, sizeof(s->counter), "spin-locked counter");
	s->counter++;
	rl_atomic_bool_store(&s->locked, false, memory_order_release);
	return NULL;
}

static void body_spin(void *arg)
{
	(void)arg;
	struct spin s = { .counter = 0 };
	rl_atomic_bool_init(&s.locked, false);
	spawn2(spin_worker, spin_worker, &s);
	rl_track_read(&s.counter, sizeof(s.counter), "spin-locked counter");
	RL_ASSERT(s.counter == 2);
}

static void test_cas_spin_lock_with_yield_is_complete(void **state)
{
	(void)state;
	rl_model_result r = check(body_spin, NULL);
	expect_complete(&r);
	assert_true(r.schedules > 2); /* contention and spurious failures were explored */
}

/* ---- panics, leaks, use after free ---- */

static void *panicker(void *p)
{
	(void)p;
	rl_panic("worker gave up");
}

static void body_panic(void *arg)
{
	(void)arg;
	rl_thread *t;
	rl_thread_spawn(&t, panicker, NULL, &(rl_thread_opts){ .name = "quitter" });
	void *msg = NULL;
	if (rl_thread_join(t, &msg) == RL_EPANICKED)
		free(msg);
}

static void test_panic_in_a_model_thread_is_a_failure(void **state)
{
	(void)state;
	rl_model_result r = check(body_panic, NULL);
	expect_failure(&r, RL_MODEL_PANIC);
	assert_non_null(strstr(r.message, "thread 'quitter' panicked"));
	assert_non_null(strstr(r.message, "worker gave up"));
}

static rl_arc *leaked;

static void body_leak(void *arg)
{
	(void)arg;
	rl_arc *a = rl_arc_new(sizeof(int), NULL);
	rl_arc_drop(rl_arc_clone(a));
	leaked = a; /* freed by the test afterwards */
}

static void test_leak_of_a_racelab_object_is_a_failure(void **state)
{
	(void)state;
	rl_model_result r = check(body_leak, NULL);
	expect_failure(&r, RL_MODEL_LEAK);
	assert_non_null(strstr(r.message, "Arc<T> box"));
	rl_arc_drop(leaked);
}

static void body_uaf(void *arg)
{
	(void)arg;
	int *p = malloc(sizeof(int));
	if (!p)
		abort();
	rl_track_alloc(p, sizeof(int), "buffer");
	rl_track_free(p, sizeof(int));
	rl_track_read(p, sizeof(int), "buffer"); /* the bug: no real access follows */
	free(p);
}

static void test_use_after_free_names_the_memory(void **state)
{
	(void)state;
	rl_model_result r = check(body_uaf, NULL);
	expect_failure(&r, RL_MODEL_USE_AFTER_FREE);
	assert_non_null(strstr(r.message, "use after free: read of buffer"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_message_passing_relaxed_is_a_race_on_the_data),
		cmocka_unit_test(test_message_passing_release_acquire_is_complete),
		cmocka_unit_test(test_refcount_without_acquire_fence_frees_racing_with_a_use),
		cmocka_unit_test(test_refcount_with_acquire_fence_is_complete),
		cmocka_unit_test(test_lock_order_inversion_is_a_deadlock_naming_holders_and_waiters),
		cmocka_unit_test(test_lock_order_respected_is_complete),
		cmocka_unit_test(test_load_then_store_loses_an_update),
		cmocka_unit_test(test_fetch_add_loses_nothing_in_two_schedules),
		cmocka_unit_test(test_cas_spin_lock_with_yield_is_complete),
		cmocka_unit_test(test_panic_in_a_model_thread_is_a_failure),
		cmocka_unit_test(test_leak_of_a_racelab_object_is_a_failure),
		cmocka_unit_test(test_use_after_free_names_the_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
