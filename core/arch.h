/* arch.h — the one architecture layer (private): CPU hints, futexes, the
 * cache-line size and bounded exponential backoff.
 *
 * Everything racelab does that depends on the CPU or on Linux's futex(2)
 * goes through here, as liburcu keeps urcu/arch.h and Concurrency Kit keeps
 * ck_pr.h and ck_backoff.h, so core/, sim/, sync/ and bench/ agree on what a
 * pause is and how a futex is called. Header-only: every helper is inline.
 *
 * Futexes are private (FUTEX_PRIVATE_FLAG): the word is never shared between
 * processes, which lets the kernel skip the mm lookup. A wait returns on a
 * wake, a signal, or at once when the word no longer holds @expected (EAGAIN);
 * every caller re-checks its word in a loop, so spurious returns are harmless.
 */
#ifndef RACELAB_CORE_ARCH_H
#define RACELAB_CORE_ARCH_H

#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fiber.h"

/* The cache line racelab pads hot words to (x86-64 and most ARMv8 parts). */
#define RL_CACHE_LINE 64

/* A spin-loop hint (Rust's hint::spin_loop, x86 PAUSE, ARM YIELD). The
 * "memory" clobber makes it a compiler barrier too, so a loop that polls a
 * plain or relaxed word reloads it on every turn. */
static inline void rl_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ __volatile__("pause" ::: "memory");
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/* Sleep while *@word == @expected (or until a wake-up or a signal). On the
 * OS thread that hosts the model's fibers (fiber.h) the sleeper may be a
 * fiber whose waker is another fiber: let the others run instead. */
static inline void rl__futex_wait(_Atomic uint32_t *word, uint32_t expected)
{
	if (__builtin_expect(rl__fiber_here, 0)) {
		rl__fiber_futex_wait(word, expected, NULL);
		return;
	}
	syscall(SYS_futex, word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, expected, NULL, NULL,
		FUTEX_BITSET_MATCH_ANY);
}

/* As rl__futex_wait(), until the CLOCK_MONOTONIC time @deadline at the latest.
 * Return: -1 with errno ETIMEDOUT when the deadline passed, else 0 or -1. */
static inline long rl__futex_wait_until(_Atomic uint32_t *word, uint32_t expected, const struct timespec *deadline)
{
	if (__builtin_expect(rl__fiber_here, 0)) {
		return rl__fiber_futex_wait(word, expected, deadline);
	}
	return syscall(SYS_futex, word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, expected, deadline, NULL,
		       FUTEX_BITSET_MATCH_ANY);
}

/* Wake at most one thread sleeping on @word. */
/* CLOCK_MONOTONIC now plus @ns (< 1 s): a futex_wait_until deadline. */
static inline struct timespec rl__deadline_in(long ns)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += ns;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static inline void rl__futex_wake_one(_Atomic uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1);
}

/* Wake every thread sleeping on @word. */
static inline void rl__futex_wake_all(_Atomic uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, INT_MAX);
}

/**
 * struct rl_backoff - bounded exponential backoff for a spin loop (ck_backoff).
 *
 * Each rl_backoff_spin() pauses twice as long as the one before, up to
 * @ceiling pauses, so a waiter that polls a contended word does not steal the
 * line from its holder at every release. After @yield_after turns (0: never)
 * it gives the CPU away with sched_yield() instead: for waits on a thread
 * that may have been preempted.
 */
struct rl_backoff {
	unsigned turn, pauses, ceiling, yield_after;
};

#define RL_BACKOFF_INIT(ceiling_, yield_after_) \
	((struct rl_backoff){ .turn = 0, .pauses = 1, .ceiling = (ceiling_), .yield_after = (yield_after_) })

static inline void rl_backoff_spin(struct rl_backoff *b)
{
	if (b->yield_after && b->turn >= b->yield_after) {
		sched_yield();
		return;
	}
	b->turn++;
	for (unsigned k = 0; k < b->pauses; k++)
		rl_cpu_relax();
	if (b->pauses < b->ceiling)
		b->pauses *= 2;
}

#endif
