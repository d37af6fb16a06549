/* wl_syscall_trace.h — the allocator's kernel calls, counted: a forked child
 * allocates and frees blocks while its parent traces its system calls with
 * ptrace(PTRACE_SYSCALL) (wl_syscall_trace.c). Used by stack-vs-heap.
 * Private to workloads/.
 */
#ifndef RACELAB_WL_SYSCALL_TRACE_H
#define RACELAB_WL_SYSCALL_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- counting the allocator's kernel calls -------------------------------- */

enum { K_BRK, K_MMAP, K_MUNMAP, K_MREMAP, K_MPROTECT, K_MADVISE, K_OTHER, K_N };
/* "brk", "mmap", ... by K_*. */
extern const char *const rl__wl_kcall_name[K_N];

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

/* Fork a child that allocates and frees @n blocks of @size, @rounds times,
 * and trace it into @t. Return: 0, or -1 with why in @why. */
int rl__wl_traced_run(size_t n, size_t size, int rounds, struct trace *t, char *why, size_t len);

/* The kernel calls of a phase, all kinds. */
uint64_t rl__wl_total_calls(const struct phase *ph);

/* "61 brk", "16 mmap + 1 brk", "no call"; other calls by name. */
const char *rl__wl_calls_text(const struct phase *ph, char *buf, size_t len);

/* Where the phase's first block is: "[heap]" or "an anonymous rw-p mapping of 6.2 MiB". */
const char *rl__wl_block_place(const struct phase *ph, char *buf, size_t len);

#endif
