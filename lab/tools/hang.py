#!/usr/bin/env python3
"""Hang fixtures: start a stuck program under Wine, wait for its readiness file, dump the live
process with `labdump -p PID` (no exception, no debugger) and kill it.

    python3 lab/tools/lab.py hang [--arch x86|x64] [--full [--out DIR]] [SCENARIO ...]

Writes fixtures/lab/hang/SCENARIO-ARCH.dmp (reduced: see lab/README.md, "Hang scenarios"),
fixtures/lab/hang/logs/SCENARIO-ARCH.log (the dumper's log: StackWalk64 of every thread) and
fixtures/lab/hang/hang-expected.json (every program's own ground truth, merged, plus what the driver
knows: dump type, size, the walked stacks symbolized with the map files). With --full it also
writes the full-memory dump (procdump -ma / DebugDiag type) of the same stuck process into DIR
(default bench/out/hang-full, ignored by git)."""
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402
from mdmp import Dump  # noqa: E402

HANG_FIX = os.path.join(lab.FIX, "hang")
APP_DIR = r"C:\Program Files\Coho Winery\Inventory Sync"
SCENARIOS = {
    "deadlock": "two threads take cohosync.dll's g_stock_lock and g_ledger_lock in opposite order",
    "blocked": "20 workers wait in EnterCriticalSection(g_catalog_lock) behind an owner sleeping in cohosync.dll",
    "waits": "one thread waits forever on an event nobody sets, one on a mutex owned by a third thread",
    "orphaned": "g_batch_lock's owner thread exited without leaving it; one thread waits for it",
    "spin": "one thread spins forever in cohosync!CohoComputeChecksum",
    "loaderlock": "a new thread blocks in cohosync!DllMain(DLL_THREAD_ATTACH) holding the loader lock; another waits for it in LoadLibraryA",
}
ORDER = list(SCENARIOS)
REDUCED_TYPE = 0x1824   # FullMemoryInfo | ThreadInfo | UnloadedModules | HandleData
FULL_TYPE = 0x1826      # the same | FullMemory (procdump -ma, DebugDiag hang dumps)


def stage(arch):
    for d in (APP_DIR, lab.DUMPER_DIR + "\\out"):
        os.makedirs(lab.unix_path(arch, d), exist_ok=True)
    src = os.path.join(HANG_FIX, "bin", arch)
    for f in os.listdir(src):
        if not f.endswith(".map"):
            shutil.copy2(os.path.join(src, f), lab.unix_path(arch, APP_DIR + "\\" + f))
    shutil.copy2(os.path.join(lab.BUILD, arch, "labdump.exe"), lab.unix_path(arch, lab.DUMPER_DIR + "\\labdump.exe"))


