/* explore_dfs.c — a catalog workload under rl_model()'s exhaustive DFS
 * (`racelab explore NAME --strategy dfs`).
 *
 * The model runs the workload's function as its body, once per class of
 * equivalent interleavings (sim/dpor.c), at a small size (RL_WL_DFS_THREADS
 * threads, RL_WL_DFS_ITERS iterations unless given). The workload's probes
 * are the model's scheduling points, as they are the baton scheduler's in a
 * seeded run. Each schedule starts from a fresh result; after the workload
 * returns, a broken invariant or an owner-check report fails the schedule as
 * an assertion (the model's own failures — race, deadlock, use after free,
 * leak, step limit — come first, from the model itself). The run before the
 * exploration ends keeps the last schedule's result: the failing one, when
 * one failed.
 *
 * The owner checks' sink and mode are set per schedule on the model's main
 * thread; the model runs one thread at a time, so the sink's counts need no
 * lock beyond check.c's own.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <racelab/check.h>
#include <racelab/model.h>
#include <racelab/status.h>
#include <racelab/thread.h>
#include <racelab/workload.h>

#include "wl.h"

struct dfs_ctx {
	const struct rl_workload *w;
	struct rl_workload_params q;
	struct rl_workload_result *r;
	const struct rl_workload_result *fresh; /* a result before any run */
	char why[3 * RL_WL_TEXT];
};

static bool stopping(void) { return rl_workload_stopping(); }

static void dfs_body(void *arg)
{
	struct dfs_ctx *c = arg;
	struct rl_workload_result *r = c->r;
	memcpy(r, c->fresh, sizeof *r);
	rl_check_reset_counts();
	rl_check_set_mode(c->q.check);
	rl_check_set_sink(rl__wl_sink, r);
	int st = c->w->run(&c->q, r);
	rl_check_set_sink(NULL, NULL);
	rl_check_set_mode(RL_CHECK_REPORT);
	if (rl_workload_stopping())
		return; /* cut short by Ctrl-C: its counts say nothing */
	r->verdict = rl__wl_decide(r);
	if (st && !r->error)
		rl__wl_fail(r, st, "%s", rl_strerror(st));
	if (r->error) {
		snprintf(c->why, sizeof c->why, "the workload could not run: %s", r->error_text);
		rl__model_assert_fail(c->why, __FILE__, __LINE__);
	}
	if (r->lost) {
		snprintf(c->why, sizeof c->why, "%s's invariant (%s): expected %lld %s, observed %lld (lost %lld)",
			 c->w->name, c->w->invariant, (long long)r->expected, r->unit, (long long)r->observed,
			 (long long)r->lost);
		rl__model_assert_fail(c->why, __FILE__, __LINE__);
	}
	static const char *const kinds[RL_CHECK_NKINDS] = {
		[RL_CHECK_SEND] = "Send", [RL_CHECK_SYNC] = "Sync", [RL_CHECK_USE_AFTER_FREE] = "use after free"};
	for (int k = 0; k < RL_CHECK_NKINDS; k++)
		if (r->reports[k]) {
			snprintf(c->why, sizeof c->why, "%s's owner check reported a %s violation: %s", c->w->name,
				 kinds[k], r->nmessages ? r->messages[0] : "");
			rl__model_assert_fail(c->why, __FILE__, __LINE__);
		}
}

void rl_workload_dfs_size(const struct rl_workload *w, const struct rl_workload_params *p, uint64_t *threads,
			  uint64_t *iters)
{
	*threads = p->threads ? p->threads : w->uses & RL_WP_THREADS ? RL_WL_DFS_THREADS : w->threads;
	if (p->iters)
		*iters = p->iters;
	else if (!(w->uses & RL_WP_ITERS) || (w->flags & RL_WF_WEAK))
		*iters = w->iters;
	else
		*iters = w->dfs_iters ? w->dfs_iters : RL_WL_DFS_ITERS;
}

int rl_workload_explore_dfs(const struct rl_workload *w, const struct rl_workload_params *p,
			    const rl_model_config *cfg, struct rl_workload_result *r, rl_model_result *out)
{
	memset(out, 0, sizeof *out);
	memset(r, 0, sizeof *r);
	r->live_at_free = UINT64_MAX;
	struct rl_workload_params q = *p;
	/* The parameter rules of a scheduled run apply: a workload the scheduler
	 * cannot run (it measures time, waits on what it does not see) is refused. */
	q.schedule = RL_PROBE_SCHEDULE_RANDOM;
	q.detect = true;
	q.trace = false;
	q.seed = 0;
	if (rl_workload_check_params(w, &q, r->error_text, sizeof r->error_text))
		return r->error = RL_EINVAL;
	rl_workload_dfs_size(w, p, &q.threads, &q.iters);
	if (q.check == RL_CHECK_ABORT) {
		snprintf(r->error_text, sizeof r->error_text,
			 "--check abort ends the process at the first report: a model exploration takes report or off");
		return r->error = RL_EINVAL;
	}

	static struct rl_workload_result fresh;
	memset(&fresh, 0, sizeof fresh);
	fresh.live_at_free = UINT64_MAX;
	fresh.verdict = RL_VERDICT_CLEAN;
	fresh.threads = q.threads;
	fresh.iters = q.iters;
	fresh.stack = q.stack ? q.stack : rl_thread_default_stack_size();
	fresh.main_stack = RL_MAIN_STACK_SIZE;
	fresh.check = q.check;
	fresh.invariant_held = true;
	fresh.sim.on = true;
	fresh.sim.detect = true;

	struct dfs_ctx c = {.w = w, .q = q, .r = r, .fresh = &fresh};
	rl_model_config mc = cfg ? *cfg : (rl_model_config){0};
	mc.should_stop = stopping;
	/* A workload that panics or leaks on purpose counts it in its result:
	 * as for a seeded explore, only races, deadlocks, broken invariants and
	 * owner-check reports are violations (rl_workload_violation). */
	mc.tolerate = (1u << RL_MODEL_PANIC) | (1u << RL_MODEL_LEAK);
	bool quarantine = w->flags & RL_WF_RACY;
	if (quarantine)
		rl_check_quarantine_begin();
	/* With capture_stderr, what the workload's threads print (a panic's
	 * message, once per schedule) is kept out of the way; the model's own
	 * complaints are passed on when it could not run. */
	int saved_err = -1;
	FILE *tmp = q.capture_stderr ? tmpfile() : NULL;
	if (tmp) {
		fflush(stderr);
		saved_err = dup(STDERR_FILENO);
		if (saved_err < 0 || dup2(fileno(tmp), STDERR_FILENO) < 0) {
			if (saved_err >= 0)
				close(saved_err);
			saved_err = -1;
			fclose(tmp);
			tmp = NULL;
		}
	}
	rl__wl_set_scheduled(true);
	int rc = rl_model(dfs_body, &c, &mc, out);
	rl__wl_set_scheduled(false);
	if (tmp) {
		fflush(stderr);
		dup2(saved_err, STDERR_FILENO);
		close(saved_err);
		if (rc != RL_OK) {
			rewind(tmp);
			char buf[4096];
			size_t n;
			while ((n = fread(buf, 1, sizeof buf, tmp)) > 0)
				fwrite(buf, 1, n, stderr);
		}
		fclose(tmp);
	}
	if (quarantine)
		rl_check_quarantine_end();
	r->interrupted = rl_workload_stopping();
	if (rc != RL_OK && !r->error) {
		snprintf(r->error_text, sizeof r->error_text, "the model checker could not run: %s", rl_strerror(rc));
		r->error = rc;
	}
	return rc;
}
