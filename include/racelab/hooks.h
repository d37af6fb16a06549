/* hooks.h — what the primitives' inline fast paths test. Private to racelab:
 * public only because rc.h, arc.h and cell.h inline their hot paths.
 *
 * A fast path takes its out-of-line slow path when either
 *   - the object's owner thread id differs from the current thread's id
 *     (owner checks: Send/Sync violations, quarantined/freed objects), or
 *   - rl__probe_active is non-zero (a detector or scheduler is attached).
 * Both are tested with one predictable branch:
 *     if (RL_UNLIKELY((owner ^ rl__tid()) | rl__probe_active)) slow();
 */
#ifndef RACELAB_HOOKS_H
#define RACELAB_HOOKS_H

#include <stdint.h>
#include <racelab/cdefs.h>

#ifdef __cplusplus
extern "C" {
#endif

/* RL_TSAN: defined when this translation unit is built with ThreadSanitizer
 * (gcc's __SANITIZE_THREAD__, clang's __has_feature(thread_sanitizer)). */
#if defined(__SANITIZE_THREAD__)
#define RL_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RL_TSAN 1
#endif
#endif

#define RL_LIKELY(x) __builtin_expect(!!(x), 1)
#define RL_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Current thread's small id; 0 until racelab first sees the thread. */
extern RL__THREAD_LOCAL uint32_t rl__tid_tls __attribute__((tls_model("initial-exec")));
/* Non-zero while a detector or the deterministic scheduler is attached. Written
 * only while no workload thread runs (before spawn / after join). */
extern uint32_t rl__probe_active;
/*
 * The owner-checked fast paths' key (check.h's RL__OWNER_SLOW): the thread's id
 * while no probe session covers the thread, 0 (never an owner) while one does,
 * so that one compare decides both "not the owner" and "probes attached". Set
 * where the two change for the thread: its id assigned (rl__tid_assign), an rl
 * thread's start (probed or not), the session's attach and detach on the
 * attaching thread; rl__owner_key_sync() re-derives it in the slow paths (a
 * thread that first ran under a session and outlived it, or one that ran
 * before the attach and now calls in: it is registered as foreign there).
 */
extern RL__THREAD_LOCAL uint32_t rl__owner_key_tls __attribute__((tls_model("initial-exec")));

static inline void rl__owner_key_sync(void)
{
	uint32_t k = rl__probe_active ? 0 : rl__tid_tls;
	if (rl__owner_key_tls != k)
		rl__owner_key_tls = k;
}

uint32_t rl__tid_assign(void);

static inline uint32_t rl__tid(void)
{
	uint32_t t = rl__tid_tls;
	return RL_LIKELY(t) ? t : rl__tid_assign();
}

/* Owner value of an object whose box was freed (quarantined): never a thread id,
 * so every later use takes the slow path and is reported as use-after-free. */
#define RL_OWNER_DEAD UINT32_C(0xffffffff)

/* Print "racelab: fatal: <what> (<file>:<line>)" and abort(). Only for states in
 * which memory safety is already lost (count overflow, unlock of an unheld lock). */
RL__NORETURN void rl__fatal(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define RL_FATAL(...) rl__fatal(__FILE__, __LINE__, __VA_ARGS__)

/* The model checker's view of the thread runtime (core/thread.c, used by
 * sim/model.c). rl__panic_hook, when set, is called by rl_panic() on the
 * panicking thread before it unwinds. rl__thread_unwind() unwinds the
 * current spawned rl thread as rl_panic() does (cleanups run, join returns
 * RL_EPANICKED with @msg) without printing; rl__thread_can_unwind() says
 * whether it may. */
extern void (*rl__panic_hook)(const char *file, int line, const char *msg);
RL__NORETURN void rl__thread_unwind(const char *msg);
int rl__thread_can_unwind(void);
/* While set, spawned rl threads run on pooled OS threads (core/thread.c),
 * or as fibers of the OS thread that runs rl_model() (core/fiber.h); set and
 * cleared by rl_model() while no rl thread runs. */
extern uint32_t rl__thread_pool_enabled;

#ifdef __cplusplus
}
#endif
#endif
