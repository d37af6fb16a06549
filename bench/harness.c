/* harness.c — clocks, the worker pool with its start barrier, calibration and
 * sampling; the session's result list.
 *
 * A measurement of (benchmark, N threads) owns a pool of N worker threads that
 * live for the whole measurement, so thread creation is never timed. Each
 * sample:
 *   1. the driver publishes the batch size and bumps the epoch (mutex +
 *      condition variable: idle workers sleep, they do not steal a CPU);
 *   2. every worker wakes, announces itself (armed++) and spins on the start
 *      flag; the driver sets the flag once all N are armed, so the timed loops
 *      start together (within a cache-line transfer) — the start barrier;
 *   3. each worker reads its clocks, runs run(iters), reads its clocks again
 *      and reports; the last one wakes the driver, which sleeps meanwhile.
 * ns/op of a sample is (last t1 - first t0) / iters: the time N threads
 * take to do iters operations each, per operation — what one thread pays per
 * operation while N threads run the same loop. Per-worker times alone would
 * hide threads that did not really run together (a busy machine runs them
 * one after the other, each alone and fast); the span does not, and
 * overlap = sum of per-worker times / span (N when they ran side by side)
 * says how concurrent the sample was. With more workers than CPUs the
 * spinning in step 2 yields, and the span includes the time threads waited
 * for a CPU: that is what oversubscription costs.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define HAVE_RDTSC 1
#else
#define HAVE_RDTSC 0
#endif

#include <racelab/status.h>

#include "harness.h"
#include "core/arch.h"

/* ------------------------------------------------------------------------
 * Clocks
 * ---------------------------------------------------------------------- */

uint64_t rl_bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool rl_bench_have_cycles(void)
{
	return HAVE_RDTSC;
}

uint64_t rl_bench_cycles(void)
{
#if HAVE_RDTSC
	/* Reads around a batch of >= 1 ms: the few dozen cycles rdtsc may drift
	 * against surrounding instructions do not matter, so no lfence. */
	return __rdtsc();
#else
	return 0;
#endif
}

void rl_bench_clock_calibrate(struct rl_bench_clock *c)
{
	enum { CALLS = 20000 };
	uint64_t best = UINT64_MAX;
	for (int round = 0; round < 3; round++) {
		uint64_t t0 = rl_bench_now_ns();
		uint64_t sink = 0;
		for (int i = 0; i < CALLS; i++)
			sink += rl_bench_now_ns();
		RL_BENCH_KEEP(sink);
		uint64_t dt = rl_bench_now_ns() - t0;
		if (dt < best)
			best = dt;
	}
	c->timer_ns = (double)best / CALLS;

	c->tsc_ghz = 0;
	if (rl_bench_have_cycles()) {
		/* TSC rate against CLOCK_MONOTONIC over about 5 ms. */
		uint64_t n0 = rl_bench_now_ns(), k0 = rl_bench_cycles();
		struct timespec d = {0, 5000000};
		while (nanosleep(&d, &d) != 0 && errno == EINTR)
			;
		uint64_t n1 = rl_bench_now_ns(), k1 = rl_bench_cycles();
		if (n1 > n0)
			c->tsc_ghz = (double)(k1 - k0) / (double)(n1 - n0);
	}
}

/* ------------------------------------------------------------------------
 * Worker pool
 * ---------------------------------------------------------------------- */

struct worker {
	_Alignas(128) struct pool *pool; /* each worker's record on its own lines */
	unsigned idx;
	pthread_t th;
	void *local;
	int status;                      /* thread_init's, then run()'s result */
	bool inited;                     /* thread_init succeeded: thread_fini is due */
	uint64_t ns0, ns1, cyc0, cyc1, cpu0, cpu1;
};
/* w->status: thread_init's result, then the last run()'s. A worker whose
 * status is not RL_OK still arms and reports, so the barrier never waits for
 * it, and pool_sample() returns its status. */

struct pool {
	const struct rl_bench *b;
	void *shared;
	unsigned n;
	int *cpus;                       /* pinning: CPU of each worker, or NULL */

	pthread_mutex_t mu;
	pthread_cond_t work;             /* driver -> workers: new epoch or quit */
	pthread_cond_t done;             /* workers -> driver: all finished */
	uint64_t epoch;                  /* guarded by mu */
	uint64_t iters;                  /* guarded by mu */
	unsigned finished;               /* guarded by mu */
	bool quit;                       /* guarded by mu */

