/* detect_report.c — the words of a race report: the two accesses, the
 * missing happens-before edge and the Rust rule the race breaks.
 *
 * detect.c decides that two accesses race and deduplicates; this file only
 * says it. The text names threads, operations, sites and object numbers,
 * never addresses, so a replayed schedule prints the same report.
 */
#include "detect.h"
#include "results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <racelab/hooks.h>


/* The Rust rule broken by a race on an object of @kind, in plain words. */
static void rust_rule(const char *kind, char *buf, size_t n)
{
	char ty[48];
	size_t len = strcspn(kind, " ");
	if (len >= sizeof(ty))
		len = sizeof(ty) - 1;
	memcpy(ty, kind, len);
	ty[len] = 0;

	if (!strncmp(kind, "Rc<", 3) || !strncmp(kind, "Rc ", 3) || !strncmp(kind, "rc::Weak", 8))
		snprintf(buf, n,
			 "%s is !Send: its reference counts are plain integers, so cloning or dropping one Rc on "
			 "two threads without synchronization races and loses updates (rustc E0277: `%s` cannot "
			 "be sent between threads safely)",
			 ty, ty);
	else if (!strncmp(kind, "Cell<", 5))
		snprintf(buf, n,
			 "%s is !Sync: get and set are plain loads and stores, so sharing one Cell between "
			 "threads (for example through Arc<Cell<T>>) races (rustc E0277: `%s` cannot be shared "
			 "between threads safely)",
			 ty, ty);
	else if (!strncmp(kind, "RefCell<", 8))
		snprintf(buf, n,
			 "%s is !Sync: its borrow flag is a plain integer, so borrowing one RefCell on two "
			 "threads races (rustc E0277: `%s` cannot be shared between threads safely)",
			 ty, ty);
	else if (!strncmp(kind, "Arc<", 4))
		snprintf(buf, n,
			 "Arc<T> shares T read-only between threads: mutating it needs a Sync interior "
			 "(a Mutex or an atomic), so a plain write through an Arc racing with another access "
			 "is a data race");
	else if (!strncmp(kind, "Mutex", 5))
		snprintf(buf, n,
			 "Mutex<T> protects its value only between lock and unlock: an access made without "
			 "holding the guard races with the holder's");
	else
		snprintf(buf, n,
			 "two threads accessed the same memory, at least one writing, with no happens-before "
			 "edge between them: safe Rust rules this out at compile time (Send and Sync)");
}

static void fill_access(rl_probe_access *a, const struct rl__det_thr *t, const char *op, const char *site,
			const void *pc, bool write, bool known)
{
	memset(a, 0, sizeof(*a));
	a->op = op;
	a->site = site;
	a->pc = pc;
	a->tid = t ? t->tid : 0;
	a->write = write;
	a->known = known;
	snprintf(a->thread, sizeof(a->thread), "%s", t && t->name ? t->name : "?");
	if (known)
		rl__site_text(site, pc, a->site_text, sizeof(a->site_text));
	else
		snprintf(a->site_text, sizeof(a->site_text), "?");
}

void rl__det_word_race(rl_probe_report *r_, const struct rl__race *x)
{
	const rl_probe_ev *ev = x->ev;
	const char *site = x->site;
	const struct rl__det_thr *t = x->cur, *pt = x->prev;
	unsigned ptid = x->ptid;
	uint32_t pclk = x->pclk;
	bool cur_write = x->cur_write, prev_write = x->prev_write;

	memset(r_, 0, sizeof(*r_));
	rl_probe_report r = *r_;
	r.kind = RL_REPORT_RACE;
	r.addr = ev->addr;
	r.obj_kind = ev->kind ? ev->kind : (x->prev_kind ? x->prev_kind : "memory");
	r.obj_id = rl__obj_id(ev->addr);
	r.count = 1;
	fill_access(&r.cur, t, ev->name, site, ev->pc, cur_write, true);
	fill_access(&r.prev, pt, x->prev_name, x->prev_site, x->prev_pc, prev_write, x->prev_known);

	char edge[640], rule[400], seen_text[96];
	uint32_t seen = rl__vc_get(&t->C, ptid);
	if (seen)
		snprintf(seen_text, sizeof(seen_text), "T%u has synchronized with T%u only up to T%u's clock %u",
			 t->tid, ptid, ptid, seen);
	else
		snprintf(seen_text, sizeof(seen_text), "T%u has never synchronized with T%u", t->tid, ptid);
	int len = snprintf(edge, sizeof(edge),
			   "nothing orders the %s by T%u '%s' (at T%u's clock %u) before the %s by T%u '%s': no "
			   "spawn/join, mutex unlock->lock, release->acquire or RCU edge connects them (%s)",
			   prev_write ? "write" : "read", ptid, r.prev.thread, ptid, pclk,
			   cur_write ? (ev->op == RL_PROBE_FREE ? "free" : "write") : "read", t->tid, r.cur.thread,
			   seen_text);
	if (rl__vc_get(&t->facq, ptid) >= pclk && len > 0 && (size_t)len < sizeof(edge))
		snprintf(edge + len, sizeof(edge) - (size_t)len,
			 "; a Relaxed load on T%u read a value T%u released after its access, but no Acquire "
			 "load or fence(Acquire) followed it",
			 t->tid, ptid);
	rust_rule(r.obj_kind, rule, sizeof(rule));

	char prevline[256];
	if (x->prev_known)
		snprintf(prevline, sizeof(prevline), "  previous %s by thread '%s' (T%u) in %s at %s",
			 prev_write ? "write" : "read", r.prev.thread, ptid, x->prev_name ? x->prev_name : "?",
			 r.prev.site_text);
	else
		snprintf(prevline, sizeof(prevline),
			 "  previous %s by thread '%s' (T%u) (no longer in its history of %u accesses)",
			 prev_write ? "write" : "read", r.prev.thread, ptid, x->history);

	size_t el = strlen(edge), rlen = strlen(rule);
	size_t tcap = 512 + sizeof(prevline) + el + rlen + strlen(r.obj_kind) + sizeof(r.cur.site_text);
	char *block = malloc(tcap + el + 1 + rlen + 1);
	if (!block)
		RL_FATAL("out of memory in the race detector");
	snprintf(block, tcap,
		 "data race on %s #%u\n"
		 "  %s by thread '%s' (T%u) in %s at %s\n"
		 "%s\n"
		 "  missing edge: %s\n"
		 "  Rust: %s\n",
		 r.obj_kind, r.obj_id, cur_write ? (ev->op == RL_PROBE_FREE ? "free" : "write") : "read",
		 r.cur.thread, t->tid, ev->name ? ev->name : "?", r.cur.site_text, prevline, edge, rule);
	char *e = block + tcap;
	memcpy(e, edge, el + 1);
	memcpy(e + el + 1, rule, rlen + 1);
	r.text = block;
	r.edge = e;
	r.rule = e + el + 1;
	*r_ = r;
}
