/* wl_rc.c — the Rc workloads: rc-single, rc-send, rc-cycle, rc-weak.
 *
 * The value in rc-single and rc-send is the seed's Rc<Vec<String>> of three
 * names. Its drop function counts drops, so "dropped exactly once, at the end"
 * is checked, not assumed.
 *
 * rc-send is racy on purpose: the runner quarantines boxes, so a strong count
 * that reaches zero early marks the box dead (reported as a use-after-free,
 * with the references still live at that moment) instead of freeing memory in
 * use. Each thread keeps the number of references it holds in its own padded
 * slot; the quarantine asks for their sum when the count hits zero.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <racelab/rc.h>
#include <racelab/status.h>
#include <racelab/workload.h>

#include "wl.h"

struct names {
	const char *v[3];        /* the seed's vec!["Odin", "Thor", "Loki"] */
	atomic_llong *drops;     /* drop count, kept by the workload */
};

static void names_drop(void *value)
{
	struct names *n = value;
	/* Relaxed: a counter read after the joins. */
	atomic_fetch_add_explicit(n->drops, 1, memory_order_relaxed);
	n->v[0] = n->v[1] = n->v[2] = NULL;
}

static rl_rc *names_new(atomic_llong *drops)
{
	rl_rc *rc = rl_rc_new(sizeof(struct names), names_drop);
	if (rc) {
		struct names *n = rl_rc_get(rc);
		*n = (struct names){{"Odin", "Thor", "Loki"}, drops};
	}
	return rc;
}

/* ---- rc-single ----------------------------------------------------------- */

#define BATCH 1024

int rl__wl_rc_single(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	atomic_llong drops = 0;
	rl_rc *rc = names_new(&drops);
	rl_rc *held[BATCH];
	if (!rc)
		return rl__wl_fail(r, RL_ENOMEM, "out of memory");
	uint64_t done = 0, bad_peaks = 0;
	size_t peak = 0;
	/* Clone in batches of up to 1024 owners, check the count, drop them. */
	while (done < p->iters && !rl_workload_stopping()) {
		size_t k = p->iters - done < BATCH ? (size_t)(p->iters - done) : BATCH;
		for (size_t i = 0; i < k; i++)
			held[i] = rl_rc_clone(rc);
		size_t s = rl_rc_strong_count(rc);
		bad_peaks += s != k + 1;
		if (s > peak)
			peak = s;
		for (size_t i = 0; i < k; i++)
			rl_rc_drop(held[i]);
		done += k;
	}
	size_t end = rl_rc_strong_count(rc);
	rl__wl_counts(r, "references", 1, (int64_t)end);
	rl_rc_drop(rc);
	long long d = atomic_load_explicit(&drops, memory_order_relaxed);
	r->invariant_held = r->invariant_held && d == 1 && bad_peaks == 0;
	rl__wl_measure(r, "clones", "clones and drops", (double)done, "");
	rl__wl_measure(r, "peak_strong", "peak strong count", (double)peak, "");
	rl__wl_measure(r, "drops", "value drops", (double)d, "");
	rl__wl_note(r, "%llu clones and drops on 'main'; the count peaked at %zu and came back to %zu",
		    (unsigned long long)done, peak, end);
	rl__wl_note(r, "the value was dropped %lld time%s, by the last owner", d, d == 1 ? "" : "s");
	return RL_OK;
}

/* ---- rc-send ------------------------------------------------------------- */

struct send_ctx {
	rl_rc **mine;              /* the handle moved into each worker */
	uint64_t iters;
	/* References each worker holds now ([n] is main's). Relaxed loads and
	 * stores throughout: the live callback takes a snapshot, nothing is
	 * published through them. */
	struct rl__wl_slot *held;
	unsigned n;
	uint64_t *done;
};

/* The quarantine's question: how many references are really live? */
static size_t send_live(const void *object, void *arg)
{
	(void)object;
	struct send_ctx *c = arg;
	int64_t sum = 0;
	for (unsigned i = 0; i <= c->n; i++)
		sum += atomic_load_explicit(&c->held[i].v, memory_order_relaxed);
	return sum < 0 ? 0 : (size_t)sum;
}

