/* wl_barrier.c — barrier-phases and barrier-phases-unsynced: phased work with
 * a Barrier between the phases, and the same work without it.
 *
 * N workers share a slot per worker (plain i64s) and run --iters phases:
 *
 *	phase k, worker i:  slot[i] = value(k, i)              (write its part)
 *	                    barrier.wait()                     (everyone wrote)
 *	                    read slot[i+1 mod N] == value(k, i+1)?
 *	                    barrier.wait()                     (everyone read)
 *
 * The first wait makes every write of phase k happen before every read of
 * it; the second every read before the next phase's writes. Each wait is one
 * generation of the Barrier, with exactly one leader (rl_barrier_wait()
 * returns true for one thread): the leader counts itself in that
 * generation's entry. Without the barrier (barrier-phases-unsynced) nothing
 * orders a worker's write of its slot with its neighbour's read: a data race
 * in every interleaving (racelab's detector and ThreadSanitizer report it),
 * and a worker that runs ahead or behind its neighbour reads another
 * phase's value (a stale read, counted).
 *
 * The invariants: every read saw the value of its own phase; with the
 * barrier, every generation had exactly one leader.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include <racelab/barrier.h>
#include <racelab/status.h>
#include <racelab/workload.h>

#include "wl.h"

struct phases {
	bool synced;
	unsigned n;
	uint64_t phases;
	rl_barrier barrier;
	int64_t *slot;         /* one per worker, plain */
	_Atomic int64_t *led;  /* per generation: the threads that returned leader */
	uint64_t *fresh, *stale; /* reads of the right phase, and of another (per worker) */
	atomic_bool stop;      /* Ctrl-C, decided by a leader (synced) */
};

static const char SLOT[] = "UnsafeCell<i64> slot";

static int64_t value(uint64_t k, unsigned i)
{
	return (int64_t)(k * 1000 + i + 1);
}

/* One generation of the barrier; the leader counts itself in led[gen]. */
static bool sync_point(struct phases *c, uint64_t gen)
{
	bool leader = rl_barrier_wait(&c->barrier);
	if (leader)
		rl__wl_fetch_add(&c->led[gen], 1, memory_order_relaxed, "AtomicI64", "leader",
				 RL_WL_SITE("led[generation] += 1"));
	return leader;
}

static void phase_work(void *arg, unsigned i)
{
	struct phases *c = arg;
	unsigned next = (i + 1) % c->n;
	for (uint64_t k = 0; k < c->phases; k++) {
		rl__wl_write(&c->slot[i], value(k, i), SLOT, "phase_work", RL_WL_SITE("slot[i] = value(k, i)"));
		/* Ctrl-C: with the barrier, the first leader of the phase decides
		 * for everyone (a thread that left alone would leave the others
		 * waiting). Relaxed: its store comes before its arrival at the
		 * second wait, which happens before every thread's return from it. */
		if (c->synced && sync_point(c, 2 * k) && rl_workload_stopping())
			atomic_store_explicit(&c->stop, true, memory_order_relaxed);
		int64_t v = rl__wl_read(&c->slot[next], SLOT, "phase_work", RL_WL_SITE("slot[i + 1]"));
		if (v == value(k, next))
			c->fresh[i]++;
		else
			c->stale[i]++;
		if (c->synced)
			sync_point(c, 2 * k + 1);
		if (c->synced ? atomic_load_explicit(&c->stop, memory_order_relaxed) : rl_workload_stopping())
			break;
	}
}

static int run(const struct rl_workload_params *p, struct rl_workload_result *r, bool synced)
{
	unsigned n = (unsigned)p->threads;
	struct phases c = {.synced = synced, .n = n, .phases = p->iters};
	c.slot = calloc(n, sizeof *c.slot);
	c.fresh = calloc(n, sizeof *c.fresh);
	c.stale = calloc(n, sizeof *c.stale);
	c.led = synced ? calloc(c.phases ? 2 * c.phases : 1, sizeof *c.led) : NULL;
	int err = RL_OK;
	if (!c.slot || !c.fresh || !c.stale || (synced && !c.led)) {
		err = rl__wl_fail(r, RL_ENOMEM, "out of memory for %u workers and %llu phases", n,
				  (unsigned long long)c.phases);
		goto out;
	}
	rl_barrier_init(&c.barrier, n);
	err = rl__wl_team_run(n, p->stack, phase_work, &c, r);
	rl_barrier_destroy(&c.barrier);
	if (err)
		goto out;
	uint64_t fresh = 0, stale = 0, generations = 0, bad = 0;
	for (unsigned i = 0; i < n; i++)
		fresh += c.fresh[i], stale += c.stale[i];
	/* Every worker ran the same phases (the barrier's leaders stop them together). */
	uint64_t done = n ? (fresh + stale) / n : 0;
	for (uint64_t g = 0; synced && g < 2 * done; g++) {
		/* Relaxed: read after the joins. */
		int64_t l = atomic_load_explicit(&c.led[g], memory_order_relaxed);
		generations++;
		bad += l != 1;
	}
	rl__wl_counts(r, "reads", (int64_t)(fresh + stale), (int64_t)fresh);
	rl__wl_note(r, "%u workers x %llu phases: %llu reads saw their phase's value, %llu another phase's",
		    n, (unsigned long long)c.phases, (unsigned long long)fresh, (unsigned long long)stale);
	if (synced) {
		r->lost += (int64_t)bad;
		r->invariant_held = r->invariant_held && bad == 0;
		rl__wl_note(r, "%llu barrier generations, %llu of them without exactly one leader",
			    (unsigned long long)generations, (unsigned long long)bad);
	}
out:
	free(c.slot);
	free(c.fresh);
	free(c.stale);
	free(c.led);
	return err;
}

int rl__wl_barrier_phases(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	return run(p, r, true);
}

int rl__wl_barrier_phases_unsynced(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	return run(p, r, false);
}
