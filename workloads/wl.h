/* wl.h — private to workloads/: what the workload files share.
 *
 * Each workload is a function run on the runtime "main" thread (rl_run_main)
 * that fills a struct rl_workload_result. Worker threads come from
 * wl_team_run(): N rl threads named "worker-1".."worker-N" that wait at a
 * start gate, so they begin together (races are likelier, and a spawn failure
 * never leaves half a team running the workload).
 */
#ifndef RACELAB_WL_H
#define RACELAB_WL_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <racelab/arc.h>
#include <racelab/hooks.h>
#include <racelab/probe.h>
#include <racelab/thread.h>
#include <racelab/workload.h>

/* Add a figure, a sentence or a report line to @r (silently full). */
void rl__wl_measure(struct rl_workload_result *r, const char *key, const char *label,
		    double value, const char *unit);
void rl__wl_note(struct rl_workload_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Keep @msg (and @data as its report, when not NULL) among r's messages. */
void rl__wl_message(struct rl_workload_result *r, const char *msg, const struct rl_wl_report *data);
/* Set the invariant triple; held is expected == observed. */
void rl__wl_counts(struct rl_workload_result *r, const char *unit, int64_t expected, int64_t observed);
/* Record why the workload could not run. Return: @err. */
int rl__wl_fail(struct rl_workload_result *r, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Body of worker number @index (0-based) of a team. */
typedef void rl__wl_body(void *ctx, unsigned index);

/**
 * rl__wl_team_run() - run @body on @n worker threads and join them.
 * @stack: stack size of each worker (0: the default, 2 MiB).
 *
 * Workers are named "worker-1".."worker-@n" and start together. Panicked
 * workers are counted in r->panics (their messages freed). If a spawn fails,
 * the workers already started return without running @body, and the error is
 * recorded in @r.
 * Context: the runtime main thread of a workload.
 * Return: RL_OK or the spawn error.
 */
int rl__wl_team_run(unsigned n, size_t stack, rl__wl_body *body, void *ctx, struct rl_workload_result *r);

/* One thread of a workload's cast: its name (reports say it), body and argument. */
struct rl__wl_thread {
	const char *name;
	rl_thread_fn *fn;
	void *arg;
};

/**
 * rl__wl_threads_run() - spawn the @n threads of @ts in order, then join them.
 * @stack:   stack size of each (0: the default, 2 MiB).
 * @abandon: when a spawn fails, called with @arg on this thread before the
 *           joins, to release the threads already started that would wait
 *           for the missing ones; NULL when none would.
 *
 * Unlike a team, the threads start as they are spawned (no gate) and each
 * runs its own body. If a spawn fails, the rest never start, the threads
 * already started are joined and the error is recorded in @r. Panicked
 * threads are counted in r->panics.
 * Context: the runtime main thread of a workload.
 * Return: RL_OK or the spawn error.
 */
int rl__wl_threads_run(const struct rl__wl_thread *ts, unsigned n, size_t stack, void (*abandon)(void *arg),
		       void *arg, struct rl_workload_result *r);

/*
 * The handles of a team of @n workers sharing the Arc @a, each a clone made
 * here, on the spawning thread (`let a = arc.clone(); thread::spawn(move ||
 * ...)`), into *@mine, and @ncounts per-worker count arrays (zeroed) into
 * *@counts[k]. Return: RL_OK; on failure (@a NULL because its allocation
 * failed, or out of memory) nothing is left, @a is dropped and RL_ENOMEM is
 * reported in @r.
 */
int rl__wl_arc_team_new(rl_arc *a, unsigned n, rl_arc ***mine, uint64_t **counts[], unsigned ncounts,
			struct rl_workload_result *r);
/* Free what rl__wl_arc_team_new() made; drop the handles too when no worker
 * ran (a failed team start: the workers never took theirs). */
void rl__wl_arc_team_free(rl_arc **mine, unsigned n, bool workers_ran, uint64_t **counts[], unsigned ncounts);

/* @bytes for people, rounded: "4.0 MiB", "24 KiB". */
const char *rl__wl_size(size_t bytes, char *buf, size_t len);

/* Monotonic clock in seconds. */
double rl__wl_now(void);

/* A per-thread counter padded to its own cache line. */
struct rl__wl_slot {
	_Alignas(64) _Atomic int64_t v;
};

/* ---- simulation: the workload's own shared accesses --------------------------
 *
 * racelab's detector and scheduler see the primitives' operations through
 * their probes. A workload's own shared data that a verdict depends on (a
 * value under a Mutex, an atomic counter, a flag a thread waits for) goes
 * through the helpers below: plain C accesses (or the atomic operation) when
 * no probe is attached, the same access bracketed as a probe event while one
 * is. @kind names the object in Rust's words ("Mutex<i64> value",
 * "AtomicI64"): a report's Rust rule follows its first word. @site is the
 * call site as reports print it: RL_WL_SITE("what").
 */
#define RL_WL_STR_(x) #x
#define RL_WL_STR(x) RL_WL_STR_(x)
/* "workloads/wl_rc.c:152 (what)": a call site for probe events and reports. */
#define RL_WL_SITE(what) (__FILE__ ":" RL_WL_STR(__LINE__) " (" what ")")

/* True while the workload runs under racelab's scheduler (one thread at a time). */
bool rl__wl_scheduled(void);
/* The runner (and the DFS explorer) say when that starts and ends. */
void rl__wl_set_scheduled(bool on);

struct rl_check_report;
/* The runner's owner-check sink: counts @rep into the result @ctx. */
void rl__wl_sink(const struct rl_check_report *rep, void *ctx);
/* The verdict of a finished run. */
enum rl_verdict rl__wl_decide(const struct rl_workload_result *r);

int64_t rl__wl_read_probed(const int64_t *p, const char *kind, const char *op, const char *site);
void rl__wl_write_probed(int64_t *p, int64_t v, const char *kind, const char *op, const char *site);
int64_t rl__wl_fetch_add_probed(_Atomic int64_t *p, int64_t d, memory_order mo, const char *kind,
				const char *op, const char *site);
int rl__wl_load_probed(const atomic_int *p, memory_order mo, const char *kind, const char *op, const char *site);
void rl__wl_store_probed(atomic_int *p, int v, memory_order mo, const char *kind, const char *op,
			 const char *site);
void rl__wl_yield_probed(const char *op, const char *site);
void rl__wl_mem_probed(rl_probe_op op, void *addr, size_t size, const char *kind, const char *name,
		       const char *site);

/* A plain (non-atomic) load of shared data: a probe READ while probes are on. */
static inline int64_t rl__wl_read(const int64_t *p, const char *kind, const char *op, const char *site)
{
	if (RL_UNLIKELY(rl__probe_active))
		return rl__wl_read_probed(p, kind, op, site);
	return *(const volatile int64_t *)p;
}

/* A plain store to shared data: a probe WRITE while probes are on. */
static inline void rl__wl_write(int64_t *p, int64_t v, const char *kind, const char *op, const char *site)
{
	if (RL_UNLIKELY(rl__probe_active))
		rl__wl_write_probed(p, v, kind, op, site);
	else
		*(volatile int64_t *)p = v;
}

/* atomic fetch_add: a probe RMW with @mo while probes are on. Return: the old value. */
static inline int64_t rl__wl_fetch_add(_Atomic int64_t *p, int64_t d, memory_order mo, const char *kind,
				       const char *op, const char *site)
{
	if (RL_UNLIKELY(rl__probe_active))
		return rl__wl_fetch_add_probed(p, d, mo, kind, op, site);
	return atomic_fetch_add_explicit(p, d, mo);
}

/* An atomic load / store of an int flag: a probe LOAD / STORE with @mo while probes are on. */
static inline int rl__wl_load(const atomic_int *p, memory_order mo, const char *kind, const char *op,
			      const char *site)
{
	if (RL_UNLIKELY(rl__probe_active))
		return rl__wl_load_probed(p, mo, kind, op, site);
	return atomic_load_explicit(p, mo);
}

static inline void rl__wl_store(atomic_int *p, int v, memory_order mo, const char *kind, const char *op,
				const char *site)
{
	if (RL_UNLIKELY(rl__probe_active))
		rl__wl_store_probed(p, v, mo, kind, op, site);
	else
		atomic_store_explicit(p, v, mo);
}

/*
 * One turn of a wait loop: under probes an RL_PROBE_YIELD (a scheduling point
 * that lets the awaited thread run; PCT lowers the spinner), otherwise
 * sched_yield().
 */
static inline void rl__wl_spin(const char *site)
{
	if (RL_UNLIKELY(rl__probe_active))
		rl__wl_yield_probed("spin_loop", site);
	else
		sched_yield();
}

/* Memory a workload allocates (ALLOC) or frees (FREE) itself, while probes are on. */
static inline void rl__wl_alloc(void *addr, size_t size, const char *kind, const char *site)
{
	if (RL_UNLIKELY(rl__probe_active))
		rl__wl_mem_probed(RL_PROBE_ALLOC, addr, size, kind, "malloc", site);
}

static inline void rl__wl_free(void *addr, size_t size, const char *kind, const char *site)
{
	if (RL_UNLIKELY(rl__probe_active))
		rl__wl_mem_probed(RL_PROBE_FREE, addr, size, kind, "free", site);
}

/* The catalog's functions, one file per family. */
rl_workload_fn rl__wl_stack_overflow, rl__wl_stack_lazy, rl__wl_false_sharing;
rl_workload_fn rl__wl_rc_single, rl__wl_rc_send, rl__wl_rc_cycle, rl__wl_rc_weak;
rl_workload_fn rl__wl_arc_clone, rl__wl_arc_cell, rl__wl_arc_mutex, rl__wl_arc_atomic;
rl_workload_fn rl__wl_mutex_poison, rl__wl_rcu_config;
rl_workload_fn rl__wl_masked_race, rl__wl_masked_race_fixed;
rl_workload_fn rl__wl_deadlock, rl__wl_deadlock_ordered;
rl_workload_fn rl__wl_condvar_lost_wakeup, rl__wl_condvar_while_loop;
rl_workload_fn rl__wl_channel_pipeline, rl__wl_channel_sender_kept;
rl_workload_fn rl__wl_rwlock_readers, rl__wl_barrier_phases, rl__wl_barrier_phases_unsynced;
rl_workload_fn rl__wl_sb_litmus, rl__wl_sb_litmus_fixed, rl__wl_peterson, rl__wl_peterson_fixed;
rl_workload_fn rl__wl_stack_vs_heap, rl__wl_vec_growth, rl__wl_copy_move_clone;

#endif
