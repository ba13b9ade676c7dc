#!/bin/bash
# `make run`: measure a baseline, then trace a real workload and show the
# attribution. Uses powercap RAPL where the machine has it, else the model
# meter (the output says meter=model).
set -euo pipefail
bin=${1:-build/energat-bpf}
out=${DEMO_OUT:-build/demo}
if [ "$(id -u)" -ne 0 ]; then
	echo "make run loads BPF programs: run it as root (sudo make run)" >&2
	exit 1
fi
mkdir -p "$out"
echo "== energat-bpf --check"
"$bin" --check --basefile "$out/baseline_power.json" || true
echo
echo "== baseline power (3 s, keep the machine idle)"
"$bin" --basepower --base-period 3 --basefile "$out/baseline_power.json"
echo
echo "== trace: stress-ng --cpu 1 --timeout 4"
"$bin" --basefile "$out/baseline_power.json" --output "$out" --name stress \
	-- stress-ng --cpu 1 --timeout 4 --quiet
echo
echo "== $out/energat_traces_stress.csv"
column -s, -t <"$out/energat_traces_stress.csv" | cut -c1-220
echo
echo "== per-thread rows (first 10 of $out/energat_threads_stress.csv)"
head -n 11 "$out/energat_threads_stress.csv" | column -s, -t
