/* test_arc.c — Arc<T> and sync::Weak<T>: counts, drop timing, get_mut,
 * try_unwrap, into_inner with racing owners, overflow (abort / panic), and
 * stress tests (run with the argument "stress") of concurrent clone/drop and of Weak
 * upgrade/downgrade against get_mut and the last drop.
 *
 * Ported from the behaviour of Rust's library/alloctests/tests/arc.rs and the
 * Arc doc-tests (into_inner's two-thread example). Workers return counts; the
 * main thread asserts after join (cmocka is not thread-safe).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <racelab/arc.h>
#include <racelab/status.h>
#include <racelab/thread.h>

#include "death.h"

/* ---- a drop function that records what it saw --------------------------- */

static _Atomic int drops;
static _Atomic int64_t last_dropped_value;

static void count_drop(void *value)
{
	int64_t v;
	memcpy(&v, value, sizeof(v));
	atomic_store(&last_dropped_value, v);
	atomic_fetch_add(&drops, 1);
}

static int reset_drops(void **state)
{
	(void)state;
	atomic_store(&drops, 0);
	atomic_store(&last_dropped_value, 0);
	return 0;
}

static rl_arc *new_i64(int64_t v)
{
	rl_arc *a = rl_arc_new(sizeof(int64_t), count_drop);
	assert_non_null(a);
	*(int64_t *)rl_arc_get(a) = v;
	return a;
}

static rl_thread *spawn(rl_thread_fn *fn, void *arg, const char *name)
{
	rl_thread *t = NULL;
	rl_thread_opts o = {.name = name};
	assert_int_equal(rl_thread_spawn(&t, fn, arg, &o), RL_OK);
	return t;
}

static void *join(rl_thread *t)
{
	void *ret = NULL;
	assert_int_equal(rl_thread_join(t, &ret), RL_OK);
	return ret;
}

/* ---- layout --------------------------------------------------------------- */

static void test_arc_box_is_rust_arcinner_with_handle_one_word(void **state)
{
	(void)state;
	assert_int_equal(sizeof(rl_arc *), sizeof(void *));
	assert_int_equal(offsetof(rl_arc, strong), 0);
	assert_int_equal(offsetof(rl_arc, weak), sizeof(size_t));
	assert_int_equal(offsetof(rl_arc, value), 2 * sizeof(size_t));
	/* ArcInner<i32>: the header plus an i32, padded to the header's word. */
	size_t inner_i32 = (offsetof(rl_arc, value) + sizeof(int32_t) + sizeof(size_t) - 1)
			   / sizeof(size_t) * sizeof(size_t);
	assert_int_equal(inner_i32, 24);
	rl_arc *a = rl_arc_new(1, NULL);
	assert_non_null(a);
	assert_int_equal((uintptr_t)rl_arc_get(a) % _Alignof(max_align_t), 0);
	rl_arc_drop(a);
}

static void test_arc_new_is_zero_filled_with_strong_one_weak_zero(void **state)
{
	(void)state;
	unsigned char zero[64] = {0};
	rl_arc *a = rl_arc_new(sizeof(zero), NULL);
	assert_non_null(a);
	assert_memory_equal(rl_arc_get(a), zero, sizeof(zero));
	assert_int_equal(rl_arc_strong_count(a), 1);
	assert_int_equal(rl_arc_weak_count(a), 0);
	assert_int_equal(rl_arc_value_size(a), sizeof(zero));
	rl_arc_drop(a);
	assert_null(rl_arc_new(SIZE_MAX - 8, NULL));
}

/* ---- counts and drop timing ---------------------------------------------- */

