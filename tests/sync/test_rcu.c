/* test_rcu.c — the RCU cell: load/store/swap, reclamation after the grace
 * period, nesting, aborts, thread registration, panics while pinned.
 *
 * Run with "stress" for the stress group: readers never see a dropped value
 * while a writer replaces it continuously (meaningful under ASan, which sees a
 * freed value, and TSan, which checks the annotations).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <racelab/probe.h>
#include <racelab/rcu.h>
#include <racelab/status.h>
#include <racelab/thread.h>

#include "death.h"

#define LIVE UINT64_C(0x11fe11fe11fe11fe)
#define DEAD UINT64_C(0xdeaddeaddeaddead)

/* A value with a magic word that its drop poisons before freeing. */
struct value {
	uint64_t magic;
	uint64_t seq;
};

static atomic_int drops;

static struct value *value_new(uint64_t seq)
{
	struct value *v = malloc(sizeof *v);
	assert_non_null(v);
	v->magic = LIVE;
	v->seq = seq;
	return v;
}

static void value_drop(void *p)
{
	struct value *v = p;
	v->magic = DEAD;
	atomic_fetch_add_explicit(&drops, 1, memory_order_relaxed);
	free(v);
}

static rl_thread *spawn(rl_thread_fn *fn, void *arg)
{
	rl_thread *t = NULL;
	assert_int_equal(rl_thread_spawn(&t, fn, arg, NULL), RL_OK);
	return t;
}

static uint64_t load_seq(rl_rcu_cell *cell)
{
	rl_rcu_guard g;
	rl_rcu_pin(&g);
	struct value *v = rl_rcu_cell_load(cell, &g);
	uint64_t seq = v ? v->seq : UINT64_MAX;
	rl_rcu_guard_drop(&g);
	return seq;
}

/* ---- unit --------------------------------------------------------------- */

static void test_load_sees_initial_then_stored_value(void **state)
{
	(void)state;
	atomic_store(&drops, 0);
	rl_rcu_cell cell;
	rl_rcu_cell_init(&cell, value_new(1), value_drop);
	assert_int_equal(load_seq(&cell), 1);
	rl_rcu_cell_store(&cell, value_new(2));
	assert_int_equal(atomic_load(&drops), 1); /* the old value, after the grace period */
	assert_int_equal(load_seq(&cell), 2);
	rl_rcu_cell_destroy(&cell);
	assert_int_equal(atomic_load(&drops), 2);
}

static void test_swap_returns_old_value_without_dropping(void **state)
{
	(void)state;
	atomic_store(&drops, 0);
	rl_rcu_cell cell;
	struct value *first = value_new(1);
	rl_rcu_cell_init(&cell, first, value_drop);
	struct value *old = rl_rcu_cell_swap(&cell, value_new(2));
	assert_ptr_equal(old, first);
	assert_int_equal(old->magic, LIVE);
	assert_int_equal(atomic_load(&drops), 0);
	value_drop(old);
	rl_rcu_cell_destroy(&cell);
	assert_int_equal(atomic_load(&drops), 2);
}

static void test_empty_cell_loads_null(void **state)
{
	(void)state;
	atomic_store(&drops, 0);
	rl_rcu_cell cell;
	rl_rcu_cell_init(&cell, NULL, value_drop);
	assert_int_equal(load_seq(&cell), UINT64_MAX);
	assert_null(rl_rcu_cell_swap(&cell, value_new(3)));
	assert_int_equal(load_seq(&cell), 3);
	rl_rcu_cell_store(&cell, NULL);
	assert_int_equal(atomic_load(&drops), 1);
	rl_rcu_cell_destroy(&cell);
	assert_int_equal(atomic_load(&drops), 1);
}

