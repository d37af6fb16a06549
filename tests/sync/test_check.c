/* test_check.c — owner checks (Send/Sync at run time), report text and
 * dedup, modes, the sink, counters, and the quarantine's use-after-free
 * reports.
 *
 * Cross-thread uses are made *sequentially* (spawn a worker, let it use the
 * object, join): the owner check fires exactly as in a racy run, but there is
 * no data race, so these tests run clean under ThreadSanitizer too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <racelab/arc.h>
#include <racelab/cell.h>
#include <racelab/check.h>
#include <racelab/rc.h>
#include <racelab/status.h>
#include <racelab/thread.h>

#include "death.h"

/* ---- a sink that keeps the reports ---------------------------------------- */

#define MAX_REPORTS 16

struct kept {
	enum rl_check_kind kind;
	const void *object;
	size_t live;
	char type[32], op[64], thread[64], owner[64], message[512];
};
static struct {
	int n;
	struct kept r[MAX_REPORTS];
} got;

/* Called under the checker's lock, possibly on a worker; read after join. */
static void keep_report(const struct rl_check_report *r, void *ctx)
{
	(void)ctx;
	if (got.n >= MAX_REPORTS)
		return;
	struct kept *k = &got.r[got.n++];
	k->kind = r->kind;
	k->object = r->object;
	k->live = r->live;
	snprintf(k->type, sizeof k->type, "%s", r->type);
	snprintf(k->op, sizeof k->op, "%s", r->op);
	snprintf(k->thread, sizeof k->thread, "%s", r->thread);
	snprintf(k->owner, sizeof k->owner, "%s", r->owner);
	snprintf(k->message, sizeof k->message, "%s", r->message);
}

static int setup(void **state)
{
	(void)state;
	memset(&got, 0, sizeof got);
	rl_check_set_sink(keep_report, NULL);
	rl_check_set_live_fn(NULL, NULL);
	rl_check_set_mode(RL_CHECK_REPORT);
	rl_check_reset_counts();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rl_check_set_sink(NULL, NULL);
	rl_check_set_live_fn(NULL, NULL);
	rl_check_set_mode(RL_CHECK_REPORT);
	assert_false(rl_check_quarantine_active());
	return 0;
}

/* ---- running code on a named thread, sequentially --------------------------- */

struct job {
	void (*fn)(void *);
	void *arg;
};

static void *job_main(void *p)
{
	struct job *j = p;
	j->fn(j->arg);
	return NULL;
}

static void run_on(const char *name, void (*fn)(void *), void *arg)
{
	struct job j = {fn, arg};
	rl_thread_opts o = {.name = name};
	rl_thread *t;
	assert_int_equal(rl_thread_spawn(&t, job_main, &j, &o), RL_OK);
	assert_int_equal(rl_thread_join(t, NULL), RL_OK);
}

static int drops;
static void count_drop(void *value)
{
	(void)value;
	drops++;
}

/* ---- Rc: Send ------------------------------------------------------------- */

static void clone_and_drop_three_times(void *arg)
{
	rl_rc *rc = arg;
	for (int i = 0; i < 3; i++)
		rl_rc_clone(rc);
	for (int i = 0; i < 3; i++)
		rl_rc_drop(rc);
}

static void test_rc_used_on_its_owner_thread_is_not_reported(void **state)
{
	(void)state;
	rl_rc *rc = rl_rc_new(8, NULL);
	clone_and_drop_three_times(rc);
	rl_rc_weak *w = rl_rc_downgrade(rc);
	rl_rc_drop(rl_rc_weak_upgrade(w));
	rl_rc_weak_drop(w);
	rl_rc_drop(rc);
	assert_int_equal(got.n, 0);
	assert_int_equal(rl_check_count(RL_CHECK_SEND), 0);
}

