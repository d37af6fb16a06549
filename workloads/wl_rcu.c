/* wl_rcu.c — rcu-config: a read-mostly configuration behind an RCU cell.
 *
 * worker-1 is the writer: it publishes --iters new versions, one after the
 * other (each store waits for a grace period, then frees the version it
 * replaced). The other workers read until the writer is done: pin, load,
 * check the version is whole and not older than the last one they saw, unpin.
 * A version is whole when its fields agree with each other (they are written
 * before it is published, never after). Freed versions are filled with a
 * pattern first, so a reader that kept one past its grace period would see a
 * torn version (and ASan a use after free).
 *
 * Under racelab's detector the version field is a probed plain location: the
 * writer's initialisation, each reader's read and the free are checked
 * against the publish -> dereference and read-unlock -> grace-period edges,
 * so a reader that kept a version past its grace period would be reported.
 */
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <racelab/rcu.h>
#include <racelab/status.h>
#include <racelab/workload.h>

#include "wl.h"

struct config {
	uint64_t version;
	int64_t timeout_ms;
	int64_t retries;      /* always timeout_ms / 10 + version */
	uint64_t checksum;    /* version ^ timeout_ms ^ retries */
	atomic_llong *freed;  /* the workload's count of freed versions */
};

static const char CONFIG[] = "Config";

static void config_free(void *value)
{
	struct config *cfg = value;
	/* Relaxed: read after the joins. */
	atomic_fetch_add_explicit(cfg->freed, 1, memory_order_relaxed);
	rl__wl_free(cfg, sizeof *cfg, CONFIG, RL_WL_SITE("drop(old config) after the grace period"));
	memset(cfg, 0xdd, sizeof *cfg);
	free(cfg);
}

static struct config *config_new(uint64_t version, atomic_llong *freed)
{
	struct config *cfg = malloc(sizeof *cfg);
	if (!cfg)
		return NULL;
	rl__wl_alloc(cfg, sizeof *cfg, CONFIG, RL_WL_SITE("Box::new(Config { .. })"));
	rl__wl_write((int64_t *)&cfg->version, (int64_t)version, CONFIG, "config_new",
		     RL_WL_SITE("Box::new(Config { version, .. })"));
	cfg->timeout_ms = (int64_t)(100 + version % 900);
	cfg->retries = cfg->timeout_ms / 10 + (int64_t)version;
	cfg->checksum = version ^ (uint64_t)cfg->timeout_ms ^ (uint64_t)cfg->retries;
	cfg->freed = freed;
	return cfg;
}

static bool whole(const struct config *cfg)
{
	return cfg->retries == cfg->timeout_ms / 10 + (int64_t)cfg->version &&
	       cfg->checksum == (cfg->version ^ (uint64_t)cfg->timeout_ms ^ (uint64_t)cfg->retries);
}

struct rcu_ctx {
	rl_rcu_cell cell;
	uint64_t versions;
	atomic_llong freed;
	atomic_int writer_done;
	uint64_t published;
	int error;
	uint64_t *reads, *torn, *regressions;
};

