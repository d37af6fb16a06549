/* rust.c — rust-compare: Rust's std Rc, Arc, Mutex, mpsc, RwLock and
 * Condvar beside racelab's, in one run, with the targets of the sync issues
 * (Arc within 1.05x of Rust, Rc within 1.2x, the futex Mutex no slower;
 * channel send+recv no slower, RwLock read+drop within 1.1x, a notify with
 * no waiter at most half of Rust's, two-producer MPSC no slower per message).
 *
 * The Rust side is bench/rust/compare.rs built with `rustc -O`: at CMake time
 * when rustc exists (RL_BENCH_RUST_BIN), otherwise here on first use into the
 * same place (or $TMPDIR). Without rustc the benchmark is skipped with a
 * message. The program runs as a child process in --serve mode: racelab asks
 * it for one batch at a time and alternates Rust batches with C batches of
 * the matching benchmark (rows c:NAME and rust:NAME), each calibrated to
 * --time-per-sample and warmed up for --warmup; both sides' per-sample
 * figures go through the same statistics.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
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
	/* the rest of std::sync (bench/bench_stdsync.c) */
	{"mpsc-send-recv", "Rust mpsc channel() send+recv", "channel-send-recv"},
	{"sync-send-recv", "Rust mpsc sync_channel(16) send+recv", "sync-channel-send-recv"},
	{"rendezvous", "Rust mpsc sync_channel(0) handoff", "channel-rendezvous"},
	{"mpsc-2", "Rust mpsc channel() 2 producers", "channel-mpsc-2"},
	{"sync-mpsc-2", "Rust mpsc sync_channel(16) 2 producers", "sync-channel-mpsc-2"},
	{"rendezvous-2", "Rust mpsc sync_channel(0) 2 senders", "channel-rendezvous-2"},
	{"rwlock-read-drop", "Rust RwLock read+drop", "rwlock-read-drop"},
	{"rwlock-write-drop", "Rust RwLock write+drop", "rwlock-write-drop"},
	{"rwlock-read-mostly-2", "Rust read-mostly RwLock, 2 threads", "rwlock-read-mostly-2"},
	{"condvar-ping-pong", "Rust Condvar ping-pong round trip", "condvar-ping-pong"},
	{"condvar-notify-one", "Rust Condvar notify_one, no waiter", "condvar-notify-no-waiter"},
};

/* Run @argv; stdout into @out (malloc'd, NUL-terminated) when non-NULL,
 * otherwise to /dev/null; stderr to /dev/null. @cpu >= 0 pins the child.
 * Return: the exit status, or -1 when it could not run. */
int rl_bench_run_child(char *const argv[], char **out, int cpu)
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
		if (rl_bench_run_child(argv, &ver, -1) == 0 && ver) {
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
		if (rl_bench_run_child(argv, NULL, -1) == 0) {
			snprintf(bin, len, "%s", cands[i]);
			return bin;
		}
	}
	snprintf(why, whylen, "rustc -O %s failed (it needs rustc 1.66 or newer)", RL_BENCH_RUST_SRC);
	return NULL;
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

/* The Rust program in --serve mode: commands on its stdin, answers on its stdout. */
struct server {
	pid_t pid;
	FILE *to, *from;
};

