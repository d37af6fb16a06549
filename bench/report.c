/* report.c — what `racelab bench` prints and writes: the table, ratios,
 * warnings and SUMMARY lines on stdout; JSON (Google Benchmark's format),
 * CSV for files (plot.c writes the SVG plot).
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#ifndef RL_BENCH_BUILD_TYPE
#define RL_BENCH_BUILD_TYPE "unknown"
#endif
#ifndef RL_BENCH_SANITIZER
#define RL_BENCH_SANITIZER ""
#endif

const char *rl_bench_fmt_num(double v, char *buf, size_t len)
{
	if (!isfinite(v))
		snprintf(buf, len, "n/a");
	else if (fabs(v) >= 999.5) /* "%.3g" would print 1e+03 */
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.3g", v);
	return buf;
}

/* ------------------------------------------------------------------------
 * --json: JSON lines on stdout, one object a line, each with a "type"
 * (context, result, skip, ratio, target, warning, note), in the order the
 * table would print them; numbers as in the Google Benchmark file.
 * ---------------------------------------------------------------------- */

static void json_num(FILE *f, double v);

void rl_bench_jl_begin(struct rl_bench_session *s, const char *type)
{
	fprintf(s->out, "{\"type\":\"%s\"", type);
}

void rl_bench_jl_str(struct rl_bench_session *s, const char *key, const char *v)
{
	fprintf(s->out, ",\"%s\":", key);
	if (v)
		rl_bench_json_string(s->out, v);
	else
		fputs("null", s->out);
}

void rl_bench_jl_num(struct rl_bench_session *s, const char *key, double v)
{
	fprintf(s->out, ",\"%s\":", key);
	json_num(s->out, v);
}

void rl_bench_jl_bool(struct rl_bench_session *s, const char *key, bool v)
{
	fprintf(s->out, ",\"%s\":%s", key, v ? "true" : "false");
}

void rl_bench_jl_end(struct rl_bench_session *s)
{
	fputs("}\n", s->out);
	fflush(s->out);
}

void rl_bench_jl_target(struct rl_bench_session *s, const char *label, unsigned threads, double value,
			const char *unit, double target, bool at_most)
{
	rl_bench_jl_begin(s, "target");
	rl_bench_jl_str(s, "label", label);
	rl_bench_jl_num(s, "threads", threads);
	rl_bench_jl_num(s, "value", value);
	rl_bench_jl_str(s, "unit", unit);
	rl_bench_jl_str(s, "compare", at_most ? "<=" : ">=");
	rl_bench_jl_num(s, "target", target);
	rl_bench_jl_bool(s, "met", at_most ? value <= target : value >= target);
	rl_bench_jl_end(s);
}

/* A warning line: @bench at @threads (NULL, 0: the run), what, and the text the table prints. */
static void jl_warning(struct rl_bench_session *s, const char *type, const struct rl_bench_result *r,
		       const char *what, const char *text)
{
	rl_bench_jl_begin(s, type);
	rl_bench_jl_str(s, "benchmark", r ? r->name : NULL);
	if (r)
		rl_bench_jl_num(s, "threads", r->threads);
	rl_bench_jl_str(s, "what", what);
	rl_bench_jl_str(s, "text", text);
	rl_bench_jl_end(s);
}

/* ------------------------------------------------------------------------
 * Ratios: which medians are compared, and the targets the issues set.
 * ---------------------------------------------------------------------- */

enum ratio_mode {
	SAME_THREADS, /* at every thread count both were measured at */
	ONE_THREAD,   /* single-threaded benchmarks */
};

struct ratio_def {
	const char *label;
	const char *num, *den;
	enum ratio_mode mode;
	double target;      /* num/den must be <= target; 0 = no target */
	double max_diff_ns; /* num - den must be <= this many ns; 0 = no target */
};

