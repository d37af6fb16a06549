/* fiber.c — user-level contexts for the model's threads (fiber.h).
 *
 * Owns: the context switch, the fibers' stacks (mmap'd with a guard page,
 * parked by size and reused, so a schedule maps nothing), the ready queue of
 * a released scheduler, and the registry of thread-locals that follow an rl
 * thread across switches.
 *
 * Invariants:
 * - Only the host OS thread (rl__fiber_here) touches this file's state, and
 *   one context runs there at a time: no locks, no atomics. rl_model() is not
 *   reentrant, so there is one host at most (begin() refuses a second).
 * - A context that is not running has its callee-saved registers on its own
 *   stack and its stack pointer in ->sp; its registered thread-locals are in
 *   ->tls. The running context's are in the OS thread's TLS.
 * - A fiber's stack is parked by rl__fiber_exit() while it still runs on
 *   it; that is safe because nothing else runs before the switch away, and
 *   stacks are unmapped only by rl__fiber_end(), from the root.
 *
 * The switch (x86-64 System V): push the six callee-saved registers and the
 * MXCSR / x87 control words (also callee-saved), store rsp, load the other
 * context's rsp, pop, ret. No signal mask is saved: unlike swapcontext() the
 * switch makes no system call (the mask is the host thread's, the same for
 * every context). Stack overflow on a fiber hits the guard page; the
 * SIGSEGV handler runs on the host's sigaltstack (core/thread.c) and finds
 * the fiber's rl thread in the switched thread-locals.
 */
#include "fiber.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include <time.h>
#include <unistd.h>

#include <racelab/hooks.h>

__thread bool rl__fiber_here __attribute__((tls_model("initial-exec")));

/* ---- the thread-local registry ----------------------------------------- */

#define TLS_MAX 16

static struct tls_ent {
	void *(*addr)(void);
	size_t size, off;
	void *p; /* the host's instance, resolved by begin() */
} tls_ents[TLS_MAX];
static unsigned ntls;
static size_t tls_size;

void rl__fiber_tls(void *(*addr)(void), size_t size)
{
	if (ntls == TLS_MAX)
		RL_FATAL("more than %d fiber thread-locals", TLS_MAX);
	size_t off = (tls_size + 15) & ~(size_t)15;
	tls_ents[ntls++] = (struct tls_ent){ addr, size, off, NULL };
	tls_size = off + size;
}

#if RL__FIBERS

struct rl__fiber {
	void *sp;               /* saved stack pointer while switched out */
	struct rl__fiber *next; /* the ready queue, or the parked list */
	bool queued;
	unsigned char *map;     /* guard page, then the stack */
	size_t map_len, stack_size;
	void (*fn)(void *);
	void *arg;
	unsigned char tls[];    /* the registered thread-locals, switched out */
};

void rl__ctx_switch(void **save_sp, void *load_sp) __attribute__((visibility("hidden")));
void rl__ctx_start(void) __attribute__((visibility("hidden")));

__asm__(".text\n"
	".p2align 4\n"
	".globl rl__ctx_switch\n"
	".hidden rl__ctx_switch\n"
	".type rl__ctx_switch,@function\n"
	"rl__ctx_switch:\n"
	"	.cfi_startproc\n"
	"	pushq %rbp\n"
	"	pushq %rbx\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	subq $8, %rsp\n"
	"	stmxcsr (%rsp)\n"
	"	fnstcw 4(%rsp)\n"
	"	movq %rsp, (%rdi)\n"
	"	movq %rsi, %rsp\n"
	"	ldmxcsr (%rsp)\n"
	"	fldcw 4(%rsp)\n"
	"	addq $8, %rsp\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbx\n"
	"	popq %rbp\n"
	"	ret\n"
	"	.cfi_endproc\n"
	".size rl__ctx_switch, .-rl__ctx_switch\n"
	/* A new context's first ret lands here with the fiber in r12 and rsp
	 * 16-byte aligned; rip undefined ends backtraces. */
	".p2align 4\n"
	".globl rl__ctx_start\n"
	".hidden rl__ctx_start\n"
	".type rl__ctx_start,@function\n"
	"rl__ctx_start:\n"
	"	.cfi_startproc\n"
	"	.cfi_undefined rip\n"
	"	movq %r12, %rdi\n"
	"	call rl__fiber_main\n"
	"	ud2\n"
	"	.cfi_endproc\n"
	".size rl__ctx_start, .-rl__ctx_start\n");

