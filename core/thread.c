/* thread.c — the thread runtime: spawn/join with Rust's stack rules, guard-page
 * overflow reports, rl_panic, and stack usage.
 *
 * Invariants:
 * - Every rl thread runs run_thread() (from thread_main(), a pooled worker or
 *   a fiber of rl_model()'s thread, see "fibers" below), which publishes the
 *   thread's identity in thread-local state (ts) on an OS thread that has a
 *   sigaltstack before the user function runs. The fault handler reads only ts, the interrupted
 *   context and async-signal-safe calls.
 * - rl_panic() runs the thread's cleanup handlers, innermost first, then
 *   longjmps back to thread_main(); nothing below the jump is resumed.
 * - A struct rl_thread is owned by its creator until rl_thread_join() frees it;
 *   the child writes t->ret / t->panic_msg before it ends and pthread_join()
 *   orders those writes before the joiner's reads.
 *
 * Stack overflow (after Rust's library/std/src/sys/pal/unix/stack_overflow.rs):
 * glibc maps one PROT_NONE guard page below each thread stack. A SIGSEGV or
 * SIGBUS on an rl thread whose si_addr lies within 64 KiB of the interrupted
 * stack pointer is an overflow (see in_guard()): print "thread 'NAME' has
 * overflowed its stack" and abort() (SIGABRT, like Rust's rtabort!). Any
 * other fault resets the action to SIG_DFL and returns, so the faulting instruction repeats and the default action (a core
 * dump) happens as if racelab were not there. The handler is installed only
 * when the current action is SIG_DFL, so sanitizer handlers are not clobbered.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <racelab/hooks.h>
#include <racelab/probe.h>
#include <racelab/status.h>
#include <racelab/thread.h>

#include "arch.h"
#include "core_internal.h"
#include "fiber.h"
#include "sim_hooks.h"

#define NAME_MAX_LEN 63

struct worker;

struct rl_thread {
	pthread_t pt;
	struct worker *w;      /* the pooled OS thread running it, or NULL */
	struct rl__fiber *fib; /* the fiber running it, or NULL (its stack outlives it: parked) */
	_Atomic uint32_t done; /* pooled or fiber: 1 once it ended (its join waits for it) */
	rl_thread_fn *fn;
	void *arg;
	void *ret;
	char *panic_msg; /* malloc'd; set when the thread panicked */
	size_t stack_size;
	uint32_t id;
	bool is_main;    /* the runtime's "main": a panic exits with 101 */
	bool probed;     /* spawned while probes were attached (probe.h) */
	char name[NAME_MAX_LEN + 1];
};

/* Per-thread state. Read by the fault handler: plain fields only. */
struct tstate {
	rl_thread *self;           /* NULL on threads racelab did not start */
	size_t stack_size;
	volatile size_t depth;
	jmp_buf *unwind;           /* where rl_panic() returns to */
};
static __thread struct tstate ts __attribute__((tls_model("initial-exec")));
/* Cleanup stack and panic flag: thread.h inlines push/pop over them. */
__thread struct rl__unwind rl__unwind_tls __attribute__((tls_model("initial-exec")));

/* The per-rl-thread state above, the ids of hooks.h and errno follow an rl
 * thread that runs as a fiber (fiber.h) across its switches. */
static void *ts_addr(void) { return &ts; }
static void *unwind_addr(void) { return &rl__unwind_tls; }
static void *tid_addr(void) { return &rl__tid_tls; }
static void *owner_key_addr(void) { return &rl__owner_key_tls; }
static void *errno_addr(void) { return &errno; }

__attribute__((constructor)) static void register_fiber_tls(void)
{
	rl__fiber_tls(ts_addr, sizeof(ts));
	rl__fiber_tls(unwind_addr, sizeof(rl__unwind_tls));
	rl__fiber_tls(tid_addr, sizeof(rl__tid_tls));
	rl__fiber_tls(owner_key_addr, sizeof(rl__owner_key_tls));
	rl__fiber_tls(errno_addr, sizeof(errno));
}

static size_t page_size(void)
{
	static size_t ps;
	if (!ps)
		ps = (size_t)sysconf(_SC_PAGESIZE);
	return ps;
}

static size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

/* ---- fatal errors -------------------------------------------------------- */

