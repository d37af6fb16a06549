#!/usr/bin/env bash
# cli_std_sync.sh RACELAB — the std::sync workloads as a user runs them: each
# verdict (exit status and --expect), the deadlock reports naming what every
# thread waits on (the Condvar, the channel), replay lines that reproduce the
# run, and `explore --strategy dfs` complete on the clean twins.
# RL_SIM_TSAN=1 (ThreadSanitizer builds): everything but barrier-phases-unsynced's
# native run (TSan's report ends it: race_expected).
set -u
bin=$1
tsan=${RL_SIM_TSAN:-0}
. "$(dirname "$0")/../cli_common.sh"
expect_rc() { [[ $rc == "$1" ]] || { cat "$out" "$err"; fail "$2: exit $rc, expected $1"; }; }

# Native runs (the OS schedule): the clean workloads are clean (exit 0), the
# unsynchronised phases race (exit 3, stale reads counted).
for w in condvar-while-loop channel-pipeline rwlock-readers barrier-phases; do
  run "$bin" run $w
  expect_rc 0 "run $w"
  has "verdict    clean"
  has "lost 0"
  run "$bin" run $w --expect clean
  expect_rc 0 "run $w --expect clean"
  echo "ok: run $w: clean"
done
if [[ $tsan != 1 ]]; then
  # Under TSan the race ends the run with TSan's report (the race-expected test).
  run "$bin" run barrier-phases-unsynced
  expect_rc 3 "run barrier-phases-unsynced"
  has "verdict    race"
  grep -Eq "reads: expected [0-9]+, observed [0-9]+, lost [1-9]" "$out" || { cat "$out"; fail "no stale read counted"; }
  echo "ok: run barrier-phases-unsynced: race, $(grep -o 'lost [0-9]*' "$out") stale reads"
fi
run "$bin" run barrier-phases --json
grep -q '"lost":0' "$out" && grep -q ', 0 of them without exactly one leader' "$out" ||
  { cat "$out"; fail "barrier-phases: a generation without exactly one leader"; }
echo "ok: barrier-phases: one leader per generation"

# The deadlocking ones would hang under the OS schedule: refused, one line, exit 2.
for w in condvar-lost-wakeup channel-sender-kept; do
  run "$bin" run $w --schedule os
  expect_rc 2 "run $w --schedule os"
  [[ $(grep -c '' "$err") == 1 ]] || { cat "$err"; fail "$w --schedule os: expected one line on stderr"; }
  grep -q "would hang under the OS schedule" "$err" || { cat "$err"; fail "$w --schedule os: why"; }
done
echo "ok: the deadlocking workloads refuse --schedule os"

# The default run of the deadlocking ones is simulated: the deadlock, what each
# thread waits on, and a replay line that gives the same run.
deadlock_report() { # NAME WAITS...: run, check the report, replay it
  local w=$1
  shift
  run "$bin" run $w
  expect_rc 3 "run $w"
  has "verdict    deadlock (expected for this workload: deadlock)"
  has "! deadlock: no thread can run"
  for wait in "$@"; do has "$wait"; done
  run "$bin" run $w --expect deadlock
  expect_rc 0 "run $w --expect deadlock"
  run "$bin" run $w --json
  first=$(sed 's/"seconds":[0-9.]*//' "$out")
  replay=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sim"]["replay"])' "$out")
  [[ $replay == *"--schedule random --seed 1"* ]] || fail "$w: replay '$replay'"
  run $replay --json
  expect_rc 3 "$w: the replay"
  [[ $(sed 's/"seconds":[0-9.]*//' "$out") == "$first" ]] || fail "$w: the replay differs"
  echo "ok: run $w: deadlock, the waits named, the replay gives the same run"
}
deadlock_report condvar-lost-wakeup "thread 'waiter' (T2) waits on Condvar #" "thread 'notifier' (T1) waits on Condvar #" \
  "in rl_condvar_wait, and no thread can wake it" "thread 'main' (T0) waits to join thread 'notifier'"
deadlock_report channel-sender-kept "thread 'consumer' (T4) waits on mpsc channel (Receiver<T>) #" \
  "in rl_recv, and no thread can wake it" "thread 'main' (T0) waits to join thread 'consumer' (T4)"