static void test_arc_counts_follow_clone_drop_downgrade_upgrade(void **state)
{
	(void)state;
	/* Rust's arc.rs test_strong_count / test_weak_count. */
	rl_arc *a = new_i64(0);
	rl_arc_weak *w = rl_arc_downgrade(a);
	assert_int_equal(rl_arc_strong_count(a), 1);
	assert_int_equal(rl_arc_weak_count(a), 1);
	assert_int_equal(rl_arc_weak_strong_count(w), 1);
	assert_int_equal(rl_arc_weak_weak_count(w), 1);
	rl_arc *b = rl_arc_weak_upgrade(w);
	assert_ptr_equal(b, a);
	assert_int_equal(rl_arc_strong_count(a), 2);
	rl_arc *c = rl_arc_clone(a);
	assert_int_equal(rl_arc_strong_count(a), 3);
	rl_arc_weak *w2 = rl_arc_weak_clone(w);
	assert_int_equal(rl_arc_weak_count(a), 2);
	rl_arc_weak_drop(w2);
	rl_arc_weak_drop(w);
	assert_int_equal(rl_arc_weak_count(a), 0);
	rl_arc_drop(c);
	rl_arc_drop(b);
	assert_int_equal(rl_arc_strong_count(a), 1);
	assert_int_equal(atomic_load(&drops), 0);
	rl_arc_drop(a);
	assert_int_equal(atomic_load(&drops), 1);
}

static void test_arc_drop_fn_runs_once_at_the_last_strong_drop(void **state)
{
	(void)state;
	rl_arc *a = new_i64(42);
	rl_arc *refs[8];
	for (int i = 0; i < 8; i++)
		refs[i] = rl_arc_clone(a);
	rl_arc_drop(a); /* the original goes first: any reference keeps the value */
	for (int i = 0; i < 8; i++) {
		assert_int_equal(atomic_load(&drops), 0);
		rl_arc_drop(refs[i]);
	}
	assert_int_equal(atomic_load(&drops), 1);
	assert_int_equal(atomic_load(&last_dropped_value), 42);
}

static void test_arc_weak_upgrade_after_last_strong_drop_is_null(void **state)
{
	(void)state;
	/* Rust's arc.rs test_dead / weak_self_cyclic: the Weak keeps the memory,
	 * not the value. */
	rl_arc *a = new_i64(5);
	rl_arc_weak *w = rl_arc_downgrade(a);
	rl_arc_drop(a);
	assert_int_equal(atomic_load(&drops), 1);
	assert_int_equal(atomic_load(&last_dropped_value), 5);
	assert_null(rl_arc_weak_upgrade(w));
	assert_int_equal(rl_arc_weak_strong_count(w), 0);
	assert_int_equal(rl_arc_weak_weak_count(w), 0);
	rl_arc_weak *w2 = rl_arc_weak_clone(w);
	rl_arc_weak_drop(w);
	assert_null(rl_arc_weak_upgrade(w2));
	rl_arc_weak_drop(w2);
	rl_arc_weak_drop(NULL);
	assert_int_equal(atomic_load(&drops), 1);
}

/* ---- uniqueness ----------------------------------------------------------- */

static void test_arc_get_mut_only_when_unique(void **state)
{
	(void)state;
	/* Rust's arc.rs get_mut test. */
	rl_arc *x = new_i64(3);
	int64_t *p = rl_arc_get_mut(x);
	assert_non_null(p);
	*p = 4;
	assert_int_equal(*(int64_t *)rl_arc_get(x), 4);
	rl_arc *y = rl_arc_clone(x);
	assert_null(rl_arc_get_mut(x));
	rl_arc_drop(y);
	assert_non_null(rl_arc_get_mut(x));
	rl_arc_weak *w = rl_arc_downgrade(x);
	assert_null(rl_arc_get_mut(x));
	rl_arc_weak_drop(w);
	assert_ptr_equal(rl_arc_get_mut(x), rl_arc_get(x));
	assert_int_equal(rl_arc_weak_count(x), 0); /* the weak lock was released */
	rl_arc_drop(x);
}

