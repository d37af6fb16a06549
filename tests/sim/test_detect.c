/* test_detect.c — the happens-before race detector, driven through the probe
 * API the way racelab's primitives drive it, with threads running in parallel
 * (no scheduler): plain counters, mutexes, release/acquire, fences, the Arc
 * drop, FastTrack's read-shared state, RCU, allocation, reports.
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

/* ---- probed operations, as a primitive's slow path would do them ---------- */

static __attribute__((noinline)) uint64_t p_read(uint64_t *p, const char *kind, const char *op)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_READ, p, kind, op);
	rl__probe_enter(&ev);
	ev.rval = *p;
	rl__probe_exit(&ev);
	return ev.rval;
}

static __attribute__((noinline)) void p_write(uint64_t *p, uint64_t v, const char *kind, const char *op)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_WRITE, p, kind, op);
	rl__probe_enter(&ev);
	*p = v;
	ev.wval = v;
	rl__probe_exit(&ev);
}

/* Rc::clone's non-atomic increment: a read, a scheduling point, a write. */
static __attribute__((noinline)) void p_inc(uint64_t *p, const char *kind, const char *op)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_READ, p, kind, op);
	rl__probe_enter(&ev);
	uint64_t v = *p;
	ev.rval = v;
	rl__probe_exit(&ev);
	ev.op = RL_PROBE_WRITE;
	rl__probe_enter(&ev);
	*p = v + 1;
	ev.wval = v + 1;
	rl__probe_exit(&ev);
}

static uint64_t a_load(_Atomic uint64_t *a, memory_order mo, const char *op)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_LOAD, a, "AtomicU64", op);
	ev.order = (uint8_t)mo;
	rl__probe_enter(&ev);
	ev.rval = atomic_load_explicit(a, mo);
	rl__probe_exit(&ev);
	return ev.rval;
}

static void a_store(_Atomic uint64_t *a, uint64_t v, memory_order mo, const char *op)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_STORE, a, "AtomicU64", op);
	ev.order = (uint8_t)mo;
	rl__probe_enter(&ev);
	atomic_store_explicit(a, v, mo);
	ev.wval = v;
	rl__probe_exit(&ev);
}

static uint64_t a_fetch_sub(_Atomic uint64_t *a, uint64_t v, memory_order mo, const char *kind, const char *op)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_RMW, a, kind, op);
	ev.order = (uint8_t)mo;
	rl__probe_enter(&ev);
	ev.rval = atomic_fetch_sub_explicit(a, v, mo);
	ev.wval = ev.rval - v;
	rl__probe_exit(&ev);
	return ev.rval;
}

static void fence(memory_order mo)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_FENCE, NULL, NULL, "fence");
	ev.order = (uint8_t)mo;
	rl__probe(&ev);
	/* TSan does not model fences (gcc: -Wtsan); the operations here are
	 * ordered by the detector lock anyway. The detector models the fence. */
#ifndef __SANITIZE_THREAD__
	atomic_thread_fence(mo);
#endif
}

static void yield(void)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_YIELD, NULL, NULL, "spin_loop");
	rl__probe(&ev);
}

static void m_lock(pthread_mutex_t *m)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_LOCK, m, "Mutex", "rl_mutex_lock");
	if (rl__probe_enter(&ev) != RL_OK)
		return;
	pthread_mutex_lock(m);
	rl__probe_exit(&ev);
}

static void m_unlock(pthread_mutex_t *m)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_UNLOCK, m, "Mutex", "rl_mutex_guard_drop");
	rl__probe_enter(&ev);
	pthread_mutex_unlock(m);
	rl__probe_exit(&ev);
}

static void mem_event(rl_probe_op op, void *p, size_t size, const char *name)
{
	rl_probe_ev ev = RL_PROBE_EV(op, p, "Rc<T> box", name);
	ev.wval = size;
	rl__probe(&ev);
}

static void attach_detector(void)
{
	rl_probe_config cfg = { .detect = true, .main_name = "main" };
	assert_int_equal(rl_probe_attach(&cfg), RL_OK);
}

static rl_probe_stats detach(void)
{
	assert_int_equal(rl_probe_detach(), RL_OK);
	rl_probe_stats st;
	rl_probe_get_stats(&st);
	return st;
}

static rl_thread *spawn(rl_thread_fn *fn, void *arg, const char *name)
{
	rl_thread *t = NULL;
	rl_thread_opts o = { .name = name };
	assert_int_equal(rl_thread_spawn(&t, fn, arg, &o), RL_OK);
	return t;
}

static void join(rl_thread *t)
{
	assert_int_equal(rl_thread_join(t, NULL), RL_OK);
}

