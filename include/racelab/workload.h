/* workload.h — the workload catalog and its runner (`racelab run/list/demo`).
 *
 * A workload is a small program over racelab's primitives that shows one idea
 * of the seed article (Rc is not Send, Cell is not Sync, 2 MiB thread stacks,
 * ...). Each one states an invariant — a final count, a number of live
 * objects — and checks it: the result carries what was expected, what was
 * observed and what was lost, the owner-check reports made during the run, and
 * a verdict.
 *
 * The runner (rl_workload_run) sets the owner-check mode, collects the reports,
 * quarantines freed boxes for racy workloads (a count that reaches zero early
 * becomes a reported use-after-free instead of a crash), runs the workload's
 * main function on the runtime's 8 MiB "main" thread (rl_run_main), and
 * derives the verdict. Workloads that end the process on purpose (the stack
 * overflow), and every run in RL_CHECK_ABORT mode, run in a forked child whose
 * result lives in shared memory, so the verdict survives the child's SIGABRT.
 *
 * A result is plain data (no pointers), so it can be copied across fork().
 *
 * Simulation (--detect, --schedule; probe.h). A run can be watched by
 * racelab's happens-before detector and/or serialised by its deterministic
 * scheduler: the runner attaches a probe session on the runtime "main" thread
 * before the workload starts and detaches it after the workload joined its
 * threads, then copies the statistics and the reports into r->sim. Detector
 * race reports make the verdict `race` unless the owner checks already made
 * it send-violation or sync-violation (those are the same data races, caught
 * earlier and named by Rust's rule); a deadlock found by the scheduler makes
 * it `deadlock`. Under the scheduler every probe is a scheduling point, so
 * workloads run their small sim_iters by default. The same seed gives the same
 * interleaving, the same reports and the same counts.
 *
 * Synchronisation: one run at a time per process; rl_workload_stop() may be
 * called from a signal handler at any time.
 */
#ifndef RACELAB_WORKLOAD_H
#define RACELAB_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <racelab/check.h>
#include <racelab/model.h>
#include <racelab/probe.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a run showed, most severe first (rl_workload_run() picks the first that applies). */
enum rl_verdict {
	RL_VERDICT_OVERFLOW = 0, /* a thread overflowed its stack */
	RL_VERDICT_DEADLOCK,     /* the scheduler found that no thread could run */
	RL_VERDICT_PANIC,        /* a thread panicked (or the run died of a signal) */
	RL_VERDICT_SEND,         /* owner checks: a !Send value used on another thread */
	RL_VERDICT_SYNC,         /* owner checks: a !Sync value shared between threads */
	RL_VERDICT_RACE,         /* the invariant broke (lost updates, use after free), or the
	                          * happens-before detector reported a data race */
	RL_VERDICT_LEAK,         /* objects still alive at the end */
	RL_VERDICT_CLEAN,        /* none of the above */
	RL_VERDICT_COUNT,
};

/* "overflow", "deadlock", "panic", "send-violation", "sync-violation", "race", "leak", "clean". */
const char *rl_verdict_name(enum rl_verdict v);

/**
 * rl_verdict_parse() - a verdict name, as --expect takes it.
 * @s: a name of rl_verdict_name(), or the short forms "send" and "sync".
 *
 * Return: RL_OK, or RL_EINVAL (*@out unchanged).
 */
int rl_verdict_parse(const char *s, enum rl_verdict *out);

/**
 * rl_verdict_matches() - does verdict @got satisfy `--expect @want`?
 *
 * A verdict matches itself. `race` also matches send-violation and
 * sync-violation: those are data races too, caught earlier by the owner
 * checks (with --check off the same run says `race`).
 */
bool rl_verdict_matches(enum rl_verdict want, enum rl_verdict got);

/* Parameters a workload uses (rl_workload.uses); --main-stack and --check always apply. */
enum {
	RL_WP_THREADS = 1u << 0,
	RL_WP_ITERS = 1u << 1,
	RL_WP_STACK = 1u << 2,
};

