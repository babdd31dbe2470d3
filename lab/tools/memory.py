#!/usr/bin/env python3
"""Memory fixtures: out-of-memory deaths and leaks of lab/src/memory (labmem.exe + alpsnow.dll)
under Wine, each program writing its own ground truth.

    python3 lab/tools/lab.py memory [--arch x86|x64] [SCENARIO ...]

Crash scenarios (fragment, commit, badalloc) run under `labdump -f CMDFILE` and are dumped at the
second chance of their exception; leak scenarios (heapleak, handleleak) are dumped live with
`labdump -p PID -k -T ...` once their readiness file exists (a DebugDiag/ProcDump on-demand memory
dump: no exception). Writes fixtures/lab/memory/SCENARIO-ARCH.dmp (`.dmp.xz` when over 2 MB),
fixtures/lab/memory/logs/SCENARIO-ARCH.log and fixtures/lab/memory/memory-expected.json (the
programs' truth merged, plus the dump's type, size and streams)."""
import json
import lzma
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402
from mdmp import Dump  # noqa: E402

MEM_FIX = os.path.join(lab.FIX, "memory")
APP_DIR = r"C:\Program Files\Alpine Ski House\Snow Report"
BUDGET = 2 * 1024 * 1024
# name -> (arches, live dump?, what happens)
SCENARIOS = {
    "fragment": (["x86"], False, "labmem reserves the 2 GB address space in 1 MB blocks, releases every other one "
                 "(~1 GB free, no free region of 64 MB); alpsnow!AlpLoadSnowGrid HeapAlloc()s 64 MB, gets NULL "
                 "and writes its header through it"),
    "commit": (["x64"], False, "alpsnow!AlpBuildForecastCube HeapAlloc()s more than the commit limit from a "
               "HEAP_GENERATE_EXCEPTIONS heap while terabytes of address space are free: STATUS_NO_MEMORY"),
    "heapleak": (["x86", "x64"], True, "alpsnow!AlpCacheSnowReport leaked 64 KB blocks on a private heap and the "
                 "process heap until 1.25 GB (x86) / 4.5 GB (x64) were held; dumped on demand"),
    "handleleak": (["x86", "x64"], True, "alpsnow.dll opened 6000 handles to one named event, 1500 unnamed mutexes "
                   "and 700 handles to one file and closed none; dumped on demand"),
    "badalloc": (["x86", "x64"], False, "alpsnow!AlpResizeRunMap's operator new: malloc of more than the address "
                 "space returns NULL and std::bad_alloc is thrown the MSVC way (0xE06D7363); nobody catches it"),
}
ORDER = list(SCENARIOS)


def stage(arch):
    for d in (APP_DIR, lab.DUMPER_DIR + "\\out"):
        os.makedirs(lab.unix_path(arch, d), exist_ok=True)
    src = os.path.join(MEM_FIX, "bin", arch)
    for f in os.listdir(src):
        if not f.endswith(".map"):
            shutil.copy2(os.path.join(src, f), lab.unix_path(arch, APP_DIR + "\\" + f))
    shutil.copy2(os.path.join(lab.BUILD, arch, "labdump.exe"), lab.unix_path(arch, lab.DUMPER_DIR + "\\labdump.exe"))


