#!/bin/bash
# Run every libFuzzer harness for a bounded time: make fuzz (FUZZ_SECONDS each).
# Usage: [FUZZ_JOBS=N] fuzz/run.sh BUILD_DIR SECONDS [NAME...]
#   Runs FUZZ_JOBS fuzzers at a time (default: nproc), each for SECONDS.
#   New corpus entries go to BUILD_DIR/fuzz/corpus/NAME (the checked-in seeds in
#   fuzz/corpus/NAME are only read); crashes to BUILD_DIR/fuzz/crashes/.
#   Prints one line per fuzzer as it ends (executions, corpus size, crashes)
#   and fails if any fuzzer found a crash. Minimise one with:
#     BUILD_DIR/fuzz/fuzz_NAME -minimize_crash=1 -runs=10000 CRASH_FILE
set -u
cd "$(dirname "$0")/.." || exit 1
build=$1
secs=$2
shift 2
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for f in fuzz/fuzz_*.c; do
		n=${f#fuzz/fuzz_}
		names+=("${n%.c}")
	done
fi
jobs=${FUZZ_JOBS:-$(nproc)}
if ! [[ $jobs =~ ^[0-9]+$ ]] || [ "$jobs" -lt 1 ]; then
	echo "fuzz: FUZZ_JOBS must be a positive number, not '$jobs'" >&2
	exit 2
fi

mkdir -p "$build/fuzz/crashes" "$build/fuzz/logs"
failed=()
reported=0
declare -A running=() # pid -> fuzzer name
# Interrupted: stop the fuzzers still running (only those this script started).
stop() {
	[ ${#running[@]} -gt 0 ] && kill "${!running[@]}" 2>/dev/null
	exit "$1"
}
trap 'stop 130' INT
trap 'stop 143' TERM

start() {
	local n=$1
	local bin=$build/fuzz/fuzz_$n work=$build/fuzz/corpus/$n dict=()

	mkdir -p "$work" "fuzz/corpus/$n"
	[ -f "fuzz/$n.dict" ] && dict=(-dict="fuzz/$n.dict")
	# Quiet: libFuzzer prints to stderr; keep it in the log.
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-print_final_stats=1 -artifact_prefix="$build/fuzz/crashes/$n-" \
		"${dict[@]}" "$work" "fuzz/corpus/$n" >"$build/fuzz/logs/$n.log" 2>&1 &
	running[$!]=$n
}

# Wait for any one fuzzer to end and report it.
reap() {
	local pid rc n log execs corpus crashes

	wait -n -p pid
	rc=$?
	n=${running[$pid]}
	unset "running[$pid]"
	reported=$((reported + 1))
	log=$build/fuzz/logs/$n.log
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	corpus=$(find "$build/fuzz/corpus/$n" "fuzz/corpus/$n" -type f | wc -l)
	crashes=$(find "$build/fuzz/crashes" -name "$n-*" -type f | wc -l)
	printf '  %-14s %10s execs  %5d inputs  %d crash(es)\n' "$n" "${execs:-?}" "$corpus" "$crashes"
	if [ $rc -ne 0 ] || [ "$crashes" -gt 0 ]; then
		failed+=("$n")
		grep -m5 -E 'ERROR|property failed|SUMMARY|runtime error' "$log" | sed 's/^/    /'
	fi
}

for n in "${names[@]}"; do
	[ ${#running[@]} -ge "$jobs" ] && reap
	start "$n"
done
while [ ${#running[@]} -gt 0 ]; do
	reap
done
if [ $reported -ne ${#names[@]} ]; then
	echo "fuzz: only $reported of ${#names[@]} fuzzers ran"
	exit 1
fi
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz: crashes in: ${failed[*]} (inputs in $build/fuzz/crashes, logs in $build/fuzz/logs)"
	exit 1
fi
echo "fuzz: ${#names[@]} fuzzers, ${secs} s each, $jobs at a time, no crash"
