/* test_channel.c — mpsc: ports of Rust's std/src/sync/mpsc tests (smoke,
 * smoke_threads, port gone / chan gone, shared senders, try_recv,
 * recv_timeout, sync_channel bounds and the rendezvous), FIFO per sender,
 * the detector's send -> recv edge; with "stress", producers whose every
 * message arrives once, in order per producer.
 */
#include "sync_test.h"

#include <stdatomic.h>
#include <stdbool.h>

#include <racelab/channel.h>

static void new_chan(rl_sender **tx, rl_receiver **rx, size_t bound)
{
	assert_int_equal(rl_channel_new(tx, rx, sizeof(int64_t), bound), RL_OK);
}

static void test_smoke_each_flavour(void **state)
{
	(void)state;
	size_t bounds[] = {RL_CHANNEL_UNBOUNDED, 1, 3};
	for (size_t i = 0; i < 3; i++) {
		rl_sender *tx;
		rl_receiver *rx;
		new_chan(&tx, &rx, bounds[i]);
		int64_t v = 1, out = 0;
		assert_int_equal(rl_send(tx, &v), RL_OK);
		assert_int_equal(rl_recv(rx, &out), RL_OK);
		assert_int_equal(out, 1);
		rl_sender_drop(tx);
		rl_receiver_drop(rx);
	}
}

static void test_unbounded_grows_and_keeps_fifo(void **state)
{
	(void)state;
	rl_sender *tx;
	rl_receiver *rx;
	new_chan(&tx, &rx, RL_CHANNEL_UNBOUNDED);
	int64_t out;
	/* Interleave so the ring wraps before it grows. */
	for (int64_t i = 0; i < 10; i++)
		assert_int_equal(rl_send(tx, &i), RL_OK);
	for (int64_t i = 0; i < 5; i++) {
		assert_int_equal(rl_recv(rx, &out), RL_OK);
		assert_int_equal(out, i);
	}
	for (int64_t i = 10; i < 1000; i++)
		assert_int_equal(rl_send(tx, &i), RL_OK);
	for (int64_t i = 5; i < 1000; i++) {
		assert_int_equal(rl_recv(rx, &out), RL_OK);
		assert_int_equal(out, i);
	}
	assert_int_equal(rl_try_recv(rx, &out), RL_EAGAIN);
	rl_sender_drop(tx);
	rl_receiver_drop(rx);
}

static void test_send_after_receiver_gone_is_disconnected(void **state)
{
	(void)state;
	rl_sender *tx;
	rl_receiver *rx;
	new_chan(&tx, &rx, RL_CHANNEL_UNBOUNDED);
	rl_receiver_drop(rx);
	int64_t v = 1;
	assert_int_equal(rl_send(tx, &v), RL_EDISCONNECTED);
	rl_sender_drop(tx); /* frees the channel (ASan would see a leak) */
}

static void test_recv_drains_then_disconnects(void **state)
{
	(void)state;
	rl_sender *tx;
	rl_receiver *rx;
	new_chan(&tx, &rx, 4);
	rl_sender *tx2 = rl_sender_clone(tx);
	int64_t v = 7, out = 0;
	rl_send(tx, &v);
	rl_sender_drop(tx);
	/* One sender is left: empty is RL_EAGAIN, not disconnected. */
	assert_int_equal(rl_recv(rx, &out), RL_OK);
	assert_int_equal(rl_try_recv(rx, &out), RL_EAGAIN);
	v = 8;
	rl_send(tx2, &v);
	rl_sender_drop(tx2);
	assert_int_equal(rl_recv(rx, &out), RL_OK); /* queued messages survive */
	assert_int_equal(out, 8);
	assert_int_equal(rl_recv(rx, &out), RL_EDISCONNECTED);
	assert_int_equal(rl_try_recv(rx, &out), RL_EDISCONNECTED);
	assert_int_equal(rl_recv_timeout(rx, &out, 1000000u), RL_EDISCONNECTED);
	rl_receiver_drop(rx);
}

static void test_recv_timeout_times_out(void **state)
{
	(void)state;
	rl_sender *tx;
	rl_receiver *rx;
	new_chan(&tx, &rx, RL_CHANNEL_UNBOUNDED);
	int64_t out;
	uint64_t t0 = st_now_ns();
	assert_int_equal(rl_recv_timeout(rx, &out, 20 * 1000000u), RL_ETIMEDOUT);
	assert_true(st_now_ns() - t0 >= 20 * 1000000u);
	rl_sender_drop(tx);
	rl_receiver_drop(rx);
	assert_string_equal(rl_strerror(RL_ETIMEDOUT), "timed out");
	assert_non_null(strstr(rl_strerror(RL_EDISCONNECTED), "disconnected"));
}

