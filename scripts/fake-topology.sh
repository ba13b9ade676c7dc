#!/bin/bash
# Build a fake sysfs topology for this machine's online CPUs, for --sysfs-root.
# Usage: fake-topology.sh DIR [SOCKETS]
#   cpu i goes to socket (i mod SOCKETS) (default 2), with one NUMA node per
#   socket. Creates DIR/devices/system/cpu/{online,cpuN/topology/...} and
#   DIR/devices/system/node/{online,nodeN/{cpulist,meminfo,distance}}; node
#   meminfo is the real memory split evenly between the fake nodes.
#   Re-running replaces those two subtrees (and nothing else under DIR).
set -euo pipefail

usage() {
	echo "usage: $0 DIR [SOCKETS]" >&2
	exit 2
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage
dir=$1
sockets=${2:-2}
sys=${REAL_SYSFS:-/sys}

case $sockets in
'' | *[!0-9]*) usage ;;
esac
# 8 is ENERGAT_MAX_SOCKETS in include/energat.h.
if [ "$sockets" -lt 1 ] || [ "$sockets" -gt 8 ]; then
	echo "fake-topology: SOCKETS must be 1..8" >&2
	exit 2
fi

real_dir=$(realpath -m -- "$dir")
# The subtrees below are deleted first: never let that touch a real sysfs.
case $real_dir in
/ | /sys | /sys/* | /proc | /proc/*)
	echo "fake-topology: refusing to write under $real_dir" >&2
	exit 1
	;;
esac
mkdir -p "$real_dir"

# Expand a cpulist ("0-3,8") into one id per line.
expand_list() {
	local item lo hi
	local IFS=,
	for item in $1; do
		item=${item//[[:space:]]/}
		[ -n "$item" ] || continue
		lo=${item%-*}
		hi=${item#*-}
		seq "$lo" "$hi"
	done
}

# Join ids (one per line, ascending) into a compact cpulist.
compress_list() {
	awk 'NR == 1 { lo = hi = $1; next }
	     $1 == hi + 1 { hi = $1; next }
	     { out = out sep (lo == hi ? lo : lo "-" hi); sep = ","; lo = hi = $1 }
	     END { if (NR) out = out sep (lo == hi ? lo : lo "-" hi); print out }'
}

online=$(cat "$sys/devices/system/cpu/online")
cpus=$(expand_list "$online")

cpu_root=$real_dir/devices/system/cpu
node_root=$real_dir/devices/system/node
rm -rf "$cpu_root" "$node_root"
mkdir -p "$cpu_root" "$node_root"

echo "$online" >"$cpu_root/online"
cp "$sys/devices/system/cpu/possible" "$cpu_root/possible" 2>/dev/null || echo "$online" >"$cpu_root/possible"

declare -a node_cpus
for c in $cpus; do
	s=$((c % sockets))
	mkdir -p "$cpu_root/cpu$c/topology"
	echo "$s" >"$cpu_root/cpu$c/topology/physical_package_id"
	echo "$c" >"$cpu_root/cpu$c/topology/core_id"
	echo 1 >"$cpu_root/cpu$c/online"
	node_cpus[s]+="$c"$'\n'
done

# Real memory, from node0 when the kernel has NUMA, else /proc/meminfo.
if [ -r "$sys/devices/system/node/node0/meminfo" ]; then
	meminfo=$(sed 's/^Node [0-9]* //' "$sys/devices/system/node/node0/meminfo")
else
	meminfo=$(cat /proc/meminfo)
fi

last=$((sockets - 1))
for ((n = 0; n < sockets; n++)); do
	nd=$node_root/node$n
	mkdir -p "$nd"
	# A socket whose ids got no CPU (sparse ids) becomes a memory-only node.
	printf '%s' "${node_cpus[n]:-}" | compress_list >"$nd/cpulist"
	dist=""
	for ((m = 0; m < sockets; m++)); do
		dist+="$([ $m -eq $n ] && echo 10 || echo 20) "
	done
	echo "${dist% }" >"$nd/distance"
	# Node 0 also takes the remainder, so the per-node values add up exactly.
	echo "$meminfo" | awk -v n="$n" -v k="$sockets" '
		/^[A-Za-z_()]+:[ \t]+[0-9]+/ {
			key = $1; v = $2; unit = (NF > 2) ? " " $3 : ""
			share = int(v / k); if (n == 0) share += v % k
			printf "Node %d %-20s %8d%s\n", n, key, share, unit
		}' >"$nd/meminfo"
done
for f in online possible has_memory has_normal_memory; do
	seq 0 "$last" | compress_list >"$node_root/$f"
done
for ((n = 0; n < sockets; n++)); do
	if [ -n "${node_cpus[n]:-}" ]; then echo "$n"; fi
done | compress_list >"$node_root/has_cpu"

echo "fake topology for CPUs $online on $sockets socket(s) in $real_dir"
