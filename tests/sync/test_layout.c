/* test_layout.c — the `racelab layout` table: each row's C figure is what
 * sizeof/offsetof give here, and its Rust figure is the one rustc reports.
 */
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include <cmocka.h>

#include <racelab/arc.h>
#include <racelab/layout.h>
#include <racelab/rc.h>

#include "../../sync/mutex_backends.h"

static const struct rl_layout_row *find(const char *rust_type)
{
	const struct rl_layout_row *rows;
	size_t n = rl_layout_rows(&rows);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(rows[i].rust_type, rust_type))
			return &rows[i];
	fail_msg("no layout row for %s", rust_type);
	return NULL;
}

/* Row @rust_type has C size/align (@c_size, @c_align) and Rust (@rs, @ra). */
static void check(const char *rust_type, size_t c_size, size_t c_align, long rs, long ra)
{
	const struct rl_layout_row *r = find(rust_type);
	assert_int_equal(r->c_size, c_size);
	assert_int_equal(r->c_align, c_align);
	assert_int_equal(r->rust_size, rs);
	assert_int_equal(r->rust_align, ra);
	assert_int_equal(r->same, rs >= 0 && (size_t)rs == c_size && (size_t)ra == c_align);
}

static void test_handles_are_one_word_like_rust(void **state)
{
	(void)state;
	/* rustc 1.95: size_of::<Rc<i32>>() == size_of::<Arc<i32>>() == size_of::<Weak<i32>>() == 8 */
	check("Rc<T>", sizeof(rl_rc *), alignof(rl_rc *), 8, 8);
	check("Arc<T>", sizeof(rl_arc *), alignof(rl_arc *), 8, 8);
	check("sync::Weak<T>", sizeof(rl_arc_weak *), alignof(rl_arc_weak *), 8, 8);
	check("rc::Weak<T>", sizeof(rl_rc_weak *), alignof(rl_rc_weak *), 8, 8);
	/* size_of::<Option<Arc<i32>>>() == 8: NULL is None, no tag. */
	check("Option<Arc<T>>", sizeof(rl_arc *), alignof(rl_arc *), 8, 8);
	assert_true(find("Option<Arc<T>>")->same);
	check("Option<Box<T>>", sizeof(void *), alignof(void *), 8, 8);
}

static void test_boxes_have_a_16_byte_header(void **state)
{
	(void)state;
	assert_int_equal(offsetof(rl_rc, value), 16);
	assert_int_equal(offsetof(rl_arc, value), 16);
	check("RcInner<T> header", offsetof(rl_rc, value), alignof(size_t), 16, 8);
	check("ArcInner<T> header", offsetof(rl_arc, value), alignof(size_t), 16, 8);
	/* ArcInner<i32>: 16 + 4, padded to 8 = 24 (rustc: 24). */
	check("RcInner<i32>", 24, 8, 24, 8);
	check("ArcInner<i32>", 24, 8, 24, 8);
	/* ArcInner<Mutex<i32>>: 16 + 12, padded to 8 = 32 (rustc: 32). */
	size_t inner = offsetof(rl_arc, value) + rl_fmutex_size(sizeof(int32_t));
	check("ArcInner<Mutex<i32>>", (inner + 7) / 8 * 8, 8, 32, 8);
}

static void test_futex_mutex_is_rusts_size(void **state)
{
	(void)state;
	/* rustc 1.95: Mutex<i32> 12 (align 4), value at offset 8; Mutex<()> 8;
	 * Mutex<u8> 8; Mutex<u64> 16 (align 8). */
	check("Mutex<i32>", rl_fmutex_size(sizeof(int32_t)), rl_fmutex_align(sizeof(int32_t)), 12, 4);
	assert_int_equal(find("Mutex<i32>")->c_size, 12);
	check("Mutex<i32> value offset", rl_fmutex_value_offset(sizeof(int32_t)), alignof(int32_t),
	      8, 4);
	check("Mutex<()>", rl_fmutex_size(0), rl_fmutex_align(0), 8, 4);
	check("Mutex<u8>", rl_fmutex_size(1), rl_fmutex_align(1), 8, 4);
	check("Mutex<u64>", rl_fmutex_size(8), rl_fmutex_align(8), 16, 8);
	const struct rl_layout_row *p = find("Mutex<i32> (pthread backend)");
	assert_int_equal(p->c_size, rl_pmutex_size(sizeof(int32_t)));
	assert_true(p->c_size > sizeof(pthread_mutex_t));
	assert_int_equal(p->rust_size, -1);
	assert_false(p->same);
}