static void test_pins_nest(void **state)
{
	(void)state;
	rl_rcu_cell cell;
	rl_rcu_cell_init(&cell, value_new(4), value_drop);
	rl_rcu_guard outer, inner;
	rl_rcu_pin(&outer);
	rl_rcu_pin(&inner);
	struct value *v = rl_rcu_cell_load(&cell, &inner);
	rl_rcu_guard_drop(&inner);
	/* Still pinned by the outer guard: the value stays valid. */
	assert_int_equal(v->magic, LIVE);
	assert_ptr_equal(rl_rcu_cell_load(&cell, &outer), v);
	rl_rcu_guard_drop(&outer);
	rl_rcu_cell_destroy(&cell);
}

/* A reader on another thread holds a value; a store must wait for it. */
struct holder {
	rl_rcu_cell *cell;
	atomic_int stage; /* 1: pinned and loaded; 2: main stored (or tried) */
	uint64_t magic_after;
};

static void *hold_value(void *p)
{
	struct holder *h = p;
	rl_rcu_guard g;
	rl_rcu_pin(&g);
	struct value *v = rl_rcu_cell_load(h->cell, &g);
	atomic_store(&h->stage, 1);
	/* Give the writer time to reach synchronize_rcu (no correctness depends on it). */
	for (int i = 0; i < 20 && atomic_load(&drops) == 0; i++)
		usleep(1000);
	h->magic_after = v->magic; /* must still be LIVE: the writer waits for us */
	rl_rcu_guard_drop(&g);
	return NULL;
}

static void test_store_waits_for_pinned_reader(void **state)
{
	(void)state;
	atomic_store(&drops, 0);
	rl_rcu_cell cell;
	rl_rcu_cell_init(&cell, value_new(5), value_drop);
	struct holder h = {&cell, 0, 0};
	rl_thread *t = spawn(hold_value, &h);
	while (atomic_load(&h.stage) != 1)
		usleep(100);
	rl_rcu_cell_store(&cell, value_new(6)); /* blocks until the reader unpins */
	assert_int_equal(atomic_load(&drops), 1);
	assert_int_equal(rl_thread_join(t, NULL), RL_OK);
	assert_true(h.magic_after == LIVE);
	rl_rcu_cell_destroy(&cell);
}

static void *pin_and_exit(void *cell)
{
	return (void *)(uintptr_t)load_seq(cell);
}

static void test_exited_reader_threads_do_not_block_writers(void **state)
{
	(void)state;
	rl_rcu_cell cell;
	rl_rcu_cell_init(&cell, value_new(7), value_drop);
	for (int i = 0; i < 16; i++) {
		void *seq = NULL;
		assert_int_equal(rl_thread_join(spawn(pin_and_exit, &cell), &seq), RL_OK);
		assert_int_equal((uintptr_t)seq, 7);
	}
	rl_rcu_cell_store(&cell, value_new(8)); /* would hang on a stale registration */
	assert_int_equal(load_seq(&cell), 8);
	rl_rcu_cell_destroy(&cell);
}

static void *pin_and_panic(void *cell)
{
	rl_rcu_guard g;
	rl_rcu_pin(&g);
	(void)rl_rcu_cell_load(cell, &g);
	rl_panic("reader panics while pinned");
}

static void test_reader_panicking_while_pinned_does_not_block_writers(void **state)
{
	(void)state;
	atomic_store(&drops, 0);
	rl_rcu_cell cell;
	rl_rcu_cell_init(&cell, value_new(9), value_drop);
	void *msg = NULL;
	assert_int_equal(rl_thread_join(spawn(pin_and_panic, &cell), &msg), RL_EPANICKED);
	free(msg);
	rl_rcu_cell_store(&cell, value_new(10)); /* the exit hook left the section */
	assert_int_equal(atomic_load(&drops), 1);
	rl_rcu_cell_destroy(&cell);
}

/* ---- aborts ------------------------------------------------------------- */

static void store_while_pinned(void *arg)
{
	(void)arg;
	rl_rcu_cell cell;
	rl_rcu_cell_init(&cell, NULL, NULL);
	rl_rcu_guard g;
	rl_rcu_pin(&g);
	rl_rcu_cell_store(&cell, NULL);
}

