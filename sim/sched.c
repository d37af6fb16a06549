/* sched.c — racelab's deterministic scheduler.
 *
 * Owns: the baton that lets exactly one probed thread run at a time, the
 * strategy that picks the next one at every scheduling point, the model of
 * operations that block, and deadlock detection. Invariant: only the baton
 * holder reads or writes the scheduler's state (s->... and every thread's
 * fields but `go`); the hand-off is a release store to the next thread's `go`
 * word and the taker's acquire load of it, so the state travels with the
 * baton. Once released (deadlock, step limit) the scheduler state is frozen and
 * threads run freely.
 *
 * Under rl_model() where fibers are built (core/fiber.h), every thread of the
 * session is a context of one OS thread: the hand-off is a context switch
 * (the `go` words are unused, nothing runs in parallel to order against),
 * and "running freely" once released means taking turns whenever a thread
 * blocks (a futex wait or a join yields) or ends.
 *
 * Determinism: between two scheduling points a thread runs alone, so the
 * sequence of points, the set of enabled threads at each, and the PRNG draws
 * are a function of the seed (for a workload whose only nondeterminism is the
 * interleaving of probed operations). Threads are numbered in spawn order, not
 * by OS ids, and nothing depends on time.
 *
 * Strategies
 *   random: at each point, a uniformly random enabled thread (xoshiro256**
 *     seeded through splitmix64).
 *   PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010): every thread
 *     gets a random priority when it is spawned; d - 1 change points are drawn
 *     uniformly in [1, k]; the highest-priority enabled thread always runs; at
 *     the i-th change point the running thread drops to priority i, below every
 *     initial priority. A depth-d bug is found with probability at least
 *     1/(n * k^(d-1)) per run. A yield (spin-loop hint) drops the thread below
 *     everything, so spinning cannot starve the thread it waits for.
 *
 * Blocking: a lock whose mutex is held, a join of a thread that has not
 * exited, and a grace period while a reader is inside a read-side critical
 * section are not enabled; the scheduler never picks them, so the primitive's
 * real blocking call never blocks. When nothing is enabled and some thread has
 * not exited, that is a deadlock: it is reported with each thread's held and
 * awaited locks and every thread is released.
 *
 * Waits (RL_PROBE_WAIT: Condvar, Barrier, Once, RwLock, the channels) are a
 * futex modelled in two steps. The wait's own step, taken when the thread is
 * picked at its scheduling point, reads the word: if it is no longer the
 * value the thread expects, the wait returns at once, as FUTEX_WAIT does;
 * else (unless the strategy takes a spurious wakeup there, Condvar only) the
 * thread falls asleep on the word and is not enabled until a NOTIFY of the
 * word wakes it (notify-one: the strategy's choice among the sleepers, in
 * spawn order), and its second step returns. A timed wait that sleeps times
 * out only when no thread can run: time passes when nothing else happens.
 */
#include "core/arch.h"
#include "core/fiber.h"
#include "dlock.h"
#include "results.h"
#include "scheduler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <racelab/hooks.h>
#include <racelab/status.h>


/* Polls of the baton word before sleeping on the futex. */
#define SPIN 200

struct rl__sched {
	rl_probe_schedule kind;
	uint64_t rng[4];
	uint64_t seed;
	struct rl__sched_thr **thr; /* in spawn order; thr[i]->tid need not be i */
	unsigned n, cap;
	struct rl__sched_thr **en;  /* scratch: enabled threads */
	struct rl__sched_thr *cur;  /* baton holder */
	uint64_t steps, switches, max_steps;
	uint64_t *cps;              /* PCT change points, ascending */
	unsigned ncps, next_cp;
	int64_t yield_prio;
	_Atomic bool released;
	bool deadlock, step_limit;
};

/* ---- PRNG: xoshiro256** (Blackman & Vigna), seeded with splitmix64 ---- */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(struct rl__sched *s)
{
	uint64_t *r = s->rng;
	uint64_t out = rotl(r[1] * 5, 7) * 9, t = r[1] << 17;
	r[2] ^= r[0];
	r[3] ^= r[1];
	r[1] ^= r[2];
	r[0] ^= r[3];
	r[2] ^= t;
	r[3] = rotl(r[3], 45);
	return out;
}

/* Uniform-enough in [0, n): Lemire's multiply-shift (bias < n / 2^64). */
static uint64_t rng_below(struct rl__sched *s, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rng_next(s) * n) >> 64);
}

