/* timeline_impl.h — private to sim/timeline*.c: the picture as worked out
 * by timeline.c (edges, red marks, rows) and drawn by timeline_svg.c. */
#ifndef RACELAB_SIM_TIMELINE_IMPL_H
#define RACELAB_SIM_TIMELINE_IMPL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <racelab/probe.h>

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


static inline bool is_thread_op(unsigned op)
{
	return op == RL_PROBE_SPAWN || op == RL_PROBE_SPAWN_FAILED || op == RL_PROBE_START || op == RL_PROBE_EXIT ||
	       op == RL_PROBE_JOIN;
}

static inline bool is_access(unsigned op)
{
	return op == RL_PROBE_READ || op == RL_PROBE_WRITE || op == RL_PROBE_FREE || op == RL_PROBE_LOAD ||
	       op == RL_PROBE_STORE || op == RL_PROBE_RMW;
}

static inline bool is_write(const rl_probe_trace_rec *r)
{
	return r->op == RL_PROBE_WRITE || r->op == RL_PROBE_FREE || r->op == RL_PROBE_STORE ||
	       (r->op == RL_PROBE_RMW && !(r->flags & RL_PROBE_F_FAILED));
}

static inline bool releases(unsigned mo)
{
	return mo == memory_order_release || mo == memory_order_acq_rel || mo == memory_order_seq_cst;
}

static inline bool acquires(unsigned mo)
{
	return mo == memory_order_consume || mo == memory_order_acquire || mo == memory_order_acq_rel ||
	       mo == memory_order_seq_cst;
}

/* Draw @t (timeline_svg.c). Return: false on ENOMEM, nothing written. */
bool rl__timeline_svg(FILE *f, struct tl *t, const char *title);

#endif