static void run_two(rl_thread_fn *fn, void *arg, const char *n1, const char *n2)
{
	rl_thread *a = spawn(fn, arg, n1), *b = spawn(fn, arg, n2);
	join(a);
	join(b);
}

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

/* ---- allocation ------------------------------------------------------------ */

struct box {
	uint64_t count;
	_Atomic int done;
};

static void *box_user(void *p)
{
	struct box *b = p;
	p_write(&b->count, 1, "Rc<T> strong count", "rl_rc_new");
	atomic_store(&b->done, 1);
	return NULL;
}

static void test_alloc_forgets_earlier_accesses(void **state)
{
	(void)state;
	struct box b = { 0 };
	attach_detector();
	rl_thread *t = spawn(box_user, &b, "user");
	while (!atomic_load(&b.done))
		;
	/* The memory is reused for a new object (as malloc would after a free the
	 * detector cannot see ordered): fresh state, no race with the old owner. */
	mem_event(RL_PROBE_ALLOC, &b.count, sizeof(b.count), "rl_rc_new");
	p_write(&b.count, 1, "Rc<T> strong count", "rl_rc_new");
	rl_probe_stats mid;
	rl_probe_get_stats(&mid);
	join(t);
	rl_probe_stats st = detach();
	assert_int_equal(mid.races, 0);
	assert_int_equal(st.races, 0);
}

static void test_free_racing_with_a_use_is_flagged(void **state)
{
	(void)state;
	struct box b = { 0 };
	attach_detector();
	rl_thread *t = spawn(box_user, &b, "user");
	while (!atomic_load(&b.done))
		;
	mem_event(RL_PROBE_FREE, &b, sizeof(b), "rl_rc_drop");
	join(t);
	rl_probe_stats st = detach();
	assert_int_equal(st.races, 1);
	const rl_probe_report *r = rl_probe_report_at(0);
	assert_string_equal(r->cur.op, "rl_rc_drop");
	assert_non_null(strstr(r->text, "free by thread 'main'"));
	assert_string_equal(r->prev.thread, "user");
	rl_probe_reset();
}

struct big {
	uint64_t words[4096]; /* 32 KiB: more words than the detector's first table */
	_Atomic int done;
};

static void *big_user(void *p)
{
	struct big *b = p;
	for (int i = 0; i < 4096; i += 512)
		p_write(&b->words[i], 1, "Cell<i64>", i < 2048 ? "fill_low" : "fill_high");
	atomic_store(&b->done, 1);
	return NULL;
}

static void test_free_of_a_large_block_checks_every_tracked_location(void **state)
{
	(void)state;
	struct big *b = calloc(1, sizeof(*b));
	assert_non_null(b);
	attach_detector();
	rl_thread *t = spawn(big_user, b, "filler");
	while (!atomic_load(&b->done))
		;
	mem_event(RL_PROBE_FREE, b->words, sizeof(b->words), "rl_box_drop");
	/* Forgotten: a new use of the same memory is fresh. */
	p_write(&b->words[0], 2, "Cell<i64>", "reuse");
	join(t);
	rl_probe_stats st = detach();
	/* One report per location (reports are per location and site pair), in
	 * address order. */
	assert_int_equal(st.races, 8);
	assert_int_equal(st.race_events, 8);
	for (size_t i = 0; i < 8; i++) {
		const rl_probe_report *r = rl_probe_report_at(i);
		assert_ptr_equal(r->addr, &b->words[512 * i]);
		assert_string_equal(r->prev.op, i < 4 ? "fill_low" : "fill_high");
		assert_string_equal(r->cur.op, "rl_box_drop");
	}
	rl_probe_reset();
	free(b);
}

/* ---- RCU -------------------------------------------------------------------- */

struct rcu {
	uint64_t node[2];        /* two versions of the protected object */
	_Atomic uintptr_t cell;  /* the RCU-protected pointer */
	int domain;              /* the RCU domain's identity */
	bool sync;               /* writer waits for a grace period before freeing */
	_Atomic int reader_done; /* not probed */
};

static void rcu_ev(rl_probe_op op, const void *addr, const char *name)
{
	rl_probe_ev ev = RL_PROBE_EV(op, addr, "RCU", name);
	rl__probe(&ev);
}

