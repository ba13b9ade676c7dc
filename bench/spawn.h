/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Benchmark workloads started on a signal, so setup is not measured. */
#ifndef ENERGAT_BENCH_SPAWN_H
#define ENERGAT_BENCH_SPAWN_H

#include <sys/types.h>

/*
 * A child that execs argv once a byte arrives on *go. quiet sends its
 * stdout to /dev/null (the caller's stdout carries a result).
 */
pid_t spawn_held(char **argv, int quiet, int *go);

#endif
