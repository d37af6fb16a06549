/* test_sched.c — the deterministic scheduler: seed replay (byte-identical
 * traces), different seeds, PCT finding depth-1 and depth-2 bugs, modelled
 * blocking (mutex, join, RCU grace period), deadlock reports, the step limit,
 * the PCT bound, and a throughput printout (not asserted).
 *
 * Workloads use rl threads (the runtime announces spawn/start/exit/join to the
 * probes) and drive the probe API as racelab's primitives do. Workers return
 * statuses; the main thread asserts after join.
 */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <racelab/probe.h>
#include <racelab/status.h>
#include <racelab/thread.h>

#include "death.h"
#include "probed.h"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

/* ---- probed operations ---------------------------------------------------- */

/* ---- harness -------------------------------------------------------------- */

static rl_probe_config sched_cfg(rl_probe_schedule kind, uint64_t seed)
{
	rl_probe_config cfg = { .detect = true, .schedule = kind, .seed = seed, .trace = true,
				.main_name = "main" };
	return cfg;
}

struct run {
	rl_thread_fn *fn;
	void *arg[8];
	const char *name[8];
	int n;
	intptr_t ret[8];
};

/* Spawn the workers, join them, in the attached session. */
static void run_workers(struct run *r)
{
	rl_thread *t[8];
	for (int i = 0; i < r->n; i++) {
		rl_thread_opts o = { .name = r->name[i] };
		assert_int_equal(rl_thread_spawn(&t[i], r->fn, r->arg[i], &o), RL_OK);
	}
	for (int i = 0; i < r->n; i++) {
		void *ret = NULL;
		assert_int_equal(rl_thread_join(t[i], &ret), RL_OK);
		r->ret[i] = (intptr_t)ret;
	}
}

static char *trace_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(rl_probe_trace_print(f), 0);
	fclose(f);
	return buf;
}

static char *reports_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	for (size_t i = 0; i < rl_probe_report_count(); i++)
		fputs(rl_probe_report_at(i)->text, f);
	fclose(f);
	return buf;
}

/* ---- a mixed workload: racy counter, locked counter, atomics ---------------- */

struct mixed {
	uint64_t racy;
	uint64_t locked;
	pthread_mutex_t m;
	_Atomic uint64_t refs;
};

static void *mixed_worker(void *p)
{
	struct mixed *w = p;
	for (int i = 0; i < 8; i++) {
		p_inc(&w->racy, "Rc<T> strong count", "rl_rc_clone");
		if (m_lock(&w->m) != RL_OK)
			return (void *)RL_EDEADLK;
		p_inc(&w->locked, "Mutex<i64> value", "guard_deref_mut");
		m_unlock(&w->m);
		a_fetch_add(&w->refs, 1, memory_order_relaxed, "rl_arc_clone");
	}
	return NULL;
}

struct mixed_result {
	char *trace, *reports;
	uint64_t racy, locked;
	rl_probe_stats st;
};

static struct mixed_result run_mixed(rl_probe_schedule kind, uint64_t seed)
{
	struct mixed w = { 0 };
	pthread_mutex_init(&w.m, NULL);
	struct run r = { .fn = mixed_worker, .n = 3, .arg = { &w, &w, &w }, .name = { "worker-1", "worker-2", "worker-3" } };
	rl_probe_config cfg = sched_cfg(kind, seed);
	assert_int_equal(rl_probe_attach(&cfg), RL_OK);
	run_workers(&r);
	assert_int_equal(rl_probe_detach(), RL_OK);
	pthread_mutex_destroy(&w.m);
	for (int i = 0; i < r.n; i++)
		assert_int_equal(r.ret[i], 0);
	struct mixed_result m = { .trace = trace_text(), .reports = reports_text(), .racy = w.racy, .locked = w.locked };
	rl_probe_get_stats(&m.st);
	assert_int_equal(w.locked, 24);                 /* the mutex loses nothing */
	assert_int_equal(atomic_load(&w.refs), 24);     /* nor do the atomics */
	assert_false(m.st.deadlock);
	assert_true(m.st.races >= 1);                   /* the racy counter, every time */
	rl_probe_reset();
	return m;
}

