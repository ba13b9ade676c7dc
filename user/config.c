// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* "key = value" configuration text parser; pure, see config.h for the syntax. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.';
}

static char *trim_right(char *s)
{
	size_t n = strlen(s);

	while (n && is_blank(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Unquote in place: the result is never longer than the quoted text. */
static int parse_quoted(char *v, int line, char *err, size_t errlen)
{
	char q = v[0], *src = v + 1, *dst = v;

	for (;;) {
		if (*src == '\0')
			return fail(err, errlen, "line %d: missing closing %c", line, q);
		if (*src == q)
			break;
		if (q == '"' && *src == '\\' && (src[1] == '"' || src[1] == '\\'))
			src++;
		*dst++ = *src++;
	}
	*dst = '\0';
	for (src++; is_blank(*src); src++)
		;
	if (*src != '\0' && *src != '#')
		return fail(err, errlen, "line %d: unexpected text after closing %c", line, q);
	return 0;
}

/*
 * Split one NUL-terminated line into key and value.
 * Returns 1 for a setting, 0 for a blank or comment line, -EINVAL on error.
 */
static int parse_line(char *s, int line, char **key, char **value, char *err, size_t errlen)
{
	char *eq, *k, *v, *p;

	for (p = s; *p; p++) {
		unsigned char c = *p;

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(err, errlen, "line %d: control character 0x%02x", line, c);
	}

	while (is_blank(*s))
		s++;
	if (*s == '\0' || *s == '#')
		return 0;

	eq = strchr(s, '=');
	if (!eq)
		return fail(err, errlen, "line %d: expected 'key = value', got '%.40s'", line, s);
	*eq = '\0';
	k = trim_right(s);
	if (*k == '\0')
		return fail(err, errlen, "line %d: missing key before '='", line);
	for (p = k; *p; p++)
		if (!is_key_char(*p))
			return fail(err, errlen, "line %d: invalid key '%.40s'", line, k);

	for (v = eq + 1; is_blank(*v); v++)
		;
	if (*v == '"' || *v == '\'') {
		if (parse_quoted(v, line, err, errlen))
			return -EINVAL;
	} else {
		/* '#' after a blank starts a comment; inside a word it is data. */
		for (p = v; *p; p++)
			if (*p == '#' && (p == v || is_blank(p[-1]))) {
				*p = '\0';
				break;
			}
		trim_right(v);
	}
	*key = k;
	*value = v;
	return 1;
}

int config_parse(const char *text, size_t len,
		 int (*cb)(void *ctx, const char *key, const char *value, int line), void *ctx,
		 char *err, size_t errlen)
{
	char buf[CONFIG_LINE_MAX + 1];
	size_t pos = 0;
	int line = 0, rc;

	if (err && errlen)
		err[0] = '\0';
	if (!len)
		return 0;
	if (!text || !cb)
		return fail(err, errlen, "no text or callback");
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		pos = 3;

	while (pos < len) {
		const char *start = text + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - start) : len - pos;
		char *key = NULL, *value = NULL;

		pos += n + (nl ? 1 : 0);
		if (line == (int)(~0u >> 1))
			return fail(err, errlen, "too many lines");
		line++;
		if (memchr(start, '\0', n))
			return fail(err, errlen, "line %d: NUL byte", line);
		if (n && start[n - 1] == '\r')
			n--;
		if (n > CONFIG_LINE_MAX)
			return fail(err, errlen, "line %d: longer than %d bytes", line,
				    CONFIG_LINE_MAX);
		memcpy(buf, start, n);
		buf[n] = '\0';

		rc = parse_line(buf, line, &key, &value, err, errlen);
		if (rc <= 0) {
			if (rc < 0)
				return rc;
			continue;
		}
		rc = cb(ctx, key, value, line);
		if (rc < 0) {
			if (err && errlen && !err[0])
				fail(err, errlen, "line %d: invalid setting '%.40s'", line, key);
			return rc;
		}
	}
	return 0;
}
