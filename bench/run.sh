#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# energat-bpf's overhead on this machine, written to BENCHMARKS.md (issue 7).
# Run by `make bench` (which builds the tools first); needs root.
#
# Machines are shared and noisy, so every figure is a ratio against a
# reference measured in the same run, and each is the median of at least 5
# repetitions, shown with min and max:
#   1. per-event cost: ns per sched_switch of our program against empty
#      tp_btf/sched_switch programs attached side by side, three before and
#      three after it (bench/evcost.c), all after another empty one that
#      takes the first place and what it costs (bench/warm.bpf.c), with the
#      code page each program runs from; plus the cost of each ingredient
#      of the handler (bench/ablate.bpf.c); and ours and the empty program
#      each alone on the tracepoint, in alternating runs;
#   2. workload slowdown: perf bench wall time with the tracer attached
#      system-wide, and with the empty program, each over no program,
#      measured back to back in rotating order;
#   3. the tracer's own CPU time and peak RSS system-wide with 100, 1,000
#      and 10,000 live threads (bench/threads.c): the real CLI
#      (`energat-bpf --prometheus`, `energat-bpf top -b`) and the same
#      session instrumented from the inside (bench/swtrace.c) for the drain
#      time per interval and a perf profile, each alone on the threads; and
#      at 10,000 threads that session listing by walk, as before the slots;
#   4. thread churn: 10,000 short-lived threads per second for 10 s
#      (bench/churn.c): tracer CPU, ring-buffer drops, and the CPU time the
#      tracer charged against the kernel's own figure;
#   5. the prototype's /proc polling at the same thread counts
#      (bench/prototype_poll.py) against our per-interval cost.
#
# Usage: bench/run.sh [--quick]   (--quick: 3 repetitions, shorter runs; for
# trying the script, not for BENCHMARKS.md figures). BENCH_SECTIONS="1 2"
# runs only those sections (and the report shows only them).
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
B=$BUILD/bench
OUT=$B/results
REPORT=${BENCH_REPORT:-BENCHMARKS.md}
PY=${PYTHON:-python3}

# Repetitions: per-event and slowdown runs, churn runs. Each figure is a
# median of at least 5; the whole run stays under 10 minutes even on a
# loaded 2-CPU machine.
REPS=5
SECTIONS=${BENCH_SECTIONS:-1 2 3 4}
CHURN_REPS=5
CHURN_SECS=10
SCALE_SECS=10
SCALE_COUNTS="100 1000 10000"
if [ "${1:-}" = --quick ]; then
	REPS=3
	CHURN_REPS=2
	CHURN_SECS=3
	SCALE_SECS=4
	REPORT=$OUT/BENCHMARKS.quick.md
fi
# A partial run never replaces the full report.
[ "$SECTIONS" = "1 2 3 4" ] || REPORT=$OUT/BENCHMARKS.partial.md

# Workloads, about a second each on an idle 2-CPU machine. Messaging: 80
# processes over socketpairs; pipe: two tasks ping-ponging, nothing but
# context switches.
MSG=(perf bench -f simple sched messaging -g 2 -l 100)
# Per-event cost: four times the messages, about 12,000 switches a run
# instead of 3,000, so that one run's figure is not a few cold switches.
MSG_EV=(perf bench -f simple sched messaging -g 2 -l 400)
PIPE=(perf bench -f simple sched pipe -l 20000)

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: needs root (BPF programs, BPF statistics)" >&2
	exit 1
fi
[ -x "$BUILD/energat-bpf" ] || {
	echo "bench: $BUILD/energat-bpf is missing: run 'make bench'" >&2
	exit 1
}
for t in evcost empty_loader swtrace threads churn walkfloor empty.bpf.o warm.bpf.o ablate.bpf.o \
	exittail.bpf.o walkfloor.bpf.o empties.bpf.o; do
	if [ ! -e "$B/$t" ]; then
		echo "bench: $B/$t is missing: run 'make bench'" >&2
		exit 1
	fi
