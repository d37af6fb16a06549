/* test_mutex.c — Mutex<T>: locking, poisoning after rl_panic, clear_poison,
 * try_lock, unlock-not-held aborts, sizes, Arc<Mutex<T>> in one allocation.
 * Every behaviour test runs on both backends (futex and pthread) through the
 * prefixed names of sync/mutex_backends.h, and on the public names as a C
 * program calls them ("public": mutex.h's inline fast paths where the futex
 * backend is the default, with their out-of-line halves).
 *
 * Run with "stress" for the stress group: an Arc<Mutex<i64>> counter
 * incremented by several threads ends at exactly threads x iterations.
 */
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <stdarg.h>
#include <pthread.h>

#include <cmocka.h>

#include <racelab/arc.h>
#include <racelab/mutex.h>
#include <racelab/probe.h>
#include <racelab/status.h>
#include <racelab/thread.h>

#include "../../sync/mutex_backends.h"
#include "death.h"

/* One backend's entry points. */
struct backend {
	const char *name;
	size_t (*size)(size_t);
	size_t (*align)(size_t);
	size_t (*value_offset)(size_t);
	void (*init)(rl_mutex *, size_t);
	void (*destroy)(rl_mutex *);
	rl_arc *(*arc_new)(size_t, rl_drop_fn *);
	int (*lock)(rl_mutex *, rl_mutex_guard *);
	int (*try_lock)(rl_mutex *, rl_mutex_guard *);
	void (*guard_drop)(rl_mutex_guard *);
	bool (*is_poisoned)(const rl_mutex *);
	void (*clear_poison)(rl_mutex *);
	int (*get_mut)(rl_mutex *, void **);
	int (*into_inner)(rl_mutex *, void *, size_t);
};

#define BACKEND(P, label)                                                                  \
	{                                                                                  \
		label, P##_size, P##_align, P##_value_offset, P##_init, P##_destroy,       \
			P##_arc_new, P##_lock, P##_try_lock, P##_guard_drop, P##_is_poisoned, \
			P##_clear_poison, P##_get_mut, P##_into_inner                      \
	}

static const struct backend futex_backend = BACKEND(rl_fmutex, "futex");
static const struct backend pthread_backend = BACKEND(rl_pmutex, "pthread");

/* The public lock, try_lock and drop, compiled here: inline where
 * RL__MUTEX_INLINE, calls otherwise. */
static int public_lock(rl_mutex *m, rl_mutex_guard *g)
{
	return rl_mutex_lock(m, g);
}

static int public_try_lock(rl_mutex *m, rl_mutex_guard *g)
{
	return rl_mutex_try_lock(m, g);
}

static void public_guard_drop(rl_mutex_guard *g)
{
	rl_mutex_guard_drop(g);
}

#if RACELAB_MUTEX_FUTEX
#define default_value_offset rl_fmutex_value_offset
#else
#define default_value_offset rl_pmutex_value_offset
#endif

static const struct backend public_backend = {
	"public", rl_mutex_size, rl_mutex_align, default_value_offset, rl_mutex_init,
	rl_mutex_destroy, rl_arc_mutex_new, public_lock, public_try_lock, public_guard_drop,
	rl_mutex_is_poisoned, rl_mutex_clear_poison, rl_mutex_get_mut, rl_mutex_into_inner,
};

/* A heap Mutex<T> of @value_size bytes on backend @b. */
static rl_mutex *mutex_new(const struct backend *b, size_t value_size)
{
	rl_mutex *m = malloc(b->size(value_size));
	assert_non_null(m);
	assert_int_equal((uintptr_t)m % b->align(value_size), 0);
	b->init(m, value_size);
	return m;
}

static void mutex_free(const struct backend *b, rl_mutex *m)
{
	b->destroy(m);
	free(m);
}

static rl_thread *spawn(rl_thread_fn *fn, void *arg)
{
	rl_thread *t = NULL;
	assert_int_equal(rl_thread_spawn(&t, fn, arg, NULL), RL_OK);
	return t;
}

/* ---- sizes -------------------------------------------------------------- */

