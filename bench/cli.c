/* cli.c — `racelab bench`: the command line, the run, the output files.
 *
 * Bad usage is detected before anything runs: one line on stderr, exit 2,
 * and no output file is created. Output files are written to a temporary
 * file in the target's directory and renamed into place once complete, so a
 * reader never sees a partial file; the temporary is removed on any failure
 * or on SIGINT/SIGTERM.
 */
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <racelab/parse.h>
#include <racelab/status.h>

#include "bench.h"
#include "harness.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

#define DEFAULT_SAMPLE_MS 20.0
#define DEFAULT_SAMPLES 15
#define MAX_SAMPLES 100000u
#define MAX_SAMPLE_MS 60000.0

static const char usage_text[] =
	"usage: racelab bench [NAME...] [options]\n"
	"       racelab bench --list\n"
	"\n"
	"Measures what racelab's primitives cost on this machine: Rc, Arc, Mutex\n"
	"(futex and pthread), RCU, atomics and threads, uncontended and with 1..N\n"
	"threads, with ratios computed from the same run. NAME is a benchmark from\n"
	"--list or a glob pattern ('counter-*'); without NAME everything runs.\n"
	"\n"
	"options:\n"
	"  --threads LIST          thread counts for threaded benchmarks, e.g. 1,2,4\n"
	"                          (default: powers of two up to the CPU count, and it)\n"
	"  --time-per-sample MS    length of one sample in milliseconds (default 20)\n"
	"  --samples N             samples kept per measurement (default 15)\n"
	"  --warmup MS             warm-up after calibration (default: one sample)\n"
	"  --pin                   pin timed thread i to allowed CPU i mod n\n"
	"  --rust                  also run rust-compare (Rust's Rc, Arc, Mutex side by side)\n"
	"  --json                  JSON lines on stdout instead of the table, each with a\n"
	"                          \"type\": context, result, skip, ratio, target, warning,\n"
	"                          note (with --list: benchmark)\n"
	"  --json-out FILE         results in Google Benchmark's JSON format ('-' is refused:\n"
	"                          stdout takes --json's lines)\n"
	"  --csv FILE              one CSV row per benchmark and thread count\n"
	"  --plot FILE.svg         SVG plot of ns/op vs threads\n"
	"  --list                  list the benchmarks and exit\n"
	"  -h, --help              this text\n"
	"\n"
	"Output: a table on stdout, ratios, warnings when repeated medians disagree by\n"
	"more than 10%, and one 'SUMMARY key=value ...' line per measurement. Progress\n"
	"goes to stderr when it is a terminal. Exit status: 0 ok, 1 a benchmark or an\n"
	"output file failed, 2 bad usage.\n"
	"\n"
	"The old --json FILE still works for this release (a note on stderr says so) and\n"
	"means --json-out FILE: --json=FILE, or --json followed by an argument with a '.'\n"
	"or '/' in it that is not a benchmark pattern (r.json, ./out). Otherwise --json\n"
	"takes no value and the next argument is a benchmark name or an option.\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("racelab bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return EXIT_USAGE;
}

/* ------------------------------------------------------------------------
 * Parsing helpers (exposed through harness.h for the tests)
 * ---------------------------------------------------------------------- */

static int cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return (x > y) - (x < y);
}

