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

struct chan {
	rl_condvar not_empty; /* the receiver waits here */
	rl_condvar space;     /* senders wait here */
	size_t elem_size;
	size_t bound;         /* RL_CHANNEL_UNBOUNDED, n, or 0 */
	size_t limit;         /* most messages queued: bound, or 1 for a rendezvous */
	size_t cap, head, len;
	unsigned char *buf;   /* cap slots of elem_size bytes, ring */
	size_t senders;       /* live Sender handles */
	bool receiver_alive;
	uint64_t sent, taken; /* rendezvous tickets */
	alignas(16) unsigned char lock[]; /* rl_mutex_size(0) bytes */
};

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
	free(c->buf);
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
	c->len = 0; /* queued messages are discarded */
	c->head = 0;
	rl_condvar_notify_all(&c->space);
	bool free_it = c->senders == 0;
	rl_mutex_guard_drop(&g);
	if (free_it)
		chan_free(c);
}

/* Make room for one more message in the ring. */
static bool grow(struct chan *c)
{
	size_t ncap = c->cap ? c->cap * 2 : 16;
	if (ncap > c->limit)
		ncap = c->limit;
	if (c->elem_size == 0) {
		c->cap = ncap;
		return true;
	}
	if (ncap > SIZE_MAX / c->elem_size)
		return false;
	unsigned char *nb = malloc(ncap * c->elem_size);
	if (!nb)
		return false;
	/* Unwrap the ring into the new buffer, oldest first. */
	size_t first = c->cap - c->head < c->len ? c->cap - c->head : c->len;
	if (c->len) {
		memcpy(nb, c->buf + c->head * c->elem_size, first * c->elem_size);
		memcpy(nb + first * c->elem_size, c->buf, (c->len - first) * c->elem_size);
	}
	free(c->buf);
	c->buf = nb;
	c->cap = ncap;
	c->head = 0;
	return true;
}

static void push(struct chan *c, const void *elem)
{
	size_t i = c->head + c->len;
	if (i >= c->cap)
		i -= c->cap;
	if (c->elem_size)
		memcpy(c->buf + i * c->elem_size, elem, c->elem_size);
	c->len++;
}

static void pop(struct chan *c, void *out)
{
	if (c->elem_size)
		memcpy(out, c->buf + c->head * c->elem_size, c->elem_size);
	if (++c->head == c->cap)
		c->head = 0;
	c->len--;
}

int rl_send(rl_sender *tx, const void *elem)
{
	struct chan *c = (struct chan *)tx;
	rl_mutex_guard g;
	rl_mutex_lock(mx(c), &g);
	/* Wait for room (a full bounded buffer; a rendezvous slot in use). */
	while (c->receiver_alive && c->len >= c->limit)
		rl_condvar_wait(&c->space, &g);
	if (!c->receiver_alive) {
		rl_mutex_guard_drop(&g);
		return RL_EDISCONNECTED;
	}
	if (c->len == c->cap && !grow(c)) {
		rl_mutex_guard_drop(&g);
		return RL_ENOMEM;
	}
	push(c, elem);
	rl_condvar_notify_one(&c->not_empty);
	if (c->bound == 0) {
		uint64_t ticket = ++c->sent;
		while (c->receiver_alive && c->taken < ticket)
			rl_condvar_wait(&c->space, &g);
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

/* @deadline: UINT64_MAX blocks, 0 never waits (try_recv). */
static int recv_until(struct chan *c, void *out, uint64_t deadline)
{
	rl_mutex_guard g;
	rl_mutex_lock(mx(c), &g);
	for (;;) {
		if (c->len > 0) {
			pop(c, out);
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
		if (deadline == UINT64_MAX) {
			rl_condvar_wait(&c->not_empty, &g);
			continue;
		}
		uint64_t now = sync_now_ns();
		if (now >= deadline) {
			rl_mutex_guard_drop(&g);
			return RL_ETIMEDOUT;
		}
		rl_condvar_wait_timeout(&c->not_empty, &g, deadline - now, NULL);
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
