/* once.c — std::sync::Once on a futex word (once.h).
 *
 * The states of Rust's futex Once (library/std/src/sys/sync/once/futex.rs),
 * rewritten: a caller that finds the word incomplete CASes it to running and
 * runs the function with a cleanup handler on the thread's stack (rl_panic()
 * runs it: the word becomes poisoned and the sleepers wake); a caller that
 * finds it running marks it queued and sleeps in FUTEX_WAIT while it is
 * queued; the runner swaps in complete and wakes every sleeper if the word
 * was queued.
 */
#include <racelab/once.h>

#include <stdatomic.h>
#include <stddef.h>

#include <racelab/thread.h>

#include "sync_wait.h"

enum { INCOMPLETE = 0, POISONED = 1, RUNNING = 2, QUEUED = 3, COMPLETE = 4 };

static const char ONCE_KIND[] = "Once";

static inline _Atomic uint32_t *word(const rl_once *o)
{
	return (_Atomic uint32_t *)&((rl_once *)o)->state;
}
_Static_assert(sizeof(_Atomic uint32_t) == sizeof(uint32_t), "once.h's layout");

/* The word's operations, probed while rl__probe_active (sync_wait.h). */
static uint32_t load_acquire(_Atomic uint32_t *w, const void *pc)
{
	if (RL_UNLIKELY(rl__probe_active))
		return sync_probe_load(w, memory_order_acquire, ONCE_KIND, "rl_once_call", pc);
	return atomic_load_explicit(w, memory_order_acquire);
}

static bool cas(_Atomic uint32_t *w, uint32_t *expected, uint32_t desired, memory_order mo,
		const void *pc)
{
	if (RL_UNLIKELY(rl__probe_active))
		return sync_probe_cas(w, expected, desired, mo, memory_order_acquire, ONCE_KIND,
				      "rl_once_call", pc);
	return atomic_compare_exchange_strong_explicit(w, expected, desired, mo,
						       memory_order_acquire);
}

/* Set the final state; wake the sleepers. Release: pairs with the Acquire
 * loads of every later caller and of the sleepers when they wake. */
static void finish(_Atomic uint32_t *w, uint32_t state, const void *pc)
{
	uint32_t old = RL_UNLIKELY(rl__probe_active)
			       ? sync_probe_xchg(w, state, memory_order_release, ONCE_KIND,
						 "rl_once_call", pc)
			       : atomic_exchange_explicit(w, state, memory_order_release);
	if (old == QUEUED) {
		if (RL_UNLIKELY(rl__probe_active))
			sync_probe_notify(w, true, ONCE_KIND, "rl_once_call", pc);
		else
			rl__futex_wake_all(w);
	}
}

struct runner {
	struct rl__cleanup cleanup; /* first: the handler casts back */
	_Atomic uint32_t *word;
};

/* Run by rl_panic() while the function runs: poison, wake the sleepers. */
static void poison_on_panic(struct rl__cleanup *c)
{
	struct runner *r = (struct runner *)c;
	finish(r->word, POISONED, NULL);
}

static __attribute__((noinline)) void call_slow(rl_once *o, void (*fn)(void *), void *arg,
						 const void *pc)
{
	_Atomic uint32_t *w = word(o);
	uint32_t s = load_acquire(w, pc);
	for (;;) {
		switch (s) {
		case COMPLETE:
			return;
		case POISONED:
			rl_panic("Once instance has previously been poisoned");
		case INCOMPLETE: {
			/* Acquire on failure (cas()): the value seen may be
			 * COMPLETE, which returns at once: it pairs with the
			 * runner's Release swap. */
			if (!cas(w, &s, RUNNING, memory_order_acquire, pc))
				continue;
			struct runner r = {.cleanup.fn = poison_on_panic, .word = w};
			rl__cleanup_push(&r.cleanup);
			fn(arg);
			rl__cleanup_pop(&r.cleanup);
			finish(w, COMPLETE, pc);
			return;
		}
		case RUNNING:
			/* Announces a sleeper. Acquire on failure (cas()): the
			 * value seen may be COMPLETE, which returns at once and
			 * must pair with the runner's Release; C11 wants the
			 * success order at least as strong. */
			if (!cas(w, &s, QUEUED, memory_order_acquire, pc))
				continue;
			s = QUEUED;
			/* fall through */
		case QUEUED:
			if (RL_UNLIKELY(rl__probe_active)) {
				if (sync_probe_wait(w, QUEUED, UINT64_MAX, 0, ONCE_KIND, "rl_once_call",
						    pc) == RL_EDEADLK)
					rl_panic("deadlock: rl_once_call waits for an initialiser that "
						 "can never finish (see the deadlock report)");
			} else
				rl__futex_wait(w, QUEUED);
			s = load_acquire(w, pc);
			continue;
		default:
			sync_fatal("rl_once_call on a word that is not a Once (RL_ONCE_INIT?)");
		}
	}
}

void rl_once_call(rl_once *o, void (*fn)(void *arg), void *arg)
{
	/* Acquire: pairs with the runner's Release swap to COMPLETE. */
	if (RL_LIKELY(!rl__probe_active) &&
	    atomic_load_explicit(word(o), memory_order_acquire) == COMPLETE)
		return;
	call_slow(o, fn, arg, __builtin_return_address(0));
}

bool rl_once_is_completed(const rl_once *o)
{
	return load_acquire(word(o), __builtin_return_address(0)) == COMPLETE;
}
