/* stack_live.c — many live threads, their stacks reserved vs touched.
 *
 * The seed's point, measured: a thread's stack is reserved at spawn, but the
 * kernel backs a page with memory only on its first access. Each thread uses
 * part of its stack by recursion and then waits, so that all of them are
 * alive while the main thread counts their resident pages (mincore) and the
 * process's resident set.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <racelab/status.h>
#include <racelab/thread.h>
#include <racelab/workload.h>

#include "stack_live.h"

size_t rl__stack_burn(size_t bytes)
{
	/* volatile keeps each frame's buffer (and so the frame) in place. */
	volatile char frame[1024];
	frame[0] = (char)bytes;
	frame[sizeof frame - 1] = 1;
	if (bytes <= sizeof frame)
		return (size_t)frame[0];
	return rl__stack_burn(bytes - sizeof frame) + frame[sizeof frame - 1];
}

size_t rl__rss_bytes(void)
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

struct live {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t touch;
	uint64_t arrived;
	bool release;
};

static void *live_worker(void *arg)
{
	struct live *l = arg;
	rl__stack_burn(l->touch);
	pthread_mutex_lock(&l->lock);
	l->arrived++;
	pthread_cond_broadcast(&l->cond);
	while (!l->release)
		pthread_cond_wait(&l->cond, &l->lock);
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

int rl__stack_live(uint64_t n, size_t stack, size_t touch, size_t bound, const char *prefix,
		   struct rl__live_stats *out)
{
	*out = (struct rl__live_stats){.stack = stack ? stack : rl_thread_default_stack_size()};
	rl_thread **ts = calloc(n ? n : 1, sizeof *ts);
	if (!ts)
		return RL_ENOMEM;
	struct live l = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .touch = touch};
	out->rss_before = rl__rss_bytes();
	uint64_t live = 0;
	for (; live < n && !rl_workload_stopping(); live++) {
		char name[32];
		snprintf(name, sizeof name, "%s-%llu", prefix, (unsigned long long)live + 1);
		rl_thread_opts o = {.name = name, .stack_size = stack};
		if ((out->err = rl_thread_spawn(&ts[live], live_worker, &l, &o)) != RL_OK)
			break;
	}
	pthread_mutex_lock(&l.lock);
	while (l.arrived < live)
		pthread_cond_wait(&l.cond, &l.lock);
	pthread_mutex_unlock(&l.lock);

	out->live = live;
	out->rss_after = rl__rss_bytes();
	for (uint64_t i = 0; i < live; i++) {
		size_t reserved = 0, touched = 0;
		if (rl_thread_stack_usage(ts[i], &reserved, &touched) != RL_OK)
			continue;
		out->reserved += reserved;
		out->touched += touched;
		if (touched > out->touched_max)
			out->touched_max = touched;
		out->within += touched <= bound;
	}

	pthread_mutex_lock(&l.lock);
	l.release = true;
	pthread_cond_broadcast(&l.cond);
	pthread_mutex_unlock(&l.lock);
	for (uint64_t i = 0; i < live; i++)
		rl_thread_join(ts[i], NULL);
	free(ts);
	return RL_OK;
}
