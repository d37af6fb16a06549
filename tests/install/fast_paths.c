/* fast_paths.c — every inline fast path and macro of the public headers, used
 * by a program built against the installed library.
 *
 * A C caller inlines rl_rc_clone(), rl_arc_drop(), rl_cell_add(), ... and so
 * references the rl__ names their bodies reach (rl__tid_tls, rl__owner_key_tls, rl__probe_active,
 * the slow halves, rl__panic_at for rl_panic(), rl__fatal for RL_FATAL()). If
 * libracelab.so did not export one of them, this program would not link.
 * It also checks that each fast path does what it says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <racelab/racelab.h>

static int failures;

#define CHECK(cond)                                                                      \
	do {                                                                             \
		if (!(cond)) {                                                           \
			fprintf(stderr, "fast_paths.c:%d: check failed: %s\n", __LINE__, #cond); \
			failures++;                                                      \
		}                                                                        \
	} while (0)

static int dropped;
static void count_drop(void *value)
{
	(void)value;
	dropped++;
}

static void *panicker(void *arg)
{
	(void)arg;
	rl_panic("expected panic %d", 42);
}

static void cleanup_noop(struct rl__cleanup *c)
{
	(void)c;
}

int main(int argc, char **argv)
{
	/* version.h */
	CHECK(strcmp(rl_version(), RACELAB_VERSION_STRING) == 0);
	CHECK(RACELAB_VERSION_NUMBER == ((RACELAB_VERSION_MAJOR << 16) | (RACELAB_VERSION_MINOR << 8) |
					 RACELAB_VERSION_PATCH));

	/* rc.h: get, clone, drop */
	rl_rc *rc = rl_rc_new(sizeof(int), count_drop);
	CHECK(rc != NULL);
	*(int *)rl_rc_get(rc) = 7;
	rl_rc *rc2 = rl_rc_clone(rc);
	CHECK(rc2 == rc && rl_rc_strong_count(rc) == 2 && *(int *)rl_rc_get(rc2) == 7);
	rl_rc_drop(rc2);
	rl_rc_drop(rc);
	CHECK(dropped == 1);

	/* arc.h: get, clone, drop */
	rl_arc *arc = rl_arc_new(sizeof(long), count_drop);
	CHECK(arc != NULL);
	*(long *)rl_arc_get(arc) = 9;
	rl_arc *arc2 = rl_arc_clone(arc);
	CHECK(arc2 == arc && rl_arc_strong_count(arc) == 2);
	rl_arc_drop(arc2);
	rl_arc_drop(arc);
	CHECK(dropped == 2);

	/* cell.h: get, set, add */
	rl_cell cell;
	rl_cell_init(&cell, 1);
	rl_cell_add(&cell, 2);
	rl_cell_set(&cell, rl_cell_get(&cell) * 2);
	CHECK(rl_cell_get(&cell) == 6);

	/* mutex.h: the guard's deref (and, inside lock/drop, the cleanup stack) */
	rl_arc *m = rl_arc_mutex_new(sizeof(long), NULL);
	CHECK(m != NULL);
	rl_mutex_guard g;
	CHECK(rl_mutex_lock(rl_arc_get(m), &g) == RL_OK);
	*(long *)rl_mutex_guard_get(&g) = 5;
	rl_mutex_guard_drop(&g);
	CHECK(rl_mutex_try_lock(rl_arc_get(m), &g) == RL_OK && *(long *)rl_mutex_guard_get(&g) == 5);
	rl_mutex_guard_drop(&g);
	rl_arc_drop(m);

	/* vec.h: get, as_str, as_dyn_write */
	struct rl_vec v = RL_VEC_NEW;
	int x = 3;
	CHECK(rl_vec_push(&v, sizeof x, &x) == RL_OK);
	CHECK(*(int *)rl_vec_get(&v, sizeof x, 0) == 3 && rl_vec_get(&v, sizeof x, 1) == NULL);
	rl_vec_drop(&v, sizeof x, NULL);
	struct rl_string s = RL_STRING_NEW;
	CHECK(rl_string_from(&s, "racelab", 7) == RL_OK);
	struct rl_str str = rl_string_as_str(&s);
	CHECK(str.len == 7 && memcmp(str.ptr, "racelab", 7) == 0);
	rl_string_drop(&s);
	struct rl_vec bytes = RL_VEC_NEW;
	CHECK(rl_dyn_write_fmt(rl_vec_as_dyn_write(&bytes), "%d", 42) == RL_OK);
	CHECK(bytes.len == 2 && memcmp(bytes.ptr, "42", 2) == 0);
	rl_vec_drop(&bytes, 1, NULL);

	/* hooks.h and thread.h: the private inline helpers the fast paths use */
	CHECK(rl__tid() != 0);
	struct rl__cleanup c = { .fn = cleanup_noop };
	rl__cleanup_push(&c);
	rl__cleanup_pop(&c);
	CHECK(!rl__thread_panicking() && !rl_thread_panicking());

	/* rl_panic() (a macro over rl__panic_at): ends the thread, join reports it */
	rl_thread *t;
	CHECK(rl_thread_spawn(&t, panicker, NULL, NULL) == RL_OK);
	void *msg = NULL;
	CHECK(rl_thread_join(t, &msg) == RL_EPANICKED);
	CHECK(msg && strstr(msg, "expected panic 42"));
	free(msg);

	/* RL_FATAL() (rl__fatal) aborts: referenced, run only on request. */
	if (argc > 1 && strcmp(argv[1], "fatal") == 0)
		RL_FATAL("requested by %s", argv[0]);

	if (failures)
		return 1;
	printf("fast paths: ok (racelab %s)\n", rl_version());
	return 0;
}
