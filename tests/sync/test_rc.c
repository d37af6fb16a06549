/* test_rc.c — Rc<T> and rc::Weak<T>: counts, drop timing, uniqueness,
 * try_unwrap, overflow aborts. Ported from the behaviour of Rust's
 * library/alloctests/tests/rc.rs and the Rc doc-tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <racelab/rc.h>
#include <racelab/status.h>

#include "death.h"

/* ---- a drop function that records what it saw --------------------------- */

static int drops;
static int64_t last_dropped_value;

static void count_drop(void *value)
{
	drops++;
	memcpy(&last_dropped_value, value, sizeof(last_dropped_value));
}

static int reset_drops(void **state)
{
	(void)state;
	drops = 0;
	last_dropped_value = 0;
	return 0;
}

static rl_rc *new_i64(int64_t v)
{
	rl_rc *rc = rl_rc_new(sizeof(int64_t), count_drop);
	assert_non_null(rc);
	*(int64_t *)rl_rc_get(rc) = v;
	return rc;
}

/* ---- layout and construction --------------------------------------------- */

static void test_rc_box_is_rust_rcinner_with_handle_one_word(void **state)
{
	(void)state;
	assert_int_equal(sizeof(rl_rc *), sizeof(void *));
	assert_int_equal(offsetof(rl_rc, strong), 0);
	assert_int_equal(offsetof(rl_rc, weak), sizeof(size_t));
	assert_int_equal(offsetof(rl_rc, value), 2 * sizeof(size_t));
	rl_rc *rc = rl_rc_new(1, NULL);
	assert_non_null(rc);
	assert_int_equal((uintptr_t)rl_rc_get(rc) % _Alignof(max_align_t), 0);
	rl_rc_drop(rc);
}

static void test_rc_new_is_zero_filled_with_strong_one_weak_zero(void **state)
{
	(void)state;
	unsigned char zero[100] = {0};
	rl_rc *rc = rl_rc_new(sizeof(zero), NULL);
	assert_non_null(rc);
	assert_memory_equal(rl_rc_get(rc), zero, sizeof(zero));
	assert_int_equal(rl_rc_strong_count(rc), 1);
	assert_int_equal(rl_rc_weak_count(rc), 0);
	assert_int_equal(rl_rc_value_size(rc), sizeof(zero));
	rl_rc_drop(rc);
}

static void test_rc_new_whose_size_overflows_returns_null(void **state)
{
	(void)state;
	assert_null(rl_rc_new(SIZE_MAX - 8, NULL));
}

/* ---- counts --------------------------------------------------------------- */

static void test_rc_clone_and_drop_move_the_strong_count(void **state)
{
	(void)state;
	rl_rc *a = new_i64(5);
	rl_rc *b = rl_rc_clone(a);
	assert_ptr_equal(a, b);
	assert_true(rl_rc_ptr_eq(a, b));
	assert_int_equal(rl_rc_strong_count(a), 2);
	rl_rc *c = rl_rc_clone(b);
	assert_int_equal(rl_rc_strong_count(a), 3);
	rl_rc_drop(c);
	rl_rc_drop(b);
	assert_int_equal(rl_rc_strong_count(a), 1);
	assert_int_equal(drops, 0);
	rl_rc_drop(a);
	assert_int_equal(drops, 1);
}