/* ---- baton ---- */

/* The fiber running the thread spawned as @handle (NULL: T0, the root). */
static struct rl__fiber *fiber_of(const void *handle)
{
	return handle ? rl__thread_fiber(handle) : NULL;
}

/* Hand the baton to @t. Release: pairs with the acquire in take(), so
 * everything the giver did, scheduler state included, is visible to @t.
 * Fibers (only release_all() gives without taking): @t is queued to run
 * once the giver blocks or ends. */
static void give(struct rl__sched_thr *t)
{
	if (rl__fiber_here) {
		rl__fiber_ready(fiber_of(t->handle));
		return;
	}
	if (atomic_exchange_explicit(&t->go, 1, memory_order_release) == 2)
		rl__futex_wake_one(&t->go);
}

/* Wait for the baton. Acquire: pairs with the release in give(). */
static void take(struct rl__sched_thr *t)
{
	for (int i = 0; i < SPIN; i++) {
		if (atomic_load_explicit(&t->go, memory_order_acquire) == 1)
			goto got;
		rl_cpu_relax();
	}
	uint32_t v = 0;
	if (atomic_compare_exchange_strong_explicit(&t->go, &v, 2, memory_order_acquire, memory_order_acquire))
		v = 2;
	while (v != 1) {
		rl__futex_wait(&t->go, 2);
		v = atomic_load_explicit(&t->go, memory_order_acquire);
	}
got:
	/* Only the holder resets its own word; nobody gives it the baton again
	 * before it has handed it on. */
	atomic_store_explicit(&t->go, 0, memory_order_relaxed);
}

/* @cur hands the baton to @next and waits until it comes back. */
static void hand_over(struct rl__sched_thr *cur, struct rl__sched_thr *next)
{
	if (rl__fiber_here) {
		rl__fiber_switch(fiber_of(next->handle));
		return;
	}
	give(next);
	take(cur);
}

/* ---- the model ---- */

static bool released(struct rl__sched *s)
{
	/* Acquire: pairs with the release store in release_all(), which makes
	 * s->deadlock and s->step_limit visible. */
	return atomic_load_explicit(&s->released, memory_order_acquire);
}

static const struct rl__sched_thr *owner_of(const struct rl__sched *s, const void *mutex)
{
	for (unsigned i = 0; i < s->n; i++)
		for (unsigned j = 0; j < s->thr[i]->nheld; j++)
			if (s->thr[i]->held[j].addr == mutex)
				return s->thr[i];
	return NULL;
}

/* The most recent thread spawned with @handle (handles are reused after join). */
static const struct rl__sched_thr *by_handle(const struct rl__sched *s, const void *handle)
{
	for (unsigned i = s->n; i-- > 0;)
		if (s->thr[i]->handle == handle && handle)
			return s->thr[i];
	return NULL;
}

/* @t could not proceed with @ev: its BLOCKED trace record. */
static void note_blocked(const struct rl__sched *s, const struct rl__sched_thr *t, const rl_probe_ev *ev)
{
	if (!rl__trace_on())
		return;
	rl__dlock_lock(&rl__sim_lock);
	uint32_t obj;
	if (ev->op == RL_PROBE_JOIN) {
		const struct rl__sched_thr *c = by_handle(s, ev->addr);
		obj = c ? c->tid : 0;
	} else {
		obj = rl__obj_id(ev->addr);
	}
	rl__trace_add(t->tid, ev, RL_PROBE_BLOCKED, obj, s->steps);
	rl__dlock_unlock(&rl__sim_lock);
}

static const struct rl__sched_thr *rcu_reader(const struct rl__sched *s)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->thr[i]->state != RL__SCHED_DONE && s->thr[i]->rcu_nest)
			return s->thr[i];
	return NULL;
}

static bool can_proceed(const struct rl__sched *s, const rl_probe_ev *ev)
{
	switch (ev->op) {
	case RL_PROBE_LOCK:
		return owner_of(s, ev->addr) == NULL;
	case RL_PROBE_JOIN: {
		const struct rl__sched_thr *c = by_handle(s, ev->addr);
		return !c || c->state == RL__SCHED_DONE;
	}
	case RL_PROBE_RCU_SYNC:
		return rcu_reader(s) == NULL;
	default:
		return true;
	}
}