struct producer {
	rl_sender *tx;
	int64_t id, count;
	int st; /* the first failing send's status */
};

static void *produce(void *p)
{
	struct producer *a = p;
	a->st = RL_OK;
	for (int64_t i = 0; i < a->count; i++) {
		int64_t v = a->id << 32 | i;
		int st = rl_send(a->tx, &v);
		if (st != RL_OK) {
			a->st = st;
			break;
		}
	}
	rl_sender_drop(a->tx);
	return NULL;
}

/* @n producers send @count each; the receiver checks FIFO per producer and
 * that disconnection comes after exactly n * count messages. */
static void run_producers(size_t bound, int n, int64_t count)
{
	rl_sender *tx;
	rl_receiver *rx;
	new_chan(&tx, &rx, bound);
	struct producer a[8];
	rl_thread *t[8];
	for (int i = 0; i < n; i++) {
		a[i] = (struct producer){.tx = rl_sender_clone(tx), .id = i, .count = count};
		t[i] = st_spawn(produce, &a[i]);
	}
	rl_sender_drop(tx);
	int64_t next[8] = {0}, got = 0, v;
	int st;
	while ((st = rl_recv(rx, &v)) == RL_OK) {
		int64_t id = v >> 32, seq = v & 0xffffffff;
		assert_true(id >= 0 && id < n);
		assert_int_equal(seq, next[id]);
		next[id]++;
		got++;
	}
	assert_int_equal(st, RL_EDISCONNECTED);
	assert_int_equal(got, n * count);
	for (int i = 0; i < n; i++) {
		st_join_ok(t[i]);
		assert_int_equal(a[i].st, RL_OK);
	}
	rl_receiver_drop(rx);
}

static void test_smoke_threads_fifo_per_sender(void **state)
{
	(void)state;
	run_producers(RL_CHANNEL_UNBOUNDED, 3, 500);
	run_producers(2, 3, 500);
	run_producers(0, 3, 200);
}

static void *recv_one_later(void *p)
{
	st_sleep_ms(20);
	int64_t out;
	assert_int_equal(rl_recv(p, &out), RL_OK);
	assert_int_equal(out, 5);
	return NULL;
}

static void test_rendezvous_send_waits_for_the_receiver(void **state)
{
	(void)state;
	rl_sender *tx;
	rl_receiver *rx;
	new_chan(&tx, &rx, 0);
	int64_t v = 5, out;
	assert_int_equal(rl_try_recv(rx, &out), RL_EAGAIN);
	rl_thread *t = st_spawn(recv_one_later, rx);
	uint64_t t0 = st_now_ns();
	assert_int_equal(rl_send(tx, &v), RL_OK);
	/* The send returned only once the receiver (asleep 20 ms) took it. */
	assert_true(st_now_ns() - t0 >= 15 * 1000000u);
	st_join_ok(t);
	rl_sender_drop(tx);
	rl_receiver_drop(rx);
}

static void *drop_receiver_later(void *p)
{
	st_sleep_ms(20);
	rl_receiver_drop(p);
	return NULL;
}

static void test_blocked_send_disconnects_when_receiver_drops(void **state)
{
	(void)state;
	for (int flavour = 0; flavour < 2; flavour++) {
		rl_sender *tx;
		rl_receiver *rx;
		new_chan(&tx, &rx, flavour == 0 ? 0 : 1);
		int64_t v = 1;
		if (flavour == 1)
			assert_int_equal(rl_send(tx, &v), RL_OK); /* now full */
		rl_thread *t = st_spawn(drop_receiver_later, rx);
		assert_int_equal(rl_send(tx, &v), RL_EDISCONNECTED);
		st_join_ok(t);
		rl_sender_drop(tx);
	}
}

static void *recv_all(void *p)
{
	int64_t out, n = 0;
	while (rl_recv(p, &out) == RL_OK)
		n++;
	return (void *)(intptr_t)n;
}

