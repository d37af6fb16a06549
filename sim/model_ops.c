/* model_ops.c — the modelled operations: the slow paths of model.h's atomics
 * and tracked memory, rl_fence, rl_yield, RL_ASSERT.
 *
 * Owns nothing: each operation is one rl__probe_enter/exit pair around the
 * memory operation it describes (probe.h), so the scheduler sees a
 * scheduling point and the detector an event. The memory operation itself is
 * the real C11 atomic with the caller's ordering: in a detector-only session
 * threads run in parallel. This file also holds the external definitions of
 * model.h's inline fast paths (for C++ and other FFIs), as sync/inline.c does
 * for the other headers.
 */
#define RL__INLINE_EXTERN 1
#include <racelab/model.h>

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <racelab/probe.h>
#include <racelab/status.h>
#include <racelab/thread.h>

#include "model_internal.h"
#include "probe_internal.h"
#include "results.h"
#include "weak.h"

static const char *kind_of(unsigned width)
{
	return width & RL__WIDTH_PTR ? "AtomicPtr" : width == 1 ? "AtomicBool" : "AtomicU64";
}

/* Pointer values print as object numbers in traces. */
static uint16_t flags_of(unsigned width)
{
	return width & RL__WIDTH_PTR ? RL_PROBE_F_PTR : 0;
}

/* The calling thread's detector state when rl_model()'s memory model
 * (sim/weak.c) decides what its atomics read; NULL: the plain atomic. Inside
 * an enter/exit pair. */
static struct rl__det_thr *weak_thr(void)
{
	return rl__weak_on() ? rl__probe_det_self() : NULL;
}

/* Enter @ev; in a schedule being ended, unwind instead of operating. */
static int enter(rl_probe_ev *ev)
{
	int rc = rl__probe_enter(ev);
	if (RL_UNLIKELY(atomic_load_explicit(&rl__model_kill, memory_order_relaxed))) {
		if (rc == RL_OK)
			rl__probe_exit(ev);
		rl__model_die();
	}
	return rc;
}

static uint64_t load_w(const void *a, unsigned width, int mo)
{
	if (width == 1)
		return __atomic_load_n((const bool *)a, mo);
	return __atomic_load_n((const uint64_t *)a, mo);
}

__attribute__((noinline)) uint64_t rl__model_load(const void *a, unsigned width, memory_order mo)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_LOAD, a, kind_of(width), "rl_atomic_load");
	ev.order = (uint8_t)mo;
	ev.flags = flags_of(width);
	width &= ~RL__WIDTH_PTR;
	enter(&ev);
	struct rl__det_thr *w = weak_thr();
	ev.rval = w ? rl__weak_load(w, &ev, a, width, mo) : load_w(a, width, mo);
	rl__probe_exit(&ev);
	return ev.rval;
}

__attribute__((noinline)) void rl__model_store(void *a, unsigned width, uint64_t v, memory_order mo)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_STORE, a, kind_of(width), "rl_atomic_store");
	ev.order = (uint8_t)mo;
	ev.flags = flags_of(width);
	width &= ~RL__WIDTH_PTR;
	ev.wval = v;
	enter(&ev);
	struct rl__det_thr *w = weak_thr();
	if (w)
		rl__weak_store(w, &ev, a, width, v, mo);
	else if (width == 1)
		__atomic_store_n((bool *)a, v != 0, mo);
	else
		__atomic_store_n((uint64_t *)a, v, mo);
	rl__probe_exit(&ev);
}

static const char *const rmw_names[] = {
	[RL__RMW_SWAP] = "rl_atomic_swap",     [RL__RMW_ADD] = "rl_atomic_fetch_add",
	[RL__RMW_SUB] = "rl_atomic_fetch_sub", [RL__RMW_AND] = "rl_atomic_fetch_and",
	[RL__RMW_OR] = "rl_atomic_fetch_or",   [RL__RMW_XOR] = "rl_atomic_fetch_xor",
};

static uint64_t rmw64(uint64_t *p, unsigned op, uint64_t v, int mo)
{
	switch (op) {
	case RL__RMW_SWAP: return __atomic_exchange_n(p, v, mo);
	case RL__RMW_ADD: return __atomic_fetch_add(p, v, mo);
	case RL__RMW_SUB: return __atomic_fetch_sub(p, v, mo);
	case RL__RMW_AND: return __atomic_fetch_and(p, v, mo);
	case RL__RMW_OR: return __atomic_fetch_or(p, v, mo);
	default: return __atomic_fetch_xor(p, v, mo);
	}
}

