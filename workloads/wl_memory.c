/* wl_memory.c — the seed's memory model, measured: stack-vs-heap, vec-growth,
 * copy-move-clone.
 *
 * stack-vs-heap: a value in a stack frame costs a subtraction from the stack
 * pointer; on the heap it costs malloc and free. Both are timed for the same
 * sizes. Then the allocator's requests to the kernel are counted: a forked
 * child runs many small and a few large allocations while this thread traces
 * its system calls with ptrace(PTRACE_SYSCALL) and counts brk, mmap, munmap,
 * mremap, mprotect and madvise between markers (getppid calls) that split
 * the phases. The child is single-threaded, so glibc serves it from its main
 * arena: the brk heap the seed draws (glibc's malloc uses the main arena
 * whenever the process has one thread).
 *
 * vec-growth: pushes N i32 into an empty rl_vec (include/racelab/vec.h, Rust's
 * growth policy) and records every reallocation: old and new capacity, the
 * bytes that had to move, and whether realloc() moved the buffer or grew it
 * in place. Then it times N pushes into a growing and into a pre-sized vector.
 *
 * copy-move-clone: the seed's Vec<String> of "Odin", "Thor", "Loki", moved
 * (its 3-word header copied), deep-cloned (headers and every string copied),
 * and shared through Rc and Arc (one count updated), timed per operation;
 * the bytes allocated are counted by rl_vec's counting allocator.
 *
 * All three run on the runtime "main" thread alone and measure time or
 * memory: they share nothing between threads.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <linux/ptrace.h> /* struct ptrace_syscall_info (after sys/ptrace.h) */
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <racelab/arc.h>
#include <racelab/rc.h>
#include <racelab/status.h>
#include <racelab/vec.h>
#include <racelab/workload.h>

#include "wl.h"

/* The compiler must assume *p is read and written here (black_box). */
static inline void escape(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

static bool sanitized(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	return true;
#else
	return false;
#endif
}

static const char *sanitizer_name(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return "AddressSanitizer";
#elif defined(__SANITIZE_THREAD__)
	return "ThreadSanitizer";
#else
	return NULL;
#endif
}

static size_t phys_mem(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), ps = sysconf(_SC_PAGESIZE);
	return pages > 0 && ps > 0 ? (size_t)pages * (size_t)ps : (size_t)1 << 30;
}

/* ========================================================================
 * stack-vs-heap
 * ====================================================================== */

/* A call whose frame holds a @size-byte array: the array is "allocated" by
 * the frame's stack-pointer adjustment. Both ends are written, as the heap
 * side writes its block. */
