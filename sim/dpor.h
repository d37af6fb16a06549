/* dpor.h — private: the model checker's exploration tree (sim/dpor.c).
 *
 * Owned by dpor.c: the choices of the schedule being run (one node per thread
 * choice or value choice), the steps it executed with their happens-before
 * vector clocks, and the backtrack and sleep sets that decide the next
 * schedule. Used only by the baton holder of a model schedule (sim/model.c),
 * so it needs no lock. Memory grows with the depth of one schedule, never
 * with the number explored: a finished schedule's suffix is dropped.
 */
#ifndef RACELAB_SIM_DPOR_H
#define RACELAB_SIM_DPOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <racelab/model.h>

#define RL__DPOR_MAXT RL_MODEL_MAX_THREADS

typedef uint64_t rl__tmask; /* a set of thread ids < RL__DPOR_MAXT */

enum { RL__FP_NONE = 0, RL__FP_READ, RL__FP_WRITE };

/* What a step touches: two steps are dependent when their ranges overlap and
 * one of them writes, or both touch the seq_cst order (@sc) and one of them
 * writes it. @op is the probe op (the lock rule in dpor.c needs it). */
struct rl__fp {
	uint8_t kind;
	uint8_t op;
	uint8_t sc; /* RL__FP_NONE, RL__FP_READ (a seq_cst load), RL__FP_WRITE (store, RMW, fence) */
	uintptr_t lo, hi;
};

struct rl__dpor;

/* Preemption bound @maxpre when @bound. NULL on ENOMEM. */
struct rl__dpor *rl__dpor_new(bool bound, unsigned maxpre);
void rl__dpor_free(struct rl__dpor *d);

/* A schedule starts: follow the stored prefix, then explore. */
void rl__dpor_begin(struct rl__dpor *d);

/* Thread @tid appeared; its first step is ordered after the latest step (its spawn). */
void rl__dpor_thread_new(struct rl__dpor *d, unsigned tid);

/**
 * rl__dpor_choose() - the thread to run at a scheduling point.
 * @en:   enabled threads (not empty).
 * @cur:  the thread at the scheduling point, or -1 (it exited).
 * @pend: every thread's next step, by tid.
 * Return: a thread of @en, or -1: the stored prefix does not match this run
 * (the body is not deterministic).
 */
int rl__dpor_choose(struct rl__dpor *d, rl__tmask en, int cur, const struct rl__fp *pend);

/* Record the chosen thread's step: @fp what it touches, @edge_tid a thread
 * whose last step it is ordered after (a join), or -1. */
void rl__dpor_step(struct rl__dpor *d, unsigned tid, const struct rl__fp *fp, int edge_tid);

/* A choice among @n values (0 is the plain outcome). */
unsigned rl__dpor_value(struct rl__dpor *d, unsigned n);

/* The schedule ended normally: find the races, add backtrack points, and set
 * up the next schedule. Return: false when there is none left. */
bool rl__dpor_next(struct rl__dpor *d);

/* This schedule was abandoned by the sleep sets (redundant). */
bool rl__dpor_redundant(const struct rl__dpor *d);
/* A choice was dropped by the preemption bound. */
bool rl__dpor_cut(const struct rl__dpor *d);
/* Choices made so far in this schedule. */
size_t rl__dpor_depth(const struct rl__dpor *d);

/* The choice made without any exploration: @cur if enabled, else the lowest. */
static inline int rl__dpor_default(rl__tmask en, int cur)
{
	if (cur >= 0 && (en >> cur) & 1)
		return cur;
	return en ? __builtin_ctzll(en) : -1;
}

#endif
