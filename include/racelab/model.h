/* model.h — check your own code: modelled atomics, tracked memory, RL_ASSERT
 * and rl_model(), racelab's stateless model checker.
 *
 * A test body written with racelab's threads (rl_thread_spawn/join), the
 * atomics below, racelab's Rc/Arc/Mutex/Cell/RCU and rl_track_*() for its own
 * plain data is run by rl_model() once per schedule. Every modelled operation
 * is a scheduling point; DFS explores one schedule per class of equivalent
 * interleavings (dynamic partial-order reduction, source sets and sleep sets:
 * Abdulla, Aronis, Jonsson, Sagonas, POPL 2014), RANDOM and PCT sample them.
 * The first failure (data race, deadlock, assertion, panic, use after free,
 * leak, step limit) ends the exploration with a report, the failing
 * interleaving and a replay line: RACELAB_REPLAY=<token> ./the-test.
 *
 * Memory model: RC11 (Lahav et al., PLDI 2017), the C11 model with its
 * repairs, by default. A modelled load may read any store that coherence and
 * happens-before allow for its thread, not only the latest one; which one is
 * a choice DFS explores together with the interleaving, and so is where a
 * store goes in its location's modification order (2+2W). RMWs read a store
 * no other RMW read, release sequences and release/acquire/seq_cst fences
 * follow RC11, and no load reads a value from its own future (load
 * buffering's 1/1 stays excluded). seq_cst operations are totally ordered
 * apart from acq_rel ones: a seq_cst load sees every seq_cst store before it
 * in that order, and seq_cst fences order as RC11 says. A thread that mixes
 * seq_cst accesses with weaker ones gets seq_cst modelled stronger than RC11
 * there (rl_model_result.sc_mixed says so). After rl_yield(), a thread
 * re-reading a location reads a store newer than the one it last read there
 * if there is one, so a spin loop ends. Tracked plain
 * memory reads what is in memory: in a race-free body that is the latest
 * store, and a race is reported. RL_MEMORY_SC (or RACELAB_MEMORY=sc) makes
 * every load read the latest store of the interleaving (sequential
 * consistency). Either way the orderings decide happens-before, so a relaxed
 * flag that publishes plain data is reported as a data race on that data.
 *
 * Outside a model session every atomic is the plain C11 atomic behind one
 * predictable branch on rl__probe_active (hooks.h), RL_ASSERT is assert()
 * (always on), and rl_track_*() cost that branch only.
 */
#ifndef RACELAB_MODEL_H
#define RACELAB_MODEL_H

#ifndef __cplusplus
#include <stdatomic.h>
#endif
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <racelab/cdefs.h>
#include <racelab/hooks.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The orderings: C11's memory_order (an int-sized enum; plain int from C++). */
#ifdef __cplusplus
typedef int rl__memory_order;
#define RL__ATOMIC(T) T
#else
typedef memory_order rl__memory_order;
#define RL__ATOMIC(T) _Atomic(T)
#endif

/* Modelled atomics. The struct is the atomic: 8 bytes like AtomicU64 and
 * AtomicPtr, 1 byte like AtomicBool. Fields are private. */
typedef struct rl_atomic_u64 {
	RL__ATOMIC(uint64_t) v; /* private */
} rl_atomic_u64;
typedef struct rl_atomic_bool {
	RL__ATOMIC(bool) v; /* private */
} rl_atomic_bool;
typedef struct rl_atomic_ptr {
	RL__ATOMIC(void *) v; /* private */
} rl_atomic_ptr;

/* ---- slow paths (private: taken while rl__probe_active is set) ---- */

/* The width argument of the slow paths: bytes, | RL__WIDTH_PTR for rl_atomic_ptr. */
#define RL__WIDTH_PTR 0x100u

enum rl__model_rmw_op { RL__RMW_SWAP, RL__RMW_ADD, RL__RMW_SUB, RL__RMW_AND, RL__RMW_OR, RL__RMW_XOR };

