/* vec.c — Vec<T>, String and Vec<u8>'s `impl Write` (include/racelab/vec.h).
 *
 * Invariant: len <= cap; ptr is NULL exactly when no buffer is allocated
 * (cap == 0, or a zero-sized element type, whose capacity is SIZE_MAX as in
 * Rust); cap * elem_size never exceeds isize::MAX. Every malloc/realloc/free
 * goes through the three counting wrappers below.
 */
#include <racelab/vec.h>

#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <racelab/status.h>

/* Rust's limit on the size of one allocation (Layout: at most isize::MAX). */
#define MAX_ALLOC ((size_t)PTRDIFF_MAX)

/* ---- the counting allocator --------------------------------------------- */

/* Per thread, so counting needs no atomics and races with nothing. Per OS
 * thread: the model's threads that run as fibers of one (core/fiber.h)
 * count together, as the pooled OS threads count their rl threads. */
static _Thread_local struct rl_alloc_stats stats;

static void *count_malloc(size_t bytes)
{
	void *p = malloc(bytes);
	if (p) {
		stats.allocs++;
		stats.bytes += bytes;
		stats.live++;
	}
	return p;
}

static void *count_realloc(void *old, size_t old_bytes, size_t bytes)
{
	void *p = realloc(old, bytes);
	if (p) {
		stats.reallocs++;
		stats.bytes += bytes > old_bytes ? bytes - old_bytes : 0;
	}
	return p;
}

static void count_free(void *p)
{
	if (p) {
		stats.frees++;
		stats.live--;
	}
	free(p);
}

void rl_vec_alloc_stats(struct rl_alloc_stats *out)
{
	*out = stats;
}

/* ---- Vec<T> --------------------------------------------------------------- */

size_t rl_vec_min_non_zero_cap(size_t elem_size)
{
	if (elem_size == 0)
		return 0;
	return elem_size == 1 ? 8 : elem_size <= 1024 ? 4 : 1;
}

size_t rl_vec_grow_cap(size_t cap, size_t required, size_t elem_size)
{
	size_t doubled = cap <= SIZE_MAX / 2 ? cap * 2 : SIZE_MAX;
	size_t n = doubled > required ? doubled : required;
	size_t min = rl_vec_min_non_zero_cap(elem_size);
	if (n < min)
		n = min;
	if (elem_size && n > MAX_ALLOC / elem_size)
		return 0;
	return n;
}

/* Give @v a buffer of exactly @cap elements (cap > v->cap). */
static int set_cap(struct rl_vec *v, size_t elem_size, size_t cap)
{
	if (elem_size == 0) {
		v->cap = SIZE_MAX;
		return RL_OK;
	}
	if (cap > MAX_ALLOC / elem_size)
		return RL_EINVAL;
	void *p = v->ptr ? count_realloc(v->ptr, v->cap * elem_size, cap * elem_size)
			 : count_malloc(cap * elem_size);
	if (!p)
		return RL_ENOMEM;
	v->ptr = p;
	v->cap = cap;
	return RL_OK;
}

int rl_vec_with_capacity(struct rl_vec *v, size_t elem_size, size_t cap)
{
	*v = RL_VEC_NEW;
	if (cap == 0 && elem_size != 0)
		return RL_OK;
	int err = set_cap(v, elem_size, cap);
	if (err)
		*v = RL_VEC_NEW;
	return err;
}

int rl_vec_reserve(struct rl_vec *v, size_t elem_size, size_t additional)
{
	if (v->cap - v->len >= additional)
		return RL_OK;
	if (additional > SIZE_MAX - v->len)
		return RL_EINVAL;
	size_t cap = rl_vec_grow_cap(v->cap, v->len + additional, elem_size);
	if (cap == 0)
		return RL_EINVAL;
	return set_cap(v, elem_size, cap);
}

int rl_vec_push(struct rl_vec *v, size_t elem_size, const void *elem)
{
	if (v->len == v->cap) {
		int err = rl_vec_reserve(v, elem_size, 1);
		if (err)
			return err;
	}
	if (elem_size)
		memcpy((unsigned char *)v->ptr + v->len * elem_size, elem, elem_size);
	v->len++;
	return RL_OK;
}

struct rl_slice rl_vec_slice(const struct rl_vec *v, size_t elem_size, size_t from, size_t to)
{
	if (from > to || to > v->len)
		return (struct rl_slice){NULL, 0};
	return (struct rl_slice){(const unsigned char *)v->ptr + from * elem_size, to - from};
}

int rl_vec_clone(struct rl_vec *dst, const struct rl_vec *src, size_t elem_size, rl_clone_fn *clone,
		 rl_drop_fn *drop)
{
	/* <[T]>::to_vec: with_capacity(len), then clone element by element. */
	int err = rl_vec_with_capacity(dst, elem_size, src->len);
	if (err)
		return err;
	if (!clone) {
		if (src->len && elem_size)
			memcpy(dst->ptr, src->ptr, src->len * elem_size);
		dst->len = src->len;
		return RL_OK;
	}
	for (size_t i = 0; i < src->len; i++) {
		err = clone((unsigned char *)dst->ptr + i * elem_size, (const unsigned char *)src->ptr + i * elem_size);
		if (err) {
			rl_vec_drop(dst, elem_size, drop);
			return err;
		}
		dst->len = i + 1;
	}
	return RL_OK;
}

