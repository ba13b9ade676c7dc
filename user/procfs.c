// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Pure parsers for /proc and sysfs text. They never read past @len (fuzzers
 * pass exact lengths without a NUL) and never allocate.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "procfs.h"

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && is_space(*p))
		p++;
	return p;
}

static const char *token_end(const char *p, const char *end)
{
	while (p < end && !is_space(*p))
		p++;
	return p;
}

static unsigned long long sat_add(unsigned long long a, unsigned long long b)
{
	return a > ULLONG_MAX - b ? ULLONG_MAX : a + b;
}

static unsigned long long sat_mul(unsigned long long a, unsigned long long b)
{
	if (a && b > ULLONG_MAX / a)
		return ULLONG_MAX;
	return a * b;
}

/*
 * Decimal digits at *p (at least one), saturating at ULLONG_MAX. Advances *p.
 * Returns 0, -EINVAL when no digit, -ERANGE on overflow (value saturated).
 */
static int scan_digits(const char **p, const char *end, unsigned long long *v)
{
	const char *s = *p;
	unsigned long long x = 0;
	int ret = 0;

	if (s >= end || !is_digit(*s))
		return -EINVAL;
	for (; s < end && is_digit(*s); s++) {
		unsigned int d = *s - '0';

		if (x > (ULLONG_MAX - d) / 10) {
			x = ULLONG_MAX;
			ret = -ERANGE;
		} else if (!ret) {
			x = x * 10 + d;
		}
	}
	*p = s;
	*v = x;
	return ret;
}

/* The whole token [s, e) as an unsigned decimal no larger than @max. */
static int token_ull(const char *s, const char *e, unsigned long long max, unsigned long long *v)
{
	if (scan_digits(&s, e, v) || s != e || *v > max)
		return -EINVAL;
	return 0;
}

int parse_proc_stat(const char *buf, size_t len, struct proc_stat *st)
{
	const char *end = buf + len, *lp, *rp, *p;
	unsigned long long v;
	size_t n;
	int field;

	if (!buf || !st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));

	lp = memchr(buf, '(', len);
	if (!lp)
		return -EINVAL;
	/* comm may itself contain ')': the real one is the last in the line. */
	for (rp = end; rp > lp && rp[-1] != ')'; rp--)
		;
	if (rp == lp)
		return -EINVAL;
	rp--;

	p = skip_space(buf, lp);
	if (token_ull(p, token_end(p, lp), INT_MAX, &v))
		return -EINVAL;
	if (skip_space(token_end(p, lp), lp) != lp)
		return -EINVAL;
	st->pid = (int)v;

	n = rp - lp - 1;
	if (n >= sizeof(st->comm))
		n = sizeof(st->comm) - 1;
	memcpy(st->comm, lp + 1, n);
	st->comm[n] = '\0';

	/* Fields after comm, numbered as in proc(5): state is 3, processor 39. */
	p = rp + 1;
	if (p < end && !is_space(*p))
		return -EINVAL;
	for (field = 3; field <= 39; field++) {
		const char *s = skip_space(p, end), *e = token_end(s, end);

		if (s == e)
			return -EINVAL; /* truncated */
		switch (field) {
		case 3:
			if (e - s != 1)
				return -EINVAL;
			st->state = *s;
			break;
		case 4:
			if (token_ull(s, e, INT_MAX, &v))
				return -EINVAL;
			st->ppid = (int)v;
			break;
		case 14:
			if (token_ull(s, e, ULLONG_MAX, &st->utime))
				return -EINVAL;
			break;
		case 15:
			if (token_ull(s, e, ULLONG_MAX, &st->stime))
				return -EINVAL;
			break;
		case 20:
			if (token_ull(s, e, LONG_MAX, &v))
				return -EINVAL;
			st->num_threads = (long)v;
			break;
		case 22:
			if (token_ull(s, e, ULLONG_MAX, &st->starttime))
				return -EINVAL;
			break;
		case 39:
			if (token_ull(s, e, INT_MAX, &v))
				return -EINVAL;
			st->processor = (int)v;
			break;
		default:
			break;
		}
		p = e;
	}
	return 0;
}

/* n space-separated unsigned fields from p: the position after them, or NULL. */
static const char *scan_ulls(const char *p, const char *end, unsigned long long *v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		const char *s = skip_space(p, end), *e = token_end(s, end);

		if (token_ull(s, e, ULLONG_MAX, &v[i]))
			return NULL;
		p = e;
	}
	return p;
}

int parse_stat_cpu_line(const char *line, size_t len, int *cpu, unsigned long long v[8])
{
	const char *end = line + len, *p = line + 3;
	unsigned long long id;

	if (len < 4 || memcmp(line, "cpu", 3) || scan_digits(&p, end, &id) || id > INT_MAX ||
	    (p < end && !is_space(*p)) || !scan_ulls(p, end, v, 8))
		return -EINVAL;
	*cpu = (int)id;
	return 0;
}

