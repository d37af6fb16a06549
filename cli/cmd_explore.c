/* cmd_explore.c — `racelab explore NAME`: schedules until the first bug.
 *
 * Runs the workload under racelab's deterministic scheduler with the
 * happens-before detector, seed after seed (S, S+1, ...), until a run shows a
 * violation — a data race report, a lost update or stale read (the
 * workload's invariant), a use after free, a deadlock — or N schedules went
 * by. Then it prints how many schedules that took beside PCT's guarantee
 * (rl_probe_pct_runs: n threads, k scheduling points, depth d), the first
 * report, the shortest slice of the interleaving that shows the first lost
 * update (a thread's read and write of a location with another thread's
 * write in between) or else the racing accesses with the synchronisation
 * between them, and the command line that replays the run.
 *
 * Under PCT each run after the first draws its change points in [1, k] with
 * k = the previous run's scheduling points (Burckhardt et al.'s k), so the
 * depth-d bound applies to runs of that length. The sequence of runs is a
 * function of the start seed: exploring twice gives the same answer.
 *
 * Exit status: 3 a violation was found, 0 none in N schedules, 2 bad usage,
 * 1 the workload could not run, 130 interrupted.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <racelab/parse.h>
#include <racelab/probe.h>
#include <racelab/status.h>
#include <racelab/workload.h>

#include "cli.h"

static const struct rl_cli_opt explore_opts[] = {
	{"--schedules", "N", "at most N schedules (default 100; dfs: all)", NULL},
	{"--strategy", "pct|random|dfs",
	 "pct (default: random priorities, D-1 change points), random, or\n"
	 "dfs: every schedule, each class of equivalent interleavings once\n"
	 "(rl_model()'s DFS with partial-order reduction; 2 threads and 2\n"
	 "iterations unless given; --schedules then defaults to all of them,\n"
	 "and \"complete\" is said only when none was skipped)", NULL},
	{"--replay", "TOKEN", "dfs: run the one schedule of a token a dfs failure printed", NULL},
	{"--seed", "S", "the first seed (default 1); run k uses seed S+k-1", NULL},
	{"--pct-depth", "D", "PCT's bug depth (default 3)", NULL},
	{"--threads", "N", "worker threads, as for racelab run", NULL},
	{"--iters", "N", "iterations per worker (default: the workload's small simulation count)", NULL},
	{"--stack", "SIZE", "stack of each spawned thread, as for racelab run", NULL},
	{"--check", "report|off", "owner checks: report (default) or off (abort is run's alone: explore\n"
	 "keeps going after a report)", NULL},
	{"--json", NULL, "one JSON object instead of the text", NULL},
	{"--timeline", "FILE.svg", "draw the violating schedule as a picture (SVG; none when no\n"
	 "schedule violated)", NULL},
	{0},
};

const struct rl_cli_help rl_cli_explore_help = {
	.cmd = "explore",
	.operand = "NAME",
	.intro = "Runs NAME under racelab's deterministic scheduler with its happens-before detector,\n"
		 "one seed after the other, until the first violation (a data race, a lost update, a\n"
		 "use after free, a deadlock) or N schedules. Prints the schedules it took (beside\n"
		 "PCT's bound under pct), the first report, the shortest interleaving that shows the\n"
		 "first lost update, and the command line that replays the run.\n",
	.opts = explore_opts,
	.outro = "Exit status: 3 a violation was found, 0 none, 2 bad usage, 1 could not run,\n"
		 "130 interrupted.\n",
};

/* Progress on a terminal (stderr): schedules run, schedules/s, elapsed time,
 * at most about 10 times a second; a pipe gets nothing. */
