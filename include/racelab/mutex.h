/* mutex.h — std::sync::Mutex<T>: lock word, poison flag and the value in one block.
 *
 * An rl_mutex is caller storage of rl_mutex_size(value_size) bytes (malloc'd
 * memory is always aligned enough; see rl_mutex_align()). Its layout on the
 * default futex backend is Rust's Mutex<T> on Linux:
 *
 *     offset 0  _Atomic uint32_t state    0 unlocked, 1 locked, 2 contended
 *     offset 4  _Atomic uint8_t  poison   set when a holder panicked
 *     offset 5  uint8_t          data_off where the value starts (Rust's padding)
 *     data_off  the value, aligned for its size
 *
 * so Mutex<i32> is 12 bytes, Mutex<u8> and Mutex<()> 8, Mutex<u64> 16, as with
 * rustc. The value's alignment is taken from its size (the lowest set bit,
 * at most 16), which is never less than the natural alignment of a C type of
 * that size. Built with RACELAB_MUTEX=pthread, the lock word is a
 * pthread_mutex_t instead (Mutex<i32> is then 48 bytes); the API is the same.
 *
 * Locking gives a guard (rl_mutex_guard, caller storage, usually on the
 * stack). As in Rust the guard is !Send: it must be dropped by the thread that
 * locked. While a guard is alive its thread holds the lock; if the thread ends
 * in rl_panic() the guard poisons the mutex and unlocks it. A poisoned mutex
 * still locks: rl_mutex_lock() returns RL_POISONED with the lock held, as
 * PoisonError::into_inner() does.
 *
 * Ordering: locking is an acquire, unlocking a release; a guard sees every
 * write made under the lock by earlier holders. The poison flag is accessed
 * Relaxed (Rust's poison::Flag): the lock orders it.
 *
 * Context: a thread must not lock a mutex it already holds (the futex backend
 * deadlocks, as Rust's does).
 *
 * Inline fast paths: when the library's backend is futex (config.h), C
 * callers inline the uncontended halves of rl_mutex_lock(), rl_mutex_try_lock()
 * and rl_mutex_guard_drop() — Rust's CAS 0->1 (Acquire) and swap 0 (Release),
 * plus the guard's bookkeeping — as Rust inlines Mutex::lock and the guard's
 * drop. Everything else is a call into the library: a lock that is held (spin,
 * FUTEX_WAIT), a sleeper to wake, a guard dropped twice or on another thread
 * (the abort), a panicking thread (the poison decision), an attached detector
 * or scheduler (probe.h). C++, the pthread backend and ThreadSanitizer builds
 * (which annotate the futex word as a mutex in the library) call the library
 * for every operation. Either way the behaviour is the one documented below.
 */
#ifndef RACELAB_MUTEX_H
#define RACELAB_MUTEX_H

#ifndef __cplusplus
#include <stdatomic.h>
#endif
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <racelab/cdefs.h>
#include <racelab/config.h>
#include <racelab/hooks.h>
#include <racelab/status.h>
#include <racelab/thread.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque: storage of rl_mutex_size(value_size) bytes. */
typedef struct rl_mutex rl_mutex;
typedef struct rl_arc rl_arc;
typedef void rl_drop_fn(void *value);

/*
 * MutexGuard<'_, T>: caller storage filled by rl_mutex_lock()/rl_mutex_try_lock()
 * and emptied by rl_mutex_guard_drop(). All fields are private.
 */
typedef struct rl_mutex_guard {
	struct rl__cleanup cleanup; /* private: runs if the thread panics (poison + unlock) */
	rl_mutex *mutex;            /* private: NULL once dropped */
	void *value;                /* private: &mut T */
	uint32_t tid;               /* private: rl__tid() of the locking thread */
	bool panicking;             /* private: rl_thread_panicking() when locked */
} rl_mutex_guard;

/*
 * private: RL__MUTEX_INLINE is 1 where lock, try_lock and guard drop are
 * inline: C (C++ cannot compile C11 atomics), the futex backend behind the
 * public names, and no ThreadSanitizer (TSan cannot see a raw CAS as a lock;
 * the library's copies annotate it).
 */
#if !defined(__cplusplus) && RACELAB_MUTEX_FUTEX && !defined(RL_TSAN)
#define RL__MUTEX_INLINE 1
#else
#define RL__MUTEX_INLINE 0
#endif

#ifndef __cplusplus
/*
 * private: the futex backend's block header, Rust's Mutex<T> on Linux (see the
 * top of this file). sync/mutex.c builds on these definitions and on the
 * inline pieces below, so the inline fast paths and the library share one
 * layout and one lock word protocol.
 */
struct rl__fmutex {
	_Atomic uint32_t state; /* RL__FMUTEX_UNLOCKED, _LOCKED or _CONTENDED */
	_Atomic uint8_t poison;
	uint8_t data_off;
};
enum { RL__FMUTEX_UNLOCKED = 0, RL__FMUTEX_LOCKED = 1, RL__FMUTEX_CONTENDED = 2 };

