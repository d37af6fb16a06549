/* test_vec.c — Vec<T> and String in C: Rust's growth policy (the capacities
 * are the ones rustc 1.95 gives; tests/sync/layout_check.rs re-checks them on
 * the Rust side), exact-capacity clones, slices that copy nothing, and the
 * counting allocator.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <racelab/status.h>
#include <racelab/vec.h>

/* Push @pushes elements of @elem_size bytes; record each capacity seen. */
static size_t capacities(size_t elem_size, size_t pushes, size_t *caps, size_t max)
{
	struct rl_vec v = RL_VEC_NEW;
	unsigned char elem[2000] = {0};
	size_t n = 0;
	caps[n++] = v.cap;
	for (size_t i = 0; i < pushes; i++) {
		assert_int_equal(rl_vec_push(&v, elem_size, elem), RL_OK);
		if (v.cap != caps[n - 1]) {
			assert_true(n < max);
			caps[n++] = v.cap;
		}
	}
	rl_vec_drop(&v, elem_size, NULL);
	return n;
}

static void check_caps(size_t elem_size, size_t pushes, const size_t *want, size_t nwant)
{
	size_t caps[64];
	size_t n = capacities(elem_size, pushes, caps, 64);
	assert_int_equal(n, nwant);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(caps[i], want[i]);
}

static void test_i32_vec_grows_0_4_8_16_like_rust(void **state)
{
	(void)state;
	/* rustc 1.95: Vec<i32> pushed 100 times: 0, 4, 8, 16, 32, 64, 128. */
	static const size_t want[] = {0, 4, 8, 16, 32, 64, 128};
	check_caps(sizeof(int32_t), 100, want, sizeof want / sizeof want[0]);
}

static void test_byte_vec_starts_at_8_and_big_elements_at_1(void **state)
{
	(void)state;
	/* rustc 1.95: Vec<u8> 0, 8, 16, ...; Vec<[u8; 2000]> 0, 1, 2, 4, 8, 16. */
	static const size_t bytes[] = {0, 8, 16, 32, 64, 128};
	check_caps(1, 100, bytes, sizeof bytes / sizeof bytes[0]);
	static const size_t big[] = {0, 1, 2, 4, 8, 16};
	check_caps(2000, 10, big, sizeof big / sizeof big[0]);
	assert_int_equal(rl_vec_min_non_zero_cap(1), 8);
	assert_int_equal(rl_vec_min_non_zero_cap(4), 4);
	assert_int_equal(rl_vec_min_non_zero_cap(1024), 4);
	assert_int_equal(rl_vec_min_non_zero_cap(1025), 1);
}

static void test_grow_cap_is_max_of_double_required_and_minimum(void **state)
{
	(void)state;
	assert_int_equal(rl_vec_grow_cap(0, 1, 4), 4);
	assert_int_equal(rl_vec_grow_cap(0, 3, 4), 4);     /* Vec::new().reserve(3): 4 */
	assert_int_equal(rl_vec_grow_cap(4, 5, 4), 8);
	assert_int_equal(rl_vec_grow_cap(4, 104, 4), 104); /* reserve(100) at len 4: 104 */
	assert_int_equal(rl_vec_grow_cap(5, 11, 1), 11);   /* "hello" + " world": 11 */
	assert_int_equal(rl_vec_grow_cap(0, 1, 1), 8);
	/* More than isize::MAX bytes: "capacity overflow". */
	assert_int_equal(rl_vec_grow_cap(0, SIZE_MAX / 4, 8), 0);
	assert_int_equal(rl_vec_grow_cap(SIZE_MAX / 2, SIZE_MAX / 2 + 1, 1), 0);
}

static void test_reserve_and_push_keep_every_element(void **state)
{
	(void)state;
	struct rl_vec v;
	assert_int_equal(rl_vec_with_capacity(&v, sizeof(int32_t), 4), RL_OK);
	assert_int_equal(v.cap, 4);
	for (int32_t i = 0; i < 4; i++)
		assert_int_equal(rl_vec_push(&v, sizeof i, &i), RL_OK);
	assert_int_equal(rl_vec_reserve(&v, sizeof(int32_t), 100), RL_OK);
	assert_int_equal(v.cap, 104);
	for (int32_t i = 4; i < 1000; i++)
		assert_int_equal(rl_vec_push(&v, sizeof i, &i), RL_OK);
	assert_int_equal(v.len, 1000);
	for (size_t i = 0; i < v.len; i++)
		assert_int_equal(*(int32_t *)rl_vec_get(&v, sizeof(int32_t), i), (int32_t)i);
	assert_null(rl_vec_get(&v, sizeof(int32_t), 1000));
	rl_vec_drop(&v, sizeof(int32_t), NULL);
	assert_null(v.ptr);
	assert_int_equal(v.len, 0);
}

