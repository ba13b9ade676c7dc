/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The pure part of `energat-bpf top` (issue 5): one interval_result plus
 * per-thread metadata (user, cgroup) in, rows for the thread, process and
 * cgroup views out, with cumulative joules carried across intervals; sorting;
 * the batch text and the JSON object of a snapshot; parsers for the /proc
 * files the metadata comes from. No I/O except writing to a given FILE.
 *
 * Choices (model.md is silent on them):
 *  - energat-bpf's own threads are not rows: the header shows them.
 *  - Watts are the interval's ascribed joules / dt: package = Σ_s pkg_j[s],
 *    DRAM = Σ_s dram_j[s]; "power" (the default sort) is their sum, and the
 *    cumulative joules are package + DRAM since top started.
 *  - Process and cgroup rows sum their threads' CPU time, and with the
 *    summary's gamma/delta set they are credited as one target each
 *    (model.md §4.2-4.4): package D_pkg[s] * (Σ t / H[s])^gamma, DRAM
 *    D_dram[s] * (Σ f_mem)^delta, each process's f_mem recovered from its
 *    DRAM joules. Summing the threads' own concave shares instead would give
 *    a process of 100 barely running threads more than the whole socket.
 *    With gamma = delta = 1 both are the same sum.
 *  - CPU% is of one CPU, as in top: a process or cgroup may exceed 100.
 *  - A thread's cumulative joules are dropped after the interval it exited
 *    in; a process's when its main thread (tid == pid) exited.
 */
#ifndef ENERGAT_TOP_MODEL_H
#define ENERGAT_TOP_MODEL_H

#include <linux/types.h>
#include <stddef.h>
#include <stdio.h>
#include "energat.h"
#include "result.h"

#define TOP_USER_LEN 33 /* login names are at most 32 bytes */
#define TOP_CGROUP_LEN 128 /* last path component, e.g. docker-<64 hex>.scope */
#define TOP_LINE_MAX 512

enum top_view {
	TOP_VIEW_THREADS,
	TOP_VIEW_PROCESSES, /* threads summed per process */
	TOP_VIEW_CGROUPS, /* processes summed per cgroup */
	TOP_VIEW__COUNT,
};

enum top_sort {
	TOP_SORT_POWER, /* package + DRAM watts (default) */
	TOP_SORT_CPU,
	TOP_SORT_PKG,
	TOP_SORT_DRAM,
	TOP_SORT_JOULES, /* cumulative */
	TOP_SORT_PID,
	TOP_SORT_NAME, /* comm, or cgroup in the cgroup view */
	TOP_SORT__COUNT,
};

/* What /proc tells about a thread's process; filled by the caller (user/top.c). */
struct top_meta {
	char user[TOP_USER_LEN]; /* "" when unknown (process already gone) */
	char cgroup[TOP_CGROUP_LEN];
	char pcomm[ENERGAT_COMM_LEN]; /* the process's comm (its main thread's) */
};

struct top_row {
	__u32 pid, tid; /* process rows: tid 0; cgroup rows: both 0 */
	int nr_threads, nr_procs;
	int exited; /* exited in the interval (process/cgroup: all its threads seen did) */
	unsigned int sockets; /* bit s: ran on socket s */
	double cpu_ns, cpu_pct, pkg_w, dram_w, pkg_j, dram_j;
	double joules; /* cumulative package + DRAM joules since top started */
	/* Per socket, for crediting aggregates: CPU ns, DRAM joules, f_mem. */
	double sock_ns[ENERGAT_MAX_SOCKETS], sock_dram_j[ENERGAT_MAX_SOCKETS];
	double sock_mem[ENERGAT_MAX_SOCKETS];
	char user[TOP_USER_LEN]; /* cgroup rows: the common user, else "*" */
	char comm[ENERGAT_COMM_LEN]; /* process rows: the main thread's, else pcomm */
	char pcomm[ENERGAT_COMM_LEN]; /* the process's comm from /proc, "" if unknown */
	char cgroup[TOP_CGROUP_LEN];
};

struct top_socket {
	double pkg_w, pkg_base_w, pkg_dyn_w;
	double dram_w, dram_base_w, dram_dyn_w;
	double cpu_pct;
	double busy_ns; /* H[s] */
	int has_dram;
};

struct top_summary {
	double time, dt_sec; /* end of the interval (epoch s), its length */
	char meter[16];
	int estimated;
	unsigned int meter_anomalies;
	int nr_sockets;
	struct top_socket sock[ENERGAT_MAX_SOCKETS];
	double tracer_cpu_pct, tracer_pkg_w, tracer_dram_w;
	unsigned long long rb_drops, map_full;
	unsigned long interval; /* 1 for the first */
	/*
	 * The credit exponents, set by the caller and kept across intervals.
	 * 0: not said; aggregates then sum their threads' shares.
	 */
	double gamma, delta;
};