static void test_arc_try_unwrap_moves_the_value_out_of_a_unique_arc(void **state)
{
	(void)state;
	int64_t out = 0;
	rl_arc *x = new_i64(3);
	assert_int_equal(rl_arc_try_unwrap(x, &out), RL_OK);
	assert_int_equal(out, 3);
	x = new_i64(4);
	rl_arc *y = rl_arc_clone(x);
	out = 0;
	assert_int_equal(rl_arc_try_unwrap(x, &out), RL_EBUSY);
	assert_int_equal(out, 0);
	assert_int_equal(rl_arc_strong_count(x), 2);
	rl_arc_drop(y);
	rl_arc_weak *w = rl_arc_downgrade(x);
	assert_int_equal(rl_arc_try_unwrap(x, &out), RL_OK);
	assert_int_equal(out, 4);
	assert_null(rl_arc_weak_upgrade(w));
	rl_arc_weak_drop(w);
	assert_int_equal(atomic_load(&drops), 0); /* moved, never dropped */
	x = rl_arc_new(0, NULL);
	assert_int_equal(rl_arc_try_unwrap(x, NULL), RL_OK);
}

static void test_arc_into_inner_gives_the_value_to_the_last_owner(void **state)
{
	(void)state;
	/* Rust's arc.rs into_inner test. */
	int64_t out = 0;
	rl_arc *x = new_i64(3);
	assert_int_equal(rl_arc_into_inner(x, &out), RL_OK);
	assert_int_equal(out, 3);
	x = new_i64(4);
	rl_arc *y = rl_arc_clone(x);
	out = 0;
	assert_int_equal(rl_arc_into_inner(x, &out), RL_EBUSY);
	assert_int_equal(out, 0);
	assert_int_equal(rl_arc_strong_count(y), 1);
	rl_arc_weak *w = rl_arc_downgrade(y);
	assert_int_equal(rl_arc_into_inner(y, &out), RL_OK);
	assert_int_equal(out, 4);
	assert_null(rl_arc_weak_upgrade(w));
	rl_arc_weak_drop(w);
	assert_int_equal(atomic_load(&drops), 0);
}

static void test_arc_ptr_eq_compares_boxes(void **state)
{
	(void)state;
	rl_arc *a = new_i64(1), *b = new_i64(1);
	rl_arc *a2 = rl_arc_clone(a);
	assert_true(rl_arc_ptr_eq(a, a2));
	assert_false(rl_arc_ptr_eq(a, b));
	rl_arc_drop(a2);
	rl_arc_drop(a);
	rl_arc_drop(b);
	assert_int_equal(atomic_load(&drops), 2);
}

/* ---- into_inner with two racing owners ------------------------------------ */

#define INTO_INNER_ROUNDS 2000

struct into_inner_race {
	pthread_barrier_t start, done;
	rl_arc *handle[2];
	int wins[2];       /* per worker: rounds it got RL_OK */
	int bad_value[2];  /* rounds where the value was wrong */
	_Atomic int arrived;
};

struct into_inner_worker {
	struct into_inner_race *r;
	int idx;
};

static void *into_inner_worker(void *arg)
{
	struct into_inner_worker *w = arg;
	struct into_inner_race *r = w->r;
	for (int i = 0; i < INTO_INNER_ROUNDS; i++) {
		pthread_barrier_wait(&r->start);
		/* The barrier wakes the workers one after the other: line them up
		 * on a spin gate so that both calls really overlap. */
		atomic_fetch_add(&r->arrived, 1);
		while (atomic_load(&r->arrived) < 2 * (i + 1))
			;
		int64_t out = -1;
		int st = rl_arc_into_inner(r->handle[w->idx], &out);
		if (st == RL_OK) {
			r->wins[w->idx]++;
			if (out != i)
				r->bad_value[w->idx]++;
		} else if (st != RL_EBUSY || out != -1) {
			r->bad_value[w->idx]++;
		}
		pthread_barrier_wait(&r->done);
	}
	return NULL;
}

