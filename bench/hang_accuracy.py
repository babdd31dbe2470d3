#!/usr/bin/env python3
"""Hang analysis on the lab's hang dumps: what coroner and minidump-stackwalk each say, against
the ground truth.

Ground truth: `fixtures/lab/hang/hang-expected.json`. Each hanging program wrote its own truth once
its threads were stuck (thread ids and roles, lock addresses, owners, waiters); the lab's driver
added the dumper's StackWalk64 of every thread (`walked_stack`, lab frames named from the map
files). For every dump and each tool we score what the tool says of the things the truth lists:

  wait named   per live truth thread: the tool's frame 0 has the truth's frame 0 name (the system
               call, e.g. ntdll!NtWaitForAlertByThreadId, or the user function a running thread is
               in) and the API the program called — the truth's last system frame (ntdll/kernelbase/
               kernel32) before its first non-system one, within its first 4, e.g.
               ntdll!RtlEnterCriticalSection or kernelbase!WaitForSingleObject — is among the
               tool's first 6 frames (Wine-internal frames in between are not required).
  top-4 names  per live truth thread: longest common subsequence of the module!function names of
               the truth's first 4 frames and the tool's first 4 (lab frames included: neither
               tool has the lab's symbols, so these need the DLL's exports to carry the name).
  state        coroner's `threads[].state` against the state the truth describes (Sleep ->
               sleeping, EnterCriticalSection -> waiting_lock, WaitForSingleObject ->
               waiting_object, a loop -> running, LoadLibrary blocked on the loader lock ->
               waiting_lock or loader). minidump-stackwalk has no thread states.
  owners       truth locks with an owner whose owner coroner names (`locks[].owner_tid`; an
               exited owner also needs `orphaned`).
  waiters      truth waiter tids that coroner lists for that lock (`locks[].waiters`, or a thread
               whose `waits_on` names the lock address or handle).
  deadlock     the cycle {(tid, holds, waits_for)} built from the truth's locks, against
               `deadlocks[]`; for the other dumps, that no cycle is reported.
  blame        the module where the truth's hung threads sit (first non-system frame of every
               non-main live thread) against coroner's `blame.module`.

Names are compared without offsets, case-insensitively, without the module's extension; the
truth's `~` (nearest export) mark is dropped and ntdll's `Zw`/`Nt` aliases (one address) are one
name. Frames: coroner from `coroner shell DUMP -c "~*k"` (its JSON has only each thread's top
frame), minidump-stackwalk from `minidump-stackwalk --json DUMP` (no symbol files, like coroner's
`--no-network`).

Usage: python3 bench/hang_accuracy.py   (prints a Markdown table; writes bench/out/hang_accuracy.json and .md)
"""
import json, os, re, shutil, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HANG = os.path.join(ROOT, "fixtures", "lab", "hang")
OUT = os.path.join(ROOT, "bench", "out")
SYSTEM = {"ntdll", "kernelbase", "kernel32"}


def lcs(a, b):
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def norm(module, function):
    """'ntdll', 'ZwDelayExecution' -> 'ntdll!ntdelayexecution'; module only when no function."""
    m = (module or "?").lower()
    m = re.sub(r"\.(dll|exe|drv|sys)$", "", m)
    if not function:
        return m
    f = function.lstrip("~")
    f = re.sub(r"\+0x[0-9a-fA-F]+$", "", f)
    if m == "ntdll" and f.startswith("Zw"):
        f = "Nt" + f[2:]
    return f"{m}!{f.lower()}"


def norm_site(site):
    """A call site as printed by the truth or by `k`: 'mod!func+0x12', 'mod+0x12', 'mod!<crt2.o>'."""
    if "!" in site:
        m, f = site.split("!", 1)
        return norm(m, f)
    return norm(re.sub(r"\+0x[0-9a-fA-F]+$", "", site), None)


def is_system(name):
    return name.split("!", 1)[0] in SYSTEM


def wait_named(truth, got):
    """The tool's frame 0 is the truth's frame 0 (the system call, or the user code a running
    thread is in) and the API the program called — the truth's last system frame before its first
    non-system one, within the first 4 — is among the tool's first 6 frames."""
    if not truth or not got or got[0] != truth[0]:
        return False
    sig = [n for n in truth[:4][:next((i for i, n in enumerate(truth[:4]) if not is_system(n)), 4)]]
    return not sig or sig[-1] in got[:6]


