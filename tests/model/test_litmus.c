/* test_litmus.c — rl_model()'s RC11 memory model against the classic litmus
 * tests, each with relaxed, release/acquire and seq_cst accesses and with
 * fences.
 *
 * Every case runs twice under exhaustive DFS, both runs complete: once under
 * sequential consistency (RL_MEMORY_SC), once under RC11. A case states its
 * weak outcomes (those SC cannot produce) and whether RC11 allows them; the
 * test asserts that the RC11 outcome set is exactly the SC set plus the weak
 * outcomes RC11 allows, and that the SC set has none of them. The verdicts:
 *   - SB, MP, LB, IRIW, WRC, 2+2W, R, S with relaxed / release-acquire /
 *     seq_cst accesses and seq_cst fences: Lahav, Vafeiadis, Kang, Hur,
 *     Dreyer, "Repairing sequential consistency in C/C++11", PLDI 2017,
 *     sections 2-3 (LB excluded by po ∪ rf acyclicity; 2+2W and R allowed
 *     under release/acquire, forbidden by seq_cst; IRIW allowed without
 *     seq_cst), as GenMC's tests/correct/litmus list them.
 *   - CoRR, CoWR, CoRW, CoWW: forbidden at every ordering (coherence: RC11's
 *     hb; eco irreflexive; Batty et al., "Mathematizing C++ concurrency",
 *     POPL 2011).
 *   - Release sequences: RC11's rs = [W_rel]; po|loc?; [W]; (rf; rmw)*: an RMW
 *     (of any thread) or a later store of the releasing thread continues it;
 *     another thread's plain store does not.
 * Bodies never call cmocka; outcomes are packed into a bitmap by the model's
 * main thread after its joins.
 */
#include <racelab/racelab.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define RLX memory_order_relaxed
#define REL memory_order_release
#define ACQ memory_order_acquire
#define SC memory_order_seq_cst

/* The orderings of one variant: stores, loads, RMWs, and the fence between
 * each thread's two accesses (-1: none). */
struct ord {
	const char *name;
	memory_order st, ld, rmw;
	int fence;
};

static const struct ord V_RLX = { "relaxed", RLX, RLX, RLX, -1 };
static const struct ord V_RA = { "release/acquire", REL, ACQ, memory_order_acq_rel, -1 };
static const struct ord V_SC = { "seq_cst", SC, SC, SC, -1 };
static const struct ord V_FSC = { "relaxed + seq_cst fences", RLX, RLX, RLX, SC };
static const struct ord V_FRA = { "relaxed + release/acquire fences", RLX, RLX, RLX, memory_order_acq_rel };

static const struct ord *O; /* the variant being run */

static rl_atomic_u64 X, Y, Z;
static uint64_t R[4];
static uint64_t (*finish)(void); /* the outcome code, run by the model's main after the joins */

static void st(rl_atomic_u64 *a, uint64_t v) { rl_atomic_u64_store(a, v, O->st); }
static uint64_t ld(rl_atomic_u64 *a) { return rl_atomic_u64_load(a, O->ld); }
static void fence(void)
{
	if (O->fence >= 0)
		rl_fence((memory_order)O->fence);
}
static uint64_t fin(rl_atomic_u64 *a) { return rl_atomic_u64_load(a, RLX); }

/* Outcome codes: 3 bits per value, at most 4 values (12 bits). */
#define OUT(a, b, c, d) ((a) | (b) << 3 | (c) << 6 | (d) << 9)
#define NOUT 4096

static unsigned char seen[NOUT];

static void body(void *arg)
{
	rl_thread_fn **fns = arg;
	rl_thread *t[4];
	unsigned n = 0;
	rl_atomic_u64_init(&X, 0);
	rl_atomic_u64_init(&Y, 0);
	rl_atomic_u64_init(&Z, 0);
	memset(R, 0, sizeof(R));
	for (; fns[n]; n++) {
		char name[8];
		snprintf(name, sizeof(name), "t%u", n + 1);
		if (rl_thread_spawn(&t[n], fns[n], NULL, &(rl_thread_opts){ .name = name }) != RL_OK)
			abort();
	}
	for (unsigned i = 0; i < n; i++)
		rl_thread_join(t[i], NULL);
	uint64_t code = finish();
	if (code < NOUT)
		seen[code] = 1;
}

