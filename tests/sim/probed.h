/* probed.h — the tests' probed operations, done the way a primitive's slow
 * path does them (probe.h's patterns), and the RCU fixture that
 * test_detect*.c and test_sched*.c share.
 *
 * Every shared plain access happens between rl__probe_enter() and
 * rl__probe_exit(), under the detector lock, so TSan sees them ordered.
 */
#ifndef RACELAB_TESTS_SIM_PROBED_H
#define RACELAB_TESTS_SIM_PROBED_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <racelab/probe.h>
#include <racelab/status.h>
#include <racelab/thread.h>

#define RL_TEST_HELPER static __attribute__((unused))

#include "spin_lock.h" /* s_lock(), s_unlock() */

/* noinline: the event's site is the caller's return address. */
RL_TEST_HELPER __attribute__((noinline)) uint64_t p_read(uint64_t *p, const char *kind, const char *op)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_READ, p, kind, op);
	rl__probe_enter(&ev);
	ev.rval = *p;
	rl__probe_exit(&ev);
	return ev.rval;
}

RL_TEST_HELPER __attribute__((noinline)) void p_write(uint64_t *p, uint64_t v, const char *kind, const char *op)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_WRITE, p, kind, op);
	rl__probe_enter(&ev);
	*p = v;
	ev.wval = v;
	rl__probe_exit(&ev);
}

/* Rc::clone's non-atomic increment: a read, a scheduling point, a write. */
RL_TEST_HELPER __attribute__((noinline)) void p_inc(uint64_t *p, const char *kind, const char *op)
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

RL_TEST_HELPER uint64_t a_load(_Atomic uint64_t *a, memory_order mo, const char *op)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_LOAD, a, "AtomicU64", op);
	ev.order = (uint8_t)mo;
	rl__probe_enter(&ev);
	ev.rval = atomic_load_explicit(a, mo);
	rl__probe_exit(&ev);
	return ev.rval;
}

RL_TEST_HELPER void a_store(_Atomic uint64_t *a, uint64_t v, memory_order mo, const char *op)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_STORE, a, "AtomicU64", op);
	ev.order = (uint8_t)mo;
	rl__probe_enter(&ev);
	atomic_store_explicit(a, v, mo);
	ev.wval = v;
	rl__probe_exit(&ev);
}

RL_TEST_HELPER uint64_t a_fetch_add(_Atomic uint64_t *a, uint64_t v, memory_order mo, const char *op)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_RMW, a, "Arc<T> strong count", op);
	ev.order = (uint8_t)mo;
	rl__probe_enter(&ev);
	ev.rval = atomic_fetch_add_explicit(a, v, mo);
	ev.wval = ev.rval + v;
	rl__probe_exit(&ev);
	return ev.rval;
}

RL_TEST_HELPER uint64_t a_fetch_sub(_Atomic uint64_t *a, uint64_t v, memory_order mo, const char *kind,
				    const char *op)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_RMW, a, kind, op);
	ev.order = (uint8_t)mo;
	rl__probe_enter(&ev);
	ev.rval = atomic_fetch_sub_explicit(a, v, mo);
	ev.wval = ev.rval - v;
	rl__probe_exit(&ev);
	return ev.rval;
}

RL_TEST_HELPER void fence(memory_order mo)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_FENCE, NULL, NULL, "fence");
	ev.order = (uint8_t)mo;
	rl__probe(&ev);
	/* TSan does not model fences and warns about them; the accesses are
	 * ordered by the detector lock anyway. The detector models the fence. */
#ifndef __SANITIZE_THREAD__
	atomic_thread_fence(mo);
#endif
}

RL_TEST_HELPER void yield(void)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_YIELD, NULL, NULL, "spin_loop");
	rl__probe(&ev);
}

/* Return: RL_OK, or RL_EDEADLK (the scheduler found a deadlock; not taken). */
RL_TEST_HELPER int m_lock(pthread_mutex_t *m)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_LOCK, m, "Mutex", "rl_mutex_lock");
	int rc = rl__probe_enter(&ev);
	if (rc != RL_OK)
		return rc;
	pthread_mutex_lock(m);
	rl__probe_exit(&ev);
	return RL_OK;
}

