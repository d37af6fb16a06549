/* test_condvar.c — Condvar: ports of Rust's std/src/sync/condvar tests
 * (smoke, notify_one, notify_all, wait_timeout, two mutexes), the no-waiter
 * notify, poisoning through a wait, and (with "stress") a ping-pong that must
 * see every turn exactly once.
 */
#include "sync_test.h"

#include <stdatomic.h>
#include <stdbool.h>

#include <racelab/condvar.h>
#include <racelab/probe.h>

static void test_smoke_notify_without_waiters(void **state)
{
	(void)state;
	rl_condvar cv;
	rl_condvar_init(&cv);
	rl_condvar_notify_one(&cv);
	rl_condvar_notify_all(&cv);
	/* No waiter: the notifies changed nothing a later waiter could miss. */
	assert_int_equal(cv.waiters, 0);
	assert_int_equal(cv.seq, 0);
	rl_condvar_destroy(&cv);
}

struct shared {
	rl_mutex *m; /* Mutex<int> */
	rl_condvar cv;
	int waiting;     /* threads inside the wait loop (under m) */
	int64_t payload; /* written before the flag, read after it (probed) */
};

static void *wait_for_flag(void *p)
{
	struct shared *s = p;
	rl_mutex_guard g;
	rl_mutex_lock(s->m, &g);
	s->waiting++;
	while (*(int *)rl_mutex_guard_get(&g) == 0)
		assert_int_equal(rl_condvar_wait(&s->cv, &g), RL_OK);
	(*(int *)rl_mutex_guard_get(&g))++;
	rl_mutex_guard_drop(&g);
	return NULL;
}

/* Set the flag once @n threads are waiting, with notify_one (@all false)
 * repeated until every thread has seen it, or one notify_all. */
static void run_waiters(unsigned n, bool all)
{
	struct shared s = {.m = st_mutex_new(sizeof(int))};
	rl_condvar_init(&s.cv);
	rl_thread *t[8];
	for (unsigned i = 0; i < n; i++)
		t[i] = st_spawn(wait_for_flag, &s);
	rl_mutex_guard g;
	for (;;) {
		rl_mutex_lock(s.m, &g);
		if (s.waiting == (int)n)
			break;
		rl_mutex_guard_drop(&g);
		st_sleep_ms(1);
	}
	*(int *)rl_mutex_guard_get(&g) = 1;
	rl_mutex_guard_drop(&g);
	if (all) {
		rl_condvar_notify_all(&s.cv);
	} else {
		for (;;) {
			rl_condvar_notify_one(&s.cv);
			rl_mutex_lock(s.m, &g);
			int v = *(int *)rl_mutex_guard_get(&g);
			rl_mutex_guard_drop(&g);
			if (v == 1 + (int)n)
				break;
			st_sleep_ms(1);
		}
	}
	for (unsigned i = 0; i < n; i++)
		st_join_ok(t[i]);
	rl_mutex_lock(s.m, &g);
	assert_int_equal(*(int *)rl_mutex_guard_get(&g), 1 + (int)n);
	rl_mutex_guard_drop(&g);
	rl_condvar_destroy(&s.cv);
	st_mutex_free(s.m);
}

static void test_notify_one_wakes_a_waiter(void **state)
{
	(void)state;
	run_waiters(1, false);
}

static void test_notify_all_wakes_every_waiter(void **state)
{
	(void)state;
	run_waiters(6, true);
}

static void test_notify_one_wakes_each_waiter_in_turn(void **state)
{
	(void)state;
	run_waiters(4, false);
}

static void test_wait_timeout_times_out(void **state)
{
	(void)state;
	rl_mutex *m = st_mutex_new(0);
	rl_condvar cv;
	rl_condvar_init(&cv);
	rl_mutex_guard g;
	rl_mutex_lock(m, &g);
	bool timed_out = false;
	uint64_t t0 = st_now_ns();
	/* Spurious wakeups may end a wait early; loop until the deadline. */
	while (!timed_out)
		assert_int_equal(rl_condvar_wait_timeout(&cv, &g, 20 * 1000000u, &timed_out),
				 RL_OK);
	assert_true(st_now_ns() - t0 >= 20 * 1000000u);
	/* The guard holds the lock again. */
	assert_int_equal(rl_mutex_try_lock(m, &(rl_mutex_guard){0}), RL_EBUSY);
	rl_mutex_guard_drop(&g);
	rl_condvar_destroy(&cv);
	st_mutex_free(m);
}