static void test_same_seed_gives_identical_trace_bytes(void **state)
{
	(void)state;
	for (int k = 0; k < 2; k++) {
		rl_probe_schedule kind = k ? RL_SCHEDULE_PCT : RL_SCHEDULE_RANDOM;
		struct mixed_result first = run_mixed(kind, 42);
		assert_true(strlen(first.trace) > 0);
		assert_true(first.st.steps > 50);
		for (int i = 1; i < 20; i++) {
			struct mixed_result again = run_mixed(kind, 42);
			assert_string_equal(again.trace, first.trace);     /* byte for byte */
			assert_string_equal(again.reports, first.reports); /* same reports */
			assert_int_equal(again.racy, first.racy);           /* same lost updates */
			assert_int_equal(again.st.steps, first.st.steps);
			assert_int_equal(again.st.switches, first.st.switches);
			free(again.trace);
			free(again.reports);
		}
		free(first.trace);
		free(first.reports);
	}
}

static void test_different_seeds_give_different_interleavings(void **state)
{
	(void)state;
	enum { N = 10 };
	char *traces[N];
	uint64_t lost_min = UINT64_MAX, lost_max = 0;
	for (int i = 0; i < N; i++) {
		struct mixed_result m = run_mixed(RL_SCHEDULE_RANDOM, (uint64_t)i + 1);
		traces[i] = m.trace;
		free(m.reports);
		uint64_t lost = 24 - m.racy;
		lost_min = lost < lost_min ? lost : lost_min;
		lost_max = lost > lost_max ? lost : lost_max;
	}
	for (int i = 0; i < N; i++)
		for (int j = i + 1; j < N; j++)
			assert_string_not_equal(traces[i], traces[j]);
	for (int i = 0; i < N; i++)
		free(traces[i]);
	/* Interleavings differ, and so do the lost updates they cause. */
	assert_true(lost_max > 0);
	printf("lost updates over %d seeds: min %" PRIu64 ", max %" PRIu64 " of 24\n", N, lost_min, lost_max);
}

/* ---- PCT -------------------------------------------------------------------- */

struct order {
	uint64_t init;
	uint64_t seen;
};

static void *order_init(void *p)
{
	struct order *o = p;
	p_write(&o->init, 1, "Cell<i64>", "init");
	return NULL;
}

static void *order_use(void *p)
{
	struct order *o = p;
	o->seen = p_read(&o->init, "Cell<i64>", "use") + 1; /* 1: used before init */
	return NULL;
}

/* A depth-1 bug: "use" runs before "init" (one ordering constraint). */
static bool run_order(uint64_t seed, uint64_t *steps)
{
	struct order o = { 0 };
	rl_probe_config cfg = sched_cfg(RL_SCHEDULE_PCT, seed);
	cfg.pct_depth = 1;
	cfg.trace = false;
	assert_int_equal(rl_probe_attach(&cfg), RL_OK);
	rl_thread *a, *b;
	rl_thread_opts oa = { .name = "init" }, ob = { .name = "use" };
	assert_int_equal(rl_thread_spawn(&a, order_init, &o, &oa), RL_OK);
	assert_int_equal(rl_thread_spawn(&b, order_use, &o, &ob), RL_OK);
	assert_int_equal(rl_thread_join(a, NULL), RL_OK);
	assert_int_equal(rl_thread_join(b, NULL), RL_OK);
	assert_int_equal(rl_probe_detach(), RL_OK);
	rl_probe_stats st;
	rl_probe_get_stats(&st);
	*steps = st.steps;
	rl_probe_reset();
	assert_true(o.seen == 1 || o.seen == 2);
	return o.seen == 1;
}

static void test_pct_finds_a_depth_1_bug_quickly(void **state)
{
	(void)state;
	int first = 0, found = 0;
	uint64_t steps = 0;
	for (int seed = 1; seed <= 60; seed++) {
		if (run_order((uint64_t)seed, &steps)) {
			found++;
			if (!first)
				first = seed;
		}
	}
	/* 3 threads (main, init, use): PCT finds a depth-1 bug with probability
	 * >= 1/3 per run; 10 runs leave it a (2/3)^10 = 1.7% chance to hide. */
	double bound = rl_probe_pct_runs(3, steps, 1, 0.01);
	printf("PCT depth 1: first found at schedule %d, %d/60 schedules (bound for 99%%: %.1f)\n", first, found,
	       bound);
	assert_true(first >= 1 && first <= 10);
	assert_true(found >= 10 && found < 60); /* about 1/3, and the order is not fixed */
}