/* Workload flags. */
enum {
	RL_WF_RACY = 1u << 0,    /* shares !Send/!Sync objects: run with the quarantine on */
	RL_WF_ISOLATE = 1u << 1, /* ends the process on purpose: run in a forked child */
	RL_WF_NO_SCHEDULE = 1u << 2, /* measures time or memory, or blocks outside the probes
	                              * (condition variables): not under the scheduler */
	RL_WF_SIMULATE = 1u << 3, /* its race shows only in some interleavings: by default it
	                           * runs under the scheduler (RL_WL_SIM_SCHEDULE, seed
	                           * RL_WL_SIM_SEED) with the detector on */
	RL_WF_SCHEDULED_ONLY = 1u << 4, /* would hang under the OS schedule (a deadlock):
	                                 * --schedule os is refused */
	RL_WF_WEAK = 1u << 5,     /* its bug shows only under weak memory (C11's RC11): `racelab run`
	                           * explores it under rl_model()'s DFS, as `explore --strategy dfs` */
};

/* Who interleaves the threads of a run (--schedule): probe.h's rl_probe_schedule.
 * The former names stay as aliases. */
#define rl_wl_schedule rl_probe_schedule
#define RL_WL_SCHED_DEFAULT RL_PROBE_SCHEDULE_DEFAULT
#define RL_WL_SCHED_OS RL_PROBE_SCHEDULE_OS
#define RL_WL_SCHED_RANDOM RL_PROBE_SCHEDULE_RANDOM
#define RL_WL_SCHED_PCT RL_PROBE_SCHEDULE_PCT

/* rl_workload_params.given: what a command line set, so that its omissions
 * resolve as a command line's do. A library call leaves it 0. */
enum {
	RL_WG_COMMAND_LINE = 1u << 0, /* the parameters come from a command line: --seed,
	                               * --max-steps and --trace must apply to the run, and a
	                               * scheduled run without --seed gets a fresh seed */
	RL_WG_SEED = 1u << 1,         /* --seed was given */
	RL_WG_DETECT = 1u << 2,       /* --detect was given: an RL_WF_SIMULATE workload with
	                               * --detect off runs under its scheduler alone */
	RL_WG_STRATEGY = 1u << 3,     /* the schedule came from explore's --strategy (the
	                               * messages name that option) */
};

/* The default run of an RL_WF_SIMULATE workload. */
#define RL_WL_SIM_SCHEDULE RL_PROBE_SCHEDULE_RANDOM
#define RL_WL_SIM_SEED 1
/* Scheduling points after which a run stops being serialised (livelock guard). */
#define RL_WL_MAX_STEPS 2000000

/* "default", "os", "random", "pct". */
const char *rl_wl_schedule_name(rl_probe_schedule s);

struct rl_workload_params {
	uint64_t threads;        /* 0: the workload's default */
	uint64_t iters;          /* 0: the workload's default */
	size_t stack;            /* spawned threads; 0: rl_thread_default_stack_size() */
	size_t main_stack;       /* the runtime "main" thread; 0: RL_MAIN_STACK_SIZE */
	enum rl_check_mode check;
	bool capture_stderr;     /* keep the run's stderr in the result instead of printing it */
	/* Simulation (all zero: a plain run). */
	bool detect;             /* --detect hb: racelab's happens-before detector */
	rl_probe_schedule schedule; /* --schedule */
	uint64_t seed;           /* the scheduler's seed (--seed) */
	unsigned pct_depth;      /* PCT's bug depth d (--pct-depth); 0: 3 */
	uint64_t pct_steps;      /* PCT's k, the expected scheduling points of a run; 0: 1000 */
	uint64_t max_steps;      /* 0: RL_WL_MAX_STEPS */
	bool trace;              /* record the interleaving: rl_probe_trace_*() after the run
	                          * (in-process runs only; not in a forked child) */
	unsigned given;          /* RL_WG_*: what a command line set; 0 for a library call */
};

#define RL_WL_TEXT 192
#define RL_WL_MAX_MESSAGES 8
#define RL_WL_MAX_MEASURES 12
#define RL_WL_MAX_NOTES 32 /* vec-growth lists every reallocation */
#define RL_WL_STDERR 2048
#define RL_WL_MAX_SIM_REPORTS 4
#define RL_WL_SIM_REPORT 1280

/* One figure beside the invariant: packed vs padded ns/op, touched bytes, ... */
struct rl_measure {
	char key[32];   /* JSON key, snake_case */
	char label[48]; /* for people */
	double value;
	char unit[16];  /* "ns/op", "bytes", "" */
};

