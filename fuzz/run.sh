#!/bin/bash
# Run every libFuzzer harness for a bounded time: make fuzz (FUZZ_SECONDS each).
# Usage: fuzz/run.sh BUILD_DIR SECONDS [NAME...]
#   New corpus entries go to BUILD_DIR/fuzz/corpus/NAME (the checked-in seeds in
#   fuzz/corpus/NAME are only read); crashes to BUILD_DIR/fuzz/crashes/.
#   Prints one line per fuzzer (executions, corpus size, crashes) and fails if
#   any fuzzer found a crash. Minimise one with:
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

mkdir -p "$build/fuzz/crashes" "$build/fuzz/logs"
failed=()
for n in "${names[@]}"; do
	bin=$build/fuzz/fuzz_$n
	work=$build/fuzz/corpus/$n
	log=$build/fuzz/logs/$n.log
	mkdir -p "$work" "fuzz/corpus/$n"
	dict=()
	[ -f "fuzz/$n.dict" ] && dict=(-dict="fuzz/$n.dict")
	# Quiet: libFuzzer prints to stderr; keep it in the log.
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-print_final_stats=1 -artifact_prefix="$build/fuzz/crashes/$n-" \
		"${dict[@]}" "$work" "fuzz/corpus/$n" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	corpus=$(find "$work" "fuzz/corpus/$n" -type f | wc -l)
	crashes=$(find "$build/fuzz/crashes" -name "$n-*" -type f | wc -l)
	printf '  %-14s %10s execs  %5d inputs  %d crash(es)\n' "$n" "${execs:-?}" "$corpus" "$crashes"
	if [ $rc -ne 0 ] || [ "$crashes" -gt 0 ]; then
		failed+=("$n")
		grep -m5 -E 'ERROR|property failed|SUMMARY|runtime error' "$log" | sed 's/^/    /'
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz: crashes in: ${failed[*]} (inputs in $build/fuzz/crashes, logs in $build/fuzz/logs)"
	exit 1
fi
echo "fuzz: ${#names[@]} fuzzers, ${secs} s each, no crash"