/* One interval's rows in every view, sorted: what a screen or a batch line shows. */
struct top_snapshot {
	struct top_summary sum;
	struct top_row *rows[TOP_VIEW__COUNT];
	size_t nr[TOP_VIEW__COUNT], cap[TOP_VIEW__COUNT];
};

/* Open-addressing u64 -> (joules, last interval seen) map. */
struct top_map_entry {
	__u64 key;
	double joules;
	unsigned long seen;
	char *name; /* cgroup maps: the key's string (the key is its hash) */
	void *data; /* the owner's, free()d with the entry */
	int used;
};

struct top_map {
	struct top_map_entry *v;
	size_t cap, len; /* cap: 0 or a power of two */
};

struct top_model {
	struct top_snapshot cur;
	struct top_map cum[TOP_VIEW__COUNT]; /* by tid, by pid, by cgroup */
	/* cgroup entries unseen for this many intervals are dropped (default 3600) */
	unsigned long cgroup_idle_max;
};

void top_model_init(struct top_model *m);
void top_model_free(struct top_model *m);

/*
 * Book one interval: meta is NULL or has r->nr_threads entries, parallel to
 * r->threads. Rebuilds every view of m->cur, sorted by power.
 * Returns 0 or -ENOMEM (m stays usable; the interval's rows may be partial).
 */
int top_model_update(struct top_model *m, const struct interval_result *r,
		     const struct top_meta *meta);

/*
 * Drop cumulative entries of threads and processes that alive(ctx, pid, tid)
 * says are gone (tid 0: asks about the process). For leftovers the exit
 * rules miss; call it now and then.
 */
void top_model_purge(struct top_model *m, int (*alive)(void *ctx, __u32 pid, __u32 tid), void *ctx);

/* Sort rows by key, descending for numbers and ascending for PID and name, or reversed. */
void top_sort_rows(struct top_row *rows, size_t n, enum top_sort key, int reverse);
void top_snapshot_sort(struct top_snapshot *s, enum top_sort key, int reverse);

/* Deep copy; dst starts zeroed or from an earlier copy. Returns 0 or -ENOMEM. */
int top_snapshot_copy(struct top_snapshot *dst, const struct top_snapshot *src);
void top_snapshot_free(struct top_snapshot *s);

const char *top_view_name(enum top_view v); /* "threads", "processes", "cgroups" */
const char *top_sort_name(enum top_sort k); /* "power", "cpu", ... */

/*
 * Header lines ('\n'-terminated) into buf: time, meter (and why it is an
 * estimate), per-socket package and DRAM watts (total, baseline, dynamic),
 * host CPU per socket, the tracer's CPU and watts, ring-buffer drops.
 * meter_why may be NULL. Returns the length, truncated to len - 1.
 */
size_t top_format_header(const struct top_summary *s, const char *meter_why, char *buf, size_t len);
/* Column titles and one row, no newline. */
void top_format_colhead(enum top_view v, char *buf, size_t len);
void top_format_row(const struct top_row *row, enum top_view v, char *buf, size_t len);
/* Sockets bit mask as a list: "0", "0,1", "0-3". */
void top_format_sockets(unsigned int mask, char *buf, size_t len);

/*
 * A batch snapshot (like top -b): header, blank line, column titles, at most
 * max_rows rows (0: all), blank line. Returns 0 or -EIO.
 */
int top_print_batch(FILE *f, const struct top_snapshot *s, enum top_view v, enum top_sort key,
		    const char *meter_why, size_t max_rows);

/* One JSON object (one line, no newline) for a snapshot's view; free() it. NULL: ENOMEM. */
char *top_json(const struct top_snapshot *s, enum top_view v, enum top_sort key);

/* Copy with every byte outside printable ASCII replaced by '?'. */
void top_sanitize(const char *in, size_t inlen, char *out, size_t outlen);

/*
 * /proc/PID/status: the effective uid (second field of "Uid:", as top shows).
 * Returns 0 or -EINVAL.
 */
int top_parse_status_uid(const char *buf, size_t len, unsigned int *uid);

/*
 * /proc/PID/cgroup: the cgroup v2 path ("0::/path"), else the systemd
 * hierarchy's (v1 "N:name=systemd:/path"), else the first line's; out gets
 * its last component ("/" for the root). Returns 0 or -EINVAL.
 */
int top_parse_cgroup(const char *buf, size_t len, char *out, size_t outlen);

/* The map, exposed for user/top.c's caches and the tests. */
struct top_map_entry *top_map_find(const struct top_map *m, __u64 key, const char *name);
/* Find or add (joules 0, seen 0, data NULL). NULL on ENOMEM. Moves entries. */
struct top_map_entry *top_map_get(struct top_map *m, __u64 key, const char *name);
/* Frees e's name and data; moves other entries (pointers to them go stale). */
void top_map_delete(struct top_map *m, struct top_map_entry *e);
void top_map_free(struct top_map *m);
__u64 top_hash_name(const char *name);

#endif /* ENERGAT_TOP_MODEL_H */
