// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "energat.skel.h"
#include "procfs_read.h"
#include "topology.h"
#include "tracer.h"

#define DEFAULT_MAX_THREADS 65536
#define DEFAULT_TARGET_MAX_THREADS 16384
#define DEFAULT_RINGBUF (4u << 20)
#define MAX_SEED_PIDS 65536
#define BATCH 1024
#define MAX_DYING 1024

struct tracer {
	struct energat_bpf *skel;
	struct ring_buffer *rb;
	const struct topology *topo;
	struct thread_table table;
	struct thread_deltas out;
	int ncpus_possible;
	int raw_tp;
	int system_wide;
	struct energat_cpu *percpu; /* scratch: one value per possible CPU */
	__u64 last_busy[ENERGAT_MAX_CPUS], last_idle[ENERGAT_MAX_CPUS];
	__u64 last_ts;
	__u32 *keys; /* scratch for map reads */
	struct energat_thread *vals;
	__u32 *gone; /* flagged exited entries to delete after a read */
	size_t batch_cap;
	int batch_ok;
	int apply_err;
	__u32 dying[MAX_DYING]; /* targets seen dying at the previous boundary */
	int nr_dying;
};

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* tp_btf needs the running kernel's BTF to know the tracepoint's prototype. */
static int kernel_has_btf_tp(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int ok;

	if (!btf)
		return 0;
	ok = btf__find_by_name_kind(btf, "btf_trace_sched_switch", BTF_KIND_TYPEDEF) > 0;
	btf__free(btf);
	return ok;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;
	const struct energat_event *e = data;
	int err;

	if (size < sizeof(*e) || e->type != ENERGAT_EV_EXIT)
		return 0;
	err = tt_apply(&t->table, &e->thread, 1, &t->out);
	if (err)
		t->apply_err = err;
	return 0;
}

static int configure(struct tracer *t, const struct tracer_opts *o)
{
	struct energat_bpf *skel = t->skel;
	const struct topology *topo = o->topo;
	unsigned int max_threads = o->max_threads;
	int i;

	skel->rodata->targ_all = t->system_wide;
	for (i = 0; i < topo->nr_cpus; i++) {
		int cpu = topo->cpus[i];

		if (cpu < 0 || cpu >= ENERGAT_MAX_CPUS)
			continue;
		skel->rodata->cpu_socket[cpu] =
			topo->cpu_socket[cpu] < 0 ? 0 : topo->cpu_socket[cpu];
		skel->rodata->cpu_node[cpu] = topo->cpu_node[cpu] < 0 ? 0 : topo->cpu_node[cpu];
	}
	if (!max_threads)
		max_threads = t->system_wide ? DEFAULT_MAX_THREADS : DEFAULT_TARGET_MAX_THREADS;
	bpf_map__set_max_entries(skel->maps.threads, max_threads);
	bpf_map__set_max_entries(skel->maps.events,
				 o->ringbuf_bytes ? o->ringbuf_bytes : DEFAULT_RINGBUF);

	/* Keep exactly one flavour of each tracepoint program. */
	bpf_program__set_autoload(skel->progs.sched_switch_btf, !t->raw_tp);
	bpf_program__set_autoload(skel->progs.sched_exit_btf, !t->raw_tp);
	bpf_program__set_autoload(skel->progs.sched_fork_btf, !t->raw_tp);
	bpf_program__set_autoload(skel->progs.sched_switch_raw, t->raw_tp);
	bpf_program__set_autoload(skel->progs.sched_exit_raw, t->raw_tp);
	bpf_program__set_autoload(skel->progs.sched_fork_raw, t->raw_tp);
	bpf_program__set_autoload(skel->progs.sched_exec_btf, !t->raw_tp);
	bpf_program__set_autoload(skel->progs.sched_exec_raw, t->raw_tp);
	/* System-wide mode follows no forks. */
	if (t->system_wide) {
		bpf_program__set_autoload(skel->progs.sched_fork_btf, false);
		bpf_program__set_autoload(skel->progs.sched_fork_raw, false);
	}
	return 0;
}

