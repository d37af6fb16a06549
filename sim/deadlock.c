/* deadlock.c — deadlocks of sessions without a scheduler (detector only).
 *
 * Owns: the registry of probed threads that are blocked (a contended mutex
 * lock, a WAIT, a join) while threads run freely, the locks each thread
 * holds in such a session, and the deadlock check. Under the scheduler
 * sched.c models all of this; here the threads really sleep, so the check
 * looks at what they sleep on.
 *
 * A thread registers (under the detector lock) before it sleeps and leaves
 * the registry when its operation completes. The session is deadlocked when
 * every live probed thread is registered and none can ever proceed: each
 * waits to lock a mutex that some thread holds (that holder is blocked too,
 * or exited holding it), to join a thread that has not exited, or on a futex
 * word that still holds the value it went to sleep on (every primitive
 * changes its word before it wakes a sleeper, so an unchanged word means no
 * wake-up is on its way). The check runs when a thread registers, when one
 * exits, and at every slice of a sleeping WAIT, so the last thread to block
 * (or a sleeper, a slice later) finds it.
 *
 * Held locks: a thread's list is written only by that thread (at its LOCK,
 * TRYLOCK and UNLOCK exits, also on the lock-free paths) and read by the
 * check only while the thread is registered: it registered under the
 * detector lock after its last change, and the check takes the same lock, so
 * the lock's release/acquire orders the writes before the reads.
 *
 * Once deadlocked the session stays so: every registered thread gives up
 * with RL_EDEADLK at its next slice (a lock panics, as under the scheduler;
 * a WAIT returns it to its primitive, which panics), which ends the run
 * instead of hanging it. A join cannot give up: it waits for the threads
 * that do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <racelab/hooks.h>
#include <racelab/status.h>

#include "core/arch.h"
#include "probe_internal.h"
#include "results.h"

/* How long a registered sleeper sleeps before it looks again. */
#define SLICE_NS 20000000u /* 20 ms */

void rl__probe_held_push(struct pthr *t, const rl_probe_ev *ev)
{
	if (t->nheld == t->capheld) {
		unsigned ncap = t->capheld ? t->capheld * 2 : 4;
		struct rl__held *h = realloc(t->held, ncap * sizeof(*h));
		if (!h)
			RL_FATAL("out of memory tracking held locks");
		t->held = h;
		t->capheld = ncap;
	}
	t->held[t->nheld++] = (struct rl__held){ ev->addr, ev->kind, ev->name };
}

void rl__probe_held_drop(struct pthr *t, const void *addr)
{
	for (unsigned j = t->nheld; j-- > 0;)
		if (t->held[j].addr == addr) {
			memmove(&t->held[j], &t->held[j + 1], (t->nheld - j - 1) * sizeof(*t->held));
			t->nheld--;
			return;
		}
}

/* Spawned and not exited: a thread that has not started yet is about to run. */
static bool live(const struct pthr *t)
{
	return !t->exited;
}

static const struct pthr *holder(const void *addr)
{
	for (unsigned i = 0; i < rl__sess.nthr; i++) {
		const struct pthr *t = rl__sess.thr[i];
		for (unsigned j = 0; j < t->nheld; j++)
			if (t->held[j].addr == addr)
				return t;
	}
	return NULL;
}

static const struct pthr *joined(const void *handle)
{
	for (unsigned i = rl__sess.nthr; i-- > 0;)
		if (handle && rl__sess.thr[i]->handle == handle)
			return rl__sess.thr[i];
	return NULL;
}

/* Whether registered @t can never proceed, all live threads being registered. */
static bool stuck(const struct pthr *t)
{
	const rl_probe_ev *w = &t->blk_ev;
	switch (w->op) {
	case RL_PROBE_LOCK: {
		return holder(w->addr) != NULL;
	}
	case RL_PROBE_JOIN: {
		const struct pthr *c = joined(w->addr);
		return c && !c->exited;
	}
	case RL_PROBE_WAIT:
		/* Relaxed: the word's writers hold no lock we share; a stale
		 * value can only say "changed" later, never wrongly "stuck",
		 * because nobody runs to change it. */
		return atomic_load_explicit((const _Atomic uint32_t *)w->addr, memory_order_relaxed) ==
		       (uint32_t)w->rval;
	default:
		return false;
	}
}

/* The blocked threads describe() found; report() reads them after the lock
 * (only the one call that found the deadlock writes them). */
static struct rl__deadlock_sides found;

