/* check.c — owner checks (Rust's Send/Sync rules at run time), their reports,
 * and the quarantine of dead boxes.
 *
 * Owns: the mode, the sink, the report counters, the owner-name registry, the
 * per-thread "already reported" sets and the quarantine list.
 *
 * Invariant: the path a foreign thread takes on *every* operation
 * (rl__check_foreign() for a pair already reported) touches only thread-local
 * data and relaxed atomics. It takes no lock, so it adds no happens-before
 * edge between the threads that race on an Rc count or a Cell: the race stays
 * a race for ThreadSanitizer, and the timing of the racy workload is barely
 * changed. Locks are taken only to report (once per pair), to record an owner
 * name (once per thread) and to quarantine a box (once per box).
 *
 * "Once per (object, thread) pair": each thread keeps a set of the objects it
 * has reported, keyed by the object's address, owner id and creation serial,
 * so that a new object at a reused address is a new object.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <racelab/check.h>
#include <racelab/hooks.h>
#include <racelab/thread.h>

#include "core/fiber.h"

/* ---- configuration and counters ----------------------------------------- */

/* Relaxed everywhere below: these are settings and statistics, they publish
 * no other data. */
static _Atomic int mode = RL_CHECK_REPORT;
static _Atomic size_t counts[RL_CHECK_NKINDS];
static _Atomic bool q_active;

/* The sink and the live callback: written and read under report_lock. */
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static rl_check_sink *sink;
static void *sink_ctx;
static rl_check_live_fn *live_fn;
static void *live_ctx;

void rl_check_set_mode(enum rl_check_mode m)
{
	if (m == RL_CHECK_REPORT || m == RL_CHECK_ABORT || m == RL_CHECK_OFF)
		atomic_store_explicit(&mode, (int)m, memory_order_relaxed);
}

enum rl_check_mode rl_check_mode(void)
{
	return (enum rl_check_mode)atomic_load_explicit(&mode, memory_order_relaxed);
}

void rl_check_set_sink(rl_check_sink *fn, void *ctx)
{
	pthread_mutex_lock(&report_lock);
	sink = fn;
	sink_ctx = ctx;
	pthread_mutex_unlock(&report_lock);
}

void rl_check_set_live_fn(rl_check_live_fn *fn, void *ctx)
{
	pthread_mutex_lock(&report_lock);
	live_fn = fn;
	live_ctx = ctx;
	pthread_mutex_unlock(&report_lock);
}

size_t rl_check_count(enum rl_check_kind kind)
{
	if ((unsigned)kind >= RL_CHECK_NKINDS)
		return 0;
	return atomic_load_explicit(&counts[kind], memory_order_relaxed);
}

void rl_check_reset_counts(void)
{
	for (int k = 0; k < RL_CHECK_NKINDS; k++)
		atomic_store_explicit(&counts[k], 0, memory_order_relaxed);
}

/* ---- owner names: thread id -> name -------------------------------------- */

/*
 * Open addressing, never shrinks: one entry per thread that ever created an
 * Rc or a Cell. Names are copied because an owner may have exited (and its
 * rl_thread been freed) by the time its object is reported.
 */
struct name_ent {
	uint32_t tid; /* 0 = empty */
	char *name;
};
static pthread_mutex_t names_lock = PTHREAD_MUTEX_INITIALIZER;
static struct name_ent *names;
static size_t names_cap, names_n;

static size_t tid_hash(uint32_t tid, size_t cap)
{
	return (size_t)((tid * UINT32_C(0x9e3779b1)) & (cap - 1));
}

static struct name_ent *names_slot(struct name_ent *tab, size_t cap, uint32_t tid)
{
	size_t i = tid_hash(tid, cap);

