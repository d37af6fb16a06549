/* cmd_run.c — `racelab run NAME [options]` and `racelab list`.
 *
 * Exit status of run: 0 clean, 3 a violation (any verdict but clean), 2 bad
 * usage, 1 the workload could not run; with --expect V, 0 exactly when the
 * verdict matches V and 1 otherwise; 130 after Ctrl-C (the result printed
 * covers the work done until then).
 *
 * Simulation options (--detect, --schedule, --seed, --pct-depth, --max-steps,
 * --trace) are parsed here for run and explore. A scheduled run without
 * --seed gets a fresh seed from the clock; the output prints it with the
 * command line that replays the run.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <racelab/parse.h>
#include <racelab/status.h>
#include <racelab/thread.h>
#include <racelab/workload.h>

#include "cli.h"

static void on_sigint(int sig)
{
	(void)sig;
	rl_workload_stop();
}

void rl_cli_catch_sigint(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	/* A second Ctrl-C ends the process the usual way. */
	sa.sa_flags = SA_RESETHAND | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	rl_workload_reset_stop();
}

int rl_cli_exit_status(const struct rl_workload_result *r, const enum rl_verdict *expect)
{
	if (r->error)
		return RL_EXIT_FAILED;
	if (expect)
		return rl_verdict_matches(*expect, r->verdict) ? RL_EXIT_CLEAN : RL_EXIT_FAILED;
	if (r->interrupted)
		return RL_EXIT_INTERRUPTED;
	return r->verdict == RL_VERDICT_CLEAN ? RL_EXIT_CLEAN : RL_EXIT_VIOLATION;
}

/* "--name VALUE" or "--name=VALUE" at argv[*i]. Return: the value, NULL if
 * @opt does not name this option; *@missing when it does but has no value. */
const char *rl_cli_option(int argc, char **argv, int *i, const char *opt, bool *missing)
{
	size_t n = strlen(opt);
	const char *a = argv[*i];
	if (strncmp(a, opt, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] != '\0')
		return NULL;
	const char *v = rl_cli_value(argc, argv, i);
	if (!v)
		*missing = true;
	return v;
}

uint64_t rl_cli_fresh_seed(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t z = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ ((uint64_t)getpid() << 17);
	/* splitmix64's finaliser; then nine digits, easy to retype. */
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return (z ^ (z >> 31)) % 1000000000u;
}

int rl_cli_sim_option(int argc, char **argv, int *i, struct rl_workload_params *p, struct rl_cli_sim *sim,
		      bool *handled)
{
	const char *v;
	bool missing = false;
	*handled = true;
	if ((v = rl_cli_option(argc, argv, i, "--detect", &missing)) || missing) {
		if (v && (!strcmp(v, "hb") || !strcmp(v, "on")))
			p->detect = true;
		else if (v && (!strcmp(v, "off") || !strcmp(v, "none")))
			p->detect = false;
		else
			return rl_cli_usage_error("--detect takes hb or off, not '%s'", v ? v : "");
		sim->detect_given = true;
	} else if ((v = rl_cli_option(argc, argv, i, "--schedule", &missing)) || missing) {
		if (v && (!strcmp(v, "os") || !strcmp(v, "none")))
			p->schedule = RL_WL_SCHED_OS;
		else if (v && !strcmp(v, "random"))
			p->schedule = RL_WL_SCHED_RANDOM;
		else if (v && !strcmp(v, "pct"))
			p->schedule = RL_WL_SCHED_PCT;
		else
			return rl_cli_usage_error("--schedule takes os, random or pct, not '%s'", v ? v : "");
	} else if ((v = rl_cli_option(argc, argv, i, "--seed", &missing)) || missing) {
		if (!v || rl_parse_u64(v, 0, UINT64_MAX, &p->seed))
			return rl_cli_usage_error("--seed needs a whole number, not '%s'", v ? v : "");
		sim->seed_given = true;
	} else if ((v = rl_cli_option(argc, argv, i, "--pct-depth", &missing)) || missing) {
		uint64_t d;
		if (!v || rl_parse_u64(v, 1, 64, &d))
			return rl_cli_usage_error("--pct-depth needs a whole number from 1 to 64, not '%s'", v ? v : "");
		p->pct_depth = (unsigned)d;
	} else if ((v = rl_cli_option(argc, argv, i, "--pct-steps", &missing)) || missing) {
		if (!v || rl_parse_u64(v, 1, UINT64_MAX, &p->pct_steps))
			return rl_cli_usage_error("--pct-steps needs a whole number of at least 1, not '%s'", v ? v : "");
	} else if ((v = rl_cli_option(argc, argv, i, "--max-steps", &missing)) || missing) {
		if (!v || rl_parse_u64(v, 1, UINT64_MAX, &p->max_steps))
			return rl_cli_usage_error("--max-steps needs a whole number of at least 1, not '%s'", v ? v : "");
	} else if (!strcmp(argv[*i], "--trace")) {
		p->trace = true;
	} else {
		*handled = false;
	}
	return RL_EXIT_CLEAN;
}

