/* bench_stdsync.c — benchmarks of the rest of std::sync: mpsc channels
 * (send+recv on one thread, unbounded and bounded; a rendezvous and two
 * producers across threads), RwLock read+drop and write+drop uncontended
 * and read-mostly at 1..N threads, Condvar ping-pong and a notify nobody
 * waits for. Each loop body mirrors its Rust twin in bench/rust/compare.rs
 * (rust-compare pairs them). Benchmarks that need a second thread spawn it
 * inside the batch (rl_thread_spawn / std::thread::spawn), both sides alike;
 * a batch lasts --time-per-sample, so the spawn is a small part of it.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include <racelab/channel.h>
#include <racelab/condvar.h>
#include <racelab/mutex.h>
#include <racelab/rwlock.h>
#include <racelab/status.h>
#include <racelab/thread.h>

#include "bench_defs.h"
#include "harness.h"

/* ---- channels on one thread ------------------------------------------- */

struct chan {
	rl_sender *tx;
	rl_receiver *rx;
};

static int chan_setup(void **shared, size_t bound)
{
	struct chan *c = malloc(sizeof *c);
	if (!c)
		return RL_ENOMEM;
	int st = rl_channel_new(&c->tx, &c->rx, sizeof(uint64_t), bound);
	if (st != RL_OK) {
		free(c);
		return st;
	}
	*shared = c;
	return RL_OK;
}

static int unbounded_setup(void **shared, unsigned nthreads)
{
	return chan_setup(shared, RL_CHANNEL_UNBOUNDED);
}

static int bounded_setup(void **shared, unsigned nthreads)
{
	return chan_setup(shared, 16);
}

static void chan_teardown(void *shared, unsigned nthreads)
{
	struct chan *c = shared;
	rl_sender_drop(c->tx);
	rl_receiver_drop(c->rx);
	free(c);
}

/* send(i), recv, black_box: as compare.rs's mpsc loops. */
static int run_send_recv(void *shared, void *local, unsigned idx, uint64_t iters)
{
	struct chan *c = shared;
	for (uint64_t i = 0; i < iters; i++) {
		uint64_t v = i;
		int st = rl_send(c->tx, &v);
		if (st == RL_OK)
			st = rl_recv(c->rx, &v);
		if (st != RL_OK)
			return st;
		rl_bench_escape(&v);
	}
	return RL_OK;
}

const struct rl_bench rl_bench_channel_send_recv = {
	.name = "channel-send-recv",
	.series = "mpsc channel() send+recv",
	.what = "rl_send + rl_recv on one thread, unbounded channel",
	.setup = unbounded_setup, .run = run_send_recv, .teardown = chan_teardown,
};

const struct rl_bench rl_bench_sync_channel_send_recv = {
	.name = "sync-channel-send-recv",
	.series = "mpsc sync_channel(16) send+recv",
	.what = "rl_send + rl_recv on one thread, bounded channel (16)",
	.setup = bounded_setup, .run = run_send_recv, .teardown = chan_teardown,
};

/* ---- channels across threads (the helpers spawned per batch) ----------- */

struct producer {
	rl_sender *tx;
	uint64_t n;
};

static void *produce(void *p)
{
	struct producer *a = p;
	for (uint64_t i = 0; i < a->n; i++)
		if (rl_send(a->tx, &i) != RL_OK)
			break;
	rl_sender_drop(a->tx);
	return NULL;
}

/* @producers threads send @iters messages in all; this thread receives them. */
static int run_producers(uint64_t iters, size_t bound, unsigned producers)
{
	rl_sender *tx;
	rl_receiver *rx;
	int st = rl_channel_new(&tx, &rx, sizeof(uint64_t), bound);
	if (st != RL_OK)
		return st;
	struct producer a[2];
	rl_thread *t[2];
	unsigned started = 0;
	for (unsigned i = 0; i < producers && st == RL_OK; i++) {
		a[i].tx = rl_sender_clone(tx);
		a[i].n = iters / producers + (i == 0 ? iters % producers : 0);
		st = rl_thread_spawn(&t[i], produce, &a[i], NULL);
		if (st != RL_OK)
			rl_sender_drop(a[i].tx);
		else
			started++;
	}
	rl_sender_drop(tx);
	uint64_t v, got = 0;
	while (rl_recv(rx, &v) == RL_OK) {
		rl_bench_escape(&v);
		got++;
	}
	for (unsigned i = 0; i < started; i++)
		rl_thread_join(t[i], NULL);
	rl_receiver_drop(rx);
	if (st == RL_OK && got != iters)
		st = RL_EINVAL;
	return st;
}