static void test_bounded_send_blocks_while_full(void **state)
{
	(void)state;
	rl_sender *tx;
	rl_receiver *rx;
	new_chan(&tx, &rx, 2);
	int64_t v = 0;
	rl_send(tx, &v);
	rl_send(tx, &v);
	rl_thread *t = st_spawn(recv_all, rx);
	for (int i = 0; i < 100; i++)
		assert_int_equal(rl_send(tx, &v), RL_OK); /* proceeds as the receiver takes */
	rl_sender_drop(tx);
	void *n;
	assert_int_equal(rl_thread_join(t, &n), RL_OK);
	assert_int_equal((intptr_t)n, 102);
	rl_receiver_drop(rx);
}

static void test_zero_sized_messages(void **state)
{
	(void)state;
	rl_sender *tx;
	rl_receiver *rx;
	assert_int_equal(rl_channel_new(&tx, &rx, 0, RL_CHANNEL_UNBOUNDED), RL_OK);
	for (int i = 0; i < 40; i++)
		assert_int_equal(rl_send(tx, NULL), RL_OK);
	int n = 0;
	while (rl_try_recv(rx, NULL) == RL_OK)
		n++;
	assert_int_equal(n, 40);
	rl_sender_drop(tx);
	rl_receiver_drop(rx);
}

/* The detector: a payload written before the send and read after the recv
 * is no race; the twin, read while the producer may still write, is one. */
struct handoff {
	rl_sender *tx;
	int64_t payload;
	_Atomic bool read_done; /* unprobed: keeps the sender's drop after the read */
};

static void *send_payload(void *p)
{
	struct handoff *h = p;
	st_probed_write(&h->payload, 99);
	int64_t v = 1;
	rl_send(h->tx, &v);
	st_probed_write(&h->payload, 100); /* after the send: races with the reader */
	/* The drop locks the channel: were it before the reader's read, it
	 * would order the write before it. */
	while (!atomic_load(&h->read_done))
		st_sleep_ms(1);
	rl_sender_drop(h->tx);
	return NULL;
}

static void test_detector_sees_send_to_recv(void **state)
{
	(void)state;
	for (int twin = 0; twin < 2; twin++) {
		struct handoff h;
		rl_receiver *rx;
		new_chan(&h.tx, &rx, RL_CHANNEL_UNBOUNDED);
		h.payload = 0;
		atomic_init(&h.read_done, false);
		rl_probe_config cfg = {.detect = true};
		assert_int_equal(rl_probe_attach(&cfg), RL_OK);
		rl_thread *t = st_spawn(send_payload, &h);
		int64_t v;
		assert_int_equal(rl_recv(rx, &v), RL_OK);
		if (twin)
			st_probed_read(&h.payload); /* unordered with the second write */
		atomic_store(&h.read_done, true);
		st_join_ok(t);
		if (!twin)
			assert_true(st_probed_read(&h.payload) >= 99); /* ordered by join */
		assert_int_equal(rl_probe_detach(), RL_OK);
		if (twin)
			assert_true(st_races() >= 1);
		else
			assert_int_equal(st_races(), 0);
		rl_probe_reset();
		rl_receiver_drop(rx);
	}
}

static void test_stress_producers(void **state)
{
	(void)state;
	run_producers(RL_CHANNEL_UNBOUNDED, 4, 50000);
	run_producers(16, 4, 50000);
	run_producers(0, 2, 5000);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "stress")) {
		const struct CMUnitTest stress[] = {cmocka_unit_test(test_stress_producers)};
		return cmocka_run_group_tests_name("channel-stress", stress, NULL, NULL);
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smoke_each_flavour),
		cmocka_unit_test(test_unbounded_grows_and_keeps_fifo),
		cmocka_unit_test(test_send_after_receiver_gone_is_disconnected),
		cmocka_unit_test(test_recv_drains_then_disconnects),
		cmocka_unit_test(test_recv_timeout_times_out),
		cmocka_unit_test(test_smoke_threads_fifo_per_sender),
		cmocka_unit_test(test_rendezvous_send_waits_for_the_receiver),
		cmocka_unit_test(test_blocked_send_disconnects_when_receiver_drops),
		cmocka_unit_test(test_bounded_send_blocks_while_full),
		cmocka_unit_test(test_zero_sized_messages),
		cmocka_unit_test(test_detector_sees_send_to_recv),
	};
	return cmocka_run_group_tests_name("channel", tests, NULL, NULL);
}