def modules(names):
    return [n.split("!", 1)[0] for n in names]


def stack_scores(truth, got):
    return (wait_named(truth, got), lcs(truth[:4], got[:4]), lcs(modules(truth[:4]), modules(got[:4])))


def expected_states(truth_state):
    s = truth_state
    if s.startswith("Sleep("):
        return {"sleeping"}
    if s.startswith("EnterCriticalSection"):
        return {"waiting_lock"}
    if s.startswith("WaitForSingleObject"):
        return {"waiting_object"}
    if s.startswith("running"):
        return {"running"}
    if s.startswith("LoadLibrary"):
        return {"waiting_lock", "loader"}
    return None


# ---- tools -------------------------------------------------------------------------------------

def coroner_json(exe, dump):
    p = subprocess.run([exe, "analyze", "--format", "json", "--no-network", dump],
                       capture_output=True, text=True)
    return json.loads(p.stdout)["dumps"][0]


def coroner_stacks(exe, dump):
    """{tid: [normalized names]} from the shell's `~*k`."""
    p = subprocess.run([exe, "shell", dump, "-c", "~*k"], capture_output=True, text=True)
    stacks, cur = {}, None
    for line in p.stdout.splitlines():
        h = re.match(r"^[.#\s]*\d+\s+Id:\s+([0-9a-fA-F]+)\.([0-9a-fA-F]+)\s", line)
        if h:
            cur = stacks.setdefault(int(h.group(2), 16), [])
            continue
        f = re.match(r"^([0-9a-fA-F]{2,})\s+\S+\s+\S+\s+(\S+)", line)
        if f and cur is not None:
            cur.append(norm_site(f.group(2)))
    return stacks


def stackwalk_json(exe, dump):
    p = subprocess.run([exe, "--json", dump], capture_output=True, text=True)
    try:
        return json.loads(p.stdout)
    except json.JSONDecodeError:
        return None


def stackwalk_stacks(d):
    stacks = {}
    for i, t in enumerate((d or {}).get("threads", [])):
        tid = t.get("thread_id")
        tid = int(tid, 16) if isinstance(tid, str) else tid
        names = [norm(f.get("module"), f.get("function")) for f in t.get("frames", [])]
        stacks[tid if tid is not None else ("#", i)] = names
    return stacks


def find_stackwalk():
    msw = shutil.which("minidump-stackwalk")
    if msw:
        return msw
    msw = "/opt/msw/bin/minidump-stackwalk"
    if not os.path.exists(msw):
        r = subprocess.run(["cargo", "install", "minidump-stackwalk", "--version", "0.27.0", "--locked",
                            "--root", "/opt/msw"])
        if r.returncode != 0 or not os.path.exists(msw):
            print("minidump-stackwalk could not be installed: its column is left empty", file=sys.stderr)
            return None
    return msw


# ---- scoring -----------------------------------------------------------------------------------

def truth_cycle(e):
    if e["scenario"] != "deadlock":
        return set()
    holds, waits = {}, {}
    for l in e.get("locks", []):
        if l.get("owner_tid") is not None:
            holds[l["owner_tid"]] = int(l["address"], 16)
        for w in l.get("waiter_tids", []):
            waits[w] = int(l["address"], 16)
    return {(t, holds[t], waits[t]) for t in holds if t in waits}


def truth_blame(e):
    mods = set()
    for t in e["threads"]:
        if t["role"] == "main" or t.get("exited"):
            continue
        for n in (norm_site(s) for s in t.get("walked_stack", [])):
            if not is_system(n):
                mods.add(n.split("!", 1)[0])
                break
    return mods.pop() if len(mods) == 1 else None


def lock_key(l):
    return int(l["address"] if "address" in l else l["handle"], 16)


