/* wl_memory.h — what the memory-model workloads (stack-vs-heap, vec-growth,
 * copy-move-clone) share: an optimisation barrier and what the build and
 * the machine are. Private to workloads/.
 */
#ifndef RACELAB_WL_MEMORY_H
#define RACELAB_WL_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <unistd.h>

/* The compiler must assume *p is read and written here (black_box). */
static inline void rl__wl_escape(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

static inline bool rl__wl_sanitized(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	return true;
#else
	return false;
#endif
}

static inline const char *rl__wl_sanitizer_name(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return "AddressSanitizer";
#elif defined(__SANITIZE_THREAD__)
	return "ThreadSanitizer";
#else
	return NULL;
#endif
}

static inline size_t rl__wl_phys_mem(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), ps = sysconf(_SC_PAGESIZE);
	return pages > 0 && ps > 0 ? (size_t)pages * (size_t)ps : (size_t)1 << 30;
}

#endif