static void test_arc_into_inner_with_two_racing_owners_has_one_winner(void **state)
{
	(void)state;
	/* The into_inner doc-test: two threads, one clone each; exactly one gets
	 * the value, every time (try_unwrap cannot promise that). */
	struct into_inner_race r = {0};
	struct into_inner_worker w[2] = {{&r, 0}, {&r, 1}};
	assert_int_equal(pthread_barrier_init(&r.start, NULL, 3), 0);
	assert_int_equal(pthread_barrier_init(&r.done, NULL, 3), 0);
	rl_thread *t0 = spawn(into_inner_worker, &w[0], "owner-0");
	rl_thread *t1 = spawn(into_inner_worker, &w[1], "owner-1");
	int one_winner = 0;
	for (int i = 0; i < INTO_INNER_ROUNDS; i++) {
		int before = r.wins[0] + r.wins[1];
		r.handle[0] = new_i64(i);
		r.handle[1] = rl_arc_clone(r.handle[0]);
		pthread_barrier_wait(&r.start);
		pthread_barrier_wait(&r.done);
		one_winner += r.wins[0] + r.wins[1] == before + 1;
	}
	join(t0);
	join(t1);
	pthread_barrier_destroy(&r.start);
	pthread_barrier_destroy(&r.done);
	assert_int_equal(one_winner, INTO_INNER_ROUNDS);
	assert_int_equal(r.wins[0] + r.wins[1], INTO_INNER_ROUNDS);
	assert_int_equal(r.bad_value[0] + r.bad_value[1], 0);
	assert_int_equal(atomic_load(&drops), 0); /* moved out, never dropped */
}

/* ---- overflow: death tests ----------------------------------------------- */

static void clone_past_max(void *arg)
{
	(void)arg;
	rl_arc *a = rl_arc_new(sizeof(int), NULL);
	atomic_store(&a->strong, RL_ARC_MAX_REFCOUNT + 1);
	rl_arc_clone(a);
}

static void clone_at_max(void *arg)
{
	(void)arg;
	rl_arc *a = rl_arc_new(sizeof(int), NULL);
	atomic_store(&a->strong, RL_ARC_MAX_REFCOUNT);
	rl_arc_clone(a); /* old == isize::MAX is still allowed, as in Rust */
	if (atomic_load(&a->strong) != RL_ARC_MAX_REFCOUNT + 1)
		_exit(1);
}

static void weak_clone_past_max(void *arg)
{
	(void)arg;
	rl_arc *a = rl_arc_new(sizeof(int), NULL);
	rl_arc_weak *w = rl_arc_downgrade(a);
	atomic_store(&a->weak, RL_ARC_MAX_REFCOUNT + 1);
	rl_arc_weak_clone(w);
}

/* The panic exits the process (status 101): keep the box reachable from a
 * global so LeakSanitizer's exit-time check does not count it as a leak. */
static rl_arc *panicking_arc;

static void downgrade_past_max(void *arg)
{
	(void)arg;
	rl_arc *a = panicking_arc = rl_arc_new(sizeof(int), NULL);
	atomic_store(&a->weak, RL_ARC_MAX_REFCOUNT + 1);
	rl_arc_downgrade(a);
}

static void upgrade_past_max(void *arg)
{
	(void)arg;
	rl_arc *a = panicking_arc = rl_arc_new(sizeof(int), NULL);
	rl_arc_weak *w = rl_arc_downgrade(a);
	atomic_store(&a->strong, RL_ARC_MAX_REFCOUNT + 1);
	rl_arc_weak_upgrade(w);
}

static void expect_abort(void (*fn)(void *))
{
	struct death d = death_run(fn, NULL);
	assert_true(d.signaled);
	assert_int_equal(d.signal, SIGABRT);
	assert_non_null(strstr(d.err, "racelab: fatal: Arc counter overflow ("));
	assert_non_null(strstr(d.err, "arc.c:"));
}

