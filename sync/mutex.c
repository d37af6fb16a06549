/* mutex.c — std::sync::Mutex<T>: the lock, poisoning and the guards.
 *
 * Compiled once per backend (mutex_backends.h): RL_MUTEX_BACKEND_FUTEX gives
 * rl_fmutex_*, RL_MUTEX_BACKEND_PTHREAD gives rl_pmutex_*, and the object built
 * with RL_MUTEX_DEFAULT_BACKEND also exports mutex.h's rl_mutex_* names as
 * aliases. Everything above "the lock word" is the same for both.
 *
 * Block layout: {lock word, _Atomic uint8_t poison, uint8_t data_off, value at
 * data_off}. The lock word is a 4-byte futex word (Rust's layout: Mutex<i32>
 * is 12 bytes) or a pthread_mutex_t. data_off sits where Rust has padding, so
 * the block needs no more bytes than Rust's for the sizes rustc reports.
 *
 * The futex lock (Rust's library/std/src/sys/sync/mutex/futex.rs, rewritten):
 * the word is 0 unlocked, 1 locked, 2 locked with possible sleepers. Lock is a
 * CAS 0→1 (Acquire); when that fails, spin up to 100 relaxed loads while the
 * word is 1 (a holder that is about to unlock is cheaper to wait for than a
 * syscall), try 0→1 once more, then swap in 2 (Acquire) — getting 0 back means
 * the lock is ours — and sleep in FUTEX_WAIT while the word is 2. A thread
 * that wakes sets 2 again, so a sleeper that might remain is never lost: the
 * state is pessimistic, at worst costing one needless FUTEX_WAKE. Unlock swaps
 * in 0 (Release) and wakes one sleeper only if it saw 2. The uncontended
 * lock+unlock path is therefore one CAS and one XCHG, no syscall.
 *
 * Those two instructions, and the guard's bookkeeping, are defined in
 * mutex.h (struct rl__fmutex, rl__fmutex_trylock, rl__fmutex_unlock,
 * rl__mutex_guard_enter) so that C callers inline them when the futex
 * backend is the default (RL__MUTEX_INLINE). This file builds the backend on
 * the same pieces and gives the inline paths their out-of-line halves,
 * rl__fmutex_*_slow: one definition of the layout and of the protocol.
 *
 * TSan cannot see through raw futex syscalls, so every lock and unlock is
 * bracketed with its mutex annotations (__tsan_mutex_pre_lock/post_lock,
 * pre_unlock/post_unlock); TSan then treats the block as a mutex, with lock
 * sets in its reports. pthread mutexes are intercepted by TSan directly.
 *
 * Probes (probe.h): while a detector or the scheduler is attached, lock,
 * try_lock and unlock take a slow path that brackets them as probe events,
 * so the happens-before detector sees unlock -> lock edges and the scheduler
 * never lets a thread block in the futex (a lock that can never be taken is
 * reported as a deadlock and panics, as Rust's Mutex may).
 *
 * Poisoning (library/std/src/sync/poison.rs): the guard records whether its
 * thread was panicking when it locked; if the thread is panicking when the
 * guard drops — rl_panic() running the guard's cleanup handler, in practice —
 * the flag is set. The flag is Relaxed: set and read under the lock.
 */
#include <racelab/mutex.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <racelab/arc.h>
#include <racelab/hooks.h>
#include <racelab/probe.h>
#include <racelab/status.h>
#include <racelab/thread.h>

#include "core/arch.h"
#include "mutex_backends.h"

#if defined(RL_MUTEX_BACKEND_FUTEX) == defined(RL_MUTEX_BACKEND_PTHREAD)
#error "define exactly one of RL_MUTEX_BACKEND_FUTEX and RL_MUTEX_BACKEND_PTHREAD"
#endif

#ifdef RL_MUTEX_BACKEND_FUTEX
#include "futex.h"
#define MX(name) rl_fmutex_##name
#define MX_PREFIX "rl_fmutex_"
#define MX_BACKEND "futex"
#else
#include <pthread.h>
#define MX(name) rl_pmutex_##name
#define MX_PREFIX "rl_pmutex_"
#define MX_BACKEND "pthread"
#endif

