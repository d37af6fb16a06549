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
 */
#include <stdlib.h>
#include <string.h>
#include <racelab/arc.h>
#include <racelab/check.h>
#include <racelab/status.h>
#include <racelab/thread.h>

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

/* A CPU hint inside spin loops (Rust's hint::spin_loop). */
static inline void spin_hint(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
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
	return a;
}

_Noreturn void rl__arc_overflow(void)
{
	/* Rust aborts (clone past isize::MAX; other threads may still be
	 * incrementing, which is why the limit is far below the wrap). */
	RL_FATAL("Arc counter overflow");
}

/* The last reference of any kind went: free the box (or keep it, quarantined). */
static void box_free(rl_arc *a)
{
	struct rl__arc_meta *meta = RL__ARC_META(a);

	if (rl__check_bury(meta, a, NULL, 0, NULL, false) == RL__BURY_OFF)
		free(meta);
}

/* Weak::drop and the release of the implicit weak reference: (C). */
static void weak_release(rl_arc *a)
{
	/* Release: pairs with the ACQUIRE below in the thread that reaches 0. */
	if (atomic_fetch_sub_explicit(&a->weak, 1, memory_order_release) != 1)
		return;
	ACQUIRE(a->weak);
	box_free(a);
}

/* strong reached 0 and this thread made it so: (B), second half. */
void rl__arc_drop_last(rl_arc *a)
{
	struct rl__arc_meta *meta = RL__ARC_META(a);

	/* Acquire: pairs with the Release decrements of every other dropper. */
	ACQUIRE(a->strong);
	if (meta->drop)
		meta->drop(a->value);
	weak_release(a);
}

/*
 * The probe slow paths: taken while rl__probe_active is set. They perform the
 * same operations as the inline fast paths; detectors and the scheduler hook
 * in here.
 */
rl_arc *rl__arc_clone_slow(rl_arc *a)
{
	size_t old = atomic_fetch_add_explicit(&a->strong, 1, memory_order_relaxed);

	if (RL_UNLIKELY(old > RL_ARC_MAX_REFCOUNT))
		rl__arc_overflow();
	return a;
}

void rl__arc_drop_slow(rl_arc *a)
{
	if (atomic_fetch_sub_explicit(&a->strong, 1, memory_order_release) != 1)
		return;
	rl__arc_drop_last(a);
}

size_t rl_arc_strong_count(const rl_arc *a)
{
	return atomic_load_explicit((_Atomic size_t *)&a->strong, memory_order_relaxed);
}

size_t rl_arc_weak_count(const rl_arc *a)
{
	size_t n = atomic_load_explicit((_Atomic size_t *)&a->weak, memory_order_relaxed);

	/* Locked by get_mut: the count was 1 (no Weak) when it was taken. */
	return n == WEAK_LOCKED ? 0 : n - 1;
}

rl_arc_weak *rl_arc_downgrade(rl_arc *a)
{
	size_t cur = atomic_load_explicit(&a->weak, memory_order_relaxed);

	for (;;) {
		if (cur == WEAK_LOCKED) {
			/* get_mut holds the lock for two instructions: spin. */
			spin_hint();
			cur = atomic_load_explicit(&a->weak, memory_order_relaxed);
			continue;
		}
		if (RL_UNLIKELY(cur > RL_ARC_MAX_REFCOUNT))
			rl_panic("Arc counter overflow");
		/* Acquire: (F), pairs with the Release unlock in rl_arc_get_mut(). */
		if (atomic_compare_exchange_weak_explicit(&a->weak, &cur, cur + 1,
							  memory_order_acquire,
							  memory_order_relaxed))
			return (rl_arc_weak *)(void *)a;
	}
}

