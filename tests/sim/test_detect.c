/* test_detect.c — the happens-before race detector, driven through the probe
 * API the way racelab's primitives drive it, with threads running in parallel
 * (no scheduler): plain counters, mutexes, release/acquire, fences, the Arc
 * drop, FastTrack's read-shared state, reports and sessions, the lock-free
 * paths (memory, RCU and many threads are test_detect_mem.c's).
 *
 * Workers return statuses; the main thread asserts after join (cmocka is not
 * thread-safe). Every shared plain access happens between rl__probe_enter()
 * and rl__probe_exit(), under the detector lock, so TSan sees them ordered
 * (atomics and mutexes may take the lock-free paths: they are atomics and
 * mutexes to TSan too).
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <setjmp.h>

#include <cmocka.h>

#include <racelab/probe.h>
#include <racelab/status.h>
#include <racelab/thread.h>

#include "probed.h"

/* ---- plain counters ------------------------------------------------------- */

struct counter {
	uint64_t value;
	pthread_mutex_t lock;
	bool locked;
	int iters;
	const char *site; /* the workload's label for its call site, or NULL */
};

static void *count_worker(void *p)
{
	struct counter *c = p;
	rl_probe_site_set(c->site);
	for (int i = 0; i < c->iters; i++) {
		if (c->locked)
			m_lock(&c->lock);
		p_inc(&c->value, "Rc<T> strong count", "rl_rc_clone");
		if (c->locked)
			m_unlock(&c->lock);
	}
	return NULL;
}

static void test_racy_plain_counter_on_two_threads_is_flagged(void **state)
{
	(void)state;
	struct counter c = { .iters = 500, .site = "rc-send: worker clone" };
	attach_detector();
	run_two(count_worker, &c, "worker-1", "worker-2");
	rl_probe_stats st = detach();

	assert_int_equal(st.races, 1); /* one location, one pair of sites */
	assert_true(st.race_events >= 1);
	assert_int_equal(rl_probe_report_count(), 1);
	const rl_probe_report *r = rl_probe_report_at(0);
	assert_int_equal(r->kind, RL_REPORT_RACE);
	assert_ptr_equal(r->addr, &c.value);
	assert_string_equal(r->obj_kind, "Rc<T> strong count");
	assert_int_equal(r->count, st.race_events);
	assert_true(r->prev.known);
	assert_string_equal(r->cur.op, "rl_rc_clone");
	assert_string_equal(r->prev.op, "rl_rc_clone");
	assert_true(r->cur.write || r->prev.write);
	assert_int_not_equal(r->cur.tid, r->prev.tid);
	assert_true(!strncmp(r->cur.thread, "worker-", 7) && !strncmp(r->prev.thread, "worker-", 7));
	/* The workload's label names the call site. */
	assert_string_equal(r->cur.site_text, "rc-send: worker clone");
	assert_string_equal(r->prev.site_text, "rc-send: worker clone");
	assert_non_null(strstr(r->text, "data race on Rc<T> strong count #"));
	assert_non_null(strstr(r->rule, "Rc<T> is !Send"));
	assert_non_null(strstr(r->rule, "E0277: `Rc<T>` cannot be sent between threads safely"));
	assert_non_null(strstr(r->edge, "no spawn/join, mutex unlock->lock, release->acquire or RCU edge"));
	rl_probe_reset();
}

static void test_counter_under_mutex_is_not_flagged(void **state)
{
	(void)state;
	struct counter c = { .iters = 500, .locked = true };
	pthread_mutex_init(&c.lock, NULL);
	attach_detector();
	run_two(count_worker, &c, "worker-1", "worker-2");
	rl_probe_stats st = detach();
	pthread_mutex_destroy(&c.lock);
	assert_int_equal(st.races, 0);
	assert_int_equal(st.race_events, 0);
	assert_int_equal(c.value, 1000); /* nothing lost under the lock */
	assert_true(st.locations >= 1);
}

