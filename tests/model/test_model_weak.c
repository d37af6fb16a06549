/* test_model_weak.c — bugs only weak memory shows, under rl_model()'s
 * default RC11 model, each buggy and fixed, and the same bodies under
 * RL_MEMORY_SC, which cannot see them:
 *   - store buffering as an assertion (both threads read 0), its seq_cst fix;
 *   - Peterson's lock with release stores and acquire loads (broken under
 *     C11, as CDSChecker and GenMC show), its seq_cst version (correct);
 *   - message passing over a relaxed flag, where the payload is an atomic
 *     too: no data race, but the stale value, and the report saying why.
 */
#include <racelab/racelab.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "two_threads.h"

static rl_model_result check_in(rl_model_fn *body, void *arg, rl_model_memory mem, FILE *report)
{
	rl_model_config c = { .quiet = report == NULL, .report_file = report, .memory = mem };
	rl_model_result r;
	assert_int_equal(rl_model(body, arg, &c, &r), RL_OK);
	return r;
}

/* ---- store buffering: one of the two must see the other's store ---- */

struct sb {
	rl_atomic_u64 x, y;
	uint64_t r1, r2;
	memory_order st, ld;
};

static void *sb_a(void *p)
{
	struct sb *s = p;
	rl_atomic_u64_store(&s->x, 1, s->st);
	s->r1 = rl_atomic_u64_load(&s->y, s->ld);
	return NULL;
}

static void *sb_b(void *p)
{
	struct sb *s = p;
	rl_atomic_u64_store(&s->y, 1, s->st);
	s->r2 = rl_atomic_u64_load(&s->x, s->ld);
	return NULL;
}

static void body_sb(void *arg)
{
	memory_order mo = *(memory_order *)arg;
	struct sb s = { .st = mo == memory_order_acquire ? memory_order_release : mo, .ld = mo };
	rl_atomic_u64_init(&s.x, 0);
	rl_atomic_u64_init(&s.y, 0);
	spawn2(sb_a, sb_b, &s);
	RL_ASSERT(s.r1 == 1 || s.r2 == 1);
}

static void test_store_buffering_fails_under_rc11_with_release_acquire(void **state)
{
	(void)state;
	memory_order m = memory_order_acquire; /* release stores, acquire loads: a store and a later load still reorder */
	rl_model_result r = check_in(body_sb, &m, RL_MEMORY_RC11, NULL);
	assert_int_equal(r.failure, RL_MODEL_ASSERT);
	assert_non_null(strstr(r.message, "s.r1 == 1 || s.r2 == 1"));
	assert_true(r.stale_reads >= 1);
	/* Sequential consistency cannot show it. */
	r = check_in(body_sb, &m, RL_MEMORY_SC, NULL);
	expect_complete(&r);
	assert_int_equal(r.stale_reads, 0);
}

static void test_store_buffering_with_seq_cst_is_complete(void **state)
{
	(void)state;
	memory_order m = memory_order_seq_cst;
	rl_model_result r = check_in(body_sb, &m, RL_MEMORY_RC11, NULL);
	expect_complete(&r);
	assert_false(r.sc_mixed);
}

/* ---- Peterson's lock ---- */

struct peterson {
	rl_atomic_bool flag[2];
	rl_atomic_u64 turn;
	int counter;
	memory_order st, ld;
};

static void peterson_lock(struct peterson *p, unsigned me)
{
	unsigned other = 1 - me;
	rl_atomic_bool_store(&p->flag[me], true, p->st);
	rl_atomic_u64_store(&p->turn, other, p->st);
	while (rl_atomic_bool_load(&p->flag[other], p->ld) && rl_atomic_u64_load(&p->turn, p->ld) == other)
		rl_yield();
}

static void peterson_unlock(struct peterson *p, unsigned me)
{
	rl_atomic_bool_store(&p->flag[me], false, memory_order_release);
}

static void *peterson_worker(void *arg)
{
	struct peterson *p = arg;
	unsigned me = strcmp(rl_thread_name(), "t1") == 0 ? 0 : 1;
	peterson_lock(p, me);
	rl_track_write(&p->counter, sizeof(p->counter), "Peterson-locked counter");
	p->counter++;
	peterson_unlock(p, me);
	return NULL;
}