static void *inc_once(void *p)
{
	p_inc(p, "Rc<T> strong count", "rl_rc_clone");
	return NULL;
}

/* A lost update needs one thread preempted between its read and its write: a
 * depth-2 bug for PCT. */
static uint64_t run_lost_update(rl_probe_schedule kind, unsigned depth, uint64_t k, uint64_t seed, uint64_t *steps)
{
	uint64_t c = 0;
	struct run r = { .fn = inc_once, .n = 2, .arg = { &c, &c }, .name = { "a", "b" } };
	rl_probe_config cfg = sched_cfg(kind, seed);
	cfg.pct_depth = depth;
	cfg.pct_steps = k;
	cfg.trace = false;
	assert_int_equal(rl_probe_attach(&cfg), RL_OK);
	run_workers(&r);
	assert_int_equal(rl_probe_detach(), RL_OK);
	rl_probe_stats st;
	rl_probe_get_stats(&st);
	*steps = st.steps;
	rl_probe_reset();
	return c;
}

static void test_pct_depth_2_finds_a_lost_update_within_its_bound(void **state)
{
	(void)state;
	uint64_t k = 0, steps;
	/* PCT without change points never preempts a runnable thread. */
	for (uint64_t seed = 1; seed <= 20; seed++)
		assert_int_equal(run_lost_update(RL_SCHEDULE_PCT, 1, 0, seed, &k), 2);
	double bound = rl_probe_pct_runs(3, k, 2, 0.01);
	uint64_t first = 0;
	for (uint64_t seed = 1; seed <= (uint64_t)bound && !first; seed++)
		if (run_lost_update(RL_SCHEDULE_PCT, 2, k, seed, &steps) == 1)
			first = seed;
	printf("PCT depth 2: lost update at schedule %" PRIu64 " (k = %" PRIu64 ", bound for 99%%: %.0f)\n", first,
	       k, bound);
	assert_true(first >= 1);
}

/* ---- blocking operations ----------------------------------------------------- */

struct locked {
	uint64_t value;
	pthread_mutex_t m;
};

static void *locked_worker(void *p)
{
	struct locked *l = p;
	for (int i = 0; i < 10; i++) {
		if (m_lock(&l->m) != RL_OK)
			return (void *)RL_EDEADLK;
		p_inc(&l->value, "Mutex<i64> value", "guard_deref_mut");
		m_unlock(&l->m);
	}
	return NULL;
}

static void test_a_held_mutex_blocks_its_waiters(void **state)
{
	(void)state;
	int blocked_seen = 0;
	for (uint64_t seed = 1; seed <= 10; seed++) {
		struct locked l = { 0 };
		pthread_mutex_init(&l.m, NULL);
		struct run r = { .fn = locked_worker, .n = 3, .arg = { &l, &l, &l }, .name = { "a", "b", "c" } };
		rl_probe_config cfg = sched_cfg(RL_SCHEDULE_RANDOM, seed);
		assert_int_equal(rl_probe_attach(&cfg), RL_OK);
		run_workers(&r);
		assert_int_equal(rl_probe_detach(), RL_OK);
		pthread_mutex_destroy(&l.m);
		rl_probe_stats st;
		rl_probe_get_stats(&st);
		assert_int_equal(l.value, 30);
		assert_int_equal(st.races, 0);
		assert_false(st.deadlock);
		for (size_t i = 0; i < rl_probe_trace_len(); i++) {
			const rl_probe_trace_rec *t = rl_probe_trace_at(i);
			if (t->op == RL_PROBE_BLOCKED && t->order == RL_PROBE_LOCK)
				blocked_seen++;
		}
		rl_probe_reset();
	}
	assert_true(blocked_seen > 0);
}


static void *rcu_reader(void *p)
{
	struct rcu *r = p;
	for (int i = 0; i < 3; i++) {
		one_shot(RL_PROBE_RCU_READ_LOCK, &r->domain, "rcu_read_lock");
		uint64_t *node = rcu_deref(r);
		uint64_t v = p_read(node, "RcuCell<T> value", "reader_use");
		one_shot(RL_PROBE_RCU_READ_UNLOCK, &r->domain, "rcu_read_unlock");
		if (v != 1 && v != 2)
			return (void *)1;
	}
	return NULL;
}

