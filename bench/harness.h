/* harness.h — racelab's benchmark harness (private to bench/ and its tests).
 *
 * Method (the Criterion / Google Benchmark recipe, in C):
 *   - a benchmark is a loop body run(iters) executed by 1..N timed threads
 *     that leave a start barrier together;
 *   - calibration grows the batch (iterations per thread per sample) until
 *     one sample lasts --time-per-sample, and never less than 200 timer
 *     calls, so the two clock reads around a batch cost under 1 %;
 *   - warm-up samples are run and thrown away, then --samples samples are
 *     kept; each gives ns/op per thread (from the first thread's start to
 *     the last one's finish, divided by the iterations of one thread) and
 *     rdtsc cycles/op over the same span;
 *   - statistics: median, min, max, mean, stddev, MAD and IQR; the samples
 *     are also cut into three consecutive blocks whose medians must agree
 *     within 10 % (otherwise the output says the run was unstable).
 *
 * Cycles come from rdtsc: *reference* cycles at the constant TSC rate, not
 * core clock cycles (the core may run faster or slower than the TSC).
 */
#ifndef RACELAB_BENCH_HARNESS_H
#define RACELAB_BENCH_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Keeping the compiler honest.
 *
 * rl_bench_escape(p): the compiler must assume that p, and all memory, is
 * read and written here, so stores to *p cannot be sunk out of the loop and
 * loads cannot be hoisted; like Google Benchmark's DoNotOptimize(&x) and
 * Rust's std::hint::black_box(&x).
 * rl_bench_clobber(): a compiler-only memory barrier (no instruction).
 * RL_BENCH_KEEP(x): x (an integer or pointer lvalue) is read and rewritten by
 * an empty asm, so the value computed before is materialised in a register
 * and later uses cannot be folded.
 *
 * Checked once with objdump -d on a -O3 build (CMake Release, GCC 12.2):
 * every loop keeps its operation per iteration — counter-plain and the
 * false-sharing loops `addq $1,(mem)` (not one add of iters), counter-relaxed
 * and counter-seqcst `lock addq`, counter-cas `lock cmpxchg` in its retry
 * loop, rc-clone-drop `addq`/`subq` on the strong count in memory, each after
 * the owner test (tag owner xor %fs:tid, or rl__probe_active), arc-clone-drop
 * `lock xadd` then `lock subq`. The Rust loops in bench/rust/compare.rs were
 * checked the same way (`incq`/`decq`, `lock incq`/`lock decq`).
 * ---------------------------------------------------------------------- */
