/* cell.c — std::cell::Cell<i64>: initialisation and the slow paths of cell.h.
 *
 * The slow paths run when the caller is not the owner (or a probe is
 * attached). They report the Sync violation (check.h) and then make exactly
 * the access the fast path would have made: a plain load and/or store that
 * races with the owner's, so ThreadSanitizer reports it in these functions.
 */
#include <racelab/cell.h>
#include <racelab/check.h>

_Static_assert(sizeof(rl_cell) == 16, "Cell<i64> plus racelab's owner word");

#define TYPE_CELL "Cell<i64>"

static void enter(const rl_cell *c, const char *op, const char *file, int line)
{
	if (c->owner != rl__tid())
		rl__check_foreign(RL_CHECK_SYNC, TYPE_CELL, op, c, c->owner, c->serial, file, line);
}
#define ENTER(c, op) enter((c), (op), __FILE__, __LINE__)

void rl_cell_init(rl_cell *c, int64_t v)
{
	c->value = v;
	c->owner = rl__check_adopt(&c->serial);
}

int64_t rl__cell_get_slow(const rl_cell *c)
{
	ENTER(c, "rl_cell_get");
	return *(const volatile int64_t *)&c->value;
}

void rl__cell_set_slow(rl_cell *c, int64_t v)
{
	ENTER(c, "rl_cell_set");
	*(volatile int64_t *)&c->value = v;
}

void rl__cell_add_slow(rl_cell *c, int64_t d)
{
	volatile int64_t *p = &c->value;

	ENTER(c, "rl_cell_add");
	*p = (int64_t)((uint64_t)*p + (uint64_t)d);
}
