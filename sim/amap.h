/* amap.h — a small address map (private to sim/; amap.c). */
#ifndef RACELAB_SIM_AMAP_H
#define RACELAB_SIM_AMAP_H

#include <stdbool.h>
#include <stdint.h>

struct rl__amap {
	uintptr_t *keys; /* 0 = empty */
	uint64_t *vals;
	uint32_t cap, n; /* cap is 0 or a power of two */
};

/* The value slot for @key, inserted as 0 if @insert; NULL if absent or on ENOMEM. */
uint64_t *rl__amap_get(struct rl__amap *m, uintptr_t key, bool insert);
/* Remove @key; Return: whether it was present (its value in *@val if non-NULL). */
bool rl__amap_del(struct rl__amap *m, uintptr_t key, uint64_t *val);
void rl__amap_free(struct rl__amap *m);

#endif
