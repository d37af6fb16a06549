#!/usr/bin/env bash
# run_workload.sh RACELAB MODE NAME [ARGS...] — run a workload and check how it ended.
#
# Modes:
#   expect VERDICT RUNS  run RUNS times with --expect VERDICT --json: every run exits 0,
#                        prints one JSON object with that verdict, and leaves no
#                        sanitizer report on stderr. A workload expected clean, panic,
#                        overflow or leak must also have no owner-check report.
#   tsan-race PATTERN    (ThreadSanitizer builds) the run makes TSan print
#                        "WARNING: ThreadSanitizer: data race" with a stack frame
#                        matching the extended regex PATTERN (the racing racelab
#                        function), and exits with TSan's exit code, 66.
#   interrupt            run with a huge --iters, send one SIGINT after a second: the
#                        run stops, prints its result with "interrupted":true and the
#                        invariant held for the work done, and exits 130.
# ARGS go to `racelab run NAME`.
set -u
bin=$1 mode=$2
shift 2
fail() { echo "FAIL: $*"; exit 1; }
# UBSan: "file.c:12:3: runtime error: ..." (not Rust's "fatal runtime error: stack overflow").
sanitizer_report='WARNING: ThreadSanitizer|ERROR: AddressSanitizer|ERROR: LeakSanitizer|:[0-9]+:[0-9]+: runtime error:'
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

case $mode in
expect)
  verdict=$1 runs=$2 name=$3
  shift 3
  for ((i = 1; i <= runs; i++)); do
    "$bin" run "$name" --expect "$verdict" --json "$@" >"$out" 2>"$err"
    rc=$?
    echo "run $i: racelab run $name --expect $verdict $* -> exit $rc"
    cat "$out"
    if grep -Eq "$sanitizer_report" "$err"; then cat "$err"; fail "sanitizer report"; fi
    [[ $rc == 0 ]] || { cat "$err"; fail "exit $rc, expected 0"; }
    [[ $(grep -c '' "$out") == 1 ]] || fail "expected one JSON line"
    grep -q '^{"workload":"'"$name"'".*}$' "$out" || fail "not a JSON object for $name"
    grep -q '"matched":true' "$out" || fail "verdict did not match"
    case $verdict in
    send | send-violation | sync | sync-violation | race) ;;
    *) grep -q '"reports":{"send":0,"sync":0,"use_after_free":0,' "$out" || fail "owner checks flagged a safe workload" ;;
    esac
  done
  echo "ok: $runs run(s) of $name, verdict $verdict"
  ;;
tsan-race)
  pattern=$1 name=$2
  shift 2
  # halt_on_error=0: the run goes on to its verdict; TSan's exit code stays 66.
  TSAN_OPTIONS="halt_on_error=0:atexit_sleep_ms=0" "$bin" run "$name" "$@" >"$out" 2>"$err"
  rc=$?
  cat "$out"
  echo "exit $rc"
  grep -q 'WARNING: ThreadSanitizer: data race' "$err" || { cat "$err"; fail "no TSan data race report"; }
  # A frame line of a report: "    #0 rl__rc_clone_slow /path/sync/rc.c:179 (...)".
  grep -E '^ +#[0-9]+ ' "$err" | grep -Eq " ($pattern)[^ ]* " ||
    { head -60 "$err"; fail "no report frame matches '$pattern'"; }
  echo "TSan frames naming the racing function:"
  grep -E '^ +#[0-9]+ ' "$err" | grep -E " ($pattern)[^ ]* " | sort | uniq -c | sort -rn | head -5
  [[ $rc == 66 ]] || fail "exit $rc, expected TSan's exit code 66"
  # rc-send and arc-cell: the owner checks; barrier-phases-unsynced: its stale reads.
  grep -q 'verdict    \(send-violation\|sync-violation\|race\) ' "$out" || fail "racelab's own verdict is not a violation"
  echo "ok: TSan reported the race in $name and exited 66"
  ;;
interrupt)
  name=$1
  shift
  # One SIGINT, as a terminal's Ctrl-C sends. Without --foreground, timeout signals the
  # command and then its whole process group, so racelab gets SIGINT twice; when the two
  # land on different threads the second is the "second Ctrl-C" that ends the process.
  timeout --foreground --preserve-status -s INT 1 "$bin" run "$name" --iters 100000000000 --json "$@" >"$out" 2>"$err"
  rc=$?
  cat "$out"
  if grep -Eq "$sanitizer_report" "$err"; then cat "$err"; fail "sanitizer report"; fi
  [[ $rc == 130 ]] || { cat "$err"; fail "exit $rc, expected 130"; }
  grep -q '"interrupted":true' "$out" || fail "the result does not say interrupted"
  grep -q '"held":true' "$out" || fail "the invariant does not hold for the work done"
  echo "ok: Ctrl-C ended $name with its result"
  ;;
*)
  fail "unknown mode $mode"
  ;;
esac
