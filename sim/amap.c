/* amap.c — a small address map: open addressing with linear probing and
 * backward-shift deletion (Knuth, TAOCP 6.4, Algorithm R), so lookups never
 * meet tombstones. Keys are addresses (0 is the empty slot), values 64 bits.
 * Used for object numbers, the detector's sync clocks and report
 * deduplication. Not thread-safe: callers hold the detector lock.
 */
#include "amap.h"

#include <stdlib.h>
#include <string.h>

static inline uint32_t hash_ptr(uintptr_t k, uint32_t cap)
{
	return (uint32_t)(((uint64_t)k * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & (cap - 1);
}

static bool amap_grow(struct rl__amap *m)
{
	uint32_t ncap = m->cap ? m->cap * 2 : 64;
	uintptr_t *k = calloc(ncap, sizeof(*k));
	uint64_t *v = calloc(ncap, sizeof(*v));
	if (!k || !v) {
		free(k);
		free(v);
		return false;
	}
	for (uint32_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		uint32_t j = hash_ptr(m->keys[i], ncap);
		while (k[j])
			j = (j + 1) & (ncap - 1);
		k[j] = m->keys[i];
		v[j] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = k;
	m->vals = v;
	m->cap = ncap;
	return true;
}

uint64_t *rl__amap_get(struct rl__amap *m, uintptr_t key, bool insert)
{
	if (m->cap) {
		uint32_t i = hash_ptr(key, m->cap);
		for (; m->keys[i]; i = (i + 1) & (m->cap - 1))
			if (m->keys[i] == key)
				return &m->vals[i];
	}
	if (!insert)
		return NULL;
	if ((m->n + 1) * 2 > m->cap && !amap_grow(m))
		return NULL;
	uint32_t i = hash_ptr(key, m->cap);
	while (m->keys[i])
		i = (i + 1) & (m->cap - 1);
	m->keys[i] = key;
	m->vals[i] = 0;
	m->n++;
	return &m->vals[i];
}

bool rl__amap_del(struct rl__amap *m, uintptr_t key, uint64_t *val)
{
	if (!m->cap)
		return false;
	uint32_t mask = m->cap - 1, i = hash_ptr(key, m->cap);
	while (m->keys[i] != key) {
		if (!m->keys[i])
			return false;
		i = (i + 1) & mask;
	}
	if (val)
		*val = m->vals[i];
	/* Backward-shift deletion keeps every probe chain unbroken. */
	for (uint32_t j = i;;) {
		j = (j + 1) & mask;
		if (!m->keys[j])
			break;
		uint32_t h = hash_ptr(m->keys[j], m->cap);
		bool stays = (i <= j) ? (i < h && h <= j) : (i < h || h <= j);
		if (!stays) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			i = j;
		}
	}
	m->keys[i] = 0;
	m->vals[i] = 0;
	m->n--;
	return true;
}

void rl__amap_free(struct rl__amap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}
