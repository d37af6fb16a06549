/* probe.h — the one hook every shared-memory operation of racelab's primitives
 * goes through, and the engines behind it: a happens-before race detector
 * (vector clocks + FastTrack epochs) and a deterministic, seed-replayable
 * scheduler (random and PCT).
 *
 * Fast paths never call a probe: they test rl__probe_active (hooks.h) with one
 * predictable branch and take their slow path when it is set. A slow path
 * describes each memory operation with an rl_probe_ev and brackets it:
 *
 *	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_LOAD, &a->strong, "Arc<T> strong count", "rl_arc_drop");
 *	ev.order = memory_order_acquire;
 *	rl__probe_enter(&ev);                     scheduling point, then the detector lock
 *	ev.rval = atomic_load_explicit(&a->strong, memory_order_acquire);
 *	rl__probe_exit(&ev);                      detector update, trace record, unlock
 *
 * Between enter and exit the operation is atomic with its event: the
 * detector lock is held (non-blocking operations), so the detector's view of
 * "which store did this load read" is the memory's, even with threads running
 * in parallel. Do only the memory operation in between: no other probe, no
 * lock, nothing that blocks. Blocking operations (RL_PROBE_LOCK, RL_PROBE_JOIN,
 * RL_PROBE_RCU_SYNC) do not hold the lock across the operation: the exit takes
 * it. Events without a memory operation (fences, spawn, thread start/exit,
 * yield, alloc/free) use the one-shot rl__probe(). In a detector-only session
 * (no scheduler, no trace) mutex events and non-releasing atomics skip the
 * lock, where the mutex or a handshake orders them instead (sim/probe.c,
 * "Lock-free paths"; rl__probe_fast_begin() below); to the caller nothing
 * changes.
 *
 * Patterns for the primitives (one enter/exit pair per memory access):
 *   - non-atomic read-modify-write (Rc counts, Cell updates): an RL_PROBE_READ
 *     pair, then an RL_PROBE_WRITE pair. The second enter is a scheduling
 *     point between the load and the store, as on hardware: that is where an
 *     update gets lost.
 *   - atomic RMW: one RL_PROBE_RMW pair with .order, .rval = old, .wval = new;
 *     a failed compare-exchange sets RL_PROBE_F_FAILED, .order = the failure
 *     ordering and .rval = the value observed.
 *   - Arc drop: RMW fetch_sub(Release); if it returned 1, rl__probe() an
 *     RL_PROBE_FENCE with memory_order_acquire (or an Acquire RL_PROBE_LOAD, as
 *     in the TSan build) before touching the value. Not a race.
 *   - mutex: RL_PROBE_LOCK pair around the blocking lock (.addr = the lock
 *     word, the mutex's identity); RL_PROBE_TRYLOCK pair around try_lock with
 *     RL_PROBE_F_FAILED when it did not get the lock; RL_PROBE_UNLOCK pair
 *     around the unlock.
 *   - RCU: RL_PROBE_RCU_READ_LOCK / RL_PROBE_RCU_READ_UNLOCK pairs around
 *     rcu_read_lock/unlock (.addr = the RCU domain, any stable address shared by
 *     readers and writers); RL_PROBE_RCU_PUBLISH pair around rcu_assign_pointer
 *     or rcu_xchg_pointer (.addr = the cell, .wval = the new pointer,
 *     RL_PROBE_F_RMW for xchg); RL_PROBE_RCU_DEREF pair around rcu_dereference
 *     (.addr = the cell, .rval = the pointer read); RL_PROBE_RCU_SYNC pair
 *     around synchronize_rcu (.addr = the domain). Pointer values should carry
 *     RL_PROBE_F_PTR so traces print them as object numbers, not addresses.
 *   - threads (the runtime): rl__probe(SPAWN, .addr = the new rl_thread,
 *     .kind = its name) in the parent *before* creating the OS thread
 *     (rl__probe(SPAWN_FAILED) if creation fails, before any other probe);
 *     rl__probe(START) first thing in the child, rl__probe(EXIT) last thing;
 *     an RL_PROBE_JOIN pair around pthread_join in the joiner.
 *   - blocking waits (Condvar, Barrier, Once, RwLock, the channels): instead
 *     of its futex sleep a primitive probes rl__probe(WAIT, .addr = the futex
 *     word, .rval = the value it expects there) and re-checks its state
 *     afterwards, as after any futex wait; where it would wake sleepers it
 *     probes rl__probe(NOTIFY, .addr = the word; RL_PROBE_F_ALL for a wake of
 *     all), which returns the number woken in .rval, then makes its real wake.
 *     Under the scheduler the wait is modelled: a thread that finds the word
 *     at .rval sleeps (is not enabled) until a NOTIFY of the word picks it;
 *     notify-one's choice of sleeper and, with RL_PROBE_F_SPURIOUS, a
 *     spurious wakeup are choices of the strategy (rl_model()'s DFS explores
 *     them). Without a scheduler the probe layer sleeps on the futex itself,
 *     in slices, and reports a deadlock when every probed thread is blocked.
 *     If the probe did not set RL_PROBE_F_WAITED (no session), the caller
 *     sleeps itself. Return: RL_OK, RL_ETIMEDOUT (a RL_PROBE_F_TIMED wait
 *     that timed out), RL_EDEADLK (no thread can ever wake it).
 *   - allocation: rl__probe(ALLOC) after an object is allocated, rl__probe(FREE)
 *     before it is freed (.addr, .wval = size): the detector forgets the range
 *     (FREE first checks it like a write: a use racing with the free is
 *     reported), so a reused address starts clean.
 *
 * Happens-before edges: spawn -> child start, child exit -> join, unlock ->
 * later lock of the same mutex, release store/RMW (or release fence + any
 * store/RMW) -> acquire load/RMW (or any load/RMW + acquire fence) reading it
 * or a later RMW of its release sequence, RCU publish -> dereference of the
 * same cell, reader unlock -> end of a later grace period of the domain,
 * NOTIFY of a word -> the end of a later WAIT on it.
 * SeqCst is modelled as AcqRel (no single total order over SC operations):
 * conservative, it can only add reports, never hide one.
 *
 * Under the scheduler exactly one probed thread runs at a time; every
 * rl__probe_enter() is a scheduling point where the strategy may hand the
 * baton to another thread (so is every rl__probe() except SPAWN_FAILED,
 * START, EXIT, ALLOC and FREE). Blocking operations are modelled: a thread
 * whose lock is held, whose join target has not exited, or whose grace period
 * waits for a reader (RCU_READ_LOCK counted at its exit, RCU_READ_UNLOCK at
 * its exit, so the model matches liburcu's state) is never picked. When
 * no thread can run, the scheduler reports a deadlock (each thread's held and
 * awaited locks), releases every thread and makes the blocked enters return
 * RL_EDEADLK. From then on the run is no longer serialised. A blocking call
 * that is not probed (a raw pthread condvar, a bare futex) cannot be modelled and hangs
 * the schedule; a spin loop should probe RL_PROBE_YIELD, and max_steps bounds
 * a schedule that livelocks.
 *
 * Probed threads: the thread that calls rl_probe_attach() (T0) and every thread
 * announced by SPAWN and started with START. In detector-only mode, a probe
 * from any other thread registers it on the fly (no edge orders it after
 * anything); under the scheduler that is a fatal error, since the scheduler
 * cannot serialise a thread it did not start. At most RL_PROBE_MAX_THREADS
 * threads per attach.
 */
