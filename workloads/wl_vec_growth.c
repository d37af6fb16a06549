/* wl_vec_growth.c — vec-growth: pushes N i32 into an empty rl_vec
 * (include/racelab/vec.h, Rust's growth policy) and records every
 * reallocation: old and new capacity, the bytes that had to move, and whether
 * realloc() moved the buffer or grew it in place. Then it times N pushes into
 * a growing and into a pre-sized vector. It runs on the runtime "main" thread
 * alone.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <racelab/arc.h>
#include <racelab/rc.h>
#include <racelab/status.h>
#include <racelab/vec.h>
#include <racelab/workload.h>

#include "wl.h"
#include "wl_memory.h"

/* What realloc did with a full buffer. */
enum growth_kind { G_FIRST, G_IN_PLACE, G_COPIED, G_REMAPPED };

struct growth {
	size_t old_cap, new_cap;
	size_t len;         /* elements in the buffer when it grew */
	enum growth_kind kind;
};

#define MAX_GROWTHS 64

/* glibc's blocks mapped on their own (above its mmap threshold): how many and
 * their bytes (mallinfo2: hblks, hblkhd). */
struct mapped {
	size_t blocks, bytes;
	bool known; /* false when malloc is a sanitizer's */
};

static struct mapped mapped_now(void)
{
	if (rl__wl_sanitized())
		return (struct mapped){0, 0, false};
	struct mallinfo2 mi = mallinfo2();
	return (struct mapped){mi.hblks, mi.hblkhd, true};
}

/*
 * One push; when it grows the buffer, say how. realloc() grew the block in
 * place when the address stayed. When it moved, the bytes were copied unless
 * glibc had mapped the block on its own: then realloc uses mremap, which moves
 * page mappings and copies nothing. glibc's statistics tell the two apart: an
 * mremap leaves the number of such blocks as it was and changes their bytes;
 * a copy from heap to heap changes neither. Nothing else allocates meanwhile
 * (the workload runs on one thread).
 */
static int push_watched(struct rl_vec *v, int32_t x, struct growth *g, bool *grew)
{
	size_t cap = v->cap;
	void *ptr = v->ptr;
	struct mapped before = v->len == v->cap && ptr ? mapped_now() : (struct mapped){0, 0, false};
	int err = rl_vec_push(v, sizeof x, &x);
	*grew = !err && v->cap != cap;
	if (!*grew)
		return err;
	*g = (struct growth){cap, v->cap, v->len - 1, G_IN_PLACE};
	if (!ptr) {
		g->kind = G_FIRST;
	} else if (v->ptr != ptr) {
		struct mapped after = mapped_now();
		g->kind = before.known && after.known && after.blocks == before.blocks && after.bytes != before.bytes
				  ? G_REMAPPED
				  : G_COPIED;
	}
	return RL_OK;
}

