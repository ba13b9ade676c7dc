// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "cpu_kick.h"
#include "cpu_idle.skel.h"
#include "energat.skel.h"
#include "slots.skel.h"
#include "walk.skel.h"
#include "errmsg.h"
#include "procfs_read.h"
#include "topology.h"
#include "tracer.h"
#include "vec.h"

#define DEFAULT_MAX_THREADS 65536
#define DEFAULT_TARGET_MAX_THREADS 16384
/* tp_btf: the hash only holds exits whose record found the ring buffer full. */
#define ORPHAN_THREADS 4096
#define DEFAULT_RINGBUF (4u << 20)
/* How long a boundary waits for a CPU held by a higher real-time priority. */
#define KICK_TIMEOUT_MS 100
#define ITER_BUF (64 * 1024)
#define MAX_SEED_PIDS 65536
#define BATCH 1024
#define MAX_DYING 1024
/* Slots for this many times the tasks alive at start, within these bounds. */
#define SLOTS_PER_TASK 4
#define MIN_SLOTS 65536u
#define MAX_SLOTS (1u << 22)

struct pending_event {
	struct energat_thread r;
	enum tt_source src;
};

struct tracer {
	struct energat_bpf *skel;
	struct ring_buffer *rb;
	struct cpu_kick *kick;
	struct bpf_link *iter; /* tp_btf: the task iterator */
	struct walk_bpf *walk_skel; /* tp_btf on 6.7+: the listing in one walk */
	struct cpu_idle_bpf *idle_skel; /* the kernel's idle accounting, where readable */
	int idle_fd; /* its program, for the kick threads; -1 without */
	struct bpf_link *walk;
	struct slots_bpf *slots_skel; /* 6.7+ (with walk): the listing from task references */
	struct bpf_link *slots_list;
	char *iter_buf;
	const struct topology *topo;
	struct thread_table table;
	struct thread_deltas out;
	int ncpus_possible;
	int raw_tp;
	int walk_ok; /* the kernel has the open-coded task iterator */
	int system_wide;
	__u64 last_busy[ENERGAT_MAX_CPUS], last_idle[ENERGAT_MAX_CPUS];
	__u64 last_ts;
	__u32 *keys; /* scratch for map reads */
	struct energat_thread *vals;
	__u32 *gone; /* flagged exited entries to delete after a read */
	size_t batch_cap;
	int batch_ok;
	int apply_err;
	struct pending_event pending[PREFETCH_AHEAD]; /* ring records not applied yet */
	unsigned int pending_head, nr_pending;
	__u32 dying[MAX_DYING]; /* targets seen dying at the previous boundary */
	int nr_dying;
};

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

struct kernel_features {
	int btf_tp; /* the tracepoint's prototype, for tp_btf */
	int switch_state; /* sched_switch passes prev's state (5.18+), for sched_switch_btf */
	int task_walk; /* the open-coded task iterator, for list_walk */
	__s64 tick_from_rq; /* for cpu_idle_snap: see percpu_distance(); 0 if unknown */
};

/* &b - &a in the kernel's per-CPU section (the same on every CPU); 0 if either is missing. */
static __s64 percpu_distance(const struct btf *btf, const char *a, const char *b)
{
	__s32 id = btf__find_by_name_kind(btf, ".data..percpu", BTF_KIND_DATASEC);
	const struct btf_var_secinfo *v;
	const struct btf_type *sec;
	__s64 off_a = -1, off_b = -1;
	int i;

	if (id <= 0)
		return 0;
	sec = btf__type_by_id(btf, id);
	v = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, v++) {
		const char *name =
			btf__name_by_offset(btf, btf__type_by_id(btf, v->type)->name_off);

		if (!strcmp(name, a))
			off_a = v->offset;
		else if (!strcmp(name, b))
			off_b = v->offset;
	}
	return off_a >= 0 && off_b >= 0 ? off_b - off_a : 0;
}

