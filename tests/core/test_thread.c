/* test_thread.c — the thread runtime: stack sizes, names, join results,
 * panics, stack-overflow reports, touched vs reserved stack.
 *
 * Run with "--expect-min-stack BYTES" (and RACELAB_MIN_STACK set) to check the
 * environment override, which is read once per process.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <racelab/status.h>
#include <racelab/thread.h>

#include "death.h"
#include "deep_stack.h"

#define MIB ((size_t)1 << 20)

/* ---- helpers ----------------------------------------------------------- */

struct probe {
	size_t reserved, touched;
	int usage_status;
	char name[64];
	unsigned id;
};

static void *record_self(void *arg)
{
	struct probe *p = arg;
	p->usage_status = rl_thread_stack_usage(NULL, &p->reserved, &p->touched);
	snprintf(p->name, sizeof p->name, "%s", rl_thread_name());
	p->id = rl_thread_id();
	return arg;
}

static int spawn_probe(struct probe *p, const rl_thread_opts *o, size_t *size)
{
	rl_thread *t;
	int err = rl_thread_spawn(&t, record_self, p, o);
	if (err)
		return err;
	if (size)
		*size = rl_thread_stack_size(t);
	void *ret = NULL;
	err = rl_thread_join(t, &ret);
	assert_ptr_equal(ret, p);
	return err;
}

/* ---- stack sizes --------------------------------------------------------- */

static void test_default_stack_is_2_mib(void **state)
{
	(void)state;
	assert_int_equal(rl_thread_default_stack_size(), 2 * MIB);
	struct probe p = {0};
	size_t size;
	assert_int_equal(spawn_probe(&p, NULL, &size), RL_OK);
	assert_int_equal(size, 2 * MIB);
	assert_int_equal(p.usage_status, RL_OK);
	/* glibc may hand out a cached stack up to 4x the request: "at least". */
	assert_true(p.reserved >= 2 * MIB);
}

static void test_option_overrides_default_stack(void **state)
{
	(void)state;
	struct probe p = {0};
	size_t size;
	rl_thread_opts o = {.name = "big", .stack_size = 16 * MIB};
	assert_int_equal(spawn_probe(&p, &o, &size), RL_OK);
	assert_int_equal(size, 16 * MIB);
	assert_true(p.reserved >= 16 * MIB);
}

static void test_tiny_stack_is_raised_and_page_rounded(void **state)
{
	(void)state;
	struct probe p = {0};
	size_t size;
	rl_thread_opts o = {.stack_size = 1};
	assert_int_equal(spawn_probe(&p, &o, &size), RL_OK);
	long page = sysconf(_SC_PAGESIZE);
	assert_true(size >= (size_t)PTHREAD_STACK_MIN);
	assert_int_equal(size % (size_t)page, 0);

	o.stack_size = 3 * MIB + 1;
	assert_int_equal(spawn_probe(&p, &o, &size), RL_OK);
	assert_int_equal(size, 3 * MIB + (size_t)page);
}

static void test_absurd_stack_size_is_einval(void **state)
{
	(void)state;
	rl_thread *t = (rl_thread *)0x1;
	rl_thread_opts o = {.stack_size = RL_MAX_STACK_SIZE + 1};
	assert_int_equal(rl_thread_spawn(&t, record_self, NULL, &o), RL_EINVAL);
	assert_null(t);
	o.stack_size = SIZE_MAX;
	assert_int_equal(rl_thread_spawn(&t, record_self, NULL, &o), RL_EINVAL);
	assert_null(t);
	assert_int_equal(rl_thread_spawn(NULL, record_self, NULL, NULL), RL_EINVAL);
	assert_int_equal(rl_thread_spawn(&t, NULL, NULL, NULL), RL_EINVAL);
}

/* A stack the system cannot map (512 GiB, beyond RAM under the default
 * overcommit heuristic) fails with RL_EAGAIN and leaves nothing behind
 * (the asan preset's leak check covers "nothing"). */
