/* core_internal.h — shared between core/ files; not installed. */
#ifndef RACELAB_CORE_INTERNAL_H
#define RACELAB_CORE_INTERNAL_H

#include <stdint.h>

/* A fresh thread id (hooks.c). */
uint32_t rl__tid_new(void);


#endif
