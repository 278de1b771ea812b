#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Capture benchmark: the same allocation-heavy workload (kmmtrace workload churn),
# untraced, under `kmmtrace record` (system-wide) and under `perf record` of the
# same tracepoints, side by side in one run. Prints ratios, events/s, drops and
# bytes per event. Needs root. SECONDS_PER_RUN and ROUNDS tune it.
set -euo pipefail
cd "$(dirname "$0")/.."
K=./kmmtrace
S=${SECONDS_PER_RUN:-3}
ROUNDS=${ROUNDS:-3}
OUT=${BENCH_OUT:-/tmp/kmt-bench}
mkdir -p "$OUT"
EVENTS="kmem:kmalloc,kmem:kfree,kmem:kmem_cache_alloc,kmem:kmem_cache_free,kmem:mm_page_alloc,kmem:mm_page_free,kmem:mm_page_free_batched,kmem:mm_page_alloc_zone_locked,kmem:mm_page_pcpu_drain,kmem:mm_page_alloc_extfrag"

churn() { "$@" $K workload churn --seconds "$S" | awk '/ops\/s/ {print $2}'; }

declare -a base kmt prf
have_perf=0
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
if command -v perf >/dev/null && [ -d /sys/kernel/tracing/events/kmem ]; then have_perf=1; fi

for r in $(seq "$ROUNDS"); do
	base+=("$(churn)")
	$K record -q -o "$OUT/bench.kmt" -- $K workload churn --seconds "$S" > "$OUT/kmt.txt"
	kmt+=("$(awk '/ops\/s/ {print $2}' "$OUT/kmt.txt")")
	if [ $have_perf = 1 ]; then
		perf record -q -a -e "$EVENTS" -o "$OUT/perf.data" -- $K workload churn --seconds "$S" \
			> "$OUT/perf.txt" 2>/dev/null
		prf+=("$(awk '/ops\/s/ {print $2}' "$OUT/perf.txt")")
	fi
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
B=$(median "${base[@]}"); KM=$(median "${kmt[@]}")
$K info -j "$OUT/bench.kmt" > "$OUT/info.json"
python3 - "$OUT/info.json" "$B" "$KM" "$S" <<'PY' || true
import json, sys
i = json.load(open(sys.argv[1])); b, k, s = float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
ev = i["events"]; span = (i["t_last"] - i["t_first"]) / 1e9 or 1
drops = sum(c.get("dropped", 0) for c in i["counts"].values())
print(f"untraced:          {b:12.0f} ops/s")
print(f"kmmtrace record:   {k:12.0f} ops/s  slowdown {b/k:.2f}x  events {ev}  {ev/span/1e6:.2f} M events/s  drops {drops}  {i['file_size']/max(ev,1):.2f} bytes/event")
PY
if [ $have_perf = 1 ]; then
	P=$(median "${prf[@]}")
	PE=$(perf script -i "$OUT/perf.data" 2>/dev/null | wc -l)
	PS=$(stat -c %s "$OUT/perf.data")
	echo "perf record:       $(printf '%12.0f' "$P") ops/s  slowdown $(awk -v b="$B" -v p="$P" 'BEGIN{printf "%.2f", b/p}')x  events $PE  $(awk -v s="$PS" -v e="$PE" 'BEGIN{printf "%.1f", s/(e?e:1)}') bytes/event"
else
	echo "perf record:       not available (install linux-perf for the comparison)"
fi
