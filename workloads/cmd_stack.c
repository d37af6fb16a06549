/* cmd_stack.c — `racelab stack`: reserved vs touched stack memory per thread.
 *
 * The seed's point, measured: a thread's stack is reserved at spawn, but the
 * kernel backs a page with memory only on its first access. Each thread
 * touches --touch bytes of its stack by recursion, then reports mincore()'s
 * count of resident pages while the main thread waits.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <racelab/parse.h>
#include <racelab/status.h>
#include <racelab/thread.h>

#include "cli.h"

struct job {
	size_t touch;
	size_t reserved, touched;
	int status;
};

/* Use about @bytes of stack in 1 KiB frames; the volatile buffer keeps each
 * frame from being optimised away. */
static size_t burn(size_t bytes)
{
	volatile char frame[1024];
	frame[0] = (char)bytes;
	frame[sizeof frame - 1] = 1;
	if (bytes <= sizeof frame)
		return (size_t)frame[0];
	return burn(bytes - sizeof frame) + frame[sizeof frame - 1];
}

static void *stack_worker(void *arg)
{
	struct job *j = arg;
	burn(j->touch);
	j->status = rl_thread_stack_usage(NULL, &j->reserved, &j->touched);
	return NULL;
}

const char *rl_cli_value(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

int rl_cmd_stack(int argc, char **argv)
{
	uint64_t threads = 2;
	size_t custom = (size_t)512 << 10, touch = (size_t)10 << 10;
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *v;
		if (!strcmp(opt, "--threads")) {
			if (!(v = rl_cli_value(argc, argv, &i)) || rl_parse_u64(v, 1, 256, &threads))
				return rl_cli_usage_error("--threads needs a number from 1 to 256");
		} else if (!strcmp(opt, "--stack")) {
			if (!(v = rl_cli_value(argc, argv, &i)) || rl_parse_size(v, &custom) || custom == 0 ||
			    custom > RL_MAX_STACK_SIZE)
				return rl_cli_usage_error("--stack needs a size such as 512K or 8M (at most 1T)");
		} else if (!strcmp(opt, "--touch")) {
			if (!(v = rl_cli_value(argc, argv, &i)) || rl_parse_size(v, &touch))
				return rl_cli_usage_error("--touch needs a size such as 10K");
		} else if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
			puts("usage: racelab stack [--threads N] [--stack SIZE] [--touch SIZE]");
			return RL_EXIT_CLEAN;
		} else {
			return rl_cli_usage_error("stack: unknown option '%s'", opt);
		}
	}
	if (touch >= custom || touch >= rl_thread_default_stack_size())
		return rl_cli_usage_error("--touch must be smaller than the stack sizes");

	char a[32], b[32], c[32];
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
			printf("%-12s %12s %12s %12s%s\n", name,
			       req ? rl_format_size(size, a, sizeof a) : rl_format_size(rl_thread_default_stack_size(), a, sizeof a),
			       rl_format_size(j.reserved, b, sizeof b), rl_format_size(j.touched, c, sizeof c),
			       j.reserved > size + (size_t)(64 << 10) ? " *" : "");
		}
	}
	if (reused)
		printf("\n* glibc reuses a cached stack of up to 4x the requested size, so the reserved size can exceed the request.");
	printf("\neach thread used about %s of its stack: the kernel backs a stack page only when it is first touched.\n",
	       rl_format_size(touch, a, sizeof a));
	return rc;
}