static int run_rendezvous(void *shared, void *local, unsigned idx, uint64_t iters)
{
	return run_producers(iters, 0, 1);
}

static int run_mpsc2(void *shared, void *local, unsigned idx, uint64_t iters)
{
	return run_producers(iters, RL_CHANNEL_UNBOUNDED, 2);
}

const struct rl_bench rl_bench_channel_rendezvous = {
	.name = "channel-rendezvous",
	.series = "mpsc sync_channel(0) handoff",
	.what = "one sender thread hands messages to this thread through a rendezvous channel",
	.run = run_rendezvous,
};

const struct rl_bench rl_bench_channel_mpsc2 = {
	.name = "channel-mpsc-2",
	.series = "mpsc channel() 2 producers",
	.what = "two sender threads, this thread receives (ns per message)",
	.run = run_mpsc2,
};

static int run_sync_mpsc2(void *shared, void *local, unsigned idx, uint64_t iters)
{
	return run_producers(iters, 16, 2);
}

static int run_rendezvous2(void *shared, void *local, unsigned idx, uint64_t iters)
{
	return run_producers(iters, 0, 2);
}

const struct rl_bench rl_bench_sync_channel_mpsc2 = {
	.name = "sync-channel-mpsc-2",
	.series = "mpsc sync_channel(16) 2 producers",
	.what = "two sender threads, bounded channel (16), this thread receives (ns per message)",
	.run = run_sync_mpsc2,
};

const struct rl_bench rl_bench_channel_rendezvous2 = {
	.name = "channel-rendezvous-2",
	.series = "mpsc sync_channel(0) 2 senders",
	.what = "two sender threads hand messages to this thread through a rendezvous channel",
	.run = run_rendezvous2,
};

/* ---- RwLock ------------------------------------------------------------- */

static int rwlock_setup(void **shared, unsigned nthreads)
{
	rl_rwlock *l = malloc(rl_rwlock_size(sizeof(uint64_t)));
	if (!l)
		return RL_ENOMEM;
	rl_rwlock_init(l, sizeof(uint64_t));
	*shared = l;
	return RL_OK;
}

static void rwlock_teardown(void *shared, unsigned nthreads)
{
	rl_rwlock_destroy(shared);
	free(shared);
}

static int run_read_drop(void *shared, void *local, unsigned idx, uint64_t iters)
{
	for (uint64_t i = 0; i < iters; i++) {
		rl_rwlock_read_guard g;
		rl_rwlock_read(shared, &g);
		rl_bench_escape(rl_rwlock_read_guard_get(&g));
		rl_rwlock_read_guard_drop(&g);
	}
	return RL_OK;
}

static int run_write_drop(void *shared, void *local, unsigned idx, uint64_t iters)
{
	for (uint64_t i = 0; i < iters; i++) {
		rl_rwlock_write_guard g;
		rl_rwlock_write(shared, &g);
		rl_bench_escape(rl_rwlock_write_guard_get(&g));
		rl_rwlock_write_guard_drop(&g);
	}
	return RL_OK;
}

/* Read-mostly: every thread reads; thread 0 writes once per 256 ops. */
static void read_mostly(rl_rwlock *l, unsigned idx, uint64_t iters)
{
	for (uint64_t i = 0; i < iters; i++) {
		if (idx == 0 && (i & 255) == 255) {
			rl_rwlock_write_guard w;
			rl_rwlock_write(l, &w);
			(*(uint64_t *)rl_rwlock_write_guard_get(&w))++;
			rl_rwlock_write_guard_drop(&w);
			continue;
		}
		rl_rwlock_read_guard g;
		rl_rwlock_read(l, &g);
		rl_bench_escape(rl_rwlock_read_guard_get(&g));
		rl_rwlock_read_guard_drop(&g);
	}
}

static int run_read_mostly(void *shared, void *local, unsigned idx, uint64_t iters)
{
	read_mostly(shared, idx, iters);
	return RL_OK;
}

struct reader {
	rl_rwlock *l;
	uint64_t iters;
};

static void *second_reader(void *p)
{
	struct reader *r = p;
	read_mostly(r->l, 1, r->iters);
	return NULL;
}

/* The rust-compare twin of read-mostly at 2 threads: the second reader is
 * spawned in the batch, as compare.rs does. */
