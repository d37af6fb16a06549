/* bench_sync.c — benchmarks of racelab's primitives (sync/): Rc and Arc
 * clone+drop, Mutex lock+unlock and counters on both backends, and the
 * read-mostly trio RCU load / Mutex read / Arc clone-and-read.
 *
 * Every benchmark uses the real primitive through its public header (the two
 * Mutex backends through sync/mutex_backends.h; see FUTEX_API for which
 * names time the futex backend); nothing here re-implements one. Objects a thread owns are made on that thread (thread_init), so an Rc
 * is used by its owner and memory is first touched where it is used.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <racelab/arc.h>
#include <racelab/check.h>
#include <racelab/mutex.h>
#include <racelab/rc.h>
#include <racelab/rcu.h>
#include <racelab/status.h>

#include "bench_defs.h"
#include "harness.h"
#include "mutex_backends.h"

/* ------------------------------------------------------------------------
 * Rc clone+drop. The loop body mirrors bench/rust/compare.rs:
 * clone, escape the new handle (black_box), drop.
 * ---------------------------------------------------------------------- */

static int rc_own_init(void *shared, unsigned idx, void **local)
{
	rl_rc *rc = rl_rc_new(sizeof(uint64_t), NULL);
	if (!rc)
		return RL_ENOMEM;
	*local = rc;
	return RL_OK;
}

static void rc_own_fini(void *shared, void *local, unsigned idx)
{
	rl_rc_drop(local);
}

static int run_rc(rl_rc *rc, uint64_t iters)
{
	for (uint64_t i = 0; i < iters; i++) {
		rl_rc *c = rl_rc_clone(rc);
		rl_bench_escape(c);
		rl_rc_drop(c);
	}
	return RL_OK;
}

static int run_rc_own(void *shared, void *local, unsigned idx, uint64_t iters)
{
	return run_rc(local, iters);
}

/*
 * The check mode is global. The checks-off benchmarks switch it off around
 * each batch only (run() below), not for the whole measurement, because
 * rc-clone-drop may be sampled in between (pairs alternate their samples) and
 * must run in the default mode.
 */
static int run_rc_checks_off(void *shared, void *local, unsigned idx, uint64_t iters)
{
	enum rl_check_mode saved = rl_check_mode();
	rl_check_set_mode(RL_CHECK_OFF);
	int rc = run_rc(local, iters);
	rl_check_set_mode(saved);
	return rc;
}

static int rc_foreign_setup(void **shared, unsigned nthreads)
{
	rl_rc *rc = rl_rc_new(sizeof(uint64_t), NULL);
	if (!rc)
		return RL_ENOMEM;
	*shared = rc;
	return RL_OK;
}

static void rc_foreign_teardown(void *shared, unsigned nthreads)
{
	rl_rc_drop(shared);
}

/* One timed thread uses an Rc the driving thread created: every clone and
 * drop takes the owner-check slow path (a Send violation; RL_CHECK_OFF keeps
 * it from being reported). pthread_create/join order the two threads'
 * accesses: this is a foreign use, not a race. */
static int run_rc_foreign(void *shared, void *local, unsigned idx, uint64_t iters)
{
	enum rl_check_mode saved = rl_check_mode();
	rl_check_set_mode(RL_CHECK_OFF);
	int rc = run_rc(shared, iters);
	rl_check_set_mode(saved);
	return rc;
}

const struct rl_bench rl_bench_rc_clone_drop = {
	.name = "rc-clone-drop",
	.series = "Rc clone+drop",
	.what = "rl_rc_clone + rl_rc_drop on the owner thread (owner checks on, the default)",
	.thread_init = rc_own_init, .run = run_rc_own, .thread_fini = rc_own_fini,
};

const struct rl_bench rl_bench_rc_clone_drop_checks_off = {
	.name = "rc-clone-drop-checks-off",
	.series = "Rc clone+drop, checks off",
	.what = "as rc-clone-drop with rl_check_set_mode(RL_CHECK_OFF)",
	.thread_init = rc_own_init, .run = run_rc_checks_off, .thread_fini = rc_own_fini,
	.pair = "rc-clone-drop",
};