static void test_spawn_failure_returns_eagain(void **state)
{
	(void)state;
	rl_thread *t = (rl_thread *)0x1;
	rl_thread_opts o = {.name = "huge", .stack_size = (size_t)512 << 30};
	int err = rl_thread_spawn(&t, record_self, NULL, &o);
	assert_true(err == RL_EAGAIN || err == RL_ENOMEM);
	assert_null(t);
	/* and the runtime still works afterwards */
	struct probe p = {0};
	assert_int_equal(spawn_probe(&p, NULL, NULL), RL_OK);
}

/* ---- names and ids ------------------------------------------------------- */

static void test_thread_names(void **state)
{
	(void)state;
	assert_string_equal(rl_thread_name(), "main");
	struct probe p = {0};
	rl_thread_opts o = {.name = "worker-7"};
	assert_int_equal(spawn_probe(&p, &o, NULL), RL_OK);
	assert_string_equal(p.name, "worker-7");
	assert_int_equal(spawn_probe(&p, NULL, NULL), RL_OK);
	assert_string_equal(p.name, "<unnamed>");
}

static void test_thread_ids_are_small_and_distinct(void **state)
{
	(void)state;
	unsigned me = rl_thread_id();
	assert_true(me >= 1);
	struct probe a = {0}, b = {0};
	assert_int_equal(spawn_probe(&a, NULL, NULL), RL_OK);
	assert_int_equal(spawn_probe(&b, NULL, NULL), RL_OK);
	assert_true(a.id != me && b.id != me && a.id != b.id);
	assert_true(a.id < 10000 && b.id < 10000);
	assert_int_equal(rl_thread_id(), me);
}

/* ---- join results and panics --------------------------------------------- */

static void *return_arg_plus_one(void *arg) { return (char *)arg + 1; }

static void test_join_returns_value(void **state)
{
	(void)state;
	char buf[2];
	rl_thread *t;
	assert_int_equal(rl_thread_spawn(&t, return_arg_plus_one, buf, NULL), RL_OK);
	void *ret = NULL;
	assert_int_equal(rl_thread_join(t, &ret), RL_OK);
	assert_ptr_equal(ret, buf + 1);
	assert_int_equal(rl_thread_join(NULL, NULL), RL_EINVAL);
}

struct cleanup_probe {
	struct rl__cleanup c;
	int *ran;
	int order;
	bool panicking_seen;
};
static int cleanup_seq;

static void cleanup_fn(struct rl__cleanup *c)
{
	struct cleanup_probe *p = (struct cleanup_probe *)c;
	p->order = ++cleanup_seq;
	p->panicking_seen = rl_thread_panicking();
	(*p->ran)++;
}

struct panic_job {
	int ran;
	struct cleanup_probe outer, inner, popped;
	bool after_panic;
};

static void *panicking_worker(void *arg)
{
	struct panic_job *j = arg;
	j->outer = (struct cleanup_probe){.c.fn = cleanup_fn, .ran = &j->ran};
	j->inner = (struct cleanup_probe){.c.fn = cleanup_fn, .ran = &j->ran};
	j->popped = (struct cleanup_probe){.c.fn = cleanup_fn, .ran = &j->ran};
	rl__cleanup_push(&j->outer.c);
	rl__cleanup_push(&j->popped.c);
	rl__cleanup_push(&j->inner.c);
	rl__cleanup_pop(&j->popped.c); /* out of order: must not run */
	rl_panic("boom %d", 42);
	j->after_panic = true;
	return NULL;
}

static void test_panic_join_returns_epanicked_with_message(void **state)
{
	(void)state;
	struct panic_job j = {0};
	rl_thread *t;
	rl_thread_opts o = {.name = "panicker"};
	cleanup_seq = 0;
	assert_int_equal(rl_thread_spawn(&t, panicking_worker, &j, &o), RL_OK);
	void *msg = NULL;
	assert_int_equal(rl_thread_join(t, &msg), RL_EPANICKED);
	assert_non_null(msg);
	assert_string_equal(msg, "boom 42");
	free(msg);
	assert_false(j.after_panic);
	assert_int_equal(j.ran, 2);             /* outer and inner, not the popped one */
	assert_int_equal(j.inner.order, 1);      /* innermost first */
	assert_int_equal(j.outer.order, 2);
	assert_true(j.inner.panicking_seen);
	assert_int_equal(j.popped.order, 0);

	/* ret == NULL: the message is freed by join (asan checks the leak) */
	assert_int_equal(rl_thread_spawn(&t, panicking_worker, &j, &o), RL_OK);
	assert_int_equal(rl_thread_join(t, NULL), RL_EPANICKED);
	assert_false(rl_thread_panicking());
}