static void *rcu_writer(void *p)
{
	struct rcu *r = p;
	p_write(&r->node[1], 2, "RcuCell<T> value", "writer_init");
	publish(r, &r->node[1]);
	rcu_reclaim_old(r);
	return NULL;
}

static rl_probe_stats run_rcu(bool sync, uint64_t seed, int *blocked)
{
	struct rcu r = { .sync = sync };
	rl_probe_config cfg = sched_cfg(RL_SCHEDULE_RANDOM, seed);
	assert_int_equal(rl_probe_attach(&cfg), RL_OK);
	p_write(&r.node[0], 1, "RcuCell<T> value", "init");
	publish(&r, &r.node[0]);
	struct run w = { .fn = rcu_reader, .n = 2, .arg = { &r, &r }, .name = { "reader", "reader-2" } };
	rl_thread *wt;
	rl_thread_opts o = { .name = "writer" };
	assert_int_equal(rl_thread_spawn(&wt, rcu_writer, &r, &o), RL_OK);
	run_workers(&w);
	assert_int_equal(rl_thread_join(wt, NULL), RL_OK);
	assert_int_equal(rl_probe_detach(), RL_OK);
	assert_int_equal(w.ret[0], 0);
	assert_int_equal(w.ret[1], 0);
	for (size_t i = 0; i < rl_probe_trace_len(); i++) {
		const rl_probe_trace_rec *t = rl_probe_trace_at(i);
		if (t->op == RL_PROBE_BLOCKED && t->order == RL_PROBE_RCU_SYNC)
			++*blocked;
	}
	rl_probe_stats st;
	rl_probe_get_stats(&st);
	rl_probe_reset();
	return st;
}

static void test_grace_period_waits_for_readers(void **state)
{
	(void)state;
	int blocked = 0, flagged = 0, unused = 0;
	for (uint64_t seed = 1; seed <= 20; seed++) {
		rl_probe_stats st = run_rcu(true, seed, &blocked);
		assert_int_equal(st.races, 0);
		assert_false(st.deadlock);
	}
	assert_true(blocked > 0); /* some schedules made the writer wait */
	for (uint64_t seed = 1; seed <= 20; seed++)
		flagged += run_rcu(false, seed, &unused).races > 0;
	assert_true(flagged > 0); /* freeing without a grace period races with a reader */
}

/* ---- deadlocks ---------------------------------------------------------------- */

/* The philosophers take two locks in opposite orders on purpose. Their locks
 * are spin locks on atomics, not pthread mutexes, so that TSan's lock-order
 * checker does not report the inversion this test is about. Under the
 * scheduler a probed lock is only entered when it is free, so nobody spins. */
struct two_locks {
	_Atomic int a, b;
};

struct philosopher {
	struct two_locks *l;
	bool reverse;
};

static void *philosopher(void *p)
{
	struct philosopher *ph = p;
	_Atomic int *first = ph->reverse ? &ph->l->b : &ph->l->a;
	_Atomic int *second = ph->reverse ? &ph->l->a : &ph->l->b;
	if (s_lock(first) != RL_OK)
		return (void *)RL_EDEADLK;
	if (s_lock(second) != RL_OK) {
		s_unlock(first);
		return (void *)RL_EDEADLK;
	}
	s_unlock(second);
	s_unlock(first);
	return NULL;
}