/* Set by the first fatal error; a second thread that fails meanwhile waits
 * for the abort instead of printing a second report (--check abort stops at
 * the first). No data is published through it: the exchange only has to be
 * atomic, so relaxed order suffices (no release/acquire pair). */
static atomic_int fatal_taken;

_Noreturn void rl__fatal(const char *file, int line, const char *fmt, ...)
{
	if (atomic_exchange_explicit(&fatal_taken, 1, memory_order_relaxed))
		for (;;)
			pause(); /* the first one's abort() ends the process */
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "racelab: fatal: %s (%s:%d)\n", msg, file, line);
	fflush(stderr);
	abort();
}

/* ---- stack sizes --------------------------------------------------------- */

static size_t default_stack;
static pthread_once_t default_stack_once = PTHREAD_ONCE_INIT;

/* RACELAB_MIN_STACK, like RUST_MIN_STACK: decimal bytes, read once. A missing,
 * empty, zero or malformed value leaves Rust's 2 MiB default. */
static void read_min_stack(void)
{
	const char *s = getenv("RACELAB_MIN_STACK");
	default_stack = RL_DEFAULT_STACK_SIZE;
	if (!s || !*s)
		return;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || s[0] == '-' || v == 0 || v > RL_MAX_STACK_SIZE)
		return;
	default_stack = (size_t)v;
}

size_t rl_thread_default_stack_size(void)
{
	pthread_once(&default_stack_once, read_min_stack);
	return default_stack;
}

/* glibc's minimum accounts for static TLS; fall back to PTHREAD_STACK_MIN. */
static size_t min_stack_size(const pthread_attr_t *attr)
{
	typedef size_t minstack_fn(const pthread_attr_t *);
	static minstack_fn *fn;
	static int looked;
	if (!looked) {
		fn = (minstack_fn *)dlsym(RTLD_DEFAULT, "__pthread_get_minstack");
		looked = 1;
	}
	size_t m = fn ? fn(attr) : (size_t)PTHREAD_STACK_MIN;
	return m < (size_t)PTHREAD_STACK_MIN ? (size_t)PTHREAD_STACK_MIN : m;
}

/* ---- signal alternate stacks -------------------------------------------- */

/* A fault handler cannot run on the stack that overflowed: each rl thread gets
 * an alternate signal stack with its own guard page. Stacks are pooled so that
 * spawn+join does not pay an mmap/munmap pair. */
struct altstack {
	struct altstack *next;
};
static pthread_mutex_t alt_lock = PTHREAD_MUTEX_INITIALIZER;
static struct altstack *alt_free;
static size_t alt_cached;
#define ALT_CACHE_MAX 64

static size_t altstack_size(void)
{
	size_t sz = SIGSTKSZ;
	unsigned long min = getauxval(AT_MINSIGSTKSZ);
	if (min > sz)
		sz = min;
	if (sz < 16384)
		sz = 16384;
	return round_up(sz, page_size());
}

/* Return: the usable base (above the guard page), or NULL. */
static void *altstack_get(void)
{
	pthread_mutex_lock(&alt_lock);
	struct altstack *a = alt_free;
	if (a) {
		alt_free = a->next;
		alt_cached--;
	}
	pthread_mutex_unlock(&alt_lock);
	if (a)
		return a;
	size_t len = altstack_size() + page_size();
	unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	if (mprotect(m, page_size(), PROT_NONE) != 0) {
		munmap(m, len);
		return NULL;
	}
	return m + page_size();
}

static void altstack_put(void *base)
{
	pthread_mutex_lock(&alt_lock);
	if (alt_cached < ALT_CACHE_MAX) {
		struct altstack *a = base;
		a->next = alt_free;
		alt_free = a;
		alt_cached++;
		base = NULL;
	}
	pthread_mutex_unlock(&alt_lock);
	if (base)
		munmap((unsigned char *)base - page_size(), altstack_size() + page_size());
}

/* ---- the fault handler --------------------------------------------------- */