static uint64_t apply(unsigned op, uint64_t old, uint64_t v)
{
	switch (op) {
	case RL__RMW_SWAP: return v;
	case RL__RMW_ADD: return old + v;
	case RL__RMW_SUB: return old - v;
	case RL__RMW_AND: return old & v;
	case RL__RMW_OR: return old | v;
	default: return old ^ v;
	}
}

struct rmw_ctx {
	unsigned op, eff;
	uint64_t v;
};

static uint64_t apply_ctx(uint64_t old, const void *p)
{
	const struct rmw_ctx *c = p;
	return apply(c->eff, old, c->v);
}

__attribute__((noinline)) uint64_t rl__model_rmw(void *a, unsigned width, unsigned op, uint64_t v,
						 memory_order mo)
{
	if (op > RL__RMW_XOR)
		RL_FATAL("unknown atomic read-modify-write %u", op);
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_RMW, a, kind_of(width), rmw_names[op]);
	ev.order = (uint8_t)mo;
	ev.flags = flags_of(width);
	width &= ~RL__WIDTH_PTR;
	enter(&ev);
	struct rl__det_thr *w = weak_thr();
	struct rmw_ctx c = { op, width == 1 ? RL__RMW_SWAP : op, v };
	if (w)
		ev.rval = rl__weak_rmw(w, &ev, a, width, mo, apply_ctx, &c);
	else if (width == 1)
		ev.rval = __atomic_exchange_n((bool *)a, v != 0, mo); /* bool has swap only */
	else
		ev.rval = rmw64(a, op, v, mo);
	ev.wval = width == 1 ? (v != 0) : apply(op, ev.rval, v);
	rl__probe_exit(&ev);
	return ev.rval;
}

__attribute__((noinline)) bool rl__model_cas(void *a, unsigned width, uint64_t *expected, uint64_t desired,
					     bool weak, memory_order success, memory_order failure)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_RMW, a, kind_of(width),
				     weak ? "rl_atomic_compare_exchange_weak" : "rl_atomic_compare_exchange");
	ev.order = (uint8_t)success;
	ev.flags = flags_of(width);
	width &= ~RL__WIDTH_PTR;
	enter(&ev);
	/* A weak CAS that would succeed may fail spuriously: a choice the
	 * model explores (serialised, so the value cannot change meanwhile). */
	bool ok;
	struct rl__det_thr *w = weak_thr();
	if (w) {
		ok = rl__weak_cas(w, &ev, a, width, expected, desired, weak, success, failure);
	} else if (weak && rl__model_running() && load_w(a, width, memory_order_relaxed) == (width == 1 ? (*expected != 0) : *expected) &&
	    rl__model_spurious()) {
		ok = false;
		*expected = load_w(a, width, failure);
	} else if (width == 1) {
		bool e = *expected != 0;
		ok = __atomic_compare_exchange_n((bool *)a, &e, desired != 0, false, success, failure);
		*expected = e;
	} else {
		ok = __atomic_compare_exchange_n((uint64_t *)a, expected, desired, false, success, failure);
	}
	if (ok) {
		ev.rval = *expected;
		ev.wval = desired;
	} else if (w) {
		ev.order = (uint8_t)failure;
		ev.rval = *expected;
	} else {
		ev.flags |= RL_PROBE_F_FAILED;
		ev.order = (uint8_t)failure;
		ev.rval = *expected;
	}
	rl__probe_exit(&ev);
	return ok;
}

/* The value the trace shows for a tracked access (it records at the exit): a
 * one-word range's content — the caller's own access, before or after the
 * call, is what it is; none for a longer range, a free, or memory the model
 * knows is freed (the caller promised not to touch it). Only a model
 * schedule reads it, one thread at a time, so the read races with nothing. */
static void track_value(rl_probe_ev *ev, bool none)
{
	uint64_t v = 0;
	switch (none || !rl__model_running() ? 0 : ev->size) {
	case 1: v = *(const uint8_t *)ev->addr; break;
	case 2: { uint16_t x; memcpy(&x, ev->addr, 2); v = x; break; }
	case 4: { uint32_t x; memcpy(&x, ev->addr, 4); v = x; break; }
	case 8: memcpy(&v, ev->addr, 8); break;
	default: ev->flags |= RL_PROBE_F_NOVAL; break;
	}
	ev->rval = ev->wval = v;
}

/* One plain access of [addr, addr + size): a scheduling point for the whole
 * range, then the detector's 4-byte locations one by one. */