/* Rust panics (not aborts) in downgrade and upgrade: on the main thread that
 * ends the process with status 101. */
static void expect_panic(void (*fn)(void *))
{
	struct death d = death_run(fn, NULL);
	assert_true(d.exited);
	assert_int_equal(d.status, 101);
	assert_non_null(strstr(d.err, "thread 'main' panicked at "));
	assert_non_null(strstr(d.err, "Arc counter overflow"));
}

static void test_arc_clone_past_isize_max_aborts(void **state)
{
	(void)state;
	expect_abort(clone_past_max);
}

static void test_arc_clone_at_isize_max_does_not_abort(void **state)
{
	(void)state;
	struct death d = death_run(clone_at_max, NULL);
	assert_true(d.exited);
	assert_int_equal(d.status, 0);
	assert_string_equal(d.err, "");
}

static void test_arc_weak_clone_past_isize_max_aborts(void **state)
{
	(void)state;
	expect_abort(weak_clone_past_max);
}

static void test_arc_downgrade_past_isize_max_panics(void **state)
{
	(void)state;
	expect_panic(downgrade_past_max);
}

static void test_arc_upgrade_past_isize_max_panics(void **state)
{
	(void)state;
	expect_panic(upgrade_past_max);
}

/* ---- stress (--stress) ----------------------------------------------------- */

#define STRESS_THREADS 4
#define STRESS_ITERS 200000

struct clone_drop_arg {
	rl_arc *a;
	pthread_barrier_t *go;
	long done;
};

static void *clone_drop_worker(void *arg)
{
	struct clone_drop_arg *c = arg;
	rl_arc *held[4];
	pthread_barrier_wait(c->go);
	for (long i = 0; i < STRESS_ITERS; i++) {
		/* Hold up to four references at once so the count moves by more than one. */
		int k = (int)(i & 3) + 1;
		for (int j = 0; j < k; j++)
			held[j] = rl_arc_clone(c->a);
		for (int j = 0; j < k; j++)
			rl_arc_drop(held[j]);
		c->done++;
	}
	return NULL;
}

static void test_arc_concurrent_clone_drop_keeps_exact_counts(void **state)
{
	(void)state;
	pthread_barrier_t go;
	assert_int_equal(pthread_barrier_init(&go, NULL, STRESS_THREADS), 0);
	rl_arc *a = new_i64(77);
	struct clone_drop_arg args[STRESS_THREADS];
	rl_thread *t[STRESS_THREADS];
	for (int i = 0; i < STRESS_THREADS; i++) {
		/* Each worker owns one clone (like moving an Arc into a thread). */
		args[i] = (struct clone_drop_arg){.a = rl_arc_clone(a), .go = &go};
		t[i] = spawn(clone_drop_worker, &args[i], "worker");
	}
	for (int i = 0; i < STRESS_THREADS; i++)
		join(t[i]);
	pthread_barrier_destroy(&go);
	for (int i = 0; i < STRESS_THREADS; i++)
		assert_int_equal(args[i].done, STRESS_ITERS);
	assert_int_equal(rl_arc_strong_count(a), 1 + STRESS_THREADS);
	assert_int_equal(rl_arc_weak_count(a), 0);
	for (int i = 0; i < STRESS_THREADS; i++)
		rl_arc_drop(args[i].a);
	assert_int_equal(atomic_load(&drops), 0);
	assert_int_equal(rl_arc_strong_count(a), 1);
	rl_arc_drop(a);
	assert_int_equal(atomic_load(&drops), 1);
	assert_int_equal(atomic_load(&last_dropped_value), 77);
}

/*
 * rust#24880: get_mut must never report "unique" while another thread holds a
 * reference, even one that keeps switching between a strong and a weak form
 * (downgrade, drop the strong; upgrade, drop the weak). The other thread
 * always holds at least one of the two, so every get_mut must return NULL.
 */