const struct rl_bench rl_bench_rc_clone_drop_foreign = {
	.name = "rc-clone-drop-foreign",
	.series = "Rc clone+drop, foreign thread",
	.what = "Rc used off its owner thread (owner-check slow path; reports off)",
	.setup = rc_foreign_setup, .run = run_rc_foreign, .teardown = rc_foreign_teardown,
};

/* ------------------------------------------------------------------------
 * Arc clone+drop: each thread's own Arc (uncontended), and one Arc shared
 * by all threads (its count's cache line moves between cores).
 * ---------------------------------------------------------------------- */

static int arc_own_init(void *shared, unsigned idx, void **local)
{
	rl_arc *a = rl_arc_new(sizeof(uint64_t), NULL);
	if (!a)
		return RL_ENOMEM;
	*local = a;
	return RL_OK;
}

static void arc_own_fini(void *shared, void *local, unsigned idx)
{
	rl_arc_drop(local);
}

static int run_arc(rl_arc *a, uint64_t iters)
{
	for (uint64_t i = 0; i < iters; i++) {
		rl_arc *c = rl_arc_clone(a);
		rl_bench_escape(c);
		rl_arc_drop(c);
	}
	return RL_OK;
}

static int run_arc_own(void *shared, void *local, unsigned idx, uint64_t iters)
{
	return run_arc(local, iters);
}

static int arc_shared_setup(void **shared, unsigned nthreads)
{
	rl_arc *a = rl_arc_new(sizeof(uint64_t), NULL);
	if (!a)
		return RL_ENOMEM;
	*shared = a;
	return RL_OK;
}

static void arc_shared_teardown(void *shared, unsigned nthreads)
{
	rl_arc_drop(shared);
}

static int run_arc_shared(void *shared, void *local, unsigned idx, uint64_t iters)
{
	return run_arc(shared, iters);
}

const struct rl_bench rl_bench_arc_clone_drop = {
	.name = "arc-clone-drop",
	.series = "Arc clone+drop",
	.what = "rl_arc_clone + rl_arc_drop, uncontended",
	.thread_init = arc_own_init, .run = run_arc_own, .thread_fini = arc_own_fini,
};

const struct rl_bench rl_bench_arc_shared_clone_drop = {
	.name = "arc-shared-clone-drop",
	.series = "Arc clone+drop, one shared Arc",
	.what = "rl_arc_clone + rl_arc_drop on one Arc shared by all threads",
	.flags = RL_BENCH_THREADS,
	.setup = arc_shared_setup, .run = run_arc_shared, .teardown = arc_shared_teardown,
};

/* ------------------------------------------------------------------------
 * Mutex: lock+unlock uncontended (a thread's own Mutex<u64>), and a counter
 * Arc<Mutex<u64>> incremented by every thread. Both backends.
 * ---------------------------------------------------------------------- */

/*
 * The futex rows time what a program gets: the public rl_mutex_* names, whose
 * lock and guard drop are inline (mutex.h) when futex is the default backend.
 * In a RACELAB_MUTEX=pthread build the public names are pthread's, and the
 * futex rows call the library's rl_fmutex_* functions.
 */
#if RACELAB_MUTEX_FUTEX
#define FUTEX_API rl_mutex
#else
#define FUTEX_API rl_fmutex
#endif
/* MX_FN(P, lock) is P_lock, after P itself was expanded (FUTEX_API). */
#define MX_FN(P, name) MX_FN_(P, name)
#define MX_FN_(P, name) P##_##name
#define FX(name) MX_FN(FUTEX_API, name)

/* MUTEX_BENCHES(N, P): backend N's benchmark functions; the locks and guard
 * drops they time are P_lock and P_guard_drop. */
