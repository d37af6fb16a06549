/* output.c — a run's result for people (text) and for machines (one JSON
 * object per run, on one line), and the command line that replays a
 * scheduled run.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <racelab/parse.h>
#include <racelab/thread.h>
#include <racelab/workload.h>

#include "cli.h"

static const char *check_name(enum rl_check_mode m)
{
	return m == RL_CHECK_ABORT ? "abort" : m == RL_CHECK_OFF ? "off" : "report";
}

static bool scheduled(const struct rl_sim_result *s)
{
	return s->on && (s->schedule == RL_PROBE_SCHEDULE_RANDOM || s->schedule == RL_PROBE_SCHEDULE_PCT);
}

/* Append to @buf (always NUL-terminated, truncated when full). */
static void append(char *buf, size_t len, size_t *at, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
	if (*at >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *at, len - *at, fmt, ap);
	va_end(ap);
	if (n > 0)
		*at += (size_t)n < len - *at ? (size_t)n : len - *at - 1;
}

void rl_cli_replay(char *buf, size_t len, const struct rl_workload *w, const struct rl_workload_result *r)
{
	const struct rl_sim_result *s = &r->sim;
	char sz[32];
	size_t at = 0;
	buf[0] = '\0';
	append(buf, len, &at, "%s run %s", rl_cli_prog, w->name);
	if (w->uses & RL_WP_THREADS)
		append(buf, len, &at, " --threads %llu", (unsigned long long)r->threads);
	if (w->uses & RL_WP_ITERS)
		append(buf, len, &at, " --iters %llu", (unsigned long long)r->iters);
	if ((w->uses & RL_WP_STACK) && r->stack != rl_thread_default_stack_size())
		append(buf, len, &at, " --stack %s", rl_format_size(r->stack, sz, sizeof sz));
	if (r->main_stack != RL_MAIN_STACK_SIZE)
		append(buf, len, &at, " --main-stack %s", rl_format_size(r->main_stack, sz, sizeof sz));
	if (r->check != RL_CHECK_REPORT)
		append(buf, len, &at, " --check %s", check_name(r->check));
	append(buf, len, &at, " --detect %s --schedule %s --seed %llu", s->detect ? "hb" : "off",
	       rl_wl_schedule_name(s->schedule), (unsigned long long)s->seed);
	if (s->schedule == RL_PROBE_SCHEDULE_PCT) {
		append(buf, len, &at, " --pct-depth %u", s->pct_depth);
		if (s->pct_steps)
			append(buf, len, &at, " --pct-steps %llu", (unsigned long long)s->pct_steps);
	}
	if (s->max_steps != RL_WL_MAX_STEPS)
		append(buf, len, &at, " --max-steps %llu", (unsigned long long)s->max_steps);
}

/* Print @text with @prefix in front of every line (and @first on the first). */
static void indent_lines(FILE *out, const char *first, const char *prefix, const char *text)
{
	bool start = true;
	while (*text) {
		size_t n = strcspn(text, "\n");
		fprintf(out, "%s%.*s\n", start ? first : prefix, (int)n, text);
		start = false;
		text += n;
		if (*text == '\n')
			text++;
	}
}