static size_t fmt_uint(char *buf, size_t v)
{
	char tmp[24];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

static void put(const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(STDERR_FILENO, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}
#define PUTS(s) put((s), strlen(s))

/* The stack pointer of the interrupted context. */
static uintptr_t fault_sp(void *uctx)
{
	const ucontext_t *uc = uctx;
#if defined(__x86_64__)
	return (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__i386__)
	return (uintptr_t)uc->uc_mcontext.gregs[REG_ESP];
#elif defined(__aarch64__)
	return (uintptr_t)uc->uc_mcontext.sp;
#else
	(void)uc;
	return 0; /* unknown architecture: no fault is recognised as an overflow */
#endif
}

/*
 * Is this fault a guard-page hit? On an rl thread, a fault within
 * GUARD_WINDOW of the stack pointer can only be the stack running off its
 * mapping into the guard page below it: everything between the stack pointer
 * and the top of the stack is mapped. Rust compares si_addr with the range
 * that pthread_getattr_np() reports; that call allocates, and finding it for
 * every spawn cost more than a tenth of a spawn+join, so racelab locates the
 * guard from the faulting context instead.
 */
#define GUARD_WINDOW ((uintptr_t)64 << 10)
static bool in_guard(uintptr_t a, void *uctx)
{
	uintptr_t sp = fault_sp(uctx);
	if (!ts.self || !sp)
		return false;
	return a + GUARD_WINDOW >= sp && a < sp + GUARD_WINDOW;
}

/* Set before any thread runs that may overflow; read in the fault handler. */
static void (*_Atomic overflow_hook)(void);

void rl__thread_set_overflow_hook(void (*hook)(void))
{
	atomic_store_explicit(&overflow_hook, hook, memory_order_relaxed);
}

static void on_fault(int sig, siginfo_t *si, void *uctx)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	if (in_guard(a, uctx)) {
		void (*hook)(void) = atomic_load_explicit(&overflow_hook, memory_order_relaxed);
		if (hook)
			hook();
		char num[24];
		const char *name = ts.self ? ts.self->name : "main";
		PUTS("\nthread '");
		PUTS(name);
		PUTS("' has overflowed its stack\n");
		PUTS("racelab: stack size ");
		put(num, fmt_uint(num, ts.stack_size));
		PUTS(" bytes (");
		put(num, fmt_uint(num, ts.stack_size >> 10));
		PUTS(" KiB)");
		if (ts.depth) {
			PUTS(", recursion depth reached ");
			put(num, fmt_uint(num, ts.depth));
		}
		PUTS("\nfatal runtime error: stack overflow, aborting\n");
		/* abort() with SIGABRT at its default action, as Rust's rtabort!. */
		signal(SIGABRT, SIG_DFL);
		abort();
	}
	/* Not a guard-page hit: restore the default action and return; the
	 * faulting access repeats and the process dies as it would without us. */
	signal(sig, SIG_DFL);
}

/* Installed at the first spawn that finds SIGSEGV/SIGBUS at SIG_DFL. Until then
 * every spawn asks again (one sigaction() call), so a handler that another
 * runtime had installed and later removed does not leave threads unprotected. */
static _Atomic bool handlers_installed;
static pthread_mutex_t handler_lock = PTHREAD_MUTEX_INITIALIZER;

static bool install_handler_one(int sig)
{
	struct sigaction old;
	if (sigaction(sig, NULL, &old) != 0)
		return false;
	if ((old.sa_flags & SA_SIGINFO) && old.sa_sigaction == on_fault)
		return true;
	if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
		return false;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL) == 0;
}

static void install_handlers(void)
{
	/* Acquire pairs with the release store below: a thread that sees the flag
	 * also sees the handlers in place. */
	if (atomic_load_explicit(&handlers_installed, memory_order_acquire))
		return;
	pthread_mutex_lock(&handler_lock);
	bool segv = install_handler_one(SIGSEGV);
	bool bus = install_handler_one(SIGBUS);
	if (segv && bus)
		atomic_store_explicit(&handlers_installed, true, memory_order_release);
	pthread_mutex_unlock(&handler_lock);
}

/* ---- thread entry -------------------------------------------------------- */

/* Kept out of line so that no local of thread_main() lives across setjmp(). */
static __attribute__((noinline)) void run_body(rl_thread *t)
{
	jmp_buf env;
	if (setjmp(env) == 0) {
		ts.unwind = &env;
		t->ret = t->fn(t->arg);
	}
	/* Normal return, or a panic that unwound to here: t->panic_msg says which. */
	ts.unwind = NULL;
}

