/* death.h — death tests for cmocka: run a function in a forked child and
 * report how the child ended and what it wrote on stderr.
 *
 *     struct death d = death_run(fn, arg);
 *     assert_true(d.signaled); assert_int_equal(d.signal, SIGABRT);
 *     assert_non_null(strstr(d.err, "racelab: fatal: "));
 *
 * The child's stderr goes to a temporary file; core dumps are disabled.
 */
#ifndef RACELAB_TESTS_DEATH_H
#define RACELAB_TESTS_DEATH_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

struct death {
	bool exited, signaled;
	int status; /* exit status when exited */
	int signal; /* signal number when signaled */
	char err[8192];
};

static inline struct death death_run(void (*fn)(void *), void *arg)
{
	struct death d;
	memset(&d, 0, sizeof d);
	FILE *tmp = tmpfile();
	if (!tmp)
		abort();
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		abort();
	if (pid == 0) {
		struct rlimit no_core = {0, 0};
		setrlimit(RLIMIT_CORE, &no_core);
		/* cmocka catches fatal signals in the parent; the child must die of them. */
		int sigs[] = {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE};
		for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
			signal(sigs[i], SIG_DFL);
		dup2(fileno(tmp), STDERR_FILENO);
		fn(arg);
		fflush(stderr);
		_exit(0);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		;
	d.exited = WIFEXITED(st);
	d.signaled = WIFSIGNALED(st);
	d.status = d.exited ? WEXITSTATUS(st) : -1;
	d.signal = d.signaled ? WTERMSIG(st) : 0;
	rewind(tmp);
	size_t n = fread(d.err, 1, sizeof d.err - 1, tmp);
	d.err[n] = '\0';
	fclose(tmp);
	return d;
}

#endif
