/* test_bench_stats.c — the harness's arithmetic and formatting on known
 * inputs: median/min/max/mean/stddev/MAD/quartiles, the block-spread check,
 * thread lists, benchmark-name suggestions, number, JSON and XML formatting.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <racelab/status.h>

#include "harness.h"

#define EPS 1e-9

/* cmocka 1.1.5 has no assert_double_equal. */
#define assert_near(a, b, eps) assert_near_at((a), (b), (eps), __FILE__, __LINE__)
static void assert_near_at(double a, double b, double eps, const char *file, int line)
{
	if (!(fabs(a - b) <= eps)) {
		print_error("%.17g != %.17g (tolerance %g)\n", a, b, eps);
		_fail(file, line);
	}
}

static void test_stats_odd_count_gives_middle_value_and_mad(void **state)
{
	const double v[] = {5, 1, 4, 2, 3};
	struct rl_bench_stats st;
	assert_int_equal(rl_bench_stats_compute(v, 5, &st), RL_OK);
	assert_int_equal(st.n, 5);
	assert_near(st.median, 3, EPS);
	assert_near(st.min, 1, EPS);
	assert_near(st.max, 5, EPS);
	assert_near(st.mean, 3, EPS);
	assert_near(st.stddev, sqrt(2.5), EPS); /* sample standard deviation */
	assert_near(st.mad, 1, EPS);            /* |dev| = 2,2,1,1,0 */
	assert_near(st.q1, 2, EPS);
	assert_near(st.q3, 4, EPS);
	assert_near(st.iqr, 2, EPS);
}

static void test_stats_even_count_interpolates_like_numpy(void **state)
{
	const double v[] = {4, 3, 2, 1};
	struct rl_bench_stats st;
	assert_int_equal(rl_bench_stats_compute(v, 4, &st), RL_OK);
	assert_near(st.median, 2.5, EPS);
	assert_near(st.q1, 1.75, EPS); /* numpy.percentile([1,2,3,4], 25) */
	assert_near(st.q3, 3.25, EPS);
	assert_near(st.mad, 1.0, EPS); /* |dev| = 1.5,0.5,0.5,1.5 */
}

static void test_stats_leave_the_input_unsorted(void **state)
{
	double v[] = {3, 1, 2};
	struct rl_bench_stats st;
	assert_int_equal(rl_bench_stats_compute(v, 3, &st), RL_OK);
	assert_near(v[0], 3, 0);
	assert_near(v[1], 1, 0);
	assert_near(v[2], 2, 0);
}

static void test_stats_median_and_mad_ignore_one_outlier(void **state)
{
	const double v[] = {10, 10, 1000, 10, 10};
	struct rl_bench_stats st;
	assert_int_equal(rl_bench_stats_compute(v, 5, &st), RL_OK);
	assert_near(st.median, 10, EPS);
	assert_near(st.mad, 0, EPS);
	assert_near(st.max, 1000, EPS);
	assert_near(st.mean, 208, EPS);
}

static void test_stats_single_value_has_no_dispersion(void **state)
{
	const double v[] = {7.5};
	struct rl_bench_stats st;
	assert_int_equal(rl_bench_stats_compute(v, 1, &st), RL_OK);
	assert_near(st.median, 7.5, EPS);
	assert_near(st.stddev, 0, EPS);
	assert_near(st.mad, 0, EPS);
	assert_near(st.iqr, 0, EPS);
}

static void test_stats_reject_empty_input(void **state)
{
	struct rl_bench_stats st;
	assert_int_equal(rl_bench_stats_compute(NULL, 0, &st), RL_EINVAL);
}

static void test_quantile_clamps_at_the_ends(void **state)
{
	const double s[] = {1, 2, 3};
	assert_near(rl_bench_quantile(s, 3, 0), 1, EPS);
	assert_near(rl_bench_quantile(s, 3, 1), 3, EPS);
	assert_near(rl_bench_quantile(s, 3, -1), 1, EPS);
	assert_near(rl_bench_quantile(s, 3, 2), 3, EPS);
	assert_near(rl_bench_quantile(s, 3, 0.75), 2.5, EPS);
}

static void test_block_spread_compares_medians_of_consecutive_blocks(void **state)
{
	/* blocks {1,1,1,1} {2,2,2,2} {3,3,3,3}; overall median 2 -> (3-1)/2 */
	const double v[] = {1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3};
	assert_near(rl_bench_block_spread(v, 12, 3), 1.0, EPS);
	/* a steady series spreads by nothing */
	const double w[] = {5, 5, 5, 5, 5, 5};
	assert_near(rl_bench_block_spread(w, 6, 3), 0, EPS);
	/* 11 % apart: above the stable threshold */
	const double x[] = {100, 100, 100, 100, 111, 111};
	double sp = rl_bench_block_spread(x, 6, 3);
	assert_true(sp > RL_BENCH_STABLE_SPREAD);
}

static void test_block_spread_needs_two_values_per_block(void **state)
{
	const double v[] = {1, 2, 3, 4, 5};
	assert_near(rl_bench_block_spread(v, 5, 3), 0, 0);
	assert_near(rl_bench_block_spread(v, 5, 1), 0, 0);
}

