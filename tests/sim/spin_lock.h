/* spin_lock.h — a spin lock probed as a mutex, for the tests' deadlocks
 * (tests/sim, tests/timeline). No cmocka, so programs that are not cmocka
 * tests can include it. */
#ifndef RACELAB_TESTS_SIM_SPIN_LOCK_H
#define RACELAB_TESTS_SIM_SPIN_LOCK_H

#include <stdatomic.h>
#include <racelab/probe.h>
#include <racelab/status.h>

/* A spin lock probed as a mutex (RL_PROBE_LOCK/UNLOCK): not a pthread mutex,
 * so that TSan's lock-order checker leaves deliberate inversions (the
 * deadlock tests) alone. Under the scheduler a probed lock is only entered
 * when it is free, so nobody spins. */
static __attribute__((unused)) int s_lock(_Atomic int *l)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_LOCK, l, "Mutex", "rl_mutex_lock");
	int rc = rl__probe_enter(&ev);
	if (rc != RL_OK)
		return rc;
	/* Acquire: pairs with the release in s_unlock(). */
	while (atomic_exchange_explicit(l, 1, memory_order_acquire))
		;
	rl__probe_exit(&ev);
	return RL_OK;
}

static __attribute__((unused)) void s_unlock(_Atomic int *l)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_UNLOCK, l, "Mutex", "rl_mutex_guard_drop");
	rl__probe_enter(&ev);
	atomic_store_explicit(l, 0, memory_order_release);
	rl__probe_exit(&ev);
}

#endif