/*
 * A report as data, made where the report is made: the detector's races and
 * deadlocks (rl_wl_report_from_probe), the owner checks (rl_wl_report_from_check)
 * and the runner (a stack overflow). `racelab run|explore|demo --json` print it
 * as a report object beside the prose, which stays in messages[] / reports[].
 * Side 0 is who made the report (a race's later access, the thread that used an
 * Rc or Cell it does not own, a deadlock's first blocked thread); side 1 the
 * other (the earlier access, the owner, the second blocked thread).
 */
struct rl_wl_report {
	char kind[16];          /* "race", "deadlock", "send", "sync", "use_after_free", "overflow"; "" = none */
	char object[64];        /* the object's kind: "Rc<T> strong count", "Rc<T>", "Cell<i64>", "Mutex" */
	uint32_t object_id;     /* its #N in the session's traces; 0 = not numbered */
	unsigned nsides;        /* 0, 1 or 2 sides below */
	char threads[2][32];    /* thread names */
	char ops[2][48];        /* the operation of each ("rl_rc_clone"); "" = unknown (null in JSON) */
	char access[2][8];      /* races: "read" or "write" (a free is a write); "" otherwise */
	char sites[2][96];      /* call sites ("workloads/wl_rc.c:40"); "" = unknown */
	char missing_edge[640]; /* races: the happens-before edge nothing supplied; "" otherwise */
	char rule[400];         /* the Rust rule it breaks, in words */
};

/* @out from the detector's @rep (a race or a deadlock). */
void rl_wl_report_from_probe(struct rl_wl_report *out, const rl_probe_report *rep);
/* @out from the owner checks' @rep (send, sync, use_after_free). */
void rl_wl_report_from_check(struct rl_wl_report *out, const struct rl_check_report *rep);

/* What racelab's detector and scheduler saw (all zero for a plain run). */
struct rl_sim_result {
	bool on;                 /* a probe session watched the run */
	bool detect;             /* the happens-before detector ran */
	rl_probe_schedule schedule; /* RL_PROBE_SCHEDULE_OS, _RANDOM or _PCT (resolved) */
	uint64_t seed;
	unsigned pct_depth;      /* resolved (3 by default) */
	uint64_t pct_steps;
	uint64_t max_steps;
	uint64_t events;         /* probe events */
	uint64_t lockfree_events; /* of which handled without the detector lock */
	uint64_t steps;          /* scheduling points */
	uint64_t switches;       /* hand-offs between threads */
	unsigned threads;        /* probed threads, the runtime main thread included */
	uint64_t races;          /* distinct race reports */
	uint64_t race_events;    /* racy accesses before deduplication */
	bool deadlock;           /* the scheduler found no thread could run */
	bool step_limit;         /* max_steps reached: the rest of the run was not serialised */
	bool thread_limit;       /* more than RL_PROBE_MAX_THREADS threads: some unchecked */
	unsigned unchecked_from; /* thread_limit: the first unchecked thread's number */
	char unchecked_name[32]; /* and its name */
	unsigned nreports;       /* reports kept below (races and the deadlock, in order found) */
	uint64_t nreports_all;
	char reports[RL_WL_MAX_SIM_REPORTS][RL_WL_SIM_REPORT]; /* as printed, several lines */
	struct rl_wl_report report_data[RL_WL_MAX_SIM_REPORTS]; /* reports[i] as data */
};

struct rl_workload_result {
	/* The invariant, checked by the workload. */
	char unit[24];           /* what is counted: "increments", "references", "objects", "frames" */
	int64_t expected;
	int64_t observed;
	int64_t lost;            /* expected - observed, or another count of what went missing */
	bool invariant_held;
	/* Consequences, counted by the workload or the runner. */
	uint64_t leaked;         /* objects still alive when the workload ended */
	uint64_t panics;         /* threads that ended in rl_panic() */
	bool overflowed;         /* a thread overflowed its stack */
	uint64_t reports[RL_CHECK_NKINDS]; /* owner-check reports by kind */
	uint64_t live_at_free;   /* first use-after-free: references still live (UINT64_MAX unknown) */
	unsigned nmessages;      /* kept messages (reports, the overflow report) */
	char messages[RL_WL_MAX_MESSAGES][RL_WL_TEXT];
	struct rl_wl_report message_data[RL_WL_MAX_MESSAGES]; /* messages[i] as data */
	unsigned nmeasures;
	struct rl_measure measures[RL_WL_MAX_MEASURES];
	unsigned nnotes;         /* sentences with the run's figures */
	char notes[RL_WL_MAX_NOTES][RL_WL_TEXT];
	/* The run. */
	uint64_t threads, iters; /* as run (defaults resolved) */
	size_t stack, main_stack;
	enum rl_check_mode check;
	bool interrupted;        /* rl_workload_stop() cut the run short */
	bool isolated;           /* ran in a forked child */
	int child_signal;        /* isolated: the signal that ended the child, or 0 */
	double seconds;          /* wall-clock time of the run */
	int error;               /* RL_OK, or why the workload could not run (RL_EAGAIN, ...) */
	char error_text[RL_WL_TEXT];
	char captured[RL_WL_STDERR]; /* stderr of the run, when captured (truncated) */
	struct rl_sim_result sim;
	enum rl_verdict verdict;
};