#define MUTEX_BENCHES(N, P)                                                           \
	static int N##_own_init(void *shared, unsigned idx, void **local)             \
	{                                                                             \
		rl_mutex *m = aligned_alloc(16, (N##_size(sizeof(uint64_t)) + 15) / 16 * 16); \
		if (!m)                                                               \
			return RL_ENOMEM;                                             \
		N##_init(m, sizeof(uint64_t));                                        \
		*local = m;                                                           \
		return RL_OK;                                                         \
	}                                                                             \
	static void N##_own_fini(void *shared, void *local, unsigned idx)             \
	{                                                                             \
		N##_destroy(local);                                                   \
		free(local);                                                          \
	}                                                                             \
	/* lock, escape the value (black_box(&*guard)), unlock */                     \
	static int run_##N##_lock_unlock(void *shared, void *local, unsigned idx,     \
					 uint64_t iters)                              \
	{                                                                             \
		rl_mutex *m = local;                                                  \
		for (uint64_t i = 0; i < iters; i++) {                                \
			rl_mutex_guard g;                                             \
			if (MX_FN(P, lock)(m, &g) < 0)                                \
				return RL_EINVAL;                                     \
			rl_bench_escape(rl_mutex_guard_get(&g));                      \
			MX_FN(P, guard_drop)(&g);                                     \
		}                                                                     \
		return RL_OK;                                                         \
	}                                                                             \
	static int N##_counter_setup(void **shared, unsigned nthreads)                \
	{                                                                             \
		rl_arc *a = N##_arc_new(sizeof(uint64_t), NULL);                      \
		if (!a)                                                               \
			return RL_ENOMEM;                                             \
		*shared = a;                                                          \
		return RL_OK;                                                         \
	}                                                                             \
	static int run_##N##_counter(void *shared, void *local, unsigned idx,         \
				     uint64_t iters)                                  \
	{                                                                             \
		rl_mutex *m = rl_arc_get(shared);                                     \
		for (uint64_t i = 0; i < iters; i++) {                                \
			rl_mutex_guard g;                                             \
			if (MX_FN(P, lock)(m, &g) < 0)                                \
				return RL_EINVAL;                                     \
			++*(uint64_t *)rl_mutex_guard_get(&g);                        \
			MX_FN(P, guard_drop)(&g);                                     \
		}                                                                     \
		return RL_OK;                                                         \
	}

MUTEX_BENCHES(rl_fmutex, FUTEX_API)
MUTEX_BENCHES(rl_pmutex, rl_pmutex)

static void arc_teardown(void *shared, unsigned nthreads)
{
	rl_arc_drop(shared);
}

const struct rl_bench rl_bench_mutex_futex_lock_unlock = {
	.name = "mutex-futex-lock-unlock",
	.series = "Mutex (futex) lock+unlock",
	.what = "rl_mutex_lock + guard drop, futex backend, uncontended",
	.thread_init = rl_fmutex_own_init, .run = run_rl_fmutex_lock_unlock,
	.thread_fini = rl_fmutex_own_fini,
};

const struct rl_bench rl_bench_mutex_pthread_lock_unlock = {
	.name = "mutex-pthread-lock-unlock",
	.series = "Mutex (pthread) lock+unlock",
	.what = "rl_mutex_lock + guard drop, pthread_mutex_t backend, uncontended",
	.thread_init = rl_pmutex_own_init, .run = run_rl_pmutex_lock_unlock,
	.thread_fini = rl_pmutex_own_fini,
	.pair = "mutex-futex-lock-unlock",
};

const struct rl_bench rl_bench_mutex_futex_counter = {
	.name = "mutex-futex-counter",
	.series = "Arc<Mutex<u64>> counter (futex)",
	.what = "lock, ++, unlock on one Arc<Mutex<u64>>, futex backend",
	.flags = RL_BENCH_THREADS,
	.setup = rl_fmutex_counter_setup, .run = run_rl_fmutex_counter, .teardown = arc_teardown,
};

const struct rl_bench rl_bench_mutex_pthread_counter = {
	.name = "mutex-pthread-counter",
	.series = "Arc<Mutex<u64>> counter (pthread)",
	.what = "lock, ++, unlock on one Arc<Mutex<u64>>, pthread backend",
	.flags = RL_BENCH_THREADS,
	.setup = rl_pmutex_counter_setup, .run = run_rl_pmutex_counter, .teardown = arc_teardown,
};

