/* session.c — probe sessions: rl_probe_attach/detach/reset, their statistics
 * and the thread names that outlive them.
 *
 * attach sets up the engines the config asks for, makes the calling thread
 * T0 and publishes the session (rl__sess.attached, a release that pairs with
 * the acquire in rl__probe_enter()); detach retires them once every probed
 * thread has exited. Results (stats, reports, trace, names) stay readable
 * until the next attach or rl_probe_reset().
 */
#include <racelab/probe.h>

#include <stdlib.h>
#include <string.h>
#include <racelab/hooks.h>
#include <racelab/status.h>
#include <racelab/thread.h>

#include "core/sim_hooks.h"
#include "probe_internal.h"
#include "results.h"

static void free_results(void)
{
	rl__reports_free();
	rl__trace_free();
	free(rl__sess.names);
	rl__sess.names = NULL;
	rl__sess.nnames = 0;
	memset(&rl__sess.stats, 0, sizeof(rl__sess.stats));
}

static void free_engines(void)
{
	rl__sched_free(rl__sess.sched);
	rl__sess.sched = NULL;
	for (unsigned i = 0; i < rl__sess.nthr; i++) {
		if (rl__sess.thr[i]->has_det)
			rl__det_thread_fini(&rl__sess.thr[i]->det);
		free(rl__sess.thr[i]->held);
		free(rl__sess.thr[i]);
	}
	free(rl__sess.thr);
	rl__sess.thr = NULL;
	rl__sess.nthr = rl__sess.capthr = 0;
	rl__det_free(rl__sess.det);
	rl__sess.det = NULL;
	rl__obj_reset();
}

int rl_probe_attach(const rl_probe_config *cfg)
{
	if (!cfg || (unsigned)cfg->schedule > RL_SCHEDULE_PCT)
		return RL_EINVAL;
	bool serial = cfg->schedule == RL_SCHEDULE_RANDOM || cfg->schedule == RL_SCHEDULE_PCT; /* not DEFAULT, OS */
	if (!cfg->detect && !serial && !cfg->trace)
		return RL_EINVAL;
	lock();
	if (atomic_load_explicit(&rl__sess.attached, memory_order_relaxed)) {
		unlock();
		return RL_EBUSY;
	}
	free_results();
	rl__sess.cfg = *cfg;
	rl__trace_start(cfg->trace, cfg->trace_limit);
	rl__reports_start(cfg->report_file, cfg->sink, cfg->sink_ctx, rl__probe_step_now);
	rl__sess.events = 0;
	rl__sess.lockfree = 0;
	rl__sess.unchecked_from = 0;
	rl__sess.fast = cfg->detect && !serial && !cfg->trace;
	rl__sess.deadlocked = false;
	rl__sess.membarrier = rl__sess.fast && rl__probe_membarrier_setup();
	for (size_t i = 0; i < sizeof(rl__probe_relflag); i++)
		atomic_store_explicit(&rl__probe_relflag[i], 0, memory_order_relaxed);
	if (cfg->detect && !(rl__sess.det = rl__det_new(cfg->history))) {
		unlock();
		return RL_ENOMEM;
	}
	rl__sess.sync_gen = rl__sess.det ? rl__det_sync_gen(rl__sess.det) : NULL;
	uint64_t session = atomic_load_explicit(&rl__probe_session, memory_order_relaxed) + 1;
	atomic_store_explicit(&rl__probe_session, session, memory_order_relaxed);
	struct pthr *t0 = rl__probe_new_thread(NULL, cfg->main_name ? cfg->main_name : rl_thread_name(), NULL);
	t0->started = true;
	if (serial && !(rl__sess.sched = rl__sched_new(cfg, &t0->sch))) {
		free_engines();
		unlock();
		return RL_ENOMEM;
	}
	rl__ptls.session = session;
	rl__ptls.t = t0;
	rl__probe_hot_attach(t0, session);
	rl__sess.stats.schedule = cfg->schedule;
	rl__sess.stats.seed = cfg->seed;
	rl__sim_hooks = (struct rl__sim_hooks){ .probe = rl__probe, .enter = rl__probe_enter, .exit = rl__probe_exit };
	rl__probe_active = 1;
	rl__owner_key_tls = 0; /* the attaching thread is T0: probed */
	/* Release: pairs with the acquire in rl__probe_enter(). */
	atomic_store_explicit(&rl__sess.attached, true, memory_order_release);
	unlock();
	return RL_OK;
}

