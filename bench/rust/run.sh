#!/bin/sh
# run.sh — build bench/rust/compare.rs with `rustc -O` and run it on its own.
#
# Usage: bench/rust/run.sh [--samples N] [--time-per-sample MS] [--warmup MS]
#
# It prints one "RUST name=... ns=..." line per benchmark (Rust's std Rc and
# Arc clone+drop, Mutex lock+unlock). For the side-by-side with racelab's C
# primitives, with ratios and targets, run `racelab bench rust-compare`
# (it builds the same file itself when rustc is on PATH).
# Needs rustc 1.66 or newer (std::hint::black_box). RUSTC overrides the
# compiler; RL_RUST_COMPARE_BIN the output path.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
rustc=${RUSTC:-rustc}
if ! command -v "$rustc" >/dev/null 2>&1; then
	echo "run.sh: rustc not found: install Rust (rustup, or apt-get install rustc) to compare with Rust's std" >&2
	exit 2
fi
out=${RL_RUST_COMPARE_BIN:-${TMPDIR:-/tmp}/racelab-rust-compare-$(id -u)}
"$rustc" -O --edition 2021 -o "$out" "$here/compare.rs"
echo "# $("$rustc" --version), -O" >&2
exec "$out" "$@"