#if defined(RL_TSAN) && defined(RL_MUTEX_BACKEND_FUTEX)
#include <sanitizer/tsan_interface.h>
#define TSAN_MUTEX(call) call
#else
#define TSAN_MUTEX(call) ((void)0)
#endif

static _Noreturn void fatal_at(const char *what, const char *file, int line)
{
	fprintf(stderr, "racelab: fatal: %s on thread '%s' (%s:%d)\n", what, rl_thread_name(),
		file, line);
	abort();
}
#define fatal(what) fatal_at((what), "sync/mutex.c", __LINE__)

/* ---- the lock word ------------------------------------------------------ */

#ifdef RL_MUTEX_BACKEND_FUTEX

enum {
	UNLOCKED = RL__FMUTEX_UNLOCKED,
	LOCKED = RL__FMUTEX_LOCKED,
	CONTENDED = RL__FMUTEX_CONTENDED,
	SPIN_LIMIT = 100,
};

/* The block is mutex.h's struct rl__fmutex, which the inline paths use. */
#define mx rl__fmutex
#define LOCK_WORD_SIZE sizeof(_Atomic uint32_t)
#define LOCK_WORD_ALIGN _Alignof(_Atomic uint32_t)

/* Wait (bounded) while another thread holds the lock uncontended. */
static uint32_t spin(_Atomic uint32_t *state)
{
	for (int n = SPIN_LIMIT;; n--) {
		uint32_t s = atomic_load_explicit(state, memory_order_relaxed);
		if (s != LOCKED || n == 0)
			return s;
		rl_cpu_relax();
	}
}

static __attribute__((noinline, cold)) void lock_contended(_Atomic uint32_t *state)
{
	uint32_t s = spin(state);
	if (s == UNLOCKED) {
		/* Acquire: pairs with the Release swap in rl__fmutex_unlock(). */
		if (atomic_compare_exchange_strong_explicit(state, &s, LOCKED, memory_order_acquire,
							    memory_order_relaxed))
			return;
	}
	for (;;) {
		/* Mark the lock contended; seeing UNLOCKED means we took it.
		 * Acquire: pairs with the Release swap in rl__fmutex_unlock(). */
		if (s != CONTENDED &&
		    atomic_exchange_explicit(state, CONTENDED, memory_order_acquire) == UNLOCKED)
			return;
		rl__futex_wait(state, CONTENDED);
		s = spin(state);
	}
}

/* lock_contended() that gives up at the CLOCK_MONOTONIC time @until (the
 * probed lock of a session without a scheduler, which looks for a deadlock
 * between tries). Return: whether the lock was taken. */
static bool lock_contended_until(_Atomic uint32_t *state, const struct timespec *until)
{
	uint32_t s = spin(state);
	/* Acquire (both): pairs with the Release swap in rl__fmutex_unlock(). */
	if (s == UNLOCKED && atomic_compare_exchange_strong_explicit(state, &s, LOCKED, memory_order_acquire,
								     memory_order_relaxed))
		return true;
	for (;;) {
		if (s != CONTENDED && atomic_exchange_explicit(state, CONTENDED, memory_order_acquire) == UNLOCKED)
			return true;
		/* A timeout leaves the word CONTENDED: the next unlock makes a
		 * wake that may find nobody, which costs only the syscall. */
		if (rl__futex_wait_until(state, CONTENDED, until) < 0 && errno == ETIMEDOUT)
			return false;
		s = spin(state);
	}
}

static inline bool raw_lock_until(struct mx *x, const struct timespec *until)
{
	TSAN_MUTEX(__tsan_mutex_pre_lock(x, __tsan_mutex_try_lock));
	bool ok = rl__fmutex_trylock(x) || lock_contended_until(&x->state, until);
	TSAN_MUTEX(__tsan_mutex_post_lock(
		x, ok ? __tsan_mutex_try_lock : __tsan_mutex_try_lock | __tsan_mutex_try_lock_failed, 0));
	return ok;
}

static inline void raw_init(struct mx *x)
{
	atomic_init(&x->state, UNLOCKED);
	TSAN_MUTEX(__tsan_mutex_create(x, 0));
}

