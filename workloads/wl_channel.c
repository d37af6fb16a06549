/* wl_channel.c — channel-pipeline and channel-sender-kept: an mpsc pipeline
 * that ends when every Sender is dropped, and one whose main thread keeps its
 * own Sender alive.
 *
 *	main:        let (tx, rx) = channel();
 *	             for i in 0..N { let tx = tx.clone(); spawn(producer-i) }
 *	             spawn(consumer); drop(tx); join all       (channel-pipeline)
 *	             ... join all; drop(tx)                     (channel-sender-kept)
 *	producer-i:  for seq in 0..M { tx.send((i, seq)) }; drop(tx)
 *	consumer:    while let Ok((i, seq)) = rx.recv() { check seq == next[i]++ }
 *
 * The consumer's loop ends on RL_EDISCONNECTED, which rl_recv() returns once
 * the queue is empty and every Sender is gone. In channel-sender-kept main
 * still holds the original Sender while it joins the consumer: the channel
 * never disconnects, the consumer waits in rl_recv() for a message nobody
 * will send and main waits to join it — a deadlock (Rust's program hangs the
 * same way; under the OS schedule so would this one, which is why it runs
 * under racelab's scheduler only).
 *
 * The invariant: exactly N x M messages received, each sender's in the order
 * it sent them (FIFO per sender), and the loop ended by disconnection.
 */
#include <stdio.h>
#include <stdlib.h>

#include <racelab/channel.h>
#include <racelab/status.h>
#include <racelab/workload.h>

#include "wl.h"

struct message {
	uint32_t from; /* the producer's index */
	uint32_t seq;  /* 0, 1, ... in the order it sent them */
};

struct producer {
	rl_sender *tx;   /* moved into the thread, which drops it */
	uint64_t count;
	uint32_t index;
	bool ran;        /* the thread started (read by main after the joins) */
	int err;         /* a failed send */
};

struct consumer {
	rl_receiver *rx;
	unsigned n;
	uint64_t *next;      /* per producer: the seq it expects next */
	uint64_t in_order;   /* messages in their sender's order */
	uint64_t out_of_order;
	bool disconnected;   /* the loop ended on RL_EDISCONNECTED */
};

static void *producer(void *arg)
{
	struct producer *p = arg;
	p->ran = true;
	for (uint64_t k = 0; k < p->count && !rl_workload_stopping(); k++) {
		struct message m = {.from = p->index, .seq = (uint32_t)k};
		if ((p->err = rl_send(p->tx, &m)) != RL_OK)
			break;
	}
	rl_sender_drop(p->tx);
	return NULL;
}

static void *consumer(void *arg)
{
	struct consumer *c = arg;
	struct message m;
	int rc;
	while ((rc = rl_recv(c->rx, &m)) == RL_OK) {
		if (m.from < c->n && m.seq == c->next[m.from])
			c->in_order++, c->next[m.from]++;
		else
			c->out_of_order++;
	}
	c->disconnected = rc == RL_EDISCONNECTED;
	return NULL;
}

static int run(const struct rl_workload_params *p, struct rl_workload_result *r, bool keep)
{
	unsigned n = (unsigned)p->threads;
	rl_sender *tx;
	rl_receiver *rx;
	struct producer *ps = calloc(n ? n : 1, sizeof *ps);
	char (*names)[24] = calloc(n ? n : 1, sizeof *names);
	struct rl__wl_thread *ts = calloc(n + 1, sizeof *ts);
	struct consumer c = {.n = n, .next = calloc(n ? n : 1, sizeof *c.next)};
	if (!ps || !names || !ts || !c.next || rl_channel_new(&tx, &rx, sizeof(struct message),
							      RL_CHANNEL_UNBOUNDED) != RL_OK) {
		free(ps), free(names), free(ts), free(c.next);
		return rl__wl_fail(r, RL_ENOMEM, "out of memory for %u producers and their channel", n);
	}
	c.rx = rx;
	for (unsigned i = 0; i < n; i++) {
		ps[i] = (struct producer){.tx = rl_sender_clone(tx), .count = p->iters, .index = i};
		snprintf(names[i], sizeof names[i], "producer-%u", i + 1);
		ts[i] = (struct rl__wl_thread){names[i], producer, &ps[i]};
	}
	ts[n] = (struct rl__wl_thread){"consumer", consumer, &c};
	if (!keep) {
		/* drop(tx) before the joins: the producers' clones are the only
		 * senders left, so the consumer sees the disconnection. (Before the
		 * spawns here, which is the same for the consumer: it starts last.) */
		rl_sender_drop(tx);
	}
	int err = rl__wl_threads_run(ts, n + 1, p->stack, NULL, NULL, r);
	if (keep)
		rl_sender_drop(tx); /* too late: main held it while it joined the consumer */
	int send_err = RL_OK;
	for (unsigned i = 0; i < n; i++) {
		if (!ps[i].ran)
			rl_sender_drop(ps[i].tx); /* the thread never started: its clone is ours */
		if (ps[i].err)
			send_err = ps[i].err;
	}
	rl_receiver_drop(rx);
	uint64_t sent = (uint64_t)n * p->iters;
	if (!err && send_err)
		err = rl__wl_fail(r, send_err, "a send failed: %s", rl_strerror(send_err));
	if (!err) {
		rl__wl_counts(r, "messages", (int64_t)sent, (int64_t)c.in_order);
		if (c.out_of_order || !c.disconnected)
			r->invariant_held = false;
		if (!c.disconnected && !r->lost)
			r->lost = 1; /* the loop never saw every sender go */
		rl__wl_note(r, "%u producers x %llu messages: %llu received in each sender's order, %llu out of order",
			    n, (unsigned long long)p->iters, (unsigned long long)c.in_order,
			    (unsigned long long)c.out_of_order);
		rl__wl_note(r, "the consumer's loop %s", c.disconnected ? "ended on RL_EDISCONNECTED: every Sender was dropped"
								    : "never saw the channel disconnect");
	}
	free(ps), free(names), free(ts), free(c.next);
	return err;
}

int rl__wl_channel_pipeline(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	return run(p, r, false);
}

int rl__wl_channel_sender_kept(const struct rl_workload_params *p, struct rl_workload_result *r)
{
	return run(p, r, true);
}
