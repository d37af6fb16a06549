/* cmd_run.c — `racelab run NAME [options]` and `racelab list`.
 *
 * Exit status of run: 0 clean, 3 a violation (any verdict but clean), 2 bad
 * usage, 1 the workload could not run; with --expect V, 0 exactly when the
 * verdict matches V and 1 otherwise; 130 after Ctrl-C (the result printed
 * covers the work done until then).
 *
 * The options (cli.c parses those run shares with explore) go into the
 * runner's parameters as given; the runner validates and resolves them. A
 * scheduled run without --seed gets a fresh seed; the output prints it with
 * the command line that replays the run.
 */
#include <stdio.h>
#include <string.h>

#include <racelab/parse.h>
#include <racelab/status.h>
#include <racelab/thread.h>
#include <racelab/workload.h>

#include "cli.h"

static const struct rl_cli_opt run_opts[] = {
	{"--threads", "N", "worker threads (default: the workload's)", NULL},
	{"--iters", "N", "iterations per worker (default: the workload's)", NULL},
	{"--stack", "SIZE", "stack of each spawned thread (default 2M, or RACELAB_MIN_STACK)", NULL},
	{"--main-stack", "SIZE", "stack of the runtime main thread (default 8M)", NULL},
	{"--check", "report|abort|off",
	 "owner checks: report (default); abort: the run ends at the first violation (it\n"
	 "runs in a child process); off", NULL},
	{"--json", NULL, "one JSON object on one line instead of the text report", NULL},
	{"--expect", "VERDICT",
	 "exit 0 exactly when the verdict matches (send and sync are short for\n"
	 "send-violation and sync-violation; race also matches both)", NULL},
	{"--detect", "hb|off",
	 "hb: happens-before race detector (vector clocks): every race it reports names\n"
	 "both accesses, the missing edge and Rust's rule; the verdict is then race (or\n"
	 "send/sync-violation when the owner checks named the broken rule first); off: none\n"
	 "(the default, except for masked-race and masked-race-fixed)",
	 "Simulation (racelab's own detector and deterministic scheduler):"},
	{"--schedule", "os|random|pct",
	 "os (threads run in parallel), random or pct: racelab's scheduler runs one thread\n"
	 "at a time and picks who runs at every shared-memory operation; the same seed\n"
	 "replays the same interleaving", NULL},
	{"--seed", "S", "the scheduler's seed (default: a fresh one, printed)", NULL},
	{"--pct-depth", "D", "PCT's bug depth (default 3: two priority change points)", NULL},
	{"--pct-steps", "K",
	 "PCT's expected scheduling points per run (default 1000): change points are\n"
	 "drawn in [1, K]", NULL},
	{"--max-steps", "N", "stop serialising after N scheduling points (default 2000000)", NULL},
	{"--trace", NULL, "print the interleaving: thread, operation, object, value (under --json: a\n"
	 "\"trace\" array)", NULL},
	{"--timeline", "FILE.svg",
	 "draw the interleaving as a picture (SVG): a lane per thread, the\n"
	 "synchronisation as arrows, the racing pair in red", NULL},
	{0},
};

const struct rl_cli_help rl_cli_run_help = {
	.cmd = "run",
	.operand = "NAME",
	.intro = "Runs one workload of `racelab list` on the runtime's 8 MiB \"main\" thread and prints\n"
		 "its invariant (expected, observed, lost), the owner-check reports and a verdict:\n"
		 "clean, send-violation, sync-violation, race, deadlock, overflow, panic or leak.\n",
	.opts = run_opts,
	.outro = "Under --detect or --schedule, workloads default to a few hundred iterations (every\n"
		 "operation is a scheduling point). masked-race and masked-race-fixed run under the\n"
		 "scheduler (random, seed 1) with the detector by default; --schedule os runs them plainly.\n"
		 "Exit status: 0 clean, 3 violation, 2 bad usage, 1 could not run or --expect not met,\n"
		 "130 interrupted.\n",
};

