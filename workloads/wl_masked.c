/* wl_masked.c — masked-race and masked-race-fixed: a data race that an
 * unrelated lock hides from the OS schedule.
 *
 * Two threads share an array of plain i64 slots (an UnsafeCell<[i64; N]> that
 * safe Rust would not let them share) and a Mutex<i64> request counter that
 * has nothing to do with the slots. For each round i:
 *
 *	writer:  slot[i] = i + 1;   lock; requests += 1; unlock
 *	reader:  lock; requests += 1; unlock;   v = slot[i]
 *
 * When the writer's unlock of round i comes before the reader's lock of round
 * i, the unlock -> lock edge orders the write before the read: no race, and
 * the reader sees i + 1. That is what the OS schedule does here: the reader
 * has other work first and starts once the writer is done (it waits for a
 * relaxed flag, a stand-in for timing that orders nothing by itself; the
 * order comes from the lock), so ThreadSanitizer, which reports only what
 * happened, stays silent. In the interleavings where the
 * reader takes the lock first, nothing orders the two accesses: a data race,
 * and the reader sees 0. racelab's scheduler reaches those interleavings
 * (`racelab explore masked-race`); its detector reports the race and the
 * invariant counts the stale reads.
 *
 * masked-race-fixed is the twin with a real ordering: the writer publishes
 * each slot with a Release store of a counter and the reader waits for it
 * with Acquire loads before reading (Rust's AtomicUsize, Release/Acquire).
 * Every interleaving is race-free and every read is fresh.
 *
 * Both run under racelab's scheduler with the detector by default
 * (RL_WF_SIMULATE); --schedule os runs them as the OS schedules them.
 */
#include <stdlib.h>
#include <time.h>

#include <racelab/mutex.h>
#include <racelab/status.h>
#include <racelab/thread.h>
#include <racelab/workload.h>

#include "wl.h"

static const char SLOT[] = "UnsafeCell<i64> slot";
static const char REQUESTS[] = "Mutex<i64> value";
static const char PUBLISHED[] = "AtomicUsize published";

struct masked {
	bool ordered;          /* the twin */
	uint64_t rounds;
	rl_mutex *requests;    /* Mutex<i64>: unrelated to the slots */
	int64_t *slot;         /* rounds plain slots */
	atomic_int published;  /* the twin: slots written so far (Release/Acquire) */
	atomic_bool no_writer; /* the writer could not be started: the reader stops */
	atomic_bool written;   /* the writer's loop is over (the OS schedule's timing) */
	uint64_t fresh, stale; /* the reader's reads of i + 1, and of anything else */
};

/* requests += 1 under the lock: the only synchronisation of masked-race. */
static void count_request(struct masked *m, const char *site)
{
	rl_mutex_guard g;
	rl_mutex_lock(m->requests, &g);
	int64_t *v = rl_mutex_guard_get(&g);
	rl__wl_write(v, rl__wl_read(v, REQUESTS, "count_request", site) + 1, REQUESTS, "count_request", site);
	rl_mutex_guard_drop(&g);
}

static void *writer(void *arg)
{
	struct masked *m = arg;
	for (uint64_t i = 0; i < m->rounds && !rl_workload_stopping(); i++) {
		rl__wl_write(&m->slot[i], (int64_t)i + 1, SLOT, "writer", RL_WL_SITE("slot[i] = i + 1"));
		if (m->ordered)
			/* Release: pairs with the reader's Acquire load; the slot
			 * write happens before any read that sees the count. */
			rl__wl_store(&m->published, (int)i + 1, memory_order_release, PUBLISHED, "writer",
				     RL_WL_SITE("published.store(i + 1, Release)"));
		count_request(m, RL_WL_SITE("writer: *requests.lock() += 1"));
	}
	/* Relaxed: timing only. What orders the slot writes before the reader's
	 * reads is this thread's last unlock and the reader's first lock. */
	atomic_store_explicit(&m->written, true, memory_order_relaxed);
	return NULL;
}