#define FRAME_FN(name, size)                                 \
	static __attribute__((noinline)) unsigned name(void) \
	{                                                    \
		unsigned char buf[size];                     \
		buf[0] = 1;                                  \
		buf[(size) - 1] = 2;                         \
		escape(buf);                                 \
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
	escape(p);
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

/* ---- counting the allocator's kernel calls -------------------------------- */

enum { K_BRK, K_MMAP, K_MUNMAP, K_MREMAP, K_MPROTECT, K_MADVISE, K_OTHER, K_N };
static const char *const kname[K_N] = {"brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "other"};

/* A child's phases, each ended by a marker (a getppid call): phase 0 is the
 * child's start (raise, ...); then, for the small blocks, alloc and free; for
 * the large ones, alloc, free, alloc again, free again. */
enum { PH_N = 5 };

#define MAX_OTHER 4

struct phase {
	uint64_t calls[K_N];
	uint64_t grown;      /* bytes the heap grew by: [heap] growth, mmap'd and mprotect'ed to RW */
	uint64_t returned;   /* bytes given back: munmap'd */
	long other[MAX_OTHER]; /* the other system calls seen, by number */
	int nother;
	size_t heap_before;  /* size of the child's [heap] mapping when the phase began */
	/* Where the phase's first block is (alloc phases): the mapping that holds it. */
	uintptr_t block;
	char map_name[32];
	char perms[5];
	size_t map_size;
};

struct trace {
	void **blocks;       /* the child's array of block pointers (same address in the child) */
	size_t nblocks;      /* blocks per alloc phase: the last one is looked up */
	struct phase ph[PH_N];
	int phases;          /* markers seen */
	bool failed;         /* the child could not allocate */
};

#define CHILD_NO_PTRACE 99
#define CHILD_NO_MEMORY 98
#define LARGE_BLOCKS 16
#define LARGE_SIZE ((size_t)1 << 20)
#define SMALL_SIZE ((size_t)64)

static void marker(void)
{
	syscall(SYS_getppid);
}

static unsigned char *alloc_block(size_t size, int *status)
{
	unsigned char *p = malloc(size);
	if (p)
		p[0] = 1;
	else
		*status = CHILD_NO_MEMORY;
	return p;
}

/* The traced child: @rounds times, allocate @n blocks of @size, then free them. */
static _Noreturn void child_main(void **blocks, size_t n, size_t size, int rounds)
{
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0)
		_exit(CHILD_NO_PTRACE);
	raise(SIGSTOP);
	marker();
	int status = 0;
	for (int round = 0; round < rounds; round++) {
		for (size_t i = 0; i < n; i++)
			blocks[i] = alloc_block(size, &status);
		marker();
		for (size_t i = 0; i < n; i++)
			free(blocks[i]);
		marker();
	}
	/* No atexit handlers, no stdio flush: the parent's buffers are not ours. */
	_exit(status);
}

static int kind_of(long nr)
{
	switch (nr) {
	case SYS_brk: return K_BRK;
	case SYS_mmap: return K_MMAP;
	case SYS_munmap: return K_MUNMAP;
	case SYS_mremap: return K_MREMAP;
	case SYS_mprotect: return K_MPROTECT;
	case SYS_madvise: return K_MADVISE;
	default: return K_OTHER;
	}
}

static const char *syscall_name(long nr, char *buf, size_t len)
{
	switch (nr) {
	case SYS_openat: return "openat";
	case SYS_read: return "read";
	case SYS_close: return "close";
	case SYS_futex: return "futex";
	case SYS_getrandom: return "getrandom";
	case SYS_gettid: return "gettid";
	default: snprintf(buf, len, "syscall %ld", nr); return buf;
	}
}

/* The mapping of @pid that holds @addr: name ("[heap]", "" anonymous), perms, size. */
static void child_mapping(pid_t pid, uintptr_t addr, struct phase *ph)
{
	char path[64], line[512];
	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		char perms[5];
		int at = 0;
		if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %n", &lo, &hi, perms, &at) < 3 || addr < lo || addr >= hi)
			continue;
		char *name = at ? line + at : line + strlen(line);
		name[strcspn(name, "\n")] = '\0';
		snprintf(ph->map_name, sizeof ph->map_name, "%s", name);
		memcpy(ph->perms, perms, sizeof ph->perms);
		ph->map_size = hi - lo;
		break;
	}
	fclose(f);
}

/* Size of @pid's [heap] mapping (the brk heap), 0 if it has none. */
static size_t heap_size(pid_t pid)
{
	char path[64], line[512];
	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "re");
	size_t size = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		if (strstr(line, "[heap]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			size = hi - lo;
	}
	fclose(f);
	return size;
}

