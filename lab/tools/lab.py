#!/usr/bin/env python3
"""Crash-lab driver: capture dumps under Wine, compute fixtures/lab/expected.json, check dumps.

    python3 lab/tools/lab.py capture [--arch x86|x64] [SCENARIO ...]
    python3 lab/tools/lab.py capture --full [--out DIR (default bench/out/full)] [--arch x86|x64] [SCENARIO ...]
    python3 lab/tools/lab.py expected
    python3 lab/tools/lab.py check
    python3 lab/tools/lab.py hang [--arch x86|x64] [--full [--out DIR]] [SCENARIO ...]   (lab/tools/hang.py)
    python3 lab/tools/lab.py memory [--arch x86|x64] [SCENARIO ...]   (lab/tools/memory.py)

The scenario table below is the single source of truth for how each dump is produced and for the
parts of the ground truth that cannot be computed from the dump (which module is to blame, which
functions the source code puts on the faulting stack)."""
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mdmp import Dump, STREAM_NAMES  # noqa: E402

LAB = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(LAB)
FIX = os.path.join(ROOT, "fixtures", "lab")
LAB_ROOT = os.environ.get("LAB_ROOT", "/opt/coroner-lab")
BUILD = os.environ.get("BUILD", "/tmp/coroner-lab-build")

HOST_DIR = r"C:\Program Files\Coroner Lab\Test Host"
W3_DIR = r"C:\windows\system32\inetsrv"
UPLOAD_DIR = r"C:\Program Files\Fabrikam\Upload"
DUMPER_DIR = r"C:\labdump"

# ------------------------------------------------------------------------------------------ scenarios
# stack: the faulting thread's frames in *lab* modules, innermost first, as the source defines them
# (system frames such as ntdll/kernel32 may sit between them). "|" separates module and function.
REF_STACK = (["labupload.dll|UploadLogFailure", "labupload.dll|UploadSehHandler"] * 3 +
             ["labupload.dll|UploadAllocBuffer", "labupload.dll|UploadSafeAlloc",
              "labupload.dll|UploadRequest_Save", "labw3wp.exe|W3ProcessUploadRequest",
              "labw3wp.exe|W3RequestWorkerThread"])
