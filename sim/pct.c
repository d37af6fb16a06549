/* pct.c — PCT's probabilistic guarantee (Burckhardt, Kothari, Musuvathi,
 * Nagarakatte, ASPLOS 2010), beside the scheduler that runs PCT (sched.c):
 * one run finds a depth-d bug with probability at least 1/(n * k^(d-1)).
 */
#include <math.h>
#include <racelab/probe.h>

double rl_probe_pct_runs(unsigned n, uint64_t k, unsigned d, double eps)
{
	if (!n || !k || !d || !(eps > 0) || !(eps < 1))
		return 0;
	return (double)n * pow((double)k, (double)(d - 1)) * log(1 / eps);
}

double rl_probe_pct_miss(unsigned n, uint64_t k, unsigned d, uint64_t runs)
{
	if (!n || !k || !d)
		return 1;
	double p = 1 / ((double)n * pow((double)k, (double)(d - 1)));
	if (p >= 1)
		return runs ? 0 : 1;
	return exp((double)runs * log1p(-p));
}