static void test_rc_weak_count_and_strong_count_like_rust(void **state)
{
	(void)state;
	/* Rust's rc.rs test_weak_count / test_strong_count. */
	rl_rc *a = new_i64(0);
	assert_int_equal(rl_rc_strong_count(a), 1);
	assert_int_equal(rl_rc_weak_count(a), 0);
	rl_rc_weak *w = rl_rc_downgrade(a);
	assert_int_equal(rl_rc_strong_count(a), 1);
	assert_int_equal(rl_rc_weak_count(a), 1);
	assert_int_equal(rl_rc_weak_strong_count(w), 1);
	assert_int_equal(rl_rc_weak_weak_count(w), 1);
	rl_rc *x = rl_rc_clone(a);
	assert_int_equal(rl_rc_strong_count(a), 2);
	assert_int_equal(rl_rc_weak_count(a), 1);
	rl_rc_weak *w2 = rl_rc_weak_clone(w);
	assert_int_equal(rl_rc_weak_count(a), 2);
	rl_rc_weak_drop(w2);
	rl_rc_weak_drop(w);
	assert_int_equal(rl_rc_strong_count(a), 2);
	assert_int_equal(rl_rc_weak_count(a), 0);
	rl_rc *c = rl_rc_clone(a);
	assert_int_equal(rl_rc_strong_count(a), 3);
	rl_rc_drop(c);
	rl_rc_drop(x);
	assert_int_equal(rl_rc_strong_count(a), 1);
	rl_rc_drop(a);
	assert_int_equal(drops, 1);
}

static void test_rc_weak_upgrade_adds_a_strong_reference(void **state)
{
	(void)state;
	rl_rc *a = new_i64(7);
	rl_rc_weak *w = rl_rc_downgrade(a);
	rl_rc *b = rl_rc_weak_upgrade(w);
	assert_ptr_equal(b, a);
	assert_int_equal(rl_rc_strong_count(a), 2);
	assert_int_equal(*(int64_t *)rl_rc_get(b), 7);
	rl_rc_drop(b);
	rl_rc_drop(a);
	assert_int_equal(drops, 1);
	rl_rc_weak_drop(w);
}

/* ---- drop timing ---------------------------------------------------------- */

static void test_rc_drop_fn_runs_once_at_the_last_strong_drop(void **state)
{
	(void)state;
	rl_rc *a = new_i64(42);
	rl_rc *refs[10];
	for (int i = 0; i < 10; i++)
		refs[i] = rl_rc_clone(a);
	for (int i = 0; i < 10; i++) {
		rl_rc_drop(refs[i]);
		assert_int_equal(drops, 0);
	}
	rl_rc_drop(a);
	assert_int_equal(drops, 1);
	assert_int_equal(last_dropped_value, 42);
}

static void test_rc_value_is_dropped_while_a_weak_keeps_the_box(void **state)
{
	(void)state;
	/* Rust's drop_slow: the value goes with the last strong reference; the
	 * memory stays until the last Weak (ASan would flag a use after free). */
	rl_rc *a = new_i64(9);
	rl_rc_weak *w = rl_rc_downgrade(a);
	rl_rc_drop(a);
	assert_int_equal(drops, 1);
	assert_int_equal(last_dropped_value, 9);
	assert_int_equal(rl_rc_weak_strong_count(w), 0);
	assert_int_equal(rl_rc_weak_weak_count(w), 0);
	assert_null(rl_rc_weak_upgrade(w));
	rl_rc_weak *w2 = rl_rc_weak_clone(w);
	rl_rc_weak_drop(w);
	assert_null(rl_rc_weak_upgrade(w2));
	rl_rc_weak_drop(w2);
	assert_int_equal(drops, 1);
}

static void test_rc_weak_drop_of_null_is_a_noop(void **state)
{
	(void)state;
	rl_rc_weak_drop(NULL);
}

/* Rust's rc.rs "test_cycle": a cycle through strong references leaks, the
 * Weak twin does not. The value holds one handle. */
struct node {
	rl_rc *next;
	rl_rc_weak *next_weak;
};

static int node_drops;

static void node_drop(void *value)
{
	struct node *n = value;
	node_drops++;
	if (n->next)
		rl_rc_drop(n->next);
	if (n->next_weak)
		rl_rc_weak_drop(n->next_weak);
}

