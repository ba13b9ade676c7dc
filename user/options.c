// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Command-line and config-file options. Parsing is hand-written rather than
 * getopt_long_only(): we need the prototype's one-dash long options next to
 * clustered short flags (-vvv), a "top" subcommand with its own flags, exact
 * messages, and no global state, so tests can call it repeatedly.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "options.h"

enum {
	F_ARG = 1 << 0, /* takes a value */
	F_TOP = 1 << 1, /* only valid after "top" */
	F_CLI = 1 << 2, /* command line only: refused in a config file */
};

struct opt_def {
	const char *name; /* long name without dashes, or NULL */
	char short_name; /* or 0 */
	enum opt_field field;
	int flags;
	int flag_val; /* what a flag stores: --threads 1, --no-threads 0 */
};

static const struct opt_def opt_defs[] = {
	{ "pid", 0, OPT_F_PID, F_ARG | F_CLI, 0 },
	{ "name", 0, OPT_F_NAME, F_ARG | F_CLI, 0 },
	{ "check", 0, OPT_F_CHECK, F_CLI, 1 },
	{ "basepower", 0, OPT_F_BASEPOWER, F_CLI, 1 },
	{ "output", 0, OPT_F_OUTPUT, F_ARG, 0 },
	{ "basefile", 0, OPT_F_BASEFILE, F_ARG, 0 },
	{ "base-period", 0, OPT_F_BASE_PERIOD, F_ARG, 0 },
	{ "no-baseline", 0, OPT_F_NO_BASELINE, 0, 1 },
	{ "interval", 0, OPT_F_INTERVAL, F_ARG, 0 },
	{ "gamma", 0, OPT_F_GAMMA, F_ARG, 0 },
	{ "delta", 0, OPT_F_DELTA, F_ARG, 0 },
	{ "duration", 0, OPT_F_DURATION, F_ARG, 0 },
	{ "meter", 0, OPT_F_METER, F_ARG, 0 },
	{ "sysfs-root", 0, OPT_F_SYSFS_ROOT, F_ARG, 0 },
	{ "procfs-root", 0, OPT_F_PROCFS_ROOT, F_ARG, 0 },
	{ "btf", 0, OPT_F_BTF, F_ARG, 0 },
	{ "mem-samples", 0, OPT_F_MEM_SAMPLES, F_ARG, 0 },
	{ "config", 0, OPT_F_CONFIG, F_ARG | F_CLI, 0 },
	{ "verbose", 'v', OPT_F_VERBOSE, 0, 1 },
	{ "prometheus", 0, OPT_F_PROMETHEUS, F_ARG | F_CLI, 0 },
	{ "user", 0, OPT_F_USER, F_ARG | F_CLI, 0 },
	{ "threads", 0, OPT_F_THREADS, 0, 1 },
	{ "no-threads", 0, OPT_F_THREADS, 0, 0 },
	{ "model-pkg-idle-w", 0, OPT_F_MODEL_PKG_IDLE_W, F_ARG, 0 },
	{ "model-pkg-max-w", 0, OPT_F_MODEL_PKG_MAX_W, F_ARG, 0 },
	{ "model-dram-idle-w", 0, OPT_F_MODEL_DRAM_IDLE_W, F_ARG, 0 },
	{ "model-dram-max-w", 0, OPT_F_MODEL_DRAM_MAX_W, F_ARG, 0 },
	{ "help", 'h', OPT_F_HELP, F_CLI, 1 },
	{ "version", 0, OPT_F_VERSION, F_CLI, 1 },
	{ NULL, 'b', OPT_F_TOP_BATCH, F_TOP | F_CLI, 1 },
	{ NULL, 'n', OPT_F_TOP_COUNT, F_ARG | F_TOP | F_CLI, 0 },
	{ NULL, 'd', OPT_F_INTERVAL, F_ARG | F_TOP | F_CLI, 0 },
	{ "json", 0, OPT_F_TOP_JSON, F_TOP | F_CLI, 1 },
};

