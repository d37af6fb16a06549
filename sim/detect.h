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
#ifndef RACELAB_CORE_DETECT_H
#define RACELAB_CORE_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <racelab/probe.h>

/* A vector clock: c[i] for i < n, 0 beyond. */
struct rl__vc {
	uint32_t n, cap;
	uint32_t *c;
};

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

uint64_t rl__det_locations(const struct rl__det *d);
uint64_t rl__det_race_events(const struct rl__det *d);

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

/* ---- provided by probe.c to the detector (detector lock held) ---- */

/* #N of the object at @addr in this session, assigned on first use. */
uint32_t rl__probe_obj_id(const void *addr);
/* Current scheduling step (or event number without the scheduler). */
uint64_t rl__probe_step(void);
/* Take a new report (copied; r->text ownership passes). Return: its index. */
size_t rl__probe_report_add(const rl_probe_report *r);
/* Fold one more racy access into report @idx. */
void rl__probe_report_bump(size_t idx);
/* The call site as printed: @site, else symbol+offset of @pc, else "?". */
void rl__probe_site_text(const char *site, const void *pc, char *buf, size_t n);

/* ---- a small address map (open addressing, linear probing) ---- */
struct rl__amap {
	uintptr_t *keys; /* 0 = empty */
	uint64_t *vals;
	uint32_t cap, n; /* cap is 0 or a power of two */
};
/* The value slot for @key, inserted as 0 if @insert; NULL if absent or on ENOMEM. */
uint64_t *rl__amap_get(struct rl__amap *m, uintptr_t key, bool insert);
/* Remove @key; Return: whether it was present (its value in *@val if non-NULL). */
bool rl__amap_del(struct rl__amap *m, uintptr_t key, uint64_t *val);
void rl__amap_free(struct rl__amap *m);

#endif