uint64_t rl__model_load(const void *a, unsigned width, rl__memory_order mo);
void rl__model_store(void *a, unsigned width, uint64_t v, rl__memory_order mo);
uint64_t rl__model_rmw(void *a, unsigned width, unsigned op, uint64_t v, rl__memory_order mo);
bool rl__model_cas(void *a, unsigned width, uint64_t *expected, uint64_t desired, bool weak,
		   rl__memory_order success, rl__memory_order failure);
/* @addr is not const: gcc would take a const pointer to fresh, unwritten
 * memory for a read of it (-Wmaybe-uninitialized). */
void rl__model_track(unsigned op, void *addr, size_t size, const char *what);
/* The same with the caller's "file:line" as the site reports print. */
void rl__model_track_at(unsigned op, void *addr, size_t size, const char *what, const char *site);
RL__NORETURN void rl__model_assert_fail(const char *expr, const char *file, int line);

/* ---- the atomics ----
 *
 * Context: any thread. Ordering: @mo as in C11 (under the model checker the
 * happens-before detector honours it; SeqCst is treated as AcqRel). */

#if defined(__cplusplus) || defined(RL__INLINE_EXTERN)
/* Declared for C++ (where they are library calls) and for the library's own
 * external definitions (sim/model_ops.c). */
void rl_atomic_u64_init(rl_atomic_u64 *a, uint64_t v);
uint64_t rl_atomic_u64_load(const rl_atomic_u64 *a, rl__memory_order mo);
void rl_atomic_u64_store(rl_atomic_u64 *a, uint64_t v, rl__memory_order mo);
uint64_t rl_atomic_u64_swap(rl_atomic_u64 *a, uint64_t v, rl__memory_order mo);
uint64_t rl_atomic_u64_fetch_add(rl_atomic_u64 *a, uint64_t v, rl__memory_order mo);
uint64_t rl_atomic_u64_fetch_sub(rl_atomic_u64 *a, uint64_t v, rl__memory_order mo);
uint64_t rl_atomic_u64_fetch_and(rl_atomic_u64 *a, uint64_t v, rl__memory_order mo);
uint64_t rl_atomic_u64_fetch_or(rl_atomic_u64 *a, uint64_t v, rl__memory_order mo);
uint64_t rl_atomic_u64_fetch_xor(rl_atomic_u64 *a, uint64_t v, rl__memory_order mo);
bool rl_atomic_u64_compare_exchange(rl_atomic_u64 *a, uint64_t *expected, uint64_t desired,
				    rl__memory_order success, rl__memory_order failure);
bool rl_atomic_u64_compare_exchange_weak(rl_atomic_u64 *a, uint64_t *expected, uint64_t desired,
					 rl__memory_order success, rl__memory_order failure);
void rl_atomic_bool_init(rl_atomic_bool *a, bool v);
bool rl_atomic_bool_load(const rl_atomic_bool *a, rl__memory_order mo);
void rl_atomic_bool_store(rl_atomic_bool *a, bool v, rl__memory_order mo);
bool rl_atomic_bool_swap(rl_atomic_bool *a, bool v, rl__memory_order mo);
bool rl_atomic_bool_compare_exchange(rl_atomic_bool *a, bool *expected, bool desired, rl__memory_order success,
				     rl__memory_order failure);
bool rl_atomic_bool_compare_exchange_weak(rl_atomic_bool *a, bool *expected, bool desired,
					  rl__memory_order success, rl__memory_order failure);
void rl_atomic_ptr_init(rl_atomic_ptr *a, void *v);
void *rl_atomic_ptr_load(const rl_atomic_ptr *a, rl__memory_order mo);
void rl_atomic_ptr_store(rl_atomic_ptr *a, void *v, rl__memory_order mo);
void *rl_atomic_ptr_swap(rl_atomic_ptr *a, void *v, rl__memory_order mo);
bool rl_atomic_ptr_compare_exchange(rl_atomic_ptr *a, void **expected, void *desired, rl__memory_order success,
				    rl__memory_order failure);