static void test_rc_clone_on_another_thread_is_a_send_violation_reported_once(void **state)
{
	(void)state;
	rl_rc *rc = rl_rc_new(8, NULL);
	run_on("worker-2", clone_and_drop_three_times, rc);
	assert_int_equal(got.n, 1);
	assert_string_equal(got.r[0].message,
		"Rc<T> cannot be sent between threads safely (Send): rl_rc_clone on 'worker-2', owned by 'main'");
	assert_int_equal(got.r[0].kind, RL_CHECK_SEND);
	assert_string_equal(got.r[0].type, "Rc<T>");
	assert_string_equal(got.r[0].op, "rl_rc_clone");
	assert_string_equal(got.r[0].thread, "worker-2");
	assert_string_equal(got.r[0].owner, "main");
	assert_ptr_equal(got.r[0].object, rc);
	assert_int_equal(rl_check_count(RL_CHECK_SEND), 1);
	/* The operations still happened (plain increments and decrements). */
	assert_int_equal(rl_rc_strong_count(rc), 1);
	rl_rc_drop(rc);
}

static void use_two(void *arg)
{
	rl_rc **rcs = arg;
	rl_rc_drop(rl_rc_clone(rcs[0]));
	rl_rc_drop(rl_rc_clone(rcs[1]));
	rl_rc_drop(rl_rc_clone(rcs[0]));
}

static void test_each_object_and_thread_pair_is_reported_once(void **state)
{
	(void)state;
	rl_rc *rcs[2] = {rl_rc_new(8, NULL), rl_rc_new(8, NULL)};
	run_on("worker-1", use_two, rcs);
	assert_int_equal(got.n, 2);
	assert_ptr_equal(got.r[0].object, rcs[0]);
	assert_ptr_equal(got.r[1].object, rcs[1]);
	run_on("worker-2", use_two, rcs);
	assert_int_equal(got.n, 4);
	assert_string_equal(got.r[3].thread, "worker-2");
	/* A new thread is a new pair, even with a name seen before. */
	run_on("worker-1", use_two, rcs);
	assert_int_equal(got.n, 6);
	assert_int_equal(rl_check_count(RL_CHECK_SEND), 6);
	rl_rc_drop(rcs[0]);
	rl_rc_drop(rcs[1]);
	assert_int_equal(got.n, 6);
}

static void drop_one(void *arg)
{
	rl_rc_drop(arg);
}

static void test_drop_on_another_thread_is_reported_as_rl_rc_drop(void **state)
{
	(void)state;
	rl_rc *rc = rl_rc_new(8, NULL);
	run_on("worker-3", drop_one, rl_rc_clone(rc));
	assert_int_equal(got.n, 1);
	assert_string_equal(got.r[0].message,
		"Rc<T> cannot be sent between threads safely (Send): rl_rc_drop on 'worker-3', owned by 'main'");
	assert_int_equal(rl_rc_strong_count(rc), 1);
	rl_rc_drop(rc);
}

static void make_rc(void *arg)
{
	*(rl_rc **)arg = rl_rc_new(8, count_drop);
}

static void test_owner_name_outlives_the_owner_thread(void **state)
{
	(void)state;
	rl_rc *rc = NULL;
	drops = 0;
	run_on("worker-7", make_rc, &rc);
	assert_non_null(rc);
	rl_rc_drop(rc); /* the last reference, dropped on main */
	assert_int_equal(drops, 1);
	assert_int_equal(got.n, 1);
	assert_string_equal(got.r[0].message,
		"Rc<T> cannot be sent between threads safely (Send): rl_rc_drop on 'main', owned by 'worker-7'");
}

static void upgrade_and_drop(void *arg)
{
	rl_rc *rc = rl_rc_weak_upgrade(arg);
	if (rc)
		rl_rc_drop(rc);
}

static void test_weak_on_another_thread_is_reported_as_rc_weak(void **state)
{
	(void)state;
	rl_rc *rc = rl_rc_new(8, NULL);
	rl_rc_weak *w = rl_rc_downgrade(rc);
	run_on("worker-1", upgrade_and_drop, w);
	/* One object, one thread: the drop of the upgraded Rc is the same pair. */
	assert_int_equal(got.n, 1);
	assert_string_equal(got.r[0].message,
		"rc::Weak<T> cannot be sent between threads safely (Send): rl_rc_weak_upgrade on 'worker-1', owned by 'main'");
	assert_int_equal(rl_rc_strong_count(rc), 1);
	rl_rc_weak_drop(w);
	rl_rc_drop(rc);
}

