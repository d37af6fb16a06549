/* cell.h — std::cell::Cell<i64>: a plain, non-atomic value; Send but !Sync.
 *
 * get, set and add are ordinary loads and stores; rl_cell_add() is a
 * deliberately non-atomic read-modify-write (load, add, store). Shared between
 * threads, a Cell loses updates — what Rust's Sync bound forbids, and what
 * racelab's arc-cell workload shows.
 *
 * Rust's Cell<i64> is 8 bytes. An rl_cell is 16: the value, then racelab's
 * owner word (the initialising thread, for the owner check) and a serial.
 * A use from any other thread is reported once per (cell, thread) pair as
 * "Cell<i64> cannot be shared between threads safely (Sync)" (check.h) and
 * then performed as the same plain access, so the race stays real: TSan sees
 * it. racelab cannot tell a Cell moved to another thread (legal in Rust, Cell
 * is Send) from one shared with it: re-initialise a Cell on the thread that
 * takes it over.
 *
 * Each access is made through a volatile lvalue so that a loop of rl_cell_add()
 * performs one load and one store per call, as the demonstration needs; the
 * compiler cannot merge them. volatile is not atomic: the accesses race.
 */
#ifndef RACELAB_CELL_H
#define RACELAB_CELL_H

#include <stdint.h>
#include <racelab/cdefs.h>
#include <racelab/check.h>
#include <racelab/hooks.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Caller storage: a stack, static or heap object (or an Arc's value). */
typedef struct rl_cell {
	int64_t value;   /* private: Rust's Cell<i64> */
	uint32_t owner;  /* private: rl__tid() of the initialising thread */
	uint32_t serial; /* private: per-owner creation number */
} rl_cell;

/**
 * rl_cell_init() - Cell::new(@v) in caller storage.
 *
 * Context: any thread; that thread owns the Cell from now on.
 */
void rl_cell_init(rl_cell *c, int64_t v);

/* private: out-of-line halves; they check the owner, then do the same access. */
int64_t rl__cell_get_slow(const rl_cell *c);
void rl__cell_set_slow(rl_cell *c, int64_t v);
void rl__cell_add_slow(rl_cell *c, int64_t d);

#if defined(__cplusplus) || defined(RL__INLINE_EXTERN)
/* The fast paths below, as functions of the library (racelab/cdefs.h). */
int64_t rl_cell_get(const rl_cell *c);
void rl_cell_set(rl_cell *c, int64_t v);
void rl_cell_add(rl_cell *c, int64_t d);
#endif

#ifndef __cplusplus
/**
 * rl_cell_get() - Cell::get: a plain load.
 * Context: the owning thread (another thread's call is a reported Sync violation).
 */
RL__INLINE int64_t rl_cell_get(const rl_cell *c)
{
	if (RL_UNLIKELY(RL__OWNER_SLOW(c->owner)))
		return rl__cell_get_slow(c);
	return *(const volatile int64_t *)&c->value;
}

/**
 * rl_cell_set() - Cell::set: a plain store.
 * Context: as rl_cell_get().
 */
RL__INLINE void rl_cell_set(rl_cell *c, int64_t v)
{
	if (RL_UNLIKELY(RL__OWNER_SLOW(c->owner))) {
		rl__cell_set_slow(c, v);
		return;
	}
	*(volatile int64_t *)&c->value = v;
}

/**
 * rl_cell_add() - c.set(c.get() + d): load, add, store; not atomic.
 *
 * Wraps on overflow (two's complement) instead of being undefined.
 * Context: as rl_cell_get(). Two threads adding at once lose updates.
 */
RL__INLINE void rl_cell_add(rl_cell *c, int64_t d)
{
	if (RL_UNLIKELY(RL__OWNER_SLOW(c->owner))) {
		rl__cell_add_slow(c, d);
		return;
	}
	volatile int64_t *p = &c->value;
	*p = (int64_t)((uint64_t)*p + (uint64_t)d);
}
#endif /* !__cplusplus */

#ifdef __cplusplus
}
#endif
#endif