#define N_DEFS (sizeof(opt_defs) / sizeof(opt_defs[0]))

/* Numeric settings: bounds and the noun used in the error message. */
struct num_spec {
	enum opt_field field;
	int is_int;
	int min_excl; /* min itself is refused */
	double min, max;
	size_t off; /* of the int or double in struct options */
	const char *what;
	const char *note;
};

#define OFF(f) offsetof(struct options, f)

static const struct num_spec num_specs[] = {
	{ OPT_F_PID, 1, 0, 1, OPT_PID_MAX, OFF(pid), "a process ID", "" },
	{ OPT_F_INTERVAL, 0, 0, OPT_INTERVAL_MIN, OPT_INTERVAL_MAX, OFF(interval),
	  "a number of seconds", "" },
	{ OPT_F_BASE_PERIOD, 0, 0, OPT_BASE_PERIOD_MIN, OPT_BASE_PERIOD_MAX, OFF(base_period),
	  "a number of seconds", "" },
	{ OPT_F_DURATION, 0, 0, 0, OPT_DURATION_MAX, OFF(duration), "a number of seconds",
	  " (0 = until stopped)" },
	{ OPT_F_GAMMA, 0, 1, 0, OPT_EXPONENT_MAX, OFF(gamma), "a number", "" },
	{ OPT_F_DELTA, 0, 1, 0, OPT_EXPONENT_MAX, OFF(delta), "a number", "" },
	{ OPT_F_MEM_SAMPLES, 1, 0, 1, OPT_MEM_SAMPLES_MAX, OFF(mem_samples), "a whole number", "" },
	{ OPT_F_MODEL_PKG_IDLE_W, 0, 0, 0, OPT_MODEL_WATTS_MAX, OFF(model_pkg_idle_w),
	  "a number of watts", " (0 = built-in default)" },
	{ OPT_F_MODEL_PKG_MAX_W, 0, 0, 0, OPT_MODEL_WATTS_MAX, OFF(model_pkg_max_w),
	  "a number of watts", " (0 = built-in default)" },
	{ OPT_F_MODEL_DRAM_IDLE_W, 0, 0, 0, OPT_MODEL_WATTS_MAX, OFF(model_dram_idle_w),
	  "a number of watts", " (0 = built-in default)" },
	{ OPT_F_MODEL_DRAM_MAX_W, 0, 0, 0, OPT_MODEL_WATTS_MAX, OFF(model_dram_max_w),
	  "a number of watts", " (0 = built-in default)" },
	{ OPT_F_TOP_COUNT, 1, 0, 1, OPT_TOP_COUNT_MAX, OFF(top_count), "a whole number", "" },
	{ OPT_F_VERBOSE, 1, 0, 0, OPT_VERBOSE_MAX, OFF(verbose), "a whole number", "" },
};

#define N_NUMS (sizeof(num_specs) / sizeof(num_specs[0]))

static const char *const meters[] = { "powercap", "perf", "msr", "model" };

/* Parser state shared by the command-line and config paths. */
struct pctx {
	struct options *o;
	char *err;
	size_t errlen;
	int line; /* config line number; 0 on the command line */
	int in_top; /* "top" seen: its flags are valid */
	const char *mode_src; /* what chose the mode, for conflict messages */
};

static void vput(char *err, size_t errlen, const char *prefix, const char *fmt, va_list ap)
{
	int n;

	if (!err || !errlen)
		return;
	n = snprintf(err, errlen, "%s", prefix);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - n, fmt, ap);
}

static void put(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vput(err, errlen, "", fmt, ap);
	va_end(ap);
}

