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
 * Send violation, reported by the slow path in Rust's words (owner checks).
 *
 * Context: all functions are for the owning thread only. That is the point:
 * calling them from two threads is the data race racelab demonstrates.
 */
#ifndef RACELAB_RC_H
#define RACELAB_RC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <racelab/hooks.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void rl_drop_fn(void *value);

/* private: the layout is shown so that clone and drop inline into the caller. */
typedef struct rl_rc {
	size_t strong;
	size_t weak; /* #Weak + 1 while strong > 0 */
	_Alignas(max_align_t) unsigned char value[];
} rl_rc;
/* A Weak<T> points at the same box; the distinct type keeps the verbs apart. */
typedef struct rl_rc_weak rl_rc_weak;

/* private: racelab's tag, 32 bytes in front of every Rc box. */
struct rl__rc_tag {
	uint32_t owner;       /* rl__tid() of the creating thread; RL_OWNER_DEAD once freed */
	uint32_t flags;
	size_t size;          /* value size, for try_unwrap and reports */
	rl_drop_fn *drop;     /* runs on the value when strong reaches 0 */
	void *spare;          /* reserved for detectors */
};
#define RL__RC_TAG(rc) ((struct rl__rc_tag *)((unsigned char *)(rc) - sizeof(struct rl__rc_tag)))

/**
 * rl_rc_new() - Rc::new for a zero-filled value of @size bytes.
 * @drop: called with the value when the last strong reference drops; may be NULL.
 * Return: the handle (strong 1, weak 0), or NULL when out of memory.
 */
rl_rc *rl_rc_new(size_t size, rl_drop_fn *drop);

/* Deref: the value. */
static inline void *rl_rc_get(const rl_rc *rc) { return (void *)rc->value; }

rl_rc *rl_rc_clone_slow(rl_rc *rc);
void rl_rc_drop_slow(rl_rc *rc);
void rl__rc_drop_value(rl_rc *rc);
_Noreturn void rl__rc_overflow(void);

/**
 * rl_rc_clone() - Rc::clone: a plain increment of the strong count.
 * Aborts: when the count wraps (Rust aborts on overflow of an Rc count).
 * Return: @rc.
 */
static inline rl_rc *rl_rc_clone(rl_rc *rc)
{
	if (RL_UNLIKELY((RL__RC_TAG(rc)->owner ^ rl__tid()) | rl__probe_active))
		return rl_rc_clone_slow(rc);
	size_t n = rc->strong + 1;
	rc->strong = n;
	if (RL_UNLIKELY(n == 0))
		rl__rc_overflow();
	return rc;
}

/**
 * rl_rc_drop() - drop one strong reference: a plain decrement.
 * The last strong drop runs the drop function and releases the implicit weak
 * reference; the box is freed when no Weak remains.
 */
static inline void rl_rc_drop(rl_rc *rc)
{
	if (RL_UNLIKELY((RL__RC_TAG(rc)->owner ^ rl__tid()) | rl__probe_active)) {
		rl_rc_drop_slow(rc);
		return;
	}
	if (--rc->strong == 0)
		rl__rc_drop_value(rc);
}

size_t rl_rc_strong_count(const rl_rc *rc);
size_t rl_rc_weak_count(const rl_rc *rc);          /* #Weak (excludes the implicit one) */
rl_rc_weak *rl_rc_downgrade(rl_rc *rc);             /* Rc::downgrade */
rl_rc *rl_rc_weak_upgrade(rl_rc_weak *w);           /* NULL once the value was dropped */
rl_rc_weak *rl_rc_weak_clone(rl_rc_weak *w);
void rl_rc_weak_drop(rl_rc_weak *w);
size_t rl_rc_weak_strong_count(const rl_rc_weak *w);
void *rl_rc_get_mut(rl_rc *rc);                     /* NULL unless strong == 1 and no Weak */
int rl_rc_try_unwrap(rl_rc *rc, void *out);         /* RL_OK: value copied, rc consumed; RL_EBUSY */
bool rl_rc_ptr_eq(const rl_rc *a, const rl_rc *b);
size_t rl_rc_value_size(const rl_rc *rc);

#ifdef __cplusplus
}
#endif
#endif
