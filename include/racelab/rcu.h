/* rcu.h — an RCU-protected pointer on liburcu (arc-swap / crossbeam-epoch analogue).
 *
 * An rl_rcu_cell owns one value (a pointer, possibly NULL) and the function
 * that drops it. Readers pin (rl_rcu_pin: an RCU read-side critical section,
 * no lock, no write to shared memory) and load the current value; it stays
 * valid until they drop the guard, even if a writer replaces it meanwhile.
 * Writers replace the value (rl_rcu_cell_store / rl_rcu_cell_swap) and the old
 * one is reclaimed only after a grace period: once every reader that might
 * have loaded it has dropped its guard.
 *
 *   reader                                   writer
 *   rl_rcu_pin(&g);                          old = xchg(cell, new)     (publish)
 *   p = rl_rcu_cell_load(&cell, &g);         synchronize_rcu()         (grace period)
 *   ... read *p ...                          drop(old)                 (reclaim)
 *   rl_rcu_guard_drop(&g);
 *
 * Threads register with liburcu (urcu-memb flavour) on their first pin and
 * unregister when they exit; no setup call is needed.
 *
 * Context: writers may be concurrent with each other and with readers. A
 * thread must not store or swap while it is pinned (the grace period would
 * wait for itself): that aborts with a message.
 */
#ifndef RACELAB_RCU_H
#define RACELAB_RCU_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void rl_drop_fn(void *value);

/* Caller storage; fields private. */
typedef struct rl_rcu_cell {
	void *value;      /* private: published with rcu_xchg_pointer, read with rcu_dereference */
	rl_drop_fn *drop; /* private: reclaims a replaced value; may be NULL */
} rl_rcu_cell;

/* A pinned read-side critical section; caller storage, fields private. */
typedef struct rl_rcu_guard {
	uint32_t tid;    /* private: the pinning thread (a guard is !Send) */
	uint32_t active; /* private: 1 between pin and guard_drop */
} rl_rcu_guard;

/**
 * rl_rcu_cell_init() - a cell owning @initial.
 * @initial: the first value; may be NULL.
 * @drop: called with each replaced value after its grace period, and with
 *        the last value by rl_rcu_cell_destroy(); NULL to drop nothing.
 *
 * Context: the cell must be published to other threads after this returns.
 */
void rl_rcu_cell_init(rl_rcu_cell *cell, void *initial, rl_drop_fn *drop);

/**
 * rl_rcu_cell_destroy() - drop the current value (if any) and end the cell.
 *
 * Context: no thread may use @cell any more (no reader pinned on it).
 */
void rl_rcu_cell_destroy(rl_rcu_cell *cell);

/**
 * rl_rcu_cell_store() - publish @value; drop the old value after a grace period.
 *
 * Blocks until every reader that could see the old value has dropped its
 * guard (synchronize_rcu), then calls the cell's drop function on it.
 * Context: any thread that is not pinned.
 * Ordering: release — a reader that loads @value sees every write made to
 * it before the store; the drop happens after every such reader's guard drop.
 * Aborts: when called while the calling thread is pinned.
 */
void rl_rcu_cell_store(rl_rcu_cell *cell, void *value);

/**
 * rl_rcu_cell_swap() - publish @value and take back the old value.
 *
 * As rl_rcu_cell_store(), but the old value is returned to the caller (who
 * now owns it) instead of being dropped. No reader holds it any more.
 * Return: the previous value (NULL if the cell was empty).
 */
void *rl_rcu_cell_swap(rl_rcu_cell *cell, void *value);

/**
 * rl_rcu_pin() - enter an RCU read-side critical section.
 * @g: guard storage; valid until rl_rcu_guard_drop(@g).
 *
 * Registers the thread with liburcu on first use. Pins nest.
 * Context: any thread; cheap (no atomic read-modify-write on shared memory).
 */
void rl_rcu_pin(rl_rcu_guard *g);

/**
 * rl_rcu_cell_load() - the cell's current value.
 * @g: a guard of the calling thread, pinned.
 *
 * Ordering: acquire (a dependency load): pairs with the publish of the
 * store/swap that wrote the value.
 * Aborts: if @g is not pinned on this thread.
 * Return: the value, valid until rl_rcu_guard_drop(@g); may be NULL.
 */
void *rl_rcu_cell_load(const rl_rcu_cell *cell, const rl_rcu_guard *g);

/**
 * rl_rcu_guard_drop() - leave the read-side critical section.
 *
 * Context: the thread that pinned @g.
 * Aborts: if @g is not pinned on this thread (dropped twice, or moved).
 */
void rl_rcu_guard_drop(rl_rcu_guard *g);

/**
 * rl_rcu_synchronize() - wait for a grace period (synchronize_rcu).
 *
 * Context: any thread that is not pinned.
 */
void rl_rcu_synchronize(void);

#ifdef __cplusplus
}
#endif
#endif
