/* layout.c — the `racelab layout` table: racelab's C layouts beside Rust's.
 *
 * Invariant: every C figure is computed here (sizeof, offsetof, _Alignof, or
 * the mutex backends' size functions, which are offsetof arithmetic on the
 * real block); nothing on the C side is typed in. The Rust figures are
 * constants: each was checked with rustc 1.95.0 on this x86_64 Linux machine
 * by printing std::mem::size_of / align_of (and, for Mutex<i32>, the address
 * of the value inside it), as noted beside the row.
 *
 * Where the two differ on purpose the row says why (a C enum is an int; a C
 * tagged union has no niche; the pthread mutex backend has no Rust twin).
 */
#include <racelab/layout.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <racelab/arc.h>
#include <racelab/barrier.h>
#include <racelab/channel.h>
#include <racelab/condvar.h>
#include <racelab/memmap.h>
#include <racelab/once.h>
#include <racelab/rwlock.h>
#include <racelab/rc.h>
#include <racelab/vec.h>

#include "mutex_backends.h"

static size_t round_up(size_t n, size_t a)
{
	return (n + a - 1) / a * a;
}

static size_t max_size(size_t a, size_t b)
{
	return a > b ? a : b;
}

/* ---- the C side of the seed's examples ---------------------------------- */

/* (char, u8, i32): Rust's char is a 4-byte Unicode scalar value. */
struct seed_tuple {
	uint32_t c;
	uint8_t b;
	int32_t i;
};

/* enum HTTPStatuses { OK, NoFound } — a C enum is an int. */
enum http_status { HTTP_OK_TAG, HTTP_NOT_FOUND_TAG };
/* enum HTTPStatuses { OK = 200, NoFound = 404 } */
enum http_status_code { HTTP_OK = 200, HTTP_NOT_FOUND = 404 };

/* Vec<i32>: (ptr, cap, len). */
struct vec_i32 {
	int32_t *ptr;
	size_t cap;
	size_t len;
};

/* enum Data { Empty, Number(i32), Array(Vec<i32>) } as a C tagged union. */
struct data_vec {
	uint32_t tag;
	union {
		int32_t number;
		struct vec_i32 array;
	} u;
};

/* enum Data { Empty, Number(i32), Array(Box<Vec<i32>>) } */
struct data_box {
	uint32_t tag;
	union {
		int32_t number;
		struct vec_i32 *array;
	} u;
};

/* ---- the table ---------------------------------------------------------- */

enum { MAX_ROWS = 64 };
static struct rl_layout_row table[MAX_ROWS];
static size_t nrows;

static void row(const char *rust_type, long rust_size, long rust_align, const char *c_type,
		size_t c_size, size_t c_align, const char *note)
{
	struct rl_layout_row *r = &table[nrows++];
	r->rust_type = rust_type;
	r->rust_size = rust_size;
	r->rust_align = rust_align;
	r->c_type = c_type;
	r->c_size = c_size;
	r->c_align = c_align;
	r->same = rust_size >= 0 && (size_t)rust_size == c_size && (size_t)rust_align == c_align;
	r->note = note;
}

/* A box {header, value} for a value of @size bytes and @align alignment,
 * laid out as Rust's #[repr(C)] RcInner/ArcInner: the value at @value_off
 * (the header's end, rounded up to @align), the whole rounded to the larger
 * of the two alignments. */
static size_t box_size(size_t value_off, size_t header_align, size_t size, size_t align)
{
	size_t off = round_up(value_off, align);
	return round_up(off + size, max_size(header_align, align));
}

/* ---- the rest of the seed's memory model: Box, Vec, String, slices, dyn ----
 *
 * Every Rust figure below was checked with rustc 1.95.0 on this x86_64 Linux
 * machine by tests/sync/layout_check.rs, which prints size_of/align_of (field
 * offsets by reading a value's words, the vtable by reading the words behind
 * a &mut dyn Write) and compares them with `racelab layout --json`.
 */

/* GCC's packed enum takes the smallest integer type that holds every value,
 * which is what rustc does for a fieldless enum. */
enum __attribute__((packed)) http_status_packed { HTTP_P_OK, HTTP_P_NOT_FOUND };
enum __attribute__((packed)) http_status_code_packed { HTTP_P_200 = 200, HTTP_P_404 = 404 };