/* Config errors carry the line number so the user can find them. */
static int fail(struct pctx *pc, const char *fmt, ...)
{
	char prefix[32] = "";
	va_list ap;

	if (pc->line)
		snprintf(prefix, sizeof(prefix), "line %d: ", pc->line);
	va_start(ap, fmt);
	vput(pc->err, pc->errlen, prefix, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

#define SHOW_BUF 68

/* A value fit for a one-line message: control bytes become '?', long ones are cut. */
static const char *show(char *buf, const char *v, size_t n)
{
	size_t i, j = 0;

	for (i = 0; i < n && v[i] && j + 4 < SHOW_BUF; i++)
		buf[j++] = ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) ? '?' : v[i];
	if (i < n && v[i]) {
		memcpy(buf + j, "...", 3);
		j += 3;
	}
	buf[j] = '\0';
	return buf;
}

int parse_double(const char *s, double min, double max, double *out)
{
	const char *p;
	char *end;
	double v;

	if (!s || !*s)
		return -EINVAL;
	/* strtod() also takes blanks, "nan", "inf" and hex: none is a setting. */
	for (p = s; *p; p++)
		if (!isdigit((unsigned char)*p) && !strchr("+-.eE", *p))
			return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end)
		return -EINVAL;
	if (errno == ERANGE || !isfinite(v) || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_int(const char *s, int min, int max, int *out)
{
	const char *d;
	char *end;
	long v;

	if (!s)
		return -EINVAL;
	d = (*s == '-' || *s == '+') ? s + 1 : s;
	/* strtol() skips leading blanks; we want the string to be the number. */
	if (!isdigit((unsigned char)*d))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = (int)v;
	return 0;
}

void options_defaults(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = MODE_NONE;
	o->output_dir = OPT_DEFAULT_OUTPUT;
	o->basefile = OPT_DEFAULT_BASEFILE;
	o->sysfs_root = OPT_DEFAULT_SYSFS_ROOT;
	o->procfs_root = OPT_DEFAULT_PROCFS_ROOT;
	o->prom_addr = OPT_DEFAULT_PROM_ADDR;
	o->interval = OPT_DEFAULT_INTERVAL;
	o->base_period = OPT_DEFAULT_BASE_PERIOD;
	o->gamma = OPT_DEFAULT_GAMMA;
	o->delta = OPT_DEFAULT_DELTA;
	o->mem_samples = OPT_DEFAULT_MEM_SAMPLES;
	o->threads_csv = 1;
}

void options_free(struct options *o)
{
	size_t i;

	for (i = 0; i < OPT_F__COUNT; i++) {
		free(o->owned[i]);
		o->owned[i] = NULL;
	}
}

static const struct opt_def *find_long(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < N_DEFS; i++)
		if (opt_defs[i].name && strlen(opt_defs[i].name) == n &&
		    !strncmp(opt_defs[i].name, name, n))
			return &opt_defs[i];
	return NULL;
}

static const struct opt_def *find_short(char c)
{
	size_t i;

	for (i = 0; i < N_DEFS; i++)
		if (opt_defs[i].short_name == c)
			return &opt_defs[i];
	return NULL;
}

static const struct num_spec *find_num(enum opt_field f)
{
	size_t i;

	for (i = 0; i < N_NUMS; i++)
		if (num_specs[i].field == f)
			return &num_specs[i];
	return NULL;
}

/* Edit distance, for "did you mean"; names are short so O(n*m) is fine. */
static size_t edit_distance(const char *a, size_t na, const char *b)
{
	size_t row[64], nb = strlen(b), i, j;

	if (na >= 64 || nb >= 64)
		return (size_t)-1;
	for (j = 0; j <= nb; j++)
		row[j] = j;
	for (i = 1; i <= na; i++) {
		size_t diag = row[0], tmp;

		row[0] = i;
		for (j = 1; j <= nb; j++) {
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			diag = tmp;
		}
	}
	return row[nb];
}

static const char *suggest(const char *name, size_t n)
{
	const char *best = NULL;
	size_t i, d, best_d = 3; /* at most two typos */

	for (i = 0; i < N_DEFS; i++) {
		if (!opt_defs[i].name)
			continue;
		d = edit_distance(name, n, opt_defs[i].name);
		if (d < best_d && d < n) {
			best_d = d;
			best = opt_defs[i].name;
		}
	}
	return best;
}

static int unknown_option(struct pctx *pc, const char *arg)
{
	const char *name = arg + strspn(arg, "-");
	const char *hint = suggest(name, strcspn(name, "="));
	char sb[SHOW_BUF];

	show(sb, arg, strcspn(arg, "="));
	if (hint)
		return fail(pc, "unknown option '%s' (did you mean --%s? see --help)", sb, hint);
	return fail(pc, "unknown option '%s' (see --help)", sb);
}

static int set_mode(struct pctx *pc, enum mode m, const char *src)
{
	if (pc->o->mode != MODE_NONE && pc->o->mode != m)
		return fail(pc, "%s and %s cannot be combined: choose one mode (see --help)",
			    pc->mode_src, src);
	pc->o->mode = m;
	pc->mode_src = src;
	return 0;
}

static const char **string_slot(struct options *o, enum opt_field f)
{
	switch (f) {
	case OPT_F_NAME:
		return &o->name;
	case OPT_F_OUTPUT:
		return &o->output_dir;
	case OPT_F_BASEFILE:
		return &o->basefile;
	case OPT_F_METER:
		return &o->meter;
	case OPT_F_SYSFS_ROOT:
		return &o->sysfs_root;
	case OPT_F_PROCFS_ROOT:
		return &o->procfs_root;
	case OPT_F_BTF:
		return &o->btf_path;
	case OPT_F_CONFIG:
		return &o->config_path;
	case OPT_F_USER:
		return &o->user;
	default:
		return NULL;
	}
}

/*
 * Point a string field at value. Command-line values live in argv; config
 * values live in a buffer that is gone after parsing, so they are copied.
 */
static int store_string(struct pctx *pc, struct options *dst, enum opt_field f, const char *value,
			size_t n, int copy)
{
	const char **slot = f == OPT_F_PROMETHEUS ? &dst->prom_addr : string_slot(dst, f);
	char *c = NULL;

	if (copy) {
		c = strndup(value, n);
		if (!c) {
			fail(pc, "out of memory");
			return -ENOMEM;
		}
	}
	free(dst->owned[f]);
	dst->owned[f] = c;
	*slot = copy ? c : value;
	return 0;
}

static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static int apply_string(struct pctx *pc, struct options *dst, enum opt_field f, const char *v,
			const char *spelled)
{
	char sb[SHOW_BUF];
	size_t i;

	if (!*v)
		return fail(pc, "%s needs a non-empty value", spelled);
	show(sb, v, SIZE_MAX);
	if (f == OPT_F_METER) {
		/* "auto", the default, picks the first meter that works. */
		if (!strcmp(v, "auto"))
			return store_string(pc, dst, f, NULL, 0, 0);
		for (i = 0; i < sizeof(meters) / sizeof(meters[0]); i++)
			if (!strcmp(v, meters[i]))
				return store_string(pc, dst, f, meters[i], 0, 0);
		return fail(pc, "invalid %s '%s': must be powercap, perf, msr, model or auto",
			    spelled, sb);
	}
	/* NAME becomes part of a file name inside --output. */
	if (f == OPT_F_NAME && (strchr(v, '/') || !strcmp(v, ".") || !strcmp(v, "..") ||
				has_control(v) || strlen(v) > OPT_NAME_MAX))
		return fail(pc,
			    "invalid %s '%s': must be a file name part (no '/', at most %d bytes)",
			    spelled, sb, OPT_NAME_MAX);
	if (f == OPT_F_USER && (has_control(v) || strlen(v) > 256))
		return fail(pc, "invalid %s '%s': not a user name", spelled, sb);
	return store_string(pc, dst, f, v, strlen(v), pc->line != 0);
}

/* [ADDR:]PORT, ADDR an IPv4 literal, [IPv6 literal] or localhost. */
static int apply_listen(struct pctx *pc, struct options *dst, const char *s, const char *spelled)
{
	const char *host = NULL, *port = s, *why = NULL;
	char addr[INET6_ADDRSTRLEN + 1];
	unsigned char bin[sizeof(struct in6_addr)];
	char sb[SHOW_BUF];
	size_t hlen = 0;
	int bracket = 0, p = 0, rc;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':') {
			why = "write an IPv6 address as [ADDR]:PORT";
			goto bad;
		}
		bracket = 1;
		host = s + 1;
		hlen = close - host;
		port = close + 2;
	} else {
		const char *colon = strrchr(s, ':');

		if (colon && memchr(s, ':', colon - s)) {
			why = "IPv6 addresses need brackets, as in [::1]:9100";
			goto bad;
		}
		if (colon) {
			host = s;
			hlen = colon - s;
			port = colon + 1;
		}
	}
	if (!*port) {
		why = "missing port";
		goto bad;
	}
	if (parse_int(port, 1, 65535, &p)) {
		why = "port must be a number from 1 to 65535";
		goto bad;
	}
	if (host) {
		if (!hlen) {
			why = "missing address (use 0.0.0.0:PORT to listen on all interfaces)";
			goto bad;
		}
		if (hlen >= sizeof(addr)) {
			why = "address must be an IPv4 or [IPv6] literal or localhost";
			goto bad;
		}
		memcpy(addr, host, hlen);
		addr[hlen] = '\0';
		if (bracket ? inet_pton(AF_INET6, addr, bin) != 1 :
			      strcmp(addr, "localhost") && inet_pton(AF_INET, addr, bin) != 1) {
			why = "address must be an IPv4 or [IPv6] literal or localhost";
			goto bad;
		}
		rc = store_string(pc, dst, OPT_F_PROMETHEUS, addr, hlen, 1);
	} else {
		rc = store_string(pc, dst, OPT_F_PROMETHEUS, OPT_DEFAULT_PROM_ADDR, 0, 0);
	}
	if (rc)
		return rc;
	dst->prom_port = p;
	return 0;