def run(arch, args, cwd):
    env, wine = lab.wine_env(arch)
    p = subprocess.run([wine] + args, cwd=cwd, env=env, timeout=300, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = "\n".join(l for l in p.stderr.decode("utf-8", "replace").splitlines()
                    if "FreeType" not in l and "freetype" not in l and l.strip())
    return p.returncode, p.stdout.decode("utf-8", "replace"), err


def capture_crash(sc, arch, out_w, truth_w, ready_w, comment):
    cmdfile = lab.DUMPER_DIR + "\\" + out_w.rsplit("\\", 1)[1] + ".cmd"
    with open(lab.unix_path(arch, cmdfile), "w") as f:
        f.write('"%s\\labmem.exe" %s %s %s' % (APP_DIR, sc, truth_w, ready_w))
    args = [lab.DUMPER_DIR + "\\labdump.exe", "-o", out_w, "-c", comment, "-f", cmdfile]
    if sc == "badalloc":
        # alpsnow's .data and .bss: the thrown object and its ThrowInfo -> CatchableTypeArray ->
        # TypeDescriptor chain (a dump with data segments, MiniDumpWithDataSegs, holds them)
        for line in open(os.path.join(MEM_FIX, "bin", arch, "alpsnow.map")):
            m = re.match(r"^\.(data|bss)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)", line)
            if m:
                args[1:1] = ["-a", "%s:%s" % (m.group(2), m.group(3))]
    if arch == "x86":
        args[1:1] = ["-x", "stack"]
    return run(arch, args, lab.unix_path(arch, APP_DIR))


def capture_live(sc, arch, out_w, truth_w, ready_w, comment):
    env, wine = lab.wine_env(arch)
    prog = subprocess.Popen([wine, "labmem.exe", sc, truth_w, ready_w], cwd=lab.unix_path(arch, APP_DIR), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        t0 = time.time()
        while not os.path.exists(lab.unix_path(arch, ready_w)):
            if time.time() - t0 > 240 or prog.poll() is not None:
                return -1, "", "no readiness (rc=%s)" % prog.poll()
            time.sleep(0.2)
        truth = json.load(open(lab.unix_path(arch, truth_w)))
        args = [lab.DUMPER_DIR + "\\labdump.exe", "-o", out_w, "-p", str(truth["pid"]), "-k", "-c", comment,
                "-T", "memory pressure (on-demand dump of a live process, as DebugDiag's memory rule or procdump)"]
        # the heaps' header pages, so that `!heap -s` can read them (the heap blocks themselves are not needed)
        for h in truth.get("leak", {}).get("heaps", []):
            args += ["-a", "%x:2000" % int(h["handle"], 16)]
            # and the first page of each region (Wine: subheap header) HeapWalk listed
            for b in h.get("heapwalk", {}).get("region_bases", []):
                args += ["-a", "%x:1000" % (int(b, 16) & ~0xFFF)]
        if arch == "x86":
            args[1:1] = ["-x", "stack"]
        return run(arch, args, lab.unix_path(arch, lab.DUMPER_DIR))
    finally:
        try:
            prog.wait(timeout=30)
        except subprocess.TimeoutExpired:
            prog.kill()
            prog.wait()


def capture(sc, arch):
    name = "%s-%s" % (sc, arch)
    out_w = lab.DUMPER_DIR + "\\out\\" + name + ".dmp"
    truth_w, ready_w = out_w[:-4] + ".truth.json", out_w[:-4] + ".ready"
    for w in (truth_w, ready_w, out_w):
        if os.path.exists(lab.unix_path(arch, w)):
            os.remove(lab.unix_path(arch, w))
    comment = "coroner crash lab: memory scenario=%s arch=%s. %s." % (sc, arch, SCENARIOS[sc][2])
    fn = capture_live if SCENARIOS[sc][1] else capture_crash
    rc, log, err = fn(sc, arch, out_w, truth_w, ready_w, comment)
    os.makedirs(os.path.join(MEM_FIX, "logs"), exist_ok=True)
    with open(os.path.join(MEM_FIX, "logs", name + ".log"), "w") as f:
        f.write(log)
        if err:
            f.write("# stderr:\n" + "".join("# " + l + "\n" for l in err.splitlines()))
    ok = rc == 0 and os.path.exists(lab.unix_path(arch, out_w)) and os.path.exists(lab.unix_path(arch, truth_w))
    print("[memory] %-16s rc=%s %s" % (name, rc, "ok" if ok else "FAILED " + err[-300:]))
    if not ok:
        return None
    for old in (name + ".dmp", name + ".dmp.xz"):
        if os.path.exists(os.path.join(MEM_FIX, old)):
            os.remove(os.path.join(MEM_FIX, old))
    src = lab.unix_path(arch, out_w)
    if os.path.getsize(src) > BUDGET:
        with open(src, "rb") as i, lzma.open(os.path.join(MEM_FIX, name + ".dmp.xz"), "wb", preset=9) as o:
            o.write(i.read())
    else:
        shutil.copy2(src, os.path.join(MEM_FIX, name + ".dmp"))
    return json.load(open(lab.unix_path(arch, truth_w)))


def load(name):
    """The dump of `name` (SCENARIO-ARCH), from .dmp or .dmp.xz."""
    p = os.path.join(MEM_FIX, name + ".dmp")
    if os.path.exists(p):
        return Dump(p), name + ".dmp", os.path.getsize(p)
    x = os.path.join(MEM_FIX, name + ".dmp.xz")
    tmp = "/tmp/coroner-memory-%s.dmp" % name
    with lzma.open(x) as i, open(tmp, "wb") as o:
        o.write(i.read())
    d = Dump(tmp)
    os.remove(tmp)
    return d, name + ".dmp.xz", os.path.getsize(x)


def expected(results):
    path = os.path.join(MEM_FIX, "memory-expected.json")
    old = {}
    if os.path.exists(path):
        old = {d["name"]: d for d in json.load(open(path))["dumps"]}
    for (sc, arch), truth in results.items():
        name = "%s-%s" % (sc, arch)
        d, file, size = load(name)
        e = dict(name=name, file=file, scenario=sc, arch=arch, about=SCENARIOS[sc][2],
                 trigger="live process, no exception" if SCENARIOS[sc][1] else "second-chance exception",
                 header_flags="0x%x" % d.u64(24), size=size, dump_size=len(d.data),
                 streams=[lab.STREAM_NAMES.get(t, hex(t)) for t, _, _ in d.streams])
        if d.exception:
            e["exception_code"] = "0x%08x" % d.exception["code"]
            e["exception_thread"] = d.exception["tid"]
        e["truth"] = truth
        old[name] = e
    dumps = [old[k] for k in sorted(old, key=lambda n: (ORDER.index(n.rsplit("-", 1)[0]), n))]
    doc = dict(about="Ground truth of the memory fixtures (lab/src/memory, lab/tools/memory.py): `truth` is what each "
                     "program wrote itself just before its failing call or its on-demand dump (what it allocated, "
                     "handles by type, the failed allocation, the address space as VirtualQuery saw it, "
                     "GetProcessMemoryInfo); the driver added the dump's file, size, streams and exception.",
               dumps=dumps)
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def check():
    doc = json.load(open(os.path.join(MEM_FIX, "memory-expected.json")))
    bad = 0
    for e in doc["dumps"]:
        d, _, size = load(e["name"])
        probs = []
        live = SCENARIOS[e["scenario"]][1]
        if bool(d.exception) == live:
            probs.append("exception stream %s" % ("present" if live else "missing"))
        for k in (12, 16, 17, 22):
            if not d.stream(k):
                probs.append("stream %d" % k)
        if size > BUDGET:
            probs.append("size %d" % size)
        print("[memory-check] %-16s %s" % (e["name"], "ok" if not probs else "PROBLEMS: " + ", ".join(probs)))
        bad += bool(probs)
    return 1 if bad else 0


def main(argv):
    arches, _, argv = lab.capture_options(argv, ["x86", "x64"], "memory-full")
    wanted = [a for a in argv if a in SCENARIOS] or ORDER
    results = {}
    for arch in arches:
        stage(arch)
        for sc in wanted:
            if arch not in SCENARIOS[sc][0]:
                continue
            try:
                t = capture(sc, arch)
            except (OSError, ValueError, subprocess.SubprocessError) as ex:
                print("[memory] %s-%s FAILED: %s" % (sc, arch, ex))
                t = None
            if t:
                results[(sc, arch)] = t
        env, _ = lab.wine_env(arch)
        subprocess.run(["/usr/lib/wine/wineserver64", "-w"], env=env, timeout=120)
    expected(results)
    return check()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