/*
 * enum Data { Empty, Number(i32), Array(Vec<i32>) } in 24 bytes, as rustc lays
 * it out: a Vec's capacity never exceeds isize::MAX, so the values from 2^63 up
 * in the capacity word are free to name the other variants (a niche). rustc
 * 1.95 stores 0x8000000000000000 there for Empty and 0x8000000000000001 for
 * Number, with the i32 in the next word (read back by layout_check.rs). C has
 * no niches: the tag goes in the capacity word by hand.
 */
#define DATA_NICHE_EMPTY ((size_t)1 << (sizeof(size_t) * 8 - 1))
#define DATA_NICHE_NUMBER (DATA_NICHE_EMPTY + 1)
union data_niche {
	struct rl_vec array; /* Array: cap <= isize::MAX */
	struct {
		void *unused;
		size_t tag;    /* overlays array.cap: DATA_NICHE_EMPTY or DATA_NICHE_NUMBER */
		int32_t number;
	} other;
};
_Static_assert(offsetof(union data_niche, other.tag) == offsetof(struct rl_vec, cap),
	       "the tag must overlay the capacity word");

static void build_memory_model(void)
{
	/* Box<T> is one pointer to the value on the heap; Box<Vec<T>> points at the header. */
	row("Box<i32>", 8, 8, "int32_t * (malloc'd)", sizeof(int32_t *), alignof(int32_t *),
	    "one word on the stack; the 4-byte value is on the heap");
	row("Box<Vec<i32>>", 8, 8, "struct rl_vec *", sizeof(struct rl_vec *), alignof(struct rl_vec *),
	    "one word; the (ptr, cap, len) header moves to the heap");
	row("char", 4, 4, "uint32_t", sizeof(uint32_t), alignof(uint32_t),
	    "a Unicode scalar value: always 4 bytes");
	row("[i32; 3]", 12, 4, "int32_t[3]", sizeof(int32_t[3]), alignof(int32_t[3]),
	    "the length is part of the type: three values, no header");

	/* Vec and String: three words. The order of the words is unspecified in
	 * Rust (repr(Rust)); rustc 1.95 puts the capacity first. */
	row("Vec<i32>.ptr offset", 8, 8, "offsetof(struct rl_vec, ptr)", offsetof(struct rl_vec, ptr),
	    alignof(void *), "Rust's field order is the compiler's choice: rustc 1.95 has cap, ptr, len");
	row("Vec<i32>.cap offset", 0, 8, "offsetof(struct rl_vec, cap)", offsetof(struct rl_vec, cap),
	    alignof(size_t), "racelab keeps the seed's order: ptr, cap, len");
	row("Vec<i32>.len offset", 16, 8, "offsetof(struct rl_vec, len)", offsetof(struct rl_vec, len),
	    alignof(size_t), "len is the third word in both");
	row("String", 24, 8, "struct rl_string { struct rl_vec vec; }", sizeof(struct rl_string),
	    alignof(struct rl_string), "a Vec<u8> of UTF-8: ptr, cap, len");

	/* Fat pointers: a pointer and a second word of metadata. */
	row("&[i32]", 16, 8, "struct rl_slice { const void *ptr; size_t len; }", sizeof(struct rl_slice),
	    alignof(struct rl_slice), "fat pointer: data pointer + length");
	row("&str", 16, 8, "struct rl_str { const char *ptr; size_t len; }", sizeof(struct rl_str),
	    alignof(struct rl_str), "fat pointer into UTF-8 bytes (.rodata for a literal)");
	row("&dyn Write", 16, 8, "struct rl_dyn_write { void *data; vtable *; }", sizeof(struct rl_dyn_write),
	    alignof(struct rl_dyn_write), "fat pointer: data pointer + vtable pointer");
	row("Box<dyn Write>", 16, 8, "struct rl_dyn_write (data owned)", sizeof(struct rl_dyn_write),
	    alignof(struct rl_dyn_write), "the same two words; the value is on the heap");
	row("dyn Write vtable", 80, 8, "struct rl_write_vtable", sizeof(struct rl_write_vtable),
	    alignof(struct rl_write_vtable), "drop_in_place, size, align + 7 methods, one word each");

	/* The seed's enums, with C spelled to match. */
	row("enum HTTPStatuses {OK, NoFound} (packed C)", 1, 1, "enum __attribute__((packed)) { OK, NoFound }",
	    sizeof(enum http_status_packed), alignof(enum http_status_packed),
	    "a packed C enum picks the smallest integer too");
	row("enum HTTPStatuses {200, 404} (packed C)", 2, 2,
	    "enum __attribute__((packed)) { OK = 200, NoFound = 404 }", sizeof(enum http_status_code_packed),
	    alignof(enum http_status_code_packed), "404 needs 2 bytes: a 2-byte tag in both");
	row("enum Data {.., Array(Vec<i32>)} (C niche)", 24, 8,
	    "union { struct rl_vec; { void *; size_t tag; int32_t; } }", sizeof(union data_niche),
	    alignof(union data_niche), "the tag in the cap word by hand (cap > isize::MAX), as rustc does");
}