static void test_futex_mutex_sizes_match_rust(void **state)
{
	(void)state;
	/* rustc 1.95 x86_64: size_of::<Mutex<()>>() 8, <u8> 8, <i16> 8, <i32> 12,
	 * <u64> 16, <[u8; 5]> 12, <[u32; 3]> 20, <u128> 32. */
	assert_int_equal(rl_fmutex_size(0), 8);
	assert_int_equal(rl_fmutex_size(sizeof(uint8_t)), 8);
	assert_int_equal(rl_fmutex_size(sizeof(int16_t)), 8);
	assert_int_equal(rl_fmutex_size(sizeof(int32_t)), 12);
	assert_int_equal(rl_fmutex_size(sizeof(uint64_t)), 16);
	assert_int_equal(rl_fmutex_size(5), 12);
	assert_int_equal(rl_fmutex_size(3 * sizeof(uint32_t)), 20);
	assert_int_equal(rl_fmutex_size(16), 32);
	/* The value sits where Rust puts it for i32 and u64 (offset 8). */
	assert_int_equal(rl_fmutex_value_offset(sizeof(int32_t)), 8);
	assert_int_equal(rl_fmutex_value_offset(sizeof(uint64_t)), 8);
	assert_int_equal(rl_fmutex_align(sizeof(int32_t)), 4);
	assert_int_equal(rl_fmutex_align(sizeof(uint64_t)), 8);
	assert_int_equal(rl_fmutex_size(SIZE_MAX - 4), 0);
}

static void test_pthread_mutex_size_holds_a_pthread_mutex(void **state)
{
	(void)state;
	size_t off = rl_pmutex_value_offset(sizeof(int32_t));
	assert_true(off >= sizeof(pthread_mutex_t) + 2);
	assert_int_equal(off % alignof(int32_t), 0);
	size_t size = rl_pmutex_size(sizeof(int32_t));
	assert_true(size >= off + sizeof(int32_t));
	assert_int_equal(size % alignof(pthread_mutex_t), 0);
	assert_true(size < off + sizeof(int32_t) + alignof(pthread_mutex_t));
}

static void test_public_names_use_the_configured_backend(void **state)
{
	(void)state;
	const char *def = rl__mutex_default_backend;
	size_t want = !strcmp(def, "futex") ? rl_fmutex_size(sizeof(int32_t))
					    : rl_pmutex_size(sizeof(int32_t));
	assert_int_equal(rl_mutex_size(sizeof(int32_t)), want);
#ifdef RL_TEST_EXPECT_BACKEND
	assert_string_equal(def, RL_TEST_EXPECT_BACKEND);
#endif
}

/* ---- lock / unlock ------------------------------------------------------ */

static void test_lock_gives_zeroed_value_and_keeps_writes(void **state)
{
	const struct backend *b = *state;
	rl_mutex *m = mutex_new(b, sizeof(int64_t));
	rl_mutex_guard g;
	assert_int_equal(b->lock(m, &g), RL_OK);
	int64_t *v = rl_mutex_guard_get(&g);
	assert_int_equal((uintptr_t)v % alignof(int64_t), 0);
	assert_int_equal(*v, 0);
	*v = 41;
	b->guard_drop(&g);
	assert_int_equal(b->lock(m, &g), RL_OK);
	v = rl_mutex_guard_get(&g);
	assert_int_equal(++*v, 42);
	b->guard_drop(&g);
	assert_false(b->is_poisoned(m));
	mutex_free(b, m);
}

static void test_value_lies_inside_the_block(void **state)
{
	const struct backend *b = *state;
	for (size_t n = 0; n <= 40; n++) {
		rl_mutex *m = mutex_new(b, n);
		rl_mutex_guard g;
		assert_int_equal(b->lock(m, &g), RL_OK);
		unsigned char *v = rl_mutex_guard_get(&g);
		assert_ptr_equal(v, (unsigned char *)m + b->value_offset(n));
		assert_true(v + n <= (unsigned char *)m + b->size(n));
		memset(v, 0xab, n); /* ASan: stays inside the allocation */
		b->guard_drop(&g);
		mutex_free(b, m);
	}
}

struct panic_arg {
	const struct backend *b;
	rl_mutex *m;
	bool drop_before_panic;
};

static void *lock_then_panic(void *p)
{
	struct panic_arg *a = p;
	rl_mutex_guard g;
	a->b->lock(a->m, &g);
	*(int32_t *)rl_mutex_guard_get(&g) = 7;
	if (a->drop_before_panic)
		a->b->guard_drop(&g);
	rl_panic("worker gives up while %s the lock",
		 a->drop_before_panic ? "no longer holding" : "holding");
}

