/* model_token.c — rl_model()'s replay tokens: short, printable, and all a
 * schedule depends on, so a failure printed by CI replays with any config.
 * Owns nothing but the format (below); sim/model.c makes and follows them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <racelab/status.h>

#include "model_internal.h"

/* ---- replay tokens ----
 *
 * DFS: "dfs.<max_steps>.<choices>", the choices being the deviations from
 * the default choice (the running thread if it can go on, else the lowest
 * enabled one; value 0), as LEB128 pairs (distance from the previous
 * deviation, value) in base64url. RANDOM: "rnd.<max_steps>.<seed>"; PCT:
 * "pct.<max_steps>.<seed>.<depth>.<k>". Under sequential consistency
 * (RL_MEMORY_SC) the token starts with "sc-". Everything the schedule depends
 * on is in the token, so it replays with any config.
 */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static bool put_leb(uint8_t *buf, size_t cap, size_t *n, uint64_t v)
{
	do {
		if (*n >= cap)
			return false;
		uint8_t b = v & 0x7f;
		v >>= 7;
		buf[(*n)++] = b | (v ? 0x80 : 0);
	} while (v);
	return true;
}

void rl__model_token_make(char *out, size_t cap, const struct rl__model_token *t)
{
	if (t->memory == RL_MEMORY_SC && cap > 3) {
		memcpy(out, "sc-", 3);
		struct rl__model_token rest = *t;
		rest.memory = RL_MEMORY_RC11;
		rl__model_token_make(out + 3, cap - 3, &rest);
		if (!out[3])
			out[0] = 0;
		return;
	}
	if (t->strategy == RL_MODEL_RANDOM) {
		snprintf(out, cap, "rnd.%llu.%llu", (unsigned long long)t->max_steps, (unsigned long long)t->seed);
		return;
	}
	if (t->strategy == RL_MODEL_PCT) {
		snprintf(out, cap, "pct.%llu.%llu.%u.%llu", (unsigned long long)t->max_steps,
			 (unsigned long long)t->seed, t->depth, (unsigned long long)t->pct_k);
		return;
	}
	uint8_t bytes[RL_MODEL_REPLAY_MAX];
	size_t nb = 0;
	uint64_t prev = 0;
	bool fits = true;
	for (size_t i = 0; i < t->ndev && fits; i++) {
		fits = put_leb(bytes, sizeof(bytes), &nb, t->devs[i].k - prev) &&
		       put_leb(bytes, sizeof(bytes), &nb, t->devs[i].v);
		prev = t->devs[i].k;
	}
	int len = snprintf(out, cap, "dfs.%llu.", (unsigned long long)t->max_steps);
	size_t o = len > 0 ? (size_t)len : 0;
	for (size_t i = 0; i < nb && fits; i += 3) {
		uint32_t w = (uint32_t)bytes[i] << 16 | (i + 1 < nb ? (uint32_t)bytes[i + 1] << 8 : 0) |
			     (i + 2 < nb ? bytes[i + 2] : 0);
		size_t chars = i + 2 < nb ? 4 : i + 1 < nb ? 3 : 2;
		if (o + chars + 1 > cap) {
			fits = false;
			break;
		}
		for (size_t c = 0; c < chars; c++)
			out[o++] = B64[(w >> (18 - 6 * c)) & 63];
	}
	out[fits ? o : 0] = 0;
}

static int b64_val(char c)
{
	const char *p = c ? strchr(B64, c) : NULL;
	return p ? (int)(p - B64) : -1;
}

static bool parse_num(const char **s, uint64_t *v)
{
	char *end;
	if (**s < '0' || **s > '9')
		return false;
	errno = 0;
	unsigned long long x = strtoull(*s, &end, 10);
	if (errno)
		return false;
	*v = x;
	*s = end;
	return true;
}

int rl__model_token_parse(const char *tok, struct rl__model_token *t)
{
	memset(t, 0, sizeof(*t));
	if (strncmp(tok, "sc-", 3) == 0) {
		tok += 3;
		t->memory = RL_MEMORY_SC;
	}
	const char *s = tok + 4;
	uint64_t steps, seed = 0, depth = 0, k = 0;
	if (strncmp(tok, "dfs.", 4) == 0)
		t->strategy = RL_MODEL_DFS;
	else if (strncmp(tok, "rnd.", 4) == 0)
		t->strategy = RL_MODEL_RANDOM;
	else if (strncmp(tok, "pct.", 4) == 0)
		t->strategy = RL_MODEL_PCT;
	else
		return RL_EINVAL;
	if (!parse_num(&s, &steps) || !steps || *s++ != '.')
		return RL_EINVAL;
	t->max_steps = steps;
	if (t->strategy != RL_MODEL_DFS) {
		if (!parse_num(&s, &seed))
			return RL_EINVAL;
		if (t->strategy == RL_MODEL_PCT &&
		    (*s++ != '.' || !parse_num(&s, &depth) || !depth || depth > 1000 || *s++ != '.' ||
		     !parse_num(&s, &k) || !k))
			return RL_EINVAL;
		if (*s)
			return RL_EINVAL;
		t->seed = seed;
		t->depth = (unsigned)depth;
		t->pct_k = k;
		return RL_OK;
	}
	size_t len = strlen(s);
	if (len % 4 == 1)
		return RL_EINVAL;
	uint8_t *bytes = malloc(len + 1);
	if (!bytes)
		return RL_ENOMEM;
	size_t nb = 0;
	for (size_t i = 0; i < len; i += 4) {
		size_t chars = len - i < 4 ? len - i : 4;
		uint32_t w = 0;
		for (size_t c = 0; c < 4; c++) {
			int v = c < chars ? b64_val(s[i + c]) : 0;
			if (v < 0) {
				free(bytes);
				return RL_EINVAL;
			}
			w = w << 6 | (uint32_t)v;
		}
		for (size_t c = 0; c + 1 < chars; c++)
			bytes[nb++] = (uint8_t)(w >> (16 - 8 * c));
	}
	/* LEB128 pairs. */
	size_t cap = nb / 2 + 1;
	t->devs = calloc(cap, sizeof(*t->devs));
	if (!t->devs) {
		free(bytes);
		return RL_ENOMEM;
	}
	uint64_t vals[2], pos = 0;
	size_t i = 0;
	t->ndev = 0;
	while (i < nb) {
		for (int h = 0; h < 2; h++) {
			uint64_t v = 0;
			unsigned shift = 0;
			for (;;) {
				if (i >= nb || shift > 63) {
					free(bytes);
					free(t->devs);
					t->devs = NULL;
					return RL_EINVAL;
				}
				uint8_t b = bytes[i++];
				v |= (uint64_t)(b & 0x7f) << shift;
				shift += 7;
				if (!(b & 0x80))
					break;
			}
			vals[h] = v;
		}
		if ((t->ndev && !vals[0]) || vals[1] > 255 /* a thread or a value choice */ || t->ndev == cap) {
			free(bytes);
			free(t->devs);
			t->devs = NULL;
			return RL_EINVAL;
		}
		pos += vals[0];
		t->devs[t->ndev++] = (struct rl__model_dev){ pos, (uint32_t)vals[1] };
	}
	free(bytes);
	return RL_OK;
}

