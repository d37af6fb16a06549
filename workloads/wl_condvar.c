/* wl_condvar.c — condvar-lost-wakeup and condvar-while-loop: a Condvar wait
 * that does not re-check its predicate, and the `while` loop that does.
 *
 * A 'notifier' hands --iters numbered messages to a 'waiter' through a
 * one-slot mailbox, a Mutex<i64> (0: empty), with two Condvars: `full` (the
 * waiter sleeps on it) and `empty` (the notifier does). Round k:
 *
 *	notifier:  lock; while (box != 0) wait(empty); box = k; notify_one(full); unlock
 *	waiter:    lock; while (box == 0) wait(full);  got = box; box = 0;
 *	           notify_one(empty); unlock                        (condvar-while-loop)
 *	waiter:    lock; wait(full);                   got = box; ...  (condvar-lost-wakeup)
 *
 * The lost-wakeup waiter waits once, as if the notify could only come after
 * it: when the notifier filled the box and notified before the waiter
 * locked, nobody was waiting and the notify is lost (a Condvar keeps no
 * memory of it). The waiter then sleeps forever, and the notifier waits on
 * `empty` for the waiter: a deadlock (Rust's std would hang; so would this
 * workload under the OS schedule, which is why it runs under racelab's
 * scheduler only). A wait may also return spuriously; the waiter that does
 * not look at the box then takes an empty box for a message. The twin's
 * loop re-checks the predicate under the lock after every return: a notify
 * that came first left the box full (no wait at all), a spurious wakeup
 * finds it empty (wait again). Under rl_model()'s DFS, where spurious
 * wakeups and notify_one's choice of sleeper are explored, it is complete.
 *
 * The invariant counts the rounds whose message the waiter received, in
 * order (got == k).
 */
#include <stdlib.h>

#include <racelab/condvar.h>
#include <racelab/mutex.h>
#include <racelab/status.h>
#include <racelab/workload.h>

#include "wl.h"

struct mailbox {
	bool recheck;      /* condvar-while-loop */
	uint64_t rounds;
	rl_mutex *m;       /* Mutex<i64>: the box, 0 when empty */
	rl_condvar full, empty;
	uint64_t received; /* rounds whose message the waiter got in order (the waiter's) */
	bool abandoned;    /* under the mutex: the waiter could not be spawned */
};

static const char BOX[] = "Mutex<i64> mailbox";

static void *notifier(void *arg)
{
	struct mailbox *c = arg;
	for (uint64_t k = 1; k <= c->rounds && !rl_workload_stopping(); k++) {
		rl_mutex_guard g;
		rl_mutex_lock(c->m, &g);
		int64_t *box = rl_mutex_guard_get(&g);
		while (rl__wl_read(box, BOX, "notifier", RL_WL_SITE("while *box != 0")) != 0 && !c->abandoned)
			rl_condvar_wait(&c->empty, &g);
		if (c->abandoned) {
			rl_mutex_guard_drop(&g);
			break;
		}
		rl__wl_write(box, (int64_t)k, BOX, "notifier", RL_WL_SITE("*box = k"));
		rl_condvar_notify_one(&c->full);
		rl_mutex_guard_drop(&g);
	}
	return NULL;
}

static void *waiter(void *arg)
{
	struct mailbox *c = arg;
	for (uint64_t k = 1; k <= c->rounds && !rl_workload_stopping(); k++) {
		rl_mutex_guard g;
		rl_mutex_lock(c->m, &g);
		int64_t *box = rl_mutex_guard_get(&g);
		if (c->recheck) {
			while (rl__wl_read(box, BOX, "waiter", RL_WL_SITE("while *box == 0")) == 0)
				rl_condvar_wait(&c->full, &g);
		} else {
			rl_condvar_wait(&c->full, &g); /* the bug: no look at the box */
		}
		int64_t got = rl__wl_read(box, BOX, "waiter", RL_WL_SITE("got = *box"));
		rl__wl_write(box, 0, BOX, "waiter", RL_WL_SITE("*box = 0"));
		rl_condvar_notify_one(&c->empty);
		rl_mutex_guard_drop(&g);
		c->received += got == (int64_t)k;
	}
	return NULL;
}

/* The waiter could not start: release the notifier from its wait on `empty`. */
static void abandon(void *arg)
{
	struct mailbox *c = arg;
	rl_mutex_guard g;
	rl_mutex_lock(c->m, &g);
	c->abandoned = true;
	rl_condvar_notify_all(&c->empty);
	rl_mutex_guard_drop(&g);
}

static int run(const struct rl_workload_params *p, struct rl_workload_result *r, bool recheck)
{
	struct mailbox c = {.recheck = recheck, .rounds = p->iters};
	if (!(c.m = malloc(rl_mutex_size(sizeof(int64_t)))))
		return rl__wl_fail(r, RL_ENOMEM, "out of memory for the mailbox");
	rl_mutex_init(c.m, sizeof(int64_t));
	rl_condvar_init(&c.full);
	rl_condvar_init(&c.empty);
	/* The notifier first: under the DFS its messages then come before the
	 * waiter's first wait, and the first schedule shows the lost wakeup. */
	const struct rl__wl_thread ts[] = {{"notifier", notifier, &c}, {"waiter", waiter, &c}};
	int err = rl__wl_threads_run(ts, 2, p->stack, abandon, &c, r);
	rl_condvar_destroy(&c.full);
	rl_condvar_destroy(&c.empty);
	rl_mutex_destroy(c.m);
	free(c.m);
	if (err)
		return err;
	rl__wl_counts(r, "messages", (int64_t)c.rounds, (int64_t)c.received);
	rl__wl_note(r, "%llu of %llu messages received in order through the Condvar handoff",
		    (unsigned long long)c.received, (unsigned long long)c.rounds);
	return RL_OK;
}

int rl__wl_condvar_lost_wakeup(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	return run(p, r, false);
}

int rl__wl_condvar_while_loop(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	return run(p, r, true);
}
