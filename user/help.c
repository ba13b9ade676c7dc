// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The --help text. Defaults and limits come from options.h so they cannot drift. */
#include <stdio.h>

#include "options.h"

void options_print_help(FILE *f)
{
	fprintf(f, "Usage: energat-bpf [OPTIONS] --pid PID\n"
		   "       energat-bpf [OPTIONS] -- CMD [ARGS...]\n"
		   "       energat-bpf [OPTIONS] top [-b] [-n COUNT] [-d SEC] [--json]\n"
		   "       energat-bpf [OPTIONS] --prometheus [ADDR:]PORT\n"
		   "       energat-bpf [OPTIONS] --check\n"
		   "       energat-bpf [OPTIONS] --basepower\n"
		   "\n"
		   "Attribute CPU package and DRAM energy (RAPL) to processes and threads,\n"
		   "from on-CPU time measured in the kernel with eBPF (the EnergAt model).\n"
		   "\n");

	fprintf(f,
		"Modes:\n"
		"  --pid PID           trace a running process, its threads and descendants\n"
		"                      until it exits, --duration ends or Ctrl-C\n"
		"  -- CMD [ARGS...]    launch CMD, trace it, stop when it exits and exit with\n"
		"                      its status; everything after -- belongs to CMD\n"
		"  top                 system-wide per-thread energy view, one refresh per\n"
		"                      interval\n"
		"  --prometheus [ADDR:]PORT\n"
		"                      serve metrics on http://ADDR:PORT/metrics (ADDR\n"
		"                      default %s; IPv6 as [::1]:PORT); alone it exports\n"
		"                      system-wide energy, with --pid, -- CMD or top it\n"
		"                      also exports that view\n"
		"  --check             report sockets, NUMA nodes, energy meter and zone\n"
		"                      ranges, BTF, tracepoints and privileges; exit 0 only\n"
		"                      if tracing can work here\n"
		"  --basepower         measure idle (baseline) power for --base-period\n"
		"                      seconds and write --basefile; run on an idle machine\n"
		"\n",
		OPT_DEFAULT_PROM_ADDR);

	fprintf(f,
		"Tracing (--pid, -- CMD):\n"
		"  --name NAME         name the output files (default: target-PID)\n"
		"  --output DIR        where output files go (default: %s)\n"
		"  --threads           write the per-thread CSV (the default)\n"
		"  --no-threads        do not write the per-thread CSV\n"
		"  --interval SEC      measurement interval, %g..%g (default: %g)\n"
		"  --duration SEC      stop after SEC seconds; 0 = until stopped (default: 0)\n"
		"  --mem-samples K     memory samples per interval, 1..%d (default: %d)\n"
		"  --user NAME         once loaded, run as user NAME keeping only CAP_BPF\n"
		"                      and CAP_PERFMON; -- CMD runs as NAME too\n"
		"\n",
		OPT_DEFAULT_OUTPUT, OPT_INTERVAL_MIN, OPT_INTERVAL_MAX, OPT_DEFAULT_INTERVAL,
		OPT_MEM_SAMPLES_MAX, OPT_DEFAULT_MEM_SAMPLES);

	fprintf(f,
		"Model:\n"
		"  --gamma G           CPU credit exponent, in (0, %g] (default: %g);\n"
		"                      1 = proportional, < 1 = the paper's concave credit\n"
		"  --delta D           memory credit exponent, in (0, %g] (default: %g)\n"
		"  --basefile FILE     baseline power file, written by --basepower\n"
		"                      (default: %s)\n"
		"  --base-period SEC   length of the --basepower measurement, %g..%g\n"
		"                      (default: %g)\n"
		"  --no-baseline       trace without a baseline file: all energy counts as\n"
		"                      dynamic (--pid and -- CMD refuse to start otherwise)\n"
		"\n",
		OPT_EXPONENT_MAX, OPT_DEFAULT_GAMMA, OPT_EXPONENT_MAX, OPT_DEFAULT_DELTA,
		OPT_DEFAULT_BASEFILE, OPT_BASE_PERIOD_MIN, OPT_BASE_PERIOD_MAX,
		OPT_DEFAULT_BASE_PERIOD);

	fprintf(f,
		"Energy meter:\n"
		"  --meter NAME        powercap, perf, msr or model (default: the first of\n"
		"                      powercap, perf, msr that works, else model)\n"
		"  --model-pkg-idle-w W, --model-pkg-max-w W\n"
		"  --model-dram-idle-w W, --model-dram-max-w W\n"
		"                      watts for the model meter, 0..%g (default: 0 = its\n"
		"                      built-in estimate)\n"
		"Without RAPL (most VMs) there is no energy counter: the model meter then\n"
		"estimates power from CPU and memory use. Its output is labelled meter=model\n"
		"and is an estimate, not a measurement.\n"
		"\n",
		OPT_MODEL_WATTS_MAX);

	fprintf(f,
		"System:\n"
		"  --sysfs-root DIR    read sysfs under DIR, e.g. a fake tree (default: %s)\n"
		"  --procfs-root DIR   read procfs under DIR (default: %s)\n"
		"  --btf FILE          kernel BTF for CO-RE (default: the running kernel's)\n"
		"  --config FILE       read settings from FILE (see below)\n"
		"  -v, --verbose       more messages; -vv adds libbpf's debug output\n"
		"  -h, --help          show this help and exit\n"
		"  --version           show the version and exit\n"
		"\n",
		OPT_DEFAULT_SYSFS_ROOT, OPT_DEFAULT_PROCFS_ROOT);

	fprintf(f, "top options (after 'top'):\n"
		   "  -b                  batch mode: plain lines, no screen control\n"
		   "  -n COUNT            stop after COUNT refreshes (default: until stopped)\n"
		   "  -d SEC              refresh interval, same as --interval\n"
		   "  --json              one JSON object per refresh (implies -b)\n"
		   "\n");

	fprintf(f, "Every long option may also be written with one dash (-pid 1234, as in\n"
		   "the EnergAt prototype), and its value as --opt VALUE or --opt=VALUE.\n"
		   "\n");

	fprintf(f, "Output files (in --output DIR; NAME is --name or target-PID):\n"
		   "  energat_traces_NAME.csv   one row per socket per interval: credit\n"
		   "                            fractions, total, baseline, ascribed and\n"
		   "                            tracer package and DRAM joules\n"
		   "  energat_threads_NAME.csv  one row per thread per socket per interval:\n"
		   "                            CPU seconds and ascribed joules\n"
		   "A summary (duration, total, baseline and ascribed energy per socket) is\n"
		   "printed on exit.\n"
		   "\n"
		   "Config file (--config FILE): 'key = value' lines, keys being long option\n"
		   "names without dashes, e.g. 'interval = 2', 'output = /tmp/x',\n"
		   "'no-baseline = true'; '#' starts a comment. Options given on the command\n"
		   "line override the file. pid, name, check, basepower, prometheus, user,\n"
		   "config and the top options can only be given on the command line.\n"
		   "\n");

	fprintf(f,
		"Examples:\n"
		"  sudo energat-bpf --basepower           # measure idle power, once per machine\n"
		"  sudo energat-bpf --pid 1234            # trace process 1234 and its children\n"
		"  sudo energat-bpf --no-baseline -- stress-ng --cpu 2 --timeout 5\n"
		"                                         # launch and trace a command\n"
		"  sudo energat-bpf --name build -- make -j8\n"
		"                                         # write energat_traces_build.csv\n"
		"  sudo energat-bpf top                   # live per-thread energy view\n"
		"  sudo energat-bpf top -b -n 5 -d 2      # five refreshes as plain text\n"
		"  sudo energat-bpf --prometheus 9100     # metrics on 127.0.0.1:9100\n"
		"  sudo energat-bpf --check               # can tracing work here?\n"
		"  sudo energat-bpf --check --sysfs-root /tmp/fake\n"
		"                                         # check against a fake sysfs tree\n");
}
