/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `energat-bpf top` (issue 5): a system-wide per-thread energy view. One
 * session (baseline 0 W: a live view) feeds a sink that turns each interval
 * into rows (user/top_model.c); they go to stdout as text or JSON lines in
 * batch mode (-b, --json) or to an ncurses screen (user/top_ui.c).
 */
#ifndef ENERGAT_TOP_H
#define ENERGAT_TOP_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include "options.h"
#include "top_model.h"

/*
 * Run the view until *stop, q, or o->top_count refreshes. Prints errors
 * itself. Returns the process exit status: 0, or 1 on failure.
 */
int run_top(const struct options *o, volatile sig_atomic_t *stop);

/* ---- shared by user/top.c and user/top_ui.c only ---- */

struct session;

struct top_ctx {
	const struct options *o;
	struct session *s;
	const char *meter_why;
	struct top_model model; /* written by the sink */
	pthread_mutex_t lock; /* interactive: guards model.cur against the screen */
	int notify_fd; /* interactive: a byte per interval, -1 in batch mode */
	volatile sig_atomic_t quit; /* interactive: asks the session loop to stop */
	int intervals; /* emitted so far */
	/* Metadata caches: pid -> struct top_pid_info, uid -> user name. */
	struct top_map pids, users;
	struct top_meta *meta;
	size_t cap_meta;
};

/* Step the session until it ends, *stop, or top_count. Returns 0 or a negative errno. */
int top_run_session(struct top_ctx *c, volatile sig_atomic_t *stop);

/* The ncurses view (user/top_ui.c). Returns the process exit status. */
int top_ui_run(struct top_ctx *c, volatile sig_atomic_t *stop);

#endif /* ENERGAT_TOP_H */
