/* bench_detect.c — what racelab's happens-before detector costs (issue 17).
 *
 *   detect-read         one probed plain read (an RL_PROBE_READ enter/exit pair)
 *   detect-write        one probed plain write
 *   detect-lock-unlock  one mutex event: lock and unlock alternate, ns per event
 *                       (the lock word is not taken: the event is what is timed)
 *       ns per detector event on one thread, in a detector-only session (no
 *       scheduler, no trace), cycling over 64 words so the location map is
 *       exercised rather than one cached entry (target: <= 15 ns per event).
 *   detect-vs-tsan      the detector's slowdown beside ThreadSanitizer's on the
 *       probed catalog workloads, measured in one run: rounds of (racelab run W,
 *       racelab run W --detect hb, the TSan build's racelab run W), each timed by
 *       the workload itself (its JSON "seconds": spawn to last join), TSan with
 *       report_bugs=0 (it checks every access and prints nothing). Rows
 *       native:W, detect:W and tsan:W (ns per iteration of one thread); the
 *       ratios section prints detect/native over tsan/native (target: <= 0.5).
 *       Needs the TSan build of racelab: $RACELAB_TSAN, or build/tsan/cli/racelab
 *       of this source tree; skipped with a message without it.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <racelab/probe.h>
#include <racelab/status.h>

#include "bench_defs.h"
#include "harness.h"

#ifndef RL_BENCH_RACELAB
#define RL_BENCH_RACELAB ""
#endif
#ifndef RL_BENCH_TSAN_RACELAB
#define RL_BENCH_TSAN_RACELAB ""
#endif

/* ---- ns per detector event -------------------------------------------------- */

enum { NWORDS = 64 };

struct det_local {
	uint64_t words[NWORDS];
	_Atomic int lock_word;
};

/* The timed thread is the session's T0: attach here, detach in fini. */
static int det_init(void *shared, unsigned idx, void **local)
{
	(void)shared;
	(void)idx;
	struct det_local *d = calloc(1, sizeof(*d));
	if (!d)
		return RL_ENOMEM;
	rl_probe_config cfg = {.detect = true, .main_name = "bench"};
	int rc = rl_probe_attach(&cfg);
	if (rc != RL_OK) {
		free(d);
		return rc;
	}
	*local = d;
	return RL_OK;
}

static void det_fini(void *shared, void *local, unsigned idx)
{
	(void)shared;
	(void)idx;
	rl_probe_detach();
	rl_probe_reset();
	free(local);
}

static int run_read(void *shared, void *local, unsigned idx, uint64_t iters)
{
	(void)shared;
	(void)idx;
	struct det_local *d = local;
	for (uint64_t i = 0; i < iters; i++) {
		uint64_t *w = &d->words[i % NWORDS];
		rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_READ, w, "u64", "read");
		rl__probe_enter(&ev);
		ev.rval = *w;
		rl__probe_exit(&ev);
		RL_BENCH_KEEP(ev.rval);
	}
	return RL_OK;
}

static int run_write(void *shared, void *local, unsigned idx, uint64_t iters)
{
	(void)shared;
	(void)idx;
	struct det_local *d = local;
	for (uint64_t i = 0; i < iters; i++) {
		uint64_t *w = &d->words[i % NWORDS];
		rl_probe_ev ev = RL_PROBE_EV(RL_PROBE_WRITE, w, "u64", "write");
		rl__probe_enter(&ev);
		*w = ev.wval = i;
		rl__probe_exit(&ev);
		rl_bench_escape(w);
	}
	return RL_OK;
}

static void mutex_event(struct det_local *d, rl_probe_op op)
{
	rl_probe_ev ev = RL_PROBE_EV(op, &d->lock_word, "Mutex", op == RL_PROBE_LOCK ? "lock" : "unlock");
	rl__probe_enter(&ev);
	rl_bench_clobber();
	rl__probe_exit(&ev);
}

static int run_lock_unlock(void *shared, void *local, unsigned idx, uint64_t iters)
{
	(void)shared;
	(void)idx;
	struct det_local *d = local;
	for (uint64_t i = 0; i < iters; i++)
		mutex_event(d, i % 2 ? RL_PROBE_UNLOCK : RL_PROBE_LOCK);
	if (iters % 2) /* leave the mutex unlocked for the next batch */
		mutex_event(d, RL_PROBE_UNLOCK);
	return RL_OK;
}

const struct rl_bench rl_bench_detect_read = {
	.name = "detect-read",
	.series = "detector: plain read event",
	.what = "one probed plain read in a detector-only session, one thread (target <= 15 ns)",
	.thread_init = det_init, .run = run_read, .thread_fini = det_fini,
};

const struct rl_bench rl_bench_detect_write = {
	.name = "detect-write",
	.series = "detector: plain write event",
	.what = "one probed plain write in a detector-only session, one thread (target <= 15 ns)",
	.thread_init = det_init, .run = run_write, .thread_fini = det_fini,
};

