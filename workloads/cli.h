/* cli.h — shared by the racelab subcommands (workloads/). */
#ifndef RACELAB_CLI_H
#define RACELAB_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include <racelab/workload.h>

enum {
	RL_EXIT_CLEAN = 0,
	RL_EXIT_FAILED = 1,      /* could not run, or --expect not met */
	RL_EXIT_USAGE = 2,
	RL_EXIT_VIOLATION = 3,
	RL_EXIT_INTERRUPTED = 130,
};

/* Print "racelab: <message>" on stderr; Return: RL_EXIT_USAGE. */
int rl_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Option value of "--name VALUE" at argv[*i]; advances *i. NULL if missing. */
const char *rl_cli_value(int argc, char **argv, int *i);

/* Ctrl-C asks the running workload to stop (a second one ends the process). */
void rl_cli_catch_sigint(void);

/* The exit status for a result (see cmd_run.c). */
int rl_cli_exit_status(const struct rl_workload_result *r, const enum rl_verdict *expect);

/* output.c: a result as text, or as one JSON object on one line. */
void rl_cli_print_text(FILE *out, const struct rl_workload *w, const struct rl_workload_result *r,
		       const enum rl_verdict *expect);
void rl_cli_print_json(FILE *out, const struct rl_workload *w, const struct rl_workload_result *r,
		       const enum rl_verdict *expect);
void rl_cli_json_string(FILE *out, const char *s);

int rl_cmd_stack(int argc, char **argv);
int rl_cmd_run(int argc, char **argv);
int rl_cmd_list(int argc, char **argv);
int rl_cmd_demo(int argc, char **argv);
int rl_cmd_layout(int argc, char **argv);

#endif
