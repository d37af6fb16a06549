/* once.h — std::sync::Once on a futex word (caller storage, RL_ONCE_INIT).
 *
 * rl_once_call() runs its function exactly once per rl_once, however many
 * threads call it: the first caller runs it, the others sleep until it has
 * finished, and every call that returns does so after the function did, with
 * its writes visible. If the function panics (rl_panic), the Once is
 * poisoned: the threads waiting for it and every later call panic with
 * Rust's words "Once instance has previously been poisoned".
 *
 * The word is Rust's futex Once: 0 incomplete, 1 poisoned, 2 running,
 * 3 running with sleepers, 4 complete (4 bytes, as Rust's Once).
 *
 * Ordering: the runner's final swap to complete (or poisoned) is a Release;
 * the Acquire load every caller makes (the fast path too) pairs with it.
 *
 * Probes (probe.h): while a detector or the scheduler is attached, the
 * word's loads, CASes and swap are probe events (the detector sees the
 * run -> later call edge) and a waiter yields (RL_PROBE_YIELD) and re-checks
 * instead of sleeping in the futex.
 */
#ifndef RACELAB_ONCE_H
#define RACELAB_ONCE_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Once: caller storage; the field is private. */
typedef struct rl_once {
	uint32_t state; /* private: the futex word */
} rl_once;

/* Once::new(), for static and automatic storage. */
#define RL_ONCE_INIT {0}

/**
 * rl_once_call() - Once::call_once: run @fn(@arg) if no call has run it yet.
 *
 * Context: any thread; @fn must not call rl_once_call() on the same @o (it
 * would wait for itself, as Rust's does).
 * Panics: if @o is poisoned (a run panicked), now or while waiting.
 */
void rl_once_call(rl_once *o, void (*fn)(void *arg), void *arg);

/* Once::is_completed: true once a run finished without panicking. Acquire. */
bool rl_once_is_completed(const rl_once *o);

#ifdef __cplusplus
}
#endif
#endif
