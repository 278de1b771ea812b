#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# make vmtest: the static kmmtrace on Debian's own kernels under QEMU (TCG).
# For each kernel of the matrix (Debian 12's current 6.1 cloud kernel, its 6.12
# cloud kernel and its 6.12 PREEMPT_RT kernel): fetch the package with
# apt-get download (cached in $KMT_VM_CACHE, outside the repository), take its
# vmlinuz, boot it with a busybox initramfs holding kmmtrace-static and
# tests/vm/guest-init, and report what was recorded. Needs qemu-system-x86,
# busybox-static and cpio (apt-get install qemu-system-x86 busybox-static cpio).
set -euo pipefail
cd "$(dirname "$0")/../.."
CACHE=${KMT_VM_CACHE:-$HOME/.cache/kmmtrace-vm}
mkdir -p "$CACHE"

newest() { apt-cache search --names-only "$1" | awk '{print $1}' | sort -V | tail -1; }
KERNELS=(
	"$(newest '^linux-image-6\.1\.0-[0-9]+-cloud-amd64$')"
	"$(newest '^linux-image-6\.12\.[0-9.]+\+deb12-cloud-amd64-unsigned$')"
	"$(newest '^linux-image-6\.12\.[0-9.]+\+deb12-rt-amd64-unsigned$')"
)

fetch() {	# package -> path of its vmlinuz
	local pkg=$1 dir=$CACHE/$1
	if [ ! -d "$dir" ]; then
		(cd "$CACHE" && apt-get download "$pkg" >/dev/null 2>&1)
		mkdir -p "$dir" && dpkg-deb -x "$CACHE/${pkg}"_*.deb "$dir"
	fi
	ls "$dir"/boot/vmlinuz-* | head -1
}

initramfs() {	# out.gz
	local d
	d=$(mktemp -d)
	mkdir -p "$d"/{bin,sbin,proc,sys,dev,tmp,etc}
	cp /bin/busybox "$d/bin/busybox"
	for a in sh mount mkdir cat echo grep head tail sort uniq sed ip poweroff ls sleep wc; do
		ln -s busybox "$d/bin/$a"
	done
	cp kmmtrace-static "$d/bin/kmmtrace"
	cp tests/vm/guest-init "$d/init"
	chmod +x "$d/init"
	(cd "$d" && find . | cpio -o -H newc --quiet) | gzip -1 > "$1"
	rm -rf "$d"
}

make -s static
initramfs "$CACHE/initrd.gz"
printf '%-48s %-7s %-7s %-8s %-7s %-8s %s\n' kernel record events missing replay stacks time
for pkg in "${KERNELS[@]}"; do
	[ -n "$pkg" ] || continue
	vmlinuz=$(fetch "$pkg")
	log=$CACHE/$pkg.log
	t0=$(date +%s)
	timeout 900 qemu-system-x86_64 -accel tcg -m 2G -smp 2 -nographic -no-reboot \
		-kernel "$vmlinuz" -initrd "$CACHE/initrd.gz" \
		-append "console=ttyS0 quiet panic=-1" > "$log" 2>&1 || true
	t=$(( $(date +%s) - t0 ))
	tr -d '\r' < "$log" | awk -v pkg="$pkg" -v t="$t" '
		/^KMT record-rc/ { rec = ($3 == 0) ? "ok" : "FAIL(" $3 ")" }
		/^KMT replay-rc/ { rep = ($3 == 0) ? "ok" : "FAIL" }
		/^KMT stacks-info/ { for (i = 1; i <= NF; i++) if ($i == "stacks") st = $(i - 1) " lost" }
		/^KMT info-json/ {
			j = substr($0, 15)
			if (match(j, /"events":[0-9]+/)) ev = substr(j, RSTART + 9, RLENGTH - 9)
			n = split(j, parts, "\"status\":\"missing\"")
			miss = n - 1
			if (match(j, /"preempt_rt":[a-z]+/)) rt = substr(j, RSTART + 13, RLENGTH - 13)
		}
		END {
			printf "%-48s %-7s %-7s %-8s %-7s %-8s %ss%s\n", pkg, rec ? rec : "none",
			       ev ? ev : "-", miss + 0, rep ? rep : "-", st ? st : "-", t,
			       rt == "true" ? "  (PREEMPT_RT)" : ""
		}'
done
echo "logs: $CACHE/*.log"
