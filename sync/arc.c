/* arc.c — std::sync::Arc<T> and sync::Weak<T>: the out-of-line halves of arc.h.
 *
 * Owns the Arc box and its metadata. Invariants (Rust's ArcInner):
 *   - weak == #Weak + 1 while strong > 0 (one implicit weak reference held by
 *     all strong ones), weak == #Weak after; weak == SIZE_MAX only while
 *     rl_arc_get_mut() holds it locked, which it can only do when weak was 1;
 *   - strong never goes 0 -> 1 (Weak upgrade is a CAS loop that refuses 0);
 *   - the value is dropped exactly once, by the thread that takes strong to 0
 *     (or moved out instead by try_unwrap/into_inner); the box is freed by the
 *     thread that takes weak to 0 — or kept while the quarantine is on.
 *
 * Memory ordering — which release pairs with which acquire. The orderings are
 * Rust's (library/alloc/src/sync.rs; reference notes §1.3); the reasoning is
 * the Boost/Rust argument for atomic reference counts.
 *
 *   (A) clone, Weak clone: Relaxed. A new reference is made from one the
 *       caller already holds; the box cannot die meanwhile and nothing is
 *       published, so no ordering is needed.
 *   (B) drop: fetch_sub Release. Every thread's uses of the value come before
 *       its decrement. The thread whose decrement reaches 0 then performs an
 *       Acquire (ACQUIRE() below) that reads from the release sequence of all
 *       decrements, so every use, on every thread, happens before the value is
 *       dropped. Only the last dropper pays for the acquire.
 *   (C) Weak drop / release of the implicit weak: the same pattern on `weak`:
 *       Release decrement, Acquire by the thread that reaches 0, then free.
 *       The value's drop (B) is sequenced before the implicit weak's Release,
 *       so it happens before the free too.
 *   (D) Weak upgrade: CAS Acquire on success. It pairs with a Release increment
 *       of strong by whoever initialised the value before any strong
 *       reference existed (Rust's new_cyclic); here the value is written
 *       before rl_arc_new() returns, so the Acquire is kept for fidelity.
 *   (E) get_mut (is_unique): CAS weak 1 -> SIZE_MAX Acquire pairs with the
 *       Release of Weak drops (C), so an upgrade made through a Weak that was
 *       then dropped is visible; strong.load Acquire pairs with the Release
 *       decrements of strong drops (B), so other owners' uses of the value
 *       happen before &mut is handed out; the unlock store Release pairs with
 *       the Acquire CAS in downgrade (F).
 *   (F) downgrade: CAS weak Acquire (spinning while SIZE_MAX). Pairs with (E)'s
 *       unlock: get_mut's read of strong happens before the new Weak exists,
 *       so get_mut cannot have seen strong == 1 and then lost the race to a
 *       Weak created and upgraded meanwhile (rust#24880, fixed by #26610).
 *   (G) try_unwrap: CAS strong 1 -> 0 Relaxed, then ACQUIRE() as in (B).
 *       into_inner: exactly (B); the thread that reaches 0 is the one winner.
 *
 * ACQUIRE(x) is atomic_thread_fence(acquire), as in Rust, except under
 * ThreadSanitizer, which does not model fences: there it is an Acquire load
 * of the same counter, which is just as correct (it reads the value the
 * release sequence produced) and is what Rust's acquire! macro does under
 * cfg(sanitize = "thread") (rust PR #65097).
 *
 * Probes (probe.h). While rl__probe_active is set, clone and drop leave their
 * inline fast paths for the slow paths below, and every function here
 * brackets each atomic operation as a probe event with its ordering: an
 * RL_PROBE_RMW for fetch_add/fetch_sub and each compare-exchange attempt (a
 * failed one flagged, with its failure ordering), RL_PROBE_LOAD/STORE for
 * loads and stores, and ACQUIRE() as a one-shot RL_PROBE_FENCE(Acquire) — an
 * Acquire RL_PROBE_LOAD in the TSan build, where it is a load. A
 * non-releasing op first tries probe.h's lock-free path (no event: the
 * detector would do nothing for it), taken only while its location has never
 * carried a release clock. The
 * happens-before detector then sees exactly the pairs listed above, (B) in
 * particular: Release decrements, then the last dropper's Acquire. Probed
 * compare-exchanges are the strong form, so a run's interleaving depends on
 * the schedule only (no spurious failures), and spin loops probe
 * RL_PROBE_YIELD. rl_arc_new() announces the box (RL_PROBE_ALLOC) and the
 * free announces its end (RL_PROBE_FREE); a box kept by the quarantine is not
 * freed, so it gets no FREE until the quarantine ends.
 */
