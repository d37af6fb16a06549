/* rc.h — std::rc::Rc<T> and rc::Weak<T>: non-atomic reference counts; !Send, !Sync.
 *
 * The box is Rust's RcInner: {strong, weak, value}, a 16-byte header with the
 * value aligned for any scalar type (max_align_t). The handle (rl_rc *) is one
 * pointer to the box. All strong references together hold one implicit weak
 * reference: the field `weak` is (#Weak + 1) while strong > 0. The last strong
 * drop runs the drop function; the last weak drop frees the box.
 *
 * racelab keeps a 32-byte tag *before* the box (not part of Rust's layout) that
 * remembers the creating thread; using an Rc from any other thread is Rust's
 * Send violation, reported by the slow path in Rust's words (owner checks,
 * check.h). The check costs the fast path no extra branch: the owner test and
 * the probe test share one.
 *
 * Context: all functions are for the owning thread only. That is the point:
 * calling them from two threads is the data race racelab demonstrates. A
 * foreign thread's call is reported (check.h) and then performed as the same
 * plain, racy access.
 */
#ifndef RACELAB_RC_H
#define RACELAB_RC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <racelab/cdefs.h>
#include <racelab/check.h>
#include <racelab/hooks.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void rl_drop_fn(void *value);

#ifndef __cplusplus
/* private: the layout is shown so that clone and drop inline into the caller. */
typedef struct rl_rc {
	size_t strong;
	size_t weak; /* #Weak + 1 while strong > 0 */
	_Alignas(max_align_t) unsigned char value[];
} rl_rc;
#else
/* C++: opaque (C's flexible array member); get, clone and drop are calls. */
typedef struct rl_rc rl_rc;
#endif
/* A Weak<T> points at the same box; the distinct type keeps the verbs apart. */
typedef struct rl_rc_weak rl_rc_weak;

/* private: racelab's tag, 32 bytes in front of every Rc box. */
struct rl__rc_tag {
	uint32_t owner;       /* rl__tid() of the creating thread; RL_OWNER_DEAD once dead (quarantine) */
	uint32_t serial;      /* per-owner creation number: tells apart boxes at a reused address */
	size_t size;          /* value size, for try_unwrap and reports */
	rl_drop_fn *drop;     /* runs on the value when strong reaches 0 */
	void *spare;          /* the quarantine record while dead; reserved for detectors */
};
#define RL__RC_TAG(rc) ((struct rl__rc_tag *)((unsigned char *)(rc) - sizeof(struct rl__rc_tag)))

/**
 * rl_rc_new() - Rc::new for a zero-filled value of @size bytes.
 * @size: bytes of the value (0 allowed).
 * @drop: called with the value when the last strong reference drops; may be NULL.
 *
 * Context: any thread; that thread owns the Rc.
 * Return: the handle (strong 1, weak 0), or NULL when out of memory.
 */
rl_rc *rl_rc_new(size_t size, rl_drop_fn *drop);

#if defined(__cplusplus) || defined(RL__INLINE_EXTERN)
/* The fast paths below, as functions of the library (racelab/cdefs.h). */
void *rl_rc_get(const rl_rc *rc);
rl_rc *rl_rc_clone(rl_rc *rc);
void rl_rc_drop(rl_rc *rc);
#endif

#ifndef __cplusplus
/* Deref: the value (unchecked: no owner test, no count change). */
RL__INLINE void *rl_rc_get(const rl_rc *rc) { return (void *)rc->value; }

/* private: out-of-line halves of the inline functions below. */
rl_rc *rl__rc_clone_slow(rl_rc *rc);
void rl__rc_drop_slow(rl_rc *rc);
void rl__rc_drop_value(rl_rc *rc);
_Noreturn void rl__rc_overflow(void);