static void access_range(unsigned op, const void *addr, size_t size, const char *what, const char *name,
			 const void *pc, const char *site)
{
	rl_probe_ev ev = { .op = (uint8_t)op, .addr = addr, .kind = what, .name = name, .pc = pc, .site = site,
			   .size = size };
	enter(&ev);
	const char *by = rl__model_running() ? rl__model_freed_by(addr, size ? size : 1) : NULL;
	if (by) {
		char at[96];
		rl__site_text(site, pc, at, sizeof(at));
		rl__model_fail(RL_MODEL_USE_AFTER_FREE, "use after free: %s of %s (%zu bytes) by thread '%s' at %s, freed by thread '%s'",
			       strcmp(name, "rl_track_free") == 0 ? "free" : op == RL_PROBE_READ ? "read" : "write",
			       what ? what : "tracked memory", size, rl_thread_name(), at, by);
	}
	track_value(&ev, by != NULL || strcmp(name, "rl_track_free") == 0);
	rl__probe_exit(&ev);
	uintptr_t lo = (uintptr_t)addr, hi = lo + size;
	for (uintptr_t w = (lo & ~(uintptr_t)3) + 4; w < hi; w += 4) {
		rl_probe_ev more = ev;
		more.addr = (const void *)w;
		more.flags = RL_PROBE_F_NOSCHED | RL_PROBE_F_NOVAL;
		more.size = 0;
		rl__probe_enter(&more);
		rl__probe_exit(&more);
	}
}

static void track(unsigned op, void *addr, size_t size, const char *what, const void *pc, const char *site)
{
	switch (op) {
	case 1:
		access_range(RL_PROBE_READ, addr, size, what, "rl_track_read", pc, site);
		break;
	case 2:
		access_range(RL_PROBE_WRITE, addr, size, what, "rl_track_write", pc, site);
		break;
	case 3:
		rl__probe(&(rl_probe_ev){ .op = RL_PROBE_ALLOC, .addr = addr, .wval = size, .kind = what,
					  .name = "rl_track_alloc", .pc = pc, .site = site });
		break;
	case 4:
		access_range(RL_PROBE_WRITE, addr, size, "tracked memory", "rl_track_free", pc, site);
		rl__probe(&(rl_probe_ev){ .op = RL_PROBE_FREE, .addr = addr, .wval = size, .kind = "tracked memory",
					  .name = "rl_track_free", .pc = pc, .site = site });
		break;
	default:
		RL_FATAL("unknown tracked access %u", op);
	}
}

__attribute__((noinline)) void rl__model_track(unsigned op, void *addr, size_t size, const char *what)
{
	track(op, addr, size, what, __builtin_return_address(0), NULL);
}

__attribute__((noinline)) void rl__model_track_at(unsigned op, void *addr, size_t size, const char *what,
						  const char *site)
{
	track(op, addr, size, what, __builtin_return_address(0), site);
}

void rl_fence(memory_order mo)
{
	if (RL_UNLIKELY(rl__probe_active)) {
		rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_FENCE, NULL, NULL, "rl_fence");
		ev.order = (uint8_t)mo;
		if (rl__probe_enter(&ev) == RL_OK) {
			struct rl__det_thr *w = weak_thr();
			if (w)
				rl__weak_fence(w, mo);
			rl__probe_exit(&ev);
		}
		if (atomic_load_explicit(&rl__model_kill, memory_order_relaxed))
			rl__model_die();
	}
#ifndef RL_TSAN
	/* TSan does not model fences (gcc rejects them with -Wtsan); in a
	 * model the baton orders the threads anyway. */
	atomic_thread_fence(mo);
#endif
}

void rl_yield(void)
{
	if (RL_UNLIKELY(rl__probe_active)) {
		rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_YIELD, NULL, NULL, "rl_yield");
		if (rl__probe_enter(&ev) == RL_OK) {
			struct rl__det_thr *w = weak_thr();
			if (w)
				rl__weak_yield(w);
			rl__probe_exit(&ev);
		}
		if (atomic_load_explicit(&rl__model_kill, memory_order_relaxed))
			rl__model_die();
		return;
	}
	sched_yield();
}

_Noreturn void rl__model_assert_fail(const char *expr, const char *file, int line)
{
	if (rl__model_running()) {
		rl__model_fail(RL_MODEL_ASSERT, "assertion failed: %s (thread '%s', %s:%d)", expr, rl_thread_name(),
			       file, line);
		if (rl__thread_can_unwind())
			rl__thread_unwind("assertion failed in a model schedule");
	}
	fprintf(stderr, "racelab: assertion failed: %s (thread '%s', %s:%d)\n", expr, rl_thread_name(), file, line);
	fflush(stderr);
	abort();
}
