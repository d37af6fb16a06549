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
expect_ok --help
expect_ok --version
expect_ok stack --threads 1 --stack 256K
"$bin" --version | grep -qE '^racelab [0-9]+\.[0-9]+\.[0-9]+$' || { echo "FAIL: --version format"; fail=1; }
exit $fail
