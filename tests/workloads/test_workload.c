/* test_workload.c — the catalog, verdicts, parameter checks and the runner. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <racelab/rc.h>
#include <racelab/status.h>
#include <racelab/thread.h>
#include <racelab/workload.h>

static struct rl_workload_result result;

static const struct rl_workload *find(const char *name)
{
	const struct rl_workload *w = rl_workload_find(name);
	assert_non_null(w);
	return w;
}

static void test_verdict_names_round_trip(void **state)
{
	(void)state;
	for (int v = 0; v < RL_VERDICT_COUNT; v++) {
		enum rl_verdict got = RL_VERDICT_COUNT;
		assert_int_equal(rl_verdict_parse(rl_verdict_name((enum rl_verdict)v), &got), RL_OK);
		assert_int_equal(got, v);
	}
	assert_string_equal(rl_verdict_name(RL_VERDICT_SEND), "send-violation");
	assert_string_equal(rl_verdict_name(RL_VERDICT_SYNC), "sync-violation");
}

static void test_verdict_parse_takes_short_forms_and_rejects_others(void **state)
{
	(void)state;
	enum rl_verdict v = RL_VERDICT_CLEAN;
	assert_int_equal(rl_verdict_parse("send", &v), RL_OK);
	assert_int_equal(v, RL_VERDICT_SEND);
	assert_int_equal(rl_verdict_parse("sync", &v), RL_OK);
	assert_int_equal(v, RL_VERDICT_SYNC);
	assert_int_equal(rl_verdict_parse("Clean", &v), RL_EINVAL);
	assert_int_equal(rl_verdict_parse("", &v), RL_EINVAL);
	assert_int_equal(v, RL_VERDICT_SYNC); /* unchanged on failure */
}

static void test_expect_race_also_matches_send_and_sync_violations(void **state)
{
	(void)state;
	assert_true(rl_verdict_matches(RL_VERDICT_RACE, RL_VERDICT_RACE));
	assert_true(rl_verdict_matches(RL_VERDICT_RACE, RL_VERDICT_SEND));
	assert_true(rl_verdict_matches(RL_VERDICT_RACE, RL_VERDICT_SYNC));
	assert_false(rl_verdict_matches(RL_VERDICT_RACE, RL_VERDICT_CLEAN));
	assert_false(rl_verdict_matches(RL_VERDICT_SEND, RL_VERDICT_SYNC));
	assert_false(rl_verdict_matches(RL_VERDICT_CLEAN, RL_VERDICT_LEAK));
}

static void test_catalog_entries_are_complete_and_unique(void **state)
{
	(void)state;
	const struct rl_workload *ws;
	size_t n = rl_workloads(&ws);
	assert_true(n >= 13);
	for (size_t i = 0; i < n; i++) {
		const struct rl_workload *w = &ws[i];
		assert_non_null(w->name);
		assert_non_null(w->concept);
		assert_non_null(w->summary);
		assert_non_null(w->invariant);
		assert_non_null(w->lesson);
		assert_non_null(w->run);
		assert_true(w->expected < RL_VERDICT_COUNT);
		assert_true(w->threads >= 1 || !(w->uses & RL_WP_THREADS));
		assert_true(w->iters >= 1 || !(w->uses & RL_WP_ITERS));
		assert_ptr_equal(rl_workload_find(w->name), w);
		if (w->twin)
			assert_non_null(rl_workload_find(w->twin));
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(ws[j].name, w->name);
	}
	assert_null(rl_workload_find("no-such-workload"));
}

static void test_suggest_finds_the_closest_name(void **state)
{
	(void)state;
	assert_string_equal(rl_workload_suggest("rc-sned"), "rc-send");
	assert_string_equal(rl_workload_suggest("arcmutex"), "arc-mutex");
	assert_string_equal(rl_workload_suggest("stack-overflw"), "stack-overflow");
	assert_string_equal(rl_workload_suggest("false"), "false-sharing");
	assert_null(rl_workload_suggest("zzzzzzzzzzzz"));
}

static int check(const char *name, struct rl_workload_params p)
{
	char why[RL_WL_TEXT] = "";
	int err = rl_workload_check_params(find(name), &p, why, sizeof why);
	if (err)
		assert_true(strlen(why) > 0 && !strchr(why, '\n'));
	return err;
}

static void test_check_params_accepts_the_defaults(void **state)
{
	(void)state;
	const struct rl_workload *ws;
	size_t n = rl_workloads(&ws);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(check(ws[i].name, (struct rl_workload_params){0}), RL_OK);
}

