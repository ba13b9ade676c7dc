// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Pure arithmetic and parsing for the energy meters (see energy.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "energy.h"

unsigned long long energy_delta(unsigned long long prev, unsigned long long now,
				unsigned long long range, int *anomaly)
{
	if (anomaly)
		*anomaly = 0;
	if (now >= prev)
		return now - prev;
	/* One wrap only explains a step back when prev was inside the range. */
	if (range == 0 || prev > range) {
		if (anomaly)
			*anomaly = 1;
		return 0;
	}
	return range - prev + now;
}

static int only_space(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return *s == '\0';
}

int energy_parse_u64(const char *s, unsigned long long *out)
{
	unsigned long long v = 0;
	const char *p = s;

	if (!s || !isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned int d = *p - '0';

		if (v > (~0ULL - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (!only_space(p))
		return -EINVAL;
	*out = v;
	return 0;
}

int energy_implausible(double joules, double dt_sec, double max_w)
{
	if (isnan(joules) || joules < 0)
		return 1;
	if (max_w <= 0)
		return 0;
	if (!(dt_sec >= ENERGY_MIN_CHECK_SEC)) /* also catches NaN */
		dt_sec = ENERGY_MIN_CHECK_SEC;
	return joules > max_w * dt_sec;
}

double rapl_energy_unit_j(__u64 power_unit_msr)
{
	return ldexp(1.0, -(int)((power_unit_msr >> 8) & 0x1f));
}

int rapl_intel_dram_fixed_unit(int family, int model)
{
	static const int models[] = {
		0x3f, /* Haswell-X */
		0x4f, /* Broadwell-X */
		0x56, /* Broadwell-D */
		0x57, /* Xeon Phi Knights Landing */
		0x85, /* Xeon Phi Knights Mill */
		0x55, /* Skylake-X, Cascade Lake, Cooper Lake */
		0x6a, /* Ice Lake-X */
		0x6c, /* Ice Lake-D */
		0x8f, /* Sapphire Rapids-X */
		0xcf, /* Emerald Rapids-X */
	};
	size_t i;

	if (family != 6)
		return 0;
	for (i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		if (models[i] == model)
			return 1;
	return 0;
}

int rapl_intel_psys_fixed_unit(int family, int model)
{
	return family == 6 && (model == 0x8f || model == 0xcf);
}

int perf_parse_scale(const char *s, double *out)
{
	char *end;
	double v;

	if (!s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !only_space(end) || !isfinite(v) || v <= 0)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Parse a decimal bit number; advances *p. */
static int parse_bit(const char **p, int *bit)
{
	int v = 0;

	if (!isdigit((unsigned char)**p))
		return -EINVAL;
	while (isdigit((unsigned char)**p)) {
		v = v * 10 + (**p - '0');
		if (v > 63)
			return -EINVAL;
		(*p)++;
	}
	*bit = v;
	return 0;
}

int perf_format_place(const char *format, __u64 value, __u64 *config)
{
	const char *p = format;
	__u64 cfg;
	int lo, hi, b;

	if (!format || strncmp(p, "config:", 7) != 0)
		return -EINVAL;
	p += 7;
	cfg = *config;
	for (;;) {
		if (parse_bit(&p, &lo))
			return -EINVAL;
		hi = lo;
		if (*p == '-') {
			p++;
			if (parse_bit(&p, &hi) || hi < lo)
				return -EINVAL;
		}
		for (b = lo; b <= hi; b++) {
			cfg &= ~(1ULL << b);
			cfg |= (value & 1) << b;
			value >>= 1;
		}
		if (*p != ',')
			break;
		p++;
	}
	if (!only_space(p))
		return -EINVAL;
	if (value)
		return -ERANGE;
	*config = cfg;
	return 0;
}

int perf_parse_event(const char *s, const char *const *names, const char *const *specs, int n,
		     __u64 *config)
{
	char buf[256], *save = NULL, *term;
	__u64 cfg = 0;
	size_t len;

	if (!s)
		return -EINVAL;
	len = strlen(s);
	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len + 1);
	while (len && isspace((unsigned char)buf[len - 1]))
		buf[--len] = '\0';
	if (!len)
		return -EINVAL;

	for (term = strtok_r(buf, ",", &save); term; term = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(term, '='), *end;
		unsigned long long v = 1;
		int i, err;

		if (eq) {
			*eq = '\0';
			/* strtoull alone would take a sign or leading blanks */
			if (!isdigit((unsigned char)eq[1]))
				return -EINVAL;
			errno = 0;
			v = strtoull(eq + 1, &end, 0);
			if (errno || *end)
				return -EINVAL;
		}
		if (!*term)
			return -EINVAL;
		for (i = 0; i < n; i++)
			if (strcmp(names[i], term) == 0)
				break;
		if (i == n)
			return -ENOENT;
		err = perf_format_place(specs[i], v, &cfg);
		if (err)
			return err;
	}
	*config = cfg;
	return 0;
}
