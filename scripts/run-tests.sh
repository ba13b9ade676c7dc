#!/bin/bash
# Run test binaries and print one closing line: "N passed, N failed, N skipped".
# Usage: run-tests.sh unit|integration|all UNIT_BINS... [-- IT_BINS...]
# Integration binaries need root; as another user they are skipped with a message.
set -u
mode=$1
shift
unit=()
it=()
dest=unit
for a in "$@"; do
	if [ "$a" = "--" ]; then dest=it; continue; fi
	if [ "$mode" = integration ]; then it+=("$a"); elif [ $dest = unit ]; then unit+=("$a"); else it+=("$a"); fi
done

passed=0 failed=0 skipped=0
failed_bins=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_one() {
	local bin=$1 t=$SECONDS
	echo "== $bin"
	"$bin" 2>&1 | tee "$log"
	local rc=${PIPESTATUS[0]}
	echo "== $bin: exit $rc, $((SECONDS - t)) s"
	local p f s
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n1)
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | tail -n1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	skipped=$((skipped + ${s:-0}))
	if [ "$rc" -ne 0 ]; then
		failed_bins+=("$bin")
		# A crash prints no cmocka summary: count it as one failure.
		[ -z "$f" ] && failed=$((failed + 1))
	fi
}

for b in "${unit[@]}"; do run_one "$b"; done
if [ ${#it[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "integration tests skipped: they load BPF programs and need root (run: sudo make test)"
		skipped=$((skipped + ${#it[@]}))
	else
		for b in "${it[@]}"; do run_one "$b"; done
	fi
fi

echo
[ ${#failed_bins[@]} -gt 0 ] && echo "failing: ${failed_bins[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ ${#failed_bins[@]} -eq 0 ] && [ "$failed" -eq 0 ]
