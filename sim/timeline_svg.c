/* timeline_svg.c — pass 4 of the timeline (see timeline.c): the SVG.
 *
 * Layout: time runs down the page (one row per record), one vertical lane per
 * thread, so every label is horizontal text beside its mark. Only basic
 * shapes, text, one marker per edge kind and generic font families: no
 * script, no style sheet, nothing fetched. Elements carry class names (lane,
 * mark, edge, race-link, fold, gap, report) and data-* attributes so tests can
 * check the picture from the SVG itself.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <racelab/status.h>

#include "timeline_impl.h"

static const char *const edge_class[E_KINDS] = { "spawn", "join", "lock", "release-acquire", "rcu" };
static const char *const edge_words[E_KINDS] = {
	"spawn -> start", "exit -> join", "unlock -> lock", "release -> acquire", "RCU publish -> dereference",
};
static const char *const edge_color[E_KINDS] = { "#2ca02c", "#1f77b4", "#9467bd", "#ff7f0e", "#17becf" };

#define RED "#d62728"

/* @s as XML character data or attribute value. */
static void put_xml(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			/* Control characters are not allowed in XML 1.0. */
			if ((unsigned char)*s >= 0x20 || *s == '\t')
				fputc(*s, f);
			break;
		}
	}
}

/* The record's trace line without its step and thread columns, blanks
 * squeezed: "rl_rc_clone read Rc<T> strong count #2 = 1". */
static void rec_words(const rl_probe_trace_rec *r, char *out, size_t n)
{
	char line[512];
	rl_probe_trace_format(r, line, sizeof(line));
	const char *p = line, *name = rl_probe_thread_name(r->tid);
	while (*p == ' ')
		p++;
	while (*p >= '0' && *p <= '9')
		p++;
	while (*p == ' ')
		p++;
	if (*p == 'T') /* "T<tid> <name>" */
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (*p == ' ' && !strncmp(p + 1, name, strlen(name)))
		p += 1 + strlen(name);
	size_t o = 0;
	bool blank = true;
	for (; *p && o + 1 < n; p++) {
		if (*p == ' ') {
			if (!blank)
				out[o++] = ' ';
			blank = true;
		} else {
			out[o++] = *p;
			blank = false;
		}
	}
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = 0;
}

/* A mark's label: rec_words() without the object's kind (the legend names
 * it), cut to LABEL_MAX characters. */
static void rec_label(const rl_probe_trace_rec *r, char *out, size_t n)
{
	char w[512];
	rec_words(r, w, sizeof(w));
	if (r->kind && r->obj_id) {
		char k[160];
		snprintf(k, sizeof(k), "%s #", r->kind);
		char *at = strstr(w, k);
		if (at)
			memmove(at, at + strlen(k) - 1, strlen(at + strlen(k) - 1) + 1);
	}
	if (strlen(w) > LABEL_MAX)
		strcpy(w + LABEL_MAX - 3, "...");
	snprintf(out, n, "%s", w);
}

static int lane_x(unsigned tid) { return STEP_W + (int)tid * LANE_W; }
static int mark_x(unsigned tid) { return lane_x(tid) + 14; }

struct geo {
	int top;   /* y of the first row */
	int width; /* of the picture */
};

static int row_y(const struct geo *g, size_t row) { return g->top + (int)row * ROW_H + ROW_H / 2; }

/* The words at the bottom, wrapped at WRAP characters: returns lines drawn. */
static int put_wrapped(FILE *f, int x, int y, const char *fill, const char *prefix, const char *s)
{
	int lines = 0;
	size_t plen = strlen(prefix);
	while (*s) {
		size_t room = WRAP - (lines ? 4 : plen), len = strcspn(s, "\n");
		if (len > room) {
			size_t cut = room;
			while (cut > room / 2 && s[cut] != ' ')
				cut--;
			len = cut > room / 2 ? cut : room;
		}
		fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"%s\" xml:space=\"preserve\">%s", x, y + 14 * lines, fill,
			lines ? "    " : "");
		put_xml(f, lines ? "" : prefix);
		char *piece = strndup(s, len);
		if (piece) {
			put_xml(f, piece);
			free(piece);
		}
		fputs("</text>\n", f);
		lines++;
		s += len;
		while (*s == ' ' || *s == '\n')
			s++;
	}
	return lines;
}

