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
 */
#ifndef RACELAB_MUTEX_H
#define RACELAB_MUTEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <racelab/cdefs.h>
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
int rl_mutex_lock(rl_mutex *m, rl_mutex_guard *g);

/**
 * rl_mutex_try_lock() - Mutex::try_lock: take the lock only if it is free.
 *
 * Ordering: acquire on success; nothing on RL_EBUSY.
 * Return: RL_OK or RL_POISONED with the lock held (as rl_mutex_lock());
 * RL_EBUSY if another holder has it (@g is left unused).
 */
int rl_mutex_try_lock(rl_mutex *m, rl_mutex_guard *g);

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
void rl_mutex_guard_drop(rl_mutex_guard *g);

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