static int add_target(struct tracer *t, __u32 tgid)
{
	__u8 one = ENERGAT_TARGET_LIVE;

	return bpf_map__update_elem(t->skel->maps.targets, &tgid, sizeof(tgid), &one, sizeof(one),
				    BPF_ANY);
}

static int attach_one(struct bpf_program *prog, struct bpf_link **slot)
{
	*slot = bpf_program__attach(prog);
	return *slot ? 0 : -errno;
}

static int attach(struct tracer *t)
{
	struct energat_bpf *skel = t->skel;
	__typeof__(skel->links) *l = &skel->links;
	__typeof__(skel->progs) *p = &skel->progs;
	int ret;

	/*
	 * Lifecycle programs first: once switches are counted, no thread may
	 * exit or exec unseen. Links go in the skeleton's slots so that
	 * energat_bpf__destroy() frees them.
	 */
	if (t->raw_tp) {
		ret = attach_one(p->sched_exit_raw, &l->sched_exit_raw);
		if (!ret)
			ret = attach_one(p->sched_exec_raw, &l->sched_exec_raw);
		if (!ret && !t->system_wide)
			ret = attach_one(p->sched_fork_raw, &l->sched_fork_raw);
		if (!ret)
			ret = attach_one(p->sched_switch_raw, &l->sched_switch_raw);
	} else {
		ret = attach_one(p->sched_exit_btf, &l->sched_exit_btf);
		if (!ret)
			ret = attach_one(p->sched_exec_btf, &l->sched_exec_btf);
		if (!ret && !t->system_wide)
			ret = attach_one(p->sched_fork_btf, &l->sched_fork_btf);
		if (!ret)
			ret = attach_one(p->sched_switch_btf, &l->sched_switch_btf);
	}
	return ret;
}

/* Processes that were already descendants of the target when tracing began. */
static void seed_descendants(struct tracer *t, const struct tracer_opts *o)
{
	int *pids = calloc(MAX_SEED_PIDS, sizeof(*pids));
	int i, n;

	if (!pids)
		return;
	n = proc_descendants(o->procfs_root ? o->procfs_root : "/proc", o->target_pid, pids,
			     MAX_SEED_PIDS);
	for (i = 0; i < n; i++)
		add_target(t, pids[i]);
	free(pids);
}

static int alloc_scratch(struct tracer *t)
{
	t->batch_cap = bpf_map__max_entries(t->skel->maps.threads);
	if (t->batch_cap > BATCH)
		t->batch_cap = BATCH;
	t->keys = calloc(t->batch_cap, sizeof(*t->keys));
	t->vals = calloc(t->batch_cap, sizeof(*t->vals));
	t->gone = calloc(bpf_map__max_entries(t->skel->maps.threads), sizeof(*t->gone));
	t->percpu = calloc(t->ncpus_possible, sizeof(*t->percpu));
	if (!t->keys || !t->vals || !t->gone || !t->percpu)
		return -ENOMEM;
	return tt_init(&t->table, 1024);
}

