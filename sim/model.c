/* model.c — rl_model(): racelab's stateless model checker.
 *
 * Owns: the exploration (one probe session per schedule, the body re-run
 * from scratch each time), the model's strategy plugged into the baton
 * scheduler (sim/sched.c's rl__sched_driver), the failures of a schedule, the
 * replay tokens and the report. The DFS tree is dpor.c's.
 *
 * A schedule: the calling thread attaches a session (detector, trace, the
 * scheduler) and becomes T0; it spawns the body as the model's main thread
 * ("main", 8 MiB) and joins it, then joins every thread the body left
 * unjoined, checks for leaks and detaches. Every choice of the scheduler goes
 * through choose() below: the DFS asks dpor.c, a replay follows its token,
 * RANDOM and PCT leave it to the session's own strategy (seed = the token).
 *
 * After the first failure the schedule runs to its end with default choices
 * (the failure is kept, later ones are ignored). A schedule that cannot end
 * (the step limit, or a failure followed by max_steps more points) is
 * killed: each model thread unwinds, as rl_panic() does, at its next
 * modelled operation (model_ops.c); the memory such a thread owned is not
 * freed.
 *
 * State: `M` is written by the baton holder (choose(), the slow paths) or
 * under the detector lock (observe(), the sink); the baton's release/acquire
 * hand-off orders them. fail() takes M.lock: after a deadlock the scheduler
 * lets every thread run in parallel.
 */
#include <racelab/model.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <racelab/parse.h>
#include <racelab/probe.h>
#include <racelab/status.h>
#include <racelab/thread.h>
#include <racelab/timeline.h>

#include "core/fiber.h"
#include "dpor.h"
#include "model_internal.h"
#include "results.h"
#include "scheduler.h"
#include "weak.h"

#define FATAL(...) RL_FATAL(__VA_ARGS__)

_Atomic bool rl__model_kill;

struct mthr {
	struct rl__sched_thr *st; /* the scheduler's record (valid until detach) */
	const void *handle;       /* its rl_thread */
	bool joined, yielded;
};

struct range {
	uintptr_t lo, hi;
	const char *what;
	const void *pc;
	unsigned tid;
};

struct ranges {
	struct range *r;
	size_t n, cap;
};

#define dev rl__model_dev

static struct {
	_Atomic bool busy;
	_Atomic bool running;
	pthread_mutex_t lock;
	rl_model_config cfg;
	uint64_t max_steps, pct_k, seed;
	struct rl__dpor *dpor;
	struct rl__sched_driver driver;
	/* this schedule */
	struct mthr thr[RL__DPOR_MAXT];
	unsigned nthr;
	uint64_t steps, k, fail_steps, kill_steps, rng;
	bool failed, too_many;
	bool hist_cut, sc_mixed;  /* the whole exploration (weak.c) */
	uint64_t stale_reads;
	uint64_t exec_this;       /* this schedule's execution (weak.c's hash) */
	uint64_t *execs;          /* the distinct ones: open addressing, 0 = empty */
	size_t nexec, capexec;
	struct ranges live, freed;
	struct dev *devs;
	size_t ndev, capdev;
	/* the replay being followed */
	bool replaying;
	struct dev *rdev;
	size_t nrdev, ri;
	/* the failure */
	rl_model_failure failure;
	char message[RL_MODEL_MESSAGE_MAX];
	char *report;             /* the detector's report text, malloc'd */
	rl_probe_report fail_rep; /* the failure's detector report (kind 0: none); its strings
	                           * are the session's, alive until the next attach or reset */
} M = { .lock = PTHREAD_MUTEX_INITIALIZER };

bool rl__model_running(void) { return atomic_load_explicit(&M.running, memory_order_relaxed); }
bool rl_model_active(void) { return rl__model_running(); }

const char *rl_model_failure_name(rl_model_failure f)
{
	static const char *const names[] = {
		[RL_MODEL_PASSED] = "passed",   [RL_MODEL_RACE] = "data race",
		[RL_MODEL_DEADLOCK] = "deadlock", [RL_MODEL_ASSERT] = "assertion",
		[RL_MODEL_PANIC] = "panic",     [RL_MODEL_USE_AFTER_FREE] = "use after free",
		[RL_MODEL_LEAK] = "leak",       [RL_MODEL_STEP_LIMIT] = "step limit",
	};
	return (unsigned)f <= RL_MODEL_STEP_LIMIT ? names[f] : "?";
}

/* ---- failures ---- */

