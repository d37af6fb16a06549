/* rwlock.c — std::sync::RwLock<T> on futexes (rwlock.h).
 *
 * The state word is Rust's futex RwLock (library/std/src/sys/sync/rwlock/
 * futex.rs), rewritten: the low 30 bits count readers, all ones meaning
 * write-locked; bit 30 says readers sleep on the state word, bit 31 that
 * writers sleep on writer_notify. Readers get in only when the count is not
 * write-locked or full and neither waiting bit is set (writer preference:
 * rwlock.h). An unlock that leaves the count 0 with a waiting bit set wakes a
 * writer first (writer_notify bumped, FUTEX_WAKE 1) and the readers (wake
 * all on the state) only when no writer was woken. Sleepers spin briefly
 * first, as the mutex does.
 */
#include <racelab/rwlock.h>

#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include <racelab/arc.h>
#include <racelab/thread.h>

#include "sync_wait.h"

struct rl_rwlock {
	_Atomic uint32_t state;
	_Atomic uint32_t writer_notify;
	_Atomic uint8_t poison;
	uint8_t data_off;
};

#define READ_LOCKED 1u
#define MASK ((1u << 30) - 1)
#define WRITE_LOCKED MASK
#define MAX_READERS (MASK - 1)
#define READERS_WAITING (1u << 30)
#define WRITERS_WAITING (1u << 31)
enum { SPIN_LIMIT = 100 };

static inline bool is_unlocked(uint32_t s) { return (s & MASK) == 0; }
static inline bool is_write_locked(uint32_t s) { return (s & MASK) == WRITE_LOCKED; }
static inline bool readers_waiting(uint32_t s) { return (s & READERS_WAITING) != 0; }
static inline bool writers_waiting(uint32_t s) { return (s & WRITERS_WAITING) != 0; }
static inline bool read_lockable(uint32_t s)
{
	return (s & MASK) < MAX_READERS && !readers_waiting(s) && !writers_waiting(s);
}

static const char RWLOCK_KIND[] = "RwLock";

/* ---- the state word's operations, probed while rl__probe_active ---------- */

static inline uint32_t ld(_Atomic uint32_t *p, memory_order mo, const char *name, const void *pc)
{
	if (RL_UNLIKELY(rl__probe_active))
		return sync_probe_load(p, mo, RWLOCK_KIND, name, pc);
	return atomic_load_explicit(p, mo);
}

static inline bool cas(_Atomic uint32_t *p, uint32_t *e, uint32_t d, memory_order mo,
		       const char *name, const void *pc)
{
	if (RL_UNLIKELY(rl__probe_active))
		return sync_probe_cas(p, e, d, mo, memory_order_relaxed, RWLOCK_KIND, name, pc);
	return atomic_compare_exchange_strong_explicit(p, e, d, mo, memory_order_relaxed);
}

static inline uint32_t add(_Atomic uint32_t *p, uint32_t d, memory_order mo, const char *name,
			   const void *pc)
{
	if (RL_UNLIKELY(rl__probe_active))
		return sync_probe_add(p, d, mo, RWLOCK_KIND, name, pc);
	return atomic_fetch_add_explicit(p, d, mo);
}

/* Sleep on @w while it is @v; probed: the probed wait (sync_wait.h), which
 * panics, as a lock does, when no thread can ever wake it. */
static inline void sleep_on(_Atomic uint32_t *w, uint32_t v, const char *name, const void *pc)
{
	if (RL_UNLIKELY(rl__probe_active)) {
		if (sync_probe_wait(w, v, UINT64_MAX, 0, RWLOCK_KIND, name, pc) == RL_EDEADLK)
			rl_panic("deadlock: %s can never return (see the deadlock report)", name);
	} else {
		rl__futex_wait(w, v);
	}
}