int tracer_open(const struct tracer_opts *o, struct tracer **out, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .btf_custom_path = o->btf_path);
	struct tracer *t;
	int ret;

	*out = NULL;
	if (o->btf_path && access(o->btf_path, R_OK)) {
		ret = -errno;
		set_err(err, errlen, "cannot read BTF file %s (--btf): %s", o->btf_path,
			strerror(-ret));
		return ret;
	}
	if (!o->btf_path && access("/sys/kernel/btf/vmlinux", R_OK)) {
		set_err(err, errlen,
			"kernel BTF not found (/sys/kernel/btf/vmlinux): this kernel lacks "
			"CONFIG_DEBUG_INFO_BTF; pass a BTF file with --btf FILE");
		return -ENOENT;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->topo = o->topo;
	t->system_wide = o->target_pid == 0;
	t->raw_tp = o->force_raw_tp || o->btf_path || !kernel_has_btf_tp();
	t->ncpus_possible = libbpf_num_possible_cpus();
	if (t->ncpus_possible <= 0) {
		ret = t->ncpus_possible ? t->ncpus_possible : -EINVAL;
		set_err(err, errlen, "cannot count possible CPUs: %s", strerror(-ret));
		goto cleanup;
	}

	t->skel = energat_bpf__open_opts(&open_opts);
	if (!t->skel) {
		ret = -errno;
		set_err(err, errlen, "failed to open BPF object: %s", strerror(-ret));
		goto cleanup;
	}
	configure(t, o);
	ret = energat_bpf__load(t->skel);
	if (ret) {
		char why[128];

		libbpf_strerror(ret, why, sizeof(why));
		if (o->btf_path)
			set_err(err, errlen, "failed to load BPF programs with BTF from %s: %s",
				o->btf_path, why);
		else if (ret == -EPERM || ret == -EACCES)
			set_err(err, errlen,
				"failed to load BPF programs: %s (needs root, or CAP_BPF and "
				"CAP_PERFMON)",
				strerror(-ret));
		else
			set_err(err, errlen,
				"failed to load BPF programs: %s (run with -v to see the verifier "
				"log)",
				why);
		goto cleanup;
	}
	if (!t->system_wide) {
		ret = add_target(t, o->target_pid);
		/* The tracer's own threads: their energy is reported apart (model.md §4.5). */
		if (!ret)
			ret = add_target(t, getpid());
		if (ret) {
			set_err(err, errlen, "failed to set the target: %s", strerror(-ret));
			goto cleanup;
		}
	}
	ret = alloc_scratch(t);
	if (ret) {
		set_err(err, errlen, "out of memory");
		goto cleanup;
	}
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), handle_event, t, NULL);
	if (!t->rb) {
		ret = -errno;
		set_err(err, errlen, "failed to create the ring buffer: %s", strerror(-ret));
		goto cleanup;
	}
	t->skel->bss->attach_ns = now_ns();
	ret = attach(t);
	if (ret) {
		set_err(err, errlen, "failed to attach to sched tracepoints (%s): %s",
			t->raw_tp ? "raw_tp" : "tp_btf", strerror(-ret));
		goto cleanup;
	}
	if (!t->system_wide)
		seed_descendants(t, o);
	/* The first checkpoint starts every CPU's clock; what came before is dropped. */
	{
		struct tracer_sample s;

		ret = tracer_sample(t, &s);
		if (ret) {
			set_err(err, errlen, "failed to take the first checkpoint: %s",
				strerror(-ret));
			goto cleanup;
		}
	}
	*out = t;
	return 0;
cleanup:
	tracer_close(t);
	return ret;
}

const char *tracer_flavour(const struct tracer *t)
{
	return t->raw_tp ? "raw_tp" : "tp_btf";
}

int tracer_poll(struct tracer *t, int timeout_ms)
{
	int n = ring_buffer__poll(t->rb, timeout_ms);

	return n < 0 ? n : 0;
}

/* Split the run in progress on every CPU at this instant. */
static int checkpoint_all(struct tracer *t)
{
	int fd = bpf_program__fd(t->skel->progs.checkpoint);
	int i, ret;

	for (i = 0; i < t->topo->nr_cpus; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .flags = BPF_F_TEST_RUN_ON_CPU,
			    .cpu = t->topo->cpus[i]);

		ret = bpf_prog_test_run_opts(fd, &opts);
		/* A CPU gone offline (or only in a fake topology) has nothing to split. */
		if (ret && errno != ENXIO)
			return -errno;
	}
	return 0;
}