def score_coroner(e, c, stacks):
    r = dict(wait=0, top4=0, mod4=0, state=0, owners=0, waiters=0)
    cthreads = {t["tid"]: t for t in c["threads"]}
    for t in e["threads"]:
        if t.get("exited"):
            continue
        truth = [norm_site(s) for s in t["walked_stack"]]
        got = stacks.get(t["tid"], [])
        w, n4, m4 = stack_scores(truth, got)
        r["wait"] += w; r["top4"] += n4; r["mod4"] += m4
        exp = expected_states(t["state"])
        ct = cthreads.get(t["tid"])
        r["state"] += bool(exp and ct and ct["state"] in exp)
    clocks = {int(l["address"], 16): l for l in c.get("locks", [])}
    for l in e.get("locks", []):
        k = lock_key(l)
        cl = clocks.get(k)
        if l.get("owner_tid") is not None and cl and cl.get("owner_tid") == l["owner_tid"] \
                and (not l.get("owner_exited") or cl.get("orphaned")):
            r["owners"] += 1
        said = set(cl["waiters"]) if cl else set()
        said |= {t["tid"] for t in c["threads"] if any(int(w, 16) == k for w in t.get("waits_on") or [])}
        r["waiters"] += len(said & set(l.get("waiter_tids", [])))
    got_cycles = [{(x["tid"], int(x["holds"], 16), int(x["waits_for"], 16)) for x in cyc}
                  for cyc in c.get("deadlocks", [])]
    want = truth_cycle(e)
    r["deadlock"] = (want in got_cycles and len(got_cycles) == 1) if want else not got_cycles
    r["blame"] = ((c.get("blame") or {}).get("module") or "none")
    r["finding"] = [f.get("id") for f in c.get("findings", []) if f.get("id") != "no_exception"]
    r["bucket"] = c.get("bucket")
    return r


def score_stackwalk(e, d, stacks):
    r = dict(wait=0, top4=0, mod4=0)
    order = [t for t in e["threads"] if not t.get("exited")]
    by_index = all(isinstance(k, tuple) for k in stacks)
    for i, t in enumerate(order):
        truth = [norm_site(s) for s in t["walked_stack"]]
        got = stacks.get(("#", i) if by_index else t["tid"], [])
        w, n4, m4 = stack_scores(truth, got)
        r["wait"] += w; r["top4"] += n4; r["mod4"] += m4
    ci = (d or {}).get("crash_info") or {}
    r["crash_info"] = {k: ci.get(k) for k in ("type", "crashing_thread")}
    r["threads"] = len((d or {}).get("threads", []))
    return r