done

rm -rf "$OUT"
mkdir -p "$OUT"
CMDS=$OUT/commands.txt
: >"$CMDS"
BG=()

cleanup() {
	local p
	for p in "${BG[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}
trap cleanup EXIT

# Record a command (once per kind: the first time) in commands.txt.
declare -A SEEN
note() {
	local key="$1"
	shift
	if [ -z "${SEEN[$key]:-}" ]; then
		SEEN[$key]=1
		printf '%s\t%s\n' "$key" "$*" >>"$CMDS"
	fi
}

run() {
	note "$@"
	shift
	"$@"
}

log() {
	printf 'bench: %s\n' "$*" >&2
}

wait_file() {
	local f=$1 pid=$2 i
	for ((i = 0; i < 600; i++)); do
		[ -e "$f" ] && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# Start a background tracer (or reference program) and wait until it is attached.
start_bg() {
	local ready=$OUT/ready.$$ key=$1
	shift
	rm -f "$ready"
	note "$key" "$@" READY_FILE
	"$@" "$ready" &
	BG_PID=$!
	BG+=("$BG_PID")
	if ! wait_file "$ready" "$BG_PID"; then
		echo "bench: $key did not start" >&2
		exit 1
	fi
	rm -f "$ready"
}

stop_bg() {
	local p keep=()
	kill -TERM "$BG_PID"
	wait "$BG_PID" || true
	for p in "${BG[@]}"; do
		[ "$p" = "$BG_PID" ] || keep+=("$p")
	done
	BG=("${keep[@]}")
}

{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "kernel: $(uname -r)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "cpus: $(nproc)"
	echo "clocksource: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null || echo unknown)"
	echo "commit: $(git describe --always --dirty 2>/dev/null || echo unknown)"
	echo "perf: $(perf --version 2>/dev/null)"
	echo "loadavg_start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/machine.txt"
START=$(date +%s)

want() {
	[[ " $SECTIONS " == *" $1 "* ]]
}

section() {
	echo "section_$1_start_s: $(($(date +%s) - START))" >>"$OUT/machine.txt"
	log "$2"
}

# Sample a running process's stacks with perf (cpu-clock: works in VMs
# without a PMU) for SECS seconds; the report shows where its CPU time went.
profile() {
	local pid=$1 secs=$2 name=$3
	note "perf-$name" perf record -e cpu-clock -F 4000 -g -p PID -o FILE -- sleep "$secs"
	if perf record -q -e cpu-clock -F 4000 -g -p "$pid" -o "$OUT/$name.perf" -- sleep "$secs" \
		>/dev/null 2>&1; then
		perf report -i "$OUT/$name.perf" --no-children --sort sym --stdio -g none \
			--percent-limit 1 2>/dev/null | grep '%' >"$OUT/$name.self.txt" || true
		perf report -i "$OUT/$name.perf" --children --sort sym --stdio -g none \
			--percent-limit 0.5 2>/dev/null | grep '%' >"$OUT/$name.children.txt" || true
	fi
	rm -f "$OUT/$name.perf"
}

want 1 && section 1 "1/5 per-event cost"
want 1 && for ((r = 1; r <= REPS; r++)); do
	around=(--warm "$B/warm.bpf.o" --before "$B/empties.bpf.o" --extra "$B/empties.bpf.o")
	run ev-sys "$B/evcost" --mode sys "${around[@]}" -- "${MSG_EV[@]}" >"$OUT/ev_sys_msg_$r.json"
	run ev-sys-pipe "$B/evcost" --mode sys "${around[@]}" -- "${PIPE[@]}" \
		>"$OUT/ev_sys_pipe_$r.json"
	run ev-target "$B/evcost" --mode target "${around[@]}" -- "${MSG_EV[@]}" \
		>"$OUT/ev_target_msg_$r.json"
	run ev-other "$B/evcost" --mode other "${around[@]}" -- "${MSG_EV[@]}" \
		>"$OUT/ev_other_msg_$r.json"
	# Ours and the empty program, each alone on the tracepoint as in
	# production, in runs of their own (the order swapped every repetition).
	alone=(ours empty)
	((r % 2)) || alone=(empty ours)
	for who in "${alone[@]}"; do
		if [ "$who" = ours ]; then
			run ev-alone-ours "$B/evcost" --mode sys -- "${MSG_EV[@]}" \
				>"$OUT/ev_alone_ours_$r.json"
		else
			run ev-alone-empty "$B/evcost" --mode none --extra "$B/empty.bpf.o" -- \
				"${MSG_EV[@]}" >"$OUT/ev_alone_empty_$r.json"
		fi
	done
done
want 1 && for ((r = 1; r <= 5; r++)); do
	run ablate "$B/evcost" --mode none --extra "$B/ablate.bpf.o" -- "${MSG_EV[@]}" \
		>"$OUT/ablate_msg_$r.json"
done

# 2. Workload slowdown: none / empty program / tracer, rotating the order so
# that drift in the machine's load hits every condition alike. Each condition
# runs the workload WL_RUNS times: interference from other jobs only ever
# adds time, so the report takes the fastest run. Each line: perf bench's own
# wall time, then bash's real, user and system seconds (workload and children).
WL_RUNS=2
timed() {
	local out=$1 i
	shift
	for ((i = 0; i < WL_RUNS; i++)); do
		{
			TIMEFORMAT='%R %U %S'
			time "$@" >"$out.run"
		} 2>"$out.time"
		echo "$(head -1 "$out.run") $(tail -1 "$out.time")" >>"$out"
	done
	rm -f "$out.run" "$out.time"
}

slowdown() {
	local name=$1 r c conds f
	shift
	note "wl-$name" "$@"
	for ((r = 1; r <= REPS; r++)); do
		case $((r % 3)) in
		1) conds="none empty energat" ;;
		2) conds="energat none empty" ;;
		0) conds="empty energat none" ;;
		esac
		for c in $conds; do
			f=$OUT/wl_${name}_${c}_$r.txt
			case $c in
			none) timed "$f" "$@" ;;
			empty)
				start_bg empty "$B/empty_loader" "$B/empty.bpf.o"
				timed "$f" "$@"
				stop_bg
				;;
			energat)
				start_bg swtrace-bg "$B/swtrace" --interval 1 --out /dev/null --ready
				timed "$f" "$@"
				stop_bg
				;;
			esac
		done
	done
}
if want 2; then
	section 2 "2/5 workload slowdown"
	slowdown msg "${MSG[@]}"
	slowdown pipe "${PIPE[@]}"