const struct rl_bench rl_bench_detect_lock_unlock = {
	.name = "detect-lock-unlock",
	.series = "detector: mutex event",
	.what = "mutex lock and unlock events alternating, ns per event, one thread (target <= 15 ns)",
	.thread_init = det_init, .run = run_lock_unlock, .thread_fini = det_fini,
};

/* ---- the detector beside TSan ---------------------------------------------- */

/* The probed catalog workloads and their iterations per thread: enough for
 * the native run to last several ms, little enough for TSan's to stay near a
 * second. */
static const struct {
	const char *name;
	const char *iters;
} slow_wl[] = {
	{"rc-send", "100000"},
	{"arc-clone", "100000"},
	{"arc-cell", "200000"},
	{"arc-mutex", "200000"},
	{"arc-atomic", "500000"},
};

enum { SLOW_THREADS = 4, SLOW_ROUNDS = 5 };
#define SLOW_THREADS_S "4"

/* @bin's TSan flag from a one-iteration run: 1 TSan, 0 not, -1 unusable. */
static int is_tsan_build(const char *bin)
{
	char *out = NULL;
	char *argv[] = {(char *)bin, "run", "arc-atomic", "--iters", "1", "--json", NULL};
	int st = rl_bench_run_child(argv, &out, -1);
	int r = st < 0 || st == 127 || !out ? -1 : strstr(out, "\"tsan\":true") ? 1 : strstr(out, "\"tsan\":false") ? 0 : -1;
	free(out);
	return r;
}

/* The workload's own seconds from `racelab run ... --json`, or NAN. */
static double run_seconds(const char *bin, const char *w, const char *iters, bool detect)
{
	char *argv[] = {(char *)bin, "run", (char *)w, "--threads", SLOW_THREADS_S, "--iters", (char *)iters,
			"--json", detect ? "--detect" : NULL, "hb", NULL};
	char *out = NULL;
	rl_bench_run_child(argv, &out, -1);
	const char *p = out ? strstr(out, "\"seconds\":") : NULL;
	double v = p ? strtod(p + strlen("\"seconds\":"), NULL) : NAN;
	free(out);
	return v > 0 ? v : NAN;
}

static const char *tsan_binary(char *buf, size_t len)
{
	const char *env = getenv("RACELAB_TSAN");
	snprintf(buf, len, "%s", env && *env ? env : RL_BENCH_TSAN_RACELAB);
	return buf[0] && access(buf, X_OK) == 0 ? buf : NULL;
}

static int detect_vs_tsan(struct rl_bench_session *s)
{
	char tsan[4096], why[4200];
	if (!RL_BENCH_RACELAB[0] || is_tsan_build(RL_BENCH_RACELAB) != 0) {
		rl_bench_print_skip(s, "detect-vs-tsan", "this build's racelab is missing or is itself a TSan build");
		return RL_OK;
	}
	if (!tsan_binary(tsan, sizeof tsan) || is_tsan_build(tsan) != 1) {
		snprintf(why, sizeof why,
			 "no ThreadSanitizer build of racelab at %s (cmake --workflow --preset tsan, or set RACELAB_TSAN)",
			 tsan[0] ? tsan : "(none configured)");
		rl_bench_print_skip(s, "detect-vs-tsan", why);
		return RL_OK;
	}
	/* Read by the TSan children at start-up: check everything, print nothing. */
	const char *old = getenv("TSAN_OPTIONS");
	char *saved = old ? strdup(old) : NULL;
	setenv("TSAN_OPTIONS", "report_bugs=0:halt_on_error=0:exitcode=0", 1);
	int rc = RL_OK;
	for (size_t k = 0; rc == RL_OK && k < sizeof slow_wl / sizeof slow_wl[0]; k++) {
		double v[3][SLOW_ROUNDS];
		size_t n = 0;
		uint64_t iters = strtoull(slow_wl[k].iters, NULL, 10);
		for (unsigned r = 0; r < SLOW_ROUNDS; r++) {
			rl_bench_progress(s, "detect-vs-tsan: %s round %u/%u", slow_wl[k].name, r + 1, SLOW_ROUNDS);
			double a = run_seconds(RL_BENCH_RACELAB, slow_wl[k].name, slow_wl[k].iters, false);
			double b = run_seconds(RL_BENCH_RACELAB, slow_wl[k].name, slow_wl[k].iters, true);
			double c = run_seconds(tsan, slow_wl[k].name, slow_wl[k].iters, false);
			if (isnan(a) || isnan(b) || isnan(c))
				continue;
			v[0][n] = a * 1e9 / (double)iters;
			v[1][n] = b * 1e9 / (double)iters;
			v[2][n] = c * 1e9 / (double)iters;
			n++;
		}
		if (!n) {
			snprintf(why, sizeof why, "%s did not run (racelab run %s --json gave no seconds)", slow_wl[k].name,
				 slow_wl[k].name);
			rl_bench_print_skip(s, "detect-vs-tsan", why);
			continue;
		}
		static const char *const prefix[3] = {"native", "detect", "tsan"};
		static const char *const label[3] = {"native", "--detect hb", "TSan build"};
		for (int j = 0; j < 3 && rc == RL_OK; j++) {
			char name[64], series[64];
			snprintf(name, sizeof name, "%s:%s", prefix[j], slow_wl[k].name);
			snprintf(series, sizeof series, "%s, %s", slow_wl[k].name, label[j]);
			rc = rl_bench_session_add(s, name, series, SLOW_THREADS, iters, v[j], n, NULL, NULL);
		}
	}
	if (saved) {
		setenv("TSAN_OPTIONS", saved, 1);
		free(saved);
	} else {
		unsetenv("TSAN_OPTIONS");
	}
	return rc;
}

