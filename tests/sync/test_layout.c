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

#include <elf.h>

#include <racelab/arc.h>
#include <racelab/layout.h>
#include <racelab/memmap.h>
#include <racelab/rc.h>
#include <racelab/status.h>
#include <racelab/vec.h>

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
		/* A field offset may be 0 ("Vec<i32>.ptr offset"); a size may not. */
		assert_true(r->c_size > 0 || strstr(r->rust_type, " offset"));
		assert_true(r->c_align > 0 && (r->c_align & (r->c_align - 1)) == 0);
		assert_true(r->rust_size == -1 || r->rust_align > 0);
		assert_int_equal(r->same, r->rust_size >= 0 && (size_t)r->rust_size == r->c_size &&
						  (size_t)r->rust_align == r->c_align);
	}
}

/* noinline: once inlined at -O3, gcc 12 takes the memstream's buffer for a
 * pointer to the local `buf` (-Wdangling-pointer false positive). */
static __attribute__((noinline)) char *print_to_string(bool json)
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
	size_t lines = 0, vtable_lines = 0, place_lines = 0;
	for (char *line = out; *line;) {
		char *end = strchr(line, '\n');
		assert_non_null(end);
		assert_true(line[0] == '{' && end[-1] == '}');
		/* The rows, then the vtable entries and the places (where values live). */
		if (strncmp(line, "{\"layout\":\"", 11) == 0) {
			assert_int_equal(vtable_lines + place_lines, 0);
			lines++;
		} else if (strncmp(line, "{\"vtable\":\"", 11) == 0) {
			vtable_lines++;
		} else {
			assert_true(strncmp(line, "{\"place\":\"", 10) == 0);
			place_lines++;
		}
		line = end + 1;
	}
	assert_int_equal(lines, n);
	const struct rl_layout_vtable_entry *e;
	assert_int_equal(vtable_lines, rl_layout_vtable(&e));
	assert_true(place_lines >= 6);
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

/* ---- the rest of the seed's memory model ---------------------------------- */

static void test_box_vec_string_and_fat_pointers_are_rusts_size(void **state)
{
	(void)state;
	/* rustc 1.95 (tests/sync/layout_check.rs): Box 8, Vec/String 24, &[T]/&str 16,
	 * &dyn Write / Box<dyn Write> 16, char 4, [i32; 3] 12/4. */
	check("Box<i32>", sizeof(int32_t *), alignof(int32_t *), 8, 8);
	check("Box<Vec<i32>>", sizeof(struct rl_vec *), alignof(struct rl_vec *), 8, 8);
	check("char", sizeof(uint32_t), alignof(uint32_t), 4, 4);
	check("[i32; 3]", 3 * sizeof(int32_t), alignof(int32_t), 12, 4);
	check("String", sizeof(struct rl_string), alignof(struct rl_string), 24, 8);
	check("&[i32]", sizeof(struct rl_slice), alignof(struct rl_slice), 16, 8);
	check("&str", sizeof(struct rl_str), alignof(struct rl_str), 16, 8);
	check("&dyn Write", sizeof(struct rl_dyn_write), alignof(struct rl_dyn_write), 16, 8);
	check("Box<dyn Write>", sizeof(struct rl_dyn_write), alignof(struct rl_dyn_write), 16, 8);
	/* Three words and two words, whatever the word size. */
	assert_int_equal(sizeof(struct rl_vec), 3 * sizeof(void *));
	assert_int_equal(sizeof(struct rl_string), 3 * sizeof(void *));
	assert_int_equal(sizeof(struct rl_str), 2 * sizeof(void *));
	assert_int_equal(sizeof(struct rl_dyn_write), 2 * sizeof(void *));
	/* The older "Vec<i32>" row measures a stand-in struct: the real type agrees. */
	assert_int_equal(find("Vec<i32>")->c_size, sizeof(struct rl_vec));
	for (const char *const *n = (const char *const[]){"Box<i32>", "String", "&str", "&[i32]", "&dyn Write", NULL}; *n; n++)
		assert_true(find(*n)->same);
}

