/* wl_stack.c — the stack workloads: stack-overflow and stack-lazy.
 *
 * stack-overflow runs in a forked child (RL_WF_ISOLATE): the recursion first
 * completes on the runtime "main" thread (8 MiB), then the same recursion runs
 * on a spawned worker with --stack (2 MiB) and overflows its guard page; the
 * runtime prints Rust's report and aborts the child. The depth reached is
 * written into the result as the recursion goes (the result is shared with
 * the parent), so the parent still knows it after the SIGABRT.
 *
 * stack-lazy keeps many threads alive with part of their stack touched and
 * compares reserved with resident stack memory (stack_live.c).
 */
#include <stdint.h>
#include <stdio.h>

#include <racelab/parse.h>
#include <racelab/status.h>
#include <racelab/thread.h>
#include <racelab/workload.h>

#include "stack_live.h"
#include "wl.h"

#define FRAME 1024

struct recursion {
	size_t target;
	struct rl_workload_result *r; /* shared with the parent */
	uintptr_t first, last;         /* frame addresses at depth 1 and at the target */
	bool completed;
};

/* One frame of about FRAME bytes per level; the depth goes into the result and
 * the runtime's overflow report. The addition after the call keeps it from
 * being a tail call. */
static size_t recurse(struct recursion *rec, size_t depth)
{
	volatile char frame[FRAME];
	frame[0] = (char)depth;
	frame[FRAME - 1] = 1;
	rl_thread_set_depth(depth);
	rec->r->observed = (int64_t)depth;
	rec->r->lost = (int64_t)(rec->target - depth);
	if (depth == 1)
		rec->first = (uintptr_t)frame;
	if (depth >= rec->target) {
		rec->last = (uintptr_t)frame;
		return (size_t)frame[0];
	}
	return recurse(rec, depth + 1) + (size_t)frame[FRAME - 1];
}

static void *overflow_worker(void *arg)
{
	struct recursion *rec = arg;
	recurse(rec, 1);
	rec->completed = true;
	return NULL;
}

int rl__wl_stack_overflow(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	char a[32], b[32];
	size_t target = (size_t)p->iters;
	size_t main_stack = p->main_stack ? p->main_stack : RL_MAIN_STACK_SIZE;
	size_t stack = p->stack ? p->stack : rl_thread_default_stack_size();

	/* On the runtime main thread (this one). The note is written first, so
	 * that it is there even if main itself overflows (--main-stack 2M). */
	struct recursion on_main = {.target = target, .r = r};
	rl__wl_counts(r, "frames", (int64_t)target, 0);
	unsigned note = r->nnotes;
	rl__wl_note(r, "main (%s stack): recursing to %zu frames...", rl_format_size(main_stack, a, sizeof a), target);
	recurse(&on_main, 1);
	size_t frame = target > 1 ? (on_main.first - on_main.last) / (target - 1) : FRAME;
	size_t used = frame * target;
	rl__wl_measure(r, "main_depth", "depth reached on main", (double)target, "frames");
	rl__wl_measure(r, "frame_bytes", "bytes per frame", (double)frame, "bytes");
	rl__wl_measure(r, "stack_needed", "stack the recursion needs", (double)used, "bytes");
	snprintf(r->notes[note], RL_WL_TEXT, "main (%s stack): %zu frames, about %s of stack, completed",
		 rl_format_size(main_stack, a, sizeof a), target, rl__wl_size(used, b, sizeof b));

	/* The same recursion on a spawned thread. */
	struct recursion on_worker = {.target = target, .r = r};
	r->observed = 0;
	rl__wl_note(r, "worker-1 (%s stack): the same %zu frames...", rl_format_size(stack, a, sizeof a), target);
	rl_thread *t;
	rl_thread_opts o = {.name = "worker-1", .stack_size = p->stack};
	int err = rl_thread_spawn(&t, overflow_worker, &on_worker, &o);
	if (err)
		return rl__wl_fail(r, err, "cannot start worker-1: %s", rl_strerror(err));
	rl_thread_join(t, NULL);
	/* Reached only if the worker did not overflow. */
	rl__wl_measure(r, "worker_depth", "depth reached on worker-1", (double)r->observed, "frames");
	rl__wl_counts(r, "frames", (int64_t)target, r->observed);
	if (on_worker.completed)
		rl__wl_note(r, "worker-1 completed: %s of stack is enough for this depth", rl_format_size(stack, a, sizeof a));
	return RL_OK;
}

