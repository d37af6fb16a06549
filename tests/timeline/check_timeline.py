#!/usr/bin/env python3
"""check_timeline.py — checks a timeline SVG against the session it draws.

  check_timeline.py --probe-h include/racelab/probe.h --run RUN.txt --svg T.svg
                    [--png OUT.png] [--expect-fold] [--expect-gap] [--expect EDGE ...]

RUN.txt is what tests/timeline/timeline_run printed (threads, records, trace
lines, reports). The picture is parsed with xml.etree and rendered with
rsvg-convert; every check says what it found. The expected edges are worked
out here from the raw records, independently of sim/timeline.c.
Exit 0 when every check passes, 1 otherwise.
"""
import argparse
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def probe_ops(path):
    """rl_probe_op names -> numbers, read from probe.h's enum."""
    text = open(path).read()
    body = text[text.index("typedef enum rl_probe_op {"):text.index("} rl_probe_op;")]
    ops, n = {}, 0
    for m in re.finditer(r"RL_PROBE_([A-Z_]+)(?:\s*=\s*(\d+))?\s*,", body):
        n = int(m.group(2)) if m.group(2) else n + 1
        ops[m.group(1)] = n
    return ops


def parse_run(path):
    threads, recs, lines, reports = {}, [], [], []
    for raw in open(path):
        raw = raw.rstrip("\n")
        kind, _, rest = raw.partition(" ")
        if kind == "thread":
            tid, _, name = rest.partition(" ")
            threads[int(tid)] = name
        elif kind == "rec":
            f = [int(x) for x in rest.split()]
            recs.append(dict(i=f[0], step=f[1], tid=f[2], op=f[3], order=f[4], flags=f[5], obj=f[6], rval=f[7], wval=f[8]))
        elif kind == "line":
            lines.append(rest)
        elif kind == "report":
            f = rest.split()
            if f[0] == "race":
                reports.append(dict(kind="race", obj=int(f[1]), cur=int(f[2]), cur_w=int(f[3]), prev_known=int(f[4]),
                                    prev=int(f[5]), prev_w=int(f[6]), edge=None))
            else:
                reports.append(dict(kind="deadlock"))
        elif kind == "missing":
            reports[-1]["edge"] = rest
    return threads, recs, lines, reports


def expected_edges(recs, ops):
    """The arrows the picture must draw, from the records alone: happens-before
    edges the trace shows, one per source and receiving thread."""
    REL = {3, 4, 5}      # release, acq_rel, seq_cst
    ACQ = {1, 2, 4, 5}   # consume, acquire, acq_rel, seq_cst
    FAILED = 1
    HEADS = 4            # release heads kept per location, the latest per thread
    start, exit_ = {}, {}
    for r in recs:
        if r["op"] == ops["START"]:
            start.setdefault(r["tid"], r["i"])
        if r["op"] == ops["EXIT"]:
            exit_[r["tid"]] = r["i"]
    edges, unlock, pub, fence = set(), {}, {}, {}
    heads = {}  # obj -> list of [record, set of threads given an arrow]

    def push(obj, i):
        hs = [h for h in heads.get(obj, []) if recs[h[0]]["tid"] != recs[i]["tid"]]
        if len(hs) == HEADS:
            hs.pop(0)
        heads[obj] = hs + [[i, set()]]

    def acquire(hs, i):
        for h in hs:
            if recs[h[0]]["tid"] != recs[i]["tid"] and recs[i]["tid"] not in h[1]:
                h[1].add(recs[i]["tid"])
                edges.add(("release-acquire", h[0], i))

    for r in recs:
        op, obj, i, tid = r["op"], r["obj"], r["i"], r["tid"]
        failed = r["flags"] & FAILED
        if op == ops["SPAWN"] and start.get(obj, -1) > i:
            edges.add(("spawn", i, start[obj]))
        elif op == ops["JOIN"] and obj in exit_ and exit_[obj] < i:
            edges.add(("join", exit_[obj], i))
        elif op in (ops["LOCK"], ops["TRYLOCK"]) and not failed:
            u = unlock.get(obj)
            if u is not None and recs[u]["tid"] != tid:
                edges.add(("lock", u, i))
        elif op == ops["UNLOCK"]:
            unlock[obj] = i
        elif op in (ops["LOAD"], ops["RMW"]):
            if r["order"] in ACQ:
                acquire(heads.get(obj, []), i)
            elif heads.get(obj):
                fence[tid] = [[h[0], set(h[1])] for h in heads[obj]]
            if op == ops["RMW"] and not failed and r["order"] in REL:
                push(obj, i)
        elif op == ops["STORE"]:
            heads[obj] = []
            if r["order"] in REL:
                push(obj, i)
        elif op == ops["FENCE"] and r["order"] in ACQ and fence.get(tid):
            acquire(fence.pop(tid), i)
        elif op == ops["RCU_PUBLISH"]:
            pub[obj] = [i, set()]
        elif op == ops["RCU_DEREF"]:
            p = pub.get(obj)
            if p and r["rval"] and recs[p[0]]["wval"] == r["rval"] and recs[p[0]]["tid"] != tid and tid not in p[1]:
                p[1].add(tid)
                edges.add(("rcu", p[0], i))
    return edges


