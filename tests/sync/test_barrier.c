/* test_barrier.c — Barrier: the port of Rust's std/src/sync/barrier test
 * (N threads, exactly one leader), reuse over generations, every thread
 * seeing every other's writes after the wait, n 0 and 1; with "stress",
 * many generations with a leader count per generation.
 */
#include "sync_test.h"

#include <stdatomic.h>
#include <stdbool.h>

#include <racelab/barrier.h>
#include <racelab/probe.h>

enum { MAX_THREADS = 8 };

struct phases {
	rl_barrier b;
	unsigned n, rounds;
	_Atomic unsigned leaders[512]; /* per generation */
	int64_t marks[MAX_THREADS];    /* plain: each thread writes its own (probed) */
	bool skip_wait;                /* the detector's twin: no barrier at all */
	unsigned id;
	_Atomic unsigned next_id;
	_Atomic bool bad;
};

static void *phase_worker(void *p)
{
	struct phases *s = p;
	unsigned me = atomic_fetch_add(&s->next_id, 1);
	for (unsigned r = 0; r < s->rounds; r++) {
		if (rl__probe_active)
			st_probed_write(&s->marks[me], (int64_t)r + 1);
		else
			s->marks[me] = (int64_t)r + 1;
		if (s->skip_wait) {
			for (unsigned i = 0; i < s->n; i++)
				st_probed_read(&s->marks[i]);
			continue;
		}
		if (rl_barrier_wait(&s->b))
			atomic_fetch_add(&s->leaders[r], 1);
		/* After the wait every thread has written round r's mark. */
		for (unsigned i = 0; i < s->n; i++) {
			int64_t v = rl__probe_active ? st_probed_read(&s->marks[i]) : s->marks[i];
			if (v < (int64_t)r + 1)
				atomic_store(&s->bad, true);
		}
		/* A second wait so nobody overwrites a mark still being read. */
		rl_barrier_wait(&s->b);
	}
	return NULL;
}

static struct phases s;

static void start_phases(unsigned n, unsigned rounds, bool skip_wait)
{
	memset(&s, 0, sizeof s);
	s.n = n;
	s.rounds = rounds;
	s.skip_wait = skip_wait;
	rl_barrier_init(&s.b, n);
	rl_thread *t[MAX_THREADS];
	for (unsigned i = 0; i < n; i++)
		t[i] = st_spawn(phase_worker, &s);
	for (unsigned i = 0; i < n; i++)
		st_join_ok(t[i]);
}

static void run_phases(unsigned n, unsigned rounds)
{
	start_phases(n, rounds, false);
	for (unsigned r = 0; r < rounds; r++)
		assert_int_equal(atomic_load(&s.leaders[r]), 1);
	assert_false(atomic_load(&s.bad));
	rl_barrier_destroy(&s.b);
}

static void test_exactly_one_leader(void **state)
{
	(void)state;
	run_phases(8, 1);
}

static void test_reusable_over_generations(void **state)
{
	(void)state;
	run_phases(3, 50);
}

static void test_one_and_zero_are_always_leaders(void **state)
{
	(void)state;
	rl_barrier b;
	rl_barrier_init(&b, 1);
	assert_true(rl_barrier_wait(&b));
	assert_true(rl_barrier_wait(&b));
	rl_barrier_destroy(&b);
	rl_barrier_init(&b, 0);
	assert_true(rl_barrier_wait(&b));
	rl_barrier_destroy(&b);
}

static void test_detector_sees_the_barrier(void **state)
{
	(void)state;
	rl_probe_config cfg = {.detect = true};
	assert_int_equal(rl_probe_attach(&cfg), RL_OK);
	run_phases(3, 4);
	assert_int_equal(rl_probe_detach(), RL_OK);
	assert_int_equal(st_races(), 0);
	rl_probe_reset();
}

/* The twin: the same marks without the barrier are races. */
static void test_detector_reports_marks_without_the_barrier(void **state)
{
	(void)state;
	rl_probe_config cfg = {.detect = true};
	assert_int_equal(rl_probe_attach(&cfg), RL_OK);
	start_phases(3, 4, true);
	assert_int_equal(rl_probe_detach(), RL_OK);
	assert_true(st_races() >= 1);
	rl_probe_reset();
	rl_barrier_destroy(&s.b);
}

static void test_stress_many_generations(void **state)
{
	(void)state;
	run_phases(4, 512);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "stress")) {
		const struct CMUnitTest stress[] = {cmocka_unit_test(test_stress_many_generations)};
		return cmocka_run_group_tests_name("barrier-stress", stress, NULL, NULL);
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exactly_one_leader),
		cmocka_unit_test(test_reusable_over_generations),
		cmocka_unit_test(test_one_and_zero_are_always_leaders),
		cmocka_unit_test(test_detector_sees_the_barrier),
		cmocka_unit_test(test_detector_reports_marks_without_the_barrier),
	};
	return cmocka_run_group_tests_name("barrier", tests, NULL, NULL);
}
