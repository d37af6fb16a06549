/* fiber.h — private: model threads as user-level contexts on one OS thread
 * (core/fiber.c), and the hooks through which the scheduler (sim/sched.c)
 * hands control between them (core/thread.c).
 *
 * While rl_model() runs, every rl thread it spawns is a fiber: its own
 * mmap'd stack under a guard page, run by the OS thread that called
 * rl_model(), whose own context (the model's T0) is the root. Exactly one
 * context runs at a time, so the scheduler's hand-off is a context switch
 * instead of a futex wake and wait. The thread-locals racelab keeps per rl
 * thread (registered with rl__fiber_tls()) follow each context across the
 * switches; everything else thread-local stays the OS thread's.
 */
#ifndef RACELAB_CORE_FIBER_H
#define RACELAB_CORE_FIBER_H

#include <stdbool.h>
#include <stddef.h>

/* RL__FIBERS: 1 where fibers are built. x86-64 only (the switch is a few
 * lines of assembly); not under ThreadSanitizer or AddressSanitizer, which
 * would need __tsan_switch_to_fiber / __sanitizer_start_switch_fiber at each
 * switch: those builds keep the OS-thread pool (core/thread.c). */
#if defined(__x86_64__) && defined(__linux__) && !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
#define RL__FIBERS 1
#else
#define RL__FIBERS 0
#endif

struct rl__fiber;

/* Set on the OS thread whose rl threads are fibers, between rl__fiber_begin()
 * and rl__fiber_end(): OS-thread state, not switched. */
extern __thread bool rl__fiber_here __attribute__((tls_model("initial-exec")));

/*
 * rl__fiber_tls - make a thread-local follow the rl thread across switches
 * @addr: returns the calling OS thread's instance of the variable
 * @size: its size in bytes
 *
 * Context: a constructor (before main; no fiber exists yet). A new fiber
 * starts with the variable zeroed, as a new OS thread would.
 */
void rl__fiber_tls(void *(*addr)(void), size_t size);

/* Turn the calling OS thread into the fibers' host; its context is the root.
 * Return: true, or false where fibers are not built, are switched off
 * (RACELAB_MODEL_FIBERS=0), or another thread hosts them already. */
bool rl__fiber_begin(void);
/* Back to a plain OS thread. No fiber may be left but parked free stacks. */
void rl__fiber_end(void);

/* A context that will run @fn(@arg) on a stack of @stack_size bytes (a
 * reused one when one of that size is free) once switched to; @fn must end
 * with rl__fiber_exit(). Return: NULL when out of memory. */
struct rl__fiber *rl__fiber_new(size_t stack_size, void (*fn)(void *), void *arg);
/* The stack: lowest usable address and size (the guard page lies below). */
void rl__fiber_stack(const struct rl__fiber *f, void **lo, size_t *size);
/* The running context; NULL for the root. */
struct rl__fiber *rl__fiber_self(void);

/* Run @to now (NULL: the root); return when some context switches back. */
void rl__fiber_switch(struct rl__fiber *to);
/* The successor of the running fiber when it ends (rl__fiber_exit()). */
void rl__fiber_handoff(struct rl__fiber *to);
/* Queue @f (NULL: the root) to run when the running context yields or ends:
 * the scheduler's "run freely" once it released its threads. */
void rl__fiber_ready(struct rl__fiber *f);
/* Let the queued contexts run, this one queued behind them.
 * Return: false when no other context is queued (nothing ran). */
bool rl__fiber_yield(void);
/* End the running fiber: its stack is parked for reuse, and the handoff (or
 * the next queued context) runs. */
_Noreturn void rl__fiber_exit(void);

/* The fiber of the rl thread @handle (an rl_thread spawned as one; aborts
 * for any other): core/thread.c, for the scheduler. */
struct rl__fiber *rl__thread_fiber(const void *handle);

/* core/thread.c, for rl_model(): make the calling OS thread the host of the
 * schedules' threads (rl__fiber_begin(), and a sigaltstack for their stack
 * overflows if it has none). Return: false where fibers are not available,
 * and the pool serves rl__thread_pool_enabled. */
bool rl__thread_pool_begin(void);
void rl__thread_pool_end(void);

/* A futex wait on the host thread (core/arch.h): let the other contexts run
 * instead, or sleep for real when none can (an OS thread may wake it). */
long rl__fiber_futex_wait(void *word, unsigned expected, const void *deadline);

#endif