bool rl_atomic_ptr_compare_exchange_weak(rl_atomic_ptr *a, void **expected, void *desired,
					 rl__memory_order success, rl__memory_order failure);
void rl_track_read(const void *addr, size_t size, const char *what);
void rl_track_write(void *addr, size_t size, const char *what);
void rl_track_alloc(void *addr, size_t size, const char *what);
void rl_track_free(void *addr, size_t size);
void rl__track_at(unsigned op, void *addr, size_t size, const char *what, const char *site);
#endif
#ifndef __cplusplus

#define RL__ACTIVE() RL_UNLIKELY(rl__probe_active != 0)

/* Initialise @a to @v: a plain store, not a modelled operation (use it before
 * other threads can see @a). */
RL__INLINE void rl_atomic_u64_init(rl_atomic_u64 *a, uint64_t v)
{
	atomic_init(&a->v, v);
}

RL__INLINE uint64_t rl_atomic_u64_load(const rl_atomic_u64 *a, memory_order mo)
{
	if (RL__ACTIVE())
		return rl__model_load(&a->v, 8, mo);
	return atomic_load_explicit((_Atomic uint64_t *)&a->v, mo);
}

RL__INLINE void rl_atomic_u64_store(rl_atomic_u64 *a, uint64_t v, memory_order mo)
{
	if (RL__ACTIVE())
		rl__model_store(&a->v, 8, v, mo);
	else
		atomic_store_explicit(&a->v, v, mo);
}

#define RL__U64_RMW(verb, OP, c11)                                                                 \
	RL__INLINE uint64_t rl_atomic_u64_##verb(rl_atomic_u64 *a, uint64_t v, memory_order mo) \
	{                                                                                          \
		if (RL__ACTIVE())                                                                  \
			return rl__model_rmw(&a->v, 8, OP, v, mo);                                 \
		return c11(&a->v, v, mo);                                                          \
	}
RL__U64_RMW(swap, RL__RMW_SWAP, atomic_exchange_explicit)
RL__U64_RMW(fetch_add, RL__RMW_ADD, atomic_fetch_add_explicit)
RL__U64_RMW(fetch_sub, RL__RMW_SUB, atomic_fetch_sub_explicit)
RL__U64_RMW(fetch_and, RL__RMW_AND, atomic_fetch_and_explicit)
RL__U64_RMW(fetch_or, RL__RMW_OR, atomic_fetch_or_explicit)
RL__U64_RMW(fetch_xor, RL__RMW_XOR, atomic_fetch_xor_explicit)
#undef RL__U64_RMW

/* Return: true and @a = @desired if @a held *@expected; else false and
 * *@expected = the value seen (ordered by @failure). */
RL__INLINE bool rl_atomic_u64_compare_exchange(rl_atomic_u64 *a, uint64_t *expected, uint64_t desired,
					       memory_order success, memory_order failure)
{
	if (RL__ACTIVE())
		return rl__model_cas(&a->v, 8, expected, desired, false, success, failure);
	return atomic_compare_exchange_strong_explicit(&a->v, expected, desired, success, failure);
}

/* As compare_exchange, but may fail spuriously (C11's _weak): under DFS
 * both outcomes of a CAS that could succeed are explored. */
RL__INLINE bool rl_atomic_u64_compare_exchange_weak(rl_atomic_u64 *a, uint64_t *expected, uint64_t desired,
						    memory_order success, memory_order failure)
{
	if (RL__ACTIVE())
		return rl__model_cas(&a->v, 8, expected, desired, true, success, failure);
	return atomic_compare_exchange_weak_explicit(&a->v, expected, desired, success, failure);
}

RL__INLINE void rl_atomic_bool_init(rl_atomic_bool *a, bool v)
{
	atomic_init(&a->v, v);
}

RL__INLINE bool rl_atomic_bool_load(const rl_atomic_bool *a, memory_order mo)
{
	if (RL__ACTIVE())
		return rl__model_load(&a->v, 1, mo) != 0;
	return atomic_load_explicit((_Atomic bool *)&a->v, mo);
}