static void kill_child(pid_t pid)
{
	int st;
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

/* A marker: phase t->phases ends. The child is stopped, so its memory holds still. */
static void end_phase(pid_t pid, struct trace *t)
{
	size_t heap = heap_size(pid);
	if (t->phases < PH_N) {
		struct phase *ph = &t->ph[t->phases];
		if (heap > ph->heap_before)
			ph->grown += heap - ph->heap_before;
		if (t->phases % 2 == 1) { /* an alloc phase: where did its last block go? */
			errno = 0;
			long w = ptrace(PTRACE_PEEKDATA, pid, (void *)&t->blocks[t->nblocks - 1], NULL);
			if (errno == 0 && w) {
				ph->block = (uintptr_t)w;
				child_mapping(pid, ph->block, ph);
			}
		}
	}
	if (++t->phases < PH_N)
		t->ph[t->phases].heap_before = heap;
}

/* Trace the child to its end; Return: 0, or -1 with one line in @why. */
static int trace_child(pid_t pid, struct trace *t, char *why, size_t len)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			snprintf(why, len, "waitpid: %s", strerror(errno));
			return -1;
		}
	if (WIFEXITED(st)) {
		snprintf(why, len, "%s", WEXITSTATUS(st) == CHILD_NO_PTRACE ? "ptrace(PTRACE_TRACEME) was refused"
									 : "the child exited before it was traced");
		return -1;
	}
	if (!WIFSTOPPED(st) ||
	    ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL))) {
		snprintf(why, len, "ptrace(PTRACE_SETOPTIONS): %s", strerror(errno));
		kill_child(pid);
		return -1;
	}
	int sig = 0;
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)sig) != 0) {
			snprintf(why, len, "ptrace(PTRACE_SYSCALL): %s", strerror(errno));
			kill_child(pid);
			return -1;
		}
		sig = 0;
		while (waitpid(pid, &st, 0) < 0)
			if (errno != EINTR) {
				snprintf(why, len, "waitpid: %s", strerror(errno));
				return -1;
			}
		if (WIFEXITED(st)) {
			t->failed = WEXITSTATUS(st) != 0;
			return 0;
		}
		if (WIFSIGNALED(st)) {
			snprintf(why, len, "the traced child died of signal %d", WTERMSIG(st));
			return -1;
		}
		if (WSTOPSIG(st) != (SIGTRAP | 0x80)) {
			/* A signal for the child: deliver it (the first SIGSTOP is ours). */
			sig = WSTOPSIG(st) == SIGSTOP ? 0 : WSTOPSIG(st);
			continue;
		}
		struct ptrace_syscall_info si;
		if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof si, &si) <= 0) {
			snprintf(why, len, "ptrace(PTRACE_GET_SYSCALL_INFO): %s", strerror(errno));
			kill_child(pid);
			return -1;
		}
		if (si.op != PTRACE_SYSCALL_INFO_ENTRY)
			continue;
		long nr = (long)si.entry.nr;
		if (nr == SYS_getppid) {
			end_phase(pid, t);
			continue;
		}
		if (t->phases >= PH_N)
			continue;
		struct phase *ph = &t->ph[t->phases];
		int k = kind_of(nr);
		ph->calls[k]++;
		if (k == K_MMAP)
			ph->grown += si.entry.args[1];
		else if (k == K_MPROTECT && (si.entry.args[2] & PROT_WRITE))
			ph->grown += si.entry.args[1];
		else if (k == K_MUNMAP)
			ph->returned += si.entry.args[1];
		else if (k == K_OTHER) {
			bool seen = false;
			for (int i = 0; i < ph->nother; i++)
				seen |= ph->other[i] == nr;
			if (!seen && ph->nother < MAX_OTHER)
				ph->other[ph->nother++] = nr;
		}
	}
}

static uint64_t total_calls(const struct phase *ph)
{
	uint64_t n = 0;
	for (int k = 0; k < K_N; k++)
		n += ph->calls[k];
	return n;
}

/* "61 brk", "16 mmap + 1 brk", "no call"; other calls by name. */
static const char *calls_text(const struct phase *ph, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = '\0';
	for (int k = 0; k < K_N; k++) {
		if (!ph->calls[k])
			continue;
		int n = snprintf(buf + at, len - at, "%s%llu %s", at ? " + " : "", (unsigned long long)ph->calls[k],
				 kname[k]);
		if (n < 0 || (size_t)n >= len - at)
			return buf;
		at += (size_t)n;
	}
	for (int i = 0; i < ph->nother; i++) {
		char nb[32];
		int n = snprintf(buf + at, len - at, "%s%s", i ? ", " : " (", syscall_name(ph->other[i], nb, sizeof nb));
		if (n < 0 || (size_t)n >= len - at)
			return buf;
		at += (size_t)n;
	}
	if (ph->nother && at + 1 < len)
		buf[at++] = ')', buf[at] = '\0';
	if (!at)
		snprintf(buf, len, "no call");
	return buf;
}

/* Where the phase's first block is: "[heap]" or "an anonymous rw-p mapping of 6.2 MiB". */
static const char *block_place(const struct phase *ph, char *buf, size_t len)
{
	char sz[32];
	if (!ph->block)
		snprintf(buf, len, "(not found)");
	else if (ph->map_name[0])
		snprintf(buf, len, "%s (%s)", ph->map_name, rl__wl_size(ph->map_size, sz, sizeof sz));
	else
		snprintf(buf, len, "an anonymous %s mapping of %s", ph->perms, rl__wl_size(ph->map_size, sz, sizeof sz));
	return buf;
}

/* Fork a child that allocates and frees @n blocks of @size, @rounds times,
 * and trace it. Return: 0, or -1 with why in @why. */