/* ---- Cell: Sync ----------------------------------------------------------- */

static void add_five_times(void *arg)
{
	for (int i = 0; i < 5; i++)
		rl_cell_add(arg, 1);
}

static void get_and_set(void *arg)
{
	rl_cell_set(arg, rl_cell_get(arg) * 10);
}

static void test_cell_add_on_another_thread_is_a_sync_violation(void **state)
{
	(void)state;
	rl_cell c;
	rl_cell_init(&c, 100);
	run_on("worker-1", add_five_times, &c);
	assert_int_equal(rl_cell_get(&c), 105);
	assert_int_equal(got.n, 1);
	assert_string_equal(got.r[0].message,
		"Cell<i64> cannot be shared between threads safely (Sync): rl_cell_add on 'worker-1', owned by 'main'");
	assert_int_equal(got.r[0].kind, RL_CHECK_SYNC);
	assert_string_equal(got.r[0].type, "Cell<i64>");
	assert_int_equal(rl_check_count(RL_CHECK_SYNC), 1);
	assert_int_equal(rl_check_count(RL_CHECK_SEND), 0);
	run_on("worker-2", get_and_set, &c);
	assert_int_equal(rl_cell_get(&c), 1050);
	assert_int_equal(got.n, 2);
	assert_string_equal(got.r[1].op, "rl_cell_get");
}

static void init_cell(void *arg)
{
	rl_cell_init(arg, 1);
}

static void test_cell_owner_is_the_initialising_thread(void **state)
{
	(void)state;
	rl_cell c;
	run_on("worker-4", init_cell, &c);
	rl_cell_add(&c, 1);
	assert_int_equal(got.n, 1);
	assert_string_equal(got.r[0].message,
		"Cell<i64> cannot be shared between threads safely (Sync): rl_cell_add on 'main', owned by 'worker-4'");
	rl_cell_init(&c, 7); /* main takes it over */
	rl_cell_add(&c, 1);
	assert_int_equal(rl_cell_get(&c), 8);
	assert_int_equal(got.n, 1);
}

/* ---- modes, default sink, counters ------------------------------------------ */

static void test_off_mode_reports_nothing_but_performs_the_operation(void **state)
{
	(void)state;
	rl_check_set_mode(RL_CHECK_OFF);
	assert_int_equal(rl_check_mode(), RL_CHECK_OFF);
	rl_rc *rc = rl_rc_new(8, NULL);
	rl_cell c;
	rl_cell_init(&c, 0);
	run_on("worker-1", clone_and_drop_three_times, rl_rc_clone(rc));
	run_on("worker-1", add_five_times, &c);
	assert_int_equal(got.n, 0);
	assert_int_equal(rl_check_count(RL_CHECK_SEND), 0);
	assert_int_equal(rl_check_count(RL_CHECK_SYNC), 0);
	assert_int_equal(rl_rc_strong_count(rc), 2);
	assert_int_equal(rl_cell_get(&c), 5);
	rl_rc_drop(rc);
	rl_rc_drop(rc);
}

static void test_mode_setter_ignores_unknown_values(void **state)
{
	(void)state;
	assert_int_equal(rl_check_mode(), RL_CHECK_REPORT);
	rl_check_set_mode((enum rl_check_mode)42);
	assert_int_equal(rl_check_mode(), RL_CHECK_REPORT);
	rl_check_set_mode(RL_CHECK_ABORT);
	assert_int_equal(rl_check_mode(), RL_CHECK_ABORT);
	rl_check_set_mode(RL_CHECK_REPORT);
	assert_int_equal(rl_check_count((enum rl_check_kind)99), 0);
}

static void test_reset_counts_zeroes_every_kind(void **state)
{
	(void)state;
	rl_rc *rc = rl_rc_new(8, NULL);
	rl_cell c;
	rl_cell_init(&c, 0);
	run_on("worker-1", clone_and_drop_three_times, rc);
	run_on("worker-1", add_five_times, &c);
	assert_int_equal(rl_check_count(RL_CHECK_SEND), 1);
	assert_int_equal(rl_check_count(RL_CHECK_SYNC), 1);
	rl_check_reset_counts();
	for (int k = 0; k < RL_CHECK_NKINDS; k++)
		assert_int_equal(rl_check_count((enum rl_check_kind)k), 0);
	rl_rc_drop(rc);
}

