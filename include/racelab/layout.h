/* layout.h — racelab's memory layouts beside Rust's (`racelab layout`).
 *
 * Each row names a Rust type, the C type or expression racelab uses for it,
 * and both sizes and alignments. The C figures are computed when the table is
 * built (sizeof, offsetof, _Alignof, and the mutex size functions, which are
 * themselves offsetof arithmetic); the Rust figures are constants measured
 * with rustc 1.95 on x86_64 Linux (size_of/align_of), listed in layout.c.
 */
#ifndef RACELAB_LAYOUT_H
#define RACELAB_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rl_layout_row {
	const char *rust_type; /* e.g. "Mutex<i32>" */
	const char *c_type;    /* what was measured on the C side */
	long rust_size;        /* bytes; -1 when Rust has no counterpart */
	long rust_align;       /* bytes; -1 when Rust has no counterpart */
	size_t c_size;
	size_t c_align;
	bool same;             /* the row claims C and Rust agree on size and alignment */
	const char *note;      /* one line: what the row teaches */
};

/**
 * rl_layout_rows() - the layout table.
 * @rows: receives a pointer to the rows (static storage; do not free).
 *
 * Context: any thread.
 * Return: the number of rows.
 */
size_t rl_layout_rows(const struct rl_layout_row **rows);

/* One entry of a trait object's vtable: where it sits in racelab's C table and
 * in rustc's (the words behind a `&mut dyn std::io::Write` for a Vec<u8>). */
struct rl_layout_vtable_entry {
	const char *name;      /* "drop_in_place", "size", "align", then the methods */
	size_t c_offset;       /* offsetof(struct rl_write_vtable, name) */
	long rust_offset;      /* bytes from the start of rustc 1.95's vtable */
	const char *what;      /* the Rust signature or meaning */
};

/**
 * rl_layout_vtable() - the vtable of `dyn Write` for Vec<u8>, entry by entry.
 * @entries: receives a pointer to the entries (static storage).
 *
 * Context: any thread.
 * Return: the number of entries.
 */
size_t rl_layout_vtable(const struct rl_layout_vtable_entry **entries);

/**
 * rl_layout_print() - print the table for people, or as JSON.
 * @json: false for an aligned text table; true for one JSON object per row,
 *        one per line.
 *
 * After the rows come the vtable of `dyn Write` (JSON: objects with a
 * "vtable" key) and "where values live": a string literal, a local, a Box's
 * value, a Vec's elements, statics and code, each with the region, ELF section
 * and segment, and mapping that hold it in this process now (rl_mem_where();
 * JSON: objects with a "place" key).
 *
 * Return: 0, or -1 if writing to @out failed.
 */
int rl_layout_print(FILE *out, bool json);

#ifdef __cplusplus
}
#endif
#endif
