#!/bin/sh
# Install the Debian packages energat-bpf needs to build, test and benchmark.
# Idempotent and silent when everything is already present; make calls it.
set -eu

PKGS="clang clang-16 llvm make pkg-config libbpf-dev bpftool libelf-dev zlib1g-dev
libnuma-dev libcmocka-dev libjson-c-dev libncurses-dev libmicrohttpd-dev
stress-ng linux-perf tmux clang-format prometheus python3 libclang-rt-14-dev valgrind"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "energat-bpf: missing packages:$missing" >&2
	echo "energat-bpf: run 'sudo scripts/setup.sh' (or: sudo apt-get install$missing)" >&2
	exit 1
fi
echo "setup: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
