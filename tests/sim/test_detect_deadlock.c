/* test_detect_deadlock.c — deadlocks in detector-only sessions (no
 * scheduler, threads run freely): when every probed thread is blocked for
 * good, on a mutex or on a wait, the session reports it (holders and
 * waiters) and the blocked threads give up with a panic instead of hanging.
 */
#include <racelab/racelab.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

static void attach_detector(void)
{
	rl_probe_config cfg = { .detect = true, .main_name = "main" };
	assert_int_equal(rl_probe_attach(&cfg), RL_OK);
}

static rl_thread *spawn(rl_thread_fn *fn, void *arg, const char *name)
{
	rl_thread *t;
	rl_thread_opts o = { .name = name };
	assert_int_equal(rl_thread_spawn(&t, fn, arg, &o), RL_OK);
	return t;
}

/* Join; true if the thread panicked. */
static bool join_panicked(rl_thread *t)
{
	void *msg = NULL;
	int rc = rl_thread_join(t, &msg);
	free(msg);
	return rc == RL_EPANICKED;
}

static const rl_probe_report *the_deadlock(void)
{
	for (size_t i = 0; i < rl_probe_report_count(); i++)
		if (rl_probe_report_at(i)->kind == RL_REPORT_DEADLOCK)
			return rl_probe_report_at(i);
	return NULL;
}

/* ---- lock-order inversion --------------------------------------------- */

static struct {
	rl_arc *a, *b;
	rl_barrier both_hold_one;
} L;

static void *lock_in_order(void *p)
{
	bool ab = p != NULL;
	rl_mutex_guard g1, g2;
	rl_mutex_lock(rl_arc_get(ab ? L.a : L.b), &g1);
	rl_barrier_wait(&L.both_hold_one);
	rl_mutex_lock(rl_arc_get(ab ? L.b : L.a), &g2);
	rl_mutex_guard_drop(&g2);
	rl_mutex_guard_drop(&g1);
	return NULL;
}

static void test_lock_order_inversion_is_reported_not_hung(void **state)
{
	(void)state;
	L.a = rl_arc_mutex_new(0, NULL);
	L.b = rl_arc_mutex_new(0, NULL);
	rl_barrier_init(&L.both_hold_one, 2);
	attach_detector();
	rl_thread *t1 = spawn(lock_in_order, (void *)1, "ab");
	rl_thread *t2 = spawn(lock_in_order, NULL, "ba");
	int panicked = join_panicked(t1) + join_panicked(t2);
	assert_int_equal(rl_probe_detach(), RL_OK);
	rl_probe_stats st;
	rl_probe_get_stats(&st);
	assert_true(st.deadlock);
	/* The one that found it gave up; its unlock let the other finish, or
	 * both were registered and both gave up. */
	assert_true(panicked >= 1);
	const rl_probe_report *r = the_deadlock();
	assert_non_null(r);
	assert_non_null(strstr(r->text, "every probed thread is blocked"));
	assert_non_null(strstr(r->text, "thread 'ab' (T1) holds Mutex #"));
	assert_non_null(strstr(r->text, "thread 'ba' (T2) holds Mutex #"));
	assert_non_null(strstr(r->text, "waits to lock Mutex #"));
	assert_non_null(strstr(r->text, "held by thread 'ba' (T2)"));
	assert_non_null(strstr(r->text, "held by thread 'ab' (T1)"));
	assert_non_null(strstr(r->text, "thread 'main' (T0) waits to join thread 'ab' (T1)"));
	rl_probe_reset();
	rl_barrier_destroy(&L.both_hold_one);
	rl_arc_drop(L.a);
	rl_arc_drop(L.b);
}

/* ---- a lost wakeup ----------------------------------------------------- */

static struct {
	rl_arc *m;
	rl_condvar cv;
} W;

static void *notify_early(void *p)
{
	(void)p;
	rl_mutex_guard g;
	rl_mutex_lock(rl_arc_get(W.m), &g);
	rl_condvar_notify_one(&W.cv);
	rl_mutex_guard_drop(&g);
	return NULL;
}

/* Waits after the only notify was made: nobody can wake it. */
static void *wait_late(void *p)
{
	(void)p;
	rl_thread *n = spawn(notify_early, NULL, "notifier");
	rl_thread_join(n, NULL);
	rl_mutex_guard g;
	rl_mutex_lock(rl_arc_get(W.m), &g);
	rl_condvar_wait(&W.cv, &g);
	rl_mutex_guard_drop(&g);
	return NULL;
}

static void test_lost_wakeup_is_reported_not_hung(void **state)
{
	(void)state;
	W.m = rl_arc_mutex_new(0, NULL);
	rl_condvar_init(&W.cv);
	attach_detector();
	rl_thread *t = spawn(wait_late, NULL, "waiter");
	assert_true(join_panicked(t));
	assert_int_equal(rl_probe_detach(), RL_OK);
	rl_probe_stats st;
	rl_probe_get_stats(&st);
	assert_true(st.deadlock);
	const rl_probe_report *r = the_deadlock();
	assert_non_null(r);
	assert_non_null(strstr(r->text, "thread 'waiter' (T1) waits on Condvar #"));
	assert_non_null(strstr(r->text, "in rl_condvar_wait, and no thread can wake it"));
	rl_probe_reset();
	rl_condvar_destroy(&W.cv);
	rl_arc_drop(W.m);
}

/* ---- no false alarm ----------------------------------------------------- */

static struct {
	rl_arc *m;
	rl_condvar cv;
	int ready;
} P;

static void *set_later(void *p)
{
	(void)p;
	struct timespec ts = { 0, 60 * 1000 * 1000 }; /* past a few of the sleepers' slices */
	nanosleep(&ts, NULL);
	rl_mutex_guard g;
	rl_mutex_lock(rl_arc_get(P.m), &g);
	P.ready = 1;
	rl_condvar_notify_all(&P.cv);
	rl_mutex_guard_drop(&g);
	return NULL;
}

static void *wait_ready(void *p)
{
	(void)p;
	rl_mutex_guard g;
	rl_mutex_lock(rl_arc_get(P.m), &g);
	while (!P.ready)
		rl_condvar_wait(&P.cv, &g);
	rl_mutex_guard_drop(&g);
	return NULL;
}

/* A thread that sleeps outside any probe is running, not blocked: the
 * waiters must not be reported while it may still wake them. */
static void test_waiters_of_a_running_thread_are_not_a_deadlock(void **state)
{
	(void)state;
	P.m = rl_arc_mutex_new(0, NULL);
	rl_condvar_init(&P.cv);
	P.ready = 0;
	attach_detector();
	rl_thread *w1 = spawn(wait_ready, NULL, "w1"), *w2 = spawn(wait_ready, NULL, "w2");
	rl_thread *s = spawn(set_later, NULL, "setter");
	assert_false(join_panicked(w1));
	assert_false(join_panicked(w2));
	assert_false(join_panicked(s));
	assert_int_equal(rl_probe_detach(), RL_OK);
	rl_probe_stats st;
	rl_probe_get_stats(&st);
	assert_false(st.deadlock);
	assert_null(the_deadlock());
	rl_probe_reset();
	rl_condvar_destroy(&P.cv);
	rl_arc_drop(P.m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lock_order_inversion_is_reported_not_hung),
		cmocka_unit_test(test_lost_wakeup_is_reported_not_hung),
		cmocka_unit_test(test_waiters_of_a_running_thread_are_not_a_deadlock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
