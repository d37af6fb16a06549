/* cmd_layout.c — `racelab layout [--json]`: racelab's memory layouts beside
 * Rust's (the table itself is sync/layout.c). */
#include <stdio.h>
#include <string.h>

#include <racelab/layout.h>

#include "cli.h"

int rl_cmd_layout(int argc, char **argv)
{
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			rl_cli_help(stdout, &rl_cli_layout_help);
			return RL_EXIT_CLEAN;
		} else
			return argv[i][0] == '-' ? rl_cli_unknown(&rl_cli_layout_help, argv[i])
						 : rl_cli_usage_error("layout: unknown argument '%s'", argv[i]);
	}
	if (rl_layout_print(stdout, json) != 0 || fflush(stdout) != 0) {
		fprintf(stderr, "racelab: layout: cannot write the table\n");
		return RL_EXIT_FAILED;
	}
	return RL_EXIT_CLEAN;
}