static void test_rc_cycle_of_strong_refs_leaks_and_weak_cycle_frees(void **state)
{
	(void)state;
	node_drops = 0;
	rl_rc *a = rl_rc_new(sizeof(struct node), node_drop);
	rl_rc *b = rl_rc_new(sizeof(struct node), node_drop);
	((struct node *)rl_rc_get(a))->next = rl_rc_clone(b);
	((struct node *)rl_rc_get(b))->next = rl_rc_clone(a);
	rl_rc_drop(a);
	rl_rc_drop(b);
	assert_int_equal(node_drops, 0);
	assert_int_equal(rl_rc_strong_count(a), 1); /* leaked: held by b */
	/* Break the cycle by hand so the test itself does not leak. */
	rl_rc *bb = ((struct node *)rl_rc_get(a))->next;
	((struct node *)rl_rc_get(a))->next = NULL;
	rl_rc_drop(bb); /* b goes, and drops its reference to a */
	assert_int_equal(node_drops, 2);

	node_drops = 0;
	a = rl_rc_new(sizeof(struct node), node_drop);
	b = rl_rc_new(sizeof(struct node), node_drop);
	((struct node *)rl_rc_get(a))->next = rl_rc_clone(b);
	((struct node *)rl_rc_get(b))->next_weak = rl_rc_downgrade(a);
	rl_rc_drop(b);
	assert_int_equal(node_drops, 0);
	rl_rc_drop(a);
	assert_int_equal(node_drops, 2);
}

/* ---- uniqueness ----------------------------------------------------------- */

static void test_rc_get_mut_only_when_unique(void **state)
{
	(void)state;
	/* Rust's rc.rs get_mut test. */
	rl_rc *x = new_i64(3);
	int64_t *p = rl_rc_get_mut(x);
	assert_non_null(p);
	*p = 4;
	assert_int_equal(*(int64_t *)rl_rc_get(x), 4);
	rl_rc *y = rl_rc_clone(x);
	assert_null(rl_rc_get_mut(x));
	rl_rc_drop(y);
	assert_non_null(rl_rc_get_mut(x));
	rl_rc_weak *w = rl_rc_downgrade(x);
	assert_null(rl_rc_get_mut(x));
	rl_rc_weak_drop(w);
	assert_ptr_equal(rl_rc_get_mut(x), rl_rc_get(x));
	rl_rc_drop(x);
}

static void test_rc_try_unwrap_moves_the_value_out_of_a_unique_rc(void **state)
{
	(void)state;
	/* Rust's rc.rs try_unwrap test. */
	int64_t out = 0;
	rl_rc *x = new_i64(3);
	assert_int_equal(rl_rc_try_unwrap(x, &out), RL_OK);
	assert_int_equal(out, 3);
	assert_int_equal(drops, 0); /* moved, not dropped */

	x = new_i64(4);
	rl_rc *y = rl_rc_clone(x);
	out = 0;
	assert_int_equal(rl_rc_try_unwrap(x, &out), RL_EBUSY);
	assert_int_equal(out, 0);
	assert_int_equal(rl_rc_strong_count(x), 2);
	rl_rc_drop(y);

	rl_rc_weak *w = rl_rc_downgrade(x);
	assert_int_equal(rl_rc_try_unwrap(x, &out), RL_OK);
	assert_int_equal(out, 4);
	assert_null(rl_rc_weak_upgrade(w));
	rl_rc_weak_drop(w);
	assert_int_equal(drops, 0);
}

static void test_rc_try_unwrap_of_zero_sized_value_accepts_null_out(void **state)
{
	(void)state;
	rl_rc *x = rl_rc_new(0, NULL);
	assert_non_null(x);
	assert_int_equal(rl_rc_try_unwrap(x, NULL), RL_OK);
}

static void test_rc_ptr_eq_compares_boxes_not_values(void **state)
{
	(void)state;
	rl_rc *a = new_i64(1), *b = new_i64(1);
	rl_rc *a2 = rl_rc_clone(a);
	assert_true(rl_rc_ptr_eq(a, a2));
	assert_false(rl_rc_ptr_eq(a, b));
	rl_rc_drop(a2);
	rl_rc_drop(a);
	rl_rc_drop(b);
	assert_int_equal(drops, 2);
}

/* ---- overflow: death tests ----------------------------------------------- */

static void clone_at_size_max(void *arg)
{
	(void)arg;
	rl_rc *rc = rl_rc_new(sizeof(int), NULL);
	rc->strong = SIZE_MAX; /* as if SIZE_MAX clones were forgotten */
	rl_rc_clone(rc);
}

