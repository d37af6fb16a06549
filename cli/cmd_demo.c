/* cmd_demo.c — `racelab demo`: a guided tour of the seed's concepts.
 *
 * Runs the whole catalog in tour order with each workload's defaults (so any
 * step can be rerun alone with `racelab run NAME`), shows the figures each run
 * measured and explains its verdict in two or three lines. The run's stderr
 * (panic messages, overflow reports) is captured and shown inside the step.
 */
#include <stdio.h>
#include <string.h>

#include <racelab/layout.h>
#include <racelab/parse.h>
#include <racelab/thread.h>
#include <racelab/workload.h>

#include "cli.h"

struct chapter {
	const char *first;  /* the workload that opens the chapter */
	const char *title;
	const char *intro;  /* what the seed says, in a line or two */
};

static const struct chapter chapters[] = {
	{"stack-overflow", "Thread stacks",
	 "\"On 64-bit Linux Systems, Rust programs use an 8Mb stack for the main thread\"; threads it\n"
	 "spawns get 2Mb. And \"this memory is not allocated immediately, it is allocated by the\n"
	 "kernel only on the first access.\""},
	{"false-sharing", "Alignment",
	 "\"Alignment is performed by the compiler so that CPUs can read data more efficiently.\"\n"
	 "Between cores, the unit the CPU moves is the 64-byte cache line."},
	{"stack-vs-heap", "Stack, heap, Vec and moves",
	 "\"Allocation and deallocation on the stack requires only increasing or decreasing the hight of\n"
	 "the stack pointer\"; on the heap, \"memory allocator requests memory in blocks\". A Vec holds\n"
	 "(ptr, cap, len) and reallocates when it is full; moving it \"is written 3 machine words\",\n"
	 "while clone() copies every string."},
	{"rc-single", "Rc: shared ownership, on one thread",
	 "\"when each owner goes out of scope, the reference counter is decremented, and when it\n"
	 "reaches 0, all data on the heap is deallocated.\" But \"Rc - is not send\\sync because if\n"
	 "multiple threads have Rc - an attempt to increment a shared counter may result in a data race.\""},
	{"arc-clone", "Arc: the same count, made atomic",
	 "\"It works the same way as Rc, but changing the counter is an atomic operation, which can\n"
	 "be safely performed from multiple threads. However, you have to pay a little performance\n"
	 "for atomicity.\""},
	{"arc-cell", "Shared mutation: Sync",
	 "\"By default, Arc is immutable ... If you need mutable access to shared data between\n"
	 "multiple threads - you can wrap Mutex inside Arc.\" Or use an atomic. Not a Cell."},
	{"mutex-poison", "When a lock holder panics",
	 "\"Now, if two threads try to access the same data, they will first need to get a lock on\n"
	 "that data.\" And if the thread holding the lock panics halfway through its update?"},
	{"rcu-config", "Readers that never wait",
	 "A Mutex makes readers wait for each other. Data read far more often than written can\n"
	 "skip the lock: readers take a snapshot, writers publish a new copy (read-copy-update)."},
	{"masked-race", "Races the OS schedule hides",
	 "TSan and the owner checks see only the interleaving the OS happened to run. racelab's own\n"
	 "scheduler runs one thread at a time and picks who goes next at every shared access; its\n"
	 "happens-before detector reports a race whichever value was read. Same seed, same run."},
	{"condvar-lost-wakeup", "std::sync beyond Mutex",
	 "Rust shares state with more than Mutex: Condvar, mpsc channels, RwLock, Barrier. Each has a\n"
	 "rule the compiler cannot check — loop on a Condvar's predicate, drop every Sender, wait at\n"
	 "the barrier. racelab's scheduler models their waits: a wait nobody can end is a deadlock."},
	{"sb-litmus", "Weak memory: what C11 lets a load read",
	 "racelab's scheduler runs one interleaving at a time, each sequentially consistent. C11\n"
	 "promises less: a load may read an older store than the latest. rl_model()'s RC11 model\n"
	 "explores which store each load reads, so store buffering and Peterson's lock show it."},
	{"rc-cycle", "Leaks: Rc cycles and Weak",
	 "\"you want each value to have a common owner and remove value from memory only when all\n"
	 "owners go out of scope\" — and if the owners own each other, that never happens."},
};

static const struct chapter *chapter_of(const char *name)
{
	for (size_t i = 0; i < sizeof chapters / sizeof chapters[0]; i++)
		if (!strcmp(chapters[i].first, name))
			return &chapters[i];
	return NULL;
}

/* Print @text with @prefix in front of every line. */
static void indent(const char *prefix, const char *text, unsigned max_lines)
{
	unsigned lines = 0;
	while (*text && lines < max_lines) {
		size_t n = strcspn(text, "\n");
		if (n)
			printf("%s%.*s\n", prefix, (int)n, text), lines++;
		text += n;
		if (*text == '\n')
			text++;
	}
}