static void run_panicking_worker(struct panic_arg *a)
{
	void *msg = NULL;
	assert_int_equal(rl_thread_join(spawn(lock_then_panic, a), &msg), RL_EPANICKED);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "worker gives up"));
	free(msg);
}

static void test_lock_after_panic_returns_poisoned(void **state)
{
	const struct backend *b = *state;
	rl_mutex *m = mutex_new(b, sizeof(int32_t));
	struct panic_arg a = {b, m, false};
	run_panicking_worker(&a);
	assert_true(b->is_poisoned(m));
	rl_mutex_guard g;
	assert_int_equal(b->lock(m, &g), RL_POISONED);
	/* The lock is held and the value reachable, as with PoisonError::into_inner. */
	assert_int_equal(*(int32_t *)rl_mutex_guard_get(&g), 7);
	assert_int_equal(b->try_lock(m, &(rl_mutex_guard){0}), RL_EBUSY);
	b->guard_drop(&g);
	assert_true(b->is_poisoned(m)); /* dropping a guard does not clear it */
	mutex_free(b, m);
}

static void test_guard_dropped_before_panic_does_not_poison(void **state)
{
	const struct backend *b = *state;
	rl_mutex *m = mutex_new(b, sizeof(int32_t));
	struct panic_arg a = {b, m, true};
	run_panicking_worker(&a);
	assert_false(b->is_poisoned(m));
	rl_mutex_guard g;
	assert_int_equal(b->lock(m, &g), RL_OK);
	assert_int_equal(*(int32_t *)rl_mutex_guard_get(&g), 7);
	b->guard_drop(&g);
	mutex_free(b, m);
}

static void test_clear_poison_makes_lock_ok_again(void **state)
{
	const struct backend *b = *state;
	rl_mutex *m = mutex_new(b, sizeof(int32_t));
	struct panic_arg a = {b, m, false};
	run_panicking_worker(&a);
	assert_true(b->is_poisoned(m));
	b->clear_poison(m);
	assert_false(b->is_poisoned(m));
	rl_mutex_guard g;
	assert_int_equal(b->lock(m, &g), RL_OK);
	b->guard_drop(&g);
	mutex_free(b, m);
}

/* A second lock in the panicking thread's cleanup order: both guards poison. */
struct two_arg {
	const struct backend *b;
	rl_mutex *m1, *m2;
};

static void *lock_two_then_panic(void *p)
{
	struct two_arg *a = p;
	rl_mutex_guard g1, g2;
	a->b->lock(a->m1, &g1);
	a->b->lock(a->m2, &g2);
	rl_panic("two locks held");
}

static void test_panic_poisons_every_held_mutex(void **state)
{
	const struct backend *b = *state;
	struct two_arg a = {b, mutex_new(b, 4), mutex_new(b, 4)};
	void *msg = NULL;
	assert_int_equal(rl_thread_join(spawn(lock_two_then_panic, &a), &msg), RL_EPANICKED);
	free(msg);
	assert_true(b->is_poisoned(a.m1));
	assert_true(b->is_poisoned(a.m2));
	/* Both were unlocked by the panic. */
	rl_mutex_guard g;
	assert_int_equal(b->try_lock(a.m1, &g), RL_POISONED);
	b->guard_drop(&g);
	assert_int_equal(b->try_lock(a.m2, &g), RL_POISONED);
	b->guard_drop(&g);
	mutex_free(b, a.m1);
	mutex_free(b, a.m2);
}

/* ---- try_lock ----------------------------------------------------------- */

struct try_arg {
	const struct backend *b;
	rl_mutex *m;
	int status;
};

static void *try_lock_once(void *p)
{
	struct try_arg *a = p;
	rl_mutex_guard g;
	a->status = a->b->try_lock(a->m, &g);
	if (a->status >= 0)
		a->b->guard_drop(&g);
	return NULL;
}

static int try_lock_from_other_thread(const struct backend *b, rl_mutex *m)
{
	struct try_arg a = {b, m, 12345};
	assert_int_equal(rl_thread_join(spawn(try_lock_once, &a), NULL), RL_OK);
	return a.status;
}