bool rl_probe_attached(void)
{
	return atomic_load_explicit(&rl__sess.attached, memory_order_acquire);
}

static void fill_stats(rl_probe_stats *s)
{
	s->events = rl__probe_events_now();
	s->lockfree_events = rl__probe_lockfree_now();
	s->steps = rl__sess.sched ? rl__sched_steps(rl__sess.sched) : 0;
	s->switches = rl__sess.sched ? rl__sched_switches(rl__sess.sched) : 0;
	s->races = rl__report_races();
	s->race_events = rl__sess.det ? rl__det_race_events(rl__sess.det) : 0;
	s->locations = rl__sess.det ? rl__det_locations(rl__sess.det) : 0;
	s->threads = rl__sess.nthr;
	s->deadlock = (rl__sess.sched && rl__sched_deadlocked(rl__sess.sched)) || rl__sess.deadlocked;
	s->step_limit = rl__sess.sched && rl__sched_step_limited(rl__sess.sched);
	s->thread_limit = rl__sess.unchecked_from != 0;
	s->unchecked_from = rl__sess.unchecked_from;
	s->schedule = rl__sess.cfg.schedule;
	s->seed = rl__sess.cfg.seed;
	s->trace_len = rl_probe_trace_len();
	s->trace_dropped = rl__trace_dropped();
}

int rl_probe_detach(void)
{
	lock();
	if (!atomic_load_explicit(&rl__sess.attached, memory_order_relaxed) ||
	    rl__ptls.session != atomic_load_explicit(&rl__probe_session, memory_order_relaxed) || !rl__sess.nthr ||
	    rl__ptls.t != rl__sess.thr[0]) {
		unlock();
		return RL_EINVAL;
	}
	for (unsigned i = 1; i < rl__sess.nthr; i++) {
		if (!rl__sess.thr[i]->foreign && !rl__sess.thr[i]->exited) {
			unlock();
			return RL_EBUSY;
		}
	}
	rl__probe_active = 0;
	rl__owner_key_tls = rl__tid_tls;
	atomic_store_explicit(&rl__sess.attached, false, memory_order_release);
	fill_stats(&rl__sess.stats);
	rl__probe_hot_detach(rl__ptls.t);
	rl__sess.fast = false;
	rl__sess.names = calloc(rl__sess.nthr ? rl__sess.nthr : 1, sizeof(*rl__sess.names));
	if (rl__sess.names) {
		rl__sess.nnames = rl__sess.nthr;
		for (unsigned i = 0; i < rl__sess.nthr; i++)
			memcpy(rl__sess.names[i], rl__sess.thr[i]->name, NAME_LEN);
	}
	free_engines();
	atomic_store_explicit(&rl__probe_session, atomic_load_explicit(&rl__probe_session, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	rl__ptls.t = NULL;
	unlock();
	return RL_OK;
}

void rl_probe_reset(void)
{
	lock();
	if (!atomic_load_explicit(&rl__sess.attached, memory_order_relaxed))
		free_results();
	unlock();
}

/* ---- results ---- */

void rl_probe_get_stats(rl_probe_stats *out)
{
	lock();
	if (atomic_load_explicit(&rl__sess.attached, memory_order_relaxed))
		fill_stats(out);
	else
		*out = rl__sess.stats;
	unlock();
}

const char *rl_probe_thread_name(unsigned tid)
{
	if (atomic_load_explicit(&rl__sess.attached, memory_order_relaxed))
		return tid < rl__sess.nthr ? rl__sess.thr[tid]->name : "?";
	return tid < rl__sess.nnames ? rl__sess.names[tid] : "?";
}

