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

#include <pthread.h>
#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#include <racelab/arc.h>
#include <racelab/rc.h>

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

enum { MAX_ROWS = 32 };
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
			fputs("}\n", out);
		}
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
	return ferror(out) ? -1 : 0;
}
