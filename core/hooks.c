/* hooks.c — thread ids and the probe switch that the primitives' fast paths test.
 *
 * Ids are small integers handed out in order of first use, starting at 1; 0
 * means "not yet assigned", so the inline rl__tid() needs no initialisation.
 */
#include <stdatomic.h>
#include <racelab/hooks.h>

#include "sim_hooks.h"

__thread uint32_t rl__tid_tls __attribute__((tls_model("initial-exec")));
uint32_t rl__probe_active;
__thread uint32_t rl__owner_key_tls __attribute__((tls_model("initial-exec")));

/* Filled in by sim/probe.c at attach (sim_hooks.h). */
struct rl__sim_hooks rl__sim_hooks;

static _Atomic uint32_t next_tid;

uint32_t rl__tid_new(void);
uint32_t rl__tid_new(void)
{
	/* Relaxed: the id only has to be unique, it orders nothing. */
	return atomic_fetch_add_explicit(&next_tid, 1, memory_order_relaxed) + 1;
}

uint32_t rl__tid_assign(void)
{
	if (rl__tid_tls == 0)
		rl__tid_tls = rl__tid_new();
	rl__owner_key_sync();
	return rl__tid_tls;
}