static void foreign_clone_with_default_sink(void *arg)
{
	(void)arg;
	rl_check_set_sink(NULL, NULL);
	rl_rc *rc = rl_rc_new(8, NULL);
	run_on("worker-1", clone_and_drop_three_times, rc);
	run_on("worker-1", clone_and_drop_three_times, rc);
	rl_rc_drop(rc);
}

static void test_default_sink_prints_one_line_per_pair_on_stderr(void **state)
{
	(void)state;
	struct death d = death_run(foreign_clone_with_default_sink, NULL);
	assert_true(d.exited);
	assert_int_equal(d.status, 0);
	assert_string_equal(d.err,
		"racelab: Rc<T> cannot be sent between threads safely (Send): rl_rc_clone on 'worker-1', owned by 'main'\n"
		"racelab: Rc<T> cannot be sent between threads safely (Send): rl_rc_clone on 'worker-1', owned by 'main'\n");
}

static void foreign_clone_in_abort_mode(void *arg)
{
	(void)arg;
	rl_check_set_sink(NULL, NULL);
	rl_check_set_mode(RL_CHECK_ABORT);
	rl_rc *rc = rl_rc_new(8, NULL);
	run_on("worker-1", clone_and_drop_three_times, rc);
}

static void test_abort_mode_aborts_with_the_report(void **state)
{
	(void)state;
	struct death d = death_run(foreign_clone_in_abort_mode, NULL);
	assert_true(d.signaled);
	assert_int_equal(d.signal, SIGABRT);
	assert_non_null(strstr(d.err,
		"racelab: fatal: Rc<T> cannot be sent between threads safely (Send): "
		"rl_rc_clone on 'worker-1', owned by 'main' ("));
	assert_non_null(strstr(d.err, "rc.c:"));
	/* Printed once, as the fatal line. */
	assert_null(strstr(strstr(d.err, "cannot be sent") + 1, "cannot be sent"));
}

/* ---- quarantine and use-after-free -------------------------------------------- */

static size_t live_from_ctx(const void *object, void *ctx)
{
	(void)object;
	return *(size_t *)ctx;
}

static void test_dead_rc_use_is_reported_once_and_skipped(void **state)
{
	(void)state;
	size_t live = 3;
	drops = 0;
	rl_check_set_live_fn(live_from_ctx, &live);
	rl_check_quarantine_begin();
	assert_true(rl_check_quarantine_active());
	rl_rc *rc = rl_rc_new(8, count_drop);
	rl_rc_drop(rc); /* the count reaches zero: value dropped, box kept dead */
	assert_int_equal(drops, 1);
	assert_int_equal(got.n, 0);
	assert_ptr_equal(rl_rc_clone(rc), rc);
	rl_rc_drop(rc);
	rl_rc_drop(rc);
	assert_null(rl_rc_get_mut(rc));
	int64_t out;
	assert_int_equal(rl_rc_try_unwrap(rc, &out), RL_EBUSY);
	assert_int_equal(drops, 1);            /* never dropped twice */
	assert_int_equal(rl_rc_strong_count(rc), 0); /* the clone was skipped */
	assert_int_equal(got.n, 1);
	assert_int_equal(got.r[0].kind, RL_CHECK_USE_AFTER_FREE);
	assert_int_equal(got.r[0].live, 3);
	assert_string_equal(got.r[0].message,
		"Rc<T> used after free: rl_rc_clone on 'main'; the count reached zero with 3 references still live");
	assert_int_equal(rl_check_count(RL_CHECK_USE_AFTER_FREE), 1);
	assert_int_equal(rl_check_quarantine_end(), 1);
	assert_false(rl_check_quarantine_active());
}

/* A racy run, replayed in order: main and a worker share one Rc; the worker's
 * drops bring the count to zero while main still holds a reference. */
struct early_zero {
	rl_rc *rc;
	size_t live; /* references the program really holds */
};