/* Run @fns under @mem; the outcomes into @set. */
static rl_model_result run(rl_thread_fn **fns, rl_model_memory mem, unsigned char *set)
{
	memset(seen, 0, sizeof(seen));
	rl_model_config c = { .quiet = true, .memory = mem };
	rl_model_result r;
	assert_int_equal(rl_model(body, fns, &c, &r), RL_OK);
	if (r.failure != RL_MODEL_PASSED)
		fprintf(stderr, "unexpected failure: %s\n", r.message);
	assert_int_equal(r.failure, RL_MODEL_PASSED);
	assert_true(r.complete);
	assert_int_equal(r.memory, mem);
	memcpy(set, seen, NOUT);
	return r;
}

static uint64_t total_schedules;

/* The case @name under @o: weak outcomes @weak (@nweak, ended by the list),
 * allowed by RC11 or not. */
static void litmus(const char *name, const struct ord *o, rl_thread_fn **fns, uint64_t (*fn_finish)(void),
		   const unsigned *weak, unsigned nweak, bool allowed)
{
	static unsigned char sc[NOUT], rc[NOUT];
	O = o;
	finish = fn_finish;
	rl_model_result a = run(fns, RL_MEMORY_SC, sc);
	rl_model_result b = run(fns, RL_MEMORY_RC11, rc);
	total_schedules += a.schedules + b.schedules;
	unsigned nsc = 0, nrc = 0;
	for (unsigned i = 0; i < NOUT; i++) {
		nsc += sc[i];
		nrc += rc[i];
	}
	printf("  %-6s %-34s SC %3llu schedules %2u outcomes | RC11 %4llu schedules %3llu executions %2u outcomes\n",
	       name, o->name, (unsigned long long)a.schedules, nsc, (unsigned long long)b.schedules,
	       (unsigned long long)b.executions, nrc);
	/* Each outcome comes from at least one execution, each execution from a schedule. */
	assert_true(b.executions >= nrc && b.executions <= b.schedules);
	for (unsigned w = 0; w < nweak; w++) {
		if (sc[weak[w]])
			fail_msg("%s (%s): SC produced the weak outcome %03o", name, o->name, weak[w]);
		if (rc[weak[w]] != allowed)
			fail_msg("%s (%s): RC11 %s the weak outcome %03o, the published verdict says %s", name, o->name,
				 rc[weak[w]] ? "produced" : "never produced", weak[w], allowed ? "allowed" : "forbidden");
	}
	for (unsigned i = 0; i < NOUT; i++) {
		bool is_weak = false;
		for (unsigned w = 0; w < nweak; w++)
			is_weak |= weak[w] == i;
		if (sc[i] && !rc[i])
			fail_msg("%s (%s): RC11 lost the SC outcome %03o", name, o->name, i);
		if (rc[i] && !sc[i] && !is_weak)
			fail_msg("%s (%s): RC11 produced %03o, neither SC nor a listed weak outcome", name, o->name, i);
	}
}

#define LITMUS(name, o, fins, allowed, ...)                                                       \
	do {                                                                                    \
		static const unsigned w_[] = { __VA_ARGS__ };                                   \
		litmus(name, o, fns, fins, w_, sizeof(w_) / sizeof(w_[0]), allowed);           \
	} while (0)

static uint64_t fin_r2(void) { return OUT(R[0], R[1], 0, 0); }
static uint64_t fin_r4(void) { return OUT(R[0], R[1], R[2], R[3]); }
static uint64_t fin_r3(void) { return OUT(R[0], R[1], R[2], 0); }
static uint64_t fin_xy(void) { return OUT(fin(&X), fin(&Y), 0, 0); }
static uint64_t fin_yr(void) { return OUT(fin(&Y), R[0], 0, 0); }
static uint64_t fin_rx(void) { return OUT(R[0], fin(&X), 0, 0); }
static uint64_t fin_r1x(void) { return OUT(R[0], R[1], fin(&X), 0); }