static void test_check_params_rejects_threads_beyond_the_system_limit(void **state)
{
	(void)state;
	uint64_t max = rl_workload_max_threads();
	assert_true(max >= 1 && max <= RL_WL_MAX_THREADS);
	assert_int_equal(check("arc-atomic", (struct rl_workload_params){.threads = max}), RL_OK);
	assert_int_equal(check("arc-atomic", (struct rl_workload_params){.threads = max + 1}), RL_EINVAL);
}

static void test_check_params_rejects_stacks_below_the_minimum_or_beyond_memory(void **state)
{
	(void)state;
	size_t min = rl_workload_min_stack(), max = rl_workload_max_stack();
	assert_int_equal(check("arc-atomic", (struct rl_workload_params){.stack = min}), RL_OK);
	assert_int_equal(check("arc-atomic", (struct rl_workload_params){.stack = min - 1}), RL_EINVAL);
	assert_int_equal(check("arc-atomic", (struct rl_workload_params){.stack = max + 1}), RL_EINVAL);
	assert_int_equal(check("arc-atomic", (struct rl_workload_params){.main_stack = min - 1}), RL_EINVAL);
	assert_int_equal(check("arc-atomic", (struct rl_workload_params){.main_stack = max + 1}), RL_EINVAL);
}

static void test_check_params_rejects_options_the_workload_does_not_take(void **state)
{
	(void)state;
	assert_int_equal(check("rc-single", (struct rl_workload_params){.threads = 2}), RL_EINVAL);
	assert_int_equal(check("rc-single", (struct rl_workload_params){.stack = 1 << 20}), RL_EINVAL);
	assert_int_equal(check("stack-lazy", (struct rl_workload_params){.iters = 2}), RL_EINVAL);
	assert_int_equal(check("rc-single", (struct rl_workload_params){.iters = 2, .main_stack = 1 << 20}), RL_OK);
}

static void test_check_params_rejects_an_iteration_count_that_overflows(void **state)
{
	(void)state;
	assert_int_equal(check("arc-atomic", (struct rl_workload_params){.threads = 4, .iters = UINT64_MAX}), RL_EINVAL);
	assert_int_equal(check("arc-atomic", (struct rl_workload_params){.threads = 4, .iters = (uint64_t)1 << 60}),
			 RL_EINVAL);
	assert_int_equal(check("arc-atomic", (struct rl_workload_params){.threads = 4, .iters = (uint64_t)1 << 40}),
			 RL_OK);
}

static void test_run_with_bad_params_returns_einval_and_says_why(void **state)
{
	(void)state;
	struct rl_workload_params p = {.threads = 2};
	assert_int_equal(rl_workload_run(find("rc-single"), &p, &result), RL_EINVAL);
	assert_int_equal(result.error, RL_EINVAL);
	assert_true(strlen(result.error_text) > 0);
}

static void test_rc_single_is_clean_with_exact_counts(void **state)
{
	(void)state;
	struct rl_workload_params p = {.iters = 5000};
	assert_int_equal(rl_workload_run(find("rc-single"), &p, &result), RL_OK);
	assert_int_equal(result.verdict, RL_VERDICT_CLEAN);
	assert_true(result.invariant_held);
	assert_int_equal(result.expected, 1);
	assert_int_equal(result.observed, 1);
	assert_int_equal(result.lost, 0);
	assert_int_equal(result.reports[RL_CHECK_SEND] + result.reports[RL_CHECK_SYNC], 0);
	assert_int_equal(result.iters, 5000);
	assert_int_equal(result.main_stack, RL_MAIN_STACK_SIZE);
}

static void test_arc_mutex_counts_every_increment(void **state)
{
	(void)state;
	struct rl_workload_params p = {.threads = 3, .iters = 2000};
	assert_int_equal(rl_workload_run(find("arc-mutex"), &p, &result), RL_OK);
	assert_int_equal(result.verdict, RL_VERDICT_CLEAN);
	assert_int_equal(result.expected, 6000);
	assert_int_equal(result.observed, 6000);
}

static void test_rc_cycle_is_a_leak_of_every_node(void **state)
{
	(void)state;
	struct rl_workload_params p = {.iters = 7};
	assert_int_equal(rl_workload_run(find("rc-cycle"), &p, &result), RL_OK);
	assert_int_equal(result.verdict, RL_VERDICT_LEAK);
	assert_int_equal(result.leaked, 14);
	assert_int_equal(result.lost, 0);
	assert_int_equal(rl_workload_run(find("rc-weak"), &p, &result), RL_OK);
	assert_int_equal(result.verdict, RL_VERDICT_CLEAN);
	assert_int_equal(result.leaked, 0);
	assert_int_equal(result.observed, 14);
}

