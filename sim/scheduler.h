/* scheduler.h — private: the deterministic scheduler behind probe.h (sched.c).
 *
 * Owned by sched.c: the baton (one futex word per thread), the strategies
 * (random, PCT), the model of blocking operations, deadlock detection. Its
 * state is touched only by the thread holding the baton, so it needs no lock:
 * handing the baton over is a release store, taking it an acquire load.
 *
 * Not named sched.h: with core/ on an include path that name would shadow the
 * system's <sched.h>.
 */
#ifndef RACELAB_CORE_SCHED_H
#define RACELAB_CORE_SCHED_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <racelab/probe.h>

enum { RL__SCHED_PENDING = 1, RL__SCHED_RUNNING, RL__SCHED_DONE };

struct rl__held {
	const void *addr;
	const char *kind;
	const char *name;
};

/* Per-thread scheduler state, embedded in the probe layer's thread record. */
struct rl__sched_thr {
	_Atomic uint32_t go;  /* baton: 0 waiting to be picked, 1 picked, 2 asleep on the futex */
	unsigned tid;
	const char *name;     /* owned by the probe layer */
	const void *handle;   /* the rl_thread it was spawned as (NULL for T0) */
	uint8_t state;        /* RL__SCHED_* */
	bool blocked;         /* at a blocking operation (wait): enabled only while it can complete */
	rl_probe_ev wait;     /* that operation */
	bool noted;           /* the trace has a BLOCKED record of it */
	bool woken;           /* asleep in a WAIT: a NOTIFY (or the timeout) picked it */
	bool timed_out;       /* that wake was the timeout of a RL_PROBE_F_TIMED wait */
	uint8_t spurious;     /* spurious wakeups taken this session (at most RL__SCHED_SPURIOUS) */
	int64_t prio;         /* PCT priority: the highest enabled thread runs */
	unsigned rcu_nest;    /* RCU read-side nesting */
	struct rl__held *held; /* mutexes held, in locking order */
	unsigned nheld, capheld;
};

struct rl__sched;

/* A scheduler whose baton T0 (@t0, the calling thread) holds. NULL on ENOMEM. */
struct rl__sched *rl__sched_new(const rl_probe_config *cfg, struct rl__sched_thr *t0);
void rl__sched_free(struct rl__sched *s);

/* SPAWN, by the baton holder: @t becomes runnable (before its OS thread runs). */
int rl__sched_add(struct rl__sched *s, struct rl__sched_thr *t);
/* SPAWN_FAILED, by the baton holder, before its next scheduling point. */
void rl__sched_cancel(struct rl__sched *s, struct rl__sched_thr *t);

/* A scheduling point before @ev: returns when @cur is picked (and, for a
 * blocking @ev, can proceed). Return: RL_OK, or RL_EDEADLK (see probe.h). */
int rl__sched_point(struct rl__sched *s, struct rl__sched_thr *cur, const rl_probe_ev *ev);
/* START: wait until @t is first picked. */
void rl__sched_start(struct rl__sched *s, struct rl__sched_thr *t);
/* After @ev happened: lock owners, RCU readers; a NOTIFY wakes its sleepers
 * and puts how many in @ev->rval. */
void rl__sched_after(struct rl__sched *s, struct rl__sched_thr *cur, rl_probe_ev *ev);

/* Spurious wakeups a thread may take per session: each Condvar wait of a
 * thread that has not taken one is a two-way choice (sleep, or wake at once),
 * so every DFS path stays finite and a `while` loop is still exercised. */
#define RL__SCHED_SPURIOUS 1
/* EXIT: @cur is done; hand the baton on without waiting. */
void rl__sched_exit(struct rl__sched *s, struct rl__sched_thr *cur);

/* The scheduler stopped serialising (deadlock or step limit). */
bool rl__sched_released(struct rl__sched *s);
uint64_t rl__sched_steps(const struct rl__sched *s);
uint64_t rl__sched_switches(const struct rl__sched *s);
bool rl__sched_deadlocked(const struct rl__sched *s);
bool rl__sched_step_limited(const struct rl__sched *s);

/* ---- the model checker's hooks (sim/model.c) ----
 *
 * Set by rl_model() before it attaches and cleared after it detaches, so
 * every probed thread sees them through its spawn. */

/* The model's strategy. choose() runs on the baton holder at every choice
 * with the enabled threads (@cur: the thread at the scheduling point, or the
 * one exiting, then no longer enabled); every thread's next operation is in
 * its `wait` (op 0 for a thread not started yet). It returns the thread to
 * run, or NULL for the session's own strategy (random, PCT). */
struct rl__sched_driver {
	struct rl__sched_thr *(*choose)(void *ctx, struct rl__sched_thr *cur, struct rl__sched_thr *const *en,
					unsigned n);
	void *ctx;
	const char *name; /* the strategy in deadlock reports */
	/* A choice among @n outcomes of the step being taken (0: the plain one):
	 * a spurious wakeup, notify-one's sleeper. NULL: no spurious wakeups,
	 * and the session's PRNG picks the sleeper. */
	unsigned (*value)(void *ctx, unsigned n);
};
extern struct rl__sched_driver *rl__sched_driver;

/* Called under the detector lock after each recorded event (not START, EXIT,
 * SPAWN), by the thread that did it. */
extern void (*rl__probe_observer)(unsigned tid, const rl_probe_ev *ev);

#endif