static void put_mark(FILE *f, const struct tl *t, size_t i, int y)
{
	const rl_probe_trace_rec *r = t->rec[i];
	int x = mark_x(r->tid);
	bool red = t->red[i];
	const char *fill = red ? RED : "#333333";
	unsigned op = r->op;
	char words[512], label[64];
	rec_words(r, words, sizeof(words));
	rec_label(r, label, sizeof(label));

	fprintf(f, "<g class=\"mark%s\" data-rec=\"%zu\" data-tid=\"%u\" data-step=\"%" PRIu64 "\" data-op=\"%u\">", red ? " race" : "",
		i, r->tid, r->step, op);
	fprintf(f, "<title>");
	put_xml(f, words);
	fprintf(f, "</title>");
	int s = red ? 6 : 4;
	if (op == RL_PROBE_BLOCKED) {
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"white\" stroke=\"%s\" stroke-dasharray=\"2,1\"/>",
			x - s, y - s, 2 * s, 2 * s, red ? RED : "#999999");
	} else if (is_thread_op(op)) {
		fprintf(f, "<path d=\"M%d,%d L%d,%d L%d,%d z\" fill=\"%s\"/>", x - s, y - s, x + s, y - s, x, y + s, fill);
	} else if (op == RL_PROBE_LOCK || op == RL_PROBE_TRYLOCK || op == RL_PROBE_UNLOCK ||
		   (op >= RL_PROBE_RCU_READ_LOCK && op <= RL_PROBE_RCU_SYNC)) {
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>", x - s, y - s, 2 * s, 2 * s,
			fill);
	} else if (op == RL_PROBE_LOAD || op == RL_PROBE_STORE || op == RL_PROBE_RMW || op == RL_PROBE_FENCE) {
		fprintf(f, "<path d=\"M%d,%d L%d,%d L%d,%d L%d,%d z\" fill=\"%s\"/>", x, y - s - 1, x + s + 1, y, x,
			y + s + 1, x - s - 1, y, fill);
	} else if (is_write(r)) {
		fprintf(f, "<circle cx=\"%d\" cy=\"%d\" r=\"%d\" fill=\"%s\"/>", x, y, s, fill);
	} else {
		fprintf(f, "<circle cx=\"%d\" cy=\"%d\" r=\"%d\" fill=\"white\" stroke=\"%s\" stroke-width=\"1.5\"/>", x, y,
			s - 1, fill);
	}
	/* A white halo keeps a label readable over the arrows that cross it. */
	fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"%s\" stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\"%s>",
		x + 10, y + 4, red ? RED : "#222222", red ? " font-weight=\"bold\"" : "");
	if (red)
		fprintf(f, "%s %u: ", r->op == RL_PROBE_BLOCKED ? "deadlock" : "race", (unsigned)t->red[i]);
	put_xml(f, label);
	fputs("</text></g>\n", f);
}

static void put_row(FILE *f, const struct tl *t, const struct geo *g, size_t ri)
{
	const struct row *w = &t->rows[ri];
	int y = row_y(g, ri);
	uint64_t s0 = t->rec[w->first]->step, s1 = t->rec[w->last]->step;
	if (w->kind == ROW_REC) {
		put_mark(f, t, w->first, y);
		return;
	}
	if (w->kind == ROW_FOLD) {
		int x = lane_x(w->tid) + 4;
		fprintf(f, "<g class=\"fold\" data-tid=\"%u\" data-first=\"%zu\" data-last=\"%zu\" data-count=\"%zu\">", w->tid,
			w->first, w->last, w->count);
		fprintf(f, "<title>%zu records of T%u, steps %" PRIu64 "-%" PRIu64 "</title>", w->count, w->tid, s0, s1);
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"3\" fill=\"#eeeeee\" stroke=\"#bbbbbb\"/>", x,
			y - ROW_H / 2 + 2, LANE_W - 16, ROW_H - 4);
		fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"#555555\">... %zu more of T%u (steps %" PRIu64 "-%" PRIu64 ")</text></g>\n",
			x + 6, y + 4, w->count, w->tid, s0, s1);
		return;
	}
	fprintf(f, "<g class=\"gap\" data-first=\"%zu\" data-last=\"%zu\" data-count=\"%zu\">", w->first, w->last, w->count);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999999\" stroke-dasharray=\"6,4\"/>", STEP_W, y,
		g->width - 8, y);
	fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"#555555\" font-style=\"italic\">... %zu records of all threads not drawn (steps %" PRIu64
		   "-%" PRIu64 ")</text></g>\n",
		STEP_W + 8, y - 3, w->count, s0, s1);
}