static const struct ratio_def ratio_defs[] = {
	{"Arc / Rc clone+drop", "arc-clone-drop", "rc-clone-drop", ONE_THREAD, 0, 0},
	{"Rc check mode report / off (owner thread)", "rc-clone-drop", "rc-clone-drop-checks-off", ONE_THREAD, 0, 0},
	/* issue 4: owner checks (on or off) keep Rc clone+drop within 1 ns of an unchecked build */
	{"Rc clone+drop checks on / unchecked build", "rc-clone-drop", "rc-clone-drop-unchecked", ONE_THREAD, 0, 1.0},
	{"Rc clone+drop checks off / unchecked build", "rc-clone-drop-checks-off", "rc-clone-drop-unchecked", ONE_THREAD, 0, 1.0},
	{"Rc on a foreign thread / on its owner", "rc-clone-drop-foreign", "rc-clone-drop", ONE_THREAD, 0, 0},
	{"relaxed atomic / plain counter", "counter-relaxed", "counter-plain", SAME_THREADS, 0, 0},
	{"seq-cst atomic / plain counter", "counter-seqcst", "counter-plain", SAME_THREADS, 0, 0},
	{"seq-cst / relaxed atomic", "counter-seqcst", "counter-relaxed", SAME_THREADS, 0, 0},
	{"CAS loop / relaxed atomic", "counter-cas", "counter-relaxed", SAME_THREADS, 0, 0},
	{"Mutex (futex) / relaxed atomic counter", "mutex-futex-counter", "counter-relaxed", SAME_THREADS, 0, 0},
	{"Mutex (pthread) / Mutex (futex) counter", "mutex-pthread-counter", "mutex-futex-counter", SAME_THREADS, 0, 0},
	{"Mutex lock+unlock pthread / futex", "mutex-pthread-lock-unlock", "mutex-futex-lock-unlock", ONE_THREAD, 0, 0},
	{"padded / packed per-thread counters", "false-sharing-padded", "false-sharing-packed", SAME_THREADS, 0, 0},
	{"shared Arc / own Arc clone+drop", "arc-shared-clone-drop", "arc-clone-drop", SAME_THREADS, 0, 0},
	/* issue 6: the probe test in Arc's fast path costs at most 5 % with no probe on */
	{"Arc clone+drop / without the probe test", "arc-clone-drop", "arc-clone-drop-no-probe", ONE_THREAD, 1.05, 0},
	{"RCU load / Mutex read", "read-rcu", "read-mutex", SAME_THREADS, 0, 0},
	{"RCU load / Arc clone-and-read", "read-rcu", "read-arc", SAME_THREADS, 0, 0},
	/* issue 2: an rl thread costs at most 1.2x a bare pthread */
	{"rl spawn+join / pthread, 2 MiB", "rl-spawn-join-2m", "pthread-spawn-join-2m", ONE_THREAD, 1.20, 0},
	{"rl spawn+join / pthread, 8 MiB", "rl-spawn-join-8m", "pthread-spawn-join-8m", ONE_THREAD, 1.20, 0},
	/* issues 3 and 5: the same operations in Rust's std, same method, same run */
	{"Arc clone+drop C / Rust", "c:arc-clone-drop", "rust:arc-clone-drop", ONE_THREAD, 1.05, 0},
	{"Rc clone+drop C / Rust", "c:rc-clone-drop", "rust:rc-clone-drop", ONE_THREAD, 1.20, 0},
	{"Mutex lock+unlock futex C / Rust", "c:mutex-futex-lock-unlock", "rust:mutex-lock-unlock", ONE_THREAD, 1.00, 0},
	/* issue 15: the rest of std::sync beside Rust's */
	{"mpsc send+recv C / Rust", "c:channel-send-recv", "rust:mpsc-send-recv", ONE_THREAD, 1.00, 0},
	{"sync_channel(16) send+recv C / Rust", "c:sync-channel-send-recv", "rust:sync-send-recv", ONE_THREAD, 0, 0},
	{"rendezvous handoff C / Rust", "c:channel-rendezvous", "rust:rendezvous", ONE_THREAD, 0, 0},
	{"mpsc 2 producers, ns/msg C / Rust", "c:channel-mpsc-2", "rust:mpsc-2", ONE_THREAD, 1.00, 0},
	{"sync_channel(16) 2 producers C / Rust", "c:sync-channel-mpsc-2", "rust:sync-mpsc-2", ONE_THREAD, 0, 0},
	{"rendezvous 2 senders C / Rust", "c:channel-rendezvous-2", "rust:rendezvous-2", ONE_THREAD, 0, 0},
	{"RwLock read+drop C / Rust", "c:rwlock-read-drop", "rust:rwlock-read-drop", ONE_THREAD, 1.10, 0},
	{"RwLock write+drop C / Rust", "c:rwlock-write-drop", "rust:rwlock-write-drop", ONE_THREAD, 0, 0},
	{"RwLock read-mostly, 2 threads C / Rust", "c:rwlock-read-mostly-2", "rust:rwlock-read-mostly-2", ONE_THREAD, 0, 0},
	{"Condvar ping-pong C / Rust", "c:condvar-ping-pong", "rust:condvar-ping-pong", ONE_THREAD, 0, 0},
	{"Condvar notify_one, no waiter C / Rust", "c:condvar-notify-no-waiter", "rust:condvar-notify-one", ONE_THREAD, 0.50, 0},
	{"RwLock / Mutex read-mostly", "rwlock-read-mostly", "read-mutex", SAME_THREADS, 0, 0},
};