static void send_body(void *arg, unsigned i)
{
	struct send_ctx *c = arg;
	rl_rc *mine = c->mine[i];
	_Atomic int64_t *held = &c->held[i].v;
	uint64_t n = 0;
	for (; n < c->iters && !rl_workload_stopping(); n++) {
		/* Call sites for racelab's detector (a thread-local store). */
		rl_probe_site_set(RL_WL_SITE("worker: let tmp = mine.clone()"));
		rl_rc *tmp = rl_rc_clone(mine); /* the Send violation: a foreign clone */
		atomic_store_explicit(held, 2, memory_order_relaxed);
		atomic_store_explicit(held, 1, memory_order_relaxed);
		rl_probe_site_set(RL_WL_SITE("worker: drop(tmp)"));
		rl_rc_drop(tmp);
	}
	c->done[i] = n;
	atomic_store_explicit(held, 0, memory_order_relaxed);
	rl_probe_site_set(RL_WL_SITE("worker: drop(mine)"));
	rl_rc_drop(mine);
	rl_probe_site_set(NULL);
}

int rl__wl_rc_send(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	unsigned n = (unsigned)p->threads;
	atomic_llong drops = 0;
	struct send_ctx c = {.iters = p->iters, .n = n};
	c.mine = calloc(n, sizeof *c.mine);
	c.held = aligned_alloc(64, (size_t)(n + 1) * sizeof *c.held);
	c.done = calloc(n, sizeof *c.done);
	rl_rc *rc = names_new(&drops);
	int err = RL_OK;
	if (!c.mine || !c.held || !c.done || !rc) {
		err = rl__wl_fail(r, RL_ENOMEM, "out of memory");
		goto out;
	}
	for (unsigned i = 0; i <= n; i++)
		atomic_init(&c.held[i].v, 1);
	/* let mine = rc.clone(); thread::spawn(move || ...): the clone is made
	 * here, on the owner; the worker only uses (and finally drops) it. */
	rl_probe_site_set(RL_WL_SITE("main: let mine = rc.clone()"));
	for (unsigned i = 0; i < n; i++)
		c.mine[i] = rl_rc_clone(rc);
	rl_probe_site_set(RL_WL_SITE("main: after the joins"));
	rl_check_set_live_fn(send_live, &c);

	if ((err = rl__wl_team_run(n, p->stack, send_body, &c, r)) != RL_OK) {
		/* Workers that never ran still own their handle. */
		goto out;
	}
	rl_check_set_live_fn(NULL, NULL);

	uint64_t ops = 0;
	for (unsigned i = 0; i < n; i++)
		ops += c.done[i];
	/* Relaxed: the joins ordered the workers' drops before this load. */
	long long early = atomic_load_explicit(&drops, memory_order_relaxed);
	size_t strong = early ? 0 : rl_rc_strong_count(rc);
	rl__wl_counts(r, "references", 1, (int64_t)strong);
	int64_t drift = (int64_t)strong - 1;
	rl_probe_site_set(NULL);
	r->lost = drift < 0 ? -drift : drift;
	rl__wl_measure(r, "updates", "count updates attempted by workers", (double)(2 * ops + n), "");
	rl__wl_measure(r, "strong_after_join", "strong count after join", (double)strong, "");
	if (early) {
		rl__wl_note(r, "the count reached zero while threads still held references: the value was dropped in use");
		if (r->live_at_free != UINT64_MAX)
			rl__wl_note(r, "references still live at that moment: %llu (use after free)",
				    (unsigned long long)r->live_at_free);
	} else if (drift > 0) {
		rl__wl_note(r, "the count ended %lld too high: %lld decrements were lost, the value would leak", (long long)drift,
			    (long long)drift);
	} else {
		rl__wl_note(r, "the count ended exact this time: the updates interleaved without loss");
	}

	/* main's own reference. */
	atomic_store_explicit(&c.held[n].v, 0, memory_order_relaxed);
	rl_rc_drop(rc);
	/* A count left too high never frees the value: drop what is left, on the
	 * owner thread, so that the run ends without a real leak (counted first). */
	size_t left = atomic_load_explicit(&drops, memory_order_relaxed) ? 0 : rl_rc_strong_count(rc);
	for (size_t i = 0; i < left; i++)
		rl_rc_drop(rc);
	long long d = atomic_load_explicit(&drops, memory_order_relaxed);
	rl__wl_measure(r, "drops", "value drops", (double)d, "");
	if (left)
		rl__wl_note(r, "after main's drop %zu reference%s remained; the workload dropped them to reclaim the value",
			    left, left == 1 ? "" : "s");
	if (d > 1)
		rl__wl_note(r, "the value was dropped %lld times (a double drop, caught by the quarantine)", d);
	rc = NULL;
out:
	rl_check_set_live_fn(NULL, NULL);
	if (rc && err) {
		for (unsigned i = 0; i < n && c.mine; i++)
			if (c.mine[i])
				rl_rc_drop(c.mine[i]);
		rl_rc_drop(rc);
	}
	free(c.mine);
	free(c.held);
	free(c.done);
	return err;
}

