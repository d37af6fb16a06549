/* wl_deadlock.c — deadlock and deadlock-ordered: a lock-order inversion and
 * its ordered twin.
 *
 * Two threads, 'left' and 'right', share two Mutex<i64> accounts and move a
 * unit between them, round after round:
 *
 *	left:   lock a; lock b; a -= 1; b += 1; unlock b; unlock a
 *	right:  lock b; lock a; b -= 1; a += 1; unlock a; unlock b   (deadlock)
 *	right:  lock a; lock b; ...                                  (deadlock-ordered)
 *
 * When left holds a and right holds b, each waits for the other's lock:
 * nobody can run (Rust's std would hang; so would this workload under the OS
 * schedule, which is why it runs under racelab's scheduler only). The
 * scheduler sees that no thread can run and reports the cycle: who holds
 * which lock and awaits which. The twin takes the locks in one global order
 * (a before b) in both threads, so no interleaving can wait in a circle.
 *
 * The invariant counts the rounds both threads completed.
 */
#include <stdlib.h>

#include <racelab/mutex.h>
#include <racelab/status.h>
#include <racelab/thread.h>
#include <racelab/workload.h>

#include "wl.h"

struct accounts {
	bool ordered;
	uint64_t rounds;
	rl_mutex *a, *b;
	uint64_t done[2]; /* rounds completed by left and right (each its own) */
};

/* One transfer: take @first then @second, move a unit from @from to @to. */
static void transfer(rl_mutex *first, rl_mutex *second, rl_mutex *from)
{
	rl_mutex_guard g1, g2;
	rl_mutex_lock(first, &g1);
	rl_mutex_lock(second, &g2);
	int64_t *x = rl_mutex_guard_get(&g1), *y = rl_mutex_guard_get(&g2);
	if (first == from)
		*x -= 1, *y += 1;
	else
		*y -= 1, *x += 1;
	rl_mutex_guard_drop(&g2);
	rl_mutex_guard_drop(&g1);
}

static void *left(void *arg)
{
	struct accounts *c = arg;
	for (uint64_t i = 0; i < c->rounds; i++, c->done[0]++)
		transfer(c->a, c->b, c->a);
	return NULL;
}

static void *right(void *arg)
{
	struct accounts *c = arg;
	for (uint64_t i = 0; i < c->rounds; i++, c->done[1]++) {
		if (c->ordered)
			transfer(c->a, c->b, c->b); /* a before b, as left does */
		else
			transfer(c->b, c->a, c->b); /* b before a: the inversion */
	}
	return NULL;
}

static int run(const struct rl_workload_params *p, struct rl_workload_result *r, bool ordered)
{
	struct accounts c = {.ordered = ordered, .rounds = p->iters};
	size_t size = rl_mutex_size(sizeof(int64_t));
	c.a = malloc(size);
	c.b = malloc(size);
	if (!c.a || !c.b) {
		free(c.a);
		free(c.b);
		return rl__wl_fail(r, RL_ENOMEM, "out of memory for two mutexes");
	}
	rl_mutex_init(c.a, sizeof(int64_t));
	rl_mutex_init(c.b, sizeof(int64_t));
	const struct rl__wl_thread ts[] = {{"left", left, &c}, {"right", right, &c}};
	int err = rl__wl_threads_run(ts, 2, p->stack, NULL, NULL, r);
	rl_mutex_destroy(c.a);
	rl_mutex_destroy(c.b);
	free(c.a);
	free(c.b);
	if (err)
		return err;
	rl__wl_counts(r, "rounds", (int64_t)(2 * c.rounds), (int64_t)(c.done[0] + c.done[1]));
	return RL_OK;
}

int rl__wl_deadlock(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	return run(p, r, false);
}

int rl__wl_deadlock_ordered(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	return run(p, r, true);
}
