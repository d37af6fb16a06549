/* test_bench_cli.c — `racelab bench` on the command line: bad input gives one
 * line on stderr, exit 2 and no file; --list and --help; a tiny run writes
 * the three output files and nothing else.
 *
 * Each case runs rl_bench_main() in a forked child with stdout and stderr
 * sent to files, so the exit status and the exact output can be checked (and
 * LeakSanitizer checks the child at exit in the asan build).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "bench.h"
#include "harness.h"

struct outcome {
	int status; /* exit status, or 128 + signal */
	char *out;
	char *err;
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *buf = NULL;
	size_t cap = 0, len = 0;
	for (;;) {
		if (len + 4097 > cap) {
			cap = cap ? 2 * cap : 8192;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		size_t k = fread(buf + len, 1, cap - len - 1, f);
		len += k;
		if (k == 0)
			break;
	}
	buf[len] = 0;
	fclose(f);
	return buf;
}

static void run_cli(struct outcome *o, const char *const *args)
{
	char outp[] = "/tmp/rl-bench-out.XXXXXX", errp[] = "/tmp/rl-bench-err.XXXXXX";
	int fo = mkstemp(outp), fe = mkstemp(errp);
	assert_true(fo >= 0 && fe >= 0);
	int argc = 0;
	while (args[argc])
		argc++;
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fo, STDOUT_FILENO);
		dup2(fe, STDERR_FILENO);
		int rc = rl_bench_main(argc, (char **)args);
		fflush(stdout);
		fflush(stderr);
		exit(rc);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	o->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	close(fo);
	close(fe);
	o->out = slurp(outp);
	o->err = slurp(errp);
	unlink(outp);
	unlink(errp);
}