static void vfail(rl_model_failure kind, const rl_probe_report *rep, const char *fmt, va_list ap)
{
	if (M.cfg.tolerate & (1u << kind))
		return;
	pthread_mutex_lock(&M.lock);
	if (!M.failed) {
		M.failed = true;
		M.failure = kind;
		M.fail_steps = M.steps;
		vsnprintf(M.message, sizeof(M.message), fmt, ap);
		if (rep) {
			M.report = strdup(rep->text);
			M.fail_rep = *rep;
		}
	}
	pthread_mutex_unlock(&M.lock);
}

void rl__model_fail(rl_model_failure kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(kind, NULL, fmt, ap);
	va_end(ap);
}

static void fail_report(rl_model_failure kind, const rl_probe_report *rep, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail_report(rl_model_failure kind, const rl_probe_report *rep, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(kind, rep, fmt, ap);
	va_end(ap);
}

void rl__model_die(void)
{
	if (rl__thread_can_unwind())
		rl__thread_unwind("schedule ended by the model checker");
}

static void mark_joined(const void *handle)
{
	for (unsigned i = M.nthr; i-- > 0;)
		if (M.thr[i].handle == handle && !M.thr[i].joined) {
			M.thr[i].joined = true;
			return;
		}
}

/* The detector's reports (detector lock held: no probe calls). */
static void sink(const rl_probe_report *r, void *ctx)
{
	(void)ctx;
	if (r->kind == RL_REPORT_RACE) {
		bool uaf = (r->cur.op && strcmp(r->cur.op, "rl_track_free") == 0) ||
			   (r->prev.op && strcmp(r->prev.op, "rl_track_free") == 0);
		fail_report(uaf ? RL_MODEL_USE_AFTER_FREE : RL_MODEL_RACE, r,
			    "%s on %s #%u: %s by thread '%s' in %s at %s, %s by thread '%s' in %s at %s, unordered",
			    uaf ? "use after free (racing with the free)" : "data race", r->obj_kind, r->obj_id,
			    r->cur.write ? "write" : "read", r->cur.thread, r->cur.op ? r->cur.op : "?",
			    r->cur.site_text, r->prev.write ? "write" : "read", r->prev.thread,
			    r->prev.op ? r->prev.op : "?", r->prev.known ? r->prev.site_text : "?");
	} else {
		/* One line: the report's lines joined. */
		char line[RL_MODEL_MESSAGE_MAX];
		size_t n = 0;
		for (const char *p = r->text; *p && n + 1 < sizeof(line); p++) {
			if (*p == '\n') {
				if (p[1] && n + 2 < sizeof(line)) {
					line[n++] = ';';
					line[n++] = ' ';
				}
				while (p[1] == ' ')
					p++;
			} else {
				line[n++] = *p;
			}
		}
		line[n] = 0;
		fail_report(RL_MODEL_DEADLOCK, r, "%s", line);
		atomic_store_explicit(&rl__model_kill, true, memory_order_relaxed);
		/* The scheduler now releases every thread; a blocked join goes
		 * ahead without a JOIN event: its thread counts as joined. */
		for (unsigned t = 0; t < M.nthr; t++) {
			const struct rl__sched_thr *st = M.thr[t].st;
			if (st && st->state != RL__SCHED_DONE && st->blocked && st->wait.op == RL_PROBE_JOIN)
				mark_joined(st->wait.addr);
		}
	}
}

static void on_panic(const char *file, int line, const char *msg)
{
	if (rl__model_running())
		rl__model_fail(RL_MODEL_PANIC, "thread '%s' panicked at %s:%d: %s", rl_thread_name(), file, line, msg);
}

/* ---- tracked allocations ---- */

static void ranges_add(struct ranges *s, const struct range *r)
{
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 16;
		struct range *p = realloc(s->r, ncap * sizeof(*p));
		if (!p)
			FATAL("out of memory in the model checker");
		s->r = p;
		s->cap = ncap;
	}
	s->r[s->n++] = *r;
}

/* Remove the ranges overlapping [lo, hi). */
static void ranges_cut(struct ranges *s, uintptr_t lo, uintptr_t hi)
{
	for (size_t i = s->n; i-- > 0;)
		if (s->r[i].lo < hi && lo < s->r[i].hi)
			s->r[i] = s->r[--s->n];
}

const char *rl__model_freed_by(const void *addr, size_t size)
{
	uintptr_t lo = (uintptr_t)addr, hi = lo + size;
	for (size_t i = 0; i < M.freed.n; i++)
		if (M.freed.r[i].lo < hi && lo < M.freed.r[i].hi)
			return rl_probe_thread_name(M.freed.r[i].tid);
	return NULL;
}

