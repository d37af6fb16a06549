/* test_rwlock.c — RwLock<T>: ports of Rust's std/src/sync/rwlock tests
 * (smoke, frob, poison by a writer not a reader, try_write/try_read while
 * held, the Arc<RwLock<T>> counter), sizes beside rustc's, the writer
 * preference (no writer starvation), !Send guard aborts, the detector's
 * edges; with "stress", readers and writers checking an invariant.
 */
#include "sync_test.h"

#include <stdatomic.h>
#include <stdbool.h>

#include <racelab/arc.h>
#include <racelab/rwlock.h>

#include "death.h"

static rl_rwlock *rw_new(size_t value_size)
{
	rl_rwlock *l = malloc(rl_rwlock_size(value_size));
	assert_non_null(l);
	rl_rwlock_init(l, value_size);
	return l;
}

static void rw_free(rl_rwlock *l)
{
	rl_rwlock_destroy(l);
	free(l);
}

static void test_sizes_match_rust(void **state)
{
	(void)state;
	/* rustc 1.95, x86_64 Linux: size_of::<RwLock<T>>(). */
	assert_int_equal(rl_rwlock_size(sizeof(int32_t)), 16);
	assert_int_equal(rl_rwlock_size(sizeof(uint8_t)), 12);
	assert_int_equal(rl_rwlock_size(0), 12);
	assert_int_equal(rl_rwlock_size(sizeof(uint64_t)), 24);
}

static void test_smoke_read_and_write(void **state)
{
	(void)state;
	rl_rwlock *l = rw_new(sizeof(int));
	rl_rwlock_read_guard r1, r2;
	rl_rwlock_write_guard w;
	assert_int_equal(rl_rwlock_read(l, &r1), RL_OK);
	assert_int_equal(rl_rwlock_read(l, &r2), RL_OK); /* readers share */
	assert_int_equal(*(const int *)rl_rwlock_read_guard_get(&r1), 0);
	assert_int_equal(rl_rwlock_try_write(l, &w), RL_EBUSY);
	rl_rwlock_read_guard_drop(&r1);
	assert_int_equal(rl_rwlock_try_write(l, &w), RL_EBUSY);
	rl_rwlock_read_guard_drop(&r2);
	assert_int_equal(rl_rwlock_write(l, &w), RL_OK);
	*(int *)rl_rwlock_write_guard_get(&w) = 5;
	assert_int_equal(rl_rwlock_try_read(l, &r1), RL_EBUSY);
	assert_int_equal(rl_rwlock_try_write(l, &(rl_rwlock_write_guard){0}), RL_EBUSY);
	rl_rwlock_write_guard_drop(&w);
	assert_int_equal(rl_rwlock_try_read(l, &r1), RL_OK);
	assert_int_equal(*(const int *)rl_rwlock_read_guard_get(&r1), 5);
	rl_rwlock_read_guard_drop(&r1);
	rw_free(l);
}

static void *write_then_panic(void *p)
{
	rl_rwlock_write_guard w;
	rl_rwlock_write(p, &w);
	rl_panic("writer panics");
}

static void *read_then_panic(void *p)
{
	rl_rwlock_read_guard r;
	rl_rwlock_read(p, &r);
	rl_panic("reader panics");
}

static void test_panicking_writer_poisons(void **state)
{
	(void)state;
	rl_rwlock *l = rw_new(sizeof(int));
	st_join_panicked(st_spawn(write_then_panic, l), "writer panics");
	assert_true(rl_rwlock_is_poisoned(l));
	rl_rwlock_read_guard r;
	rl_rwlock_write_guard w;
	assert_int_equal(rl_rwlock_read(l, &r), RL_POISONED); /* held anyway */
	rl_rwlock_read_guard_drop(&r);
	assert_int_equal(rl_rwlock_write(l, &w), RL_POISONED);
	rl_rwlock_write_guard_drop(&w);
	rl_rwlock_clear_poison(l);
	assert_int_equal(rl_rwlock_try_write(l, &w), RL_OK);
	rl_rwlock_write_guard_drop(&w);
	rw_free(l);
}

static void test_panicking_reader_does_not_poison(void **state)
{
	(void)state;
	rl_rwlock *l = rw_new(sizeof(int));
	st_join_panicked(st_spawn(read_then_panic, l), "reader panics");
	assert_false(rl_rwlock_is_poisoned(l));
	/* The panic unlocked the read lock: a writer gets in. */
	rl_rwlock_write_guard w;
	assert_int_equal(rl_rwlock_try_write(l, &w), RL_OK);
	rl_rwlock_write_guard_drop(&w);
	rw_free(l);
}

