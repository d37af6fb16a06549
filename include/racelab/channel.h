/* channel.h — std::sync::mpsc: channel() and sync_channel(bound).
 *
 * rl_channel_new() makes a channel of @elem_size-byte messages, copied in by
 * rl_send() and out by rl_recv(), and its two ends: the sender, which
 * rl_sender_clone() shares (each clone is dropped once with
 * rl_sender_drop()), and the one receiver (rl_receiver_drop()).
 *
 *   bound RL_CHANNEL_UNBOUNDED  channel(): send never blocks (the buffer grows)
 *   bound n > 0                 sync_channel(n): send blocks while n messages wait
 *   bound 0                     sync_channel(0), rendezvous: send blocks until
 *                               the receiver has taken its message
 *
 * Order: FIFO per sender (and overall: one queue). Disconnection, as in Rust:
 * rl_send() returns RL_EDISCONNECTED (nothing sent) once the receiver is
 * dropped, also when it is dropped while the sender waits for room or for
 * the rendezvous; rl_recv() returns the messages still queued, then
 * RL_EDISCONNECTED once every sender is dropped. Dropping the receiver
 * discards what is queued. The channel's memory is freed when both sides are
 * gone.
 *
 * Ordering: a send happens before the receive that returns its message (the
 * channel's mutex: the sender's unlock is a Release, the receiver's lock an
 * Acquire), so the receiver sees everything the sender wrote before sending.
 *
 * The channel is a mutex, two condvars and a ring buffer (a linked list of
 * blocks in Rust's; the semantics are the same). Probes (probe.h): the mutex
 * is probed, so the detector sees send -> recv edges, and a blocked send or
 * recv is the condvar's probed wait: a blocked thread for the scheduler and
 * rl_model(), and a deadlock naming the channel when nothing can wake it.
 */
#ifndef RACELAB_CHANNEL_H
#define RACELAB_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rl_sender rl_sender;
typedef struct rl_receiver rl_receiver;

#define RL_CHANNEL_UNBOUNDED SIZE_MAX

/**
 * rl_channel_new() - mpsc::channel() / sync_channel(@bound).
 * @tx, @rx:    receive the two ends.
 * @elem_size:  bytes per message (0 allowed: messages carry no data).
 * @bound:      RL_CHANNEL_UNBOUNDED, a capacity, or 0 for a rendezvous.
 * Return: RL_OK, or RL_ENOMEM (nothing allocated).
 */
int rl_channel_new(rl_sender **tx, rl_receiver **rx, size_t elem_size, size_t bound);

/* Sender::clone: another handle on the channel (the same pointer, counted). */
rl_sender *rl_sender_clone(rl_sender *tx);

/* Drop one sender handle; the last one disconnects the receiver's side. */
void rl_sender_drop(rl_sender *tx);

/* Drop the receiver: queued messages are discarded, senders disconnect. */
void rl_receiver_drop(rl_receiver *rx);

/**
 * rl_send() - Sender::send / SyncSender::send: queue a copy of @elem.
 * Blocks while a bounded channel is full; a rendezvous until received.
 * Return: RL_OK; RL_EDISCONNECTED (the receiver is gone, nothing sent);
 * RL_ENOMEM (an unbounded buffer could not grow, nothing sent).
 */
int rl_send(rl_sender *tx, const void *elem);

/**
 * rl_recv() - Receiver::recv: take the oldest message into @out.
 * Blocks while the channel is empty and a sender exists.
 * Return: RL_OK, or RL_EDISCONNECTED (empty and every sender gone).
 */
int rl_recv(rl_receiver *rx, void *out);

/* Receiver::try_recv: as rl_recv() but RL_EAGAIN instead of blocking. */
int rl_try_recv(rl_receiver *rx, void *out);

/* Receiver::recv_timeout: as rl_recv(), giving up with RL_ETIMEDOUT after
 * @ns nanoseconds. */
int rl_recv_timeout(rl_receiver *rx, void *out, uint64_t ns);

#ifdef __cplusplus
}
#endif
#endif