static inline bool raw_destroy(struct mx *x)
{
	if (atomic_load_explicit(&x->state, memory_order_relaxed) != UNLOCKED)
		return false;
	TSAN_MUTEX(__tsan_mutex_destroy(x, 0));
	return true;
}

/* The contended half of a lock, with TSan's view of it (raw_lock(), and
 * rl__fmutex_lock_slow() after the inline CAS failed). */
static void lock_contended_annotated(struct mx *x)
{
	TSAN_MUTEX(__tsan_mutex_pre_lock(x, 0));
	lock_contended(&x->state);
	TSAN_MUTEX(__tsan_mutex_post_lock(x, 0, 0));
}

static inline void raw_lock(struct mx *x)
{
	TSAN_MUTEX(__tsan_mutex_pre_lock(x, 0));
	/* Acquire (rl__fmutex_trylock): pairs with the Release swap in
	 * rl__fmutex_unlock() of the previous holder. */
	if (RL_UNLIKELY(!rl__fmutex_trylock(x)))
		lock_contended(&x->state);
	TSAN_MUTEX(__tsan_mutex_post_lock(x, 0, 0));
}

static inline bool raw_try_lock(struct mx *x)
{
	TSAN_MUTEX(__tsan_mutex_pre_lock(x, __tsan_mutex_try_lock));
	/* Acquire on success: pairs with the Release swap in rl__fmutex_unlock(). */
	bool ok = rl__fmutex_trylock(x);
	TSAN_MUTEX(__tsan_mutex_post_lock(
		x, ok ? __tsan_mutex_try_lock : __tsan_mutex_try_lock | __tsan_mutex_try_lock_failed,
		0));
	return ok;
}

static inline void raw_unlock(struct mx *x)
{
	TSAN_MUTEX(__tsan_mutex_pre_unlock(x, 0));
	/* Release: publishes the holder's writes to the next lock's Acquire. */
	rl__fmutex_unlock(x);
	TSAN_MUTEX(__tsan_mutex_post_unlock(x, 0));
}

/* The swap of rl__fmutex_unlock() saw @old instead of LOCKED. */
void rl__fmutex_unlock_slow(struct rl__fmutex *x, uint32_t old)
{
	if (old == UNLOCKED)
		fatal("unlock of a mutex that is not locked");
	rl__futex_wake_one(&x->state);
}

#else /* RL_MUTEX_BACKEND_PTHREAD */

struct mx {
	pthread_mutex_t lock;
	_Atomic uint8_t poison;
	uint8_t data_off;
};
#define LOCK_WORD_SIZE sizeof(pthread_mutex_t)
#define LOCK_WORD_ALIGN _Alignof(pthread_mutex_t)

static inline void raw_init(struct mx *x)
{
	pthread_mutex_init(&x->lock, NULL); /* a default mutex: cannot fail on Linux */
}

static inline bool raw_destroy(struct mx *x)
{
	/* pthread_mutex_destroy() of a locked mutex is undefined: probe first. */
	if (pthread_mutex_trylock(&x->lock) != 0)
		return false;
	pthread_mutex_unlock(&x->lock);
	return pthread_mutex_destroy(&x->lock) == 0;
}

static inline void raw_lock(struct mx *x)
{
	pthread_mutex_lock(&x->lock);
}

static inline bool raw_try_lock(struct mx *x)
{
	return pthread_mutex_trylock(&x->lock) == 0;
}

static inline bool raw_lock_until(struct mx *x, const struct timespec *until)
{
	/* pthread_mutex_timedlock (CLOCK_REALTIME), not clocklock: TSan
	 * intercepts the former only, and must see every lock. */
	struct timespec now, rt;
	clock_gettime(CLOCK_MONOTONIC, &now);
	clock_gettime(CLOCK_REALTIME, &rt);
	long long ns = (long long)(until->tv_sec - now.tv_sec) * 1000000000LL + (until->tv_nsec - now.tv_nsec);
	if (ns < 0)
		ns = 0;
	ns += rt.tv_nsec;
	rt.tv_sec += (time_t)(ns / 1000000000LL);
	rt.tv_nsec = (long)(ns % 1000000000LL);
	return pthread_mutex_timedlock(&x->lock, &rt) == 0;
}

static inline void raw_unlock(struct mx *x)
{
	pthread_mutex_unlock(&x->lock);
}