/* ---- writer preference --------------------------------------------------- */

struct pref {
	rl_rwlock *l;
	_Atomic int writer_done;
};

static void *writer(void *p)
{
	struct pref *s = p;
	rl_rwlock_write_guard w;
	rl_rwlock_write(s->l, &w);
	(*(int *)rl_rwlock_write_guard_get(&w))++;
	atomic_store(&s->writer_done, 1);
	rl_rwlock_write_guard_drop(&w);
	return NULL;
}

/* A reader holds the lock and a writer waits: a new reader must not get in
 * (it would let overlapping readers starve the writer). */
static void test_waiting_writer_blocks_new_readers(void **state)
{
	(void)state;
	struct pref s = {.l = rw_new(sizeof(int))};
	rl_rwlock_read_guard held, r;
	assert_int_equal(rl_rwlock_read(s.l, &held), RL_OK);
	rl_thread *t = st_spawn(writer, &s);
	/* try_read succeeds until the writer has announced itself. */
	uint64_t t0 = st_now_ns();
	bool blocked = false;
	while (!blocked && st_now_ns() - t0 < 10ull * 1000000000u) {
		if (rl_rwlock_try_read(s.l, &r) == RL_EBUSY)
			blocked = true;
		else {
			rl_rwlock_read_guard_drop(&r);
			st_sleep_ms(1);
		}
	}
	assert_true(blocked);
	assert_int_equal(atomic_load(&s.writer_done), 0);
	rl_rwlock_read_guard_drop(&held); /* the last reader out wakes the writer */
	st_join_ok(t);
	assert_int_equal(rl_rwlock_read(s.l, &r), RL_OK);
	assert_int_equal(*(const int *)rl_rwlock_read_guard_get(&r), 1);
	rl_rwlock_read_guard_drop(&r);
	rw_free(s.l);
}

/* ---- frob / the Arc<RwLock<T>> counter ----------------------------------- */

enum { FROB_THREADS = 4, FROB_ITERS = 2000 };

struct frob {
	rl_arc *a; /* Arc<RwLock<[i64; 2]>>: the two halves always equal */
	_Atomic bool bad;
	unsigned iters;
};

static void *frob_worker(void *p)
{
	struct frob *f = p;
	rl_rwlock *l = rl_arc_get(f->a);
	for (unsigned i = 0; i < f->iters; i++) {
		if (i % 4 == 0) {
			rl_rwlock_write_guard w;
			rl_rwlock_write(l, &w);
			int64_t *v = rl_rwlock_write_guard_get(&w);
			v[0]++;
			v[1]++;
			rl_rwlock_write_guard_drop(&w);
		} else {
			rl_rwlock_read_guard r;
			rl_rwlock_read(l, &r);
			const int64_t *v = rl_rwlock_read_guard_get(&r);
			if (v[0] != v[1])
				atomic_store(&f->bad, true);
			rl_rwlock_read_guard_drop(&r);
		}
	}
	return NULL;
}

static void run_frob(unsigned iters)
{
	struct frob f = {.a = rl_arc_rwlock_new(2 * sizeof(int64_t), NULL), .iters = iters};
	assert_non_null(f.a);
	rl_thread *t[FROB_THREADS];
	for (int i = 0; i < FROB_THREADS; i++)
		t[i] = st_spawn(frob_worker, &f);
	for (int i = 0; i < FROB_THREADS; i++)
		st_join_ok(t[i]);
	assert_false(atomic_load(&f.bad));
	rl_rwlock_read_guard r;
	rl_rwlock_read(rl_arc_get(f.a), &r);
	const int64_t *v = rl_rwlock_read_guard_get(&r);
	int64_t writes = FROB_THREADS * (int64_t)((iters + 3) / 4);
	assert_int_equal(v[0], writes);
	assert_int_equal(v[1], writes);
	rl_rwlock_read_guard_drop(&r);
	rl_arc_drop(f.a);
}

static void test_frob_readers_see_whole_writes(void **state)
{
	(void)state;
	run_frob(FROB_ITERS);
}

static int drops;
static void count_drop(void *v)
{
	assert_int_equal(*(int32_t *)v, 9);
	drops++;
}