/* Spin (never while probed) until @done(state) or the limit; the state. */
static uint32_t spin_until(struct rl_rwlock *x, bool (*done)(uint32_t), const char *name,
			   const void *pc)
{
	if (RL_UNLIKELY(rl__probe_active))
		return ld(&x->state, memory_order_relaxed, name, pc);
	for (int n = SPIN_LIMIT;; n--) {
		uint32_t s = atomic_load_explicit(&x->state, memory_order_relaxed);
		if (done(s) || n == 0)
			return s;
		rl_cpu_relax();
	}
}

static bool read_spin_done(uint32_t s)
{
	return !is_write_locked(s) || readers_waiting(s) || writers_waiting(s);
}

static bool write_spin_done(uint32_t s)
{
	return is_unlocked(s) || writers_waiting(s);
}

/* ---- the lock word protocol --------------------------------------------- */

/* Acquire on success: pairs with the Release RMW of the last unlock. */
static bool raw_try_read(struct rl_rwlock *x, const void *pc)
{
	uint32_t s = ld(&x->state, memory_order_relaxed, "rl_rwlock_try_read", pc);
	while (read_lockable(s))
		if (cas(&x->state, &s, s + READ_LOCKED, memory_order_acquire, "rl_rwlock_try_read",
			pc))
			return true;
	return false;
}

static void raw_read(struct rl_rwlock *x, const void *pc)
{
	static const char name[] = "rl_rwlock_read";
	uint32_t s = ld(&x->state, memory_order_relaxed, name, pc);
	/* Acquire: pairs with the Release RMW of the last unlock. */
	if (RL_LIKELY(read_lockable(s)) &&
	    cas(&x->state, &s, s + READ_LOCKED, memory_order_acquire, name, pc))
		return;
	s = spin_until(x, read_spin_done, name, pc);
	for (;;) {
		if (read_lockable(s)) {
			if (cas(&x->state, &s, s + READ_LOCKED, memory_order_acquire, name, pc))
				return;
			continue;
		}
		if ((s & MASK) == MAX_READERS)
			rl_panic("too many active read locks on RwLock");
		/* Relaxed: the bit only asks for a wake-up; the lock itself
		 * is taken by the Acquire CAS above. */
		if (!readers_waiting(s) &&
		    !cas(&x->state, &s, s | READERS_WAITING, memory_order_relaxed, name, pc))
			continue;
		sleep_on(&x->state, s | READERS_WAITING, name, pc);
		s = spin_until(x, read_spin_done, name, pc);
	}
}

static bool raw_try_write(struct rl_rwlock *x, const void *pc)
{
	uint32_t s = ld(&x->state, memory_order_relaxed, "rl_rwlock_try_write", pc);
	while (is_unlocked(s))
		if (cas(&x->state, &s, s | WRITE_LOCKED, memory_order_acquire,
			"rl_rwlock_try_write", pc))
			return true;
	return false;
}

static void raw_write(struct rl_rwlock *x, const void *pc)
{
	static const char name[] = "rl_rwlock_write";
	uint32_t s = 0;
	/* Acquire: pairs with the Release RMW of the last unlock. */
	if (RL_LIKELY(cas(&x->state, &s, WRITE_LOCKED, memory_order_acquire, name, pc)))
		return;
	s = spin_until(x, write_spin_done, name, pc);
	uint32_t others = 0; /* WRITERS_WAITING once this writer slept: others may still */
	for (;;) {
		if (is_unlocked(s)) {
			if (cas(&x->state, &s, s | WRITE_LOCKED | others, memory_order_acquire, name,
				pc))
				return;
			continue;
		}
		if (!writers_waiting(s) &&
		    !cas(&x->state, &s, s | WRITERS_WAITING, memory_order_relaxed, name, pc))
			continue;
		others = WRITERS_WAITING;
		/* Acquire: pairs with the Release bump in wake_writer(). Read
		 * before re-checking the state, so a wake between the check
		 * and the sleep changes the word and FUTEX_WAIT returns. */
		uint32_t seq = ld(&x->writer_notify, memory_order_acquire, name, pc);
		s = ld(&x->state, memory_order_relaxed, name, pc);
		if (is_unlocked(s) || !writers_waiting(s))
			continue;
		sleep_on(&x->writer_notify, seq, name, pc);
		s = spin_until(x, write_spin_done, name, pc);
	}
}