RL__INLINE void rl_atomic_bool_store(rl_atomic_bool *a, bool v, memory_order mo)
{
	if (RL__ACTIVE())
		rl__model_store(&a->v, 1, v, mo);
	else
		atomic_store_explicit(&a->v, v, mo);
}

RL__INLINE bool rl_atomic_bool_swap(rl_atomic_bool *a, bool v, memory_order mo)
{
	if (RL__ACTIVE())
		return rl__model_rmw(&a->v, 1, RL__RMW_SWAP, v, mo) != 0;
	return atomic_exchange_explicit(&a->v, v, mo);
}

RL__INLINE bool rl_atomic_bool_compare_exchange(rl_atomic_bool *a, bool *expected, bool desired,
						memory_order success, memory_order failure)
{
	if (RL__ACTIVE()) {
		uint64_t e = *expected;
		bool ok = rl__model_cas(&a->v, 1, &e, desired, false, success, failure);
		*expected = e != 0;
		return ok;
	}
	return atomic_compare_exchange_strong_explicit(&a->v, expected, desired, success, failure);
}

RL__INLINE bool rl_atomic_bool_compare_exchange_weak(rl_atomic_bool *a, bool *expected, bool desired,
						     memory_order success, memory_order failure)
{
	if (RL__ACTIVE()) {
		uint64_t e = *expected;
		bool ok = rl__model_cas(&a->v, 1, &e, desired, true, success, failure);
		*expected = e != 0;
		return ok;
	}
	return atomic_compare_exchange_weak_explicit(&a->v, expected, desired, success, failure);
}

RL__INLINE void rl_atomic_ptr_init(rl_atomic_ptr *a, void *v)
{
	atomic_init(&a->v, v);
}

RL__INLINE void *rl_atomic_ptr_load(const rl_atomic_ptr *a, memory_order mo)
{
	if (RL__ACTIVE())
		return (void *)(uintptr_t)rl__model_load(&a->v, RL__WIDTH_PTR | sizeof(void *), mo);
	return atomic_load_explicit((_Atomic(void *) *)&a->v, mo);
}

RL__INLINE void rl_atomic_ptr_store(rl_atomic_ptr *a, void *v, memory_order mo)
{
	if (RL__ACTIVE())
		rl__model_store(&a->v, RL__WIDTH_PTR | sizeof(void *), (uintptr_t)v, mo);
	else
		atomic_store_explicit(&a->v, v, mo);
}

RL__INLINE void *rl_atomic_ptr_swap(rl_atomic_ptr *a, void *v, memory_order mo)
{
	if (RL__ACTIVE())
		return (void *)(uintptr_t)rl__model_rmw(&a->v, RL__WIDTH_PTR | sizeof(void *), RL__RMW_SWAP, (uintptr_t)v, mo);
	return atomic_exchange_explicit(&a->v, v, mo);
}

RL__INLINE bool rl_atomic_ptr_compare_exchange(rl_atomic_ptr *a, void **expected, void *desired,
					       memory_order success, memory_order failure)
{
	if (RL__ACTIVE()) {
		uint64_t e = (uintptr_t)*expected;
		bool ok = rl__model_cas(&a->v, RL__WIDTH_PTR | sizeof(void *), &e, (uintptr_t)desired, false, success, failure);
		*expected = (void *)(uintptr_t)e;
		return ok;
	}
	return atomic_compare_exchange_strong_explicit(&a->v, expected, desired, success, failure);
}

RL__INLINE bool rl_atomic_ptr_compare_exchange_weak(rl_atomic_ptr *a, void **expected, void *desired,
						    memory_order success, memory_order failure)
{
	if (RL__ACTIVE()) {
		uint64_t e = (uintptr_t)*expected;
		bool ok = rl__model_cas(&a->v, RL__WIDTH_PTR | sizeof(void *), &e, (uintptr_t)desired, true, success, failure);
		*expected = (void *)(uintptr_t)e;
		return ok;
	}
	return atomic_compare_exchange_weak_explicit(&a->v, expected, desired, success, failure);
}

