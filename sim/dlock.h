/* dlock.h — the detector lock (private to sim/).
 *
 * A futex lock that spins before it sleeps (Drepper, "Futexes Are Tricky",
 * mutex 3, plus a bounded spin). The critical sections it guards are tens of
 * nanoseconds, so with threads hammering one location a waiter usually gets
 * the lock by spinning; a pthread mutex puts it to sleep at once and pays a
 * futex wait, a wake and a context switch per hand-off, which was over half
 * of the run time of arc-atomic --detect hb on 4 threads (perf, cpu-clock).
 * The spin backs off exponentially (RL__DLOCK_SPIN polls, up to
 * RL__DLOCK_BACKOFF pauses apart): a waiter that polls without pause steals the lock at every
 * release, and each hand-off moves the lock's and the location's cache lines
 * to another CPU, while a holder that takes the lock again keeps them.
 * Word: 0 free, 1 held, 2 held with possible sleepers. */
#ifndef RACELAB_SIM_DLOCK_H
#define RACELAB_SIM_DLOCK_H

#include <stdatomic.h>
#include <stdint.h>
#include <racelab/hooks.h>

#include "core/arch.h"

struct rl__dlock {
	_Atomic uint32_t w;
};

#define RL__DLOCK_SPIN 16    /* polls before sleeping */
#define RL__DLOCK_BACKOFF 64 /* the longest pause between polls */

static inline void rl__dlock_slow(struct rl__dlock *l)
{
	struct rl_backoff b = RL_BACKOFF_INIT(RL__DLOCK_BACKOFF, 0);
	for (int i = 0; i < RL__DLOCK_SPIN; i++) {
		rl_backoff_spin(&b);
		uint32_t v = 0;
		/* Acquire: pairs with the release in rl__dlock_unlock(). */
		if (atomic_load_explicit(&l->w, memory_order_relaxed) == 0 &&
		    atomic_compare_exchange_weak_explicit(&l->w, &v, 1, memory_order_acquire, memory_order_relaxed))
			return;
	}
	/* Acquire: pairs with the release in rl__dlock_unlock(). Whoever gets the
	 * lock this way leaves the word at 2, so its unlock wakes a sleeper. */
	while (atomic_exchange_explicit(&l->w, 2, memory_order_acquire) != 0)
		rl__futex_wait(&l->w, 2);
}

static inline void rl__dlock_lock(struct rl__dlock *l)
{
	uint32_t v = 0;
	/* Acquire: pairs with the release in rl__dlock_unlock(). */
	if (RL_UNLIKELY(!atomic_compare_exchange_strong_explicit(&l->w, &v, 1, memory_order_acquire,
								  memory_order_relaxed)))
		rl__dlock_slow(l);
}

static inline void rl__dlock_unlock(struct rl__dlock *l)
{
	/* Release: pairs with the acquires in rl__dlock_lock() and rl__dlock_slow(). */
	if (RL_UNLIKELY(atomic_exchange_explicit(&l->w, 0, memory_order_release) == 2))
		rl__futex_wake_one(&l->w);
}

/* The session's detector lock: it guards the detector, the probe layer's
 * thread registry, object numbers, the trace and the reports. Defined in
 * probe.c, on a cache line of its own; the scheduler takes it to record. */
extern struct rl__dlock rl__sim_lock;

#endif
