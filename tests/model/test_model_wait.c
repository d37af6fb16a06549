/* test_model_wait.c — the blocking waits of std::sync under rl_model() DFS:
 * Condvar (a lost wakeup is a deadlock, its `while` twin is complete, a
 * spurious wakeup and notify_one's choice are explored), the rendezvous
 * channel, channel send -> recv, Barrier, Once and RwLock as happens-before
 * edges, and a deadlock report that names holders and waiters.
 */
#include <racelab/racelab.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static void flag_reap(void);

static rl_model_result run(rl_model_fn *body)
{
	rl_model_config c = { .quiet = true };
	rl_model_result r;
	assert_int_equal(rl_model(body, NULL, &c, &r), RL_OK);
	flag_reap();
	print_message("  %llu schedules, %.2f s\n", (unsigned long long)r.schedules, r.seconds);
	return r;
}

static void expect_clean(rl_model_fn *body)
{
	rl_model_result r = run(body);
	if (r.failure != RL_MODEL_PASSED)
		fprintf(stderr, "unexpected failure: %s\n", r.message);
	assert_int_equal(r.failure, RL_MODEL_PASSED);
	assert_true(r.complete);
	assert_true(r.schedules >= 1);
}

static rl_thread *spawn(rl_thread_fn *fn, void *arg, const char *name)
{
	rl_thread *t;
	rl_thread_opts o = { .name = name };
	if (rl_thread_spawn(&t, fn, arg, &o) != RL_OK)
		abort();
	return t;
}

/* ---- Condvar: a flag under a mutex -------------------------------------- */

/* One schedule's state. The model runs one schedule at a time and every
 * thread of it is joined (or killed) before the next starts. */
static struct flag {
	rl_arc *m;   /* Arc<Mutex<int>>: the flag */
	rl_condvar cv;
	int winner, tokens;
} F;

static int *flag_of(rl_mutex_guard *g) { return rl_mutex_guard_get(g); }

/* A schedule that failed (a deadlock, an assertion) was killed before its
 * flag_drop(): its Arc is dropped here, once the model is done with it. */
static void flag_reap(void)
{
	if (F.m)
		rl_arc_drop(F.m);
	memset(&F, 0, sizeof(F));
}

static void flag_new(void)
{
	flag_reap();
	F.m = rl_arc_mutex_new(sizeof(int), NULL);
	rl_condvar_init(&F.cv);
}

static void flag_drop(void)
{
	rl_condvar_destroy(&F.cv);
	rl_arc_drop(F.m);
	F.m = NULL;
}

static void *set_and_notify(void *p)
{
	(void)p;
	rl_mutex_guard g;
	rl_mutex_lock(rl_arc_get(F.m), &g);
	*flag_of(&g) = 1;
	rl_condvar_notify_one(&F.cv);
	rl_mutex_guard_drop(&g);
	return NULL;
}

/* The bug: wait without looking at the flag first. If the setter ran
 * before, its notify is lost and the wait never ends. */
static void body_lost_wakeup(void *arg)
{
	(void)arg;
	flag_new();
	rl_thread *t = spawn(set_and_notify, NULL, "setter");
	rl_mutex_guard g;
	rl_mutex_lock(rl_arc_get(F.m), &g);
	rl_condvar_wait(&F.cv, &g);
	rl_mutex_guard_drop(&g);
	rl_thread_join(t, NULL);
	flag_drop();
}

static void body_while_loop(void *arg)
{
	(void)arg;
	flag_new();
	rl_thread *t = spawn(set_and_notify, NULL, "setter");
	rl_mutex_guard g;
	rl_mutex_lock(rl_arc_get(F.m), &g);
	while (!*flag_of(&g))
		rl_condvar_wait(&F.cv, &g);
	rl_mutex_guard_drop(&g);
	rl_thread_join(t, NULL);
	flag_drop();
}

/* `if` instead of `while`: correct unless the wait wakes spuriously. */
static void body_if_not_while(void *arg)
{
	(void)arg;
	flag_new();
	rl_thread *t = spawn(set_and_notify, NULL, "setter");
	rl_mutex_guard g;
	rl_mutex_lock(rl_arc_get(F.m), &g);
	if (!*flag_of(&g))
		rl_condvar_wait(&F.cv, &g);
	RL_ASSERT(*flag_of(&g) == 1);
	rl_mutex_guard_drop(&g);
	rl_thread_join(t, NULL);
	flag_drop();
}

