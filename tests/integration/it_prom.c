// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Root-only: the Prometheus exporter end to end. energat-bpf --prometheus
 * runs system-wide on a RAPL simulator tree; Debian's prometheus scrapes it
 * every second on loopback; its HTTP API must show a known burner's
 * energat_process_energy_joules_total present, increasing, and growing at
 * the model's rate. promtool validates the exposition, and a process whose
 * comm holds '"', '\' and a newline must come through Prometheus intact.
 *
 * The truth is exact under any load from other processes: with P0 = 0 the
 * simulator's package power is k x busy CPUs, and with gamma = 1 the model
 * ascribes D x T / H = k x T, so the burner's energy must grow by k times
 * its CPU time, which the kernel's schedstat gives. The burner is stopped
 * (SIGSTOP) at both ends of the window, so the counters are at rest when
 * read and scrape or interval phase does not matter.
 *
 * Also: the HTTP server alone (content type, 404, 405, a busy port) and the
 * sink feeding it. Set ENERGAT_BIN to test another energat-bpf binary.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "e2e.h"
#include "prom.h"
#include "prom_format.h"
#include "prom_http.h"
#include "workload.h"

#define SIM_K 15.0 /* package watts per busy CPU; P0 = 0 */
#define WINDOW_SEC 10.0 /* the burner runs this long between the two reads */
#define TOLERANCE 0.05
#define WEIRD_COMM "ev\"il\\na\nme" /* 11 bytes: a quote, a backslash, a newline */

/* ---- a minimal HTTP/1.0 client (no curl needed) ---- */

struct http_reply {
	int status;
	char *head, *body; /* body points into head's buffer */
	size_t body_len;
};

static void http_free(struct http_reply *r)
{
	free(r->head);
	memset(r, 0, sizeof(*r));
}

static int http_req(int port, const char *method, const char *path, struct http_reply *r)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 10 };
	size_t len = 0, cap = 65536;
	char req[8192], *buf = malloc(cap), *sep;
	int fd, n;

	memset(r, 0, sizeof(*r));
	if (!buf)
		return -1;
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", method, path);
	if (write(fd, req, n) != n) {
		close(fd);
		free(buf);
		return -1;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len < 4096) {
			char *v = realloc(buf, cap * 2);

			if (!v)
				break;
			buf = v;
			cap *= 2;
		}
	}
	close(fd);
	buf[len] = '\0';
	sep = strstr(buf, "\r\n\r\n");
	if (!sep || sscanf(buf, "HTTP/%*s %d", &r->status) != 1) {
		free(buf);
		return -1;
	}
	*sep = '\0';
	r->head = buf;
	r->body = sep + 4;
	r->body_len = len - (r->body - buf);
	return 0;
}

static char *url_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(strlen(s) * 3 + 1), *o = out;

	for (; out && *s; s++) {
		unsigned char c = *s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			*o++ = c;
		} else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	if (out)
		*o = '\0';
	return out;
}

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &l))
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static int have_tool(const char *name)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
	return system(cmd) == 0;
}

/* ---- the Prometheus side ---- */

struct promsrv {
	pid_t pid;
	int port;
	char dir[PATH_MAX + 64], log[PATH_MAX + 64];
};

/* A Prometheus API query (at time t, 0: now) parsed; NULL on failure. Caller json_object_put()s. */
static struct json_object *prom_query(const struct promsrv *p, const char *q, double t)
{
	struct http_reply r;
	struct json_object *j = NULL, *status;
	char path[4096], *enc = url_encode(q);
	int n;

	n = snprintf(path, sizeof(path), "/api/v1/query?query=%s", enc);
	if (t > 0)
		snprintf(path + n, sizeof(path) - n, "&time=%.3f", t);
	free(enc);
	if (http_req(p->port, "GET", path, &r))
		return NULL;
	if (r.status == 200)
		j = json_tokener_parse(r.body);
	http_free(&r);
	if (j && (!json_object_object_get_ex(j, "status", &status) ||
		  strcmp(json_object_get_string(status), "success"))) {
		json_object_put(j);
		j = NULL;
	}
	return j;
}