#ifndef RACELAB_PROBE_H
#define RACELAB_PROBE_H

#ifndef __cplusplus
#include <stdatomic.h> /* memory_order, for rl_probe_ev.order */
#endif
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <racelab/hooks.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Threads per attach session (thread ids are 8 bits in the detector's epochs). */
#define RL_PROBE_MAX_THREADS 256

/* What a probe event is. */
typedef enum rl_probe_op {
	RL_PROBE_READ = 1,        /* plain (non-atomic) load; .rval = value read */
	RL_PROBE_WRITE,           /* plain store; .wval = value written */
	RL_PROBE_LOAD,            /* atomic load with .order; .rval */
	RL_PROBE_STORE,           /* atomic store with .order; .wval */
	RL_PROBE_RMW,             /* atomic read-modify-write with .order; .rval old, .wval new;
	                           * RL_PROBE_F_FAILED: a failed CAS (a load with .order) */
	RL_PROBE_FENCE,           /* atomic_thread_fence(.order); one-shot */
	RL_PROBE_LOCK,            /* mutex lock (blocking); .addr = the mutex */
	RL_PROBE_TRYLOCK,         /* mutex try_lock; RL_PROBE_F_FAILED if not acquired */
	RL_PROBE_UNLOCK,          /* mutex unlock */
	RL_PROBE_RCU_READ_LOCK,   /* rcu_read_lock; .addr = the RCU domain */
	RL_PROBE_RCU_READ_UNLOCK, /* rcu_read_unlock; .addr = the RCU domain */
	RL_PROBE_RCU_PUBLISH,     /* rcu_assign_pointer/xchg; .addr = the cell, .wval = new pointer */
	RL_PROBE_RCU_DEREF,       /* rcu_dereference; .addr = the cell, .rval = pointer read */
	RL_PROBE_RCU_SYNC,        /* synchronize_rcu (blocking); .addr = the RCU domain */
	RL_PROBE_SPAWN,           /* one-shot, parent, before the OS thread exists; .addr = handle, .kind = name */
	RL_PROBE_SPAWN_FAILED,    /* one-shot, parent: the thread announced by SPAWN was not created */
	RL_PROBE_START,           /* one-shot, child, first thing; .addr = its handle */
	RL_PROBE_EXIT,            /* one-shot, child, last thing; .addr = its handle (may be NULL) */
	RL_PROBE_JOIN,            /* join (blocking); .addr = the joined thread's handle */
	RL_PROBE_YIELD,           /* one-shot: spin-loop hint (PCT lowers the thread's priority) */
	RL_PROBE_ALLOC,           /* one-shot: [.addr, .addr + .wval) is fresh memory */
	RL_PROBE_FREE,            /* one-shot: [.addr, .addr + .wval) is about to be freed */
	RL_PROBE_BLOCKED,         /* trace records only: the thread could not proceed (.op in .order) */
	RL_PROBE_WAIT,            /* one-shot, blocking: sleep while the 32-bit word at .addr is .rval,
	                           * until a NOTIFY of .addr (a futex wait, done by the probe layer);
	                           * .kind/.name: the object waited on, for deadlock reports */
	RL_PROBE_NOTIFY,          /* one-shot: wake one sleeper of .addr (RL_PROBE_F_ALL: all) */
	RL_PROBE_OP_COUNT
} rl_probe_op;

/* rl_probe_ev.flags */
#define RL_PROBE_F_FAILED 0x1u /* TRYLOCK did not get the lock; RMW: the CAS failed */
#define RL_PROBE_F_RMW 0x2u    /* RCU_PUBLISH by exchange (continues the cell's release sequence) */
#define RL_PROBE_F_PTR 0x4u    /* .rval/.wval are pointers: traces print them as object numbers */
#define RL_PROBE_F_SIGNED 0x8u /* .rval/.wval are signed integers */
#define RL_PROBE_F_NOSCHED 0x10u /* not a scheduling point: the rest of a range whose first word was one */
#define RL_PROBE_F_NOVAL 0x20u /* .rval/.wval unknown (a tracked range that is not one 1-8 byte word): traces print none */
#define RL_PROBE_F_SPURIOUS 0x40u /* WAIT: may wake spuriously (a Condvar); the model explores it */
#define RL_PROBE_F_TIMED 0x80u    /* WAIT: a timed wait; under the scheduler it times out when no
                                   * thread can run instead of deadlocking */
#define RL_PROBE_F_ALL 0x100u     /* NOTIFY: wake every sleeper */
#define RL_PROBE_F_WAITED 0x200u  /* WAIT, set by the probe layer: the wait was done (modelled or
                                   * slept); not set: the caller sleeps itself (no session) */
