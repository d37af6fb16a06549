/* parse.h — strict parsers for command-line numbers and sizes.
 *
 * Every parser accepts the whole string or nothing: no sign, no trailing
 * garbage, no overflow. On failure *out is unchanged.
 */
#ifndef RACELAB_PARSE_H
#define RACELAB_PARSE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Decimal unsigned integer in [min, max]. Return: RL_OK or RL_EINVAL. */
int rl_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* A byte size: decimal with an optional K, M, G or T suffix (powers of 1024,
 * case-insensitive, optional trailing "B" or "iB": 2M, 512K, 8MiB, 4096).
 * Return: RL_OK or RL_EINVAL (malformed, zero-length, overflow). */
int rl_parse_size(const char *s, size_t *out);

/* Format @bytes as "2 MiB", "512 KiB", "4096 B" (exact units when they divide). */
const char *rl_format_size(size_t bytes, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