	/* The start barrier. A worker's fetch_add on armed (release) pairs with
	 * the driver's acquire load that counts N; the driver's release store of
	 * go pairs with each worker's acquire load, so nothing a worker does in
	 * the timed loop can be ordered before the driver saw everyone armed. */
	_Alignas(128) atomic_uint armed;
	_Alignas(128) atomic_uint_fast64_t go;

	struct worker *w;
};


static void pin_self(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	(void)pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->pool;
	const struct rl_bench *b = p->b;

	if (p->cpus)
		pin_self(p->cpus[w->idx]);
	w->status = b->thread_init ? b->thread_init(p->shared, w->idx, &w->local) : RL_OK;
	w->inited = w->status == RL_OK;

	uint64_t seen = 0;
	pthread_mutex_lock(&p->mu);
	p->finished++;
	if (p->finished == p->n)
		pthread_cond_signal(&p->done);
	for (;;) {
		while (p->epoch == seen && !p->quit)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->quit)
			break;
		seen = p->epoch;
		uint64_t iters = p->iters;
		pthread_mutex_unlock(&p->mu);

		atomic_fetch_add_explicit(&p->armed, 1, memory_order_release);
		struct rl_backoff spins = RL_BACKOFF_INIT(1, 256); /* a pause a turn, then yield */
		while (atomic_load_explicit(&p->go, memory_order_acquire) != seen)
			rl_backoff_spin(&spins);
		if (w->status == RL_OK) {
			w->cpu0 = thread_cpu_ns();
			w->cyc0 = rl_bench_cycles();
			w->ns0 = rl_bench_now_ns();
			w->status = b->run(p->shared, w->local, w->idx, iters);
			w->ns1 = rl_bench_now_ns();
			w->cyc1 = rl_bench_cycles();
			w->cpu1 = thread_cpu_ns();
		}

		pthread_mutex_lock(&p->mu);
		if (++p->finished == p->n)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	if (w->inited && b->thread_fini)
		b->thread_fini(p->shared, w->local, w->idx);
	return NULL;
}

static void pool_stop(struct pool *p, unsigned started)
{
	pthread_mutex_lock(&p->mu);
	p->quit = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < started; i++)
		pthread_join(p->w[i].th, NULL);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->mu);
	free(p->w);
	free(p->cpus);
}

/* The CPUs this process may run on, for --pin. */
static int *pin_plan(unsigned n)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) != 0)
		return NULL;
	int allowed[CPU_SETSIZE];
	unsigned na = 0;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			allowed[na++] = c;
	if (na == 0)
		return NULL;
	int *cpus = malloc(n * sizeof *cpus);
	if (!cpus)
		return NULL;
	for (unsigned i = 0; i < n; i++)
		cpus[i] = allowed[i % na];
	return cpus;
}

static int pool_start(struct pool *p, const struct rl_bench *b, void *shared, unsigned n, bool pin)
{
	memset(p, 0, sizeof *p);
	p->b = b;
	p->shared = shared;
	p->n = n;
	atomic_init(&p->armed, 0);
	atomic_init(&p->go, 0);
	p->w = aligned_alloc(_Alignof(struct worker), n * sizeof *p->w);
	if (!p->w)
		return RL_ENOMEM;
	memset(p->w, 0, n * sizeof *p->w);
	if (pin && !(p->cpus = pin_plan(n))) {
		free(p->w);
		return RL_ENOMEM;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, (size_t)1 << 20);
	unsigned started = 0;
	int rc = RL_OK;
	for (; started < n; started++) {
		p->w[started].pool = p;
		p->w[started].idx = started;
		if (pthread_create(&p->w[started].th, &attr, worker_main, &p->w[started]) != 0) {
			rc = RL_EAGAIN;
			break;
		}
	}
	pthread_attr_destroy(&attr);

	/* Wait for every started worker's thread_init. */
	pthread_mutex_lock(&p->mu);
	while (p->finished < started)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < started && rc == RL_OK; i++)
		if (p->w[i].status != RL_OK)
			rc = p->w[i].status;
	if (rc != RL_OK)
		pool_stop(p, started);
	return rc;
}

struct sample {
	int status;        /* RL_OK, or the first failing worker's status */
	double ns_per_op;  /* span / iters */
	double cpu_per_op; /* mean over workers of thread CPU time / iters */
	double cyc_per_op; /* TSC span / iters */
	double span_ns;    /* first start to last finish */
	double overlap;    /* sum of per-worker elapsed times / span: ~N when concurrent */
};

