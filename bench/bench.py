#!/usr/bin/env python3
"""coroner benchmarks (run by hand, never by the test suite).

1. Every dump of ../shared/corpus analysed by `coroner analyze --format json` and by
   `minidump-stackwalk --json` (rust-minidump's CLI, no symbols), side by side: median wall time
   of N runs per dump and peak RSS.
2. A >= 1 GiB full-memory dump (written sparse by `coroner-synth big`) analysed by coroner:
   median wall time and peak RSS (goal: < 200 ms, < 100 MB).

Usage: python3 bench/bench.py [--runs N] [--big-size 1G]
Installs minidump-stackwalk with `cargo install` when it is not on PATH (or in /opt/msw/bin).
Results go to bench/out/ (results.json, table.md).
"""
import argparse, json, lzma, os, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus")
OUT = os.path.join(ROOT, "bench", "out")


def run_timed(cmd):
    """Runs cmd, returns (seconds, peak RSS in KiB, exit code) using GNU time when present."""
    gnu_time = shutil.which("time") or "/usr/bin/time"
    if os.path.exists(gnu_time):
        with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
            t0 = time.perf_counter()
            p = subprocess.run([gnu_time, "-f", "%M", "-o", tf.name] + cmd,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            dt = time.perf_counter() - t0
            try:
                rss = int(open(tf.name).read().strip().splitlines()[-1])
            except Exception:
                rss = -1
            return dt, rss, p.returncode
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0, -1, p.returncode


def measure(cmd, runs):
    times, rss, code = [], 0, 0
    for _ in range(runs):
        dt, r, code = run_timed(cmd)
        times.append(dt)
        rss = max(rss, r)
    return statistics.median(times) * 1000.0, rss / 1024.0, code


def find_stackwalk():
    for c in [shutil.which("minidump-stackwalk"), "/opt/msw/bin/minidump-stackwalk",
              os.path.expanduser("~/.cargo/bin/minidump-stackwalk")]:
        if c and os.path.exists(c):
            return c
    print("installing minidump-stackwalk (cargo install) ...", file=sys.stderr)
    subprocess.run(["cargo", "install", "minidump-stackwalk", "--locked", "--root", "/opt/msw"], check=True)
    return "/opt/msw/bin/minidump-stackwalk"


def corpus_dumps(tmp):
    """Minidumps of the corpus (decompressed to tmp, so both tools read the same plain file)."""
    out = []
    for dirpath, _, files in os.walk(CORPUS):
        for f in sorted(files):
            p = os.path.join(dirpath, f)
            if f.endswith(".dmp.xz"):
                plain = os.path.join(tmp, f[:-3])
                with lzma.open(p) as src, open(plain, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                out.append((os.path.relpath(p, CORPUS), plain))
            elif f.endswith(".dmp") or f.endswith(".mdmp"):
                with open(p, "rb") as fh:
                    if fh.read(4) in (b"MDMP", b"PMDM"):
                        out.append((os.path.relpath(p, CORPUS), p))
    return sorted(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--big-size", default="1G")
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "coroner-cli", "-p", "coroner-synth"],
                   cwd=ROOT, check=True)
    coroner = os.path.join(ROOT, "target", "release", "coroner")
    synth = os.path.join(ROOT, "target", "release", "coroner-synth")
    msw = find_stackwalk()
    os.makedirs(OUT, exist_ok=True)
    results = {"runs": args.runs, "corpus": [], "big": None}
    with tempfile.TemporaryDirectory() as tmp:
        if os.path.isdir(CORPUS):
            for name, path in corpus_dumps(tmp):
                c_ms, c_rss, c_code = measure([coroner, "analyze", "--format", "json", path], args.runs)
                m_ms, m_rss, m_code = measure([msw, "--json", path], args.runs)
                row = dict(dump=name, bytes=os.path.getsize(path), coroner_ms=c_ms, coroner_rss_mb=c_rss,
                           coroner_exit=c_code, stackwalk_ms=m_ms, stackwalk_rss_mb=m_rss, stackwalk_exit=m_code)
                results["corpus"].append(row)
                print(f"{name:55s} coroner {c_ms:7.1f} ms {c_rss:6.1f} MB   stackwalk {m_ms:7.1f} ms {m_rss:6.1f} MB",
                      flush=True)
        else:
            print(f"corpus not found at {CORPUS}: skipping the side-by-side run", file=sys.stderr)
        big = os.path.join(tmp, "big.dmp")
        subprocess.run([synth, "big", "--size", args.big_size, big], check=True, stdout=subprocess.DEVNULL)
        size = os.path.getsize(big)
        b_ms, b_rss, b_code = measure([coroner, "analyze", "--format", "json", big], max(args.runs, 10))
        m_ms, m_rss, m_code = measure([msw, "--json", big], args.runs)
        results["big"] = dict(bytes=size, coroner_ms=b_ms, coroner_rss_mb=b_rss, coroner_exit=b_code,
                              stackwalk_ms=m_ms, stackwalk_rss_mb=m_rss, stackwalk_exit=m_code)
        print(f"big dump {size / 2**30:.2f} GiB: coroner {b_ms:.1f} ms {b_rss:.1f} MB; stackwalk {m_ms:.1f} ms {m_rss:.1f} MB")
    rows = results["corpus"]
    if rows:
        tc = sum(r["coroner_ms"] for r in rows)
        tm = sum(r["stackwalk_ms"] for r in rows)
        results["total"] = dict(coroner_ms=tc, stackwalk_ms=tm, dumps=len(rows),
                                coroner_faster_or_equal=sum(1 for r in rows if r["coroner_ms"] <= r["stackwalk_ms"] * 1.05))
        print(f"total over {len(rows)} dumps: coroner {tc:.0f} ms, minidump-stackwalk {tm:.0f} ms")
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    with open(os.path.join(OUT, "table.md"), "w") as f:
        f.write("| dump | size | coroner ms | coroner MB | minidump-stackwalk ms | minidump-stackwalk MB |\n|---|---:|---:|---:|---:|---:|\n")
        for r in rows:
            f.write(f"| {r['dump']} | {r['bytes']} | {r['coroner_ms']:.1f} | {r['coroner_rss_mb']:.1f} | {r['stackwalk_ms']:.1f} | {r['stackwalk_rss_mb']:.1f} |\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
