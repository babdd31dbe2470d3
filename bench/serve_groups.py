#!/usr/bin/env python3
"""Group-list latency of `coroner serve` with a million crashes stored (run by hand).

Creates an embedded-mode data folder with `coroner serve` (which migrates it), stops the
server, fills its SQLite database directly with N crashes (default 1,000,000) spread over G
groups (default 2,000) and 60 days, with their per-day and per-version counts, restarts the
server and times `GET /` (the top-crashers page) and `GET /api/groups` (median and p90 of R
runs). Goal: under 50 ms. Listens on 127.0.0.1 only. Results: bench/out/serve_groups.json.

Usage: python3 bench/serve_groups.py [--crashes N] [--groups G] [--runs R] [--binary PATH]
"""
import argparse, json, os, random, socket, sqlite3, statistics, subprocess, sys, tempfile, time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(binary, data, port):
    p = subprocess.Popen([binary, "serve", "--data", data, "--listen", f"127.0.0.1:{port}",
                          "--workers", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True)
    for line in p.stdout:
        if "listening on" in line:
            return p
    raise SystemExit("coroner serve did not start")


def fill(db, n, g):
    c = sqlite3.connect(db)
    now = int(time.time())
    day0 = now - 60 * 86400
    rnd = random.Random(1)
    c.execute("BEGIN")
    for gid in range(1, g + 1):
        c.execute("INSERT INTO groups (id, project, bucket, count, first_seen, last_seen, blame, "
                  "signature) VALUES (?, 'default', ?, 0, ?, ?, ?, ?)",
                  (gid, f"BUCKET_{gid}", now, day0, f"mod{gid % 50}.dll", f"mod!f{gid}"))
    counts, days, versions = {}, {}, {}
    rows = []
    for i in range(n):
        gid = min(int(rnd.paretovariate(1.2)), g)
        t = day0 + rnd.randrange(60 * 86400)
        day = time.strftime("%Y-%m-%d", time.gmtime(t))
        ver = f"1.{rnd.randrange(10)}"
        counts[gid] = counts.get(gid, 0) + 1
        days[(gid, day)] = days.get((gid, day), 0) + 1
        versions[(gid, ver)] = versions.get((gid, ver), 0) + 1
        rows.append((f"{i:08x}-0000-4000-8000-000000000000", t, gid, ver))
        if len(rows) == 50000:
            insert(c, rows)
            rows = []
    insert(c, rows)
    for gid, k in counts.items():
        c.execute("UPDATE groups SET count = ?, first_seen = ?, last_seen = ? WHERE id = ?",
                  (k, day0, now, gid))
    c.executemany("INSERT INTO group_days VALUES (?, ?, ?)", [(a, b, k) for (a, b), k in days.items()])
    c.executemany("INSERT INTO group_facets VALUES (?, 'version', ?, ?)",
                  [(a, b, k) for (a, b), k in versions.items()])
    c.execute("COMMIT")
    c.close()


def insert(c, rows):
    c.executemany("INSERT INTO crashes (id, project, received, status, annotations, attachments, "
                  "size, version, attempts, completions, bucket, group_id, analysis) VALUES "
                  "(?, 'default', ?, 'done', '{}', '[]', 50000, ?, 1, 1, 'B', ?, '{}')",
                  [(i, t, v, g) for (i, t, g, v) in rows])


def timed(port, token, path, runs):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                 headers={"Authorization": f"Bearer {token}"})
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        urllib.request.urlopen(req).read()
        out.append((time.perf_counter() - t0) * 1000)
    out.sort()
    return {"median_ms": round(statistics.median(out), 1), "p90_ms": round(out[int(runs * 0.9) - 1], 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--crashes", type=int, default=1_000_000)
    ap.add_argument("--groups", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--binary")
    a = ap.parse_args()
    binary = a.binary or next(p for p in [os.path.join(ROOT, "target", k, "coroner")
                                          for k in ("release", "debug")] if os.path.exists(p))
    data = tempfile.mkdtemp(prefix="coroner-groups-")
    port = free_port()
    p = start(binary, data, port)
    p.terminate(); p.wait()
    t0 = time.time()
    fill(os.path.join(data, "coroner.sqlite3"), a.crashes, a.groups)
    fill_s = time.time() - t0
    p = start(binary, data, port)
    try:
        token = open(os.path.join(data, "admin-token")).read().strip()
        res = {"binary": os.path.relpath(binary, ROOT), "crashes": a.crashes, "groups": a.groups,
               "fill_seconds": round(fill_s, 1), "index_page": timed(port, token, "/", a.runs),
               "api_groups": timed(port, token, "/api/groups", a.runs)}
        os.makedirs(OUT, exist_ok=True)
        json.dump(res, open(os.path.join(OUT, "serve_groups.json"), "w"), indent=2)
        print(json.dumps(res, indent=2))
    finally:
        p.terminate(); p.wait()


if __name__ == "__main__":
    sys.exit(main())
