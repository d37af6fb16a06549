/* cli.c — the helpers every racelab command shares: the usage error, option
 * values ("--name VALUE", "--name=VALUE"), the options run and explore both
 * take, the workload lookup with its suggestion, Ctrl-C and the exit status.
 * Commands call these, never each other.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <racelab/parse.h>
#include <racelab/status.h>
#include <racelab/timeline.h>
#include <racelab/workload.h>

#include "cli.h"

const char *rl_cli_prog = "racelab";
const char *rl_cli_timeline;

/* --timeline @path: not a directory, in a directory that takes a new file. */
static int timeline_path_check(const char *path)
{
	struct stat sb;
	if (!*path)
		return rl_cli_usage_error("--timeline needs a file name such as race.svg");
	if (!strcmp(path, "-"))
		return rl_cli_usage_error("--timeline needs a file name such as race.svg, not '-' (the picture is a "
					  "file; stdout has the report)");
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return rl_cli_usage_error("--timeline '%s' is a directory, not a file", path);
	const char *slash = strrchr(path, '/');
	char dir[4096];
	if (slash)
		snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
	else
		snprintf(dir, sizeof dir, ".");
	if (access(dir, W_OK) != 0)
		return rl_cli_usage_error("--timeline '%s': cannot create a file in '%s': %s", path, dir, strerror(errno));
	return 0;
}

int rl_cli_timeline_prepare(const struct rl_workload *w, struct rl_workload_params *p)
{
	if (!rl_cli_timeline)
		return 0;
	bool scheduled = p->schedule == RL_PROBE_SCHEDULE_RANDOM || p->schedule == RL_PROBE_SCHEDULE_PCT;
	bool simulate = (w->flags & RL_WF_SIMULATE) && p->schedule == RL_PROBE_SCHEDULE_DEFAULT;
	if (!scheduled && !simulate && !p->detect)
		return rl_cli_usage_error("--timeline needs --detect hb or --schedule random|pct");
	p->trace = true;
	return 0;
}

int rl_cli_timeline_write(const struct rl_workload *w, const struct rl_workload_result *r)
{
	if (!rl_cli_timeline)
		return 0;
	char title[600];
	rl_cli_replay(title, sizeof title, w, r);
	int rc = rl_timeline_save(rl_cli_timeline, title);
	if (rc == RL_OK)
		return 0;
	fprintf(stderr, "racelab: cannot write the timeline '%s': %s\n", rl_cli_timeline,
		rc == RL_EIO ? strerror(errno) : rl_strerror(rc));
	return RL_EXIT_FAILED;
}

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

const char *rl_cli_value(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

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

int rl_cli_seed_option(int argc, char **argv, int *i, struct rl_workload_params *p, bool *handled)
{
	const char *v;
	bool missing = false;
	*handled = true;
	if ((v = rl_cli_option(argc, argv, i, "--seed", &missing)) || missing) {
		if (!v || rl_parse_u64(v, 0, UINT64_MAX, &p->seed))
			return rl_cli_usage_error("--seed needs a whole number, not '%s'", v ? v : "");
		p->given |= RL_WG_SEED;
	} else if ((v = rl_cli_option(argc, argv, i, "--timeline", &missing)) || missing) {
		int st = timeline_path_check(v ? v : "");
		if (st)
			return st;
		rl_cli_timeline = v;
	} else if ((v = rl_cli_option(argc, argv, i, "--pct-depth", &missing)) || missing) {
		uint64_t d;
		if (!v || rl_parse_u64(v, 1, 64, &d))
			return rl_cli_usage_error("--pct-depth needs a whole number from 1 to 64, not '%s'", v ? v : "");
		p->pct_depth = (unsigned)d;
	} else {
		*handled = false;
	}
	return RL_EXIT_CLEAN;
}

int rl_cli_sim_option(int argc, char **argv, int *i, struct rl_workload_params *p, bool *handled)
{
	const char *v;
	bool missing = false;
	int st = rl_cli_seed_option(argc, argv, i, p, handled);
	if (st || *handled)
		return st;
	*handled = true;
	if ((v = rl_cli_option(argc, argv, i, "--detect", &missing)) || missing) {
		if (v && (!strcmp(v, "hb") || !strcmp(v, "on")))
			p->detect = true;
		else if (v && (!strcmp(v, "off") || !strcmp(v, "none")))
			p->detect = false;
		else
			return rl_cli_usage_error("--detect takes hb or off, not '%s'", v ? v : "");
		p->given |= RL_WG_DETECT;
	} else if ((v = rl_cli_option(argc, argv, i, "--schedule", &missing)) || missing) {
		if (v && (!strcmp(v, "os") || !strcmp(v, "none")))
			p->schedule = RL_PROBE_SCHEDULE_OS;
		else if (v && !strcmp(v, "random"))
			p->schedule = RL_PROBE_SCHEDULE_RANDOM;
		else if (v && !strcmp(v, "pct"))
			p->schedule = RL_PROBE_SCHEDULE_PCT;
		else
			return rl_cli_usage_error("--schedule takes os, random or pct, not '%s'", v ? v : "");
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