int rl_bench_parse_threads(const char *s, unsigned **out, size_t *n, char *err, size_t errlen)
{
	size_t cap = 1;
	for (const char *p = s; *p; p++)
		cap += *p == ',';
	unsigned *v = malloc(cap * sizeof *v);
	if (!v) {
		snprintf(err, errlen, "out of memory");
		return RL_ENOMEM;
	}
	size_t k = 0;
	const char *p = s;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char item[32];
		uint64_t t;
		if (len == 0 || len >= sizeof item) {
			snprintf(err, errlen, "bad thread list '%s': expected counts like 1,2,4", s);
			free(v);
			return RL_EINVAL;
		}
		memcpy(item, p, len);
		item[len] = 0;
		if (rl_parse_u64(item, 1, RL_BENCH_MAX_THREADS, &t) != RL_OK) {
			snprintf(err, errlen, "bad thread list '%s': '%s' is not a count from 1 to %u", s,
				 item, RL_BENCH_MAX_THREADS);
			free(v);
			return RL_EINVAL;
		}
		for (size_t j = 0; j < k; j++)
			if (v[j] == t) {
				snprintf(err, errlen, "bad thread list '%s': %s appears twice", s, item);
				free(v);
				return RL_EINVAL;
			}
		v[k++] = (unsigned)t;
		if (!end)
			break;
		p = end + 1;
	}
	qsort(v, k, sizeof *v, cmp_unsigned);
	*out = v;
	*n = k;
	return RL_OK;
}

size_t rl_bench_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *row = malloc((lb + 1) * sizeof *row);
	if (!row)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	size_t d = row[lb];
	free(row);
	return d;
}

const char *rl_bench_suggest(const char *name)
{
	const char *best = NULL;
	size_t bestd = SIZE_MAX;
	for (size_t i = 0; i < rl_bench_registry_len; i++) {
		const char *cand = rl_bench_registry[i]->name;
		size_t d = rl_bench_edit_distance(name, cand);
		/* A fragment of a name ("arc-clone") is as good as a close typo. */
		if (strstr(cand, name) && strlen(name) >= 3 && d > 1)
			d = 1;
		if (d < bestd) {
			bestd = d;
			best = cand;
		}
	}
	size_t limit = strlen(name) / 3 > 2 ? strlen(name) / 3 : 2;
	return bestd <= limit ? best : NULL;
}

static bool is_pattern(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/*
 * --json's old form, --json FILE (now --json-out FILE): the argument after
 * --json is its file when it has a '.' or a '/' in it and is neither an option
 * nor a benchmark pattern; benchmark names have neither.
 */
static bool old_json_file(const char *next)
{
	return next && next[0] != '-' && !is_pattern(next) && strpbrk(next, "./") && !rl_bench_find(next);
}

/* Positive milliseconds, decimals allowed: "20", "0.5". */
static int parse_ms(const char *s, double *out)
{
	if (!s || !*s || !(*s >= '0' && *s <= '9') )
		return RL_EINVAL;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v <= 0 || v > MAX_SAMPLE_MS)
		return RL_EINVAL;
	*out = v;
	return RL_OK;
}

/* ------------------------------------------------------------------------
 * Output files: temp + rename, removed on failure or on a signal.
 * ---------------------------------------------------------------------- */

struct outfile {
	const char *opt;  /* "--json" */
	const char *path;
	char tmp[4096];
	int fd;
};

static struct outfile outs[3];
static volatile sig_atomic_t nouts;

