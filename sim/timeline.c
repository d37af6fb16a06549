/* timeline.c — the last probe session's interleaving as an SVG picture.
 *
 * Owns nothing between calls: rl_timeline_write() reads the session's results
 * through probe.h's public accessors, works out the picture in four passes
 * and frees it all before returning.
 *
 *   1. edges: the synchronisation the trace shows, as record -> record pairs
 *      (spawn -> start, exit -> join, unlock -> lock, release -> acquire,
 *      RCU publish -> dereference);
 *   2. red marks: each report's records (a race's two accesses, a deadlock's
 *      operations that never completed);
 *   3. rows: one per record, except that long runs of one thread's ordinary
 *      records fold into one row (edge ends, red marks and thread events are
 *      never folded), and past ROW_CAP rows only the rows near the red marks
 *      and the two ends of the trace are kept, the rest drawn as gaps;
 *   4. drawing: lanes, edges under the marks, marks with their labels, the
 *      legend and the reports' words.
 *
 * Layout: time runs down the page (one row per record), one vertical lane per
 * thread, so every label is horizontal text beside its mark. The SVG uses
 * only basic shapes, text, one marker per edge kind and generic font
 * families: no script, no style sheet, nothing fetched. Elements carry
 * class names (lane, mark, edge, race-link, fold, gap) and data-tid/data-rec
 * attributes so tests can check the picture from the SVG itself.
 */
#include <racelab/timeline.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <racelab/probe.h>
#include <racelab/status.h>

enum {
	LANE_W = 250,   /* px per thread lane */
	STEP_W = 64,    /* px of the step column on the left */
	ROW_H = 16,     /* px per row */
	LABEL_MAX = 38, /* characters of a mark's label (10 px monospace) */
	FOLD_MIN = 8,   /* a run of this many foldable records of one thread folds */
	FOLD_KEEP = 2,  /* records shown at each end of a folded run */
	ROW_CAP = 400,  /* past this many rows, only rows near the reports are kept */
	WINDOW = 30,    /* rows kept on each side of a red mark */
	HEAD = 60,      /* rows kept at the start of a long trace */
	TAIL = 40,      /* and at its end */
	MAX_RED = 8,    /* reports drawn in red (all are listed in words) */
	WRAP = 150,     /* characters per line of the words at the bottom */
};

enum edge_kind { E_SPAWN, E_JOIN, E_LOCK, E_RELACQ, E_RCU, E_KINDS };

static const char *const edge_class[E_KINDS] = { "spawn", "join", "lock", "release-acquire", "rcu" };
static const char *const edge_words[E_KINDS] = {
	"spawn -> start", "exit -> join", "unlock -> lock", "release -> acquire", "RCU publish -> dereference",
};
static const char *const edge_color[E_KINDS] = { "#2ca02c", "#1f77b4", "#9467bd", "#ff7f0e", "#17becf" };

#define RED "#d62728"
#define NO_ROW SIZE_MAX

struct edge {
	size_t from, to; /* record indices */
	enum edge_kind kind;
};

enum row_kind { ROW_REC, ROW_FOLD, ROW_GAP };

struct row {
	enum row_kind kind;
	size_t first, last; /* records (a fold: of one thread; a gap: of all) */
	size_t count;       /* records it stands for */
	unsigned tid;
};

struct tl {
	size_t n;                       /* records */
	const rl_probe_trace_rec **rec; /* rl_probe_trace_at(i) */
	unsigned nthr;                  /* lanes */
	bool *pin;                      /* never folded: edge end, red mark, thread event */
	uint8_t *red;                   /* report number + 1 of a red mark, 0 if none */
	size_t *row_of;                 /* the row drawing a record as a mark, NO_ROW if folded */
	struct edge *e;
	size_t ne, cape;
	struct row *rows;
	size_t nrows, caprows;
	size_t hidden_edges; /* edges with an end in a fold or a gap */
};

/* ---- helpers ---- */

static bool is_thread_op(unsigned op)
{
	return op == RL_PROBE_SPAWN || op == RL_PROBE_SPAWN_FAILED || op == RL_PROBE_START || op == RL_PROBE_EXIT ||
	       op == RL_PROBE_JOIN;
}

static bool is_access(unsigned op)
{
	return op == RL_PROBE_READ || op == RL_PROBE_WRITE || op == RL_PROBE_FREE || op == RL_PROBE_LOAD ||
	       op == RL_PROBE_STORE || op == RL_PROBE_RMW;
}

