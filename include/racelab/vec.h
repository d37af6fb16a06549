/* vec.h — Vec<T>, String, &[T], &str and a `dyn Write` trait object in C,
 * laid out as the seed describes them.
 *
 *   Vec<T>     struct rl_vec      { ptr, cap, len }     3 words; the elements on the heap
 *   String     struct rl_string   a Vec<u8> of UTF-8    3 words
 *   &[T]       struct rl_slice    { ptr, len }          2 words (a fat pointer)
 *   &str       struct rl_str      { ptr, len }          2 words
 *   &dyn Write struct rl_dyn_write { data, vtable }     2 words; the vtable is static
 *
 * The element type is not part of the C type, so every call takes @elem_size
 * (Rust knows size_of::<T>() statically); storing it in the header would make
 * it four words instead of Rust's three. Elements need an alignment of at
 * most alignof(max_align_t), which is what malloc gives.
 *
 * Growth follows Rust's RawVec (alloc/src/raw_vec.rs, grow_amortized): when
 * len == cap, the new capacity is max(2 * cap, len + additional, the minimum
 * non-zero capacity), where that minimum is 8 for 1-byte elements, 4 for
 * elements of at most 1 KiB and 1 above. The buffer is grown with realloc(),
 * as Rust's System allocator does; realloc either extends the block in place
 * or moves it (copying the live bytes, or, for a block above glibc's mmap
 * threshold, remapping its pages). Checked with rustc 1.95: a Vec<i32> pushed
 * one element at a time has capacities 0, 4, 8, 16, ...; a Vec<u8> 0, 8, 16,
 * ...; a Vec<[u8; 2000]> 0, 1, 2, 4, ...
 *
 * Every allocation, reallocation and free made here is counted per thread
 * (rl_vec_alloc_stats), like a counting #[global_allocator] in a Rust test.
 *
 * Context: a Vec is a plain value with one owner; these functions do no
 * locking (Rust's Vec is Send and Sync for Send/Sync T, and &mut access is
 * exclusive by construction). Errors: RL_ENOMEM when the allocator fails,
 * RL_EINVAL for a capacity beyond isize::MAX bytes (Rust panics "capacity
 * overflow"); on error the vector is unchanged.
 */
#ifndef RACELAB_VEC_H
#define RACELAB_VEC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <racelab/cdefs.h>
#include <racelab/rc.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Vec<T>: the seed's (ptr, cap, len). An empty Vec has ptr NULL, cap 0. */
struct rl_vec {
	void *ptr;  /* cap * elem_size bytes on the heap, or NULL */
	size_t cap; /* elements the buffer holds */
	size_t len; /* elements in use */
};
#ifndef __cplusplus
#define RL_VEC_NEW ((struct rl_vec){NULL, 0, 0})
#else
#define RL_VEC_NEW (rl_vec{NULL, 0, 0}) /* C++ has no compound literals */
#endif

/* &[T]: a pointer to the first element and a length (no capacity, no ownership). */
struct rl_slice {
	const void *ptr;
	size_t len;
};

/* String: a Vec<u8> holding UTF-8 (not NUL-terminated). */
struct rl_string {
	struct rl_vec vec;
};
#ifndef __cplusplus
#define RL_STRING_NEW ((struct rl_string){RL_VEC_NEW})
#else
#define RL_STRING_NEW (rl_string{RL_VEC_NEW})
#endif

/* &str: a pointer to UTF-8 bytes and their length. */
struct rl_str {
	const char *ptr;
	size_t len;
};

/* Clone *@src into uninitialised *@dst. Return: RL_OK or RL_ENOMEM (nothing left behind). */
typedef int rl_clone_fn(void *dst, const void *src);

/**
 * rl_vec_min_non_zero_cap() - RawVec::MIN_NON_ZERO_CAP for @elem_size.
 *
 * Return: 8 for 1-byte elements, 4 up to 1024 bytes, 1 above (0 for 0).
 */
size_t rl_vec_min_non_zero_cap(size_t elem_size);

