#!/usr/bin/env bash
# layout_rust.sh RACELAB SOURCE WORKDIR — check every Rust figure `racelab layout`
# states against rustc on this machine: compile layout_check.rs (SOURCE), run it
# on the output of `racelab layout --json`. Without rustc the test is skipped
# (exit 77) with a message.
set -u
racelab=$1 src=$2 dir=$3
if ! command -v rustc >/dev/null 2>&1; then
  echo "SKIP: rustc not found; the Rust figures of racelab layout are not re-checked"
  exit 77
fi
mkdir -p "$dir"
echo "$(rustc --version)"
# RUSTC_BOOTSTRAP=1: the two unstable io::Write methods are named to find their vtable slots.
RUSTC_BOOTSTRAP=1 rustc --edition 2021 -C codegen-units=1 -o "$dir/layout_check" "$src" ||
  { echo "FAIL: rustc could not build $src"; exit 1; }
"$racelab" layout --json >"$dir/layout.jsonl" || { echo "FAIL: racelab layout --json exited $?"; exit 1; }
"$dir/layout_check" "$dir/layout.jsonl"
