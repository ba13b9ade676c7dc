// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * raplsim: a fake powercap tree whose counters follow the machine's real CPU
 * load, for testing energat-bpf on machines without RAPL.
 *
 * Per socket s it keeps ROOT/class/powercap/intel-rapl:s ("package-s") and
 * intel-rapl:s:0 ("dram") and advances energy_uj every period by
 *	package: (P0 + k * busy_cpus[s]) * dt	dram: (Q0 + q * busy_cpus[s]) * dt
 * in microjoules, modulo --range-uj. busy_cpus[s] is the number of busy CPUs
 * of socket s over the period, from /proc/stat. Each file is replaced by
 * rename(2), so a reader never sees a torn value.
 *
 * Busy time: by default elapsed - (idle + iowait) per CPU. With NO_HZ the
 * kernel measures idle with the clock instead of sampling it at ticks, so this
 * is exact up to /proc/stat's USER_HZ print resolution and matches "time not
 * in the idle task" (what energat's BPF side calls busy). --busy fields sums
 * user+nice+system+irq+softirq+steal instead, which are tick-sampled.
 * /proc/stat only changes every 1/USER_HZ s, so it is read at most that often;
 * the busy energy of a CPU is booked as its busy time grows, so the total
 * never drifts from /proc/stat's own count.
 *
 * Standalone: libc and libm only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOCKETS 64
#define MAX_CPUS 4096

struct cpu {
	int seen; /* present in /proc/stat at some sample */
	double first; /* monotonic seconds of the first sample */
	double idle0; /* idle(+iowait) or busy-fields seconds at the first sample */
	double booked; /* busy seconds already turned into energy */
};

static volatile sig_atomic_t stop;

static struct {
	const char *root;
	int sockets;
	double p0, k, q0, q;
	unsigned long long range, start;
	double period;
	double duration;
	int busy_fields;
	int cpu_socket[MAX_CPUS];
	int nr_cpu_socket; /* 0: cpu i -> i mod sockets */
} cfg = {
	.sockets = 2,
	.p0 = 20,
	.k = 15,
	.q0 = 3,
	.q = 2,
	.range = 262143328850ULL,
	.period = 0.001,
};

static struct cpu cpus[MAX_CPUS];
static double pkg_uj[MAX_SOCKETS], dram_uj[MAX_SOCKETS];

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "raplsim: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void mkdir_p(const char *path)
{
	char buf[4096], *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		die("path too long: %s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			die("mkdir %s: %s", buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		die("mkdir %s: %s", buf, strerror(errno));
}

/*
 * Write NAME in directory @dfd through a temporary file and rename(2), so a
 * reader sees the old or the new value, never a mix. Relative to an open
 * directory to spare the path walks: this runs thousands of times a second.
 */
static int write_atomic(int dfd, const char *name, const char *text)
{
	char tmp[256];
	size_t len = strlen(text);
	int fd, ok;

	if (snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	ok = write(fd, text, len) == (ssize_t)len;
	if (close(fd) || !ok) {
		unlinkat(dfd, tmp, 0);
		return -EIO;
	}
	if (renameat(dfd, tmp, dfd, name)) {
		unlinkat(dfd, tmp, 0);
		return -errno;
	}
	return 0;
}

static int zone_fd[MAX_SOCKETS][2]; /* open zone directories: [socket][dram] */

static void write_counters(void)
{
	char val[32];
	int s, dram;

	for (s = 0; s < cfg.sockets; s++) {
		for (dram = 0; dram < 2; dram++) {
			double uj = dram ? dram_uj[s] : pkg_uj[s];
			unsigned long long v = (cfg.start + (unsigned long long)uj) % cfg.range;

			snprintf(val, sizeof(val), "%llu\n", v);
			if (write_atomic(zone_fd[s][dram], "energy_uj", val))
				fprintf(stderr, "raplsim: cannot write socket %d %s energy_uj\n", s,
					dram ? "dram" : "package");
		}
	}
}

static void make_tree(void)
{
	char dir[4096], val[64];
	int s, dram;

	for (s = 0; s < cfg.sockets; s++) {
		for (dram = 0; dram < 2; dram++) {
			if (dram)
				snprintf(dir, sizeof(dir), "%s/class/powercap/intel-rapl:%d:0",
					 cfg.root, s);
			else
				snprintf(dir, sizeof(dir), "%s/class/powercap/intel-rapl:%d",
					 cfg.root, s);
			mkdir_p(dir);
			zone_fd[s][dram] = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (zone_fd[s][dram] < 0)
				die("cannot open %s: %s", dir, strerror(errno));
			if (dram)
				snprintf(val, sizeof(val), "dram\n");
			else
				snprintf(val, sizeof(val), "package-%d\n", s);
			if (write_atomic(zone_fd[s][dram], "name", val))
				die("cannot write %s/name", dir);
			snprintf(val, sizeof(val), "%llu\n", cfg.range);
			if (write_atomic(zone_fd[s][dram], "max_energy_range_uj", val))
				die("cannot write %s/max_energy_range_uj", dir);
		}
	}
	write_counters();
}

static int socket_of(int cpu)
{
	if (cfg.nr_cpu_socket)
		return cpu < cfg.nr_cpu_socket ? cfg.cpu_socket[cpu] : -1;
	return cpu % cfg.sockets;
}

/*
 * Sample /proc/stat at monotonic time @t and book the busy energy since the
 * previous sample.
 */
static void sample_stat(char *buf, size_t size, double t, double hz)
{
	char *line, *save = NULL;
	ssize_t n;
	int fd;

	fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	/* The cpu lines come first; the rest (interrupts) is not needed. */
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long f[8] = { 0 };
		double secs, busy;
		struct cpu *c;
		int id, s;

		if (strncmp(line, "cpu", 3) != 0)
			break;
		/* "cpu  ..." is the total: %d would skip the blanks and read it */
		if (line[3] < '0' || line[3] > '9')
			continue;
		if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &id, &f[0], &f[1],
			   &f[2], &f[3], &f[4], &f[5], &f[6], &f[7]) != 9)
			continue;
		if (id < 0 || id >= MAX_CPUS)
			continue;
		s = socket_of(id);
		if (s < 0)
			continue;
		/* user nice system idle iowait irq softirq steal */
		if (cfg.busy_fields)
			secs = (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / hz;
		else
			secs = (f[3] + f[4]) / hz;
		c = &cpus[id];
		if (!c->seen) {
			c->seen = 1;
			c->first = t;
			c->idle0 = secs;
			continue;
		}
		if (cfg.busy_fields)
			busy = secs - c->idle0;
		else
			busy = (t - c->first) - (secs - c->idle0);
		/* Print rounding can make busy dip: book only its growth. */
		if (busy > c->booked) {
			pkg_uj[s] += cfg.k * (busy - c->booked) * 1e6;
			dram_uj[s] += cfg.q * (busy - c->booked) * 1e6;
			c->booked = busy;
		}
	}
}

