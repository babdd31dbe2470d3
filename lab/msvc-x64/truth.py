"""Writes msvcx64-truth.json (see build.sh): the faulting thread's real call chain, innermost
first, from app.cpp's CHAIN markers (order), `llvm-pdbutil dump --symbols/--section-headers/
--publics` (procedure names, RVA ranges, decorated names) and the dumper's log (Wine's
StackWalk64 return addresses)."""
import json, re, subprocess, sys

src, symbols, sections, publics, log = sys.argv[1:]

# Chain order: `NOINLINE ... name(...); // CHAIN n` declarations.
chain = {}
for line in open(src):
    m = re.search(r"(\w+)\s*\([^)]*\)\s*[;{]?\s*//\s*CHAIN (\d+)", line)
    if m:
        chain[int(m.group(2))] = m.group(1)

# Section virtual addresses.
vas, cur = {}, None
for line in open(sections):
    m = re.match(r"\s*SECTION HEADER #(\d+)", line)
    if m:
        cur = int(m.group(1))
    m = re.match(r"\s*([0-9A-Fa-f]+) virtual address", line)
    if m and cur is not None:
        vas[cur] = int(m.group(1), 16)

# Procedures: name, section:offset, size.
procs, name = [], None
for line in open(symbols):
    m = re.search(r"S_[GL]PROC32 \[size = \d+\] `(.*)`$", line.rstrip())
    if m:
        name = m.group(1)
        continue
    m = re.search(r"addr = (\d+):(\d+), code size = (\d+)", line)
    if m and name is not None:
        procs.append((name, vas[int(m.group(1))] + int(m.group(2)), int(m.group(3))))
        name = None

# Decorated names of code publics, by RVA; undecorated with llvm-undname.
decorated = {}
pub = None
for line in open(publics):
    m = re.search(r"S_PUB32 \[size = \d+\] `(.*)`$", line.rstrip())
    if m:
        pub = m.group(1)
        continue
    m = re.search(r"flags = function, addr = (\d+):(\d+)", line)
    if m and pub is not None:
        decorated[vas[int(m.group(1))] + int(m.group(2))] = pub
    pub = None

def undname(d):
    out = subprocess.run(["llvm-undname", d], capture_output=True, text=True).stdout
    lines = [l for l in out.splitlines() if l.strip() and l.strip() != d]
    return lines[-1].strip() if lines else None

frames = []
for i in sorted(chain):
    short = chain[i]
    matches = [p for p in procs if p[0] == short or p[0].endswith("::" + short)]
    if len(matches) != 1:
        sys.exit("CHAIN %d: %s matches %r" % (i, short, matches))
    full, rva, size = matches[0]
    d = decorated.get(rva)
    frames.append({"function": full, "rva": rva, "size": size,
                   "decorated": d, "signature": undname(d) if d else None})

# Wine's own walk: "event frame ..." lines of the dumper.
walk = [l.strip() for l in open(log) if l.startswith("event frame")]

json.dump({"module": "msvcx64.exe", "image_base": 0x140000000, "frames": frames,
           "wine_stackwalk": walk}, sys.stdout, indent=1)
print()