static void print_sim_text(FILE *out, const struct rl_workload *w, const struct rl_workload_result *r)
{
	const struct rl_sim_result *s = &r->sim;
	if (!s->on)
		return;
	fprintf(out, "  simulated  detector %s, schedule %s", s->detect ? "hb" : "off", rl_wl_schedule_name(s->schedule));
	if (scheduled(s)) {
		fprintf(out, " (seed %llu", (unsigned long long)s->seed);
		if (s->schedule == RL_PROBE_SCHEDULE_PCT)
			fprintf(out, ", depth %u", s->pct_depth);
		fprintf(out, "): %llu scheduling points, %llu switches", (unsigned long long)s->steps,
			(unsigned long long)s->switches);
	} else {
		fprintf(out, ": %llu probe events", (unsigned long long)s->events);
		if (s->lockfree_events)
			fprintf(out, " (%llu without the detector lock)", (unsigned long long)s->lockfree_events);
	}
	fprintf(out, ", %u threads\n", s->threads);
	if (s->detect || s->deadlock) {
		if (s->races)
			fprintf(out, "  %-10s %llu data race%s found by racelab's detector (%llu racy accesses)\n", "races",
				(unsigned long long)s->races, s->races == 1 ? "" : "s", (unsigned long long)s->race_events);
		else if (s->detect)
			fprintf(out, "  %-10s none: every pair of conflicting accesses was ordered by happens-before\n",
				"races");
		/* The first two, in the order found; --json has every kept one. */
		unsigned shown = s->nreports < 2 ? s->nreports : 2;
		for (unsigned i = 0; i < shown; i++)
			indent_lines(out, "  ! ", "    ", s->reports[i]);
		if (s->nreports_all > shown)
			fprintf(out, "    ... %llu reports in all (--json lists the first %u)\n",
				(unsigned long long)s->nreports_all, RL_WL_MAX_SIM_REPORTS);
	}
	if (s->step_limit)
		fprintf(out, "  %-10s the run reached %llu scheduling points (--max-steps): the rest ran unserialised\n",
			"note", (unsigned long long)s->max_steps);
	if (s->thread_limit)
		fprintf(out, "  %-10s the detector follows at most %u threads: from thread '%s' (T%u) on, accesses, "
			"atomics and mutex events were not checked\n", "note", RL_PROBE_MAX_THREADS, s->unchecked_name,
			s->unchecked_from);
	if (scheduled(s)) {
		char cmd[512];
		rl_cli_replay(cmd, sizeof cmd, w, r);
		fprintf(out, "  %-10s %s\n", "replay", cmd);
	}
}

/* A measure's value in its unit, for people. */
static const char *measure_text(const struct rl_measure *m, char *buf, size_t len)
{
	char sz[32];
	if (!strcmp(m->unit, "bytes"))
		snprintf(buf, len, "%s", rl_format_size((size_t)m->value, sz, sizeof sz));
	else if (!strcmp(m->unit, "ns/op"))
		snprintf(buf, len, "%.2f ns/op", m->value);
	else if (!strcmp(m->unit, "x"))
		snprintf(buf, len, "%.1fx", m->value);
	else if (!strcmp(m->unit, "%"))
		snprintf(buf, len, "%.1f%%", m->value);
	else if (m->value == floor(m->value) && fabs(m->value) < 1e15)
		snprintf(buf, len, "%.0f%s%s", m->value, *m->unit ? " " : "", m->unit);
	else
		snprintf(buf, len, "%.3g%s%s", m->value, *m->unit ? " " : "", m->unit);
	return buf;
}

