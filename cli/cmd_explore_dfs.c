/* cmd_explore_dfs.c — `racelab explore NAME --strategy dfs`: every schedule.
 *
 * The workload runs under rl_model()'s DFS with dynamic partial-order
 * reduction (workloads/explore_dfs.c): each class of equivalent
 * interleavings once, at a small size (2 threads, 2 iterations unless
 * given). "complete" is printed only when the model says so: nothing within
 * the bounds was skipped. A failing schedule prints the model's report, its
 * interleaving and the replay line (RACELAB_REPLAY=<token>, or --replay).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <racelab/model.h>
#include <racelab/status.h>
#include <racelab/workload.h>

#include "cli.h"

/* "racelab explore NAME --strategy dfs" with the sizes that were explored. */
static void replay_command(char *buf, size_t len, const struct rl_workload *w, const struct rl_workload_params *p,
			   const struct rl_workload_result *r)
{
	int n = snprintf(buf, len, "racelab explore %s --strategy dfs", w->name);
	if (n > 0 && (size_t)n < len && (w->uses & RL_WP_THREADS))
		n += snprintf(buf + n, len - (size_t)n, " --threads %llu", (unsigned long long)r->threads);
	if (n > 0 && (size_t)n < len && (w->uses & RL_WP_ITERS))
		n += snprintf(buf + n, len - (size_t)n, " --iters %llu", (unsigned long long)r->iters);
	if (n > 0 && (size_t)n < len && p->stack)
		n += snprintf(buf + n, len - (size_t)n, " --stack %zu", p->stack);
	if (n > 0 && (size_t)n < len && p->check == RL_CHECK_OFF)
		snprintf(buf + n, len - (size_t)n, " --check off");
}

/* The failing schedule's detector report, as data (rl_model_config.report_sink). */
struct failure_report {
	bool found;
	struct rl_wl_report data;
	char text[RL_WL_SIM_REPORT];
};

static void keep_report(const rl_probe_report *rep, void *ctx)
{
	struct failure_report *f = ctx;
	rl_wl_report_from_probe(&f->data, rep);
	snprintf(f->text, sizeof f->text, "%s", rep->text ? rep->text : "");
	f->found = true;
}

/* The JSON report of a failure: the detector's, else the owner check's, else
 * the model's one line under the failure's name (assertion, panic, leak, ...). */
static void print_failure_report(const struct failure_report *f, const struct rl_workload_result *r,
				 const rl_model_result *m)
{
	if (f->found) {
		rl_cli_json_report(stdout, &f->data, f->text);
		return;
	}
	if (r->nmessages && r->message_data[0].kind[0]) {
		rl_cli_json_report(stdout, &r->message_data[0], r->messages[0]);
		return;
	}
	struct rl_wl_report d = {0};
	const char *name = m->failure == RL_MODEL_RACE ? "race" : rl_model_failure_name(m->failure);
	for (size_t i = 0; name[i] && i + 1 < sizeof d.kind; i++)
		d.kind[i] = name[i] == ' ' ? '_' : name[i];
	rl_cli_json_report(stdout, &d, m->message);
}

/* The failing schedule's verdict: the model ends a deadlocked schedule by
 * unwinding its threads, which the workload's result counts as panics. */
static enum rl_verdict failure_verdict(const rl_model_result *m, const struct rl_workload_result *r)
{
	if (m->failure == RL_MODEL_DEADLOCK)
		return RL_VERDICT_DEADLOCK;
	if (r->verdict == RL_VERDICT_CLEAN || r->verdict == RL_VERDICT_PANIC)
		return m->failure == RL_MODEL_PANIC ? RL_VERDICT_PANIC
		       : m->failure == RL_MODEL_LEAK ? RL_VERDICT_LEAK : RL_VERDICT_RACE;
	return r->verdict;
}