static int run_read_mostly_2(void *shared, void *local, unsigned idx, uint64_t iters)
{
	struct reader r = {shared, iters};
	rl_thread *t;
	int st = rl_thread_spawn(&t, second_reader, &r, NULL);
	if (st != RL_OK)
		return st;
	read_mostly(shared, 0, iters);
	return rl_thread_join(t, NULL);
}

const struct rl_bench rl_bench_rwlock_read_drop = {
	.name = "rwlock-read-drop",
	.series = "RwLock read+drop",
	.what = "rl_rwlock_read + guard drop, uncontended",
	.setup = rwlock_setup, .run = run_read_drop, .teardown = rwlock_teardown,
};

const struct rl_bench rl_bench_rwlock_write_drop = {
	.name = "rwlock-write-drop",
	.series = "RwLock write+drop",
	.what = "rl_rwlock_write + guard drop, uncontended",
	.setup = rwlock_setup, .run = run_write_drop, .teardown = rwlock_teardown,
};

const struct rl_bench rl_bench_rwlock_read_mostly = {
	.name = "rwlock-read-mostly",
	.series = "read-mostly: RwLock read",
	.what = "N threads read+drop one RwLock; thread 0 writes every 256th op",
	.flags = RL_BENCH_THREADS,
	.setup = rwlock_setup, .run = run_read_mostly, .teardown = rwlock_teardown,
};

const struct rl_bench rl_bench_rwlock_read_mostly_2 = {
	.name = "rwlock-read-mostly-2",
	.series = "read-mostly: RwLock, 2 threads",
	.what = "rwlock-read-mostly with its second thread spawned per batch (Rust's twin)",
	.setup = rwlock_setup, .run = run_read_mostly_2, .teardown = rwlock_teardown,
};

/* ---- Condvar ------------------------------------------------------------- */

struct pingpong {
	rl_mutex *m; /* Mutex<u64>: the turn; even: this thread's */
	rl_condvar cv;
	uint64_t turns;
};

/* Take the turns of one parity: wait for mine, bump, notify. */
static void play(struct pingpong *p, uint64_t parity)
{
	rl_mutex_guard g;
	rl_mutex_lock(p->m, &g);
	uint64_t *turn = rl_mutex_guard_get(&g);
	while (*turn < 2 * p->turns) {
		while (*turn % 2 != parity && *turn < 2 * p->turns)
			rl_condvar_wait(&p->cv, &g);
		if (*turn >= 2 * p->turns)
			break;
		(*turn)++;
		rl_condvar_notify_one(&p->cv);
	}
	rl_mutex_guard_drop(&g);
}

static void *pong(void *p)
{
	play(p, 1);
	return NULL;
}

/* One op: a round trip (this thread's turn, then the partner's). */
static int run_ping_pong(void *shared, void *local, unsigned idx, uint64_t iters)
{
	struct pingpong p = {.m = malloc(rl_mutex_size(sizeof(uint64_t))), .turns = iters};
	if (!p.m)
		return RL_ENOMEM;
	rl_mutex_init(p.m, sizeof(uint64_t));
	rl_condvar_init(&p.cv);
	rl_thread *t;
	int st = rl_thread_spawn(&t, pong, &p, NULL);
	if (st == RL_OK) {
		play(&p, 0);
		st = rl_thread_join(t, NULL);
	}
	rl_condvar_destroy(&p.cv);
	rl_mutex_destroy(p.m);
	free(p.m);
	return st;
}

static int run_notify_no_waiter(void *shared, void *local, unsigned idx, uint64_t iters)
{
	rl_condvar cv;
	rl_condvar_init(&cv);
	for (uint64_t i = 0; i < iters; i++) {
		rl_condvar_notify_one(&cv);
		rl_bench_escape(&cv);
	}
	rl_condvar_destroy(&cv);
	return RL_OK;
}

const struct rl_bench rl_bench_condvar_ping_pong = {
	.name = "condvar-ping-pong",
	.series = "Condvar ping-pong round trip",
	.what = "two threads take turns through a Mutex<u64> and one Condvar (ns per round trip)",
	.run = run_ping_pong,
};

const struct rl_bench rl_bench_condvar_notify_no_waiter = {
	.name = "condvar-notify-no-waiter",
	.series = "Condvar notify_one, no waiter",
	.what = "rl_condvar_notify_one with nobody waiting",
	.run = run_notify_no_waiter,
};