static struct sample pool_sample(struct pool *p, uint64_t iters)
{
	pthread_mutex_lock(&p->mu);
	atomic_store_explicit(&p->armed, 0, memory_order_relaxed);
	p->iters = iters;
	p->finished = 0;
	uint64_t epoch = ++p->epoch;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);

	struct rl_backoff spins = RL_BACKOFF_INIT(1, 256); /* a pause a turn, then yield */
	while (atomic_load_explicit(&p->armed, memory_order_acquire) < p->n)
		rl_backoff_spin(&spins);
	atomic_store_explicit(&p->go, epoch, memory_order_release);

	pthread_mutex_lock(&p->mu);
	while (p->finished < p->n)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);

	struct sample s = {.status = RL_OK};
	uint64_t ns0 = UINT64_MAX, ns1 = 0, cyc0 = UINT64_MAX, cyc1 = 0;
	double busy = 0, cpu = 0;
	for (unsigned i = 0; i < p->n; i++) {
		const struct worker *w = &p->w[i];
		if (w->status != RL_OK && s.status == RL_OK)
			s.status = w->status;
		ns0 = w->ns0 < ns0 ? w->ns0 : ns0;
		ns1 = w->ns1 > ns1 ? w->ns1 : ns1;
		cyc0 = w->cyc0 < cyc0 ? w->cyc0 : cyc0;
		cyc1 = w->cyc1 > cyc1 ? w->cyc1 : cyc1;
		busy += (double)(w->ns1 - w->ns0);
		cpu += (double)(w->cpu1 - w->cpu0);
	}
	if (s.status != RL_OK)
		return s;
	s.span_ns = (double)(ns1 - ns0);
	s.ns_per_op = s.span_ns / (double)iters;
	s.cyc_per_op = (double)(cyc1 - cyc0) / (double)iters;
	s.cpu_per_op = cpu / p->n / (double)iters;
	s.overlap = s.span_ns > 0 ? busy / s.span_ns : 1;
	return s;
}

/* ------------------------------------------------------------------------
 * Measurement
 * ---------------------------------------------------------------------- */

void rl_bench_progress(struct rl_bench_session *s, const char *fmt, ...)
{
	if (!s->progress)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "\r\033[K[%zu/%zu] ", s->step, s->nsteps);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
}

static int session_push(struct rl_bench_session *s, struct rl_bench_result **out)
{
	if (s->nres == s->capres) {
		size_t cap = s->capres ? 2 * s->capres : 32;
		struct rl_bench_result *r = realloc(s->res, cap * sizeof *r);
		if (!r)
			return RL_ENOMEM;
		s->res = r;
		s->capres = cap;
	}
	*out = &s->res[s->nres];
	memset(*out, 0, sizeof **out);
	return RL_OK;
}

static void result_free(struct rl_bench_result *r)
{
	free(r->ns);
	free(r->cpu_ns);
	free(r->cycles);
}

static int result_finish(struct rl_bench_result *r)
{
	int rc = rl_bench_stats_compute(r->ns, r->nsamples, &r->st);
	if (rc == RL_OK && r->cpu_ns)
		rc = rl_bench_stats_compute(r->cpu_ns, r->nsamples, &r->cpu);
	if (rc == RL_OK && r->cycles)
		rc = rl_bench_stats_compute(r->cycles, r->nsamples, &r->cyc);
	if (rc == RL_OK) {
		r->spread = rl_bench_block_spread(r->ns, r->nsamples, RL_BENCH_BLOCKS);
		if (r->spread < 0)
			rc = RL_ENOMEM;
	}
	return rc;
}

struct rl_bench_runner {
	struct rl_bench_session *s;
	const struct rl_bench *b;
	unsigned threads;
	void *shared;
	struct pool pool;
	uint64_t iters;
};

int rl_bench_runner_open(struct rl_bench_session *s, const struct rl_bench *b, unsigned threads,
			 struct rl_bench_runner **out)
{
	const struct rl_bench_opts *o = s->opts;
	struct rl_bench_runner *r = calloc(1, sizeof *r);
	if (!r)
		return RL_ENOMEM;
	r->s = s;
	r->b = b;
	r->threads = threads;
	int rc = b->setup ? b->setup(&r->shared, threads) : RL_OK;
	if (rc != RL_OK) {
		free(r);
		return rc;
	}
	rc = pool_start(&r->pool, b, r->shared, threads, o->pin);
	if (rc != RL_OK) {
		if (b->teardown)
			b->teardown(r->shared, threads);
		free(r);
		return rc;
	}