int rl_bench_ratio_digits(double ratio, double target)
{
	/* Two digits, more while the printed ratio would read as the target. */
	int digits = 2;
	char r[32], t[32];
	while (target > 0 && ratio != target && digits < 6) {
		snprintf(r, sizeof r, "%.*f", digits, ratio);
		snprintf(t, sizeof t, "%.*f", digits, target);
		if (strcmp(r, t))
			break;
		digits++;
	}
	return digits;
}

static bool ratio_at(const struct rl_bench_session *s, const struct ratio_def *d, unsigned t,
		     const struct rl_bench_result **n, const struct rl_bench_result **m)
{
	*n = rl_bench_session_get(s, d->num, t);
	*m = rl_bench_session_get(s, d->den, t);
	return *n && *m && (*m)->st.median > 0;
}

static void print_ratio_line(struct rl_bench_session *s, const char *label, unsigned threads,
			     const struct rl_bench_result *n, const struct rl_bench_result *m,
			     double target, double max_diff_ns)
{
	char a[32], b[32];
	double ratio = n->st.median / m->st.median;
	if (s->opts->lines) {
		rl_bench_jl_begin(s, "ratio");
		rl_bench_jl_str(s, "label", label);
		rl_bench_jl_str(s, "numerator", n->name);
		rl_bench_jl_str(s, "denominator", m->name);
		rl_bench_jl_num(s, "threads", threads);
		rl_bench_jl_num(s, "denominator_threads", m->threads);
		rl_bench_jl_num(s, "numerator_ns", n->st.median);
		rl_bench_jl_num(s, "denominator_ns", m->st.median);
		rl_bench_jl_num(s, "ratio", ratio);
		rl_bench_jl_num(s, "ratio_min", m->st.min > 0 ? n->st.min / m->st.min : NAN);
		rl_bench_jl_num(s, "target", target > 0 ? target : NAN);
		rl_bench_jl_num(s, "max_diff_ns", max_diff_ns > 0 ? max_diff_ns : NAN);
		fputs(",\"met\":", s->out);
		if (target > 0 || max_diff_ns > 0)
			fputs((target <= 0 || ratio <= target) &&
				      (max_diff_ns <= 0 || n->st.median - m->st.median <= max_diff_ns)
				      ? "true" : "false", s->out);
		else
			fputs("null", s->out);
		rl_bench_jl_end(s);
		return;
	}
	int digits = rl_bench_ratio_digits(ratio, target);
	fprintf(s->out, "  %-42s %4u thr  %9s / %-9s ns  = %6.*fx  (min %5.2fx)", label, threads,
		rl_bench_fmt_num(n->st.median, a, sizeof a),
		rl_bench_fmt_num(m->st.median, b, sizeof b), digits, ratio,
		m->st.min > 0 ? n->st.min / m->st.min : NAN);
	if (target > 0)
		fprintf(s->out, "   target <= %.2fx: %s", target, ratio <= target ? "met" : "MISSED");
	if (max_diff_ns > 0) {
		double diff = n->st.median - m->st.median;
		fprintf(s->out, "   %+.2f ns, target <= +%.1f ns: %s", diff, max_diff_ns,
			diff <= max_diff_ns ? "met" : "MISSED");
	}
	fputc('\n', s->out);
}

static const char ratio_title[] =
	"ratios measured in this run: of the medians (targets are checked on these), and of the\n"
	"minima (the least disturbed samples; a wide gap between the two means a busy machine)\n";

void rl_bench_print_ratios(struct rl_bench_session *s)
{
	bool any = false;
	const struct rl_bench_opts *o = s->opts;
	for (size_t i = 0; i < sizeof ratio_defs / sizeof ratio_defs[0]; i++) {
		const struct ratio_def *d = &ratio_defs[i];
		const struct rl_bench_result *n, *m;
		size_t nt = d->mode == ONE_THREAD ? 1 : o->nthreads;
		for (size_t k = 0; k < nt; k++) {
			unsigned t = d->mode == ONE_THREAD ? 1 : o->threads[k];
			if (!ratio_at(s, d, t, &n, &m))
				continue;
			if (!any && !o->lines)
				fprintf(s->out, "\n%s", ratio_title);
			any = true;
			print_ratio_line(s, d->label, t, n, m, d->target, d->max_diff_ns);
		}
	}
	/* contended / uncontended: every threaded benchmark, most threads vs 1 */
	unsigned tmax = o->threads[o->nthreads - 1];
	if (tmax > 1) {
		for (size_t i = 0; i < s->nres; i++) {
			const struct rl_bench_result *r = &s->res[i];
			if (!r->plot || r->threads != tmax)
				continue;
			const struct rl_bench_result *one = rl_bench_session_get(s, r->name, 1);
			if (!one || !(one->st.median > 0))
				continue;
			char label[96];
			snprintf(label, sizeof label, "contended/uncontended %s", r->name);
			if (o->lines) {
				print_ratio_line(s, label, tmax, r, one, 0, 0);
				continue;
			}
			if (!any)
				fprintf(s->out, "\n%s", ratio_title);
			any = true;
			char a[32], b[32];
			fprintf(s->out, "  %-42s %4u/1    %9s / %-9s ns  = %6.2fx  (min %5.2fx)\n", label,
				tmax, rl_bench_fmt_num(r->st.median, a, sizeof a),
				rl_bench_fmt_num(one->st.median, b, sizeof b),
				r->st.median / one->st.median,
				one->st.min > 0 ? r->st.min / one->st.min : NAN);
		}
	}
	/* issue 6: the deterministic scheduler makes at least 200,000 scheduling points per second */
	static const char *const sched[] = {"sched-point-random", "sched-point-pct"};
	for (size_t i = 0; i < sizeof sched / sizeof sched[0]; i++) {
		const struct rl_bench_result *r = rl_bench_session_get(s, sched[i], 1);
		if (!r || !(r->st.median > 0))
			continue;
		double pps = 1e9 / r->st.median;
		if (o->lines) {
			rl_bench_jl_target(s, sched[i], 2, pps, "points/s", 200000, false);
			continue;
		}
		fprintf(s->out, "  %-42s %4u thr  %9.0f points/s                   target >= 200000: %s\n",
			sched[i], 2u, pps, pps >= 200000 ? "met" : "MISSED");
	}
	rl_bench_print_detect_targets(s);
}

