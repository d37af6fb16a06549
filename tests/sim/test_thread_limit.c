/* test_thread_limit.c — past RL_PROBE_MAX_THREADS threads in one session the
 * detector stops following new threads, and says so: rl_probe_stats'
 * thread_limit and unchecked_from, and a line on the report file naming the
 * first thread it does not follow. The threads run one after the other (each
 * joined before the next starts), so they are ordered and nothing races. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <racelab/probe.h>
#include <racelab/status.h>
#include <racelab/thread.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t counter;

/* A locked increment, probed as a primitive's slow path would do it. */
static void *worker(void *arg)
{
	(void)arg;
	rl_probe_ev l = RL_PROBE_EV(RL_PROBE_LOCK, &lock, "Mutex", "lock");
	if (rl__probe_enter(&l) != RL_OK)
		return (void *)1;
	pthread_mutex_lock(&lock);
	rl__probe_exit(&l);
	rl_probe_ev r = RL_PROBE_EV(RL_PROBE_READ, &counter, "u64", "read");
	rl__probe_enter(&r);
	r.rval = counter;
	rl__probe_exit(&r);
	rl_probe_ev w = RL_PROBE_EV(RL_PROBE_WRITE, &counter, "u64", "write");
	w.wval = r.rval + 1;
	rl__probe_enter(&w);
	counter = w.wval;
	rl__probe_exit(&w);
	rl_probe_ev u = RL_PROBE_EV(RL_PROBE_UNLOCK, &lock, "Mutex", "unlock");
	rl__probe_enter(&u);
	pthread_mutex_unlock(&lock);
	rl__probe_exit(&u);
	return NULL;
}

static void test_threads_past_the_limit_are_named_as_unchecked(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *rep = open_memstream(&buf, &len);
	assert_non_null(rep);
	rl_probe_config cfg = { .detect = true, .report_file = rep };
	assert_int_equal(rl_probe_attach(&cfg), RL_OK);
	unsigned n = RL_PROBE_MAX_THREADS + 2, failed = 0;
	for (unsigned i = 1; i <= n; i++) {
		char name[32];
		snprintf(name, sizeof name, "w%u", i);
		rl_thread_opts o = { .name = name, .stack_size = 64 << 10 };
		rl_thread *t;
		void *ret = NULL;
		if (rl_thread_spawn(&t, worker, NULL, &o) != RL_OK || rl_thread_join(t, &ret) != RL_OK || ret)
			failed++;
	}
	assert_int_equal(rl_probe_detach(), RL_OK);
	fclose(rep);
	assert_int_equal(failed, 0);
	assert_int_equal(counter, n);

	rl_probe_stats st;
	rl_probe_get_stats(&st);
	assert_true(st.thread_limit);
	assert_int_equal(st.unchecked_from, RL_PROBE_MAX_THREADS);
	assert_string_equal(rl_probe_thread_name(st.unchecked_from), "w256");
	assert_int_equal(st.races, 0);
	/* Said once, naming the first unchecked thread. */
	static const char said[] = "thread 'w256' (T256) and the threads after it are not checked";
	const char *line = strstr(buf, said);
	assert_non_null(line);
	assert_null(strstr(line + strlen(said), "are not checked"));
	free(buf);
	rl_probe_reset();
}

static void test_a_session_within_the_limit_reports_no_unchecked_thread(void **state)
{
	(void)state;
	rl_probe_config cfg = { .detect = true };
	assert_int_equal(rl_probe_attach(&cfg), RL_OK);
	rl_thread *t;
	assert_int_equal(rl_thread_spawn(&t, worker, NULL, NULL), RL_OK);
	assert_int_equal(rl_thread_join(t, NULL), RL_OK);
	assert_int_equal(rl_probe_detach(), RL_OK);
	rl_probe_stats st;
	rl_probe_get_stats(&st);
	assert_false(st.thread_limit);
	assert_int_equal(st.unchecked_from, 0);
	rl_probe_reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads_past_the_limit_are_named_as_unchecked),
		cmocka_unit_test(test_a_session_within_the_limit_reports_no_unchecked_thread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