	/* The sample must last at least 200 clock reads (2 per sample: < 1 %). */
	double target = o->sample_ms * 1e6;
	if (target < 200 * s->clock.timer_ns)
		target = 200 * s->clock.timer_ns;

	/* Calibration (also the first warm-up): grow the batch until a sample
	 * lasts at least 80 % of the target, by at most 10x per step while the
	 * sample is too short to trust. */
	rl_bench_progress(s, "%s threads=%u: calibrating", b->name, threads);
	uint64_t iters = 1;
	struct sample sm;
	for (;;) {
		sm = pool_sample(&r->pool, iters);
		if (sm.status != RL_OK || sm.span_ns >= 0.8 * target)
			break;
		double mult = sm.span_ns > 0 ? 1.2 * target / sm.span_ns : 10;
		if (sm.span_ns < target / 10 && mult > 10)
			mult = 10;
		double next = (double)iters * mult;
		iters = next > (double)(UINT64_MAX / 4) ? UINT64_MAX / 4
			: (uint64_t)next > iters ? (uint64_t)next : iters + 1;
	}
	rc = sm.status;
	double per = sm.span_ns / (double)iters;
	if (rc == RL_OK && per > 0) {
		double want = target / per;
		iters = want < 1 ? 1 : (uint64_t)want;
	}
	r->iters = iters;

	/* Warm-up at the final batch size. */
	rl_bench_progress(s, "%s threads=%u: warm-up", b->name, threads);
	uint64_t w0 = rl_bench_now_ns();
	while (rc == RL_OK) {
		rc = pool_sample(&r->pool, iters).status;
		if ((double)(rl_bench_now_ns() - w0) >= o->warmup_ms * 1e6)
			break;
	}
	if (rc != RL_OK) {
		rl_bench_runner_close(r);
		return rc;
	}
	*out = r;
	return RL_OK;
}

int rl_bench_runner_sample(struct rl_bench_runner *r, struct rl_bench_sample *out)
{
	struct sample sm = pool_sample(&r->pool, r->iters);
	if (sm.status != RL_OK)
		return sm.status;
	out->ns = sm.ns_per_op;
	out->cpu_ns = sm.cpu_per_op;
	out->cycles = sm.cyc_per_op;
	out->overlap = sm.overlap;
	return RL_OK;
}

uint64_t rl_bench_runner_iters(const struct rl_bench_runner *r)
{
	return r->iters;
}

void rl_bench_runner_close(struct rl_bench_runner *r)
{
	if (!r)
		return;
	pool_stop(&r->pool, r->threads);
	if (r->b->teardown)
		r->b->teardown(r->shared, r->threads);
	free(r);
}

/* Samples of one benchmark while it is being measured. */
struct track {
	const struct rl_bench *b;
	struct rl_bench_runner *run;
	double *ns, *cpu, *cyc, *overlap;
};

/*
 * Measure @nb benchmarks (1 or 2) with @threads threads. With two, both are
 * calibrated and warmed up, then their samples alternate A B, B A, A B, ...
 * so that the machine's load drifting during the run moves both alike and
 * their ratio stays fair. Results are appended in the order given.
 */
