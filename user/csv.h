/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * CSV output (model.md §7): RFC 4180 formatting (pure) and an append-only
 * writer that puts every row on disk as soon as it is computed.
 *
 * Numbers: integers with %d; every double in its shortest form that
 * strtod() reads back to the same double (%.15g, else %.16g, else %.17g),
 * like Python's repr() and so like the prototype's pandas files. Values
 * re-read from a file are bit-identical, so sums re-add exactly; -0 is
 * written as 0; NaN and infinities as nan, inf, -inf.
 *
 * Semantics of the columns the caller fills (see model.md §4, §7):
 *   time               wall-clock epoch seconds at the end of the interval
 *   *_credit_frac      f_cpu and f_mem of the target (0..1)
 *   total/base/ascribed/tracer_*_joules  E, B, A and the tracer's A
 *   pkg_percent        the socket's host CPU utilisation over the interval,
 *                      100 * H[s] / (online CPUs of s * dt), and
 *   dram_percent       the socket's memory utilisation,
 *                      100 * MemUsed / MemTotal over its nodes.
 * The two percent columns keep the prototype's meaning (its
 * check_baseline_power(): the same quantities as pkg_base_percents and
 * dram_base_percents in the baseline file, so a reader can see whether the
 * host was busier than when the baseline was measured). They are NOT
 * ascribed / total: that ratio is already in the other columns.
 * model_percent() computes either ratio with a 0 for an empty whole.
 */
#ifndef ENERGAT_CSV_H
#define ENERGAT_CSV_H

#include <stddef.h>

/* Column names exactly as model.md §7, comma-separated, no newline. */
extern const char csv_target_header[];
extern const char csv_thread_header[];

struct csv_target_row {
	double time;
	int socket;
	double duration_sec;
	int num_proc, num_threads;
	double pkg_credit_frac, dram_credit_frac;
	double total_pkg_joules, total_dram_joules;
	double base_pkg_joules, base_dram_joules;
	double ascribed_pkg_joules, ascribed_dram_joules;
	double tracer_pkg_joules, tracer_dram_joules;
	double pkg_percent, dram_percent;
};

struct csv_thread_row {
	double time;
	int socket;
	int pid, tid;
	const char *comm; /* any bytes; quoted as needed; NULL is an empty field */
	double cpu_sec;
	double pkg_credit_frac;
	double ascribed_pkg_joules, ascribed_dram_joules;
};

/*
 * Pure formatters. Each returns the length written (without the NUL) or
 * -ENOSPC when buf is too small; buf is always NUL-terminated when len > 0.
 * Rows come without a trailing newline.
 */
int csv_quote(const char *in, char *out, size_t outlen);
int csv_format_double(double v, char *buf, size_t len);
int csv_format_target_row(const struct csv_target_row *r, char *buf, size_t len);
int csv_format_thread_row(const struct csv_thread_row *r, char *buf, size_t len);

/*
 * "energat_<kind>_<name>.csv" (kind "traces" or "threads"). -EINVAL when
 * name is empty or holds a '/' (it comes from --name and must stay inside
 * the output directory), -ENOSPC when buf is too small.
 */
int csv_filename(const char *kind, const char *name, char *buf, size_t len);

/*
 * mkdir -p: create path and its missing parents with mode (minus umask).
 * 0 when path ends up a directory, else a negative errno.
 */
int csv_mkdir_p(const char *path, unsigned int mode);

/*
 * Append-only writer for DIR/FILENAME.
 * - DIR is created (mode 0750, parents too) when missing.
 * - The file is opened O_APPEND | O_NOFOLLOW | O_CLOEXEC, created with mode
 *   0640 (less if the umask says so). A symlink in its place is refused
 *   (-ELOOP), so are a non-regular file (-EINVAL) and a file with several
 *   hard links (-EMLINK): root must not write through planted names.
 * - An empty file gets the header; an existing one must start with the
 *   same header (-EINVAL otherwise), and a torn last line (crash mid-write)
 *   is ended before the next row.
 * - Each row is a single write(2) of line + "\n": it is in the page cache
 *   when csv_writer_row() returns, and nothing waits in a stdio buffer
 *   that a crash or a full disk could lose or cut in half.
 * Errors are negative errno values (e.g. -ENOSPC, -EFBIG from the write).
 */
struct csv_writer;

int csv_writer_open(const char *dir, const char *filename, const char *header,
		    struct csv_writer **out);
int csv_writer_row(struct csv_writer *w, const char *line);
/* fsync()s and closes; NULL-safe; returns the first error seen. */
int csv_writer_close(struct csv_writer *w);

#endif /* ENERGAT_CSV_H */