/* ---- the vtable of dyn Write --------------------------------------------- */

#define VT(name, rust_index, what) \
	{#name, offsetof(struct rl_write_vtable, name), (rust_index) * (long)sizeof(void *), what}

/* Rust offsets: rustc 1.95, the words behind a &mut dyn std::io::Write made
 * from a &mut Vec<u8>, compared with drop_in_place::<Vec<u8>>, size_of and
 * align_of, and each <Vec<u8> as Write> method's address (layout_check.rs). */
static const struct rl_layout_vtable_entry vtable[] = {
	VT(drop_in_place, 0, "drop the value in place (Vec<u8>: free the buffer)"),
	VT(size, 1, "size_of::<Vec<u8>>()"),
	VT(align, 2, "align_of::<Vec<u8>>()"),
	VT(write, 3, "fn write(&mut self, buf: &[u8]) -> io::Result<usize>"),
	VT(write_vectored, 4, "fn write_vectored(&mut self, bufs: &[IoSlice])"),
	VT(is_write_vectored, 5, "fn is_write_vectored(&self) -> bool"),
	VT(flush, 6, "fn flush(&mut self) -> io::Result<()>"),
	VT(write_all, 7, "fn write_all(&mut self, buf: &[u8])"),
	VT(write_all_vectored, 8, "fn write_all_vectored(&mut self, bufs: &mut [IoSlice])"),
	VT(write_fmt, 9, "fn write_fmt(&mut self, args: fmt::Arguments)"),
};
#undef VT

size_t rl_layout_vtable(const struct rl_layout_vtable_entry **entries)
{
	*entries = vtable;
	return sizeof vtable / sizeof vtable[0];
}

/* ---- the rest of std::sync (rustc 1.95 figures, checked by layout_check.rs) */

static void build_std_sync(size_t arc_hdr, size_t arc_hdr_align)
{
	row("Condvar", 4, 4, "rl_condvar", sizeof(rl_condvar), alignof(rl_condvar),
	    "Rust's futex word, plus a waiter count (no syscall on a notify nobody waits for) and the mutex of the two-mutex check");
	size_t r4 = rl_rwlock_size(sizeof(int32_t));
	row("RwLock<i32>", 16, 4, "rl_rwlock_size(sizeof(int32_t))", r4, alignof(uint32_t),
	    "state + writer_notify futex words, poison flag, value");
	/* Where rl_rwlock_write_guard_get() points: measured on a real lock. */
	size_t off = 0;
	rl_rwlock *l = malloc(r4);
	if (l) {
		rl_rwlock_init(l, sizeof(int32_t));
		rl_rwlock_read_guard g;
		rl_rwlock_read(l, &g);
		off = (size_t)((const unsigned char *)rl_rwlock_read_guard_get(&g) -
			       (const unsigned char *)l);
		rl_rwlock_read_guard_drop(&g);
		rl_rwlock_destroy(l);
		free(l);
	}
	row("RwLock<i32> value offset", 12, 4, "rl_rwlock_read_guard_get() - lock", off,
	    alignof(int32_t), "the value follows the 10-byte header, aligned");
	row("RwLock<()>", 12, 4, "rl_rwlock_size(0)", rl_rwlock_size(0), alignof(uint32_t),
	    "two words + flag, padded to the words' alignment");
	row("RwLock<u8>", 12, 4, "rl_rwlock_size(sizeof(uint8_t))", rl_rwlock_size(sizeof(uint8_t)),
	    alignof(uint32_t), "the byte fits in the padding");
	row("RwLock<u64>", 24, 8, "rl_rwlock_size(sizeof(uint64_t))",
	    rl_rwlock_size(sizeof(uint64_t)), alignof(uint64_t),
	    "the value is 8-aligned, so the block is too");
	row("ArcInner<RwLock<i32>>", 32, 8, "rl_arc_rwlock_new(sizeof(int32_t), NULL) box",
	    box_size(arc_hdr, arc_hdr_align, r4, alignof(uint32_t)),
	    max_size(arc_hdr_align, alignof(uint32_t)), "Arc<RwLock<T>> is one allocation");
	row("Barrier", 40, 8, "rl_barrier", sizeof(rl_barrier), alignof(rl_barrier),
	    "Rust: Mutex<{count, generation}> + Condvar + n; racelab: count and generation futex words + n");
	row("Once", 4, 4, "rl_once", sizeof(rl_once), alignof(rl_once),
	    "one futex word with Rust's five states");
	row("Sender<i64>", 16, 8, "rl_sender *", sizeof(rl_sender *), alignof(rl_sender *),
	    "Rust: a flavour tag + pointer (array, list, zero channels); racelab has one flavour");
	row("Receiver<i64>", 16, 8, "rl_receiver *", sizeof(rl_receiver *),
	    alignof(rl_receiver *), "as Sender<T>");
}

static void build(void)
{
	/* Handles: one pointer, NULL is None (the null-pointer niche). */
	row("Rc<T>", 8, 8, "rl_rc *", sizeof(rl_rc *), alignof(rl_rc *),
	    "a handle is one machine word");
	row("Arc<T>", 8, 8, "rl_arc *", sizeof(rl_arc *), alignof(rl_arc *),
	    "a handle is one machine word");
	row("sync::Weak<T>", 8, 8, "rl_arc_weak *", sizeof(rl_arc_weak *),
	    alignof(rl_arc_weak *), "a handle is one machine word");
	row("rc::Weak<T>", 8, 8, "rl_rc_weak *", sizeof(rl_rc_weak *), alignof(rl_rc_weak *),
	    "a handle is one machine word");
	row("Option<Arc<T>>", 8, 8, "rl_arc * (NULL = None)", sizeof(rl_arc *),
	    alignof(rl_arc *), "null-pointer niche: None is NULL, no tag");

	/* Boxes: {strong, weak, value}, 16-byte header. */
	size_t rc_hdr = offsetof(rl_rc, value), rc_hdr_align = alignof(size_t);
	size_t arc_hdr = offsetof(rl_arc, value), arc_hdr_align = alignof(size_t);
	row("RcInner<T> header", 16, 8, "offsetof(rl_rc, value)", rc_hdr, rc_hdr_align,
	    "strong and weak counts, one word each");
	row("RcInner<i32>", 24, 8, "rl_rc header + int32_t",
	    box_size(rc_hdr, rc_hdr_align, sizeof(int32_t), alignof(int32_t)),
	    max_size(rc_hdr_align, alignof(int32_t)), "16-byte header + 4-byte value, padded to 8");
	row("ArcInner<T> header", 16, 8, "offsetof(rl_arc, value)", arc_hdr, arc_hdr_align,
	    "atomic strong and weak counts, one word each");
	row("ArcInner<i32>", 24, 8, "rl_arc header + int32_t",
	    box_size(arc_hdr, arc_hdr_align, sizeof(int32_t), alignof(int32_t)),
	    max_size(arc_hdr_align, alignof(int32_t)), "16-byte header + 4-byte value, padded to 8");

	/* Mutex<T>: {lock word, poison, value}; the value offset byte sits in Rust's padding. */
	size_t m4 = rl_fmutex_size(sizeof(int32_t)), m4_align = rl_fmutex_align(sizeof(int32_t));
	row("ArcInner<Mutex<i32>>", 32, 8, "rl_arc_mutex_new(sizeof(int32_t), NULL) box",
	    box_size(arc_hdr, arc_hdr_align, m4, m4_align), max_size(arc_hdr_align, m4_align),
	    "Arc<Mutex<T>> is one allocation");
	row("Mutex<i32>", 12, 4, "rl_fmutex_size(sizeof(int32_t))", m4, m4_align,
	    "4-byte futex word + poison flag + value");
	row("Mutex<i32> value offset", 8, 4, "rl_fmutex_value_offset(sizeof(int32_t))",
	    rl_fmutex_value_offset(sizeof(int32_t)), alignof(int32_t),
	    "the value follows the 6-byte lock+flag header, aligned");
	row("Mutex<()>", 8, 4, "rl_fmutex_size(0)", rl_fmutex_size(0), rl_fmutex_align(0),
	    "lock word + flag, padded to the word's alignment");
	row("Mutex<u8>", 8, 4, "rl_fmutex_size(sizeof(uint8_t))", rl_fmutex_size(sizeof(uint8_t)),
	    rl_fmutex_align(sizeof(uint8_t)), "the byte fits in the padding");
	row("Mutex<u64>", 16, 8, "rl_fmutex_size(sizeof(uint64_t))",
	    rl_fmutex_size(sizeof(uint64_t)), rl_fmutex_align(sizeof(uint64_t)),
	    "the value is 8-aligned, so the block is too");
	row("Mutex<i32> (pthread backend)", -1, -1, "rl_pmutex_size(sizeof(int32_t))",
	    rl_pmutex_size(sizeof(int32_t)), rl_pmutex_align(sizeof(int32_t)),
	    "a pthread_mutex_t lock word; Rust on Linux uses a futex");
	build_std_sync(arc_hdr, arc_hdr_align);

	/* The seed's value types. */
	row("(char, u8, i32)", 12, 4, "struct { uint32_t c; uint8_t b; int32_t i; }",
	    sizeof(struct seed_tuple), alignof(struct seed_tuple),
	    "9 bytes of fields padded to a multiple of align 4");
	row("Vec<i32>", 24, 8, "struct { int32_t *ptr; size_t cap, len; }", sizeof(struct vec_i32),
	    alignof(struct vec_i32), "pointer, capacity, length");
	row("enum HTTPStatuses {OK, NoFound}", 1, 1, "enum { OK, NoFound }",
	    sizeof(enum http_status), alignof(enum http_status),
	    "Rust picks the smallest tag integer; a C enum is an int");
	row("enum HTTPStatuses {OK=200, NoFound=404}", 2, 2,
	    "enum { OK = 200, NoFound = 404 }", sizeof(enum http_status_code),
	    alignof(enum http_status_code), "404 needs 2 bytes in Rust; C still uses an int");
	row("enum Data {.., Array(Vec<i32>)}", 24, 8,
	    "struct { uint32_t tag; union { int32_t; Vec } }", sizeof(struct data_vec),
	    alignof(struct data_vec), "Data = Empty | Number(i32) | Array(Vec<i32>): Rust hides the tag in Vec's capacity niche; C needs a tag word");
	row("enum Data {.., Array(Box<Vec<i32>>)}", 16, 8,
	    "struct { uint32_t tag; union { int32_t; Vec * } }", sizeof(struct data_box),
	    alignof(struct data_box), "boxing the large variant shrinks the enum to tag + pointer");
	row("Option<Box<T>>", 8, 8, "T * (NULL = None)", sizeof(void *), alignof(void *),
	    "null-pointer niche: no tag");

	build_memory_model();
}

size_t rl_layout_rows(const struct rl_layout_row **rows)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, build);
	*rows = table;
	return nrows;
}

