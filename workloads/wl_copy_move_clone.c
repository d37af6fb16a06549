/* wl_copy_move_clone.c — copy-move-clone: the seed's Vec<String> of "Odin",
 * "Thor", "Loki", moved (its 3-word header copied), deep-cloned (headers and
 * every string copied), and shared through Rc and Arc (one count updated),
 * timed per operation; the bytes allocated are counted by rl_vec's counting
 * allocator. It runs on the runtime "main" thread alone.
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

static void drop_vec_of_strings(void *value)
{
	rl_vec_drop(value, sizeof(struct rl_string), rl_string_drop);
}

static const char *const seed_names[] = {"Odin", "Thor", "Loki"};

/* The heap's in-use bytes (glibc; not meaningful under a sanitizer's allocator). */
static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

int rl__wl_copy_move_clone(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	uint64_t n = p->iters;
	char a[32];
	struct rl_alloc_stats s0, x, y;
	rl_vec_alloc_stats(&s0);

	/* let v: Vec<String> = vec!["Odin".to_string(), "Thor".to_string(), "Loki".to_string()]; */
	struct rl_vec v = RL_VEC_NEW;
	for (size_t i = 0; i < sizeof seed_names / sizeof seed_names[0]; i++) {
		struct rl_string s;
		int err = rl_string_from(&s, seed_names[i], strlen(seed_names[i]));
		if (!err && (err = rl_vec_push(&v, sizeof s, &s)) != RL_OK)
			rl_string_drop(&s);
		if (err) {
			drop_vec_of_strings(&v);
			return rl__wl_fail(r, err, "cannot build the vector: %s", rl_strerror(err));
		}
	}
	/* What a deep clone must allocate, from the vector itself: its len String
	 * headers in one buffer, then each string's bytes in a buffer of its own. */
	size_t text = 0, clone_allocs = 1;
	for (size_t i = 0; i < v.len; i++) {
		const struct rl_string *s = rl_vec_get(&v, sizeof *s, i);
		text += s->vec.len;
		clone_allocs += s->vec.len > 0;
	}
	size_t clone_bytes = v.len * sizeof(struct rl_string) + text, nstrings = v.len;

	/* Move: `let w = v;` copies v's header, three words; then back again. */
	struct rl_alloc_stats loops0;
	rl_vec_alloc_stats(&loops0);
	x = loops0;
	uint64_t moves = 0;
	double t0 = rl__wl_now();
	while (moves < 2 * n && !rl_workload_stopping()) {
		for (int k = 0; k < 1024; k++) {
			struct rl_vec w = v;
			rl__wl_escape(&w);
			v = w;
			rl__wl_escape(&v);
		}
		moves += 2048;
	}
	double move_ns = moves ? (rl__wl_now() - t0) * 1e9 / (double)moves : 0;
	rl_vec_alloc_stats(&y);
	uint64_t move_allocs = y.allocs - x.allocs;

	/* Clone: `let w = v.clone();` then drop w. */
	uint64_t clones = 0;
	int err = RL_OK;
	t0 = rl__wl_now();
	while (clones < n && !err && !rl_workload_stopping()) {
		for (int k = 0; k < 256 && clones < n && !err; k++) {
			struct rl_vec w;
			err = rl_vec_clone(&w, &v, sizeof(struct rl_string), rl_string_clone, rl_string_drop);
			if (!err) {
				rl__wl_escape(w.ptr);
				drop_vec_of_strings(&w);
				clones++;
			}
		}
	}
	double clone_ns = clones ? (rl__wl_now() - t0) * 1e9 / (double)clones : 0;
	rl_vec_alloc_stats(&x);
	uint64_t cloned_allocs = x.allocs - y.allocs, cloned_bytes = x.bytes - y.bytes;
	if (err) {
		drop_vec_of_strings(&v);
		return rl__wl_fail(r, err, "clone %llu: %s", (unsigned long long)clones + 1, rl_strerror(err));
	}

	/* Rc<Vec<String>>: the header moves into the Rc's box, beside the counts. */
	rl_rc *rc = rl_rc_new(sizeof v, drop_vec_of_strings);
	if (!rc) {
		drop_vec_of_strings(&v);
		return rl__wl_fail(r, RL_ENOMEM, "Rc::new: out of memory");
	}
	memcpy(rl_rc_get(rc), &v, sizeof v);
	v = RL_VEC_NEW;
	size_t heap0 = heap_in_use();
	size_t strong_during;
	uint64_t rc_clones = 0;
	t0 = rl__wl_now();
	while (rc_clones < n && !rl_workload_stopping()) {
		for (int k = 0; k < 1024; k++) {
			rl_rc *c = rl_rc_clone(rc);
			rl__wl_escape(c);
			rl_rc_drop(c);
		}
		rc_clones += 1024;
	}
	double rc_ns = rc_clones ? (rl__wl_now() - t0) * 1e9 / (double)rc_clones : 0;
	size_t heap1 = heap_in_use();
	rl_rc *probe = rl_rc_clone(rc);
	strong_during = rl_rc_strong_count(rc);
	rl_rc_drop(probe);
	size_t strong_after = rl_rc_strong_count(rc);

	/* Arc<Vec<String>>: the same vector, moved out of the Rc into an Arc. */
	rl_arc *arc = rl_arc_new(sizeof v, drop_vec_of_strings);
	if (!arc) {
		rl_rc_drop(rc);
		return rl__wl_fail(r, RL_ENOMEM, "Arc::new: out of memory");
	}
	if (rl_rc_try_unwrap(rc, &v) != RL_OK) {
		rl_arc_drop(arc);
		rl_rc_drop(rc);
		return rl__wl_fail(r, RL_EBUSY, "Rc::try_unwrap: another reference is alive");
	}
	memcpy(rl_arc_get(arc), &v, sizeof v);
	v = RL_VEC_NEW;
	size_t heap2 = heap_in_use();
	uint64_t arc_clones = 0;
	t0 = rl__wl_now();
	while (arc_clones < n && !rl_workload_stopping()) {
		for (int k = 0; k < 1024; k++) {
			rl_arc *c = rl_arc_clone(arc);
			rl__wl_escape(c);
			rl_arc_drop(c);
		}
		arc_clones += 1024;
	}
	double arc_ns = arc_clones ? (rl__wl_now() - t0) * 1e9 / (double)arc_clones : 0;
	size_t heap3 = heap_in_use();
	rl_vec_alloc_stats(&y);
	uint64_t shared_allocs = y.allocs - x.allocs;
	rl_arc_drop(arc);

	rl_vec_alloc_stats(&x);
	r->leaked = x.live - s0.live;
	/* Every byte the four loops allocated, against what the clones needed. */
	rl__wl_counts(r, "bytes allocated", (int64_t)(clones * clone_bytes), (int64_t)(y.bytes - loops0.bytes));
	if (move_allocs || shared_allocs) {
		r->invariant_held = false;
		rl__wl_note(r, "moves allocated %llu times, Rc/Arc clones %llu times: expected none",
			    (unsigned long long)move_allocs, (unsigned long long)shared_allocs);
	}

	rl__wl_measure(r, "move_ns", "move (3 words copied)", move_ns, "ns/op");
	rl__wl_measure(r, "move_bytes", "bytes copied per move", (double)sizeof(struct rl_vec), "bytes");
	/* A loop that Ctrl-C skipped has no figure. */
	if (clones) {
		rl__wl_measure(r, "clone_ns", "deep clone + drop", clone_ns, "ns/op");
		rl__wl_measure(r, "clone_allocs", "allocations per clone", (double)cloned_allocs / (double)clones, "");
		rl__wl_measure(r, "clone_bytes", "bytes allocated per clone", (double)cloned_bytes / (double)clones, "bytes");
	}
	if (rc_clones)
		rl__wl_measure(r, "rc_clone_ns", "Rc clone + drop", rc_ns, "ns/op");
	if (arc_clones)
		rl__wl_measure(r, "arc_clone_ns", "Arc clone + drop", arc_ns, "ns/op");
	rl__wl_measure(r, "shared_allocs", "allocations by Rc/Arc clones", (double)shared_allocs, "");
	if (move_ns > 0 && clone_ns > 0)
		rl__wl_measure(r, "clone_vs_move", "clone / move", clone_ns / move_ns, "x");
	if (rc_ns > 0 && arc_ns > 0)
		rl__wl_measure(r, "arc_vs_rc", "Arc / Rc", arc_ns / rc_ns, "x");

	rl__wl_note(r, "v: Vec<String> of \"Odin\", \"Thor\", \"Loki\": a %zu B header (ptr, cap, len), %zu String headers "
		       "of %zu B in one heap buffer, %zu B of text in %zu more",
		    sizeof(struct rl_vec), nstrings, sizeof(struct rl_string), text, clone_allocs - 1);
	rl__wl_note(r, "move (let w = v): %zu B copied, the header's 3 words; %llu allocations; the strings stay where they are",
		    sizeof(struct rl_vec), (unsigned long long)move_allocs);
	rl__wl_note(r, "clone (v.clone()): %.0f allocations and %s per clone: %zu x %zu B of headers + %zu B of text "
		       "(expected %zu allocations)",
		    clones ? (double)cloned_allocs / (double)clones : 0.0,
		    rl__wl_size(clones ? cloned_bytes / clones : 0, a, sizeof a), nstrings, sizeof(struct rl_string), text,
		    clone_allocs);
	rl__wl_note(r, "Rc::clone: the strong count went 1 -> %zu -> %zu; Arc::clone: the same count, atomic; "
		       "%llu allocations by either",
		    strong_during, strong_after, (unsigned long long)shared_allocs);
	if (!rl__wl_sanitized())
		rl__wl_note(r, "heap in use (mallinfo2) before and after the Rc loop: %zu and %zu bytes; the Arc loop: %zu and %zu",
			    heap0, heap1, heap2, heap3);
	return RL_OK;
}