static void outcome_free(struct outcome *o)
{
	free(o->out);
	free(o->err);
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Exit 2, exactly one line on stderr naming @needle, nothing on stdout. */
static void expect_usage_error(const char *const *args, const char *needle)
{
	struct outcome o;
	run_cli(&o, args);
	print_message("stderr: %s", o.err);
	assert_int_equal(o.status, 2);
	assert_int_equal(count_lines(o.err), 1);
	assert_true(o.err[strlen(o.err) - 1] == '\n');
	assert_int_equal(strncmp(o.err, "racelab bench: ", 15), 0);
	assert_non_null(strstr(o.err, needle));
	assert_string_equal(o.out, "");
	outcome_free(&o);
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	char path[512];
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static void test_unknown_benchmark_suggests_the_closest_name(void **state)
{
	expect_usage_error((const char *const[]){"bench", "arc-clone", NULL},
			   "unknown benchmark 'arc-clone' (did you mean 'arc-clone-drop'?");
	expect_usage_error((const char *const[]){"bench", "counter-relaxd", NULL},
			   "did you mean 'counter-relaxed'?");
	expect_usage_error((const char *const[]){"bench", "qqqqqqqqqqqq", NULL},
			   "unknown benchmark 'qqqqqqqqqqqq'");
}

static void test_pattern_matching_nothing_is_a_usage_error(void **state)
{
	expect_usage_error((const char *const[]){"bench", "nothing-*", NULL},
			   "unknown benchmark 'nothing-*'");
}

static void test_bad_thread_lists_are_usage_errors(void **state)
{
	const char *bad[] = {"0", "1,,2", "x", "", "1,1", "2000", "-1"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect_usage_error((const char *const[]){"bench", "--threads", bad[i], NULL},
				   "bad thread list");
	expect_usage_error((const char *const[]){"bench", "--threads=4,0", NULL}, "bad thread list");
}

static void test_zero_samples_is_a_usage_error(void **state)
{
	expect_usage_error((const char *const[]){"bench", "--samples", "0", NULL}, "--samples");
	expect_usage_error((const char *const[]){"bench", "--samples", "many", NULL}, "--samples");
}

static void test_bad_durations_are_usage_errors(void **state)
{
	const char *bad[] = {"0", "-1", "abc", "1e9", "nan", "inf", ""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect_usage_error((const char *const[]){"bench", "--time-per-sample", bad[i], NULL},
				   "--time-per-sample");
	expect_usage_error((const char *const[]){"bench", "--warmup", "x", NULL}, "--warmup");
}

static void test_unknown_options_and_missing_values_are_usage_errors(void **state)
{
	expect_usage_error((const char *const[]){"bench", "--frobnicate", NULL}, "unknown option");
	expect_usage_error((const char *const[]){"bench", "--json-out", NULL}, "--json-out needs a value");
	expect_usage_error((const char *const[]){"bench", "--pin=yes", NULL}, "--pin takes no value");
}

static void test_unwritable_output_is_a_usage_error_and_creates_nothing(void **state)
{
	expect_usage_error((const char *const[]){"bench", "--json-out", "/nonexistent-dir/x.json", NULL},
			   "cannot write --json-out /nonexistent-dir/x.json");
	char dir[] = "/tmp/rl-bench-dir.XXXXXX";
	assert_non_null(mkdtemp(dir));
	expect_usage_error((const char *const[]){"bench", "--csv", dir, NULL}, "is a directory");
	assert_int_equal(count_entries(dir), 0);
	remove_dir(dir);
}

/* '-' is not a file name; --json FILE is the old name of --json-out FILE (a note says so). */
static void test_json_out_refuses_dash_and_old_json_still_works(void **state)
{
	expect_usage_error((const char *const[]){"bench", "--json-out", "-", NULL}, "not '-'");
	assert_int_not_equal(access("-", F_OK), 0);
	struct outcome o;
	run_cli(&o, (const char *const[]){"bench", "--json", "/nonexistent-dir/x.json", NULL});
	assert_int_equal(o.status, 2);
	assert_non_null(strstr(o.err, "racelab bench: note: --json FILE is now --json-out FILE"));
	assert_non_null(strstr(o.err, "cannot write --json-out /nonexistent-dir/x.json"));
	outcome_free(&o);
}

/* --json alone: JSON lines on stdout, each with a "type"; the next argument is
 * a benchmark; '-' after it is refused; --json=FILE is the old form. */
static void test_json_alone_prints_json_lines_with_a_type(void **state)
{
	struct outcome o;
	run_cli(&o, (const char *const[]){"bench", "--json", "counter-relaxed", "--threads", "1,2", "--samples", "2",
					  "--time-per-sample", "1", "--warmup", "0", NULL});
	print_message("stderr: %s", o.err);
	assert_int_equal(o.status, 0);
	assert_null(strstr(o.err, "note: --json FILE"));
	assert_null(strstr(o.out, "SUMMARY"));
	size_t lines = 0, results = 0;
	for (const char *l = o.out; *l; l = strchr(l, '\n') + 1) {
		assert_int_equal(strncmp(l, "{\"type\":\"", 9), 0);
		const char *end = strchr(l, '\n');
		assert_non_null(end);
		assert_true(end[-1] == '}');
		results += !strncmp(l, "{\"type\":\"result\",\"benchmark\":\"counter-relaxed\"", 46);
		lines++;
	}
	assert_int_equal(strncmp(o.out, "{\"type\":\"context\"", 17), 0);
	assert_int_equal(results, 2);
	assert_true(lines >= 3); /* context, two results, the contended ratio */
	assert_non_null(strstr(o.out, "{\"type\":\"ratio\",\"label\":\"contended/uncontended counter-relaxed\""));
	outcome_free(&o);

	expect_usage_error((const char *const[]){"bench", "--json", "-", NULL}, "--json takes no '-'");
	expect_usage_error((const char *const[]){"bench", "--json=-", NULL}, "--json takes no '-'");
	run_cli(&o, (const char *const[]){"bench", "--json=/nonexistent-dir/x.json", NULL});
	assert_int_equal(o.status, 2);
	assert_non_null(strstr(o.err, "note: --json FILE is now --json-out FILE"));
	assert_non_null(strstr(o.err, "cannot write --json-out /nonexistent-dir/x.json"));
	outcome_free(&o);
	/* a misspelt benchmark after --json is a benchmark, not a file name */
	expect_usage_error((const char *const[]){"bench", "--json", "counter-relaxd", NULL}, "did you mean");
}

/* --plot when every benchmark ran at one thread count only: a warning, still a file. */
static void test_plot_of_single_thread_benchmarks_warns(void **state)
{
	char dir[] = "/tmp/rl-bench-dir.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char plot[600];
	snprintf(plot, sizeof plot, "%s/p.svg", dir);
	struct outcome o;
	run_cli(&o, (const char *const[]){"bench", "rc-clone-drop", "--samples", "2", "--time-per-sample", "1",
					  "--warmup", "0", "--plot", plot, NULL});
	print_message("stderr: %s", o.err);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.err, "racelab bench: warning: --plot has nothing to draw"));
	assert_int_equal(count_entries(dir), 1);
	outcome_free(&o);
	remove_dir(dir);
}

/* A ratio near its target prints the digits that tell them apart: 1.049x, not 1.05x. */
static void test_ratio_digits_tell_a_ratio_from_its_target(void **state)
{
	assert_int_equal(rl_bench_ratio_digits(1.049, 1.05), 3);
	assert_int_equal(rl_bench_ratio_digits(1.0499, 1.05), 4);
	assert_int_equal(rl_bench_ratio_digits(1.051, 1.05), 3);
	assert_int_equal(rl_bench_ratio_digits(1.2, 1.05), 2);
	assert_int_equal(rl_bench_ratio_digits(1.049, 0), 2); /* no target */
	assert_int_equal(rl_bench_ratio_digits(1.05, 1.05), 2); /* exactly the target */
	char buf[32];
	snprintf(buf, sizeof buf, "%.*fx", rl_bench_ratio_digits(1.049, 1.05), 1.049);
	assert_string_equal(buf, "1.049x");
}

static void test_usage_error_after_an_output_option_leaves_no_file(void **state)
{
	char dir[] = "/tmp/rl-bench-dir.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char json[600], plot[600];
	snprintf(json, sizeof json, "%s/r.json", dir);
	snprintf(plot, sizeof plot, "%s/r.svg", dir);
	expect_usage_error((const char *const[]){"bench", "--json-out", json, "--plot", plot, "no-such", NULL},
			   "unknown benchmark");
	expect_usage_error((const char *const[]){"bench", "--json-out", json, "--plot",
						 "/nonexistent-dir/p.svg", NULL},
			   "cannot write --plot");
	assert_int_equal(count_entries(dir), 0); /* not even a temporary */
	remove_dir(dir);
}

static void test_list_prints_every_benchmark_and_exits_0(void **state)
{
	struct outcome o;
	run_cli(&o, (const char *const[]){"bench", "--list", NULL});
	assert_int_equal(o.status, 0);
	assert_string_equal(o.err, "");
	assert_int_equal(count_lines(o.out), rl_bench_registry_len);
	for (size_t i = 0; i < rl_bench_registry_len; i++) {
		char line[128];
		snprintf(line, sizeof line, "%s ", rl_bench_registry[i]->name);
		assert_non_null(strstr(o.out, line));
	}
	outcome_free(&o);
}

static void test_help_prints_usage_and_exits_0(void **state)
{
	struct outcome o;
	run_cli(&o, (const char *const[]){"bench", "--help", NULL});
	assert_int_equal(o.status, 0);
	assert_int_equal(strncmp(o.out, "usage: racelab bench", 20), 0);
	assert_string_equal(o.err, "");
	outcome_free(&o);
}

static void test_tiny_run_writes_each_output_file_and_a_summary_per_row(void **state)
{
	char dir[] = "/tmp/rl-bench-dir.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char json[600], csv[600], plot[600];
	snprintf(json, sizeof json, "%s/r.json", dir);
	snprintf(csv, sizeof csv, "%s/r.csv", dir);
	snprintf(plot, sizeof plot, "%s/r.svg", dir);
	struct outcome o;
	run_cli(&o, (const char *const[]){"bench", "counter-relaxed", "--threads", "1,2", "--samples", "3",
					  "--time-per-sample", "1", "--warmup", "0", "--json-out", json,
					  "--csv", csv, "--plot", plot, NULL});
	print_message("stderr: %s", o.err);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.out, "\nSUMMARY bench=counter-relaxed threads=1 "));
	assert_non_null(strstr(o.out, "\nSUMMARY bench=counter-relaxed threads=2 "));
	size_t summaries = 0;
	for (const char *p = o.out; (p = strstr(p, "SUMMARY ")); p++)
		summaries++;
	assert_int_equal(summaries, 2);
	const char *paths[] = {json, csv, plot}, *opts[] = {"--json-out", "--csv", "--plot"};
	for (int i = 0; i < 3; i++) {
		char line[700];
		snprintf(line, sizeof line, "racelab bench: wrote %s (%s)\n", paths[i], opts[i]);
		assert_non_null(strstr(o.err, line));
	}
	outcome_free(&o);

	assert_int_equal(count_entries(dir), 3); /* the files, no temporaries */
	const char *files[] = {json, csv, plot};
	const char *starts[] = {"{\n", "benchmark,series,threads,", "<?xml"};
	for (int i = 0; i < 3; i++) {
		char *text = slurp(files[i]);
		assert_int_equal(strncmp(text, starts[i], strlen(starts[i])), 0);
		free(text);
	}
	remove_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_benchmark_suggests_the_closest_name),
		cmocka_unit_test(test_pattern_matching_nothing_is_a_usage_error),
		cmocka_unit_test(test_bad_thread_lists_are_usage_errors),
		cmocka_unit_test(test_zero_samples_is_a_usage_error),
		cmocka_unit_test(test_bad_durations_are_usage_errors),
		cmocka_unit_test(test_unknown_options_and_missing_values_are_usage_errors),
		cmocka_unit_test(test_unwritable_output_is_a_usage_error_and_creates_nothing),
		cmocka_unit_test(test_usage_error_after_an_output_option_leaves_no_file),
		cmocka_unit_test(test_json_out_refuses_dash_and_old_json_still_works),
		cmocka_unit_test(test_json_alone_prints_json_lines_with_a_type),
		cmocka_unit_test(test_plot_of_single_thread_benchmarks_warns),
		cmocka_unit_test(test_ratio_digits_tell_a_ratio_from_its_target),
		cmocka_unit_test(test_list_prints_every_benchmark_and_exits_0),
		cmocka_unit_test(test_help_prints_usage_and_exits_0),
		cmocka_unit_test(test_tiny_run_writes_each_output_file_and_a_summary_per_row),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
