/* version.c — the library's version, for programs that check what they run against. */
#include <racelab/version.h>

const char *rl_version(void)
{
	return RACELAB_VERSION_STRING;
}
