// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Root-only: the energat-bpf binary against bad input and faults (issue 8).
 * One table row per case: the command line, how the run is disturbed, and
 * the exit status and message that must come out. Every case asserts both.
 *
 * The binary is $ENERGAT_BIN, else ../energat-bpf next to this test (so the
 * sanitizer build tests its own binary); scripts/ is found in $ENERGAT_SRCDIR,
 * the build directory's parent or the working directory.
 *
 * Tokens in a row's argv: @O@ output directory, @F@ the case's input file,
 * @S@ fake sysfs root, @P@ the target process, @N@ a PID nobody has, @R@ the
 * case's scratch directory.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <bpf/bpf.h>
#include "fake_tree.h"
#include "meter_fake.h"
#include "topology.h"
#include "workload.h"

#define NOBODY 65534
#define RUN_TIMEOUT_SEC 25.0
#define TRACES "energat_traces_t.csv"
#define THREADS "energat_threads_t.csv"
#define TRACES_FIELDS 17
#define THREADS_FIELDS 9
#define RANGE_UJ 262143328850ULL /* a real package zone's max_energy_range_uj */
#define MAX_IDS 64
#define SHORT_PATH 1024 /* paths under the case's scratch directory */

/* The usual tracing command line; cases add to it. */
#define TRACE "--pid", "@P@", "--no-baseline", "--name", "t", "--output", "@O@"

enum {
	F_NOBODY = 1 << 0, /* run as uid and gid 65534, no capabilities */
	F_NOCAPS = 1 << 1, /* uid 0 with every capability dropped */
	F_LEASTCAPS = 1 << 2, /* uid 65534 with the documented ambient capabilities */
	F_HIDE_BTF = 1 << 3, /* private mount namespace with an empty /sys/kernel/btf */
	F_REAP = 1 << 4, /* reap the target as soon as it exits (else it stays a zombie) */
};

struct ctx;
struct run {
	int status; /* exit code, or 128 + signal */
	char log[32768]; /* stdout and stderr */
};

struct cli_case {
	const char *name;
	const char *argv[24];
	int (*setup)(struct ctx *c); /* prepares files and the target; 0 or -errno */
	unsigned int flags;
	void (*early)(struct ctx *c); /* once the tracer holds a BPF map, before it traces */
	void (*during)(struct ctx *c); /* once the traces CSV has a row */
	int sig; /* sent after during (or once a row exists) */
	int want_status;
	int or_status; /* another acceptable status, when > 0 */
	const char *want_msg; /* must appear in the output; NULL: anything */
	void (*check)(struct ctx *c, const struct run *r);
	double timeout; /* 0: RUN_TIMEOUT_SEC */
};

struct ctx {
	const struct cli_case *cc;
	char *root;
	char out[PATH_MAX]; /* may be set from the others */
	char file[SHORT_PATH], sys[SHORT_PATH], mnt[SHORT_PATH], path[SHORT_PATH];
	char log[SHORT_PATH];
	int mounted, immutable;
	pid_t target, tracer, reuser, nopid;
	int target_reaped;
	int ids[3][MAX_IDS], nids[3]; /* prog, map and link ids held by the tracer */
	unsigned int tracer_uid; /* real uid of the tracer while it ran, -1: not looked */
	const char *skip_why; /* set by a setup that cannot run here */
	struct run *run; /* freed by the teardown, also after a failed assertion */
};

static char bin[PATH_MAX], srcdir[PATH_MAX];
static int nr_sockets = 1;

static double now_sec(void)
{
	return monotonic_ns() / 1e9;
}

static void sleep_sec(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s, .tv_nsec = (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), ret = 0;
	size_t off = 0;

	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0) {
			ret = -errno;
			break;
		}
		off += n;
	}
	close(fd);
	return ret;
}

static int write_str(const char *path, const char *s)
{
	return write_file(path, s, strlen(s));
}

/* The whole file, NUL-terminated, malloc'd; NULL when it cannot be read. */
static char *slurp(const char *path, size_t *lenp)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 || !buf) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len == 1) {
			char *b = realloc(buf, cap * 2);

			if (!b)
				break;
			buf = b;
			cap *= 2;
		}
	}
	close(fd);
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
}

/*
 * Data rows of a CSV with @fields columns (RFC 4180 quotes understood).
 * -1: missing, -2: does not end with a newline (a torn row), -3: a record with
 * another number of fields.
 */
static int csv_rows(const char *path, int fields)
{
	size_t len, i;
	char *buf = slurp(path, &len);
	int records = 0, f = 1, quoted = 0, ret;

	if (!buf)
		return -1;
	if (len == 0) {
		free(buf);
		return -3;
	}
	if (buf[len - 1] != '\n') {
		free(buf);
		return -2;
	}
	for (i = 0; i < len; i++) {
		if (buf[i] == '"')
			quoted = !quoted;
		else if (!quoted && buf[i] == ',')
			f++;
		else if (!quoted && buf[i] == '\n') {
			if (f != fields) {
				printf("  bad record %d in %s: %d fields\n", records, path, f);
				free(buf);
				return -3;
			}
			records++;
			f = 1;
		}
	}
	ret = records - 1;
	free(buf);
	return ret;
}

static int out_rows(struct ctx *c, const char *file, int fields)
{
	char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/%s", c->out, file);
	return csv_rows(p, fields);
}

/* ---- processes ---- */

/* Burn @burn_ms of CPU every 50 ms for @life_sec (< 0: until killed), then exit. */
static pid_t start_target(int burn_ms, double life_sec)
{
	pid_t pid = fork();

	if (pid == 0) {
		double end = now_sec() + life_sec;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_NAME, "energat-target");
		while (life_sec < 0 || now_sec() < end) {
			if (burn_ms)
				burn_ns(burn_ms * 1000000LL);
			usleep(50000);
		}
		_exit(0);
	}
	return pid;
}

static char *volatile mem_keep;

/* A sleeping target that holds @mib MiB of touched memory. */
static pid_t start_mem_target(int mib)
{
	pid_t pid = fork();

	if (pid == 0) {
		size_t len = (size_t)mib << 20;
		char *p = malloc(len);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (!p)
			_exit(1);
		memset(p, 1, len);
		mem_keep = p; /* or the compiler drops the memset */
		for (;;)
			pause();
	}
	return pid;
}

static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

static int capset_all(__u64 mask)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {
		{ .effective = (__u32)mask, .permitted = (__u32)mask, .inheritable = (__u32)mask },
		{ .effective = mask >> 32, .permitted = mask >> 32, .inheritable = mask >> 32 },
	};

	return syscall(SYS_capset, &hdr, d);
}

#define CAP(x) (1ULL << (x))
/* What docs/SECURITY.md says a tracer needs (AmbientCapabilities= under systemd). */
/*
 * CAP_PERFMON also grants the ptrace read access that another user's
 * /proc/PID/numa_maps needs. CAP_SYS_RESOURCE only matters on kernels before
 * 5.11 (RLIMIT_MEMLOCK); it is left out when the bounding set lacks it.
 */
#define LEAST_CAPS_WANT (CAP(CAP_BPF) | CAP(CAP_PERFMON) | CAP(CAP_SYS_RESOURCE))

static __u64 least_caps(void)
{
	__u64 m = LEAST_CAPS_WANT;
	int cap;

	for (cap = 0; cap < 64; cap++)
		if ((m & CAP(cap)) && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1)
			m &= ~CAP(cap);
	return m;
}

/* In the child, before exec: become what the case's flags ask. Exits on failure. */
static void child_identity(unsigned int flags)
{
	int cap;

	if (flags & F_HIDE_BTF) {
		if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount("none", "/sys/kernel/btf", "tmpfs", 0, "size=4k")) {
			perror("it_cli: hide /sys/kernel/btf");
			_exit(120);
		}
	}
	if (flags & F_NOCAPS) {
		for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
			prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
		if (capset_all(0)) {
			perror("it_cli: capset");
			_exit(120);
		}
	}
	if (flags & (F_NOBODY | F_LEASTCAPS)) {
		if ((flags & F_LEASTCAPS) && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)) {
			perror("it_cli: keepcaps");
			_exit(120);
		}
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY)) {
			perror("it_cli: become nobody");
			_exit(120);
		}
	}
	if (flags & F_LEASTCAPS) {
		__u64 caps = least_caps();

		if (capset_all(caps)) {
			perror("it_cli: capset");
			_exit(120);
		}
		for (cap = 0; cap < 64; cap++)
			if ((caps & CAP(cap)) &&
			    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0)) {
				perror("it_cli: ambient capability");
				_exit(120);
			}
	}
}

