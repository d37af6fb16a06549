/* channel.c — std::sync::mpsc on a mutex, two condvars and a ring buffer
 * (channel.h).
 *
 * One block holds the state, then the rl_mutex. Every operation locks the
 * mutex (its Release unlock -> Acquire lock is the send -> recv edge), so the
 * fields below are plain, read and written under it. The receiver waits on
 * not_empty; senders wait on space (a full bounded buffer, or a rendezvous:
 * the slot taken, or their message not yet received). A notify with nobody
 * waiting costs a load (condvar.h), so the uncontended send and recv are a
 * lock, a copy and an unlock.
 *
 * Unbounded channels batch on the receiving side: a receiver that finds
 * messages queued swaps the whole queue for its own empty ring (O(1), under
 * the mutex: the Acquire of that lock orders every message in it) and then
 * pops from its ring without locking until it is empty, so two producers
 * contend with the receiver once per batch, not once per message. (A bounded
 * channel cannot: its bound counts what the receiver has not taken.)
 *
 * Rendezvous (bound 0): the buffer is one slot. A sender waits for the slot
 * to be free, puts its message, takes a ticket (sent) and waits until the
 * receiver has counted it taken; if the receiver drops first, the sender
 * takes its message back out and reports the disconnection.
 */
#include <racelab/channel.h>

#include <stdalign.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <racelab/condvar.h>
#include <racelab/mutex.h>
#include <racelab/status.h>

#include "sync_wait.h"

/* A ring of cap slots of elem_size bytes; len messages from head on. */
struct ring {
	unsigned char *buf;
	size_t cap, head, len;
};

struct chan {
	rl_condvar not_empty; /* the receiver waits here */
	rl_condvar space;     /* senders wait here */
	size_t elem_size;
	size_t bound;         /* RL_CHANNEL_UNBOUNDED, n, or 0 */
	size_t limit;         /* most messages queued: bound, or 1 for a rendezvous */
	struct ring q;        /* the queue, under the mutex */
	struct ring rq;       /* unbounded only: the receiver's batch, its own (no lock) */
	size_t senders;       /* live Sender handles */
	bool receiver_alive;
	bool receiver_asleep; /* in its not_empty wait: the next send wakes it (once) */
	_Atomic size_t queued; /* q.len, published for the receiver's spin (a hint) */
	uint64_t sent, taken; /* rendezvous tickets */
	alignas(16) unsigned char lock[]; /* rl_mutex_size(0) bytes */
};

/* What a deadlock report says a thread waits on (sync_wait.h). */
static const char SENDER_KIND[] = "mpsc channel (SyncSender<T>)";
static const char RECEIVER_KIND[] = "mpsc channel (Receiver<T>)";

static inline rl_mutex *mx(struct chan *c)
{
	return (rl_mutex *)c->lock;
}

int rl_channel_new(rl_sender **tx, rl_receiver **rx, size_t elem_size, size_t bound)
{
	struct chan *c = calloc(1, sizeof *c + rl_mutex_size(0));
	if (!c)
		return RL_ENOMEM;
	rl_condvar_init(&c->not_empty);
	rl_condvar_init(&c->space);
	rl_mutex_init(mx(c), 0);
	c->elem_size = elem_size;
	c->bound = bound;
	c->limit = bound == 0 ? 1 : bound;
	c->senders = 1;
	c->receiver_alive = true;
	*tx = (rl_sender *)c;
	*rx = (rl_receiver *)c;
	return RL_OK;
}

static void chan_free(struct chan *c)
{
	rl_condvar_destroy(&c->not_empty);
	rl_condvar_destroy(&c->space);
	rl_mutex_destroy(mx(c));
	free(c->q.buf);
	free(c->rq.buf);
	free(c);
}

rl_sender *rl_sender_clone(rl_sender *tx)
{
	struct chan *c = (struct chan *)tx;
	rl_mutex_guard g;
	rl_mutex_lock(mx(c), &g);
	c->senders++;
	rl_mutex_guard_drop(&g);
	return tx;
}