/* ------------------------------------------------------------------------
 * Table
 * ---------------------------------------------------------------------- */

void rl_bench_print_header(struct rl_bench_session *s)
{
	const struct rl_bench_opts *o = s->opts;
	if (o->lines) {
		rl_bench_jl_begin(s, "context");
		rl_bench_jl_str(s, "cpu_model", s->cpu_model);
		rl_bench_jl_num(s, "cpus", s->ncpus);
		rl_bench_jl_str(s, "date", s->date);
		rl_bench_jl_str(s, "build_type", RL_BENCH_BUILD_TYPE);
		rl_bench_jl_str(s, "sanitizer", RL_BENCH_SANITIZER[0] ? RL_BENCH_SANITIZER : NULL);
		rl_bench_jl_str(s, "compiler", "gcc " __VERSION__);
		rl_bench_jl_num(s, "samples", (double)o->samples);
		rl_bench_jl_num(s, "sample_ms", o->sample_ms);
		rl_bench_jl_num(s, "warmup_ms", o->warmup_ms);
		rl_bench_jl_num(s, "timer_ns", s->clock.timer_ns);
		rl_bench_jl_num(s, "tsc_ghz", rl_bench_have_cycles() ? s->clock.tsc_ghz : NAN);
		rl_bench_jl_bool(s, "pin", o->pin);
		fputs(",\"threads\":[", s->out);
		for (size_t i = 0; i < o->nthreads; i++)
			fprintf(s->out, "%s%u", i ? "," : "", o->threads[i]);
		fputc(']', s->out);
		rl_bench_jl_end(s);
		return;
	}
	fprintf(s->out, "racelab bench: %s, %u CPUs, %s\n", s->cpu_model, s->ncpus, s->date);
	fprintf(s->out, "build: %s%s%s, %s\n", RL_BENCH_BUILD_TYPE,
		RL_BENCH_SANITIZER[0] ? ", -fsanitize=" : "", RL_BENCH_SANITIZER, "gcc " __VERSION__);
	if (RL_BENCH_SANITIZER[0])
		fprintf(s->out, "note: sanitizer build: the numbers show the sanitizer's cost, not the primitives'\n");
	fprintf(s->out, "method: warm-up, then %zu samples of ~%g ms each; ns/op per thread; "
		"clock_gettime(CLOCK_MONOTONIC) %.1f ns/call\n",
		o->samples, o->sample_ms, s->clock.timer_ns);
	if (rl_bench_have_cycles())
		fprintf(s->out, "cycles: rdtsc reference cycles at the constant TSC rate (%.3f GHz), "
			"not core clock cycles\n", s->clock.tsc_ghz);
	else
		fprintf(s->out, "cycles: not available on this architecture\n");
	fprintf(s->out, "pinning: %s\n\n", o->pin ? "worker i on allowed CPU i mod n (--pin)" : "off");
	fprintf(s->out, "%-26s %4s %10s %10s %10s %8s %8s %7s\n", "benchmark", "thr", "median", "min",
		"max", "MAD", "cyc/op", "spread");
	fprintf(s->out, "%-26s %4s %10s %10s %10s %8s %8s %7s\n", "", "", "ns/op", "ns/op", "ns/op",
		"ns/op", "", "");
	fflush(s->out);
}

