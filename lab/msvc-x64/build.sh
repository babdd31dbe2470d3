#!/usr/bin/env bash
# The MSVC-style x64 lab case: app.cpp built by clang (x86_64-pc-windows-msvc) + lld-link /debug
# (no CRT, no frame pointers, .pdata unwind info), run under Wine with the lab's dumper, and the
# dump reduced to its MiniDumpNormal sibling (threads + stacks, modules, 256 bytes around each
# instruction pointer; no image memory). Writes into fixtures/lab/msvc-x64/:
#   msvcx64.pdb, bin/msvcx64.exe        the PDB and the image (apart, so that `--symbols` on
#                                       this folder gives the PDB without the image)
#   msvcx64-normal.dmp                  the dump without image memory
#   msvcx64-truth.json                  the real call chain of the faulting thread, innermost
#                                       first: short name, signature, RVA range (from the PDB via
#                                       llvm-pdbutil, order from the CHAIN markers of app.cpp),
#                                       and the return addresses Wine's StackWalk64 saw
# Needs: clang lld llvm (apt), the lab's Wine set-up (lab/setup.sh) and dumper (lab/build.sh x64).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/fixtures/lab/msvc-x64}
LAB_ROOT=${LAB_ROOT:-/opt/coroner-lab}
BUILD=${BUILD:-/tmp/coroner-lab-build}
mkdir -p "$out/bin"
command -v clang >/dev/null && command -v lld-link >/dev/null && command -v llvm-pdbutil >/dev/null ||
  { apt-get update -q && apt-get install -y -q clang lld llvm; }
[ -d "$LAB_ROOT/prefix64" ] || bash "$root/lab/setup.sh"
[ -f "$BUILD/x64/labdump.exe" ] || bash "$root/lab/build.sh" x64
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# Build: -O2 without frame pointers, with .pdata/.xdata unwind info (MSVC x64 style), no sibling
# calls so every CHAIN function keeps its frame, fixed base and time stamp so the image is
# reproducible. Built in a scratch folder with relative names and a Windows-looking source
# folder, so no path of this machine ends up in the PDB.
cp "$here/app.cpp" "$tmp/"
(cd "$tmp" &&
  clang++ --target=x86_64-pc-windows-msvc -O2 -gcodeview -g -ffreestanding -fno-exceptions \
    -fno-rtti -fno-optimize-sibling-calls -fomit-frame-pointer -fasynchronous-unwind-tables \
    '-fdebug-compilation-dir=C:\src\msvc-x64' -c app.cpp -o app.obj &&
  lld-link /debug /pdb:msvcx64.pdb /pdbaltpath:msvcx64.pdb '/pdbsourcepath:C:\src\msvc-x64' \
    /out:msvcx64.exe /entry:entry /subsystem:console /nodefaultlib /timestamp:1700000000 \
    /base:0x140000000 /dynamicbase:no app.obj)
cp "$tmp/msvcx64.pdb" "$out/"
cp "$tmp/msvcx64.exe" "$out/bin/"

# Capture: the dumper starts the program under the debugger API and writes the dump at the
# second-chance access violation.
. "$root/lab/env.sh"
dir="$LAB_ROOT/prefix64/drive_c/labmsvc"
mkdir -p "$dir"
cp "$out/bin/msvcx64.exe" "$dir/"
cp "$BUILD/x64/labdump.exe" "$dir/"
rm -f "$dir/msvcx64.dmp"
(cd "$dir" && wine64_env wine 'C:\labmsvc\labdump.exe' -o 'C:\labmsvc\msvcx64.dmp' \
  -c "coroner crash lab: msvc-x64 (clang + lld-link, PDB, no frame pointers)" \
  -- 'C:\labmsvc\msvcx64.exe') > "$tmp/labdump.log" 2>"$tmp/labdump.err" || true
wine64_env wineserver -w || true
[ -s "$dir/msvcx64.dmp" ] || { cat "$tmp/labdump.log" "$tmp/labdump.err" >&2; exit 1; }
(cd "$root" && cargo run -q -p coroner-synth -- normal-of "$dir/msvcx64.dmp" "$out/msvcx64-normal.dmp")

# Truth: procedure bounds from the PDB, chain order from the source markers, the return
# addresses of Wine's own walk (the dumper's "event frame" lines).
llvm-pdbutil dump --symbols "$out/msvcx64.pdb" > "$tmp/symbols.txt"
llvm-pdbutil dump --section-headers "$out/msvcx64.pdb" > "$tmp/sections.txt"
llvm-pdbutil dump --publics "$out/msvcx64.pdb" > "$tmp/publics.txt"
python3 "$here/truth.py" "$here/app.cpp" "$tmp/symbols.txt" "$tmp/sections.txt" \
  "$tmp/publics.txt" "$tmp/labdump.log" > "$out/msvcx64-truth.json"
cat "$out/msvcx64-truth.json"
