#!/usr/bin/env python3
"""cli_schema.py RACELAB — the command line as one tool.

  * JSON: every command's --json output parses; run and explore print one
    object, list, demo, layout, stack and bench print JSON lines, each with a "type";
    the same key names everywhere (workload, expected_verdict).
  * --trace: the same seed gives the same reports with and without --trace
    (the README's replay promise: arc-cell --schedule random --seed 42
    --detect hb), and under --json the trace is in sim.trace.
  * Help: `racelab help CMD` is `racelab CMD --help`; every option a help lists
    is taken by its parser (no "unknown option"); run's help lists the options
    its replay lines use.
  * list: SIM/EXPLORE/TSAN columns, masked-race racy, the name column wide
    enough for the longest name.
  * stack: --live honours --stack and refuses --threads.
  * explore: PCT's bound only under pct.
  * deadlock: explore and run --schedule random find it, the twin is clean,
    --schedule os is refused.
  * --check abort: one report, its site relative to the source root.
Exit 0 when all hold.
"""
import json
import re
import subprocess
import sys

racelab = sys.argv[1]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(*args, timeout=300):
    p = subprocess.run([racelab, *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


REPORT_KEYS = {"kind", "object", "threads", "operations", "sites", "missing_edge", "rule", "text"}


def check_report(rep, what, kind=None):
    """A report object: kind, object {kind, id}, threads/operations/sites, missing_edge, rule, text."""
    if not isinstance(rep, dict):
        check(False, f"{what}: not an object: {rep!r:.80}")
        return
    check(REPORT_KEYS <= set(rep), f"{what}: keys {sorted(REPORT_KEYS - set(rep))} missing")
    check(kind is None or rep.get("kind") == kind, f"{what}: kind {rep.get('kind')!r}, not {kind!r}")
    check(isinstance(rep.get("text"), str) and rep["text"], f"{what}: the prose is kept in text")
    check(isinstance(rep.get("rule"), str) and rep["rule"], f"{what}: the Rust rule")
    n = len(rep.get("threads", []))
    check(len(rep.get("operations", [])) == n and len(rep.get("sites", [])) == n,
          f"{what}: threads, operations and sites side by side")
    if rep.get("kind") == "race":
        check(n == 2 and len(rep.get("accesses", [])) == 2, f"{what}: a race has two sides")
        check(isinstance(rep.get("missing_edge"), str) and rep["missing_edge"], f"{what}: the missing edge")
        check(isinstance(rep["object"], dict) and rep["object"].get("id"), f"{what}: the object and its #N")
        check(f"#{rep['object']['id']}" in rep["text"], f"{what}: the object's #N is the prose's")
    if rep.get("kind") in ("send", "sync"):
        check(n == 2 and rep["threads"][1] and rep["threads"][0] in rep["text"], f"{what}: user and owner")
    if rep.get("kind") == "deadlock":
        check(n >= 1 and all(t in rep["text"] for t in rep["threads"]), f"{what}: the blocked threads")


def json_lines(args, types):
    rc, out, err = run(*args)
    check(rc in (0, 3), f"{' '.join(args)}: exit {rc}: {err.strip()}")
    rows = []
    for line in out.splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            check(False, f"{' '.join(args)}: not a JSON line: {line[:80]}")
    check(rows, f"{' '.join(args)}: no lines")
    for r in rows:
        check(r.get("type") in types, f"{' '.join(args)}: type {r.get('type')!r} not in {types}")
    return rows


def json_object(args, rcs=(0, 3)):
    rc, out, err = run(*args)
    check(rc in rcs, f"{' '.join(args)}: exit {rc}: {err.strip()}")
    check(out.count("\n") == 1, f"{' '.join(args)}: not one line")
    try:
        return json.loads(out)
    except ValueError:
        check(False, f"{' '.join(args)}: not one JSON object")
        return {}


# --- JSON, every command ---------------------------------------------------
listing = json_lines(["list", "--json"], {"workload"})
for w in listing:
    for key in ("workload", "expected_verdict", "supports", "racy", "concept", "twin"):
        check(key in w, f"list --json: {w.get('workload')}: no {key}")
    check(set(w.get("supports", {})) == {"simulate", "explore", "tsan"}, f"list: {w.get('workload')} supports")
by_name = {w["workload"]: w for w in listing}
check(by_name["masked-race"]["racy"] is True, "list --json: masked-race is racy")
check(by_name["masked-race-fixed"]["racy"] is False, "list --json: masked-race-fixed is not racy")
check(by_name["false-sharing"]["supports"]["explore"] is False, "list: false-sharing takes no explore")
check(by_name["arc-cell"]["supports"]["tsan"] == "race", "list: arc-cell races under TSan")

for row in json_lines(["demo", "--json"], {"run"}):
    for key in ("workload", "expected_verdict", "verdict"):
        check(key in row, f"demo --json: no {key}")
    for i, m in enumerate(row.get("reports", {}).get("messages", [])):
        check_report(m, f"demo --json {row.get('workload')}: reports.messages[{i}]")
    for i, m in enumerate((row.get("sim") or {}).get("reports", [])):
        check_report(m, f"demo --json {row.get('workload')}: sim.reports[{i}]")

layout = json_lines(["layout", "--json"], {"layout", "vtable", "place"})
check({r["type"] for r in layout} == {"layout", "vtable", "place"}, "layout --json: all three row types")

stack = json_lines(["stack", "--json"], {"stack_thread"})
check(len(stack) == 4, "stack --json: two default and two custom threads")
live = json_lines(["stack", "--json", "--live", "3", "--stack", "256K"], {"stack_live"})
check(live and live[0]["stack_bytes"] == 256 << 10, "stack --live --stack 256K: the stacks are 256 KiB")

bench = json_lines(["bench", "--json", "arc-clone-drop", "arc-clone-drop-no-probe", "counter-relaxed",
                    "--threads", "1,2", "--samples", "2", "--time-per-sample", "1", "--warmup", "0"],
                   {"context", "result", "skip", "ratio", "target", "warning", "note"})
check(bench and bench[0]["type"] == "context" and bench[0].get("threads") == [1, 2], "bench --json: context first")
results = [b for b in bench if b["type"] == "result"]
check({(b["benchmark"], b["threads"]) for b in results} ==
      {("arc-clone-drop", 1), ("arc-clone-drop-no-probe", 1), ("counter-relaxed", 1), ("counter-relaxed", 2)},
      "bench --json: one result a benchmark and thread count")
for b in results:
    for key in ("median_ns", "min_ns", "max_ns", "mad_ns", "samples", "iters", "stable"):
        check(key in b, f"bench --json result {b.get('benchmark')}: no {key}")
ratios = {b["label"]: b for b in bench if b["type"] == "ratio"}
probe = ratios.get("Arc clone+drop / without the probe test", {})
check(probe.get("target") == 1.05 and isinstance(probe.get("met"), bool), "bench --json: the ratio with its target")
check("contended/uncontended counter-relaxed" in ratios, "bench --json: the contended ratio")
rc, out, err = run("bench", "--json", "-")
check(rc == 2 and out == "" and err.count("\n") == 1, "bench --json -: refused in one line")
rc, out, err = run("bench", "--json-out", "-")
check(rc == 2 and out == "" and err.count("\n") == 1, "bench --json-out -: refused in one line")
rc, out, _ = run("bench", "--json", "--list")
check(rc == 0 and all(json.loads(l)["type"] == "benchmark" for l in out.splitlines()), "bench --json --list")

r = json_object(["run", "arc-cell", "--json"])
check(r.get("type") == "run" and r.get("workload") == "arc-cell", "run --json: type run, workload")
check(r.get("expected_verdict") == "sync-violation", "run --json: expected_verdict")
check(r["reports"]["messages"], "run arc-cell --json: owner-check reports")
for m in r["reports"]["messages"]:
    check_report(m, "run arc-cell --json: reports.messages", "sync")

# --- reports as objects: run, explore (pct, random, dfs), the same keys ----------
r = json_object(["run", "rc-send", "--detect", "hb", "--json"])
check(r["reports"]["messages"] and r["sim"]["reports"], "run rc-send --detect hb: owner and detector reports")
for m in r["reports"]["messages"]:
    check_report(m, "run rc-send: reports.messages", m.get("kind") if m.get("kind") == "use_after_free" else "send")
for m in r["sim"]["reports"]:
    check_report(m, "run rc-send --detect hb: sim.reports", "race")
check(any(m["object"]["kind"] == "Rc<T> strong count" for m in r["sim"]["reports"]), "rc-send: the race on Rc's count")
for args, kind in ((["explore", "masked-race", "--json"], "race"),
                   (["explore", "masked-race", "--strategy", "random", "--json"], "race"),
                   (["explore", "deadlock", "--json"], "deadlock"),
                   (["explore", "rc-send", "--strategy", "dfs", "--json"], "race"),
                   (["explore", "deadlock", "--strategy", "dfs", "--json"], "deadlock"),
                   (["explore", "masked-race", "--strategy", "dfs", "--json"], "race")):
    x = json_object(args)
    what = " ".join(args)
    check(x.get("type") == "explore", f"{what}: type explore")
    check(x.get("workload") == args[1] and x.get("expected_verdict") == by_name[args[1]]["expected_verdict"],
          f"{what}: workload and expected_verdict as list names them")
    check(x.get("found") is True and isinstance(x.get("verdict"), str), f"{what}: found, with a verdict")
    check_report(x.get("report"), f"{what}: report", kind)
x = json_object(["explore", "deadlock", "--strategy", "dfs", "--json"])
check(x.get("verdict") == "deadlock" and x["report"]["threads"] == ["left", "right"],
      "explore deadlock --strategy dfs: verdict deadlock between left and right")
x = json_object(["explore", "masked-race-fixed", "--strategy", "dfs", "--json"], rcs=(0,))
check(x.get("found") is False and x.get("failure") is None and "report" not in x,
      "explore masked-race-fixed --strategy dfs: no failure, no report")

x = json_object(["explore", "masked-race", "--json"])
check(x.get("workload") == "masked-race" and x.get("found") is True, "explore --json: masked-race found")
check(isinstance(x.get("pct_bound"), dict), "explore --json: pct_bound under pct")
x = json_object(["explore", "masked-race", "--strategy", "random", "--json"])
check(x.get("pct_bound") is None, "explore --strategy random --json: no PCT bound")
rc, out, _ = run("explore", "masked-race", "--strategy", "random")
check(rc == 3 and "PCT" not in out, "explore --strategy random: no PCT bound in the text")
rc, out, _ = run("explore", "masked-race")
check(rc == 3 and "PCT's bound" in out, "explore (pct): the bound is printed")

# --- object numbers do not depend on --trace (README's replay promise) ------
promise = ["run", "arc-cell", "--schedule", "random", "--seed", "42", "--detect", "hb"]
plain = json_object(promise + ["--json"])
traced = json_object(promise + ["--json", "--trace"])
check(plain.get("sim", {}).get("reports") == traced.get("sim", {}).get("reports"),
      "same seed: the same reports with and without --trace")
check(plain.get("sim", {}).get("reports"), "arc-cell --detect hb: reports")
check(len(traced.get("sim", {}).get("trace", [])) > 0, "run --trace --json: sim.trace")
check("trace" not in plain.get("sim", {}), "run --json without --trace: no trace")
_, text_plain, _ = run(*promise)
_, text_traced, _ = run(*promise, "--trace")
m = re.search(r"data race on \S+ #\d+", text_plain)
check(m is not None and m.group(0) in text_traced, "text: the race's object number is the same with --trace")

# --- help ------------------------------------------------------------------
for cmd in ("run", "explore", "list", "demo", "layout", "stack", "bench"):
    rc1, h1, _ = run("help", cmd)
    rc2, h2, _ = run(cmd, "--help")
    check(rc1 == 0 and rc2 == 0 and h1 == h2 and h1.startswith("usage: racelab"), f"help {cmd} = {cmd} --help")
    if cmd == "bench":
        continue
    for opt in sorted(set(re.findall(r"^  (--[a-z-]+)", h1, re.M))):
        # a bad value (or a bad workload name after a flag): a usage error, never "unknown option"
        _, _, err = run(cmd, opt, "\x01bad", timeout=60)
        check(f"unknown option '{opt}" not in err, f"{cmd} --help lists {opt} but {cmd} does not take it")
    rc, _, err = run(cmd, "--no-such-option")
    check(rc == 2 and "unknown option" in err and err.count("\n") == 1, f"{cmd}: unknown option is one line, exit 2")
rc, h, _ = run("help", "run")
for opt in ("--pct-steps", "--max-steps", "--detect hb|off", "--check report|abort|off", "--trace"):
    check(opt in h, f"run's help lists {opt}")
rc, h, _ = run("help", "explore")
check("--check report|off" in h, "explore's help gives its own --check values")
rc, _, err = run("help", "nope")
check(rc == 2 and err.count("\n") == 1, "help nope: one line, exit 2")

# --- list text ---------------------------------------------------------------
rc, out, _ = run("list")
head = out.splitlines()[0]
check(all(c in head for c in ("SIM", "EXPLORE", "TSAN")), "list: SIM/EXPLORE/TSAN columns")
longest = max(len(n) for n in by_name)
for line in out.splitlines()[1:]:
    name = line.split(" ", 1)[0]
    if name in by_name:
        check(line[len(name):len(name) + 2] == "  " or len(name) < longest,
              f"list: '{name}' runs into the next column")
        check(line.index(by_name[name]["expected_verdict"], len(name)) == longest + 2,
              f"list: the EXPECTED column of '{name}' starts after the longest name")

# --- stack -------------------------------------------------------------------
rc, out, _ = run("stack", "--live", "5", "--stack", "512K")
check(rc == 0 and "with 512 KiB stacks" in out, "stack --live 5 --stack 512K: 512 KiB stacks")
rc, _, err = run("stack", "--live", "5", "--threads", "3")
check(rc == 2 and err.count("\n") == 1, "stack --live with --threads: one line, exit 2")

# --- --check abort: the first report ends the run; sites relative to the source root
for _ in range(5):
    rc, out, err = run("run", "arc-cell", "--check", "abort")
    check(rc == 3 and out.count("cannot be shared between threads safely") == 1,
          "run arc-cell --check abort: one report")
    check(err.count("racelab: fatal:") == 1, "run arc-cell --check abort: one fatal line")
    check("(sync/cell.c:" in err, f"--check abort: the site is relative to the source root: {err.strip()}")
rc, out, _ = run("run", "rc-send", "--detect", "hb")
check(re.search(r" at workloads/wl_rc\.c:\d+", out) is not None, "race reports: relative sites")

# --- deadlock and its ordered twin ---------------------------------------------
x = json_object(["explore", "deadlock", "--json"])
check(x.get("found") is True and x.get("verdict") == "deadlock", "explore deadlock: verdict deadlock")
x = json_object(["explore", "deadlock", "--strategy", "random", "--json"])
check(x.get("found") is True and x.get("verdict") == "deadlock", "explore deadlock --strategy random")
found = False
for seed in range(1, 21):
    r = json_object(["run", "deadlock", "--schedule", "random", "--seed", str(seed), "--json"])
    if r.get("verdict") == "deadlock":
        found = True
        check(any("deadlock: no thread can run" in t["text"] for t in r["sim"]["reports"]), "deadlock: the report")
        check_report(r["sim"]["reports"][0], "run deadlock: sim.reports[0]", "deadlock")
        break
check(found, "run deadlock --schedule random: a deadlock within seeds 1..20")
x = json_object(["explore", "deadlock-ordered", "--schedules", "200", "--json"], rcs=(0,))
check(x.get("found") is False, "explore deadlock-ordered: clean in 200 schedules")
rc, _, err = run("run", "deadlock", "--schedule", "os")
check(rc == 2 and err.count("\n") == 1, "run deadlock --schedule os: refused (it would hang)")
check(by_name["deadlock"]["expected_verdict"] == "deadlock", "list: deadlock's verdict")

print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