bad:
	return fail(pc, "invalid %s '%s': %s", spelled, show(sb, s, SIZE_MAX), why);
}

static int apply_number(struct pctx *pc, struct options *dst, const struct num_spec *ns,
			const char *v, const char *spelled)
{
	char sb[SHOW_BUF];
	double d = 0;
	int i = 0, rc;

	if (ns->is_int)
		rc = parse_int(v, (int)ns->min, (int)ns->max, &i);
	else
		rc = parse_double(v, ns->min, ns->max, &d);
	if (!rc && ns->min_excl && d <= ns->min)
		rc = -ERANGE;
	if (rc)
		return fail(pc, "invalid %s '%s': must be %s %s %.15g and <= %.15g%s", spelled,
			    show(sb, v, SIZE_MAX), ns->what, ns->min_excl ? ">" : ">=", ns->min,
			    ns->max, ns->note);
	if (ns->is_int)
		*(int *)((char *)dst + ns->off) = i;
	else
		*(double *)((char *)dst + ns->off) = d;
	return 0;
}

/* Store the value of an option that takes one, into dst. */
static int apply_value(struct pctx *pc, struct options *dst, const struct opt_def *def,
		       const char *v, const char *spelled)
{
	const struct num_spec *ns = find_num(def->field);

	if (ns)
		return apply_number(pc, dst, ns, v, spelled);
	if (def->field == OPT_F_PROMETHEUS)
		return apply_listen(pc, dst, v, spelled);
	return apply_string(pc, dst, def->field, v, spelled);
}