def run_dumper(arch, args):
    env, wine = lab.wine_env(arch)
    p = subprocess.run([wine, lab.DUMPER_DIR + "\\labdump.exe"] + args, cwd=lab.unix_path(arch, lab.DUMPER_DIR),
                       env=env, timeout=180, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = "\n".join(l for l in p.stderr.decode("utf-8", "replace").splitlines()
                    if "FreeType" not in l and "freetype" not in l and l.strip())
    return p.returncode, p.stdout.decode("utf-8", "replace"), err


def capture(sc, arch, full_dir=None):
    name = "%s-%s" % (sc, arch)
    out_w = lab.DUMPER_DIR + "\\out\\" + name
    truth_w, ready_w = out_w + ".truth.json", out_w + ".ready"
    for w in (truth_w, ready_w, out_w + ".dmp", out_w + "-full.dmp"):
        if os.path.exists(lab.unix_path(arch, w)):
            os.remove(lab.unix_path(arch, w))
    env, wine = lab.wine_env(arch)
    prog = subprocess.Popen([wine, "labhang.exe", sc, truth_w, ready_w], cwd=lab.unix_path(arch, APP_DIR), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        t0 = time.time()
        while not os.path.exists(lab.unix_path(arch, ready_w)):
            if time.time() - t0 > 60 or prog.poll() is not None:
                print("[hang] %-20s FAILED: no readiness (rc=%s)" % (name, prog.poll()))
                return None
            time.sleep(0.1)
        truth = json.load(open(lab.unix_path(arch, truth_w)))
        pid = truth["pid"]
        comment = "coroner crash lab: hang scenario=%s arch=%s. %s." % (sc, arch, SCENARIOS[sc])
        if full_dir:
            rc, log, err = run_dumper(arch, ["-o", out_w + "-full.dmp", "-p", str(pid), "-m", "full", "-W", "-c", comment])
            if rc == 0:
                shutil.copy2(lab.unix_path(arch, out_w + "-full.dmp"), os.path.join(full_dir, name + "-full.dmp"))
                os.remove(lab.unix_path(arch, out_w + "-full.dmp"))
            print("[hang] %-20s full rc=%s %s" % (name, rc, err[-200:]))
        # reduced: the pages of every lock and of its DebugInfo, on top of the dumper's usual set
        args = ["-o", out_w + ".dmp", "-p", str(pid), "-k", "-c", comment]
        for l in truth["locks"]:
            for k in ("address", "debug_info"):
                a = int(l.get(k, "0"), 16)
                if a:
                    args += ["-a", "%x:1000" % (a & ~0xFFF)]
        if arch == "x86":
            args[0:0] = ["-x", "stack"]
        rc, log, err = run_dumper(arch, args)
    finally:
        try:
            prog.wait(timeout=20)
        except subprocess.TimeoutExpired:
            prog.kill()
            prog.wait()
    os.makedirs(os.path.join(HANG_FIX, "logs"), exist_ok=True)
    with open(os.path.join(HANG_FIX, "logs", name + ".log"), "w") as f:
        f.write(log)
        if err:
            f.write("# stderr:\n" + "".join("# " + l + "\n" for l in err.splitlines()))
    ok = rc == 0 and os.path.exists(lab.unix_path(arch, out_w + ".dmp"))
    print("[hang] %-20s rc=%s %s" % (name, rc, "ok" if ok else "FAILED " + err[-300:]))
    if not ok:
        return None
    shutil.copy2(lab.unix_path(arch, out_w + ".dmp"), os.path.join(HANG_FIX, name + ".dmp"))
    return truth


def symbolizer(dump, arch):
    tables = []
    bindir = os.path.join(HANG_FIX, "bin", arch)
    for m in dump.modules:
        f = m["file"].lower()
        mp = os.path.join(bindir, os.path.splitext(f)[0] + ".map")
        if os.path.exists(mp) and os.path.exists(os.path.join(bindir, f)):
            delta = m["base"] - lab.preferred_base(os.path.join(bindir, f))
            tables.append((m["base"], m["base"] + m["size"], f, delta, lab.load_map(mp)))

    def sym(addr):
        for lo, hi, f, delta, secs in tables:
            if lo <= addr < hi:
                a = addr - delta
                for s0, s1, obj, syms in secs:
                    if s0 <= a < s1:
                        best = None
                        for sa, sn in syms:
                            if sa <= a:
                                best = (sa, sn)
                        if best is None:
                            return "%s|<%s>" % (f, re.split(r"[/(]", obj.rstrip(")"))[-1])
                        n = best[1]
                        if arch == "x86" and re.match(r".*@\d+$", n):
                            n = n.rsplit("@", 1)[0]   # stdcall decoration
                        return "%s|%s+0x%x" % (f, n, a - best[0])
        return None
    return sym


def walks(logpath, sym, d):
    """tid -> the dumper's StackWalk64 frames ('module!symbol+off', lab code named from the maps;
    '~Export+off' where Wine's dbghelp had no name and only the nearest export below is known)."""
    out, cur = {}, None
    exps = {}
    for line in open(logpath):
        m = re.match(r"event twalk tid=0x([0-9a-f]+)", line)
        if m:
            cur = out.setdefault(int(m.group(1), 16), [])
            continue
        if line.startswith("event frame") and cur is not None:
            kv = dict(re.findall(r"(\w+)=(\S+)", line))
            pc = int(kv["pc"], 16)
            s = sym(pc)
            if s:
                cur.append(s.replace("|", "!").replace(".dll!", "!").replace(".exe!", "!"))
            elif kv.get("sym", "?") != "?":
                cur.append("%s!%s" % (kv["module"], kv["sym"]))
            else:
                m = d.module_at(pc)
                best = None
                if m:
                    if m["base"] not in exps:
                        exps[m["base"]] = sorted(d.exports(m["base"]).items())
                    for r, n in exps[m["base"]]:
                        if r <= pc - m["base"]:
                            best = (r, n)
                if best:
                    cur.append("%s!~%s+0x%x" % (kv["module"], best[1], pc - m["base"] - best[0]))
                else:
                    cur.append("%s!0x%x" % (kv["module"], pc))
    return out


def expected(results):
    path = os.path.join(HANG_FIX, "hang-expected.json")
    old = {}
    if os.path.exists(path):
        old = {d["file"]: d for d in json.load(open(path))["dumps"]}
    for (sc, arch), truth in results.items():
        name = "%s-%s.dmp" % (sc, arch)
        d = Dump(os.path.join(HANG_FIX, name))
        sym = symbolizer(d, arch)
        w = walks(os.path.join(HANG_FIX, "logs", name[:-4] + ".log"), sym, d)
        hdr_flags = d.u64(24)
        e = dict(file=name, scenario=sc, arch=arch, about=SCENARIOS[sc],
                 dump_type="reduced hang dump: MINIDUMP_TYPE 0x%x (FullMemoryInfo|ThreadInfo|UnloadedModules|HandleData, "
                           "no FullMemory) written by labdump -p on the live process, no exception stream; memory = "
                           "thread stacks, PEB, process parameters, loader data, TEBs, module headers/exports/resources/"
                           "debug data%s, and the pages of every lock and of its DebugInfo" % (REDUCED_TYPE, " and .pdata" if arch == "x64" else ""),
                 header_flags="0x%x" % hdr_flags, size=len(d.data),
                 streams=[lab.STREAM_NAMES.get(t, hex(t)) for t, _, _ in d.streams])
        e.update(truth)
        for t in e["threads"]:
            t["tid_hex"] = "0x%x" % t["tid"]
            if t["tid"] in w:
                t["walked_stack"] = w[t["tid"]]
        old[name] = e
    dumps = [old[k] for k in sorted(old, key=lambda n: (ORDER.index(n.split("-")[0]) if n.split("-")[0] in ORDER else 99, n))]
    doc = dict(about="Ground truth of the hang fixtures (lab/src/hang, lab/tools/hang.py): each program wrote its own "
                     "truth (pid, thread ids and roles, lock addresses, owners, waiters, raw CRITICAL_SECTION fields, "
                     "handle values) once its threads were stuck; the driver added the dump's type, size and streams "
                     "and the dumper's StackWalk64 of every thread (walked_stack, lab frames named from the map files). "
                     "Captured under Wine 8: see docs/wine-hangs.md for what differs from Windows.",
               dumps=dumps)
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def check():
    doc = json.load(open(os.path.join(HANG_FIX, "hang-expected.json")))
    bad = 0
    for e in doc["dumps"]:
        d = Dump(os.path.join(HANG_FIX, e["file"]))
        probs = []
        if d.exception:
            probs.append("exception stream")
        tids = {t["tid"] for t in d.threads}
        for t in e["threads"]:
            if not t["exited"] and t["tid"] not in tids:
                probs.append("thread %d missing" % t["tid"])
        for l in e["locks"]:
            if "address" in l and not d.has(int(l["address"], 16), l.get("size", 8)):
                probs.append("lock %s memory" % l["name"])
        for k in (12, 16, 17):
            if not d.stream(k):
                probs.append("stream %d" % k)
        if e["size"] > 2 * 1024 * 1024:
            probs.append("size %d" % e["size"])
        print("[hang-check] %-20s %s" % (e["file"], "ok" if not probs else "PROBLEMS: " + ", ".join(probs)))
        bad += bool(probs)
    return 1 if bad else 0


def main(argv):
    arches, full_dir, argv = lab.capture_options(argv, ["x64", "x86"], "hang-full")
    wanted = [a for a in argv if a in SCENARIOS] or ORDER
    results = {}
    for arch in arches:
        stage(arch)
        for sc in wanted:
            try:
                t = capture(sc, arch, full_dir)
            except (OSError, ValueError, subprocess.SubprocessError) as ex:   # e.g. disk full, bad truth
                print("[hang] %s-%s FAILED: %s" % (sc, arch, ex))
                t = None
            if t:
                results[(sc, arch)] = t
        env, _ = lab.wine_env(arch)
        subprocess.run(["/usr/lib/wine/wineserver64", "-w"], env=env, timeout=120)
    expected(results)
    return check()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
