/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The CSV sink (model.md §7): target rows, thread rows, and the totals for the exit summary. */
#ifndef ENERGAT_SINK_CSV_H
#define ENERGAT_SINK_CSV_H

#include <stdio.h>
#include "result.h"

struct csv_writer;

struct sink_csv {
	struct csv_writer *target, *threads;
	char target_path[4096], threads_path[4096];
	/* Totals for the summary. */
	int nr_sockets, intervals;
	double duration;
	const char *meter;
	int estimated;
	double total_pkg[ENERGAT_MAX_SOCKETS], total_dram[ENERGAT_MAX_SOCKETS];
	double base_pkg[ENERGAT_MAX_SOCKETS], base_dram[ENERGAT_MAX_SOCKETS];
	double asc_pkg[ENERGAT_MAX_SOCKETS], asc_dram[ENERGAT_MAX_SOCKETS];
	double tracer_pkg[ENERGAT_MAX_SOCKETS], tracer_dram[ENERGAT_MAX_SOCKETS];
	double target_cpu_sec;
};

/* threads: also write the per-thread file. err gets one line on failure. */
int sink_csv_open(struct sink_csv *c, const char *dir, const char *name, int threads, char *err,
		  size_t errlen);
int sink_csv_write(void *ctx, const struct interval_result *r);
void sink_csv_summary(const struct sink_csv *c, FILE *f);
/* Returns the first write error seen, if any. */
int sink_csv_close(struct sink_csv *c);

#endif
