#!/usr/bin/env python3
"""check_formats.py — parse back what `racelab bench` writes.

Usage: check_formats.py RACELAB_BENCH_EXECUTABLE

Runs a few benchmarks for a few milliseconds (no timing is checked) with
--json, --csv and --plot, then reads every output back with Python's own
parsers: the JSON must be Google Benchmark's format (context + benchmarks,
iteration runs and aggregates per run_name), the CSV rectangular with numeric
fields, the SVG well-formed XML with one line per plotted benchmark, and the
SUMMARY lines one per (benchmark, threads) row of the CSV.
Exit 0 when all holds; 1 with a message otherwise.
"""
import csv
import json
import math
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
BENCHES = ["counter-relaxed", "false-sharing-padded", "mutex-futex-counter", "arc-clone-drop"]
THREADS = [1, 2]


def fail(msg):
    print("check_formats: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def number(x, what):
    try:
        v = float(x)
    except ValueError:
        fail(f"{what}: '{x}' is not a number")
    check(math.isfinite(v), f"{what}: '{x}' is not finite")
    return v


def main():
    if len(sys.argv) != 2:
        fail("usage: check_formats.py RACELAB_BENCH")
    exe = sys.argv[1]
    with tempfile.TemporaryDirectory() as d:
        paths = {k: os.path.join(d, "out." + k) for k in ("json", "csv", "svg")}
        cmd = [exe, *BENCHES, "--threads", ",".join(map(str, THREADS)), "--samples", "3",
               "--time-per-sample", "1", "--warmup", "0", "--json", paths["json"],
               "--csv", paths["csv"], "--plot", paths["svg"]]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
        check(p.returncode == 0, f"exit {p.returncode}: {p.stderr.strip()}")
        check(sorted(os.listdir(d)) == ["out.csv", "out.json", "out.svg"],
              f"unexpected files {os.listdir(d)}")

        # Expected rows: threaded benchmarks at each count, the others once.
        expected = {(b, t) for b in BENCHES for t in (THREADS if b != "arc-clone-drop" else [1])}

        # ---- JSON (Google Benchmark) ----
        with open(paths["json"]) as f:
            doc = json.load(f)
        check(set(doc) == {"context", "benchmarks"}, f"top-level keys {sorted(doc)}")
        ctx = doc["context"]
        for k in ("date", "host_name", "executable", "num_cpus", "mhz_per_cpu",
                  "cpu_scaling_enabled", "caches", "load_avg", "library_build_type"):
            check(k in ctx, f"context lacks '{k}'")
        check(isinstance(ctx["num_cpus"], int) and ctx["num_cpus"] >= 1, "num_cpus")
        check(isinstance(ctx["caches"], list), "caches is a list")
        runs = {}
        for b in doc["benchmarks"]:
            for k in ("name", "run_name", "run_type", "repetitions", "threads", "iterations",
                      "real_time", "cpu_time", "time_unit", "family_index",
                      "per_family_instance_index"):
                check(k in b, f"benchmark entry lacks '{k}': {b}")
            check(b["time_unit"] == "ns", "time_unit ns")
            check(b["run_type"] in ("iteration", "aggregate"), f"run_type {b['run_type']}")
            number(b["real_time"], b["name"] + " real_time")
            number(b["cpu_time"], b["name"] + " cpu_time")
            check(b["iterations"] >= 1, b["name"] + " iterations")
            r = runs.setdefault(b["run_name"], {"iteration": 0, "aggregate": set()})
            if b["run_type"] == "iteration":
                r["iteration"] += 1
                check(b["name"] == b["run_name"], "iteration name == run_name")
            else:
                agg = b["aggregate_name"]
                r["aggregate"].add(agg)
                check(b["name"] == b["run_name"] + "_" + agg, "aggregate name = run_name_agg")
        names = {f"{b}/threads:{t}" for b, t in expected}
        check(set(runs) == names, f"runs {sorted(runs)} != {sorted(names)}")
        for name, r in runs.items():
            check(r["iteration"] == 3, f"{name}: {r['iteration']} iteration runs, not 3")
            check({"mean", "median", "stddev"} <= r["aggregate"], f"{name}: aggregates {r['aggregate']}")

        # ---- CSV ----
        with open(paths["csv"], newline="") as f:
            rows = list(csv.reader(f))
        header = rows[0]
        check(header[:3] == ["benchmark", "series", "threads"], f"header {header}")
        check(len(rows) - 1 == len(expected), f"{len(rows) - 1} CSV rows, not {len(expected)}")
        seen = set()
        for row in rows[1:]:
            check(len(row) == len(header), f"ragged row {row}")
            rec = dict(zip(header, row))
            seen.add((rec["benchmark"], int(rec["threads"])))
            for k in ("median_ns", "min_ns", "max_ns", "mad_ns", "iqr_ns", "spread_pct"):
                number(rec[k], f"{rec['benchmark']} {k}")
            check(number(rec["min_ns"], "min") <= number(rec["median_ns"], "median")
                  <= number(rec["max_ns"], "max"), f"min <= median <= max in {row}")
            check(rec["stable"] in ("yes", "no"), "stable yes/no")
        check(seen == expected, f"CSV rows {sorted(seen)}")

        # ---- SVG ----
        root = ET.parse(paths["svg"]).getroot()
        check(root.tag == SVG + "svg", f"root element {root.tag}")
        lines = root.findall(f".//{SVG}polyline")
        threaded = [b for b in BENCHES if b != "arc-clone-drop"]
        check(len(lines) == len(threaded), f"{len(lines)} plotted lines, not {len(threaded)}")
        for pl in lines:
            pts = pl.get("points").split()
            check(len(pts) == len(THREADS), f"{len(pts)} points on a line, not {len(THREADS)}")
            for pt in pts:
                x, y = (number(v, "svg point") for v in pt.split(","))
                check(0 <= x <= float(root.get("width")) and 0 <= y <= float(root.get("height")),
                      f"point {pt} outside the picture")
        texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
        check("threads" in texts and "ns/op" in texts, "axis labels")

        # ---- SUMMARY lines ----
        summaries = [l for l in p.stdout.splitlines() if l.startswith("SUMMARY ")]
        keys = set()
        for l in summaries:
            kv = dict(w.split("=", 1) for w in l.split()[1:])
            keys.add((kv["bench"], int(kv["threads"])))
            number(kv["median_ns"], "SUMMARY median_ns")
        check(keys == expected and len(summaries) == len(expected), f"SUMMARY rows {sorted(keys)}")
    print(f"check_formats: JSON ({len(doc['benchmarks'])} entries), CSV ({len(rows) - 1} rows), "
          f"SVG ({len(lines)} lines), {len(summaries)} SUMMARY lines: ok")


if __name__ == "__main__":
    main()