void rl_bench_print_row(struct rl_bench_session *s, const struct rl_bench_result *r)
{
	char a[32], b[32], c[32], d[32], e[32];
	if (s->progress)
		fputs("\r\033[K", stderr);
	if (s->opts->lines) {
		rl_bench_jl_begin(s, "result");
		rl_bench_jl_str(s, "benchmark", r->name);
		rl_bench_jl_str(s, "series", r->series);
		rl_bench_jl_num(s, "threads", r->threads);
		rl_bench_jl_num(s, "samples", (double)r->nsamples);
		rl_bench_jl_num(s, "iters", (double)r->iters);
		rl_bench_jl_num(s, "median_ns", r->st.median);
		rl_bench_jl_num(s, "min_ns", r->st.min);
		rl_bench_jl_num(s, "max_ns", r->st.max);
		rl_bench_jl_num(s, "mean_ns", r->st.mean);
		rl_bench_jl_num(s, "mad_ns", r->st.mad);
		rl_bench_jl_num(s, "iqr_ns", r->st.iqr);
		rl_bench_jl_num(s, "cycles_per_op", r->cycles ? r->cyc.median : NAN);
		rl_bench_jl_num(s, "cpu_ns", r->cpu_ns ? r->cpu.median : NAN);
		rl_bench_jl_num(s, "spread_pct", 100 * r->spread);
		rl_bench_jl_bool(s, "stable", r->spread <= RL_BENCH_STABLE_SPREAD);
		rl_bench_jl_num(s, "overlap", r->threads > 1 ? r->overlap : NAN);
		rl_bench_jl_end(s);
		return;
	}
	fprintf(s->out, "%-26s %4u %10s %10s %10s %8s %8s %6.1f%%%s\n", r->name, r->threads,
		rl_bench_fmt_num(r->st.median, a, sizeof a), rl_bench_fmt_num(r->st.min, b, sizeof b),
		rl_bench_fmt_num(r->st.max, c, sizeof c), rl_bench_fmt_num(r->st.mad, d, sizeof d),
		r->cycles ? rl_bench_fmt_num(r->cyc.median, e, sizeof e) : "n/a", 100 * r->spread,
		r->spread > RL_BENCH_STABLE_SPREAD ? " !" : "");
	fflush(s->out);
}

void rl_bench_print_skip(struct rl_bench_session *s, const char *name, const char *why)
{
	if (s->progress)
		fputs("\r\033[K", stderr);
	if (s->opts->lines) {
		rl_bench_jl_begin(s, "skip");
		rl_bench_jl_str(s, "benchmark", name);
		rl_bench_jl_str(s, "reason", why);
		rl_bench_jl_end(s);
		return;
	}
	fprintf(s->out, "%-26s %4s   skipped: %s\n", name, "-", why);
	fflush(s->out);
}