static bool is_write(const rl_probe_trace_rec *r)
{
	return r->op == RL_PROBE_WRITE || r->op == RL_PROBE_FREE || r->op == RL_PROBE_STORE ||
	       (r->op == RL_PROBE_RMW && !(r->flags & RL_PROBE_F_FAILED));
}

static bool releases(unsigned mo)
{
	return mo == memory_order_release || mo == memory_order_acq_rel || mo == memory_order_seq_cst;
}

static bool acquires(unsigned mo)
{
	return mo == memory_order_consume || mo == memory_order_acquire || mo == memory_order_acq_rel ||
	       mo == memory_order_seq_cst;
}

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

/* ---- pass 1: edges ---- */

static int add_edge(struct tl *t, size_t from, size_t to, enum edge_kind k)
{
	if (t->ne == t->cape) {
		size_t ncap = t->cape ? t->cape * 2 : 64;
		struct edge *e = realloc(t->e, ncap * sizeof(*e));
		if (!e)
			return RL_ENOMEM;
		t->e = e;
		t->cape = ncap;
	}
	t->e[t->ne++] = (struct edge){ from, to, k };
	t->pin[from] = t->pin[to] = true;
	return RL_OK;
}

/* Per object number: the last unlock, the release sequence's heads (its
 * releasing stores and RMWs, the latest per thread, up to REL_HEADS) and the
 * last publish, each with the threads that already got an arrow from it (one
 * arrow per source and thread, not one per spin-loop load). Allocated for the
 * objects that synchronise only. */
enum { REL_HEADS = 4 };

struct head {
	size_t rec;       /* record index + 1 */
	uint64_t seen[4]; /* bit per tid < 256 */
};

struct obj_state {
	size_t unlock;
	struct head rel[REL_HEADS], pub;
	unsigned nrel;
};

/* True if @tid already had an arrow from @h; marks it. */
static bool seen(struct head *h, unsigned tid)
{
	uint64_t m = UINT64_C(1) << (tid & 63);
	bool was = h->seen[(tid >> 6) & 3] & m;
	h->seen[(tid >> 6) & 3] |= m;
	return was;
}

/* Record @i (by @tid) releases into the object's sequence. */
static void push_head(struct tl *t, struct obj_state *s, size_t i, unsigned tid)
{
	unsigned k = 0;
	while (k < s->nrel && t->rec[s->rel[k].rec - 1]->tid != tid)
		k++;
	if (k == s->nrel && s->nrel == REL_HEADS)
		k = 0; /* full: the oldest goes */
	if (k < s->nrel) {
		memmove(&s->rel[k], &s->rel[k + 1], (s->nrel - k - 1) * sizeof(s->rel[0]));
		s->nrel--;
	}
	s->rel[s->nrel++] = (struct head){ .rec = i + 1 };
}

/* Arrows from the sequence's heads of other threads to the acquire @i. */
static int acquire_from(struct tl *t, struct obj_state *s, size_t i)
{
	int rc = RL_OK;
	unsigned tid = t->rec[i]->tid;
	for (unsigned k = 0; k < s->nrel && rc == RL_OK; k++)
		if (t->rec[s->rel[k].rec - 1]->tid != tid && !seen(&s->rel[k], tid))
			rc = add_edge(t, s->rel[k].rec - 1, i, E_RELACQ);
	return rc;
}

static bool synchronises(unsigned op)
{
	return op == RL_PROBE_LOCK || op == RL_PROBE_TRYLOCK || op == RL_PROBE_UNLOCK || op == RL_PROBE_LOAD ||
	       op == RL_PROBE_STORE || op == RL_PROBE_RMW || op == RL_PROBE_RCU_PUBLISH || op == RL_PROBE_RCU_DEREF;
}