/* What the running kernel's BTF declares. */
static void kernel_features(struct kernel_features *f)
{
	struct btf *btf = btf__load_vmlinux_btf();
	__s32 id;

	if (!btf)
		return;
	id = btf__find_by_name_kind(btf, "btf_trace_sched_switch", BTF_KIND_TYPEDEF);
	f->btf_tp = id > 0;
	/* typedef → pointer → (void *, preempt, prev, next, prev_state) */
	if (id > 0) {
		const struct btf_type *proto = btf__type_by_id(btf, btf__resolve_type(btf, id));

		proto = proto && btf_is_ptr(proto) ? btf__type_by_id(btf, proto->type) : NULL;
		f->switch_state = proto && btf_is_func_proto(proto) && btf_vlen(proto) >= 5;
	}
	f->task_walk = btf__find_by_name_kind(btf, "bpf_iter_task_new", BTF_KIND_FUNC) > 0;
	f->tick_from_rq = percpu_distance(btf, "runqueues", "tick_cpu_sched");
	btf__free(btf);
}

static void apply_pending(struct tracer *t, const struct pending_event *p)
{
	int err = tt_apply(&t->table, &p->r, p->src, &t->out);

	if (err)
		t->apply_err = err;
}

/*
 * A record waits until PREFETCH_AHEAD more have come, and its table slot
 * is loaded meanwhile: a listing brings one record per thread, and each
 * lookup in a table of thousands is a cache miss. flush_pending() applies
 * the rest.
 */
static void queue_record(struct tracer *t, const struct energat_thread *r, enum tt_source src)
{
	struct pending_event *p = &t->pending[t->pending_head];

	if (t->nr_pending == PREFETCH_AHEAD)
		apply_pending(t, p);
	else
		t->nr_pending++;
	tt_prefetch(&t->table, r->tid);
	p->r = *r;
	p->src = src;
	t->pending_head = (t->pending_head + 1) % PREFETCH_AHEAD;
}

/* One event, or a batch of them from a listing (slots.bpf.c). */
static int handle_event(void *ctx, void *data, size_t size)
{
	const struct energat_event *e = data;

	for (; size >= sizeof(*e); size -= sizeof(*e), e++)
		queue_record(ctx, &e->thread,
			     e->type == ENERGAT_EV_LIST	 ? TT_FROM_LIST :
			     e->type == ENERGAT_EV_FINAL ? TT_FROM_FINAL :
							   TT_FROM_EXIT);
	return 0;
}

/* Apply the records still waiting, oldest first. */
static void flush_pending(struct tracer *t)
{
	for (; t->nr_pending; t->nr_pending--)
		apply_pending(t, &t->pending[(t->pending_head + PREFETCH_AHEAD - t->nr_pending) %
					     PREFETCH_AHEAD]);
}

/* Every record in the ring buffer, applied. */
static int consume(struct tracer *t)
{
	int n = ring_buffer__consume(t->rb);

	flush_pending(t);
	return n;
}