static void *panic_on_main(void *arg)
{
	(void)arg;
	rl_panic("main gave up");
}

static void child_panic_on_runtime_main(void *arg)
{
	(void)arg;
	rl_run_main(panic_on_main, NULL, 0, NULL);
	_exit(0); /* not reached: a main panic exits with 101 */
}

static void test_panic_on_runtime_main_exits_101(void **state)
{
	(void)state;
	struct death d = death_run(child_panic_on_runtime_main, NULL);
	assert_true(d.exited);
	assert_int_equal(d.status, 101);
	assert_non_null(strstr(d.err, "thread 'main' panicked at "));
	assert_non_null(strstr(d.err, "main gave up"));
}

/* ---- stack overflow -------------------------------------------------------- */


static void *deep_worker(void *arg)
{
	size_t target = *(size_t *)arg;
	recurse(1, target);
	return (void *)(uintptr_t)1;
}

static void child_overflow_2mib(void *arg)
{
	(void)arg;
	size_t target = DEEP;
	rl_thread *t;
	rl_thread_opts o = {.name = "worker-1"};
	if (rl_thread_spawn(&t, deep_worker, &target, &o))
		_exit(10);
	rl_thread_join(t, NULL);
	_exit(0); /* not reached */
}

static void test_stack_overflow_on_2mib_thread_aborts_with_report(void **state)
{
	(void)state;
	struct death d = death_run(child_overflow_2mib, NULL);
	assert_true(d.signaled);
	assert_int_equal(d.signal, SIGABRT);
	assert_non_null(strstr(d.err, "thread 'worker-1' has overflowed its stack"));
	assert_non_null(strstr(d.err, "stack size 2097152 bytes"));
	assert_non_null(strstr(d.err, "recursion depth reached "));
	assert_non_null(strstr(d.err, "fatal runtime error: stack overflow"));
}

static void test_same_depth_succeeds_on_8mib_main(void **state)
{
	(void)state;
	size_t target = DEEP;
	void *ret = NULL;
	assert_int_equal(rl_run_main(deep_worker, &target, 0, &ret), RL_OK);
	assert_ptr_equal(ret, (void *)(uintptr_t)1);
}

static void *null_deref(void *arg)
{
	volatile int *p = arg;
	*p = 1;
	return NULL;
}

static void child_fault_outside_guard(void *arg)
{
	(void)arg;
	rl_thread *t;
	/* Not NULL: UBSan would report a NULL store before the fault happens. */
	if (rl_thread_spawn(&t, null_deref, (void *)(uintptr_t)64, NULL))
		_exit(10);
	rl_thread_join(t, NULL);
	_exit(0);
}

static void test_fault_outside_guard_keeps_default_action(void **state)
{
	(void)state;
	struct death d = death_run(child_fault_outside_guard, NULL);
	assert_true(d.signaled);
	assert_int_equal(d.signal, SIGSEGV);
	assert_null(strstr(d.err, "overflowed"));
}

/* ---- touched vs reserved ------------------------------------------------- */

struct touch_job {
	size_t bytes, reserved, touched;
	int status;
};

static void *touch_worker(void *arg)
{
	struct touch_job *j = arg;
	recurse(1, j->bytes / FRAME);
	j->status = rl_thread_stack_usage(NULL, &j->reserved, &j->touched);
	return NULL;
}

static void test_stack_touched_is_far_below_reserved(void **state)
{
	(void)state;
	struct touch_job j = {.bytes = 10 << 10};
	rl_thread *t;
	assert_int_equal(rl_thread_spawn(&t, touch_worker, &j, NULL), RL_OK);
	assert_int_equal(rl_thread_join(t, NULL), RL_OK);
	assert_int_equal(j.status, RL_OK);
	assert_true(j.reserved >= 2 * MIB);
	assert_true(j.touched >= 10 << 10);
#ifndef __SANITIZE_THREAD__
	/* glibc may hand back a cached stack whose pages an earlier thread touched;
	 * still, most of the 2 MiB must be untouched. (Not under TSan: its runtime
	 * touches about 780 KiB of every thread stack at thread start.) */
	assert_true(j.touched < j.reserved / 4);
#endif
}

