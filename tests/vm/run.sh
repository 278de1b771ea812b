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
# KMT_VM_ONLY=SUBSTRING runs only the kernels whose package name contains it.
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

# The kernel headers of an image package, extracted under the cache (never
# installed: dpkg would pull in the image and initramfs tools); prints the
# directory to build modules against.
headers() {
	local ver=${1#linux-image-} root pkgs
	ver=${ver%-unsigned}
	root=$CACHE/headers-$ver
	if [ ! -f "$root/.ok" ]; then
		rm -rf "$root" && mkdir -p "$root"
		pkgs=$(apt-cache depends "linux-headers-$ver" |
		       awk '$1 == "Depends:" && $2 ~ /^linux-(headers|kbuild)-/ {print $2}')
		(cd "$root" && apt-get download "linux-headers-$ver" $pkgs >/dev/null 2>&1)
		for d in "$root"/*.deb; do dpkg-deb -x "$d" "$root"; done
		sed -i "s|include /usr/src/|include $root/usr/src/|" \
			"$root/usr/src/linux-headers-$ver/Makefile"
		touch "$root/.ok"
	fi
	echo "$root/usr/src/linux-headers-$ver"
}

# tests/vm/module built for a kernel (out of the source tree), or "" when it fails
module() {
	local b=$CACHE/module-$1
	rm -rf "$b" && mkdir -p "$b" && cp tests/vm/module/kmt_planted.c tests/vm/module/Kbuild "$b"
	if make -s -C "$(headers "$1")" M="$b" modules > "$b/build.log" 2>&1; then
		echo "$b/kmt_planted.ko"
	fi
}

initramfs() {	# out.gz [module.ko]
	local d
	d=$(mktemp -d)
	mkdir -p "$d"/{bin,sbin,proc,sys,dev,tmp,etc}
	cp /bin/busybox "$d/bin/busybox"
	for a in sh mount mkdir cat echo grep head tail sort uniq sed ip poweroff ls sleep wc \
		insmod rmmod tr; do
		ln -s busybox "$d/bin/$a"
	done
	cp kmmtrace-static "$d/bin/kmmtrace"
	cp tests/vm/guest-init "$d/init"
	[ -z "${2:-}" ] || cp "$2" "$d/kmt_planted.ko"
	chmod +x "$d/init"
	(cd "$d" && find . | cpio -o -H newc --quiet) | gzip -1 > "$1"
	rm -rf "$d"
}

make -s static
pass=0
fail=0
printf '%-48s %-7s %-7s %-8s %-7s %-6s %-8s %-8s %-6s %-6s %s\n' kernel record events missing replay \
	order stacks vmalloc lint lint-f time
for pkg in "${KERNELS[@]}"; do
	[ -n "$pkg" ] || continue
	case "$pkg" in *"${KMT_VM_ONLY:-}"*) ;; *) continue ;; esac
	vmlinuz=$(fetch "$pkg")
	ko=$(module "$pkg")
	initramfs "$CACHE/initrd-$pkg.gz" "$ko"
	log=$CACHE/$pkg.log
	t0=$(date +%s)
	timeout 900 qemu-system-x86_64 -accel tcg -m 2G -smp 2 -nographic -no-reboot \
		-kernel "$vmlinuz" -initrd "$CACHE/initrd-$pkg.gz" \
		-append "console=ttyS0 quiet noirqdebug panic=-1" > "$log" 2>&1 || true
	t=$(( $(date +%s) - t0 ))
	tr -d '\r' < "$log" | awk -v pkg="$pkg" -v t="$t" -v ko="$ko" '
		/^KMT record-rc/ { rec = ($3 == 0) ? "ok" : "FAIL(" $3 ")" }
		/^KMT replay-rc/ { rep = ($3 == 0) ? "ok" : "FAIL" }
		/^KMT stacks-info/ { for (i = 1; i <= NF; i++) if ($i == "stacks") st = $(i - 1) " lost" }
		/^KMT info-json/ {
			j = substr($0, 15)
			if (match(j, /"events":[0-9]+/)) ev = substr(j, RSTART + 9, RLENGTH - 9)
			n = split(j, parts, "\"status\":\"missing\"")
			miss = n - 1
			if (match(j, /"preempt_rt":[a-z]+/)) rt = substr(j, RSTART + 13, RLENGTH - 13)
			# per-CPU batches put back in time order; records one by one on PREEMPT_RT
			if (match(j, /"batch":[0-9]+/)) ord = (substr(j, RSTART + 8, RLENGTH - 8) + 0) > 0 ? "time" : "ring"
		}
		# 0 and 1: read from the snapshots only (no vmalloc tracepoints)
		/^KMT vmalloc-rc/ { vm = $3 != 0 ? "FAIL" : $4 == 1 ? "snap" : "ok" }
		/^KMT lint-rc/ { lrc["lint"] = $3 }
		/^KMT lintf-rc/ { lrc["lintf"] = $3 }
		# KMT finding MODE RULE SEVERITY FUNCTION
		/^KMT finding/ {
			m = $3; f = $6
			if ($5 == "error" && f ~ /^planted_/) err[m, f] = $4
			else if ($5 == "error") extra[m]++
			if (f ~ /^planted_ok_/) wrong[m]++
			if ($4 == "costly-order-no-reclaim" && f == "planted_high_order_atomic") warn[m] = 1
		}
		function verdict(m,   n, i, ok) {
			if (!(m in lrc)) return "-"
			n = split("planted_spin_lock_kernel planted_spin_lock_irqsave_kernel " \
				  "planted_bh_disabled_kernel planted_preempt_disabled_kernel " \
				  "planted_timer_softirq_kernel planted_hardirq_kernel" \
				  (rt == "true" ? " planted_raw_spin_lock_atomic" : ""), want, " ")
			ok = 0
			for (i = 1; i <= n; i++)
				ok += ((m, want[i]) in err) && (err[m, want[i]] == "sleep-in-atomic" ||
					want[i] == "planted_raw_spin_lock_atomic" &&
					err[m, want[i]] == "rt-atomic-alloc")
			for (k in err) { split(k, kk, SUBSEP); if (kk[1] == m) got[m]++ }
			if (ok == n && got[m] == n && !wrong[m] && !extra[m] && warn[m] && lrc[m] == 1)
				return "ok"
			return sprintf("%d/%d%s%s%s", ok, n, wrong[m] ? "+neg" : "",
				       extra[m] ? "+" extra[m] "fp" : "", warn[m] ? "" : "-warn")
		}
		END {
			lv = ko == "" ? "nomod" : verdict("lint")
			lf = ko == "" ? "nomod" : verdict("lintf")
			printf "%-48s %-7s %-7s %-8s %-7s %-6s %-8s %-8s %-6s %-6s %ss%s\n", pkg,
			       rec ? rec : "none", ev ? ev : "-", miss + 0, rep ? rep : "-", ord ? ord : "-",
			       st ? st : "-", vm ? vm : "-", lv, lf, t, rt == "true" ? "  (PREEMPT_RT)" : ""
			# vmalloc tracepoints exist from 6.2: before, the snapshots-only report
			exit !(rec == "ok" && rep == "ok" && lv == "ok" && lf == "ok" &&
			       ord == (rt == "true" ? "ring" : "time") &&
			       (vm == "ok" || (vm == "snap" && miss == 3)))
		}' && pass=$((pass + 1)) || fail=$((fail + 1))
done
echo "logs: $CACHE/*.log"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
