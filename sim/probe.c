/* probe.c — the probe layer: probed threads and their events.
 *
 * Owns: the record of every probed thread, the event entry points
 * (rl__probe_enter/exit, rl__probe) and the lock-free paths. It routes each
 * event to the detector (detect.c) and the scheduler (sched.c), which call
 * down into results.c and trace.c, never back here. Sessions (attach, detach,
 * stats) are session.c's; the state both share is probe_internal.h's.
 *
 * Locking: the detector lock rl__sim_lock (dlock.h) protects the detector, the thread
 * registry, object numbers, the trace and the reports. rl__probe_enter() takes
 * it after the scheduling point and rl__probe_exit() drops it, so an event and
 * the memory operation it describes are one atomic step, also with threads
 * running in parallel (detector-only sessions). Blocking operations are the
 * exception: the lock is only taken at their exit. The scheduler's state needs
 * no lock (see sched.c). Never wait for the baton while holding rl__sim_lock: the
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

#include <inttypes.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <racelab/hooks.h>
#include <racelab/status.h>
#include <racelab/thread.h>

#include "core/fiber.h"
#include "detect.h"
#include "dlock.h"
#include "results.h"
#include "probe_internal.h"
#include "scheduler.h"


#define PRIV_ENTERED 0x1u
#define PRIV_LOCKED 0x2u
#define PRIV_FAST 0x4u  /* a lock-free event (see "Lock-free paths") */
#define PRIV_PLAIN 0x8u /* a plain access in a detector-only session: the lock, the detector, nothing else */

/* probe.h's lock-free atomic path. The session number is bumped by attach and
 * detach, so stale thread-locals never match. The flags are read on every
 * lock-free atomic op and written once per location that gets a release
 * clock: their own cache lines. */
RL__THREAD_LOCAL struct rl__probe_hot rl__probe_hot_tls __attribute__((tls_model("initial-exec")));
_Alignas(64) _Atomic uint64_t rl__probe_session;

/* The lock word (rl__sim_lock), which waiters poll, the event counter, which
 * its holder writes, and the read-mostly fields each have a cache line:
 * neither polling nor reading the configuration takes a line from the holder
 * in the middle of an event. */
_Alignas(RL_CACHE_LINE) struct rl__dlock rl__sim_lock;
struct probe_session rl__sess;
RL__THREAD_LOCAL struct probe_tls rl__ptls;

/* The thread's session record follows an rl thread that runs as a fiber
 * (core/fiber.h). rl__probe_hot_tls does not: a model session traces, so
 * the lock-free paths it serves are off there (session.c). */
static void *ptls_addr(void) { return &rl__ptls; }
__attribute__((constructor)) static void register_fiber_tls(void) { rl__fiber_tls(ptls_addr, sizeof(rl__ptls)); }
_Alignas(64) _Atomic uint8_t rl__probe_relflag[1u << RL__PROBE_RELFLAG_BITS];

void (*rl__probe_observer)(unsigned tid, const rl_probe_ev *ev);

static bool is_blocking(unsigned op)
{
	return op == RL_PROBE_LOCK || op == RL_PROBE_JOIN || op == RL_PROBE_RCU_SYNC || op == RL_PROBE_WAIT;
}

static bool is_sched_point(unsigned op)
{
	return op != RL_PROBE_SPAWN_FAILED && op != RL_PROBE_START && op != RL_PROBE_EXIT && op != RL_PROBE_ALLOC &&
	       op != RL_PROBE_FREE;
}

/* ---- threads ---- */

struct pthr *rl__probe_new_thread(const void *handle, const char *name, struct pthr *parent)
{
	if (rl__sess.nthr == rl__sess.capthr) {
		unsigned ncap = rl__sess.capthr ? rl__sess.capthr * 2 : 16;
		struct pthr **t = realloc(rl__sess.thr, ncap * sizeof(*t));
		if (!t)
			RL_FATAL("out of memory registering a thread");
		rl__sess.thr = t;
		rl__sess.capthr = ncap;
	}
	struct pthr *t = calloc(1, sizeof(*t));
	if (!t)
		RL_FATAL("out of memory registering a thread");
	t->tid = rl__sess.nthr;
	t->handle = handle;
	if (name && *name)
		snprintf(t->name, sizeof(t->name), "%s", name);
	else
		snprintf(t->name, sizeof(t->name), "thread-%u", t->tid);
	if (rl__sess.det) {
		if (t->tid < RL_PROBE_MAX_THREADS) {
			t->has_det = true;
			t->fast = rl__sess.fast;
			rl__det_thread_init(rl__sess.det, &t->det, t->tid, t->name,
					    parent && parent->has_det ? &parent->det : NULL);
		} else if (!rl__sess.unchecked_from) {
			rl__sess.unchecked_from = t->tid;
			rl__report_unchecked(t->tid, t->name);
		}
	}
	t->sch.tid = t->tid;
	t->sch.name = t->name;
	t->sch.handle = handle;
	rl__sess.thr[rl__sess.nthr++] = t;
	return t;
}

