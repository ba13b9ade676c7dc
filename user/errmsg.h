/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The one-line error messages that open and setup functions hand back. */
#ifndef ENERGAT_ERRMSG_H
#define ENERGAT_ERRMSG_H

#include <stddef.h>

/* printf into err (len bytes); a NULL err or a zero len is ignored. */
void errmsg_set(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
