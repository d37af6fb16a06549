/* test_timeline.c — rl_timeline_write()/rl_timeline_save(): errors leave no
 * file behind, names are escaped, a session without a trace says so. The
 * picture's content is checked from the SVG by check_timeline.py. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <racelab/racelab.h>

static char dir[64];

static int make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/rl-timeline-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static size_t entries(const char *path)
{
	DIR *d = opendir(path);
	size_t n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static void *racer(void *arg)
{
	rl_cell *c = arg;
	rl_cell_set(c, rl_cell_get(c) + 1);
	return NULL;
}

/* A session with a race between two threads named with XML's special characters. */
static void record_race(void)
{
	rl_probe_config cfg = { .detect = true, .schedule = RL_SCHEDULE_RANDOM, .seed = 3, .trace = true,
				.main_name = "main<&>" };
	static rl_cell cell;
	rl_cell *c = &cell;
	rl_check_set_mode(RL_CHECK_OFF); /* the detector's report, not the owner check's */
	assert_int_equal(rl_probe_attach(&cfg), RL_OK);
	rl_cell_init(c, 0);
	rl_thread *t[2];
	rl_thread_opts o1 = { .name = "a\"b" }, o2 = { .name = "c'd" };
	assert_int_equal(rl_thread_spawn(&t[0], racer, c, &o1), RL_OK);
	assert_int_equal(rl_thread_spawn(&t[1], racer, c, &o2), RL_OK);
	rl_thread_join(t[0], NULL);
	rl_thread_join(t[1], NULL);
	assert_int_equal(rl_probe_detach(), RL_OK);
}

static void test_save_rejects_a_null_or_empty_path(void **state)
{
	(void)state;
	assert_int_equal(rl_timeline_save(NULL, NULL), RL_EINVAL);
	assert_int_equal(rl_timeline_save("", NULL), RL_EINVAL);
}

static void test_save_into_a_missing_directory_fails_with_enoent_and_creates_nothing(void **state)
{
	(void)state;
	record_race();
	char path[128];
	snprintf(path, sizeof(path), "%s/missing/t.svg", dir);
	errno = 0;
	assert_int_equal(rl_timeline_save(path, "x"), RL_EIO);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(entries(dir), 0);
	rl_probe_reset();
}

static void test_save_over_a_directory_fails_and_leaves_no_temporary_file(void **state)
{
	(void)state;
	record_race();
	char path[128];
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(rl_timeline_save(path, "x"), RL_EIO);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(entries(dir), 1); /* only sub/ */
	assert_int_equal(entries(path), 0);
	rmdir(path);
	rl_probe_reset();
}

static void test_save_replaces_an_existing_file_whole(void **state)
{
	(void)state;
	record_race();
	char path[128];
	snprintf(path, sizeof(path), "%s/t.svg", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 100000; i++)
		fputs("old ", f);
	fclose(f);
	assert_int_equal(rl_timeline_save(path, "replaced"), RL_OK);
	const char *svg = slurp(path);
	assert_non_null(svg);
	assert_non_null(strstr(svg, "<svg "));
	assert_null(strstr(svg, "old "));
	assert_non_null(strstr(svg, "</svg>\n"));
	assert_int_equal(entries(dir), 1);
	unlink(path);
	rl_probe_reset();
}

static void test_write_to_a_full_device_returns_eio(void **state)
{
	(void)state;
	record_race();
	FILE *f = fopen("/dev/full", "w");
	if (!f)
		skip();
	errno = 0;
	assert_int_equal(rl_timeline_write(f, NULL), RL_EIO);
	assert_int_equal(errno, ENOSPC);
	fclose(f);
	rl_probe_reset();
}

static void test_names_are_escaped_and_the_race_is_red(void **state)
{
	(void)state;
	record_race();
	char path[128];
	snprintf(path, sizeof(path), "%s/esc.svg", dir);
	assert_int_equal(rl_timeline_save(path, "title <&>"), RL_OK);
	const char *svg = slurp(path);
	assert_non_null(svg);
	assert_non_null(strstr(svg, "T0 main&lt;&amp;&gt;</text>"));
	assert_non_null(strstr(svg, "T1 a&quot;b</text>"));
	assert_non_null(strstr(svg, "T2 c&apos;d</text>"));
	assert_non_null(strstr(svg, "title &lt;&amp;&gt;"));
	assert_null(strstr(svg, "main<&>"));
	assert_non_null(strstr(svg, "class=\"mark race\""));
	assert_non_null(strstr(svg, "missing edge: "));
	unlink(path);
	rl_probe_reset();
}

static void test_without_a_trace_the_picture_says_so(void **state)
{
	(void)state;
	rl_probe_reset();
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	assert_non_null(m);
	assert_int_equal(rl_timeline_write(m, NULL), RL_OK);
	fclose(m);
	assert_non_null(strstr(buf, "no trace was recorded"));
	assert_non_null(strstr(buf, "racelab timeline"));
	assert_null(strstr(buf, "class=\"mark"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_save_rejects_a_null_or_empty_path),
		cmocka_unit_test(test_save_into_a_missing_directory_fails_with_enoent_and_creates_nothing),
		cmocka_unit_test(test_save_over_a_directory_fails_and_leaves_no_temporary_file),
		cmocka_unit_test(test_save_replaces_an_existing_file_whole),
		cmocka_unit_test(test_write_to_a_full_device_returns_eio),
		cmocka_unit_test(test_names_are_escaped_and_the_race_is_red),
		cmocka_unit_test(test_without_a_trace_the_picture_says_so),
	};
	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