int parse_schedstat(const char *buf, size_t len, unsigned long long *run_ns,
		    unsigned long long *wait_ns, unsigned long long *slices)
{
	const char *end = buf + len, *p;
	unsigned long long v[3];

	if (!buf || !(p = scan_ulls(buf, end, v, 3)) || skip_space(p, end) != end)
		return -EINVAL;
	if (run_ns)
		*run_ns = v[0];
	if (wait_ns)
		*wait_ns = v[1];
	if (slices)
		*slices = v[2];
	return 0;
}

/* "N<node>=<pages>": node and pages saturate so a huge node is just skipped later. */
static int numa_node_token(const char *s, const char *e, unsigned long long *node,
			   unsigned long long *pages)
{
	if (s >= e || *s++ != 'N')
		return 0;
	if (scan_digits(&s, e, node) == -EINVAL || s >= e || *s++ != '=')
		return 0;
	if (scan_digits(&s, e, pages) == -EINVAL || s != e)
		return 0;
	return 1;
}

static int page_kb_token(const char *s, const char *e, unsigned long long *kb)
{
	static const char key[] = "kernelpagesize_kB=";
	size_t klen = sizeof(key) - 1;

	if ((size_t)(e - s) <= klen || memcmp(s, key, klen))
		return 0;
	s += klen;
	return scan_digits(&s, e, kb) != -EINVAL && s == e;
}

static void numa_maps_line(const char *ls, const char *le, struct numa_usage *u)
{
	unsigned long long node, pages, kb = 0;
	const char *q = le, *block = NULL, *p;
	int have_kb = 0;

	/*
	 * The kernel prints N<n>= and kernelpagesize_kB= last, after the
	 * optional file= path. Walking back from the end of the line finds them
	 * without having to know where a path (spaces and all) stops.
	 */
	for (;;) {
		const char *t;

		while (q > ls && is_space(q[-1]))
			q--;
		if (q == ls)
			break;
		for (t = q; t > ls && !is_space(t[-1]); t--)
			;
		if (page_kb_token(t, q, &kb)) {
			have_kb = 1;
		} else if (!numa_node_token(t, q, &node, &pages)) {
			break;
		}
		block = t;
		q = t;
	}
	if (!block)
		return;
	if (!have_kb) {
		/* Kernels before kernelpagesize_kB only had base pages. */
		long ps = sysconf(_SC_PAGESIZE);

		kb = ps > 0 ? (unsigned long long)ps / 1024 : 4;
	}

	for (p = block; p < le;) {
		const char *s = skip_space(p, le), *e = token_end(s, le);

		if (s == e)
			break;
		if (numa_node_token(s, e, &node, &pages) && node < ENERGAT_MAX_NODES)
			u->bytes[node] = sat_add(u->bytes[node], sat_mul(sat_mul(pages, kb), 1024));
		p = e;
	}
}

int parse_numa_maps(const char *buf, size_t len, struct numa_usage *u)
{
	const char *end = buf + len, *p = buf;

	if (!buf || !u)
		return -EINVAL;
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		const char *le = nl ? nl : end;

		numa_maps_line(p, le, u);
		p = nl ? nl + 1 : end;
	}
	return 0;
}

/* "[Node N ]Key: value [kB]" -> key [ks, ke) and value in bytes. */
static int meminfo_line(const char *p, const char *end, const char **ks, const char **ke,
			unsigned long long *bytes)
{
	unsigned long long v;
	const char *e;

	p = skip_space(p, end);
	if (end - p > 5 && !memcmp(p, "Node ", 5)) {
		p += 5;
		if (scan_digits(&p, end, &v) == -EINVAL)
			return -EINVAL;
		p = skip_space(p, end);
	}
	*ks = p;
	while (p < end && *p != ':' && !is_space(*p))
		p++;
	if (p == *ks || p >= end || *p != ':')
		return -EINVAL;
	*ke = p++;
	p = skip_space(p, end);
	if (scan_digits(&p, end, &v))
		return -EINVAL;
	p = skip_space(p, end);
	e = token_end(p, end);
	if (e - p == 2 && !memcmp(p, "kB", 2)) {
		v = sat_mul(v, 1024);
		p = e;
	} else if (e != p) {
		return -EINVAL;
	}
	*bytes = v;
	return 0;
}

int parse_node_meminfo(const char *buf, size_t len, struct node_meminfo *m)
{
	const char *end = buf + len, *p = buf;
	int have_total = 0, have_free = 0;

	if (!buf || !m)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		const char *le = nl ? nl : end, *ks, *ke;
		unsigned long long v;

		if (!meminfo_line(p, le, &ks, &ke, &v)) {
			if (ke - ks == 8 && !memcmp(ks, "MemTotal", 8)) {
				m->total = v;
				have_total = 1;
			} else if (ke - ks == 7 && !memcmp(ks, "MemFree", 7)) {
				m->free = v;
				have_free = 1;
			}
		}
		p = nl ? nl + 1 : end;
	}
	if (!have_total || !have_free)
		return -EINVAL;
	m->used = m->total > m->free ? m->total - m->free : 0;
	return 0;
}