static void drop_guard_twice(void *arg)
{
	(void)arg;
	rl_rcu_guard g;
	rl_rcu_pin(&g);
	rl_rcu_guard_drop(&g);
	rl_rcu_guard_drop(&g);
}

static void load_without_pin(void *arg)
{
	(void)arg;
	rl_rcu_cell cell;
	rl_rcu_cell_init(&cell, NULL, NULL);
	rl_rcu_guard g = {0};
	(void)rl_rcu_cell_load(&cell, &g);
}

static void expect_fatal(void (*fn)(void *), const char *what)
{
	struct death d = death_run(fn, NULL);
	assert_true(d.signaled);
	assert_int_equal(d.signal, SIGABRT);
	assert_non_null(strstr(d.err, "racelab: fatal: "));
	assert_non_null(strstr(d.err, what));
	assert_non_null(strstr(d.err, "(sync/rcu.c:"));
}

static void test_store_while_pinned_aborts(void **state)
{
	(void)state;
	expect_fatal(store_while_pinned, "inside a read-side critical section");
}

static void test_guard_dropped_twice_aborts(void **state)
{
	(void)state;
	expect_fatal(drop_guard_twice, "rl_rcu_guard_drop of a guard not pinned");
}

static void test_load_without_pin_aborts(void **state)
{
	(void)state;
	expect_fatal(load_without_pin, "rl_rcu_cell_load without a pinned guard");
}

/* ---- stress ------------------------------------------------------------- */

/* The writer goes on until it made WRITES replacements and every reader
 * made MIN_READS reads, so readers and writer overlap however they are scheduled. */
enum { READERS = 2, WRITES = 20000, MIN_READS = 20000 };

struct reader {
	rl_rcu_cell *cell;
	atomic_bool *stop;
	atomic_uint_fast64_t reads;
	uint64_t bad, backwards;
};

static void *read_continuously(void *p)
{
	struct reader *r = p;
	uint64_t last = 0;
	while (!atomic_load_explicit(r->stop, memory_order_relaxed)) {
		rl_rcu_guard g;
		rl_rcu_pin(&g);
		const struct value *v = rl_rcu_cell_load(r->cell, &g);
		for (int i = 0; i < 8; i++) { /* linger, so writers overlap us */
			if (v->magic != LIVE)
				r->bad++;
		}
		if (v->seq < last)
			r->backwards++;
		last = v->seq;
		rl_rcu_guard_drop(&g);
		atomic_fetch_add_explicit(&r->reads, 1, memory_order_relaxed);
	}
	return NULL;
}

static void test_readers_never_see_a_dropped_value(void **state)
{
	(void)state;
	atomic_store(&drops, 0);
	rl_rcu_cell cell;
	rl_rcu_cell_init(&cell, value_new(0), value_drop);
	atomic_bool stop = false;
	struct reader r[READERS];
	rl_thread *t[READERS];
	for (int i = 0; i < READERS; i++) {
		r[i] = (struct reader){&cell, &stop, 0, 0, 0};
		t[i] = spawn(read_continuously, &r[i]);
	}
	uint64_t seq = 0;
	for (;;) {
		bool readers_done = true;
		for (int i = 0; i < READERS; i++)
			readers_done &= atomic_load(&r[i].reads) >= MIN_READS;
		if (seq >= WRITES && readers_done)
			break;
		rl_rcu_cell_store(&cell, value_new(++seq));
	}
	atomic_store(&stop, true);
	for (int i = 0; i < READERS; i++) {
		assert_int_equal(rl_thread_join(t[i], NULL), RL_OK);
		assert_int_equal(r[i].bad, 0);
		assert_int_equal(r[i].backwards, 0);
	}
	assert_int_equal(atomic_load(&drops), seq);
	rl_rcu_cell_destroy(&cell);
	assert_int_equal(atomic_load(&drops), seq + 1);
}

/* Two writers and two readers: swaps hand values between writers too. */
struct writer {
	rl_rcu_cell *cell;
	uint64_t base;
	uint64_t bad;
};

