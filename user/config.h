/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A pure "key = value" parser for energat-bpf configuration files. */
#ifndef ENERGAT_CONFIG_H
#define ENERGAT_CONFIG_H

#include <stddef.h>

/* Longest accepted line, in bytes, without its line ending. */
#define CONFIG_LINE_MAX 4096

/*
 * Parse text[0..len) (need not be NUL-terminated; NUL bytes are an error).
 *
 * Syntax, one setting per line:
 *   key = value          blanks around key, '=' and value are ignored
 *   key = "a \"b\" \\ c"  double quotes keep blanks and '#'; \" and \\ escape
 *   key = 'literal'      single quotes keep everything up to the next '
 *   # comment            also after a value: "key = 2  # seconds"
 * A '#' starts a comment at the start of the value or after a blank, so
 * "output = /tmp/a#b" keeps its '#'. Keys are letters, digits, '-', '_', '.'.
 * LF or CRLF line endings; a UTF-8 byte order mark at the start is skipped.
 * Control characters other than tab are refused.
 *
 * cb gets NUL-terminated key and value (valid only during the call) and the
 * 1-based line number. A negative return stops parsing and is returned; if
 * cb left err empty, a generic message naming the line is written.
 *
 * Returns 0, -EINVAL with a one-line message in err, or cb's error.
 */
int config_parse(const char *text, size_t len,
		 int (*cb)(void *ctx, const char *key, const char *value, int line), void *ctx,
		 char *err, size_t errlen);

#endif /* ENERGAT_CONFIG_H */