static void test_vec_field_offsets_show_rusts_own_order(void **state)
{
	(void)state;
	/* racelab keeps the seed's (ptr, cap, len); rustc 1.95 stores cap, ptr, len. */
	check("Vec<i32>.ptr offset", offsetof(struct rl_vec, ptr), alignof(void *), 8, 8);
	check("Vec<i32>.cap offset", offsetof(struct rl_vec, cap), alignof(size_t), 0, 8);
	check("Vec<i32>.len offset", offsetof(struct rl_vec, len), alignof(size_t), 16, 8);
	assert_false(find("Vec<i32>.ptr offset")->same);
	assert_true(find("Vec<i32>.len offset")->same);
}

static void test_packed_enums_and_the_niche_match_rust(void **state)
{
	(void)state;
	enum __attribute__((packed)) two { A, B };
	enum __attribute__((packed)) codes { OK = 200, NOT_FOUND = 404 };
	check("enum HTTPStatuses {OK, NoFound} (packed C)", sizeof(enum two), alignof(enum two), 1, 1);
	check("enum HTTPStatuses {200, 404} (packed C)", sizeof(enum codes), alignof(enum codes), 2, 2);
	assert_int_equal(sizeof(enum codes), 2);
	/* Data with the tag in Vec's capacity word: 3 words, like rustc's 24. */
	check("enum Data {.., Array(Vec<i32>)} (C niche)", sizeof(struct rl_vec), alignof(struct rl_vec), 24, 8);
	assert_true(find("enum Data {.., Array(Vec<i32>)} (C niche)")->same);
	/* Boxing the Vec halves the plain tagged union's size (32 -> 16), as the seed says. */
	assert_int_equal(find("enum Data {.., Array(Vec<i32>)}")->c_size,
			 2 * find("enum Data {.., Array(Box<Vec<i32>>)}")->c_size);
}

static void test_vtable_lists_drop_size_align_then_methods_in_order(void **state)
{
	(void)state;
	static const char *const names[] = {"drop_in_place", "size", "align", "write", "write_vectored",
					    "is_write_vectored", "flush", "write_all", "write_all_vectored",
					    "write_fmt"};
	const struct rl_layout_vtable_entry *e;
	size_t n = rl_layout_vtable(&e);
	assert_int_equal(n, sizeof names / sizeof names[0]);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(e[i].name, names[i]);
		/* One word per entry, in this order, in C and (rustc 1.95) in Rust. */
		assert_int_equal(e[i].c_offset, i * sizeof(void *));
		assert_int_equal(e[i].rust_offset, (long)(i * sizeof(void *)));
	}
	assert_int_equal(e[3].c_offset, offsetof(struct rl_write_vtable, write));
	assert_int_equal(e[9].c_offset, offsetof(struct rl_write_vtable, write_fmt));
	check("dyn Write vtable", sizeof(struct rl_write_vtable), alignof(struct rl_write_vtable), 80, 8);
	assert_int_equal(rl_vec_u8_write_vtable.size, sizeof(struct rl_vec));
	assert_int_equal(rl_vec_u8_write_vtable.align, alignof(struct rl_vec));
}

static void test_dyn_write_calls_go_through_the_vtable(void **state)
{
	(void)state;
	struct rl_vec buf = RL_VEC_NEW;
	struct rl_dyn_write w = rl_vec_as_dyn_write(&buf);
	assert_ptr_equal(w.data, &buf);
	size_t written = 0;
	assert_int_equal(w.vtable->write(w.data, "hello", 5, &written), RL_OK);
	assert_int_equal(written, 5);
	assert_int_equal(w.vtable->write_all(w.data, ", ", 2), RL_OK);
	struct iovec parts[] = {{(void *)"wor", 3}, {(void *)"ld ", 3}};
	assert_true(w.vtable->is_write_vectored(w.data));
	assert_int_equal(w.vtable->write_vectored(w.data, parts, 2, &written), RL_OK);
	assert_int_equal(written, 6);
	assert_int_equal(rl_dyn_write_fmt(w, "%d", 42), RL_OK);
	assert_int_equal(w.vtable->flush(w.data), RL_OK);
	assert_int_equal(buf.len, 15);
	assert_memory_equal(buf.ptr, "hello, world 42", 15);
	assert_true(buf.cap >= buf.len);
	/* Dropping through the vtable frees the buffer (ASan's leak check sees it). */
	w.vtable->drop_in_place(w.data);
	assert_null(buf.ptr);
	assert_int_equal(buf.cap, 0);
}