/* ---- output ------------------------------------------------------------- */

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void json_long(FILE *out, long v)
{
	if (v < 0)
		fputs("null", out);
	else
		fprintf(out, "%ld", v);
}

/* ---- where values live ------------------------------------------------------
 * The seed's values, made here and looked up with rl_mem_where(): the region
 * comes from this process's mappings and ELF headers as they are now.
 */

static int32_t seed_counter = 1; /* static mut COUNTER: i32 = 1;   -> .data */
static int32_t seed_zeros[16];   /* static mut ZEROS: [i32; 16];   -> .bss  */

/* Large enough that glibc always maps it on its own: above the largest mmap
 * threshold (32 MiB on 64-bit), which a free() can raise the threshold to. */
#define BIG_VEC ((size_t)32 << 20)

struct place {
	const char *what;
	const char *rust;
	const void *addr;
};

static void print_place(FILE *out, bool json, const struct place *p)
{
	struct rl_mem_where w;
	rl_mem_where(p->addr, &w);
	char flags[4];
	rl_mem_seg_flags(w.seg_flags, flags);
	const char *base = strrchr(w.object, '/');
	base = base ? base + 1 : w.object;
	if (json) {
		fputs("{\"place\":", out);
		json_string(out, p->what);
		fputs(",\"rust\":", out);
		json_string(out, p->rust);
		fprintf(out, ",\"address\":\"%#" PRIxPTR "\",\"region\":\"%s\",\"section\":", w.addr,
			rl_mem_kind_name(w.kind));
		json_string(out, w.section);
		fputs(",\"object\":", out);
		json_string(out, w.object);
		if (w.segment >= 0)
			fprintf(out, ",\"segment\":%d,\"segment_flags\":\"%s\"", w.segment, flags);
		else
			fputs(",\"segment\":null,\"segment_flags\":null", out);
		fprintf(out, ",\"map_start\":\"%#" PRIxPTR "\",\"map_end\":\"%#" PRIxPTR "\",\"perms\":", w.map_start,
			w.map_end);
		json_string(out, w.perms);
		fputs(",\"map_name\":", out);
		json_string(out, w.map_name);
		fputs(",\"type\":\"place\"}\n", out);
		return;
	}
	fprintf(out, "  %-30s %s\n", p->what, p->rust);
	fprintf(out, "  %-30s %#" PRIxPTR "  %s", "", w.addr, rl_mem_kind_label(w.kind));
	if (w.segment >= 0)
		fprintf(out, ": %s%s, PT_LOAD phdr %d (%s) of %s", w.section[0] ? w.section : "(no section)",
			w.in_bss_tail ? " (zero-filled)" : "", w.segment, flags, base);
	fputc('\n', out);
	if (w.map_end) {
		const char *name = w.map_name[0] ? w.map_name : "(anonymous)";
		const char *nb = name[0] == '/' ? strrchr(name, '/') + 1 : name;
		char size[32];
		size_t bytes = w.map_end - w.map_start;
		if (bytes >= ((size_t)1 << 20))
			snprintf(size, sizeof size, "%.1f MiB", (double)bytes / (1 << 20));
		else
			snprintf(size, sizeof size, "%zu KiB", bytes >> 10);
		fprintf(out, "  %-30s mapping %#" PRIxPTR "-%#" PRIxPTR " %s %s (%s)\n", "", w.map_start, w.map_end,
			w.perms, nb, size);
	}
}

