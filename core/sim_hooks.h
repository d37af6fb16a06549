/* sim_hooks.h — how the runtime reaches the simulator (private to core/ and sim/).
 *
 * core/ includes nothing above it: the thread runtime calls the probe layer
 * (sim/probe.c) only through this table, which sim/ fills in when a session
 * attaches, and only while rl__probe_active is set (hooks.h). The table is
 * never cleared: a late call after detach reaches the probe layer, which
 * returns at once when no session is attached.
 */
#ifndef RACELAB_CORE_SIM_HOOKS_H
#define RACELAB_CORE_SIM_HOOKS_H

#include <racelab/probe.h> /* rl_probe_ev, the event type (public) */

struct rl__sim_hooks {
	int (*probe)(rl_probe_ev *ev);  /* rl__probe(): SPAWN, SPAWN_FAILED, START, EXIT */
	int (*enter)(rl_probe_ev *ev);  /* rl__probe_enter(): JOIN */
	void (*exit)(rl_probe_ev *ev);  /* rl__probe_exit() */
};

extern struct rl__sim_hooks rl__sim_hooks;

#endif