#endif

/* ---- layout ------------------------------------------------------------- */

_Static_assert(offsetof(struct mx, poison) == LOCK_WORD_SIZE, "poison follows the lock word");
_Static_assert(offsetof(struct mx, data_off) == LOCK_WORD_SIZE + 1, "data_off follows poison");

#define MAX_VALUE_ALIGN ((size_t)16)

/* Alignment of a value of @n bytes: the lowest set bit of n, at most 16. */
static inline size_t value_align(size_t n)
{
	if (n == 0)
		return 1;
	size_t a = n & -n;
	return a < MAX_VALUE_ALIGN ? a : MAX_VALUE_ALIGN;
}

static inline size_t round_up(size_t n, size_t a)
{
	return (n + a - 1) & ~(a - 1);
}

size_t MX(value_offset)(size_t value_size)
{
	return round_up(offsetof(struct mx, data_off) + 1, value_align(value_size));
}

size_t MX(align)(size_t value_size)
{
	size_t a = value_align(value_size);
	return a > LOCK_WORD_ALIGN ? a : LOCK_WORD_ALIGN;
}

size_t MX(size)(size_t value_size)
{
	size_t off = MX(value_offset)(value_size), a = MX(align)(value_size);
	if (value_size > SIZE_MAX - off - a)
		return 0;
	return round_up(off + value_size, a);
}

static inline unsigned char *value_of(struct mx *x)
{
	return (unsigned char *)x + x->data_off;
}

void MX(init)(rl_mutex *m, size_t value_size)
{
	struct mx *x = (struct mx *)m;
	size_t size = MX(size)(value_size);
	if (size == 0)
		fatal("rl_mutex_init: value size too large");
	memset(x, 0, size);
	raw_init(x);
	atomic_init(&x->poison, 0);
	x->data_off = (uint8_t)MX(value_offset)(value_size);
}

void MX(destroy)(rl_mutex *m)
{
	if (!raw_destroy((struct mx *)m))
		fatal("destroy of a locked mutex");
}

/* ---- guards ------------------------------------------------------------- */

static void set_poison(struct mx *x)
{
	/* Relaxed (Rust's poison::Flag): written under the lock, read under it. */
	atomic_store_explicit(&x->poison, 1, memory_order_relaxed);
}

/*
 * Probe slow paths (probe.h), taken while rl__probe_active is set: the lock,
 * try_lock and unlock are bracketed as RL_PROBE_LOCK / TRYLOCK / UNLOCK on
 * the lock word, so the happens-before detector sees unlock -> lock edges and
 * the scheduler knows who holds what (it never lets a thread block here: a
 * lock that could never be taken is reported as a deadlock and panics).
 */
static const char MUTEX_KIND[] = "Mutex";

/* A contended lock in a session without a scheduler: sleep in slices,
 * looking for a deadlock between them (probe.h's rl__probe_blocked()). */
static void lock_blocked(struct mx *x, const rl_probe_ev *ev)
{
	enum { SLICE_NS = 20000000 }; /* 20 ms */
	for (;;) {
		int rc = rl__probe_blocked(ev);
		if (rc == RL_EAGAIN) {
			raw_lock(x);
			return;
		}
		if (rc == RL_EDEADLK)
			rl_panic("deadlock: rl_mutex_lock can never return (see the deadlock report)");
		struct timespec ts = rl__deadline_in(SLICE_NS);
		if (raw_lock_until(x, &ts))
			return;
	}
}

static __attribute__((noinline)) void lock_probed(struct mx *x, const void *pc)
{
	rl_probe_ev ev = {.op = RL_PROBE_LOCK, .addr = x, .kind = MUTEX_KIND,
			  .name = "rl_mutex_lock", .pc = pc};
	if (rl__probe_enter(&ev) == RL_EDEADLK)
		rl_panic("deadlock: rl_mutex_lock can never return (see the scheduler's report)");
	/* Under the scheduler the lock is free now; without one it may not be. */
	if (!raw_try_lock(x))
		lock_blocked(x, &ev);
	rl__probe_exit(&ev);
}

