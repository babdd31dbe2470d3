#!/usr/bin/env python3
"""What a full-memory dump costs coroner against its MiniDumpNormal sibling (run by hand, never
by the test suite; python3 standard library only).

For each crash-lab scenario below: a full-memory dump captured under Wine
(`bash lab/capture.sh --full --arch ARCH SCENARIO`, as DebugDiag / `procdump -ma` write it) and
its MiniDumpNormal sibling (`coroner-synth normal-of FULL NORMAL`: the same crash, threads with
stacks, modules, exception; no image or heap memory). Both are analysed under valgrind's
callgrind (`coroner analyze --no-network [--format json] DUMP`); instructions (Ir) are repeatable
whatever the machine's load. Goal: a full dump costs at most 1.3x its sibling.

Usage: python3 bench/cost.py [--formats text,json] [--scenarios reference-x64,...] [--no-build]
                             [--binary PATH]
Dumps go to bench/out/full/ (ignored by git; ~20-37 MB each), results to bench/out/cost.md and
bench/out/cost.json, callgrind files to bench/out/cg/. Full dumps missing from bench/out/full are
captured when the crash lab is set up (lab/setup.sh, lab/README.md); otherwise the script says
how to get them and measures the pairs it has.
"""
import argparse, json, os, re, shutil, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")
FULL = os.path.join(OUT, "full")
GOAL = 1.3
SCENARIOS = ["reference-x64", "reference-x86", "nullwrite-x64", "heapcorrupt-x86"]
LAB_ROOT = os.environ.get("LAB_ROOT", "/opt/coroner-lab")
LAB_BUILD = os.path.join(OUT, "lab-build")


def run(cmd, **kw):
    print("+ " + " ".join(cmd), file=sys.stderr)
    return subprocess.run(cmd, cwd=ROOT, **kw)


def lab_ready():
    """Whether lab/setup.sh has run here (Wine prefixes, mingw-w64)."""
    return (os.path.isdir(os.path.join(LAB_ROOT, "prefix64")) and
            os.path.isdir(os.path.join(LAB_ROOT, "prefix32")) and
            shutil.which("x86_64-w64-mingw32-gcc") is not None)


def capture(missing):
    """Captures the missing full dumps with the lab's dumper (built into bench/out/lab-build)."""
    env = dict(os.environ, BUILD=LAB_BUILD)
    arches = sorted({s.rsplit("-", 1)[1] for s in missing})
    run(["bash", "lab/build.sh", "--dumper"] + arches, env=env, check=True)
    for arch in arches:
        names = [s.rsplit("-", 1)[0] for s in missing if s.endswith("-" + arch)]
        run(["bash", "lab/capture.sh", "--full", "--out", FULL, "--arch", arch] + names,
            env=env, check=True)


def pairs(scenarios, synth):
    """[(scenario, full, sibling)] for the full dumps present; siblings are derived as needed."""
    out = []
    for s in scenarios:
        full = os.path.join(FULL, s + "-full.dmp")
        normal = os.path.join(FULL, s + "-normal.dmp")
        if not os.path.exists(full):
            continue
        if not os.path.exists(normal) or os.path.getmtime(normal) < os.path.getmtime(full):
            run([synth, "normal-of", full, normal], check=True, stdout=subprocess.DEVNULL)
        out.append((s, full, normal))
    return out


def instructions(binary, dump, fmt, tag):
    """Ir of one `coroner analyze` run under callgrind."""
    os.makedirs(os.path.join(OUT, "cg"), exist_ok=True)
    cg = os.path.join(OUT, "cg", "%s-%s.out" % (tag, fmt))
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + cg, binary, "analyze",
           "--no-network", "--format", fmt, dump]
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    m = re.search(r"Collected : (\d+)", p.stderr)
    if not m:
        sys.exit("callgrind gave no count for %s:\n%s" % (dump, p.stderr[-2000:]))
    return int(m.group(1))


def table(rows):
    lines = ["| dump pair | format | full MB | full Ir | sibling Ir | ratio | goal <= %.1fx |" % GOAL,
             "|---|---|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append("| %s | %s | %.1f | %s | %s | %.2f | %s |" % (
            r["scenario"], r["format"], r["full_bytes"] / 1e6, "{:,}".format(r["full_ir"]),
            "{:,}".format(r["sibling_ir"]), r["ratio"], "PASS" if r["pass"] else "FAIL"))
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--formats", default="text,json")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--no-build", action="store_true", help="use the release binaries as they are")
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "coroner"),
                    help="the coroner binary to measure (e.g. an older build to compare)")
    a = ap.parse_args()
    if not shutil.which("valgrind"):
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    if not a.no_build:
        run(["cargo", "build", "--release", "-p", "coroner-cli", "-p", "coroner-synth"], check=True)
    synth = os.path.join(ROOT, "target", "release", "coroner-synth")
    scenarios = [s for s in a.scenarios.split(",") if s]
    os.makedirs(FULL, exist_ok=True)
    missing = [s for s in scenarios if not os.path.exists(os.path.join(FULL, s + "-full.dmp"))]
    if missing and lab_ready():
        capture(missing)
    elif missing:
        print("full dumps missing: %s\nThe crash lab is not set up here: run `bash lab/setup.sh` "
              "once (Debian: Wine, mingw-w64; see lab/README.md), then rerun this script, or "
              "capture by hand: `bash lab/capture.sh --full --arch x64 reference` writes "
              "bench/out/full/reference-x64-full.dmp." % ", ".join(missing), file=sys.stderr)
    rows = []
    for s, full, normal in pairs(scenarios, synth):
        for fmt in a.formats.split(","):
            f = instructions(a.binary, full, fmt, s + "-full")
            n = instructions(a.binary, normal, fmt, s + "-normal")
            rows.append(dict(scenario=s, format=fmt, full_bytes=os.path.getsize(full),
                             sibling_bytes=os.path.getsize(normal), full_ir=f, sibling_ir=n,
                             ratio=f / n, goal=GOAL, **{"pass": f / n <= GOAL}))
            print("%-18s %-5s full %12s  sibling %12s  ratio %.2f" % (
                s, fmt, "{:,}".format(f), "{:,}".format(n), f / n), file=sys.stderr)
    if not rows:
        sys.exit("no dump pairs to measure")
    md = table(rows)
    with open(os.path.join(OUT, "cost.md"), "w") as fh:
        fh.write(md)
    with open(os.path.join(OUT, "cost.json"), "w") as fh:
        json.dump(dict(goal=GOAL, binary=a.binary, rows=rows), fh, indent=1)
        fh.write("\n")
    print(md)
    return 0 if all(r["pass"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
