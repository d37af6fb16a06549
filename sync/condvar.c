/* condvar.c — std::sync::Condvar on a futex word (condvar.h).
 *
 * The protocol is Rust's futex Condvar (library/std/src/sys/sync/condvar/
 * futex.rs), rewritten, plus a waiter count: a waiter counts itself in,
 * reads the sequence number, unlocks the mutex and sleeps in FUTEX_WAIT while
 * the number is unchanged; a notifier that sees waiters bumps the number and
 * wakes one (or all). A waiter that reads the number before a notify and
 * sleeps after it finds the number changed and returns at once (a notify is
 * never lost); one woken for nothing returns spuriously, which the caller's
 * loop absorbs. Nobody waiting: the notify is one load.
 *
 * Under probes the same protocol runs on probed atomics, the sleep being
 * sync_probe_wait() (a spurious wakeup is a choice the model explores) and
 * the wake sync_probe_notify() (notify_one's choice of sleeper too); a wait
 * that can never be woken returns RL_EDEADLK there and the waiter panics,
 * as a lock does. TSan: the notify releases and the woken wait acquires the
 * sequence word (sync_wait.h), the edge the kernel gives.
 */
#include <racelab/condvar.h>

#include <stdatomic.h>
#include <stddef.h>

#include <racelab/mutex.h>
#include <racelab/probe.h>
#include <racelab/thread.h>

#include "sync_wait.h"

/* The header's struct with its atomics (same size and offsets). */
struct cv {
	_Atomic uint32_t seq;
	_Atomic uint32_t waiters;
	_Atomic(void *) mutex;
};
_Static_assert(sizeof(struct cv) == sizeof(rl_condvar), "condvar.h's layout");
_Static_assert(offsetof(struct cv, mutex) == offsetof(rl_condvar, mutex), "condvar.h's layout");

static const char CONDVAR_KIND[] = "Condvar";

void rl_condvar_init(rl_condvar *c)
{
	struct cv *x = (struct cv *)c;
	atomic_init(&x->seq, 0);
	atomic_init(&x->waiters, 0);
	atomic_init(&x->mutex, NULL);
}

void rl_condvar_destroy(rl_condvar *c)
{
	struct cv *x = (struct cv *)c;
	if (atomic_load_explicit(&x->waiters, memory_order_relaxed) != 0)
		sync_fatal("destroy of a condvar with waiters");
}

/* Bind @x to @m on its first wait; panic on a second mutex. Relaxed: the
 * pointer is compared, never dereferenced; any value read is a mutex some
 * wait used. */
static void check_mutex(struct cv *x, rl_mutex *m)
{
	void *cur = atomic_load_explicit(&x->mutex, memory_order_relaxed);
	if (RL_LIKELY(cur == m))
		return;
	if (cur == NULL && atomic_compare_exchange_strong_explicit(&x->mutex, &cur, (void *)m,
								   memory_order_relaxed,
								   memory_order_relaxed))
		return;
	if (cur != m)
		rl_panic("attempted to use a condition variable with two mutexes");
}

/* Under probes: the protocol below on probed atomics and a probed sleep.
 * @kind, @name: what the deadlock report says the thread waits on. */
static __attribute__((noinline)) int wait_probed(struct cv *x, rl_mutex *m, rl_mutex_guard *g,
						 uint64_t deadline, bool *timed_out, const void *pc,
						 const char *kind, const char *name)
{
	sync_probe_add(&x->waiters, 1, memory_order_relaxed, CONDVAR_KIND, name, pc);
	uint32_t seq = sync_probe_load(&x->seq, memory_order_relaxed, CONDVAR_KIND, name, pc);
	rl_mutex_guard_drop(g);
	int rc = sync_probe_wait(&x->seq, seq, deadline, RL_PROBE_F_SPURIOUS, kind, name, pc);
	sync_probe_add(&x->waiters, (uint32_t)-1, memory_order_relaxed, CONDVAR_KIND, name, pc);
	if (rc == RL_EDEADLK)
		rl_panic("deadlock: %s on %s can never return (see the deadlock report)", name, kind);
	int st = rl_mutex_lock(m, g);
	if (timed_out)
		*timed_out = rc == RL_ETIMEDOUT;
	return st;
}