/* True if a sleeping writer was woken. */
static bool wake_writer(struct rl_rwlock *x, const void *pc)
{
	/* Release: pairs with the Acquire load of writer_notify by a writer
	 * about to sleep. */
	add(&x->writer_notify, 1, memory_order_release, "rl_rwlock_unlock", pc);
	if (RL_UNLIKELY(rl__probe_active))
		return sync_probe_notify(&x->writer_notify, false, RWLOCK_KIND, "rl_rwlock_unlock", pc) > 0;
	return sync_futex_wake_counted(&x->writer_notify);
}

/* The lock is unlocked and @s has waiting bits: wake a writer or readers. */
static void wake_writer_or_readers(struct rl_rwlock *x, uint32_t s, const void *pc)
{
	static const char name[] = "rl_rwlock_unlock";
	if (s == WRITERS_WAITING) {
		if (cas(&x->state, &s, 0, memory_order_relaxed, name, pc)) {
			wake_writer(x, pc);
			return;
		}
	}
	if (s == (READERS_WAITING | WRITERS_WAITING)) {
		if (cas(&x->state, &s, READERS_WAITING, memory_order_relaxed, name, pc)) {
			if (wake_writer(x, pc))
				return;
			s = READERS_WAITING; /* no writer slept: the readers go */
		}
	}
	if (s == READERS_WAITING) {
		if (cas(&x->state, &s, 0, memory_order_relaxed, name, pc)) {
			if (RL_UNLIKELY(rl__probe_active))
				sync_probe_notify(&x->state, true, RWLOCK_KIND, name, pc);
			else
				rl__futex_wake_all(&x->state);
		}
	}
}

static void raw_read_unlock(struct rl_rwlock *x, const void *pc)
{
	/* Release: pairs with the Acquire CAS of the next writer. */
	uint32_t s = add(&x->state, (uint32_t)-READ_LOCKED, memory_order_release,
			 "rl_rwlock_read_guard_drop", pc) - READ_LOCKED;
	if (is_unlocked(s) && writers_waiting(s))
		wake_writer_or_readers(x, s, pc);
}

static void raw_write_unlock(struct rl_rwlock *x, const void *pc)
{
	/* Release: pairs with the Acquire CAS of the next reader or writer. */
	uint32_t s = add(&x->state, (uint32_t)-WRITE_LOCKED, memory_order_release,
			 "rl_rwlock_write_guard_drop", pc) - WRITE_LOCKED;
	if (writers_waiting(s) || readers_waiting(s))
		wake_writer_or_readers(x, s, pc);
}

/* ---- TSan's view: a reader-writer mutex ---------------------------------- */

#define RD SYNC_TSAN_FLAG(__tsan_mutex_read_lock)
#ifdef RL_TSAN
#define SYNC_TSAN_FLAG(f) (f)
#define TRY_FLAGS(ok) (__tsan_mutex_try_lock | ((ok) ? 0 : __tsan_mutex_try_lock_failed))
#else
#define SYNC_TSAN_FLAG(f) 0
#define TRY_FLAGS(ok) 0
#endif

/* TSan ignores synchronisation between a pre_lock and its post_lock (and a
 * pre_unlock and its post_unlock): the thread is in its ignore-sync mode
 * there. A probed operation's scheduling points hand the baton over by a
 * release store and an acquire load (sim/sched.c give()/take()), which TSan
 * must see, so probed, the lock is annotated once it is taken and the unlock
 * before it is made: TSan's order of the lock's owners stays the real one.
 * Unprobed, the annotations bracket the operation as TSan documents. */
static inline void tsan_locked(struct rl_rwlock *l, unsigned flags_pre, unsigned flags_post)
{
	(void)l;
	(void)flags_pre;
	(void)flags_post;
	SYNC_TSAN(__tsan_mutex_pre_lock(l, flags_pre));
	SYNC_TSAN(__tsan_mutex_post_lock(l, flags_post, 0));
}

