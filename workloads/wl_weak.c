/* wl_weak.c — sb-litmus, peterson and their seq_cst twins: bugs that only
 * weak memory shows (RL_WF_WEAK: `racelab run` explores them under
 * rl_model()'s DFS with the RC11 memory model, sim/weak.c).
 *
 *	sb-litmus, each round i:   a: x[i] = 1; r1 = y[i]     b: y[i] = 1; r2 = x[i]
 *	peterson, each round:      flag[me] = 1; turn = other;
 *	                           while (flag[other] && turn == other) yield;
 *	                           counter++ (plain, tracked); flag[me] = 0
 *
 * With release stores and acquire loads each thread's store may still sit
 * "in its store buffer" while it loads: both loads read 0 (store buffering),
 * and in Peterson both threads enter the critical section, whose plain
 * counter then races. C11 forbids neither; seq_cst (the twins) does: its
 * stores and loads are in one total order, so one load sees the other's
 * store. Sequential consistency, which racelab's other schedules run, cannot
 * show the bug at all: only the memory model does.
 *
 * The invariants: sb-litmus counts the rounds in which one thread saw the
 * other's store; peterson counts the critical sections' increments.
 */
#include <stdlib.h>
#include <string.h>

#include <racelab/model.h>
#include <racelab/status.h>
#include <racelab/thread.h>
#include <racelab/workload.h>

#include "wl.h"

struct sb {
	uint64_t rounds;
	memory_order st, ld;
	rl_atomic_u64 *x, *y;
	uint64_t *r1, *r2;
};

static void *sb_a(void *arg)
{
	struct sb *s = arg;
	for (uint64_t i = 0; i < s->rounds && !rl_workload_stopping(); i++) {
		rl_atomic_u64_store(&s->x[i], 1, s->st);
		s->r1[i] = rl_atomic_u64_load(&s->y[i], s->ld);
	}
	return NULL;
}

static void *sb_b(void *arg)
{
	struct sb *s = arg;
	for (uint64_t i = 0; i < s->rounds && !rl_workload_stopping(); i++) {
		rl_atomic_u64_store(&s->y[i], 1, s->st);
		s->r2[i] = rl_atomic_u64_load(&s->x[i], s->ld);
	}
	return NULL;
}

/* Spawn @a and @b on @arg and join them; panics counted. */
static int run2(const struct rl_workload_params *p, struct rl_workload_result *r, rl_thread_fn *a,
		rl_thread_fn *b, void *arg)
{
	const struct rl__wl_thread ts[] = {{"a", a, arg}, {"b", b, arg}};
	return rl__wl_threads_run(ts, 2, p->stack, NULL, NULL, r);
}

static int sb_run(const struct rl_workload_params *p, struct rl_workload_result *r, bool fixed)
{
	struct sb s = {.rounds = p->iters,
		       .st = fixed ? memory_order_seq_cst : memory_order_release,
		       .ld = fixed ? memory_order_seq_cst : memory_order_acquire};
	s.x = calloc(s.rounds, sizeof(*s.x));
	s.y = calloc(s.rounds, sizeof(*s.y));
	s.r1 = calloc(s.rounds, sizeof(*s.r1));
	s.r2 = calloc(s.rounds, sizeof(*s.r2));
	int err = RL_OK;
	if (!s.x || !s.y || !s.r1 || !s.r2)
		err = rl__wl_fail(r, RL_ENOMEM, "out of memory for %llu rounds", (unsigned long long)s.rounds);
	if (!err) {
		for (uint64_t i = 0; i < s.rounds; i++) {
			rl_atomic_u64_init(&s.x[i], 0);
			rl_atomic_u64_init(&s.y[i], 0);
		}
		err = run2(p, r, sb_a, sb_b, &s);
	}
	if (!err) {
		uint64_t seen = 0;
		for (uint64_t i = 0; i < s.rounds; i++)
			seen += s.r1[i] == 1 || s.r2[i] == 1;
		rl__wl_counts(r, "rounds", (int64_t)s.rounds, (int64_t)seen);
		if (seen < s.rounds)
			rl__wl_note(r, "%llu of %llu rounds read 0 in both threads: each store was still unseen by "
				    "the other thread's later load", (unsigned long long)(s.rounds - seen),
				    (unsigned long long)s.rounds);
	}
	free(s.x);
	free(s.y);
	free(s.r1);
	free(s.r2);
	return err;
}

int rl__wl_sb_litmus(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	return sb_run(p, r, false);
}

int rl__wl_sb_litmus_fixed(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	return sb_run(p, r, true);
}

struct peterson {
	uint64_t rounds;
	memory_order st, ld;
	rl_atomic_bool flag[2];
	rl_atomic_u64 turn;
	uint64_t counter;
};

static void peterson_section(struct peterson *p, unsigned me)
{
	unsigned other = 1 - me;
	rl_atomic_bool_store(&p->flag[me], true, p->st);
	rl_atomic_u64_store(&p->turn, other, p->st);
	while (rl_atomic_bool_load(&p->flag[other], p->ld) && rl_atomic_u64_load(&p->turn, p->ld) == other)
		rl_yield();
	rl_track_write(&p->counter, sizeof(p->counter), "Peterson-locked counter");
	p->counter++;
	/* Release: pairs with the other thread's load of flag[me] above. */
	rl_atomic_bool_store(&p->flag[me], false, memory_order_release);
}

static void *peterson_a(void *arg)
{
	struct peterson *p = arg;
	for (uint64_t i = 0; i < p->rounds && !rl_workload_stopping(); i++)
		peterson_section(p, 0);
	return NULL;
}

static void *peterson_b(void *arg)
{
	struct peterson *p = arg;
	for (uint64_t i = 0; i < p->rounds && !rl_workload_stopping(); i++)
		peterson_section(p, 1);
	return NULL;
}

static int peterson_run(const struct rl_workload_params *p, struct rl_workload_result *r, bool fixed)
{
	struct peterson *s = calloc(1, sizeof(*s));
	if (!s)
		return rl__wl_fail(r, RL_ENOMEM, "out of memory");
	s->rounds = p->iters;
	s->st = fixed ? memory_order_seq_cst : memory_order_release;
	s->ld = fixed ? memory_order_seq_cst : memory_order_acquire;
	rl_atomic_bool_init(&s->flag[0], false);
	rl_atomic_bool_init(&s->flag[1], false);
	rl_atomic_u64_init(&s->turn, 0);
	int err = run2(p, r, peterson_a, peterson_b, s);
	if (!err) {
		rl_track_read(&s->counter, sizeof(s->counter), "Peterson-locked counter");
		rl__wl_counts(r, "increments", (int64_t)(2 * s->rounds), (int64_t)s->counter);
	}
	free(s);
	return err;
}

int rl__wl_peterson(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	return peterson_run(p, r, false);
}

int rl__wl_peterson_fixed(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	return peterson_run(p, r, true);
}