static void test_lost_wakeup_is_a_deadlock_naming_the_condvar(void **state)
{
	(void)state;
	rl_model_result r = run(body_lost_wakeup);
	assert_int_equal(r.failure, RL_MODEL_DEADLOCK);
	assert_non_null(strstr(r.message, "waits on Condvar #"));
	assert_non_null(strstr(r.message, "in rl_condvar_wait"));
	assert_non_null(strstr(r.message, "thread 'main'"));
	assert_true(r.replay[0] != 0);
}

static void test_while_loop_twin_is_complete_and_clean(void **state)
{
	(void)state;
	expect_clean(body_while_loop);
}

static void test_spurious_wakeup_is_explored(void **state)
{
	(void)state;
	rl_model_result r = run(body_if_not_while);
	assert_int_equal(r.failure, RL_MODEL_ASSERT);
	assert_non_null(strstr(r.message, "*flag_of(&g) == 1"));
}

/* Two waiters, notify_one twice: each may be the first to win (whether it
 * was asleep when the first notify came, or not yet waiting). */
static void *take_token(void *p)
{
	rl_mutex_guard g;
	rl_mutex_lock(rl_arc_get(F.m), &g);
	while (F.tokens == 0)
		rl_condvar_wait(&F.cv, &g);
	F.tokens--;
	if (!F.winner)
		F.winner = (int)(intptr_t)p;
	rl_mutex_guard_drop(&g);
	return NULL;
}

static void post(void)
{
	rl_mutex_guard g;
	rl_mutex_lock(rl_arc_get(F.m), &g);
	F.tokens++;
	rl_condvar_notify_one(&F.cv);
	rl_mutex_guard_drop(&g);
}

static int forbidden_winner;

static void body_two_sleepers(void *arg)
{
	(void)arg;
	flag_new();
	rl_thread *a = spawn(take_token, (void *)1, "a");
	rl_thread *b = spawn(take_token, (void *)2, "b");
	post();
	post();
	rl_thread_join(a, NULL);
	rl_thread_join(b, NULL);
	RL_ASSERT(F.winner != forbidden_winner);
	flag_drop();
}

static void test_notify_one_wakes_either_sleeper(void **state)
{
	(void)state;
	for (forbidden_winner = 1; forbidden_winner <= 2; forbidden_winner++) {
		rl_model_result r = run(body_two_sleepers);
		assert_int_equal(r.failure, RL_MODEL_ASSERT);
	}
	forbidden_winner = 0;
	expect_clean(body_two_sleepers);
}

/* A thread that holds a mutex while it waits on a condvar, and one that
 * wants that mutex: the report names the holder and both waits. */
static struct {
	rl_arc *outer;
} H;

static void *lock_outer(void *p)
{
	(void)p;
	rl_mutex_guard g;
	rl_mutex_lock(rl_arc_get(H.outer), &g);
	rl_mutex_guard_drop(&g);
	return NULL;
}

static void body_holder_waits(void *arg)
{
	(void)arg;
	flag_new();
	H.outer = rl_arc_mutex_new(0, NULL);
	rl_mutex_guard go, g;
	rl_mutex_lock(rl_arc_get(H.outer), &go);
	rl_thread *t = spawn(lock_outer, NULL, "locker");
	rl_mutex_lock(rl_arc_get(F.m), &g);
	while (!*flag_of(&g)) /* nobody sets it */
		rl_condvar_wait(&F.cv, &g);
	rl_mutex_guard_drop(&g);
	rl_mutex_guard_drop(&go);
	rl_thread_join(t, NULL);
}

static void test_deadlock_report_names_holders_and_waiters(void **state)
{
	(void)state;
	rl_model_result r = run(body_holder_waits);
	assert_int_equal(r.failure, RL_MODEL_DEADLOCK);
	print_message("%s\n", r.message);
	assert_non_null(strstr(r.message, "thread 'main' (T1) holds Mutex #"));
	assert_non_null(strstr(r.message, "waits on Condvar #"));
	assert_non_null(strstr(r.message, "thread 'locker' (T2) waits to lock Mutex #"));
	assert_non_null(strstr(r.message, "held by thread 'main' (T1)"));
}