static void *notify_later(void *p)
{
	struct shared *s = p;
	st_sleep_ms(5);
	if (rl__probe_active)
		st_probed_write(&s->payload, 7);
	rl_mutex_guard g;
	rl_mutex_lock(s->m, &g);
	*(int *)rl_mutex_guard_get(&g) = 1;
	rl_mutex_guard_drop(&g);
	rl_condvar_notify_one(&s->cv);
	return NULL;
}

static void test_wait_timeout_notified_does_not_time_out(void **state)
{
	(void)state;
	struct shared s = {.m = st_mutex_new(sizeof(int))};
	rl_condvar_init(&s.cv);
	rl_mutex_guard g;
	rl_mutex_lock(s.m, &g);
	rl_thread *t = st_spawn(notify_later, &s);
	bool timed_out = false;
	while (*(int *)rl_mutex_guard_get(&g) == 0 && !timed_out)
		rl_condvar_wait_timeout(&s.cv, &g, 10ull * 1000000000u, &timed_out);
	assert_false(timed_out);
	assert_int_equal(*(int *)rl_mutex_guard_get(&g), 1);
	rl_mutex_guard_drop(&g);
	st_join_ok(t);
	rl_condvar_destroy(&s.cv);
	st_mutex_free(s.m);
}

struct two {
	rl_mutex *m;
	rl_condvar *cv;
};

static void *wait_briefly(void *p)
{
	struct two *a = p;
	rl_mutex_guard g;
	rl_mutex_lock(a->m, &g);
	rl_condvar_wait_timeout(a->cv, &g, 1000000u, NULL);
	rl_mutex_guard_drop(&g);
	return NULL;
}

static void test_two_mutexes_panics(void **state)
{
	(void)state;
	rl_condvar cv;
	rl_condvar_init(&cv);
	struct two a = {st_mutex_new(0), &cv}, b = {st_mutex_new(0), &cv};
	st_join_ok(st_spawn(wait_briefly, &a));
	st_join_ok(st_spawn(wait_briefly, &a)); /* the same mutex again: fine */
	st_join_panicked(st_spawn(wait_briefly, &b),
			 "attempted to use a condition variable with two mutexes");
	/* The panic ran the guard's cleanup: b's mutex is poisoned and unlocked. */
	assert_true(rl_mutex_is_poisoned(b.m));
	assert_false(rl_mutex_is_poisoned(a.m));
	rl_condvar_destroy(&cv);
	st_mutex_free(a.m);
	st_mutex_free(b.m);
}

static void *lock_and_panic(void *p)
{
	rl_mutex_guard g;
	rl_mutex_lock(p, &g);
	rl_panic("holder panics");
}

static void test_wait_reports_poison_after_relock(void **state)
{
	(void)state;
	rl_mutex *m = st_mutex_new(0);
	rl_condvar cv;
	rl_condvar_init(&cv);
	rl_mutex_guard g;
	rl_mutex_lock(m, &g);
	rl_thread *t = st_spawn(lock_and_panic, m);
	/* The panicking thread can only lock while this one waits. */
	int st = RL_OK;
	while (st == RL_OK)
		st = rl_condvar_wait_timeout(&cv, &g, 1000000u, NULL);
	assert_int_equal(st, RL_POISONED);
	rl_mutex_guard_drop(&g);
	st_join_panicked(t, "holder panics");
	rl_condvar_destroy(&cv);
	st_mutex_free(m);
}

/* Under the detector a wait is unlock, yield, relock: the flag handed over
 * through the mutex is no race, and the waiter still sees it. */
static void test_detector_sees_the_handoff(void **state)
{
	(void)state;
	struct shared s = {.m = st_mutex_new(sizeof(int))};
	rl_condvar_init(&s.cv);
	rl_probe_config cfg = {.detect = true};
	assert_int_equal(rl_probe_attach(&cfg), RL_OK);
	rl_thread *t = st_spawn(notify_later, &s);
	rl_mutex_guard g;
	rl_mutex_lock(s.m, &g);
	while (*(int *)rl_mutex_guard_get(&g) == 0)
		rl_condvar_wait(&s.cv, &g);
	rl_mutex_guard_drop(&g);
	assert_int_equal(st_probed_read(&s.payload), 7);
	st_join_ok(t);
	assert_int_equal(rl_probe_detach(), RL_OK);
	assert_int_equal(st_races(), 0);
	rl_probe_reset();
	rl_condvar_destroy(&s.cv);
	st_mutex_free(s.m);
}