SCENARIOS = [
    dict(name="reference", arches=["x86", "x64"], kind="w3wp", blame="labupload.dll",
         findings=["access_violation", "destroyed_heap", "nested_exception"], optional=["freed_memory"],
         stack=REF_STACK, nested=3,
         about="labw3wp.exe worker thread 4 calls labupload.dll (Fabrikam Upload 4.1.0.2) which HeapAlloc()s "
               "from a private heap it already HeapDestroy()ed, inside its own SEH frame whose handler "
               "allocates from the dead heap again: 4 faults, 3 nested levels, then second chance."),
    dict(name="reference-firstchance", arches=["x86", "x64"], kind="w3wp", first="c0000005", blame="labupload.dll",
         findings=["access_violation", "destroyed_heap"], optional=["freed_memory"],
         stack=REF_STACK[6:], nested=0,
         about="the reference case dumped at the first first-chance access violation (before any handler ran)."),
    dict(name="nullwrite", arches=["x86", "x64"], arg="nullwrite", blame="tsrecord.dll",
         findings=["access_violation", "null_pointer"],
         stack=["tsrecord.dll|TsRecordSetStatus", "tsrecord.dll|TsRecordCommit", "labhost.exe|HostCallVendor", "labhost.exe|main"],
         about="tsrecord.dll writes the status field at offset 0x18 of a NULL record pointer."),
    dict(name="stackoverflow", arches=["x86"], arg="stackoverflow", blame="adparse.dll",
         findings=["stack_overflow", "recursion"], optional=["guard_page"],
         stack=["adparse.dll|AdParseArray", "adparse.dll|AdParseValue"], stack_repeats=True,
         about="adparse.dll parses a self-referencing document recursively (AdParseValue <-> AdParseArray) until "
               "the 256 KiB main-thread stack overflows; second chance (x86)."),
    dict(name="stackoverflow", arches=["x64"], arg="stackoverflow", first="c00000fd", blame="adparse.dll",
         findings=["stack_overflow", "recursion"], optional=["guard_page"],
         stack=["adparse.dll|AdParseArray", "adparse.dll|AdParseValue"], stack_repeats=True,
         about="as x86, but dumped at the first-chance 0xC00000FD: Wine x64 delivers no second chance for a "
               "stack overflow (WINE-NOTES)."),
    dict(name="heapcorrupt", arches=["x86", "x64"], arg="heapcorrupt", blame="wwcache.dll",
         findings=["access_violation", "heap_corruption"],
         stack=["wwcache.dll|WwCacheInsert", "wwcache.dll|WwCacheRefresh", "labhost.exe|HostCallVendor", "labhost.exe|main"],
         about="wwcache.dll writes through a stale pointer into a block it freed on the process heap, over the "
               "heap's free-list links; its next HeapAlloc of that size faults inside ntdll."),
    dict(name="cppexception", arches=["x64"], arg="cppexception", first="20474343", blame="lucerne.dll",
         findings=["cpp_exception"],
         stack=["lucerne.dll|lucerne::FontCache::glyph(int)", "lucerne.dll|lucerne::Layout::measure_line(int)",
                "lucerne.dll|lucerne::Layout::layout_page(int)", "lucerne.dll|LucerneRenderPage",
                "labhost.exe|HostCallVendor", "labhost.exe|main"],
         about="g++ (mingw-w64 SEH) throws std::runtime_error from lucerne.dll and nobody catches it: libgcc raises "
               "0x20474343 ('GCC '); the unwinder's top-level handler lets std::terminate() abort the process "
               "without a second chance, so the dump is taken at the first chance."),
    dict(name="cppthrow", arches=["x86", "x64"], arg="cppthrow", blame="margie.dll",
         findings=["cpp_exception"],
         stack=["margie.dll|MtThrowBookingError", "margie.dll|MtPriceItinerary", "margie.dll|MtBookItinerary",
                "labhost.exe|HostCallVendor", "labhost.exe|main"],
         about="margie.dll throws an MSVC-style C++ exception (0xE06D7363, magic 0x19930520, ThrowInfo with type "
               "'.?AVbooking_error@margie@@') that is never caught; second chance."),
    dict(name="failfast", arches=["x86", "x64"], arg="failfast", blame="woodgrv.dll",
         findings=["fail_fast"],
         stack=["woodgrv.dll|WgFailFast", "woodgrv.dll|WgCheckCanary", "woodgrv.dll|WgValidateToken",
                "labhost.exe|HostCallVendor", "labhost.exe|main"],
         about="woodgrv.dll executes int 0x29 with ecx/rcx = 7 (FAST_FAIL_FATAL_APP_EXIT): 0xC0000409, "
               "parameter 0 = 7, second chance only."),
    dict(name="unloaded", arches=["x86", "x64"], arg="unloaded", blame="litware.dll",
         findings=["access_violation", "unloaded_module"], optional=["execute_non_executable"],
         stack=["labhost.exe|HostRunPluginCallback", "labhost.exe|HostUnloadedPlugin", "labhost.exe|main"],
         about="labhost.exe keeps litware.dll's callback pointer, FreeLibrary()s the plug-in and calls it: "
               "execution fault in the range of the unloaded litware.dll (top frame has no module)."),
    dict(name="divzero", arches=["x86", "x64"], arg="divzero", blame="graphdsn.dll",
         findings=["divide_by_zero"],
         stack=["graphdsn.dll|GdComputeScale", "graphdsn.dll|GdScaleImage", "labhost.exe|HostCallVendor", "labhost.exe|main"],
         about="graphdsn.dll divides by a zero target width (idiv)."),
    dict(name="illegal", arches=["x86", "x64"], arg="illegal", blame="fourthcf.dll",
         findings=["illegal_instruction"],
         stack=["fourthcf.dll|FcReadRegister", "fourthcf.dll|FcCalibrateSensor", "labhost.exe|HostCallVendor", "labhost.exe|main"],
         about="fourthcf.dll reaches a __builtin_trap() (ud2)."),
    dict(name="breakpoint", arches=["x86", "x64"], arg="breakpoint", blame="nwtrader.dll",
         findings=["breakpoint"],
         stack=["nwtrader.dll|NwValidateOrder", "nwtrader.dll|NwPostOrder", "labhost.exe|HostCallVendor", "labhost.exe|main"],
         about="nwtrader.dll hits a leftover int3 with no debugger to handle it (0x80000003 second chance)."),
    dict(name="dep", arches=["x86", "x64"], arg="dep", blame="contosrv.dll",
         findings=["access_violation", "execute_non_executable"],
         stack=["contosrv.dll|CsCallJitted", "contosrv.dll|CsRunScript", "labhost.exe|HostCallVendor", "labhost.exe|main"],
         about="contosrv.dll copies code into a PAGE_READWRITE VirtualAlloc buffer and calls it (DEP/NX)."),
    dict(name="guardpage", arches=["x86", "x64"], arg="guardpage", blame="proseware.dll",
         findings=["guard_page"],
         stack=["proseware.dll|PwReadSlot", "proseware.dll|PwDrainRing", "labhost.exe|HostCallVendor", "labhost.exe|main"],
         about="proseware.dll reads one int past its ring buffer into its own PAGE_GUARD sentinel page: "
               "0x80000001 STATUS_GUARD_PAGE_VIOLATION, unhandled."),
    dict(name="useafterfree", arches=["x86", "x64"], arg="useafterfree", blame="fabmedia.dll",
         findings=["access_violation", "freed_memory"],
         stack=["fabmedia.dll|FmChecksumFrame", "fabmedia.dll|FmDecodeFrame", "labhost.exe|HostCallVendor", "labhost.exe|main"],
         about="fabmedia.dll HeapFree()s a 1 MiB frame buffer (released to the OS) and reads it again through "
               "the stale pointer: read access violation in a MEM_FREE region."),
]

