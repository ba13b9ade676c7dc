// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * An empty tp_btf/sched_switch program attached before every other one
 * (evcost --warm). Whichever program runs first at a switch pays for what
 * the switch left cold (measured: tens of ns, more than a whole handler);
 * this one takes that place, so the programs compared after it are
 * compared on equal terms, and its own cost shows what the first place
 * costs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/sched_switch")
int BPF_PROG(warm_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