#define RL_PROBE_F_WEAK 0x400u    /* LOAD, STORE, RMW: rl_model()'s memory model (sim/weak.c) did its
                                   * synchronisation; the detector leaves the atomic alone */
#define RL_PROBE_F_STALE 0x800u   /* LOAD, RMW: read a store older than the latest (a LOAD's .wval: how
                                   * many newer ones); STORE: placed before a store already made */

/**
 * struct rl_probe_ev - one shared-memory operation, as a primitive sees it.
 * @op:    what it is (enum rl_probe_op).
 * @order: C11 memory_order of an atomic, fence or CAS-failure (LOAD, STORE, RMW, FENCE).
 * @flags: RL_PROBE_F_*.
 * @addr:  the location or object (counter, cell value, lock word, RCU cell or
 *         domain, thread handle). Locations are tracked at 4-byte granularity.
 * @kind:  what the object is in Rust's words, static storage: "Rc<T> strong
 *         count", "Cell<i64>", "Arc<T> strong count", "Mutex". The report's
 *         Rust rule is chosen from its first word. For SPAWN: the thread's name.
 * @name:  the operation, static storage: "rl_rc_clone".
 * @site:  the caller's call site as a string, or NULL (then the thread's
 *         rl_probe_site_set() label, then @pc).
 * @pc:    a return address in the caller (__builtin_return_address(0) in the
 *         slow path), or NULL. Printed as symbol+offset (module+offset when
 *         the symbol is not exported), which is stable across runs of one binary.
 * @rval:  value read (READ, LOAD, RMW old value, failed CAS, RCU_DEREF).
 * @wval:  value written (WRITE, STORE, RMW new value, RCU_PUBLISH); the size
 *         for ALLOC and FREE.
 * @priv:  private to the probe layer: set by enter, read by exit.
 * @size:  bytes the access covers (READ, WRITE), for the model checker's
 *         dependency relation; 0 = the location at @addr alone.
 */