/* ---- where values live ------------------------------------------------------ */

static int32_t initialised_static = 7;
static int32_t zero_static[64];

static bool under_sanitizer(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	return true;
#else
	return false;
#endif
}

static void test_literal_lives_in_a_read_only_segment_of_the_executable(void **state)
{
	(void)state;
	const char *literal = "where does this literal live?";
	struct rl_mem_where w;
	assert_int_equal(rl_mem_where(literal, &w), RL_OK);
	assert_int_equal(w.kind, RL_MEM_RODATA);
	assert_true(w.segment >= 0);
	assert_true(w.seg_flags & PF_R);
	assert_false(w.seg_flags & (PF_W | PF_X));
	assert_string_equal(w.section, ".rodata");
	assert_true(w.map_end > w.map_start && w.addr >= w.map_start && w.addr < w.map_end);
	assert_true(w.perms[0] == 'r' && w.perms[1] == '-' && w.perms[2] == '-');
	/* The executable itself: the mapping names the file the segment came from. */
	assert_string_equal(w.map_name, w.object);
}

static void test_statics_and_code_live_in_their_segments(void **state)
{
	(void)state;
	zero_static[1] = initialised_static;
	struct rl_mem_where w;
	assert_int_equal(rl_mem_where(&initialised_static, &w), RL_OK);
	assert_int_equal(w.kind, RL_MEM_DATA);
	assert_string_equal(w.section, ".data");
	assert_true(w.seg_flags & PF_W);
	assert_false(w.in_bss_tail);
	assert_int_equal(rl_mem_where(&zero_static[1], &w), RL_OK);
	assert_int_equal(w.kind, RL_MEM_DATA);
	assert_string_equal(w.section, ".bss");
	assert_true(w.in_bss_tail);
	assert_int_equal(rl_mem_where((const void *)(uintptr_t)&rl_mem_where, &w), RL_OK);
	assert_int_equal(w.kind, RL_MEM_TEXT);
	assert_string_equal(w.section, ".text");
	assert_true(w.seg_flags & PF_X);
	assert_true(w.perms[2] == 'x');
}

static void test_local_lives_on_this_threads_stack(void **state)
{
	(void)state;
	volatile int32_t local = 42;
	struct rl_mem_where w;
	assert_int_equal(rl_mem_where((const void *)&local, &w), RL_OK);
	assert_int_equal(w.kind, RL_MEM_STACK);
	assert_true(w.stack_lo <= w.addr && w.addr < w.stack_hi);
	assert_int_equal(w.segment, -1);
}

struct thread_probe {
	const void *main_local;
	enum rl_mem_kind own, mains;
	uintptr_t lo, hi, main_lo;
};

static void *probe_thread(void *arg)
{
	struct thread_probe *t = arg;
	volatile int32_t mine = 1;
	struct rl_mem_where w;
	rl_mem_where((const void *)&mine, &w);
	t->own = w.kind;
	t->lo = w.stack_lo;
	t->hi = w.stack_hi;
	rl_mem_where(t->main_local, &w);
	t->mains = w.kind;
	return NULL;
}