/* A flag on the command line. Returns 1 to stop parsing (help, version). */
static int apply_flag(struct pctx *pc, const struct opt_def *def)
{
	struct options *o = pc->o;

	switch (def->field) {
	case OPT_F_HELP:
		o->show_help = 1;
		return 1;
	case OPT_F_VERSION:
		o->show_version = 1;
		return 1;
	case OPT_F_CHECK:
		return set_mode(pc, MODE_CHECK, "--check");
	case OPT_F_BASEPOWER:
		return set_mode(pc, MODE_BASEPOWER, "--basepower");
	case OPT_F_NO_BASELINE:
		o->no_baseline = 1;
		return 0;
	case OPT_F_THREADS:
		o->threads_csv = def->flag_val;
		return 0;
	case OPT_F_VERBOSE:
		o->verbose++;
		return 0;
	case OPT_F_TOP_JSON:
		/* JSON lines and screen control do not mix. */
		o->top_json = 1;
		o->top_batch = 1;
		return 0;
	case OPT_F_TOP_BATCH:
		o->top_batch = 1;
		return 0;
	default:
		return fail(pc, "internal error: flag %d", (int)def->field);
	}
}

/*
 * A separate argument is taken as the value unless it looks like an option:
 * "--output --pid 1" must not name a directory "--pid". Negative numbers
 * are taken, so "--interval -1" gets a range error naming --interval.
 */
