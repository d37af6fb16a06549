/* timeline_run.c — draws the timeline of one probed run, for check_timeline.py.
 *
 *   timeline_run OUT.svg WORKLOAD SCHEDULE SEED THREADS ITERS
 *       runs a catalog workload (THREADS 0: the workload's own) with the detector, the given schedule
 *       (random or pct) and the trace on;
 *   timeline_run OUT.svg deadlock SEED
 *       two threads take two locks in opposite orders until a seed deadlocks.
 *
 * Prints what the session recorded on stdout, so the checker compares the
 * picture with the session's results, not with what the picture's code
 * believes: "thread TID NAME" per thread; per trace record "rec I STEP TID OP
 * ORDER FLAGS OBJ RVAL WVAL" and "line <its trace line>"; per report "report
 * race OBJ CUR_TID CUR_WRITE PREV_KNOWN PREV_TID PREV_WRITE" and "missing
 * <the missing edge>", or "report deadlock". Exit 0, or 1 with one line on
 * stderr.
 */
#include <racelab/racelab.h>

#include "sim/spin_lock.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The philosophers of tests/sim/test_sched.c, on probed spin locks. */
static _Atomic int lock_a, lock_b;

static void *philosopher(void *arg)
{
	bool reverse = arg != NULL;
	_Atomic int *first = reverse ? &lock_b : &lock_a, *second = reverse ? &lock_a : &lock_b;
	if (s_lock(first) != RL_OK)
		return NULL;
	if (s_lock(second) == RL_OK)
		s_unlock(second);
	s_unlock(first);
	return NULL;
}

static int deadlock_run(uint64_t seed)
{
	for (;; seed++) {
		rl_probe_config cfg = { .detect = true, .schedule = RL_SCHEDULE_RANDOM, .seed = seed, .trace = true };
		atomic_store(&lock_a, 0);
		atomic_store(&lock_b, 0);
		if (rl_probe_attach(&cfg) != RL_OK)
			return -1;
		rl_thread *t[2];
		rl_thread_opts o1 = { .name = "left" }, o2 = { .name = "right" };
		if (rl_thread_spawn(&t[0], philosopher, NULL, &o1) != RL_OK ||
		    rl_thread_spawn(&t[1], philosopher, &lock_a, &o2) != RL_OK)
			return -1;
		rl_thread_join(t[0], NULL);
		rl_thread_join(t[1], NULL);
		rl_probe_detach();
		rl_probe_stats st;
		rl_probe_get_stats(&st);
		if (st.deadlock || seed > 200)
			return st.deadlock ? 0 : -1;
		rl_probe_reset();
	}
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	const char *out = argc > 2 ? argv[1] : NULL;
	char title[256];
	if (argc == 4 && !strcmp(argv[2], "deadlock")) {
		uint64_t seed;
		if (parse_u64(argv[3], &seed) || deadlock_run(seed)) {
			fprintf(stderr, "timeline_run: no deadlock found from seed %s\n", argv[3]);
			return 1;
		}
		snprintf(title, sizeof(title), "two locks taken in opposite orders");
	} else if (argc == 7) {
		const struct rl_workload *w = rl_workload_find(argv[2]);
		struct rl_workload_params p = { .detect = true, .trace = true, .capture_stderr = true };
		p.schedule = !strcmp(argv[3], "pct") ? RL_WL_SCHED_PCT : RL_WL_SCHED_RANDOM;
		if (!w || parse_u64(argv[4], &p.seed) || parse_u64(argv[5], &p.threads) || parse_u64(argv[6], &p.iters)) {
			fprintf(stderr, "timeline_run: bad arguments (unknown workload or number)\n");
			return 1;
		}
		struct rl_workload_result *r = calloc(1, sizeof(*r));
		if (!r || rl_workload_run(w, &p, r) != RL_OK) {
			fprintf(stderr, "timeline_run: %s did not run: %s\n", argv[2], r ? r->error_text : "out of memory");
			free(r);
			return 1;
		}
		free(r);
		snprintf(title, sizeof(title), "racelab run %s --detect hb --schedule %s --seed %s", argv[2], argv[3],
			 argv[4]);
	} else {
		fprintf(stderr, "usage: timeline_run OUT.svg WORKLOAD random|pct SEED THREADS ITERS | OUT.svg deadlock SEED\n");
		return 1;
	}
	rl_probe_stats st;
	rl_probe_get_stats(&st);
	for (unsigned k = 0; k < st.threads; k++)
		printf("thread %u %s\n", k, rl_probe_thread_name(k));
	for (size_t i = 0; i < rl_probe_trace_len(); i++) {
		const rl_probe_trace_rec *r = rl_probe_trace_at(i);
		char line[512];
		rl_probe_trace_format(r, line, sizeof(line));
		printf("rec %zu %" PRIu64 " %u %u %u %u %" PRIu32 " %" PRIu64 " %" PRIu64 "\nline %s\n", i, r->step, r->tid,
		       r->op, r->order, r->flags, r->obj_id, r->rval, r->wval, line);
	}
	for (size_t i = 0; i < rl_probe_report_count(); i++) {
		const rl_probe_report *r = rl_probe_report_at(i);
		if (r->kind == RL_REPORT_RACE)
			printf("report race %" PRIu32 " %u %d %d %u %d\nmissing %s\n", r->obj_id, r->cur.tid, r->cur.write,
			       r->prev.known, r->prev.tid, r->prev.write, r->edge);
		else
			printf("report deadlock\n");
	}
	int rc = rl_timeline_save(out, title);
	if (rc != RL_OK) {
		fprintf(stderr, "timeline_run: cannot write '%s': %s\n", out, rc == RL_EIO ? strerror(errno) : rl_strerror(rc));
		return 1;
	}
	rl_probe_reset();
	return 0;
}
