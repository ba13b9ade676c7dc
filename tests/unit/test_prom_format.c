// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The exporter's state and text exposition: escaping, folding, expiry, the model's numbers. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "prom_format.h"

/* ---- helpers ------------------------------------------------------------ */

struct fake {
	struct interval_result r;
	struct thread_result t[16];
};

/* Two sockets, 10 J dynamic package energy and 2 J DRAM each, H = 1 s per socket. */
static void fake_init(struct fake *f, double time)
{
	int s;

	memset(f, 0, sizeof(*f));
	f->r.time = time;
	f->r.dt_sec = 1;
	f->r.nr_sockets = 2;
	f->r.meter = "model";
	f->r.estimated = 1;
	f->r.threads = f->t;
	for (s = 0; s < 2; s++) {
		f->r.has_dram[s] = 1;
		f->r.energy.total_pkg[s] = 10;
		f->r.energy.dyn_pkg[s] = 10;
		f->r.energy.total_dram[s] = 2;
		f->r.energy.dyn_dram[s] = 2;
		f->r.host_busy_ns[s] = 1e9;
	}
}

static struct thread_result *fake_thread(struct fake *f, int pid, int tid, const char *comm,
					 double ns0, double ns1)
{
	struct thread_result *t = &f->t[f->r.nr_threads++];

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->tid = tid;
	strncpy(t->comm, comm, sizeof(t->comm) - 1);
	t->cpu_ns[0] = ns0;
	t->cpu_ns[1] = ns1;
	return t;
}

static struct prom_config cfg_gamma1(void)
{
	struct prom_config c;

	prom_config_default(&c);
	c.gamma = 1; /* proportional: numbers checkable by hand */
	c.version = "9.9";
	return c;
}

static char *format(const struct prom_state *st)
{
	static struct prom_buf b;

	assert_int_equal(prom_format(st, &b), 0);
	return b.p;
}

/* The value of the sample line starting with exactly `series` followed by a space, or NAN. */
static double sample(const char *text, const char *series)
{
	size_t n = strlen(series);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, series, n) && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NAN;
}

static int has_line_prefix(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, prefix, n))
			return 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

static void near(double a, double b, int line)
{
	if (!(fabs(a - b) < 1e-9 * (1 + fabs(b))))
		fail_msg("line %d: got %.17g, want %.17g", line, a, b);
}

#define assert_near(a, b) near((a), (b), __LINE__)

/*
 * An independent check of the text format (version 0.0.4): every line is a
 * HELP, a TYPE or a sample; names are [a-zA-Z_:][a-zA-Z0-9_:]*; label values
 * hold only the three escapes; a family's HELP and TYPE come once, before
 * its samples; a counter's name ends in _total; values parse as floats.
 */
static int valid_name(const char **s)
{
	const char *p = *s;

	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || *p == ':'))
		return 0;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
	       *p == '_' || *p == ':')
		p++;
	*s = p;
	return 1;
}