/* ---- SB: store buffering ---- */

static void *sb1(void *p) { (void)p; st(&X, 1); fence(); R[0] = ld(&Y); return NULL; }
static void *sb2(void *p) { (void)p; st(&Y, 1); fence(); R[1] = ld(&X); return NULL; }

static void test_sb(void **state)
{
	(void)state;
	rl_thread_fn *fns[] = { sb1, sb2, NULL };
	LITMUS("SB", &V_RLX, fin_r2, true, OUT(0, 0, 0, 0));
	LITMUS("SB", &V_RA, fin_r2, true, OUT(0, 0, 0, 0));
	LITMUS("SB", &V_FRA, fin_r2, true, OUT(0, 0, 0, 0));
	LITMUS("SB", &V_SC, fin_r2, false, OUT(0, 0, 0, 0));
	LITMUS("SB", &V_FSC, fin_r2, false, OUT(0, 0, 0, 0));
}

/* ---- MP: message passing ---- */

static void *mp1(void *p) { (void)p; st(&X, 1); fence(); st(&Y, 1); return NULL; }
static void *mp2(void *p) { (void)p; R[0] = ld(&Y); fence(); R[1] = ld(&X); return NULL; }

static void test_mp(void **state)
{
	(void)state;
	rl_thread_fn *fns[] = { mp1, mp2, NULL };
	LITMUS("MP", &V_RLX, fin_r2, true, OUT(1, 0, 0, 0));
	LITMUS("MP", &V_RA, fin_r2, false, OUT(1, 0, 0, 0));
	LITMUS("MP", &V_SC, fin_r2, false, OUT(1, 0, 0, 0));
	LITMUS("MP", &V_FRA, fin_r2, false, OUT(1, 0, 0, 0));
	LITMUS("MP", &V_FSC, fin_r2, false, OUT(1, 0, 0, 0));
}

/* ---- LB: load buffering (RC11: po ∪ rf acyclic) ---- */

static void *lb1(void *p) { (void)p; R[0] = ld(&X); fence(); st(&Y, 1); return NULL; }
static void *lb2(void *p) { (void)p; R[1] = ld(&Y); fence(); st(&X, 1); return NULL; }

static void test_lb(void **state)
{
	(void)state;
	rl_thread_fn *fns[] = { lb1, lb2, NULL };
	LITMUS("LB", &V_RLX, fin_r2, false, OUT(1, 1, 0, 0));
	LITMUS("LB", &V_RA, fin_r2, false, OUT(1, 1, 0, 0));
	LITMUS("LB", &V_SC, fin_r2, false, OUT(1, 1, 0, 0));
}

/* ---- IRIW: independent reads of independent writes ---- */

static void *iriw_wx(void *p) { (void)p; st(&X, 1); return NULL; }
static void *iriw_wy(void *p) { (void)p; st(&Y, 1); return NULL; }
static void *iriw_r1(void *p) { (void)p; R[0] = ld(&X); fence(); R[1] = ld(&Y); return NULL; }
static void *iriw_r2(void *p) { (void)p; R[2] = ld(&Y); fence(); R[3] = ld(&X); return NULL; }

static void test_iriw(void **state)
{
	(void)state;
	rl_thread_fn *fns[] = { iriw_wx, iriw_wy, iriw_r1, iriw_r2, NULL };
	LITMUS("IRIW", &V_RLX, fin_r4, true, OUT(1, 0, 1, 0));
	LITMUS("IRIW", &V_RA, fin_r4, true, OUT(1, 0, 1, 0));
	LITMUS("IRIW", &V_SC, fin_r4, false, OUT(1, 0, 1, 0));
	LITMUS("IRIW", &V_FSC, fin_r4, false, OUT(1, 0, 1, 0));
}

/* ---- WRC: write-to-read causality ---- */

