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
 *   4. drawing (timeline_svg.c): lanes, edges under the marks, marks with
 *      their labels, the legend and the reports' words.
 */
#include <racelab/timeline.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <racelab/status.h>

#include "timeline_impl.h"

/* Room for one more element in the array *@p of *@cap elements of @size
 * bytes holding @n: doubles it, from @first. Return: RL_OK or RL_ENOMEM. */
static int reserve(void **p, size_t *cap, size_t n, size_t size, size_t first)
{
	if (n < *cap)
		return RL_OK;
	size_t ncap = *cap ? *cap * 2 : first;
	void *q = realloc(*p, ncap * size);
	if (!q)
		return RL_ENOMEM;
	*p = q;
	*cap = ncap;
	return RL_OK;
}

/* ---- pass 1: edges ---- */

static int add_edge(struct tl *t, size_t from, size_t to, enum edge_kind k)
{
	if (reserve((void **)&t->e, &t->cape, t->ne, sizeof(*t->e), 64))
		return RL_ENOMEM;
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
	if (reserve((void **)&t->rows, &t->caprows, t->nrows, sizeof(*t->rows), 256))
		return RL_ENOMEM;
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
		if (!rl__timeline_svg(f, &t, title))
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
