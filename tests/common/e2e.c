// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "e2e.h"

static double clock_sec(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double e2e_mono(void)
{
	return clock_sec(CLOCK_MONOTONIC);
}

double e2e_wall(void)
{
	return clock_sec(CLOCK_REALTIME);
}

const char *e2e_path(const char *name, char *buf, size_t len)
{
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	/* build/tests/it_x -> build */
	for (int i = 0; i < 2; i++) {
		slash = strrchr(exe, '/');
		if (!slash)
			return NULL;
		*slash = '\0';
	}
	if (!strncmp(name, "scripts/", 8)) {
		/* The build directory normally sits in the repository; else run from it. */
		snprintf(buf, len, "%s/../%s", exe, name);
		if (access(buf, X_OK))
			snprintf(buf, len, "%s", name);
	} else {
		snprintf(buf, len, "%s/%s", exe, name);
	}
	return buf;
}

pid_t e2e_spawn(char *const argv[], const char *out_path, int cpu, int pgrp)
{
	return e2e_spawn_nice(argv, out_path, cpu, pgrp, 0);
}

pid_t e2e_spawn_nice(char *const argv[], const char *out_path, int cpu, int pgrp, int nice)
{
	pid_t parent = getpid(), pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid != 0)
		return pid;
	{
		int fd = open(out_path ? out_path : "/dev/null",
			      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
		sigset_t none;

		if (fd < 0 || in < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 || dup2(in, 0) < 0)
			_exit(126);
		/* A test that crashes leaves nothing running (energat-bpf stops cleanly). */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(126);
		if (nice) {
			FILE *ag;

			setsid();
			ag = fopen("/proc/self/autogroup", "w");
			if (ag) {
				fprintf(ag, "%d\n", nice);
				fclose(ag);
			}
			/* Without autogroups or CAP_SYS_NICE: run as it is. */
			setpriority(PRIO_PROCESS, 0, nice);
		} else if (pgrp) {
			setpgid(0, 0);
		}
		if (cpu >= 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
		}
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(argv[0], argv);
		_exit(127);
	}
}

int e2e_wait(pid_t pid, double timeout_sec, int *status)
{
	double end = e2e_mono() + timeout_sec;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (e2e_mono() > end) {
			fprintf(stderr, "  e2e: pid %d (still running after %.1f s) killed\n", pid,
				timeout_sec);
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			return -ETIME;
		}
		usleep(5000);
	}
}

int e2e_run(char *const argv[], const char *out_path, int cpu, double timeout_sec)
{
	pid_t pid = e2e_spawn(argv, out_path, cpu, 0);
	int status;

	if (pid < 0 || e2e_wait(pid, timeout_sec, &status))
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

char *e2e_read_file(const char *path)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	FILE *f = fopen(path, "r");

	if (!f || !buf) {
		if (f)
			fclose(f);
		free(buf);
		return NULL;
	}
	for (;;) {
		size_t n = fread(buf + len, 1, cap - len - 1, f);

		len += n;
		if (len < cap - 1)
			break;
		cap *= 2;
		char *nb = realloc(buf, cap);

		if (!nb) {
			free(buf);
			fclose(f);
			return NULL;
		}
		buf = nb;
	}
	buf[len] = '\0';
	fclose(f);
	return buf;
}

int e2e_read_pid_cpu(const char *path, int *pid, long long *cpu_ns)
{
	char *text = e2e_read_file(path), *line;
	int ret = -1;

	if (!text)
		return -1;
	/* Other output may share the file: take the first line that fits. */
	for (line = text; line && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		char tail;

		if (sscanf(line, "%d %lld%c", pid, cpu_ns, &tail) == 3 && tail == '\n') {
			ret = 0;
			break;
		}
	}
	free(text);
	return ret;
}

/* ---- simulator tree ---- */

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

