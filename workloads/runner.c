/* runner.c — runs one workload and turns what happened into a verdict.
 *
 * A run: reset the owner-check counters, set the mode, route reports into the
 * result (a sink), start the quarantine for racy workloads, run the workload's
 * function on the runtime "main" thread (8 MiB, --main-stack), end the
 * quarantine, then decide the verdict from the result.
 *
 * Isolated runs (RL_WF_ISOLATE, and every run with --check abort) happen in a
 * forked child. The result struct lives in a MAP_SHARED page, so whatever the
 * child wrote before it died (the recursion depth of an overflowing thread,
 * the reports sent before an abort) is still there. How the child ended comes
 * back as records on a pipe of its own (the verdict channel, below): an
 * owner-check abort is announced before it happens. The child's stderr comes
 * back through another pipe, for people. A stack overflow is announced by the
 * runtime's fault handler through rl__thread_set_overflow_hook(); only a
 * sanitizer that handles SIGSEGV itself is recognised by its report's text
 * ("stack-overflow"), since racelab's handler never runs then. fork() happens on the process's main thread while no
 * other racelab thread runs, so the child starts single-threaded (which
 * ThreadSanitizer requires to spawn threads).
 *
 * Simulated runs (--detect, --schedule): the probe session is attached on the
 * runtime "main" thread, which becomes the scheduler's T0, right before the
 * workload's function and detached right after it (every worker joined); the
 * session's statistics and reports are copied into r->sim, so they survive a
 * forked child too. Under the scheduler a team's start gate is skipped: the
 * scheduler decides who runs, and a worker spinning at a gate it cannot see
 * would never let the others start.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <racelab/check.h>
#include <racelab/parse.h>
#include <racelab/probe.h>
#include <racelab/status.h>
#include <racelab/thread.h>
#include <racelab/model.h>
#include <racelab/workload.h>

#include "wl.h"

/* ---- Ctrl-C -------------------------------------------------------------- */

/* Set from a signal handler, polled by workload loops: relaxed is enough, the
 * value carries no data (the joins order what the workers measured). */
static atomic_int stop_requested;

void rl_workload_stop(void) { atomic_store_explicit(&stop_requested, 1, memory_order_relaxed); }
bool rl_workload_stopping(void) { return atomic_load_explicit(&stop_requested, memory_order_relaxed); }
void rl_workload_reset_stop(void) { atomic_store_explicit(&stop_requested, 0, memory_order_relaxed); }

bool rl_workload_under_tsan(void)
{
#if defined(__SANITIZE_THREAD__)
	return true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
	return true;
#else
	return false;
#endif
#else
	return false;
#endif
}

/* ---- simulation ---------------------------------------------------------- */

/* Set by the runner around a run under the scheduler; read by the workload's
 * threads, which the spawns order after the write. */
static bool serialised;

bool rl__wl_scheduled(void) { return serialised; }
void rl__wl_set_scheduled(bool on) { serialised = on; }

const char *rl_wl_schedule_name(rl_probe_schedule s)
{
	switch (s) {
	case RL_PROBE_SCHEDULE_DEFAULT: return "default";
	case RL_PROBE_SCHEDULE_OS: return "os";
	case RL_PROBE_SCHEDULE_RANDOM: return "random";
	case RL_PROBE_SCHEDULE_PCT: return "pct";
	}
	return "unknown";
}

static bool sim_scheduled(const struct rl_workload_params *p)
{
	return p->schedule == RL_PROBE_SCHEDULE_RANDOM || p->schedule == RL_PROBE_SCHEDULE_PCT;
}

static bool sim_on(const struct rl_workload_params *p)
{
	return p->detect || sim_scheduled(p);
}

/* A command line's --detect off: an RL_WF_SIMULATE workload's default run
 * without the detector (the scheduler alone). */
static bool detect_turned_off(const struct rl_workload_params *p)
{
	return (p->given & RL_WG_DETECT) && !p->detect;
}

/* A seed from the clock and the process id (nine digits, easy to retype). */
static uint64_t fresh_seed(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t z = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ ((uint64_t)getpid() << 17);
	/* splitmix64's finaliser. */
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return (z ^ (z >> 31)) % 1000000000u;
}