static bool enabled(const struct rl__sched *s, const struct rl__sched_thr *t)
{
	if (t->state == RL__SCHED_DONE)
		return false;
	if (t->blocked && t->wait.op == RL_PROBE_WAIT)
		return t->woken;
	return !t->blocked || can_proceed(s, &t->wait);
}

struct rl__sched_driver *rl__sched_driver;

static struct rl__sched_thr *choose(struct rl__sched *s)
{
	unsigned n = 0;
	for (unsigned i = 0; i < s->n; i++)
		if (enabled(s, s->thr[i]))
			s->en[n++] = s->thr[i];
	if (!n)
		return NULL;
	if (rl__sched_driver) {
		struct rl__sched_thr *t = rl__sched_driver->choose(rl__sched_driver->ctx, s->cur, s->en, n);
		if (t)
			return t;
	}
	if (s->kind == RL_SCHEDULE_RANDOM)
		return n == 1 ? s->en[0] : s->en[rng_below(s, n)];
	struct rl__sched_thr *best = s->en[0];
	for (unsigned i = 1; i < n; i++)
		if (s->en[i]->prio > best->prio)
			best = s->en[i];
	return best;
}

/* Stop serialising: every thread but @cur gets the baton and runs freely. */
static void release_all(struct rl__sched *s, struct rl__sched_thr *cur)
{
	/* Release: pairs with the acquire in released(). */
	atomic_store_explicit(&s->released, true, memory_order_release);
	for (unsigned i = 0; i < s->n; i++)
		if (s->thr[i] != cur && s->thr[i]->state != RL__SCHED_DONE)
			give(s->thr[i]);
}

static const char *strategy_name(rl_probe_schedule k)
{
	if (rl__sched_driver && rl__sched_driver->name)
		return rl__sched_driver->name;
	return k == RL_SCHEDULE_PCT ? "pct" : "random";
}

static void deadlock(struct rl__sched *s, struct rl__sched_thr *cur)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		RL_FATAL("out of memory reporting a deadlock");
	fprintf(f, "deadlock: no thread can run (schedule %s, seed %llu, step %llu)\n", strategy_name(s->kind),
		(unsigned long long)s->seed, (unsigned long long)s->steps);
	for (unsigned i = 0; i < s->n; i++) {
		const struct rl__sched_thr *t = s->thr[i];
		if (t->state == RL__SCHED_DONE)
			continue;
		fprintf(f, "  thread '%s' (T%u)", t->name, t->tid);
		for (unsigned j = 0; j < t->nheld; j++)
			fprintf(f, "%s %s #%u (%s)", j ? "," : " holds", t->held[j].kind ? t->held[j].kind : "Mutex",
				rl__obj_number(t->held[j].addr), t->held[j].name ? t->held[j].name : "lock");
		if (t->nheld)
			fputc(';', f);
		const rl_probe_ev *w = &t->wait;
		if (!t->blocked) {
			fprintf(f, " is runnable\n");
			continue;
		}
		switch (w->op) {
		case RL_PROBE_LOCK: {
			const struct rl__sched_thr *o = owner_of(s, w->addr);
			fprintf(f, " waits to lock %s #%u (%s)", w->kind ? w->kind : "Mutex",
				rl__obj_number(w->addr), w->name ? w->name : "lock");
			if (o == t)
				fprintf(f, ", which it holds itself\n");
			else if (o)
				fprintf(f, ", held by thread '%s' (T%u)%s\n", o->name, o->tid,
					o->state == RL__SCHED_DONE ? ", which exited holding it" : "");
			else
				fputc('\n', f);
			break;
		}
		case RL_PROBE_JOIN: {
			const struct rl__sched_thr *c = by_handle(s, w->addr);
			if (c)
				fprintf(f, " waits to join thread '%s' (T%u)\n", c->name, c->tid);
			else
				fprintf(f, " waits to join a thread\n");
			break;
		}
		case RL_PROBE_RCU_SYNC: {
			const struct rl__sched_thr *r = rcu_reader(s);
			fprintf(f, " waits for an RCU grace period (%s) while thread '%s' (T%u) is in a read-side "
				   "critical section%s\n",
				w->name ? w->name : "synchronize_rcu", r ? r->name : "?", r ? r->tid : 0,
				r == t ? ": its own" : "");
			break;
		}
		case RL_PROBE_WAIT:
			fprintf(f, " waits on %s #%u in %s, and no thread can wake it\n", w->kind ? w->kind : "object",
				rl__obj_number(w->addr), w->name ? w->name : "a wait");
			break;
		default:
			fprintf(f, " waits\n");
			break;
		}
	}
	if (fclose(f) != 0 || !text)
		RL_FATAL("out of memory reporting a deadlock");
	/* A thread that became blocked after its scheduling point (the lock
	 * it waits for was free then) gets its BLOCKED record now, so the
	 * trace shows every operation of the deadlock. */
	for (unsigned i = 0; i < s->n; i++) {
		struct rl__sched_thr *t = s->thr[i];
		if (t->state != RL__SCHED_DONE && t->blocked && !t->noted) {
			t->noted = true;
			note_blocked(s, t, &t->wait);
		}
	}
	/* The report's two sides: threads blocked on a lock or a wait first,
	 * a join (waiting for them) after. */
	struct rl__deadlock_sides sides = {0};
	for (int join = 0; join < 2; join++)
		for (unsigned i = 0; i < s->n; i++) {
			const struct rl__sched_thr *t = s->thr[i];
			if (t->state != RL__SCHED_DONE && t->blocked && (t->wait.op == RL_PROBE_JOIN) == join)
				rl__deadlock_side(&sides, t->name, t->tid, &t->wait,
						  join ? 0 : rl__obj_number(t->wait.addr));
		}
	s->deadlock = true;
	rl__report_deadlock(text, &sides);
	release_all(s, cur);
}