/* One warning (or note): a line of its own in the table, or a JSON line. */
static void warn(struct rl_bench_session *s, bool *header, const char *type, const struct rl_bench_result *r,
		 const char *what, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void warn(struct rl_bench_session *s, bool *header, const char *type, const struct rl_bench_result *r,
		 const char *what, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (s->opts->lines) {
		jl_warning(s, type, r, what, text);
		return;
	}
	if (!*header)
		fputc('\n', s->out);
	*header = true;
	fprintf(s->out, "%s: %s\n", type, text);
}

void rl_bench_print_warnings(struct rl_bench_session *s)
{
	bool header = false;
	for (size_t i = 0; i < s->nres; i++) {
		const struct rl_bench_result *r = &s->res[i];
		if (r->spread > RL_BENCH_STABLE_SPREAD)
			warn(s, &header, "warning", r, "unstable",
			     "%s threads=%u: unstable: medians of %u sample blocks differ by %.0f%% (> %.0f%%); rerun on "
			     "an idle machine", r->name, r->threads, RL_BENCH_BLOCKS, 100 * r->spread,
			     100 * RL_BENCH_STABLE_SPREAD);
		unsigned can = r->threads < s->ncpus ? r->threads : s->ncpus;
		if (r->threads > 1 && r->overlap < 0.75 * can)
			warn(s, &header, "warning", r, "overlap",
			     "%s threads=%u: threads overlapped %.2f of %u: another process had the CPUs; contention is "
			     "understated", r->name, r->threads, r->overlap, can);
		if (r->timer_overhead > 0.01)
			warn(s, &header, "warning", r, "timer_overhead",
			     "%s threads=%u: clock reads are %.1f%% of a sample (raise --time-per-sample)", r->name,
			     r->threads, 100 * r->timer_overhead);
	}
	const struct rl_bench_opts *o = s->opts;
	if (o->threads[o->nthreads - 1] > s->ncpus)
		warn(s, &header, "note", NULL, "oversubscribed",
		     "more threads than CPUs (%u): those rows include time spent descheduled", s->ncpus);
}

/* key=value with a number; "nan" never appears (n/a instead). */
static void kv(FILE *f, const char *key, double v)
{
	if (isfinite(v))
		fprintf(f, " %s=%.6g", key, v);
	else
		fprintf(f, " %s=n/a", key);
}

void rl_bench_print_summary(struct rl_bench_session *s)
{
	if (s->opts->lines)
		return; /* the result, ratio and target lines carry the same figures */
	fputc('\n', s->out);
	for (size_t i = 0; i < s->nres; i++) {
		const struct rl_bench_result *r = &s->res[i];
		fprintf(s->out, "SUMMARY bench=%s threads=%u samples=%zu iters=%llu", r->name, r->threads,
			r->nsamples, (unsigned long long)r->iters);
		kv(s->out, "median_ns", r->st.median);
		kv(s->out, "min_ns", r->st.min);
		kv(s->out, "max_ns", r->st.max);
		kv(s->out, "mean_ns", r->st.mean);
		kv(s->out, "mad_ns", r->st.mad);
		kv(s->out, "iqr_ns", r->st.iqr);
		kv(s->out, "cycles_per_op", r->cycles ? r->cyc.median : NAN);
		kv(s->out, "cpu_ns", r->cpu_ns ? r->cpu.median : NAN);
		kv(s->out, "spread_pct", 100 * r->spread);
		fprintf(s->out, " stable=%s", r->spread > RL_BENCH_STABLE_SPREAD ? "no" : "yes");
		if (r->threads > 1)
			kv(s->out, "overlap", r->overlap);
		/* targets of which this row is the numerator */
		for (size_t k = 0; k < sizeof ratio_defs / sizeof ratio_defs[0]; k++) {
			const struct ratio_def *d = &ratio_defs[k];
			const struct rl_bench_result *n, *m;
			if (d->target <= 0 || strcmp(d->num, r->name) || r->threads != 1 ||
			    !ratio_at(s, d, 1, &n, &m))
				continue;
			double ratio = n->st.median / m->st.median;
			fprintf(s->out, " vs=%s", d->den);
			kv(s->out, "ratio", ratio);
			kv(s->out, "ratio_min", m->st.min > 0 ? n->st.min / m->st.min : NAN);
			kv(s->out, "target", d->target);
			fprintf(s->out, " met=%s", ratio <= d->target ? "yes" : "no");
		}
		fputc('\n', s->out);
	}
	rl_bench_print_detect_summary(s);
	fflush(s->out);
}

/* ------------------------------------------------------------------------
 * JSON: Google Benchmark's format (context + benchmarks), so that its
 * tools/compare.py reads the file. Each sample is one "iteration" run
 * (repetition); the aggregates mean, median, stddev, cv, min, max and mad
 * follow, as benchmark --benchmark_repetitions writes them.
 * ---------------------------------------------------------------------- */

void rl_bench_json_string(FILE *f, const char *str)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

static void json_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.9g", v);
	else
		fputs("null", f);
}

static void json_caches(FILE *f)
{
	fputs("  \"caches\": [", f);
	bool first = true;
	for (int i = 0; i < 16; i++) {
		char path[128], type[32] = "", size[32] = "", shared[256] = "";
		int level = 0;
		FILE *g;
		snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
		if (!(g = fopen(path, "r")))
			break;
		if (fscanf(g, "%d", &level) != 1)
			level = 0;
		fclose(g);
		snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", i);
		if ((g = fopen(path, "r"))) {
			if (fscanf(g, "%31s", type) != 1)
				type[0] = 0;
			fclose(g);
		}
		snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
		if ((g = fopen(path, "r"))) {
			if (fscanf(g, "%31s", size) != 1)
				size[0] = 0;
			fclose(g);
		}
		snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/shared_cpu_list", i);
		if ((g = fopen(path, "r"))) {
			if (!fgets(shared, sizeof shared, g))
				shared[0] = 0;
			fclose(g);
		}
		long bytes = strtol(size, NULL, 10);
		if (strchr(size, 'K'))
			bytes *= 1024;
		else if (strchr(size, 'M'))
			bytes *= 1024 * 1024;
		/* shared_cpu_list: "0-1" or "0,2": count CPUs */
		int sharing = 0;
		for (char *p = shared; *p;) {
			char *end;
			long a = strtol(p, &end, 10);
			if (end == p)
				break;
			long b = a;
			if (*end == '-')
				b = strtol(end + 1, &end, 10);
			sharing += (int)(b - a + 1);
			p = *end == ',' ? end + 1 : end;
			if (*p == '\n')
				break;
		}
		fprintf(f, "%s\n    {\"type\": ", first ? "" : ",");
		rl_bench_json_string(f, strcmp(type, "Unified") == 0 ? "Unified" : type);
		fprintf(f, ", \"level\": %d, \"size\": %ld, \"num_sharing\": %d}", level, bytes,
			sharing > 0 ? sharing : 1);
		first = false;
	}
	fputs(first ? "],\n" : "\n  ],\n", f);
}