void rl_workload_resolve(const struct rl_workload *w, const struct rl_workload_params *p,
			 struct rl_workload_params *out)
{
	*out = *p;
	if (out->schedule == RL_PROBE_SCHEDULE_DEFAULT) {
		if (w->flags & RL_WF_SIMULATE) {
			out->schedule = RL_WL_SIM_SCHEDULE;
			out->detect = !detect_turned_off(p);
			if (!out->seed && !(detect_turned_off(p) && (p->given & RL_WG_SEED)))
				out->seed = RL_WL_SIM_SEED;
		} else {
			out->schedule = RL_PROBE_SCHEDULE_OS;
		}
	} else if (sim_scheduled(p) && (p->given & RL_WG_COMMAND_LINE) && !(p->given & RL_WG_SEED)) {
		out->seed = fresh_seed();
	}
	out->threads = p->threads ? p->threads : w->threads;
	out->iters = p->iters ? p->iters : sim_on(out) && w->sim_iters ? w->sim_iters : w->iters;
	if (out->schedule == RL_PROBE_SCHEDULE_PCT && !out->pct_depth)
		out->pct_depth = 3;
	if (out->schedule != RL_PROBE_SCHEDULE_PCT)
		out->pct_depth = 0, out->pct_steps = 0;
	if (sim_scheduled(out) && !out->max_steps)
		out->max_steps = RL_WL_MAX_STEPS;
	if (!sim_scheduled(out))
		out->seed = 0, out->max_steps = 0;
}

/* Copy the finished session's figures and reports into @r. */
static void sim_collect(struct rl_workload_result *r)
{
	rl_probe_stats st;
	rl_probe_get_stats(&st);
	struct rl_sim_result *s = &r->sim;
	s->events = st.events;
	s->lockfree_events = st.lockfree_events;
	s->steps = st.steps;
	s->switches = st.switches;
	s->threads = st.threads;
	s->races = st.races;
	s->race_events = st.race_events;
	s->deadlock = st.deadlock;
	s->step_limit = st.step_limit;
	s->thread_limit = st.thread_limit;
	s->unchecked_from = st.unchecked_from;
	if (st.thread_limit)
		snprintf(s->unchecked_name, sizeof(s->unchecked_name), "%s", rl_probe_thread_name(st.unchecked_from));
	s->nreports_all = rl_probe_report_count();
	for (size_t i = 0; i < s->nreports_all && s->nreports < RL_WL_MAX_SIM_REPORTS; i++) {
		const rl_probe_report *rep = rl_probe_report_at(i);
		rl_wl_report_from_probe(&s->report_data[s->nreports], rep);
		char *dst = s->reports[s->nreports++];
		snprintf(dst, RL_WL_SIM_REPORT, "%s", rep->text ? rep->text : "");
		if (rep->kind == RL_REPORT_RACE && rep->count > 1) {
			/* How often the same pair of call sites raced on that location. */
			size_t len = strlen(dst);
			if (len && dst[len - 1] == '\n')
				len--;
			snprintf(dst + len, RL_WL_SIM_REPORT - len, "\n  (%llu racy accesses of this pair)\n",
				 (unsigned long long)rep->count);
		}
	}
}

/* ---- limits and parameters ---------------------------------------------- */

uint64_t rl_workload_max_threads(void)
{
	uint64_t max = RL_WL_MAX_THREADS;
	struct rlimit rl;
	/* RLIMIT_NPROC counts every thread of the user; leave room for the
	 * process itself and the runtime main thread. */
	if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		uint64_t lim = rl.rlim_cur > 2 ? (uint64_t)rl.rlim_cur - 2 : 0;
		if (lim < max)
			max = lim;
	}
	FILE *f = fopen("/proc/sys/kernel/threads-max", "r");
	if (f) {
		unsigned long long tm;
		if (fscanf(f, "%llu", &tm) == 1 && tm > 2 && tm - 2 < max)
			max = tm - 2;
		fclose(f);
	}
	return max;
}

size_t rl_workload_max_stack(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), ps = sysconf(_SC_PAGESIZE);
	size_t mem = pages > 0 && ps > 0 ? (size_t)pages * (size_t)ps : RL_MAX_STACK_SIZE;
	return mem < RL_MAX_STACK_SIZE ? mem : RL_MAX_STACK_SIZE;
}