static void *rcu_reader(void *p)
{
	struct rcu *r = p;
	uint64_t *node;
	for (;;) {
		rcu_ev(RL_PROBE_RCU_READ_LOCK, &r->domain, "rcu_read_lock");
		rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_RCU_DEREF, &r->cell, "RcuCell<T>", "rl_rcu_cell_load");
		ev.flags = RL_PROBE_F_PTR;
		rl__probe_enter(&ev);
		node = (uint64_t *)atomic_load_explicit(&r->cell, memory_order_acquire);
		ev.rval = (uintptr_t)node;
		rl__probe_exit(&ev);
		if (node)
			break;
		rcu_ev(RL_PROBE_RCU_READ_UNLOCK, &r->domain, "rcu_read_unlock");
		yield();
	}
	uint64_t v = p_read(node, "RcuCell<T> value", "reader_use");
	rcu_ev(RL_PROBE_RCU_READ_UNLOCK, &r->domain, "rcu_read_unlock");
	atomic_store(&r->reader_done, 1);
	return v == 1 ? NULL : (void *)1;
}

static void publish(struct rcu *r, uint64_t *node)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_RCU_PUBLISH, &r->cell, "RcuCell<T>", "rl_rcu_cell_store");
	ev.flags = RL_PROBE_F_PTR;
	rl__probe_enter(&ev);
	atomic_store_explicit(&r->cell, (uintptr_t)node, memory_order_release);
	ev.wval = (uintptr_t)node;
	rl__probe_exit(&ev);
}

static void *rcu_writer(void *p)
{
	struct rcu *r = p;
	p_write(&r->node[0], 1, "RcuCell<T> value", "writer_init");
	publish(r, &r->node[0]);
	while (!atomic_load(&r->reader_done))
		;
	p_write(&r->node[1], 2, "RcuCell<T> value", "writer_init");
	publish(r, &r->node[1]);
	if (r->sync) {
		rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_RCU_SYNC, &r->domain, "RCU", "synchronize_rcu");
		rl__probe_enter(&ev);
		rl__probe_exit(&ev);
	}
	mem_event(RL_PROBE_FREE, &r->node[0], sizeof(r->node[0]), "rl_rcu_reclaim");
	return NULL;
}

static rl_probe_stats run_rcu(bool sync)
{
	struct rcu r = { .sync = sync };
	attach_detector();
	rl_thread *w = spawn(rcu_writer, &r, "writer");
	rl_thread *rd = spawn(rcu_reader, &r, "reader");
	void *ret = (void *)2;
	assert_int_equal(rl_thread_join(rd, &ret), RL_OK);
	assert_null(ret);
	join(w);
	return detach();
}

static void test_rcu_publish_and_grace_period_are_edges(void **state)
{
	(void)state;
	assert_int_equal(run_rcu(true).races, 0);
}

static void test_rcu_free_without_grace_period_is_flagged(void **state)
{
	(void)state;
	rl_probe_stats st = run_rcu(false);
	assert_int_equal(st.races, 1);
	const rl_probe_report *r = rl_probe_report_at(0);
	assert_string_equal(r->cur.op, "rl_rcu_reclaim");
	assert_string_equal(r->prev.op, "reader_use");
	rl_probe_reset();
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

/* ---- many threads ------------------------------------------------------------ */

static void *own_write(void *p)
{
	p_write(p, 1, "Cell<i64>", "own_write");
	return NULL;
}

static void test_threads_past_the_limit_run_unchecked(void **state)
{
	(void)state;
	enum { N = RL_PROBE_MAX_THREADS + 8 };
	static uint64_t own[N];
	uint64_t shared = 0;
	attach_detector();
	for (int i = 0; i < N; i++) {
		rl_thread *t = spawn(own_write, &own[i], "short-lived");
		join(t);
	}
	/* Still checked after hundreds of threads: T0's own accesses. */
	p_write(&shared, 1, "Cell<i64>", "main_set");
	rl_probe_stats st = detach();
	assert_int_equal(st.threads, N + 1);
	assert_true(st.thread_limit);
	assert_int_equal(st.races, 0);
	for (int i = 0; i < N; i++)
		assert_int_equal(own[i], 1);
}

/* ---- the detector under contention ----------------------------------------- */

/* Threads that each write their own slot many times (distinct locations, the
 * detector lock contended by every event), then arrive on one counter with
 * an RMW; the last to arrive reads every slot. With AcqRel the RMWs form one
 * release sequence that carries every writer's clock to the last one, so
 * nothing races, but only if each RMW's event is processed atomically with
 * the RMW itself: a detector that saw them in another order than memory did
 * would miss an edge and report a write. With Relaxed, nothing orders the
 * other writers' slots before the reads. More threads than CPUs: holders of
 * the detector lock get preempted and waiters must sleep and be woken. */
enum { GATHER_N = 8, GATHER_WRITES = 2000 };

struct gather {
	uint64_t slot[GATHER_N];
	_Atomic uint64_t arrived;
	memory_order mo;
	uint64_t sum;
	_Atomic int last; /* workers that saw themselves last */
};

struct gather_arg {
	struct gather *g;
	int i;
};

static void *gather_worker(void *p)
{
	struct gather_arg *a = p;
	struct gather *g = a->g;
	for (uint64_t k = 1; k <= GATHER_WRITES; k++)
		p_write(&g->slot[a->i], k, "Cell<u64>", "slot_set");
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_RMW, &g->arrived, "AtomicU64", "arrive");
	ev.order = (uint8_t)g->mo;
	rl__probe_enter(&ev);
	ev.rval = atomic_fetch_add_explicit(&g->arrived, 1, g->mo);
	ev.wval = ev.rval + 1;
	rl__probe_exit(&ev);
	if (ev.rval == GATHER_N - 1) {
		uint64_t sum = 0;
		for (int i = 0; i < GATHER_N; i++)
			sum += p_read(&g->slot[i], "Cell<u64>", "slot_get");
		g->sum = sum; /* read by main after the joins */
		atomic_fetch_add_explicit(&g->last, 1, memory_order_relaxed);
	}
	return NULL;
}

static rl_probe_stats run_gather(struct gather *g, memory_order mo)
{
	memset(g, 0, sizeof(*g));
	g->mo = mo;
	struct gather_arg args[GATHER_N];
	rl_thread *t[GATHER_N];
	attach_detector();
	for (int i = 0; i < GATHER_N; i++) {
		args[i] = (struct gather_arg){ .g = g, .i = i };
		t[i] = spawn(gather_worker, &args[i], "gatherer");
	}
	for (int i = 0; i < GATHER_N; i++)
		join(t[i]);
	return detach();
}

static void test_contended_acq_rel_arrivals_carry_every_writer_clock(void **state)
{
	(void)state;
	struct gather g;
	rl_probe_stats st = run_gather(&g, memory_order_acq_rel);
	assert_int_equal(atomic_load(&g.last), 1);
	assert_int_equal(g.sum, (uint64_t)GATHER_N * GATHER_WRITES);
	assert_int_equal(st.races, 0);
	assert_int_equal(st.race_events, 0);
	assert_int_equal(st.locations, GATHER_N);
	/* Per worker: its writes, its RMW, start, exit; the last one's reads;
	 * main's spawns and joins. */
	assert_int_equal(st.events, (uint64_t)GATHER_N * (GATHER_WRITES + 1 + 2) + GATHER_N + 2 * GATHER_N);
	rl_probe_reset();
}

static void test_contended_relaxed_arrivals_are_flagged_on_every_other_slot(void **state)
{
	(void)state;
	struct gather g;
	rl_probe_stats st = run_gather(&g, memory_order_relaxed);
	assert_int_equal(atomic_load(&g.last), 1);
	assert_int_equal(g.sum, (uint64_t)GATHER_N * GATHER_WRITES);
	/* One report per other worker's slot: the reader's own slot is ordered. */
	assert_int_equal(st.races, GATHER_N - 1);
	for (size_t i = 0; i < rl_probe_report_count(); i++) {
		const rl_probe_report *r = rl_probe_report_at(i);
		assert_string_equal(r->cur.op, "slot_get");
		assert_string_equal(r->prev.op, "slot_set");
		assert_int_not_equal(r->cur.tid, r->prev.tid);
	}
	rl_probe_reset();
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
		cmocka_unit_test(test_alloc_forgets_earlier_accesses),
		cmocka_unit_test(test_free_racing_with_a_use_is_flagged),
		cmocka_unit_test(test_free_of_a_large_block_checks_every_tracked_location),
		cmocka_unit_test(test_rcu_publish_and_grace_period_are_edges),
		cmocka_unit_test(test_rcu_free_without_grace_period_is_flagged),
		cmocka_unit_test(test_reports_reach_the_sink_once_per_site_pair),
		cmocka_unit_test(test_attach_rejects_bad_use),
		cmocka_unit_test(test_probes_without_a_session_do_nothing),
		cmocka_unit_test(test_threads_past_the_limit_run_unchecked),
		cmocka_unit_test(test_contended_acq_rel_arrivals_carry_every_writer_clock),
		cmocka_unit_test(test_contended_relaxed_arrivals_are_flagged_on_every_other_slot),
		cmocka_unit_test(test_lock_free_relaxed_loads_meet_the_first_release_exactly),
		cmocka_unit_test(test_a_mutex_freed_and_reused_at_its_address_gets_a_new_clock),
		cmocka_unit_test(test_a_foreign_threads_release_ends_the_lock_free_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