/* private: the futex backend's out-of-line halves (sync/mutex.c). */
int rl__fmutex_lock_slow(rl_mutex *m, rl_mutex_guard *g);     /* probed, or CAS failed */
int rl__fmutex_try_lock_slow(rl_mutex *m, rl_mutex_guard *g); /* probed */
void rl__fmutex_guard_drop_slow(rl_mutex_guard *g);           /* every check, the aborts */
void rl__fmutex_unlock_slow(struct rl__fmutex *x, uint32_t old); /* wake, or abort */
void rl__fmutex_guard_cleanup(struct rl__cleanup *c);         /* run by rl_panic() */

/* private: CAS 0 -> 1; true when the lock was free and is now held.
 * Acquire on success: pairs with the Release swap of rl__fmutex_unlock() by
 * the previous holder. Failure is Relaxed: nothing was taken. */
static inline bool rl__fmutex_trylock(struct rl__fmutex *x)
{
	uint32_t expected = RL__FMUTEX_UNLOCKED;
	return atomic_compare_exchange_strong_explicit(&x->state, &expected, RL__FMUTEX_LOCKED,
						       memory_order_acquire, memory_order_relaxed);
}

/* private: swap in 0; a word that was not LOCKED (CONTENDED: wake a sleeper;
 * UNLOCKED: not held, abort) goes out of line. Release: publishes the holder's
 * writes to the Acquire of the next rl__fmutex_trylock() or of a contended
 * locker's swap. */
static inline void rl__fmutex_unlock(struct rl__fmutex *x)
{
	uint32_t old =
		atomic_exchange_explicit(&x->state, RL__FMUTEX_UNLOCKED, memory_order_release);
	if (RL_UNLIKELY(old != RL__FMUTEX_LOCKED))
		rl__fmutex_unlock_slow(x, old);
}

/* private: fill @g for the lock just taken on @m and push its cleanup
 * handler (both backends). @poison: the mutex's flag, read Relaxed under the
 * lock. Return: RL_OK, or RL_POISONED. */
static inline int rl__mutex_guard_enter(rl_mutex_guard *g, rl_mutex *m, void *value,
					const _Atomic uint8_t *poison,
					void (*cleanup)(struct rl__cleanup *))
{
	g->mutex = m;
	g->value = value;
	g->tid = rl__tid();
	g->panicking = rl__thread_panicking();
	g->cleanup.fn = cleanup;
	rl__cleanup_push(&g->cleanup);
	return atomic_load_explicit(poison, memory_order_relaxed) ? RL_POISONED : RL_OK;
}

/* private: rl__mutex_guard_enter() for a futex mutex. */
static inline int rl__fmutex_guard_enter(struct rl__fmutex *x, rl_mutex_guard *g)
{
	return rl__mutex_guard_enter(g, (rl_mutex *)x, (unsigned char *)x + x->data_off,
				     &x->poison, rl__fmutex_guard_cleanup);
}
#endif /* !__cplusplus */

/**
 * rl_mutex_size() - bytes of a Mutex<T> whose T is @value_size bytes.
 * @value_size: sizeof(T); 0 for Mutex<()>.
 *
 * Context: any thread; constant for a build.
 * Return: the size (a multiple of rl_mutex_align(@value_size)), or 0 when
 * @value_size is too large to represent.
 */
size_t rl_mutex_size(size_t value_size);

/**
 * rl_mutex_align() - alignment a Mutex<T> of @value_size bytes needs.
 *
 * Return: 4 to 16 on the futex backend, 8 to 16 on the pthread backend;
 * malloc() memory always satisfies it.
 */
size_t rl_mutex_align(size_t value_size);

/**
 * rl_mutex_init() - Mutex::new for a zero-filled value of @value_size bytes.
 * @m: rl_mutex_size(@value_size) bytes aligned to rl_mutex_align(@value_size).
 *
 * Context: @m must not be in use by any thread.
 */
void rl_mutex_init(rl_mutex *m, size_t value_size);

/**
 * rl_mutex_destroy() - end the mutex's life (the value is not touched).
 *
 * Aborts: if the mutex is locked (a guard is still alive).
 */
void rl_mutex_destroy(rl_mutex *m);

/**
 * rl_arc_mutex_new() - Arc::new(Mutex::new(value)) in one allocation.
 * @value_size: sizeof(T); the value starts zero-filled.
 * @drop: called with the value (T *) when the last strong reference drops,
 *        before the mutex is destroyed; may be NULL.
 *
 * The Arc's value is the rl_mutex: rl_mutex_lock(rl_arc_get(a), &g).
 * Context: any thread. Share the result with rl_arc_clone(), end with rl_arc_drop().
 * Return: the Arc (strong 1), or NULL when out of memory.
 */
rl_arc *rl_arc_mutex_new(size_t value_size, rl_drop_fn *drop);

/**
 * rl_mutex_lock() - Mutex::lock: block until the lock is held.
 * @g: guard storage; valid until rl_mutex_guard_drop(@g).
 *
 * Context: the calling thread must not hold @m already.
 * Ordering: acquire; pairs with the release of the previous unlock.
 * Return: RL_OK, or RL_POISONED if a holder panicked. The lock is held in
 * both cases.
 */