static double parse_num(const char *opt, const char *s, double min)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || v < min)
		die("bad %s '%s' (a number >= %g)", opt, s, min);
	return v;
}

static unsigned long long parse_u64(const char *opt, const char *s)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		die("bad %s '%s'", opt, s);
	v = strtoull(s, &end, 10);
	if (*end || errno)
		die("bad %s '%s'", opt, s);
	return v;
}

static void parse_cpu_socket(const char *s)
{
	const char *p = s;
	char *end;
	long v;

	cfg.nr_cpu_socket = 0;
	while (*p) {
		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p || errno || v < 0 || v >= MAX_SOCKETS || cfg.nr_cpu_socket >= MAX_CPUS)
			die("bad --cpu-socket '%s'", s);
		cfg.cpu_socket[cfg.nr_cpu_socket++] = v;
		if (*end == ',')
			end++;
		else if (*end)
			die("bad --cpu-socket '%s'", s);
		p = end;
	}
	if (!cfg.nr_cpu_socket)
		die("empty --cpu-socket");
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: raplsim --root DIR [--sockets N] [--p0 W] [--k W] [--q0 W] [--q W]\n"
		"               [--range-uj N] [--start-uj N] [--period-ms MS] [--cpu-socket LIST]\n"
		"               [--busy idle|fields] [--duration SEC]\n"
		"Simulates RAPL powercap zones under DIR/class/powercap driven by /proc/stat.\n"
		"  --sockets N      package zones (default 2)\n"
		"  --p0 W, --k W    package watts: P0 + k per busy CPU (default 20, 15)\n"
		"  --q0 W, --q W    dram watts: Q0 + q per busy CPU (default 3, 2)\n"
		"  --range-uj N     max_energy_range_uj, counters wrap here (default 262143328850)\n"
		"  --start-uj N     initial counter value (default 0)\n"
		"  --period-ms MS   update period (default 1)\n"
		"  --cpu-socket L   socket of cpu 0,1,2,...; CPUs beyond the list are ignored\n"
		"                   (default: cpu i -> i mod sockets)\n"
		"  --busy idle      busy = elapsed - idle - iowait (default, exact with NO_HZ)\n"
		"  --busy fields    busy = user+nice+system+irq+softirq+steal (tick-sampled)\n"
		"  --duration SEC   stop after SEC seconds (default: until SIGTERM/SIGINT)\n"
		"Writes DIR/.raplsim-ready once the tree exists.\n"
		"example: raplsim --root /tmp/rapl --sockets 1 --range-uj 1000000 --duration 5\n");
}