static void *swap_continuously(void *p)
{
	struct writer *w = p;
	for (uint64_t i = 1; i <= WRITES / 2; i++) {
		struct value *old = rl_rcu_cell_swap(w->cell, value_new(w->base + i));
		if (old->magic != LIVE)
			w->bad++;
		value_drop(old);
	}
	return NULL;
}

static void test_concurrent_writers_hand_over_live_values(void **state)
{
	(void)state;
	atomic_store(&drops, 0);
	rl_rcu_cell cell;
	rl_rcu_cell_init(&cell, value_new(0), value_drop);
	atomic_bool stop = false;
	struct reader r = {&cell, &stop, 0, 0, 0};
	rl_thread *rt = spawn(read_continuously, &r);
	while (atomic_load(&r.reads) == 0) /* the reader is registered and reading */
		usleep(100);
	struct writer w[2] = {{&cell, 0, 0}, {&cell, 1u << 20, 0}};
	rl_thread *wt[2] = {spawn(swap_continuously, &w[0]), spawn(swap_continuously, &w[1])};
	for (int i = 0; i < 2; i++) {
		assert_int_equal(rl_thread_join(wt[i], NULL), RL_OK);
		assert_int_equal(w[i].bad, 0);
	}
	atomic_store(&stop, true);
	assert_int_equal(rl_thread_join(rt, NULL), RL_OK);
	assert_int_equal(r.bad, 0);
	rl_rcu_cell_destroy(&cell);
	assert_int_equal(atomic_load(&drops), 2 * (WRITES / 2) + 1);
}

/* ---- probes: the detector and the scheduler see RCU's edges ------------- */

enum { PROBE_WRITES = 40, PROBE_READS = 60 };

/* A value whose initialisation, reads and free the detector tracks. */
static struct value *probed_value_new(uint64_t seq)
{
	struct value *v = value_new(seq);
	rl__probe(&(rl_probe_ev){.op = RL_PROBE_ALLOC, .addr = v, .wval = sizeof *v, .name = "malloc"});
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_WRITE, &v->seq, "RCU value", "init");
	rl__probe_enter(&ev);
	v->seq = seq;
	ev.wval = seq;
	rl__probe_exit(&ev);
	return v;
}

static void probed_value_drop(void *p)
{
	rl__probe(&(rl_probe_ev){.op = RL_PROBE_FREE, .addr = p, .wval = sizeof(struct value),
				 .name = "free"});
	value_drop(p);
}

static void *read_probed(void *cell)
{
	uint64_t bad = 0;
	for (int i = 0; i < PROBE_READS; i++) {
		rl_rcu_guard g;
		rl_rcu_pin(&g);
		struct value *v = rl_rcu_cell_load(cell, &g);
		rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_READ, &v->seq, "RCU value", "read");
		rl__probe_enter(&ev);
		ev.rval = v->seq;
		rl__probe_exit(&ev);
		bad += v->magic != LIVE;
		rl_rcu_guard_drop(&g);
	}
	return (void *)(uintptr_t)bad;
}

static void *write_probed(void *cell)
{
	for (uint64_t seq = 1; seq <= PROBE_WRITES; seq++)
		rl_rcu_cell_store(cell, probed_value_new(seq));
	return NULL;
}

static void run_rcu_probed(const rl_probe_config *cfg)
{
	atomic_store(&drops, 0);
	assert_int_equal(rl_probe_attach(cfg), RL_OK);
	rl_rcu_cell cell;
	rl_rcu_cell_init(&cell, probed_value_new(0), probed_value_drop);
	rl_thread *r1 = spawn(read_probed, &cell), *r2 = spawn(read_probed, &cell);
	rl_thread *w = spawn(write_probed, &cell);
	void *bad1 = NULL, *bad2 = NULL;
	assert_int_equal(rl_thread_join(w, NULL), RL_OK);
	assert_int_equal(rl_thread_join(r1, &bad1), RL_OK);
	assert_int_equal(rl_thread_join(r2, &bad2), RL_OK);
	rl_rcu_cell_destroy(&cell);
	assert_int_equal(rl_probe_detach(), RL_OK);
	rl_probe_stats st;
	rl_probe_get_stats(&st);
	assert_false(st.deadlock);
	assert_int_equal(st.races, 0);
	assert_int_equal((uintptr_t)bad1 + (uintptr_t)bad2, 0);
	assert_int_equal(atomic_load(&drops), PROBE_WRITES + 1);
	rl_probe_reset();
}

