/* wl_syscall_trace.c — a ptrace(PTRACE_SYSCALL) tracer that counts what an
 * allocator asks of the kernel.
 *
 * A forked child allocates and frees blocks while this thread traces its
 * system calls and counts brk, mmap, munmap, mremap, mprotect and madvise
 * between markers (getppid calls) that split the phases; after each alloc
 * phase it finds the mapping that holds the last block (/proc/PID/maps). The
 * child is single-threaded, so glibc serves it from its main arena: the brk
 * heap the seed draws (glibc's malloc uses the main arena whenever the
 * process has one thread).
 */
#include <errno.h>
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

#include <racelab/workload.h>

#include "wl.h"
#include "wl_syscall_trace.h"

const char *const rl__wl_kcall_name[K_N] = {"brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "other"};

#define CHILD_NO_PTRACE 99
#define CHILD_NO_MEMORY 98

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

uint64_t rl__wl_total_calls(const struct phase *ph)
{
	uint64_t n = 0;
	for (int k = 0; k < K_N; k++)
		n += ph->calls[k];
	return n;
}

const char *rl__wl_calls_text(const struct phase *ph, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = '\0';
	for (int k = 0; k < K_N; k++) {
		if (!ph->calls[k])
			continue;
		int n = snprintf(buf + at, len - at, "%s%llu %s", at ? " + " : "", (unsigned long long)ph->calls[k],
				 rl__wl_kcall_name[k]);
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

const char *rl__wl_block_place(const struct phase *ph, char *buf, size_t len)
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

int rl__wl_traced_run(size_t n, size_t size, int rounds, struct trace *t, char *why, size_t len)
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
