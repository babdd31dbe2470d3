#!/usr/bin/env python3
"""Load bench of `coroner serve` in embedded mode (run by hand, never by the test suite).

Starts `coroner serve --data TMP --listen 127.0.0.1:PORT`, then sends N uploads (default
10,000) of a ~50 KB minidump (fixtures/lab/arm64/arm64-crash.dmp, each copy made distinct in
its header's checksum field) over C concurrent keep-alive connections (default 100), each the
way Crashpad sends it: multipart/form-data, gzip Content-Encoding. Reports uploads/s, p50/p99
latency and whether anything was lost: every reply must be `200 CrashID=bp-<uuid>`, the ids
unique, and the server's count of stored crashes (queued + processing + done + failed) equal
to N. Analysis may lag behind; it is not waited for. Bounded: at most N uploads, and the run
stops after --max-seconds. Listens on 127.0.0.1 only.

With --analysis M, a second phase compares analysis throughput: M distinct copies uploaded to
a fresh server with one analysis worker, timed until all are analysed, against
`coroner analyze --format json` of the same M files on one core (RAYON_NUM_THREADS=1).

Usage: python3 bench/serve_load.py [--uploads N] [--concurrency C] [--analysis M] [--binary PATH]
       (default binary: target/release/coroner, else target/debug/coroner)
Results go to bench/out/serve_load.json.
"""
import argparse, asyncio, gzip, json, os, socket, statistics, subprocess, sys, tempfile, time, uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DUMP = os.path.join(ROOT, "fixtures", "lab", "arm64", "arm64-crash.dmp")
OUT = os.path.join(ROOT, "bench", "out")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def body_for(dump, n, boundary):
    d = bytearray(dump)
    d[16:20] = n.to_bytes(4, "little")
    parts = [
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"prod\"\r\n\r\nbench\r\n".encode(),
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"ver\"\r\n\r\n1.0\r\n".encode(),
        (f"--{boundary}\r\nContent-Disposition: form-data; name=\"upload_file_minidump\"; "
         f"filename=\"bench.dmp\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode(),
        bytes(d), f"\r\n--{boundary}--\r\n".encode(),
    ]
    return gzip.compress(b"".join(parts), compresslevel=1)


async def read_reply(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    length = 0
    for l in lines[1:]:
        if l.lower().startswith("content-length:"):
            length = int(l.split(":", 1)[1])
    body = await reader.readexactly(length) if length else b""
    return status, body.decode("latin-1")


async def connection(port, key, jobs, bodies, boundary, results, deadline):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while jobs and time.monotonic() < deadline:
            n = jobs.pop()
            body = bodies[n % len(bodies)]
            head = (f"POST /submit?key={key} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                    f"Content-Encoding: gzip\r\nContent-Length: {len(body)}\r\n\r\n").encode()
            t0 = time.perf_counter()
            writer.write(head + body)
            await writer.drain()
            status, text = await read_reply(reader)
            results.append((time.perf_counter() - t0, status, text))
    finally:
        writer.close()


async def run(port, key, n, conc, max_seconds):
    dump = open(DUMP, "rb").read()
    boundary = "---MultipartBoundary-" + uuid.uuid4().hex + "---"
    # Distinct dumps: a pool of distinct bodies built up front (the client's CPU is not measured).
    bodies = [body_for(dump, i, boundary) for i in range(min(n, 2000))]
    jobs = list(range(n))
    results = []
    deadline = time.monotonic() + max_seconds
    t0 = time.perf_counter()
    await asyncio.gather(*[connection(port, key, jobs, bodies, boundary, results, deadline)
                           for _ in range(conc)])
    return time.perf_counter() - t0, results, len(dump)


def stats_of(port, token):
    import urllib.request
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/stats",
                                 headers={"Authorization": f"Bearer {token}"})
    return json.load(urllib.request.urlopen(req))


def analysis_phase(binary, m, conc):
    """Dumps analysed per second: by a server's one worker, and by `coroner analyze` on one core."""
    data = tempfile.mkdtemp(prefix="coroner-analysis-")
    port = free_port()
    server = subprocess.Popen([binary, "serve", "--data", data, "--listen", f"127.0.0.1:{port}",
                               "--workers", "1"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        for line in server.stdout:
            if "listening on" in line:
                break
        key = open(os.path.join(data, "ingest-key")).read().strip()
        token = open(os.path.join(data, "admin-token")).read().strip()
        t0 = time.perf_counter()
        asyncio.run(run(port, key, m, conc, 300))
        while True:
            st = stats_of(port, token)
            if st["done"] + st["failed"] >= m:
                break
            time.sleep(0.05)
        server_s = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait()
    dump = open(DUMP, "rb").read()
    files = tempfile.mkdtemp(prefix="coroner-analysis-files-")
    paths = []
    for i in range(m):
        d = bytearray(dump)
        d[16:20] = i.to_bytes(4, "little")
        paths.append(os.path.join(files, f"{i}.dmp"))
        open(paths[-1], "wb").write(d)
    env = dict(os.environ, RAYON_NUM_THREADS="1")
    t0 = time.perf_counter()
    subprocess.run([binary, "analyze", "--format", "json"] + paths, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cli_s = time.perf_counter() - t0
    return {"dumps": m, "server_one_worker_per_s": round(m / server_s, 1),
            "server_seconds_incl_upload": round(server_s, 2),
            "analyze_one_core_per_s": round(m / cli_s, 1),
            "ratio": round((m / server_s) / (m / cli_s), 2)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--uploads", type=int, default=10000)
    ap.add_argument("--concurrency", type=int, default=100)
    ap.add_argument("--max-seconds", type=float, default=300)
    ap.add_argument("--analysis", type=int, default=0)
    ap.add_argument("--binary")
    a = ap.parse_args()
    binary = a.binary or next(p for p in [os.path.join(ROOT, "target", k, "coroner")
                                          for k in ("release", "debug")] if os.path.exists(p))
    data = tempfile.mkdtemp(prefix="coroner-load-")
    port = free_port()
    server = subprocess.Popen([binary, "serve", "--data", data, "--listen", f"127.0.0.1:{port}"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        for line in server.stdout:
            if "listening on" in line:
                break
        key = open(os.path.join(data, "ingest-key")).read().strip()
        token = open(os.path.join(data, "admin-token")).read().strip()
        secs, results, size = asyncio.run(run(port, key, a.uploads, a.concurrency, a.max_seconds))
        ok = [r for r in results if r[1] == 200 and r[2].startswith("CrashID=bp-")]
        ids = {r[2] for r in ok}
        lat = sorted(r[0] * 1000 for r in results)
        st = stats_of(port, token)
        stored = st["queued"] + st["processing"] + st["done"] + st["failed"]
        out = {
            "binary": os.path.relpath(binary, ROOT), "uploads": a.uploads, "sent": len(results),
            "concurrency": a.concurrency, "dump_bytes": size, "seconds": round(secs, 2),
            "uploads_per_s": round(len(results) / secs, 1),
            "p50_ms": round(statistics.median(lat), 1) if lat else None,
            "p99_ms": round(lat[int(len(lat) * 0.99) - 1], 1) if lat else None,
            "ok": len(ok), "unique_ids": len(ids), "stored": stored, "dropped": st["dropped"],
            "analysed_by_then": st["done"],
            "lost": len(results) - stored,
        }
    finally:
        server.terminate()
        server.wait()
    # After the first server is gone (its worker would still be analysing its backlog).
    if a.analysis:
        out["analysis"] = analysis_phase(binary, a.analysis, a.concurrency)
    os.makedirs(OUT, exist_ok=True)
    json.dump(out, open(os.path.join(OUT, "serve_load.json"), "w"), indent=2)
    print(json.dumps(out, indent=2))
    return 0 if out["lost"] == 0 and len(ids) == len(results) == a.uploads else 1


if __name__ == "__main__":
    sys.exit(main())
