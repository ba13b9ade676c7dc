/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A tracing session: topology, meter, baseline, BPF tracer and the model,
 * stepped one interval at a time. Each interval becomes one
 * struct interval_result handed to every sink. The CLI, the top view, the
 * exporter and the library API are all users of this.
 */
#ifndef ENERGAT_SESSION_H
#define ENERGAT_SESSION_H

#include <signal.h>
#include <stddef.h>
#include "options.h"
#include "result.h"

struct session;
struct topology;

typedef int (*session_sink_fn)(void *ctx, const struct interval_result *r);

/*
 * Open everything o asks for. MODE_CMD forks the command, held until
 * tracing runs. Needs root. err gets one line naming the cause.
 */
int session_open(const struct options *o, struct session **out, char *err, size_t errlen);

/* Sinks run in the order added; a sink's error stops the session. */
int session_add_sink(struct session *s, session_sink_fn fn, void *ctx);

/*
 * Wait for the end of the current interval (or a stop: *stop set, target
 * gone, --duration reached), then compute it and feed the sinks.
 * Returns 1 while the session goes on, 0 when it is over (the last,
 * possibly partial, interval has been emitted), or a negative errno.
 */
int session_step(struct session *s, volatile sig_atomic_t *stop);

/* Why the session ended, e.g. "target exited"; NULL while it runs. */
const char *session_end_reason(const struct session *s);

/* MODE_CMD: the command's wait status once it exited, else -1. */
int session_child_status(const struct session *s);

/* The traced PID (MODE_CMD: the command's), 0 system-wide. */
int session_target_pid(const struct session *s);
const struct topology *session_topology(const struct session *s);
const char *session_meter_name(const struct session *s);
/* The meter's reason for its choice (e.g. why the model meter is used). */
const char *session_meter_why(const struct session *s);
const char *session_tracer_flavour(const struct session *s);

/*
 * Only a signal sets session_step()'s stop flag (and interrupts its wait):
 * without a target to watch, the wait then lasts to the boundary instead of
 * waking every 100 ms, which at 10,000 threads was a fifth of the exporter's
 * CPU time on a VM.
 */
void session_wait_for_signals(struct session *s);

/* Kills a command still held or running (MODE_CMD) and frees everything. NULL-safe. */
void session_close(struct session *s);

#endif