static char *expand(const struct ctx *c, const char *a)
{
	char buf[PATH_MAX * 2], num[32];
	const char *rep;
	size_t o = 0;

	while (*a && o < sizeof(buf) - 1) {
		rep = NULL;
		if (a[0] == '@' && a[1] && a[2] == '@') {
			switch (a[1]) {
			case 'O':
				rep = c->out;
				break;
			case 'F':
				rep = c->file;
				break;
			case 'S':
				rep = c->sys;
				break;
			case 'R':
				rep = c->root;
				break;
			case 'P':
				snprintf(num, sizeof(num), "%d", c->target);
				rep = num;
				break;
			case 'N':
				snprintf(num, sizeof(num), "%d", c->nopid);
				rep = num;
				break;
			}
		}
		if (rep) {
			o += snprintf(buf + o, sizeof(buf) - o, "%s", rep);
			a += 3;
		} else {
			buf[o++] = *a++;
		}
		if (o > sizeof(buf) - 1)
			o = sizeof(buf) - 1;
	}
	buf[o] = '\0';
	return strdup(buf);
}

static pid_t spawn(struct ctx *c, const char *const *args, unsigned int flags, const char *log)
{
	char *argv[32];
	pid_t pid;
	int i, n = 0;

	argv[n++] = bin;
	for (i = 0; args[i] && n < 31; i++)
		argv[n++] = expand(c, args[i]);
	argv[n] = NULL;
	printf("  $ energat-bpf");
	for (i = 1; i < n; i++)
		printf(" %s", argv[i]);
	printf("%s\n", flags & F_NOBODY	   ? "   (as nobody)" :
		       flags & F_NOCAPS	   ? "   (uid 0, no capabilities)" :
		       flags & F_LEASTCAPS ? "   (as nobody + ambient capabilities)" :
		       flags & F_HIDE_BTF  ? "   (/sys/kernel/btf hidden)" :
					     "");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(121);
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			dup2(fd, 0);
		umask(022);
		child_identity(flags);
		execv(bin, argv);
		perror("it_cli: exec");
		_exit(127);
	}
	for (i = 1; i < n; i++)
		free(argv[i]);
	return pid;
}

static int wait_status(int ws)
{
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws);
	if (WIFSIGNALED(ws))
		return 128 + WTERMSIG(ws);
	return -1;
}

