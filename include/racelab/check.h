/* check.h — owner checks: Rust's Send and Sync rules, enforced at run time.
 *
 * Rust refuses at compile time to move an Rc<T> to another thread (Rc is !Send)
 * or to share a Cell<T> between threads (Cell is !Sync). C cannot, so racelab
 * remembers the creating thread of every rl_rc and rl_cell and checks it on use.
 * A use from any other thread is a violation, reported once per (object,
 * thread) pair in Rust's words, with both thread names:
 *
 *   Rc<T> cannot be sent between threads safely (Send): rl_rc_clone on 'worker-2', owned by 'main'
 *   Cell<i64> cannot be shared between threads safely (Sync): rl_cell_add on 'worker-1', owned by 'main'
 *
 * The operation then goes ahead as a plain, non-atomic access: the check
 * reports the violation, it does not prevent the data race that follows (that
 * race is what racelab demonstrates, and what ThreadSanitizer sees).
 *
 * Quarantine. Racy workloads corrupt non-atomic counts; a count that reaches
 * zero early frees a box other threads still use. Between
 * rl_check_quarantine_begin() and rl_check_quarantine_end() no Rc or Arc box is
 * freed: an Rc whose value was dropped is marked dead (its tag owner becomes
 * RL_OWNER_DEAD) and kept. Any later strong use of a dead Rc takes the slow
 * path, is reported once as a use-after-free and is skipped, so the process
 * goes on and the runner can count what went wrong.
 *
 * Cost: the inline fast paths test the owner with the same single branch
 * whatever the mode; only uses by a foreign thread (or on a dead box) reach
 * this module. Modes, the sink and the live-reference callback are meant to
 * be set while no workload thread runs.
 *
 * Synchronisation table:
 *   rl_check_set_mode/set_sink/set_live_fn  any thread, relaxed (set them between runs)
 *   rl_check_count/reset_counts             any thread, relaxed counters
 *   rl_check_quarantine_begin/end           no other thread may use Rc/Arc objects
 *   reports                                 serialised by an internal mutex
 */
#ifndef RACELAB_CHECK_H
#define RACELAB_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <racelab/hooks.h>

