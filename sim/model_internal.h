/* model_internal.h — private: what the model checker's slow paths
 * (sim/model_ops.c) need from its driver (sim/model.c).
 *
 * The driver's state is touched by the baton holder of a model schedule, or
 * under the detector lock (inside an rl__probe_enter/exit pair); failures are
 * recorded under the driver's own lock, since after a deadlock the threads
 * run in parallel.
 */
#ifndef RACELAB_SIM_MODEL_INTERNAL_H
#define RACELAB_SIM_MODEL_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <racelab/model.h>

/* Set when the schedule must end: every model thread unwinds at its next
 * modelled operation. Relaxed loads: it is set by the baton holder and read
 * by threads that took the baton after it (the baton orders them). */
extern _Atomic bool rl__model_kill;

/* A schedule of rl_model() is running. */
bool rl__model_running(void);

/* Record the schedule's failure (the first one wins). */
void rl__model_fail(rl_model_failure kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A choice among @n outcomes of the current step (0: the plain one). */
unsigned rl__model_value(unsigned n);

/* A choice was left out (weak.c's history bound): the exploration is not complete. */
void rl__model_cut(void);

/* Whether the current weak CAS, which would succeed, fails spuriously (a
 * value choice; never twice in a row on one thread). */
bool rl__model_spurious(void);

/* Tracked memory freed by rl_track_free and not reallocated: the thread that
 * freed the range overlapping [@addr, @addr + @size), or NULL. Detector lock held. */
const char *rl__model_freed_by(const void *addr, size_t size);

/* The calling model thread unwinds now (a killed schedule); returns only on
 * a thread that cannot unwind. */
void rl__model_die(void);

/* ---- replay tokens (sim/model_token.c) ---- */

/* One deviation from the default choice: at choice @k, value @v. */
struct rl__model_dev {
	uint64_t k;
	uint32_t v;
};

struct rl__model_token {
	rl_model_strategy strategy;
	uint64_t max_steps;
	uint64_t seed, pct_k; /* RANDOM, PCT */
	unsigned depth;       /* PCT */
	rl_model_memory memory;
	struct rl__model_dev *devs; /* DFS; malloc'd by parse */
	size_t ndev;
};

/* Write @t's token into @out (@cap bytes); "" if it does not fit. */
void rl__model_token_make(char *out, size_t cap, const struct rl__model_token *t);
/* Parse @tok. Return: RL_OK (free t->devs), RL_EINVAL, RL_ENOMEM. */
int rl__model_token_parse(const char *tok, struct rl__model_token *t);


#endif