static void test_stack_is_the_calling_threads_own(void **state)
{
	(void)state;
	volatile int32_t local = 3;
	struct thread_probe t = {.main_local = (const void *)&local};
	struct rl_mem_where me;
	rl_mem_where((const void *)&local, &me);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, probe_thread, &t), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(t.own, RL_MEM_STACK);
	/* Seen from the other thread, main's local is not on *its* stack. */
	assert_int_not_equal(t.mains, RL_MEM_STACK);
	assert_true(t.hi <= me.stack_lo || t.lo >= me.stack_hi);
}

static void test_box_value_lives_on_the_heap(void **state)
{
	(void)state;
	int32_t *boxed = malloc(sizeof *boxed);
	assert_non_null(boxed);
	*boxed = 23;
	struct rl_mem_where w;
	assert_int_equal(rl_mem_where(boxed, &w), RL_OK);
	/* glibc serves a small block of a single-threaded process from the brk
	 * heap ([heap]); a sanitizer's allocator from its own anonymous mappings. */
	assert_int_equal(w.kind, under_sanitizer() ? RL_MEM_ANON : RL_MEM_HEAP);
	assert_int_equal(w.segment, -1);
	assert_true(w.perms[0] == 'r' && w.perms[1] == 'w');
	free(boxed);
	/* A block above glibc's largest mmap threshold (32 MiB) is a mapping of its own. */
	void *big = malloc((size_t)33 << 20);
	assert_non_null(big);
	assert_int_equal(rl_mem_where(big, &w), RL_OK);
	assert_int_equal(w.kind, RL_MEM_ANON);
	assert_string_equal(w.map_name, "");
	free(big);
}

static void test_printed_places_name_their_regions(void **state)
{
	(void)state;
	char *out = print_to_string(true);
	static const struct {
		const char *place, *region;
	} want[] = {
		{"{\"place\":\"string literal \\\"hello\\\"\"", "\"region\":\"rodata\",\"section\":\".rodata\""},
		{"{\"place\":\"local i32\"", "\"region\":\"stack\""},
		{"{\"place\":\"static, initialised\"", "\"region\":\"data\",\"section\":\".data\""},
		{"{\"place\":\"static, zero\"", "\"region\":\"data\",\"section\":\".bss\""},
		{"{\"place\":\"function code\"", "\"region\":\"text\",\"section\":\".text\""},
		{"{\"place\":\"Vec<u8> of 32 MiB\"", "\"region\":\"anon\""},
		{"{\"place\":\"Box<i32> value\"", "\"region\":\"heap\""},
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		char *line = strstr(out, want[i].place);
		if (!line)
			fail_msg("no place line %s", want[i].place);
		char *end = strchr(line, '\n');
		*end = '\0';
		/* A sanitizer's allocator serves small blocks from anonymous mappings. */
		const char *region = under_sanitizer() && strstr(want[i].place, "Box") ? "\"region\":\"anon\"" : want[i].region;
		if (!strstr(line, region))
			fail_msg("%s: expected %s", line, region);
		*end = '\n';
	}
	char *text = print_to_string(false);
	assert_non_null(strstr(text, "Where values live"));
	assert_non_null(strstr(text, "The vtable behind &dyn Write"));
	free(text);
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
		cmocka_unit_test(test_box_vec_string_and_fat_pointers_are_rusts_size),
		cmocka_unit_test(test_vec_field_offsets_show_rusts_own_order),
		cmocka_unit_test(test_packed_enums_and_the_niche_match_rust),
		cmocka_unit_test(test_vtable_lists_drop_size_align_then_methods_in_order),
		cmocka_unit_test(test_dyn_write_calls_go_through_the_vtable),
		cmocka_unit_test(test_literal_lives_in_a_read_only_segment_of_the_executable),
		cmocka_unit_test(test_statics_and_code_live_in_their_segments),
		cmocka_unit_test(test_local_lives_on_this_threads_stack),
		cmocka_unit_test(test_stack_is_the_calling_threads_own),
		cmocka_unit_test(test_box_value_lives_on_the_heap),
		cmocka_unit_test(test_printed_places_name_their_regions),
	};
	return cmocka_run_group_tests_name("layout", tests, NULL, NULL);
}