#include <stdlib.h>
#include <string.h>
#include <racelab/arc.h>
#include <racelab/check.h>
#include <racelab/probe.h>
#include <racelab/status.h>
#include <racelab/thread.h>

#include "core/arch.h"

_Static_assert(offsetof(rl_arc, value) == 2 * sizeof(size_t),
	       "ArcInner header is two words");
_Static_assert(sizeof(struct rl__arc_meta) % _Alignof(max_align_t) == 0,
	       "the metadata keeps the box aligned for any scalar type");

#if defined(__SANITIZE_THREAD__)
#define RL__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RL__TSAN 1
#endif
#endif

#ifdef RL__TSAN
#define ACQUIRE(counter) ((void)atomic_load_explicit(&(counter), memory_order_acquire))
#else
#define ACQUIRE(counter) atomic_thread_fence(memory_order_acquire)
#endif

#define WEAK_LOCKED SIZE_MAX

static inline rl_arc *box_of(const rl_arc_weak *w) { return (rl_arc *)(void *)w; }

/* ---- probed atomics --------------------------------------------------------
 *
 * Each helper performs one atomic operation exactly as the unprobed code does
 * and, while rl__probe_active is set, brackets it as a probe event. @pr is
 * rl__probe_active read once at the top of the public function, so a function
 * is probed wholly or not at all.
 */

/* Object kinds in probe events (the Rust rule of a report follows the first word). */
static const char KIND_STRONG[] = "Arc<T> strong count";
static const char KIND_WEAK[] = "Arc<T> weak count";

/* An operation's identity in probe events: its name and its caller. */
struct site {
	bool pr;         /* probes are on */
	const char *op;
	const void *pc;
};
#define SITE(op) (&(struct site){ RL_UNLIKELY(rl__probe_active != 0), (op), __builtin_return_address(0) })

static inline rl_probe_ev ev_of(rl_probe_op op, const void *addr, const char *kind, memory_order mo,
				const struct site *s)
{
	return (rl_probe_ev){ .op = (uint8_t)op, .order = (uint8_t)mo, .addr = addr, .kind = kind,
			      .name = s->op, .pc = s->pc };
}

/* fetch_add(@d) (a wrapping add: fetch_sub(1) is @d = SIZE_MAX). Return: the old value. */
static inline size_t rmw_add(_Atomic size_t *p, size_t d, memory_order mo, const char *kind,
			     const struct site *s)
{
	if (RL_LIKELY(!s->pr))
		return atomic_fetch_add_explicit(p, d, mo);
	if (rl__probe_fast_begin(p, mo)) {
		size_t old = atomic_fetch_add_explicit(p, d, mo);
		rl__probe_fast_end();
		return old;
	}
	rl_probe_ev ev = ev_of(RL_PROBE_RMW, p, kind, mo, s);
	rl__probe_enter(&ev);
	size_t old = atomic_fetch_add_explicit(p, d, mo);
	ev.rval = old;
	ev.wval = old + d;
	rl__probe_exit(&ev);
	return old;
}

static inline size_t load(_Atomic size_t *p, memory_order mo, const char *kind, const struct site *s)
{
	if (RL_LIKELY(!s->pr))
		return atomic_load_explicit(p, mo);
	if (rl__probe_fast_begin(p, mo)) {
		size_t v = atomic_load_explicit(p, mo);
		rl__probe_fast_end();
		return v;
	}
	rl_probe_ev ev = ev_of(RL_PROBE_LOAD, p, kind, mo, s);
	rl__probe_enter(&ev);
	size_t v = atomic_load_explicit(p, mo);
	ev.rval = v;
	rl__probe_exit(&ev);
	return v;
}

static inline void store(_Atomic size_t *p, size_t v, memory_order mo, const char *kind, const struct site *s)
{
	if (RL_LIKELY(!s->pr)) {
		atomic_store_explicit(p, v, mo);
		return;
	}
	if (rl__probe_fast_begin(p, mo)) {
		atomic_store_explicit(p, v, mo);
		rl__probe_fast_end();
		return;
	}
	rl_probe_ev ev = ev_of(RL_PROBE_STORE, p, kind, mo, s);
	ev.wval = v;
	rl__probe_enter(&ev);
	atomic_store_explicit(p, v, mo);
	rl__probe_exit(&ev);
}

