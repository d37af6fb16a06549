/* message_passing.c — the README's "Check your own code" example.
 *
 * A producer writes plain data and raises a flag; the consumer reads the data
 * once it sees the flag. With a relaxed flag nothing orders the two accesses
 * of the data: rl_model() finds the data race in some schedule and prints it
 * with its interleaving and a replay line. With a release store and an
 * acquire load every schedule is clean, and the exploration is complete.
 * Exit status: 0 when both come out so.
 */
#include <racelab/racelab.h>
#include <stdio.h>

static int data;           /* plain memory: rl_track_* lets the checker see it */
static rl_atomic_bool ready; /* a modelled atomic */
static bool fixed;         /* release/acquire instead of relaxed */

static void *producer(void *arg)
{
	data = 42;
	rl_track_write(&data, sizeof data, "data");
	/* Release (fixed): pairs with the consumer's acquire load. */
	rl_atomic_bool_store(&ready, true, fixed ? memory_order_release : memory_order_relaxed);
	return arg;
}

static void body(void *arg)
{
	rl_thread *t;
	data = 0;
	rl_atomic_bool_init(&ready, false);
	if (rl_thread_spawn(&t, producer, arg, NULL) != RL_OK)
		return;
	if (rl_atomic_bool_load(&ready, fixed ? memory_order_acquire : memory_order_relaxed)) {
		rl_track_read(&data, sizeof data, "data");
		RL_ASSERT(data == 42);
	}
	rl_thread_join(t, NULL);
}

int main(void)
{
	rl_model_result bug, fix;
	rl_model(body, NULL, NULL, &bug); /* prints the race, its interleaving and replay line */
	fixed = true;
	rl_model(body, NULL, NULL, &fix);
	printf("relaxed: %s after %llu schedules; release/acquire: %llu schedules, %s\n",
	       rl_model_failure_name(bug.failure), (unsigned long long)bug.schedules,
	       (unsigned long long)fix.schedules, fix.complete ? "complete, no failure" : "NOT complete");
	return bug.failure == RL_MODEL_RACE && fix.complete ? 0 : 1;
}