static __attribute__((noinline)) bool try_lock_probed(struct mx *x, const void *pc)
{
	rl_probe_ev ev = {.op = RL_PROBE_TRYLOCK, .addr = x, .kind = MUTEX_KIND,
			  .name = "rl_mutex_try_lock", .pc = pc};
	rl__probe_enter(&ev); /* not blocking: always RL_OK */
	bool ok = raw_try_lock(x);
	if (!ok)
		ev.flags |= RL_PROBE_F_FAILED;
	rl__probe_exit(&ev);
	return ok;
}

static __attribute__((noinline)) void unlock_probed(struct mx *x, const void *pc)
{
	rl_probe_ev ev = {.op = RL_PROBE_UNLOCK, .addr = x, .kind = MUTEX_KIND,
			  .name = "rl_mutex_guard_drop", .pc = pc};
	rl__probe_enter(&ev);
	raw_unlock(x);
	rl__probe_exit(&ev);
}

static inline void unlock(struct mx *x, const void *pc)
{
	if (RL_UNLIKELY(rl__probe_active))
		unlock_probed(x, pc);
	else
		raw_unlock(x);
}

/* Run by rl_panic() for each guard its thread still holds. */
static void guard_cleanup(struct rl__cleanup *c)
{
	rl_mutex_guard *g = (rl_mutex_guard *)c;
	struct mx *x = (struct mx *)g->mutex;
	if (!g->panicking)
		set_poison(x);
	g->mutex = NULL;
	unlock(x, __builtin_return_address(0));
}

_Static_assert(offsetof(rl_mutex_guard, cleanup) == 0, "guard_cleanup casts back");

#ifdef RL_MUTEX_BACKEND_FUTEX
/* The inline lock of mutex.h pushes this same handler. */
extern __typeof__(guard_cleanup) rl__fmutex_guard_cleanup __attribute__((alias("guard_cleanup")));
#endif

static inline int guard_enter(struct mx *x, rl_mutex_guard *g)
{
	return rl__mutex_guard_enter(g, (rl_mutex *)x, value_of(x), &x->poison, guard_cleanup);
}

int MX(lock)(rl_mutex *m, rl_mutex_guard *g)
{
	struct mx *x = (struct mx *)m;
	if (RL_UNLIKELY(rl__probe_active))
		lock_probed(x, __builtin_return_address(0));
	else
		raw_lock(x);
	return guard_enter(x, g);
}

int MX(try_lock)(rl_mutex *m, rl_mutex_guard *g)
{
	struct mx *x = (struct mx *)m;
	bool ok = RL_UNLIKELY(rl__probe_active) ? try_lock_probed(x, __builtin_return_address(0))
					       : raw_try_lock(x);
	if (!ok)
		return RL_EBUSY;
	return guard_enter(x, g);
}

/* The checked drop; the inline drop's out-of-line half too (below). */
void MX(guard_drop)(rl_mutex_guard *g)
{
	struct mx *x = (struct mx *)g->mutex;
	if (RL_UNLIKELY(x == NULL))
		fatal("unlock of a mutex through a guard that holds no lock (dropped twice?)");
	if (RL_UNLIKELY(g->tid != rl__tid()))
		fatal("unlock of a mutex not held by this thread (MutexGuard is !Send)");
	rl__cleanup_pop(&g->cleanup);
	if (RL_UNLIKELY(!g->panicking && rl__thread_panicking()))
		set_poison(x);
	g->mutex = NULL;
	unlock(x, __builtin_return_address(0));
}

#ifdef RL_MUTEX_BACKEND_FUTEX
/*
 * The out-of-line halves of mutex.h's inline lock, try_lock and drop. The
 * inline lock has already tried its CAS (or seen probes attached): go to the
 * spin and the futex without a second CAS.
 */
int rl__fmutex_lock_slow(rl_mutex *m, rl_mutex_guard *g)
{
	struct mx *x = (struct mx *)m;
	if (RL_UNLIKELY(rl__probe_active))
		lock_probed(x, __builtin_return_address(0));
	else
		lock_contended_annotated(x);
	return guard_enter(x, g);
}
extern __typeof__(MX(try_lock)) rl__fmutex_try_lock_slow
	__attribute__((alias(MX_PREFIX "try_lock")));
extern __typeof__(MX(guard_drop)) rl__fmutex_guard_drop_slow
	__attribute__((alias(MX_PREFIX "guard_drop")));
