/* main.c — racelab-bench: `racelab bench` as a program of its own. */
#include "bench.h"

int main(int argc, char **argv)
{
	return rl_bench_main(argc, argv);
}