/* ---- API ---- */

static int grow_threads(struct rl__sched *s)
{
	if (s->n < s->cap)
		return RL_OK;
	unsigned ncap = s->cap ? s->cap * 2 : 8;
	struct rl__sched_thr **t = realloc(s->thr, ncap * sizeof(*t));
	if (!t)
		return RL_ENOMEM;
	s->thr = t;
	struct rl__sched_thr **e = realloc(s->en, ncap * sizeof(*e));
	if (!e)
		return RL_ENOMEM;
	s->en = e;
	s->cap = ncap;
	return RL_OK;
}

static int64_t initial_prio(struct rl__sched *s)
{
	/* Above every change-point priority (1 .. d-1) and every yield (< 0). */
	return ((int64_t)1 << 40) + (int64_t)(rng_next(s) >> 33);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

struct rl__sched *rl__sched_new(const rl_probe_config *cfg, struct rl__sched_thr *t0)
{
	struct rl__sched *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->kind = cfg->schedule;
	s->seed = cfg->seed;
	uint64_t x = cfg->seed;
	for (int i = 0; i < 4; i++)
		s->rng[i] = splitmix64(&x);
	s->max_steps = cfg->max_steps;
	if (s->kind == RL_SCHEDULE_PCT) {
		unsigned d = cfg->pct_depth ? cfg->pct_depth : 3;
		uint64_t k = cfg->pct_steps ? cfg->pct_steps : 1000;
		s->ncps = d - 1;
		if (s->ncps) {
			s->cps = malloc(s->ncps * sizeof(*s->cps));
			if (!s->cps) {
				free(s);
				return NULL;
			}
			for (unsigned i = 0; i < s->ncps; i++)
				s->cps[i] = 1 + rng_below(s, k);
			qsort(s->cps, s->ncps, sizeof(*s->cps), cmp_u64);
		}
	}
	if (grow_threads(s) != RL_OK) {
		rl__sched_free(s);
		return NULL;
	}
	atomic_store_explicit(&t0->go, 0, memory_order_relaxed);
	t0->state = RL__SCHED_RUNNING;
	t0->prio = initial_prio(s);
	s->thr[s->n++] = t0;
	s->cur = t0;
	return s;
}

void rl__sched_free(struct rl__sched *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->n; i++) {
		free(s->thr[i]->held);
		s->thr[i]->held = NULL;
		s->thr[i]->nheld = s->thr[i]->capheld = 0;
	}
	free(s->thr);
	free(s->en);
	free(s->cps);
	free(s);
}

int rl__sched_add(struct rl__sched *s, struct rl__sched_thr *t)
{
	if (released(s)) {
		/* Nobody serialises any more: let it start at once. */
		atomic_store_explicit(&t->go, 1, memory_order_relaxed);
		t->state = RL__SCHED_RUNNING;
		if (rl__fiber_here)
			rl__fiber_ready(fiber_of(t->handle));
		return RL_OK;
	}
	int rc = grow_threads(s);
	if (rc != RL_OK)
		return rc;
	atomic_store_explicit(&t->go, 0, memory_order_relaxed);
	t->state = RL__SCHED_PENDING;
	t->prio = initial_prio(s);
	s->thr[s->n++] = t;
	return RL_OK;
}