/* Wait for @pid at most @timeout seconds (then SIGKILL it); its status or -1. */
static int wait_for(pid_t pid, double timeout)
{
	double end = now_sec() + timeout;
	int ws;

	while (now_sec() < end) {
		if (waitpid(pid, &ws, WNOHANG) == pid)
			return wait_status(ws);
		usleep(20000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &ws, 0);
	return -1;
}

static void print_log(const char *log)
{
	const char *p = log, *nl;
	int lines = 0;

	while (*p && lines < 12) {
		nl = strchr(p, '\n');
		printf("  | %.*s\n", (int)(nl ? nl - p : (long)strlen(p)), p);
		lines++;
		p = nl ? nl + 1 : p + strlen(p);
	}
	if (*p)
		printf("  | ...\n");
}

/* Whether @pid has a BPF map open: it is past its checks and loading. */
static int holds_bpf_map(pid_t pid)
{
	char dir[64], path[PATH_MAX], line[128];
	struct dirent *de;
	int found = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fdinfo", pid);
	d = opendir(dir);
	if (!d)
		return 0;
	while (!found && (de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (!found && fgets(line, sizeof(line), f))
			found = !strncmp(line, "map_id:", 7);
		fclose(f);
	}
	closedir(d);
	return found;
}

static void run_case(struct ctx *c, struct run *r)
{
	const struct cli_case *cc = c->cc;
	double timeout = cc->timeout > 0 ? cc->timeout : RUN_TIMEOUT_SEC;
	double end = now_sec() + timeout;
	int hooked = !(cc->during || cc->sig), early = !cc->early, ws;
	char *log;

	c->tracer = spawn(c, cc->argv, cc->flags, c->log);
	assert_true(c->tracer > 0);
	for (;;) {
		if (waitpid(c->tracer, &ws, WNOHANG) == c->tracer)
			break;
		if ((cc->flags & F_REAP) && c->target > 0 && !c->target_reaped &&
		    waitpid(c->target, NULL, WNOHANG) == c->target)
			c->target_reaped = 1;
		if (!early && holds_bpf_map(c->tracer)) {
			early = 1;
			cc->early(c);
		}
		if (!hooked && out_rows(c, TRACES, TRACES_FIELDS) >= 1) {
			hooked = 1;
			if (cc->during)
				cc->during(c);
			if (cc->sig)
				kill(c->tracer, cc->sig);
		}
		if (now_sec() > end) {
			kill(c->tracer, SIGKILL);
			waitpid(c->tracer, &ws, 0);
			log = slurp(c->log, NULL);
			print_log(log ? log : "");
			free(log);
			fail_msg("%s: still running after %.0f s (killed)", cc->name, timeout);
		}
		usleep(early ? 20000 : 2000);
	}
	c->tracer = 0;
	r->status = wait_status(ws);
	log = slurp(c->log, NULL);
	snprintf(r->log, sizeof(r->log), "%s", log ? log : "");
	free(log);
	printf("  exit %d\n", r->status);
	print_log(r->log);
	if (!hooked)
		fail_msg("%s: the tracer ended (exit %d) before writing a row", cc->name,
			 r->status);
}

/* ---- setups ---- */

static int setup_target(struct ctx *c)
{
	c->target = start_target(2, -1);
	return c->target > 0 ? 0 : -errno;
}

#define MEM_TARGET_MIB 128

/* Wait (5 s at most) until @pid has @bytes resident. */
static int wait_resident(pid_t pid, unsigned long long bytes)
{
	char path[64];
	unsigned long long size, res;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/statm", pid);
	for (i = 0; i < 500; i++) {
		FILE *f = fopen(path, "re");
		int n = f ? fscanf(f, "%llu %llu", &size, &res) : 0;

		if (f)
			fclose(f);
		if (n == 2 && res * (unsigned long long)getpagesize() >= bytes)
			return 0;
		usleep(10000);
	}
	return -1;
}

static int setup_mem_target(struct ctx *c)
{
	c->target = start_mem_target(MEM_TARGET_MIB);
	if (c->target <= 0)
		return -errno;
	if (wait_resident(c->target, (unsigned long long)MEM_TARGET_MIB << 20))
		return -ETIMEDOUT;
	return chmod(c->root, 0755) || mkdir(c->out, 0755) || chown(c->out, NOBODY, NOBODY) ?
		       -errno :
		       0;
}

static int setup_nopid(struct ctx *c)
{
	pid_t p;

	/* Highest free PID below the kernel's default pid_max. */
	for (p = 4194000; p > 1000; p--)
		if (kill(p, 0) && errno == ESRCH)
			break;
	c->nopid = p;
	return 0;
}

static int setup_zombie(struct ctx *c)
{
	int i;

	c->target = start_target(0, 0);
	if (c->target <= 0)
		return -errno;
	for (i = 0; i < 200 && proc_state(c->target) != 'Z'; i++)
		usleep(10000);
	return proc_state(c->target) == 'Z' ? 0 : -EAGAIN;
}

/*
 * The target burns CPU for 2.5 s (the tracer has started by then, even under
 * ASan), then exits and is reaped (F_REAP) or left a zombie.
 */
static int setup_short_target(struct ctx *c)
{
	c->target = start_target(20, 2.5);
	return c->target > 0 ? 0 : -errno;
}

static int setup_file(struct ctx *c, const char *content, size_t len)
{
	int ret = setup_target(c);

	return ret ? ret : write_file(c->file, content, len);
}

#define SETUP_FILE(fn, text)                                  \
	static int fn(struct ctx *c)                          \
	{                                                     \
		return setup_file(c, text, sizeof(text) - 1); \
	}

SETUP_FILE(setup_base_corrupt, "{not json")
SETUP_FILE(setup_base_truncated, "{\"pkg_base_w\": [10.5], \"dram_base_w\": [2")
SETUP_FILE(setup_base_empty, "")
SETUP_FILE(setup_base_negative, "{\"pkg_base_w\": [-3], \"dram_base_w\": [1], "
				"\"pkg_base_percents\": [1], \"dram_base_percents\": [1]}")
SETUP_FILE(setup_base_inf, "{\"pkg_base_w\": [1e999], \"dram_base_w\": [1], "
			   "\"pkg_base_percents\": [1], \"dram_base_percents\": [1]}")
SETUP_FILE(setup_base_binary, "\x7f"
			      "ELF\x02\x01\x01\x00\x00\x00\xff\xfe")
SETUP_FILE(setup_conf_unknown, "interval = 0.5\nbogus = 1\n")
SETUP_FILE(setup_conf_nan, "interval = nan\n")
SETUP_FILE(setup_conf_huge_num, "duration = 1e400\n")
SETUP_FILE(setup_conf_pid, "pid = 1\n")
SETUP_FILE(setup_conf_quote, "output = \"/tmp/never-closed\n")
SETUP_FILE(setup_conf_nul, "interval = 1\0\nduration = 1\n")
SETUP_FILE(setup_conf_good, "# a good file\ninterval = 0.2\nduration = 0.6\nno-baseline = true\n")
SETUP_FILE(setup_btf_garbage, "this is not BTF\n")

/* A baseline for @n sockets (n may differ from this machine's). */
static int write_baseline(const char *path, int n)
{
	char buf[1024];
	int i, o;
	const char *keys[] = { "pkg_base_w", "dram_base_w", "pkg_base_percents",
			       "dram_base_percents" };
	int k;

	o = snprintf(buf, sizeof(buf), "{");
	for (k = 0; k < 4; k++) {
		o += snprintf(buf + o, sizeof(buf) - o, "%s\"%s\": [", k ? ", " : "", keys[k]);
		for (i = 0; i < n; i++)
			o += snprintf(buf + o, sizeof(buf) - o, "%s%d", i ? ", " : "",
				      k < 2 ? 3 : 1);
		o += snprintf(buf + o, sizeof(buf) - o, "]");
	}
	snprintf(buf + o, sizeof(buf) - o, "}\n");
	return write_str(path, buf);
}

static int setup_base_good(struct ctx *c)
{
	int ret = setup_target(c);

	return ret ? ret : write_baseline(c->file, nr_sockets);
}

static int setup_base_sockets(struct ctx *c)
{
	int ret = setup_target(c);

	return ret ? ret : write_baseline(c->file, nr_sockets + 1);
}

/* 2 MiB: a valid object drowned in blanks. */
static int setup_huge(struct ctx *c, const char *tail)
{
	size_t n = 2 << 20, t = strlen(tail);
	char *buf = malloc(n);
	int ret;

	if (!buf)
		return -ENOMEM;
	memset(buf, ' ', n);
	memcpy(buf + n - t, tail, t);
	ret = setup_target(c);
	if (!ret)
		ret = write_file(c->file, buf, n);
	free(buf);
	return ret;
}

static int setup_base_huge(struct ctx *c)
{
	return setup_huge(c, "{\"pkg_base_w\": [1], \"dram_base_w\": [1], "
			     "\"pkg_base_percents\": [1], \"dram_base_percents\": [1]}\n");
}

static int setup_conf_huge(struct ctx *c)
{
	return setup_huge(c, "\ninterval = 1\n");
}

static int setup_file_dir(struct ctx *c)
{
	int ret = setup_target(c);

	return ret ? ret : mkdir(c->file, 0755) ? -errno : 0;
}

static int setup_file_fifo(struct ctx *c)
{
	int ret = setup_target(c);

	return ret ? ret : mkfifo(c->file, 0644) ? -errno : 0;
}

static int setup_btf_copy(struct ctx *c)
{
	size_t len;
	char *btf = slurp("/sys/kernel/btf/vmlinux", &len);
	int ret;

	if (!btf)
		return -errno;
	ret = setup_target(c);
	if (!ret)
		ret = write_file(c->file, btf, len);
	free(btf);
	return ret;
}

/* 2-socket fake sysfs (scripts/fake-topology.sh) with a powercap tree. */
static int setup_fake_powercap(struct ctx *c)
{
	char cmd[PATH_MAX * 3];
	int ret;

	snprintf(cmd, sizeof(cmd), "'%s/scripts/fake-topology.sh' '%s' 2 >/dev/null", srcdir,
		 c->sys);
	if (system(cmd))
		return -EIO;
	ret = meter_fake_zone(c->sys, "intel-rapl:0", "package-0", 1000000, RANGE_UJ);
	if (!ret)
		ret = meter_fake_zone(c->sys, "intel-rapl:1", "package-1", 5000000, RANGE_UJ);
	if (!ret)
		ret = fake_write(c->sys, "class/powercap/intel-rapl/enabled", "1\n");
	return ret ? ret : setup_target(c);
}

/* Same, with a 1000 J counter range: one second at METER_MAX_SOCKET_W can wrap it. */
static int setup_fake_powercap_small(struct ctx *c)
{
	int ret = setup_fake_powercap(c);

	if (!ret)
		ret = fake_write(c->sys, "class/powercap/intel-rapl:0/max_energy_range_uj",
				 "1000000000\n");
	if (!ret)
		ret = fake_write(c->sys, "class/powercap/intel-rapl:1/max_energy_range_uj",
				 "1000000000\n");
	return ret;
}

static int setup_fake_2s(struct ctx *c)
{
	char cmd[PATH_MAX * 3];

	snprintf(cmd, sizeof(cmd), "'%s/scripts/fake-topology.sh' '%s' 2 >/dev/null", srcdir,
		 c->sys);
	if (system(cmd))
		return -EIO;
	return setup_base_good(c); /* a valid file, for one socket */
}

static int setup_out_is_file(struct ctx *c)
{
	int ret = setup_target(c);

	return ret ? ret : write_str(c->out, "I am a file\n");
}

static int setup_out_deep(struct ctx *c)
{
	snprintf(c->out, sizeof(c->out), "%s/a/b/c", c->root);
	return setup_target(c);
}

static int mount_tmpfs(struct ctx *c, unsigned long flags, const char *opts)
{
	if (mkdir(c->mnt, 0755) || mount("none", c->mnt, "tmpfs", flags, opts))
		return -errno;
	c->mounted = 1;
	return 0;
}

static int setup_out_readonly(struct ctx *c)
{
	int ret = mount_tmpfs(c, MS_RDONLY, "size=64k");

	snprintf(c->out, sizeof(c->out), "%s/out", c->mnt);
	return ret ? ret : setup_target(c);
}

static int setup_out_small(struct ctx *c)
{
	int ret = mount_tmpfs(c, 0, "size=64k");

	snprintf(c->out, sizeof(c->out), "%s/out", c->mnt);
	return ret ? ret : setup_target(c);
}

static int set_immutable(const char *path, int on)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), flags, ret = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0) {
		ret = -errno;
	} else {
		flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
		if (ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0)
			ret = -errno;
	}
	close(fd);
	return ret;
}

static int setup_out_immutable(struct ctx *c)
{
	int ret;

	if (mkdir(c->out, 0755))
		return -errno;
	ret = set_immutable(c->out, 1);
	if (ret == -ENOTTY || ret == -EOPNOTSUPP || ret == -EINVAL) {
		c->skip_why = "the scratch file system has no chattr +i";
		return 0;
	}
	if (ret)
		return ret;
	c->immutable = 1;
	return setup_target(c);
}

