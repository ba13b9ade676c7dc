// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Thread names (comm) come from the traced programs: csv_quote() must give
 * an RFC 4180 field that reads back as the same bytes.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include "csv.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_cstr(data, size), *out, *back;
	size_t len = strlen(in), cap = 2 * len + 3, i, o = 0;
	int n;

	out = malloc(cap);
	back = malloc(len + 1);
	FUZZ_ASSERT(out && back);
	n = csv_quote(in, out, cap);
	FUZZ_ASSERT(n >= 0 && (size_t)n < cap && out[n] == '\0');
	if (out[0] == '"') {
		FUZZ_ASSERT(n >= 2 && out[n - 1] == '"');
		for (i = 1; i < (size_t)n - 1; i++) {
			if (out[i] == '"') {
				FUZZ_ASSERT(out[i + 1] == '"');
				i++;
			}
			back[o++] = out[i];
		}
	} else {
		FUZZ_ASSERT(!strpbrk(out, ",\"\r\n"));
		memcpy(back, out, n);
		o = n;
	}
	FUZZ_ASSERT(o == len && !memcmp(back, in, len));
	/* Too small a buffer: -ENOSPC and still terminated. */
	if (n > 0) {
		n = csv_quote(in, out, n);
		FUZZ_ASSERT(n == -ENOSPC && memchr(out, '\0', cap));
	}
	free(in);
	free(out);
	free(back);
	return 0;
}