static void test_arc_rwlock_is_one_allocation_and_drops_once(void **state)
{
	(void)state;
	rl_arc *a = rl_arc_rwlock_new(sizeof(int32_t), count_drop);
	assert_non_null(a);
	rl_rwlock *l = rl_arc_get(a);
	/* The lock block is the Arc's value, inside the one allocation. */
	assert_true(rl_arc_value_size(a) >= rl_rwlock_size(sizeof(int32_t)));
	rl_rwlock_write_guard w;
	rl_rwlock_write(l, &w);
	*(int32_t *)rl_rwlock_write_guard_get(&w) = 9;
	assert_ptr_equal(rl_rwlock_write_guard_get(&w), (unsigned char *)l + 12);
	rl_rwlock_write_guard_drop(&w);
	drops = 0;
	rl_arc *b = rl_arc_clone(a);
	rl_arc_drop(a);
	assert_int_equal(drops, 0);
	rl_arc_drop(b);
	assert_int_equal(drops, 1);
}

/* ---- aborts --------------------------------------------------------------- */

static void drop_read_twice(void *p)
{
	(void)p;
	rl_rwlock *l = rw_new(sizeof(int));
	rl_rwlock_read_guard r;
	rl_rwlock_read(l, &r);
	rl_rwlock_read_guard_drop(&r);
	rl_rwlock_read_guard_drop(&r);
}

static void destroy_write_locked(void *p)
{
	(void)p;
	rl_rwlock *l = rw_new(sizeof(int));
	rl_rwlock_write_guard w;
	rl_rwlock_write(l, &w);
	rl_rwlock_destroy(l);
}

static void test_misuse_aborts(void **state)
{
	(void)state;
	struct death d = death_run(drop_read_twice, NULL);
	assert_true(d.signaled);
	assert_non_null(strstr(d.err, "racelab: fatal: unlock of a RwLock through a read guard"));
	d = death_run(destroy_write_locked, NULL);
	assert_true(d.signaled);
	assert_non_null(strstr(d.err, "racelab: fatal: destroy of a locked RwLock"));
}

/* ---- the detector ---------------------------------------------------------- */

struct probed {
	rl_rwlock *l;
	int64_t data; /* probed plain location, written under the write lock */
	bool use_lock;
};

static void *probed_worker(void *p)
{
	struct probed *s = p;
	for (int i = 0; i < 100; i++) {
		rl_rwlock_write_guard w;
		rl_rwlock_read_guard r;
		if (s->use_lock)
			rl_rwlock_write(s->l, &w);
		st_probed_write(&s->data, st_probed_read(&s->data) + 1);
		if (s->use_lock) {
			rl_rwlock_write_guard_drop(&w);
			rl_rwlock_read(s->l, &r);
		}
		st_probed_read(&s->data);
		if (s->use_lock)
			rl_rwlock_read_guard_drop(&r);
	}
	return NULL;
}

static uint64_t run_probed(bool use_lock)
{
	struct probed s = {.l = rw_new(0), .use_lock = use_lock};
	rl_probe_config cfg = {.detect = true};
	assert_int_equal(rl_probe_attach(&cfg), RL_OK);
	rl_thread *a = st_spawn(probed_worker, &s), *b = st_spawn(probed_worker, &s);
	st_join_ok(a);
	st_join_ok(b);
	assert_int_equal(rl_probe_detach(), RL_OK);
	uint64_t races = st_races();
	rl_probe_reset();
	if (use_lock)
		assert_int_equal(s.data, 200);
	rw_free(s.l);
	return races;
}

static void test_detector_sees_unlock_to_lock_edges(void **state)
{
	(void)state;
	assert_int_equal(run_probed(true), 0);
	assert_true(run_probed(false) >= 1); /* the twin without the lock */
}

static void test_stress_frob(void **state)
{
	(void)state;
	run_frob(200000);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "stress")) {
		const struct CMUnitTest stress[] = {cmocka_unit_test(test_stress_frob)};
		return cmocka_run_group_tests_name("rwlock-stress", stress, NULL, NULL);
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes_match_rust),
		cmocka_unit_test(test_smoke_read_and_write),
		cmocka_unit_test(test_panicking_writer_poisons),
		cmocka_unit_test(test_panicking_reader_does_not_poison),
		cmocka_unit_test(test_waiting_writer_blocks_new_readers),
		cmocka_unit_test(test_frob_readers_see_whole_writes),
		cmocka_unit_test(test_arc_rwlock_is_one_allocation_and_drops_once),
		cmocka_unit_test(test_misuse_aborts),
		cmocka_unit_test(test_detector_sees_unlock_to_lock_edges),
	};
	return cmocka_run_group_tests_name("rwlock", tests, NULL, NULL);
}