/* Run @fn(@arg) as nobody in a child, the way another local user would plant files. */
static int as_nobody(int (*fn)(const char *a, const char *b), const char *a, const char *b)
{
	pid_t pid = fork();
	int ws;

	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(1);
		_exit(fn(a, b) ? 2 : 0);
	}
	if (pid < 0 || waitpid(pid, &ws, 0) != pid)
		return -ECHILD;
	return WIFEXITED(ws) && WEXITSTATUS(ws) == 0 ? 0 : -EPERM;
}

static int do_symlink(const char *target, const char *path)
{
	return symlink(target, path);
}

/* ROOT/ww is world-writable and sticky, like /tmp; ROOT/victim holds precious data. */
static int setup_world_writable(struct ctx *c)
{
	snprintf(c->out, sizeof(c->out), "%s/ww", c->root);
	snprintf(c->path, sizeof(c->path), "%s/victim", c->root);
	if (chmod(c->root, 0755) || mkdir(c->out, 0755) || chmod(c->out, 01777))
		return -errno;
	return setup_target(c);
}

static int setup_planted_symlink(struct ctx *c)
{
	char link[PATH_MAX + 64];
	int ret = setup_world_writable(c);

	if (!ret)
		ret = write_str(c->path, "precious\n");
	snprintf(link, sizeof(link), "%s/" TRACES, c->out);
	return ret ? ret : as_nobody(do_symlink, c->path, link);
}

static int setup_planted_hardlink(struct ctx *c)
{
	char planted[PATH_MAX + 64];
	int ret = setup_world_writable(c);

	if (!ret)
		ret = write_str(c->path, "precious\n");
	snprintf(planted, sizeof(planted), "%s/" TRACES, c->out);
	/* protected_hardlinks stops nobody; root plays the attacker's part. */
	return ret ? ret : link(c->path, planted) ? -errno : 0;
}

/* --output ROOT/ww/res, where nobody planted res -> ROOT/victim (a directory). */
static int setup_planted_dir_symlink(struct ctx *c)
{
	char link[SHORT_PATH * 2];
	int ret = setup_world_writable(c);

	if (!ret && mkdir(c->path, 0755))
		ret = -errno;
	snprintf(link, sizeof(link), "%s/ww/res", c->root);
	ret = ret ? ret : as_nobody(do_symlink, c->path, link);
	snprintf(c->out, sizeof(c->out), "%s", link);
	return ret;
}

/* Output and scratch directory usable by nobody. */
static int setup_nobody(struct ctx *c)
{
	if (chmod(c->root, 0755) || mkdir(c->out, 0755) || chown(c->out, NOBODY, NOBODY))
		return -errno;
	return setup_target(c);
}

static int setup_cmd(struct ctx *c)
{
	snprintf(c->path, sizeof(c->path), "%s/uid", c->root);
	return chmod(c->root, 0777) ? -errno : 0;
}

/* ---- during ---- */

static void during_second_tracer(struct ctx *c)
{
	static const char *const args[] = {
		"--pid",    "@P@",	"--no-baseline", "--name", "t",
		"--output", "@R@/out2", "--duration",	 "1",	   NULL
	};
	char log[PATH_MAX + 16], p[PATH_MAX + 64], *text;
	pid_t pid;
	int st;

	snprintf(log, sizeof(log), "%s/log2", c->root);
	pid = spawn(c, args, 0, log);
	assert_true(pid > 0);
	st = wait_for(pid, 15);
	text = slurp(log, NULL);
	printf("  second tracer: exit %d\n", st);
	print_log(text ? text : "");
	free(text);
	snprintf(p, sizeof(p), "%s/out2/" TRACES, c->root);
	assert_int_equal(st, 0);
	assert_true(csv_rows(p, TRACES_FIELDS) >= 1);
}

static void read_fdinfo_ids(struct ctx *c, pid_t pid)
{
	static const char *const keys[3] = { "prog_id:", "map_id:", "link_id:" };
	char dir[64], path[PATH_MAX], line[256];
	struct dirent *de;
	DIR *d;
	int k;

	snprintf(dir, sizeof(dir), "/proc/%d/fdinfo", pid);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			for (k = 0; k < 3; k++)
				if (!strncmp(line, keys[k], strlen(keys[k])) &&
				    c->nids[k] < MAX_IDS)
					c->ids[k][c->nids[k]++] = atoi(line + strlen(keys[k]));
		fclose(f);
	}
	closedir(d);
}

static void during_collect_ids(struct ctx *c)
{
	read_fdinfo_ids(c, c->tracer);
	printf("  tracer holds %d BPF programs, %d maps, %d links\n", c->nids[0], c->nids[1],
	       c->nids[2]);
}

static void fill_fs(const char *dir)
{
	char path[PATH_MAX + 16], block[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/filler", dir);
	memset(block, 'x', sizeof(block));
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	while (write(fd, block, sizeof(block)) > 0)
		;
	/* the last partial page too */
	while (write(fd, block, 1) > 0)
		;
	close(fd);
}

static void during_fill(struct ctx *c)
{
	fill_fs(c->mnt);
}

static void powercap_energy(struct ctx *c, const char *zone, const char *text)
{
	assert_int_equal(meter_fake_energy(c->sys, zone, text), 0);
}

static void during_meter_faults(struct ctx *c)
{
	char buf[64];

	powercap_energy(c, "intel-rapl:0", "garbage\n");
	sleep_sec(0.5);
	powercap_energy(c, "intel-rapl:0", "");
	sleep_sec(0.5);
	powercap_energy(c, "intel-rapl:0", "-5\n");
	sleep_sec(0.5);
	powercap_energy(c, "intel-rapl:0", "2000000\n"); /* back: resynchronised */
	sleep_sec(0.5);
	/* 200 kJ within one 0.2 s interval: no socket draws 1 MW */
	snprintf(buf, sizeof(buf), "%llu\n", 200002000000ULL);
	powercap_energy(c, "intel-rapl:0", buf);
	sleep_sec(0.5);
}

/* A pause (suspend) across which the counter wraps several times. */
static void during_pause_wrap(struct ctx *c)
{
	kill(c->tracer, SIGSTOP);
	/* Three wraps of the 1000 J range plus 1 J: indistinguishable from 1 J. */
	powercap_energy(c, "intel-rapl:0", "2000000\n");
	sleep_sec(2.0);
	kill(c->tracer, SIGCONT);
	sleep_sec(0.8);
}

/* The target dies (and stays a zombie) after the PID check, before tracing starts. */
static void early_kill_target(struct ctx *c)
{
	kill(c->target, SIGKILL);
	while (proc_state(c->target) != 'Z')
		usleep(1000);
	printf("  target %d killed while the tracer loads\n", c->target);
}

static pid_t fork_at_pid(pid_t want)
{
	int i, fd;

	for (i = 0; i < 100; i++) {
		pid_t pid;

		fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		dprintf(fd, "%d", want - 1);
		close(fd);
		pid = fork();
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			prctl(PR_SET_NAME, "energat-reuser");
			if (getpid() != want)
				_exit(0);
			burn_ns(1500000000LL);
			_exit(0);
		}
		if (pid == want)
			return pid;
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	return -1;
}

static void during_pid_reuse(struct ctx *c)
{
	pid_t old = c->target;

	kill(old, SIGKILL);
	waitpid(old, NULL, 0);
	c->target_reaped = 1;
	c->reuser = fork_at_pid(old);
	printf("  target %d killed; PID %s by a busy process\n", old,
	       c->reuser == old ? "reused at once" : "NOT reused (ns_last_pid race)");
}

static unsigned int proc_uid(pid_t pid)
{
	char path[64], line[256];
	unsigned int uid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %*u %u", &uid) == 1)
			break;
	fclose(f);
	return uid;
}

static void during_uid(struct ctx *c)
{
	c->tracer_uid = proc_uid(c->tracer);
	printf("  tracer effective uid while tracing: %d\n", (int)c->tracer_uid);
}

/* ---- checks ---- */

static void check_rows(struct ctx *c, const struct run *r)
{
	int n = out_rows(c, TRACES, TRACES_FIELDS), t = out_rows(c, THREADS, THREADS_FIELDS);

	(void)r;
	printf("  %s: %d rows, %s: %d rows\n", TRACES, n, THREADS, t);
	if (n < 1)
		fail_msg("%s: %d rows (want >= 1; -2 = torn last row, -3 = bad record)", TRACES, n);
	if (t < 0)
		fail_msg("%s: %d (-2 = torn last row, -3 = bad record)", THREADS, t);
}

static void check_saved(struct ctx *c, const struct run *r)
{
	check_rows(c, r);
	if (!strstr(r->log, "interval(s)"))
		fail_msg("no summary printed");
}

static void check_modes(struct ctx *c, const struct run *r)
{
	char p[PATH_MAX + 64];
	struct stat st;

	check_rows(c, r);
	assert_int_equal(stat(c->out, &st), 0);
	printf("  output dir mode %04o\n", st.st_mode & 07777);
	assert_int_equal(st.st_mode & 0777, 0750);
	snprintf(p, sizeof(p), "%s/" TRACES, c->out);
	assert_int_equal(stat(p, &st), 0);
	printf("  %s mode %04o\n", TRACES, st.st_mode & 07777);
	assert_int_equal(st.st_mode & 0777, 0640);
}

static void check_nothing_written(struct ctx *c, const struct run *r)
{
	char p[PATH_MAX + 64];

	(void)r;
	snprintf(p, sizeof(p), "%s/" TRACES, c->out);
	assert_int_not_equal(access(p, F_OK), 0);
}

static void check_victim(struct ctx *c, const struct run *r)
{
	char *v = slurp(c->path, NULL);

	(void)r;
	assert_non_null(v);
	if (strcmp(v, "precious\n"))
		fail_msg("the planted link's target was written: now %zu bytes", strlen(v));
	free(v);
}

static void check_victim_dir(struct ctx *c, const struct run *r)
{
	char p[PATH_MAX + 64];

	(void)r;
	snprintf(p, sizeof(p), "%s/" TRACES, c->path);
	if (!access(p, F_OK))
		fail_msg("followed the planted directory symlink: %s was created", p);
}

static void check_names_file(struct ctx *c, const struct run *r)
{
	if (!strstr(r->log, c->file))
		fail_msg("the message does not name %s", c->file);
}

/* The earlier rows survive a full disk, and no row is cut in half. */
static void check_enospc(struct ctx *c, const struct run *r)
{
	int n = out_rows(c, TRACES, TRACES_FIELDS), t = out_rows(c, THREADS, THREADS_FIELDS);

	(void)r;
	printf("  after ENOSPC: %s %d rows, %s %d rows\n", TRACES, n, THREADS, t);
	if (n < 1 || t < 0)
		fail_msg("rows lost or torn after ENOSPC: traces %d, threads %d "
			 "(-2 = torn last row, -3 = bad record)",
			 n, t);
}

static int id_gone(int kind, int id)
{
	int fd = kind == 0 ? bpf_prog_get_fd_by_id(id) :
		 kind == 1 ? bpf_map_get_fd_by_id(id) :
			     bpf_link_get_fd_by_id(id);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno == ENOENT;
}

static int bpffs_has_energat(const char *dir, int depth)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int found = 0;

	if (!d)
		return 0;
	while (!found && (de = readdir(d))) {
		char p[PATH_MAX];

		if (de->d_name[0] == '.')
			continue;
		if (strstr(de->d_name, "energat")) {
			printf("  pinned: %s/%s\n", dir, de->d_name);
			found = 1;
		}
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (!found && depth < 3 && de->d_type == DT_DIR)
			found = bpffs_has_energat(p, depth + 1);
	}
	closedir(d);
	return found;
}

