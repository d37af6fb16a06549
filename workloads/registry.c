/* registry.c — the workload catalog: one entry per workload, in tour order.
 *
 * Each entry names the seed concept it shows, the verdict a default run must
 * reach, the parameters it takes and the invariant it checks. The lesson is
 * what `racelab demo` says after the run (two or three lines).
 */
#include <stdlib.h>
#include <string.h>

#include <racelab/workload.h>

#include "wl.h"

#define ALL (RL_WP_THREADS | RL_WP_ITERS | RL_WP_STACK)

static const struct rl_workload catalog[] = {
	{
		.name = "stack-overflow",
		.concept = "stacks: 8 MiB for main, 2 MiB for spawned threads",
		.summary = "one recursion completes on the 8 MiB main thread and overflows a 2 MiB worker",
		.invariant = "the worker reaches the depth the main thread reached (frames of about 1 KiB)",
		.lesson = "Rust gives the main thread 8 MiB of stack and each spawned thread 2 MiB. The recursion\n"
			  "that fits on main runs into the worker's guard page: Rust (and racelab) print\n"
			  "\"thread 'worker-1' has overflowed its stack\" and abort. Try --stack 8M: it completes.",
		.expected = RL_VERDICT_OVERFLOW,
		.uses = RL_WP_ITERS | RL_WP_STACK,
		.flags = RL_WF_ISOLATE | RL_WF_NO_SCHEDULE,
		.threads = 1,
		.iters = 4096,
		.iters_unit = "frames",
		.run = rl__wl_stack_overflow,
	},
	{
		.name = "stack-lazy",
		.concept = "stack memory is backed by the kernel only on first access",
		.summary = "many threads with 2 MiB stacks alive at once: reserved vs touched memory",
		.invariant = "each thread's resident stack stays within what it touched, plus what an idle thread has (+64 KiB)",
		.lesson = "Every thread reserved a full stack, yet only the pages it wrote are backed by memory:\n"
			  "a stack costs address space up front and RAM only as it grows. That is why thousands\n"
			  "of 2 MiB threads fit in a few dozen MiB.",
		.expected = RL_VERDICT_CLEAN,
		.uses = RL_WP_THREADS | RL_WP_STACK,
		.flags = RL_WF_NO_SCHEDULE,
		.threads = 200,
		.run = rl__wl_stack_lazy,
	},
	{
		.name = "false-sharing",
		.concept = "alignment: data laid out for the CPU (64-byte cache lines)",
		.summary = "per-thread counters packed into one cache line vs padded to 64 bytes, timed",
		.invariant = "each counter ends at exactly its iteration count (threads share lines, not data)",
		.lesson = "No data is shared, but the packed counters share one 64-byte cache line: when two\n"
			  "cores write at once, the line travels between them on every write. Aligned to 64\n"
			  "bytes (align(64)), each counter has a line of its own; the saving depends on the CPU.",
		.expected = RL_VERDICT_CLEAN,
		.uses = RL_WP_THREADS | RL_WP_ITERS,
		.flags = RL_WF_NO_SCHEDULE,
		.threads = 2,
		.iters = 10000000,
		.run = rl__wl_false_sharing,
	},
	{
		.name = "stack-vs-heap",
		.concept = "stack frames vs the heap; the allocator asks the kernel for memory in blocks",
		.summary = "a stack frame vs malloc/free of the same size, timed; brk/mmap calls of small and large blocks",
		.invariant = "every heap block allocated is written, read back and freed",
		.lesson = "A value in a stack frame costs one move of the stack pointer; malloc and free search the\n"
			  "allocator's lists. The allocator asks the kernel for memory in blocks: many small\n"
			  "allocations share one call, while a block above the mmap threshold gets a mapping of its own.",
		.expected = RL_VERDICT_CLEAN,
		.uses = RL_WP_ITERS,
		.flags = RL_WF_NO_SCHEDULE,
		.iters = 100000,
		.iters_unit = "allocations",
		.run = rl__wl_stack_vs_heap,
	},
	{
		.name = "vec-growth",
		.concept = "Vec<T> is (ptr, cap, len): when len == cap, reallocate and copy",
		.summary = "push N elements: every reallocation (old cap -> new cap, bytes copied) vs a pre-sized Vec",
		.invariant = "each reallocation follows Rust's policy (0 -> 4, then double) and every element stays in place",
		.lesson = "A push into a full Vec gets a buffer twice as large and moves the elements over. The\n"
			  "copies add up to less than one per element, so a push costs O(1) amortised; knowing the\n"
			  "size up front (Vec::with_capacity) skips every reallocation.",
		.expected = RL_VERDICT_CLEAN,
		.uses = RL_WP_ITERS,
		.flags = RL_WF_NO_SCHEDULE,
		.iters = 1000000,
		.iters_unit = "elements",
		.run = rl__wl_vec_growth,
	},
	{
		.name = "copy-move-clone",
		.concept = "Copy vs Move vs Clone: three words, every string, or one count",
		.summary = "a Vec<String> moved, deep-cloned, and shared through Rc and Arc: ns per operation, bytes allocated",
		.invariant = "a move and an Rc/Arc clone allocate nothing; a clone allocates its headers and every string",
		.lesson = "Moving v copies its three-word header and nothing else: the strings stay put and v is\n"
			  "gone. clone() copies the header array and every string onto the heap. Rc and Arc share\n"
			  "one copy: a clone adds one to a count (an atomic add for Arc).",
		.expected = RL_VERDICT_CLEAN,
		.uses = RL_WP_ITERS,
		.flags = RL_WF_NO_SCHEDULE,
		.iters = 200000,
		.iters_unit = "operations",
		.run = rl__wl_copy_move_clone,
	},
	{
		.name = "rc-single",
		.concept = "Rc<T>: several owners, one reference count",
		.summary = "Rc clone and drop on one thread: the baseline",
		.invariant = "the strong count goes back to 1 and the value is dropped exactly once",
		.lesson = "On one thread a plain (non-atomic) count is exact: each clone adds one, each drop takes\n"
			  "one, and the value is freed when the last owner goes. That is all Rc promises.",
		.twin = "rc-send",
		.expected = RL_VERDICT_CLEAN,
		.uses = RL_WP_ITERS,
		.iters = 100000,
		.sim_iters = 1000,
		.iters_unit = "clones",
		.run = rl__wl_rc_single,
	},
	{
		.name = "rc-send",
		.concept = "Rc<T> is not Send: its count is not atomic",
		.summary = "one Rc cloned and dropped by worker threads: the Send violation",
		.invariant = "the strong count is back to 1 after the workers join; the value is dropped once, at the end",
		.lesson = "Rust refuses to compile this: Rc<T> is not Send. The count is updated with a plain\n"
			  "load and store, so two threads lose each other's updates: the count drifts, reaches\n"
			  "zero while references live (use after free) or never (leak). Arc is the fix.",
		.twin = "arc-clone",
		.expected = RL_VERDICT_SEND,
		.uses = ALL,
		.flags = RL_WF_RACY,
		.threads = 4,
		.iters = 200000,
		.sim_iters = 200,
		.run = rl__wl_rc_send,
	},
	{
		.name = "arc-clone",
		.concept = "Arc<T>: an atomic count makes shared ownership Send + Sync",
		.summary = "the same clone/drop storm with Arc: exact counts, one drop",
		.invariant = "the strong count is back to 1 after the workers join; the value is dropped once, at the end",
		.lesson = "Arc does the same as Rc with atomic read-modify-write instructions: every update lands,\n"
			  "the count ends exact and the value is dropped once. The price is those atomic\n"
			  "instructions (see racelab bench).",
		.twin = "rc-send",
		.expected = RL_VERDICT_CLEAN,
		.uses = ALL,
		.threads = 4,
		.iters = 200000,
		.sim_iters = 200,
		.run = rl__wl_arc_clone,
	},
	{
		.name = "arc-cell",
		.concept = "Cell<T> is not Sync: shared mutation needs a lock or atomics",
		.summary = "Arc<Cell<i64>> incremented by several threads without a lock: lost updates",
		.invariant = "the counter equals threads x iterations",
		.lesson = "Arc makes the Cell reachable from every thread, but Cell is not Sync: its increment is a\n"
			  "load, an add and a store. Threads overwrite each other's stores and increments vanish.\n"
			  "Rust rejects Arc<Cell<T>> across threads; use a Mutex or an atomic.",
		.twin = "arc-mutex",
		.expected = RL_VERDICT_SYNC,
		.uses = ALL,
		.flags = RL_WF_RACY,
		.threads = 4,
		.iters = 1000000,
		.sim_iters = 100,
		.run = rl__wl_arc_cell,
	},
	{
		.name = "arc-mutex",
		.concept = "Arc<Mutex<T>>: shared mutable state behind a lock",
		.summary = "Arc<Mutex<i64>> counter incremented under the lock: exactly threads x iterations",
		.invariant = "the counter equals threads x iterations",
		.lesson = "Only the thread holding the lock can reach the value, so increments never overlap and\n"
			  "none is lost. The lock's acquire and release also carry each increment to the next holder.",
		.twin = "arc-cell",
		.expected = RL_VERDICT_CLEAN,
		.uses = ALL,
		.threads = 4,
		.iters = 100000,
		.sim_iters = 100,
		.run = rl__wl_arc_mutex,
	},
	{
		.name = "arc-atomic",
		.concept = "atomics: a shared counter without a lock",
		.summary = "Arc<AtomicI64> counter incremented with fetch_add",
		.invariant = "the counter equals threads x iterations",
		.lesson = "fetch_add is one indivisible read-modify-write: no increment is lost, no lock is taken.\n"
			  "Relaxed ordering suffices for a counter read after the threads are joined.",
		.twin = "arc-cell",
		.expected = RL_VERDICT_CLEAN,
		.uses = ALL,
		.threads = 4,
		.iters = 200000,
		.sim_iters = 200,
		.run = rl__wl_arc_atomic,
	},
	{
		.name = "mutex-poison",
		.concept = "Mutex poisoning: a panic while the lock is held",
		.summary = "a worker panics holding the guard; the others get RL_POISONED and still reach the value",
		.invariant = "every increment made under the lock is in the value; every lock after the panic is poisoned",
		.lesson = "worker-1 panicked in the middle of its update. Rust does not hide that: the mutex is\n"
			  "poisoned and every later lock() returns Err(PoisonError) (RL_POISONED) — yet the lock is\n"
			  "held and the value is reachable, so the others can check it and go on.",
		.expected = RL_VERDICT_PANIC,
		.uses = ALL,
		.threads = 4,
		.iters = 10000,
		.sim_iters = 20,
		.run = rl__wl_mutex_poison,
	},
	{
		.name = "rcu-config",
		.concept = "read-mostly sharing: readers that never block (RCU, arc-swap)",
		.summary = "readers load a configuration through an RCU cell while a writer publishes new versions",
		.invariant = "every read sees a whole version; every replaced version is freed once, after its readers",
		.lesson = "Readers never lock and never write shared memory: they pin, load a pointer and read.\n"
			  "The writer swaps in a new version and frees the old one only after a grace period,\n"
			  "when no reader can still hold it (liburcu; arc-swap and crossbeam-epoch in Rust).",
		.expected = RL_VERDICT_CLEAN,
		.uses = ALL,
		.threads = 4,
		.iters = 1000,
		.sim_iters = 20,
		.iters_unit = "versions",
		.run = rl__wl_rcu_config,
	},
	{
		.name = "rc-cycle",
		.concept = "Rc cycles leak: the counts never reach zero",
		.summary = "pairs of Rc nodes pointing at each other are never dropped",
		.invariant = "every node created is dropped when its last owner goes",
		.lesson = "Each node holds a strong reference to the other, so dropping our handles leaves both\n"
			  "counts at 1: nothing is ever freed. Rust calls this safe — a leak is not undefined\n"
			  "behaviour — and offers Weak to break the cycle (rc-weak).",
		.twin = "rc-weak",
		.expected = RL_VERDICT_LEAK,
		.uses = RL_WP_ITERS,
		.iters = 100,
		.iters_unit = "pairs",
		.run = rl__wl_rc_cycle,
	},
	{
		.name = "rc-weak",
		.concept = "Weak<T> breaks the cycle",
		.summary = "the same pairs with a Weak back pointer: both nodes are dropped",
		.invariant = "every node created is dropped when its last owner goes",
		.lesson = "A Weak does not keep its value alive: dropping the strong handles takes both counts to\n"
			  "zero and frees both nodes. upgrade() on the Weak would now return None (NULL).",
		.twin = "rc-cycle",
		.expected = RL_VERDICT_CLEAN,
		.uses = RL_WP_ITERS,
		.iters = 100,
		.iters_unit = "pairs",
		.run = rl__wl_rc_weak,
	},
	{
		.name = "masked-race",
		.concept = "a data race hidden by an unrelated lock (what TSan misses)",
		.summary = "a plain write and a plain read separated only by an unrelated lock/unlock",
		.invariant = "the reader sees every slot the writer wrote (no read of a slot not yet written)",
		.lesson = "The lock protects a request counter, not the slots. The OS schedule runs the writer's\n"
			  "unlock before the reader's lock, so the lock happens to order write and read and TSan\n"
			  "stays silent; racelab's scheduler finds the interleavings where the reader locks first.",
		.twin = "masked-race-fixed",
		.expected = RL_VERDICT_RACE,
		.uses = RL_WP_ITERS | RL_WP_STACK,
		.flags = RL_WF_SIMULATE,
		.threads = 2,
		.iters = 8,
		.iters_unit = "rounds",
		.run = rl__wl_masked_race,
	},
	{
		.name = "masked-race-fixed",
		.concept = "the same accesses ordered by Release/Acquire",
		.summary = "the writer publishes each slot with a Release store; the reader waits with Acquire",
		.invariant = "the reader sees every slot the writer wrote (no read of a slot not yet written)",
		.lesson = "An AtomicUsize stored with Release after the write and loaded with Acquire before the\n"
			  "read orders the two in every interleaving: no schedule races, every read is fresh.\n"
			  "A lock orders only what both threads do inside it.",
		.twin = "masked-race",
		.expected = RL_VERDICT_CLEAN,
		.uses = RL_WP_ITERS | RL_WP_STACK,
		.flags = RL_WF_SIMULATE,
		.threads = 2,
		.iters = 8,
		.iters_unit = "rounds",
		.run = rl__wl_masked_race_fixed,
	},
	{
		.name = "deadlock",
		.concept = "locks taken in opposite orders wait for each other forever",
		.summary = "two threads move units between two Mutex accounts, locking a then b and b then a",
		.invariant = "both threads complete every round",
		.lesson = "When 'left' holds a and 'right' holds b, each waits for the other's lock: no thread\n"
			  "can run. Rust's type system does not prevent this; a single lock order does.\n"
			  "racelab's scheduler sees that nobody can run and names who holds and awaits what.",
		.twin = "deadlock-ordered",
		.expected = RL_VERDICT_DEADLOCK,
		.uses = RL_WP_ITERS | RL_WP_STACK,
		.flags = RL_WF_SIMULATE | RL_WF_SCHEDULED_ONLY,
		.threads = 2,
		.iters = 8,
		.iters_unit = "rounds",
		.run = rl__wl_deadlock,
	},
	{
		.name = "deadlock-ordered",
		.concept = "one global lock order: no cycle, no deadlock",
		.summary = "the same transfers, both threads locking a before b",
		.invariant = "both threads complete every round",
		.lesson = "Taking the locks in one order (a before b) in every thread rules out a circular\n"
			  "wait: whatever the interleaving, the thread holding a gets b.",
		.twin = "deadlock",
		.expected = RL_VERDICT_CLEAN,
		.uses = RL_WP_ITERS | RL_WP_STACK,
		.flags = RL_WF_SIMULATE,
		.threads = 2,
		.iters = 8,
		.iters_unit = "rounds",
		.run = rl__wl_deadlock_ordered,
	},
	{
		.name = "condvar-lost-wakeup",
		.concept = "a Condvar wait that does not re-check its predicate loses a wakeup",
		.summary = "a waiter waits once per message, without looking at the mailbox: a notify that came first is lost",
		.invariant = "the waiter receives every message, in order",
		.lesson = "A Condvar remembers nothing: a notify with nobody waiting is lost. The notifier\n"
			  "filled the box and notified before the waiter locked, so its single wait() sleeps\n"
			  "forever (and a spurious wakeup would take an empty box for a message). Loop on the predicate.",
		.twin = "condvar-while-loop",
		.expected = RL_VERDICT_DEADLOCK,
		.uses = RL_WP_ITERS | RL_WP_STACK,
		.flags = RL_WF_SIMULATE | RL_WF_SCHEDULED_ONLY,
		.threads = 2,
		.iters = 8,
		.iters_unit = "messages",
		.run = rl__wl_condvar_lost_wakeup,
	},
	{
		.name = "condvar-while-loop",
		.concept = "while (!ready) wait: the predicate re-checked under the lock",
		.summary = "the same handoff, the waiter looping `while (box == 0) wait(full)`",
		.invariant = "the waiter receives every message, in order",
		.lesson = "The loop looks at the box under the lock before every wait and after every return:\n"
			  "a notify that came first left the box full (no wait), a spurious wakeup finds it\n"
			  "empty (wait again). Every interleaving, spurious wakeups included, delivers each message.",
		.twin = "condvar-lost-wakeup",
		.expected = RL_VERDICT_CLEAN,
		.uses = RL_WP_ITERS | RL_WP_STACK,
		.threads = 2,
		.iters = 10000,
		.sim_iters = 8,
		.iters_unit = "messages",
		.run = rl__wl_condvar_while_loop,
	},
	{
		.name = "channel-pipeline",
		.concept = "mpsc: cloned Senders, FIFO per sender, the end of the stream when every Sender is dropped",
		.summary = "producers send numbered messages through cloned Senders; the consumer loops until RL_EDISCONNECTED",
		.invariant = "every message arrives once, in its sender's order, and the loop ends on disconnection",
		.lesson = "Each producer moves a clone of the Sender into its thread and drops it when done; main\n"
			  "drops the original. Once the last Sender is gone, recv() returns Err(RecvError)\n"
			  "(RL_EDISCONNECTED) after the queue is drained: the consumer's loop ends by itself.",
		.twin = "channel-sender-kept",
		.expected = RL_VERDICT_CLEAN,
		.uses = ALL,
		.threads = 3,
		.iters = 10000,
		.sim_iters = 8,
		.iters_unit = "messages per producer",
		.run = rl__wl_channel_pipeline,
		.dfs_iters = 1, /* 2 x 2 messages is ~1e6 classes of interleavings: minutes */
	},
	{
		.name = "channel-sender-kept",
		.concept = "a Sender kept alive: the receiver's loop never ends",
		.summary = "the same pipeline, but main holds its original Sender while it joins the consumer",
		.invariant = "every message arrives once, in its sender's order, and the loop ends on disconnection",
		.lesson = "Every message arrived, but main still owns a Sender, so the channel is not disconnected:\n"
			  "the consumer waits in recv() for a message nobody will send, and main waits to join it.\n"
			  "Rust's program hangs the same way; drop(tx) before the joins (channel-pipeline).",
		.twin = "channel-pipeline",
		.expected = RL_VERDICT_DEADLOCK,
		.uses = ALL,
		.flags = RL_WF_SIMULATE | RL_WF_SCHEDULED_ONLY,
		.threads = 3,
		.iters = 8,
		.iters_unit = "messages per producer",
		.run = rl__wl_channel_sender_kept,
		.dfs_iters = 1, /* 2 x 2 messages is ~1e6 classes of interleavings: minutes */
	},
	{
		.name = "rwlock-readers",
		.concept = "read-mostly sharing behind a lock: RwLock's readers share it, a writer excludes them",
		.summary = "readers take read guards on an Arc<RwLock<Config>> while one writer rewrites it now and then",
		.invariant = "every read sees a whole version, never an older one than before; the last version is the writer's",
		.lesson = "Readers hold the lock together and a writer alone: each read guard sees a whole\n"
			  "version. Unlike RCU (rcu-config), readers write the lock word and wait for a writer;\n"
			  "a waiting writer keeps new readers out, so it is not starved (bench: read-mutex, read-rcu).",
		.expected = RL_VERDICT_CLEAN,
		.uses = ALL,
		.threads = 4,
		.iters = 10000,
		.sim_iters = 16,
		.iters_unit = "reads per reader",
		.run = rl__wl_rwlock_readers,
	},
	{
		.name = "barrier-phases",
		.concept = "Barrier: no thread starts a phase before every thread finished the last",
		.summary = "workers write their slot, wait at a Barrier, read their neighbour's, wait again; phase after phase",
		.invariant = "every read sees its own phase's value; every generation has exactly one leader",
		.lesson = "The first wait orders every write of a phase before every read of it, the second\n"
			  "every read before the next writes. Barrier::wait returns is_leader() for exactly\n"
			  "one thread of each generation: one thread can do the phase's bookkeeping.",
		.twin = "barrier-phases-unsynced",
		.expected = RL_VERDICT_CLEAN,
		.uses = ALL,
		.threads = 4,
		.iters = 1000,
		.sim_iters = 4,
		.iters_unit = "phases",
		.run = rl__wl_barrier_phases,
		.dfs_iters = 1,
	},
	{
		.name = "barrier-phases-unsynced",
		.concept = "the same phases without the Barrier: a data race",
		.summary = "workers write their slot and read their neighbour's with nothing between: stale reads",
		.invariant = "every read sees its own phase's value; every generation has exactly one leader",
		.lesson = "Nothing orders a worker's write with its neighbour's read: a data race in every\n"
			  "interleaving (racelab's detector and TSan report it), and a worker that runs ahead or\n"
			  "behind reads another phase's value. Rust rejects the shared &mut; C compiles it.",
		.twin = "barrier-phases",
		.expected = RL_VERDICT_RACE,
		.uses = ALL,
		.threads = 4,
		.iters = 1000,
		.sim_iters = 4,
		.iters_unit = "phases",
		.run = rl__wl_barrier_phases_unsynced,
		.dfs_iters = 1,
	},
	{
		.name = "sb-litmus",
		.concept = "weak memory: a store and a later load of another location reorder",
		.summary = "store buffering: each thread stores one flag (release), then loads the other's (acquire)",
		.invariant = "in every round at least one thread sees the other's store",
		.lesson = "Release and acquire order a store before later stores and a load before later\n"
			  "accesses, not a store before a later load: both loads may read 0, as on x86's store\n"
			  "buffers. C11 allows it; rl_model()'s RC11 model finds it; seq_cst forbids it.",
		.twin = "sb-litmus-fixed",
		.expected = RL_VERDICT_RACE,
		.uses = RL_WP_ITERS | RL_WP_STACK,
		.flags = RL_WF_WEAK,
		.threads = 2,
		.iters = 2,
		.iters_unit = "rounds",
		.run = rl__wl_sb_litmus,
	},
	{
		.name = "sb-litmus-fixed",
		.concept = "seq_cst: one total order of all seq_cst operations",
		.summary = "the same rounds with seq_cst stores and loads",
		.invariant = "in every round at least one thread sees the other's store",
		.lesson = "seq_cst stores and loads sit in one total order: whichever store comes first in it\n"
			  "is seen by the other thread's load. Every RC11 execution was explored: none reads\n"
			  "0 twice.",
		.twin = "sb-litmus",
		.expected = RL_VERDICT_CLEAN,
		.uses = RL_WP_ITERS | RL_WP_STACK,
		.flags = RL_WF_WEAK,
		.threads = 2,
		.iters = 2,
		.iters_unit = "rounds",
		.run = rl__wl_sb_litmus_fixed,
	},
	{
		.name = "peterson",
		.concept = "weak memory: Peterson's lock needs seq_cst, not release/acquire",
		.summary = "Peterson's two-thread lock with release stores and acquire loads around a plain counter",
		.invariant = "every critical section's increment is counted",
		.lesson = "Each thread raises its flag, then reads the other's: with release/acquire both reads\n"
			  "may miss the other's store (store buffering), both threads enter, and their plain\n"
			  "counter races. With seq_cst (peterson-fixed) the lock is correct.",
		.twin = "peterson-fixed",
		.expected = RL_VERDICT_RACE,
		.uses = RL_WP_ITERS | RL_WP_STACK,
		.flags = RL_WF_WEAK,
		.threads = 2,
		.iters = 1,
		.iters_unit = "rounds",
		.run = rl__wl_peterson,
	},
	{
		.name = "peterson-fixed",
		.concept = "seq_cst makes Peterson's lock correct",
		.summary = "Peterson's lock with seq_cst flags and turn",
		.invariant = "every critical section's increment is counted",
		.lesson = "With seq_cst stores and loads a thread that enters has seen the other's flag or\n"
			  "its turn: at most one thread is in the critical section in every execution C11\n"
			  "allows, which rl_model() explored completely.",
		.twin = "peterson",
		.expected = RL_VERDICT_CLEAN,
		.uses = RL_WP_ITERS | RL_WP_STACK,
		.flags = RL_WF_WEAK,
		.threads = 2,
		.iters = 1,
		.iters_unit = "rounds",
		.run = rl__wl_peterson_fixed,
	},
};

size_t rl_workloads(const struct rl_workload **out)
{
	*out = catalog;
	return sizeof catalog / sizeof catalog[0];
}

const struct rl_workload *rl_workload_find(const char *name)
{
	for (size_t i = 0; i < sizeof catalog / sizeof catalog[0]; i++)
		if (!strcmp(catalog[i].name, name))
			return &catalog[i];
	return NULL;
}

/* Levenshtein distance, with a transposition counted as one edit. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return SIZE_MAX;
	size_t d[65][65];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < best)
				best = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

const char *rl_workload_suggest(const char *name)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX;
	for (size_t i = 0; i < sizeof catalog / sizeof catalog[0]; i++) {
		size_t d = distance(name, catalog[i].name);
		/* A name the input starts (or that starts the input) is a good guess too. */
		size_t ln = strlen(name);
		if (ln >= 2 && !strncmp(catalog[i].name, name, ln) && d > 1)
			d = 1;
		if (d < best_d) {
			best_d = d;
			best = catalog[i].name;
		}
	}
	size_t len = strlen(name);
	size_t limit = len / 2 > 3 ? len / 2 : 3;
	return best_d <= limit ? best : NULL;
}
