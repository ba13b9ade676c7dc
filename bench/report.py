#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Turn bench/run.sh's results directory into BENCHMARKS.md (on stdout).

Every figure is a median over repetitions with [min, max]; every ratio is
taken inside one repetition, against a reference measured in that same
repetition.
"""
import glob
import json
import os
import re
import statistics
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else "build/bench/results"

TARGET_EVENT_RATIO = 1.5
TARGET_SLOWDOWN_PP = 1.0
TARGET_CPU_PCT = 0.5
TARGET_RSS_MIB = 32
TARGET_CHURN_ERR_PCT = 1.0


def load(path):
    with open(path) as f:
        return json.load(f)


def rep_files(pattern):
    def key(p):
        m = re.search(r"_(\d+)\.\w+$", p)
        return int(m.group(1)) if m else 0

    return sorted(glob.glob(os.path.join(OUT, pattern)), key=key)


def stats(values):
    v = [x for x in values if x is not None]
    if not v:
        return None
    return statistics.median(v), min(v), max(v), len(v)


def fmt(s, digits=1, unit=""):
    if s is None:
        return "n/a"
    med, lo, hi, _ = s
    f = "{:.%df}" % digits
    return f"{f.format(med)}{unit} [{f.format(lo)}, {f.format(hi)}]"


def verdict(ok):
    return "met" if ok else "**missed**"


def machine():
    info = {}
    with open(os.path.join(OUT, "machine.txt")) as f:
        for line in f:
            k, _, v = line.partition(":")
            info[k.strip()] = v.strip()
    return info


def commands():
    cmds = []
    with open(os.path.join(OUT, "commands.txt")) as f:
        for line in f:
            key, _, cmd = line.rstrip("\n").partition("\t")
            cmds.append((key, cmd))
    return cmds


# 1. Per-event cost ---------------------------------------------------------


def prog(d, prefix):
    for p in d["progs"]:
        if p["name"].startswith(prefix) and p["cnt"]:
            return p["ns"] / p["cnt"], p["cnt"]
    return None, 0


def page_status(d):
    """For each program run at every switch, in the order they run: whether it is
    the first of them to run from its 4 KiB code page ("own": it pays for the
    page) or an earlier one ran from the same page ("shared")."""
    top = max((p["cnt"] for p in d["progs"]), default=0)
    seen, status = set(), {}
    for i, p in enumerate(d["progs"]):
        if not p.get("addr") or p["cnt"] < top / 2:
            continue
        page = int(p["addr"], 16) >> 12
        status[i] = "shared" if page in seen else "own"
        seen.add(page)
    return status


def events(kind):
    rows = []
    for path in rep_files(f"ev_{kind}_*.json"):
        d = load(path)
        ours, cnt = prog(d, "sched_switch")
        pages = page_status(d)
        me = next((i for i, p in enumerate(d["progs"]) if p["name"].startswith("sched_switch")), None)
        mine = pages.get(me)
        by_page = {"own": [], "shared": []}
        for i, p in enumerate(d["progs"]):
            if p["name"].startswith("empty_switch") and p["cnt"]:
                by_page[pages.get(i, "own")].append(p["ns"] / p["cnt"])
        own, shared = by_page["own"], by_page["shared"]
        e = own + shared
        # The reference: empty instances that ran under ours' page condition.
        same = by_page.get(mine, [])
        empty = statistics.median(same) if same else None
        any_empty = statistics.median(e) if e else None
        warm, _ = prog(d, "warm_switch")
        exit_ns, _ = prog(d, "sched_exit")
        fork_ns, _ = prog(d, "sched_fork")
        new_slot_ns, _ = prog(d, "slot_newtask")
        exit_slot_ns, _ = prog(d, "slot_exit")
        rows.append(
            {
                "ours": ours,
                "page": mine,
                "empty": empty,
                "empty_lo": min(e) if e else None,
                "empty_hi": max(e) if e else None,
                "ratio": ours / empty if ours and empty else None,
                "ratio_any": ours / any_empty if ours and any_empty else None,
                "excess": ours - empty if ours and empty else None,
                "page_cost": statistics.median(own) - statistics.median(shared)
                if own and shared
                else None,
                "warm": warm,
                # Each program alone on the tracepoint would also pay for
                # the first place: what the warm-up program costs.
                "alone": (warm + ours - empty) / warm if ours and empty and warm else None,
                "cnt": cnt,
                "exit": exit_ns,
                "fork": fork_ns,
                "slot_new": new_slot_ns,
                "slot_exit": exit_slot_ns,
                "flavour": d.get("flavour", ""),
            }
        )
    return rows


def alone():
    """Ours and the empty program each alone on the tracepoint, in alternating runs."""
    ours, rate = [], []
    for f in rep_files("ev_alone_ours_*.json"):
        d = load(f)
        ns, cnt = prog(d, "sched_switch")
        ours.append(ns)
        rate.append(cnt / d["wall_s"] if d["wall_s"] else 0)
    empty = [prog(load(f), "empty_switch")[0] for f in rep_files("ev_alone_empty_*.json")]
    runs = [(o, e, r) for o, e, r in zip(ours, empty, rate) if o and e]
    if not runs:
        return None
    return {
        "ours": stats([o for o, _, _ in runs]),
        "empty": stats([e for _, e, _ in runs]),
        "ratio": stats([o / e for o, e, _ in runs]),
        # What ours - empty adds to the workload were every added ns on its
        # critical path, as points of its wall time.
        "excess_pp": stats([(o - e) * r / 1e9 * 100 for o, e, r in runs]),
        "switches_per_s": stats([r for _, _, r in runs]),
    }


def ablation():
    per = {}
    for path in rep_files("ablate_msg_*.json"):
        d = load(path)
        base, _ = prog(d, "empty")
        for p in d["progs"]:
            if p["name"] in ("a_warm", "empty") or not p["cnt"]:
                continue
            per.setdefault(p["name"], []).append(p["ns"] / p["cnt"] - base)
        per.setdefault("(empty itself)", []).append(base)
    return per


# 2. Slowdown ---------------------------------------------------------------


def read_runs(path):
    """Fastest of the runs in one file: (perf's wall s, user + system s)."""
    wall, cpu = [], []
    try:
        with open(path) as f:
            for line in f:
                v = line.split()
                if len(v) == 4:
                    wall.append(float(v[0]))
                    cpu.append(float(v[2]) + float(v[3]))
    except (OSError, ValueError):
        pass
    return (min(wall), min(cpu)) if wall else (None, None)


def slowdown(name):
    reps = {}
    for path in glob.glob(os.path.join(OUT, f"wl_{name}_*_*.txt")):
        m = re.search(r"wl_%s_(\w+?)_(\d+)\.txt$" % name, path)
        reps.setdefault(int(m.group(2)), {})[m.group(1)] = read_runs(path)
    rows = []
    for r in sorted(reps):
        t = reps[r]
        if not all(t.get(c, (None,))[0] for c in ("none", "empty", "energat")):
            continue
        row = {"none": t["none"][0], "none_cpu": t["none"][1]}
        for i, kind in ((0, ""), (1, "_cpu")):
            se = t["empty"][i] / t["none"][i]
            so = t["energat"][i] / t["none"][i]
            row["empty_pct" + kind] = (se - 1) * 100
            row["ours_pct" + kind] = (so - 1) * 100
            row["excess_pp" + kind] = (so - se) * 100
        rows.append(row)
    return rows


# 3 and 5. Scale and the prototype ------------------------------------------


def session_stats(path):
    """One bench/swtrace run: per-interval figures, the first interval left out."""
    if not os.path.exists(path):
        return None
    d = load(path)
    iv = d["intervals"][1:]  # the first one follows start-up
    return {
        "listing": d.get("listing", "?"),
        "cpu_pct": stats([i["cpu_s"] / i["wall_s"] * 100 for i in iv]),
        "cpu_ms": stats([i["cpu_s"] * 1e3 for i in iv]),
        "drain_us": stats([i["drain_us"] for i in iv]),
        "drain_cpu_us": stats([i["drain_cpu_us"] for i in iv]),
        "other_cpu_ms": stats([(i["cpu_s"] * 1e6 - i["drain_cpu_us"]) / 1e3 for i in iv]),
        "threads": stats([i["threads"] for i in iv]),
        "drain_per_thread_ns": stats(
            [i["drain_cpu_us"] * 1e3 / i["threads"] for i in iv if i["threads"]]
        ),
        "vmhwm_mib": d["vmhwm_kb"] / 1024,
        "rb_drops": max((i["rb_drops"] for i in d["intervals"]), default=0),
        "n": len(iv),
    }


def scale(n):
    res = session_stats(os.path.join(OUT, f"scale_{n}.json"))
    if res is None:
        return None
    res["walk_session"] = session_stats(os.path.join(OUT, f"scale_walk_{n}.json"))
    for kind in ("prom", "top"):
        cpath = os.path.join(OUT, f"cli_{kind}_{n}.txt")
        if not os.path.exists(cpath):
            continue
        samples, hwm = [], None
        with open(cpath) as f:
            for line in f:
                v = line.split()
                if len(v) == 2 and v[0] == "hwm_kb":
                    hwm = int(v[1]) / 1024
                elif len(v) == 2 and all(x.isdigit() for x in v):
                    samples.append(tuple(int(x) for x in v))
        res[f"cli_{kind}_pct"] = stats(
            [
                (b[1] - a[1]) / (b[0] - a[0]) * 100
                for a, b in zip(samples, samples[1:])
                if b[0] > a[0] and b[1] >= a[1] > 0
            ]
        )
        res[f"cli_{kind}_hwm_mib"] = hwm
    wpath = os.path.join(OUT, f"walkfloor_{n}.json")
    if os.path.exists(wpath):
        w = load(wpath)
        res["walk_tasks"] = w["tasks"]
        for key in ("cold_ns", "warm_ns", "cold_iter_only_ns"):
            res["walk_" + key] = stats(w[key])
        # The cold walk once a second, as a share of one core.
        res["walk_share_pct"] = stats([x * w["tasks"] / 1e9 * 100 for x in w["cold_ns"]])
    ppath = os.path.join(OUT, f"proto_{n}.json")
    if os.path.exists(ppath):
        p = load(ppath)["sweeps"]
        res["proto_cpu_ms"] = stats([s["cpu_s"] * 1e3 for s in p])
        res["proto_wall_ms"] = stats([s["wall_s"] * 1e3 for s in p])
        res["proto_threads"] = stats([s["threads"] for s in p])
    return res


# 4. Churn ------------------------------------------------------------------


def churn():
    rows = []
    for path in rep_files("churn_*.json"):
        d = load(path)
        c = d.get("child")
        if not c:
            continue
        try:
            with open(path[:-5] + ".out") as f:
                w = json.loads(f.read().strip().splitlines()[-1])
        except (OSError, ValueError, IndexError):
            w = {}
        iv = d["intervals"]
        kernel, traced, tail = c["kernel_ns"], c["traced_ns"], c["exit_tail_ns"]
        rows.append(
            {
                "rate": w.get("rate"),
                "threads": w.get("threads"),
                "cpu_pct": sum(i["cpu_s"] for i in iv) / sum(i["wall_s"] for i in iv) * 100,
                "drops": max((i["rb_drops"] for i in iv), default=0),
                "map_full": max((i["map_full"] for i in iv), default=0),
                "kernel_s": kernel / 1e9,
                "traced_s": traced / 1e9,
                "err_pct": (traced - kernel) / kernel * 100,
                "tail_us_per_thread": tail / 1e3 / w["threads"] if w.get("threads") else None,
                "err_tail_pct": (traced - kernel - tail) / (kernel + tail) * 100
                if tail >= 0
                else None,
                "vmhwm_mib": d["vmhwm_kb"] / 1024,
            }
        )
    return rows


def profile_share(name, syms):
    """Share of samples (including callees) of each of syms in a profile, or None."""
    path = os.path.join(OUT, f"{name}.children.txt")
    if not os.path.exists(path):
        return None
    share = {}
    with open(path) as f:
        for line in f:
            v = line.split()
            if len(v) >= 4 and v[0].endswith("%"):
                share.setdefault(v[-1], float(v[0][:-1]))
    return {k: share.get(k, 0.0) for k in syms}


def profile_block(name):
    """perf's self and children tops for one profiled run, as a <details> block."""
    parts = []
    for kind, title in (("self", "self time"), ("children", "including callees")):
        path = os.path.join(OUT, f"{name}.{kind}.txt")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            lines = [ln.rstrip() for ln in f if ln.strip()][: 14 if kind == "self" else 22]
        if lines:
            parts.append(f"{title}:\n\n```\n" + "\n".join(lines) + "\n```")
    if not parts:
        return None
    return "<details><summary>perf profile</summary>\n\n" + "\n\n".join(parts) + "\n\n</details>"


def col(rows, key):
    return stats([r[key] for r in rows])


def analysis(ev, abl, wl, sc, ch):
    """What the missed targets come down to, with this run's figures."""
    p = print
    med = lambda name: stats(abl[name])[0] if name in abl else None
    p("## Reading the misses")
    p()
    empty = col(ev["sys_msg"], "empty")
    if empty and abl:
        kt, rq = med("ktime"), med("rq_clock")
        cr, dr = med("core_read4"), med("direct4")
        th, tm, pc = med("thread_hash"), med("target_miss"), med("percpu")
        tb = med("target_bit")
        p(
            f"**Per-event cost.** The empty program costs {empty[0]:.0f} ns per switch here: "
            "the call into it and the run-time statistics. The ablation above is why the "
            "switch handler does no per-thread work: one lookup of a thread's entry in a "
            f"hash costs {th:.0f} ns (cache-cold under messaging), one bpf_ktime_get_ns() "
            f"{kt:.0f} ns on this VM's clock (kvm-clock), a targets-hash miss {tm:.0f} ns. "
            "Any map memory costs as much: even a per-CPU slot written at every switch "
            f"(the percpu row, {pc:.0f} ns), even a read-only global (libbpf's rodata is "
            "a map: the verifier drops the branch on it, not the load). So the handler "
            "checks the state __schedule() passes for prev (a dying task sends its FINAL "
            "record, from a function of its own, out of the handler's code lines) and "
            "touches nothing else; threads' run times are the kernel's own, read once per "
            "interval, and each CPU's busy/idle time is the kernel's idle accounting, "
            "read on that CPU at each boundary (bpf/cpu_idle.bpf.c). Where that cannot "
            "run, a second handler reads the runqueue clock that __schedule() has just "
            f"updated (prev->se.cfs_rq->rq->clock, {rq:.0f} ns) into the CPU's slot. "
            "What is left above the empty program under messaging, where a run has only "
            "a few thousand switches and each finds caches cold, is the program's own "
            "code; under pipe, 80,000 switches of two tasks, it is within noise of the "
            "floor. Whichever program runs first pays most (the first-place column), and "
            "the first to run from each code page pays for the page (the page-cost "
            "column): as much as the whole difference, which is why ours is compared "
            "under its own page condition. In --pid mode the handler does the same work for every "
            "switch, target or not (no filter on the switch path)."
            + (f" (For scale, a per-tgid bitmap test would cost {tb:.0f} ns.)" if tb else "")
        )
        p()
    s10 = sc.get(10000)
    if s10:
        p(
            f"**Tracer CPU at 10,000 threads.** {s10['cpu_pct'][0]:.2f} % of one core for "
            "the instrumented session"
            + (
                f" ({s10['cli_prom_pct'][0]:.2f} % for the exporter)"
                if s10.get("cli_prom_pct")
                else ""
            )
            + ": the "
            f"drain (tracer_sample) takes {s10['drain_cpu_us'][0] / 1e3:.1f} ms of CPU per "
            f"interval and the rest of the session {s10['other_cpu_ms'][0]:.1f} ms. The "
            "profile in 3 shows where (shares of its samples, callees included; they move "
            "between runs on this loaded machine). The sampler cannot interrupt code that "
            "runs with interrupts off, so such time lands where they come back on, "
            "pvm_irq_enable in this paravirtualised guest: read the callers."
        )
        p()
        sh = profile_share(
            "profile_scale_10000",
            ("bpf_seq_read", "epoll_wait", "tt_apply", "tt_find",
             "tt_flush", "tt_prefetch", "session_step", "keysort"),
        )
        if sh:
            p(
                f"- {sh['bpf_seq_read']:.0f} %: the interval's listing (bpf/slots.bpf.c), "
                "a look at every task on the machine whether it ran or not, through the "
                "array of their addresses, with a record per traced thread into the ring "
                "buffer. Listing only threads that ran since the last interval would need "
                "work at every switch; in this benchmark every thread runs every interval."
            )
            p(
                f"- {sh['tt_apply'] + sh['tt_find'] + sh['tt_flush'] + sh['tt_prefetch']:.0f} "
                "%: the user-side thread table (tt_apply, tt_find, tt_flush, tt_prefetch): "
                "dense entries in the order the kernel lists threads, behind an 8-byte "
                f"hash index; {sh['session_step']:.0f} % the session's per-thread model and "
                f"{sh['keysort']:.0f} % the radix sort of the interval's threads."
            )
            p(
                f"- {sh['epoll_wait']:.0f} %: sleeping and waking up; system-wide the "
                "session sleeps to the boundary (it woke every 100 ms before)."
            )
        p()
    sh_ch = profile_share("profile_churn", ("epoll_wait", "map_delete_elem"))
    if ch:
        p(
            f"**Churn.** The tracer charges {col(ch, 'err_pct')[0]:.1f} % more than the "
            "kernel's rusage, and the difference is exactly the kernel's exit-path blind "
            "spot measured independently (see 4; "
            f"{col(ch, 'tail_us_per_thread')[0]:.1f} µs per thread here): the tracer's own "
            f"error is {col(ch, 'err_tail_pct')[0]:+.4f} %. The tracer's "
            f"{col(ch, 'cpu_pct')[0]:.1f} % of a core under churn goes mostly to sleeping "
            "and waking up in epoll_wait"
            + (
                " ({:.0f} % of its samples)".format(sh_ch["epoll_wait"])
                if sh_ch
                else ""
            )
            + ": exit records no longer wake it one by one (they are submitted with "
            "BPF_RB_NO_WAKEUP and read at each boundary; a wake-up is forced only past "
            "a quarter of the buffer), so what remains is the 100 ms poll and the "
            "listing of each interval's threads."
        )
        p()
    if wl["msg"]:
        text = (
            "**Slowdown.** With one run of each condition taking about a second and other "
            "jobs sharing the two CPUs, repetitions differ by far more than the 1 % to be "
            "resolved."
        )
        est = []
        for wk, ek, label in (("msg", "sys_msg", "messaging"), ("pipe", "sys_pipe", "pipe")):
            e, n, c = col(ev[ek], "excess"), col(ev[ek], "cnt"), col(wl[wk], "none_cpu")
            if e and n and c:
                est.append(f"{e[0] * n[0] / 1e9 / c[0] * 100:.1f} % for {label}")
        if est:
            text += (
                " The per-event figures bound what to expect: (ours − empty) ns × the "
                "switches counted during one run (every switch on the machine, not only "
                "the workload's) over the workload's CPU time gives at most "
                + " and ".join(est)
                + ", the price of the work the program does on every switch."
            )
        p(text)
        p()


def main():
    m = machine()
    p = print
    ev = {k: events(k) for k in ("sys_msg", "sys_pipe", "target_msg", "other_msg")}
    ev_alone = alone()
    abl = ablation()
    wl = {k: slowdown(k) for k in ("msg", "pipe")}
    sc = {n: scale(n) for n in (100, 1000, 10000)}
    ch = churn()

    ev_ratio = col(ev["sys_msg"], "ratio")
    wl_excess = col(wl["msg"], "excess_pp")
    cpu10k = sc[10000].get("cli_prom_pct") if sc[10000] else None
    cpu10k_sw = sc[10000]["cpu_pct"] if sc[10000] else None
    def peak(key):
        return max((s[key] for s in sc.values() if s and s.get(key)), default=None)

    rss = peak("cli_prom_hwm_mib")
    rss_top, rss_sw = peak("cli_top_hwm_mib"), peak("vmhwm_mib")
    ch_drops = max((r["drops"] for r in ch), default=None)
    ch_err = col(ch, "err_pct")
    ch_err_tail = col(ch, "err_tail_pct")

    p("# energat-bpf benchmarks")
    p()
    p("Written by `make bench` (bench/run.sh, bench/report.py); do not edit by hand.")
    p(
        f"Measured on {m.get('date', '?')}: kernel {m.get('kernel', '?')}, "
        f"{m.get('cpus', '?')} CPUs ({m.get('cpu', '?')}), clocksource "
        f"{m.get('clocksource', '?')}, {m.get('perf', '')}, commit {m.get('commit', '?')}. "
        f"The run took {m.get('elapsed_s', '?')} s."
    )
    p()
    p(
        "**The machine was shared**: other jobs were building and testing on the same "
        f"CPUs (load average {m.get('loadavg_start', '?')} at the start, "
        f"{m.get('loadavg_end', '?')} at the end). So every figure is a ratio against a "
        "reference measured in the same repetition, and each is the **median "
        "[min, max]** of the repetitions (5 or more unless said otherwise). Absolute "
        "nanoseconds and seconds move with the load; the ratios much less."
    )
    p()

    p("## Targets")
    p()
    p("| target | measured | |")
    p("| --- | --- | --- |")
    if ev_ratio:
        p(
            f"| per-event cost ≤ {TARGET_EVENT_RATIO}× the empty program's (system-wide, "
            f"messaging) | {fmt(ev_ratio, 2, '×')} | {verdict(ev_ratio[0] <= TARGET_EVENT_RATIO)} |"
        )
        r = col(ev["sys_pipe"], "ratio")
        if r:
            p(
                f"| ... the same under pipe (80,000 switches a run) | {fmt(r, 2, '×')} | "
                f"{verdict(r[0] <= TARGET_EVENT_RATIO)} |"
            )
        for key, wl_name in (("sys_msg", "messaging"), ("sys_pipe", "pipe")):
            r = col(ev[key], "alone")
            if r:
                p(
                    f"| ... each program alone on the tracepoint, estimated ({wl_name}; see 1) "
                    f"| {fmt(r, 2, '×')} | {verdict(r[0] <= TARGET_EVENT_RATIO)} |"
                )
        if ev_alone:
            r = ev_alone["ratio"]
            p(
                "| ... each program alone on the tracepoint, measured (messaging, in "
                f"alternating runs; see 1) | {fmt(r, 2, '×')} | "
                f"{verdict(r[0] <= TARGET_EVENT_RATIO)} |"
            )
    if wl_excess:
        spread = wl_excess[2] - wl_excess[1]
        v = verdict(wl_excess[0] <= TARGET_SLOWDOWN_PP)
        if spread > 4 * TARGET_SLOWDOWN_PP:
            v = (
                f"inconclusive: {'met' if wl_excess[0] <= TARGET_SLOWDOWN_PP else 'missed'} "
                f"by the median, but the repetitions spread over {spread:.0f} points"
            )
        p(
            f"| slowdown ≤ {TARGET_SLOWDOWN_PP:g} % above the empty program's (perf bench sched "
            f"messaging, wall time) | {fmt(wl_excess, 2, ' points')} | {v} |"
        )
        if ev_alone:
            x = ev_alone["excess_pp"]
            p(
                "| ... what the switch program's own run time adds, measured alone (ours − "
                f"empty ns × switches per second; see 1) | {fmt(x, 2, ' points')} | "
                f"{verdict(x[0] <= TARGET_SLOWDOWN_PP)} |"
            )
    if cpu10k:
        p(
            f"| tracer CPU ≤ {TARGET_CPU_PCT} % of one core at 10,000 threads, 1 s interval "
            f"(`energat-bpf --prometheus`, system-wide) | {fmt(cpu10k, 2, ' %')} | "
            f"{verdict(cpu10k[0] <= TARGET_CPU_PCT)} |"
        )
    if cpu10k_sw:
        p(
            "| ... the session alone, without output (bench/swtrace) | "
            f"{fmt(cpu10k_sw, 2, ' %')} | {verdict(cpu10k_sw[0] <= TARGET_CPU_PCT)} |"
        )
    walk10k = sc[10000] and sc[10000]["walk_session"]
    if walk10k:
        p(
            "| ... the same session listing by walk, as before the slots (`swtrace --walk`, "
            f"see 3) | {fmt(walk10k['cpu_pct'], 2, ' %')} | for comparison |"
        )
    wf = sc[10000] if sc[10000] and sc[10000].get("walk_cold_ns") else None
    if wf:
        p(
            "| ... for scale: one cold walk of the task lists, nothing else (bench/walkfloor, "
            f"see 3) | {fmt(wf['walk_share_pct'], 2, ' %')} | the floor of a listing by walk |"
        )
    for label, v in (
        ("tracer peak RSS ≤ %d MiB (`energat-bpf --prometheus`, largest thread count)", rss),
        ("... `energat-bpf top -b`, which keeps every row for display", rss_top),
        ("... the session alone, without output (bench/swtrace)", rss_sw),
    ):
        if v is not None:
            label = label % TARGET_RSS_MIB if "%d" in label else label
            p(f"| {label} | {v:.1f} MiB | {verdict(v <= TARGET_RSS_MIB)} |")
    if ch:
        p(f"| churn: 0 ring-buffer drops | {ch_drops} (largest run) | {verdict(ch_drops == 0)} |")
        p(
            f"| churn: accounting error ≤ {TARGET_CHURN_ERR_PCT:g} % vs the kernel's "
            f"(rusage) | {fmt(ch_err, 2, ' %')} | "
            f"{verdict(abs(ch_err[0]) <= TARGET_CHURN_ERR_PCT)} |"
        )
        if ch_err_tail:
            p(
                "| ... vs the kernel's figure plus its exit-path blind spot (see 4) | "
                f"{fmt(ch_err_tail, 4, ' %')} | "
                f"{verdict(abs(ch_err_tail[0]) <= TARGET_CHURN_ERR_PCT)} |"
            )
    p()

    # 1 -----------------------------------------------------------------
    p("## 1. Per-event cost of the sched_switch program")
    p()
    flav = next((r["flavour"] for r in ev["sys_msg"] if r["flavour"]), "?")
    p(
        f"ns per sched_switch of our program ({flav}) and of empty tp_btf/sched_switch "
        "programs (bench/empties.bpf.c) attached side by side, from the kernel's own "
        "statistics (`run_time_ns / run_cnt`, as `bpftool prog show` prints them, enabled "
        "with BPF_ENABLE_STATS = kernel.bpf_stats_enabled=1) over one workload run. "
        "All see the same switches. Another empty program (bench/warm.bpf.c) is "
        "attached before all: whichever program runs first at a switch pays for what "
        "the switch left cold, more than a whole handler costs. *First place* is its "
        "own cost. Three empty instances run before ours and three after it "
        "(bench/empties.bpf.c, loaded twice).\n\n"
        "**Code pages.** The first program to run from a 4 KiB page of machine code "
        "at a switch can pay for that page, whatever it does (here, in a "
        "paravirtualised guest, we read it as an instruction-TLB miss): *page cost* below is an empty "
        "instance that ran first from its page less one that shared a page already "
        "used at that switch, in the same run. The kernel packs programs first-fit "
        "into free room, so where ours lands, and whether it shares a page with a "
        "program run before it, changes from run to run and machine to machine. So "
        "evcost records each program's address (bpf_prog_info.jited_ksyms) and ours "
        "is compared with the empty instances of the same run that ran under the "
        "same page condition as ours: *empty* is their median, *ours' page* says "
        "how often ours had a page of its own. *Ratio, any page* compares with the "
        "median of all six instances, whatever their pages. *Alone* estimates each "
        "program alone on the tracepoint, where it pays for the first place itself: "
        "(first place + ours − empty) ÷ first place."
    )
    p()
    p(
        "| mode | workload | switches / run | ours, ns | empty, ns (same page condition) "
        "| empty instances, cheapest / dearest, ns | ours − empty, ns | ratio "
        "| ours' page: own / shared | ratio, any page | page cost, ns | first place, ns "
        "| ratio alone |"
    )
    p("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    names = {
        "sys_msg": ("system-wide", "messaging"),
        "sys_pipe": ("system-wide", "pipe"),
        "target_msg": ("--pid, workload is the target", "messaging"),
        "other_msg": ("--pid, idle target (switches of non-targets)", "messaging"),
    }
    for k, (mode, wlname) in names.items():
        rows = ev[k]
        if not rows:
            continue
        own = sum(r["page"] == "own" for r in rows)
        shared = sum(r["page"] == "shared" for r in rows)
        p(
            f"| {mode} | {wlname} | {fmt(col(rows, 'cnt'), 0)} | {fmt(col(rows, 'ours'))} | "
            f"{fmt(col(rows, 'empty'))} | "
            f"{fmt(col(rows, 'empty_lo'), 0)} / {fmt(col(rows, 'empty_hi'), 0)} | "
            f"{fmt(col(rows, 'excess'), 0)} | "
            f"{fmt(col(rows, 'ratio'), 2, '×')} | {own} / {shared} | "
            f"{fmt(col(rows, 'ratio_any'), 2, '×')} | {fmt(col(rows, 'page_cost'), 0)} | "
            f"{fmt(col(rows, 'warm'))} | {fmt(col(rows, 'alone'), 2, '×')} |"
        )
    p()
    if ev_alone:
        p(
            "Each alone on the tracepoint, as in production: our tracer system-wide in "
            "one run, the empty program (bench/empty.bpf.o) in the next, under the same "
            "messaging workload, in alternating order; nothing else on sched_switch, so "
            "each pays for the first place itself. The ratio pairs the runs of one "
            f"repetition. Ours {fmt(ev_alone['ours'], 1, ' ns')}, empty "
            f"{fmt(ev_alone['empty'], 1, ' ns')}: **{fmt(ev_alone['ratio'], 2, '×')}**. "
            f"At the workload's {fmt(ev_alone['switches_per_s'], 0, ' switches/s')}, "
            "the difference, were every ns of it on the workload's critical path, adds "
            f"{fmt(ev_alone['excess_pp'], 2, ' points')} to its wall time (section 2 "
            "cannot resolve that directly)."
        )
        p()
    t, o = col(ev["target_msg"], "excess"), col(ev["other_msg"], "excess")
    s = col(ev["sys_msg"], "excess")
    if t and o and s:
        p(
            f"Above the empty program of the same run, a non-target switch in --pid mode "
            f"costs {o[0]:.0f} ns, a target switch {t[0]:.0f} ns and a system-wide switch "
            f"{s[0]:.0f} ns (medians): non-target switches are "
            f"{'cheaper' if o[0] < min(t[0], s[0]) else '**not** cheaper'} than traced ones."
        )
        p()
    ex = stats([r["exit"] for k in ev for r in ev[k] if r["exit"]])
    fk = stats([r["fork"] for r in ev["target_msg"] if r["fork"]])
    if ex:
        p(
            f"Other handlers, same runs: sched_process_exit {fmt(ex, 0, ' ns')} per exit; "
            f"sched_process_fork ({'--pid mode' if fk else 'not attached system-wide'}) "
            f"{fmt(fk, 0, ' ns')} per fork."
        )
        p()
    sn = stats([r["slot_new"] for k in ev for r in ev[k] if r["slot_new"]])
    se = stats([r["slot_exit"] for k in ev for r in ev[k] if r["slot_exit"]])
    if sn and se:
        p(
            "The slots that the listing reads (bpf/slots.bpf.c) are kept at each task's "
            f"birth and exit: task_newtask {fmt(sn, 0, ' ns')} per new task, "
            f"sched_process_exit {fmt(se, 0, ' ns')} more per exit (same runs)."
        )
        p()
    if abl:
        p("### Where the time goes")
        p()
        p(
            "bench/ablate.bpf.c attaches one program per ingredient of the switch handler "
            "side by side (after a throw-away first program that takes the cold-cache "
            "penalty), under the messaging workload; each row is ns per switch **above the "
            "empty program in the same run**, median [min, max] of 5 runs."
        )
        p()
        p("| program | what it does | ns above empty |")
        p("| --- | --- | --- |")
        what = {
            "(empty itself)": "nothing (absolute ns, the floor)",
            "ktime": "bpf_ktime_get_ns(), as charge() takes `now`",
            "rq_clock": "read prev->se.cfs_rq->rq->clock (updated by __schedule just before)",
            "core_read4": "4 × BPF_CORE_READ of pid, tgid, se.sum_exec_runtime, start_time",
            "direct4": "the same 4 fields read directly (tp_btf pointers)",
            "percpu": "per-CPU array lookup + write (the `cpus` map)",
            "thread_hash": "lookup + write in a 65,536-entry hash by tid (the `threads` map)",
            "target_miss": "miss in a 16,384-entry hash by tgid (the `targets` filter)",
            "target_bit": "the same filter as a bit test in a per-tgid bitmap (array map)",
            "dead_check": "the tracer's handler as it is: prev_state == TASK_DEAD, and a "
            "call out of line for a dying task",
        }
        for name in what:
            if name in abl:
                p(f"| {name} | {what[name]} | {fmt(stats(abl[name]), 1)} |")
        p()

    # 2 -----------------------------------------------------------------
    p("## 2. Workload slowdown")
    p()
    p(
        "perf bench with nothing attached, with the empty program attached "
        "(bench/empty_loader), and with energat-bpf tracing system-wide (bench/swtrace: "
        "the `top` session without a display, its own CPU time included), back to back "
        "in rotating order. One repetition = each condition once; in it the workload "
        "runs twice and the faster run counts (other jobs only ever add time). Wall time "
        "is perf bench's own figure; CPU time is the workload's user + system seconds "
        "(the BPF programs run in its context). Slowdowns are relative to the "
        "no-program condition of the same repetition; *excess* is ours minus the empty "
        "program's, in percentage points."
    )
    p()
    p(
        "Negative figures mean faster: where the spread [min, max] is wider than the "
        "effect, the effect is below what this machine could resolve in this run."
    )
    p()
    p("| workload | measure | no program | empty program | energat-bpf | excess over empty |")
    p("| --- | --- | --- | --- | --- | --- |")
    for k, label in (("msg", "sched messaging"), ("pipe", "sched pipe")):
        rows = wl[k]
        if not rows:
            continue
        for kind, what in (("", "wall"), ("_cpu", "CPU")):
            base = "none" if not kind else "none_cpu"
            p(
                f"| {label} | {what} | {fmt(col(rows, base), 3, ' s')} | "
                f"{fmt(col(rows, 'empty_pct' + kind), 1, ' %')} | "
                f"{fmt(col(rows, 'ours_pct' + kind), 1, ' %')} | "
                f"{fmt(col(rows, 'excess_pp' + kind), 1, ' pp')} |"
            )
    p()

    # 3 -----------------------------------------------------------------
    p("## 3. The tracer's own cost at scale")
    p()
    p(
        "System-wide session, 1 s interval (bench/swtrace: tracer + meter + model, as "
        "`energat-bpf top` runs them, without a display), with N extra live threads "
        "(bench/threads: each wakes once a second, burns 20 µs, 1 in 100 burns 200 µs, "
        "so each thread has a delta every interval). Per interval: the process's CPU time "
        "(getrusage, user + system) over the interval's wall time, and the time spent in "
        "tracer_sample() (the drain: a switch on every CPU, the listing, exit records). "
        "Medians over the intervals of one run, the first left out. *Listing*: how the "
        "interval's records are made, from the slots of task references (bpf/slots.bpf.c) "
        "or by walking the kernel's task lists (bpf/walk.bpf.c, `swtrace --walk`: the "
        "listing before the slots, for comparison at the largest count)."
    )
    p()
    p(
        "| live threads | listing | threads with a delta | CPU, % of one core | CPU s per minute | "
        "drain CPU, µs | drain wall, µs | drain CPU per thread, ns | rest (model, memory, "
        "poll), ms | peak RSS, MiB |"
    )
    p("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for n, s in sc.items():
        for r in (s, s and s["walk_session"]):
            if not r:
                continue
            per_min = tuple(x * 60 / 100 for x in r["cpu_pct"][:3]) + (r["cpu_pct"][3],)
            p(
                f"| {n:,} | {r['listing']} | {fmt(r['threads'], 0)} | {fmt(r['cpu_pct'], 2)} | "
                f"{fmt(per_min, 2)} | {fmt(r['drain_cpu_us'], 0)} | {fmt(r['drain_us'], 0)} | "
                f"{fmt(r['drain_per_thread_ns'], 0)} | {fmt(r['other_cpu_ms'], 1)} | "
                f"{r['vmhwm_mib']:.1f} |"
            )
    p()
    if any(s and s.get("cli_prom_pct") for s in sc.values()):
        p(
            "The real CLI, system-wide on the same threads, each alone before the run "
            "above: `energat-bpf --prometheus ADDR:PORT` (the exporter, never scraped "
            "here) and `energat-bpf top -b -d 1` (every row printed each interval, to "
            "/dev/null). CPU from the sum of /proc/PID/task/*/schedstat (the kernel's run "
            "time of each of its threads), over windows of one second, each holding one "
            "of the tracer's 1 s boundaries; start-up (BPF load) left out."
        )
        p()
        p("| live threads | exporter CPU, % of one core | exporter CPU s per minute | exporter peak RSS, MiB | top -b CPU, % of one core | top -b peak RSS, MiB |")
        p("| --- | --- | --- | --- | --- | --- |")
        for n, s in sc.items():
            if not s or not s.get("cli_prom_pct"):
                continue
            pm = s["cli_prom_pct"]
            per_min = tuple(x * 60 / 100 for x in pm[:3]) + (pm[3],)
            p(
                f"| {n:,} | {fmt(pm, 2)} | {fmt(per_min, 2)} | "
                f"{s.get('cli_prom_hwm_mib') or 0:.1f} | {fmt(s.get('cli_top_pct'), 2)} | "
                f"{s.get('cli_top_hwm_mib') or 0:.1f} |"
            )
        p()
    if sc[1000] and sc[10000]:
        a = sc[1000]["drain_per_thread_ns"][0]
        b = sc[10000]["drain_per_thread_ns"][0]
        c = sc[100]["drain_per_thread_ns"][0] if sc[100] else None
        if b <= a * 0.9:
            how = "better than linear"
        elif b <= a * 1.25:
            how = "linear (within this run's noise)"
        else:
            how = "**worse than linear**"
        p(
            "Drain scaling: CPU per thread with a delta "
            + (f"{c:.0f} ns at 100 threads, " if c else "")
            + f"{a:.0f} ns at 1,000 and {b:.0f} ns at 10,000 ({b / a:.2f}× from 1,000 to "
            f"10,000): {how}. Fixed costs (waking a thread on every CPU, a look at "
            "every task on the machine) dominate at small counts."
        )
        p()
    wf = sc[10000] if sc[10000] and sc[10000].get("walk_cold_ns") else None
    if wf:
        p(
            "The floor of a listing by walk: one walk over every thread of the machine, "
            "alone (bench/walkfloor: the walk's loop and the fields it reads, no record "
            "written, run through "
            "BPF_PROG_TEST_RUN beside the 10,000 threads; CPU time of the run per task "
            "visited, one run after a second's sleep as at each boundary, one right after):"
        )
        p()
        p("| tasks | cold, ns per task | warm, ns per task | cold, iterator alone | the cold walk as a share of one core, once a second |")
        p("| --- | --- | --- | --- | --- |")
        p(
            f"| {wf['walk_tasks']:,} | {fmt(wf['walk_cold_ns'], 0)} | "
            f"{fmt(wf['walk_warm_ns'], 0)} | {fmt(wf['walk_cold_iter_only_ns'], 0)} | "
            f"{fmt(wf['walk_share_pct'], 2, ' %')} |"
        )
        p()
        p(
            "The walk finds each task_struct cold once a second, and the iterator's step "
            "from one task to the next is a dependent load: the fields the listing reads "
            "add little to the iterator's own misses. The slots avoid this chain: they "
            "hold each task's address, so the loads of 16 tasks are in flight at once "
            "(one ring-buffer write per 16 records, a locked operation, would otherwise "
            "wait for them one by one)."
        )
        p()
    prof = profile_block("profile_scale_10000")
    if prof:
        p(
            "Where the tracer's CPU time goes at 10,000 threads (perf record -e cpu-clock "
            "-g over the middle intervals of a second bench/swtrace run, after the one "
            "measured above: sampling costs the sampled process CPU time):"
        )
        p()
        p(prof)
        p()

    # 4 -----------------------------------------------------------------
    p("## 4. Thread churn")
    p()
    p(
        "bench/churn starts 10,000 threads per second for 10 s, each burning 20 µs of CPU "
        "and exiting, while bench/swtrace traces system-wide (1 s interval). *traced* is "
        "the CPU time the tracer charged to the churn process's threads over the run; "
        "*kernel* is the process's own figure from wait4()'s rusage (utime + stime, "
        "which the kernel scales to its sum_exec_runtime)."
    )
    p()
    p("| achieved rate, threads/s | tracer CPU, % of one core | ring-buffer drops | kernel, s | traced, s | error vs kernel | exit tail, µs/thread | error vs kernel + tail | peak RSS, MiB |")
    p("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    if ch:
        p(
            f"| {fmt(col(ch, 'rate'), 0)} | {fmt(col(ch, 'cpu_pct'), 2)} | "
            f"{fmt(col(ch, 'drops'), 0)} | {fmt(col(ch, 'kernel_s'), 3)} | "
            f"{fmt(col(ch, 'traced_s'), 3)} | {fmt(ch_err, 2, ' %')} | "
            f"{fmt(col(ch, 'tail_us_per_thread'), 2)} | {fmt(ch_err_tail, 4, ' %')} | "
            f"{fmt(col(ch, 'vmhwm_mib'), 1)} |"
        )
        p()
    prof = profile_block("profile_churn")
    if prof:
        p("Where the tracer's CPU time goes under churn (perf, first run, middle seconds):")
        p()
        p(prof)
        p()
    p(
        "The kernel's figure has a blind spot: a thread that reaps itself adds its "
        "sum_exec_runtime to the group's total in release_task(), from exit_notify(), "
        "and then still runs until its last context switch. That tail is in no rusage, "
        "but the tracer, which reads sum_exec_runtime at the last switch, sees it. "
        "bench/exittail.bpf.c measures it independently (the threads' sum_exec_runtime "
        "at their last switch minus the group's signal->sum_sched_runtime). With it the "
        "error column on the right is what is left of the tracer's own error."
    )
    p()

    # 5 -----------------------------------------------------------------
    p("## 5. Against the prototype's /proc polling")
    p()
    p(
        "bench/prototype_poll.py does, once, what the Python prototype (v1.0.6) does per "
        "interval: for every thread of the target its existence check and "
        "`/proc/PID/task/PID/stat` read (energat/common.py), and the process's "
        "`numa_maps`. It runs against the same bench/threads process right after the "
        "run of section 3, one sweep per repetition. That is the prototype's floor: its "
        "daemon repeats the per-target part every 10 ms and forks `numastat` for each "
        "target. The ratio is the sweep's CPU time over our whole per-interval CPU time "
        "(section 3; it includes the model), and over the drain alone. Our figure covers "
        "every thread on the machine; the sweep only the target's."
    )
    p()
    p("| live threads | prototype sweep CPU, ms | sweep wall, ms | ours per interval, ms | prototype ÷ ours | prototype ÷ our drain |")
    p("| --- | --- | --- | --- | --- | --- |")
    for n, s in sc.items():
        if not s or "proto_cpu_ms" not in s:
            continue
        r1 = s["proto_cpu_ms"][0] / s["cpu_ms"][0] if s["cpu_ms"][0] else float("nan")
        r2 = s["proto_cpu_ms"][0] * 1e3 / s["drain_cpu_us"][0] if s["drain_cpu_us"][0] else float("nan")
        p(
            f"| {n:,} | {fmt(s['proto_cpu_ms'], 1)} | {fmt(s['proto_wall_ms'], 1)} | "
            f"{fmt(s['cpu_ms'], 1)} | {r1:.1f}× | {r2:.1f}× |"
        )
    p()

    analysis(ev, abl, wl, sc, ch)

    p("## Exact commands")
    p()
    p(
        "As run by bench/run.sh from the repository root (one line per kind; repetitions "
        "differ only in the output file). READY_FILE is a file the tool creates once attached."
    )
    p()
    p("```sh")
    p("make bench   # builds build/bench/*, then bench/run.sh, then this file")
    for key, cmd in commands():
        p(f"{cmd}   # {key}")
    p("```")


if __name__ == "__main__":
    main()
