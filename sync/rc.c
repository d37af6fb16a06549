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
 *
 * Probes (probe.h). While rl__probe_active is set the inline fast paths come
 * here too, and every access to a count is bracketed as a plain probe event:
 * an increment or decrement is an RL_PROBE_READ pair, then an RL_PROBE_WRITE
 * pair — a scheduling point between the load and the store, where an update
 * gets lost, as on hardware. The owner checks run first, as without probes.
 * rl_rc_new() announces the box (RL_PROBE_ALLOC) and the free announces its
 * end (RL_PROBE_FREE); a box kept by the quarantine is not freed, so it gets
 * no FREE until the quarantine ends.
 */
#include <stdlib.h>
#include <string.h>
#include <racelab/rc.h>
#include <racelab/check.h>
#include <racelab/probe.h>
#include <racelab/status.h>

_Static_assert(offsetof(rl_rc, value) == 2 * sizeof(size_t),
	       "RcInner header is two words");
_Static_assert(sizeof(struct rl__rc_tag) == 32, "the tag is 32 bytes");
_Static_assert(sizeof(struct rl__rc_tag) % _Alignof(max_align_t) == 0,
	       "the tag keeps the box aligned for any scalar type");

#define TYPE_RC "Rc<T>"
#define TYPE_WEAK "rc::Weak<T>"

/* Object kinds in probe events: the Rust rule of a report follows the first word. */
static const char KIND_STRONG[] = "Rc<T> strong count";
static const char KIND_WEAK[] = "Rc<T> weak count";

static inline rl_rc *box_of(const rl_rc_weak *w) { return (rl_rc *)(void *)w; }

/* ---- counts: plain loads and stores, probed while a probe is attached ---- */

/* An operation's identity in probe events: its name and its caller. */
struct site {
	const char *op;
	const void *pc;
};
#define SITE(op) (&(struct site){ (op), __builtin_return_address(0) })

static __attribute__((noinline)) size_t read_probed(const size_t *p, const char *kind, const struct site *s)
{
	rl_probe_ev ev = { .op = RL_PROBE_READ, .addr = p, .kind = kind, .name = s->op, .pc = s->pc };

	rl__probe_enter(&ev);
	size_t v = *(const volatile size_t *)p;
	ev.rval = v;
	rl__probe_exit(&ev);
	return v;
}

static __attribute__((noinline)) void write_probed(size_t *p, size_t v, const char *kind, const struct site *s)
{
	rl_probe_ev ev = { .op = RL_PROBE_WRITE, .addr = p, .kind = kind, .name = s->op, .pc = s->pc, .wval = v };

	rl__probe_enter(&ev);
	*(volatile size_t *)p = v;
	rl__probe_exit(&ev);
}

/* The count at @p: one plain load (a probe READ while probes are on). */
static inline size_t count_get(const size_t *p, const char *kind, const struct site *s)
{
	return RL_UNLIKELY(rl__probe_active) ? read_probed(p, kind, s) : *p;
}

/* Store @v to the count at @p: one plain store (a probe WRITE while probes are on). */
static inline void count_set(size_t *p, size_t v, const char *kind, const struct site *s)
{
	if (RL_UNLIKELY(rl__probe_active))
		write_probed(p, v, kind, s);
	else
		*p = v;
}

#define STRONG_GET(rc, s) count_get(&(rc)->strong, KIND_STRONG, (s))
#define STRONG_SET(rc, v, s) count_set(&(rc)->strong, (v), KIND_STRONG, (s))
#define WEAK_GET(rc, s) count_get(&(rc)->weak, KIND_WEAK, (s))
#define WEAK_SET(rc, v, s) count_set(&(rc)->weak, (v), KIND_WEAK, (s))

/* Bytes of the allocation holding @rc (tag, header, value). */
static size_t alloc_size(const rl_rc *rc)
{
	return sizeof(struct rl__rc_tag) + sizeof(rl_rc) + RL__RC_TAG(rc)->size;
}

static void probe_mem(rl_probe_op op, const void *base, size_t size, const char *name, const void *pc)
{
	rl__probe(&(rl_probe_ev){ .op = (uint8_t)op, .addr = base, .wval = size, .kind = "Rc<T> box",
				  .name = name, .pc = pc });
}

