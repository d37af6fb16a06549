/* rc.c — std::rc::Rc<T> and rc::Weak<T>: the out-of-line halves of rc.h.
 *
 * Owns the Rc box and its tag. Invariants (Rust's RcInner):
 *   - weak == #Weak + 1 while strong > 0 (the strong references share one
 *     implicit weak reference), weak == #Weak once strong reached 0;
 *   - the value is live exactly while strong > 0; its drop function runs once,
 *     when strong goes 1 -> 0 (not at all after try_unwrap, which moves it out);
 *   - the box is freed when weak reaches 0 — or, under quarantine, kept with
 *     its tag owner set to RL_OWNER_DEAD until rl_check_quarantine_end().
 *
 * Counts are plain size_t: an Rc belongs to one thread. Every function here
 * first checks the owner (check.h); a foreign thread's call is reported and
 * then performed as the same plain access, so the data race it makes is real.
 * On a dead (quarantined) box, operations on the strong count or the value are
 * reported as a use-after-free and skipped; the weak count stays usable so
 * that Weak handles behave as in Rust (upgrade gives NULL).
 */
#include <stdlib.h>
#include <string.h>
#include <racelab/rc.h>
#include <racelab/check.h>
#include <racelab/status.h>

_Static_assert(offsetof(rl_rc, value) == 2 * sizeof(size_t),
	       "RcInner header is two words");
_Static_assert(sizeof(struct rl__rc_tag) == 32, "the tag is 32 bytes");
_Static_assert(sizeof(struct rl__rc_tag) % _Alignof(max_align_t) == 0,
	       "the tag keeps the box aligned for any scalar type");

#define TYPE_RC "Rc<T>"
#define TYPE_WEAK "rc::Weak<T>"

static inline rl_rc *box_of(const rl_rc_weak *w) { return (rl_rc *)(void *)w; }

/*
 * Slow-path entry of an operation that needs a live strong reference.
 * Return: false if the box is dead: reported as a use-after-free, the caller
 * skips the operation.
 */
static bool strong_enter(rl_rc *rc, const char *op, const char *file, int line)
{
	struct rl__rc_tag *tag = RL__RC_TAG(rc);
	uint32_t owner = tag->owner;

	if (owner == RL_OWNER_DEAD) {
		rl__check_dead(TYPE_RC, op, tag->spare, file, line);
		return false;
	}
	if (owner != rl__tid())
		rl__check_foreign(RL_CHECK_SEND, TYPE_RC, op, rc, owner, tag->serial, file, line);
	return true;
}
#define STRONG_ENTER(rc, op) strong_enter((rc), (op), __FILE__, __LINE__)

/* The creating thread and serial, also once the box is dead. */
static uint32_t owner_of(const rl_rc *rc, uint32_t *serial)
{
	const struct rl__rc_tag *tag = RL__RC_TAG(rc);

	if (tag->owner == RL_OWNER_DEAD) {
		*serial = rl__qrec_serial(tag->spare);
		return rl__qrec_owner(tag->spare);
	}
	*serial = tag->serial;
	return tag->owner;
}

/* Slow-path entry of an operation on the weak count: dead boxes are fine. */
static void weak_enter(rl_rc *rc, const char *type, const char *op, const char *file, int line)
{
	uint32_t serial, owner = owner_of(rc, &serial);

	if (owner != rl__tid())
		rl__check_foreign(RL_CHECK_SEND, type, op, rc, owner, serial, file, line);
}
#define WEAK_ENTER(rc, type, op) weak_enter((rc), (type), (op), __FILE__, __LINE__)

/* Mark @rc dead and keep it if the quarantine is on (see enum rl__bury). */
static enum rl__bury bury(rl_rc *rc, bool ask_live)
{
	struct rl__rc_tag *tag = RL__RC_TAG(rc);

	return rl__check_bury(tag, rc, &tag->owner, tag->serial, &tag->spare, ask_live);
}

/* The last reference of any kind went: free the box (or keep it, quarantined). */
static void box_free(rl_rc *rc)
{
	if (bury(rc, false) == RL__BURY_OFF)
		free(RL__RC_TAG(rc));
}

/* Weak::drop and the release of the implicit weak reference. */
static void weak_release(rl_rc *rc, const char *type, const char *op)
{
	size_t n = rc->weak;

	if (RL_UNLIKELY(n == 0)) {
		/* A weak count from zero: the box was (or should have been) freed.
		 * Reachable when the box is kept dead, or after racy updates. */
		uint32_t serial, owner = owner_of(rc, &serial);

		rl__check_from_zero(type, op, rc, owner, serial, __FILE__, __LINE__);
		return;
	}
	rc->weak = n - 1;
	if (n == 1)
		box_free(rc);
}

/*
 * strong went to 0: the value is gone (dropped, or moved out by try_unwrap).
 * Under quarantine the box is marked dead first, before the value is dropped:
 * a later clone or drop from zero (which a fast path on the owner thread could
 * not see) is then caught as a use-after-free, and of two racing threads that
 * both took the count to zero only one drops the value.
 */
static void value_gone(rl_rc *rc, bool run_drop, const char *op)
{
	struct rl__rc_tag *tag = RL__RC_TAG(rc);

	if (bury(rc, true) == RL__BURY_AGAIN) {
		/* The count reached zero a second time (racing updates): the value
		 * is gone already. Dropping it again would be a double free. */
		rl__check_dead(TYPE_RC, op, tag->spare, __FILE__, __LINE__);
		return;
	}
	if (run_drop && tag->drop)
		tag->drop(rc->value);
	weak_release(rc, TYPE_RC, op);
}