static void check_sigkill(struct ctx *c, const struct run *r)
{
	static const char *const kinds[3] = { "program", "map", "link" };
	static const char *const args[] = { TRACE, "--duration", "0.5", NULL };
	double end = now_sec() + 5;
	int k, i, left, st, before = out_rows(c, TRACES, TRACES_FIELDS);
	char log[PATH_MAX + 16];

	(void)r;
	assert_true(c->nids[0] > 0);
	do {
		left = 0;
		for (k = 0; k < 3; k++)
			for (i = 0; i < c->nids[k]; i++)
				left += !id_gone(k, c->ids[k][i]);
		if (left)
			usleep(50000);
	} while (left && now_sec() < end);
	for (k = 0; k < 3; k++)
		for (i = 0; i < c->nids[k]; i++)
			if (!id_gone(k, c->ids[k][i]))
				fail_msg("BPF %s id %d still exists after SIGKILL", kinds[k],
					 c->ids[k][i]);
	if (bpffs_has_energat("/sys/fs/bpf", 0))
		fail_msg("energat objects pinned under /sys/fs/bpf after SIGKILL");
	/* No stale state: the next run appends to the same files. */
	printf("  %d rows survived SIGKILL; running again on the same files\n", before);
	assert_true(before >= 1);
	snprintf(log, sizeof(log), "%s/log2", c->root);
	st = wait_for(spawn(c, args, 0, log), 15);
	assert_int_equal(st, 0);
	assert_true(out_rows(c, TRACES, TRACES_FIELDS) > before);
}

static void check_meter_faults(struct ctx *c, const struct run *r)
{
	char p[PATH_MAX + 64], *csv, *line, *save = NULL;
	int rows = 0;

	check_rows(c, r);
	snprintf(p, sizeof(p), "%s/" TRACES, c->out);
	csv = slurp(p, NULL);
	assert_non_null(csv);
	line = strtok_r(csv, "\n", &save); /* header */
	while ((line = strtok_r(NULL, "\n", &save))) {
		double v[TRACES_FIELDS];
		char *s = line, *end;
		int f;

		for (f = 0; f < TRACES_FIELDS; f++) {
			v[f] = strtod(s, &end);
			s = *end ? end + 1 : end;
		}
		/* total_pkg_joules of one interval at most 2000 W * a few seconds */
		if (!isfinite(v[7]) || v[7] < 0 || v[7] > 10000)
			fail_msg("row %d books %g J of package energy", rows, v[7]);
		rows++;
	}
	free(csv);
	assert_true(rows >= 4);
}

/* MemTotal - MemFree of the machine, bytes. */
static double mem_used_bytes(void)
{
	unsigned long long total = 0, free_kb = 0, v;
	char line[256];
	FILE *f = fopen("/proc/meminfo", "re");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemTotal: %llu", &v) == 1)
			total = v;
		else if (sscanf(line, "MemFree: %llu", &v) == 1)
			free_kb = v;
	}
	fclose(f);
	return (total - free_kb) * 1024.0;
}

/* The target's memory credit is seen: at least half its share of MemUsed. */
static void check_dram_credit(struct ctx *c, const struct run *r)
{
	char p[PATH_MAX + 64], *csv, *line, *save = NULL;
	double want = 0.5 * ((double)MEM_TARGET_MIB * 1048576) / mem_used_bytes(), lo = 1;
	int rows = 0;

	check_rows(c, r);
	snprintf(p, sizeof(p), "%s/" TRACES, c->out);
	csv = slurp(p, NULL);
	assert_non_null(csv);
	line = strtok_r(csv, "\n", &save); /* header */
	while ((line = strtok_r(NULL, "\n", &save))) {
		char *s = line;
		int f;

		for (f = 0; f < 6 && s; f++) { /* dram_credit_frac is field 7 */
			s = strchr(s, ',');
			s = s ? s + 1 : NULL;
		}
		assert_non_null(s);
		if (strtod(s, NULL) < lo)
			lo = strtod(s, NULL);
		rows++;
	}
	free(csv);
	printf("  lowest dram_credit_frac %.4f, want >= %.4f (%d MiB target)\n", lo, want,
	       MEM_TARGET_MIB);
	assert_true(rows >= 1);
	if (lo < want)
		fail_msg("dram_credit_frac %.4f < %.4f: the target's memory was not read", lo,
			 want);
}

static void check_reuse(struct ctx *c, const struct run *r)
{
	char p[PATH_MAX + 64], *csv;

	(void)r;
	if (c->reuser <= 0) {
		printf("  skip: could not make the kernel reuse PID %d\n", c->target);
		skip();
	}
	snprintf(p, sizeof(p), "%s/" THREADS, c->out);
	csv = slurp(p, NULL);
	assert_non_null(csv);
	if (strstr(csv, "energat-reuser"))
		fail_msg("the new process that got PID %d was traced", c->target);
	free(csv);
}

