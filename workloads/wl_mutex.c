/* wl_mutex.c — the Mutex workloads: arc-mutex and mutex-poison.
 *
 * Both share one Arc<Mutex<i64>> (rl_arc_mutex_new: one allocation) between
 * the workers; each worker owns a handle moved into it and drops it at the end.
 *
 * mutex-poison: worker-1 does half its increments, then takes the lock, makes
 * one more increment and panics while holding the guard (a panic in the middle
 * of an update). The guard's cleanup poisons the mutex and unlocks it. The
 * other workers do half their increments alongside, wait until worker-1 is
 * about to panic, then do the rest: every one of those later locks must return
 * RL_POISONED — with the lock held and the value reachable.
 */
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <racelab/arc.h>
#include <racelab/mutex.h>
#include <racelab/status.h>
#include <racelab/thread.h>
#include <racelab/workload.h>

#include "wl.h"

struct mx_ctx {
	rl_arc **mine;
	uint64_t iters;
	uint64_t *done;       /* increments made, per worker */
	uint64_t *poisoned;   /* locks that returned RL_POISONED, per worker */
	uint64_t *late;       /* locks taken after the panic, per worker */
	atomic_int panicking; /* worker-1 holds the lock and is about to panic */
};

#define MX_COUNTS(c) (uint64_t **[]){&(c)->done, &(c)->poisoned, &(c)->late}, 3

static int mx_init(struct mx_ctx *c, rl_arc *a, unsigned n, uint64_t iters, struct rl_workload_result *r)
{
	*c = (struct mx_ctx){.iters = iters};
	return rl__wl_arc_team_new(a, n, &c->mine, MX_COUNTS(c), r);
}

static void mx_fini(struct mx_ctx *c, unsigned n, bool workers_ran)
{
	rl__wl_arc_team_free(c->mine, n, workers_ran, MX_COUNTS(c));
}

static const char VALUE[] = "Mutex<i64> value";

/* *v += 1 on the value behind a held guard (probe READ + WRITE while probes are on). */
static void bump(int64_t *v, const char *site)
{
	rl__wl_write(v, rl__wl_read(v, VALUE, "increment", site) + 1, VALUE, "increment", site);
}

/* One locked increment. Return: the lock status (RL_OK or RL_POISONED). */
static int increment(rl_mutex *m)
{
	rl_mutex_guard g;
	int st = rl_mutex_lock(m, &g);
	bump(rl_mutex_guard_get(&g), RL_WL_SITE("*counter.lock() += 1"));
	rl_mutex_guard_drop(&g);
	return st;
}

/* The value, read by main after the joins under the lock. */
static int64_t final_value(rl_mutex *m, int *st)
{
	rl_mutex_guard g;
	*st = rl_mutex_lock(m, &g);
	int64_t v = rl__wl_read(rl_mutex_guard_get(&g), VALUE, "final_value",
				RL_WL_SITE("*counter.lock() after the joins"));
	rl_mutex_guard_drop(&g);
	return v;
}

/* ---- arc-mutex ----------------------------------------------------------- */

static void counter_body(void *arg, unsigned i)
{
	struct mx_ctx *c = arg;
	rl_mutex *m = rl_arc_get(c->mine[i]);
	uint64_t n = 0;
	for (; n < c->iters && !rl_workload_stopping(); n++)
		c->poisoned[i] += increment(m) == RL_POISONED;
	c->done[i] = n;
	rl_arc_drop(c->mine[i]);
}

int rl__wl_arc_mutex(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	unsigned n = (unsigned)p->threads;
	rl_arc *a = rl_arc_mutex_new(sizeof(int64_t), NULL);
	struct mx_ctx c;
	int err = mx_init(&c, a, n, p->iters, r);
	if (err)
		return err;
	double t0 = rl__wl_now();
	err = rl__wl_team_run(n, p->stack, counter_body, &c, r);
	double secs = rl__wl_now() - t0;
	uint64_t ops = 0, poisoned = 0;
	for (unsigned i = 0; i < n; i++)
		ops += c.done[i], poisoned += c.poisoned[i];
	mx_fini(&c, n, err == RL_OK);

	int st;
	int64_t value = final_value(rl_arc_get(a), &st);
	rl_arc_drop(a);
	rl__wl_counts(r, "increments", (int64_t)ops, value);
	r->invariant_held = r->invariant_held && poisoned == 0;
	double ns = ops ? secs * 1e9 / (double)ops : 0;
	rl__wl_measure(r, "ns_per_op", "time per locked increment (all threads)", ns, "ns/op");
	rl__wl_note(r, "%llu increments under the lock on %u threads, none lost (%.1f ns each, spawn included)",
		    (unsigned long long)ops, n, ns);
	return err;
}

