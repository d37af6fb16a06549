/* cmd_stack.c — `racelab stack`: reserved vs touched stack memory per thread.
 *
 * The seed's point, measured: a thread's stack is reserved at spawn, but the
 * kernel backs a page with memory only on its first access. Each thread
 * touches --touch bytes of its stack by recursion, then reports mincore()'s
 * count of resident pages while the main thread waits. The measuring code is
 * in stack_live.c, shared with the stack-lazy workload.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include <racelab/parse.h>
#include <racelab/status.h>
#include <racelab/thread.h>

#include "cli.h"
#include "stack_live.h"

struct job {
	size_t touch;
	size_t reserved, touched;
	int status;
};

static void *stack_worker(void *arg)
{
	struct job *j = arg;
	rl__stack_burn(j->touch);
	j->status = rl_thread_stack_usage(NULL, &j->reserved, &j->touched);
	return NULL;
}

/* --live N: many threads alive at once (stack_live.c, shared with stack-lazy). */
static bool json;

static int run_live(uint64_t n, size_t stack, size_t touch)
{
	struct rl__live_stats st;
	if (rl__stack_live(n, stack, touch, SIZE_MAX, "live", &st) != RL_OK) {
		fprintf(stderr, "racelab: out of memory for %llu thread handles\n", (unsigned long long)n);
		return 1;
	}
	char a[32], b[32], c[32], d[32], e[32];
	size_t grew = st.rss_after > st.rss_before ? st.rss_after - st.rss_before : 0;
	if (json)
		printf("{\"type\":\"stack_live\",\"threads\":%llu,\"stack_bytes\":%zu,\"reserved_bytes\":%zu,"
		       "\"rss_before\":%zu,\"rss_after\":%zu,\"complete\":%s}\n",
		       (unsigned long long)st.live, st.stack, st.stack * st.live, st.rss_before, st.rss_after,
		       st.err ? "false" : "true");
	else
		printf("%llu live threads with %s stacks: reserved %s, resident %s (+%s for the threads, %s each)\n",
	       (unsigned long long)st.live, rl_format_size(st.stack, a, sizeof a),
	       rl_format_size(st.stack * st.live, b, sizeof b), rl_format_size(st.rss_after, c, sizeof c),
	       rl_format_size(grew, d, sizeof d), rl_format_size(st.live ? grew / st.live : 0, e, sizeof e));
	if (!json)
		printf("SUMMARY threads=%llu stack_bytes=%zu reserved_bytes=%zu rss_before=%zu rss_after=%zu\n",
	       (unsigned long long)st.live, st.stack, st.stack * st.live, st.rss_before, st.rss_after);
	if (st.err) {
		fprintf(stderr, "racelab: stopped after %llu threads: %s\n", (unsigned long long)st.live,
			rl_strerror(st.err));
		return 1;
	}
	return RL_EXIT_CLEAN;
}

static const struct rl_cli_opt stack_opts[] = {
	{"--threads", "N", "threads per pass, 1 to 256 (default 2); not with --live", NULL},
	{"--stack", "SIZE", "the custom stack size (default 512K); with --live, the stack of\n"
	 "every live thread (default: the 2 MiB default)", NULL},
	{"--touch", "SIZE", "bytes of its stack each thread touches (default 10K)", NULL},
	{"--json", NULL, "JSON lines on stdout (type stack_thread, or stack_live with --live)", NULL},
	{"--live", "N", "keep N threads (1 to 1000000) alive at once and print the resident\n"
	 "memory", NULL},
	{0},
};

const struct rl_cli_help rl_cli_stack_help = {
	.cmd = "stack",
	.intro = "Spawns threads with the default (2 MiB) and a custom stack size and prints reserved\n"
		 "vs touched stack memory per thread: the kernel backs a stack page only when it is\n"
		 "first touched.\n",
	.opts = stack_opts,
};

