#!/usr/bin/env bash
# timeline_test.sh — one timeline, drawn and checked from the picture itself.
#
#   timeline_test.sh PYTHON TIMELINE_RUN PROBE_H WORKDIR NAME RUN-ARGS... -- CHECK-ARGS...
#
# Runs timeline_run NAME.svg RUN-ARGS (the session's records go to NAME.run),
# then check_timeline.py on the SVG, which also renders it with rsvg-convert.
set -euo pipefail
py=$1 bin=$2 probe_h=$3 dir=$4 name=$5
shift 5
run=()
while [[ $# -gt 0 && $1 != -- ]]; do run+=("$1"); shift; done
[[ $# -gt 0 ]] && shift
if ! command -v rsvg-convert >/dev/null; then
  echo "timeline_test: rsvg-convert not found: install Debian's librsvg2-bin (scripts/install-deps)" >&2
  exit 1
fi
mkdir -p "$dir"
"$bin" "$dir/$name.svg" "${run[@]}" >"$dir/$name.run"
exec "$py" "$(dirname "$0")/check_timeline.py" --probe-h "$probe_h" --run "$dir/$name.run" \
  --svg "$dir/$name.svg" --png "$dir/$name.png" "$@"
