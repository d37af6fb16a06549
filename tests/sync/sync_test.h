/* sync_test.h — helpers shared by the std::sync tests (Condvar, RwLock,
 * channels, Barrier, Once): spawning, joining and a heap mutex. */
#ifndef RACELAB_TESTS_SYNC_TEST_H
#define RACELAB_TESTS_SYNC_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <racelab/mutex.h>
#include <racelab/probe.h>
#include <racelab/status.h>
#include <racelab/thread.h>

static inline rl_thread *st_spawn(rl_thread_fn *fn, void *arg)
{
	rl_thread *t = NULL;
	assert_int_equal(rl_thread_spawn(&t, fn, arg, NULL), RL_OK);
	return t;
}

static inline void st_join_ok(rl_thread *t)
{
	assert_int_equal(rl_thread_join(t, NULL), RL_OK);
}

/* Join a thread that must have panicked with @words in its message. */
static inline void st_join_panicked(rl_thread *t, const char *words)
{
	void *msg = NULL;
	assert_int_equal(rl_thread_join(t, &msg), RL_EPANICKED);
	assert_non_null(msg);
	assert_non_null(strstr(msg, words));
	free(msg);
}

static inline rl_mutex *st_mutex_new(size_t value_size)
{
	rl_mutex *m = malloc(rl_mutex_size(value_size));
	assert_non_null(m);
	rl_mutex_init(m, value_size);
	return m;
}

static inline void st_mutex_free(rl_mutex *m)
{
	rl_mutex_destroy(m);
	free(m);
}

static inline void st_sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static inline uint64_t st_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A plain store and load the detector tracks (probe.h's pattern for
 * non-atomic accesses), for the data a primitive hands over. */
static inline void st_probed_write(int64_t *x, int64_t v)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_WRITE, x, "Cell<i64>", "test write");
	rl__probe_enter(&ev);
	*x = v;
	ev.wval = (uint64_t)v;
	rl__probe_exit(&ev);
}

static inline int64_t st_probed_read(int64_t *x)
{
	rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_READ, x, "Cell<i64>", "test read");
	rl__probe_enter(&ev);
	int64_t v = *x;
	ev.rval = (uint64_t)v;
	rl__probe_exit(&ev);
	return v;
}

/* Races the detector found in the session just detached. */
static inline uint64_t st_races(void)
{
	rl_probe_stats st;
	rl_probe_get_stats(&st);
	return st.races;
}

#endif