typedef struct rl_probe_ev {
	uint8_t op;
	uint8_t order;
	uint16_t flags;
	uint32_t priv; /* private */
	const void *addr;
	const char *kind;
	const char *name;
	const char *site;
	const void *pc;
	uint64_t rval;
	uint64_t wval;
	uint64_t size;
} rl_probe_ev;

/* An event for @op on @addr, with the caller's return address as its site.
 * Use it in the out-of-line slow path: in an inline function the return
 * address is the enclosing function's. */
#define RL_PROBE_EV(op_, addr_, kind_, name_)                                           \
	((rl_probe_ev){ .op = (op_), .addr = (addr_), .kind = (kind_), .name = (name_), \
			.pc = __builtin_return_address(0) })

/**
 * rl__probe_enter() - the scheduling point before a memory operation.
 * @ev: the operation; .op, .addr, .kind, .name (and .order for atomics) set.
 *
 * Under the scheduler, waits until this thread is picked to run (blocking
 * operations: until the operation can complete without blocking). Then, for
 * non-blocking operations, takes the detector lock, which rl__probe_exit()
 * releases. Not attached: returns at once.
 * Context: a probed thread, inside a primitive's slow path; no probe may be
 * entered between this call and the matching exit.
 * Return: RL_OK: perform the operation, then call rl__probe_exit(@ev).
 * RL_EDEADLK (blocking operations only): the scheduler found that no thread
 * could run and released all threads; the operation would block forever.
 * Do not perform it (a lock should panic, as Rust's Mutex may on deadlock; a
 * join may go ahead, the joined thread is being released too) and do not
 * call rl__probe_exit().
 */
int rl__probe_enter(rl_probe_ev *ev);

/**
 * rl__probe_exit() - record the operation bracketed by rl__probe_enter().
 * @ev: the same event, with .rval/.wval/.flags now describing what happened.
 *
 * Feeds the detector (which may report a race), appends to the trace, updates
 * the scheduler's model (lock owners, readers), releases the detector lock.
 * Context: the thread that called rl__probe_enter(@ev), which returned RL_OK.
 */
void rl__probe_exit(rl_probe_ev *ev);

/**
 * rl__probe() - a one-shot event: rl__probe_enter() + rl__probe_exit().
 * For FENCE, SPAWN, SPAWN_FAILED, START, EXIT, YIELD, ALLOC and FREE (and any
 * operation whose memory effect needs no bracketing). START waits for the
 * baton; EXIT hands it on and does not wait; SPAWN_FAILED, START, EXIT,
 * ALLOC and FREE are not scheduling points.
 * Return: as rl__probe_enter().
 */