static int configure(struct tracer *t, const struct tracer_opts *o)
{
	struct energat_bpf *skel = t->skel;
	unsigned int max_threads = o->max_threads;

	skel->rodata->targ_all = t->system_wide;
	skel->rodata->one_socket = o->topo->nr_sockets == 1;
	if (t->idle_skel &&
	    bpf_map__reuse_fd(skel->maps.cpus, bpf_map__fd(t->idle_skel->maps.cpus)))
		return -errno;
	if (!max_threads)
		max_threads = t->system_wide ? DEFAULT_MAX_THREADS : DEFAULT_TARGET_MAX_THREADS;
	bpf_map__set_max_entries(skel->maps.threads, t->raw_tp ? max_threads : ORPHAN_THREADS);
	bpf_map__set_max_entries(skel->maps.cpus, t->ncpus_possible);
	bpf_map__set_max_entries(skel->maps.cpu_sockets, t->ncpus_possible);
	bpf_map__set_max_entries(skel->maps.events,
				 o->ringbuf_bytes ? o->ringbuf_bytes : DEFAULT_RINGBUF);

	/* Keep exactly one flavour of each program; system-wide mode follows no forks. */
	bpf_program__set_autoload(skel->progs.sched_switch_btf, !t->raw_tp && t->idle_skel);
	bpf_program__set_autoload(skel->progs.sched_switch_clock, !t->raw_tp && !t->idle_skel);
	bpf_program__set_autoload(skel->progs.sched_exit_btf, !t->raw_tp);
	bpf_program__set_autoload(skel->progs.sched_fork_btf, !t->raw_tp && !t->system_wide);
	bpf_program__set_autoload(skel->progs.list_tasks, !t->raw_tp);
	/* With one socket there is nothing to split. */
	bpf_program__set_autoload(skel->progs.sched_migrate_btf,
				  !t->raw_tp && o->topo->nr_sockets > 1);
	bpf_program__set_autoload(skel->progs.sched_switch_raw, t->raw_tp);
	bpf_program__set_autoload(skel->progs.sched_exit_raw, t->raw_tp);
	bpf_program__set_autoload(skel->progs.sched_fork_raw, t->raw_tp && !t->system_wide);
	bpf_program__set_autoload(skel->progs.sched_exec_raw, t->raw_tp);
	/* Task storage needs the kernel's BTF, which the raw_tp flavour does without. */
	bpf_map__set_autocreate(skel->maps.tasks, !t->raw_tp);
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

/* Each CPU's socket, in the cpu_sockets array. */
static int set_sockets(struct tracer *t)
{
	const struct topology *topo = t->topo;
	int i, ret;

	for (i = 0; i < topo->nr_cpus; i++) {
		__u32 cpu = topo->cpus[i], sock;

		if (cpu >= (__u32)t->ncpus_possible || cpu >= ENERGAT_MAX_CPUS)
			continue;
		sock = topo->cpu_socket[cpu] < 0 ? 0 : topo->cpu_socket[cpu];
		ret = bpf_map__update_elem(t->skel->maps.cpu_sockets, &cpu, sizeof(cpu), &sock,
					   sizeof(sock), 0);
		if (ret)
			return ret;
	}
	return 0;
}

typedef int (*record_fn)(struct tracer *t, const struct energat_thread *r);

/* One pass of a task iterator; with a callback, each record it lists. */
static int iter_pass(struct tracer *t, struct bpf_link *iter, record_fn fn)
{
	size_t have = 0, rec = sizeof(struct energat_thread);
	int fd = bpf_iter_create(bpf_link__fd(iter));
	int ret = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	/* Records may straddle two reads: keep the partial one for the next. */
	while ((n = read(fd, t->iter_buf + have, ITER_BUF - have)) > 0) {
		size_t len = have + n, off;

		for (off = 0; off + rec <= len && fn && !ret; off += rec) {
			struct energat_thread r;

			memcpy(&r, t->iter_buf + off, rec);
			ret = fn(t, &r);
		}
		if (ret)
			break;
		have = len - off;
		memmove(t->iter_buf, t->iter_buf + off, have);
	}
	if (n < 0 && !ret)
		ret = -errno;
	close(fd);
	return ret;
}

/* A listing object's copies of task_record.h's maps become energat.bpf.c's. */
static int share_maps(const struct energat_bpf *skel, struct bpf_map *tasks,
		      struct bpf_map *cpu_sockets, struct bpf_map *events)
{
	if (bpf_map__reuse_fd(tasks, bpf_map__fd(skel->maps.tasks)) ||
	    bpf_map__reuse_fd(cpu_sockets, bpf_map__fd(skel->maps.cpu_sockets)) ||
	    bpf_map__reuse_fd(events, bpf_map__fd(skel->maps.events)))
		return -EINVAL;
	return 0;
}

/*
 * walk.bpf.c on this object's maps, where the kernel has the open-coded
 * task iterator. Optional: without it, list_tasks lists every interval.
 */
static void load_walk(struct tracer *t)
{
	struct energat_bpf *skel = t->skel;
	struct walk_bpf *w;

	if (!t->walk_ok)
		return;
	w = walk_bpf__open();
	if (!w)
		return;
	w->rodata->targ_all = skel->rodata->targ_all;
	w->rodata->one_socket = skel->rodata->one_socket;
	if (share_maps(skel, w->maps.tasks, w->maps.cpu_sockets, w->maps.events) ||
	    walk_bpf__load(w)) {
		walk_bpf__destroy(w);
		return;
	}
	t->walk_skel = w;
}

/* Room for SLOTS_PER_TASK times the tasks alive now (/proc/loadavg counts them). */
static __u32 slots_size(void)
{
	FILE *f = fopen("/proc/loadavg", "r");
	unsigned long tasks = 0;
	__u32 n = MIN_SLOTS;

	if (f && fscanf(f, "%*s %*s %*s %*u/%lu", &tasks) == 1 && tasks * SLOTS_PER_TASK > n)
		n = tasks * SLOTS_PER_TASK < MAX_SLOTS ? tasks * SLOTS_PER_TASK : MAX_SLOTS;
	if (f)
		fclose(f);
	return n;
}

/*
 * slots.bpf.c on this object's maps, where walk.bpf.c loaded and the
 * kernel takes task references in maps. Optional: without it, list_walk.
 */
static void load_slots(struct tracer *t, const struct tracer_opts *o)
{
	__u32 n = o->max_slots ? o->max_slots : slots_size();
	struct energat_bpf *skel = t->skel;
	struct slots_bpf *s;

	if (!t->walk_skel || o->force_walk)
		return;
	s = slots_bpf__open();
	if (!s)
		return;
	s->rodata->targ_all = skel->rodata->targ_all;
	s->rodata->one_socket = skel->rodata->one_socket;
	s->rodata->nr_slots = n;
	if (bpf_map__set_max_entries(s->maps.slots, n) ||
	    bpf_map__set_max_entries(s->maps.slot_of, n) ||
	    bpf_map__set_max_entries(s->maps.free_slots, n) ||
	    share_maps(skel, s->maps.tasks, s->maps.cpu_sockets, s->maps.events) ||
	    slots_bpf__load(s)) {
		slots_bpf__destroy(s);
		return;
	}
	t->slots_skel = s;
}

/* Back to list_walk for good; the kernel drops the task references with the maps. */
static void drop_slots(struct tracer *t)
{
	bpf_link__destroy(t->slots_list);
	slots_bpf__destroy(t->slots_skel);
	t->slots_list = NULL;
	t->slots_skel = NULL;
}

/* Run cpu_idle_snap on cpu: at once if the caller is there, else through an interrupt. */
static int snap_idle(int prog_fd, int cpu)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .flags = BPF_F_TEST_RUN_ON_CPU, .cpu = cpu);

	return bpf_prog_test_run_opts(prog_fd, &opts);
}