void rl_cli_print_text(FILE *out, const struct rl_workload *w, const struct rl_workload_result *r,
		       const enum rl_verdict *expect)
{
	char a[32], b[32];
	fprintf(out, "%s — %s\n", w->name, w->summary);
	fprintf(out, "  concept    %s\n", w->concept);
	fprintf(out, "  run        ");
	if (w->uses & RL_WP_THREADS)
		fprintf(out, "%llu thread%s, ", (unsigned long long)r->threads, r->threads == 1 ? "" : "s");
	if (w->uses & RL_WP_ITERS)
		fprintf(out, "%llu %s, ", (unsigned long long)r->iters, w->iters_unit ? w->iters_unit : "iterations");
	if (w->uses & RL_WP_STACK)
		fprintf(out, "%s stacks, ", rl_format_size(r->stack, a, sizeof a));
	fprintf(out, "main %s, checks %s (%.2f s%s)\n", rl_format_size(r->main_stack, b, sizeof b), check_name(r->check),
		r->seconds, r->isolated ? ", in a child process" : "");
	fprintf(out, "  invariant  %s\n", w->invariant);
	uint64_t nrep = 0;
	for (int k = 0; k < RL_CHECK_NKINDS; k++)
		nrep += r->reports[k];
	for (unsigned i = 0; i < r->nmessages; i++)
		fprintf(out, "  %-10s %s\n", i == 0 ? "reports" : "", r->messages[i]);
	if (nrep > r->nmessages && r->nmessages)
		fprintf(out, "  %-10s ... %llu report%s in all (send %llu, sync %llu, use-after-free %llu)\n", "",
			(unsigned long long)nrep, nrep == 1 ? "" : "s", (unsigned long long)r->reports[RL_CHECK_SEND],
			(unsigned long long)r->reports[RL_CHECK_SYNC],
			(unsigned long long)r->reports[RL_CHECK_USE_AFTER_FREE]);
	if (*r->unit) {
		fprintf(out, "  counts     %s: expected %lld, observed %lld, lost %lld", r->unit, (long long)r->expected,
			(long long)r->observed, (long long)r->lost);
		if (r->leaked)
			fprintf(out, ", leaked %llu", (unsigned long long)r->leaked);
		fprintf(out, " — invariant %s\n", r->invariant_held ? "held" : "broken");
	}
	for (unsigned i = 0; i < r->nmeasures; i++) {
		char v[48];
		fprintf(out, "  %-10s %-40s %s\n", i == 0 ? "measured" : "", r->measures[i].label,
			measure_text(&r->measures[i], v, sizeof v));
	}
	for (unsigned i = 0; i < r->nnotes; i++)
		fprintf(out, "  %-10s %s\n", i == 0 ? "notes" : "", r->notes[i]);
	if (r->panics)
		fprintf(out, "  panics     %llu thread%s panicked\n", (unsigned long long)r->panics, r->panics == 1 ? "" : "s");
	print_sim_text(out, w, r);
	if (rl_workload_under_tsan() && !scheduled(&r->sim))
		fprintf(out, "  tsan       built with ThreadSanitizer: lost-update figures are not meaningful (TSan perturbs timing)\n");
	if (r->interrupted)
		fprintf(out, "  stopped    interrupted (Ctrl-C): the figures cover the work done until then\n");
	if (r->error)
		fprintf(out, "  error      %s\n", r->error_text);
	fprintf(out, "  verdict    %s (expected for this workload: %s", rl_verdict_name(r->verdict), rl_verdict_name(w->expected));
	if (expect)
		fprintf(out, "; --expect %s: %s", rl_verdict_name(*expect),
			rl_verdict_matches(*expect, r->verdict) ? "matched" : "NOT matched");
	fprintf(out, ")\n");
}

void rl_cli_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\t': fputs("\\t", out); break;
		case '\r': fputs("\\r", out); break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

static void json_number(FILE *out, double v)
{
	if (isfinite(v) && v == floor(v) && fabs(v) < 9e15)
		fprintf(out, "%.0f", v);
	else if (isfinite(v))
		fprintf(out, "%.6g", v);
	else
		fputs("null", out);
}

bool rl_cli_json_trace;

static void json_opt_string(FILE *out, const char *key, const char *v)
{
	fprintf(out, ",\"%s\":", key);
	if (v)
		rl_cli_json_string(out, v);
	else
		fputs("null", out);
}

/* A JSON array of @n strings, @stride bytes apart from @v ("" is null). */
static void json_strings(FILE *out, const char *key, const char *v, size_t stride, unsigned n)
{
	fprintf(out, ",\"%s\":[", key);
	for (unsigned i = 0; i < n; i++) {
		if (i)
			fputc(',', out);
		if (v[i * stride])
			rl_cli_json_string(out, v + i * stride);
		else
			fputs("null", out);
	}
	fputc(']', out);
}

