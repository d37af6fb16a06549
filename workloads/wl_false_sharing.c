/* wl_false_sharing.c — per-thread counters packed vs padded to a cache line.
 *
 * Every thread increments only its own counter, so no data is shared and no
 * update can be lost. Packed, the counters are 8 bytes apart and share one
 * 64-byte cache line: each write takes the line away from the other cores.
 * Padded, each counter is aligned to 64 bytes (_Alignas(64), Rust's
 * #[repr(align(64))]) and has its own line. The workload times both.
 *
 * The counters are AtomicI64 incremented with a Relaxed fetch_add, the Rust
 * idiom for per-thread statistics in a shared array (`counters[i].fetch_add(1,
 * Relaxed)`): each increment needs the line in exclusive state, which is what
 * makes sharing a line expensive. Timing uses each worker's CPU time, so a
 * worker preempted by another process does not count the time it was not
 * running. How much slower packed is depends on the machine: a VM whose two
 * vCPUs are siblings of one physical core shares L1 and shows little.
 */
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <racelab/status.h>
#include <racelab/workload.h>

#include "wl.h"

struct fs_ctx {
	uint64_t iters;
	_Atomic int64_t *packed;      /* counter i at packed[i] */
	struct rl__wl_slot *padded;   /* counter i at padded[i].v */
	bool use_padded;
	unsigned threads;
	atomic_uint arrived;          /* workers ready to start timing */
	uint64_t *done;               /* iterations completed, per worker */
	double *seconds;              /* loop CPU time, per worker */
	double *start, *end;          /* loop wall-clock start and end, per worker */
};

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void fs_body(void *arg, unsigned i)
{
	struct fs_ctx *c = arg;
	_Atomic int64_t *ctr = c->use_padded ? &c->padded[i].v : &c->packed[i];
	/* Start together: the lines are contended only while both run. Relaxed:
	 * the counter only says when to start, it publishes nothing. */
	atomic_fetch_add_explicit(&c->arrived, 1, memory_order_relaxed);
	while (atomic_load_explicit(&c->arrived, memory_order_relaxed) < c->threads && !rl_workload_stopping())
		sched_yield();
	double t0 = cpu_now();
	c->start[i] = rl__wl_now();
	uint64_t n = 0;
	while (n < c->iters && !rl_workload_stopping()) {
		uint64_t end = n + 4096 < c->iters ? n + 4096 : c->iters;
		for (; n < end; n++)
			/* Relaxed: only the count matters; the join publishes it. */
			atomic_fetch_add_explicit(ctr, 1, memory_order_relaxed);
	}
	c->seconds[i] = cpu_now() - t0;
	c->end[i] = rl__wl_now();
	c->done[i] = n;
}

/* Run one layout; Return: mean ns per increment, or a negative value on error.
 * *@together: how many workers ran at once on average (CPU time / wall span). */
static double fs_pass(struct fs_ctx *c, unsigned n, bool padded, size_t stack, struct rl_workload_result *r,
		      int64_t *expected, int64_t *observed, double *together)
{
	c->use_padded = padded;
	atomic_store_explicit(&c->arrived, 0, memory_order_relaxed);
	if (rl__wl_team_run(n, stack, fs_body, c, r))
		return -1;
	double secs = 0, cpu = 0, first = c->start[0], last = c->end[0];
	/* Plain and Relaxed reads: the team was joined, which orders the workers'
	 * writes before them. */
	for (unsigned i = 0; i < n; i++) {
		cpu += c->seconds[i];
		if (c->start[i] < first)
			first = c->start[i];
		if (c->end[i] > last)
			last = c->end[i];
		*expected += (int64_t)c->done[i];
		*observed += padded ? atomic_load_explicit(&c->padded[i].v, memory_order_relaxed)
				    : atomic_load_explicit(&c->packed[i], memory_order_relaxed);
		secs += c->done[i] ? c->seconds[i] / (double)c->done[i] : 0;
	}
	*together = last > first ? cpu / (last - first) : 0;
	return secs / n * 1e9;
}

int rl__wl_false_sharing(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	unsigned n = (unsigned)p->threads;
	struct fs_ctx c = {.iters = p->iters, .threads = n};
	size_t packed_bytes = ((size_t)n * sizeof(_Atomic int64_t) + 63) / 64 * 64;
	c.packed = aligned_alloc(64, packed_bytes);
	c.padded = aligned_alloc(64, (size_t)n * sizeof *c.padded);
	c.done = calloc(n, sizeof *c.done);
	c.seconds = calloc(n, sizeof *c.seconds);
	c.start = calloc(n, sizeof *c.start);
	c.end = calloc(n, sizeof *c.end);
	int err = RL_OK;
	if (!c.packed || !c.padded || !c.done || !c.seconds || !c.start || !c.end) {
		err = rl__wl_fail(r, RL_ENOMEM, "out of memory for %u counters", n);
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		atomic_init(&c.packed[i], 0);
		atomic_init(&c.padded[i].v, 0);
	}
	int64_t expected = 0, observed = 0;
	double together_packed = 0, together_padded = 0;
	double packed_ns = fs_pass(&c, n, false, p->stack, r, &expected, &observed, &together_packed);
	if (packed_ns < 0)
		goto out;
	memset(c.done, 0, n * sizeof *c.done);
	double padded_ns = fs_pass(&c, n, true, p->stack, r, &expected, &observed, &together_padded);
	if (padded_ns < 0)
		goto out;

	rl__wl_counts(r, "increments", expected, observed);
	double ratio = padded_ns > 0 ? packed_ns / padded_ns : 0;
	rl__wl_measure(r, "packed_ns_per_op", "packed (8 bytes apart)", packed_ns, "ns/op");
	rl__wl_measure(r, "padded_ns_per_op", "padded (64 bytes apart)", padded_ns, "ns/op");
	rl__wl_measure(r, "slowdown", "packed / padded", ratio, "x");
	rl__wl_measure(r, "ran_together", "threads running at once (packed)", together_packed, "threads");
	rl__wl_note(r, "packed: %u counters in %zu byte%s of one cache line: %.2f ns per increment", n,
		    (size_t)n * 8, n * 8 == 1 ? "" : "s", packed_ns);
	if (ratio >= 1.1)
		rl__wl_note(r, "padded: one 64-byte line per counter: %.2f ns per increment (packed is %.1fx slower)",
			    padded_ns, ratio);
	else
		rl__wl_note(r, "padded: one 64-byte line per counter: %.2f ns per increment (packed is no slower here)",
			    padded_ns);
	if (n < 2)
		rl__wl_note(r, "with one thread nothing competes for the line: use --threads 2 or more");
	else if (together_packed < 0.8 * n)
		rl__wl_note(r, "only %.1f of %u threads ran at once on average (a busy machine): the line was contended less",
			    together_packed, n);
out:
	free(c.packed);
	free(c.padded);
	free(c.done);
	free(c.seconds);
	free(c.start);
	free(c.end);
	return err ? err : r->error;
}