static void test_seed_tuple_and_enums(void **state)
{
	(void)state;
	struct tuple {
		uint32_t c;
		uint8_t b;
		int32_t i;
	};
	/* size_of::<(char, u8, i32)>() == 12, align_of == 4 (the seed, and rustc). */
	check("(char, u8, i32)", sizeof(struct tuple), alignof(struct tuple), 12, 4);
	assert_int_equal(sizeof(struct tuple), 12);
	check("Vec<i32>", 3 * sizeof(void *), alignof(void *), 24, 8);
	/* A C enum is an int: 4 bytes where Rust uses 1 and 2. */
	enum two { A, B };
	enum codes { OK = 200, NOT_FOUND = 404 };
	check("enum HTTPStatuses {OK, NoFound}", sizeof(enum two), alignof(enum two), 1, 1);
	check("enum HTTPStatuses {OK=200, NoFound=404}", sizeof(enum codes),
	      alignof(enum codes), 2, 2);
	assert_false(find("enum HTTPStatuses {OK, NoFound}")->same);
	/* Tagged unions: C needs a tag word (32); Rust uses Vec's niche (24). */
	check("enum Data {.., Array(Vec<i32>)}", 8 + 3 * sizeof(void *), 8, 24, 8);
	check("enum Data {.., Array(Box<Vec<i32>>)}", 8 + sizeof(void *), 8, 16,
	      8);
	assert_true(find("enum Data {.., Array(Box<Vec<i32>>)}")->same);
}

static void test_every_row_is_consistent(void **state)
{
	(void)state;
	const struct rl_layout_row *rows;
	size_t n = rl_layout_rows(&rows);
	assert_true(n >= 20);
	for (size_t i = 0; i < n; i++) {
		const struct rl_layout_row *r = &rows[i];
		assert_non_null(r->rust_type);
		assert_non_null(r->c_type);
		assert_non_null(r->note);
		assert_true(r->c_size > 0);
		assert_true(r->c_align > 0 && (r->c_align & (r->c_align - 1)) == 0);
		assert_true(r->rust_size == -1 || r->rust_align > 0);
		assert_int_equal(r->same, r->rust_size >= 0 && (size_t)r->rust_size == r->c_size &&
						  (size_t)r->rust_align == r->c_align);
	}
}

static char *print_to_string(bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(rl_layout_print(f, json), 0);
	fclose(f);
	return buf;
}

static void test_json_has_one_object_per_row(void **state)
{
	(void)state;
	const struct rl_layout_row *rows;
	size_t n = rl_layout_rows(&rows);
	char *out = print_to_string(true);
	size_t lines = 0;
	for (char *line = out; *line; lines++) {
		char *end = strchr(line, '\n');
		assert_non_null(end);
		assert_true(line[0] == '{' && end[-1] == '}');
		assert_true(strncmp(line, "{\"layout\":\"", 11) == 0);
		line = end + 1;
	}
	assert_int_equal(lines, n);
	assert_non_null(strstr(out, "{\"layout\":\"Mutex<i32>\",\"rust_size\":12,\"rust_align\":4,"));
	assert_non_null(strstr(out, "\"rust_size\":null"));
	free(out);
}

static void test_table_names_every_row(void **state)
{
	(void)state;
	const struct rl_layout_row *rows;
	size_t n = rl_layout_rows(&rows);
	char *out = print_to_string(false);
	for (size_t i = 0; i < n; i++)
		assert_non_null(strstr(out, rows[i].rust_type));
	assert_non_null(strstr(out, "Rust"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handles_are_one_word_like_rust),
		cmocka_unit_test(test_boxes_have_a_16_byte_header),
		cmocka_unit_test(test_futex_mutex_is_rusts_size),
		cmocka_unit_test(test_seed_tuple_and_enums),
		cmocka_unit_test(test_every_row_is_consistent),
		cmocka_unit_test(test_json_has_one_object_per_row),
		cmocka_unit_test(test_table_names_every_row),
	};
	return cmocka_run_group_tests_name("layout", tests, NULL, NULL);
}