static void put_edges(FILE *f, struct tl *t, const struct geo *g)
{
	for (size_t k = 0; k < t->ne; k++) {
		const struct edge *e = &t->e[k];
		size_t ra = t->row_of[e->from], rb = t->row_of[e->to];
		if (ra == NO_ROW || rb == NO_ROW) {
			t->hidden_edges++;
			continue;
		}
		unsigned ta = t->rec[e->from]->tid, tb = t->rec[e->to]->tid;
		int x1 = mark_x(ta), y1 = row_y(g, ra), x2 = mark_x(tb), y2 = row_y(g, rb);
		/* Stop short of the target mark so the arrowhead shows. */
		int dx = x2 - x1, dy = y2 - y1, back = 7;
		double len = dx || dy ? sqrt((double)dx * dx + (double)dy * dy) : 1;
		double ex = x2 - dx * back / len, ey = y2 - dy * back / len;
		fprintf(f, "<line class=\"edge %s\" data-from=\"%zu\" data-to=\"%zu\" x1=\"%d\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.4\" marker-end=\"url(#ah-%s)\"><title>%s: T%u -&gt; T%u</title></line>\n",
			edge_class[e->kind], e->from, e->to, x1, y1, ex, ey, edge_color[e->kind], edge_class[e->kind],
			edge_words[e->kind], ta, tb);
	}
	/* A race's two accesses, joined by a dashed red line: no edge orders them. */
	for (size_t k = 0; k < MAX_RED; k++) {
		size_t a = NO_ROW, b = NO_ROW;
		for (size_t i = 0; i < t->n; i++)
			if (t->red[i] == k + 1 && t->row_of[i] != NO_ROW && t->rec[i]->op != RL_PROBE_BLOCKED) {
				if (a == NO_ROW)
					a = i;
				else
					b = i;
			}
		if (b == NO_ROW)
			continue;
		int x1 = mark_x(t->rec[a]->tid), y1 = row_y(g, t->row_of[a]);
		int x2 = mark_x(t->rec[b]->tid), y2 = row_y(g, t->row_of[b]);
		fprintf(f, "<line class=\"race-link\" data-report=\"%zu\" data-from=\"%zu\" data-to=\"%zu\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"" RED "\" stroke-width=\"1.6\" stroke-dasharray=\"5,3\"/>\n",
			k + 1, a, b, x1, y1, x2, y2);
	}
}

/* The objects' numbers and kinds, first seen first: "#2 Rc<T> strong count". */
static void put_objects(FILE *f, const struct tl *t, int x, int y)
{
	fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"#444444\">objects:", x, y);
	unsigned shown = 0;
	uint32_t last_ids[16];
	for (size_t i = 0; i < t->n && shown < 16; i++) {
		const rl_probe_trace_rec *r = t->rec[i];
		if (!r->obj_id || !r->kind || is_thread_op(r->op) || r->op == RL_PROBE_BLOCKED)
			continue;
		bool dup = false;
		for (unsigned j = 0; j < shown; j++)
			dup |= last_ids[j] == r->obj_id;
		if (dup)
			continue;
		last_ids[shown++] = r->obj_id;
		fprintf(f, "%s #%u ", shown > 1 ? "," : "", r->obj_id);
		put_xml(f, r->kind);
	}
	fprintf(f, "%s</text>\n", shown == 16 ? ", ..." : shown ? "" : " none");
}

/* One mark of each shape for the legend (the shapes put_mark() draws). */
static int put_legend_mark(FILE *f, int x, int y, const char *shape, const char *words)
{
	fprintf(f, "%s<text x=\"%d\" y=\"%d\" fill=\"#444444\">%s</text>", shape, x + 8, y + 4, words);
	return 8 + 6 * (int)strlen(words) + 18;
}