static void inc_weak(rl_rc *rc)
{
	size_t n = rc->weak + 1;

	rc->weak = n;
	if (RL_UNLIKELY(n == 0))
		rl__rc_overflow();
}

rl_rc *rl_rc_new(size_t size, rl_drop_fn *drop)
{
	struct rl__rc_tag *tag;
	rl_rc *rc;

	if (size > SIZE_MAX - sizeof(*tag) - sizeof(rl_rc))
		return NULL;
	/* calloc: the value starts zero-filled; malloc's alignment is max_align_t. */
	tag = calloc(1, sizeof(*tag) + sizeof(rl_rc) + size);
	if (!tag)
		return NULL;
	tag->owner = rl__check_adopt(&tag->serial);
	tag->size = size;
	tag->drop = drop;
	rc = (rl_rc *)(tag + 1);
	rc->strong = 1;
	rc->weak = 1; /* the implicit weak reference of all strong ones */
	return rc;
}

_Noreturn void rl__rc_overflow(void)
{
	/* Rust's inc_strong/inc_weak abort when the count wraps to 0. */
	RL_FATAL("Rc counter overflow");
}

void rl__rc_drop_value(rl_rc *rc)
{
	value_gone(rc, true, "rl_rc_drop");
}

rl_rc *rl__rc_clone_slow(rl_rc *rc)
{
	size_t n;

	if (!STRONG_ENTER(rc, "rl_rc_clone"))
		return rc;
	n = rc->strong;
	if (RL_UNLIKELY(n == 0)) {
		rl__check_from_zero(TYPE_RC, "rl_rc_clone", rc, RL__RC_TAG(rc)->owner,
				    RL__RC_TAG(rc)->serial, __FILE__, __LINE__);
		return rc;
	}
	rc->strong = ++n;
	if (RL_UNLIKELY(n == 0))
		rl__rc_overflow();
	return rc;
}

void rl__rc_drop_slow(rl_rc *rc)
{
	size_t n;

	if (!STRONG_ENTER(rc, "rl_rc_drop"))
		return;
	n = rc->strong;
	if (RL_UNLIKELY(n == 0)) {
		rl__check_from_zero(TYPE_RC, "rl_rc_drop", rc, RL__RC_TAG(rc)->owner,
				    RL__RC_TAG(rc)->serial, __FILE__, __LINE__);
		return;
	}
	rc->strong = n - 1;
	if (n == 1)
		value_gone(rc, true, "rl_rc_drop");
}

size_t rl_rc_strong_count(const rl_rc *rc)
{
	return rc->strong;
}

size_t rl_rc_weak_count(const rl_rc *rc)
{
	/* weak holds the implicit reference too while the value lives. */
	return rc->strong ? rc->weak - 1 : rc->weak;
}

rl_rc_weak *rl_rc_downgrade(rl_rc *rc)
{
	/* On a dead box this is a use-after-free (reported), but the weak count
	 * is still incremented: the caller will drop the Weak it gets. */
	STRONG_ENTER(rc, "rl_rc_downgrade");
	inc_weak(rc);
	return (rl_rc_weak *)(void *)rc;
}

rl_rc *rl_rc_weak_upgrade(rl_rc_weak *w)
{
	rl_rc *rc = box_of(w);
	size_t n;

	WEAK_ENTER(rc, TYPE_WEAK, "rl_rc_weak_upgrade");
	if (RL__RC_TAG(rc)->owner == RL_OWNER_DEAD)
		return NULL;
	n = rc->strong;
	if (n == 0)
		return NULL; /* Rust: upgrade never takes the count from 0 to 1 */
	rc->strong = ++n;
	if (RL_UNLIKELY(n == 0))
		rl__rc_overflow();
	return rc;
}

rl_rc_weak *rl_rc_weak_clone(rl_rc_weak *w)
{
	rl_rc *rc = box_of(w);

	WEAK_ENTER(rc, TYPE_WEAK, "rl_rc_weak_clone");
	inc_weak(rc);
	return w;
}

void rl_rc_weak_drop(rl_rc_weak *w)
{
	rl_rc *rc = box_of(w);

	if (!w)
		return;
	WEAK_ENTER(rc, TYPE_WEAK, "rl_rc_weak_drop");
	weak_release(rc, TYPE_WEAK, "rl_rc_weak_drop");
}

size_t rl_rc_weak_strong_count(const rl_rc_weak *w)
{
	return box_of(w)->strong;
}

size_t rl_rc_weak_weak_count(const rl_rc_weak *w)
{
	const rl_rc *rc = box_of(w);

	return rc->strong ? rc->weak - 1 : 0;
}

void *rl_rc_get_mut(rl_rc *rc)
{
	if (!STRONG_ENTER(rc, "rl_rc_get_mut"))
		return NULL;
	/* Rust's is_unique: no other strong and no Weak (weak == the implicit one). */
	return rc->strong == 1 && rc->weak == 1 ? rc->value : NULL;
}

int rl_rc_try_unwrap(rl_rc *rc, void *out)
{
	if (!STRONG_ENTER(rc, "rl_rc_try_unwrap"))
		return RL_EBUSY;
	if (rc->strong != 1)
		return RL_EBUSY;
	if (RL__RC_TAG(rc)->size)
		memcpy(out, rc->value, RL__RC_TAG(rc)->size);
	rc->strong = 0;
	value_gone(rc, false, "rl_rc_try_unwrap");
	return RL_OK;
}

bool rl_rc_ptr_eq(const rl_rc *a, const rl_rc *b)
{
	return a == b;
}

size_t rl_rc_value_size(const rl_rc *rc)
{
	return RL__RC_TAG(rc)->size;
}