size_t rl_workload_min_stack(void)
{
	long m = sysconf(_SC_THREAD_STACK_MIN);
	return m > 0 ? (size_t)m : (size_t)16384;
}

static int check_stack(const char *opt, size_t v, char *why, size_t len)
{
	char a[32], b[32];
	if (v < rl_workload_min_stack()) {
		snprintf(why, len, "%s %s is below the minimum thread stack (%s)", opt,
			 rl_format_size(v, a, sizeof a), rl_format_size(rl_workload_min_stack(), b, sizeof b));
		return RL_EINVAL;
	}
	if (v > rl_workload_max_stack()) {
		snprintf(why, len, "%s %s is more than this machine's memory (%s)", opt,
			 rl_format_size(v, a, sizeof a), rl_format_size(rl_workload_max_stack(), b, sizeof b));
		return RL_EINVAL;
	}
	return RL_OK;
}

int rl_workload_check_params(const struct rl_workload *w, const struct rl_workload_params *p, char *why,
			     size_t len)
{
	bool simulate = (w->flags & RL_WF_SIMULATE) && p->schedule == RL_PROBE_SCHEDULE_DEFAULT;
	if ((p->given & RL_WG_COMMAND_LINE) && !sim_scheduled(p) && !simulate) {
		const char *opt = p->given & RL_WG_SEED ? "--seed" : p->max_steps ? "--max-steps" : NULL;
		if (opt) {
			snprintf(why, len, "%s applies to a scheduled run: add --schedule random or pct", opt);
			return RL_EINVAL;
		}
		if (p->trace && !p->detect) {
			snprintf(why, len, "--trace needs --detect hb or --schedule random|pct");
			return RL_EINVAL;
		}
	}
	bool pct = p->schedule == RL_PROBE_SCHEDULE_PCT || (simulate && RL_WL_SIM_SCHEDULE == RL_PROBE_SCHEDULE_PCT);
	if (p->pct_depth && !pct) {
		snprintf(why, len, "--pct-depth applies to --%s pct", p->given & RL_WG_STRATEGY ? "strategy" : "schedule");
		return RL_EINVAL;
	}
	if ((p->given & RL_WG_COMMAND_LINE) && p->pct_steps && !pct) {
		snprintf(why, len, "--pct-steps applies to --schedule pct");
		return RL_EINVAL;
	}
	if (p->threads && !(w->uses & RL_WP_THREADS)) {
		snprintf(why, len, "%s runs a fixed set of threads; --threads does not apply", w->name);
		return RL_EINVAL;
	}
	if (p->iters && !(w->uses & RL_WP_ITERS)) {
		snprintf(why, len, "%s has no iteration count; --iters does not apply", w->name);
		return RL_EINVAL;
	}
	if (p->stack && !(w->uses & RL_WP_STACK)) {
		snprintf(why, len, "%s spawns no threads; --stack does not apply (try --main-stack)", w->name);
		return RL_EINVAL;
	}
	uint64_t max = rl_workload_max_threads();
	if (p->threads > max) {
		snprintf(why, len, "--threads %llu is more than this system allows (at most %llu)",
			 (unsigned long long)p->threads, (unsigned long long)max);
		return RL_EINVAL;
	}
	uint64_t threads = p->threads ? p->threads : w->threads;
	uint64_t iters = p->iters ? p->iters : w->iters;
	if (threads && iters > (uint64_t)INT64_MAX / 4 / threads) {
		snprintf(why, len, "--iters %llu is too large: threads x iterations must stay below 2^61",
			 (unsigned long long)iters);
		return RL_EINVAL;
	}
	if (p->stack && check_stack("--stack", p->stack, why, len))
		return RL_EINVAL;
	if (p->main_stack && check_stack("--main-stack", p->main_stack, why, len))
		return RL_EINVAL;
	if (p->check != RL_CHECK_REPORT && p->check != RL_CHECK_ABORT && p->check != RL_CHECK_OFF) {
		snprintf(why, len, "--check must be report, abort or off");
		return RL_EINVAL;
	}
	if ((unsigned)p->schedule > RL_PROBE_SCHEDULE_PCT) {
		snprintf(why, len, "--schedule must be os, random or pct");
		return RL_EINVAL;
	}
	if (sim_scheduled(p) && (w->flags & (RL_WF_NO_SCHEDULE | RL_WF_ISOLATE))) {
		snprintf(why, len, "%s %s: racelab's scheduler does not apply (try --detect hb alone)", w->name,
			 w->flags & RL_WF_ISOLATE ? "ends its process on purpose"
						  : "measures time or memory, or waits on condition variables");
		return RL_EINVAL;
	}
	if ((w->flags & RL_WF_SCHEDULED_ONLY) && p->schedule == RL_PROBE_SCHEDULE_OS) {
		snprintf(why, len, "%s would hang under the OS schedule: it runs under racelab's scheduler "
			 "(--schedule random or pct)", w->name);
		return RL_EINVAL;
	}
	if (p->pct_depth > 64) {
		snprintf(why, len, "--pct-depth %u is too deep (at most 64)", p->pct_depth);
		return RL_EINVAL;
	}
	if (threads + 1 > RL_PROBE_MAX_THREADS && (p->detect || sim_scheduled(p) || (w->flags & RL_WF_SIMULATE))) {
		snprintf(why, len, "--threads %llu: racelab's detector and scheduler follow at most %u threads",
			 (unsigned long long)threads, RL_PROBE_MAX_THREADS - 1);
		return RL_EINVAL;
	}
	return RL_OK;
}

