// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "vec.h"

int vec_fit(void *vp, size_t *cap, size_t n, size_t elem)
{
	size_t want = *cap ? *cap : VEC_MIN_CAP;
	void *v, *p;

	if (n > *cap) {
		if (n > (size_t)-1 / 2 / elem)
			return -ENOMEM;
		while (want < n)
			want *= 2;
	} else if (*cap > VEC_MIN_CAP && n < *cap / 4) {
		want = n * 2 > VEC_MIN_CAP ? n * 2 : VEC_MIN_CAP;
	} else {
		return 0;
	}
	/* Through memcpy: vp is the address of any object pointer. */
	memcpy(&v, vp, sizeof(v));
	p = realloc(v, want * elem);
	if (!p)
		return want > *cap ? -ENOMEM : 0;
	memcpy(vp, &p, sizeof(p));
	*cap = want;
	return 0;
}