int rl__wl_vec_growth(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	const size_t es = sizeof(int32_t);
	char a[32], b[32];
	if (p->iters > SIZE_MAX / (4 * es) || p->iters * 4 * es > rl__wl_phys_mem() / 2)
		return rl__wl_fail(r, RL_EINVAL, "--iters %llu needs up to %s of memory (this machine has %s)",
				   (unsigned long long)p->iters,
				   rl__wl_size(p->iters <= SIZE_MAX / (4 * es) ? p->iters * 4 * es : SIZE_MAX, a, sizeof a),
				   rl__wl_size(rl__wl_phys_mem(), b, sizeof b));
	size_t n = (size_t)p->iters;

	/* 1. Push one at a time, watching the header for reallocations. */
	struct growth g[MAX_GROWTHS];
	size_t ng = 0, grows = 0;
	struct rl_vec v = RL_VEC_NEW;
	size_t pushed = 0;
	while (pushed < n && !rl_workload_stopping()) {
		size_t end = pushed + 65536 < n ? pushed + 65536 : n;
		for (; pushed < end; pushed++) {
			struct growth one;
			bool grew;
			int err = push_watched(&v, (int32_t)(pushed & 0x7fffffff), &one, &grew);
			if (err) {
				rl_vec_drop(&v, es, NULL);
				return rl__wl_fail(r, err, "push %zu: %s", pushed + 1, rl_strerror(err));
			}
			if (grew && grows++ < MAX_GROWTHS)
				g[ng++] = one;
		}
	}
	size_t good = 0, final_cap = v.cap;
	for (size_t i = 0; i < v.len; i++)
		good += ((int32_t *)v.ptr)[i] == (int32_t)(i & 0x7fffffff);
	rl_vec_drop(&v, es, NULL);

	/* The policy, independently of vec.c: the first push allocates 4 (RawVec's
	 * minimum for 4-byte elements), every later growth doubles. */
	size_t expected = 0, followed = 0, count[4] = {0};
	for (size_t cap = 0; cap < pushed; cap = cap ? 2 * cap : 4)
		expected++;
	uint64_t copied = 0, moved_elems = 0;
	for (size_t i = 0; i < ng; i++) {
		followed += g[i].new_cap == (g[i].old_cap ? 2 * g[i].old_cap : 4) && g[i].len == g[i].old_cap;
		moved_elems += g[i].len;
		copied += g[i].kind == G_COPIED ? g[i].len * es : 0;
		count[g[i].kind]++;
	}

	/* 2. Time N pushes into a growing and into a pre-sized vector, best of 3. */
	double grow_ns = 0, sized_ns = 0;
	for (int round = 0; round < 3 && pushed == n && n && !rl_workload_stopping(); round++) {
		for (int sized = 0; sized < 2; sized++) {
			struct rl_vec w = RL_VEC_NEW;
			double t0 = rl__wl_now();
			int err = sized ? rl_vec_with_capacity(&w, es, n) : RL_OK;
			for (size_t i = 0; !err && i < n; i++) {
				int32_t x = (int32_t)(i & 0x7fffffff);
				err = rl_vec_push(&w, es, &x);
			}
			double ns = (rl__wl_now() - t0) * 1e9 / (double)n;
			rl__wl_escape(w.ptr);
			rl_vec_drop(&w, es, NULL);
			if (err)
				return rl__wl_fail(r, err, "timing pass: %s", rl_strerror(err));
			double *best = sized ? &sized_ns : &grow_ns;
			if (*best == 0 || ns < *best)
				*best = ns;
		}
	}

	rl__wl_counts(r, "reallocations", (int64_t)expected, (int64_t)followed);
	if (good != pushed) {
		r->invariant_held = false;
		rl__wl_note(r, "%zu of %zu elements were not where they were pushed", pushed - good, pushed);
	}
	rl__wl_measure(r, "reallocations", "reallocations", (double)grows, "");
	rl__wl_measure(r, "in_place", "grown in place", (double)count[G_IN_PLACE], "");
	rl__wl_measure(r, "copied", "copied to a new buffer", (double)count[G_COPIED], "");
	rl__wl_measure(r, "remapped", "moved by mremap (no copy)", (double)count[G_REMAPPED], "");
	rl__wl_measure(r, "bytes_copied", "bytes copied", (double)copied, "bytes");
	rl__wl_measure(r, "final_capacity", "final capacity", (double)final_cap, "elements");
	if (grow_ns > 0) {
		rl__wl_measure(r, "grow_ns_per_push", "push, growing from empty", grow_ns, "ns/op");
		rl__wl_measure(r, "presized_ns_per_push", "push, Vec::with_capacity(N)", sized_ns, "ns/op");
		if (sized_ns > 0)
			rl__wl_measure(r, "grow_vs_presized", "growing / pre-sized", grow_ns / sized_ns, "x");
	}

	rl__wl_note(r, "%zu pushes of an i32: %zu reallocations, capacity 0 -> 4 then doubling (Rust's RawVec); "
		       "realloc grew the buffer in place: %zu, copied it: %zu, remapped it: %zu",
		    pushed, grows, count[G_IN_PLACE], count[G_COPIED], count[G_REMAPPED]);
	rl__wl_note(r, "bytes copied: %s. Had every growth copied: %llu elements (%s), fewer than the final capacity "
		       "%zu: each push copies under one element on average, O(1) amortised",
		    rl__wl_size(copied, a, sizeof a), (unsigned long long)moved_elems,
		    rl__wl_size(moved_elems * es, b, sizeof b), final_cap);
	if (!rl__wl_sanitized())
		rl__wl_note(r, "copied or remapped: glibc moves a block it mapped on its own (above its mmap threshold) with "
			       "mremap, pages not bytes (told apart by glibc's mallinfo2 statistics)");
	if (grow_ns > 0)
		rl__wl_note(r, "per push: %.2f ns growing from empty, %.2f ns into Vec::with_capacity(%zu) (best of 3 runs)",
			    grow_ns, sized_ns, n);
	if (grows > ng)
		rl__wl_note(r, "%zu reallocations; the first %d are listed", grows, MAX_GROWTHS);
	/* Then every reallocation, as long as the notes last. */
	static const char *const how[] = {"first buffer", "grown in place", "copied to a new buffer",
					  "remapped (mremap): no bytes copied"};
	for (size_t i = 0; i < ng; i++) {
		if (r->nnotes + 1 >= RL_WL_MAX_NOTES && i + 1 < ng) {
			rl__wl_note(r, "... %zu more reallocations, each doubling the capacity", ng - i);
			break;
		}
		rl__wl_note(r, "cap %9zu -> %-9zu %-9s %s", g[i].old_cap, g[i].new_cap,
			    g[i].kind == G_FIRST ? rl__wl_size(g[i].new_cap * es, a, sizeof a)
						 : rl__wl_size(g[i].len * es, a, sizeof a),
			    how[g[i].kind]);
	}
	return RL_OK;
}