/**
 * rl_rc_clone() - Rc::clone: a plain increment of the strong count.
 *
 * Context: the owning thread (another thread's call is a reported Send
 * violation, then the same racy increment; on a dead quarantined box it is
 * reported as a use-after-free and skipped).
 * Aborts: when the count wraps, like Rust's inc_strong ("Rc counter overflow").
 * Return: @rc.
 */
RL__INLINE rl_rc *rl_rc_clone(rl_rc *rc)
{
	if (RL_UNLIKELY(RL__OWNER_SLOW(RL__RC_TAG(rc)->owner)))
		return rl__rc_clone_slow(rc);
	size_t n = rc->strong + 1;
	rc->strong = n;
	if (RL_UNLIKELY(n == 0))
		rl__rc_overflow();
	return rc;
}

/**
 * rl_rc_drop() - drop one strong reference: a plain decrement.
 *
 * The last strong drop runs the drop function and releases the implicit weak
 * reference; the box is freed when no Weak remains (kept while quarantined).
 * Context: the owning thread (as rl_rc_clone()).
 */
RL__INLINE void rl_rc_drop(rl_rc *rc)
{
	if (RL_UNLIKELY(RL__OWNER_SLOW(RL__RC_TAG(rc)->owner))) {
		rl__rc_drop_slow(rc);
		return;
	}
	if (--rc->strong == 0)
		rl__rc_drop_value(rc);
}
#endif /* !__cplusplus */

/*
 * The remaining functions are out of line. Each one checks the owner like the
 * inline ones; the count getters, rl_rc_ptr_eq() and rl_rc_value_size() only
 * read and check nothing.
 */

/* Rc::strong_count: strong references (0 only for a dead box). */
size_t rl_rc_strong_count(const rl_rc *rc);
/* Rc::weak_count: #Weak (excludes the implicit one). */
size_t rl_rc_weak_count(const rl_rc *rc);

/**
 * rl_rc_downgrade() - Rc::downgrade: a new Weak to the same box.
 * Aborts: when the weak count wraps ("Rc counter overflow").
 * Return: the Weak (never NULL).
 */
rl_rc_weak *rl_rc_downgrade(rl_rc *rc);

/**
 * rl_rc_weak_upgrade() - Weak::upgrade.
 * Aborts: when the strong count wraps.
 * Return: a new strong reference, or NULL once the value was dropped.
 */
rl_rc *rl_rc_weak_upgrade(rl_rc_weak *w);

/* Weak::clone. Aborts when the weak count wraps. Return: @w. */
rl_rc_weak *rl_rc_weak_clone(rl_rc_weak *w);

/* Weak::drop: the last reference of any kind frees the box. NULL is a no-op. */
void rl_rc_weak_drop(rl_rc_weak *w);

/* Weak::strong_count: 0 once the value was dropped. */
size_t rl_rc_weak_strong_count(const rl_rc_weak *w);
/* Weak::weak_count: #Weak while the value lives, 0 after. */
size_t rl_rc_weak_weak_count(const rl_rc_weak *w);

/**
 * rl_rc_get_mut() - Rc::get_mut.
 * Return: the value if @rc is the only reference (strong 1, no Weak), else NULL.
 */
void *rl_rc_get_mut(rl_rc *rc);

/**
 * rl_rc_try_unwrap() - Rc::try_unwrap: move the value out of a unique Rc.
 * @out: receives rl_rc_value_size(@rc) bytes.
 *
 * Weak references stay valid but upgrade to NULL afterwards. The drop
 * function is not called: the value now belongs to @out.
 * Return: RL_OK (value copied, @rc consumed) if strong was 1; RL_EBUSY
 * otherwise (@rc untouched and still owned by the caller).
 */
int rl_rc_try_unwrap(rl_rc *rc, void *out);

/* Rc::ptr_eq: same box. */
bool rl_rc_ptr_eq(const rl_rc *a, const rl_rc *b);
/* The value's size in bytes, as given to rl_rc_new(). */
size_t rl_rc_value_size(const rl_rc *rc);

#ifdef __cplusplus
}
#endif
#endif
