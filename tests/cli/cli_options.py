#!/usr/bin/env python3
"""cli_options.py RACELAB — options that are honoured or refused, and the terminal.

  * explore on a terminal (a pty from `script -qc`) shows its progress on
    stderr (schedules run, schedules/s, elapsed) and clears it; piped, it
    prints nothing on stderr and no carriage return on stdout.
  * stack honours every option (--threads, --stack, --touch, --live, --json,
    each also as --name=VALUE) and refuses every bad value: exit 2, one line
    on stderr naming the option, nothing on stdout.
  * --timeline - is refused in one line (run and explore): the picture is a
    file, never stdout, and no file named '-' appears.
Exit 0 when all hold.
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

racelab = os.path.abspath(sys.argv[1])
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(*args, timeout=300, cwd=None):
    p = subprocess.run([racelab, *args], capture_output=True, timeout=timeout, cwd=cwd)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def usage_error(args, needle):
    rc, out, err = run(*args)
    what = " ".join(args)
    check(rc == 2, f"{what}: exit {rc}, not 2")
    check(err.count("\n") == 1 and err.startswith("racelab: "), f"{what}: not one line on stderr: {err!r}")
    check(needle in err, f"{what}: stderr does not name {needle!r}: {err!r}")
    check(out == "", f"{what}: printed on stdout: {out[:80]!r}")


# --- explore's progress: on a terminal only ------------------------------------
explore = ["explore", "deadlock-ordered", "--schedules", "2000"]
progress = re.compile(r"\r  \d+ schedules, \d+/s, \d+\.\d s elapsed")
if shutil.which("script"):
    cmd = " ".join(shlex.quote(a) for a in [racelab, *explore])
    # bytes, decoded by hand: text mode would turn the '\r' into newlines
    p = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, timeout=300)
    tty = p.stdout.decode("utf-8", "replace")
    check(p.returncode == 0, f"explore on a pty: exit {p.returncode}")
    check(progress.search(tty) is not None, "explore on a terminal: progress (schedules, /s, elapsed)")
    check("\r\033[K" in tty, "explore on a terminal: the progress line is cleared")
    check("no violation in 2000 schedules." in tty, "explore on a terminal: the result follows")
else:
    print("script(1) not found: the terminal half is skipped")
rc, out, err = run(*explore)
check(rc == 0 and err == "", f"explore piped: nothing on stderr: {err[:80]!r}")
check("\r" not in out and "\033" not in out, "explore piped: no progress on stdout")

# --- stack: every option honoured ------------------------------------------------
rc, out, _ = run("stack", "--live", "100", "--stack", "512K")
check(rc == 0 and out.startswith("100 live threads with 512 KiB stacks"), f"stack --live 100 --stack 512K: {out[:80]!r}")
check("SUMMARY threads=100 stack_bytes=524288 " in out, "stack --live 100 --stack 512K: SUMMARY")
rc, out, _ = run("stack", "--live=100", "--stack=512K")
check(rc == 0 and "with 512 KiB stacks" in out, "stack --live=100 --stack=512K: the = form")
rows = [json.loads(l) for l in run("stack", "--json", "--threads", "3", "--stack", "256K", "--touch", "64K")[1].splitlines()]
check(len(rows) == 6 and all(r["type"] == "stack_thread" for r in rows), "stack --threads 3 --json: 3 default + 3 custom")
custom = [r for r in rows if r["thread"].startswith("custom-")]
# at least: sanitizer builds give every stack room for the sanitizer's frames
check(len(custom) == 3 and all(r["requested_bytes"] >= 256 << 10 for r in custom), "stack --stack 256K: custom rows")
check(all(r["requested_bytes"] < 2 << 20 for r in custom), "stack --stack 256K: smaller than the default")
check(all(r["touched_bytes"] >= 64 << 10 for r in rows), "stack --touch 64K: every thread touched 64 KiB")
check(all(r["touched_bytes"] < r["reserved_bytes"] for r in rows), "stack: touched below reserved")
live = [json.loads(l) for l in run("stack", "--json", "--live", "4")[1].splitlines()]
check(len(live) == 1 and live[0]["threads"] == 4 and live[0]["complete"] is True, "stack --live 4 --json")
rc, out, _ = run("stack", "--touch", "100K")
check(rc == 0 and "each thread used about 100 KiB" in out, "stack --touch 100K: the text says 100 KiB")

# --- stack: every bad value refused --------------------------------------------
for args, needle in ((["--threads", "0"], "--threads"), (["--threads", "257"], "--threads"),
                     (["--threads", "x"], "--threads"), (["--threads"], "--threads"),
                     (["--stack", "0"], "--stack"), (["--stack", "12Q"], "--stack"), (["--stack", "2T"], "--stack"),
                     (["--stack"], "--stack"), (["--stack="], "--stack"),
                     (["--touch", "abc"], "--touch"), (["--touch"], "--touch"), (["--touch", "4M"], "--touch"),
                     (["--live", "0"], "--live"), (["--live", "1000001"], "--live"), (["--live", "x"], "--live"),
                     (["--live"], "--live"), (["--live", "3", "--threads", "2"], "--threads"),
                     (["--live", "3", "--stack", "64K", "--touch", "64K"], "--touch"),
                     (["--json=yes"], "unknown option"), (["--frob"], "unknown option"),
                     (["extra"], "unknown argument")):
    usage_error(["stack", *args], needle)

# --- --timeline -: refused, no file named '-' ------------------------------------
with tempfile.TemporaryDirectory() as d:
    for args in (["run", "rc-send", "--detect", "hb", "--timeline", "-"],
                 ["run", "rc-send", "--detect", "hb", "--timeline=-"],
                 ["explore", "masked-race", "--timeline", "-"]):
        rc, out, err = run(*args, cwd=d)
        check(rc == 2 and err.count("\n") == 1 and "not '-'" in err, f"{' '.join(args)}: refused in one line: {err!r}")
        check(out == "", f"{' '.join(args)}: nothing on stdout")
    check(os.listdir(d) == [], "--timeline -: no file left behind")

print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