struct flip_arg {
	rl_arc *strong; /* the worker's reference */
	_Atomic bool stop;
	_Atomic long flips;
	long failed_upgrades;
};

static void spin(unsigned n)
{
	for (volatile unsigned i = 0; i < n; i++)
		;
}

static void *flip_worker(void *arg)
{
	struct flip_arg *f = arg;
	rl_arc *s = f->strong;
	unsigned hold = 0;
	while (!atomic_load_explicit(&f->stop, memory_order_relaxed)) {
		/* Stay a varying while in each state (only a strong reference, only
		 * a weak one) so that get_mut's reads fall on every transition. */
		spin(hold = (hold + 7) & 63);
		rl_arc_weak *w = rl_arc_downgrade(s);
		rl_arc_drop(s);
		spin(hold = (hold + 7) & 63);
		s = rl_arc_weak_upgrade(w);
		rl_arc_weak_drop(w);
		if (!s) {
			f->failed_upgrades++; /* impossible: main holds a strong reference */
			return NULL;
		}
		atomic_fetch_add_explicit(&f->flips, 1, memory_order_relaxed);
	}
	rl_arc_drop(s);
	return NULL;
}

#define GET_MUT_ITERS 300000
#define GET_MUT_MIN_FLIPS 10000

static void test_arc_get_mut_is_never_unique_against_weak_flips(void **state)
{
	(void)state;
	rl_arc *a = new_i64(1);
	struct flip_arg f = {.strong = rl_arc_clone(a)};
	rl_thread *t = spawn(flip_worker, &f, "flipper");
	long unique = 0;
	/* Overlap the flipper for real: wait until it runs, and keep going
	 * until it has flipped many times (a hang here is a failure too). */
	while (atomic_load_explicit(&f.flips, memory_order_relaxed) == 0)
		;
	for (long i = 0; i < GET_MUT_ITERS ||
	     atomic_load_explicit(&f.flips, memory_order_relaxed) < GET_MUT_MIN_FLIPS; i++) {
		int64_t *p = rl_arc_get_mut(a);
		if (p) {
			unique++;
			(*p)++; /* would race with the flipper's reference */
		}
	}
	atomic_store(&f.stop, true);
	join(t);
	assert_int_equal(f.failed_upgrades, 0);
	assert_true(atomic_load(&f.flips) >= GET_MUT_MIN_FLIPS);
	assert_int_equal(unique, 0);
	/* The flipper has dropped everything: now get_mut must succeed. */
	assert_non_null(rl_arc_get_mut(a));
	assert_int_equal(rl_arc_strong_count(a), 1);
	assert_int_equal(rl_arc_weak_count(a), 0);
	rl_arc_drop(a);
	assert_int_equal(atomic_load(&drops), 1);
}

/*
 * Weak upgrade never takes the count from 0 to 1: while one thread drops the
 * last strong reference, another upgrades in a loop. Whenever an upgrade
 * succeeds, the value must not have been dropped yet, and the drop must then
 * wait for that new reference.
 */
#define UPGRADE_ROUNDS 2000

struct value_with_flag {
	_Atomic int dropped;
	int64_t payload;
};

static void flag_drop(void *value)
{
	struct value_with_flag *v = value;
	atomic_store(&v->dropped, 1);
	atomic_fetch_add(&drops, 1);
}

struct upgrade_race {
	pthread_barrier_t start, done;
	rl_arc *strong;
	rl_arc_weak *weak;
	long successes, saw_dropped;
};

static void *last_dropper(void *arg)
{
	struct upgrade_race *r = arg;
	for (int i = 0; i < UPGRADE_ROUNDS; i++) {
		pthread_barrier_wait(&r->start);
		rl_arc_drop(r->strong);
		pthread_barrier_wait(&r->done);
	}
	return NULL;
}