static void test_deadlock_is_reported_not_hung(void **state)
{
	(void)state;
	int deadlocks = 0, clean = 0;
	for (uint64_t seed = 1; seed <= 40; seed++) {
		struct two_locks l = { 0 };
		struct philosopher p1 = { &l, false }, p2 = { &l, true };
		struct run r = { .fn = philosopher, .n = 2, .arg = { &p1, &p2 }, .name = { "left", "right" } };
		rl_probe_config cfg = sched_cfg(RL_SCHEDULE_RANDOM, seed);
		assert_int_equal(rl_probe_attach(&cfg), RL_OK);
		run_workers(&r);
		assert_int_equal(rl_probe_detach(), RL_OK);
		rl_probe_stats st;
		rl_probe_get_stats(&st);
		if (!st.deadlock) {
			assert_int_equal(r.ret[0], 0);
			assert_int_equal(r.ret[1], 0);
			clean++;
			rl_probe_reset();
			continue;
		}
		deadlocks++;
		assert_int_equal(r.ret[0], RL_EDEADLK);
		assert_int_equal(r.ret[1], RL_EDEADLK);
		const rl_probe_report *rep = NULL;
		for (size_t i = 0; i < rl_probe_report_count(); i++)
			if (rl_probe_report_at(i)->kind == RL_REPORT_DEADLOCK)
				rep = rl_probe_report_at(i);
		assert_non_null(rep);
		const char *t = rep->text;
		assert_non_null(strstr(t, "deadlock: no thread can run (schedule random, seed "));
		assert_non_null(strstr(t, "thread 'left' (T1) holds Mutex #"));
		assert_non_null(strstr(t, "thread 'right' (T2) holds Mutex #"));
		assert_non_null(strstr(t, "held by thread 'right' (T2)"));
		assert_non_null(strstr(t, "held by thread 'left' (T1)"));
		assert_non_null(strstr(t, "thread 'main' (T0); waits to join thread 'left' (T1)") ||
				strstr(t, "thread 'main' (T0) waits to join thread 'left' (T1)"));
		if (deadlocks == 1)
			printf("%s", t);
		rl_probe_reset();
	}
	assert_true(deadlocks > 0);
	assert_true(clean > 0);
}

static void *lock_twice(void *p)
{
	pthread_mutex_t *m = p;
	if (m_lock(m) != RL_OK)
		return (void *)1;
	int rc = m_lock(m); /* Rust: "might panic or deadlock" */
	m_unlock(m);
	return (void *)(intptr_t)rc;
}

static void test_relocking_a_held_mutex_is_a_deadlock(void **state)
{
	(void)state;
	pthread_mutex_t m;
	pthread_mutex_init(&m, NULL);
	struct run r = { .fn = lock_twice, .n = 1, .arg = { &m }, .name = { "relocker" } };
	rl_probe_config cfg = sched_cfg(RL_SCHEDULE_PCT, 7);
	assert_int_equal(rl_probe_attach(&cfg), RL_OK);
	run_workers(&r);
	assert_int_equal(rl_probe_detach(), RL_OK);
	pthread_mutex_destroy(&m);
	assert_int_equal(r.ret[0], RL_EDEADLK);
	rl_probe_stats st;
	rl_probe_get_stats(&st);
	assert_true(st.deadlock);
	const rl_probe_report *rep = rl_probe_report_at(rl_probe_report_count() - 1);
	assert_int_equal(rep->kind, RL_REPORT_DEADLOCK);
	assert_non_null(strstr(rep->text, "thread 'relocker' (T1) holds Mutex #"));
	assert_non_null(strstr(rep->text, "which it holds itself"));
	rl_probe_reset();
}

/* ---- a race hidden by an unrelated lock -------------------------------------- */

struct masked {
	uint64_t x;
	pthread_mutex_t m;
	_Atomic uint64_t flag;
	bool ordered; /* the twin: a real release/acquire orders write and read */
};

static void *masked_writer(void *p)
{
	struct masked *w = p;
	p_write(&w->x, 1, "Cell<i64>", "writer_set");
	if (w->ordered) {
		rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_STORE, &w->flag, "AtomicBool", "ready.store(Release)");
		ev.order = memory_order_release;
		rl__probe_enter(&ev);
		atomic_store_explicit(&w->flag, 1, memory_order_release);
		rl__probe_exit(&ev);
	}
	if (m_lock(&w->m) != RL_OK)
		return (void *)1;
	m_unlock(&w->m);
	return NULL;
}

static void *masked_reader(void *p)
{
	struct masked *w = p;
	if (w->ordered)
		while (!a_load(&w->flag, memory_order_acquire, "ready.load(Acquire)"))
			one_shot(RL_PROBE_YIELD, NULL, "spin_loop");
	if (m_lock(&w->m) != RL_OK)
		return (void *)1;
	m_unlock(&w->m);
	return (void *)(intptr_t)(p_read(&w->x, "Cell<i64>", "reader_get") > 1);
}

/* T1: x = 1; lock; unlock.  T2: lock; unlock; read x. Ordered only when T1's
 * unlock happens to come before T2's lock: the OS schedule usually hides it. */