void rl__fiber_main(struct rl__fiber *f) __attribute__((visibility("hidden"), noreturn, used));
void rl__fiber_main(struct rl__fiber *f)
{
	f->fn(f->arg);
	RL_FATAL("a fiber's function returned");
}

static struct rl__fiber *root; /* the host's own context */
static struct rl__fiber *cur;  /* the running context */
static struct rl__fiber *handoff;
static struct rl__fiber *rq_head, *rq_tail;
static struct rl__fiber *parked; /* free stacks, any size */
static unsigned nparked;
#define PARK_MAX 16 /* kept by rl__fiber_end(): enough for a few threads' schedules */

static size_t page(void)
{
	static size_t ps;
	if (!ps)
		ps = (size_t)sysconf(_SC_PAGESIZE);
	return ps;
}

bool rl__fiber_begin(void)
{
	if (root) /* another thread hosts them */
		return false;
	const char *e = getenv("RACELAB_MODEL_FIBERS");
	if (e && strcmp(e, "0") == 0)
		return false;
	root = calloc(1, sizeof(*root) + tls_size);
	if (!root)
		return false;
	for (unsigned i = 0; i < ntls; i++)
		tls_ents[i].p = tls_ents[i].addr();
	cur = root;
	handoff = rq_head = rq_tail = NULL;
	rl__fiber_here = true;
	return true;
}

static void unmap(struct rl__fiber *f)
{
	munmap(f->map, f->map_len);
	free(f);
}

void rl__fiber_end(void)
{
	if (!rl__fiber_here)
		return;
	if (cur != root)
		RL_FATAL("rl__fiber_end() on a fiber");
	/* Keep PARK_MAX stacks for the next rl_model() (any thread may host it). */
	struct rl__fiber **pp = &parked;
	unsigned kept = 0;
	while (*pp) {
		struct rl__fiber *f = *pp;
		if (kept < PARK_MAX) {
			kept++;
			pp = &f->next;
		} else {
			*pp = f->next;
			unmap(f);
		}
	}
	nparked = kept;
	free(root);
	root = cur = NULL;
	rl__fiber_here = false;
}

/* A stack of @size bytes under one PROT_NONE guard page, as musl maps
 * thread stacks: the whole region inaccessible, then the stack opened.
 * MAP_NORESERVE: the 8 MiB of a main thread cost what it touches. */
static struct rl__fiber *map_fiber(size_t size)
{
	struct rl__fiber *f = calloc(1, sizeof(*f) + tls_size);
	if (!f)
		return NULL;
	size_t len = size + page();
	unsigned char *m = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (m == MAP_FAILED) {
		free(f);
		return NULL;
	}
	if (mprotect(m + page(), size, PROT_READ | PROT_WRITE) != 0) {
		munmap(m, len);
		free(f);
		return NULL;
	}
	f->map = m;
	f->map_len = len;
	f->stack_size = size;
	return f;
}

struct rl__fiber *rl__fiber_new(size_t stack_size, void (*fn)(void *), void *arg)
{
	size_t size = (stack_size + page() - 1) / page() * page();
	struct rl__fiber **pp = &parked, *f;
	while ((f = *pp) && f->stack_size != size)
		pp = &f->next;
	if (f) {
		*pp = f->next;
		nparked--;
	} else if (!(f = map_fiber(size))) {
		return NULL;
	}
	f->next = NULL;
	f->queued = false;
	f->fn = fn;
	f->arg = arg;
	memset(f->tls, 0, tls_size);
	/* The frame rl__ctx_switch pops: control words, r15..r12, rbx, rbp,
	 * then the return into rl__ctx_start, after which rsp = top - 16. */
	uint64_t *sp = (uint64_t *)(void *)(f->map + f->map_len - 16) - 8;
	sp[0] = 0x1F80 | ((uint64_t)0x037F << 32); /* MXCSR, x87 CW: the ABI's initial values */
	sp[1] = sp[2] = sp[3] = 0;                 /* r15, r14, r13 */
	sp[4] = (uint64_t)(uintptr_t)f;            /* r12: rl__ctx_start's argument */
	sp[5] = 0;                                 /* rbx */
	sp[6] = 0;                                 /* rbp: the end of the frame chain */
	sp[7] = (uint64_t)(uintptr_t)rl__ctx_start;
	f->sp = sp;
	return f;
}

