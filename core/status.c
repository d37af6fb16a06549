/* status.c — rl_strerror: the words for racelab's status codes. */
#include <racelab/status.h>

const char *rl_strerror(int status)
{
	switch (status) {
	case RL_OK: return "success";
	case RL_POISONED: return "poisoned lock: another task failed inside";
	case RL_ENOMEM: return "out of memory";
	case RL_EAGAIN: return "resource temporarily unavailable";
	case RL_EINVAL: return "invalid argument";
	case RL_EBUSY: return "busy: the operation would block";
	case RL_EDEADLK: return "deadlock detected";
	case RL_EDISCONNECTED: return "disconnected: the other end of the channel is gone";
	case RL_ETIMEDOUT: return "timed out";
	case RL_EIO: return "input/output error";
	case RL_EPANICKED: return "the thread panicked";
	default: return "unknown status";
	}
}