int rl_cli_sim_check(const struct rl_workload *w, struct rl_workload_params *p, const struct rl_cli_sim *sim)
{
	bool scheduled = p->schedule == RL_WL_SCHED_RANDOM || p->schedule == RL_WL_SCHED_PCT;
	bool simulate = (w->flags & RL_WF_SIMULATE) && p->schedule == RL_WL_SCHED_DEFAULT;
	if (!scheduled && !simulate) {
		if (sim->seed_given)
			return rl_cli_usage_error("--seed applies to a scheduled run: add --schedule random or pct");
		if (p->max_steps)
			return rl_cli_usage_error("--max-steps applies to a scheduled run: add --schedule random or pct");
		if (p->trace && !p->detect)
			return rl_cli_usage_error("--trace needs --detect hb or --schedule random|pct");
	}
	bool pct = p->schedule == RL_WL_SCHED_PCT || (simulate && RL_WL_SIM_SCHEDULE == RL_WL_SCHED_PCT);
	if (p->pct_depth && !pct)
		return rl_cli_usage_error("--pct-depth applies to --schedule pct");
	if (p->pct_steps && !pct)
		return rl_cli_usage_error("--pct-steps applies to --schedule pct");
	if (simulate && sim->detect_given && !p->detect) {
		/* The default run of a simulated workload, without the detector. */
		p->schedule = RL_WL_SIM_SCHEDULE;
		if (!sim->seed_given)
			p->seed = RL_WL_SIM_SEED;
	} else if (scheduled && !sim->seed_given) {
		p->seed = rl_cli_fresh_seed();
	}
	return RL_EXIT_CLEAN;
}

static const char run_usage[] =
	"usage: racelab run NAME [--threads N] [--iters N] [--stack SIZE] [--main-stack SIZE]\n"
	"                        [--check report|abort|off] [--json] [--expect VERDICT]\n"
	"                        [--detect hb] [--schedule os|random|pct] [--seed S]\n"
	"                        [--pct-depth D] [--max-steps N] [--trace]\n"
	"\n"
	"Runs one workload of `racelab list` on the runtime's 8 MiB \"main\" thread and prints\n"
	"its invariant (expected, observed, lost), the owner-check reports and a verdict:\n"
	"clean, send-violation, sync-violation, race, deadlock, overflow, panic or leak.\n"
	"  --threads N        worker threads (default: the workload's)\n"
	"  --iters N          iterations per worker (default: the workload's)\n"
	"  --stack SIZE       stack of each spawned thread (default 2M, or RACELAB_MIN_STACK)\n"
	"  --main-stack SIZE  stack of the runtime main thread (default 8M)\n"
	"  --check MODE       owner checks: report (default), abort (the run dies at the first\n"
	"                     violation; it runs in a child process), off\n"
	"  --json             one JSON object on one line instead of the text report\n"
	"  --expect VERDICT   exit 0 exactly when the verdict matches (send and sync are short\n"
	"                     for send-violation and sync-violation; race also matches both)\n"
	"Simulation (racelab's own detector and deterministic scheduler):\n"
	"  --detect hb        happens-before race detector (vector clocks): every race it\n"
	"                     reports names both accesses, the missing edge and Rust's rule;\n"
	"                     the verdict is then race (or send/sync-violation when the owner\n"
	"                     checks named the broken rule first)\n"
	"  --schedule MODE    os (threads run in parallel), random or pct: racelab's scheduler\n"
	"                     runs one thread at a time and picks who runs at every shared-memory\n"
	"                     operation; the same seed replays the same interleaving\n"
	"  --seed S           the scheduler's seed (default: a fresh one, printed)\n"
	"  --pct-depth D      PCT's bug depth (default 3: two priority change points)\n"
	"  --pct-steps K      PCT's expected scheduling points per run (default 1000): change\n"
	"                     points are drawn in [1, K]\n"
	"  --max-steps N      stop serialising after N scheduling points (default 2000000)\n"
	"  --trace            print the interleaving: thread, operation, object, value\n"
	"Under --detect or --schedule, workloads default to a few hundred iterations (every\n"
	"operation is a scheduling point). masked-race and masked-race-fixed run under the\n"
	"scheduler (random, seed 1) with the detector by default; --schedule os runs them plainly.\n"
	"Exit status: 0 clean, 3 violation, 2 bad usage, 1 could not run or --expect not met,\n"
	"130 interrupted.\n";