/* The legend and the reports' words from @y down. Return: the y below them. */
static int put_footer(FILE *f, int y)
{
	int x = 8, lx = x + 6;
	char sh[256];
	fprintf(f, "<g class=\"legend\">");
	snprintf(sh, sizeof(sh), "<circle cx=\"%d\" cy=\"%d\" r=\"3\" fill=\"white\" stroke=\"#333333\" stroke-width=\"1.5\"/>", lx, y);
	lx += put_legend_mark(f, lx, y, sh, "read");
	snprintf(sh, sizeof(sh), "<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"#333333\"/>", lx, y);
	lx += put_legend_mark(f, lx, y, sh, "write");
	snprintf(sh, sizeof(sh), "<path d=\"M%d,%d L%d,%d L%d,%d L%d,%d z\" fill=\"#333333\"/>", lx, y - 5, lx + 5, y, lx, y + 5, lx - 5, y);
	lx += put_legend_mark(f, lx, y, sh, "atomic");
	snprintf(sh, sizeof(sh), "<rect x=\"%d\" y=\"%d\" width=\"8\" height=\"8\" fill=\"#333333\"/>", lx - 4, y - 4);
	lx += put_legend_mark(f, lx, y, sh, "lock, unlock, RCU");
	snprintf(sh, sizeof(sh), "<path d=\"M%d,%d L%d,%d L%d,%d z\" fill=\"#333333\"/>", lx - 4, y - 4, lx + 4, y - 4, lx, y + 4);
	lx += put_legend_mark(f, lx, y, sh, "thread event");
	snprintf(sh, sizeof(sh), "<rect x=\"%d\" y=\"%d\" width=\"8\" height=\"8\" fill=\"white\" stroke=\"#999999\" stroke-dasharray=\"2,1\"/>", lx - 4, y - 4);
	lx += put_legend_mark(f, lx, y, sh, "blocked");
	snprintf(sh, sizeof(sh), "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"" RED "\" stroke-width=\"1.6\" stroke-dasharray=\"5,3\"/>", lx - 4, y, lx + 14, y);
	put_legend_mark(f, lx + 12, y, sh, "a race: nothing orders the two");
	y += 18;
	lx = x + 6;
	fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"#444444\">arrows (happens-before edges):</text>", x, y + 4);
	lx += 6 * 31;
	for (int k = 0; k < E_KINDS; k++) {
		snprintf(sh, sizeof(sh), "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>", lx - 4, y, lx + 14, y, edge_color[k]);
		lx += put_legend_mark(f, lx + 12, y, sh, edge_words[k]) + 12;
	}
	fprintf(f, "</g>\n");
	y += 26;
	for (size_t k = 0; k < rl_probe_report_count(); k++) {
		const rl_probe_report *rep = rl_probe_report_at(k);
		char head[400];
		if (rep->kind == RL_REPORT_RACE) {
			snprintf(head, sizeof(head),
				 "race %zu: %s #%u: %s by T%u '%s' in %s, previous %s by T%u '%s' in %s (%" PRIu64 " racy accesses)",
				 k + 1, rep->obj_kind ? rep->obj_kind : "object", rep->obj_id, rep->cur.write ? "write" : "read",
				 rep->cur.tid, rep->cur.thread, rep->cur.op ? rep->cur.op : "?",
				 rep->prev.write ? "write" : "read", rep->prev.tid, rep->prev.thread,
				 rep->prev.op ? rep->prev.op : "?", rep->count);
		} else {
			snprintf(head, sizeof(head), "deadlock %zu: no thread can run (the blocked operations in red)", k + 1);
		}
		fprintf(f, "<g class=\"report\" data-report=\"%zu\" data-kind=\"%s\">\n", k + 1,
			rep->kind == RL_REPORT_RACE ? "race" : "deadlock");
		y += 14 * put_wrapped(f, x, y, RED, "", head);
		if (rep->kind == RL_REPORT_RACE) {
			y += 14 * put_wrapped(f, x + 12, y, RED, "missing edge: ", rep->edge ? rep->edge : "?");
			if (rep->rule)
				y += 14 * put_wrapped(f, x + 12, y, "#444444", "Rust: ", rep->rule);
		} else if (rep->text) {
			y += 14 * put_wrapped(f, x + 12, y, RED, "", rep->text);
		}
		fputs("</g>\n", f);
		y += 8;
	}
	return y;
}

