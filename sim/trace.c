/* trace.c — the recorded interleaving: one record per event, after it
 * happened, and its formatting (rl_probe_trace_format/print).
 *
 * Records are appended under the detector lock, so their order is the order
 * the events took effect. Under the scheduler a record's step is its
 * scheduling point, and the whole trace is a function of the seed: the same
 * seed and binary print the same lines, byte for byte.
 */
#include "results.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static struct {
	bool on;
	rl_probe_trace_rec *recs;
	size_t n, cap, limit;
	uint64_t dropped;
} tr;

void rl__trace_start(bool on, size_t limit)
{
	tr.on = on;
	tr.limit = limit ? limit : (size_t)1 << 20;
}

void rl__trace_free(void)
{
	free(tr.recs);
	tr.recs = NULL;
	tr.n = tr.cap = 0;
	tr.dropped = 0;
}

bool rl__trace_on(void) { return tr.on; }

uint64_t rl__trace_dropped(void) { return tr.dropped; }

void rl__obj_number_values(const rl_probe_ev *ev, uint64_t *rval, uint64_t *wval)
{
	*rval = ev->rval;
	*wval = ev->wval;
	if (ev->flags & RL_PROBE_F_PTR) {
		*rval = ev->rval ? rl__obj_id((const void *)(uintptr_t)ev->rval) : 0;
		*wval = ev->wval ? rl__obj_id((const void *)(uintptr_t)ev->wval) : 0;
	}
}

void rl__trace_add(unsigned tid, const rl_probe_ev *ev, uint8_t op, uint32_t obj, uint64_t step)
{
	if (tr.n >= tr.limit) {
		tr.dropped++;
		return;
	}
	if (tr.n == tr.cap) {
		size_t ncap = tr.cap ? tr.cap * 2 : 1024;
		if (ncap > tr.limit)
			ncap = tr.limit;
		rl_probe_trace_rec *r = realloc(tr.recs, ncap * sizeof(*r));
		if (!r) {
			tr.dropped++;
			return;
		}
		tr.recs = r;
		tr.cap = ncap;
	}
	rl_probe_trace_rec *r = &tr.recs[tr.n++];
	r->step = step;
	r->addr = ev->addr;
	r->kind = rl__is_thread_op(ev->op) ? NULL : ev->kind;
	r->name = ev->name;
	rl__obj_number_values(ev, &r->rval, &r->wval);
	r->obj_id = obj;
	r->tid = (uint16_t)tid;
	r->op = op;
	r->order = op == RL_PROBE_BLOCKED ? ev->op : ev->order;
	r->flags = ev->flags;
}

size_t rl_probe_trace_len(void) { return tr.n; }

const rl_probe_trace_rec *rl_probe_trace_at(size_t i)
{
	return i < tr.n ? &tr.recs[i] : NULL;
}

/* ---- formatting ---- */

static const char *order_name(unsigned mo)
{
	switch (mo) {
	case memory_order_relaxed: return "relaxed";
	case memory_order_consume: return "consume";
	case memory_order_acquire: return "acquire";
	case memory_order_release: return "release";
	case memory_order_acq_rel: return "acq_rel";
	case memory_order_seq_cst: return "seq_cst";
	default: return "?";
	}
}

static const char *op_verb(unsigned op)
{
	static const char *const verbs[RL_PROBE_OP_COUNT] = {
		[RL_PROBE_READ] = "read",
		[RL_PROBE_WRITE] = "write",
		[RL_PROBE_LOAD] = "load",
		[RL_PROBE_STORE] = "store",
		[RL_PROBE_RMW] = "rmw",
		[RL_PROBE_FENCE] = "fence",
		[RL_PROBE_LOCK] = "lock",
		[RL_PROBE_TRYLOCK] = "try_lock",
		[RL_PROBE_UNLOCK] = "unlock",
		[RL_PROBE_RCU_READ_LOCK] = "rcu_read_lock",
		[RL_PROBE_RCU_READ_UNLOCK] = "rcu_read_unlock",
		[RL_PROBE_RCU_PUBLISH] = "rcu_publish",
		[RL_PROBE_RCU_DEREF] = "rcu_dereference",
		[RL_PROBE_RCU_SYNC] = "synchronize_rcu",
		[RL_PROBE_SPAWN] = "spawn",
		[RL_PROBE_SPAWN_FAILED] = "spawn failed",
		[RL_PROBE_START] = "start",
		[RL_PROBE_EXIT] = "exit",
		[RL_PROBE_JOIN] = "join",
		[RL_PROBE_YIELD] = "yield",
		[RL_PROBE_ALLOC] = "alloc",
		[RL_PROBE_FREE] = "free",
		[RL_PROBE_BLOCKED] = "blocked",
		[RL_PROBE_WAIT] = "wait",
		[RL_PROBE_NOTIFY] = "notify",
	};
	return op < RL_PROBE_OP_COUNT && verbs[op] ? verbs[op] : "?";
}

