/* wl_probe.c — the probed halves of wl.h's access helpers: a workload's own
 * shared accesses, bracketed as probe events (probe.h) while a detector or
 * the scheduler is attached. Each does only its memory operation between
 * rl__probe_enter() and rl__probe_exit(); the atomics first try probe.h's
 * lock-free path, which needs no event.
 */
#include <racelab/probe.h>

#include "wl.h"

static rl_probe_ev ev_of(rl_probe_op op, const void *addr, const char *kind, const char *name, const char *site)
{
	/* The site string names the caller; no return address is needed. */
	return (rl_probe_ev){ .op = (uint8_t)op, .addr = addr, .kind = kind, .name = name, .site = site };
}

int64_t rl__wl_read_probed(const int64_t *p, const char *kind, const char *op, const char *site)
{
	rl_probe_ev ev = ev_of(RL_PROBE_READ, p, kind, op, site);
	ev.flags = RL_PROBE_F_SIGNED;
	rl__probe_enter(&ev);
	int64_t v = *(const volatile int64_t *)p;
	ev.rval = (uint64_t)v;
	rl__probe_exit(&ev);
	return v;
}

void rl__wl_write_probed(int64_t *p, int64_t v, const char *kind, const char *op, const char *site)
{
	rl_probe_ev ev = ev_of(RL_PROBE_WRITE, p, kind, op, site);
	ev.flags = RL_PROBE_F_SIGNED;
	ev.wval = (uint64_t)v;
	rl__probe_enter(&ev);
	*(volatile int64_t *)p = v;
	rl__probe_exit(&ev);
}

int64_t rl__wl_fetch_add_probed(_Atomic int64_t *p, int64_t d, memory_order mo, const char *kind,
				const char *op, const char *site)
{
	if (rl__probe_fast_begin(p, mo)) {
		int64_t old = atomic_fetch_add_explicit(p, d, mo);
		rl__probe_fast_end();
		return old;
	}
	rl_probe_ev ev = ev_of(RL_PROBE_RMW, p, kind, op, site);
	ev.flags = RL_PROBE_F_SIGNED;
	ev.order = (uint8_t)mo;
	rl__probe_enter(&ev);
	int64_t old = atomic_fetch_add_explicit(p, d, mo);
	ev.rval = (uint64_t)old;
	ev.wval = (uint64_t)old + (uint64_t)d;
	rl__probe_exit(&ev);
	return old;
}

int rl__wl_load_probed(const atomic_int *p, memory_order mo, const char *kind, const char *op, const char *site)
{
	if (rl__probe_fast_begin(p, mo)) {
		int v = atomic_load_explicit((atomic_int *)p, mo);
		rl__probe_fast_end();
		return v;
	}
	rl_probe_ev ev = ev_of(RL_PROBE_LOAD, p, kind, op, site);
	ev.flags = RL_PROBE_F_SIGNED;
	ev.order = (uint8_t)mo;
	rl__probe_enter(&ev);
	int v = atomic_load_explicit((atomic_int *)p, mo);
	ev.rval = (uint64_t)(int64_t)v;
	rl__probe_exit(&ev);
	return v;
}

void rl__wl_store_probed(atomic_int *p, int v, memory_order mo, const char *kind, const char *op,
			 const char *site)
{
	if (rl__probe_fast_begin(p, mo)) {
		atomic_store_explicit(p, v, mo);
		rl__probe_fast_end();
		return;
	}
	rl_probe_ev ev = ev_of(RL_PROBE_STORE, p, kind, op, site);
	ev.flags = RL_PROBE_F_SIGNED;
	ev.order = (uint8_t)mo;
	ev.wval = (uint64_t)(int64_t)v;
	rl__probe_enter(&ev);
	atomic_store_explicit(p, v, mo);
	rl__probe_exit(&ev);
}

void rl__wl_yield_probed(const char *op, const char *site)
{
	rl_probe_ev ev = ev_of(RL_PROBE_YIELD, NULL, NULL, op, site);
	rl__probe(&ev);
}

void rl__wl_mem_probed(rl_probe_op op, void *addr, size_t size, const char *kind, const char *name,
		       const char *site)
{
	rl_probe_ev ev = ev_of(op, addr, kind, name, site);
	ev.wval = size;
	rl__probe(&ev);
}
