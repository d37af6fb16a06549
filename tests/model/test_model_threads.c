/* test_model_threads.c — the model's threads keep racelab's per-thread
 * state however they run (fibers of one OS thread on x86-64, pooled OS
 * threads elsewhere and under the sanitizers): names, ids, errno, panics and
 * their cleanups, stack sizes and usage, and Rust's stack-overflow report.
 *
 * Bodies never call cmocka (it is not thread-safe): they record what they
 * saw in globals, which the test reads after rl_model() returned. The
 * overflow test forks: the child's model aborts.
 */
#include <racelab/racelab.h>

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "deep_stack.h"

#define MIB ((size_t)1 << 20)

/* ---- identity across scheduling points ---- */

struct seen {
	char name[32];
	unsigned id, id_after;
	int errno_after;
	bool name_kept, panicking_after;
	size_t reserved;
};

static rl_atomic_u64 counter;
static struct seen seen[2];
static uint64_t bad_schedules; /* schedules in which some thread saw another's state */

static void *worker(void *arg)
{
	struct seen *s = arg;
	int mine = s == &seen[0] ? 1234 : 5678;
	snprintf(s->name, sizeof(s->name), "%s", rl_thread_name());
	s->id = rl_thread_id();
	errno = mine;
	/* Scheduling points: the other thread may run (and set its errno) here. */
	rl_atomic_u64_fetch_add(&counter, 1, memory_order_relaxed);
	rl_atomic_u64_fetch_add(&counter, 1, memory_order_relaxed);
	s->errno_after = errno;
	s->id_after = rl_thread_id();
	s->name_kept = strcmp(s->name, rl_thread_name()) == 0;
	s->panicking_after = rl_thread_panicking();
	if (rl_thread_stack_usage(NULL, &s->reserved, NULL) != RL_OK)
		s->reserved = 0;
	return NULL;
}

static void identity_body(void *arg)
{
	(void)arg;
	rl_atomic_u64_init(&counter, 0);
	memset(seen, 0, sizeof(seen));
	rl_thread *a, *b;
	rl_thread_opts oa = { .name = "alpha" }, ob = { .name = "beta", .stack_size = 4 * MIB };
	if (rl_thread_spawn(&a, worker, &seen[0], &oa) != RL_OK || rl_thread_spawn(&b, worker, &seen[1], &ob) != RL_OK)
		abort();
	rl_thread_join(a, NULL);
	rl_thread_join(b, NULL);
	bool ok = !strcmp(seen[0].name, "alpha") && !strcmp(seen[1].name, "beta") && seen[0].name_kept &&
		  seen[1].name_kept && seen[0].id == seen[0].id_after && seen[1].id == seen[1].id_after &&
		  seen[0].id != seen[1].id && seen[0].errno_after == 1234 && seen[1].errno_after == 5678 &&
		  !seen[0].panicking_after && !seen[1].panicking_after && seen[0].reserved >= 2 * MIB &&
		  seen[0].reserved < 4 * MIB && seen[1].reserved >= 4 * MIB && seen[1].reserved < 6 * MIB;
	bad_schedules += !ok;
}

static void test_model_threads_keep_names_ids_errno_and_stacks(void **state)
{
	(void)state;
	bad_schedules = 0;
	rl_model_config c = { .quiet = true };
	rl_model_result r;
	assert_int_equal(rl_model(identity_body, NULL, &c, &r), RL_OK);
	assert_int_equal(r.failure, RL_MODEL_PASSED);
	assert_true(r.complete);
	assert_true(r.schedules > 1);
	assert_int_equal(bad_schedules, 0);
}

/* ---- a panic unwinds its own thread only ---- */

static uint64_t cleanups_run, survivor_ok, panic_joins;

static void on_cleanup(struct rl__cleanup *c)
{
	(void)c;
	cleanups_run++;
}

static void *panicker(void *arg)
{
	(void)arg;
	struct rl__cleanup c = { .fn = on_cleanup };
	rl__cleanup_push(&c);
	rl_atomic_u64_fetch_add(&counter, 1, memory_order_relaxed);
	rl_panic("gave up on purpose");
}

static void *survivor(void *arg)
{
	(void)arg;
	rl_atomic_u64_fetch_add(&counter, 1, memory_order_relaxed);
	rl_atomic_u64_fetch_add(&counter, 1, memory_order_relaxed);
	survivor_ok += !rl_thread_panicking() && !strcmp(rl_thread_name(), "survivor");
	return NULL;
}

