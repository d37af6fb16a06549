#!/usr/bin/env bash
# cli_simulate.sh RACELAB — racelab run --detect/--schedule and racelab explore, as a
# user sees them: reports in Rust's words, the seed and a replay command that gives
# the same run, explore's first violation and its interleaving, usage errors.
# RL_SIM_TSAN=1 (ThreadSanitizer builds): only safe workloads run (the racy ones stay
# racy under TSan; see test_simulate.c).
set -u
bin=$1
tsan=${RL_SIM_TSAN:-0}
. "$(dirname "$0")/../cli_common.sh"

# Usage errors: one line on stderr, exit 2.
usage() {
  run "$bin" "$@"
  [[ $rc == 2 ]] || fail "exit $rc for '$*', expected 2"
  [[ $(grep -c '' "$err") == 1 ]] || { cat "$err"; fail "expected one line on stderr for '$*'"; }
  echo "ok: usage error: $* -> $(cat "$err")"
}
usage run arc-mutex --seed 3
usage run arc-mutex --schedule sometimes
usage run arc-mutex --detect maybe
usage run arc-mutex --schedule random --pct-depth 2
usage run arc-mutex --schedule pct --pct-depth 0
usage run false-sharing --schedule random
usage run stack-lazy --schedule pct
usage run arc-mutex --schedule pct --threads 300
usage explore
usage explore false-sharing
usage explore arc-mutex --strategy os
usage explore arc-mutex --schedules 0
usage explore masked-rase
usage explore arc-mutex --strategy dfs --seed 3
usage explore arc-mutex --strategy dfs --pct-depth 2
usage explore arc-mutex --replay dfs.1.
usage explore arc-mutex --strategy dfs --check abort
usage explore false-sharing --strategy dfs

