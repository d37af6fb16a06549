/* bench.h — the entry point of `racelab bench`.
 *
 * The whole subcommand (argument parsing, running, every output) sits behind
 * one function so that the racelab CLI and the standalone racelab-bench
 * program share it.
 */
#ifndef RACELAB_BENCH_H
#define RACELAB_BENCH_H

#ifdef __cplusplus
extern "C" {
#endif

/**
 * rl_bench_main() - run `racelab bench` with its command line.
 * @argc: number of arguments, counting @argv[0].
 * @argv: @argv[0] is the command's name ("bench"); options and benchmark
 *        names follow. See `racelab bench --help`.
 *
 * Context: the process's main thread (or any thread not inside a benchmark);
 * not reentrant. Writes the table and SUMMARY lines to stdout, progress to
 * stderr when stderr is a terminal.
 * Return: 0 on success, 1 when a benchmark could not run (out of memory,
 * threads not created, an output file not written), 2 on bad usage (one line
 * on stderr; no output file is created).
 */
int rl_bench_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif
