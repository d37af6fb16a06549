/* test_detect_mem.c — the happens-before detector on memory and many
 * threads: allocation and free, RCU's publish and grace period, the thread
 * limit, and the detector contended by eight threads. Driven through the
 * probe API with threads running in parallel (no scheduler), like
 * test_detect.c; workers return statuses and main asserts after join.
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


static void *rcu_reader(void *p)
{
	struct rcu *r = p;
	uint64_t *node;
	for (;;) {
		one_shot(RL_PROBE_RCU_READ_LOCK, &r->domain, "rcu_read_lock");
		node = rcu_deref(r);
		if (node)
			break;
		one_shot(RL_PROBE_RCU_READ_UNLOCK, &r->domain, "rcu_read_unlock");
		yield();
	}
	uint64_t v = p_read(node, "RcuCell<T> value", "reader_use");
	one_shot(RL_PROBE_RCU_READ_UNLOCK, &r->domain, "rcu_read_unlock");
	atomic_store(&r->reader_done, 1);
	return v == 1 ? NULL : (void *)1;
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
	rcu_reclaim_old(r);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_forgets_earlier_accesses),
		cmocka_unit_test(test_free_racing_with_a_use_is_flagged),
		cmocka_unit_test(test_free_of_a_large_block_checks_every_tracked_location),
		cmocka_unit_test(test_rcu_publish_and_grace_period_are_edges),
		cmocka_unit_test(test_rcu_free_without_grace_period_is_flagged),
		cmocka_unit_test(test_threads_past_the_limit_run_unchecked),
		cmocka_unit_test(test_contended_acq_rel_arrivals_carry_every_writer_clock),
		cmocka_unit_test(test_contended_relaxed_arrivals_are_flagged_on_every_other_slot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