# Scheduled runs of the clean ones: random and PCT, detector on, a few seeds each.
for w in condvar-while-loop channel-pipeline rwlock-readers barrier-phases; do
  for s in random pct; do
    for seed in 1 2 3; do
      run "$bin" run $w --schedule $s --seed $seed --detect hb --expect clean
      expect_rc 0 "run $w --schedule $s --seed $seed --detect hb"
    done
  done
  echo "ok: $w is clean under the random and PCT schedules"
done
# The unsynchronised phases race in every interleaving: the detector names both accesses.
for s in random pct; do
  run "$bin" run barrier-phases-unsynced --schedule $s --seed 5 --detect hb
  expect_rc 3 "run barrier-phases-unsynced --schedule $s --detect hb"
  has "data race on UnsafeCell<i64> slot"
  has "(slot[i] = value(k, i))"
  has "(slot[i + 1])"
done
run "$bin" run barrier-phases-unsynced --detect hb
expect_rc 3 "run barrier-phases-unsynced --detect hb"
has "data race on UnsafeCell<i64> slot"
echo "ok: the detector reports barrier-phases-unsynced's race (OS, random and PCT schedules)"

# explore (seeded): the deadlocks are found, the clean twins are not flagged.
for w in condvar-lost-wakeup channel-sender-kept; do
  run "$bin" explore $w --schedules 50
  expect_rc 3 "explore $w"
  has "<- first violation"
  has "verdict: deadlock"
done
for w in condvar-while-loop channel-pipeline; do
  run "$bin" explore $w --schedules 50
  expect_rc 0 "explore $w"
  has "no violation in 50 schedules"
done
echo "ok: explore finds both deadlocks; the twins are clean in 50 schedules"

# DFS: the deadlock (or race) in some schedule, and its replay line reproduces it.
dfs_fails() { # NAME WHAT
  local w=$1 what=$2
  run "$bin" explore $w --strategy dfs
  expect_rc 3 "explore $w --strategy dfs"
  grep -q "^violation in schedule [0-9]*: $what" "$out" || { cat "$out"; fail "$w: not a $what"; }
  line=$(grep '^replay:  RACELAB_REPLAY=' "$out" | sed 's/^replay:  //; s/   (or .*//')
  msg=$(grep '^violation in schedule' "$out" | sed 's/^violation in schedule [0-9]*: //')
  [[ -n $line && -n $msg ]] || { cat "$out"; fail "$w: no replay line"; }
  tok=${line%% *}
  run env "$tok" "$bin" explore $w --strategy dfs ${line#* racelab explore $w --strategy dfs}
  expect_rc 3 "$w: the replay"
  grep -qF -- "$msg" "$out" || { cat "$out"; fail "$w: the replay found another failure than '$msg'"; }
  echo "ok: explore $w --strategy dfs: $what; the replay line gives the same failure"
}
dfs_fails condvar-lost-wakeup deadlock
dfs_fails channel-sender-kept deadlock
dfs_fails barrier-phases-unsynced "data race"
run "$bin" explore condvar-lost-wakeup --strategy dfs
has "waits on Condvar #"
has "and no thread can wake it"
run "$bin" explore channel-sender-kept --strategy dfs
has "thread 'consumer' (T4) waits on mpsc channel (Receiver<T>) #"

# DFS on the clean twins: complete, spurious wakeups and notify_one's choice included.
for w in condvar-while-loop channel-pipeline rwlock-readers barrier-phases; do
  run "$bin" explore $w --strategy dfs
  expect_rc 0 "explore $w --strategy dfs"
  grep -Eq '^complete: no violation in [0-9]+ schedules' "$out" || { cat "$out"; fail "$w: not complete"; }
  echo "ok: explore $w --strategy dfs: $(grep -o 'no violation in [0-9]* schedules' "$out")"
done

# list: the columns.
run "$bin" list
for row in "condvar-lost-wakeup +deadlock +yes yes +- " "condvar-while-loop +clean +yes yes +clean " \
  "channel-pipeline +clean +yes yes +clean " "channel-sender-kept +deadlock +yes yes +- " \
  "rwlock-readers +clean +yes yes +clean " "barrier-phases +clean +yes yes +clean " \
  "barrier-phases-unsynced +race +yes yes +race "; do
  grep -Eq "^$row" "$out" || { cat "$out"; fail "list: no row '$row'"; }
done
echo "ok: list's EXPECTED, SIM, EXPLORE and TSAN columns"
echo "ok: all checks passed"
