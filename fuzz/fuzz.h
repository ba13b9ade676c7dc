/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared helpers for the libFuzzer harnesses (make fuzz). Each harness feeds
 * one parser of outside input and checks the properties its header promises;
 * a broken property calls FUZZ_ASSERT, which aborts so libFuzzer keeps the input.
 */
#ifndef ENERGAT_FUZZ_H
#define ENERGAT_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ASSERT(cond)                                                                   \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                     \
			abort();                                                            \
		}                                                                           \
	} while (0)

/* A NUL-terminated malloc'd copy, for parsers that take C strings. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* An error message is one NUL-terminated line that fits its buffer. */
static inline void fuzz_check_msg(const char *err, size_t len)
{
	const char *nul = memchr(err, '\0', len);

	FUZZ_ASSERT(nul);
	FUZZ_ASSERT(!memchr(err, '\n', nul - err));
}

#endif
