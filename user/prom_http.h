/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The exporter's HTTP side (libmicrohttpd): serves the latest published
 * exposition on /metrics from its own thread, so a scrape never waits for
 * an interval and an interval never waits for a scrape.
 */
#ifndef ENERGAT_PROM_HTTP_H
#define ENERGAT_PROM_HTTP_H

#include <stddef.h>

struct prom_server;

/*
 * Listen on addr ("127.0.0.1", "::1", "0.0.0.0", "::", "localhost" = 127.0.0.1)
 * and port (0: any free port, see prom_server_port). err names the cause.
 * Returns 0 or a negative errno (e.g. -EADDRINUSE).
 */
int prom_server_start(const char *addr, int port, struct prom_server **out, char *err,
		      size_t errlen);

/* Replace the text served on /metrics (copied). 0 or -ENOMEM. */
int prom_server_publish(struct prom_server *srv, const char *text, size_t len);

/* The port actually bound. */
int prom_server_port(const struct prom_server *srv);

/* Scrapes answered so far. */
unsigned long long prom_server_scrapes(struct prom_server *srv);

/* Stop serving and free; NULL-safe. */
void prom_server_stop(struct prom_server *srv);

#endif /* ENERGAT_PROM_HTTP_H */