static void json_run(FILE *f, const struct rl_bench_result *r, size_t family, size_t inst, bool *first,
		     const char *agg, double real, double cpu, size_t rep, const char *unit)
{
	char run_name[96];
	snprintf(run_name, sizeof run_name, "%s/threads:%u", r->name, r->threads);
	fprintf(f, "%s\n    {\n      \"name\": ", *first ? "" : ",");
	*first = false;
	if (agg) {
		char name[128];
		snprintf(name, sizeof name, "%s_%s", run_name, agg);
		rl_bench_json_string(f, name);
	} else {
		rl_bench_json_string(f, run_name);
	}
	fprintf(f, ",\n      \"family_index\": %zu,\n      \"per_family_instance_index\": %zu,\n"
		"      \"run_name\": ", family, inst);
	rl_bench_json_string(f, run_name);
	fprintf(f, ",\n      \"run_type\": \"%s\",\n      \"repetitions\": %zu,\n",
		agg ? "aggregate" : "iteration", r->nsamples);
	if (!agg) /* as Google Benchmark: aggregates carry no repetition_index */
		fprintf(f, "      \"repetition_index\": %zu,\n", rep);
	fprintf(f, "      \"threads\": %u,\n      \"iterations\": %llu,\n", r->threads,
		(unsigned long long)r->iters);
	if (agg)
		fprintf(f, "      \"aggregate_name\": \"%s\",\n      \"aggregate_unit\": \"%s\",\n", agg, unit);
	fputs("      \"real_time\": ", f);
	json_num(f, real);
	fputs(",\n      \"cpu_time\": ", f);
	json_num(f, cpu);
	fputs(",\n      \"time_unit\": \"ns\"", f);
	if (!agg) {
		if (r->cycles) {
			fputs(",\n      \"cycles_per_op\": ", f);
			json_num(f, r->cycles[rep]);
		}
	} else if (!strcmp(agg, "median")) {
		fputs(",\n      \"cycles_per_op\": ", f);
		json_num(f, r->cycles ? r->cyc.median : NAN);
		fputs(",\n      \"iqr_ns\": ", f);
		json_num(f, r->st.iqr);
		fputs(",\n      \"spread\": ", f);
		json_num(f, r->spread);
		fputs(",\n      \"overlap\": ", f);
		json_num(f, r->overlap);
	}
	fputs("\n    }", f);
}

/* family_index: one per benchmark name, numbered in order of first appearance. */
static size_t family_of(const struct rl_bench_session *s, size_t i)
{
	size_t fam = 0;
	for (size_t j = 0; j < i; j++) {
		bool first = true;
		for (size_t q = 0; q < j && first; q++)
			first = strcmp(s->res[q].name, s->res[j].name) != 0;
		if (!first)
			continue;
		if (!strcmp(s->res[j].name, s->res[i].name))
			return fam;
		fam++;
	}
	return fam;
}