static void parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "sockets", required_argument, NULL, 's' },
		{ "p0", required_argument, NULL, 'P' },
		{ "k", required_argument, NULL, 'k' },
		{ "q0", required_argument, NULL, 'Q' },
		{ "q", required_argument, NULL, 'q' },
		{ "range-uj", required_argument, NULL, 'R' },
		{ "start-uj", required_argument, NULL, 'S' },
		{ "period-ms", required_argument, NULL, 'p' },
		{ "cpu-socket", required_argument, NULL, 'c' },
		{ "busy", required_argument, NULL, 'b' },
		{ "duration", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, i;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			cfg.root = optarg;
			break;
		case 's':
			cfg.sockets = parse_num("--sockets", optarg, 1);
			if (cfg.sockets > MAX_SOCKETS || cfg.sockets != atof(optarg))
				die("bad --sockets '%s' (1..%d)", optarg, MAX_SOCKETS);
			break;
		case 'P':
			cfg.p0 = parse_num("--p0", optarg, 0);
			break;
		case 'k':
			cfg.k = parse_num("--k", optarg, 0);
			break;
		case 'Q':
			cfg.q0 = parse_num("--q0", optarg, 0);
			break;
		case 'q':
			cfg.q = parse_num("--q", optarg, 0);
			break;
		case 'R':
			cfg.range = parse_u64("--range-uj", optarg);
			if (!cfg.range)
				die("--range-uj must be > 0");
			break;
		case 'S':
			cfg.start = parse_u64("--start-uj", optarg);
			break;
		case 'p':
			cfg.period = parse_num("--period-ms", optarg, 0.05) * 1e-3;
			break;
		case 'c':
			parse_cpu_socket(optarg);
			break;
		case 'b':
			if (strcmp(optarg, "idle") && strcmp(optarg, "fields"))
				die("bad --busy '%s' (idle or fields)", optarg);
			cfg.busy_fields = strcmp(optarg, "fields") == 0;
			break;
		case 'd':
			cfg.duration = parse_num("--duration", optarg, 0);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc || !cfg.root) {
		usage(stderr);
		exit(2);
	}
	for (i = 0; i < cfg.nr_cpu_socket; i++)
		if (cfg.cpu_socket[i] >= cfg.sockets)
			die("--cpu-socket names socket %d of %d", cfg.cpu_socket[i], cfg.sockets);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct statfs sfs;
	struct timespec next;
	double hz, start, last, last_stat, t, stat_every;
	char *statbuf;
	size_t statsize;
	long ncpu;
	int s, rootfd;

	parse_args(argc, argv);
	hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		hz = 100;
	/* Nothing new appears in /proc/stat between USER_HZ ticks. */
	stat_every = 1.0 / hz;
	ncpu = sysconf(_SC_NPROCESSORS_CONF);
	if (ncpu < 1)
		ncpu = 1;
	statsize = 256 * (size_t)(ncpu + 2);
	statbuf = malloc(statsize);
	if (!statbuf)
		die("out of memory");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	make_tree();
	if (statfs(cfg.root, &sfs) == 0 && sfs.f_type != TMPFS_MAGIC)
		fprintf(stderr,
			"raplsim: hint: %s is not on tmpfs; each update renames files, "
			"which costs far more CPU on a disk file system (try /dev/shm)\n",
			cfg.root);
	start = last = last_stat = now_sec();
	sample_stat(statbuf, statsize, start, hz);
	rootfd = open(cfg.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0 || write_atomic(rootfd, ".raplsim-ready", "ready\n"))
		die("cannot write %s/.raplsim-ready", cfg.root);
	close(rootfd);

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!stop) {
		long ns = (long)(cfg.period * 1e9);

		next.tv_nsec += ns % 1000000000L;
		next.tv_sec += ns / 1000000000L + next.tv_nsec / 1000000000L;
		next.tv_nsec %= 1000000000L;
		/* A signal interrupts the sleep; the loop then checks stop. */
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		t = now_sec();
		if (cfg.duration > 0 && t - start >= cfg.duration) {
			t = start + cfg.duration;
			stop = 1;
		}
		/* Static power follows the clock, not the nominal period. */
		for (s = 0; s < cfg.sockets; s++) {
			pkg_uj[s] += cfg.p0 * (t - last) * 1e6;
			dram_uj[s] += cfg.q0 * (t - last) * 1e6;
		}
		last = t;
		if (t - last_stat >= stat_every || stop) {
			sample_stat(statbuf, statsize, t, hz);
			last_stat = t;
		}
		write_counters();
		/* Fell behind (suspended, overloaded): do not try to catch up. */
		if (t - (next.tv_sec + next.tv_nsec * 1e-9) > 0.1)
			clock_gettime(CLOCK_MONOTONIC, &next);
	}
	free(statbuf);
	return 0;
}