/*
 * Slow-path entry of an operation that needs a live strong reference.
 * Return: false if the box is dead: reported as a use-after-free, the caller
 * skips the operation.
 */
static bool strong_enter(rl_rc *rc, const char *op, const char *file, int line)
{
	struct rl__rc_tag *tag = RL__RC_TAG(rc);
	uint32_t owner = tag->owner;

	rl__owner_key_sync();
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
static void box_free(rl_rc *rc, const struct site *s)
{
	if (bury(rc, false) != RL__BURY_OFF)
		return;
	if (RL_UNLIKELY(rl__probe_active))
		probe_mem(RL_PROBE_FREE, RL__RC_TAG(rc), alloc_size(rc), s->op, s->pc);
	free(RL__RC_TAG(rc));
}

/* Weak::drop and the release of the implicit weak reference. */
static void weak_release(rl_rc *rc, const char *type, const struct site *s)
{
	const char *op = s->op;
	size_t n = WEAK_GET(rc, s);

	if (RL_UNLIKELY(n == 0)) {
		/* A weak count from zero: the box was (or should have been) freed.
		 * Reachable when the box is kept dead, or after racy updates. */
		uint32_t serial, owner = owner_of(rc, &serial);

		rl__check_from_zero(type, op, rc, owner, serial, __FILE__, __LINE__);
		return;
	}
	WEAK_SET(rc, n - 1, s);
	if (n == 1)
		box_free(rc, s);
}

/*
 * strong went to 0: the value is gone (dropped, or moved out by try_unwrap).
 * Under quarantine the box is marked dead first, before the value is dropped:
 * a later clone or drop from zero (which a fast path on the owner thread could
 * not see) is then caught as a use-after-free, and of two racing threads that
 * both took the count to zero only one drops the value.
 */
static void value_gone(rl_rc *rc, bool run_drop, const struct site *s)
{
	struct rl__rc_tag *tag = RL__RC_TAG(rc);
	const char *op = s->op;

	if (bury(rc, true) == RL__BURY_AGAIN) {
		/* The count reached zero a second time (racing updates): the value
		 * is gone already. Dropping it again would be a double free. */
		rl__check_dead(TYPE_RC, op, tag->spare, __FILE__, __LINE__);
		return;
	}
	if (run_drop && tag->drop)
		tag->drop(rc->value);
	weak_release(rc, TYPE_RC, s);
}

static void inc_weak(rl_rc *rc, const struct site *s)
{
	size_t n = WEAK_GET(rc, s) + 1;

	WEAK_SET(rc, n, s);
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
	if (RL_UNLIKELY(rl__probe_active))
		probe_mem(RL_PROBE_ALLOC, tag, sizeof(*tag) + sizeof(rl_rc) + size, "rl_rc_new",
			  __builtin_return_address(0));
	return rc;
}

_Noreturn void rl__rc_overflow(void)
{
	/* Rust's inc_strong/inc_weak abort when the count wraps to 0. */
	RL_FATAL("Rc counter overflow");
}

void rl__rc_drop_value(rl_rc *rc)
{
	value_gone(rc, true, SITE("rl_rc_drop"));
}

rl_rc *rl__rc_clone_slow(rl_rc *rc)
{
	const struct site *s = SITE("rl_rc_clone");
	size_t n;

	if (!STRONG_ENTER(rc, "rl_rc_clone"))
		return rc;
	n = STRONG_GET(rc, s);
	if (RL_UNLIKELY(n == 0)) {
		rl__check_from_zero(TYPE_RC, "rl_rc_clone", rc, RL__RC_TAG(rc)->owner,
				    RL__RC_TAG(rc)->serial, __FILE__, __LINE__);
		return rc;
	}
	STRONG_SET(rc, ++n, s);
	if (RL_UNLIKELY(n == 0))
		rl__rc_overflow();
	return rc;
}

void rl__rc_drop_slow(rl_rc *rc)
{
	const struct site *s = SITE("rl_rc_drop");
	size_t n;

	if (!STRONG_ENTER(rc, "rl_rc_drop"))
		return;
	n = STRONG_GET(rc, s);
	if (RL_UNLIKELY(n == 0)) {
		rl__check_from_zero(TYPE_RC, "rl_rc_drop", rc, RL__RC_TAG(rc)->owner,
				    RL__RC_TAG(rc)->serial, __FILE__, __LINE__);
		return;
	}
	STRONG_SET(rc, n - 1, s);
	if (n == 1)
		value_gone(rc, true, s);
}

size_t rl_rc_strong_count(const rl_rc *rc)
{
	return STRONG_GET(rc, SITE("rl_rc_strong_count"));
}

size_t rl_rc_weak_count(const rl_rc *rc)
{
	const struct site *s = SITE("rl_rc_weak_count");
	size_t strong = STRONG_GET(rc, s), weak = WEAK_GET(rc, s);

	/* weak holds the implicit reference too while the value lives. */
	return strong ? weak - 1 : weak;
}

rl_rc_weak *rl_rc_downgrade(rl_rc *rc)
{
	/* On a dead box this is a use-after-free (reported), but the weak count
	 * is still incremented: the caller will drop the Weak it gets. */
	STRONG_ENTER(rc, "rl_rc_downgrade");
	inc_weak(rc, SITE("rl_rc_downgrade"));
	return (rl_rc_weak *)(void *)rc;
}

rl_rc *rl_rc_weak_upgrade(rl_rc_weak *w)
{
	const struct site *s = SITE("rl_rc_weak_upgrade");
	rl_rc *rc = box_of(w);
	size_t n;

	WEAK_ENTER(rc, TYPE_WEAK, "rl_rc_weak_upgrade");
	if (RL__RC_TAG(rc)->owner == RL_OWNER_DEAD)
		return NULL;
	n = STRONG_GET(rc, s);
	if (n == 0)
		return NULL; /* Rust: upgrade never takes the count from 0 to 1 */
	STRONG_SET(rc, ++n, s);
	if (RL_UNLIKELY(n == 0))
		rl__rc_overflow();
	return rc;
}

rl_rc_weak *rl_rc_weak_clone(rl_rc_weak *w)
{
	rl_rc *rc = box_of(w);

	WEAK_ENTER(rc, TYPE_WEAK, "rl_rc_weak_clone");
	inc_weak(rc, SITE("rl_rc_weak_clone"));
	return w;
}

void rl_rc_weak_drop(rl_rc_weak *w)
{
	rl_rc *rc = box_of(w);

	if (!w)
		return;
	WEAK_ENTER(rc, TYPE_WEAK, "rl_rc_weak_drop");
	weak_release(rc, TYPE_WEAK, SITE("rl_rc_weak_drop"));
}

size_t rl_rc_weak_strong_count(const rl_rc_weak *w)
{
	return STRONG_GET(box_of(w), SITE("rl_rc_weak_strong_count"));
}

size_t rl_rc_weak_weak_count(const rl_rc_weak *w)
{
	const struct site *s = SITE("rl_rc_weak_weak_count");
	const rl_rc *rc = box_of(w);
	size_t strong = STRONG_GET(rc, s);

	return strong ? WEAK_GET(rc, s) - 1 : 0;
}

void *rl_rc_get_mut(rl_rc *rc)
{
	const struct site *s = SITE("rl_rc_get_mut");

	if (!STRONG_ENTER(rc, "rl_rc_get_mut"))
		return NULL;
	/* Rust's is_unique: no other strong and no Weak (weak == the implicit one). */
	return STRONG_GET(rc, s) == 1 && WEAK_GET(rc, s) == 1 ? rc->value : NULL;
}

int rl_rc_try_unwrap(rl_rc *rc, void *out)
{
	const struct site *s = SITE("rl_rc_try_unwrap");

	if (!STRONG_ENTER(rc, "rl_rc_try_unwrap"))
		return RL_EBUSY;
	if (STRONG_GET(rc, s) != 1)
		return RL_EBUSY;
	if (RL__RC_TAG(rc)->size)
		memcpy(out, rc->value, RL__RC_TAG(rc)->size);
	STRONG_SET(rc, 0, s);
	value_gone(rc, false, s);
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