static void check_cmd_uid(struct ctx *c, const struct run *r)
{
	char *s;

	check_rows(c, r);
	s = slurp(c->path, NULL);
	assert_non_null(s);
	printf("  the command ran as uid %s", s);
	assert_int_equal(atoi(s), NOBODY);
	free(s);
}

static void check_tracer_dropped(struct ctx *c, const struct run *r)
{
	check_rows(c, r);
	if (c->tracer_uid != NOBODY)
		fail_msg("the tracer still runs as uid %d after loading (want %d)",
			 (int)c->tracer_uid, NOBODY);
}

/* ---- the table ---- */

#define BADNUM(opt, val)                                                                  \
	{                                                                                 \
		.name = opt " " val, .argv = { "--pid", "1", "--no-baseline", opt, val }, \
		.want_status = 2, .want_msg = "invalid " opt " '" val "'",                \
	}

static const struct cli_case cases[] = {
	/* Numbers: rejected at parse time, exit 2, the option and value named. */
	BADNUM("--interval", "0"),
	BADNUM("--interval", "-1"),
	BADNUM("--interval", "nan"),
	BADNUM("--interval", "inf"),
	BADNUM("--interval", "1e400"),
	BADNUM("--interval", "1e-400"),
	BADNUM("--interval", "0x10"),
	BADNUM("--interval", "1s"),
	BADNUM("--interval", " 1"),
	BADNUM("--interval", "3601"),
	BADNUM("--duration", "-1"),
	BADNUM("--duration", "nan"),
	BADNUM("--duration", "1e400"),
	BADNUM("--gamma", "0"),
	BADNUM("--gamma", "-0.3"),
	BADNUM("--gamma", "5"),
	BADNUM("--delta", "nan"),
	BADNUM("--mem-samples", "0"),
	BADNUM("--mem-samples", "1.5"),
	BADNUM("--mem-samples", "99999999999"),
	BADNUM("--base-period", "0"),
	BADNUM("--model-pkg-max-w", "-1"),
	BADNUM("--model-pkg-max-w", "1e9"),
	{ .name = "--pid 0",
	  .argv = { "--pid", "0", "--no-baseline" },
	  .want_status = 2,
	  .want_msg = "invalid --pid '0'" },
	{ .name = "--pid -5",
	  .argv = { "--pid", "-5", "--no-baseline" },
	  .want_status = 2,
	  .want_msg = "invalid --pid '-5'" },
	{ .name = "--pid abc",
	  .argv = { "--pid", "abc", "--no-baseline" },
	  .want_status = 2,
	  .want_msg = "invalid --pid 'abc'" },
	{ .name = "--pid 99999999999",
	  .argv = { "--pid", "99999999999", "--no-baseline" },
	  .want_status = 2,
	  .want_msg = "invalid --pid '99999999999'" },
	{ .name = "--prometheus 70000",
	  .argv = { "--prometheus", "70000" },
	  .want_status = 2,
	  .want_msg = "invalid --prometheus" },
	{ .name = "unknown option",
	  .argv = { "--bogus" },
	  .want_status = 2,
	  .want_msg = "unknown option '--bogus'" },
	{ .name = "missing value",
	  .argv = { "--no-baseline", "--pid" },
	  .want_status = 2,
	  .want_msg = "needs a value" },
	{ .name = "two modes",
	  .argv = { "--pid", "1", "--check" },
	  .want_status = 2,
	  .want_msg = "cannot be combined" },

	/* Targets. */
	{ .name = "no such pid",
	  .argv = { "--pid", "@N@", "--no-baseline", "--output", "@O@" },
	  .setup = setup_nopid,
	  .want_status = 1,
	  .want_msg = "no process with PID",
	  .check = check_nothing_written },
	{ .name = "zombie target",
	  .argv = { TRACE },
	  .setup = setup_zombie,
	  .want_status = 1,
	  .want_msg = "zombie",
	  .check = check_nothing_written },
	{ .name = "target exits mid-run",
	  .argv = { TRACE, "-v", "--interval", "0.2" },
	  .setup = setup_short_target,
	  .flags = F_REAP,
	  .want_status = 0,
	  .want_msg = "target exited",
	  .check = check_saved },
	{ .name = "target becomes a zombie mid-run",
	  .argv = { TRACE, "-v", "--interval", "0.2" },
	  .setup = setup_short_target,
	  .want_status = 0,
	  .want_msg = "target exited",
	  .check = check_saved },
	{ .name = "target becomes a zombie while the tracer starts",
	  .argv = { TRACE, "-v", "--interval", "0.2" },
	  .setup = setup_target,
	  .early = early_kill_target,
	  .want_status = 0,
	  .or_status = 1,
	  .want_msg = "exited",
	  .timeout = 10 },
	{ .name = "pid reused after exit",
	  .argv = { TRACE, "-v", "--interval", "0.3" },
	  .setup = setup_target,
	  .during = during_pid_reuse,
	  .want_status = 0,
	  .want_msg = "target exited",
	  .check = check_reuse },

	/* Baseline files. */
	{ .name = "baseline missing",
	  .argv = { "--pid", "@P@", "--basefile", "@F@", "--output", "@O@" },
	  .setup = setup_target,
	  .want_status = 1,
	  .want_msg = "no baseline power file",
	  .check = check_nothing_written },
	{ .name = "baseline corrupt",
	  .argv = { "--pid", "@P@", "--basefile", "@F@" },
	  .setup = setup_base_corrupt,
	  .want_status = 1,
	  .want_msg = "bad baseline file" },
	{ .name = "baseline truncated",
	  .argv = { "--pid", "@P@", "--basefile", "@F@" },
	  .setup = setup_base_truncated,
	  .want_status = 1,
	  .want_msg = "truncated" },
	{ .name = "baseline empty",
	  .argv = { "--pid", "@P@", "--basefile", "@F@" },
	  .setup = setup_base_empty,
	  .want_status = 1,
	  .want_msg = "empty" },
	{ .name = "baseline binary",
	  .argv = { "--pid", "@P@", "--basefile", "@F@" },
	  .setup = setup_base_binary,
	  .want_status = 1,
	  .want_msg = "bad baseline file" },
	{ .name = "baseline huge",
	  .argv = { "--pid", "@P@", "--basefile", "@F@" },
	  .setup = setup_base_huge,
	  .want_status = 1,
	  .want_msg = "bad baseline file" },
	{ .name = "baseline negative watts",
	  .argv = { "--pid", "@P@", "--basefile", "@F@" },
	  .setup = setup_base_negative,
	  .want_status = 1,
	  .want_msg = "negative" },
	{ .name = "baseline infinite watts",
	  .argv = { "--pid", "@P@", "--basefile", "@F@" },
	  .setup = setup_base_inf,
	  .want_status = 1,
	  .want_msg = "bad baseline file" },
	{ .name = "baseline is a directory",
	  .argv = { "--pid", "@P@", "--basefile", "@F@" },
	  .setup = setup_file_dir,
	  .want_status = 1,
	  .want_msg = "not a regular file" },
	{ .name = "baseline is a fifo",
	  .argv = { "--pid", "@P@", "--basefile", "@F@" },
	  .setup = setup_file_fifo,
	  .want_status = 1,
	  .want_msg = "not a regular file",
	  .timeout = 10 },
	{ .name = "baseline wrong socket count",
	  .argv = { "--pid", "@P@", "--basefile", "@F@", "--output", "@O@" },
	  .setup = setup_base_sockets,
	  .want_status = 1,
	  .want_msg = "socket(s), this machine",
	  .check = check_nothing_written },
	{ .name = "baseline for 1 socket on a fake 2-socket machine",
	  .argv = { "--pid", "@P@", "--basefile", "@F@", "--sysfs-root", "@S@" },
	  .setup = setup_fake_2s,
	  .want_status = 1,
	  .want_msg = "this machine 2" },
	{ .name = "baseline good",
	  .argv = { "--pid", "@P@", "--basefile", "@F@", "--name", "t", "--output", "@O@",
		    "--duration", "0.6", "--interval", "0.2" },
	  .setup = setup_base_good,
	  .want_status = 0,
	  .check = check_saved },

	/* Config files: exit 2 like a bad command line. */
	{ .name = "config missing",
	  .argv = { TRACE, "--config", "@F@" },
	  .setup = setup_target,
	  .want_status = 2,
	  .want_msg = "No such file" },
	{ .name = "config unknown key",
	  .argv = { TRACE, "--config", "@F@" },
	  .setup = setup_conf_unknown,
	  .want_status = 2,
	  .want_msg = "line 2: unknown key 'bogus'" },
	{ .name = "config interval nan",
	  .argv = { TRACE, "--config", "@F@" },
	  .setup = setup_conf_nan,
	  .want_status = 2,
	  .want_msg = "line 1: invalid" },
	{ .name = "config duration 1e400",
	  .argv = { TRACE, "--config", "@F@" },
	  .setup = setup_conf_huge_num,
	  .want_status = 2,
	  .want_msg = "line 1: invalid" },
	{ .name = "config sets pid",
	  .argv = { TRACE, "--config", "@F@" },
	  .setup = setup_conf_pid,
	  .want_status = 2,
	  .want_msg = "cannot be set in a config file" },
	{ .name = "config unterminated quote",
	  .argv = { TRACE, "--config", "@F@" },
	  .setup = setup_conf_quote,
	  .want_status = 2,
	  .want_msg = "line 1" },
	{ .name = "config with NUL",
	  .argv = { TRACE, "--config", "@F@" },
	  .setup = setup_conf_nul,
	  .want_status = 2,
	  .want_msg = "line 1" },
	{ .name = "config huge",
	  .argv = { TRACE, "--config", "@F@" },
	  .setup = setup_conf_huge,
	  .want_status = 2,
	  .check = check_names_file },
	{ .name = "config is a fifo",
	  .argv = { TRACE, "--config", "@F@" },
	  .setup = setup_file_fifo,
	  .want_status = 2,
	  .want_msg = "not a regular file",
	  .timeout = 10 },
	{ .name = "config /dev/zero",
	  .argv = { TRACE, "--config", "/dev/zero" },
	  .setup = setup_target,
	  .want_status = 2,
	  .want_msg = "not a regular file",
	  .timeout = 10 },
	{ .name = "config good",
	  .argv = { "--pid", "@P@", "--name", "t", "--output", "@O@", "--config", "@F@" },
	  .setup = setup_conf_good,
	  .want_status = 0,
	  .check = check_saved },

	/* Output. */
	{ .name = "output created 0750, files 0640",
	  .argv = { TRACE, "--duration", "0.5" },
	  .setup = setup_out_deep,
	  .want_status = 0,
	  .check = check_modes },
	{ .name = "output is a file",
	  .argv = { TRACE, "--duration", "0.5" },
	  .setup = setup_out_is_file,
	  .want_status = 1,
	  .want_msg = "Not a directory" },
	{ .name = "output on a read-only fs",
	  .argv = { TRACE, "--duration", "0.5" },
	  .setup = setup_out_readonly,
	  .want_status = 1,
	  .want_msg = "Read-only file system" },
	{ .name = "output dir immutable",
	  .argv = { TRACE, "--duration", "0.5" },
	  .setup = setup_out_immutable,
	  .want_status = 1,
	  .want_msg = "Operation not permitted" },
	{ .name = "output fills up (ENOSPC)",
	  .argv = { TRACE, "--interval", "0.05" },
	  .setup = setup_out_small,
	  .during = during_fill,
	  .want_status = 1,
	  .want_msg = "No space left on device",
	  .check = check_enospc },
	{ .name = "planted symlink as the CSV",
	  .argv = { TRACE, "--duration", "0.5" },
	  .setup = setup_planted_symlink,
	  .want_status = 1,
	  .want_msg = "Too many levels of symbolic links",
	  .check = check_victim },
	{ .name = "planted hard link as the CSV",
	  .argv = { TRACE, "--duration", "0.5" },
	  .setup = setup_planted_hardlink,
	  .want_status = 1,
	  .want_msg = "Too many links",
	  .check = check_victim },
	{ .name = "planted symlink as the output dir",
	  .argv = { TRACE, "--duration", "0.5" },
	  .setup = setup_planted_dir_symlink,
	  .want_status = 1,
	  .want_msg = "symbolic link",
	  .check = check_victim_dir },

	/* BTF and privileges. */
	{ .name = "--btf copy of vmlinux",
	  .argv = { TRACE, "--btf", "@F@", "--duration", "0.5" },
	  .setup = setup_btf_copy,
	  .want_status = 0,
	  .check = check_saved },
	{ .name = "--btf missing",
	  .argv = { TRACE, "--btf", "@F@", "--duration", "0.5" },
	  .setup = setup_target,
	  .want_status = 1,
	  .want_msg = "No such file",
	  .check = check_names_file },
	{ .name = "--btf garbage (BPF load failure)",
	  .argv = { TRACE, "--btf", "@F@", "--duration", "0.5" },
	  .setup = setup_btf_garbage,
	  .want_status = 1,
	  .want_msg = "BTF",
	  .check = check_names_file },
	{ .name = "kernel without BTF",
	  .argv = { TRACE, "--duration", "0.5" },
	  .setup = setup_target,
	  .flags = F_HIDE_BTF,
	  .want_status = 1,
	  .want_msg = "pass a BTF file with --btf FILE" },
	{ .name = "kernel without BTF, --btf given",
	  .argv = { TRACE, "--btf", "@F@", "--duration", "0.5" },
	  .setup = setup_btf_copy,
	  .flags = F_HIDE_BTF,
	  .want_status = 0,
	  .check = check_saved },
	{ .name = "not root",
	  .argv = { TRACE, "--duration", "0.5" },
	  .setup = setup_nobody,
	  .flags = F_NOBODY,
	  .want_status = 1,
	  .want_msg = "CAP_BPF and CAP_PERFMON" },
	{ .name = "root without capabilities",
	  .argv = { TRACE, "--duration", "0.5" },
	  .setup = setup_target,
	  .flags = F_NOCAPS,
	  .want_status = 1,
	  .want_msg = "CAP_BPF and CAP_PERFMON" },
	{ .name = "nobody with the documented capabilities",
	  .argv = { TRACE, "--duration", "0.6", "--interval", "0.2" },
	  .setup = setup_mem_target,
	  .flags = F_LEASTCAPS,
	  .want_status = 0,
	  .check = check_dram_credit },
	{ .name = "--user runs the command unprivileged",
	  .argv = { "--no-baseline", "--name", "t", "--output", "@O@", "--interval", "0.2",
		    "--user", "nobody", "--", "/bin/sh", "-c", "id -u > @R@/uid; sleep 0.6" },
	  .setup = setup_cmd,
	  .want_status = 0,
	  .check = check_cmd_uid },
	{ .name = "--user: the tracer drops to the user after loading",
	  .argv = { "--no-baseline", "--name", "t", "--output", "@O@", "--interval", "0.2",
		    "--user", "nobody", "--", "/bin/sleep", "1" },
	  .setup = setup_cmd,
	  .during = during_uid,
	  .want_status = 0,
	  .check = check_tracer_dropped },

	{ .name = "memory credit of another user's target (root)",
	  .argv = { TRACE, "--duration", "0.6", "--interval", "0.2" },
	  .setup = setup_mem_target,
	  .want_status = 0,
	  .check = check_dram_credit },
	{ .name = "memory credit of another user's target after --user",
	  .argv = { TRACE, "--duration", "0.6", "--interval", "0.2", "--user", "nobody" },
	  .setup = setup_mem_target,
	  .want_status = 0,
	  .check = check_dram_credit },

	/* Signals and concurrency. */
	{ .name = "SIGTERM saves",
	  .argv = { TRACE, "--interval", "0.2" },
	  .setup = setup_target,
	  .sig = SIGTERM,
	  .want_status = 0,
	  .check = check_saved },
	{ .name = "SIGINT saves",
	  .argv = { TRACE, "--interval", "0.2" },
	  .setup = setup_target,
	  .sig = SIGINT,
	  .want_status = 0,
	  .check = check_saved },
	{ .name = "SIGHUP saves",
	  .argv = { TRACE, "--interval", "0.2" },
	  .setup = setup_target,
	  .sig = SIGHUP,
	  .want_status = 0,
	  .check = check_saved },
	{ .name = "SIGKILL leaves nothing behind",
	  .argv = { TRACE, "--interval", "0.2" },
	  .setup = setup_target,
	  .during = during_collect_ids,
	  .sig = SIGKILL,
	  .want_status = 128 + SIGKILL,
	  .check = check_sigkill },
	{ .name = "two tracers at once",
	  .argv = { TRACE, "--interval", "0.2" },
	  .setup = setup_target,
	  .during = during_second_tracer,
	  .sig = SIGINT,
	  .want_status = 0,
	  .check = check_saved },

	/* Meter faults (fake powercap under a fake 2-socket sysfs). */
	{ .name = "meter garbage, empty, negative, implausible mid-run",
	  .argv = { TRACE, "--sysfs-root", "@S@", "--meter", "powercap", "--interval", "0.2" },
	  .setup = setup_fake_powercap,
	  .during = during_meter_faults,
	  .sig = SIGINT,
	  .want_status = 0,
	  .want_msg = "implausible or unreadable energy counter",
	  .check = check_meter_faults },
	{ .name = "counter wraps several times across a pause",
	  .argv = { TRACE, "--sysfs-root", "@S@", "--meter", "powercap", "--interval", "0.2" },
	  .setup = setup_fake_powercap_small,
	  .during = during_pause_wrap,
	  .sig = SIGINT,
	  .want_status = 0,
	  .want_msg = "wrap",
	  .check = check_saved },
};