void e2e_rmtree(const char *dir)
{
	if (!dir[0] || (strncmp(dir, "/dev/shm/", 9) && strncmp(dir, "/tmp/", 5)) ||
	    strstr(dir, "/../"))
		return;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -1;
	ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static void json_list(char *buf, size_t len, double v, int n)
{
	size_t off = 0;

	off += snprintf(buf + off, len - off, "[");
	for (int i = 0; i < n && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%.17g", i ? ", " : "", v);
	if (off < len)
		snprintf(buf + off, len - off, "]");
}

int e2e_sim_start(struct e2e_sim *s, int sockets, double p0, double k, double q0, double q,
		  int sim_cpu)
{
	char topo[PATH_MAX], sim[PATH_MAX], ready[PATH_MAX + 32], json[2048];
	char a_sock[16], a_p0[32], a_k[32], a_q0[32], a_q[32];
	char pkg[256], dram[256], zeros[256];
	double end;

	memset(s, 0, sizeof(*s));
	s->sockets = sockets;
	s->p0 = p0;
	s->k = k;
	s->q0 = q0;
	s->q = q;
	/* tmpfs: the simulator replaces its files every period. */
	snprintf(s->dir, sizeof(s->dir), "%s/energat-e2e-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(s->dir)) {
		s->dir[0] = '\0';
		return -1;
	}
	if (!e2e_path("scripts/fake-topology.sh", topo, sizeof(topo)) ||
	    !e2e_path("tools/raplsim", sim, sizeof(sim)))
		goto fail;
	snprintf(a_sock, sizeof(a_sock), "%d", sockets);
	if (e2e_run((char *[]){ topo, s->dir, a_sock, NULL }, NULL, -1, 30) != 0) {
		fprintf(stderr, "  e2e: %s %s %s failed\n", topo, s->dir, a_sock);
		goto fail;
	}
	snprintf(a_p0, sizeof(a_p0), "%.17g", p0);
	snprintf(a_k, sizeof(a_k), "%.17g", k);
	snprintf(a_q0, sizeof(a_q0), "%.17g", q0);
	snprintf(a_q, sizeof(a_q), "%.17g", q);
	snprintf(s->log, sizeof(s->log), "%s/raplsim.log", s->dir);
	/*
	 * The simulator is the measuring instrument: on a busy machine it must
	 * not lag behind (it would book a backlog of busy time into a later
	 * interval). It costs a few % of one CPU; run it at the top nice level.
	 */
	s->pid = e2e_spawn_nice((char *[]){ sim, "--root", s->dir, "--sockets", a_sock, "--p0",
					    a_p0, "--k", a_k, "--q0", a_q0, "--q", a_q,
					    "--period-ms", "10", NULL },
				s->log, sim_cpu, 0, -20);
	if (s->pid < 0)
		goto fail;
	snprintf(ready, sizeof(ready), "%s/.raplsim-ready", s->dir);
	for (end = e2e_mono() + 10; access(ready, F_OK); usleep(10000)) {
		int status;

		if (e2e_mono() > end || waitpid(s->pid, &status, WNOHANG) == s->pid) {
			fprintf(stderr, "  e2e: raplsim did not start (log %s)\n", s->log);
			goto fail;
		}
	}
	json_list(pkg, sizeof(pkg), p0, sockets);
	json_list(dram, sizeof(dram), q0, sockets);
	json_list(zeros, sizeof(zeros), 0, sockets);
	snprintf(json, sizeof(json),
		 "{\"pkg_base_w\": %s, \"dram_base_w\": %s, \"pkg_base_percents\": %s, "
		 "\"dram_base_percents\": %s}\n",
		 pkg, dram, zeros, zeros);
	snprintf(s->basefile, sizeof(s->basefile), "%s/baseline.json", s->dir);
	if (write_text(s->basefile, json))
		goto fail;
	return 0;
fail:
	e2e_sim_stop(s);
	return -1;
}

void e2e_sim_stop(struct e2e_sim *s)
{
	if (s->pid > 0) {
		int status;

		kill(s->pid, SIGTERM);
		if (e2e_wait(s->pid, 5, &status))
			fprintf(stderr, "  e2e: raplsim %d did not stop on SIGTERM\n", s->pid);
		s->pid = 0;
	}
	if (s->dir[0])
		e2e_rmtree(s->dir);
	s->dir[0] = '\0';
}

/* ---- /proc/stat ---- */

int e2e_cpustat_read(struct e2e_cpustat *c)
{
	char *text, *line, *save = NULL;
	double hz = sysconf(_SC_CLK_TCK);

	memset(c, 0, sizeof(*c));
	c->mono = e2e_mono();
	text = e2e_read_file("/proc/stat");
	if (!text)
		return -1;
	if (hz <= 0)
		hz = 100;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long f[5];
		int cpu;

		if (strncmp(line, "cpu", 3) || line[3] < '0' || line[3] > '9')
			continue;
		if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu", &cpu, &f[0], &f[1], &f[2], &f[3],
			   &f[4]) != 6 ||
		    cpu < 0 || cpu >= E2E_MAX_CPUS)
			continue;
		c->idle_sec[cpu] = (f[3] + f[4]) / hz;
		c->present[cpu] = 1;
	}
	free(text);
	return 0;
}

