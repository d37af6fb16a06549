/* treiber_stack.c — check your own lock-free code with rl_model().
 *
 * A Treiber stack (R. K. Treiber, IBM RJ 5118, 1986): push links a node to
 * the current top and swings the top to it with compare-and-swap. The buggy
 * twin reads the top and then stores the new one, so two pushes can
 * interleave and one node is lost. rl_model() runs the test body under every
 * schedule (up to equivalence, DPOR): for the buggy push it finds the lost
 * node, prints the failing interleaving and a replay line; for the CAS push
 * it reports "complete": no schedule loses a node.
 *
 * The stack's fields are racelab's modelled atomics (rl_atomic_ptr) and its
 * nodes' payloads are tracked (rl_track_write/read), so the checker sees
 * every shared access. Outside rl_model() the same code runs at full speed:
 * each atomic is the C11 atomic behind one predictable branch.
 *
 * Exit status: 0 when the buggy stack fails and the fixed one passes.
 * Build: see README.md ("Use racelab in your project") or examples/Makefile.
 */
#include <racelab/racelab.h>

#include <stdio.h>
#include <stdlib.h>

struct node {
	struct node *next;
	int value;
};

struct stack {
	rl_atomic_ptr top;
	bool buggy;
	struct node *pushed[2]; /* what each pusher pushed: freed whatever the stack lost */
};

struct pusher_arg {
	struct stack *s;
	int slot;
};

static void push(struct stack *s, struct node *n)
{
	if (s->buggy) {
		/* Bug: another push can land between the load and the store. */
		n->next = rl_atomic_ptr_load(&s->top, memory_order_acquire);
		rl_atomic_ptr_store(&s->top, n, memory_order_release);
		return;
	}
	void *top = rl_atomic_ptr_load(&s->top, memory_order_relaxed);
	do {
		n->next = top;
		/* Release: pairs with pop's acquire load, which then sees the node's fields. */
	} while (!rl_atomic_ptr_compare_exchange_weak(&s->top, &top, n, memory_order_release,
						      memory_order_relaxed));
}

static struct node *pop(struct stack *s)
{
	void *top = rl_atomic_ptr_load(&s->top, memory_order_acquire);
	while (top && !rl_atomic_ptr_compare_exchange_weak(&s->top, &top, ((struct node *)top)->next,
							   memory_order_acquire, memory_order_acquire))
		;
	return top;
}

static void *pusher(void *arg)
{
	struct pusher_arg *a = arg;
	struct node *n = malloc(sizeof(*n));
	if (!n)
		abort();
	rl_track_alloc(n, sizeof(*n), "stack node");
	rl_track_write(&n->value, sizeof(n->value), "stack node");
	n->value = 1;
	a->s->pushed[a->slot] = n; /* read by the body after the join */
	push(a->s, n);
	return NULL;
}

/* The test body: two threads push a node each; then every node is popped. */
static void body(void *arg)
{
	struct stack s = { .buggy = arg != NULL };
	rl_atomic_ptr_init(&s.top, NULL);
	rl_thread *t[2];
	struct pusher_arg a[2] = { { &s, 0 }, { &s, 1 } };
	for (int i = 0; i < 2; i++)
		if (rl_thread_spawn(&t[i], pusher, &a[i], NULL) != RL_OK)
			abort();
	for (int i = 0; i < 2; i++)
		rl_thread_join(t[i], NULL);
	int popped = 0;
	for (struct node *n; (n = pop(&s)); popped++)
		rl_track_read(&n->value, sizeof(n->value), "stack node");
	for (int i = 0; i < 2; i++) {
		rl_track_free(s.pushed[i], sizeof(*s.pushed[i]));
		free(s.pushed[i]);
	}
	RL_ASSERT(popped == 2);
}

static int check(const char *name, bool buggy, rl_model_result *r)
{
	rl_model_config cfg = { .report_file = stdout };
	if (rl_model(body, buggy ? (void *)1 : NULL, &cfg, r) != RL_OK)
		return -1;
	printf("%s: %llu schedules, %s%s%s\n", name, (unsigned long long)r->schedules,
	       r->complete ? "complete" : "not complete",
	       r->failure ? ", failed: " : ", no failure", r->failure ? rl_model_failure_name(r->failure) : "");
	return 0;
}

int main(void)
{
	rl_model_result bug, fixed;
	if (check("buggy push (load, then store)", true, &bug) || check("push with compare-exchange", false, &fixed))
		return 1;
	/* The lost node is found (an assertion, or the node never freed) and the CAS stack passes. */
	bool ok = bug.failure != RL_MODEL_PASSED && fixed.failure == RL_MODEL_PASSED && fixed.complete;
	printf("%s\n", ok ? "as expected: the buggy stack loses a node, the fixed one never does"
			  : "unexpected result");
	return ok ? 0 : 1;
}