static void test_try_lock_busy_while_held(void **state)
{
	const struct backend *b = *state;
	rl_mutex *m = mutex_new(b, sizeof(int32_t));
	rl_mutex_guard g;
	assert_int_equal(b->try_lock(m, &g), RL_OK);
	assert_int_equal(try_lock_from_other_thread(b, m), RL_EBUSY);
	b->guard_drop(&g);
	assert_int_equal(try_lock_from_other_thread(b, m), RL_OK);
	mutex_free(b, m);
}

static void test_try_lock_on_poisoned_mutex_returns_poisoned(void **state)
{
	const struct backend *b = *state;
	rl_mutex *m = mutex_new(b, sizeof(int32_t));
	struct panic_arg a = {b, m, false};
	run_panicking_worker(&a);
	assert_int_equal(try_lock_from_other_thread(b, m), RL_POISONED);
	rl_mutex_guard g;
	assert_int_equal(b->try_lock(m, &g), RL_POISONED);
	assert_int_equal(*(int32_t *)rl_mutex_guard_get(&g), 7);
	b->guard_drop(&g);
	mutex_free(b, m);
}

static void test_guards_dropped_out_of_order_unlock_each_mutex(void **state)
{
	const struct backend *b = *state;
	rl_mutex *m1 = mutex_new(b, 4), *m2 = mutex_new(b, 4);
	rl_mutex_guard g1, g2;
	assert_int_equal(b->lock(m1, &g1), RL_OK);
	assert_int_equal(b->lock(m2, &g2), RL_OK);
	b->guard_drop(&g1); /* not the innermost guard */
	assert_int_equal(try_lock_from_other_thread(b, m1), RL_OK);
	assert_int_equal(try_lock_from_other_thread(b, m2), RL_EBUSY);
	b->guard_drop(&g2);
	assert_int_equal(try_lock_from_other_thread(b, m2), RL_OK);
	assert_false(b->is_poisoned(m1));
	assert_false(b->is_poisoned(m2));
	mutex_free(b, m1);
	mutex_free(b, m2);
}

/* Where futex is the default, a guard from the public (inline) lock is an
 * rl_fmutex guard: either side may drop it, and each sees the other's lock. */
static void test_public_guards_are_futex_guards(void **state)
{
	(void)state;
#if RACELAB_MUTEX_FUTEX
	const struct backend *f = &futex_backend, *p = &public_backend;
	rl_mutex *m = mutex_new(f, sizeof(int32_t));
	rl_mutex_guard g;
	assert_int_equal(p->lock(m, &g), RL_OK);
	*(int32_t *)rl_mutex_guard_get(&g) = 3;
	assert_int_equal(try_lock_from_other_thread(f, m), RL_EBUSY);
	f->guard_drop(&g);
	assert_int_equal(f->lock(m, &g), RL_OK);
	assert_int_equal(*(int32_t *)rl_mutex_guard_get(&g), 3);
	assert_int_equal(try_lock_from_other_thread(p, m), RL_EBUSY);
	p->guard_drop(&g);
	assert_int_equal(p->try_lock(m, &g), RL_OK);
	f->guard_drop(&g);
	assert_false(f->is_poisoned(m));
	mutex_free(f, m);
#else
	skip();
#endif
}

/* ---- get_mut / into_inner ----------------------------------------------- */

static void test_get_mut_and_into_inner_report_poison(void **state)
{
	const struct backend *b = *state;
	rl_mutex *m = mutex_new(b, sizeof(int32_t));
	void *v = NULL;
	assert_int_equal(b->get_mut(m, &v), RL_OK);
	*(int32_t *)v = 5;
	struct panic_arg a = {b, m, false};
	run_panicking_worker(&a);
	assert_int_equal(b->get_mut(m, &v), RL_POISONED);
	assert_int_equal(*(int32_t *)v, 7);
	int32_t out = 0;
	assert_int_equal(b->into_inner(m, &out, sizeof out), RL_POISONED);
	assert_int_equal(out, 7);
	free(m); /* into_inner destroyed it */
}

/* ---- aborts ------------------------------------------------------------- */

static const struct backend *death_backend;