int rl__probe(rl_probe_ev *ev);

/* ---- the lock-free atomic path (private to racelab's primitives) ----------
 *
 * In a detector-only session (no scheduler, no trace), an atomic load, store
 * or RMW that does not release, by a thread with no pending release fence, on
 * a location that never carried a release clock, changes nothing in the
 * detector: an acquire of an empty clock joins nothing. Such an op needs no
 * event, only a handshake with the event that will create the location's
 * clock (sim/probe.c, "Lock-free paths"). A primitive's slow path may try it
 * before building its event:
 *
 *	if (rl__probe_fast_begin(p, memory_order_relaxed)) {
 *		old = atomic_fetch_add_explicit(p, 1, memory_order_relaxed);
 *		rl__probe_fast_end();
 *		return old;
 *	}
 *	... the rl__probe_enter()/rl__probe_exit() pair ...
 *
 * Between the two calls: the one memory operation on @addr, nothing else.
 */
#ifndef __cplusplus
struct rl__probe_hot {
	_Atomic(const void *) inflight; /* the location of the lock-free op in flight, or NULL */
	_Atomic uint64_t nfast;         /* events this thread handled without the detector lock */
	uint64_t session;               /* rl__probe_session when this was set: stale otherwise */
	bool atomics;                   /* lock-free atomics allowed (no release fence yet) */
	bool membarrier;                /* the other side of the handshake uses membarrier(2) */
};

#define RL__PROBE_RELFLAG_BITS 12

/* This thread's state (set by the probe layer when it starts probing it). */
extern RL__THREAD_LOCAL struct rl__probe_hot rl__probe_hot_tls __attribute__((tls_model("initial-exec")));
/* The current session's number; bumped by attach and detach. */
extern _Atomic uint64_t rl__probe_session;
/* Set for (hashes of) locations that carry a release clock this session. */
extern _Atomic uint8_t rl__probe_relflag[1u << RL__PROBE_RELFLAG_BITS];

/* Whether an atomic op with order @mo releases (SeqCst counts as AcqRel). */
static inline bool rl__probe_releases(unsigned mo)
{
	return mo == memory_order_release || mo == memory_order_acq_rel || mo == memory_order_seq_cst;
}

static inline _Atomic uint8_t *rl__probe_relflag_of(const void *addr)
{
	uint64_t h = ((uint64_t)(uintptr_t)addr >> 2) * UINT64_C(0x9E3779B97F4A7C15);
	return &rl__probe_relflag[h >> (64 - RL__PROBE_RELFLAG_BITS)];
}

/**
 * rl__probe_fast_begin() - try the lock-free path for an atomic op.
 * @addr: the atomic location.
 * @mo:   the op's memory order (a CAS: its success order).
 * Return: true: perform the op, then call rl__probe_fast_end(); no event.
 * false: bracket the op with rl__probe_enter()/rl__probe_exit() as usual.
 */
static inline bool rl__probe_fast_begin(const void *addr, memory_order mo)
{
	struct rl__probe_hot *h = &rl__probe_hot_tls;
	if (!h->atomics || h->session != atomic_load_explicit(&rl__probe_session, memory_order_relaxed) ||
	    rl__probe_releases(mo))
		return false;
	_Atomic uint8_t *f = rl__probe_relflag_of(addr);
	if (atomic_load_explicit(f, memory_order_relaxed))
		return false;
	/* Announce @addr, then look at its flag again: the store-buffering half
	 * of the handshake in sim/probe.c's publish_guard(). With membarrier(2)
	 * the kernel puts a full barrier into this thread's program order, so a
	 * compiler barrier is enough here; else SeqCst store and load. */
	if (RL_LIKELY(h->membarrier)) {
		atomic_store_explicit(&h->inflight, addr, memory_order_relaxed);
		atomic_signal_fence(memory_order_seq_cst);
		if (!atomic_load_explicit(f, memory_order_relaxed))
			return true;
	} else {
		atomic_store_explicit(&h->inflight, addr, memory_order_seq_cst);
		if (!atomic_load_explicit(f, memory_order_seq_cst))
			return true;
	}
	atomic_store_explicit(&h->inflight, NULL, memory_order_relaxed);
	return false;
}