/*
 * compare_exchange(*@cur -> @next); @weak: the weak form when not probed.
 * Return: true on success; on failure *@cur is the value observed.
 */
static inline bool cas(_Atomic size_t *p, size_t *cur, size_t next, bool weak, memory_order ok,
		       memory_order fail, const char *kind, const struct site *s)
{
	if (RL_LIKELY(!s->pr))
		return weak ? atomic_compare_exchange_weak_explicit(p, cur, next, ok, fail)
			    : atomic_compare_exchange_strong_explicit(p, cur, next, ok, fail);
	if (rl__probe_fast_begin(p, ok)) { /* a failure order never releases */
		bool done = atomic_compare_exchange_strong_explicit(p, cur, next, ok, fail);
		rl__probe_fast_end();
		return done;
	}
	rl_probe_ev ev = ev_of(RL_PROBE_RMW, p, kind, ok, s);
	size_t expected = *cur;
	rl__probe_enter(&ev);
	bool done = atomic_compare_exchange_strong_explicit(p, cur, next, ok, fail);
	ev.rval = done ? expected : *cur;
	ev.wval = next;
	if (!done) {
		ev.flags |= RL_PROBE_F_FAILED;
		ev.order = (uint8_t)fail;
	}
	rl__probe_exit(&ev);
	return done;
}

/* ACQUIRE(counter), probed: a one-shot fence event (a load event under TSan). */
#ifdef RL__TSAN
#define ACQUIRE_AT(counter, kind, s) ((void)load(&(counter), memory_order_acquire, (kind), (s)))
#else
#define ACQUIRE_AT(counter, kind, s)                                                                   \
	do {                                                                                           \
		ACQUIRE(counter);                                                                      \
		if ((s)->pr) {                                                                         \
			rl_probe_ev fev_ = ev_of(RL_PROBE_FENCE, NULL, NULL, memory_order_acquire, (s)); \
			rl__probe(&fev_);                                                              \
		}                                                                                      \
	} while (0)
#endif

/* A spin-loop hint; under the scheduler also a yield, so the thread waited for runs. */
static void spin_wait(const struct site *s);

/* Bytes of the allocation holding @a (metadata, header, value). */
static size_t alloc_size(const rl_arc *a)
{
	return sizeof(struct rl__arc_meta) + sizeof(rl_arc) + RL__ARC_META(a)->size;
}

static void probe_mem(rl_probe_op op, const void *base, size_t size, const struct site *s)
{
	rl__probe(&(rl_probe_ev){ .op = (uint8_t)op, .addr = base, .wval = size, .kind = "Arc<T> box",
				  .name = s->op, .pc = s->pc });
}

static void spin_wait(const struct site *s)
{
	rl_cpu_relax(); /* Rust's hint::spin_loop */
	if (s->pr)
		rl__probe(&(rl_probe_ev){ .op = RL_PROBE_YIELD, .name = s->op, .pc = s->pc });
}

rl_arc *rl_arc_new(size_t size, rl_drop_fn *drop)
{
	struct rl__arc_meta *meta;
	rl_arc *a;

	if (size > SIZE_MAX - sizeof(*meta) - sizeof(rl_arc))
		return NULL;
	/* calloc: the value starts zero-filled; malloc's alignment is max_align_t. */
	meta = calloc(1, sizeof(*meta) + sizeof(rl_arc) + size);
	if (!meta)
		return NULL;
	meta->size = size;
	meta->drop = drop;
	a = (rl_arc *)(meta + 1);
	/* Plain initialisation: the box is published by handing out the pointer,
	 * which the caller does through its own synchronisation (spawn, a lock). */
	atomic_init(&a->strong, 1);
	atomic_init(&a->weak, 1); /* the implicit weak reference */
	if (RL_UNLIKELY(rl__probe_active))
		probe_mem(RL_PROBE_ALLOC, meta, alloc_size(a), SITE("rl_arc_new"));
	return a;
}

_Noreturn void rl__arc_overflow(void)
{
	/* Rust aborts (clone past isize::MAX; other threads may still be
	 * incrementing, which is why the limit is far below the wrap). */
	RL_FATAL("Arc counter overflow");
}

