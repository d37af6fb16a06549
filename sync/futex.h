/* futex.h — sync's futex calls: core/arch.h's, where every futex call lives. */
#ifndef RACELAB_SYNC_FUTEX_H
#define RACELAB_SYNC_FUTEX_H

#include "core/arch.h"

#endif