static int apply_values(struct tracer *t, size_t n, size_t *nr_gone)
{
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		int exited = !!(t->vals[i].flags & ENERGAT_THREAD_EXITED);

		err = tt_apply(&t->table, &t->vals[i], exited, &t->out);
		if (err)
			return err;
		if (exited && *nr_gone < bpf_map__max_entries(t->skel->maps.threads))
			t->gone[(*nr_gone)++] = t->keys[i];
	}
	return 0;
}

/* Read the threads map: batched where the kernel supports it. */
static int read_threads(struct tracer *t, size_t *nr_gone)
{
	int fd = bpf_map__fd(t->skel->maps.threads);
	__u32 in_batch = 0, out_batch = 0, key, next;
	int ret, first = 1;

	*nr_gone = 0;
	while (t->batch_ok >= 0) {
		LIBBPF_OPTS(bpf_map_batch_opts, opts);
		__u32 count = t->batch_cap;
		int done;

		ret = bpf_map_lookup_batch(fd, first ? NULL : &in_batch, &out_batch, t->keys,
					   t->vals, &count, &opts);
		done = ret && errno == ENOENT;
		if (ret && !done) {
			if (first && (errno == EINVAL || errno == ENOTSUP)) {
				t->batch_ok = -1; /* fall back for good */
				break;
			}
			return -errno;
		}
		t->batch_ok = 1;
		first = 0;
		ret = apply_values(t, count, nr_gone);
		if (ret || done)
			return ret;
		in_batch = out_batch;
	}

	/* One key at a time; an entry deleted under us just ends that step. */
	if (bpf_map_get_next_key(fd, NULL, &key))
		return 0;
	for (;;) {
		t->keys[0] = key;
		if (!bpf_map_lookup_elem(fd, &key, &t->vals[0])) {
			ret = apply_values(t, 1, nr_gone);
			if (ret)
				return ret;
		}
		if (bpf_map_get_next_key(fd, &key, &next))
			return 0;
		key = next;
	}
}

static void delete_gone(struct tracer *t, size_t nr_gone)
{
	int fd = bpf_map__fd(t->skel->maps.threads);
	size_t i;

	for (i = 0; i < nr_gone; i++) {
		struct tt_entry *e = tt_find(&t->table, t->gone[i]);

		bpf_map_delete_elem(fd, &t->gone[i]);
		if (e)
			e->flags |= TT_MAP_GONE;
	}
}

static int read_cpus(struct tracer *t, struct tracer_sample *s)
{
	const struct topology *topo = t->topo;
	__u32 zero = 0;
	int i, ret;

	ret = bpf_map__lookup_elem(t->skel->maps.cpus, &zero, sizeof(zero), t->percpu,
				   sizeof(*t->percpu) * t->ncpus_possible, 0);
	if (ret)
		return ret;
	for (i = 0; i < topo->nr_cpus; i++) {
		int cpu = topo->cpus[i], sock;
		const struct energat_cpu *c;

		if (cpu >= t->ncpus_possible || cpu >= ENERGAT_MAX_CPUS)
			continue;
		c = &t->percpu[cpu];
		sock = topo->cpu_socket[cpu] < 0 ? 0 : topo->cpu_socket[cpu];
		s->cpu_busy_ns[cpu] = c->busy_ns - t->last_busy[cpu];
		s->cpu_idle_ns[cpu] = c->idle_ns - t->last_idle[cpu];
		t->last_busy[cpu] = c->busy_ns;
		t->last_idle[cpu] = c->idle_ns;
		s->busy_ns[sock] += s->cpu_busy_ns[cpu];
		s->idle_ns[sock] += s->cpu_idle_ns[cpu];
	}
	return 0;
}

