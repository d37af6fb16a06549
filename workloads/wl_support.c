/* wl_support.c — what workloads call to fill their result (counts, measures,
 * notes, messages, failures) and to run a team of workers that start together.
 * The runner (runner.c) owns the run around them.
 */
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <racelab/arc.h>
#include <racelab/status.h>
#include <racelab/thread.h>
#include <racelab/workload.h>

#include "wl.h"

/* ---- helpers for workloads ---------------------------------------------- */

static void copy_text(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

void rl__wl_measure(struct rl_workload_result *r, const char *key, const char *label, double value,
		    const char *unit)
{
	if (r->nmeasures >= RL_WL_MAX_MEASURES)
		return;
	struct rl_measure *m = &r->measures[r->nmeasures++];
	copy_text(m->key, sizeof m->key, key);
	copy_text(m->label, sizeof m->label, label);
	copy_text(m->unit, sizeof m->unit, unit);
	m->value = value;
}

void rl__wl_note(struct rl_workload_result *r, const char *fmt, ...)
{
	if (r->nnotes >= RL_WL_MAX_NOTES)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->notes[r->nnotes++], RL_WL_TEXT, fmt, ap);
	va_end(ap);
}

void rl__wl_message(struct rl_workload_result *r, const char *msg, const struct rl_wl_report *data)
{
	if (r->nmessages >= RL_WL_MAX_MESSAGES)
		return;
	if (data)
		r->message_data[r->nmessages] = *data;
	else
		memset(&r->message_data[r->nmessages], 0, sizeof r->message_data[0]);
	copy_text(r->messages[r->nmessages++], RL_WL_TEXT, msg);
}


void rl_wl_report_from_probe(struct rl_wl_report *out, const rl_probe_report *rep)
{
	memset(out, 0, sizeof *out);
	copy_text(out->kind, sizeof out->kind, rep->kind == RL_REPORT_DEADLOCK ? "deadlock" : "race");
	copy_text(out->object, sizeof out->object, rep->obj_kind);
	out->object_id = rep->obj_id;
	const rl_probe_access *side[2] = {&rep->cur, &rep->prev};
	for (unsigned i = 0; i < 2 && side[i]->thread[0]; i++) {
		copy_text(out->threads[i], sizeof out->threads[i], side[i]->thread);
		copy_text(out->ops[i], sizeof out->ops[i], side[i]->op);
		copy_text(out->access[i], sizeof out->access[i], rep->kind != RL_REPORT_RACE ? "" : side[i]->write ? "write" : "read");
		copy_text(out->sites[i], sizeof out->sites[i], side[i]->known && strcmp(side[i]->site_text, "?") ? side[i]->site_text : "");
		out->nsides = i + 1;
	}
	copy_text(out->missing_edge, sizeof out->missing_edge, rep->edge);
	copy_text(out->rule, sizeof out->rule, rep->rule);
}

void rl_wl_report_from_check(struct rl_wl_report *out, const struct rl_check_report *rep)
{
	static const char *const kinds[RL_CHECK_NKINDS] = {
		[RL_CHECK_SEND] = "send", [RL_CHECK_SYNC] = "sync", [RL_CHECK_USE_AFTER_FREE] = "use_after_free"};
	memset(out, 0, sizeof *out);
	copy_text(out->kind, sizeof out->kind, (unsigned)rep->kind < RL_CHECK_NKINDS ? kinds[rep->kind] : "?");
	copy_text(out->object, sizeof out->object, rep->type);
	copy_text(out->threads[0], sizeof out->threads[0], rep->thread);
	copy_text(out->ops[0], sizeof out->ops[0], rep->op);
	if (rep->file)
		snprintf(out->sites[0], sizeof out->sites[0], "%s:%d", rep->file, rep->line);
	out->nsides = 1;
	if (rep->owner && rep->owner[0]) {
		/* the owner's side: where it made the object is not kept */
		copy_text(out->threads[1], sizeof out->threads[1], rep->owner);
		out->nsides = 2;
	}
	copy_text(out->rule, sizeof out->rule, rep->rule);
}

void rl__wl_counts(struct rl_workload_result *r, const char *unit, int64_t expected, int64_t observed)
{
	copy_text(r->unit, sizeof r->unit, unit);
	r->expected = expected;
	r->observed = observed;
	r->lost = expected - observed;
	r->invariant_held = expected == observed;
}

int rl__wl_fail(struct rl_workload_result *r, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->error_text, sizeof r->error_text, fmt, ap);
	va_end(ap);
	r->error = err;
	return err;
}

const char *rl__wl_size(size_t bytes, char *buf, size_t len)
{
	if (bytes >= ((size_t)1 << 30))
		snprintf(buf, len, "%.1f GiB", (double)bytes / (double)((size_t)1 << 30));
	else if (bytes >= ((size_t)1 << 20))
		snprintf(buf, len, "%.1f MiB", (double)bytes / (double)((size_t)1 << 20));
	else if (bytes >= 1024)
		snprintf(buf, len, "%.0f KiB", (double)bytes / 1024.0);
	else
		snprintf(buf, len, "%zu B", bytes);
	return buf;
}

double rl__wl_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- worker teams -------------------------------------------------------- */

enum { GATE_CLOSED, GATE_OPEN, GATE_ABORT };

