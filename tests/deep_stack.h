/* deep_stack.h — the recursion the stack tests overflow a 2 MiB thread with:
 * DEEP frames of FRAME bytes are twice what fits in 2 MiB and comfortably
 * inside the main thread's 8 MiB. Each frame records its depth
 * (rl_thread_set_depth) for the overflow report. */
#ifndef RACELAB_TESTS_DEEP_STACK_H
#define RACELAB_TESTS_DEEP_STACK_H

#include <stddef.h>
#include <racelab/thread.h>

#define FRAME 512
#define DEEP ((2 * 2 * ((size_t)1 << 20)) / FRAME)

static inline size_t recurse(size_t depth, size_t target)
{
	volatile char frame[FRAME];
	frame[0] = (char)depth;
	rl_thread_set_depth(depth);
	if (depth >= target)
		return frame[0];
	return recurse(depth + 1, target) + frame[0]; /* not a tail call */
}

#endif
