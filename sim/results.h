/* results.h — private to sim/: what a probe session leaves behind, and the
 * services the engines call down to: object numbers (#N), the reports, the
 * trace (trace.c) and call-site text.
 *
 * Layering: probe.c (the probe layer) drives the detector (detect.c) and the
 * scheduler (sched.c); all three call down into this, never up into probe.c.
 * Every function runs with the detector lock rl__sim_lock (dlock.h) held,
 * except where it says it takes the lock itself.
 */
#ifndef RACELAB_SIM_RESULTS_H
#define RACELAB_SIM_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <racelab/probe.h>

/* ---- object numbers (results.c) ---- */

/* #N of the object at @addr in this session, assigned on first use (0 for NULL). */
uint32_t rl__obj_id(const void *addr);
/* The same, taking the detector lock itself (for the scheduler's reports). */
uint32_t rl__obj_number(const void *addr);
/* New (or freed) memory at [@addr, @addr + @size): its objects get new numbers. */
void rl__obj_forget(const void *addr, uint64_t size);
/* Forget every number (the session's engines are going away). */
void rl__obj_reset(void);

/* ---- reports (results.c) ---- */

/* Where reports go in this session, and what tells the current step
 * (scheduling point, or event number without the scheduler). */
void rl__reports_start(FILE *report_file, rl_probe_sink *sink, void *sink_ctx, uint64_t (*step)(void));
/* Free every report (the results of the last session). */
void rl__reports_free(void);
/* Take a new report (copied; r->text ownership passes); its step is set
 * here. Printed to the report file and given to the sink. Return: its index. */
size_t rl__report_add(const rl_probe_report *r);
/* Fold one more racy access into report @idx. */
void rl__report_bump(size_t idx);
/* Say on the report file that thread @tid and later ones are not followed. */
void rl__report_unchecked(unsigned tid, const char *name);
/* A deadlock's first two blocked threads, each at its blocking operation:
 * the report's cur and prev (and its object: what the first one waits for). */
struct rl__deadlock_sides {
	rl_probe_access side[2];
	unsigned n;
	const char *obj_kind;
	uint32_t obj_id;
};
/* Add thread @name (T@tid), blocked in @wait on object #@obj_id, to @s; past two, nothing. */
void rl__deadlock_side(struct rl__deadlock_sides *s, const char *name, unsigned tid, const rl_probe_ev *wait,
		       uint32_t obj_id);
/* Report a deadlock described by @text (malloc'd; ownership passes) between
 * @sides (NULL: none named). Takes the detector lock itself. */
void rl__report_deadlock(char *text, const struct rl__deadlock_sides *sides);
/* Races among the reports. */
uint64_t rl__report_races(void);
/* The call site as printed: @site, else symbol+offset of @pc, else "?". */
void rl__site_text(const char *site, const void *pc, char *buf, size_t n);

/* ---- the trace (trace.c) ---- */

/* Start recording (or not) with at most @limit records kept (0 = 1 << 20). */
void rl__trace_start(bool on, size_t limit);
void rl__trace_free(void);
bool rl__trace_on(void);
/* Append a record of @ev by thread @tid: operation @op (RL_PROBE_BLOCKED for
 * a blocked one), object number @obj, after scheduling point @step. */
void rl__trace_add(unsigned tid, const rl_probe_ev *ev, uint8_t op, uint32_t obj, uint64_t step);
/* @ev's values as a trace shows them: RL_PROBE_F_PTR ones as object numbers
 * (numbering the pointed-to objects). */
void rl__obj_number_values(const rl_probe_ev *ev, uint64_t *rval, uint64_t *wval);
/* Records past the limit. */
uint64_t rl__trace_dropped(void);

/* Thread lifecycle operations, whose object is a thread (T<n>), not an address. */
static inline bool rl__is_thread_op(unsigned op)
{
	return op == RL_PROBE_SPAWN || op == RL_PROBE_SPAWN_FAILED || op == RL_PROBE_START || op == RL_PROBE_EXIT ||
	       op == RL_PROBE_JOIN;
}

#endif
