/* parse.c — strict number and size parsing for the CLI. */
#include <ctype.h>
#include <stdio.h>
#include <strings.h>

#include <racelab/parse.h>
#include <racelab/status.h>

int rl_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	if (!s || !isdigit((unsigned char)*s))
		return RL_EINVAL;
	uint64_t v = 0;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return RL_EINVAL;
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return RL_EINVAL;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return RL_EINVAL;
	*out = v;
	return RL_OK;
}

int rl_parse_size(const char *s, size_t *out)
{
	if (!s || !isdigit((unsigned char)*s))
		return RL_EINVAL;
	uint64_t v = 0;
	for (; isdigit((unsigned char)*s); s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return RL_EINVAL;
		v = v * 10 + d;
	}
	unsigned shift = 0;
	switch (*s) {
	case 'k': case 'K': shift = 10; s++; break;
	case 'm': case 'M': shift = 20; s++; break;
	case 'g': case 'G': shift = 30; s++; break;
	case 't': case 'T': shift = 40; s++; break;
	default: break;
	}
	if (*s && strcasecmp(s, "b") != 0 && !(shift && strcasecmp(s, "ib") == 0))
		return RL_EINVAL;
	if (shift && v > (SIZE_MAX >> shift))
		return RL_EINVAL;
	*out = (size_t)(v << shift);
	return RL_OK;
}

const char *rl_format_size(size_t bytes, char *buf, size_t len)
{
	static const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	unsigned u = 0;
	size_t v = bytes;
	while (u < 4 && v >= 1024 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	if (u == 0 && bytes >= 1024) {
		double d = (double)bytes;
		while (u < 4 && d >= 1024) {
			d /= 1024;
			u++;
		}
		snprintf(buf, len, "%.1f %s", d, unit[u]);
	} else {
		snprintf(buf, len, "%zu %s", v, unit[u]);
	}
	return buf;
}
