/* rcu.c — the RCU cell on liburcu (urcu-memb flavour) and its TSan annotations.
 *
 * Owns: per-thread registration with liburcu (lazy, on the first pin; undone
 * by a pthread key destructor when the thread exits) and the pin depth that
 * lets a writer refuse to wait for its own read-side section.
 *
 * Invariant: a value taken out of a cell by a writer is dropped (or returned
 * by rl_rcu_cell_swap) only after synchronize_rcu() returned, i.e. after every
 * read-side critical section that was running at the exchange has ended.
 *
 * ThreadSanitizer and liburcu 0.13. Debian's liburcu does its atomics in
 * inline asm and volatile accesses, and liburcu-memb.so is not instrumented,
 * so TSan sees none of RCU's synchronisation. Without help it reports the
 * reader's reads of a value against the writer's initialisation of it, and
 * the writer's free() against the reader's reads. Three happens-before edges
 * are therefore told to TSan explicitly (they compile to nothing otherwise):
 *
 *   (1) publish -> dereference: the writer calls __tsan_release(value) before
 *       the exchange that publishes the value; whoever obtains the pointer —
 *       a reader's load, or a later writer's exchange that takes it out —
 *       calls __tsan_acquire(value). This is rcu_assign_pointer's release
 *       paired with rcu_dereference's (dependency) acquire.
 *   (2) reader unlock -> end of grace period: every reader calls
 *       __tsan_release(&grace_period) just before rcu_read_unlock(); the
 *       writer calls __tsan_acquire(&grace_period) just after
 *       synchronize_rcu() returns. This is the guarantee synchronize_rcu()
 *       gives: every read-side section that was running when it started has
 *       ended before it returns. The edge is coarser than RCU's (it orders
 *       *every* earlier reader before the reclaim, not only the overlapping
 *       ones), so it can hide, but never invent, a use-after-grace-period.
 *   (3) liburcu's own internals are not instrumented at all in TSan builds:
 *       _LGPL_SOURCE (which inlines the read side and the pointer helpers
 *       into racelab's instrumented code) is defined only in non-TSan builds,
 *       so no suppression is needed.
 */

#include <racelab/hooks.h> /* RL_TSAN, before liburcu's headers */

#ifndef RL_TSAN
#define _LGPL_SOURCE /* inline read side: rcu_read_lock is a TLS increment */
#endif

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <urcu/urcu-memb.h>

#include <racelab/hooks.h>
#include <racelab/probe.h>
#include <racelab/rcu.h>
#include <racelab/status.h>
#include <racelab/thread.h>

#include "core/fiber.h"

#ifdef RL_TSAN
#include <sanitizer/tsan_interface.h>
/* Any address will do: the sync object of edge (2). */
static char grace_period;
#define TSAN_PUBLISH(v) ((v) ? __tsan_release(v) : (void)0)  /* edge (1), release */
#define TSAN_OBTAIN(v) ((v) ? __tsan_acquire(v) : (void)0)   /* edge (1), acquire */
#define TSAN_READER_DONE() __tsan_release(&grace_period)     /* edge (2), release */
#define TSAN_GRACE_PERIOD_OVER() __tsan_acquire(&grace_period) /* edge (2), acquire */
#else
#define TSAN_PUBLISH(v) ((void)0)
#define TSAN_OBTAIN(v) ((void)0)
#define TSAN_READER_DONE() ((void)0)
#define TSAN_GRACE_PERIOD_OVER() ((void)0)
#endif

static _Noreturn void fatal_at(const char *what, int line)
{
	fprintf(stderr, "racelab: fatal: %s on thread '%s' (sync/rcu.c:%d)\n", what,
		rl_thread_name(), line);
	abort();
}
#define fatal(what) fatal_at((what), __LINE__)

/*
 * Probes (probe.h): while rl__probe_active is set every RCU operation is
 * bracketed for racelab's own detector and scheduler — read lock/unlock and
 * grace periods on the domain below, publish (an exchange) and dereference
 * on the cell — so they see the same three edges TSan is told about.
 */
static const char rcu_domain; /* the RCU domain's identity for probes */
static const char RCU_KIND[] = "RCU cell";

static void probe_domain(rl_probe_op op, const char *name, const void *pc)
{
	rl_probe_ev ev = {.op = (uint8_t)op, .addr = &rcu_domain, .kind = RCU_KIND, .name = name,
			  .pc = pc};
	rl__probe_enter(&ev); /* read lock/unlock: not blocking */
	if (op == RL_PROBE_RCU_READ_LOCK)
		urcu_memb_read_lock();
	else
		urcu_memb_read_unlock();
	rl__probe_exit(&ev);
}

/* ---- registration ------------------------------------------------------- */

static __thread bool registered;
static __thread unsigned pin_depth;

/* pin_depth is the rl thread's and follows it where it runs as a fiber
 * (core/fiber.h); the registration is the OS thread's: liburcu's reader
 * state is per OS thread, shared by the fibers, whose read-side sections the
 * scheduler never lets a grace period overlap (RL_PROBE_RCU_SYNC). */
static void *pin_depth_addr(void) { return &pin_depth; }
__attribute__((constructor)) static void register_fiber_tls(void) { rl__fiber_tls(pin_depth_addr, sizeof(pin_depth)); }
static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

/* Thread exit: leave any read-side section a panic skipped, then unregister. */
static void thread_exit(void *unused)
{
	(void)unused;
	while (pin_depth) {
		pin_depth--;
		TSAN_READER_DONE();
		urcu_memb_read_unlock();
	}
	urcu_memb_unregister_thread();
	registered = false;
}

