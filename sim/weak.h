/* weak.h — private: the C11 memory model of rl_model()'s modelled atomics
 * (sim/weak.c), RC11 after Lahav, Vafeiadis, Kang, Hur and Dreyer (PLDI 2017).
 *
 * Owned by weak.c: one modification order per atomic location, each store a
 * message that remembers its value, writer, release clock and who has read
 * it; the seq_cst clock. Every function runs in a model schedule on the baton
 * holder, inside the operation's rl__probe_enter/exit pair (the detector lock
 * held); nothing here is thread-safe on its own.
 *
 * How it sits on the detector: a weak operation updates the thread's
 * detector clocks (C, facq, frel: detect.h) itself, with the clock of the
 * store it read instead of the location's latest one, and marks its event
 * RL_PROBE_F_WEAK so detect.c leaves the atomic alone.
 */
#ifndef RACELAB_SIM_WEAK_H
#define RACELAB_SIM_WEAK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <racelab/probe.h>

struct rl__det_thr;

/* A new schedule: forget every location; @on: RC11 for this schedule. */
void rl__weak_begin(bool on);
/* Whether modelled atomics follow RC11 in the schedule being run. */
bool rl__weak_on(void);
/* The end of rl_model(): free everything. */
void rl__weak_free(void);

/* The operations, for the calling thread @t (its detector state). @width: 1
 * (bool) or 8. @ev is the operation's event: flags and the trace's stale
 * mark are set in it. */
uint64_t rl__weak_load(struct rl__det_thr *t, rl_probe_ev *ev, const void *a, unsigned width, unsigned mo);
void rl__weak_store(struct rl__det_thr *t, rl_probe_ev *ev, void *a, unsigned width, uint64_t v, unsigned mo);
/* A read-modify-write: @f computes the new value from the old one. Return: the old. */
uint64_t rl__weak_rmw(struct rl__det_thr *t, rl_probe_ev *ev, void *a, unsigned width, unsigned mo,
		      uint64_t (*f)(uint64_t old, const void *ctx), const void *ctx);
/* compare_exchange: Return: whether it succeeded; *@expected = the value read. */
bool rl__weak_cas(struct rl__det_thr *t, rl_probe_ev *ev, void *a, unsigned width, uint64_t *expected,
		  uint64_t desired, bool weak, unsigned success, unsigned failure);
/* The seq_cst part of a fence (before the detector's acquire/release part). */
void rl__weak_fence(struct rl__det_thr *t, unsigned mo);
/* rl_yield(): the thread's next read of a location whose view is still the
 * store it last read there reads a newer one, if any (weak.c: fairness). */
void rl__weak_yield(struct rl__det_thr *t);
/* Memory [lo, hi) was freed: its locations start afresh if reused. */
void rl__weak_forget(uintptr_t lo, uintptr_t hi);

/* Explain this schedule's stale reads (for a failure report); nothing if none. */
void rl__weak_explain(FILE *f);
/* A thread of this schedule mixed seq_cst accesses with weaker ones: its
 * seq_cst accesses were modelled stronger than RC11 asks (weak.c). */
bool rl__weak_mixed(void);
/* The schedule's execution of the modelled atomics — which store each read
 * read, each location's modification order — as a hash: two schedules with
 * the same value ran the same RC11 execution (up to hash collisions). */
uint64_t rl__weak_execution(void);
/* Loads of this schedule that read a store older than the latest. */
uint64_t rl__weak_stale_reads(void);

#endif