/* data.result as an array (borrowed from j), or NULL. */
static struct json_object *query_result(struct json_object *j)
{
	struct json_object *data, *res;

	if (!j || !json_object_object_get_ex(j, "data", &data) ||
	    !json_object_object_get_ex(data, "result", &res) ||
	    !json_object_is_type(res, json_type_array))
		return NULL;
	return res;
}

/* The scalar of a one-element instant vector, NAN when there is none. */
static double query_scalar(const struct promsrv *p, const char *q)
{
	struct json_object *j = prom_query(p, q, 0), *res = query_result(j), *val;
	double v = NAN;

	if (res && json_object_array_length(res) == 1 &&
	    json_object_object_get_ex(json_object_array_get_idx(res, 0), "value", &val))
		v = strtod(json_object_get_string(json_object_array_get_idx(val, 1)), NULL);
	json_object_put(j);
	return v;
}

/*
 * Raw samples of one series over the last `range` seconds: the range
 * selector's "values" [[ts, "v"], ...]. Returns how many were stored.
 */
static int query_samples(const struct promsrv *p, const char *series, int range, double *ts,
			 double *v, int max)
{
	char q[1024];
	struct json_object *j, *res, *vals;
	int i, n = 0;

	snprintf(q, sizeof(q), "%s[%ds]", series, range);
	j = prom_query(p, q, 0);
	res = query_result(j);
	if (res && json_object_array_length(res) == 1 &&
	    json_object_object_get_ex(json_object_array_get_idx(res, 0), "values", &vals)) {
		for (i = 0; i < (int)json_object_array_length(vals) && n < max; i++, n++) {
			struct json_object *pair = json_object_array_get_idx(vals, i);

			ts[n] = json_object_get_double(json_object_array_get_idx(pair, 0));
			v[n] = strtod(json_object_get_string(json_object_array_get_idx(pair, 1)),
				      NULL);
		}
	}
	json_object_put(j);
	return n;
}

/*
 * The series' value once it is at rest: its newest sample was scraped after
 * `after` and equals the one before it. NAN on timeout.
 */
static double settled_value(const struct promsrv *p, const char *series, double after)
{
	double ts[64], v[64], end = e2e_wall() + 12;
	int n;

	while (e2e_wall() < end) {
		n = query_samples(p, series, 30, ts, v, 64);
		if (n >= 2 && ts[n - 1] > after && v[n - 1] == v[n - 2])
			return v[n - 1];
		usleep(250000);
	}
	return NAN;
}

static int prom_start(struct promsrv *p, const char *dir, int target_port)
{
	char cfg[PATH_MAX + 64], data[PATH_MAX + 64], a_cfg[PATH_MAX + 128], a_data[PATH_MAX + 128],
		a_listen[64];
	struct http_reply r;
	double end;
	FILE *f;

	memset(p, 0, sizeof(*p));
	p->port = free_port();
	snprintf(p->dir, sizeof(p->dir), "%s", dir);
	snprintf(cfg, sizeof(cfg), "%s/prometheus.yml", dir);
	snprintf(data, sizeof(data), "%s/tsdb", dir);
	snprintf(p->log, sizeof(p->log), "%s/prometheus.log", dir);
	f = fopen(cfg, "w");
	if (!f)
		return -1;
	fprintf(f,
		"global:\n"
		"  scrape_interval: 1s\n"
		"  scrape_timeout: 900ms\n"
		"  evaluation_interval: 1s\n"
		"scrape_configs:\n"
		"  - job_name: energat\n"
		"    static_configs:\n"
		"      - targets: ['127.0.0.1:%d']\n",
		target_port);
	fclose(f);
	snprintf(a_cfg, sizeof(a_cfg), "--config.file=%s", cfg);
	snprintf(a_data, sizeof(a_data), "--storage.tsdb.path=%s", data);
	snprintf(a_listen, sizeof(a_listen), "--web.listen-address=127.0.0.1:%d", p->port);
	p->pid = e2e_spawn((char *[]){ "/usr/bin/prometheus", a_cfg, a_data, a_listen,
				       "--log.level=warn", "--storage.tsdb.retention.time=1h",
				       NULL },
			   p->log, -1, 1);
	if (p->pid < 0)
		return -1;
	for (end = e2e_mono() + 30; e2e_mono() < end; usleep(200000)) {
		if (!http_req(p->port, "GET", "/-/ready", &r)) {
			int ok = r.status == 200;

			http_free(&r);
			if (ok)
				return 0;
		}
		if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
			p->pid = 0;
			return -1;
		}
	}
	return -1;
}

