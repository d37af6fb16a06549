/* thread.h — std::thread for C: spawn/join with Rust's stack rules.
 *
 * Spawned threads get 2 MiB stacks (Rust's DEFAULT_MIN_STACK_SIZE); the
 * environment variable RACELAB_MIN_STACK (decimal bytes, read once, like
 * RUST_MIN_STACK) replaces that default; rl_thread_opts.stack_size overrides
 * both. Every stack has a guard page below it; overflowing it prints Rust's
 * report ("thread 'NAME' has overflowed its stack") and aborts the process
 * with SIGABRT. rl_panic() ends the current rl thread like panic!.
 */
#ifndef RACELAB_THREAD_H
#define RACELAB_THREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <racelab/cdefs.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rl_thread rl_thread;

/* Caller-owned options. Zero/NULL fields mean "default". */
typedef struct rl_thread_opts {
	const char *name;  /* copied; NULL = "<unnamed>"-style default "thread-<id>" */
	size_t stack_size; /* bytes; 0 = rl_thread_default_stack_size() */
} rl_thread_opts;

typedef void *rl_thread_fn(void *arg);

/* Stack size of the runtime's "main" thread (Rust's main thread on Linux). */
#define RL_MAIN_STACK_SIZE ((size_t)8 << 20)
/* Rust's default for spawned threads. */
#define RL_DEFAULT_STACK_SIZE ((size_t)2 << 20)
/* Largest stack racelab accepts: anything above is RL_EINVAL. */
#define RL_MAX_STACK_SIZE ((size_t)1 << 40)

/**
 * rl_thread_spawn() - start @fn(@arg) on a new thread.
 * @out:  receives the handle; must be joined with rl_thread_join().
 * @fn:   thread body; its return value is handed to rl_thread_join().
 * @arg:  passed to @fn.
 * @opts: name and stack size, or NULL for defaults.
 *
 * Sizes below the system minimum are raised to it and rounded up to a page.
 * Context: any thread.
 * Return: RL_OK; RL_EINVAL for a NULL @out/@fn or a stack size above
 * RL_MAX_STACK_SIZE; RL_EAGAIN when the system cannot create the thread;
 * RL_ENOMEM. On failure *@out is NULL and nothing was allocated.
 */
int rl_thread_spawn(rl_thread **out, rl_thread_fn *fn, void *arg, const rl_thread_opts *opts);

/**
 * rl_thread_join() - wait for @t to end and free it.
 * @ret: receives @fn's return value; if the thread panicked, a malloc'd copy
 *       of the panic message (the caller frees it). May be NULL.
 *
 * Return: RL_OK, or RL_EPANICKED if the thread ended in rl_panic().
 */
int rl_thread_join(rl_thread *t, void **ret);

/* Default stack size for spawned threads: 2 MiB, or RACELAB_MIN_STACK (read once). */
size_t rl_thread_default_stack_size(void);

/* The stack size @t was created with (after raising/rounding). */
size_t rl_thread_stack_size(const rl_thread *t);

/* Name of the current thread: the rl thread's name, "main" for the process's
 * main thread and the runtime main thread, "<unknown>" otherwise. */
const char *rl_thread_name(void);

/* Small numeric id of the current thread (1 for the first thread racelab saw). */
unsigned rl_thread_id(void);

/**
 * rl_thread_stack_usage() - reserved vs touched bytes of a live thread's stack.
 * @t: a thread that has not been joined, or NULL for the current thread.
 *
 * Touched bytes are counted with mincore(): pages the kernel has backed with
 * memory. glibc reuses cached stacks, so a reused stack may show pages touched
 * by an earlier thread.
 * Return: RL_OK, RL_EINVAL if the range is unknown.
 */
int rl_thread_stack_usage(const rl_thread *t, size_t *reserved, size_t *touched);

/* Record the current recursion depth; the stack-overflow report prints it. */
void rl_thread_set_depth(size_t depth);

/* Private to racelab (the runner's isolated child): called from the fault
 * handler on a guard-page hit, before the overflow report and the abort; it
 * must be async-signal-safe. NULL (the default) calls nothing. */
void rl__thread_set_overflow_hook(void (*hook)(void));

/**
 * rl_run_main() - run @fn(@arg) on the runtime's "main" thread.
 * @stack_size: 0 for RL_MAIN_STACK_SIZE.
 *
 * The thread is named "main", so reports read like Rust's. A panic on it
 * prints "thread 'main' panicked at ..." and exits the process with status
 * 101, as Rust does.
 * Return: as rl_thread_spawn(); RL_OK once @fn returned (*@ret set if non-NULL).
 */
int rl_run_main(rl_thread_fn *fn, void *arg, size_t stack_size, void **ret);

/**
 * rl_panic() - Rust's panic!: end the current rl thread.
 *
 * Prints "thread 'NAME' panicked at FILE:LINE:\nMESSAGE" to stderr, runs the
 * thread's cleanup handlers (mutex guards poison their mutex) and unwinds to
 * the thread's entry; rl_thread_join() then returns RL_EPANICKED with the
 * message. On the runtime main thread, or on a thread racelab did not start,
 * the process exits with status 101.
 */
RL__NORETURN void rl_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
RL__NORETURN void rl__panic_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define rl_panic(...) rl__panic_at(__FILE__, __LINE__, __VA_ARGS__)

/* True while the current thread is unwinding from rl_panic() (std::thread::panicking). */
bool rl_thread_panicking(void);

/*
 * Cleanup handlers (private to racelab's primitives, public because guards
 * embed them): a per-thread stack that rl_panic() runs, innermost first, before
 * it unwinds. A handler is popped by whoever pushed it when the scope ends
 * normally; pops may happen out of order.
 */
struct rl__cleanup {
	struct rl__cleanup *prev; /* private */
	void (*fn)(struct rl__cleanup *self);
};

/* private: the current thread's cleanup stack and panic flag (core/thread.c),
 * public so that guards push, pop and test them inline: a mutex lock+unlock
 * would otherwise pay four calls. */
struct rl__unwind {
	struct rl__cleanup *top;
	bool panicking;
};
extern RL__THREAD_LOCAL struct rl__unwind rl__unwind_tls __attribute__((tls_model("initial-exec")));
void rl__cleanup_pop_slow(struct rl__cleanup *c);

static inline void rl__cleanup_push(struct rl__cleanup *c)
{
	c->prev = rl__unwind_tls.top;
	rl__unwind_tls.top = c;
}

static inline void rl__cleanup_pop(struct rl__cleanup *c)
{
	if (__builtin_expect(rl__unwind_tls.top == c, 1))
		rl__unwind_tls.top = c->prev;
	else
		rl__cleanup_pop_slow(c); /* out of order */
}

/* rl_thread_panicking(), inline. */
static inline bool rl__thread_panicking(void)
{
	return rl__unwind_tls.panicking;
}

#ifdef __cplusplus
}
#endif
#endif