static void *reader(void *arg)
{
	struct masked *m = arg;
	/* The reader has other work first: as the OS schedules it, the writer
	 * is done by the time it starts (a sleep alone left that to the machine's
	 * load). The scheduler ignores such timing and tries every order. */
	if (!rl__wl_scheduled())
		while (!atomic_load_explicit(&m->written, memory_order_relaxed) &&
		       !atomic_load_explicit(&m->no_writer, memory_order_relaxed) && !rl_workload_stopping())
			nanosleep(&(struct timespec){.tv_nsec = 100000}, NULL);
	for (uint64_t i = 0; i < m->rounds && !rl_workload_stopping(); i++) {
		count_request(m, RL_WL_SITE("reader: *requests.lock() += 1"));
		if (m->ordered)
			/* Acquire: pairs with the writer's Release store. */
			while ((uint64_t)rl__wl_load(&m->published, memory_order_acquire, PUBLISHED, "reader",
						     RL_WL_SITE("published.load(Acquire)")) <= i &&
			       !rl_workload_stopping() &&
			       /* Relaxed: only tells the reader to give up. */
			       !atomic_load_explicit(&m->no_writer, memory_order_relaxed))
				rl__wl_spin(RL_WL_SITE("wait for slot i"));
		int64_t v = rl__wl_read(&m->slot[i], SLOT, "reader", RL_WL_SITE("let v = slot[i]"));
		if (v == (int64_t)i + 1)
			m->fresh++;
		else
			m->stale++;
	}
	return NULL;
}

static int masked_run(const struct rl_workload_params *p, struct rl_workload_result *r, bool ordered)
{
	struct masked m = {.ordered = ordered, .rounds = p->iters};
	size_t msize = rl_mutex_size(sizeof(int64_t));
	m.requests = malloc(msize);
	m.slot = calloc(p->iters, sizeof *m.slot);
	if (!m.requests || !m.slot) {
		free(m.requests);
		free(m.slot);
		return rl__wl_fail(r, RL_ENOMEM, "out of memory for %llu slots", (unsigned long long)p->iters);
	}
	rl_mutex_init(m.requests, sizeof(int64_t));
	atomic_init(&m.published, 0);
	atomic_init(&m.no_writer, false);
	atomic_init(&m.written, false);
	rl__wl_alloc(m.slot, p->iters * sizeof *m.slot, SLOT, RL_WL_SITE("the slots"));

	/* The reader is spawned first: it is the one that should lag behind. */
	rl_thread *tr = NULL, *tw = NULL;
	rl_thread_opts orr = {.name = "reader", .stack_size = p->stack}, ow = {.name = "writer", .stack_size = p->stack};
	int err = rl_thread_spawn(&tr, reader, &m, &orr);
	if (!err && (err = rl_thread_spawn(&tw, writer, &m, &ow)) != RL_OK)
		/* The twin's reader would wait for slots forever. */
		atomic_store_explicit(&m.no_writer, true, memory_order_relaxed);
	void *ret = NULL;
	if (tw && rl_thread_join(tw, &ret) == RL_EPANICKED)
		r->panics++, free(ret);
	if (tr && rl_thread_join(tr, &ret) == RL_EPANICKED)
		r->panics++, free(ret);

	rl_mutex_guard g;
	rl_mutex_lock(m.requests, &g);
	int64_t requests = rl__wl_read(rl_mutex_guard_get(&g), REQUESTS, "masked_race",
				       RL_WL_SITE("*requests.lock() after the joins"));
	rl_mutex_guard_drop(&g);
	rl_mutex_destroy(m.requests);
	rl__wl_free(m.requests, msize, "Mutex<i64>", RL_WL_SITE("drop the mutex"));
	rl__wl_free(m.slot, p->iters * sizeof *m.slot, SLOT, RL_WL_SITE("drop the slots"));
	free(m.requests);
	free(m.slot);
	if (err)
		return rl__wl_fail(r, err, "cannot start the %s: %s", tr ? "writer" : "reader", rl_strerror(err));

	uint64_t reads = m.fresh + m.stale;
	rl__wl_counts(r, "fresh reads", (int64_t)reads, (int64_t)m.fresh);
	r->invariant_held = r->invariant_held && requests == (int64_t)(2 * reads);
	rl__wl_measure(r, "rounds", "rounds", (double)reads, "");
	rl__wl_measure(r, "stale_reads", "reads of a slot not yet written", (double)m.stale, "");
	if (ordered)
		rl__wl_note(r, "every slot was published with Release and read after an Acquire load saw it: "
			       "%llu of %llu reads fresh", (unsigned long long)m.fresh, (unsigned long long)reads);
	else if (m.stale)
		rl__wl_note(r, "the reader took the lock before the writer in %llu of %llu rounds and read a slot "
			       "nothing ordered after its write", (unsigned long long)m.stale, (unsigned long long)reads);
	else
		rl__wl_note(r, "every read came after the writer's unlock this time: the unrelated lock hid the race");
	return RL_OK;
}

int rl__wl_masked_race(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	return masked_run(p, r, false);
}

int rl__wl_masked_race_fixed(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	return masked_run(p, r, true);
}