int rl_bench_write_json(const struct rl_bench_session *s, FILE *f)
{
	char host[256] = "", exe[4096] = "";
	if (gethostname(host, sizeof host - 1) != 0)
		host[0] = 0;
	ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[k > 0 ? k : 0] = 0;
	double load[3] = {0, 0, 0};
	if (getloadavg(load, 3) != 3)
		load[0] = load[1] = load[2] = 0;

	fputs("{\n  \"context\": {\n  \"date\": ", f);
	rl_bench_json_string(f, s->date);
	fputs(",\n  \"host_name\": ", f);
	rl_bench_json_string(f, host);
	fputs(",\n  \"executable\": ", f);
	rl_bench_json_string(f, exe);
	fprintf(f, ",\n  \"num_cpus\": %u,\n  \"mhz_per_cpu\": %.0f,\n"
		"  \"cpu_scaling_enabled\": %s,\n", s->ncpus, s->clock.tsc_ghz * 1000,
		access("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", F_OK) == 0 ? "true" : "false");
	json_caches(f);
	fputs("  \"load_avg\": [", f);
	json_num(f, load[0]);
	fputs(", ", f);
	json_num(f, load[1]);
	fputs(", ", f);
	json_num(f, load[2]);
	fputs("],\n  \"json_schema_version\": 1,\n  \"library_build_type\": ", f);
	rl_bench_json_string(f, strcmp(RL_BENCH_BUILD_TYPE, "Debug") == 0 ? "debug" : "release");
	fputs(",\n  \"racelab_build_type\": ", f);
	rl_bench_json_string(f, RL_BENCH_BUILD_TYPE);
	fputs(",\n  \"racelab_sanitizer\": ", f);
	rl_bench_json_string(f, RL_BENCH_SANITIZER);
	fputs(",\n  \"cpu_model\": ", f);
	rl_bench_json_string(f, s->cpu_model);
	fputs(",\n  \"timer\": \"clock_gettime(CLOCK_MONOTONIC)\",\n  \"timer_ns\": ", f);
	json_num(f, s->clock.timer_ns);
	fprintf(f, ",\n  \"cycles_source\": \"%s\",\n  \"tsc_ghz\": ",
		rl_bench_have_cycles() ? "rdtsc (reference cycles)" : "none");
	json_num(f, s->clock.tsc_ghz);
	fputs(",\n  \"time_per_sample_ms\": ", f);
	json_num(f, s->opts->sample_ms);
	fprintf(f, ",\n  \"pinned\": %s", s->opts->pin ? "true" : "false");
	if (s->rustc_version[0]) {
		fputs(",\n  \"rustc\": ", f);
		rl_bench_json_string(f, s->rustc_version);
	}
	fputs("\n  },\n  \"benchmarks\": [", f);

	bool first = true;
	for (size_t i = 0; i < s->nres; i++) {
		const struct rl_bench_result *r = &s->res[i];
		size_t fam = family_of(s, i), inst = 0;
		for (size_t j = 0; j < i; j++)
			inst += strcmp(s->res[j].name, r->name) == 0;
		for (size_t k2 = 0; k2 < r->nsamples; k2++)
			json_run(f, r, fam, inst, &first, NULL, r->ns[k2], r->cpu_ns ? r->cpu_ns[k2] : r->ns[k2],
				 k2, "time");
		const struct rl_bench_stats *st = &r->st;
		const struct rl_bench_stats *cp = r->cpu_ns ? &r->cpu : &r->st;
		json_run(f, r, fam, inst, &first, "mean", st->mean, cp->mean, 0, "time");
		json_run(f, r, fam, inst, &first, "median", st->median, cp->median, 0, "time");
		json_run(f, r, fam, inst, &first, "stddev", st->stddev, cp->stddev, 0, "time");
		json_run(f, r, fam, inst, &first, "cv", st->mean > 0 ? st->stddev / st->mean : NAN,
			 cp->mean > 0 ? cp->stddev / cp->mean : NAN, 0, "percentage");
		json_run(f, r, fam, inst, &first, "min", st->min, cp->min, 0, "time");
		json_run(f, r, fam, inst, &first, "max", st->max, cp->max, 0, "time");
		json_run(f, r, fam, inst, &first, "mad", st->mad, cp->mad, 0, "time");
	}
	fputs(first ? "]\n}\n" : "\n  ]\n}\n", f);
	return ferror(f) ? -1 : 0;
}

/* ------------------------------------------------------------------------
 * CSV: one row per (benchmark, threads); RFC 4180 quoting.
 * ---------------------------------------------------------------------- */

static void csv_field(FILE *f, const char *str)
{
	if (strpbrk(str, ",\"\n\r")) {
		fputc('"', f);
		for (const char *p = str; *p; p++) {
			if (*p == '"')
				fputc('"', f);
			fputc(*p, f);
		}
		fputc('"', f);
	} else {
		fputs(str, f);
	}
}

static void csv_num(FILE *f, double v)
{
	fputc(',', f);
	if (isfinite(v))
		fprintf(f, "%.9g", v);
}

int rl_bench_write_csv(const struct rl_bench_session *s, FILE *f)
{
	fputs("benchmark,series,threads,samples,iterations,median_ns,mean_ns,min_ns,max_ns,"
	      "stddev_ns,mad_ns,q1_ns,q3_ns,iqr_ns,cycles_per_op,cpu_ns,spread_pct,stable,overlap\n", f);
	for (size_t i = 0; i < s->nres; i++) {
		const struct rl_bench_result *r = &s->res[i];
		csv_field(f, r->name);
		fputc(',', f);
		csv_field(f, r->series);
		fprintf(f, ",%u,%zu,%llu", r->threads, r->nsamples, (unsigned long long)r->iters);
		csv_num(f, r->st.median);
		csv_num(f, r->st.mean);
		csv_num(f, r->st.min);
		csv_num(f, r->st.max);
		csv_num(f, r->st.stddev);
		csv_num(f, r->st.mad);
		csv_num(f, r->st.q1);
		csv_num(f, r->st.q3);
		csv_num(f, r->st.iqr);
		csv_num(f, r->cycles ? r->cyc.median : NAN);
		csv_num(f, r->cpu_ns ? r->cpu.median : NAN);
		csv_num(f, 100 * r->spread);
		fprintf(f, ",%s", r->spread > RL_BENCH_STABLE_SPREAD ? "no" : "yes");
		csv_num(f, r->overlap);
		fputc('\n', f);
	}
	return ferror(f) ? -1 : 0;
}