static void *cell_worker(void *p)
{
	uint64_t *cell = p;
	for (int i = 0; i < 50; i++)
		p_write(cell, (uint64_t)i, "Cell<i64>", "rl_cell_set");
	return NULL;
}

static void test_cell_race_names_the_sync_rule(void **state)
{
	(void)state;
	uint64_t cell = 0;
	attach_detector();
	run_two(cell_worker, &cell, "setter-1", "setter-2");
	rl_probe_stats st = detach();
	assert_int_equal(st.races, 1);
	const rl_probe_report *r = rl_probe_report_at(0);
	assert_true(r->cur.write && r->prev.write);
	assert_non_null(strstr(r->rule, "Cell<i64> is !Sync"));
	assert_non_null(strstr(r->rule, "`Cell<i64>` cannot be shared between threads safely"));
	assert_string_equal(r->cur.op, "rl_cell_set");
	/* No label: the return address, as symbol+offset or module+offset. */
	assert_non_null(strstr(r->cur.site_text, "+0x"));
	rl_probe_reset();
}

/* ---- spawn and join ------------------------------------------------------- */

static void *write_once(void *p)
{
	p_write(p, 2, "Cell<i64>", "child_write");
	return NULL;
}

static void test_spawn_and_join_order_parent_and_child(void **state)
{
	(void)state;
	uint64_t x = 0;
	attach_detector();
	p_write(&x, 1, "Cell<i64>", "parent_before_spawn");
	rl_thread *t = spawn(write_once, &x, "child");
	join(t);
	assert_int_equal(p_read(&x, "Cell<i64>", "parent_after_join"), 2);
	p_write(&x, 3, "Cell<i64>", "parent_after_join");
	rl_probe_stats st = detach();
	assert_int_equal(st.races, 0);
	assert_int_equal(st.threads, 2);
}

static void test_parent_write_after_spawn_races_with_child(void **state)
{
	(void)state;
	uint64_t x = 0;
	attach_detector();
	rl_thread *t = spawn(write_once, &x, "child");
	p_write(&x, 1, "Cell<i64>", "parent_after_spawn"); /* before join: unordered */
	join(t);
	rl_probe_stats st = detach();
	assert_int_equal(st.races, 1);
	rl_probe_reset();
}

/* ---- atomics and fences ----------------------------------------------------- */

/* Producer side / consumer side of one message: data, then a flag. */
enum mp_kind {
	MP_REL_ACQ,           /* store(Release) / load(Acquire) */
	MP_RELAXED,           /* store(Relaxed) / load(Relaxed): no edge */
	MP_RELAXED_ACQ_FENCE, /* store(Release) / load(Relaxed) + fence(Acquire) */
	MP_REL_FENCE_RELAXED, /* fence(Release) + store(Relaxed) / load(Acquire) */
};

struct mp {
	uint64_t data;
	_Atomic uint64_t flag;
	enum mp_kind kind;
	uint64_t seen;
};

static void *mp_producer(void *p)
{
	struct mp *m = p;
	p_write(&m->data, 42, "Cell<i64>", "producer_write");
	switch (m->kind) {
	case MP_REL_ACQ:
	case MP_RELAXED_ACQ_FENCE:
		a_store(&m->flag, 1, memory_order_release, "flag.store(Release)");
		break;
	case MP_RELAXED:
		a_store(&m->flag, 1, memory_order_relaxed, "flag.store(Relaxed)");
		break;
	case MP_REL_FENCE_RELAXED:
		fence(memory_order_release);
		a_store(&m->flag, 1, memory_order_relaxed, "flag.store(Relaxed)");
		break;
	}
	return NULL;
}

static void *mp_consumer(void *p)
{
	struct mp *m = p;
	memory_order mo = m->kind == MP_REL_ACQ || m->kind == MP_REL_FENCE_RELAXED ? memory_order_acquire
										  : memory_order_relaxed;
	while (a_load(&m->flag, mo, "flag.load") == 0)
		yield();
	if (m->kind == MP_RELAXED_ACQ_FENCE)
		fence(memory_order_acquire);
	m->seen = p_read(&m->data, "Cell<i64>", "consumer_read");
	return NULL;
}

