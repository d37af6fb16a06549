/* barrier.c — std::sync::Barrier on a futex word (barrier.h).
 *
 * A thread reads the generation, then counts itself in. The generation
 * cannot move between the two: it moves only when all n have arrived, this
 * thread among them. The n-th arrival resets the count (before the bump, so
 * no thread of the next generation can count itself into the old one: they
 * all leave only after seeing the bump) and bumps the generation with a
 * Release and a wake of all; the others sleep in FUTEX_WAIT until the
 * generation differs from the one they read.
 */
#include <racelab/barrier.h>

#include <stdatomic.h>
#include <stddef.h>

#include "sync_wait.h"

struct bar {
	_Atomic uint32_t count;
	_Atomic uint32_t generation;
	uint32_t n;
};
_Static_assert(sizeof(struct bar) == sizeof(rl_barrier), "barrier.h's layout");

static const char BARRIER_KIND[] = "Barrier";

void rl_barrier_init(rl_barrier *b, unsigned n)
{
	struct bar *x = (struct bar *)b;
	atomic_init(&x->count, 0);
	atomic_init(&x->generation, 0);
	x->n = n == 0 ? 1 : n;
}

void rl_barrier_destroy(rl_barrier *b)
{
	struct bar *x = (struct bar *)b;
	if (atomic_load_explicit(&x->count, memory_order_relaxed) != 0)
		sync_fatal("destroy of a barrier with waiting threads");
}

static __attribute__((noinline)) bool wait_probed(struct bar *x, const void *pc)
{
	uint32_t gen = sync_probe_load(&x->generation, memory_order_acquire, BARRIER_KIND,
				       "rl_barrier_wait", pc);
	uint32_t arrived =
		sync_probe_add(&x->count, 1, memory_order_acq_rel, BARRIER_KIND,
			       "rl_barrier_wait", pc) + 1;
	if (arrived == x->n) {
		rl_probe_ev ev = {.op = RL_PROBE_STORE, .order = memory_order_relaxed,
				  .addr = &x->count, .kind = BARRIER_KIND,
				  .name = "rl_barrier_wait", .pc = pc};
		rl__probe_enter(&ev);
		atomic_store_explicit(&x->count, 0, memory_order_relaxed);
		rl__probe_exit(&ev);
		sync_probe_add(&x->generation, 1, memory_order_release, BARRIER_KIND,
			       "rl_barrier_wait", pc);
		sync_probe_notify(&x->generation, true, BARRIER_KIND, "rl_barrier_wait", pc);
		return true;
	}
	while (sync_probe_load(&x->generation, memory_order_acquire, BARRIER_KIND,
			       "rl_barrier_wait", pc) == gen)
		if (sync_probe_wait(&x->generation, gen, UINT64_MAX, 0, BARRIER_KIND,
				    "rl_barrier_wait", pc) == RL_EDEADLK)
			rl_panic("deadlock: rl_barrier_wait can never return (%u of %u threads "
				 "arrived; see the deadlock report)",
				 (unsigned)atomic_load_explicit(&x->count, memory_order_relaxed), x->n);
	return false;
}

bool rl_barrier_wait(rl_barrier *b)
{
	struct bar *x = (struct bar *)b;
	if (RL_UNLIKELY(rl__probe_active))
		return wait_probed(x, __builtin_return_address(0));
	/* Acquire: a thread that left the previous generation read the bump
	 * already; this load only names the generation it is joining. */
	uint32_t gen = atomic_load_explicit(&x->generation, memory_order_acquire);
	/* AcqRel: releases this thread's writes into the count's release
	 * sequence; the leader's RMW, last in it, acquires them all. */
	uint32_t arrived = atomic_fetch_add_explicit(&x->count, 1, memory_order_acq_rel) + 1;
	if (arrived == x->n) {
		atomic_store_explicit(&x->count, 0, memory_order_relaxed);
		/* Release: pairs with the waiters' Acquire loads below; it
		 * carries everything the leader acquired from the arrivals. */
		atomic_fetch_add_explicit(&x->generation, 1, memory_order_release);
		rl__futex_wake_all(&x->generation);
		return true;
	}
	/* Acquire: pairs with the leader's Release bump. */
	while (atomic_load_explicit(&x->generation, memory_order_acquire) == gen)
		rl__futex_wait(&x->generation, gen);
	return false;
}