RL_TEST_HELPER void m_unlock(pthread_mutex_t *m)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_UNLOCK, m, "Mutex", "rl_mutex_guard_drop");
	rl__probe_enter(&ev);
	pthread_mutex_unlock(m);
	rl__probe_exit(&ev);
}

/* A one-shot event with no memory operation (RCU read lock/unlock). */
RL_TEST_HELPER void one_shot(rl_probe_op op, const void *addr, const char *name)
{
	rl_probe_ev ev = RL_PROBE_EV(op, addr, "RCU", name);
	rl__probe(&ev);
}

/* ALLOC or FREE of [@p, @p + @size). */
RL_TEST_HELPER void mem_event(rl_probe_op op, void *p, size_t size, const char *name)
{
	rl_probe_ev ev = RL_PROBE_EV(op, p, "Rc<T> box", name);
	ev.wval = size;
	rl__probe(&ev);
}

/* ---- detector sessions and threads (asserting with cmocka: include cmocka.h first) ---- */

RL_TEST_HELPER void attach_detector(void)
{
	rl_probe_config cfg = { .detect = true, .main_name = "main" };
	assert_int_equal(rl_probe_attach(&cfg), RL_OK);
}

RL_TEST_HELPER rl_probe_stats detach(void)
{
	assert_int_equal(rl_probe_detach(), RL_OK);
	rl_probe_stats st;
	rl_probe_get_stats(&st);
	return st;
}

RL_TEST_HELPER rl_thread *spawn(rl_thread_fn *fn, void *arg, const char *name)
{
	rl_thread *t = NULL;
	rl_thread_opts o = { .name = name };
	assert_int_equal(rl_thread_spawn(&t, fn, arg, &o), RL_OK);
	return t;
}

RL_TEST_HELPER void join(rl_thread *t)
{
	assert_int_equal(rl_thread_join(t, NULL), RL_OK);
}

RL_TEST_HELPER void run_two(rl_thread_fn *fn, void *arg, const char *n1, const char *n2)
{
	rl_thread *a = spawn(fn, arg, n1), *b = spawn(fn, arg, n2);
	join(a);
	join(b);
}

/* ---- the RCU fixture ---------------------------------------------------------
 * Two versions of an object behind an RCU-protected pointer; a writer
 * publishes the second and reclaims the first, after a grace period if
 * @sync. The readers' and writers' bodies are each test's own. */

struct rcu {
	uint64_t node[2];        /* two versions of the protected object */
	_Atomic uintptr_t cell;  /* the RCU-protected pointer */
	int domain;              /* the RCU domain's identity */
	bool sync;               /* the writer waits for a grace period before reclaiming */
	_Atomic int reader_done; /* not probed */
};

/* rcu_dereference of the cell (an acquire load), inside a read section. */
RL_TEST_HELPER uint64_t *rcu_deref(struct rcu *r)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_RCU_DEREF, &r->cell, "RcuCell<T>", "rl_rcu_cell_load");
	ev.flags = RL_PROBE_F_PTR;
	rl__probe_enter(&ev);
	uint64_t *node = (uint64_t *)atomic_load_explicit(&r->cell, memory_order_acquire);
	ev.rval = (uintptr_t)node;
	rl__probe_exit(&ev);
	return node;
}

/* rcu_assign_pointer (a release store). */
RL_TEST_HELPER void publish(struct rcu *r, uint64_t *node)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_RCU_PUBLISH, &r->cell, "RcuCell<T>", "rl_rcu_cell_store");
	ev.flags = RL_PROBE_F_PTR;
	rl__probe_enter(&ev);
	atomic_store_explicit(&r->cell, (uintptr_t)node, memory_order_release);
	ev.wval = (uintptr_t)node;
	rl__probe_exit(&ev);
}

/* The writer's end: a grace period if r->sync, then the old version's FREE. */
RL_TEST_HELPER void rcu_reclaim_old(struct rcu *r)
{
	if (r->sync) {
		rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_RCU_SYNC, &r->domain, "RCU", "synchronize_rcu");
		rl__probe_enter(&ev);
		rl__probe_exit(&ev);
	}
	rl_probe_ev fr = RL_PROBE_EV(RL_PROBE_FREE, &r->node[0], "RcuCell<T> value", "rl_rcu_reclaim");
	fr.wval = sizeof(r->node[0]);
	rl__probe(&fr);
}

#endif