/* One message in a detector session; the consumer starts first. */
static rl_probe_stats run_mp_with(rl_thread_fn *consumer, enum mp_kind kind, uint64_t *seen)
{
	struct mp m = { .kind = kind };
	attach_detector();
	rl_thread *c = spawn(consumer, &m, "consumer");
	rl_thread *p = spawn(mp_producer, &m, "producer");
	join(p);
	join(c);
	*seen = m.seen;
	return detach();
}

static rl_probe_stats run_mp(enum mp_kind kind, uint64_t *seen)
{
	return run_mp_with(mp_consumer, kind, seen);
}

static void test_release_acquire_message_passing_is_not_flagged(void **state)
{
	(void)state;
	uint64_t seen;
	rl_probe_stats st = run_mp(MP_REL_ACQ, &seen);
	assert_int_equal(seen, 42);
	assert_int_equal(st.races, 0);
}

static void test_relaxed_message_passing_is_flagged(void **state)
{
	(void)state;
	uint64_t seen;
	rl_probe_stats st = run_mp(MP_RELAXED, &seen);
	assert_int_equal(seen, 42);
	assert_int_equal(st.races, 1);
	const rl_probe_report *r = rl_probe_report_at(0);
	assert_string_equal(r->cur.op, "consumer_read");
	assert_string_equal(r->prev.op, "producer_write");
	assert_false(r->cur.write);
	assert_true(r->prev.write);
	rl_probe_reset();
}

static void test_relaxed_load_then_acquire_fence_is_not_flagged(void **state)
{
	(void)state;
	uint64_t seen;
	rl_probe_stats st = run_mp(MP_RELAXED_ACQ_FENCE, &seen);
	assert_int_equal(seen, 42);
	assert_int_equal(st.races, 0);
}

static void test_release_fence_then_relaxed_store_is_not_flagged(void **state)
{
	(void)state;
	uint64_t seen;
	rl_probe_stats st = run_mp(MP_REL_FENCE_RELAXED, &seen);
	assert_int_equal(seen, 42);
	assert_int_equal(st.races, 0);
}

/* Spins with Relaxed loads and no other probe in between (in a detector-only
 * session each load takes the lock-free path until the producer's Release
 * store gives the flag a clock), then reads the data, after a fence(Acquire)
 * for MP_RELAXED_ACQ_FENCE only. Without the fence the read races even after
 * a Release store, and the report says which edge is missing. */
static void *spin_consumer(void *p)
{
	struct mp *m = p;
	while (a_load(&m->flag, memory_order_relaxed, "flag.load(Relaxed)") == 0)
		;
	if (m->kind == MP_RELAXED_ACQ_FENCE)
		fence(memory_order_acquire);
	m->seen = p_read(&m->data, "Cell<i64>", "consumer_read");
	return NULL;
}

static void test_report_names_a_missing_acquire(void **state)
{
	(void)state;
	uint64_t seen;
	rl_probe_stats st = run_mp_with(spin_consumer, MP_REL_ACQ, &seen);
	assert_int_equal(seen, 42);
	assert_int_equal(st.races, 1);
	assert_non_null(strstr(rl_probe_report_at(0)->edge, "no Acquire load or fence(Acquire) followed it"));
	rl_probe_reset();
}

/* ---- the Arc drop ------------------------------------------------------------ */

enum arc_kind { ARC_FENCE, ARC_LOAD_ACQUIRE, ARC_NO_ACQUIRE };

struct arc {
	_Atomic uint64_t strong;
	uint64_t payload[2]; /* each owner writes its own slot, the last one reads both */
	enum arc_kind kind;
	_Atomic int freed;
};

struct arc_owner {
	struct arc *a;
	int slot;
	uint64_t sum;
};

/* Arc::drop: fetch_sub(1, Release); the last owner synchronises with every
 * earlier one (fence(Acquire), or load(Acquire) as in TSan builds) before it
 * drops the value. */