static char *describe(void)
{
	memset(&found, 0, sizeof(found));
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		RL_FATAL("out of memory reporting a deadlock");
	fprintf(f, "deadlock: every probed thread is blocked (no scheduler: threads ran freely, event %llu)\n",
		(unsigned long long)rl__probe_events_now());
	for (unsigned i = 0; i < rl__sess.nthr; i++) {
		const struct pthr *t = rl__sess.thr[i];
		if (!live(t))
			continue;
		fprintf(f, "  thread '%s' (T%u)", t->name, t->tid);
		for (unsigned j = 0; j < t->nheld; j++)
			fprintf(f, "%s %s #%u (%s)", j ? "," : " holds", t->held[j].kind ? t->held[j].kind : "Mutex",
				rl__obj_id(t->held[j].addr), t->held[j].name ? t->held[j].name : "lock");
		if (t->nheld)
			fputc(';', f);
		const rl_probe_ev *w = &t->blk_ev;
		switch (w->op) {
		case RL_PROBE_LOCK: {
			const struct pthr *o = holder(w->addr);
			fprintf(f, " waits to lock %s #%u (%s)", w->kind ? w->kind : "Mutex", rl__obj_id(w->addr),
				w->name ? w->name : "lock");
			if (o == t)
				fprintf(f, ", which it holds itself\n");
			else if (o)
				fprintf(f, ", held by thread '%s' (T%u)%s\n", o->name, o->tid,
					o->exited ? ", which exited holding it" : "");
			else
				fputc('\n', f);
			break;
		}
		case RL_PROBE_JOIN: {
			const struct pthr *c = joined(w->addr);
			fprintf(f, " waits to join thread '%s' (T%u)\n", c ? c->name : "?", c ? c->tid : 0);
			break;
		}
		case RL_PROBE_WAIT:
			fprintf(f, " waits on %s #%u in %s, and no thread can wake it\n", w->kind ? w->kind : "object",
				rl__obj_id(w->addr), w->name ? w->name : "a wait");
			break;
		default:
			fprintf(f, " waits\n");
			break;
		}
	}
	if (fclose(f) != 0 || !text)
		RL_FATAL("out of memory reporting a deadlock");
	/* The report's two sides: threads blocked on a lock or a wait first, a join after. */
	for (int join = 0; join < 2; join++)
		for (unsigned i = 0; i < rl__sess.nthr; i++) {
			const struct pthr *t = rl__sess.thr[i];
			if (live(t) && (t->blk_ev.op == RL_PROBE_JOIN) == join)
				rl__deadlock_side(&found, t->name, t->tid, &t->blk_ev, join ? 0 : rl__obj_id(t->blk_ev.addr));
		}
	return text;
}

/* The deadlock check (see the top). Lock held. Return: the report's text
 * (malloc'd) when this call found the deadlock, else NULL. */
static char *check(void)
{
	if (rl__sess.deadlocked || rl__sess.sched)
		return NULL;
	unsigned n = 0;
	for (unsigned i = 0; i < rl__sess.nthr; i++) {
		const struct pthr *t = rl__sess.thr[i];
		if (!live(t))
			continue;
		if (!t->blk || t->foreign)
			return NULL;
		n++;
	}
	if (!n)
		return NULL;
	for (unsigned i = 0; i < rl__sess.nthr; i++)
		if (live(rl__sess.thr[i]) && !stuck(rl__sess.thr[i]))
			return NULL;
	rl__sess.deadlocked = true;
	return describe();
}

/* Report what check() found. Lock not held (the report takes it). */
static void report(char *text)
{
	if (text)
		rl__report_deadlock(text, &found);
}

static void enlist(struct pthr *t, const rl_probe_ev *ev)
{
	t->blk_ev = *ev;
	t->blk = true;
}

static void delist(struct pthr *t)
{
	t->blk = false;
}

void rl__probe_det_exit(void)
{
	lock();
	char *text = check();
	unlock();
	report(text);
}

void rl__probe_det_block(struct pthr *t, const rl_probe_ev *ev)
{
	lock();
	enlist(t, ev);
	char *text = check();
	unlock();
	report(text);
}

void rl__probe_det_unblock_locked(struct pthr *t)
{
	delist(t);
}

int rl__probe_blocked(const rl_probe_ev *ev)
{
	if (!atomic_load_explicit(&rl__sess.attached, memory_order_acquire) || rl__sess.sched)
		return RL_EAGAIN;
	struct pthr *t = rl__ptls.t;
	uint64_t s = atomic_load_explicit(&rl__probe_session, memory_order_relaxed);
	if (rl__ptls.session != s || !t)
		return RL_EAGAIN;
	lock();
	if (!t->blk)
		enlist(t, ev);
	char *text = check();
	bool dead = rl__sess.deadlocked;
	if (dead)
		delist(t);
	unlock();
	report(text);
	return dead ? RL_EDEADLK : RL_OK;
}

void rl__probe_unblocked(void)
{
	struct pthr *t = rl__ptls.t;
	uint64_t s = atomic_load_explicit(&rl__probe_session, memory_order_relaxed);
	if (rl__ptls.session != s || !t || !t->blk)
		return;
	lock();
	delist(t);
	unlock();
}

int rl__probe_det_wait(struct pthr *t, rl_probe_ev *ev)
{
	_Atomic uint32_t *w = (_Atomic uint32_t *)(uintptr_t)ev->addr;
	uint32_t expected = (uint32_t)ev->rval;
	rl__probe_det_block(t, ev);
	int rc = RL_OK;
	for (;;) {
		/* Relaxed: the primitive re-reads its state with its own orders. */
		if (atomic_load_explicit(w, memory_order_relaxed) != expected)
			break;
		struct timespec ts = rl__deadline_in(SLICE_NS);
		rl__futex_wait_until(w, expected, &ts);
		if (atomic_load_explicit(w, memory_order_relaxed) != expected)
			break;
		lock();
		char *text = check();
		bool dead = rl__sess.deadlocked;
		unlock();
		report(text);
		if (dead) {
			rc = RL_EDEADLK;
			break;
		}
	}
	lock();
	delist(t);
	unlock();
	return rc;
}
