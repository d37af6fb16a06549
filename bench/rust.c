/* rust.c — rust-compare: Rust's std Rc, Arc and Mutex beside racelab's, in
 * one run, with the targets of the sync issue (Arc within 1.05x of Rust, Rc
 * within 1.2x, the futex Mutex no slower).
 *
 * The Rust side is bench/rust/compare.rs built with `rustc -O`: at CMake time
 * when rustc exists (RL_BENCH_RUST_BIN), otherwise here on first use into the
 * same place (or $TMPDIR). Without rustc the benchmark is skipped with a
 * message. The program runs as a child process with the same --samples,
 * --time-per-sample and --warmup; its per-sample figures go through the same
 * statistics as the C rows.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <racelab/status.h>

#include "harness.h"

#ifndef RL_BENCH_RUST_SRC
#define RL_BENCH_RUST_SRC ""
#endif
#ifndef RL_BENCH_RUST_BIN
#define RL_BENCH_RUST_BIN ""
#endif

/* C benchmark measured against each Rust row. */
static const struct {
	const char *rust, *series, *c;
} pairs[] = {
	{"rc-clone-drop", "Rust Rc clone+drop", "rc-clone-drop"},
	{"arc-clone-drop", "Rust Arc clone+drop", "arc-clone-drop"},
	{"mutex-lock-unlock", "Rust Mutex lock+unlock", "mutex-futex-lock-unlock"},
};

/* Run @argv; stdout into @out (malloc'd, NUL-terminated) when non-NULL,
 * otherwise to /dev/null; stderr to /dev/null. @cpu >= 0 pins the child.
 * Return: the exit status, or -1 when it could not run. */