static void drop_twice(void *arg)
{
	struct early_zero *e = arg;
	e->live--;
	rl_rc_drop(e->rc);
	rl_rc_drop(e->rc); /* a lost increment, as it were: one drop too many */
}

static void clone_dead(void *arg)
{
	rl_rc_clone(arg);
}

static void test_count_reaching_zero_early_on_a_worker_is_reported_on_next_use(void **state)
{
	(void)state;
	struct early_zero e = {.live = 2};
	drops = 0;
	rl_check_set_live_fn(live_from_ctx, &e.live);
	rl_check_quarantine_begin();
	e.rc = rl_rc_new(8, count_drop);
	rl_rc_clone(e.rc); /* main's reference and the worker's */
	run_on("worker-1", drop_twice, &e);
	assert_int_equal(drops, 1); /* dropped early, on the worker */
	rl_rc_drop(e.rc);           /* main's legitimate drop: use after free */
	run_on("worker-2", clone_dead, e.rc);
	assert_int_equal(drops, 1);
	assert_int_equal(got.n, 2);
	assert_string_equal(got.r[0].message,
		"Rc<T> cannot be sent between threads safely (Send): rl_rc_drop on 'worker-1', owned by 'main'");
	assert_string_equal(got.r[1].message,
		"Rc<T> used after free: rl_rc_drop on 'main'; the count reached zero with 1 reference still live");
	assert_int_equal(rl_check_count(RL_CHECK_SEND), 1);
	assert_int_equal(rl_check_count(RL_CHECK_USE_AFTER_FREE), 1);
	assert_int_equal(rl_check_quarantine_end(), 1);
}

static void test_count_reaching_zero_twice_drops_the_value_once(void **state)
{
	(void)state;
	/* What two racing plain decrements can do: both threads see the count
	 * reach zero. Replayed by entering the "count reached zero" path twice. */
	drops = 0;
	rl_check_quarantine_begin();
	rl_rc *rc = rl_rc_new(8, count_drop);
	rl_rc_drop(rc);
	rl__rc_drop_value(rc);
	assert_int_equal(drops, 1);
	assert_int_equal(got.n, 1);
	assert_string_equal(got.r[0].op, "rl_rc_drop");
	assert_int_equal(got.r[0].kind, RL_CHECK_USE_AFTER_FREE);
	/* One box, queued once: freeing it twice would crash or trip ASan. */
	assert_int_equal(rl_check_quarantine_end(), 1);
}

static void test_use_after_free_without_live_fn_says_the_figure_is_unknown(void **state)
{
	(void)state;
	rl_check_quarantine_begin();
	rl_rc *rc = rl_rc_new(8, NULL);
	rl_rc_drop(rc);
	rl_rc_drop(rc);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.r[0].live, SIZE_MAX);
	assert_string_equal(got.r[0].message,
		"Rc<T> used after free: rl_rc_drop on 'main'; the count reached zero while references were still live");
	assert_int_equal(rl_check_quarantine_end(), 1);
}

static void test_weak_of_a_dead_rc_upgrades_to_null_without_report(void **state)
{
	(void)state;
	rl_check_quarantine_begin();
	rl_rc *rc = rl_rc_new(8, NULL);
	rl_rc_weak *w = rl_rc_downgrade(rc);
	rl_rc_drop(rc);
	assert_null(rl_rc_weak_upgrade(w));
	rl_rc_weak *w2 = rl_rc_weak_clone(w);
	rl_rc_weak_drop(w);
	rl_rc_weak_drop(w2);
	assert_int_equal(got.n, 0);
	/* Dropping the last Weak did not free: the quarantine frees it now. */
	assert_int_equal(rl_check_quarantine_end(), 1);
}

static void test_quarantine_keeps_freed_arc_boxes_until_end(void **state)
{
	(void)state;
	assert_int_equal(rl_check_quarantine_end(), 0);
	rl_check_quarantine_begin();
	for (int i = 0; i < 3; i++) {
		rl_arc *a = rl_arc_new(8, NULL);
		rl_arc_weak *w = rl_arc_downgrade(a);
		rl_arc_drop(a);
		rl_arc_weak_drop(w);
	}
	rl_rc *alive = rl_rc_new(8, NULL);
	assert_int_equal(rl_check_quarantine_end(), 3);
	rl_rc_drop(alive); /* outside the quarantine: freed at once */
	assert_int_equal(rl_check_quarantine_end(), 0);
	assert_int_equal(got.n, 0);
}