static bool run_masked(rl_probe_schedule kind, uint64_t seed, bool ordered)
{
	struct masked w = { .ordered = ordered };
	pthread_mutex_init(&w.m, NULL);
	rl_probe_config cfg = sched_cfg(kind, seed);
	cfg.trace = false;
	assert_int_equal(rl_probe_attach(&cfg), RL_OK);
	rl_thread *a, *b;
	rl_thread_opts oa = { .name = "writer" }, ob = { .name = "reader" };
	assert_int_equal(rl_thread_spawn(&a, masked_writer, &w, &oa), RL_OK);
	assert_int_equal(rl_thread_spawn(&b, masked_reader, &w, &ob), RL_OK);
	void *ra = (void *)2, *rb = (void *)2;
	assert_int_equal(rl_thread_join(a, &ra), RL_OK);
	assert_int_equal(rl_thread_join(b, &rb), RL_OK);
	assert_int_equal(rl_probe_detach(), RL_OK);
	pthread_mutex_destroy(&w.m);
	assert_null(ra);
	assert_null(rb);
	rl_probe_stats st;
	rl_probe_get_stats(&st);
	rl_probe_reset();
	return st.races > 0;
}

static void test_masked_race_is_found_within_10_schedules(void **state)
{
	(void)state;
	for (int k = 0; k < 2; k++) {
		rl_probe_schedule kind = k ? RL_SCHEDULE_PCT : RL_SCHEDULE_RANDOM;
		for (uint64_t start = 1; start <= 100; start += 11) {
			int first = 0;
			for (uint64_t i = 0; i < 10 && !first; i++)
				if (run_masked(kind, start + i, false))
					first = (int)i + 1;
			assert_true(first >= 1);
		}
	}
	for (uint64_t seed = 1; seed <= 50; seed++) {
		assert_false(run_masked(RL_SCHEDULE_RANDOM, seed, true));
		assert_false(run_masked(RL_SCHEDULE_PCT, seed, true));
	}
}

/* ---- limits, trace format, bound ------------------------------------------------ */

static void *spin_reader(void *p)
{
	for (int i = 0; i < 100; i++)
		a_load(p, memory_order_relaxed, "poll");
	return NULL;
}

static void test_step_limit_releases_the_schedule(void **state)
{
	(void)state;
	_Atomic uint64_t x = 0;
	struct run r = { .fn = spin_reader, .n = 2, .arg = { &x, &x }, .name = { "a", "b" } };
	rl_probe_config cfg = sched_cfg(RL_SCHEDULE_RANDOM, 3);
	cfg.max_steps = 20;
	assert_int_equal(rl_probe_attach(&cfg), RL_OK);
	run_workers(&r);
	assert_int_equal(rl_probe_detach(), RL_OK);
	rl_probe_stats st;
	rl_probe_get_stats(&st);
	assert_true(st.step_limit);
	assert_int_equal(st.steps, 21);
	assert_false(st.deadlock);
	assert_true(st.events > 200);
	rl_probe_reset();
}

static void test_trace_reads_as_an_interleaving(void **state)
{
	(void)state;
	uint64_t c = 0;
	struct run r = { .fn = inc_once, .n = 1, .arg = { &c }, .name = { "cloner" } };
	rl_probe_config cfg = sched_cfg(RL_SCHEDULE_RANDOM, 1);
	assert_int_equal(rl_probe_attach(&cfg), RL_OK);
	run_workers(&r);
	assert_int_equal(rl_probe_detach(), RL_OK);
	char *t = trace_text();
	assert_non_null(strstr(t, "T0 main           rl_thread_spawn      spawn              T1 'cloner'\n"));
	assert_non_null(strstr(t, "T1 cloner         rl_rc_clone          read               Rc<T> strong count #1 = 0\n"));
	assert_non_null(strstr(t, "T1 cloner         rl_rc_clone          write              Rc<T> strong count #1 := 1\n"));
	assert_non_null(strstr(t, "T0 main           rl_thread_join       join               T1 'cloner'\n"));
	free(t);
	assert_string_equal(rl_probe_thread_name(1), "cloner");
	char line[256];
	const rl_probe_trace_rec *rec = rl_probe_trace_at(0);
	assert_non_null(rec);
	assert_true(rl_probe_trace_format(rec, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "spawn"));
	rl_probe_reset();
}