static int case_setup(void **state)
{
	const struct cli_case *cc = *state;
	struct ctx *c;
	int ret;

	if (geteuid() != 0)
		return 0; /* the test skips */
	c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	*state = c;
	c->cc = cc;
	c->tracer_uid = -1;
	c->root = fake_tree_new();
	if (!c->root)
		return -1;
	snprintf(c->out, sizeof(c->out), "%s/out", c->root);
	snprintf(c->file, sizeof(c->file), "%s/input", c->root);
	snprintf(c->sys, sizeof(c->sys), "%s/sys", c->root);
	snprintf(c->mnt, sizeof(c->mnt), "%s/mnt", c->root);
	snprintf(c->log, sizeof(c->log), "%s/log", c->root);
	if (cc->setup) {
		ret = cc->setup(c);
		if (ret) {
			printf("  setup of '%s' failed: %s\n", cc->name, strerror(-ret));
			return -1;
		}
	}
	return 0;
}

static int case_teardown(void **state)
{
	struct ctx *c = *state;

	if (geteuid() != 0 || !c)
		return 0;
	if (c->tracer > 0) {
		kill(c->tracer, SIGKILL);
		waitpid(c->tracer, NULL, 0);
	}
	if (c->reuser > 0) {
		kill(c->reuser, SIGKILL);
		waitpid(c->reuser, NULL, 0);
	}
	if (c->target > 0 && !c->target_reaped) {
		kill(c->target, SIGKILL);
		waitpid(c->target, NULL, 0);
	}
	if (c->immutable)
		set_immutable(c->out, 0);
	if (c->mounted)
		umount2(c->mnt, MNT_DETACH);
	fake_tree_destroy(c->root);
	free(c->run);
	free(c);
	return 0;
}

