/* vclock.h — vector clocks (private to sim/), as loom keeps rt/vv.rs.
 *
 * A vector clock maps thread ids to logical times (Lamport 1978; Mattern
 * 1989): c[i] for i < n, 0 beyond, grown on demand. The happens-before
 * detector (detect.c) keeps one per thread and per sync object; joining two
 * is the pointwise maximum. Not thread-safe: callers hold the detector lock,
 * or own the clock (the lock-free mutex path, detect.h).
 */
#ifndef RACELAB_SIM_VCLOCK_H
#define RACELAB_SIM_VCLOCK_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <racelab/hooks.h>

struct rl__vc {
	uint32_t n, cap;
	uint32_t *c;
};

static inline void rl__vc_grow(struct rl__vc *v, uint32_t n)
{
	if (n <= v->cap) {
		if (n > v->n) {
			memset(v->c + v->n, 0, (n - v->n) * sizeof(*v->c));
			v->n = n;
		}
		return;
	}
	uint32_t cap = v->cap ? v->cap : 4;
	while (cap < n)
		cap *= 2;
	uint32_t *c = realloc(v->c, cap * sizeof(*c));
	if (!c)
		RL_FATAL("out of memory in the race detector");
	memset(c + v->n, 0, (n - v->n) * sizeof(*c));
	v->c = c;
	v->cap = cap;
	v->n = n;
}

static inline uint32_t rl__vc_get(const struct rl__vc *v, unsigned i)
{
	return i < v->n ? v->c[i] : 0;
}

static inline void rl__vc_set(struct rl__vc *v, unsigned i, uint32_t x)
{
	if (i >= v->n)
		rl__vc_grow(v, i + 1);
	v->c[i] = x;
}

static inline void rl__vc_join(struct rl__vc *dst, const struct rl__vc *src)
{
	if (src->n > dst->n)
		rl__vc_grow(dst, src->n);
	for (uint32_t i = 0; i < src->n; i++)
		if (src->c[i] > dst->c[i])
			dst->c[i] = src->c[i];
}

/* Loops, not memcpy/memset: clocks have one entry per thread, a handful, and
 * a copy runs at every unlock and release. */
static inline void rl__vc_copy(struct rl__vc *dst, const struct rl__vc *src)
{
	if (src->n > dst->n)
		rl__vc_grow(dst, src->n);
	uint32_t i = 0;
	for (; i < src->n; i++)
		dst->c[i] = src->c[i];
	for (; i < dst->n; i++)
		dst->c[i] = 0;
}

static inline void rl__vc_clear(struct rl__vc *v)
{
	if (v->n)
		memset(v->c, 0, v->n * sizeof(*v->c));
}

static inline void rl__vc_free(struct rl__vc *v)
{
	free(v->c);
	v->c = NULL;
	v->n = v->cap = 0;
}

#endif