def main():
    exe = os.path.join(ROOT, "target", "release", "coroner")
    if not os.path.exists(exe):
        subprocess.run(["cargo", "build", "--release", "-q", "--bin", "coroner"], cwd=ROOT, check=True)
    msw = find_stackwalk()
    msw_version = subprocess.run([msw, "--version"], capture_output=True, text=True).stdout.strip() if msw else None
    expected = json.load(open(os.path.join(HANG, "hang-expected.json")))["dumps"]
    rows = []
    for e in expected:
        path = os.path.join(HANG, e["file"])
        live = [t for t in e["threads"] if not t.get("exited")]
        n_owned = sum(1 for l in e.get("locks", []) if l.get("owner_tid") is not None)
        n_wait = sum(len(l.get("waiter_tids", [])) for l in e.get("locks", []))
        row = dict(file=e["file"], scenario=e["scenario"], threads=len(live),
                   truth_frames4=sum(min(4, len(t["walked_stack"])) for t in live),
                   owned_locks=n_owned, waiters=n_wait, blame_truth=truth_blame(e))
        c = coroner_json(exe, path)
        row["coroner"] = score_coroner(e, c, coroner_stacks(exe, path))
        if msw:
            d = stackwalk_json(msw, path)
            row["stackwalk"] = score_stackwalk(e, d, stackwalk_stacks(d))
        rows.append(row)

    def cell_locks(r, row):
        if not row["owned_locks"] and not row["waiters"]:
            return "—"
        return f"{r['owners']}/{row['owned_locks']} · {r['waiters']}/{row['waiters']}"

    def cell_dl(r, row):
        if row["scenario"] == "deadlock":
            return "cycle ✓" if r["deadlock"] else "cycle ✗"
        return "none ✓" if r["deadlock"] else "false cycle ✗"

    na = "not run"
    pct = lambda a, b: f"{a}/{b} ({100 * a / b:.0f}%)" if b else "—"
    T = {k: 0 for k in ("threads", "f4", "cw", "mw", "c4", "m4", "cm", "mm", "cs", "own", "cown", "wt",
                        "cwt", "cdl", "cbl")}
    stacks = [
        "| dump | live threads | wait named: coroner | wait named: minidump-stackwalk | top-4 names: coroner | top-4 names: minidump-stackwalk | top-4 modules: coroner | top-4 modules: minidump-stackwalk |",
        "|---|---:|---:|---:|---:|---:|---:|---:|"]
    hang = [
        "| dump | thread states: coroner | lock owners · waiters: coroner | deadlock: coroner | blamed module: coroner (truth) | coroner finding, bucket | minidump-stackwalk: states, locks, deadlock, blame |",
        "|---|---:|---:|:-:|---|---|---|"]
    for row in rows:
        c, m = row["coroner"], row.get("stackwalk")
        n, f4 = row["threads"], row["truth_frames4"]
        want = f"{row['blame_truth']}.dll"
        ok = "✓" if c["blame"] == want else "✗"
        mw = f"{m['wait']}/{n}" if m else na
        m4 = f"{m['top4']}/{f4}" if m else na
        mm = f"{m['mod4']}/{f4}" if m else na
        stacks.append(f"| {row['file']} | {n} | {c['wait']}/{n} | {mw} | {c['top4']}/{f4} | {m4} | "
                      f"{c['mod4']}/{f4} | {mm} |")
        ci = ("— (crash_info `" + json.dumps(m["crash_info"]) + "`)") if m else na
        hang.append(f"| {row['file']} | {c['state']}/{n} | {cell_locks(c, row)} | {cell_dl(c, row)} | "
                    f"{c['blame']} ({want}) {ok} | {', '.join(c['finding'])}, {c['bucket'] or 'no bucket'} | {ci} |")
        T["threads"] += n; T["f4"] += f4
        T["cw"] += c["wait"]; T["c4"] += c["top4"]; T["cm"] += c["mod4"]; T["cs"] += c["state"]
        if m:
            T["mw"] += m["wait"]; T["m4"] += m["top4"]; T["mm"] += m["mod4"]
        T["own"] += row["owned_locks"]; T["cown"] += c["owners"]
        T["wt"] += row["waiters"]; T["cwt"] += c["waiters"]
        T["cdl"] += bool(c["deadlock"]); T["cbl"] += c["blame"] == want
    nd = len(rows)
    stacks.append(f"| **total** | {T['threads']} | {pct(T['cw'], T['threads'])} | "
                  f"{pct(T['mw'], T['threads']) if msw else na} | {pct(T['c4'], T['f4'])} | "
                  f"{pct(T['m4'], T['f4']) if msw else na} | {pct(T['cm'], T['f4'])} | "
                  f"{pct(T['mm'], T['f4']) if msw else na} |")
    hang.append(f"| **total** | {pct(T['cs'], T['threads'])} | {T['cown']}/{T['own']} · {T['cwt']}/{T['wt']} | "
                f"{T['cdl']}/{nd} | {T['cbl']}/{nd} | | {'—' if msw else na} |")
    table = "\n".join(stacks) + "\n\n" + "\n".join(hang)
    summary = (
        f"\n{nd} dumps, {T['threads']} live truth threads, {T['f4']} truth top-4 frames; "
        f"minidump-stackwalk: {msw_version or 'not available'}.\n"
        f"Stacks: wait named coroner {pct(T['cw'], T['threads'])}, minidump-stackwalk "
        f"{pct(T['mw'], T['threads']) if msw else na}; top-4 names coroner {pct(T['c4'], T['f4'])}, "
        f"minidump-stackwalk {pct(T['m4'], T['f4']) if msw else na}; top-4 modules coroner "
        f"{pct(T['cm'], T['f4'])}, minidump-stackwalk {pct(T['mm'], T['f4']) if msw else na}.\n"
        f"Hang (coroner only; minidump-stackwalk has no thread states, locks, deadlocks or blame for a "
        f"dump without an exception): states {pct(T['cs'], T['threads'])}, lock owners "
        f"{pct(T['cown'], T['own'])}, waiters {pct(T['cwt'], T['wt'])}, deadlock verdicts {T['cdl']}/{nd}, "
        f"blamed module {T['cbl']}/{nd}.")
    tot = T
    print(table)
    print(summary)
    os.makedirs(OUT, exist_ok=True)
    json.dump(dict(stackwalk=msw_version, rows=rows, totals=tot), open(os.path.join(OUT, "hang_accuracy.json"), "w"),
              indent=1, default=list)
    with open(os.path.join(OUT, "hang_accuracy.md"), "w") as f:
        f.write(table + "\n" + summary + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