/* ---- tracked memory ----
 *
 * A user's own non-atomic data, any size, @what naming it in reports
 * ("queue slot"; static storage). Call rl_track_read/write beside each access
 * (before it): under the model checker each is a scheduling point and is
 * checked by the happens-before detector; overlapping ranges conflict.
 * rl_track_alloc announces fresh memory (a reused address starts clean);
 * rl_track_free is checked like a write, and any later tracked use of the
 * range is a use after free. Outside a session: one branch, nothing else. */

RL__INLINE void rl_track_read(const void *addr, size_t size, const char *what)
{
	if (RL__ACTIVE())
		rl__model_track(1, (void *)(uintptr_t)addr, size, what);
}

RL__INLINE void rl_track_write(void *addr, size_t size, const char *what)
{
	if (RL__ACTIVE())
		rl__model_track(2, addr, size, what);
}

RL__INLINE void rl_track_alloc(void *addr, size_t size, const char *what)
{
	if (RL__ACTIVE())
		rl__model_track(3, addr, size, what);
}

RL__INLINE void rl_track_free(void *addr, size_t size)
{
	if (RL__ACTIVE())
		rl__model_track(4, addr, size, NULL);
}

/* In C, the calls name their own "file:line" in reports (the functions above
 * stay, for a pointer to them or a call written (rl_track_read)(...)). */
RL__INLINE void rl__track_at(unsigned op, void *addr, size_t size, const char *what, const char *site)
{
	if (RL__ACTIVE())
		rl__model_track_at(op, addr, size, what, site);
}
#define RL__STR_(x) #x
#define RL__STR(x) RL__STR_(x)
#define RL__HERE __FILE__ ":" RL__STR(__LINE__)
/* Not const: see rl__model_track. */
#define RL__TRACK_ADDR(addr) ((void *)(uintptr_t)(const void *)(addr))
#define rl_track_read(addr, size, what) rl__track_at(1, RL__TRACK_ADDR(addr), (size), (what), RL__HERE)
#define rl_track_write(addr, size, what) rl__track_at(2, RL__TRACK_ADDR(addr), (size), (what), RL__HERE)
#define rl_track_alloc(addr, size, what) rl__track_at(3, RL__TRACK_ADDR(addr), (size), (what), RL__HERE)
#define rl_track_free(addr, size) rl__track_at(4, RL__TRACK_ADDR(addr), (size), NULL, RL__HERE)
#endif /* __cplusplus */

/* A fence (C11 atomic_thread_fence) the detector sees. */
void rl_fence(rl__memory_order mo);
/* thread::yield_now / spin_loop: a spin loop must call it on every turn.
 * Under DFS a thread that yielded is not run again before another thread has
 * taken a step (a fair scheduler), so a spin loop that waits for another
 * thread is explored finitely; one that waits forever hits the step limit. */
void rl_yield(void);

/**
 * RL_ASSERT() - assert @cond in a model body or its threads.
 *
 * In a model: a failure ends the schedule as RL_MODEL_ASSERT (the thread,
 * file:line and the expression in the result's message); the failing thread
 * unwinds like rl_panic() (its guards run, nothing after the assertion does).
 * Outside: prints "assertion failed" and aborts, like assert(), also under
 * NDEBUG.
 */
#define RL_ASSERT(cond) ((cond) ? (void)0 : rl__model_assert_fail(#cond, __FILE__, __LINE__))

/* ---- the checker ---- */

#define RL_MODEL_REPLAY_MAX 256
#define RL_MODEL_MESSAGE_MAX 512
/* Threads of one schedule, the model's main and the calling thread included. */
#define RL_MODEL_MAX_THREADS 64
/* Scheduling points per schedule when rl_model_config.max_steps is 0. */
#define RL_MODEL_DEFAULT_MAX_STEPS 100000

struct rl_probe_report;