static int find_edges(struct tl *t)
{
	uint32_t maxobj = 0;
	for (size_t i = 0; i < t->n; i++)
		if (synchronises(t->rec[i]->op) && t->rec[i]->obj_id > maxobj)
			maxobj = t->rec[i]->obj_id;
	struct obj_state **o = calloc((size_t)maxobj + 1, sizeof(*o));
	size_t *start = calloc(t->nthr, sizeof(*start)), *exit_ = calloc(t->nthr, sizeof(*exit_));
	/* Per thread: the heads its last non-acquiring load or RMW read, which a
	 * later acquire fence of the thread synchronises with. */
	struct obj_state *fence = calloc(t->nthr, sizeof(*fence));
	int rc = o && start && exit_ && fence ? RL_OK : RL_ENOMEM;

	for (size_t i = 0; i < t->n && rc == RL_OK; i++) {
		const rl_probe_trace_rec *r = t->rec[i];
		if (r->op == RL_PROBE_START && r->tid < t->nthr && !start[r->tid])
			start[r->tid] = i + 1;
		if (r->op == RL_PROBE_EXIT && r->tid < t->nthr)
			exit_[r->tid] = i + 1;
	}
	for (size_t i = 0; i < t->n && rc == RL_OK; i++) {
		const rl_probe_trace_rec *r = t->rec[i];
		struct obj_state *s = NULL;
		if (synchronises(r->op)) {
			if (!o[r->obj_id] && !(o[r->obj_id] = calloc(1, sizeof(**o)))) {
				rc = RL_ENOMEM;
				break;
			}
			s = o[r->obj_id];
		}
		bool failed = r->flags & RL_PROBE_F_FAILED;
		switch (r->op) {
		case RL_PROBE_SPAWN:
			if (r->obj_id < t->nthr && start[r->obj_id] > i)
				rc = add_edge(t, i, start[r->obj_id] - 1, E_SPAWN);
			break;
		case RL_PROBE_JOIN:
			if (r->obj_id < t->nthr && exit_[r->obj_id] && exit_[r->obj_id] - 1 < i)
				rc = add_edge(t, exit_[r->obj_id] - 1, i, E_JOIN);
			break;
		case RL_PROBE_LOCK:
		case RL_PROBE_TRYLOCK:
			if (!failed && s->unlock && t->rec[s->unlock - 1]->tid != r->tid)
				rc = add_edge(t, s->unlock - 1, i, E_LOCK);
			break;
		case RL_PROBE_UNLOCK:
			s->unlock = i + 1;
			break;
		case RL_PROBE_LOAD:
		case RL_PROBE_RMW:
			if (acquires(r->order))
				rc = acquire_from(t, s, i);
			else if (r->tid < t->nthr && s->nrel)
				fence[r->tid] = *s;
			/* An RMW that does not release continues the sequence. */
			if (r->op == RL_PROBE_RMW && !failed && releases(r->order))
				push_head(t, s, i, r->tid);
			break;
		case RL_PROBE_STORE:
			s->nrel = 0; /* a plain store ends the release sequence */
			if (releases(r->order))
				push_head(t, s, i, r->tid);
			break;
		case RL_PROBE_FENCE:
			if (acquires(r->order) && r->tid < t->nthr && fence[r->tid].nrel) {
				rc = acquire_from(t, &fence[r->tid], i);
				fence[r->tid].nrel = 0;
			}
			break;
		case RL_PROBE_RCU_PUBLISH:
			s->pub = (struct head){ .rec = i + 1 };
			break;
		case RL_PROBE_RCU_DEREF:
			if (s->pub.rec && r->rval && t->rec[s->pub.rec - 1]->wval == r->rval &&
			    t->rec[s->pub.rec - 1]->tid != r->tid && !seen(&s->pub, r->tid))
				rc = add_edge(t, s->pub.rec - 1, i, E_RCU);
			break;
		default:
			break;
		}
	}
	for (uint32_t k = 0; o && k <= maxobj; k++)
		free(o[k]);
	free(o);
	free(start);
	free(exit_);
	free(fence);
	return rc;
}

/* ---- pass 2: red marks ---- */

static void mark_red(struct tl *t, size_t i, size_t report)
{
	if (!t->red[i])
		t->red[i] = (uint8_t)(report + 1);
	t->pin[i] = true;
}

/* A race's two records: the access that found it (the first record of that
 * thread on that object at the report's step) and the one before it. */
