/* mutex_backends.h — both rl_mutex backends in one binary (private to racelab).
 *
 * sync/mutex.c is compiled twice (see sync/CMakeLists.txt):
 *   - with RL_MUTEX_BACKEND_FUTEX   into rl_fmutex_*  (Rust's three-state futex mutex)
 *   - with RL_MUTEX_BACKEND_PTHREAD into rl_pmutex_*  (a pthread_mutex_t)
 * The object of the backend chosen by RACELAB_MUTEX (futex by default) also
 * defines RL_MUTEX_DEFAULT_BACKEND and exports the public names of mutex.h
 * (rl_mutex_lock, ..., rl_arc_mutex_new) as aliases of its own symbols, so a
 * public call costs no extra jump. The exception: where mutex.h inlines the
 * futex backend's lock, try_lock and guard drop (RL__MUTEX_INLINE), those
 * three are sync/inline.c's external definitions of the inline bodies, whose
 * slow halves are the rl__fmutex_*_slow functions of the futex object.
 *
 * The benchmark and the tests use these prefixed names to compare the two
 * backends in one run. A guard must be dropped by the backend that locked it:
 * rl_fmutex_guard_drop() for rl_fmutex_lock(), and so on. rl_mutex_guard and
 * the semantics (poisoning, aborts, orderings) are those of mutex.h.
 */
#ifndef RACELAB_SYNC_MUTEX_BACKENDS_H
#define RACELAB_SYNC_MUTEX_BACKENDS_H

#include <racelab/mutex.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RL__MUTEX_BACKEND_DECLARE(P)                                          \
	size_t P##_size(size_t value_size);                                   \
	size_t P##_align(size_t value_size);                                  \
	size_t P##_value_offset(size_t value_size);                           \
	void P##_init(rl_mutex *m, size_t value_size);                        \
	void P##_destroy(rl_mutex *m);                                        \
	rl_arc *P##_arc_new(size_t value_size, rl_drop_fn *drop);             \
	int P##_lock(rl_mutex *m, rl_mutex_guard *g);                         \
	int P##_try_lock(rl_mutex *m, rl_mutex_guard *g);                     \
	void P##_guard_drop(rl_mutex_guard *g);                               \
	bool P##_is_poisoned(const rl_mutex *m);                              \
	void P##_clear_poison(rl_mutex *m);                                   \
	int P##_get_mut(rl_mutex *m, void **value);                           \
	int P##_into_inner(rl_mutex *m, void *out, size_t value_size);        \
	extern const char P##_backend_name[];

RL__MUTEX_BACKEND_DECLARE(rl_fmutex) /* futex backend */
RL__MUTEX_BACKEND_DECLARE(rl_pmutex) /* pthread_mutex_t backend */

/* The backend behind the public rl_mutex_* names: "futex" or "pthread". */
extern const char rl__mutex_default_backend[];

#ifdef __cplusplus
}
#endif
#endif