def words(line, threads, tid):
    """A trace line without its step and thread columns, blanks squeezed."""
    m = re.match(r"\s*\d+\s+T\d+ ", line)
    rest = line[m.end():]
    name = threads.get(tid, "?")
    if rest.startswith(name):
        rest = rest[len(name):]
    return " ".join(rest.split())


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    check(head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG")
    return struct.unpack(">II", head[16:24])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--probe-h", required=True)
    ap.add_argument("--run", required=True)
    ap.add_argument("--svg", required=True)
    ap.add_argument("--png")
    ap.add_argument("--expect-fold", action="store_true")
    ap.add_argument("--expect-gap", action="store_true")
    ap.add_argument("--expect", action="append", default=[], help="an edge kind that must be drawn")
    a = ap.parse_args()

    ops = probe_ops(a.probe_h)
    threads, recs, lines, reports = parse_run(a.run)
    check(len(recs) == len(lines) and recs, f"run file: {len(recs)} records, {len(lines)} trace lines")
    by_i = {r["i"]: r for r in recs}

    raw = open(a.svg, encoding="utf-8").read()
    root = ET.fromstring(raw)
    check(root.tag == SVG + "svg", f"root element is {root.tag}")

    # Self-contained: no script, no style sheet, no external reference.
    for el in root.iter():
        tag = el.tag.replace(SVG, "")
        check(tag not in ("script", "style", "image", "foreignObject", "a"), f"forbidden element <{tag}>")
        for k, v in el.attrib.items():
            check(not k.startswith("on"), f"event handler attribute {k}")
            if k.endswith("href"):
                check(v.startswith("#"), f"external reference {k}={v}")
            if "url(" in v:
                check(re.fullmatch(r"url\(#[\w-]+\)", v) is not None, f"external url in {k}={v}")
    check("@font-face" not in raw and "@import" not in raw, "font or style import")

    def groups(cls):
        return [g for g in root.iter(SVG + "g") if cls in g.get("class", "").split()]

    # Lanes: one per thread, named "T<tid> <name>".
    lanes = {int(g.get("data-tid")): g for g in groups("lane")}
    check(sorted(lanes) == sorted(threads), f"lanes {sorted(lanes)} vs threads {sorted(threads)}")
    lane_x = {}
    for tid, g in lanes.items():
        text = "".join(t.text or "" for t in g.iter(SVG + "text"))
        check(text == f"T{tid} {threads.get(tid)}", f"lane {tid} is named {text!r}")
        lane_x[tid] = float(g.find(SVG + "rect").get("x"))

    # Every record is a mark (with its trace words) or inside a fold or a gap.
    marks = {int(g.get("data-rec")): g for g in groups("mark")}
    folds = groups("fold")
    gaps = groups("gap")
    covered = {}
    for i, g in marks.items():
        covered[i] = covered.get(i, 0) + 1
        r = by_i[i]
        check(int(g.get("data-tid")) == r["tid"], f"mark {i} in lane {g.get('data-tid')}, record of T{r['tid']}")
        title = g.find(SVG + "title").text
        want = words(lines[i], threads, r["tid"])
        check(title == want, f"mark {i}: title {title!r}, trace says {want!r}")
        x = float(g.find(SVG + "text").get("x"))
        check(lane_x[r["tid"]] < x < lane_x[r["tid"]] + 250, f"mark {i} drawn outside its lane")
    pinned = {ops[k] for k in ("SPAWN", "SPAWN_FAILED", "START", "EXIT", "JOIN", "BLOCKED")}
    for g in folds:
        first, last, count, tid = (int(g.get(k)) for k in ("data-first", "data-last", "data-count", "data-tid"))
        check(count == last - first + 1, f"fold {first}-{last} says {count} records")
        for i in range(first, last + 1):
            covered[i] = covered.get(i, 0) + 1
            check(by_i[i]["tid"] == tid, f"fold of T{tid} holds record {i} of T{by_i[i]['tid']}")
            check(by_i[i]["op"] not in pinned, f"fold {first}-{last} hides thread event {i}")
    for g in gaps:
        first, last, count = (int(g.get(k)) for k in ("data-first", "data-last", "data-count"))
        n = 0
        for i in range(first, last + 1):
            if i not in covered:
                covered[i] = 1
                n += 1
        check(n == count, f"gap {first}-{last} says {count} records, holds {n}")
    missing = [r["i"] for r in recs if r["i"] not in covered]
    check(not missing, f"records neither drawn nor folded: {missing[:10]}")
    check(all(v == 1 for v in covered.values()), "a record is drawn twice")
    check(not a.expect_fold or folds, "no folded run, though one was expected")
    check(not a.expect_gap or gaps, "no gap, though the trace is longer than the picture's rows")

    # Edges: exactly the expected ones among those whose two ends are marks;
    # arrows go down the page from the source lane to the target lane.
    want = expected_edges(recs, ops)
    drawn = set()
    for ln in root.iter(SVG + "line"):
        cls = ln.get("class", "").split()
        if "edge" not in cls:
            continue
        e = (cls[1], int(ln.get("data-from")), int(ln.get("data-to")))
        drawn.add(e)
        fr, to = by_i[e[1]], by_i[e[2]]
        check(float(ln.get("y1")) < float(ln.get("y2")), f"edge {e} does not go down the page")
        check(lane_x[fr["tid"]] < float(ln.get("x1")) < lane_x[fr["tid"]] + 250, f"edge {e} starts outside T{fr['tid']}")
        check(ln.get("marker-end", "").startswith("url(#ah-"), f"edge {e} has no arrowhead")
    visible = {e for e in want if e[1] in marks and e[2] in marks}
    check(drawn == visible, f"edges drawn but not expected {sorted(drawn - visible)[:5]}, "
                            f"expected but not drawn {sorted(visible - drawn)[:5]}")
    for kind in a.expect:
        check(any(e[0] == kind for e in drawn), f"no {kind} edge drawn")
    hidden = len(want) - len(visible)
    if hidden:
        check(f"{hidden} synchronisation edges end in rows not drawn" in raw, f"{hidden} hidden edges not said")

    # Reports: red marks on the right records, the missing edge in words.
    red = {}
    for i, g in marks.items():
        if "race" in g.get("class").split():
            label = "".join(g.find(SVG + "text").itertext())
            m = re.match(r"(race|deadlock) (\d+): ", label)
            check(m is not None, f"red mark {i} has no report number: {label!r}")
            if m:
                red.setdefault(int(m.group(2)), []).append(i)
    report_groups = {int(g.get("data-report")): g for g in groups("report")}
    check(len(report_groups) == len(reports), f"{len(report_groups)} reports drawn, {len(reports)} found")
    for k, rep in enumerate(reports[:8], 1):
        mine = red.get(k, [])
        text = " ".join(" ".join(t.itertext()) for t in report_groups[k].iter(SVG + "text"))
        text = " ".join(text.split())
        if rep["kind"] == "race":
            want_n = 2 if rep["prev_known"] else 1
            check(len(mine) == want_n, f"race {k}: {len(mine)} red marks, not {want_n}")
            tids = sorted(by_i[i]["tid"] for i in mine)
            check(tids == sorted([rep["cur"], rep["prev"]][:want_n]), f"race {k}: red marks on T{tids}")
            for i in mine:
                check(by_i[i]["obj"] == rep["obj"], f"race {k}: red mark {i} on #{by_i[i]['obj']}, not #{rep['obj']}")
            check(" ".join(("missing edge: " + rep["edge"]).split()) in text, f"race {k}: missing edge not said")
            if want_n == 2:
                links = [ln for ln in root.iter(SVG + "line") if ln.get("class") == "race-link" and ln.get("data-report") == str(k)]
                check(len(links) == 1 and {int(links[0].get("data-from")), int(links[0].get("data-to"))} == set(mine),
                      f"race {k}: no dashed link between its two marks")
        else:
            check(len(mine) >= 2, f"deadlock {k}: {len(mine)} red marks")
            for i in mine:
                check(by_i[i]["op"] == ops["BLOCKED"], f"deadlock {k}: red mark {i} is not a blocked operation")
            check("deadlock: no thread can run" in text, f"deadlock {k}: its report is not said")

    # A real renderer draws it at its size.
    if a.png:
        res = subprocess.run(["rsvg-convert", "-o", a.png, a.svg], capture_output=True, text=True)
        if check(res.returncode == 0, f"rsvg-convert failed: {res.stderr.strip()}"):
            w, h = png_size(a.png)
            check((w, h) == (int(root.get("width")), int(root.get("height"))),
                  f"rendered {w}x{h}, svg says {root.get('width')}x{root.get('height')}")

    n_marks = len(marks)
    print(f"check_timeline: {a.svg}: {len(lanes)} lanes, {n_marks} marks, {len(folds)} folds, {len(gaps)} gaps, "
          f"{len(drawn)} edges ({', '.join(sorted({e[0] for e in drawn}))}), {sum(len(v) for v in red.values())} red marks")
    for f in failures:
        print("check_timeline: FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
