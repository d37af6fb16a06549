/* help.c — every command's help, printed from the option table its parser
 * checks arguments against (rl_cli_known): an option the parser takes is in
 * the table, so it is in the help, and `racelab help CMD` prints the same text
 * as `racelab CMD --help`.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Width of the usage line before it wraps, and of the option column. */
enum { WRAP = 88, OPT_COL = 22 };

void rl_cli_help(FILE *f, const struct rl_cli_help *h)
{
	/* usage: racelab CMD [OPERAND] [--opt ARG]... wrapped under the first option */
	char head[64];
	int n = snprintf(head, sizeof head, "usage: racelab %s%s%s", h->cmd, h->operand ? " " : "",
			 h->operand ? h->operand : "");
	fputs(head, f);
	int col = n;
	for (const struct rl_cli_opt *o = h->opts; o->name; o++) {
		char item[96];
		int len = snprintf(item, sizeof item, "[%s%s%s]", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		if (col + 1 + len > WRAP) {
			fprintf(f, "\n%*s", n, "");
			col = n;
		}
		fprintf(f, " %s", item);
		col += 1 + len;
	}
	fputs("\n\n", f);
	if (h->intro)
		fputs(h->intro, f);
	for (const struct rl_cli_opt *o = h->opts; o->name; o++) {
		if (o->section)
			fprintf(f, "%s\n", o->section);
		char left[96];
		int len = snprintf(left, sizeof left, "  %s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		/* the help's lines, the first beside the option when it fits */
		const char *line = o->help;
		if (len + 1 > OPT_COL)
			fprintf(f, "%s\n%*s", left, OPT_COL, "");
		else
			fprintf(f, "%-*s", OPT_COL, left);
		for (;;) {
			const char *nl = strchr(line, '\n');
			fprintf(f, "%.*s\n", nl ? (int)(nl - line) : (int)strlen(line), line);
			if (!nl || !nl[1])
				break;
			line = nl + 1;
			fprintf(f, "%*s", OPT_COL, "");
		}
	}
	fputs("  -h, --help          this text\n", f);
	if (h->outro)
		fputs(h->outro, f);
}

bool rl_cli_known(const struct rl_cli_help *h, const char *arg)
{
	if (!strcmp(arg, "-h") || !strcmp(arg, "--help"))
		return true;
	for (const struct rl_cli_opt *o = h->opts; o->name; o++) {
		size_t len = strlen(o->name);
		if (!strncmp(arg, o->name, len) && (arg[len] == '\0' || (o->arg && arg[len] == '=')))
			return true;
	}
	return false;
}

int rl_cli_unknown(const struct rl_cli_help *h, const char *arg)
{
	return rl_cli_usage_error("%s: unknown option '%s' (try 'racelab %s --help')", h->cmd, arg, h->cmd);
}

/* ------------------------------------------------------------------------
 * The tables of the commands without a file of their own (list, demo,
 * layout) and `racelab help CMD`.
 * ---------------------------------------------------------------------- */

static const struct rl_cli_opt json_only[] = {
	{"--json", NULL, "JSON lines on stdout instead of the text", NULL},
	{0},
};

const struct rl_cli_help rl_cli_list_help = {
	.cmd = "list",
	.intro = "The workload catalog: name, expected verdict, what each supports (sim: --detect and\n"
		 "--schedule; explore; tsan: the race shows under ThreadSanitizer), the seed concept\n"
		 "it shows and what it does.\n",
	.opts = json_only,
};

const struct rl_cli_help rl_cli_demo_help = {
	.cmd = "demo",
	.intro = "A guided tour: runs every workload of 'racelab list' with its defaults and explains\n"
		 "each verdict.\n",
	.opts = json_only,
};

const struct rl_cli_help rl_cli_layout_help = {
	.cmd = "layout",
	.intro = "Sizes and alignments of racelab's types beside Rust's.\n",
	.opts = json_only,
};

int rl_cli_help_command(const char *cmd)
{
	static const struct {
		const char *name;
		const struct rl_cli_help *help;
	} cmds[] = {
		{"run", &rl_cli_run_help},	 {"explore", &rl_cli_explore_help}, {"list", &rl_cli_list_help},
		{"demo", &rl_cli_demo_help},	 {"layout", &rl_cli_layout_help},   {"stack", &rl_cli_stack_help},
	};
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		if (!strcmp(cmd, cmds[i].name)) {
			rl_cli_help(stdout, cmds[i].help);
			return RL_EXIT_CLEAN;
		}
	}
	return -1;
}