/* ---- verdicts ------------------------------------------------------------ */

static const char *const verdict_names[RL_VERDICT_COUNT] = {
	[RL_VERDICT_OVERFLOW] = "overflow",
	[RL_VERDICT_DEADLOCK] = "deadlock",
	[RL_VERDICT_PANIC] = "panic",
	[RL_VERDICT_SEND] = "send-violation",
	[RL_VERDICT_SYNC] = "sync-violation",
	[RL_VERDICT_RACE] = "race",
	[RL_VERDICT_LEAK] = "leak",
	[RL_VERDICT_CLEAN] = "clean",
};

const char *rl_verdict_name(enum rl_verdict v)
{
	return (unsigned)v < RL_VERDICT_COUNT ? verdict_names[v] : "unknown";
}

int rl_verdict_parse(const char *s, enum rl_verdict *out)
{
	for (int v = 0; v < RL_VERDICT_COUNT; v++) {
		if (!strcmp(s, verdict_names[v])) {
			*out = (enum rl_verdict)v;
			return RL_OK;
		}
	}
	if (!strcmp(s, "send")) {
		*out = RL_VERDICT_SEND;
		return RL_OK;
	}
	if (!strcmp(s, "sync")) {
		*out = RL_VERDICT_SYNC;
		return RL_OK;
	}
	return RL_EINVAL;
}

bool rl_verdict_matches(enum rl_verdict want, enum rl_verdict got)
{
	if (want == got)
		return true;
	return want == RL_VERDICT_RACE && (got == RL_VERDICT_SEND || got == RL_VERDICT_SYNC);
}

enum rl_verdict rl__wl_decide(const struct rl_workload_result *r)
{
	if (r->overflowed)
		return RL_VERDICT_OVERFLOW;
	/* The scheduler's deadlock comes first: the blocked threads then panic. */
	if (r->sim.deadlock)
		return RL_VERDICT_DEADLOCK;
	if (r->panics || r->child_signal)
		return RL_VERDICT_PANIC;
	if (r->reports[RL_CHECK_SEND])
		return RL_VERDICT_SEND;
	if (r->reports[RL_CHECK_SYNC])
		return RL_VERDICT_SYNC;
	if (r->reports[RL_CHECK_USE_AFTER_FREE] || r->lost || r->sim.races)
		return RL_VERDICT_RACE;
	if (r->leaked)
		return RL_VERDICT_LEAK;
	if (!r->invariant_held)
		return RL_VERDICT_RACE;
	return RL_VERDICT_CLEAN;
}

/* ---- running ------------------------------------------------------------- */

/* ---- the verdict channel --------------------------------------------------
 *
 * An isolated child says how it is about to end on a pipe of fixed-size
 * records, before it ends: the parent reads them once the child is gone and
 * classifies the end from them, not from the child's stderr. An owner-check
 * abort is announced by the sink, which check.c calls before it aborts. A
 * record is far below PIPE_BUF, so its write(2) is atomic, and write(2) is
 * safe wherever the child is (the sink runs under check.c's report lock).
 */