int rl_cli_explore_dfs(const struct rl_workload *w, const struct rl_workload_params *p, uint64_t schedules,
		       const char *replay, bool json)
{
	static struct rl_workload_result r;
	rl_model_result m;
	char cmd[512];
	struct rl_workload_params q = *p;
	/* The sizes first, so that the replay line can name them. */
	rl_workload_dfs_size(w, &q, &r.threads, &r.iters);
	replay_command(cmd, sizeof cmd, w, &q, &r);
	/* The workload's own rules first, so that a refusal is the only output. */
	struct rl_workload_params chk = q;
	chk.schedule = RL_PROBE_SCHEDULE_RANDOM;
	char why[RL_WL_TEXT];
	if (rl_workload_check_params(w, &chk, why, sizeof why))
		return rl_cli_usage_error("%s", why);
	static struct failure_report fr;
	memset(&fr, 0, sizeof fr);
	rl_model_config cfg = {
		.report_sink = keep_report,
		.report_ctx = &fr,
		.max_schedules = schedules,
		.replay = replay,
		.report_file = stdout,
		.replay_command = cmd,
		.timeline = rl_cli_timeline,
		.quiet = json,
	};
	if (!json) {
		printf("racelab explore %s: every schedule (DFS with partial-order reduction), ", w->name);
		if (w->uses & RL_WP_THREADS)
			printf("%llu threads, ", (unsigned long long)r.threads);
		printf("%llu %s, with the happens-before detector and the RC11 memory model%s\n",
		       (unsigned long long)r.iters, w->iters_unit ? w->iters_unit : "iterations",
		       replay ? " (a replay)" : "");
		fflush(stdout);
	}
	rl_cli_catch_sigint();
	int rc = rl_workload_explore_dfs(w, &q, &cfg, &r, &m);
	if (rc != RL_OK) {
		fprintf(stderr, "racelab: %s: %s\n", w->name, r.error_text);
		return rc == RL_EINVAL ? RL_EXIT_USAGE : RL_EXIT_FAILED;
	}
	bool found = m.failure != RL_MODEL_PASSED;
	if (json) {
		printf("{\"type\":\"explore\",\"workload\":");
		rl_cli_json_string(stdout, w->name);
		printf(",\"expected_verdict\":\"%s\"", rl_verdict_name(w->expected));
		printf(",\"strategy\":\"dfs\",\"memory\":\"%s\",\"threads\":%llu,\"iters\":%llu,\"schedules\":%" PRIu64
		       ",\"executions\":%" PRIu64 ",\"redundant\":%" PRIu64 ",\"max_depth\":%" PRIu64 ",\"complete\":%s,\"found\":%s",
		       m.memory == RL_MEMORY_SC ? "sc" : "rc11", (unsigned long long)r.threads, (unsigned long long)r.iters,
		       m.schedules, m.executions, m.redundant,
		       m.max_depth, m.complete ? "true" : "false", found ? "true" : "false");
		printf(",\"failure\":");
		if (found) {
			rl_cli_json_string(stdout, rl_model_failure_name(m.failure));
			printf(",\"message\":");
			rl_cli_json_string(stdout, m.message);
			printf(",\"token\":");
			rl_cli_json_string(stdout, m.replay);
			char line[RL_MODEL_REPLAY_MAX + sizeof cmd + 32];
			snprintf(line, sizeof line, "RACELAB_REPLAY=%s %s", m.replay, cmd);
			printf(",\"replay\":");
			rl_cli_json_string(stdout, line);
			printf(",\"verdict\":\"%s\",\"report\":", rl_verdict_name(failure_verdict(&m, &r)));
			print_failure_report(&fr, &r, &m);
		} else {
			fputs("null", stdout);
		}
		printf(",\"seconds\":%.6f,\"interrupted\":%s}\n", m.seconds, m.stopped ? "true" : "false");
	} else if (found) {
		printf("\nviolation in schedule %" PRIu64 ": %s: %s\n", m.schedules, rl_model_failure_name(m.failure),
		       m.message);
		printf("replay:  RACELAB_REPLAY=%s %s   (or --replay %s)\n", m.replay, cmd, m.replay);
	} else if (m.stopped) {
		printf("interrupted after %" PRIu64 " schedules: no violation so far (not complete)\n", m.schedules);
	} else if (m.complete) {
		printf("complete: no violation in %" PRIu64 " schedule%s (every class of equivalent interleavings; "
		       "%" PRIu64 " distinct executions of the atomics; %" PRIu64 " redundant runs cut by sleep sets; "
		       "at most %" PRIu64 " scheduling points; %.2f s)\n",
		       m.schedules, m.schedules == 1 ? "" : "s", m.executions, m.redundant, m.max_depth, m.seconds);
	} else if (replay) {
		printf("the replayed schedule showed no violation\n");
	} else {
		printf("no violation in %" PRIu64 " schedules, but not complete: --schedules %" PRIu64
		       " stopped the exploration before every schedule ran\n",
		       m.schedules, schedules);
	}
	fflush(stdout);
	if (m.timeline_error)
		return RL_EXIT_FAILED;
	if (found)
		return RL_EXIT_VIOLATION;
	return m.stopped ? RL_EXIT_INTERRUPTED : RL_EXIT_CLEAN;
}