if [[ $tsan != 1 ]]; then
  # The detector with the OS schedule: Rust's words, both accesses, the missing edge.
  run "$bin" run rc-send --detect hb
  [[ $rc == 3 ]] || fail "rc-send --detect hb: exit $rc"
  has "data race on Rc<T> strong count"
  has "previous write by thread 'worker-"
  has "missing edge: nothing orders"
  has "Rust: Rc<T> is !Send"
  has "verdict    send-violation"
  echo "ok: rc-send --detect hb reports the race"

  # A scheduled run prints its replay command; replaying gives the same result.
  run "$bin" run arc-cell --schedule pct --seed 7 --detect hb --json
  first=$(sed 's/"seconds":[0-9.]*//' "$out")
  replay=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sim"]["replay"])' "$out")
  [[ $replay == *"--schedule pct --seed 7"* ]] || fail "replay '$replay'"
  run $replay --json
  [[ $(sed 's/"seconds":[0-9.]*//' "$out") == "$first" ]] || fail "the replay differs"
  echo "ok: the replay command gives the same run: $replay"

  # Without --seed a fresh seed is chosen and printed.
  run "$bin" run arc-cell --schedule random
  has "replay     "
  grep -Eq 'schedule random \(seed [0-9]+\)' "$out" || { cat "$out"; fail "no seed printed"; }

  # explore: the first violation, the interleaving, the replay.
  run "$bin" explore masked-race --schedules 10
  [[ $rc == 3 ]] || { cat "$out"; fail "explore masked-race: exit $rc"; }
  has "<- first violation"
  has "schedules to the first violation: "
  has "PCT's bound"
  has "data race on UnsafeCell<i64> slot"
  has "racing access"
  has "replay:  "
  echo "ok: explore finds masked-race: $(grep 'schedules to the first' "$out")"

  run "$bin" explore rc-send --strategy random --schedules 5
  [[ $rc == 3 ]] || fail "explore rc-send: exit $rc"
  has "the first lost update, as it interleaved"
  has "every update since is lost"
  echo "ok: explore shows rc-send's first lost update"

  run "$bin" explore arc-cell --json --schedules 3
  [[ $rc == 3 ]] || fail "explore arc-cell --json: exit $rc"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["found"] and d["replay"] and d["pct_bound"]["runs"] > 0' "$out" ||
    { cat "$out"; fail "explore JSON"; }
  echo "ok: explore --json"

  # DFS: the racy twins fail in some schedule, and the printed replay line replays it.
  for w in arc-cell rc-send masked-race; do
    run "$bin" explore $w --strategy dfs
    [[ $rc == 3 ]] || { cat "$out" "$err"; fail "explore $w --strategy dfs: exit $rc, expected 3"; }
    has "violation in schedule"
    line=$(grep '^replay:  RACELAB_REPLAY=' "$out" | sed 's/^replay:  //; s/   (or .*//')
    msg=$(grep '^violation in schedule' "$out" | sed 's/^violation in schedule [0-9]*: //')
    [[ -n $line && -n $msg ]] || { cat "$out"; fail "$w: no replay line"; }
    tok=${line%% *}
    run env "$tok" "$bin" explore $w --strategy dfs ${line#* racelab explore $w --strategy dfs}
    [[ $rc == 3 ]] || { cat "$out"; fail "$w: the replay did not fail"; }
    grep -qF -- "$msg" "$out" || { cat "$out"; fail "$w: the replay found another failure than '$msg'"; }
    echo "ok: explore $w --strategy dfs fails and its replay line gives the same failure"
  done
  run "$bin" explore arc-cell --strategy dfs --json
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["found"] and not d["complete"] and d["failure"] == "data race" and d["replay"].startswith("RACELAB_REPLAY=dfs.")' "$out" ||
    { cat "$out"; fail "explore --strategy dfs --json"; }
  echo "ok: explore --strategy dfs --json"

  # The OS schedule hides masked-race (the reader starts once the writer is done): no stale read.
  run "$bin" run masked-race --schedule os --json
  grep -q '"lost":0' "$out" || { cat "$out"; fail "masked-race lost reads with the OS schedule"; }
fi

# Safe workloads: never flagged; a deadlock-free explore exits 0.
run "$bin" explore masked-race-fixed --schedules 30
[[ $rc == 0 ]] || { cat "$out"; fail "explore masked-race-fixed: exit $rc"; }
has "no violation in 30 schedules"
run "$bin" explore arc-mutex --strategy random --schedules 10 --threads 3 --iters 10
[[ $rc == 0 ]] || { cat "$out"; fail "explore arc-mutex: exit $rc"; }
# DFS on the safe twins: complete, every schedule clean; a --schedules cut is not complete.
for w in arc-mutex arc-atomic arc-clone masked-race-fixed rcu-config rc-weak; do
  run "$bin" explore $w --strategy dfs
  [[ $rc == 0 ]] || { cat "$out" "$err"; fail "explore $w --strategy dfs: exit $rc"; }
  grep -Eq '^complete: no violation in [0-9]+ schedules?' "$out" || { cat "$out"; fail "$w: not complete"; }
  echo "ok: explore $w --strategy dfs: $(grep -o 'no violation in [0-9]* schedules*' "$out")"
done
run "$bin" explore arc-mutex --strategy dfs --threads 3 --schedules 5
[[ $rc == 0 ]] || { cat "$out"; fail "explore arc-mutex --schedules 5: exit $rc"; }
has "no violation in 5 schedules, but not complete"
grep -q '^complete' "$out" && fail "a cut exploration said complete"
echo "ok: a DFS cut by --schedules is not complete"
# Weak memory (RC11 under rl_model()): the release/acquire versions fail with the stale read
# explained, the seq_cst twins are complete; `run` explores them as explore --strategy dfs does.
for w in sb-litmus peterson; do
  run "$bin" run $w
  [[ $rc == 3 ]] || { cat "$out" "$err"; fail "run $w: exit $rc, expected 3"; }
  has "weak-memory reads (RC11"
  has "nothing orders that store before the load"
  grep -Eq "\(stale: [0-9]+ newer stores? not read\)" "$out" || { cat "$out"; fail "$w: the trace marks no stale read"; }
  grep -q "running every schedule under rl_model()'s RC11 model" "$err" || { cat "$err"; fail "$w: no note"; }
  run "$bin" run $w --expect race
  [[ $rc == 0 ]] || { cat "$out"; fail "run $w --expect race: exit $rc"; }
  run "$bin" explore $w-fixed --strategy dfs --json
  [[ $rc == 0 ]] || { cat "$out" "$err"; fail "explore $w-fixed: exit $rc"; }
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["complete"] and not d["found"] and d["memory"] == "rc11"' "$out" ||
    { cat "$out"; fail "$w-fixed: not complete under RC11"; }
  echo "ok: $w fails under RC11 with its stale read explained; $w-fixed is complete"
done
run "$bin" run sb-litmus --schedule random --seed 1
[[ $rc == 0 ]] || { cat "$out"; fail "sb-litmus under the SC scheduler: exit $rc"; }
has "lost 0"
echo "ok: sequential consistency (racelab's scheduler) cannot show store buffering"
run "$bin" run arc-clone --detect hb --schedule random --seed 2 --trace
[[ $rc == 0 ]] || { cat "$out"; fail "arc-clone: exit $rc"; }
has "races      none"
has "interleaving ("
has "rl_arc_drop"
# The last drop's Acquire: a fence, or (TSan build, as Rust's acquire! there) a load.
grep -Eq 'rl_arc_drop +(fence acquire|load acquire)( |$)' "$out" || { cat "$out"; fail "no acquire after the last drop"; }
echo "ok: arc-clone's last drop acquires and nothing is flagged"
run "$bin" run rcu-config --detect hb --json
grep -q '"races":0' "$out" || { cat "$out"; fail "rcu-config flagged"; }
echo "ok: all checks passed"