bool rl__timeline_svg(FILE *f, struct tl *t, const char *title)
{
	rl_probe_stats st;
	rl_probe_get_stats(&st);
	struct geo g = { .top = 104, .width = STEP_W + (int)t->nthr * LANE_W + 8 };
	if (g.width < 1000)
		g.width = 1000;
	int rows_end = row_y(&g, t->nrows) + 8;
	/* The footer first, into memory: its height is the picture's. */
	char *foot = NULL;
	size_t foot_len = 0;
	FILE *m = open_memstream(&foot, &foot_len);
	int height = rows_end + 24;
	if (m) {
		height = put_footer(m, rows_end + 24) + 8;
		if (fclose(m)) {
			free(foot);
			foot = NULL;
		}
	}
	if (!foot) {
		errno = ENOMEM;
		return false;
	}

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"10\">\n",
		g.width, height, g.width, height);
	fprintf(f, "<title>");
	put_xml(f, title ? title : "racelab timeline");
	fprintf(f, "</title>\n<defs>\n");
	for (int k = 0; k < E_KINDS; k++)
		fprintf(f, "<marker id=\"ah-%s\" viewBox=\"0 0 8 8\" refX=\"7\" refY=\"4\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\" fill=\"%s\"/></marker>\n",
			edge_class[k], edge_color[k]);
	fprintf(f, "</defs>\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	fprintf(f, "<text class=\"title\" x=\"8\" y=\"20\" font-size=\"14\" font-weight=\"bold\">");
	put_xml(f, title ? title : "racelab timeline");
	fprintf(f, "</text>\n");
	const char *sch = st.schedule == RL_SCHEDULE_RANDOM ? "random" : st.schedule == RL_SCHEDULE_PCT ? "pct" : "os";
	fprintf(f, "<text x=\"8\" y=\"38\" fill=\"#444444\">schedule %s", sch);
	if (st.schedule != RL_SCHEDULE_NONE)
		fprintf(f, " (seed %" PRIu64 "), %" PRIu64 " scheduling points", st.seed, st.steps);
	fprintf(f, "; %zu records, %u threads, %zu reports", t->n, t->nthr, rl_probe_report_count());
	if (st.trace_dropped)
		fprintf(f, "; %" PRIu64 " later records were not kept (trace limit)", st.trace_dropped);
	if (!t->n)
		fprintf(f, "; no trace was recorded (rl_probe_config.trace)");
	fprintf(f, "</text>\n");
	put_objects(f, t, 8, 54);

	/* Lanes: a header box and a line down the page. */
	fprintf(f, "<text x=\"8\" y=\"%d\" fill=\"#444444\">step</text>\n", g.top - 10);
	for (unsigned k = 0; k < t->nthr; k++) {
		int x = lane_x(k);
		fprintf(f, "<g class=\"lane\" data-tid=\"%u\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"20\" rx=\"4\" fill=\"#f3f3f3\" stroke=\"#999999\"/>",
			k, x + 2, g.top - 28, LANE_W - 8);
		fprintf(f, "<text class=\"lane-name\" x=\"%d\" y=\"%d\" font-size=\"12\" font-weight=\"bold\">T%u ", x + 8,
			g.top - 14, k);
		put_xml(f, rl_probe_thread_name(k));
		fprintf(f, "</text><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#cccccc\"/></g>\n", mark_x(k),
			g.top - 8, mark_x(k), rows_end);
	}
	/* The step axis: a step is printed where it changes. */
	uint64_t last = UINT64_MAX;
	for (size_t ri = 0; ri < t->nrows; ri++) {
		uint64_t s = t->rec[t->rows[ri].first]->step;
		if (t->rows[ri].kind == ROW_GAP || s == last)
			continue;
		last = s;
		fprintf(f, "<text class=\"step\" x=\"%d\" y=\"%d\" fill=\"#777777\" text-anchor=\"end\">%" PRIu64 "</text>\n",
			STEP_W - 10, row_y(&g, ri) + 4, s);
	}
	put_edges(f, t, &g);
	for (size_t ri = 0; ri < t->nrows; ri++)
		put_row(f, t, &g, ri);
	if (t->hidden_edges)
		fprintf(f, "<text x=\"8\" y=\"%d\" fill=\"#777777\">%zu synchronisation edges end in rows not drawn</text>\n",
			rows_end + 6, t->hidden_edges);
	fwrite(foot, 1, foot_len, f);
	free(foot);
	fprintf(f, "</svg>\n");
	return true;
}