/**
 * rl_vec_grow_cap() - the capacity Vec grows to (RawVec::grow_amortized).
 * @cap: the current capacity.
 * @required: the capacity needed (len + additional), more than @cap.
 *
 * Return: max(2 * @cap, @required, rl_vec_min_non_zero_cap(@elem_size)),
 * or 0 when that is more than isize::MAX bytes (Rust: "capacity overflow").
 */
size_t rl_vec_grow_cap(size_t cap, size_t required, size_t elem_size);

/**
 * rl_vec_with_capacity() - Vec::with_capacity: an empty vector with room for @cap.
 * @v: receives the vector (need not be initialised).
 *
 * Return: RL_OK, RL_ENOMEM or RL_EINVAL (*@v is then RL_VEC_NEW).
 */
int rl_vec_with_capacity(struct rl_vec *v, size_t elem_size, size_t cap);

/**
 * rl_vec_reserve() - Vec::reserve: room for at least @additional more elements.
 *
 * Grows to rl_vec_grow_cap(cap, len + @additional) when the spare capacity is
 * short, with one realloc(); otherwise does nothing.
 * Return: RL_OK, RL_ENOMEM or RL_EINVAL (the vector unchanged).
 */
int rl_vec_reserve(struct rl_vec *v, size_t elem_size, size_t additional);

/**
 * rl_vec_push() - Vec::push: copy @elem_size bytes from @elem to the end.
 *
 * Return: RL_OK, or RL_ENOMEM / RL_EINVAL when growing failed (the vector unchanged).
 */
int rl_vec_push(struct rl_vec *v, size_t elem_size, const void *elem);

/* Element @i, or NULL when @i >= len (Vec::get). C++: a function of the library (racelab/cdefs.h). */
#if defined(__cplusplus) || defined(RL__INLINE_EXTERN)
void *rl_vec_get(const struct rl_vec *v, size_t elem_size, size_t i);
#endif
#ifndef __cplusplus
RL__INLINE void *rl_vec_get(const struct rl_vec *v, size_t elem_size, size_t i)
{
	return i < v->len ? (unsigned char *)v->ptr + i * elem_size : NULL;
}
#endif

/**
 * rl_vec_slice() - &v[@from..@to]: a fat pointer into the buffer; nothing is copied.
 *
 * Return: the slice; { NULL, 0 } when the range is out of bounds or reversed
 * (where Rust panics).
 */
struct rl_slice rl_vec_slice(const struct rl_vec *v, size_t elem_size, size_t from, size_t to);

/**
 * rl_vec_clone() - Vec::clone: a new buffer of exactly len elements, each cloned.
 * @dst: receives the clone (need not be initialised).
 * @clone: clones one element; NULL copies the bytes (a Copy type).
 * @drop: drops one element (used to undo a partial clone); may be NULL.
 *
 * Return: RL_OK, or RL_ENOMEM with *@dst = RL_VEC_NEW and nothing allocated.
 */
int rl_vec_clone(struct rl_vec *dst, const struct rl_vec *src, size_t elem_size, rl_clone_fn *clone,
		 rl_drop_fn *drop);

/**
 * rl_vec_drop() - drop every element with @drop (if not NULL), free the buffer.
 *
 * Leaves *@v as RL_VEC_NEW.
 */
void rl_vec_drop(struct rl_vec *v, size_t elem_size, rl_drop_fn *drop);

/**
 * rl_string_from() - String::from(&str): copy @len bytes into a new buffer of
 * capacity exactly @len (no allocation when @len is 0).
 *
 * Return: RL_OK or RL_ENOMEM (*@s is then RL_STRING_NEW).
 */
int rl_string_from(struct rl_string *s, const char *str, size_t len);

/**
 * rl_string_push_str() - String::push_str: append @len bytes (amortised growth).
 *
 * Return: RL_OK, RL_ENOMEM or RL_EINVAL (the string unchanged).
 */
int rl_string_push_str(struct rl_string *s, const char *str, size_t len);

