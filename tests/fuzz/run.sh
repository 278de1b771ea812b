#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Runs each libFuzzer harness for SECONDS (make fuzz; tests/fuzz/README.md):
#   run.sh FUZZ_DIR SECONDS HARNESS...
# Corpora: FUZZ_DIR/work/HARNESS (new inputs; first, so the fuzzer writes there),
# tests/fuzz/corpus/HARNESS (committed text seeds), FUZZ_DIR/seeds/HARNESS
# (generated binary seeds). Crashes, leaks, timeouts and OOMs go to
# FUZZ_DIR/crashes/HARNESS/. Prints per harness its runs, seconds and crashes,
# then "N passed, N failed"; exits 1 when any harness failed. FUZZ_FLAGS adds
# libFuzzer flags (CI: -seed=1, the same mutation sequence every run).
set -u
dir=$1
secs=$2
shift 2
passed=0
failed=0
total_cpu=0
declare -A max_len=([fuzz_trace]=65536 [fuzz_cmds]=65536 [fuzz_import]=16384 [fuzz_text]=8192)
# fuzz_cmds: the commands print; close the fuzzer's stdout and stderr (it keeps its own)
declare -A extra=([fuzz_cmds]=-close_fd_mask=3)
for h in "$@"; do
	work=$dir/work/$h
	crashes=$dir/crashes/$h
	log=$dir/logs/$h.log
	mkdir -p "$work" "$crashes" "$dir/logs"
	corpora=("$work")
	[ -d "tests/fuzz/corpus/$h" ] && corpora+=("tests/fuzz/corpus/$h")
	[ -d "$dir/seeds/$h" ] && corpora+=("$dir/seeds/$h")
	start_cpu=$(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)
	t0=$(date +%s.%N)
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		"$dir/$h" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
		-max_len="${max_len[$h]:-65536}" -print_final_stats=1 ${extra[$h]:-} ${FUZZ_FLAGS:-} \
		-artifact_prefix="$crashes/" "${corpora[@]}" >"$log" 2>&1
	rc=$?
	t1=$(date +%s.%N)
	# CPU time of the fuzzer (children of this shell: user + system, in clock ticks)
	end_cpu=$(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)
	hz=$(getconf CLK_TCK)
	cpu=$(awk -v a="$start_cpu" -v b="$end_cpu" -v hz="$hz" 'BEGIN { printf "%.1f", (b - a) / hz }')
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	artifacts=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log")
	ncrash=$(printf '%s' "$artifacts" | grep -c . || true)
	if [ "$rc" -ne 0 ] && [ "$ncrash" -eq 0 ]; then
		ncrash=1
		artifacts="(no artifact; see $log)"
	fi
	total_cpu=$(awk -v a="$total_cpu" -v b="$cpu" 'BEGIN { printf "%.1f", a + b }')
	printf '%-12s runs %-10s seconds %-6s (cpu %s)  crashes %s\n' "$h" "${runs:-0}" \
		"$wall" "$cpu" "$ncrash"
	if [ "$ncrash" -ne 0 ]; then
		failed=$((failed + 1))
		grep -m3 -E 'ERROR: |runtime error: |SUMMARY: ' "$log" | sed 's/^/    /'
		printf '%s\n' "$artifacts" | sed 's/^/    crash file: /'
		echo "    log: $log"
	else
		passed=$((passed + 1))
	fi
done
echo "total cpu seconds fuzzed: $total_cpu"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
