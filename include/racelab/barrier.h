/* barrier.h — std::sync::Barrier on a futex word (caller storage).
 *
 * rl_barrier_init(b, n): each call of rl_barrier_wait() blocks until n
 * threads have called it (a generation); then all n return, exactly one of
 * them with true (BarrierWaitResult::is_leader), and the barrier is ready
 * for the next generation (reusable). n 0 behaves as 1, as in Rust.
 *
 * Layout: an arrival count, a generation number (the futex word the others
 * sleep on) and n: 12 bytes (Rust's Barrier is a Mutex, a Condvar and a
 * count: 32 bytes on x86_64 Linux).
 *
 * Ordering: each arrival is an AcqRel RMW of the count, so the last arrival
 * (the leader) acquires every other's writes; the leader's bump of the
 * generation is a Release, the waiters' loads of it Acquire. Every write a
 * thread made before its wait happens before every thread's return.
 *
 * Probes (probe.h): while a detector or the scheduler is attached, the
 * count's RMW, the generation's load and bump are probe events (the
 * detector sees the edges) and a waiter yields (RL_PROBE_YIELD) and
 * re-checks instead of sleeping.
 */
#ifndef RACELAB_BARRIER_H
#define RACELAB_BARRIER_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Barrier: caller storage; every field is private. */
typedef struct rl_barrier {
	uint32_t count;      /* private: arrivals in the current generation */
	uint32_t generation; /* private: futex word, bumped by each leader */
	uint32_t n;          /* private: threads per generation */
} rl_barrier;

/* Barrier::new(n). Context: @b not in use. */
void rl_barrier_init(rl_barrier *b, unsigned n);

/* End @b's life. Aborts: if threads are waiting in it. */
void rl_barrier_destroy(rl_barrier *b);

/**
 * rl_barrier_wait() - Barrier::wait: block until n threads have arrived.
 * Return: true for exactly one thread of each generation (the leader).
 */
bool rl_barrier_wait(rl_barrier *b);

#ifdef __cplusplus
}
#endif
#endif