static inline void tsan_unlocking(struct rl_rwlock *l, unsigned flags)
{
	(void)l;
	(void)flags;
	SYNC_TSAN(__tsan_mutex_pre_unlock(l, flags));
	SYNC_TSAN(__tsan_mutex_post_unlock(l, flags));
}

/* ---- layout ------------------------------------------------------------- */

static inline size_t value_align(size_t n)
{
	if (n == 0)
		return 1;
	size_t a = n & -n;
	return a < 16 ? a : 16;
}

static inline size_t round_up(size_t n, size_t a)
{
	return (n + a - 1) & ~(a - 1);
}

static size_t value_offset(size_t value_size)
{
	return round_up(offsetof(struct rl_rwlock, data_off) + 1, value_align(value_size));
}

size_t rl_rwlock_size(size_t value_size)
{
	size_t off = value_offset(value_size), a = value_align(value_size);
	if (a < _Alignof(struct rl_rwlock))
		a = _Alignof(struct rl_rwlock);
	if (value_size > SIZE_MAX - off - a)
		return 0;
	return round_up(off + value_size, a);
}

void rl_rwlock_init(rl_rwlock *l, size_t value_size)
{
	size_t size = rl_rwlock_size(value_size);
	if (size == 0)
		sync_fatal("rl_rwlock_init: value size too large");
	memset(l, 0, size);
	atomic_init(&l->state, 0);
	atomic_init(&l->writer_notify, 0);
	atomic_init(&l->poison, 0);
	l->data_off = (uint8_t)value_offset(value_size);
	SYNC_TSAN(__tsan_mutex_create(l, 0));
}

void rl_rwlock_destroy(rl_rwlock *l)
{
	if (atomic_load_explicit(&l->state, memory_order_relaxed) != 0)
		sync_fatal("destroy of a locked RwLock");
	SYNC_TSAN(__tsan_mutex_destroy(l, 0));
}

static inline unsigned char *value_of(struct rl_rwlock *x)
{
	return (unsigned char *)x + x->data_off;
}

static inline int poison_status(struct rl_rwlock *x)
{
	/* Relaxed (Rust's poison::Flag): the lock orders it. */
	return atomic_load_explicit(&x->poison, memory_order_relaxed) ? RL_POISONED : RL_OK;
}

/* ---- guards ------------------------------------------------------------- */

static void read_cleanup(struct rl__cleanup *c)
{
	rl_rwlock_read_guard *g = (rl_rwlock_read_guard *)c;
	struct rl_rwlock *x = g->lock;
	g->lock = NULL;
	if (RL_UNLIKELY(rl__probe_active)) {
		tsan_unlocking(x, RD);
		raw_read_unlock(x, NULL);
		return;
	}
	SYNC_TSAN(__tsan_mutex_pre_unlock(x, RD));
	raw_read_unlock(x, NULL);
	SYNC_TSAN(__tsan_mutex_post_unlock(x, RD));
}

static void write_cleanup(struct rl__cleanup *c)
{
	rl_rwlock_write_guard *g = (rl_rwlock_write_guard *)c;
	struct rl_rwlock *x = g->lock;
	if (!g->panicking)
		atomic_store_explicit(&x->poison, 1, memory_order_relaxed);
	g->lock = NULL;
	if (RL_UNLIKELY(rl__probe_active)) {
		tsan_unlocking(x, 0);
		raw_write_unlock(x, NULL);
		return;
	}
	SYNC_TSAN(__tsan_mutex_pre_unlock(x, 0));
	raw_write_unlock(x, NULL);
	SYNC_TSAN(__tsan_mutex_post_unlock(x, 0));
}

_Static_assert(offsetof(rl_rwlock_read_guard, cleanup) == 0, "read_cleanup casts back");
_Static_assert(offsetof(rl_rwlock_write_guard, cleanup) == 0, "write_cleanup casts back");

static inline int read_enter(struct rl_rwlock *x, rl_rwlock_read_guard *g)
{
	g->lock = x;
	g->value = value_of(x);
	g->tid = rl__tid();
	g->cleanup.fn = read_cleanup;
	rl__cleanup_push(&g->cleanup);
	return poison_status(x);
}