static void fmt_val(char *buf, size_t n, uint16_t flags, uint64_t v)
{
	if (flags & RL_PROBE_F_PTR) {
		if (v)
			snprintf(buf, n, "#%" PRIu64, v);
		else
			snprintf(buf, n, "NULL");
	} else if (flags & RL_PROBE_F_SIGNED) {
		snprintf(buf, n, "%" PRId64, (int64_t)v);
	} else {
		snprintf(buf, n, "%" PRIu64, v);
	}
}

int rl_probe_trace_format(const rl_probe_trace_rec *r, char *buf, size_t n)
{
	char act[48], obj[96], val[128], a[24], b[24];
	unsigned op = r->op, real = op == RL_PROBE_BLOCKED ? r->order : op;
	bool failed = r->flags & RL_PROBE_F_FAILED;

	switch (op) {
	case RL_PROBE_LOAD:
	case RL_PROBE_STORE:
	case RL_PROBE_FENCE:
		snprintf(act, sizeof(act), "%s %s", op_verb(op), order_name(r->order));
		break;
	case RL_PROBE_RMW:
		snprintf(act, sizeof(act), "%s %s", failed ? "cas-fail" : "rmw", order_name(r->order));
		break;
	case RL_PROBE_TRYLOCK:
		snprintf(act, sizeof(act), "%s", failed ? "try_lock failed" : "try_lock");
		break;
	case RL_PROBE_BLOCKED:
		snprintf(act, sizeof(act), "blocked: %s", op_verb(real));
		break;
	default:
		snprintf(act, sizeof(act), "%s", op_verb(op));
		break;
	}

	if (rl__is_thread_op(real))
		snprintf(obj, sizeof(obj), "T%u '%s'", r->obj_id, rl_probe_thread_name(r->obj_id));
	else if (r->obj_id)
		snprintf(obj, sizeof(obj), "%s #%u", r->kind ? r->kind : "object", r->obj_id);
	else
		obj[0] = 0;

	val[0] = 0;
	switch (r->flags & RL_PROBE_F_NOVAL ? 0u : (unsigned)op) {
	case RL_PROBE_READ:
	case RL_PROBE_LOAD:
	case RL_PROBE_RCU_DEREF:
		fmt_val(a, sizeof(a), r->flags, r->rval);
		if (op == RL_PROBE_LOAD && (r->flags & RL_PROBE_F_STALE))
			snprintf(val, sizeof(val), " = %s (stale: %" PRIu64 " newer store%s not read)", a, r->wval,
				 r->wval == 1 ? "" : "s");
		else
			snprintf(val, sizeof(val), " = %s", a);
		break;
	case RL_PROBE_WRITE:
	case RL_PROBE_STORE:
	case RL_PROBE_RCU_PUBLISH:
		fmt_val(a, sizeof(a), r->flags, r->wval);
		snprintf(val, sizeof(val), " := %s%s", a,
			 op == RL_PROBE_STORE && (r->flags & RL_PROBE_F_STALE) ? " (modification order: before a newer store)" : "");
		break;
	case RL_PROBE_RMW:
		fmt_val(a, sizeof(a), r->flags, r->rval);
		if (failed) {
			snprintf(val, sizeof(val), " = %s%s", a, r->flags & RL_PROBE_F_STALE ? " (stale)" : "");
		} else {
			fmt_val(b, sizeof(b), r->flags, r->wval);
			snprintf(val, sizeof(val), " %s -> %s%s", a, b,
				 r->flags & RL_PROBE_F_STALE ? " (read a store older than the latest)" : "");
		}
		break;
	default:
		break;
	}

	char who[48];
	snprintf(who, sizeof(who), "T%u %s", r->tid, rl_probe_thread_name(r->tid));
	return snprintf(buf, n, "%6" PRIu64 "  %-16s  %-20s %-18s %s%s", r->step, who, r->name ? r->name : "-", act,
			obj, val);
}

int rl_probe_trace_print(FILE *f)
{
	char line[512];
	for (size_t i = 0; i < tr.n; i++) {
		rl_probe_trace_format(&tr.recs[i], line, sizeof(line));
		/* Trailing blanks of an empty object column would make diffs noisy. */
		size_t len = strlen(line);
		while (len && line[len - 1] == ' ')
			line[--len] = 0;
		if (fprintf(f, "%s\n", line) < 0)
			return -1;
	}
	if (tr.dropped && fprintf(f, "(%" PRIu64 " more records not kept)\n", tr.dropped) < 0)
		return -1;
	return 0;
}
