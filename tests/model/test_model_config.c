/* test_model_config.c — rl_model()'s reporting options: the failing
 * schedule's timeline (cfg.timeline, RACELAB_TIMELINE), the replay command,
 * tolerated failure kinds, stopping between schedules, and the "file:line"
 * sites of tracked accesses.
 *
 * Bodies never call cmocka (it is not thread-safe).
 */
#include <racelab/racelab.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lost_update.h"

/* Three threads, one fetch_add each: six schedules, none failing. */
static void *add_one(void *p)
{
	rl_atomic_u64_fetch_add(p, 1, memory_order_relaxed);
	return NULL;
}

static void body_counter(void *arg)
{
	(void)arg;
	rl_atomic_u64 a;
	rl_atomic_u64_init(&a, 0);
	rl_thread *t[3];
	for (int i = 0; i < 3; i++)
		rl_thread_spawn(&t[i], add_one, &a, NULL);
	for (int i = 0; i < 3; i++)
		rl_thread_join(t[i], NULL);
}

static void body_clean(void *arg)
{
	(void)arg;
	rl_atomic_u64 a;
	rl_atomic_u64_init(&a, 0);
	rl_atomic_u64_fetch_add(&a, 1, memory_order_relaxed);
}

/* Two threads write one tracked int with nothing between them. */
static int shared_int, track_line;
static void *write_int(void *p)
{
	enum { TRACK_LINE = __LINE__ + 1 };
	rl_track_write(&shared_int, sizeof shared_int, "shared int");
	track_line = TRACK_LINE;
	shared_int = 1;
	return p;
}

static void body_race(void *arg)
{
	(void)arg;
	rl_thread *t[2];
	for (int i = 0; i < 2; i++)
		rl_thread_spawn(&t[i], write_int, NULL, NULL);
	for (int i = 0; i < 2; i++)
		rl_thread_join(t[i], NULL);
}

static void *panicker(void *p)
{
	rl_panic("on purpose");
	return p;
}

static void body_panic(void *arg)
{
	(void)arg;
	rl_thread *t;
	if (rl_thread_spawn(&t, panicker, NULL, NULL) == RL_OK) {
		void *ret = NULL;
		if (rl_thread_join(t, &ret) == RL_EPANICKED)
			free(ret);
	}
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	return buf;
}

static void tmp_path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/racelab-model-%ld-%s", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid(),
		 name);
	unlink(buf);
}

static void test_a_failure_writes_its_timeline(void **state)
{
	(void)state;
	char svg[256];
	tmp_path(svg, sizeof svg, "lost.svg");
	rl_model_result r;
	rl_model_config c = { .quiet = true, .timeline = svg };
	assert_int_equal(rl_model(body_lost_update, NULL, &c, &r), RL_OK);
	assert_int_equal(r.failure, RL_MODEL_ASSERT);
	assert_int_equal(r.timeline_error, 0);
	const char *doc = slurp(svg);
	assert_non_null(doc);
	assert_non_null(strstr(doc, "<svg"));
	assert_non_null(strstr(doc, "</svg>"));
	/* The picture is the failing schedule's: its threads' lanes are named. */
	assert_non_null(strstr(doc, "t1"));
	assert_non_null(strstr(doc, "t2"));
	unlink(svg);
}

static void test_a_clean_exploration_writes_no_timeline(void **state)
{
	(void)state;
	char svg[256];
	tmp_path(svg, sizeof svg, "clean.svg");
	rl_model_result r;
	rl_model_config c = { .quiet = true, .timeline = svg };
	assert_int_equal(rl_model(body_clean, NULL, &c, &r), RL_OK);
	assert_true(r.complete);
	assert_int_equal(access(svg, F_OK), -1);
}