/* String::clone (capacity == len). rl_clone_fn-compatible: @dst, @src are struct rl_string *. */
int rl_string_clone(void *dst, const void *src);

/* Drop a String (free its buffer). rl_drop_fn-compatible: @s is a struct rl_string *. */
void rl_string_drop(void *s);

/* String::as_str: the whole string as a &str (no copy). C++: a function of the library. */
#if defined(__cplusplus) || defined(RL__INLINE_EXTERN)
struct rl_str rl_string_as_str(const struct rl_string *s);
#endif
#ifndef __cplusplus
RL__INLINE struct rl_str rl_string_as_str(const struct rl_string *s)
{
	return (struct rl_str){(const char *)s->vec.ptr, s->vec.len};
}
#endif

/**
 * rl_str_slice() - &s[@from..@to]: a &str into the same bytes; nothing is copied.
 *
 * Return: the slice; { NULL, 0 } out of bounds (Rust panics; racelab does not
 * check UTF-8 boundaries).
 */
struct rl_str rl_str_slice(struct rl_str s, size_t from, size_t to);

/* What rl_vec and rl_string asked the allocator for, on the calling thread. */
struct rl_alloc_stats {
	uint64_t allocs;   /* malloc calls (a new buffer) */
	uint64_t reallocs; /* realloc calls (a buffer grown) */
	uint64_t frees;    /* free calls */
	uint64_t bytes;    /* bytes requested: new buffers, plus what reallocs added */
	uint64_t live;     /* buffers allocated and not yet freed */
};

/**
 * rl_vec_alloc_stats() - the calling thread's allocation counts since it started.
 *
 * Context: any thread; counts are per thread (no synchronisation). A buffer
 * freed on another thread than the one that allocated it counts there.
 */
void rl_vec_alloc_stats(struct rl_alloc_stats *out);

/*
 * A trait object: `&mut dyn Write` is a data pointer and a pointer to the
 * vtable of the value's type. Rust's vtable (rustc 1.95, checked by reading
 * the words behind a `&mut dyn std::io::Write` made from a `&mut Vec<u8>`):
 * drop_in_place, size, align, then the trait's methods in declaration order,
 * leaving out those with `where Self: Sized` (by_ref). The table is generated
 * once per type and shared by every object of that type.
 */
struct rl_write_vtable {
	void (*drop_in_place)(void *self);
	size_t size;
	size_t align;
	int (*write)(void *self, const void *buf, size_t len, size_t *written);
	int (*write_vectored)(void *self, const struct iovec *bufs, size_t n, size_t *written);
	bool (*is_write_vectored)(const void *self);
	int (*flush)(void *self);
	int (*write_all)(void *self, const void *buf, size_t len);
	int (*write_all_vectored)(void *self, struct iovec *bufs, size_t n);
	int (*write_fmt)(void *self, const char *fmt, va_list ap);
};

/* &mut dyn Write. */
struct rl_dyn_write {
	void *data;
	const struct rl_write_vtable *vtable;
};

/* Vec<u8>'s impl Write: every write appends to the vector. */
extern const struct rl_write_vtable rl_vec_u8_write_vtable;

/* `let w: &mut dyn Write = &mut buffer;` for a Vec<u8> (@v holds 1-byte elements).
 * C++: a function of the library. */
#if defined(__cplusplus) || defined(RL__INLINE_EXTERN)
struct rl_dyn_write rl_vec_as_dyn_write(struct rl_vec *v);
#endif
#ifndef __cplusplus
RL__INLINE struct rl_dyn_write rl_vec_as_dyn_write(struct rl_vec *v)
{
	return (struct rl_dyn_write){v, &rl_vec_u8_write_vtable};
}
#endif

/**
 * rl_dyn_write_fmt() - write!(w, ...): a call through the vtable's write_fmt.
 *
 * Return: what the implementation returns (RL_OK, RL_ENOMEM, ...).
 */
int rl_dyn_write_fmt(struct rl_dyn_write w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif
#endif
