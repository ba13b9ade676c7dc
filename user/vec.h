/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Growable arrays sized per interval: they follow the present load, not the
 * all-time peak, so a long run after a burst of threads does not keep the
 * burst's memory. Pure: no I/O.
 */
#ifndef ENERGAT_VEC_H
#define ENERGAT_VEC_H

#include <stddef.h>

/* Never shrunk below this many elements: small arrays are not worth it. */
#define VEC_MIN_CAP 64

/*
 * vp is the address of the array's pointer (e.g. &s->rows). Make the array
 * hold n elements of elem bytes: grow to at least n (doubling), or,
 * when n is under a quarter of the capacity, shrink to 2n. Contents up to
 * min(n, old capacity) are kept. Returns 0 or -ENOMEM (the array and *cap are
 * then unchanged; a failed shrink is not an error).
 */
int vec_fit(void *vp, size_t *cap, size_t n, size_t elem);

#endif
