#!/usr/bin/env bash
# sim_slowdown.sh — what racelab's happens-before detector costs on whole workloads,
# beside ThreadSanitizer, measured in one run (issue: simulation).
#
# usage: bench/sim_slowdown.sh [NATIVE_RACELAB [TSAN_RACELAB]]
#   NATIVE_RACELAB  an uninstrumented racelab (default build/release/cli/racelab)
#   TSAN_RACELAB    racelab built with -fsanitize=thread (default build/tsan/cli/racelab)
# environment: REPS (default 5) repetitions of each of the three runs, interleaved;
#   WORKLOADS (default "rc-send arc-cell arc-mutex arc-atomic"); THREADS (default 4);
#   ITERS_<workload with _ for -> overrides the iteration count.
#
# Method: for each workload, REPS rounds of three runs with the same --threads and
# --iters, in turn: native (racelab run W), native with the detector (racelab run W
# --detect hb) and the TSan build (racelab run W). Each run's time is the workload's
# own "seconds" (its JSON result: rl_run_main, spawn to last join), so process start,
# TSan's start-up and its report printing are not counted (TSAN_OPTIONS report_bugs=0:
# TSan still instruments every access and detects, it prints nothing). The medians give
#   detector slowdown = detect / native, TSan slowdown = tsan / native,
# and the targets: the detector's slowdown at most half of TSan's on every workload,
# and at most 3x native on the atomic and mutex workloads (arc-atomic, arc-mutex).
# Output: a table and one SUMMARY line per workload.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
native=${1:-$here/build/release/cli/racelab}
tsan=${2:-$here/build/tsan/cli/racelab}
reps=${REPS:-5}
threads=${THREADS:-4}
workloads=${WORKLOADS:-"rc-send arc-cell arc-mutex arc-atomic"}
for b in "$native" "$tsan"; do
  [[ -x $b ]] || { echo "sim_slowdown.sh: no racelab binary at $b (build it, or pass its path)" >&2; exit 2; }
done
"$tsan" run arc-atomic --iters 1 --json 2>/dev/null | grep -q '"tsan":true' ||
  { echo "sim_slowdown.sh: $tsan is not a ThreadSanitizer build" >&2; exit 2; }
"$native" run arc-atomic --iters 1 --json 2>/dev/null | grep -q '"tsan":false' ||
  { echo "sim_slowdown.sh: $native is a ThreadSanitizer build" >&2; exit 2; }

# Iterations per thread: enough for the native run to take ~20 ms or more, so
# that thread start-up and scheduling noise do not decide the ratios.
default_iters() {
  case $1 in
  rc-send | arc-clone) echo 400000 ;;
  arc-cell) echo 800000 ;;
  arc-mutex | arc-atomic) echo 2000000 ;;
  *) echo 10000 ;;
  esac
}

# seconds BIN ARGS...: the workload's own time, from its JSON result.
seconds() {
  TSAN_OPTIONS="report_bugs=0:halt_on_error=0:exitcode=0" "$@" --json 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"])'
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# spread VALUES...: (max - min) / median, in percent.
spread() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {m=(NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; printf "%.0f", ((m > 0) ? 100*(a[NR]-a[1])/m : 0)}'; }

printf 'racelab detector vs ThreadSanitizer: %s threads, %s rounds of (native, --detect hb, tsan), medians\n' "$threads" "$reps"
printf 'native: %s\ntsan:   %s\n\n' "${native#"$here"/}" "${tsan#"$here"/}"
printf 'spread: (max - min) / median of each series, in percent\n\n'
printf '%-11s %9s %11s %11s %11s %9s %9s %7s %13s  %s\n' workload iters "native s" "detect s" "tsan s" detect/n tsan/n "d/t" "spread n/d/t" targets
status=0
for w in $workloads; do
  var="ITERS_${w//-/_}"
  iters=${!var:-$(default_iters "$w")}
  args=(run "$w" --threads "$threads" --iters "$iters")
  n=() d=() t=()
  for ((k = 0; k < reps; k++)); do
    n+=("$(seconds "$native" "${args[@]}")")
    d+=("$(seconds "$native" "${args[@]}" --detect hb)")
    t+=("$(seconds "$tsan" "${args[@]}")")
  done
  mn=$(median "${n[@]}") md=$(median "${d[@]}") mt=$(median "${t[@]}")
  pn=$(spread "${n[@]}") pd=$(spread "${d[@]}") pt=$(spread "${t[@]}")
  read -r sd st ratio <<<"$(python3 -c "n,d,t=$mn,$md,$mt; print(d/n, t/n, (d/n)/(t/n))")"
  half=$(python3 -c "print('met' if $sd <= 0.5 * $st else 'MISSED')")
  targets="detect <= tsan/2: $half"
  case $w in
  arc-atomic | arc-mutex)
    three=$(python3 -c "print('met' if $sd <= 3 else 'MISSED')")
    targets="$targets; detect <= 3x native: $three"
    [[ $three == met ]] || status=1
    ;;
  esac
  [[ $half == met ]] || status=1
  printf '%-11s %9s %11.4f %11.4f %11.4f %8.2fx %8.2fx %7.2f %13s  %s\n' "$w" "$iters" "$mn" "$md" "$mt" "$sd" "$st" "$ratio" "$pn%/$pd%/$pt%" "$targets"
  summary+=("SUMMARY bench=sim-slowdown workload=$w threads=$threads iters=$iters reps=$reps native_s=$mn detect_s=$md tsan_s=$mt native_spread_pct=$pn detect_spread_pct=$pd tsan_spread_pct=$pt detect_slowdown=$sd tsan_slowdown=$st detect_over_tsan=$ratio")
done
echo
printf '%s\n' "${summary[@]}"
exit $status
