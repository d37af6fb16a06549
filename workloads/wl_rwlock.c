/* wl_rwlock.c — rwlock-readers: a read-mostly configuration behind an
 * Arc<RwLock<Config>>, the lock-based sibling of rcu-config.
 *
 * worker-1 is the writer: it takes the write guard and rewrites the whole
 * configuration, one version after the other, one version per 16 reads of
 * each reader. The other workers are readers: each takes --iters read guards
 * and checks that the version it sees is whole (its fields agree with each
 * other: a writer changes them only under the write guard) and not older
 * than the last it saw. Readers share the lock; a waiting writer keeps new
 * readers out (writer-preferring, as Rust's futex RwLock), so it is never
 * starved.
 *
 * Under racelab's detector the version field is a probed plain location:
 * each reader's read and each writer's write are checked against the lock's
 * unlock -> lock edges, so a read outside the guard would be reported.
 */
#include <stdlib.h>

#include <racelab/arc.h>
#include <racelab/rwlock.h>
#include <racelab/status.h>
#include <racelab/workload.h>

#include "wl.h"

struct config {
	int64_t version;
	int64_t timeout_ms;
	int64_t retries;  /* always timeout_ms / 10 + version */
	int64_t checksum; /* version ^ timeout_ms ^ retries */
};

static const char CONFIG[] = "RwLock<Config> value";

static bool whole(const struct config *cfg)
{
	return cfg->retries == cfg->timeout_ms / 10 + cfg->version &&
	       cfg->checksum == (cfg->version ^ cfg->timeout_ms ^ cfg->retries);
}

struct rw_ctx {
	rl_arc **mine;
	uint64_t reads, versions;
	uint64_t *done, *torn, *regressions; /* per worker */
};

#define RW_COUNTS(c) (uint64_t **[]){&(c)->done, &(c)->torn, &(c)->regressions}, 3

static void write_version(rl_rwlock *l, int64_t v)
{
	rl_rwlock_write_guard g;
	rl_rwlock_write(l, &g);
	struct config *cfg = rl_rwlock_write_guard_get(&g);
	rl__wl_write(&cfg->version, v, CONFIG, "writer", RL_WL_SITE("config.write().version = v"));
	cfg->timeout_ms = 100 + v % 900;
	cfg->retries = cfg->timeout_ms / 10 + v;
	cfg->checksum = v ^ cfg->timeout_ms ^ cfg->retries;
	rl_rwlock_write_guard_drop(&g);
}

static void rw_body(void *arg, unsigned i)
{
	struct rw_ctx *c = arg;
	rl_rwlock *l = rl_arc_get(c->mine[i]);
	uint64_t n = 0;
	if (i == 0) {
		for (; n < c->versions && !rl_workload_stopping(); n++)
			write_version(l, (int64_t)n + 1);
	} else {
		int64_t last = 0;
		for (; n < c->reads && !rl_workload_stopping(); n++) {
			rl_rwlock_read_guard g;
			rl_rwlock_read(l, &g);
			const struct config *cfg = rl_rwlock_read_guard_get(&g);
			int64_t v = rl__wl_read(&cfg->version, CONFIG, "reader", RL_WL_SITE("config.read().version"));
			if (!whole(cfg))
				c->torn[i]++;
			else if (v < last)
				c->regressions[i]++;
			else
				last = v;
			rl_rwlock_read_guard_drop(&g);
		}
	}
	c->done[i] = n;
	rl_arc_drop(c->mine[i]);
}

int rl__wl_rwlock_readers(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	unsigned n = (unsigned)p->threads;
	rl_arc *a = rl_arc_rwlock_new(sizeof(struct config), NULL);
	struct rw_ctx c = {.reads = p->iters, .versions = p->iters / 16 + 1};
	int err = rl__wl_arc_team_new(a, n, &c.mine, RW_COUNTS(&c), r);
	if (err)
		return err;
	double t0 = rl__wl_now();
	err = rl__wl_team_run(n, p->stack, rw_body, &c, r);
	double secs = rl__wl_now() - t0;
	uint64_t reads = 0, torn = 0, regressions = 0;
	for (unsigned i = 1; i < n; i++)
		reads += c.done[i], torn += c.torn[i], regressions += c.regressions[i];
	uint64_t written = c.done[0];
	rl__wl_arc_team_free(c.mine, n, err == RL_OK, RW_COUNTS(&c));

	/* The last version, read after the joins. */
	rl_rwlock_read_guard g;
	rl_rwlock_read(rl_arc_get(a), &g);
	const struct config *cfg = rl_rwlock_read_guard_get(&g);
	int64_t last = rl__wl_read(&cfg->version, CONFIG, "main", RL_WL_SITE("config.read() after the joins"));
	bool ok = whole(cfg);
	rl_rwlock_read_guard_drop(&g);
	rl_arc_drop(a);

	rl__wl_counts(r, "versions written", (int64_t)written, last);
	r->lost += (int64_t)(torn + regressions) + !ok;
	r->invariant_held = r->invariant_held && torn == 0 && regressions == 0 && ok;
	double ns = reads ? secs * 1e9 / (double)reads : 0;
	rl__wl_measure(r, "reads", "reads", (double)reads, "");
	rl__wl_measure(r, "torn_reads", "torn reads", (double)torn, "");
	rl__wl_measure(r, "regressions", "reads older than a previous one", (double)regressions, "");
	rl__wl_measure(r, "ns_per_read", "time per read (all readers, writer alongside)", ns, "ns/op");
	rl__wl_note(r, "%u reader%s took %llu read guards while worker-1 wrote %llu versions under the write guard",
		    n - 1, n == 2 ? "" : "s", (unsigned long long)reads, (unsigned long long)written);
	rl__wl_note(r, "torn reads: %llu, reads going back in time: %llu (%.1f ns per read, spawn included)",
		    (unsigned long long)torn, (unsigned long long)regressions, ns);
	if (n < 2)
		rl__wl_note(r, "with one thread there is no reader: use --threads 2 or more");
	return err;
}