static int traced_run(size_t n, size_t size, int rounds, struct trace *t, char *why, size_t len)
{
	memset(t, 0, sizeof *t);
	t->nblocks = n;
	t->blocks = calloc(n, sizeof *t->blocks);
	int traced = -1;
	if (!t->blocks) {
		snprintf(why, len, "out of memory for %zu block pointers", n);
	} else if (rl_workload_stopping()) {
		snprintf(why, len, "interrupted");
	} else {
		fflush(stdout);
		fflush(stderr);
		pid_t pid = fork();
		if (pid == 0)
			child_main(t->blocks, n, size, rounds);
		if (pid < 0)
			snprintf(why, len, "fork: %s", strerror(errno));
		else
			traced = trace_child(pid, t, why, len);
	}
	free(t->blocks);
	t->blocks = NULL;
	if (traced == 0 && t->failed) {
		snprintf(why, len, "the traced child ran out of memory");
		traced = -1;
	} else if (traced == 0 && t->phases < 2 * rounds + 1) {
		snprintf(why, len, "the traced child ended early");
		traced = -1;
	}
	return traced;
}

/* Count the kernel calls of many small and of a few large allocations, each
 * in a traced child; notes and measures into @r. */
static void count_kernel_calls(size_t nsmall, struct rl_workload_result *r)
{
	char a[64], b[160], c[64], why[RL_WL_TEXT] = "";
	struct trace small, large;
	if (traced_run(nsmall, SMALL_SIZE, 1, &small, why, sizeof why) ||
	    traced_run(LARGE_BLOCKS, LARGE_SIZE, 2, &large, why, sizeof why)) {
		rl__wl_note(r, "kernel calls not counted: %s", why);
		return;
	}
	const struct phase *sa = &small.ph[1], *sf = &small.ph[2];
	const struct phase *l1 = &large.ph[1], *f1 = &large.ph[2], *l2 = &large.ph[3], *f2 = &large.ph[4];
	uint64_t ks = total_calls(sa);
	rl__wl_measure(r, "small_kernel_calls", "kernel calls, small blocks", (double)ks, "calls");
	if (ks)
		rl__wl_measure(r, "small_allocs_per_call", "small allocations per kernel call", (double)nsmall / (double)ks, "");
	rl__wl_measure(r, "large_kernel_calls", "kernel calls, 16 x 1 MiB", (double)total_calls(l1), "calls");
	rl__wl_measure(r, "large_kernel_calls_again", "kernel calls, 16 x 1 MiB again", (double)total_calls(l2), "calls");

	const char *san = sanitizer_name();
	if (san)
		rl__wl_note(r, "built with %s: malloc is the sanitizer's allocator, so the calls below are its requests, not glibc's",
			    san);
	rl__wl_note(r, "kernel calls: forked children (copies of this process's allocator) allocate while "
		       "ptrace(PTRACE_SYSCALL) counts their brk, mmap, munmap, mremap, mprotect and madvise calls");
	rl__wl_note(r, "%zu x malloc(64) (%s): %s, one per %.0f allocations, the heap grew %s; the last block is in %s",
		    nsmall, rl__wl_size(nsmall * SMALL_SIZE, c, sizeof c), calls_text(sa, b, sizeof b),
		    ks ? (double)nsmall / (double)ks : (double)nsmall, rl__wl_size(sa->grown, a, sizeof a),
		    block_place(sa, why, sizeof why));
	if (!san && sa->calls[K_MPROTECT] && !sa->calls[K_BRK] && strcmp(sa->map_name, "[heap]"))
		rl__wl_note(r, "(glibc gives a thread other than the process's first an arena of its own: a reserved "
			       "mapping opened with mprotect as it grows, not the brk heap)");
	rl__wl_note(r, "free of the %zu small blocks: %s", nsmall, calls_text(sf, b, sizeof b));
	rl__wl_note(r, "16 x malloc(1 MiB): %s, %s; the last block is in %s; free: %s", calls_text(l1, b, sizeof b),
		    rl__wl_size(l1->grown, a, sizeof a), block_place(l1, why, sizeof why), calls_text(f1, c, sizeof c));
	rl__wl_note(r, "16 x malloc(1 MiB) again: %s, %s; the last block is in %s; free: %s", calls_text(l2, b, sizeof b),
		    rl__wl_size(l2->grown, a, sizeof a), block_place(l2, why, sizeof why), calls_text(f2, c, sizeof c));
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

/* ========================================================================
 * vec-growth
 * ====================================================================== */

/* What realloc did with a full buffer. */
enum growth_kind { G_FIRST, G_IN_PLACE, G_COPIED, G_REMAPPED };

struct growth {
	size_t old_cap, new_cap;
	size_t len;         /* elements in the buffer when it grew */
	enum growth_kind kind;
};

#define MAX_GROWTHS 64

/* glibc's blocks mapped on their own (above its mmap threshold): how many and
 * their bytes (mallinfo2: hblks, hblkhd). */
struct mapped {
	size_t blocks, bytes;
	bool known; /* false when malloc is a sanitizer's */
};

static struct mapped mapped_now(void)
{
	if (sanitized())
		return (struct mapped){0, 0, false};
	struct mallinfo2 mi = mallinfo2();
	return (struct mapped){mi.hblks, mi.hblkhd, true};
}

/*
 * One push; when it grows the buffer, say how. realloc() grew the block in
 * place when the address stayed. When it moved, the bytes were copied unless
 * glibc had mapped the block on its own: then realloc uses mremap, which moves
 * page mappings and copies nothing. glibc's statistics tell the two apart: an
 * mremap leaves the number of such blocks as it was and changes their bytes;
 * a copy from heap to heap changes neither. Nothing else allocates meanwhile
 * (the workload runs on one thread).
 */
static int push_watched(struct rl_vec *v, int32_t x, struct growth *g, bool *grew)
{
	size_t cap = v->cap;
	void *ptr = v->ptr;
	struct mapped before = v->len == v->cap && ptr ? mapped_now() : (struct mapped){0, 0, false};
	int err = rl_vec_push(v, sizeof x, &x);
	*grew = !err && v->cap != cap;
	if (!*grew)
		return err;
	*g = (struct growth){cap, v->cap, v->len - 1, G_IN_PLACE};
	if (!ptr) {
		g->kind = G_FIRST;
	} else if (v->ptr != ptr) {
		struct mapped after = mapped_now();
		g->kind = before.known && after.known && after.blocks == before.blocks && after.bytes != before.bytes
				  ? G_REMAPPED
				  : G_COPIED;
	}
	return RL_OK;
}

int rl__wl_vec_growth(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	const size_t es = sizeof(int32_t);
	char a[32], b[32];
	if (p->iters > SIZE_MAX / (4 * es) || p->iters * 4 * es > phys_mem() / 2)
		return rl__wl_fail(r, RL_EINVAL, "--iters %llu needs up to %s of memory (this machine has %s)",
				   (unsigned long long)p->iters,
				   rl__wl_size(p->iters <= SIZE_MAX / (4 * es) ? p->iters * 4 * es : SIZE_MAX, a, sizeof a),
				   rl__wl_size(phys_mem(), b, sizeof b));
	size_t n = (size_t)p->iters;

	/* 1. Push one at a time, watching the header for reallocations. */
	struct growth g[MAX_GROWTHS];
	size_t ng = 0, grows = 0;
	struct rl_vec v = RL_VEC_NEW;
	size_t pushed = 0;
	while (pushed < n && !rl_workload_stopping()) {
		size_t end = pushed + 65536 < n ? pushed + 65536 : n;
		for (; pushed < end; pushed++) {
			struct growth one;
			bool grew;
			int err = push_watched(&v, (int32_t)(pushed & 0x7fffffff), &one, &grew);
			if (err) {
				rl_vec_drop(&v, es, NULL);
				return rl__wl_fail(r, err, "push %zu: %s", pushed + 1, rl_strerror(err));
			}
			if (grew && grows++ < MAX_GROWTHS)
				g[ng++] = one;
		}
	}
	size_t good = 0, final_cap = v.cap;
	for (size_t i = 0; i < v.len; i++)
		good += ((int32_t *)v.ptr)[i] == (int32_t)(i & 0x7fffffff);
	rl_vec_drop(&v, es, NULL);

	/* The policy, independently of vec.c: the first push allocates 4 (RawVec's
	 * minimum for 4-byte elements), every later growth doubles. */
	size_t expected = 0, followed = 0, count[4] = {0};
	for (size_t cap = 0; cap < pushed; cap = cap ? 2 * cap : 4)
		expected++;
	uint64_t copied = 0, moved_elems = 0;
	for (size_t i = 0; i < ng; i++) {
		followed += g[i].new_cap == (g[i].old_cap ? 2 * g[i].old_cap : 4) && g[i].len == g[i].old_cap;
		moved_elems += g[i].len;
		copied += g[i].kind == G_COPIED ? g[i].len * es : 0;
		count[g[i].kind]++;
	}

	/* 2. Time N pushes into a growing and into a pre-sized vector, best of 3. */
	double grow_ns = 0, sized_ns = 0;
	for (int round = 0; round < 3 && pushed == n && n && !rl_workload_stopping(); round++) {
		for (int sized = 0; sized < 2; sized++) {
			struct rl_vec w = RL_VEC_NEW;
			double t0 = rl__wl_now();
			int err = sized ? rl_vec_with_capacity(&w, es, n) : RL_OK;
			for (size_t i = 0; !err && i < n; i++) {
				int32_t x = (int32_t)(i & 0x7fffffff);
				err = rl_vec_push(&w, es, &x);
			}
			double ns = (rl__wl_now() - t0) * 1e9 / (double)n;
			escape(w.ptr);
			rl_vec_drop(&w, es, NULL);
			if (err)
				return rl__wl_fail(r, err, "timing pass: %s", rl_strerror(err));
			double *best = sized ? &sized_ns : &grow_ns;
			if (*best == 0 || ns < *best)
				*best = ns;
		}
	}

	rl__wl_counts(r, "reallocations", (int64_t)expected, (int64_t)followed);
	if (good != pushed) {
		r->invariant_held = false;
		rl__wl_note(r, "%zu of %zu elements were not where they were pushed", pushed - good, pushed);
	}
	rl__wl_measure(r, "reallocations", "reallocations", (double)grows, "");
	rl__wl_measure(r, "in_place", "grown in place", (double)count[G_IN_PLACE], "");
	rl__wl_measure(r, "copied", "copied to a new buffer", (double)count[G_COPIED], "");
	rl__wl_measure(r, "remapped", "moved by mremap (no copy)", (double)count[G_REMAPPED], "");
	rl__wl_measure(r, "bytes_copied", "bytes copied", (double)copied, "bytes");
	rl__wl_measure(r, "final_capacity", "final capacity", (double)final_cap, "elements");
	if (grow_ns > 0) {
		rl__wl_measure(r, "grow_ns_per_push", "push, growing from empty", grow_ns, "ns/op");
		rl__wl_measure(r, "presized_ns_per_push", "push, Vec::with_capacity(N)", sized_ns, "ns/op");
		if (sized_ns > 0)
			rl__wl_measure(r, "grow_vs_presized", "growing / pre-sized", grow_ns / sized_ns, "x");
	}

	rl__wl_note(r, "%zu pushes of an i32: %zu reallocations, capacity 0 -> 4 then doubling (Rust's RawVec); "
		       "realloc grew the buffer in place: %zu, copied it: %zu, remapped it: %zu",
		    pushed, grows, count[G_IN_PLACE], count[G_COPIED], count[G_REMAPPED]);
	rl__wl_note(r, "bytes copied: %s. Had every growth copied: %llu elements (%s), fewer than the final capacity "
		       "%zu: each push copies under one element on average, O(1) amortised",
		    rl__wl_size(copied, a, sizeof a), (unsigned long long)moved_elems,
		    rl__wl_size(moved_elems * es, b, sizeof b), final_cap);
	if (!sanitized())
		rl__wl_note(r, "copied or remapped: glibc moves a block it mapped on its own (above its mmap threshold) with "
			       "mremap, pages not bytes (told apart by glibc's mallinfo2 statistics)");
	if (grow_ns > 0)
		rl__wl_note(r, "per push: %.2f ns growing from empty, %.2f ns into Vec::with_capacity(%zu) (best of 3 runs)",
			    grow_ns, sized_ns, n);
	if (grows > ng)
		rl__wl_note(r, "%zu reallocations; the first %d are listed", grows, MAX_GROWTHS);
	/* Then every reallocation, as long as the notes last. */
	static const char *const how[] = {"first buffer", "grown in place", "copied to a new buffer",
					  "remapped (mremap): no bytes copied"};
	for (size_t i = 0; i < ng; i++) {
		if (r->nnotes + 1 >= RL_WL_MAX_NOTES && i + 1 < ng) {
			rl__wl_note(r, "... %zu more reallocations, each doubling the capacity", ng - i);
			break;
		}
		rl__wl_note(r, "cap %9zu -> %-9zu %-9s %s", g[i].old_cap, g[i].new_cap,
			    g[i].kind == G_FIRST ? rl__wl_size(g[i].new_cap * es, a, sizeof a)
						 : rl__wl_size(g[i].len * es, a, sizeof a),
			    how[g[i].kind]);
	}
	return RL_OK;
}

/* ========================================================================
 * copy-move-clone
 * ====================================================================== */

static void drop_vec_of_strings(void *value)
{
	rl_vec_drop(value, sizeof(struct rl_string), rl_string_drop);
}

static const char *const seed_names[] = {"Odin", "Thor", "Loki"};

/* The heap's in-use bytes (glibc; not meaningful under a sanitizer's allocator). */
static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

int rl__wl_copy_move_clone(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	uint64_t n = p->iters;
	char a[32];
	struct rl_alloc_stats s0, x, y;
	rl_vec_alloc_stats(&s0);

	/* let v: Vec<String> = vec!["Odin".to_string(), "Thor".to_string(), "Loki".to_string()]; */
	struct rl_vec v = RL_VEC_NEW;
	for (size_t i = 0; i < sizeof seed_names / sizeof seed_names[0]; i++) {
		struct rl_string s;
		int err = rl_string_from(&s, seed_names[i], strlen(seed_names[i]));
		if (!err && (err = rl_vec_push(&v, sizeof s, &s)) != RL_OK)
			rl_string_drop(&s);
		if (err) {
			drop_vec_of_strings(&v);
			return rl__wl_fail(r, err, "cannot build the vector: %s", rl_strerror(err));
		}
	}
	/* What a deep clone must allocate, from the vector itself: its len String
	 * headers in one buffer, then each string's bytes in a buffer of its own. */
	size_t text = 0, clone_allocs = 1;
	for (size_t i = 0; i < v.len; i++) {
		const struct rl_string *s = rl_vec_get(&v, sizeof *s, i);
		text += s->vec.len;
		clone_allocs += s->vec.len > 0;
	}
	size_t clone_bytes = v.len * sizeof(struct rl_string) + text, nstrings = v.len;

	/* Move: `let w = v;` copies v's header, three words; then back again. */
	struct rl_alloc_stats loops0;
	rl_vec_alloc_stats(&loops0);
	x = loops0;
	uint64_t moves = 0;
	double t0 = rl__wl_now();
	while (moves < 2 * n && !rl_workload_stopping()) {
		for (int k = 0; k < 1024; k++) {
			struct rl_vec w = v;
			escape(&w);
			v = w;
			escape(&v);
		}
		moves += 2048;
	}
	double move_ns = moves ? (rl__wl_now() - t0) * 1e9 / (double)moves : 0;
	rl_vec_alloc_stats(&y);
	uint64_t move_allocs = y.allocs - x.allocs;

	/* Clone: `let w = v.clone();` then drop w. */
	uint64_t clones = 0;
	int err = RL_OK;
	t0 = rl__wl_now();
	while (clones < n && !err && !rl_workload_stopping()) {
		for (int k = 0; k < 256 && clones < n && !err; k++) {
			struct rl_vec w;
			err = rl_vec_clone(&w, &v, sizeof(struct rl_string), rl_string_clone, rl_string_drop);
			if (!err) {
				escape(w.ptr);
				drop_vec_of_strings(&w);
				clones++;
			}
		}
	}
	double clone_ns = clones ? (rl__wl_now() - t0) * 1e9 / (double)clones : 0;
	rl_vec_alloc_stats(&x);
	uint64_t cloned_allocs = x.allocs - y.allocs, cloned_bytes = x.bytes - y.bytes;
	if (err) {
		drop_vec_of_strings(&v);
		return rl__wl_fail(r, err, "clone %llu: %s", (unsigned long long)clones + 1, rl_strerror(err));
	}

	/* Rc<Vec<String>>: the header moves into the Rc's box, beside the counts. */
	rl_rc *rc = rl_rc_new(sizeof v, drop_vec_of_strings);
	if (!rc) {
		drop_vec_of_strings(&v);
		return rl__wl_fail(r, RL_ENOMEM, "Rc::new: out of memory");
	}
	memcpy(rl_rc_get(rc), &v, sizeof v);
	v = RL_VEC_NEW;
	size_t heap0 = heap_in_use();
	size_t strong_during;
	uint64_t rc_clones = 0;
	t0 = rl__wl_now();
	while (rc_clones < n && !rl_workload_stopping()) {
		for (int k = 0; k < 1024; k++) {
			rl_rc *c = rl_rc_clone(rc);
			escape(c);
			rl_rc_drop(c);
		}
		rc_clones += 1024;
	}
	double rc_ns = rc_clones ? (rl__wl_now() - t0) * 1e9 / (double)rc_clones : 0;
	size_t heap1 = heap_in_use();
	rl_rc *probe = rl_rc_clone(rc);
	strong_during = rl_rc_strong_count(rc);
	rl_rc_drop(probe);
	size_t strong_after = rl_rc_strong_count(rc);

	/* Arc<Vec<String>>: the same vector, moved out of the Rc into an Arc. */
	rl_arc *arc = rl_arc_new(sizeof v, drop_vec_of_strings);
	if (!arc) {
		rl_rc_drop(rc);
		return rl__wl_fail(r, RL_ENOMEM, "Arc::new: out of memory");
	}
	if (rl_rc_try_unwrap(rc, &v) != RL_OK) {
		rl_arc_drop(arc);
		rl_rc_drop(rc);
		return rl__wl_fail(r, RL_EBUSY, "Rc::try_unwrap: another reference is alive");
	}
	memcpy(rl_arc_get(arc), &v, sizeof v);
	v = RL_VEC_NEW;
	size_t heap2 = heap_in_use();
	uint64_t arc_clones = 0;
	t0 = rl__wl_now();
	while (arc_clones < n && !rl_workload_stopping()) {
		for (int k = 0; k < 1024; k++) {
			rl_arc *c = rl_arc_clone(arc);
			escape(c);
			rl_arc_drop(c);
		}
		arc_clones += 1024;
	}
	double arc_ns = arc_clones ? (rl__wl_now() - t0) * 1e9 / (double)arc_clones : 0;
	size_t heap3 = heap_in_use();
	rl_vec_alloc_stats(&y);
	uint64_t shared_allocs = y.allocs - x.allocs;
	rl_arc_drop(arc);

	rl_vec_alloc_stats(&x);
	r->leaked = x.live - s0.live;
	/* Every byte the four loops allocated, against what the clones needed. */
	rl__wl_counts(r, "bytes allocated", (int64_t)(clones * clone_bytes), (int64_t)(y.bytes - loops0.bytes));
	if (move_allocs || shared_allocs) {
		r->invariant_held = false;
		rl__wl_note(r, "moves allocated %llu times, Rc/Arc clones %llu times: expected none",
			    (unsigned long long)move_allocs, (unsigned long long)shared_allocs);
	}

	rl__wl_measure(r, "move_ns", "move (3 words copied)", move_ns, "ns/op");
	rl__wl_measure(r, "move_bytes", "bytes copied per move", (double)sizeof(struct rl_vec), "bytes");
	/* A loop that Ctrl-C skipped has no figure. */
	if (clones) {
		rl__wl_measure(r, "clone_ns", "deep clone + drop", clone_ns, "ns/op");
		rl__wl_measure(r, "clone_allocs", "allocations per clone", (double)cloned_allocs / (double)clones, "");
		rl__wl_measure(r, "clone_bytes", "bytes allocated per clone", (double)cloned_bytes / (double)clones, "bytes");
	}
	if (rc_clones)
		rl__wl_measure(r, "rc_clone_ns", "Rc clone + drop", rc_ns, "ns/op");
	if (arc_clones)
		rl__wl_measure(r, "arc_clone_ns", "Arc clone + drop", arc_ns, "ns/op");
	rl__wl_measure(r, "shared_allocs", "allocations by Rc/Arc clones", (double)shared_allocs, "");
	if (move_ns > 0 && clone_ns > 0)
		rl__wl_measure(r, "clone_vs_move", "clone / move", clone_ns / move_ns, "x");
	if (rc_ns > 0 && arc_ns > 0)
		rl__wl_measure(r, "arc_vs_rc", "Arc / Rc", arc_ns / rc_ns, "x");

	rl__wl_note(r, "v: Vec<String> of \"Odin\", \"Thor\", \"Loki\": a %zu B header (ptr, cap, len), %zu String headers "
		       "of %zu B in one heap buffer, %zu B of text in %zu more",
		    sizeof(struct rl_vec), nstrings, sizeof(struct rl_string), text, clone_allocs - 1);
	rl__wl_note(r, "move (let w = v): %zu B copied, the header's 3 words; %llu allocations; the strings stay where they are",
		    sizeof(struct rl_vec), (unsigned long long)move_allocs);
	rl__wl_note(r, "clone (v.clone()): %.0f allocations and %s per clone: %zu x %zu B of headers + %zu B of text "
		       "(expected %zu allocations)",
		    clones ? (double)cloned_allocs / (double)clones : 0.0,
		    rl__wl_size(clones ? cloned_bytes / clones : 0, a, sizeof a), nstrings, sizeof(struct rl_string), text,
		    clone_allocs);
	rl__wl_note(r, "Rc::clone: the strong count went 1 -> %zu -> %zu; Arc::clone: the same count, atomic; "
		       "%llu allocations by either",
		    strong_during, strong_after, (unsigned long long)shared_allocs);
	if (!sanitized())
		rl__wl_note(r, "heap in use (mallinfo2) before and after the Rc loop: %zu and %zu bytes; the Arc loop: %zu and %zu",
			    heap0, heap1, heap2, heap3);
	return RL_OK;
}