/* The rl thread @t on the calling OS thread, from its identity to its EXIT. */
static void run_thread(rl_thread *t)
{
	rl__tid_tls = t->id;
	/* Spawned under a session (which cannot attach or detach while it runs):
	 * the owner-checked fast paths must take their probed slow paths. */
	rl__owner_key_tls = t->probed ? 0 : t->id;
	ts.self = t;
	ts.stack_size = t->stack_size;
	/* The kernel's comm name holds 15 bytes; naming oneself is a prctl(), naming
	 * another thread would be a write to /proc. Best effort. A fiber shares
	 * its host's OS thread, whose name stays the host's. */
	if (!t->fib) {
		char comm[16];
		memcpy(comm, t->name, sizeof comm - 1);
		comm[sizeof comm - 1] = '\0';
		pthread_setname_np(pthread_self(), comm);
	}

	/* Probes: the spawn -> start edge; the scheduler holds the child here
	 * until it is first picked. */
	if (t->probed)
		rl__sim_hooks.probe(&(rl_probe_ev){ .op = RL_PROBE_START, .addr = t, .name = "thread start" });
	run_body(t);
	/* Probes: the exit -> join edge; hands the scheduler's baton on. */
	if (t->probed)
		rl__sim_hooks.probe(&(rl_probe_ev){ .op = RL_PROBE_EXIT, .addr = t, .name = "thread exit" });
	ts.self = NULL;
}

/* This OS thread's alternate signal stack; NULL if none could be set. */
static void *altstack_on(void)
{
	stack_t ss = {0}, old_ss;
	void *alt = altstack_get();
	if (alt) {
		ss.ss_sp = alt;
		ss.ss_size = altstack_size();
		if (sigaltstack(&ss, &old_ss) != 0) {
			altstack_put(alt);
			alt = NULL;
		}
	}
	return alt;
}

static void *thread_main(void *p)
{
	rl_thread *t = p;
	void *alt = altstack_on();
	run_thread(t);
	if (alt) {
		stack_t off = {.ss_flags = SS_DISABLE};
		sigaltstack(&off, NULL);
		altstack_put(alt);
	}
	return NULL;
}

/* ---- the thread pool (model schedules) ------------------------------------
 *
 * While rl__thread_pool_enabled is set (rl_model() sets it for its
 * schedules), a spawn runs its rl thread on a parked OS thread of the same
 * stack size instead of creating one, and its join waits for the thread's
 * end instead of pthread_join(): a schedule costs no thread creation. Each
 * rl thread still gets its own id, name, stack size, unwind point and
 * signal stack; only the OS thread (its kernel id and its stack mapping) is
 * reused. Workers park forever once made. Where fibers are built (fiber.h)
 * rl_model() runs its threads as fibers instead, and the pool serves only
 * the other architectures and the sanitizer builds.
 */
uint32_t rl__thread_pool_enabled;