static void remove_temps_on_signal(int sig)
{
	for (int i = 0; i < nouts; i++)
		if (outs[i].fd != -1)
			unlink(outs[i].tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int outfile_open(struct outfile *o, const char *opt, const char *path)
{
	o->opt = opt;
	o->path = path;
	o->fd = -1;
	struct stat st;
	if (!*path)
		return usage_error("%s needs a file name", opt);
	if (!strcmp(path, "-"))
		return usage_error("%s needs a file name, not '-' (for JSON on stdout use --json)", opt);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return usage_error("cannot write %s %s: it is a directory", opt, path);
	if (stat(path, &st) == 0 && access(path, W_OK) != 0)
		return usage_error("cannot write %s %s: %s", opt, path, strerror(errno));
	int n = snprintf(o->tmp, sizeof o->tmp, "%s.tmp.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof o->tmp)
		return usage_error("cannot write %s %s: name too long", opt, path);
	o->fd = mkstemp(o->tmp);
	if (o->fd < 0)
		return usage_error("cannot write %s %s: %s", opt, path, strerror(errno));
	return EXIT_OK;
}

static void outfile_discard(struct outfile *o)
{
	if (o->fd >= 0) {
		close(o->fd);
		unlink(o->tmp);
		o->fd = -1;
	}
}

static int outfile_commit(struct outfile *o, const struct rl_bench_session *s,
			  int (*write)(const struct rl_bench_session *, FILE *))
{
	FILE *f = fdopen(o->fd, "w");
	if (!f) {
		fprintf(stderr, "racelab bench: cannot write %s %s: %s\n", o->opt, o->path, strerror(errno));
		outfile_discard(o);
		return EXIT_FAIL;
	}
	o->fd = -2; /* owned by f now */
	int rc = write(s, f);
	int saved = errno;
	if (fclose(f) != 0 && rc == 0) {
		rc = -1;
		saved = errno;
	}
	if (rc == 0 && rename(o->tmp, o->path) != 0) {
		rc = -1;
		saved = errno;
	}
	if (rc != 0) {
		unlink(o->tmp);
		fprintf(stderr, "racelab bench: cannot write %s %s: %s\n", o->opt, o->path, strerror(saved));
		return EXIT_FAIL;
	}
	/* mkstemp made it 0600; give it the usual umask-based mode. */
	mode_t mask = umask(0);
	umask(mask);
	chmod(o->path, 0666 & ~mask);
	o->fd = -1;
	fprintf(stderr, "racelab bench: wrote %s (%s)\n", o->path, o->opt);
	return EXIT_OK;
}

/* ------------------------------------------------------------------------
 * Context
 * ---------------------------------------------------------------------- */

static void read_cpu_model(char *buf, size_t len)
{
	snprintf(buf, len, "unknown CPU");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof line, f)) {
		if (!strncmp(line, "model name", 10)) {
			char *c = strchr(line, ':');
			if (c) {
				c++;
				while (*c == ' ' || *c == '\t')
					c++;
				c[strcspn(c, "\n")] = 0;
				snprintf(buf, len, "%s", c);
			}
			break;
		}
	}
	fclose(f);
}

static unsigned count_cpus(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

static int default_threads(unsigned ncpus, unsigned **out, size_t *n)
{
	unsigned *v = malloc(32 * sizeof *v);
	if (!v)
		return RL_ENOMEM;
	size_t k = 0;
	for (unsigned t = 1; t <= ncpus && k < 31; t *= 2)
		v[k++] = t;
	if (v[k - 1] != ncpus && ncpus <= RL_BENCH_MAX_THREADS)
		v[k++] = ncpus;
	*out = v;
	*n = k;
	return RL_OK;
}

static void list_benchmarks(bool lines)
{
	for (size_t i = 0; i < rl_bench_registry_len; i++) {
		const struct rl_bench *b = rl_bench_registry[i];
		if (lines) {
			fputs("{\"type\":\"benchmark\",\"benchmark\":", stdout);
			rl_bench_json_string(stdout, b->name);
			fputs(",\"what\":", stdout);
			rl_bench_json_string(stdout, b->what);
			printf(",\"per_thread_count\":%s,\"skipped\":%s}\n", b->flags & RL_BENCH_THREADS ? "true" : "false",
			       RL_BENCH_TSAN && (b->flags & RL_BENCH_RACY) ? "true" : "false");
			continue;
		}
		printf("%-26s %s%s%s\n", b->name, b->what,
		       b->flags & RL_BENCH_THREADS ? " [per thread count]" : "",
		       RL_BENCH_TSAN && (b->flags & RL_BENCH_RACY) ? " [skipped: TSan build]" : "");
	}
}

/* ------------------------------------------------------------------------
 * rl_bench_main
 * ---------------------------------------------------------------------- */

static bool selected(const struct rl_bench *b, const struct rl_bench **sel, size_t nsel)
{
	for (size_t i = 0; i < nsel; i++)
		if (sel[i] == b)
			return true;
	return false;
}

/*
 * Benchmarks measured together. A benchmark whose .pair (its reference) is
 * selected too is measured with that reference: pair_ref() finds it, and the
 * benchmark is skipped where it stands. group_of() collects, for a reference,
 * itself and every selected benchmark that names it.
 */
static const struct rl_bench *pair_ref(const struct rl_bench *b, const struct rl_bench **sel, size_t nsel)
{
	const struct rl_bench *ref = b->pair ? rl_bench_find(b->pair) : NULL;
	return ref && selected(ref, sel, nsel) ? ref : NULL;
}

static size_t group_of(const struct rl_bench *b, const struct rl_bench **sel, size_t nsel,
		       const struct rl_bench *group[RL_BENCH_GROUP_MAX])
{
	size_t n = 0;
	group[n++] = b;
	for (size_t i = 0; i < nsel && n < RL_BENCH_GROUP_MAX; i++)
		if (sel[i]->pair && !strcmp(sel[i]->pair, b->name))
			group[n++] = sel[i];
	return n;
}

static int run(struct rl_bench_session *s, const struct rl_bench **sel, size_t nsel)
{
	const struct rl_bench_opts *o = s->opts;
	for (size_t i = 0; i < nsel; i++) {
		const struct rl_bench *b = sel[i];
		if (RL_BENCH_TSAN && (b->flags & RL_BENCH_RACY)) {
			/* Racing is what this benchmark does; under TSan it would only
			 * produce a report (and halt_on_error would end the run). */
			rl_bench_print_skip(s, b->name, "races by design; not run in a TSan build");
			s->step += b->flags & RL_BENCH_THREADS ? o->nthreads : 1;
			continue;
		}
		if (b->flags & RL_BENCH_CUSTOM) {
			s->step++;
			size_t before = s->nres;
			int rc = b->custom(s);
			for (size_t k = before; k < s->nres; k++)
				rl_bench_print_row(s, &s->res[k]);
			if (rc != RL_OK) {
				if (s->progress)
					fputs("\r\033[K", stderr);
				fprintf(stderr, "racelab bench: %s: %s\n", b->name, rl_strerror(rc));
				return EXIT_FAIL;
			}
			continue;
		}
		/* A benchmark whose reference is selected too is measured with it. */
		if (pair_ref(b, sel, nsel))
			continue;
		const struct rl_bench *group[RL_BENCH_GROUP_MAX];
		size_t ng = group_of(b, sel, nsel, group);
		size_t nt = b->flags & RL_BENCH_THREADS ? o->nthreads : 1;
		for (size_t k = 0; k < nt; k++) {
			unsigned t = b->flags & RL_BENCH_THREADS ? o->threads[k] : 1;
			s->step += ng;
			size_t before = s->nres;
			int rc = rl_bench_measure_group(s, group, ng, t);
			if (rc != RL_OK) {
				if (s->progress)
					fputs("\r\033[K", stderr);
				fprintf(stderr, "racelab bench: %s threads=%u: %s\n", b->name, t, rl_strerror(rc));
				return EXIT_FAIL;
			}
			for (size_t r = before; r < s->nres; r++)
				rl_bench_print_row(s, &s->res[r]);
		}
	}
	if (s->progress)
		fputs("\r\033[K", stderr);
	return EXIT_OK;
}

static int select_add(const struct rl_bench **sel, size_t *nsel, const struct rl_bench *b)
{
	for (size_t i = 0; i < *nsel; i++)
		if (sel[i] == b)
			return 0;
	sel[(*nsel)++] = b;
	return 1;
}

int rl_bench_main(int argc, char **argv)
{
	struct rl_bench_opts o = {
		.sample_ms = DEFAULT_SAMPLE_MS,
		.warmup_ms = -1,
		.samples = DEFAULT_SAMPLES,
	};
	const char **names = calloc((size_t)argc + 1, sizeof *names);
	const struct rl_bench **sel = calloc(rl_bench_registry_len, sizeof *sel);
	if (!names || !sel) {
		free(names);
		free(sel);
		fputs("racelab bench: out of memory\n", stderr);
		return EXIT_FAIL;
	}
	size_t nnames = 0, nsel = 0;
	const char *threads_arg = NULL;
	int rc = EXIT_OK;

	for (int i = 1; i < argc && rc == EXIT_OK; i++) {
		const char *a = argv[i];
		const char *val = NULL;
		char opt[32];
		if (a[0] != '-' || !strcmp(a, "-")) {
			names[nnames++] = a;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_text, stdout);
			free(names);
			free(sel);
			free(o.threads);
			return EXIT_OK;
		}
		/* --opt=value or --opt value */
		const char *eq = strchr(a, '=');
		size_t olen = eq ? (size_t)(eq - a) : strlen(a);
		if (olen >= sizeof opt) {
			rc = usage_error("unknown option '%s' (try 'racelab bench --help')", a);
			break;
		}
		memcpy(opt, a, olen);
		opt[olen] = 0;
		bool takes = !strcmp(opt, "--threads") || !strcmp(opt, "--time-per-sample") ||
			     !strcmp(opt, "--samples") || !strcmp(opt, "--warmup") || !strcmp(opt, "--json-out") ||
			     !strcmp(opt, "--csv") || !strcmp(opt, "--plot");
		if (!strcmp(opt, "--json")) {
			const char *next = i + 1 < argc ? argv[i + 1] : NULL;
			if ((eq && !strcmp(eq + 1, "-")) || (!eq && next && !strcmp(next, "-"))) {
				rc = usage_error("--json takes no '-': it writes JSON lines to stdout by itself");
				break;
			}
			if (eq || old_json_file(next)) {
				fputs("racelab bench: note: --json FILE is now --json-out FILE (the old form goes in the "
				      "next release; --json alone prints JSON lines on stdout)\n", stderr);
				o.json = eq ? eq + 1 : argv[++i];
			} else {
				o.lines = true;
			}
			continue;
		}
		if (takes) {
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else {
				rc = usage_error("%s needs a value", opt);
				break;
			}
		} else if (eq) {
			rc = usage_error("%s takes no value", opt);
			break;
		}

		if (!strcmp(opt, "--threads")) {
			threads_arg = val;
		} else if (!strcmp(opt, "--time-per-sample")) {
			if (parse_ms(val, &o.sample_ms) != RL_OK)
				rc = usage_error("--time-per-sample takes milliseconds above 0 and up to %g, not '%s'",
						 MAX_SAMPLE_MS, val);
		} else if (!strcmp(opt, "--warmup")) {
			if (!strcmp(val, "0"))
				o.warmup_ms = 0;
			else if (parse_ms(val, &o.warmup_ms) != RL_OK)
				rc = usage_error("--warmup takes milliseconds from 0 to %g, not '%s'", MAX_SAMPLE_MS, val);
		} else if (!strcmp(opt, "--samples")) {
			uint64_t n;
			if (rl_parse_u64(val, 1, MAX_SAMPLES, &n) != RL_OK)
				rc = usage_error("--samples takes a count from 1 to %u, not '%s'", MAX_SAMPLES, val);
			else
				o.samples = (size_t)n;
		} else if (!strcmp(opt, "--json-out")) {
			o.json = val;
		} else if (!strcmp(opt, "--csv")) {
			o.csv = val;
		} else if (!strcmp(opt, "--plot")) {
			o.plot = val;
		} else if (!strcmp(opt, "--pin")) {
			o.pin = true;
		} else if (!strcmp(opt, "--rust")) {
			o.rust = true;
		} else if (!strcmp(opt, "--list")) {
			o.list = true;
		} else {
			rc = usage_error("unknown option '%s' (try 'racelab bench --help')", a);
		}
	}

	unsigned ncpus = count_cpus();
	if (rc == EXIT_OK) {
		char err[256];
		int prc = threads_arg ? rl_bench_parse_threads(threads_arg, &o.threads, &o.nthreads, err, sizeof err)
				      : default_threads(ncpus, &o.threads, &o.nthreads);
		if (prc == RL_EINVAL)
			rc = usage_error("%s", err);
		else if (prc != RL_OK)
			rc = usage_error("out of memory");
	}

	/* Benchmarks: names and patterns, in registry order. */
	if (rc == EXIT_OK) {
		bool *want = calloc(rl_bench_registry_len, sizeof *want);
		if (!want)
			rc = usage_error("out of memory");
		for (size_t k = 0; k < nnames && rc == EXIT_OK; k++) {
			bool hit = false;
			for (size_t i = 0; i < rl_bench_registry_len; i++) {
				const char *n = rl_bench_registry[i]->name;
				if (is_pattern(names[k]) ? fnmatch(names[k], n, 0) == 0 : !strcmp(names[k], n))
					want[i] = hit = true;
			}
			if (!hit) {
				const char *sug = is_pattern(names[k]) ? NULL : rl_bench_suggest(names[k]);
				if (sug)
					rc = usage_error("unknown benchmark '%s' (did you mean '%s'? see --list)",
							 names[k], sug);
				else
					rc = usage_error("unknown benchmark '%s' (see 'racelab bench --list')", names[k]);
			}
		}
		for (size_t i = 0; i < rl_bench_registry_len && rc == EXIT_OK; i++) {
			const struct rl_bench *b = rl_bench_registry[i];
			if (nnames == 0 || want[i] || (o.rust && b == &rl_bench_rust_compare))
				select_add(sel, &nsel, b);
		}
		free(want);
	}

	if (rc == EXIT_OK && o.list) {
		list_benchmarks(o.lines);
		free(names);
		free(sel);
		free(o.threads);
		return EXIT_OK;
	}

	/* Output files are checked (created as temporaries) before anything runs. */
	nouts = 0;
	const char *const optname[3] = {"--json-out", "--csv", "--plot"};
	const char *const paths[3] = {o.json, o.csv, o.plot};
	for (int k = 0; k < 3 && rc == EXIT_OK; k++) {
		if (!paths[k])
			continue;
		rc = outfile_open(&outs[nouts], optname[k], paths[k]);
		nouts++;
	}
	void (*old_int)(int) = SIG_DFL, (*old_term)(int) = SIG_DFL;
	if (nouts > 0) {
		old_int = signal(SIGINT, remove_temps_on_signal);
		old_term = signal(SIGTERM, remove_temps_on_signal);
	}

	struct rl_bench_session s;
	memset(&s, 0, sizeof s);
	if (rc == EXIT_OK) {
		if (o.warmup_ms < 0)
			o.warmup_ms = o.sample_ms;
		s.opts = &o;
		s.out = stdout;
		s.progress = isatty(STDERR_FILENO);
		s.ncpus = ncpus;
		read_cpu_model(s.cpu_model, sizeof s.cpu_model);
		time_t now = time(NULL);
		struct tm tm;
		localtime_r(&now, &tm);
		strftime(s.date, sizeof s.date, "%Y-%m-%d %H:%M:%S %Z", &tm);
		for (size_t i = 0; i < nsel; i++)
			s.nsteps += sel[i]->flags & RL_BENCH_THREADS ? o.nthreads : 1;
		rl_bench_clock_calibrate(&s.clock);
		rl_bench_print_header(&s);
		rc = run(&s, sel, nsel);
	}
	if (rc == EXIT_OK) {
		rl_bench_print_ratios(&s);
		rl_bench_print_warnings(&s);
		rl_bench_print_summary(&s);
		int (*const writers[3])(const struct rl_bench_session *, FILE *) = {
			rl_bench_write_json, rl_bench_write_csv, rl_bench_write_svg};
		for (int k = 0, j = 0; k < 3; k++) {
			if (!paths[k])
				continue;
			if (rc == EXIT_OK)
				rc = outfile_commit(&outs[j], &s, writers[k]);
			j++;
		}
	}
	for (int k = 0; k < nouts; k++)
		if (outs[k].fd >= 0)
			outfile_discard(&outs[k]);
	if (nouts > 0) {
		signal(SIGINT, old_int);
		signal(SIGTERM, old_term);
	}
	nouts = 0;
	rl_bench_session_free(&s);
	free(o.threads);
	free(names);
	free(sel);
	return rc;
}