/* ---- mutex-poison -------------------------------------------------------- */

static void poison_body(void *arg, unsigned i)
{
	struct mx_ctx *c = arg;
	rl_mutex *m = rl_arc_get(c->mine[i]);
	uint64_t half = c->iters / 2, n = 0;
	if (i == 0) {
		for (; n < half && !rl_workload_stopping(); n++)
			increment(m);
		rl_mutex_guard g;
		rl_mutex_lock(m, &g);
		bump(rl_mutex_guard_get(&g), RL_WL_SITE("*counter.lock() += 1, then panic"));
		c->done[i] = n + 1;
		/* Release: pairs with the others' acquire; they lock only after this,
		 * so their lock waits for the panic's unlock (poisoned). */
		rl__wl_store(&c->panicking, 1, memory_order_release, "AtomicBool", "poison_body",
			     RL_WL_SITE("panicking.store(true, Release)"));
		/* Our handle goes with the thread: drop it before unwinding (the
		 * guard is dropped by the panic: it poisons and unlocks). */
		rl_arc_drop(c->mine[i]);
		rl_panic("worker-1 panicked while holding the lock (after %llu increments)", (unsigned long long)n + 1);
	}
	for (; n < half && !rl_workload_stopping(); n++)
		c->poisoned[i] += increment(m) == RL_POISONED;
	/* Acquire: pairs with worker-1's release above. */
	while (!rl__wl_load(&c->panicking, memory_order_acquire, "AtomicBool", "poison_body",
			    RL_WL_SITE("panicking.load(Acquire)")))
		rl__wl_spin(RL_WL_SITE("wait for worker-1's panic"));
	for (; n < c->iters && !rl_workload_stopping(); n++) {
		int st = increment(m);
		c->poisoned[i] += st == RL_POISONED;
		c->late[i] += st == RL_POISONED;
	}
	c->done[i] = n;
	rl_arc_drop(c->mine[i]);
}

int rl__wl_mutex_poison(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	unsigned n = (unsigned)p->threads;
	rl_arc *a = rl_arc_mutex_new(sizeof(int64_t), NULL);
	struct mx_ctx c;
	int err = mx_init(&c, a, n, p->iters, r);
	if (err)
		return err;
	err = rl__wl_team_run(n, p->stack, poison_body, &c, r);
	uint64_t ops = 0, poisoned = 0, late = 0, late_expected = 0;
	for (unsigned i = 0; i < n; i++) {
		ops += c.done[i];
		poisoned += c.poisoned[i];
		late += c.late[i];
		if (i > 0 && c.done[i] > c.iters / 2)
			late_expected += c.done[i] - c.iters / 2;
	}
	mx_fini(&c, n, err == RL_OK);

	rl_mutex *m = rl_arc_get(a);
	bool was_poisoned = rl_mutex_is_poisoned(m);
	int st;
	int64_t value = final_value(m, &st);
	rl_arc_drop(a);

	rl__wl_counts(r, "increments", (int64_t)ops, value);
	r->invariant_held = r->invariant_held && late == late_expected && (err || was_poisoned);
	rl__wl_measure(r, "panics", "threads that panicked", (double)r->panics, "");
	rl__wl_measure(r, "poisoned_locks", "locks that returned RL_POISONED", (double)poisoned, "");
	rl__wl_measure(r, "late_locks", "locks after the panic", (double)late_expected, "");
	rl__wl_note(r, "worker-1 panicked holding the guard; the mutex is %s", was_poisoned ? "poisoned" : "NOT poisoned");
	rl__wl_note(r, "the other workers' %llu locks after the panic: %llu returned RL_POISONED, each with the lock held",
		    (unsigned long long)late_expected, (unsigned long long)late);
	rl__wl_note(r, "main's lock: %s; the value is still reachable: %lld (every increment is there)",
		    st == RL_POISONED ? "RL_POISONED" : rl_strerror(st), (long long)value);
	return err;
}
