#!/usr/bin/env bash
# Builds the NT heap layout fixture (clang -gcodeview + lld-link /debug; apt: clang lld llvm) into
# fixtures/pdb/heap/, a symbol store (symstore layout, found by the module's CodeView GUID+age):
#   ntdll.pdb/<ID>/ntdll.pdb   for two "builds" of lab/pdb/ntdll_heap.c:
#     win10 — _HEAP_SEGMENT/_HEAP with the real Windows 10 x64 offsets;
#     other — a made-up build whose _HEAP_SEGMENT fields after Entry sit 8 bytes later;
#   ntdll.dll/<TIMESTAMP><SIZE>/ntdll.dll  the two DLLs (image store layout);
#   ntdll-expected.json: per build, the PDB's id (GUID+age, as LLVM's llvm-pdbutil reads it) and
#     the offsets of the fields the heap walk reads, from llvm-pdbutil's type dump — the truth
#     coroner's own type reader is checked against.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../fixtures/pdb/heap}
command -v clang >/dev/null && command -v lld-link >/dev/null && command -v llvm-pdbutil >/dev/null ||
  { apt-get update -q && apt-get install -y -q clang lld llvm; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
rm -rf "$out"; mkdir -p "$out"
for build in win10 other; do
  def=; [ "$build" = other ] && def=-DOTHER_BUILD
  # The DLL's timestamp names its build: the two must differ in the image store too.
  ts=1700000000; [ "$build" = other ] && ts=1700000100
  clang --target=x86_64-pc-windows-msvc -O1 -gcodeview -g -ffreestanding $def \
    -c "$here/ntdll_heap.c" -o "$tmp/$build.obj"
  lld-link /dll /debug /pdb:"$tmp/$build.pdb" /pdbaltpath:ntdll.pdb /out:"$tmp/$build.dll" /implib:"$tmp/$build.lib" \
    /entry:DllMain /nodefaultlib /timestamp:$ts /Brepro "$tmp/$build.obj"
  llvm-pdbutil dump --summary "$tmp/$build.pdb" > "$tmp/$build.summary"
  llvm-pdbutil dump --types "$tmp/$build.pdb" > "$tmp/$build.types"
done
python3 - "$tmp" "$out" <<'PY'
import json, os, re, shutil, struct, sys
tmp, out = sys.argv[1:]
fields = {"_HEAP_SEGMENT": ["SegmentSignature", "SegmentListEntry", "Heap", "BaseAddress",
                            "NumberOfPages", "NumberOfUnCommittedPages"],
          "_HEAP": ["Flags", "Signature", "SegmentList"]}
truth = {}
for build in ["win10", "other"]:
    s = open(f"{tmp}/{build}.summary").read()
    guid = re.search(r"GUID: \{([0-9A-F-]+)\}", s).group(1)
    age = int(re.search(r"Age: (\d+)", s).group(1))
    g = guid.replace("-", "")
    # Breakpad/symstore form: the GUID's first three fields as printed, then the rest, then age.
    debug_id = f"{g}{age:X}"
    types = open(f"{tmp}/{build}.types").read()
    # Each full definition: "LF_STRUCTURE ... `name`" then "field list: 0xNNNN", "sizeof N".
    lists = {m.group(1): m.group(2) for m in re.finditer(
        r"(0x[0-9A-F]+) \| LF_FIELDLIST \[size = \d+\]\n((?:\s+- .*\n)*)", types)}
    structs = {}
    for m in re.finditer(r"LF_STRUCTURE \[size = \d+\] `(\w+)`\n\s+vtable: .*field list: (0x[0-9A-F]+)\n\s+options: .*sizeof (\d+)", types):
        name, fl, size = m.group(1), m.group(2), int(m.group(3))
        offs = {f.group(1): int(f.group(2)) for f in re.finditer(
            r"LF_MEMBER \[name = `(\w+)`, Type = [^,]+, offset = (\d+)", lists[fl])}
        structs[name] = {"size": size, "fields": {k: offs[k] for k in fields.get(name, [])}}
    dll = open(f"{tmp}/{build}.dll", "rb").read()
    pe = struct.unpack_from("<I", dll, 0x3c)[0]
    ts = struct.unpack_from("<I", dll, pe + 8)[0]
    size = struct.unpack_from("<I", dll, pe + 24 + 56)[0]
    truth[build] = {"debug_id": debug_id, "guid": guid, "age": age, "timestamp": ts,
                    "size_of_image": size,
                    "structs": {k: structs[k] for k in fields}}
    d = f"{out}/ntdll.pdb/{debug_id}"; os.makedirs(d, exist_ok=True)
    shutil.copy(f"{tmp}/{build}.pdb", f"{d}/ntdll.pdb")
    d = f"{out}/ntdll.dll/{ts:X}{size:x}"; os.makedirs(d, exist_ok=True)
    shutil.copy(f"{tmp}/{build}.dll", f"{d}/ntdll.dll")
json.dump(truth, open(f"{out}/ntdll-expected.json", "w"), indent=1, sort_keys=True)
print(json.dumps({b: t["debug_id"] for b, t in truth.items()}))
PY