enum verdict_what {
	VERDICT_CHECK_ABORT = 1, /* an owner check is about to abort the child: .kind */
	VERDICT_OVERFLOW,        /* a thread ran into its guard page (racelab's fault handler) */
};

struct verdict_rec {
	uint32_t what; /* enum verdict_what */
	uint32_t kind; /* VERDICT_CHECK_ABORT: the rl_check_kind reported */
};

/* The child's write end of the verdict pipe; -1 in the parent and in-process runs. */
static int verdict_fd = -1;

static void verdict_send(enum verdict_what what, uint32_t kind)
{
	struct verdict_rec rec = {.what = what, .kind = kind};
	if (verdict_fd >= 0) {
		while (write(verdict_fd, &rec, sizeof rec) < 0 && errno == EINTR)
			;
	}
}

/* The fault handler's hook (core/thread.c): a stack overflow is about to
 * abort the child. write(2) is async-signal-safe. */
static void verdict_overflow(void)
{
	verdict_send(VERDICT_OVERFLOW, 0);
}

/* What the child's records said. */
struct verdict {
	bool overflow;
	bool check_abort;
	enum rl_check_kind kind;
};

/* Read the records of a child that is gone (its write ends are closed). */
static struct verdict verdict_read(int fd)
{
	struct verdict v = {0};
	struct verdict_rec rec;
	ssize_t n;
	while ((n = read(fd, &rec, sizeof rec)) == (ssize_t)sizeof rec || (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		if (rec.what == VERDICT_OVERFLOW)
			v.overflow = true;
		if (rec.what == VERDICT_CHECK_ABORT && !v.check_abort && rec.kind < RL_CHECK_NKINDS) {
			v.check_abort = true;
			v.kind = (enum rl_check_kind)rec.kind;
		}
	}
	return v;
}

/* Reports go into the result (under check.c's report lock: one at a time). In
 * abort mode the report ends the process right after: say so first. */
void rl__wl_sink(const struct rl_check_report *rep, void *ctx)
{
	struct rl_workload_result *r = ctx;
	if ((unsigned)rep->kind < RL_CHECK_NKINDS)
		r->reports[rep->kind]++;
	if (rep->kind == RL_CHECK_USE_AFTER_FREE && r->live_at_free == UINT64_MAX && rep->live != SIZE_MAX)
		r->live_at_free = rep->live;
	struct rl_wl_report data;
	rl_wl_report_from_check(&data, rep);
	rl__wl_message(r, rep->message, &data);
	if (rl_check_mode() == RL_CHECK_ABORT && verdict_fd >= 0) {
		/* One announcement is all the parent needs; later reports racing
		 * with the abort skip the write. verdict_fd is set before the
		 * workload spawns anything and changed only here, under check.c's
		 * report lock. */
		verdict_send(VERDICT_CHECK_ABORT, (uint32_t)rep->kind);
		verdict_fd = -1;
	}
}

struct main_arg {
	const struct rl_workload *w;
	const struct rl_workload_params *p;
	struct rl_workload_result *r;
	int status;
};

static void *workload_main(void *arg)
{
	struct main_arg *a = arg;
	const struct rl_workload_params *p = a->p;
	bool sim = sim_on(p);
	if (sim) {
		rl_probe_config cfg = {
			.detect = p->detect,
			.schedule = p->schedule,
			.seed = p->seed,
			.pct_depth = p->pct_depth,
			.pct_steps = p->pct_steps,
			.max_steps = p->max_steps,
			.trace = p->trace,
			.main_name = "main",
		};
		int err = rl_probe_attach(&cfg);
		if (err) {
			a->status = rl__wl_fail(a->r, err, "cannot attach racelab's detector/scheduler: %s", rl_strerror(err));
			return NULL;
		}
		serialised = sim_scheduled(p);
		a->r->sim.on = true;
	}
	a->status = a->w->run(p, a->r);
	if (sim) {
		int err = rl_probe_detach();
		serialised = false;
		if (err) /* a worker still runs: the workload did not join it (a bug) */
			RL_FATAL("%s: probe session still busy after the workload returned (%s)", a->w->name,
				 rl_strerror(err));
		sim_collect(a->r);
	}
	return NULL;
}

/* Read all of @fd into @buf (NUL-terminated, truncated); echo it to @echo if >= 0. */
static void drain(int fd, char *buf, size_t len, int echo)
{
	size_t have = 0;
	char chunk[4096];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (echo >= 0 && write(echo, chunk, (size_t)n) < 0)
			echo = -1;
		size_t take = (size_t)n < len - 1 - have ? (size_t)n : len - 1 - have;
		memcpy(buf + have, chunk, take);
		have += take;
	}
	buf[have] = '\0';
}