static inline void rl_bench_escape(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

static inline void rl_bench_clobber(void)
{
	__asm__ volatile("" : : : "memory");
}

#define RL_BENCH_KEEP(x) __asm__ volatile("" : "+r"(x))

/* Sanitizer builds: numbers are not representative; TSan skips racy benches. */
#if defined(__SANITIZE_THREAD__)
#define RL_BENCH_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RL_BENCH_TSAN 1
#endif
#endif
#ifndef RL_BENCH_TSAN
#define RL_BENCH_TSAN 0
#endif

/* ------------------------------------------------------------------------
 * Benchmark definitions
 * ---------------------------------------------------------------------- */

enum {
	RL_BENCH_THREADS = 1u << 0, /* run once per --threads count (else 1 thread) */
	RL_BENCH_RACY = 1u << 1,    /* races by design: skipped in TSan builds */
	RL_BENCH_CUSTOM = 1u << 2,  /* not a loop: custom() produces the results */
};

struct rl_bench_session;

/*
 * One benchmark. The harness calls, for each thread count:
 *   setup(&shared, nthreads)                        on the driving thread;
 *   thread_init(shared, idx, &local)                on each timed thread;
 *   run(shared, local, idx, iters) many times       on each timed thread;
 *   thread_fini(shared, local, idx)                 on each timed thread;
 *   teardown(shared, nthreads)                      on the driving thread.
 * Every hook except run may be NULL. setup/thread_init return RL_OK or a
 * negative RL_ status. run performs exactly @iters operations and returns
 * RL_OK, or a negative status when an operation failed (the measurement then
 * stops with that status).
 */
struct rl_bench {
	const char *name;   /* command-line name: "arc-clone-drop" */
	const char *series; /* label in tables, ratios and the plot: "Arc clone+drop" */
	const char *what;   /* one line for --list */
	unsigned flags;
	int (*setup)(void **shared, unsigned nthreads);
	int (*thread_init)(void *shared, unsigned idx, void **local);
	int (*run)(void *shared, void *local, unsigned idx, uint64_t iters);
	void (*thread_fini)(void *shared, void *local, unsigned idx);
	void (*teardown)(void *shared, unsigned nthreads);
	/* RL_BENCH_CUSTOM: produce results with rl_bench_session_add(). */
	int (*custom)(struct rl_bench_session *s);
	/* The reference this one is compared with (a target ratio): when both
	 * are selected they are measured together, samples alternating. Set on
	 * the later of the two in the registry; same thread counts. */
	const char *pair;
};

/* The registry, in run order. */
extern const struct rl_bench *const rl_bench_registry[];
extern const size_t rl_bench_registry_len;
const struct rl_bench *rl_bench_find(const char *name);

/* ------------------------------------------------------------------------
 * Statistics
 * ---------------------------------------------------------------------- */

struct rl_bench_stats {
	size_t n;
	double median, min, max, mean, stddev;
	double mad; /* median absolute deviation from the median (unscaled) */
	double q1, q3, iqr; /* quartiles by linear interpolation (numpy's default) */
};

/* Fill @st from @n values (n >= 1); @v is not modified. Return RL_OK, RL_EINVAL
 * for n == 0, RL_ENOMEM. */
int rl_bench_stats_compute(const double *v, size_t n, struct rl_bench_stats *st);

/* Quantile q in [0,1] of ascending @sorted (linear interpolation). */
double rl_bench_quantile(const double *sorted, size_t n, double q);

/* Spread of the medians of @blocks consecutive blocks, relative to the median
 * of all values: (max block median - min block median) / median. 0 when n is
 * too small to cut (fewer than 2 values per block). Negative on ENOMEM. */
double rl_bench_block_spread(const double *v, size_t n, unsigned blocks);

/* Medians of repeated blocks must agree within this fraction. */
#define RL_BENCH_STABLE_SPREAD 0.10
#define RL_BENCH_BLOCKS 3u

/* ------------------------------------------------------------------------
 * Timing
 * ---------------------------------------------------------------------- */

uint64_t rl_bench_now_ns(void);  /* CLOCK_MONOTONIC */
uint64_t rl_bench_cycles(void);  /* rdtsc; 0 where unavailable */
bool rl_bench_have_cycles(void);

struct rl_bench_clock {
	double timer_ns;  /* cost of one rl_bench_now_ns() call */
	double tsc_ghz;   /* TSC ticks per ns; 0 without rdtsc */
};
void rl_bench_clock_calibrate(struct rl_bench_clock *c);

/* ------------------------------------------------------------------------
 * A session: options, results, outputs
 * ---------------------------------------------------------------------- */

struct rl_bench_opts {
	unsigned *threads;     /* ascending, distinct, >= 1 */
	size_t nthreads;
	double sample_ms;      /* target duration of one sample */
	double warmup_ms;      /* warm-up after calibration */
	size_t samples;
	bool pin;
	bool list;
	bool rust;             /* also run rust-compare */
	const char *json, *csv, *plot;
	bool lines;            /* --json: JSON lines on stdout instead of the table */
};

struct rl_bench_result {
	const struct rl_bench *bench; /* NULL for rows made by custom benchmarks */
	char name[64];                /* bench name, or a custom row name ("rust:arc-clone-drop") */
	char series[64];
	unsigned threads;
	uint64_t iters;               /* per thread per sample */
	size_t nsamples;
	double *ns;                   /* ns/op per sample (span of all threads / iters) */
	double *cpu_ns;               /* thread CPU ns/op per sample; may be NULL */
	double *cycles;               /* rdtsc cycles/op per sample; NULL without rdtsc */
	struct rl_bench_stats st, cpu, cyc;
	double spread;                /* rl_bench_block_spread() of ns */
	double timer_overhead;        /* fraction of a sample spent reading clocks */
	double overlap;               /* median of sum(thread times)/span: ~threads when concurrent */
	bool plot;                    /* part of the ns/op-vs-threads plot */
};

struct rl_bench_session {
	const struct rl_bench_opts *opts;
	struct rl_bench_clock clock;
	struct rl_bench_result *res;
	size_t nres, capres;
	bool progress;                /* stderr is a terminal */
	size_t step, nsteps;          /* progress counters */
	FILE *out;                    /* the table (stdout) */
	char cpu_model[128];
	unsigned ncpus;
	char date[64];
	/* rust-compare */
	char rustc_version[96];
};

/* Measure @b with @threads timed threads and append the result. Return RL_OK
 * or a negative status (the benchmark could not run). */
int rl_bench_measure(struct rl_bench_session *s, const struct rl_bench *b, unsigned threads);

/* Most benchmarks measured together: a reference and the partners that name it. */
#define RL_BENCH_GROUP_MAX 4

/* Measure @bs[0..@nb) together, their samples alternating (A B C, C B A, ...),
 * so that their ratios do not depend on when each ran; appends their results
 * in order. Return: RL_EINVAL for 0 or more than RL_BENCH_GROUP_MAX. */
int rl_bench_measure_group(struct rl_bench_session *s, const struct rl_bench *const *bs, size_t nb,
			   unsigned threads);

/* Append a result from per-sample figures (ns/op; CPU ns/op and cycles/op
 * may be NULL). Copies the arrays; computes the statistics. */
int rl_bench_session_add(struct rl_bench_session *s, const char *name, const char *series,
			 unsigned threads, uint64_t iters, const double *ns, size_t n,
			 const double *cpu_ns, const double *cycles);

/*
 * A measurement taken one sample at a time, for interleaving two of them
 * (rust-compare): open = setup, worker pool, calibration and warm-up.
 */
struct rl_bench_runner;
struct rl_bench_sample {
	double ns, cpu_ns, cycles, overlap;
};
int rl_bench_runner_open(struct rl_bench_session *s, const struct rl_bench *b, unsigned threads,
			 struct rl_bench_runner **out);
int rl_bench_runner_sample(struct rl_bench_runner *r, struct rl_bench_sample *out);
uint64_t rl_bench_runner_iters(const struct rl_bench_runner *r);
void rl_bench_runner_close(struct rl_bench_runner *r); /* NULL is a no-op */

const struct rl_bench_result *rl_bench_session_get(const struct rl_bench_session *s,
						   const char *name, unsigned threads);
void rl_bench_session_free(struct rl_bench_session *s);

/* Progress on stderr, only when it is a terminal. */
void rl_bench_progress(struct rl_bench_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------------
 * Reports (report.c)
 * ---------------------------------------------------------------------- */

void rl_bench_print_header(struct rl_bench_session *s);
void rl_bench_print_row(struct rl_bench_session *s, const struct rl_bench_result *r);
void rl_bench_print_skip(struct rl_bench_session *s, const char *name, const char *why);
void rl_bench_print_ratios(struct rl_bench_session *s);
void rl_bench_print_warnings(struct rl_bench_session *s);
void rl_bench_print_summary(struct rl_bench_session *s);

/* Machine outputs; each returns 0, or -1 with errno set on a write error. */
int rl_bench_write_json(const struct rl_bench_session *s, FILE *f);
int rl_bench_write_csv(const struct rl_bench_session *s, FILE *f);
int rl_bench_write_svg(const struct rl_bench_session *s, FILE *f);

/* --json's JSON lines on s->out: begin(type) opens {"type":...}, the others
 * add a key (a non-finite number is null, a NULL string is null), end closes
 * the object and the line. */
void rl_bench_jl_begin(struct rl_bench_session *s, const char *type);
void rl_bench_jl_str(struct rl_bench_session *s, const char *key, const char *v);
void rl_bench_jl_num(struct rl_bench_session *s, const char *key, double v);
void rl_bench_jl_bool(struct rl_bench_session *s, const char *key, bool v);
void rl_bench_jl_end(struct rl_bench_session *s);
/* A target line (type "target"): @label's @value in @unit against @target (@at_most: <=, else >=). */
void rl_bench_jl_target(struct rl_bench_session *s, const char *label, unsigned threads, double value,
			const char *unit, double target, bool at_most);

/* Format helpers shared with the tests. */
void rl_bench_json_string(FILE *f, const char *str);
void rl_bench_xml_string(FILE *f, const char *str);
/* "%.3g"-like with enough digits for tables: 0.512, 12.3, 1234, 45600. */
const char *rl_bench_fmt_num(double v, char *buf, size_t len);

/* Axis scale for the plot: true when values span more than this factor. */
#define RL_BENCH_LOG_SCALE_RATIO 30.0
bool rl_bench_plot_use_log(double vmin, double vmax);
/* Digits a ratio is printed with: 2, more while it would print as @target (report.c). */
int rl_bench_ratio_digits(double ratio, double target);

/* ------------------------------------------------------------------------
 * Command line helpers (cli.c), exposed for the tests
 * ---------------------------------------------------------------------- */

/* Parse "1,2,4" into an ascending, distinct array (malloc'd). Each value in
 * [1, RL_BENCH_MAX_THREADS]. Return RL_OK or RL_EINVAL (message in @err). */
#define RL_BENCH_MAX_THREADS 1024u
int rl_bench_parse_threads(const char *s, unsigned **out, size_t *n, char *err, size_t errlen);

/* Levenshtein distance (bytes). */
size_t rl_bench_edit_distance(const char *a, const char *b);
/* Closest registered benchmark name for a misspelt @name, or NULL. */
const char *rl_bench_suggest(const char *name);

/* rust-compare (rust.c) */
extern const struct rl_bench rl_bench_rust_compare;

/* Run @argv; stdout into @out (malloc'd, NUL-terminated) when non-NULL,
 * otherwise to /dev/null; stderr to /dev/null. @cpu >= 0 pins the child.
 * Return: the exit status, or -1 when it could not run. (rust.c) */
int rl_bench_run_child(char *const argv[], char **out, int cpu);

/* bench_detect.c: the detector's targets (ns per event, slowdown beside
 * TSan's), in the ratios section and as SUMMARY lines. */
void rl_bench_print_detect_targets(struct rl_bench_session *s);
void rl_bench_print_detect_summary(struct rl_bench_session *s);

#ifdef __cplusplus
}
#endif
#endif