/* Each kick thread reads its CPU's idle time right after the boundary's switch. */
static void kick_snap(int cpu, void *arg)
{
	int fd = __atomic_load_n(&((struct tracer *)arg)->idle_fd, __ATOMIC_ACQUIRE);

	if (fd >= 0)
		snap_idle(fd, cpu);
}

/*
 * A boundary: a switch on every CPU, which books what ran there up to now,
 * and each CPU's idle time read there. A CPU without a kick thread (one
 * that refused the pinning) is read through an interrupt instead; waiting
 * for other CPUs from the kernel is what the kick threads spare.
 */
static void boundary(struct tracer *t)
{
	int i;

	cpu_kick_all(t->kick, KICK_TIMEOUT_MS);
	if (t->idle_fd < 0)
		return;
	/* A CPU gone offline keeps its last values. */
	for (i = 0; i < t->topo->nr_cpus; i++)
		if (!cpu_kick_covers(t->kick, t->topo->cpus[i]))
			snap_idle(t->idle_fd, t->topo->cpus[i]);
}

struct idle_check {
	struct tracer *t;
	double tick_ns;
	int agree;
};

/* 1 (stop) when cpu's idle time read by cpu_idle_snap and /proc/stat's differ. */
static int idle_differs(int cpu, const unsigned long long v[8], void *ctx)
{
	struct idle_check *c = ctx;
	struct energat_cpu slot;
	__u32 key = cpu;

	/* Only the CPUs read by boundary(); one not read (still 0) disagrees. */
	if (cpu >= ENERGAT_MAX_CPUS || c->t->topo->cpu_socket[cpu] < 0 ||
	    bpf_map__lookup_elem(c->t->idle_skel->maps.cpus, &key, sizeof(key), &slot, sizeof(slot),
				 0))
		return 0;
	/* Ticks are rounded down, and the two reads are some microseconds apart. */
	c->agree = fabs((v[3] + v[4]) * c->tick_ns - (double)slot.idle_ns) <= 50e6;
	return !c->agree;
}