typedef int rl_workload_fn(const struct rl_workload_params *p, struct rl_workload_result *r);

struct rl_workload {
	const char *name;        /* "rc-send" */
	const char *concept;     /* the seed's idea: "Rc<T> is !Send" */
	const char *summary;     /* one line for `racelab list` */
	const char *invariant;   /* what the run checks, in words */
	const char *lesson;      /* two or three lines explaining the expected verdict */
	const char *twin;        /* the race-free (or racy) counterpart, or NULL */
	enum rl_verdict expected;
	unsigned uses;           /* RL_WP_* */
	unsigned flags;          /* RL_WF_* */
	uint64_t threads, iters; /* defaults */
	uint64_t sim_iters;      /* default iterations when probes are on (each is a scheduling
	                          * point); 0: iters */
	const char *iters_unit;  /* what --iters counts ("frames", "versions"); NULL: "iterations" */
	rl_workload_fn *run;     /* runs on the runtime "main" thread */
	uint64_t dfs_iters;      /* iterations of a DFS exploration; 0: RL_WL_DFS_ITERS */
};

/* The catalog, in tour order. Return: the number of entries. */
size_t rl_workloads(const struct rl_workload **out);

/* The workload called @name, or NULL. */
const struct rl_workload *rl_workload_find(const char *name);

/* The catalog name closest to @name (edit distance), or NULL if none is close. */
const char *rl_workload_suggest(const char *name);

/* Largest thread count a run may ask for on this system (RLIMIT_NPROC,
 * kernel.threads-max, and racelab's cap of RL_WL_MAX_THREADS). */
#define RL_WL_MAX_THREADS 10000
uint64_t rl_workload_max_threads(void);

/* Largest stack size a run may ask for: the machine's physical memory
 * (and at most RL_MAX_STACK_SIZE). */
size_t rl_workload_max_stack(void);

/* Smallest stack size a run may ask for: the system's thread stack minimum. */
size_t rl_workload_min_stack(void);

/**
 * rl_workload_check_params() - validate @p for @w before running: the one
 * check of a run's parameters (rl_workload_run() makes it too).
 * @why: receives one line saying what is wrong (no newline).
 *
 * The options must apply to @w (threads, iterations, stack), be in range,
 * and fit the schedule: the scheduler not for workloads that measure time or
 * end their process, --pct-depth only with PCT, the detector's thread limit.
 * With RL_WG_COMMAND_LINE in @p->given, --seed, --max-steps and --trace must
 * apply to the run as well.
 * Return: RL_OK, or RL_EINVAL with @why filled.
 */
int rl_workload_check_params(const struct rl_workload *w, const struct rl_workload_params *p,
			     char *why, size_t len);

/**
 * rl_workload_run() - run @w and fill @r, verdict included.
 *
 * Context: the process's main thread, one run at a time; no other racelab
 * thread may be running (the check mode, sink and quarantine are global).
 * Return: RL_OK when the run happened (whatever the verdict); RL_EINVAL for
 * bad parameters; another status when the workload could not run
 * (r->error_text says why).
 */
int rl_workload_run(const struct rl_workload *w, const struct rl_workload_params *p,
		    struct rl_workload_result *r);

/*
 * A schedule-dependent violation in @r: a detector race report, a deadlock,
 * a lost update or stale read (the invariant's lost count), a use after free,
 * or the verdict race. Owner-check reports alone are not: they do not depend
 * on the schedule.
 */
bool rl_workload_violation(const struct rl_workload_result *r);

/* What rl_workload_explore() went through. */
struct rl_explore_stats {
	uint64_t ran;        /* schedules run, the violating one included */
	bool found;          /* the last run (in the result) showed a violation */
	uint64_t min_steps, max_steps; /* scheduling points of the runs before it */
};

