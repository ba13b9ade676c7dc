/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Baseline power file (model.md §5). JSON with the prototype's keys, so
 * files it wrote still load and files we write still load in it:
 *   "pkg_base_w", "dram_base_w"                 watts per socket (required)
 *   "pkg_base_percents", "dram_base_percents"   CPU and memory utilisation
 *                                               per socket while measuring, %
 *                                               (required)
 * and our own, optional on input (absent in the prototype's files):
 *   "meter" (string), "period_sec", "timestamp" (epoch seconds), "host".
 * All four arrays have one entry per socket, in socket order.
 */
#ifndef ENERGAT_BASELINE_H
#define ENERGAT_BASELINE_H

#include <stddef.h>
#include <linux/types.h>
#include "energat.h"

#define BASELINE_DEFAULT_PATH "/var/lib/energat/baseline_power.json"
/* No socket idles above this: a larger value is a corrupt or foreign file. */
#define BASELINE_MAX_WATTS 5000.0
#define BASELINE_MAX_FILE_SIZE (1024 * 1024)

struct baseline {
	int nr_sockets; /* length of the arrays, 1..ENERGAT_MAX_SOCKETS */
	double pkg_base_w[ENERGAT_MAX_SOCKETS];
	double dram_base_w[ENERGAT_MAX_SOCKETS];
	double pkg_base_percent[ENERGAT_MAX_SOCKETS];
	double dram_base_percent[ENERGAT_MAX_SOCKETS];
	char meter[16]; /* "" when the file does not say (prototype files) */
	double period_sec; /* 0 when unknown */
	double timestamp; /* epoch seconds of the measurement, 0 when unknown */
	char host[256]; /* "" when unknown */
};

/*
 * Messages written to err are one lower-case line naming the cause and the
 * key, without the file name (the caller has it), e.g.
 *   pkg_base_w[1]: -3 W is negative
 */

/*
 * 0 when b holds a usable baseline, else -EINVAL: nr_sockets out of range,
 * watts negative, not finite or above BASELINE_MAX_WATTS, percents negative
 * or not finite, period or timestamp negative or not finite.
 */
int baseline_check(const struct baseline *b, char *err, size_t errlen);

/*
 * Parse len bytes of JSON (no NUL needed). -EINVAL with a message for
 * empty, truncated or corrupt JSON, trailing garbage, a missing key, a
 * wrong type, arrays of different lengths, more than ENERGAT_MAX_SOCKETS
 * entries, or anything baseline_check() refuses. b is zeroed first.
 */
int baseline_parse(const char *json, size_t len, struct baseline *b, char *err, size_t errlen);

/* Pretty JSON plus a newline; returns its length, -ENOSPC, or -EINVAL when
 * baseline_check() refuses b. Numbers round-trip exactly. */
int baseline_format(const struct baseline *b, char *buf, size_t len);

/*
 * Read and parse path: -ENOENT when it does not exist, -EFBIG when larger
 * than BASELINE_MAX_FILE_SIZE, -EINVAL for a non-regular file or bad
 * content, another -errno when it cannot be read.
 */
int baseline_load(const char *path, struct baseline *b, char *err, size_t errlen);

/*
 * Write path atomically: parent directories created (0755), a temporary
 * file in the same directory written, fsync()ed, given mode 0644 and
 * renamed over path, then the directory fsync()ed. Readers see the old
 * file or the new one, never a part. No temporary file is left behind.
 */
int baseline_save(const char *path, const struct baseline *b);

#endif /* ENERGAT_BASELINE_H */
