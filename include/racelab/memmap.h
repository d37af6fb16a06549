/* memmap.h — where a value lives, observed at run time.
 *
 * rl_mem_where() looks an address up in three places and says which region of
 * the process holds it, as the seed draws them: the executable's segments
 * (code, read-only data, static data), the current thread's stack, the heap.
 *   - /proc/self/maps: the mapping (range, permissions, file or [heap]/[stack]);
 *   - dl_iterate_phdr(): the loaded ELF object and its PT_LOAD segment (flags
 *     R/W/X), then the object's section headers, read from its file: the
 *     section (.text, .rodata, .data, .bss, ...);
 *   - pthread_getattr_np(): the current thread's stack range.
 */
#ifndef RACELAB_MEMMAP_H
#define RACELAB_MEMMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum rl_mem_kind {
	RL_MEM_UNMAPPED = 0, /* no mapping holds the address */
	RL_MEM_TEXT,         /* a loaded object's executable segment (PF_X): code */
	RL_MEM_RODATA,       /* a read-only segment (PF_R only): literals, constants */
	RL_MEM_DATA,         /* a writable segment (PF_W): .data, .bss, ... */
	RL_MEM_STACK,        /* the calling thread's stack */
	RL_MEM_HEAP,         /* the [heap] mapping: the brk heap (glibc's main arena) */
	RL_MEM_ANON,         /* another anonymous mapping: mmap'd blocks, other arenas, other threads' stacks */
	RL_MEM_OTHER,        /* any other mapping (a mapped file, [vdso], another thread's [stack]) */
	RL_MEM_NKINDS,
};

struct rl_mem_where {
	uintptr_t addr;
	enum rl_mem_kind kind;
	/* The mapping, from /proc/self/maps (map_end 0: none found). */
	uintptr_t map_start, map_end;
	char perms[5];         /* "r-xp" */
	char map_name[160];    /* a path, "[heap]", "[stack]", or "" (anonymous) */
	/* The ELF segment, from dl_iterate_phdr (segment -1: not in a loaded object). */
	char object[160];      /* the object's path ("/proc/self/exe" resolved for the program) */
	int segment;           /* index of the PT_LOAD entry in the program headers */
	unsigned seg_flags;    /* PF_R | PF_W | PF_X */
	char section[32];      /* ".rodata", ".text", ".data", ".bss", ... or "" */
	bool in_bss_tail;      /* past the segment's file bytes (zero-filled memory) */
	/* The calling thread's stack. */
	uintptr_t stack_lo, stack_hi;
};

/**
 * rl_mem_where() - which region of this process holds @addr.
 * @out: filled in full (fields that do not apply are zero, "" or -1).
 *
 * Reads /proc/self/maps and the object's file: not async-signal-safe, and a
 * few hundred microseconds per call.
 * Context: any thread (the stack is the calling thread's).
 * Return: RL_OK, or RL_EINVAL when /proc/self/maps cannot be read (@out then
 * still has what dl_iterate_phdr and the stack range told).
 */
int rl_mem_where(const void *addr, struct rl_mem_where *out);

/* "text", "rodata", "data", "stack", "heap", "anon", "other", "unmapped". */
const char *rl_mem_kind_name(enum rl_mem_kind k);

/* For people: "code", "read-only data", "static data", "stack (this thread)", ... */
const char *rl_mem_kind_label(enum rl_mem_kind k);

/* "R", "RW", "RX", ... for PF_* flags. Return: @buf. */
const char *rl_mem_seg_flags(unsigned flags, char buf[4]);

#ifdef __cplusplus
}
#endif
#endif