/* A few rows of `racelab layout`: the seed's sizes, measured on the C side. */
static void show_layout(const char *const *pick, size_t npick)
{
	const struct rl_layout_row *rows;
	size_t n = rl_layout_rows(&rows);
	printf("\n  $ racelab layout      (%zu rows; a few of them)\n", n);
	printf("  %-18s %-10s %s\n", "Rust type", "Rust", "racelab C (size/align, measured with sizeof/_Alignof)");
	for (size_t k = 0; k < npick; k++) {
		for (size_t i = 0; i < n; i++) {
			if (strcmp(rows[i].rust_type, pick[k]) != 0)
				continue;
			char rust[24], c[24];
			snprintf(rust, sizeof rust, "%ld/%ld", rows[i].rust_size, rows[i].rust_align);
			snprintf(c, sizeof c, "%zu/%zu", rows[i].c_size, rows[i].c_align);
			printf("  %-18s %-10s %-10s %s\n", rows[i].rust_type, rust, c, rows[i].note ? rows[i].note : "");
			break;
		}
	}
}

static void show(const struct rl_workload *w, const struct rl_workload_result *r, size_t step, size_t steps)
{
	char a[32];
	printf("\n[%zu/%zu] %s — %s\n", step, steps, w->name, w->summary);
	printf("  $ racelab run %s", w->name);
	if (w->uses & (RL_WP_THREADS | RL_WP_ITERS | RL_WP_STACK)) {
		printf("      (");
		const char *sep = "";
		if (w->uses & RL_WP_THREADS)
			printf("%s%llu threads", sep, (unsigned long long)r->threads), sep = ", ";
		if (w->uses & RL_WP_ITERS)
			printf("%s%llu %s", sep, (unsigned long long)r->iters, w->iters_unit ? w->iters_unit : "iterations"),
				sep = ", ";
		if (w->uses & RL_WP_STACK)
			printf("%s%s stacks", sep, rl_format_size(r->stack, a, sizeof a));
		printf(")");
	}
	printf("\n");
	/* What the run printed on stderr (overflow report, panic message). */
	indent("  | ", r->captured, 4);
	uint64_t nrep = r->reports[RL_CHECK_SEND] + r->reports[RL_CHECK_SYNC] + r->reports[RL_CHECK_USE_AFTER_FREE];
	unsigned shown = 0;
	for (unsigned i = 0; i < r->nmessages && shown < 3; i++) {
		/* The overflow line is in the captured stderr already. */
		if (r->overflowed && strstr(r->captured, r->messages[i]))
			continue;
		printf("  ! %s\n", r->messages[i]);
		shown++;
	}
	if (nrep > shown && shown)
		printf("  ! ... %llu reports in all (send %llu, sync %llu, use-after-free %llu)\n", (unsigned long long)nrep,
		       (unsigned long long)r->reports[RL_CHECK_SEND], (unsigned long long)r->reports[RL_CHECK_SYNC],
		       (unsigned long long)r->reports[RL_CHECK_USE_AFTER_FREE]);
	if (r->sim.on) {
		/* Simulated by default (RL_WF_SIMULATE): the schedule and the first report. */
		printf("  racelab's scheduler: %s, seed %llu; detector: %llu race%s\n", rl_wl_schedule_name(r->sim.schedule),
		       (unsigned long long)r->sim.seed, (unsigned long long)r->sim.races, r->sim.races == 1 ? "" : "s");
		if (r->sim.nreports)
			indent("  ! ", r->sim.reports[0], 3);
	}
	/* The first notes carry the figures; vec-growth's list of every reallocation is for `racelab run`. */
	enum { DEMO_NOTES = 6 };
	for (unsigned i = 0; i < r->nnotes && i < DEMO_NOTES; i++)
		printf("  %s\n", r->notes[i]);
	if (r->nnotes > DEMO_NOTES)
		printf("  ... %u more lines: racelab run %s\n", r->nnotes - DEMO_NOTES, w->name);
	if (*r->unit) {
		printf("  %s: expected %lld, observed %lld", r->unit, (long long)r->expected, (long long)r->observed);
		if (r->lost)
			printf(", lost %lld", (long long)r->lost);
		if (r->leaked)
			printf(", leaked %llu", (unsigned long long)r->leaked);
		printf("\n");
	}
	if (r->error)
		printf("  error: %s\n", r->error_text);
	if (r->interrupted)
		printf("  (interrupted: the figures cover the work done until Ctrl-C)\n");
	bool as_expected = r->verdict == w->expected && !r->error;
	printf("  verdict: %s%s (%.2f s)\n", rl_verdict_name(r->verdict),
	       as_expected ? ", as expected" : r->interrupted ? ", interrupted" : ", NOT the expected one", r->seconds);
	indent("  > ", w->lesson, 4);
}