FINDING_BY_CODE = {
    0xC0000005: "access_violation", 0xC00000FD: "stack_overflow", 0xC0000409: "fail_fast",
    0xC0000094: "divide_by_zero", 0xC000001D: "illegal_instruction", 0x80000003: "breakpoint",
    0x20474343: "cpp_exception", 0xE06D7363: "cpp_exception", 0x80000001: "guard_page",
    0xC0000374: "heap_corruption",
}


def dump_name(sc, arch):
    return "%s-%s.dmp" % (sc["name"], arch)


# ------------------------------------------------------------------------------------------ capture
def wine_env(arch):
    env = {"HOME": LAB_ROOT + "/home", "USER": "lab", "LANG": "C.UTF-8", "PATH": "/usr/bin:/bin",
           "WINEDEBUG": "-all", "WINEDLLOVERRIDES": "mscoree,mshtml=",
           "WINESERVER": "/usr/lib/wine/wineserver64"}
    if arch == "x64":
        env.update(WINEPREFIX=LAB_ROOT + "/prefix64", WINEARCH="win64")
        return env, "/usr/lib/wine/wine64"
    w32 = LAB_ROOT + "/w32root"
    env.update(WINEPREFIX=LAB_ROOT + "/prefix32", WINEARCH="win32",
               LD_LIBRARY_PATH="%s/lib/i386-linux-gnu:%s/usr/lib/i386-linux-gnu" % (w32, w32))
    return env, w32 + "/usr/lib/wine/wine"


def unix_path(arch, winpath):
    prefix = LAB_ROOT + ("/prefix64" if arch == "x64" else "/prefix32")
    assert winpath[:3].upper() == "C:\\"
    parts = winpath[3:].split("\\")
    # the prefix has lower-case "windows\system32"
    if parts[0].lower() == "windows":
        parts[0] = "windows"
        if len(parts) > 1 and parts[1].lower() == "system32":
            parts[1] = "system32"
    return os.path.join(prefix, "drive_c", *parts)