static void test_mutex_poison_is_a_panic_with_every_late_lock_poisoned(void **state)
{
	(void)state;
	struct rl_workload_params p = {.threads = 3, .iters = 100};
	assert_int_equal(rl_workload_run(find("mutex-poison"), &p, &result), RL_OK);
	assert_int_equal(result.verdict, RL_VERDICT_PANIC);
	assert_int_equal(result.panics, 1);
	assert_true(result.invariant_held);
	/* worker-1: 50 + 1 increments; the others 100 each. */
	assert_int_equal(result.observed, 251);
}

/* cmocka catches SIGSEGV itself: give the fault back to the default action so
 * that the runtime installs its overflow handler in the child. */
static int run_without_cmocka_handlers(const char *name, const struct rl_workload_params *p)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL}, old_segv, old_bus;
	sigaction(SIGSEGV, &dfl, &old_segv);
	sigaction(SIGBUS, &dfl, &old_bus);
	int err = rl_workload_run(find(name), p, &result);
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return err;
}

static void test_stack_overflow_verdict_survives_the_child_abort(void **state)
{
	(void)state;
	struct rl_workload_params p = {.capture_stderr = true};
	assert_int_equal(run_without_cmocka_handlers("stack-overflow", &p), RL_OK);
	assert_true(result.isolated);
	assert_true(result.overflowed);
	assert_int_equal(result.verdict, RL_VERDICT_OVERFLOW);
	/* The worker got part of the way: the depth it reached came back. */
	assert_true(result.observed > 100 && result.observed < result.expected);
	/* racelab's report, or the sanitizer's when it keeps SIGSEGV for itself. */
	assert_true(strstr(result.captured, "thread 'worker-1' has overflowed its stack") ||
		    strstr(result.captured, "stack-overflow"));
}

static void test_stack_overflow_completes_with_a_big_enough_stack(void **state)
{
	(void)state;
	struct rl_workload_params p = {.stack = (size_t)8 << 20, .capture_stderr = true};
	assert_int_equal(run_without_cmocka_handlers("stack-overflow", &p), RL_OK);
	assert_false(result.overflowed);
	assert_int_equal(result.verdict, RL_VERDICT_CLEAN);
	assert_int_equal(result.observed, result.expected);
}

static void test_a_stop_request_ends_the_run_with_what_was_measured(void **state)
{
	(void)state;
	struct rl_workload_params p = {.threads = 2, .iters = (uint64_t)1 << 40};
	rl_workload_stop();
	assert_int_equal(rl_workload_run(find("arc-atomic"), &p, &result), RL_OK);
	rl_workload_reset_stop();
	assert_true(result.interrupted);
	assert_true(result.invariant_held);
	assert_true(result.expected < (int64_t)1 << 41);
	assert_int_equal(result.verdict, RL_VERDICT_CLEAN);
}

#if !defined(__SANITIZE_THREAD__)
/* Under ThreadSanitizer these races are the race-expected suite's business. */
static void test_rc_send_is_flagged_as_a_send_violation(void **state)
{
	(void)state;
	struct rl_workload_params p = {.threads = 2, .iters = 1000};
	assert_int_equal(rl_workload_run(find("rc-send"), &p, &result), RL_OK);
	assert_int_equal(result.verdict, RL_VERDICT_SEND);
	assert_true(result.reports[RL_CHECK_SEND] >= 1);
	assert_true(result.nmessages >= 1);
	assert_non_null(strstr(result.messages[0], "between threads safely"));
}

static void test_arc_cell_is_flagged_as_a_sync_violation(void **state)
{
	(void)state;
	struct rl_workload_params p = {.threads = 2, .iters = 1000};
	assert_int_equal(rl_workload_run(find("arc-cell"), &p, &result), RL_OK);
	assert_int_equal(result.verdict, RL_VERDICT_SYNC);
	assert_int_equal(result.reports[RL_CHECK_SYNC], 2); /* once per (cell, thread) */
	assert_non_null(strstr(result.messages[0], "Cell<i64> cannot be shared between threads safely (Sync)"));
}

static void test_check_off_silences_the_owner_checks(void **state)
{
	(void)state;
	struct rl_workload_params p = {.threads = 2, .iters = 1000, .check = RL_CHECK_OFF};
	assert_int_equal(rl_workload_run(find("arc-cell"), &p, &result), RL_OK);
	assert_int_equal(result.reports[RL_CHECK_SYNC], 0);
	/* Lost increments (if any) still make it a race. */
	assert_true(result.verdict == RL_VERDICT_CLEAN || result.verdict == RL_VERDICT_RACE);
	assert_true(result.verdict == RL_VERDICT_RACE || result.lost == 0);
}