void rl__fiber_stack(const struct rl__fiber *f, void **lo, size_t *size)
{
	*lo = f->map + page();
	*size = f->stack_size;
}

struct rl__fiber *rl__fiber_self(void) { return cur == root ? NULL : cur; }

static void switch_to(struct rl__fiber *to)
{
	struct rl__fiber *from = cur;
	if (to == from)
		return;
	for (unsigned i = 0; i < ntls; i++) {
		const struct tls_ent *e = &tls_ents[i];
		memcpy(from->tls + e->off, e->p, e->size);
		memcpy(e->p, to->tls + e->off, e->size);
	}
	cur = to;
	rl__ctx_switch(&from->sp, to->sp);
}

void rl__fiber_switch(struct rl__fiber *to) { switch_to(to ? to : root); }

void rl__fiber_handoff(struct rl__fiber *to) { handoff = to ? to : root; }

void rl__fiber_ready(struct rl__fiber *f)
{
	if (!f)
		f = root;
	if (f->queued)
		return;
	f->queued = true;
	f->next = NULL;
	if (rq_tail)
		rq_tail->next = f;
	else
		rq_head = f;
	rq_tail = f;
}

/* The next queued context other than the running one, or NULL. */
static struct rl__fiber *ready_pop(void)
{
	struct rl__fiber *f;
	while ((f = rq_head)) {
		rq_head = f->next;
		if (!rq_head)
			rq_tail = NULL;
		f->queued = false;
		if (f != cur)
			return f;
	}
	return NULL;
}

bool rl__fiber_yield(void)
{
	struct rl__fiber *to = ready_pop();
	if (!to)
		return false;
	rl__fiber_ready(cur);
	switch_to(to);
	return true;
}

_Noreturn void rl__fiber_exit(void)
{
	struct rl__fiber *f = cur, *to = handoff;
	handoff = NULL;
	if (f == root)
		RL_FATAL("rl__fiber_exit() on the root context");
	if (!to || to == f)
		to = ready_pop();
	if (!to)
		RL_FATAL("a model thread ended and no other one can run");
	f->next = parked;
	parked = f;
	nparked++;
	switch_to(to);
	__builtin_unreachable();
}

long rl__fiber_futex_wait(void *word, unsigned expected, const void *deadline)
{
	/* Relaxed, as FUTEX_WAIT's own compare: the caller re-checks the word
	 * with its own ordering after every return. */
	if (__atomic_load_n((unsigned *)word, __ATOMIC_RELAXED) != expected)
		return 0;
	if (deadline) {
		const struct timespec *d = deadline;
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > d->tv_sec || (now.tv_sec == d->tv_sec && now.tv_nsec >= d->tv_nsec)) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
	if (rl__fiber_yield())
		return 0; /* a spurious return: every caller re-checks its word */
	return syscall(SYS_futex, word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, expected, deadline, NULL,
		FUTEX_BITSET_MATCH_ANY);
}

#else /* !RL__FIBERS: the OS-thread pool runs the model's threads */

bool rl__fiber_begin(void) { return false; }
void rl__fiber_end(void) {}
struct rl__fiber *rl__fiber_new(size_t stack_size, void (*fn)(void *), void *arg)
{
	(void)stack_size, (void)fn, (void)arg;
	return NULL;
}
void rl__fiber_stack(const struct rl__fiber *f, void **lo, size_t *size)
{
	(void)f;
	*lo = NULL;
	*size = 0;
}
struct rl__fiber *rl__fiber_self(void) { return NULL; }
void rl__fiber_switch(struct rl__fiber *to) { (void)to; }
void rl__fiber_handoff(struct rl__fiber *to) { (void)to; }
void rl__fiber_ready(struct rl__fiber *f) { (void)f; }
bool rl__fiber_yield(void) { return false; }
_Noreturn void rl__fiber_exit(void) { RL_FATAL("no fibers in this build"); }
long rl__fiber_futex_wait(void *word, unsigned expected, const void *deadline)
{
	return syscall(SYS_futex, word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, expected, deadline, NULL,
		       FUTEX_BITSET_MATCH_ANY);
}

#endif