static void test_count_from_zero_outside_quarantine_is_reported(void **state)
{
	(void)state;
	rl_rc *rc = rl_rc_new(8, NULL);
	rl_rc_weak *w = rl_rc_downgrade(rc); /* keeps the box, not the value */
	rl_rc_drop(rc);
	/* On the owner thread only the slow path checks: force it, as a probe
	 * session does for the threads it covers (hooks.h's owner key). */
	rl__probe_active = 1;
	rl__owner_key_tls = 0;
	rl_rc_drop(rc);
	rl_rc_clone(rc); /* same object, same thread: not reported again */
	rl__probe_active = 0;
	rl__owner_key_sync();
	assert_int_equal(rl_rc_weak_strong_count(w), 0); /* both skipped */
	assert_int_equal(got.n, 1);
	assert_string_equal(got.r[0].message,
		"Rc<T> used after free: rl_rc_drop on 'main', owned by 'main'; the count was already zero");
	run_on("worker-1", clone_dead, rc);
	assert_int_equal(got.n, 3);
	assert_int_equal(got.r[1].kind, RL_CHECK_SEND);
	assert_string_equal(got.r[2].message,
		"Rc<T> used after free: rl_rc_clone on 'worker-1', owned by 'main'; the count was already zero");
	assert_int_equal(rl_rc_weak_strong_count(w), 0);
	assert_int_equal(rl_check_count(RL_CHECK_USE_AFTER_FREE), 2);
	assert_int_equal(rl_check_count(RL_CHECK_SEND), 1);
	rl_rc_weak_drop(w);
}

static void dead_use_in_abort_mode(void *arg)
{
	(void)arg;
	rl_check_set_sink(NULL, NULL);
	rl_check_set_mode(RL_CHECK_ABORT);
	rl_check_quarantine_begin();
	rl_rc *rc = rl_rc_new(8, NULL);
	rl_rc_drop(rc);
	rl_rc_clone(rc);
}

static void test_abort_mode_aborts_on_use_after_free(void **state)
{
	(void)state;
	struct death d = death_run(dead_use_in_abort_mode, NULL);
	assert_true(d.signaled);
	assert_int_equal(d.signal, SIGABRT);
	assert_non_null(strstr(d.err, "racelab: fatal: Rc<T> used after free: rl_rc_clone on 'main'"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_rc_used_on_its_owner_thread_is_not_reported),
		T(test_rc_clone_on_another_thread_is_a_send_violation_reported_once),
		T(test_each_object_and_thread_pair_is_reported_once),
		T(test_drop_on_another_thread_is_reported_as_rl_rc_drop),
		T(test_owner_name_outlives_the_owner_thread),
		T(test_weak_on_another_thread_is_reported_as_rc_weak),
		T(test_cell_add_on_another_thread_is_a_sync_violation),
		T(test_cell_owner_is_the_initialising_thread),
		T(test_off_mode_reports_nothing_but_performs_the_operation),
		T(test_mode_setter_ignores_unknown_values),
		T(test_reset_counts_zeroes_every_kind),
		T(test_default_sink_prints_one_line_per_pair_on_stderr),
		T(test_abort_mode_aborts_with_the_report),
		T(test_dead_rc_use_is_reported_once_and_skipped),
		T(test_count_reaching_zero_early_on_a_worker_is_reported_on_next_use),
		T(test_count_reaching_zero_twice_drops_the_value_once),
		T(test_use_after_free_without_live_fn_says_the_figure_is_unknown),
		T(test_weak_of_a_dead_rc_upgrades_to_null_without_report),
		T(test_quarantine_keeps_freed_arc_boxes_until_end),
		T(test_count_from_zero_outside_quarantine_is_reported),
		T(test_abort_mode_aborts_on_use_after_free),
	};
	return cmocka_run_group_tests_name("check", tests, NULL, NULL);
}
