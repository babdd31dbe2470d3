#!/usr/bin/env python3
"""Symbolication benchmark: the corpus dumps that come with Breakpad `.sym` files, analysed by
coroner with those files (cold: empty parsed-symbol cache each run; warm: cache filled by an
earlier run) and by minidump-stackwalk with the same files (which parses them every run).
Median of N runs. Writes bench/out/symbols.json.

Each tool is also run on the same dump *without* symbol files; the difference is what using the
symbols costs that tool (loading, matching, looking up), separated from the fixed cost of
starting the process and reading the dump, which dominates on tiny inputs.

Whether each tool actually used a symbol file is checked too (frame 0 named from it): in the
corpus, `null_read_av.sym` is a Linux file of another program (the Windows dump's crashme.exe
has no `.sym`), so that case measures a search that finds nothing; `linux_inline`'s files are
named `linux_inline.new.sym`/`.old.sym` as in Breakpad's tests, so the script serves the new one
as `linux_inline.sym` from a temporary store to both tools.

Usage: python3 bench/symbols.py [--runs N]
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus")
CASES = [
    ("breakpad/minidump2.dmp", "breakpad/symbols"),
    ("breakpad/null_read_av.dmp", "breakpad/symbols"),
    ("breakpad/linux_inline.dmp", "breakpad/symbols"),
    ("rust-minidump/pipeline-inlines-macos-segv.dmp", "rust-minidump/symbols"),
]


def renamed_store(tmp):
    """linux_inline.new.sym served as linux_inline.sym (what a store lookup asks for)."""
    rel = "breakpad/symbols/linux_inline/BBA6FA10B8AAB33D00000000000000000"
    dest = os.path.join(tmp, "linux_inline", "BBA6FA10B8AAB33D00000000000000000")
    os.makedirs(dest, exist_ok=True)
    shutil.copy(os.path.join(CORPUS, rel, "linux_inline.new.sym"),
                os.path.join(dest, "linux_inline.sym"))
    return tmp


def coroner_symbolized(exe, dump, syms, cache):
    out = subprocess.run([exe, "analyze", "--format", "json", "--no-network", "--symbols", syms,
                          "--symbol-cache", cache, dump], capture_output=True, text=True).stdout
    try:
        f = json.loads(out)["dumps"][0]["frames"][0]
    except (ValueError, KeyError, IndexError):
        return False
    return f.get("symbol_source") not in (None, "export", "none") or bool(f.get("file"))


def stackwalk_symbolized(exe, dump, syms):
    p = subprocess.run([exe, "--json", "--symbols-path", syms, dump], capture_output=True,
                       text=True)
    try:
        f = json.loads(p.stdout)["crashing_thread"]["frames"][0]
    except (ValueError, KeyError, IndexError, TypeError):
        return False
    return bool(f.get("function"))


def timed(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return (time.perf_counter() - t0) * 1000.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    if not os.path.isdir(CORPUS):
        print(f"corpus not found at {CORPUS}", file=sys.stderr)
        return 1
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "coroner-cli"], cwd=ROOT, check=True)
    coroner = os.path.join(ROOT, "target", "release", "coroner")
    msw = shutil.which("minidump-stackwalk") or "/opt/msw/bin/minidump-stackwalk"
    rows = []
    tmp_store = renamed_store(tempfile.mkdtemp(prefix="coroner-bench-syms-"))
    for dump, syms in CASES:
        d, s = os.path.join(CORPUS, dump), os.path.join(CORPUS, syms)
        if dump.endswith("linux_inline.dmp"):
            s = tmp_store
        with tempfile.TemporaryDirectory() as cache:
            used_c = coroner_symbolized(coroner, d, s, cache)
        used_m = stackwalk_symbolized(msw, d, s)
        cold, warm, mw = [], [], []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as cache:
                cold.append(timed([coroner, "analyze", "--format", "json", "--no-network",
                                   "--symbols", s, "--symbol-cache", cache, d]))
        with tempfile.TemporaryDirectory() as cache:
            base = [coroner, "analyze", "--format", "json", "--no-network", "--symbols", s, "--symbol-cache", cache, d]
            timed(base)  # fill the cache
            for _ in range(args.runs):
                warm.append(timed(base))
        for _ in range(args.runs):
            mw.append(timed([msw, "--json", "--symbols-path", s, d]))
        # Without symbol files: the fixed cost of each tool on this dump.
        c0 = [timed([coroner, "analyze", "--format", "json", "--no-network", d])
              for _ in range(args.runs)]
        m0 = [timed([msw, "--json", d]) for _ in range(args.runs)]
        row = dict(dump=dump, coroner_used_symbols=used_c, stackwalk_used_symbols=used_m,
                   cold_ms=statistics.median(cold), warm_ms=statistics.median(warm),
                   stackwalk_ms=statistics.median(mw), coroner_nosym_ms=statistics.median(c0),
                   stackwalk_nosym_ms=statistics.median(m0))
        row["coroner_warm_symbol_cost_ms"] = max(row["warm_ms"] - row["coroner_nosym_ms"], 0.0)
        row["coroner_cold_symbol_cost_ms"] = max(row["cold_ms"] - row["coroner_nosym_ms"], 0.0)
        row["stackwalk_symbol_cost_ms"] = max(row["stackwalk_ms"] - row["stackwalk_nosym_ms"], 0.0)
        rows.append(row)
        print(f"{dump:48s} coroner cold {row['cold_ms']:7.1f} ms  warm {row['warm_ms']:7.1f} ms  "
              f"(no symbols {row['coroner_nosym_ms']:5.1f})   minidump-stackwalk "
              f"{row['stackwalk_ms']:7.1f} ms (no symbols {row['stackwalk_nosym_ms']:5.1f})  "
              f"symbol cost: coroner cold {row['coroner_cold_symbol_cost_ms']:5.1f} warm "
              f"{row['coroner_warm_symbol_cost_ms']:5.1f}, minidump-stackwalk "
              f"{row['stackwalk_symbol_cost_ms']:5.1f} ms; frame 0 named from a symbol file: "
              f"coroner {'yes' if used_c else 'no'}, minidump-stackwalk "
              f"{'yes' if used_m else 'no'}", flush=True)
    os.makedirs(os.path.join(ROOT, "bench", "out"), exist_ok=True)
    json.dump(rows, open(os.path.join(ROOT, "bench", "out", "symbols.json"), "w"), indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
