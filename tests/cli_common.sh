# cli_common.sh — what the command-line shell tests share (sourced, not run):
# fail, run (stdout in $out, stderr in $err, exit status in $rc, and no
# sanitizer report on stderr) and has (a fixed string in $out).
fail() { echo "FAIL: $*"; exit 1; }
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
# UBSan: "file.c:12:3: runtime error: ..." (not Rust's "fatal runtime error: stack overflow").
sanitizer_report='WARNING: ThreadSanitizer|ERROR: AddressSanitizer|ERROR: LeakSanitizer|:[0-9]+:[0-9]+: runtime error:'

# run CMD... : stdout in $out, stderr in $err, exit status in $rc; no sanitizer report.
run() {
  "$@" >"$out" 2>"$err"
  rc=$?
  if grep -Eq "$sanitizer_report" "$err"; then cat "$err"; fail "sanitizer report: $*"; fi
}
has() { grep -qF -- "$1" "$out" || { cat "$out"; fail "missing '$1'"; }; }