void rl_cli_json_report(FILE *out, const struct rl_wl_report *d, const char *text)
{
	fputs("{\"kind\":", out);
	rl_cli_json_string(out, d->kind[0] ? d->kind : "message");
	fputs(",\"object\":", out);
	if (d->object[0]) {
		fputs("{\"kind\":", out);
		rl_cli_json_string(out, d->object);
		if (d->object_id)
			fprintf(out, ",\"id\":%u}", d->object_id);
		else
			fputs(",\"id\":null}", out);
	} else {
		fputs("null", out);
	}
	json_strings(out, "threads", d->threads[0], sizeof d->threads[0], d->nsides);
	json_strings(out, "operations", d->ops[0], sizeof d->ops[0], d->nsides);
	json_strings(out, "sites", d->sites[0], sizeof d->sites[0], d->nsides);
	if (!strcmp(d->kind, "race"))
		json_strings(out, "accesses", d->access[0], sizeof d->access[0], d->nsides);
	json_opt_string(out, "missing_edge", d->missing_edge[0] ? d->missing_edge : NULL);
	json_opt_string(out, "rule", d->rule[0] ? d->rule : NULL);
	json_opt_string(out, "text", text);
	fputc('}', out);
}


/* --trace under --json: the interleaving's records, each with its text line. */
static void print_json_trace(FILE *out)
{
	fputs(",\"trace\":[", out);
	size_t n = rl_probe_trace_len();
	for (size_t i = 0; i < n; i++) {
		const rl_probe_trace_rec *t = rl_probe_trace_at(i);
		char line[512];
		rl_probe_trace_format(t, line, sizeof line);
		fprintf(out, "%s{\"step\":%llu,\"tid\":%u", i ? "," : "", (unsigned long long)t->step, t->tid);
		json_opt_string(out, "thread", rl_probe_thread_name(t->tid));
		json_opt_string(out, "operation", t->name);
		json_opt_string(out, "object_kind", t->kind);
		fprintf(out, ",\"object\":%u,\"read\":%llu,\"written\":%llu", t->obj_id, (unsigned long long)t->rval,
			(unsigned long long)t->wval);
		json_opt_string(out, "text", line);
		fputc('}', out);
	}
	fputc(']', out);
}

