#!/bin/bash
# `make vmtest` (issue 9): run the root integration tests inside a QEMU guest
# that has two sockets and two NUMA nodes and runs Debian's packaged 6.1
# kernel (linux-image-amd64 of bookworm, BTF built in), so that the same
# CO-RE binaries are proven on a second kernel and a real multi-socket,
# multi-node topology. Software emulation (TCG): no /dev/kvm needed.
#
# Usage: scripts/vmtest.sh [--build DIR] [-v] [--timeout SEC]
#   --build DIR    the make build dir holding energat-bpf, tools/burn and the
#                  guest tests vm/* (default: build); `make vmtest` builds them
#   -v             libbpf debug log in the guest (CO-RE relocations, verifier)
#   --timeout SEC  host-side limit for the guest run (default 480)
# Environment:
#   VMTEST_KERNEL=FILE      boot this bzImage instead of the packaged one
#   VMTEST_KERNEL_PKG=NAME  kernel package (default: what linux-image-amd64 depends on)
#   VMTEST_CACHE=DIR        where the extracted kernel is kept between runs
#                           (default /var/cache/energat-vmtest, else BUILD/vm/cache)
#   VMTEST_TIMEOUT=SEC      same as --timeout
# What runs in the guest, and which integration tests it leaves out under
# emulation (VMTEST_SKIP, with the reasons), is in tests/vm/init.
#
# Installs qemu-system-x86 and busybox-static when missing (needs root) and
# fetches the kernel package with `apt-get download` + `dpkg-deb -x`: nothing
# is installed into /boot and the host's boot configuration is not touched.
# Guest console: BUILD/vm/console.log. Exits non-zero on any failed test, a
# guest that did not finish, the wrong topology, or a timeout.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build
verbose=0
limit=${VMTEST_TIMEOUT:-480}
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	-v | -vv) verbose=1; shift ;;
	--timeout) limit=$2; shift 2 ;;
	*) echo "usage: $0 [--build DIR] [-v] [--timeout SEC]" >&2; exit 2 ;;
	esac
done

# What QEMU is told to build, and what the guest must then report.
SOCKETS=2 CORES=2 NODES=2
CPUS=$((SOCKETS * CORES))
work=$build/vm
cache=${VMTEST_CACHE:-/var/cache/energat-vmtest}
mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ] || cache=$work/cache
start=$(date +%s)

say() { echo "vmtest: $*"; }
die() {
	echo "vmtest: error: $*" >&2
	echo "vmtest: 0 passed, 1 failed"
	exit 1
}

# --- host packages -----------------------------------------------------------
need_pkgs() {
	local missing="" p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" -eq 0 ] || die "missing packages:$missing (run: sudo apt-get install$missing)"
	say "installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
}
need_pkgs qemu-system-x86 busybox-static
QEMU=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 not found"
BUSYBOX=/bin/busybox
[ -x $BUSYBOX ] || die "$BUSYBOX not found (busybox-static)"

# --- guest kernel ------------------------------------------------------------
kernel_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}

fetch_kernel() {
	local pkg=$1 dir=$2 tmp
	tmp=$(mktemp -d)
	chmod 755 "$tmp"
	# The _apt sandbox warning (download into a root-owned dir) is harmless.
	if ! (cd "$tmp" && apt-get download -qq "$pkg" 2>"$tmp/err"); then
		apt-get update -qq >/dev/null || true
		if ! (cd "$tmp" && apt-get download -qq "$pkg" 2>"$tmp/err"); then
			grep -v '^W: Download is performed unsandboxed' "$tmp/err" >&2 || true
			rm -rf "$tmp"
			return 1
		fi
	fi
	mkdir -p "$tmp/x"
	dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -x -C "$tmp/x" ./boot
	mkdir -p "$dir"
	cp "$tmp"/x/boot/vmlinuz-* "$dir/vmlinuz"
	cp "$tmp"/x/boot/config-* "$dir/config"
	rm -rf "$tmp"
}

if [ -n "${VMTEST_KERNEL:-}" ]; then
	kernel=$VMTEST_KERNEL
	[ -r "$kernel" ] || die "VMTEST_KERNEL=$kernel not readable"
else
	pkg=${VMTEST_KERNEL_PKG:-$(kernel_pkg)}
	if [ -z "$pkg" ]; then
		[ "$(id -u)" -eq 0 ] && apt-get update -qq >/dev/null
		pkg=$(kernel_pkg)
	fi
	[ -n "$pkg" ] || die "cannot resolve linux-image-amd64 to a kernel package (apt-get update?)"
	kernel=$cache/$pkg/vmlinuz
	if [ ! -s "$kernel" ]; then
		say "fetching $pkg (apt-get download; extracted to $cache/$pkg, not installed)"
		fetch_kernel "$pkg" "$cache/$pkg" || die "cannot download $pkg"
	fi
	grep -q '^CONFIG_DEBUG_INFO_BTF=y' "$cache/$pkg/config" ||
		die "$pkg has no CONFIG_DEBUG_INFO_BTF"
fi
say "kernel image $kernel"