static void *wrc1(void *p) { (void)p; st(&X, 1); return NULL; }
static void *wrc2(void *p) { (void)p; R[0] = ld(&X); fence(); st(&Y, 1); return NULL; }
static void *wrc3(void *p) { (void)p; R[1] = ld(&Y); fence(); R[2] = ld(&X); return NULL; }

static void test_wrc(void **state)
{
	(void)state;
	rl_thread_fn *fns[] = { wrc1, wrc2, wrc3, NULL };
	LITMUS("WRC", &V_RLX, fin_r3, true, OUT(1, 1, 0, 0));
	LITMUS("WRC", &V_RA, fin_r3, false, OUT(1, 1, 0, 0));
	LITMUS("WRC", &V_SC, fin_r3, false, OUT(1, 1, 0, 0));
	LITMUS("WRC", &V_FRA, fin_r3, false, OUT(1, 1, 0, 0));
}

/* ---- 2+2W: modification order against program order ---- */

static void *w22a(void *p) { (void)p; st(&X, 1); fence(); st(&Y, 2); return NULL; }
static void *w22b(void *p) { (void)p; st(&Y, 1); fence(); st(&X, 2); return NULL; }

static void test_2_2w(void **state)
{
	(void)state;
	rl_thread_fn *fns[] = { w22a, w22b, NULL };
	LITMUS("2+2W", &V_RLX, fin_xy, true, OUT(1, 1, 0, 0));
	LITMUS("2+2W", &V_RA, fin_xy, true, OUT(1, 1, 0, 0));
	LITMUS("2+2W", &V_SC, fin_xy, false, OUT(1, 1, 0, 0));
	LITMUS("2+2W", &V_FSC, fin_xy, false, OUT(1, 1, 0, 0));
}

/* ---- R ---- */

static void *r1(void *p) { (void)p; st(&X, 1); fence(); st(&Y, 1); return NULL; }
static void *r2(void *p) { (void)p; st(&Y, 2); fence(); R[0] = ld(&X); return NULL; }

static void test_r(void **state)
{
	(void)state;
	rl_thread_fn *fns[] = { r1, r2, NULL };
	LITMUS("R", &V_RLX, fin_yr, true, OUT(2, 0, 0, 0));
	LITMUS("R", &V_RA, fin_yr, true, OUT(2, 0, 0, 0));
	LITMUS("R", &V_SC, fin_yr, false, OUT(2, 0, 0, 0));
	LITMUS("R", &V_FSC, fin_yr, false, OUT(2, 0, 0, 0));
}

/* ---- S ---- */

static void *s1(void *p) { (void)p; st(&X, 2); fence(); st(&Y, 1); return NULL; }
static void *s2(void *p) { (void)p; R[0] = ld(&Y); fence(); st(&X, 1); return NULL; }

static void test_s(void **state)
{
	(void)state;
	rl_thread_fn *fns[] = { s1, s2, NULL };
	LITMUS("S", &V_RLX, fin_rx, true, OUT(1, 2, 0, 0));
	LITMUS("S", &V_RA, fin_rx, false, OUT(1, 2, 0, 0));
	LITMUS("S", &V_SC, fin_rx, false, OUT(1, 2, 0, 0));
	LITMUS("S", &V_FRA, fin_rx, false, OUT(1, 2, 0, 0));
}

/* ---- coherence: forbidden at every ordering ---- */

static void *corr1(void *p) { (void)p; st(&X, 1); return NULL; }
static void *corr2(void *p) { (void)p; R[0] = ld(&X); R[1] = ld(&X); return NULL; }
static void *cowr1(void *p) { (void)p; st(&X, 1); R[0] = ld(&X); return NULL; }
static void *cowr2(void *p) { (void)p; st(&X, 2); return NULL; }
static void *corw1(void *p) { (void)p; R[0] = ld(&X); st(&X, 1); return NULL; }
static void *coww1(void *p) { (void)p; st(&X, 1); st(&X, 2); return NULL; }
static void *coww2(void *p) { (void)p; R[0] = ld(&X); R[1] = ld(&X); return NULL; }

