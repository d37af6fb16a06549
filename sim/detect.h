/* detect.h — private: the happens-before detector behind probe.h.
 *
 * Owned by detect.c: vector clocks, the FastTrack location table (16 bytes per
 * plain location), sync-object clocks (mutexes, atomic locations, RCU cells
 * and domains), per-thread access histories, race reports and their
 * deduplication. Every function here runs with the probe layer's detector lock
 * held (sim/probe.c); nothing in it is thread-safe on its own. The exceptions
 * are the three functions of the lock-free mutex path at the end, whose callers
 * get their exclusion from the mutex itself.
 */
#ifndef RACELAB_SIM_DETECT_H
#define RACELAB_SIM_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <racelab/probe.h>

#include "amap.h"
#include "vclock.h"


struct rl__hist; /* one remembered plain access (detect.c) */

/* Per-thread detector state, embedded in the probe layer's thread record. */
struct rl__det_thr {
	unsigned tid;         /* < RL_PROBE_MAX_THREADS */
	const char *name;     /* owned by the probe layer, lives as long as this */
	struct rl__vc C;      /* the thread's clock; C.c[tid] is its current epoch */
	struct rl__vc frel;   /* C at the last release fence (valid if has_frel) */
	struct rl__vc facq;   /* release clocks read by relaxed loads, for acquire fences */
	bool has_frel;
	struct rl__hist *hist; /* ring of the last plain accesses (lazy) */
	uint32_t hist_head, hist_n;
};

struct rl__det;

/* A detector with @history plain accesses remembered per thread. NULL on ENOMEM. */
struct rl__det *rl__det_new(unsigned history);
void rl__det_free(struct rl__det *d);

/* Start @t's clock: a copy of @parent's (the spawn edge), then the parent ticks.
 * @parent NULL: a thread no edge orders after anything. Return: RL_OK, RL_ENOMEM. */
int rl__det_thread_init(struct rl__det *d, struct rl__det_thr *t, unsigned tid, const char *name,
			struct rl__det_thr *parent);
void rl__det_thread_fini(struct rl__det_thr *t);

/* The join edge: @joiner has seen everything @child did. */
void rl__det_join(struct rl__det *d, struct rl__det_thr *joiner, struct rl__det_thr *child);

/* Feed one event (any op but the thread lifecycle ones); @site is the call
 * site string the probe layer resolved (ev->site or the thread's label). */
void rl__det_event(struct rl__det *d, struct rl__det_thr *t, const rl_probe_ev *ev, const char *site);

/* A release by @t: its clock entry moves on (weak.c's release stores). */
void rl__det_tick(struct rl__det_thr *t);

uint64_t rl__det_locations(const struct rl__det *d);
uint64_t rl__det_race_events(const struct rl__det *d);

/* ---- report wording (detect_report.c) ---- */

/* A race as detect.c found it: @cur's access @ev now, and thread @ptid's
 * earlier one at its clock @pclk (@prev: its detector state, NULL if
 * unknown; @prev_*: what its history remembered, if @prev_known). */
struct rl__race {
	const rl_probe_ev *ev;
	const char *site;
	const struct rl__det_thr *cur;
	bool cur_write;
	const struct rl__det_thr *prev;
	unsigned ptid;
	uint32_t pclk;
	bool prev_write, prev_known;
	const char *prev_name, *prev_site, *prev_kind;
	const void *prev_pc;
	unsigned history;
};

/* Fill @r (kind, object, both accesses, edge, rule, count 1, and the
 * malloc'd text that edge and rule point into) for the race @x. */
void rl__det_word_race(rl_probe_report *r, const struct rl__race *x);

/* ---- the probe layer's lock-free mutex path ----
 *
 * A mutex's clock is only ever touched by the thread that holds the mutex:
 * the new holder joins it (after its lock), the holder replaces it (before
 * its unlock). The mutex's own release (unlock) and acquire (lock) order
 * those accesses, so they need no detector lock. */

/* The clock of sync object @addr, created if @create (NULL if absent). The
 * pointer stays dereferenceable until rl__det_free(); once the object is
 * forgotten rl__det_sync_gen() changes, and the clock may serve a later
 * object. Detector lock held. */
struct rl__vc *rl__det_sync_clock(struct rl__det *d, const void *addr, bool create);
/* A counter that changes whenever a sync object is forgotten (a FREE); any
 * thread may load it (relaxed), without the lock. */
const _Atomic uint64_t *rl__det_sync_gen(const struct rl__det *d);
/* @t acquires @v (a lock): C_t joins @v. Context: @t's thread, holding the mutex. */
void rl__det_acquire_clock(struct rl__det_thr *t, const struct rl__vc *v);
/* @t releases into @v (an unlock): @v := C_t, then t's epoch ticks.
 * Context: @t's thread, holding the mutex, before the unlock. */
void rl__det_release_clock(struct rl__det_thr *t, struct rl__vc *v);

#endif