/* The run proper, in this process. */
static int run_here(const struct rl_workload *w, const struct rl_workload_params *p,
		    struct rl_workload_result *r, bool capture)
{
	int saved_err = -1;
	FILE *tmp = NULL;
	if (capture && (tmp = tmpfile()) != NULL) {
		fflush(stderr);
		saved_err = dup(STDERR_FILENO);
		if (saved_err < 0 || dup2(fileno(tmp), STDERR_FILENO) < 0) {
			if (saved_err >= 0)
				close(saved_err);
			saved_err = -1;
			fclose(tmp);
			tmp = NULL;
		}
	}

	rl_check_reset_counts();
	rl_check_set_mode(p->check);
	rl_check_set_sink(rl__wl_sink, r);
	bool quarantine = w->flags & RL_WF_RACY;
	if (quarantine)
		rl_check_quarantine_begin();

	struct main_arg a = {.w = w, .p = p, .r = r};
	double t0 = rl__wl_now();
	int err = rl_run_main(workload_main, &a, p->main_stack, NULL);
	r->seconds = rl__wl_now() - t0;
	if (err)
		rl__wl_fail(r, err, "cannot start the main thread: %s", rl_strerror(err));
	else if (a.status && !r->error)
		rl__wl_fail(r, a.status, "%s", rl_strerror(a.status));

	if (quarantine)
		rl_check_quarantine_end();
	rl_check_set_sink(NULL, NULL);
	rl_check_set_live_fn(NULL, NULL);
	rl_check_set_mode(RL_CHECK_REPORT);
	for (int k = 0; k < RL_CHECK_NKINDS; k++) {
		uint64_t n = rl_check_count((enum rl_check_kind)k);
		if (n > r->reports[k])
			r->reports[k] = n;
	}
	r->interrupted = rl_workload_stopping();

	if (tmp) {
		fflush(stderr);
		dup2(saved_err, STDERR_FILENO);
		close(saved_err);
		rewind(tmp);
		size_t n = fread(r->captured, 1, sizeof r->captured - 1, tmp);
		r->captured[n] = '\0';
		fclose(tmp);
	}
	return r->error;
}

static bool has(const char *text, const char *what) { return strstr(text, what) != NULL; }