#endif

bool MX(is_poisoned)(const rl_mutex *m)
{
	struct mx *x = (struct mx *)m;
	return atomic_load_explicit(&x->poison, memory_order_relaxed) != 0;
}

void MX(clear_poison)(rl_mutex *m)
{
	atomic_store_explicit(&((struct mx *)m)->poison, 0, memory_order_relaxed);
}

int MX(get_mut)(rl_mutex *m, void **value)
{
	struct mx *x = (struct mx *)m;
	*value = value_of(x);
	return MX(is_poisoned)(m) ? RL_POISONED : RL_OK;
}

int MX(into_inner)(rl_mutex *m, void *out, size_t value_size)
{
	struct mx *x = (struct mx *)m;
	int st = MX(is_poisoned)(m) ? RL_POISONED : RL_OK;
	memcpy(out, value_of(x), value_size);
	MX(destroy)(m);
	return st;
}

/* ---- Arc<Mutex<T>> ------------------------------------------------------ */

/*
 * The Arc's value is the mutex block itself, so ArcInner<Mutex<i32>> is
 * {strong, weak, Mutex<i32>} = 32 bytes as in Rust. An Arc drop function
 * receives only the value pointer; when the caller gives a drop function for
 * T (Rust's drop glue, which C must carry as data), it rides in a trailer
 * after the block: the Arc's value is then the block rounded up to a pointer,
 * plus that pointer, and the trailer is the last pointer-sized slot of
 * rl_arc_value_size(). Without one the value is exactly the block.
 */
static void arc_mutex_destroy(void *value)
{
	MX(destroy)((rl_mutex *)value);
}

static void arc_mutex_drop(void *value)
{
	struct mx *x = value;
	const rl_arc *a = (const rl_arc *)((unsigned char *)value - offsetof(rl_arc, value));
	rl_drop_fn *drop;
	memcpy(&drop, (unsigned char *)value + rl_arc_value_size(a) - sizeof drop, sizeof drop);
	drop(value_of(x));
	MX(destroy)((rl_mutex *)x);
}

rl_arc *MX(arc_new)(size_t value_size, rl_drop_fn *drop)
{
	size_t size = MX(size)(value_size);
	if (size == 0 || size > SIZE_MAX / 2)
		return NULL;
	size_t total = drop ? round_up(size, _Alignof(rl_drop_fn *)) + sizeof drop : size;
	rl_arc *a = rl_arc_new(total, drop ? arc_mutex_drop : arc_mutex_destroy);
	if (!a)
		return NULL;
	unsigned char *v = rl_arc_get(a);
	MX(init)((rl_mutex *)v, value_size);
	if (drop)
		memcpy(v + total - sizeof drop, &drop, sizeof drop);
	return a;
}

const char MX(backend_name)[] = MX_BACKEND;

/* ---- the public names --------------------------------------------------- */

#ifdef RL_MUTEX_DEFAULT_BACKEND
#define PUBLIC_ALIAS(pub, name) \
	extern __typeof__(MX(name)) pub __attribute__((alias(MX_PREFIX #name)))
PUBLIC_ALIAS(rl_mutex_size, size);
PUBLIC_ALIAS(rl_mutex_align, align);
PUBLIC_ALIAS(rl_mutex_init, init);
PUBLIC_ALIAS(rl_mutex_destroy, destroy);
PUBLIC_ALIAS(rl_arc_mutex_new, arc_new);
#if !RL__MUTEX_INLINE
/* Otherwise sync/inline.c defines these from mutex.h's inline bodies. */
PUBLIC_ALIAS(rl_mutex_lock, lock);
PUBLIC_ALIAS(rl_mutex_try_lock, try_lock);
PUBLIC_ALIAS(rl_mutex_guard_drop, guard_drop);
#endif
PUBLIC_ALIAS(rl_mutex_is_poisoned, is_poisoned);
PUBLIC_ALIAS(rl_mutex_clear_poison, clear_poison);
PUBLIC_ALIAS(rl_mutex_get_mut, get_mut);
PUBLIC_ALIAS(rl_mutex_into_inner, into_inner);
const char rl__mutex_default_backend[] = MX_BACKEND;
#endif