static void test_racelab_timeline_env_names_the_file(void **state)
{
	(void)state;
	char svg[256];
	tmp_path(svg, sizeof svg, "env.svg");
	setenv("RACELAB_TIMELINE", svg, 1);
	rl_model_result r;
	int rc = rl_model(body_race, NULL, &(rl_model_config){ .quiet = true }, &r);
	setenv("RACELAB_TIMELINE", "", 1);
	int rc_empty = rl_model(body_clean, NULL, &(rl_model_config){ .quiet = true }, &r);
	unsetenv("RACELAB_TIMELINE");
	assert_int_equal(rc, RL_OK);
	assert_int_equal(rc_empty, RL_EINVAL);
	const char *doc = slurp(svg);
	assert_non_null(doc);
	assert_non_null(strstr(doc, "<svg"));
	unlink(svg);
}

static void test_an_unwritable_timeline_is_reported(void **state)
{
	(void)state;
	rl_model_result r;
	rl_model_config c = { .quiet = true, .timeline = "/nonexistent-dir/x.svg" };
	assert_int_equal(rl_model(body_lost_update, NULL, &c, &r), RL_OK);
	assert_int_equal(r.failure, RL_MODEL_ASSERT);
	assert_int_equal(r.timeline_error, RL_EIO);
}

static void test_the_replay_line_names_the_replay_command(void **state)
{
	(void)state;
	char path[256];
	tmp_path(path, sizeof path, "report.txt");
	FILE *f = fopen(path, "w+");
	assert_non_null(f);
	rl_model_result r;
	rl_model_config c = { .report_file = f, .replay_command = "my-test --case lost" };
	assert_int_equal(rl_model(body_lost_update, NULL, &c, &r), RL_OK);
	fclose(f);
	const char *text = slurp(path);
	char want[RL_MODEL_REPLAY_MAX + 64];
	snprintf(want, sizeof want, "RACELAB_REPLAY=%s my-test --case lost\n", r.replay);
	assert_non_null(strstr(text, want));
	unlink(path);
}

static void test_tolerated_panics_do_not_fail(void **state)
{
	(void)state;
	rl_model_result r;
	assert_int_equal(rl_model(body_panic, NULL, &(rl_model_config){ .quiet = true }, &r), RL_OK);
	assert_int_equal(r.failure, RL_MODEL_PANIC);
	rl_model_config c = { .quiet = true, .tolerate = 1u << RL_MODEL_PANIC };
	assert_int_equal(rl_model(body_panic, NULL, &c, &r), RL_OK);
	assert_int_equal(r.failure, RL_MODEL_PASSED);
	assert_true(r.complete);
	/* Only panics and leaks can be tolerated: a race is always a failure. */
	c.tolerate = 1u << RL_MODEL_RACE;
	assert_int_equal(rl_model(body_race, NULL, &c, &r), RL_EINVAL);
}

static unsigned stop_after, stop_polls;
static bool stop_now(void) { return ++stop_polls >= stop_after; }

static void test_should_stop_ends_the_exploration_incomplete(void **state)
{
	(void)state;
	stop_after = 2;
	stop_polls = 0;
	rl_model_result r;
	rl_model_config c = { .quiet = true, .should_stop = stop_now };
	assert_int_equal(rl_model(body_counter, NULL, &c, &r), RL_OK);
	assert_true(r.stopped);
	assert_false(r.complete);
	assert_int_equal(r.schedules, 2);
}

static void test_tracked_accesses_report_their_file_and_line(void **state)
{
	(void)state;
	rl_model_result r;
	assert_int_equal(rl_model(body_race, NULL, &(rl_model_config){ .quiet = true }, &r), RL_OK);
	assert_int_equal(r.failure, RL_MODEL_RACE);
	/* The line of write_int's rl_track_write. */
	char want[64];
	snprintf(want, sizeof want, "test_model_config.c:%d", track_line);
	assert_non_null(strstr(r.message, want));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_failure_writes_its_timeline),
		cmocka_unit_test(test_a_clean_exploration_writes_no_timeline),
		cmocka_unit_test(test_racelab_timeline_env_names_the_file),
		cmocka_unit_test(test_an_unwritable_timeline_is_reported),
		cmocka_unit_test(test_the_replay_line_names_the_replay_command),
		cmocka_unit_test(test_tolerated_panics_do_not_fail),
		cmocka_unit_test(test_should_stop_ends_the_exploration_incomplete),
		cmocka_unit_test(test_tracked_accesses_report_their_file_and_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