/* The last reference of any kind went: free the box (or keep it, quarantined). */
static void box_free(rl_arc *a, const struct site *s)
{
	struct rl__arc_meta *meta = RL__ARC_META(a);

	if (rl__check_bury(meta, a, NULL, 0, NULL, false) != RL__BURY_OFF)
		return;
	if (s->pr)
		probe_mem(RL_PROBE_FREE, meta, alloc_size(a), s);
	free(meta);
}

/* Weak::drop and the release of the implicit weak reference: (C). */
static void weak_release(rl_arc *a, const struct site *s)
{
	/* Release: pairs with the ACQUIRE below in the thread that reaches 0. */
	if (rmw_add(&a->weak, SIZE_MAX, memory_order_release, KIND_WEAK, s) != 1)
		return;
	ACQUIRE_AT(a->weak, KIND_WEAK, s);
	box_free(a, s);
}

/* strong reached 0 and this thread made it so: (B), second half. */
static void drop_last(rl_arc *a, const struct site *s)
{
	struct rl__arc_meta *meta = RL__ARC_META(a);

	/* Acquire: pairs with the Release decrements of every other dropper. */
	ACQUIRE_AT(a->strong, KIND_STRONG, s);
	if (meta->drop)
		meta->drop(a->value);
	weak_release(a, s);
}

void rl__arc_drop_last(rl_arc *a)
{
	drop_last(a, SITE("rl_arc_drop"));
}

/*
 * The probe slow paths: taken while rl__probe_active is set. They perform the
 * same operations as the inline fast paths, bracketed as probe events.
 */
rl_arc *rl__arc_clone_slow(rl_arc *a)
{
	/* Relaxed: (A). */
	size_t old = rmw_add(&a->strong, 1, memory_order_relaxed, KIND_STRONG, SITE("rl_arc_clone"));

	if (RL_UNLIKELY(old > RL_ARC_MAX_REFCOUNT))
		rl__arc_overflow();
	return a;
}

void rl__arc_drop_slow(rl_arc *a)
{
	const struct site *s = SITE("rl_arc_drop");

	/* Release: (B), pairs with the acquire in drop_last(). */
	if (rmw_add(&a->strong, SIZE_MAX, memory_order_release, KIND_STRONG, s) != 1)
		return;
	drop_last(a, s);
}

size_t rl_arc_strong_count(const rl_arc *a)
{
	return load((_Atomic size_t *)&a->strong, memory_order_relaxed, KIND_STRONG, SITE("rl_arc_strong_count"));
}

size_t rl_arc_weak_count(const rl_arc *a)
{
	size_t n = load((_Atomic size_t *)&a->weak, memory_order_relaxed, KIND_WEAK, SITE("rl_arc_weak_count"));

	/* Locked by get_mut: the count was 1 (no Weak) when it was taken. */
	return n == WEAK_LOCKED ? 0 : n - 1;
}

rl_arc_weak *rl_arc_downgrade(rl_arc *a)
{
	const struct site *s = SITE("rl_arc_downgrade");
	size_t cur = load(&a->weak, memory_order_relaxed, KIND_WEAK, s);

	for (;;) {
		if (cur == WEAK_LOCKED) {
			/* get_mut holds the lock for two instructions: spin. */
			spin_wait(s);
			cur = load(&a->weak, memory_order_relaxed, KIND_WEAK, s);
			continue;
		}
		if (RL_UNLIKELY(cur > RL_ARC_MAX_REFCOUNT))
			rl_panic("Arc counter overflow");
		/* Acquire: (F), pairs with the Release unlock in rl_arc_get_mut(). */
		if (cas(&a->weak, &cur, cur + 1, true, memory_order_acquire, memory_order_relaxed, KIND_WEAK, s))
			return (rl_arc_weak *)(void *)a;
	}
}

rl_arc *rl_arc_weak_upgrade(rl_arc_weak *w)
{
	const struct site *s = SITE("rl_arc_weak_upgrade");
	rl_arc *a = box_of(w);
	size_t n = load(&a->strong, memory_order_relaxed, KIND_STRONG, s);

	for (;;) {
		if (n == 0)
			return NULL; /* any 0 we observe is permanent: never 0 -> 1 */
		if (RL_UNLIKELY(n > RL_ARC_MAX_REFCOUNT))
			rl_panic("Arc counter overflow");
		/* Acquire on success: (D). Relaxed on failure: we only retry. */
		if (cas(&a->strong, &n, n + 1, true, memory_order_acquire, memory_order_relaxed, KIND_STRONG, s))
			return a;
	}
}