static void check_exposition(const char *text)
{
	char family[128] = "", type[16] = "";
	const char *line = text;
	int seen_help = 0, nr_samples = 0;

	assert_true(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
	while (*line) {
		const char *end = strchr(line, '\n'), *p = line, *name;
		char *num_end;

		assert_non_null(end);
		if (!strncmp(p, "# HELP ", 7)) {
			p += 7;
			name = p;
			assert_true(valid_name(&p));
			/* A new family: its name may not have been used before. */
			assert_false(strlen(family) == (size_t)(p - name) &&
				     !strncmp(family, name, p - name));
			snprintf(family, sizeof(family), "%.*s", (int)(p - name), name);
			assert_int_equal(*p, ' ');
			assert_null(memchr(p, '\\', end - p));
			seen_help = 1;
			type[0] = '\0';
		} else if (!strncmp(p, "# TYPE ", 7)) {
			p += 7;
			assert_true(seen_help);
			assert_int_equal(strncmp(p, family, strlen(family)), 0);
			p += strlen(family);
			assert_int_equal(*p++, ' ');
			snprintf(type, sizeof(type), "%.*s", (int)(end - p), p);
			assert_true(!strcmp(type, "counter") || !strcmp(type, "gauge"));
			if (!strcmp(type, "counter"))
				assert_string_equal(family + strlen(family) - 6, "_total");
		} else {
			assert_true(type[0]);
			name = p;
			assert_true(valid_name(&p));
			assert_int_equal((size_t)(p - name), strlen(family));
			assert_int_equal(strncmp(name, family, p - name), 0);
			if (*p == '{') {
				p++;
				for (;;) {
					assert_true(valid_name(&p));
					assert_int_equal(*p++, '=');
					assert_int_equal(*p++, '"');
					while (*p != '"') {
						assert_true(p < end);
						if (*p == '\\') {
							p++;
							assert_true(*p == '\\' || *p == '"' ||
								    *p == 'n');
						}
						p++;
					}
					p++;
					if (*p == '}')
						break;
					assert_int_equal(*p++, ',');
				}
				p++;
			}
			assert_int_equal(*p++, ' ');
			if (strncmp(p, "NaN", 3) && strncmp(p, "+Inf", 4) &&
			    strncmp(p, "-Inf", 4)) {
				strtod(p, &num_end);
				assert_ptr_equal(num_end, end);
			}
			nr_samples++;
		}
		line = end + 1;
	}
	assert_true(nr_samples > 0);
}

/* ---- escaping and values -------------------------------------------------- */

static void test_escape(void **state)
{
	char out[64];
	int n;

	(void)state;
	n = prom_escape_label("a\"b\\c\nd", 7, out, sizeof(out));
	assert_string_equal(out, "a\\\"b\\\\c\\nd");
	assert_int_equal(n, (int)strlen(out));
	/* Tabs, spaces, commas and braces are fine as they are. */
	prom_escape_label("x y,\t{}=", 8, out, sizeof(out));
	assert_string_equal(out, "x y,\t{}=");
	/* Valid UTF-8 passes; invalid bytes and a cut sequence become U+FFFD. */
	prom_escape_label("\xc3\xa9t\xc3\xa9", 6, out, sizeof(out));
	assert_string_equal(out, "\xc3\xa9t\xc3\xa9");
	prom_escape_label("a\xff"
			  "b\xe2\x82",
			  5, out, sizeof(out));
	assert_string_equal(out, "a\xef\xbf\xbd"
				 "b\xef\xbf\xbd\xef\xbf\xbd");
	/* Overlong encodings and surrogates are not UTF-8 either. */
	prom_escape_label("\xc0\xaf\xed\xa0\x80", 5, out, sizeof(out));
	assert_int_equal(strlen(out), 5 * 3);
	/* Stops at inlen, not at a NUL. */
	prom_escape_label("abc", 2, out, sizeof(out));
	assert_string_equal(out, "ab");
	/* Room for the escapes and the NUL, or -ENOSPC. */
	assert_int_equal(prom_escape_label("\"\"", 2, out, 4), -ENOSPC);
	assert_int_equal(prom_escape_label("\"\"", 2, out, 5), 4);
	assert_int_equal(prom_escape_label("", 0, out, 1), 0);
	assert_int_equal(prom_escape_label("a", 1, out, 1), -ENOSPC);
}

static void test_values(void **state)
{
	char buf[48];

	(void)state;
	prom_format_value(NAN, buf, sizeof(buf));
	assert_string_equal(buf, "NaN");
	prom_format_value(INFINITY, buf, sizeof(buf));
	assert_string_equal(buf, "+Inf");
	prom_format_value(-INFINITY, buf, sizeof(buf));
	assert_string_equal(buf, "-Inf");
	prom_format_value(0.1, buf, sizeof(buf));
	assert_string_equal(buf, "0.1");
	prom_format_value(-0.0, buf, sizeof(buf));
	assert_string_equal(buf, "0");
	prom_format_value(1e300, buf, sizeof(buf));
	assert_true(strtod(buf, NULL) == 1e300);
	assert_int_equal(prom_format_value(NAN, buf, 3), -ENOSPC);
}

/* ---- accumulation and the text ------------------------------------------- */

static void test_before_first_interval(void **state)
{
	struct prom_config c = cfg_gamma1();
	struct prom_state st;
	char *t;

	(void)state;
	prom_state_init(&st, &c);
	t = format(&st);
	check_exposition(t);
	assert_true(has_line_prefix(t, "# TYPE energat_meter_info gauge"));
	assert_false(has_line_prefix(t, "energat_meter_info{"));
	assert_near(sample(t, "energat_intervals_total"), 0);
	assert_near(sample(t, "energat_baseline_info{baseline=\"zero\"}"), 1);
	assert_near(sample(t, "energat_build_info{version=\"9.9\"}"), 1);
	prom_state_free(&st);
}

static void test_sockets_meter_and_model(void **state)
{
	struct prom_config c = cfg_gamma1();
	struct prom_state st;
	struct fake f;
	char *t;
	int i;

	(void)state;
	prom_state_init(&st, &c);
	for (i = 0; i < 3; i++) {
		fake_init(&f, 1000 + i);
		f.r.energy.base_pkg[0] = 1;
		f.r.energy.dyn_pkg[0] = 9;
		fake_thread(&f, 100, 100, "burner", 0.8e9, 0);
		fake_thread(&f, 100, 101, "burner-2", 0, 0.5e9);
		f.t[1].dram_j[1] = 0.25;
		assert_int_equal(prom_state_update(&st, &f.r, NULL, NULL), 0);
	}
	t = format(&st);
	check_exposition(t);
	assert_near(sample(t, "energat_meter_info{meter=\"model\",estimated=\"1\"}"), 1);
	assert_near(sample(t, "energat_intervals_total"), 3);
	assert_near(sample(t, "energat_socket_energy_joules_total{socket=\"0\",zone=\"package\","
			      "kind=\"total\",meter=\"model\"}"),
		    30);
	assert_near(sample(t, "energat_socket_energy_joules_total{socket=\"0\",zone=\"package\","
			      "kind=\"baseline\",meter=\"model\"}"),
		    3);
	assert_near(sample(t, "energat_socket_energy_joules_total{socket=\"0\",zone=\"package\","
			      "kind=\"dynamic\",meter=\"model\"}"),
		    27);
	assert_near(sample(t, "energat_socket_energy_joules_total{socket=\"1\",zone=\"dram\","
			      "kind=\"total\",meter=\"model\"}"),
		    6);
	assert_near(sample(t, "energat_socket_busy_cpu_seconds_total{socket=\"1\"}"), 3);
	/* gamma = 1: 9 J x 0.8 per interval on socket 0, 10 J x 0.5 on socket 1. */
	assert_near(sample(t, "energat_process_energy_joules_total{pid=\"100\",comm=\"burner\","
			      "socket=\"0\",zone=\"package\",meter=\"model\"}"),
		    3 * 7.2);
	assert_near(sample(t, "energat_process_energy_joules_total{pid=\"100\",comm=\"burner\","
			      "socket=\"1\",zone=\"package\",meter=\"model\"}"),
		    3 * 5.0);
	assert_near(sample(t, "energat_process_energy_joules_total{pid=\"100\",comm=\"burner\","
			      "socket=\"1\",zone=\"dram\",meter=\"model\"}"),
		    0.75);
	assert_near(sample(t, "energat_process_cpu_seconds_total{pid=\"100\",comm=\"burner\","
			      "socket=\"0\"}"),
		    2.4);
	/* No target mode: no target families. */
	assert_false(has_line_prefix(t, "# TYPE energat_target_energy_joules_total"));
	prom_state_free(&st);
}

static void test_gamma_concave(void **state)
{
	struct prom_config c = cfg_gamma1();
	struct prom_state st;
	struct fake f;
	char *t;

	(void)state;
	c.gamma = 0.3;
	prom_state_init(&st, &c);
	fake_init(&f, 1);
	/* Two threads of one process: the credit is the process's, (0.2 + 0.3)^0.3, not a sum. */
	fake_thread(&f, 7, 7, "p", 0.2e9, 0);
	fake_thread(&f, 7, 8, "p", 0.3e9, 0);
	assert_int_equal(prom_state_update(&st, &f.r, NULL, NULL), 0);
	t = format(&st);
	assert_near(sample(t, "energat_process_energy_joules_total{pid=\"7\",comm=\"p\","
			      "socket=\"0\",zone=\"package\",meter=\"model\"}"),
		    10 * pow(0.5, 0.3));
	assert_near(sample(t, "energat_model_info{gamma=\"0.3\"}"), 1);
	prom_state_free(&st);
}

static void test_label_escaping_in_output(void **state)
{
	struct prom_config c = cfg_gamma1();
	struct prom_state st;
	struct fake f;
	char *t;

	(void)state;
	prom_state_init(&st, &c);
	fake_init(&f, 1);
	fake_thread(&f, 42, 42, "a\"b\\c\nd e,f", 0.5e9, 0);
	fake_thread(&f, 43, 43, "bad\xff", 0.4e9, 0);
	assert_int_equal(prom_state_update(&st, &f.r, NULL, NULL), 0);
	t = format(&st);
	check_exposition(t);
	assert_near(sample(t, "energat_process_cpu_seconds_total{pid=\"42\","
			      "comm=\"a\\\"b\\\\c\\nd e,f\",socket=\"0\"}"),
		    0.5);
	assert_near(sample(t, "energat_process_cpu_seconds_total{pid=\"43\","
			      "comm=\"bad\xef\xbf\xbd\",socket=\"0\"}"),
		    0.4);
	prom_state_free(&st);
}

static void test_folding_into_other(void **state)
{
	struct prom_config c = cfg_gamma1();
	struct prom_state st;
	struct fake f;
	char *t;

	(void)state;
	c.min_share = 0.05; /* of 20 J package energy per interval: 1 J */
	prom_state_init(&st, &c);
	fake_init(&f, 1);
	fake_thread(&f, 10, 10, "big", 0.9e9, 0); /* 9 J */
	fake_thread(&f, 11, 11, "small", 0.05e9, 0); /* 0.5 J */
	fake_thread(&f, 12, 12, "tiny", 0.03e9, 0); /* 0.3 J */
	assert_int_equal(prom_state_update(&st, &f.r, NULL, NULL), 0);
	t = format(&st);
	check_exposition(t);
	assert_near(sample(t, "energat_process_energy_joules_total{pid=\"10\",comm=\"big\","
			      "socket=\"0\",zone=\"package\",meter=\"model\"}"),
		    9);
	assert_false(has_line_prefix(t, "energat_process_energy_joules_total{pid=\"11\""));
	assert_false(has_line_prefix(t, "energat_process_cpu_seconds_total{pid=\"12\""));
	assert_near(sample(t, "energat_process_energy_joules_total{pid=\"\",comm=\"other\","
			      "socket=\"0\",zone=\"package\",meter=\"model\"}"),
		    0.8);
	assert_near(sample(t, "energat_process_cpu_seconds_total{pid=\"\",comm=\"other\","
			      "socket=\"0\"}"),
		    0.08);
	assert_near(sample(t, "energat_processes{state=\"exposed\"}"), 1);
	assert_near(sample(t, "energat_processes{state=\"folded\"}"), 2);

	/* "small" grows above the threshold: its own series from then on; "other" keeps the past. */
	fake_init(&f, 2);
	fake_thread(&f, 11, 11, "small", 0.5e9, 0); /* 5 J */
	fake_thread(&f, 12, 12, "tiny", 0.03e9, 0);
	assert_int_equal(prom_state_update(&st, &f.r, NULL, NULL), 0);
	t = format(&st);
	assert_near(sample(t, "energat_process_energy_joules_total{pid=\"11\",comm=\"small\","
			      "socket=\"0\",zone=\"package\",meter=\"model\"}"),
		    5);
	assert_near(sample(t, "energat_process_energy_joules_total{pid=\"\",comm=\"other\","
			      "socket=\"0\",zone=\"package\",meter=\"model\"}"),
		    1.1);

	/* Exposed stays exposed when it goes quiet: counters must not jump between series. */
	fake_init(&f, 3);
	fake_thread(&f, 11, 11, "small", 0.01e9, 0);
	assert_int_equal(prom_state_update(&st, &f.r, NULL, NULL), 0);
	t = format(&st);
	assert_near(sample(t, "energat_process_energy_joules_total{pid=\"11\",comm=\"small\","
			      "socket=\"0\",zone=\"package\",meter=\"model\"}"),
		    5.1);
	assert_near(sample(t, "energat_process_energy_joules_total{pid=\"\",comm=\"other\","
			      "socket=\"0\",zone=\"package\",meter=\"model\"}"),
		    1.1);
	prom_state_free(&st);
}

/* The folding share is CPU-proportional, whatever gamma does to the ascribed energy. */
static void test_folding_share_ignores_gamma(void **state)
{
	struct prom_config c = cfg_gamma1();
	struct prom_state st;
	struct fake f;
	char *t;

	(void)state;
	c.gamma = 0.3;
	c.min_share = 0.01;
	prom_state_init(&st, &c);
	fake_init(&f, 1);
	fake_thread(&f, 10, 10, "busy", 0.9e9, 0);
	/* 0.1% of socket 0: ascribed 10 J x 0.001^0.3 = 1.26 J, 6% of 20 J, but folded. */
	fake_thread(&f, 11, 11, "light", 0.001e9, 0);
	/* 2.5% of socket 0 and 0: 0.25 J proportional of 20 J = 1.25%: exposed. */
	fake_thread(&f, 12, 12, "medium", 0.025e9, 0);
	assert_int_equal(prom_state_update(&st, &f.r, NULL, NULL), 0);
	t = format(&st);
	assert_false(has_line_prefix(t, "energat_process_cpu_seconds_total{pid=\"11\""));
	assert_true(has_line_prefix(t, "energat_process_cpu_seconds_total{pid=\"12\""));
	assert_near(sample(t, "energat_process_energy_joules_total{pid=\"\",comm=\"other\","
			      "socket=\"0\",zone=\"package\",meter=\"model\"}"),
		    10 * pow(0.001, 0.3));
	prom_state_free(&st);
}

static void test_max_processes(void **state)
{
	struct prom_config c = cfg_gamma1();
	struct prom_state st;
	struct fake f;
	char *t;
	int i;

	(void)state;
	c.min_share = 0;
	c.max_processes = 3;
	prom_state_init(&st, &c);
	fake_init(&f, 1);
	for (i = 0; i < 6; i++)
		fake_thread(&f, 100 + i, 100 + i, "w", 0.1e9, 0);
	assert_int_equal(prom_state_update(&st, &f.r, NULL, NULL), 0);
	t = format(&st);
	assert_near(sample(t, "energat_processes{state=\"exposed\"}"), 3);
	assert_true(has_line_prefix(t, "energat_process_cpu_seconds_total{pid=\"102\""));
	assert_false(has_line_prefix(t, "energat_process_cpu_seconds_total{pid=\"103\""));
	assert_near(sample(t, "energat_process_cpu_seconds_total{pid=\"\",comm=\"other\","
			      "socket=\"0\"}"),
		    0.3);
	prom_state_free(&st);
}

static void test_tracer_apart(void **state)
{
	struct prom_config c = cfg_gamma1();
	struct prom_state st;
	struct fake f;
	char *t;

	(void)state;
	c.min_share = 0;
	prom_state_init(&st, &c);
	fake_init(&f, 1);
	fake_thread(&f, 555, 555, "energat-bpf", 0.1e9, 0)->is_tracer = 1;
	f.r.tracer.pkg_j[0] = 2.5;
	f.r.tracer_cpu_ns[0] = 0.1e9;
	assert_int_equal(prom_state_update(&st, &f.r, NULL, NULL), 0);
	t = format(&st);
	assert_false(has_line_prefix(t, "energat_process_cpu_seconds_total{pid=\"555\""));
	assert_near(sample(t, "energat_tracer_energy_joules_total{socket=\"0\",zone=\"package\","
			      "meter=\"model\"}"),
		    2.5);
	assert_near(sample(t, "energat_tracer_cpu_seconds_total{socket=\"0\"}"), 0.1);
	assert_near(sample(t, "energat_processes{state=\"folded\"}"), 0);
	prom_state_free(&st);
}

static void test_target_and_baseline_file(void **state)
{
	struct prom_config c = cfg_gamma1();
	struct prom_state st;
	struct fake f;
	char *t;

	(void)state;
	c.target_mode = 1;
	c.baseline = PROM_BASELINE_FILE;
	prom_state_init(&st, &c);
	fake_init(&f, 1);
	f.r.meter = "powercap";
	f.r.estimated = 0;
	f.r.has_dram[1] = 0; /* a socket without a DRAM zone has no dram series */
	f.r.target.pkg_j[1] = 4;
	f.r.target_cpu_ns[1] = 0.4e9;
	f.r.rb_drops = 3;
	f.r.meter_anomalies = 1;
	assert_int_equal(prom_state_update(&st, &f.r, NULL, NULL), 0);
	t = format(&st);
	check_exposition(t);
	assert_near(sample(t, "energat_meter_info{meter=\"powercap\",estimated=\"0\"}"), 1);
	assert_near(sample(t, "energat_baseline_info{baseline=\"file\"}"), 1);
	assert_near(sample(t, "energat_target_energy_joules_total{socket=\"1\",zone=\"package\","
			      "meter=\"powercap\"}"),
		    4);
	assert_near(sample(t, "energat_target_cpu_seconds_total{socket=\"1\"}"), 0.4);
	assert_false(has_line_prefix(t, "energat_socket_energy_joules_total{socket=\"1\","
					"zone=\"dram\""));
	assert_true(has_line_prefix(t, "energat_socket_energy_joules_total{socket=\"0\","
				       "zone=\"dram\""));
	assert_near(sample(t, "energat_ringbuf_drops_total"), 3);
	assert_near(sample(t, "energat_meter_anomalies_total"), 1);
	prom_state_free(&st);
}

static int gone_pids[8], nr_gone;

static int fake_alive(int pid, void *ctx)
{
	int i;

	(void)ctx;
	for (i = 0; i < nr_gone; i++)
		if (gone_pids[i] == pid)
			return 0;
	return 1;
}

static void test_expiry(void **state)
{
	struct prom_config c = cfg_gamma1();
	struct prom_state st;
	struct fake f;
	char *t;

	(void)state;
	c.min_share = 0;
	c.expire_sec = 10;
	prom_state_init(&st, &c);
	fake_init(&f, 100);
	fake_thread(&f, 20, 20, "dies", 0.2e9, 0)->exited = 1;
	fake_thread(&f, 21, 21, "quiet", 0.2e9, 0);
	fake_thread(&f, 22, 22, "gone", 0.2e9, 0);
	assert_int_equal(prom_state_update(&st, &f.r, NULL, NULL), 0);
	prom_state_expire(&st, 100, fake_alive, NULL);
	/* An exited process keeps its series for expire_sec, so its last increase is scraped. */
	t = format(&st);
	assert_true(has_line_prefix(t, "energat_process_cpu_seconds_total{pid=\"20\""));
	prom_state_expire(&st, 109.9, fake_alive, NULL);
	assert_true(has_line_prefix(format(&st), "energat_process_cpu_seconds_total{pid=\"20\""));
	nr_gone = 1;
	gone_pids[0] = 22;
	prom_state_expire(&st, 110, fake_alive, NULL);
	t = format(&st);
	assert_false(has_line_prefix(t, "energat_process_cpu_seconds_total{pid=\"20\""));
	/* Quiet but alive: kept. Quiet and gone: dropped. */
	assert_true(has_line_prefix(t, "energat_process_cpu_seconds_total{pid=\"21\""));
	assert_false(has_line_prefix(t, "energat_process_cpu_seconds_total{pid=\"22\""));
	assert_near(sample(t, "energat_processes{state=\"exposed\"}"), 1);
	/* Without an alive() answer a quiet exposed process is kept. */
	prom_state_expire(&st, 1000, NULL, NULL);
	assert_int_equal(st.nr_procs, 1);
	nr_gone = 0;
	prom_state_free(&st);
}

static void test_folded_forgotten(void **state)
{
	struct prom_config c = cfg_gamma1();
	struct prom_state st;
	struct fake f;

	(void)state;
	c.min_share = 0.5;
	prom_state_init(&st, &c);
	fake_init(&f, 1);
	fake_thread(&f, 30, 30, "short", 0.01e9, 0)->exited = 1;
	fake_thread(&f, 31, 31, "idle", 0.01e9, 0);
	assert_int_equal(prom_state_update(&st, &f.r, NULL, NULL), 0);
	/* A folded process that exited is forgotten at once: it has no series to keep. */
	prom_state_expire(&st, 1, NULL, NULL);
	assert_int_equal(st.nr_procs, 1);
	/* A folded process not seen for expire_sec is forgotten without asking alive(). */
	prom_state_expire(&st, 1 + PROM_DEFAULT_EXPIRE_SEC, NULL, NULL);
	assert_int_equal(st.nr_procs, 0);
	prom_state_free(&st);
}

static int proc_comm(int pid, char *buf, size_t len, void *ctx)
{
	(void)ctx;
	if (pid != 60)
		return -ENOENT;
	snprintf(buf, len, "leader-name");
	return 0;
}

static void test_comm_change_and_pid_reuse(void **state)
{
	struct prom_config c = cfg_gamma1();
	struct prom_state st;
	struct fake f;
	char *t;

	(void)state;
	c.min_share = 0;
	prom_state_init(&st, &c);
	/* First seen through a worker thread: the comm comes from the callback (the leader's). */
	fake_init(&f, 1);
	fake_thread(&f, 60, 61, "worker", 0.1e9, 0);
	fake_thread(&f, 70, 70, "sh", 0.1e9, 0);
	assert_int_equal(prom_state_update(&st, &f.r, proc_comm, NULL), 0);
	t = format(&st);
	assert_true(has_line_prefix(t, "energat_process_cpu_seconds_total{pid=\"60\","
				       "comm=\"leader-name\""));
	/* 70 execs: a new label set, counting from zero. */
	fake_init(&f, 2);
	fake_thread(&f, 70, 70, "make", 0.3e9, 0);
	assert_int_equal(prom_state_update(&st, &f.r, proc_comm, NULL), 0);
	t = format(&st);
	assert_false(
		has_line_prefix(t, "energat_process_cpu_seconds_total{pid=\"70\",comm=\"sh\""));
	assert_near(sample(t, "energat_process_cpu_seconds_total{pid=\"70\",comm=\"make\","
			      "socket=\"0\"}"),
		    0.3);
	/* 70 exits; its PID comes back as another process before the series expired. */
	fake_init(&f, 3);
	fake_thread(&f, 70, 70, "make", 0.1e9, 0)->exited = 1;
	assert_int_equal(prom_state_update(&st, &f.r, proc_comm, NULL), 0);
	assert_near(sample(format(&st), "energat_process_cpu_seconds_total{pid=\"70\","
					"comm=\"make\",socket=\"0\"}"),
		    0.4);
	fake_init(&f, 4);
	fake_thread(&f, 70, 70, "make", 0.2e9, 0);
	assert_int_equal(prom_state_update(&st, &f.r, proc_comm, NULL), 0);
	assert_near(sample(format(&st), "energat_process_cpu_seconds_total{pid=\"70\","
					"comm=\"make\",socket=\"0\"}"),
		    0.2);
	prom_state_free(&st);
}

static void test_bad_input(void **state)
{
	struct prom_state st;
	struct fake f;

	(void)state;
	prom_state_init(&st, NULL);
	fake_init(&f, 1);
	f.r.nr_sockets = 0;
	assert_int_equal(prom_state_update(&st, &f.r, NULL, NULL), -EINVAL);
	f.r.nr_sockets = ENERGAT_MAX_SOCKETS + 1;
	assert_int_equal(prom_state_update(&st, &f.r, NULL, NULL), -EINVAL);
	fake_init(&f, 1);
	assert_int_equal(prom_state_update(&st, &f.r, NULL, NULL), 0);
	f.r.nr_sockets = 1; /* the socket count cannot change under a running exporter */
	assert_int_equal(prom_state_update(&st, &f.r, NULL, NULL), -EINVAL);
	assert_int_equal(st.intervals, 1);
	prom_state_free(&st);
}

static void test_config_ranges(void **state)
{
	struct prom_config c;
	struct prom_state st;

	(void)state;
	prom_config_default(&c);
	c.min_share = NAN;
	c.expire_sec = -1;
	c.max_processes = -5;
	c.gamma = 0;
	prom_state_init(&st, &c);
	assert_true(st.cfg.min_share == PROM_DEFAULT_MIN_SHARE);
	assert_true(st.cfg.expire_sec == PROM_DEFAULT_EXPIRE_SEC);
	assert_int_equal(st.cfg.max_processes, PROM_DEFAULT_MAX_PROCESSES);
	assert_true(st.cfg.gamma == 0.3);
	prom_state_free(&st);
}

static int all_gone(int pid, void *ctx)
{
	(void)pid;
	(void)ctx;
	return 0;
}

/* Many processes over many intervals: memory stays bounded by expiry, text stays valid. */
static void test_churn(void **state)
{
	struct prom_config c = cfg_gamma1();
	struct prom_state st;
	struct fake f;
	int i, k;

	(void)state;
	c.expire_sec = 5;
	c.min_share = 0.02;
	prom_state_init(&st, &c);
	for (i = 0; i < 200; i++) {
		fake_init(&f, i);
		for (k = 0; k < 16; k++) {
			int pid = 1000 + i * 16 + k;

			fake_thread(&f, pid, pid, "job", (k + 1) * 0.01e9, 0)->exited = (k % 2);
		}
		assert_int_equal(prom_state_update(&st, &f.r, NULL, NULL), 0);
		prom_state_expire(&st, i, all_gone, NULL);
		assert_true(st.nr_procs <= 16 * 6);
		assert_true(st.nr_exposed <= st.nr_procs);
	}
	check_exposition(format(&st));
	prom_state_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_before_first_interval),
		cmocka_unit_test(test_sockets_meter_and_model),
		cmocka_unit_test(test_gamma_concave),
		cmocka_unit_test(test_label_escaping_in_output),
		cmocka_unit_test(test_folding_into_other),
		cmocka_unit_test(test_folding_share_ignores_gamma),
		cmocka_unit_test(test_max_processes),
		cmocka_unit_test(test_tracer_apart),
		cmocka_unit_test(test_target_and_baseline_file),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_folded_forgotten),
		cmocka_unit_test(test_comm_change_and_pid_reuse),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_config_ranges),
		cmocka_unit_test(test_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
