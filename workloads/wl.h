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

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <racelab/thread.h>
#include <racelab/workload.h>

/* Add a figure, a sentence or a report line to @r (silently full). */
void rl__wl_measure(struct rl_workload_result *r, const char *key, const char *label,
		    double value, const char *unit);
void rl__wl_note(struct rl_workload_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rl__wl_message(struct rl_workload_result *r, const char *msg);
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

/* @bytes for people, rounded: "4.0 MiB", "24 KiB". */
const char *rl__wl_size(size_t bytes, char *buf, size_t len);

/* Monotonic clock in seconds. */
double rl__wl_now(void);

/* A per-thread counter padded to its own cache line. */
struct rl__wl_slot {
	_Alignas(64) _Atomic int64_t v;
};

/* The catalog's functions, one file per family. */
rl_workload_fn rl__wl_stack_overflow, rl__wl_stack_lazy, rl__wl_false_sharing;
rl_workload_fn rl__wl_rc_single, rl__wl_rc_send, rl__wl_rc_cycle, rl__wl_rc_weak;
rl_workload_fn rl__wl_arc_clone, rl__wl_arc_cell, rl__wl_arc_mutex, rl__wl_arc_atomic;
rl_workload_fn rl__wl_mutex_poison, rl__wl_rcu_config;

#endif
