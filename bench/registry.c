/* registry.c — the benchmarks `racelab bench` knows, in run order.
 *
 * Order matters for the ratios: references (plain counter, bare pthreads)
 * run next to what is compared with them, and rust-compare runs last so that
 * it can reuse the C figures measured earlier in the same run.
 */
#include <string.h>

#include "bench_defs.h"
#include "harness.h"

const struct rl_bench *const rl_bench_registry[] = {
	&rl_bench_counter_plain,
	&rl_bench_counter_relaxed,
	&rl_bench_counter_seqcst,
	&rl_bench_counter_cas,
	&rl_bench_false_sharing_packed,
	&rl_bench_false_sharing_padded,
	&rl_bench_rc_clone_drop,
	&rl_bench_rc_clone_drop_checks_off,
	&rl_bench_rc_clone_drop_foreign,
	&rl_bench_rc_clone_drop_unchecked,
	&rl_bench_arc_clone_drop,
	&rl_bench_arc_clone_drop_no_probe,
	&rl_bench_arc_shared_clone_drop,
	&rl_bench_mutex_futex_lock_unlock,
	&rl_bench_mutex_pthread_lock_unlock,
	&rl_bench_mutex_futex_counter,
	&rl_bench_mutex_pthread_counter,
	&rl_bench_read_rcu,
	&rl_bench_read_mutex,
	&rl_bench_read_arc,
	&rl_bench_rwlock_read_mostly,
	&rl_bench_channel_send_recv,
	&rl_bench_sync_channel_send_recv,
	&rl_bench_channel_rendezvous,
	&rl_bench_channel_mpsc2,
	&rl_bench_sync_channel_mpsc2,
	&rl_bench_channel_rendezvous2,
	&rl_bench_rwlock_read_drop,
	&rl_bench_rwlock_write_drop,
	&rl_bench_rwlock_read_mostly_2,
	&rl_bench_condvar_ping_pong,
	&rl_bench_condvar_notify_no_waiter,
	&rl_bench_vec_push_grow,
	&rl_bench_vec_push_presized,
	&rl_bench_vec_string_move,
	&rl_bench_vec_string_clone,
	&rl_bench_stack_frame_4k,
	&rl_bench_malloc_free_4k,
	&rl_bench_pthread_spawn_2m,
	&rl_bench_rl_spawn_2m,
	&rl_bench_pthread_spawn_8m,
	&rl_bench_rl_spawn_8m,
	&rl_bench_sched_point_random,
	&rl_bench_sched_point_pct,
	&rl_bench_model_native_90,
	&rl_bench_model_dfs_90,
	&rl_bench_model_iriw_sc,
	&rl_bench_model_iriw_rc11,
	&rl_bench_atomic_fetch_add_raw,
	&rl_bench_model_atomic_fetch_add,
	&rl_bench_detect_read,
	&rl_bench_detect_write,
	&rl_bench_detect_lock_unlock,
	&rl_bench_detect_vs_tsan,
	&rl_bench_rust_compare,
};

const size_t rl_bench_registry_len = sizeof rl_bench_registry / sizeof rl_bench_registry[0];

const struct rl_bench *rl_bench_find(const char *name)
{
	for (size_t i = 0; i < rl_bench_registry_len; i++)
		if (!strcmp(rl_bench_registry[i]->name, name))
			return rl_bench_registry[i];
	return NULL;
}
