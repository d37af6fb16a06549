/* bench_defs.h — every benchmark definition, for the registry (registry.c). */
#ifndef RACELAB_BENCH_DEFS_H
#define RACELAB_BENCH_DEFS_H

#include "harness.h"

/* bench_base.c: no racelab primitive */
extern const struct rl_bench rl_bench_counter_plain;
extern const struct rl_bench rl_bench_counter_relaxed;
extern const struct rl_bench rl_bench_counter_seqcst;
extern const struct rl_bench rl_bench_counter_cas;
extern const struct rl_bench rl_bench_false_sharing_packed;
extern const struct rl_bench rl_bench_false_sharing_padded;
extern const struct rl_bench rl_bench_pthread_spawn_2m;
extern const struct rl_bench rl_bench_pthread_spawn_8m;

/* bench_sync.c: Rc, Arc, Mutex, RCU */
extern const struct rl_bench rl_bench_rc_clone_drop;
extern const struct rl_bench rl_bench_rc_clone_drop_checks_off;
extern const struct rl_bench rl_bench_rc_clone_drop_foreign;
/* bench_unchecked.c: the owner checks' baseline */
extern const struct rl_bench rl_bench_rc_clone_drop_unchecked;
extern const struct rl_bench rl_bench_arc_clone_drop;
extern const struct rl_bench rl_bench_arc_shared_clone_drop;
extern const struct rl_bench rl_bench_mutex_futex_lock_unlock;
extern const struct rl_bench rl_bench_mutex_pthread_lock_unlock;
extern const struct rl_bench rl_bench_mutex_futex_counter;
extern const struct rl_bench rl_bench_mutex_pthread_counter;
extern const struct rl_bench rl_bench_read_rcu;
extern const struct rl_bench rl_bench_read_mutex;
extern const struct rl_bench rl_bench_read_arc;

/* bench_probe.c: racelab's probes, detector and scheduler */
extern const struct rl_bench rl_bench_arc_clone_drop_no_probe;
extern const struct rl_bench rl_bench_sched_point_random;
extern const struct rl_bench rl_bench_sched_point_pct;
/* bench_model.c */
extern const struct rl_bench rl_bench_model_native_90;
extern const struct rl_bench rl_bench_model_dfs_90;
extern const struct rl_bench rl_bench_model_iriw_sc;
extern const struct rl_bench rl_bench_model_iriw_rc11;
extern const struct rl_bench rl_bench_atomic_fetch_add_raw;
extern const struct rl_bench rl_bench_model_atomic_fetch_add;

/* bench_detect.c: the happens-before detector's cost */
extern const struct rl_bench rl_bench_detect_read;
extern const struct rl_bench rl_bench_detect_write;
extern const struct rl_bench rl_bench_detect_lock_unlock;
extern const struct rl_bench rl_bench_detect_vs_tsan;

/* bench_memory.c: Vec, String, stack vs heap */
extern const struct rl_bench rl_bench_vec_push_grow;
extern const struct rl_bench rl_bench_vec_push_presized;
extern const struct rl_bench rl_bench_vec_string_move;
extern const struct rl_bench rl_bench_vec_string_clone;
extern const struct rl_bench rl_bench_stack_frame_4k;
extern const struct rl_bench rl_bench_malloc_free_4k;

/* bench_stdsync.c: mpsc channels, RwLock, Condvar */
extern const struct rl_bench rl_bench_channel_send_recv;
extern const struct rl_bench rl_bench_sync_channel_send_recv;
extern const struct rl_bench rl_bench_channel_rendezvous;
extern const struct rl_bench rl_bench_channel_mpsc2;
extern const struct rl_bench rl_bench_sync_channel_mpsc2;
extern const struct rl_bench rl_bench_channel_rendezvous2;
extern const struct rl_bench rl_bench_rwlock_read_drop;
extern const struct rl_bench rl_bench_rwlock_write_drop;
extern const struct rl_bench rl_bench_rwlock_read_mostly;
extern const struct rl_bench rl_bench_rwlock_read_mostly_2;
extern const struct rl_bench rl_bench_condvar_ping_pong;
extern const struct rl_bench rl_bench_condvar_notify_no_waiter;

/* bench_thread.c: the thread runtime */
extern const struct rl_bench rl_bench_rl_spawn_2m;
extern const struct rl_bench rl_bench_rl_spawn_8m;

#endif
