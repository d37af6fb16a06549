/* wl_stack_heap.c — stack-vs-heap: a value in a stack frame costs a
 * subtraction from the stack pointer; on the heap it costs malloc and free.
 * Both are timed for the same sizes. Then the allocator's requests to the
 * kernel are counted in traced children (wl_syscall_trace.c): many small
 * blocks share one brk, a large block gets an mmap of its own.
 *
 * It runs on the runtime "main" thread alone and measures time and memory:
 * nothing is shared between threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <racelab/status.h>
#include <racelab/workload.h>

#include "wl.h"
#include "wl_memory.h"
#include "wl_syscall_trace.h"

#define LARGE_BLOCKS 16
#define LARGE_SIZE ((size_t)1 << 20)
#define SMALL_SIZE ((size_t)64)

/* A call whose frame holds a @size-byte array: the array is "allocated" by
 * the frame's stack-pointer adjustment. Both ends are written, as the heap
 * side writes its block. */
#define FRAME_FN(name, size)                                 \
	static __attribute__((noinline)) unsigned name(void) \
	{                                                    \
		unsigned char buf[size];                     \
		buf[0] = 1;                                  \
		buf[(size) - 1] = 2;                         \
		rl__wl_escape(buf);                                 \
		return buf[0] + buf[(size) - 1];             \
	}
FRAME_FN(frame_64, 64)
FRAME_FN(frame_4k, 4096)
FRAME_FN(frame_1m, 1 << 20)

static unsigned heap_block(size_t size)
{
	unsigned char *p = size ? malloc(size) : NULL;
	if (!p)
		return 0;
	p[0] = 1;
	p[size - 1] = 2;
	rl__wl_escape(p);
	unsigned v = p[0] + p[size - 1];
	free(p);
	return v;
}

struct sizes {
	size_t size;
	const char *name;
	unsigned (*frame)(void);
	uint64_t div; /* fewer iterations for the large size */
};

static const struct sizes sizes[] = {
	{64, "64 B", frame_64, 1},
	{4096, "4 KiB", frame_4k, 1},
	{(size_t)1 << 20, "1 MiB", frame_1m, 100},
};

/* ns per call of @frame or per heap_block(@size) (frame NULL), best of 3.
 * *@done: calls made (Ctrl-C may cut the run); *@ok: calls that got their block. */
static double time_alloc(unsigned (*frame)(void), size_t size, uint64_t n, uint64_t *done, uint64_t *ok)
{
	double best = 0;
	*done = *ok = 0;
	for (int round = 0; round < 3 && !rl_workload_stopping(); round++) {
		uint64_t i = 0, good = 0;
		double t0 = rl__wl_now();
		while (i < n && !rl_workload_stopping()) {
			uint64_t end = i + 1024 < n ? i + 1024 : n;
			for (; i < end; i++)
				good += (frame ? frame() : heap_block(size)) == 3;
		}
		double ns = i ? (rl__wl_now() - t0) * 1e9 / (double)i : 0;
		if (i && (best == 0 || ns < best))
			best = ns;
		*done += i;
		*ok += good;
	}
	return best;
}

/* Count the kernel calls of many small and of a few large allocations, each
 * in a traced child; notes and measures into @r. */
static void count_kernel_calls(size_t nsmall, struct rl_workload_result *r)
{
	char a[64], b[160], c[64], why[RL_WL_TEXT] = "";
	struct trace small, large;
	if (rl__wl_traced_run(nsmall, SMALL_SIZE, 1, &small, why, sizeof why) ||
	    rl__wl_traced_run(LARGE_BLOCKS, LARGE_SIZE, 2, &large, why, sizeof why)) {
		rl__wl_note(r, "kernel calls not counted: %s", why);
		return;
	}
	const struct phase *sa = &small.ph[1], *sf = &small.ph[2];
	const struct phase *l1 = &large.ph[1], *f1 = &large.ph[2], *l2 = &large.ph[3], *f2 = &large.ph[4];
	uint64_t ks = rl__wl_total_calls(sa);
	rl__wl_measure(r, "small_kernel_calls", "kernel calls, small blocks", (double)ks, "calls");
	if (ks)
		rl__wl_measure(r, "small_allocs_per_call", "small allocations per kernel call", (double)nsmall / (double)ks, "");
	rl__wl_measure(r, "large_kernel_calls", "kernel calls, 16 x 1 MiB", (double)rl__wl_total_calls(l1), "calls");
	rl__wl_measure(r, "large_kernel_calls_again", "kernel calls, 16 x 1 MiB again", (double)rl__wl_total_calls(l2), "calls");

	const char *san = rl__wl_sanitizer_name();
	if (san)
		rl__wl_note(r, "built with %s: malloc is the sanitizer's allocator, so the calls below are its requests, not glibc's",
			    san);
	rl__wl_note(r, "kernel calls: forked children (copies of this process's allocator) allocate while "
		       "ptrace(PTRACE_SYSCALL) counts their brk, mmap, munmap, mremap, mprotect and madvise calls");
	rl__wl_note(r, "%zu x malloc(64) (%s): %s, one per %.0f allocations, the heap grew %s; the last block is in %s",
		    nsmall, rl__wl_size(nsmall * SMALL_SIZE, c, sizeof c), rl__wl_calls_text(sa, b, sizeof b),
		    ks ? (double)nsmall / (double)ks : (double)nsmall, rl__wl_size(sa->grown, a, sizeof a),
		    rl__wl_block_place(sa, why, sizeof why));
	if (!san && sa->calls[K_MPROTECT] && !sa->calls[K_BRK] && strcmp(sa->map_name, "[heap]"))
		rl__wl_note(r, "(glibc gives a thread other than the process's first an arena of its own: a reserved "
			       "mapping opened with mprotect as it grows, not the brk heap)");
	rl__wl_note(r, "free of the %zu small blocks: %s", nsmall, rl__wl_calls_text(sf, b, sizeof b));
	rl__wl_note(r, "16 x malloc(1 MiB): %s, %s; the last block is in %s; free: %s", rl__wl_calls_text(l1, b, sizeof b),
		    rl__wl_size(l1->grown, a, sizeof a), rl__wl_block_place(l1, why, sizeof why), rl__wl_calls_text(f1, c, sizeof c));
	rl__wl_note(r, "16 x malloc(1 MiB) again: %s, %s; the last block is in %s; free: %s", rl__wl_calls_text(l2, b, sizeof b),
		    rl__wl_size(l2->grown, a, sizeof a), rl__wl_block_place(l2, why, sizeof why), rl__wl_calls_text(f2, c, sizeof c));
	if (!san && l1->calls[K_MMAP] >= LARGE_BLOCKS && l2->calls[K_MMAP] < LARGE_BLOCKS)
		rl__wl_note(r, "glibc maps each block above its mmap threshold (128 KiB at first) on its own; freeing one "
			       "raises the threshold to its size, so the second round comes from the heap");
}