static void test_detector_sees_publish_and_grace_period_edges(void **state)
{
	(void)state;
	run_rcu_probed(&(rl_probe_config){.detect = true});
}

static void test_scheduler_runs_readers_and_writer_to_completion(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++)
		run_rcu_probed(&(rl_probe_config){.detect = true, .schedule = RL_SCHEDULE_RANDOM,
						  .seed = seed});
	run_rcu_probed(&(rl_probe_config){.detect = true, .schedule = RL_SCHEDULE_PCT, .seed = 11});
}

/* Unprotected by RCU: a reader that keeps using the value after its guard. */
static void *read_after_guard_drop(void *cell)
{
	for (int i = 0; i < PROBE_READS; i++) {
		rl_rcu_guard g;
		rl_rcu_pin(&g);
		struct value *v = rl_rcu_cell_load(cell, &g);
		rl_rcu_guard_drop(&g);
		/* Only the event: the value may already be freed, so do not read it. */
		rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_READ, &v->seq, "RCU value", "late read");
		rl__probe_enter(&ev);
		rl__probe_exit(&ev);
	}
	return NULL;
}

static void test_detector_reports_a_read_outside_the_guard(void **state)
{
	(void)state;
	/* Whether the free lands after a late read depends on the schedule: try seeds. */
	uint64_t races = 0;
	for (uint64_t seed = 1; seed <= 20 && races == 0; seed++) {
		rl_probe_config cfg = {.detect = true, .schedule = RL_SCHEDULE_RANDOM, .seed = seed};
		assert_int_equal(rl_probe_attach(&cfg), RL_OK);
		rl_rcu_cell cell;
		rl_rcu_cell_init(&cell, probed_value_new(0), probed_value_drop);
		rl_thread *r = spawn(read_after_guard_drop, &cell), *w = spawn(write_probed, &cell);
		assert_int_equal(rl_thread_join(w, NULL), RL_OK);
		assert_int_equal(rl_thread_join(r, NULL), RL_OK);
		rl_rcu_cell_destroy(&cell);
		assert_int_equal(rl_probe_detach(), RL_OK);
		rl_probe_stats st;
		rl_probe_get_stats(&st);
		races = st.races;
		rl_probe_reset();
	}
	assert_true(races >= 1);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "stress")) {
		const struct CMUnitTest stress[] = {
			cmocka_unit_test(test_readers_never_see_a_dropped_value),
			cmocka_unit_test(test_concurrent_writers_hand_over_live_values),
		};
		return cmocka_run_group_tests_name("rcu-stress", stress, NULL, NULL);
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_sees_initial_then_stored_value),
		cmocka_unit_test(test_swap_returns_old_value_without_dropping),
		cmocka_unit_test(test_empty_cell_loads_null),
		cmocka_unit_test(test_pins_nest),
		cmocka_unit_test(test_store_waits_for_pinned_reader),
		cmocka_unit_test(test_exited_reader_threads_do_not_block_writers),
		cmocka_unit_test(test_reader_panicking_while_pinned_does_not_block_writers),
		cmocka_unit_test(test_store_while_pinned_aborts),
		cmocka_unit_test(test_guard_dropped_twice_aborts),
		cmocka_unit_test(test_load_without_pin_aborts),
		cmocka_unit_test(test_detector_sees_publish_and_grace_period_edges),
		cmocka_unit_test(test_scheduler_runs_readers_and_writer_to_completion),
		cmocka_unit_test(test_detector_reports_a_read_outside_the_guard),
	};
	return cmocka_run_group_tests_name("rcu", tests, NULL, NULL);
}