int rl_cmd_run(int argc, char **argv)
{
	struct rl_workload_params p = {.check = RL_CHECK_REPORT, .given = RL_WG_COMMAND_LINE};
	const char *name = NULL;
	bool json = false, have_expect = false;
	enum rl_verdict expect = RL_VERDICT_CLEAN;
	for (int i = 1; i < argc; i++) {
		const char *v;
		bool missing = false, handled;
		if (argv[i][0] == '-' && argv[i][1] && !rl_cli_known(&rl_cli_run_help, argv[i]))
			return rl_cli_unknown(&rl_cli_run_help, argv[i]);
		int st = rl_cli_sim_option(argc, argv, &i, &p, &handled);
		if (!st && !handled)
			st = rl_cli_workload_option(argc, argv, &i, &p, true, &handled);
		if (st)
			return st;
		if (handled)
			continue;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			rl_cli_help(stdout, &rl_cli_run_help);
			return RL_EXIT_CLEAN;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if ((v = rl_cli_option(argc, argv, &i, "--main-stack", &missing)) || missing) {
			if (!v || rl_parse_size(v, &p.main_stack) || p.main_stack == 0)
				return rl_cli_usage_error("--main-stack needs a size such as 8M, not '%s'", v ? v : "");
		} else if ((v = rl_cli_option(argc, argv, &i, "--expect", &missing)) || missing) {
			if (!v || rl_verdict_parse(v, &expect))
				return rl_cli_usage_error("--expect takes clean, send-violation (send), sync-violation (sync), "
							  "race, deadlock, overflow, panic or leak, not '%s'", v ? v : "");
			have_expect = true;
		} else if (argv[i][0] == '-') {
			return rl_cli_unknown(&rl_cli_run_help, argv[i]);
		} else if (!name) {
			name = argv[i];
		} else {
			return rl_cli_usage_error("run: one workload at a time ('%s' and '%s')", name, argv[i]);
		}
	}
	const struct rl_workload *w;
	int st = rl_cli_find_workload("run", name, &w);
	if (st)
		return st;
	if ((w->flags & RL_WF_WEAK) && p.schedule == RL_PROBE_SCHEDULE_DEFAULT) {
		/* Its bug exists only under weak memory, which only rl_model() models. */
		fprintf(stderr, "racelab: %s shows weak memory: running every schedule under rl_model()'s RC11 "
			"model, as 'racelab explore %s --strategy dfs'\n", w->name, w->name);
		int est = rl_cli_explore_dfs(w, &p, 0, NULL, json);
		if (!have_expect || (est != RL_EXIT_CLEAN && est != RL_EXIT_VIOLATION))
			return est;
		enum rl_verdict got = est == RL_EXIT_VIOLATION ? RL_VERDICT_RACE : RL_VERDICT_CLEAN;
		return rl_verdict_matches(expect, got) ? RL_EXIT_CLEAN : RL_EXIT_FAILED;
	}
	bool print_trace = p.trace;
	st = rl_cli_timeline_prepare(w, &p);
	if (st)
		return st;
	char why[RL_WL_TEXT];
	if (rl_workload_check_params(w, &p, why, sizeof why))
		return rl_cli_usage_error("%s", why);

	rl_cli_catch_sigint();
	static struct rl_workload_result r;
	fflush(stdout);
	rl_workload_run(w, &p, &r);
	rl_cli_json_trace = print_trace;
	if (json)
		rl_cli_print_json(stdout, w, &r, have_expect ? &expect : NULL);
	else
		rl_cli_print_text(stdout, w, &r, have_expect ? &expect : NULL);
	if (print_trace && !json && r.sim.on) {
		printf("  interleaving (%zu records):\n", rl_probe_trace_len());
		rl_probe_trace_print(stdout);
	}
	fflush(stdout);
	int tst = r.error ? 0 : rl_cli_timeline_write(w, &r);
	rl_probe_reset();
	if (r.error)
		fprintf(stderr, "racelab: %s: %s\n", w->name, r.error_text);
	return tst ? tst : rl_cli_exit_status(&r, have_expect ? &expect : NULL);
}

/* A workload whose point is a data race (or the Send/Sync rule a race breaks). */
static bool list_racy(const struct rl_workload *w)
{
	return w->expected == RL_VERDICT_RACE || w->expected == RL_VERDICT_SEND || w->expected == RL_VERDICT_SYNC;
}