static inline int write_enter(struct rl_rwlock *x, rl_rwlock_write_guard *g)
{
	g->lock = x;
	g->value = value_of(x);
	g->tid = rl__tid();
	g->panicking = rl__thread_panicking();
	g->cleanup.fn = write_cleanup;
	rl__cleanup_push(&g->cleanup);
	return poison_status(x);
}

static __attribute__((noinline)) void read_slow(struct rl_rwlock *x, const void *pc)
{
	raw_read(x, pc);
}

int rl_rwlock_read(rl_rwlock *l, rl_rwlock_read_guard *g)
{
	if (RL_UNLIKELY(rl__probe_active)) {
		read_slow(l, __builtin_return_address(0));
		tsan_locked(l, RD, RD);
		return read_enter(l, g);
	}
	SYNC_TSAN(__tsan_mutex_pre_lock(l, RD));
	/* The uncontended read, inline: one relaxed load, one CAS (Acquire:
	 * pairs with the Release RMW of the last unlock). */
	uint32_t s;
	if (!read_lockable(s = atomic_load_explicit(&l->state, memory_order_relaxed)) ||
	    !atomic_compare_exchange_weak_explicit(&l->state, &s, s + READ_LOCKED,
						   memory_order_acquire, memory_order_relaxed))
		read_slow(l, __builtin_return_address(0));
	SYNC_TSAN(__tsan_mutex_post_lock(l, RD, 0));
	return read_enter(l, g);
}

int rl_rwlock_try_read(rl_rwlock *l, rl_rwlock_read_guard *g)
{
	bool ok;
	if (RL_UNLIKELY(rl__probe_active)) {
		ok = raw_try_read(l, __builtin_return_address(0));
		tsan_locked(l, RD | TRY_FLAGS(true), RD | TRY_FLAGS(ok));
	} else {
		SYNC_TSAN(__tsan_mutex_pre_lock(l, RD | TRY_FLAGS(true)));
		ok = raw_try_read(l, __builtin_return_address(0));
		SYNC_TSAN(__tsan_mutex_post_lock(l, RD | TRY_FLAGS(ok), 0));
	}
	return ok ? read_enter(l, g) : RL_EBUSY;
}

int rl_rwlock_write(rl_rwlock *l, rl_rwlock_write_guard *g)
{
	if (RL_UNLIKELY(rl__probe_active)) {
		raw_write(l, __builtin_return_address(0));
		tsan_locked(l, 0, 0);
		return write_enter(l, g);
	}
	SYNC_TSAN(__tsan_mutex_pre_lock(l, 0));
	raw_write(l, __builtin_return_address(0));
	SYNC_TSAN(__tsan_mutex_post_lock(l, 0, 0));
	return write_enter(l, g);
}

int rl_rwlock_try_write(rl_rwlock *l, rl_rwlock_write_guard *g)
{
	bool ok;
	if (RL_UNLIKELY(rl__probe_active)) {
		ok = raw_try_write(l, __builtin_return_address(0));
		tsan_locked(l, TRY_FLAGS(true), TRY_FLAGS(ok));
	} else {
		SYNC_TSAN(__tsan_mutex_pre_lock(l, TRY_FLAGS(true)));
		ok = raw_try_write(l, __builtin_return_address(0));
		SYNC_TSAN(__tsan_mutex_post_lock(l, TRY_FLAGS(ok), 0));
	}
	return ok ? write_enter(l, g) : RL_EBUSY;
}

const void *rl_rwlock_read_guard_get(const rl_rwlock_read_guard *g)
{
	return g->value;
}

void *rl_rwlock_write_guard_get(rl_rwlock_write_guard *g)
{
	return g->value;
}

