#!/usr/bin/env bash
# cli_timeline.sh — racelab run/explore --timeline FILE.svg from the command line:
# the picture is written, renders (rsvg-convert) and shows the run's lanes and
# the race in red; bad paths and missing simulation options are usage errors
# (one line on stderr, exit 2, no file).
#   cli_timeline.sh RACELAB PYTHON WORKDIR
set -u
racelab=$1 py=$2 dir=$3
mkdir -p "$dir"
fails=0
fail() { echo "cli_timeline: FAIL: $*"; fails=$((fails + 1)); }

# picture FILE LANES: parses, has LANES lanes, red marks and the missing edge in words; renders.
picture() {
  "$py" - "$1" "$2" <<'PY' || return 1
import sys, xml.etree.ElementTree as ET
S = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
g = [e for e in root.iter(S + "g")]
lanes = [e for e in g if e.get("class") == "lane"]
red = [e for e in g if e.get("class") == "mark race"]
words = " ".join(t.text or "" for t in root.iter(S + "text"))
ok = len(lanes) == int(sys.argv[2]) and len(red) >= 2 and "missing edge:" in words
print(f"cli_timeline: {sys.argv[1]}: {len(lanes)} lanes, {len(red)} red marks")
sys.exit(0 if ok else 1)
PY
  rsvg-convert -o "$1.png" "$1" || return 1
}

rm -f "$dir"/*.svg
"$racelab" run rc-send --threads 2 --iters 3 --detect hb --schedule random --seed 7 \
  --timeline "$dir/run.svg" --expect send >/dev/null || fail "run --timeline did not succeed"
picture "$dir/run.svg" 3 || fail "run.svg: wrong picture"

"$racelab" explore masked-race --timeline "$dir/explore.svg" >/dev/null
[[ $? == 3 ]] || fail "explore --timeline: exit status not 3"
picture "$dir/explore.svg" 3 || fail "explore.svg: wrong picture"

# usage errors: one line on stderr, exit 2, nothing written
usage() {
  local want=$1; shift
  err=$("$racelab" "$@" 2>&1 >/dev/null); st=$?
  [[ $st == 2 ]] || fail "$*: exit $st, not 2"
  [[ $(printf '%s\n' "$err" | wc -l) == 1 ]] || fail "$*: stderr is not one line: $err"
  [[ $err == *"$want"* ]] || fail "$*: stderr does not say '$want': $err"
}
usage "No such file or directory" run rc-send --detect hb --timeline "$dir/missing/t.svg"
[[ -e $dir/missing ]] && fail "a directory was created"
usage "is a directory" run rc-send --detect hb --timeline "$dir"
usage "needs --detect hb or --schedule" run rc-send --timeline "$dir/plain.svg"
[[ -e $dir/plain.svg ]] && fail "plain.svg was written"
usage "--timeline needs a file name" run rc-send --detect hb --timeline=
[[ $fails == 0 ]] && echo "cli_timeline: all checks passed"
exit $((fails > 0))