struct team {
	rl__wl_body *body;
	void *ctx;
	atomic_int gate;
	atomic_uint arrived; /* workers waiting at the gate */
};

struct member {
	struct team *team;
	unsigned index;
};

static void *team_main(void *arg)
{
	struct member *m = arg;
	int g;
	if (rl__wl_scheduled()) {
		/* The scheduler interleaves the workers; it cannot see the gate. */
		m->team->body(m->team->ctx, m->index);
		return NULL;
	}
	/* Relaxed: the count only tells the main thread when to open the gate. */
	atomic_fetch_add_explicit(&m->team->arrived, 1, memory_order_relaxed);
	/* Acquire pairs with the release that opens the gate: the workload's
	 * setup (made before the spawns anyway) and the decision to go. */
	while ((g = atomic_load_explicit(&m->team->gate, memory_order_acquire)) == GATE_CLOSED)
		sched_yield();
	if (g == GATE_OPEN)
		m->team->body(m->team->ctx, m->index);
	return NULL;
}

int rl__wl_team_run(unsigned n, size_t stack, rl__wl_body *body, void *ctx, struct rl_workload_result *r)
{
	struct team team = {.body = body, .ctx = ctx, .gate = GATE_CLOSED};
	rl_thread **ts = calloc(n ? n : 1, sizeof *ts);
	struct member *ms = calloc(n ? n : 1, sizeof *ms);
	if (!ts || !ms) {
		free(ts);
		free(ms);
		return rl__wl_fail(r, RL_ENOMEM, "out of memory for %u workers", n);
	}
	unsigned spawned = 0;
	int err = RL_OK;
	for (; spawned < n; spawned++) {
		char name[32];
		snprintf(name, sizeof name, "worker-%u", spawned + 1);
		ms[spawned] = (struct member){.team = &team, .index = spawned};
		rl_thread_opts o = {.name = name, .stack_size = stack};
		if ((err = rl_thread_spawn(&ts[spawned], team_main, &ms[spawned], &o)) != RL_OK)
			break;
	}
	/* Open the gate once every worker waits at it, so that they start
	 * together (on a busy machine, as together as the scheduler allows). */
	while (!err && !rl__wl_scheduled() && atomic_load_explicit(&team.arrived, memory_order_relaxed) < spawned &&
	       !rl_workload_stopping())
		sched_yield();
	/* Release: pairs with the workers' acquire loads of the gate. */
	atomic_store_explicit(&team.gate, err ? GATE_ABORT : GATE_OPEN, memory_order_release);
	for (unsigned i = 0; i < spawned; i++) {
		void *ret = NULL;
		if (rl_thread_join(ts[i], &ret) == RL_EPANICKED) {
			r->panics++;
			free(ret);
		}
	}
	free(ts);
	free(ms);
	if (err)
		rl__wl_fail(r, err, "cannot start worker-%u of %u: %s", spawned + 1, n, rl_strerror(err));
	return err;
}


int rl__wl_threads_run(const struct rl__wl_thread *ts, unsigned n, size_t stack, void (*abandon)(void *arg),
		       void *arg, struct rl_workload_result *r)
{
	rl_thread **hs = calloc(n ? n : 1, sizeof *hs);
	if (!hs)
		return rl__wl_fail(r, RL_ENOMEM, "out of memory for %u threads", n);
	unsigned spawned = 0;
	int err = RL_OK;
	for (; spawned < n; spawned++) {
		rl_thread_opts o = {.name = ts[spawned].name, .stack_size = stack};
		if ((err = rl_thread_spawn(&hs[spawned], ts[spawned].fn, ts[spawned].arg, &o)) != RL_OK)
			break;
	}
	if (err && abandon)
		abandon(arg);
	for (unsigned i = 0; i < spawned; i++) {
		void *ret = NULL;
		if (rl_thread_join(hs[i], &ret) == RL_EPANICKED) {
			r->panics++;
			free(ret);
		}
	}
	free(hs);
	if (err)
		rl__wl_fail(r, err, "cannot spawn thread '%s': %s", ts[spawned].name, rl_strerror(err));
	return err;
}

/* ---- a team sharing one Arc ---------------------------------------------- */

void rl__wl_arc_team_free(rl_arc **mine, unsigned n, bool workers_ran, uint64_t **counts[], unsigned ncounts)
{
	if (mine && !workers_ran)
		for (unsigned i = 0; i < n; i++)
			rl_arc_drop(mine[i]);
	free(mine);
	for (unsigned k = 0; k < ncounts; k++) {
		free(*counts[k]);
		*counts[k] = NULL;
	}
}

int rl__wl_arc_team_new(rl_arc *a, unsigned n, rl_arc ***mine, uint64_t **counts[], unsigned ncounts,
			struct rl_workload_result *r)
{
	bool ok = (*mine = calloc(n, sizeof **mine)) != NULL;
	for (unsigned k = 0; k < ncounts; k++)
		ok &= (*counts[k] = calloc(n, sizeof **counts[k])) != NULL;
	if (!a || !ok) {
		free(*mine);
		*mine = NULL;
		rl__wl_arc_team_free(NULL, n, true, counts, ncounts);
		if (a)
			rl_arc_drop(a);
		return rl__wl_fail(r, RL_ENOMEM, "out of memory");
	}
	for (unsigned i = 0; i < n; i++)
		(*mine)[i] = rl_arc_clone(a);
	return RL_OK;
}