struct idle {
	size_t touched;
	int status;
};

static void *idle_worker(void *arg)
{
	struct idle *i = arg;
	i->status = rl_thread_stack_usage(NULL, NULL, &i->touched);
	return NULL;
}

/* What a thread that does nothing has resident on its stack: the thread
 * runtime's own use (a few KiB; about 780 KiB under ThreadSanitizer, whose
 * runtime touches every new stack). */
static size_t idle_touched(size_t stack)
{
	struct idle i = {0};
	rl_thread *t;
	rl_thread_opts o = {.name = "idle", .stack_size = stack};
	if (rl_thread_spawn(&t, idle_worker, &i, &o) != RL_OK)
		return 0;
	rl_thread_join(t, NULL);
	return i.status == RL_OK ? i.touched : 0;
}

int rl__wl_stack_lazy(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	char a[32], b[32], c[32];
	size_t stack = p->stack ? p->stack : rl_thread_default_stack_size();
	size_t touch = (size_t)16 << 10;
	if (touch > stack / 4)
		touch = stack / 4;
	/* Beyond the pages it wrote, a thread's stack block holds its descriptor
	 * and static TLS at the top, and the runtime's frames: measured on an idle
	 * thread, plus 64 KiB of slack (sanitizer frames, page rounding). */
	size_t idle = idle_touched(p->stack);
	size_t bound = idle + touch + ((size_t)64 << 10);
	struct rl__live_stats st;
	int err = rl__stack_live(p->threads, p->stack, touch, bound, "worker", &st);
	if (err)
		return rl__wl_fail(r, err, "out of memory for %llu thread handles", (unsigned long long)p->threads);
	if (st.err && !rl_workload_stopping())
		rl__wl_fail(r, st.err, "could start only %llu of %llu threads: %s", (unsigned long long)st.live,
			    (unsigned long long)p->threads, rl_strerror(st.err));

	rl__wl_counts(r, "threads", (int64_t)st.live, (int64_t)st.within);
	size_t grew = st.rss_after > st.rss_before ? st.rss_after - st.rss_before : 0;
	rl__wl_measure(r, "threads_live", "threads alive at once", (double)st.live, "");
	rl__wl_measure(r, "reserved_bytes", "stack reserved", (double)st.reserved, "bytes");
	rl__wl_measure(r, "touched_bytes", "stack resident (mincore)", (double)st.touched, "bytes");
	rl__wl_measure(r, "touched_per_thread", "resident per thread", st.live ? (double)st.touched / (double)st.live : 0, "bytes");
	rl__wl_measure(r, "touched_max", "largest thread", (double)st.touched_max, "bytes");
	rl__wl_measure(r, "rss_growth", "process RSS growth", (double)grew, "bytes");
	rl__wl_note(r, "%llu threads, each with a %s stack, used %s of it by recursion",
		    (unsigned long long)st.live, rl_format_size(stack, a, sizeof a), rl_format_size(touch, b, sizeof b));
	rl__wl_measure(r, "idle_thread_bytes", "resident on an idle thread's stack", (double)idle, "bytes");
	if (idle > ((size_t)64 << 10))
		rl__wl_note(r, "an idle thread already has %s of its stack resident: the runtime touched it at start%s",
			    rl__wl_size(idle, a, sizeof a), rl_workload_under_tsan() ? " (ThreadSanitizer)" : "");
	rl__wl_note(r, "reserved %s, resident %s (%.2f%%): about %s per thread",
		    rl__wl_size(st.reserved, a, sizeof a), rl__wl_size(st.touched, b, sizeof b),
		    st.reserved ? 100.0 * (double)st.touched / (double)st.reserved : 0.0,
		    rl__wl_size(st.live ? st.touched / st.live : 0, c, sizeof c));
	return r->error;
}
