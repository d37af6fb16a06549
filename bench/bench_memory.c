/* bench_memory.c — the seed's memory model, per operation: Vec push growing
 * vs pre-sized, moving and deep-cloning a Vec<String>, a stack frame vs
 * malloc/free of the same size. The workloads vec-growth, copy-move-clone and
 * stack-vs-heap show the same operations with their allocations counted; here
 * they go through the harness (calibrated samples, statistics, pairs).
 *
 * Every benchmark uses the real rl_vec / rl_string (include/racelab/vec.h).
 * Each thread owns its vectors (thread_init), so nothing is shared.
 */
#include <stdlib.h>
#include <string.h>

#include <racelab/status.h>
#include <racelab/vec.h>

#include "bench_defs.h"
#include "harness.h"

/* ------------------------------------------------------------------------
 * Vec<i32>::push, growing from empty vs into Vec::with_capacity. A vector is
 * refilled from scratch every VEC_RUN pushes, so an operation is one push
 * with its share of the reallocations (growing) or of one allocation
 * (pre-sized), and of the final free.
 * ---------------------------------------------------------------------- */

#define VEC_RUN 65536u

struct vec_local {
	struct rl_vec v;
	bool presized;
};

static int vec_init(struct vec_local *l, bool presized)
{
	l->presized = presized;
	return presized ? rl_vec_with_capacity(&l->v, sizeof(int32_t), VEC_RUN) : (l->v = RL_VEC_NEW, RL_OK);
}

static int vec_grow_init(void *shared, unsigned idx, void **local)
{
	struct vec_local *l = malloc(sizeof *l);
	if (!l)
		return RL_ENOMEM;
	*local = l;
	return vec_init(l, false);
}

static int vec_sized_init(void *shared, unsigned idx, void **local)
{
	struct vec_local *l = malloc(sizeof *l);
	if (!l)
		return RL_ENOMEM;
	*local = l;
	int err = vec_init(l, true);
	if (err) {
		free(l);
		*local = NULL;
	}
	return err;
}

static void vec_fini(void *shared, void *local, unsigned idx)
{
	struct vec_local *l = local;
	if (l)
		rl_vec_drop(&l->v, sizeof(int32_t), NULL);
	free(l);
}

static int run_vec_push(void *shared, void *local, unsigned idx, uint64_t iters)
{
	struct vec_local *l = local;
	for (uint64_t i = 0; i < iters; i++) {
		if (l->v.len == VEC_RUN) {
			rl_vec_drop(&l->v, sizeof(int32_t), NULL);
			int err = vec_init(l, l->presized);
			if (err)
				return err;
		}
		int32_t x = (int32_t)i;
		int err = rl_vec_push(&l->v, sizeof x, &x);
		if (err)
			return err;
		rl_bench_escape(l->v.ptr);
	}
	return RL_OK;
}

const struct rl_bench rl_bench_vec_push_grow = {
	.name = "vec-push-grow",
	.series = "Vec push, growing",
	.what = "rl_vec_push of an i32 into a Vec that starts empty (Rust's growth: 4, 8, 16, ...), refilled every 64 Ki",
	.thread_init = vec_grow_init, .run = run_vec_push, .thread_fini = vec_fini,
};

const struct rl_bench rl_bench_vec_push_presized = {
	.name = "vec-push-presized",
	.series = "Vec push, pre-sized",
	.what = "the same pushes into Vec::with_capacity(64 Ki): no reallocation",
	.thread_init = vec_sized_init, .run = run_vec_push, .thread_fini = vec_fini,
	.pair = "vec-push-grow",
};

/* ------------------------------------------------------------------------
 * A Vec<String> of "Odin", "Thor", "Loki": a move copies the 3-word header;
 * a clone allocates the header array and every string (and is dropped).
 * ---------------------------------------------------------------------- */

static void drop_strings(struct rl_vec *v)
{
	rl_vec_drop(v, sizeof(struct rl_string), rl_string_drop);
}

