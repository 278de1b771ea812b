#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Memory bounds (make bench, last section):
# 1. the collector's RSS while recording system-wide under continuous load
#    (churn on every CPU) for MEM_SECONDS (default 120), sampled every 5 s:
#    it must stay flat, not grow with the events written;
# 2. report's and replay's peak RSS on a short and a 4x longer recording of the
#    same load: it grows with what is live (objects, pages), not with length.
set -euo pipefail
cd "$(dirname "$0")/.."
K=$PWD/kmmtrace
OUT=${BENCH_OUT:-/tmp/kmt-bench}
MS=${MEM_SECONDS:-120}
NCPU=$(nproc)
mkdir -p "$OUT"

load() {	# seconds
	local end=$(( $(date +%s) + $1 )) pids=()
	for c in $(seq 0 $((NCPU - 1))); do
		( while [ "$(date +%s)" -lt $end ]; do
			taskset -c "$c" "$K" workload -q churn --seconds 2 >/dev/null; done ) &
		pids+=($!)
	done
	wait "${pids[@]}"
}
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

echo "== memory: collector RSS, ${MS}s system-wide under churn on $NCPU CPUs"
"$K" record -q -d "$MS" -o "$OUT/mem.kmt" 2>/dev/null &
rec=$!
sleep 2
load "$MS" &
lp=$!
samples=()
while kill -0 "$rec" 2>/dev/null; do
	r=$(rss "$rec")
	[ "$r" -gt 0 ] && samples+=("$r")
	sleep 5
done
wait "$lp"
ev=$("$K" info -j "$OUT/mem.kmt" | tr ',{}' '\n\n\n' | awk -F: '$1 == "\"events\"" {print $2}')
printf '%s\n' "${samples[@]}" | awk -v ev="$ev" -v s="$MS" '
	NR == 1 { first = $1 } { last = $1; if ($1 > max) max = $1; if (!min || $1 < min) min = $1 }
	END { printf "%d events in %d s; RSS KB: first %d, min %d, max %d, last %d (%d samples): growth %.1f %%\n",
	      ev, s, first, min, max, last, NR, first ? 100.0 * (last - first) / first : 0 }'

echo "== memory: report and replay peak RSS vs recording length (same load)"
for s in 10 40; do
	"$K" record -q -d "$s" -o "$OUT/len$s.kmt" 2>/dev/null &
	rec=$!
	sleep 1
	load "$s"
	wait "$rec"
done
for s in 10 40; do
	ev=$("$K" info -j "$OUT/len$s.kmt" | tr ',{}' '\n\n\n' | awk -F: '$1 == "\"events\"" {print $2}')
	/usr/bin/time -o "$OUT/rss" -f %M "$K" report -n 1 "$OUT/len$s.kmt" >/dev/null 2>&1
	rr=$(tail -1 "$OUT/rss")
	/usr/bin/time -o "$OUT/rss" -f %M "$K" replay -i 0 "$OUT/len$s.kmt" >/dev/null 2>&1
	rp=$(tail -1 "$OUT/rss")
	printf "%2d s: %9d events; report %6d KB, replay %6d KB peak RSS\n" "$s" "$ev" "$rr" "$rp"
done