static void print_places(FILE *out, bool json)
{
	const char *literal = "hello";
	int32_t local = 42;
	int32_t *boxed = malloc(sizeof *boxed);
	struct rl_vec vec = RL_VEC_NEW, big = RL_VEC_NEW;
	static const int32_t elems[] = {55, 66, 77};
	for (size_t i = 0; i < 3; i++)
		if (rl_vec_push(&vec, sizeof(int32_t), &elems[i]))
			break;
	rl_vec_with_capacity(&big, 1, BIG_VEC);
	if (boxed)
		*boxed = 23;
	seed_zeros[0] = seed_counter;

	const struct place places[] = {
		{"string literal \"hello\"", "let s: &'static str = \"hello\";  s.as_ptr()", literal},
		{"local i32", "let x: i32 = 42;  &x", &local},
		{"Box<i32> value", "let b = Box::new(23);  &*b", boxed},
		{"Vec<i32> elements", "let v = vec![55, 66, 77];  v.as_ptr()", vec.ptr},
		{"Vec<u8> of 32 MiB", "Vec::<u8>::with_capacity(32 << 20).as_ptr()", big.ptr},
		{"static, initialised", "static mut COUNTER: i32 = 1;", &seed_counter},
		{"static, zero", "static mut ZEROS: [i32; 16] = [0; 16];", seed_zeros},
		{"function code", "fn main() { .. }  main as *const ()", (const void *)(uintptr_t)&rl_layout_print},
	};
	if (!json) {
		struct rl_mem_where me;
		rl_mem_where(&local, &me);
		fprintf(out, "\nWhere values live (this process, now: /proc/self/maps, dl_iterate_phdr, ELF section "
			     "headers;\nthis thread's stack is %#" PRIxPTR "-%#" PRIxPTR ", %zu KiB)\n",
			me.stack_lo, me.stack_hi, (size_t)(me.stack_hi - me.stack_lo) >> 10);
	}
	for (size_t i = 0; i < sizeof places / sizeof places[0]; i++)
		if (places[i].addr)
			print_place(out, json, &places[i]);
	rl_vec_drop(&big, 1, NULL);
	rl_vec_drop(&vec, sizeof(int32_t), NULL);
	free(boxed);
}