static void make_exit_key(void)
{
	if (pthread_key_create(&exit_key, thread_exit) != 0)
		fatal("pthread_key_create failed");
}

static __attribute__((noinline, cold)) void register_thread(void)
{
	pthread_once(&exit_key_once, make_exit_key);
	urcu_memb_register_thread();
	registered = true;
	/* Any non-NULL value: it only makes the destructor run. */
	if (pthread_setspecific(exit_key, &registered) != 0)
		fatal("pthread_setspecific failed");
}

/* ---- readers ------------------------------------------------------------ */

void rl_rcu_pin(rl_rcu_guard *g)
{
	if (RL_UNLIKELY(!registered))
		register_thread();
	if (RL_UNLIKELY(rl__probe_active))
		probe_domain(RL_PROBE_RCU_READ_LOCK, "rl_rcu_pin", __builtin_return_address(0));
	else
		urcu_memb_read_lock();
	pin_depth++;
	g->tid = rl__tid();
	g->active = 1;
}

void *rl_rcu_cell_load(const rl_rcu_cell *cell, const rl_rcu_guard *g)
{
	if (RL_UNLIKELY(!g->active || g->tid != rl__tid()))
		fatal("rl_rcu_cell_load without a pinned guard of this thread");
	if (RL_UNLIKELY(rl__probe_active)) {
		rl_probe_ev ev = {.op = RL_PROBE_RCU_DEREF, .flags = RL_PROBE_F_PTR, .addr = cell,
				  .kind = RCU_KIND, .name = "rl_rcu_cell_load",
				  .pc = __builtin_return_address(0)};
		rl__probe_enter(&ev);
		void *v = rcu_dereference(((rl_rcu_cell *)cell)->value);
		ev.rval = (uintptr_t)v;
		rl__probe_exit(&ev);
		TSAN_OBTAIN(v);
		return v;
	}
	void *v = rcu_dereference(((rl_rcu_cell *)cell)->value);
	TSAN_OBTAIN(v);
	return v;
}

void rl_rcu_guard_drop(rl_rcu_guard *g)
{
	if (RL_UNLIKELY(!g->active || g->tid != rl__tid() || pin_depth == 0))
		fatal("rl_rcu_guard_drop of a guard not pinned on this thread");
	g->active = 0;
	pin_depth--;
	TSAN_READER_DONE();
	if (RL_UNLIKELY(rl__probe_active))
		probe_domain(RL_PROBE_RCU_READ_UNLOCK, "rl_rcu_guard_drop", __builtin_return_address(0));
	else
		urcu_memb_read_unlock();
}

/* ---- writers ------------------------------------------------------------ */

static void synchronize(const void *pc)
{
	if (RL_UNLIKELY(pin_depth))
		fatal("RCU grace period awaited inside a read-side critical section (deadlock)");
	if (RL_UNLIKELY(rl__probe_active)) {
		rl_probe_ev ev = {.op = RL_PROBE_RCU_SYNC, .addr = &rcu_domain, .kind = RCU_KIND,
				  .name = "synchronize_rcu", .pc = pc};
		if (rl__probe_enter(&ev) == RL_EDEADLK)
			rl_panic("deadlock: an RCU grace period can never end (see the scheduler's report)");
		urcu_memb_synchronize_rcu();
		rl__probe_exit(&ev);
	} else {
		urcu_memb_synchronize_rcu();
	}
	TSAN_GRACE_PERIOD_OVER();
}

void rl_rcu_synchronize(void)
{
	synchronize(__builtin_return_address(0));
}

void rl_rcu_cell_init(rl_rcu_cell *cell, void *initial, rl_drop_fn *drop)
{
	TSAN_PUBLISH(initial);
	cell->value = initial;
	cell->drop = drop;
}

static void *swap(rl_rcu_cell *cell, void *value, const void *pc)
{
	if (RL_UNLIKELY(pin_depth))
		fatal("RCU cell replaced inside a read-side critical section (deadlock)");
	TSAN_PUBLISH(value);
	void *old;
	if (RL_UNLIKELY(rl__probe_active)) {
		rl_probe_ev ev = {.op = RL_PROBE_RCU_PUBLISH, .flags = RL_PROBE_F_RMW | RL_PROBE_F_PTR,
				  .addr = cell, .kind = RCU_KIND, .name = "rl_rcu_cell_swap",
				  .wval = (uintptr_t)value, .pc = pc};
		rl__probe_enter(&ev);
		old = rcu_xchg_pointer(&cell->value, value);
		ev.rval = (uintptr_t)old;
		rl__probe_exit(&ev);
	} else {
		old = rcu_xchg_pointer(&cell->value, value);
	}
	TSAN_OBTAIN(old); /* another writer initialised it */
	synchronize(pc);
	return old;
}

void *rl_rcu_cell_swap(rl_rcu_cell *cell, void *value)
{
	return swap(cell, value, __builtin_return_address(0));
}

void rl_rcu_cell_store(rl_rcu_cell *cell, void *value)
{
	void *old = swap(cell, value, __builtin_return_address(0));
	if (old && cell->drop)
		cell->drop(old);
}

void rl_rcu_cell_destroy(rl_rcu_cell *cell)
{
	void *v = rcu_dereference(cell->value);
	TSAN_OBTAIN(v);
	if (v && cell->drop)
		cell->drop(v);
	cell->value = NULL;
}