static void drop_guard_twice(void *arg)
{
	const struct backend *b = death_backend;
	(void)arg;
	rl_mutex *m = mutex_new(b, 4);
	rl_mutex_guard g;
	b->lock(m, &g);
	b->guard_drop(&g);
	b->guard_drop(&g);
}

static void *drop_foreign_guard(void *g)
{
	death_backend->guard_drop(g);
	return NULL;
}

static void drop_guard_on_other_thread(void *arg)
{
	const struct backend *b = death_backend;
	(void)arg;
	rl_mutex *m = mutex_new(b, 4);
	rl_mutex_guard g;
	b->lock(m, &g);
	rl_thread_join(spawn(drop_foreign_guard, &g), NULL);
}

static void destroy_locked(void *arg)
{
	const struct backend *b = death_backend;
	(void)arg;
	rl_mutex *m = mutex_new(b, 4);
	rl_mutex_guard g;
	b->lock(m, &g);
	b->destroy(m);
}

static void expect_fatal(void (*fn)(void *), const char *what)
{
	struct death d = death_run(fn, NULL);
	assert_true(d.signaled);
	assert_int_equal(d.signal, SIGABRT);
	assert_non_null(strstr(d.err, "racelab: fatal: "));
	assert_non_null(strstr(d.err, what));
	assert_non_null(strstr(d.err, "(sync/mutex.c:"));
}

static void test_unlock_through_dropped_guard_aborts(void **state)
{
	death_backend = *state;
	expect_fatal(drop_guard_twice, "unlock of a mutex through a guard that holds no lock");
}

static void test_unlock_on_another_thread_aborts(void **state)
{
	death_backend = *state;
	expect_fatal(drop_guard_on_other_thread, "unlock of a mutex not held by this thread");
}

static void test_destroy_locked_mutex_aborts(void **state)
{
	death_backend = *state;
	expect_fatal(destroy_locked, "destroy of a locked mutex");
}

/* ---- Arc<Mutex<T>> ------------------------------------------------------ */

static int drops;
static int64_t dropped_value;

static void record_drop(void *v)
{
	drops++;
	dropped_value = *(int64_t *)v;
}

static void test_arc_mutex_is_one_allocation(void **state)
{
	const struct backend *b = *state;
	rl_arc *a = b->arc_new(sizeof(int32_t), NULL);
	assert_non_null(a);
	unsigned char *box = (unsigned char *)a;
	unsigned char *m = rl_arc_get(a);
	/* The mutex is the Arc's value: inside the box, right after the header. */
	assert_ptr_equal(m, box + offsetof(rl_arc, value));
	assert_true(m >= box);
	rl_mutex_guard g;
	assert_int_equal(b->lock((rl_mutex *)m, &g), RL_OK);
	unsigned char *v = rl_mutex_guard_get(&g);
	assert_ptr_equal(v, m + b->value_offset(sizeof(int32_t)));
	assert_int_equal(*(int32_t *)v, 0);
	b->guard_drop(&g);
	assert_int_equal(rl_arc_value_size(a), b->size(sizeof(int32_t)));
	rl_arc_drop(a);
}

static void test_arc_mutex_drop_runs_once_on_the_value(void **state)
{
	const struct backend *b = *state;
	drops = 0;
	rl_arc *a = b->arc_new(sizeof(int64_t), record_drop);
	assert_non_null(a);
	rl_arc *c = rl_arc_clone(a);
	rl_mutex_guard g;
	assert_int_equal(b->lock(rl_arc_get(c), &g), RL_OK);
	*(int64_t *)rl_mutex_guard_get(&g) = 99;
	b->guard_drop(&g);
	rl_arc_drop(a);
	assert_int_equal(drops, 0);
	rl_arc_drop(c);
	assert_int_equal(drops, 1);
	assert_int_equal(dropped_value, 99);
}

/* ---- stress ------------------------------------------------------------- */

enum { STRESS_THREADS = 4, STRESS_ITERS = 250000 };

struct counter_arg {
	const struct backend *b;
	rl_arc *arc; /* this worker's own clone */
	int poisoned;
};

static void *count_up(void *p)
{
	struct counter_arg *a = p;
	rl_mutex *m = rl_arc_get(a->arc);
	for (int i = 0; i < STRESS_ITERS; i++) {
		rl_mutex_guard g;
		if (a->b->lock(m, &g) != RL_OK)
			a->poisoned++;
		int64_t *v = rl_mutex_guard_get(&g);
		*v += 1;
		a->b->guard_drop(&g);
	}
	rl_arc_drop(a->arc);
	return NULL;
}