# --- initramfs ---------------------------------------------------------------
bins=("$build/energat-bpf" "$build/tools/burn")
for f in "$work"/*; do
	[ -f "$f" ] && [ -x "$f" ] && bins+=("$f")
done
for f in "${bins[@]}"; do
	[ -x "$f" ] || die "$f missing: run 'make vmtest' (it builds it)"
done

root=$work/root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,lib64,lib/x86_64-linux-gnu,energat/tools,energat/vm,energat/scripts}
cp $BUSYBOX "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
# scripts/fake-topology.sh (it_tracer) is a bash script and uses GNU realpath -m;
# busybox --install in the guest leaves these two in place.
host_tools=(/bin/bash /usr/bin/realpath)
cp "${host_tools[@]}" "$root/bin/"
cp tests/vm/init "$root/init"
chmod 755 "$root/init"
cp "$build/energat-bpf" "$root/energat/"
cp "$build/tools/burn" "$root/energat/tools/"
for f in "$work"/*; do
	[ -f "$f" ] && [ -x "$f" ] && cp "$f" "$root/energat/vm/"
done
cp scripts/fake-topology.sh "$root/energat/scripts/"

# Shared libraries of every dynamic binary, at the paths the loader expects.
for f in "${bins[@]}" "${host_tools[@]}"; do
	ldd "$f" 2>/dev/null | grep -o '/[^ ]*' || true
done | sort -u | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done

initrd=$work/initramfs.cpio
(cd "$root" && find . | $BUSYBOX cpio -o -H newc 2>/dev/null) >"$initrd"
say "initramfs $initrd ($(du -m "$initrd" | cut -f1) MiB)"

# --- boot --------------------------------------------------------------------
log=$work/console.log
# TCG's TSCs come from one host clock: trust them (tsc=reliable), or the
# guest falls back to the HPET, whose every read is an emulated MMIO access.
# A soft lockup panics: the run ends within seconds instead of at the host
# timeout, and panic raises the console's log level first, so the stuck
# CPU's stack and every other CPU's (panic_print bit 6) reach the log.
append="console=ttyS0 panic=-1 rdinit=/init loglevel=4 mitigations=off tsc=reliable"
append="$append softlockup_panic=1 panic_print=0x40"
[ "$verbose" = 1 ] && append="$append vmtest.verbose=1"
# One host thread runs all vCPUs (thread=single). With a thread per vCPU,
# the guest hung in one of four runs on a loaded host (and in CI): attaching or
# detaching a program on sched_switch patches the call in __schedule(), and
# the other vCPUs kept trapping on the patch's int3 there with interrupts
# off, so the patching CPU waited forever for their acknowledgement
# (text_poke_bp_batch, seen with the panic above). With one thread: no hang
# in 17 loaded runs, and the guest takes 29 s here instead of 25.
# shellcheck disable=SC2054 # the commas are QEMU's
qemu=("$QEMU" -nodefaults -display none -no-reboot
	-machine pc -accel tcg,thread=single -cpu max
	-smp "$CPUS,sockets=$SOCKETS,cores=$CORES,threads=1"
	-m 2G
	-object memory-backend-ram,id=m0,size=1G -object memory-backend-ram,id=m1,size=1G
	-numa node,nodeid=0,cpus=0-1,memdev=m0 -numa node,nodeid=1,cpus=2-3,memdev=m1
	-serial stdio -net none
	-kernel "$kernel" -initrd "$initrd" -append "$append")
say "booting: ${qemu[*]}"
say "guest console follows (also in $log); host timeout ${limit}s"
boot=$(date +%s)
set +e
timeout -k 10 "$limit" "${qemu[@]}" </dev/null 2>&1 | sed -u 's/\r$//' | tee "$log"
qrc=${PIPESTATUS[0]}
set -e
now=$(date +%s)
echo
say "guest ran $((now - boot)) s (qemu exit $qrc), whole run $((now - start)) s"

# --- verdict -----------------------------------------------------------------
# Per step: cmocka's closing counts when it printed them, else its exit code.
read -r passed failed skipped < <(awk '
	/^VMTEST-STEP / { name = $2; p = f = s = -1; next }
	/^VMTEST-SKIP / { S++; next }
	/^\[  PASSED  \] [0-9]+ test/ { p = $4 }
	/^\[  FAILED  \] [0-9]+ test/ { f = $4 }
	/^\[  SKIPPED \] [0-9]+ test/ { s = $4 }
	/^VMTEST-END / {
		rc = $3; sub("rc=", "", rc)
		if (p < 0 && f < 0) { if (rc == 0) P++; else F++ }
		else {
			P += (p > 0 ? p : 0); F += (f > 0 ? f : 0); S += (s > 0 ? s : 0)
			if (rc != 0 && f <= 0) F++ # crashed or killed after its tests
		}
		steps = steps " " name "=" rc
	}
	END { printf "%d %d %d\n", P, F, S }' "$log")

kver=$(sed -n 's/^VMTEST kernel: \([^ ]*\).*/\1/p' "$log" | head -n1)
gsock=$(sed -n 's/^VMTEST sysfs: .*sockets=\([0-9]*\).*/\1/p' "$log" | head -n1)
gnode=$(sed -n 's/^VMTEST sysfs: .*nodes=\([0-9]*\).*/\1/p' "$log" | head -n1)
say "guest kernel ${kver:-?}, ${gsock:-?} sockets, ${gnode:-?} NUMA nodes detected"
grep -E '^VMTEST-END ' "$log" | sed 's/^VMTEST-END /vmtest: step /' || true
grep -E '^VMTEST-SKIP ' "$log" | sed 's/^VMTEST-SKIP /vmtest: not run in the guest: /' || true

problems=()
[ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ] && problems+=("timeout after ${limit}s")
grep -q '^VMTEST-DONE' "$log" || problems+=("the guest did not finish (no VMTEST-DONE)")
grep -q '^Kernel panic' "$log" && problems+=("kernel panic")
[ "${gsock:-}" = "$SOCKETS" ] || problems+=("guest saw ${gsock:-?} sockets, expected $SOCKETS")
[ "${gnode:-}" = "$NODES" ] || problems+=("guest saw ${gnode:-?} nodes, expected $NODES")
for p in "${problems[@]}"; do
	echo "vmtest: FAIL: $p"
	failed=$((failed + 1))
done
echo "vmtest: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