static void *arc_owner(void *p)
{
	struct arc_owner *o = p;
	struct arc *a = o->a;
	p_write(&a->payload[o->slot], 10u + (uint64_t)o->slot, "Arc<T> value", "use_value");
	if (a_fetch_sub(&a->strong, 1, memory_order_release, "Arc<T> strong count", "rl_arc_drop") != 1)
		return NULL;
	if (a->kind == ARC_FENCE)
		fence(memory_order_acquire);
	else if (a->kind == ARC_LOAD_ACQUIRE)
		a_load(&a->strong, memory_order_acquire, "rl_arc_drop");
	o->sum = p_read(&a->payload[0], "Arc<T> value", "drop_value") +
		 p_read(&a->payload[1], "Arc<T> value", "drop_value");
	mem_event(RL_PROBE_FREE, a->payload, sizeof(a->payload), "rl_arc_drop");
	atomic_store(&a->freed, 1);
	return NULL;
}

static rl_probe_stats run_arc(enum arc_kind kind)
{
	struct arc a = { .strong = 2, .kind = kind };
	struct arc_owner o1 = { .a = &a, .slot = 0 }, o2 = { .a = &a, .slot = 1 };
	attach_detector();
	rl_thread *t1 = spawn(arc_owner, &o1, "owner-1"), *t2 = spawn(arc_owner, &o2, "owner-2");
	join(t1);
	join(t2);
	rl_probe_stats st = detach();
	assert_int_equal(atomic_load(&a.freed), 1);
	assert_int_equal(o1.sum + o2.sum, 21); /* exactly one owner dropped the value */
	return st;
}

static void test_arc_drop_release_then_acquire_fence_is_not_flagged(void **state)
{
	(void)state;
	for (int i = 0; i < 20; i++) /* whichever owner comes last */
		assert_int_equal(run_arc(ARC_FENCE).races, 0);
}

static void test_arc_drop_release_then_acquire_load_is_not_flagged(void **state)
{
	(void)state;
	for (int i = 0; i < 20; i++)
		assert_int_equal(run_arc(ARC_LOAD_ACQUIRE).races, 0);
}

static void test_arc_drop_without_acquire_is_flagged(void **state)
{
	(void)state;
	rl_probe_stats st = run_arc(ARC_NO_ACQUIRE);
	assert_true(st.races >= 1);
	const rl_probe_report *r = rl_probe_report_at(0);
	assert_string_equal(r->obj_kind, "Arc<T> value");
	assert_non_null(strstr(r->edge, "no Acquire load or fence(Acquire) followed it"));
	rl_probe_reset();
}

/* ---- FastTrack: read-shared locations ------------------------------------------ */

struct shared {
	uint64_t x;
	_Atomic int reads; /* not probed: invisible to the detector, orders nothing for it */
};

static void *shared_reader(void *p)
{
	struct shared *s = p;
	int ok = p_read(&s->x, "Cell<i64>", "reader_get") == 7;
	atomic_fetch_add(&s->reads, 1);
	return ok ? NULL : (void *)1;
}

static void test_read_shared_then_write_is_flagged(void **state)
{
	(void)state;
	struct shared s = { 0 };
	void *ret = NULL;
	attach_detector();
	p_write(&s.x, 7, "Cell<i64>", "init");
	rl_thread *r1 = spawn(shared_reader, &s, "reader-1");
	join(r1);
	/* reader-2 and reader-3 read concurrently: the location becomes read-shared. */
	rl_thread *r2 = spawn(shared_reader, &s, "reader-2");
	rl_thread *r3 = spawn(shared_reader, &s, "reader-3");
	while (atomic_load(&s.reads) != 3)
		;
	assert_int_equal(rl_thread_join(r2, &ret), RL_OK);
	assert_null(ret);
	rl_probe_stats before;
	rl_probe_get_stats(&before);
	/* reader-2 is joined, reader-3 is not: the write races with reader-3's read only. */
	p_write(&s.x, 8, "Cell<i64>", "main_set");
	assert_int_equal(rl_thread_join(r3, &ret), RL_OK);
	assert_null(ret);
	rl_probe_stats st = detach();

	assert_int_equal(before.races, 0); /* reads never race with reads */
	assert_int_equal(st.races, 1);
	const rl_probe_report *r = rl_probe_report_at(0);
	assert_string_equal(r->cur.op, "main_set");
	assert_true(r->cur.write);
	assert_false(r->prev.write);
	assert_true(r->prev.known);
	assert_string_equal(r->prev.thread, "reader-3");
	assert_string_equal(r->prev.op, "reader_get");
	rl_probe_reset();
}