struct progress {
	double start, last;
	bool shown;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void show_progress(const struct rl_explore_stats *st, void *arg)
{
	struct progress *pg = arg;
	double t = now_s();
	if (t - pg->last < 0.1)
		return;
	pg->last = t;
	double el = t - pg->start;
	fprintf(stderr, "\r  %llu schedules, %.0f/s, %.1f s elapsed ", (unsigned long long)st->ran,
		el > 0 ? (double)st->ran / el : 0.0, el);
	pg->shown = true;
}

/* The probability target of the bound printed beside the result. */
#define CONFIDENCE 0.95

/* What a run showed, in a few words. */
static void describe(char *buf, size_t len, const struct rl_workload_result *r)
{
	size_t at = 0;
	buf[0] = '\0';
#define ADD(...)                                                                       \
	do {                                                                           \
		if (at < len) {                                                        \
			int n_ = snprintf(buf + at, len - at, __VA_ARGS__);            \
			if (n_ > 0)                                                    \
				at += (size_t)n_;                                      \
		}                                                                      \
	} while (0)
	if (r->sim.deadlock)
		ADD("deadlock");
	if (r->sim.races)
		ADD("%s%llu data race%s", at ? ", " : "", (unsigned long long)r->sim.races, r->sim.races == 1 ? "" : "s");
	if (r->lost)
		ADD("%s%s: expected %lld, observed %lld (lost %lld)", at ? ", " : "", r->unit, (long long)r->expected,
		    (long long)r->observed, (long long)r->lost);
	if (r->reports[RL_CHECK_USE_AFTER_FREE])
		ADD("%suse after free", at ? ", " : "");
	if (!at)
		ADD("no violation");
#undef ADD
}

static bool is_sync_op(unsigned op)
{
	switch (op) {
	case RL_PROBE_LOCK:
	case RL_PROBE_TRYLOCK:
	case RL_PROBE_UNLOCK:
	case RL_PROBE_RCU_PUBLISH:
	case RL_PROBE_RCU_DEREF:
	case RL_PROBE_RCU_SYNC:
	case RL_PROBE_SPAWN:
	case RL_PROBE_START:
	case RL_PROBE_EXIT:
	case RL_PROBE_JOIN:
		return true;
	default:
		return false;
	}
}

/* One line of the interleaving, without trailing blanks. */
static void trace_line(FILE *out, size_t i, const char *mark)
{
	char line[512];
	rl_probe_trace_format(rl_probe_trace_at(i), line, sizeof line);
	size_t n = strlen(line);
	while (n && line[n - 1] == ' ')
		line[--n] = '\0';
	fprintf(out, "  %s%s\n", line, mark);
}

struct slice {
	size_t from, to;   /* trace indices, inclusive */
	uint32_t obj;      /* the object whose accesses it shows */
	size_t lost_at;    /* lost update: the overwriting write; else SIZE_MAX */
	uint64_t read_step; /* lost update: the step of the read it was computed from */
	size_t other;      /* lost update: the write it overwrote */
	bool found;
};

/*
 * The first lost update: thread A reads L, another thread writes L, then A
 * writes L — A's write is computed from the value before the other write,
 * which is lost. Return the slice from the first of the involved accesses to
 * A's write.
 */
static struct slice first_lost_update(void)
{
	struct slice s = {.lost_at = SIZE_MAX, .other = SIZE_MAX};
	size_t n = rl_probe_trace_len();
	for (size_t w = 0; w < n; w++) {
		const rl_probe_trace_rec *a = rl_probe_trace_at(w);
		if (a->op != RL_PROBE_WRITE || !a->obj_id)
			continue;
		/* A's read of the same location, before any other access of A to it. */
		size_t rd = SIZE_MAX;
		for (size_t j = w; j-- > 0;) {
			const rl_probe_trace_rec *x = rl_probe_trace_at(j);
			if (x->tid == a->tid && x->obj_id == a->obj_id) {
				if (x->op == RL_PROBE_READ)
					rd = j;
				break;
			}
		}
		if (rd == SIZE_MAX)
			continue;
		/* Another thread's write in between: overwritten by A's write. */
		size_t other = SIZE_MAX;
		for (size_t j = rd + 1; j < w && other == SIZE_MAX; j++) {
			const rl_probe_trace_rec *x = rl_probe_trace_at(j);
			if (x->obj_id == a->obj_id && x->tid != a->tid && x->op == RL_PROBE_WRITE)
				other = j;
		}
		if (other == SIZE_MAX)
			continue;
		/* Start at the other thread's read that led to its write, if it came first. */
		size_t from = rd;
		const rl_probe_trace_rec *o = rl_probe_trace_at(other);
		for (size_t j = other; j-- > 0;) {
			const rl_probe_trace_rec *x = rl_probe_trace_at(j);
			if (x->tid == o->tid && x->obj_id == o->obj_id) {
				if (x->op == RL_PROBE_READ && j < from)
					from = j;
				break;
			}
		}
		s = (struct slice){.from = from, .to = w, .obj = a->obj_id, .lost_at = w, .other = other,
				   .read_step = rl_probe_trace_at(rd)->step, .found = true};
		return s;
	}
	return s;
}

/* The two accesses of @rep in the trace, and what lies between them. */
static struct slice race_slice(const rl_probe_report *rep)
{
	struct slice s = {.lost_at = SIZE_MAX, .other = SIZE_MAX};
	size_t n = rl_probe_trace_len(), cur = SIZE_MAX;
	for (size_t i = n; i-- > 0;) {
		const rl_probe_trace_rec *x = rl_probe_trace_at(i);
		if (x->obj_id == rep->obj_id && x->tid == rep->cur.tid && x->step == rep->step &&
		    (x->op == RL_PROBE_READ || x->op == RL_PROBE_WRITE || x->op == RL_PROBE_FREE)) {
			cur = i;
			break;
		}
	}
	if (cur == SIZE_MAX)
		return s;
	size_t prev = SIZE_MAX;
	for (size_t i = cur; i-- > 0;) {
		const rl_probe_trace_rec *x = rl_probe_trace_at(i);
		if (x->obj_id == rep->obj_id && x->tid == rep->prev.tid &&
		    (rep->prev.write ? x->op == RL_PROBE_WRITE : x->op == RL_PROBE_READ)) {
			prev = i;
			break;
		}
	}
	if (prev == SIZE_MAX)
		return s;
	return (struct slice){.from = prev, .to = cur, .obj = rep->obj_id, .lost_at = SIZE_MAX, .other = SIZE_MAX,
			      .found = true};
}

/* Lines kept at each end of a long slice; the middle is summed up in one line. */
#define HEAD_LINES 4
#define TAIL_LINES 2

static void print_slice(FILE *out, const struct slice *s)
{
	size_t n = 0, cap = 64, *keep = malloc(cap * sizeof *keep);
	if (!keep)
		return;
	for (size_t i = s->from; i <= s->to; i++) {
		const rl_probe_trace_rec *x = rl_probe_trace_at(i);
		if (!(x->obj_id == s->obj && !is_sync_op(x->op)) && !is_sync_op(x->op))
			continue;
		if (n == cap) {
			size_t *k = realloc(keep, 2 * cap * sizeof *k);
			if (!k)
				break;
			keep = k;
			cap *= 2;
		}
		keep[n++] = i;
	}
	for (size_t j = 0; j < n; j++) {
		if (n > HEAD_LINES + TAIL_LINES + 1 && j == HEAD_LINES) {
			/* The middle: who did what, counted. */
			size_t hidden = n - HEAD_LINES - TAIL_LINES;
			unsigned counts[RL_PROBE_MAX_THREADS] = {0};
			for (size_t h = HEAD_LINES; h < n - TAIL_LINES; h++)
				counts[rl_probe_trace_at(keep[h])->tid % RL_PROBE_MAX_THREADS]++;
			fprintf(out, "  %6s  ... %zu more:", "", hidden);
			for (unsigned t = 0; t < RL_PROBE_MAX_THREADS; t++)
				if (counts[t])
					fprintf(out, " %u by T%u %s;", counts[t], t, rl_probe_thread_name(t));
			fputc('\n', out);
			j = n - TAIL_LINES - 1;
			continue;
		}
		size_t i = keep[j];
		const char *mark = "";
		char buf[96];
		if (i == s->lost_at) {
			const rl_probe_trace_rec *x = rl_probe_trace_at(i);
			snprintf(buf, sizeof buf, "   <- from T%u's read at step %llu: every update since is lost", x->tid,
				 (unsigned long long)s->read_step);
			mark = buf;
		}
		else if (i == s->other)
			mark = "   <- an update the last line overwrites";
		else if (s->lost_at == SIZE_MAX && (i == s->from || i == s->to))
			mark = "   <- racing access";
		trace_line(out, i, mark);
	}
	free(keep);
}

int rl_cmd_explore(int argc, char **argv)
{
	struct rl_workload_params p = {.check = RL_CHECK_REPORT, .detect = true, .schedule = RL_PROBE_SCHEDULE_PCT,
				       .seed = 1, .trace = true, .capture_stderr = true, .given = RL_WG_STRATEGY};
	const char *name = NULL;
	uint64_t schedules = 100;
	bool json = false, dfs = false, schedules_given = false;
	const char *replay = NULL;
	for (int i = 1; i < argc; i++) {
		const char *v;
		bool missing = false, handled = false;
		int st = 0;
		if (argv[i][0] == '-' && argv[i][1] && !rl_cli_known(&rl_cli_explore_help, argv[i]))
			return rl_cli_unknown(&rl_cli_explore_help, argv[i]);
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			rl_cli_help(stdout, &rl_cli_explore_help);
			return RL_EXIT_CLEAN;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if ((v = rl_cli_option(argc, argv, &i, "--schedules", &missing)) || missing) {
			if (!v || rl_parse_u64(v, 1, 100000000, &schedules))
				return rl_cli_usage_error("--schedules needs a whole number from 1 to 100000000, not '%s'",
							  v ? v : "");
			schedules_given = true;
		} else if ((v = rl_cli_option(argc, argv, &i, "--replay", &missing)) || missing) {
			if (!v || !*v)
				return rl_cli_usage_error("--replay needs the token a dfs failure printed");
			replay = v;
		} else if ((v = rl_cli_option(argc, argv, &i, "--strategy", &missing)) || missing) {
			if (v && !strcmp(v, "pct"))
				p.schedule = RL_PROBE_SCHEDULE_PCT;
			else if (v && !strcmp(v, "random"))
				p.schedule = RL_PROBE_SCHEDULE_RANDOM;
			else if (v && !strcmp(v, "dfs"))
				dfs = true;
			else
				return rl_cli_usage_error("--strategy takes pct, random or dfs, not '%s'", v ? v : "");
		} else if ((st = rl_cli_seed_option(argc, argv, &i, &p, &handled)) || handled) {
			if (st)
				return st;
		} else if ((st = rl_cli_workload_option(argc, argv, &i, &p, false, &handled)) || handled) {
			if (st)
				return st;
		} else if (argv[i][0] == '-') {
			return rl_cli_unknown(&rl_cli_explore_help, argv[i]);
		} else if (!name) {
			name = argv[i];
		} else {
			return rl_cli_usage_error("explore: one workload at a time ('%s' and '%s')", name, argv[i]);
		}
	}
	const struct rl_workload *w;
	int st = rl_cli_find_workload("explore", name, &w);
	if (st)
		return st;
	if (replay && !dfs)
		return rl_cli_usage_error("--replay applies to --strategy dfs (a random or pct run replays by --seed)");
	if (dfs) {
		if (p.given & RL_WG_SEED)
			return rl_cli_usage_error("--seed applies to --strategy random or pct: dfs runs every schedule");
		if (p.pct_depth)
			return rl_cli_usage_error("--pct-depth applies to --strategy pct");
		return rl_cli_explore_dfs(w, &p, schedules_given ? schedules : 0, replay, json);
	}
	uint64_t seed = p.seed;
	if (seed > UINT64_MAX - schedules)
		return rl_cli_usage_error("--seed %llu: the seeds would wrap around", (unsigned long long)seed);
	char why[RL_WL_TEXT];
	if (rl_workload_check_params(w, &p, why, sizeof why))
		return rl_cli_usage_error("%s", why);

	rl_cli_catch_sigint();
	static struct rl_workload_result r;
	struct rl_workload_params resolved;
	rl_workload_resolve(w, &p, &resolved);
	if (!json) {
		printf("racelab explore %s: %s schedules", w->name, rl_wl_schedule_name(resolved.schedule));
		if (resolved.schedule == RL_PROBE_SCHEDULE_PCT)
			printf(" (depth %u)", resolved.pct_depth);
		printf(" with the happens-before detector, seeds from %llu, at most %llu\n", (unsigned long long)seed,
		       (unsigned long long)schedules);
		fflush(stdout);
	}

	struct rl_explore_stats xs;
	struct progress pg = {.start = now_s()};
	pg.last = pg.start;
	if (isatty(STDERR_FILENO))
		rl_workload_explore_progress(show_progress, &pg);
	int err = rl_workload_explore(w, &p, schedules, &r, &xs);
	rl_workload_explore_progress(NULL, NULL);
	if (pg.shown)
		fputs("\r\033[K", stderr); /* clear the progress line */
	if (err) {
		fprintf(stderr, "racelab: %s: %s\n", w->name, r.error_text);
		rl_probe_reset();
		return RL_EXIT_FAILED;
	}
	uint64_t ran = xs.ran, clean_from = seed, min_steps = xs.min_steps, max_steps = xs.max_steps;
	bool found = xs.found;

	uint64_t clean_to = seed + ran - (found ? 1 : 0); /* one past the last clean seed */
	unsigned n = r.sim.threads ? r.sim.threads : 1;
	/* PCT's k: the largest number of scheduling points seen (a smaller k would make
	 * the bound, and the chance that all runs missed, too optimistic). */
	uint64_t k = r.sim.steps > max_steps ? r.sim.steps : max_steps;
	k = k ? k : 1;
	bool pct = resolved.schedule == RL_PROBE_SCHEDULE_PCT;
	unsigned d = resolved.schedule == RL_PROBE_SCHEDULE_PCT ? resolved.pct_depth : 1;
	double bound = rl_probe_pct_runs(n, k, d, 1 - CONFIDENCE);
	char what[256], cmd[512];
	describe(what, sizeof what, &r);
	rl_cli_replay(cmd, sizeof cmd, w, &r);
	struct slice lost = found ? first_lost_update() : (struct slice){0};
	const rl_probe_report *first = NULL;
	for (size_t i = 0; found && i < rl_probe_report_count() && !first; i++)
		if (rl_probe_report_at(i)->kind == RL_REPORT_RACE || rl_probe_report_at(i)->kind == RL_REPORT_DEADLOCK)
			first = rl_probe_report_at(i);

	if (json) {
		printf("{\"type\":\"explore\",\"workload\":");
		rl_cli_json_string(stdout, w->name);
		printf(",\"expected_verdict\":\"%s\"", rl_verdict_name(w->expected));
		printf(",\"strategy\":\"%s\",\"pct_depth\":%u,\"first_seed\":%llu,\"schedules\":%llu,\"found\":%s",
		       rl_wl_schedule_name(resolved.schedule), resolved.pct_depth, (unsigned long long)seed,
		       (unsigned long long)ran, found ? "true" : "false");
		if (found) {
			printf(",\"seed\":%llu,\"schedules_to_first_bug\":%llu,\"what\":", (unsigned long long)r.sim.seed,
			       (unsigned long long)ran);
			rl_cli_json_string(stdout, what);
			printf(",\"threads\":%u,\"steps\":%llu", n, (unsigned long long)k);
			if (pct)
				printf(",\"pct_bound\":{\"n\":%u,\"k\":%llu,\"d\":%u,\"confidence\":%.2f,\"runs\":%.6g}",
				       n, (unsigned long long)k, d, CONFIDENCE, bound);
			else
				fputs(",\"pct_bound\":null", stdout);
			printf(",\"report\":");
			if (first) {
				struct rl_wl_report data;
				rl_wl_report_from_probe(&data, first);
				rl_cli_json_report(stdout, &data, first->text);
			} else if (r.nmessages) {
				rl_cli_json_report(stdout, &r.message_data[0], r.messages[0]);
			} else {
				fputs("null", stdout);
			}
			printf(",\"lost_update\":");
			if (lost.found) {
				fputc('[', stdout);
				bool sep = false;
				for (size_t i = lost.from; i <= lost.to; i++) {
					const rl_probe_trace_rec *x = rl_probe_trace_at(i);
					if (x->obj_id != lost.obj)
						continue;
					char line[512];
					rl_probe_trace_format(x, line, sizeof line);
					if (sep)
						fputc(',', stdout);
					rl_cli_json_string(stdout, line);
					sep = true;
				}
				fputc(']', stdout);
			} else {
				fputs("null", stdout);
			}
			printf(",\"verdict\":\"%s\",\"replay\":", rl_verdict_name(r.verdict));
			rl_cli_json_string(stdout, cmd);
		}
		printf(",\"interrupted\":%s}\n", rl_workload_stopping() ? "true" : "false");
		fflush(stdout);
		int tst = found ? rl_cli_timeline_write(w, &r) : 0;
		rl_probe_reset();
		if (tst)
			return tst;
		return found ? RL_EXIT_VIOLATION : rl_workload_stopping() ? RL_EXIT_INTERRUPTED : RL_EXIT_CLEAN;
	}

	if (clean_to - clean_from == 1)
		printf("  seed %llu: no violation (%llu scheduling points)\n", (unsigned long long)clean_from,
		       (unsigned long long)max_steps);
	else if (clean_to > clean_from)
		printf("  seeds %llu..%llu: no violation (%llu schedules, %llu-%llu scheduling points each)\n",
		       (unsigned long long)clean_from, (unsigned long long)(clean_to - 1),
		       (unsigned long long)(clean_to - clean_from), (unsigned long long)min_steps,
		       (unsigned long long)max_steps);
	if (!found) {
		if (rl_workload_stopping())
			printf("interrupted after %llu schedules: no violation so far\n", (unsigned long long)ran);
		else
			printf("no violation in %llu schedules.\n", (unsigned long long)ran);
		if (rl_cli_timeline)
			printf("timeline: none written (no schedule violated)\n");
		if (resolved.schedule == RL_PROBE_SCHEDULE_PCT) {
			printf("PCT: the chance that all %llu runs missed a bug of depth d (n = %u threads, k = %llu "
			       "scheduling points) is at most:\n", (unsigned long long)ran, n, (unsigned long long)k);
			for (unsigned dd = 1; dd <= d; dd++)
				printf("  depth %u: %.3g\n", dd, rl_probe_pct_miss(n, k, dd, ran));
		}
		rl_probe_reset();
		return rl_workload_stopping() ? RL_EXIT_INTERRUPTED : RL_EXIT_CLEAN;
	}

	printf("  seed %llu: %s   <- first violation\n\n", (unsigned long long)r.sim.seed, what);
	printf("schedules to the first violation: %llu\n", (unsigned long long)ran);
	if (pct) {
		printf("PCT's bound (Burckhardt et al. 2010): with n = %u threads and k = %llu scheduling points (the most\n"
		       "any run took), each PCT run finds a depth-d bug with probability >= 1/(n*k^(d-1)); %.0f%% certainty\n"
		       "takes n*k^(d-1)*ln(1/%.2f) runs:\n",
		       n, (unsigned long long)k, CONFIDENCE * 100, 1 - CONFIDENCE);
		for (unsigned dd = 1; dd <= (d > 3 ? d : 3); dd++)
			printf("  depth %u: %.3g runs%s\n", dd, rl_probe_pct_runs(n, k, dd, 1 - CONFIDENCE),
			       dd == d ? "   (this exploration's depth)" : "");
	}
	if (first) {
		printf("\nfirst report:\n");
		const char *t = first->text;
		while (*t) {
			size_t len = strcspn(t, "\n");
			printf("  %.*s\n", (int)len, t);
			t += len;
			if (*t == '\n')
				t++;
		}
	}
	if (lost.found) {
		printf("\nthe first lost update, as it interleaved (step, thread, operation, object, value):\n");
		print_slice(stdout, &lost);
	} else if (first && first->kind == RL_REPORT_RACE) {
		struct slice s = race_slice(first);
		if (s.found) {
			printf("\nthe racing accesses and the synchronisation between them (step, thread, operation, "
			       "object, value):\n");
			print_slice(stdout, &s);
		}
	}
	if (r.lost && !lost.found)
		printf("\n%s: expected %lld, observed %lld\n", r.unit, (long long)r.expected, (long long)r.observed);
	printf("\nverdict: %s\nreplay:  %s --trace\n", rl_verdict_name(r.verdict), cmd);
	fflush(stdout);
	int tst = rl_cli_timeline_write(w, &r);
	if (!tst && rl_cli_timeline)
		printf("timeline: %s\n", rl_cli_timeline);
	rl_probe_reset();
	return tst ? tst : RL_EXIT_VIOLATION;
}