static void test_capacity_overflow_fails_and_leaves_the_vector(void **state)
{
	(void)state;
	struct rl_vec v = RL_VEC_NEW;
	int64_t x = 1;
	assert_int_equal(rl_vec_push(&v, sizeof x, &x), RL_OK);
	struct rl_vec before = v;
	assert_int_equal(rl_vec_reserve(&v, sizeof x, SIZE_MAX / 8), RL_EINVAL);
	assert_int_equal(rl_vec_reserve(&v, sizeof x, SIZE_MAX), RL_EINVAL);
	assert_memory_equal(&v, &before, sizeof v);
	assert_int_equal(rl_vec_with_capacity(&v, sizeof x, SIZE_MAX / 4), RL_EINVAL);
	assert_null(v.ptr);
	rl_vec_drop(&before, sizeof x, NULL);
}

static void test_zero_sized_elements_never_allocate(void **state)
{
	(void)state;
	struct rl_alloc_stats a, b;
	rl_vec_alloc_stats(&a);
	struct rl_vec v = RL_VEC_NEW;
	for (int i = 0; i < 1000; i++)
		assert_int_equal(rl_vec_push(&v, 0, NULL), RL_OK);
	rl_vec_alloc_stats(&b);
	assert_int_equal(v.len, 1000);
	assert_int_equal(v.cap, SIZE_MAX); /* Vec<()>::new().capacity() == usize::MAX */
	assert_null(v.ptr);
	assert_int_equal(b.allocs, a.allocs);
	rl_vec_drop(&v, 0, NULL);
}

static void test_clone_allocates_len_elements_not_cap(void **state)
{
	(void)state;
	struct rl_vec v, c;
	assert_int_equal(rl_vec_with_capacity(&v, sizeof(int32_t), 10), RL_OK);
	for (int32_t i = 0; i < 7; i++)
		assert_int_equal(rl_vec_push(&v, sizeof i, &i), RL_OK);
	struct rl_alloc_stats a, b;
	rl_vec_alloc_stats(&a);
	assert_int_equal(rl_vec_clone(&c, &v, sizeof(int32_t), NULL, NULL), RL_OK);
	rl_vec_alloc_stats(&b);
	/* rustc 1.95: a clone of a Vec with capacity 10 and length 7 has capacity 7. */
	assert_int_equal(c.cap, 7);
	assert_int_equal(c.len, 7);
	assert_ptr_not_equal(c.ptr, v.ptr);
	assert_memory_equal(c.ptr, v.ptr, 7 * sizeof(int32_t));
	assert_int_equal(b.allocs - a.allocs, 1);
	assert_int_equal(b.bytes - a.bytes, 7 * sizeof(int32_t));
	rl_vec_drop(&c, sizeof(int32_t), NULL);
	rl_vec_drop(&v, sizeof(int32_t), NULL);
}

static int push_string(struct rl_vec *v, const char *s)
{
	struct rl_string str;
	int err = rl_string_from(&str, s, strlen(s));
	if (!err && (err = rl_vec_push(v, sizeof str, &str)) != RL_OK)
		rl_string_drop(&str);
	return err;
}

static void test_vec_of_strings_clone_copies_every_string(void **state)
{
	(void)state;
	struct rl_vec v = RL_VEC_NEW, c;
	assert_int_equal(push_string(&v, "Odin"), RL_OK);
	assert_int_equal(push_string(&v, "Thor"), RL_OK);
	assert_int_equal(push_string(&v, "Loki"), RL_OK);
	struct rl_alloc_stats a, b, d;
	rl_vec_alloc_stats(&a);
	assert_int_equal(rl_vec_clone(&c, &v, sizeof(struct rl_string), rl_string_clone, rl_string_drop), RL_OK);
	rl_vec_alloc_stats(&b);
	/* The header array (3 x 24 bytes) and each string's bytes: 4 allocations. */
	assert_int_equal(b.allocs - a.allocs, 4);
	assert_int_equal(b.bytes - a.bytes, 3 * sizeof(struct rl_string) + 4 + 4 + 4);
	for (size_t i = 0; i < 3; i++) {
		struct rl_string *x = rl_vec_get(&v, sizeof *x, i), *y = rl_vec_get(&c, sizeof *y, i);
		assert_ptr_not_equal(x->vec.ptr, y->vec.ptr);
		assert_int_equal(y->vec.cap, y->vec.len);
		assert_memory_equal(x->vec.ptr, y->vec.ptr, x->vec.len);
	}
	rl_vec_drop(&c, sizeof(struct rl_string), rl_string_drop);
	rl_vec_drop(&v, sizeof(struct rl_string), rl_string_drop);
	rl_vec_alloc_stats(&d);
	assert_int_equal(d.live, a.live - 4); /* v's four buffers and c's four are gone */
}