/* ------------------------------------------------------------------------
 * Read-mostly: N timed readers and one untimed writer that replaces the
 * value every WRITE_PERIOD_NS (sleeping in between), on three designs:
 *   read-rcu    pin, load the RCU cell, read the value, unpin;
 *   read-mutex  lock the Mutex<value> (futex backend), read, unlock;
 *   read-arc    lock a Mutex<Arc<value>> (futex), clone the Arc, unlock, read
 *               through the clone, drop it (Rust's Mutex<Arc<T>> pattern).
 * The value is two words; a reader sums them so both are loaded.
 * ---------------------------------------------------------------------- */

#define WRITE_PERIOD_NS 100000L

struct value {
	uint64_t a, b;
};

struct readmostly {
	int kind; /* 0 rcu, 1 mutex, 2 arc */
	rl_rcu_cell cell;
	rl_mutex *mutex;       /* read-mutex: Mutex<struct value>; read-arc: Mutex<rl_arc *> */
	pthread_t writer;
	atomic_bool stop;      /* relaxed: only ends the writer's loop */
};

static void *writer_main(void *arg)
{
	struct readmostly *r = arg;
	uint64_t gen = 0;
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		gen++;
		if (r->kind == 0) {
			struct value *v = malloc(sizeof *v);
			if (v) {
				v->a = gen;
				v->b = ~gen;
				rl_rcu_cell_store(&r->cell, v); /* frees the old one after a grace period */
			}
		} else if (r->kind == 1) {
			rl_mutex_guard g;
			FX(lock)(r->mutex, &g);
			struct value *v = rl_mutex_guard_get(&g);
			v->a = gen;
			v->b = ~gen;
			FX(guard_drop)(&g);
		} else {
			rl_arc *fresh = rl_arc_new(sizeof(struct value), NULL);
			if (fresh) {
				struct value *v = rl_arc_get(fresh);
				v->a = gen;
				v->b = ~gen;
				rl_mutex_guard g;
				FX(lock)(r->mutex, &g);
				rl_arc **slot = rl_mutex_guard_get(&g);
				rl_arc *old = *slot;
				*slot = fresh;
				FX(guard_drop)(&g);
				rl_arc_drop(old); /* readers still holding it keep it alive */
			}
		}
		struct timespec d = {0, WRITE_PERIOD_NS};
		while (nanosleep(&d, &d) != 0 && errno == EINTR)
			;
	}
	return NULL;
}

static int readmostly_setup(void **shared, int kind)
{
	struct readmostly *r = calloc(1, sizeof *r);
	if (!r)
		return RL_ENOMEM;
	r->kind = kind;
	atomic_init(&r->stop, false);
	int rc = RL_OK;
	if (kind == 0) {
		struct value *v = calloc(1, sizeof *v);
		if (!v)
			rc = RL_ENOMEM;
		else
			rl_rcu_cell_init(&r->cell, v, free);
	} else {
		size_t vs = kind == 1 ? sizeof(struct value) : sizeof(rl_arc *);
		r->mutex = aligned_alloc(16, (FX(size)(vs) + 15) / 16 * 16);
		if (!r->mutex) {
			rc = RL_ENOMEM;
		} else {
			FX(init)(r->mutex, vs);
			if (kind == 2) {
				rl_arc *first = rl_arc_new(sizeof(struct value), NULL);
				void *slot;
				if (!first) {
					FX(destroy)(r->mutex);
					free(r->mutex);
					rc = RL_ENOMEM;
				} else {
					FX(get_mut)(r->mutex, &slot);
					*(rl_arc **)slot = first;
				}
			}
		}
	}
	if (rc == RL_OK && pthread_create(&r->writer, NULL, writer_main, r) != 0) {
		if (kind == 0) {
			rl_rcu_cell_destroy(&r->cell);
		} else {
			if (kind == 2) {
				void *slot;
				FX(get_mut)(r->mutex, &slot);
				rl_arc_drop(*(rl_arc **)slot);
			}
			FX(destroy)(r->mutex);
			free(r->mutex);
		}
		rc = RL_EAGAIN;
	}
	if (rc != RL_OK) {
		free(r);
		return rc;
	}
	*shared = r;
	return RL_OK;
}