static void *shared_reader_only(void *p)
{
	struct shared *s = p;
	return p_read(&s->x, "Cell<i64>", "reader_get") == 7 ? NULL : (void *)1;
}

static void test_concurrent_reads_then_write_after_joins_is_not_flagged(void **state)
{
	(void)state;
	struct shared s = { 0 };
	attach_detector();
	p_write(&s.x, 7, "Cell<i64>", "init");
	rl_thread *r[4];
	char name[4][16];
	for (int i = 0; i < 4; i++) {
		snprintf(name[i], sizeof(name[i]), "reader-%d", i);
		r[i] = spawn(shared_reader_only, &s, name[i]);
	}
	for (int i = 0; i < 4; i++)
		join(r[i]);
	p_write(&s.x, 8, "Cell<i64>", "main_set");
	rl_probe_stats st = detach();
	assert_int_equal(st.races, 0);
}

/* ---- reports and sessions ----------------------------------------------------- */

struct sink_log {
	int calls;
	char first[64];
};

static void sink(const rl_probe_report *r, void *ctx)
{
	struct sink_log *l = ctx;
	if (!l->calls++)
		snprintf(l->first, sizeof(l->first), "%s", r->obj_kind);
}

static void test_reports_reach_the_sink_once_per_site_pair(void **state)
{
	(void)state;
	struct sink_log log = { 0 };
	struct counter c = { .iters = 200 };
	rl_probe_config cfg = { .detect = true, .sink = sink, .sink_ctx = &log };
	assert_int_equal(rl_probe_attach(&cfg), RL_OK);
	run_two(count_worker, &c, "worker-1", "worker-2");
	rl_probe_stats st = detach();
	assert_int_equal(log.calls, 1);
	assert_string_equal(log.first, "Rc<T> strong count");
	assert_int_equal(st.races, 1);
	rl_probe_reset();
	assert_int_equal(rl_probe_report_count(), 0);
}

static void test_attach_rejects_bad_use(void **state)
{
	(void)state;
	assert_int_equal(rl_probe_attach(NULL), RL_EINVAL);
	rl_probe_config none = { 0 };
	assert_int_equal(rl_probe_attach(&none), RL_EINVAL);
	rl_probe_config bad = { .detect = true, .schedule = (rl_probe_schedule)7 };
	assert_int_equal(rl_probe_attach(&bad), RL_EINVAL);
	assert_int_equal(rl_probe_detach(), RL_EINVAL);
	attach_detector();
	assert_true(rl_probe_attached());
	rl_probe_config again = { .detect = true };
	assert_int_equal(rl_probe_attach(&again), RL_EBUSY);
	detach();
	assert_false(rl_probe_attached());
}

static void test_probes_without_a_session_do_nothing(void **state)
{
	(void)state;
	uint64_t x = 0;
	rl_probe_reset();
	p_inc(&x, "Rc<T> strong count", "rl_rc_clone");
	fence(memory_order_seq_cst);
	assert_int_equal(x, 1);
	rl_probe_stats st;
	rl_probe_get_stats(&st);
	assert_int_equal(st.events, 0);
}

/* ---- the lock-free paths (detector-only sessions) ------------------------------ */

/* The handshake between lock-free Relaxed loads and the first Release on their
 * location: a load that reads the released value must have joined its clock
 * (else the fence-ordered read would be flagged), in every one of 1000 rounds;
 * a Relaxed store publishes nothing and is flagged in every round, and its
 * atomics all stay lock-free, which also shows that each session starts with
 * no location flagged (the stack address of the flag repeats across rounds). */