int rl__wl_stack_vs_heap(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	uint64_t n = p->iters;
	size_t main_stack = r->main_stack;
	uint64_t allocated = 0, freed = 0;
	char a[32];

	/* 1. The kernel calls, before this process's own timing loops move glibc's
	 *    mmap threshold (a freed 1 MiB block raises it). Their figures are
	 *    shown after the timings, so they go to a scratch result first. */
	struct rl_workload_result *k = calloc(1, sizeof *k);
	if (!k)
		return rl__wl_fail(r, RL_ENOMEM, "out of memory");
	count_kernel_calls(n > 1000000 ? 1000000 : (size_t)n, k);

	/* 2. Time a frame vs malloc/free of the same size. */
	double frame_ns[3] = {0}, heap_ns[3] = {0};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0] && !rl_workload_stopping(); i++) {
		const struct sizes *s = &sizes[i];
		uint64_t iters = n / s->div ? n / s->div : 1, done, ok;
		/* Leave the frame out when it would not fit the main thread's stack four times over. */
		if (s->size * 4 <= main_stack)
			frame_ns[i] = time_alloc(s->frame, 0, iters, &done, &ok);
		heap_ns[i] = time_alloc(NULL, s->size, iters, &done, &ok);
		allocated += done;
		freed += ok;
	}
	static const char *const keys[3][2] = {{"stack_64_ns", "heap_64_ns"},
					       {"stack_4k_ns", "heap_4k_ns"},
					       {"stack_1m_ns", "heap_1m_ns"}};
	for (size_t i = 0; i < 3; i++) {
		char label[48];
		snprintf(label, sizeof label, "%s in a stack frame", sizes[i].name);
		if (frame_ns[i] > 0)
			rl__wl_measure(r, keys[i][0], label, frame_ns[i], "ns/op");
		snprintf(label, sizeof label, "%s malloc + free", sizes[i].name);
		if (heap_ns[i] > 0)
			rl__wl_measure(r, keys[i][1], label, heap_ns[i], "ns/op");
	}
	rl__wl_note(r, "time: a call whose frame holds the array (the stack pointer moves) vs malloc, write both ends, "
		       "free (best of 3 runs of %llu; %llu for 1 MiB)",
		    (unsigned long long)n, (unsigned long long)(n / 100 ? n / 100 : 1));
	if (frame_ns[0] > 0 && heap_ns[0] > 0)
		rl__wl_note(r, "64 B: %.1f ns in a frame, %.1f ns on the heap (%.1fx); 4 KiB: %.1f vs %.1f ns; 1 MiB: %.1f vs %.1f ns",
			    frame_ns[0], heap_ns[0], heap_ns[0] / frame_ns[0], frame_ns[1], heap_ns[1], frame_ns[2],
			    heap_ns[2]);
	if (frame_ns[2] == 0)
		rl__wl_note(r, "the 1 MiB frame was left out: the main thread's stack (%s) is under 4 MiB",
			    rl__wl_size(main_stack, a, sizeof a));
	for (unsigned i = 0; i < k->nmeasures; i++)
		rl__wl_measure(r, k->measures[i].key, k->measures[i].label, k->measures[i].value, k->measures[i].unit);
	for (unsigned i = 0; i < k->nnotes; i++)
		rl__wl_note(r, "%s", k->notes[i]);
	free(k);

	rl__wl_counts(r, "blocks freed", (int64_t)allocated, (int64_t)freed);
	return RL_OK;
}
