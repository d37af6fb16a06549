/* condvar.h — std::sync::Condvar on a futex (caller storage).
 *
 * An rl_condvar pairs with an rl_mutex: rl_condvar_wait() takes the guard of
 * a locked mutex, unlocks it, sleeps until notified and locks it again before
 * returning, as Condvar::wait does. As in Rust, a wait may return without a
 * notify (a spurious wakeup): wait in a loop that re-checks the predicate.
 *
 * Layout (16 bytes; Rust's futex Condvar is 4): the futex word Rust has (a
 * sequence number bumped by every notify that finds a waiter), a count of
 * waiting threads, so that rl_condvar_notify_one()/notify_all() with nobody
 * waiting is one load and no syscall (Rust's makes a FUTEX_WAKE on every
 * notify), and the mutex of the first wait, for the two-mutex check: a
 * condvar used with two different mutexes panics (rl_panic) with Rust's
 * words "attempted to use a condition variable with two mutexes", as the
 * Condvar docs say it may. The association is never cleared.
 *
 * Ordering: the condvar adds no happens-before edge of its own (Rust's adds
 * none either); the mutex orders everything. A waiter counts itself before
 * it unlocks (Release), so a notifier that locked the mutex after that
 * (Acquire) sees the count and wakes it; a notifier that changes the
 * predicate without holding the mutex can lose a wakeup, with Rust's Condvar
 * as with this one.
 *
 * Probes (probe.h): while a detector or the scheduler is attached, a wait is
 * a probed wait on the condvar's futex word (RL_PROBE_WAIT) and a notify a
 * probed notify: the detector sees the notify -> woken-wait edge and the
 * mutex's edges; the scheduler and rl_model() see a waiting thread as blocked
 * until a notify wakes it, explore spurious wakeups as a choice, and report a
 * wait nobody can end as a deadlock naming the condvar.
 */
#ifndef RACELAB_CONDVAR_H
#define RACELAB_CONDVAR_H

#include <stdbool.h>
#include <stdint.h>
#include <racelab/mutex.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Condvar: caller storage; every field is private. */
typedef struct rl_condvar {
	uint32_t seq;     /* private: futex word, bumped by notifies that find waiters */
	uint32_t waiters; /* private: threads between counting in and counting out */
	void *mutex;      /* private: the mutex of the first wait */
} rl_condvar;

/* Condvar::new. Context: @cv not in use. */
void rl_condvar_init(rl_condvar *cv);

/* End @cv's life. Aborts: if a thread is still waiting on it. */
void rl_condvar_destroy(rl_condvar *cv);

/**
 * rl_condvar_wait() - Condvar::wait: unlock @g's mutex, sleep, relock.
 * @g: a guard holding its mutex (rl_mutex_lock()); it holds the lock again
 *     when this returns.
 *
 * Context: the thread that locked @g. May return spuriously.
 * Panics: if @cv was used with another mutex before.
 * Return: RL_OK, or RL_POISONED if the mutex is poisoned once relocked.
 */
int rl_condvar_wait(rl_condvar *cv, rl_mutex_guard *g);

/**
 * rl_condvar_wait_timeout() - Condvar::wait_timeout: as rl_condvar_wait(),
 * giving up after @ns nanoseconds.
 * @timed_out: set to true when the wait ended because @ns passed
 *             (WaitTimeoutResult::timed_out); may be NULL.
 * Return: as rl_condvar_wait().
 */
int rl_condvar_wait_timeout(rl_condvar *cv, rl_mutex_guard *g, uint64_t ns, bool *timed_out);

/* Condvar::notify_one: wake one waiter, if any (no syscall when none). */
void rl_condvar_notify_one(rl_condvar *cv);

/* Condvar::notify_all: wake every waiter (no syscall when none). */
void rl_condvar_notify_all(rl_condvar *cv);

#ifdef __cplusplus
}
#endif
#endif