/*
 * Whether cpu_idle_snap reads what /proc/stat shows as each CPU's idle
 * and iowait time (the same counters, in clock ticks): a wrong address
 * would read anything else, and a kernel with the periodic tick keeps
 * /proc/stat's idle time apart.
 */
static int idle_agrees(struct tracer *t, const char *procfs_root)
{
	struct idle_check c = { .t = t, .tick_ns = 1e9 / sysconf(_SC_CLK_TCK) };

	boundary(t);
	return proc_stat_cpus(procfs_root, idle_differs, &c) >= 0 && c.agree;
}

/*
 * cpu_idle.bpf.c, loaded before energat.bpf.c so that configure() can pick
 * the switch handler without a clock. Optional: where the kernel's idle
 * accounting cannot be found or read, sched_switch_clock keeps the clock.
 */
static void load_idle(struct tracer *t, const struct tracer_opts *o, __s64 tick_from_rq)
{
	struct cpu_idle_bpf *c = cpu_idle_bpf__open();

	if (!c)
		return;
	bpf_map__set_max_entries(c->maps.cpus, t->ncpus_possible);
	c->rodata->tick_from_rq = tick_from_rq;
	t->idle_skel = c;
	if (!cpu_idle_bpf__load(c)) {
		__atomic_store_n(&t->idle_fd, bpf_program__fd(c->progs.cpu_idle_snap),
				 __ATOMIC_RELEASE);
		if (idle_agrees(t, o->procfs_root))
			return;
	}
	/* The kick threads are idle between boundaries: none uses the fd now. */
	__atomic_store_n(&t->idle_fd, -1, __ATOMIC_RELEASE);
	cpu_idle_bpf__destroy(c);
	t->idle_skel = NULL;
}

/*
 * A listing program iterates this process's threads (one always exists
 * while it reads) and runs on the first.
 */
static struct bpf_link *attach_listing(struct bpf_program *prog)
{
	union bpf_iter_link_info info = { .task.pid = getpid() };
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &info, .link_info_len = sizeof(info));

	return bpf_program__attach_iter(prog, &opts);
}

/*
 * Tasks get slots from their creation on, then every task alive gets one
 * (those created meanwhile are not added twice). Any failure: list_walk.
 */
static void attach_slots(struct tracer *t)
{
	__typeof__(t->slots_skel->progs) *p = &t->slots_skel->progs;
	__typeof__(t->slots_skel->links) *l = &t->slots_skel->links;
	struct bpf_link *seed = NULL;
	int ret;

	ret = attach_one(p->slot_newtask, &l->slot_newtask);
	if (!ret)
		ret = attach_one(p->slot_exit, &l->slot_exit);
	if (!ret)
		ret = attach_one(p->slot_seed, &seed);
	if (!ret)
		ret = iter_pass(t, seed, NULL);
	bpf_link__destroy(seed);
	if (!ret)
		t->slots_list = attach_listing(p->slot_list);
	if (!t->slots_list || t->slots_skel->bss->slots_lost)
		drop_slots(t);
}