static void rcu_body(void *arg, unsigned i)
{
	struct rcu_ctx *c = arg;
	if (i == 0) {
		uint64_t v = 1;
		for (; v <= c->versions && !rl_workload_stopping(); v++) {
			struct config *cfg = config_new(v, &c->freed);
			if (!cfg) {
				c->error = RL_ENOMEM;
				break;
			}
			rl_rcu_cell_store(&c->cell, cfg); /* publish; free the old one after a grace period */
			/* Configuration changes are rare next to reads: one every 100 us
			 * (under the scheduler, a turn for the readers instead). */
			if (rl__wl_scheduled())
				rl__wl_spin(RL_WL_SITE("between versions"));
			else
				nanosleep(&(struct timespec){.tv_nsec = 100000}, NULL);
		}
		c->published = v - 1;
		/* Release: the readers stop after their next read. */
		rl__wl_store(&c->writer_done, 1, memory_order_release, "AtomicBool", "writer",
			     RL_WL_SITE("done.store(true, Release)"));
		return;
	}
	uint64_t last = 0;
	for (;;) {
		/* Acquire: pairs with the writer's release; after seeing it, one more
		 * read sees the last version. */
		bool done = rl__wl_load(&c->writer_done, memory_order_acquire, "AtomicBool", "reader",
					RL_WL_SITE("done.load(Acquire)"));
		rl_rcu_guard g;
		rl_rcu_pin(&g);
		const struct config *cfg = rl_rcu_cell_load(&c->cell, &g);
		if (cfg) {
			c->reads[i]++;
			rl__wl_read((const int64_t *)&cfg->version, CONFIG, "reader", RL_WL_SITE("config.version"));
			if (!whole(cfg))
				c->torn[i]++;
			else if (cfg->version < last)
				c->regressions[i]++;
			else
				last = cfg->version;
		}
		rl_rcu_guard_drop(&g);
		if (done || rl_workload_stopping())
			break;
		/* Readers serve requests, they do not spin: give the CPU away now and
		 * then, outside the read-side section, so that a reader preempted
		 * inside one does not hold up the writer's grace period when there
		 * are more threads than cores. */
		if (rl__wl_scheduled())
			rl__wl_spin(RL_WL_SITE("between requests"));
		else if ((c->reads[i] & 255) == 0)
			sched_yield();
	}
}

int rl__wl_rcu_config(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	unsigned n = (unsigned)p->threads;
	struct rcu_ctx *c = calloc(1, sizeof *c);
	if (!c)
		return rl__wl_fail(r, RL_ENOMEM, "out of memory");
	c->versions = p->iters;
	c->reads = calloc(n, sizeof *c->reads);
	c->torn = calloc(n, sizeof *c->torn);
	c->regressions = calloc(n, sizeof *c->regressions);
	struct config *first = config_new(0, &c->freed);
	int err = RL_OK;
	if (!c->reads || !c->torn || !c->regressions || !first) {
		free(first);
		err = rl__wl_fail(r, RL_ENOMEM, "out of memory");
		goto out;
	}
	rl_rcu_cell_init(&c->cell, first, config_free);
	err = rl__wl_team_run(n, p->stack, rcu_body, c, r);
	rl_rcu_cell_destroy(&c->cell);
	if (!err && c->error)
		err = rl__wl_fail(r, c->error, "out of memory for a new version");

	uint64_t reads = 0, torn = 0, regressions = 0;
	for (unsigned i = 0; i < n; i++)
		reads += c->reads[i], torn += c->torn[i], regressions += c->regressions[i];
	long long freed = atomic_load_explicit(&c->freed, memory_order_relaxed);
	uint64_t created = c->published + 1;
	rl__wl_counts(r, "versions freed", (int64_t)created, freed);
	r->lost = (int64_t)(torn + regressions);
	r->invariant_held = r->invariant_held && torn == 0 && regressions == 0;
	rl__wl_measure(r, "versions", "versions published", (double)c->published, "");
	rl__wl_measure(r, "reads", "reads", (double)reads, "");
	rl__wl_measure(r, "torn_reads", "torn reads", (double)torn, "");
	rl__wl_measure(r, "regressions", "reads older than a previous one", (double)regressions, "");
	rl__wl_note(r, "%u reader%s made %llu reads while worker-1 published %llu versions", n - 1, n == 2 ? "" : "s",
		    (unsigned long long)reads, (unsigned long long)c->published);
	rl__wl_note(r, "torn reads: %llu, reads going back in time: %llu; versions freed: %lld of %llu, each after its readers",
		    (unsigned long long)torn, (unsigned long long)regressions, freed, (unsigned long long)created);
	if (n < 2)
		rl__wl_note(r, "with one thread there is no reader: use --threads 2 or more");
out:
	free(c->reads);
	free(c->torn);
	free(c->regressions);
	free(c);
	return err;
}
