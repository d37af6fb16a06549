/* futex.h — the two Linux futex calls the futex mutex needs (private).
 *
 * Private futexes (FUTEX_PRIVATE_FLAG): the word is never shared between
 * processes, which lets the kernel skip the mm lookup. Waiting uses
 * FUTEX_WAIT_BITSET with no timeout, as Rust's std does; a spurious return
 * (EINTR, EAGAIN when the word already changed) is harmless because every
 * caller re-checks the word in a loop.
 */
#ifndef RACELAB_SYNC_FUTEX_H
#define RACELAB_SYNC_FUTEX_H

#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Sleep while *@word == @expected (or until a wake-up or a signal). */
static inline void rl__futex_wait(_Atomic uint32_t *word, uint32_t expected)
{
	syscall(SYS_futex, word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, expected, NULL, NULL,
		FUTEX_BITSET_MATCH_ANY);
}

/* Wake at most one thread sleeping on @word. */
static inline void rl__futex_wake_one(_Atomic uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1);
}

#endif