int rl_cmd_stack(int argc, char **argv)
{
	bool threads_given = false, stack_given = false;
	uint64_t threads = 2;
	size_t custom = (size_t)512 << 10, touch = (size_t)10 << 10;
	uint64_t live = 0;
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *v;
		bool missing = false;
		if (opt[0] == '-' && !rl_cli_known(&rl_cli_stack_help, opt))
			return rl_cli_unknown(&rl_cli_stack_help, opt);
		if ((v = rl_cli_option(argc, argv, &i, "--threads", &missing)) || missing) {
			if (!v || rl_parse_u64(v, 1, 256, &threads))
				return rl_cli_usage_error("--threads needs a number from 1 to 256, not '%s'", v ? v : "");
			threads_given = true;
		} else if ((v = rl_cli_option(argc, argv, &i, "--live", &missing)) || missing) {
			if (!v || rl_parse_u64(v, 1, 1000000, &live))
				return rl_cli_usage_error("--live needs a number from 1 to 1000000, not '%s'", v ? v : "");
		} else if ((v = rl_cli_option(argc, argv, &i, "--stack", &missing)) || missing) {
			if (!v || rl_parse_size(v, &custom) || custom == 0 || custom > RL_MAX_STACK_SIZE)
				return rl_cli_usage_error("--stack needs a size such as 512K or 8M (at most 1T), not '%s'",
							  v ? v : "");
			stack_given = true;
		} else if ((v = rl_cli_option(argc, argv, &i, "--touch", &missing)) || missing) {
			if (!v || rl_parse_size(v, &touch))
				return rl_cli_usage_error("--touch needs a size such as 10K, not '%s'", v ? v : "");
		} else if (!strcmp(opt, "--json")) {
			json = true;
		} else if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
			rl_cli_help(stdout, &rl_cli_stack_help);
			return RL_EXIT_CLEAN;
		} else if (opt[0] == '-') {
			return rl_cli_unknown(&rl_cli_stack_help, opt);
		} else {
			return rl_cli_usage_error("stack: unknown argument '%s' (try 'racelab stack --help')", opt);
		}
	}
	if (live && threads_given)
		return rl_cli_usage_error("stack: --threads and --live do not go together (--live N is the thread count)");
	if (live) {
		size_t stack = stack_given ? custom : rl_thread_default_stack_size();
		if (touch >= stack)
			return rl_cli_usage_error("--touch must be smaller than the stack size");
		return run_live(live, stack_given ? custom : 0, touch);
	}
	if (touch >= custom || touch >= rl_thread_default_stack_size())
		return rl_cli_usage_error("--touch must be smaller than the stack sizes");

	char a[32], b[32], c[32];
	if (!json)
		printf("%-12s %12s %12s %12s\n", "thread", "requested", "reserved", "touched");
	int rc = RL_EXIT_CLEAN;
	bool reused = false;
	for (int pass = 0; pass < 2; pass++) {
		size_t req = pass == 0 ? 0 : custom;
		for (uint64_t n = 0; n < threads; n++) {
			char name[32];
			snprintf(name, sizeof name, "%s-%llu", pass == 0 ? "default" : "custom", (unsigned long long)n + 1);
			struct job j = {.touch = touch};
			rl_thread_opts o = {.name = name, .stack_size = req};
			rl_thread *t;
			int err = rl_thread_spawn(&t, stack_worker, &j, &o);
			if (err) {
				fprintf(stderr, "racelab: cannot spawn thread: %s\n", rl_strerror(err));
				return 1;
			}
			size_t size = rl_thread_stack_size(t);
			rl_thread_join(t, NULL);
			if (j.status) {
				fprintf(stderr, "racelab: cannot read the stack of '%s'\n", name);
				rc = 1;
				continue;
			}
			reused |= j.reserved > size + (size_t)(64 << 10);
			size_t asked = req ? size : rl_thread_default_stack_size();
			if (json) {
				printf("{\"type\":\"stack_thread\",\"thread\":\"%s\",\"requested_bytes\":%zu,"
				       "\"reserved_bytes\":%zu,\"touched_bytes\":%zu}\n",
				       name, asked, j.reserved, j.touched);
				continue;
			}
			printf("%-12s %12s %12s %12s%s\n", name,
			       req ? rl_format_size(size, a, sizeof a) : rl_format_size(rl_thread_default_stack_size(), a, sizeof a),
			       rl_format_size(j.reserved, b, sizeof b), rl_format_size(j.touched, c, sizeof c),
			       j.reserved > size + (size_t)(64 << 10) ? " *" : "");
		}
	}
	if (json)
		return rc;
	if (reused)
		printf("\n* glibc reuses a cached stack of up to 4x the requested size, so the reserved size can exceed the request.");
	printf("\neach thread used about %s of its stack: the kernel backs a stack page only when it is first touched.\n",
	       rl_format_size(touch, a, sizeof a));
	return rc;
}
