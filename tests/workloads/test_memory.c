/* test_memory.c — the memory-model workloads: vec-growth follows Rust's
 * growth policy reallocation by reallocation, copy-move-clone allocates
 * exactly what the seed says, stack-vs-heap counts the allocator's kernel
 * calls and finds many small allocations sharing each one.
 *
 * No timing assertions: the ns/op figures are only checked to be there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <racelab/status.h>
#include <racelab/workload.h>

static struct rl_workload_result result;

static const struct rl_workload *find(const char *name)
{
	const struct rl_workload *w = rl_workload_find(name);
	assert_non_null(w);
	return w;
}

/* The measure called @key; fails the test if the run did not report it. */
static double measure(const char *key)
{
	for (unsigned i = 0; i < result.nmeasures; i++)
		if (!strcmp(result.measures[i].key, key))
			return result.measures[i].value;
	fail_msg("no measure %s", key);
	return 0;
}

static bool has_measure(const char *key)
{
	for (unsigned i = 0; i < result.nmeasures; i++)
		if (!strcmp(result.measures[i].key, key))
			return true;
	return false;
}

/* A note that contains @text, or NULL. */
static const char *note_with(const char *text)
{
	for (unsigned i = 0; i < result.nnotes; i++)
		if (strstr(result.notes[i], text))
			return result.notes[i];
	return NULL;
}

static void run(const char *name, uint64_t iters)
{
	struct rl_workload_params p = {.iters = iters, .check = RL_CHECK_REPORT};
	assert_int_equal(rl_workload_run(find(name), &p, &result), RL_OK);
	assert_int_equal(result.error, RL_OK);
	assert_int_equal(result.verdict, RL_VERDICT_CLEAN);
	assert_true(result.invariant_held);
	assert_int_equal(result.lost, 0);
	assert_int_equal(result.leaked, 0);
	assert_int_equal(result.reports[RL_CHECK_SEND] + result.reports[RL_CHECK_SYNC], 0);
}

static void test_vec_growth_lists_each_doubling_from_4(void **state)
{
	(void)state;
	/* 100 pushes of an i32: capacities 0 -> 4 -> 8 -> 16 -> 32 -> 64 -> 128 (rustc 1.95). */
	run("vec-growth", 100);
	assert_int_equal(result.expected, 6);
	assert_int_equal(result.observed, 6);
	assert_int_equal((int)measure("reallocations"), 6);
	assert_int_equal((int)measure("final_capacity"), 128);
	static const char *const lines[] = {"cap         0 -> 4 ", "cap         4 -> 8 ", "cap         8 -> 16 ",
					    "cap        16 -> 32 ", "cap        32 -> 64 ", "cap        64 -> 128 "};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		if (!note_with(lines[i]))
			fail_msg("no reallocation line \"%s\"", lines[i]);
	assert_null(note_with("-> 256"));
	/* Each growth is one of: in place, copied, remapped (the first is an allocation). */
	assert_int_equal((int)(measure("in_place") + measure("copied") + measure("remapped")), 5);
	assert_true(measure("grow_ns_per_push") > 0);
	assert_true(measure("presized_ns_per_push") > 0);
}

static void test_vec_growth_counts_one_allocation_for_a_single_push(void **state)
{
	(void)state;
	run("vec-growth", 1);
	assert_int_equal(result.expected, 1);
	assert_int_equal((int)measure("reallocations"), 1);
	assert_int_equal((int)measure("final_capacity"), 4);
	assert_int_equal((int)measure("bytes_copied"), 0);
	assert_non_null(note_with("first buffer"));
}

static void test_vec_growth_refuses_more_than_memory(void **state)
{
	(void)state;
	struct rl_workload_params p = {.iters = (uint64_t)1 << 50};
	rl_workload_run(find("vec-growth"), &p, &result);
	assert_int_equal(result.error, RL_EINVAL);
	assert_non_null(strstr(result.error_text, "memory"));
}

static void test_copy_move_clone_allocates_only_for_the_deep_clone(void **state)
{
	(void)state;
	run("copy-move-clone", 3000);
	/* A move copies the 3-word header; a clone allocates the 3 String headers
	 * (3 x 24 B) and "Odin", "Thor", "Loki" (4 B each): 4 blocks, 84 B. */
	assert_int_equal((int)measure("move_bytes"), 3 * sizeof(void *));
	assert_int_equal((int)measure("clone_allocs"), 4);
	assert_int_equal((int)measure("clone_bytes"), 84);
	assert_int_equal((int)measure("shared_allocs"), 0);
	assert_int_equal(result.expected, 3000 * 84);
	assert_int_equal(result.observed, result.expected);
	assert_non_null(note_with("strong count went 1 -> 2 -> 1"));
	assert_true(measure("move_ns") > 0 && measure("clone_ns") > 0);
	assert_true(measure("rc_clone_ns") > 0 && measure("arc_clone_ns") > 0);
}

static void test_stack_vs_heap_counts_kernel_calls_in_blocks(void **state)
{
	(void)state;
	run("stack-vs-heap", 20000);
	assert_int_equal(result.expected, result.observed);
	assert_true(result.expected > 0);
	for (const char *const *k = (const char *const[]){"stack_64_ns", "heap_64_ns", "stack_4k_ns", "heap_4k_ns",
							   "stack_1m_ns", "heap_1m_ns", NULL};
	     *k; k++)
		assert_true(measure(*k) > 0);
	if (!has_measure("small_kernel_calls")) {
		/* ptrace refused (running under a tracer, or a seccomp policy): said so. */
		assert_non_null(note_with("kernel calls not counted"));
		print_message("kernel calls not counted here: %s\n", note_with("kernel calls not counted"));
		return;
	}
	/* The allocator asks the kernel for memory in blocks: far fewer calls than
	 * allocations (glibc: about one per 4 KiB page at worst). */
	double calls = measure("small_kernel_calls");
	assert_true(calls >= 1);
	assert_true(calls * 10 < 20000);
	/* Each 1 MiB block needs the kernel at least once the first time. */
	assert_true(measure("large_kernel_calls") >= 1);
	assert_non_null(note_with("x malloc(64)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vec_growth_lists_each_doubling_from_4),
		cmocka_unit_test(test_vec_growth_counts_one_allocation_for_a_single_push),
		cmocka_unit_test(test_vec_growth_refuses_more_than_memory),
		cmocka_unit_test(test_copy_move_clone_allocates_only_for_the_deep_clone),
		cmocka_unit_test(test_stack_vs_heap_counts_kernel_calls_in_blocks),
	};
	return cmocka_run_group_tests_name("memory", tests, NULL, NULL);
}