/* The latest thread spawned as @handle; @unstarted: only one that has not started. */
static struct pthr *thread_by_handle(const void *handle, bool unstarted)
{
	if (!handle)
		return NULL;
	for (unsigned i = rl__sess.nthr; i-- > 0;)
		if (rl__sess.thr[i]->handle == handle && !(unstarted && rl__sess.thr[i]->started))
			return rl__sess.thr[i];
	return NULL;
}

static struct pthr *register_foreign(uint64_t session)
{
	lock();
	if (rl__sess.sched) {
		unlock();
		RL_FATAL("probe on thread '%s', which the deterministic scheduler did not start (spawn probed "
		      "threads with rl_thread_spawn while attached)",
		      rl_thread_name());
	}
	struct pthr *t = rl__probe_new_thread(NULL, rl_thread_name(), NULL);
	t->foreign = t->started = true;
	unlock();
	rl__ptls.session = session;
	rl__ptls.t = t;
	return t;
}

/* Give @t (the calling thread) the lock-free paths, if the session has them. Lock held. */
void rl__probe_hot_attach(struct pthr *t, uint64_t session)
{
	if (!rl__sess.fast || !t->has_det)
		return;
	struct rl__probe_hot *h = &rl__probe_hot_tls;
	atomic_store_explicit(&h->inflight, NULL, memory_order_relaxed);
	atomic_store_explicit(&h->nfast, 0, memory_order_relaxed);
	h->atomics = true;
	h->membarrier = rl__sess.membarrier;
	h->session = session;
	t->hot = h;
}

/* @t (the calling thread) stops using them: its count joins rl__sess.lockfree. Lock held. */
void rl__probe_hot_detach(struct pthr *t)
{
	if (!t->hot)
		return;
	rl__sess.lockfree += atomic_load_explicit(&t->hot->nfast, memory_order_relaxed);
	t->hot->atomics = false;
	t->hot = NULL;
}

static inline struct pthr *self(void)
{
	uint64_t s = atomic_load_explicit(&rl__probe_session, memory_order_relaxed);
	if (RL_LIKELY(rl__ptls.session == s))
		return rl__ptls.t;
	return register_foreign(s);
}

struct rl__det_thr *rl__probe_det_self(void)
{
	struct pthr *t = rl__ptls.t;
	return rl__sess.det && t && rl__ptls.session == atomic_load_explicit(&rl__probe_session, memory_order_relaxed) &&
			       t->has_det
		       ? &t->det
		       : NULL;
}

/* ---- trace ---- */

/* Events handled without the detector lock so far. Lock held. */
uint64_t rl__probe_lockfree_now(void)
{
	uint64_t n = rl__sess.lockfree;
	if (rl__sess.fast)
		for (unsigned i = 0; i < rl__sess.nthr; i++) {
			n += atomic_load_explicit(&rl__sess.thr[i]->nfast, memory_order_relaxed);
			if (rl__sess.thr[i]->hot)
				n += atomic_load_explicit(&rl__sess.thr[i]->hot->nfast, memory_order_relaxed);
		}
	return n;
}

/* Events so far: those counted under the lock and the lock-free ones. Lock held. */
uint64_t rl__probe_events_now(void)
{
	return rl__sess.events + rl__probe_lockfree_now();
}

uint64_t rl__probe_step_now(void)
{
	return rl__sess.sched ? rl__sched_steps(rl__sess.sched) : rl__probe_events_now();
}

static uint32_t ev_obj(const rl_probe_ev *ev)
{
	if (ev->op == RL_PROBE_JOIN || ev->op == RL_PROBE_SPAWN) {
		const struct pthr *c = thread_by_handle(ev->addr, false);
		return c ? c->tid : 0;
	}
	return ev->addr ? rl__obj_id(ev->addr) : 0;
}

/* ---- events ---- */

/* Without a scheduler: the locks @t holds and its registration as blocked
 * (deadlock.c). Lock held. */
static void det_after(struct pthr *t, const rl_probe_ev *ev)
{
	switch (ev->op) {
	case RL_PROBE_LOCK:
		rl__probe_held_push(t, ev);
		break;
	case RL_PROBE_TRYLOCK:
		if (!(ev->flags & RL_PROBE_F_FAILED))
			rl__probe_held_push(t, ev);
		break;
	case RL_PROBE_UNLOCK:
		rl__probe_held_drop(t, ev->addr);
		break;
	default:
		break;
	}
	if (t->blk && (ev->op == RL_PROBE_LOCK || ev->op == RL_PROBE_JOIN))
		rl__probe_det_unblock_locked(t);
}