static void clone_below_size_max(void *arg)
{
	(void)arg;
	rl_rc *rc = rl_rc_new(sizeof(int), NULL);
	rc->strong = SIZE_MAX - 1;
	rl_rc_clone(rc); /* reaches SIZE_MAX: still fine in Rust */
	if (rc->strong != SIZE_MAX)
		_exit(1);
	rc->strong = 1;
	rl_rc_drop(rc);
}

static void downgrade_at_size_max(void *arg)
{
	(void)arg;
	rl_rc *rc = rl_rc_new(sizeof(int), NULL);
	rc->weak = SIZE_MAX;
	rl_rc_downgrade(rc);
}

static void upgrade_at_size_max(void *arg)
{
	(void)arg;
	rl_rc *rc = rl_rc_new(sizeof(int), NULL);
	rl_rc_weak *w = rl_rc_downgrade(rc);
	rc->strong = SIZE_MAX;
	rl_rc_weak_upgrade(w);
}

static void expect_overflow_abort(void (*fn)(void *))
{
	struct death d = death_run(fn, NULL);
	assert_true(d.signaled);
	assert_int_equal(d.signal, SIGABRT);
	assert_non_null(strstr(d.err, "racelab: fatal: Rc counter overflow ("));
	assert_non_null(strstr(d.err, "rc.c:"));
}

static void test_rc_clone_that_wraps_the_count_aborts(void **state)
{
	(void)state;
	expect_overflow_abort(clone_at_size_max);
}

static void test_rc_clone_up_to_size_max_does_not_abort(void **state)
{
	(void)state;
	struct death d = death_run(clone_below_size_max, NULL);
	assert_true(d.exited);
	assert_int_equal(d.status, 0);
	assert_string_equal(d.err, "");
}

static void test_rc_downgrade_that_wraps_the_weak_count_aborts(void **state)
{
	(void)state;
	expect_overflow_abort(downgrade_at_size_max);
}

static void test_rc_upgrade_that_wraps_the_count_aborts(void **state)
{
	(void)state;
	expect_overflow_abort(upgrade_at_size_max);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rc_box_is_rust_rcinner_with_handle_one_word),
		cmocka_unit_test(test_rc_new_is_zero_filled_with_strong_one_weak_zero),
		cmocka_unit_test(test_rc_new_whose_size_overflows_returns_null),
		cmocka_unit_test_setup(test_rc_clone_and_drop_move_the_strong_count, reset_drops),
		cmocka_unit_test_setup(test_rc_weak_count_and_strong_count_like_rust, reset_drops),
		cmocka_unit_test_setup(test_rc_weak_upgrade_adds_a_strong_reference, reset_drops),
		cmocka_unit_test_setup(test_rc_drop_fn_runs_once_at_the_last_strong_drop, reset_drops),
		cmocka_unit_test_setup(test_rc_value_is_dropped_while_a_weak_keeps_the_box, reset_drops),
		cmocka_unit_test(test_rc_weak_drop_of_null_is_a_noop),
		cmocka_unit_test(test_rc_cycle_of_strong_refs_leaks_and_weak_cycle_frees),
		cmocka_unit_test_setup(test_rc_get_mut_only_when_unique, reset_drops),
		cmocka_unit_test_setup(test_rc_try_unwrap_moves_the_value_out_of_a_unique_rc, reset_drops),
		cmocka_unit_test(test_rc_try_unwrap_of_zero_sized_value_accepts_null_out),
		cmocka_unit_test_setup(test_rc_ptr_eq_compares_boxes_not_values, reset_drops),
		cmocka_unit_test(test_rc_clone_that_wraps_the_count_aborts),
		cmocka_unit_test(test_rc_clone_up_to_size_max_does_not_abort),
		cmocka_unit_test(test_rc_downgrade_that_wraps_the_weak_count_aborts),
		cmocka_unit_test(test_rc_upgrade_that_wraps_the_count_aborts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