#ifdef __cplusplus
extern "C" {
#endif

enum rl_check_mode {
	RL_CHECK_REPORT = 0, /* report each violation once, then go on (default) */
	RL_CHECK_ABORT = 1,  /* report, then "racelab: fatal: ..." and abort() */
	RL_CHECK_OFF = 2,    /* no Send/Sync reports (the plain accesses still happen) */
};

enum rl_check_kind {
	RL_CHECK_SEND = 0,            /* Rc/rc::Weak used on a thread that does not own it */
	RL_CHECK_SYNC = 1,            /* Cell used on a thread that does not own it */
	RL_CHECK_USE_AFTER_FREE = 2,  /* dead box used, or a strong count moved from zero */
	RL_CHECK_NKINDS = 3,
};

/* One report, as handed to the sink. Strings live until the sink returns. */
struct rl_check_report {
	enum rl_check_kind kind;
	const char *type;     /* "Rc<T>", "rc::Weak<T>", "Cell<i64>" */
	const char *op;       /* the racelab function, e.g. "rl_rc_clone" */
	const void *object;   /* the handle (rl_rc *, rl_cell *) */
	const char *thread;   /* name of the thread that used the object */
	const char *owner;    /* name of the owner thread ("<unknown>" if not recorded) */
	size_t live;          /* use-after-free: live references when the count reached
	                       * zero, from the live callback; SIZE_MAX if unknown */
	const char *message;  /* the whole report in Rust's words, no newline */
	const char *rule;     /* the Rust rule it breaks, in words */
	const char *file;     /* the call site that made it (relative to the source root) */
	int line;
};

typedef void rl_check_sink(const struct rl_check_report *report, void *ctx);

/*
 * rl_check_live_fn - how many references to @object are really live.
 * Called when an Rc's count reaches zero under quarantine, by the thread that
 * dropped it. A racy workload knows the references it holds; the count in the
 * box does not. Return SIZE_MAX if unknown.
 */
typedef size_t rl_check_live_fn(const void *object, void *ctx);

/**
 * rl_check_set_mode() - choose what a violation does.
 * @mode: RL_CHECK_REPORT, RL_CHECK_ABORT or RL_CHECK_OFF; other values are ignored.
 *
 * Context: any thread; meant to be set before a run starts.
 */
void rl_check_set_mode(enum rl_check_mode mode);

/* The current mode (RL_CHECK_REPORT unless changed). */
enum rl_check_mode rl_check_mode(void);

/**
 * rl_check_set_sink() - send reports to @sink instead of stderr.
 * @sink: called once per report, under an internal mutex (one report at a
 *        time, from the thread that made the violation); NULL restores the
 *        default, which prints "racelab: <message>" on one line of stderr.
 * @ctx:  passed to @sink.
 *
 * Context: no report may be in progress (set it before a run starts).
 */
void rl_check_set_sink(rl_check_sink *sink, void *ctx);

/**
 * rl_check_set_live_fn() - where use-after-free reports get their live figure.
 * @fn: NULL for none (reports then say the figure is unknown).
 *
 * Context: as rl_check_set_sink().
 */
void rl_check_set_live_fn(rl_check_live_fn *fn, void *ctx);

/**
 * rl_check_count() - reports made so far of one kind.
 *
 * Counts reports, not operations: a violation is counted once per (object,
 * thread) pair (use-after-free: once per object, or per pair for a count
 * moved from zero outside quarantine).
 * Ordering: relaxed; exact once the reporting threads were joined.
 * Return: the count; 0 for an unknown @kind.
 */
size_t rl_check_count(enum rl_check_kind kind);

/* Set every count back to zero. */
void rl_check_reset_counts(void);

/**
 * rl_check_quarantine_begin() - stop freeing Rc and Arc boxes.
 *
 * Until rl_check_quarantine_end(), boxes whose last reference went are kept;
 * an Rc whose value was dropped is marked dead so that later strong uses are
 * reported as use-after-free and skipped.
 * Context: no other thread may be using Rc or Arc objects.
 */
void rl_check_quarantine_begin(void);

/**
 * rl_check_quarantine_end() - free every quarantined box and stop quarantining.
 *
 * Context: as rl_check_quarantine_begin(); no handle (Rc, Weak, Arc) to a
 * quarantined box may be used afterwards.
 * Return: the number of boxes freed.
 */
size_t rl_check_quarantine_end(void);

/* True between rl_check_quarantine_begin() and rl_check_quarantine_end(). */
bool rl_check_quarantine_active(void);

/*
 * Private to racelab's primitives (rc.c, arc.c, cell.c).
 */

/*
 * Non-zero when an owner-checked fast path (rc.h, cell.h) must take its slow
 * path: the current thread is not @owner, or a probe session covers it. One
 * compare with the thread's key (hooks.h: its id, or 0 under a session), one
 * predictable branch. A key of 0 — an id not yet assigned, or a probed
 * thread — never equals an owner (owners are >= 1, RL_OWNER_DEAD included),
 * so those cases land in the slow path, which assigns the id.
 */
#ifndef RL_NO_OWNER_CHECKS
#define RL__OWNER_SLOW(owner) ((owner) ^ rl__owner_key_tls)
#else
/* A translation unit compiled with -DRL_NO_OWNER_CHECKS inlines fast paths
 * without the owner test (the benchmark's "unchecked" baseline). */
#define RL__OWNER_SLOW(owner) ((void)(owner), rl__probe_active)
#endif

/* A dead box kept by the quarantine. */
struct rl__qrec;

/* Record the current thread as an owner (its name, for reports); return its
 * id and a fresh per-thread serial number in *@serial. Never returns 0. */
uint32_t rl__check_adopt(uint32_t *serial);

/*
 * A use of @object (owned by thread @owner, created as @serial) on another
 * thread: report it unless this pair was reported already or the mode is
 * RL_CHECK_OFF; abort in RL_CHECK_ABORT mode. @kind is RL_CHECK_SEND or
 * RL_CHECK_SYNC. Takes no lock unless it reports.
 */
void rl__check_foreign(enum rl_check_kind kind, const char *type, const char *op,
		       const void *object, uint32_t owner, uint32_t serial,
		       const char *file, int line);

/* A strong count found at zero by @op (use after free outside quarantine);
 * reported once per (object, thread) pair. */
void rl__check_from_zero(const char *type, const char *op, const void *object,
			 uint32_t owner, uint32_t serial, const char *file, int line);

/* A use of a quarantined dead box: reported once per box. */
void rl__check_dead(const char *type, const char *op, struct rl__qrec *rec,
		    const char *file, int line);

enum rl__bury {
	RL__BURY_OFF = 0,   /* the quarantine is off: the caller frees */
	RL__BURY_KEPT = 1,  /* kept now; the caller must not free */
	RL__BURY_AGAIN = 2, /* kept already (by an earlier or a racing caller) */
};

/*
 * Quarantine @base (the allocation to free at the end) holding @object.
 * @owner: the object's owner word, or NULL for objects without one (Arc).
 *   The first caller records *@owner in the record, stores the record in
 *   *@rec_slot and sets *@owner to RL_OWNER_DEAD, under the quarantine lock:
 *   when racing threads both take a count to zero, exactly one buries the box.
 * @ask_live: call the live-reference callback (the strong count just reached 0).
 */
enum rl__bury rl__check_bury(void *base, const void *object, uint32_t *owner,
			     uint32_t serial, void **rec_slot, bool ask_live);

/* Owner and serial the record remembers (the box's tag says RL_OWNER_DEAD). */
uint32_t rl__qrec_owner(const struct rl__qrec *rec);
uint32_t rl__qrec_serial(const struct rl__qrec *rec);

#ifdef __cplusplus
}
#endif
#endif
