/* arc.h — std::sync::Arc<T> and sync::Weak<T>: atomic reference counts; Send + Sync.
 *
 * The box is Rust's ArcInner: {strong, weak, data}, a 16-byte header of two
 * atomic words with the value aligned for any scalar type (max_align_t), so
 * ArcInner<i32> is 24 bytes as in Rust. The handle (rl_arc *) is one pointer
 * to the box; NULL is the None of Option<Arc<T>>. All strong references
 * together hold one implicit weak reference: `weak` is (#Weak + 1) while
 * strong > 0, and usize::MAX (SIZE_MAX) while rl_arc_get_mut() holds it
 * locked. The last strong drop runs the drop function; the last weak drop
 * frees the box.
 *
 * racelab keeps 16 bytes of metadata *before* the box (value size, drop
 * function): not part of Rust's layout, where the drop glue comes with the
 * type. The field Rust calls `data` is `value` here, as in rl_rc.
 *
 * Orderings are Rust's (library/alloc/src/sync.rs), listed per function; the
 * pairs are spelled out in sync/arc.c. clone and drop are inline: one test of
 * rl__probe_active (a single predictable branch) in front of the atomic
 * instruction.
 *
 * Context: every function may be called from any thread, on handles the
 * caller owns (one handle is one reference: do not drop it twice).
 */
#ifndef RACELAB_ARC_H
#define RACELAB_ARC_H

#ifndef __cplusplus
#include <stdatomic.h>
#endif
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <racelab/cdefs.h>
#include <racelab/hooks.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void rl_drop_fn(void *value);

#ifndef __cplusplus
/* private: the layout is shown so that clone and drop inline into the caller. */
typedef struct rl_arc {
	_Atomic size_t strong;
	_Atomic size_t weak; /* #Weak + 1 while strong > 0; SIZE_MAX while locked */
	_Alignas(max_align_t) unsigned char value[]; /* Rust's ArcInner::data */
} rl_arc;
#else
/* C++: opaque (C11 atomics, C's flexible array member); get, clone and drop are calls. */
typedef struct rl_arc rl_arc;
#endif
/* A sync::Weak<T> points at the same box; the distinct type keeps the verbs apart. */
typedef struct rl_arc_weak rl_arc_weak;

/* private: racelab's metadata, 16 bytes in front of every Arc box. */
struct rl__arc_meta {
	size_t size;      /* value size */
	rl_drop_fn *drop; /* runs on the value when strong reaches 0 */
};
#define RL__ARC_META(a) ((struct rl__arc_meta *)((unsigned char *)(a) - sizeof(struct rl__arc_meta)))

/* Rust's MAX_REFCOUNT: isize::MAX. A clone that finds the count above it aborts. */
#define RL_ARC_MAX_REFCOUNT ((size_t)PTRDIFF_MAX)

/**
 * rl_arc_new() - Arc::new for a zero-filled value of @size bytes.
 * @drop: called with the value when the last strong reference drops; may be NULL.
 *
 * Context: any thread.
 * Return: the handle (strong 1, weak 0), or NULL when out of memory.
 */
rl_arc *rl_arc_new(size_t size, rl_drop_fn *drop);

#if defined(__cplusplus) || defined(RL__INLINE_EXTERN)
/* The fast paths below, as functions of the library (racelab/cdefs.h). */
void *rl_arc_get(const rl_arc *a);
rl_arc *rl_arc_clone(rl_arc *a);
void rl_arc_drop(rl_arc *a);
#endif

#ifndef __cplusplus
/* Deref: the value. */
RL__INLINE void *rl_arc_get(const rl_arc *a) { return (void *)a->value; }

/*
 * private: non-zero when clone and drop must take their probed slow paths. A
 * translation unit compiled with -DRL_NO_PROBES inlines them without the test
 * (the benchmark's probe-free baseline; probes attached later are not seen).
 */
#ifndef RL_NO_PROBES
#define RL__ARC_PROBED() RL_UNLIKELY(rl__probe_active)
#else
#define RL__ARC_PROBED() 0
#endif

/* private: out-of-line halves of the inline functions below. */
rl_arc *rl__arc_clone_slow(rl_arc *a);
void rl__arc_drop_slow(rl_arc *a);
void rl__arc_drop_last(rl_arc *a);
_Noreturn void rl__arc_overflow(void);

/**
 * rl_arc_clone() - Arc::clone: one atomic increment of the strong count.
 *
 * Ordering: Relaxed. A new reference is made from an existing one, which
 * already keeps the box alive; the increment publishes nothing.
 * Aborts: when the count was above RL_ARC_MAX_REFCOUNT (isize::MAX), as Rust
 * does ("Arc counter overflow").
 * Return: @a.
 */
RL__INLINE rl_arc *rl_arc_clone(rl_arc *a)
{
	if (RL__ARC_PROBED())
		return rl__arc_clone_slow(a);
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__) && !defined(RL_ARC_PORTABLE)
	/*
	 * Rust's code for this line: `lock incq; jle`. After the increment, jle
	 * (ZF=1 or SF!=OF) is taken exactly when the old value was above
	 * isize::MAX, the check below. gcc compiles the C11 form to `lock xadd`
	 * plus a test, which measured 2.2 ns (about 12%) slower per clone+drop on
	 * the AMD EPYC this was written on. TSan cannot see inline asm, so TSan
	 * builds (and RL_ARC_PORTABLE) use the C11 atomic. Relaxed either way:
	 * a locked increment orders nothing beyond its own atomicity.
	 */
	__asm__ goto("lock incq %0\n\tjle %l[overflow]" : "+m"(a->strong) : : "cc" : overflow);
	return a;
overflow:
	rl__arc_overflow();