static void test_case(void **state)
{
	struct ctx *c = *state;
	const struct cli_case *cc;
	struct run *r;

	if (geteuid() != 0)
		skip();
	cc = c->cc;
	if (c->skip_why) {
		printf("  skip: %s\n", c->skip_why);
		skip();
	}
	r = c->run = calloc(1, sizeof(*r));
	assert_non_null(r);
	run_case(c, r);
	if (r->status != cc->want_status && (cc->or_status <= 0 || r->status != cc->or_status))
		fail_msg("%s: exit status %d, want %d", cc->name, r->status, cc->want_status);
	if (cc->want_msg && !strstr(r->log, cc->want_msg)) {
		fail_msg("%s: output lacks \"%s\"", cc->name, cc->want_msg);
	}
	/* make test-asan: a sanitizer report fails the case whatever the status. */
	if (strstr(r->log, "Sanitizer") || strstr(r->log, "runtime error:"))
		fail_msg("%s: sanitizer report in the output", cc->name);
	if (cc->want_status && !strstr(r->log, "energat-bpf: "))
		fail_msg("%s: no 'energat-bpf: ' error line", cc->name);
	if (cc->check)
		cc->check(c, r);
}

static void find_paths(void)
{
	char exe[SHORT_PATH], *slash, *env;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	env = getenv("ENERGAT_BIN");
	if (env) {
		snprintf(bin, sizeof(bin), "%s", env);
	} else if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		*slash = '\0'; /* BUILD/tests */
		snprintf(bin, sizeof(bin), "%s/../energat-bpf", exe);
	}
	env = getenv("ENERGAT_SRCDIR");
	if (env) {
		snprintf(srcdir, sizeof(srcdir), "%s", env);
	} else {
		snprintf(srcdir, sizeof(srcdir), "%s/../..", n > 0 ? exe : ".");
		if (access(srcdir, F_OK) || strlen(srcdir) < 6)
			snprintf(srcdir, sizeof(srcdir), ".");
		{
			char probe[PATH_MAX + 32];

			snprintf(probe, sizeof(probe), "%s/scripts/fake-topology.sh", srcdir);
			if (access(probe, X_OK))
				snprintf(srcdir, sizeof(srcdir), ".");
		}
	}
}

/*
 * Run a private copy of the binary: `make` in the same tree (other tests,
 * other developers) may relink it mid-run. The directory is 0755 so that the
 * cases run as nobody can execute it.
 */
static char bin_dir[64];

static int private_copy(void)
{
	char copy[sizeof(bin_dir) + 16];
	size_t len;
	char *elf = NULL;
	int i;

	for (i = 0; i < 20 && !elf; i++) {
		elf = slurp(bin, &len);
		if (elf && (len < 4 || memcmp(elf,
					      "\x7f"
					      "ELF",
					      4))) {
			free(elf);
			elf = NULL;
		}
		if (!elf)
			usleep(200000);
	}
	if (!elf)
		return -1;
	snprintf(bin_dir, sizeof(bin_dir), "/tmp/it_cli.XXXXXX");
	if (!mkdtemp(bin_dir) || chmod(bin_dir, 0755)) {
		free(elf);
		return -1;
	}
	snprintf(copy, sizeof(copy), "%s/energat-bpf", bin_dir);
	if (write_file(copy, elf, len) || chmod(copy, 0755)) {
		free(elf);
		return -1;
	}
	free(elf);
	snprintf(bin, sizeof(bin), "%s", copy);
	return 0;
}

static void remove_copy(void)
{
	char copy[sizeof(bin_dir) + 16];

	if (!bin_dir[0])
		return;
	snprintf(copy, sizeof(copy), "%s/energat-bpf", bin_dir);
	unlink(copy);
	rmdir(bin_dir);
}

int main(void)
{
	size_t n = sizeof(cases) / sizeof(cases[0]), i;
	struct CMUnitTest *tests = calloc(n, sizeof(*tests));
	struct topology topo;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!tests)
		return 1;
	find_paths();
	if (need_root("it_cli") && (access(bin, X_OK) || private_copy())) {
		printf("it_cli: %s not built\n", bin);
		return 1;
	}
	if (!topology_read("/sys", &topo))
		nr_sockets = topo.nr_sockets;
	signal(SIGPIPE, SIG_IGN);
	if (getenv("IT_CLI_FILTER"))
		cmocka_set_test_filter(getenv("IT_CLI_FILTER"));
	for (i = 0; i < n; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = test_case;
		tests[i].setup_func = case_setup;
		tests[i].teardown_func = case_teardown;
		tests[i].initial_state = (void *)&cases[i];
	}
	ret = _cmocka_run_group_tests("it_cli", tests, n, NULL, NULL);
	remove_copy();
	free(tests);
	return ret;
}