static void prom_stop(struct promsrv *p)
{
	int status;

	if (p->pid > 0) {
		kill(p->pid, SIGTERM);
		if (e2e_wait(p->pid, 15, &status))
			fprintf(stderr, "  prometheus did not stop on SIGTERM: killed\n");
		p->pid = 0;
	}
}

static void show_log(const char *what, const char *path)
{
	char *s = e2e_read_file(path);

	if (s && *s)
		fprintf(stderr, "  --- %s (%s) ---\n%s\n  ---\n", what, path, s);
	free(s);
}

/* A process named WEIRD_COMM that keeps a fifth of cpu busy until killed. */
static pid_t spawn_weird(int cpu)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		pin_self(cpu);
		prctl(PR_SET_NAME, WEIRD_COMM);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;) {
			burn_ns(50000000LL);
			usleep(200000);
		}
	}
	return pid;
}

static long long sched_run_ns(pid_t pid)
{
	char path[64], *s;
	long long v = -1;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	s = e2e_read_file(path);
	if (s)
		v = strtoll(s, NULL, 10);
	free(s);
	return v;
}

/* Everything the end-to-end test starts, so a failed assertion still stops it all. */
static struct e2e_sim sim;
static int sim_up;
static struct promsrv ps;
static pid_t exporter = -1, burner = -1, weird = -1;

static void kill_wait(pid_t *pid, int sig)
{
	int status;

	if (*pid <= 0)
		return;
	kill(*pid, SIGCONT);
	kill(*pid, sig);
	e2e_wait(*pid, 15, &status);
	*pid = -1;
}

static int e2e_teardown(void **state)
{
	(void)state;
	prom_stop(&ps);
	kill_wait(&exporter, SIGTERM);
	kill_wait(&burner, SIGKILL);
	kill_wait(&weird, SIGKILL);
	if (sim_up)
		e2e_sim_stop(&sim);
	sim_up = 0;
	return 0;
}