static int strings_init(void *shared, unsigned idx, void **local)
{
	static const char *const names[] = {"Odin", "Thor", "Loki"};
	/* Two slots: a move goes from one to the other. */
	struct rl_vec *v = calloc(2, sizeof *v);
	if (!v)
		return RL_ENOMEM;
	*local = v;
	for (size_t i = 0; i < 3; i++) {
		struct rl_string s;
		int err = rl_string_from(&s, names[i], strlen(names[i]));
		if (!err && (err = rl_vec_push(&v[0], sizeof s, &s)) != RL_OK)
			rl_string_drop(&s);
		if (err)
			return err;
	}
	return RL_OK;
}

static void strings_fini(void *shared, void *local, unsigned idx)
{
	struct rl_vec *v = local;
	if (!v)
		return;
	/* After moves both slots hold the same header: it has one owner. */
	bool same = v[1].ptr == v[0].ptr;
	drop_strings(&v[0]);
	if (!same)
		drop_strings(&v[1]);
	free(v);
}

/* `let w = v;` — iteration i moves slot i%2 into the other slot. */
static int run_move(void *shared, void *local, unsigned idx, uint64_t iters)
{
	struct rl_vec *v = local;
	for (uint64_t i = 0; i < iters; i++) {
		struct rl_vec *from = &v[i & 1], *to = &v[(i + 1) & 1];
		*to = *from; /* the source is not touched: Rust just stops using it */
		rl_bench_escape(to);
	}
	return RL_OK;
}

static int run_clone(void *shared, void *local, unsigned idx, uint64_t iters)
{
	struct rl_vec *src = local; /* slot 0: the clone benchmark never moves */
	for (uint64_t i = 0; i < iters; i++) {
		struct rl_vec c;
		int err = rl_vec_clone(&c, src, sizeof(struct rl_string), rl_string_clone, rl_string_drop);
		if (err)
			return err;
		rl_bench_escape(c.ptr);
		drop_strings(&c);
	}
	return RL_OK;
}

const struct rl_bench rl_bench_vec_string_move = {
	.name = "vec-string-move",
	.series = "Vec<String> move",
	.what = "let w = v; for the seed's Vec<String>: its 3-word header copied, nothing allocated",
	.thread_init = strings_init, .run = run_move, .thread_fini = strings_fini,
};

const struct rl_bench rl_bench_vec_string_clone = {
	.name = "vec-string-clone",
	.series = "Vec<String> clone+drop",
	.what = "v.clone() then drop: the header array and each of the 3 strings allocated, copied, freed",
	.thread_init = strings_init, .run = run_clone, .thread_fini = strings_fini,
};

/* ------------------------------------------------------------------------
 * 4 KiB in a stack frame vs malloc/free: both write the first and last byte.
 * ---------------------------------------------------------------------- */

#define BLOCK 4096

static __attribute__((noinline)) unsigned frame_4k(void)
{
	unsigned char buf[BLOCK];
	buf[0] = 1;
	buf[BLOCK - 1] = 2;
	rl_bench_escape(buf);
	return buf[0] + buf[BLOCK - 1];
}

static int run_frame(void *shared, void *local, unsigned idx, uint64_t iters)
{
	unsigned sum = 0;
	for (uint64_t i = 0; i < iters; i++)
		sum += frame_4k();
	RL_BENCH_KEEP(sum);
	return RL_OK;
}

static int run_malloc(void *shared, void *local, unsigned idx, uint64_t iters)
{
	for (uint64_t i = 0; i < iters; i++) {
		unsigned char *p = malloc(BLOCK);
		if (!p)
			return RL_ENOMEM;
		p[0] = 1;
		p[BLOCK - 1] = 2;
		rl_bench_escape(p);
		free(p);
	}
	return RL_OK;
}

const struct rl_bench rl_bench_stack_frame_4k = {
	.name = "stack-frame-4k",
	.series = "4 KiB stack frame",
	.what = "a call whose frame holds 4 KiB (both ends written): the stack pointer moves",
	.run = run_frame,
};

const struct rl_bench rl_bench_malloc_free_4k = {
	.name = "malloc-free-4k",
	.series = "4 KiB malloc+free",
	.what = "malloc(4096), both ends written, free",
	.run = run_malloc,
	.pair = "stack-frame-4k",
};
