// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* energat-bpf: per-thread, per-socket energy attribution with BPF. */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <bpf/libbpf.h>
#include "basepower.h"
#include "check.h"
#include "options.h"
#include "privdrop.h"
#include "prom.h"
#include "session.h"
#include "sink_csv.h"
#include "top.h"

#define ENERGAT_VERSION "0.1.0"

static volatile sig_atomic_t stop;
static int verbosity;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

/* SIGCHLD only needs to interrupt the wait, so the command's exit is seen at once. */
static void on_child(int sig)
{
	(void)sig;
}

static void install_signals(void)
{
	struct sigaction sa = { 0 };

	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_child;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
}

/* libbpf's warnings (the verifier log among them) at -v, its debug output at -vv. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if ((level == LIBBPF_DEBUG && verbosity < 2) || verbosity < 1)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int exit_status(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return 1;
}

static int run_trace(const struct options *o)
{
	struct prom_sink *prom = NULL;
	struct sink_csv csv;
	struct session *s = NULL;
	char err[512], name[64];
	int ret, status = 1;

	ret = session_open(o, &s, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "energat-bpf: %s\n", err);
		return 1;
	}
	if (!strcmp(session_meter_name(s), "model"))
		fprintf(stderr, "energat-bpf: warning: meter=model: %s; energy is estimated\n",
			session_meter_why(s));
	snprintf(name, sizeof(name), "target-%d", session_target_pid(s));
	ret = sink_csv_open(&csv, o->output_dir, o->name ? o->name : name, o->threads_csv, err,
			    sizeof(err));
	if (ret) {
		fprintf(stderr, "energat-bpf: %s\n", err);
		session_close(s);
		return 1;
	}
	session_add_sink(s, sink_csv_write, &csv);
	if (o->prom_port) {
		ret = prom_sink_open(o, &prom, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "energat-bpf: %s\n", err);
			sink_csv_close(&csv);
			session_close(s);
			return 1;
		}
		session_add_sink(s, prom_sink_write, prom);
	}
	ret = drop_to_user(o->user, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "energat-bpf: %s\n", err);
		sink_csv_close(&csv);
		prom_sink_close(prom);
		session_close(s);
		return 1;
	}
	if (o->verbose)
		fprintf(stderr, "energat-bpf: tracing PID %d (%s, meter=%s), interval %.3g s\n",
			session_target_pid(s), session_tracer_flavour(s), session_meter_name(s),
			o->interval);
	while ((ret = session_step(s, &stop)) > 0)
		;
	if (ret < 0)
		fprintf(stderr, "energat-bpf: tracing failed: %s (results so far are saved)\n",
			strerror(-ret));
	else if (o->verbose)
		fprintf(stderr, "energat-bpf: %s\n", session_end_reason(s));
	if (o->mode == MODE_CMD && session_child_status(s) >= 0)
		status = exit_status(session_child_status(s));
	else
		status = ret < 0;
	if (sink_csv_close(&csv)) {
		fprintf(stderr, "energat-bpf: failed to complete the output files\n");
		status = status ? status : 1;
	}
	sink_csv_summary(&csv, stderr);
	session_close(s);
	prom_sink_close(prom);
	return status;
}

int main(int argc, char **argv)
{
	struct options o;
	char err[512];
	int ret;

	/*
	 * Per-thread tables follow the threads alive: a fixed mmap threshold
	 * keeps the large ones in their own mappings, so shrinking one after a
	 * burst of threads gives the memory back (glibc's sliding threshold
	 * would move them to the heap, where freed pages stay resident). Fixing
	 * it also fixes the heap's trim threshold at 128 KiB, which returned and
	 * faulted back the pages of each interval's small objects (7% of the
	 * tracer's CPU under churn): a few MiB of free heap may stay.
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
	options_defaults(&o);
	ret = options_parse(argc, argv, &o, err, sizeof(err));
	if (!ret && o.config_path && !o.show_help && !o.show_version)
		ret = options_load_config(&o, o.config_path, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "energat-bpf: %s\n", err);
		options_free(&o);
		return 2;
	}
	if (o.show_help) {
		options_print_help(stdout);
		return 0;
	}
	if (o.show_version) {
		printf("energat-bpf %s (libbpf %s)\n", ENERGAT_VERSION, libbpf_version_string());
		return 0;
	}
	verbosity = o.verbose;
	libbpf_set_print(libbpf_print);
	install_signals();

	switch (o.mode) {
	case MODE_CHECK:
		ret = run_check(&o, stdout);
		break;
	case MODE_BASEPOWER:
		ret = run_basepower(&o, &stop);
		break;
	case MODE_PID:
	case MODE_CMD:
		ret = run_trace(&o);
		break;
	case MODE_TOP:
		ret = run_top(&o, &stop);
		break;
	case MODE_EXPORTER:
		ret = run_exporter(&o, &stop);
		break;
	default:
		fprintf(stderr, "energat-bpf: nothing to do (see --help)\n");
		ret = 2;
	}
	options_free(&o);
	return ret;
}