/* What a ThreadSanitizer build of the run shows: the quarantined racy workloads
 * and the other natively racy ones race under the OS schedule; RL_WF_SIMULATE
 * ones only in some interleavings. */
static const char *list_tsan(const struct rl_workload *w)
{
	if (w->flags & RL_WF_RACY)
		return "race";
	if (w->flags & (RL_WF_SIMULATE | RL_WF_WEAK))
		return "-";
	/* Racy in every interleaving, the OS's included (barrier-phases-unsynced). */
	return w->expected == RL_VERDICT_RACE ? "race" : "clean";
}

int rl_cmd_list(int argc, char **argv)
{
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			rl_cli_help(stdout, &rl_cli_list_help);
			return RL_EXIT_CLEAN;
		} else if (argv[i][0] == '-')
			return rl_cli_unknown(&rl_cli_list_help, argv[i]);
		else
			return rl_cli_usage_error("list: unknown argument '%s'", argv[i]);
	}
	const struct rl_workload *ws;
	size_t n = rl_workloads(&ws);
	int wname = 4, wexp = 8; /* columns as wide as their longest entry */
	for (size_t i = 0; i < n; i++) {
		int ln = (int)strlen(ws[i].name), le = (int)strlen(rl_verdict_name(ws[i].expected));
		wname = ln > wname ? ln : wname;
		wexp = le > wexp ? le : wexp;
	}
	if (!json)
		printf("%-*s  %-*s  %-3s %-7s %-5s  %s\n", wname, "NAME", wexp, "EXPECTED", "SIM", "EXPLORE", "TSAN",
		       "CONCEPT / WHAT IT DOES");
	for (size_t i = 0; i < n; i++) {
		const struct rl_workload *w = &ws[i];
		bool sim = !(w->flags & RL_WF_NO_SCHEDULE);
		const char *tsan = list_tsan(w);
		if (json) {
			fputs("{\"type\":\"workload\",\"workload\":", stdout);
			rl_cli_json_string(stdout, w->name);
			printf(",\"expected_verdict\":\"%s\",\"concept\":", rl_verdict_name(w->expected));
			rl_cli_json_string(stdout, w->concept);
			fputs(",\"summary\":", stdout);
			rl_cli_json_string(stdout, w->summary);
			fputs(",\"invariant\":", stdout);
			rl_cli_json_string(stdout, w->invariant);
			printf(",\"params\":{\"threads\":%s,\"iters\":%s,\"stack\":%s}",
			       w->uses & RL_WP_THREADS ? "true" : "false", w->uses & RL_WP_ITERS ? "true" : "false",
			       w->uses & RL_WP_STACK ? "true" : "false");
			printf(",\"defaults\":{\"threads\":%llu,\"iters\":%llu}", (unsigned long long)w->threads,
			       (unsigned long long)w->iters);
			fputs(",\"twin\":", stdout);
			if (w->twin)
				rl_cli_json_string(stdout, w->twin);
			else
				fputs("null", stdout);
			printf(",\"supports\":{\"simulate\":%s,\"explore\":%s,\"tsan\":\"%s\"}", sim ? "true" : "false",
			       sim ? "true" : "false", tsan);
			printf(",\"racy\":%s}\n", list_racy(w) ? "true" : "false");
			continue;
		}
		printf("%-*s  %-*s  %-3s %-7s %-5s  %s\n", wname, w->name, wexp, rl_verdict_name(w->expected),
		       sim ? "yes" : "-", sim ? "yes" : "-", tsan, w->concept);
		printf("%-*s  %-*s  %-3s %-7s %-5s  %s\n", wname, "", wexp, "", "", "", "", w->summary);
	}
	if (!json)
		printf("\nSIM: takes --detect and --schedule; EXPLORE: takes racelab explore; TSAN: what a\n"
		       "ThreadSanitizer build reports (race, clean, or - when the race shows only under\n"
		       "racelab's scheduler).\n"
		       "Run one with 'racelab run NAME' (options: racelab help run); 'racelab demo' runs them all.\n");
	return RL_EXIT_CLEAN;
}