static void read_stats(struct tracer *t, struct tracer_sample *s)
{
	struct energat_stats *st = calloc(t->ncpus_possible, sizeof(*st));
	__u32 zero = 0;
	int i;

	if (!st)
		return;
	if (!bpf_map__lookup_elem(t->skel->maps.stats, &zero, sizeof(zero), st,
				  sizeof(*st) * t->ncpus_possible, 0)) {
		for (i = 0; i < t->ncpus_possible; i++) {
			s->rb_drops += st[i].rb_drops;
			s->map_full += st[i].map_full;
			s->targets_full += st[i].targets_full;
		}
	}
	free(st);
}

/*
 * Walk the targets map: store up to max live tgids in out (out may be NULL),
 * and, when dying is given, the dying ones there. Returns the live count.
 */
static int walk_targets(const struct tracer *t, int *out, int max, __u32 *dying, int *nr_dying)
{
	int fd = bpf_map__fd(t->skel->maps.targets);
	__u32 key, next;
	int n = 0, ret;
	__u8 v;

	ret = bpf_map_get_next_key(fd, NULL, &key);
	while (!ret) {
		if (!bpf_map_lookup_elem(fd, &key, &v)) {
			if (v == ENERGAT_TARGET_LIVE && n < max)
				out[n++] = key;
			else if (v == ENERGAT_TARGET_DYING && dying && *nr_dying < MAX_DYING)
				dying[(*nr_dying)++] = key;
		}
		ret = bpf_map_get_next_key(fd, &key, &next);
		key = next;
	}
	return errno == ENOENT ? n : -errno;
}

int tracer_target_pids(const struct tracer *t, int *out, int max)
{
	return walk_targets(t, out, max, NULL, NULL);
}

/*
 * Forget processes that finished dying: those seen dying a whole interval
 * ago have had their final switches. Deleting only if still dying keeps a
 * tgid that a new target process has taken since.
 */
static void reap_targets(struct tracer *t)
{
	int fd = bpf_map__fd(t->skel->maps.targets);
	__u32 now[MAX_DYING];
	int i, j, n = 0;
	__u8 v;

	if (t->system_wide)
		return;
	walk_targets(t, NULL, 0, now, &n);
	for (i = 0; i < t->nr_dying; i++)
		for (j = 0; j < n; j++)
			if (now[j] == t->dying[i] && !bpf_map_lookup_elem(fd, &now[j], &v) &&
			    v == ENERGAT_TARGET_DYING)
				bpf_map_delete_elem(fd, &now[j]);
	memcpy(t->dying, now, n * sizeof(now[0]));
	t->nr_dying = n;
}

int tracer_sample(struct tracer *t, struct tracer_sample *s)
{
	size_t nr_gone;
	__u64 now;
	int ret;

	memset(s, 0, sizeof(*s));
	t->out.len = 0;
	t->apply_err = 0;

	ret = checkpoint_all(t);
	if (ret)
		return ret;
	now = now_ns();
	s->ts_ns = now;
	s->dt_sec = t->last_ts ? (now - t->last_ts) / 1e9 : 0;
	t->last_ts = now;

	ring_buffer__consume(t->rb);
	ret = read_threads(t, &nr_gone);
	if (ret)
		return ret;
	/*
	 * The exit handler flags an entry only after submitting its record, so
	 * every record of an entry flagged above is readable now: consume them
	 * before the entries are forgotten, or they would count twice.
	 */
	ring_buffer__consume(t->rb);
	if (t->apply_err)
		return t->apply_err;
	delete_gone(t, nr_gone);
	ret = tt_flush(&t->table, &t->out);
	if (ret)
		return ret;
	ret = read_cpus(t, s);
	if (ret)
		return ret;
	read_stats(t, s);
	reap_targets(t);
	s->threads = t->out;
	return 0;
}

void tracer_close(struct tracer *t)
{
	if (!t)
		return;
	ring_buffer__free(t->rb);
	energat_bpf__destroy(t->skel);
	tt_free(&t->table);
	deltas_free(&t->out);
	free(t->keys);
	free(t->vals);
	free(t->gone);
	free(t->percpu);
	free(t);
}