/* ---- channels --------------------------------------------------------- */

static struct {
	rl_sender *tx;
	rl_receiver *rx;
} C;

/* A rendezvous send with nobody receiving. The channel stays reachable from
 * C: the killed schedule does not drop it, the test does. */
static void body_rendezvous_alone(void *arg)
{
	(void)arg;
	if (rl_channel_new(&C.tx, &C.rx, sizeof(int), 0) != RL_OK)
		abort();
	int v = 1;
	rl_send(C.tx, &v);
}

static void test_rendezvous_send_without_receiver_is_a_deadlock(void **state)
{
	(void)state;
	rl_model_result r = run(body_rendezvous_alone);
	assert_int_equal(r.failure, RL_MODEL_DEADLOCK);
	assert_non_null(strstr(r.message, "waits on mpsc channel (SyncSender<T>) #"));
	assert_non_null(strstr(r.message, "rl_send (rendezvous"));
	rl_receiver_drop(C.rx);
	rl_sender_drop(C.tx);
}

/* The payload is plain memory the producer writes and the consumer reads:
 * the channel's send -> recv edge orders them. */
static int payload[2], nmsg;

static void *producer(void *p)
{
	rl_sender *tx = p;
	for (int i = 0; i < nmsg; i++) {
		payload[i] = 10 + i;
		rl_track_write(&payload[i], sizeof(int), "payload");
		int *m = &payload[i];
		RL_ASSERT(rl_send(tx, &m) == RL_OK);
	}
	rl_sender_drop(tx);
	return NULL;
}

static void body_channel(void *arg)
{
	size_t bound = *(size_t *)arg;
	nmsg = bound == 0 ? 1 : 2; /* a rendezvous has many more interleavings */
	rl_sender *tx;
	rl_receiver *rx;
	if (rl_channel_new(&tx, &rx, sizeof(int *), bound) != RL_OK)
		abort();
	rl_thread *t = spawn(producer, tx, "producer");
	int *m, n = 0;
	while (rl_recv(rx, &m) == RL_OK) {
		rl_track_read(m, sizeof(int), "payload");
		RL_ASSERT(*m == 10 + n);
		n++;
	}
	RL_ASSERT(n == nmsg); /* disconnection ended the loop after the last */
	rl_receiver_drop(rx);
	rl_thread_join(t, NULL);
}

static void test_channel_send_recv_orders_the_payload(void **state)
{
	(void)state;
	size_t bounds[] = { RL_CHANNEL_UNBOUNDED, 1, 0 };
	for (size_t i = 0; i < 3; i++) {
		rl_model_config c = { .quiet = true };
		rl_model_result r;
		assert_int_equal(rl_model(body_channel, &bounds[i], &c, &r), RL_OK);
		print_message("  bound %zu: %llu schedules, %.2f s\n", bounds[i], (unsigned long long)r.schedules,
			      r.seconds);
		if (r.failure != RL_MODEL_PASSED)
			fprintf(stderr, "bound %zu: %s\n", bounds[i], r.message);
		assert_int_equal(r.failure, RL_MODEL_PASSED);
		assert_true(r.complete);
	}
}

/* ---- Barrier, Once, RwLock -------------------------------------------- */

static struct {
	rl_barrier b;
	int slot[2];
} B;

static void *phase(void *p)
{
	int me = (int)(intptr_t)p;
	B.slot[me] = me + 1;
	rl_track_write(&B.slot[me], sizeof(int), "slot");
	rl_barrier_wait(&B.b);
	rl_track_read(&B.slot[1 - me], sizeof(int), "slot");
	RL_ASSERT(B.slot[1 - me] == 2 - me);
	return NULL;
}

static void body_barrier(void *arg)
{
	unsigned n = *(unsigned *)arg;
	rl_barrier_init(&B.b, n);
	rl_thread *a = spawn(phase, (void *)0, "a"), *b = spawn(phase, (void *)1, "b");
	rl_thread_join(a, NULL);
	rl_thread_join(b, NULL);
	if (n == 2) /* short of threads, the waiters panicked inside it: left as it is */
		rl_barrier_destroy(&B.b);
}

