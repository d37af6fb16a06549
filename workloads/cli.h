/* cli.h — shared by the racelab subcommands (workloads/). */
#ifndef RACELAB_CLI_H
#define RACELAB_CLI_H

#include <stdarg.h>

enum { RL_EXIT_CLEAN = 0, RL_EXIT_USAGE = 2, RL_EXIT_VIOLATION = 3 };

/* Print "racelab: <message>" on stderr; Return: RL_EXIT_USAGE. */
int rl_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Option value of "--name VALUE" at argv[*i]; advances *i. NULL if missing. */
const char *rl_cli_value(int argc, char **argv, int *i);

int rl_cmd_stack(int argc, char **argv);

#endif