/* Under the scheduler a wait is a scheduling point (a yield), never a futex
 * sleep: the handoff completes and the run is serialised, not hung. */
static void test_scheduler_runs_the_handoff_without_hanging(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 5; seed++) {
		struct shared s = {.m = st_mutex_new(sizeof(int))};
		rl_condvar_init(&s.cv);
		rl_probe_config cfg = {.schedule = RL_SCHEDULE_RANDOM, .seed = seed,
				       .max_steps = 100000};
		assert_int_equal(rl_probe_attach(&cfg), RL_OK);
		rl_thread *t = st_spawn(wait_for_flag, &s);
		rl_mutex_guard g;
		rl_mutex_lock(s.m, &g);
		*(int *)rl_mutex_guard_get(&g) = 1;
		rl_mutex_guard_drop(&g);
		rl_condvar_notify_one(&s.cv);
		st_join_ok(t);
		assert_int_equal(rl_probe_detach(), RL_OK);
		rl_probe_stats st;
		rl_probe_get_stats(&st);
		assert_false(st.deadlock);
		assert_false(st.step_limit);
		assert_true(st.switches > 0); /* serialised: the baton moved */
		rl_probe_reset();
		rl_mutex_lock(s.m, &g);
		assert_int_equal(*(int *)rl_mutex_guard_get(&g), 2); /* the waiter saw it */
		rl_mutex_guard_drop(&g);
		rl_condvar_destroy(&s.cv);
		st_mutex_free(s.m);
	}
}

/* ---- stress: ping-pong --------------------------------------------------- */

enum { TURNS = 20000 };

struct pingpong {
	rl_mutex *m; /* Mutex<int>: the turn number; even: ping's turn */
	rl_condvar cv;
};

static void *pong(void *p)
{
	struct pingpong *s = p;
	rl_mutex_guard g;
	rl_mutex_lock(s->m, &g);
	int *turn = rl_mutex_guard_get(&g);
	while (*turn < 2 * TURNS) {
		while (*turn % 2 == 0)
			rl_condvar_wait(&s->cv, &g);
		(*turn)++;
		rl_condvar_notify_one(&s->cv);
		while (*turn % 2 == 1 && *turn < 2 * TURNS)
			rl_condvar_wait(&s->cv, &g);
	}
	rl_mutex_guard_drop(&g);
	return NULL;
}

static void test_stress_ping_pong_sees_every_turn(void **state)
{
	(void)state;
	struct pingpong s = {.m = st_mutex_new(sizeof(int))};
	rl_condvar_init(&s.cv);
	rl_thread *t = st_spawn(pong, &s);
	rl_mutex_guard g;
	rl_mutex_lock(s.m, &g);
	int *turn = rl_mutex_guard_get(&g);
	int mine = 0;
	while (*turn < 2 * TURNS) {
		assert_int_equal(*turn, 2 * mine);
		(*turn)++;
		mine++;
		rl_condvar_notify_one(&s.cv);
		while (*turn % 2 == 1)
			rl_condvar_wait(&s.cv, &g);
	}
	assert_int_equal(mine, TURNS);
	rl_condvar_notify_one(&s.cv);
	rl_mutex_guard_drop(&g);
	st_join_ok(t);
	rl_condvar_destroy(&s.cv);
	st_mutex_free(s.m);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "stress")) {
		const struct CMUnitTest stress[] = {
			cmocka_unit_test(test_stress_ping_pong_sees_every_turn),
		};
		return cmocka_run_group_tests_name("condvar-stress", stress, NULL, NULL);
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smoke_notify_without_waiters),
		cmocka_unit_test(test_notify_one_wakes_a_waiter),
		cmocka_unit_test(test_notify_all_wakes_every_waiter),
		cmocka_unit_test(test_notify_one_wakes_each_waiter_in_turn),
		cmocka_unit_test(test_wait_timeout_times_out),
		cmocka_unit_test(test_wait_timeout_notified_does_not_time_out),
		cmocka_unit_test(test_two_mutexes_panics),
		cmocka_unit_test(test_wait_reports_poison_after_relock),
		cmocka_unit_test(test_detector_sees_the_handoff),
		cmocka_unit_test(test_scheduler_runs_the_handoff_without_hanging),
	};
	return cmocka_run_group_tests_name("condvar", tests, NULL, NULL);
}