void rl_sender_drop(rl_sender *tx)
{
	struct chan *c = (struct chan *)tx;
	rl_mutex_guard g;
	rl_mutex_lock(mx(c), &g);
	if (c->senders == 0)
		sync_fatal("rl_sender_drop of a channel with no sender left (dropped twice?)");
	bool last = --c->senders == 0;
	if (last)
		rl_condvar_notify_all(&c->not_empty);
	bool free_it = last && !c->receiver_alive;
	rl_mutex_guard_drop(&g);
	if (free_it)
		chan_free(c);
}

void rl_receiver_drop(rl_receiver *rx)
{
	struct chan *c = (struct chan *)rx;
	rl_mutex_guard g;
	rl_mutex_lock(mx(c), &g);
	if (!c->receiver_alive)
		sync_fatal("rl_receiver_drop twice");
	c->receiver_alive = false;
	c->q.len = c->q.head = 0; /* queued messages are discarded */
	c->rq.len = c->rq.head = 0;
	rl_condvar_notify_all(&c->space);
	bool free_it = c->senders == 0;
	rl_mutex_guard_drop(&g);
	if (free_it)
		chan_free(c);
}

/* Make room for one more message in the queue. */
static bool grow(struct chan *c)
{
	struct ring *r = &c->q;
	size_t ncap = r->cap ? r->cap * 2 : 16;
	if (ncap > c->limit)
		ncap = c->limit;
	if (c->elem_size == 0) {
		r->cap = ncap;
		return true;
	}
	if (ncap > SIZE_MAX / c->elem_size)
		return false;
	unsigned char *nb = malloc(ncap * c->elem_size);
	if (!nb)
		return false;
	/* Unwrap the ring into the new buffer, oldest first. */
	size_t first = r->cap - r->head < r->len ? r->cap - r->head : r->len;
	if (r->len) {
		memcpy(nb, r->buf + r->head * c->elem_size, first * c->elem_size);
		memcpy(nb + first * c->elem_size, r->buf, (r->len - first) * c->elem_size);
	}
	free(r->buf);
	r->buf = nb;
	r->cap = ncap;
	r->head = 0;
	return true;
}

static void push(struct chan *c, const void *elem)
{
	struct ring *r = &c->q;
	size_t i = r->head + r->len;
	if (i >= r->cap)
		i -= r->cap;
	if (c->elem_size)
		memcpy(r->buf + i * c->elem_size, elem, c->elem_size);
	r->len++;
}

static void pop(struct chan *c, struct ring *r, void *out)
{
	if (c->elem_size)
		memcpy(out, r->buf + r->head * c->elem_size, c->elem_size);
	if (++r->head == r->cap)
		r->head = 0;
	r->len--;
}

int rl_send(rl_sender *tx, const void *elem)
{
	struct chan *c = (struct chan *)tx;
	rl_mutex_guard g;
	rl_mutex_lock(mx(c), &g);
	/* Wait for room (a full bounded buffer; a rendezvous slot in use). */
	while (c->receiver_alive && c->q.len >= c->limit)
		rl__condvar_wait_as(&c->space, &g,
				    UINT64_MAX, NULL, SENDER_KIND, "rl_send");
	if (!c->receiver_alive) {
		rl_mutex_guard_drop(&g);
		return RL_EDISCONNECTED;
	}
	if (c->q.len == c->q.cap && !grow(c)) {
		rl_mutex_guard_drop(&g);
		return RL_ENOMEM;
	}
	push(c, elem);
	/* Relaxed: a hint for the spinning receiver, which then takes the
	 * mutex; the mutex orders the message. */
	atomic_store_explicit(&c->queued, c->q.len, memory_order_relaxed);
	if (c->receiver_asleep) {
		/* One wake per sleep: later sends while it wakes need none. */
		c->receiver_asleep = false;
		rl_condvar_notify_one(&c->not_empty);
	}
	if (c->bound == 0) {
		uint64_t ticket = ++c->sent;
		while (c->receiver_alive && c->taken < ticket)
			rl__condvar_wait_as(&c->space,
					    &g, UINT64_MAX, NULL,
					    SENDER_KIND, "rl_send (rendezvous: waits for the receiver)");
		if (c->taken < ticket) {
			/* Not received: the receiver dropped the slot's message
			 * (ours: the slot holds one) with the rest. */
			rl_mutex_guard_drop(&g);
			return RL_EDISCONNECTED;
		}
	}
	rl_mutex_guard_drop(&g);
	return RL_OK;
}

