/* sync_wait.h — what Condvar, RwLock, Barrier, Once and the channels share
 * (private): deadlines, timed waits, probed atomics.
 *
 * The futex calls and the CPU hint are core/arch.h's (rl__futex_wait,
 * rl__futex_wait_until, rl__futex_wake_one/_all, rl_cpu_relax); this header
 * adds the deadline arithmetic on top of them and the one call arch.h does
 * not have: a wake that says how many it woke (RwLock wakes the readers only
 * when no writer was asleep). Every caller re-checks its word in a loop, so
 * EINTR and EAGAIN are harmless.
 *
 * Probed atomics: while rl__probe_active is set (a detector or the scheduler
 * is attached), the primitives' atomics go through sync_probe_*() below, one
 * RL_PROBE_LOAD/RMW event per memory operation (probe.h's atomic RMW
 * pattern), so the happens-before detector sees their release -> acquire
 * edges; and a thread never sleeps in a futex while probed (the scheduler
 * could not run anyone else): it probes RL_PROBE_YIELD and re-checks, the
 * blocking wait instead, sync_probe_wait() below (probe.h's WAIT): the
 * scheduler models the futex (the thread is not enabled until a NOTIFY of
 * the word, which sync_probe_notify() probes before the real wake), and a
 * session without a scheduler sleeps in the probe layer, which reports a
 * deadlock when every probed thread is blocked. The NOTIFY -> woken WAIT edge
 * is a happens-before edge for the detector; in TSan builds the same edge is
 * annotated (sync_tsan_notify/sync_tsan_woken), since TSan cannot see the
 * kernel's futex ordering.
 */
#ifndef RACELAB_SYNC_WAIT_H
#define RACELAB_SYNC_WAIT_H

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <racelab/hooks.h>
#include <racelab/probe.h>
#include <racelab/status.h>
#include <racelab/thread.h>

#include "core/arch.h"

#ifdef RL_TSAN
#include <sanitizer/tsan_interface.h>
#define SYNC_TSAN(call) call
#else
#define SYNC_TSAN(call) ((void)0)
#endif

/* Now on CLOCK_MONOTONIC, in ns. */
static inline uint64_t sync_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The deadline @ns from now, saturating (UINT64_MAX: never). */
static inline uint64_t sync_deadline(uint64_t ns)
{
	uint64_t now = sync_now_ns();
	return ns > UINT64_MAX - now ? UINT64_MAX : now + ns;
}

/*
 * Sleep while *@word == @expected, until a wake-up or @deadline (absolute
 * CLOCK_MONOTONIC ns; UINT64_MAX: no deadline).
 * Return: false if the deadline passed, true otherwise (woken, the word
 * differed, or a signal: re-check).
 */
static inline bool sync_futex_wait_until(_Atomic uint32_t *word, uint32_t expected,
					 uint64_t deadline)
{
	if (deadline == UINT64_MAX) {
		rl__futex_wait(word, expected);
		return true;
	}
	if (sync_now_ns() >= deadline)
		return false;
	struct timespec ts = {.tv_sec = (time_t)(deadline / 1000000000u),
			      .tv_nsec = (long)(deadline % 1000000000u)};
	return !(rl__futex_wait_until(word, expected, &ts) < 0 && errno == ETIMEDOUT);
}

/* Wake at most one sleeper on @word; true if one was woken. */
static inline bool sync_futex_wake_counted(_Atomic uint32_t *word)
{
	return syscall(SYS_futex, word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1) > 0;
}

static _Noreturn inline void sync_fatal(const char *what)
{
	fprintf(stderr, "racelab: fatal: %s on thread '%s'\n", what, rl_thread_name());
	abort();
}

/* ---- probed atomics (only while rl__probe_active) ----------------------- */

/* An atomic load with @mo, as an RL_PROBE_LOAD event. */
static inline uint32_t sync_probe_load(_Atomic uint32_t *p, memory_order mo, const char *kind,
				       const char *name, const void *pc)
{
	rl_probe_ev ev = {.op = RL_PROBE_LOAD, .order = (uint8_t)mo, .addr = p, .kind = kind,
			  .name = name, .pc = pc};
	rl__probe_enter(&ev);
	uint32_t v = atomic_load_explicit(p, mo);
	ev.rval = v;
	rl__probe_exit(&ev);
	return v;
}

/* A strong CAS as an RL_PROBE_RMW event (RL_PROBE_F_FAILED on failure). */
static inline bool sync_probe_cas(_Atomic uint32_t *p, uint32_t *expected, uint32_t desired,
				  memory_order succ, memory_order fail, const char *kind,
				  const char *name, const void *pc)
{
	rl_probe_ev ev = {.op = RL_PROBE_RMW, .order = (uint8_t)succ, .addr = p, .kind = kind,
			  .name = name, .pc = pc};
	rl__probe_enter(&ev);
	uint32_t want = *expected;
	bool ok = atomic_compare_exchange_strong_explicit(p, expected, desired, succ, fail);
	ev.rval = ok ? want : *expected;
	ev.wval = desired;
	if (!ok) {
		ev.flags |= RL_PROBE_F_FAILED;
		ev.order = (uint8_t)fail;
	}
	rl__probe_exit(&ev);
	return ok;
}