static void test_check_abort_still_gives_the_verdict(void **state)
{
	(void)state;
	struct rl_workload_params p = {.threads = 2, .iters = 100, .check = RL_CHECK_ABORT, .capture_stderr = true};
	assert_int_equal(rl_workload_run(find("arc-cell"), &p, &result), RL_OK);
	assert_true(result.isolated);
	assert_int_equal(result.verdict, RL_VERDICT_SYNC);
	assert_non_null(strstr(result.captured, "racelab: fatal: "));
	assert_int_equal(result.child_signal, 0);
	assert_true(result.reports[RL_CHECK_SYNC] >= 1);
}

/* An Rc cloned on a thread that does not own it, with the child's stderr
 * gone first: the owner-check abort must still be classified from the
 * verdict channel, not from the message text. */
static void *clone_elsewhere(void *arg)
{
	rl_rc_drop(rl_rc_clone(arg));
	return NULL;
}

static int silent_send_violation(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	(void)p;
	int devnull = open("/dev/null", O_WRONLY);
	if (devnull < 0 || dup2(devnull, STDERR_FILENO) < 0)
		return RL_ENOMEM;
	close(devnull);
	rl_rc *rc = rl_rc_new(sizeof(int), NULL);
	rl_thread *t;
	if (!rc || rl_thread_spawn(&t, clone_elsewhere, rc, NULL) != RL_OK)
		return RL_ENOMEM;
	rl_thread_join(t, NULL); /* not reached: the clone aborts the child */
	rl_rc_drop(rc);
	return RL_OK;
}

static void test_check_abort_is_classified_without_its_message(void **state)
{
	(void)state;
	const struct rl_workload w = {.name = "silent-send", .expected = RL_VERDICT_SEND, .flags = RL_WF_RACY,
				      .run = silent_send_violation};
	struct rl_workload_params p = {.check = RL_CHECK_ABORT, .capture_stderr = true};
	assert_int_equal(rl_workload_run(&w, &p, &result), RL_OK);
	assert_true(result.isolated);
	assert_null(strstr(result.captured, "cannot be sent"));
	assert_int_equal(result.child_signal, 0);
	assert_true(result.reports[RL_CHECK_SEND] >= 1);
	assert_int_equal(result.verdict, RL_VERDICT_SEND);
}
#endif

/* A child that prints an owner check's words and then aborts on its own is a
 * crash: the message text is not the protocol. */
static int fake_check_abort(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	(void)p;
	(void)r;
	fputs("racelab: fatal: Rc<T> cannot be sent between threads safely (Send): rl_rc_clone on 'worker-1', "
	      "owned by 'main' (sync/check.c:1)\n", stderr);
	fflush(stderr);
	abort();
}

static void test_an_abort_after_the_check_message_text_is_a_crash(void **state)
{
	(void)state;
	const struct rl_workload w = {.name = "fake-abort", .expected = RL_VERDICT_PANIC, .flags = RL_WF_ISOLATE,
				      .run = fake_check_abort};
	struct rl_workload_params p = {.check = RL_CHECK_REPORT, .capture_stderr = true};
	assert_int_equal(rl_workload_run(&w, &p, &result), RL_OK);
	assert_true(result.isolated);
	assert_non_null(strstr(result.captured, "cannot be sent between threads"));
	assert_int_equal(result.child_signal, SIGABRT);
	assert_int_equal(result.reports[RL_CHECK_SEND], 0);
	assert_int_equal(result.verdict, RL_VERDICT_PANIC);
}

/* A stack overflow is announced by the runtime's fault handler, not read from
 * its report: with stderr gone it is still the overflow. Needs racelab's own
 * SIGSEGV handler, which a sanitizer's replaces. */
#if !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
static __attribute__((noinline)) size_t recurse(size_t n)
{
	volatile char frame[1024];
	frame[0] = (char)n;
	rl_thread_set_depth(n);
	return n ? recurse(n - 1) + (size_t)frame[0] : 0;
}

static void *overflow_worker(void *arg)
{
	(void)arg;
	return (void *)recurse(SIZE_MAX / 2);
}