double e2e_cpu_busy(const struct e2e_cpustat *a, const struct e2e_cpustat *b, int cpu)
{
	if (cpu < 0 || cpu >= E2E_MAX_CPUS || !a->present[cpu] || !b->present[cpu])
		return NAN;
	return (b->mono - a->mono) - (b->idle_sec[cpu] - a->idle_sec[cpu]);
}

/* ---- CSV ---- */

static int push(void ***v, int *n, int *cap, void *item)
{
	if (*n == *cap) {
		int nc = *cap ? *cap * 2 : 16;
		void **nv = realloc(*v, nc * sizeof(**v));

		if (!nv)
			return -1;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = item;
	return 0;
}

/* Split text into records of fields; each record a NULL-terminated array. */
static int parse_records(const char *p, char ****recs, int *nrecs)
{
	void **rec = NULL, **all = NULL;
	int nf = 0, capf = 0, nr = 0, capr = 0;

	while (*p) {
		size_t cap = 64, len = 0;
		char *field = malloc(cap);
		int end_rec = 0;

		if (!field)
			return -1;
		if (*p == '"') {
			for (p++; *p; p++) {
				if (*p == '"' && p[1] == '"')
					p++;
				else if (*p == '"')
					break;
				if (len + 2 > cap)
					field = realloc(field, cap *= 2);
				field[len++] = *p;
			}
			if (*p == '"')
				p++;
		}
		for (; *p && *p != ',' && *p != '\n'; p++) {
			if (*p == '\r' && p[1] == '\n')
				continue;
			if (len + 2 > cap)
				field = realloc(field, cap *= 2);
			field[len++] = *p;
		}
		field[len] = '\0';
		if (*p == '\n' || !*p)
			end_rec = 1;
		if (*p)
			p++;
		if (push(&rec, &nf, &capf, field))
			return -1;
		if (end_rec) {
			if (push(&rec, &nf, &capf, NULL) || push(&all, &nr, &capr, rec))
				return -1;
			rec = NULL;
			nf = capf = 0;
		}
	}
	*recs = (char ***)all;
	*nrecs = nr;
	return 0;
}

static void free_record(char **rec)
{
	for (int i = 0; rec && rec[i]; i++)
		free(rec[i]);
	free(rec);
}

int e2e_csv_load(const char *path, struct e2e_csv *c)
{
	char *text = e2e_read_file(path);
	char ***recs = NULL;
	int n = 0, i, w;

	memset(c, 0, sizeof(*c));
	if (!text)
		return -1;
	if (parse_records(text, &recs, &n) || n < 1) {
		free(text);
		return -1;
	}
	free(text);
	for (w = 0; recs[0][w]; w++)
		;
	c->ncols = w;
	c->header = recs[0];
	c->rows = recs + 1;
	c->nrows = n - 1;
	for (i = 0; i < c->nrows; i++) {
		for (w = 0; c->rows[i][w]; w++)
			;
		if (w != c->ncols) {
			fprintf(stderr, "  e2e: %s: row %d has %d fields, header %d\n", path, i + 1,
				w, c->ncols);
			e2e_csv_free(c);
			return -1;
		}
	}
	return 0;
}

void e2e_csv_free(struct e2e_csv *c)
{
	if (c->header) {
		for (int i = 0; i < c->nrows; i++)
			free_record(c->rows[i]);
		free_record(c->header);
		free(c->rows - 1);
	}
	memset(c, 0, sizeof(*c));
}

int e2e_csv_col(const struct e2e_csv *c, const char *name)
{
	for (int i = 0; i < c->ncols; i++)
		if (!strcmp(c->header[i], name))
			return i;
	return -1;
}

double e2e_csv_num(const struct e2e_csv *c, int row, const char *name)
{
	int col = e2e_csv_col(c, name);
	char *end;
	double v;

	if (col < 0 || row < 0 || row >= c->nrows)
		return NAN;
	errno = 0;
	v = strtod(c->rows[row][col], &end);
	if (end == c->rows[row][col] || *end || errno)
		return NAN;
	return v;
}