/* fetch_add (@xchg false; @v may wrap: fetch_sub) or exchange (@xchg true)
 * as an RL_PROBE_RMW event; the old value. */
static inline uint32_t sync_probe_rmw(_Atomic uint32_t *p, bool xchg, uint32_t v,
				      memory_order mo, const char *kind, const char *name,
				      const void *pc)
{
	rl_probe_ev ev = {.op = RL_PROBE_RMW, .order = (uint8_t)mo, .addr = p, .kind = kind,
			  .name = name, .pc = pc};
	rl__probe_enter(&ev);
	uint32_t old = xchg ? atomic_exchange_explicit(p, v, mo) : atomic_fetch_add_explicit(p, v, mo);
	ev.rval = old;
	ev.wval = xchg ? v : old + v;
	rl__probe_exit(&ev);
	return old;
}

#define sync_probe_add(p, d, mo, kind, name, pc) sync_probe_rmw((p), false, (d), (mo), (kind), (name), (pc))
#define sync_probe_xchg(p, v, mo, kind, name, pc) sync_probe_rmw((p), true, (v), (mo), (kind), (name), (pc))

/*
 * A probed futex wait (probe.h's WAIT): sleep while *@word == @expected.
 * @deadline: absolute CLOCK_MONOTONIC ns, UINT64_MAX: none. @flags:
 * RL_PROBE_F_SPURIOUS for a Condvar. Return: RL_OK (re-check the state),
 * RL_ETIMEDOUT, or RL_EDEADLK (no thread can ever wake it: give up).
 */
static inline int sync_probe_wait(_Atomic uint32_t *word, uint32_t expected, uint64_t deadline,
				  uint16_t flags, const char *kind, const char *name, const void *pc)
{
	rl_probe_ev ev = {.op = RL_PROBE_WAIT, .addr = word, .rval = expected, .kind = kind,
			  .name = name, .pc = pc,
			  .flags = (uint16_t)(flags | (deadline != UINT64_MAX ? RL_PROBE_F_TIMED : 0))};
	int rc = rl__probe(&ev);
	if (rc != RL_OK || (ev.flags & RL_PROBE_F_WAITED))
		return rc;
	/* No session took it (the scheduler was released, or a timed wait
	 * without one): the real sleep. */
	return sync_futex_wait_until(word, expected, deadline) ? RL_OK : RL_ETIMEDOUT;
}

/* Wake one (@all false) or every sleeper of @word, probed (NOTIFY) and real.
 * Return: how many were woken. */
static inline unsigned sync_probe_notify(_Atomic uint32_t *word, bool all, const char *kind,
					 const char *name, const void *pc)
{
	rl_probe_ev ev = {.op = RL_PROBE_NOTIFY, .flags = all ? RL_PROBE_F_ALL : 0, .addr = word,
			  .kind = kind, .name = name, .pc = pc};
	rl__probe(&ev);
	long real = syscall(SYS_futex, word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, all ? INT_MAX : 1);
	return (unsigned)ev.rval + (real > 0 ? (unsigned)real : 0);
}

/* TSan's view of a wake: the kernel orders a FUTEX_WAKE before the return of
 * the FUTEX_WAIT it wakes, which TSan cannot see. Release at the notify,
 * acquire after the wait: the same edge the HB detector's NOTIFY -> WAIT has. */
#define sync_tsan_notify(word) SYNC_TSAN(__tsan_release((void *)(word)))
#define sync_tsan_woken(word) SYNC_TSAN(__tsan_acquire((void *)(word)))

/* Condvar::wait for the channels (condvar.c): a wait whose deadlock report
 * names @kind and @name (the channel) instead of the condvar. @deadline:
 * absolute CLOCK_MONOTONIC ns, UINT64_MAX: none. */
struct rl_condvar;
struct rl_mutex_guard;
int rl__condvar_wait_as(struct rl_condvar *c, struct rl_mutex_guard *g, uint64_t deadline,
			bool *timed_out, const char *kind, const char *name);

/* The scheduling point of a probed wait loop (instead of a futex sleep). */
static inline void sync_probe_yield(const void *addr, const char *kind, const char *name,
				    const void *pc)
{
	rl_probe_ev ev = {.op = RL_PROBE_YIELD, .addr = addr, .kind = kind, .name = name, .pc = pc};
	rl__probe(&ev);
}

#endif