typedef enum rl_model_strategy { RL_MODEL_DFS = 0, RL_MODEL_RANDOM, RL_MODEL_PCT } rl_model_strategy;

/* What a modelled atomic load may read (model.h's header comment). */
typedef enum rl_model_memory {
	RL_MEMORY_RC11 = 0, /* C11 as RC11 repairs it: stale reads, seq_cst apart from acq_rel */
	RL_MEMORY_SC,       /* sequential consistency: every load reads the latest store */
} rl_model_memory;

typedef enum rl_model_failure {
	RL_MODEL_PASSED = 0,
	RL_MODEL_RACE,           /* the happens-before detector found a data race */
	RL_MODEL_DEADLOCK,       /* every thread blocked (who holds, who waits: in the report) */
	RL_MODEL_ASSERT,         /* RL_ASSERT failed */
	RL_MODEL_PANIC,          /* rl_panic() in a model thread */
	RL_MODEL_USE_AFTER_FREE, /* tracked memory used after (or racing with) its rl_track_free */
	RL_MODEL_LEAK,           /* a racelab object or tracked allocation not freed, a thread not joined */
	RL_MODEL_STEP_LIMIT,     /* a schedule took more than max_steps scheduling points */
} rl_model_failure;

/**
 * struct rl_model_config - how to explore. Zero = defaults: exhaustive DFS.
 * @strategy:         RL_MODEL_DFS, RL_MODEL_RANDOM or RL_MODEL_PCT.
 * @max_schedules:    0: DFS all, RANDOM/PCT 1000. A DFS cut short is not complete.
 * @seed:             RANDOM/PCT: schedule i runs with seed + i.
 * @replay:           a token from a failure: run exactly that schedule.
 * @report_file:      the failure report and its replay line; NULL = stderr.
 * @bound_preemptions: DFS: at most @max_preemptions preemptions per schedule
 *                    (switches away from a thread that could go on; loom's
 *                    LOOM_MAX_PREEMPTIONS). A schedule cut by the bound makes
 *                    the result incomplete.
 * @max_preemptions:  the bound, with @bound_preemptions.
 * @max_steps:        scheduling points per schedule; more is a step-limit
 *                    failure; 0 = RL_MODEL_DEFAULT_MAX_STEPS.
 * @pct_depth:        PCT's bug depth d (0 = 3).
 * @quiet:            print nothing (the result still says everything).
 * @replay_command:   the command the report's replay line names after
 *                    RACELAB_REPLAY=<token>; NULL = this program's name.
 * @should_stop:      polled between schedules: true ends the exploration
 *                    there (the result says stopped; never complete). NULL: never.
 * @tolerate:         failure kinds that do not fail a schedule, as a mask of
 *                    (1u << RL_MODEL_PANIC) and (1u << RL_MODEL_LEAK) only: a
 *                    body that panics or leaks on purpose and counts it itself
 *                    (racelab's catalog under `explore --strategy dfs`). 0: none.
 * @memory:           RL_MEMORY_RC11 (the default) or RL_MEMORY_SC.
 * @timeline:         an SVG file for the failing schedule's picture
 *                    (racelab/timeline.h); NULL = none. Written only when a
 *                    schedule fails; the report says it was written.
 * @report_sink:      called once with the detector's report (a race, a use
 *                    after free racing with its free, a deadlock) when it is
 *                    the failure rl_model() stops at, before it returns: the
 *                    report as data, valid only during the call. NULL: none.
 * @report_ctx:       passed to @report_sink.
 *
 * Environment variables override it: RACELAB_REPLAY, RACELAB_STRATEGY
 * (dfs|random|pct), RACELAB_SCHEDULES, RACELAB_SEED, RACELAB_PREEMPTIONS,
 * RACELAB_MAX_STEPS, RACELAB_TIMELINE (the SVG file), RACELAB_MEMORY (rc11|sc).
 */
