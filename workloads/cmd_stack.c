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
#include <stdlib.h>
#include <unistd.h>
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

/* ---- --live N: many threads alive at once ----------------------------- */

struct live {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t touch;
	size_t arrived;
	bool release;
};

static void *live_worker(void *arg)
{
	struct live *l = arg;
	burn(l->touch);
	pthread_mutex_lock(&l->lock);
	l->arrived++;
	pthread_cond_broadcast(&l->cond);
	while (!l->release)
		pthread_cond_wait(&l->cond, &l->lock);
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

/* Resident set size of the process, from /proc/self/statm. */
static size_t rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size = 0, res = 0;
	if (f) {
		if (fscanf(f, "%lu %lu", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return (size_t)res * (size_t)sysconf(_SC_PAGESIZE);
}

static int run_live(uint64_t n, size_t touch)
{
	rl_thread **ts = calloc(n, sizeof *ts);
	if (!ts) {
		fprintf(stderr, "racelab: out of memory for %llu thread handles\n", (unsigned long long)n);
		return 1;
	}
	struct live l = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .touch = touch};
	size_t before = rss_bytes();
	uint64_t live = 0;
	int err = RL_OK;
	for (; live < n; live++) {
		char name[32];
		snprintf(name, sizeof name, "live-%llu", (unsigned long long)live + 1);
		rl_thread_opts o = {.name = name};
		if ((err = rl_thread_spawn(&ts[live], live_worker, &l, &o)) != RL_OK)
			break;
	}
	pthread_mutex_lock(&l.lock);
	while (l.arrived < live)
		pthread_cond_wait(&l.cond, &l.lock);
	pthread_mutex_unlock(&l.lock);
	size_t after = rss_bytes();
	size_t stack = rl_thread_default_stack_size();

	char a[32], b[32], c[32], d[32], e[32];
	size_t grew = after > before ? after - before : 0;
	printf("%llu live threads with %s stacks: reserved %s, resident %s (+%s for the threads, %s each)\n",
	       (unsigned long long)live, rl_format_size(stack, a, sizeof a),
	       rl_format_size(stack * live, b, sizeof b), rl_format_size(after, c, sizeof c),
	       rl_format_size(grew, d, sizeof d), rl_format_size(live ? grew / live : 0, e, sizeof e));
	printf("SUMMARY threads=%llu stack_bytes=%zu reserved_bytes=%zu rss_before=%zu rss_after=%zu\n",
	       (unsigned long long)live, stack, stack * live, before, after);

	pthread_mutex_lock(&l.lock);
	l.release = true;
	pthread_cond_broadcast(&l.cond);
	pthread_mutex_unlock(&l.lock);
	for (uint64_t i = 0; i < live; i++)
		rl_thread_join(ts[i], NULL);
	free(ts);
	if (err) {
		fprintf(stderr, "racelab: stopped after %llu threads: %s\n", (unsigned long long)live, rl_strerror(err));
		return 1;
	}
	return RL_EXIT_CLEAN;
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
	uint64_t live = 0;
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *v;
		if (!strcmp(opt, "--threads")) {
			if (!(v = rl_cli_value(argc, argv, &i)) || rl_parse_u64(v, 1, 256, &threads))
				return rl_cli_usage_error("--threads needs a number from 1 to 256");
		} else if (!strcmp(opt, "--live")) {
			if (!(v = rl_cli_value(argc, argv, &i)) || rl_parse_u64(v, 1, 1000000, &live))
				return rl_cli_usage_error("--live needs a number from 1 to 1000000");
		} else if (!strcmp(opt, "--stack")) {
			if (!(v = rl_cli_value(argc, argv, &i)) || rl_parse_size(v, &custom) || custom == 0 ||
			    custom > RL_MAX_STACK_SIZE)
				return rl_cli_usage_error("--stack needs a size such as 512K or 8M (at most 1T)");
		} else if (!strcmp(opt, "--touch")) {
			if (!(v = rl_cli_value(argc, argv, &i)) || rl_parse_size(v, &touch))
				return rl_cli_usage_error("--touch needs a size such as 10K");
		} else if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
			puts("usage: racelab stack [--threads N] [--stack SIZE] [--touch SIZE] [--live N]");
			return RL_EXIT_CLEAN;
		} else {
			return rl_cli_usage_error("stack: unknown option '%s'", opt);
		}
	}
	if (touch >= custom || touch >= rl_thread_default_stack_size())
		return rl_cli_usage_error("--touch must be smaller than the stack sizes");
	if (live)
		return run_live(live, touch);

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