void rl__sched_cancel(struct rl__sched *s, struct rl__sched_thr *t)
{
	if (!released(s))
		t->state = RL__SCHED_DONE;
}

static bool is_blocking(unsigned op)
{
	return op == RL_PROBE_LOCK || op == RL_PROBE_JOIN || op == RL_PROBE_RCU_SYNC;
}

/* Nothing is enabled: wake the sleepers of timed waits, which time out now. */
static bool time_out(struct rl__sched *s)
{
	bool any = false;
	for (unsigned i = 0; i < s->n; i++) {
		struct rl__sched_thr *t = s->thr[i];
		if (t->state != RL__SCHED_DONE && t->blocked && t->wait.op == RL_PROBE_WAIT && !t->woken &&
		    (t->wait.flags & RL_PROBE_F_TIMED))
			any = t->woken = t->timed_out = true;
	}
	return any;
}

/* Hand the baton on until @cur is picked again (at once if it is the choice).
 * Return: RL_OK, or RL_EDEADLK when @cur was blocked and no thread can run. */
static int pick(struct rl__sched *s, struct rl__sched_thr *cur)
{
	struct rl__sched_thr *next = choose(s);
	if (!next && time_out(s))
		next = choose(s);
	if (!next) {
		deadlock(s, cur);
		bool was = cur->blocked;
		cur->blocked = false;
		return was ? RL_EDEADLK : RL_OK;
	}
	if (next != cur) {
		s->cur = next;
		s->switches++;
		hand_over(cur, next);
		if (released(s)) {
			bool was = cur->blocked;
			cur->blocked = false;
			return was && s->deadlock ? RL_EDEADLK : RL_OK;
		}
	}
	cur->blocked = false;
	return RL_OK;
}

/* The step of a WAIT, @cur picked: return at once, or sleep until woken. */
static int wait_step(struct rl__sched *s, struct rl__sched_thr *cur, const rl_probe_ev *ev)
{
	/* Relaxed: the baton's acquire (take()) ordered every store before it. */
	if (atomic_load_explicit((const _Atomic uint32_t *)ev->addr, memory_order_relaxed) != (uint32_t)ev->rval)
		return RL_OK;
	if ((ev->flags & RL_PROBE_F_SPURIOUS) && cur->spurious < RL__SCHED_SPURIOUS && rl__sched_driver &&
	    rl__sched_driver->value && rl__sched_driver->value(rl__sched_driver->ctx, 2) == 1) {
		cur->spurious++;
		return RL_OK;
	}
	cur->wait = *ev;
	cur->blocked = true;
	cur->woken = cur->timed_out = false;
	cur->noted = true;
	note_blocked(s, cur, ev);
	int rc = pick(s, cur);
	bool timed_out = cur->timed_out;
	cur->woken = cur->timed_out = false;
	if (rc == RL_OK && timed_out)
		return RL_ETIMEDOUT;
	return rc;
}

int rl__sched_point(struct rl__sched *s, struct rl__sched_thr *cur, const rl_probe_ev *ev)
{
	if (released(s))
		return RL_OK;
	if (s->cur != cur)
		RL_FATAL("scheduling point on thread '%s', which does not hold the baton", cur->name);
	s->steps++;
	if (s->max_steps && s->steps > s->max_steps) {
		s->step_limit = true;
		release_all(s, cur);
		return RL_OK;
	}
	while (s->next_cp < s->ncps && s->cps[s->next_cp] <= s->steps)
		cur->prio = ++s->next_cp; /* the i-th change point: priority i */
	if (ev->op == RL_PROBE_YIELD && s->kind == RL_SCHEDULE_PCT)
		cur->prio = --s->yield_prio;
	cur->wait = *ev; /* every thread's next operation, for the model's strategy */
	if (is_blocking(ev->op)) {
		/* Enabled only while the operation can complete, re-checked at every
		 * choice: a free mutex can be taken by another thread before we are
		 * picked. */
		cur->blocked = true;
		cur->noted = !can_proceed(s, ev);
		if (cur->noted)
			note_blocked(s, cur, ev);
	}

	int rc = pick(s, cur);
	if (rc == RL_OK && ev->op == RL_PROBE_WAIT && !released(s))
		rc = wait_step(s, cur, ev);
	return rc;
}