fi

# 3 and 5. Tracer at scale, and the prototype's polling at the same counts.
want 3 && section 3 "3/5 tracer at scale (and 5/5 the prototype's polling)"
# The CPU time of every thread of a process so far, ns (the kernel's exact
# sum_exec_runtime per thread, from schedstat).
cpu_ns() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d", s }'
}

hwm_kb() {
	awk '/^VmHWM:/ { print $2 }' /proc/"$1"/status 2>/dev/null || echo 0
}

# Seconds from now until $1 (ns since the epoch), or 0 if that has passed.
secs_until() {
	local d=$(($1 - $(date +%s%N)))

	((d > 0)) || d=0
	printf '%d.%09d' $((d / 1000000000)) $((d % 1000000000))
}

# Process $1's CPU time at the start and the end of $2 windows of exactly one
# second, into $3, then its peak RSS. Each window holds one of the tracer's
# 1 s boundaries. Windows a little longer than a second (a sleep 1 and the
# reads) spread most boundaries' work over 1.1 s, 10% low, and now and then
# held two boundaries.
sample_cpu() {
	local pid=$1 n=$2 out=$3 next i

	next=$(date +%s%N)
	: >"$out"
	for ((i = 0; i <= n; i++)); do
		echo "$(date +%s%N) $(cpu_ns "$pid")" >>"$out"
		next=$((next + 1000000000))
		if ((i < n)); then
			sleep "$(secs_until "$next")"
		fi
	done
	echo "hwm_kb $(hwm_kb "$pid")" >>"$out"
}

