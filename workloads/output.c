/* output.c — a run's result for people (text) and for machines (one JSON
 * object per run, on one line).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <racelab/parse.h>
#include <racelab/workload.h>

#include "cli.h"

static const char *check_name(enum rl_check_mode m)
{
	return m == RL_CHECK_ABORT ? "abort" : m == RL_CHECK_OFF ? "off" : "report";
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
	if (rl_workload_under_tsan())
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
		rl_cli_json_string(out, r->messages[i]);
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
	fprintf(out, ",\"verdict\":\"%s\",\"expected_verdict\":\"%s\"", rl_verdict_name(r->verdict),
		rl_verdict_name(w->expected));
	if (expect)
		fprintf(out, ",\"expect\":\"%s\",\"matched\":%s", rl_verdict_name(*expect),
			rl_verdict_matches(*expect, r->verdict) ? "true" : "false");
	fputs("}\n", out);
}
