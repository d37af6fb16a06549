/* test_once.c — Once: ports of Rust's std/src/sync/once tests (smoke,
 * stampede, poison), the waiters' view of the run's writes, the detector's
 * edge; with "stress", many rounds of racing callers on a fresh Once.
 */
#include "sync_test.h"

#include <stdatomic.h>
#include <stdbool.h>

#include <racelab/once.h>
#include <racelab/probe.h>

static void bump(void *p)
{
	(*(int *)p)++;
}

static void test_smoke_runs_once(void **state)
{
	(void)state;
	static rl_once o = RL_ONCE_INIT;
	int runs = 0;
	assert_false(rl_once_is_completed(&o));
	rl_once_call(&o, bump, &runs);
	assert_int_equal(runs, 1);
	rl_once_call(&o, bump, &runs);
	assert_int_equal(runs, 1);
	assert_true(rl_once_is_completed(&o));
}

struct stampede {
	rl_once once;
	_Atomic int runs;
	int64_t value;   /* written by the run, plain (probed under the detector) */
	int seen[16];    /* what each caller read after its call */
	unsigned next;
	_Atomic unsigned started;
};

static void slow_init(void *p)
{
	struct stampede *s = p;
	atomic_fetch_add(&s->runs, 1);
	st_sleep_ms(10); /* the others arrive and must wait */
	if (rl__probe_active)
		st_probed_write(&s->value, 42);
	else
		s->value = 42;
}

static void *caller(void *p)
{
	struct stampede *s = p;
	unsigned me = atomic_fetch_add(&s->started, 1);
	rl_once_call(&s->once, slow_init, s);
	/* No race: the run happens before the return. */
	s->seen[me] = (int)(rl__probe_active ? st_probed_read(&s->value) : s->value);
	return NULL;
}

static void run_stampede(unsigned n)
{
	struct stampede s = {.once = RL_ONCE_INIT};
	rl_thread *t[16];
	for (unsigned i = 0; i < n; i++)
		t[i] = st_spawn(caller, &s);
	for (unsigned i = 0; i < n; i++)
		st_join_ok(t[i]);
	assert_int_equal(atomic_load(&s.runs), 1);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(s.seen[i], 42);
	assert_true(rl_once_is_completed(&s.once));
}

static void test_stampede_runs_once_and_everyone_waits(void **state)
{
	(void)state;
	run_stampede(10);
}

static void panicking_init(void *p)
{
	(void)p;
	rl_panic("the initialiser fails");
}

static void *call_panicking(void *p)
{
	rl_once_call(p, panicking_init, NULL);
	return NULL;
}

static void *call_bump(void *p)
{
	int runs = 0;
	rl_once_call(p, bump, &runs);
	return NULL;
}

static void test_panicking_run_poisons(void **state)
{
	(void)state;
	rl_once o = RL_ONCE_INIT;
	st_join_panicked(st_spawn(call_panicking, &o), "the initialiser fails");
	assert_false(rl_once_is_completed(&o));
	/* Every later call panics, as Rust's call_once does. */
	st_join_panicked(st_spawn(call_bump, &o), "Once instance has previously been poisoned");
	st_join_panicked(st_spawn(call_bump, &o), "Once instance has previously been poisoned");
}

struct poison_wait {
	rl_once once;
	_Atomic int waiting;
};

static void init_after_waiter(void *p)
{
	struct poison_wait *w = p;
	while (atomic_load(&w->waiting) == 0)
		st_sleep_ms(1);
	st_sleep_ms(5); /* the waiter is (most likely) asleep by now */
	rl_panic("the initialiser fails late");
}

static void *run_init_after_waiter(void *p)
{
	struct poison_wait *w = p;
	rl_once_call(&w->once, init_after_waiter, w);
	return NULL;
}

static void *wait_on_poisoned(void *p)
{
	struct poison_wait *w = p;
	atomic_store(&w->waiting, 1);
	int runs = 0;
	rl_once_call(&w->once, bump, &runs);
	return NULL;
}

static void test_waiter_panics_when_the_run_panics(void **state)
{
	(void)state;
	struct poison_wait w = {.once = RL_ONCE_INIT};
	rl_thread *runner = st_spawn(run_init_after_waiter, &w);
	while (atomic_load_explicit((_Atomic uint32_t *)&w.once.state, memory_order_relaxed) == 0)
		st_sleep_ms(1); /* the runner owns the Once before the waiter starts */
	rl_thread *waiter = st_spawn(wait_on_poisoned, &w);
	st_join_panicked(runner, "the initialiser fails late");
	st_join_panicked(waiter, "Once instance has previously been poisoned");
}

static void test_detector_sees_the_run_before_the_calls(void **state)
{
	(void)state;
	rl_probe_config cfg = {.detect = true};
	assert_int_equal(rl_probe_attach(&cfg), RL_OK);
	run_stampede(4);
	assert_int_equal(rl_probe_detach(), RL_OK);
	assert_int_equal(st_races(), 0);
	rl_probe_reset();
}

static void test_stress_many_rounds(void **state)
{
	(void)state;
	for (int round = 0; round < 200; round++)
		run_stampede(4);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "stress")) {
		const struct CMUnitTest stress[] = {cmocka_unit_test(test_stress_many_rounds)};
		return cmocka_run_group_tests_name("once-stress", stress, NULL, NULL);
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smoke_runs_once),
		cmocka_unit_test(test_stampede_runs_once_and_everyone_waits),
		cmocka_unit_test(test_panicking_run_poisons),
		cmocka_unit_test(test_waiter_panics_when_the_run_panics),
		cmocka_unit_test(test_detector_sees_the_run_before_the_calls),
	};
	return cmocka_run_group_tests_name("once", tests, NULL, NULL);
}