/* Every recorded event (detector lock held, on the thread that did it). */
static void observe(unsigned tid, const rl_probe_ev *ev)
{
	uintptr_t lo = (uintptr_t)ev->addr, hi = lo + (ev->wval ? ev->wval : 1);
	switch (ev->op) {
	case RL_PROBE_JOIN:
		mark_joined(ev->addr);
		break;
	case RL_PROBE_ALLOC:
		rl__weak_forget(lo, hi);
		ranges_cut(&M.freed, lo, hi);
		ranges_add(&M.live, &(struct range){ lo, hi, ev->kind, ev->pc, tid });
		break;
	case RL_PROBE_FREE:
		for (size_t i = M.live.n; i-- > 0;)
			if (M.live.r[i].lo == lo) {
				M.live.r[i] = M.live.r[--M.live.n];
				break;
			}
		if (ev->name && strcmp(ev->name, "rl_track_free") == 0)
			ranges_add(&M.freed, &(struct range){ lo, hi, ev->kind, ev->pc, tid });
		rl__weak_forget(lo, hi);
		break;
	default:
		break;
	}
}

/* ---- the strategy ---- */

static void fp_of(const rl_probe_ev *ev, struct rl__fp *fp)
{
	uintptr_t a = (uintptr_t)ev->addr;
	fp->op = ev->op;
	fp->lo = a;
	fp->hi = a + 1;
	switch (ev->op) {
	case RL_PROBE_READ:
	case RL_PROBE_WRITE:
		fp->kind = ev->op == RL_PROBE_READ ? RL__FP_READ : RL__FP_WRITE;
		fp->hi = a + (ev->size ? ev->size : 1);
		break;
	case RL_PROBE_LOAD:
	case RL_PROBE_RCU_DEREF:
	case RL_PROBE_WAIT:     /* reads the futex word (and, woken, its sleeper queue) */
		fp->kind = RL__FP_READ;
		break;
	case RL_PROBE_STORE:
	case RL_PROBE_RMW:
	case RL_PROBE_LOCK:
	case RL_PROBE_TRYLOCK:
	case RL_PROBE_UNLOCK:
	case RL_PROBE_RCU_PUBLISH:
	case RL_PROBE_RCU_READ_LOCK:
	case RL_PROBE_RCU_READ_UNLOCK:
	case RL_PROBE_RCU_SYNC:
	case RL_PROBE_NOTIFY:   /* changes the word's sleeper queue */
		fp->kind = RL__FP_WRITE;
		break;
	default:
		fp->kind = RL__FP_NONE;
		break;
	}
	/* RC11: seq_cst operations meet in one total order (weak.c's clock S):
	 * a seq_cst load reads it, a seq_cst store, RMW or fence writes it. */
	fp->sc = RL__FP_NONE;
	if (M.cfg.memory == RL_MEMORY_RC11 && ev->order == memory_order_seq_cst &&
	    (ev->op == RL_PROBE_LOAD || ev->op == RL_PROBE_STORE || ev->op == RL_PROBE_RMW || ev->op == RL_PROBE_FENCE))
		fp->sc = ev->op == RL_PROBE_LOAD ? RL__FP_READ : RL__FP_WRITE;
}