rl_arc *rl_arc_weak_upgrade(rl_arc_weak *w)
{
	rl_arc *a = box_of(w);
	size_t n = atomic_load_explicit(&a->strong, memory_order_relaxed);

	for (;;) {
		if (n == 0)
			return NULL; /* any 0 we observe is permanent: never 0 -> 1 */
		if (RL_UNLIKELY(n > RL_ARC_MAX_REFCOUNT))
			rl_panic("Arc counter overflow");
		/* Acquire on success: (D). Relaxed on failure: we only retry. */
		if (atomic_compare_exchange_weak_explicit(&a->strong, &n, n + 1,
							  memory_order_acquire,
							  memory_order_relaxed))
			return a;
	}
}

rl_arc_weak *rl_arc_weak_clone(rl_arc_weak *w)
{
	rl_arc *a = box_of(w);
	/* Relaxed: (A). */
	size_t old = atomic_fetch_add_explicit(&a->weak, 1, memory_order_relaxed);

	if (RL_UNLIKELY(old > RL_ARC_MAX_REFCOUNT))
		rl__arc_overflow();
	return w;
}

void rl_arc_weak_drop(rl_arc_weak *w)
{
	if (w)
		weak_release(box_of(w));
}

size_t rl_arc_weak_strong_count(const rl_arc_weak *w)
{
	return atomic_load_explicit(&box_of(w)->strong, memory_order_relaxed);
}

size_t rl_arc_weak_weak_count(const rl_arc_weak *w)
{
	rl_arc *a = box_of(w);
	/* Rust: weak Acquire, strong Relaxed; a snapshot either way. */
	size_t weak = atomic_load_explicit(&a->weak, memory_order_acquire);
	size_t strong = atomic_load_explicit(&a->strong, memory_order_relaxed);

	/* weak cannot be locked here: get_mut locks only when no Weak exists. */
	return strong == 0 ? 0 : weak - 1;
}

/* Rust's is_unique(): (E). */
static bool is_unique(rl_arc *a)
{
	size_t one = 1;
	bool unique;

	/* Lock the weak count if we appear to be its sole holder. Acquire: pairs
	 * with the Release of Weak drops, so a strong made by an upgrade through
	 * a since-dropped Weak is seen below. If that Weak still exists the CAS
	 * fails and we do not care. */
	if (!atomic_compare_exchange_strong_explicit(&a->weak, &one, WEAK_LOCKED,
						     memory_order_acquire,
						     memory_order_relaxed))
		return false;
	/* Acquire: pairs with the Release decrement in rl_arc_drop(): other
	 * owners' last uses of the value happen before we hand out &mut. */
	unique = atomic_load_explicit(&a->strong, memory_order_acquire) == 1;
	/* Release: pairs with the Acquire CAS in rl_arc_downgrade(), so our read of
	 * strong happens before any Weak created from now on. */
	atomic_store_explicit(&a->weak, 1, memory_order_release);
	return unique;
}

void *rl_arc_get_mut(rl_arc *a)
{
	return is_unique(a) ? a->value : NULL;
}

int rl_arc_try_unwrap(rl_arc *a, void *out)
{
	size_t one = 1;

	/* Relaxed CAS then ACQUIRE: (G). */
	if (!atomic_compare_exchange_strong_explicit(&a->strong, &one, 0,
						     memory_order_relaxed,
						     memory_order_relaxed))
		return RL_EBUSY;
	ACQUIRE(a->strong);
	if (RL__ARC_META(a)->size)
		memcpy(out, a->value, RL__ARC_META(a)->size);
	weak_release(a); /* the implicit weak reference */
	return RL_OK;
}

int rl_arc_into_inner(rl_arc *a, void *out)
{
	/* Release: as rl_arc_drop(); exactly one caller sees 1 here. */
	if (atomic_fetch_sub_explicit(&a->strong, 1, memory_order_release) != 1)
		return RL_EBUSY;
	/* Acquire: pairs with the other owners' Release decrements (B). */
	ACQUIRE(a->strong);
	if (RL__ARC_META(a)->size)
		memcpy(out, a->value, RL__ARC_META(a)->size);
	weak_release(a);
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