int rl_cli_workload_option(int argc, char **argv, int *i, struct rl_workload_params *p, bool allow_abort,
			   bool *handled)
{
	const char *v;
	bool missing = false;
	*handled = true;
	if ((v = rl_cli_option(argc, argv, i, "--threads", &missing)) || missing) {
		if (!v || rl_parse_u64(v, 1, UINT64_MAX, &p->threads))
			return rl_cli_usage_error("--threads needs a whole number of at least 1, not '%s'", v ? v : "");
	} else if ((v = rl_cli_option(argc, argv, i, "--iters", &missing)) || missing) {
		if (!v || rl_parse_u64(v, 1, UINT64_MAX, &p->iters))
			return rl_cli_usage_error("--iters needs a whole number of at least 1, not '%s'", v ? v : "");
	} else if ((v = rl_cli_option(argc, argv, i, "--stack", &missing)) || missing) {
		if (!v || rl_parse_size(v, &p->stack) || p->stack == 0)
			return rl_cli_usage_error("--stack needs a size such as 512K or 2M, not '%s'", v ? v : "");
	} else if ((v = rl_cli_option(argc, argv, i, "--check", &missing)) || missing) {
		if (v && !strcmp(v, "report"))
			p->check = RL_CHECK_REPORT;
		else if (v && allow_abort && !strcmp(v, "abort"))
			p->check = RL_CHECK_ABORT;
		else if (v && !strcmp(v, "off"))
			p->check = RL_CHECK_OFF;
		else if (allow_abort)
			return rl_cli_usage_error("--check takes report, abort or off, not '%s'", v ? v : "");
		else
			return rl_cli_usage_error("--check takes report or off here, not '%s'", v ? v : "");
	} else {
		*handled = false;
	}
	return 0;
}

int rl_cli_find_workload(const char *cmd, const char *name, const struct rl_workload **out)
{
	if (!name)
		return rl_cli_usage_error("%s: which workload? (see 'racelab list')", cmd);
	*out = rl_workload_find(name);
	if (*out)
		return 0;
	const char *s = rl_workload_suggest(name);
	if (s)
		return rl_cli_usage_error("unknown workload '%s'; did you mean '%s'? (see 'racelab list')", name, s);
	return rl_cli_usage_error("unknown workload '%s' (see 'racelab list')", name);
}

int rl_cmd_run(int argc, char **argv)
{
	struct rl_workload_params p = {.check = RL_CHECK_REPORT};
	struct rl_cli_sim sim = {0};
	const char *name = NULL;
	bool json = false, have_expect = false;
	enum rl_verdict expect = RL_VERDICT_CLEAN;
	for (int i = 1; i < argc; i++) {
		const char *v;
		bool missing = false, handled;
		int st = rl_cli_sim_option(argc, argv, &i, &p, &sim, &handled);
		if (!st && !handled)
			st = rl_cli_workload_option(argc, argv, &i, &p, true, &handled);
		if (st)
			return st;
		if (handled)
			continue;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(run_usage, stdout);
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
			return rl_cli_usage_error("run: unknown option '%s' (try 'racelab run --help')", argv[i]);
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
	st = rl_cli_sim_check(w, &p, &sim);
	if (st)
		return st;
	char why[RL_WL_TEXT];
	if (rl_workload_check_params(w, &p, why, sizeof why))
		return rl_cli_usage_error("%s", why);

	rl_cli_catch_sigint();
	static struct rl_workload_result r;
	fflush(stdout);
	rl_workload_run(w, &p, &r);
	if (json)
		rl_cli_print_json(stdout, w, &r, have_expect ? &expect : NULL);
	else
		rl_cli_print_text(stdout, w, &r, have_expect ? &expect : NULL);
	if (p.trace && !json && r.sim.on) {
		printf("  interleaving (%zu records):\n", rl_probe_trace_len());
		rl_probe_trace_print(stdout);
	}
	rl_probe_reset();
	fflush(stdout);
	if (r.error)
		fprintf(stderr, "racelab: %s: %s\n", w->name, r.error_text);
	return rl_cli_exit_status(&r, have_expect ? &expect : NULL);
}

int rl_cmd_list(int argc, char **argv)
{
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			puts("usage: racelab list [--json]\n\nThe workload catalog: name, expected verdict, the seed concept it shows,\nwhat it does.");
			return RL_EXIT_CLEAN;
		} else
			return rl_cli_usage_error("list: unknown argument '%s'", argv[i]);
	}
	const struct rl_workload *ws;
	size_t n = rl_workloads(&ws);
	if (!json)
		printf("%-15s %-15s %s\n", "NAME", "EXPECTED", "CONCEPT / WHAT IT DOES");
	for (size_t i = 0; i < n; i++) {
		const struct rl_workload *w = &ws[i];
		if (json) {
			fputs("{\"name\":", stdout);
			rl_cli_json_string(stdout, w->name);
			printf(",\"expected\":\"%s\",\"concept\":", rl_verdict_name(w->expected));
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
			printf(",\"racy\":%s}\n", w->flags & RL_WF_RACY ? "true" : "false");
			continue;
		}
		printf("%-15s %-15s %s\n", w->name, rl_verdict_name(w->expected), w->concept);
		printf("%-15s %-15s %s\n", "", "", w->summary);
	}
	if (!json)
		printf("\nRun one with 'racelab run NAME' (options: racelab run --help); 'racelab demo' runs them all.\n");
	return RL_EXIT_CLEAN;
}