/**
 * rl_workload_explore() - run @w seed after seed until the first violation.
 * @p:         the run's parameters; @p->schedule must be RL_WL_SCHED_RANDOM or
 *             RL_WL_SCHED_PCT; @p->seed is the first seed, run k uses seed + k - 1.
 *             The detector is turned on. Under PCT, each run after the first
 *             gets pct_steps = the previous run's scheduling points (PCT's k).
 * @schedules: at most this many runs (>= 1).
 * @r:         the last run: the violating one when @st->found.
 *
 * Context: as rl_workload_run(); stops early after rl_workload_stop().
 * Return: RL_OK, RL_EINVAL for bad parameters, or the error of a run that
 * could not happen (r->error_text says why).
 */
int rl_workload_explore(const struct rl_workload *w, const struct rl_workload_params *p, uint64_t schedules,
			struct rl_workload_result *r, struct rl_explore_stats *st);

/* Called by rl_workload_explore() after each schedule with the figures so far
 * (NULL: none, the default). Context: the exploring thread, between runs. */
typedef void (*rl_explore_progress_fn)(const struct rl_explore_stats *st, void *arg);
void rl_workload_explore_progress(rl_explore_progress_fn fn, void *arg);

/* DFS exploration of a catalog workload runs it small unless told otherwise. */
#define RL_WL_DFS_THREADS 2
#define RL_WL_DFS_ITERS 2

/* The threads and iterations a DFS exploration of @w runs: @p's, or the
 * small defaults (RL_WL_DFS_THREADS; the workload's dfs_iters or
 * RL_WL_DFS_ITERS; a weak-memory workload's own iterations). */
void rl_workload_dfs_size(const struct rl_workload *w, const struct rl_workload_params *p, uint64_t *threads,
			  uint64_t *iters);

/**
 * rl_workload_explore_dfs() - run @w under rl_model()'s exhaustive DFS.
 * @p:   threads and iterations (RL_WL_DFS_THREADS and RL_WL_DFS_ITERS when
 *       0), stack, check (report or off; abort is EINVAL). The schedule and
 *       the seed are the model's.
 * @cfg: the model's configuration (max_schedules, replay, report_file,
 *       replay_command, timeline, quiet); its strategy must be RL_MODEL_DFS
 *       unless it is a replay. should_stop is set to rl_workload_stopping.
 * @r:   the last schedule's workload result: the failing one when
 *       @out->failure is set (its invariant counts, reports and verdict).
 * @out: rl_model()'s result. Besides the model's own failures (race,
 *       deadlock, use after free, leak, step limit), a schedule fails as an
 *       assertion when the workload's invariant breaks or an owner check
 *       reports.
 *
 * Context: as rl_workload_run().
 * Return: RL_OK when the exploration ran, whatever it found; RL_EINVAL for
 * parameters the workload or the model rejects (r->error_text says why);
 * the model's error otherwise.
 */
int rl_workload_explore_dfs(const struct rl_workload *w, const struct rl_workload_params *p,
			    const rl_model_config *cfg, struct rl_workload_result *r, rl_model_result *out);

/**
 * rl_workload_resolve() - the parameters a run of @w with @p really uses.
 * @out: @p with defaults filled in: threads, iterations (sim_iters when probes
 *       are on), the schedule (RL_WF_SIMULATE workloads: RL_WL_SIM_SCHEDULE,
 *       seed RL_WL_SIM_SEED and the detector, unless a schedule was given or
 *       a command line said --detect off), PCT depth and max_steps; for a
 *       command line's scheduled run without --seed, a fresh seed (from the
 *       clock: each call picks another). rl_workload_run() resolves once and
 *       runs exactly these, so a command line built from the result (r->sim)
 *       replays the run.
 */
void rl_workload_resolve(const struct rl_workload *w, const struct rl_workload_params *p,
			 struct rl_workload_params *out);

/*
 * Ctrl-C. rl_workload_stop() asks the running workload to end early with what
 * it measured so far (async-signal-safe). Workloads poll
 * rl_workload_stopping() in their loops. rl_workload_reset_stop() clears the
 * request before a new run.
 */
void rl_workload_stop(void);
bool rl_workload_stopping(void);
void rl_workload_reset_stop(void);

/* True when built with ThreadSanitizer: lost-update figures are then not meaningful. */
bool rl_workload_under_tsan(void);

#ifdef __cplusplus
}
#endif
#endif