/* ---- rc-cycle and rc-weak ------------------------------------------------ */

struct node {
	rl_rc *next;         /* strong link */
	rl_rc_weak *back;    /* weak link (rc-weak) */
	long long *alive;    /* nodes alive, kept by the workload (one thread) */
};

static void node_drop(void *value)
{
	struct node *nd = value;
	(*nd->alive)--;
	if (nd->next)
		rl_rc_drop(nd->next);
	rl_rc_weak_drop(nd->back);
	nd->next = NULL;
	nd->back = NULL;
}

static rl_rc *node_new(long long *alive)
{
	rl_rc *rc = rl_rc_new(sizeof(struct node), node_drop);
	if (rc) {
		struct node *nd = rl_rc_get(rc);
		nd->alive = alive;
		(*alive)++;
	}
	return rc;
}

/* Make @pairs pairs a <-> b; the back link b -> a is strong (cycle) or Weak. */
static int pairs_run(const struct rl_workload_params *p, struct rl_workload_result *r, bool weak)
{
	long long alive = 0;
	uint64_t made = 0;
	/* Cycle heads, kept only to break the cycles after counting (see below). */
	rl_rc **heads = weak ? NULL : calloc(p->iters, sizeof *heads);
	if (!weak && !heads)
		return rl__wl_fail(r, RL_ENOMEM, "out of memory for %llu pairs", (unsigned long long)p->iters);
	for (; made < p->iters && !rl_workload_stopping(); made++) {
		rl_rc *a = node_new(&alive), *b = node_new(&alive);
		if (!a || !b) {
			if (a)
				rl_rc_drop(a);
			if (b)
				rl_rc_drop(b);
			free(heads);
			return rl__wl_fail(r, RL_ENOMEM, "out of memory after %llu pairs", (unsigned long long)made);
		}
		struct node *na = rl_rc_get(a), *nb = rl_rc_get(b);
		na->next = rl_rc_clone(b);        /* a -> b, strong */
		if (weak)
			nb->back = rl_rc_downgrade(a); /* b -> a, Weak */
		else
			nb->next = rl_rc_clone(a);     /* b -> a, strong: a cycle */
		if (heads)
			heads[made] = a;
		/* Our handles go out of scope. */
		rl_rc_drop(a);
		rl_rc_drop(b);
	}
	long long leaked = alive;
	rl__wl_counts(r, "nodes dropped", (int64_t)(2 * made), (int64_t)(2 * made) - leaked);
	r->lost = 0; /* nothing was lost to a race: the nodes leaked */
	r->leaked = (uint64_t)leaked;
	rl__wl_measure(r, "nodes", "nodes created", (double)(2 * made), "");
	rl__wl_measure(r, "alive_after_drop", "nodes alive after our handles dropped", (double)leaked, "");
	if (weak)
		rl__wl_note(r, "%llu pairs a -> b (strong), b -> a (Weak): %lld nodes alive after our handles dropped",
			    (unsigned long long)made, leaked);
	else
		rl__wl_note(r, "%llu pairs a -> b, b -> a (both strong): %lld nodes alive after our handles dropped",
			    (unsigned long long)made, leaked);
	if (heads) {
		/* The leak is counted; now break each cycle by hand (take a's link
		 * out and drop it, as RefCell::take would) so that the process ends
		 * without memory the leak checkers would rightly flag. */
		for (uint64_t i = 0; i < made; i++) {
			struct node *na = rl_rc_get(heads[i]);
			rl_rc *link = na->next;
			na->next = NULL;
			rl_rc_drop(link);
		}
		free(heads);
		rl__wl_note(r, "after counting, the workload broke each cycle by hand: %lld nodes alive now", alive);
	}
	return RL_OK;
}

int rl__wl_rc_cycle(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	return pairs_run(p, r, false);
}

int rl__wl_rc_weak(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	return pairs_run(p, r, true);
}
