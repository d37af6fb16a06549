#!/usr/bin/env bash
# cli_errors.sh RACELAB — bad command-line input gets exactly one line on
# stderr and exit status 2; good input exits 0.
set -u
bin=$1
fail=0
expect_usage() {
  local err rc
  err=$("$bin" "$@" 2>&1 >/dev/null); rc=$?
  local lines; lines=$(printf '%s' "$err" | grep -c '')
  if [[ $rc != 2 || $lines != 1 || $err != racelab:* ]]; then
    echo "FAIL: racelab $* -> exit $rc, stderr ($lines lines): $err"; fail=1
  else
    echo "ok: racelab $* -> exit 2: $err"
  fi
}
expect_ok() {
  if ! "$bin" "$@" >/dev/null 2>&1; then echo "FAIL: racelab $* did not exit 0"; fail=1; else echo "ok: racelab $*"; fi
}
expect_usage nosuchcommand
expect_usage stack --threads 0
expect_usage stack --threads -1
expect_usage stack --threads 99999999999999999999999
expect_usage stack --threads
expect_usage stack --stack 12Q
expect_usage stack --stack 0
expect_usage stack --stack 2T
expect_usage stack --bogus
# run: unknown workloads, malformed and out-of-range numbers and sizes.
expect_usage run
expect_usage run rc-sned
expect_usage run nosuchworkload
expect_usage run rc-send arc-cell
expect_usage run rc-send --bogus
expect_usage run rc-send --threads 0
expect_usage run rc-send --threads -1
expect_usage run rc-send --threads 1.5
expect_usage run rc-send --threads 99999999999999999999999
expect_usage run rc-send --threads 99999999
expect_usage run rc-send --threads
expect_usage run rc-send --iters 0
expect_usage run rc-send --iters -5
expect_usage run rc-send --iters 18446744073709551616
expect_usage run rc-send --iters 18446744073709551615
expect_usage run rc-send --stack 8K
expect_usage run rc-send --stack 1T
expect_usage run rc-send --stack 99999999999999999999K
expect_usage run rc-send --stack 2X
expect_usage run rc-send --main-stack 4K
expect_usage run rc-send --main-stack 1T
expect_usage run rc-send --check maybe
expect_usage run rc-send --expect fine
expect_usage run rc-single --threads 4
expect_usage run rc-cycle --stack 4M
expect_usage run stack-lazy --iters 5
expect_usage list --bogus
expect_usage demo --bogus
expect_usage layout --bogus

# The closest name is suggested.
err=$("$bin" run rc-sned 2>&1 >/dev/null)
[[ $err == *"did you mean 'rc-send'"* ]] || { echo "FAIL: no suggestion for rc-sned: $err"; fail=1; }
err=$("$bin" run arc-mutx 2>&1 >/dev/null)
[[ $err == *"did you mean 'arc-mutex'"* ]] || { echo "FAIL: no suggestion for arc-mutx: $err"; fail=1; }

expect_ok --help
expect_ok --version
expect_ok stack --threads 1 --stack 256K
expect_ok list
expect_ok list --json
expect_ok layout
expect_ok run rc-single
expect_ok run rc-single --iters 10 --main-stack 1M --check off
expect_ok run arc-mutex --threads 2 --iters 1000 --stack 64K --json

# Exit statuses: 0 clean, 3 violation; --expect gives 0 exactly on a match, 1 otherwise.
expect_rc() {
  local want=$1; shift
  "$bin" "$@" >/dev/null 2>&1; local rc=$?
  if [[ $rc != "$want" ]]; then echo "FAIL: racelab $* -> exit $rc, expected $want"; fail=1; else echo "ok: racelab $* -> exit $rc"; fi
}
expect_rc 0 run rc-weak
expect_rc 3 run rc-cycle
expect_rc 0 run rc-cycle --expect leak
expect_rc 1 run rc-cycle --expect clean
expect_rc 1 run rc-weak --expect leak
expect_rc 3 run mutex-poison --iters 100
expect_rc 0 run mutex-poison --iters 100 --expect panic
# The racy workloads make ThreadSanitizer exit 66: checked by the race-expected suite.
if ! "$bin" run rc-single --json | grep -q '"tsan":true'; then
  expect_rc 3 run rc-send --iters 1000
  expect_rc 0 run rc-send --iters 1000 --expect send
  expect_rc 0 run rc-send --iters 1000 --expect send-violation
  expect_rc 0 run rc-send --iters 1000 --expect race
  expect_rc 1 run rc-send --iters 1000 --expect sync
  expect_rc 0 run arc-cell --iters 1000 --expect sync
fi

# --json: one object on one line, with the fields the README promises.
json=$("$bin" run arc-mutex --threads 2 --iters 1000 --json)
[[ $(printf '%s\n' "$json" | grep -c '') == 1 && $json == '{"workload":"arc-mutex"'*'}' ]] ||
  { echo "FAIL: --json is not one object on one line: $json"; fail=1; }
for key in params invariant expected observed lost reports measures verdict; do
  [[ $json == *"\"$key\""* ]] || { echo "FAIL: --json lacks $key"; fail=1; }
done
[[ $json == *'"verdict":"clean"'* && $json == *'"expected":2000,"observed":2000,"lost":0'* ]] ||
  { echo "FAIL: arc-mutex --json counts: $json"; fail=1; }
"$bin" --version | grep -qE '^racelab [0-9]+\.[0-9]+\.[0-9]+$' || { echo "FAIL: --version format"; fail=1; }
exit $fail
