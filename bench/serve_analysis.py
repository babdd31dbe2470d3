#!/usr/bin/env python3
"""Analysis throughput of one `coroner serve` worker against `coroner analyze` on one core.

Run by hand, never by the test suite. Bounded: M dumps (default 1,000), each phase stops after
--max-seconds. Listens on 127.0.0.1 only.

1. M distinct copies of a ~50 KB minidump (fixtures/lab/arm64/arm64-crash.dmp, made distinct in
   the header's checksum field) are written to a temporary folder.
2. They are uploaded (Crashpad-style gzip multipart, bench/serve_load.py's client) to
   `coroner serve --ingest-only` (embedded mode), which is then stopped: the upload is not part
   of the measurement.
3. `coroner serve --workers 1` is started on the same data folder and timed until every crash
   is analysed (done + failed = M); its CPU time (user + system, from /proc) is read then.
4. `coroner analyze --format json` of the same M files on one core (RAYON_NUM_THREADS=1),
   timed, its CPU time from getrusage, once before and once after the server phase; the server
   is compared with the mean of the two, so that a machine growing slower or faster during a
   run does not favour either side. Before each timed phase the page cache is written back
   (`sync`): otherwise the kernel writes the previous phase's files (the uploads, the server's
   database) while the next phase runs, and that phase pays for it.

Prints dumps/s by wall clock and by CPU second on both sides and the ratios (server / analyze;
the goal is >= 0.8), each run's and the best and median of the runs. The CPU ratio is the steadier one on a shared machine. With --callgrind
both sides run under `valgrind --tool=callgrind` instead (use fewer dumps: ~50x slower) and the
ratio of instructions executed is printed too: repeatable whatever else the machine runs (the
server's count includes its start, its idle threads and the bench's polling of /api/stats).

Usage: python3 bench/serve_analysis.py [--dumps M] [--binary PATH] [--runs R] [--callgrind]
       (default binary: target/release/coroner, else target/debug/coroner)
Results go to bench/out/serve_analysis.json.
"""
import argparse, asyncio, json, os, resource, shutil, statistics, subprocess, sys, tempfile, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_load  # noqa: E402  (the upload client and helpers)

ROOT = serve_load.ROOT
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User + system CPU seconds of a live process and its threads."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


VALGRIND = []


def callgrind(name):
    """The valgrind prefix writing instruction counts to OUT/callgrind.NAME (or none)."""
    if not VALGRIND:
        return []
    return VALGRIND + [f"--callgrind-out-file={os.path.join(serve_load.OUT, 'callgrind.' + name)}"]


def instructions(name):
    """Total instructions in a callgrind output file (its `summary:`/`totals:` line)."""
    for line in open(os.path.join(serve_load.OUT, "callgrind." + name)):
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    return None


def start(binary, data, port, *flags, prefix=()):
    p = subprocess.Popen([*prefix, binary, "serve", "--data", data, "--listen", f"127.0.0.1:{port}",
                          *flags], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in p.stdout:
        if "listening on" in line:
            return p
    raise SystemExit(f"{binary} serve did not start")


def stop(p):
    p.terminate()
    p.wait()


def stats(port, token):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/stats",
                                 headers={"Authorization": f"Bearer {token}"})
    return json.load(urllib.request.urlopen(req))


def upload(binary, data, m, max_seconds):
    port = serve_load.free_port()
    p = start(binary, data, port, "--ingest-only")
    try:
        key = open(os.path.join(data, "ingest-key")).read().strip()
        _, results, _ = asyncio.run(serve_load.run(port, key, m, 20, max_seconds))
        ok = sum(1 for r in results if r[1] == 200)
        if ok != m:
            raise SystemExit(f"only {ok} of {m} uploads were accepted")
    finally:
        stop(p)


def server_phase(binary, data, m, max_seconds):
    port = serve_load.free_port()
    token = open(os.path.join(data, "admin-token")).read().strip()
    t0 = time.perf_counter()
    p = start(binary, data, port, "--workers", "1", prefix=callgrind("server"))
    try:
        while time.perf_counter() - t0 < max_seconds:
            st = stats(port, token)
            if st["done"] + st["failed"] >= m:
                break
            # Polled every 0.1 s: each poll counts the queue in SQLite, and polling every
            # 20 ms cost about 1% of the server's CPU time.
            time.sleep(0.5 if VALGRIND else 0.1)
        wall = time.perf_counter() - t0
        cpu = cpu_seconds(p.pid)
        st = stats(port, token)
    finally:
        stop(p)  # callgrind writes its counts when the server ends on SIGTERM
    return wall, cpu, st