static int looks_like_value(const char *s)
{
	return s[0] != '-' || (s[1] != '-' && (isdigit((unsigned char)s[1]) || s[1] == '.'));
}

static int handle_opt(struct pctx *pc, int argc, char **argv, int *i, const struct opt_def *def,
		      const char *spelled, const char *inline_val)
{
	struct options *o = pc->o;
	const char *v = inline_val;
	int rc;

	if ((def->flags & F_TOP) && !pc->in_top)
		return fail(pc, "option '%s' is only valid after 'top' (see --help)", spelled);
	if (!(def->flags & F_ARG)) {
		if (inline_val)
			return fail(pc, "option '%s' takes no value", spelled);
		o->set_mask |= 1ULL << def->field;
		return apply_flag(pc, def);
	}
	if (!v) {
		const char *next = *i + 1 < argc ? argv[*i + 1] : NULL;

		if (!next)
			return fail(pc, "option '%s' needs a value", spelled);
		if (!looks_like_value(next))
			return fail(
				pc,
				"option '%s' needs a value (for one starting with '-', write %s=VALUE)",
				spelled, spelled);
		v = next;
		(*i)++;
	}
	rc = apply_value(pc, o, def, v, spelled);
	if (rc)
		return rc;
	o->set_mask |= 1ULL << def->field;
	if (def->field == OPT_F_PID)
		return set_mode(pc, MODE_PID, "--pid");
	return 0;
}

/* "-vvv", "-bn 5", "-n5", "-d=2": one-letter flags after one dash. */
static int handle_cluster(struct pctx *pc, int argc, char **argv, int *i)
{
	const char *a = argv[*i], *p;
	int rc;

	/* Check the letters first, so "-vx" fails before -v takes effect. */
	for (p = a + 1; *p; p++) {
		const struct opt_def *def = find_short(*p);

		if (def && (def->flags & F_ARG))
			break; /* the rest is its value */
		if (!def && *p == '=' && p > a + 1)
			return fail(pc, "option '-%c' takes no value", p[-1]);
		if (!def)
			return unknown_option(pc, a);
	}
	for (p = a + 1; *p; p++) {
		const struct opt_def *def = find_short(*p);
		char spelled[3] = { '-', *p, '\0' };

		if (def->flags & F_ARG) {
			const char *inl = p[1] ? p + 1 + (p[1] == '=') : NULL;

			return handle_opt(pc, argc, argv, i, def, spelled, inl);
		}
		rc = handle_opt(pc, argc, argv, i, def, spelled, NULL);
		if (rc)
			return rc;
	}
	return 0;
}

