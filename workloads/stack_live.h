/* stack_live.h — private to workloads/: stack measurements shared by
 * `racelab stack` and the stack-lazy / stack-overflow workloads.
 */
#ifndef RACELAB_STACK_LIVE_H
#define RACELAB_STACK_LIVE_H

#include <stddef.h>
#include <stdint.h>

/* Use about @bytes of stack in 1 KiB frames; returns a value that depends on
 * every frame so the recursion is not optimised away. */
size_t rl__stack_burn(size_t bytes);

/* Resident set size of the process (/proc/self/statm), 0 if unknown. */
size_t rl__rss_bytes(void);

struct rl__live_stats {
	uint64_t live;        /* threads that were alive at the measurement */
	size_t stack;         /* stack size each was created with */
	size_t rss_before, rss_after;
	size_t reserved;      /* sum of the threads' stack sizes (mincore range) */
	size_t touched;       /* sum of their resident stack pages */
	size_t touched_max;   /* the largest single thread's resident stack */
	uint64_t within;      /* threads whose resident stack <= @bound */
	int err;              /* RL_OK, or the spawn error that stopped the count short */
};

/**
 * rl__stack_live() - keep @n threads alive at once and measure their stacks.
 * @n:      threads to start.
 * @stack:  stack size of each (0: the default).
 * @touch:  bytes of stack each thread uses (by recursion) before it waits.
 * @bound:  a thread counts in ->within when its resident stack is at most this.
 * @prefix: thread names are "<prefix>-1", "<prefix>-2", ...
 *
 * Stops spawning early on a spawn error or when rl_workload_stopping().
 * Return: RL_OK, or RL_ENOMEM when the handles cannot be allocated.
 */
int rl__stack_live(uint64_t n, size_t stack, size_t touch, size_t bound, const char *prefix,
		   struct rl__live_stats *out);

#endif
