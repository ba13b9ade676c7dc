/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Sorting 64-bit keys that carry an index, in linear time. Pure: no I/O.
 */
#ifndef ENERGAT_KEYSORT_H
#define ENERGAT_KEYSORT_H

#include <linux/types.h>
#include <stddef.h>

struct sort_key {
	__u64 key;
	size_t idx;
};

/* Sort v[0..n) by key, ascending and stable; tmp holds n more as scratch. */
void keysort(struct sort_key *v, struct sort_key *tmp, size_t n);

#endif
