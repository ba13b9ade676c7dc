/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef ENERGAT_BASEPOWER_H
#define ENERGAT_BASEPOWER_H

#include <signal.h>
#include "options.h"

/* Threshold above which the machine was too busy for a baseline: warn. */
#define BASEPOWER_BUSY_PERCENT 10.0

/*
 * --basepower: measure mean package and DRAM watts per socket for
 * --base-period seconds with the active meter and write --basefile
 * (model.md §5). Returns a process exit status.
 */
int run_basepower(const struct options *o, volatile sig_atomic_t *stop);

#endif
