/* main.c — the racelab command line: dispatches to the subcommands.
 *
 * Exit status: 0 success/clean, 2 bad usage, 3 a violation was detected.
 * Bad input gets one line on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <racelab/parse.h>
#include <racelab/status.h>
#include <racelab/thread.h>
#include <racelab/version.h>

#include "bench.h"
#include "cli.h"


static const char usage_text[] =
	"usage: racelab <command> [options]\n"
	"\n"
	"racelab re-creates Rust's ownership and concurrency model (Rc, Arc, Weak,\n"
	"Mutex, Send, Sync, 2 MiB thread stacks) in C on pthreads, and shows with\n"
	"numbers what the type system prevents.\n"
	"\n"
	"commands:\n"
	"  list [--json]  the workload catalog: name, expected verdict, concept\n"
	"  run NAME [--threads N] [--iters N] [--stack SIZE] [--main-stack SIZE]\n"
	"           [--check report|abort|off] [--json] [--expect VERDICT]\n"
	"           [--detect hb|off] [--schedule os|random|pct] [--seed S] [--pct-depth D]\n"
	"           [--pct-steps K] [--max-steps N] [--trace] [--timeline FILE.svg]\n"
	"                 run one workload: its invariant (expected, observed, lost),\n"
	"                 the owner-check reports and a verdict; --detect hb adds racelab's\n"
	"                 happens-before detector, --schedule its deterministic scheduler\n"
	"  explore NAME [--schedules N] [--strategy pct|random|dfs] [--seed S] [--pct-depth D]\n"
	"           [--threads N] [--iters N] [--stack SIZE] [--check report|off] [--json]\n"
	"           [--timeline FILE.svg] [--replay TOKEN]\n"
	"                 run NAME under the scheduler, seed after seed, until the first\n"
	"                 race, lost update or deadlock: the interleaving that shows it and\n"
	"                 the command that replays it\n"
	"  demo [--json]  a guided tour: every workload, each verdict explained\n"
	"  layout [--json]\n"
	"                 sizes and alignments of racelab's types beside Rust's\n"
	"  bench [options] what Rc, Arc, Mutex and RCU cost on this CPU (racelab bench --help)\n"
	"  stack [--threads N] [--stack SIZE] [--touch SIZE] [--live N] [--json]\n"
	"                 spawn threads with the default (2 MiB) and a custom stack size\n"
	"                 and print reserved vs touched stack memory per thread;\n"
	"                 --live N keeps N threads alive and prints the resident memory\n"
	"  help [CMD]     this text, or CMD's help with every option it takes (= racelab CMD --help)\n"
	"\n"
	"options:\n"
	"  -h, --help     this text\n"
	"  -V, --version  print the version\n"
	"\n"
	"Sizes take K, M, G suffixes (powers of 1024): 2M, 512K.\n"
	"Verdicts: clean, send-violation, sync-violation, race, deadlock, overflow, panic, leak.\n"
	"Exit status: 0 clean, 3 violation detected, 2 bad usage, 1 could not run or\n"
	"--expect not met, 130 interrupted (Ctrl-C ends a run with what it measured).\n";

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_text, stdout);
		return RL_EXIT_CLEAN;
	}
	rl_cli_prog = argv[0];
	const char *cmd = argv[1];
	if (!strcmp(cmd, "help") && argc > 2) {
		/* racelab help CMD = racelab CMD --help */
		if (argc > 3)
			return rl_cli_usage_error("help: one command at a time ('%s' and '%s')", argv[2], argv[3]);
		if (!strcmp(argv[2], "bench"))
			return rl_bench_main(2, (char *[]){"bench", "--help", NULL});
		if (!strcmp(argv[2], "help")) {
			fputs(usage_text, stdout);
			return RL_EXIT_CLEAN;
		}
		if (rl_cli_help_command(argv[2]) == 0)
			return RL_EXIT_CLEAN;
		return rl_cli_usage_error("help: unknown command '%s' (try 'racelab --help')", argv[2]);
	}
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		fputs(usage_text, stdout);
		return RL_EXIT_CLEAN;
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		printf("racelab %s\n", rl_version());
		return RL_EXIT_CLEAN;
	}
	if (!strcmp(cmd, "demo"))
		return rl_cmd_demo(argc - 1, argv + 1);
	if (!strcmp(cmd, "run"))
		return rl_cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "explore"))
		return rl_cmd_explore(argc - 1, argv + 1);
	if (!strcmp(cmd, "list"))
		return rl_cmd_list(argc - 1, argv + 1);
	if (!strcmp(cmd, "layout"))
		return rl_cmd_layout(argc - 1, argv + 1);
	if (!strcmp(cmd, "bench"))
		return rl_bench_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "stack"))
		return rl_cmd_stack(argc - 1, argv + 1);
	return rl_cli_usage_error("unknown command '%s' (try 'racelab --help')", cmd);
}