typedef struct rl_model_config {
	rl_model_strategy strategy;
	uint64_t max_schedules;
	uint64_t seed;
	const char *replay;
	FILE *report_file;
	bool bound_preemptions;
	unsigned max_preemptions;
	uint64_t max_steps;
	unsigned pct_depth;
	bool quiet;
	const char *replay_command;
	const char *timeline;
	bool (*should_stop)(void);
	unsigned tolerate;
	rl_model_memory memory;
	void (*report_sink)(const struct rl_probe_report *r, void *ctx); /* an rl_probe_sink (probe.h) */
	void *report_ctx;
} rl_model_config;

/**
 * struct rl_model_result - what rl_model() found.
 * @schedules: schedules run to completion or failure, the failing one
 *             included (DFS: one per class of equivalent interleavings).
 * @complete:  DFS only: every schedule within the bounds was run and none
 *             was skipped (no max_schedules cut, no preemption-bound cut, no
 *             failure stopped it). Never true for RANDOM, PCT or a replay.
 * @failure:   RL_MODEL_PASSED when none.
 * @replay:    the failing schedule's token; "" when none.
 * @message:   one line: what failed, where.
 * @redundant: DFS schedules abandoned by the sleep sets (not counted).
 * @max_depth: most scheduling points in one schedule.
 * @seconds:   wall-clock time of the exploration.
 * @stopped:   cfg->should_stop ended the exploration early.
 * @timeline_error: the failing schedule's timeline was asked for and could
 *             not be written (RL_ENOMEM, RL_EIO; the report says why); 0 otherwise.
 * @memory:    the memory model the exploration used.
 * @stale_reads: RC11: loads (and RMWs) that read a store older than the
 *             latest, over every schedule run.
 * @history_cut: RC11: a load had more than 255 stores to choose from and only
 *             the newest 255 were explored (the result is not complete).
 * @executions: distinct executions of the modelled atomics among the
 *             schedules (which store each read read, each location's
 *             modification order; GenMC's measure for atomics-only bodies),
 *             told apart by a 64-bit hash. Schedules that differ only in the
 *             order of independent steps, locks or plain memory count once.
 * @sc_mixed:  RC11: a thread mixed seq_cst accesses with weaker ones; its
 *             seq_cst accesses were modelled stronger than RC11 (see the
 *             memory model above), so "complete" covers that stronger model.
 */
typedef struct rl_model_result {
	uint64_t schedules;
	bool complete;
	rl_model_failure failure;
	char replay[RL_MODEL_REPLAY_MAX];
	char message[RL_MODEL_MESSAGE_MAX];
	uint64_t redundant;
	uint64_t max_depth;
	double seconds;
	bool stopped;
	int timeline_error;
	rl_model_memory memory;
	uint64_t stale_reads;
	bool history_cut;
	bool sc_mixed;
	uint64_t executions;
} rl_model_result;

typedef void rl_model_fn(void *arg);

/**
 * rl_model() - run @body(@arg) under every schedule (or a sample of them).
 * @body: the test; it builds its shared state itself, spawns rl threads and
 *        joins them. It runs once per schedule as the model's main thread
 *        ("main", 8 MiB stack) and must be deterministic apart from the
 *        interleaving.
 * @cfg:  NULL for defaults.
 * @out:  the result (required).
 *
 * Stops at the first failure; prints its report, interleaving and replay line
 * to cfg->report_file (unless quiet).
 * Context: a thread that is not itself in a model, with no probe session attached.
 * Return: RL_OK when the exploration ran, whatever it found; RL_EINVAL for a
 * NULL @body or @out, a bad config, environment value or replay token
 * (one line on stderr says which); RL_EBUSY when called inside rl_model() or
 * while a probe session is attached; RL_ENOMEM.
 */
int rl_model(rl_model_fn *body, void *arg, const rl_model_config *cfg, rl_model_result *out);

/* Name of a failure kind: "race", "deadlock", "assertion", ... */
const char *rl_model_failure_name(rl_model_failure f);

/* True on a thread of a running model schedule. */
bool rl_model_active(void);

#ifdef __cplusplus
}
#endif
#endif