#else
	size_t old = atomic_fetch_add_explicit(&a->strong, 1, memory_order_relaxed);
	if (RL_UNLIKELY(old > RL_ARC_MAX_REFCOUNT))
		rl__arc_overflow();
	return a;
#endif
}

/**
 * rl_arc_drop() - drop one strong reference.
 *
 * The last one (strong 1 -> 0) runs the drop function and releases the
 * implicit weak reference; the box is freed when no Weak remains.
 * Ordering: Release on the decrement: this thread's uses of the value happen
 * before it. The last dropper then acquires (a fence; an Acquire load under
 * TSan) before it drops the value, so every other thread's uses happen before
 * the drop.
 */
RL__INLINE void rl_arc_drop(rl_arc *a)
{
	if (RL__ARC_PROBED()) {
		rl__arc_drop_slow(a);
		return;
	}
	/* Release: pairs with the acquire in rl__arc_drop_last() of whichever
	 * thread takes the count to zero. */
	if (atomic_fetch_sub_explicit(&a->strong, 1, memory_order_release) != 1)
		return;
	rl__arc_drop_last(a);
}
#endif /* !__cplusplus */

/**
 * rl_arc_strong_count() - Arc::strong_count.
 * Ordering: Relaxed; only a snapshot while other threads hold references.
 */
size_t rl_arc_strong_count(const rl_arc *a);

/**
 * rl_arc_weak_count() - Arc::weak_count: #Weak (without the implicit one).
 * Ordering: Relaxed; a snapshot. 0 while rl_arc_get_mut() holds the weak lock
 * (there was no Weak when it took it).
 */
size_t rl_arc_weak_count(const rl_arc *a);

/**
 * rl_arc_downgrade() - Arc::downgrade: a new Weak.
 *
 * Waits (spins) while rl_arc_get_mut() holds the weak count locked.
 * Ordering: CAS Acquire: pairs with the Release that unlocks the weak count in
 * rl_arc_get_mut(), so get_mut's read of strong happens before this Weak exists.
 * Panics: rl_panic("Arc counter overflow") if the weak count is above
 * isize::MAX, as Rust does (rust#108706); nothing is changed then.
 * Return: the Weak (never NULL).
 */
rl_arc_weak *rl_arc_downgrade(rl_arc *a);

/**
 * rl_arc_weak_upgrade() - Weak::upgrade: a CAS loop that never takes the
 * strong count from 0 to 1.
 *
 * Ordering: Acquire on success, Relaxed on failure (Rust's fetch_update).
 * Panics: rl_panic("Arc counter overflow") above isize::MAX; nothing changed.
 * Return: a new strong reference, or NULL once the value was dropped.
 */
rl_arc *rl_arc_weak_upgrade(rl_arc_weak *w);

/**
 * rl_arc_weak_clone() - Weak::clone.
 * Ordering: Relaxed, as rl_arc_clone().
 * Aborts: above isize::MAX. Return: @w.
 */
rl_arc_weak *rl_arc_weak_clone(rl_arc_weak *w);

/**
 * rl_arc_weak_drop() - Weak::drop: the last reference of any kind frees the box.
 * Ordering: Release decrement; the last one acquires before freeing.
 * NULL is a no-op.
 */
void rl_arc_weak_drop(rl_arc_weak *w);

/* Weak::strong_count (Relaxed; 0 once the value was dropped). */
size_t rl_arc_weak_strong_count(const rl_arc_weak *w);
/* Weak::weak_count: #Weak while the value lives, 0 after (a snapshot). */
size_t rl_arc_weak_weak_count(const rl_arc_weak *w);

/**
 * rl_arc_get_mut() - Arc::get_mut: &mut T if @a is the only reference.
 *
 * Correct against concurrent downgrade/upgrade on other threads: the weak
 * count is locked (set to SIZE_MAX) while strong is read (rust#24880).
 * Ordering: lock CAS Acquire (pairs with the Release of Weak drops), strong
 * load Acquire (pairs with the Release of strong drops), unlock store Release
 * (pairs with the Acquire CAS of rl_arc_downgrade()).
 * Return: the value if strong == 1 and there is no Weak, else NULL.
 */
void *rl_arc_get_mut(rl_arc *a);

/**
 * rl_arc_try_unwrap() - Arc::try_unwrap: move the value out of a unique Arc.
 * @out: receives rl_arc_value_size(@a) bytes.
 *
 * Weak references stay valid but upgrade to NULL afterwards; the drop
 * function is not called (the value now belongs to @out). Two owners that
 * race may both get RL_EBUSY: use rl_arc_into_inner() to get the value to
 * exactly one of them.
 * Ordering: CAS 1 -> 0 Relaxed, then Acquire (pairs with the Release of the
 * other owners' drops).
 * Return: RL_OK (value copied, @a consumed); RL_EBUSY (@a untouched, still yours).
 */
int rl_arc_try_unwrap(rl_arc *a, void *out);

/**
 * rl_arc_into_inner() - Arc::into_inner: drop @a; the last owner gets the value.
 * @out: receives rl_arc_value_size(@a) bytes if this was the last strong reference.
 *
 * @a is consumed in every case. When several owners call it at once, exactly
 * one gets RL_OK. The drop function is not called on the moved value.
 * Ordering: as rl_arc_drop().
 * Return: RL_OK (value in @out); RL_EBUSY if other strong references remained
 * (@out untouched).
 */
int rl_arc_into_inner(rl_arc *a, void *out);

/* Arc::ptr_eq: same box. */
bool rl_arc_ptr_eq(const rl_arc *a, const rl_arc *b);
/* The value's size in bytes, as given to rl_arc_new(). */
size_t rl_arc_value_size(const rl_arc *a);

#ifdef __cplusplus
}
#endif
#endif