static void body_peterson(void *arg)
{
	struct peterson p = { .counter = 0 };
	p.st = p.ld = *(memory_order *)arg;
	if (p.st == memory_order_acquire)
		p.st = memory_order_release;
	rl_atomic_bool_init(&p.flag[0], false);
	rl_atomic_bool_init(&p.flag[1], false);
	rl_atomic_u64_init(&p.turn, 0);
	spawn2(peterson_worker, peterson_worker, &p);
	rl_track_read(&p.counter, sizeof(p.counter), "Peterson-locked counter");
	RL_ASSERT(p.counter == 2);
}

static void test_peterson_with_release_acquire_is_broken(void **state)
{
	(void)state;
	memory_order m = memory_order_acquire; /* release stores, acquire loads */
	rl_model_result r = check_in(body_peterson, &m, RL_MEMORY_RC11, NULL);
	/* Both threads enter: their counter writes race (or one update is lost). */
	assert_true(r.failure == RL_MODEL_RACE || r.failure == RL_MODEL_ASSERT);
	assert_true(r.stale_reads >= 1);
	r = check_in(body_peterson, &m, RL_MEMORY_SC, NULL);
	expect_complete(&r);
}

static void test_peterson_with_seq_cst_is_complete(void **state)
{
	(void)state;
	memory_order m = memory_order_seq_cst;
	rl_model_result r = check_in(body_peterson, &m, RL_MEMORY_RC11, NULL);
	expect_complete(&r);
}

/* ---- a relaxed flag: the payload is stale, and the report says why ---- */

struct mp {
	rl_atomic_u64 data;
	rl_atomic_bool flag;
};

static void *mp_writer(void *p)
{
	struct mp *m = p;
	rl_atomic_u64_store(&m->data, 42, memory_order_relaxed);
	rl_atomic_bool_store(&m->flag, true, memory_order_relaxed);
	return NULL;
}

static void *mp_reader(void *p)
{
	struct mp *m = p;
	while (!rl_atomic_bool_load(&m->flag, memory_order_relaxed))
		rl_yield();
	RL_ASSERT(rl_atomic_u64_load(&m->data, memory_order_relaxed) == 42);
	return NULL;
}

static void body_mp(void *arg)
{
	(void)arg;
	struct mp m;
	rl_atomic_u64_init(&m.data, 0);
	rl_atomic_bool_init(&m.flag, false);
	spawn2(mp_writer, mp_reader, &m);
}

static void test_relaxed_flag_reads_stale_data_and_the_report_explains_it(void **state)
{
	(void)state;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	rl_model_result r = check_in(body_mp, NULL, RL_MEMORY_RC11, f);
	fclose(f);
	assert_int_equal(r.failure, RL_MODEL_ASSERT);
	assert_non_null(strstr(text, "and read the initial value 0, although thread 't1' had stored 42"));
	assert_non_null(strstr(text, "nothing orders that store before the load (relaxed)"));
	assert_non_null(strstr(text, "(stale: 1 newer store not read)"));
	/* The replay token reproduces the same failure. */
	rl_model_config c = { .quiet = true, .replay = r.replay };
	rl_model_result again;
	assert_int_equal(rl_model(body_mp, NULL, &c, &again), RL_OK);
	assert_int_equal(again.failure, RL_MODEL_ASSERT);
	free(text);
	/* An SC token names its memory model: it replays under SC whatever the config. */
	r = check_in(body_mp, NULL, RL_MEMORY_SC, NULL);
	expect_complete(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_buffering_fails_under_rc11_with_release_acquire),
		cmocka_unit_test(test_store_buffering_with_seq_cst_is_complete),
		cmocka_unit_test(test_peterson_with_release_acquire_is_broken),
		cmocka_unit_test(test_peterson_with_seq_cst_is_complete),
		cmocka_unit_test(test_relaxed_flag_reads_stale_data_and_the_report_explains_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
