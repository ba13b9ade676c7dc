#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The /proc polling the Python prototype (EnergAt v1.0.6) does per interval.

For every thread of the target: the existence check and the stat read of
energat/common.py (target_exists, read_cputime_sec: /proc/PID/task/PID/stat,
split on spaces, utime + stime); for every process: its numa_maps, summed
per node (what numastat -p reads; the prototype even forks numastat). That
is the prototype's floor: its daemon thread repeats the per-target part
every 10 ms (rapl_period) and forks numastat for each target, so its real
cost is many times this.

Usage: prototype_poll.py PID [SWEEPS [GAP_SEC]]
Prints one JSON object: per sweep, CPU seconds (user + system) and wall time.
"""
import json
import os
import sys
import time


def read_cputime_sec(tid):
    # The prototype's read: whole file, split on spaces, fields 14 and 15.
    with open(f"/proc/{tid}/task/{tid}/stat", "r") as f:
        stat = f.read()[:-1].split()
        return (int(stat[13]) + int(stat[14])) / os.sysconf("SC_CLK_TCK")


def target_exists(tid):
    return os.path.isfile(f"/proc/{tid}/task/{tid}/stat")


def numa_pages(pid):
    nodes = {}
    with open(f"/proc/{pid}/numa_maps", "r") as f:
        for line in f:
            page_kb = 4
            fields = line.split()
            for tok in fields:
                if tok.startswith("kernelpagesize_kB="):
                    page_kb = int(tok.split("=")[1])
            for tok in fields:
                if tok.startswith("N") and "=" in tok:
                    node, pages = tok[1:].split("=")
                    nodes[node] = nodes.get(node, 0) + int(pages) * page_kb
    return nodes


def sweep(pid):
    tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    total = 0.0
    seen = 0
    for tid in tids:
        try:
            if target_exists(tid):
                total += read_cputime_sec(tid)
                seen += 1
        except (FileNotFoundError, ProcessLookupError):
            pass
    numa_pages(pid)
    return seen


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: prototype_poll.py PID [SWEEPS [GAP_SEC]]")
    pid = int(sys.argv[1])
    sweeps = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    gap = float(sys.argv[3]) if len(sys.argv) > 3 else 0.5
    out = []
    for _ in range(sweeps):
        c0, w0 = time.process_time(), time.perf_counter()
        n = sweep(pid)
        c1, w1 = time.process_time(), time.perf_counter()
        out.append({"cpu_s": c1 - c0, "wall_s": w1 - w0, "threads": n})
        time.sleep(gap)
    json.dump({"pid": pid, "sweeps": out}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