void rl_cli_print_json(FILE *out, const struct rl_workload *w, const struct rl_workload_result *r,
		       const enum rl_verdict *expect)
{
	fputs("{\"workload\":", out);
	rl_cli_json_string(out, w->name);
	fputs(",\"concept\":", out);
	rl_cli_json_string(out, w->concept);
	fprintf(out, ",\"params\":{\"threads\":%llu,\"iters\":%llu,\"stack\":%zu,\"main_stack\":%zu,\"check\":\"%s\"}",
		(unsigned long long)r->threads, (unsigned long long)r->iters, r->stack, r->main_stack, check_name(r->check));
	fputs(",\"invariant\":{\"text\":", out);
	rl_cli_json_string(out, w->invariant);
	fputs(",\"unit\":", out);
	rl_cli_json_string(out, r->unit);
	fprintf(out, ",\"expected\":%lld,\"observed\":%lld,\"lost\":%lld,\"held\":%s}", (long long)r->expected,
		(long long)r->observed, (long long)r->lost, r->invariant_held ? "true" : "false");
	fprintf(out, ",\"leaked\":%llu,\"panics\":%llu,\"overflowed\":%s", (unsigned long long)r->leaked,
		(unsigned long long)r->panics, r->overflowed ? "true" : "false");
	fprintf(out, ",\"reports\":{\"send\":%llu,\"sync\":%llu,\"use_after_free\":%llu,\"live_at_free\":",
		(unsigned long long)r->reports[RL_CHECK_SEND], (unsigned long long)r->reports[RL_CHECK_SYNC],
		(unsigned long long)r->reports[RL_CHECK_USE_AFTER_FREE]);
	if (r->live_at_free == UINT64_MAX)
		fputs("null", out);
	else
		fprintf(out, "%llu", (unsigned long long)r->live_at_free);
	fputs(",\"messages\":[", out);
	for (unsigned i = 0; i < r->nmessages; i++) {
		if (i)
			fputc(',', out);
		rl_cli_json_report(out, &r->message_data[i], r->messages[i]);
	}
	fputs("]},\"measures\":{", out);
	for (unsigned i = 0; i < r->nmeasures; i++) {
		if (i)
			fputc(',', out);
		rl_cli_json_string(out, r->measures[i].key);
		fputc(':', out);
		json_number(out, r->measures[i].value);
	}
	fputs("},\"notes\":[", out);
	for (unsigned i = 0; i < r->nnotes; i++) {
		if (i)
			fputc(',', out);
		rl_cli_json_string(out, r->notes[i]);
	}
	fprintf(out, "],\"seconds\":%.6f,\"isolated\":%s,\"interrupted\":%s,\"tsan\":%s", r->seconds,
		r->isolated ? "true" : "false", r->interrupted ? "true" : "false",
		rl_workload_under_tsan() ? "true" : "false");
	fputs(",\"error\":", out);
	if (r->error)
		rl_cli_json_string(out, r->error_text);
	else
		fputs("null", out);
	const struct rl_sim_result *s = &r->sim;
	if (s->on) {
		fprintf(out, ",\"sim\":{\"detect\":%s,\"schedule\":\"%s\",\"seed\":", s->detect ? "true" : "false",
			rl_wl_schedule_name(s->schedule));
		if (scheduled(s))
			fprintf(out, "%llu", (unsigned long long)s->seed);
		else
			fputs("null", out);
		fprintf(out, ",\"pct_depth\":%u,\"events\":%llu,\"lockfree_events\":%llu,\"steps\":%llu,"
			"\"switches\":%llu,\"threads\":%u",
			s->pct_depth, (unsigned long long)s->events, (unsigned long long)s->lockfree_events,
			(unsigned long long)s->steps,
			(unsigned long long)s->switches, s->threads);
		fprintf(out, ",\"races\":%llu,\"race_events\":%llu,\"deadlock\":%s,\"step_limit\":%s",
			(unsigned long long)s->races, (unsigned long long)s->race_events, s->deadlock ? "true" : "false",
			s->step_limit ? "true" : "false");
		/* The detector's coverage: from which thread on it stopped following them. */
		fprintf(out, ",\"thread_limit\":%s,\"unchecked_from\":", s->thread_limit ? "true" : "false");
		if (s->thread_limit) {
			fprintf(out, "{\"tid\":%u,\"thread\":", s->unchecked_from);
			rl_cli_json_string(out, s->unchecked_name);
			fputc('}', out);
		} else {
			fputs("null", out);
		}
		fputs(",\"reports\":[", out);
		for (unsigned i = 0; i < s->nreports; i++) {
			if (i)
				fputc(',', out);
			rl_cli_json_report(out, &s->report_data[i], s->reports[i]);
		}
		fprintf(out, "],\"reports_total\":%llu", (unsigned long long)s->nreports_all);
		if (rl_cli_json_trace)
			print_json_trace(out);
		fputs(",\"replay\":", out);
		if (scheduled(s)) {
			char cmd[512];
			rl_cli_replay(cmd, sizeof cmd, w, r);
			rl_cli_json_string(out, cmd);
		} else {
			fputs("null", out);
		}
		fputc('}', out);
	} else {
		fputs(",\"sim\":null", out);
	}
	fprintf(out, ",\"verdict\":\"%s\",\"expected_verdict\":\"%s\"", rl_verdict_name(r->verdict),
		rl_verdict_name(w->expected));
	if (expect)
		fprintf(out, ",\"expect\":\"%s\",\"matched\":%s", rl_verdict_name(*expect),
			rl_verdict_matches(*expect, r->verdict) ? "true" : "false");
	fputs(",\"type\":\"run\"}\n", out);
}
