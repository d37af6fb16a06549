/* rcu_config.c — a read-mostly configuration: readers never lock, the writer
 * replaces it whole.
 *
 * Many threads read a settings struct all the time; it changes rarely. A
 * Mutex<Config> would make every read take the lock, and RwLock readers
 * still write the lock word. In Rust one reaches for arc_swap::ArcSwap:
 *
 *     let cfg = ArcSwap::from_pointee(Config { version: 1, .. });
 *     // readers                              // the writer
 *     let c = cfg.load();                     cfg.store(Arc::new(Config { version: 2, .. }));
 *     use(c.timeout_ms, c.retries);
 *
 * racelab's rl_rcu_cell (racelab/rcu.h, on liburcu) is that cell. A reader
 * pins (an RCU read-side critical section: no lock, no write to shared
 * memory), loads the current pointer and reads through it; the config stays
 * valid until the reader drops its guard, even if the writer has replaced it
 * meanwhile. rl_rcu_cell_store() publishes a new config, waits for a grace
 * period (every reader that could still see the old one has dropped its
 * guard), then frees the old one with the cell's drop function.
 *
 * Each config is written completely before it is published, so a reader sees
 * either the old config or the new one, never a mix: the program checks it
 * (timeout_ms and retries are functions of version) and that no reader ever
 * sees the version go backwards.
 */
#define _POSIX_C_SOURCE 200809L /* sched_yield, nanosleep */

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <racelab/racelab.h>

#define READERS 3
#define VERSIONS 50

struct config {
	unsigned version;
	unsigned timeout_ms; /* version * 100 */
	unsigned retries;    /* version % 5 + 1 */
};

static rl_rcu_cell current;  /* the shared configuration: struct config * */
static atomic_bool finished; /* set by the writer after its last store */

struct reader_stats {
	unsigned long reads;
	unsigned first, last;    /* versions seen */
	unsigned changes;        /* versions seen, counted as they change */
	unsigned long torn;      /* a config mixing two versions (must stay 0) */
	unsigned long backwards; /* a version older than one seen before (must stay 0) */
};

static struct config *config_new(unsigned version)
{
	struct config *c = malloc(sizeof *c);
	if (!c) {
		fprintf(stderr, "rcu_config: out of memory\n");
		exit(1);
	}
	c->version = version;
	c->timeout_ms = version * 100;
	c->retries = version % 5 + 1;
	return c;
}

/* The cell's drop function: frees a config nobody can see any more. */
static void config_drop(void *value)
{
	free(value);
}

static void *reader(void *arg)
{
	struct reader_stats *st = arg;
	/* Acquire: pairs with the writer's release store of `finished`. */
	while (!atomic_load_explicit(&finished, memory_order_acquire)) {
		rl_rcu_guard guard;
		rl_rcu_pin(&guard);
		const struct config *c = rl_rcu_cell_load(&current, &guard);
		if (c->timeout_ms != c->version * 100 || c->retries != c->version % 5 + 1)
			st->torn++;
		if (c->version < st->last)
			st->backwards++;
		if (!st->first)
			st->first = c->version;
		if (c->version != st->last)
			st->changes++;
		st->last = c->version;
		rl_rcu_guard_drop(&guard); /* c must not be used after this */
		st->reads++;
		sched_yield(); /* outside the critical section: let the writer run on a busy machine */
	}
	return NULL;
}

int main(void)
{
	rl_rcu_cell_init(&current, config_new(1), config_drop);

	rl_thread *threads[READERS];
	struct reader_stats stats[READERS] = { { 0 } };
	int spawned = 0;
	for (; spawned < READERS; spawned++) {
		rl_thread_opts opts = { .name = "reader", .stack_size = 0 };
		int st = rl_thread_spawn(&threads[spawned], reader, &stats[spawned], &opts);
		if (st != RL_OK) {
			fprintf(stderr, "rcu_config: spawn: %s\n", rl_strerror(st));
			break;
		}
	}

	/* The writer: each store publishes a complete config and frees the
	 * previous one after a grace period. A new version every millisecond:
	 * the configuration changes rarely, compared with the reads. */
	for (unsigned v = 2; v <= VERSIONS; v++) {
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
		rl_rcu_cell_store(&current, config_new(v));
	}
	atomic_store_explicit(&finished, true, memory_order_release);

	int status = spawned == READERS ? 0 : 1;
	for (int i = 0; i < spawned; i++) {
		rl_thread_join(threads[i], NULL);
		printf("reader %d: %lu reads, %u versions seen (%u..%u), torn %lu, backwards %lu\n",
		       i + 1, stats[i].reads, stats[i].changes, stats[i].first, stats[i].last,
		       stats[i].torn, stats[i].backwards);
		if (stats[i].torn || stats[i].backwards)
			status = 1;
	}

	/* No reader is left: drop the last config with the cell. */
	rl_rcu_cell_destroy(&current);
	printf("%d versions published, %s\n", VERSIONS,
	       status == 0 ? "every read saw one whole version" : "FAILED");
	return status;
}
