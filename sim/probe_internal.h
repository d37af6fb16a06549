/* probe_internal.h — private to the probe layer (probe.c, session.c): the
 * probed threads' records and the session, both guarded by the detector lock
 * rl__sim_lock (dlock.h) unless a field says otherwise.
 */
#ifndef RACELAB_SIM_PROBE_INTERNAL_H
#define RACELAB_SIM_PROBE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <racelab/hooks.h>
#include <racelab/probe.h>

#include "detect.h"
#include "dlock.h"
#include "scheduler.h"

#define SCACHE_N 8 /* mutex clocks cached per thread */

/* A cached mutex clock: valid while the detector's sync_gen is @gen. */
struct scache {
	const void *addr;
	struct rl__vc *vc;
	uint64_t gen;
};

#define NAME_LEN 32

/* A probed thread. */
struct pthr {
	unsigned tid;
	char name[NAME_LEN];
	const void *handle;  /* the rl_thread announced by SPAWN; NULL for T0 and foreign threads */
	bool started, exited;
	bool foreign;        /* registered by its first probe, not by SPAWN/START */
	bool has_det;        /* tid < RL_PROBE_MAX_THREADS and the detector is on */
	bool fast;           /* has_det in a session with the lock-free paths (sess.fast) */
	struct rl__det_thr det;
	struct rl__sched_thr sch;
	/* The lock-free paths. hot: the thread's rl__probe_hot_tls while it can
	 * use the atomic one (from its START, or attach for T0, to its EXIT),
	 * else NULL: a foreign thread may end without an EXIT, so its
	 * thread-locals are never read from here. It counts its lock-free
	 * (mutex) events in nfast instead. */
	struct rl__probe_hot *hot;
	_Atomic uint64_t nfast;
	struct scache sc[SCACHE_N];
	/* Sessions without a scheduler (deadlock.c): registered as blocked on
	 * blk_ev (under the lock), and the locks held (written by this thread only). */
	bool blk;
	rl_probe_ev blk_ev;
	struct rl__held *held;
	unsigned nheld, capheld;
};

/* The session: what rl_probe_attach() set up, the probed threads, the engines. */
struct probe_session {
	_Alignas(64) uint64_t events;
	uint64_t lockfree;        /* lock-free events of threads that stopped probing */
	_Alignas(64) _Atomic bool attached;
	bool fast;                /* the lock-free paths are on: detector only, no scheduler, no trace */
	bool membarrier;          /* publish_guard() fences every thread with membarrier(2) */
	rl_probe_config cfg;
	struct rl__det *det;
	const _Atomic uint64_t *sync_gen; /* rl__det_sync_gen(det) */
	struct rl__sched *sched;
	struct pthr **thr;        /* by tid */
	unsigned nthr, capthr;
	unsigned unchecked_from;  /* the first thread the detector does not follow; 0: none */
	bool deadlocked;          /* no scheduler: deadlock.c found every thread blocked for good */
	/* Results: kept after detach until the next attach or reset. */
	rl_probe_stats stats;
	char (*names)[NAME_LEN];
	unsigned nnames;
};

extern struct probe_session rl__sess;

/* The calling thread's probe state: valid while @session is the current one. */
struct probe_tls {
	uint64_t session;
	struct pthr *t;
	const char *site;
};
extern RL__THREAD_LOCAL struct probe_tls rl__ptls;

static inline void lock(void) { rl__dlock_lock(&rl__sim_lock); }
static inline void unlock(void) { rl__dlock_unlock(&rl__sim_lock); }

/* probe.c, for session.c. Lock held. */
struct pthr *rl__probe_new_thread(const void *handle, const char *name, struct pthr *parent);
void rl__probe_hot_attach(struct pthr *t, uint64_t session);
void rl__probe_hot_detach(struct pthr *t);
bool rl__probe_membarrier_setup(void);
uint64_t rl__probe_lockfree_now(void);
uint64_t rl__probe_events_now(void);
uint64_t rl__probe_step_now(void);

/* The calling thread's detector state in this session, or NULL (no
 * detector, or a thread it does not follow). Inside an enter/exit pair. */
struct rl__det_thr *rl__probe_det_self(void);

/* WAIT in a session without a scheduler: sleep on the futex until woken, or
 * RL_EDEADLK when every probed thread is blocked for good (deadlock.c).
 * Lock not held. */
int rl__probe_det_wait(struct pthr *t, rl_probe_ev *ev);
/* Sessions without a scheduler (deadlock.c). @t registers as blocked on @ev
 * and the check runs (lock not held); det_unblock_locked leaves (lock held);
 * det_exit runs the check after a thread exited (lock not held). The held
 * locks: push and drop by the holder itself. */
void rl__probe_det_block(struct pthr *t, const rl_probe_ev *ev);
void rl__probe_det_unblock_locked(struct pthr *t);
void rl__probe_det_exit(void);
void rl__probe_held_push(struct pthr *t, const rl_probe_ev *ev);
void rl__probe_held_drop(struct pthr *t, const void *addr);

#endif
