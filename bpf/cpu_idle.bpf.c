// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Each CPU's busy and idle time from the kernel's own idle accounting (the
 * tick layer's struct tick_sched, behind /proc/stat's idle column, in
 * nanoseconds), read on the CPU at each interval's boundary. It spares the
 * switch handler the per-CPU slot it would otherwise write at every
 * switch: touching that one line of map memory was most of its cost.
 *
 * tick_sched is a per-CPU variable, but a ksym reference to it needs the
 * kernel to list data symbols (CONFIG_KALLSYMS_ALL), which many kernels do
 * not. So it is found from the runqueue, another per-CPU variable reached
 * through the current task: their distance in the per-CPU section is the
 * same on every CPU, and user space reads it from the kernel's BTF.
 * User space checks the result against /proc/stat before relying on it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "energat.h"
#include "cpu_slots.h"

/* &tick_cpu_sched - &runqueues in the per-CPU section, set before load. */
const volatile __s64 tick_from_rq = 0;

/* Without CONFIG_FAIR_GROUP_SCHED a cfs_rq is the one inside its rq. */
struct cfs_rq___rq {
	struct rq *rq;
} __attribute__((preserve_access_index));

static __always_inline void *this_rq(void)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct cfs_rq___rq *cfs = (void *)cur->se.cfs_rq;

	if (bpf_core_field_exists(cfs->rq))
		return cfs->rq;
	return (void *)cfs - bpf_core_field_offset(struct rq, cfs);
}

static __always_inline __s64 tick_field(void *ts, unsigned long off)
{
	__s64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), ts + off);
	return v;
}

/*
 * Run on one CPU by BPF_PROG_TEST_RUN (BPF_F_TEST_RUN_ON_CPU), never
 * attached. It runs either in a task there or in the interrupt that
 * carried the request: an idle CPU's accounting is brought up to date on
 * the way in, so the counters read here are exact up to now.
 */
SEC("raw_tp")
int cpu_idle_snap(void *ctx)
{
	void *ts = this_rq() + tick_from_rq;
	__u32 cpu = bpf_get_smp_processor_id();
	struct energat_cpu *c = bpf_map_lookup_elem(&cpus, &cpu);
	__u64 now = bpf_ktime_get_ns(), idle;

	if (!c)
		return 0;
	/* Time idle with I/O pending is idle too. */
	idle = tick_field(ts, bpf_core_field_offset(struct tick_sched, idle_sleeptime)) +
	       tick_field(ts, bpf_core_field_offset(struct tick_sched, iowait_sleeptime));
	/* Both cumulative since boot: user space takes differences. */
	c->idle_ns = idle;
	c->busy_ns = now > idle ? now - idle : 0;
	c->last_clock = now;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