static int list_one(struct tracer *t, const struct energat_thread *r)
{
	queue_record(t, r, TT_FROM_LIST);
	return t->apply_err;
}

/* A listing into the ring buffer; 1 if it found the buffer full (*full). */
static int ring_listing(struct tracer *t, struct bpf_link *link, __u32 *full)
{
	int ret;

	*full = 0;
	ret = iter_pass(t, link, NULL);
	if (!ret)
		ret = consume(t);
	return ret < 0 ? ret : *full != 0;
}

/*
 * The interval's listing: into the ring buffer from the slots or in one
 * walk where the kernel can, by PID otherwise or when the ring buffer
 * filled up (records already listed just count twice, at the same
 * cumulative values).
 */
static int list_pass(struct tracer *t)
{
	int ret;

	if (t->slots_list && t->slots_skel->bss->slots_lost)
		drop_slots(t);
	if (t->slots_list)
		ret = ring_listing(t, t->slots_list, &t->slots_skel->bss->list_full);
	else if (t->walk)
		ret = ring_listing(t, t->walk, &t->walk_skel->bss->walk_full);
	else
		ret = 1;
	if (ret <= 0)
		return ret;
	ret = iter_pass(t, t->iter, list_one);
	flush_pending(t);
	return ret ? ret : t->apply_err;
}

static int attach(struct tracer *t)
{
	struct energat_bpf *skel = t->skel;
	__typeof__(skel->links) *l = &skel->links;
	__typeof__(skel->progs) *p = &skel->progs;
	int ret;

	/*
	 * Lifecycle programs first: once switches are counted, no thread may
	 * exit or fork unseen. Links go in the skeleton's slots so that
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
		return ret;
	}
	ret = attach_one(p->sched_exit_btf, &l->sched_exit_btf);
	if (!ret && !t->system_wide)
		ret = attach_one(p->sched_fork_btf, &l->sched_fork_btf);
	if (!ret && t->topo->nr_sockets > 1)
		ret = attach_one(p->sched_migrate_btf, &l->sched_migrate_btf);
	if (!ret)
		ret = attach_one(p->list_tasks, &t->iter);
	if (!ret && t->walk_skel) {
		t->walk = attach_listing(t->walk_skel->progs.list_walk);
		ret = t->walk ? 0 : -errno;
	}
	if (ret)
		return ret;
	if (t->slots_skel)
		attach_slots(t);
	/*
	 * --pid mode: every traced task alive now gets its storage, charged
	 * from now; the fork handler covers those born from here on.
	 * System-wide needs no seeding: the first sample, whose deltas are
	 * dropped, sets every thread's base in the thread table.
	 */
	if (!t->system_wide) {
		t->skel->bss->iter_seed = 1;
		ret = iter_pass(t, t->iter, NULL);
		t->skel->bss->iter_seed = 0;
	}
	if (!ret && t->idle_skel)
		ret = attach_one(p->sched_switch_btf, &l->sched_switch_btf);
	else if (!ret)
		ret = attach_one(p->sched_switch_clock, &l->sched_switch_clock);
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
	t->iter_buf = malloc(ITER_BUF);
	if (!t->keys || !t->vals || !t->gone || !t->iter_buf)
		return -ENOMEM;
	return tt_init(&t->table, 1024);
}

