/* bench_unchecked.c — Rc clone+drop built without the owner test.
 *
 *   rc-clone-drop-unchecked  the loop of rc-clone-drop (bench_sync.c) compiled
 *                            with RL_NO_OWNER_CHECKS in this translation unit
 *                            only: the fast path keeps its probe test but
 *                            drops the owner test. Measured beside
 *                            rc-clone-drop (pair), so the difference is what
 *                            the owner checks cost the owner thread (issue 4:
 *                            within 1 ns, in report mode and in off mode).
 */
#define RL_NO_OWNER_CHECKS 1 /* before rc.h: no owner test in the inline fast paths */

#include <racelab/rc.h>
#include <racelab/status.h>

#include "bench_defs.h"
#include "harness.h"

static int rc_init(void *shared, unsigned idx, void **local)
{
	(void)shared;
	(void)idx;
	rl_rc *rc = rl_rc_new(sizeof(uint64_t), NULL);
	if (!rc)
		return RL_ENOMEM;
	*local = rc;
	return RL_OK;
}

static void rc_fini(void *shared, void *local, unsigned idx)
{
	(void)shared;
	(void)idx;
	rl_rc_drop(local);
}

static int run_rc(void *shared, void *local, unsigned idx, uint64_t iters)
{
	(void)shared;
	(void)idx;
	rl_rc *rc = local;
	for (uint64_t i = 0; i < iters; i++) {
		rl_rc *c = rl_rc_clone(rc);
		rl_bench_escape(c);
		rl_rc_drop(c);
	}
	return RL_OK;
}

const struct rl_bench rl_bench_rc_clone_drop_unchecked = {
	.name = "rc-clone-drop-unchecked",
	.series = "Rc clone+drop, unchecked build",
	.what = "rc-clone-drop built without the owner test (RL_NO_OWNER_CHECKS): the checks' baseline",
	.thread_init = rc_init, .run = run_rc, .thread_fini = rc_fini,
	.pair = "rc-clone-drop",
};