# The real CLI system-wide, alone on $2 threads: $1 names it, the rest is
# the command. Side by side, each one's listing would warm the caches for
# the next.
cli_cpu() {
	local key=$1 n=$2 pid
	shift 2
	note "cli-$key" "$@"
	"$@" >/dev/null 2>"$OUT/cli_${key}_$n.err" &
	pid=$!
	BG+=("$pid")
	# Start-up is not steady-state cost: the BPF load, then the first
	# listings (the thread table grows, process names are read, the fresh
	# 4 MiB ring buffer is written through for the first time). At 10,000
	# threads the 3rd and 4th second still cost 0.7-1.0 % of a core, the
	# seconds after them 0.34 % (one run).
	sleep 4
	sample_cpu "$pid" $((SCALE_SECS - 1)) "$OUT/cli_${key}_$n.txt"
	BG_PID=$pid
	stop_bg
}

want 3 && for n in $SCALE_COUNTS; do
	start_bg threads "$B/threads" "$n" 1000 20
	TPID=$BG_PID
	# The exporter (never scraped), top in batch mode (every row printed each
	# interval), then the same session instrumented from the inside.
	cli_cpu prom "$n" "$BUILD/energat-bpf" --prometheus "127.0.0.1:$((19000 + RANDOM % 1000))"
	cli_cpu top "$n" "$BUILD/energat-bpf" top -b -d 1
	run swtrace "$B/swtrace" --interval 1 --duration "$SCALE_SECS" --out "$OUT/scale_$n.json"
	if [ "$n" = 10000 ]; then
		# The listing before the slots, for comparison.
		run swtrace-walk "$B/swtrace" --walk --interval 1 --duration "$SCALE_SECS" \
			--out "$OUT/scale_walk_$n.json"
		# The largest count is profiled in a run of its own: perf's sampling
		# is charged to the process it samples, so it must not be in the figures.
		"$B/swtrace" --interval 1 --duration "$SCALE_SECS" --out /dev/null &
		SW=$!
		sleep 2
		profile "$SW" $((SCALE_SECS - 3)) "profile_scale_$n"
		wait "$SW"
		# What the listing's walk alone costs over these threads: its floor.
		run walkfloor "$B/walkfloor" "$B/walkfloor.bpf.o" "$REPS" 1000 >"$OUT/walkfloor_$n.json"
	fi
	note prototype "$PY" bench/prototype_poll.py THREADS_PID "$REPS" 0.3
	"$PY" bench/prototype_poll.py "$TPID" "$REPS" 0.3 >"$OUT/proto_$n.json"
	BG_PID=$TPID
	stop_bg
done

# 4. Thread churn.
want 4 && section 4 "4/5 thread churn"
want 4 && for ((r = 1; r <= CHURN_REPS; r++)); do
	note churn "$B/swtrace" --interval 1 --exit-tail "$B/exittail.bpf.o" \
		--out "$OUT/churn_$r.json" -- "$B/churn" 10000 "$CHURN_SECS" 20
	"$B/swtrace" --interval 1 --exit-tail "$B/exittail.bpf.o" \
		--out "$OUT/churn_$r.json" -- "$B/churn" 10000 "$CHURN_SECS" 20 >"$OUT/churn_$r.out" &
	SW=$!
	# The first run is also profiled, over its middle seconds.
	if [ "$r" = 1 ]; then
		sleep 2
		profile "$SW" $((CHURN_SECS - 4)) profile_churn
	fi
	wait "$SW"
done

echo "loadavg_end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"
echo "elapsed_s: $(($(date +%s) - START))" >>"$OUT/machine.txt"
log "writing $REPORT"
"$PY" bench/report.py "$OUT" >"$REPORT.tmp"
mv "$REPORT.tmp" "$REPORT"
log "done in $(($(date +%s) - START)) s"