struct worker {
	struct worker *next;
	pthread_t pt;
	size_t stack_size;
	_Atomic uint32_t go; /* 1: job holds an rl thread to run */
	rl_thread *job;
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct worker *pool_free;

static void *worker_main(void *p)
{
	struct worker *w = p;
	altstack_on(); /* kept for the worker's life */
	for (;;) {
		/* Acquire: pairs with the release in pool_start(): the job is visible. */
		while (atomic_load_explicit(&w->go, memory_order_acquire) == 0)
			rl__futex_wait(&w->go, 0);
		atomic_store_explicit(&w->go, 0, memory_order_relaxed);
		rl_thread *t = w->job;
		run_thread(t);
		pthread_mutex_lock(&pool_lock);
		w->next = pool_free;
		pool_free = w;
		pthread_mutex_unlock(&pool_lock);
		/* Release: pairs with the acquire in rl_thread_join(): everything
		 * the thread did (t->ret, t->panic_msg) is visible to the joiner.
		 * @t may be freed as soon as this store lands. */
		atomic_store_explicit(&t->done, 1, memory_order_release);
		rl__futex_wake_all(&t->done);
	}
	return NULL;
}

/* Run @t on a pooled worker of its stack size. Return: 0, or an errno. */
static int pool_start(rl_thread *t, const pthread_attr_t *attr)
{
	pthread_mutex_lock(&pool_lock);
	struct worker **pp = &pool_free, *w;
	while ((w = *pp) && w->stack_size != t->stack_size)
		pp = &w->next;
	if (w)
		*pp = w->next;
	pthread_mutex_unlock(&pool_lock);
	bool fresh = !w;
	if (fresh) {
		if (!(w = calloc(1, sizeof(*w))))
			return ENOMEM;
		w->stack_size = t->stack_size;
	}
	w->job = t;
	t->w = w;
	/* Release: pairs with the acquire in worker_main(). */
	atomic_store_explicit(&w->go, 1, memory_order_release);
	if (fresh) {
		int err = pthread_create(&w->pt, attr, worker_main, w);
		if (err) {
			free(w);
			t->w = NULL;
			return err;
		}
	} else {
		rl__futex_wake_one(&w->go);
	}
	t->pt = w->pt;
	return 0;
}

/* ---- fibers (model schedules where fiber.h has them) ----------------------
 *
 * Between rl__thread_pool_begin() and _end() on the thread that runs
 * rl_model(), a probed spawn while the pool is enabled makes the rl thread a
 * fiber of that OS thread instead of a pooled worker: the scheduler switches
 * to it when it is picked (sim/sched.c), it keeps its own id, name, stack
 * size, unwind point and cleanup stack (the switched thread-locals), and its
 * stack has its own guard page; the host's sigaltstack serves its faults.
 * Outside rl_model() and where fibers are not built, nothing changes.
 */
static void *host_alt; /* the sigaltstack rl__thread_pool_begin() gave the host */

bool rl__thread_pool_begin(void)
{
	if (!rl__fiber_begin())
		return false;
	stack_t old;
	if (sigaltstack(NULL, &old) == 0 && (old.ss_flags & SS_DISABLE))
		host_alt = altstack_on();
	return true;
}

void rl__thread_pool_end(void)
{
	if (!rl__fiber_here)
		return;
	if (host_alt) {
		stack_t off = {.ss_flags = SS_DISABLE};
		sigaltstack(&off, NULL);
		altstack_put(host_alt);
		host_alt = NULL;
	}
	rl__fiber_end();
}

struct rl__fiber *rl__thread_fiber(const void *handle)
{
	const rl_thread *t = handle;
	if (!t->fib)
		RL_FATAL("thread '%s' is not a fiber of the model's host thread", t->name);
	return t->fib;
}

static void fiber_thread_main(void *p)
{
	rl_thread *t = p;
	run_thread(t);
	/* Relaxed: the joiner runs on this same OS thread, after the switch
	 * away below; @t may be freed as soon as that happens. */
	atomic_store_explicit(&t->done, 1, memory_order_relaxed);
	rl__fiber_exit();
}

static int spawn(rl_thread **out, rl_thread_fn *fn, void *arg, const rl_thread_opts *opts,
		 bool is_main, size_t default_size)
{
	if (!out)
		return RL_EINVAL;
	*out = NULL;
	if (!fn)
		return RL_EINVAL;
	size_t want = opts && opts->stack_size ? opts->stack_size : default_size;
	if (want > RL_MAX_STACK_SIZE)
		return RL_EINVAL;

	install_handlers();

	pthread_attr_t attr;
	if (pthread_attr_init(&attr) != 0)
		return RL_ENOMEM;
	size_t min = min_stack_size(&attr);
	size_t size = round_up(want < min ? min : want, page_size());
	int err = pthread_attr_setstacksize(&attr, size);
	if (err == 0)
		err = pthread_attr_setguardsize(&attr, page_size());
	if (err != 0) {
		pthread_attr_destroy(&attr);
		return RL_EINVAL;
	}

	rl_thread *t = calloc(1, sizeof *t);
	if (!t) {
		pthread_attr_destroy(&attr);
		return RL_ENOMEM;
	}
	t->fn = fn;
	t->arg = arg;
	t->stack_size = size;
	t->is_main = is_main;
	t->id = rl__tid_new();
	if (opts && opts->name)
		snprintf(t->name, sizeof t->name, "%s", opts->name);
	else
		snprintf(t->name, sizeof t->name, "<unnamed>");

	/* Probes: announce the child before it exists, so the scheduler can
	 * number it deterministically and the detector starts it from our clock. */
	rl_probe_ev pev = { .op = RL_PROBE_SPAWN, .addr = t, .kind = t->name, .name = "rl_thread_spawn" };
	t->probed = RL_UNLIKELY(rl__probe_active != 0);
	/* A fiber exists before the SPAWN event: a scheduler that already
	 * released its threads queues it there (sim/sched.c). */
	bool fiber = t->probed && rl__thread_pool_enabled && rl__fiber_here;
	if (fiber) {
		if (!(t->fib = rl__fiber_new(size, fiber_thread_main, t))) {
			pthread_attr_destroy(&attr);
			free(t);
			return RL_ENOMEM;
		}
		t->pt = pthread_self();
	}
	if (t->probed)
		rl__sim_hooks.probe(&pev);
	if (fiber)
		err = 0; /* it runs when the scheduler first picks it */
	else if (rl__thread_pool_enabled && !is_main)
		err = pool_start(t, &attr);
	else
		err = pthread_create(&t->pt, &attr, thread_main, t);
	pthread_attr_destroy(&attr);
	if (err != 0) {
		if (t->probed) {
			pev.op = RL_PROBE_SPAWN_FAILED;
			rl__sim_hooks.probe(&pev);
		}
		free(t);
		return err == EAGAIN ? RL_EAGAIN : err == ENOMEM ? RL_ENOMEM : RL_EINVAL;
	}
	*out = t;
	return RL_OK;
}

int rl_thread_spawn(rl_thread **out, rl_thread_fn *fn, void *arg, const rl_thread_opts *opts)
{
	return spawn(out, fn, arg, opts, false, rl_thread_default_stack_size());
}

int rl_thread_join(rl_thread *t, void **ret)
{
	if (!t)
		return RL_EINVAL;
	/* Probes: under the scheduler, enter waits until @t has exited. RL_EDEADLK
	 * means a deadlock released every thread: @t ends too, so join anyway. */
	rl_probe_ev pev = { .op = RL_PROBE_JOIN, .addr = t, .name = "rl_thread_join" };
	if (t->probed && RL_UNLIKELY(rl__probe_active != 0))
		rl__sim_hooks.enter(&pev);
	int err = 0;
	if (t->fib) {
		/* Under the scheduler the JOIN above returned once @t ended; a
		 * released one (deadlock) lets the others run until it has. */
		while (atomic_load_explicit(&t->done, memory_order_relaxed) == 0)
			if (!rl__fiber_yield())
				RL_FATAL("thread '%s' cannot be joined: no model thread can run", t->name);
	} else if (t->w) {
		/* Acquire: pairs with the release in worker_main(). */
		while (atomic_load_explicit(&t->done, memory_order_acquire) == 0)
			rl__futex_wait(&t->done, 0);
	} else {
		err = pthread_join(t->pt, NULL);
	}
	if (pev.priv) /* the enter above ran and asked for its exit */
		rl__sim_hooks.exit(&pev);
	if (err != 0)
		return err == EDEADLK ? RL_EDEADLK : RL_EINVAL;
	int status = RL_OK;
	if (t->panic_msg) {
		status = RL_EPANICKED;
		if (ret)
			*ret = t->panic_msg;
		else
			free(t->panic_msg);
	} else if (ret) {
		*ret = t->ret;
	}
	free(t);
	return status;
}

size_t rl_thread_stack_size(const rl_thread *t) { return t ? t->stack_size : 0; }

int rl_run_main(rl_thread_fn *fn, void *arg, size_t stack_size, void **ret)
{
	rl_thread *t;
	rl_thread_opts o = {.name = "main", .stack_size = stack_size};
	int err = spawn(&t, fn, arg, &o, true, RL_MAIN_STACK_SIZE);
	if (err)
		return err;
	/* A panic on the runtime main thread exits the process in rl_panic(), so
	 * the join below only ever sees a normal return. */
	return rl_thread_join(t, ret);
}

/* ---- names and ids ------------------------------------------------------- */

const char *rl_thread_name(void)
{
	if (ts.self)
		return ts.self->name;
	if (gettid() == getpid())
		return "main";
	return "<unknown>";
}

unsigned rl_thread_id(void) { return rl__tid(); }

void rl_thread_set_depth(size_t depth) { ts.depth = depth; }

/* ---- stack usage --------------------------------------------------------- */

int rl_thread_stack_usage(const rl_thread *t, size_t *reserved, size_t *touched)
{
	pthread_attr_t attr;
	void *addr;
	size_t size;
	const struct rl__fiber *fib = t ? t->fib : ts.self ? ts.self->fib : NULL;
	if (fib) {
		rl__fiber_stack(fib, &addr, &size);
	} else {
		if (pthread_getattr_np(t ? t->pt : pthread_self(), &attr) != 0)
			return RL_EINVAL;
		int err = pthread_attr_getstack(&attr, &addr, &size);
		pthread_attr_destroy(&attr);
		if (err != 0)
			return RL_EINVAL;
	}
	size_t ps = page_size();
	uintptr_t lo = (uintptr_t)addr / ps * ps;
	uintptr_t hi = round_up((uintptr_t)addr + size, ps);
	size_t pages = (hi - lo) / ps;
	unsigned char vec[4096];
	size_t resident = 0;
	for (size_t done = 0; done < pages;) {
		size_t n = pages - done < sizeof vec ? pages - done : sizeof vec;
		if (mincore((void *)(lo + done * ps), n * ps, vec) != 0)
			return RL_EINVAL;
		for (size_t i = 0; i < n; i++)
			resident += vec[i] & 1;
		done += n;
	}
	if (reserved)
		*reserved = size;
	if (touched)
		*touched = resident * ps;
	return RL_OK;
}

/* ---- panic --------------------------------------------------------------- */

bool rl_thread_panicking(void) { return rl__unwind_tls.panicking; }

void rl__cleanup_pop_slow(struct rl__cleanup *c)
{
	struct rl__cleanup **pp = &rl__unwind_tls.top;
	while (*pp && *pp != c)
		pp = &(*pp)->prev;
	if (*pp)
		*pp = c->prev;
}

/* Run cleanups innermost first; each is unlinked before it runs. */
static void run_cleanups(void)
{
	while (rl__unwind_tls.top) {
		struct rl__cleanup *c = rl__unwind_tls.top;
		rl__unwind_tls.top = c->prev;
		c->fn(c);
	}
}

static _Noreturn void vpanic(const char *file, int line, const char *fmt, va_list ap)
{
	const char *name = rl_thread_name();
	if (rl__unwind_tls.panicking) {
		fprintf(stderr, "thread '%s' panicked while processing panic. aborting.\n", name);
		abort();
	}
	rl__unwind_tls.panicking = true;

	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	fprintf(stderr, "\nthread '%s' panicked at %s:%d:\n%s\n", name, file, line, msg ? msg : "(panic message lost: out of memory)");
	fflush(stderr);

	if (rl__panic_hook)
		rl__panic_hook(file, line, msg ? msg : "(panic message lost: out of memory)");
	run_cleanups();

	rl_thread *self = ts.self;
	if (!self || self->is_main || !ts.unwind) {
		/* Rust: a panic on the main thread ends the process with status 101. */
		fprintf(stderr, "note: racelab ends the process: a panic on the main thread is fatal\n");
		free(msg);
		exit(101);
	}
	self->panic_msg = msg ? msg : strdup("(panic message lost: out of memory)");
	rl__unwind_tls.panicking = false;
	longjmp(*ts.unwind, 1);
}

void (*rl__panic_hook)(const char *file, int line, const char *msg);

int rl__thread_can_unwind(void)
{
	return ts.self && !ts.self->is_main && ts.unwind && !rl__unwind_tls.panicking;
}

_Noreturn void rl__thread_unwind(const char *msg)
{
	rl_thread *self = ts.self;
	if (!rl__thread_can_unwind())
		RL_FATAL("thread '%s' cannot be unwound: not a spawned rl thread", rl_thread_name());
	rl__unwind_tls.panicking = true;
	run_cleanups();
	self->panic_msg = strdup(msg);
	rl__unwind_tls.panicking = false;
	longjmp(*ts.unwind, 1);
}

#undef rl_panic
_Noreturn void rl_panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vpanic("<unknown>", 0, fmt, ap);
}

_Noreturn void rl__panic_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vpanic(file, line, fmt, ap);
}