static int silent_overflow(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	(void)p;
	(void)r;
	int devnull = open("/dev/null", O_WRONLY);
	if (devnull < 0 || dup2(devnull, STDERR_FILENO) < 0)
		return RL_ENOMEM;
	close(devnull);
	/* cmocka catches SIGSEGV; a normal program leaves it at SIG_DFL, which
	 * is when the runtime installs its handler (at the next spawn). */
	signal(SIGSEGV, SIG_DFL);
	signal(SIGBUS, SIG_DFL);
	rl_thread *t;
	if (rl_thread_spawn(&t, overflow_worker, NULL, NULL) != RL_OK)
		return RL_ENOMEM;
	rl_thread_join(t, NULL); /* not reached: the overflow aborts the child */
	return RL_OK;
}

static void test_stack_overflow_is_classified_without_its_message(void **state)
{
	(void)state;
	const struct rl_workload w = {.name = "silent-overflow", .expected = RL_VERDICT_OVERFLOW,
				      .flags = RL_WF_ISOLATE, .run = silent_overflow};
	struct rl_workload_params p = {.check = RL_CHECK_REPORT, .capture_stderr = true};
	assert_int_equal(rl_workload_run(&w, &p, &result), RL_OK);
	assert_true(result.isolated);
	assert_null(strstr(result.captured, "overflowed"));
	assert_true(result.overflowed);
	assert_int_equal(result.child_signal, 0);
	assert_int_equal(result.verdict, RL_VERDICT_OVERFLOW);
}
#endif

/* A child that prints the overflow report's words and aborts on its own is a
 * crash, not an overflow. */
static int fake_overflow(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	(void)p;
	(void)r;
	fputs("\nthread 'worker-1' has overflowed its stack\nfatal runtime error: stack overflow, aborting\n", stderr);
	fflush(stderr);
	abort();
}

static void test_an_abort_after_the_overflow_text_is_a_crash(void **state)
{
	(void)state;
	const struct rl_workload w = {.name = "fake-overflow", .expected = RL_VERDICT_PANIC, .flags = RL_WF_ISOLATE,
				      .run = fake_overflow};
	struct rl_workload_params p = {.check = RL_CHECK_REPORT, .capture_stderr = true};
	assert_int_equal(rl_workload_run(&w, &p, &result), RL_OK);
	assert_false(result.overflowed);
	assert_int_equal(result.child_signal, SIGABRT);
	assert_int_equal(result.verdict, RL_VERDICT_PANIC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict_names_round_trip),
		cmocka_unit_test(test_verdict_parse_takes_short_forms_and_rejects_others),
		cmocka_unit_test(test_expect_race_also_matches_send_and_sync_violations),
		cmocka_unit_test(test_catalog_entries_are_complete_and_unique),
		cmocka_unit_test(test_suggest_finds_the_closest_name),
		cmocka_unit_test(test_check_params_accepts_the_defaults),
		cmocka_unit_test(test_check_params_rejects_threads_beyond_the_system_limit),
		cmocka_unit_test(test_check_params_rejects_stacks_below_the_minimum_or_beyond_memory),
		cmocka_unit_test(test_check_params_rejects_options_the_workload_does_not_take),
		cmocka_unit_test(test_check_params_rejects_an_iteration_count_that_overflows),
		cmocka_unit_test(test_run_with_bad_params_returns_einval_and_says_why),
		cmocka_unit_test(test_rc_single_is_clean_with_exact_counts),
		cmocka_unit_test(test_arc_mutex_counts_every_increment),
		cmocka_unit_test(test_rc_cycle_is_a_leak_of_every_node),
		cmocka_unit_test(test_mutex_poison_is_a_panic_with_every_late_lock_poisoned),
		cmocka_unit_test(test_stack_overflow_verdict_survives_the_child_abort),
		cmocka_unit_test(test_stack_overflow_completes_with_a_big_enough_stack),
		cmocka_unit_test(test_a_stop_request_ends_the_run_with_what_was_measured),
#if !defined(__SANITIZE_THREAD__)
		cmocka_unit_test(test_rc_send_is_flagged_as_a_send_violation),
		cmocka_unit_test(test_arc_cell_is_flagged_as_a_sync_violation),
		cmocka_unit_test(test_check_off_silences_the_owner_checks),
		cmocka_unit_test(test_check_abort_still_gives_the_verdict),
		cmocka_unit_test(test_check_abort_is_classified_without_its_message),
#endif
		cmocka_unit_test(test_an_abort_after_the_check_message_text_is_a_crash),
#if !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
		cmocka_unit_test(test_stack_overflow_is_classified_without_its_message),
#endif
		cmocka_unit_test(test_an_abort_after_the_overflow_text_is_a_crash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