	while (tab[i].tid && tab[i].tid != tid)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

/* Called with names_lock held. Out of memory: the name is simply not kept. */
static void names_put(uint32_t tid, const char *name)
{
	struct name_ent *e;
	char *copy;

	if ((names_n + 1) * 2 > names_cap) {
		size_t ncap = names_cap ? names_cap * 2 : 16;
		struct name_ent *ntab = calloc(ncap, sizeof(*ntab));

		if (!ntab)
			return;
		for (size_t i = 0; i < names_cap; i++)
			if (names[i].tid)
				*names_slot(ntab, ncap, names[i].tid) = names[i];
		free(names);
		names = ntab;
		names_cap = ncap;
	}
	copy = strdup(name ? name : "<unknown>");
	if (!copy)
		return;
	e = names_slot(names, names_cap, tid);
	if (e->tid) {
		free(e->name); /* the id was reused by a new thread */
	} else {
		e->tid = tid;
		names_n++;
	}
	e->name = copy;
}

/* Copy the name of thread @tid into @buf. */
static void names_get(uint32_t tid, char *buf, size_t len)
{
	const char *name = "<unknown>";

	pthread_mutex_lock(&names_lock);
	if (names_cap && tid) {
		struct name_ent *e = names_slot(names, names_cap, tid);
		if (e->tid)
			name = e->name;
	}
	snprintf(buf, len, "%s", name);
	pthread_mutex_unlock(&names_lock);
}

static __thread uint32_t adopted_tid;  /* id whose name this thread recorded */
static __thread uint32_t next_serial;

/* Both follow an rl thread that runs as a fiber (core/fiber.h); the seen
 * set below stays the OS thread's (its destructor frees it at OS-thread
 * exit), as it does for the pooled OS threads that run model threads. */
static void *adopted_addr(void) { return &adopted_tid; }
static void *serial_addr(void) { return &next_serial; }
__attribute__((constructor)) static void register_fiber_tls(void)
{
	rl__fiber_tls(adopted_addr, sizeof(adopted_tid));
	rl__fiber_tls(serial_addr, sizeof(next_serial));
}

uint32_t rl__check_adopt(uint32_t *serial)
{
	uint32_t tid = rl__tid();

	rl__owner_key_sync();
	if (RL_UNLIKELY(adopted_tid != tid)) {
		pthread_mutex_lock(&names_lock);
		names_put(tid, rl_thread_name());
		pthread_mutex_unlock(&names_lock);
		adopted_tid = tid;
	}
	*serial = ++next_serial;
	return tid;
}

/* ---- per-thread "already reported" sets ---------------------------------- */

enum seen_what { SEEN_FOREIGN = 1, SEEN_FROM_ZERO = 2 };

struct seen_ent {
	const void *obj; /* NULL = empty */
	uint64_t id;     /* owner << 32 | serial */
	uint32_t what;
};
struct seen_set {
	struct seen_ent *v;
	size_t cap, n;
};
static __thread struct seen_set seen;
static pthread_key_t seen_key;
static pthread_once_t seen_once = PTHREAD_ONCE_INIT;

/* Thread exit: free the set (pthread key destructor, run on the exiting thread). */
static void seen_free(void *v)
{
	free(v);
	if (seen.v == v) {
		seen.v = NULL;
		seen.cap = seen.n = 0;
	}
}

static void seen_key_init(void)
{
	if (pthread_key_create(&seen_key, seen_free) != 0)
		RL_FATAL("pthread_key_create failed");
}

static size_t seen_hash(const void *obj, uint64_t id, uint32_t what, size_t cap)
{
	uint64_t h = (uint64_t)(uintptr_t)obj * UINT64_C(0x9e3779b97f4a7c15);

	h ^= (id + what) * UINT64_C(0xc2b2ae3d27d4eb4f);
	return (size_t)(h >> 17) & (cap - 1);
}

static struct seen_ent *seen_slot(struct seen_ent *v, size_t cap, const void *obj,
				  uint64_t id, uint32_t what)
{
	size_t i = seen_hash(obj, id, what, cap);

	while (v[i].obj && !(v[i].obj == obj && v[i].id == id && v[i].what == what))
		i = (i + 1) & (cap - 1);
	return &v[i];
}

/* Return: true if (@obj, @id, @what) is new for this thread (now recorded). */
static bool seen_insert(const void *obj, uint32_t owner, uint32_t serial, uint32_t what)
{
	uint64_t id = (uint64_t)owner << 32 | serial;
	struct seen_ent *e;

	if (seen.cap) {
		e = seen_slot(seen.v, seen.cap, obj, id, what);
		if (e->obj)
			return false;
	}
	if ((seen.n + 1) * 2 > seen.cap) {
		size_t ncap = seen.cap ? seen.cap * 2 : 16;
		struct seen_ent *nv = calloc(ncap, sizeof(*nv));

		if (!nv)
			return true; /* report again rather than lose a report */
		for (size_t i = 0; i < seen.cap; i++)
			if (seen.v[i].obj)
				*seen_slot(nv, ncap, seen.v[i].obj, seen.v[i].id, seen.v[i].what) = seen.v[i];
		pthread_once(&seen_once, seen_key_init);
		free(seen.v);
		seen.v = nv;
		seen.cap = ncap;
		pthread_setspecific(seen_key, nv);
	}
	e = seen_slot(seen.v, seen.cap, obj, id, what);
	e->obj = obj;
	e->id = id;
	e->what = what;
	seen.n++;
	return true;
}

/* ---- reports -------------------------------------------------------------- */

#define NAME_LEN 64
#define MSG_LEN 512

/* Abort mode: the first report is the run's last (under report_lock). */
static bool aborting;

/* The rule each kind of report breaks, in Rust's terms. */
static const char *const rules[RL_CHECK_NKINDS] = {
	[RL_CHECK_SEND] = "Rc<T> and rc::Weak<T> are !Send: their counts are not atomic, so Rust refuses at compile "
			  "time to move them to another thread; Arc<T> is the thread-safe one",
	[RL_CHECK_SYNC] = "Cell<T> is !Sync: its get and set are plain accesses, so Rust refuses at compile time to "
			  "share a &Cell<T> between threads; use an atomic or Mutex<T>",
	[RL_CHECK_USE_AFTER_FREE] = "Rust drops the value when its last owner goes, and the borrow checker lets no "
				    "reference outlive it: here a count that a data race corrupted freed it early",
};

static void emit(struct rl_check_report *r, const char *file, int line)
{
	bool fatal = rl_check_mode() == RL_CHECK_ABORT;

	r->rule = rules[r->kind];
	r->file = file;
	r->line = line;

	pthread_mutex_lock(&report_lock);
	if (fatal && aborting) {
		/* Another thread's report is ending the process: this one is not
		 * counted, sunk or printed; it waits for the abort. */
		pthread_mutex_unlock(&report_lock);
		for (;;)
			pause();
	}
	aborting = fatal;
	atomic_fetch_add_explicit(&counts[r->kind], 1, memory_order_relaxed);
	if (sink)
		sink(r, sink_ctx);
	else if (!fatal)
		fprintf(stderr, "racelab: %s\n", r->message);
	pthread_mutex_unlock(&report_lock);
	if (fatal)
		rl__fatal(file, line, "%s", r->message);
}

void rl__check_foreign(enum rl_check_kind kind, const char *type, const char *op,
		       const void *object, uint32_t owner, uint32_t serial,
		       const char *file, int line)
{
	char owner_name[NAME_LEN], msg[MSG_LEN];
	const char *me;

	if (rl_check_mode() == RL_CHECK_OFF)
		return;
	if (!seen_insert(object, owner, serial, SEEN_FOREIGN))
		return;
	me = rl_thread_name();
	names_get(owner, owner_name, sizeof(owner_name));
	snprintf(msg, sizeof(msg), kind == RL_CHECK_SYNC
		 ? "%s cannot be shared between threads safely (Sync): %s on '%s', owned by '%s'"
		 : "%s cannot be sent between threads safely (Send): %s on '%s', owned by '%s'",
		 type, op, me, owner_name);
	emit(&(struct rl_check_report){
		.kind = kind == RL_CHECK_SYNC ? RL_CHECK_SYNC : RL_CHECK_SEND,
		.type = type, .op = op, .object = object, .thread = me,
		.owner = owner_name, .live = SIZE_MAX, .message = msg,
	}, file, line);
}

void rl__check_from_zero(const char *type, const char *op, const void *object,
			 uint32_t owner, uint32_t serial, const char *file, int line)
{
	char owner_name[NAME_LEN], msg[MSG_LEN];
	const char *me;

	if (!seen_insert(object, owner, serial, SEEN_FROM_ZERO))
		return;
	me = rl_thread_name();
	names_get(owner, owner_name, sizeof(owner_name));
	snprintf(msg, sizeof(msg),
		 "%s used after free: %s on '%s', owned by '%s'; the count was already zero",
		 type, op, me, owner_name);
	emit(&(struct rl_check_report){
		.kind = RL_CHECK_USE_AFTER_FREE, .type = type, .op = op,
		.object = object, .thread = me, .owner = owner_name,
		.live = SIZE_MAX, .message = msg,
	}, file, line);
}

/* ---- quarantine ----------------------------------------------------------- */

struct rl__qrec {
	struct rl__qrec *next;
	void *base;          /* the allocation, freed by rl_check_quarantine_end() */
	const void *object;  /* the handle, for reports */
	uint32_t owner, serial;
	size_t live;         /* references live when the count reached zero */
	atomic_flag reported;
};

static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rl__qrec *q_head;

void rl_check_quarantine_begin(void)
{
	atomic_store_explicit(&q_active, true, memory_order_relaxed);
}

bool rl_check_quarantine_active(void)
{
	return atomic_load_explicit(&q_active, memory_order_relaxed);
}

size_t rl_check_quarantine_end(void)
{
	struct rl__qrec *rec, *next;
	size_t n = 0;

	pthread_mutex_lock(&q_lock);
	atomic_store_explicit(&q_active, false, memory_order_relaxed);
	rec = q_head;
	q_head = NULL;
	pthread_mutex_unlock(&q_lock);
	for (; rec; rec = next, n++) {
		next = rec->next;
		free(rec->base);
		free(rec);
	}
	return n;
}

enum rl__bury rl__check_bury(void *base, const void *object, uint32_t *owner,
			     uint32_t serial, void **rec_slot, bool ask_live)
{
	struct rl__qrec *rec;
	rl_check_live_fn *fn = NULL;
	void *ctx = NULL;
	size_t live = SIZE_MAX;

	if (!atomic_load_explicit(&q_active, memory_order_relaxed))
		return RL__BURY_OFF;
	if (ask_live) {
		pthread_mutex_lock(&report_lock);
		fn = live_fn;
		ctx = live_ctx;
		pthread_mutex_unlock(&report_lock);
		if (fn)
			live = fn(object, ctx);
	}
	rec = calloc(1, sizeof(*rec));
	if (!rec) /* freeing instead would turn a report into memory corruption */
		RL_FATAL("out of memory while quarantining a box");
	atomic_flag_clear(&rec->reported);
	rec->base = base;
	rec->object = object;
	rec->serial = serial;
	rec->live = live;

	/* The owner word is tested and set under q_lock, so a caller that gets
	 * RL__BURY_AGAIN also sees the winner's *rec_slot. (A thread that finds
	 * RL_OWNER_DEAD in a fast path without the lock is racing anyway; the
	 * record is stored before the owner word, which x86's TSO keeps.) */
	pthread_mutex_lock(&q_lock);
	if (owner && *owner == RL_OWNER_DEAD) {
		pthread_mutex_unlock(&q_lock);
		free(rec);
		return RL__BURY_AGAIN;
	}
	if (owner) {
		rec->owner = *owner;
		*rec_slot = rec;
		*owner = RL_OWNER_DEAD;
	}
	rec->next = q_head;
	q_head = rec;
	pthread_mutex_unlock(&q_lock);
	return RL__BURY_KEPT;
}

uint32_t rl__qrec_owner(const struct rl__qrec *rec)
{
	return rec->owner;
}

uint32_t rl__qrec_serial(const struct rl__qrec *rec)
{
	return rec->serial;
}

void rl__check_dead(const char *type, const char *op, struct rl__qrec *rec,
		    const char *file, int line)
{
	char owner_name[NAME_LEN], msg[MSG_LEN];
	const char *me;

	/* Relaxed: the flag only elects the one reporter. */
	if (atomic_flag_test_and_set_explicit(&rec->reported, memory_order_relaxed))
		return;
	me = rl_thread_name();
	names_get(rec->owner, owner_name, sizeof(owner_name));
	if (rec->live == SIZE_MAX)
		snprintf(msg, sizeof(msg),
			 "%s used after free: %s on '%s'; the count reached zero while references were still live",
			 type, op, me);
	else
		snprintf(msg, sizeof(msg),
			 "%s used after free: %s on '%s'; the count reached zero with %zu reference%s still live",
			 type, op, me, rec->live, rec->live == 1 ? "" : "s");
	emit(&(struct rl_check_report){
		.kind = RL_CHECK_USE_AFTER_FREE, .type = type, .op = op,
		.object = rec->object, .thread = me, .owner = owner_name,
		.live = rec->live, .message = msg,
	}, file, line);
}