static int server_start(struct server *sv, const char *bin, int cpu)
{
	int in[2], out[2];
	if (pipe(in) != 0)
		return -1;
	if (pipe(out) != 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	sv->pid = fork();
	if (sv->pid < 0) {
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		return -1;
	}
	if (sv->pid == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		if (cpu >= 0) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			(void)sched_setaffinity(0, sizeof set, &set);
		}
		execl(bin, bin, "--serve", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	sv->to = fdopen(in[1], "w");
	sv->from = fdopen(out[0], "r");
	if (!sv->to || !sv->from) {
		if (sv->to)
			fclose(sv->to);
		else
			close(in[1]);
		if (sv->from)
			fclose(sv->from);
		else
			close(out[0]);
		waitpid(sv->pid, NULL, 0);
		return -1;
	}
	return 0;
}

static void server_stop(struct server *sv)
{
	fclose(sv->to); /* EOF ends the server */
	fclose(sv->from);
	while (waitpid(sv->pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Send one command; the answer line into @line. Return 0, or -1 when the
 * server died or answered "error". */
static int server_ask(struct server *sv, char *line, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int server_ask(struct server *sv, char *line, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(sv->to, fmt, ap);
	va_end(ap);
	if (fflush(sv->to) != 0 || !fgets(line, (int)len, sv->from) || !strncmp(line, "error", 5))
		return -1;
	return 0;
}

static int rust_sample(struct server *sv, const char *name, uint64_t iters, double *ns, double *cyc)
{
	char line[256];
	if (server_ask(sv, line, sizeof line, "run %s %llu\n", name, (unsigned long long)iters) != 0 ||
	    sscanf(line, "ns %lf cycles %lf", ns, cyc) != 2)
		return -1;
	return 0;
}

/*
 * One pair: calibrate and warm up each side, then alternate their samples
 * (C Rust, Rust C, C Rust, ...) so that a change in the machine's load
 * between the two does not become a difference between C and Rust.
 */
static int compare_pair(struct rl_bench_session *s, struct server *sv, size_t k, bool *rust_failed)
{
	const struct rl_bench_opts *o = s->opts;
	const struct rl_bench *b = rl_bench_find(pairs[k].c);
	if (!b)
		return RL_EINVAL;
	size_t n = o->samples;
	double *cns = malloc(n * sizeof *cns), *ccpu = malloc(n * sizeof *ccpu);
	double *ccyc = malloc(n * sizeof *ccyc), *rns = malloc(n * sizeof *rns);
	double *rcyc = malloc(n * sizeof *rcyc);
	int rc = cns && ccpu && ccyc && rns && rcyc ? RL_OK : RL_ENOMEM;
	struct rl_bench_runner *run = NULL;
	if (rc == RL_OK)
		rc = rl_bench_runner_open(s, b, 1, &run);

	/* Rust: calibration, then warm-up for as long as the C side's. */
	char line[256];
	unsigned long long riters = 0;
	rl_bench_progress(s, "rust-compare: %s", pairs[k].rust);
	if (rc == RL_OK && (server_ask(sv, line, sizeof line, "cal %s %g\n", pairs[k].rust, o->sample_ms) != 0 ||
			    sscanf(line, "iters %llu", &riters) != 1 || riters == 0))
		*rust_failed = true;
	double junk_ns, junk_cyc;
	uint64_t w0 = rl_bench_now_ns();
	while (rc == RL_OK && !*rust_failed) {
		if (rust_sample(sv, pairs[k].rust, riters, &junk_ns, &junk_cyc) != 0)
			*rust_failed = true;
		if ((double)(rl_bench_now_ns() - w0) >= o->warmup_ms * 1e6)
			break;
	}

	for (size_t i = 0; rc == RL_OK && !*rust_failed && i < n; i++) {
		rl_bench_progress(s, "rust-compare: %s sample %zu/%zu", pairs[k].rust, i + 1, n);
		struct rl_bench_sample sm = {0, 0, 0, 0};
		for (int half = 0; half < 2 && rc == RL_OK && !*rust_failed; half++) {
			if ((half == 0) == (i % 2 == 0)) {
				rc = rl_bench_runner_sample(run, &sm);
				cns[i] = sm.ns;
				ccpu[i] = sm.cpu_ns;
				ccyc[i] = sm.cycles;
			} else if (rust_sample(sv, pairs[k].rust, riters, &rns[i], &rcyc[i]) != 0) {
				*rust_failed = true;
			}
		}
	}
	uint64_t citers = run ? rl_bench_runner_iters(run) : 0;
	rl_bench_runner_close(run);

	if (rc == RL_OK && !*rust_failed) {
		char cname[80], rname[80], cseries[96];
		snprintf(cname, sizeof cname, "c:%s", pairs[k].c);
		snprintf(rname, sizeof rname, "rust:%s", pairs[k].rust);
		snprintf(cseries, sizeof cseries, "%s (beside Rust)", b->series);
		rc = rl_bench_session_add(s, cname, cseries, 1, citers, cns, n, ccpu,
					  rl_bench_have_cycles() ? ccyc : NULL);
		if (rc == RL_OK)
			rc = rl_bench_session_add(s, rname, pairs[k].series, 1, riters, rns, n, NULL,
						  rl_bench_have_cycles() ? rcyc : NULL);
	}
	free(cns);
	free(ccpu);
	free(ccyc);
	free(rns);
	free(rcyc);
	return rc;
}

static int rust_compare(struct rl_bench_session *s)
{
	char bin[4096], why[512];
	if (!rust_binary(s, bin, sizeof bin, why, sizeof why)) {
		rl_bench_print_skip(s, "rust-compare", why);
		return RL_OK;
	}
	struct server sv;
	if (server_start(&sv, bin, pin_cpu(s)) != 0) {
		rl_bench_print_skip(s, "rust-compare", "could not start the Rust program");
		return RL_OK;
	}
	/* A server that dies must not kill racelab with SIGPIPE. */
	void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
	int rc = RL_OK;
	bool rust_failed = false;
	for (size_t k = 0; rc == RL_OK && !rust_failed && k < sizeof pairs / sizeof pairs[0]; k++)
		rc = compare_pair(s, &sv, k, &rust_failed);
	server_stop(&sv);
	signal(SIGPIPE, old_pipe);
	if (rc == RL_OK && rust_failed)
		rl_bench_print_skip(s, "rust-compare", "the Rust program stopped answering");
	return rc;
}

const struct rl_bench rl_bench_rust_compare = {
	.name = "rust-compare",
	.series = "Rust std",
	.what = "Rust's Rc/Arc clone+drop, Mutex, mpsc, RwLock and Condvar (rustc -O) beside racelab's",
	.flags = RL_BENCH_CUSTOM,
	.custom = rust_compare,
};