static int measure_interleaved(struct rl_bench_session *s, const struct rl_bench *const *bs,
			       size_t nb, unsigned threads)
{
	const struct rl_bench_opts *o = s->opts;
	size_t n = o->samples;
	struct track t[RL_BENCH_GROUP_MAX];
	int rc = RL_OK;
	if (nb == 0 || nb > RL_BENCH_GROUP_MAX)
		return RL_EINVAL;
	memset(t, 0, sizeof t);
	for (size_t k = 0; k < nb; k++) {
		t[k].b = bs[k];
		t[k].ns = malloc(n * sizeof(double));
		t[k].cpu = malloc(n * sizeof(double));
		t[k].cyc = malloc(n * sizeof(double));
		t[k].overlap = malloc(n * sizeof(double));
		if (!t[k].ns || !t[k].cpu || !t[k].cyc || !t[k].overlap)
			rc = RL_ENOMEM;
	}
	for (size_t k = 0; k < nb && rc == RL_OK; k++)
		rc = rl_bench_runner_open(s, t[k].b, threads, &t[k].run);
	for (size_t i = 0; rc == RL_OK && i < n; i++) {
		for (size_t j = 0; j < nb && rc == RL_OK; j++) {
			struct track *tk = &t[i % 2 ? nb - 1 - j : j];
			struct rl_bench_sample sm = {0, 0, 0, 0};
			rl_bench_progress(s, "%s threads=%u: sample %zu/%zu", tk->b->name, threads, i + 1, n);
			rc = rl_bench_runner_sample(tk->run, &sm);
			tk->ns[i] = sm.ns;
			tk->cpu[i] = sm.cpu_ns;
			tk->cyc[i] = sm.cycles;
			tk->overlap[i] = sm.overlap;
		}
	}
	uint64_t iters[RL_BENCH_GROUP_MAX] = {0};
	for (size_t k = 0; k < nb; k++) {
		iters[k] = t[k].run ? rl_bench_runner_iters(t[k].run) : 0;
		rl_bench_runner_close(t[k].run);
	}
	for (size_t k = 0; k < nb && rc == RL_OK; k++) {
		struct rl_bench_stats ov;
		rc = rl_bench_stats_compute(t[k].overlap, n, &ov);
		if (rc == RL_OK)
			rc = rl_bench_session_add(s, t[k].b->name, t[k].b->series, threads, iters[k],
						  t[k].ns, n, t[k].cpu,
						  rl_bench_have_cycles() ? t[k].cyc : NULL);
		if (rc == RL_OK) {
			struct rl_bench_result *r = &s->res[s->nres - 1];
			r->bench = t[k].b;
			r->plot = (t[k].b->flags & RL_BENCH_THREADS) != 0;
			r->overlap = ov.median;
		}
	}
	for (size_t k = 0; k < nb; k++) {
		free(t[k].ns);
		free(t[k].cpu);
		free(t[k].cyc);
		free(t[k].overlap);
	}
	return rc;
}

int rl_bench_measure(struct rl_bench_session *s, const struct rl_bench *b, unsigned threads)
{
	return measure_interleaved(s, &b, 1, threads);
}

int rl_bench_measure_group(struct rl_bench_session *s, const struct rl_bench *const *bs, size_t nb,
			   unsigned threads)
{
	return measure_interleaved(s, bs, nb, threads);
}

int rl_bench_session_add(struct rl_bench_session *s, const char *name, const char *series,
			 unsigned threads, uint64_t iters, const double *ns, size_t n,
			 const double *cpu_ns, const double *cycles)
{
	if (n == 0)
		return RL_EINVAL;
	struct rl_bench_result *r;
	int rc = session_push(s, &r);
	if (rc != RL_OK)
		return rc;
	snprintf(r->name, sizeof r->name, "%s", name);
	snprintf(r->series, sizeof r->series, "%s", series);
	r->threads = threads;
	r->iters = iters;
	r->nsamples = n;
	r->overlap = threads;
	r->ns = malloc(n * sizeof *r->ns);
	r->cpu_ns = cpu_ns ? malloc(n * sizeof *r->cpu_ns) : NULL;
	r->cycles = cycles ? malloc(n * sizeof *r->cycles) : NULL;
	if (!r->ns || (cpu_ns && !r->cpu_ns) || (cycles && !r->cycles)) {
		result_free(r);
		return RL_ENOMEM;
	}
	memcpy(r->ns, ns, n * sizeof *ns);
	if (cpu_ns)
		memcpy(r->cpu_ns, cpu_ns, n * sizeof *cpu_ns);
	if (cycles)
		memcpy(r->cycles, cycles, n * sizeof *cycles);
	rc = result_finish(r);
	if (rc != RL_OK) {
		result_free(r);
		return rc;
	}
	/* Two clock reads per sample against the time of one sample. */
	double sample_ns = r->st.mean * (double)iters;
	r->timer_overhead = sample_ns > 0 ? 2 * s->clock.timer_ns / sample_ns : 0;
	s->nres++;
	return RL_OK;
}

const struct rl_bench_result *rl_bench_session_get(const struct rl_bench_session *s,
						   const char *name, unsigned threads)
{
	for (size_t i = s->nres; i-- > 0;)
		if (s->res[i].threads == threads && !strcmp(s->res[i].name, name))
			return &s->res[i];
	return NULL;
}

void rl_bench_session_free(struct rl_bench_session *s)
{
	for (size_t i = 0; i < s->nres; i++)
		result_free(&s->res[i]);
	free(s->res);
	s->res = NULL;
	s->nres = s->capres = 0;
}
