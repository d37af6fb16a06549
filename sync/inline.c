/* inline.c — the library's external definitions of the public fast paths.
 *
 * The headers define rl_rc_clone(), rl_arc_drop(), rl_cell_add(), ... as
 * static inline functions for C callers. C++ cannot compile those bodies (C11
 * atomics, flexible array members), so in C++ the same names are declared as
 * ordinary functions (racelab/cdefs.h); other languages' FFIs need a symbol
 * too. RL__INLINE_EXTERN turns each header's RL__INLINE into nothing, so the
 * headers' own bodies, included below, become this file's external
 * definitions: no second copy of any fast path to keep in step.
 *
 * mutex.h's rl_mutex_lock, rl_mutex_try_lock and rl_mutex_guard_drop are
 * defined here only where they are inline (RL__MUTEX_INLINE: futex backend,
 * no TSan); otherwise sync/mutex.c exports them as aliases of its own.
 */
#define RL__INLINE_EXTERN 1

#include <racelab/arc.h>
#include <racelab/cell.h>
#include <racelab/mutex.h>
#include <racelab/rc.h>
#include <racelab/vec.h>
