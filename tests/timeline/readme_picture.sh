#!/bin/sh
# readme_picture.sh SRC BINDIR OUTDIR — the README's timeline picture is what
# the code draws: scripts/timeline-example, run with this build's racelab,
# gives a file byte for byte the committed docs/timeline-rc-send.svg (a
# seeded run is byte-identical by design), the README shows that file, and
# rsvg-convert (when installed) renders it.
set -eu
src=$1 bin=$2 out=$3
mkdir -p "$out"
svg=$out/timeline-rc-send.svg
rm -f "$svg"
RACELAB_BIN_DIR=$bin "$src/scripts/timeline-example" "$svg" >/dev/null
if ! cmp "$svg" "$src/docs/timeline-rc-send.svg"; then
  echo "docs/timeline-rc-send.svg is not what the code draws now: rerun scripts/timeline-example and commit it" >&2
  diff "$svg" "$src/docs/timeline-rc-send.svg" | head -n 20 >&2
  exit 1
fi
grep -q '](docs/timeline-rc-send.svg)' "$src/README.md" || { echo "README.md does not show docs/timeline-rc-send.svg" >&2; exit 1; }
if command -v rsvg-convert >/dev/null 2>&1; then
  rsvg-convert -o "$out/timeline-rc-send.png" "$svg"
  [ -s "$out/timeline-rc-send.png" ] || { echo "rsvg-convert rendered nothing" >&2; exit 1; }
else
  echo "rsvg-convert not found (librsvg2-bin): the picture is compared, not rendered"
fi