static void panic_body(void *arg)
{
	(void)arg;
	rl_atomic_u64_init(&counter, 0);
	rl_thread *p, *s;
	rl_thread_opts op = { .name = "panicker" }, os = { .name = "survivor" };
	if (rl_thread_spawn(&p, panicker, NULL, &op) != RL_OK || rl_thread_spawn(&s, survivor, NULL, &os) != RL_OK)
		abort();
	void *msg = NULL;
	if (rl_thread_join(p, &msg) == RL_EPANICKED && msg && strstr(msg, "gave up on purpose"))
		panic_joins++;
	free(msg);
	rl_thread_join(s, NULL);
}

static void test_model_panic_unwinds_only_its_thread(void **state)
{
	(void)state;
	cleanups_run = survivor_ok = panic_joins = 0;
	rl_model_config c = { .quiet = true, .tolerate = 1u << RL_MODEL_PANIC };
	rl_model_result r;
	assert_int_equal(rl_model(panic_body, NULL, &c, &r), RL_OK);
	assert_int_equal(r.failure, RL_MODEL_PASSED);
	assert_true(r.schedules > 1);
	assert_int_equal(cleanups_run, r.schedules + r.redundant);
	assert_int_equal(survivor_ok, r.schedules + r.redundant);
	assert_int_equal(panic_joins, r.schedules + r.redundant);
}

/* ---- stacks: 8 MiB main, 2 MiB spawned, Rust's overflow report ---- */


static uint64_t deep_done;

static void deep_main_body(void *arg)
{
	(void)arg;
	recurse(1, DEEP);
	deep_done++;
}

static void test_model_main_has_8_mib(void **state)
{
	(void)state;
	deep_done = 0;
	rl_model_config c = { .quiet = true };
	rl_model_result r;
	assert_int_equal(rl_model(deep_main_body, NULL, &c, &r), RL_OK);
	assert_int_equal(r.failure, RL_MODEL_PASSED);
	assert_int_equal(r.schedules, 1);
	assert_int_equal(deep_done, 1);
}

static void *deep_worker(void *arg)
{
	(void)arg;
	rl_atomic_u64_fetch_add(&counter, 1, memory_order_relaxed);
	recurse(1, DEEP);
	return NULL;
}

static void overflow_body(void *arg)
{
	(void)arg;
	rl_atomic_u64_init(&counter, 0);
	rl_thread *t;
	rl_thread_opts o = { .name = "worker-1" };
	if (rl_thread_spawn(&t, deep_worker, NULL, &o) != RL_OK)
		abort();
	rl_atomic_u64_fetch_add(&counter, 1, memory_order_relaxed);
	rl_thread_join(t, NULL);
}

static void test_model_thread_overflow_reports_its_name(void **state)
{
	(void)state;
	char err[8192] = "";
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		/* cmocka catches SIGSEGV; racelab installs its handler only over SIG_DFL. */
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		rl_model_config c = { .quiet = true };
		rl_model_result r;
		rl_model(overflow_body, NULL, &c, &r);
		_exit(0); /* not reached */
	}
	close(fds[1]);
	size_t n = 0;
	ssize_t k;
	while (n + 1 < sizeof(err) && (k = read(fds[0], err + n, sizeof(err) - 1 - n)) > 0)
		n += (size_t)k;
	err[n] = 0;
	close(fds[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGABRT);
	assert_non_null(strstr(err, "thread 'worker-1' has overflowed its stack"));
	assert_non_null(strstr(err, "stack size 2097152 bytes"));
	assert_non_null(strstr(err, "recursion depth reached "));
	assert_non_null(strstr(err, "fatal runtime error: stack overflow"));
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--overflow")) {
		const struct CMUnitTest overflow_tests[] = {
			cmocka_unit_test(test_model_thread_overflow_reports_its_name),
		};
		return cmocka_run_group_tests_name("model-threads-overflow", overflow_tests, NULL, NULL);
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_threads_keep_names_ids_errno_and_stacks),
		cmocka_unit_test(test_model_panic_unwinds_only_its_thread),
		cmocka_unit_test(test_model_main_has_8_mib),
	};
	return cmocka_run_group_tests_name("model-threads", tests, NULL, NULL);
}