static const char intro[] =
	"racelab demo — Rust's memory and concurrency rules, re-created in C and run for real\n"
	"\n"
	"Rust decides at compile time where memory lives and who may touch it: stacks of\n"
	"8 MiB (main) and 2 MiB (spawned threads), reference counts in Rc and Arc, Mutex for\n"
	"shared mutation, and the Send and Sync rules that keep Rc and Cell on one thread.\n"
	"C has none of those checks, so racelab re-creates the types on real pthreads and\n"
	"each step below runs a small workload that keeps a rule or breaks it. Every step\n"
	"states an invariant, measures it (expected, observed, lost) and gives a verdict.\n"
	"racelab's owner checks report broken rules in Rust's words (lines marked '!');\n"
	"what the program itself printed is marked '|'. Rerun any step: racelab run NAME.\n";

int rl_cmd_demo(int argc, char **argv)
{
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			rl_cli_help(stdout, &rl_cli_demo_help);
			return RL_EXIT_CLEAN;
		} else
			return argv[i][0] == '-' ? rl_cli_unknown(&rl_cli_demo_help, argv[i])
						 : rl_cli_usage_error("demo: unknown argument '%s'", argv[i]);
	}
	const struct rl_workload *ws;
	size_t n = rl_workloads(&ws);
	static struct rl_workload_result results[64];
	if (n > sizeof results / sizeof results[0])
		n = sizeof results / sizeof results[0];

	rl_cli_catch_sigint();
	if (!json) {
		fputs(intro, stdout);
		if (rl_workload_under_tsan())
			puts("\n(built with ThreadSanitizer: lost-update figures are not meaningful, TSan perturbs timing)");
	}
	size_t ran = 0, matched = 0;
	double total = 0;
	for (size_t i = 0; i < n && !rl_workload_stopping(); i++) {
		const struct rl_workload *w = &ws[i];
		const struct chapter *c = chapter_of(w->name);
		if (c && !json) {
			printf("\n== %s ==\n", c->title);
			if (c->intro)
				indent("", c->intro, 4);
			static const char *const align[] = {"(char, u8, i32)", "Rc<T>", "Option<Arc<T>>", "ArcInner<i32>",
							    "Mutex<i32>"};
			static const char *const memory[] = {"Box<i32>", "Vec<i32>", "String", "&str", "&dyn Write"};
			if (!strcmp(c->first, "false-sharing"))
				show_layout(align, sizeof align / sizeof align[0]);
			if (!strcmp(c->first, "stack-vs-heap"))
				show_layout(memory, sizeof memory / sizeof memory[0]);
		}
		fflush(stdout);
		struct rl_workload_params p = {.check = RL_CHECK_REPORT, .capture_stderr = true};
		rl_workload_run(w, &p, &results[i]);
		ran++;
		total += results[i].seconds;
		matched += results[i].verdict == w->expected && !results[i].error;
		if (json)
			rl_cli_print_json(stdout, w, &results[i], &w->expected);
		else
			show(w, &results[i], i + 1, n);
		fflush(stdout);
	}
	if (json)
		return matched == n ? RL_EXIT_CLEAN : rl_workload_stopping() ? RL_EXIT_INTERRUPTED : RL_EXIT_FAILED;

	printf("\n== Summary: %zu workloads in %.1f s ==\n", ran, total);
	int wname = 15; /* as wide as the longest name */
	for (size_t i = 0; i < ran; i++)
		wname = (int)strlen(ws[i].name) > wname ? (int)strlen(ws[i].name) : wname;
	for (size_t i = 0; i < ran; i++) {
		const struct rl_workload_result *r = &results[i];
		bool ok = r->verdict == ws[i].expected && !r->error;
		printf("  %-*s %-15s %s\n", wname, ws[i].name, rl_verdict_name(r->verdict),
		       ok ? "as expected" : r->interrupted ? "interrupted" : "NOT as expected");
	}
	if (ran < n)
		printf("\nInterrupted after %zu of %zu workloads.\n", ran, n);
	else if (matched == n)
		printf("\nEvery verdict is the expected one: racelab caught each broken rule and stayed\n"
		       "quiet on every kept one. Next: 'racelab list', 'racelab run NAME --json',\n"
		       "'racelab bench' (what the atomics cost), 'racelab layout' (sizes beside Rust's).\n");
	else
		printf("\n%zu of %zu verdicts were not the expected ones (see above).\n", n - matched, n);
	if (ran < n)
		return RL_EXIT_INTERRUPTED;
	return matched == n ? RL_EXIT_CLEAN : RL_EXIT_FAILED;
}
