#!/usr/bin/env python3
"""seeded_replay.py — same seed, same binary: byte-identical output.

  seeded_replay.py RACELAB [--seeds 1,7,42] [--workloads a,b]

For every catalog workload that runs under racelab's scheduler (`racelab list
--json`; the others refuse --schedule with exit 2, which is checked too), and
for each seed and strategy (random, pct): two runs of

  racelab run W --detect hb --schedule S --seed N --json

must print the same JSON once timings are masked (the "seconds" key, figures
in ns or s, as the workload's own notes give them), the same for the text
report, and a run with --trace must give the same reports (object numbers
included) and the same counts as one without. Exit 0 when all hold.
"""
import argparse
import json
import re
import subprocess
import sys

failures = []
TIMING = re.compile(r"\d+(?:\.\d+)?(?: ?(?:ns|µs|us|ms|s)\b)")


def run(racelab, args):
    p = subprocess.run([racelab, "run", *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def mask(obj):
    """The JSON result without its timings."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if k == "seconds" or "ns" in k.split("_") or k.endswith("_ns") or k.endswith("_s"):
                continue
            out[k] = mask(v)
        return out
    if isinstance(obj, list):
        return [mask(v) for v in obj]
    if isinstance(obj, str):
        return TIMING.sub("<t>", obj)
    return obj


def text_mask(text):
    return TIMING.sub("<t>", text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("racelab")
    ap.add_argument("--seeds", default="1,7,42")
    ap.add_argument("--workloads", default="")
    a = ap.parse_args()
    seeds = [s for s in a.seeds.split(",") if s]

    listing = subprocess.run([a.racelab, "list", "--json"], capture_output=True, text=True, check=True).stdout
    names = [json.loads(line)["workload"] for line in listing.splitlines() if line.strip()]
    if a.workloads:
        names = [n for n in names if n in a.workloads.split(",")]
    checked = 0
    for w in names:
        rc, _, err = run(a.racelab, [w, "--detect", "hb", "--schedule", "random", "--seed", "1", "--json"])
        if rc == 2:
            if "scheduler does not apply" not in err and "does not apply" not in err:
                failures.append(f"{w}: refused the scheduler without saying why: {err.strip()}")
            continue
        for sched in ("random", "pct"):
            for seed in seeds:
                base = [w, "--detect", "hb", "--schedule", sched, "--seed", seed]
                runs = [run(a.racelab, base + ["--json"]) for _ in range(2)]
                traced = run(a.racelab, base + ["--json", "--trace"])
                texts = [run(a.racelab, base) for _ in range(2)]
                what = f"{w} --schedule {sched} --seed {seed}"
                try:
                    j = [json.loads(r[1]) for r in runs]
                    jt = json.loads(traced[1])
                except ValueError as e:
                    failures.append(f"{what}: not JSON: {e}")
                    continue
                if runs[0][0] != runs[1][0]:
                    failures.append(f"{what}: exit status {runs[0][0]} then {runs[1][0]}")
                if mask(j[0]) != mask(j[1]):
                    diff = [k for k in j[0] if mask(j[0].get(k)) != mask(j[1].get(k))]
                    failures.append(f"{what}: two runs differ in {diff}")
                if text_mask(texts[0][1]) != text_mask(texts[1][1]):
                    la, lb = texts[0][1].splitlines(), texts[1][1].splitlines()
                    first = next((i for i in range(min(len(la), len(lb))) if text_mask(la[i]) != text_mask(lb[i])), None)
                    failures.append(f"{what}: text output differs at line {first}: "
                                    f"{la[first] if first is not None else ''!r}")
                s0, st = j[0].get("sim", {}), jt.get("sim", {})
                for key in ("reports", "races", "race_events", "steps", "switches", "events", "deadlock"):
                    if mask(s0.get(key)) != mask(st.get(key)):
                        failures.append(f"{what}: --trace changes sim.{key}: {str(s0.get(key))[:80]!r} vs "
                                        f"{str(st.get(key))[:80]!r}")
                checked += 1
    print(f"seeded_replay: {checked} (workload, strategy, seed) runs compared over {len(names)} workloads")
    for f in failures:
        print("seeded_replay: FAIL:", f)
    if checked == 0:
        print("seeded_replay: FAIL: no workload ran under the scheduler")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