static void test_pct_bound_formula(void **state)
{
	(void)state;
	/* n * k^(d-1) * ln(1/eps): shuttle's example, 20 tasks, 110 steps, depth 2,
	 * 99.9%: 20 * 110 * ln(1000) = 15197 runs (its test uses 16,000). */
	assert_true(fabs(rl_probe_pct_runs(20, 110, 2, 0.001) - 20 * 110 * log(1000.0)) < 1e-6);
	assert_true(fabs(rl_probe_pct_runs(2, 50, 1, exp(-1.0)) - 2.0) < 1e-9);
	assert_true(fabs(rl_probe_pct_miss(2, 50, 1, 10) - pow(0.5, 10)) < 1e-12);
	assert_true(rl_probe_pct_miss(1, 1, 1, 1) == 0);
	assert_true(rl_probe_pct_runs(0, 10, 1, 0.5) == 0);
	assert_true(rl_probe_pct_runs(2, 10, 1, 1.5) == 0);
	assert_true(rl_probe_pct_miss(2, 10, 0, 5) == 1);
}

/* ---- a thread the scheduler did not start ------------------------------------------ */

static void *raw_thread(void *p)
{
	p_inc(p, "Rc<T> strong count", "rl_rc_clone");
	return NULL;
}

static void probe_from_foreign_thread(void *arg)
{
	(void)arg;
	static uint64_t x;
	rl_probe_config cfg = sched_cfg(RL_SCHEDULE_RANDOM, 1);
	if (rl_probe_attach(&cfg) != RL_OK)
		return;
	pthread_t t;
	pthread_create(&t, NULL, raw_thread, &x);
	pthread_join(t, NULL);
}

static void test_probe_from_an_unscheduled_thread_aborts(void **state)
{
	(void)state;
	struct death d = death_run(probe_from_foreign_thread, NULL);
	assert_true(d.signaled);
	assert_int_equal(d.signal, SIGABRT);
	assert_non_null(strstr(d.err, "racelab: fatal: probe on thread"));
	assert_non_null(strstr(d.err, "which the deterministic scheduler did not start"));
}

/* ---- throughput (printed, not asserted) -------------------------------------------- */

static void *point_worker(void *p)
{
	int n = SANITIZED ? 5000 : 100000;
	for (int i = 0; i < n; i++)
		a_load(p, memory_order_relaxed, "poll");
	return NULL;
}

static void bench(rl_probe_schedule kind, bool detect)
{
	_Atomic uint64_t x = 0;
	struct run r = { .fn = point_worker, .n = 2, .arg = { &x, &x }, .name = { "a", "b" } };
	rl_probe_config cfg = { .detect = detect, .schedule = kind, .seed = 1, .pct_depth = 3, .pct_steps = 200000 };
	struct timespec t0, t1;
	assert_int_equal(rl_probe_attach(&cfg), RL_OK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run_workers(&r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(rl_probe_detach(), RL_OK);
	rl_probe_stats st;
	rl_probe_get_stats(&st);
	rl_probe_reset();
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("SUMMARY bench=sched strategy=%s detect=%d points=%" PRIu64 " switches=%" PRIu64
	       " seconds=%.3f points_per_s=%.0f\n",
	       kind == RL_SCHEDULE_PCT ? "pct" : "random", detect, st.steps, st.switches, s, (double)st.steps / s);
}

static void test_scheduler_throughput(void **state)
{
	(void)state;
	bench(RL_SCHEDULE_RANDOM, false);
	bench(RL_SCHEDULE_RANDOM, true);
	bench(RL_SCHEDULE_PCT, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_seed_gives_identical_trace_bytes),
		cmocka_unit_test(test_different_seeds_give_different_interleavings),
		cmocka_unit_test(test_pct_finds_a_depth_1_bug_quickly),
		cmocka_unit_test(test_pct_depth_2_finds_a_lost_update_within_its_bound),
		cmocka_unit_test(test_a_held_mutex_blocks_its_waiters),
		cmocka_unit_test(test_grace_period_waits_for_readers),
		cmocka_unit_test(test_deadlock_is_reported_not_hung),
		cmocka_unit_test(test_relocking_a_held_mutex_is_a_deadlock),
		cmocka_unit_test(test_masked_race_is_found_within_10_schedules),
		cmocka_unit_test(test_step_limit_releases_the_schedule),
		cmocka_unit_test(test_trace_reads_as_an_interleaving),
		cmocka_unit_test(test_pct_bound_formula),
		cmocka_unit_test(test_probe_from_an_unscheduled_thread_aborts),
		cmocka_unit_test(test_scheduler_throughput),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