/* End of a lock-free op begun by rl__probe_fast_begin(). */
static inline void rl__probe_fast_end(void)
{
	struct rl__probe_hot *h = &rl__probe_hot_tls;
	/* Release: pairs with publish_guard()'s load of the announcement: this
	 * op comes before the first release in the location's modification order. */
	atomic_store_explicit(&h->inflight, NULL, memory_order_release);
	atomic_store_explicit(&h->nfast, atomic_load_explicit(&h->nfast, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}
#endif

/**
 * rl__probe_blocked() - a blocking operation cannot complete now.
 * @ev: the operation being waited for (a contended RL_PROBE_LOCK), between
 *      its rl__probe_enter() and rl__probe_exit().
 *
 * In a session without a scheduler, registers the calling thread as blocked
 * on @ev (until @ev's exit, or rl__probe_unblocked()) and checks whether
 * every probed thread is blocked for good (sim/deadlock.c), which is then
 * reported. Call it again after each bounded sleep.
 * Return: RL_OK: sleep a while, then retry and call again; RL_EDEADLK: the
 * session is deadlocked, give up (a lock panics, as under the scheduler);
 * RL_EAGAIN: not such a session, block as without probes.
 */
int rl__probe_blocked(const rl_probe_ev *ev);
/* The thread stops waiting without an exit of the event (it gave up). */
void rl__probe_unblocked(void);

/**
 * rl_probe_site_set() - label the current thread's next probe events.
 * @site: static string ("rc-send: worker clone"), or NULL to clear.
 *
 * Used as the call site of events whose .site is NULL. Cheap (a thread-local
 * store); workloads set it around the code a report should name.
 * Return: the previous label.
 */
const char *rl_probe_site_set(const char *site);

/* ---- attaching ------------------------------------------------------------ */

/*
 * Who interleaves the probed threads: the one schedule enum, from the command
 * line's --schedule through the workload runner (rl_workload_params) to the
 * scheduler (rl_probe_config).
 */
typedef enum rl_probe_schedule {
	RL_PROBE_SCHEDULE_DEFAULT = 0, /* rl_probe_attach(): no scheduler (the OS); a workload
	                                * run: the workload's own default (the OS, or the
	                                * scheduler for RL_WF_SIMULATE workloads) */
	RL_PROBE_SCHEDULE_OS,          /* threads run in parallel, as the OS schedules them */
	RL_PROBE_SCHEDULE_RANDOM,      /* one at a time; a uniformly random runnable thread at each point */
	RL_PROBE_SCHEDULE_PCT,         /* one at a time; PCT: random priorities, depth-1 change points */
} rl_probe_schedule;

/* The former names (probe configs): zero is still "no scheduler". */
#define RL_SCHEDULE_NONE RL_PROBE_SCHEDULE_DEFAULT
#define RL_SCHEDULE_RANDOM RL_PROBE_SCHEDULE_RANDOM
#define RL_SCHEDULE_PCT RL_PROBE_SCHEDULE_PCT

typedef struct rl_probe_report rl_probe_report;
typedef void rl_probe_sink(const rl_probe_report *r, void *ctx);

/**
 * struct rl_probe_config - what rl_probe_attach() turns on. Zero = default/off.
 * @detect:      run the happens-before detector.
 * @schedule:    serialise probed threads with RL_PROBE_SCHEDULE_RANDOM or _PCT;
 *               RL_PROBE_SCHEDULE_DEFAULT and _OS: no scheduler.
 * @seed:        the scheduler's PRNG seed (same seed, same binary, same
 *               workload: same interleaving, byte for byte).
 * @pct_depth:   PCT bug depth d (>= 1; 0 = 3): d - 1 priority change points.
 * @pct_steps:   PCT's k, the expected number of scheduling points of a run
 *               (change points are drawn in [1, k]); 0 = 1000. Pass the
 *               previous run's step count when exploring.
 * @max_steps:   after this many scheduling points the scheduler stops
 *               serialising (livelock guard; stats.step_limit); 0 = none.
 * @trace:       record every event (thread, operation, object, values).
 * @trace_limit: records kept (later ones are counted, not kept); 0 = 1 << 20.
 * @history:     plain accesses remembered per thread to name the earlier
 *               access of a race; 0 = 4096.
 * @report_file: each report is printed here when found; NULL = silent.
 * @sink:        called with each report when found (detector lock held: it
 *               must not call probe functions); may be NULL.
 * @sink_ctx:    passed to @sink.
 * @main_name:   the attaching thread's name in traces and reports; NULL =
 *               rl_thread_name().
 */
typedef struct rl_probe_config {
	bool detect;
	rl_probe_schedule schedule;
	uint64_t seed;
	unsigned pct_depth;
	uint64_t pct_steps;
	uint64_t max_steps;
	bool trace;
	size_t trace_limit;
	unsigned history;
	FILE *report_file;
	rl_probe_sink *sink;
	void *sink_ctx;
	const char *main_name;
} rl_probe_config;

/**
 * rl_probe_attach() - start a session: detector and/or scheduler.
 * @cfg: what to run; not retained.
 *
 * Frees the previous session's results. The calling thread becomes T0 and
 * holds the scheduler's baton. Sets rl__probe_active.
 * Context: no probed primitive in use on any other thread (before spawning the
 * workload's threads).
 * Return: RL_OK; RL_EBUSY if a session is attached; RL_EINVAL for a NULL @cfg,
 * an unknown schedule or a config that turns nothing on; RL_ENOMEM.
 */
int rl_probe_attach(const rl_probe_config *cfg);

/**
 * rl_probe_detach() - end the session; its results stay readable.
 *
 * Clears rl__probe_active and frees the engines' state; stats, reports and the
 * trace remain until the next rl_probe_attach() or rl_probe_reset().
 * Context: the attaching thread, after every spawned probed thread exited.
 * Return: RL_OK; RL_EINVAL if not attached or not called by T0; RL_EBUSY if a
 * probed thread has not exited (nothing is changed).
 */
int rl_probe_detach(void);

/* True between rl_probe_attach() and rl_probe_detach(). */
bool rl_probe_attached(void);

/* Free the results of the last session (reports, trace). Context: not attached. */
void rl_probe_reset(void);

/* ---- results ------------------------------------------------------------- */

typedef enum rl_probe_report_kind {
	RL_REPORT_RACE = 1, /* two accesses, no happens-before edge between them */
	RL_REPORT_DEADLOCK, /* under the scheduler: no thread could run */
} rl_probe_report_kind;

/* One side of a race. */
typedef struct rl_probe_access {
	const char *op;       /* operation name ("rl_rc_clone"), NULL if forgotten */
	const char *site;     /* call-site string, or NULL */
	const void *pc;       /* return address, or NULL */
	char site_text[96];   /* the site as printed ("worker+0x1c", "?") */
	char thread[32];      /* thread name */
	unsigned tid;         /* T<tid> in traces */
	bool write;           /* write (or free) rather than read */
	bool known;           /* false: the earlier access fell out of the thread's history */
} rl_probe_access;

/**
 * struct rl_probe_report - a race or a deadlock, structured and as text.
 * @kind:     RL_REPORT_RACE or RL_REPORT_DEADLOCK.
 * @addr:     the raced location (races).
 * @obj_kind: the location's kind ("Rc<T> strong count"); a deadlock: the kind
 *            of what its first blocked thread waits for ("Mutex", "thread").
 * @obj_id:   the object's number in this session (#N in traces and reports;
 *            numbered in order of first appearance, so stable under replay).
 * @cur:      the access that found the race; @prev: the earlier one. A
 *            deadlock: its first two blocked threads at their blocking
 *            operation (@prev.thread is "" when only one thread is blocked).
 * @edge:     the missing happens-before edge, in words.
 * @rule:     the Rust rule it breaks, in plain words.
 * @count:    racy accesses folded into this report (deduplicated per location
 *            and unordered pair of call sites).
 * @step:     scheduling step (or event number) when it was found.
 * @text:     the whole report as printed (several lines, no addresses).
 */
struct rl_probe_report {
	rl_probe_report_kind kind;
	const void *addr;
	const char *obj_kind;
	uint32_t obj_id;
	rl_probe_access cur, prev;
	const char *edge;
	const char *rule;
	uint64_t count;
	uint64_t step;
	char *text;
};

typedef struct rl_probe_stats {
	uint64_t events;        /* probe events (enter/exit pairs and one-shots) */
	uint64_t lockfree_events; /* of which handled without the detector lock (sim/probe.c) */
	uint64_t steps;         /* scheduling points */
	uint64_t switches;      /* baton hand-offs to another thread */
	uint64_t races;         /* distinct race reports */
	uint64_t race_events;   /* racy accesses before deduplication */
	uint64_t locations;     /* plain locations the detector tracked at the end */
	unsigned threads;       /* probed threads, T0 included */
	bool deadlock;          /* the scheduler found a deadlock */
	bool step_limit;        /* max_steps was reached */
	bool thread_limit;      /* more than RL_PROBE_MAX_THREADS threads: extra ones unchecked */
	rl_probe_schedule schedule;
	uint64_t seed;
	size_t trace_len;       /* records kept */
	uint64_t trace_dropped; /* records past trace_limit */
	unsigned unchecked_from; /* thread_limit: T<unchecked_from> is the first thread the detector
	                          * did not follow (accesses, atomics, mutex events); 0 otherwise */
} rl_probe_stats;

/* Statistics of the current or last session (all zero if none). */
void rl_probe_get_stats(rl_probe_stats *out);

/* Reports of the current or last session, in the order found. Context: read
 * them after detach (or while attached, from T0 with no probed thread running). */
size_t rl_probe_report_count(void);
const rl_probe_report *rl_probe_report_at(size_t i);

/* One trace record: an operation, after it happened. */
typedef struct rl_probe_trace_rec {
	uint64_t step;    /* scheduling point it followed (0 before the first) */
	const void *addr;
	const char *kind;
	const char *name;
	uint64_t rval, wval;
	uint32_t obj_id;  /* #N of addr (thread number for SPAWN/START/EXIT/JOIN) */
	uint16_t tid;     /* thread that did it */
	uint8_t op;       /* rl_probe_op (RL_PROBE_BLOCKED: the blocked operation is in .order) */
	uint8_t order;
	uint16_t flags;
} rl_probe_trace_rec;

size_t rl_probe_trace_len(void);
const rl_probe_trace_rec *rl_probe_trace_at(size_t i);

/* Name of thread @tid of the current or last session ("?" if unknown). */
const char *rl_probe_thread_name(unsigned tid);

/**
 * rl_probe_trace_format() - one trace record as a line of the interleaving.
 * Writes at most @n bytes including the NUL, like snprintf (no newline):
 * "    42  T1 worker-1    rl_rc_clone       read  Rc<T> strong count #1 = 1".
 * Return: the length the whole line needs.
 */
int rl_probe_trace_format(const rl_probe_trace_rec *r, char *buf, size_t n);

/**
 * rl_probe_trace_print() - print the recorded interleaving, one line per record.
 * Under the scheduler the output is a function of the seed: byte-identical
 * across reruns of the same binary and workload.
 * Return: 0, or -1 on an output error.
 */
int rl_probe_trace_print(FILE *f);

/* ---- PCT's guarantee ------------------------------------------------------- */

/**
 * rl_probe_pct_runs() - runs PCT needs to find a depth-@d bug with probability
 * at least 1 - @eps: n * k^(d-1) * ln(1/eps) (Burckhardt et al., ASPLOS 2010:
 * each run finds it with probability >= 1/(n * k^(d-1))).
 * @n: threads; @k: scheduling points per run; @d: bug depth (>= 1).
 * Return: the bound, or 0 for invalid arguments.
 */
double rl_probe_pct_runs(unsigned n, uint64_t k, unsigned d, double eps);

/* P(miss) <= (1 - 1/(n * k^(d-1)))^runs: the chance that @runs PCT runs all miss
 * a depth-@d bug. 1 for invalid arguments. */
double rl_probe_pct_miss(unsigned n, uint64_t k, unsigned d, uint64_t runs);

#ifdef __cplusplus
}
#endif
#endif