/* The run in a forked child; see the file comment. */
static int run_isolated(const struct rl_workload *w, const struct rl_workload_params *p,
			struct rl_workload_result *r)
{
	struct rl_workload_result *shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE,
						 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return rl__wl_fail(r, RL_ENOMEM, "cannot map the shared result: %s", strerror(errno));
	*shared = *r;
	/* fds: the child's stderr; vfds: its verdict records. */
	int fds[2] = {-1, -1}, vfds[2] = {-1, -1};
	if (pipe(fds) != 0 || pipe(vfds) != 0) {
		int err = errno;
		for (int k = 0; k < 2; k++) {
			if (fds[k] >= 0)
				close(fds[k]);
		}
		munmap(shared, sizeof *shared);
		return rl__wl_fail(r, RL_EAGAIN, "cannot create a pipe: %s", strerror(err));
	}
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		close(vfds[0]);
		close(vfds[1]);
		munmap(shared, sizeof *shared);
		return rl__wl_fail(r, RL_EAGAIN, "cannot fork: %s", strerror(errno));
	}
	if (pid == 0) {
		/* The child: stderr into the pipe, no core dump for the abort. */
		struct rlimit no_core = {0, 0};
		setrlimit(RLIMIT_CORE, &no_core);
		close(fds[0]);
		close(vfds[0]);
		dup2(fds[1], STDERR_FILENO);
		close(fds[1]);
		verdict_fd = vfds[1];
		rl__thread_set_overflow_hook(verdict_overflow);
		run_here(w, p, shared, false);
		fflush(stderr);
		fflush(stdout);
		/* exit(), not _exit(): sanitizers report (and LSan checks) at exit. */
		exit(0);
	}
	close(fds[1]);
	close(vfds[1]);
	drain(fds[0], r->captured, sizeof r->captured, p->capture_stderr ? -1 : STDERR_FILENO);
	close(fds[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	struct verdict v = verdict_read(vfds[0]);
	close(vfds[0]);
	char captured[RL_WL_STDERR];
	memcpy(captured, r->captured, sizeof captured);
	*r = *shared;
	munmap(shared, sizeof *shared);
	memcpy(r->captured, captured, sizeof captured);
	r->isolated = true;

	/* racelab's own handler announces an overflow; a sanitizer that handles
	 * SIGSEGV itself (ASan's handle_segv) only says it in its report. */
	if (v.overflow || has(captured, "stack-overflow"))
		r->overflowed = true;
	if (WIFSIGNALED(status)) {
		r->child_signal = WTERMSIG(status);
		/* An owner-check abort (--check abort) is the violation, not a crash. */
		if (v.check_abort) {
			r->child_signal = 0;
			if (!r->reports[v.kind])
				r->reports[v.kind] = 1;
		}
		if (r->overflowed)
			r->child_signal = 0;
		if (r->child_signal) {
			rl__wl_note(r, "the run died of signal %d (%s)", r->child_signal, strsignal(r->child_signal));
		}
	} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && !r->overflowed) {
		rl__wl_note(r, "the run's process exited with status %d", WEXITSTATUS(status));
		if (!r->error)
			rl__wl_fail(r, RL_EINVAL, "the run's process exited with status %d", WEXITSTATUS(status));
	}
	/* The overflow report is the message of an overflow run. */
	if (r->overflowed) {
		const char *line = strstr(captured, "thread '");
		if (!line)
			line = strstr(captured, "stack-overflow");
		if (line) {
			char msg[RL_WL_TEXT];
			size_t n = strcspn(line, "\n");
			snprintf(msg, sizeof msg, "%.*s", (int)(n < sizeof msg - 1 ? n : sizeof msg - 1), line);
			struct rl_wl_report data = {.kind = "overflow", .object = "thread stack",
						    .rule = "a thread's stack is finite (Rust's spawned threads get 2 MiB, "
							    "main 8 MiB): recursion past it hits the guard page and Rust "
							    "aborts the process"};
			if (!strncmp(msg, "thread '", 8)) { /* Rust's line names the thread */
				size_t len = strcspn(msg + 8, "'");
				snprintf(data.threads[0], sizeof data.threads[0], "%.*s", (int)len, msg + 8);
				data.nsides = 1;
			}
			rl__wl_message(r, msg, &data);
		}
	}
	return r->error;
}

bool rl_workload_violation(const struct rl_workload_result *r)
{
	return r->sim.races || r->sim.deadlock || r->lost || r->reports[RL_CHECK_USE_AFTER_FREE] ||
	       r->verdict == RL_VERDICT_RACE || r->verdict == RL_VERDICT_DEADLOCK;
}

static rl_explore_progress_fn explore_progress;
static void *explore_progress_arg;

void rl_workload_explore_progress(rl_explore_progress_fn fn, void *arg)
{
	explore_progress = fn;
	explore_progress_arg = arg;
}

