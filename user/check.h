/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef ENERGAT_CHECK_H
#define ENERGAT_CHECK_H

#include <stdio.h>
#include "options.h"

/*
 * --check: report what tracing would use on this machine. Returns 0 only
 * when tracing can work; otherwise 1, with each failing item named and
 * what to do.
 */
int run_check(const struct options *o, FILE *f);

#endif
