/* status.h — racelab's status codes.
 *
 * 0 is success, negative values are failures (errno-like), positive values
 * mean "succeeded, but look" (RL_POISONED). A failed call leaves nothing behind.
 */
#ifndef RACELAB_STATUS_H
#define RACELAB_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

enum rl_status {
	RL_OK = 0,
	RL_POISONED = 1,      /* succeeded; the lock is held, but a holder panicked */
	RL_ENOMEM = -12,      /* out of memory */
	RL_EAGAIN = -11,      /* the system lacked resources (threads, mappings) */
	RL_EINVAL = -22,      /* invalid argument */
	RL_EBUSY = -16,       /* would block / not unique */
	RL_EDEADLK = -35,     /* deadlock detected */
	RL_EDISCONNECTED = -32, /* the other end of a channel is gone (mpsc's Disconnected) */
	RL_ETIMEDOUT = -110,  /* a timed wait ran out (RecvTimeoutError::Timeout) */
	RL_EIO = -5,          /* an output stream or file reported an error (errno says which) */
	RL_EPANICKED = -1000, /* the joined thread panicked (rl_panic) */
};

/**
 * rl_strerror() - a short English description of a status code.
 * @status: any value returned by a racelab function.
 *
 * Return: a static string; never NULL ("unknown status" for foreign values).
 */
const char *rl_strerror(int status);

#ifdef __cplusplus
}
#endif
#endif
