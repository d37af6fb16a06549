/* probe.c — the probe layer: sessions, probed threads, events, results.
 *
 * Owns: the session (rl_probe_attach/detach), the record of every probed
 * thread, the detector lock, object numbering, the trace and the reports. It
 * routes each event to the detector (detect.c) and the scheduler (sched.c).
 *
 * Locking: the detector lock `g.lock` protects the detector, the thread
 * registry, object numbers, the trace and the reports. rl__probe_enter() takes
 * it after the scheduling point and rl__probe_exit() drops it, so an event and
 * the memory operation it describes are one atomic step, also with threads
 * running in parallel (detector-only sessions). Blocking operations are the
 * exception: the lock is only taken at their exit. The scheduler's state needs
 * no lock (see sched.c). Never wait for the baton while holding g.lock: the
 * scheduling point always comes first.
 *
 * One lock, not one per address stripe: the contended detector-only runs are
 * threads hammering one location (an Rc count, a Cell, a Mutex, an atomic
 * counter), where every event would take the same stripe's lock anyway, and
 * their cost is the lock's hand-off between CPUs, not waiting on unrelated
 * locations. What the lock costs per event is kept small instead: see
 * struct dlock.
 *
 * Lock-free paths. In a detector-only session (no scheduler, no trace) two
 * kinds of events skip the detector lock, because something else already
 * orders them:
 *   - mutex LOCK, TRYLOCK and UNLOCK: a mutex's clock is touched only by the
 *     thread holding the mutex, and the mutex's own unlock (release) and lock
 *     (acquire) order those touches (detect.h). UNLOCK's release into the
 *     clock moves from the exit to the enter, before the real unlock. Each
 *     thread caches the clock's address (struct scache).
 *   - atomic LOAD, STORE and RMW that do not release (Relaxed, Acquire), by a
 *     thread with no pending release fence, on a location that has never
 *     carried a release clock: the detector would do nothing for them but
 *     count them (an acquire of an empty clock joins nothing). What makes this
 *     exact is that "never carried a release clock" cannot change while such
 *     an operation is in flight: the thread announces the location in
 *     rl__probe_hot_tls.inflight (rl__probe_fast_begin(), inline in the
 *     primitives), and the event that would create the location's clock first
 *     raises the location's flag (rl__probe_relflag, by hash) and waits until
 *     no thread announces it (publish_guard(): Dekker's store-buffering
 *     handshake). So every such lock-free operation comes before the first
 *     release on its location in the location's modification order, where its
 *     clock was indeed empty, or sees the flag and takes the lock.
 * Everything else (plain accesses, releasing atomics, RCU, threads, memory)
 * takes the lock as before. Under the scheduler one thread runs at a time and
 * with a trace every event needs its place in one order, so those sessions
 * take the lock for every event.
 */
#include <racelab/probe.h>

#include <dlfcn.h>
#include <inttypes.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <racelab/hooks.h>
#include <racelab/status.h>
#include <racelab/thread.h>

#include "detect.h"
#include "scheduler.h"

#define FATAL(...) RL_FATAL(__VA_ARGS__)

#define PRIV_ENTERED 0x1u
#define PRIV_LOCKED 0x2u
#define PRIV_FAST 0x4u  /* a lock-free event (see "Lock-free paths") */
#define PRIV_PLAIN 0x8u /* a plain access in a detector-only session: the lock, the detector, nothing else */

#define SCACHE_N 8 /* mutex clocks cached per thread */

/* A cached mutex clock: valid while the detector's sync_gen is @gen. */
struct scache {
	const void *addr;
	struct rl__vc *vc;
	uint64_t gen;
};

#define NAME_LEN 32

/* A probed thread. */
struct pthr {
	unsigned tid;
	char name[NAME_LEN];
	const void *handle;  /* the rl_thread announced by SPAWN; NULL for T0 and foreign threads */
	bool started, exited;
	bool foreign;        /* registered by its first probe, not by SPAWN/START */
	bool has_det;        /* tid < RL_PROBE_MAX_THREADS and the detector is on */
	bool fast;           /* has_det in a session with the lock-free paths (g.fast) */
	struct rl__det_thr det;
	struct rl__sched_thr sch;
	/* The lock-free paths. hot: the thread's rl__probe_hot_tls while it can
	 * use the atomic one (from its START, or attach for T0, to its EXIT),
	 * else NULL: a foreign thread may end without an EXIT, so its
	 * thread-locals are never read from here. It counts its lock-free
	 * (mutex) events in nfast instead. */
	struct rl__probe_hot *hot;
	_Atomic uint64_t nfast;
	struct scache sc[SCACHE_N];
};

/* ---- the detector lock ----
 *
 * A futex lock that spins before it sleeps (Drepper, "Futexes Are Tricky",
 * mutex 3, plus a bounded spin). The critical sections it guards are tens of
 * nanoseconds, so with threads hammering one location a waiter usually gets
 * the lock by spinning; a pthread mutex puts it to sleep at once and pays a
 * futex wait, a wake and a context switch per hand-off, which was over half
 * of the run time of arc-atomic --detect hb on 4 threads (perf, cpu-clock).
 * The spin backs off exponentially (DLOCK_SPIN polls, up to DLOCK_BACKOFF
 * pauses apart): a waiter that polls without pause steals the lock at every
 * release, and each hand-off moves the lock's and the location's cache lines
 * to another CPU, while a holder that takes the lock again keeps them.
 * Word: 0 free, 1 held, 2 held with possible sleepers. */
struct dlock {
	_Atomic uint32_t w;
};

#define DLOCK_SPIN 16
#define DLOCK_BACKOFF 64

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

