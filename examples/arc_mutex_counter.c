/* arc_mutex_counter.c — Rust's Arc<Mutex<i64>> counter, on racelab threads.
 *
 * The shared-state program of The Rust Programming Language (chapter 16.3),
 * line for line:
 *
 *     let counter = Arc::new(Mutex::new(0));
 *     let mut handles = vec![];
 *     for _ in 0..8 {
 *         let counter = Arc::clone(&counter);
 *         handles.push(thread::spawn(move || {
 *             for _ in 0..10_000 {
 *                 let mut num = counter.lock().unwrap();
 *                 *num += 1;
 *             }
 *         }));
 *     }
 *     for handle in handles {
 *         handle.join().unwrap();
 *     }
 *     println!("Result: {}", *counter.lock().unwrap());
 *
 * What Rust's compiler does for you, C does by hand: each thread receives its
 * own strong reference (rl_arc_clone) and drops it when done (rl_arc_drop); a
 * guard is dropped at the end of its scope (rl_mutex_guard_drop). The counts
 * are atomic, the lock is Rust's futex mutex, so no update is lost: the
 * result is always 80000. Run it, then compare with `racelab run arc-cell`,
 * which does the same with a Cell<i64> and loses updates.
 *
 * Build: see README.md ("Use racelab in your project") or examples/Makefile.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <racelab/racelab.h>

#define THREADS 8
#define ITERS 10000

/* The closure: it owns one strong reference, handed over by main. */
static void *worker(void *arg)
{
	rl_arc *counter = arg; /* Arc<Mutex<i64>>: the Arc's value is the rl_mutex */

	for (int i = 0; i < ITERS; i++) {
		rl_mutex_guard guard;
		/* counter.lock().unwrap(): RL_POISONED would mean that a thread
		 * panicked while holding the lock, where unwrap() panics too. */
		if (rl_mutex_lock(rl_arc_get(counter), &guard) != RL_OK)
			rl_panic("the counter's mutex is poisoned");
		int64_t *num = rl_mutex_guard_get(&guard); /* &mut i64, while the guard lives */
		*num += 1;
		rl_mutex_guard_drop(&guard); /* end of the scope: unlock */
	}
	rl_arc_drop(counter); /* the closure ends: its Arc goes */
	return NULL;
}

int main(void)
{
	/* Arc::new(Mutex::new(0)): one allocation, value zero-filled. */
	rl_arc *counter = rl_arc_mutex_new(sizeof(int64_t), NULL);
	if (!counter) {
		fprintf(stderr, "arc_mutex_counter: out of memory\n");
		return 1;
	}

	rl_thread *handles[THREADS];
	int spawned = 0, status = 0;
	for (; spawned < THREADS; spawned++) {
		/* let counter = Arc::clone(&counter); thread::spawn(move || ...) */
		rl_arc *mine = rl_arc_clone(counter);
		int st = rl_thread_spawn(&handles[spawned], worker, mine, NULL);
		if (st != RL_OK) {
			fprintf(stderr, "arc_mutex_counter: spawn: %s\n", rl_strerror(st));
			rl_arc_drop(mine); /* the thread never started: the clone is ours */
			status = 1;
			break;
		}
	}
	for (int i = 0; i < spawned; i++) {
		/* handle.join().unwrap(): RL_EPANICKED if the thread panicked */
		void *panic_message = NULL;
		if (rl_thread_join(handles[i], &panic_message) != RL_OK) {
			fprintf(stderr, "arc_mutex_counter: a thread panicked: %s\n",
				(char *)panic_message);
			free(panic_message); /* the panic message is the joiner's to free */
			status = 1;
		}
	}

	rl_mutex_guard guard;
	rl_mutex_lock(rl_arc_get(counter), &guard);
	int64_t result = *(int64_t *)rl_mutex_guard_get(&guard);
	rl_mutex_guard_drop(&guard);

	printf("Result: %" PRId64 " (%d threads x %d increments)\n", result, THREADS, ITERS);
	printf("strong count after the joins: %zu\n", rl_arc_strong_count(counter));

	/* The last strong reference: the mutex and its value are freed here. */
	rl_arc_drop(counter);
	if (status == 0 && result != (int64_t)THREADS * ITERS) {
		fprintf(stderr, "arc_mutex_counter: lost updates\n");
		status = 1;
	}
	return status;
}