static void *upgrader(void *arg)
{
	struct upgrade_race *r = arg;
	for (int i = 0; i < UPGRADE_ROUNDS; i++) {
		pthread_barrier_wait(&r->start);
		for (int k = 0; k < 64; k++) {
			rl_arc *s = rl_arc_weak_upgrade(r->weak);
			if (!s)
				break;
			r->successes++;
			struct value_with_flag *v = rl_arc_get(s);
			if (atomic_load(&v->dropped))
				r->saw_dropped++;
			rl_arc_drop(s);
		}
		pthread_barrier_wait(&r->done);
	}
	return NULL;
}

static void test_arc_weak_upgrade_never_revives_a_dropped_value(void **state)
{
	(void)state;
	struct upgrade_race r = {0};
	assert_int_equal(pthread_barrier_init(&r.start, NULL, 3), 0);
	assert_int_equal(pthread_barrier_init(&r.done, NULL, 3), 0);
	rl_thread *t0 = spawn(last_dropper, &r, "dropper");
	rl_thread *t1 = spawn(upgrader, &r, "upgrader");
	for (int i = 0; i < UPGRADE_ROUNDS; i++) {
		r.strong = rl_arc_new(sizeof(struct value_with_flag), flag_drop);
		assert_non_null(r.strong);
		r.weak = rl_arc_downgrade(r.strong);
		pthread_barrier_wait(&r.start);
		pthread_barrier_wait(&r.done);
		assert_null(rl_arc_weak_upgrade(r.weak));
		rl_arc_weak_drop(r.weak);
	}
	join(t0);
	join(t1);
	pthread_barrier_destroy(&r.start);
	pthread_barrier_destroy(&r.done);
	assert_int_equal(r.saw_dropped, 0);
	assert_int_equal(atomic_load(&drops), UPGRADE_ROUNDS);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "stress") == 0) {
		const struct CMUnitTest stress[] = {
			cmocka_unit_test_setup(test_arc_concurrent_clone_drop_keeps_exact_counts, reset_drops),
			cmocka_unit_test_setup(test_arc_get_mut_is_never_unique_against_weak_flips, reset_drops),
			cmocka_unit_test_setup(test_arc_weak_upgrade_never_revives_a_dropped_value, reset_drops),
		};
		return cmocka_run_group_tests_name("arc_stress", stress, NULL, NULL);
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arc_box_is_rust_arcinner_with_handle_one_word),
		cmocka_unit_test(test_arc_new_is_zero_filled_with_strong_one_weak_zero),
		cmocka_unit_test_setup(test_arc_counts_follow_clone_drop_downgrade_upgrade, reset_drops),
		cmocka_unit_test_setup(test_arc_drop_fn_runs_once_at_the_last_strong_drop, reset_drops),
		cmocka_unit_test_setup(test_arc_weak_upgrade_after_last_strong_drop_is_null, reset_drops),
		cmocka_unit_test(test_arc_get_mut_only_when_unique),
		cmocka_unit_test_setup(test_arc_try_unwrap_moves_the_value_out_of_a_unique_arc, reset_drops),
		cmocka_unit_test_setup(test_arc_into_inner_gives_the_value_to_the_last_owner, reset_drops),
		cmocka_unit_test_setup(test_arc_ptr_eq_compares_boxes, reset_drops),
		cmocka_unit_test_setup(test_arc_into_inner_with_two_racing_owners_has_one_winner, reset_drops),
		cmocka_unit_test(test_arc_clone_past_isize_max_aborts),
		cmocka_unit_test(test_arc_clone_at_isize_max_does_not_abort),
		cmocka_unit_test(test_arc_weak_clone_past_isize_max_aborts),
		cmocka_unit_test(test_arc_downgrade_past_isize_max_panics),
		cmocka_unit_test(test_arc_upgrade_past_isize_max_panics),
	};
	return cmocka_run_group_tests_name("arc", tests, NULL, NULL);
}
