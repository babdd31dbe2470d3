#!/usr/bin/env bash
# Builds the ARM64 crash-lab DLL (clang + lld-link; Debian: apt-get install clang lld) and
# captures its crash dumps with emulate.py (pip install unicorn) into fixtures/lab/arm64/.
# Tests need neither: the outputs are committed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../fixtures/lab/arm64}
mkdir -p "$out"
command -v clang >/dev/null && command -v lld-link >/dev/null ||
  { apt-get update -q && apt-get install -y -q clang lld; }
python3 -c 'import unicorn' 2>/dev/null || pip install -q 'unicorn==2.1.4'
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cc=(clang --target=aarch64-pc-windows-msvc -O2 -funwind-tables -fno-inline-functions
    -fno-optimize-sibling-calls -ffreestanding -Wno-int-to-pointer-cast -c)
"${cc[@]}" "$here/crashlab.c" -o "$tmp/crashlab.obj"
"${cc[@]}" -fno-omit-frame-pointer "$here/crashlab_fp.c" -o "$tmp/crashlab_fp.obj"
# Not -mbranch-protection=pac-ret: clang 14 puts paciasp before the prolog without a
# pac_sign_lr unwind code, so its unwind data is off by one instruction there.
lld-link /dll /implib:"$tmp/crashlab.lib" /machine:arm64 /nodefaultlib /entry:_DllMainCRTStartup /timestamp:1700000000 \
  /out:"$out/crashlab-arm64.dll" /map:"$out/crashlab-arm64.map" \
  "$tmp/crashlab.obj" "$tmp/crashlab_fp.obj"
python3 "$here/emulate.py" "$out/crashlab-arm64.dll" "$out"