#if !RL__MUTEX_INLINE || defined(RL__INLINE_EXTERN)
int rl_mutex_lock(rl_mutex *m, rl_mutex_guard *g);
#endif

/**
 * rl_mutex_try_lock() - Mutex::try_lock: take the lock only if it is free.
 *
 * Ordering: acquire on success; nothing on RL_EBUSY.
 * Return: RL_OK or RL_POISONED with the lock held (as rl_mutex_lock());
 * RL_EBUSY if another holder has it (@g is left unused).
 */
#if !RL__MUTEX_INLINE || defined(RL__INLINE_EXTERN)
int rl_mutex_try_lock(rl_mutex *m, rl_mutex_guard *g);
#endif

/**
 * rl_mutex_guard_get() - DerefMut for the guard: the protected value.
 *
 * Return: &mut T, valid until rl_mutex_guard_drop(@g).
 */
#if defined(__cplusplus) || defined(RL__INLINE_EXTERN)
void *rl_mutex_guard_get(rl_mutex_guard *g); /* C++: a function of the library */
#endif
#ifndef __cplusplus
RL__INLINE void *rl_mutex_guard_get(rl_mutex_guard *g)
{
	return g->value;
}
#endif

/**
 * rl_mutex_guard_drop() - drop the guard: unlock, poisoning if panicking.
 *
 * The mutex is poisoned if rl_thread_panicking() is true now and was false
 * when the guard was taken.
 * Context: the thread that locked.
 * Ordering: release; pairs with the acquire of the next lock.
 * Aborts: "racelab: fatal: unlock of a mutex ..." when @g does not hold a
 * lock (dropped twice) or was taken by another thread.
 */
#if !RL__MUTEX_INLINE || defined(RL__INLINE_EXTERN)
void rl_mutex_guard_drop(rl_mutex_guard *g);
#endif

#if RL__MUTEX_INLINE
/*
 * The fast paths, inline (RL__MUTEX_INLINE; the same bodies are the
 * library's rl_mutex_lock, rl_mutex_try_lock and rl_mutex_guard_drop, see
 * cdefs.h). One test of rl__probe_active in front of each, as in arc.h.
 */
RL__INLINE int rl_mutex_lock(rl_mutex *m, rl_mutex_guard *g)
{
	struct rl__fmutex *x = (struct rl__fmutex *)m;
	if (RL_UNLIKELY(rl__probe_active) || RL_UNLIKELY(!rl__fmutex_trylock(x)))
		return rl__fmutex_lock_slow(m, g);
	return rl__fmutex_guard_enter(x, g);
}

RL__INLINE int rl_mutex_try_lock(rl_mutex *m, rl_mutex_guard *g)
{
	struct rl__fmutex *x = (struct rl__fmutex *)m;
	if (RL_UNLIKELY(rl__probe_active))
		return rl__fmutex_try_lock_slow(m, g);
	if (!rl__fmutex_trylock(x))
		return RL_EBUSY;
	return rl__fmutex_guard_enter(x, g);
}

RL__INLINE void rl_mutex_guard_drop(rl_mutex_guard *g)
{
	struct rl__fmutex *x = (struct rl__fmutex *)g->mutex;
	/* Out of line: a guard that holds no lock or that another thread took
	 * (the aborts; a thread racelab has not seen has rl__tid_tls 0, never a
	 * guard's tid), probes attached, or a panicking thread (whether to poison). */
	if (RL_UNLIKELY(!x || g->tid != rl__tid_tls || rl__probe_active ||
			rl__thread_panicking())) {
		rl__fmutex_guard_drop_slow(g);
		return;
	}
	rl__cleanup_pop(&g->cleanup);
	g->mutex = NULL;
	rl__fmutex_unlock(x);
}
#endif /* RL__MUTEX_INLINE */

/**
 * rl_mutex_is_poisoned() - Mutex::is_poisoned.
 *
 * Ordering: Relaxed; only a snapshot unless the caller holds the lock.
 */
bool rl_mutex_is_poisoned(const rl_mutex *m);

/* Mutex::clear_poison: later locks return RL_OK again. Relaxed. */
void rl_mutex_clear_poison(rl_mutex *m);

/**
 * rl_mutex_get_mut() - Mutex::get_mut: the value without locking.
 * @value: receives &mut T.
 *
 * Context: the caller has exclusive access to @m (no other thread can lock it).
 * Return: RL_OK, or RL_POISONED (the value is still given).
 */
int rl_mutex_get_mut(rl_mutex *m, void **value);

/**
 * rl_mutex_into_inner() - Mutex::into_inner: copy the value out, destroy @m.
 * @out: receives @value_size bytes.
 *
 * Context: as rl_mutex_get_mut().
 * Return: RL_OK, or RL_POISONED (the value is still copied).
 */
int rl_mutex_into_inner(rl_mutex *m, void *out, size_t value_size);

#ifdef __cplusplus
}
#endif
#endif
