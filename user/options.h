/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Command line and configuration file of energat-bpf: parsed into one
 * struct options and validated. Pure except options_load_config().
 */
#ifndef ENERGAT_OPTIONS_H
#define ENERGAT_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

#define OPT_DEFAULT_OUTPUT "./energat-results"
#define OPT_DEFAULT_BASEFILE "/var/lib/energat/baseline_power.json"
#define OPT_DEFAULT_SYSFS_ROOT "/sys"
#define OPT_DEFAULT_PROCFS_ROOT "/proc"
#define OPT_DEFAULT_PROM_ADDR "127.0.0.1"
#define OPT_DEFAULT_BASE_PERIOD 10.0
#define OPT_DEFAULT_INTERVAL 1.0
#define OPT_DEFAULT_GAMMA 0.3
#define OPT_DEFAULT_DELTA 0.2
#define OPT_DEFAULT_MEM_SAMPLES 1

/* Limits, shared with the --help text so both always agree. */
#define OPT_PID_MAX 4194304 /* the kernel's PID_MAX_LIMIT on 64-bit */
#define OPT_INTERVAL_MIN 0.001
#define OPT_INTERVAL_MAX 3600.0
#define OPT_BASE_PERIOD_MIN 0.1
#define OPT_BASE_PERIOD_MAX 86400.0
#define OPT_DURATION_MAX 31536000.0 /* one year; 0 means until stopped */
#define OPT_EXPONENT_MAX 4.0 /* gamma and delta lie in (0, 4] */
#define OPT_MEM_SAMPLES_MAX 1000
#define OPT_MODEL_WATTS_MAX 10000.0
#define OPT_VERBOSE_MAX 10 /* for "verbose = N" in a config file */
#define OPT_TOP_COUNT_MAX 1000000000
#define OPT_NAME_MAX 200 /* leaves room for "energat_threads_" and ".csv" */
#define OPT_CONFIG_MAX_BYTES (1024 * 1024)

enum mode {
	MODE_NONE,
	MODE_PID, /* --pid PID */
	MODE_CMD, /* -- CMD ARGS */
	MODE_CHECK, /* --check */
	MODE_BASEPOWER, /* --basepower */
	MODE_TOP, /* top */
	MODE_EXPORTER, /* --prometheus without another mode */
};

/* One bit per setting in set_mask; spellings of one setting share a bit. */
enum opt_field {
	OPT_F_PID,
	OPT_F_NAME,
	OPT_F_CHECK,
	OPT_F_BASEPOWER,
	OPT_F_OUTPUT,
	OPT_F_BASEFILE,
	OPT_F_BASE_PERIOD,
	OPT_F_NO_BASELINE,
	OPT_F_INTERVAL, /* --interval and top's -d */
	OPT_F_GAMMA,
	OPT_F_DELTA,
	OPT_F_DURATION,
	OPT_F_METER,
	OPT_F_SYSFS_ROOT,
	OPT_F_PROCFS_ROOT,
	OPT_F_BTF,
	OPT_F_MEM_SAMPLES,
	OPT_F_CONFIG,
	OPT_F_VERBOSE,
	OPT_F_PROMETHEUS,
	OPT_F_USER,
	OPT_F_THREADS, /* --threads and --no-threads */
	OPT_F_MODEL_PKG_IDLE_W,
	OPT_F_MODEL_PKG_MAX_W,
	OPT_F_MODEL_DRAM_IDLE_W,
	OPT_F_MODEL_DRAM_MAX_W,
	OPT_F_HELP,
	OPT_F_VERSION,
	OPT_F_TOP_BATCH,
	OPT_F_TOP_COUNT,
	OPT_F_TOP_JSON,
	OPT_F__COUNT,
};

#define OPT_IS_SET(o, f) ((int)(((o)->set_mask >> (f)) & 1))

struct options {
	enum mode mode;
	int pid;
	const char *name; /* NULL: "target-PID" */
	char **cmd; /* argv after "--", NULL-terminated, points into argv */
	const char *output_dir, *basefile, *sysfs_root, *procfs_root;
	const char *meter; /* "powercap", "perf", "msr", "model"; NULL: auto */
	const char *btf_path; /* NULL: the running kernel's BTF */
	const char *config_path, *user; /* NULL: none */
	const char *prom_addr; /* IP literal or "localhost", brackets removed */
	int prom_port; /* 0 = off */
	double interval, base_period, duration, gamma, delta;
	double model_pkg_idle_w, model_pkg_max_w, model_dram_idle_w,
		model_dram_max_w; /* 0 = meter defaults */
	int mem_samples, verbose, no_baseline, threads_csv;
	int top_batch, top_count, top_json; /* top_count 0 = until stopped */
	int show_help, show_version;
	unsigned long long set_mask; /* bits (1 << enum opt_field) given on the command line */
	char *owned[OPT_F__COUNT]; /* private: copies made for config values, see options_free */
};

/*
 * Strict number parsing: decimal only, no leading blanks, no trailing junk,
 * no NaN/inf/hex, finite and within [min, max].
 * Return 0, -EINVAL (not a number) or -ERANGE (out of range or overflow);
 * *out is written only on success.
 */
int parse_double(const char *s, double min, double max, double *out);
int parse_int(const char *s, int min, int max, int *out);

/* Defaults for every field; call before options_parse. */
void options_defaults(struct options *o);

/* Free copies held by o (values taken from a config file). o stays usable. */
void options_free(struct options *o);

/*
 * Parse argv (argv[0] is the program name, argv[argc] must be NULL) without
 * modifying it; string fields may point into argv. Long options take one or
 * two dashes and "--opt value" or "--opt=value". -h/--help and --version stop
 * parsing and return 0 with show_help/show_version set, whatever the mode.
 * Returns 0 or -EINVAL / -ENOMEM with a one-line message (no program name
 * prefix, no newline) in err.
 */
int options_parse(int argc, char **argv, struct options *o, char *err, size_t errlen);

/*
 * Apply config text (see config.h for the syntax). Keys are the long option
 * names without dashes ('_' may stand for '-'); flags take a boolean
 * (true/false, yes/no, on/off, 1/0), "verbose" takes a count. Settings given
 * on the command line (set_mask) win; the file's values are still validated.
 * Keys that choose what to do (pid, name, check, basepower, prometheus, user,
 * config, help, version, json) are refused: a config file sets how, not what.
 * Call after options_parse. Errors name the line: "line 3: unknown key 'x'".
 */
int options_apply_config(struct options *o, const char *text, size_t len, char *err, size_t errlen);

/*
 * Read path (a regular file of at most OPT_CONFIG_MAX_BYTES) and apply it.
 * Errors are prefixed with the path. Returns 0 or a negative errno.
 */
int options_load_config(struct options *o, const char *path, char *err, size_t errlen);

/* The --help text (user/help.c). */
void options_print_help(FILE *f);

#endif /* ENERGAT_OPTIONS_H */