static int check_model(struct pctx *pc, const struct options *o)
{
	if (o->model_pkg_idle_w > 0 && o->model_pkg_max_w > 0 &&
	    o->model_pkg_idle_w > o->model_pkg_max_w)
		return fail(pc, "model-pkg-idle-w (%g W) must not exceed model-pkg-max-w (%g W)",
			    o->model_pkg_idle_w, o->model_pkg_max_w);
	if (o->model_dram_idle_w > 0 && o->model_dram_max_w > 0 &&
	    o->model_dram_idle_w > o->model_dram_max_w)
		return fail(pc, "model-dram-idle-w (%g W) must not exceed model-dram-max-w (%g W)",
			    o->model_dram_idle_w, o->model_dram_max_w);
	return 0;
}

/* Checks that need the whole command line. */
static int finish(struct pctx *pc)
{
	struct options *o = pc->o;

	if (o->prom_port) {
		if (o->mode == MODE_NONE)
			o->mode = MODE_EXPORTER;
		else if (o->mode == MODE_CHECK || o->mode == MODE_BASEPOWER)
			return fail(pc, "--prometheus and %s cannot be combined", pc->mode_src);
	}
	if (o->mode == MODE_NONE)
		return fail(
			pc,
			"nothing to do: give --pid PID, -- CMD, top, --check or --basepower (see --help)");
	if (o->name && o->mode != MODE_PID && o->mode != MODE_CMD)
		return fail(pc, "--name only applies to --pid or -- CMD");
	if (o->user && (o->mode == MODE_CHECK || o->mode == MODE_BASEPOWER))
		return fail(pc, "--user does not apply to --check or --basepower");
	return check_model(pc, o);
}

int options_parse(int argc, char **argv, struct options *o, char *err, size_t errlen)
{
	struct pctx pc = { .o = o, .err = err, .errlen = errlen };
	int i, rc;

	if (err && errlen)
		err[0] = '\0';
	for (i = 1; i < argc && argv[i]; i++) {
		const char *a = argv[i];
		const struct opt_def *def;
		char spelled[72], sb[SHOW_BUF];
		const char *name, *eq;
		int dashes;

		if (!strcmp(a, "--")) {
			if (i + 1 >= argc || !argv[i + 1])
				return fail(&pc, "missing command after '--' (see --help)");
			rc = set_mode(&pc, MODE_CMD, "-- CMD");
			if (rc)
				return rc;
			o->cmd = argv + i + 1;
			break;
		}
		if (a[0] != '-' || a[1] == '\0') {
			if (!strcmp(a, "top") && !pc.in_top) {
				rc = set_mode(&pc, MODE_TOP, "top");
				if (rc)
					return rc;
				pc.in_top = 1;
				continue;
			}
			return fail(
				&pc,
				"unexpected argument '%s': to launch a command, put it after '--' (see --help)",
				show(sb, a, SIZE_MAX));
		}

		/* One dash or two: the prototype spelled long options "-pid". */
		dashes = a[1] == '-' ? 2 : 1;
		name = a + dashes;
		eq = strchr(name, '=');
		def = find_long(name, eq ? (size_t)(eq - name) : strlen(name));
		if (!def) {
			if (dashes == 2)
				return unknown_option(&pc, a);
			rc = handle_cluster(&pc, argc, argv, &i);
		} else {
			snprintf(spelled, sizeof(spelled), "%.*s%s", dashes, "--", def->name);
			rc = handle_opt(&pc, argc, argv, &i, def, spelled, eq ? eq + 1 : NULL);
		}
		if (rc > 0)
			return 0; /* --help or --version */
		if (rc)
			return rc;
	}
	return finish(&pc);
}

static int parse_bool(const char *v, int *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i])) {
			*out = 1;
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return -EINVAL;
}

