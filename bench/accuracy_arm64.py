#!/usr/bin/env python3
"""ARM64 stack accuracy: coroner vs minidump-stackwalk on the ARM64 crash lab (lab/arm64), every
thread of every dump, frame by frame.

Ground truth: `fixtures/lab/arm64/arm64-expected.json` — the shadow stack the emulator kept of
every call (return address and stack pointer of each live call). `arm64-every-pc.dmp` has one
thread stopped before each instruction of the program (prologs, bodies, epilogs, __chkstk).
Scoring as in bench/accuracy.py: matched = longest common subsequence of the frame addresses,
spurious = frames before the last matched one that the truth lacks. minidump-stackwalk reports
ARM64 caller frames at return address - 4; the script adds it back.

Usage: python3 bench/accuracy_arm64.py   (prints a Markdown table)
"""
import json, os, re, shutil, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from accuracy import score  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIR = os.path.join(ROOT, "fixtures", "lab", "arm64")


def coroner_stacks(exe, dump, images):
    """Frame addresses per thread id from the shell's `~*k`: frame 0 is the context's pc (the
    truth's first frame), callers are the RetAddr column."""
    cmd = [exe, "shell", dump, "-c", "~*k"]
    for i in images:
        cmd[2:2] = ["--images", i]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    stacks, tid, rets = {}, None, []
    for line in out.splitlines():
        m = re.match(r"^[ .#]+\d+\s+Id: [0-9a-f]+\.([0-9a-f]+)", line)
        if m:
            if tid is not None:
                stacks[tid] = rets
            tid, rets = int(m.group(1), 16), []
            continue
        m = re.match(r"^[0-9a-f]{2} [0-9a-f`]+ ([0-9a-f`]+) ", line)
        if m and tid is not None:
            rets.append(int(m.group(1).replace("`", ""), 16))
    if tid is not None:
        stacks[tid] = rets
    return stacks


def stackwalk_stacks(exe, dump):
    p = subprocess.run([exe, "--json", dump], capture_output=True, text=True)
    d = json.loads(p.stdout)
    out = {}
    for t in d.get("threads", []):
        frames = t.get("frames", [])
        out[t["thread_id"]] = [int(f["offset"], 16) + (0 if f.get("trust") == "context" else 4)
                               for f in frames]
    return out


def main():
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "coroner-cli"], cwd=ROOT, check=True)
    coroner = os.path.join(ROOT, "target", "release", "coroner")
    msw = shutil.which("minidump-stackwalk") or "/opt/msw/bin/minidump-stackwalk"
    if not os.path.exists(msw):
        subprocess.run(["cargo", "install", "minidump-stackwalk", "--locked", "--root", "/opt/msw"],
                       check=True)
    exp = json.load(open(os.path.join(DIR, "arm64-expected.json")))["dumps"]
    runs = [("arm64-crash.dmp", []), ("arm64-crash-noimage.dmp", [DIR]),
            ("arm64-crash-noimage.dmp", []), ("arm64-every-pc.dmp", [])]
    print("| dump | threads | truth frames | coroner matched | coroner spurious "
          "| minidump-stackwalk matched | minidump-stackwalk spurious |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for dump, images in runs:
        path = os.path.join(DIR, dump)
        c = coroner_stacks(coroner, path, images)
        m = stackwalk_stacks(msw, path)
        tot = cm = cx = mm = mx = 0
        for tid, frames in exp[dump].items():
            truth = [f[0] for f in frames]
            tid = int(tid)
            got_c = [truth[0]] + [r for r in c.get(tid, [])[:-1]] if tid in c else []
            got_m = m.get(tid, [])
            a, b = score(truth, got_c)
            x, y = score(truth, got_m)
            tot += len(truth); cm += a; cx += b; mm += x; mx += y
        label = dump + (" with `--images`" if images else "")
        print(f"| {label} | {len(exp[dump])} | {tot} | {cm} ({100*cm/tot:.1f}%) | {cx} "
              f"| {mm} ({100*mm/tot:.1f}%) | {mx} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