void rl_rwlock_read_guard_drop(rl_rwlock_read_guard *g)
{
	struct rl_rwlock *x = g->lock;
	if (RL_UNLIKELY(x == NULL))
		sync_fatal("unlock of a RwLock through a read guard that holds no lock (dropped twice?)");
	/* A thread racelab has not seen has rl__tid_tls 0, never a guard's tid. */
	if (RL_UNLIKELY(g->tid != rl__tid_tls))
		sync_fatal("unlock of a RwLock read guard on another thread (RwLockReadGuard is !Send)");
	rl__cleanup_pop(&g->cleanup);
	g->lock = NULL;
	if (RL_UNLIKELY(rl__probe_active)) {
		tsan_unlocking(x, RD);
		raw_read_unlock(x, __builtin_return_address(0));
		return;
	}
	SYNC_TSAN(__tsan_mutex_pre_unlock(x, RD));
	{
		/* Release: pairs with the Acquire CAS of the next writer. */
		uint32_t s = atomic_fetch_sub_explicit(&x->state, READ_LOCKED,
						       memory_order_release) - READ_LOCKED;
		if (RL_UNLIKELY(is_unlocked(s) && writers_waiting(s)))
			wake_writer_or_readers(x, s, __builtin_return_address(0));
	}
	SYNC_TSAN(__tsan_mutex_post_unlock(x, RD));
}

void rl_rwlock_write_guard_drop(rl_rwlock_write_guard *g)
{
	struct rl_rwlock *x = g->lock;
	if (RL_UNLIKELY(x == NULL))
		sync_fatal("unlock of a RwLock through a write guard that holds no lock (dropped twice?)");
	if (RL_UNLIKELY(g->tid != rl__tid()))
		sync_fatal("unlock of a RwLock write guard on another thread (RwLockWriteGuard is !Send)");
	rl__cleanup_pop(&g->cleanup);
	if (RL_UNLIKELY(!g->panicking && rl__thread_panicking()))
		atomic_store_explicit(&x->poison, 1, memory_order_relaxed);
	g->lock = NULL;
	if (RL_UNLIKELY(rl__probe_active)) {
		tsan_unlocking(x, 0);
		raw_write_unlock(x, __builtin_return_address(0));
		return;
	}
	SYNC_TSAN(__tsan_mutex_pre_unlock(x, 0));
	raw_write_unlock(x, __builtin_return_address(0));
	SYNC_TSAN(__tsan_mutex_post_unlock(x, 0));
}

bool rl_rwlock_is_poisoned(const rl_rwlock *l)
{
	return atomic_load_explicit(&((struct rl_rwlock *)l)->poison, memory_order_relaxed) != 0;
}

void rl_rwlock_clear_poison(rl_rwlock *l)
{
	atomic_store_explicit(&l->poison, 0, memory_order_relaxed);
}

/* ---- Arc<RwLock<T>> (as Arc<Mutex<T>> in mutex.c: the drop glue rides in a
 * pointer-sized trailer after the block when given) ------------------------ */

static void arc_rwlock_destroy(void *value)
{
	rl_rwlock_destroy(value);
}

static void arc_rwlock_drop(void *value)
{
	const rl_arc *a = (const rl_arc *)((unsigned char *)value - offsetof(rl_arc, value));
	rl_drop_fn *drop;
	memcpy(&drop, (unsigned char *)value + rl_arc_value_size(a) - sizeof drop, sizeof drop);
	drop(value_of(value));
	rl_rwlock_destroy(value);
}

rl_arc *rl_arc_rwlock_new(size_t value_size, rl_drop_fn *drop)
{
	size_t size = rl_rwlock_size(value_size);
	if (size == 0 || size > SIZE_MAX / 2)
		return NULL;
	size_t total = drop ? round_up(size, _Alignof(rl_drop_fn *)) + sizeof drop : size;
	rl_arc *a = rl_arc_new(total, drop ? arc_rwlock_drop : arc_rwlock_destroy);
	if (!a)
		return NULL;
	unsigned char *v = rl_arc_get(a);
	rl_rwlock_init((rl_rwlock *)v, value_size);
	if (drop)
		memcpy(v + total - sizeof drop, &drop, sizeof drop);
	return a;
}
