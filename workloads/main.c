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

#include "cli.h"

#ifndef RACELAB_VERSION
#define RACELAB_VERSION "0.0.0"
#endif

static const char usage_text[] =
	"usage: racelab <command> [options]\n"
	"\n"
	"racelab re-creates Rust's ownership and concurrency model (Rc, Arc, Weak,\n"
	"Mutex, Send, Sync, 2 MiB thread stacks) in C on pthreads, and shows with\n"
	"numbers what the type system prevents.\n"
	"\n"
	"commands:\n"
	"  stack [--threads N] [--stack SIZE] [--touch SIZE] [--live N]\n"
	"                 spawn threads with the default (2 MiB) and a custom stack size\n"
	"                 and print reserved vs touched stack memory per thread;\n"
	"                 --live N keeps N threads alive and prints the resident memory\n"
	"  demo           a guided tour of the concepts racelab shows\n"
	"  help           this text\n"
	"\n"
	"options:\n"
	"  -h, --help     this text\n"
	"  -V, --version  print the version\n"
	"\n"
	"Sizes take K, M, G suffixes (powers of 1024): 2M, 512K.\n"
	"Exit status: 0 clean, 2 bad usage, 3 violation detected.\n";

int rl_cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("racelab: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return RL_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_text, stdout);
		return RL_EXIT_CLEAN;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		fputs(usage_text, stdout);
		return RL_EXIT_CLEAN;
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		printf("racelab %s\n", RACELAB_VERSION);
		return RL_EXIT_CLEAN;
	}
	if (!strcmp(cmd, "demo")) {
		/* The guided tour grows with the catalog; today it is the thread runtime. */
		fputs(usage_text, stdout);
		puts("\n== demo: thread stacks are reserved, not committed ==");
		return rl_cmd_stack(1, (char *[]){"stack", NULL});
	}
	if (!strcmp(cmd, "stack"))
		return rl_cmd_stack(argc - 1, argv + 1);
	return rl_cli_usage_error("unknown command '%s' (try 'racelab --help')", cmd);
}