static void test_arc_mutex_counter_is_exact_under_contention(void **state)
{
	const struct backend *b = *state;
	drops = 0;
	rl_arc *arc = b->arc_new(sizeof(int64_t), record_drop);
	assert_non_null(arc);
	struct counter_arg args[STRESS_THREADS];
	rl_thread *t[STRESS_THREADS];
	for (int i = 0; i < STRESS_THREADS; i++) {
		args[i] = (struct counter_arg){b, rl_arc_clone(arc), 0};
		t[i] = spawn(count_up, &args[i]);
	}
	for (int i = 0; i < STRESS_THREADS; i++) {
		assert_int_equal(rl_thread_join(t[i], NULL), RL_OK);
		assert_int_equal(args[i].poisoned, 0);
	}
	rl_mutex_guard g;
	assert_int_equal(b->lock(rl_arc_get(arc), &g), RL_OK);
	assert_int_equal(*(int64_t *)rl_mutex_guard_get(&g),
			 (int64_t)STRESS_THREADS * STRESS_ITERS);
	b->guard_drop(&g);
	rl_arc_drop(arc);
	assert_int_equal(drops, 1);
	assert_int_equal(dropped_value, (int64_t)STRESS_THREADS * STRESS_ITERS);
}

/* ---- probes: the detector and the scheduler see the mutex ---------------- */

enum { PROBE_THREADS = 2, PROBE_ITERS = 200 };

struct probe_arg {
	const struct backend *b;
	rl_mutex *m;
	int64_t *shared; /* a probed plain location, incremented under the lock (or not) */
	bool use_lock;
};

/* A plain read-modify-write the detector tracks, like an Rc count or a Cell. */
static void probed_increment(int64_t *x)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_READ, x, "Cell<i64>", "test increment");
	rl__probe_enter(&ev);
	int64_t v = *x;
	ev.rval = (uint64_t)v;
	rl__probe_exit(&ev);
	ev = RL_PROBE_EV(RL_PROBE_WRITE, x, "Cell<i64>", "test increment");
	rl__probe_enter(&ev);
	*x = v + 1;
	ev.wval = (uint64_t)(v + 1);
	rl__probe_exit(&ev);
}

static void *increment_probed(void *p)
{
	struct probe_arg *a = p;
	for (int i = 0; i < PROBE_ITERS; i++) {
		rl_mutex_guard g;
		if (a->use_lock)
			a->b->lock(a->m, &g);
		probed_increment(a->shared);
		if (a->use_lock)
			a->b->guard_drop(&g);
	}
	return NULL;
}

static rl_probe_stats run_probed(struct probe_arg *a, const rl_probe_config *cfg)
{
	assert_int_equal(rl_probe_attach(cfg), RL_OK);
	rl_thread *t[PROBE_THREADS];
	for (int i = 0; i < PROBE_THREADS; i++)
		t[i] = spawn(increment_probed, a);
	for (int i = 0; i < PROBE_THREADS; i++)
		assert_int_equal(rl_thread_join(t[i], NULL), RL_OK);
	assert_int_equal(rl_probe_detach(), RL_OK);
	rl_probe_stats st;
	rl_probe_get_stats(&st);
	return st;
}

static void test_detector_sees_unlock_to_lock_edges(void **state)
{
	const struct backend *b = *state;
	int64_t shared = 0;
	struct probe_arg a = {b, mutex_new(b, 0), &shared, true};
	rl_probe_stats st = run_probed(&a, &(rl_probe_config){.detect = true});
	assert_int_equal(st.races, 0);
	assert_int_equal(shared, PROBE_THREADS * PROBE_ITERS);
	rl_probe_reset();
	mutex_free(b, a.m);
}

static void test_detector_reports_the_same_updates_without_the_lock(void **state)
{
	const struct backend *b = *state;
	int64_t shared = 0;
	struct probe_arg a = {b, mutex_new(b, 0), &shared, false};
	rl_probe_stats st = run_probed(&a, &(rl_probe_config){.detect = true});
	assert_true(st.races >= 1);
	rl_probe_reset();
	mutex_free(b, a.m);
}

