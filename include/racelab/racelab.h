/* racelab.h — all of racelab's public API in one include.
 *
 *   version.h   RACELAB_VERSION_* and rl_version()
 *   config.h    how the library was configured (its Mutex backend)
 *   status.h    RL_OK, RL_POISONED, RL_E*; rl_strerror()
 *   thread.h    std::thread: rl_thread_spawn/join with Rust's stack sizes, rl_panic()
 *   rc.h        std::rc::Rc and rc::Weak (non-atomic counts; !Send, !Sync)
 *   arc.h       std::sync::Arc and sync::Weak (atomic counts)
 *   mutex.h     std::sync::Mutex<T> and its guard; rl_arc_mutex_new() for Arc<Mutex<T>>
 *   condvar.h   std::sync::Condvar (futex; no syscall on a notify nobody waits for)
 *   rwlock.h    std::sync::RwLock<T> and its guards; rl_arc_rwlock_new()
 *   channel.h   std::sync::mpsc: channel(), sync_channel(n), rendezvous
 *   barrier.h   std::sync::Barrier
 *   once.h      std::sync::Once (RL_ONCE_INIT)
 *   cell.h      std::cell::Cell<i64> (a plain value; !Sync)
 *   rcu.h       an RCU-protected pointer on liburcu (arc-swap's role)
 *   vec.h       Vec<T>, String, slices and a dyn Write trait object
 *   check.h     owner checks: Send and Sync violations reported at run time
 *   probe.h     the happens-before race detector and the deterministic scheduler
 *   model.h     the model checker: modelled atomics, tracked memory, RL_ASSERT, rl_model()
 *   timeline.h  a probe session's interleaving as an SVG picture
 *   workload.h  the workload catalog and its runner (what `racelab run` runs)
 *   layout.h    racelab's type layouts beside Rust's (`racelab layout`)
 *   memmap.h    where a value lives: code, static data, stack or heap
 *   parse.h     strict parsers for numbers and sizes
 *
 * Each header also compiles on its own, in C11 and in C++ (cdefs.h says how
 * the C-only fast paths look from C++).
 */
#ifndef RACELAB_RACELAB_H
#define RACELAB_RACELAB_H

#include <racelab/version.h>
#include <racelab/config.h>
#include <racelab/status.h>
#include <racelab/thread.h>
#include <racelab/rc.h>
#include <racelab/arc.h>
#include <racelab/mutex.h>
#include <racelab/condvar.h>
#include <racelab/rwlock.h>
#include <racelab/channel.h>
#include <racelab/barrier.h>
#include <racelab/once.h>
#include <racelab/cell.h>
#include <racelab/rcu.h>
#include <racelab/vec.h>
#include <racelab/check.h>
#include <racelab/probe.h>
#include <racelab/model.h>
#include <racelab/timeline.h>
#include <racelab/workload.h>
#include <racelab/layout.h>
#include <racelab/memmap.h>
#include <racelab/parse.h>

#endif