static int wait_until(struct cv *x, rl_mutex_guard *g, uint64_t deadline, bool *timed_out,
		      const void *pc, const char *kind, const char *name)
{
	rl_mutex *m = g->mutex;
	if (m == NULL)
		sync_fatal("rl_condvar_wait through a guard that holds no lock");
	check_mutex(x, m);
	if (RL_UNLIKELY(rl__probe_active))
		return wait_probed(x, m, g, deadline, timed_out, pc, kind, name);
	/* Relaxed: counted before the unlock below, whose Release pairs with
	 * the Acquire of a notifier's later lock, so that notifier sees us. */
	atomic_fetch_add_explicit(&x->waiters, 1, memory_order_relaxed);
	/* Relaxed: only the kernel compares it; a notify after this load
	 * changes it (modification order), and FUTEX_WAIT returns at once. */
	uint32_t seq = atomic_load_explicit(&x->seq, memory_order_relaxed);
	rl_mutex_guard_drop(g);
	bool woken = sync_futex_wait_until(&x->seq, seq, deadline);
	sync_tsan_woken(&x->seq);
	atomic_fetch_sub_explicit(&x->waiters, 1, memory_order_relaxed);
	/* Acquire (the relock): everything the notifier wrote under the mutex. */
	int st = rl_mutex_lock(m, g);
	if (timed_out)
		*timed_out = !woken;
	return st;
}

int rl_condvar_wait(rl_condvar *c, rl_mutex_guard *g)
{
	return wait_until((struct cv *)c, g, UINT64_MAX, NULL, __builtin_return_address(0),
			  CONDVAR_KIND, "rl_condvar_wait");
}

int rl_condvar_wait_timeout(rl_condvar *c, rl_mutex_guard *g, uint64_t ns, bool *timed_out)
{
	return wait_until((struct cv *)c, g, sync_deadline(ns), timed_out,
			  __builtin_return_address(0), CONDVAR_KIND, "rl_condvar_wait_timeout");
}

int rl__condvar_wait_as(rl_condvar *c, rl_mutex_guard *g, uint64_t deadline, bool *timed_out,
			const char *kind, const char *name)
{
	return wait_until((struct cv *)c, g, deadline, timed_out, __builtin_return_address(0), kind,
			  name);
}

static __attribute__((noinline)) void notify_probed(struct cv *x, bool all, const void *pc)
{
	const char *name = all ? "rl_condvar_notify_all" : "rl_condvar_notify_one";
	if (sync_probe_load(&x->waiters, memory_order_relaxed, CONDVAR_KIND, name, pc) == 0)
		return;
	sync_probe_add(&x->seq, 1, memory_order_relaxed, CONDVAR_KIND, name, pc);
	sync_probe_notify(&x->seq, all, CONDVAR_KIND, name, pc);
}

/* Relaxed load of the count: a waiter that counted itself in before
 * unlocking the mutex the caller then locked is visible (condvar.h). The
 * bump is Relaxed too: the kernel's futex lock orders it before the wake. */
void rl_condvar_notify_one(rl_condvar *c)
{
	struct cv *x = (struct cv *)c;
	if (RL_UNLIKELY(rl__probe_active)) {
		notify_probed(x, false, __builtin_return_address(0));
		return;
	}
	if (atomic_load_explicit(&x->waiters, memory_order_relaxed) == 0)
		return;
	atomic_fetch_add_explicit(&x->seq, 1, memory_order_relaxed);
	sync_tsan_notify(&x->seq);
	rl__futex_wake_one(&x->seq);
}

void rl_condvar_notify_all(rl_condvar *c)
{
	struct cv *x = (struct cv *)c;
	if (RL_UNLIKELY(rl__probe_active)) {
		notify_probed(x, true, __builtin_return_address(0));
		return;
	}
	if (atomic_load_explicit(&x->waiters, memory_order_relaxed) == 0)
		return;
	atomic_fetch_add_explicit(&x->seq, 1, memory_order_relaxed);
	sync_tsan_notify(&x->seq);
	rl__futex_wake_all(&x->seq);
}