static void test_prometheus_end_to_end(void **state)
{
	char bin[PATH_MAX], burn[PATH_MAX], listen[64], elog[PATH_MAX + 32], expo[PATH_MAX + 32];
	char series[256], cpu_series[256], q[512], cmd[PATH_MAX * 3];
	struct http_reply r;
	double v0, v1, c0, c1, t_stop0, t_stop1, ts[256], vals[256], end;
	long long s0, s1;
	int port, status, n, i, increasing = 1;
	FILE *f;

	(void)state;
	if (!need_root("it_prom"))
		skip();
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		printf("  needs 2 CPUs (one per simulated socket)\n");
		skip();
	}
	if (!have_tool("prometheus") || !have_tool("promtool"))
		fail_msg("prometheus and promtool are missing: run scripts/setup.sh "
			 "(Debian package prometheus)");
	if (getenv("ENERGAT_BIN"))
		snprintf(bin, sizeof(bin), "%s", getenv("ENERGAT_BIN"));
	else
		e2e_path("energat-bpf", bin, sizeof(bin));
	e2e_path("tools/burn", burn, sizeof(burn));
	assert_int_equal(e2e_sim_start(&sim, 2, 0, SIM_K, 1, 0, -1), 0);
	sim_up = 1;

	/* The known burner on cpu 1 (socket 1), the oddly named one on cpu 0. */
	burner = e2e_spawn((char *[]){ burn, "600000", "1", NULL }, NULL, -1, 0);
	weird = spawn_weird(0);
	assert_true(burner > 0 && weird > 0);

	port = free_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	snprintf(elog, sizeof(elog), "%s/exporter.log", sim.dir);
	exporter = e2e_spawn((char *[]){ bin, "--prometheus", listen, "--sysfs-root", sim.dir,
					 "--gamma", "1", "--interval", "1", NULL },
			     elog, -1, 0);
	assert_true(exporter > 0);
	/* Up once /metrics has a first interval. */
	for (end = e2e_mono() + 30, n = 0; e2e_mono() < end && !n; usleep(200000)) {
		if (waitpid(exporter, &status, WNOHANG) == exporter) {
			char *log = e2e_read_file(elog);
			int unwired = log && strstr(log, "not available yet");

			free(log);
			exporter = -1;
			if (unwired) {
				printf("  %s has no exporter mode yet: wire run_exporter() "
				       "(user/prom.h) into user/main.c\n",
				       bin);
				skip();
			}
			show_log("exporter", elog);
			fail_msg("energat-bpf --prometheus exited early");
		}
		if (!http_req(port, "GET", "/metrics", &r)) {
			n = r.status == 200 && strstr(r.body, "\nenergat_meter_info{");
			if (n) {
				assert_non_null(
					strstr(r.head, "Content-Type: text/plain; version=0.0.4"));
				assert_non_null(
					strstr(r.body, "meter=\"powercap\",estimated=\"0\"}"));
			}
			http_free(&r);
		}
	}
	if (!n) {
		show_log("exporter", elog);
		fail_msg("no metrics from energat-bpf within 30 s");
	}

	assert_int_equal(prom_start(&ps, sim.dir, port), 0);
	snprintf(series, sizeof(series),
		 "energat_process_energy_joules_total{pid=\"%d\",socket=\"1\",zone=\"package\"}",
		 burner);
	snprintf(cpu_series, sizeof(cpu_series),
		 "energat_process_cpu_seconds_total{pid=\"%d\",socket=\"1\"}", burner);

	/* Present in Prometheus after its first scrapes. */
	for (end = e2e_mono() + 20, n = 0; e2e_mono() < end && n < 2; usleep(300000))
		n = query_samples(&ps, series, 60, ts, vals, 256);
	if (n < 2) {
		show_log("prometheus", ps.log);
		fail_msg("the burner's series did not reach Prometheus: %s", series);
	}
	assert_true(query_scalar(&ps, "up{job=\"energat\"}") == 1);
	assert_true(query_scalar(&ps, "energat_meter_info{meter=\"powercap\",estimated=\"0\"}") ==
		    1);

	/* Window start: the burner at rest, its counters settled. */
	kill(burner, SIGSTOP);
	t_stop0 = e2e_wall();
	s0 = sched_run_ns(burner);
	v0 = settled_value(&ps, series, t_stop0 + 1.2);
	c0 = settled_value(&ps, cpu_series, t_stop0 + 1.2);
	kill(burner, SIGCONT);
	usleep((useconds_t)(WINDOW_SEC * 1e6));
	kill(burner, SIGSTOP);
	t_stop1 = e2e_wall();
	s1 = sched_run_ns(burner);
	v1 = settled_value(&ps, series, t_stop1 + 1.2);
	c1 = settled_value(&ps, cpu_series, t_stop1 + 1.2);
	assert_false(isnan(v0) || isnan(v1) || isnan(c0) || isnan(c1));

	/* Increasing through the window, scraped every second or so. */
	n = query_samples(&ps, series, (int)(e2e_wall() - t_stop0) + 1, ts, vals, 256);
	for (i = 1; i < n; i++)
		increasing &= vals[i] >= vals[i - 1];
	printf("  %d samples over the window, first %.3f J, last %.3f J\n", n, vals[0],
	       n ? vals[n - 1] : NAN);
	assert_true(n >= 2 * WINDOW_SEC / 3);
	assert_true(increasing);
	assert_true(v1 > v0);
	{
		double dt = t_stop1 - t_stop0, cpu = (s1 - s0) / 1e9, want = SIM_K * cpu;
		double rate = (v1 - v0) / dt, want_rate = want / dt;

		printf("  burner CPU %.3f s (schedstat) vs %.3f s (exported) over %.2f s\n", cpu,
		       c1 - c0, dt);
		printf("  energy rate %.3f W exported vs %.3f W model (k x CPU rate): %+.2f%%\n",
		       rate, want_rate, 100 * (rate - want_rate) / want_rate);
		assert_true(cpu > 0.05 * WINDOW_SEC); /* other tests may share the CPU */
		assert_true(fabs((c1 - c0) - cpu) <= 0.02 * cpu + 0.005);
		assert_true(fabs(rate - want_rate) <= TOLERANCE * want_rate);
	}
	/* The same through PromQL's own rate(): present and of the right size. */
	snprintf(q, sizeof(q), "rate(%s[%ds])", series, (int)WINDOW_SEC);
	{
		struct json_object *j = prom_query(&ps, q, 0);

		assert_non_null(query_result(j));
		json_object_put(j);
	}

	/* Escaped label values survive the round trip through Prometheus's parser. */
	{
		double w =
			query_scalar(&ps, "count(energat_process_cpu_seconds_total{comm=\"ev\\\"il"
					  "\\\\na\\nme\"})");

		printf("  series with comm %s: %g\n", "ev\"il\\na\\nme", w);
		assert_true(w >= 1);
	}

	/* promtool's linter accepts the exposition as served. */
	assert_int_equal(http_req(port, "GET", "/metrics", &r), 0);
	snprintf(expo, sizeof(expo), "%s/metrics.txt", sim.dir);
	f = fopen(expo, "w");
	assert_non_null(f);
	fwrite(r.body, 1, r.body_len, f);
	fclose(f);
	http_free(&r);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < '%s' > '%s.lint' 2>&1", expo, expo);
	if (system(cmd)) {
		snprintf(cmd, sizeof(cmd), "%s.lint", expo);
		show_log("promtool check metrics", cmd);
		fail_msg("promtool check metrics failed");
	}

	/* Clean stop: SIGTERM ends the exporter with status 0. */
	prom_stop(&ps);
	kill(exporter, SIGTERM);
	assert_int_equal(e2e_wait(exporter, 15, &status), 0);
	exporter = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		show_log("exporter", elog);
		fail_msg("exporter exit status 0x%x", status);
	}
}

