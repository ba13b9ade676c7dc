#!/bin/bash
# Soak test (issue 8): energat-bpf system-wide (top --json) for a long run under
# stress-ng thread and process churn, its RSS and open files sampled, then a
# short report. Not part of CI: `make soak` runs it for 10 minutes.
# Usage: soak.sh [-d SECONDS] [-o DIR] [-i INTERVAL] BIN
# Passes when the tracer ran to the end and exited 0, printed a refresh per
# interval, dropped no ring-buffer record, its map never filled, and its RSS
# and file descriptors did not keep growing after the first minute (warm-up).
set -euo pipefail

dur=600
out=build/soak
interval=1
while getopts "d:o:i:" opt; do
	case $opt in
	d) dur=$OPTARG ;;
	o) out=$OPTARG ;;
	i) interval=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: $0 [-d SECONDS] [-o DIR] [-i INTERVAL] BIN" >&2; exit 2; }
bin=$(realpath "$1")
[ "$(id -u)" -eq 0 ] || { echo "soak: needs root (it loads BPF programs)" >&2; exit 1; }
command -v stress-ng >/dev/null || { echo "soak: stress-ng missing (scripts/setup.sh)" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out"
samples=$out/samples.tsv
report=$out/report.md
warm=$((dur < 120 ? dur / 4 : 60))

cleanup() {
	if [ -n "${stress:-}" ]; then kill "$stress" 2>/dev/null || true; fi
	if [ -n "${tracer:-}" ]; then kill "$tracer" 2>/dev/null || true; fi
	wait 2>/dev/null || true
}
trap cleanup EXIT

# Thread churn: pthread workers create and join up to 32 threads each, over and
# over; clone and fork workers add short-lived processes; one CPU hog.
stress-ng --pthread 2 --pthread-max 32 --clone 1 --clone-max 64 --fork 1 --fork-max 16 \
	--cpu 1 --cpu-load 50 --timeout "$((dur + 30))s" --metrics-brief \
	>"$out/stress-ng.log" 2>&1 &
stress=$!
sleep 2

# Keep one line per refresh without its thread rows (they are most of the bytes).
"$bin" top --json -d "$interval" 2>"$out/tracer.stderr" \
	> >(sed 's/,"view":.*/}/' >"$out/refreshes.jsonl") &
tracer=$!

printf 'sec\trss_kb\tfds\tthreads\tcpu_sec\trefreshes\thost_tasks\tanon_kb\tbpf_map_kb\n' >"$samples"
tck=$(getconf CLK_TCK)
# Seconds since boot: the wall clock of these VMs can jump by minutes.
uptime_s() { cut -d' ' -f1 /proc/uptime; }
start=$(uptime_s)
while :; do
	now=$(awk -v a="$start" -v b="$(uptime_s)" 'BEGIN { printf "%d", b - a }')
	[ $now -ge "$dur" ] && break
	if ! kill -0 "$tracer" 2>/dev/null; then
		echo "soak: the tracer died after ${now} s" >&2
		break
	fi
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$tracer/status" 2>/dev/null || echo 0)
	thr=$(awk '/^Threads:/ { print $2 }' "/proc/$tracer/status" 2>/dev/null || echo 0)
	fds=$(find "/proc/$tracer/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	cpu=$(awk -v t="$tck" '{ sub(/.*\) /, ""); printf "%.1f", ($12 + $13) / t }' "/proc/$tracer/stat" 2>/dev/null || echo 0)
	# Tasks on the host (/proc/loadavg): what the tracer's tables follow.
	tasks=$(awk '{ split($4, a, "/"); print a[2] }' /proc/loadavg)
	# Where RSS is: the heap and other anonymous memory, and the ring
	# buffer's mapping, resident only once the producer has written there.
	anon=$(awk '/^RssAnon:/ { print $2 }' "/proc/$tracer/status" 2>/dev/null || echo 0)
	ring=$(awk '/^[0-9a-f]+-/ { m = ($6 == "anon_inode:bpf-map") } m && /^Rss:/ { s += $2 }
		END { print s + 0 }' "/proc/$tracer/smaps" 2>/dev/null || echo 0)
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$now" "$rss" "$fds" "$thr" "$cpu" \
		"$(wc -l <"$out/refreshes.jsonl")" "$tasks" "$anon" "$ring" >>"$samples"
	sleep 5
done

# SIGINT must end the run promptly, churn or not.
t0=$(uptime_s)
kill -INT "$tracer" 2>/dev/null || true
status=0
wait "$tracer" || status=$?
stop_sec=$(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%.2f", b - a }')
tracer=
kill -INT "$stress" 2>/dev/null || true
wait "$stress" 2>/dev/null || true
stress=

refreshes=$(wc -l <"$out/refreshes.jsonl")
drops=$(grep -o '"rb_drops":[0-9]*' "$out/refreshes.jsonl" | cut -d: -f2 | awk '{ s += $1 } END { print s + 0 }')
mapfull=$(grep -o '"map_full":[0-9]*' "$out/refreshes.jsonl" | cut -d: -f2 | awk '{ s += $1 } END { print s + 0 }')
anom=$(grep -c '"meter_anomalies":[1-9]' "$out/refreshes.jsonl" || true)
# Open files: the fewest over 30 s after warm-up and over the last 30 s (a
# sample taken during an interval's task-iterator pass sees its fd too).
read -r rss0 rssw rssmax rss1 fdw fd1 < <(awk -F'\t' -v w="$warm" -v d="$dur" 'NR > 1 {
		if (!n++) r0 = $2
		if ($1 >= w && !seen) { rw = $2; seen = 1 }
		if ($1 >= w && $1 < w + 30 && (fw == "" || $3 < fw)) fw = $3
		if ($1 >= d - 30 && (f1 == "" || $3 < f1)) f1 = $3
		if ($2 > m) m = $2
		r1 = $2; l1 = $3
	} END { if (!seen) rw = r1; if (fw == "") fw = l1; if (f1 == "") f1 = l1
		print r0 + 0, rw + 0, m + 0, r1 + 0, fw + 0, f1 + 0 }' "$samples")
growth=$((rss1 - rssw))
want=$(awk -v d="$dur" -v i="$interval" 'BEGIN { printf "%d", d / i * 0.9 }')
bogo=$(awk '$2 ~ /^(info|metrc):$/ && $4 ~ /^(pthread|clone|fork)$/ && $6 ~ /^[0-9.]+$/ {
		printf "%s%s %s bogo ops", sep, $5, $4; sep = ", " }' "$out/stress-ng.log")

verdict=PASS
why=()
[ "$status" -eq 0 ] || why+=("tracer exit status $status")
[ "$refreshes" -ge "$want" ] || why+=("$refreshes refreshes, want >= $want")
[ "$drops" -eq 0 ] || why+=("$drops ring-buffer drops")
[ "$mapfull" -eq 0 ] || why+=("thread map full $mapfull times")
# After warm-up: RSS within 5 % (issue 8), no more open files.
[ "$growth" -le $((rssw / 20)) ] || why+=("RSS grew by ${growth} kB after warm-up (more than 5 %)")
[ "$fd1" -le "$fdw" ] || why+=("open files grew from $fdw to $fd1")
maxdt=$(grep -o '"dt_sec":[0-9.]*' "$out/refreshes.jsonl" | cut -d: -f2 | sort -g | tail -n1)
awk -v m="${maxdt:-0}" -v i="$interval" 'BEGIN { exit !(m > 3 * i) }' &&
	why+=("a refresh took ${maxdt} s (interval ${interval} s): the tracer fell behind")
awk -v s="$stop_sec" 'BEGIN { exit !(s > 5) }' && why+=("took ${stop_sec} s to stop after SIGINT")
[ ${#why[@]} -eq 0 ] || verdict=FAIL

{
	echo "# energat-bpf soak: $verdict"
	echo
	echo "- $(date -u +%Y-%m-%dT%H:%M:%SZ), kernel $(uname -r), $(nproc) CPUs"
	echo "- ${dur} s system-wide (\`top --json -d $interval\`) under stress-ng thread churn${bogo:+ ($bogo)}"
	echo "- tracer exit status $status, ${stop_sec} s after SIGINT; $refreshes refreshes (want >= $want), longest ${maxdt:-?} s"
	echo "- tracer CPU time $(tail -n1 "$samples" | cut -f5) s over the run"
	echo "- ring-buffer drops $drops, thread-map-full events $mapfull, intervals with meter anomalies $anom"
	echo "- RSS: start ${rss0} kB, after ${warm} s ${rssw} kB, max ${rssmax} kB, end ${rss1} kB (growth after warm-up ${growth} kB)"
	echo "- of which anonymous (heap) / BPF map mappings (ring buffer): $(awk -F'\t' -v w="$warm" 'NR > 1 {
		if ($1 >= w && !seen) { a = $8; b = $9; seen = 1 } ea = $8; eb = $9 }
		END { printf "after warm-up %d / %d kB, end %d / %d kB", a, b, ea, eb }' "$samples")"
	echo "- open files (fewest over 30 s): after warm-up $fdw, end $fd1"
	echo "- tasks on the host: $(awk -F'\t' 'NR > 1 { if (!n++ || $7 < lo) lo = $7; if ($7 > hi) hi = $7 } END { printf "%d to %d", lo, hi }' "$samples")"
	[ ${#why[@]} -eq 0 ] || printf -- '- failed: %s\n' "${why[@]}"
	echo
	echo "Samples every 5 s: $samples; refreshes: $out/refreshes.jsonl; tracer stderr: $out/tracer.stderr"
} >"$report"
cat "$report"
[ "$verdict" = PASS ]