static int apply_config_flag(struct pctx *pc, struct options *dst, const struct opt_def *def,
			     const char *v, const char *key)
{
	int b;

	if (def->field == OPT_F_VERBOSE)
		return apply_number(pc, dst, find_num(OPT_F_VERBOSE), v, key);
	if (parse_bool(v, &b))
		return fail(pc, "invalid %s '%s': must be true or false", key, v);
	if (def->field == OPT_F_NO_BASELINE)
		dst->no_baseline = b;
	else if (def->field == OPT_F_THREADS)
		dst->threads_csv = def->flag_val ? b : !b;
	return 0;
}

static int config_cb(void *ctx, const char *key, const char *value, int line)
{
	struct pctx *pc = ctx;
	struct options scratch, *dst = pc->o;
	const struct opt_def *def;
	const char *hint;
	char name[32];
	size_t i, n = strlen(key);
	int rc;

	pc->line = line;
	if (n >= sizeof(name))
		return fail(pc, "unknown key '%.40s'", key);
	/* Config files often spell keys with '_': accept both. */
	for (i = 0; i <= n; i++)
		name[i] = key[i] == '_' ? '-' : key[i];
	def = find_long(name, n);
	if (!def) {
		hint = suggest(name, n);
		if (hint)
			return fail(pc, "unknown key '%s' (did you mean %s?)", key, hint);
		return fail(pc, "unknown key '%s'", key);
	}
	if (def->flags & F_CLI)
		return fail(pc, "'%s' cannot be set in a config file: give it on the command line",
			    key);

	/* The command line wins, but a bad value in the file is still an error. */
	if (OPT_IS_SET(pc->o, def->field)) {
		options_defaults(&scratch);
		dst = &scratch;
	}
	if (def->flags & F_ARG)
		rc = apply_value(pc, dst, def, value, key);
	else
		rc = apply_config_flag(pc, dst, def, value, key);
	if (dst == &scratch)
		options_free(&scratch);
	return rc;
}

int options_apply_config(struct options *o, const char *text, size_t len, char *err, size_t errlen)
{
	struct pctx pc = { .o = o, .err = err, .errlen = errlen };
	int rc;

	rc = config_parse(text, len, config_cb, &pc, err, errlen);
	if (rc)
		return rc;
	pc.line = 0;
	return check_model(&pc, o);
}

int options_load_config(struct options *o, const char *path, char *err, size_t errlen)
{
	char msg[512];
	struct stat st;
	char *buf = NULL;
	size_t n = 0, cap = OPT_CONFIG_MAX_BYTES + 1;
	ssize_t r;
	int fd, rc = 0;

	if (!path || !*path) {
		put(err, errlen, "no config file given");
		return -EINVAL;
	}
	/* O_NONBLOCK: opening a FIFO must not hang; regular files ignore it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		put(err, errlen, "failed to open config %s: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st)) {
		rc = -errno;
		put(err, errlen, "failed to stat config %s: %s", path, strerror(-rc));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		put(err, errlen, "config %s is not a regular file", path);
		goto cleanup;
	}
	if (st.st_size > OPT_CONFIG_MAX_BYTES) {
		rc = -EFBIG;
		put(err, errlen, "config %s is larger than %d bytes", path, OPT_CONFIG_MAX_BYTES);
		goto cleanup;
	}
	/* Read to EOF, not st_size: the file may grow, and /proc files say 0. */
	buf = malloc(cap);
	if (!buf) {
		rc = -ENOMEM;
		put(err, errlen, "out of memory reading config %s", path);
		goto cleanup;
	}
	while (n < cap) {
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			put(err, errlen, "failed to read config %s: %s", path, strerror(-rc));
			goto cleanup;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > OPT_CONFIG_MAX_BYTES) {
		rc = -EFBIG;
		put(err, errlen, "config %s is larger than %d bytes", path, OPT_CONFIG_MAX_BYTES);
		goto cleanup;
	}
	rc = options_apply_config(o, buf, n, msg, sizeof(msg));
	if (rc)
		put(err, errlen, "config %s: %s", path, msg);
cleanup:
	free(buf);
	close(fd);
	return rc;
}
