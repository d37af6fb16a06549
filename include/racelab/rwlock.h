/* rwlock.h — std::sync::RwLock<T>: lock words, poison flag and the value in
 * one block, on futexes.
 *
 * An rl_rwlock is caller storage of rl_rwlock_size(value_size) bytes
 * (malloc'd memory is aligned enough), laid out as Rust's RwLock<T> on Linux:
 *
 *     offset 0  _Atomic uint32_t state          readers / write-locked, waiting bits
 *     offset 4  _Atomic uint32_t writer_notify  futex word writers sleep on
 *     offset 8  _Atomic uint8_t  poison         set when a writer panicked
 *     offset 9  uint8_t          data_off       where the value starts
 *     data_off  the value, aligned for its size (as mutex.h)
 *
 * so RwLock<i32> is 16 bytes, RwLock<u8> and RwLock<()> 12, RwLock<u64> 24,
 * as with rustc. rl_arc_rwlock_new() is Arc<RwLock<T>> in one allocation.
 *
 * Readers share the lock (rl_rwlock_read(), a read guard gives const T *),
 * a writer excludes everyone (rl_rwlock_write(), &mut T). Guards are caller
 * storage and !Send (dropped by the locking thread). A writer whose thread
 * ends in rl_panic() poisons the lock (its guard's cleanup handler sets the
 * flag and unlocks); a panicking reader does not poison, as in Rust. A
 * poisoned lock still locks: the call returns RL_POISONED with the guard
 * held.
 *
 * Policy (Rust's futex RwLock): writer-preferring. Once a writer waits, new
 * readers (rl_rwlock_read(), rl_rwlock_try_read()) do not get in, even while
 * other readers hold the lock; the last reader out wakes the writer. When a
 * writer unlocks, a waiting writer is woken before waiting readers. So a
 * stream of overlapping readers cannot starve a writer; a stream of writers
 * can delay readers.
 *
 * Ordering: taking a read or write lock is an Acquire RMW of the state; every
 * unlock a Release RMW. A writer's guard sees every earlier holder's writes;
 * a reader sees every earlier writer's. The poison flag is Relaxed (the lock
 * orders it).
 *
 * Probes (probe.h): while a detector or the scheduler is attached the state's
 * RMWs are probe events (the detector sees unlock -> lock edges through the
 * release sequence of the state word) and a thread that would sleep yields
 * (RL_PROBE_YIELD) and retries instead: a scheduling point, not yet a
 * modelled blocked thread. ThreadSanitizer builds annotate the lock as a
 * reader-writer mutex.
 */
#ifndef RACELAB_RWLOCK_H
#define RACELAB_RWLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <racelab/mutex.h>
#include <racelab/thread.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque: storage of rl_rwlock_size(value_size) bytes. */
typedef struct rl_rwlock rl_rwlock;

/* RwLockReadGuard: caller storage; every field is private. */
typedef struct rl_rwlock_read_guard {
	struct rl__cleanup cleanup; /* private: unlocks if the thread panics */
	rl_rwlock *lock;            /* private: NULL once dropped */
	const void *value;          /* private: &T */
	uint32_t tid;               /* private: the locking thread */
} rl_rwlock_read_guard;

/* RwLockWriteGuard: caller storage; every field is private. */
typedef struct rl_rwlock_write_guard {
	struct rl__cleanup cleanup; /* private: poisons and unlocks if the thread panics */
	rl_rwlock *lock;            /* private: NULL once dropped */
	void *value;                /* private: &mut T */
	uint32_t tid;               /* private: the locking thread */
	bool panicking;             /* private: rl_thread_panicking() when locked */
} rl_rwlock_write_guard;

/* Bytes of a RwLock<T> whose T is @value_size bytes (0 for RwLock<()>);
 * 0 when too large. */
size_t rl_rwlock_size(size_t value_size);

/* RwLock::new for a zero-filled value. Context: @l not in use. */
void rl_rwlock_init(rl_rwlock *l, size_t value_size);

/* End @l's life (the value is not touched). Aborts: if it is locked. */
void rl_rwlock_destroy(rl_rwlock *l);

/**
 * rl_arc_rwlock_new() - Arc::new(RwLock::new(value)) in one allocation.
 * @drop: called with the value (T *) when the last strong reference drops,
 *        before the lock is destroyed; may be NULL.
 * Return: the Arc (its value is the rl_rwlock), or NULL when out of memory.
 */
rl_arc *rl_arc_rwlock_new(size_t value_size, rl_drop_fn *drop);

/**
 * rl_rwlock_read() - RwLock::read: block until shared access is held.
 * Context: the thread must not hold a write guard of @l (it would deadlock).
 * Panics: with more than 2^30 - 2 concurrent readers.
 * Return: RL_OK, or RL_POISONED (the lock is held either way).
 */
int rl_rwlock_read(rl_rwlock *l, rl_rwlock_read_guard *g);

/* RwLock::try_read: RL_OK/RL_POISONED held, or RL_EBUSY (write-locked or a
 * writer waiting; @g unused). */
int rl_rwlock_try_read(rl_rwlock *l, rl_rwlock_read_guard *g);

/* RwLock::write: block until exclusive access is held. RL_OK or RL_POISONED. */
int rl_rwlock_write(rl_rwlock *l, rl_rwlock_write_guard *g);

/* RwLock::try_write: RL_OK/RL_POISONED held, or RL_EBUSY. */
int rl_rwlock_try_write(rl_rwlock *l, rl_rwlock_write_guard *g);

/* Deref of the guards: the value, valid until the guard is dropped. */
const void *rl_rwlock_read_guard_get(const rl_rwlock_read_guard *g);
void *rl_rwlock_write_guard_get(rl_rwlock_write_guard *g);

/**
 * rl_rwlock_read_guard_drop(), rl_rwlock_write_guard_drop() - unlock.
 * The write guard poisons the lock if its thread is panicking now and was
 * not when it locked. Context: the locking thread.
 * Aborts: a guard dropped twice or on another thread.
 */
void rl_rwlock_read_guard_drop(rl_rwlock_read_guard *g);
void rl_rwlock_write_guard_drop(rl_rwlock_write_guard *g);

/* RwLock::is_poisoned (Relaxed) and RwLock::clear_poison. */
bool rl_rwlock_is_poisoned(const rl_rwlock *l);
void rl_rwlock_clear_poison(rl_rwlock *l);

#ifdef __cplusplus
}
#endif
#endif