static void test_barrier_orders_every_arrival_before_every_departure(void **state)
{
	(void)state;
	unsigned two = 2;
	rl_model_config c = { .quiet = true };
	rl_model_result r;
	assert_int_equal(rl_model(body_barrier, &two, &c, &r), RL_OK);
	assert_int_equal(r.failure, RL_MODEL_PASSED);
	assert_true(r.complete);
}

static void test_barrier_short_of_threads_is_a_deadlock(void **state)
{
	(void)state;
	unsigned three = 3;
	rl_model_config c = { .quiet = true };
	rl_model_result r;
	assert_int_equal(rl_model(body_barrier, &three, &c, &r), RL_OK);
	assert_int_equal(r.failure, RL_MODEL_DEADLOCK);
	assert_non_null(strstr(r.message, "waits on Barrier #"));
	assert_non_null(strstr(r.message, "waits to join thread 'a'"));
}

static struct {
	rl_once once;
	int value, runs;
} O;

static void init_value(void *p)
{
	(void)p;
	O.value = 42;
	rl_track_write(&O.value, sizeof(int), "Once value");
	O.runs++;
}

static void *use_once(void *p)
{
	(void)p;
	rl_once_call(&O.once, init_value, NULL);
	rl_track_read(&O.value, sizeof(int), "Once value");
	RL_ASSERT(O.value == 42);
	return NULL;
}

static void body_once(void *arg)
{
	(void)arg;
	memset(&O, 0, sizeof(O));
	rl_thread *a = spawn(use_once, NULL, "a"), *b = spawn(use_once, NULL, "b");
	rl_thread_join(a, NULL);
	rl_thread_join(b, NULL);
	RL_ASSERT(O.runs == 1);
}

static void test_once_runs_once_before_every_later_call(void **state)
{
	(void)state;
	expect_clean(body_once);
}

static rl_arc *RW;
static int rw_data;

static void *rw_writer(void *p)
{
	(void)p;
	rl_rwlock_write_guard g;
	rl_rwlock_write(rl_arc_get(RW), &g);
	rw_data = 7;
	rl_track_write(&rw_data, sizeof(int), "data under RwLock");
	rl_rwlock_write_guard_drop(&g);
	return NULL;
}

static void *rw_reader(void *p)
{
	(void)p;
	rl_rwlock_read_guard g;
	rl_rwlock_read(rl_arc_get(RW), &g);
	rl_track_read(&rw_data, sizeof(int), "data under RwLock");
	RL_ASSERT(rw_data == 0 || rw_data == 7);
	rl_rwlock_read_guard_drop(&g);
	return NULL;
}

static void body_rwlock(void *arg)
{
	(void)arg;
	rw_data = 0;
	RW = rl_arc_rwlock_new(0, NULL);
	rl_thread *w = spawn(rw_writer, NULL, "writer"), *r = spawn(rw_reader, NULL, "reader");
	rl_thread_join(w, NULL);
	rl_thread_join(r, NULL);
	rl_arc_drop(RW);
}

static void test_rwlock_write_unlock_orders_later_reads(void **state)
{
	(void)state;
	expect_clean(body_rwlock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lost_wakeup_is_a_deadlock_naming_the_condvar),
		cmocka_unit_test(test_while_loop_twin_is_complete_and_clean),
		cmocka_unit_test(test_spurious_wakeup_is_explored),
		cmocka_unit_test(test_notify_one_wakes_either_sleeper),
		cmocka_unit_test(test_deadlock_report_names_holders_and_waiters),
		cmocka_unit_test(test_rendezvous_send_without_receiver_is_a_deadlock),
		cmocka_unit_test(test_channel_send_recv_orders_the_payload),
		cmocka_unit_test(test_barrier_orders_every_arrival_before_every_departure),
		cmocka_unit_test(test_barrier_short_of_threads_is_a_deadlock),
		cmocka_unit_test(test_once_runs_once_before_every_later_call),
		cmocka_unit_test(test_rwlock_write_unlock_orders_later_reads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