static void find_race(struct tl *t, const rl_probe_report *rep, size_t k)
{
	size_t cur = NO_ROW;
	for (size_t i = 0; i < t->n; i++) {
		const rl_probe_trace_rec *r = t->rec[i];
		if (r->step > rep->step)
			break;
		if (r->tid == rep->cur.tid && r->obj_id == rep->obj_id && is_access(r->op) &&
		    is_write(r) == rep->cur.write && (cur == NO_ROW || t->rec[cur]->step < rep->step))
			cur = i;
	}
	if (cur == NO_ROW)
		return;
	mark_red(t, cur, k);
	if (!rep->prev.known)
		return;
	for (size_t i = cur; i-- > 0;) {
		const rl_probe_trace_rec *r = t->rec[i];
		if (r->tid == rep->prev.tid && r->obj_id == rep->obj_id && is_access(r->op) &&
		    is_write(r) == rep->prev.write) {
			mark_red(t, i, k);
			return;
		}
	}
}

/* A deadlock's records: the blocked operations that never completed (the
 * scheduler released them with RL_EDEADLK, so no record of the operation
 * follows the BLOCKED one). */
static void find_deadlock(struct tl *t, size_t k)
{
	for (size_t i = 0; i < t->n; i++) {
		const rl_probe_trace_rec *b = t->rec[i];
		if (b->op != RL_PROBE_BLOCKED)
			continue;
		bool done = false;
		for (size_t j = i + 1; j < t->n && !done; j++) {
			const rl_probe_trace_rec *r = t->rec[j];
			done = r->tid == b->tid && (r->op == b->order || r->op == RL_PROBE_BLOCKED) &&
			       r->obj_id == b->obj_id;
		}
		if (!done)
			mark_red(t, i, k);
	}
}

/* ---- pass 3: rows ---- */

static int add_row(struct tl *t, enum row_kind kind, size_t first, size_t last, size_t count)
{
	if (t->nrows == t->caprows) {
		size_t ncap = t->caprows ? t->caprows * 2 : 256;
		struct row *r = realloc(t->rows, ncap * sizeof(*r));
		if (!r)
			return RL_ENOMEM;
		t->rows = r;
		t->caprows = ncap;
	}
	t->rows[t->nrows++] = (struct row){ kind, first, last, count, t->rec[first]->tid };
	return RL_OK;
}

/* Records [a, b) of one thread, none pinned: folded when long enough. */
static int rows_of_segment(struct tl *t, size_t a, size_t b)
{
	int rc = RL_OK;
	if (b - a < FOLD_MIN) {
		for (size_t i = a; i < b && rc == RL_OK; i++)
			rc = add_row(t, ROW_REC, i, i, 1);
		return rc;
	}
	for (size_t i = a; i < a + FOLD_KEEP && rc == RL_OK; i++)
		rc = add_row(t, ROW_REC, i, i, 1);
	if (rc == RL_OK)
		rc = add_row(t, ROW_FOLD, a + FOLD_KEEP, b - FOLD_KEEP - 1, b - a - 2 * FOLD_KEEP);
	for (size_t i = b - FOLD_KEEP; i < b && rc == RL_OK; i++)
		rc = add_row(t, ROW_REC, i, i, 1);
	return rc;
}

static int fold_runs(struct tl *t)
{
	int rc = RL_OK;
	for (size_t i = 0; i < t->n && rc == RL_OK;) {
		if (t->pin[i]) {
			rc = add_row(t, ROW_REC, i, i, 1);
			i++;
			continue;
		}
		size_t j = i;
		while (j < t->n && !t->pin[j] && t->rec[j]->tid == t->rec[i]->tid)
			j++;
		rc = rows_of_segment(t, i, j);
		i = j;
	}
	return rc;
}

/* Past ROW_CAP rows: keep the rows within WINDOW of a red mark, the first
 * HEAD and the last TAIL; each run of other rows becomes one gap. */
static int keep_near_reports(struct tl *t)
{
	if (t->nrows <= ROW_CAP)
		return RL_OK;
	bool *keep = calloc(t->nrows, sizeof(*keep));
	if (!keep)
		return RL_ENOMEM;
	for (size_t i = 0; i < t->nrows; i++) {
		bool near = i < HEAD || i + TAIL >= t->nrows;
		if (t->rows[i].kind == ROW_REC && t->red[t->rows[i].first]) {
			for (size_t j = i > WINDOW ? i - WINDOW : 0; j <= i + WINDOW && j < t->nrows; j++)
				keep[j] = true;
		}
		if (near)
			keep[i] = true;
	}
	size_t o = 0;
	for (size_t i = 0; i < t->nrows;) {
		if (keep[i]) {
			t->rows[o++] = t->rows[i++];
			continue;
		}
		size_t j = i, count = 0;
		while (j < t->nrows && !keep[j])
			count += t->rows[j++].count;
		t->rows[o++] = (struct row){ ROW_GAP, t->rows[i].first, t->rows[j - 1].last, count, 0 };
		i = j;
	}
	t->nrows = o;
	free(keep);
	return RL_OK;
}