/* ---- the server and the sink without BPF ---- */

static void test_http_server(void **state)
{
	struct prom_server *srv = NULL, *other = NULL;
	struct http_reply r;
	char err[256] = "";
	int port;

	(void)state;
	assert_int_equal(prom_server_start("127.0.0.1", 0, &srv, err, sizeof(err)), 0);
	port = prom_server_port(srv);
	assert_true(port > 0);
	/* Empty until something is published. */
	assert_int_equal(http_req(port, "GET", "/metrics", &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
	http_free(&r);
	assert_int_equal(prom_server_publish(srv, "a_total 1\n", 10), 0);
	assert_int_equal(http_req(port, "GET", "/metrics", &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "a_total 1\n");
	assert_non_null(strstr(r.head, "Content-Type: " PROM_CONTENT_TYPE));
	http_free(&r);
	assert_int_equal(http_req(port, "HEAD", "/metrics", &r), 0);
	assert_int_equal(r.status, 200);
	http_free(&r);
	assert_int_equal(http_req(port, "GET", "/nope", &r), 0);
	assert_int_equal(r.status, 404);
	http_free(&r);
	assert_int_equal(http_req(port, "POST", "/metrics", &r), 0);
	assert_int_equal(r.status, 405);
	assert_non_null(strstr(r.head, "Allow: GET, HEAD"));
	http_free(&r);
	assert_true(prom_server_scrapes(srv) >= 3);
	/* A busy port is a clear error, not a silent exporter on nothing. */
	assert_int_equal(prom_server_start("127.0.0.1", port, &other, err, sizeof(err)),
			 -EADDRINUSE);
	assert_null(other);
	printf("  busy port: %s\n", err);
	assert_non_null(strstr(err, "127.0.0.1"));
	assert_int_equal(prom_server_start("999.1.1.1", 0, &other, err, sizeof(err)), -EINVAL);
	prom_server_stop(srv);
	/* The port is free again once stopped. */
	assert_int_equal(prom_server_start("127.0.0.1", port, &srv, err, sizeof(err)), 0);
	prom_server_stop(srv);
	/* IPv6 loopback where the host has it. */
	if (!prom_server_start("::1", 0, &srv, err, sizeof(err)))
		prom_server_stop(srv);
	else
		printf("  no IPv6 loopback here: %s\n", err);
}

static void test_sink_publishes(void **state)
{
	struct thread_result t[2] = {};
	struct interval_result res = {};
	struct prom_sink *ps = NULL;
	struct options o;
	struct http_reply r;
	char err[256] = "";

	(void)state;
	options_defaults(&o);
	o.mode = MODE_EXPORTER;
	o.prom_addr = "127.0.0.1";
	o.prom_port = 0;
	setenv("ENERGAT_PROM_MIN_SHARE", "0", 1);
	assert_int_equal(prom_sink_open(&o, &ps, err, sizeof(err)), 0);
	unsetenv("ENERGAT_PROM_MIN_SHARE");
	/* Before the first interval: valid, with the info metrics. */
	assert_int_equal(http_req(prom_sink_port(ps), "GET", "/metrics", &r), 0);
	assert_non_null(strstr(r.body, "energat_baseline_info{baseline=\"zero\"} 1\n"));
	assert_null(strstr(r.body, "energat_meter_info{"));
	http_free(&r);

	res.time = 100;
	res.dt_sec = 1;
	res.nr_sockets = 1;
	res.meter = "model";
	res.estimated = 1;
	res.energy.total_pkg[0] = res.energy.dyn_pkg[0] = 10;
	res.host_busy_ns[0] = 1e9;
	res.threads = t;
	res.nr_threads = 2;
	t[0].pid = t[0].tid = 4242;
	strcpy(t[0].comm, "a\"b\\c\nd");
	t[0].cpu_ns[0] = 0.5e9;
	t[1].pid = t[1].tid = getpid();
	t[1].is_tracer = 1;
	assert_int_equal(prom_sink_write(ps, &res), 0);
	assert_int_equal(http_req(prom_sink_port(ps), "GET", "/metrics", &r), 0);
	assert_non_null(strstr(r.body, "energat_meter_info{meter=\"model\",estimated=\"1\"} 1\n"));
	assert_non_null(strstr(r.body, "energat_process_cpu_seconds_total{pid=\"4242\","
				       "comm=\"a\\\"b\\\\c\\nd\",socket=\"0\"} 0.5\n"));
	http_free(&r);
	prom_sink_close(ps);

	/* Bad knobs are refused with their name. */
	setenv("ENERGAT_PROM_MIN_SHARE", "2", 1);
	assert_int_equal(prom_sink_open(&o, &ps, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "ENERGAT_PROM_MIN_SHARE"));
	unsetenv("ENERGAT_PROM_MIN_SHARE");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_server),
		cmocka_unit_test(test_sink_publishes),
		cmocka_unit_test_teardown(test_prometheus_end_to_end, e2e_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