int rl_workload_explore(const struct rl_workload *w, const struct rl_workload_params *p, uint64_t schedules,
			struct rl_workload_result *r, struct rl_explore_stats *st)
{
	*st = (struct rl_explore_stats){.min_steps = UINT64_MAX};
	if (!sim_scheduled(p) || !schedules || p->seed > UINT64_MAX - schedules) {
		memset(r, 0, sizeof *r);
		r->error = RL_EINVAL;
		snprintf(r->error_text, sizeof r->error_text, "explore needs a random or pct schedule and 1 or more schedules");
		return RL_EINVAL;
	}
	struct rl_workload_params q = *p;
	q.detect = true;
	uint64_t prev_steps = p->pct_steps;
	for (uint64_t k = 0; k < schedules && !rl_workload_stopping(); k++) {
		q.seed = p->seed + k;
		q.pct_steps = q.schedule == RL_PROBE_SCHEDULE_PCT ? prev_steps : 0;
		int err = rl_workload_run(w, &q, r);
		st->ran++;
		if (err)
			return err;
		if (rl_workload_violation(r)) {
			st->found = true;
			break;
		}
		prev_steps = r->sim.steps;
		if (r->sim.steps < st->min_steps)
			st->min_steps = r->sim.steps;
		if (r->sim.steps > st->max_steps)
			st->max_steps = r->sim.steps;
		if (explore_progress)
			explore_progress(st, explore_progress_arg);
	}
	if (st->min_steps == UINT64_MAX)
		st->min_steps = 0;
	return RL_OK;
}

/* An RL_WF_WEAK workload's default run: every RC11 execution under
 * rl_model()'s DFS (its bug shows nowhere else); the verdict is the model's. */
static int run_weak(const struct rl_workload *w, const struct rl_workload_params *p, struct rl_workload_result *r)
{
	rl_model_config cfg = {.quiet = true};
	rl_model_result m;
	int rc = rl_workload_explore_dfs(w, p, &cfg, r, &m);
	if (rc != RL_OK)
		return rc;
	switch (m.failure) {
	case RL_MODEL_PASSED: r->verdict = m.stopped ? r->verdict : RL_VERDICT_CLEAN; break;
	case RL_MODEL_DEADLOCK: r->verdict = RL_VERDICT_DEADLOCK; break;
	case RL_MODEL_ASSERT: break; /* the workload's own verdict: its invariant broke */
	default: r->verdict = RL_VERDICT_RACE; break;
	}
	r->interrupted = m.stopped;
	r->sim.on = false; /* the model ran it, not a seeded schedule: the notes say what it found */
	r->seconds = m.seconds;
	if (m.failure != RL_MODEL_PASSED)
		rl__wl_note(r, "rl_model() (RC11 memory model) found it in schedule %llu: %s", (unsigned long long)m.schedules,
			    m.message);
	else
		rl__wl_note(r, "rl_model() explored %llu schedules under the RC11 memory model%s, %llu loads reading a "
			    "stale store: no violation", (unsigned long long)m.schedules, m.complete ? ", complete" : "",
			    (unsigned long long)m.stale_reads);
	return RL_OK;
}

int rl_workload_run(const struct rl_workload *w, const struct rl_workload_params *p,
		    struct rl_workload_result *r)
{
	if ((w->flags & RL_WF_WEAK) && p->schedule == RL_PROBE_SCHEDULE_DEFAULT && !p->detect)
		return run_weak(w, p, r);
	memset(r, 0, sizeof *r);
	r->live_at_free = UINT64_MAX;
	r->verdict = RL_VERDICT_CLEAN;
	if (rl_workload_check_params(w, p, r->error_text, sizeof r->error_text)) {
		r->error = RL_EINVAL;
		return RL_EINVAL;
	}
	struct rl_workload_params q;
	rl_workload_resolve(w, p, &q);
	if (q.trace && ((w->flags & RL_WF_ISOLATE) || q.check == RL_CHECK_ABORT))
		q.trace = false; /* the child's trace would die with it */
	r->sim.detect = q.detect;
	r->sim.schedule = q.schedule;
	r->sim.seed = q.seed;
	r->sim.pct_depth = q.pct_depth;
	r->sim.pct_steps = q.pct_steps;
	r->sim.max_steps = q.max_steps;
	r->threads = q.threads;
	r->iters = q.iters;
	r->stack = q.stack ? q.stack : rl_thread_default_stack_size();
	r->main_stack = q.main_stack ? q.main_stack : RL_MAIN_STACK_SIZE;
	r->check = q.check;
	r->invariant_held = true;

	int err;
	if ((w->flags & RL_WF_ISOLATE) || q.check == RL_CHECK_ABORT)
		err = run_isolated(w, &q, r);
	else
		err = run_here(w, &q, r, q.capture_stderr);
	r->verdict = rl__wl_decide(r);
	return err;
}
