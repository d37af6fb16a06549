/* results.c — what a probe session leaves behind: object numbers and reports.
 *
 * Object numbers (#N in traces and reports) are given in order of first
 * appearance, so they are a function of the interleaving and stable under
 * replay. Reports are kept from the session's attach until the next attach
 * or rl_probe_reset(). Everything runs with the detector lock held
 * (results.h) unless it says otherwise.
 */
#include "results.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <racelab/hooks.h>

#include "amap.h"
#include "dlock.h"


static struct {
	struct rl__amap ids; /* address -> object number */
	uint32_t next_id;
	rl_probe_report *rep;
	size_t nrep, caprep;
	FILE *report_file;
	rl_probe_sink *sink;
	void *sink_ctx;
	uint64_t (*step)(void);
} res;

/* ---- object numbers ---- */

uint32_t rl__obj_id(const void *addr)
{
	if (!addr)
		return 0;
	uint64_t *v = rl__amap_get(&res.ids, (uintptr_t)addr, true);
	if (!v)
		RL_FATAL("out of memory numbering objects");
	if (!*v)
		*v = ++res.next_id;
	return (uint32_t)*v;
}

uint32_t rl__obj_number(const void *addr)
{
	rl__dlock_lock(&rl__sim_lock);
	uint32_t id = rl__obj_id(addr);
	rl__dlock_unlock(&rl__sim_lock);
	return id;
}

void rl__obj_forget(const void *addr, uint64_t size)
{
	uintptr_t lo = (uintptr_t)addr & ~(uintptr_t)3, hi = (uintptr_t)addr + (uintptr_t)size;
	if (!res.ids.n)
		return;
	if (hi <= lo)
		hi = lo + 4;
	if ((hi - lo) / 4 <= res.ids.cap) {
		for (uintptr_t a = lo; a < hi; a += 4)
			rl__amap_del(&res.ids, a, NULL);
		return;
	}
	for (;;) { /* rare: a huge range; rescan after each removal */
		uintptr_t victim = 0;
		for (uint32_t i = 0; i < res.ids.cap && !victim; i++)
			if (res.ids.keys[i] >= lo && res.ids.keys[i] < hi)
				victim = res.ids.keys[i];
		if (!victim)
			return;
		rl__amap_del(&res.ids, victim, NULL);
	}
}

void rl__obj_reset(void)
{
	rl__amap_free(&res.ids);
	res.next_id = 0;
}

/* ---- reports ---- */

static uint64_t no_step(void) { return 0; }

void rl__reports_start(FILE *report_file, rl_probe_sink *sink, void *sink_ctx, uint64_t (*step)(void))
{
	res.report_file = report_file;
	res.sink = sink;
	res.sink_ctx = sink_ctx;
	res.step = step ? step : no_step;
}

void rl__reports_free(void)
{
	for (size_t i = 0; i < res.nrep; i++)
		free(res.rep[i].text);
	free(res.rep);
	res.rep = NULL;
	res.nrep = res.caprep = 0;
}

uint64_t rl__report_races(void)
{
	uint64_t n = 0;
	for (size_t i = 0; i < res.nrep; i++)
		n += res.rep[i].kind == RL_REPORT_RACE;
	return n;
}

size_t rl__report_add(const rl_probe_report *r)
{
	if (res.nrep == res.caprep) {
		size_t ncap = res.caprep ? res.caprep * 2 : 16;
		rl_probe_report *p = realloc(res.rep, ncap * sizeof(*p));
		if (!p)
			RL_FATAL("out of memory storing a report");
		res.rep = p;
		res.caprep = ncap;
	}
	size_t idx = res.nrep++;
	res.rep[idx] = *r;
	res.rep[idx].step = res.step();
	if (res.report_file) {
		fputs(r->text, res.report_file);
		fflush(res.report_file);
	}
	if (res.sink)
		res.sink(&res.rep[idx], res.sink_ctx);
	return idx;
}

void rl__report_unchecked(unsigned tid, const char *name)
{
	if (!res.report_file)
		return;
	fprintf(res.report_file,
		"racelab: the detector follows at most %u threads per session: thread '%s' (T%u) and the threads "
		"after it are not checked (their accesses, atomics and mutex events)\n",
		RL_PROBE_MAX_THREADS, name, tid);
	fflush(res.report_file);
}

void rl__report_bump(size_t idx)
{
	res.rep[idx].count++;
}

void rl__deadlock_side(struct rl__deadlock_sides *s, const char *name, unsigned tid, const rl_probe_ev *wait,
		       uint32_t obj_id)
{
	if (s->n >= 2)
		return;
	rl_probe_access *a = &s->side[s->n];
	memset(a, 0, sizeof(*a));
	a->op = wait->name;
	a->site = wait->site;
	a->pc = wait->pc;
	a->tid = tid;
	a->known = true;
	snprintf(a->thread, sizeof(a->thread), "%s", name ? name : "?");
	rl__site_text(wait->site, wait->pc, a->site_text, sizeof(a->site_text));
	if (!s->n++) {
		s->obj_kind = wait->kind ? wait->kind : wait->op == RL_PROBE_JOIN ? "thread" : "object";
		s->obj_id = obj_id;
	}
}

void rl__report_deadlock(char *text, const struct rl__deadlock_sides *sides)
{
	rl_probe_report r;
	memset(&r, 0, sizeof(r));
	r.kind = RL_REPORT_DEADLOCK;
	r.obj_kind = sides && sides->n ? sides->obj_kind : "deadlock";
	if (sides) {
		r.obj_id = sides->n ? sides->obj_id : 0;
		r.cur = sides->side[0];
		r.prev = sides->side[1];
	}
	r.count = 1;
	r.text = text;
	r.edge = "";
	r.rule = "a thread blocked forever: Rust's Mutex::lock on a mutex the thread holds, or locks taken in "
		 "opposite orders on two threads, deadlock (std::sync::Mutex documents that it may panic or "
		 "deadlock); a Condvar wait whose notify came before it (a lost wakeup: wait in a loop on the "
		 "predicate), a send on a full channel or recv nobody sends to, a Barrier short of threads "
		 "never returns";
	rl__dlock_lock(&rl__sim_lock);
	rl__report_add(&r);
	rl__dlock_unlock(&rl__sim_lock);
}

void rl__site_text(const char *site, const void *pc, char *buf, size_t n)
{
	if (site) {
		snprintf(buf, n, "%s", site);
		return;
	}
	if (!pc) {
		snprintf(buf, n, "?");
		return;
	}
	Dl_info info;
	if (dladdr(pc, &info) && info.dli_sname && info.dli_saddr) {
		snprintf(buf, n, "%s+0x%zx", info.dli_sname, (size_t)((const char *)pc - (const char *)info.dli_saddr));
	} else if (dladdr(pc, &info) && info.dli_fname && info.dli_fbase) {
		const char *base = strrchr(info.dli_fname, '/');
		snprintf(buf, n, "%s+0x%zx", base ? base + 1 : info.dli_fname,
			 (size_t)((const char *)pc - (const char *)info.dli_fbase));
	} else {
		snprintf(buf, n, "?");
	}
}

size_t rl_probe_report_count(void) { return res.nrep; }

const rl_probe_report *rl_probe_report_at(size_t i)
{
	return i < res.nrep ? &res.rep[i] : NULL;
}