static void print_vtable(FILE *out, bool json)
{
	const struct rl_layout_vtable_entry *e;
	size_t n = rl_layout_vtable(&e);
	if (!json)
		fprintf(out, "\nThe vtable behind &dyn Write (for Vec<u8>): one table per type, shared by every object\n"
			     "  %-20s %-6s %-6s %s\n", "entry", "Rust", "C", "what");
	for (size_t i = 0; i < n; i++) {
		bool same = e[i].rust_offset >= 0 && (size_t)e[i].rust_offset == e[i].c_offset;
		if (json) {
			fputs("{\"vtable\":\"dyn Write (Vec<u8>)\",\"entry\":", out);
			json_string(out, e[i].name);
			fprintf(out, ",\"index\":%zu,\"rust_offset\":%ld,\"c_offset\":%zu,\"same\":%s,\"what\":", i,
				e[i].rust_offset, e[i].c_offset, same ? "true" : "false");
			json_string(out, e[i].what);
			fputs(",\"type\":\"vtable\"}\n", out);
		} else {
			fprintf(out, "  %-20s +%-5ld +%-5zu %s%s\n", e[i].name, e[i].rust_offset, e[i].c_offset,
				e[i].what, same ? "" : "  *");
		}
	}
}

int rl_layout_print(FILE *out, bool json)
{
	const struct rl_layout_row *rows;
	size_t n = rl_layout_rows(&rows);
	if (json) {
		for (size_t i = 0; i < n; i++) {
			const struct rl_layout_row *r = &rows[i];
			fputs("{\"layout\":", out);
			json_string(out, r->rust_type);
			fputs(",\"rust_size\":", out);
			json_long(out, r->rust_size);
			fputs(",\"rust_align\":", out);
			json_long(out, r->rust_align);
			fputs(",\"c_type\":", out);
			json_string(out, r->c_type);
			fprintf(out, ",\"c_size\":%zu,\"c_align\":%zu,\"same\":%s,\"note\":", r->c_size,
				r->c_align, r->same ? "true" : "false");
			json_string(out, r->note);
			fputs(",\"type\":\"layout\"}\n", out);
		}
		print_vtable(out, true);
		print_places(out, true);
		return ferror(out) ? -1 : 0;
	}
	int w = (int)strlen("Rust type");
	for (size_t i = 0; i < n; i++) {
		int len = (int)strlen(rows[i].rust_type);
		w = len > w ? len : w;
	}
	fprintf(out, "%-*s  %-10s %-10s  %s\n", w, "Rust type", "Rust", "C", "C side (measured)");
	fprintf(out, "%-*s  %-10s %-10s\n", w, "", "size/align", "size/align");
	for (size_t i = 0; i < n; i++) {
		const struct rl_layout_row *r = &rows[i];
		char rs[32], cs[32];
		if (r->rust_size < 0)
			snprintf(rs, sizeof rs, "-");
		else
			snprintf(rs, sizeof rs, "%ld/%ld", r->rust_size, r->rust_align);
		snprintf(cs, sizeof cs, "%zu/%zu%s", r->c_size, r->c_align,
			 r->rust_size >= 0 && !r->same ? " *" : "");
		fprintf(out, "%-*s  %-10s %-10s  %s\n", w, r->rust_type, rs, cs, r->c_type);
		fprintf(out, "%-*s  %-10s %-10s    %s\n", w, "", "", "", r->note);
	}
	fprintf(out, "\n* differs from Rust (see the note). Rust: rustc 1.95 size_of/align_of on "
		     "x86_64 Linux; C: sizeof/offsetof/_Alignof.\n");
	print_vtable(out, false);
	print_places(out, false);
	return ferror(out) ? -1 : 0;
}