def stage(arch):
    """Install the built binaries into the Wine prefix at Windows-looking paths."""
    src = os.path.join(FIX, "bin", arch)
    for d in (HOST_DIR, W3_DIR, UPLOAD_DIR, DUMPER_DIR, DUMPER_DIR + "\\out"):
        os.makedirs(unix_path(arch, d), exist_ok=True)
    for f in os.listdir(src):
        if f.endswith(".map"):
            continue
        if f == "labw3wp.exe":
            dst = W3_DIR
        elif f == "labupload.dll":
            dst = UPLOAD_DIR
        else:
            dst = HOST_DIR
        shutil.copy2(os.path.join(src, f), unix_path(arch, dst + "\\" + f))
    shutil.copy2(os.path.join(BUILD, arch, "labdump.exe"), unix_path(arch, DUMPER_DIR + "\\labdump.exe"))


def capture_one(sc, arch, full_dir=None):
    """Captures one scenario into fixtures/lab, or with `full_dir` a full-memory dump
    (`labdump -m full`, as DebugDiag and `procdump -ma` write) into full_dir as
    SCENARIO-ARCH-full.dmp with its log beside it (never a fixture: ~20 MB each)."""
    name = dump_name(sc, arch)
    if full_dir:
        name = name[:-4] + "-full.dmp"
    if sc.get("kind") == "w3wp":
        cmdline = W3_DIR + '\\labw3wp.exe -ap "LabPool" -v "v2.0"'
        cwd = W3_DIR
    else:
        cmdline = '"%s\\labhost.exe" %s' % (HOST_DIR, sc["arg"])
        cwd = HOST_DIR
    cmdfile = DUMPER_DIR + "\\" + name + ".cmd"
    with open(unix_path(arch, cmdfile), "w") as f:
        f.write(cmdline)
    out = DUMPER_DIR + "\\out\\" + name
    if os.path.exists(unix_path(arch, out)):
        os.remove(unix_path(arch, out))
    comment = "coroner crash lab: scenario=%s arch=%s. %s" % (sc["name"], arch, sc["about"])
    args = [DUMPER_DIR + "\\labdump.exe", "-o", out, "-c", comment, "-f", cmdfile]
    if sc.get("first"):
        args[1:1] = ["-e", sc["first"]]
    if full_dir:
        args[1:1] = ["-m", "full"]
    elif arch == "x86":
        # size budget (< 500 KB): full export directories only for modules seen on a thread stack
        args[1:1] = ["-x", "stack"]
    env, wine = wine_env(arch)
    try:
        p = subprocess.run([wine] + args, cwd=unix_path(arch, cwd), env=env, timeout=180,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        log, err, rc = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"), p.returncode
    except subprocess.TimeoutExpired:
        log, err, rc = "", "timeout", -1
    err = "\n".join(l for l in err.splitlines() if "FreeType" not in l and "freetype" not in l and l.strip())
    dest = full_dir or FIX
    logs = full_dir or os.path.join(FIX, "logs")
    os.makedirs(logs, exist_ok=True)
    with open(os.path.join(logs, name[:-4] + ".log"), "w") as f:
        f.write(log)
        if err:
            f.write("# stderr:\n" + "".join("# " + l + "\n" for l in err.splitlines()))
    ok = rc == 0 and os.path.exists(unix_path(arch, out))
    if ok:
        shutil.copy2(unix_path(arch, out), os.path.join(dest, name))
        if full_dir:
            os.remove(unix_path(arch, out))   # 20 MB: do not leave it in the prefix
    print("[capture] %-32s rc=%s %s" % (name, rc, "ok" if ok else "FAILED " + err[-300:]))
    return ok


def capture_options(argv, arches, full_subdir):
    """The capture drivers' common options: `--full` (full-memory dumps into
    bench/out/FULL_SUBDIR), `--out DIR` (full-memory dumps into DIR), `--arch A`.
    Returns (arches, full_dir or None, the remaining arguments: scenario names)."""
    full_dir = None
    if "--full" in argv:
        argv = [a for a in argv if a != "--full"]
        full_dir = os.path.join(ROOT, "bench", "out", full_subdir)
    if "--out" in argv:
        i = argv.index("--out")
        full_dir = os.path.abspath(argv[i + 1])
        argv = argv[:i] + argv[i + 2:]
    if full_dir:
        os.makedirs(full_dir, exist_ok=True)
    if "--arch" in argv:
        i = argv.index("--arch")
        arches = [argv[i + 1]]
        argv = argv[:i] + argv[i + 2:]
    return arches, full_dir, argv


def cmd_capture(argv):
    arches, full_dir, argv = capture_options(argv, ["x86", "x64"], "full")
    wanted = set(argv)
    failed = []
    for arch in arches:
        stage(arch)
        for sc in SCENARIOS:
            if arch in sc["arches"] and (not wanted or sc["name"] in wanted):
                if not capture_one(sc, arch, full_dir):
                    failed.append(dump_name(sc, arch))
        env, _ = wine_env(arch)
        subprocess.run(["/usr/lib/wine/wineserver64", "-w"], env=env, timeout=120)
    if failed:
        print("[capture] failed: " + " ".join(failed))
    return 0


# ------------------------------------------------------------------------------------------ ground truth
def load_map(path):
    """.text input sections of a GNU ld map: [(start, end, object, [(addr, symbol), ...])]."""
    secs = []
    with open(path, errors="replace") as f:
        lines = f.read().split("\n")
    i = 0
    in_text_out = False
    while i < len(lines):
        line = lines[i]
        if re.match(r"^\.text\s", line) or line.strip() == ".text":
            in_text_out = True
        elif re.match(r"^\.\w", line):
            in_text_out = False
        m = re.match(r"^ (\.text\S*)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$", line)
        if not m and re.match(r"^ \.text\S*\s*$", line) and i + 1 < len(lines):
            m = re.match(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$", lines[i + 1])
            if m:
                m = (None, m.group(1), m.group(2), m.group(3))
                i += 1
        elif m:
            m = m.groups()
        if m and in_text_out:
            a, n = int(m[1], 16), int(m[2], 16)
            if n:
                secs.append([a, a + n, m[3].strip(), []])
        else:
            sm = re.match(r"^\s+0x([0-9a-f]+)\s{2,}([A-Za-z_?@$][^=]*?)\s*$", line)
            if sm and secs and in_text_out and not sm.group(2).startswith("PROVIDE"):
                addr = int(sm.group(1), 16)
                if secs[-1][0] <= addr < secs[-1][1]:
                    secs[-1][3].append((addr, sm.group(2)))
        i += 1
    return secs


def preferred_base(path):
    with open(path, "rb") as f:
        h = f.read(0x400)
    import struct
    lfa = struct.unpack_from("<I", h, 0x3C)[0]
    magic = struct.unpack_from("<H", h, lfa + 24)[0]
    if magic == 0x20B:
        return struct.unpack_from("<Q", h, lfa + 24 + 24)[0]
    return struct.unpack_from("<I", h, lfa + 24 + 28)[0]


def symbolizer(dump, arch):
    """addr -> 'module|function' for code in lab modules (from the map files), None otherwise.
    Code of an input section without a preceding symbol (static functions, libgcc internals) is
    named after the object file, e.g. 'lucerne.dll|<unwind-seh.o>'."""
    tables = []
    bindir = os.path.join(FIX, "bin", arch)
    for m in dump.modules:
        f = m["file"].lower()
        mp = os.path.join(bindir, os.path.splitext(f)[0] + ".map")
        if os.path.exists(mp) and os.path.exists(os.path.join(bindir, f)):
            delta = m["base"] - preferred_base(os.path.join(bindir, f))
            tables.append((m["base"], m["base"] + m["size"], f, delta, load_map(mp)))

    def sym(addr):
        for lo, hi, f, delta, secs in tables:
            if not lo <= addr < hi:
                continue
            a = addr - delta
            for s0, s1, obj, syms in secs:
                if s0 <= a < s1:
                    best = None
                    for sa, sn in syms:
                        if sa <= a:
                            best = sn
                    if best is None:
                        best = "<%s>" % re.split(r"[/(]", obj.rstrip(")"))[-1]
                    if arch == "x86" and re.match(r".*@\d+$", best):
                        best = best.rsplit("@", 1)[0]
                    return "%s|%s" % (f, best)
            return None
        return None
    return sym


def is_subsequence(needle, hay):
    it = iter(hay)
    return all(any(x == y for y in it) for x in needle)


def parse_log(path, kind="exception"):
    events = []
    if not os.path.exists(path):
        return events
    for line in open(path):
        if line.startswith("event " + kind):
            kv = dict(re.findall(r"(\w+)=(\S+)", line))
            events.append(kv)
    return events


def walked_stack(d, arch, sym, logpath):
    """The dumper's StackWalk64 walk of the faulting thread, symbolized: lab modules from the map
    files, system modules with Wine dbghelp's name (Wine PE DLLs carry DWARF) or else the nearest
    export below the address (marked '~')."""
    exports = {}
    frames = []
    for fr in parse_log(logpath, "frame"):
        pc = int(fr["pc"], 16)
        m = d.module_at(pc)
        name = sym(pc) if m else None
        if not name and m:
            dbg = fr.get("sym", "?")
            if dbg != "?":
                name = "%s|%s" % (m["file"], dbg.split("+")[0])
            else:
                if m["base"] not in exports:
                    exports[m["base"]] = sorted(d.exports(m["base"]).items())
                best = None
                for rva, n in exports[m["base"]]:
                    if m["base"] + rva <= pc:
                        best = n
                name = "%s|%s" % (m["file"], ("~" + best) if best else "?")
        if not name:
            u = next((u for u in d.unloaded if u["base"] <= pc < u["base"] + u["size"]), None)
            name = ("<unloaded %s>|?" % u["name"]) if u else "?|?"
        frames.append(dict(pc="0x%x" % pc, sp=fr["sp"], frame=name))
    return frames


def expected_for(sc, arch):
    name = dump_name(sc, arch)
    path = os.path.join(FIX, name)
    if not os.path.exists(path):
        return None
    d = Dump(path)
    ex = d.exception
    code = ex["code"]
    tid = ex["tid"]
    tindex = next((i for i, t in enumerate(d.threads) if t["tid"] == tid), None)
    fmod = d.module_at(ex["address"])
    findings = []
    if FINDING_BY_CODE.get(code):
        findings.append(FINDING_BY_CODE[code])
    target = None
    unl = None
    if code == 0xC0000005 and len(ex["params"]) >= 2:
        kind, target = ex["params"][0], ex["params"][1]
        if target < 0x10000:
            findings.append("null_pointer")
        mi = d.meminfo_at(target)
        if kind == 8 and mi and mi["state"] == 0x1000 and not (mi["protect"] & 0xF0):
            findings.append("execute_non_executable")
        for u in d.unloaded:
            if u["base"] <= target < u["base"] + u["size"] or u["base"] <= ex["address"] < u["base"] + u["size"]:
                unl = u
                findings.append("unloaded_module")
    for f in sc.get("findings", []):
        if f not in findings:
            findings.append(f)
    # stack scan of the faulting thread: pointer-sized values from SP up that fall in lab functions
    thr = next(t for t in d.threads if t["tid"] == tid)
    regs = d.context_regs(ex["ctx_rva"])
    sym = symbolizer(d, arch)
    ntdll = next((m for m in d.modules if m["file"].lower() == "ntdll.dll"), None)
    kiued = None
    if ntdll:
        for rva, n in d.exports(ntdll["base"]).items():
            if n == "KiUserExceptionDispatcher":
                kiued = ntdll["base"] + rva
    scan, kiued_hits = [], 0
    top = sym(regs["ip"])
    if top:
        scan.append(top)
    lo, hi = thr["stack_start"], thr["stack_start"] + thr["stack_size"]
    a = max(regs["sp"], lo)
    while a + d.ptr <= hi:
        v = d.ptr_at(a)
        if v is not None:
            s = sym(v)
            if s:
                scan.append(s)
            if kiued and kiued < v < kiued + 0x100:
                kiued_hits += 1
        a += d.ptr
    expected_stack = sc["stack"]
    logpath = os.path.join(FIX, "logs", name[:-4] + ".log")
    walk = walked_stack(d, arch, sym, logpath)
    walk_names = [f["frame"] for f in walk]
    verified = is_subsequence(expected_stack, scan)
    verified_walk = is_subsequence(expected_stack, walk_names)
    kiued_walk = sum(1 for n in walk_names if n.endswith("KiUserExceptionDispatcher"))
    first_chance = [e for e in parse_log(os.path.join(FIX, "logs", name[:-4] + ".log"))
                    if e.get("chance") == "first" and e.get("code") != "0x80000003"]
    nested_levels = max(0, len([e for e in first_chance if int(e["tid"], 16) == tid]) - 1) \
        if sc.get("nested") is not None and not sc.get("first") else 0
    # process facts an analyser can read from the dump memory
    import struct
    teb0 = d.threads[0]["teb"]
    peb = d.ptr_at(teb0 + (0x60 if d.ptr == 8 else 0x30)) if teb0 else None
    cmdline = image = None
    if peb:
        pp = d.ptr_at(peb + (0x20 if d.ptr == 8 else 0x10))
        def ustr(off):
            b = d.read(pp + off, 2)
            if not b:
                return None
            n = struct.unpack("<H", b)[0]
            p = d.ptr_at(pp + off + d.ptr)
            s = d.read(p, n) if p else None
            return s.decode("utf-16-le") if s else None
        if pp:
            image = ustr(0x60 if d.ptr == 8 else 0x38)
            cmdline = ustr(0x70 if d.ptr == 8 else 0x40)
    lab_mods = {m["file"].lower(): m for m in d.modules}
    blame = sc["blame"]
    e = dict(
        file=name, scenario=sc["name"], arch=arch,
        dump_point="first-chance" if sc.get("first") and "second-chance" not in (d.comment or "") and
                   "trigger: first" in (d.comment or "") else "second-chance",
        exception_code="0x%08x" % code,
        exception_address="0x%x" % ex["address"],
        exception_parameters=["0x%x" % p for p in ex["params"]],
        faulting_thread_id=tid, faulting_thread_id_hex="0x%x" % tid, faulting_thread_index=tindex,
        thread_count=len(d.threads),
        faulting_module=fmod["file"] if fmod else None,
        faulting_unloaded_module=unl["name"] if unl else None,
        blamed_module=blame,
        blamed_module_version=lab_mods[blame.lower()]["file_version"] if blame.lower() in lab_mods else None,
        findings=findings,
        findings_optional=sc.get("optional", []),
        expected_stack=expected_stack,
        expected_stack_repeats=bool(sc.get("stack_repeats")),
        expected_stack_verified_by_scan=verified,
        expected_stack_verified_by_walk=verified_walk,
        walked_stack=walk[:64],
        walked_stack_total_frames=len(walk),   # the dumper stops walking at 512 frames
        walked_stack_kiuserexceptiondispatcher_frames=kiued_walk,
        stack_scan_lab_frames=scan[:32],
        nested_exception_levels=nested_levels,
        kiuserexceptiondispatcher_return_addresses_on_stack=kiued_hits,
        first_chance_exceptions=[dict(code=e2["code"], address=e2["address"], tid=e2["tid"]) for e2 in first_chance][:16],
        peb="0x%x" % peb if peb else None,
        tebs={"0x%x" % t["tid"]: "0x%x" % t["teb"] for t in d.threads},
        command_line=cmdline, image_path=image,
        unloaded_modules=[u["name"] for u in d.unloaded],
        streams=[STREAM_NAMES.get(t, "0x%x" % t) for t, _, _ in d.streams],
        size=os.path.getsize(path),
        description=sc["about"],
    )
    return e


def cmd_expected(argv):
    out = []
    for sc in SCENARIOS:
        for arch in ("x86", "x64"):
            if arch in sc["arches"]:
                e = expected_for(sc, arch)
                if e:
                    out.append(e)
    doc = dict(
        generator="lab/tools/lab.py expected",
        notes="Computed from the dumps, the dumper logs (fixtures/lab/logs) and the map files "
              "(fixtures/lab/bin/<arch>/*.map); blamed_module, expected_stack and the scenario-specific "
              "findings come from the scenario table in lab/tools/lab.py. expected_stack lists only frames "
              "in lab modules, innermost first, as 'module|function' (map-file symbol names); system frames "
              "may sit between them.",
        dumps=out)
    with open(os.path.join(FIX, "expected.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("[expected] %d dumps -> fixtures/lab/expected.json" % len(out))
    return 0


# ------------------------------------------------------------------------------------------ check
def cmd_check(argv):
    import struct
    exp = json.load(open(os.path.join(FIX, "expected.json")))
    bad = 0
    for e in exp["dumps"]:
        d = Dump(os.path.join(FIX, e["file"]))
        probs = []
        if d.exception["code"] != int(e["exception_code"], 16):
            probs.append("code")
        if d.exception["tid"] != e["faulting_thread_id"]:
            probs.append("tid")
        for s in ("MemoryInfoList", "ThreadInfoList", "HandleData", "UnloadedModuleList", "CommentA", "MemoryList"):
            if s not in e["streams"]:
                probs.append("no " + s)
        peb = int(e["peb"], 16) if e["peb"] else 0
        if not peb or not d.has(peb, 0x100):
            probs.append("PEB memory")
        for t in d.threads:
            if not d.has(t["teb"], 0x100):
                probs.append("TEB %x" % t["tid"])
        if not e["command_line"]:
            probs.append("command line")
        for m in d.modules:
            if not d.pe_dirs(m["base"]):
                probs.append("headers " + m["file"])
            elif m["file"].lower().endswith(".dll"):
                dd = d.pe_dirs(m["base"])
                full = m["file"].lower() in ("ntdll.dll", e["blamed_module"].lower(), (e["faulting_module"] or "").lower())
                if full and not d.exports(m["base"]):
                    probs.append("exports " + m["file"])
                if dd[0][0] and not d.has(m["base"] + dd[0][0], 40):
                    probs.append("export directory " + m["file"])
        # version resource of the blamed module present in memory?
        bm = next((m for m in d.modules if m["file"].lower() == e["blamed_module"].lower()), None)
        if bm:
            dd = d.pe_dirs(bm["base"])
            if not dd or not dd[2][0] or not d.has(bm["base"] + dd[2][0], 16):
                probs.append("resources " + bm["file"])
        if d.arch == "x64":
            for m in d.modules:
                dd = d.pe_dirs(m["base"])
                if dd and dd[3][0] and not d.has(m["base"] + dd[3][0], dd[3][1]):
                    probs.append("pdata " + m["file"])
        if not e["expected_stack_verified_by_scan"]:
            probs.append("stack not verified")
        lim = 2 * 1024 * 1024 if d.arch == "x64" else 512 * 1024
        if e["scenario"] == "stackoverflow":
            # Wine gives every thread >= 1 MiB of stack and the dump holds all of it (WINE-NOTES quirk)
            lim += next(t["stack_size"] for t in d.threads if t["tid"] == e["faulting_thread_id"])
        if e["size"] > lim:
            probs.append("size %d > %d" % (e["size"], lim))
        print("[check] %-36s %s %s" % (e["file"], e["exception_code"], "ok" if not probs else "PROBLEMS: " + ", ".join(probs)))
        bad += bool(probs)
    print("[check] %d dumps, %d with problems" % (len(exp["dumps"]), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else "help"
    if cmd == "hang":   # the hang fixtures (lab/tools/hang.py)
        import hang
        sys.exit(hang.main(sys.argv[2:]))
    if cmd == "memory":   # the memory fixtures (lab/tools/memory.py)
        import memory
        sys.exit(memory.main(sys.argv[2:]))
    fn = {"capture": cmd_capture, "expected": cmd_expected, "check": cmd_check}.get(cmd)
    if not fn:
        print(__doc__)
        sys.exit(2)
    sys.exit(fn(sys.argv[2:]))
