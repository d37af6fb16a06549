/* stats.c — robust statistics over benchmark samples.
 *
 * Medians and the MAD rather than means: a sample that was preempted or that
 * met a timer interrupt is an outlier upwards, and the median ignores it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <racelab/status.h>

#include "harness.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double rl_bench_quantile(const double *sorted, size_t n, double q)
{
	if (n == 0)
		return NAN;
	if (q <= 0)
		return sorted[0];
	if (q >= 1)
		return sorted[n - 1];
	double pos = q * (double)(n - 1);
	size_t lo = (size_t)pos;
	double frac = pos - (double)lo;
	if (lo + 1 >= n)
		return sorted[n - 1];
	return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

static double median_sorted(const double *sorted, size_t n)
{
	return rl_bench_quantile(sorted, n, 0.5);
}

int rl_bench_stats_compute(const double *v, size_t n, struct rl_bench_stats *st)
{
	if (n == 0)
		return RL_EINVAL;
	double *s = malloc(n * sizeof *s);
	if (!s)
		return RL_ENOMEM;
	memcpy(s, v, n * sizeof *s);
	qsort(s, n, sizeof *s, cmp_double);

	memset(st, 0, sizeof *st);
	st->n = n;
	st->min = s[0];
	st->max = s[n - 1];
	st->median = median_sorted(s, n);
	st->q1 = rl_bench_quantile(s, n, 0.25);
	st->q3 = rl_bench_quantile(s, n, 0.75);
	st->iqr = st->q3 - st->q1;

	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += s[i];
	st->mean = sum / (double)n;
	double ss = 0;
	for (size_t i = 0; i < n; i++)
		ss += (s[i] - st->mean) * (s[i] - st->mean);
	st->stddev = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;

	for (size_t i = 0; i < n; i++)
		s[i] = fabs(s[i] - st->median);
	qsort(s, n, sizeof *s, cmp_double);
	st->mad = median_sorted(s, n);
	free(s);
	return RL_OK;
}

double rl_bench_block_spread(const double *v, size_t n, unsigned blocks)
{
	if (blocks < 2 || n < 2u * blocks)
		return 0;
	struct rl_bench_stats all;
	if (rl_bench_stats_compute(v, n, &all) != RL_OK)
		return -1;
	if (!(all.median > 0))
		return 0;
	double lo = INFINITY, hi = -INFINITY;
	for (unsigned b = 0; b < blocks; b++) {
		/* Blocks of nearly equal size covering every value. */
		size_t from = n * b / blocks, to = n * (b + 1) / blocks;
		struct rl_bench_stats st;
		if (rl_bench_stats_compute(v + from, to - from, &st) != RL_OK)
			return -1;
		if (st.median < lo)
			lo = st.median;
		if (st.median > hi)
			hi = st.median;
	}
	return (hi - lo) / all.median;
}