void rl__sched_start(struct rl__sched *s, struct rl__sched_thr *t)
{
	if (released(s))
		return;
	if (!rl__fiber_here) /* a fiber runs only once switched to: it was picked */
		take(t);
	if (!released(s))
		t->state = RL__SCHED_RUNNING;
}

static void held_push(struct rl__sched_thr *t, const rl_probe_ev *ev)
{
	if (t->nheld == t->capheld) {
		unsigned ncap = t->capheld ? t->capheld * 2 : 4;
		struct rl__held *h = realloc(t->held, ncap * sizeof(*h));
		if (!h)
			RL_FATAL("out of memory in the scheduler");
		t->held = h;
		t->capheld = ncap;
	}
	t->held[t->nheld++] = (struct rl__held){ ev->addr, ev->kind, ev->name };
}

static void held_drop(struct rl__sched_thr *t, const void *addr)
{
	for (unsigned j = t->nheld; j-- > 0;) {
		if (t->held[j].addr == addr) {
			memmove(&t->held[j], &t->held[j + 1], (t->nheld - j - 1) * sizeof(*t->held));
			t->nheld--;
			return;
		}
	}
}

/* NOTIFY of @ev->addr: wake its sleepers (all, or the strategy's pick of one). */
static unsigned notify(struct rl__sched *s, const rl_probe_ev *ev)
{
	unsigned n = 0;
	for (unsigned i = 0; i < s->n; i++) {
		const struct rl__sched_thr *t = s->thr[i];
		if (t->state != RL__SCHED_DONE && t->blocked && t->wait.op == RL_PROBE_WAIT && !t->woken &&
		    t->wait.addr == ev->addr)
			s->en[n++] = s->thr[i];
	}
	if (!n)
		return 0;
	if (ev->flags & RL_PROBE_F_ALL) {
		for (unsigned i = 0; i < n; i++)
			s->en[i]->woken = true;
		return n;
	}
	unsigned k = 0;
	if (n > 1)
		k = rl__sched_driver && rl__sched_driver->value ? rl__sched_driver->value(rl__sched_driver->ctx, n)
								 : (unsigned)rng_below(s, n);
	s->en[k < n ? k : 0]->woken = true;
	return 1;
}

void rl__sched_after(struct rl__sched *s, struct rl__sched_thr *cur, rl_probe_ev *ev)
{
	if (released(s))
		return;
	switch (ev->op) {
	case RL_PROBE_NOTIFY:
		ev->rval = notify(s, ev);
		break;
	case RL_PROBE_LOCK:
		held_push(cur, ev);
		break;
	case RL_PROBE_TRYLOCK:
		if (!(ev->flags & RL_PROBE_F_FAILED))
			held_push(cur, ev);
		break;
	case RL_PROBE_UNLOCK:
		held_drop(cur, ev->addr);
		break;
	case RL_PROBE_RCU_READ_LOCK:
		cur->rcu_nest++;
		break;
	case RL_PROBE_RCU_READ_UNLOCK:
		if (cur->rcu_nest)
			cur->rcu_nest--;
		break;
	default:
		break;
	}
}

void rl__sched_exit(struct rl__sched *s, struct rl__sched_thr *cur)
{
	if (released(s))
		return;
	cur->state = RL__SCHED_DONE;
	struct rl__sched_thr *next = choose(s);
	if (!next) {
		for (unsigned i = 0; i < s->n; i++)
			if (s->thr[i]->state != RL__SCHED_DONE) {
				deadlock(s, cur);
				return;
			}
		return;
	}
	s->cur = next;
	s->switches++;
	if (rl__fiber_here)
		rl__fiber_handoff(fiber_of(next->handle)); /* it runs when this fiber ends */
	else
		give(next);
}

bool rl__sched_released(struct rl__sched *s) { return released(s); }
uint64_t rl__sched_steps(const struct rl__sched *s) { return s->steps; }
uint64_t rl__sched_switches(const struct rl__sched *s) { return s->switches; }
bool rl__sched_deadlocked(const struct rl__sched *s) { return s->deadlock; }
bool rl__sched_step_limited(const struct rl__sched *s) { return s->step_limit; }