const struct rl_bench rl_bench_detect_vs_tsan = {
	.name = "detect-vs-tsan",
	.series = "detector vs TSan",
	.what = "racelab run W, W --detect hb and W under TSan, interleaved: the detector's slowdown <= 0.5x TSan's",
	.flags = RL_BENCH_CUSTOM,
	.custom = detect_vs_tsan,
};

/* The slowdowns of workload @k, false when a row is missing. */
static bool slowdowns(const struct rl_bench_session *s, size_t k, double *sd, double *st, size_t *rounds)
{
	char nn[64], dn[64], tn[64];
	snprintf(nn, sizeof nn, "native:%s", slow_wl[k].name);
	snprintf(dn, sizeof dn, "detect:%s", slow_wl[k].name);
	snprintf(tn, sizeof tn, "tsan:%s", slow_wl[k].name);
	const struct rl_bench_result *n = rl_bench_session_get(s, nn, SLOW_THREADS);
	const struct rl_bench_result *d = rl_bench_session_get(s, dn, SLOW_THREADS);
	const struct rl_bench_result *t = rl_bench_session_get(s, tn, SLOW_THREADS);
	if (!n || !d || !t || !(n->st.median > 0) || !(t->st.median > 0))
		return false;
	*sd = d->st.median / n->st.median;
	*st = t->st.median / n->st.median;
	*rounds = n->nsamples;
	return true;
}

void rl_bench_print_detect_targets(struct rl_bench_session *s)
{
	static const char *const ev[] = {"detect-read", "detect-write", "detect-lock-unlock"};
	bool title = false;
	for (size_t i = 0; i < sizeof ev / sizeof ev[0]; i++) {
		const struct rl_bench_result *r = rl_bench_session_get(s, ev[i], 1);
		if (!r || !(r->st.median > 0))
			continue;
		if (s->opts->lines) {
			rl_bench_jl_target(s, ev[i], 1, r->st.median, "ns/event", 15, true);
			continue;
		}
		if (!title)
			fprintf(s->out, "\nthe happens-before detector's cost: ns per event (one thread), slowdown beside TSan's\n");
		title = true;
		fprintf(s->out, "  %-42s %4u thr  %9.2f ns/event (min %.2f)          target <= 15 ns: %s\n", ev[i], 1u,
			r->st.median, r->st.min, r->st.median <= 15 ? "met" : "MISSED");
	}
	for (size_t k = 0; k < sizeof slow_wl / sizeof slow_wl[0]; k++) {
		double sd, st, q;
		size_t rounds;
		if (!slowdowns(s, k, &sd, &st, &rounds))
			continue;
		q = sd / st;
		char label[96], a[32], b[32];
		snprintf(label, sizeof label, "detector / TSan slowdown, %s", slow_wl[k].name);
		if (s->opts->lines) {
			rl_bench_jl_target(s, label, SLOW_THREADS, q, "detector slowdown / TSan slowdown", 0.5, true);
			continue;
		}
		if (!title)
			fprintf(s->out, "\nthe happens-before detector's cost: ns per event (one thread), slowdown beside TSan's\n");
		title = true;
		snprintf(a, sizeof a, "%.2fx", sd);
		snprintf(b, sizeof b, "%.2fx", st);
		fprintf(s->out, "  %-42s %4u thr  %9s / %-9s native = %5.2f       target <= 0.50: %s\n", label,
			SLOW_THREADS, a, b, q, q <= 0.5 ? "met" : "MISSED");
	}
}

void rl_bench_print_detect_summary(struct rl_bench_session *s)
{
	if (s->opts->lines)
		return;
	for (size_t k = 0; k < sizeof slow_wl / sizeof slow_wl[0]; k++) {
		double sd, st;
		size_t rounds;
		if (!slowdowns(s, k, &sd, &st, &rounds))
			continue;
		fprintf(s->out,
			"SUMMARY bench=detect-vs-tsan workload=%s threads=%u rounds=%zu detect_slowdown=%g tsan_slowdown=%g "
			"detect_over_tsan=%g target=0.5 met=%s\n",
			slow_wl[k].name, SLOW_THREADS, rounds, sd, st, sd / st, sd / st <= 0.5 ? "yes" : "no");
	}
}