rl_arc_weak *rl_arc_weak_clone(rl_arc_weak *w)
{
	rl_arc *a = box_of(w);
	/* Relaxed: (A). */
	size_t old = rmw_add(&a->weak, 1, memory_order_relaxed, KIND_WEAK, SITE("rl_arc_weak_clone"));

	if (RL_UNLIKELY(old > RL_ARC_MAX_REFCOUNT))
		rl__arc_overflow();
	return w;
}

void rl_arc_weak_drop(rl_arc_weak *w)
{
	if (w)
		weak_release(box_of(w), SITE("rl_arc_weak_drop"));
}

size_t rl_arc_weak_strong_count(const rl_arc_weak *w)
{
	return load(&box_of(w)->strong, memory_order_relaxed, KIND_STRONG, SITE("rl_arc_weak_strong_count"));
}

size_t rl_arc_weak_weak_count(const rl_arc_weak *w)
{
	const struct site *s = SITE("rl_arc_weak_weak_count");
	rl_arc *a = box_of(w);
	/* Rust: weak Acquire, strong Relaxed; a snapshot either way. */
	size_t weak = load(&a->weak, memory_order_acquire, KIND_WEAK, s);
	size_t strong = load(&a->strong, memory_order_relaxed, KIND_STRONG, s);

	/* weak cannot be locked here: get_mut locks only when no Weak exists. */
	return strong == 0 ? 0 : weak - 1;
}

/* Rust's is_unique(): (E). */
static bool is_unique(rl_arc *a, const struct site *s)
{
	size_t one = 1;
	bool unique;

	/* Lock the weak count if we appear to be its sole holder. Acquire: pairs
	 * with the Release of Weak drops, so a strong made by an upgrade through
	 * a since-dropped Weak is seen below. If that Weak still exists the CAS
	 * fails and we do not care. */
	if (!cas(&a->weak, &one, WEAK_LOCKED, false, memory_order_acquire, memory_order_relaxed, KIND_WEAK, s))
		return false;
	/* Acquire: pairs with the Release decrement in rl_arc_drop(): other
	 * owners' last uses of the value happen before we hand out &mut. */
	unique = load(&a->strong, memory_order_acquire, KIND_STRONG, s) == 1;
	/* Release: pairs with the Acquire CAS in rl_arc_downgrade(), so our read of
	 * strong happens before any Weak created from now on. */
	store(&a->weak, 1, memory_order_release, KIND_WEAK, s);
	return unique;
}

void *rl_arc_get_mut(rl_arc *a)
{
	return is_unique(a, SITE("rl_arc_get_mut")) ? a->value : NULL;
}

int rl_arc_try_unwrap(rl_arc *a, void *out)
{
	const struct site *s = SITE("rl_arc_try_unwrap");
	size_t one = 1;

	/* Relaxed CAS then ACQUIRE: (G). */
	if (!cas(&a->strong, &one, 0, false, memory_order_relaxed, memory_order_relaxed, KIND_STRONG, s))
		return RL_EBUSY;
	ACQUIRE_AT(a->strong, KIND_STRONG, s);
	if (RL__ARC_META(a)->size)
		memcpy(out, a->value, RL__ARC_META(a)->size);
	weak_release(a, s); /* the implicit weak reference */
	return RL_OK;
}

int rl_arc_into_inner(rl_arc *a, void *out)
{
	const struct site *s = SITE("rl_arc_into_inner");

	/* Release: as rl_arc_drop(); exactly one caller sees 1 here. */
	if (rmw_add(&a->strong, SIZE_MAX, memory_order_release, KIND_STRONG, s) != 1)
		return RL_EBUSY;
	/* Acquire: pairs with the other owners' Release decrements (B). */
	ACQUIRE_AT(a->strong, KIND_STRONG, s);
	if (RL__ARC_META(a)->size)
		memcpy(out, a->value, RL__ARC_META(a)->size);
	weak_release(a, s);
	return RL_OK;
}

bool rl_arc_ptr_eq(const rl_arc *a, const rl_arc *b)
{
	return a == b;
}

size_t rl_arc_value_size(const rl_arc *a)
{
	return RL__ARC_META(a)->size;
}