static void test_scheduler_serialises_lockers_exactly(void **state)
{
	const struct backend *b = *state;
	for (uint64_t seed = 1; seed <= 3; seed++) {
		int64_t shared = 0;
		struct probe_arg a = {b, mutex_new(b, 0), &shared, true};
		rl_probe_config cfg = {.detect = true, .schedule = RL_SCHEDULE_RANDOM, .seed = seed};
		rl_probe_stats st = run_probed(&a, &cfg);
		assert_false(st.deadlock);
		assert_int_equal(st.races, 0);
		assert_true(st.switches > 0);
		assert_int_equal(shared, PROBE_THREADS * PROBE_ITERS);
		rl_probe_reset();
		mutex_free(b, a.m);
	}
}

static void *lock_twice(void *p)
{
	struct probe_arg *a = p;
	rl_mutex_guard g1, g2;
	a->b->lock(a->m, &g1);
	a->b->lock(a->m, &g2); /* never returns: the scheduler reports a deadlock */
	return NULL;
}

static void test_scheduler_turns_self_deadlock_into_panic(void **state)
{
	const struct backend *b = *state;
	struct probe_arg a = {b, mutex_new(b, 0), NULL, true};
	rl_probe_config cfg = {.schedule = RL_SCHEDULE_RANDOM, .seed = 7};
	assert_int_equal(rl_probe_attach(&cfg), RL_OK);
	void *msg = NULL;
	assert_int_equal(rl_thread_join(spawn(lock_twice, &a), &msg), RL_EPANICKED);
	assert_non_null(strstr(msg, "deadlock"));
	free(msg);
	assert_int_equal(rl_probe_detach(), RL_OK);
	rl_probe_stats st;
	rl_probe_get_stats(&st);
	assert_true(st.deadlock);
	rl_probe_reset();
	/* The panic unwound the first guard: poisoned and unlocked. */
	assert_true(b->is_poisoned(a.m));
	mutex_free(b, a.m);
}

/* ---- main --------------------------------------------------------------- */

/* Each behaviour test once per backend and on the public names, named "<test>/<backend>". */
#define EACH(fn)                                                                   \
	{#fn "/futex", fn, NULL, NULL, (void *)&futex_backend},                     \
		{#fn "/pthread", fn, NULL, NULL, (void *)&pthread_backend},         \
		{#fn "/public", fn, NULL, NULL, (void *)&public_backend}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "stress")) {
		const struct CMUnitTest stress[] = {
			EACH(test_arc_mutex_counter_is_exact_under_contention),
		};
		return cmocka_run_group_tests_name("mutex-stress", stress, NULL, NULL);
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_futex_mutex_sizes_match_rust),
		cmocka_unit_test(test_pthread_mutex_size_holds_a_pthread_mutex),
		cmocka_unit_test(test_public_names_use_the_configured_backend),
		EACH(test_lock_gives_zeroed_value_and_keeps_writes),
		EACH(test_value_lies_inside_the_block),
		EACH(test_lock_after_panic_returns_poisoned),
		EACH(test_guard_dropped_before_panic_does_not_poison),
		EACH(test_clear_poison_makes_lock_ok_again),
		EACH(test_panic_poisons_every_held_mutex),
		EACH(test_try_lock_busy_while_held),
		EACH(test_try_lock_on_poisoned_mutex_returns_poisoned),
		EACH(test_guards_dropped_out_of_order_unlock_each_mutex),
		cmocka_unit_test(test_public_guards_are_futex_guards),
		EACH(test_get_mut_and_into_inner_report_poison),
		EACH(test_unlock_through_dropped_guard_aborts),
		EACH(test_unlock_on_another_thread_aborts),
		EACH(test_destroy_locked_mutex_aborts),
		EACH(test_arc_mutex_is_one_allocation),
		EACH(test_arc_mutex_drop_runs_once_on_the_value),
		EACH(test_detector_sees_unlock_to_lock_edges),
		EACH(test_detector_reports_the_same_updates_without_the_lock),
		EACH(test_scheduler_serialises_lockers_exactly),
		EACH(test_scheduler_turns_self_deadlock_into_panic),
	};
	return cmocka_run_group_tests_name("mutex", tests, NULL, NULL);
}