static void readmostly_teardown(void *shared, unsigned nthreads)
{
	struct readmostly *r = shared;
	atomic_store_explicit(&r->stop, true, memory_order_relaxed);
	pthread_join(r->writer, NULL);
	if (r->kind == 0) {
		rl_rcu_cell_destroy(&r->cell);
	} else {
		if (r->kind == 2) {
			void *slot;
			FX(get_mut)(r->mutex, &slot);
			rl_arc_drop(*(rl_arc **)slot);
		}
		FX(destroy)(r->mutex);
		free(r->mutex);
	}
	free(r);
}

static int rcu_setup(void **shared, unsigned nthreads) { return readmostly_setup(shared, 0); }
static int mutex_read_setup(void **shared, unsigned nthreads) { return readmostly_setup(shared, 1); }
static int arc_read_setup(void **shared, unsigned nthreads) { return readmostly_setup(shared, 2); }

static int run_read_rcu(void *shared, void *local, unsigned idx, uint64_t iters)
{
	struct readmostly *r = shared;
	for (uint64_t i = 0; i < iters; i++) {
		rl_rcu_guard g;
		rl_rcu_pin(&g);
		const struct value *v = rl_rcu_cell_load(&r->cell, &g);
		uint64_t sum = v->a + v->b;
		RL_BENCH_KEEP(sum);
		rl_rcu_guard_drop(&g);
	}
	return RL_OK;
}

static int run_read_mutex(void *shared, void *local, unsigned idx, uint64_t iters)
{
	struct readmostly *r = shared;
	for (uint64_t i = 0; i < iters; i++) {
		rl_mutex_guard g;
		FX(lock)(r->mutex, &g);
		const struct value *v = rl_mutex_guard_get(&g);
		uint64_t sum = v->a + v->b;
		RL_BENCH_KEEP(sum);
		FX(guard_drop)(&g);
	}
	return RL_OK;
}

static int run_read_arc(void *shared, void *local, unsigned idx, uint64_t iters)
{
	struct readmostly *r = shared;
	for (uint64_t i = 0; i < iters; i++) {
		rl_mutex_guard g;
		FX(lock)(r->mutex, &g);
		rl_arc *a = rl_arc_clone(*(rl_arc **)rl_mutex_guard_get(&g));
		FX(guard_drop)(&g);
		const struct value *v = rl_arc_get(a);
		uint64_t sum = v->a + v->b;
		RL_BENCH_KEEP(sum);
		rl_arc_drop(a);
	}
	return RL_OK;
}

const struct rl_bench rl_bench_read_rcu = {
	.name = "read-rcu",
	.series = "read-mostly: RCU cell load",
	.what = "N readers pin + load + unpin an RCU cell; 1 writer stores every 100 us",
	.flags = RL_BENCH_THREADS,
	.setup = rcu_setup, .run = run_read_rcu, .teardown = readmostly_teardown,
};

const struct rl_bench rl_bench_read_mutex = {
	.name = "read-mutex",
	.series = "read-mostly: Mutex read",
	.what = "N readers lock + read + unlock a Mutex (futex); 1 writer every 100 us",
	.flags = RL_BENCH_THREADS,
	.setup = mutex_read_setup, .run = run_read_mutex, .teardown = readmostly_teardown,
};

const struct rl_bench rl_bench_read_arc = {
	.name = "read-arc",
	.series = "read-mostly: Arc clone-and-read",
	.what = "N readers clone the Arc in a Mutex<Arc>, read, drop; 1 writer every 100 us",
	.flags = RL_BENCH_THREADS,
	.setup = arc_read_setup, .run = run_read_arc, .teardown = readmostly_teardown,
};
