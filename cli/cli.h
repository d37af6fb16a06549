/* cli.h — the racelab commands (cmd_*.c), their shared helpers (cli.c) and output (output.c). */
#ifndef RACELAB_CLI_H
#define RACELAB_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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

/* "--name VALUE" or "--name=VALUE" at argv[*i]. Return: the value,
 * NULL if @opt does not name this option; *@missing when it does but has no value. */
const char *rl_cli_option(int argc, char **argv, int *i, const char *opt, bool *missing);

/* The program as invoked (argv[0]), for the replay command lines. */
extern const char *rl_cli_prog;

/* --timeline FILE: where the run's interleaving is drawn (timeline.h), or NULL. */
extern const char *rl_cli_timeline;
/* With --timeline: record the run's trace (@p->trace), or a usage error when
 * @p turns on neither the detector nor the scheduler. Return: 0 or RL_EXIT_USAGE. */
int rl_cli_timeline_prepare(const struct rl_workload *w, struct rl_workload_params *p);
/* With --timeline: draw the last session into FILE, titled with @r's replay
 * command line. Return: 0, or RL_EXIT_FAILED after one line on stderr (no file
 * is left behind). */
int rl_cli_timeline_write(const struct rl_workload *w, const struct rl_workload_result *r);

/* Parse --seed, --pct-depth or --timeline (run and explore) at argv[*i] into
 * @p; --seed adds RL_WG_SEED to @p->given; --timeline FILE sets
 * rl_cli_timeline once FILE's directory takes a new file. *@handled: it was one.
 * Return: 0, or RL_EXIT_USAGE after printing the error. */
int rl_cli_seed_option(int argc, char **argv, int *i, struct rl_workload_params *p, bool *handled);

/* Parse one simulation option of run (--detect, --schedule, --seed, --pct-depth,
 * --pct-steps, --max-steps, --trace) at argv[*i] into @p, as given: --detect adds
 * RL_WG_DETECT to @p->given; the runner validates and resolves them
 * (rl_workload_check_params, rl_workload_resolve). *@handled: it was one.
 * Return: 0, or RL_EXIT_USAGE after printing the error. */
int rl_cli_sim_option(int argc, char **argv, int *i, struct rl_workload_params *p, bool *handled);

/* Parse one workload option shared by run and explore (--threads, --iters,
 * --stack, --check; --check abort only when @allow_abort) at argv[*i] into @p.
 * *@handled: it was one. Return: 0, or RL_EXIT_USAGE after printing the error. */
int rl_cli_workload_option(int argc, char **argv, int *i, struct rl_workload_params *p, bool allow_abort,
			   bool *handled);

/* The workload called @name for command @cmd, or a usage error (with the
 * closest name as a suggestion). Return: 0 with *@out set, or RL_EXIT_USAGE. */
int rl_cli_find_workload(const char *cmd, const char *name, const struct rl_workload **out);

/* The command line that replays the run of @w that gave @r (a scheduled run). */
void rl_cli_replay(char *buf, size_t len, const struct rl_workload *w, const struct rl_workload_result *r);

/* Ctrl-C asks the running workload to stop (a second one ends the process). */
void rl_cli_catch_sigint(void);

/* The exit status for a result: 0 clean, 3 a violation, 1 an error or --expect not met, 130 interrupted. */
int rl_cli_exit_status(const struct rl_workload_result *r, const enum rl_verdict *expect);

/* output.c: a result as text, or as one JSON object on one line. */
void rl_cli_print_text(FILE *out, const struct rl_workload *w, const struct rl_workload_result *r,
		       const enum rl_verdict *expect);
void rl_cli_print_json(FILE *out, const struct rl_workload *w, const struct rl_workload_result *r,
		       const enum rl_verdict *expect);
void rl_cli_json_string(FILE *out, const char *s);
/* A report as one JSON object: kind, object {kind, id}, threads, operations,
 * sites (accesses for a race), missing_edge, rule, and @text (the prose). */
void rl_cli_json_report(FILE *out, const struct rl_wl_report *d, const char *text);
/* --trace under --json: rl_cli_print_json adds the interleaving as "sim"."trace". */
extern bool rl_cli_json_trace;

/* help.c: one option a command takes. */
struct rl_cli_opt {
	const char *name;    /* "--threads" */
	const char *arg;     /* "N", or NULL for a flag */
	const char *help;    /* its lines, '\n' between them */
	const char *section; /* a heading printed before it, or NULL */
};

/* A command's help and the table its parser checks arguments against. */
struct rl_cli_help {
	const char *cmd;              /* "run" */
	const char *operand;          /* "NAME", or NULL */
	const char *intro;            /* text between the usage line and the options */
	const struct rl_cli_opt *opts; /* ends with a {0} row */
	const char *outro;            /* text after the options, or NULL */
};

/* Print @h: the usage line built from the table, the intro, every option, the outro. */
void rl_cli_help(FILE *f, const struct rl_cli_help *h);
/* @arg ("--name", "--name=VALUE" for options with a value, -h, --help) is in @h's table. */
bool rl_cli_known(const struct rl_cli_help *h, const char *arg);
/* The usage error for an option not in @h's table. Return: RL_EXIT_USAGE. */
int rl_cli_unknown(const struct rl_cli_help *h, const char *arg);
/* `racelab help CMD`: print CMD's help. Return: 0, or -1 when CMD has no table here. */
int rl_cli_help_command(const char *cmd);

extern const struct rl_cli_help rl_cli_run_help, rl_cli_explore_help, rl_cli_list_help, rl_cli_demo_help,
	rl_cli_layout_help, rl_cli_stack_help;

int rl_cmd_stack(int argc, char **argv);
int rl_cmd_run(int argc, char **argv);
int rl_cmd_list(int argc, char **argv);
int rl_cmd_demo(int argc, char **argv);
int rl_cmd_layout(int argc, char **argv);
int rl_cmd_explore(int argc, char **argv);

/* `racelab explore NAME --strategy dfs` (cmd_explore_dfs.c): every schedule
 * through rl_model(); @schedules 0 = all. Return: an RL_EXIT_* status. */
int rl_cli_explore_dfs(const struct rl_workload *w, const struct rl_workload_params *p, uint64_t schedules,
		       const char *replay, bool json);

#endif