static uint64_t fin_r0x(void) { return OUT(R[0], fin(&X), 0, 0); }

static void test_coherence(void **state)
{
	(void)state;
	const struct ord *vs[] = { &V_RLX, &V_RA, &V_SC };
	for (unsigned v = 0; v < 3; v++) {
		{
			rl_thread_fn *fns[] = { corr1, corr2, NULL };
			LITMUS("CoRR", vs[v], fin_r2, false, OUT(1, 0, 0, 0));
		}
		{
			/* r = its own store's value or a later one's: never the initial 0,
			 * never 2 with 1 last in mo. */
			rl_thread_fn *fns[] = { cowr1, cowr2, NULL };
			LITMUS("CoWR", vs[v], fin_r0x, false, OUT(0, 1, 0, 0), OUT(0, 2, 0, 0), OUT(2, 1, 0, 0));
		}
		{
			/* Reading the other store puts its own after it in mo; reading its own is po ∪ rf. */
			rl_thread_fn *fns[] = { corw1, cowr2, NULL };
			LITMUS("CoRW", vs[v], fin_r0x, false, OUT(2, 2, 0, 0), OUT(1, 1, 0, 0), OUT(1, 2, 0, 0));
		}
		{
			/* A reader sees the two stores in program order; the last is last in mo. */
			rl_thread_fn *fns[] = { coww1, coww2, NULL };
			LITMUS("CoWW", vs[v], fin_r1x, false, OUT(2, 1, 2, 0), OUT(0, 0, 1, 0), OUT(1, 1, 1, 0),
			       OUT(2, 2, 1, 0), OUT(2, 0, 2, 0), OUT(2, 0, 1, 0));
		}
	}
}

/* ---- release sequences ---- */

static void *rs_writer(void *p) { (void)p; st(&Z, 1); rl_atomic_u64_store(&X, 1, REL); return NULL; }
static void *rs_rmw(void *p) { (void)p; rl_atomic_u64_fetch_add(&X, 1, RLX); return NULL; }
static void *rs_store(void *p)
{
	(void)p;
	if (rl_atomic_u64_load(&X, RLX) == 1) /* after the release store in mo, but not in its sequence */
		rl_atomic_u64_store(&X, 2, RLX);
	return NULL;
}
static void *rs_writer_more(void *p)
{
	(void)p;
	st(&Z, 1);
	rl_atomic_u64_store(&X, 1, REL);
	rl_atomic_u64_store(&X, 2, RLX); /* RC11: still the release sequence of the store above */
	return NULL;
}
static void *rs_reader(void *p)
{
	(void)p;
	R[0] = rl_atomic_u64_load(&X, ACQ);
	R[1] = ld(&Z);
	return NULL;
}

static void test_release_sequence(void **state)
{
	(void)state;
	{
		/* Reading the RMW's 2 synchronises with the release store it continues. */
		rl_thread_fn *fns[] = { rs_writer, rs_rmw, rs_reader, NULL };
		LITMUS("RS", &V_RLX, fin_r2, false, OUT(2, 0, 0, 0));
	}
	{
		/* Another thread's plain store is no part of it: reading 2 orders nothing. */
		rl_thread_fn *fns[] = { rs_writer, rs_store, rs_reader, NULL };
		LITMUS("RS-st", &V_RLX, fin_r2, true, OUT(2, 0, 0, 0));
	}
	{
		rl_thread_fn *fns[] = { rs_writer_more, rs_reader, NULL };
		LITMUS("RS-po", &V_RLX, fin_r2, false, OUT(2, 0, 0, 0));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sb),       cmocka_unit_test(test_mp),
		cmocka_unit_test(test_lb),       cmocka_unit_test(test_iriw),
		cmocka_unit_test(test_wrc),      cmocka_unit_test(test_2_2w),
		cmocka_unit_test(test_r),        cmocka_unit_test(test_s),
		cmocka_unit_test(test_coherence), cmocka_unit_test(test_release_sequence),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	printf("litmus suite: %llu schedules\n", (unsigned long long)total_schedules);
	return rc;
}