static void *wait_for_flag(void *arg)
{
	volatile int *go = arg;
	recurse(1, 64);
	while (!__atomic_load_n(go, __ATOMIC_ACQUIRE))
		usleep(100);
	return NULL;
}

static void test_stack_usage_of_another_live_thread(void **state)
{
	(void)state;
	int go = 0;
	rl_thread *t;
	assert_int_equal(rl_thread_spawn(&t, wait_for_flag, &go, NULL), RL_OK);
	size_t reserved = 0, touched = 0;
	assert_int_equal(rl_thread_stack_usage(t, &reserved, &touched), RL_OK);
	assert_true(reserved >= 2 * MIB);
	assert_true(touched > 0 && touched < reserved);
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	assert_int_equal(rl_thread_join(t, NULL), RL_OK);
}

static void test_strerror_names_every_status(void **state)
{
	(void)state;
	int codes[] = {RL_OK, RL_POISONED, RL_ENOMEM, RL_EAGAIN, RL_EINVAL, RL_EBUSY, RL_EDEADLK, RL_EPANICKED};
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		assert_string_not_equal(rl_strerror(codes[i]), "unknown status");
	assert_string_equal(rl_strerror(12345), "unknown status");
}

/* ---- RACELAB_MIN_STACK (separate process: the value is read once) ------- */

static size_t expected_min_stack;

static void test_env_min_stack_overrides_default(void **state)
{
	(void)state;
	assert_int_equal(rl_thread_default_stack_size(), expected_min_stack);
	/* changing the environment later has no effect: read once */
	setenv("RACELAB_MIN_STACK", "12345678", 1);
	assert_int_equal(rl_thread_default_stack_size(), expected_min_stack);
	struct probe p = {0};
	size_t size;
	assert_int_equal(spawn_probe(&p, NULL, &size), RL_OK);
	assert_true(size >= expected_min_stack);
	assert_true(p.reserved >= expected_min_stack);
	/* the per-thread option still overrides the environment */
	rl_thread_opts o = {.stack_size = 2 * MIB};
	assert_int_equal(spawn_probe(&p, &o, &size), RL_OK);
	assert_int_equal(size, 2 * MIB);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--expect-min-stack")) {
		expected_min_stack = strtoull(argv[2], NULL, 10);
		const struct CMUnitTest env_tests[] = {
			cmocka_unit_test(test_env_min_stack_overrides_default),
		};
		return cmocka_run_group_tests_name("thread-env", env_tests, NULL, NULL);
	}
	if (argc == 2 && !strcmp(argv[1], "--overflow")) {
		const struct CMUnitTest overflow_tests[] = {
			cmocka_unit_test(test_stack_overflow_on_2mib_thread_aborts_with_report),
			cmocka_unit_test(test_same_depth_succeeds_on_8mib_main),
			cmocka_unit_test(test_fault_outside_guard_keeps_default_action),
		};
		return cmocka_run_group_tests_name("thread-overflow", overflow_tests, NULL, NULL);
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_stack_is_2_mib),
		cmocka_unit_test(test_option_overrides_default_stack),
		cmocka_unit_test(test_tiny_stack_is_raised_and_page_rounded),
		cmocka_unit_test(test_absurd_stack_size_is_einval),
		cmocka_unit_test(test_spawn_failure_returns_eagain),
		cmocka_unit_test(test_thread_names),
		cmocka_unit_test(test_thread_ids_are_small_and_distinct),
		cmocka_unit_test(test_join_returns_value),
		cmocka_unit_test(test_panic_join_returns_epanicked_with_message),
		cmocka_unit_test(test_panic_on_runtime_main_exits_101),
		cmocka_unit_test(test_stack_touched_is_far_below_reserved),
		cmocka_unit_test(test_stack_usage_of_another_live_thread),
		cmocka_unit_test(test_strerror_names_every_status),
	};
	return cmocka_run_group_tests_name("thread", tests, NULL, NULL);
}
