#!/usr/bin/env python3
"""Stack accuracy on the crash-lab dumps: coroner vs minidump-stackwalk, frame by frame.

Ground truth: `fixtures/lab/expected.json` `walked_stack` — the faulting thread's stack as the
lab's dumper walked it inside the live process with dbghelp's StackWalk64 (it has the images,
their unwind data and Wine's own symbols), cross-checked by the lab against a stack scan and the
programs' map files. For each dump we compare the sequences of frame addresses (frame 0 = the
instruction pointer, then return addresses): agreement = longest common subsequence / truth
frames; extra = frames a tool reports that the truth does not have.

Usage: python3 bench/accuracy.py [--images DIR ...]   (writes bench/out/accuracy.json and .md)
"""
import argparse, json, os, shutil, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAB = os.path.join(ROOT, "fixtures", "lab")
OUT = os.path.join(ROOT, "bench", "out")


def lcs(a, b):
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def score(truth, got):
    """(matched, spurious): LCS of the address lists, and the tool's frames before its last
    matched frame that the truth does not have."""
    matched = lcs(truth, got)
    if matched == 0:
        return 0, 0
    # Shortest prefix of `got` that still contains all matched frames.
    for end in range(1, len(got) + 1):
        if lcs(truth, got[:end]) == matched:
            return matched, end - matched
    return matched, len(got) - matched


def coroner_frames(exe, dump, images):
    cmd = [exe, "analyze", "--format", "json", "--max-frames", "512"]
    for i in images:
        cmd += ["--images", i]
    out = subprocess.run(cmd + [dump], capture_output=True, text=True).stdout
    d = json.loads(out)["dumps"][0]
    return [int(f["address"], 16) for f in d["frames"]]


def stackwalk_frames(exe, dump):
    p = subprocess.run([exe, "--json", dump], capture_output=True, text=True)
    try:
        d = json.loads(p.stdout)
    except json.JSONDecodeError:
        return []
    t = d.get("crashing_thread") or {}
    # minidump-stackwalk reports caller frames at return address - 1 (the call instruction, for
    # symbol lookup); compare return addresses.
    return [int(f["offset"], 16) + (0 if f.get("trust") == "context" else 1) for f in t.get("frames", [])]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", action="append", default=[])
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "coroner-cli"], cwd=ROOT, check=True)
    coroner = os.path.join(ROOT, "target", "release", "coroner")
    msw = shutil.which("minidump-stackwalk") or "/opt/msw/bin/minidump-stackwalk"
    if not os.path.exists(msw):
        subprocess.run(["cargo", "install", "minidump-stackwalk", "--locked", "--root", "/opt/msw"], check=True)
    expected = json.load(open(os.path.join(LAB, "expected.json")))["dumps"]
    rows = []
    for e in expected:
        truth = [int(f["pc"], 16) for f in e.get("walked_stack", [])]
        if not truth:
            continue
        path = os.path.join(LAB, e["file"])
        c = coroner_frames(coroner, path, args.images)
        m = stackwalk_frames(msw, path)
        # Compare over the truth's length (the live walk stops at the thread's start).
        # Spurious frames are counted inside the truth's span only: the live walk stops where
        # the dumper stopped (64 frames for deep recursion), so frames beyond it are not errors.
        c_l, c_x = score(truth, c)
        m_l, m_x = score(truth, m)
        rows.append(dict(file=e["file"], truth=len(truth), coroner_match=c_l, coroner_frames=len(c),
                         coroner_extra=c_x, stackwalk_match=m_l, stackwalk_frames=len(m),
                         stackwalk_extra=m_x))
        print(f"{e['file']:32s} truth {len(truth):4d}  coroner {c_l:4d}/{len(truth)} (+{c_x} spurious)"
              f"  stackwalk {m_l:4d}/{len(truth)} (+{m_x} spurious)", flush=True)
    tot = sum(r["truth"] for r in rows)
    cm = sum(r["coroner_match"] for r in rows)
    mm = sum(r["stackwalk_match"] for r in rows)
    ce = sum(r["coroner_extra"] for r in rows)
    me = sum(r["stackwalk_extra"] for r in rows)
    summary = dict(truth_frames=tot, coroner_agreement=cm / tot, stackwalk_agreement=mm / tot,
                   coroner_extra=ce, stackwalk_extra=me, images=args.images)
    print(json.dumps(summary, indent=1))
    os.makedirs(OUT, exist_ok=True)
    json.dump(dict(summary=summary, rows=rows), open(os.path.join(OUT, "accuracy.json"), "w"), indent=1)
    with open(os.path.join(OUT, "accuracy.md"), "w") as f:
        f.write("| dump | truth frames | coroner matched | coroner extra | minidump-stackwalk matched | minidump-stackwalk extra |\n")
        f.write("|---|---:|---:|---:|---:|---:|\n")
        for r in rows:
            f.write(f"| {r['file']} | {r['truth']} | {r['coroner_match']} | {r['coroner_extra']} | {r['stackwalk_match']} | {r['stackwalk_extra']} |\n")
        f.write(f"| **total** | {tot} | {cm} ({100*cm/tot:.1f}%) | {ce} | {mm} ({100*mm/tot:.1f}%) | {me} |\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