static void test_lock_free_relaxed_loads_meet_the_first_release_exactly(void **state)
{
	(void)state;
	uint64_t lockfree_fenced = 0;
	for (int round = 0; round < 1000; round++) {
		for (int k = 0; k < 2; k++) {
			enum mp_kind kind = k ? MP_RELAXED : MP_RELAXED_ACQ_FENCE;
			uint64_t seen;
			rl_probe_stats st = run_mp_with(spin_consumer, kind, &seen);
			assert_int_equal(seen, 42);
			if (kind == MP_RELAXED) {
				assert_int_equal(st.races, 1);
				/* The store and at least the load that saw it. */
				assert_true(st.lockfree_events >= 2);
			} else {
				assert_int_equal(st.races, 0);
				lockfree_fenced += st.lockfree_events;
			}
			rl_probe_reset();
		}
	}
	/* Some rounds' consumer loads ran before the release (not every round's:
	 * the OS decides which thread runs first). */
	assert_true(lockfree_fenced > 0);
}

/* A mutex freed and allocated again at the same address starts with a new
 * clock, also for a thread that cached the old one: the threads below meet
 * at pthread barriers, which the detector does not see, so only the new
 * mutex's unlock -> lock orders T1's write before T2's read. In between, a
 * Release store gives another location a clock, which reuses the freed
 * mutex's: a reader that kept its cached pointer would acquire that one. */
struct reuse {
	pthread_mutex_t m;
	pthread_barrier_t b;
	uint64_t x;
	uint64_t seen;
	_Atomic uint64_t other;
};

static void *reuse_reader(void *p)
{
	struct reuse *r = p;
	m_lock(&r->m); /* caches the clock of the mutex's first life */
	m_unlock(&r->m);
	pthread_barrier_wait(&r->b); /* 1: main frees the mutex and allocates it again */
	pthread_barrier_wait(&r->b); /* 2 */
	pthread_barrier_wait(&r->b); /* 3: the writer has written and unlocked */
	m_lock(&r->m);
	r->seen = p_read(&r->x, "Mutex<u64> value", "read_under_lock");
	m_unlock(&r->m);
	return NULL;
}

static void *reuse_writer(void *p)
{
	struct reuse *r = p;
	pthread_barrier_wait(&r->b); /* 1 */
	pthread_barrier_wait(&r->b); /* 2: the mutex is new */
	m_lock(&r->m);
	p_write(&r->x, 7, "Mutex<u64> value", "write_under_lock");
	m_unlock(&r->m);
	pthread_barrier_wait(&r->b); /* 3 */
	return NULL;
}

static void test_a_mutex_freed_and_reused_at_its_address_gets_a_new_clock(void **state)
{
	(void)state;
	struct reuse r = { .x = 0 };
	assert_int_equal(pthread_mutex_init(&r.m, NULL), 0);
	assert_int_equal(pthread_barrier_init(&r.b, NULL, 3), 0);
	attach_detector();
	rl_thread *rd = spawn(reuse_reader, &r, "reader");
	rl_thread *wr = spawn(reuse_writer, &r, "writer");
	pthread_barrier_wait(&r.b); /* 1 */
	mem_event(RL_PROBE_FREE, &r.m, sizeof(r.m), "free");
	mem_event(RL_PROBE_ALLOC, &r.m, sizeof(r.m), "alloc");
	a_store(&r.other, 1, memory_order_release, "other.store(Release)");
	pthread_barrier_wait(&r.b); /* 2 */
	pthread_barrier_wait(&r.b); /* 3 */
	join(rd);
	join(wr);
	rl_probe_stats st = detach();
	assert_int_equal(r.seen, 7);
	assert_int_equal(st.races, 0);
	/* Every lock and unlock took the lock-free path. */
	assert_true(st.lockfree_events >= 6);
	rl_probe_reset();
	pthread_barrier_destroy(&r.b);
	pthread_mutex_destroy(&r.m);
}