/* Before sleeping: unlock and watch the queued hint for a while (a sender
 * is usually about to send: cheaper than a FUTEX_WAIT and a wake), then
 * relock. The caller re-checks the queue either way. */
static void spin_for_message(struct chan *c, rl_mutex_guard *g)
{
	enum { SPINS = 200 };
	rl_mutex *m = g->mutex;
	rl_mutex_guard_drop(g);
	bool seen = false;
	for (int i = 0; i < SPINS && !seen; i++) {
		rl_cpu_relax();
		seen = atomic_load_explicit(&c->queued, memory_order_relaxed) != 0;
	}
	rl_mutex_lock(m, g);
}

/* @deadline: UINT64_MAX blocks, 0 never waits (try_recv). */
static int recv_until(struct chan *c, void *out, uint64_t deadline)
{
	if (c->rq.len > 0) { /* the receiver's batch: no lock */
		pop(c, &c->rq, out);
		return RL_OK;
	}
	rl_mutex_guard g;
	bool spun = false, expired = false;
	rl_mutex_lock(mx(c), &g);
	for (;;) {
		if (c->q.len > 0) {
			if (c->bound == RL_CHANNEL_UNBOUNDED) {
				/* Take the whole queue; leave our empty ring. */
				struct ring empty = c->rq;
				c->rq = c->q;
				c->q = empty;
				c->q.head = 0;
				atomic_store_explicit(&c->queued, 0, memory_order_relaxed);
				pop(c, &c->rq, out);
				rl_mutex_guard_drop(&g);
				return RL_OK;
			}
			pop(c, &c->q, out);
			atomic_store_explicit(&c->queued, c->q.len, memory_order_relaxed);
			if (c->bound == 0) {
				c->taken++;
				rl_condvar_notify_all(&c->space); /* the sender, and the next */
			} else if (c->bound != RL_CHANNEL_UNBOUNDED) {
				rl_condvar_notify_one(&c->space);
			}
			rl_mutex_guard_drop(&g);
			return RL_OK;
		}
		if (c->senders == 0) {
			rl_mutex_guard_drop(&g);
			return RL_EDISCONNECTED;
		}
		if (deadline == 0) {
			rl_mutex_guard_drop(&g);
			return RL_EAGAIN;
		}
		if (expired) { /* the wait timed out (under the scheduler: nothing else could run) */
			rl_mutex_guard_drop(&g);
			return RL_ETIMEDOUT;
		}
		if (!spun && !rl__probe_active) {
			/* The lock was dropped while spinning: re-check before
			 * sleeping, whatever the spin saw. */
			spin_for_message(c, &g);
			spun = true;
			continue;
		}
		spun = false;
		if (deadline == UINT64_MAX) {
			c->receiver_asleep = true;
			rl__condvar_wait_as(&c->not_empty,
					    &g, UINT64_MAX, NULL,
					    RECEIVER_KIND, "rl_recv");
			c->receiver_asleep = false;
			continue;
		}
		uint64_t now = sync_now_ns();
		if (now >= deadline) {
			rl_mutex_guard_drop(&g);
			return RL_ETIMEDOUT;
		}
		c->receiver_asleep = true;
		rl__condvar_wait_as(&c->not_empty, &g,
				    deadline, &expired, RECEIVER_KIND, "rl_recv_timeout");
		c->receiver_asleep = false;
	}
}

int rl_recv(rl_receiver *rx, void *out)
{
	return recv_until((struct chan *)rx, out, UINT64_MAX);
}

int rl_try_recv(rl_receiver *rx, void *out)
{
	return recv_until((struct chan *)rx, out, 0);
}

int rl_recv_timeout(rl_receiver *rx, void *out, uint64_t ns)
{
	uint64_t d = sync_deadline(ns);
	return recv_until((struct chan *)rx, out, d == UINT64_MAX ? UINT64_MAX - 1 : d);
}