static void test_string_from_is_exact_and_push_str_grows_amortised(void **state)
{
	(void)state;
	struct rl_string s;
	assert_int_equal(rl_string_from(&s, "hello", 5), RL_OK);
	assert_int_equal(s.vec.cap, 5); /* rustc: String::from("hello").capacity() == 5 */
	assert_int_equal(rl_string_push_str(&s, " world", 6), RL_OK);
	assert_int_equal(s.vec.cap, 11); /* max(2 * 5, 11, 8) */
	struct rl_str all = rl_string_as_str(&s);
	assert_int_equal(all.len, 11);
	assert_memory_equal(all.ptr, "hello world", 11);
	rl_string_drop(&s);
	assert_int_equal(rl_string_from(&s, "", 0), RL_OK);
	assert_null(s.vec.ptr); /* String::new() allocates nothing */
	rl_string_drop(&s);
}

static void test_slices_point_into_the_buffer_and_copy_nothing(void **state)
{
	(void)state;
	static const int32_t a[] = {55, 66, 77};
	struct rl_vec v = RL_VEC_NEW;
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(rl_vec_push(&v, sizeof a[i], &a[i]), RL_OK);
	struct rl_alloc_stats x, y;
	rl_vec_alloc_stats(&x);
	struct rl_slice s = rl_vec_slice(&v, sizeof(int32_t), 0, 2); /* &v[0..2] */
	rl_vec_alloc_stats(&y);
	assert_ptr_equal(s.ptr, v.ptr);
	assert_int_equal(s.len, 2);
	assert_int_equal(y.allocs, x.allocs);
	s = rl_vec_slice(&v, sizeof(int32_t), 1, 3);
	assert_ptr_equal(s.ptr, (int32_t *)v.ptr + 1);
	assert_null(rl_vec_slice(&v, sizeof(int32_t), 2, 4).ptr); /* out of bounds */
	assert_null(rl_vec_slice(&v, sizeof(int32_t), 2, 1).ptr); /* reversed */
	rl_vec_drop(&v, sizeof(int32_t), NULL);

	const char *literal = "hello";
	struct rl_str h = {literal, 5};
	struct rl_str el = rl_str_slice(h, 1, 3); /* &s[1..3] */
	assert_ptr_equal(el.ptr, literal + 1);
	assert_int_equal(el.len, 2);
	assert_null(rl_str_slice(h, 0, 6).ptr);
}

static void test_alloc_stats_count_allocs_reallocs_and_frees(void **state)
{
	(void)state;
	struct rl_alloc_stats a, b;
	rl_vec_alloc_stats(&a);
	struct rl_vec v = RL_VEC_NEW;
	for (int32_t i = 0; i < 17; i++) /* caps 4, 8, 16, 32: one malloc, three reallocs */
		assert_int_equal(rl_vec_push(&v, sizeof i, &i), RL_OK);
	rl_vec_alloc_stats(&b);
	assert_int_equal(b.allocs - a.allocs, 1);
	assert_int_equal(b.reallocs - a.reallocs, 3);
	assert_int_equal(b.bytes - a.bytes, 32 * sizeof(int32_t));
	assert_int_equal(b.live - a.live, 1);
	rl_vec_drop(&v, sizeof(int32_t), NULL);
	rl_vec_alloc_stats(&b);
	assert_int_equal(b.frees - a.frees, 1);
	assert_int_equal(b.live, a.live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_i32_vec_grows_0_4_8_16_like_rust),
		cmocka_unit_test(test_byte_vec_starts_at_8_and_big_elements_at_1),
		cmocka_unit_test(test_grow_cap_is_max_of_double_required_and_minimum),
		cmocka_unit_test(test_reserve_and_push_keep_every_element),
		cmocka_unit_test(test_capacity_overflow_fails_and_leaves_the_vector),
		cmocka_unit_test(test_zero_sized_elements_never_allocate),
		cmocka_unit_test(test_clone_allocates_len_elements_not_cap),
		cmocka_unit_test(test_vec_of_strings_clone_copies_every_string),
		cmocka_unit_test(test_string_from_is_exact_and_push_str_grows_amortised),
		cmocka_unit_test(test_slices_point_into_the_buffer_and_copy_nothing),
		cmocka_unit_test(test_alloc_stats_count_allocs_reallocs_and_frees),
	};
	return cmocka_run_group_tests_name("vec", tests, NULL, NULL);
}