static void record(struct pthr *t, rl_probe_ev *ev)
{
	rl__sess.events++;
	/* A NOTIFY's sleepers are picked first: the trace shows how many woke. */
	if (rl__sess.sched && ev->op == RL_PROBE_NOTIFY)
		rl__sched_after(rl__sess.sched, &t->sch, ev);
	/* Scheduled or traced: objects numbered at first appearance, traced or not. */
	bool number = rl__sess.cfg.trace || rl__sess.sched;
	uint64_t rv, wv;
	if (number && ev->op == RL_PROBE_ALLOC)
		rl__obj_forget(ev->addr, ev->wval);
	uint32_t obj = number ? ev_obj(ev) : 0;
	if (number)
		rl__obj_number_values(ev, &rv, &wv);
	if (rl__sess.det && t->has_det) {
		if (ev->op == RL_PROBE_JOIN) {
			struct pthr *c = thread_by_handle(ev->addr, false);
			if (c && c->has_det)
				rl__det_join(rl__sess.det, &t->det, &c->det);
		} else {
			rl__det_event(rl__sess.det, &t->det, ev, ev->site ? ev->site : rl__ptls.site);
			/* After a release fence the thread's relaxed stores and RMWs
			 * carry its clock: no more lock-free atomics for it. */
			if (t->hot && t->det.has_frel)
				t->hot->atomics = false;
		}
	}
	if (rl__sess.cfg.trace)
		rl__trace_add(t->tid, ev, ev->op, obj, rl__probe_step_now());
	if (number ? ev->op == RL_PROBE_FREE : ev->op == RL_PROBE_ALLOC || ev->op == RL_PROBE_FREE)
		rl__obj_forget(ev->addr, ev->wval);
	if (rl__sess.sched && ev->op != RL_PROBE_NOTIFY)
		rl__sched_after(rl__sess.sched, &t->sch, ev);
	else if (!rl__sess.sched)
		det_after(t, ev);
	if (rl__probe_observer)
		rl__probe_observer(t->tid, ev);
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
bool rl__probe_membarrier_setup(void)
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
	if (rl__sess.membarrier && syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0)
		RL_FATAL("membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) failed after registration");
	for (unsigned i = 0; i < rl__sess.nthr; i++) {
		struct rl__probe_hot *h = rl__sess.thr[i]->hot;
		/* SeqCst (the handshake above), and an acquire: pairs with the
		 * release in rl__probe_fast_end() that ends the announcement, so
		 * that op comes first in @addr's modification order. One memory
		 * op is all that thread has left to do, unless it was preempted
		 * in the middle: then let it run. */
		struct rl_backoff b = RL_BACKOFF_INIT(1, 1000);
		while (h && atomic_load_explicit(&h->inflight, memory_order_seq_cst) == addr)
			rl_backoff_spin(&b);
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
	case RL_PROBE_NOTIFY:
		publishes = true;
		break;
	default:
		publishes = false;
		break;
	}
	if (publishes && ev->addr && !rl__det_sync_clock(rl__sess.det, ev->addr, false))
		publish_guard(ev->addr);
}

/* mutex_clock() when @c does not hold @addr's clock: look it up under the lock. */
static __attribute__((noinline)) struct rl__vc *mutex_clock_miss(struct scache *c, const void *addr, bool create)
{
	lock();
	if (create && !rl__det_sync_clock(rl__sess.det, addr, false))
		publish_guard(addr);
	struct rl__vc *vc = rl__det_sync_clock(rl__sess.det, addr, create);
	uint64_t gen = atomic_load_explicit(rl__sess.sync_gen, memory_order_relaxed);
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
	if (RL_LIKELY(c->addr == addr && c->vc && c->gen == atomic_load_explicit(rl__sess.sync_gen, memory_order_relaxed)))
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
			/* Leave the blocked threads first: a registered thread
			 * listed as this mutex's holder would look stuck on itself. */
			if (t->blk) {
				lock();
				rl__probe_det_unblock_locked(t);
				unlock();
			}
			rl__probe_held_push(t, ev);
			/* Holding the mutex now: its lock's acquire has ordered
			 * the last holder's release_clock() before this. */
			struct rl__vc *vc = mutex_clock(t, ev->addr, false);
			if (vc)
				rl__det_acquire_clock(&t->det, vc);
		}
		break;
	case RL_PROBE_UNLOCK:
		rl__probe_held_drop(t, ev->addr);
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
	if (!atomic_load_explicit(&rl__sess.attached, memory_order_acquire))
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
	if (rl__sess.sched && is_sched_point(ev->op) && !(ev->flags & RL_PROBE_F_NOSCHED)) {
		int rc = rl__sched_point(rl__sess.sched, &t->sch, ev);
		if (rc != RL_OK)
			return rc;
	}
	if (!is_blocking(ev->op)) {
		lock();
		ev->priv = PRIV_LOCKED;
		if (t->fast)
			guard_if_publishing(t, ev);
	} else if (!rl__sess.sched && ev->op == RL_PROBE_JOIN) {
		rl__probe_det_block(t, ev); /* until its exit */
	}
	ev->priv |= PRIV_ENTERED;
	return RL_OK;
}

