/* test_cell.c — Cell<i64>: get, set, add on the owning thread, size, and
 * wrap-around. The Sync owner check is in test_check.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <racelab/cell.h>
#include <racelab/check.h>

static int n_reports;
static void count_report(const struct rl_check_report *r, void *ctx)
{
	(void)r;
	(void)ctx;
	n_reports++;
}

static int setup(void **state)
{
	(void)state;
	n_reports = 0;
	rl_check_set_sink(count_report, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rl_check_set_sink(NULL, NULL);
	return 0;
}

static void test_cell_is_rust_cell_plus_an_owner_word(void **state)
{
	(void)state;
	assert_int_equal(sizeof(rl_cell), 16);
	assert_int_equal(offsetof(rl_cell, value), 0);
}

static void test_cell_init_get_set(void **state)
{
	(void)state;
	rl_cell c;
	rl_cell_init(&c, -5);
	assert_int_equal(rl_cell_get(&c), -5);
	rl_cell_set(&c, 123456789012345);
	assert_int_equal(rl_cell_get(&c), 123456789012345);
	assert_int_equal(n_reports, 0);
}

static void test_cell_add_performs_every_addition(void **state)
{
	(void)state;
	rl_cell c;
	rl_cell_init(&c, 0);
	for (int i = 0; i < 100000; i++)
		rl_cell_add(&c, 3);
	assert_int_equal(rl_cell_get(&c), 300000);
	rl_cell_add(&c, -300001);
	assert_int_equal(rl_cell_get(&c), -1);
	assert_int_equal(n_reports, 0);
}

static void test_cell_add_wraps_like_wrapping_add(void **state)
{
	(void)state;
	rl_cell c;
	rl_cell_init(&c, INT64_MAX);
	rl_cell_add(&c, 1);
	assert_true(rl_cell_get(&c) == INT64_MIN);
	rl_cell_add(&c, -1);
	assert_true(rl_cell_get(&c) == INT64_MAX);
}

static void test_cell_slow_path_on_owner_thread_does_the_same_access(void **state)
{
	(void)state;
	rl_cell c;
	rl_cell_init(&c, 1);
	rl__probe_active = 1; /* as if a detector covered this thread */
	rl__owner_key_tls = 0;
	rl_cell_add(&c, 41);
	rl_cell_set(&c, rl_cell_get(&c) * 2);
	assert_int_equal(rl__owner_key_tls, 0); /* the slow path keeps the thread probed */
	rl__probe_active = 0;
	assert_int_equal(rl_cell_get(&c), 84);
	assert_int_equal(n_reports, 0);
	/* The first slow path after the session gives the thread its fast path back. */
	assert_int_equal(rl__owner_key_tls, rl__tid());
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_cell_is_rust_cell_plus_an_owner_word),
		T(test_cell_init_get_set),
		T(test_cell_add_performs_every_addition),
		T(test_cell_add_wraps_like_wrapping_add),
		T(test_cell_slow_path_on_owner_thread_does_the_same_access),
	};
	return cmocka_run_group_tests_name("cell", tests, NULL, NULL);
}