void rl_vec_drop(struct rl_vec *v, size_t elem_size, rl_drop_fn *drop)
{
	if (drop)
		for (size_t i = 0; i < v->len; i++)
			drop((unsigned char *)v->ptr + i * elem_size);
	count_free(v->ptr);
	*v = RL_VEC_NEW;
}

/* ---- String ----------------------------------------------------------------- */

int rl_string_from(struct rl_string *s, const char *str, size_t len)
{
	int err = rl_vec_with_capacity(&s->vec, 1, len);
	if (err)
		return err;
	if (len)
		memcpy(s->vec.ptr, str, len);
	s->vec.len = len;
	return RL_OK;
}

int rl_string_push_str(struct rl_string *s, const char *str, size_t len)
{
	int err = rl_vec_reserve(&s->vec, 1, len);
	if (err)
		return err;
	if (len)
		memcpy((char *)s->vec.ptr + s->vec.len, str, len);
	s->vec.len += len;
	return RL_OK;
}

int rl_string_clone(void *dst, const void *src)
{
	const struct rl_string *from = src;
	return rl_string_from(dst, from->vec.ptr, from->vec.len);
}

void rl_string_drop(void *s)
{
	rl_vec_drop(&((struct rl_string *)s)->vec, 1, NULL);
}

struct rl_str rl_str_slice(struct rl_str s, size_t from, size_t to)
{
	if (from > to || to > s.len)
		return (struct rl_str){NULL, 0};
	return (struct rl_str){s.ptr + from, to - from};
}

/* ---- impl Write for Vec<u8> --------------------------------------------------
 * As std's: write and write_all append the whole buffer; the vectored forms
 * reserve the total once, then append each slice (is_write_vectored: true);
 * flush does nothing; write_fmt is the trait's default (format, then write_all).
 */

static void vec_u8_drop_in_place(void *self)
{
	rl_vec_drop(self, 1, NULL);
}

static int append(struct rl_vec *v, const void *buf, size_t len)
{
	int err = rl_vec_reserve(v, 1, len);
	if (err)
		return err;
	if (len)
		memcpy((unsigned char *)v->ptr + v->len, buf, len);
	v->len += len;
	return RL_OK;
}

static int vec_u8_write(void *self, const void *buf, size_t len, size_t *written)
{
	int err = append(self, buf, len);
	*written = err ? 0 : len;
	return err;
}

static int vec_u8_write_vectored(void *self, const struct iovec *bufs, size_t n, size_t *written)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		if (bufs[i].iov_len > SIZE_MAX - total)
			return RL_EINVAL;
		total += bufs[i].iov_len;
	}
	int err = rl_vec_reserve(self, 1, total);
	for (size_t i = 0; !err && i < n; i++)
		err = append(self, bufs[i].iov_base, bufs[i].iov_len);
	*written = err ? 0 : total;
	return err;
}

static bool vec_u8_is_write_vectored(const void *self)
{
	(void)self;
	return true;
}

static int vec_u8_flush(void *self)
{
	(void)self;
	return RL_OK;
}

static int vec_u8_write_all(void *self, const void *buf, size_t len)
{
	return append(self, buf, len);
}

static int vec_u8_write_all_vectored(void *self, struct iovec *bufs, size_t n)
{
	size_t written;
	return vec_u8_write_vectored(self, bufs, n, &written);
}

static int vec_u8_write_fmt(void *self, const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	int err = n < 0 ? RL_EINVAL : RL_OK;
	struct rl_vec *v = self;
	/* Room for vsnprintf's terminating NUL, which is not part of the output. */
	if (!err)
		err = rl_vec_reserve(v, 1, (size_t)n + 1);
	if (!err) {
		vsnprintf((char *)v->ptr + v->len, (size_t)n + 1, fmt, again);
		v->len += (size_t)n;
	}
	va_end(again);
	return err;
}

const struct rl_write_vtable rl_vec_u8_write_vtable = {
	.drop_in_place = vec_u8_drop_in_place,
	.size = sizeof(struct rl_vec),
	.align = alignof(struct rl_vec),
	.write = vec_u8_write,
	.write_vectored = vec_u8_write_vectored,
	.is_write_vectored = vec_u8_is_write_vectored,
	.flush = vec_u8_flush,
	.write_all = vec_u8_write_all,
	.write_all_vectored = vec_u8_write_all_vectored,
	.write_fmt = vec_u8_write_fmt,
};

int rl_dyn_write_fmt(struct rl_dyn_write w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int err = w.vtable->write_fmt(w.data, fmt, ap);
	va_end(ap);
	return err;
}