void rl__probe_exit(rl_probe_ev *ev)
{
	if (!(ev->priv & PRIV_ENTERED))
		return;
	if (ev->priv & PRIV_FAST) {
		fast_exit(rl__ptls.t, ev);
		ev->priv = 0;
		return;
	}
	if (ev->priv & PRIV_PLAIN) {
		rl__sess.events++;
		rl__det_event(rl__sess.det, &rl__ptls.t->det, ev, ev->site ? ev->site : rl__ptls.site);
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
	record(rl__ptls.t, ev);
	unlock();
	ev->priv = 0;
}

static int probe_spawn(rl_probe_ev *ev)
{
	struct pthr *t = self();
	if (!t)
		return RL_OK;
	if (rl__sess.sched)
		rl__sched_point(rl__sess.sched, &t->sch, ev); /* not blocking: always RL_OK */
	lock();
	rl__sess.events++;
	struct pthr *c = rl__probe_new_thread(ev->addr, ev->kind, t);
	if (rl__sess.sched && rl__sched_add(rl__sess.sched, &c->sch) != RL_OK)
		RL_FATAL("out of memory registering a thread");
	if (rl__sess.cfg.trace)
		rl__trace_add(t->tid, ev, RL_PROBE_SPAWN, c->tid, rl__probe_step_now());
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
		if (rl__sess.sched)
			rl__sched_cancel(rl__sess.sched, &c->sch);
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
		rl__ptls.session = session;
		rl__ptls.t = c;
		rl__probe_hot_attach(c, session);
	}
	unlock();
	if (!c) {
		register_foreign(session);
		return RL_OK;
	}
	if (rl__sess.sched)
		rl__sched_start(rl__sess.sched, &c->sch);
	lock();
	rl__sess.events++;
	if (rl__sess.cfg.trace)
		rl__trace_add(c->tid, ev, RL_PROBE_START, c->tid, rl__probe_step_now());
	unlock();
	return RL_OK;
}

static int probe_exit(rl_probe_ev *ev)
{
	struct pthr *t = self();
	if (!t)
		return RL_OK;
	lock();
	rl__sess.events++;
	if (rl__sess.cfg.trace)
		rl__trace_add(t->tid, ev, RL_PROBE_EXIT, t->tid, rl__probe_step_now());
	t->exited = true;
	rl__probe_hot_detach(t);
	unlock();
	if (rl__sess.sched)
		rl__sched_exit(rl__sess.sched, &t->sch);
	else
		rl__probe_det_exit();
	return RL_OK;
}

/* WAIT (probe.h): modelled by the scheduler, slept here without one. */
static int probe_wait(rl_probe_ev *ev)
{
	struct pthr *t = self();
	if (!t)
		return RL_OK;
	int rc;
	if (rl__sess.sched) {
		rc = rl__sched_point(rl__sess.sched, &t->sch, ev);
		/* Released (a deadlock or the step limit): threads run freely,
		 * the caller sleeps on its futex as without probes. */
		if (rc == RL_OK && rl__sched_released(rl__sess.sched))
			return RL_OK;
	} else if (ev->flags & RL_PROBE_F_TIMED) {
		return RL_OK; /* the caller's own timed sleep: it ends by itself */
	} else {
		rc = rl__probe_det_wait(t, ev);
	}
	ev->flags |= RL_PROBE_F_WAITED;
	if (rc == RL_EDEADLK)
		return rc;
	lock();
	record(t, ev);
	unlock();
	return rc;
}

int rl__probe(rl_probe_ev *ev)
{
	ev->priv = 0;
	if (!atomic_load_explicit(&rl__sess.attached, memory_order_acquire))
		return RL_OK;
	switch (ev->op) {
	case RL_PROBE_WAIT:
		return probe_wait(ev);
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
	const char *old = rl__ptls.site;
	rl__ptls.site = site;
	return old;
}

