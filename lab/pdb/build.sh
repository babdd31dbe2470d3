#!/usr/bin/env bash
# Builds the PDB inline-site fixture (clang -gcodeview + lld-link /debug; apt: clang lld llvm)
# into fixtures/pdb/: inline.exe, inline.pdb, and inline-expected.json — the addresses of the
# three volatile stores of outer() (leaf's, middle's, outer's: volatile stores keep source
# order) with the inline stack each must show, lines taken from the MARK_/CALL_ comments.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../fixtures/pdb}
mkdir -p "$out"
command -v clang >/dev/null && command -v lld-link >/dev/null && command -v llvm-objdump >/dev/null ||
  { apt-get update -q && apt-get install -y -q clang lld llvm; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
clang --target=x86_64-pc-windows-msvc -O2 -gcodeview -g -ffreestanding -c "$here/inline.c" \
  -o "$tmp/inline.obj"
lld-link /debug /pdb:"$out/inline.pdb" /pdbaltpath:inline.pdb /out:"$out/inline.exe" \
  /entry:entry /subsystem:console /nodefaultlib /timestamp:1700000000 "$tmp/inline.obj"
llvm-objdump -d --no-show-raw-insn "$out/inline.exe" > "$tmp/dis.txt"
python3 - "$here/inline.c" "$tmp/dis.txt" "$out/inline-expected.json" <<'PY'
import json, re, sys
src, dis, dest = sys.argv[1:]
lines = open(src).read().splitlines()
def line_of(tag):
    return next(i + 1 for i, l in enumerate(lines) if tag in l)
# The stores of outer(): `mov %reg, disp(%rip)`, the function being the first in .text.
stores = [int(m.group(1), 16) for m in
          (re.match(r"\s*([0-9a-f]+):\s+movl\s+%\w+, -?\d+\(%rip\)", l) for l in open(dis))
          if m][:3]
base = 0x140000000
f = "inline.c"
# clang's CodeView leaves the procedure's own line table without entries for inlined code (MSVC
# attributes it to the call site), so the PDB does not record outer()'s call line of middle():
# the truth for that frame is "line unknown" (null), while middle()'s call line of leaf() is
# in middle()'s inline line program.
want = [
    [["outer", None, None], ["middle", f, line_of("CALL_LEAF")],
     ["leaf", f, line_of("MARK_LEAF")]],
    [["outer", None, None], ["middle", f, line_of("MARK_MIDDLE")]],
    [["outer", f, line_of("MARK_OUTER")]],
]
json.dump({"image_base": base,
           "markers": [{"rva": a - base, "frames": w} for a, w in zip(stores, want)]},
          open(dest, "w"), indent=1)
print("markers at", [hex(a) for a in stores])
PY