/* ---- pass 4: drawing ---- */

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

static bool put_svg(FILE *f, struct tl *t, const char *title)
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

static void tl_free(struct tl *t)
{
	free(t->rec);
	free(t->pin);
	free(t->red);
	free(t->row_of);
	free(t->e);
	free(t->rows);
}

int rl_timeline_write(FILE *f, const char *title)
{
	struct tl t = { .n = rl_probe_trace_len() };
	rl_probe_stats st;
	rl_probe_get_stats(&st);
	t.nthr = st.threads;
	size_t cap = t.n ? t.n : 1;
	t.rec = malloc(cap * sizeof(*t.rec));
	t.pin = calloc(cap, sizeof(*t.pin));
	t.red = calloc(cap, sizeof(*t.red));
	t.row_of = malloc(cap * sizeof(*t.row_of));
	int rc = t.rec && t.pin && t.red && t.row_of ? RL_OK : RL_ENOMEM;
	for (size_t i = 0; i < t.n && rc == RL_OK; i++) {
		t.rec[i] = rl_probe_trace_at(i);
		if (t.rec[i]->tid >= t.nthr)
			t.nthr = t.rec[i]->tid + 1u;
		t.row_of[i] = NO_ROW;
		unsigned op = t.rec[i]->op;
		t.pin[i] = is_thread_op(op) || op == RL_PROBE_BLOCKED;
	}
	if (rc == RL_OK)
		rc = find_edges(&t);
	for (size_t k = 0; k < rl_probe_report_count() && k < MAX_RED && rc == RL_OK; k++) {
		const rl_probe_report *rep = rl_probe_report_at(k);
		if (rep->kind == RL_REPORT_RACE)
			find_race(&t, rep, k);
		else
			find_deadlock(&t, k);
	}
	if (rc == RL_OK && t.n)
		rc = fold_runs(&t);
	if (rc == RL_OK)
		rc = keep_near_reports(&t);
	if (rc == RL_OK) {
		for (size_t ri = 0; ri < t.nrows; ri++)
			if (t.rows[ri].kind == ROW_REC)
				t.row_of[t.rows[ri].first] = ri;
		if (!put_svg(f, &t, title))
			rc = RL_ENOMEM;
		else if (fflush(f) || ferror(f))
			rc = RL_EIO;
	}
	tl_free(&t);
	return rc;
}

/* Write @len bytes to the new file @path; false with errno on failure. */
static bool write_file(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

int rl_timeline_save(const char *path, const char *title)
{
	if (!path || !*path)
		return RL_EINVAL;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return RL_ENOMEM;
	int rc = rl_timeline_write(m, title);
	if (fclose(m) && rc == RL_OK)
		rc = RL_ENOMEM;
	if (rc != RL_OK) {
		free(buf);
		return rc;
	}
	/* Not a regular file (/dev/stdout, a pipe): write into it. */
	struct stat sb;
	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		bool ok = fd >= 0 && write_file(fd, buf, len);
		int saved = errno;
		if (fd >= 0 && close(fd) && ok)
			ok = false, saved = errno;
		free(buf);
		errno = saved;
		return ok ? RL_OK : RL_EIO;
	}
	/* A regular file: a new file beside it, renamed over it when complete,
	 * so @path never holds part of a picture. */
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 32);
	if (!tmp) {
		free(buf);
		return RL_ENOMEM;
	}
	int fd = -1;
	for (unsigned k = 0; k < 100 && fd < 0; k++) {
		snprintf(tmp, plen + 32, "%s.tmp%ld.%u", path, (long)getpid(), k);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	bool ok = fd >= 0 && write_file(fd, buf, len);
	int saved = errno;
	if (fd >= 0 && close(fd) && ok)
		ok = false, saved = errno;
	if (ok && rename(tmp, path))
		ok = false, saved = errno;
	if (!ok && fd >= 0)
		unlink(tmp);
	free(tmp);
	free(buf);
	errno = saved;
	return ok ? RL_OK : RL_EIO;
}