def cli_phase(binary, paths):
    env = dict(os.environ, RAYON_NUM_THREADS="1")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(callgrind("analyze") + [binary, "analyze", "--format", "json"] + paths, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def settle():
    """Writes the page cache back and lets the machine go quiet before a timed phase."""
    os.sync()
    time.sleep(1)


def one_run(binary, m, max_seconds):
    data = tempfile.mkdtemp(prefix="coroner-analysis-")
    files = tempfile.mkdtemp(prefix="coroner-analysis-files-")
    try:
        dump = open(serve_load.DUMP, "rb").read()
        paths = []
        for i in range(m):
            d = bytearray(dump)
            d[16:20] = i.to_bytes(4, "little")
            paths.append(os.path.join(files, f"{i}.dmp"))
            open(paths[-1], "wb").write(d)
        upload(binary, data, m, max_seconds)
        settle()
        before = cli_phase(binary, paths) if not VALGRIND else None
        settle()
        s_wall, s_cpu, st = server_phase(binary, data, m, max_seconds)
        settle()
        after = cli_phase(binary, paths)
        before = before or after
        c_wall, c_cpu = (before[0] + after[0]) / 2, (before[1] + after[1]) / 2
    finally:
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(files, ignore_errors=True)
    return {
        "dumps": m, "server_done": st["done"], "server_failed": st["failed"],
        "server_wall_s": round(s_wall, 2), "server_cpu_s": round(s_cpu, 2),
        "analyze_wall_s": round(c_wall, 2), "analyze_cpu_s": round(c_cpu, 2),
        "analyze_cpu_s_before_after": [round(before[1], 2), round(after[1], 2)],
        "server_per_s": round(m / s_wall, 1), "analyze_per_s": round(m / c_wall, 1),
        "server_per_cpu_s": round(m / s_cpu, 1), "analyze_per_cpu_s": round(m / c_cpu, 1),
        "ratio_wall": round(c_wall / s_wall, 2), "ratio_cpu": round(c_cpu / s_cpu, 2),
    } | (instruction_ratio(m) if VALGRIND else {})


def instruction_ratio(m):
    s, c = instructions("server"), instructions("analyze")
    return {"server_instructions_per_dump": s // m, "analyze_instructions_per_dump": c // m,
            "ratio_instructions": round(c / s, 2)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dumps", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--max-seconds", type=float, default=300)
    ap.add_argument("--binary")
    ap.add_argument("--callgrind", action="store_true")
    a = ap.parse_args()
    os.makedirs(serve_load.OUT, exist_ok=True)
    if a.callgrind:
        VALGRIND.extend(["valgrind", "--tool=callgrind"])
    binary = a.binary or next(p for p in [os.path.join(ROOT, "target", k, "coroner")
                                          for k in ("release", "debug")] if os.path.exists(p))
    runs = []
    for _ in range(a.runs):
        r = one_run(binary, a.dumps, a.max_seconds)
        print(f"run {len(runs) + 1}: server {r['server_cpu_s']} CPU s, analyze "
              f"{r['analyze_cpu_s_before_after']} CPU s: ratio by CPU {r['ratio_cpu']}, "
              f"by wall clock {r['ratio_wall']}", file=sys.stderr, flush=True)
        runs.append(r)
    out = {"binary": os.path.relpath(binary, ROOT), "runs": runs,
           "best_ratio_wall": max(r["ratio_wall"] for r in runs),
           "best_ratio_cpu": max(r["ratio_cpu"] for r in runs),
           "median_ratio_wall": statistics.median(r["ratio_wall"] for r in runs),
           "median_ratio_cpu": statistics.median(r["ratio_cpu"] for r in runs)}
    json.dump(out, open(os.path.join(serve_load.OUT, "serve_analysis.json"), "w"), indent=2)
    print(json.dumps(out, indent=2))
    return 0 if all(r["server_done"] == a.dumps for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