static void dlock_slow(struct dlock *l)
{
	for (int i = 0, pause = 1; i < DLOCK_SPIN; i++) {
		for (int k = 0; k < pause; k++)
			cpu_relax();
		if (pause < DLOCK_BACKOFF)
			pause *= 2;
		uint32_t v = 0;
		/* Acquire: pairs with the release in dlock_unlock(). */
		if (atomic_load_explicit(&l->w, memory_order_relaxed) == 0 &&
		    atomic_compare_exchange_weak_explicit(&l->w, &v, 1, memory_order_acquire, memory_order_relaxed))
			return;
	}
	/* Acquire: pairs with the release in dlock_unlock(). Whoever gets the
	 * lock this way leaves the word at 2, so its unlock wakes a sleeper. */
	while (atomic_exchange_explicit(&l->w, 2, memory_order_acquire) != 0)
		syscall(SYS_futex, &l->w, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
}

static inline void dlock_lock(struct dlock *l)
{
	uint32_t v = 0;
	/* Acquire: pairs with the release in dlock_unlock(). */
	if (RL_UNLIKELY(!atomic_compare_exchange_strong_explicit(&l->w, &v, 1, memory_order_acquire,
								  memory_order_relaxed)))
		dlock_slow(l);
}

static inline void dlock_unlock(struct dlock *l)
{
	/* Release: pairs with the acquires in dlock_lock() and dlock_slow(). */
	if (RL_UNLIKELY(atomic_exchange_explicit(&l->w, 0, memory_order_release) == 2))
		syscall(SYS_futex, &l->w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static struct {
	/* The lock word, which waiters poll, the event counter, which its
	 * holder writes, and the read-mostly fields each have a cache line:
	 * neither polling nor reading the configuration takes a line from the
	 * holder in the middle of an event. */
	_Alignas(64) struct dlock lock;
	_Alignas(64) uint64_t events;
	uint64_t lockfree;        /* lock-free events of threads that stopped probing */
	_Alignas(64) _Atomic bool attached;
	bool fast;                /* the lock-free paths are on: detector only, no scheduler, no trace */
	bool membarrier;          /* publish_guard() fences every thread with membarrier(2) */
	rl_probe_config cfg;
	struct rl__det *det;
	const _Atomic uint64_t *sync_gen; /* rl__det_sync_gen(det) */
	struct rl__sched *sched;
	struct pthr **thr;        /* by tid */
	unsigned nthr, capthr;
	struct rl__amap ids;      /* address -> object number */
	uint32_t next_id;
	bool thread_limit;
	/* Results: kept after detach until the next attach or reset. */
	rl_probe_stats stats;
	rl_probe_report *rep;
	size_t nrep, caprep;
	rl_probe_trace_rec *trace;
	size_t ntrace, captrace, trace_limit;
	uint64_t trace_dropped;
	char (*names)[NAME_LEN];
	unsigned nnames;
} g;

/* probe.h's lock-free atomic path. The session number is bumped by attach and
 * detach, so stale thread-locals never match. The flags are read on every
 * lock-free atomic op and written once per location that gets a release
 * clock: their own cache lines. */
RL__THREAD_LOCAL struct rl__probe_hot rl__probe_hot_tls __attribute__((tls_model("initial-exec")));
_Alignas(64) _Atomic uint64_t rl__probe_session;
_Alignas(64) _Atomic uint8_t rl__probe_relflag[1u << RL__PROBE_RELFLAG_BITS];

static __thread struct {
	uint64_t session;
	struct pthr *t;
	const char *site;
} tls;

#define PTHR_OF_SCH(s) ((struct pthr *)((char *)(s) - offsetof(struct pthr, sch)))

static inline void lock(void) { dlock_lock(&g.lock); }
static inline void unlock(void) { dlock_unlock(&g.lock); }

static bool is_blocking(unsigned op)
{
	return op == RL_PROBE_LOCK || op == RL_PROBE_JOIN || op == RL_PROBE_RCU_SYNC;
}

static bool is_sched_point(unsigned op)
{
	return op != RL_PROBE_SPAWN_FAILED && op != RL_PROBE_START && op != RL_PROBE_EXIT && op != RL_PROBE_ALLOC &&
	       op != RL_PROBE_FREE;
}

static bool is_thread_op(unsigned op)
{
	return op == RL_PROBE_SPAWN || op == RL_PROBE_SPAWN_FAILED || op == RL_PROBE_START || op == RL_PROBE_EXIT ||
	       op == RL_PROBE_JOIN;
}

/* ---- object numbers ---- */

uint32_t rl__probe_obj_id(const void *addr)
{
	if (!addr)
		return 0;
	uint64_t *v = rl__amap_get(&g.ids, (uintptr_t)addr, true);
	if (!v)
		FATAL("out of memory numbering objects");
	if (!*v)
		*v = ++g.next_id;
	return (uint32_t)*v;
}

uint32_t rl__probe_obj_number(const void *addr)
{
	lock();
	uint32_t id = rl__probe_obj_id(addr);
	unlock();
	return id;
}

/* New memory at [addr, addr + size): its objects get new numbers. */
static void forget_ids(const void *addr, uint64_t size)
{
	uintptr_t lo = (uintptr_t)addr & ~(uintptr_t)3, hi = (uintptr_t)addr + (uintptr_t)size;
	if (!g.ids.n)
		return;
	if (hi <= lo)
		hi = lo + 4;
	if ((hi - lo) / 4 <= g.ids.cap) {
		for (uintptr_t a = lo; a < hi; a += 4)
			rl__amap_del(&g.ids, a, NULL);
		return;
	}
	for (;;) { /* rare: a huge range; rescan after each removal */
		uintptr_t victim = 0;
		for (uint32_t i = 0; i < g.ids.cap && !victim; i++)
			if (g.ids.keys[i] >= lo && g.ids.keys[i] < hi)
				victim = g.ids.keys[i];
		if (!victim)
			return;
		rl__amap_del(&g.ids, victim, NULL);
	}
}

/* ---- threads ---- */

static struct pthr *new_thread(const void *handle, const char *name, struct pthr *parent)
{
	if (g.nthr == g.capthr) {
		unsigned ncap = g.capthr ? g.capthr * 2 : 16;
		struct pthr **t = realloc(g.thr, ncap * sizeof(*t));
		if (!t)
			FATAL("out of memory registering a thread");
		g.thr = t;
		g.capthr = ncap;
	}
	struct pthr *t = calloc(1, sizeof(*t));
	if (!t)
		FATAL("out of memory registering a thread");
	t->tid = g.nthr;
	t->handle = handle;
	if (name && *name)
		snprintf(t->name, sizeof(t->name), "%s", name);
	else
		snprintf(t->name, sizeof(t->name), "thread-%u", t->tid);
	if (g.det) {
		if (t->tid < RL_PROBE_MAX_THREADS) {
			t->has_det = true;
			t->fast = g.fast;
			rl__det_thread_init(g.det, &t->det, t->tid, t->name,
					    parent && parent->has_det ? &parent->det : NULL);
		} else {
			g.thread_limit = true;
		}
	}
	t->sch.tid = t->tid;
	t->sch.name = t->name;
	t->sch.handle = handle;
	g.thr[g.nthr++] = t;
	return t;
}

/* The latest thread spawned as @handle; @unstarted: only one that has not started. */
static struct pthr *thread_by_handle(const void *handle, bool unstarted)
{
	if (!handle)
		return NULL;
	for (unsigned i = g.nthr; i-- > 0;)
		if (g.thr[i]->handle == handle && !(unstarted && g.thr[i]->started))
			return g.thr[i];
	return NULL;
}

static struct pthr *register_foreign(uint64_t session)
{
	lock();
	if (g.sched) {
		unlock();
		FATAL("probe on thread '%s', which the deterministic scheduler did not start (spawn probed "
		      "threads with rl_thread_spawn while attached)",
		      rl_thread_name());
	}
	struct pthr *t = new_thread(NULL, rl_thread_name(), NULL);
	t->foreign = t->started = true;
	unlock();
	tls.session = session;
	tls.t = t;
	return t;
}

/* Give @t (the calling thread) the lock-free paths, if the session has them. Lock held. */
static void hot_attach(struct pthr *t, uint64_t session)
{
	if (!g.fast || !t->has_det)
		return;
	struct rl__probe_hot *h = &rl__probe_hot_tls;
	atomic_store_explicit(&h->inflight, NULL, memory_order_relaxed);
	atomic_store_explicit(&h->nfast, 0, memory_order_relaxed);
	h->atomics = true;
	h->membarrier = g.membarrier;
	h->session = session;
	t->hot = h;
}

/* @t (the calling thread) stops using them: its count joins g.lockfree. Lock held. */
static void hot_detach(struct pthr *t)
{
	if (!t->hot)
		return;
	g.lockfree += atomic_load_explicit(&t->hot->nfast, memory_order_relaxed);
	t->hot->atomics = false;
	t->hot = NULL;
}

static inline struct pthr *self(void)
{
	uint64_t s = atomic_load_explicit(&rl__probe_session, memory_order_relaxed);
	if (RL_LIKELY(tls.session == s))
		return tls.t;
	return register_foreign(s);
}

/* ---- trace ---- */

/* Events handled without the detector lock so far. Lock held. */
static uint64_t lockfree_now(void)
{
	uint64_t n = g.lockfree;
	if (g.fast)
		for (unsigned i = 0; i < g.nthr; i++) {
			n += atomic_load_explicit(&g.thr[i]->nfast, memory_order_relaxed);
			if (g.thr[i]->hot)
				n += atomic_load_explicit(&g.thr[i]->hot->nfast, memory_order_relaxed);
		}
	return n;
}

/* Events so far: those counted under the lock and the lock-free ones. Lock held. */
static uint64_t events_now(void)
{
	return g.events + lockfree_now();
}

static uint64_t step_now(void)
{
	return g.sched ? rl__sched_steps(g.sched) : events_now();
}

uint64_t rl__probe_step(void) { return step_now(); }

static void trace_add(const struct pthr *t, const rl_probe_ev *ev, uint8_t op, uint32_t obj)
{
	if (g.ntrace >= g.trace_limit) {
		g.trace_dropped++;
		return;
	}
	if (g.ntrace == g.captrace) {
		size_t ncap = g.captrace ? g.captrace * 2 : 1024;
		if (ncap > g.trace_limit)
			ncap = g.trace_limit;
		rl_probe_trace_rec *r = realloc(g.trace, ncap * sizeof(*r));
		if (!r) {
			g.trace_dropped++;
			return;
		}
		g.trace = r;
		g.captrace = ncap;
	}
	rl_probe_trace_rec *r = &g.trace[g.ntrace++];
	r->step = step_now();
	r->addr = ev->addr;
	r->kind = is_thread_op(ev->op) ? NULL : ev->kind;
	r->name = ev->name;
	r->rval = ev->rval;
	r->wval = ev->wval;
	if (ev->flags & RL_PROBE_F_PTR) {
		r->rval = ev->rval ? rl__probe_obj_id((const void *)(uintptr_t)ev->rval) : 0;
		r->wval = ev->wval ? rl__probe_obj_id((const void *)(uintptr_t)ev->wval) : 0;
	}
	r->obj_id = obj;
	r->tid = (uint16_t)t->tid;
	r->op = op;
	r->order = op == RL_PROBE_BLOCKED ? ev->op : ev->order;
	r->flags = ev->flags;
}

static uint32_t ev_obj(const rl_probe_ev *ev)
{
	if (ev->op == RL_PROBE_JOIN || ev->op == RL_PROBE_SPAWN) {
		const struct pthr *c = thread_by_handle(ev->addr, false);
		return c ? c->tid : 0;
	}
	return ev->addr ? rl__probe_obj_id(ev->addr) : 0;
}

void rl__probe_note_blocked(struct rl__sched_thr *st, const rl_probe_ev *ev)
{
	if (!g.cfg.trace)
		return;
	lock();
	trace_add(PTHR_OF_SCH(st), ev, RL_PROBE_BLOCKED, ev_obj(ev));
	unlock();
}

/* ---- reports ---- */

size_t rl__probe_report_add(const rl_probe_report *r)
{
	if (g.nrep == g.caprep) {
		size_t ncap = g.caprep ? g.caprep * 2 : 16;
		rl_probe_report *p = realloc(g.rep, ncap * sizeof(*p));
		if (!p)
			FATAL("out of memory storing a report");
		g.rep = p;
		g.caprep = ncap;
	}
	size_t idx = g.nrep++;
	g.rep[idx] = *r;
	if (g.cfg.report_file) {
		fputs(r->text, g.cfg.report_file);
		fflush(g.cfg.report_file);
	}
	if (g.cfg.sink)
		g.cfg.sink(&g.rep[idx], g.cfg.sink_ctx);
	return idx;
}

void rl__probe_report_bump(size_t idx)
{
	g.rep[idx].count++;
}

void rl__probe_note_deadlock(char *text)
{
	rl_probe_report r;
	memset(&r, 0, sizeof(r));
	r.kind = RL_REPORT_DEADLOCK;
	r.obj_kind = "deadlock";
	r.count = 1;
	r.text = text;
	r.edge = "";
	r.rule = "a thread blocked forever: Rust's Mutex::lock on a mutex the thread holds, or locks taken in "
		 "opposite orders on two threads, deadlock (std::sync::Mutex documents that it may panic or "
		 "deadlock)";
	lock();
	r.step = step_now();
	rl__probe_report_add(&r);
	unlock();
}

void rl__probe_site_text(const char *site, const void *pc, char *buf, size_t n)
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

/* ---- events ---- */

static void record(struct pthr *t, const rl_probe_ev *ev)
{
	g.events++;
	if (g.det && t->has_det) {
		if (ev->op == RL_PROBE_JOIN) {
			struct pthr *c = thread_by_handle(ev->addr, false);
			if (c && c->has_det)
				rl__det_join(g.det, &t->det, &c->det);
		} else {
			rl__det_event(g.det, &t->det, ev, ev->site ? ev->site : tls.site);
			/* After a release fence the thread's relaxed stores and RMWs
			 * carry its clock: no more lock-free atomics for it. */
			if (t->hot && t->det.has_frel)
				t->hot->atomics = false;
		}
	}
	if (g.cfg.trace) {
		if (ev->op == RL_PROBE_ALLOC)
			forget_ids(ev->addr, ev->wval);
		trace_add(t, ev, ev->op, ev_obj(ev));
		if (ev->op == RL_PROBE_FREE)
			forget_ids(ev->addr, ev->wval);
	} else if (ev->op == RL_PROBE_ALLOC || ev->op == RL_PROBE_FREE) {
		forget_ids(ev->addr, ev->wval);
	}
	if (g.sched)
		rl__sched_after(g.sched, &t->sch, ev);
}

/* ---- the lock-free paths (see the top of this file) ---- */

/*
 * The handshake's fences are asymmetric where the kernel allows: the hot side
 * (rl__probe_fast_begin(), every lock-free atomic op) needs only a compiler barrier
 * when the rare side (publish_guard(), once per location that gets a release
 * clock) makes membarrier(2) run a full memory barrier on every running thread
 * of the process (liburcu's urcu-memb does the same for its read side). That
 * barrier lands in the hot side's program order somewhere: after its
 * announcement, which is then visible to the scan, or before it, and then its
 * flag load comes after the flag store. Without MEMBARRIER_CMD_PRIVATE_EXPEDITED
 * both sides use a SeqCst fence. Return: whether membarrier(2) is in use.
 */
static bool membarrier_setup(void)
{
	static int state; /* 0 unknown, 1 registered, -1 unavailable; first attach, under the lock */
#ifdef RL_TSAN
	state = -1; /* TSan models SeqCst operations, not a barrier the kernel runs */
#endif
	if (!state) {
		long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
		state = cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
				syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0
			? 1
			: -1;
	}
	return state > 0;
}

/* Before the first release clock of @addr is created: raise its flag, then
 * wait until no thread has a lock-free op on @addr in flight. Lock held. */
static void publish_guard(const void *addr)
{
	/* Store buffering: a SeqCst store here and a SeqCst load of each
	 * announcement, against the SeqCst announcement and flag load of
	 * rl__probe_fast_begin(); or, with membarrier(2), a full barrier on every
	 * running thread between this store and the scan. Either way that
	 * thread sees the flag, or this one sees its announcement. */
	atomic_store_explicit(rl__probe_relflag_of(addr), 1, memory_order_seq_cst);
	if (g.membarrier && syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0)
		FATAL("membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) failed after registration");
	for (unsigned i = 0; i < g.nthr; i++) {
		struct rl__probe_hot *h = g.thr[i]->hot;
		/* SeqCst (the handshake above), and an acquire: pairs with the
		 * release in rl__probe_fast_end() that ends the announcement, so
		 * that op comes first in @addr's modification order. One memory
		 * op is all that thread has left to do, unless it was preempted
		 * in the middle: then let it run. */
		for (unsigned spins = 0; h && atomic_load_explicit(&h->inflight, memory_order_seq_cst) == addr; spins++) {
			if (spins < 1000)
				cpu_relax();
			else
				sched_yield();
		}
	}
}

/* An event under the lock that may create @ev->addr's release clock (a
 * release store or RMW, or any store or RMW after a release fence, an
 * unlock, an RCU publish or read unlock). Lock held. */
static void guard_if_publishing(struct pthr *t, const rl_probe_ev *ev)
{
	bool publishes;
	switch (ev->op) {
	case RL_PROBE_STORE:
	case RL_PROBE_RMW:
		publishes = rl__probe_releases(ev->order) || t->det.has_frel;
		break;
	case RL_PROBE_UNLOCK:
	case RL_PROBE_RCU_PUBLISH:
	case RL_PROBE_RCU_READ_UNLOCK:
		publishes = true;
		break;
	default:
		publishes = false;
		break;
	}
	if (publishes && ev->addr && !rl__det_sync_clock(g.det, ev->addr, false))
		publish_guard(ev->addr);
}

/* mutex_clock() when @c does not hold @addr's clock: look it up under the lock. */
static __attribute__((noinline)) struct rl__vc *mutex_clock_miss(struct scache *c, const void *addr, bool create)
{
	lock();
	if (create && !rl__det_sync_clock(g.det, addr, false))
		publish_guard(addr);
	struct rl__vc *vc = rl__det_sync_clock(g.det, addr, create);
	uint64_t gen = atomic_load_explicit(g.sync_gen, memory_order_relaxed);
	unlock();
	if (vc) {
		c->addr = addr;
		c->vc = vc;
		c->gen = gen;
	}
	return vc;
}

/* The clock of mutex @addr, from the thread's cache or, under the lock, from
 * the detector (created if @create). NULL: the mutex has no clock yet. */
static inline struct rl__vc *mutex_clock(struct pthr *t, const void *addr, bool create)
{
	struct scache *c = &t->sc[((uintptr_t)addr >> 3) % SCACHE_N];
	if (RL_LIKELY(c->addr == addr && c->vc && c->gen == atomic_load_explicit(g.sync_gen, memory_order_relaxed)))
		return c->vc;
	return mutex_clock_miss(c, addr, create);
}

/* A lock-free path for @ev, taken at enter; false: take the lock. */
static bool fast_enter(struct pthr *t, rl_probe_ev *ev)
{
	switch (ev->op) {
	case RL_PROBE_LOAD:
	case RL_PROBE_STORE:
	case RL_PROBE_RMW:
		return rl__probe_fast_begin(ev->addr, ev->order);
	case RL_PROBE_LOCK:
	case RL_PROBE_TRYLOCK:
		return true; /* the acquire is at exit, once the mutex is held */
	case RL_PROBE_UNLOCK:
		/* Still holding the mutex: release into its clock before the
		 * unlock, whose release carries this to the next holder. */
		rl__det_release_clock(&t->det, mutex_clock(t, ev->addr, true));
		return true;
	default:
		return false;
	}
}

static void fast_exit(struct pthr *t, const rl_probe_ev *ev)
{
	switch (ev->op) {
	case RL_PROBE_LOCK:
	case RL_PROBE_TRYLOCK:
		if (!(ev->flags & RL_PROBE_F_FAILED)) {
			/* Holding the mutex now: its lock's acquire has ordered
			 * the last holder's release_clock() before this. */
			struct rl__vc *vc = mutex_clock(t, ev->addr, false);
			if (vc)
				rl__det_acquire_clock(&t->det, vc);
		}
		break;
	case RL_PROBE_UNLOCK:
		break;
	default:
		rl__probe_fast_end(); /* counts the event */
		return;
	}
	_Atomic uint64_t *n = t->hot ? &t->hot->nfast : &t->nfast;
	atomic_store_explicit(n, atomic_load_explicit(n, memory_order_relaxed) + 1, memory_order_relaxed);
}

static __attribute__((noinline)) int enter_slow(struct pthr *t, rl_probe_ev *ev);
static __attribute__((noinline)) void exit_slow(rl_probe_ev *ev);

int rl__probe_enter(rl_probe_ev *ev)
{
	ev->priv = 0;
	/* Acquire: pairs with the release in rl_probe_attach(). */
	if (!atomic_load_explicit(&g.attached, memory_order_acquire))
		return RL_OK;
	struct pthr *t = self();
	if (!t)
		return RL_OK;
	if (t->fast) {
		if (ev->op == RL_PROBE_READ || ev->op == RL_PROBE_WRITE) {
			/* Only the detector's part of record() applies: no
			 * scheduler, no trace. */
			lock();
			ev->priv = PRIV_ENTERED | PRIV_LOCKED | PRIV_PLAIN;
			return RL_OK;
		}
		if (fast_enter(t, ev)) {
			ev->priv = PRIV_ENTERED | PRIV_FAST;
			return RL_OK;
		}
	}
	return enter_slow(t, ev);
}

/* rl__probe_enter() under the lock (or the scheduler's blocking ops). */
static int enter_slow(struct pthr *t, rl_probe_ev *ev)
{
	if (g.sched && is_sched_point(ev->op)) {
		int rc = rl__sched_point(g.sched, &t->sch, ev);
		if (rc != RL_OK)
			return rc;
	}
	if (!is_blocking(ev->op)) {
		lock();
		ev->priv = PRIV_LOCKED;
		if (t->fast)
			guard_if_publishing(t, ev);
	}
	ev->priv |= PRIV_ENTERED;
	return RL_OK;
}

void rl__probe_exit(rl_probe_ev *ev)
{
	if (!(ev->priv & PRIV_ENTERED))
		return;
	if (ev->priv & PRIV_FAST) {
		fast_exit(tls.t, ev);
		ev->priv = 0;
		return;
	}
	if (ev->priv & PRIV_PLAIN) {
		g.events++;
		rl__det_event(g.det, &tls.t->det, ev, ev->site ? ev->site : tls.site);
		unlock();
		ev->priv = 0;
		return;
	}
	exit_slow(ev);
}

static void exit_slow(rl_probe_ev *ev)
{
	if (!(ev->priv & PRIV_LOCKED))
		lock();
	record(tls.t, ev);
	unlock();
	ev->priv = 0;
}

static int probe_spawn(rl_probe_ev *ev)
{
	struct pthr *t = self();
	if (!t)
		return RL_OK;
	if (g.sched)
		rl__sched_point(g.sched, &t->sch, ev); /* not blocking: always RL_OK */
	lock();
	g.events++;
	struct pthr *c = new_thread(ev->addr, ev->kind, t);
	if (g.sched && rl__sched_add(g.sched, &c->sch) != RL_OK)
		FATAL("out of memory registering a thread");
	if (g.cfg.trace)
		trace_add(t, ev, RL_PROBE_SPAWN, c->tid);
	unlock();
	return RL_OK;
}

static int probe_spawn_failed(rl_probe_ev *ev)
{
	lock();
	struct pthr *c = thread_by_handle(ev->addr, true);
	if (c) {
		c->exited = true;
		c->started = true;
		if (g.sched)
			rl__sched_cancel(g.sched, &c->sch);
	}
	unlock();
	return RL_OK;
}

static int probe_start(rl_probe_ev *ev)
{
	uint64_t session = atomic_load_explicit(&rl__probe_session, memory_order_relaxed);
	lock();
	struct pthr *c = thread_by_handle(ev->addr, true);
	if (c) {
		c->started = true;
		tls.session = session;
		tls.t = c;
		hot_attach(c, session);
	}
	unlock();
	if (!c) {
		register_foreign(session);
		return RL_OK;
	}
	if (g.sched)
		rl__sched_start(g.sched, &c->sch);
	lock();
	g.events++;
	if (g.cfg.trace)
		trace_add(c, ev, RL_PROBE_START, c->tid);
	unlock();
	return RL_OK;
}

static int probe_exit(rl_probe_ev *ev)
{
	struct pthr *t = self();
	if (!t)
		return RL_OK;
	lock();
	g.events++;
	if (g.cfg.trace)
		trace_add(t, ev, RL_PROBE_EXIT, t->tid);
	t->exited = true;
	hot_detach(t);
	unlock();
	if (g.sched)
		rl__sched_exit(g.sched, &t->sch);
	return RL_OK;
}

int rl__probe(rl_probe_ev *ev)
{
	ev->priv = 0;
	if (!atomic_load_explicit(&g.attached, memory_order_acquire))
		return RL_OK;
	switch (ev->op) {
	case RL_PROBE_SPAWN:
		return probe_spawn(ev);
	case RL_PROBE_SPAWN_FAILED:
		return probe_spawn_failed(ev);
	case RL_PROBE_START:
		return probe_start(ev);
	case RL_PROBE_EXIT:
		return probe_exit(ev);
	default: {
		int rc = rl__probe_enter(ev);
		if (rc != RL_OK)
			return rc;
		rl__probe_exit(ev);
		return RL_OK;
	}
	}
}

const char *rl_probe_site_set(const char *site)
{
	const char *old = tls.site;
	tls.site = site;
	return old;
}

/* ---- sessions ---- */

static void free_results(void)
{
	for (size_t i = 0; i < g.nrep; i++)
		free(g.rep[i].text);
	free(g.rep);
	free(g.trace);
	free(g.names);
	g.rep = NULL;
	g.nrep = g.caprep = 0;
	g.trace = NULL;
	g.ntrace = g.captrace = 0;
	g.trace_dropped = 0;
	g.names = NULL;
	g.nnames = 0;
	memset(&g.stats, 0, sizeof(g.stats));
}

static void free_engines(void)
{
	rl__sched_free(g.sched);
	g.sched = NULL;
	for (unsigned i = 0; i < g.nthr; i++) {
		if (g.thr[i]->has_det)
			rl__det_thread_fini(&g.thr[i]->det);
		free(g.thr[i]);
	}
	free(g.thr);
	g.thr = NULL;
	g.nthr = g.capthr = 0;
	rl__det_free(g.det);
	g.det = NULL;
	rl__amap_free(&g.ids);
	g.next_id = 0;
}

int rl_probe_attach(const rl_probe_config *cfg)
{
	if (!cfg || (unsigned)cfg->schedule > RL_SCHEDULE_PCT)
		return RL_EINVAL;
	bool serial = cfg->schedule == RL_SCHEDULE_RANDOM || cfg->schedule == RL_SCHEDULE_PCT; /* not DEFAULT, OS */
	if (!cfg->detect && !serial && !cfg->trace)
		return RL_EINVAL;
	lock();
	if (atomic_load_explicit(&g.attached, memory_order_relaxed)) {
		unlock();
		return RL_EBUSY;
	}
	free_results();
	g.cfg = *cfg;
	g.trace_limit = cfg->trace_limit ? cfg->trace_limit : (size_t)1 << 20;
	g.events = 0;
	g.lockfree = 0;
	g.thread_limit = false;
	g.fast = cfg->detect && !serial && !cfg->trace;
	g.membarrier = g.fast && membarrier_setup();
	for (size_t i = 0; i < sizeof(rl__probe_relflag); i++)
		atomic_store_explicit(&rl__probe_relflag[i], 0, memory_order_relaxed);
	if (cfg->detect && !(g.det = rl__det_new(cfg->history))) {
		unlock();
		return RL_ENOMEM;
	}
	g.sync_gen = g.det ? rl__det_sync_gen(g.det) : NULL;
	uint64_t session = atomic_load_explicit(&rl__probe_session, memory_order_relaxed) + 1;
	atomic_store_explicit(&rl__probe_session, session, memory_order_relaxed);
	struct pthr *t0 = new_thread(NULL, cfg->main_name ? cfg->main_name : rl_thread_name(), NULL);
	t0->started = true;
	if (serial && !(g.sched = rl__sched_new(cfg, &t0->sch))) {
		free_engines();
		unlock();
		return RL_ENOMEM;
	}
	tls.session = session;
	tls.t = t0;
	hot_attach(t0, session);
	g.stats.schedule = cfg->schedule;
	g.stats.seed = cfg->seed;
	rl__probe_active = 1;
	/* Release: pairs with the acquire in rl__probe_enter(). */
	atomic_store_explicit(&g.attached, true, memory_order_release);
	unlock();
	return RL_OK;
}

bool rl_probe_attached(void)
{
	return atomic_load_explicit(&g.attached, memory_order_acquire);
}

static void fill_stats(rl_probe_stats *s)
{
	s->events = events_now();
	s->lockfree_events = lockfree_now();
	s->steps = g.sched ? rl__sched_steps(g.sched) : 0;
	s->switches = g.sched ? rl__sched_switches(g.sched) : 0;
	s->races = 0;
	for (size_t i = 0; i < g.nrep; i++)
		s->races += g.rep[i].kind == RL_REPORT_RACE;
	s->race_events = g.det ? rl__det_race_events(g.det) : 0;
	s->locations = g.det ? rl__det_locations(g.det) : 0;
	s->threads = g.nthr;
	s->deadlock = g.sched && rl__sched_deadlocked(g.sched);
	s->step_limit = g.sched && rl__sched_step_limited(g.sched);
	s->thread_limit = g.thread_limit;
	s->schedule = g.cfg.schedule;
	s->seed = g.cfg.seed;
	s->trace_len = g.ntrace;
	s->trace_dropped = g.trace_dropped;
}

int rl_probe_detach(void)
{
	lock();
	if (!atomic_load_explicit(&g.attached, memory_order_relaxed) ||
	    tls.session != atomic_load_explicit(&rl__probe_session, memory_order_relaxed) || !g.nthr ||
	    tls.t != g.thr[0]) {
		unlock();
		return RL_EINVAL;
	}
	for (unsigned i = 1; i < g.nthr; i++) {
		if (!g.thr[i]->foreign && !g.thr[i]->exited) {
			unlock();
			return RL_EBUSY;
		}
	}
	rl__probe_active = 0;
	atomic_store_explicit(&g.attached, false, memory_order_release);
	fill_stats(&g.stats);
	hot_detach(tls.t);
	g.fast = false;
	g.names = calloc(g.nthr ? g.nthr : 1, sizeof(*g.names));
	if (g.names) {
		g.nnames = g.nthr;
		for (unsigned i = 0; i < g.nthr; i++)
			memcpy(g.names[i], g.thr[i]->name, NAME_LEN);
	}
	free_engines();
	atomic_store_explicit(&rl__probe_session, atomic_load_explicit(&rl__probe_session, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	tls.t = NULL;
	unlock();
	return RL_OK;
}

void rl_probe_reset(void)
{
	lock();
	if (!atomic_load_explicit(&g.attached, memory_order_relaxed))
		free_results();
	unlock();
}

/* ---- results ---- */

void rl_probe_get_stats(rl_probe_stats *out)
{
	lock();
	if (atomic_load_explicit(&g.attached, memory_order_relaxed))
		fill_stats(out);
	else
		*out = g.stats;
	unlock();
}

size_t rl_probe_report_count(void) { return g.nrep; }

const rl_probe_report *rl_probe_report_at(size_t i)
{
	return i < g.nrep ? &g.rep[i] : NULL;
}

size_t rl_probe_trace_len(void) { return g.ntrace; }

const rl_probe_trace_rec *rl_probe_trace_at(size_t i)
{
	return i < g.ntrace ? &g.trace[i] : NULL;
}

const char *rl_probe_thread_name(unsigned tid)
{
	if (atomic_load_explicit(&g.attached, memory_order_relaxed))
		return tid < g.nthr ? g.thr[tid]->name : "?";
	return tid < g.nnames ? g.names[tid] : "?";
}

static const char *order_name(unsigned mo)
{
	switch (mo) {
	case memory_order_relaxed: return "relaxed";
	case memory_order_consume: return "consume";
	case memory_order_acquire: return "acquire";
	case memory_order_release: return "release";
	case memory_order_acq_rel: return "acq_rel";
	case memory_order_seq_cst: return "seq_cst";
	default: return "?";
	}
}

static const char *op_verb(unsigned op)
{
	static const char *const verbs[RL_PROBE_OP_COUNT] = {
		[RL_PROBE_READ] = "read",
		[RL_PROBE_WRITE] = "write",
		[RL_PROBE_LOAD] = "load",
		[RL_PROBE_STORE] = "store",
		[RL_PROBE_RMW] = "rmw",
		[RL_PROBE_FENCE] = "fence",
		[RL_PROBE_LOCK] = "lock",
		[RL_PROBE_TRYLOCK] = "try_lock",
		[RL_PROBE_UNLOCK] = "unlock",
		[RL_PROBE_RCU_READ_LOCK] = "rcu_read_lock",
		[RL_PROBE_RCU_READ_UNLOCK] = "rcu_read_unlock",
		[RL_PROBE_RCU_PUBLISH] = "rcu_publish",
		[RL_PROBE_RCU_DEREF] = "rcu_dereference",
		[RL_PROBE_RCU_SYNC] = "synchronize_rcu",
		[RL_PROBE_SPAWN] = "spawn",
		[RL_PROBE_SPAWN_FAILED] = "spawn failed",
		[RL_PROBE_START] = "start",
		[RL_PROBE_EXIT] = "exit",
		[RL_PROBE_JOIN] = "join",
		[RL_PROBE_YIELD] = "yield",
		[RL_PROBE_ALLOC] = "alloc",
		[RL_PROBE_FREE] = "free",
		[RL_PROBE_BLOCKED] = "blocked",
	};
	return op < RL_PROBE_OP_COUNT && verbs[op] ? verbs[op] : "?";
}

static void fmt_val(char *buf, size_t n, uint16_t flags, uint64_t v)
{
	if (flags & RL_PROBE_F_PTR) {
		if (v)
			snprintf(buf, n, "#%" PRIu64, v);
		else
			snprintf(buf, n, "NULL");
	} else if (flags & RL_PROBE_F_SIGNED) {
		snprintf(buf, n, "%" PRId64, (int64_t)v);
	} else {
		snprintf(buf, n, "%" PRIu64, v);
	}
}

int rl_probe_trace_format(const rl_probe_trace_rec *r, char *buf, size_t n)
{
	char act[48], obj[96], val[64], a[24], b[24];
	unsigned op = r->op, real = op == RL_PROBE_BLOCKED ? r->order : op;
	bool failed = r->flags & RL_PROBE_F_FAILED;

	switch (op) {
	case RL_PROBE_LOAD:
	case RL_PROBE_STORE:
	case RL_PROBE_FENCE:
		snprintf(act, sizeof(act), "%s %s", op_verb(op), order_name(r->order));
		break;
	case RL_PROBE_RMW:
		snprintf(act, sizeof(act), "%s %s", failed ? "cas-fail" : "rmw", order_name(r->order));
		break;
	case RL_PROBE_TRYLOCK:
		snprintf(act, sizeof(act), "%s", failed ? "try_lock failed" : "try_lock");
		break;
	case RL_PROBE_BLOCKED:
		snprintf(act, sizeof(act), "blocked: %s", op_verb(real));
		break;
	default:
		snprintf(act, sizeof(act), "%s", op_verb(op));
		break;
	}

	if (is_thread_op(real))
		snprintf(obj, sizeof(obj), "T%u '%s'", r->obj_id, rl_probe_thread_name(r->obj_id));
	else if (r->obj_id)
		snprintf(obj, sizeof(obj), "%s #%u", r->kind ? r->kind : "object", r->obj_id);
	else
		obj[0] = 0;

	val[0] = 0;
	switch (op) {
	case RL_PROBE_READ:
	case RL_PROBE_LOAD:
	case RL_PROBE_RCU_DEREF:
		fmt_val(a, sizeof(a), r->flags, r->rval);
		snprintf(val, sizeof(val), " = %s", a);
		break;
	case RL_PROBE_WRITE:
	case RL_PROBE_STORE:
	case RL_PROBE_RCU_PUBLISH:
		fmt_val(a, sizeof(a), r->flags, r->wval);
		snprintf(val, sizeof(val), " := %s", a);
		break;
	case RL_PROBE_RMW:
		fmt_val(a, sizeof(a), r->flags, r->rval);
		if (failed) {
			snprintf(val, sizeof(val), " = %s", a);
		} else {
			fmt_val(b, sizeof(b), r->flags, r->wval);
			snprintf(val, sizeof(val), " %s -> %s", a, b);
		}
		break;
	default:
		break;
	}

	char who[48];
	snprintf(who, sizeof(who), "T%u %s", r->tid, rl_probe_thread_name(r->tid));
	return snprintf(buf, n, "%6" PRIu64 "  %-16s  %-20s %-18s %s%s", r->step, who, r->name ? r->name : "-", act,
			obj, val);
}

int rl_probe_trace_print(FILE *f)
{
	char line[512];
	for (size_t i = 0; i < g.ntrace; i++) {
		rl_probe_trace_format(&g.trace[i], line, sizeof(line));
		/* Trailing blanks of an empty object column would make diffs noisy. */
		size_t len = strlen(line);
		while (len && line[len - 1] == ' ')
			line[--len] = 0;
		if (fprintf(f, "%s\n", line) < 0)
			return -1;
	}
	if (g.trace_dropped && fprintf(f, "(%" PRIu64 " more records not kept)\n", g.trace_dropped) < 0)
		return -1;
	return 0;
}

/* ---- PCT's bound ---- */

double rl_probe_pct_runs(unsigned n, uint64_t k, unsigned d, double eps)
{
	if (!n || !k || !d || !(eps > 0) || !(eps < 1))
		return 0;
	return (double)n * pow((double)k, (double)(d - 1)) * log(1 / eps);
}

double rl_probe_pct_miss(unsigned n, uint64_t k, unsigned d, uint64_t runs)
{
	if (!n || !k || !d)
		return 1;
	double p = 1 / ((double)n * pow((double)k, (double)(d - 1)));
	if (p >= 1)
		return runs ? 0 : 1;
	return exp((double)runs * log1p(-p));
}