static int run_child(char *const argv[], char **out, int cpu)
{
	int fds[2] = {-1, -1};
	if (out && pipe(fds) != 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		if (out) {
			close(fds[0]);
			close(fds[1]);
		}
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (out) {
			dup2(fds[1], STDOUT_FILENO);
			close(fds[0]);
			close(fds[1]);
		} else if (null >= 0) {
			dup2(null, STDOUT_FILENO);
		}
		if (null >= 0)
			dup2(null, STDERR_FILENO);
		if (cpu >= 0) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			(void)sched_setaffinity(0, sizeof set, &set);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	char *buf = NULL;
	if (out) {
		close(fds[1]);
		size_t len = 0, cap = 0;
		for (;;) {
			if (len + 4096 + 1 > cap) {
				cap = cap ? 2 * cap : 8192;
				char *nb = realloc(buf, cap);
				if (!nb)
					break;
				buf = nb;
			}
			ssize_t k = read(fds[0], buf + len, cap - len - 1);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				break;
			len += (size_t)k;
		}
		close(fds[0]);
		if (buf)
			buf[len] = 0;
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			free(buf);
			return -1;
		}
	if (out)
		*out = buf;
	else
		free(buf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* rustc from $RUSTC or $PATH, into @buf. */
static bool find_rustc(char *buf, size_t len)
{
	const char *env = getenv("RUSTC");
	if (env && *env && access(env, X_OK) == 0) {
		snprintf(buf, len, "%s", env);
		return true;
	}
	const char *path = getenv("PATH");
	if (!path)
		return false;
	while (*path) {
		size_t n = strcspn(path, ":");
		if (n > 0 && snprintf(buf, len, "%.*s/rustc", (int)n, path) < (int)len &&
		    access(buf, X_OK) == 0)
			return true;
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

static bool newer_or_same(const char *bin, const char *src)
{
	struct stat b, s;
	if (stat(bin, &b) != 0 || !(b.st_mode & S_IXUSR))
		return false;
	if (stat(src, &s) != 0)
		return true; /* no source to compare with: trust the binary */
	return b.st_mtime >= s.st_mtime;
}

/* Locate or build the Rust program; Return NULL with @why filled to skip. */
static const char *rust_binary(struct rl_bench_session *s, char *bin, size_t len, char *why,
			       size_t whylen)
{
	char rustc[4096];
	bool have_rustc = find_rustc(rustc, sizeof rustc);
	if (have_rustc) {
		char *ver = NULL;
		char *argv[] = {rustc, "--version", NULL};
		if (run_child(argv, &ver, -1) == 0 && ver) {
			ver[strcspn(ver, "\n")] = 0;
			snprintf(s->rustc_version, sizeof s->rustc_version, "%s", ver);
		}
		free(ver);
	}
#ifdef RL_BENCH_RUSTC_VERSION
	if (!s->rustc_version[0])
		snprintf(s->rustc_version, sizeof s->rustc_version, "%s", RL_BENCH_RUSTC_VERSION);
#endif

	if (RL_BENCH_RUST_BIN[0] && newer_or_same(RL_BENCH_RUST_BIN, RL_BENCH_RUST_SRC)) {
		snprintf(bin, len, "%s", RL_BENCH_RUST_BIN);
		return bin;
	}
	if (!RL_BENCH_RUST_SRC[0] || access(RL_BENCH_RUST_SRC, R_OK) != 0) {
		snprintf(why, whylen, "the Rust source bench/rust/compare.rs is not available");
		return NULL;
	}
	if (!have_rustc) {
		snprintf(why, whylen, "rustc not found in PATH (install Rust to compare with "
			 "Rust's std; see bench/rust/run.sh)");
		return NULL;
	}
	/* Build next to the configured path, or in $TMPDIR if that is read-only. */
	const char *tmpdir = getenv("TMPDIR");
	const char *cands[2] = {RL_BENCH_RUST_BIN, NULL};
	char tmpbin[4096];
	snprintf(tmpbin, sizeof tmpbin, "%s/racelab-rust-compare-%ld", tmpdir && *tmpdir ? tmpdir : "/tmp",
		 (long)getuid());
	cands[1] = tmpbin;
	for (int i = 0; i < 2; i++) {
		if (!cands[i][0])
			continue;
		if (newer_or_same(cands[i], RL_BENCH_RUST_SRC)) {
			snprintf(bin, len, "%s", cands[i]);
			return bin;
		}
		rl_bench_progress(s, "rust-compare: rustc -O %s", RL_BENCH_RUST_SRC);
		char *argv[] = {rustc, "-O", "--edition", "2021", "-o", (char *)cands[i],
				(char *)RL_BENCH_RUST_SRC, NULL};
		if (run_child(argv, NULL, -1) == 0) {
			snprintf(bin, len, "%s", cands[i]);
			return bin;
		}
	}
	snprintf(why, whylen, "rustc -O %s failed", RL_BENCH_RUST_SRC);
	return NULL;
}

/* Parse "a,b,c" into @v (at most @max values). Return the count. */
static size_t parse_list(const char *p, double *v, size_t max)
{
	size_t n = 0;
	while (*p && *p != ' ' && *p != '\n' && n < max) {
		char *end;
		double x = strtod(p, &end);
		if (end == p)
			break;
		v[n++] = x;
		p = end;
		if (*p == ',')
			p++;
	}
	return n;
}

static int pin_cpu(const struct rl_bench_session *s)
{
	if (!s->opts->pin)
		return -1;
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) != 0)
		return -1;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			return c;
	return -1;
}

static int rust_compare(struct rl_bench_session *s)
{
	char bin[4096], why[512];
	if (!rust_binary(s, bin, sizeof bin, why, sizeof why)) {
		rl_bench_print_skip(s, "rust-compare", why);
		return RL_OK;
	}

	/* The C side of each pair, unless this run measured it already. */
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
		const struct rl_bench *b = rl_bench_find(pairs[i].c);
		if (!b || rl_bench_session_get(s, pairs[i].c, 1))
			continue;
		int rc = rl_bench_measure(s, b, 1);
		if (rc != RL_OK)
			return rc;
	}

	const struct rl_bench_opts *o = s->opts;
	char samples[32], ms[32], warm[32];
	snprintf(samples, sizeof samples, "%zu", o->samples);
	snprintf(ms, sizeof ms, "%g", o->sample_ms);
	snprintf(warm, sizeof warm, "%g", o->warmup_ms);
	char *argv[] = {bin, "--samples", samples, "--time-per-sample", ms, "--warmup", warm, NULL};
	rl_bench_progress(s, "rust-compare: running %s", bin);
	char *out = NULL;
	int st = run_child(argv, &out, pin_cpu(s));
	if (st != 0 || !out) {
		free(out);
		rl_bench_print_skip(s, "rust-compare", "the Rust program failed to run");
		return RL_OK;
	}

	double *ns = malloc(o->samples * sizeof *ns), *cyc = malloc(o->samples * sizeof *cyc);
	int rc = ns && cyc ? RL_OK : RL_ENOMEM;
	for (char *line = out; rc == RL_OK && line && *line;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		char name[64];
		unsigned long long iters;
		int off = 0;
		if (sscanf(line, "RUST name=%63s iters=%llu %n", name, &iters, &off) == 2 && off > 0 &&
		    !strncmp(line + off, "ns=", 3)) {
			const char *p = line + off + 3;
			size_t n = parse_list(p, ns, o->samples);
			const char *c = strstr(p, "cycles=");
			size_t nc = c ? parse_list(c + 7, cyc, o->samples) : 0;
			char row[80];
			const char *series = name;
			for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
				if (!strcmp(pairs[i].rust, name))
					series = pairs[i].series;
			snprintf(row, sizeof row, "rust:%s", name);
			if (n > 0)
				rc = rl_bench_session_add(s, row, series, 1, iters, ns, n, nc == n ? cyc : NULL);
		}
		line = next;
	}
	free(ns);
	free(cyc);
	free(out);
	return rc;
}

const struct rl_bench rl_bench_rust_compare = {
	.name = "rust-compare",
	.series = "Rust std",
	.what = "Rust's Rc/Arc clone+drop and Mutex lock+unlock (rustc -O) beside racelab's",
	.flags = RL_BENCH_CUSTOM,
	.custom = rust_compare,
};
