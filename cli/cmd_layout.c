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
			puts("usage: racelab layout [--json]\n\nSizes and alignments of racelab's types beside Rust's "
			     "(rustc, x86_64 Linux),\ncomputed with sizeof/offsetof/_Alignof. --json: one object per row.");
			return RL_EXIT_CLEAN;
		} else
			return rl_cli_usage_error("layout: unknown argument '%s'", argv[i]);
	}
	if (rl_layout_print(stdout, json) != 0 || fflush(stdout) != 0) {
		fprintf(stderr, "racelab: layout: cannot write the table\n");
		return RL_EXIT_FAILED;
	}
	return RL_EXIT_CLEAN;
}