static uint64_t rng_next(void)
{
	/* splitmix64: the spurious-failure draws of RANDOM and PCT. */
	uint64_t z = (M.rng += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static void log_choice(uint64_t k, unsigned v, unsigned def)
{
	if (v == def || M.replaying)
		return;
	if (M.ndev == M.capdev) {
		size_t ncap = M.capdev ? M.capdev * 2 : 64;
		struct dev *d = realloc(M.devs, ncap * sizeof(*d));
		if (!d)
			FATAL("out of memory in the model checker");
		M.devs = d;
		M.capdev = ncap;
	}
	M.devs[M.ndev++] = (struct dev){ k, v };
}

/* The replay's choice at @k, or @def. */
static unsigned replayed(uint64_t k, unsigned def)
{
	if (M.ri < M.nrdev && M.rdev[M.ri].k == k)
		return M.rdev[M.ri++].v;
	return def;
}

/* Whether this rl thread's last weak CAS failed spuriously: the next one may
 * not, so a retry loop cannot fail forever (every DFS path stays finite).
 * Keyed by the rl thread's id: pooled OS threads serve many rl threads. */
static __thread struct {
	unsigned id;
	bool last;
} spurious;
/* ... and by the rl thread's context where they are fibers (core/fiber.h). */
static void *spurious_addr(void) { return &spurious; }
__attribute__((constructor)) static void register_fiber_tls(void) { rl__fiber_tls(spurious_addr, sizeof(spurious)); }

bool rl__model_spurious(void)
{
	unsigned id = rl_thread_id();
	if (spurious.id == id && spurious.last) {
		spurious.last = false;
		return false;
	}
	spurious.id = id;
	spurious.last = rl__model_value(2) == 1;
	return spurious.last;
}

unsigned rl__model_value(unsigned n)
{
	uint64_t k = M.k++;
	unsigned v = 0;
	if (M.failed)
		v = 0;
	else if (M.replaying)
		v = replayed(k, 0);
	else if (M.cfg.strategy == RL_MODEL_DFS)
		v = rl__dpor_value(M.dpor, n);
	else if ((rng_next() & 3) != 0)
		v = 0; /* a quarter of the choices deviate: a weak CAS that could succeed fails, */
	else       /* a load reads an older store */
		v = n == 2 ? 1 : 1 + (unsigned)(rng_next() % (n - 1));
	if (v >= n)
		v = 0;
	log_choice(k, v, 0);
	return v;
}

void rl__model_cut(void)
{
	M.hist_cut = true;
}

/* The scheduler's value choices (spurious wakeups, notify-one's sleeper). */
static unsigned driver_value(void *ctx, unsigned n)
{
	(void)ctx;
	/* RANDOM and PCT: a quarter of the waits that could wake spuriously do. */
	if (M.cfg.strategy == RL_MODEL_DFS || M.replaying || n == 2)
		return rl__model_value(n);
	return M.failed ? 0 : (unsigned)(rng_next() % n);
}

static struct rl__sched_thr *choose(void *ctx, struct rl__sched_thr *cur, struct rl__sched_thr *const *en,
				    unsigned n)
{
	(void)ctx;
	M.steps++;
	rl__tmask mask = 0, held = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned tid = en[i]->tid;
		if (tid >= RL__DPOR_MAXT) {
			if (!M.too_many)
				rl__model_fail(RL_MODEL_STEP_LIMIT, "more than %d threads in one schedule",
					       RL_MODEL_MAX_THREADS);
			M.too_many = true;
			atomic_store_explicit(&rl__model_kill, true, memory_order_relaxed);
			continue;
		}
		if (!M.thr[tid].st) {
			M.thr[tid].st = en[i];
			M.thr[tid].handle = en[i]->handle;
			if (tid >= M.nthr)
				M.nthr = tid + 1;
			if (M.dpor)
				rl__dpor_thread_new(M.dpor, tid);
		}
		mask |= (rl__tmask)1 << tid;
		if (M.thr[tid].yielded)
			held |= (rl__tmask)1 << tid;
	}
	if (!M.failed && M.steps > M.max_steps) {
		rl__model_fail(RL_MODEL_STEP_LIMIT, "step limit: more than %llu scheduling points in one schedule",
			       (unsigned long long)M.max_steps);
		atomic_store_explicit(&rl__model_kill, true, memory_order_relaxed);
	}
	bool kill = atomic_load_explicit(&rl__model_kill, memory_order_relaxed);
	if (M.failed && !kill && M.steps - M.fail_steps > M.max_steps) {
		atomic_store_explicit(&rl__model_kill, true, memory_order_relaxed);
		kill = true;
	}
	if (kill && !M.kill_steps)
		M.kill_steps = M.steps;
	if (kill && M.steps - M.kill_steps > 10 * M.max_steps + 1000)
		FATAL("a killed model schedule did not end within %llu scheduling points",
		      (unsigned long long)(10 * M.max_steps + 1000));
	if (!mask)
		return NULL;
	/* A thread that yielded waits until another thread has taken a step. */
	rl__tmask avail = (mask & ~held) ? mask & ~held : mask;
	int ctid = cur && cur->state != RL__SCHED_DONE && cur->tid < RL__DPOR_MAXT ? (int)cur->tid : -1;
	int def = rl__dpor_default(avail, ctid);
	uint64_t k = M.k++;
	int p;
	if (M.failed) {
		p = def;
	} else if (M.replaying) {
		p = (int)replayed(k, (unsigned)def);
		if (p >= RL__DPOR_MAXT || !((avail >> p) & 1)) {
			rl__model_fail(RL_MODEL_PANIC, "the replay token does not fit this program: choice %llu is "
				       "thread %d, which cannot run there", (unsigned long long)k, p);
			p = def;
		}
	} else if (M.cfg.strategy == RL_MODEL_DFS) {
		struct rl__fp pend[RL__DPOR_MAXT];
		for (unsigned t = 0; t < M.nthr; t++) {
			if (M.thr[t].st && M.thr[t].st->state != RL__SCHED_DONE)
				fp_of(&M.thr[t].st->wait, &pend[t]);
			else
				pend[t] = (struct rl__fp){ 0 };
		}
		p = rl__dpor_choose(M.dpor, avail, ctid, pend);
		if (p < 0) {
			rl__model_fail(RL_MODEL_PANIC, "the body is not deterministic: a schedule replayed from its "
				       "prefix took another path (it must depend only on the interleaving)");
			p = def;
		} else {
			struct rl__fp fp = pend[p];
			int edge = -1;
			if (M.thr[p].st->wait.op == RL_PROBE_JOIN)
				for (unsigned t = M.nthr; t-- > 0;)
					if (M.thr[t].handle == M.thr[p].st->wait.addr && (int)t != p) {
						edge = (int)t;
						break;
					}
			rl__dpor_step(M.dpor, (unsigned)p, &fp, edge);
		}
	} else {
		p = -1; /* RANDOM, PCT: the session's strategy */
	}
	if (p < 0) {
		for (unsigned t = 0; t < M.nthr; t++)
			M.thr[t].yielded = false;
		return NULL;
	}
	log_choice(k, (unsigned)p, (unsigned)def);
	for (unsigned t = 0; t < M.nthr; t++)
		M.thr[t].yielded = false;
	M.thr[p].yielded = M.thr[p].st->wait.op == RL_PROBE_YIELD;
	for (unsigned i = 0; i < n; i++)
		if (en[i]->tid == (unsigned)p)
			return en[i];
	return NULL;
}

/* ---- configuration ---- */

static int env_u64(const char *name, uint64_t min, uint64_t max, uint64_t *out, bool *set)
{
	const char *v = getenv(name);
	if (!v)
		return RL_OK;
	if (rl_parse_u64(v, min, max, out) != RL_OK) {
		fprintf(stderr, "racelab: %s must be a whole number from %llu to %llu, not '%s'\n", name,
			(unsigned long long)min, (unsigned long long)max, v);
		return RL_EINVAL;
	}
	if (set)
		*set = true;
	return RL_OK;
}

static int configure(const rl_model_config *cfg)
{
	memset(&M.cfg, 0, sizeof(M.cfg));
	if (cfg)
		M.cfg = *cfg;
	const char *st = getenv("RACELAB_STRATEGY");
	if (st) {
		if (strcmp(st, "dfs") == 0)
			M.cfg.strategy = RL_MODEL_DFS;
		else if (strcmp(st, "random") == 0)
			M.cfg.strategy = RL_MODEL_RANDOM;
		else if (strcmp(st, "pct") == 0)
			M.cfg.strategy = RL_MODEL_PCT;
		else {
			fprintf(stderr, "racelab: RACELAB_STRATEGY must be dfs, random or pct, not '%s'\n", st);
			return RL_EINVAL;
		}
	}
	const char *mem = getenv("RACELAB_MEMORY");
	if (mem) {
		if (strcmp(mem, "rc11") == 0)
			M.cfg.memory = RL_MEMORY_RC11;
		else if (strcmp(mem, "sc") == 0)
			M.cfg.memory = RL_MEMORY_SC;
		else {
			fprintf(stderr, "racelab: RACELAB_MEMORY must be rc11 or sc, not '%s'\n", mem);
			return RL_EINVAL;
		}
	}
	if ((unsigned)M.cfg.memory > RL_MEMORY_SC) {
		fprintf(stderr, "racelab: rl_model: unknown memory model %d\n", (int)M.cfg.memory);
		return RL_EINVAL;
	}
	if (M.cfg.tolerate & ~((1u << RL_MODEL_PANIC) | (1u << RL_MODEL_LEAK))) {
		fprintf(stderr, "racelab: rl_model: only panics and leaks can be tolerated\n");
		return RL_EINVAL;
	}
	if ((unsigned)M.cfg.strategy > RL_MODEL_PCT) {
		fprintf(stderr, "racelab: rl_model: unknown strategy %d\n", (int)M.cfg.strategy);
		return RL_EINVAL;
	}
	uint64_t pre = M.cfg.max_preemptions;
	int rc = env_u64("RACELAB_SCHEDULES", 1, UINT64_MAX, &M.cfg.max_schedules, NULL);
	if (!rc)
		rc = env_u64("RACELAB_SEED", 0, UINT64_MAX, &M.cfg.seed, NULL);
	if (!rc)
		rc = env_u64("RACELAB_PREEMPTIONS", 0, 1000, &pre, &M.cfg.bound_preemptions);
	if (!rc)
		rc = env_u64("RACELAB_MAX_STEPS", 1, UINT64_MAX / 16, &M.cfg.max_steps, NULL);
	if (rc)
		return rc;
	if (M.cfg.pct_depth > 1000 || M.cfg.max_steps > UINT64_MAX / 16) {
		fprintf(stderr, "racelab: rl_model: pct_depth must be at most 1000 and max_steps below 2^60\n");
		return RL_EINVAL;
	}
	M.cfg.max_preemptions = (unsigned)pre;
	M.max_steps = M.cfg.max_steps ? M.cfg.max_steps : RL_MODEL_DEFAULT_MAX_STEPS;
	M.seed = M.cfg.seed;
	M.pct_k = 1000;
	const char *tl = getenv("RACELAB_TIMELINE");
	if (tl)
		M.cfg.timeline = tl;
	if (M.cfg.timeline && !*M.cfg.timeline) {
		fprintf(stderr, "racelab: RACELAB_TIMELINE needs a file name (FILE.svg)\n");
		return RL_EINVAL;
	}
	const char *rp = getenv("RACELAB_REPLAY");
	if (rp)
		M.cfg.replay = rp;
	if (M.cfg.replay) {
		struct rl__model_token t;
		if ((rc = rl__model_token_parse(M.cfg.replay, &t)) != RL_OK) {
			if (rc == RL_EINVAL)
				fprintf(stderr, "racelab: not a replay token: '%s'\n", M.cfg.replay);
			return rc;
		}
		M.cfg.strategy = t.strategy;
		M.cfg.memory = t.memory;
		M.max_steps = t.max_steps;
		M.seed = t.seed;
		M.pct_k = t.pct_k;
		M.cfg.pct_depth = t.depth;
		M.rdev = t.devs;
		M.nrdev = t.ndev;
		M.ri = 0;
	}
	/* Only a DFS token lists choices; a RANDOM or PCT one is a seed. */
	M.replaying = M.cfg.replay && M.cfg.strategy == RL_MODEL_DFS;
	return RL_OK;
}

/* ---- one schedule ---- */

struct body_ctx {
	rl_model_fn *body;
	void *arg;
};

static void *run_body(void *p)
{
	struct body_ctx *c = p;
	c->body(c->arg);
	return NULL;
}

static void join_quietly(rl_thread *t)
{
	void *ret = NULL;
	if (rl_thread_join(t, &ret) == RL_EPANICKED)
		free(ret);
}

static void reset_schedule(uint64_t seed)
{
	memset(M.thr, 0, sizeof(M.thr));
	M.nthr = 0;
	M.steps = M.k = M.fail_steps = M.kill_steps = 0;
	M.rng = seed;
	M.failed = M.too_many = false;
	M.live.n = M.freed.n = 0;
	M.ndev = 0;
	M.ri = 0;
	atomic_store_explicit(&rl__model_kill, false, memory_order_relaxed);
}

/* Allocations left once every thread has been joined (no failure yet). */
static void check_leaks(void)
{
	if (M.live.n) {
		const struct range *r = &M.live.r[0];
		char site[96];
		rl__site_text(NULL, r->pc, site, sizeof(site));
		rl__model_fail(RL_MODEL_LEAK, "leak: %s (%zu bytes) allocated by thread '%s' at %s was never freed",
			       r->what ? r->what : "memory", (size_t)(r->hi - r->lo), rl_probe_thread_name(r->tid),
			       site);
	}
}

/* Run the body once under the session's scheduler, seeded with @seed. */
static int run_one(struct body_ctx *ctx, uint64_t seed)
{
	reset_schedule(seed);
	rl__weak_begin(M.cfg.memory == RL_MEMORY_RC11);
	if (M.dpor)
		rl__dpor_begin(M.dpor);
	rl_probe_config pc = {
		.detect = true,
		.schedule = M.cfg.strategy == RL_MODEL_PCT ? RL_SCHEDULE_PCT : RL_SCHEDULE_RANDOM,
		.seed = seed,
		.pct_depth = M.cfg.pct_depth,
		.pct_steps = M.pct_k,
		.trace = true,
		.sink = sink,
		.main_name = "model",
	};
	M.driver = (struct rl__sched_driver){ .choose = choose,
					      .value = driver_value,
					      .name = M.cfg.strategy == RL_MODEL_DFS      ? "dfs"
						      : M.cfg.strategy == RL_MODEL_RANDOM ? "random"
											  : "pct" };
	rl__sched_driver = &M.driver;
	rl__probe_observer = observe;
	rl__panic_hook = on_panic;
	rl__thread_pool_enabled = 1;
	int rc = rl_probe_attach(&pc);
	if (rc != RL_OK)
		goto out;
	atomic_store_explicit(&M.running, true, memory_order_relaxed);
	rl_thread *main_thr;
	rl_thread_opts o = { .name = "main", .stack_size = RL_MAIN_STACK_SIZE };
	rc = rl_thread_spawn(&main_thr, run_body, ctx, &o);
	if (rc == RL_OK) {
		join_quietly(main_thr);
		/* Threads the body did not join (or could not: it was unwound). */
		for (unsigned t = 2; t < M.nthr; t++)
			if (M.thr[t].handle && !M.thr[t].joined) {
				if (!M.failed)
					rl__model_fail(RL_MODEL_LEAK, "leak: thread '%s' (T%u) was never joined",
						       rl_probe_thread_name(t), t);
				join_quietly((rl_thread *)(uintptr_t)M.thr[t].handle);
			}
		if (!M.failed)
			check_leaks();
	}
	M.stale_reads += rl__weak_stale_reads();
	M.exec_this = rl__weak_execution();
	M.sc_mixed |= rl__weak_mixed();
	atomic_store_explicit(&M.running, false, memory_order_relaxed);
	if (rl_probe_detach() != RL_OK)
		FATAL("a model schedule ended with a probed thread still running");
out:
	rl__sched_driver = NULL;
	rl__probe_observer = NULL;
	rl__panic_hook = NULL;
	rl__thread_pool_enabled = 0;
	return rc;
}

/* Count @h among the distinct executions. */
static void exec_add(uint64_t h)
{
	h |= 1; /* never 0, the empty slot */
	if (2 * (M.nexec + 1) > M.capexec) {
		size_t ncap = M.capexec ? 2 * M.capexec : 256;
		uint64_t *t = calloc(ncap, sizeof(*t));
		if (!t)
			FATAL("out of memory in the model checker");
		for (size_t i = 0; i < M.capexec; i++)
			if (M.execs[i])
				for (size_t j = M.execs[i] & (ncap - 1);; j = (j + 1) & (ncap - 1))
					if (!t[j]) {
						t[j] = M.execs[i];
						break;
					}
		free(M.execs);
		M.execs = t;
		M.capexec = ncap;
	}
	for (size_t j = h & (M.capexec - 1);; j = (j + 1) & (M.capexec - 1)) {
		if (M.execs[j] == h)
			return;
		if (!M.execs[j]) {
			M.execs[j] = h;
			M.nexec++;
			return;
		}
	}
}

static void report(FILE *f, uint64_t schedule, const char *token)
{
	fprintf(f, "racelab model: %s: %s\n", rl_model_failure_name(M.failure), M.message);
	fprintf(f, "  found in schedule %llu (%s)\n", (unsigned long long)schedule, M.driver.name);
	if (M.report)
		fputs(M.report, f);
	rl__weak_explain(f);
	fprintf(f, "interleaving:\n");
	rl_probe_trace_print(f);
	if (*token)
		fprintf(f, "RACELAB_REPLAY=%s %s\n", token,
			M.cfg.replay_command ? M.cfg.replay_command : program_invocation_name);
	else
		fprintf(f, "(the schedule's replay token is longer than %d bytes: not printed)\n",
			RL_MODEL_REPLAY_MAX - 1);
	fflush(f);
}

/* The failing schedule's picture, while its trace is still there. */
static int save_timeline(const rl_model_result *out)
{
	char title[RL_MODEL_MESSAGE_MAX + 32];
	snprintf(title, sizeof(title), "rl_model: %s: %s", rl_model_failure_name(out->failure), out->message);
	int rc = rl_timeline_save(M.cfg.timeline, title);
	FILE *f = M.cfg.report_file ? M.cfg.report_file : stderr;
	if (rc != RL_OK)
		fprintf(stderr, "racelab: cannot write the timeline %s: %s\n", M.cfg.timeline,
			rc == RL_EIO ? strerror(errno) : rl_strerror(rc));
	else if (!M.cfg.quiet)
		fprintf(f, "timeline: wrote %s\n", M.cfg.timeline);
	return rc;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int rl_model(rl_model_fn *body, void *arg, const rl_model_config *cfg, rl_model_result *out)
{
	if (!body || !out) {
		fprintf(stderr, "racelab: rl_model: NULL %s\n", body ? "result" : "body");
		return RL_EINVAL;
	}
	memset(out, 0, sizeof(*out));
	if (atomic_exchange_explicit(&M.busy, true, memory_order_acquire))
		return RL_EBUSY;
	if (rl_probe_attached()) {
		atomic_store_explicit(&M.busy, false, memory_order_release);
		return RL_EBUSY;
	}
	double t0 = now();
	M.hist_cut = M.sc_mixed = false;
	M.stale_reads = 0;
	M.rdev = NULL;
	M.nrdev = 0;
	int rc = configure(cfg);
	if (rc == RL_OK && M.cfg.strategy == RL_MODEL_DFS && !M.cfg.replay &&
	    !(M.dpor = rl__dpor_new(M.cfg.bound_preemptions, M.cfg.max_preemptions)))
		rc = RL_ENOMEM;
	uint64_t limit = M.cfg.max_schedules ? M.cfg.max_schedules
		       : M.cfg.strategy == RL_MODEL_DFS ? UINT64_MAX : 1000;
	struct body_ctx ctx = { body, arg };
	bool complete = false;
	/* The schedules' threads: fibers of this OS thread where they are built,
	 * else the OS-thread pool (core/thread.c). */
	rl__thread_pool_begin();
	for (uint64_t i = 0; rc == RL_OK; i++) {
		uint64_t seed = M.seed + (M.cfg.strategy == RL_MODEL_DFS ? 0 : i);
		free(M.report);
		M.report = NULL;
		memset(&M.fail_rep, 0, sizeof(M.fail_rep));
		M.failure = RL_MODEL_PASSED;
		if ((rc = run_one(&ctx, seed)) != RL_OK)
			break;
		bool counted = !(M.dpor && rl__dpor_redundant(M.dpor)) || M.failed;
		out->schedules += counted;
		out->redundant += !counted;
		if (counted)
			exec_add(M.exec_this);
		if (M.steps > out->max_depth)
			out->max_depth = M.steps;
		if (M.failed) {
			struct rl__model_token t = { .strategy = M.cfg.strategy, .max_steps = M.max_steps,
						     .seed = seed, .pct_k = M.pct_k,
						     .depth = M.cfg.pct_depth ? M.cfg.pct_depth : 3,
						     .devs = M.devs, .ndev = M.ndev, .memory = M.cfg.memory };
			if (M.cfg.replay)
				snprintf(out->replay, sizeof(out->replay), "%s", M.cfg.replay);
			else
				rl__model_token_make(out->replay, sizeof(out->replay), &t);
			out->failure = M.failure;
			snprintf(out->message, sizeof(out->message), "%s", M.message);
			if (!M.cfg.quiet)
				report(M.cfg.report_file ? M.cfg.report_file : stderr, out->schedules, out->replay);
			if (M.cfg.timeline)
				out->timeline_error = save_timeline(out);
			if (M.cfg.report_sink && M.fail_rep.kind)
				M.cfg.report_sink(&M.fail_rep, M.cfg.report_ctx);
			break;
		}
		if (M.cfg.replay)
			break;
		if (M.cfg.strategy == RL_MODEL_PCT && i == 0 && M.steps)
			M.pct_k = M.steps; /* PCT's k: the points of a run */
		if (M.dpor && !rl__dpor_next(M.dpor)) {
			complete = !rl__dpor_cut(M.dpor);
			break;
		}
		if (out->schedules >= limit)
			break;
		if (M.cfg.should_stop && M.cfg.should_stop()) {
			out->stopped = true;
			break;
		}
	}
	rl__thread_pool_end();
	out->complete = complete && out->failure == RL_MODEL_PASSED && !M.hist_cut;
	out->memory = M.cfg.memory;
	out->stale_reads = M.stale_reads;
	out->history_cut = M.hist_cut;
	out->sc_mixed = M.sc_mixed;
	out->executions = M.nexec;
	free(M.execs);
	M.execs = NULL;
	M.nexec = M.capexec = 0;
	rl__weak_free();
	out->seconds = now() - t0;
	rl__dpor_free(M.dpor);
	M.dpor = NULL;
	free(M.rdev);
	M.rdev = NULL;
	free(M.report);
	M.report = NULL;
	free(M.devs);
	M.devs = NULL;
	M.capdev = M.ndev = 0;
	free(M.live.r);
	free(M.freed.r);
	memset(&M.live, 0, sizeof(M.live));
	memset(&M.freed, 0, sizeof(M.freed));
	rl_probe_reset();
	atomic_store_explicit(&M.busy, false, memory_order_release);
	return rc;
}