static void expect_threads(const char *s, const unsigned *want, size_t n)
{
	unsigned *t = NULL;
	size_t k = 0;
	char err[256];
	assert_int_equal(rl_bench_parse_threads(s, &t, &k, err, sizeof err), RL_OK);
	assert_int_equal(k, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(t[i], want[i]);
	free(t);
}

static void test_thread_list_parses_and_sorts(void **state)
{
	expect_threads("1,2,4", (const unsigned[]){1, 2, 4}, 3);
	expect_threads("8,1", (const unsigned[]){1, 8}, 2);
	expect_threads("3", (const unsigned[]){3}, 1);
	expect_threads("1024", (const unsigned[]){1024}, 1);
}

static void test_thread_list_rejects_malformed_lists(void **state)
{
	const char *bad[] = {"", "0", "1,,2", ",1", "1,", "a", "1,x", "-1", "+2", "1,1",
			     "1025", "2 ", " 2", "99999999999999999999999"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		unsigned *t = NULL;
		size_t k = 0;
		char err[256] = "";
		print_message("thread list '%s'\n", bad[i]);
		assert_int_equal(rl_bench_parse_threads(bad[i], &t, &k, err, sizeof err), RL_EINVAL);
		assert_null(t);
		assert_non_null(strstr(err, "bad thread list"));
		assert_null(strchr(err, '\n'));
	}
}

static void test_edit_distance_counts_single_byte_edits(void **state)
{
	assert_int_equal(rl_bench_edit_distance("kitten", "sitting"), 3);
	assert_int_equal(rl_bench_edit_distance("", "abc"), 3);
	assert_int_equal(rl_bench_edit_distance("same", "same"), 0);
}

static void test_suggest_finds_typos_and_fragments(void **state)
{
	assert_string_equal(rl_bench_suggest("counter-relaxd"), "counter-relaxed");
	assert_string_equal(rl_bench_suggest("arc-clone"), "arc-clone-drop");
	assert_string_equal(rl_bench_suggest("read-rc"), "read-rcu");
	assert_null(rl_bench_suggest("zzzzzzzzzzzz"));
	/* every suggestion is a registered benchmark */
	assert_non_null(rl_bench_find(rl_bench_suggest("mutex-futex-count")));
}

static void test_registry_names_are_unique_and_described(void **state)
{
	assert_true(rl_bench_registry_len > 10);
	for (size_t i = 0; i < rl_bench_registry_len; i++) {
		const struct rl_bench *b = rl_bench_registry[i];
		assert_non_null(b->name);
		assert_non_null(b->series);
		assert_non_null(b->what);
		assert_true((b->flags & RL_BENCH_CUSTOM) ? b->custom != NULL : b->run != NULL);
		assert_ptr_equal(rl_bench_find(b->name), b);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(rl_bench_registry[j]->name, b->name);
	}
	assert_null(rl_bench_find("no-such-benchmark"));
}

static void test_numbers_print_with_three_significant_digits(void **state)
{
	char buf[32];
	assert_string_equal(rl_bench_fmt_num(0.51234, buf, sizeof buf), "0.512");
	assert_string_equal(rl_bench_fmt_num(12.345, buf, sizeof buf), "12.3");
	assert_string_equal(rl_bench_fmt_num(999.4, buf, sizeof buf), "999");
	assert_string_equal(rl_bench_fmt_num(999.7, buf, sizeof buf), "1000");
	assert_string_equal(rl_bench_fmt_num(45600.4, buf, sizeof buf), "45600");
	assert_string_equal(rl_bench_fmt_num(NAN, buf, sizeof buf), "n/a");
}

/* Capture what @fn writes to a FILE. */
static char *capture(void (*fn)(FILE *, const char *), const char *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	fn(f, arg);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_json_strings_are_escaped(void **state)
{
	char *s = capture(rl_bench_json_string, "a\"b\\c\nd\x01");
	assert_string_equal(s, "\"a\\\"b\\\\c\\nd\\u0001\"");
	free(s);
}

static void test_xml_text_is_escaped(void **state)
{
	char *s = capture(rl_bench_xml_string, "<a & 'b'> \"c\"");
	assert_string_equal(s, "&lt;a &amp; &apos;b&apos;&gt; &quot;c&quot;");
	free(s);
}

static void test_plot_uses_log_scale_only_for_wide_ranges(void **state)
{
	assert_false(rl_bench_plot_use_log(5, 50));
	assert_true(rl_bench_plot_use_log(1, 20000));
	assert_false(rl_bench_plot_use_log(0, 100)); /* log of 0: stay linear */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats_odd_count_gives_middle_value_and_mad),
		cmocka_unit_test(test_stats_even_count_interpolates_like_numpy),
		cmocka_unit_test(test_stats_leave_the_input_unsorted),
		cmocka_unit_test(test_stats_median_and_mad_ignore_one_outlier),
		cmocka_unit_test(test_stats_single_value_has_no_dispersion),
		cmocka_unit_test(test_stats_reject_empty_input),
		cmocka_unit_test(test_quantile_clamps_at_the_ends),
		cmocka_unit_test(test_block_spread_compares_medians_of_consecutive_blocks),
		cmocka_unit_test(test_block_spread_needs_two_values_per_block),
		cmocka_unit_test(test_thread_list_parses_and_sorts),
		cmocka_unit_test(test_thread_list_rejects_malformed_lists),
		cmocka_unit_test(test_edit_distance_counts_single_byte_edits),
		cmocka_unit_test(test_suggest_finds_typos_and_fragments),
		cmocka_unit_test(test_registry_names_are_unique_and_described),
		cmocka_unit_test(test_numbers_print_with_three_significant_digits),
		cmocka_unit_test(test_json_strings_are_escaped),
		cmocka_unit_test(test_xml_text_is_escaped),
		cmocka_unit_test(test_plot_uses_log_scale_only_for_wide_ranges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