int tracer_open(const struct tracer_opts *o, struct tracer **out, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .btf_custom_path = o->btf_path);
	struct kernel_features kf = { 0 };
	struct tracer *t;
	int ret;

	*out = NULL;
	if (o->btf_path && access(o->btf_path, R_OK)) {
		ret = -errno;
		errmsg_set(err, errlen, "cannot read BTF file %s (--btf): %s", o->btf_path,
			   strerror(-ret));
		return ret;
	}
	if (!o->btf_path && access("/sys/kernel/btf/vmlinux", R_OK)) {
		errmsg_set(err, errlen,
			   "kernel BTF not found (/sys/kernel/btf/vmlinux): this kernel lacks "
			   "CONFIG_DEBUG_INFO_BTF; pass a BTF file with --btf FILE");
		return -ENOENT;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->topo = o->topo;
	t->system_wide = o->target_pid == 0;
	if (!o->btf_path)
		kernel_features(&kf);
	t->raw_tp = o->force_raw_tp || !kf.btf_tp;
	t->walk_ok = !t->raw_tp && !o->force_pid_walk && kf.task_walk;
	t->ncpus_possible = libbpf_num_possible_cpus();
	if (t->ncpus_possible <= 0) {
		ret = t->ncpus_possible ? t->ncpus_possible : -EINVAL;
		errmsg_set(err, errlen, "cannot count possible CPUs: %s", strerror(-ret));
		goto cleanup;
	}

	t->idle_fd = -1;
	ret = cpu_kick_start(t->topo->cpus, t->topo->nr_cpus, kick_snap, t, &t->kick);
	if (ret) {
		errmsg_set(err, errlen, "failed to start the per-CPU boundary threads: %s",
			   strerror(-ret));
		goto cleanup;
	}
	t->skel = energat_bpf__open_opts(&open_opts);
	if (!t->skel) {
		ret = -errno;
		errmsg_set(err, errlen, "failed to open BPF object: %s", strerror(-ret));
		goto cleanup;
	}
	if (!t->raw_tp && !o->force_switch_clock && kf.switch_state && kf.tick_from_rq)
		load_idle(t, o, kf.tick_from_rq);
	ret = configure(t, o);
	if (ret) {
		errmsg_set(err, errlen, "failed to configure the BPF object: %s", strerror(-ret));
		goto cleanup;
	}
	ret = energat_bpf__load(t->skel);
	if (ret) {
		char why[128];

		libbpf_strerror(ret, why, sizeof(why));
		if (o->btf_path)
			errmsg_set(err, errlen, "failed to load BPF programs with BTF from %s: %s",
				   o->btf_path, why);
		else if (ret == -EPERM || ret == -EACCES)
			errmsg_set(err, errlen,
				   "failed to load BPF programs: %s (needs root, or CAP_BPF and "
				   "CAP_PERFMON)",
				   strerror(-ret));
		else
			errmsg_set(
				err, errlen,
				"failed to load BPF programs: %s (run with -v to see the verifier "
				"log)",
				why);
		goto cleanup;
	}
	load_walk(t);
	load_slots(t, o);
	if (!t->system_wide) {
		ret = add_target(t, o->target_pid);
		/* The tracer's own threads: their energy is reported apart (model.md §4.5). */
		if (!ret)
			ret = add_target(t, getpid());
		if (ret) {
			errmsg_set(err, errlen, "failed to set the target: %s", strerror(-ret));
			goto cleanup;
		}
	}
	ret = alloc_scratch(t);
	if (ret) {
		errmsg_set(err, errlen, "out of memory");
		goto cleanup;
	}
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), handle_event, t, NULL);
	if (!t->rb) {
		ret = -errno;
		errmsg_set(err, errlen, "failed to create the ring buffer: %s", strerror(-ret));
		goto cleanup;
	}
	ret = set_sockets(t);
	if (ret) {
		errmsg_set(err, errlen, "failed to set up the per-CPU slots: %s", strerror(-ret));
		goto cleanup;
	}
	if (!t->system_wide)
		seed_descendants(t, o);
	t->skel->bss->attach_ns = now_ns();
	ret = attach(t);
	if (ret) {
		errmsg_set(err, errlen, "failed to attach to sched tracepoints (%s): %s",
			   t->raw_tp ? "raw_tp" : "tp_btf", strerror(-ret));
		goto cleanup;
	}
	/* The first boundary starts every CPU's clock; what came before is dropped. */
	{
		struct tracer_sample s;

		ret = tracer_sample(t, &s);
		if (ret) {
			errmsg_set(err, errlen, "failed to take the first sample: %s",
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

const char *tracer_cpu_clock(const struct tracer *t)
{
	return t->idle_skel ? "kernel idle accounting" : "switch clock";
}

const char *tracer_listing(const struct tracer *t)
{
	return t->slots_list ? "slots" : t->walk ? "walk" : "by PID";
}

long tracer_slots_used(const struct tracer *t)
{
	return t->slots_list ? (long)t->slots_skel->bss->slots_used : -1;
}

int tracer_poll(struct tracer *t, int timeout_ms)
{
	int n = ring_buffer__poll(t->rb, timeout_ms);

	flush_pending(t);
	return n < 0 ? n : 0;
}

static int apply_values(struct tracer *t, size_t n, size_t *nr_gone)
{
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		int exited = !!(t->vals[i].flags & ENERGAT_THREAD_EXITED);

		err = tt_apply(&t->table, &t->vals[i], TT_FROM_LIST, &t->out);
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

	for (i = 0; i < nr_gone; i++)
		bpf_map_delete_elem(fd, &t->gone[i]);
}

static int read_cpus(struct tracer *t, struct tracer_sample *s)
{
	const struct topology *topo = t->topo;
	int i, ret;

	for (i = 0; i < topo->nr_cpus; i++) {
		__u32 cpu = topo->cpus[i];
		struct energat_cpu c;
		int sock;

		if (cpu >= (__u32)t->ncpus_possible || cpu >= ENERGAT_MAX_CPUS)
			continue;
		ret = bpf_map__lookup_elem(t->skel->maps.cpus, &cpu, sizeof(cpu), &c, sizeof(c), 0);
		if (ret)
			return ret;
		sock = topo->cpu_socket[cpu] < 0 ? 0 : topo->cpu_socket[cpu];
		s->cpu_busy_ns[cpu] = c.busy_ns - t->last_busy[cpu];
		s->cpu_idle_ns[cpu] = c.idle_ns - t->last_idle[cpu];
		t->last_busy[cpu] = c.busy_ns;
		t->last_idle[cpu] = c.idle_ns;
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
	/* Sized by the last interval's threads: shrinks after a burst. */
	vec_fit(&t->out.v, &t->out.cap, t->out.len, sizeof(*t->out.v));
	t->out.len = 0;
	t->apply_err = 0;

	boundary(t);
	now = now_ns();
	s->ts_ns = now;
	s->dt_sec = t->last_ts ? (now - t->last_ts) / 1e9 : 0;
	t->last_ts = now;

	consume(t);
	if (t->iter) {
		ret = list_pass(t);
		if (ret)
			return ret;
	}
	ret = read_threads(t, &nr_gone);
	if (ret)
		return ret;
	/*
	 * The exit handler flags an entry only after submitting its record, so
	 * every record of an entry flagged above is readable now: consume them
	 * before the entries are forgotten, or they would count twice.
	 */
	consume(t);
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
	s->nr_known = t->table.len;
	return 0;
}

void tracer_close(struct tracer *t)
{
	if (!t)
		return;
	cpu_kick_stop(t->kick);
	ring_buffer__free(t->rb);
	bpf_link__destroy(t->walk);
	bpf_link__destroy(t->iter);
	drop_slots(t);
	walk_bpf__destroy(t->walk_skel);
	cpu_idle_bpf__destroy(t->idle_skel);
	energat_bpf__destroy(t->skel);
	tt_free(&t->table);
	deltas_free(&t->out);
	free(t->keys);
	free(t->vals);
	free(t->gone);
	free(t->iter_buf);
	free(t);
}
