/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The Prometheus sink: every interval_result is booked into the exporter's
 * counters (prom_format.c) and the new exposition is published to the HTTP
 * server (prom_http.c), which serves it on http://ADDR:PORT/metrics from its
 * own thread. The session keeps running in the caller's thread.
 *
 * Cardinality knobs, from the environment until they have CLI options:
 *   ENERGAT_PROM_MIN_SHARE       fold processes below this share of an
 *                                interval's energy into comm="other" (0..1,
 *                                default 0.01)
 *   ENERGAT_PROM_EXPIRE_SEC      drop an exited process's series after this
 *                                many seconds (default 120)
 *   ENERGAT_PROM_MAX_PROCESSES   at most this many processes with series of
 *                                their own (default 500)
 */
#ifndef ENERGAT_PROM_H
#define ENERGAT_PROM_H

#include <signal.h>
#include <stddef.h>
#include "options.h"
#include "result.h"

struct prom_sink;
struct prom_config;

/*
 * The exporter's settings from o (gamma, mode, baseline) and the
 * environment above. 0 or -EINVAL with err naming the bad variable.
 */
int prom_config_from_options(const struct options *o, struct prom_config *cfg, char *err,
			     size_t errlen);

/*
 * Listen on o->prom_addr:o->prom_port and serve an empty exposition until
 * the first interval. err gets one line (e.g. the port is in use).
 */
int prom_sink_open(const struct options *o, struct prom_sink **out, char *err, size_t errlen);

/* session_sink_fn: book r and publish. Never stops the session (0), warns once on failure. */
int prom_sink_write(void *ctx, const struct interval_result *r);

/* The port actually bound (o->prom_port, or the kernel's choice for 0). */
int prom_sink_port(const struct prom_sink *ps);

/* Stop serving and free; NULL-safe. */
void prom_sink_close(struct prom_sink *ps);

/*
 * MODE_EXPORTER: system-wide tracing whose only output is /metrics, until
 * *stop is set or --duration ends. Returns the process exit status.
 */
int run_exporter(const struct options *o, volatile sig_atomic_t *stop);

#endif /* ENERGAT_PROM_H */