/* A thread racelab did not start (plain pthread_create) is registered by its
 * first probe and runs no lock-free atomics of its own, but its Release store
 * must still end the others' lock-free path on that location: else the
 * consumer's Relaxed load that reads it stays lock-free, joins no clock, and
 * its fence(Acquire) orders nothing (a false race, every round). The mutex
 * part goes along: lock and unlock on both kinds of thread. */
struct foreign_mp {
	struct mp m;
	pthread_mutex_t lock;
	uint64_t locked_value;
};

static void *foreign_producer(void *p)
{
	struct foreign_mp *f = p;
	m_lock(&f->lock);
	p_write(&f->locked_value, 5, "Mutex<u64> value", "write_under_lock");
	m_unlock(&f->lock);
	p_write(&f->m.data, 42, "Cell<i64>", "producer_write");
	a_store(&f->m.flag, 1, memory_order_release, "flag.store(Release)");
	return NULL;
}

static void *spin_then_lock(void *p)
{
	struct foreign_mp *f = p;
	spin_consumer(&f->m); /* Relaxed loads, fence(Acquire), the data */
	m_lock(&f->lock);
	f->locked_value += p_read(&f->locked_value, "Mutex<u64> value", "read_under_lock");
	m_unlock(&f->lock);
	return NULL;
}

static void test_a_foreign_threads_release_ends_the_lock_free_path(void **state)
{
	(void)state;
	for (int round = 0; round < 200; round++) {
		struct foreign_mp f = { .m = { .kind = MP_RELAXED_ACQ_FENCE } };
		assert_int_equal(pthread_mutex_init(&f.lock, NULL), 0);
		attach_detector();
		rl_thread *c = spawn(spin_then_lock, &f, "consumer");
		pthread_t p;
		assert_int_equal(pthread_create(&p, NULL, foreign_producer, &f), 0);
		assert_int_equal(pthread_join(p, NULL), 0);
		join(c);
		rl_probe_stats st = detach();
		assert_int_equal(f.m.seen, 42);
		assert_int_equal(st.races, 0);
		rl_probe_reset();
		pthread_mutex_destroy(&f.lock);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_racy_plain_counter_on_two_threads_is_flagged),
		cmocka_unit_test(test_counter_under_mutex_is_not_flagged),
		cmocka_unit_test(test_cell_race_names_the_sync_rule),
		cmocka_unit_test(test_spawn_and_join_order_parent_and_child),
		cmocka_unit_test(test_parent_write_after_spawn_races_with_child),
		cmocka_unit_test(test_release_acquire_message_passing_is_not_flagged),
		cmocka_unit_test(test_relaxed_message_passing_is_flagged),
		cmocka_unit_test(test_relaxed_load_then_acquire_fence_is_not_flagged),
		cmocka_unit_test(test_release_fence_then_relaxed_store_is_not_flagged),
		cmocka_unit_test(test_report_names_a_missing_acquire),
		cmocka_unit_test(test_arc_drop_release_then_acquire_fence_is_not_flagged),
		cmocka_unit_test(test_arc_drop_release_then_acquire_load_is_not_flagged),
		cmocka_unit_test(test_arc_drop_without_acquire_is_flagged),
		cmocka_unit_test(test_read_shared_then_write_is_flagged),
		cmocka_unit_test(test_concurrent_reads_then_write_after_joins_is_not_flagged),
		cmocka_unit_test(test_reports_reach_the_sink_once_per_site_pair),
		cmocka_unit_test(test_attach_rejects_bad_use),
		cmocka_unit_test(test_probes_without_a_session_do_nothing),
		cmocka_unit_test(test_lock_free_relaxed_loads_meet_the_first_release_exactly),
		cmocka_unit_test(test_a_mutex_freed_and_reused_at_its_address_gets_a_new_clock),
		cmocka_unit_test(test_a_foreign_threads_release_ends_the_lock_free_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
