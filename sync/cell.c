/* cell.c — std::cell::Cell<i64>: initialisation and the slow paths of cell.h.
 *
 * The slow paths run when the caller is not the owner (or a probe is
 * attached). They report the Sync violation (check.h) and then make exactly
 * the access the fast path would have made: a plain load and/or store that
 * races with the owner's, so ThreadSanitizer reports it in these functions.
 *
 * Probes (probe.h): while rl__probe_active is set, get is an RL_PROBE_READ
 * pair, set an RL_PROBE_WRITE pair, and add a READ pair then a WRITE pair —
 * with a scheduling point between the load and the store, where a concurrent
 * increment gets lost. The owner check runs first, as without probes.
 */
#include <racelab/cell.h>
#include <racelab/check.h>
#include <racelab/probe.h>

_Static_assert(sizeof(rl_cell) == 16, "Cell<i64> plus racelab's owner word");

#define TYPE_CELL "Cell<i64>"

static void enter(const rl_cell *c, const char *op, const char *file, int line)
{
	rl__owner_key_sync();
	if (c->owner != rl__tid())
		rl__check_foreign(RL_CHECK_SYNC, TYPE_CELL, op, c, c->owner, c->serial, file, line);
}
#define ENTER(c, op) enter((c), (op), __FILE__, __LINE__)

/* The plain load, bracketed as a probe READ while probes are on. */
static int64_t load(const rl_cell *c, const char *op, const void *pc)
{
	const volatile int64_t *p = &c->value;

	if (RL_LIKELY(!rl__probe_active))
		return *p;
	rl_probe_ev ev = { .op = RL_PROBE_READ, .flags = RL_PROBE_F_SIGNED, .addr = &c->value,
			   .kind = TYPE_CELL, .name = op, .pc = pc };
	rl__probe_enter(&ev);
	int64_t v = *p;
	ev.rval = (uint64_t)v;
	rl__probe_exit(&ev);
	return v;
}

/* The plain store, bracketed as a probe WRITE while probes are on. */
static void store(rl_cell *c, int64_t v, const char *op, const void *pc)
{
	volatile int64_t *p = &c->value;

	if (RL_LIKELY(!rl__probe_active)) {
		*p = v;
		return;
	}
	rl_probe_ev ev = { .op = RL_PROBE_WRITE, .flags = RL_PROBE_F_SIGNED, .addr = &c->value,
			   .kind = TYPE_CELL, .name = op, .pc = pc, .wval = (uint64_t)v };
	rl__probe_enter(&ev);
	*p = v;
	rl__probe_exit(&ev);
}

void rl_cell_init(rl_cell *c, int64_t v)
{
	c->value = v;
	c->owner = rl__check_adopt(&c->serial);
}

int64_t rl__cell_get_slow(const rl_cell *c)
{
	ENTER(c, "rl_cell_get");
	return load(c, "rl_cell_get", __builtin_return_address(0));
}

void rl__cell_set_slow(rl_cell *c, int64_t v)
{
	ENTER(c, "rl_cell_set");
	store(c, v, "rl_cell_set", __builtin_return_address(0));
}

void rl__cell_add_slow(rl_cell *c, int64_t d)
{
	const void *pc = __builtin_return_address(0);

	ENTER(c, "rl_cell_add");
	store(c, (int64_t)((uint64_t)load(c, "rl_cell_add", pc) + (uint64_t)d), "rl_cell_add", pc);
}
